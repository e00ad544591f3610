/*
 * Parser plumbing shared by the statement families: token access, keyword
 * tests, error 102 with SQL Server's choice of near-token, names, literals
 * and the arena helpers that turn allocation failures into errors 701/8623.
 *
 * The token array always ends with SQL_TOK_EOF and the cursor never moves
 * past it, so every peek is in bounds.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const sql_token *sql_p_peek(const sql_parser *p) { return &p->toks[p->pos]; }

const sql_token *sql_p_peek_at(const sql_parser *p, size_t ahead)
{
    size_t i = p->pos + ahead;
    return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

const sql_token *sql_p_next(sql_parser *p)
{
    const sql_token *t = &p->toks[p->pos];
    if (t->kind != SQL_TOK_EOF) {
        p->pos++;
    }
    return t;
}

bool sql_p_is(const sql_parser *p, sql_tok_kind kind) { return sql_p_peek(p)->kind == kind; }

bool sql_p_accept(sql_parser *p, sql_tok_kind kind)
{
    if (!sql_p_is(p, kind)) {
        return false;
    }
    (void)sql_p_next(p);
    return true;
}

bool sql_p_is_kw_at(const sql_parser *p, size_t ahead, const char *kw)
{
    const sql_token *t = sql_p_peek_at(p, ahead);
    return t->kind == SQL_TOK_IDENT && sql_ieq(t->value, t->value_len, kw);
}

bool sql_p_is_kw(const sql_parser *p, const char *kw) { return sql_p_is_kw_at(p, 0, kw); }

bool sql_p_accept_kw(sql_parser *p, const char *kw)
{
    if (!sql_p_is_kw(p, kw)) {
        return false;
    }
    (void)sql_p_next(p);
    return true;
}

MK_RESULT sql_p_syntax_error_at(sql_parser *p, size_t i)
{
    if (i >= p->ntoks) {
        i = p->ntoks - 1;
    }
    /*
     * At the end of the batch SQL Server names the last token it saw; a GO
     * line ends the batch the server would have received.
     */
    while (i > 0 && (p->toks[i].kind == SQL_TOK_EOF || p->toks[i].kind == SQL_TOK_GO)) {
        i--;
    }
    const sql_token *t = &p->toks[i];
    const char *near = p->text != NULL ? p->text + t->pos : "";
    size_t len = (t->kind == SQL_TOK_EOF || t->kind == SQL_TOK_GO) ? 0 : t->len;
    if (t->kind == SQL_TOK_STRING || t->kind == SQL_TOK_NSTRING || t->kind == SQL_TOK_QIDENT) {
        near = t->value;
        len = t->value_len;
        if (sql_tok_is_secret(p->toks, i)) {
            near = "******";
            len = 6;
        }
    }
    sql_error_syntax(p->err, t->line, near, len);
    return MK_RAISE(MK_E_INVALID, "syntax error at line %d", t->line);
}

MK_RESULT sql_p_syntax_error(sql_parser *p) { return sql_p_syntax_error_at(p, p->pos); }

MK_RESULT sql_p_fail(sql_parser *p, int number, int cls, int state, const char *fmt, ...)
{
    char msg[sizeof(p->err->message)];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sql_error_set(p->err, number, cls, state, sql_p_peek(p)->line, "%s", msg);
    return MK_RAISE(MK_E_INVALID, "error %d", number);
}

MK_RESULT sql_p_expect(sql_parser *p, sql_tok_kind kind)
{
    if (!sql_p_accept(p, kind)) {
        return sql_p_syntax_error(p);
    }
    return MK_OK;
}

MK_RESULT sql_p_expect_kw(sql_parser *p, const char *kw)
{
    if (!sql_p_accept_kw(p, kw)) {
        return sql_p_syntax_error(p);
    }
    return MK_OK;
}

MK_RESULT sql_p_expect_kw_eq(sql_parser *p, const char *kw)
{
    GUARD(sql_p_expect_kw(p, kw));
    return sql_p_expect(p, SQL_TOK_EQ);
}

static MK_RESULT empty_name(sql_parser *p)
{
    return sql_p_fail(p, SQL_ERR_EMPTY_NAME, 15, 1,
                      "An object or column name is missing or empty. For SELECT INTO "
                      "statements, verify each column has a name. For other statements, look "
                      "for empty alias names. Aliases defined as \"\" or [] are not allowed. "
                      "Change the alias to a valid name.");
}

