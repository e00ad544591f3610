/*
 * TDS packet I/O for one connection (MS-TDS 2.2.3): read exactly one packet
 * (header first, checked before the body is read, so a hostile length never
 * makes us wait for or allocate more than the phase allows), reassemble
 * messages, and packetize replies. Works over the plain or the TLS mk_conn.
 */
#include "internal.h"

#include "tds/packet.h"

MK_RESULT srv_tds_read_packet(srv_tds *t, size_t max_packet, uint32_t allowed)
{
    uint8_t hdr[TDS_HEADER_LEN];
    size_t got = 0;
    GUARD(t->conn->ops->read(t->conn, hdr, sizeof(hdr), &got));
    if (got == 0) {
        t->client_eof = true;
        BAIL_MSG(MK_E_IO, "client closed the connection");
    }
    if (got < sizeof(hdr)) {
        GUARD(net_read_full(t->conn, hdr + got, sizeof(hdr) - got));
    }
    tds_header h;
    GUARD(tds_header_parse(hdr, sizeof(hdr), &h));
    if (mk_failed(tds_header_check(&h, max_packet, allowed))) {
        mk_error_context("packet type 0x%02X, length %u", h.type, h.length);
        return MK_ERR;
    }
    mk_buf_reset(&t->packet);
    GUARD(mk_buf_append(&t->packet, hdr, sizeof(hdr)));
    size_t body = (size_t)h.length - TDS_HEADER_LEN;
    GUARD(mk_buf_reserve(&t->packet, body));
    GUARD(net_read_full(t->conn, t->packet.data + t->packet.len, body));
    t->packet.len += body;
    return MK_OK;
}

MK_RESULT srv_tds_read_message(srv_tds *t, size_t max_packet, uint32_t allowed)
{
    for (;;) {
        GUARD(srv_tds_read_packet(t, max_packet, allowed));
        tds_reasm_status st = TDS_REASM_NEED_MORE;
        GUARD(tds_reasm_feed(t->reasm, t->packet.data, t->packet.len, &st));
        if (st == TDS_REASM_MESSAGE) {
            return MK_OK;
        }
        /* NEED_MORE: read on; IGNORED: the client withdrew the message (2.2.3.1.2). */
    }
}

MK_RESULT srv_tds_send(srv_tds *t, uint8_t type, const uint8_t *msg, size_t len)
{
    mk_buf_reset(&t->out);
    GUARD(tds_packetize(type, msg, len, t->packet_size, t->spid, &t->out));
    return net_write(t->conn, t->out.data, t->out.len);
}
