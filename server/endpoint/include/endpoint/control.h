/*
 * Session control messages (docs/endpoint.md "Sessions"): the body of a
 * CONTROL frame (endpoint/frame.h, stream 0) by which ALTER DATABASE ... SET
 * PARTNER / WITNESS on one instance reaches its partner. One request per
 * connection, answered by one RESULT:
 *
 *   u8  op         EP_CTL_*
 *   JOIN, LEAVE:   u8 n, n bytes  database name (1..EP_DB_NAME_MAX)
 *   SET_WITNESS:   u8 n, n bytes  database name
 *                  u8 n, n bytes  witness address ('TCP://host:port', 0 = none)
 *   RESULT:        u32be          0 done, else SQL Server's error number
 *                  u16be n, n bytes  text (0..EP_CTL_TEXT_MAX)
 *
 * Names, addresses and texts are UTF-8 without control characters; a
 * non-empty witness must parse as an address (endpoint/address.h); nothing
 * may follow. Pure: no sockets, no catalog.
 */
#ifndef EP_CONTROL_H
#define EP_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"

#define EP_DB_NAME_MAX 128
#define EP_CTL_ADDRESS_MAX 128 /* as the catalog stores it (CAT_ADDRESS_MAX) */
#define EP_CTL_TEXT_MAX 256

typedef enum ep_control_op {
    EP_CTL_JOIN = 1,        /* SET PARTNER on the principal: "you are my mirror for database" */
    EP_CTL_LEAVE = 2,       /* SET PARTNER OFF: the session for database ended */
    EP_CTL_SET_WITNESS = 3, /* SET WITNESS (OFF): the session's witness is now witness */
    EP_CTL_RESULT = 4,      /* the answer to any of the above */
} ep_control_op;

typedef struct ep_control {
    uint8_t op;                           /* ep_control_op */
    char database[EP_DB_NAME_MAX + 1];    /* JOIN, LEAVE, SET_WITNESS */
    char witness[EP_CTL_ADDRESS_MAX + 1]; /* SET_WITNESS ("" = no witness) */
    uint32_t number;                      /* RESULT */
    char text[EP_CTL_TEXT_MAX + 1];       /* RESULT */
} ep_control;

/*
 * Parse one control body; the whole of data[0..len) must be one message.
 * Errors: MK_E_BOUNDS (truncated), MK_E_INVALID (unknown op, bad name,
 * address or text, trailing bytes), MK_E_TOOBIG (over EP_FRAME_CONTROL_MAX).
 */
MK_RESULT ep_control_parse(const uint8_t *data, size_t len, ep_control *out);

/*
 * Append the body for m's op (only its fields are written). MK_E_INVALID for
 * bad fields, and then nothing is appended.
 */
MK_RESULT ep_control_encode(const ep_control *m, mk_buf *out);

/* "JOIN", "LEAVE", "SET_WITNESS", "RESULT" or "?" */
const char *ep_control_op_name(uint8_t op);

#endif
