/*
 * Logins and users (after the dispatcher's two words):
 *
 *   CREATE LOGIN l { WITH PASSWORD = 'pw' [MUST_CHANGE] [, option...]
 *                  | FROM CERTIFICATE c | FROM ASYMMETRIC KEY k
 *                  | FROM WINDOWS [WITH option [, ...]] | FROM EXTERNAL PROVIDER }
 *   ALTER LOGIN l { ENABLE | DISABLE | WITH option [, option...] }
 *   option := CHECK_POLICY = {ON|OFF} | CHECK_EXPIRATION = {ON|OFF}
 *           | DEFAULT_DATABASE = db | DEFAULT_LANGUAGE = lang
 *           | (ALTER) PASSWORD = 'pw' [OLD_PASSWORD = 'old'] [MUST_CHANGE] [UNLOCK]
 *           | (ALTER) NAME = new_name
 *   CREATE USER u [ { FOR | FROM } LOGIN l | WITHOUT LOGIN
 *                 | { FOR | FROM } CERTIFICATE c | { FOR | FROM } ASYMMETRIC KEY k
 *                 | FROM EXTERNAL PROVIDER ] [WITH DEFAULT_SCHEMA = s]
 *
 * Hashed passwords (HASHED) are not accepted: mirrorkey keeps its own
 * verifiers. Sources other than a password or certificate parse so that the
 * executor can refuse them clearly.
 */
#include "internal.h"

/* PASSWORD = 'pw' followed by its trailing words. */
static MK_RESULT password_option(sql_parser *p, bool alter, sql_login_opts *o)
{
    GUARD(sql_p_once(p, &o->has_password));
    GUARD(sql_p_expect_kw(p, "PASSWORD"));
    GUARD(sql_p_eq_password(p, &o->password));
    for (;;) {
        if (sql_p_is_kw(p, "MUST_CHANGE")) {
            GUARD(sql_p_once(p, &o->must_change));
            (void)sql_p_next(p);
        } else if (alter && sql_p_is_kw(p, "UNLOCK")) {
            GUARD(sql_p_once(p, &o->unlock));
            (void)sql_p_next(p);
        } else if (alter && sql_p_is_kw(p, "OLD_PASSWORD")) {
            GUARD(sql_p_once(p, &o->has_old_password));
            (void)sql_p_next(p);
            GUARD(sql_p_eq_password(p, &o->old_password));
        } else {
            return MK_OK;
        }
    }
}

/* `KW = ON|OFF` */
static MK_RESULT on_off_option(sql_parser *p, const char *kw, bool *seen, bool *value)
{
    GUARD(sql_p_once(p, seen));
    GUARD(sql_p_expect_kw_eq(p, kw));
    return sql_p_on_off(p, value);
}

/* `KW = name` */
static MK_RESULT name_option(sql_parser *p, const char *kw, bool *seen, const char **value)
{
    GUARD(sql_p_once(p, seen));
    GUARD(sql_p_expect_kw_eq(p, kw));
    return sql_p_name(p, value);
}

static MK_RESULT login_option(sql_parser *p, bool alter, sql_login_opts *o)
{
    if (sql_p_is_kw(p, "CHECK_POLICY")) {
        return on_off_option(p, "CHECK_POLICY", &o->has_check_policy, &o->check_policy);
    }
    if (sql_p_is_kw(p, "CHECK_EXPIRATION")) {
        return on_off_option(p, "CHECK_EXPIRATION", &o->has_check_expiration, &o->check_expiration);
    }
    if (sql_p_is_kw(p, "DEFAULT_DATABASE")) {
        return name_option(p, "DEFAULT_DATABASE", &o->has_default_database, &o->default_database);
    }
    if (sql_p_is_kw(p, "DEFAULT_LANGUAGE")) {
        return name_option(p, "DEFAULT_LANGUAGE", &o->has_default_language, &o->default_language);
    }
    if (alter && sql_p_is_kw(p, "PASSWORD")) {
        return password_option(p, true, o);
    }
    if (alter && sql_p_is_kw(p, "NAME")) {
        return name_option(p, "NAME", &o->has_new_name, &o->new_name);
    }
    return sql_p_syntax_error(p);
}

