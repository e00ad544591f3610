/*
 * ENVCHANGE token (MS-TDS 2.2.7.9): type, new value, old value. Database,
 * language, character set and packet size carry B_VARCHAR values; the SQL
 * collation carries B_VARBYTE values.
 */
#include "tds/tokens.h"

#include <stdio.h>

#include "internal.h"

#define ENV_NAME_MAX_UNITS 128

MK_RESULT tds_envchange_string(mk_buf *out, uint8_t type, const char *new_value,
                               const char *old_value)
{
    ENSURE_MSG(type >= TDS_ENV_DATABASE && type <= 6, MK_E_INVALID,
               "ENVCHANGE type %u does not take text", type);
    const size_t start = out->len;
    size_t at;
    mk_result res = MK_ERR;
    GUARD_OUT(tds_token_begin(out, TDS_TOKEN_ENVCHANGE, &at));
    GUARD_OUT(mk_buf_put_u8(out, type));
    GUARD_OUT(tds_put_bvarchar(out, new_value, ENV_NAME_MAX_UNITS));
    GUARD_OUT(tds_put_bvarchar(out, old_value, ENV_NAME_MAX_UNITS));
    GUARD_OUT(tds_token_end(out, at));
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    return res;
}

MK_RESULT tds_envchange_bytes(mk_buf *out, uint8_t type, const uint8_t *new_value, size_t new_len,
                              const uint8_t *old_value, size_t old_len)
{
    ENSURE_MSG(new_len <= UINT8_MAX && old_len <= UINT8_MAX, MK_E_TOOBIG,
               "ENVCHANGE value over 255 bytes");
    const size_t start = out->len;
    size_t at;
    mk_result res = MK_ERR;
    GUARD_OUT(tds_token_begin(out, TDS_TOKEN_ENVCHANGE, &at));
    GUARD_OUT(mk_buf_put_u8(out, type));
    GUARD_OUT(mk_buf_put_u8(out, (uint8_t)new_len));
    GUARD_OUT(mk_buf_append(out, new_value, new_len));
    GUARD_OUT(mk_buf_put_u8(out, (uint8_t)old_len));
    GUARD_OUT(mk_buf_append(out, old_value, old_len));
    GUARD_OUT(tds_token_end(out, at));
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    return res;
}

MK_RESULT tds_envchange_packet_size(mk_buf *out, uint32_t new_size, uint32_t old_size)
{
    char new_text[16];
    char old_text[16];
    snprintf(new_text, sizeof(new_text), "%u", (unsigned)new_size);
    snprintf(old_text, sizeof(old_text), "%u", (unsigned)old_size);
    return tds_envchange_string(out, TDS_ENV_PACKET_SIZE, new_text, old_text);
}
