/*
 * Queries: USE, SET, and SELECT — over a catalog view (column list or *,
 * WHERE with AND-ed simple predicates, TOP n) or without FROM (literals,
 * @@ variables and the built-in functions clients probe).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define MAX_ITEMS 1024
#define VERSION_TEXT                                                                               \
    "mirrorkey 0.1.0 - HSM-backed database mirroring endpoint security (T-SQL subset of "          \
    "Microsoft SQL Server 2022, product version " EXEC_PRODUCT_VERSION ")"

mk_result exec_use(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                   sql_error *err)
{
    (void)outcome;
    const char *db = stmt->u.name.name;
    if (strcasecmp(db, "master") != 0) {
        sql_error_set(err, 911, 16, 1, stmt->line,
                      "Database '%s' does not exist. Make sure that the name is entered correctly.",
                      db);
        return MK_ERR;
    }
    strcpy(s->database, "master");
    sql_error info;
    sql_error_set(&info, 5701, 0, 1, stmt->line, "Changed database context to 'master'.");
    if (mk_failed(sink->message(sink->arg, &info))) {
        sql_error_clear(err);
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_set(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                   sql_error *err)
{
    /* Session options clients send on connect; accepted without effect. */
    (void)s;
    (void)stmt;
    (void)sink;
    (void)outcome;
    (void)err;
    return MK_OK;
}

/* One evaluated SELECT item: its column and value (bytes owned when `owned`). */
typedef struct item_value {
    mk_column col;
    mk_value v;
    uint8_t *owned;
} item_value;

static void set_text(item_value *iv, const char *text, uint16_t max_len)
{
    iv->col.type = MK_T_NVARCHAR;
    iv->col.max_len = max_len;
    iv->col.nullable = true;
    iv->v = mk_value_text(text);
}

static void set_int(item_value *iv, int64_t v, bool is_null)
{
    iv->col.type = (v > INT32_MAX || v < INT32_MIN) ? MK_T_BIGINT : MK_T_INT;
    iv->col.nullable = true;
    iv->v = is_null ? mk_value_null() : mk_value_int(v);
}

static mk_result eval_expr(exec_session *s, const sql_expr *e, int line, item_value *iv,
                           sql_error *err);

static mk_result eval_literal(const sql_literal *lit, item_value *iv)
{
    switch (lit->kind) {
    case SQL_LIT_NULL: set_int(iv, 0, true); break;
    case SQL_LIT_INTEGER: set_int(iv, lit->integer, false); break;
    case SQL_LIT_BINARY:
        iv->col.type = MK_T_VARBINARY;
        iv->col.max_len =
            lit->bytes_len > 0 && lit->bytes_len <= 8000 ? (uint16_t)lit->bytes_len : 8000;
        iv->v = mk_value_bytes(lit->bytes, lit->bytes_len);
        break;
    default: {
        size_t n = lit->text_len;
        set_text(iv, lit->text, (uint16_t)(n == 0 ? 1 : (n > 4000 ? 4000 : n)));
        iv->v = mk_value_bytes(lit->text, lit->text_len);
        break;
    }
    }
    return MK_OK;
}

static mk_result eval_sysvar(exec_session *s, const char *name, int line, item_value *iv,
                             sql_error *err)
{
    if (strcasecmp(name, "@@VERSION") == 0) {
        set_text(iv, VERSION_TEXT, 300);
    } else if (strcasecmp(name, "@@SERVERNAME") == 0 || strcasecmp(name, "@@SERVICENAME") == 0) {
        set_text(iv, s->inst->server_name, 128);
    } else if (strcasecmp(name, "@@LANGUAGE") == 0) {
        set_text(iv, "us_english", 128);
    } else if (strcasecmp(name, "@@TRANCOUNT") == 0) {
        set_int(iv, s->trancount, false);
    } else if (strcasecmp(name, "@@ERROR") == 0 || strcasecmp(name, "@@ROWCOUNT") == 0) {
        set_int(iv, 0, false);
    } else if (strcasecmp(name, "@@SPID") == 0) {
        set_int(iv, 51, false);
    } else {
        sql_error_set(err, 137, 15, 2, line, "Must declare the scalar variable \"%s\".", name);
        return MK_ERR;
    }
    return MK_OK;
}

/* The single string argument of a function, or an error naming it. */
static mk_result string_arg(const sql_expr *e, int line, const char **out, sql_error *err)
{
    if (e->nargs != 1 || e->args[0].kind != SQL_EXPR_LITERAL ||
        (e->args[0].lit.kind != SQL_LIT_STRING && e->args[0].lit.kind != SQL_LIT_NSTRING)) {
        sql_error_set(err, 174, 15, 1, line, "The %s function requires 1 argument(s).", e->name);
        return MK_ERR;
    }
    *out = e->args[0].lit.text;
    return MK_OK;
}

