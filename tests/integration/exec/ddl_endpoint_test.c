/*
 * The mirroring endpoint and CONNECT on it, against a real token:
 *   - CREATE with SQL Server's defaults (STOPPED, LISTENER_IP ALL, REQUIRED
 *     AES) and the views' values; 7862 (one endpoint); the certificate must
 *     exist (15151) and have its private key on the token (50108, also when
 *     the key was destroyed behind the catalog's back); WINDOWS or missing
 *     AUTHENTICATION (50105), ENCRYPTION = DISABLED (50106), RC4 (50107),
 *     ports, addresses and a missing ROLE or LISTENER_PORT (50111), other
 *     payloads and transports (40508), unknown owners (15151 / 15007);
 *   - ALTER changes only what it names; 7860, 7863, 15151;
 *   - ALTER AUTHORIZATION ON ENDPOINT, DROP ENDPOINT;
 *   - GRANT / DENY / REVOKE CONNECT (several grantees: all or nothing) as
 *     sys.server_permissions and cat_perm_can_connect show them;
 *   - the change hook is called once per committed change, never for a
 *     refused statement.
 */
#include "catalog/endpoints.h"
#include "catalog/perms.h"
#include "ddl_fixture.h"

static const char CREATE_MK[] = "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<1_Strong_Password!>'";

/* A master key, an HS certificate, an imported (NA) one, and a peer login. */
static void prepare(fx *f)
{
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE HOST_A_cert WITH SUBJECT = 'HOST_A'");
    RUN_OK(f->b.admin, CREATE_MK);
    RUN_OK(f->b.admin, "CREATE CERTIFICATE HOST_B_cert WITH SUBJECT = 'HOST_B'");
    RUN_OK(f->b.admin, "BACKUP CERTIFICATE HOST_B_cert TO FILE = 'HOST_B_cert.cer'");
    fx_copy(&f->b, a, "HOST_B_cert.cer");
    RUN_OK(a->admin, "CREATE LOGIN HOST_B_login WITH PASSWORD = '1Sample_Strong_Password!@#'");
    RUN_OK(a->admin, "CREATE USER HOST_B_user FOR LOGIN HOST_B_login");
    RUN_OK(a->admin, "CREATE CERTIFICATE HOST_B_cert AUTHORIZATION HOST_B_user FROM FILE = "
                     "'HOST_B_cert.cer'");
    a->nchanges = 0;
}

static size_t endpoints(fx_inst *i) { return rec_count(i->admin, "SELECT * FROM sys.endpoints"); }

