/*
 * PRELOGIN (MS-TDS 2.2.6.5): the first message of a connection, in both
 * directions. An option table of (token, offset, length) entries ended by
 * 0xFF, then the option data; offsets count from the start of the message.
 *
 * One struct serves both the client's request (parsed by the server) and the
 * server's reply (encoded by the server); tests and fuzz seeds also encode
 * client requests and parse replies with the same two functions.
 */
#ifndef TDS_PRELOGIN_H
#define TDS_PRELOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/cursor.h"
#include "mk/result.h"

/* Option tokens (PL_OPTION_TOKEN). */
enum {
    TDS_PL_VERSION = 0x00,
    TDS_PL_ENCRYPTION = 0x01,
    TDS_PL_INSTOPT = 0x02,
    TDS_PL_THREADID = 0x03,
    TDS_PL_MARS = 0x04,
    TDS_PL_TRACEID = 0x05,
    TDS_PL_FEDAUTHREQUIRED = 0x06,
    TDS_PL_NONCEOPT = 0x07,
    TDS_PL_TERMINATOR = 0xFF,
};

/* ENCRYPTION option values (B_FENCRYPTION). */
enum {
    TDS_ENCRYPT_OFF = 0x00,
    TDS_ENCRYPT_ON = 0x01,
    TDS_ENCRYPT_NOT_SUP = 0x02,
    TDS_ENCRYPT_REQ = 0x03,
};

#define TDS_PL_INSTANCE_MAX 255 /* bytes of INSTOPT before its NUL */
#define TDS_PL_TRACEID_LEN 36   /* connection GUID, activity GUID, sequence */
#define TDS_PL_NONCE_LEN 32

/* Presence bits: TDS_PL_HAS(token). */
#define TDS_PL_HAS(tok) (UINT32_C(1) << (tok))

typedef struct tds_prelogin {
    uint32_t present;                       /* TDS_PL_HAS bits of the options seen / to encode */
    uint32_t version;                       /* VERSION: UL_VERSION, big-endian on the wire */
    uint16_t subbuild;                      /* VERSION: US_SUBBUILD */
    uint8_t encryption;                     /* ENCRYPTION */
    char instance[TDS_PL_INSTANCE_MAX + 1]; /* INSTOPT without its NUL; may be empty */
    bool has_thread_id;                     /* THREADID: clients send 4 bytes, the server none */
    uint32_t thread_id;                     /* read big-endian; debugging only */
    uint8_t mars;                           /* MARS: 0 off, 1 on */
    uint8_t trace_id[TDS_PL_TRACEID_LEN];
    uint8_t fedauth_required;
    uint8_t nonce[TDS_PL_NONCE_LEN];
} tds_prelogin;

/*
 * Parse a PRELOGIN message. Every entry's offset and length must lie in the
 * message and after the table; VERSION must be the first option and present;
 * a duplicate option, a missing terminator, or a known option of the wrong
 * size fails with MK_E_INVALID; an out-of-range entry with MK_E_BOUNDS.
 * Unknown option tokens are skipped after their range is checked.
 */
MK_RESULT tds_prelogin_parse(const uint8_t *msg, size_t len, tds_prelogin *out);

/* Encode the options whose TDS_PL_HAS bit is set, in token order. */
MK_RESULT tds_prelogin_encode(const tds_prelogin *p, mk_buf *out);

/*
 * Fill *p with the server's reply: VERSION (version, subbuild), ENCRYPTION
 * (the decided byte), INSTOPT 0x00 (instance matched), THREADID empty, MARS 0.
 */
void tds_prelogin_reply_init(tds_prelogin *p, uint32_t version, uint16_t subbuild,
                             uint8_t encryption);

/* What the server requires of TLS on this listener. */
typedef enum tds_encrypt_policy {
    TDS_ENCRYPT_POLICY_REQUIRED = 0, /* default: whole connection encrypted or refused */
    TDS_ENCRYPT_POLICY_OPTIONAL,     /* as SQL Server's default: at least the login */
    TDS_ENCRYPT_POLICY_UNAVAILABLE,  /* no TLS at all (tests without a certificate) */
} tds_encrypt_policy;

typedef enum tds_encrypt_mode {
    TDS_ENC_REFUSE = 0, /* send the reply, then an error, then close */
    TDS_ENC_NONE,       /* no TLS */
    TDS_ENC_LOGIN_ONLY, /* TLS for the LOGIN7 packet only */
    TDS_ENC_FULL,       /* TLS for the whole connection */
} tds_encrypt_mode;

typedef struct tds_encrypt_decision {
    uint8_t reply; /* ENCRYPTION byte for the server's PRELOGIN reply */
    tds_encrypt_mode mode;
} tds_encrypt_decision;

/*
 * The server's side of the encryption table of MS-TDS 2.2.6.5. Under the
 * REQUIRED policy: client OFF, ON or REQ get REQ and full encryption; client
 * NOT_SUP (or any other byte, e.g. the client-certificate bit) gets REQ and
 * TDS_ENC_REFUSE. Total: never fails.
 */
tds_encrypt_decision tds_prelogin_decide(uint8_t client_encryption, tds_encrypt_policy policy);

#endif
