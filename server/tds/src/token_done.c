/*
 * DONE, DONEPROC and DONEINPROC tokens (MS-TDS 2.2.7.6-2.2.7.8): the end of
 * a statement, a procedure, or a statement inside a procedure. From TDS 7.2
 * the row count is 64 bits. No length field: fixed 13 bytes.
 */
#include "tds/tokens.h"

MK_RESULT tds_done_encode(mk_buf *out, uint8_t token, uint16_t status, uint16_t curcmd,
                          uint64_t rows)
{
    ENSURE_MSG(token == TDS_TOKEN_DONE || token == TDS_TOKEN_DONEPROC ||
                   token == TDS_TOKEN_DONEINPROC,
               MK_E_INVALID, "0x%02X is not a DONE token", token);
    const size_t start = out->len;
    if (mk_failed(mk_buf_put_u8(out, token)) || mk_failed(mk_buf_put_u16le(out, status)) ||
        mk_failed(mk_buf_put_u16le(out, curcmd)) || mk_failed(mk_buf_put_u64le(out, rows))) {
        out->len = start;
        return MK_ERR;
    }
    return MK_OK;
}

MK_RESULT tds_done_attn_encode(mk_buf *out)
{
    return tds_done_encode(out, TDS_TOKEN_DONE, TDS_DONE_ATTN, 0, 0);
}
