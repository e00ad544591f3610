/*
 * HELLO / ACCEPT / REJECT bodies (see endpoint/hello.h): readers over the
 * bounded cursor and writers into mk_buf, side by side, sharing the text
 * rules so that a writer never emits what its reader refuses.
 */
#include "endpoint/hello.h"

#include <stdbool.h>
#include <string.h>

#include "endpoint/frame.h"
#include "mk/cursor.h"
#include "text.h"

static const uint8_t magic[4] = {'M', 'K', 'E', 'P'};

static MK_RESULT check_name(const char *name)
{
    size_t n = strnlen(name, EP_NAME_MAX + 1);
    ENSURE_MSG(n >= 1 && n <= EP_NAME_MAX, MK_E_INVALID, "instance name of %zu bytes", n);
    ENSURE_MSG(ep_text_ok((const uint8_t *)name, n), MK_E_INVALID,
               "instance name is not UTF-8 text without control characters");
    return MK_OK;
}

static MK_RESULT read_magic(mk_cursor *c)
{
    uint8_t m[4];
    GUARD(mk_cursor_copy(c, m, sizeof(m)));
    ENSURE_MSG(memcmp(m, magic, sizeof(m)) == 0, MK_E_INVALID, "not a mirrorkey endpoint message");
    return MK_OK;
}

static MK_RESULT read_name(mk_cursor *c, char out[EP_NAME_MAX + 1])
{
    uint8_t n = 0;
    GUARD(mk_cursor_read_u8(c, &n));
    ENSURE_MSG(n >= 1, MK_E_INVALID, "empty instance name");
    return ep_read_text(c, n, EP_NAME_MAX, out, "instance name");
}

static MK_RESULT check_versions(uint16_t lo, uint16_t hi)
{
    ENSURE_MSG(lo >= 1 && lo <= hi, MK_E_INVALID, "protocol versions %u..%u", (unsigned)lo,
               (unsigned)hi);
    return MK_OK;
}

MK_RESULT ep_hello_parse(const uint8_t *data, size_t len, ep_hello *out)
{
    mk_cursor c;
    ep_hello h = {0};
    ENSURE_MSG(len <= EP_FRAME_HANDSHAKE_MAX, MK_E_TOOBIG, "HELLO of %zu bytes", len);
    mk_cursor_init(&c, data, len);
    GUARD(read_magic(&c));
    GUARD(mk_cursor_read_u16be(&c, &h.version_min));
    GUARD(mk_cursor_read_u16be(&c, &h.version_max));
    GUARD(mk_cursor_read_u8(&c, &h.role));
    GUARD(read_name(&c, h.instance));
    ENSURE_MSG(mk_cursor_done(&c), MK_E_INVALID, "trailing bytes after HELLO");
    GUARD(check_versions(h.version_min, h.version_max));
    ENSURE_MSG(h.role == EP_HELLO_PARTNER || h.role == EP_HELLO_WITNESS, MK_E_INVALID,
               "HELLO role %u", (unsigned)h.role);
    *out = h;
    return MK_OK;
}

MK_RESULT ep_hello_encode(const ep_hello *h, mk_buf *out)
{
    GUARD(check_versions(h->version_min, h->version_max));
    ENSURE_MSG(h->role == EP_HELLO_PARTNER || h->role == EP_HELLO_WITNESS, MK_E_INVALID,
               "HELLO role %u", (unsigned)h->role);
    GUARD(check_name(h->instance));
    size_t n = strlen(h->instance);
    GUARD(mk_buf_append(out, magic, sizeof(magic)));
    GUARD(mk_buf_put_u16be(out, h->version_min));
    GUARD(mk_buf_put_u16be(out, h->version_max));
    GUARD(mk_buf_put_u8(out, h->role));
    GUARD(mk_buf_put_u8(out, (uint8_t)n));
    return mk_buf_append(out, h->instance, n);
}

