/*
 * Thin, checked wrappers over the SQLite calls the catalog uses: prepared
 * statements with bound parameters only (no SQL text is ever built from
 * user input), single-value lookups, id allocation and atomic sections.
 */
#include "internal.h"

#include <string.h>

MK_RESULT cat_prepare(cat_db *db, const char *sql, sqlite3_stmt **st)
{
    *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        CAT_SQL_BAIL(db, rc, "prepare");
    }
    return MK_OK;
}

MK_RESULT cat_exec(cat_db *db, const char *sql)
{
    int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        CAT_SQL_BAIL(db, rc, "exec");
    }
    return MK_OK;
}

MK_RESULT cat_step(cat_db *db, sqlite3_stmt *st, bool *row)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *row = true;
        return MK_OK;
    }
    if (rc == SQLITE_DONE) {
        *row = false;
        return MK_OK;
    }
    CAT_SQL_BAIL(db, rc, "step");
}

MK_RESULT cat_step_done(cat_db *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        return MK_OK;
    }
    if (rc == SQLITE_ROW) {
        BAIL_MSG(MK_E_INTERNAL, "catalog: statement returned rows unexpectedly");
    }
    CAT_SQL_BAIL(db, rc, "write");
}

MK_RESULT cat_bind_text(cat_db *db, sqlite3_stmt *st, int idx, const char *s)
{
    int rc = s != NULL ? sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT)
                       : sqlite3_bind_null(st, idx);
    if (rc != SQLITE_OK) {
        CAT_SQL_BAIL(db, rc, "bind");
    }
    return MK_OK;
}

MK_RESULT cat_bind_blob(cat_db *db, sqlite3_stmt *st, int idx, const void *p, size_t len)
{
    ENSURE_MSG(len <= (size_t)INT32_MAX, MK_E_TOOBIG, "catalog: blob of %zu bytes", len);
    int rc;
    if (p == NULL) {
        rc = sqlite3_bind_null(st, idx);
    } else {
        /* A zero-length blob must stay a blob, not become NULL. */
        rc = len == 0 ? sqlite3_bind_zeroblob(st, idx, 0)
                      : sqlite3_bind_blob(st, idx, p, (int)len, SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) {
        CAT_SQL_BAIL(db, rc, "bind");
    }
    return MK_OK;
}

MK_RESULT cat_bind_int(cat_db *db, sqlite3_stmt *st, int idx, int64_t v)
{
    int rc = sqlite3_bind_int64(st, idx, v);
    if (rc != SQLITE_OK) {
        CAT_SQL_BAIL(db, rc, "bind");
    }
    return MK_OK;
}

MK_RESULT cat_bind_null(cat_db *db, sqlite3_stmt *st, int idx)
{
    int rc = sqlite3_bind_null(st, idx);
    if (rc != SQLITE_OK) {
        CAT_SQL_BAIL(db, rc, "bind");
    }
    return MK_OK;
}

/* Step a prepared one-parameter lookup and read column 0 as an integer. */
static MK_RESULT lookup_int(cat_db *db, sqlite3_stmt *st, bool *found, int64_t *value)
{
    bool row = false;
    GUARD(cat_step(db, st, &row));
    *found = row && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (*found && value != NULL) {
        *value = sqlite3_column_int64(st, 0);
    }
    return MK_OK;
}

MK_RESULT cat_lookup_int(cat_db *db, const char *sql, bool *found, int64_t *value)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, sql, &st));
    GUARD_OUT(lookup_int(db, st, found, value));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_lookup_int_by_text(cat_db *db, const char *sql, const char *param, bool *found,
                                 int64_t *value)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, sql, &st));
    GUARD_OUT(cat_bind_text(db, st, 1, param));
    GUARD_OUT(lookup_int(db, st, found, value));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_lookup_int_by_int(cat_db *db, const char *sql, int64_t param, bool *found,
                                int64_t *value)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, sql, &st));
    GUARD_OUT(cat_bind_int(db, st, 1, param));
    GUARD_OUT(lookup_int(db, st, found, value));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_lookup_text_by_int(cat_db *db, const char *sql, int64_t param, bool *found, char *buf,
                                 size_t buflen)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    bool row = false;
    GUARD_OUT(cat_prepare(db, sql, &st));
    GUARD_OUT(cat_bind_int(db, st, 1, param));
    GUARD_OUT(cat_step(db, st, &row));
    *found = row && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (*found) {
        cat_copy_text(buf, buflen, (const char *)sqlite3_column_text(st, 0));
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_run_int(cat_db *db, const char *sql, int64_t param)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, sql, &st));
    GUARD_OUT(cat_bind_int(db, st, 1, param));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_next_id(cat_db *db, const char *sql, int64_t floor, int32_t *out)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    bool found = false;
    int64_t max = 0;
    GUARD_OUT(cat_prepare(db, sql, &st));
    GUARD_OUT(lookup_int(db, st, &found, &max));
    int64_t next = found && max + 1 > floor ? max + 1 : floor;
    ENSURE_OUT(next <= INT32_MAX, MK_E_TOOBIG, "catalog: identifier space exhausted");
    *out = (int32_t)next;
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_atomic_begin(cat_db *db)
{
    return cat_exec(db, db->in_txn ? "SAVEPOINT cat_atomic" : "BEGIN IMMEDIATE");
}

/* Undo the atomic section without touching the recorded error. */
static void atomic_undo(cat_db *db)
{
    const char *sql = db->in_txn ? "ROLLBACK TO cat_atomic; RELEASE cat_atomic" : "ROLLBACK";
    (void)sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
}

MK_RESULT cat_atomic_end(cat_db *db, mk_result r)
{
    if (mk_failed(r)) {
        atomic_undo(db);
        return MK_ERR;
    }
    int rc = sqlite3_exec(db->sql, db->in_txn ? "RELEASE cat_atomic" : "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        (void)CAT_SQLERR(db, rc, "commit");
        atomic_undo(db);
        return MK_ERR;
    }
    return MK_OK;
}

int64_t cat_changes(cat_db *db) { return sqlite3_changes64(db->sql); }

void cat_read_principal_head(sqlite3_stmt *st, int32_t *id, char *name, size_t name_len, char *type,
                             uint8_t *sid, size_t sid_cap, size_t *sid_len)
{
    *id = (int32_t)sqlite3_column_int64(st, 0);
    cat_copy_text(name, name_len, (const char *)sqlite3_column_text(st, 1));
    const char *t = (const char *)sqlite3_column_text(st, 2);
    *type = t != NULL ? t[0] : '?';
    int n = sqlite3_column_bytes(st, 3);
    *sid_len = 0;
    if (n > 0 && (size_t)n <= sid_cap) {
        memcpy(sid, sqlite3_column_blob(st, 3), (size_t)n);
        *sid_len = (size_t)n;
    }
}
