/*
 * Certificate statements (the dispatcher has consumed the leading words):
 *
 *   CREATE CERTIFICATE name [AUTHORIZATION user]
 *     { FROM [EXECUTABLE] FILE = 'path' [WITH PRIVATE KEY (pk)]
 *     | FROM BINARY = 0x... [WITH PRIVATE KEY (pk)]
 *     | FROM ASSEMBLY name
 *     | [ENCRYPTION BY PASSWORD = 'pw'] WITH SUBJECT = 's'
 *           [, START_DATE = 'd'] [, EXPIRY_DATE = 'd'] [, ENCRYPTION BY PASSWORD = 'pw']
 *           [, ALGORITHM = { RSA_2048 | RSA_3072 | RSA_4096 | EC_P256 | EC_P384 }] }
 *     [ACTIVE FOR BEGIN_DIALOG = { ON | OFF }]
 *   BACKUP CERTIFICATE name TO FILE = 'path' [WITH PRIVATE KEY (pk)]
 *   pk := { FILE = 'p' | BINARY = 0x.. | ENCRYPTION BY PASSWORD = 'pw'
 *         | DECRYPTION BY PASSWORD = 'pw' } [, ...]
 *
 * Private key clauses are parsed in full so that the executor can refuse
 * them with a clear error (keys never leave or enter the token that way).
 * Options may come in any order but each at most once (else error 102 near
 * the repeated option). ALGORITHM is mirrorkey's extension (the keyword of
 * SQL Server's CREATE ASYMMETRIC KEY): its value is a plain identifier in
 * any case; any other value is error 102 near it.
 */
#include "internal.h"

/* `BY PASSWORD = 'pw'` after ENCRYPTION or DECRYPTION. */
static MK_RESULT by_password(sql_parser *p, bool *seen, char **out)
{
    GUARD(sql_p_once(p, seen));
    (void)sql_p_next(p); /* ENCRYPTION / DECRYPTION */
    GUARD(sql_p_expect_kw(p, "BY"));
    GUARD(sql_p_expect_kw(p, "PASSWORD"));
    return sql_p_eq_password(p, out);
}

static MK_RESULT pk_option(sql_parser *p, sql_private_key *pk)
{
    if (sql_p_is_kw(p, "FILE")) {
        GUARD(sql_p_once(p, &pk->has_file));
        GUARD(sql_p_expect_kw_eq(p, "FILE"));
        return sql_p_string(p, &pk->file);
    }
    if (sql_p_is_kw(p, "BINARY")) {
        GUARD(sql_p_once(p, &pk->has_binary));
        GUARD(sql_p_expect_kw_eq(p, "BINARY"));
        if (!sql_p_is(p, SQL_TOK_BINARY)) {
            return sql_p_syntax_error(p);
        }
        const sql_token *t = sql_p_next(p);
        pk->binary = (const uint8_t *)t->value;
        pk->binary_len = t->value_len;
        return MK_OK;
    }
    if (sql_p_is_kw(p, "ENCRYPTION")) {
        return by_password(p, &pk->has_encryption_password, &pk->encryption_password);
    }
    if (sql_p_is_kw(p, "DECRYPTION")) {
        return by_password(p, &pk->has_decryption_password, &pk->decryption_password);
    }
    return sql_p_syntax_error(p);
}

/* Optional `WITH PRIVATE KEY ( option [, option...] )`; sets *given. */
static MK_RESULT private_key(sql_parser *p, bool *given, sql_private_key *pk)
{
    if (!sql_p_is_kw(p, "WITH") || !sql_p_is_kw_at(p, 1, "PRIVATE")) {
        return MK_OK;
    }
    p->pos += 2;
    GUARD(sql_p_expect_kw(p, "KEY"));
    GUARD(sql_p_expect(p, SQL_TOK_LPAREN));
    do {
        GUARD(pk_option(p, pk));
    } while (sql_p_accept(p, SQL_TOK_COMMA));
    *given = true;
    return sql_p_expect(p, SQL_TOK_RPAREN);
}

