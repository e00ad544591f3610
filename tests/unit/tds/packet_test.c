/*
 * Packet header parse/encode/check, the packetizer, and packet size
 * negotiation (MS-TDS 2.2.3.1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tds/packet.h"

/* FreeTDS's PRELOGIN packet header as captured: type 0x12, EOM, 58 bytes. */
static const uint8_t hdr_bytes[] = {0x12, 0x01, 0x00, 0x3A, 0x00, 0x00, 0x00, 0x00};

static void test_header_parse_and_encode(void **state)
{
    (void)state;
    tds_header h;
    assert_true(mk_ok(tds_header_parse(hdr_bytes, sizeof(hdr_bytes), &h)));
    assert_int_equal(h.type, TDS_PKT_PRELOGIN);
    assert_int_equal(h.status, TDS_STATUS_EOM);
    assert_int_equal(h.length, 58);
    assert_int_equal(h.spid, 0);
    assert_int_equal(h.packet_id, 0);

    tds_header g = {.type = 0x04,
                    .status = 0x01,
                    .length = 0x1234,
                    .spid = 0xBEEF,
                    .packet_id = 7,
                    .window = 0};
    const uint8_t want[] = {0x04, 0x01, 0x12, 0x34, 0xBE, 0xEF, 0x07, 0x00};
    mk_buf out;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(tds_header_encode(&g, &out)));
    assert_int_equal(out.len, 8);
    assert_memory_equal(out.data, want, 8);
    mk_buf_cleanup(&out);
}

static void test_header_truncated_every_byte(void **state)
{
    (void)state;
    tds_header h;
    for (size_t n = 0; n < sizeof(hdr_bytes); n++) {
        assert_true(mk_failed(tds_header_parse(hdr_bytes, n, &h)));
        assert_int_equal(mk_error_code(), MK_E_BOUNDS);
    }
}

