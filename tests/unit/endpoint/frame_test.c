/*
 * Unit tests for the endpoint frame reader and writer (server/endpoint/src/
 * frame.c): round trips, truncation at every byte, caps per type, reserved
 * fields, stream ids, and that the writer refuses what the reader refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "endpoint/frame.h"

static void put_header(uint8_t *h, uint8_t type, uint8_t flags, uint32_t stream, uint32_t len)
{
    h[0] = type;
    h[1] = flags;
    h[2] = (uint8_t)(stream >> 24);
    h[3] = (uint8_t)(stream >> 16);
    h[4] = (uint8_t)(stream >> 8);
    h[5] = (uint8_t)stream;
    h[6] = (uint8_t)(len >> 24);
    h[7] = (uint8_t)(len >> 16);
    h[8] = (uint8_t)(len >> 8);
    h[9] = (uint8_t)len;
}

static void test_round_trip_and_layout(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    const uint8_t payload[5] = {1, 2, 3, 4, 5};
    const uint8_t hb[8] = {0, 0, 0, 0, 0, 0, 0, 7};
    assert_true(mk_ok(ep_frame_encode(&b, EP_FRAME_PAYLOAD, 0x01020304, payload, 5)));
    assert_true(mk_ok(ep_frame_encode(&b, EP_FRAME_HEARTBEAT, 0, hb, 8)));
    assert_true(mk_ok(ep_frame_encode(&b, EP_FRAME_CONTROL, 9, NULL, 0)));
    static const uint8_t want_hdr[10] = {6, 0, 1, 2, 3, 4, 0, 0, 0, 5};
    assert_memory_equal(b.data, want_hdr, 10);
    assert_int_equal(b.len, 3 * EP_FRAME_HEADER_LEN + 5 + 8);

    mk_cursor c;
    ep_frame f;
    mk_cursor_init(&c, b.data, b.len);
    assert_true(mk_ok(ep_frame_parse(&c, &f)));
    assert_int_equal(f.h.type, EP_FRAME_PAYLOAD);
    assert_int_equal(f.h.stream_id, 0x01020304);
    assert_int_equal(f.h.length, 5);
    assert_memory_equal(f.payload, payload, 5);
    assert_true(mk_ok(ep_frame_parse(&c, &f)));
    assert_int_equal(f.h.type, EP_FRAME_HEARTBEAT);
    assert_memory_equal(f.payload, hb, 8);
    assert_true(mk_ok(ep_frame_parse(&c, &f)));
    assert_int_equal(f.h.type, EP_FRAME_CONTROL);
    assert_int_equal(f.h.length, 0);
    assert_null(f.payload);
    assert_true(mk_cursor_done(&c));
    mk_buf_cleanup(&b);
}

/* Every proper prefix of a frame is MK_E_BOUNDS and leaves the cursor where it was. */
static void test_truncation_at_every_byte(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    uint8_t payload[40];
    memset(payload, 0xab, sizeof(payload));
    assert_true(mk_ok(ep_frame_encode(&b, EP_FRAME_PAYLOAD, 3, payload, sizeof(payload))));
    for (size_t n = 0; n < b.len; n++) {
        mk_cursor c;
        ep_frame f;
        mk_cursor_init(&c, b.data, n);
        assert_true(mk_failed(ep_frame_parse(&c, &f)));
        assert_int_equal(mk_error_code(), MK_E_BOUNDS);
        assert_int_equal(mk_cursor_pos(&c), 0);
        assert_false(mk_cursor_failed(&c));
        if (n < EP_FRAME_HEADER_LEN) {
            ep_frame_header h;
            assert_true(mk_failed(ep_frame_header_parse(b.data, n, &h)));
        }
    }
    mk_buf_cleanup(&b);
}

static void expect_header_fails(uint8_t type, uint8_t flags, uint32_t stream, uint32_t len,
                                mk_err code)
{
    uint8_t h[EP_FRAME_HEADER_LEN];
    ep_frame_header out;
    put_header(h, type, flags, stream, len);
    assert_true(mk_failed(ep_frame_header_parse(h, sizeof(h), &out)));
    assert_int_equal(mk_error_code(), code);
}

static void expect_header_ok(uint8_t type, uint32_t stream, uint32_t len)
{
    uint8_t h[EP_FRAME_HEADER_LEN];
    ep_frame_header out;
    put_header(h, type, 0, stream, len);
    assert_true(mk_ok(ep_frame_header_parse(h, sizeof(h), &out)));
    assert_int_equal(out.type, type);
    assert_int_equal(out.stream_id, stream);
    assert_int_equal(out.length, len);
}

