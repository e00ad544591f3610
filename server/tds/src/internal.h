/*
 * Private helpers shared by the files of server/tds (not installed, not part
 * of the API): TDS string writers and token framing (MS-TDS 2.2.5.1,
 * 2.2.7).
 */
#ifndef TDS_INTERNAL_H
#define TDS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"

/*
 * B_VARCHAR (u8 character count + UTF-16LE) and US_VARCHAR (u16 count): the
 * UTF-8 text must fit in max_units UTF-16 code units (<= 255 / 65535), else
 * MK_E_TOOBIG. NULL text is written as empty.
 */
MK_RESULT tds_put_bvarchar(mk_buf *out, const char *utf8, size_t max_units);
MK_RESULT tds_put_usvarchar(mk_buf *out, const char *utf8, size_t max_units);

/*
 * Token framing for tokens with a u16 length after the token byte: begin
 * writes the token and a placeholder and returns its position in *at; end
 * patches in the number of bytes written since (MK_E_TOOBIG over 65535).
 */
MK_RESULT tds_token_begin(mk_buf *out, uint8_t token, size_t *at);
MK_RESULT tds_token_end(mk_buf *out, size_t at);

/* Reject a UTF-8 string containing U+0000 (names are C strings downstream). */
MK_RESULT tds_check_no_nul(const char *s, size_t len, const char *what);

/* TDS data types used for result columns (2.2.5.4). */
enum {
    TDS_TYPE_INTN = 0x26,
    TDS_TYPE_BITN = 0x68,
    TDS_TYPE_DATETIMN = 0x6F,
    TDS_TYPE_BIGVARBIN = 0xA5,
    TDS_TYPE_BIGCHAR = 0xAF,
    TDS_TYPE_NVARCHAR = 0xE7,
};

#define TDS_NULL_U16 0xFFFF
#define TDS_VAR_MAX_BYTES 8000

struct mk_column;
/*
 * Bytes a column's values may take on the wire: NVARCHAR 2 * chars (0 means
 * 4000 chars), VARBINARY (0 means 8000), CHAR 1..8000; fixed types their
 * size. MK_E_INVALID for a declared length over the limits.
 */
MK_RESULT tds_column_max_bytes(const struct mk_column *col, size_t *out);

#endif
