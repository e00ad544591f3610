/*
 * ROW token (MS-TDS 2.2.7.19): the values of one row in column order, each
 * in its TYPE_INFO's encoding (2.2.5.2): a 1-byte length for INTN, BITN and
 * DATETIMN (0 = NULL), a 2-byte length for the BIG* and NVARCHAR types
 * (0xFFFF = NULL).
 */
#include "tds/result.h"

#include <string.h>

#include "internal.h"
#include "tds/tokens.h"
#include "tds/ucs2.h"

static MK_RESULT put_int(mk_buf *out, const mk_column *col, int64_t v)
{
    switch (col->type) {
    case MK_T_INT:
        ENSURE_MSG(v >= INT32_MIN && v <= INT32_MAX, MK_E_INVALID,
                   "value out of range for int column '%s'", col->name);
        GUARD(mk_buf_put_u8(out, 4));
        return mk_buf_put_u32le(out, (uint32_t)(int32_t)v);
    case MK_T_BIGINT: GUARD(mk_buf_put_u8(out, 8)); return mk_buf_put_u64le(out, (uint64_t)v);
    case MK_T_BIT:
        ENSURE_MSG(v == 0 || v == 1, MK_E_INVALID, "bit column '%s' holds %lld", col->name,
                   (long long)v);
        GUARD(mk_buf_put_u8(out, 1));
        return mk_buf_put_u8(out, (uint8_t)v);
    default: {
        int32_t days;
        uint32_t ticks;
        GUARD(tds_datetime_from_ms(v, &days, &ticks));
        GUARD(mk_buf_put_u8(out, 8));
        GUARD(mk_buf_put_u32le(out, (uint32_t)days));
        return mk_buf_put_u32le(out, ticks);
    }
    }
}

/* NVARCHAR: u16 byte length, then UTF-16LE (converted in place, then checked). */
static MK_RESULT put_nvarchar(mk_buf *out, const mk_column *col, const mk_value *v, size_t max)
{
    size_t at = out->len;
    size_t units;
    GUARD(mk_buf_put_u16le(out, 0));
    GUARD(tds_utf8_to_utf16le((const char *)v->bytes, v->len, out, &units));
    ENSURE_MSG(units * 2 <= max, MK_E_TOOBIG, "value too long for nvarchar column '%s'", col->name);
    return mk_buf_patch_u16le(out, at, (uint16_t)(units * 2));
}

/* CHAR(n): ASCII only (the collation's code page is 1252), space-padded to n. */
static MK_RESULT put_char(mk_buf *out, const mk_column *col, const mk_value *v, size_t max)
{
    ENSURE_MSG(v->len <= max, MK_E_TOOBIG, "value too long for char column '%s'", col->name);
    mk_cursor c;
    mk_cursor_init(&c, v->bytes, v->len);
    GUARD(mk_buf_put_u16le(out, (uint16_t)max));
    for (size_t i = 0; i < max; i++) {
        uint8_t b = ' ';
        if (mk_cursor_remaining(&c) > 0) {
            GUARD(mk_cursor_read_u8(&c, &b));
            ENSURE_MSG(b >= 0x20 && b < 0x7F, MK_E_INVALID,
                       "char column '%s' holds a non-ASCII byte", col->name);
        }
        GUARD(mk_buf_put_u8(out, b));
    }
    return MK_OK;
}

static MK_RESULT put_value(mk_buf *out, const mk_column *col, const mk_value *v)
{
    size_t max;
    GUARD(tds_column_max_bytes(col, &max));
    const int wide =
        col->type == MK_T_NVARCHAR || col->type == MK_T_VARBINARY || col->type == MK_T_CHAR;
    if (v->is_null) {
        ENSURE_MSG(col->nullable, MK_E_INVALID, "NULL in non-nullable column '%s'", col->name);
        return wide ? mk_buf_put_u16le(out, TDS_NULL_U16) : mk_buf_put_u8(out, 0);
    }
    switch (col->type) {
    case MK_T_NVARCHAR: return put_nvarchar(out, col, v, max);
    case MK_T_CHAR: return put_char(out, col, v, max);
    case MK_T_VARBINARY:
        ENSURE_MSG(v->len <= max, MK_E_TOOBIG, "value too long for varbinary column '%s'",
                   col->name);
        GUARD(mk_buf_put_u16le(out, (uint16_t)v->len));
        return mk_buf_append(out, v->bytes, v->len);
    default: return put_int(out, col, v->i);
    }
}

MK_RESULT tds_row_encode(mk_buf *out, const mk_rowset *rs, size_t row)
{
    const size_t start = out->len;
    mk_result res = MK_ERR;
    ENSURE_OUT(row < mk_rowset_nrows(rs), MK_E_INVALID, "row %zu out of range", row);
    GUARD_OUT(mk_buf_put_u8(out, TDS_TOKEN_ROW));
    for (size_t i = 0; i < mk_rowset_ncols(rs); i++) {
        GUARD_OUT(put_value(out, mk_rowset_column(rs, i), mk_rowset_value(rs, row, i)));
    }
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    return res;
}

MK_RESULT tds_rowset_encode(mk_buf *out, const mk_rowset *rs,
                            const uint8_t collation[TDS_COLLATION_LEN])
{
    const size_t start = out->len;
    mk_result res = MK_ERR;
    GUARD_OUT(tds_colmetadata_encode(out, rs, collation));
    for (size_t r = 0; r < mk_rowset_nrows(rs); r++) {
        GUARD_OUT(tds_row_encode(out, rs, r));
    }
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    return res;
}
