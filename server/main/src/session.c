/*
 * The logged-in session (MS-TDS 2.2.1): requests until the client leaves.
 *
 *   SQL batch (0x01)   parsed to UTF-8 and run by the executor; the results of
 *                      the whole batch go back as one reply message (0x04)
 *                      packetized at the negotiated size. The batch text may
 *                      hold passwords (CREATE LOGIN ... PASSWORD): it is wiped
 *                      as soon as the executor is done with it.
 *   RPC (0x03)         not supported: ERROR 2812 and DONE with the error bit.
 *   Attention (0x06)   DONE with ATTN. Execution is synchronous: when we read
 *                      an attention, the request it meant to cancel has
 *                      already been answered in full, so acknowledging it is
 *                      all that is left to do (the client discards up to the
 *                      ATTN acknowledgement).
 *   Bulk load (0x07), transaction manager (0x0E)
 *                      not supported: ERROR and DONE.
 * Any other packet type after login closes the connection (tds_header_check
 * with TDS_TYPES_SESSION), as does a malformed request.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mk/log.h"
#include "tds/packet.h"
#include "tds/rpc.h"
#include "tds/sqlbatch.h"
#include "tds/tokens.h"

#define SRV_BATCH_TEXT_MAX TDS_SQLBATCH_TEXT_MAX_DEFAULT

static MK_RESULT send_reply(srv_tds *t, mk_buf *msg)
{
    return srv_tds_send(t, TDS_PKT_REPLY, msg->data, msg->len);
}

/* The executor's reply to one batch; a reply over the cap becomes an error. */
static MK_RESULT run_batch(srv_tds *t, const char *text, size_t len, mk_buf *reply)
{
    srv_sink sink;
    srv_sink_init(&sink, reply, t->inst->collation, t->inst->config.instance_name);
    exec_sink ops = srv_sink_ops(&sink);
    if (mk_ok(exec_batch(t->session, text, len, &ops))) {
        return MK_OK;
    }
    MK_LOG_WARN("connection %u: batch results not sent: %s", t->spid, mk_error_message());
    mk_buf_reset(reply);
    return srv_tds_error_reply(reply, 50000, 16, "The results of this batch are too large to send.",
                               t->inst->config.instance_name);
}

static MK_RESULT handle_batch(srv_tds *t, mk_buf *reply)
{
    tds_sqlbatch b;
    if (mk_failed(tds_sqlbatch_parse(tds_reasm_data(t->reasm), tds_reasm_len(t->reasm),
                                     SRV_BATCH_TEXT_MAX, &b))) {
        mk_error_context("malformed SQL batch");
        return MK_ERR;
    }
    if ((tds_reasm_status_bits(t->reasm) &
         (TDS_STATUS_RESET_CONN | TDS_STATUS_RESET_CONN_KEEP_TRAN)) != 0) {
        /* sp_reset_connection semantics: a fresh session for the same login. */
        exec_session_free(t->session);
        t->session = NULL;
        if (mk_failed(exec_session_new(t->inst->exec, t->db, &t->who, &t->session))) {
            OPENSSL_cleanse(b.text, b.text_len);
            tds_sqlbatch_cleanup(&b);
            return MK_ERR;
        }
    }
    MK_LOG_DEBUG("connection %u: SQL batch of %zu bytes", t->spid, b.text_len);
    mk_result r = run_batch(t, b.text, b.text_len, reply);
    OPENSSL_cleanse(b.text, b.text_len);
    tds_sqlbatch_cleanup(&b);
    GUARD(r);
    return send_reply(t, reply);
}

static MK_RESULT handle_rpc(srv_tds *t, mk_buf *reply)
{
    tds_rpc rpc;
    char text[TDS_RPC_NAME_BYTES + 160];
    if (mk_failed(tds_rpc_parse(tds_reasm_data(t->reasm), tds_reasm_len(t->reasm), &rpc))) {
        mk_error_context("malformed RPC request");
        return MK_ERR;
    }
    MK_LOG_INFO("connection %u: RPC '%s' refused (not supported)", t->spid, rpc.proc_name);
    snprintf(text, sizeof(text),
             "Could not find stored procedure '%s'. mirrorkeyd runs T-SQL batches only; "
             "RPC requests are not supported.",
             rpc.proc_name);
    GUARD(srv_tds_error_reply(reply, 2812, 16, text, t->inst->config.instance_name));
    return send_reply(t, reply);
}

static MK_RESULT handle_unsupported(srv_tds *t, mk_buf *reply, const char *what)
{
    char text[160];
    snprintf(text, sizeof(text), "%s requests are not supported by mirrorkeyd.", what);
    GUARD(srv_tds_error_reply(reply, 50000, 16, text, t->inst->config.instance_name));
    return send_reply(t, reply);
}

static MK_RESULT handle_message(srv_tds *t, mk_buf *reply)
{
    mk_buf_reset(reply);
    switch (tds_reasm_type(t->reasm)) {
    case TDS_PKT_SQL_BATCH: return handle_batch(t, reply);
    case TDS_PKT_RPC: return handle_rpc(t, reply);
    case TDS_PKT_ATTENTION: GUARD(tds_done_attn_encode(reply)); return send_reply(t, reply);
    case TDS_PKT_BULK: return handle_unsupported(t, reply, "Bulk load");
    case TDS_PKT_TRANS_MGR: return handle_unsupported(t, reply, "Transaction manager");
    default: BAIL_MSG(MK_E_INVALID, "unexpected message type 0x%02X", tds_reasm_type(t->reasm));
    }
}

MK_RESULT srv_tds_session(srv_tds *t)
{
    mk_buf reply;
    mk_buf_init(&reply, SRV_MAX_RESPONSE);
    mk_result r = MK_OK;
    while (!srv_server_stopping(t->slot->srv)) {
        r = srv_tds_read_message(t, t->packet_size, TDS_TYPES_SESSION);
        if (mk_ok(r)) {
            r = handle_message(t, &reply);
            tds_reasm_next(t->reasm);
        }
        if (mk_failed(r)) {
            break;
        }
    }
    mk_buf_cleanup(&reply);
    return r;
}
