/*
 * Login response streams: the token order FreeTDS expects, each token's
 * bytes, and the failed-login stream byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tds/login7.h"
#include "tds/login_response.h"
#include "tds/tokens.h"

static tds_login_env sample_env(void)
{
    tds_login_env env = {
        .database = "master",
        .language = "us_english",
        .packet_size = 4096,
        .server_name = "mk",
        .prog_name = "mirrorkeyd",
        .prog_version = {0, 1, 0, 0},
        .tds_version = TDS_VERSION_7_4,
    };
    tds_collation_default(env.collation);
    return env;
}

/* Split a token stream: every token here has a u16 length except DONE (12 bytes). */
static size_t split_tokens(const mk_buf *b, uint8_t *types, size_t *starts, size_t max)
{
    size_t off = 0;
    size_t n = 0;
    while (off < b->len) {
        assert_true(n < max);
        types[n] = b->data[off];
        starts[n] = off;
        if (types[n] == TDS_TOKEN_DONE) {
            off += 13;
        } else {
            off += 3 + (size_t)(b->data[off + 1] | (b->data[off + 2] << 8));
        }
        n++;
    }
    assert_int_equal(off, b->len);
    return n;
}

static void test_success_order_and_bytes(void **state)
{
    (void)state;
    tds_login_env env = sample_env();
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(tds_login_response_encode(&b, &env)));
    uint8_t types[16];
    size_t starts[16];
    size_t n = split_tokens(&b, types, starts, 16);
    const uint8_t order[] = {TDS_TOKEN_ENVCHANGE, TDS_TOKEN_INFO,      TDS_TOKEN_ENVCHANGE,
                             TDS_TOKEN_ENVCHANGE, TDS_TOKEN_ENVCHANGE, TDS_TOKEN_INFO,
                             TDS_TOKEN_LOGINACK,  TDS_TOKEN_DONE};
    assert_int_equal(n, sizeof(order));
    assert_memory_equal(types, order, sizeof(order));
    /* ENVCHANGE types in order: database, collation, language, packet size */
    assert_int_equal(b.data[starts[0] + 3], TDS_ENV_DATABASE);
    assert_int_equal(b.data[starts[2] + 3], TDS_ENV_SQL_COLLATION);
    assert_int_equal(b.data[starts[3] + 3], TDS_ENV_LANGUAGE);
    assert_int_equal(b.data[starts[4] + 3], TDS_ENV_PACKET_SIZE);
    /* INFO numbers 5701 and 5703 */
    assert_int_equal(b.data[starts[1] + 3] | (b.data[starts[1] + 4] << 8), 5701);
    assert_int_equal(b.data[starts[5] + 3] | (b.data[starts[5] + 4] << 8), 5703);
    /* the collation ENVCHANGE carries the five bytes, old value empty */
    const uint8_t coll[] = {0xE3, 0x08, 0x00, 0x07, 0x05, 0x09, 0x04, 0xD0, 0x00, 0x34, 0x00};
    assert_memory_equal(b.data + starts[2], coll, sizeof(coll));
    /* LOGINACK: SQL_TSQL, 7.4, "mirrorkeyd", 0.1.0.0 */
    const uint8_t ack[] = {0xAD, 0x1E, 0x00, 0x01, 0x74, 0x00, 0x00, 0x04, 0x0A, 'm',  0,
                           'i',  0,    'r',  0,    'r',  0,    'o',  0,    'r',  0,    'k',
                           0,    'e',  0,    'y',  0,    'd',  0,    0x00, 0x01, 0x00, 0x00};
    assert_memory_equal(b.data + starts[6], ack, sizeof(ack));
    /* final DONE: no MORE bit */
    const uint8_t done[13] = {0xFD};
    assert_memory_equal(b.data + starts[7], done, sizeof(done));
    mk_buf_cleanup(&b);
}

static void test_success_errors(void **state)
{
    (void)state;
    tds_login_env env = sample_env();
    char db[700];
    mk_buf b;
    mk_buf_init(&b, 0);
    memset(db, 'd', sizeof(db) - 1);
    db[sizeof(db) - 1] = 0;
    env.database = db;
    assert_true(mk_failed(tds_login_response_encode(&b, &env)));
    assert_int_equal(b.len, 0);
    env = sample_env();
    env.language = "\xC3";
    assert_true(mk_failed(tds_login_response_encode(&b, &env)));
    assert_int_equal(b.len, 0);
    mk_buf_cleanup(&b);
}

static void test_failed_login_golden(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(tds_login_failed_encode(&b, "bob", "mk")));
    /* "Login failed for user 'bob'." is 28 characters: 4+1+1+2+56+1+4+1+4 = 74 */
    const uint8_t want[] = {
        0xAA, 0x4A, 0x00, 0x18, 0x48, 0x00, 0x00, 0x01, 0x0E, 0x1C, 0x00, 'L', 0, 'o', 0, 'g', 0,
        'i', 0, 'n', 0, ' ', 0, 'f', 0, 'a', 0, 'i', 0, 'l', 0, 'e', 0, 'd', 0, ' ', 0, 'f', 0, 'o',
        0, 'r', 0, ' ', 0, 'u', 0, 's', 0, 'e', 0, 'r', 0, ' ', 0, '\'', 0, 'b', 0, 'o', 0, 'b', 0,
        '\'', 0, '.', 0, 0x02, 'm', 0, 'k', 0, 0x00, 0x01, 0x00, 0x00, 0x00,
        /* DONE with the error bit */
        0xFD, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.data, want, sizeof(want));
    mk_buf_cleanup(&b);
}

static void test_failed_login_names(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    /* a 128-character name with 3-byte characters still fits */
    char name[TDS_LOGIN7_NAME_BYTES];
    for (size_t i = 0; i < 128; i++) {
        memcpy(name + 3 * i, "\xE2\x82\xAC", 3);
    }
    name[3 * 128] = 0;
    assert_true(mk_ok(tds_login_failed_encode(&b, name, "mk")));
    mk_buf_reset(&b);
    assert_true(mk_ok(tds_login_failed_encode(&b, NULL, NULL)));
    mk_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_order_and_bytes),
        cmocka_unit_test(test_success_errors),
        cmocka_unit_test(test_failed_login_golden),
        cmocka_unit_test(test_failed_login_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
