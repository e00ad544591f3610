/*
 * Storage of the database master key's sealed blobs (one row). The catalog
 * treats the blobs as opaque bytes; sealing and unsealing belong to
 * server/keys. See catalog/masterkey.h.
 */
#include "catalog/masterkey.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

static MK_RESULT check_blob(const uint8_t *p, size_t len, bool required, const char *what)
{
    if (required) {
        ENSURE_MSG(p != NULL && len > 0, MK_E_INVALID, "master key %s blob is empty", what);
    }
    ENSURE_MSG(p == NULL || len > 0, MK_E_INVALID, "master key %s blob is empty", what);
    ENSURE_MSG(len <= CAT_MK_BLOB_MAX, MK_E_TOOBIG, "master key %s blob over %d bytes", what,
               CAT_MK_BLOB_MAX);
    return MK_OK;
}

MK_RESULT cat_masterkey_exists(cat_db *db, bool *exists)
{
    int64_t ignored = 0;
    return cat_lookup_int_by_int(db, "SELECT 1 FROM master_key WHERE id = ?1", 1, exists, &ignored);
}

static MK_RESULT require_key(cat_db *db)
{
    bool exists = false;
    GUARD(cat_masterkey_exists(db, &exists));
    if (!exists) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_MASTER_KEY_MISSING, NULL,
                 "Please create a master key in the database or open the master key in the "
                 "session before performing this operation.");
    }
    return MK_OK;
}

static MK_RESULT create_locked(cat_db *db, const uint8_t *prot, size_t prot_len, const uint8_t *pw,
                               size_t pw_len)
{
    bool exists = false;
    GUARD(cat_masterkey_exists(db, &exists));
    if (exists) {
        CAT_BAIL(MK_E_EXISTS, CAT_R_MASTER_KEY_EXISTS, NULL,
                 "There is already a master key in the database. Please drop it before "
                 "performing this statement.");
    }
    char guid[37];
    GUARD(cat_random_guid(guid));
    int64_t now = cat_now_ms();
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, "INSERT INTO master_key VALUES (1, ?1, ?2, ?2, ?3, ?4)", &st));
    GUARD_OUT(cat_bind_text(db, st, 1, guid));
    GUARD_OUT(cat_bind_int(db, st, 2, now));
    GUARD_OUT(cat_bind_blob(db, st, 3, prot, prot_len));
    GUARD_OUT(cat_bind_blob(db, st, 4, pw, pw_len));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_masterkey_create(cat_db *db, const uint8_t *protector, size_t protector_len,
                               const uint8_t *password, size_t password_len)
{
    GUARD(check_blob(protector, protector_len, true, "protector"));
    GUARD(check_blob(password, password_len, false, "password"));
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, create_locked(db, protector, protector_len, password, password_len));
}

static uint8_t *copy_blob(sqlite3_stmt *st, int col, size_t *len)
{
    *len = 0;
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        return NULL;
    }
    const void *b = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    uint8_t *c = malloc(n > 0 ? n : 1);
    if (c != NULL && n > 0) {
        memcpy(c, b, n);
    }
    *len = c != NULL ? n : 0;
    return c;
}

MK_RESULT cat_masterkey_get(cat_db *db, cat_masterkey *out)
{
    ENSURE_MSG(out != NULL, MK_E_INVALID, "master key output missing");
    memset(out, 0, sizeof(*out));
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    bool row = false;
    GUARD_OUT(cat_prepare(db,
                          "SELECT key_guid, create_date, modify_date, protector_blob,"
                          " password_blob FROM master_key WHERE id = ?1",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, 1));
    GUARD_OUT(cat_step(db, st, &row));
    if (!row) {
        CAT_BAIL_OUT(MK_E_NOT_FOUND, CAT_R_MASTER_KEY_MISSING, NULL,
                     "Please create a master key in the database or open the master key in the "
                     "session before performing this operation.");
    }
    cat_copy_text(out->key_guid, sizeof(out->key_guid), (const char *)sqlite3_column_text(st, 0));
    out->create_date = sqlite3_column_int64(st, 1);
    out->modify_date = sqlite3_column_int64(st, 2);
    out->protector_blob = copy_blob(st, 3, &out->protector_len);
    out->password_blob = copy_blob(st, 4, &out->password_len);
    bool pw_ok = (sqlite3_column_type(st, 4) == SQLITE_NULL) == (out->password_blob == NULL);
    if (out->protector_blob == NULL || !pw_ok) {
        cat_masterkey_cleanup(out);
        BAIL_OUT(MK_E_NOMEM, "reading the master key");
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

void cat_masterkey_cleanup(cat_masterkey *mk)
{
    if (mk == NULL) {
        return;
    }
    /* Sealed blobs are not secret, but wiping costs nothing. */
    OPENSSL_clear_free(mk->protector_blob, mk->protector_len);
    OPENSSL_clear_free(mk->password_blob, mk->password_len);
    memset(mk, 0, sizeof(*mk));
}

static MK_RESULT update_locked(cat_db *db, const uint8_t *prot, size_t prot_len, bool set_pw,
                               const uint8_t *pw, size_t pw_len)
{
    GUARD(require_key(db));
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          "UPDATE master_key SET modify_date = ?1,"
                          " protector_blob = coalesce(?2, protector_blob),"
                          " password_blob = CASE WHEN ?3 THEN ?4 ELSE password_blob END"
                          " WHERE id = 1",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, cat_now_ms()));
    GUARD_OUT(cat_bind_blob(db, st, 2, prot, prot_len));
    GUARD_OUT(cat_bind_int(db, st, 3, set_pw ? 1 : 0));
    GUARD_OUT(cat_bind_blob(db, st, 4, pw, pw_len));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_masterkey_update(cat_db *db, const uint8_t *protector, size_t protector_len,
                               bool set_password, const uint8_t *password, size_t password_len)
{
    GUARD(check_blob(protector, protector_len, false, "protector"));
    GUARD(check_blob(password, password_len, false, "password"));
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(
        db, update_locked(db, protector, protector_len, set_password, password, password_len));
}

static MK_RESULT drop_locked(cat_db *db)
{
    GUARD(require_key(db));
    return cat_run_int(db, "DELETE FROM master_key WHERE id = ?1", 1);
}

MK_RESULT cat_masterkey_drop(cat_db *db)
{
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, drop_locked(db));
}
