/*
 * UTF-16LE <-> UTF-8 (see tds/ucs2.h). TDS 7.x sends every string as UTF-16LE
 * (MS-TDS 2.2.5.1.2); we keep text as UTF-8 (RFC 3629) internally. Surrogate
 * pairs are combined; an unpaired surrogate in either encoding is rejected so
 * that no two byte strings decode to the same name.
 */
#include "tds/ucs2.h"

#include <string.h>

#include "internal.h"

#define SURR_HIGH_MIN 0xD800u
#define SURR_LOW_MIN 0xDC00u
#define SURR_LOW_MAX 0xDFFFu
#define CP_MAX 0x10FFFFu

static int is_high_surrogate(uint32_t u) { return u >= SURR_HIGH_MIN && u < SURR_LOW_MIN; }
static int is_low_surrogate(uint32_t u) { return u >= SURR_LOW_MIN && u <= SURR_LOW_MAX; }

MK_RESULT tds_utf16le_next(mk_cursor *in, uint32_t *cp)
{
    uint16_t u;
    GUARD(mk_cursor_read_u16le(in, &u));
    if (is_low_surrogate(u)) {
        BAIL_MSG(MK_E_INVALID, "unpaired low surrogate U+%04X in UTF-16 text", u);
    }
    if (!is_high_surrogate(u)) {
        *cp = u;
        return MK_OK;
    }
    uint16_t lo;
    ENSURE_MSG(mk_ok(mk_cursor_read_u16le(in, &lo)) && is_low_surrogate(lo), MK_E_INVALID,
               "unpaired high surrogate U+%04X in UTF-16 text", u);
    *cp = 0x10000u + (((uint32_t)u - SURR_HIGH_MIN) << 10) + ((uint32_t)lo - SURR_LOW_MIN);
    return MK_OK;
}

/* Decode a UTF-8 lead byte: continuation count, initial bits, smallest legal value. */
static MK_RESULT utf8_lead(uint8_t b, size_t *extra, uint32_t *cp, uint32_t *min)
{
    if (b < 0x80) {
        *extra = 0;
        *cp = b;
        *min = 0;
    } else if ((b & 0xE0) == 0xC0) {
        *extra = 1;
        *cp = b & 0x1Fu;
        *min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        *extra = 2;
        *cp = b & 0x0Fu;
        *min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        *extra = 3;
        *cp = b & 0x07u;
        *min = 0x10000;
    } else {
        BAIL_MSG(MK_E_INVALID, "invalid UTF-8 lead byte 0x%02X", b);
    }
    return MK_OK;
}

MK_RESULT tds_utf8_next(mk_cursor *in, uint32_t *cp)
{
    uint8_t b;
    GUARD(mk_cursor_read_u8(in, &b));
    size_t extra;
    uint32_t v;
    uint32_t min;
    GUARD(utf8_lead(b, &extra, &v, &min));
    for (size_t i = 0; i < extra; i++) {
        uint8_t c;
        ENSURE_MSG(mk_ok(mk_cursor_read_u8(in, &c)), MK_E_INVALID, "truncated UTF-8 sequence");
        ENSURE_MSG((c & 0xC0) == 0x80, MK_E_INVALID, "bad UTF-8 continuation byte 0x%02X", c);
        v = (v << 6) | (c & 0x3Fu);
    }
    ENSURE_MSG(v >= min, MK_E_INVALID, "overlong UTF-8 sequence");
    ENSURE_MSG(v <= CP_MAX && !(v >= SURR_HIGH_MIN && v <= SURR_LOW_MAX), MK_E_INVALID,
               "UTF-8 sequence encodes an invalid code point");
    *cp = v;
    return MK_OK;
}

