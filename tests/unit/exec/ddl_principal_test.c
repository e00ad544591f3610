/*
 * Logins, users and CONNECT statements through exec_batch over a real
 * catalog (no token needed): the seeds' inbound steps 1 and 2 verbatim,
 * SQL Server's password policy numbers (15116, 15117, 15118), 15025, 15023,
 * 15007, 15063, 15010, 15151, 15405, 15434, 50112, 40508 for what mirrorkey does
 * not implement, 15247 for non-admins; each refusal changes nothing (view
 * row counts before and after) and no error text carries a password.
 */
#include "catalog/principals.h"
#include "catalog/verifier.h"
#include "ddl_record.h"
#include "exec_fixture.h"

static int setup(void **state)
{
    *state = exec_fixture_new("HOST_B");
    return 0;
}

static int teardown(void **state)
{
    exec_fixture_free(*state);
    return 0;
}

static size_t logins(fixture *f)
{
    return rec_count(f->admin, "SELECT name FROM sys.server_principals WHERE type = 'S'");
}

static size_t users(fixture *f) { return rec_count(f->admin, "SELECT name FROM sys.sysusers"); }

/* The seeds' inbound steps 1 and 2, verbatim (GO is the client's). */
static void test_seed_login_and_user(void **state)
{
    fixture *f = *state;
    char v[REC_CELL];
    RUN_OK(f->admin, "USE master;\n"
                     "--On HOST_B, create a login for HOST_A.\n"
                     "CREATE LOGIN HOST_A_login WITH PASSWORD = 'AStrongPassword!@#';\n");
    RUN_OK(f->admin, "--Create a user, HOST_A_user, for that login.\n"
                     "CREATE USER HOST_A_user FOR LOGIN HOST_A_login\n");
    record *r = rec_run(f->admin, "SELECT name, type, type_desc, is_disabled, "
                                  "default_database_name FROM sys.server_principals "
                                  "WHERE name = 'HOST_A_login'");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "type"), "S");
    assert_string_equal(rec_cell(r, 0, "type_desc"), "SQL_LOGIN");
    assert_string_equal(rec_cell(r, 0, "is_disabled"), "0");
    assert_string_equal(rec_cell(r, 0, "default_database_name"), "master");
    free(r);
    r = rec_run(f->admin, "SELECT name, type_desc, sid FROM sys.database_principals "
                          "WHERE name = 'HOST_A_user'");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "type_desc"), "SQL_USER");
    char user_sid[REC_CELL];
    snprintf(user_sid, sizeof(user_sid), "%s", rec_cell(r, 0, "sid"));
    free(r);
    /* The user carries the login's sid. */
    assert_string_equal(rec_value(f->admin,
                                  "SELECT sid FROM sys.server_principals WHERE name = "
                                  "'HOST_A_login'",
                                  "sid", v, sizeof(v)),
                        user_sid);
    r = rec_run(f->admin, "SELECT * FROM sys.sysusers WHERE name = 'HOST_A_user'");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "issqluser"), "1");
    assert_string_equal(rec_cell(r, 0, "hasdbaccess"), "1");
    free(r);
    /* The new login can authenticate with the password it was given. */
    int32_t id = 0;
    assert_true(mk_ok(cat_login_authenticate(f->db, "HOST_A_login",
                                             (const uint8_t *)"AStrongPassword!@#", 18, &id)));
}

static void expect_policy(fixture *f, const char *sql, int number, const char *pw)
{
    size_t before = logins(f);
    record *r = rec_run(f->admin, sql);
    assert_int_equal(rec_error(r), number);
    assert_null(strstr(r->msg[0].text, pw));
    assert_non_null(strstr(r->msg[0].text, "Password validation failed"));
    free(r);
    assert_int_equal(logins(f), before);
}

