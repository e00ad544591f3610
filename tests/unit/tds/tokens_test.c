/*
 * Token encoders (MS-TDS 2.2.7): byte-exact vectors written out by hand
 * from the token definitions, plus the error paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tds/tokens.h"

static void assert_buf(const mk_buf *b, const uint8_t *want, size_t n)
{
    assert_int_equal(b->len, n);
    assert_memory_equal(b->data, want, n);
}

static void test_done_golden(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    /* DONE, COUNT, cur cmd 0xC1 (SELECT), 2 rows */
    const uint8_t done[] = {0xFD, 0x10, 0x00, 0xC1, 0x00, 0x02, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    assert_true(mk_ok(tds_done_encode(&b, TDS_TOKEN_DONE, TDS_DONE_COUNT, 0xC1, 2)));
    assert_buf(&b, done, sizeof(done));
    /* DONEPROC with MORE|ERROR|SRVERROR and a 64-bit count */
    mk_buf_reset(&b);
    const uint8_t proc[] = {0xFE, 0x03, 0x01, 0x00, 0x00, 0x08, 0x07,
                            0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
    assert_true(mk_ok(tds_done_encode(&b, TDS_TOKEN_DONEPROC,
                                      TDS_DONE_MORE | TDS_DONE_ERROR | TDS_DONE_SRVERROR, 0,
                                      0x0102030405060708ULL)));
    assert_buf(&b, proc, sizeof(proc));
    /* DONEINPROC */
    mk_buf_reset(&b);
    assert_true(mk_ok(tds_done_encode(&b, TDS_TOKEN_DONEINPROC, TDS_DONE_MORE, 0, 0)));
    assert_int_equal(b.data[0], 0xFF);
    assert_int_equal(b.len, 13);
    /* attention acknowledgement */
    mk_buf_reset(&b);
    const uint8_t attn[] = {0xFD, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    assert_true(mk_ok(tds_done_attn_encode(&b)));
    assert_buf(&b, attn, sizeof(attn));
    /* not a DONE token */
    mk_buf_reset(&b);
    assert_true(mk_failed(tds_done_encode(&b, TDS_TOKEN_ROW, 0, 0, 0)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_int_equal(b.len, 0);
    mk_buf_cleanup(&b);
}

static void test_loginack_golden(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    /* length 0x32 = interface 1 + version 4 + name (1 + 2*20) + 4 */
    const uint8_t want[] = {0xAD, 0x32, 0x00, 0x01, 0x74, 0x00, 0x00, 0x04, 0x14, 'M', 0,
                            'i',  0,    'c',  0,    'r',  0,    'o',  0,    's',  0,   'o',
                            0,    'f',  0,    't',  0,    ' ',  0,    'S',  0,    'Q', 0,
                            'L',  0,    ' ',  0,    'S',  0,    'e',  0,    'r',  0,   'v',
                            0,    'e',  0,    'r',  0,    0x0F, 0x00, 0x07, 0xD0};
    const uint8_t ver[4] = {0x0F, 0x00, 0x07, 0xD0};
    assert_true(mk_ok(
        tds_loginack_encode(&b, TDS_LOGINACK_SQL_TSQL, 0x74000004, "Microsoft SQL Server", ver)));
    assert_buf(&b, want, sizeof(want));
    /* name over 255 characters */
    char *longname = malloc(300);
    assert_non_null(longname);
    memset(longname, 'n', 299);
    longname[299] = 0;
    mk_buf_reset(&b);
    assert_true(mk_failed(tds_loginack_encode(&b, 1, 0x74000004, longname, ver)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_int_equal(b.len, 0);
    free(longname);
    mk_buf_cleanup(&b);
}

static void test_envchange_golden(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    const uint8_t db[] = {0xE3, 0x1B, 0x00, 0x01, 0x06, 'm', 0, 'a', 0, 's', 0, 't', 0, 'e', 0,
                          'r',  0,    0x06, 'm',  0,    'a', 0, 's', 0, 't', 0, 'e', 0, 'r', 0};
    assert_true(mk_ok(tds_envchange_string(&b, TDS_ENV_DATABASE, "master", "master")));
    assert_buf(&b, db, sizeof(db));

    mk_buf_reset(&b);
    const uint8_t coll[] = {0xE3, 0x08, 0x00, 0x07, 0x05, 0x09, 0x04, 0xD0, 0x00, 0x34, 0x00};
    const uint8_t c5[] = {0x09, 0x04, 0xD0, 0x00, 0x34};
    assert_true(mk_ok(tds_envchange_bytes(&b, TDS_ENV_SQL_COLLATION, c5, 5, NULL, 0)));
    assert_buf(&b, coll, sizeof(coll));

    mk_buf_reset(&b);
    const uint8_t ps[] = {0xE3, 0x13, 0x00, 0x04, 0x04, '8', 0, '1', 0, '9', 0,
                          '2',  0,    0x04, '4',  0,    '0', 0, '9', 0, '6', 0};
    assert_true(mk_ok(tds_envchange_packet_size(&b, 8192, 4096)));
    assert_buf(&b, ps, sizeof(ps));

    mk_buf_reset(&b);
    const uint8_t lang[] = {0xE3, 0x0B, 0x00, 0x02, 0x04, 'u', 0, 's', 0, '_', 0, 'x', 0, 0x00};
    assert_true(mk_ok(tds_envchange_string(&b, TDS_ENV_LANGUAGE, "us_x", NULL)));
    assert_buf(&b, lang, sizeof(lang));
    mk_buf_cleanup(&b);
}

static void test_envchange_errors(void **state)
{
    (void)state;
    mk_buf b;
    uint8_t big[256] = {0};
    char name[200];
    mk_buf_init(&b, 0);
    assert_true(mk_failed(tds_envchange_string(&b, TDS_ENV_SQL_COLLATION, "x", "y")));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_true(mk_failed(tds_envchange_string(&b, 0, "x", "y")));
    assert_true(mk_failed(tds_envchange_bytes(&b, TDS_ENV_SQL_COLLATION, big, 256, NULL, 0)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    memset(name, 'd', 129);
    name[129] = 0;
    assert_true(mk_failed(tds_envchange_string(&b, TDS_ENV_DATABASE, name, "")));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_true(mk_failed(tds_envchange_string(&b, TDS_ENV_DATABASE, "\xC3", "")));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_int_equal(b.len, 0);
    mk_buf_cleanup(&b);
}

static void test_error_info_golden(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    tds_message m = {.number = 18456,
                     .state = 1,
                     .severity = 14,
                     .text = "Login failed.",
                     .server = "mk",
                     .proc = "",
                     .line = 1};
    /* 4 + 1 + 1 + (2 + 26) + (1 + 4) + 1 + 4 = 44 = 0x2C */
    const uint8_t want[] = {0xAA, 0x2C, 0x00, 0x18, 0x48, 0x00, 0x00, 0x01, 0x0E, 0x0D, 0x00, 'L',
                            0,    'o',  0,    'g',  0,    'i',  0,    'n',  0,    ' ',  0,    'f',
                            0,    'a',  0,    'i',  0,    'l',  0,    'e',  0,    'd',  0,    '.',
                            0,    0x02, 'm',  0,    'k',  0,    0x00, 0x01, 0x00, 0x00, 0x00};
    assert_true(mk_ok(tds_error_encode(&b, &m)));
    assert_buf(&b, want, sizeof(want));
    mk_buf_reset(&b);
    assert_true(mk_ok(tds_info_encode(&b, &m)));
    assert_int_equal(b.data[0], TDS_TOKEN_INFO);
    assert_memory_equal(b.data + 1, want + 1, sizeof(want) - 1);
    /* severity picks the token */
    mk_buf_reset(&b);
    m.severity = 10;
    assert_true(mk_ok(tds_message_encode(&b, &m)));
    assert_int_equal(b.data[0], TDS_TOKEN_INFO);
    mk_buf_reset(&b);
    m.severity = 11;
    assert_true(mk_ok(tds_message_encode(&b, &m)));
    assert_int_equal(b.data[0], TDS_TOKEN_ERROR);
    /* negative numbers and NULL names */
    mk_buf_reset(&b);
    tds_message n = {.number = -1, .text = NULL, .server = NULL, .proc = NULL, .line = -2};
    const uint8_t neg[] = {0xAB, 0x0E, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0xFF};
    assert_true(mk_ok(tds_info_encode(&b, &n)));
    assert_buf(&b, neg, sizeof(neg));
    mk_buf_cleanup(&b);
}

static void test_message_cut(void **state)
{
    (void)state;
    mk_buf b;
    char *text = malloc(TDS_MESSAGE_MAX_UNITS + 10);
    assert_non_null(text);
    mk_buf_init(&b, 0);
    /* 4001 ASCII characters: cut to 4000 */
    memset(text, 'a', TDS_MESSAGE_MAX_UNITS + 1);
    text[TDS_MESSAGE_MAX_UNITS + 1] = 0;
    tds_message m = {.number = 50000, .severity = 16, .text = text};
    assert_true(mk_ok(tds_error_encode(&b, &m)));
    assert_int_equal(b.data[9] | (b.data[10] << 8), TDS_MESSAGE_MAX_UNITS);
    /* 3999 characters then a surrogate pair: the pair would straddle the cut */
    mk_buf_reset(&b);
    memset(text, 'a', TDS_MESSAGE_MAX_UNITS - 1);
    memcpy(text + TDS_MESSAGE_MAX_UNITS - 1, "\xF0\x9F\x94\x91", 5);
    assert_true(mk_ok(tds_error_encode(&b, &m)));
    assert_int_equal(b.data[9] | (b.data[10] << 8), TDS_MESSAGE_MAX_UNITS - 1);
    size_t len = (size_t)(b.data[1] | (b.data[2] << 8));
    assert_int_equal(len, b.len - 3);
    /* invalid UTF-8 fails and leaves the buffer alone */
    mk_buf_reset(&b);
    m.text = "bad \xFF";
    assert_true(mk_failed(tds_error_encode(&b, &m)));
    assert_int_equal(b.len, 0);
    free(text);
    mk_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_done_golden),       cmocka_unit_test(test_loginack_golden),
        cmocka_unit_test(test_envchange_golden),  cmocka_unit_test(test_envchange_errors),
        cmocka_unit_test(test_error_info_golden), cmocka_unit_test(test_message_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
