/*
 * ERROR and INFO tokens (MS-TDS 2.2.7.10, 2.2.7.13): number, state, class,
 * message text (US_VARCHAR), server name and procedure name (B_VARCHAR),
 * line number (32-bit from TDS 7.2). The same layout serves both tokens.
 */
#include "tds/tokens.h"

#include <string.h>

#include "internal.h"
#include "tds/ucs2.h"

#define NAME_MAX_UNITS 128
#define INFO_MAX_SEVERITY 10

/*
 * US_VARCHAR of text cut after max_units UTF-16 units at a character
 * boundary: a long message is still worth delivering.
 */
static MK_RESULT put_text_cut(mk_buf *out, const char *text, size_t max_units)
{
    const char *s = text != NULL ? text : "";
    mk_cursor c;
    mk_cursor_init(&c, s, strlen(s));
    size_t at = out->len;
    size_t units = 0;
    GUARD(mk_buf_put_u16le(out, 0));
    while (mk_cursor_remaining(&c) > 0) {
        uint32_t cp;
        GUARD(tds_utf8_next(&c, &cp));
        size_t need = cp < 0x10000 ? 1 : 2;
        if (units + need > max_units) {
            break;
        }
        GUARD(tds_utf16le_put(out, cp, &need));
        units += need;
    }
    return mk_buf_patch_u16le(out, at, (uint16_t)units);
}

static MK_RESULT message_encode(mk_buf *out, uint8_t token, const tds_message *m)
{
    const size_t start = out->len;
    size_t at;
    mk_result res = MK_ERR;
    GUARD_OUT(tds_token_begin(out, token, &at));
    GUARD_OUT(mk_buf_put_u32le(out, (uint32_t)m->number));
    GUARD_OUT(mk_buf_put_u8(out, m->state));
    GUARD_OUT(mk_buf_put_u8(out, m->severity));
    GUARD_OUT(put_text_cut(out, m->text, TDS_MESSAGE_MAX_UNITS));
    GUARD_OUT(tds_put_bvarchar(out, m->server, NAME_MAX_UNITS));
    GUARD_OUT(tds_put_bvarchar(out, m->proc, NAME_MAX_UNITS));
    GUARD_OUT(mk_buf_put_u32le(out, (uint32_t)m->line));
    GUARD_OUT(tds_token_end(out, at));
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    return res;
}

MK_RESULT tds_error_encode(mk_buf *out, const tds_message *m)
{
    return message_encode(out, TDS_TOKEN_ERROR, m);
}

MK_RESULT tds_info_encode(mk_buf *out, const tds_message *m)
{
    return message_encode(out, TDS_TOKEN_INFO, m);
}

MK_RESULT tds_message_encode(mk_buf *out, const tds_message *m)
{
    return message_encode(out, m->severity <= INFO_MAX_SEVERITY ? TDS_TOKEN_INFO : TDS_TOKEN_ERROR,
                          m);
}
