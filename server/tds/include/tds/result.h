/*
 * Result sets (MS-TDS 2.2.7.4 COLMETADATA, 2.2.7.19 ROW) encoded from an
 * mk_rowset, with the type mapping of notes/tds.md:
 *
 *   NVARCHAR(n)   0xE7 NVARCHARTYPE, max bytes 2n (n <= 4000), collation
 *   INT / BIGINT  0x26 INTNTYPE, length 4 / 8
 *   BIT           0x68 BITNTYPE, length 1
 *   DATETIME      0x6F DATETIMNTYPE, length 8 (days since 1900, 1/300 s)
 *   VARBINARY(n)  0xA5 BIGVARBINTYPE, max bytes n (<= 8000)
 *   CHAR(n)       0xAF BIGCHARTYPE, max bytes n (<= 8000), collation;
 *                 values are ASCII, padded with spaces to n
 *
 * NULL is a zero length byte for the INTN/BITN/DATETIMN types and 0xFFFF for
 * the u16-length types. Values are checked against their column: too long,
 * out of range, or NULL in a non-nullable column fail with MK_E_TOOBIG or
 * MK_E_INVALID and leave the buffer as it was.
 */
#ifndef TDS_RESULT_H
#define TDS_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "mk/rowset.h"

#define TDS_COLLATION_LEN 5

/* SQL_Latin1_General_CP1_CI_AS: 09 04 D0 00 34 (LCID 0x0409; ignore case, kana, width; sort 52). */
void tds_collation_default(uint8_t out[TDS_COLLATION_LEN]);

/* One COLMETADATA token describing rs's columns; collation for text columns. */
MK_RESULT tds_colmetadata_encode(mk_buf *out, const mk_rowset *rs,
                                 const uint8_t collation[TDS_COLLATION_LEN]);

/* One ROW token with row `row` of rs (MK_E_INVALID when out of range). */
MK_RESULT tds_row_encode(mk_buf *out, const mk_rowset *rs, size_t row);

/* COLMETADATA then every ROW (no DONE: the caller adds it with the count). */
MK_RESULT tds_rowset_encode(mk_buf *out, const mk_rowset *rs,
                            const uint8_t collation[TDS_COLLATION_LEN]);

/*
 * SQL Server DATETIME (2.2.5.5.1.8) from milliseconds since
 * 1970-01-01T00:00:00Z: days since 1900-01-01 (negative before) and the
 * time of day in 1/300 s ticks, rounded half up as SQL Server rounds
 * (.995 s -> .997 s, .999 s -> next second). MK_E_INVALID outside
 * 1753-01-01 .. 9999-12-31 23:59:59.997.
 */
MK_RESULT tds_datetime_from_ms(int64_t ms, int32_t *days, uint32_t *ticks);

#endif
