/*
 * Rendering of principal and permission statements: logins, users, GRANT /
 * REVOKE / DENY and ALTER AUTHORIZATION (see sql/render.h). Login passwords
 * are always written as '******'.
 */
#include "internal.h"

#include "sql/render.h"

/* `, ` before every option but the first. */
static MK_RESULT opt(mk_buf *out, bool *first, const char *text)
{
    GUARD(sql_r_str(out, *first ? " " : ", "));
    *first = false;
    return sql_r_str(out, text);
}

static MK_RESULT render_login_opts(const sql_login_opts *o, bool first, mk_buf *out)
{
    if (o->has_password) {
        GUARD(opt(out, &first, "PASSWORD = "));
        GUARD(sql_r_secret(out));
        if (o->has_old_password) {
            GUARD(sql_r_str(out, " OLD_PASSWORD = "));
            GUARD(sql_r_secret(out));
        }
        GUARD(sql_r_str(out, o->must_change ? " MUST_CHANGE" : ""));
        GUARD(sql_r_str(out, o->unlock ? " UNLOCK" : ""));
    }
    if (o->has_check_policy) {
        GUARD(opt(out, &first, "CHECK_POLICY = "));
        GUARD(sql_r_on_off(out, o->check_policy));
    }
    if (o->has_check_expiration) {
        GUARD(opt(out, &first, "CHECK_EXPIRATION = "));
        GUARD(sql_r_on_off(out, o->check_expiration));
    }
    if (o->has_default_database) {
        GUARD(opt(out, &first, "DEFAULT_DATABASE = "));
        GUARD(sql_r_name(out, o->default_database));
    }
    if (o->has_default_language) {
        GUARD(opt(out, &first, "DEFAULT_LANGUAGE = "));
        GUARD(sql_r_name(out, o->default_language));
    }
    if (o->has_new_name) {
        GUARD(opt(out, &first, "NAME = "));
        GUARD(sql_r_name(out, o->new_name));
    }
    return MK_OK;
}

/* True when any option of the set is present (FROM WINDOWS [WITH ...]). */
static bool any_login_opt(const sql_login_opts *o)
{
    return o->has_password || o->has_check_policy || o->has_check_expiration ||
           o->has_default_database || o->has_default_language || o->has_new_name;
}

static MK_RESULT render_login_source(const sql_login_stmt *l, mk_buf *out)
{
    switch (l->source) {
    case SQL_LOGIN_PASSWORD:
        GUARD(sql_r_str(out, " WITH"));
        return render_login_opts(&l->opts, true, out);
    case SQL_LOGIN_CERTIFICATE:
        GUARD(sql_r_str(out, " FROM CERTIFICATE "));
        return sql_r_name(out, l->source_name);
    case SQL_LOGIN_ASYMMETRIC_KEY:
        GUARD(sql_r_str(out, " FROM ASYMMETRIC KEY "));
        return sql_r_name(out, l->source_name);
    case SQL_LOGIN_EXTERNAL_PROVIDER: return sql_r_str(out, " FROM EXTERNAL PROVIDER");
    case SQL_LOGIN_WINDOWS:
        GUARD(sql_r_str(out, " FROM WINDOWS"));
        if (!any_login_opt(&l->opts)) {
            return MK_OK;
        }
        GUARD(sql_r_str(out, " WITH"));
        return render_login_opts(&l->opts, true, out);
    }
    BAIL_MSG(MK_E_INTERNAL, "unknown login source %d", (int)l->source);
}

MK_RESULT sql_render_login(const sql_stmt *s, mk_buf *out)
{
    const sql_login_stmt *l = &s->u.login;
    GUARD(sql_r_str(out, sql_stmt_kind_name(s->kind)));
    GUARD(sql_r_str(out, " "));
    GUARD(sql_r_name(out, l->name));
    if (s->kind == SQL_STMT_CREATE_LOGIN) {
        return render_login_source(l, out);
    }
    switch (l->action) {
    case SQL_LOGIN_ENABLE: return sql_r_str(out, " ENABLE");
    case SQL_LOGIN_DISABLE: return sql_r_str(out, " DISABLE");
    case SQL_LOGIN_OPTIONS: break;
    }
    GUARD(sql_r_str(out, " WITH"));
    return render_login_opts(&l->opts, true, out);
}

