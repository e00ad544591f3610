/*
 * COLMETADATA, ROW and DATETIME: byte-exact vectors for every column type,
 * NULLs, value checks, and DATETIME conversion around 1900, 1970, and the
 * limits of the type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tds/result.h"

#define COLL 0x09, 0x04, 0xD0, 0x00, 0x34

static const mk_column cols[] = {
    {.name = "i", .type = MK_T_INT, .nullable = true},
    {.name = "name", .type = MK_T_NVARCHAR, .max_len = 128, .nullable = true},
    {.name = "flag", .type = MK_T_BIT, .nullable = false},
    {.name = "t", .type = MK_T_DATETIME, .nullable = true},
    {.name = "bin", .type = MK_T_VARBINARY, .max_len = 16, .nullable = true},
    {.name = "cd", .type = MK_T_CHAR, .max_len = 3, .nullable = true},
    {.name = "b", .type = MK_T_BIGINT, .nullable = true},
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static const uint8_t want_colmetadata[] = {
    0x81, 0x07, 0x00,
    /* i: user type, flags nullable, INTN 4, name */
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x26, 0x04, 0x01, 'i', 0x00,
    /* name: NVARCHAR max 256 bytes, collation */
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xE7, 0x00, 0x01, COLL, 0x04, 'n', 0, 'a', 0, 'm', 0, 'e',
    0,
    /* flag: not nullable, BITN 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x68, 0x01, 0x04, 'f', 0, 'l', 0, 'a', 0, 'g', 0,
    /* t: DATETIMN 8 */
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x6F, 0x08, 0x01, 't', 0,
    /* bin: BIGVARBIN 16 */
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xA5, 0x10, 0x00, 0x03, 'b', 0, 'i', 0, 'n', 0,
    /* cd: BIGCHAR 3, collation */
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xAF, 0x03, 0x00, COLL, 0x02, 'c', 0, 'd', 0,
    /* b: INTN 8 */
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x26, 0x08, 0x01, 'b', 0};

/* Row 1: 1, N'hé🔑', 1, 2013-11-30, 0x0102FF, 'HS' -> 'HS ', 2^40 */
static const uint8_t want_row1[] = {
    0xD1, 0x04, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 'h',  0x00, 0xE9, 0x00, 0x3D, 0xD8, 0x11, 0xDD,
    0x01, 0x01, 0x08, 0x86, 0xA2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x02, 0xFF,
    0x03, 0x00, 'H',  'S',  ' ',  0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};
/* Row 2: NULLs, flag 0 */
static const uint8_t want_row2[] = {0xD1, 0x00, 0xFF, 0xFF, 0x01, 0x00,
                                    0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};

static mk_rowset *make_rowset(void)
{
    mk_rowset *rs = NULL;
    assert_true(mk_ok(mk_rowset_new(cols, NCOLS, &rs)));
    mk_value r1[NCOLS] = {mk_value_int(1),
                          mk_value_text("h\xC3\xA9\xF0\x9F\x94\x91"),
                          mk_value_int(1),
                          mk_value_int(INT64_C(1385769600000)),
                          mk_value_bytes("\x01\x02\xFF", 3),
                          mk_value_text("HS"),
                          mk_value_int(INT64_C(1) << 40)};
    mk_value r2[NCOLS] = {mk_value_null(), mk_value_null(), mk_value_int(0), mk_value_null(),
                          mk_value_null(), mk_value_null(), mk_value_null()};
    assert_true(mk_ok(mk_rowset_add_row(rs, r1)));
    assert_true(mk_ok(mk_rowset_add_row(rs, r2)));
    return rs;
}

static void test_colmetadata_golden(void **state)
{
    (void)state;
    uint8_t coll[TDS_COLLATION_LEN];
    mk_buf b;
    mk_rowset *rs = make_rowset();
    tds_collation_default(coll);
    mk_buf_init(&b, 0);
    assert_true(mk_ok(tds_colmetadata_encode(&b, rs, coll)));
    assert_int_equal(b.len, sizeof(want_colmetadata));
    assert_memory_equal(b.data, want_colmetadata, sizeof(want_colmetadata));
    mk_buf_cleanup(&b);
    mk_rowset_free(rs);
}

