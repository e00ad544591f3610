/*
 * Typed result sets: what the catalog produces, the T-SQL executor returns and
 * the TDS layer encodes (COLMETADATA + ROW). Kept in common/ so that those
 * layers share one representation without depending on each other.
 *
 * Types are the SQL Server types the catalog views use. Text values are UTF-8
 * (the TDS encoder converts NVARCHAR to UTF-16LE); DATETIME values are
 * milliseconds since 1970-01-01T00:00:00Z. A rowset owns copies of every
 * value it holds.
 */
#ifndef MK_ROWSET_H
#define MK_ROWSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"

typedef enum mk_type {
    MK_T_NVARCHAR = 0, /* max_len in characters (SQL Server nvarchar(n)); 0 = 4000 */
    MK_T_INT,
    MK_T_BIGINT,
    MK_T_BIT,
    MK_T_DATETIME,
    MK_T_VARBINARY, /* max_len in bytes; 0 = 8000 */
    MK_T_CHAR,      /* fixed width char(n) */
} mk_type;

typedef struct mk_column {
    char name[129]; /* sysname: up to 128 characters */
    mk_type type;
    uint16_t max_len;
    bool nullable;
} mk_column;

typedef struct mk_value {
    bool is_null;
    int64_t i;            /* INT, BIGINT, BIT (0/1), DATETIME (ms since epoch) */
    const uint8_t *bytes; /* NVARCHAR/CHAR: UTF-8; VARBINARY: raw */
    size_t len;
} mk_value;

typedef struct mk_rowset mk_rowset;

/* A rowset with ncols columns (copied). ncols 1..1024. */
MK_RESULT mk_rowset_new(const mk_column *cols, size_t ncols, mk_rowset **out);
void mk_rowset_free(mk_rowset *rs);

/* Append a row of ncols values; bytes are copied. Type checks are the caller's. */
MK_RESULT mk_rowset_add_row(mk_rowset *rs, const mk_value *values);

size_t mk_rowset_ncols(const mk_rowset *rs);
size_t mk_rowset_nrows(const mk_rowset *rs);
const mk_column *mk_rowset_column(const mk_rowset *rs, size_t col);
/* Borrowed; valid until the rowset is freed. */
const mk_value *mk_rowset_value(const mk_rowset *rs, size_t row, size_t col);

/* Value constructors (borrow their inputs). */
mk_value mk_value_null(void);
mk_value mk_value_int(int64_t v);
mk_value mk_value_text(const char *utf8); /* NULL gives a NULL value */
mk_value mk_value_bytes(const void *data, size_t len);

#endif
