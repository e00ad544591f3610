/*
 * UTF-16LE <-> UTF-8: BMP, supplementary (surrogate pairs), and every kind of
 * malformed input in both directions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tds/ucs2.h"

/* "Aé€🔑" in both encodings. */
static const uint8_t u16_sample[] = {0x41, 0x00, 0xE9, 0x00, 0xAC, 0x20, 0x3D, 0xD8, 0x11, 0xDD};
static const char u8_sample[] = "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x94\x91";

static void test_utf16_to_utf8(void **state)
{
    (void)state;
    mk_buf out;
    mk_cursor c;
    mk_buf_init(&out, 0);
    mk_cursor_init(&c, u16_sample, sizeof(u16_sample));
    assert_true(mk_ok(tds_utf16le_to_utf8(&c, &out)));
    assert_int_equal(out.len, strlen(u8_sample));
    assert_memory_equal(out.data, u8_sample, out.len);
    mk_buf_cleanup(&out);
}

static void test_utf8_to_utf16(void **state)
{
    (void)state;
    mk_buf out;
    size_t units = 0;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(tds_utf8_to_utf16le(u8_sample, strlen(u8_sample), &out, &units)));
    assert_int_equal(units, 5);
    assert_int_equal(out.len, sizeof(u16_sample));
    assert_memory_equal(out.data, u16_sample, sizeof(u16_sample));
    assert_true(mk_ok(tds_utf16_units(u8_sample, strlen(u8_sample), &units)));
    assert_int_equal(units, 5);
    mk_buf_cleanup(&out);
}

static void test_fixed_output(void **state)
{
    (void)state;
    uint8_t out[10];
    size_t n = 0;
    mk_cursor c;
    mk_cursor_init(&c, u16_sample, sizeof(u16_sample));
    assert_true(mk_ok(tds_utf16le_to_utf8_fixed(&c, out, sizeof(out), &n)));
    assert_int_equal(n, 10);
    assert_memory_equal(out, u8_sample, 10);
    /* One byte short: the last (4-byte) character no longer fits. */
    mk_cursor_init(&c, u16_sample, sizeof(u16_sample));
    assert_true(mk_failed(tds_utf16le_to_utf8_fixed(&c, out, 9, &n)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
}

static void expect_utf16_invalid(const uint8_t *in, size_t len, mk_err code)
{
    mk_buf out;
    mk_cursor c;
    mk_buf_init(&out, 0);
    mk_cursor_init(&c, in, len);
    assert_true(mk_failed(tds_utf16le_to_utf8(&c, &out)));
    assert_int_equal(mk_error_code(), code);
    mk_buf_cleanup(&out);
}

static void test_utf16_malformed(void **state)
{
    (void)state;
    const uint8_t lone_high_end[] = {0x41, 0x00, 0x3D, 0xD8};
    const uint8_t high_then_bmp[] = {0x3D, 0xD8, 0x41, 0x00};
    const uint8_t high_then_high[] = {0x3D, 0xD8, 0x3D, 0xD8};
    const uint8_t lone_low[] = {0x11, 0xDD, 0x41, 0x00};
    const uint8_t odd[] = {0x41, 0x00, 0x42};
    expect_utf16_invalid(lone_high_end, sizeof(lone_high_end), MK_E_INVALID);
    expect_utf16_invalid(high_then_bmp, sizeof(high_then_bmp), MK_E_INVALID);
    expect_utf16_invalid(high_then_high, sizeof(high_then_high), MK_E_INVALID);
    expect_utf16_invalid(lone_low, sizeof(lone_low), MK_E_INVALID);
    expect_utf16_invalid(odd, sizeof(odd), MK_E_INVALID);
}

static void expect_utf8_invalid(const char *in)
{
    mk_buf out;
    size_t units;
    mk_buf_init(&out, 0);
    assert_true(mk_failed(tds_utf8_to_utf16le(in, strlen(in), &out, &units)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_true(mk_failed(tds_utf16_units(in, strlen(in), &units)));
    mk_buf_cleanup(&out);
}

static void test_utf8_malformed(void **state)
{
    (void)state;
    expect_utf8_invalid("\xC0\x80");             /* overlong NUL */
    expect_utf8_invalid("\xE0\x80\xAF");         /* overlong '/' */
    expect_utf8_invalid("\xF0\x80\x80\xAF");     /* overlong, 4 bytes */
    expect_utf8_invalid("\xED\xA0\x80");         /* encoded surrogate U+D800 */
    expect_utf8_invalid("\xF4\x90\x80\x80");     /* U+110000 */
    expect_utf8_invalid("\xE2\x82");             /* truncated */
    expect_utf8_invalid("\xE2\x41\x41");         /* bad continuation */
    expect_utf8_invalid("\x80");                 /* stray continuation */
    expect_utf8_invalid("\xFF");                 /* invalid lead */
    expect_utf8_invalid("\xF8\x88\x80\x80\x80"); /* 5-byte form */
}

static void test_boundaries(void **state)
{
    (void)state;
    /* U+FFFF, U+10000, U+10FFFF round-trip. */
    const char *s = "\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF";
    const uint8_t want[] = {0xFF, 0xFF, 0x00, 0xD8, 0x00, 0xDC, 0xFF, 0xDB, 0xFF, 0xDF};
    mk_buf out;
    mk_buf back;
    size_t units;
    mk_cursor c;
    mk_buf_init(&out, 0);
    mk_buf_init(&back, 0);
    assert_true(mk_ok(tds_utf8_to_utf16le(s, strlen(s), &out, &units)));
    assert_int_equal(units, 5);
    assert_memory_equal(out.data, want, sizeof(want));
    mk_cursor_init(&c, out.data, out.len);
    assert_true(mk_ok(tds_utf16le_to_utf8(&c, &back)));
    assert_int_equal(back.len, strlen(s));
    assert_memory_equal(back.data, s, back.len);
    mk_buf_cleanup(&out);
    mk_buf_cleanup(&back);
}

static void test_encode_cp_and_put(void **state)
{
    (void)state;
    uint8_t enc[4];
    size_t units;
    mk_buf out;
    assert_int_equal(tds_utf8_encode_cp(0xD800, enc), 0);
    assert_int_equal(tds_utf8_encode_cp(0x110000, enc), 0);
    assert_int_equal(tds_utf8_encode_cp(0x7F, enc), 1);
    assert_int_equal(tds_utf8_encode_cp(0x80, enc), 2);
    assert_int_equal(tds_utf8_encode_cp(0x800, enc), 3);
    assert_int_equal(tds_utf8_encode_cp(0x10000, enc), 4);
    mk_buf_init(&out, 0);
    assert_true(mk_failed(tds_utf16le_put(&out, 0xDC00, &units)));
    assert_int_equal(out.len, 0);
    mk_buf_cleanup(&out);
}

static void test_output_cap(void **state)
{
    (void)state;
    mk_buf out;
    mk_cursor c;
    mk_buf_init(&out, 9);
    mk_cursor_init(&c, u16_sample, sizeof(u16_sample));
    assert_true(mk_failed(tds_utf16le_to_utf8(&c, &out)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    mk_buf_cleanup(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf16_to_utf8),     cmocka_unit_test(test_utf8_to_utf16),
        cmocka_unit_test(test_fixed_output),      cmocka_unit_test(test_utf16_malformed),
        cmocka_unit_test(test_utf8_malformed),    cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_encode_cp_and_put), cmocka_unit_test(test_output_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
