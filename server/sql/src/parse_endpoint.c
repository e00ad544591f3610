/*
 * CREATE ENDPOINT and ALTER ENDPOINT (after the dispatcher's two words):
 *
 *   { CREATE | ALTER } ENDPOINT e [AUTHORIZATION login]
 *     [STATE = { STARTED | STOPPED | DISABLED }]
 *     [AS TCP ( LISTENER_PORT = n [, LISTENER_IP = { ALL | (a.b.c.d) | ('::1') }] )]
 *     [FOR DATABASE_MIRRORING (
 *         [AUTHENTICATION = { WINDOWS [m] | CERTIFICATE c | WINDOWS [m] CERTIFICATE c
 *                           | CERTIFICATE c WINDOWS [m] }]
 *         [, ENCRYPTION = { DISABLED | { SUPPORTED | REQUIRED } [ALGORITHM a] }]
 *         [, ROLE = { WITNESS | PARTNER | ALL }] )]
 *
 * CREATE needs AS and FOR; ALTER needs at least one clause. Options inside
 * the parentheses are comma-separated (the seeds put the commas at line
 * starts, which is the same thing), in any order, each at most once. Another
 * transport (AS HTTP) or payload (FOR TSQL, FOR SERVICE_BROKER, ...) is kept
 * by name with its body skipped so the executor can refuse it clearly
 * instead of the client seeing error 102.
 */
#include "internal.h"

#include <string.h>

typedef MK_RESULT (*option_fn)(sql_parser *p, void *ctx);

/* ( option [, option...] ) */
static MK_RESULT option_list(sql_parser *p, option_fn fn, void *ctx)
{
    GUARD(sql_p_expect(p, SQL_TOK_LPAREN));
    do {
        GUARD(fn(p, ctx));
    } while (sql_p_accept(p, SQL_TOK_COMMA));
    return sql_p_expect(p, SQL_TOK_RPAREN);
}

/* Match the current keyword against words[0..n); sets *out to its index. */
static MK_RESULT one_of(sql_parser *p, const char *const *words, int n, int *out)
{
    for (int i = 0; i < n; i++) {
        if (sql_p_accept_kw(p, words[i])) {
            *out = i;
            return MK_OK;
        }
    }
    return sql_p_syntax_error(p);
}

/* (10.0.0.1): number and dot tokens written without gaps, kept as text. */
static MK_RESULT ipv4_text(sql_parser *p, sql_ep_tcp *tcp)
{
    size_t first = p->pos;
    size_t end = sql_p_peek(p)->pos;
    while (sql_p_is(p, SQL_TOK_INTEGER) || sql_p_is(p, SQL_TOK_DECIMAL) ||
           sql_p_is(p, SQL_TOK_DOT)) {
        const sql_token *t = sql_p_peek(p);
        if (t->pos != end) {
            return sql_p_syntax_error(p); /* `(10. 0.0.1)` */
        }
        end = t->pos + t->len;
        (void)sql_p_next(p);
    }
    if (p->pos == first) {
        return sql_p_syntax_error(p);
    }
    size_t start = p->toks[first].pos;
    void *mem = NULL;
    GUARD(sql_p_alloc(p, end - start + 1, &mem));
    memcpy(mem, p->text + start, end - start);
    tcp->ip = mem;
    return MK_OK;
}

static MK_RESULT listener_ip(sql_parser *p, sql_ep_tcp *tcp)
{
    if (sql_p_accept_kw(p, "ALL")) {
        tcp->ip_all = true;
        return MK_OK;
    }
    GUARD(sql_p_expect(p, SQL_TOK_LPAREN));
    const sql_token *t = sql_p_peek(p);
    if (t->kind == SQL_TOK_STRING || t->kind == SQL_TOK_NSTRING || t->kind == SQL_TOK_QIDENT) {
        tcp->ip = sql_p_next(p)->value;
        tcp->ip_quoted = true;
    } else {
        GUARD(ipv4_text(p, tcp));
    }
    return sql_p_expect(p, SQL_TOK_RPAREN);
}

static MK_RESULT tcp_option(sql_parser *p, void *ctx)
{
    sql_ep_tcp *tcp = ctx;
    if (sql_p_is_kw(p, "LISTENER_PORT")) {
        GUARD(sql_p_once(p, &tcp->has_port));
        GUARD(sql_p_expect_kw_eq(p, "LISTENER_PORT"));
        return sql_p_integer(p, &tcp->port);
    }
    if (sql_p_is_kw(p, "LISTENER_IP")) {
        GUARD(sql_p_once(p, &tcp->has_ip));
        GUARD(sql_p_expect_kw_eq(p, "LISTENER_IP"));
        return listener_ip(p, tcp);
    }
    return sql_p_syntax_error(p);
}

/* Optional NTLM | KERBEROS | NEGOTIATE after WINDOWS. */
static void windows_method(sql_parser *p, sql_ep_auth *a)
{
    static const char *const words[] = {"NEGOTIATE", "NTLM", "KERBEROS"};
    static const sql_ep_windows methods[] = {SQL_EP_WINDOWS_NEGOTIATE, SQL_EP_WINDOWS_NTLM,
                                             SQL_EP_WINDOWS_KERBEROS};
    a->windows = true;
    for (size_t i = 0; i < 3; i++) {
        if (sql_p_accept_kw(p, words[i])) {
            a->has_windows_method = true;
            a->windows_method = methods[i];
            return;
        }
    }
}

