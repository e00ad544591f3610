/*
 * Database and session statements: USE, CREATE DATABASE, ALTER DATABASE ...
 * SET { PARTNER | WITNESS } (database mirroring), the DROP family and SET
 * session options (clients send `SET TEXTSIZE ...`, `SET NOCOUNT ON` and the
 * like when they connect; the executor acknowledges them).
 */
#include "internal.h"

MK_RESULT sql_parse_use(sql_parser *p, sql_stmt *s) { return sql_p_name(p, &s->u.name.name); }

MK_RESULT sql_parse_create_database(sql_parser *p, sql_stmt *s)
{
    return sql_p_name(p, &s->u.name.name);
}

/* DROP { CERTIFICATE | ENDPOINT | LOGIN | USER | DATABASE } [IF EXISTS] name */
MK_RESULT sql_parse_drop(sql_parser *p, sql_stmt *s)
{
    bool may_if_exists = s->kind == SQL_STMT_DROP_USER || s->kind == SQL_STMT_DROP_DATABASE;
    if (may_if_exists && sql_p_is_kw(p, "IF") && sql_p_is_kw_at(p, 1, "EXISTS")) {
        p->pos += 2;
        s->u.name.if_exists = true;
    }
    return sql_p_name(p, &s->u.name.name);
}

/* PARTNER { = 'addr' | OFF | FAILOVER | ... | SAFETY {FULL|OFF} | TIMEOUT n } */
static MK_RESULT partner_action(sql_parser *p, sql_alter_db_stmt *a)
{
    static const struct {
        const char *word;
        sql_dbm_action action;
    } words[] = {
        {"OFF", SQL_DBM_OFF},
        {"FAILOVER", SQL_DBM_FAILOVER},
        {"FORCE_SERVICE_ALLOW_DATA_LOSS", SQL_DBM_FORCE_SERVICE},
        {"RESUME", SQL_DBM_RESUME},
        {"SUSPEND", SQL_DBM_SUSPEND},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (sql_p_accept_kw(p, words[i].word)) {
            a->action = words[i].action;
            return MK_OK;
        }
    }
    if (sql_p_accept_kw(p, "SAFETY")) {
        a->action = SQL_DBM_SAFETY;
        if (sql_p_accept_kw(p, "FULL")) {
            a->safety_full = true;
            return MK_OK;
        }
        return sql_p_expect_kw(p, "OFF");
    }
    if (sql_p_accept_kw(p, "TIMEOUT")) {
        a->action = SQL_DBM_TIMEOUT;
        return sql_p_integer(p, &a->timeout);
    }
    return sql_p_syntax_error(p);
}

/* ALTER DATABASE d SET { PARTNER ... | WITNESS { = 'addr' | OFF } } */
MK_RESULT sql_parse_alter_database(sql_parser *p, sql_stmt *s)
{
    sql_alter_db_stmt *a = &s->u.alter_db;
    GUARD(sql_p_name(p, &a->name));
    GUARD(sql_p_expect_kw(p, "SET"));
    if (sql_p_accept_kw(p, "PARTNER")) {
        a->target = SQL_DBM_PARTNER;
    } else if (sql_p_accept_kw(p, "WITNESS")) {
        a->target = SQL_DBM_WITNESS;
    } else {
        return sql_p_syntax_error(p);
    }
    if (sql_p_accept(p, SQL_TOK_EQ)) {
        a->action = SQL_DBM_ADDRESS;
        return sql_p_string(p, &a->address);
    }
    if (a->target == SQL_DBM_WITNESS) {
        a->action = SQL_DBM_OFF;
        return sql_p_expect_kw(p, "OFF");
    }
    return partner_action(p, a);
}

/* SET TRANSACTION ISOLATION LEVEL <level>: the level words as one string. */
static MK_RESULT set_isolation(sql_parser *p, sql_set_stmt *set, sql_vec *opts)
{
    static const char *const levels[][2] = {
        {"READ", "UNCOMMITTED"}, {"READ", "COMMITTED"},  {"REPEATABLE", "READ"},
        {"SNAPSHOT", NULL},      {"SERIALIZABLE", NULL},
    };
    static const char *const names[] = {"READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ",
                                        "SNAPSHOT", "SERIALIZABLE"};
    p->pos += 3; /* TRANSACTION ISOLATION LEVEL */
    GUARD(sql_p_push(p, opts, "TRANSACTION ISOLATION LEVEL"));
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (sql_p_is_kw(p, levels[i][0]) &&
            (levels[i][1] == NULL || sql_p_is_kw_at(p, 1, levels[i][1]))) {
            p->pos += levels[i][1] == NULL ? 1 : 2;
            set->kind = SQL_SET_WORD;
            set->word = names[i];
            return MK_OK;
        }
    }
    return sql_p_syntax_error(p);
}

/* The value of a single-option SET: ON, OFF, a literal or a word. */
static MK_RESULT set_value(sql_parser *p, sql_set_stmt *set, bool single)
{
    if (sql_p_accept_kw(p, "ON")) {
        set->kind = SQL_SET_ON;
        return MK_OK;
    }
    if (sql_p_accept_kw(p, "OFF")) {
        set->kind = SQL_SET_OFF;
        return MK_OK;
    }
    if (!single) {
        return sql_p_syntax_error(p);
    }
    const sql_token *t = sql_p_peek(p);
    if (t->kind == SQL_TOK_IDENT || t->kind == SQL_TOK_QIDENT) {
        set->kind = SQL_SET_WORD;
        return sql_p_name(p, &set->word);
    }
    set->kind = SQL_SET_LITERAL;
    return sql_p_literal(p, &set->lit);
}

/*
 * SET opt[, opt...] { ON | OFF } | SET opt { literal | word }
 * | SET TRANSACTION ISOLATION LEVEL level. Option names are any plain
 * identifier (TEXTSIZE and ROWCOUNT are reserved words).
 */
MK_RESULT sql_parse_set(sql_parser *p, sql_stmt *s)
{
    sql_set_stmt *set = &s->u.set;
    sql_vec opts = {0};
    if (sql_p_is_kw(p, "TRANSACTION") && sql_p_is_kw_at(p, 1, "ISOLATION") &&
        sql_p_is_kw_at(p, 2, "LEVEL")) {
        GUARD(set_isolation(p, set, &opts));
    } else {
        do {
            if (!sql_p_is(p, SQL_TOK_IDENT)) {
                return sql_p_syntax_error(p);
            }
            GUARD(sql_p_push(p, &opts, sql_p_next(p)->value));
        } while (sql_p_accept(p, SQL_TOK_COMMA));
        GUARD(set_value(p, set, opts.n == 1));
    }
    set->noptions = opts.n;
    return sql_p_str_array(p, &opts, &set->options);
}
