/*
 * The endpoint login exchange (docs/endpoint.md), carried in frames of
 * endpoint/frame.h right after the TLS handshake:
 *
 *   HELLO  (connector -> acceptor)
 *     "MKEP"  magic
 *     u16be   lowest protocol version the connector speaks
 *     u16be   highest protocol version
 *     u8      requested role: 1 PARTNER, 2 WITNESS
 *     u8      n, then n bytes: the connector's instance name (UTF-8)
 *   ACCEPT (acceptor -> connector)
 *     "MKEP"  magic
 *     u16be   the version both will speak
 *     u8      n, then n bytes: the acceptor's instance name (UTF-8)
 *   REJECT (acceptor -> connector, then close)
 *     u16be   reason (ep_reject_reason)
 *     u16be   n, then n bytes: human text (UTF-8, may be empty)
 *
 * Names are 1..EP_NAME_MAX bytes, texts 0..EP_REJECT_TEXT_MAX bytes, both
 * well-formed UTF-8 without control characters; nothing may follow. The
 * parsers are pure functions from bytes to structs; each writer produces
 * only what its reader accepts.
 */
#ifndef EP_HELLO_H
#define EP_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"

#define EP_PROTO_VERSION 1
#define EP_NAME_MAX 128
#define EP_REJECT_TEXT_MAX 256

typedef enum ep_hello_role {
    EP_HELLO_PARTNER = 1,
    EP_HELLO_WITNESS = 2,
} ep_hello_role;

/* Why the acceptor refused; the text never says more than the code to an unauthenticated peer. */
typedef enum ep_reject_reason {
    EP_REJECT_PROTOCOL = 1,       /* malformed HELLO or no common version */
    EP_REJECT_NOT_AUTHORIZED = 2, /* peer certificate / login / CONNECT check failed */
    EP_REJECT_STOPPED = 3,        /* the endpoint is STOPPED */
    EP_REJECT_ROLE = 4,           /* the endpoint's ROLE does not admit the requested role */
    EP_REJECT_UNAVAILABLE = 5,    /* the acceptor cannot serve (token, catalog, capacity) */
} ep_reject_reason;

typedef struct ep_hello {
    uint16_t version_min;
    uint16_t version_max;
    uint8_t role; /* ep_hello_role */
    char instance[EP_NAME_MAX + 1];
} ep_hello;

typedef struct ep_accept {
    uint16_t version;
    char instance[EP_NAME_MAX + 1];
} ep_accept;

typedef struct ep_reject {
    uint16_t reason; /* ep_reject_reason (unknown values are kept, not refused) */
    char text[EP_REJECT_TEXT_MAX + 1];
} ep_reject;

/*
 * Parsers: the whole of data[0..len) must be one message. Errors:
 * MK_E_BOUNDS (truncated), MK_E_INVALID (bad magic, role, versions, name
 * or text, trailing bytes), MK_E_TOOBIG (over EP_FRAME_HANDSHAKE_MAX).
 */
MK_RESULT ep_hello_parse(const uint8_t *data, size_t len, ep_hello *out);
MK_RESULT ep_accept_parse(const uint8_t *data, size_t len, ep_accept *out);
MK_RESULT ep_reject_parse(const uint8_t *data, size_t len, ep_reject *out);

/* Writers: append the message body (not the frame header). MK_E_INVALID for bad fields. */
MK_RESULT ep_hello_encode(const ep_hello *h, mk_buf *out);
MK_RESULT ep_accept_encode(const ep_accept *a, mk_buf *out);
MK_RESULT ep_reject_encode(const ep_reject *r, mk_buf *out);

/* "PARTNER" / "WITNESS" / "?" */
const char *ep_hello_role_name(uint8_t role);
/* "PROTOCOL", "NOT_AUTHORIZED", ... or "?" */
const char *ep_reject_reason_name(uint16_t reason);

/*
 * The version both sides speak: the highest one in [min, max] that this
 * build supports. MK_E_INVALID when there is none.
 */
MK_RESULT ep_hello_pick_version(const ep_hello *h, uint16_t *version);

#endif