static void test_password_policy(void **state)
{
    fixture *f = *state;
    expect_policy(f, "CREATE LOGIN l1 WITH PASSWORD = 'Ab1!'", 15116, "Ab1!");
    expect_policy(f, "CREATE LOGIN l1 WITH PASSWORD = 'alllowercase'", 15118, "alllowercase");
    expect_policy(f, "CREATE LOGIN l1 WITH PASSWORD = 'UPPER123456'", 15118, "UPPER123456");
    /* Containing the login name counts as not complex (the Windows rule). */
    expect_policy(f, "CREATE LOGIN bob_login WITH PASSWORD = 'x_BOB_LOGIN_1!'", 15118,
                  "x_BOB_LOGIN_1!");
    char sql[400];
    char pw[140];
    memset(pw, 'a', 129);
    memcpy(pw, "A1!", 3);
    pw[129] = '\0';
    snprintf(sql, sizeof(sql), "CREATE LOGIN l1 WITH PASSWORD = '%s'", pw);
    expect_policy(f, sql, 15117, pw);
    snprintf(sql, sizeof(sql), "CREATE LOGIN l1 WITH PASSWORD = '%s', CHECK_POLICY = OFF", pw);
    expect_policy(f, sql, 15117, pw);
    /* CHECK_POLICY = OFF accepts a weak password, as SQL Server does. */
    RUN_OK(f->admin, "CREATE LOGIN weak WITH PASSWORD = 'weak', CHECK_POLICY = OFF");
    int32_t id = 0;
    assert_true(mk_ok(cat_login_authenticate(f->db, "weak", (const uint8_t *)"weak", 4, &id)));
}

static void test_create_login_errors(void **state)
{
    fixture *f = *state;
    RUN_OK(f->admin, "CREATE LOGIN l1 WITH PASSWORD = 'Str0ng!Passw0rd', DEFAULT_DATABASE = "
                     "master, DEFAULT_LANGUAGE = us_english, CHECK_EXPIRATION = OFF");
    size_t before = logins(f);
    RUN_ERR(f->admin, "CREATE LOGIN l1 WITH PASSWORD = 'Str0ng!Passw0rd'", 15025);
    RUN_ERR(f->admin, "CREATE LOGIN L1 WITH PASSWORD = 'Str0ng!Passw0rd'", 15025);
    RUN_ERR(f->admin, "CREATE LOGIN l2 WITH PASSWORD = 'Str0ng!Passw0rd', DEFAULT_DATABASE = nodb",
            15010);
    RUN_ERR(f->admin, "CREATE LOGIN [DOM\\user] FROM WINDOWS", 40508);
    RUN_ERR(f->admin, "CREATE LOGIN l2 FROM CERTIFICATE c", 40508);
    RUN_ERR(f->admin,
            "CREATE LOGIN l2 WITH PASSWORD = 'Str0ng!Passw0rd' MUST_CHANGE, "
            "CHECK_EXPIRATION = ON",
            40508);
    RUN_ERR(f->admin, "CREATE LOGIN l2 WITH PASSWORD = 'Str0ng!Passw0rd', CHECK_EXPIRATION = ON",
            40508);
    RUN_ERR(f->admin,
            "CREATE LOGIN l2 WITH PASSWORD = 'Str0ng!Passw0rd', DEFAULT_LANGUAGE = "
            "French",
            40508);
    assert_int_equal(logins(f), before);
}

static void test_alter_login(void **state)
{
    fixture *f = *state;
    char v[REC_CELL];
    int32_t id = 0;
    RUN_OK(f->admin, "CREATE LOGIN l1 WITH PASSWORD = 'Str0ng!Passw0rd'");
    RUN_OK(f->admin, "ALTER LOGIN l1 DISABLE");
    assert_string_equal(rec_value(f->admin,
                                  "SELECT is_disabled FROM sys.server_principals WHERE name = 'l1'",
                                  "is_disabled", v, sizeof(v)),
                        "1");
    RUN_OK(f->admin, "ALTER LOGIN l1 ENABLE");
    assert_string_equal(rec_value(f->admin,
                                  "SELECT is_disabled FROM sys.server_principals WHERE name = 'l1'",
                                  "is_disabled", v, sizeof(v)),
                        "0");
    RUN_ERR(f->admin, "ALTER LOGIN nobody DISABLE", 15151);
    RUN_ERR(f->admin, "ALTER LOGIN l1 WITH PASSWORD = 'short'", 15116);
    RUN_ERR(f->admin, "ALTER LOGIN l1 WITH PASSWORD = 'N3w!Passw0rd' OLD_PASSWORD = 'wrong'",
            15151);
    /* Nothing changed: the old password still works, the new one does not. */
    assert_true(
        mk_ok(cat_login_authenticate(f->db, "l1", (const uint8_t *)"Str0ng!Passw0rd", 15, &id)));
    assert_true(
        mk_failed(cat_login_authenticate(f->db, "l1", (const uint8_t *)"N3w!Passw0rd", 12, &id)));
    RUN_OK(f->admin, "ALTER LOGIN l1 WITH PASSWORD = 'N3w!Passw0rd' OLD_PASSWORD = "
                     "'Str0ng!Passw0rd'");
    assert_true(
        mk_ok(cat_login_authenticate(f->db, "l1", (const uint8_t *)"N3w!Passw0rd", 12, &id)));
    RUN_OK(f->admin, "ALTER LOGIN l1 WITH PASSWORD = 'easy', CHECK_POLICY = OFF");
    assert_true(mk_ok(cat_login_authenticate(f->db, "l1", (const uint8_t *)"easy", 4, &id)));
    RUN_ERR(f->admin, "ALTER LOGIN l1 WITH NAME = l2", 40508);
    RUN_ERR(f->admin, "ALTER LOGIN l1 WITH CHECK_POLICY = OFF", 40508);
    RUN_ERR(f->admin, "ALTER LOGIN l1 WITH DEFAULT_DATABASE = master", 40508);
    RUN_ERR(f->admin, "ALTER LOGIN nobody WITH PASSWORD = 'N3w!Passw0rd'", 15151);
}