MK_RESULT sql_render_user(const sql_stmt *s, mk_buf *out)
{
    const sql_create_user_stmt *u = &s->u.create_user;
    static const char *const sources[] = {
        [SQL_USER_IMPLICIT] = "",
        [SQL_USER_LOGIN] = " FOR LOGIN ",
        [SQL_USER_WITHOUT_LOGIN] = " WITHOUT LOGIN",
        [SQL_USER_CERTIFICATE] = " FOR CERTIFICATE ",
        [SQL_USER_ASYMMETRIC_KEY] = " FOR ASYMMETRIC KEY ",
        [SQL_USER_EXTERNAL_PROVIDER] = " FROM EXTERNAL PROVIDER",
    };
    GUARD(sql_r_str(out, "CREATE USER "));
    GUARD(sql_r_name(out, u->name));
    GUARD(sql_r_str(out, sources[u->source]));
    if (u->source_name != NULL) {
        GUARD(sql_r_name(out, u->source_name));
    }
    if (u->has_default_schema) {
        GUARD(sql_r_str(out, " WITH DEFAULT_SCHEMA = "));
        GUARD(sql_r_name(out, u->default_schema));
    }
    return MK_OK;
}

static MK_RESULT render_securable(const sql_securable *sec, mk_buf *out)
{
    if (sec->class_name != NULL) {
        GUARD(sql_r_str(out, sec->class_name));
        GUARD(sql_r_str(out, "::"));
    }
    return sql_r_objname(out, &sec->name);
}

/* names[0..n) as `[a], [b]`. */
static MK_RESULT name_list(mk_buf *out, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        GUARD(sql_r_str(out, i > 0 ? ", " : ""));
        GUARD(sql_r_name(out, names[i]));
    }
    return MK_OK;
}

MK_RESULT sql_render_perm(const sql_stmt *s, mk_buf *out)
{
    const sql_perm_stmt *g = &s->u.perm;
    GUARD(sql_r_str(out, sql_stmt_kind_name(s->kind)));
    GUARD(sql_r_str(out, g->grant_option_for ? " GRANT OPTION FOR " : " "));
    for (size_t i = 0; i < g->nperms; i++) {
        GUARD(sql_r_str(out, i > 0 ? ", " : ""));
        GUARD(sql_r_str(out, g->perms[i]));
    }
    if (g->has_on) {
        GUARD(sql_r_str(out, " ON "));
        GUARD(render_securable(&g->on, out));
    }
    GUARD(sql_r_str(out, s->kind == SQL_STMT_REVOKE ? " FROM " : " TO "));
    GUARD(name_list(out, g->principals, g->nprincipals));
    GUARD(sql_r_str(out, g->with_grant_option ? " WITH GRANT OPTION" : ""));
    GUARD(sql_r_str(out, g->cascade ? " CASCADE" : ""));
    if (g->has_as) {
        GUARD(sql_r_str(out, " AS "));
        GUARD(sql_r_name(out, g->as_principal));
    }
    return MK_OK;
}

MK_RESULT sql_render_alter_auth(const sql_stmt *s, mk_buf *out)
{
    const sql_alter_auth_stmt *a = &s->u.alter_auth;
    GUARD(sql_r_str(out, "ALTER AUTHORIZATION ON "));
    GUARD(render_securable(&a->on, out));
    if (a->to_schema_owner) {
        return sql_r_str(out, " TO SCHEMA OWNER");
    }
    GUARD(sql_r_str(out, " TO "));
    return sql_r_name(out, a->principal);
}