static void test_create_defaults(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    prepare(f);
    RUN_OK(a->admin, "CREATE ENDPOINT Endpoint_Mirroring AS TCP (LISTENER_PORT = 5022) FOR "
                     "DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE HOST_A_cert, ROLE = "
                     "PARTNER)");
    assert_int_equal(a->nchanges, 1);
    assert_true(fx_changed(a, EXEC_CHANGE_ENDPOINT, "Endpoint_Mirroring"));
    record *r = rec_run(a->admin, "SELECT * FROM sys.database_mirroring_endpoints");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "endpoint_id"), "65536");
    assert_string_equal(rec_cell(r, 0, "protocol"), "2");
    assert_string_equal(rec_cell(r, 0, "protocol_desc"), "TCP");
    assert_string_equal(rec_cell(r, 0, "type"), "4");
    assert_string_equal(rec_cell(r, 0, "type_desc"), "DATABASE_MIRRORING");
    assert_string_equal(rec_cell(r, 0, "state"), "1");
    assert_string_equal(rec_cell(r, 0, "state_desc"), "STOPPED");
    assert_string_equal(rec_cell(r, 0, "role"), "1");
    assert_string_equal(rec_cell(r, 0, "role_desc"), "PARTNER");
    assert_string_equal(rec_cell(r, 0, "is_encryption_enabled"), "1");
    assert_string_equal(rec_cell(r, 0, "connection_auth"), "4");
    assert_string_equal(rec_cell(r, 0, "connection_auth_desc"), "CERTIFICATE");
    assert_string_equal(rec_cell(r, 0, "encryption_algorithm"), "2");
    assert_string_equal(rec_cell(r, 0, "encryption_algorithm_desc"), "AES");
    assert_string_equal(rec_cell(r, 0, "certificate_id"), "256");
    assert_string_equal(rec_cell(r, 0, "is_admin_endpoint"), "0");
    char owner[REC_CELL];
    rec_value(a->admin, "SELECT principal_id FROM sys.server_principals WHERE name = 'admin'",
              "principal_id", owner, sizeof(owner));
    assert_string_equal(rec_cell(r, 0, "principal_id"), owner); /* the creator */
    free(r);
    r = rec_run(a->admin, "SELECT port, is_dynamic_port, ip_address FROM sys.tcp_endpoints");
    assert_string_equal(rec_cell(r, 0, "port"), "5022");
    assert_string_equal(rec_cell(r, 0, "is_dynamic_port"), "0");
    assert_string_equal(rec_cell(r, 0, "ip_address"), "NULL");
    free(r);
    /* One mirroring endpoint per instance. */
    RUN_ERR(a->admin,
            "CREATE ENDPOINT other AS TCP (LISTENER_PORT = 5023) FOR DATABASE_MIRRORING "
            "(AUTHENTICATION = CERTIFICATE HOST_A_cert, ROLE = ALL)",
            7862);
    assert_int_equal(endpoints(a), 1);
    assert_int_equal(a->nchanges, 1);
}

