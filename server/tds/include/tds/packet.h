/*
 * TDS packets (MS-TDS 2.2.3): the 8-byte packet header, its checks, and the
 * packetizer that splits an outgoing message into packets. The reassembler
 * that joins incoming packets into messages is in tds/reasm.h.
 *
 * The caller's I/O reads exactly TDS_HEADER_LEN bytes, calls
 * tds_header_parse and tds_header_check, then reads length - 8 more bytes and
 * hands the whole packet to the reassembler. Nothing here does I/O.
 */
#ifndef TDS_PACKET_H
#define TDS_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"

#define TDS_HEADER_LEN 8

/* Packet sizes (MS-TDS 2.2.6.4 PacketSize, 2.2.7.9 ENVCHANGE type 4). */
#define TDS_PACKET_SIZE_MIN 512
#define TDS_PACKET_SIZE_DEFAULT 4096
#define TDS_PACKET_SIZE_MAX 32767

/* Packet types (MS-TDS 2.2.3.1.1). */
enum {
    TDS_PKT_SQL_BATCH = 0x01,
    TDS_PKT_PRE_TDS7_LOGIN = 0x02,
    TDS_PKT_RPC = 0x03,
    TDS_PKT_REPLY = 0x04,
    TDS_PKT_ATTENTION = 0x06,
    TDS_PKT_BULK = 0x07,
    TDS_PKT_FEDAUTH_TOKEN = 0x08,
    TDS_PKT_TRANS_MGR = 0x0E,
    TDS_PKT_LOGIN7 = 0x10,
    TDS_PKT_SSPI = 0x11,
    TDS_PKT_PRELOGIN = 0x12,
};

/* Status bits (MS-TDS 2.2.3.1.2). */
enum {
    TDS_STATUS_EOM = 0x01,
    TDS_STATUS_IGNORE = 0x02,
    TDS_STATUS_RESET_CONN = 0x08,
    TDS_STATUS_RESET_CONN_KEEP_TRAN = 0x10,
};

/* Sets of packet types a client may send in a connection phase (for tds_header_check). */
#define TDS_TYPE_BIT(t) (UINT32_C(1) << (t))
#define TDS_TYPES_PRELOGIN TDS_TYPE_BIT(TDS_PKT_PRELOGIN)
#define TDS_TYPES_LOGIN (TDS_TYPE_BIT(TDS_PKT_LOGIN7) | TDS_TYPE_BIT(TDS_PKT_PRELOGIN))
#define TDS_TYPES_SESSION                                                                          \
    (TDS_TYPE_BIT(TDS_PKT_SQL_BATCH) | TDS_TYPE_BIT(TDS_PKT_RPC) |                                 \
     TDS_TYPE_BIT(TDS_PKT_ATTENTION) | TDS_TYPE_BIT(TDS_PKT_BULK) |                                \
     TDS_TYPE_BIT(TDS_PKT_TRANS_MGR))

typedef struct tds_header {
    uint8_t type;
    uint8_t status;
    uint16_t length; /* whole packet, header included */
    uint16_t spid;
    uint8_t packet_id;
    uint8_t window;
} tds_header;

/*
 * Parse the first TDS_HEADER_LEN bytes of bytes[0..len). Fails with
 * MK_E_BOUNDS when len < 8 and MK_E_INVALID when the length field is below 8.
 * Says nothing about whether the type is acceptable: see tds_header_check.
 */
MK_RESULT tds_header_parse(const uint8_t *bytes, size_t len, tds_header *out);

/* Append the 8 header bytes (length, SPID big-endian) to out. */
MK_RESULT tds_header_encode(const tds_header *h, mk_buf *out);

/*
 * Decide whether the caller may read the rest of this packet: length within
 * [8, max_packet] (max_packet itself is clamped to TDS_PACKET_SIZE_MAX), the
 * type in the `allowed` mask (TDS_TYPES_*), an attention packet header-only
 * and marked EOM. MK_E_TOOBIG for size, MK_E_INVALID otherwise; the caller
 * closes the connection on failure (MS-TDS 2.2.3.1.1).
 */
MK_RESULT tds_header_check(const tds_header *h, size_t max_packet, uint32_t allowed);

/*
 * Append msg[0..len) to out as packets of at most packet_size bytes (header
 * included; packet_size within [TDS_PACKET_SIZE_MIN, TDS_PACKET_SIZE_MAX]).
 * Packet ids count 1, 2, ... modulo 256; the last packet carries EOM. An
 * empty message becomes one header-only EOM packet. out is unchanged on
 * failure only as far as its length goes (it is truncated back).
 */
MK_RESULT tds_packetize(uint8_t type, const uint8_t *msg, size_t len, size_t packet_size,
                        uint16_t spid, mk_buf *out);

/*
 * Server's answer to a client's requested packet size (LOGIN7 PacketSize):
 * 0 means the server default (4096); others are clamped to
 * [TDS_PACKET_SIZE_MIN, server_max], server_max clamped to TDS_PACKET_SIZE_MAX.
 */
uint32_t tds_packet_size_negotiate(uint32_t requested, uint32_t server_max);

#endif
