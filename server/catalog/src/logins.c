/*
 * Server principals: SQL logins with their password verifiers, the fixed
 * server roles and role membership, login authentication. See
 * catalog/principals.h for ids and the drop rules.
 */
#include "catalog/principals.h"

#include <string.h>

#include <openssl/crypto.h>

#include "catalog/verifier.h"
#include "internal.h"

#define LOGIN_COLS                                                                                 \
    "SELECT p.principal_id, p.name, p.type, p.sid, p.is_disabled, p.is_fixed_role,"                \
    " p.create_date, p.modify_date, p.default_database_name,"                                      \
    " v.iterations, v.salt, v.hash"                                                                \
    " FROM server_principals p LEFT JOIN login_verifiers v USING (principal_id)"

static const char sql_login_by_name[] = LOGIN_COLS " WHERE p.name = ?1";
static const char sql_login_by_id[] = LOGIN_COLS " WHERE p.principal_id = ?1";

/* Fill *out (and *v when the login has a well-formed verifier) from a LOGIN_COLS row. */
static void read_login(sqlite3_stmt *st, cat_login *out, cat_verifier *v)
{
    memset(out, 0, sizeof(*out));
    cat_read_principal_head(st, &out->principal_id, out->name, sizeof(out->name), &out->type,
                            out->sid, sizeof(out->sid), &out->sid_len);
    out->is_disabled = sqlite3_column_int64(st, 4) != 0;
    out->is_fixed_role = sqlite3_column_int64(st, 5) != 0;
    out->create_date = sqlite3_column_int64(st, 6);
    out->modify_date = sqlite3_column_int64(st, 7);
    const char *dbname = (const char *)sqlite3_column_text(st, 8);
    cat_copy_text(out->default_database, sizeof(out->default_database),
                  dbname != NULL ? dbname : "");
    bool ok = sqlite3_column_type(st, 9) == SQLITE_INTEGER &&
              sqlite3_column_bytes(st, 10) == CAT_VERIFIER_SALT_LEN &&
              sqlite3_column_bytes(st, 11) == CAT_VERIFIER_HASH_LEN;
    out->has_password = ok;
    if (v != NULL && ok) {
        int64_t it = sqlite3_column_int64(st, 9);
        v->iterations = it > 0 && it <= CAT_PBKDF2_MAX_ITERATIONS ? (uint32_t)it : 0;
        memcpy(v->salt, sqlite3_column_blob(st, 10), CAT_VERIFIER_SALT_LEN);
        memcpy(v->hash, sqlite3_column_blob(st, 11), CAT_VERIFIER_HASH_LEN);
    }
}

/* Look up by name, or by id when name is NULL; *found false when absent. */
static MK_RESULT find_login(cat_db *db, const char *name, int32_t id, bool *found, cat_login *out,
                            cat_verifier *v)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, name != NULL ? sql_login_by_name : sql_login_by_id, &st));
    if (name != NULL) {
        GUARD_OUT(cat_bind_text(db, st, 1, name));
    } else {
        GUARD_OUT(cat_bind_int(db, st, 1, id));
    }
    GUARD_OUT(cat_step(db, st, found));
    if (*found) {
        read_login(st, out, v);
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_login_get(cat_db *db, const char *name, cat_login *out)
{
    bool found = false;
    ENSURE_MSG(name != NULL, MK_E_INVALID, "login name missing");
    GUARD(find_login(db, name, 0, &found, out, NULL));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_NOT_FOUND, name, "server principal '%s' not found", name);
    }
    return MK_OK;
}

MK_RESULT cat_login_get_by_id(cat_db *db, int32_t principal_id, cat_login *out)
{
    bool found = false;
    GUARD(find_login(db, NULL, principal_id, &found, out, NULL));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_NOT_FOUND, NULL, "server principal %d not found",
                 (int)principal_id);
    }
    return MK_OK;
}

/* A SQL login by name (roles do not count), else CAT_R_LOGIN_MISSING. */
static MK_RESULT require_sql_login(cat_db *db, const char *name, cat_login *out, cat_verifier *v)
{
    bool found = false;
    GUARD(find_login(db, name, 0, &found, out, v));
    if (!found || out->type != 'S') {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_LOGIN_MISSING, name, "'%s' is not a valid login", name);
    }
    return MK_OK;
}

