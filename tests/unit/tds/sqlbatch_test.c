/*
 * SQL batch and ALL_HEADERS: FreeTDS's and pymssql's real batches, header
 * framing errors, text errors, the text cap, truncation at every byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tds/sqlbatch.h"

/* "select 1\n" from FreeTDS tsql (TDS 7.4): ALL_HEADERS with one transaction descriptor. */
static const uint8_t freetds_batch[] = {0x16, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x02, 0x00,
                                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
                                        0x00, 0x00, 0x73, 0x00, 0x65, 0x00, 0x6c, 0x00, 0x65, 0x00,
                                        0x63, 0x00, 0x74, 0x00, 0x20, 0x00, 0x31, 0x00, 0x0a, 0x00};

static void test_parse_freetds(void **state)
{
    (void)state;
    tds_sqlbatch b;
    assert_true(mk_ok(tds_sqlbatch_parse(freetds_batch, sizeof(freetds_batch), 1024, &b)));
    assert_string_equal(b.text, "select 1\n");
    assert_int_equal(b.text_len, 9);
    assert_true(b.headers.has_txn);
    assert_int_equal(b.headers.txn_descriptor, 0);
    assert_int_equal(b.headers.outstanding, 1);
    tds_sqlbatch_cleanup(&b);
    assert_null(b.text);
}

static void test_encode_golden_and_roundtrip(void **state)
{
    (void)state;
    mk_buf out;
    tds_sqlbatch b;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(tds_sqlbatch_encode("select 1\n", &out)));
    assert_int_equal(out.len, sizeof(freetds_batch));
    assert_memory_equal(out.data, freetds_batch, sizeof(freetds_batch));
    mk_buf_reset(&out);
    const char *sql = "select N'it''s \xE2\x82\xAC \xF0\x9F\x94\x91'";
    assert_true(mk_ok(tds_sqlbatch_encode(sql, &out)));
    assert_true(mk_ok(tds_sqlbatch_parse(out.data, out.len, 1024, &b)));
    assert_string_equal(b.text, sql);
    tds_sqlbatch_cleanup(&b);
    /* empty batch */
    mk_buf_reset(&out);
    assert_true(mk_ok(tds_sqlbatch_encode("", &out)));
    assert_true(mk_ok(tds_sqlbatch_parse(out.data, out.len, 1024, &b)));
    assert_string_equal(b.text, "");
    tds_sqlbatch_cleanup(&b);
    mk_buf_cleanup(&out);
}

static void test_truncated_every_byte(void **state)
{
    (void)state;
    tds_sqlbatch b;
    /* Up to the end of ALL_HEADERS every prefix fails; after that odd lengths fail. */
    for (size_t n = 0; n < sizeof(freetds_batch); n++) {
        mk_result r = tds_sqlbatch_parse(freetds_batch, n, 1024, &b);
        if (n < 22 || n % 2 == 1) {
            assert_true(mk_failed(r));
            assert_null(b.text);
        } else {
            assert_true(mk_ok(r));
            assert_int_equal(b.text_len, (n - 22) / 2);
            tds_sqlbatch_cleanup(&b);
        }
    }
}

static void expect_bad(const uint8_t *m, size_t len, size_t cap, mk_err code)
{
    tds_sqlbatch b;
    assert_true(mk_failed(tds_sqlbatch_parse(m, len, cap, &b)));
    assert_int_equal(mk_error_code(), code);
    assert_null(b.text);
}

static void test_header_errors(void **state)
{
    (void)state;
    uint8_t m[sizeof(freetds_batch)];
    /* TotalLength below 4, and beyond the message */
    memcpy(m, freetds_batch, sizeof(m));
    m[0] = 3;
    expect_bad(m, sizeof(m), 1024, MK_E_INVALID);
    memcpy(m, freetds_batch, sizeof(m));
    m[0] = 0xFF;
    expect_bad(m, sizeof(m), 1024, MK_E_INVALID);
    memcpy(m, freetds_batch, sizeof(m));
    m[3] = 0xFF; /* 0xFF000016: huge, no wrap */
    expect_bad(m, sizeof(m), 1024, MK_E_INVALID);
    /* HeaderLength below 6, and beyond TotalLength */
    memcpy(m, freetds_batch, sizeof(m));
    m[4] = 5;
    expect_bad(m, sizeof(m), 1024, MK_E_INVALID);
    memcpy(m, freetds_batch, sizeof(m));
    m[4] = 19;
    expect_bad(m, sizeof(m), 1024, MK_E_INVALID);
    memcpy(m, freetds_batch, sizeof(m));
    m[7] = 0x80;
    expect_bad(m, sizeof(m), 1024, MK_E_INVALID);
    /* Transaction descriptor of the wrong size (TotalLength and HeaderLength agree) */
    memcpy(m, freetds_batch, sizeof(m));
    m[0] = 0x14, m[4] = 0x10;
    expect_bad(m, sizeof(m), 1024, MK_E_INVALID);
    /* TotalLength 4: no headers at all is accepted (has_txn false) */
    const uint8_t bare[] = {0x04, 0x00, 0x00, 0x00, 0x41, 0x00};
    tds_sqlbatch b;
    assert_true(mk_ok(tds_sqlbatch_parse(bare, sizeof(bare), 16, &b)));
    assert_false(b.headers.has_txn);
    assert_string_equal(b.text, "A");
    tds_sqlbatch_cleanup(&b);
    /* Headers that leave a gap shorter than a header inside TotalLength */
    const uint8_t gap[] = {0x08, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x41, 0x00};
    expect_bad(gap, sizeof(gap), 16, MK_E_INVALID);
}

