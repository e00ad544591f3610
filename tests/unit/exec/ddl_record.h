/*
 * A recording exec_sink for the DDL tests (unit and integration): every
 * message (number, class, text) and the last result set as text cells, so
 * that tests can assert SQL Server's numbers and the catalog views' values.
 * Static inline: each test program takes what it uses.
 */
#ifndef DDL_RECORD_H
#define DDL_RECORD_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "exec/exec.h"

#define REC_MAX_MSG 32
#define REC_MAX_ROWS 32
#define REC_MAX_COLS 24
#define REC_CELL 600

typedef struct rec_msg {
    int number;
    int cls;
    char text[512];
} rec_msg;

typedef struct record {
    int nmsg;
    rec_msg msg[REC_MAX_MSG];
    int ndone;
    int nerror_done;
    int nrowsets;
    size_t nrows;
    size_t ncols;
    char cols[REC_MAX_COLS][130];
    char cells[REC_MAX_ROWS][REC_MAX_COLS][REC_CELL];
    /* Row 0, column 0 as raw bytes (text or binary), for long values. */
    uint8_t first_bytes[16384];
    size_t first_len;
} record;

static inline void rec_format(const mk_column *c, const mk_value *v, char *out, size_t n)
{
    if (v->is_null) {
        snprintf(out, n, "NULL");
    } else if (c->type == MK_T_VARBINARY) {
        size_t o = (size_t)snprintf(out, n, "0x");
        for (size_t i = 0; i < v->len && o + 3 < n; i++) {
            o += (size_t)snprintf(out + o, n - o, "%02X", v->bytes[i]);
        }
    } else if (v->bytes != NULL) {
        snprintf(out, n, "%.*s", (int)v->len, (const char *)v->bytes);
    } else {
        snprintf(out, n, "%lld", (long long)v->i);
    }
}

static inline mk_result rec_rows(void *arg, const mk_rowset *rs)
{
    record *r = arg;
    r->nrowsets++;
    r->nrows = mk_rowset_nrows(rs);
    r->ncols = mk_rowset_ncols(rs);
    r->first_len = 0;
    if (r->nrows > 0 && r->ncols > 0) {
        const mk_value *v = mk_rowset_value(rs, 0, 0);
        if (!v->is_null && v->bytes != NULL && v->len <= sizeof(r->first_bytes)) {
            memcpy(r->first_bytes, v->bytes, v->len);
            r->first_len = v->len;
        }
    }
    for (size_t c = 0; c < r->ncols && c < REC_MAX_COLS; c++) {
        snprintf(r->cols[c], sizeof(r->cols[c]), "%s", mk_rowset_column(rs, c)->name);
        for (size_t row = 0; row < r->nrows && row < REC_MAX_ROWS; row++) {
            rec_format(mk_rowset_column(rs, c), mk_rowset_value(rs, row, c), r->cells[row][c],
                       REC_CELL);
        }
    }
    return MK_OK;
}

static inline mk_result rec_message(void *arg, const sql_error *e)
{
    record *r = arg;
    if (r->nmsg < REC_MAX_MSG) {
        r->msg[r->nmsg].number = e->number;
        r->msg[r->nmsg].cls = e->cls;
        snprintf(r->msg[r->nmsg].text, sizeof(r->msg[r->nmsg].text), "%s", e->message);
    }
    r->nmsg++;
    return MK_OK;
}

static inline mk_result rec_done(void *arg, const exec_done *d)
{
    record *r = arg;
    r->ndone++;
    r->nerror_done += d->error ? 1 : 0;
    return MK_OK;
}

/* Run a batch; the caller frees the record. */
static inline record *rec_run(exec_session *s, const char *sql)
{
    record *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    exec_sink sink = {.arg = r, .rows = rec_rows, .message = rec_message, .done = rec_done};
    assert_true(mk_ok(exec_batch(s, sql, strlen(sql), &sink)));
    return r;
}

/* The first error (class > 10) number, or 0. */
static inline int rec_error(const record *r)
{
    for (int i = 0; i < r->nmsg && i < REC_MAX_MSG; i++) {
        if (r->msg[i].cls > 10) {
            return r->msg[i].number;
        }
    }
    return 0;
}

static inline const rec_msg *rec_find(const record *r, int number)
{
    for (int i = 0; i < r->nmsg && i < REC_MAX_MSG; i++) {
        if (r->msg[i].number == number) {
            return &r->msg[i];
        }
    }
    return NULL;
}

/* Cell of the last result set by row and column name; fails the test when absent. */
static inline const char *rec_cell(const record *r, size_t row, const char *col)
{
    for (size_t c = 0; c < r->ncols && c < REC_MAX_COLS; c++) {
        if (strcasecmp(r->cols[c], col) == 0) {
            if (row >= r->nrows) {
                fail_msg("row %zu of %zu asked for column %s", row, r->nrows, col);
            }
            return r->cells[row][c];
        }
    }
    fail_msg("no column %s in the result", col);
    return "";
}

/* Run and expect success with no error message. */
#define RUN_OK(sess, sql)                                                                          \
    do {                                                                                           \
        record *r_ = rec_run((sess), (sql));                                                       \
        if (rec_error(r_) != 0) {                                                                  \
            fail_msg("%s\n  failed: %d %s", (sql), rec_error(r_), r_->msg[0].text);                \
        }                                                                                          \
        free(r_);                                                                                  \
    } while (0)

/* Run and expect exactly the error `num` (and the statement's DONE with the error bit). */
#define RUN_ERR(sess, sql, num)                                                                    \
    do {                                                                                           \
        record *r_ = rec_run((sess), (sql));                                                       \
        if (rec_error(r_) != (num)) {                                                              \
            fail_msg("%s\n  expected error %d, got %d %s", (sql), (num), rec_error(r_),            \
                     r_->nmsg > 0 ? r_->msg[0].text : "");                                         \
        }                                                                                          \
        assert_int_equal(r_->nerror_done, 1);                                                      \
        free(r_);                                                                                  \
    } while (0)

/* Number of rows a query returns. */
static inline size_t rec_count(exec_session *s, const char *sql)
{
    record *r = rec_run(s, sql);
    if (rec_error(r) != 0) {
        fail_msg("%s failed: %d %s", sql, rec_error(r), r->msg[0].text);
    }
    size_t n = r->nrows;
    free(r);
    return n;
}

/* The first row's value of col (copied into out). */
static inline const char *rec_value(exec_session *s, const char *sql, const char *col, char *out,
                                    size_t n)
{
    record *r = rec_run(s, sql);
    if (rec_error(r) != 0 || r->nrows == 0) {
        fail_msg("%s: error %d, %zu rows", sql, rec_error(r), r->nrows);
    }
    snprintf(out, n, "%s", rec_cell(r, 0, col));
    free(r);
    return out;
}

#endif