static MK_RESULT store_verifier(cat_db *db, int32_t id, const cat_verifier *v)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(
        cat_prepare(db, "INSERT OR REPLACE INTO login_verifiers VALUES (?1, ?2, ?3, ?4)", &st));
    GUARD_OUT(cat_bind_int(db, st, 1, id));
    GUARD_OUT(cat_bind_int(db, st, 2, v->iterations));
    GUARD_OUT(cat_bind_blob(db, st, 3, v->salt, sizeof(v->salt)));
    GUARD_OUT(cat_bind_blob(db, st, 4, v->hash, sizeof(v->hash)));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT insert_login(cat_db *db, int32_t id, const char *name, const uint8_t *sid,
                              const char *default_db)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          "INSERT INTO server_principals VALUES"
                          " (?1, ?2, ?3, 'S', 0, ?4, ?4, ?5, 'us_english', NULL, 0)",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, id));
    GUARD_OUT(cat_bind_text(db, st, 2, name));
    GUARD_OUT(cat_bind_blob(db, st, 3, sid, 16));
    GUARD_OUT(cat_bind_int(db, st, 4, cat_now_ms()));
    GUARD_OUT(cat_bind_text(db, st, 5, default_db));
    GUARD_OUT(cat_step_done(db, st));
    sqlite3_finalize(st);
    st = NULL;
    /* SQL Server grants CONNECT SQL to every new login, with sa as grantor. */
    GUARD_OUT(cat_prepare(
        db, "INSERT INTO server_permissions VALUES (100, 0, 0, ?1, 1, 'COSQ', 'G')", &st));
    GUARD_OUT(cat_bind_int(db, st, 1, id));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT login_create_locked(cat_db *db, const char *name, const cat_verifier *v,
                                     const char *default_db, int32_t *principal_id)
{
    bool found = false;
    int64_t ignored = 0;
    GUARD(cat_lookup_int_by_text(db, "SELECT principal_id FROM server_principals WHERE name = ?1",
                                 name, &found, &ignored));
    if (found) {
        CAT_BAIL(MK_E_EXISTS, CAT_R_EXISTS, name, "The server principal '%s' already exists.",
                 name);
    }
    GUARD(cat_lookup_int_by_text(db, "SELECT database_id FROM databases WHERE name = ?1",
                                 default_db, &found, &ignored));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_NOT_FOUND, default_db, "database '%s' does not exist",
                 default_db);
    }
    int32_t id = 0;
    uint8_t sid[16];
    GUARD(cat_next_id(db, "SELECT max(principal_id) FROM server_principals", CAT_FIRST_LOGIN_ID,
                      &id));
    GUARD(cat_random(sid, sizeof(sid)));
    GUARD(insert_login(db, id, name, sid, default_db));
    GUARD(store_verifier(db, id, v));
    if (principal_id != NULL) {
        *principal_id = id;
    }
    return MK_OK;
}

MK_RESULT cat_login_create(cat_db *db, const char *name, const uint8_t *pw, size_t len,
                           const char *default_db, int32_t *principal_id)
{
    GUARD(cat_check_name(name, "login"));
    const char *dbname = default_db != NULL ? default_db : "master";
    GUARD(cat_check_name(dbname, "database"));
    /* Derive before taking the write lock: PBKDF2 is deliberately slow. */
    cat_verifier v;
    GUARD(cat_verifier_make(pw, len, &v));
    mk_result r = cat_atomic_begin(db);
    if (mk_ok(r)) {
        r = cat_atomic_end(db, login_create_locked(db, name, &v, dbname, principal_id));
    }
    OPENSSL_cleanse(&v, sizeof(v));
    return r;
}

