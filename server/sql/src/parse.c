/*
 * Batch parser: lexes a whole batch, splits it into statements and hands
 * each to its family's parser by its leading keywords (see sql/parser.h).
 *
 * T-SQL needs no terminator between statements: a statement ends where its
 * grammar ends and the next must begin with a statement keyword, so
 * `USE master CREATE LOGIN ...` is two statements and `... ROLE = ALL ) x`
 * is error 102 near 'x'. `;` and GO lines are optional separators.
 */
#include "sql/parser.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct stmt_form {
    const char *words[3]; /* leading keywords; unused trailing entries NULL */
    sql_stmt_kind kind;
    sql_stmt_parser parse;
} stmt_form;

static const stmt_form forms[] = {
    {{"USE", NULL, NULL}, SQL_STMT_USE, sql_parse_use},
    {{"SELECT", NULL, NULL}, SQL_STMT_SELECT, sql_parse_select},
    {{"SET", NULL, NULL}, SQL_STMT_SET, sql_parse_set},
    {{"CREATE", "MASTER", "KEY"}, SQL_STMT_CREATE_MASTER_KEY, sql_parse_masterkey},
    {{"OPEN", "MASTER", "KEY"}, SQL_STMT_OPEN_MASTER_KEY, sql_parse_masterkey},
    {{"CLOSE", "MASTER", "KEY"}, SQL_STMT_CLOSE_MASTER_KEY, sql_parse_masterkey},
    {{"ALTER", "MASTER", "KEY"}, SQL_STMT_ALTER_MASTER_KEY, sql_parse_masterkey},
    {{"CREATE", "CERTIFICATE", NULL}, SQL_STMT_CREATE_CERTIFICATE, sql_parse_create_cert},
    {{"BACKUP", "CERTIFICATE", NULL}, SQL_STMT_BACKUP_CERTIFICATE, sql_parse_backup_cert},
    {{"DROP", "CERTIFICATE", NULL}, SQL_STMT_DROP_CERTIFICATE, sql_parse_drop},
    {{"CREATE", "ENDPOINT", NULL}, SQL_STMT_CREATE_ENDPOINT, sql_parse_endpoint},
    {{"ALTER", "ENDPOINT", NULL}, SQL_STMT_ALTER_ENDPOINT, sql_parse_endpoint},
    {{"DROP", "ENDPOINT", NULL}, SQL_STMT_DROP_ENDPOINT, sql_parse_drop},
    {{"ALTER", "AUTHORIZATION", NULL}, SQL_STMT_ALTER_AUTHORIZATION, sql_parse_alter_auth},
    {{"CREATE", "LOGIN", NULL}, SQL_STMT_CREATE_LOGIN, sql_parse_create_login},
    {{"ALTER", "LOGIN", NULL}, SQL_STMT_ALTER_LOGIN, sql_parse_alter_login},
    {{"DROP", "LOGIN", NULL}, SQL_STMT_DROP_LOGIN, sql_parse_drop},
    {{"CREATE", "USER", NULL}, SQL_STMT_CREATE_USER, sql_parse_create_user},
    {{"DROP", "USER", NULL}, SQL_STMT_DROP_USER, sql_parse_drop},
    {{"GRANT", NULL, NULL}, SQL_STMT_GRANT, sql_parse_perm},
    {{"REVOKE", NULL, NULL}, SQL_STMT_REVOKE, sql_parse_perm},
    {{"DENY", NULL, NULL}, SQL_STMT_DENY, sql_parse_perm},
    {{"CREATE", "DATABASE", NULL}, SQL_STMT_CREATE_DATABASE, sql_parse_create_database},
    {{"DROP", "DATABASE", NULL}, SQL_STMT_DROP_DATABASE, sql_parse_drop},
    {{"ALTER", "DATABASE", NULL}, SQL_STMT_ALTER_DATABASE, sql_parse_alter_database},
    {{"BEGIN", "TRAN", NULL}, SQL_STMT_BEGIN_TRAN, sql_parse_tran},
    {{"BEGIN", "TRANSACTION", NULL}, SQL_STMT_BEGIN_TRAN, sql_parse_tran},
    {{"COMMIT", NULL, NULL}, SQL_STMT_COMMIT_TRAN, sql_parse_tran},
    {{"ROLLBACK", NULL, NULL}, SQL_STMT_ROLLBACK_TRAN, sql_parse_tran},
    {{"IF", NULL, NULL}, SQL_STMT_COMMIT_TRAN, sql_parse_if_trancount},
};