static MK_RESULT from_source(sql_parser *p, sql_create_cert_stmt *c)
{
    if (sql_p_accept_kw(p, "ASSEMBLY")) {
        c->source = SQL_CERT_FROM_ASSEMBLY;
        return sql_p_name(p, &c->assembly);
    }
    if (sql_p_is_kw(p, "BINARY")) {
        c->source = SQL_CERT_FROM_BINARY;
        GUARD(sql_p_expect_kw_eq(p, "BINARY"));
        if (!sql_p_is(p, SQL_TOK_BINARY)) {
            return sql_p_syntax_error(p);
        }
        const sql_token *t = sql_p_next(p);
        c->binary = (const uint8_t *)t->value;
        c->binary_len = t->value_len;
    } else {
        c->source =
            sql_p_accept_kw(p, "EXECUTABLE") ? SQL_CERT_FROM_EXECUTABLE : SQL_CERT_FROM_FILE;
        GUARD(sql_p_expect_kw_eq(p, "FILE"));
        GUARD(sql_p_string(p, &c->file));
    }
    return private_key(p, &c->has_private_key, &c->private_key);
}

/* `ALGORITHM = name`: the key pair generated on the token. */
static MK_RESULT algorithm(sql_parser *p, sql_create_cert_stmt *c)
{
    static const sql_cert_algorithm algs[] = {SQL_CERT_ALG_RSA_2048, SQL_CERT_ALG_RSA_3072,
                                              SQL_CERT_ALG_RSA_4096, SQL_CERT_ALG_EC_P256,
                                              SQL_CERT_ALG_EC_P384};
    GUARD(sql_p_once(p, &c->has_algorithm));
    GUARD(sql_p_expect_kw_eq(p, "ALGORITHM"));
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (sql_p_accept_kw(p, sql_cert_algorithm_name(algs[i]))) {
            c->algorithm = algs[i];
            return MK_OK;
        }
    }
    return sql_p_syntax_error(p);
}

/* One option of the WITH list after SUBJECT. */
static MK_RESULT subject_option(sql_parser *p, sql_create_cert_stmt *c)
{
    if (sql_p_is_kw(p, "START_DATE")) {
        GUARD(sql_p_once(p, &c->has_start_date));
        GUARD(sql_p_expect_kw_eq(p, "START_DATE"));
        return sql_p_string(p, &c->start_date);
    }
    if (sql_p_is_kw(p, "EXPIRY_DATE")) {
        GUARD(sql_p_once(p, &c->has_expiry_date));
        GUARD(sql_p_expect_kw_eq(p, "EXPIRY_DATE"));
        return sql_p_string(p, &c->expiry_date);
    }
    if (sql_p_is_kw(p, "ENCRYPTION")) {
        return by_password(p, &c->has_encryption_password, &c->encryption_password);
    }
    if (sql_p_is_kw(p, "ALGORITHM")) {
        return algorithm(p, c);
    }
    return sql_p_syntax_error(p);
}

static MK_RESULT generate(sql_parser *p, sql_create_cert_stmt *c)
{
    c->source = SQL_CERT_GENERATE;
    if (sql_p_is_kw(p, "ENCRYPTION")) {
        GUARD(by_password(p, &c->has_encryption_password, &c->encryption_password));
    }
    GUARD(sql_p_expect_kw(p, "WITH"));
    GUARD(sql_p_expect_kw_eq(p, "SUBJECT"));
    GUARD(sql_p_string(p, &c->subject));
    while (sql_p_accept(p, SQL_TOK_COMMA)) {
        GUARD(subject_option(p, c));
    }
    return MK_OK;
}

MK_RESULT sql_parse_create_cert(sql_parser *p, sql_stmt *s)
{
    sql_create_cert_stmt *c = &s->u.create_cert;
    GUARD(sql_p_name(p, &c->name));
    if (sql_p_accept_kw(p, "AUTHORIZATION")) {
        c->has_owner = true;
        GUARD(sql_p_name(p, &c->owner));
    }
    if (sql_p_accept_kw(p, "FROM")) {
        GUARD(from_source(p, c));
    } else {
        GUARD(generate(p, c));
    }
    if (!sql_p_accept_kw(p, "ACTIVE")) {
        return MK_OK;
    }
    GUARD(sql_p_expect_kw(p, "FOR"));
    GUARD(sql_p_expect_kw_eq(p, "BEGIN_DIALOG"));
    c->has_active_for_begin_dialog = true;
    return sql_p_on_off(p, &c->active_for_begin_dialog);
}

MK_RESULT sql_parse_backup_cert(sql_parser *p, sql_stmt *s)
{
    sql_backup_cert_stmt *b = &s->u.backup_cert;
    GUARD(sql_p_name(p, &b->name));
    GUARD(sql_p_expect_kw(p, "TO"));
    GUARD(sql_p_expect_kw_eq(p, "FILE"));
    GUARD(sql_p_string(p, &b->file));
    return private_key(p, &b->has_private_key, &b->private_key);
}