static void test_header_kinds(void **state)
{
    (void)state;
    /* trace activity (26) + unknown type 9 (8) + transaction descriptor (18) */
    uint8_t m[4 + 26 + 8 + 18 + 2];
    memset(m, 0, sizeof(m));
    m[0] = 4 + 26 + 8 + 18;
    m[4] = 26, m[8] = TDS_HDR_TRACE_ACTIVITY;
    m[30] = 8, m[34] = 9;
    m[38] = 18, m[42] = TDS_HDR_TRANSACTION_DESCRIPTOR, m[44] = 0x77, m[52] = 2;
    m[56] = 'Z';
    tds_sqlbatch b;
    assert_true(mk_ok(tds_sqlbatch_parse(m, sizeof(m), 16, &b)));
    assert_true(b.headers.has_trace);
    assert_true(b.headers.has_txn);
    assert_int_equal(b.headers.txn_descriptor, 0x77);
    assert_int_equal(b.headers.outstanding, 2);
    assert_string_equal(b.text, "Z");
    tds_sqlbatch_cleanup(&b);
    /* trace activity of 25 bytes is refused */
    m[4] = 25;
    expect_bad(m, sizeof(m), 16, MK_E_INVALID);
}

static void test_text_errors_and_cap(void **state)
{
    (void)state;
    uint8_t m[sizeof(freetds_batch)];
    /* odd text length */
    expect_bad(freetds_batch, sizeof(freetds_batch) - 1, 1024, MK_E_INVALID);
    /* unpaired surrogate in the text */
    memcpy(m, freetds_batch, sizeof(m));
    m[23] = 0xD8;
    expect_bad(m, sizeof(m), 1024, MK_E_INVALID);
    /* U+0000 in the text */
    memcpy(m, freetds_batch, sizeof(m));
    m[22] = 0;
    expect_bad(m, sizeof(m), 1024, MK_E_INVALID);
    /* cap: exactly 9 bytes fits, 8 does not */
    tds_sqlbatch b;
    assert_true(mk_ok(tds_sqlbatch_parse(freetds_batch, sizeof(freetds_batch), 9, &b)));
    tds_sqlbatch_cleanup(&b);
    expect_bad(freetds_batch, sizeof(freetds_batch), 8, MK_E_TOOBIG);
    expect_bad(freetds_batch, sizeof(freetds_batch), 0, MK_E_INVALID);
    /* the cap counts UTF-8 bytes: "€" is 1 unit but 3 bytes */
    mk_buf out;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(tds_sqlbatch_encode("\xE2\x82\xAC\xE2\x82\xAC", &out)));
    expect_bad(out.data, out.len, 5, MK_E_TOOBIG);
    assert_true(mk_ok(tds_sqlbatch_parse(out.data, out.len, 6, &b)));
    tds_sqlbatch_cleanup(&b);
    mk_buf_cleanup(&out);
}

static void test_large_batch(void **state)
{
    (void)state;
    const size_t n = 300000;
    char *sql = malloc(n + 1);
    assert_non_null(sql);
    memset(sql, 'q', n);
    sql[n] = '\0';
    mk_buf out;
    tds_sqlbatch b;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(tds_sqlbatch_encode(sql, &out)));
    assert_true(mk_ok(tds_sqlbatch_parse(out.data, out.len, TDS_SQLBATCH_TEXT_MAX_DEFAULT, &b)));
    assert_int_equal(b.text_len, n);
    tds_sqlbatch_cleanup(&b);
    expect_bad(out.data, out.len, n - 1, MK_E_TOOBIG);
    mk_buf_cleanup(&out);
    free(sql);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_freetds),
        cmocka_unit_test(test_encode_golden_and_roundtrip),
        cmocka_unit_test(test_truncated_every_byte),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_header_kinds),
        cmocka_unit_test(test_text_errors_and_cap),
        cmocka_unit_test(test_large_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
