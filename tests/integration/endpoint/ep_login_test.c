/*
 * Endpoint login tests (server/endpoint): who gets in and who does not.
 * Three in-process instances with their own SoftHSM2 tokens and catalogs;
 * refusals are proven by the SQL Server number in the captured log and by
 * the connection counts, each next to a positive control that shows the
 * same path can succeed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ep_fixture.h"
#include "ep_raw_client.h"

#define A(f) (&(f)->inst[0])
#define B(f) (&(f)->inst[1])
#define C(f) (&(f)->inst[2])

/* Column index of name in the dm view. */
static size_t col(const mk_rowset *rs, const char *name)
{
    for (size_t k = 0; k < mk_rowset_ncols(rs); k++) {
        if (strcmp(mk_rowset_column(rs, k)->name, name) == 0) {
            return k;
        }
    }
    fail_msg("no column %s", name);
    return 0;
}

static const char *text(const mk_rowset *rs, size_t row, const char *name, char *buf, size_t cap)
{
    const mk_value *v = mk_rowset_value(rs, row, col(rs, name));
    if (v->is_null) {
        return NULL;
    }
    snprintf(buf, cap, "%.*s", (int)v->len, (const char *)v->bytes);
    return buf;
}

static int64_t num(const mk_rowset *rs, size_t row, const char *name)
{
    const mk_value *v = mk_rowset_value(rs, row, col(rs, name));
    assert_false(v->is_null);
    return v->i;
}

static mk_rowset *dm_view(fx_inst *i)
{
    mk_rowset *rs = NULL;
    cat_session admin = {.is_sysadmin = true, .login_id = i->admin_id, .user_id = -1};
    const cat_view *v = cat_view_find_name("sys.dm_db_mirroring_connections");
    assert_non_null(v);
    FX_OK(cat_query(i->db, v, &admin, NULL, 0, NULL, 0, &rs));
    return rs;
}

/* The logged-in row of direction is_accept, checked column by column. */
static void check_row(fx_inst *i, bool is_accept, const char *principal, int32_t peer_cert,
                      int64_t min_receives)
{
    char buf[200];
    mk_rowset *rs = dm_view(i);
    size_t found = 0;
    for (size_t r = 0; r < mk_rowset_nrows(rs); r++) {
        if (num(rs, r, "is_accept") != (is_accept ? 1 : 0) || num(rs, r, "state") != 4) {
            continue;
        }
        found++;
        assert_string_equal(text(rs, r, "state_desc", buf, sizeof(buf)), "LOGGED_IN");
        assert_string_equal(text(rs, r, "authentication_method", buf, sizeof(buf)), "CERTIFICATE");
        assert_string_equal(text(rs, r, "principal_name", buf, sizeof(buf)), principal);
        assert_string_equal(text(rs, r, "login_state_desc", buf, sizeof(buf)), "ONLINE");
        assert_string_equal(text(rs, r, "encryption_algorithm_desc", buf, sizeof(buf)), "AES");
        assert_int_equal(num(rs, r, "peer_certificate_id"), peer_cert);
        assert_true(num(rs, r, "login_time") >= num(rs, r, "connect_time"));
        assert_true(num(rs, r, "last_activity_time") >= num(rs, r, "login_time"));
        assert_true(num(rs, r, "total_receives") >= min_receives);
        assert_true(num(rs, r, "total_sends") >= min_receives);
        assert_true(num(rs, r, "total_bytes_received") >=
                    min_receives * (EP_FRAME_HEADER_LEN + EP_FRAME_HEARTBEAT_LEN));
        assert_int_equal(strlen(text(rs, r, "connection_id", buf, sizeof(buf))), 36);
    }
    assert_int_equal(found, 1);
    mk_rowset_free(rs);
}

/* A and B trust each other; both directions log in and exchange heartbeats. */
static void test_partners_log_in_with_heartbeats(void **state)
{
    fx *f = *state;
    int32_t b_on_a = fx_trust(B(f), A(f), true);
    int32_t a_on_b = fx_trust(A(f), B(f), true);
    char id_ba[40], id_ab[40];
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_PARTNER, id_ba));
    FX_OK(fx_connect(A(f), B(f), EP_HELLO_PARTNER, id_ab));
    assert_true(ep_is_logged_in(B(f)->m, id_ba));
    assert_true(fx_wait_count(A(f), true, 1, 2000));
    assert_true(fx_wait_count(B(f), true, 1, 2000));
    assert_int_equal(ep_count_logged_in(A(f)->m, false), 1);
    /* Heartbeats every 200 ms: after a second each side has received several. */
    fx_sleep_ms(1000);
    check_row(A(f), true, "HOST_B_user", b_on_a, 3);
    check_row(A(f), false, "HOST_B_user", b_on_a, 3);
    check_row(B(f), true, "HOST_A_user", a_on_b, 3);
    check_row(B(f), false, "HOST_A_user", a_on_b, 3);
    /* Idle for longer than the idle timeout would allow without heartbeats: still up. */
    fx_sleep_ms(2200);
    assert_true(ep_is_logged_in(B(f)->m, id_ba));
    assert_true(ep_is_logged_in(A(f)->m, id_ab));
    /* Witness role on an ALL endpoint is admitted too. */
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_WITNESS, NULL));
    assert_true(fx_wait_count(A(f), true, 2, 2000));
}

