/*
 * cat_open / schema versioning / transactions / error reasons.
 */
#include "cat_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "catalog/principals.h"

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(raw, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        fail_msg("raw sql failed: %s", err != NULL ? err : "?");
    }
    sqlite3_close(raw);
}

static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *raw = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(raw);
    return v;
}

static void write_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
}

static void test_create_and_reopen(void **state)
{
    cat_fx *fx = *state;
    int version = 0;
    assert_cat_ok(cat_schema_version(fx->db, &version));
    assert_int_equal(version, CAT_SCHEMA_VERSION);
    assert_int_equal(cat_fx_count(fx->db, "sys.server_principals"), 10);
    assert_int_equal(cat_fx_count(fx->db, "sys.database_principals"), 5);
    assert_int_equal(cat_fx_count(fx->db, "sys.databases"), 4);
    assert_cat_ok(cat_login_create(fx->db, "HOST_B_login", (const uint8_t *)"pw", 2, NULL, NULL));
    cat_close(fx->db);
    fx->db = NULL;

    assert_cat_ok(cat_open(fx->path, 0, &fx->db));
    cat_login l;
    assert_cat_ok(cat_login_get(fx->db, "host_b_login", &l));
    assert_int_equal(l.principal_id, CAT_FIRST_LOGIN_ID);
    assert_int_equal(cat_fx_count(fx->db, "sys.server_principals"), 11);
    /* WAL is a property of the file. */
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM pragma_journal_mode"
                                       " WHERE journal_mode = 'wal'"),
                     1);
}