static void test_caps_per_type(void **state)
{
    (void)state;
    expect_header_ok(EP_FRAME_PAYLOAD, 1, (uint32_t)EP_FRAME_PAYLOAD_MAX);
    expect_header_fails(EP_FRAME_PAYLOAD, 0, 1, (uint32_t)EP_FRAME_PAYLOAD_MAX + 1, MK_E_TOOBIG);
    expect_header_fails(EP_FRAME_PAYLOAD, 0, 1, 0xffffffffu, MK_E_TOOBIG);
    expect_header_ok(EP_FRAME_CONTROL, 0, (uint32_t)EP_FRAME_CONTROL_MAX);
    expect_header_fails(EP_FRAME_CONTROL, 0, 0, (uint32_t)EP_FRAME_CONTROL_MAX + 1, MK_E_TOOBIG);
    for (int t = EP_FRAME_HELLO; t <= EP_FRAME_REJECT; t++) {
        expect_header_ok((uint8_t)t, 0, (uint32_t)EP_FRAME_HANDSHAKE_MAX);
        expect_header_fails((uint8_t)t, 0, 0, (uint32_t)EP_FRAME_HANDSHAKE_MAX + 1, MK_E_TOOBIG);
    }
    expect_header_ok(EP_FRAME_HEARTBEAT, 0, EP_FRAME_HEARTBEAT_LEN);
    expect_header_fails(EP_FRAME_HEARTBEAT, 0, 0, 0, MK_E_INVALID);
    expect_header_fails(EP_FRAME_HEARTBEAT, 0, 0, 7, MK_E_INVALID);
    expect_header_fails(EP_FRAME_HEARTBEAT, 0, 0, 9, MK_E_TOOBIG);
}

static void test_reserved_and_stream_rules(void **state)
{
    (void)state;
    expect_header_fails(0, 0, 0, 0, MK_E_INVALID);
    expect_header_fails(7, 0, 0, 0, MK_E_INVALID);
    expect_header_fails(0xff, 0, 0, 0, MK_E_INVALID);
    expect_header_fails(EP_FRAME_PAYLOAD, 1, 0, 0, MK_E_INVALID);
    expect_header_fails(EP_FRAME_PAYLOAD, 0x80, 0, 0, MK_E_INVALID);
    expect_header_fails(EP_FRAME_HELLO, 0, 1, 10, MK_E_INVALID);
    expect_header_fails(EP_FRAME_HEARTBEAT, 0, 5, 8, MK_E_INVALID);
    expect_header_ok(EP_FRAME_PAYLOAD, 0xffffffffu, 0);
    /* Header parse needs exactly the header length. */
    uint8_t h[EP_FRAME_HEADER_LEN + 1] = {EP_FRAME_CONTROL};
    ep_frame_header out;
    assert_true(mk_failed(ep_frame_header_parse(h, sizeof(h), &out)));
    assert_int_equal(mk_error_code(), MK_E_BOUNDS);
}

/* A refused frame in the middle of a stream stops the reader at its start. */
static void test_bad_frame_after_good_one(void **state)
{
    (void)state;
    uint8_t data[EP_FRAME_HEADER_LEN * 2 + 2];
    put_header(data, EP_FRAME_CONTROL, 0, 0, 2);
    data[10] = 'o';
    data[11] = 'k';
    put_header(data + 12, EP_FRAME_PAYLOAD, 0, 0, (uint32_t)EP_FRAME_PAYLOAD_MAX + 1);
    mk_cursor c;
    ep_frame f;
    mk_cursor_init(&c, data, sizeof(data));
    assert_true(mk_ok(ep_frame_parse(&c, &f)));
    assert_true(mk_failed(ep_frame_parse(&c, &f)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_int_equal(mk_cursor_pos(&c), 12);
}

static void test_writer_refuses_what_reader_refuses(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    uint8_t *big = calloc(1, EP_FRAME_PAYLOAD_MAX + 1);
    assert_non_null(big);
    assert_true(mk_failed(ep_frame_encode(&b, EP_FRAME_PAYLOAD, 0, big, EP_FRAME_PAYLOAD_MAX + 1)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_true(mk_ok(ep_frame_encode(&b, EP_FRAME_PAYLOAD, 0, big, EP_FRAME_PAYLOAD_MAX)));
    mk_buf_reset(&b);
    assert_true(mk_failed(ep_frame_encode(&b, EP_FRAME_HELLO, 0, big, EP_FRAME_HANDSHAKE_MAX + 1)));
    assert_true(mk_failed(ep_frame_encode(&b, EP_FRAME_HEARTBEAT, 0, big, 4)));
    assert_true(mk_failed(ep_frame_encode(&b, EP_FRAME_HEARTBEAT, 1, big, 8)));
    assert_true(mk_failed(ep_frame_encode(&b, 0, 0, NULL, 0)));
    assert_true(mk_failed(ep_frame_encode(&b, EP_FRAME_CONTROL, 0, NULL, 3)));
    assert_int_equal(b.len, 0);
    free(big);
    mk_buf_cleanup(&b);
    /* A buffer whose own cap is too small fails rather than growing. */
    mk_buf small;
    mk_buf_init(&small, 16);
    assert_true(
        mk_failed(ep_frame_encode(&small, EP_FRAME_CONTROL, 0, (const uint8_t *)"0123456789", 10)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    mk_buf_cleanup(&small);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(ep_frame_type_name(EP_FRAME_HEARTBEAT), "HEARTBEAT");
    assert_string_equal(ep_frame_type_name(99), "?");
    assert_int_equal(ep_frame_max_payload(99), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_layout),
        cmocka_unit_test(test_truncation_at_every_byte),
        cmocka_unit_test(test_caps_per_type),
        cmocka_unit_test(test_reserved_and_stream_rules),
        cmocka_unit_test(test_bad_frame_after_good_one),
        cmocka_unit_test(test_writer_refuses_what_reader_refuses),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
