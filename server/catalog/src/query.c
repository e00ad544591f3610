/*
 * SELECT over a catalog view: resolve the select list and the filter
 * columns against the view's static column table (user text never reaches
 * SQL), type-check the literals, run the view's fixed SELECT (or collect the
 * live connections), then keep rows that the session may see and that match
 * every filter, projecting the requested columns into an mk_rowset. A view
 * with a live fill (sys.mirrorkey_certificate_keys) has each row completed
 * only after the filters on its stored columns passed.
 */
#include "catalog/views.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_VIEW_COLS 32

typedef struct compiled_filter {
    int col;
    cat_op op;
    bool never;        /* = NULL / <> NULL: unknown, never true (ANSI_NULLS ON) */
    bool row_to_int;   /* text column against an integer: convert each value */
    cat_lit_kind kind; /* of the literal after conversion */
    int64_t i;
    const uint8_t *bytes;
    size_t len;
} compiled_filter;

static MK_RESULT resolve(const cat_view *v, const char *name, int *idx)
{
    *idx = name != NULL ? cat_view_column_index(v, name) : -1;
    if (*idx < 0) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_UNKNOWN_COLUMN, name != NULL ? name : "",
                 "Invalid column name '%s'.", name != NULL ? name : "");
    }
    return MK_OK;
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* SQL Server's varchar -> int conversion: optional spaces and sign, digits. */
static bool text_to_int(const uint8_t *s, size_t len, int64_t *out)
{
    size_t i = 0;
    while (i < len && is_space(s[i])) {
        i++;
    }
    while (len > i && is_space(s[len - 1])) {
        len--;
    }
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == len) {
        return false;
    }
    uint64_t v = 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (limit - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static MK_RESULT conversion_error(const uint8_t *s, size_t len, const char *type)
{
    char text[CAT_NAME_MAX + 1];
    size_t n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
    memcpy(text, s, n);
    text[n] = '\0';
    CAT_BAIL(MK_E_INVALID, CAT_R_CONVERSION, text,
             "Conversion failed when converting the nvarchar value '%s' to data type %s.", text,
             type);
}

/* A string literal for an int/bit column. */
static MK_RESULT string_to_number(const char *s, mk_type t, int64_t *out)
{
    size_t len = strlen(s);
    if (t == MK_T_BIT) {
        if (cat_name_eq(s, "TRUE")) {
            *out = 1;
            return MK_OK;
        }
        if (cat_name_eq(s, "FALSE")) {
            *out = 0;
            return MK_OK;
        }
    }
    if (!text_to_int((const uint8_t *)s, len, out) ||
        (t != MK_T_BIGINT && (*out > INT32_MAX || *out < INT32_MIN))) {
        return conversion_error((const uint8_t *)s, len, t == MK_T_BIT ? "bit" : "int");
    }
    return MK_OK;
}

static MK_RESULT clash(const mk_column *c, const char *literal)
{
    CAT_BAIL(MK_E_INVALID, CAT_R_TYPE_CLASH, c->name,
             "Operand type clash: %s literal is incompatible with column '%s'.", literal, c->name);
}

static const char *lit_name(cat_lit_kind k)
{
    switch (k) {
    case CAT_LIT_NULL: return "NULL";
    case CAT_LIT_INT: return "an integer";
    case CAT_LIT_STRING: return "a string";
    case CAT_LIT_BINARY: return "a binary";
    case CAT_LIT_DATETIME: return "a datetime";
    }
    return "an unknown";
}

/* Fill cf->kind/i/bytes for an EQ/NE filter on column c. */
static MK_RESULT compile_literal(const mk_column *c, const cat_literal *lit, compiled_filter *cf)
{
    cf->kind = lit->kind;
    switch (c->type) {
    case MK_T_INT:
    case MK_T_BIGINT:
    case MK_T_BIT:
        if (lit->kind == CAT_LIT_STRING && lit->s != NULL) {
            GUARD(string_to_number(lit->s, c->type, &cf->i));
        } else if (lit->kind == CAT_LIT_INT) {
            cf->i = lit->i;
        } else {
            return clash(c, lit_name(lit->kind));
        }
        cf->kind = CAT_LIT_INT;
        if (c->type == MK_T_BIT) {
            cf->i = cf->i != 0;
        }
        return MK_OK;
    case MK_T_NVARCHAR:
    case MK_T_CHAR:
        if (lit->kind == CAT_LIT_INT) {
            cf->row_to_int = true;
            cf->i = lit->i;
            return MK_OK;
        }
        ENSURE_MSG(lit->kind != CAT_LIT_STRING || lit->s != NULL, MK_E_INVALID,
                   "string literal missing");
        if (lit->kind != CAT_LIT_STRING) {
            return clash(c, lit_name(lit->kind));
        }
        cf->bytes = (const uint8_t *)lit->s;
        cf->len = strlen(lit->s);
        return MK_OK;
    case MK_T_VARBINARY:
        if (lit->kind != CAT_LIT_BINARY || (lit->bytes == NULL && lit->len > 0)) {
            return clash(c, lit_name(lit->kind));
        }
        cf->bytes = lit->bytes;
        cf->len = lit->len;
        return MK_OK;
    case MK_T_DATETIME:
        if (lit->kind != CAT_LIT_DATETIME) {
            return clash(c, lit_name(lit->kind));
        }
        cf->i = lit->i;
        return MK_OK;
    }
    BAIL_MSG(MK_E_INTERNAL, "unknown column type");
}

static MK_RESULT compile_filter(const cat_view *v, const cat_filter *f, compiled_filter *cf)
{
    memset(cf, 0, sizeof(*cf));
    GUARD(resolve(v, f->column, &cf->col));
    cf->op = f->op;
    switch (f->op) {
    case CAT_OP_IS_NULL:
    case CAT_OP_IS_NOT_NULL: return MK_OK;
    case CAT_OP_EQ:
    case CAT_OP_NE:
        if (f->value.kind == CAT_LIT_NULL) {
            cf->never = true;
            return MK_OK;
        }
        return compile_literal(&v->cols[cf->col], &f->value, cf);
    }
    BAIL_MSG(MK_E_INVALID, "unknown filter operator %d", (int)f->op);
}

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c; }

