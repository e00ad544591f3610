/*
 * Bounded byte cursor (see mk/cursor.h). All bounds checks live here so that
 * parsers contain no pointer arithmetic of their own.
 */
#include "mk/cursor.h"

#include <string.h>

void mk_cursor_init(mk_cursor *c, const void *data, size_t len)
{
    c->data = data;
    c->len = data != NULL ? len : 0;
    c->pos = 0;
    c->failed = false;
}

size_t mk_cursor_remaining(const mk_cursor *c) { return c->len - c->pos; }
size_t mk_cursor_pos(const mk_cursor *c) { return c->pos; }
bool mk_cursor_failed(const mk_cursor *c) { return c->failed; }
bool mk_cursor_done(const mk_cursor *c) { return !c->failed && c->pos == c->len; }
const uint8_t *mk_cursor_ptr(const mk_cursor *c)
{
    return c->data != NULL ? c->data + c->pos : NULL;
}

/* Check that n more bytes can be read; on failure set the sticky flag. */
static MK_RESULT cursor_need(mk_cursor *c, size_t n)
{
    if (c->failed) {
        BAIL_MSG(MK_E_BOUNDS, "read after an earlier out-of-bounds read");
    }
    if (n > c->len - c->pos) {
        c->failed = true;
        BAIL_MSG(MK_E_BOUNDS, "need %zu bytes at offset %zu, %zu left", n, c->pos, c->len - c->pos);
    }
    return MK_OK;
}

MK_RESULT mk_cursor_copy(mk_cursor *c, void *out, size_t n)
{
    GUARD(cursor_need(c, n));
    if (n > 0) {
        memcpy(out, c->data + c->pos, n);
    }
    c->pos += n;
    return MK_OK;
}

MK_RESULT mk_cursor_read_u8(mk_cursor *c, uint8_t *out) { return mk_cursor_copy(c, out, 1); }

MK_RESULT mk_cursor_peek_u8(mk_cursor *c, uint8_t *out)
{
    GUARD(cursor_need(c, 1));
    *out = c->data[c->pos];
    return MK_OK;
}

static uint64_t load_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint64_t load_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

/* Read an n-byte integer in the given byte order. */
static MK_RESULT read_uint(mk_cursor *c, size_t n, bool big_endian, uint64_t *out)
{
    GUARD(cursor_need(c, n));
    const uint8_t *p = c->data + c->pos;
    *out = big_endian ? load_be(p, n) : load_le(p, n);
    c->pos += n;
    return MK_OK;
}

MK_RESULT mk_cursor_read_u16be(mk_cursor *c, uint16_t *out)
{
    uint64_t v;
    GUARD(read_uint(c, 2, true, &v));
    *out = (uint16_t)v;
    return MK_OK;
}

MK_RESULT mk_cursor_read_u16le(mk_cursor *c, uint16_t *out)
{
    uint64_t v;
    GUARD(read_uint(c, 2, false, &v));
    *out = (uint16_t)v;
    return MK_OK;
}

MK_RESULT mk_cursor_read_u32be(mk_cursor *c, uint32_t *out)
{
    uint64_t v;
    GUARD(read_uint(c, 4, true, &v));
    *out = (uint32_t)v;
    return MK_OK;
}

MK_RESULT mk_cursor_read_u32le(mk_cursor *c, uint32_t *out)
{
    uint64_t v;
    GUARD(read_uint(c, 4, false, &v));
    *out = (uint32_t)v;
    return MK_OK;
}

MK_RESULT mk_cursor_read_u64be(mk_cursor *c, uint64_t *out) { return read_uint(c, 8, true, out); }
MK_RESULT mk_cursor_read_u64le(mk_cursor *c, uint64_t *out) { return read_uint(c, 8, false, out); }

MK_RESULT mk_cursor_read_i32le(mk_cursor *c, int32_t *out)
{
    uint32_t v;
    GUARD(mk_cursor_read_u32le(c, &v));
    memcpy(out, &v, sizeof(*out));
    return MK_OK;
}

MK_RESULT mk_cursor_read_bytes(mk_cursor *c, size_t n, mk_cursor *sub)
{
    GUARD(cursor_need(c, n));
    mk_cursor_init(sub, c->data + c->pos, n);
    c->pos += n;
    return MK_OK;
}

MK_RESULT mk_cursor_skip(mk_cursor *c, size_t n)
{
    GUARD(cursor_need(c, n));
    c->pos += n;
    return MK_OK;
}

MK_RESULT mk_cursor_seek(mk_cursor *c, size_t pos)
{
    if (c->failed || pos > c->len) {
        c->failed = true;
        BAIL_MSG(MK_E_BOUNDS, "seek to %zu outside %zu bytes", pos, c->len);
    }
    c->pos = pos;
    return MK_OK;
}

MK_RESULT mk_cursor_slice(mk_cursor *c, size_t off, size_t n, mk_cursor *sub)
{
    if (c->failed || off > c->len || n > c->len - off) {
        c->failed = true;
        BAIL_MSG(MK_E_BOUNDS, "range %zu+%zu outside %zu bytes", off, n, c->len);
    }
    mk_cursor_init(sub, c->data + off, n);
    return MK_OK;
}
