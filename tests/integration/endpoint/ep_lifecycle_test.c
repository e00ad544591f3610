/*
 * Endpoint lifecycle tests (server/endpoint): catalog changes applied at
 * once to the running endpoint and its live connections — REVOKE / GRANT /
 * DROP, STARTED / STOPPED / DISABLED, ROLE, port moves and a port in use
 * (7890), our own certificate missing (28036) or unusable (28055), and the
 * token going away and coming back (fail closed, then recover).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>

#include "ep_fixture.h"

#define A(f) (&(f)->inst[0])
#define B(f) (&(f)->inst[1])

static void partners(fx *f)
{
    fx_trust(B(f), A(f), true);
    fx_trust(A(f), B(f), true);
}

static void alter_endpoint(fx_inst *i, const cat_endpoint *v, unsigned fields)
{
    FX_OK(cat_endpoint_alter(i->db, "Mirroring", v, fields));
    ep_manager_changed(i->m);
}

/* REVOKE drops a live partner within a second; it stays out; GRANT lets it back. */
static void test_revoke_drops_grant_restores(void **state)
{
    fx *f = *state;
    partners(f);
    char id[40];
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_PARTNER, id));
    assert_true(fx_wait_count(A(f), true, 1, 2000));
    long mark = fx_log_mark(f);
    int64_t t0 = fx_now_ms();
    fx_perm(A(f), "HOST_B_login", 0, true);
    FX_OK(ep_manager_recheck(A(f)->m)); /* what the DDL hook does after REVOKE */
    assert_true(fx_wait_count(A(f), true, 0, 1000));
    assert_true(fx_wait_count(B(f), false, 0, 1000));
    assert_true(fx_now_ms() - t0 < 1500);
    FX_LOG_WAIT(f, mark, "HOST_A", "error 28034", "HOST_B_login");
    assert_false(ep_is_logged_in(B(f)->m, id));
    /* It stays out. */
    assert_true(mk_failed(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL)));
    fx_sleep_ms(300);
    assert_int_equal(ep_count_logged_in(A(f)->m, true), 0);
    /* GRANT again: back in. */
    fx_perm(A(f), "HOST_B_login", CAT_PERM_GRANT, false);
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_PARTNER, id));
    assert_true(fx_wait_count(A(f), true, 1, 2000));
    /* ALTER LOGIN DISABLE, then DROP of the peer's certificate, both drop it too. */
    FX_OK(cat_login_set_disabled(A(f)->db, "HOST_B_login", true));
    ep_manager_changed(A(f)->m);
    assert_true(fx_wait_count(A(f), true, 0, 1000));
    FX_OK(cat_login_set_disabled(A(f)->db, "HOST_B_login", false));
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL));
    assert_true(fx_wait_count(A(f), true, 1, 2000));
    mark = fx_log_mark(f);
    FX_OK(cat_cert_drop(A(f)->db, "HOST_B_peer_cert"));
    ep_manager_changed(A(f)->m);
    assert_true(fx_wait_count(A(f), true, 0, 1000));
    FX_LOG_WAIT(f, mark, "HOST_A", "error 28035", "not in the catalog");
}

