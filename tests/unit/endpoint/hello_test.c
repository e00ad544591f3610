/*
 * Unit tests for HELLO / ACCEPT / REJECT (server/endpoint/src/hello.c):
 * round trips with exact bytes, truncation at every byte, trailing bytes,
 * bad magic, roles, versions, names and texts (length, UTF-8, controls),
 * and version negotiation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "endpoint/frame.h"
#include "endpoint/hello.h"

static void test_hello_round_trip(void **state)
{
    (void)state;
    ep_hello h = {.version_min = 1, .version_max = 3, .role = EP_HELLO_WITNESS};
    strcpy(h.instance, "HOST_W");
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(ep_hello_encode(&h, &b)));
    static const uint8_t want[] = {'M', 'K', 'E', 'P', 0,   1,   0,   3,
                                   2,   6,   'H', 'O', 'S', 'T', '_', 'W'};
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.data, want, sizeof(want));
    ep_hello g;
    assert_true(mk_ok(ep_hello_parse(b.data, b.len, &g)));
    assert_int_equal(g.version_min, 1);
    assert_int_equal(g.version_max, 3);
    assert_int_equal(g.role, EP_HELLO_WITNESS);
    assert_string_equal(g.instance, "HOST_W");
    uint16_t v = 0;
    assert_true(mk_ok(ep_hello_pick_version(&g, &v)));
    assert_int_equal(v, EP_PROTO_VERSION);
    for (size_t n = 0; n < b.len; n++) {
        assert_true(mk_failed(ep_hello_parse(b.data, n, &g)));
    }
    assert_true(mk_ok(mk_buf_put_u8(&b, 0)));
    assert_true(mk_failed(ep_hello_parse(b.data, b.len, &g)));
    mk_buf_cleanup(&b);
}

static void hello_bytes(uint8_t *out, size_t *len, uint16_t lo, uint16_t hi, uint8_t role,
                        const char *name, size_t name_len)
{
    static const uint8_t magic[4] = {'M', 'K', 'E', 'P'};
    uint8_t *p = out;
    memcpy(p, magic, sizeof(magic));
    p += sizeof(magic);
    *p++ = (uint8_t)(lo >> 8);
    *p++ = (uint8_t)lo;
    *p++ = (uint8_t)(hi >> 8);
    *p++ = (uint8_t)hi;
    *p++ = role;
    *p++ = (uint8_t)name_len;
    memcpy(p, name, name_len);
    *len = (size_t)(p - out) + name_len;
}

static void expect_hello_invalid(uint16_t lo, uint16_t hi, uint8_t role, const char *name, size_t n)
{
    uint8_t buf[300];
    size_t len = 0;
    ep_hello h;
    hello_bytes(buf, &len, lo, hi, role, name, n);
    assert_true(mk_failed(ep_hello_parse(buf, len, &h)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
}

static void test_hello_refusals(void **state)
{
    (void)state;
    expect_hello_invalid(1, 1, 0, "A", 1);
    expect_hello_invalid(1, 1, 3, "A", 1);
    expect_hello_invalid(0, 1, 1, "A", 1);
    expect_hello_invalid(2, 1, 1, "A", 1);
    expect_hello_invalid(1, 1, 1, "", 0);
    expect_hello_invalid(1, 1, 1, "A\nB", 3);
    expect_hello_invalid(1, 1, 1, "A\0B", 3);
    expect_hello_invalid(1, 1, 1, "\x7f", 1);
    expect_hello_invalid(1, 1, 1, "\xc0\x80", 2);         /* overlong NUL */
    expect_hello_invalid(1, 1, 1, "\xed\xa0\x80", 3);     /* surrogate */
    expect_hello_invalid(1, 1, 1, "\xc2\x85", 2);         /* C1 NEL */
    expect_hello_invalid(1, 1, 1, "\xf4\x90\x80\x80", 4); /* over U+10FFFF */
    expect_hello_invalid(1, 1, 1, "\xe2\x82", 2);         /* truncated sequence */
    char long_name[200];
    memset(long_name, 'n', sizeof(long_name));
    expect_hello_invalid(1, 1, 1, long_name, EP_NAME_MAX + 1);

    uint8_t buf[300];
    size_t len = 0;
    ep_hello h;
    hello_bytes(buf, &len, 1, 1, 1, long_name, EP_NAME_MAX);
    assert_true(mk_ok(ep_hello_parse(buf, len, &h)));
    assert_int_equal(strlen(h.instance), EP_NAME_MAX);
    hello_bytes(buf, &len, 1, 1, 1, "h\xc3\xa9llo-\xe2\x82\xac", 10);
    assert_true(mk_ok(ep_hello_parse(buf, len, &h)));
    buf[0] = 'X';
    assert_true(mk_failed(ep_hello_parse(buf, len, &h)));

    /* Version negotiation: no overlap with ours. */
    ep_hello future = {.version_min = EP_PROTO_VERSION + 1, .version_max = EP_PROTO_VERSION + 5};
    uint16_t v = 0;
    assert_true(mk_failed(ep_hello_pick_version(&future, &v)));
    /* Over the handshake cap before anything is read. */
    uint8_t big[EP_FRAME_HANDSHAKE_MAX + 1] = {0};
    assert_true(mk_failed(ep_hello_parse(big, sizeof(big), &h)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
}

static void test_hello_writer_refusals(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    ep_hello h = {.version_min = 1, .version_max = 1, .role = EP_HELLO_PARTNER};
    assert_true(mk_failed(ep_hello_encode(&h, &b))); /* empty name */
    strcpy(h.instance, "bad\tname");
    assert_true(mk_failed(ep_hello_encode(&h, &b)));
    strcpy(h.instance, "ok");
    h.role = 9;
    assert_true(mk_failed(ep_hello_encode(&h, &b)));
    h.role = EP_HELLO_PARTNER;
    h.version_min = 2;
    assert_true(mk_failed(ep_hello_encode(&h, &b)));
    assert_int_equal(b.len, 0);
    mk_buf_cleanup(&b);
}

static void test_accept(void **state)
{
    (void)state;
    ep_accept a = {.version = 1};
    strcpy(a.instance, "HOST_B");
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(ep_accept_encode(&a, &b)));
    static const uint8_t want[] = {'M', 'K', 'E', 'P', 0, 1, 6, 'H', 'O', 'S', 'T', '_', 'B'};
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.data, want, sizeof(want));
    ep_accept g;
    assert_true(mk_ok(ep_accept_parse(b.data, b.len, &g)));
    assert_string_equal(g.instance, "HOST_B");
    for (size_t n = 0; n < b.len; n++) {
        assert_true(mk_failed(ep_accept_parse(b.data, n, &g)));
    }
    uint8_t zero_version[sizeof(want)];
    memcpy(zero_version, want, sizeof(want));
    zero_version[5] = 0;
    assert_true(mk_failed(ep_accept_parse(zero_version, sizeof(zero_version), &g)));
    a.version = 0;
    assert_true(mk_failed(ep_accept_encode(&a, &b)));
    mk_buf_cleanup(&b);
}

