/*
 * USE, CREATE / DROP DATABASE, ALTER DATABASE ... SET PARTNER / WITNESS in
 * every form, SET session options, and their syntax errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sql_test_util.h"

static void test_use_create_drop(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_stmt *s = parse_one("USE [master]", SQL_STMT_USE, &b);
    assert_string_equal(s->u.name.name, "master");
    sql_batch_free(b);
    s = parse_one("CREATE DATABASE mirror_db", SQL_STMT_CREATE_DATABASE, &b);
    assert_string_equal(s->u.name.name, "mirror_db");
    sql_batch_free(b);
    s = parse_one("DROP DATABASE IF EXISTS mirror_db", SQL_STMT_DROP_DATABASE, &b);
    assert_true(s->u.name.if_exists);
    assert_string_equal(s->u.name.name, "mirror_db");
    sql_batch_free(b);
}

static void test_alter_database(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        sql_dbm_target target;
        sql_dbm_action action;
    } cases[] = {
        {"SET PARTNER = 'TCP://host_b.example:7024'", SQL_DBM_PARTNER, SQL_DBM_ADDRESS},
        {"SET PARTNER OFF", SQL_DBM_PARTNER, SQL_DBM_OFF},
        {"SET PARTNER FAILOVER", SQL_DBM_PARTNER, SQL_DBM_FAILOVER},
        {"SET PARTNER FORCE_SERVICE_ALLOW_DATA_LOSS", SQL_DBM_PARTNER, SQL_DBM_FORCE_SERVICE},
        {"SET PARTNER RESUME", SQL_DBM_PARTNER, SQL_DBM_RESUME},
        {"SET PARTNER SUSPEND", SQL_DBM_PARTNER, SQL_DBM_SUSPEND},
        {"SET PARTNER SAFETY FULL", SQL_DBM_PARTNER, SQL_DBM_SAFETY},
        {"SET PARTNER SAFETY OFF", SQL_DBM_PARTNER, SQL_DBM_SAFETY},
        {"SET PARTNER TIMEOUT 30", SQL_DBM_PARTNER, SQL_DBM_TIMEOUT},
        {"SET WITNESS = N'TCP://w:7024'", SQL_DBM_WITNESS, SQL_DBM_ADDRESS},
        {"SET WITNESS OFF", SQL_DBM_WITNESS, SQL_DBM_OFF},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "ALTER DATABASE [db] %s", cases[i].text);
        sql_batch *b = NULL;
        sql_stmt *s = parse_one(text, SQL_STMT_ALTER_DATABASE, &b);
        const sql_alter_db_stmt *a = &s->u.alter_db;
        assert_string_equal(a->name, "db");
        assert_int_equal(a->target, cases[i].target);
        assert_int_equal(a->action, cases[i].action);
        if (a->action == SQL_DBM_ADDRESS) {
            assert_non_null(a->address);
        } else {
            assert_null(a->address);
        }
        sql_batch_free(b);
    }
    sql_batch *b = NULL;
    sql_stmt *s =
        parse_one("ALTER DATABASE d SET PARTNER = 'TCP://h:1'", SQL_STMT_ALTER_DATABASE, &b);
    assert_string_equal(s->u.alter_db.address, "TCP://h:1");
    sql_batch_free(b);
    s = parse_one("ALTER DATABASE d SET PARTNER SAFETY FULL", SQL_STMT_ALTER_DATABASE, &b);
    assert_true(s->u.alter_db.safety_full);
    sql_batch_free(b);
    s = parse_one("ALTER DATABASE d SET PARTNER TIMEOUT 30", SQL_STMT_ALTER_DATABASE, &b);
    assert_int_equal(s->u.alter_db.timeout, 30);
    sql_batch_free(b);
}

static void test_set_options(void **state)
{
    (void)state;
    sql_batch *b = parse_ok("SET NOCOUNT ON; set textsize 2147483647 SET ANSI_NULLS, "
                            "QUOTED_IDENTIFIER OFF SET LANGUAGE us_english SET DATEFORMAT 'mdy' "
                            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ "
                            "SET TRANSACTION ISOLATION LEVEL SNAPSHOT SET LOCK_TIMEOUT -1");
    assert_int_equal(sql_batch_count(b), 8);
    const sql_set_stmt *set = &sql_batch_stmt(b, 0)->u.set;
    assert_int_equal(set->noptions, 1);
    assert_string_equal(set->options[0], "NOCOUNT");
    assert_int_equal(set->kind, SQL_SET_ON);
    set = &sql_batch_stmt(b, 1)->u.set;
    assert_string_equal(set->options[0], "textsize");
    assert_int_equal(set->kind, SQL_SET_LITERAL);
    assert_int_equal(set->lit.integer, 2147483647);
    set = &sql_batch_stmt(b, 2)->u.set;
    assert_int_equal(set->noptions, 2);
    assert_string_equal(set->options[1], "QUOTED_IDENTIFIER");
    assert_int_equal(set->kind, SQL_SET_OFF);
    set = &sql_batch_stmt(b, 3)->u.set;
    assert_int_equal(set->kind, SQL_SET_WORD);
    assert_string_equal(set->word, "us_english");
    set = &sql_batch_stmt(b, 4)->u.set;
    assert_int_equal(set->kind, SQL_SET_LITERAL);
    assert_string_equal(set->lit.text, "mdy");
    set = &sql_batch_stmt(b, 5)->u.set;
    assert_string_equal(set->options[0], "TRANSACTION ISOLATION LEVEL");
    assert_string_equal(set->word, "REPEATABLE READ");
    assert_string_equal(sql_batch_stmt(b, 6)->u.set.word, "SNAPSHOT");
    assert_int_equal(sql_batch_stmt(b, 7)->u.set.lit.integer, -1);
    sql_batch_free(b);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_syntax("USE", "USE", 1);
    expect_syntax("USE 'master'", "master", 1);
    expect_syntax("USE master.dbo", ".", 1);
    expect_syntax("CREATE DATABASE d ON PRIMARY", "ON", 1);
    expect_syntax("DROP DATABASE d, e", ",", 1);
    expect_syntax("ALTER DATABASE d", "d", 1);
    expect_syntax("ALTER DATABASE d SET RECOVERY FULL", "RECOVERY", 1);
    expect_syntax("ALTER DATABASE d SET PARTNER", "PARTNER", 1);
    expect_syntax("ALTER DATABASE d SET PARTNER = TCP", "TCP", 1);
    expect_syntax("ALTER DATABASE d SET PARTNER SAFETY ON", "ON", 1);
    expect_syntax("ALTER DATABASE d SET PARTNER TIMEOUT x", "x", 1);
    expect_syntax("ALTER DATABASE d SET WITNESS FAILOVER", "FAILOVER", 1);
    expect_syntax("ALTER DATABASE d MODIFY NAME = e", "MODIFY", 1);
    expect_syntax("SET", "SET", 1);
    expect_syntax("SET NOCOUNT", "NOCOUNT", 1);
    expect_syntax("SET @x = 1", "@x", 1);
    expect_syntax("SET A, B 5", "5", 1);
    expect_syntax("SET A,", ",", 1);
    expect_syntax("SET TRANSACTION ISOLATION LEVEL READ", "READ", 1);
    expect_syntax("SET TRANSACTION ISOLATION LEVEL CHAOS", "CHAOS", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_use_create_drop),
        cmocka_unit_test(test_alter_database),
        cmocka_unit_test(test_set_options),
        cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
