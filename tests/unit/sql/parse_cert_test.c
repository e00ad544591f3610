/*
 * Certificate statements: CREATE CERTIFICATE in every source form (with and
 * without private key clauses), date options in any order, ALGORITHM (every
 * value, any case; unknown values and repeats are 102), ENCRYPTION BY
 * PASSWORD in both places, ACTIVE FOR BEGIN_DIALOG; BACKUP CERTIFICATE with
 * and without WITH PRIVATE KEY; DROP CERTIFICATE; and their syntax errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sql_test_util.h"

static sql_create_cert_stmt *cert(const char *text, sql_batch **b)
{
    return &parse_one(text, SQL_STMT_CREATE_CERTIFICATE, b)->u.create_cert;
}

static void test_generate_all_options(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_create_cert_stmt *c =
        cert("CREATE CERTIFICATE c AUTHORIZATION dbo WITH SUBJECT = N'CN ''quoted''', "
             "EXPIRY_DATE = '2030-01-01', START_DATE = '20240101 10:00', "
             "ENCRYPTION BY PASSWORD = 'pw1' ACTIVE FOR BEGIN_DIALOG = OFF",
             &b);
    assert_string_equal(c->name, "c");
    assert_true(c->has_owner);
    assert_string_equal(c->owner, "dbo");
    assert_int_equal(c->source, SQL_CERT_GENERATE);
    assert_string_equal(c->subject, "CN 'quoted'");
    assert_true(c->has_start_date);
    assert_string_equal(c->start_date, "20240101 10:00");
    assert_true(c->has_expiry_date);
    assert_string_equal(c->expiry_date, "2030-01-01");
    assert_true(c->has_encryption_password);
    assert_string_equal(c->encryption_password, "pw1");
    assert_true(c->has_active_for_begin_dialog);
    assert_false(c->active_for_begin_dialog);
    assert_false(c->has_private_key);
    assert_null(c->file);
    sql_batch_free(b);
}

static void test_generate_password_first(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_create_cert_stmt *c =
        cert("CREATE CERTIFICATE c ENCRYPTION BY PASSWORD = 'pw' WITH SUBJECT = 's' "
             "ACTIVE FOR BEGIN_DIALOG = ON",
             &b);
    assert_true(c->has_encryption_password);
    assert_string_equal(c->encryption_password, "pw");
    assert_string_equal(c->subject, "s");
    assert_false(c->has_start_date);
    assert_false(c->has_expiry_date);
    assert_true(c->active_for_begin_dialog);
    sql_batch_free(b);
}

static void test_generate_algorithm(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        sql_cert_algorithm alg;
    } cases[] = {
        {"RSA_2048", SQL_CERT_ALG_RSA_2048}, {"RSA_3072", SQL_CERT_ALG_RSA_3072},
        {"RSA_4096", SQL_CERT_ALG_RSA_4096}, {"EC_P256", SQL_CERT_ALG_EC_P256},
        {"EC_P384", SQL_CERT_ALG_EC_P384},   {"ec_p384", SQL_CERT_ALG_EC_P384},
        {"Rsa_2048", SQL_CERT_ALG_RSA_2048},
    };
    sql_batch *b = NULL;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[200];
        snprintf(text, sizeof(text), "CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM = %s",
                 cases[i].text);
        sql_create_cert_stmt *c = cert(text, &b);
        assert_true(c->has_algorithm);
        assert_int_equal(c->algorithm, cases[i].alg);
        assert_false(c->has_start_date);
        sql_batch_free(b);
    }
    /* Anywhere in the list after SUBJECT, beside the dates. */
    sql_create_cert_stmt *c = cert("CREATE CERTIFICATE c WITH SUBJECT = 's', algorithm = EC_P256, "
                                   "START_DATE = '2024-01-01', EXPIRY_DATE = '2030-01-01' "
                                   "ACTIVE FOR BEGIN_DIALOG = ON",
                                   &b);
    assert_true(c->has_algorithm);
    assert_int_equal(c->algorithm, SQL_CERT_ALG_EC_P256);
    assert_string_equal(c->start_date, "2024-01-01");
    assert_string_equal(c->expiry_date, "2030-01-01");
    assert_true(c->has_active_for_begin_dialog);
    sql_batch_free(b);
    /* Absent: the instance's default. */
    c = cert("CREATE CERTIFICATE c WITH SUBJECT = 's'", &b);
    assert_false(c->has_algorithm);
    assert_int_equal(c->algorithm, SQL_CERT_ALG_DEFAULT);
    sql_batch_free(b);
    assert_string_equal(sql_cert_algorithm_name(SQL_CERT_ALG_EC_P384), "EC_P384");
    assert_string_equal(sql_cert_algorithm_name(SQL_CERT_ALG_DEFAULT), "");
    assert_string_equal(sql_cert_algorithm_name((sql_cert_algorithm)99), "");
}