static void test_rows_golden(void **state)
{
    (void)state;
    mk_buf b;
    mk_rowset *rs = make_rowset();
    uint8_t coll[TDS_COLLATION_LEN];
    tds_collation_default(coll);
    mk_buf_init(&b, 0);
    assert_true(mk_ok(tds_row_encode(&b, rs, 0)));
    assert_int_equal(b.len, sizeof(want_row1));
    assert_memory_equal(b.data, want_row1, sizeof(want_row1));
    mk_buf_reset(&b);
    assert_true(mk_ok(tds_row_encode(&b, rs, 1)));
    assert_int_equal(b.len, sizeof(want_row2));
    assert_memory_equal(b.data, want_row2, sizeof(want_row2));
    mk_buf_reset(&b);
    assert_true(mk_failed(tds_row_encode(&b, rs, 2)));
    assert_int_equal(b.len, 0);
    /* the whole set is the concatenation */
    assert_true(mk_ok(tds_rowset_encode(&b, rs, coll)));
    assert_int_equal(b.len, sizeof(want_colmetadata) + sizeof(want_row1) + sizeof(want_row2));
    assert_memory_equal(b.data + sizeof(want_colmetadata), want_row1, sizeof(want_row1));
    mk_buf_cleanup(&b);
    mk_rowset_free(rs);
}

/* Encode one single-column row; returns whether it succeeded, leaves bytes in b. */
static mk_result one_value(mk_column col, mk_value v, mk_buf *b)
{
    mk_rowset *rs = NULL;
    assert_true(mk_ok(mk_rowset_new(&col, 1, &rs)));
    assert_true(mk_ok(mk_rowset_add_row(rs, &v)));
    mk_buf_reset(b);
    mk_result r = tds_row_encode(b, rs, 0);
    mk_rowset_free(rs);
    return r;
}

