/*
 * ALL_HEADERS (MS-TDS 2.2.5.3): TotalLength (u32, itself included), then
 * headers of (HeaderLength u32 itself included, HeaderType u16, data).
 * Required before SQL batch and RPC requests from TDS 7.2 on.
 */
#include "tds/sqlbatch.h"

#include <string.h>

#define HDR_FIXED 6 /* HeaderLength + HeaderType */
#define TXN_HDR_LEN 18
#define TRACE_HDR_LEN 26

static MK_RESULT read_header(mk_cursor *h, tds_all_headers *out)
{
    uint32_t hlen;
    uint16_t type;
    mk_cursor data;
    GUARD(mk_cursor_read_u32le(h, &hlen));
    ENSURE_MSG(hlen >= HDR_FIXED && hlen - 4 <= mk_cursor_remaining(h), MK_E_INVALID,
               "ALL_HEADERS header length %u out of range", hlen);
    GUARD(mk_cursor_read_u16le(h, &type));
    GUARD(mk_cursor_read_bytes(h, hlen - HDR_FIXED, &data));
    switch (type) {
    case TDS_HDR_TRANSACTION_DESCRIPTOR:
        ENSURE_MSG(hlen == TXN_HDR_LEN, MK_E_INVALID, "transaction descriptor header of %u bytes",
                   hlen);
        GUARD(mk_cursor_read_u64le(&data, &out->txn_descriptor));
        GUARD(mk_cursor_read_u32le(&data, &out->outstanding));
        out->has_txn = true;
        return MK_OK;
    case TDS_HDR_TRACE_ACTIVITY:
        ENSURE_MSG(hlen == TRACE_HDR_LEN, MK_E_INVALID, "trace activity header of %u bytes", hlen);
        out->has_trace = true;
        return MK_OK;
    case TDS_HDR_QUERY_NOTIFICATIONS: out->has_notifications = true; return MK_OK;
    default: return MK_OK;
    }
}

MK_RESULT tds_all_headers_parse(mk_cursor *c, tds_all_headers *out)
{
    tds_all_headers h;
    memset(&h, 0, sizeof(h));
    uint32_t total;
    mk_cursor body;
    GUARD(mk_cursor_read_u32le(c, &total));
    ENSURE_MSG(total >= 4 && total - 4 <= mk_cursor_remaining(c), MK_E_INVALID,
               "ALL_HEADERS TotalLength %u out of range", total);
    GUARD(mk_cursor_read_bytes(c, total - 4, &body));
    while (mk_cursor_remaining(&body) > 0) {
        GUARD(read_header(&body, &h));
    }
    *out = h;
    return MK_OK;
}

MK_RESULT tds_all_headers_encode(uint64_t txn_descriptor, uint32_t outstanding, mk_buf *out)
{
    GUARD(mk_buf_put_u32le(out, 4 + TXN_HDR_LEN));
    GUARD(mk_buf_put_u32le(out, TXN_HDR_LEN));
    GUARD(mk_buf_put_u16le(out, TDS_HDR_TRANSACTION_DESCRIPTOR));
    GUARD(mk_buf_put_u64le(out, txn_descriptor));
    return mk_buf_put_u32le(out, outstanding);
}