static void test_from_file_with_private_key(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_create_cert_stmt *c =
        cert("CREATE CERTIFICATE c FROM FILE = 'c.cer' WITH PRIVATE KEY (FILE = 'c.pvk', "
             "DECRYPTION BY PASSWORD = 'dec', ENCRYPTION BY PASSWORD = 'enc')",
             &b);
    assert_int_equal(c->source, SQL_CERT_FROM_FILE);
    assert_string_equal(c->file, "c.cer");
    assert_false(c->has_owner);
    assert_true(c->has_private_key);
    const sql_private_key *pk = &c->private_key;
    assert_true(pk->has_file);
    assert_string_equal(pk->file, "c.pvk");
    assert_false(pk->has_binary);
    assert_true(pk->has_decryption_password);
    assert_string_equal(pk->decryption_password, "dec");
    assert_true(pk->has_encryption_password);
    assert_string_equal(pk->encryption_password, "enc");
    assert_false(c->has_encryption_password);
    sql_batch_free(b);
}

static void test_from_binary_and_others(void **state)
{
    (void)state;
    static const uint8_t der[] = {0x30, 0x82, 0x01};
    sql_batch *b = NULL;
    sql_create_cert_stmt *c = cert("CREATE CERTIFICATE c FROM BINARY = 0x308201", &b);
    assert_int_equal(c->source, SQL_CERT_FROM_BINARY);
    assert_int_equal(c->binary_len, 3);
    assert_memory_equal(c->binary, der, 3);
    assert_false(c->has_private_key);
    sql_batch_free(b);

    c = cert("CREATE CERTIFICATE c FROM BINARY = 0x30 WITH PRIVATE KEY (BINARY = 0x0102)", &b);
    assert_true(c->private_key.has_binary);
    assert_int_equal(c->private_key.binary_len, 2);
    sql_batch_free(b);

    c = cert("CREATE CERTIFICATE c FROM EXECUTABLE FILE = 'x.dll'", &b);
    assert_int_equal(c->source, SQL_CERT_FROM_EXECUTABLE);
    assert_string_equal(c->file, "x.dll");
    sql_batch_free(b);

    c = cert("CREATE CERTIFICATE c FROM ASSEMBLY [asm]", &b);
    assert_int_equal(c->source, SQL_CERT_FROM_ASSEMBLY);
    assert_string_equal(c->assembly, "asm");
    sql_batch_free(b);
}

static void test_backup(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_stmt *s =
        parse_one("BACKUP CERTIFICATE c TO FILE = N'/tmp/c.cer'", SQL_STMT_BACKUP_CERTIFICATE, &b);
    assert_string_equal(s->u.backup_cert.name, "c");
    assert_string_equal(s->u.backup_cert.file, "/tmp/c.cer");
    assert_false(s->u.backup_cert.has_private_key);
    sql_batch_free(b);

    s = parse_one("BACKUP CERTIFICATE c TO FILE = 'c.cer' WITH PRIVATE KEY (\n"
                  "  FILE = 'c.pvk', ENCRYPTION BY PASSWORD = 'e1', DECRYPTION BY PASSWORD = 'd1')",
                  SQL_STMT_BACKUP_CERTIFICATE, &b);
    const sql_private_key *pk = &s->u.backup_cert.private_key;
    assert_true(s->u.backup_cert.has_private_key);
    assert_string_equal(pk->file, "c.pvk");
    assert_string_equal(pk->encryption_password, "e1");
    assert_string_equal(pk->decryption_password, "d1");
    sql_batch_free(b);
}