MK_RESULT sql_p_name(sql_parser *p, const char **out)
{
    const sql_token *t = sql_p_peek(p);
    if (t->kind == SQL_TOK_QIDENT && t->value_len == 0) {
        return empty_name(p);
    }
    bool plain = t->kind == SQL_TOK_IDENT && !sql_is_reserved(t->value, t->value_len);
    if (!plain && t->kind != SQL_TOK_QIDENT) {
        return sql_p_syntax_error(p);
    }
    *out = sql_p_next(p)->value;
    return MK_OK;
}

MK_RESULT sql_p_alias(sql_parser *p, const char **out)
{
    const sql_token *t = sql_p_peek(p);
    if (t->kind != SQL_TOK_STRING && t->kind != SQL_TOK_NSTRING) {
        return sql_p_name(p, out);
    }
    if (t->value_len == 0) {
        return empty_name(p);
    }
    if (sql_error_ident_too_long(p->err, t->line, t->value, t->value_len)) {
        return MK_RAISE(MK_E_INVALID, "alias too long");
    }
    *out = sql_p_next(p)->value;
    return MK_OK;
}

MK_RESULT sql_p_objname(sql_parser *p, sql_objname *out)
{
    const char *parts[3] = {NULL, NULL, NULL};
    int n = 1;
    GUARD(sql_p_name(p, &parts[0]));
    while (sql_p_is(p, SQL_TOK_DOT)) {
        if (n == 3) {
            return sql_p_syntax_error(p);
        }
        (void)sql_p_next(p);
        if (n == 1 && sql_p_is(p, SQL_TOK_DOT)) {
            n = 2; /* db..name: empty schema */
            continue;
        }
        GUARD(sql_p_name(p, &parts[n]));
        n++;
    }
    memset(out, 0, sizeof(*out));
    out->nparts = n;
    out->name = parts[n - 1];
    if (n >= 2) {
        out->schema = parts[n - 2];
    }
    if (n == 3) {
        out->db = parts[0];
    }
    return MK_OK;
}

static bool is_string(const sql_parser *p)
{
    return sql_p_is(p, SQL_TOK_STRING) || sql_p_is(p, SQL_TOK_NSTRING);
}

MK_RESULT sql_p_string(sql_parser *p, const char **out)
{
    if (!is_string(p)) {
        return sql_p_syntax_error(p);
    }
    *out = sql_p_next(p)->value;
    return MK_OK;
}

MK_RESULT sql_p_password(sql_parser *p, char **out)
{
    if (!is_string(p)) {
        return sql_p_syntax_error(p);
    }
    /* Token values live in the batch's writable arena; the AST owns this copy. */
    *out = (char *)sql_p_next(p)->value;
    return MK_OK;
}

MK_RESULT sql_p_eq_password(sql_parser *p, char **out)
{
    GUARD(sql_p_expect(p, SQL_TOK_EQ));
    return sql_p_password(p, out);
}

MK_RESULT sql_p_on_off(sql_parser *p, bool *out)
{
    if (sql_p_accept_kw(p, "ON")) {
        *out = true;
        return MK_OK;
    }
    if (sql_p_accept_kw(p, "OFF")) {
        *out = false;
        return MK_OK;
    }
    return sql_p_syntax_error(p);
}