/* STOPPED listens but refuses (and drops live ones); DISABLED does not listen. */
static void test_states_and_role(void **state)
{
    fx *f = *state;
    partners(f);
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL));
    assert_true(fx_wait_count(A(f), true, 1, 2000));
    cat_endpoint v = {.state = CAT_EP_STOPPED};
    alter_endpoint(A(f), &v, CAT_EPF_STATE);
    assert_true(fx_wait_count(A(f), true, 0, 1000));
    assert_int_equal(ep_manager_port(A(f)->m), A(f)->port);
    assert_true(mk_failed(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL)));
    assert_non_null(strstr(mk_error_message(), "STOPPED"));
    /* A STOPPED endpoint does not connect out either. */
    assert_true(mk_failed(fx_connect(A(f), B(f), EP_HELLO_PARTNER, NULL)));
    assert_int_equal(mk_error_code(), MK_E_STATE);

    v.state = CAT_EP_DISABLED;
    alter_endpoint(A(f), &v, CAT_EPF_STATE);
    assert_int_equal(ep_manager_port(A(f)->m), 0);
    int fd = -1;
    assert_true(mk_failed(net_connect("127.0.0.1", A(f)->port, 1000, &fd)));

    v.state = CAT_EP_STARTED;
    v.role = CAT_EP_WITNESS;
    alter_endpoint(A(f), &v, CAT_EPF_STATE | CAT_EPF_ROLE);
    assert_int_equal(ep_manager_port(A(f)->m), A(f)->port);
    assert_true(mk_failed(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL)));
    assert_non_null(strstr(mk_error_message(), "ROLE"));
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_WITNESS, NULL));
    assert_true(fx_wait_count(A(f), true, 1, 2000));
    /* ROLE = PARTNER now: the live witness is dropped, partners get in. */
    v.role = CAT_EP_PARTNER;
    alter_endpoint(A(f), &v, CAT_EPF_ROLE);
    assert_true(fx_wait_count(A(f), true, 0, 1000));
    assert_true(mk_failed(fx_connect(B(f), A(f), EP_HELLO_WITNESS, NULL)));
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL));
    /* DROP ENDPOINT: not listening, live ones dropped. */
    FX_OK(cat_endpoint_drop(A(f)->db, "Mirroring"));
    ep_manager_changed(A(f)->m);
    assert_int_equal(ep_manager_port(A(f)->m), 0);
    assert_true(fx_wait_count(A(f), true, 0, 1000));
}

/* A new port moves the listener at once; a port someone else holds is 7890. */
static void test_port_move_and_in_use(void **state)
{
    fx *f = *state;
    partners(f);
    uint16_t old = A(f)->port;
    cat_endpoint v = {.port = fx_free_port()};
    alter_endpoint(A(f), &v, CAT_EPF_PORT);
    A(f)->port = (uint16_t)v.port;
    assert_int_equal(ep_manager_port(A(f)->m), v.port);
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL));
    int fd = -1;
    assert_true(mk_failed(net_connect("127.0.0.1", old, 1000, &fd)));

    int busy = -1;
    uint16_t busy_port = 0;
    FX_OK(net_listen("127.0.0.1", 0, &busy, &busy_port));
    long mark = fx_log_mark(f);
    v.port = busy_port;
    FX_OK(cat_endpoint_alter(A(f)->db, "Mirroring", &v, CAT_EPF_PORT));
    ep_apply_error why = EP_APPLY_OK;
    assert_true(mk_failed(ep_manager_apply(A(f)->m, &why)));
    assert_int_equal(why, EP_APPLY_PORT_IN_USE);
    assert_int_equal(ep_manager_port(A(f)->m), 0);
    FX_LOG_WAIT(f, mark, "error 7890");
    close(busy);
    FX_OK(ep_manager_apply(A(f)->m, &why));
    assert_int_equal(ep_manager_port(A(f)->m), busy_port);
}

