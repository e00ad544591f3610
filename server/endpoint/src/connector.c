/*
 * The outbound side: connect to a partner or witness endpoint with our
 * certificate, check the acceptor's certificate against our own catalog
 * exactly as an inbound peer's (28035 / 28055 / 28034), send HELLO, and on
 * ACCEPT hand the connection to its own thread (link.c) with heartbeats.
 * A REJECT is reported with its code and text; we close without retrying
 * (reconnecting with backoff is keeper.c's business). ep_dial stops after
 * the login, for one-shot session requests (session.c).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "endpoint/hello.h"
#include "mk/log.h"
#include "net/socket.h"

/* TLS is up: check the acceptor, then HELLO and its answer. */
static MK_RESULT login(ep_conn *c, ep_hello_role role)
{
    ep_manager *m = c->m;
    mk_result res = MK_ERR;
    int sql_error = 0;
    ep_frame_header fh;
    mk_buf b;
    mk_buf_init(&b, CAT_CERT_DER_MAX);
    mk_result r = net_tls_peer_cert(c->conn, &b);
    if (mk_ok(r)) {
        r = ep_auth_peer(m, b.data, b.len, &c->peer, &sql_error);
    }
    if (mk_failed(r)) {
        ep_auth_log(m, sql_error != 0 ? sql_error : 28035, "outbound", c->addr, false);
        if (mk_error_code() == MK_E_EXISTS) {
            BAIL_OUT(MK_E_EXISTS, "%s is this instance's own endpoint", c->addr);
        }
        BAIL_OUT(MK_E_PERM, "error %d: the acceptor at %s is not authorized by our catalog",
                 sql_error != 0 ? sql_error : 28035, c->addr);
    }
    c->peer_der = b.data; /* handed over */
    c->peer_der_len = b.len;
    mk_buf_init(&b, EP_FRAME_HANDSHAKE_MAX);
    ep_hello h = {
        .version_min = EP_PROTO_VERSION, .version_max = EP_PROTO_VERSION, .role = (uint8_t)role};
    snprintf(h.instance, sizeof(h.instance), "%s", m->instance);
    GUARD_OUT(ep_hello_encode(&h, &b));
    GUARD_OUT(ep_send_frame(c, EP_FRAME_HELLO, b.data, b.len));
    GUARD_OUT(ep_recv_frame(c, &fh, &b));
    if (fh.type == EP_FRAME_REJECT) {
        ep_reject j;
        GUARD_OUT(ep_reject_parse(b.data, b.len, &j));
        MK_LOG_WARN("endpoint %s: outbound connection to %s refused by the peer: %s (%s)",
                    m->instance, c->addr, ep_reject_reason_name(j.reason), j.text);
        BAIL_OUT(MK_E_PERM, "refused by %s: %s (%s)", c->addr, ep_reject_reason_name(j.reason),
                 j.text);
    }
    ENSURE_OUT(fh.type == EP_FRAME_ACCEPT, MK_E_INVALID, "answer to HELLO is %s",
               ep_frame_type_name(fh.type));
    ep_accept a;
    GUARD_OUT(ep_accept_parse(b.data, b.len, &a));
    ENSURE_OUT(a.version == EP_PROTO_VERSION, MK_E_INVALID, "peer chose version %u",
               (unsigned)a.version);
    snprintf(c->peer_instance, sizeof(c->peer_instance), "%s", a.instance);
    c->role = (uint8_t)role;
    res = MK_OK;
out:
    mk_buf_cleanup(&b);
    return res;
}

/* Our identity, if the endpoint is STARTED and the token answers. */
static MK_RESULT usable_identity(ep_manager *m, ep_identity **out)
{
    pthread_mutex_lock(&m->lock);
    bool started = m->have_ep && m->ep.state == CAT_EP_STARTED;
    pthread_mutex_unlock(&m->lock);
    ep_identity *id = started ? ep_identity_get(m) : NULL;
    ENSURE_MSG(id != NULL, MK_E_STATE, "the endpoint is not started");
    if (mk_failed(ep_identity_health(m, id))) {
        ep_identity_put(m, id);
        return MK_ERR;
    }
    *out = id;
    return MK_OK;
}

MK_RESULT ep_dial(ep_manager *m, const char *host, uint16_t port, ep_hello_role role, ep_conn **out)
{
    mk_result res = MK_ERR;
    ep_identity *id = NULL;
    ep_conn *c = NULL;
    int fd = -1;
    char addr[EP_ADDR_MAX];
    snprintf(addr, sizeof(addr), "%s:%u", host, (unsigned)port);
    GUARD(usable_identity(m, &id));
    GUARD_OUT(net_connect(host, port, m->handshake_timeout_ms, &fd));
    GUARD_OUT(ep_conn_new(m, false, addr, fd, &c));
    c->fd = -1; /* the handshake owns fd from here, also on failure */
    if (mk_failed(net_tls_connect(id->client, fd, m->handshake_timeout_ms, &c->conn))) {
        fd = -1;
        MK_LOG_WARN("endpoint %s: outbound TLS handshake with %s failed: %s", m->instance, addr,
                    mk_error_message());
        goto out;
    }
    c->fd = fd;
    fd = -1;
    GUARD_OUT(login(c, role));
    ep_conn_set_logged_in(c);
    *out = c;
    c = NULL;
    res = MK_OK;
out:
    if (fd >= 0) {
        close(fd);
    }
    ep_conn_free(c);
    ep_identity_put(m, id);
    return res;
}

MK_RESULT ep_connect(ep_manager *m, const char *host, uint16_t port, ep_hello_role role,
                     char *id_out)
{
    ep_conn *c = NULL;
    ep_reap(m);
    GUARD(ep_dial(m, host, port, role, &c));
    if (id_out != NULL) {
        snprintf(id_out, EP_ID_LEN + 1, "%s", c->id);
    }
    MK_LOG_INFO("endpoint %s: outbound connection %s to %s (%s) logged in as %s, peer "
                "certificate '%s' of '%s' (%s %s)",
                m->instance, c->id, c->addr, c->peer_instance, ep_hello_role_name((uint8_t)role),
                c->peer.cert_name, c->peer.user_name, net_tls_version(c->conn),
                net_tls_cipher(c->conn));
    if (mk_failed(ep_conn_start(m, c, ep_link_thread))) {
        ep_conn_free(c);
        return MK_ERR;
    }
    return MK_OK;
}
