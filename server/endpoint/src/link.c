/*
 * Frame I/O on one connection and the loop each connection's thread runs
 * after login: heartbeats when we have been silent for heartbeat_ms, a
 * close when the peer has been silent for idle_timeout_ms, and a close
 * within EP_TICK_MS of a request (re-check, ALTER ENDPOINT, shutdown).
 * Only this thread touches the connection's TLS object.
 *
 * Readiness comes from poll() on the socket before each frame: our writer
 * sends one frame per TLS write, and OpenSSL does not read ahead, so no
 * whole frame waits in OpenSSL's buffer unseen. A peer that packs several
 * frames into one record only delays its own later frames by one tick.
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "mk/log.h"

MK_RESULT ep_send_frame(ep_conn *c, uint8_t type, const uint8_t *payload, size_t len)
{
    mk_result res = MK_ERR;
    mk_buf b;
    mk_buf_init(&b, EP_FRAME_HEADER_LEN + EP_FRAME_PAYLOAD_MAX);
    GUARD_OUT(ep_frame_encode(&b, type, 0, payload, len));
    GUARD_OUT(net_write(c->conn, b.data, b.len));
    ep_conn_count(c, true, b.len);
    res = MK_OK;
out:
    mk_buf_cleanup(&b);
    return res;
}

MK_RESULT ep_recv_frame(ep_conn *c, ep_frame_header *h, mk_buf *body)
{
    uint8_t hdr[EP_FRAME_HEADER_LEN];
    GUARD(net_read_full(c->conn, hdr, sizeof(hdr)));
    GUARD(ep_frame_header_parse(hdr, sizeof(hdr), h));
    mk_buf_reset(body);
    if (h->length != 0) {
        GUARD(mk_buf_reserve(body, h->length));
        GUARD(net_read_full(c->conn, body->data, h->length));
        body->len = h->length;
    }
    ep_conn_count(c, false, sizeof(hdr) + h->length);
    return MK_OK;
}

/* Wait up to timeout_ms for the socket to become readable. */
static MK_RESULT wait_readable(int fd, int timeout_ms, bool *ready)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc = poll(&p, 1, timeout_ms);
    if (rc < 0 && errno != EINTR) {
        BAIL_MSG(MK_E_IO, "poll: %s", strerror(errno));
    }
    *ready = rc > 0;
    return MK_OK;
}

static MK_RESULT send_heartbeat(ep_conn *c, uint64_t seq)
{
    uint8_t p[EP_FRAME_HEARTBEAT_LEN];
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(seq >> (56 - 8 * i));
    }
    return ep_send_frame(c, EP_FRAME_HEARTBEAT, p, sizeof(p));
}

/*
 * One received frame after login; anything but heartbeat/control/payload
 * ends the link. Session requests arrive as CONTROL on inbound connections
 * (session.c answers them); an outbound link has nothing to ask of us.
 */
static MK_RESULT dispatch(ep_conn *c, const ep_frame_header *h, const mk_buf *body)
{
    switch (h->type) {
    case EP_FRAME_CONTROL:
        if (c->is_accept) {
            return ep_session_handle(c, body->data, body->len);
        }
        MK_LOG_DEBUG("endpoint: CONTROL frame on outbound connection %s ignored", c->id);
        return MK_OK;
    case EP_FRAME_HEARTBEAT:
    case EP_FRAME_PAYLOAD: return MK_OK;
    default: BAIL_MSG(MK_E_INVALID, "unexpected %s frame after login", ep_frame_type_name(h->type));
    }
}

void ep_link_run(ep_conn *c)
{
    ep_manager *m = c->m;
    mk_buf body;
    uint64_t seq = 0;
    int64_t last_send = ep_now_ms();
    int64_t last_recv = last_send;
    mk_buf_init(&body, EP_FRAME_PAYLOAD_MAX);
    for (;;) {
        bool ready = false;
        int64_t now = ep_now_ms();
        if (atomic_load(&c->close_requested)) {
            MK_LOG_INFO("endpoint %s: connection %s (%s) closed: %s", m->instance, c->id, c->addr,
                        c->close_reason);
            break;
        }
        if (now - last_recv > m->idle_timeout_ms) {
            MK_LOG_WARN("endpoint %s: connection %s (%s) closed: peer silent for %d ms",
                        m->instance, c->id, c->addr, m->idle_timeout_ms);
            break;
        }
        if (now - last_send >= m->heartbeat_ms) {
            if (mk_failed(send_heartbeat(c, ++seq))) {
                break;
            }
            last_send = now;
        }
        if (mk_failed(wait_readable(c->fd, EP_TICK_MS, &ready))) {
            break;
        }
        ep_frame_header h;
        if (ready) {
            if (mk_failed(ep_recv_frame(c, &h, &body)) || mk_failed(dispatch(c, &h, &body))) {
                MK_LOG_INFO("endpoint %s: connection %s (%s) ended: %s", m->instance, c->id,
                            c->addr, mk_error_message());
                break;
            }
            last_recv = ep_now_ms();
        }
    }
    mk_buf_cleanup(&body);
}

void *ep_link_thread(void *arg)
{
    ep_conn *c = arg;
    ep_link_run(c);
    ep_conn_finish(c);
    return NULL;
}
