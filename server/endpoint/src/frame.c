/*
 * Frame header and frame reader/writer of the endpoint protocol (see
 * endpoint/frame.h). Reader and writer share one validity check so that
 * whatever we send, we would also accept.
 */
#include "endpoint/frame.h"

#include <stdbool.h>

size_t ep_frame_max_payload(uint8_t type)
{
    switch (type) {
    case EP_FRAME_HELLO:
    case EP_FRAME_ACCEPT:
    case EP_FRAME_REJECT: return EP_FRAME_HANDSHAKE_MAX;
    case EP_FRAME_HEARTBEAT: return EP_FRAME_HEARTBEAT_LEN;
    case EP_FRAME_CONTROL: return EP_FRAME_CONTROL_MAX;
    case EP_FRAME_PAYLOAD: return EP_FRAME_PAYLOAD_MAX;
    default: return 0;
    }
}

const char *ep_frame_type_name(uint8_t type)
{
    switch (type) {
    case EP_FRAME_HELLO: return "HELLO";
    case EP_FRAME_ACCEPT: return "ACCEPT";
    case EP_FRAME_REJECT: return "REJECT";
    case EP_FRAME_HEARTBEAT: return "HEARTBEAT";
    case EP_FRAME_CONTROL: return "CONTROL";
    case EP_FRAME_PAYLOAD: return "PAYLOAD";
    default: return "?";
    }
}

/* The rules every header obeys, for reader and writer alike. */
static MK_RESULT check_header(const ep_frame_header *h)
{
    size_t cap = ep_frame_max_payload(h->type);
    ENSURE_MSG(cap != 0, MK_E_INVALID, "unknown frame type %u", (unsigned)h->type);
    ENSURE_MSG(h->length <= cap, MK_E_TOOBIG, "%s frame of %lu bytes (cap %zu)",
               ep_frame_type_name(h->type), (unsigned long)h->length, cap);
    bool control_or_data = h->type == EP_FRAME_CONTROL || h->type == EP_FRAME_PAYLOAD;
    ENSURE_MSG(control_or_data || h->stream_id == 0, MK_E_INVALID,
               "%s frame on stream %lu (must be 0)", ep_frame_type_name(h->type),
               (unsigned long)h->stream_id);
    ENSURE_MSG(h->type != EP_FRAME_HEARTBEAT || h->length == EP_FRAME_HEARTBEAT_LEN, MK_E_INVALID,
               "heartbeat of %lu bytes", (unsigned long)h->length);
    return MK_OK;
}

MK_RESULT ep_frame_header_parse(const uint8_t *data, size_t len, ep_frame_header *out)
{
    mk_cursor c;
    uint8_t flags = 0;
    ep_frame_header h = {0};
    ENSURE_MSG(len == EP_FRAME_HEADER_LEN, MK_E_BOUNDS, "frame header of %zu bytes", len);
    mk_cursor_init(&c, data, len);
    GUARD(mk_cursor_read_u8(&c, &h.type));
    GUARD(mk_cursor_read_u8(&c, &flags));
    GUARD(mk_cursor_read_u32be(&c, &h.stream_id));
    GUARD(mk_cursor_read_u32be(&c, &h.length));
    ENSURE_MSG(flags == 0, MK_E_INVALID, "frame flags 0x%02x (reserved, must be 0)",
               (unsigned)flags);
    GUARD(check_header(&h));
    *out = h;
    return MK_OK;
}

MK_RESULT ep_frame_parse(mk_cursor *c, ep_frame *out)
{
    mk_cursor body;
    ep_frame f = {0};
    size_t left = mk_cursor_remaining(c);
    ENSURE_MSG(!mk_cursor_failed(c), MK_E_BOUNDS, "cursor already failed");
    /* Check lengths first: a failed read would leave c's sticky flag set. */
    ENSURE_MSG(left >= EP_FRAME_HEADER_LEN, MK_E_BOUNDS, "truncated frame header");
    GUARD(ep_frame_header_parse(mk_cursor_ptr(c), EP_FRAME_HEADER_LEN, &f.h));
    ENSURE_MSG(left - EP_FRAME_HEADER_LEN >= f.h.length, MK_E_BOUNDS, "truncated %s frame",
               ep_frame_type_name(f.h.type));
    GUARD(mk_cursor_skip(c, EP_FRAME_HEADER_LEN));
    GUARD(mk_cursor_read_bytes(c, f.h.length, &body));
    f.payload = f.h.length != 0 ? mk_cursor_ptr(&body) : NULL;
    *out = f;
    return MK_OK;
}

MK_RESULT ep_frame_encode(mk_buf *out, uint8_t type, uint32_t stream_id, const uint8_t *payload,
                          size_t len)
{
    ep_frame_header h = {.type = type, .stream_id = stream_id, .length = 0};
    ENSURE_MSG(len <= EP_FRAME_PAYLOAD_MAX, MK_E_TOOBIG, "frame payload of %zu bytes", len);
    ENSURE(payload != NULL || len == 0, MK_E_INVALID);
    h.length = (uint32_t)len;
    GUARD(check_header(&h));
    GUARD(mk_buf_reserve(out, EP_FRAME_HEADER_LEN + len));
    GUARD(mk_buf_put_u8(out, h.type));
    GUARD(mk_buf_put_u8(out, 0));
    GUARD(mk_buf_put_u32be(out, h.stream_id));
    GUARD(mk_buf_put_u32be(out, h.length));
    if (len != 0) {
        GUARD(mk_buf_append(out, payload, len));
    }
    return MK_OK;
}
