/*
 * sys.dm_db_mirroring_connections: rows from the registered live source,
 * descs, NULLs, filters, visibility, and source failures.
 */
#include "cat_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "catalog/connections.h"
#include "catalog/views.h"

static const cat_session sysadmin = {.is_sysadmin = true, .login_id = 1, .user_id = 1};

static mk_rowset *query(cat_fx *fx, const cat_session *who, const char *const *cols, size_t ncols,
                        const cat_filter *f, size_t nf)
{
    const cat_view *v = cat_view_find_name("sys.dm_db_mirroring_connections");
    assert_non_null(v);
    mk_rowset *rs = NULL;
    mk_result r = cat_query(fx->db, v, who, cols, ncols, f, nf, &rs);
    if (mk_failed(r)) {
        fail_msg("query: %s", mk_error_message());
    }
    return rs;
}

static size_t rows(cat_fx *fx, const cat_session *who)
{
    mk_rowset *rs = query(fx, who, NULL, 0, NULL, 0);
    size_t n = mk_rowset_nrows(rs);
    mk_rowset_free(rs);
    return n;
}

static const mk_value *val(const mk_rowset *rs, size_t row, const char *name)
{
    for (size_t c = 0; c < mk_rowset_ncols(rs); c++) {
        if (strcmp(mk_rowset_column(rs, c)->name, name) == 0) {
            return mk_rowset_value(rs, row, c);
        }
    }
    fail_msg("no column %s", name);
    return NULL;
}

static void assert_text(const mk_rowset *rs, size_t row, const char *name, const char *want)
{
    const mk_value *v = val(rs, row, name);
    assert_false(v->is_null);
    assert_string_equal((const char *)v->bytes, want);
}

static void assert_num(const mk_rowset *rs, size_t row, const char *name, int64_t want)
{
    const mk_value *v = val(rs, row, name);
    assert_false(v->is_null);
    assert_int_equal(v->i, want);
}

static void expect_error(cat_fx *fx, mk_err code)
{
    mk_rowset *rs = NULL;
    const cat_view *v = cat_view_find_name("sys.dm_db_mirroring_connections");
    assert_cat_fail(cat_query(fx->db, v, &sysadmin, NULL, 0, NULL, 0, &rs), code, CAT_R_NONE);
    assert_null(rs);
}

#define STR(x)                                                                                     \
    {                                                                                              \
        .kind = CAT_LIT_STRING, .s = (x)                                                           \
    }

static mk_result two_connections(void *ctx, cat_conn_sink *sink)
{
    int *calls = ctx;
    (*calls)++;
    cat_mirror_conn a = {
        .connection_id = "6F9619FF-8B86-D011-B42D-00C04FC964FF",
        .state = 4,
        .connect_time = 1700000000000,
        .login_time = 1700000000500,
        .authentication_method = "CERTIFICATE",
        .principal_name = "HOST_B_login",
        .remote_user_name = "HOST_B_user",
        .last_activity_time = 1700000001000,
        .is_accept = true,
        .login_state = 12,
        .peer_certificate_id = 257,
        .encryption_algorithm = 2,
        .total_bytes_sent = 5000000000,
        .total_bytes_received = 10,
        .total_sends = 3,
        .total_receives = 4,
    };
    GUARD(cat_conn_sink_add(sink, &a));
    cat_mirror_conn b = {
        .connection_id = "00000000-0000-4000-8000-000000000001",
        .state = 2,
        .connect_time = 1700000002000,
        .login_time = CAT_NO_TIME,
        .last_activity_time = CAT_NO_TIME,
        .login_state = 1,
        .encryption_algorithm = 2,
    };
    return cat_conn_sink_add(sink, &b);
}

static mk_result failing_source(void *ctx, cat_conn_sink *sink)
{
    (void)ctx;
    (void)sink;
    return MK_RAISE(MK_E_STATE, "endpoint layer unavailable");
}

