/*
 * CREATE / ALTER ENDPOINT: every option with its given-flag, every
 * authentication and encryption form, LISTENER_IP forms, other transports
 * and payloads kept by name, and the syntax errors (102 near the right
 * token) for each malformed piece.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sql_test_util.h"

static sql_endpoint_stmt *ep(const char *text, sql_stmt_kind kind, sql_batch **b)
{
    return &parse_one(text, kind, b)->u.endpoint;
}

static void test_minimal_create(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_endpoint_stmt *e = ep("CREATE ENDPOINT [my ep] AS TCP (LISTENER_PORT = 5022) "
                              "FOR DATABASE_MIRRORING (ROLE = PARTNER)",
                              SQL_STMT_CREATE_ENDPOINT, &b);
    assert_string_equal(e->name, "my ep");
    assert_false(e->has_owner);
    assert_false(e->has_state);
    assert_true(e->has_transport);
    assert_int_equal(e->transport, SQL_EP_TCP);
    assert_string_equal(e->transport_name, "TCP");
    assert_true(e->tcp.has_port);
    assert_int_equal(e->tcp.port, 5022);
    assert_false(e->tcp.has_ip);
    assert_true(e->has_payload);
    assert_int_equal(e->payload, SQL_EP_MIRRORING);
    assert_false(e->mirroring.has_auth);
    assert_false(e->mirroring.has_encryption);
    assert_false(e->mirroring.has_algorithm);
    assert_true(e->mirroring.has_role);
    assert_int_equal(e->mirroring.role, SQL_EP_ROLE_PARTNER);
    sql_batch_free(b);
}

static void test_full_create_any_order(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_endpoint_stmt *e = ep("create endpoint e authorization [sa] state = disabled\n"
                              "as tcp (listener_ip = (10.1.2.3), listener_port = 7022)\n"
                              "for database_mirroring (role = witness\n"
                              "  , encryption = supported algorithm rc4 aes\n"
                              "  , authentication = certificate c windows kerberos)",
                              SQL_STMT_CREATE_ENDPOINT, &b);
    assert_true(e->has_owner);
    assert_string_equal(e->owner, "sa");
    assert_true(e->has_state);
    assert_int_equal(e->state, SQL_EP_DISABLED);
    assert_true(e->tcp.has_ip);
    assert_false(e->tcp.ip_all);
    assert_false(e->tcp.ip_quoted);
    assert_string_equal(e->tcp.ip, "10.1.2.3");
    assert_int_equal(e->tcp.port, 7022);
    const sql_ep_mirroring *m = &e->mirroring;
    assert_int_equal(m->role, SQL_EP_ROLE_WITNESS);
    assert_int_equal(m->encryption, SQL_EP_ENC_SUPPORTED);
    assert_true(m->has_algorithm);
    assert_int_equal(m->algorithm, SQL_EP_ALG_RC4_AES);
    assert_true(m->auth.certificate);
    assert_string_equal(m->auth.certificate_name, "c");
    assert_true(m->auth.windows);
    assert_true(m->auth.has_windows_method);
    assert_int_equal(m->auth.windows_method, SQL_EP_WINDOWS_KERBEROS);
    assert_false(m->auth.windows_first);
    sql_batch_free(b);
}

static void test_authentication_forms(void **state)
{
    (void)state;
    static const struct {
        const char *auth;
        bool windows, method, certificate, windows_first;
        sql_ep_windows m;
    } cases[] = {
        {"WINDOWS", true, false, false, false, SQL_EP_WINDOWS_NEGOTIATE},
        {"WINDOWS NTLM", true, true, false, false, SQL_EP_WINDOWS_NTLM},
        {"WINDOWS NEGOTIATE", true, true, false, false, SQL_EP_WINDOWS_NEGOTIATE},
        {"CERTIFICATE c", false, false, true, false, SQL_EP_WINDOWS_NEGOTIATE},
        {"WINDOWS CERTIFICATE c", true, false, true, true, SQL_EP_WINDOWS_NEGOTIATE},
        {"WINDOWS KERBEROS CERTIFICATE c", true, true, true, true, SQL_EP_WINDOWS_KERBEROS},
        {"CERTIFICATE c WINDOWS", true, false, true, false, SQL_EP_WINDOWS_NEGOTIATE},
        {"CERTIFICATE c WINDOWS NTLM", true, true, true, false, SQL_EP_WINDOWS_NTLM},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 "ALTER ENDPOINT e FOR DATABASE_MIRRORING (AUTHENTICATION = %s)", cases[i].auth);
        sql_batch *b = NULL;
        sql_endpoint_stmt *e = ep(text, SQL_STMT_ALTER_ENDPOINT, &b);
        const sql_ep_auth *a = &e->mirroring.auth;
        assert_true(e->mirroring.has_auth);
        assert_int_equal(a->windows, cases[i].windows);
        assert_int_equal(a->has_windows_method, cases[i].method);
        assert_int_equal(a->windows_method, cases[i].m);
        assert_int_equal(a->certificate, cases[i].certificate);
        assert_int_equal(a->windows_first, cases[i].windows_first);
        if (cases[i].certificate) {
            assert_string_equal(a->certificate_name, "c");
        } else {
            assert_null(a->certificate_name);
        }
        sql_batch_free(b);
    }
}

static void test_encryption_forms(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        sql_ep_encryption enc;
        bool has_alg;
        sql_ep_algorithm alg;
    } cases[] = {
        {"DISABLED", SQL_EP_ENC_DISABLED, false, SQL_EP_ALG_AES},
        {"SUPPORTED", SQL_EP_ENC_SUPPORTED, false, SQL_EP_ALG_AES},
        {"REQUIRED", SQL_EP_ENC_REQUIRED, false, SQL_EP_ALG_AES},
        {"REQUIRED ALGORITHM AES", SQL_EP_ENC_REQUIRED, true, SQL_EP_ALG_AES},
        {"REQUIRED ALGORITHM RC4", SQL_EP_ENC_REQUIRED, true, SQL_EP_ALG_RC4},
        {"SUPPORTED ALGORITHM AES RC4", SQL_EP_ENC_SUPPORTED, true, SQL_EP_ALG_AES_RC4},
        {"SUPPORTED ALGORITHM RC4 AES", SQL_EP_ENC_SUPPORTED, true, SQL_EP_ALG_RC4_AES},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "ALTER ENDPOINT e FOR DATABASE_MIRRORING (ENCRYPTION = %s)",
                 cases[i].text);
        sql_batch *b = NULL;
        sql_endpoint_stmt *e = ep(text, SQL_STMT_ALTER_ENDPOINT, &b);
        assert_true(e->mirroring.has_encryption);
        assert_int_equal(e->mirroring.encryption, cases[i].enc);
        assert_int_equal(e->mirroring.has_algorithm, cases[i].has_alg);
        assert_int_equal(e->mirroring.algorithm, cases[i].alg);
        assert_false(e->mirroring.has_role);
        sql_batch_free(b);
    }
}

static void test_listener_ip_forms(void **state)
{
    (void)state;
    static const struct {
        const char *ip;
        bool all, quoted;
        const char *text;
    } cases[] = {
        {"ALL", true, false, NULL},
        {"(127.0.0.1)", false, false, "127.0.0.1"},
        {"( 10.0.0.1 )", false, false, "10.0.0.1"},
        {"('::1')", false, true, "::1"},
        {"(N'fe80::1')", false, true, "fe80::1"},
        {"(\"::1\")", false, true, "::1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "ALTER ENDPOINT e AS TCP (LISTENER_IP = %s)", cases[i].ip);
        sql_batch *b = NULL;
        sql_endpoint_stmt *e = ep(text, SQL_STMT_ALTER_ENDPOINT, &b);
        assert_true(e->tcp.has_ip);
        assert_false(e->tcp.has_port);
        assert_int_equal(e->tcp.ip_all, cases[i].all);
        assert_int_equal(e->tcp.ip_quoted, cases[i].quoted);
        if (cases[i].text == NULL) {
            assert_null(e->tcp.ip);
        } else {
            assert_string_equal(e->tcp.ip, cases[i].text);
        }
        assert_false(e->has_payload);
        sql_batch_free(b);
    }
}

static void test_alter_only_named(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_endpoint_stmt *e =
        ep("ALTER ENDPOINT Endpoint_Mirroring STATE = STOPPED", SQL_STMT_ALTER_ENDPOINT, &b);
    assert_true(e->has_state);
    assert_int_equal(e->state, SQL_EP_STOPPED);
    assert_false(e->has_owner);
    assert_false(e->has_transport);
    assert_false(e->has_payload);
    sql_batch_free(b);

    e = ep("ALTER ENDPOINT e AUTHORIZATION l", SQL_STMT_ALTER_ENDPOINT, &b);
    assert_true(e->has_owner);
    assert_string_equal(e->owner, "l");
    assert_false(e->has_state);
    sql_batch_free(b);
}

static void test_other_transport_and_payload(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_endpoint_stmt *e = ep("CREATE ENDPOINT e STATE = STARTED AS HTTP (PATH = '/x', "
                              "AUTHENTICATION = (INTEGRATED), PORTS = (CLEAR)) "
                              "FOR SOAP (WSDL = DEFAULT, BATCHES = ENABLED)",
                              SQL_STMT_CREATE_ENDPOINT, &b);
    assert_int_equal(e->transport, SQL_EP_OTHER_TRANSPORT);
    assert_string_equal(e->transport_name, "HTTP");
    assert_int_equal(e->payload, SQL_EP_OTHER_PAYLOAD);
    assert_string_equal(e->payload_name, "SOAP");
    sql_batch_free(b);

    e = ep("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 4022) FOR SERVICE_BROKER ()",
           SQL_STMT_CREATE_ENDPOINT, &b);
    assert_int_equal(e->transport, SQL_EP_TCP);
    assert_int_equal(e->payload, SQL_EP_OTHER_PAYLOAD);
    assert_string_equal(e->payload_name, "SERVICE_BROKER");
    sql_batch_free(b);

    e = ep("ALTER ENDPOINT e FOR TSQL ()", SQL_STMT_ALTER_ENDPOINT, &b);
    assert_string_equal(e->payload_name, "TSQL");
    sql_batch_free(b);
}

static void test_drop(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_stmt *s = parse_one("DROP ENDPOINT Endpoint_Mirroring;", SQL_STMT_DROP_ENDPOINT, &b);
    assert_string_equal(s->u.name.name, "Endpoint_Mirroring");
    assert_false(s->u.name.if_exists);
    sql_batch_free(b);
    expect_syntax("DROP ENDPOINT IF EXISTS e", "IF", 1);
    expect_syntax("DROP ENDPOINT", "ENDPOINT", 1);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    /* CREATE needs AS and FOR. */
    expect_syntax("CREATE ENDPOINT e FOR DATABASE_MIRRORING (ROLE = ALL)", "FOR", 1);
    expect_syntax("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 1)", ")", 1);
    expect_syntax("CREATE ENDPOINT e AS TCP (LISTENER_PORT = 1)\nGO", ")", 1);
    /* ALTER needs at least one clause. */
    expect_syntax("ALTER ENDPOINT e", "e", 1);
    expect_syntax("ALTER ENDPOINT e;", ";", 1);
    /* Bad values and keywords. */
    expect_syntax("ALTER ENDPOINT e STATE = RUNNING", "RUNNING", 1);
    expect_syntax("ALTER ENDPOINT e STATE STARTED", "STARTED", 1);
    expect_syntax("ALTER ENDPOINT e AS TCP (LISTENER_PORT = 'x')", "x", 1);
    expect_syntax("ALTER ENDPOINT e AS TCP (LISTENER_PORT = 99999999999999999999)",
                  "99999999999999999999", 1);
    expect_syntax("ALTER ENDPOINT e AS TCP (LISTENER_IP = ANY)", "ANY", 1);
    expect_syntax("ALTER ENDPOINT e AS TCP (LISTENER_IP = ())", ")", 1);
    expect_syntax("ALTER ENDPOINT e AS TCP (LISTENER_IP = (10. 0.0.1))", "0.0", 1);
    expect_syntax("ALTER ENDPOINT e AS TCP (LISTENER_IP = (10.0.0.1 x))", "x", 1);
    expect_syntax("ALTER ENDPOINT e AS TCP (PORT = 1)", "PORT", 1);
    expect_syntax("ALTER ENDPOINT e AS TCP ()", ")", 1);
    expect_syntax("ALTER ENDPOINT e AS TCP LISTENER_PORT = 1", "LISTENER_PORT", 1);
    expect_syntax("ALTER ENDPOINT e AS 'TCP' (LISTENER_PORT = 1)", "TCP", 1);
    expect_syntax("ALTER ENDPOINT e AS HTTP", "HTTP", 1);
    expect_syntax("ALTER ENDPOINT e FOR TSQL", "TSQL", 1);
    expect_syntax("ALTER ENDPOINT e FOR TSQL (x = (1)", ")", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (ROLE = ALL, )", ")", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (, ROLE = ALL)", ",", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (ROLE = ALL ENCRYPTION = REQUIRED)",
                  "ENCRYPTION", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (ROLE = ANY)", "ANY", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (AUTHENTICATION = NTLM)", "NTLM", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE)", ")", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM)", ")",
                  1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED ALGORITHM DES)",
                  "DES", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (ENCRYPTION = DISABLED ALGORITHM AES)",
                  "ALGORITHM", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (ENCRYPTION = ON)", "ON", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (SALT = 1)", "SALT", 1);
    /* Each option once. */
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (ROLE = ALL,\n ROLE = PARTNER)", "ROLE",
                  2);
    expect_syntax("ALTER ENDPOINT e AS TCP (LISTENER_PORT = 1, LISTENER_PORT = 2)", "LISTENER_PORT",
                  1);
    expect_syntax("ALTER ENDPOINT e AS TCP (LISTENER_IP = ALL, LISTENER_IP = ALL)", "LISTENER_IP",
                  1);
    expect_syntax(
        "ALTER ENDPOINT e FOR DATABASE_MIRRORING (ENCRYPTION = REQUIRED, ENCRYPTION = SUPPORTED)",
        "ENCRYPTION", 1);
    expect_syntax("ALTER ENDPOINT e FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS, "
                  "AUTHENTICATION = WINDOWS)",
                  "AUTHENTICATION", 1);
    /* Clause order is fixed: STATE before AS before FOR. */
    expect_syntax("ALTER ENDPOINT e FOR TSQL () AS TCP (LISTENER_PORT = 1)", "AS", 1);
    expect_syntax("ALTER ENDPOINT e AS TCP (LISTENER_PORT = 1) STATE = STARTED", "STATE", 1);
    expect_syntax("CREATE ENDPOINT SELECT AS TCP (LISTENER_PORT = 1) FOR TSQL ()", "SELECT", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_create),
        cmocka_unit_test(test_full_create_any_order),
        cmocka_unit_test(test_authentication_forms),
        cmocka_unit_test(test_encryption_forms),
        cmocka_unit_test(test_listener_ip_forms),
        cmocka_unit_test(test_alter_only_named),
        cmocka_unit_test(test_other_transport_and_payload),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
