/*
 * Fuzz the packet header checks and the reassembler (MS-TDS 2.2.3) the way
 * the server's I/O drives them. Input: one configuration byte (bit 0-1: the
 * connection phase's allowed types; bit 7: a 512-byte negotiated packet size
 * instead of 32767), then a stream of packets. Every completed message is
 * re-packetized and reassembled again, and must come back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mk/cursor.h"
#include "tds/packet.h"
#include "tds/reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t phases[4] = {TDS_TYPES_PRELOGIN, TDS_TYPES_LOGIN, TDS_TYPES_SESSION,
                                   UINT32_MAX};

/* Packetize a message and feed it through a fresh reassembler: it must survive intact. */
static void roundtrip(uint8_t type, const uint8_t *msg, size_t len, size_t psize)
{
    tds_reasm_caps caps = {TDS_REASM_CAP_LIMIT, TDS_REASM_CAP_LIMIT, TDS_REASM_CAP_LIMIT};
    tds_reasm *r = NULL;
    mk_buf pk;
    mk_buf_init(&pk, 0);
    if (mk_failed(tds_reasm_new(&caps, &r)) ||
        mk_failed(tds_packetize(type, msg, len, psize, 0, &pk))) {
        abort();
    }
    mk_cursor c;
    mk_cursor_init(&c, pk.data, pk.len);
    tds_reasm_status st = TDS_REASM_NEED_MORE;
    while (mk_cursor_remaining(&c) > 0) {
        tds_header h;
        mk_cursor p;
        if (mk_failed(tds_header_parse(mk_cursor_ptr(&c), mk_cursor_remaining(&c), &h)) ||
            mk_failed(mk_cursor_read_bytes(&c, h.length, &p)) ||
            mk_failed(tds_reasm_feed(r, mk_cursor_ptr(&p), h.length, &st))) {
            abort();
        }
    }
    if (st != TDS_REASM_MESSAGE || tds_reasm_len(r) != len ||
        (len > 0 && memcmp(tds_reasm_data(r), msg, len) != 0)) {
        abort();
    }
    tds_reasm_free(r);
    mk_buf_cleanup(&pk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mk_cursor in;
    uint8_t cfg;
    mk_cursor_init(&in, data, size);
    if (mk_failed(mk_cursor_read_u8(&in, &cfg))) {
        return 0;
    }
    const size_t max_packet = (cfg & 0x80) != 0 ? TDS_PACKET_SIZE_MIN : TDS_PACKET_SIZE_MAX;
    tds_reasm_caps caps = {4096, 8192, 65536};
    tds_reasm *r = NULL;
    if (mk_failed(tds_reasm_new(&caps, &r))) {
        abort();
    }
    while (mk_cursor_remaining(&in) > 0) {
        tds_header h;
        mk_cursor pkt;
        tds_reasm_status st;
        if (mk_failed(tds_header_parse(mk_cursor_ptr(&in), mk_cursor_remaining(&in), &h)) ||
            mk_failed(tds_header_check(&h, max_packet, phases[cfg & 3])) ||
            mk_failed(mk_cursor_read_bytes(&in, h.length, &pkt)) ||
            mk_failed(tds_reasm_feed(r, mk_cursor_ptr(&pkt), h.length, &st))) {
            break; /* the server closes the connection */
        }
        if (st == TDS_REASM_MESSAGE) {
            roundtrip(tds_reasm_type(r), tds_reasm_data(r), tds_reasm_len(r), max_packet);
            tds_reasm_next(r);
        }
    }
    tds_reasm_free(r);
    return 0;
}
