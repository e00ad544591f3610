/*
 * CREATE / ALTER / DROP ENDPOINT for the instance's one DATABASE_MIRRORING
 * endpoint (DESIGN.md "Endpoint", notes/tsql.md). These statements only
 * record the endpoint in the catalog; the endpoint layer listens, and learns
 * of every committed change through the instance's change hook
 * (exec_instance_config.on_change, EXEC_CHANGE_ENDPOINT).
 *
 * SQL Server's defaults apply (STATE = STOPPED, LISTENER_IP = ALL,
 * ENCRYPTION = REQUIRED ALGORITHM AES), with mirrorkey's refusals:
 * authentication must be CERTIFICATE (50105), and that certificate must have
 * its private key on the token (50108); ENCRYPTION = DISABLED (50106) and
 * any RC4 algorithm (50107) are refused, since endpoint traffic is never
 * sent in clear or with RC4.
 *
 * When a statement makes the endpoint listen somewhere new (created
 * STARTED or STOPPED, a new port or address, or out of DISABLED), the
 * instance's port hook says whether that port is free; one held by another
 * process refuses the statement with SQL Server's 7890 and changes nothing.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "catalog/endpoints.h"
#include "internal.h"
#include "p11/key.h"

static void err_option(sql_error *err, int line, const char *text)
{
    sql_error_set(err, EXEC_ERR_ENDPOINT_OPTION, 16, 1, line, "%s", text);
}

/* AUTHENTICATION = CERTIFICATE c, with c's private key on the token. */
static mk_result apply_auth(exec_session *s, int line, const sql_ep_auth *a, cat_endpoint *ep,
                            sql_error *err)
{
    if (a->windows || !a->certificate) {
        sql_error_set(err, EXEC_ERR_WINDOWS_AUTH, 16, 1, line,
                      "mirrorkey endpoints authenticate with certificates only: use "
                      "AUTHENTICATION = CERTIFICATE <name> (Windows authentication is not "
                      "supported).");
        return MK_ERR;
    }
    cat_cert cert;
    memset(&cert, 0, sizeof(cert));
    if (mk_failed(cat_cert_get_by_name(s->db, a->certificate_name, &cert))) {
        exec_error_from_catalog(err, line, "certificate", a->certificate_name);
        return MK_ERR;
    }
    mk_result r = MK_ERR;
    p11_key *key = NULL;
    if (strcmp(cert.pvt_key_encryption_type, "HS") != 0 || cert.token_id == NULL) {
        sql_error_set(err, EXEC_ERR_CERT_NOT_IN_HSM, 16, 1, line,
                      "The certificate '%s' has no private key in the HSM; an endpoint needs a "
                      "certificate created on this instance WITH SUBJECT.",
                      a->certificate_name);
    } else if (s->inst->token == NULL || mk_failed(p11_key_find_by_id(s->inst->token, cert.token_id,
                                                                      cert.token_id_len, &key))) {
        sql_error_set(err, EXEC_ERR_CERT_NOT_IN_HSM, 16, 1, line,
                      "The private key of certificate '%s' was not found in the HSM: %s",
                      a->certificate_name,
                      s->inst->token == NULL ? "no HSM token is configured" : mk_error_message());
    } else {
        ep->connection_auth = CAT_EP_AUTH_CERTIFICATE;
        ep->certificate_id = cert.certificate_id;
        r = MK_OK;
    }
    p11_key_unref(key);
    cat_cert_cleanup(&cert);
    return r;
}

/* ENCRYPTION = { REQUIRED | SUPPORTED } [ALGORITHM AES]. */
static mk_result apply_encryption(int line, const sql_ep_mirroring *m, cat_endpoint *ep,
                                  sql_error *err)
{
    if (m->encryption == SQL_EP_ENC_DISABLED) {
        sql_error_set(err, EXEC_ERR_NO_ENCRYPTION, 16, 1, line,
                      "mirrorkey never sends endpoint traffic in clear: ENCRYPTION = DISABLED is "
                      "refused. Use ENCRYPTION = REQUIRED ALGORITHM AES.");
        return MK_ERR;
    }
    if (m->has_algorithm && m->algorithm != SQL_EP_ALG_AES) {
        sql_error_set(err, EXEC_ERR_RC4, 16, 1, line,
                      "The RC4 algorithm is not supported by mirrorkey: use ALGORITHM AES.");
        return MK_ERR;
    }
    ep->encryption_enabled = true;
    ep->encryption_algorithm =
        m->encryption == SQL_EP_ENC_REQUIRED ? CAT_EP_ALG_AES : CAT_EP_ALG_NONE_AES;
    return MK_OK;
}

