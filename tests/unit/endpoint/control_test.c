/*
 * Unit tests for session control messages (server/endpoint/src/control.c):
 * exact bytes of each op, round trips, truncation at every byte, trailing
 * bytes, unknown ops, empty and oversized names, bad witness addresses,
 * control characters, and writers refusing what readers refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "endpoint/control.h"
#include "endpoint/frame.h"

/* Encode m, compare with want, parse back, and refuse every truncation and a trailing byte. */
static void round_trip(const ep_control *m, const uint8_t *want, size_t want_len)
{
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(ep_control_encode(m, &b)));
    assert_int_equal(b.len, want_len);
    assert_memory_equal(b.data, want, want_len);
    ep_control g;
    assert_true(mk_ok(ep_control_parse(b.data, b.len, &g)));
    assert_int_equal(g.op, m->op);
    assert_string_equal(g.database, m->database);
    assert_string_equal(g.witness, m->witness);
    assert_int_equal(g.number, m->number);
    assert_string_equal(g.text, m->text);
    for (size_t n = 0; n < b.len; n++) {
        assert_true(mk_failed(ep_control_parse(b.data, n, &g)));
    }
    assert_true(mk_ok(mk_buf_put_u8(&b, 0)));
    assert_true(mk_failed(ep_control_parse(b.data, b.len, &g)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    mk_buf_cleanup(&b);
}

static void test_join_and_leave(void **state)
{
    (void)state;
    ep_control m = {.op = EP_CTL_JOIN};
    strcpy(m.database, "mk_db");
    static const uint8_t join[] = {1, 5, 'm', 'k', '_', 'd', 'b'};
    round_trip(&m, join, sizeof(join));
    m.op = EP_CTL_LEAVE;
    static const uint8_t leave[] = {2, 5, 'm', 'k', '_', 'd', 'b'};
    round_trip(&m, leave, sizeof(leave));
    assert_string_equal(ep_control_op_name(EP_CTL_LEAVE), "LEAVE");
    assert_string_equal(ep_control_op_name(99), "?");
}

static void test_set_witness(void **state)
{
    (void)state;
    ep_control m = {.op = EP_CTL_SET_WITNESS};
    strcpy(m.database, "d");
    strcpy(m.witness, "TCP://w:7");
    static const uint8_t on[] = {3, 1, 'd', 9, 'T', 'C', 'P', ':', '/', '/', 'w', ':', '7'};
    round_trip(&m, on, sizeof(on));
    m.witness[0] = '\0';
    static const uint8_t off[] = {3, 1, 'd', 0};
    round_trip(&m, off, sizeof(off));
}

static void test_result(void **state)
{
    (void)state;
    ep_control m = {.op = EP_CTL_RESULT, .number = 1416};
    strcpy(m.text, "no");
    static const uint8_t want[] = {4, 0, 0, 0x05, 0x88, 0, 2, 'n', 'o'};
    round_trip(&m, want, sizeof(want));
    m.number = 0;
    m.text[0] = '\0';
    static const uint8_t ok[] = {4, 0, 0, 0, 0, 0, 0};
    round_trip(&m, ok, sizeof(ok));
}

static void test_bad_messages(void **state)
{
    (void)state;
    ep_control g;
    static const uint8_t unknown[] = {9, 1, 'd'};
    assert_true(mk_failed(ep_control_parse(unknown, sizeof(unknown), &g)));
    static const uint8_t empty_db[] = {1, 0};
    assert_true(mk_failed(ep_control_parse(empty_db, sizeof(empty_db), &g)));
    static const uint8_t ctl_db[] = {1, 2, 'a', '\n'};
    assert_true(mk_failed(ep_control_parse(ctl_db, sizeof(ctl_db), &g)));
    static const uint8_t bad_utf8[] = {2, 2, 0xc0, 0x80};
    assert_true(mk_failed(ep_control_parse(bad_utf8, sizeof(bad_utf8), &g)));
    static const uint8_t bad_addr[] = {3, 1, 'd', 4, 'h', ':', '9', '9'};
    assert_true(mk_failed(ep_control_parse(bad_addr, sizeof(bad_addr), &g)));
    static const uint8_t big_text[] = {4, 0, 0, 0, 0, 0x01, 0x01};
    assert_true(mk_failed(ep_control_parse(big_text, sizeof(big_text), &g)));
    assert_true(mk_failed(ep_control_parse(unknown, 0, &g)));
    uint8_t huge[EP_FRAME_CONTROL_MAX + 1];
    memset(huge, 'a', sizeof(huge));
    assert_true(mk_failed(ep_control_parse(huge, sizeof(huge), &g)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
}

static void test_writer_refuses(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    ep_control m = {.op = EP_CTL_JOIN};
    assert_true(mk_failed(ep_control_encode(&m, &b))); /* empty database */
    memset(m.database, 'x', EP_DB_NAME_MAX + 1);       /* not terminated within the cap */
    m.database[EP_DB_NAME_MAX] = 'x';
    assert_true(mk_failed(ep_control_encode(&m, &b)));
    strcpy(m.database, "d\x7f");
    assert_true(mk_failed(ep_control_encode(&m, &b)));
    m.op = EP_CTL_SET_WITNESS;
    strcpy(m.database, "d");
    strcpy(m.witness, "udp://w:1");
    assert_true(mk_failed(ep_control_encode(&m, &b)));
    m.op = 0;
    assert_true(mk_failed(ep_control_encode(&m, &b)));
    assert_int_equal(b.len, 0);
    mk_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_and_leave), cmocka_unit_test(test_set_witness),
        cmocka_unit_test(test_result),         cmocka_unit_test(test_bad_messages),
        cmocka_unit_test(test_writer_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
