/*
 * Certificates in master: add (metadata derived from the DER), look up by
 * name, id, thumbprint or exact DER, drop (refused while the endpoint uses
 * the certificate), record backups and change owners. See catalog/certs.h.
 */
#include "catalog/certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "catalog/principals.h"
#include "internal.h"

#define CERT_COLS                                                                                  \
    "SELECT certificate_id, principal_id, name, pvt_key_encryption_type,"                          \
    " is_active_for_begin_dialog, issuer_name, cert_serial_number, subject, start_date,"           \
    " expiry_date, thumbprint, der, key_length, token_id, token_label,"                            \
    " pvt_key_last_backup_date FROM certificates"

/* SQL Server's certificate SID: S-1-9-1 followed by the thumbprint as five dwords. */
#define CERT_SID_LEN (12 + CAT_THUMBPRINT_LEN)

static void cert_sid(const uint8_t tp[CAT_THUMBPRINT_LEN], uint8_t sid[CERT_SID_LEN], char *text,
                     size_t textlen)
{
    static const uint8_t head[12] = {1, 6, 0, 0, 0, 0, 0, 9, 1, 0, 0, 0};
    memcpy(sid, head, sizeof(head));
    memcpy(sid + sizeof(head), tp, CAT_THUMBPRINT_LEN);
    int n = snprintf(text, textlen, "S-1-9-1");
    for (size_t i = 0; i < CAT_THUMBPRINT_LEN && n > 0 && (size_t)n < textlen; i += 4) {
        uint32_t d = (uint32_t)tp[i] | (uint32_t)tp[i + 1] << 8 | (uint32_t)tp[i + 2] << 16 |
                     (uint32_t)tp[i + 3] << 24;
        n += snprintf(text + n, textlen - (size_t)n, "-%u", d);
    }
}

static char *dup_column_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (t == NULL) {
        return NULL;
    }
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    char *c = malloc(n + 1);
    if (c != NULL) {
        memcpy(c, t, n);
        c[n] = '\0';
    }
    return c;
}

static uint8_t *dup_column_blob(sqlite3_stmt *st, int col, size_t *len)
{
    const void *b = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    *len = 0;
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        return NULL;
    }
    uint8_t *c = malloc(n > 0 ? n : 1);
    if (c != NULL) {
        if (n > 0) {
            memcpy(c, b, n);
        }
        *len = n;
    }
    return c;
}

static MK_RESULT read_cert(sqlite3_stmt *st, cat_cert *c)
{
    memset(c, 0, sizeof(*c));
    c->certificate_id = (int32_t)sqlite3_column_int64(st, 0);
    c->principal_id = (int32_t)sqlite3_column_int64(st, 1);
    cat_copy_text(c->name, sizeof(c->name), (const char *)sqlite3_column_text(st, 2));
    cat_copy_text(c->pvt_key_encryption_type, sizeof(c->pvt_key_encryption_type),
                  (const char *)sqlite3_column_text(st, 3));
    c->active_for_begin_dialog = sqlite3_column_int64(st, 4) != 0;
    c->meta.issuer_name = dup_column_text(st, 5);
    c->meta.serial = dup_column_text(st, 6);
    c->meta.subject = dup_column_text(st, 7);
    c->meta.start_date = sqlite3_column_int64(st, 8);
    c->meta.expiry_date = sqlite3_column_int64(st, 9);
    if (sqlite3_column_bytes(st, 10) == CAT_THUMBPRINT_LEN) {
        memcpy(c->meta.thumbprint, sqlite3_column_blob(st, 10), CAT_THUMBPRINT_LEN);
    }
    c->der = dup_column_blob(st, 11, &c->der_len);
    c->meta.key_length = (int32_t)sqlite3_column_int64(st, 12);
    c->token_id = dup_column_blob(st, 13, &c->token_id_len);
    c->token_label = dup_column_text(st, 14);
    c->has_backup_date = sqlite3_column_type(st, 15) != SQLITE_NULL;
    c->last_backup_date = sqlite3_column_int64(st, 15);
    bool token_ok = (sqlite3_column_type(st, 13) == SQLITE_NULL) == (c->token_id == NULL) &&
                    (sqlite3_column_type(st, 14) == SQLITE_NULL) == (c->token_label == NULL);
    if (c->meta.issuer_name == NULL || c->meta.serial == NULL || c->meta.subject == NULL ||
        c->der == NULL || !token_ok) {
        cat_cert_cleanup(c);
        BAIL_MSG(MK_E_NOMEM, "reading certificate");
    }
    return MK_OK;
}