static void test_file_mode_is_private(void **state)
{
    cat_fx *fx = *state;
    struct stat sb;
    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_new_refuses_existing_file(void **state)
{
    cat_fx *fx = *state;
    cat_db *other = NULL;
    assert_cat_fail(cat_open(fx->path, CAT_OPEN_NEW, &other), MK_E_EXISTS, CAT_R_NONE);
    assert_null(other);
    /* The existing catalog is intact. */
    assert_int_equal(cat_fx_count(fx->db, "sys.server_principals"), 10);
}

static void test_missing_without_create(void **state)
{
    cat_fx *fx = *state;
    cat_db *db = NULL;
    assert_cat_fail(cat_open(fx->path, 0, &db), MK_E_NOT_FOUND, CAT_R_NONE);
    assert_null(db);
    struct stat sb;
    assert_int_not_equal(stat(fx->path, &sb), 0); /* nothing created */
    assert_cat_fail(cat_open(NULL, CAT_OPEN_CREATE, &db), MK_E_INVALID, CAT_R_NONE);
    assert_cat_fail(cat_open("", CAT_OPEN_CREATE, &db), MK_E_INVALID, CAT_R_NONE);
}

static void test_create_flag_opens_existing(void **state)
{
    cat_fx *fx = *state;
    cat_db *db = NULL;
    assert_cat_ok(cat_open(fx->path, CAT_OPEN_CREATE, &db));
    assert_cat_ok(cat_login_create(db, "x_login", (const uint8_t *)"p", 1, NULL, NULL));
    cat_close(db);
    assert_cat_ok(cat_open(fx->path, CAT_OPEN_CREATE, &db));
    cat_login l;
    assert_cat_ok(cat_login_get(db, "x_login", &l)); /* not re-created */
    cat_close(db);
}

static void test_newer_schema_refused(void **state)
{
    cat_fx *fx = *state;
    cat_close(fx->db);
    fx->db = NULL;
    raw_exec(fx->path, "UPDATE meta SET value = 99 WHERE key = 'schema_version'");
    cat_db *db = NULL;
    assert_cat_fail(cat_open(fx->path, 0, &db), MK_E_STATE, CAT_R_SCHEMA_NEWER);
    assert_null(db);
    assert_non_null(strstr(mk_error_message(), "99"));
    assert_cat_fail(cat_open(fx->path, CAT_OPEN_CREATE, &db), MK_E_STATE, CAT_R_SCHEMA_NEWER);
    /* Refusal leaves the file alone. */
    assert_int_equal(raw_int(fx->path, "SELECT value FROM meta WHERE key = 'schema_version'"), 99);
}

static void test_foreign_sqlite_file_refused(void **state)
{
    cat_fx *fx = *state;
    raw_exec(fx->path, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
    cat_db *db = NULL;
    assert_cat_fail(cat_open(fx->path, CAT_OPEN_CREATE, &db), MK_E_INVALID, CAT_R_NOT_A_CATALOG);
    assert_null(db);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM t"), 1);
}

static void test_catalog_without_version_refused(void **state)
{
    cat_fx *fx = *state;
    cat_close(fx->db);
    fx->db = NULL;
    raw_exec(fx->path, "DELETE FROM meta");
    cat_db *db = NULL;
    assert_cat_fail(cat_open(fx->path, 0, &db), MK_E_INVALID, CAT_R_NOT_A_CATALOG);
}

static void test_garbage_file_refused(void **state)
{
    cat_fx *fx = *state;
    write_file(fx->path, "this is not an SQLite database, not even close, really not at all.");
    cat_db *db = NULL;
    assert_cat_fail(cat_open(fx->path, CAT_OPEN_CREATE, &db), MK_E_INVALID, CAT_R_NOT_A_CATALOG);
    assert_null(db);
}

static void test_empty_file_needs_create(void **state)
{
    cat_fx *fx = *state;
    write_file(fx->path, "");
    cat_db *db = NULL;
    assert_cat_fail(cat_open(fx->path, 0, &db), MK_E_INVALID, CAT_R_NOT_A_CATALOG);
    assert_cat_ok(cat_open(fx->path, CAT_OPEN_CREATE, &db));
    cat_close(db);
}

static void test_directory_refused(void **state)
{
    cat_fx *fx = *state;
    cat_db *db = NULL;
    assert_cat_fail(cat_open(fx->dir, CAT_OPEN_CREATE, &db), MK_E_INVALID, CAT_R_NONE);
}

static bool login_exists(cat_db *db, const char *name)
{
    cat_login l;
    return mk_ok(cat_login_get(db, name, &l));
}

static void test_transaction_commit_and_rollback(void **state)
{
    cat_fx *fx = *state;
    const uint8_t *pw = (const uint8_t *)"Password1!";
    assert_false(cat_in_transaction(fx->db));
    assert_cat_ok(cat_begin(fx->db));
    assert_true(cat_in_transaction(fx->db));
    assert_cat_fail(cat_begin(fx->db), MK_E_STATE, CAT_R_NONE);
    assert_cat_ok(cat_login_create(fx->db, "a_login", pw, 10, NULL, NULL));
    assert_cat_ok(cat_rollback(fx->db));
    assert_false(login_exists(fx->db, "a_login"));

    assert_cat_ok(cat_begin(fx->db));
    assert_cat_ok(cat_login_create(fx->db, "a_login", pw, 10, NULL, NULL));
    /* A failing statement inside the transaction undoes only itself. */
    assert_cat_fail(cat_login_create(fx->db, "A_LOGIN", pw, 10, NULL, NULL), MK_E_EXISTS,
                    CAT_R_EXISTS);
    assert_cat_ok(cat_login_create(fx->db, "b_login", pw, 10, NULL, NULL));
    assert_cat_ok(cat_commit(fx->db));
    assert_true(login_exists(fx->db, "a_login"));
    assert_true(login_exists(fx->db, "b_login"));

    assert_cat_fail(cat_commit(fx->db), MK_E_STATE, CAT_R_NONE);
    assert_cat_fail(cat_rollback(fx->db), MK_E_STATE, CAT_R_NONE);
}

static void test_close_rolls_back_open_transaction(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_begin(fx->db));
    assert_cat_ok(cat_login_create(fx->db, "gone_login", (const uint8_t *)"x", 1, NULL, NULL));
    cat_close(fx->db);
    assert_cat_ok(cat_open(fx->path, 0, &fx->db));
    assert_false(login_exists(fx->db, "gone_login"));
}

static void test_two_connections_share_commits_and_busy(void **state)
{
    cat_fx *fx = *state;
    cat_db *other = NULL;
    assert_cat_ok(cat_open(fx->path, 0, &other));
    assert_cat_ok(cat_login_create(other, "from_other", (const uint8_t *)"x", 1, NULL, NULL));
    assert_true(login_exists(fx->db, "from_other"));

    /* other holds the write lock: a writer on fx waits the busy timeout, then fails. */
    assert_cat_ok(cat_begin(other));
    assert_cat_fail(cat_login_create(fx->db, "blocked", (const uint8_t *)"x", 1, NULL, NULL),
                    MK_E_STATE, CAT_R_BUSY);
    assert_cat_ok(cat_rollback(other));
    assert_cat_ok(cat_login_create(fx->db, "blocked", (const uint8_t *)"x", 1, NULL, NULL));
    cat_close(other);
}

static void test_reason_is_not_stale(void **state)
{
    cat_fx *fx = *state;
    cat_login l;
    assert_cat_fail(cat_login_get(fx->db, "nobody", &l), MK_E_NOT_FOUND, CAT_R_NOT_FOUND);
    assert_string_equal(cat_error_object(), "nobody");
    /* Another layer's later error must not inherit the catalog's reason. */
    (void)MK_RAISE(MK_E_NOT_FOUND, "something else");
    assert_int_equal(cat_error_reason(), CAT_R_NONE);
    assert_string_equal(cat_error_object(), "");
    assert_string_equal(cat_reason_name(CAT_R_ENDPOINT_TYPE_EXISTS),
                        "a mirroring endpoint already exists");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_reopen, cat_fx_setup, cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_file_mode_is_private, cat_fx_setup, cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_new_refuses_existing_file, cat_fx_setup,
                                        cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_missing_without_create, cat_fx_setup_dir,
                                        cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_flag_opens_existing, cat_fx_setup_dir,
                                        cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, cat_fx_setup, cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_sqlite_file_refused, cat_fx_setup_dir,
                                        cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_catalog_without_version_refused, cat_fx_setup,
                                        cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_file_refused, cat_fx_setup_dir,
                                        cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_empty_file_needs_create, cat_fx_setup_dir,
                                        cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_directory_refused, cat_fx_setup_dir, cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_transaction_commit_and_rollback, cat_fx_setup,
                                        cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_close_rolls_back_open_transaction, cat_fx_setup,
                                        cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_two_connections_share_commits_and_busy, cat_fx_setup,
                                        cat_fx_teardown),
        cmocka_unit_test_setup_teardown(test_reason_is_not_stale, cat_fx_setup, cat_fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
