/*
 * Growable, capped byte buffer (see mk/buf.h). Secret buffers never leave old
 * copies behind: growth allocates a new block, copies, and wipes the old one.
 */
#include "mk/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void mk_buf_init(mk_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max != 0 ? max : MK_BUF_DEFAULT_MAX;
}

void mk_buf_init_secret(mk_buf *b, size_t max)
{
    mk_buf_init(b, max);
    b->secret = true;
}

void mk_buf_cleanup(mk_buf *b)
{
    if (b->data != NULL && b->secret) {
        OPENSSL_cleanse(b->data, b->cap);
    }
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void mk_buf_reset(mk_buf *b)
{
    if (b->data != NULL && b->secret) {
        OPENSSL_cleanse(b->data, b->cap);
    }
    b->len = 0;
}

MK_RESULT mk_buf_reserve(mk_buf *b, size_t extra)
{
    ENSURE_MSG(extra <= b->max && b->len <= b->max - extra, MK_E_TOOBIG,
               "buffer would exceed its %zu-byte cap", b->max);
    size_t need = b->len + extra;
    if (need <= b->cap) {
        return MK_OK;
    }
    size_t cap = b->cap != 0 ? b->cap : 64;
    while (cap < need) {
        cap = cap > b->max / 2 ? b->max : cap * 2;
    }
    uint8_t *p = malloc(cap);
    ENSURE(p != NULL, MK_E_NOMEM);
    if (b->len > 0) {
        memcpy(p, b->data, b->len);
    }
    if (b->data != NULL && b->secret) {
        OPENSSL_cleanse(b->data, b->cap);
    }
    free(b->data);
    b->data = p;
    b->cap = cap;
    return MK_OK;
}

MK_RESULT mk_buf_append(mk_buf *b, const void *data, size_t n)
{
    GUARD(mk_buf_reserve(b, n));
    if (n > 0) {
        memcpy(b->data + b->len, data, n);
        b->len += n;
    }
    return MK_OK;
}

MK_RESULT mk_buf_append_str(mk_buf *b, const char *s) { return mk_buf_append(b, s, strlen(s)); }

MK_RESULT mk_buf_printf(mk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    ENSURE(n >= 0, MK_E_INVALID);
    GUARD(mk_buf_reserve(b, (size_t)n + 1));
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return MK_OK;
}

MK_RESULT mk_buf_terminate(mk_buf *b)
{
    GUARD(mk_buf_reserve(b, 1));
    b->data[b->len] = '\0';
    return MK_OK;
}

/* Append v as n bytes in the given byte order. */
static MK_RESULT put_uint(mk_buf *b, uint64_t v, size_t n, int big_endian)
{
    uint8_t tmp[8];
    for (size_t i = 0; i < n; i++) {
        size_t shift = big_endian ? (n - 1 - i) * 8 : i * 8;
        tmp[i] = (uint8_t)(v >> shift);
    }
    return mk_buf_append(b, tmp, n);
}

MK_RESULT mk_buf_put_u8(mk_buf *b, uint8_t v) { return mk_buf_append(b, &v, 1); }
MK_RESULT mk_buf_put_u16be(mk_buf *b, uint16_t v) { return put_uint(b, v, 2, 1); }
MK_RESULT mk_buf_put_u16le(mk_buf *b, uint16_t v) { return put_uint(b, v, 2, 0); }
MK_RESULT mk_buf_put_u32be(mk_buf *b, uint32_t v) { return put_uint(b, v, 4, 1); }
MK_RESULT mk_buf_put_u32le(mk_buf *b, uint32_t v) { return put_uint(b, v, 4, 0); }
MK_RESULT mk_buf_put_u64le(mk_buf *b, uint64_t v) { return put_uint(b, v, 8, 0); }
MK_RESULT mk_buf_put_u64be(mk_buf *b, uint64_t v) { return put_uint(b, v, 8, 1); }

/* Overwrite n bytes at offset at with v in the given byte order. */
static MK_RESULT patch_uint(mk_buf *b, size_t at, uint64_t v, size_t n, int big_endian)
{
    ENSURE_MSG(at <= b->len && n <= b->len - at, MK_E_BOUNDS, "patch at %zu outside %zu bytes", at,
               b->len);
    for (size_t i = 0; i < n; i++) {
        size_t shift = big_endian ? (n - 1 - i) * 8 : i * 8;
        b->data[at + i] = (uint8_t)(v >> shift);
    }
    return MK_OK;
}

MK_RESULT mk_buf_patch_u16be(mk_buf *b, size_t at, uint16_t v)
{
    return patch_uint(b, at, v, 2, 1);
}
MK_RESULT mk_buf_patch_u16le(mk_buf *b, size_t at, uint16_t v)
{
    return patch_uint(b, at, v, 2, 0);
}
MK_RESULT mk_buf_patch_u32le(mk_buf *b, size_t at, uint32_t v)
{
    return patch_uint(b, at, v, 4, 0);
}
