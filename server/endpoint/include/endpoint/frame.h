/*
 * Frames of the mirroring endpoint protocol (docs/endpoint.md), spoken
 * inside TLS 1.3 after the handshake. Every message is one frame:
 *
 *   u8    type       EP_FRAME_*
 *   u8    flags      must be 0 (reserved)
 *   u32be stream_id  0 for HELLO/ACCEPT/REJECT/HEARTBEAT
 *   u32be length     payload bytes that follow, capped per type
 *   ...   payload
 *
 * Caps are checked on the header, before anything is allocated, so a reader
 * never buffers more than EP_FRAME_PAYLOAD_MAX for a hostile length. This
 * file is pure: no sockets, no catalog.
 */
#ifndef EP_FRAME_H
#define EP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/cursor.h"
#include "mk/result.h"

#define EP_FRAME_HEADER_LEN 10
/* Opaque payload frames (database mirroring data). */
#define EP_FRAME_PAYLOAD_MAX ((size_t)1024 * 1024)
/* Control frames. */
#define EP_FRAME_CONTROL_MAX ((size_t)64 * 1024)
/* HELLO, ACCEPT, REJECT bodies. */
#define EP_FRAME_HANDSHAKE_MAX ((size_t)1024)
/* A heartbeat carries exactly a u64be sequence number. */
#define EP_FRAME_HEARTBEAT_LEN 8

typedef enum ep_frame_type {
    EP_FRAME_HELLO = 1,     /* connector -> acceptor, first frame (hello.h) */
    EP_FRAME_ACCEPT = 2,    /* acceptor's answer: logged in */
    EP_FRAME_REJECT = 3,    /* acceptor's answer: refused, then close */
    EP_FRAME_HEARTBEAT = 4, /* either side, on idle connections */
    EP_FRAME_CONTROL = 5,   /* session control (opaque to this layer) */
    EP_FRAME_PAYLOAD = 6,   /* mirroring data (opaque to this layer) */
} ep_frame_type;

typedef struct ep_frame_header {
    uint8_t type;
    uint32_t stream_id;
    uint32_t length;
} ep_frame_header;

/* One parsed frame; payload borrows the input. */
typedef struct ep_frame {
    ep_frame_header h;
    const uint8_t *payload; /* h.length bytes; NULL when 0 */
} ep_frame;

/* The payload cap for a type; 0 for an unknown type. */
size_t ep_frame_max_payload(uint8_t type);
/* "HELLO", "PAYLOAD", ... or "?" for an unknown type. */
const char *ep_frame_type_name(uint8_t type);

/*
 * Parse exactly EP_FRAME_HEADER_LEN bytes. Errors: MK_E_BOUNDS (len is not
 * the header length), MK_E_INVALID (unknown type, flags set, a nonzero stream
 * id where it must be 0, a heartbeat of the wrong length), MK_E_TOOBIG
 * (length over the type's cap).
 */
MK_RESULT ep_frame_header_parse(const uint8_t *data, size_t len, ep_frame_header *out);

/*
 * Read one whole frame from c (header and payload), advancing past it. The
 * payload borrows c's memory. Errors: those of ep_frame_header_parse, and
 * MK_E_BOUNDS when c ends before the frame does (c is left unchanged).
 */
MK_RESULT ep_frame_parse(mk_cursor *c, ep_frame *out);

/*
 * Append one frame to out. The same checks as the reader apply (a writer
 * never produces what the reader refuses): MK_E_INVALID, MK_E_TOOBIG.
 * payload may be NULL when len is 0.
 */
MK_RESULT ep_frame_encode(mk_buf *out, uint8_t type, uint32_t stream_id, const uint8_t *payload,
                          size_t len);

#endif
