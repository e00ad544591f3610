/*
 * AST helpers and secret hygiene: statement kind names; sql_stmt_wipe_secrets
 * zeroes every password field in place and nothing else; and freeing a batch
 * or token list wipes every arena chunk before it is released (proved with
 * the arena's test hook on the chunk that held a password).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "sql_test_util.h"

static void test_kind_names(void **state)
{
    (void)state;
    for (int i = 0; i < SQL_STMT_KIND_COUNT; i++) {
        const char *name = sql_stmt_kind_name((sql_stmt_kind)i);
        assert_string_not_equal(name, "?");
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(name, sql_stmt_kind_name((sql_stmt_kind)j));
        }
    }
    assert_string_equal(sql_stmt_kind_name(SQL_STMT_CREATE_CERTIFICATE), "CREATE CERTIFICATE");
    assert_string_equal(sql_stmt_kind_name(SQL_STMT_KIND_COUNT), "?");
    assert_string_equal(sql_stmt_kind_name((sql_stmt_kind)-1), "?");
}

static bool all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

/* The password fields of s (some may be NULL), found independently of ast.c. */
static size_t password_fields(sql_stmt *s, char *fields[3])
{
    size_t n = 0;
    switch (s->kind) {
    case SQL_STMT_CREATE_LOGIN:
    case SQL_STMT_ALTER_LOGIN:
        fields[n++] = s->u.login.opts.password;
        fields[n++] = s->u.login.opts.old_password;
        break;
    case SQL_STMT_CREATE_CERTIFICATE:
        fields[n++] = s->u.create_cert.encryption_password;
        fields[n++] = s->u.create_cert.private_key.encryption_password;
        fields[n++] = s->u.create_cert.private_key.decryption_password;
        break;
    case SQL_STMT_BACKUP_CERTIFICATE:
        fields[n++] = s->u.backup_cert.private_key.encryption_password;
        fields[n++] = s->u.backup_cert.private_key.decryption_password;
        break;
    default: fields[n++] = s->u.masterkey.password; break;
    }
    return n;
}

static void test_wipe_secrets(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t nsecrets;
    } cases[] = {
        {"CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Secret1'", 1},
        {"OPEN MASTER KEY DECRYPTION BY PASSWORD = 'Secret1'", 1},
        {"ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = 'Secret1'", 1},
        {"CREATE LOGIN l WITH PASSWORD = 'Secret1'", 1},
        {"ALTER LOGIN l WITH PASSWORD = 'Secret1' OLD_PASSWORD = 'Secret1'", 2},
        {"CREATE CERTIFICATE c ENCRYPTION BY PASSWORD = 'Secret1' WITH SUBJECT = 'Secret1'", 1},
        {"CREATE CERTIFICATE c FROM FILE = 'f' WITH PRIVATE KEY (FILE = 'k', "
         "DECRYPTION BY PASSWORD = 'Secret1', ENCRYPTION BY PASSWORD = 'Secret1')",
         2},
        {"BACKUP CERTIFICATE c TO FILE = 'f' WITH PRIVATE KEY (FILE = 'k', "
         "ENCRYPTION BY PASSWORD = 'Secret1', DECRYPTION BY PASSWORD = 'Secret1')",
         2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sql_batch *b = parse_ok(cases[i].text);
        sql_stmt *s = sql_batch_stmt(b, 0);
        char *fields[3] = {NULL, NULL, NULL};
        size_t n = password_fields(s, fields);
        size_t found = 0;
        for (size_t k = 0; k < n; k++) {
            if (fields[k] != NULL) {
                assert_string_equal(fields[k], "Secret1");
                found++;
            }
        }
        assert_int_equal(found, cases[i].nsecrets);
        assert_true(sql_stmt_has_secrets(s));
        sql_stmt_wipe_secrets(s);
        for (size_t k = 0; k < n; k++) {
            if (fields[k] != NULL) {
                assert_true(all_zero(fields[k], 7));
            }
        }
        /* Non-secret strings are left alone. */
        if (s->kind == SQL_STMT_CREATE_CERTIFICATE && s->u.create_cert.subject != NULL) {
            assert_string_equal(s->u.create_cert.subject, "Secret1");
        }
        sql_batch_free(b);
    }
    sql_stmt_wipe_secrets(NULL);
}

static void test_no_secrets(void **state)
{
    (void)state;
    static const char *const texts[] = {"CREATE MASTER KEY",
                                        "CLOSE MASTER KEY",
                                        "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY",
                                        "CREATE LOGIN l FROM CERTIFICATE c",
                                        "SELECT 'PASSWORD'",
                                        "BACKUP CERTIFICATE c TO FILE = 'f'"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        sql_batch *b = parse_ok(texts[i]);
        assert_false(sql_stmt_has_secrets(sql_batch_stmt(b, 0)));
        sql_stmt_wipe_secrets(sql_batch_stmt(b, 0));
        sql_batch_free(b);
    }
}

/* What the arena hook saw: whether the watched address was in a freed chunk, all zero. */
static const char *watched;
static bool watched_freed;
static bool all_chunks_zero;
static size_t chunks_freed;

static void free_hook(const void *mem, size_t len)
{
    const char *p = mem;
    chunks_freed++;
    if (!all_zero(p, len)) {
        all_chunks_zero = false;
    }
    if (watched >= p && watched < p + len) {
        watched_freed = true;
    }
}

static void watch(const char *addr)
{
    watched = addr;
    watched_freed = false;
    all_chunks_zero = true;
    chunks_freed = 0;
    sql_arena_free_hook = free_hook;
}

static void test_batch_free_wipes_everything(void **state)
{
    (void)state;
    sql_batch *b = parse_ok("USE master; CREATE LOGIN l WITH PASSWORD = 'Secret1'");
    watch(sql_batch_stmt(b, 1)->u.login.opts.password);
    sql_batch_free(b);
    sql_arena_free_hook = NULL;
    assert_true(chunks_freed >= 1);
    assert_true(watched_freed);
    assert_true(all_chunks_zero);
}

static void test_failed_parse_wipes_everything(void **state)
{
    (void)state;
    watch(NULL);
    sql_error e = parse_fail("CREATE LOGIN l WITH PASSWORD = 'Secret1' oops", 45);
    sql_arena_free_hook = NULL;
    assert_int_equal(e.number, 102);
    assert_true(chunks_freed >= 1);
    assert_true(all_chunks_zero);
}

static void test_token_list_free_wipes_strings(void **state)
{
    (void)state;
    sql_token_list *l = NULL;
    sql_error e;
    const char *text = "CREATE LOGIN l WITH PASSWORD = 'Secret1'";
    assert_true(mk_ok(sql_lex(text, strlen(text), &l, &e)));
    const sql_token *t = sql_token_list_at(l, 6);
    assert_int_equal(t->kind, SQL_TOK_STRING);
    assert_string_equal(t->value, "Secret1");
    watch(t->value);
    sql_token_list_free(l);
    sql_arena_free_hook = NULL;
    assert_true(watched_freed);
    assert_true(all_chunks_zero);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_wipe_secrets),
        cmocka_unit_test(test_no_secrets),
        cmocka_unit_test(test_batch_free_wipes_everything),
        cmocka_unit_test(test_failed_parse_wipes_everything),
        cmocka_unit_test(test_token_list_free_wipes_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