void cat_cert_cleanup(cat_cert *c)
{
    if (c == NULL) {
        return;
    }
    cat_cert_meta_cleanup(&c->meta);
    free(c->der);
    free(c->token_id);
    free(c->token_label);
    memset(c, 0, sizeof(*c));
}

static const char sql_by_name[] = CERT_COLS " WHERE name = ?1";
static const char sql_by_id[] = CERT_COLS " WHERE certificate_id = ?1";
static const char sql_by_thumbprint[] = CERT_COLS " WHERE thumbprint = ?1";

/* Run one of the static queries above with its one parameter; *found false when no row. */
static MK_RESULT find_cert(cat_db *db, const char *sql, const char *text, int64_t num,
                           const uint8_t *blob, size_t blob_len, bool *found, cat_cert *out)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, sql, &st));
    if (text != NULL) {
        GUARD_OUT(cat_bind_text(db, st, 1, text));
    } else if (blob != NULL) {
        GUARD_OUT(cat_bind_blob(db, st, 1, blob, blob_len));
    } else {
        GUARD_OUT(cat_bind_int(db, st, 1, num));
    }
    GUARD_OUT(cat_step(db, st, found));
    if (*found) {
        GUARD_OUT(read_cert(st, out));
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT not_found(bool found, const char *what)
{
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_CERT_MISSING, what,
                 "Cannot find the certificate '%s', because it does not exist or you do not "
                 "have permission.",
                 what);
    }
    return MK_OK;
}

MK_RESULT cat_cert_get_by_name(cat_db *db, const char *name, cat_cert *out)
{
    bool found = false;
    ENSURE_MSG(name != NULL, MK_E_INVALID, "certificate name missing");
    GUARD(find_cert(db, sql_by_name, name, 0, NULL, 0, &found, out));
    return not_found(found, name);
}

MK_RESULT cat_cert_get_by_id(cat_db *db, int32_t certificate_id, cat_cert *out)
{
    bool found = false;
    GUARD(find_cert(db, sql_by_id, NULL, certificate_id, NULL, 0, &found, out));
    return not_found(found, "(by id)");
}

MK_RESULT cat_cert_get_by_thumbprint(cat_db *db, const uint8_t thumbprint[CAT_THUMBPRINT_LEN],
                                     cat_cert *out)
{
    bool found = false;
    ENSURE_MSG(thumbprint != NULL, MK_E_INVALID, "thumbprint missing");
    GUARD(find_cert(db, sql_by_thumbprint, NULL, 0, thumbprint, CAT_THUMBPRINT_LEN, &found, out));
    return not_found(found, "(by thumbprint)");
}

MK_RESULT cat_cert_get_by_der(cat_db *db, const uint8_t *der, size_t len, cat_cert *out)
{
    uint8_t tp[CAT_THUMBPRINT_LEN];
    unsigned int mdlen = 0;
    ENSURE_MSG(der != NULL && len > 0, MK_E_INVALID, "certificate DER missing");
    ENSURE_MSG(len <= CAT_CERT_DER_MAX, MK_E_TOOBIG, "certificate over %d bytes", CAT_CERT_DER_MAX);
    ENSURE_MSG(EVP_Digest(der, len, tp, &mdlen, EVP_sha1(), NULL) == 1, MK_E_CRYPTO,
               "certificate thumbprint");
    bool found = false;
    GUARD(find_cert(db, sql_by_thumbprint, NULL, 0, tp, sizeof(tp), &found, out));
    /* The thumbprint is an index; equality of the bytes is the actual test. */
    if (found && (out->der_len != len || memcmp(out->der, der, len) != 0)) {
        cat_cert_cleanup(out);
        found = false;
    }
    return not_found(found, "(by DER)");
}