size_t tds_utf8_encode_cp(uint32_t cp, uint8_t out[4])
{
    if (cp > CP_MAX || (cp >= SURR_HIGH_MIN && cp <= SURR_LOW_MAX)) {
        return 0;
    }
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

MK_RESULT tds_utf16le_to_utf8(mk_cursor *in, mk_buf *out)
{
    ENSURE_MSG(mk_cursor_remaining(in) % 2 == 0, MK_E_INVALID, "odd byte count in UTF-16 text");
    while (mk_cursor_remaining(in) > 0) {
        uint32_t cp;
        uint8_t enc[4];
        GUARD(tds_utf16le_next(in, &cp));
        GUARD(mk_buf_append(out, enc, tds_utf8_encode_cp(cp, enc)));
    }
    return MK_OK;
}

MK_RESULT tds_utf16le_to_utf8_fixed(mk_cursor *in, uint8_t *out, size_t cap, size_t *len)
{
    ENSURE_MSG(mk_cursor_remaining(in) % 2 == 0, MK_E_INVALID, "odd byte count in UTF-16 text");
    size_t n = 0;
    while (mk_cursor_remaining(in) > 0) {
        uint32_t cp;
        uint8_t enc[4];
        GUARD(tds_utf16le_next(in, &cp));
        size_t k = tds_utf8_encode_cp(cp, enc);
        ENSURE_MSG(k <= cap - n, MK_E_TOOBIG, "converted text exceeds %zu bytes", cap);
        for (size_t i = 0; i < k; i++) {
            out[n + i] = enc[i];
        }
        n += k;
    }
    *len = n;
    return MK_OK;
}

MK_RESULT tds_utf16le_put(mk_buf *out, uint32_t cp, size_t *units)
{
    ENSURE_MSG(cp <= CP_MAX && !(cp >= SURR_HIGH_MIN && cp <= SURR_LOW_MAX), MK_E_INVALID,
               "U+%04X is not a Unicode scalar value", (unsigned)cp);
    if (cp < 0x10000) {
        *units = 1;
        return mk_buf_put_u16le(out, (uint16_t)cp);
    }
    uint32_t v = cp - 0x10000u;
    GUARD(mk_buf_put_u16le(out, (uint16_t)(SURR_HIGH_MIN + (v >> 10))));
    GUARD(mk_buf_put_u16le(out, (uint16_t)(SURR_LOW_MIN + (v & 0x3FFu))));
    *units = 2;
    return MK_OK;
}

MK_RESULT tds_utf8_to_utf16le(const char *text, size_t len, mk_buf *out, size_t *units)
{
    mk_cursor c;
    mk_cursor_init(&c, text, len);
    size_t total = 0;
    while (mk_cursor_remaining(&c) > 0) {
        uint32_t cp;
        size_t n;
        GUARD(tds_utf8_next(&c, &cp));
        GUARD(tds_utf16le_put(out, cp, &n));
        total += n;
    }
    if (units != NULL) {
        *units = total;
    }
    return MK_OK;
}

MK_RESULT tds_utf16_units(const char *text, size_t len, size_t *units)
{
    mk_cursor c;
    mk_cursor_init(&c, text, len);
    size_t total = 0;
    while (mk_cursor_remaining(&c) > 0) {
        uint32_t cp;
        GUARD(tds_utf8_next(&c, &cp));
        total += cp < 0x10000 ? 1 : 2;
    }
    *units = total;
    return MK_OK;
}

/* Write a VARCHAR with an n-byte count prefix (1 = B_VARCHAR, 2 = US_VARCHAR). */
static MK_RESULT put_varchar(mk_buf *out, const char *utf8, size_t max_units, size_t prefix)
{
    const char *s = utf8 != NULL ? utf8 : "";
    size_t len = strlen(s);
    size_t units;
    GUARD(tds_utf16_units(s, len, &units));
    ENSURE_MSG(units <= max_units, MK_E_TOOBIG, "string of %zu characters over %zu", units,
               max_units);
    GUARD(prefix == 1 ? mk_buf_put_u8(out, (uint8_t)units)
                      : mk_buf_put_u16le(out, (uint16_t)units));
    return tds_utf8_to_utf16le(s, len, out, NULL);
}

MK_RESULT tds_put_bvarchar(mk_buf *out, const char *utf8, size_t max_units)
{
    return put_varchar(out, utf8, max_units < UINT8_MAX ? max_units : UINT8_MAX, 1);
}

MK_RESULT tds_put_usvarchar(mk_buf *out, const char *utf8, size_t max_units)
{
    return put_varchar(out, utf8, max_units < UINT16_MAX ? max_units : UINT16_MAX, 2);
}

MK_RESULT tds_token_begin(mk_buf *out, uint8_t token, size_t *at)
{
    GUARD(mk_buf_put_u8(out, token));
    *at = out->len;
    return mk_buf_put_u16le(out, 0);
}

MK_RESULT tds_token_end(mk_buf *out, size_t at)
{
    size_t n = out->len - at - 2;
    ENSURE_MSG(n <= UINT16_MAX, MK_E_TOOBIG, "token body of %zu bytes over 65535", n);
    return mk_buf_patch_u16le(out, at, (uint16_t)n);
}

MK_RESULT tds_check_no_nul(const char *s, size_t len, const char *what)
{
    ENSURE_MSG(len == 0 || memchr(s, 0, len) == NULL, MK_E_INVALID, "%s contains a NUL character",
               what);
    return MK_OK;
}
