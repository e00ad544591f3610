/*
 * Token encoders for the server's tabular replies (MS-TDS 2.2.7): DONE and
 * its variants, LOGINACK, ENVCHANGE, INFO and ERROR. Each appends exactly one
 * token to an mk_buf; the caller packetizes the whole reply (tds/packet.h).
 * Result sets (COLMETADATA, ROW) are in tds/result.h.
 */
#ifndef TDS_TOKENS_H
#define TDS_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"

/* Token types (2.2.7). */
enum {
    TDS_TOKEN_COLMETADATA = 0x81,
    TDS_TOKEN_ERROR = 0xAA,
    TDS_TOKEN_INFO = 0xAB,
    TDS_TOKEN_LOGINACK = 0xAD,
    TDS_TOKEN_ROW = 0xD1,
    TDS_TOKEN_ENVCHANGE = 0xE3,
    TDS_TOKEN_DONE = 0xFD,
    TDS_TOKEN_DONEPROC = 0xFE,
    TDS_TOKEN_DONEINPROC = 0xFF,
};

/* DONE status bits (2.2.7.6). */
enum {
    TDS_DONE_FINAL = 0x0000,
    TDS_DONE_MORE = 0x0001,
    TDS_DONE_ERROR = 0x0002,
    TDS_DONE_INXACT = 0x0004,
    TDS_DONE_COUNT = 0x0010,
    TDS_DONE_ATTN = 0x0020,
    TDS_DONE_SRVERROR = 0x0100,
};

/*
 * DONE / DONEPROC / DONEINPROC (token is one of those three, else
 * MK_E_INVALID): status u16, current command u16, row count u64 (TDS 7.2+).
 */
MK_RESULT tds_done_encode(mk_buf *out, uint8_t token, uint16_t status, uint16_t curcmd,
                          uint64_t rows);

/* The DONE that acknowledges an attention (2.2.1.7): status ATTN, no count. */
MK_RESULT tds_done_attn_encode(mk_buf *out);

/* LOGINACK interface values (2.2.7.14). FreeTDS requires SQL_TSQL. */
enum { TDS_LOGINACK_SQL_DFLT = 0, TDS_LOGINACK_SQL_TSQL = 1 };

/*
 * LOGINACK: interface, TDS version (written as on the wire, 74 00 00 04 for
 * 7.4), program name (B_VARCHAR, <= 255 characters) and its version bytes
 * (major, minor, build high, build low). The length field is exact.
 */
MK_RESULT tds_loginack_encode(mk_buf *out, uint8_t interface, uint32_t tds_version,
                              const char *prog_name, const uint8_t prog_version[4]);

/* ENVCHANGE types (2.2.7.9) that mirrorkeyd sends. */
enum {
    TDS_ENV_DATABASE = 1,
    TDS_ENV_LANGUAGE = 2,
    TDS_ENV_CHARSET = 3,
    TDS_ENV_PACKET_SIZE = 4,
    TDS_ENV_SQL_COLLATION = 7,
};

/* ENVCHANGE with B_VARCHAR new and old values (types 1-6); NULL old = empty. */
MK_RESULT tds_envchange_string(mk_buf *out, uint8_t type, const char *new_value,
                               const char *old_value);
/* ENVCHANGE with B_VARBYTE values (collation, type 7); lengths <= 255. */
MK_RESULT tds_envchange_bytes(mk_buf *out, uint8_t type, const uint8_t *new_value, size_t new_len,
                              const uint8_t *old_value, size_t old_len);
/* ENVCHANGE packet size: both values as decimal strings. */
MK_RESULT tds_envchange_packet_size(mk_buf *out, uint32_t new_size, uint32_t old_size);

/*
 * A server message (2.2.7.10 ERROR, 2.2.7.13 INFO). text is UTF-8 and is cut
 * at a character boundary after TDS_MESSAGE_MAX_UNITS UTF-16 units; server
 * and proc are B_VARCHARs (<= 128 characters; NULL = empty).
 */
#define TDS_MESSAGE_MAX_UNITS 4000
typedef struct tds_message {
    int32_t number;
    uint8_t state;
    uint8_t severity; /* "class": <= 10 informational */
    const char *text;
    const char *server;
    const char *proc;
    int32_t line;
} tds_message;

MK_RESULT tds_error_encode(mk_buf *out, const tds_message *m);
MK_RESULT tds_info_encode(mk_buf *out, const tds_message *m);
/* INFO when severity <= 10, else ERROR (SQL Server's rule). */
MK_RESULT tds_message_encode(mk_buf *out, const tds_message *m);

#endif
