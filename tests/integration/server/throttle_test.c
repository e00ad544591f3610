/*
 * Unit tests for the login throttle (server/main/src/throttle.c): the delay
 * sequence and its cap, per-address independence, forgetting on success and
 * after the quiet window, the bounded table, address extraction from peers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "srv/throttle.h"

static srv_throttle *make(unsigned first, unsigned cap, unsigned forget, size_t entries)
{
    srv_throttle_policy p = {
        .first_delay_ms = first, .max_delay_ms = cap, .forget_ms = forget, .max_entries = entries};
    srv_throttle *t = NULL;
    assert_true(mk_ok(srv_throttle_new(&p, &t)));
    return t;
}

static void test_sequence_and_cap(void **state)
{
    (void)state;
    srv_throttle *t = make(1000, 8000, 600000, 16);
    const unsigned want[] = {0, 1000, 2000, 4000, 8000, 8000, 8000};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(srv_throttle_peek(t, "10.0.0.1", 1000), want[i]);
        assert_int_equal(srv_throttle_fail(t, "10.0.0.1", 1000), want[i]);
    }
    /* Many more failures never overflow past the cap. */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(srv_throttle_fail(t, "10.0.0.1", 1000), 8000);
    }
    srv_throttle_free(t);
}

static void test_addresses_are_independent(void **state)
{
    (void)state;
    srv_throttle *t = make(1000, 8000, 600000, 16);
    assert_int_equal(srv_throttle_fail(t, "10.0.0.1", 0), 0);
    assert_int_equal(srv_throttle_fail(t, "10.0.0.1", 0), 1000);
    assert_int_equal(srv_throttle_fail(t, "10.0.0.2", 0), 0);
    assert_int_equal(srv_throttle_fail(t, "::1", 0), 0);
    assert_int_equal(srv_throttle_fail(t, "10.0.0.1", 0), 2000);
    assert_int_equal(srv_throttle_count(t), 3);
    srv_throttle_free(t);
}

static void test_success_forgets(void **state)
{
    (void)state;
    srv_throttle *t = make(1000, 8000, 600000, 16);
    for (int i = 0; i < 4; i++) {
        (void)srv_throttle_fail(t, "10.0.0.1", 0);
    }
    assert_int_equal(srv_throttle_peek(t, "10.0.0.1", 0), 8000);
    srv_throttle_success(t, "10.0.0.1");
    assert_int_equal(srv_throttle_peek(t, "10.0.0.1", 0), 0);
    assert_int_equal(srv_throttle_fail(t, "10.0.0.1", 0), 0);
    /* Success for an unknown address is harmless. */
    srv_throttle_success(t, "192.0.2.9");
    srv_throttle_free(t);
}

static void test_quiet_window_forgets(void **state)
{
    (void)state;
    srv_throttle *t = make(1000, 8000, 60000, 16);
    assert_int_equal(srv_throttle_fail(t, "a", 0), 0);
    assert_int_equal(srv_throttle_fail(t, "a", 30000), 1000);
    /* The window counts from the last failure. */
    assert_int_equal(srv_throttle_fail(t, "a", 89000), 2000);
    assert_int_equal(srv_throttle_peek(t, "a", 89000 + 60000), 4000);
    assert_int_equal(srv_throttle_peek(t, "a", 89000 + 60001), 0);
    assert_int_equal(srv_throttle_fail(t, "a", 89000 + 60001), 0);
    srv_throttle_free(t);
}

static void test_table_is_bounded(void **state)
{
    (void)state;
    srv_throttle *t = make(1000, 8000, 600000, 4);
    char addr[32];
    for (int i = 0; i < 100; i++) {
        snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 256, i % 256);
        (void)srv_throttle_fail(t, addr, i);
        (void)srv_throttle_fail(t, addr, i);
    }
    assert_int_equal(srv_throttle_count(t), 4);
    /* The newest addresses are kept, the oldest were evicted. */
    assert_int_equal(srv_throttle_peek(t, "10.0.0.99", 100), 2000);
    assert_int_equal(srv_throttle_peek(t, "10.0.0.0", 100), 0);
    srv_throttle_free(t);
}

static void test_long_address_is_cut(void **state)
{
    (void)state;
    srv_throttle *t = make(1000, 8000, 600000, 4);
    char longaddr[200];
    memset(longaddr, 'x', sizeof(longaddr) - 1);
    longaddr[sizeof(longaddr) - 1] = '\0';
    assert_int_equal(srv_throttle_fail(t, longaddr, 0), 0);
    assert_int_equal(srv_throttle_fail(t, longaddr, 0), 1000);
    assert_int_equal(srv_throttle_fail(t, NULL, 0), 0);
    srv_throttle_free(t);
}

static void test_bad_policy(void **state)
{
    (void)state;
    srv_throttle *t = NULL;
    srv_throttle_policy p = srv_throttle_policy_default();
    p.max_entries = 0;
    assert_true(mk_failed(srv_throttle_new(&p, &t)));
    p = srv_throttle_policy_default();
    p.max_delay_ms = p.first_delay_ms - 1;
    assert_true(mk_failed(srv_throttle_new(&p, &t)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    srv_throttle_free(NULL);
}

static void test_peer_address(void **state)
{
    (void)state;
    char out[64];
    srv_peer_address("127.0.0.1:40000", out, sizeof(out));
    assert_string_equal(out, "127.0.0.1");
    srv_peer_address("::1:5678", out, sizeof(out));
    assert_string_equal(out, "::1");
    srv_peer_address("noport", out, sizeof(out));
    assert_string_equal(out, "noport");
    srv_peer_address(NULL, out, sizeof(out));
    assert_string_equal(out, "");
    char tiny[4];
    srv_peer_address("192.168.1.1:1", tiny, sizeof(tiny));
    assert_string_equal(tiny, "192");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence_and_cap), cmocka_unit_test(test_addresses_are_independent),
        cmocka_unit_test(test_success_forgets),  cmocka_unit_test(test_quiet_window_forgets),
        cmocka_unit_test(test_table_is_bounded), cmocka_unit_test(test_long_address_is_cut),
        cmocka_unit_test(test_bad_policy),       cmocka_unit_test(test_peer_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