/* C has a valid certificate of its own, but A never imported it: 28035. */
static void test_intruder_unknown_certificate(void **state)
{
    fx *f = *state;
    fx_trust(A(f), C(f), true); /* C would accept A, so only A's check can refuse */
    long mark = fx_log_mark(f);
    assert_true(mk_failed(fx_connect(C(f), A(f), EP_HELLO_PARTNER, NULL)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
    assert_non_null(strstr(mk_error_message(), "NOT_AUTHORIZED"));
    FX_LOG_WAIT(f, mark, "HOST_A", "error 28035", "not in the catalog");
    assert_int_equal(ep_count_logged_in(A(f)->m, true), 0);
    /* Control: once A imports and grants C, the same connection logs in. */
    fx_trust(C(f), A(f), true);
    FX_OK(fx_connect(C(f), A(f), EP_HELLO_PARTNER, NULL));
    assert_true(fx_wait_count(A(f), true, 1, 2000));
}

/* Imported but not granted (and later denied, and disabled): 28034. */
static void test_not_granted_denied_disabled(void **state)
{
    fx *f = *state;
    fx_trust(A(f), B(f), true);
    fx_trust(B(f), A(f), false);
    long mark = fx_log_mark(f);
    assert_true(mk_failed(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL)));
    FX_LOG_WAIT(f, mark, "HOST_A", "error 28034", "HOST_B_login", "no CONNECT");
    fx_perm(A(f), "HOST_B_login", CAT_PERM_GRANT, false);
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL));
    fx_perm(A(f), "HOST_B_login", CAT_PERM_DENY, false);
    mark = fx_log_mark(f);
    assert_true(mk_failed(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL)));
    FX_LOG_WAIT(f, mark, "HOST_A", "error 28034", "HOST_B_login");
    fx_perm(A(f), "HOST_B_login", CAT_PERM_GRANT, false);
    FX_OK(cat_login_set_disabled(A(f)->db, "HOST_B_login", true));
    mark = fx_log_mark(f);
    assert_true(mk_failed(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL)));
    FX_LOG_WAIT(f, mark, "HOST_A", "error 28034", "disabled");
    /* Outbound: B refuses A's certificate when B's own catalog lacks the grant. */
    FX_OK(cat_login_set_disabled(A(f)->db, "HOST_B_login", false));
    fx_perm(B(f), "HOST_A_login", 0, true);
    mark = fx_log_mark(f);
    assert_true(mk_failed(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL)));
    FX_LOG_WAIT(f, mark, "HOST_B", "error 28034", "outbound", "HOST_A_login");
}

/* A peer certificate that expired yesterday (imported and granted): 28035. */
static void test_expired_peer_certificate(void **state)
{
    fx *f = *state;
    raw_client ok = {0}, old = {0};
    mk_buf der;
    mk_buf_init(&der, 0);
    raw_identity(&ok, "fresh", -3600, 86400);
    raw_identity(&old, "expired", -2L * 86400, -86400);
    raw_der(&ok, &der);
    fx_import(A(f), "fresh", der.data, der.len, true);
    mk_buf_reset(&der);
    raw_der(&old, &der);
    fx_import(A(f), "expired", der.data, der.len, true);
    assert_int_equal(raw_login(&ok, A(f)->port), RAW_ACCEPTED);
    long mark = fx_log_mark(f);
    assert_int_equal(raw_login(&old, A(f)->port), RAW_REJECTED);
    FX_LOG_WAIT(f, mark, "HOST_A", "error 28035", "has expired");
    raw_free(&ok);
    raw_free(&old);
    mk_buf_cleanup(&der);
}

/* TLS 1.2, ChaCha20-only and certificate-less clients never reach HELLO. */
static void test_tls_profile_refusals(void **state)
{
    fx *f = *state;
    raw_client rc = {0};
    mk_buf der;
    mk_buf_init(&der, 0);
    raw_identity(&rc, "raw", -3600, 86400);
    raw_der(&rc, &der);
    fx_import(A(f), "raw", der.data, der.len, true);
    /* Control: TLS 1.3 with AES-GCM and a granted certificate logs in. */
    rc.suites = "TLS_AES_128_GCM_SHA256";
    assert_int_equal(raw_login(&rc, A(f)->port), RAW_ACCEPTED);

    long mark = fx_log_mark(f);
    rc.max_version = TLS1_2_VERSION;
    rc.suites = NULL;
    assert_int_equal(raw_login(&rc, A(f)->port), RAW_TLS_REFUSED);
    FX_LOG_WAIT(f, mark, "HOST_A", "TLS handshake", "unsupported protocol");

    mark = fx_log_mark(f);
    rc.max_version = TLS1_3_VERSION;
    rc.suites = "TLS_CHACHA20_POLY1305_SHA256";
    assert_int_equal(raw_login(&rc, A(f)->port), RAW_TLS_REFUSED);
    FX_LOG_WAIT(f, mark, "HOST_A", "TLS handshake", "no shared cipher");

    mark = fx_log_mark(f);
    X509 *cert = rc.cert;
    rc.cert = NULL;
    rc.suites = NULL;
    assert_int_equal(raw_login(&rc, A(f)->port), RAW_TLS_REFUSED);
    FX_LOG_WAIT(f, mark, "HOST_A", "TLS handshake", "certificate");
    rc.cert = cert;
    assert_true(fx_wait_count(A(f), true, 0, 2000));
    raw_free(&rc);
    mk_buf_cleanup(&der);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_partners_log_in_with_heartbeats, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_intruder_unknown_certificate, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_not_granted_denied_disabled, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_expired_peer_certificate, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tls_profile_refusals, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