static void test_create_refused(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    prepare(f);
#define EP_HEAD "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 7024) FOR DATABASE_MIRRORING ("
    RUN_ERR(a->admin, EP_HEAD "AUTHENTICATION = CERTIFICATE nope, ROLE = ALL)", 15151);
    RUN_ERR(a->admin, EP_HEAD "AUTHENTICATION = CERTIFICATE HOST_B_cert, ROLE = ALL)", 50108);
    RUN_ERR(a->admin, EP_HEAD "AUTHENTICATION = WINDOWS, ROLE = ALL)", 50105);
    RUN_ERR(a->admin,
            EP_HEAD "AUTHENTICATION = WINDOWS KERBEROS CERTIFICATE HOST_A_cert, ROLE = "
                    "ALL)",
            50105);
    RUN_ERR(a->admin, EP_HEAD "AUTHENTICATION = CERTIFICATE HOST_A_cert WINDOWS, ROLE = ALL)",
            50105);
    RUN_ERR(a->admin, EP_HEAD "ROLE = ALL)", 50105); /* SQL Server's default is WINDOWS */
    RUN_ERR(a->admin,
            EP_HEAD "AUTHENTICATION = CERTIFICATE HOST_A_cert, ENCRYPTION = DISABLED, "
                    "ROLE = ALL)",
            50106);
    RUN_ERR(a->admin,
            EP_HEAD "AUTHENTICATION = CERTIFICATE HOST_A_cert, ENCRYPTION = REQUIRED "
                    "ALGORITHM RC4, ROLE = ALL)",
            50107);
    RUN_ERR(a->admin,
            EP_HEAD "AUTHENTICATION = CERTIFICATE HOST_A_cert, ENCRYPTION = SUPPORTED "
                    "ALGORITHM AES RC4, ROLE = ALL)",
            50107);
    RUN_ERR(a->admin,
            EP_HEAD "AUTHENTICATION = CERTIFICATE HOST_A_cert, ENCRYPTION = REQUIRED "
                    "ALGORITHM RC4 AES, ROLE = ALL)",
            50107);
    RUN_ERR(a->admin, EP_HEAD "AUTHENTICATION = CERTIFICATE HOST_A_cert)", 50111);
    RUN_ERR(a->admin,
            "CREATE ENDPOINT e AS TCP (LISTENER_IP = ALL) FOR DATABASE_MIRRORING "
            "(AUTHENTICATION = CERTIFICATE HOST_A_cert, ROLE = ALL)",
            50111);
    static const char *const bad_tcp[] = {
        "LISTENER_PORT = 0",
        "LISTENER_PORT = 65536",
        "LISTENER_PORT = -1",
        "LISTENER_PORT = 7024, LISTENER_IP = (300.1.1.1)",
        "LISTENER_PORT = 7024, LISTENER_IP = ('not an address')",
        "LISTENER_PORT = 7024, LISTENER_IP = (10.0.0)",
    };
    char sql[512];
    for (size_t i = 0; i < sizeof(bad_tcp) / sizeof(bad_tcp[0]); i++) {
        snprintf(sql, sizeof(sql),
                 "CREATE ENDPOINT e AS TCP (%s) FOR DATABASE_MIRRORING (AUTHENTICATION = "
                 "CERTIFICATE HOST_A_cert, ROLE = ALL)",
                 bad_tcp[i]);
        RUN_ERR(a->admin, sql, 50111);
    }
    RUN_ERR(a->admin, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 7024) FOR TSQL ()", 40508);
    RUN_ERR(a->admin, "CREATE ENDPOINT e AS HTTP (PATH = '/x') FOR DATABASE_MIRRORING (ROLE = ALL)",
            40508);
    RUN_ERR(a->admin,
            "CREATE ENDPOINT e AUTHORIZATION nobody AS TCP (LISTENER_PORT = 7024) FOR "
            "DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE HOST_A_cert, ROLE = ALL)",
            15151);
    RUN_ERR(a->admin,
            "CREATE ENDPOINT e AUTHORIZATION sysadmin AS TCP (LISTENER_PORT = 7024) FOR "
            "DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE HOST_A_cert, ROLE = ALL)",
            15007);
    assert_int_equal(endpoints(a), 0);
    assert_int_equal(a->nchanges, 0);

    /* The certificate's key destroyed on the token behind the catalog's back: 50108. */
    cat_cert c;
    memset(&c, 0, sizeof(c));
    FX_OK(cat_cert_get_by_name(a->db, "HOST_A_cert", &c));
    FX_OK(p11_token_destroy_id(a->tok, c.token_id, c.token_id_len, NULL));
    cat_cert_cleanup(&c);
    record *r = rec_run(a->admin, EP_HEAD "AUTHENTICATION = CERTIFICATE HOST_A_cert, ROLE = ALL)");
    assert_int_equal(rec_error(r), 50108);
    assert_non_null(strstr(r->msg[0].text, "not found in the HSM"));
    free(r);
    assert_int_equal(endpoints(a), 0);
#undef EP_HEAD
}

