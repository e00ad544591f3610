/*
 * Message reassembler: joining packets, caps, type changes, attention,
 * IGNORE, state errors, and a packetizer -> reassembler round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tds/packet.h"
#include "tds/reasm.h"

/* Build one packet: header + payload of n bytes of value fill. */
static size_t mkpkt(uint8_t *p, uint8_t type, uint8_t status, size_t n, uint8_t fill)
{
    size_t len = n + 8;
    p[0] = type;
    p[1] = status;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p[4] = p[5] = 0;
    p[6] = 1;
    p[7] = 0;
    memset(p + 8, fill, n);
    return len;
}

static tds_reasm *new_reasm(size_t prelogin, size_t login7, size_t request)
{
    tds_reasm_caps caps = {.prelogin = prelogin, .login7 = login7, .request = request};
    tds_reasm *r = NULL;
    assert_true(mk_ok(tds_reasm_new(&caps, &r)));
    return r;
}

static void test_single_and_multi(void **state)
{
    (void)state;
    uint8_t p[600];
    tds_reasm_status st;
    tds_reasm *r = new_reasm(100, 100, 1000);
    size_t n = mkpkt(p, TDS_PKT_SQL_BATCH, TDS_STATUS_EOM | TDS_STATUS_RESET_CONN, 10, 0x11);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(st, TDS_REASM_MESSAGE);
    assert_int_equal(tds_reasm_type(r), TDS_PKT_SQL_BATCH);
    assert_int_equal(tds_reasm_len(r), 10);
    assert_int_equal(tds_reasm_status_bits(r), TDS_STATUS_EOM | TDS_STATUS_RESET_CONN);
    assert_int_equal(tds_reasm_data(r)[9], 0x11);
    tds_reasm_next(r);

    n = mkpkt(p, TDS_PKT_RPC, 0, 500, 0x22);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(st, TDS_REASM_NEED_MORE);
    n = mkpkt(p, TDS_PKT_RPC, TDS_STATUS_EOM, 3, 0x33);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(st, TDS_REASM_MESSAGE);
    assert_int_equal(tds_reasm_type(r), TDS_PKT_RPC);
    assert_int_equal(tds_reasm_len(r), 503);
    assert_int_equal(tds_reasm_data(r)[499], 0x22);
    assert_int_equal(tds_reasm_data(r)[500], 0x33);
    tds_reasm_free(r);
}