/* The owner must be a user (not a role) of master. */
static MK_RESULT check_owner(cat_db *db, int32_t owner_id)
{
    cat_user u;
    mk_result r = cat_user_get_by_id(db, owner_id, &u);
    if (mk_failed(r)) {
        if (mk_error_code() != MK_E_NOT_FOUND) {
            return MK_ERR;
        }
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_USER_MISSING, NULL, "database principal %d not found",
                 (int)owner_id);
    }
    if (u.type != 'S') {
        CAT_BAIL(MK_E_INVALID, CAT_R_NOT_A_USER, u.name,
                 "'%s' is a role; a certificate must be owned by a user", u.name);
    }
    return MK_OK;
}

static MK_RESULT check_unique(cat_db *db, const char *name, const cat_cert_meta *m)
{
    bool found = false;
    int64_t ignored = 0;
    GUARD(cat_lookup_int_by_text(db, "SELECT 1 FROM certificates WHERE name = ?1", name, &found,
                                 &ignored));
    if (found) {
        CAT_BAIL(MK_E_EXISTS, CAT_R_EXISTS, name,
                 "A certificate with name '%s' already exists or this certificate already has "
                 "been added to the database.",
                 name);
    }
    cat_cert other;
    GUARD(find_cert(db, sql_by_thumbprint, NULL, 0, m->thumbprint, CAT_THUMBPRINT_LEN, &found,
                    &other));
    if (found) {
        char existing[CAT_NAME_MAX + 1];
        cat_copy_text(existing, sizeof(existing), other.name);
        cat_cert_cleanup(&other);
        CAT_BAIL(MK_E_EXISTS, CAT_R_EXISTS, existing,
                 "A certificate with name '%s' already exists or this certificate already has "
                 "been added to the database (as '%s').",
                 name, existing);
    }
    return MK_OK;
}

static MK_RESULT insert_cert(cat_db *db, int32_t id, const cat_cert_new *c, int32_t owner,
                             const cat_cert_meta *m)
{
    uint8_t sid[CERT_SID_LEN];
    char sid_text[96];
    cert_sid(m->thumbprint, sid, sid_text, sizeof(sid_text));
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          "INSERT INTO certificates VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                          " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, NULL)",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, id));
    GUARD_OUT(cat_bind_text(db, st, 2, c->name));
    GUARD_OUT(cat_bind_int(db, st, 3, owner));
    GUARD_OUT(cat_bind_text(db, st, 4, c->token_id != NULL ? "HS" : "NA"));
    GUARD_OUT(cat_bind_int(db, st, 5, c->active_for_begin_dialog ? 1 : 0));
    GUARD_OUT(cat_bind_text(db, st, 6, m->issuer_name));
    GUARD_OUT(cat_bind_text(db, st, 7, m->serial));
    GUARD_OUT(cat_bind_blob(db, st, 8, sid, sizeof(sid)));
    GUARD_OUT(cat_bind_text(db, st, 9, sid_text));
    GUARD_OUT(cat_bind_text(db, st, 10, m->subject));
    GUARD_OUT(cat_bind_int(db, st, 11, m->start_date));
    GUARD_OUT(cat_bind_int(db, st, 12, m->expiry_date));
    GUARD_OUT(cat_bind_blob(db, st, 13, m->thumbprint, CAT_THUMBPRINT_LEN));
    GUARD_OUT(cat_bind_blob(db, st, 14, c->der, c->der_len));
    GUARD_OUT(cat_bind_int(db, st, 15, m->key_length));
    GUARD_OUT(cat_bind_blob(db, st, 16, c->token_id, c->token_id_len));
    GUARD_OUT(cat_bind_text(db, st, 17, c->token_id != NULL ? c->token_label : NULL));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT cert_create_locked(cat_db *db, const cat_cert_new *c, const cat_cert_meta *m,
                                    int32_t *certificate_id)
{
    int32_t owner = c->owner_id != CAT_DEFAULT_OWNER ? c->owner_id : CAT_DBO_ID;
    GUARD(check_owner(db, owner));
    GUARD(check_unique(db, c->name, m));
    int32_t id = 0;
    GUARD(cat_next_id(db, "SELECT max(certificate_id) FROM certificates", CAT_FIRST_CERT_ID, &id));
    GUARD(insert_cert(db, id, c, owner, m));
    if (certificate_id != NULL) {
        *certificate_id = id;
    }
    return MK_OK;
}

