/*
 * Executor over a real catalog: SELECT with and without FROM, USE, the error
 * numbers of bad input (102, 207, 208, 911, 137, 195), a parse error running
 * nothing, per-statement continuation, the sysadmin gate (15247) and
 * metadata visibility for a non-admin login.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog/principals.h"
#include "catalog/verifier.h"
#include "exec/exec.h"
#include "exec_fixture.h"

/* Everything the sink saw, in order. */
typedef struct record {
    int nrowsets;
    size_t last_rows;
    size_t last_cols;
    char first_value[256];
    char first_col_name[130];
    bool first_is_null;
    int nmessages;
    int numbers[16];
    int nerrors;
    int ndone;
    bool done_error[16];
    bool done_more[16];
} record;

static mk_result rec_rows(void *arg, const mk_rowset *rs)
{
    record *r = arg;
    r->nrowsets++;
    r->last_rows = mk_rowset_nrows(rs);
    r->last_cols = mk_rowset_ncols(rs);
    snprintf(r->first_col_name, sizeof(r->first_col_name), "%s", mk_rowset_column(rs, 0)->name);
    r->first_value[0] = '\0';
    if (r->last_rows > 0) {
        const mk_value *v = mk_rowset_value(rs, 0, 0);
        r->first_is_null = v->is_null;
        if (v->is_null) {
            strcpy(r->first_value, "NULL");
        } else if (v->bytes != NULL) {
            snprintf(r->first_value, sizeof(r->first_value), "%.*s", (int)v->len, v->bytes);
        } else {
            snprintf(r->first_value, sizeof(r->first_value), "%lld", (long long)v->i);
        }
    }
    return MK_OK;
}

static mk_result rec_message(void *arg, const sql_error *e)
{
    record *r = arg;
    if (r->nmessages < 16) {
        r->numbers[r->nmessages] = e->number;
    }
    r->nmessages++;
    if (e->cls > 10) {
        r->nerrors++;
    }
    return MK_OK;
}

static mk_result rec_done(void *arg, const exec_done *d)
{
    record *r = arg;
    if (r->ndone < 16) {
        r->done_error[r->ndone] = d->error;
        r->done_more[r->ndone] = d->more;
    }
    r->ndone++;
    return MK_OK;
}

static int setup(void **state)
{
    *state = exec_fixture_new("HOST_A");
    return 0;
}

static int teardown(void **state)
{
    exec_fixture_free(*state);
    return 0;
}

static record run(exec_session *s, const char *sql)
{
    record r;
    memset(&r, 0, sizeof(r));
    exec_sink sink = {.arg = &r, .rows = rec_rows, .message = rec_message, .done = rec_done};
    assert_true(mk_ok(exec_batch(s, sql, strlen(sql), &sink)));
    return r;
}

static void test_scalar_selects(void **state)
{
    fixture *f = *state;
    record r = run(f->admin, "SELECT 1");
    assert_int_equal(r.nrowsets, 1);
    assert_string_equal(r.first_value, "1");
    assert_int_equal(r.ndone, 1);
    assert_false(r.done_error[0]);

    r = run(f->admin, "SELECT @@SERVERNAME AS name");
    assert_string_equal(r.first_value, "HOST_A");
    assert_string_equal(r.first_col_name, "name");
    r = run(f->admin, "select @@version");
    assert_non_null(strstr(r.first_value, "mirrorkey"));
    r = run(f->admin, "SELECT SERVERPROPERTY('ProductVersion')");
    assert_string_equal(r.first_value, EXEC_PRODUCT_VERSION);
    r = run(f->admin, "SELECT CERT_ID('nope')");
    assert_true(r.first_is_null);
    r = run(f->admin, "SELECT CERTENCODED(CERT_ID('nope'))");
    assert_true(r.first_is_null);
}

static void test_use(void **state)
{
    fixture *f = *state;
    record r = run(f->admin, "USE master;");
    assert_int_equal(r.numbers[0], 5701);
    assert_int_equal(r.nerrors, 0);
    r = run(f->admin, "USE somewhere_else");
    assert_int_equal(r.numbers[0], 911);
    assert_true(r.done_error[0]);
}

static void test_view_queries(void **state)
{
    fixture *f = *state;
    record r =
        run(f->admin, "SELECT name, type_desc FROM sys.server_principals WHERE name = 'admin'");
    assert_int_equal(r.nrowsets, 1);
    assert_int_equal(r.last_rows, 1);
    assert_int_equal(r.last_cols, 2);
    assert_string_equal(r.first_value, "admin");

    r = run(f->admin, "SELECT TOP 1 * FROM master.sys.server_principals");
    assert_int_equal(r.last_rows, 1);
    assert_true(r.last_cols > 5);

    r = run(f->admin, "SELECT * FROM sys.certificates");
    assert_int_equal(r.nrowsets, 1);
    assert_int_equal(r.last_rows, 0);
}

