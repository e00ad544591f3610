/*
 * Bounded cursor: every reader in range, every reader out of range, sticky
 * errors, sub-cursors and slices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mk/cursor.h"

static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

static void test_readers_in_range(void **state)
{
    (void)state;
    mk_cursor c;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

    mk_cursor_init(&c, bytes, sizeof(bytes));
    assert_true(mk_ok(mk_cursor_read_u8(&c, &u8)));
    assert_int_equal(u8, 0x01);
    assert_true(mk_ok(mk_cursor_read_u16be(&c, &u16)));
    assert_int_equal(u16, 0x0203);
    assert_true(mk_ok(mk_cursor_read_u16le(&c, &u16)));
    assert_int_equal(u16, 0x0504);
    assert_true(mk_ok(mk_cursor_read_u32be(&c, &u32)));
    assert_int_equal(u32, 0x06070809);
    assert_true(mk_cursor_done(&c));

    mk_cursor_init(&c, bytes, sizeof(bytes));
    assert_true(mk_ok(mk_cursor_read_u32le(&c, &u32)));
    assert_int_equal(u32, 0x04030201);
    mk_cursor_init(&c, bytes, sizeof(bytes));
    assert_true(mk_ok(mk_cursor_read_u64be(&c, &u64)));
    assert_true(u64 == 0x0102030405060708ULL);
    mk_cursor_init(&c, bytes, sizeof(bytes));
    assert_true(mk_ok(mk_cursor_read_u64le(&c, &u64)));
    assert_true(u64 == 0x0807060504030201ULL);
    assert_int_equal(mk_cursor_remaining(&c), 1);
}

static void test_i32le_negative(void **state)
{
    (void)state;
    const uint8_t neg[] = {0xfe, 0xff, 0xff, 0xff};
    mk_cursor c;
    int32_t v;
    mk_cursor_init(&c, neg, sizeof(neg));
    assert_true(mk_ok(mk_cursor_read_i32le(&c, &v)));
    assert_int_equal(v, -2);
}

/* Each reader, given one byte too few, fails, sets the flag and does not move. */
static void test_every_reader_out_of_bounds(void **state)
{
    (void)state;
    mk_cursor c;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    uint8_t out[8];
    mk_cursor sub;

    mk_cursor_init(&c, bytes, 0);
    assert_true(mk_failed(mk_cursor_read_u8(&c, &u8)));
    assert_int_equal(mk_error_code(), MK_E_BOUNDS);
    assert_true(mk_cursor_failed(&c));

#define CHECK_SHORT(call, avail)                                                                   \
    do {                                                                                           \
        mk_cursor_init(&c, bytes, (avail));                                                        \
        assert_true(mk_failed(call));                                                              \
        assert_int_equal(mk_error_code(), MK_E_BOUNDS);                                            \
        assert_true(mk_cursor_failed(&c));                                                         \
        assert_int_equal(mk_cursor_pos(&c), 0);                                                    \
    } while (0)

    CHECK_SHORT(mk_cursor_read_u16be(&c, &u16), 1);
    CHECK_SHORT(mk_cursor_read_u16le(&c, &u16), 1);
    CHECK_SHORT(mk_cursor_read_u32be(&c, &u32), 3);
    CHECK_SHORT(mk_cursor_read_u32le(&c, &u32), 3);
    CHECK_SHORT(mk_cursor_read_u64be(&c, &u64), 7);
    CHECK_SHORT(mk_cursor_read_u64le(&c, &u64), 7);
    CHECK_SHORT(mk_cursor_read_i32le(&c, &i32), 3);
    CHECK_SHORT(mk_cursor_copy(&c, out, 8), 7);
    CHECK_SHORT(mk_cursor_read_bytes(&c, 5, &sub), 4);
    CHECK_SHORT(mk_cursor_skip(&c, 2), 1);
    CHECK_SHORT(mk_cursor_peek_u8(&c, &u8), 0);
#undef CHECK_SHORT
}

static void test_sticky_error(void **state)
{
    (void)state;
    mk_cursor c;
    uint32_t u32;
    uint8_t u8;
    mk_cursor_init(&c, bytes, 2);
    assert_true(mk_failed(mk_cursor_read_u32le(&c, &u32)));
    /* Enough bytes remain for a u8, but the cursor has already failed. */
    assert_true(mk_failed(mk_cursor_read_u8(&c, &u8)));
    assert_false(mk_cursor_done(&c));
}

static void test_sub_cursor_is_bounded(void **state)
{
    (void)state;
    mk_cursor c;
    mk_cursor sub;
    uint16_t u16;
    uint8_t u8;
    mk_cursor_init(&c, bytes, sizeof(bytes));
    assert_true(mk_ok(mk_cursor_skip(&c, 1)));
    assert_true(mk_ok(mk_cursor_read_bytes(&c, 3, &sub)));
    assert_int_equal(mk_cursor_pos(&c), 4);
    assert_true(mk_ok(mk_cursor_read_u16be(&sub, &u16)));
    assert_int_equal(u16, 0x0203);
    assert_true(mk_ok(mk_cursor_read_u8(&sub, &u8)));
    assert_int_equal(u8, 0x04);
    /* The parent has more bytes, the sub-cursor does not. */
    assert_true(mk_failed(mk_cursor_read_u8(&sub, &u8)));
    assert_false(mk_cursor_failed(&c));
}

static void test_slice_and_seek(void **state)
{
    (void)state;
    mk_cursor c;
    mk_cursor sub;
    uint8_t u8;
    mk_cursor_init(&c, bytes, sizeof(bytes));
    assert_true(mk_ok(mk_cursor_slice(&c, 7, 2, &sub)));
    assert_true(mk_ok(mk_cursor_read_u8(&sub, &u8)));
    assert_int_equal(u8, 0x08);
    assert_int_equal(mk_cursor_pos(&c), 0);
    assert_true(mk_ok(mk_cursor_slice(&c, 9, 0, &sub)));
    assert_true(mk_failed(mk_cursor_slice(&c, 8, 2, &sub)));
    assert_true(mk_cursor_failed(&c));

    mk_cursor_init(&c, bytes, sizeof(bytes));
    /* off + n overflows size_t: must be refused, not wrapped. */
    assert_true(mk_failed(mk_cursor_slice(&c, 2, SIZE_MAX, &sub)));
    mk_cursor_init(&c, bytes, sizeof(bytes));
    assert_true(mk_ok(mk_cursor_seek(&c, 9)));
    assert_true(mk_failed(mk_cursor_read_u8(&c, &u8)));
    mk_cursor_init(&c, bytes, sizeof(bytes));
    assert_true(mk_failed(mk_cursor_seek(&c, 10)));
}

static void test_huge_length_request(void **state)
{
    (void)state;
    mk_cursor c;
    mk_cursor sub;
    mk_cursor_init(&c, bytes, sizeof(bytes));
    assert_true(mk_failed(mk_cursor_read_bytes(&c, SIZE_MAX, &sub)));
    mk_cursor_init(&c, NULL, 5);
    assert_int_equal(mk_cursor_remaining(&c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readers_in_range),           cmocka_unit_test(test_i32le_negative),
        cmocka_unit_test(test_every_reader_out_of_bounds), cmocka_unit_test(test_sticky_error),
        cmocka_unit_test(test_sub_cursor_is_bounded),      cmocka_unit_test(test_slice_and_seek),
        cmocka_unit_test(test_huge_length_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