MK_RESULT cat_cert_create(cat_db *db, const cat_cert_new *c, int32_t *certificate_id)
{
    ENSURE_MSG(c != NULL, MK_E_INVALID, "certificate missing");
    GUARD(cat_check_name(c->name, "certificate"));
    ENSURE_MSG(c->token_id == NULL || (c->token_id_len > 0 && c->token_id_len <= CAT_TOKEN_ID_MAX),
               MK_E_INVALID, "token key id must be 1..%d bytes", CAT_TOKEN_ID_MAX);
    ENSURE_MSG(c->token_label == NULL || strlen(c->token_label) <= CAT_NAME_MAX, MK_E_INVALID,
               "token label longer than %d bytes", CAT_NAME_MAX);
    cat_cert_meta m;
    GUARD(cat_cert_meta_from_der(c->der, c->der_len, &m));
    mk_result r = cat_atomic_begin(db);
    if (mk_ok(r)) {
        r = cat_atomic_end(db, cert_create_locked(db, c, &m, certificate_id));
    }
    cat_cert_meta_cleanup(&m);
    return r;
}

/* The id of a certificate by name, or CAT_R_CERT_MISSING. */
static MK_RESULT cert_id(cat_db *db, const char *name, int32_t *id)
{
    bool found = false;
    int64_t v = 0;
    ENSURE_MSG(name != NULL, MK_E_INVALID, "certificate name missing");
    GUARD(cat_lookup_int_by_text(db, "SELECT certificate_id FROM certificates WHERE name = ?1",
                                 name, &found, &v));
    GUARD(not_found(found, name));
    *id = (int32_t)v;
    return MK_OK;
}

static MK_RESULT cert_drop_locked(cat_db *db, const char *name)
{
    int32_t id = 0;
    bool found = false;
    char ep[CAT_NAME_MAX + 1];
    GUARD(cert_id(db, name, &id));
    GUARD(cat_lookup_text_by_int(db, "SELECT name FROM endpoints WHERE certificate_id = ?1", id,
                                 &found, ep, sizeof(ep)));
    if (found) {
        CAT_BAIL(MK_E_STATE, CAT_R_CERT_USED_BY_ENDPOINT, ep,
                 "The certificate '%s' cannot be dropped because it is used by endpoint '%s'.",
                 name, ep);
    }
    return cat_run_int(db, "DELETE FROM certificates WHERE certificate_id = ?1", id);
}

MK_RESULT cat_cert_drop(cat_db *db, const char *name)
{
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, cert_drop_locked(db, name));
}

/* UPDATE certificates SET <static column> = value WHERE certificate_id = id. */
static MK_RESULT cert_update(cat_db *db, const char *name, const char *sql, int64_t value,
                             bool owner)
{
    int32_t id = 0;
    GUARD(cert_id(db, name, &id));
    if (owner) {
        GUARD(check_owner(db, (int32_t)value));
    }
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, sql, &st));
    GUARD_OUT(cat_bind_int(db, st, 1, id));
    GUARD_OUT(cat_bind_int(db, st, 2, value));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_cert_set_backup_date(cat_db *db, const char *name, int64_t when_ms)
{
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, cert_update(db, name,
                                          "UPDATE certificates SET pvt_key_last_backup_date = ?2"
                                          " WHERE certificate_id = ?1",
                                          when_ms, false));
}

MK_RESULT cat_cert_set_owner(cat_db *db, const char *name, int32_t owner_id)
{
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db,
                          cert_update(db, name,
                                      "UPDATE certificates SET principal_id = ?2"
                                      " WHERE certificate_id = ?1",
                                      owner_id != CAT_DEFAULT_OWNER ? owner_id : CAT_DBO_ID, true));
}
