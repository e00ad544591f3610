/*
 * Transaction statements (BEGIN / COMMIT / ROLLBACK TRANSACTION) and the
 * guarded form drivers send: IF @@TRANCOUNT > 0 { COMMIT | ROLLBACK } TRAN.
 * General IF ... is not part of mirrorkey's T-SQL: anything else after IF is
 * a syntax error.
 */
#include "internal.h"

/* The optional transaction name: an identifier that starts no statement. */
static MK_RESULT tran_name(sql_parser *p, sql_stmt *s)
{
    const sql_token *t = sql_p_peek(p);
    bool plain = t->kind == SQL_TOK_IDENT && !sql_is_reserved(t->value, t->value_len);
    if (plain || t->kind == SQL_TOK_QIDENT) {
        return sql_p_name(p, &s->u.tran.name);
    }
    return MK_OK;
}

/* After BEGIN TRAN[SACTION], COMMIT or ROLLBACK. */
MK_RESULT sql_parse_tran(sql_parser *p, sql_stmt *s)
{
    if (s->kind != SQL_STMT_BEGIN_TRAN) {
        if (sql_p_accept_kw(p, "WORK")) {
            return MK_OK;
        }
        if (!sql_p_accept_kw(p, "TRAN") && !sql_p_accept_kw(p, "TRANSACTION")) {
            return MK_OK;
        }
    }
    return tran_name(p, s);
}

/* IF @@TRANCOUNT > 0 { COMMIT | ROLLBACK } [TRAN | TRANSACTION | WORK] [name] */
MK_RESULT sql_parse_if_trancount(sql_parser *p, sql_stmt *s)
{
    const sql_token *t = sql_p_peek(p);
    if (t->kind != SQL_TOK_SYSVAR || !sql_ieq(t->value, t->value_len, "@@TRANCOUNT")) {
        return sql_p_syntax_error(p);
    }
    (void)sql_p_next(p);
    if (!sql_p_accept(p, SQL_TOK_GT)) {
        return sql_p_syntax_error(p);
    }
    t = sql_p_peek(p);
    if (t->kind != SQL_TOK_INTEGER || !sql_ieq(t->value, t->value_len, "0")) {
        return sql_p_syntax_error(p);
    }
    (void)sql_p_next(p);
    if (sql_p_accept_kw(p, "COMMIT")) {
        s->kind = SQL_STMT_COMMIT_TRAN;
    } else if (sql_p_accept_kw(p, "ROLLBACK")) {
        s->kind = SQL_STMT_ROLLBACK_TRAN;
    } else {
        return sql_p_syntax_error(p);
    }
    s->u.tran.if_trancount = true;
    return sql_parse_tran(p, s);
}