static MK_RESULT authentication(sql_parser *p, sql_ep_auth *a)
{
    if (sql_p_accept_kw(p, "WINDOWS")) {
        windows_method(p, a);
        if (sql_p_accept_kw(p, "CERTIFICATE")) {
            a->certificate = true;
            a->windows_first = true;
            return sql_p_name(p, &a->certificate_name);
        }
        return MK_OK;
    }
    GUARD(sql_p_expect_kw(p, "CERTIFICATE"));
    a->certificate = true;
    GUARD(sql_p_name(p, &a->certificate_name));
    if (sql_p_accept_kw(p, "WINDOWS")) {
        windows_method(p, a);
    }
    return MK_OK;
}

static MK_RESULT encryption(sql_parser *p, sql_ep_mirroring *m)
{
    static const char *const modes[] = {"DISABLED", "SUPPORTED", "REQUIRED"};
    int mode = 0;
    GUARD(one_of(p, modes, 3, &mode));
    m->encryption = (sql_ep_encryption)mode;
    if (m->encryption == SQL_EP_ENC_DISABLED || !sql_p_accept_kw(p, "ALGORITHM")) {
        return MK_OK;
    }
    m->has_algorithm = true;
    if (sql_p_accept_kw(p, "AES")) {
        m->algorithm = sql_p_accept_kw(p, "RC4") ? SQL_EP_ALG_AES_RC4 : SQL_EP_ALG_AES;
        return MK_OK;
    }
    GUARD(sql_p_expect_kw(p, "RC4"));
    m->algorithm = sql_p_accept_kw(p, "AES") ? SQL_EP_ALG_RC4_AES : SQL_EP_ALG_RC4;
    return MK_OK;
}

static MK_RESULT mirroring_option(sql_parser *p, void *ctx)
{
    sql_ep_mirroring *m = ctx;
    if (sql_p_is_kw(p, "AUTHENTICATION")) {
        GUARD(sql_p_once(p, &m->has_auth));
        GUARD(sql_p_expect_kw_eq(p, "AUTHENTICATION"));
        return authentication(p, &m->auth);
    }
    if (sql_p_is_kw(p, "ENCRYPTION")) {
        GUARD(sql_p_once(p, &m->has_encryption));
        GUARD(sql_p_expect_kw_eq(p, "ENCRYPTION"));
        return encryption(p, m);
    }
    if (sql_p_is_kw(p, "ROLE")) {
        static const char *const roles[] = {"WITNESS", "PARTNER", "ALL"};
        int role = 0;
        GUARD(sql_p_once(p, &m->has_role));
        GUARD(sql_p_expect_kw_eq(p, "ROLE"));
        GUARD(one_of(p, roles, 3, &role));
        m->role = (sql_ep_role)role;
        return MK_OK;
    }
    return sql_p_syntax_error(p);
}

/* The name after AS or FOR: a plain identifier such as TCP or DATABASE_MIRRORING. */
static MK_RESULT clause_name(sql_parser *p, const char **out)
{
    if (!sql_p_is(p, SQL_TOK_IDENT)) {
        return sql_p_syntax_error(p);
    }
    *out = sql_p_next(p)->value;
    return MK_OK;
}

static MK_RESULT as_clause(sql_parser *p, sql_endpoint_stmt *e)
{
    e->has_transport = true;
    GUARD(clause_name(p, &e->transport_name));
    if (sql_ieq(e->transport_name, strlen(e->transport_name), "TCP")) {
        e->transport = SQL_EP_TCP;
        return option_list(p, tcp_option, &e->tcp);
    }
    e->transport = SQL_EP_OTHER_TRANSPORT;
    if (!sql_p_is(p, SQL_TOK_LPAREN)) {
        return sql_p_syntax_error(p);
    }
    return sql_p_skip_group(p);
}

static MK_RESULT for_clause(sql_parser *p, sql_endpoint_stmt *e)
{
    e->has_payload = true;
    GUARD(clause_name(p, &e->payload_name));
    if (sql_ieq(e->payload_name, strlen(e->payload_name), "DATABASE_MIRRORING")) {
        e->payload = SQL_EP_MIRRORING;
        return option_list(p, mirroring_option, &e->mirroring);
    }
    e->payload = SQL_EP_OTHER_PAYLOAD;
    if (!sql_p_is(p, SQL_TOK_LPAREN)) {
        return sql_p_syntax_error(p);
    }
    return sql_p_skip_group(p);
}

MK_RESULT sql_parse_endpoint(sql_parser *p, sql_stmt *s)
{
    static const char *const states[] = {"STARTED", "STOPPED", "DISABLED"};
    sql_endpoint_stmt *e = &s->u.endpoint;
    bool alter = s->kind == SQL_STMT_ALTER_ENDPOINT;
    GUARD(sql_p_name(p, &e->name));
    if (sql_p_accept_kw(p, "AUTHORIZATION")) {
        e->has_owner = true;
        GUARD(sql_p_name(p, &e->owner));
    }
    if (sql_p_is_kw(p, "STATE")) {
        int state = 0;
        GUARD(sql_p_expect_kw_eq(p, "STATE"));
        GUARD(one_of(p, states, 3, &state));
        e->has_state = true;
        e->state = (sql_ep_state)state;
    }
    if (sql_p_accept_kw(p, "AS")) {
        GUARD(as_clause(p, e));
    } else if (!alter) {
        return sql_p_syntax_error(p);
    }
    if (sql_p_accept_kw(p, "FOR")) {
        GUARD(for_clause(p, e));
    } else if (!alter) {
        return sql_p_syntax_error(p);
    }
    if (alter && !e->has_owner && !e->has_state && !e->has_transport && !e->has_payload) {
        return sql_p_syntax_error(p);
    }
    return MK_OK;
}