static void eval_serverproperty(exec_session *s, const char *prop, item_value *iv)
{
    const char *v = NULL;
    if (strcasecmp(prop, "ProductVersion") == 0) {
        v = EXEC_PRODUCT_VERSION;
    } else if (strcasecmp(prop, "ServerName") == 0 || strcasecmp(prop, "MachineName") == 0) {
        v = s->inst->server_name;
    } else if (strcasecmp(prop, "Edition") == 0) {
        v = "mirrorkey";
    } else if (strcasecmp(prop, "ProductLevel") == 0) {
        v = "RTM";
    } else if (strcasecmp(prop, "Collation") == 0) {
        v = "SQL_Latin1_General_CP1_CI_AS";
    }
    set_text(iv, v, 128);
}

/* CERT_ID: the id of a certificate the session may see, else NULL. */
static mk_result eval_cert_id(exec_session *s, const char *name, int line, item_value *iv,
                              sql_error *err)
{
    cat_session who;
    cat_cert cert;
    if (mk_failed(exec_cat_session(s, &who, err, line))) {
        return MK_ERR;
    }
    memset(&cert, 0, sizeof(cert));
    if (mk_failed(cat_cert_get_by_name(s->db, name, &cert))) {
        set_int(iv, 0, true);
        return MK_OK;
    }
    bool visible = who.is_sysadmin || cert.principal_id == who.user_id;
    set_int(iv, cert.certificate_id, !visible);
    iv->col.type = MK_T_INT;
    cat_cert_cleanup(&cert);
    return MK_OK;
}

/* CERTENCODED(id): the public certificate's DER, or NULL. */
static mk_result eval_certencoded(exec_session *s, const sql_expr *e, int line, item_value *iv,
                                  sql_error *err)
{
    item_value arg;
    memset(&arg, 0, sizeof(arg));
    if (e->nargs != 1) {
        sql_error_set(err, 174, 15, 1, line, "The %s function requires 1 argument(s).", e->name);
        return MK_ERR;
    }
    GUARD(eval_expr(s, &e->args[0], line, &arg, err));
    free(arg.owned);
    iv->col.type = MK_T_VARBINARY;
    iv->col.max_len = 8000;
    iv->col.nullable = true;
    iv->v = mk_value_null();
    if (arg.v.is_null || (arg.col.type != MK_T_INT && arg.col.type != MK_T_BIGINT)) {
        return MK_OK;
    }
    cat_session who;
    cat_cert cert;
    GUARD(exec_cat_session(s, &who, err, line));
    memset(&cert, 0, sizeof(cert));
    if (arg.v.i < INT32_MIN || arg.v.i > INT32_MAX ||
        mk_failed(cat_cert_get_by_id(s->db, (int32_t)arg.v.i, &cert))) {
        return MK_OK;
    }
    if (who.is_sysadmin || cert.principal_id == who.user_id) {
        iv->owned = malloc(cert.der_len);
        if (iv->owned != NULL) {
            memcpy(iv->owned, cert.der, cert.der_len);
            iv->v = mk_value_bytes(iv->owned, cert.der_len);
        }
    }
    cat_cert_cleanup(&cert);
    return MK_OK;
}

static mk_result eval_func(exec_session *s, const sql_expr *e, int line, item_value *iv,
                           sql_error *err)
{
    const char *arg = NULL;
    if (strcasecmp(e->name, "SERVERPROPERTY") == 0) {
        GUARD(string_arg(e, line, &arg, err));
        eval_serverproperty(s, arg, iv);
    } else if (strcasecmp(e->name, "CERT_ID") == 0) {
        GUARD(string_arg(e, line, &arg, err));
        GUARD(eval_cert_id(s, arg, line, iv, err));
    } else if (strcasecmp(e->name, "CERTENCODED") == 0) {
        GUARD(eval_certencoded(s, e, line, iv, err));
    } else if (strcasecmp(e->name, "DB_NAME") == 0 && e->nargs == 0) {
        set_text(iv, s->database, 128);
    } else if ((strcasecmp(e->name, "SUSER_SNAME") == 0 || strcasecmp(e->name, "SUSER_NAME") == 0 ||
                strcasecmp(e->name, "ORIGINAL_LOGIN") == 0) &&
               e->nargs == 0) {
        set_text(iv, s->who.login_name, 128);
    } else {
        sql_error_set(err, 195, 15, 10, line, "'%s' is not a recognized built-in function name.",
                      e->name);
        return MK_ERR;
    }
    return MK_OK;
}

