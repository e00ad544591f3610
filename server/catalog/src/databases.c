/*
 * Databases and their mirroring columns: a minimal store for the later
 * ALTER DATABASE ... SET PARTNER / WITNESS work. See catalog/databases.h.
 */
#include "catalog/databases.h"

#include <string.h>

#include "internal.h"

#define DB_SELECT                                                                                  \
    "SELECT database_id, name, state, create_date, mirroring_guid, mirroring_state,"               \
    " mirroring_role, mirroring_partner_name, mirroring_partner_instance,"                         \
    " mirroring_witness_name, mirroring_witness_state, mirroring_partner_cert FROM databases"
#define DB_COLS DB_SELECT " WHERE name = ?1"

static const char *col_text(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t != NULL ? t : "";
}

static void read_db(sqlite3_stmt *st, cat_database *d)
{
    memset(d, 0, sizeof(*d));
    d->database_id = (int32_t)sqlite3_column_int64(st, 0);
    cat_copy_text(d->name, sizeof(d->name), col_text(st, 1));
    d->state = sqlite3_column_int(st, 2);
    d->create_date = sqlite3_column_int64(st, 3);
    d->is_mirrored = sqlite3_column_type(st, 4) != SQLITE_NULL;
    if (!d->is_mirrored) {
        return;
    }
    cat_copy_text(d->mirroring_guid, sizeof(d->mirroring_guid), col_text(st, 4));
    d->mirroring.state = sqlite3_column_int(st, 5);
    d->mirroring.role = sqlite3_column_int(st, 6);
    cat_copy_text(d->mirroring.partner_name, sizeof(d->mirroring.partner_name), col_text(st, 7));
    cat_copy_text(d->mirroring.partner_instance, sizeof(d->mirroring.partner_instance),
                  col_text(st, 8));
    cat_copy_text(d->mirroring.witness_name, sizeof(d->mirroring.witness_name), col_text(st, 9));
    d->mirroring.witness_state = sqlite3_column_int(st, 10);
    d->mirroring.partner_cert_id = (int32_t)sqlite3_column_int64(st, 11);
}

static MK_RESULT find_db(cat_db *db, const char *name, bool *found, cat_database *out)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, DB_COLS, &st));
    GUARD_OUT(cat_bind_text(db, st, 1, name));
    GUARD_OUT(cat_step(db, st, found));
    if (*found) {
        read_db(st, out);
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

/* The database by name, else MK_E_NOT_FOUND + CAT_R_NOT_FOUND. */
static MK_RESULT require_db(cat_db *db, const char *name, cat_database *out)
{
    bool found = false;
    ENSURE_MSG(name != NULL, MK_E_INVALID, "database name missing");
    GUARD(find_db(db, name, &found, out));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_NOT_FOUND, name, "Database '%s' does not exist.", name);
    }
    return MK_OK;
}

MK_RESULT cat_database_get(cat_db *db, const char *name, cat_database *out)
{
    return require_db(db, name, out);
}

static MK_RESULT create_locked(cat_db *db, const char *name, int32_t *database_id)
{
    cat_database d;
    bool found = false;
    GUARD(find_db(db, name, &found, &d));
    if (found) {
        CAT_BAIL(MK_E_EXISTS, CAT_R_EXISTS, name, "Database '%s' already exists.", name);
    }
    int32_t id = 0;
    GUARD(cat_next_id(db, "SELECT max(database_id) FROM databases", CAT_FIRST_DATABASE_ID, &id));
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          "INSERT INTO databases (database_id, name, owner_sid, create_date,"
                          " state) VALUES (?1, ?2, x'01', ?3, 0)",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, id));
    GUARD_OUT(cat_bind_text(db, st, 2, name));
    GUARD_OUT(cat_bind_int(db, st, 3, cat_now_ms()));
    GUARD_OUT(cat_step_done(db, st));
    if (database_id != NULL) {
        *database_id = id;
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_database_create(cat_db *db, const char *name, int32_t *database_id)
{
    GUARD(cat_check_name(name, "database"));
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, create_locked(db, name, database_id));
}

static MK_RESULT require_user_db(cat_db *db, const char *name, cat_database *d)
{
    GUARD(require_db(db, name, d));
    ENSURE_MSG(d->database_id >= CAT_FIRST_DATABASE_ID, MK_E_PERM, "'%s' is a system database",
               d->name);
    return MK_OK;
}

static MK_RESULT drop_locked(cat_db *db, const char *name)
{
    cat_database d;
    GUARD(require_user_db(db, name, &d));
    return cat_run_int(db, "DELETE FROM databases WHERE database_id = ?1", d.database_id);
}

MK_RESULT cat_database_drop(cat_db *db, const char *name)
{
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, drop_locked(db, name));
}

