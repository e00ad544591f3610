/*
 * SELECT over the catalog views and scalar SELECTs:
 *
 *   SELECT [TOP n | TOP (n)] { * | item [, item...] }
 *          [FROM [db.][schema.]view [WHERE cond [AND cond...]]]
 *   item  := expr [[AS] alias] | alias = expr
 *   expr  := literal | @@var | name(args) | column | ( expr )
 *   cond  := column { = | <> | != } expr | column IS [NOT] NULL
 *
 * Which views, columns and functions exist is the executor's business
 * (errors 208, 207, 195); the parser only builds the tree. Nesting is
 * capped (error 191) because expressions recurse.
 */
#include "internal.h"

#include <string.h>

static MK_RESULT parse_args(sql_parser *p, sql_expr *fn)
{
    sql_vec args = {0};
    if (!sql_p_is(p, SQL_TOK_RPAREN)) {
        do {
            void *mem = NULL;
            GUARD(sql_p_alloc(p, sizeof(sql_expr), &mem));
            sql_expr *arg = mem;
            if (sql_p_accept(p, SQL_TOK_STAR)) {
                arg->kind = SQL_EXPR_STAR;
            } else {
                GUARD(sql_parse_expr(p, arg));
            }
            GUARD(sql_p_push(p, &args, arg));
        } while (sql_p_accept(p, SQL_TOK_COMMA));
    }
    GUARD(sql_p_expect(p, SQL_TOK_RPAREN));
    void *arr = NULL;
    GUARD(sql_p_struct_array(p, &args, sizeof(sql_expr), &arr));
    fn->args = arr;
    fn->nargs = args.n;
    return MK_OK;
}

static MK_RESULT parse_term(sql_parser *p, sql_expr *out)
{
    const sql_token *t = sql_p_peek(p);
    if (sql_p_is_kw(p, "NULL")) {
        out->kind = SQL_EXPR_LITERAL;
        return sql_p_literal(p, &out->lit);
    }
    if (t->kind == SQL_TOK_SYSVAR) {
        out->kind = SQL_EXPR_SYSVAR;
        out->name = sql_p_next(p)->value;
        return MK_OK;
    }
    if (sql_p_accept(p, SQL_TOK_LPAREN)) {
        GUARD(sql_parse_expr(p, out));
        return sql_p_expect(p, SQL_TOK_RPAREN);
    }
    if (t->kind == SQL_TOK_IDENT && sql_p_peek_at(p, 1)->kind == SQL_TOK_LPAREN) {
        out->kind = SQL_EXPR_FUNC;
        out->name = t->value;
        p->pos += 2;
        return parse_args(p, out);
    }
    if (t->kind == SQL_TOK_QIDENT ||
        (t->kind == SQL_TOK_IDENT && !sql_is_reserved(t->value, t->value_len))) {
        out->kind = SQL_EXPR_COLUMN;
        return sql_p_name(p, &out->name);
    }
    out->kind = SQL_EXPR_LITERAL;
    return sql_p_literal(p, &out->lit);
}

MK_RESULT sql_parse_expr(sql_parser *p, sql_expr *out)
{
    memset(out, 0, sizeof(*out));
    GUARD(sql_p_enter(p));
    mk_result r = parse_term(p, out);
    sql_p_leave(p);
    return r;
}

/* A name or a string usable as a column alias. */
static bool alias_ahead(const sql_parser *p)
{
    const sql_token *t = sql_p_peek(p);
    return t->kind == SQL_TOK_QIDENT || t->kind == SQL_TOK_STRING || t->kind == SQL_TOK_NSTRING ||
           (t->kind == SQL_TOK_IDENT && !sql_is_reserved(t->value, t->value_len));
}

static MK_RESULT parse_item(sql_parser *p, sql_select_item *it)
{
    if (sql_p_accept(p, SQL_TOK_STAR)) {
        it->star = true;
        return MK_OK;
    }
    if (alias_ahead(p) && sql_p_peek_at(p, 1)->kind == SQL_TOK_EQ) {
        GUARD(sql_p_alias(p, &it->alias));
        (void)sql_p_next(p);
        return sql_parse_expr(p, &it->expr);
    }
    GUARD(sql_parse_expr(p, &it->expr));
    if (sql_p_accept_kw(p, "AS")) {
        return sql_p_alias(p, &it->alias);
    }
    if (alias_ahead(p)) {
        return sql_p_alias(p, &it->alias);
    }
    return MK_OK;
}

static MK_RESULT parse_cond(sql_parser *p, sql_cond *c)
{
    GUARD(sql_p_name(p, &c->column));
    if (sql_p_accept_kw(p, "IS")) {
        c->op = sql_p_accept_kw(p, "NOT") ? SQL_CMP_IS_NOT_NULL : SQL_CMP_IS_NULL;
        return sql_p_expect_kw(p, "NULL");
    }
    if (sql_p_accept(p, SQL_TOK_EQ)) {
        c->op = SQL_CMP_EQ;
    } else if (sql_p_accept(p, SQL_TOK_NE)) {
        c->op = SQL_CMP_NE;
    } else {
        return sql_p_syntax_error(p);
    }
    return sql_parse_expr(p, &c->value);
}

static MK_RESULT parse_where(sql_parser *p, sql_select_stmt *sel)
{
    sql_vec conds = {0};
    do {
        void *mem = NULL;
        GUARD(sql_p_alloc(p, sizeof(sql_cond), &mem));
        GUARD(parse_cond(p, mem));
        GUARD(sql_p_push(p, &conds, mem));
    } while (sql_p_accept_kw(p, "AND"));
    void *arr = NULL;
    GUARD(sql_p_struct_array(p, &conds, sizeof(sql_cond), &arr));
    sel->where = arr;
    sel->nwhere = conds.n;
    return MK_OK;
}

static MK_RESULT parse_top(sql_parser *p, sql_select_stmt *sel)
{
    bool paren = sql_p_accept(p, SQL_TOK_LPAREN);
    if (!sql_p_is(p, SQL_TOK_INTEGER)) {
        return sql_p_syntax_error(p);
    }
    GUARD(sql_p_integer(p, &sel->top));
    sel->has_top = true;
    return paren ? sql_p_expect(p, SQL_TOK_RPAREN) : MK_OK;
}

MK_RESULT sql_parse_select(sql_parser *p, sql_stmt *s)
{
    sql_select_stmt *sel = &s->u.select;
    sql_vec items = {0};
    if (sql_p_accept_kw(p, "TOP")) {
        GUARD(parse_top(p, sel));
    }
    do {
        void *mem = NULL;
        GUARD(sql_p_alloc(p, sizeof(sql_select_item), &mem));
        GUARD(parse_item(p, mem));
        GUARD(sql_p_push(p, &items, mem));
    } while (sql_p_accept(p, SQL_TOK_COMMA));
    void *arr = NULL;
    GUARD(sql_p_struct_array(p, &items, sizeof(sql_select_item), &arr));
    sel->items = arr;
    sel->nitems = items.n;
    if (!sql_p_accept_kw(p, "FROM")) {
        return MK_OK;
    }
    sel->has_from = true;
    GUARD(sql_p_objname(p, &sel->from));
    if (sql_p_accept_kw(p, "WHERE")) {
        return parse_where(p, sel);
    }
    return MK_OK;
}
