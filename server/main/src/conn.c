/*
 * One TDS connection, start to end: plain socket with login-phase timeouts,
 * PRELOGIN and the TLS handshake, LOGIN7, then the session loop without a
 * read timeout. Whatever a client does, only its own connection ends: every
 * failure unwinds to here, is logged with the peer address, and the
 * connection's resources are released.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mk/log.h"
#include "net/socket.h"
#include "tds/packet.h"

/* Packet read buffer: the largest TDS packet (the length field is 16 bits). */
#define CONN_PACKET_BUF ((size_t)65535)

static MK_RESULT run_connection(srv_tds *t)
{
    const int login_ms = t->slot->srv->login_timeout_ms;
    GUARD(net_set_timeouts(t->fd, login_ms, login_ms));
    GUARD(net_plain_new(t->fd, &t->conn));
    tds_reasm_caps caps = tds_reasm_caps_default();
    GUARD(tds_reasm_new(&caps, &t->reasm));
    GUARD(srv_tds_prelogin(t));
    GUARD(srv_tds_login(t));
    srv_slot_logged_in(t->slot);
    /* Logged in: an admin session may sit idle, but a client must keep reading. */
    GUARD(net_set_timeouts(t->fd, 0, SRV_SEND_TIMEOUT_MS));
    return srv_tds_session(t);
}

static void conn_cleanup(srv_tds *t)
{
    exec_session_free(t->session);
    cat_close(t->db);
    tds_reasm_free(t->reasm);
    srv_slot_release_fd(t->slot);
    if (t->conn != NULL) {
        net_conn_free(t->conn); /* closes the socket (sends close_notify under TLS) */
    } else {
        close(t->fd);
    }
    mk_buf_cleanup(&t->packet);
    mk_buf_cleanup(&t->out);
}

void *srv_conn_main(void *arg)
{
    srv_slot *slot = arg;
    srv_tds t;
    memset(&t, 0, sizeof(t));
    t.slot = slot;
    t.inst = slot->srv->inst;
    t.fd = slot->fd;
    t.spid = (uint16_t)(SRV_FIRST_SPID + slot->index);
    t.packet_size = TDS_PACKET_SIZE_DEFAULT;
    snprintf(t.peer, sizeof(t.peer), "%s", slot->peer);
    srv_peer_address(t.peer, t.peer_addr, sizeof(t.peer_addr));
    /* Both buffers wipe on release: LOGIN7 packets carry the (obfuscated) password. */
    mk_buf_init_secret(&t.packet, CONN_PACKET_BUF);
    /* Packet headers add at most 8 / (512 - 8) < 1/32 to a response. */
    mk_buf_init(&t.out, SRV_MAX_RESPONSE + SRV_MAX_RESPONSE / 32);
    MK_LOG_INFO("connection %u from %s accepted", t.spid, t.peer);

    mk_result r = run_connection(&t);
    if (t.client_eof || srv_server_stopping(slot->srv)) {
        MK_LOG_INFO("connection %u from %s closed%s", t.spid, t.peer,
                    srv_server_stopping(slot->srv) ? " (server stopping)" : " by the client");
    } else if (mk_failed(r)) {
        MK_LOG_INFO("connection %u from %s closed: %s", t.spid, t.peer, mk_error_message());
    } else {
        MK_LOG_INFO("connection %u from %s closed", t.spid, t.peer);
    }
    conn_cleanup(&t);

    pthread_mutex_lock(&slot->srv->lock);
    slot->state = SRV_SLOT_DONE;
    pthread_mutex_unlock(&slot->srv->lock);
    return NULL;
}