/* Case-insensitive (ASCII) text equality ignoring trailing spaces (ANSI padding). */
static bool text_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    while (alen > 0 && a[alen - 1] == ' ') {
        alen--;
    }
    while (blen > 0 && b[blen - 1] == ' ') {
        blen--;
    }
    if (alen != blen) {
        return false;
    }
    for (size_t i = 0; i < alen; i++) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

static MK_RESULT match(const cat_view *v, const compiled_filter *cf, const mk_value *row, bool *ok)
{
    const mk_value *x = &row[cf->col];
    if (cf->op == CAT_OP_IS_NULL || cf->op == CAT_OP_IS_NOT_NULL) {
        *ok = x->is_null == (cf->op == CAT_OP_IS_NULL);
        return MK_OK;
    }
    if (cf->never || x->is_null) {
        *ok = false;
        return MK_OK;
    }
    bool eq = false;
    if (cf->row_to_int) {
        int64_t n = 0;
        if (!text_to_int(x->bytes, x->len, &n)) {
            return conversion_error(x->bytes, x->len, "int");
        }
        eq = n == cf->i;
    } else {
        switch (v->cols[cf->col].type) {
        case MK_T_NVARCHAR:
        case MK_T_CHAR: eq = text_eq(x->bytes, x->len, cf->bytes, cf->len); break;
        case MK_T_VARBINARY:
            eq = x->len == cf->len && (cf->len == 0 || memcmp(x->bytes, cf->bytes, cf->len) == 0);
            break;
        default: eq = x->i == cf->i; break;
        }
    }
    *ok = cf->op == CAT_OP_EQ ? eq : !eq;
    return MK_OK;
}

static bool visible(const cat_view *v, const cat_session *who, const mk_value *row)
{
    if (who->is_sysadmin) {
        return true;
    }
    if (v->vis == CAT_VIS_NONE || row[v->vis_col].is_null) {
        return false;
    }
    int64_t id = row[v->vis_col].i;
    if (v->vis == CAT_VIS_LOGIN) {
        return id == who->login_id;
    }
    return who->user_id >= 0 && id == who->user_id;
}

typedef struct query_ctx {
    const cat_view *v;
    const cat_session *who;
    const compiled_filter *filters;
    size_t nfilters;
    const int *proj;
    size_t nproj;
    mk_rowset *out;
} query_ctx;

/* Whether row passes every filter on a live column (live) or on a stored one (!live). */
static MK_RESULT filters_pass(const query_ctx *q, const mk_value *row, bool live, bool *ok)
{
    *ok = true;
    for (size_t f = 0; f < q->nfilters && *ok; f++) {
        bool is_live = ((q->v->live_cols >> q->filters[f].col) & 1u) != 0;
        if (is_live == live) {
            GUARD(match(q->v, &q->filters[f], row, ok));
        }
    }
    return MK_OK;
}

/*
 * Apply visibility and filters to one full row, completing it with the
 * view's live fill once the stored columns matched; project it into the
 * output.
 */
static MK_RESULT consider_row(cat_db *db, const query_ctx *q, mk_value *row)
{
    bool ok = false;
    if (!visible(q->v, q->who, row)) {
        return MK_OK;
    }
    GUARD(filters_pass(q, row, false, &ok));
    if (!ok) {
        return MK_OK;
    }
    cat_live_scratch scratch;
    if (q->v->fill != NULL) {
        GUARD(q->v->fill(db, row, &scratch));
        GUARD(filters_pass(q, row, true, &ok));
        if (!ok) {
            return MK_OK;
        }
    }
    mk_value *values = malloc(q->nproj * sizeof(*values));
    ENSURE_MSG(values != NULL, MK_E_NOMEM, "query row");
    for (size_t i = 0; i < q->nproj; i++) {
        values[i] = row[q->proj[i]];
    }
    mk_result r = mk_rowset_add_row(q->out, values);
    free(values);
    return r;
}

