/*
 * Public token list over the lexer (see sql/lexer.h): used by tests and
 * diagnostics; the parser lexes straight into its batch arena instead.
 */
#include "sql/lexer.h"

#include <stdlib.h>

#include "internal.h"

MK_RESULT sql_lex(const char *text, size_t len, sql_token_list **out, sql_error *err)
{
    *out = NULL;
    sql_error_clear(err);
    sql_token_list *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        (void)MK_RAISE(MK_E_NOMEM, NULL);
        sql_error_from_mk(err, 1);
        return MK_ERR;
    }
    sql_arena_init(&l->arena);
    if (mk_failed(sql_lex_into(&l->arena, text, len, &l->toks, &l->n, err))) {
        sql_token_list_free(l);
        return MK_ERR;
    }
    *out = l;
    return MK_OK;
}

size_t sql_token_list_count(const sql_token_list *l) { return l->n; }

const sql_token *sql_token_list_at(const sql_token_list *l, size_t i)
{
    return i < l->n ? &l->toks[i] : NULL;
}

void sql_token_list_free(sql_token_list *l)
{
    if (l == NULL) {
        return;
    }
    sql_arena_cleanup(&l->arena);
    free(l->toks);
    free(l);
}

const char *sql_tok_kind_name(sql_tok_kind kind)
{
    switch (kind) {
    case SQL_TOK_EOF: return "EOF";
    case SQL_TOK_IDENT: return "IDENT";
    case SQL_TOK_QIDENT: return "QIDENT";
    case SQL_TOK_STRING: return "STRING";
    case SQL_TOK_NSTRING: return "NSTRING";
    case SQL_TOK_BINARY: return "BINARY";
    case SQL_TOK_INTEGER: return "INTEGER";
    case SQL_TOK_DECIMAL: return "DECIMAL";
    case SQL_TOK_SYSVAR: return "SYSVAR";
    case SQL_TOK_VARIABLE: return "VARIABLE";
    case SQL_TOK_EQ: return "=";
    case SQL_TOK_NE: return "<>";
    case SQL_TOK_LT: return "<";
    case SQL_TOK_GT: return ">";
    case SQL_TOK_LE: return "<=";
    case SQL_TOK_GE: return ">=";
    case SQL_TOK_COMMA: return ",";
    case SQL_TOK_LPAREN: return "(";
    case SQL_TOK_RPAREN: return ")";
    case SQL_TOK_SEMI: return ";";
    case SQL_TOK_DOT: return ".";
    case SQL_TOK_SCOPE: return "::";
    case SQL_TOK_STAR: return "*";
    case SQL_TOK_PLUS: return "+";
    case SQL_TOK_MINUS: return "-";
    case SQL_TOK_GO: return "GO";
    case SQL_TOK_OTHER: return "OTHER";
    }
    return "?";
}