static void test_drop(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_stmt *s = parse_one("DROP CERTIFICATE [HOST_B_cert]", SQL_STMT_DROP_CERTIFICATE, &b);
    assert_string_equal(s->u.name.name, "HOST_B_cert");
    sql_batch_free(b);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_syntax("CREATE CERTIFICATE", "CERTIFICATE", 1);
    expect_syntax("CREATE CERTIFICATE c", "c", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT 's'", "s", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 5", "5", 1);
    expect_syntax("CREATE CERTIFICATE c WITH EXPIRY_DATE = 'x', SUBJECT = 's'", "EXPIRY_DATE", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's', EXPIRY_DATE = 'a', EXPIRY_DATE = 'b'",
                  "EXPIRY_DATE", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's',\n START_DATE = 'a',\n START_DATE = 'b'",
                  "START_DATE", 3);
    expect_syntax("CREATE CERTIFICATE c ENCRYPTION BY PASSWORD = 'a' WITH SUBJECT = 's', "
                  "ENCRYPTION BY PASSWORD = 'b'",
                  "ENCRYPTION", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's', KEY_LENGTH = 2048", "KEY_LENGTH", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's',", ",", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM = RSA_1024", "RSA_1024", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM = EC_P521", "EC_P521", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM = AES_256", "AES_256", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM = 'RSA_2048'", "RSA_2048", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM = [RSA_2048]", "RSA_2048", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM RSA_2048", "RSA_2048", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM =", "=", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM = RSA_2048,\n"
                  " ALGORITHM = RSA_2048",
                  "ALGORITHM", 2);
    expect_syntax("CREATE CERTIFICATE c WITH ALGORITHM = RSA_2048, SUBJECT = 's'", "ALGORITHM", 1);
    expect_syntax("CREATE CERTIFICATE c FROM FILE = 'a' WITH ALGORITHM = RSA_2048", "WITH", 1);
    expect_syntax("CREATE CERTIFICATE c FROM FILE 'c.cer'", "c.cer", 1);
    expect_syntax("CREATE CERTIFICATE c FROM FILE = c", "c", 1);
    expect_syntax("CREATE CERTIFICATE c FROM BINARY = 'x'", "x", 1);
    expect_syntax("CREATE CERTIFICATE c FROM URL = 'x'", "URL", 1);
    expect_syntax("CREATE CERTIFICATE c FROM FILE = 'a' WITH PRIVATE (FILE = 'b')", "(", 1);
    expect_syntax("CREATE CERTIFICATE c FROM FILE = 'a' WITH PRIVATE KEY FILE = 'b'", "FILE", 1);
    expect_syntax("CREATE CERTIFICATE c FROM FILE = 'a' WITH PRIVATE KEY ()", ")", 1);
    expect_syntax("CREATE CERTIFICATE c FROM FILE = 'a' WITH PRIVATE KEY (FILE = 'b', FILE = 'c')",
                  "FILE", 1);
    expect_syntax("CREATE CERTIFICATE c FROM FILE = 'a' WITH PRIVATE KEY (BINARY = 'b')", "b", 1);
    expect_syntax("CREATE CERTIFICATE c FROM FILE = 'a' WITH PRIVATE KEY (ALGORITHM = 'b')",
                  "ALGORITHM", 1);
    expect_syntax("CREATE CERTIFICATE c FROM FILE = 'a' WITH PRIVATE KEY (FILE = 'b'", "b", 1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's' ACTIVE FOR BEGIN_DIALOG = YES", "YES",
                  1);
    expect_syntax("CREATE CERTIFICATE c WITH SUBJECT = 's' ACTIVE BEGIN_DIALOG = ON",
                  "BEGIN_DIALOG", 1);
    expect_syntax("CREATE CERTIFICATE c AUTHORIZATION WITH SUBJECT = 's'", "WITH", 1);
    expect_syntax("BACKUP CERTIFICATE c FILE = 'x'", "FILE", 1);
    expect_syntax("BACKUP CERTIFICATE c TO 'x'", "x", 1);
    expect_syntax("BACKUP CERTIFICATE c TO FILE = 'x' WITH PRIVATE KEY (ENCRYPTION PASSWORD = 'p')",
                  "PASSWORD", 1);
    expect_syntax("BACKUP CERTIFICATE c TO FILE = 'x' WITH PRIVATE KEY (DECRYPTION BY 'p')",
                  "******", 1);
    expect_syntax("BACKUP DATABASE d TO DISK = 'x'", "DATABASE", 1);
    expect_syntax("DROP CERTIFICATE c, d", ",", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_all_options),
        cmocka_unit_test(test_generate_password_first),
        cmocka_unit_test(test_generate_algorithm),
        cmocka_unit_test(test_from_file_with_private_key),
        cmocka_unit_test(test_from_binary_and_others),
        cmocka_unit_test(test_backup),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
