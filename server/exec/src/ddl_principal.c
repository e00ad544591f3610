/*
 * Logins and users: CREATE / ALTER / DROP LOGIN and CREATE / DROP USER, the
 * seeds' inbound steps 1 and 2 (a login for the peer, a user for that login
 * that will own the peer's certificate), plus SQL Server's password policy.
 *
 * mirrorkey has SQL logins with passwords only; Windows, certificate-mapped
 * and external logins, password expiration (CHECK_EXPIRATION, MUST_CHANGE),
 * renames and default database or language changes are refused with 40508.
 * Passwords are borrowed from the statement (wiped by the executor after
 * it) and never copied into messages.
 */
#include <string.h>
#include <strings.h>

#include "catalog/verifier.h"
#include "internal.h"

/* 15151 with the verb SQL Server uses for logins ("alter", "drop"), else the catalog's mapping. */
static void err_login(sql_error *err, int line, const char *verb, const char *name)
{
    cat_reason why = cat_error_reason();
    if (why == CAT_R_NOT_FOUND || why == CAT_R_LOGIN_MISSING) {
        sql_error_set(err, 15151, 16, 1, line,
                      "Cannot %s the login '%s', because it does not exist or you do not have "
                      "permission.",
                      verb, name);
        return;
    }
    exec_error_from_catalog(err, line, "login", name);
}

static void err_unsupported(sql_error *err, int line, const char *what)
{
    sql_error_set(err, EXEC_ERR_NOT_SUPPORTED, 16, 1, line, "%s is not supported by mirrorkey.",
                  what);
}

mk_result exec_check_password(const char *login, const char *pw, bool check_policy, int line,
                              sql_error *err)
{
    static const char prefix[] =
        "Password validation failed. The password does not meet SQL Server password policy "
        "requirements because it";
    size_t len = pw != NULL ? strlen(pw) : 0;
    cat_pw_rule rule = cat_password_policy_check(login, (const uint8_t *)pw, len);
    if (!check_policy && rule != CAT_PW_TOO_LONG && rule != CAT_PW_BAD_UTF8) {
        return MK_OK;
    }
    switch (rule) {
    case CAT_PW_OK: return MK_OK;
    case CAT_PW_TOO_SHORT:
        sql_error_set(err, 15116, 16, 1, line, "%s is too short.", prefix);
        break;
    case CAT_PW_TOO_LONG: sql_error_set(err, 15117, 16, 1, line, "%s is too long.", prefix); break;
    case CAT_PW_CONTAINS_NAME:
    case CAT_PW_NOT_COMPLEX:
    case CAT_PW_BAD_UTF8:
        sql_error_set(err, 15118, 16, 1, line,
                      "%s is not complex enough. The password must be at least 8 characters "
                      "long, must not contain the login name, and must contain characters from "
                      "three of the following four sets: uppercase letters, lowercase letters, "
                      "digits, and symbols.",
                      prefix);
        break;
    }
    return MK_ERR;
}