static mk_result eval_expr(exec_session *s, const sql_expr *e, int line, item_value *iv,
                           sql_error *err)
{
    switch (e->kind) {
    case SQL_EXPR_LITERAL: return eval_literal(&e->lit, iv);
    case SQL_EXPR_SYSVAR: return eval_sysvar(s, e->name, line, iv, err);
    case SQL_EXPR_FUNC: return eval_func(s, e, line, iv, err);
    case SQL_EXPR_COLUMN:
        sql_error_set(err, 207, 16, 1, line, "Invalid column name '%s'.", e->name);
        return MK_ERR;
    default: sql_error_set(err, 102, 15, 1, line, "Incorrect syntax near '*'."); return MK_ERR;
    }
}

/* Send a rowset and count its rows; a sink failure stops the batch. */
static mk_result send_rows(const exec_sink *sink, const mk_rowset *rs, exec_outcome *outcome,
                           sql_error *err)
{
    if (mk_failed(sink->rows(sink->arg, rs))) {
        sql_error_clear(err);
        return MK_ERR;
    }
    outcome->has_count = true;
    outcome->count = mk_rowset_nrows(rs);
    return MK_OK;
}

/* SELECT without FROM: one row of evaluated items. */
static mk_result select_scalar(exec_session *s, const sql_select_stmt *sel, int line,
                               const exec_sink *sink, exec_outcome *outcome, sql_error *err)
{
    size_t n = sel->nitems;
    item_value *iv = calloc(n, sizeof(*iv));
    mk_column *cols = calloc(n, sizeof(*cols));
    mk_value *vals = calloc(n, sizeof(*vals));
    mk_rowset *rs = NULL;
    mk_result res = MK_ERR;
    if (iv == NULL || cols == NULL || vals == NULL) {
        sql_error_set(err, 701, 19, 1, line,
                      "There is insufficient system memory to run this query.");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (sel->items[i].star) {
            sql_error_set(err, 263, 16, 1, line, "Must specify table to select from.");
            goto out;
        }
        if (mk_failed(eval_expr(s, &sel->items[i].expr, line, &iv[i], err))) {
            goto out;
        }
        cols[i] = iv[i].col;
        snprintf(cols[i].name, sizeof(cols[i].name), "%s",
                 sel->items[i].alias != NULL ? sel->items[i].alias : "");
        vals[i] = iv[i].v;
    }
    if (mk_failed(mk_rowset_new(cols, n, &rs)) || mk_failed(mk_rowset_add_row(rs, vals))) {
        sql_error_set(err, 701, 19, 1, line,
                      "There is insufficient system memory to run this query.");
        goto out;
    }
    res = send_rows(sink, rs, outcome, err);
out:
    for (size_t i = 0; iv != NULL && i < n; i++) {
        free(iv[i].owned);
    }
    mk_rowset_free(rs);
    free(iv);
    free(cols);
    free(vals);
    return res;
}

/* A WHERE literal as the catalog's literal. */
static mk_result where_literal(const sql_cond *c, int line, cat_filter *f, sql_error *err)
{
    f->column = c->column;
    f->op = c->op == SQL_CMP_EQ        ? CAT_OP_EQ
            : c->op == SQL_CMP_NE      ? CAT_OP_NE
            : c->op == SQL_CMP_IS_NULL ? CAT_OP_IS_NULL
                                       : CAT_OP_IS_NOT_NULL;
    memset(&f->value, 0, sizeof(f->value));
    if (c->op == SQL_CMP_IS_NULL || c->op == SQL_CMP_IS_NOT_NULL) {
        return MK_OK;
    }
    if (c->value.kind != SQL_EXPR_LITERAL) {
        sql_error_set(err, 40508, 16, 1, line,
                      "mirrorkey supports only literals on the right of WHERE comparisons.");
        return MK_ERR;
    }
    const sql_literal *lit = &c->value.lit;
    switch (lit->kind) {
    case SQL_LIT_NULL: f->value.kind = CAT_LIT_NULL; break;
    case SQL_LIT_INTEGER:
        f->value.kind = CAT_LIT_INT;
        f->value.i = lit->integer;
        break;
    case SQL_LIT_BINARY:
        f->value.kind = CAT_LIT_BINARY;
        f->value.bytes = lit->bytes;
        f->value.len = lit->bytes_len;
        break;
    default:
        f->value.kind = CAT_LIT_STRING;
        f->value.s = lit->text;
        break;
    }
    return MK_OK;
}