static void test_value_checks(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    mk_column c = {.name = "c", .type = MK_T_INT, .nullable = false};
    assert_true(mk_ok(one_value(c, mk_value_int(INT32_MIN), &b)));
    assert_true(mk_failed(one_value(c, mk_value_int((int64_t)INT32_MAX + 1), &b)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_int_equal(b.len, 0);
    assert_true(mk_failed(one_value(c, mk_value_null(), &b)));
    c.type = MK_T_BIT;
    assert_true(mk_failed(one_value(c, mk_value_int(2), &b)));
    c.type = MK_T_NVARCHAR;
    c.max_len = 2;
    assert_true(mk_ok(one_value(c, mk_value_text("ab"), &b)));
    assert_true(mk_failed(one_value(c, mk_value_text("abc"), &b)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    /* a supplementary character takes two of the n units, as in SQL Server */
    assert_true(mk_failed(one_value(c, mk_value_text("a\xF0\x9F\x94\x91"), &b)));
    assert_true(mk_failed(one_value(c, mk_value_text("\xFF"), &b)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    c.type = MK_T_VARBINARY;
    assert_true(mk_ok(one_value(c, mk_value_bytes("\0\0", 2), &b)));
    assert_true(mk_failed(one_value(c, mk_value_bytes("\0\0\0", 3), &b)));
    c.type = MK_T_CHAR;
    assert_true(mk_failed(one_value(c, mk_value_text("abc"), &b)));
    assert_true(mk_failed(one_value(c, mk_value_text("\xC3\xA9"), &b)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    const uint8_t padded[] = {0xD1, 0x02, 0x00, ' ', ' '};
    assert_true(mk_ok(one_value(c, mk_value_text(""), &b)));
    assert_int_equal(b.len, sizeof(padded));
    assert_memory_equal(b.data, padded, sizeof(padded));
    c.type = MK_T_DATETIME;
    assert_true(mk_failed(one_value(c, mk_value_int(INT64_MAX), &b)));
    mk_buf_cleanup(&b);
}

static void test_column_limits(void **state)
{
    (void)state;
    uint8_t coll[TDS_COLLATION_LEN];
    mk_buf b;
    mk_rowset *rs = NULL;
    tds_collation_default(coll);
    mk_buf_init(&b, 0);
    mk_column bad[] = {
        {.name = "n", .type = MK_T_NVARCHAR, .max_len = 4001},
        {.name = "v", .type = MK_T_VARBINARY, .max_len = 8001},
        {.name = "c", .type = MK_T_CHAR, .max_len = 0},
        {.name = "c", .type = MK_T_CHAR, .max_len = 8001},
        {.name = "x", .type = (mk_type)99},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_true(mk_ok(mk_rowset_new(&bad[i], 1, &rs)));
        assert_true(mk_failed(tds_colmetadata_encode(&b, rs, coll)));
        assert_int_equal(mk_error_code(), MK_E_INVALID);
        assert_int_equal(b.len, 0);
        mk_rowset_free(rs);
    }
    /* defaults: nvarchar 0 -> 4000 chars (8000 bytes), varbinary 0 -> 8000 */
    mk_column defs[] = {{.name = "n", .type = MK_T_NVARCHAR},
                        {.name = "v", .type = MK_T_VARBINARY}};
    assert_true(mk_ok(mk_rowset_new(defs, 2, &rs)));
    assert_true(mk_ok(tds_colmetadata_encode(&b, rs, coll)));
    assert_int_equal(b.data[10] | (b.data[11] << 8), 8000);
    assert_int_equal(b.data[10 + 5 + 4 + 6 + 1 + 1] | (b.data[10 + 5 + 4 + 6 + 1 + 2] << 8), 8000);
    mk_rowset_free(rs);
    /* a 128-character column name (the sysname maximum) fits */
    mk_column longname = {.type = MK_T_INT};
    memset(longname.name, 'n', 128);
    assert_true(mk_ok(mk_rowset_new(&longname, 1, &rs)));
    mk_buf_reset(&b);
    assert_true(mk_ok(tds_colmetadata_encode(&b, rs, coll)));
    mk_rowset_free(rs);
    mk_buf_cleanup(&b);
}

static void expect_dt(int64_t ms, int32_t days, uint32_t ticks)
{
    int32_t d = -1;
    uint32_t t = 1;
    assert_true(mk_ok(tds_datetime_from_ms(ms, &d, &t)));
    assert_int_equal(d, days);
    assert_int_equal(t, ticks);
}

static void test_datetime(void **state)
{
    (void)state;
    int32_t d;
    uint32_t t;
    /* 1900-01-01T00:00:00Z is day 0, tick 0 */
    expect_dt(INT64_C(-2208988800000), 0, 0);
    /* 1970-01-01 is day 25567 */
    expect_dt(0, 25567, 0);
    /* 2013-11-30T00:00:00Z: day 41606 (0xA286) */
    expect_dt(INT64_C(1385769600000), 41606, 0);
    /* 1938-04-24T22:13:20Z (-10^12 ms): day 13992, 80000 s = 24000000 ticks */
    expect_dt(INT64_C(-1000000000000), 13992, 24000000);
    /* 1899-12-31T12:00:00Z: day -1, half a day */
    expect_dt(INT64_C(-2208988800000) - 43200000, -1, 12960000);
    /* rounding to 1/300 s as SQL Server: .001 -> 0, .002 -> 1, .004 -> 1, .005 -> 2 */
    expect_dt(1, 25567, 0);
    expect_dt(2, 25567, 1);
    expect_dt(4, 25567, 1);
    expect_dt(5, 25567, 2);
    expect_dt(999, 25567, 300);
    /* -1 ms is 1969-12-31T23:59:59.999, which rounds to 1970-01-01T00:00:00 */
    expect_dt(-1, 25567, 0);
    expect_dt(-2, 25566, 25919999);
    /* limits: 1753-01-01 and 9999-12-31T23:59:59.997 */
    expect_dt(INT64_C(-6847804800000), -53690, 0);
    expect_dt(INT64_C(253402214400000) + 86399997, 2958463, 25919999);
    /* 1752-12-31T23:59:59.999 rounds up into range; .998 does not */
    expect_dt(INT64_C(-6847804800000) - 1, -53690, 0);
    assert_true(mk_failed(tds_datetime_from_ms(INT64_C(-6847804800000) - 2, &d, &t)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    /* 9999-12-31T23:59:59.999 rounds out of range */
    assert_true(mk_failed(tds_datetime_from_ms(INT64_C(253402214400000) + 86399999, &d, &t)));
    assert_true(mk_failed(tds_datetime_from_ms(INT64_MIN, &d, &t)));
    assert_true(mk_failed(tds_datetime_from_ms(INT64_MAX, &d, &t)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colmetadata_golden), cmocka_unit_test(test_rows_golden),
        cmocka_unit_test(test_value_checks),       cmocka_unit_test(test_column_limits),
        cmocka_unit_test(test_datetime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
