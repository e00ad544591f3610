/*
 * GRANT / REVOKE / DENY CONNECT ON ENDPOINT::e (the seeds' inbound step 5)
 * and ALTER AUTHORIZATION ON { CERTIFICATE::c TO user | ENDPOINT::e TO
 * login }.
 *
 * CONNECT on an endpoint is the one permission mirrorkey checks; every other
 * permission, securable class, GRANT OPTION FOR and AS is refused with
 * 40508 rather than silently recorded. The grantor is the login running the
 * statement. A statement naming several grantees changes all or none (one
 * catalog transaction).
 */
#include <string.h>
#include <strings.h>

#include "catalog/endpoints.h"
#include "catalog/perms.h"
#include "internal.h"

static void err_unsupported(sql_error *err, int line, const char *what)
{
    sql_error_set(err, EXEC_ERR_NOT_SUPPORTED, 16, 1, line, "%s is not supported by mirrorkey.",
                  what);
}

/* Only CONNECT ON ENDPOINT::e, without GRANT OPTION FOR or AS. */
static mk_result perm_supported(const sql_stmt *stmt, sql_error *err)
{
    const sql_perm_stmt *g = &stmt->u.perm;
    if (g->nperms != 1 || strcmp(g->perms[0], "CONNECT") != 0) {
        err_unsupported(err, stmt->line, "A permission other than CONNECT");
        return MK_ERR;
    }
    if (!g->has_on || g->on.cls != SQL_CLASS_ENDPOINT || g->on.name.nparts != 1) {
        err_unsupported(err, stmt->line, "CONNECT on a securable other than ENDPOINT::name");
        return MK_ERR;
    }
    if (g->grant_option_for || g->has_as) {
        err_unsupported(err, stmt->line, "REVOKE GRANT OPTION FOR and the AS clause");
        return MK_ERR;
    }
    return MK_OK;
}

/* One grantee: GRANT, DENY or REVOKE its row. */
static mk_result apply_one(exec_session *s, const sql_stmt *stmt, int32_t endpoint_id,
                           const char *grantee, sql_error *err)
{
    const sql_perm_stmt *g = &stmt->u.perm;
    cat_login l;
    if (mk_failed(cat_login_get(s->db, grantee, &l))) {
        exec_error_from_catalog(err, stmt->line, "login", grantee);
        return MK_ERR;
    }
    cat_perm p = {.type = CAT_PERM_CONNECT,
                  .major_id = endpoint_id,
                  .grantee_id = l.principal_id,
                  .grantor_id = s->who.login_id};
    bool removed = false;
    cat_perm_state state = stmt->kind == SQL_STMT_DENY ? CAT_PERM_DENY
                           : g->with_grant_option      ? CAT_PERM_GRANT_WITH_GRANT
                                                       : CAT_PERM_GRANT;
    /* REVOKE of a permission that is not there is not an error (SQL Server). */
    mk_result r = stmt->kind == SQL_STMT_REVOKE ? cat_perm_revoke(s->db, &p, &removed)
                                                : cat_perm_set(s->db, &p, state);
    if (mk_failed(r)) {
        exec_error_from_catalog(err, stmt->line, "login", grantee);
        return MK_ERR;
    }
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_PERMISSION, l.name))) {
        exec_error_internal(err, stmt->line, "changing the permission");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_perm(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                    sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_perm_stmt *g = &stmt->u.perm;
    GUARD(perm_supported(stmt, err));
    cat_endpoint ep;
    const char *ep_name = g->on.name.name;
    if (mk_failed(cat_endpoint_get(s->db, ep_name, &ep))) {
        exec_error_from_catalog(err, stmt->line, "endpoint", ep_name);
        return MK_ERR;
    }
    for (size_t i = 0; i < g->nprincipals; i++) {
        GUARD(apply_one(s, stmt, ep.endpoint_id, g->principals[i], err));
    }
    return MK_OK;
}

/* ALTER AUTHORIZATION ON CERTIFICATE::c TO user. */
static mk_result certificate_owner(exec_session *s, const sql_stmt *stmt, sql_error *err)
{
    const sql_alter_auth_stmt *a = &stmt->u.alter_auth;
    const char *name = a->on.name.name;
    cat_cert cert;
    cat_user u;
    memset(&cert, 0, sizeof(cert));
    if (mk_failed(cat_cert_get_by_name(s->db, name, &cert))) {
        exec_error_from_catalog(err, stmt->line, "certificate", name);
        return MK_ERR;
    }
    cat_cert_cleanup(&cert);
    if (mk_failed(cat_user_get(s->db, a->principal, &u))) {
        exec_error_from_catalog(err, stmt->line, "user", a->principal);
        return MK_ERR;
    }
    if (u.type != 'S') {
        /* SQL Server: certificates cannot be owned by a role. */
        sql_error_set(err, 15151, 16, 1, stmt->line,
                      "Cannot find the user '%s', because it does not exist or you do not have "
                      "permission.",
                      a->principal);
        return MK_ERR;
    }
    if (mk_failed(cat_cert_set_owner(s->db, name, u.principal_id))) {
        exec_error_from_catalog(err, stmt->line, "user", a->principal);
        return MK_ERR;
    }
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_CERTIFICATE, name))) {
        exec_error_internal(err, stmt->line, "changing the owner");
        return MK_ERR;
    }
    return MK_OK;
}

/* ALTER AUTHORIZATION ON ENDPOINT::e TO login. */
static mk_result endpoint_owner(exec_session *s, const sql_stmt *stmt, sql_error *err)
{
    const sql_alter_auth_stmt *a = &stmt->u.alter_auth;
    const char *name = a->on.name.name;
    cat_endpoint ep;
    cat_login l;
    if (mk_failed(cat_endpoint_get(s->db, name, &ep))) {
        exec_error_from_catalog(err, stmt->line, "endpoint", name);
        return MK_ERR;
    }
    if (mk_failed(cat_login_get(s->db, a->principal, &l))) {
        exec_error_from_catalog(err, stmt->line, "login", a->principal);
        return MK_ERR;
    }
    ep.owner_id = l.principal_id;
    if (mk_failed(cat_endpoint_alter(s->db, name, &ep, CAT_EPF_OWNER))) {
        exec_error_from_catalog(err, stmt->line, "login", a->principal);
        return MK_ERR;
    }
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_ENDPOINT, name))) {
        exec_error_internal(err, stmt->line, "changing the owner");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_alter_authorization(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                   exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_alter_auth_stmt *a = &stmt->u.alter_auth;
    if (a->to_schema_owner || a->on.name.nparts != 1) {
        err_unsupported(err, stmt->line,
                        "ALTER AUTHORIZATION TO SCHEMA OWNER or on a qualified "
                        "name");
        return MK_ERR;
    }
    switch (a->on.cls) {
    case SQL_CLASS_CERTIFICATE: return certificate_owner(s, stmt, err);
    case SQL_CLASS_ENDPOINT: return endpoint_owner(s, stmt, err);
    default:
        err_unsupported(err, stmt->line,
                        "ALTER AUTHORIZATION on a securable other than CERTIFICATE:: or "
                        "ENDPOINT::");
        return MK_ERR;
    }
}