/* Digits of an INTEGER token as a magnitude; false beyond 2^63. */
static bool magnitude(const sql_token *t, uint64_t *out)
{
    const uint64_t limit = (uint64_t)INT64_MAX + 1;
    uint64_t v = 0;
    for (size_t i = 0; i < t->value_len; i++) {
        uint64_t d = (uint64_t)(t->value[i] - '0');
        if (v > (limit - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Optional sign; returns true when it was '-'. */
static bool accept_sign(sql_parser *p)
{
    if (sql_p_accept(p, SQL_TOK_MINUS)) {
        return true;
    }
    (void)sql_p_accept(p, SQL_TOK_PLUS);
    return false;
}

MK_RESULT sql_p_integer(sql_parser *p, int64_t *out)
{
    bool neg = accept_sign(p);
    uint64_t v = 0;
    if (!sql_p_is(p, SQL_TOK_INTEGER) || !magnitude(sql_p_peek(p), &v) ||
        (!neg && v > (uint64_t)INT64_MAX)) {
        return sql_p_syntax_error(p);
    }
    (void)sql_p_next(p);
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return MK_OK;
}

/* A number with its sign: INTEGER when it fits int64, otherwise DECIMAL text. */
static MK_RESULT p_number(sql_parser *p, bool neg, sql_literal *out)
{
    const sql_token *t = sql_p_next(p);
    uint64_t v = 0;
    if (t->kind == SQL_TOK_INTEGER && magnitude(t, &v) && (neg || v <= (uint64_t)INT64_MAX)) {
        out->kind = SQL_LIT_INTEGER;
        out->integer = neg ? (int64_t)(0 - v) : (int64_t)v;
        return MK_OK;
    }
    out->kind = SQL_LIT_DECIMAL;
    if (!neg) {
        out->text = t->value;
        out->text_len = t->value_len;
        return MK_OK;
    }
    void *mem = NULL;
    GUARD(sql_p_alloc(p, t->value_len + 2, &mem));
    char *s = mem;
    s[0] = '-';
    memcpy(s + 1, t->value, t->value_len);
    out->text = s;
    out->text_len = t->value_len + 1;
    return MK_OK;
}

MK_RESULT sql_p_literal(sql_parser *p, sql_literal *out)
{
    memset(out, 0, sizeof(*out));
    const sql_token *t = sql_p_peek(p);
    if (sql_p_accept_kw(p, "NULL")) {
        out->kind = SQL_LIT_NULL;
        return MK_OK;
    }
    if (is_string(p)) {
        out->kind = t->kind == SQL_TOK_NSTRING ? SQL_LIT_NSTRING : SQL_LIT_STRING;
        out->text = t->value;
        out->text_len = t->value_len;
        (void)sql_p_next(p);
        return MK_OK;
    }
    if (sql_p_accept(p, SQL_TOK_BINARY)) {
        out->kind = SQL_LIT_BINARY;
        out->bytes = (const uint8_t *)t->value;
        out->bytes_len = t->value_len;
        return MK_OK;
    }
    bool neg = accept_sign(p);
    if (!sql_p_is(p, SQL_TOK_INTEGER) && !sql_p_is(p, SQL_TOK_DECIMAL)) {
        return sql_p_syntax_error(p);
    }
    return p_number(p, neg, out);
}

MK_RESULT sql_p_once(sql_parser *p, bool *seen)
{
    if (*seen) {
        return sql_p_syntax_error(p);
    }
    *seen = true;
    return MK_OK;
}

MK_RESULT sql_p_alloc(sql_parser *p, size_t n, void **out)
{
    if (mk_failed(sql_arena_alloc(p->arena, n, out))) {
        sql_error_from_mk(p->err, sql_p_peek(p)->line);
        return MK_ERR;
    }
    return MK_OK;
}

MK_RESULT sql_p_push(sql_parser *p, sql_vec *vec, const void *item)
{
    if (mk_failed(sql_vec_push(p->arena, vec, item))) {
        sql_error_from_mk(p->err, sql_p_peek(p)->line);
        return MK_ERR;
    }
    return MK_OK;
}

MK_RESULT sql_p_str_array(sql_parser *p, const sql_vec *vec, const char *const **out)
{
    void *mem = NULL;
    GUARD(sql_p_alloc(p, vec->n * sizeof(const char *), &mem));
    const char **arr = mem;
    for (size_t i = 0; i < vec->n; i++) {
        arr[i] = vec->v[i];
    }
    *out = arr;
    return MK_OK;
}

MK_RESULT sql_p_struct_array(sql_parser *p, const sql_vec *vec, size_t elem_size, void **out)
{
    void *mem = NULL;
    GUARD(sql_p_alloc(p, vec->n * elem_size, &mem));
    for (size_t i = 0; i < vec->n; i++) {
        memcpy((unsigned char *)mem + i * elem_size, vec->v[i], elem_size);
    }
    *out = mem;
    return MK_OK;
}

MK_RESULT sql_p_enter(sql_parser *p)
{
    if (p->depth >= SQL_MAX_DEPTH) {
        return sql_p_fail(p, SQL_ERR_NESTED_TOO_DEEPLY, 15, 1,
                          "Some part of your SQL statement is nested too deeply. Rewrite the "
                          "query or break it up into smaller queries.");
    }
    p->depth++;
    return MK_OK;
}

void sql_p_leave(sql_parser *p) { p->depth--; }

MK_RESULT sql_p_skip_group(sql_parser *p)
{
    size_t depth = 0;
    do {
        const sql_token *t = sql_p_peek(p);
        if (t->kind == SQL_TOK_EOF || t->kind == SQL_TOK_GO) {
            return sql_p_syntax_error(p);
        }
        if (t->kind == SQL_TOK_LPAREN) {
            depth++;
        } else if (t->kind == SQL_TOK_RPAREN) {
            depth--;
        }
        (void)sql_p_next(p);
    } while (depth > 0);
    return MK_OK;
}