/* AS TCP (LISTENER_PORT = n, LISTENER_IP = ...): the named parts. */
static mk_result apply_tcp(int line, const sql_ep_tcp *tcp, cat_endpoint *ep, unsigned *fields,
                           sql_error *err)
{
    if (tcp->has_port) {
        if (tcp->port < 1 || tcp->port > 65535) {
            err_option(err, line, "LISTENER_PORT must be between 1 and 65535.");
            return MK_ERR;
        }
        ep->port = (int)tcp->port;
        *fields |= CAT_EPF_PORT;
    }
    if (tcp->has_ip) {
        uint8_t addr[16];
        ep->ip_address[0] = '\0';
        if (!tcp->ip_all) {
            int af = inet_pton(AF_INET, tcp->ip, addr) == 1    ? AF_INET
                     : inet_pton(AF_INET6, tcp->ip, addr) == 1 ? AF_INET6
                                                               : 0;
            if (af == 0 ||
                inet_ntop(af, addr, ep->ip_address, (socklen_t)sizeof(ep->ip_address)) == NULL) {
                err_option(err, line, "LISTENER_IP must be ALL or an IPv4 or IPv6 address.");
                return MK_ERR;
            }
        }
        *fields |= CAT_EPF_IP;
    }
    return MK_OK;
}

/* FOR DATABASE_MIRRORING (...): the named parts. */
static mk_result apply_mirroring(exec_session *s, int line, const sql_ep_mirroring *m,
                                 cat_endpoint *ep, unsigned *fields, sql_error *err)
{
    if (m->has_encryption) {
        GUARD(apply_encryption(line, m, ep, err));
        *fields |= CAT_EPF_ENCRYPTION;
    }
    if (m->has_role) {
        ep->role = m->role == SQL_EP_ROLE_WITNESS   ? CAT_EP_WITNESS
                   : m->role == SQL_EP_ROLE_PARTNER ? CAT_EP_PARTNER
                                                    : CAT_EP_ALL;
        *fields |= CAT_EPF_ROLE;
    }
    /* Last: it looks the certificate up in the catalog and on the token. */
    if (m->has_auth) {
        GUARD(apply_auth(s, line, &m->auth, ep, err));
        *fields |= CAT_EPF_AUTH;
    }
    return MK_OK;
}

/* Whether the endpoint listens in this state (STARTED and STOPPED both do). */
static bool listens(int state) { return state == CAT_EP_STARTED || state == CAT_EP_STOPPED; }

/*
 * 7890 when another process holds the port the endpoint is to listen on.
 * Other failures of the hook do not refuse the statement: the endpoint
 * layer logs them when it tries to listen.
 */
static mk_result check_port(exec_session *s, int line, const cat_endpoint *ep, sql_error *err)
{
    if (s->inst->port_check == NULL || !listens(ep->state)) {
        return MK_OK;
    }
    if (mk_ok(s->inst->port_check(s->inst->hook_arg, ep->ip_address, ep->port)) ||
        mk_error_code() != MK_E_EXISTS) {
        return MK_OK;
    }
    sql_error_set(err, 7890, 16, 1, line,
                  "An error occurred while attempting to register the endpoint '%s'. One or more "
                  "of the ports specified in the CREATE ENDPOINT statement may be bound to another "
                  "process. Attempt the statement again with a different port or use netstat to "
                  "find the application currently using the port and resolve the conflict.",
                  ep->name);
    return MK_ERR;
}

/* Whether ALTER ENDPOINT moves where the endpoint listens (then the port is checked again). */
static bool listener_moved(const cat_endpoint *before, const cat_endpoint *after)
{
    return !listens(before->state) || before->port != after->port ||
           strcmp(before->ip_address, after->ip_address) != 0;
}

/* The login named by AUTHORIZATION. */
static mk_result owner_login(exec_session *s, int line, const char *name, int32_t *id,
                             sql_error *err)
{
    cat_login l;
    if (mk_failed(cat_login_get(s->db, name, &l))) {
        exec_error_from_catalog(err, line, "login", name);
        return MK_ERR;
    }
    *id = l.principal_id;
    return MK_OK;
}