static void test_addresses_and_options(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    prepare(f);
    char v[REC_CELL];
    RUN_OK(a->admin, "CREATE ENDPOINT e AUTHORIZATION HOST_B_login STATE = DISABLED AS TCP "
                     "(LISTENER_PORT = 7024, LISTENER_IP = ('::1')) FOR DATABASE_MIRRORING "
                     "(ENCRYPTION = SUPPORTED, ROLE = WITNESS, AUTHENTICATION = CERTIFICATE "
                     "HOST_A_cert)");
    record *r = rec_run(a->admin, "SELECT * FROM sys.database_mirroring_endpoints");
    assert_string_equal(rec_cell(r, 0, "state_desc"), "DISABLED");
    assert_string_equal(rec_cell(r, 0, "role_desc"), "WITNESS");
    assert_string_equal(rec_cell(r, 0, "encryption_algorithm_desc"), "NONE, AES");
    assert_string_equal(rec_cell(r, 0, "is_encryption_enabled"), "1");
    free(r);
    assert_string_equal(
        rec_value(a->admin, "SELECT ip_address FROM sys.tcp_endpoints", "ip_address", v, sizeof(v)),
        "::1");
    rec_value(a->admin,
              "SELECT principal_id FROM sys.server_principals WHERE name = "
              "'HOST_B_login'",
              "principal_id", v, sizeof(v));
    char owner[REC_CELL];
    assert_string_equal(rec_value(a->admin, "SELECT principal_id FROM sys.endpoints",
                                  "principal_id", owner, sizeof(owner)),
                        v);
    /* The owner login cannot be dropped (15141); the user owning a certificate neither (15138). */
    RUN_ERR(a->admin, "DROP LOGIN HOST_B_login", 15141);
    RUN_ERR(a->admin, "DROP USER HOST_B_user", 15138);
    RUN_OK(a->admin, "ALTER AUTHORIZATION ON ENDPOINT::e TO admin");
    RUN_ERR(a->admin, "ALTER AUTHORIZATION ON ENDPOINT::e TO sysadmin", 15007);
    RUN_ERR(a->admin, "ALTER AUTHORIZATION ON ENDPOINT::e TO nobody", 15151);
    rec_value(a->admin, "SELECT principal_id FROM sys.server_principals WHERE name = 'admin'",
              "principal_id", v, sizeof(v));
    assert_string_equal(rec_value(a->admin, "SELECT principal_id FROM sys.endpoints",
                                  "principal_id", owner, sizeof(owner)),
                        v);
    RUN_OK(a->admin, "DROP ENDPOINT e");
    RUN_OK(a->admin, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 7024, LISTENER_IP = (10.1.2.3)) "
                     "FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE HOST_A_cert, "
                     "ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL)");
    assert_string_equal(
        rec_value(a->admin, "SELECT ip_address FROM sys.tcp_endpoints", "ip_address", v, sizeof(v)),
        "10.1.2.3");
}