/* Keep the first `top` rows of rs (TOP n). */
static mk_result apply_top(mk_rowset **rs, int64_t top)
{
    size_t n = mk_rowset_nrows(*rs);
    if (top < 0 || (uint64_t)top >= n) {
        return MK_OK;
    }
    size_t ncols = mk_rowset_ncols(*rs);
    mk_column *cols = calloc(ncols, sizeof(*cols));
    mk_rowset *cut = NULL;
    ENSURE(cols != NULL, MK_E_NOMEM);
    for (size_t c = 0; c < ncols; c++) {
        cols[c] = *mk_rowset_column(*rs, c);
    }
    mk_result r = mk_rowset_new(cols, ncols, &cut);
    for (size_t row = 0; mk_ok(r) && row < (size_t)top; row++) {
        r = mk_rowset_add_row(cut, mk_rowset_value(*rs, row, 0));
    }
    free(cols);
    if (mk_failed(r)) {
        mk_rowset_free(cut);
        return MK_ERR;
    }
    mk_rowset_free(*rs);
    *rs = cut;
    return MK_OK;
}

/* SELECT ... FROM <view> [WHERE ...]. */
static mk_result select_view(exec_session *s, const sql_select_stmt *sel, int line,
                             const exec_sink *sink, exec_outcome *outcome, sql_error *err)
{
    const char *parts[3];
    size_t np = 0;
    const sql_objname *on = &sel->from;
    if (on->db != NULL) {
        parts[np++] = on->db;
    }
    if (on->schema != NULL || on->db != NULL) {
        parts[np++] = on->schema != NULL ? on->schema : "";
    }
    parts[np++] = on->name;
    const cat_view *view = cat_view_find(parts, np);
    if (view == NULL) {
        char shown[400];
        snprintf(shown, sizeof(shown), "%s%s%s%s%s", on->db != NULL ? on->db : "",
                 on->db != NULL ? "." : "", on->schema != NULL ? on->schema : "",
                 (on->schema != NULL || on->db != NULL) ? "." : "", on->name);
        sql_error_set(err, 208, 16, 1, line, "Invalid object name '%s'.", shown);
        return MK_ERR;
    }
    const char *cols[MAX_ITEMS];
    cat_filter filters[CAT_QUERY_MAX_FILTERS];
    size_t ncols = 0;
    bool star = false;
    for (size_t i = 0; i < sel->nitems && i < MAX_ITEMS; i++) {
        const sql_select_item *it = &sel->items[i];
        if (it->star) {
            star = true;
        } else if (it->expr.kind == SQL_EXPR_COLUMN) {
            cols[ncols++] = it->expr.name;
        } else {
            sql_error_set(err, 40508, 16, 1, line,
                          "mirrorkey selects only columns or * from a catalog view.");
            return MK_ERR;
        }
    }
    if (star && ncols > 0) {
        sql_error_set(err, 40508, 16, 1, line,
                      "mirrorkey does not mix * with a column list; use one or the other.");
        return MK_ERR;
    }
    if (sel->nwhere > CAT_QUERY_MAX_FILTERS) {
        sql_error_set(err, 8623, 16, 1, line, "The query processor ran out of internal resources.");
        return MK_ERR;
    }
    for (size_t i = 0; i < sel->nwhere; i++) {
        GUARD(where_literal(&sel->where[i], line, &filters[i], err));
    }
    cat_session who;
    GUARD(exec_cat_session(s, &who, err, line));
    mk_rowset *rs = NULL;
    if (mk_failed(cat_query(s->db, view, &who, star ? NULL : cols, star ? 0 : ncols, filters,
                            sel->nwhere, &rs))) {
        exec_error_from_catalog(err, line, "column", "");
        return MK_ERR;
    }
    mk_result r = sel->has_top ? apply_top(&rs, sel->top) : MK_OK;
    if (mk_failed(r)) {
        sql_error_set(err, 701, 19, 1, line,
                      "There is insufficient system memory to run this query.");
    } else {
        r = send_rows(sink, rs, outcome, err);
    }
    mk_rowset_free(rs);
    return r;
}

mk_result exec_select(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                      sql_error *err)
{
    const sql_select_stmt *sel = &stmt->u.select;
    if (!sel->has_from) {
        return select_scalar(s, sel, stmt->line, sink, outcome, err);
    }
    return select_view(s, sel, stmt->line, sink, outcome, err);
}