/* State, owner, transport and payload options named by the statement. */
static mk_result apply_all(exec_session *s, const sql_stmt *stmt, cat_endpoint *ep,
                           unsigned *fields, sql_error *err)
{
    const sql_endpoint_stmt *e = &stmt->u.endpoint;
    if (e->has_transport && e->transport != SQL_EP_TCP) {
        sql_error_set(err, EXEC_ERR_NOT_SUPPORTED, 16, 1, stmt->line,
                      "mirrorkey endpoints use TCP only (AS %s is not supported).",
                      e->transport_name);
        return MK_ERR;
    }
    if (e->has_state) {
        ep->state = e->state == SQL_EP_STARTED   ? CAT_EP_STARTED
                    : e->state == SQL_EP_STOPPED ? CAT_EP_STOPPED
                                                 : CAT_EP_DISABLED;
        *fields |= CAT_EPF_STATE;
    }
    if (e->has_owner) {
        GUARD(owner_login(s, stmt->line, e->owner, &ep->owner_id, err));
        *fields |= CAT_EPF_OWNER;
    }
    if (e->has_transport) {
        GUARD(apply_tcp(stmt->line, &e->tcp, ep, fields, err));
    }
    if (e->has_payload) {
        GUARD(apply_mirroring(s, stmt->line, &e->mirroring, ep, fields, err));
    }
    return MK_OK;
}

mk_result exec_create_endpoint(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                               exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_endpoint_stmt *e = &stmt->u.endpoint;
    if (e->payload != SQL_EP_MIRRORING) {
        sql_error_set(err, EXEC_ERR_NOT_SUPPORTED, 16, 1, stmt->line,
                      "mirrorkey supports DATABASE_MIRRORING endpoints only (FOR %s is not "
                      "supported).",
                      e->payload_name);
        return MK_ERR;
    }
    if (e->transport != SQL_EP_TCP) {
        sql_error_set(err, EXEC_ERR_NOT_SUPPORTED, 16, 1, stmt->line,
                      "mirrorkey endpoints use TCP only (AS %s is not supported).",
                      e->transport_name);
        return MK_ERR;
    }
    cat_endpoint ep;
    memset(&ep, 0, sizeof(ep));
    snprintf(ep.name, sizeof(ep.name), "%s", e->name);
    ep.owner_id = s->who.login_id;
    ep.state = CAT_EP_STOPPED;
    ep.encryption_enabled = true;
    ep.encryption_algorithm = CAT_EP_ALG_AES;
    unsigned fields = 0;
    if (!e->tcp.has_port) {
        err_option(err, stmt->line, "LISTENER_PORT is required.");
        return MK_ERR;
    }
    if (!e->mirroring.has_role) {
        err_option(err, stmt->line, "ROLE is required for a DATABASE_MIRRORING endpoint.");
        return MK_ERR;
    }
    if (!e->mirroring.has_auth) {
        /* SQL Server's default is WINDOWS NEGOTIATE, which mirrorkey does not offer. */
        sql_ep_auth none;
        memset(&none, 0, sizeof(none));
        GUARD(apply_auth(s, stmt->line, &none, &ep, err));
    }
    GUARD(apply_all(s, stmt, &ep, &fields, err));
    int32_t id = 0;
    if (mk_failed(cat_endpoint_create(s->db, &ep, &id))) {
        exec_error_from_catalog(err, stmt->line, "endpoint", e->name);
        return MK_ERR;
    }
    GUARD(check_port(s, stmt->line, &ep, err));
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_ENDPOINT, e->name))) {
        exec_error_internal(err, stmt->line, "creating the endpoint");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_alter_endpoint(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                              exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_endpoint_stmt *e = &stmt->u.endpoint;
    cat_endpoint ep;
    if (mk_failed(cat_endpoint_get(s->db, e->name, &ep))) {
        exec_error_from_catalog(err, stmt->line, "endpoint", e->name);
        return MK_ERR;
    }
    if (e->has_payload && e->payload != SQL_EP_MIRRORING) {
        sql_error_set(err, 7860, 16, 1, stmt->line,
                      "The payload type of endpoint '%s' cannot be changed. Drop the endpoint and "
                      "create it again with the new payload.",
                      e->name);
        return MK_ERR;
    }
    unsigned fields = 0;
    cat_endpoint before = ep;
    GUARD(apply_all(s, stmt, &ep, &fields, err));
    if (mk_failed(cat_endpoint_alter(s->db, e->name, &ep, fields))) {
        exec_error_from_catalog(err, stmt->line, "endpoint", e->name);
        return MK_ERR;
    }
    if (listener_moved(&before, &ep)) {
        GUARD(check_port(s, stmt->line, &ep, err));
    }
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_ENDPOINT, e->name))) {
        exec_error_internal(err, stmt->line, "altering the endpoint");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_drop_endpoint(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                             exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const char *name = stmt->u.name.name;
    if (mk_failed(cat_endpoint_drop(s->db, name))) {
        exec_error_from_catalog(err, stmt->line, "endpoint", name);
        return MK_ERR;
    }
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_ENDPOINT, name))) {
        exec_error_internal(err, stmt->line, "dropping the endpoint");
        return MK_ERR;
    }
    return MK_OK;
}
