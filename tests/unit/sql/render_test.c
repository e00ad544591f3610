/*
 * Rendering: exact canonical text for representative statements, every
 * password shown as '******' (and never its value), long binaries shortened
 * only in the log form, a round trip parse(render(s)) == s for every
 * statement form, and a clean failure when the output buffer is capped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sql/render.h"
#include "sql_test_util.h"

/* Render the only statement of text; the caller frees the result with free(). */
static char *render_text(const char *text, unsigned flags)
{
    sql_batch *b = parse_ok(text);
    assert_int_equal(sql_batch_count(b), 1);
    mk_buf out;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(sql_stmt_render(sql_batch_stmt(b, 0), flags, &out)));
    assert_true(mk_ok(mk_buf_terminate(&out)));
    sql_batch_free(b);
    return (char *)out.data;
}

static void assert_renders(const char *text, const char *want)
{
    char *got = render_text(text, 0);
    assert_string_equal(got, want);
    free(got);
}

static void test_canonical_text(void **state)
{
    (void)state;
    assert_renders("use master", "USE [master]");
    assert_renders("select name n, * from sys.certificates where name = 'a''b' and x is null",
                   "SELECT [name] AS [n], * FROM [sys].[certificates] WHERE [name] = 'a''b' AND "
                   "[x] IS NULL");
    assert_renders("SELECT TOP 3 CERTENCODED(CERT_ID(N'c')), -5, 0xab, @@VERSION",
                   "SELECT TOP (3) CERTENCODED(CERT_ID(N'c')), -5, 0xAB, @@VERSION");
    assert_renders("select * from master..sysusers", "SELECT * FROM [master]..[sysusers]");
    assert_renders("create endpoint [a]]b] authorization sa state=started as tcp "
                   "(listener_ip=('::1'), listener_port=7024) for database_mirroring "
                   "(role=partner, authentication=windows ntlm certificate c)",
                   "CREATE ENDPOINT [a]]b] AUTHORIZATION [sa] STATE = STARTED AS TCP "
                   "(LISTENER_PORT = 7024, LISTENER_IP = ('::1')) FOR DATABASE_MIRRORING "
                   "(AUTHENTICATION = WINDOWS NTLM CERTIFICATE [c], ROLE = PARTNER)");
    assert_renders("grant connect on endpoint::e to [x], public",
                   "GRANT CONNECT ON ENDPOINT::[e] TO [x], [public]");
    assert_renders("revoke connect on endpoint::e to x",
                   "REVOKE CONNECT ON ENDPOINT::[e] FROM [x]");
    assert_renders("alter database d set partner safety full",
                   "ALTER DATABASE [d] SET PARTNER SAFETY FULL");
    assert_renders("set language us_english", "SET LANGUAGE [us_english]");
    assert_renders("create certificate c with subject = 's', algorithm = rsa_4096, "
                   "expiry_date = '2030-01-01'",
                   "CREATE CERTIFICATE [c] WITH SUBJECT = 's', EXPIRY_DATE = '2030-01-01', "
                   "ALGORITHM = RSA_4096");
    assert_renders("set transaction isolation level read committed",
                   "SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
    assert_renders("drop user if exists u", "DROP USER IF EXISTS [u]");
    assert_renders("create user u for login l with default_schema = dbo",
                   "CREATE USER [u] FOR LOGIN [l] WITH DEFAULT_SCHEMA = [dbo]");
}

static void test_passwords_redacted(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'S3cret!x'",
         "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '******'"},
        {"OPEN MASTER KEY DECRYPTION BY PASSWORD = N'S3cret!x'",
         "OPEN MASTER KEY DECRYPTION BY PASSWORD = '******'"},
        {"ALTER MASTER KEY FORCE REGENERATE WITH ENCRYPTION BY PASSWORD = 'S3cret!x'",
         "ALTER MASTER KEY FORCE REGENERATE WITH ENCRYPTION BY PASSWORD = '******'"},
        {"ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = 'S3cret!x'",
         "ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = '******'"},
        {"CREATE LOGIN l WITH PASSWORD = 'S3cret!x' MUST_CHANGE, CHECK_POLICY = OFF",
         "CREATE LOGIN [l] WITH PASSWORD = '******' MUST_CHANGE, CHECK_POLICY = OFF"},
        {"ALTER LOGIN l WITH PASSWORD = 'S3cret!x' OLD_PASSWORD = 'S3cret!x'",
         "ALTER LOGIN [l] WITH PASSWORD = '******' OLD_PASSWORD = '******'"},
        {"CREATE CERTIFICATE c ENCRYPTION BY PASSWORD = 'S3cret!x' WITH SUBJECT = 's'",
         "CREATE CERTIFICATE [c] ENCRYPTION BY PASSWORD = '******' WITH SUBJECT = 's'"},
        {"CREATE CERTIFICATE c FROM FILE = 'c.cer' WITH PRIVATE KEY (FILE = 'k', "
         "DECRYPTION BY PASSWORD = 'S3cret!x', ENCRYPTION BY PASSWORD = 'S3cret!x')",
         "CREATE CERTIFICATE [c] FROM FILE = 'c.cer' WITH PRIVATE KEY (FILE = 'k', ENCRYPTION BY "
         "PASSWORD = '******', DECRYPTION BY PASSWORD = '******')"},
        {"BACKUP CERTIFICATE c TO FILE = 'c.cer' WITH PRIVATE KEY (FILE = 'k', "
         "ENCRYPTION BY PASSWORD = 'S3cret!x')",
         "BACKUP CERTIFICATE [c] TO FILE = 'c.cer' WITH PRIVATE KEY (FILE = 'k', ENCRYPTION BY "
         "PASSWORD = '******')"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned flags = 0; flags <= SQL_RENDER_FULL; flags++) {
            char *got = render_text(cases[i].text, flags);
            assert_null(strstr(got, "S3cret"));
            assert_string_equal(got, cases[i].want);
            free(got);
        }
    }
}