static void test_drop_login(void **state)
{
    fixture *f = *state;
    RUN_OK(f->admin, "CREATE LOGIN l1 WITH PASSWORD = 'Str0ng!Passw0rd'");
    RUN_OK(f->admin, "CREATE USER u1 FOR LOGIN l1");
    size_t before = logins(f);
    RUN_ERR(f->admin, "DROP LOGIN nobody", 15151);
    RUN_ERR(f->admin, "DROP LOGIN admin", 15434); /* the session's own login */
    RUN_ERR(f->admin, "DROP LOGIN sa", 15405);
    RUN_ERR(f->admin, "DROP LOGIN l1", 50112); /* a user is mapped to it */
    assert_int_equal(logins(f), before);
    RUN_OK(f->admin, "DROP USER u1");
    RUN_OK(f->admin, "DROP LOGIN l1");
    assert_int_equal(logins(f), before - 1);
}

static void test_users(void **state)
{
    fixture *f = *state;
    RUN_OK(f->admin, "CREATE LOGIN l1 WITH PASSWORD = 'Str0ng!Passw0rd'");
    RUN_OK(f->admin, "CREATE LOGIN l2 WITH PASSWORD = 'Str0ng!Passw0rd'");
    RUN_OK(f->admin, "CREATE USER u1 FROM LOGIN l1 WITH DEFAULT_SCHEMA = dbo");
    size_t before = users(f);
    RUN_ERR(f->admin, "CREATE USER u1 FOR LOGIN l2", 15023);
    RUN_ERR(f->admin, "CREATE USER u2 FOR LOGIN nobody", 15007);
    RUN_ERR(f->admin, "CREATE USER u2 FOR LOGIN l1", 15063);
    RUN_ERR(f->admin, "CREATE USER u2 WITHOUT LOGIN", 40508);
    RUN_ERR(f->admin, "CREATE USER u2 FOR CERTIFICATE c", 40508);
    RUN_ERR(f->admin, "CREATE USER u2 FOR LOGIN l2 WITH DEFAULT_SCHEMA = other", 40508);
    RUN_ERR(f->admin, "CREATE USER nobody", 15007);
    assert_int_equal(users(f), before);
    RUN_OK(f->admin, "CREATE USER l2"); /* maps the login of the same name */
    assert_int_equal(users(f), before + 1);
    RUN_ERR(f->admin, "DROP USER nobody", 15151);
    RUN_OK(f->admin, "DROP USER IF EXISTS nobody");
    RUN_ERR(f->admin, "DROP USER dbo", 15405);
    RUN_OK(f->admin, "DROP USER u1");
    RUN_OK(f->admin, "DROP USER l2");
    assert_int_equal(users(f), before - 1);
}