static void test_reject(void **state)
{
    (void)state;
    ep_reject r = {.reason = EP_REJECT_NOT_AUTHORIZED};
    strcpy(r.text, "not authorized");
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(ep_reject_encode(&r, &b)));
    assert_int_equal(b.len, 4 + strlen("not authorized"));
    ep_reject g;
    assert_true(mk_ok(ep_reject_parse(b.data, b.len, &g)));
    assert_int_equal(g.reason, EP_REJECT_NOT_AUTHORIZED);
    assert_string_equal(g.text, "not authorized");
    assert_string_equal(ep_reject_reason_name(g.reason), "NOT_AUTHORIZED");
    for (size_t n = 0; n < b.len; n++) {
        assert_true(mk_failed(ep_reject_parse(b.data, n, &g)));
    }
    /* Empty text and unknown reasons are fine; long or control texts are not. */
    static const uint8_t empty[] = {0, 42, 0, 0};
    assert_true(mk_ok(ep_reject_parse(empty, sizeof(empty), &g)));
    assert_int_equal(g.reason, 42);
    assert_string_equal(g.text, "");
    assert_string_equal(ep_reject_reason_name(42), "?");
    uint8_t longer[4 + EP_REJECT_TEXT_MAX + 1];
    memset(longer, 'x', sizeof(longer));
    longer[0] = 0;
    longer[1] = 1;
    longer[2] = (uint8_t)((EP_REJECT_TEXT_MAX + 1) >> 8);
    longer[3] = (uint8_t)(EP_REJECT_TEXT_MAX + 1);
    assert_true(mk_failed(ep_reject_parse(longer, sizeof(longer), &g)));
    static const uint8_t esc[] = {0, 1, 0, 2, 0x1b, '['};
    assert_true(mk_failed(ep_reject_parse(esc, sizeof(esc), &g)));
    static const uint8_t trailing[] = {0, 1, 0, 1, 'a', 'b'};
    assert_true(mk_failed(ep_reject_parse(trailing, sizeof(trailing), &g)));
    strcpy(r.text, "line\nbreak");
    mk_buf_reset(&b);
    assert_true(mk_failed(ep_reject_encode(&r, &b)));
    mk_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_round_trip),
        cmocka_unit_test(test_hello_refusals),
        cmocka_unit_test(test_hello_writer_refusals),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_reject),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