MK_RESULT ep_accept_parse(const uint8_t *data, size_t len, ep_accept *out)
{
    mk_cursor c;
    ep_accept a = {0};
    ENSURE_MSG(len <= EP_FRAME_HANDSHAKE_MAX, MK_E_TOOBIG, "ACCEPT of %zu bytes", len);
    mk_cursor_init(&c, data, len);
    GUARD(read_magic(&c));
    GUARD(mk_cursor_read_u16be(&c, &a.version));
    GUARD(read_name(&c, a.instance));
    ENSURE_MSG(mk_cursor_done(&c), MK_E_INVALID, "trailing bytes after ACCEPT");
    ENSURE_MSG(a.version >= 1, MK_E_INVALID, "ACCEPT version 0");
    *out = a;
    return MK_OK;
}

MK_RESULT ep_accept_encode(const ep_accept *a, mk_buf *out)
{
    ENSURE_MSG(a->version >= 1, MK_E_INVALID, "ACCEPT version 0");
    GUARD(check_name(a->instance));
    size_t n = strlen(a->instance);
    GUARD(mk_buf_append(out, magic, sizeof(magic)));
    GUARD(mk_buf_put_u16be(out, a->version));
    GUARD(mk_buf_put_u8(out, (uint8_t)n));
    return mk_buf_append(out, a->instance, n);
}

MK_RESULT ep_reject_parse(const uint8_t *data, size_t len, ep_reject *out)
{
    mk_cursor c;
    uint16_t n = 0;
    ep_reject r = {0};
    ENSURE_MSG(len <= EP_FRAME_HANDSHAKE_MAX, MK_E_TOOBIG, "REJECT of %zu bytes", len);
    mk_cursor_init(&c, data, len);
    GUARD(mk_cursor_read_u16be(&c, &r.reason));
    GUARD(mk_cursor_read_u16be(&c, &n));
    GUARD(ep_read_text(&c, n, EP_REJECT_TEXT_MAX, r.text, "REJECT text"));
    ENSURE_MSG(mk_cursor_done(&c), MK_E_INVALID, "trailing bytes after REJECT");
    *out = r;
    return MK_OK;
}

MK_RESULT ep_reject_encode(const ep_reject *r, mk_buf *out)
{
    size_t n = strnlen(r->text, EP_REJECT_TEXT_MAX + 1);
    ENSURE_MSG(n <= EP_REJECT_TEXT_MAX && ep_text_ok((const uint8_t *)r->text, n), MK_E_INVALID,
               "REJECT text too long or not UTF-8 text");
    GUARD(mk_buf_put_u16be(out, r->reason));
    GUARD(mk_buf_put_u16be(out, (uint16_t)n));
    return mk_buf_append(out, r->text, n);
}

const char *ep_hello_role_name(uint8_t role)
{
    switch (role) {
    case EP_HELLO_PARTNER: return "PARTNER";
    case EP_HELLO_WITNESS: return "WITNESS";
    default: return "?";
    }
}

const char *ep_reject_reason_name(uint16_t reason)
{
    switch (reason) {
    case EP_REJECT_PROTOCOL: return "PROTOCOL";
    case EP_REJECT_NOT_AUTHORIZED: return "NOT_AUTHORIZED";
    case EP_REJECT_STOPPED: return "STOPPED";
    case EP_REJECT_ROLE: return "ROLE";
    case EP_REJECT_UNAVAILABLE: return "UNAVAILABLE";
    default: return "?";
    }
}

MK_RESULT ep_hello_pick_version(const ep_hello *h, uint16_t *version)
{
    ENSURE_MSG(h->version_min <= EP_PROTO_VERSION && h->version_max >= EP_PROTO_VERSION,
               MK_E_INVALID, "no common protocol version (peer %u..%u, ours %u)",
               (unsigned)h->version_min, (unsigned)h->version_max, (unsigned)EP_PROTO_VERSION);
    *version = EP_PROTO_VERSION;
    return MK_OK;
}