static MK_RESULT touch_login(cat_db *db, int32_t id)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          "UPDATE server_principals SET modify_date = ?2"
                          " WHERE principal_id = ?1",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, id));
    GUARD_OUT(cat_bind_int(db, st, 2, cat_now_ms()));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT set_password_locked(cat_db *db, const char *name, const cat_verifier *v)
{
    cat_login l;
    GUARD(require_sql_login(db, name, &l, NULL));
    GUARD(store_verifier(db, l.principal_id, v));
    return touch_login(db, l.principal_id);
}

MK_RESULT cat_login_set_password(cat_db *db, const char *name, const uint8_t *pw, size_t len)
{
    ENSURE_MSG(name != NULL, MK_E_INVALID, "login name missing");
    cat_verifier v;
    GUARD(cat_verifier_make(pw, len, &v));
    mk_result r = cat_atomic_begin(db);
    if (mk_ok(r)) {
        r = cat_atomic_end(db, set_password_locked(db, name, &v));
    }
    OPENSSL_cleanse(&v, sizeof(v));
    return r;
}

static MK_RESULT set_disabled_locked(cat_db *db, const char *name, bool disabled)
{
    cat_login l;
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD(require_sql_login(db, name, &l, NULL));
    GUARD_OUT(cat_prepare(db,
                          "UPDATE server_principals SET is_disabled = ?2, modify_date = ?3"
                          " WHERE principal_id = ?1",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, l.principal_id));
    GUARD_OUT(cat_bind_int(db, st, 2, disabled ? 1 : 0));
    GUARD_OUT(cat_bind_int(db, st, 3, cat_now_ms()));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_login_set_disabled(cat_db *db, const char *name, bool disabled)
{
    ENSURE_MSG(name != NULL, MK_E_INVALID, "login name missing");
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, set_disabled_locked(db, name, disabled));
}

/* The in-use rules of DROP LOGIN (principals.h). */
static MK_RESULT check_login_unused(cat_db *db, const cat_login *l)
{
    char other[CAT_NAME_MAX + 1];
    bool found = false;
    GUARD(cat_lookup_text_by_int(db, "SELECT name FROM endpoints WHERE principal_id = ?1",
                                 l->principal_id, &found, other, sizeof(other)));
    if (found) {
        CAT_BAIL(MK_E_STATE, CAT_R_LOGIN_OWNS_ENDPOINT, other,
                 "The server principal '%s' owns endpoint '%s' and cannot be dropped.", l->name,
                 other);
    }
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, "SELECT name FROM database_principals WHERE sid = ?1", &st));
    GUARD_OUT(cat_bind_blob(db, st, 1, l->sid, l->sid_len));
    GUARD_OUT(cat_step(db, st, &found));
    if (found) {
        cat_copy_text(other, sizeof(other), (const char *)sqlite3_column_text(st, 0));
        CAT_BAIL_OUT(MK_E_STATE, CAT_R_LOGIN_HAS_USER, other,
                     "The login '%s' is mapped to user '%s' in master; drop the user first.",
                     l->name, other);
    }
    int64_t n = 0;
    GUARD_OUT(cat_lookup_int_by_int(db,
                                    "SELECT count(*) FROM server_permissions"
                                    " WHERE grantor_principal_id = ?1"
                                    " AND grantee_principal_id <> grantor_principal_id",
                                    l->principal_id, &found, &n));
    if (n > 0) {
        CAT_BAIL_OUT(MK_E_STATE, CAT_R_LOGIN_HAS_GRANTED, l->name,
                     "Server principal '%s' has granted one or more permission(s). Revoke the "
                     "permission(s) before dropping the server principal.",
                     l->name);
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT login_drop_locked(cat_db *db, const char *name)
{
    cat_login l;
    bool found = false;
    GUARD(find_login(db, name, 0, &found, &l, NULL));
    if (!found || l.type != 'S') {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_NOT_FOUND, name,
                 "Cannot drop the login '%s', because it does not exist or you do not have "
                 "permission.",
                 name);
    }
    if (l.principal_id == CAT_SA_ID) {
        CAT_BAIL(MK_E_PERM, CAT_R_FIXED_PRINCIPAL, name, "Cannot use the special principal '%s'.",
                 name);
    }
    GUARD(check_login_unused(db, &l));
    /* Verifier, memberships and permissions granted to it cascade. */
    return cat_run_int(db, "DELETE FROM server_principals WHERE principal_id = ?1", l.principal_id);
}

