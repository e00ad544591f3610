/*
 * 'TCP://host:port' (see endpoint/address.h), read with the bounded cursor.
 */
#include "endpoint/address.h"

#include <stdbool.h>
#include <string.h>

#include "mk/cursor.h"

static bool host_char(uint8_t ch, bool bracketed)
{
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    return alnum || ch == '-' || ch == '.' || ch == '_' || (bracketed && ch == ':');
}

static MK_RESULT read_scheme(mk_cursor *c)
{
    static const char scheme[] = "tcp://";
    uint8_t got[sizeof(scheme) - 1];
    ENSURE_MSG(mk_cursor_remaining(c) >= sizeof(got), MK_E_INVALID,
               "address must start with TCP://");
    GUARD(mk_cursor_copy(c, got, sizeof(got)));
    for (size_t i = 0; i < sizeof(got); i++) {
        uint8_t ch = got[i] >= 'A' && got[i] <= 'Z' ? (uint8_t)(got[i] + 32) : got[i];
        ENSURE_MSG(ch == (uint8_t)scheme[i], MK_E_INVALID, "address must start with TCP://");
    }
    return MK_OK;
}

/* The host up to the ':' before the port; the cursor stops on that ':'. */
static MK_RESULT read_host(mk_cursor *c, char host[EP_HOST_MAX + 1])
{
    uint8_t ch = 0;
    size_t n = 0;
    bool bracketed = mk_ok(mk_cursor_peek_u8(c, &ch)) && ch == '[';
    if (bracketed) {
        GUARD(mk_cursor_skip(c, 1));
    }
    while (mk_cursor_remaining(c) > 0) {
        GUARD(mk_cursor_peek_u8(c, &ch));
        if ((bracketed && ch == ']') || (!bracketed && ch == ':')) {
            break;
        }
        ENSURE_MSG(host_char(ch, bracketed), MK_E_INVALID, "bad character in the address host");
        ENSURE_MSG(n < EP_HOST_MAX, MK_E_TOOBIG, "address host too long");
        host[n++] = (char)ch;
        GUARD(mk_cursor_skip(c, 1));
    }
    host[n] = '\0';
    ENSURE_MSG(n > 0, MK_E_INVALID, "address has no host");
    if (bracketed) {
        ENSURE_MSG(mk_cursor_remaining(c) > 0, MK_E_INVALID, "unterminated [ in the address");
        GUARD(mk_cursor_skip(c, 1));
    }
    return MK_OK;
}

static MK_RESULT read_port(mk_cursor *c, uint16_t *port)
{
    uint8_t ch = 0;
    uint32_t v = 0;
    size_t digits = 0;
    ENSURE_MSG(mk_ok(mk_cursor_read_u8(c, &ch)) && ch == ':', MK_E_INVALID, "address has no :port");
    while (mk_cursor_remaining(c) > 0) {
        GUARD(mk_cursor_read_u8(c, &ch));
        ENSURE_MSG(ch >= '0' && ch <= '9', MK_E_INVALID, "address port is not a number");
        v = v * 10 + (uint32_t)(ch - '0');
        ENSURE_MSG(++digits <= 5 && v <= 65535, MK_E_INVALID, "address port out of range");
    }
    ENSURE_MSG(digits > 0 && v > 0, MK_E_INVALID, "address port missing or 0");
    *port = (uint16_t)v;
    return MK_OK;
}

MK_RESULT ep_address_parse(const char *text, size_t len, char host[EP_HOST_MAX + 1], uint16_t *port)
{
    mk_cursor c;
    char h[EP_HOST_MAX + 1];
    uint16_t p = 0;
    ENSURE(text != NULL || len == 0, MK_E_INVALID);
    mk_cursor_init(&c, text, len);
    GUARD(read_scheme(&c));
    GUARD(read_host(&c, h));
    GUARD(read_port(&c, &p));
    memcpy(host, h, strlen(h) + 1);
    *port = p;
    return MK_OK;
}