/* ctx selects the defect: 0 bad GUID, 1 over-long name, 2 bad UTF-8, 3 no id. */
static mk_result bad_record_source(void *ctx, cat_conn_sink *sink)
{
    static char long_name[600];
    memset(long_name, 'n', sizeof(long_name) - 1);
    cat_mirror_conn c = {.connection_id = "00000000-0000-4000-8000-000000000001"};
    switch (*(const int *)ctx) {
    case 0: c.connection_id = "not-a-guid"; break;
    case 1: c.principal_name = long_name; break;
    case 2: c.remote_user_name = "bad\xff"; break;
    default: c.connection_id = NULL; break;
    }
    return cat_conn_sink_add(sink, &c);
}

static void test_no_source_is_empty(void **state)
{
    cat_fx *fx = *state;
    mk_rowset *rs = query(fx, &sysadmin, NULL, 0, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 0);
    assert_int_equal(mk_rowset_ncols(rs), 19);
    mk_rowset_free(rs);
}

static void test_rows_descs_and_nulls(void **state)
{
    cat_fx *fx = *state;
    int calls = 0;
    cat_set_conn_source(fx->db, two_connections, &calls);
    mk_rowset *rs = query(fx, &sysadmin, NULL, 0, NULL, 0);
    assert_int_equal(calls, 1);
    assert_int_equal(mk_rowset_nrows(rs), 2);
    assert_text(rs, 0, "connection_id", "6F9619FF-8B86-D011-B42D-00C04FC964FF");
    assert_text(rs, 0, "state_desc", "LOGGED_IN");
    assert_text(rs, 0, "login_state_desc", "ONLINE");
    assert_text(rs, 0, "encryption_algorithm_desc", "AES");
    assert_text(rs, 0, "authentication_method", "CERTIFICATE");
    assert_num(rs, 0, "is_accept", 1);
    assert_num(rs, 0, "peer_certificate_id", 257);
    assert_num(rs, 0, "total_bytes_sent", 5000000000);
    assert_num(rs, 0, "login_time", 1700000000500);
    assert_text(rs, 1, "state_desc", "CONNECTING");
    assert_true(val(rs, 1, "login_time")->is_null);
    assert_true(val(rs, 1, "principal_name")->is_null);
    assert_true(val(rs, 1, "peer_certificate_id")->is_null);
    mk_rowset_free(rs);
}

static void test_filters_and_visibility(void **state)
{
    cat_fx *fx = *state;
    int calls = 0;
    cat_set_conn_source(fx->db, two_connections, &calls);
    cat_filter f = {"principal_name", CAT_OP_EQ, STR("host_b_login")};
    const char *cols[] = {"connection_id", "state"};
    mk_rowset *rs = query(fx, &sysadmin, cols, 2, &f, 1);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_int_equal(mk_rowset_ncols(rs), 2);
    assert_num(rs, 0, "state", 4);
    mk_rowset_free(rs);
    /* Live state needs VIEW SERVER STATE: others see nothing, and the source is not asked. */
    cat_session peer = {.login_id = 256, .user_id = 5};
    assert_int_equal(rows(fx, &peer), 0);
    assert_int_equal(calls, 1);
}

static void test_source_failures(void **state)
{
    cat_fx *fx = *state;
    int calls = 0;
    cat_set_conn_source(fx->db, failing_source, NULL);
    expect_error(fx, MK_E_STATE);
    assert_non_null(strstr(mk_error_message(), "endpoint layer unavailable"));
    for (int defect = 0; defect < 4; defect++) {
        cat_set_conn_source(fx->db, bad_record_source, &defect);
        expect_error(fx, MK_E_INVALID);
    }
    /* Unregistering leaves the view empty. */
    cat_set_conn_source(fx->db, two_connections, &calls);
    cat_set_conn_source(fx->db, NULL, &calls);
    assert_int_equal(rows(fx, &sysadmin), 0);
    assert_int_equal(calls, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, cat_fx_setup, cat_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_no_source_is_empty),
        T(test_rows_descs_and_nulls),
        T(test_filters_and_visibility),
        T(test_source_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
