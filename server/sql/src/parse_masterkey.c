/*
 * Database master key statements (the dispatcher has consumed the verb and
 * MASTER KEY):
 *
 *   CREATE MASTER KEY [ENCRYPTION BY PASSWORD = 'pw']
 *   OPEN MASTER KEY DECRYPTION BY PASSWORD = 'pw'
 *   CLOSE MASTER KEY
 *   ALTER MASTER KEY [FORCE] REGENERATE WITH ENCRYPTION BY PASSWORD = 'pw'
 *   ALTER MASTER KEY { ADD | DROP } ENCRYPTION BY { SERVICE MASTER KEY | PASSWORD = 'pw' }
 *
 * CREATE without a password parses (Azure SQL allows it); the executor
 * requires one. The service master key forms parse so that the executor can
 * refuse them clearly: mirrorkey's protector lives on the token.
 */
#include "internal.h"

/* `PASSWORD = 'pw'` */
static MK_RESULT password(sql_parser *p, sql_masterkey_stmt *mk)
{
    GUARD(sql_p_expect_kw(p, "PASSWORD"));
    GUARD(sql_p_eq_password(p, &mk->password));
    mk->has_password = true;
    mk->by = SQL_MK_BY_PASSWORD;
    return MK_OK;
}

/* `{ENCRYPTION|DECRYPTION} BY PASSWORD = 'pw'` */
static MK_RESULT by_password(sql_parser *p, const char *verb, sql_masterkey_stmt *mk)
{
    GUARD(sql_p_expect_kw(p, verb));
    GUARD(sql_p_expect_kw(p, "BY"));
    return password(p, mk);
}

/* {ADD | DROP} ENCRYPTION BY { SERVICE MASTER KEY | PASSWORD = 'pw' } */
static MK_RESULT add_drop(sql_parser *p, sql_masterkey_stmt *mk)
{
    GUARD(sql_p_expect_kw(p, "ENCRYPTION"));
    GUARD(sql_p_expect_kw(p, "BY"));
    if (!sql_p_accept_kw(p, "SERVICE")) {
        return password(p, mk);
    }
    GUARD(sql_p_expect_kw(p, "MASTER"));
    mk->by = SQL_MK_BY_SERVICE_MASTER_KEY;
    return sql_p_expect_kw(p, "KEY");
}

static MK_RESULT alter_masterkey(sql_parser *p, sql_masterkey_stmt *mk)
{
    if (sql_p_accept_kw(p, "ADD")) {
        mk->action = SQL_MK_ADD_ENCRYPTION;
        return add_drop(p, mk);
    }
    if (sql_p_accept_kw(p, "DROP")) {
        mk->action = SQL_MK_DROP_ENCRYPTION;
        return add_drop(p, mk);
    }
    mk->action = SQL_MK_REGENERATE;
    mk->force = sql_p_accept_kw(p, "FORCE");
    GUARD(sql_p_expect_kw(p, "REGENERATE"));
    GUARD(sql_p_expect_kw(p, "WITH"));
    return by_password(p, "ENCRYPTION", mk);
}

MK_RESULT sql_parse_masterkey(sql_parser *p, sql_stmt *s)
{
    sql_masterkey_stmt *mk = &s->u.masterkey;
    switch (s->kind) {
    case SQL_STMT_CREATE_MASTER_KEY:
        return sql_p_is_kw(p, "ENCRYPTION") ? by_password(p, "ENCRYPTION", mk) : MK_OK;
    case SQL_STMT_OPEN_MASTER_KEY: return by_password(p, "DECRYPTION", mk);
    case SQL_STMT_CLOSE_MASTER_KEY: return MK_OK;
    case SQL_STMT_ALTER_MASTER_KEY: return alter_masterkey(p, mk);
    default: return sql_p_syntax_error(p);
    }
}
