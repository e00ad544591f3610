/*
 * The listener: an accept thread on LISTENER_IP:LISTENER_PORT, and the
 * inbound side of the login run by each connection's own thread:
 *
 *   token health (fail closed) → TLS 1.3 handshake (NET_TLS_ENDPOINT) →
 *   HELLO → catalog check of the peer certificate (28035/28055/28034) →
 *   endpoint STARTED? (else REJECT STOPPED) → ROLE admits the HELLO's
 *   role? (else REJECT ROLE) → ACCEPT → framed loop (link.c).
 *
 * The HELLO is read before any REJECT so that closing never discards
 * unread data (which would turn our REJECT into a TCP reset). The peer
 * learns only the REJECT code; the reason goes to our log.
 *
 * ep_manager_port_check answers CREATE / ALTER ENDPOINT's question (7890)
 * of whether a port is free for the listener.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endpoint/hello.h"
#include "mk/log.h"
#include "net/socket.h"

static void send_reject(ep_conn *c, ep_reject_reason reason, const char *text)
{
    ep_reject r = {.reason = (uint16_t)reason};
    mk_buf b;
    mk_buf_init(&b, EP_FRAME_HANDSHAKE_MAX);
    snprintf(r.text, sizeof(r.text), "%s", text);
    /* Best effort: the connection is closed right after either way. */
    if (mk_ok(ep_reject_encode(&r, &b)) &&
        mk_failed(ep_send_frame(c, EP_FRAME_REJECT, b.data, b.len))) {
        MK_LOG_DEBUG("endpoint: REJECT not delivered to %s: %s", c->addr, mk_error_message());
    }
    mk_buf_cleanup(&b);
}

/* Read and parse the HELLO frame. */
static MK_RESULT read_hello(ep_conn *c, ep_hello *h)
{
    mk_result res = MK_ERR;
    ep_frame_header fh;
    mk_buf body;
    mk_buf_init(&body, EP_FRAME_HANDSHAKE_MAX);
    GUARD_OUT(ep_recv_frame(c, &fh, &body));
    ENSURE_OUT(fh.type == EP_FRAME_HELLO, MK_E_INVALID, "first frame is %s, not HELLO",
               ep_frame_type_name(fh.type));
    GUARD_OUT(ep_hello_parse(body.data, body.len, h));
    res = MK_OK;
out:
    mk_buf_cleanup(&body);
    return res;
}

static bool role_admitted(int ep_role, uint8_t hello_role)
{
    return ep_role == CAT_EP_ALL || (ep_role == CAT_EP_PARTNER && hello_role == EP_HELLO_PARTNER) ||
           (ep_role == CAT_EP_WITNESS && hello_role == EP_HELLO_WITNESS);
}

/* After HELLO: the catalog check, the endpoint state and role, then ACCEPT. */
static MK_RESULT admit(ep_conn *c, const ep_hello *h)
{
    ep_manager *m = c->m;
    int sql_error = 0;
    uint16_t version = 0;
    mk_buf der;
    mk_buf_init(&der, CAT_CERT_DER_MAX);
    mk_result r = net_tls_peer_cert(c->conn, &der);
    if (mk_ok(r)) {
        r = ep_auth_peer(m, der.data, der.len, &c->peer, &sql_error);
    }
    if (mk_failed(r)) {
        ep_auth_log(m, sql_error != 0 ? sql_error : 28035, "inbound", c->addr, false);
        mk_buf_cleanup(&der);
        send_reject(c, EP_REJECT_NOT_AUTHORIZED, "not authorized");
        return MK_ERR;
    }
    c->peer_der = der.data; /* handed over: der is reused below for ACCEPT */
    c->peer_der_len = der.len;
    mk_buf_init(&der, EP_FRAME_HANDSHAKE_MAX);
    c->role = h->role;
    snprintf(c->peer_instance, sizeof(c->peer_instance), "%s", h->instance);
    pthread_mutex_lock(&m->lock);
    int state = m->have_ep ? m->ep.state : CAT_EP_DISABLED;
    int role = m->ep.role;
    pthread_mutex_unlock(&m->lock);
    if (state != CAT_EP_STARTED) {
        MK_LOG_WARN("endpoint %s: inbound connection from %s (%s) refused: the endpoint is "
                    "STOPPED",
                    m->instance, c->addr, h->instance);
        send_reject(c, EP_REJECT_STOPPED, "endpoint stopped");
        BAIL_MSG(MK_E_STATE, "endpoint stopped");
    }
    if (!role_admitted(role, h->role)) {
        MK_LOG_WARN("endpoint %s: inbound connection from %s (%s) refused: role %s not admitted",
                    m->instance, c->addr, h->instance, ep_hello_role_name(h->role));
        send_reject(c, EP_REJECT_ROLE, "role not admitted");
        BAIL_MSG(MK_E_PERM, "role not admitted");
    }
    if (mk_failed(ep_hello_pick_version(h, &version))) {
        send_reject(c, EP_REJECT_PROTOCOL, "no common protocol version");
        return MK_ERR;
    }
    ep_accept a = {.version = version};
    snprintf(a.instance, sizeof(a.instance), "%s", m->instance);
    r = ep_accept_encode(&a, &der);
    if (mk_ok(r)) {
        r = ep_send_frame(c, EP_FRAME_ACCEPT, der.data, der.len);
    }
    mk_buf_cleanup(&der);
    return r;
}

