/*
 * Growable buffer: integer writers in both byte orders, patching, caps,
 * printf, and that secret buffers are wiped when reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mk/buf.h"

static void test_writers(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(mk_buf_put_u8(&b, 0x01)));
    assert_true(mk_ok(mk_buf_put_u16be(&b, 0x0203)));
    assert_true(mk_ok(mk_buf_put_u16le(&b, 0x0504)));
    assert_true(mk_ok(mk_buf_put_u32be(&b, 0x06070809)));
    assert_true(mk_ok(mk_buf_put_u32le(&b, 0x0d0c0b0a)));
    assert_true(mk_ok(mk_buf_put_u64le(&b, 0x1514131211100f0eULL)));
    assert_true(mk_ok(mk_buf_put_u64be(&b, 0x161718191a1b1c1dULL)));
    assert_int_equal(b.len, 29);
    for (size_t i = 0; i < b.len; i++) {
        assert_int_equal(b.data[i], i + 1);
    }
    mk_buf_cleanup(&b);
    assert_null(b.data);
}

static void test_patch(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(mk_buf_append(&b, "\0\0\0\0", 4)));
    assert_true(mk_ok(mk_buf_patch_u16be(&b, 0, 0x0102)));
    assert_true(mk_ok(mk_buf_patch_u16le(&b, 2, 0x0403)));
    assert_memory_equal(b.data, "\x01\x02\x03\x04", 4);
    assert_true(mk_ok(mk_buf_patch_u32le(&b, 0, 0x0a0b0c0d)));
    assert_memory_equal(b.data, "\x0d\x0c\x0b\x0a", 4);
    assert_true(mk_failed(mk_buf_patch_u16be(&b, 3, 1)));
    assert_int_equal(mk_error_code(), MK_E_BOUNDS);
    assert_true(mk_failed(mk_buf_patch_u32le(&b, SIZE_MAX, 1)));
    mk_buf_cleanup(&b);
}

static void test_cap_enforced(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 10);
    assert_true(mk_ok(mk_buf_append(&b, "0123456789", 10)));
    assert_true(mk_failed(mk_buf_put_u8(&b, 1)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_int_equal(b.len, 10);
    assert_true(mk_failed(mk_buf_reserve(&b, SIZE_MAX)));
    mk_buf_cleanup(&b);
}

static void test_growth_keeps_content(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init_secret(&b, 0);
    for (int i = 0; i < 1000; i++) {
        assert_true(mk_ok(mk_buf_put_u8(&b, (uint8_t)i)));
    }
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(b.data[i], (uint8_t)i);
    }
    uint8_t *p = b.data;
    mk_buf_reset(&b);
    assert_int_equal(b.len, 0);
    /* reset keeps the allocation; a secret buffer is wiped. */
    assert_ptr_equal(b.data, p);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(b.data[i], 0);
    }
    mk_buf_cleanup(&b);
}

static void test_printf_and_terminate(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(mk_buf_printf(&b, "%s=%d", "x", 7)));
    assert_true(mk_ok(mk_buf_append_str(&b, ";")));
    assert_true(mk_ok(mk_buf_terminate(&b)));
    assert_int_equal(b.len, 4);
    assert_string_equal((char *)b.data, "x=7;");
    mk_buf_cleanup(&b);

    mk_buf_init(&b, 4);
    assert_true(mk_failed(mk_buf_printf(&b, "%s", "too long")));
    assert_int_equal(b.len, 0);
    mk_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writers),
        cmocka_unit_test(test_patch),
        cmocka_unit_test(test_cap_enforced),
        cmocka_unit_test(test_growth_keeps_content),
        cmocka_unit_test(test_printf_and_terminate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
