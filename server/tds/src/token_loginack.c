/*
 * LOGINACK token (MS-TDS 2.2.7.14). FreeTDS takes the program name's length
 * from the token length, so the length must be exact; and it treats any
 * interface other than SQL_TSQL as a failed login.
 */
#include "tds/tokens.h"

#include "internal.h"

MK_RESULT tds_loginack_encode(mk_buf *out, uint8_t interface, uint32_t tds_version,
                              const char *prog_name, const uint8_t prog_version[4])
{
    const size_t start = out->len;
    size_t at;
    mk_result res = MK_ERR;
    GUARD_OUT(tds_token_begin(out, TDS_TOKEN_LOGINACK, &at));
    GUARD_OUT(mk_buf_put_u8(out, interface));
    GUARD_OUT(mk_buf_put_u32be(out, tds_version));
    GUARD_OUT(tds_put_bvarchar(out, prog_name, UINT8_MAX));
    GUARD_OUT(mk_buf_append(out, prog_version, 4));
    GUARD_OUT(tds_token_end(out, at));
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    return res;
}