/* The inbound login, then the framed loop. */
static void inbound(ep_conn *c)
{
    ep_manager *m = c->m;
    ep_identity *id = ep_identity_get(m);
    int fd = c->fd;
    ep_hello h;
    c->fd = -1; /* net_tls_accept owns fd from here, also on failure */
    if (id == NULL || mk_failed(ep_identity_health(m, id))) {
        close(fd);
        goto out;
    }
    if (mk_failed(net_tls_accept(id->server, fd, m->handshake_timeout_ms, &c->conn))) {
        MK_LOG_WARN("endpoint %s: inbound connection from %s refused in the TLS handshake: %s",
                    m->instance, c->addr, mk_error_message());
        goto out;
    }
    pthread_mutex_lock(&m->lock);
    c->fd = fd;
    c->state = 3; /* CONNECTED */
    pthread_mutex_unlock(&m->lock);
    if (mk_failed(read_hello(c, &h))) {
        MK_LOG_WARN("endpoint %s: inbound connection from %s refused: bad HELLO: %s", m->instance,
                    c->addr, mk_error_message());
        send_reject(c, EP_REJECT_PROTOCOL, "bad HELLO");
        goto out;
    }
    if (mk_failed(admit(c, &h))) {
        goto out;
    }
    ep_conn_set_logged_in(c);
    MK_LOG_INFO("endpoint %s: inbound connection %s from %s (%s, %s) logged in as '%s' "
                "(certificate '%s', %s %s)",
                m->instance, c->id, c->addr, h.instance, ep_hello_role_name(h.role),
                c->peer.user_name, c->peer.cert_name, net_tls_version(c->conn),
                net_tls_cipher(c->conn));
    ep_identity_put(m, id);
    id = NULL;
    ep_link_run(c);
out:
    ep_identity_put(m, id);
}

static void *inbound_thread(void *arg)
{
    ep_conn *c = arg;
    inbound(c);
    ep_conn_finish(c);
    return NULL;
}

/* Hand an accepted socket to a new connection thread (or close it). */
static void spawn(ep_manager *m, int fd, const char *addr)
{
    ep_conn *c = NULL;
    if (mk_failed(ep_conn_new(m, true, addr, fd, &c))) {
        close(fd);
        return;
    }
    if (mk_failed(ep_conn_start(m, c, inbound_thread))) {
        MK_LOG_WARN("endpoint %s: connection from %s refused: %s", m->instance, addr,
                    mk_error_message());
        close(fd);
        ep_conn_free(c);
    }
}

static void *accept_thread(void *arg)
{
    ep_manager *m = arg;
    while (!atomic_load(&m->lstop)) {
        int fd = -1;
        char addr[EP_ADDR_MAX] = "";
        ep_reap(m);
        if (mk_failed(net_accept(m->lfd, 200, &fd, addr, sizeof(addr)))) {
            MK_LOG_WARN("endpoint %s: accept failed: %s", m->instance, mk_error_message());
            usleep(100 * 1000);
            continue;
        }
        if (fd >= 0) {
            spawn(m, fd, addr);
        }
    }
    return NULL;
}

MK_RESULT ep_listener_start(ep_manager *m, const char *ip, uint16_t port)
{
    int fd = -1;
    uint16_t bound = 0;
    GUARD(net_listen(ip, port, &fd, &bound));
    m->lfd = fd;
    m->port = bound;
    snprintf(m->ip, sizeof(m->ip), "%s", ip);
    atomic_store(&m->lstop, false);
    if (pthread_create(&m->lthread, NULL, accept_thread, m) != 0) {
        close(fd);
        m->lfd = -1;
        m->port = 0;
        BAIL_MSG(MK_E_NOMEM, "no thread for the endpoint listener");
    }
    pthread_mutex_lock(&m->lock);
    m->listening = true;
    pthread_mutex_unlock(&m->lock);
    return MK_OK;
}

void ep_listener_stop(ep_manager *m)
{
    if (!m->listening) {
        return;
    }
    atomic_store(&m->lstop, true);
    pthread_join(m->lthread, NULL);
    close(m->lfd);
    pthread_mutex_lock(&m->lock);
    m->lfd = -1;
    m->port = 0;
    m->listening = false;
    pthread_mutex_unlock(&m->lock);
}

MK_RESULT ep_manager_port_check(ep_manager *m, const char *ip, int port)
{
    ENSURE_MSG(port >= 1 && port <= 65535, MK_E_INVALID, "port %d out of range", port);
    pthread_mutex_lock(&m->lock);
    /* Ours (the same address, or ALL on either side): apply releases it before it listens again. */
    bool ours = m->listening && m->port == (uint16_t)port &&
                (strcmp(m->ip, ip) == 0 || m->ip[0] == '\0' || ip[0] == '\0');
    pthread_mutex_unlock(&m->lock);
    if (ours) {
        return MK_OK;
    }
    int fd = -1;
    uint16_t bound = 0;
    GUARD(net_listen(ip, (uint16_t)port, &fd, &bound));
    close(fd);
    return MK_OK;
}