static void test_alter(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    prepare(f);
    RUN_OK(a->admin, "CREATE CERTIFICATE second WITH SUBJECT = 'second'");
    RUN_OK(a->admin, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 7024) FOR DATABASE_MIRRORING "
                     "(AUTHENTICATION = CERTIFICATE HOST_A_cert, ROLE = ALL)");
    a->nchanges = 0;
    char v[REC_CELL];
    RUN_OK(a->admin, "ALTER ENDPOINT e STATE = STARTED");
    assert_string_equal(
        rec_value(a->admin, "SELECT state_desc FROM sys.endpoints", "state_desc", v, sizeof(v)),
        "STARTED");
    RUN_OK(a->admin, "ALTER ENDPOINT e AS TCP (LISTENER_PORT = 7025)");
    record *r = rec_run(a->admin, "SELECT * FROM sys.tcp_endpoints");
    assert_string_equal(rec_cell(r, 0, "port"), "7025");
    assert_string_equal(rec_cell(r, 0, "ip_address"), "NULL");
    assert_string_equal(rec_cell(r, 0, "state_desc"), "STARTED");
    free(r);
    RUN_OK(a->admin, "ALTER ENDPOINT e FOR DATABASE_MIRRORING (ROLE = PARTNER)");
    RUN_OK(a->admin, "ALTER ENDPOINT e FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE "
                     "second)");
    r = rec_run(a->admin, "SELECT * FROM sys.database_mirroring_endpoints");
    assert_string_equal(rec_cell(r, 0, "role_desc"), "PARTNER");
    assert_string_equal(rec_cell(r, 0, "certificate_id"), "258");
    assert_string_equal(rec_cell(r, 0, "encryption_algorithm_desc"), "AES");
    assert_string_equal(rec_cell(r, 0, "state_desc"), "STARTED");
    free(r);
    assert_int_equal(a->nchanges, 4);
    /* The certificate in use moved: the old one can be dropped now, the new one not. */
    RUN_ERR(a->admin, "DROP CERTIFICATE second", 15352);
    RUN_OK(a->admin, "DROP CERTIFICATE HOST_A_cert");

    /* Refusals change nothing. */
    RUN_ERR(a->admin, "ALTER ENDPOINT e FOR SERVICE_BROKER (AUTHENTICATION = WINDOWS)", 7860);
    RUN_ERR(a->admin, "ALTER ENDPOINT e FOR DATABASE_MIRRORING (ENCRYPTION = DISABLED)", 50106);
    RUN_ERR(a->admin, "ALTER ENDPOINT e FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS)", 50105);
    RUN_ERR(a->admin,
            "ALTER ENDPOINT e FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE "
            "HOST_B_cert)",
            50108);
    RUN_ERR(a->admin, "ALTER ENDPOINT e AS TCP (LISTENER_PORT = 99999)", 50111);
    RUN_ERR(a->admin, "ALTER ENDPOINT e AS HTTP (PATH = '/x')", 40508);
    RUN_ERR(a->admin, "ALTER ENDPOINT nope STATE = STOPPED", 15151);
    r = rec_run(a->admin, "SELECT * FROM sys.database_mirroring_endpoints");
    assert_string_equal(rec_cell(r, 0, "role_desc"), "PARTNER");
    assert_string_equal(rec_cell(r, 0, "certificate_id"), "258");
    assert_string_equal(rec_cell(r, 0, "encryption_algorithm_desc"), "AES");
    free(r);
    assert_int_equal(a->nchanges, 5); /* + the DROP CERTIFICATE */

    /* 7863: an ALTER naming nothing (the parser refuses the text, so build the statement). */
    sql_stmt st;
    memset(&st, 0, sizeof(st));
    st.kind = SQL_STMT_ALTER_ENDPOINT;
    st.line = 1;
    st.u.endpoint.name = "e";
    sql_error err;
    sql_error_clear(&err);
    exec_outcome out = {0};
    FX_OK(cat_begin(a->db));
    assert_true(mk_failed(exec_alter_endpoint(a->admin, &st, NULL, &out, &err)));
    FX_OK(cat_rollback(a->db));
    exec_deferred_finish(a->admin, false);
    assert_int_equal(err.number, 7863);
}

