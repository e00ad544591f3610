/*
 * Small text helpers of the T-SQL front end: ASCII case-insensitive keyword
 * comparison (locale-independent, unlike strcasecmp) and UTF-8 checks. The
 * batch is UTF-8 converted from UTF-16 by the TDS layer; anything else is
 * rejected before tokenizing so that names and messages are always valid.
 */
#include "internal.h"

static unsigned char ascii_upper(unsigned char c)
{
    return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

bool sql_ieq(const char *s, size_t n, const char *kw)
{
    size_t i = 0;
    for (; i < n; i++) {
        if (kw[i] == '\0' ||
            ascii_upper((unsigned char)s[i]) != ascii_upper((unsigned char)kw[i])) {
            return false;
        }
    }
    return kw[i] == '\0';
}

/* Length of the UTF-8 sequence a lead byte announces; 0 if not a lead byte. */
static size_t utf8_seq_len(unsigned char c)
{
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        return 4;
    }
    return 0;
}

/* Is s[0..len) (len from utf8_seq_len) a well-formed, minimal, non-surrogate sequence? */
static bool utf8_seq_ok(const unsigned char *s, size_t len)
{
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return false;
        }
    }
    if (len == 3) {
        if (s[0] == 0xE0 && s[1] < 0xA0) {
            return false; /* overlong */
        }
        if (s[0] == 0xED && s[1] >= 0xA0) {
            return false; /* UTF-16 surrogate */
        }
    } else if (len == 4) {
        if (s[0] == 0xF0 && s[1] < 0x90) {
            return false; /* overlong */
        }
        if (s[0] == 0xF4 && s[1] >= 0x90) {
            return false; /* above U+10FFFF */
        }
    }
    return true;
}

size_t sql_utf8_valid_prefix(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t len = utf8_seq_len(u[i]);
        if (len == 0 || u[i] == 0 || len > n - i || !utf8_seq_ok(u + i, len)) {
            break;
        }
        i += len;
    }
    return i;
}

size_t sql_utf8_clip(const char *s, size_t n, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t k = n < max ? n : max;
    /* Find the lead byte of the last sequence that starts before k. */
    size_t j = k;
    while (j > 0 && k - j < 4 && (u[j - 1] & 0xC0) == 0x80) {
        j--;
    }
    if (j == 0) {
        return k == 0 || (u[0] & 0xC0) != 0x80 ? k : 0;
    }
    size_t lead = j - 1;
    size_t len = utf8_seq_len(u[lead]);
    if (len == 0 || lead + len <= k) {
        return k;
    }
    return lead;
}

size_t sql_utf8_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            chars++;
        }
    }
    return chars;
}