static void test_header_length_below_8(void **state)
{
    (void)state;
    const uint8_t bad[] = {0x01, 0x01, 0x00, 0x07, 0x00, 0x00, 0x01, 0x00};
    tds_header h;
    assert_true(mk_failed(tds_header_parse(bad, sizeof(bad), &h)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
}

static void test_header_check(void **state)
{
    (void)state;
    tds_header h = {.type = TDS_PKT_SQL_BATCH, .status = TDS_STATUS_EOM, .length = 4096};
    assert_true(mk_ok(tds_header_check(&h, 4096, TDS_TYPES_SESSION)));
    h.length = 4097;
    assert_true(mk_failed(tds_header_check(&h, 4096, TDS_TYPES_SESSION)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    /* max_packet is clamped to 32767 */
    h.length = 32768;
    assert_true(mk_failed(tds_header_check(&h, 65535, TDS_TYPES_SESSION)));
    h.length = 32767;
    assert_true(mk_ok(tds_header_check(&h, 65535, TDS_TYPES_SESSION)));
    h.length = 7;
    assert_true(mk_failed(tds_header_check(&h, 4096, TDS_TYPES_SESSION)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);

    /* Phase masks: LOGIN7 is refused after login, SQL before. */
    h.length = 100;
    h.type = TDS_PKT_LOGIN7;
    assert_true(mk_failed(tds_header_check(&h, 4096, TDS_TYPES_SESSION)));
    assert_true(mk_ok(tds_header_check(&h, 4096, TDS_TYPES_LOGIN)));
    h.type = TDS_PKT_SQL_BATCH;
    assert_true(mk_failed(tds_header_check(&h, 4096, TDS_TYPES_PRELOGIN)));
    /* Server-only and unknown types are never accepted from a client. */
    h.type = TDS_PKT_REPLY;
    assert_true(mk_failed(tds_header_check(&h, 4096, TDS_TYPES_SESSION)));
    h.type = 0xFF;
    assert_true(mk_failed(tds_header_check(&h, 4096, UINT32_MAX)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
}

static void test_header_check_attention(void **state)
{
    (void)state;
    tds_header h = {.type = TDS_PKT_ATTENTION, .status = TDS_STATUS_EOM, .length = 8};
    assert_true(mk_ok(tds_header_check(&h, 4096, TDS_TYPES_SESSION)));
    h.length = 9;
    assert_true(mk_failed(tds_header_check(&h, 4096, TDS_TYPES_SESSION)));
    h.length = 8;
    h.status = 0;
    assert_true(mk_failed(tds_header_check(&h, 4096, TDS_TYPES_SESSION)));
}

/* Walk packets in buf and check headers; returns the reassembled payload length. */
static size_t check_packets(const mk_buf *b, uint8_t type, size_t psize, size_t *npackets,
                            uint8_t *payload)
{
    size_t off = 0;
    size_t total = 0;
    size_t n = 0;
    while (off < b->len) {
        tds_header h;
        assert_true(mk_ok(tds_header_parse(b->data + off, b->len - off, &h)));
        assert_int_equal(h.type, type);
        assert_true(h.length <= psize);
        assert_int_equal(h.spid, 0x0033);
        assert_int_equal(h.packet_id, (uint8_t)(n + 1));
        int last = off + h.length == b->len;
        assert_int_equal(h.status, last ? TDS_STATUS_EOM : 0);
        if (!last) {
            assert_int_equal(h.length, psize);
        }
        memcpy(payload + total, b->data + off + 8, h.length - 8u);
        total += h.length - 8u;
        off += h.length;
        n++;
    }
    *npackets = n;
    return total;
}

static void test_packetize_split(void **state)
{
    (void)state;
    enum { LEN = 1200 };
    uint8_t msg[LEN];
    uint8_t back[LEN];
    for (size_t i = 0; i < LEN; i++) {
        msg[i] = (uint8_t)(i * 7);
    }
    mk_buf out;
    size_t n;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(tds_packetize(TDS_PKT_REPLY, msg, LEN, 512, 0x33, &out)));
    /* 504 + 504 + 192 */
    assert_int_equal(out.len, LEN + 3 * 8);
    assert_int_equal(check_packets(&out, TDS_PKT_REPLY, 512, &n, back), LEN);
    assert_int_equal(n, 3);
    assert_memory_equal(back, msg, LEN);

    /* Exactly one full packet: no empty trailing packet. */
    mk_buf_reset(&out);
    assert_true(mk_ok(tds_packetize(TDS_PKT_REPLY, msg, 504, 512, 0x33, &out)));
    assert_int_equal(out.len, 512);
    assert_int_equal(out.data[1], TDS_STATUS_EOM);
    mk_buf_cleanup(&out);
}

static void test_packetize_empty_and_golden(void **state)
{
    (void)state;
    mk_buf out;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(tds_packetize(TDS_PKT_ATTENTION, NULL, 0, 4096, 0, &out)));
    const uint8_t attn[] = {0x06, 0x01, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00};
    assert_int_equal(out.len, 8);
    assert_memory_equal(out.data, attn, 8);

    mk_buf_reset(&out);
    const uint8_t msg[] = {0xFD, 0x00, 0x00};
    const uint8_t want[] = {0x04, 0x01, 0x00, 0x0B, 0x00, 0x35, 0x01, 0x00, 0xFD, 0x00, 0x00};
    assert_true(mk_ok(tds_packetize(TDS_PKT_REPLY, msg, sizeof(msg), 4096, 0x35, &out)));
    assert_int_equal(out.len, sizeof(want));
    assert_memory_equal(out.data, want, sizeof(want));
    mk_buf_cleanup(&out);
}

static void test_packetize_id_wraps(void **state)
{
    (void)state;
    const size_t len = 300 * 504;
    uint8_t *msg = calloc(1, len);
    uint8_t *back = calloc(1, len);
    assert_non_null(msg);
    assert_non_null(back);
    mk_buf out;
    size_t n;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(tds_packetize(TDS_PKT_REPLY, msg, len, 512, 0x33, &out)));
    assert_int_equal(check_packets(&out, TDS_PKT_REPLY, 512, &n, back), len);
    assert_int_equal(n, 300);
    /* packet 256 has id 0, packet 257 id 1 */
    assert_int_equal(out.data[255 * 512 + 6], 0);
    assert_int_equal(out.data[256 * 512 + 6], 1);
    mk_buf_cleanup(&out);
    free(msg);
    free(back);
}

static void test_packetize_bad_size_and_cap(void **state)
{
    (void)state;
    const uint8_t msg[600] = {0};
    mk_buf out;
    mk_buf_init(&out, 0);
    assert_true(mk_failed(tds_packetize(TDS_PKT_REPLY, msg, sizeof(msg), 511, 0, &out)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_true(mk_failed(tds_packetize(TDS_PKT_REPLY, msg, sizeof(msg), 32768, 0, &out)));
    assert_int_equal(out.len, 0);
    mk_buf_cleanup(&out);
    /* An output cap hit mid-way leaves the buffer as it was. */
    mk_buf_init(&out, 520);
    assert_true(mk_ok(mk_buf_put_u8(&out, 0xAA)));
    assert_true(mk_failed(tds_packetize(TDS_PKT_REPLY, msg, sizeof(msg), 512, 0, &out)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_int_equal(out.len, 1);
    mk_buf_cleanup(&out);
}

static void test_negotiate(void **state)
{
    (void)state;
    assert_int_equal(tds_packet_size_negotiate(0, 32767), 4096);
    assert_int_equal(tds_packet_size_negotiate(4096, 32767), 4096);
    assert_int_equal(tds_packet_size_negotiate(100, 32767), 512);
    assert_int_equal(tds_packet_size_negotiate(65535, 32767), 32767);
    assert_int_equal(tds_packet_size_negotiate(65535, 100000), 32767);
    assert_int_equal(tds_packet_size_negotiate(16384, 8192), 8192);
    assert_int_equal(tds_packet_size_negotiate(8192, 0), 512);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_parse_and_encode),
        cmocka_unit_test(test_header_truncated_every_byte),
        cmocka_unit_test(test_header_length_below_8),
        cmocka_unit_test(test_header_check),
        cmocka_unit_test(test_header_check_attention),
        cmocka_unit_test(test_packetize_split),
        cmocka_unit_test(test_packetize_empty_and_golden),
        cmocka_unit_test(test_packetize_id_wraps),
        cmocka_unit_test(test_packetize_bad_size_and_cap),
        cmocka_unit_test(test_negotiate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