static void test_caps_per_type(void **state)
{
    (void)state;
    uint8_t p[600];
    tds_reasm_status st;
    tds_reasm *r = new_reasm(100, 200, 300);
    /* Exactly the cap is fine; the cap is on the sum of payloads. */
    size_t n = mkpkt(p, TDS_PKT_PRELOGIN, 0, 60, 0);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    n = mkpkt(p, TDS_PKT_PRELOGIN, TDS_STATUS_EOM, 40, 0);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(st, TDS_REASM_MESSAGE);
    tds_reasm_next(r);
    n = mkpkt(p, TDS_PKT_PRELOGIN, 0, 60, 0);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    n = mkpkt(p, TDS_PKT_PRELOGIN, TDS_STATUS_EOM, 41, 0);
    assert_true(mk_failed(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    tds_reasm_free(r);

    r = new_reasm(100, 200, 300);
    n = mkpkt(p, TDS_PKT_LOGIN7, TDS_STATUS_EOM, 201, 0);
    assert_true(mk_failed(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    tds_reasm_free(r);
    r = new_reasm(100, 200, 300);
    n = mkpkt(p, TDS_PKT_SQL_BATCH, TDS_STATUS_EOM, 300, 0);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    tds_reasm_next(r);
    n = mkpkt(p, TDS_PKT_BULK, TDS_STATUS_EOM, 301, 0);
    assert_true(mk_failed(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    tds_reasm_free(r);
}

static void test_type_change_rejected(void **state)
{
    (void)state;
    uint8_t p[64];
    tds_reasm_status st;
    tds_reasm *r = new_reasm(100, 100, 100);
    size_t n = mkpkt(p, TDS_PKT_SQL_BATCH, 0, 4, 0);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    n = mkpkt(p, TDS_PKT_RPC, TDS_STATUS_EOM, 4, 0);
    assert_true(mk_failed(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    tds_reasm_free(r);
}

static void test_bad_packets(void **state)
{
    (void)state;
    uint8_t p[64];
    tds_reasm_status st;
    tds_reasm *r = new_reasm(100, 100, 100);
    size_t n = mkpkt(p, TDS_PKT_SQL_BATCH, TDS_STATUS_EOM, 4, 0);
    /* length field disagrees with the bytes given */
    assert_true(mk_failed(tds_reasm_feed(r, p, n - 1, &st)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_true(mk_failed(tds_reasm_feed(r, p, 5, &st)));
    assert_int_equal(mk_error_code(), MK_E_BOUNDS);
    /* server-to-client and unknown types */
    n = mkpkt(p, TDS_PKT_REPLY, TDS_STATUS_EOM, 4, 0);
    assert_true(mk_failed(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    n = mkpkt(p, 0x05, TDS_STATUS_EOM, 4, 0);
    assert_true(mk_failed(tds_reasm_feed(r, p, n, &st)));
    /* attention with a payload */
    n = mkpkt(p, TDS_PKT_ATTENTION, TDS_STATUS_EOM, 1, 0);
    assert_true(mk_failed(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    tds_reasm_free(r);
}

static void test_pending_message_state(void **state)
{
    (void)state;
    uint8_t p[64];
    tds_reasm_status st;
    tds_reasm *r = new_reasm(100, 100, 100);
    size_t n = mkpkt(p, TDS_PKT_SQL_BATCH, TDS_STATUS_EOM, 4, 0);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    assert_true(mk_failed(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(mk_error_code(), MK_E_STATE);
    tds_reasm_next(r);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    tds_reasm_free(r);
}

static void test_attention_and_ignore(void **state)
{
    (void)state;
    uint8_t p[64];
    tds_reasm_status st;
    tds_reasm *r = new_reasm(100, 100, 100);
    size_t n = mkpkt(p, TDS_PKT_SQL_BATCH, 0, 10, 0x44);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    /* An attention interrupts the partial batch and is delivered by itself. */
    n = mkpkt(p, TDS_PKT_ATTENTION, TDS_STATUS_EOM, 0, 0);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(st, TDS_REASM_MESSAGE);
    assert_int_equal(tds_reasm_type(r), TDS_PKT_ATTENTION);
    assert_int_equal(tds_reasm_len(r), 0);
    tds_reasm_next(r);
    /* IGNORE on EOM drops the message. */
    n = mkpkt(p, TDS_PKT_SQL_BATCH, 0, 10, 0x55);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    n = mkpkt(p, TDS_PKT_SQL_BATCH, TDS_STATUS_EOM | TDS_STATUS_IGNORE, 2, 0x55);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(st, TDS_REASM_IGNORED);
    /* and the next message starts clean */
    n = mkpkt(p, TDS_PKT_RPC, TDS_STATUS_EOM, 3, 0x66);
    assert_true(mk_ok(tds_reasm_feed(r, p, n, &st)));
    assert_int_equal(st, TDS_REASM_MESSAGE);
    assert_int_equal(tds_reasm_len(r), 3);
    assert_int_equal(tds_reasm_data(r)[0], 0x66);
    tds_reasm_free(r);
}

static void test_roundtrip_packetizer(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 503, 504, 505, 5000, 65536};
    tds_reasm *r = new_reasm(70000, 70000, 70000);
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t len = sizes[s];
        uint8_t *msg = malloc(len + 1);
        assert_non_null(msg);
        for (size_t i = 0; i < len; i++) {
            msg[i] = (uint8_t)(i ^ (i >> 8));
        }
        mk_buf pk;
        mk_buf_init(&pk, 0);
        assert_true(mk_ok(tds_packetize(TDS_PKT_SQL_BATCH, msg, len, 512, 1, &pk)));
        size_t off = 0;
        tds_reasm_status st = TDS_REASM_NEED_MORE;
        while (off < pk.len) {
            tds_header h;
            assert_true(mk_ok(tds_header_parse(pk.data + off, pk.len - off, &h)));
            assert_true(mk_ok(tds_header_check(&h, 512, TDS_TYPES_SESSION)));
            assert_true(mk_ok(tds_reasm_feed(r, pk.data + off, h.length, &st)));
            off += h.length;
        }
        assert_int_equal(st, TDS_REASM_MESSAGE);
        assert_int_equal(tds_reasm_len(r), len);
        if (len > 0) {
            assert_memory_equal(tds_reasm_data(r), msg, len);
        }
        tds_reasm_next(r);
        mk_buf_cleanup(&pk);
        free(msg);
    }
    tds_reasm_free(r);
}

static void test_bad_caps_and_defaults(void **state)
{
    (void)state;
    tds_reasm *r = NULL;
    tds_reasm_caps caps = {.prelogin = 0, .login7 = 1, .request = 1};
    assert_true(mk_failed(tds_reasm_new(&caps, &r)));
    caps = (tds_reasm_caps){1, 1, TDS_REASM_CAP_LIMIT + 1};
    assert_true(mk_failed(tds_reasm_new(&caps, &r)));
    assert_null(r);
    caps = tds_reasm_caps_default();
    assert_int_equal(caps.prelogin, 64 * 1024);
    assert_int_equal(caps.login7, 64 * 1024);
    assert_int_equal(caps.request, 1024 * 1024);
    tds_reasm_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_and_multi),      cmocka_unit_test(test_caps_per_type),
        cmocka_unit_test(test_type_change_rejected),  cmocka_unit_test(test_bad_packets),
        cmocka_unit_test(test_pending_message_state), cmocka_unit_test(test_attention_and_ignore),
        cmocka_unit_test(test_roundtrip_packetizer),  cmocka_unit_test(test_bad_caps_and_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
