/*
 * Message reassembler (MS-TDS 2.2.3, 2.2.1.7). Joins packet payloads until
 * EOM, enforcing the per-type cap before growing the buffer. The buffer is a
 * secret mk_buf: LOGIN7 carries the (merely obfuscated) password, so every
 * message is wiped when it is dropped.
 */
#include "tds/reasm.h"

#include <stdbool.h>
#include <stdlib.h>

#include "mk/buf.h"
#include "mk/cursor.h"
#include "tds/packet.h"

struct tds_reasm {
    tds_reasm_caps caps;
    mk_buf msg;
    bool in_progress; /* packets of a message received, no EOM yet */
    bool complete;    /* a message is waiting for tds_reasm_next */
    uint8_t type;
    uint8_t first_status;
};

tds_reasm_caps tds_reasm_caps_default(void)
{
    return (tds_reasm_caps){
        .prelogin = TDS_REASM_CAP_LOGIN_DEFAULT,
        .login7 = TDS_REASM_CAP_LOGIN_DEFAULT,
        .request = TDS_REASM_CAP_REQUEST_DEFAULT,
    };
}

static bool cap_ok(size_t cap) { return cap > 0 && cap <= TDS_REASM_CAP_LIMIT; }

MK_RESULT tds_reasm_new(const tds_reasm_caps *caps, tds_reasm **out)
{
    ENSURE_MSG(cap_ok(caps->prelogin) && cap_ok(caps->login7) && cap_ok(caps->request),
               MK_E_INVALID, "reassembler caps must lie in 1..%zu", TDS_REASM_CAP_LIMIT);
    tds_reasm *r = calloc(1, sizeof(*r));
    ENSURE(r != NULL, MK_E_NOMEM);
    r->caps = *caps;
    mk_buf_init_secret(&r->msg, TDS_REASM_CAP_LIMIT);
    *out = r;
    return MK_OK;
}

void tds_reasm_free(tds_reasm *r)
{
    if (r == NULL) {
        return;
    }
    mk_buf_cleanup(&r->msg);
    free(r);
}

/* The cap for a message type; 0 for types a client never sends. */
static size_t cap_for_type(const tds_reasm *r, uint8_t type)
{
    switch (type) {
    case TDS_PKT_PRELOGIN: return r->caps.prelogin;
    case TDS_PKT_LOGIN7:
    case TDS_PKT_SSPI:
    case TDS_PKT_FEDAUTH_TOKEN: return r->caps.login7;
    case TDS_PKT_SQL_BATCH:
    case TDS_PKT_RPC:
    case TDS_PKT_BULK:
    case TDS_PKT_TRANS_MGR: return r->caps.request;
    default: return 0;
    }
}

/* Start a new message of h's type, dropping any partial one. */
static void begin_message(tds_reasm *r, const tds_header *h)
{
    mk_buf_reset(&r->msg);
    r->type = h->type;
    r->first_status = h->status;
    r->in_progress = true;
}

/*
 * An attention packet (2.2.1.7) is a message by itself; if it interrupts a
 * partially received request, that request is dropped.
 */
static MK_RESULT feed_attention(tds_reasm *r, const tds_header *h, tds_reasm_status *st)
{
    ENSURE_MSG(h->length == TDS_HEADER_LEN && (h->status & TDS_STATUS_EOM) != 0, MK_E_INVALID,
               "attention packet must be a header-only EOM packet");
    begin_message(r, h);
    r->in_progress = false;
    r->complete = true;
    *st = TDS_REASM_MESSAGE;
    return MK_OK;
}

MK_RESULT tds_reasm_feed(tds_reasm *r, const uint8_t *packet, size_t len, tds_reasm_status *st)
{
    ENSURE_MSG(!r->complete, MK_E_STATE, "previous TDS message not consumed");
    tds_header h;
    GUARD(tds_header_parse(packet, len, &h));
    ENSURE_MSG(h.length == len, MK_E_INVALID, "packet length field %u but %zu bytes given",
               h.length, len);
    if (h.type == TDS_PKT_ATTENTION) {
        return feed_attention(r, &h, st);
    }
    size_t cap = cap_for_type(r, h.type);
    ENSURE_MSG(cap > 0, MK_E_INVALID, "unexpected TDS packet type 0x%02X", h.type);
    if (!r->in_progress) {
        begin_message(r, &h);
    }
    ENSURE_MSG(h.type == r->type, MK_E_INVALID,
               "TDS packet type changed from 0x%02X to 0x%02X inside a message", r->type, h.type);
    mk_cursor c;
    mk_cursor_init(&c, packet, len);
    GUARD(mk_cursor_skip(&c, TDS_HEADER_LEN));
    size_t n = mk_cursor_remaining(&c);
    ENSURE_MSG(n <= cap && r->msg.len <= cap - n, MK_E_TOOBIG,
               "TDS message of type 0x%02X over its %zu-byte cap", h.type, cap);
    if (n > 0) {
        GUARD(mk_buf_append(&r->msg, mk_cursor_ptr(&c), n));
    }
    if ((h.status & TDS_STATUS_EOM) == 0) {
        *st = TDS_REASM_NEED_MORE;
        return MK_OK;
    }
    r->in_progress = false;
    if ((h.status & TDS_STATUS_IGNORE) != 0) {
        mk_buf_reset(&r->msg);
        *st = TDS_REASM_IGNORED;
        return MK_OK;
    }
    r->complete = true;
    *st = TDS_REASM_MESSAGE;
    return MK_OK;
}

uint8_t tds_reasm_type(const tds_reasm *r) { return r->type; }
uint8_t tds_reasm_status_bits(const tds_reasm *r) { return r->first_status; }
const uint8_t *tds_reasm_data(const tds_reasm *r) { return r->msg.data; }
size_t tds_reasm_len(const tds_reasm *r) { return r->msg.len; }

void tds_reasm_next(tds_reasm *r)
{
    mk_buf_reset(&r->msg);
    r->complete = false;
    r->in_progress = false;
}
