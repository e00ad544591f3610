/*
 * TDS packet header and packetizer (MS-TDS 2.2.3.1). The header is the only
 * big-endian structure in TDS: type, status, length (header included), SPID,
 * packet id, window.
 */
#include "tds/packet.h"

#include "mk/cursor.h"

MK_RESULT tds_header_parse(const uint8_t *bytes, size_t len, tds_header *out)
{
    mk_cursor c;
    mk_cursor_init(&c, bytes, len);
    tds_header h;
    GUARD(mk_cursor_read_u8(&c, &h.type));
    GUARD(mk_cursor_read_u8(&c, &h.status));
    GUARD(mk_cursor_read_u16be(&c, &h.length));
    GUARD(mk_cursor_read_u16be(&c, &h.spid));
    GUARD(mk_cursor_read_u8(&c, &h.packet_id));
    GUARD(mk_cursor_read_u8(&c, &h.window));
    ENSURE_MSG(h.length >= TDS_HEADER_LEN, MK_E_INVALID, "TDS packet length %u below header size",
               h.length);
    *out = h;
    return MK_OK;
}

MK_RESULT tds_header_encode(const tds_header *h, mk_buf *out)
{
    GUARD(mk_buf_put_u8(out, h->type));
    GUARD(mk_buf_put_u8(out, h->status));
    GUARD(mk_buf_put_u16be(out, h->length));
    GUARD(mk_buf_put_u16be(out, h->spid));
    GUARD(mk_buf_put_u8(out, h->packet_id));
    GUARD(mk_buf_put_u8(out, h->window));
    return MK_OK;
}

MK_RESULT tds_header_check(const tds_header *h, size_t max_packet, uint32_t allowed)
{
    size_t cap = max_packet < TDS_PACKET_SIZE_MAX ? max_packet : TDS_PACKET_SIZE_MAX;
    ENSURE_MSG(h->length >= TDS_HEADER_LEN, MK_E_INVALID, "TDS packet length %u below header size",
               h->length);
    ENSURE_MSG(h->length <= cap, MK_E_TOOBIG, "TDS packet of %u bytes over the %zu-byte limit",
               h->length, cap);
    ENSURE_MSG(h->type < 32 && (allowed & TDS_TYPE_BIT(h->type)) != 0, MK_E_INVALID,
               "unexpected TDS packet type 0x%02X", h->type);
    if (h->type == TDS_PKT_ATTENTION) {
        ENSURE_MSG(h->length == TDS_HEADER_LEN && (h->status & TDS_STATUS_EOM) != 0, MK_E_INVALID,
                   "attention packet must be a header-only EOM packet");
    }
    return MK_OK;
}

MK_RESULT tds_packetize(uint8_t type, const uint8_t *msg, size_t len, size_t packet_size,
                        uint16_t spid, mk_buf *out)
{
    ENSURE_MSG(packet_size >= TDS_PACKET_SIZE_MIN && packet_size <= TDS_PACKET_SIZE_MAX,
               MK_E_INVALID, "packet size %zu outside [%d, %d]", packet_size, TDS_PACKET_SIZE_MIN,
               TDS_PACKET_SIZE_MAX);
    const size_t room = packet_size - TDS_HEADER_LEN;
    const size_t start = out->len;
    mk_cursor c;
    mk_cursor_init(&c, msg, len);
    uint8_t id = 1;
    do {
        size_t chunk = mk_cursor_remaining(&c) < room ? mk_cursor_remaining(&c) : room;
        tds_header h = {
            .type = type,
            .status = chunk == mk_cursor_remaining(&c) ? TDS_STATUS_EOM : 0,
            .length = (uint16_t)(chunk + TDS_HEADER_LEN),
            .spid = spid,
            .packet_id = id++,
            .window = 0,
        };
        const uint8_t *payload = mk_cursor_ptr(&c);
        if (mk_failed(tds_header_encode(&h, out)) ||
            (chunk > 0 && (mk_failed(mk_buf_append(out, payload, chunk)) ||
                           mk_failed(mk_cursor_skip(&c, chunk))))) {
            out->len = start;
            return MK_ERR;
        }
    } while (mk_cursor_remaining(&c) > 0);
    return MK_OK;
}

uint32_t tds_packet_size_negotiate(uint32_t requested, uint32_t server_max)
{
    uint32_t max = server_max < TDS_PACKET_SIZE_MAX ? server_max : TDS_PACKET_SIZE_MAX;
    if (max < TDS_PACKET_SIZE_MIN) {
        max = TDS_PACKET_SIZE_MIN;
    }
    if (requested == 0) {
        requested = TDS_PACKET_SIZE_DEFAULT;
    }
    if (requested < TDS_PACKET_SIZE_MIN) {
        return TDS_PACKET_SIZE_MIN;
    }
    return requested > max ? max : requested;
}
