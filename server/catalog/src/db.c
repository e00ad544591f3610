/*
 * Opening and closing the catalog file, connection settings (WAL, foreign
 * keys, busy timeout, full sync) and per-statement transactions.
 *
 * A new catalog file is created by us with mode 0600 before SQLite opens
 * it (SQLite would use 0644; the file holds password verifiers and the
 * sealed master key). The WAL and shared-memory files inherit that mode.
 */
#include "catalog/catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "schema.h"

#define CAT_BUSY_TIMEOUT_MS 5000

/* Make sure the file exists as flags require; *created tells whether we made it. */
static MK_RESULT prepare_file(const char *path, unsigned flags, bool *created)
{
    struct stat sb;
    *created = false;
    if (lstat(path, &sb) == 0) {
        ENSURE_MSG((flags & CAT_OPEN_NEW) == 0, MK_E_EXISTS, "catalog %s already exists", path);
        ENSURE_MSG(S_ISREG(sb.st_mode), MK_E_INVALID, "catalog %s is not a regular file", path);
        return MK_OK;
    }
    ENSURE_MSG(errno == ENOENT, MK_E_IO, "catalog %s: %s", path, strerror(errno));
    ENSURE_MSG((flags & (CAT_OPEN_CREATE | CAT_OPEN_NEW)) != 0, MK_E_NOT_FOUND,
               "catalog %s does not exist", path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    ENSURE_MSG(fd >= 0, errno == EEXIST ? MK_E_EXISTS : MK_E_IO, "creating catalog %s: %s", path,
               strerror(errno));
    close(fd);
    *created = true;
    return MK_OK;
}

/* Connection settings every cat_db uses. */
static MK_RESULT configure(cat_db *db)
{
    sqlite3_extended_result_codes(db->sql, 1);
    int rc = sqlite3_busy_timeout(db->sql, CAT_BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK) {
        CAT_SQL_BAIL(db, rc, "busy timeout");
    }
    /* The schema is ours: no functions with side effects from views/triggers. */
    GUARD(cat_exec(db, "PRAGMA trusted_schema = OFF"));
    GUARD(cat_exec(db, "PRAGMA foreign_keys = ON"));
    GUARD(cat_exec(db, "PRAGMA synchronous = FULL"));
    GUARD(cat_exec(db, "PRAGMA secure_delete = ON"));
    GUARD(cat_register_functions(db));

    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    bool row = false;
    GUARD_OUT(cat_prepare(db, "PRAGMA journal_mode = WAL", &st));
    GUARD_OUT(cat_step(db, st, &row));
    ENSURE_OUT(row, MK_E_IO, "catalog: journal_mode gave no answer");
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    ENSURE_OUT(mode != NULL && strcmp(mode, "wal") == 0, MK_E_IO,
               "catalog: cannot switch to WAL mode (got %s)", mode != NULL ? mode : "nothing");
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_open(const char *path, unsigned flags, cat_db **out)
{
    ENSURE_MSG(path != NULL && path[0] != '\0' && out != NULL, MK_E_INVALID,
               "catalog path missing");
    *out = NULL;
    bool created = false;
    GUARD(prepare_file(path, flags, &created));

    mk_result res = MK_ERR;
    cat_db *db = calloc(1, sizeof(*db));
    ENSURE_OUT(db != NULL, MK_E_NOMEM, "catalog handle");
    int rc = sqlite3_open_v2(
        path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        (void)CAT_SQLERR(db, rc, "open");
        goto out;
    }
    GUARD_OUT(configure(db));
    GUARD_OUT(cat_schema_prepare(db, (flags & (CAT_OPEN_CREATE | CAT_OPEN_NEW)) != 0));
    *out = db;
    db = NULL;
    res = MK_OK;
out:
    cat_close(db);
    if (mk_failed(res) && created) {
        /* Leave nothing behind that a retry without NEW would mistake for a catalog. */
        (void)unlink(path);
    }
    return res;
}

void cat_close(cat_db *db)
{
    if (db == NULL) {
        return;
    }
    if (db->in_txn) {
        (void)sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_close_v2(db->sql);
    free(db);
}

MK_RESULT cat_begin(cat_db *db)
{
    ENSURE_MSG(!db->in_txn, MK_E_STATE, "catalog: transaction already open");
    GUARD(cat_exec(db, "BEGIN IMMEDIATE"));
    db->in_txn = true;
    return MK_OK;
}

MK_RESULT cat_commit(cat_db *db)
{
    ENSURE_MSG(db->in_txn, MK_E_STATE, "catalog: no transaction to commit");
    int rc = sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        /* A failed COMMIT leaves the transaction open; undo it so state is clear. */
        (void)CAT_SQLERR(db, rc, "commit");
        (void)sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
        db->in_txn = false;
        return MK_ERR;
    }
    db->in_txn = false;
    return MK_OK;
}

MK_RESULT cat_rollback(cat_db *db)
{
    ENSURE_MSG(db->in_txn, MK_E_STATE, "catalog: no transaction to roll back");
    db->in_txn = false;
    GUARD(cat_exec(db, "ROLLBACK"));
    return MK_OK;
}

bool cat_in_transaction(const cat_db *db) { return db->in_txn; }

void cat_set_conn_source(cat_db *db, cat_conn_source_fn fn, void *ctx)
{
    db->conn_fn = fn;
    db->conn_ctx = fn != NULL ? ctx : NULL;
}

void cat_set_link_source(cat_db *db, cat_link_state_fn fn, void *ctx)
{
    db->link_fn = fn;
    db->link_ctx = fn != NULL ? ctx : NULL;
}
