/*
 * Unit tests for mirrorkeyd's command line (server/main/src/cli.c): both
 * commands with every option in both spellings, defaults, help, and the
 * refusals — which must name the option but never echo a value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "srv/cli.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_init_full(void **state)
{
    (void)state;
    char *argv[] = {"mirrorkeyd",
                    "init",
                    "--data-dir",
                    "/d",
                    "--pkcs11-uri=pkcs11:token=t",
                    "--admin-login",
                    "admin",
                    "--admin-password-file",
                    "/pw",
                    "--file-root",
                    "/f",
                    "--instance-name=X1",
                    "--key-type",
                    "rsa"};
    srv_cli c;
    assert_true(mk_ok(srv_cli_parse(ARGC(argv), argv, &c)));
    assert_int_equal(c.command, SRV_CMD_INIT);
    assert_false(c.help);
    assert_string_equal(c.init.data_dir, "/d");
    assert_string_equal(c.init.pkcs11_uri, "pkcs11:token=t");
    assert_string_equal(c.init.admin_login, "admin");
    assert_string_equal(c.init.admin_password_file, "/pw");
    assert_string_equal(c.init.file_root, "/f");
    assert_string_equal(c.init.instance_name, "X1");
    assert_int_equal(c.init.key_type, SRV_KEY_RSA);
}

static void test_init_defaults(void **state)
{
    (void)state;
    char *argv[] = {"mirrorkeyd",
                    "init",
                    "--data-dir",
                    "/d",
                    "--pkcs11-uri",
                    "pkcs11:",
                    "--admin-login",
                    "a",
                    "--admin-password-file",
                    "/pw"};
    srv_cli c;
    assert_true(mk_ok(srv_cli_parse(ARGC(argv), argv, &c)));
    assert_null(c.init.file_root);
    assert_null(c.init.instance_name);
    assert_int_equal(c.init.key_type, SRV_KEY_EC);
}

static void test_run(void **state)
{
    (void)state;
    char *argv[] = {"mirrorkeyd",  "run",   "--data-dir",        "/d", "--tds-listen=[::1]:0",
                    "--log-level", "debug", "--max-connections", "7"};
    srv_cli c;
    assert_true(mk_ok(srv_cli_parse(ARGC(argv), argv, &c)));
    assert_int_equal(c.command, SRV_CMD_RUN);
    assert_string_equal(c.run.data_dir, "/d");
    assert_string_equal(c.run.listen, "[::1]:0");
    assert_true(c.run.has_log_level);
    assert_int_equal(c.run.log_level, MK_LOG_DEBUG);
    assert_int_equal(c.run.max_connections, 7);

    char *min[] = {"mirrorkeyd", "run", "--data-dir=/d"};
    assert_true(mk_ok(srv_cli_parse(ARGC(min), min, &c)));
    assert_string_equal(c.run.listen, SRV_DEFAULT_LISTEN);
    assert_false(c.run.has_log_level);
    assert_int_equal(c.run.max_connections, SRV_DEFAULT_MAX_CONNECTIONS);
}

static void test_help(void **state)
{
    (void)state;
    srv_cli c;
    char *a[] = {"mirrorkeyd", "--help"};
    assert_true(mk_ok(srv_cli_parse(ARGC(a), a, &c)));
    assert_true(c.help);
    assert_int_equal(c.command, SRV_CMD_NONE);
    char *b[] = {"mirrorkeyd", "init", "--help"};
    assert_true(mk_ok(srv_cli_parse(ARGC(b), b, &c)));
    assert_true(c.help);
    assert_int_equal(c.command, SRV_CMD_INIT);
    char *d[] = {"mirrorkeyd", "run", "--bogus", "--help"};
    assert_true(mk_ok(srv_cli_parse(ARGC(d), d, &c)));
    assert_true(c.help);
    assert_int_equal(c.command, SRV_CMD_RUN);
    assert_non_null(strstr(srv_cli_usage(SRV_CMD_INIT), "--admin-password-file"));
    assert_non_null(strstr(srv_cli_usage(SRV_CMD_RUN), "--tds-listen"));
    assert_non_null(strstr(srv_cli_usage(SRV_CMD_NONE), "mirrorkeyd run"));
}

/* The parse fails with MK_E_INVALID, mentions `fragment`, and never echoes `secret`. */
static void expect_bad(int argc, char **argv, const char *fragment, const char *secret)
{
    srv_cli c;
    assert_true(mk_failed(srv_cli_parse(argc, argv, &c)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    if (strstr(mk_error_message(), fragment) == NULL) {
        fail_msg("message '%s' lacks '%s'", mk_error_message(), fragment);
    }
    if (secret != NULL && strstr(mk_error_message(), secret) != NULL) {
        fail_msg("message '%s' echoes a value", mk_error_message());
    }
}

static void test_refusals(void **state)
{
    (void)state;
    char *none[] = {"mirrorkeyd"};
    expect_bad(ARGC(none), none, "missing command", NULL);
    char *cmd[] = {"mirrorkeyd", "S3cret!"};
    expect_bad(ARGC(cmd), cmd, "unknown command", "S3cret");
    char *stray[] = {"mirrorkeyd", "run", "--data-dir", "/d", "Hunter2pw"};
    expect_bad(ARGC(stray), stray, "unexpected argument", "Hunter2");
    char *unknown[] = {"mirrorkeyd", "run", "--password=Hunter2pw"};
    expect_bad(ARGC(unknown), unknown, "--password", "Hunter2");
    char *wrongcmd[] = {"mirrorkeyd", "run", "--admin-login", "x"};
    expect_bad(ARGC(wrongcmd), wrongcmd, "not an option of 'run'", NULL);
    char *noval[] = {"mirrorkeyd", "run", "--data-dir"};
    expect_bad(ARGC(noval), noval, "needs a value", NULL);
    char *empty[] = {"mirrorkeyd", "run", "--data-dir="};
    expect_bad(ARGC(empty), empty, "non-empty", NULL);
    char *listen[] = {"mirrorkeyd", "run", "--data-dir", "/d", "--tds-listen", "Hunter2pw"};
    expect_bad(ARGC(listen), listen, "--tds-listen", "Hunter2");
    char *level[] = {"mirrorkeyd", "run", "--data-dir", "/d", "--log-level", "loud"};
    expect_bad(ARGC(level), level, "--log-level", "loud");
    const char *bad_n[] = {"0", "-1", "4097", "12x", "", " 5"};
    for (size_t i = 0; i < sizeof(bad_n) / sizeof(bad_n[0]); i++) {
        char *n[] = {"mirrorkeyd",        "run",           "--data-dir", "/d",
                     "--max-connections", (char *)bad_n[i]};
        srv_cli c;
        assert_true(mk_failed(srv_cli_parse(ARGC(n), n, &c)));
    }
    char *kt[] = {"mirrorkeyd", "init", "--key-type", "dsa"};
    expect_bad(ARGC(kt), kt, "rsa or ec", NULL);
    char *req[] = {"mirrorkeyd", "init", "--data-dir", "/d"};
    expect_bad(ARGC(req), req, "--pkcs11-uri is required", NULL);
    char *req2[] = {"mirrorkeyd", "run", "--max-connections", "3"};
    expect_bad(ARGC(req2), req2, "--data-dir is required", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_full), cmocka_unit_test(test_init_defaults),
        cmocka_unit_test(test_run),       cmocka_unit_test(test_help),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
