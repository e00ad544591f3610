/*
 * Small helpers shared by the catalog: time, randomness, GUID text and
 * validation of names (sysname) and UTF-8.
 */
#include "internal.h"

#include <string.h>
#include <time.h>

#include <openssl/rand.h>

int64_t cat_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

MK_RESULT cat_random(uint8_t *buf, size_t len)
{
    ENSURE_MSG(len <= INT32_MAX, MK_E_INVALID, "catalog: random request too large");
    ENSURE_MSG(RAND_bytes(buf, (int)len) == 1, MK_E_CRYPTO, "catalog: random generator failed");
    return MK_OK;
}

MK_RESULT cat_random_guid(char out[37])
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t b[16];
    GUARD(cat_random(b, sizeof(b)));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    size_t o = 0;
    for (size_t i = 0; i < sizeof(b); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[o++] = '-';
        }
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0x0f];
    }
    out[o] = '\0';
    return MK_OK;
}

/* Length of the UTF-8 sequence starting with lead byte c, or 0 if invalid. */
static size_t utf8_seq_len(uint8_t c)
{
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        return 4;
    }
    return 0;
}

bool cat_utf8_valid(const uint8_t *s, size_t len, size_t *chars)
{
    size_t n = 0;
    for (size_t i = 0; i < len; n++) {
        size_t l = utf8_seq_len(s[i]);
        if (l == 0 || l > len - i) {
            return false;
        }
        uint32_t cp = l == 1 ? s[i] : (uint32_t)(s[i] & (0x7f >> l));
        for (size_t k = 1; k < l; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* Overlong forms, surrogates and values past U+10FFFF. */
        if ((l == 3 && cp < 0x800) || (l == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += l;
    }
    if (chars != NULL) {
        *chars = n;
    }
    return true;
}

MK_RESULT cat_check_name(const char *name, const char *what)
{
    ENSURE_MSG(name != NULL && name[0] != '\0', MK_E_INVALID, "%s name is empty", what);
    size_t len = strlen(name);
    ENSURE_MSG(len <= CAT_NAME_MAX, MK_E_INVALID, "%s name is longer than %d bytes", what,
               CAT_NAME_MAX);
    ENSURE_MSG(cat_utf8_valid((const uint8_t *)name, len, NULL), MK_E_INVALID,
               "%s name is not valid UTF-8", what);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)name[i];
        ENSURE_MSG(c >= 0x20 && c != 0x7f, MK_E_INVALID, "%s name contains a control character",
                   what);
    }
    return MK_OK;
}

void cat_copy_text(char *dst, size_t dstlen, const char *src)
{
    if (dstlen == 0) {
        return;
    }
    size_t n = strlen(src);
    if (n >= dstlen) {
        n = dstlen - 1;
        /* Do not cut a UTF-8 sequence in half. */
        while (n > 0 && ((uint8_t)src[n] & 0xc0) == 0x80) {
            n--;
        }
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static char ascii_lower(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return (char)(c - 'A' + 'a');
    }
    return c;
}

bool cat_name_eq(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        if (ascii_lower(*a) != ascii_lower(*b)) {
            return false;
        }
    }
    return *a == *b;
}