static void test_binary_abbreviated_for_logs(void **state)
{
    (void)state;
    char hex[128] = "";
    for (int i = 0; i < 40; i++) {
        snprintf(hex + 2 * i, sizeof(hex) - 2 * (size_t)i, "%02X", i);
    }
    char text[256];
    snprintf(text, sizeof(text), "CREATE CERTIFICATE c FROM BINARY = 0x%s", hex);

    char want[256];
    snprintf(want, sizeof(want), "CREATE CERTIFICATE [c] FROM BINARY = 0x%.*s... (40 bytes)",
             2 * SQL_RENDER_BINARY_ABBREV, hex);
    char *log = render_text(text, 0);
    assert_string_equal(log, want);
    free(log);

    snprintf(want, sizeof(want), "CREATE CERTIFICATE [c] FROM BINARY = 0x%s", hex);
    char *full = render_text(text, SQL_RENDER_FULL);
    assert_string_equal(full, want);
    free(full);
}

/* parse -> render(FULL) -> parse -> render(FULL) gives the same text. */
static void assert_round_trip(const char *text)
{
    char *first = render_text(text, SQL_RENDER_FULL);
    char *second = render_text(first, SQL_RENDER_FULL);
    if (strcmp(first, second) != 0) {
        fail_msg("round trip differs:\n  %s\n  %s", first, second);
    }
    free(first);
    free(second);
}

