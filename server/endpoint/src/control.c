/*
 * Session control bodies (see endpoint/control.h): the reader over the
 * bounded cursor and the writer side by side, sharing one set of field
 * checks so that the writer never emits what the reader refuses.
 */
#include "endpoint/control.h"

#include <stdbool.h>
#include <string.h>

#include "endpoint/address.h"
#include "endpoint/frame.h"
#include "mk/cursor.h"
#include "text.h"

static MK_RESULT check_address(const char *s, size_t n)
{
    char host[EP_HOST_MAX + 1];
    uint16_t port = 0;
    if (n == 0) {
        return MK_OK;
    }
    return ep_address_parse(s, n, host, &port);
}

/* u8 length + text: a database name (1..) or an address (0.., parsed). */
static MK_RESULT read_short(mk_cursor *c, size_t cap, char *out, bool is_address)
{
    uint8_t n = 0;
    GUARD(mk_cursor_read_u8(c, &n));
    ENSURE_MSG(is_address || n >= 1, MK_E_INVALID, "empty database name");
    GUARD(ep_read_text(c, n, cap, out, is_address ? "witness address" : "database name"));
    return is_address ? check_address(out, n) : MK_OK;
}

static MK_RESULT write_short(mk_buf *out, const char *s, size_t cap, bool is_address)
{
    size_t n = strnlen(s, cap + 1);
    ENSURE_MSG(n <= cap && (is_address || n >= 1), MK_E_INVALID, "%s of %zu bytes",
               is_address ? "witness address" : "database name", n);
    ENSURE_MSG(ep_text_ok((const uint8_t *)s, n), MK_E_INVALID,
               "control field is not UTF-8 text without control characters");
    if (is_address) {
        GUARD(check_address(s, n));
    }
    GUARD(mk_buf_put_u8(out, (uint8_t)n));
    return mk_buf_append(out, s, n);
}

static MK_RESULT read_body(mk_cursor *c, ep_control *m)
{
    switch (m->op) {
    case EP_CTL_JOIN:
    case EP_CTL_LEAVE: return read_short(c, EP_DB_NAME_MAX, m->database, false);
    case EP_CTL_SET_WITNESS:
        GUARD(read_short(c, EP_DB_NAME_MAX, m->database, false));
        return read_short(c, EP_CTL_ADDRESS_MAX, m->witness, true);
    case EP_CTL_RESULT: {
        uint16_t n = 0;
        GUARD(mk_cursor_read_u32be(c, &m->number));
        GUARD(mk_cursor_read_u16be(c, &n));
        return ep_read_text(c, n, EP_CTL_TEXT_MAX, m->text, "RESULT text");
    }
    default: BAIL_MSG(MK_E_INVALID, "unknown control op %u", (unsigned)m->op);
    }
}

MK_RESULT ep_control_parse(const uint8_t *data, size_t len, ep_control *out)
{
    mk_cursor c;
    ep_control m;
    memset(&m, 0, sizeof(m));
    ENSURE_MSG(len <= EP_FRAME_CONTROL_MAX, MK_E_TOOBIG, "control message of %zu bytes", len);
    mk_cursor_init(&c, data, len);
    GUARD(mk_cursor_read_u8(&c, &m.op));
    GUARD(read_body(&c, &m));
    ENSURE_MSG(mk_cursor_done(&c), MK_E_INVALID, "trailing bytes after %s",
               ep_control_op_name(m.op));
    *out = m;
    return MK_OK;
}

static MK_RESULT encode_body(const ep_control *m, mk_buf *out)
{
    switch (m->op) {
    case EP_CTL_JOIN:
    case EP_CTL_LEAVE:
        GUARD(mk_buf_put_u8(out, m->op));
        return write_short(out, m->database, EP_DB_NAME_MAX, false);
    case EP_CTL_SET_WITNESS:
        GUARD(mk_buf_put_u8(out, m->op));
        GUARD(write_short(out, m->database, EP_DB_NAME_MAX, false));
        return write_short(out, m->witness, EP_CTL_ADDRESS_MAX, true);
    case EP_CTL_RESULT: {
        size_t n = strnlen(m->text, EP_CTL_TEXT_MAX + 1);
        ENSURE_MSG(n <= EP_CTL_TEXT_MAX && ep_text_ok((const uint8_t *)m->text, n), MK_E_INVALID,
                   "RESULT text too long or not UTF-8 text");
        GUARD(mk_buf_put_u8(out, m->op));
        GUARD(mk_buf_put_u32be(out, m->number));
        GUARD(mk_buf_put_u16be(out, (uint16_t)n));
        return mk_buf_append(out, m->text, n);
    }
    default: BAIL_MSG(MK_E_INVALID, "unknown control op %u", (unsigned)m->op);
    }
}

MK_RESULT ep_control_encode(const ep_control *m, mk_buf *out)
{
    size_t mark = out->len;
    if (mk_failed(encode_body(m, out))) {
        out->len = mark; /* nothing half-written */
        return MK_ERR;
    }
    return MK_OK;
}

const char *ep_control_op_name(uint8_t op)
{
    switch (op) {
    case EP_CTL_JOIN: return "JOIN";
    case EP_CTL_LEAVE: return "LEAVE";
    case EP_CTL_SET_WITNESS: return "SET_WITNESS";
    case EP_CTL_RESULT: return "RESULT";
    default: return "?";
    }
}
