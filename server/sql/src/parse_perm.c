/*
 * Permissions and ownership (the dispatcher has consumed the verb):
 *
 *   GRANT perm [, perm...] [ON securable] TO principal [, ...]
 *         [WITH GRANT OPTION] [AS principal]
 *   REVOKE [GRANT OPTION FOR] perm [, ...] [ON securable] { TO | FROM } principal [, ...]
 *         [CASCADE] [AS principal]
 *   DENY perm [, ...] [ON securable] TO principal [, ...] [CASCADE] [AS principal]
 *   ALTER AUTHORIZATION ON securable TO { principal | SCHEMA OWNER }
 *   securable := [class ::] [db.][schema.]name      e.g. ENDPOINT::Endpoint_Mirroring
 *
 * Any permission (one or more words: CONNECT, VIEW DEFINITION, ...) and any
 * securable class parse, so that the executor can refuse what mirrorkey
 * does not implement with a clear error rather than error 102.
 */
#include "internal.h"

#include <string.h>

#define PERM_MAX_WORDS 8  /* ADMINISTER DATABASE BULK OPERATIONS has four */
#define CLASS_MAX_WORDS 3 /* XML SCHEMA COLLECTION */

/* Words toks[from..from+n) as one upper-case string joined by single spaces. */
static MK_RESULT join_upper(sql_parser *p, size_t from, size_t n, const char **out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += p->toks[from + i].value_len + 1;
    }
    void *mem = NULL;
    GUARD(sql_p_alloc(p, len + 1, &mem));
    char *d = mem;
    for (size_t i = 0; i < n; i++) {
        const sql_token *t = &p->toks[from + i];
        for (size_t j = 0; j < t->value_len; j++) {
            char c = t->value[j];
            *d++ = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        }
        if (i + 1 < n) {
            *d++ = ' ';
        }
    }
    *out = mem;
    return MK_OK;
}

/* One permission: plain words up to `,`, ON, TO or FROM. */
static MK_RESULT permission(sql_parser *p, const char **out)
{
    size_t from = p->pos;
    size_t n = 0;
    while (sql_p_is(p, SQL_TOK_IDENT) && !sql_p_is_kw(p, "ON") && !sql_p_is_kw(p, "TO") &&
           !sql_p_is_kw(p, "FROM")) {
        if (n == PERM_MAX_WORDS) {
            return sql_p_syntax_error(p);
        }
        (void)sql_p_next(p);
        n++;
    }
    if (n == 0) {
        return sql_p_syntax_error(p);
    }
    return join_upper(p, from, n, out);
}

static sql_class class_of(const char *name)
{
    static const struct {
        const char *name;
        sql_class cls;
    } classes[] = {
        {"ENDPOINT", SQL_CLASS_ENDPOINT}, {"CERTIFICATE", SQL_CLASS_CERTIFICATE},
        {"LOGIN", SQL_CLASS_LOGIN},       {"USER", SQL_CLASS_USER},
        {"DATABASE", SQL_CLASS_DATABASE},
    };
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
        if (strcmp(name, classes[i].name) == 0) {
            return classes[i].cls;
        }
    }
    return SQL_CLASS_OTHER;
}

/* Number of plain words before `::`, or 0 when there is no class prefix. */
static size_t class_words(const sql_parser *p)
{
    for (size_t j = 1; j <= CLASS_MAX_WORDS; j++) {
        if (sql_p_peek_at(p, j - 1)->kind != SQL_TOK_IDENT) {
            return 0;
        }
        if (sql_p_peek_at(p, j)->kind == SQL_TOK_SCOPE) {
            return j;
        }
    }
    return 0;
}

static MK_RESULT securable(sql_parser *p, sql_securable *sec)
{
    size_t n = class_words(p);
    memset(sec, 0, sizeof(*sec));
    if (n > 0) {
        GUARD(join_upper(p, p->pos, n, &sec->class_name));
        sec->cls = class_of(sec->class_name);
        p->pos += n + 1;
    }
    return sql_p_objname(p, &sec->name);
}

/* A principal name; `public` is a reserved word but names the public role. */
static MK_RESULT principal(sql_parser *p, const char **out)
{
    if (sql_p_is_kw(p, "PUBLIC")) {
        *out = sql_p_next(p)->value;
        return MK_OK;
    }
    return sql_p_name(p, out);
}

/* Permissions, securable and principals; REVOKE also takes FROM before the principals. */
static MK_RESULT perm_lists(sql_parser *p, bool revoke, sql_perm_stmt *g)
{
    sql_vec perms = {0};
    sql_vec principals = {0};
    do {
        const char *perm = NULL;
        GUARD(permission(p, &perm));
        GUARD(sql_p_push(p, &perms, perm));
    } while (sql_p_accept(p, SQL_TOK_COMMA));
    if (sql_p_accept_kw(p, "ON")) {
        g->has_on = true;
        GUARD(securable(p, &g->on));
    }
    if (!sql_p_accept_kw(p, "TO") && !(revoke && sql_p_accept_kw(p, "FROM"))) {
        return sql_p_syntax_error(p);
    }
    do {
        const char *name = NULL;
        GUARD(principal(p, &name));
        GUARD(sql_p_push(p, &principals, name));
    } while (sql_p_accept(p, SQL_TOK_COMMA));
    g->nperms = perms.n;
    g->nprincipals = principals.n;
    GUARD(sql_p_str_array(p, &perms, &g->perms));
    return sql_p_str_array(p, &principals, &g->principals);
}

MK_RESULT sql_parse_perm(sql_parser *p, sql_stmt *s)
{
    sql_perm_stmt *g = &s->u.perm;
    if (s->kind == SQL_STMT_REVOKE && sql_p_is_kw(p, "GRANT") && sql_p_is_kw_at(p, 1, "OPTION") &&
        sql_p_is_kw_at(p, 2, "FOR")) {
        p->pos += 3;
        g->grant_option_for = true;
    }
    GUARD(perm_lists(p, s->kind == SQL_STMT_REVOKE, g));
    if (s->kind == SQL_STMT_GRANT && sql_p_is_kw(p, "WITH")) {
        (void)sql_p_next(p);
        GUARD(sql_p_expect_kw(p, "GRANT"));
        GUARD(sql_p_expect_kw(p, "OPTION"));
        g->with_grant_option = true;
    }
    if (s->kind != SQL_STMT_GRANT && sql_p_accept_kw(p, "CASCADE")) {
        g->cascade = true;
    }
    if (sql_p_accept_kw(p, "AS")) {
        g->has_as = true;
        return principal(p, &g->as_principal);
    }
    return MK_OK;
}

MK_RESULT sql_parse_alter_auth(sql_parser *p, sql_stmt *s)
{
    sql_alter_auth_stmt *a = &s->u.alter_auth;
    GUARD(sql_p_expect_kw(p, "ON"));
    GUARD(securable(p, &a->on));
    GUARD(sql_p_expect_kw(p, "TO"));
    if (sql_p_is_kw(p, "SCHEMA") && sql_p_is_kw_at(p, 1, "OWNER")) {
        p->pos += 2;
        a->to_schema_owner = true;
        return MK_OK;
    }
    return principal(p, &a->principal);
}