/* One statement of every kind and most options, for the round trip. */
static const char *const forms[] = {
    "USE master",
    "SELECT * FROM sys.certificates",
    "SELECT TOP (2) name AS n, 'a' x, y = CERT_ID('c') FROM m.s.v WHERE a = 1 AND b <> N'x' "
    "AND c IS NULL AND d IS NOT NULL AND e = 0x01 AND f = -2.5 AND g = NULL",
    "SELECT @@VERSION, SERVERPROPERTY('ProductVersion'), CERTENCODED(CERT_ID('c')), COUNT(*), "
    "-9223372036854775808, 18446744073709551616, 0x",
    "SELECT * FROM a..b",
    "SET NOCOUNT ON",
    "SET ANSI_NULLS, QUOTED_IDENTIFIER OFF",
    "SET TEXTSIZE 100",
    "SET DATEFORMAT N'mdy'",
    "SET LANGUAGE [us english]",
    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "CREATE MASTER KEY",
    "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'p'",
    "OPEN MASTER KEY DECRYPTION BY PASSWORD = 'p'",
    "CLOSE MASTER KEY",
    "ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY PASSWORD = 'p'",
    "ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY",
    "ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = 'p'",
    "CREATE CERTIFICATE c AUTHORIZATION u WITH SUBJECT = 's''q', START_DATE = '1/1/2020', "
    "EXPIRY_DATE = '2030-01-01' ACTIVE FOR BEGIN_DIALOG = ON",
    "CREATE CERTIFICATE c ENCRYPTION BY PASSWORD = 'p' WITH SUBJECT = 's'",
    "CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM = ec_p384, START_DATE = '20240101'",
    "CREATE CERTIFICATE c FROM FILE = 'C:\\c.cer'",
    "CREATE CERTIFICATE c FROM EXECUTABLE FILE = 'x' WITH PRIVATE KEY (FILE = 'k')",
    "CREATE CERTIFICATE c FROM BINARY = 0x0102 WITH PRIVATE KEY (BINARY = 0x03, "
    "DECRYPTION BY PASSWORD = 'p', ENCRYPTION BY PASSWORD = 'q')",
    "CREATE CERTIFICATE c FROM ASSEMBLY a",
    "BACKUP CERTIFICATE c TO FILE = 'c.cer'",
    "BACKUP CERTIFICATE c TO FILE = 'c.cer' WITH PRIVATE KEY (FILE = 'k', "
    "ENCRYPTION BY PASSWORD = 'p')",
    "DROP CERTIFICATE c",
    "CREATE ENDPOINT e STATE = STOPPED AS TCP (LISTENER_PORT = 1, LISTENER_IP = (10.0.0.1)) "
    "FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE c WINDOWS KERBEROS, "
    "ENCRYPTION = SUPPORTED ALGORITHM RC4 AES, ROLE = WITNESS)",
    "CREATE ENDPOINT e AS TCP (LISTENER_IP = ALL) FOR DATABASE_MIRRORING (AUTHENTICATION = "
    "WINDOWS, ENCRYPTION = DISABLED)",
    "CREATE ENDPOINT e AS HTTP (PATH = '/') FOR SOAP (WSDL = DEFAULT)",
    "ALTER ENDPOINT e AUTHORIZATION l",
    "ALTER ENDPOINT e FOR DATABASE_MIRRORING (AUTHENTICATION = WINDOWS NEGOTIATE CERTIFICATE "
    "c)",
    "ALTER ENDPOINT e AS TCP (LISTENER_IP = ('::1'))",
    "DROP ENDPOINT e",
    "ALTER AUTHORIZATION ON ENDPOINT::e TO l",
    "ALTER AUTHORIZATION ON s.t TO SCHEMA OWNER",
    "CREATE LOGIN l WITH PASSWORD = 'p' MUST_CHANGE, CHECK_POLICY = ON, CHECK_EXPIRATION = "
    "OFF, DEFAULT_DATABASE = master, DEFAULT_LANGUAGE = us_english",
    "CREATE LOGIN l FROM CERTIFICATE c",
    "CREATE LOGIN l FROM ASYMMETRIC KEY k",
    "CREATE LOGIN l FROM WINDOWS",
    "CREATE LOGIN l FROM WINDOWS WITH DEFAULT_DATABASE = d",
    "CREATE LOGIN l FROM EXTERNAL PROVIDER",
    "ALTER LOGIN l ENABLE",
    "ALTER LOGIN l DISABLE",
    "ALTER LOGIN l WITH PASSWORD = 'p' OLD_PASSWORD = 'o' MUST_CHANGE UNLOCK, NAME = n",
    "DROP LOGIN l",
    "CREATE USER u",
    "CREATE USER u FROM LOGIN l WITH DEFAULT_SCHEMA = s",
    "CREATE USER u WITHOUT LOGIN",
    "CREATE USER u FOR CERTIFICATE c",
    "CREATE USER u FOR ASYMMETRIC KEY k",
    "CREATE USER u FROM EXTERNAL PROVIDER",
    "DROP USER IF EXISTS u",
    "GRANT CONNECT, VIEW DEFINITION ON ENDPOINT::e TO a, [b c], public WITH GRANT OPTION AS x",
    "GRANT CONTROL SERVER TO l",
    "REVOKE GRANT OPTION FOR CONNECT ON SERVER ROLE::r FROM a CASCADE AS x",
    "DENY CONNECT ON ENDPOINT::e TO a CASCADE",
    "CREATE DATABASE d",
    "DROP DATABASE IF EXISTS d",
    "ALTER DATABASE d SET PARTNER = 'TCP://h:1'",
    "ALTER DATABASE d SET PARTNER OFF",
    "ALTER DATABASE d SET PARTNER FAILOVER",
    "ALTER DATABASE d SET PARTNER FORCE_SERVICE_ALLOW_DATA_LOSS",
    "ALTER DATABASE d SET PARTNER RESUME",
    "ALTER DATABASE d SET PARTNER SUSPEND",
    "ALTER DATABASE d SET PARTNER SAFETY OFF",
    "ALTER DATABASE d SET PARTNER TIMEOUT 10",
    "ALTER DATABASE d SET WITNESS = 'TCP://w:1'",
    "ALTER DATABASE d SET WITNESS OFF",
    "BEGIN TRANSACTION",
    "BEGIN TRANSACTION t1",
    "COMMIT TRANSACTION",
    "ROLLBACK TRANSACTION",
    "IF @@TRANCOUNT > 0 COMMIT TRANSACTION",
    "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION",
};

static void test_round_trip_every_form(void **state)
{
    (void)state;
    bool seen[SQL_STMT_KIND_COUNT] = {false};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        assert_round_trip(forms[i]);
        sql_batch *b = parse_ok(forms[i]);
        seen[sql_batch_stmt(b, 0)->kind] = true;
        sql_batch_free(b);
    }
    for (size_t k = 0; k < SQL_STMT_KIND_COUNT; k++) {
        if (!seen[k]) {
            fail_msg("no round-trip case for %s", sql_stmt_kind_name((sql_stmt_kind)k));
        }
    }
}

static void test_output_cap(void **state)
{
    (void)state;
    sql_batch *b = parse_ok("CREATE LOGIN a_rather_long_login_name WITH PASSWORD = 'x'");
    mk_buf out;
    mk_buf_init(&out, 16);
    assert_true(mk_failed(sql_stmt_redacted(sql_batch_stmt(b, 0), &out)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    mk_buf_cleanup(&out);
    sql_batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_text),
        cmocka_unit_test(test_passwords_redacted),
        cmocka_unit_test(test_binary_abbreviated_for_logs),
        cmocka_unit_test(test_round_trip_every_form),
        cmocka_unit_test(test_output_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
