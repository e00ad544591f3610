/*
 * The text rule every endpoint message shares (instance names, database
 * names, REJECT and RESULT texts): well-formed UTF-8 without control
 * characters, read through the bounded cursor.
 */
#include "text.h"

#include <string.h>

bool ep_text_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) {
            if (b < 0x20 || b == 0x7f) {
                return false;
            }
            i++;
            continue;
        }
        size_t more = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 ? 1 : 0;
        if (more == 0 || b > 0xf4 || n - i <= more) {
            return false;
        }
        uint32_t cp = b & (0x3fu >> more);
        for (size_t k = 1; k <= more; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        bool overlong = (more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000);
        if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
            (cp >= 0x80 && cp <= 0x9f)) {
            return false;
        }
        i += more + 1;
    }
    return true;
}

MK_RESULT ep_read_text(mk_cursor *c, size_t n, size_t cap, char *out, const char *what)
{
    mk_cursor sub;
    ENSURE_MSG(n <= cap, MK_E_INVALID, "%s of %zu bytes (max %zu)", what, n, cap);
    GUARD(mk_cursor_read_bytes(c, n, &sub));
    ENSURE_MSG(ep_text_ok(mk_cursor_ptr(&sub), n), MK_E_INVALID,
               "%s is not UTF-8 text without control characters", what);
    memcpy(out, mk_cursor_ptr(&sub), n);
    out[n] = '\0';
    return MK_OK;
}
