/*
 * The PRELOGIN exchange (MS-TDS 2.2.6.5) and the TLS handshake that follows
 * it inside PRELOGIN packets.
 *
 * mirrorkeyd requires encryption: a client that offers OFF (FreeTDS's
 * default, `encryption = request`), ON or REQ gets REQ and the whole
 * connection runs over TLS. A client that says it cannot encrypt (NOT_SUP)
 * gets the same REQ answer (tds_prelogin_decide: refuse). What happens next
 * is up to the client: FreeTDS 1.3 with `encryption = off` follows the
 * server's REQ and starts the TLS handshake anyway; then the connection is
 * fully encrypted like any other and is served. A client that sends a
 * clear-text LOGIN7 instead gets an ERROR saying why, and the connection
 * closes; its LOGIN7 is not parsed.
 */
#include "internal.h"

#include "mk/log.h"
#include "tds/packet.h"
#include "tds/prelogin.h"
#include "tds/tokens.h"

/* VERSION in our reply: SQL Server 2022's 16.0.1000 (UL_VERSION is major.minor.build). */
#define SRV_PL_VERSION UINT32_C(0x100003E8)
#define SRV_PL_SUBBUILD 0

/* net_tls_framing: TLS records from the client arrive as PRELOGIN packet payloads. */
static mk_result framing_recv(void *arg, mk_buf *buf)
{
    srv_tds *t = arg;
    if (t->handshake_pending) {
        t->handshake_pending = false; /* already read by refuse_unencrypted */
    } else {
        GUARD(srv_tds_read_packet(t, SRV_PRELOGIN_MAX_PACKET, TDS_TYPES_PRELOGIN));
    }
    return mk_buf_append(buf, t->packet.data + TDS_HEADER_LEN, t->packet.len - TDS_HEADER_LEN);
}

/* Our handshake flights go back in PRELOGIN packets (EOM on the last one). */
static mk_result framing_send(void *arg, const uint8_t *data, size_t len)
{
    return srv_tds_send(arg, TDS_PKT_PRELOGIN, data, len);
}

static MK_RESULT send_reply(srv_tds *t, uint8_t encryption)
{
    tds_prelogin reply;
    tds_prelogin_reply_init(&reply, SRV_PL_VERSION, SRV_PL_SUBBUILD, encryption);
    mk_buf msg;
    mk_buf_init(&msg, 4096);
    mk_result r = tds_prelogin_encode(&reply, &msg);
    if (mk_ok(r)) {
        r = srv_tds_send(t, TDS_PKT_REPLY, msg.data, msg.len);
    }
    mk_buf_cleanup(&msg);
    return r;
}

/*
 * The client said it cannot encrypt and got REQ. Its next packet decides:
 * a PRELOGIN packet starts the TLS handshake after all (MK_OK: go on with
 * TLS); a LOGIN7 in the clear is answered with an error and fails.
 */
static MK_RESULT after_not_sup(srv_tds *t)
{
    GUARD(srv_tds_read_packet(t, SRV_PRELOGIN_MAX_PACKET, TDS_TYPES_LOGIN));
    if (t->packet.data[0] == TDS_PKT_PRELOGIN) {
        t->handshake_pending = true;
        return MK_OK;
    }
    mk_buf_reset(&t->packet); /* a clear-text LOGIN7: wipe it unread */
    mk_buf msg;
    mk_buf_init(&msg, 8192);
    if (mk_ok(srv_tds_error_reply(&msg, 18456, 14,
                                  "Login failed. This server requires encryption and the "
                                  "client does not support it (set encryption = require in "
                                  "the client).",
                                  t->inst->config.instance_name)) &&
        mk_failed(srv_tds_send(t, TDS_PKT_REPLY, msg.data, msg.len))) {
        MK_LOG_DEBUG("connection %u: the refusal could not be sent", t->spid);
    }
    mk_buf_cleanup(&msg);
    BAIL_MSG(MK_E_POLICY, "the client does not support encryption (PRELOGIN NOT_SUP) and "
                          "sent its login in the clear; refused");
}

/* Switch the connection from the plain socket to TLS, handshake in PRELOGIN packets. */
static MK_RESULT start_tls(srv_tds *t)
{
    net_tls_framing fr = {.recv = framing_recv, .send = framing_send, .arg = t};
    mk_conn *tls = NULL;
    if (mk_failed(net_tls_accept_framed(t->inst->tls, t->fd, &fr, &tls))) {
        mk_error_context("TLS handshake");
        return MK_ERR; /* the plain conn still owns the socket */
    }
    t->conn->fd = -1; /* ownership of the socket moves to the TLS conn */
    net_conn_free(t->conn);
    t->conn = tls;
    MK_LOG_DEBUG("connection %u: %s, %s", t->spid, net_tls_version(tls), net_tls_cipher(tls));
    return MK_OK;
}

MK_RESULT srv_tds_prelogin(srv_tds *t)
{
    tds_prelogin req;
    GUARD(srv_tds_read_message(t, SRV_PRELOGIN_MAX_PACKET, TDS_TYPES_PRELOGIN));
    mk_result r = tds_prelogin_parse(tds_reasm_data(t->reasm), tds_reasm_len(t->reasm), &req);
    tds_reasm_next(t->reasm);
    if (mk_failed(r)) {
        mk_error_context("malformed PRELOGIN");
        return MK_ERR; /* MS-TDS: a malformed message closes the connection, no reply */
    }
    uint8_t offered =
        (req.present & TDS_PL_HAS(TDS_PL_ENCRYPTION)) != 0 ? req.encryption : TDS_ENCRYPT_OFF;
    tds_encrypt_decision d = tds_prelogin_decide(offered, TDS_ENCRYPT_POLICY_REQUIRED);
    GUARD(send_reply(t, d.reply));
    if (d.mode != TDS_ENC_FULL) {
        GUARD(after_not_sup(t));
        MK_LOG_DEBUG("connection %u: client offered no encryption but starts TLS", t->spid);
    }
    return start_tls(t);
}