static void test_connect_permissions(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    prepare(f);
    RUN_OK(a->admin, "CREATE ENDPOINT Endpoint_Mirroring AS TCP (LISTENER_PORT = 7024) FOR "
                     "DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE HOST_A_cert, ROLE = ALL)");
    RUN_OK(a->admin, "CREATE LOGIN other WITH PASSWORD = 'Str0ng!Passw0rd'");
    cat_login peer;
    FX_OK(cat_login_get(a->db, "HOST_B_login", &peer));
    cat_endpoint ep;
    FX_OK(cat_endpoint_get(a->db, "Endpoint_Mirroring", &ep));
    bool allowed = true;
    FX_OK(cat_perm_can_connect(a->db, peer.principal_id, ep.endpoint_id, &allowed));
    assert_false(allowed);
    const char *perms = "SELECT * FROM sys.server_permissions WHERE class = 105";
    a->nchanges = 0;

    /* All or nothing: one unknown grantee refuses the whole statement. */
    RUN_ERR(a->admin, "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [HOST_B_login], nobody",
            15151);
    assert_int_equal(rec_count(a->admin, perms), 0);
    assert_int_equal(a->nchanges, 0);
    RUN_ERR(a->admin, "GRANT CONNECT ON ENDPOINT::nope TO [HOST_B_login]", 15151);

    RUN_OK(a->admin, "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [HOST_B_login], other");
    assert_int_equal(rec_count(a->admin, perms), 2);
    FX_OK(cat_perm_can_connect(a->db, peer.principal_id, ep.endpoint_id, &allowed));
    assert_true(allowed);
    assert_true(fx_changed(a, EXEC_CHANGE_PERMISSION, "HOST_B_login"));
    assert_true(fx_changed(a, EXEC_CHANGE_PERMISSION, "other"));
    char v[REC_CELL];
    char sql[300];
    snprintf(sql, sizeof(sql),
             "SELECT state_desc FROM sys.server_permissions WHERE class = 105 AND "
             "grantee_principal_id = %d",
             (int)peer.principal_id);
    assert_string_equal(rec_value(a->admin, sql, "state_desc", v, sizeof(v)), "GRANT");

    RUN_OK(a->admin, "DENY CONNECT ON ENDPOINT::Endpoint_Mirroring TO HOST_B_login");
    assert_string_equal(rec_value(a->admin, sql, "state_desc", v, sizeof(v)), "DENY");
    FX_OK(cat_perm_can_connect(a->db, peer.principal_id, ep.endpoint_id, &allowed));
    assert_false(allowed);
    RUN_OK(a->admin, "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO HOST_B_login WITH GRANT "
                     "OPTION");
    assert_string_equal(rec_value(a->admin, sql, "state_desc", v, sizeof(v)),
                        "GRANT_WITH_GRANT_OPTION");
    RUN_OK(a->admin, "REVOKE CONNECT ON ENDPOINT::Endpoint_Mirroring FROM HOST_B_login");
    RUN_OK(a->admin, "REVOKE CONNECT ON ENDPOINT::Endpoint_Mirroring FROM HOST_B_login");
    assert_int_equal(rec_count(a->admin, sql), 0);
    FX_OK(cat_perm_can_connect(a->db, peer.principal_id, ep.endpoint_id, &allowed));
    assert_false(allowed);
    RUN_ERR(a->admin, "REVOKE CONNECT ON ENDPOINT::Endpoint_Mirroring FROM nobody", 15151);

    /* A disabled login loses CONNECT; dropping the endpoint drops its permissions. */
    RUN_OK(a->admin, "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO HOST_B_login");
    RUN_OK(a->admin, "ALTER LOGIN HOST_B_login DISABLE");
    assert_true(fx_changed(a, EXEC_CHANGE_LOGIN, "HOST_B_login"));
    FX_OK(cat_perm_can_connect(a->db, peer.principal_id, ep.endpoint_id, &allowed));
    assert_false(allowed);
    RUN_OK(a->admin, "ALTER LOGIN HOST_B_login ENABLE");
    /* A login that granted CONNECT cannot be dropped (15173) while its grant stands. */
    int32_t id2 = 0;
    FX_OK(cat_login_create(a->db, "admin2", (const uint8_t *)"Adm1n!two", 9, NULL, &id2));
    FX_OK(cat_server_role_add_member(a->db, "sysadmin", "admin2"));
    exec_principal who2 = {.login_id = id2, .login_name = "admin2"};
    exec_session *s2 = NULL;
    FX_OK(exec_session_new(a->inst, a->db, &who2, &s2));
    RUN_OK(s2, "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO other");
    exec_session_free(s2);
    size_t logins = rec_count(a->admin, "SELECT * FROM sys.server_principals");
    RUN_ERR(a->admin, "DROP LOGIN admin2", 15173);
    assert_int_equal(rec_count(a->admin, "SELECT * FROM sys.server_principals"), logins);
    RUN_OK(a->admin, "REVOKE CONNECT ON ENDPOINT::Endpoint_Mirroring FROM other");
    RUN_OK(a->admin, "DROP LOGIN admin2");
    RUN_ERR(a->admin, "DROP ENDPOINT nope", 15151);
    RUN_OK(a->admin, "DROP ENDPOINT Endpoint_Mirroring");
    assert_int_equal(rec_count(a->admin, perms), 0);
    assert_int_equal(endpoints(a), 0);
    assert_true(fx_changed(a, EXEC_CHANGE_ENDPOINT, "Endpoint_Mirroring"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_defaults, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_refused, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_addresses_and_options, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_alter, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_connect_permissions, fx_setup_ec, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