/* FROM { CERTIFICATE c | ASYMMETRIC KEY k | WINDOWS [WITH ...] | EXTERNAL PROVIDER } */
static MK_RESULT login_from(sql_parser *p, sql_login_stmt *l)
{
    if (sql_p_accept_kw(p, "CERTIFICATE")) {
        l->source = SQL_LOGIN_CERTIFICATE;
        return sql_p_name(p, &l->source_name);
    }
    if (sql_p_accept_kw(p, "ASYMMETRIC")) {
        l->source = SQL_LOGIN_ASYMMETRIC_KEY;
        GUARD(sql_p_expect_kw(p, "KEY"));
        return sql_p_name(p, &l->source_name);
    }
    if (sql_p_accept_kw(p, "EXTERNAL")) {
        l->source = SQL_LOGIN_EXTERNAL_PROVIDER;
        return sql_p_expect_kw(p, "PROVIDER");
    }
    GUARD(sql_p_expect_kw(p, "WINDOWS"));
    l->source = SQL_LOGIN_WINDOWS;
    if (sql_p_accept_kw(p, "WITH")) {
        do {
            GUARD(login_option(p, false, &l->opts));
        } while (sql_p_accept(p, SQL_TOK_COMMA));
    }
    return MK_OK;
}

MK_RESULT sql_parse_create_login(sql_parser *p, sql_stmt *s)
{
    sql_login_stmt *l = &s->u.login;
    GUARD(sql_p_name(p, &l->name));
    if (sql_p_accept_kw(p, "FROM")) {
        return login_from(p, l);
    }
    GUARD(sql_p_expect_kw(p, "WITH"));
    l->source = SQL_LOGIN_PASSWORD;
    GUARD(password_option(p, false, &l->opts));
    while (sql_p_accept(p, SQL_TOK_COMMA)) {
        GUARD(login_option(p, false, &l->opts));
    }
    return MK_OK;
}

MK_RESULT sql_parse_alter_login(sql_parser *p, sql_stmt *s)
{
    sql_login_stmt *l = &s->u.login;
    GUARD(sql_p_name(p, &l->name));
    if (sql_p_accept_kw(p, "ENABLE")) {
        l->action = SQL_LOGIN_ENABLE;
        return MK_OK;
    }
    if (sql_p_accept_kw(p, "DISABLE")) {
        l->action = SQL_LOGIN_DISABLE;
        return MK_OK;
    }
    GUARD(sql_p_expect_kw(p, "WITH"));
    l->action = SQL_LOGIN_OPTIONS;
    do {
        GUARD(login_option(p, true, &l->opts));
    } while (sql_p_accept(p, SQL_TOK_COMMA));
    return MK_OK;
}

/* What follows FOR or FROM in CREATE USER. */
static MK_RESULT user_source(sql_parser *p, bool from, sql_create_user_stmt *u)
{
    if (sql_p_accept_kw(p, "LOGIN")) {
        u->source = SQL_USER_LOGIN;
        return sql_p_name(p, &u->source_name);
    }
    if (sql_p_accept_kw(p, "CERTIFICATE")) {
        u->source = SQL_USER_CERTIFICATE;
        return sql_p_name(p, &u->source_name);
    }
    if (sql_p_accept_kw(p, "ASYMMETRIC")) {
        u->source = SQL_USER_ASYMMETRIC_KEY;
        GUARD(sql_p_expect_kw(p, "KEY"));
        return sql_p_name(p, &u->source_name);
    }
    if (from && sql_p_accept_kw(p, "EXTERNAL")) {
        u->source = SQL_USER_EXTERNAL_PROVIDER;
        return sql_p_expect_kw(p, "PROVIDER");
    }
    return sql_p_syntax_error(p);
}

MK_RESULT sql_parse_create_user(sql_parser *p, sql_stmt *s)
{
    sql_create_user_stmt *u = &s->u.create_user;
    GUARD(sql_p_name(p, &u->name));
    if (sql_p_accept_kw(p, "WITHOUT")) {
        u->source = SQL_USER_WITHOUT_LOGIN;
        GUARD(sql_p_expect_kw(p, "LOGIN"));
    } else if (sql_p_is_kw(p, "FOR") || sql_p_is_kw(p, "FROM")) {
        bool from = sql_p_is_kw(p, "FROM");
        (void)sql_p_next(p);
        GUARD(user_source(p, from, u));
    }
    if (!sql_p_accept_kw(p, "WITH")) {
        return MK_OK;
    }
    return name_option(p, "DEFAULT_SCHEMA", &u->has_default_schema, &u->default_schema);
}