/* How many of form's leading words the upcoming tokens match. */
static size_t form_match(const sql_parser *p, const stmt_form *f)
{
    size_t k = 0;
    while (k < 3 && f->words[k] != NULL && sql_p_is_kw_at(p, k, f->words[k])) {
        k++;
    }
    return k;
}

static size_t form_words(const stmt_form *f)
{
    size_t k = 0;
    while (k < 3 && f->words[k] != NULL) {
        k++;
    }
    return k;
}

static MK_RESULT parse_statement(sql_parser *p, sql_stmt *s)
{
    size_t best = 0;
    memset(s, 0, sizeof(*s));
    s->line = sql_p_peek(p)->line;
    p->depth = 0;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        size_t m = form_match(p, &forms[i]);
        if (m == form_words(&forms[i])) {
            p->pos += m;
            s->kind = forms[i].kind;
            return forms[i].parse(p, s);
        }
        best = m > best ? m : best;
    }
    /* Name the first word no statement form accepts, as SQL Server does. */
    return sql_p_syntax_error_at(p, p->pos + best);
}

static MK_RESULT parse_batch(sql_parser *p, sql_batch *b)
{
    sql_vec stmts = {0};
    for (;;) {
        while (sql_p_accept(p, SQL_TOK_SEMI) || sql_p_accept(p, SQL_TOK_GO)) {
        }
        if (sql_p_is(p, SQL_TOK_EOF)) {
            break;
        }
        if (stmts.n == SQL_MAX_STATEMENTS) {
            (void)MK_RAISE(MK_E_TOOBIG, "more than %zu statements", SQL_MAX_STATEMENTS);
            sql_error_from_mk(p->err, sql_p_peek(p)->line);
            return MK_ERR;
        }
        void *mem = NULL;
        GUARD(sql_p_alloc(p, sizeof(sql_stmt), &mem));
        GUARD(parse_statement(p, mem));
        GUARD(sql_p_push(p, &stmts, mem));
    }
    void *arr = NULL;
    GUARD(sql_p_struct_array(p, &stmts, sizeof(sql_stmt), &arr));
    b->stmts = arr;
    b->n = stmts.n;
    return MK_OK;
}

MK_RESULT sql_parse(const char *text, size_t len, sql_batch **out, sql_error *err)
{
    mk_result res = MK_ERR;
    sql_token *toks = NULL;
    size_t ntoks = 0;
    *out = NULL;
    sql_error_clear(err);
    sql_batch *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        (void)MK_RAISE(MK_E_NOMEM, NULL);
        sql_error_from_mk(err, 1);
        goto out;
    }
    sql_arena_init(&b->arena);
    GUARD_OUT(sql_lex_into(&b->arena, text, len, &toks, &ntoks, err));
    sql_parser p = {.toks = toks, .ntoks = ntoks, .text = text, .arena = &b->arena, .err = err};
    GUARD_OUT(parse_batch(&p, b));
    *out = b;
    b = NULL;
    res = MK_OK;
out:
    if (mk_failed(res) && err->number == 0) {
        sql_error_from_mk(err, 1); /* every path fills err; this is a safety net */
    }
    free(toks);
    sql_batch_free(b);
    return res;
}

size_t sql_batch_count(const sql_batch *b) { return b->n; }

sql_stmt *sql_batch_stmt(sql_batch *b, size_t i) { return i < b->n ? &b->stmts[i] : NULL; }

void sql_batch_free(sql_batch *b)
{
    if (b == NULL) {
        return;
    }
    sql_arena_cleanup(&b->arena);
    free(b);
}
