/*
 * The executor's result sink for TDS: result sets become COLMETADATA + ROW
 * tokens, messages INFO (class <= 10) or ERROR tokens, statement ends DONE
 * tokens (MS-TDS 2.2.7.6: MORE on all but the last, COUNT when the count is
 * meaningful, ERROR when the statement failed). Everything is appended to one
 * response buffer that the session packetizes after the batch.
 *
 * A rowset the encoder refuses (a value that does not fit its column) is
 * taken back out of the buffer and replaced by an error, so the client always
 * gets a well-formed stream.
 */
#include "internal.h"

#include "mk/log.h"
#include "tds/tokens.h"

void srv_sink_init(srv_sink *s, mk_buf *out, const uint8_t *collation, const char *server_name)
{
    s->out = out;
    s->collation = collation;
    s->server_name = server_name;
    s->stmt_failed = false;
}

static mk_result append_message(mk_buf *out, int32_t number, uint8_t state, uint8_t cls,
                                const char *text, const char *server, int32_t line)
{
    tds_message m = {
        .number = number,
        .state = state,
        .severity = cls,
        .text = text,
        .server = server,
        .proc = "",
        .line = line,
    };
    return tds_message_encode(out, &m);
}

static mk_result sink_rows(void *arg, const mk_rowset *rs)
{
    srv_sink *s = arg;
    size_t mark = s->out->len;
    if (mk_ok(tds_rowset_encode(s->out, rs, s->collation))) {
        return MK_OK;
    }
    if (mk_error_code() == MK_E_TOOBIG && s->out->len >= s->out->max - 4096) {
        return MK_ERR; /* the response cap: the batch stops */
    }
    MK_LOG_ERR("cannot encode a result set: %s", mk_error_message());
    s->out->len = mark;
    s->stmt_failed = true;
    return append_message(s->out, 50000, 1, 16, "The result set could not be encoded.",
                          s->server_name, 0);
}

static mk_result sink_message(void *arg, const sql_error *msg)
{
    srv_sink *s = arg;
    uint8_t cls = (uint8_t)(msg->cls < 0 ? 0 : msg->cls > 25 ? 25 : msg->cls);
    uint8_t state = (uint8_t)(msg->state < 1 ? 1 : msg->state > 255 ? 255 : msg->state);
    return append_message(s->out, msg->number, state, cls, msg->message, s->server_name, msg->line);
}

static mk_result sink_done(void *arg, const exec_done *d)
{
    srv_sink *s = arg;
    bool failed = d->error || s->stmt_failed;
    uint16_t status = (uint16_t)((d->more ? TDS_DONE_MORE : 0) | (failed ? TDS_DONE_ERROR : 0) |
                                 (d->has_count && !failed ? TDS_DONE_COUNT : 0));
    s->stmt_failed = false;
    return tds_done_encode(s->out, TDS_TOKEN_DONE, status, 0, d->has_count ? d->count : 0);
}

exec_sink srv_sink_ops(srv_sink *s)
{
    exec_sink sink = {.arg = s, .rows = sink_rows, .message = sink_message, .done = sink_done};
    return sink;
}

MK_RESULT srv_tds_error_reply(mk_buf *out, int32_t number, uint8_t cls, const char *text,
                              const char *server_name)
{
    GUARD(append_message(out, number, 1, cls, text, server_name, 1));
    return tds_done_encode(out, TDS_TOKEN_DONE, TDS_DONE_ERROR, 0, 0);
}
