/*
 * Typed result sets (see mk/rowset.h). Rows are stored as arrays of mk_value
 * whose byte payloads are individually owned copies.
 */
#include "mk/rowset.h"

#include <stdlib.h>
#include <string.h>

#define MK_ROWSET_MAX_COLS 1024
#define MK_ROWSET_MAX_ROWS (1u << 20)

struct mk_rowset {
    mk_column *cols;
    size_t ncols;
    mk_value *values; /* nrows * ncols */
    size_t nrows;
    size_t cap_rows;
};

MK_RESULT mk_rowset_new(const mk_column *cols, size_t ncols, mk_rowset **out)
{
    ENSURE_MSG(ncols > 0 && ncols <= MK_ROWSET_MAX_COLS, MK_E_INVALID, "bad column count %zu",
               ncols);
    mk_rowset *rs = calloc(1, sizeof(*rs));
    ENSURE(rs != NULL, MK_E_NOMEM);
    rs->cols = calloc(ncols, sizeof(*rs->cols));
    if (rs->cols == NULL) {
        free(rs);
        BAIL(MK_E_NOMEM);
    }
    memcpy(rs->cols, cols, ncols * sizeof(*cols));
    rs->ncols = ncols;
    *out = rs;
    return MK_OK;
}

void mk_rowset_free(mk_rowset *rs)
{
    if (rs == NULL) {
        return;
    }
    for (size_t i = 0; i < rs->nrows * rs->ncols; i++) {
        free((void *)rs->values[i].bytes);
    }
    free(rs->values);
    free(rs->cols);
    free(rs);
}

/* Make room for one more row. */
static MK_RESULT rowset_grow(mk_rowset *rs)
{
    if (rs->nrows < rs->cap_rows) {
        return MK_OK;
    }
    ENSURE_MSG(rs->nrows < MK_ROWSET_MAX_ROWS, MK_E_TOOBIG, "result set over %u rows",
               MK_ROWSET_MAX_ROWS);
    size_t cap = rs->cap_rows != 0 ? rs->cap_rows * 2 : 8;
    mk_value *v = realloc(rs->values, cap * rs->ncols * sizeof(*v));
    ENSURE(v != NULL, MK_E_NOMEM);
    rs->values = v;
    rs->cap_rows = cap;
    return MK_OK;
}

MK_RESULT mk_rowset_add_row(mk_rowset *rs, const mk_value *values)
{
    GUARD(rowset_grow(rs));
    mk_value *row = rs->values + rs->nrows * rs->ncols;
    for (size_t c = 0; c < rs->ncols; c++) {
        row[c] = values[c];
        row[c].bytes = NULL;
        if (values[c].is_null || values[c].bytes == NULL) {
            row[c].len = values[c].is_null ? 0 : values[c].len;
            continue;
        }
        /* One extra NUL so text values can be used as C strings. */
        uint8_t *copy = malloc(values[c].len + 1);
        if (copy == NULL) {
            for (size_t k = 0; k < c; k++) {
                free((void *)row[k].bytes);
            }
            BAIL(MK_E_NOMEM);
        }
        memcpy(copy, values[c].bytes, values[c].len);
        copy[values[c].len] = 0;
        row[c].bytes = copy;
    }
    rs->nrows++;
    return MK_OK;
}

size_t mk_rowset_ncols(const mk_rowset *rs) { return rs->ncols; }
size_t mk_rowset_nrows(const mk_rowset *rs) { return rs->nrows; }
const mk_column *mk_rowset_column(const mk_rowset *rs, size_t col)
{
    return col < rs->ncols ? &rs->cols[col] : NULL;
}

const mk_value *mk_rowset_value(const mk_rowset *rs, size_t row, size_t col)
{
    if (row >= rs->nrows || col >= rs->ncols) {
        return NULL;
    }
    return &rs->values[row * rs->ncols + col];
}

mk_value mk_value_null(void) { return (mk_value){.is_null = true}; }
mk_value mk_value_int(int64_t v) { return (mk_value){.i = v}; }

mk_value mk_value_text(const char *utf8)
{
    if (utf8 == NULL) {
        return mk_value_null();
    }
    return (mk_value){.bytes = (const uint8_t *)utf8, .len = strlen(utf8)};
}

mk_value mk_value_bytes(const void *data, size_t len)
{
    return (mk_value){.bytes = data, .len = len};
}
