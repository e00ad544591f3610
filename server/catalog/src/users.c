/*
 * Database principals of master: the fixed users and roles created with the
 * catalog and users created FOR LOGIN, which share their login's sid (that
 * is the whole mapping, as in SQL Server). See catalog/principals.h.
 */
#include "catalog/principals.h"

#include <string.h>

#include "internal.h"

#define USER_COLS                                                                                  \
    "SELECT principal_id, name, type, sid, create_date, modify_date FROM database_principals"

static void read_user(sqlite3_stmt *st, cat_user *out)
{
    memset(out, 0, sizeof(*out));
    cat_read_principal_head(st, &out->principal_id, out->name, sizeof(out->name), &out->type,
                            out->sid, sizeof(out->sid), &out->sid_len);
    out->create_date = sqlite3_column_int64(st, 4);
    out->modify_date = sqlite3_column_int64(st, 5);
    out->is_fixed = out->principal_id < CAT_FIRST_USER_ID;
}

static MK_RESULT find_user(cat_db *db, const char *name, int32_t id, bool *found, cat_user *out)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(
        db, name != NULL ? USER_COLS " WHERE name = ?1" : USER_COLS " WHERE principal_id = ?1",
        &st));
    if (name != NULL) {
        GUARD_OUT(cat_bind_text(db, st, 1, name));
    } else {
        GUARD_OUT(cat_bind_int(db, st, 1, id));
    }
    GUARD_OUT(cat_step(db, st, found));
    if (*found) {
        read_user(st, out);
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_user_get(cat_db *db, const char *name, cat_user *out)
{
    bool found = false;
    ENSURE_MSG(name != NULL, MK_E_INVALID, "user name missing");
    GUARD(find_user(db, name, 0, &found, out));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_NOT_FOUND, name, "user '%s' not found", name);
    }
    return MK_OK;
}

MK_RESULT cat_user_get_by_id(cat_db *db, int32_t principal_id, cat_user *out)
{
    bool found = false;
    GUARD(find_user(db, NULL, principal_id, &found, out));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_NOT_FOUND, NULL, "database principal %d not found",
                 (int)principal_id);
    }
    return MK_OK;
}

/* The user holding sid, if any: *found and its name. */
static MK_RESULT user_by_sid(cat_db *db, const uint8_t *sid, size_t sid_len, bool *found,
                             cat_user *out)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, USER_COLS " WHERE sid = ?1", &st));
    GUARD_OUT(cat_bind_blob(db, st, 1, sid, sid_len));
    GUARD_OUT(cat_step(db, st, found));
    if (*found) {
        read_user(st, out);
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT insert_user(cat_db *db, int32_t id, const char *name, const cat_login *l)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          "INSERT INTO database_principals VALUES"
                          " (?1, ?2, 'S', 'dbo', ?3, ?3, NULL, ?4, 0, 1)",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, id));
    GUARD_OUT(cat_bind_text(db, st, 2, name));
    GUARD_OUT(cat_bind_int(db, st, 3, cat_now_ms()));
    GUARD_OUT(cat_bind_blob(db, st, 4, l->sid, l->sid_len));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT user_create_locked(cat_db *db, const char *name, const char *login,
                                    int32_t *principal_id)
{
    cat_user u;
    cat_login l;
    bool found = false;
    GUARD(find_user(db, name, 0, &found, &u));
    if (found) {
        CAT_BAIL(MK_E_EXISTS, CAT_R_EXISTS, name,
                 "User, group, or role '%s' already exists in the current database.", name);
    }
    mk_result r = cat_login_get(db, login, &l);
    if (mk_failed(r) || l.type != 'S') {
        if (mk_failed(r) && mk_error_code() != MK_E_NOT_FOUND) {
            return MK_ERR;
        }
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_LOGIN_MISSING, login,
                 "'%s' is not a valid login or you do not have permission.", login);
    }
    GUARD(user_by_sid(db, l.sid, l.sid_len, &found, &u));
    if (found) {
        CAT_BAIL(MK_E_EXISTS, CAT_R_LOGIN_MAPPED, u.name,
                 "The login already has an account under a different user name ('%s').", u.name);
    }
    int32_t id = 0;
    GUARD(cat_next_id(db,
                      "SELECT max(principal_id) FROM database_principals"
                      " WHERE principal_id < 16384",
                      CAT_FIRST_USER_ID, &id));
    GUARD(insert_user(db, id, name, &l));
    if (principal_id != NULL) {
        *principal_id = id;
    }
    return MK_OK;
}

MK_RESULT cat_user_create_for_login(cat_db *db, const char *name, const char *login,
                                    int32_t *principal_id)
{
    GUARD(cat_check_name(name, "user"));
    ENSURE_MSG(login != NULL, MK_E_INVALID, "login name missing");
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, user_create_locked(db, name, login, principal_id));
}

static MK_RESULT user_drop_locked(cat_db *db, const char *name)
{
    cat_user u;
    bool found = false;
    GUARD(find_user(db, name, 0, &found, &u));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_NOT_FOUND, name,
                 "Cannot drop the user '%s', because it does not exist or you do not have "
                 "permission.",
                 name);
    }
    if (u.is_fixed) {
        CAT_BAIL(MK_E_PERM, CAT_R_FIXED_PRINCIPAL, u.name, "Cannot drop the user '%s'.", u.name);
    }
    char cert[CAT_NAME_MAX + 1];
    GUARD(cat_lookup_text_by_int(db, "SELECT name FROM certificates WHERE principal_id = ?1",
                                 u.principal_id, &found, cert, sizeof(cert)));
    if (found) {
        CAT_BAIL(MK_E_STATE, CAT_R_USER_OWNS_CERT, cert,
                 "The database principal owns a certificate ('%s') in the database, and cannot "
                 "be dropped.",
                 cert);
    }
    return cat_run_int(db, "DELETE FROM database_principals WHERE principal_id = ?1",
                       u.principal_id);
}

MK_RESULT cat_user_drop(cat_db *db, const char *name)
{
    ENSURE_MSG(name != NULL, MK_E_INVALID, "user name missing");
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, user_drop_locked(db, name));
}

MK_RESULT cat_user_for_login(cat_db *db, int32_t login_id, int32_t *user_id)
{
    cat_login l;
    cat_user u;
    bool found = false;
    mk_result r = cat_login_get_by_id(db, login_id, &l);
    if (mk_failed(r) || l.type != 'S') {
        if (mk_failed(r) && mk_error_code() != MK_E_NOT_FOUND) {
            return MK_ERR;
        }
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_LOGIN_MISSING, NULL, "login %d not found", (int)login_id);
    }
    GUARD(user_by_sid(db, l.sid, l.sid_len, &found, &u));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_USER_MISSING, l.name, "login '%s' has no user in master",
                 l.name);
    }
    *user_id = u.principal_id;
    return MK_OK;
}

MK_RESULT cat_login_for_user(cat_db *db, int32_t user_id, int32_t *login_id)
{
    bool found = false;
    int64_t id = 0;
    GUARD(cat_lookup_int_by_int(db,
                                "SELECT s.principal_id FROM database_principals d"
                                " JOIN server_principals s ON s.sid = d.sid AND s.type = 'S'"
                                " WHERE d.principal_id = ?1",
                                user_id, &found, &id));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_LOGIN_MISSING, NULL, "user %d maps to no login",
                 (int)user_id);
    }
    *login_id = (int32_t)id;
    return MK_OK;
}