static void test_perm_refusals(void **state)
{
    fixture *f = *state;
    RUN_OK(f->admin, "CREATE LOGIN l1 WITH PASSWORD = 'Str0ng!Passw0rd'");
    size_t before = rec_count(f->admin, "SELECT * FROM sys.server_permissions WHERE type = 'CO'");
    RUN_ERR(f->admin, "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [l1]", 15151);
    RUN_ERR(f->admin, "GRANT SELECT ON ENDPOINT::Endpoint_Mirroring TO l1", 40508);
    RUN_ERR(f->admin, "GRANT CONNECT SQL TO l1", 40508);
    RUN_ERR(f->admin, "GRANT CONNECT ON LOGIN::l1 TO l1", 40508);
    RUN_ERR(f->admin, "GRANT CONNECT, ALTER ON ENDPOINT::e TO l1", 40508);
    RUN_ERR(f->admin, "REVOKE GRANT OPTION FOR CONNECT ON ENDPOINT::e FROM l1", 40508);
    RUN_ERR(f->admin, "GRANT CONNECT ON ENDPOINT::e TO l1 AS admin", 40508);
    RUN_ERR(f->admin, "ALTER AUTHORIZATION ON LOGIN::l1 TO admin", 40508);
    RUN_ERR(f->admin, "ALTER AUTHORIZATION ON CERTIFICATE::c TO SCHEMA OWNER", 40508);
    RUN_ERR(f->admin, "ALTER AUTHORIZATION ON ENDPOINT::nope TO l1", 15151);
    RUN_ERR(f->admin, "ALTER AUTHORIZATION ON CERTIFICATE::nope TO dbo", 15151);
    assert_int_equal(rec_count(f->admin, "SELECT * FROM sys.server_permissions WHERE type = 'CO'"),
                     before);
}

/* Every DDL family is sysadmin-only: 15247, and nothing changes. */
static void test_non_admin(void **state)
{
    fixture *f = *state;
    static const char *const stmts[] = {
        "CREATE LOGIN x WITH PASSWORD = 'Str0ng!Passw0rd'",
        "ALTER LOGIN admin DISABLE",
        "DROP LOGIN admin",
        "CREATE USER peer_user FOR LOGIN peer",
        "DROP USER dbo",
        "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Str0ng!Passw0rd'",
        "OPEN MASTER KEY DECRYPTION BY PASSWORD = 'Str0ng!Passw0rd'",
        "CLOSE MASTER KEY",
        "ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY PASSWORD = 'Str0ng!Passw0rd'",
        "CREATE CERTIFICATE c WITH SUBJECT = 's'",
        "CREATE CERTIFICATE c FROM BINARY = 0x3082",
        "BACKUP CERTIFICATE c TO FILE = 'c.cer'",
        "DROP CERTIFICATE c",
        "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 7024) FOR DATABASE_MIRRORING (ROLE = ALL)",
        "ALTER ENDPOINT e STATE = STARTED",
        "DROP ENDPOINT e",
        "GRANT CONNECT ON ENDPOINT::e TO peer",
        "REVOKE CONNECT ON ENDPOINT::e FROM peer",
        "DENY CONNECT ON ENDPOINT::e TO peer",
        "ALTER AUTHORIZATION ON ENDPOINT::e TO peer",
    };
    size_t l = logins(f);
    size_t u = users(f);
    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
        RUN_ERR(f->peer, stmts[i], 15247);
    }
    assert_int_equal(logins(f), l);
    assert_int_equal(users(f), u);
    char v[REC_CELL];
    assert_string_equal(rec_value(f->admin,
                                  "SELECT is_disabled FROM sys.server_principals WHERE name = "
                                  "'admin'",
                                  "is_disabled", v, sizeof(v)),
                        "0");
}

/* A failing statement in a batch does not stop the next one, and changes nothing itself. */
static void test_batch_continues(void **state)
{
    fixture *f = *state;
    record *r = rec_run(f->admin, "CREATE LOGIN a1 WITH PASSWORD = 'x';\n"
                                  "CREATE LOGIN a2 WITH PASSWORD = 'Str0ng!Passw0rd';\n");
    assert_int_equal(r->ndone, 2);
    assert_int_equal(r->nerror_done, 1);
    assert_int_equal(rec_error(r), 15116);
    free(r);
    assert_int_equal(rec_count(f->admin, "SELECT name FROM sys.server_principals WHERE name = "
                                         "'a1'"),
                     0);
    assert_int_equal(rec_count(f->admin, "SELECT name FROM sys.server_principals WHERE name = "
                                         "'a2'"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seed_login_and_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_login_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alter_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_perm_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_continues, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