MK_RESULT cat_login_drop(cat_db *db, const char *name)
{
    ENSURE_MSG(name != NULL, MK_E_INVALID, "login name missing");
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, login_drop_locked(db, name));
}

/* Spend one key derivation so that failures take as long as a real check. */
static void burn_derivation(const uint8_t *pw, size_t len)
{
    cat_verifier dummy = {.iterations = cat_verifier_iterations()};
    bool match = false;
    mk_result ignored = cat_verifier_check(&dummy, pw, len, &match);
    (void)ignored;
}

MK_RESULT cat_login_authenticate(cat_db *db, const char *name, const uint8_t *pw, size_t len,
                                 int32_t *principal_id)
{
    ENSURE_MSG(name != NULL && (pw != NULL || len == 0), MK_E_INVALID, "login arguments");
    cat_login l;
    cat_verifier v = {0};
    bool found = false;
    GUARD(find_login(db, name, 0, &found, &l, &v));
    if (!found || l.type != 'S') {
        burn_derivation(pw, len);
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_LOGIN_MISSING, name, "login '%s' does not exist", name);
    }
    if (!l.has_password) {
        burn_derivation(pw, len);
        CAT_BAIL(MK_E_STATE, CAT_R_NO_PASSWORD, name, "login '%s' has no password", name);
    }
    bool match = false;
    GUARD(cat_verifier_check(&v, pw, len, &match));
    if (!match) {
        CAT_BAIL(MK_E_PERM, CAT_R_BAD_PASSWORD, name, "password mismatch for login '%s'", name);
    }
    if (l.is_disabled) {
        CAT_BAIL(MK_E_STATE, CAT_R_LOGIN_DISABLED, name, "login '%s' is disabled", name);
    }
    if (principal_id != NULL) {
        *principal_id = l.principal_id;
    }
    return MK_OK;
}

/* A fixed server role by name (public is not a fixed role). */
static MK_RESULT require_fixed_role(cat_db *db, const char *role, cat_login *out)
{
    bool found = false;
    GUARD(find_login(db, role, 0, &found, out, NULL));
    if (!found || out->type != 'R' || !out->is_fixed_role) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_NOT_FOUND, role, "server role '%s' not found", role);
    }
    return MK_OK;
}

static MK_RESULT role_member_locked(cat_db *db, const char *role, const char *login, bool add)
{
    cat_login r, l;
    GUARD(require_fixed_role(db, role, &r));
    GUARD(require_sql_login(db, login, &l, NULL));
    if (!add && r.principal_id == CAT_SYSADMIN_ID && l.principal_id == CAT_SA_ID) {
        CAT_BAIL(MK_E_PERM, CAT_R_FIXED_PRINCIPAL, login, "Cannot use the special principal 'sa'.");
    }
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          add ? "INSERT OR IGNORE INTO server_role_members VALUES (?1, ?2)"
                              : "DELETE FROM server_role_members"
                                " WHERE role_id = ?1 AND member_id = ?2",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, r.principal_id));
    GUARD_OUT(cat_bind_int(db, st, 2, l.principal_id));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_server_role_add_member(cat_db *db, const char *role, const char *login)
{
    ENSURE_MSG(role != NULL && login != NULL, MK_E_INVALID, "role arguments");
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, role_member_locked(db, role, login, true));
}

MK_RESULT cat_server_role_drop_member(cat_db *db, const char *role, const char *login)
{
    ENSURE_MSG(role != NULL && login != NULL, MK_E_INVALID, "role arguments");
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, role_member_locked(db, role, login, false));
}

MK_RESULT cat_login_is_sysadmin(cat_db *db, int32_t principal_id, bool *is_sysadmin)
{
    int64_t ignored = 0;
    return cat_lookup_int_by_int(db,
                                 "SELECT 1 FROM server_role_members"
                                 " WHERE role_id = 3 AND member_id = ?1",
                                 principal_id, is_sysadmin, &ignored);
}