static void test_errors_leave_session_usable(void **state)
{
    fixture *f = *state;
    record r = run(f->admin, "SELECT * FROM sys.nothing_here");
    assert_int_equal(r.numbers[0], 208);
    r = run(f->admin, "SELECT bogus FROM sys.endpoints");
    assert_int_equal(r.numbers[0], 207);
    r = run(f->admin, "SELECT @@NOPE");
    assert_int_equal(r.numbers[0], 137);
    r = run(f->admin, "SELECT NOSUCHFUNC(1)");
    assert_int_equal(r.numbers[0], 195);

    /* A syntax error anywhere: one error, one done, nothing ran. */
    r = run(f->admin, "SELECT 1; SELEKT 2; SELECT 3");
    assert_int_equal(r.numbers[0], 102);
    assert_int_equal(r.nrowsets, 0);
    assert_int_equal(r.ndone, 1);
    assert_true(r.done_error[0]);

    /* A runtime error does not stop the batch. */
    r = run(f->admin, "SELECT * FROM sys.nope; SELECT 2");
    assert_int_equal(r.ndone, 2);
    assert_true(r.done_error[0]);
    assert_true(r.done_more[0]);
    assert_false(r.done_error[1]);
    assert_false(r.done_more[1]);
    assert_int_equal(r.nrowsets, 1);
    assert_string_equal(r.first_value, "2");

    r = run(f->admin, "SELECT 1");
    assert_int_equal(r.nerrors, 0);
}

static void test_non_admin(void **state)
{
    fixture *f = *state;
    record r = run(f->peer, "CREATE LOGIN x WITH PASSWORD = 'Str0ng!Passw0rd'");
    assert_int_equal(r.numbers[0], 15247);
    assert_true(r.done_error[0]);
    r = run(f->admin, "SELECT name FROM sys.server_principals WHERE name = 'x'");
    assert_int_equal(r.last_rows, 0);

    /* A non-admin sees only its own login. */
    r = run(f->peer, "SELECT name FROM sys.server_principals");
    assert_int_equal(r.last_rows, 1);
    assert_string_equal(r.first_value, "peer");
}

static void test_transactions(void **state)
{
    fixture *f = *state;
    /* What pymssql sends around every batch; a non-admin may do it too. */
    record r = run(f->peer, "BEGIN TRAN");
    assert_int_equal(r.nerrors, 0);
    r = run(f->peer, "SELECT @@TRANCOUNT");
    assert_string_equal(r.first_value, "1");
    r = run(f->peer, "IF @@TRANCOUNT > 0 COMMIT TRAN");
    assert_int_equal(r.nerrors, 0);
    r = run(f->peer, "SELECT @@TRANCOUNT");
    assert_string_equal(r.first_value, "0");
    r = run(f->peer, "IF @@TRANCOUNT > 0 ROLLBACK TRAN");
    assert_int_equal(r.nerrors, 0);

    r = run(f->admin, "COMMIT");
    assert_int_equal(r.numbers[0], 3902);
    r = run(f->admin, "ROLLBACK TRANSACTION");
    assert_int_equal(r.numbers[0], 3903);

    /* A ROLLBACK after DDL says it undid nothing, and indeed nothing is undone. */
    r = run(f->admin, "BEGIN TRANSACTION; CREATE LOGIN t1 WITH PASSWORD = 'Str0ng!Passw0rd'; "
                      "ROLLBACK");
    assert_int_equal(r.nerrors, 0);
    assert_int_equal(r.numbers[r.nmessages - 1], 50113);
    r = run(f->admin, "SELECT name FROM sys.server_principals WHERE name = 't1'");
    assert_int_equal(r.last_rows, 1);
    r = run(f->admin, "SELECT @@TRANCOUNT");
    assert_string_equal(r.first_value, "0");

    /* A plain ROLLBACK after queries only: no warning. */
    r = run(f->admin, "BEGIN TRAN SELECT 1 ROLLBACK");
    assert_int_equal(r.nmessages, 0);
}

static void test_empty_batch(void **state)
{
    fixture *f = *state;
    record r = run(f->admin, "  -- nothing\n");
    assert_int_equal(r.ndone, 1);
    assert_false(r.done_error[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scalar_selects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_leave_session_usable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_batch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