static MK_RESULT set_state_locked(cat_db *db, const char *name, int state)
{
    cat_database d;
    GUARD(require_db(db, name, &d));
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, "UPDATE databases SET state = ?2 WHERE database_id = ?1", &st));
    GUARD_OUT(cat_bind_int(db, st, 1, d.database_id));
    GUARD_OUT(cat_bind_int(db, st, 2, state));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_database_set_state(cat_db *db, const char *name, int state)
{
    ENSURE_MSG((state >= 0 && state <= 7) || state == 10, MK_E_INVALID,
               "database state %d out of range", state);
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, set_state_locked(db, name, state));
}

static MK_RESULT check_mirroring(const cat_mirroring *m)
{
    ENSURE_MSG(m != NULL, MK_E_INVALID, "mirroring settings missing");
    ENSURE_MSG(m->state >= 0 && m->state <= 6, MK_E_INVALID, "mirroring state %d out of range",
               m->state);
    ENSURE_MSG(m->role == CAT_MIR_PRINCIPAL || m->role == CAT_MIR_MIRROR, MK_E_INVALID,
               "mirroring role %d out of range", m->role);
    ENSURE_MSG(m->partner_cert_id >= 0, MK_E_INVALID, "partner certificate id %d",
               (int)m->partner_cert_id);
    ENSURE_MSG(m->witness_state >= 0 && m->witness_state <= 2, MK_E_INVALID,
               "witness state %d out of range", m->witness_state);
    const char *fields[] = {m->partner_name, m->partner_instance, m->witness_name};
    for (size_t i = 0; i < 3; i++) {
        ENSURE_MSG(memchr(fields[i], 0, CAT_ADDRESS_MAX + 1) != NULL, MK_E_INVALID,
                   "mirroring address not terminated");
    }
    ENSURE_MSG(m->partner_name[0] != '\0', MK_E_INVALID, "mirroring partner address missing");
    return MK_OK;
}

static MK_RESULT set_mirroring_locked(cat_db *db, const char *name, const cat_mirroring *m)
{
    cat_database d;
    GUARD(require_user_db(db, name, &d));
    char guid[37];
    if (d.is_mirrored) {
        cat_copy_text(guid, sizeof(guid), d.mirroring_guid);
    } else {
        GUARD(cat_random_guid(guid));
    }
    bool witness = m->witness_name[0] != '\0';
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          "UPDATE databases SET mirroring_guid = ?2, mirroring_state = ?3,"
                          " mirroring_role = ?4, mirroring_partner_name = ?5,"
                          " mirroring_partner_instance = ?6, mirroring_witness_name = ?7,"
                          " mirroring_witness_state = ?8, mirroring_partner_cert = ?9"
                          " WHERE database_id = ?1",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, d.database_id));
    GUARD_OUT(cat_bind_text(db, st, 2, guid));
    GUARD_OUT(cat_bind_int(db, st, 3, m->state));
    GUARD_OUT(cat_bind_int(db, st, 4, m->role));
    GUARD_OUT(cat_bind_text(db, st, 5, m->partner_name));
    GUARD_OUT(cat_bind_text(db, st, 6, m->partner_instance[0] ? m->partner_instance : NULL));
    GUARD_OUT(cat_bind_text(db, st, 7, witness ? m->witness_name : NULL));
    GUARD_OUT(cat_bind_int(db, st, 8, witness ? m->witness_state : CAT_WIT_UNKNOWN));
    if (m->partner_cert_id > 0) {
        GUARD_OUT(cat_bind_int(db, st, 9, m->partner_cert_id));
    }
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_database_set_mirroring(cat_db *db, const char *name, const cat_mirroring *m)
{
    GUARD(check_mirroring(m));
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, set_mirroring_locked(db, name, m));
}

static MK_RESULT clear_locked(cat_db *db, const char *name)
{
    cat_database d;
    GUARD(require_db(db, name, &d));
    return cat_run_int(db,
                       "UPDATE databases SET mirroring_guid = NULL, mirroring_state = NULL,"
                       " mirroring_role = NULL, mirroring_partner_name = NULL,"
                       " mirroring_partner_instance = NULL, mirroring_witness_name = NULL,"
                       " mirroring_witness_state = NULL, mirroring_partner_cert = NULL"
                       " WHERE database_id = ?1",
                       d.database_id);
}

MK_RESULT cat_database_clear_mirroring(cat_db *db, const char *name)
{
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, clear_locked(db, name));
}

MK_RESULT cat_database_foreach_mirrored(cat_db *db, cat_database_fn fn, void *arg)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    bool row = false;
    GUARD_OUT(
        cat_prepare(db, DB_SELECT " WHERE mirroring_guid IS NOT NULL ORDER BY database_id", &st));
    for (;;) {
        GUARD_OUT(cat_step(db, st, &row));
        if (!row) {
            break;
        }
        cat_database d;
        read_db(st, &d);
        GUARD_OUT(fn(arg, &d));
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}
