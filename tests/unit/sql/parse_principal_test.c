/*
 * Logins and users: CREATE LOGIN with every option and every FROM source,
 * ALTER LOGIN ENABLE / DISABLE / WITH options, DROP LOGIN, CREATE USER in
 * each form, DROP USER [IF EXISTS], and their syntax errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sql_test_util.h"

static sql_login_stmt *login(const char *text, sql_stmt_kind kind, sql_batch **b)
{
    return &parse_one(text, kind, b)->u.login;
}

static void test_create_login_all_options(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_login_stmt *l = login("CREATE LOGIN [peer login] WITH PASSWORD = 'Pw1!aaaa' MUST_CHANGE,\n"
                              "  CHECK_EXPIRATION = ON, CHECK_POLICY = OFF,\n"
                              "  DEFAULT_DATABASE = master, DEFAULT_LANGUAGE = [us_english]",
                              SQL_STMT_CREATE_LOGIN, &b);
    assert_string_equal(l->name, "peer login");
    assert_int_equal(l->source, SQL_LOGIN_PASSWORD);
    assert_null(l->source_name);
    const sql_login_opts *o = &l->opts;
    assert_true(o->has_password);
    assert_string_equal(o->password, "Pw1!aaaa");
    assert_true(o->must_change);
    assert_true(o->has_check_expiration);
    assert_true(o->check_expiration);
    assert_true(o->has_check_policy);
    assert_false(o->check_policy);
    assert_true(o->has_default_database);
    assert_string_equal(o->default_database, "master");
    assert_true(o->has_default_language);
    assert_string_equal(o->default_language, "us_english");
    assert_false(o->has_old_password);
    assert_false(o->has_new_name);
    sql_batch_free(b);
}

static void test_create_login_sources(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_login_stmt *l = login("CREATE LOGIN l FROM CERTIFICATE c", SQL_STMT_CREATE_LOGIN, &b);
    assert_int_equal(l->source, SQL_LOGIN_CERTIFICATE);
    assert_string_equal(l->source_name, "c");
    assert_false(l->opts.has_password);
    sql_batch_free(b);

    l = login("CREATE LOGIN l FROM ASYMMETRIC KEY k", SQL_STMT_CREATE_LOGIN, &b);
    assert_int_equal(l->source, SQL_LOGIN_ASYMMETRIC_KEY);
    assert_string_equal(l->source_name, "k");
    sql_batch_free(b);

    l = login("CREATE LOGIN [DOM\\u] FROM WINDOWS WITH DEFAULT_DATABASE = d", SQL_STMT_CREATE_LOGIN,
              &b);
    assert_int_equal(l->source, SQL_LOGIN_WINDOWS);
    assert_string_equal(l->name, "DOM\\u");
    assert_string_equal(l->opts.default_database, "d");
    sql_batch_free(b);

    l = login("CREATE LOGIN l FROM EXTERNAL PROVIDER", SQL_STMT_CREATE_LOGIN, &b);
    assert_int_equal(l->source, SQL_LOGIN_EXTERNAL_PROVIDER);
    sql_batch_free(b);
}

static void test_alter_login(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_login_stmt *l = login("ALTER LOGIN l DISABLE", SQL_STMT_ALTER_LOGIN, &b);
    assert_int_equal(l->action, SQL_LOGIN_DISABLE);
    sql_batch_free(b);
    l = login("ALTER LOGIN l ENABLE", SQL_STMT_ALTER_LOGIN, &b);
    assert_int_equal(l->action, SQL_LOGIN_ENABLE);
    assert_false(l->opts.has_password);
    sql_batch_free(b);

    l = login("ALTER LOGIN l WITH CHECK_POLICY = ON, PASSWORD = 'new' OLD_PASSWORD = 'old' "
              "UNLOCK MUST_CHANGE, NAME = l2",
              SQL_STMT_ALTER_LOGIN, &b);
    assert_int_equal(l->action, SQL_LOGIN_OPTIONS);
    assert_true(l->opts.has_check_policy);
    assert_true(l->opts.check_policy);
    assert_string_equal(l->opts.password, "new");
    assert_true(l->opts.has_old_password);
    assert_string_equal(l->opts.old_password, "old");
    assert_true(l->opts.unlock);
    assert_true(l->opts.must_change);
    assert_true(l->opts.has_new_name);
    assert_string_equal(l->opts.new_name, "l2");
    sql_batch_free(b);

    l = login("ALTER LOGIN l WITH PASSWORD = 'only'", SQL_STMT_ALTER_LOGIN, &b);
    assert_string_equal(l->opts.password, "only");
    assert_false(l->opts.has_old_password);
    assert_false(l->opts.unlock);
    sql_batch_free(b);
}

static void test_create_user_forms(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        sql_user_source source;
        const char *source_name;
    } cases[] = {
        {"CREATE USER u", SQL_USER_IMPLICIT, NULL},
        {"CREATE USER u FOR LOGIN l", SQL_USER_LOGIN, "l"},
        {"CREATE USER u FROM LOGIN [l]", SQL_USER_LOGIN, "l"},
        {"CREATE USER u WITHOUT LOGIN", SQL_USER_WITHOUT_LOGIN, NULL},
        {"CREATE USER u FOR CERTIFICATE c", SQL_USER_CERTIFICATE, "c"},
        {"CREATE USER u FROM ASYMMETRIC KEY k", SQL_USER_ASYMMETRIC_KEY, "k"},
        {"CREATE USER u FROM EXTERNAL PROVIDER", SQL_USER_EXTERNAL_PROVIDER, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sql_batch *b = NULL;
        sql_stmt *s = parse_one(cases[i].text, SQL_STMT_CREATE_USER, &b);
        assert_string_equal(s->u.create_user.name, "u");
        assert_int_equal(s->u.create_user.source, cases[i].source);
        if (cases[i].source_name == NULL) {
            assert_null(s->u.create_user.source_name);
        } else {
            assert_string_equal(s->u.create_user.source_name, cases[i].source_name);
        }
        assert_false(s->u.create_user.has_default_schema);
        sql_batch_free(b);
    }
    sql_batch *b = NULL;
    sql_stmt *s =
        parse_one("CREATE USER u FOR LOGIN l WITH DEFAULT_SCHEMA = dbo", SQL_STMT_CREATE_USER, &b);
    assert_true(s->u.create_user.has_default_schema);
    assert_string_equal(s->u.create_user.default_schema, "dbo");
    sql_batch_free(b);
}

static void test_drops(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_stmt *s = parse_one("DROP LOGIN [HOST_B_login]", SQL_STMT_DROP_LOGIN, &b);
    assert_string_equal(s->u.name.name, "HOST_B_login");
    assert_false(s->u.name.if_exists);
    sql_batch_free(b);
    s = parse_one("DROP USER IF EXISTS HOST_B_user", SQL_STMT_DROP_USER, &b);
    assert_string_equal(s->u.name.name, "HOST_B_user");
    assert_true(s->u.name.if_exists);
    sql_batch_free(b);
    s = parse_one("DROP USER [if]", SQL_STMT_DROP_USER, &b);
    assert_string_equal(s->u.name.name, "if");
    assert_false(s->u.name.if_exists);
    sql_batch_free(b);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_syntax("CREATE LOGIN l", "l", 1);
    expect_syntax("CREATE LOGIN l WITH CHECK_POLICY = OFF", "CHECK_POLICY", 1);
    expect_syntax("CREATE LOGIN l WITH PASSWORD = 0x01 HASHED", "0x01", 1);
    expect_syntax("CREATE LOGIN l WITH PASSWORD = 'p' HASHED", "HASHED", 1);
    expect_syntax("CREATE LOGIN l WITH PASSWORD = 'p', PASSWORD = 'q'", "PASSWORD", 1);
    expect_syntax("CREATE LOGIN l WITH PASSWORD = 'p', NAME = x", "NAME", 1);
    expect_syntax("CREATE LOGIN l WITH PASSWORD = 'p' OLD_PASSWORD = 'q'", "OLD_PASSWORD", 1);
    expect_syntax("CREATE LOGIN l WITH PASSWORD = 'p', CHECK_POLICY = ON, CHECK_POLICY = OFF",
                  "CHECK_POLICY", 1);
    expect_syntax("CREATE LOGIN l WITH PASSWORD = 'p', CHECK_POLICY = 1", "1", 1);
    expect_syntax("CREATE LOGIN l WITH PASSWORD = 'p', DEFAULT_DATABASE = 'master'", "master", 1);
    expect_syntax("CREATE LOGIN l WITH PASSWORD = 'p', SID = 0x01", "SID", 1);
    expect_syntax("CREATE LOGIN l WITH PASSWORD = 'p' MUST_CHANGE MUST_CHANGE", "MUST_CHANGE", 1);
    expect_syntax("CREATE LOGIN l FROM SOMEWHERE", "SOMEWHERE", 1);
    expect_syntax("CREATE LOGIN l FROM ASYMMETRIC k", "k", 1);
    expect_syntax("CREATE LOGIN l FROM EXTERNAL", "EXTERNAL", 1);
    expect_syntax("CREATE LOGIN l FROM CERTIFICATE", "CERTIFICATE", 1);
    expect_syntax("CREATE LOGIN @l WITH PASSWORD = 'p'", "@l", 1);
    expect_syntax("ALTER LOGIN l", "l", 1);
    expect_syntax("ALTER LOGIN l WITH", "WITH", 1);
    expect_syntax("ALTER LOGIN l WITH PASSWORD = 'a' UNLOCK UNLOCK", "UNLOCK", 1);
    expect_syntax("ALTER LOGIN l WITH PASSWORD = 'a' OLD_PASSWORD 'b'", "******", 1);
    expect_syntax("ALTER LOGIN l ENABLE DISABLE", "DISABLE", 1);
    expect_syntax("ALTER LOGIN l WITH NAME = x, NAME = y", "NAME", 1);
    expect_syntax("DROP LOGIN IF EXISTS l", "IF", 1);
    expect_syntax("CREATE USER u FOR l", "l", 1);
    expect_syntax("CREATE USER u FOR EXTERNAL PROVIDER", "EXTERNAL", 1);
    expect_syntax("CREATE USER u WITHOUT", "WITHOUT", 1);
    expect_syntax("CREATE USER u WITH PASSWORD = 'p'", "PASSWORD", 1);
    expect_syntax("CREATE USER u WITH DEFAULT_SCHEMA = s, DEFAULT_SCHEMA = t", ",", 1);
    expect_syntax("CREATE USER u FOR LOGIN", "LOGIN", 1);
    expect_syntax("DROP USER IF", "IF", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_login_all_options),
        cmocka_unit_test(test_create_login_sources),
        cmocka_unit_test(test_alter_login),
        cmocka_unit_test(test_create_user_forms),
        cmocka_unit_test(test_drops),
        cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
