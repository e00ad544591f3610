/*
 * Message reassembler (MS-TDS 2.2.3: a message is one or more packets of the
 * same type, the last one marked EOM). Fed whole packets, it concatenates
 * their payloads until EOM under a per-type hard cap on message size.
 *
 * Lifecycle: tds_reasm_new, then per packet tds_reasm_feed; on
 * TDS_REASM_MESSAGE read the message with the accessors and call
 * tds_reasm_next before feeding again. The message buffer is wiped when it
 * is released or reused, since a LOGIN7 message carries the password.
 */
#ifndef TDS_REASM_H
#define TDS_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"

/* Caps on whole message payloads (headers excluded), in bytes. */
typedef struct tds_reasm_caps {
    size_t prelogin; /* PRELOGIN, also the TLS handshake carried in it */
    size_t login7;   /* LOGIN7, SSPI, FEDAUTH token */
    size_t request;  /* SQL batch, RPC, bulk load, transaction manager */
} tds_reasm_caps;

#define TDS_REASM_CAP_LOGIN_DEFAULT ((size_t)64 * 1024)
#define TDS_REASM_CAP_REQUEST_DEFAULT ((size_t)1024 * 1024)
#define TDS_REASM_CAP_LIMIT ((size_t)64 * 1024 * 1024)

/* 64 KiB for PRELOGIN and LOGIN7, 1 MiB for requests. */
tds_reasm_caps tds_reasm_caps_default(void);

typedef enum tds_reasm_status {
    TDS_REASM_NEED_MORE = 0, /* packet accepted, message not complete */
    TDS_REASM_MESSAGE,       /* a complete message is available */
    TDS_REASM_IGNORED,       /* the client set IGNORE on EOM: message dropped (2.2.3.1.2) */
} tds_reasm_status;

typedef struct tds_reasm tds_reasm;

/* A reassembler with the given caps (each 1..TDS_REASM_CAP_LIMIT). */
MK_RESULT tds_reasm_new(const tds_reasm_caps *caps, tds_reasm **out);
/* Wipe and release. Accepts NULL. */
void tds_reasm_free(tds_reasm *r);

/*
 * Add one whole packet (header + payload, exactly its length field long).
 * Errors, after which the reassembler must be discarded with the connection:
 * MK_E_INVALID malformed header, length mismatch, unknown type, type change
 * in mid-message, attention with payload; MK_E_TOOBIG over the type's cap;
 * MK_E_STATE a message is pending (call tds_reasm_next first).
 */
MK_RESULT tds_reasm_feed(tds_reasm *r, const uint8_t *packet, size_t len, tds_reasm_status *st);

/* The completed message (valid after TDS_REASM_MESSAGE until tds_reasm_next). */
uint8_t tds_reasm_type(const tds_reasm *r);
/* Status bits of the message's first packet (RESET_CONN flags live there). */
uint8_t tds_reasm_status_bits(const tds_reasm *r);
/* The payload; may be NULL when tds_reasm_len is 0 (attention). */
const uint8_t *tds_reasm_data(const tds_reasm *r);
size_t tds_reasm_len(const tds_reasm *r);

/* Drop the current message (wiping it) and get ready for the next one. */
void tds_reasm_next(tds_reasm *r);

#endif