/* Our certificate: none (28036), outside its validity or key not on the token (28055). */
static void test_own_certificate_errors(void **state)
{
    fx *f = *state;
    partners(f);
    ep_apply_error why = EP_APPLY_OK;
    long mark = fx_log_mark(f);
    cat_endpoint v = {.connection_auth = 1, .certificate_id = 0}; /* not CERTIFICATE */
    FX_OK(cat_endpoint_alter(A(f)->db, "Mirroring", &v, CAT_EPF_AUTH));
    assert_true(mk_failed(ep_manager_apply(A(f)->m, &why)));
    assert_int_equal(why, EP_APPLY_NO_CERT);
    assert_int_equal(ep_manager_port(A(f)->m), 0);
    FX_LOG_WAIT(f, mark, "error 28036");

    /* Expired, with its key on the token. */
    p11_key *k = NULL;
    mk_buf der;
    mk_buf_init(&der, 0);
    int64_t now = fx_now_ms();
    fx_make_cert(f, A(f), "old_cert", now - 30 * FX_DAY_MS, now - FX_DAY_MS, &k, &der);
    v.connection_auth = CAT_EP_AUTH_CERTIFICATE;
    v.certificate_id = fx_add_own_cert(A(f), "old_cert", k, &der);
    mark = fx_log_mark(f);
    FX_OK(cat_endpoint_alter(A(f)->db, "Mirroring", &v, CAT_EPF_AUTH));
    assert_true(mk_failed(ep_manager_apply(A(f)->m, &why)));
    assert_int_equal(why, EP_APPLY_BAD_CERT);
    FX_LOG_WAIT(f, mark, "error 28055", "old_cert", "expired");
    assert_int_equal(ep_manager_port(A(f)->m), 0);

    /* 'HS' but the key is not on this token (B's certificate recorded as ours). */
    cat_cert_new c = {.name = "stray_cert",
                      .owner_id = CAT_DEFAULT_OWNER,
                      .der = B(f)->der.data,
                      .der_len = B(f)->der.len,
                      .token_id = (const uint8_t *)"0123456789abcdef",
                      .token_id_len = 16,
                      .token_label = "stray"};
    FX_OK(cat_cert_drop(A(f)->db, "HOST_B_peer_cert"));
    FX_OK(cat_cert_create(A(f)->db, &c, &v.certificate_id));
    mark = fx_log_mark(f);
    FX_OK(cat_endpoint_alter(A(f)->db, "Mirroring", &v, CAT_EPF_AUTH));
    assert_true(mk_failed(ep_manager_apply(A(f)->m, &why)));
    assert_int_equal(why, EP_APPLY_BAD_CERT);
    FX_LOG_WAIT(f, mark, "error 28055", "stray_cert", "not usable");

    /* Back to the good one: listening again. */
    v.certificate_id = A(f)->cert_id;
    FX_OK(cat_endpoint_alter(A(f)->db, "Mirroring", &v, CAT_EPF_AUTH));
    FX_OK(ep_manager_apply(A(f)->m, &why));
    assert_int_equal(ep_manager_port(A(f)->m), A(f)->port);
    p11_key_unref(k);
    mk_buf_cleanup(&der);
}

/* Whether file path holds the bytes of s. */
static bool file_has(const char *path, const char *s)
{
    static char buf[64 * 1024];
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return false;
    }
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    size_t k = strlen(s);
    for (size_t i = 0; k <= n && i <= n - k; i++) {
        if (memcmp(buf + i, s, k) == 0) {
            return true;
        }
    }
    return false;
}

/* Path of the token's own directory in the store (the one whose token.object names label). */
static void token_dir_of(fx *f, const char *label, char *out, size_t cap)
{
    char path[1600];
    bool found = false;
    DIR *d = opendir(f->hsm.tokendir);
    assert_non_null(d);
    for (struct dirent *e = readdir(d); e != NULL && !found; e = readdir(d)) {
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s/token.object", f->hsm.tokendir, e->d_name);
        if (file_has(path, label)) {
            snprintf(out, cap, "%s/%s", f->hsm.tokendir, e->d_name);
            found = true;
        }
    }
    closedir(d);
    assert_true(found);
}

/* A's token goes away: A refuses (fail closed, logged); it comes back: A serves again. */
static void test_token_loss_fails_closed(void **state)
{
    fx *f = *state;
    partners(f);
    char dir[1024];
    char away[1024];
    token_dir_of(f, "EP_A", dir, sizeof(dir));
    /* Out of the token store (SoftHSM2 would find it under any name inside). */
    snprintf(away, sizeof(away), "%s/EP_A.away", f->hsm.dir);
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL));
    long mark = fx_log_mark(f);
    assert_int_equal(mk_sh("mv '%s' '%s'", dir, away), 0);
    assert_true(mk_failed(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL)));
    FX_LOG_WAIT(f, mark, "HOST_A", "token unavailable", "fail closed");
    assert_true(mk_failed(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL)));
    assert_int_equal(mk_sh("mv '%s' '%s'", away, dir), 0);
    mark = fx_log_mark(f);
    FX_OK(fx_connect(B(f), A(f), EP_HELLO_PARTNER, NULL));
    FX_LOG_WAIT(f, mark, "token available again");
    assert_true(fx_wait_count(A(f), true, 1, 2000) || fx_wait_count(A(f), true, 2, 2000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_revoke_drops_grant_restores, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_states_and_role, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_port_move_and_in_use, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_own_certificate_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_token_loss_fails_closed, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
