/*
 * GRANT / REVOKE / DENY and ALTER AUTHORIZATION: permission lists
 * (multi-word, normalised to upper case), securables with and without a
 * class, principal lists (brackets, public), the trailing options of each
 * verb, and the syntax errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sql_test_util.h"

static void test_grant_connect_list(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_stmt *s = parse_one("grant connect on endpoint::[Endpoint_Mirroring] to [a], b, public "
                            "with grant option as [sa]",
                            SQL_STMT_GRANT, &b);
    const sql_perm_stmt *g = &s->u.perm;
    assert_int_equal(g->nperms, 1);
    assert_string_equal(g->perms[0], "CONNECT");
    assert_true(g->has_on);
    assert_int_equal(g->on.cls, SQL_CLASS_ENDPOINT);
    assert_string_equal(g->on.class_name, "ENDPOINT");
    assert_string_equal(g->on.name.name, "Endpoint_Mirroring");
    assert_int_equal(g->nprincipals, 3);
    assert_string_equal(g->principals[0], "a");
    assert_string_equal(g->principals[1], "b");
    assert_string_equal(g->principals[2], "public");
    assert_true(g->with_grant_option);
    assert_false(g->cascade);
    assert_true(g->has_as);
    assert_string_equal(g->as_principal, "sa");
    sql_batch_free(b);
}

static void test_other_permissions_and_classes(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_stmt *s = parse_one("GRANT VIEW   definition, Take Ownership, ALTER ON CERTIFICATE::c TO u",
                            SQL_STMT_GRANT, &b);
    const sql_perm_stmt *g = &s->u.perm;
    assert_int_equal(g->nperms, 3);
    assert_string_equal(g->perms[0], "VIEW DEFINITION");
    assert_string_equal(g->perms[1], "TAKE OWNERSHIP");
    assert_string_equal(g->perms[2], "ALTER");
    assert_int_equal(g->on.cls, SQL_CLASS_CERTIFICATE);
    sql_batch_free(b);

    s = parse_one("GRANT CONTROL SERVER TO l", SQL_STMT_GRANT, &b);
    assert_string_equal(s->u.perm.perms[0], "CONTROL SERVER");
    assert_false(s->u.perm.has_on);
    sql_batch_free(b);

    s = parse_one("GRANT SELECT ON master.sys.certificates TO u", SQL_STMT_GRANT, &b);
    assert_int_equal(s->u.perm.on.cls, SQL_CLASS_NONE);
    assert_null(s->u.perm.on.class_name);
    assert_int_equal(s->u.perm.on.name.nparts, 3);
    assert_string_equal(s->u.perm.on.name.db, "master");
    assert_string_equal(s->u.perm.on.name.schema, "sys");
    assert_string_equal(s->u.perm.on.name.name, "certificates");
    sql_batch_free(b);

    s = parse_one("GRANT REFERENCES ON XML SCHEMA COLLECTION::dbo.x TO u", SQL_STMT_GRANT, &b);
    assert_int_equal(s->u.perm.on.cls, SQL_CLASS_OTHER);
    assert_string_equal(s->u.perm.on.class_name, "XML SCHEMA COLLECTION");
    assert_string_equal(s->u.perm.on.name.schema, "dbo");
    sql_batch_free(b);

    static const struct {
        const char *cls;
        sql_class want;
    } classes[] = {{"LOGIN", SQL_CLASS_LOGIN},
                   {"user", SQL_CLASS_USER},
                   {"DATABASE", SQL_CLASS_DATABASE},
                   {"SERVER ROLE", SQL_CLASS_OTHER}};
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "DENY CONTROL ON %s::x TO u", classes[i].cls);
        s = parse_one(text, SQL_STMT_DENY, &b);
        assert_int_equal(s->u.perm.on.cls, classes[i].want);
        sql_batch_free(b);
    }
}

static void test_revoke_and_deny(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_stmt *s =
        parse_one("REVOKE CONNECT ON ENDPOINT::e FROM [HOST_B_login]", SQL_STMT_REVOKE, &b);
    assert_string_equal(s->u.perm.principals[0], "HOST_B_login");
    assert_false(s->u.perm.grant_option_for);
    assert_false(s->u.perm.cascade);
    sql_batch_free(b);

    s = parse_one("REVOKE GRANT OPTION FOR CONNECT ON ENDPOINT::e TO l CASCADE AS sa",
                  SQL_STMT_REVOKE, &b);
    assert_true(s->u.perm.grant_option_for);
    assert_true(s->u.perm.cascade);
    assert_string_equal(s->u.perm.as_principal, "sa");
    sql_batch_free(b);

    s = parse_one("DENY CONNECT ON ENDPOINT::Endpoint_Mirroring TO HOST_B_login CASCADE",
                  SQL_STMT_DENY, &b);
    assert_int_equal(s->u.perm.on.cls, SQL_CLASS_ENDPOINT);
    assert_true(s->u.perm.cascade);
    sql_batch_free(b);
}

static void test_alter_authorization(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_stmt *s = parse_one("ALTER AUTHORIZATION ON ENDPOINT::Endpoint_Mirroring TO [sa]",
                            SQL_STMT_ALTER_AUTHORIZATION, &b);
    assert_int_equal(s->u.alter_auth.on.cls, SQL_CLASS_ENDPOINT);
    assert_string_equal(s->u.alter_auth.on.name.name, "Endpoint_Mirroring");
    assert_string_equal(s->u.alter_auth.principal, "sa");
    assert_false(s->u.alter_auth.to_schema_owner);
    sql_batch_free(b);

    s = parse_one("ALTER AUTHORIZATION ON CERTIFICATE::c TO HOST_B_user",
                  SQL_STMT_ALTER_AUTHORIZATION, &b);
    assert_int_equal(s->u.alter_auth.on.cls, SQL_CLASS_CERTIFICATE);
    assert_string_equal(s->u.alter_auth.principal, "HOST_B_user");
    sql_batch_free(b);

    s = parse_one("ALTER AUTHORIZATION ON dbo.t TO SCHEMA OWNER", SQL_STMT_ALTER_AUTHORIZATION, &b);
    assert_int_equal(s->u.alter_auth.on.cls, SQL_CLASS_NONE);
    assert_true(s->u.alter_auth.to_schema_owner);
    assert_null(s->u.alter_auth.principal);
    sql_batch_free(b);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_syntax("GRANT", "GRANT", 1);
    expect_syntax("GRANT TO x", "TO", 1);
    expect_syntax("GRANT CONNECT", "CONNECT", 1);
    expect_syntax("GRANT CONNECT ON ENDPOINT:: TO x", "TO", 1);
    expect_syntax("GRANT CONNECT ON ENDPOINT::e", "e", 1);
    expect_syntax("GRANT CONNECT ON ENDPOINT::e TO", "TO", 1);
    expect_syntax("GRANT CONNECT ON ENDPOINT::e TO x,", ",", 1);
    expect_syntax("GRANT CONNECT ON ENDPOINT::e FROM x", "FROM", 1);
    expect_syntax("GRANT CONNECT ON ENDPOINT::e TO x CASCADE", "CASCADE", 1);
    expect_syntax("GRANT CONNECT ON ENDPOINT::e TO x WITH OPTION", "OPTION", 1);
    expect_syntax("GRANT CONNECT, ON ENDPOINT::e TO x", "ON", 1);
    expect_syntax("GRANT 'CONNECT' ON ENDPOINT::e TO x", "CONNECT", 1);
    expect_syntax("GRANT SELECT (a, b) ON t TO x", "(", 1);
    expect_syntax("GRANT A B C D E F G H I TO x", "I", 1);
    expect_syntax("GRANT CONNECT ON A B C D::e TO x", "B", 1);
    expect_syntax("DENY CONNECT ON ENDPOINT::e TO x WITH GRANT OPTION", "WITH", 1);
    expect_syntax("DENY CONNECT ON ENDPOINT::e FROM x", "FROM", 1);
    expect_syntax("REVOKE GRANT OPTION FOR ON ENDPOINT::e FROM x", "ON", 1);
    expect_syntax("REVOKE CONNECT ON ENDPOINT::e FROM x AS", "AS", 1);
    expect_syntax("ALTER AUTHORIZATION ENDPOINT::e TO x", "ENDPOINT", 1);
    expect_syntax("ALTER AUTHORIZATION ON ENDPOINT::e x", "x", 1);
    expect_syntax("ALTER AUTHORIZATION ON ENDPOINT::e TO SCHEMA", "SCHEMA", 1);
    expect_syntax("ALTER AUTHORIZATION ON a.b.c.d TO x", ".", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grant_connect_list),
        cmocka_unit_test(test_other_permissions_and_classes),
        cmocka_unit_test(test_revoke_and_deny),
        cmocka_unit_test(test_alter_authorization),
        cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