static void read_sql_value(sqlite3_stmt *st, int col, mk_type t, mk_value *out)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        *out = mk_value_null();
        return;
    }
    switch (t) {
    case MK_T_NVARCHAR:
    case MK_T_CHAR: {
        const unsigned char *s = sqlite3_column_text(st, col);
        *out = mk_value_bytes(s, (size_t)sqlite3_column_bytes(st, col));
        return;
    }
    case MK_T_VARBINARY: {
        const void *b = sqlite3_column_blob(st, col);
        *out = mk_value_bytes(b, (size_t)sqlite3_column_bytes(st, col));
        return;
    }
    default: *out = mk_value_int(sqlite3_column_int64(st, col)); return;
    }
}

static MK_RESULT run_sql_view(cat_db *db, const query_ctx *q)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    mk_value row[MAX_VIEW_COLS];
    bool more = false;
    GUARD_OUT(cat_prepare(db, q->v->sql, &st));
    ENSURE_OUT((size_t)sqlite3_column_count(st) == q->v->ncols, MK_E_INTERNAL,
               "view %s: query has %d columns, table %zu", q->v->name, sqlite3_column_count(st),
               q->v->ncols);
    for (;;) {
        GUARD_OUT(cat_step(db, st, &more));
        if (!more) {
            break;
        }
        for (size_t c = 0; c < q->v->ncols; c++) {
            read_sql_value(st, (int)c, q->v->cols[c].type, &row[c]);
        }
        GUARD_OUT(consider_row(db, q, row));
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT run_live_view(cat_db *db, const query_ctx *q)
{
    mk_result res = MK_ERR;
    mk_rowset *all = NULL;
    GUARD_OUT(mk_rowset_new(q->v->cols, q->v->ncols, &all));
    GUARD_OUT(cat_conn_collect(db, all));
    for (size_t r = 0; r < mk_rowset_nrows(all); r++) {
        mk_value row[MAX_VIEW_COLS];
        for (size_t c = 0; c < q->v->ncols; c++) {
            row[c] = *mk_rowset_value(all, r, c);
        }
        GUARD_OUT(consider_row(db, q, row));
    }
    res = MK_OK;
out:
    mk_rowset_free(all);
    return res;
}

/* Resolve the select list into proj[] and the output columns into cols[]. */
static MK_RESULT resolve_select(const cat_view *v, const char *const *select_cols, size_t ncols,
                                int *proj, mk_column *cols)
{
    size_t n = select_cols != NULL ? ncols : v->ncols;
    for (size_t i = 0; i < n; i++) {
        if (select_cols != NULL) {
            GUARD(resolve(v, select_cols[i], &proj[i]));
        } else {
            proj[i] = (int)i;
        }
        cols[i] = v->cols[proj[i]];
    }
    return MK_OK;
}

MK_RESULT cat_query(cat_db *db, const cat_view *view, const cat_session *who,
                    const char *const *select_cols, size_t ncols, const cat_filter *filters,
                    size_t nfilters, mk_rowset **out)
{
    ENSURE_MSG(db != NULL && view != NULL && who != NULL && out != NULL, MK_E_INVALID,
               "query arguments");
    ENSURE_MSG(view->ncols <= MAX_VIEW_COLS, MK_E_INTERNAL, "view too wide");
    ENSURE_MSG(select_cols == NULL || (ncols > 0 && ncols <= CAT_QUERY_MAX_COLUMNS), MK_E_INVALID,
               "select list of %zu columns", ncols);
    ENSURE_MSG(nfilters <= CAT_QUERY_MAX_FILTERS && (filters != NULL || nfilters == 0),
               MK_E_INVALID, "too many filters (%zu)", nfilters);
    *out = NULL;
    size_t nproj = select_cols != NULL ? ncols : view->ncols;
    mk_result res = MK_ERR;
    compiled_filter cf[CAT_QUERY_MAX_FILTERS];
    int *proj = calloc(nproj, sizeof(*proj));
    mk_column *cols = calloc(nproj, sizeof(*cols));
    mk_rowset *rs = NULL;
    ENSURE_OUT(proj != NULL && cols != NULL, MK_E_NOMEM, "query columns");
    GUARD_OUT(resolve_select(view, select_cols, ncols, proj, cols));
    for (size_t f = 0; f < nfilters; f++) {
        GUARD_OUT(compile_filter(view, &filters[f], &cf[f]));
    }
    GUARD_OUT(mk_rowset_new(cols, nproj, &rs));
    query_ctx q = {view, who, cf, nfilters, proj, nproj, rs};
    /* Nothing is visible: do not even ask the source (or SQLite). */
    if (who->is_sysadmin || view->vis != CAT_VIS_NONE) {
        GUARD_OUT(view->sql != NULL ? run_sql_view(db, &q) : run_live_view(db, &q));
    }
    *out = rs;
    rs = NULL;
    res = MK_OK;
out:
    mk_rowset_free(rs);
    free(proj);
    free(cols);
    return res;
}