/* Options of CREATE LOGIN that mirrorkey does not implement. */
static mk_result login_options_supported(const sql_login_opts *o, int line, sql_error *err)
{
    if (o->must_change || (o->has_check_expiration && o->check_expiration)) {
        err_unsupported(err, line, "Password expiration (MUST_CHANGE, CHECK_EXPIRATION = ON)");
        return MK_ERR;
    }
    if (o->has_default_language && strcasecmp(o->default_language, "us_english") != 0 &&
        strcasecmp(o->default_language, "English") != 0) {
        err_unsupported(err, line, "A DEFAULT_LANGUAGE other than us_english");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_create_login(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                            exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_login_stmt *l = &stmt->u.login;
    const sql_login_opts *o = &l->opts;
    if (l->source != SQL_LOGIN_PASSWORD) {
        err_unsupported(err, stmt->line,
                        "CREATE LOGIN without a password (FROM WINDOWS, CERTIFICATE, ASYMMETRIC "
                        "KEY or EXTERNAL PROVIDER)");
        return MK_ERR;
    }
    GUARD(login_options_supported(o, stmt->line, err));
    bool policy = o->has_check_policy ? o->check_policy : true;
    GUARD(exec_check_password(l->name, o->password, policy, stmt->line, err));
    int32_t id = 0;
    const char *db = o->has_default_database ? o->default_database : NULL;
    if (mk_ok(cat_login_create(s->db, l->name, (const uint8_t *)o->password, strlen(o->password),
                               db, &id))) {
        return MK_OK;
    }
    if (cat_error_reason() == CAT_R_NOT_FOUND && db != NULL) {
        sql_error_set(err, 15010, 16, 1, stmt->line,
                      "The database '%s' does not exist. Supply a valid database name. To see "
                      "available databases, use sys.databases.",
                      db);
    } else {
        exec_error_from_catalog(err, stmt->line, "login", l->name);
    }
    return MK_ERR;
}

/* OLD_PASSWORD, when given, must be the login's current password. */
static mk_result check_old_password(exec_session *s, const sql_login_stmt *l, int line,
                                    sql_error *err)
{
    int32_t id = 0;
    const char *old = l->opts.old_password;
    if (!l->opts.has_old_password) {
        return MK_OK;
    }
    if (mk_ok(cat_login_authenticate(s->db, l->name, (const uint8_t *)old, strlen(old), &id)) ||
        cat_error_reason() == CAT_R_LOGIN_DISABLED) {
        return MK_OK; /* disabled is only reported after a matching password */
    }
    sql_error_set(err, 15151, 16, 1, line,
                  "Cannot alter the login '%s', because it does not exist or you do not have "
                  "permission.",
                  l->name);
    return MK_ERR;
}

/* ALTER LOGIN l WITH PASSWORD = 'pw' [OLD_PASSWORD = 'old'] [UNLOCK] [, CHECK_POLICY = ...]. */
static mk_result alter_login_options(exec_session *s, const sql_stmt *stmt, sql_error *err)
{
    const sql_login_stmt *l = &stmt->u.login;
    const sql_login_opts *o = &l->opts;
    if (o->has_new_name || o->has_default_database || o->has_default_language) {
        err_unsupported(err, stmt->line,
                        "ALTER LOGIN with NAME, DEFAULT_DATABASE or "
                        "DEFAULT_LANGUAGE");
        return MK_ERR;
    }
    GUARD(login_options_supported(o, stmt->line, err));
    if (!o->has_password) {
        /* CHECK_POLICY is not stored: it applies to the password set in the same statement. */
        err_unsupported(err, stmt->line, "ALTER LOGIN without a new PASSWORD");
        return MK_ERR;
    }
    bool policy = o->has_check_policy ? o->check_policy : true;
    GUARD(exec_check_password(l->name, o->password, policy, stmt->line, err));
    GUARD(check_old_password(s, l, stmt->line, err));
    if (mk_failed(cat_login_set_password(s->db, l->name, (const uint8_t *)o->password,
                                         strlen(o->password)))) {
        err_login(err, stmt->line, "alter", l->name);
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_alter_login(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                           exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_login_stmt *l = &stmt->u.login;
    if (l->action == SQL_LOGIN_OPTIONS) {
        GUARD(alter_login_options(s, stmt, err));
    } else if (mk_failed(cat_login_set_disabled(s->db, l->name, l->action == SQL_LOGIN_DISABLE))) {
        err_login(err, stmt->line, "alter", l->name);
        return MK_ERR;
    }
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_LOGIN, l->name))) {
        exec_error_internal(err, stmt->line, "altering the login");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_drop_login(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                          exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const char *name = stmt->u.name.name;
    if (strcasecmp(name, s->who.login_name) == 0) {
        sql_error_set(err, 15434, 16, 1, stmt->line,
                      "Could not drop login '%s' as the user is currently logged in.", name);
        return MK_ERR;
    }
    if (mk_failed(cat_login_drop(s->db, name))) {
        err_login(err, stmt->line, "drop", name);
        return MK_ERR;
    }
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_LOGIN, name))) {
        exec_error_internal(err, stmt->line, "dropping the login");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_create_user(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                           exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_create_user_stmt *u = &stmt->u.create_user;
    if (u->source != SQL_USER_LOGIN && u->source != SQL_USER_IMPLICIT) {
        err_unsupported(err, stmt->line,
                        "CREATE USER without a login (WITHOUT LOGIN, FOR CERTIFICATE, ASYMMETRIC "
                        "KEY or EXTERNAL PROVIDER)");
        return MK_ERR;
    }
    if (u->has_default_schema && strcasecmp(u->default_schema, "dbo") != 0) {
        err_unsupported(err, stmt->line, "A DEFAULT_SCHEMA other than dbo");
        return MK_ERR;
    }
    /* CREATE USER u without FOR LOGIN maps the login of the same name. */
    const char *login = u->source == SQL_USER_LOGIN ? u->source_name : u->name;
    int32_t id = 0;
    if (mk_failed(cat_user_create_for_login(s->db, u->name, login, &id))) {
        exec_error_from_catalog(err, stmt->line, "user",
                                cat_error_reason() == CAT_R_LOGIN_MISSING ? login : u->name);
        return MK_ERR;
    }
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_USER, u->name))) {
        exec_error_internal(err, stmt->line, "creating the user");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_drop_user(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                         exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_name_stmt *n = &stmt->u.name;
    if (mk_failed(cat_user_drop(s->db, n->name))) {
        if (n->if_exists && cat_error_reason() == CAT_R_NOT_FOUND) {
            return MK_OK;
        }
        exec_error_from_catalog(err, stmt->line, "user", n->name);
        return MK_ERR;
    }
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_USER, n->name))) {
        exec_error_internal(err, stmt->line, "dropping the user");
        return MK_ERR;
    }
    return MK_OK;
}
