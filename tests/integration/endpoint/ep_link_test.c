/*
 * Kept links (server/endpoint/src/keeper.c), what mirroring sessions build
 * on: a partner keeps one authenticated connection with heartbeats; when the
 * other side stops, revokes or restarts its endpoint the link goes down and
 * comes back by itself with backoff once it is allowed again; removing the
 * link closes it for good.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ep_fixture.h"

#define A(f) (&(f)->inst[0])
#define B(f) (&(f)->inst[1])

static void test_link_survives_and_recovers(void **state)
{
    fx *f = *state;
    fx_trust(B(f), A(f), true);
    fx_trust(A(f), B(f), true);
    char addr[64];
    snprintf(addr, sizeof(addr), "TCP://127.0.0.1:%u", (unsigned)B(f)->port);
    FX_OK(ep_link_add(A(f)->m, addr, EP_HELLO_PARTNER));
    assert_true(mk_failed(ep_link_add(A(f)->m, addr, EP_HELLO_PARTNER)));
    assert_int_equal(mk_error_code(), MK_E_EXISTS);
    assert_true(fx_wait_link(A(f), addr, true, 3000));
    assert_true(fx_wait_count(B(f), true, 1, 2000));
    /* One connection, kept over several heartbeat periods. */
    fx_sleep_ms(1000);
    assert_int_equal(ep_link_logins(A(f)->m, addr), 1);
    assert_int_equal(ep_count_logged_in(A(f)->m, false), 1);

    /* B stops its endpoint: the link drops and keeps trying (refused). */
    cat_endpoint v = {.state = CAT_EP_STOPPED};
    FX_OK(cat_endpoint_alter(B(f)->db, "Mirroring", &v, CAT_EPF_STATE));
    ep_manager_changed(B(f)->m);
    assert_true(fx_wait_link(A(f), addr, false, 2000));
    fx_sleep_ms(800);
    assert_false(ep_link_up(A(f)->m, addr));
    /* B starts again: back by itself. */
    v.state = CAT_EP_STARTED;
    FX_OK(cat_endpoint_alter(B(f)->db, "Mirroring", &v, CAT_EPF_STATE));
    ep_manager_changed(B(f)->m);
    assert_true(fx_wait_link(A(f), addr, true, 10000));
    assert_int_equal(ep_link_logins(A(f)->m, addr), 2);

    /* B revokes A's CONNECT: down, refused while revoked, back after GRANT. */
    fx_perm(B(f), "HOST_A_login", 0, true);
    FX_OK(ep_manager_recheck(B(f)->m));
    assert_true(fx_wait_link(A(f), addr, false, 2000));
    fx_sleep_ms(800);
    assert_int_equal(ep_count_logged_in(B(f)->m, true), 0);
    fx_perm(B(f), "HOST_A_login", CAT_PERM_GRANT, false);
    assert_true(fx_wait_link(A(f), addr, true, 10000));
    assert_int_equal(ep_link_logins(A(f)->m, addr), 3);

    /* Removed: closed and not re-established. */
    FX_OK(ep_link_remove(A(f)->m, addr));
    assert_true(fx_wait_count(B(f), true, 0, 2000));
    fx_sleep_ms(600);
    assert_int_equal(ep_count_logged_in(B(f)->m, true), 0);
    assert_true(mk_failed(ep_link_remove(A(f)->m, addr)));
    assert_true(mk_failed(ep_link_add(A(f)->m, "TCP://no port", EP_HELLO_PARTNER)));
}

/* A witness link to an endpoint with ROLE = WITNESS; a partner link there never comes up. */
static void test_witness_link_and_role(void **state)
{
    fx *f = *state;
    fx_trust(B(f), A(f), true);
    fx_trust(A(f), B(f), true);
    cat_endpoint v = {.role = CAT_EP_WITNESS};
    FX_OK(cat_endpoint_alter(B(f)->db, "Mirroring", &v, CAT_EPF_ROLE));
    ep_manager_changed(B(f)->m);
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp://127.0.0.1:%u", (unsigned)B(f)->port);
    FX_OK(ep_link_add(A(f)->m, addr, EP_HELLO_PARTNER));
    fx_sleep_ms(1000);
    assert_false(ep_link_up(A(f)->m, addr));
    FX_OK(ep_link_remove(A(f)->m, addr));
    FX_OK(ep_link_add(A(f)->m, addr, EP_HELLO_WITNESS));
    assert_true(fx_wait_link(A(f), addr, true, 3000));
    /* Teardown with a live link: the manager stops its keeper first. */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_link_survives_and_recovers, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_witness_link_and_role, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
