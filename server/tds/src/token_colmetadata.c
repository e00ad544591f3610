/*
 * COLMETADATA token (MS-TDS 2.2.7.4): column count, then per column the user
 * type (u32 from TDS 7.2), flags (bit 0 nullable), TYPE_INFO (2.2.5.6) and
 * the column name as B_VARCHAR. The type mapping is in tds/result.h.
 */
#include "tds/result.h"

#include "internal.h"
#include "tds/tokens.h"

#define COL_FLAG_NULLABLE 0x0001
#define COL_NAME_MAX_UNITS 128
#define NVARCHAR_MAX_CHARS 4000

void tds_collation_default(uint8_t out[TDS_COLLATION_LEN])
{
    static const uint8_t latin1_ci_as[TDS_COLLATION_LEN] = {0x09, 0x04, 0xD0, 0x00, 0x34};
    for (size_t i = 0; i < TDS_COLLATION_LEN; i++) {
        out[i] = latin1_ci_as[i];
    }
}

MK_RESULT tds_column_max_bytes(const mk_column *col, size_t *out)
{
    size_t n = col->max_len;
    switch (col->type) {
    case MK_T_NVARCHAR:
        n = n == 0 ? NVARCHAR_MAX_CHARS : n;
        ENSURE_MSG(n <= NVARCHAR_MAX_CHARS, MK_E_INVALID, "nvarchar(%zu) over nvarchar(4000)", n);
        *out = 2 * n;
        return MK_OK;
    case MK_T_VARBINARY:
        n = n == 0 ? TDS_VAR_MAX_BYTES : n;
        ENSURE_MSG(n <= TDS_VAR_MAX_BYTES, MK_E_INVALID, "varbinary(%zu) over 8000", n);
        *out = n;
        return MK_OK;
    case MK_T_CHAR:
        ENSURE_MSG(n >= 1 && n <= TDS_VAR_MAX_BYTES, MK_E_INVALID, "char(%zu) outside 1..8000", n);
        *out = n;
        return MK_OK;
    case MK_T_INT: *out = 4; return MK_OK;
    case MK_T_BIGINT:
    case MK_T_DATETIME: *out = 8; return MK_OK;
    case MK_T_BIT: *out = 1; return MK_OK;
    default: BAIL_MSG(MK_E_INVALID, "unknown column type %d", (int)col->type);
    }
}

/* TYPE_INFO for one column. */
static MK_RESULT put_type_info(mk_buf *out, const mk_column *col, const uint8_t *collation)
{
    size_t max;
    GUARD(tds_column_max_bytes(col, &max));
    switch (col->type) {
    case MK_T_INT:
    case MK_T_BIGINT:
        GUARD(mk_buf_put_u8(out, TDS_TYPE_INTN));
        return mk_buf_put_u8(out, (uint8_t)max);
    case MK_T_BIT: GUARD(mk_buf_put_u8(out, TDS_TYPE_BITN)); return mk_buf_put_u8(out, 1);
    case MK_T_DATETIME: GUARD(mk_buf_put_u8(out, TDS_TYPE_DATETIMN)); return mk_buf_put_u8(out, 8);
    case MK_T_VARBINARY:
        GUARD(mk_buf_put_u8(out, TDS_TYPE_BIGVARBIN));
        return mk_buf_put_u16le(out, (uint16_t)max);
    case MK_T_NVARCHAR:
    case MK_T_CHAR:
        GUARD(mk_buf_put_u8(out, col->type == MK_T_CHAR ? TDS_TYPE_BIGCHAR : TDS_TYPE_NVARCHAR));
        GUARD(mk_buf_put_u16le(out, (uint16_t)max));
        return mk_buf_append(out, collation, TDS_COLLATION_LEN);
    default: BAIL(MK_E_INTERNAL);
    }
}

MK_RESULT tds_colmetadata_encode(mk_buf *out, const mk_rowset *rs,
                                 const uint8_t collation[TDS_COLLATION_LEN])
{
    const size_t start = out->len;
    const size_t ncols = mk_rowset_ncols(rs);
    mk_result res = MK_ERR;
    ENSURE_OUT(ncols > 0 && ncols <= UINT16_MAX - 1, MK_E_INVALID, "bad column count %zu", ncols);
    GUARD_OUT(mk_buf_put_u8(out, TDS_TOKEN_COLMETADATA));
    GUARD_OUT(mk_buf_put_u16le(out, (uint16_t)ncols));
    for (size_t i = 0; i < ncols; i++) {
        const mk_column *col = mk_rowset_column(rs, i);
        GUARD_OUT(mk_buf_put_u32le(out, 0)); /* UserType */
        GUARD_OUT(mk_buf_put_u16le(out, col->nullable ? COL_FLAG_NULLABLE : 0));
        GUARD_OUT(put_type_info(out, col, collation));
        GUARD_OUT(tds_put_bvarchar(out, col->name, COL_NAME_MAX_UNITS));
    }
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    return res;
}
