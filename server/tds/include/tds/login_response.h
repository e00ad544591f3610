/*
 * The token streams that answer a LOGIN7 (MS-TDS 2.2.2.2, example in 4.2):
 * success is ENVCHANGE database, INFO 5701, ENVCHANGE collation, ENVCHANGE
 * language, ENVCHANGE packet size, INFO 5703, LOGINACK, DONE; failure is
 * ERROR 18456 (class 14) then DONE with the error bit. The caller packetizes
 * the result as one type 0x04 message.
 */
#ifndef TDS_LOGIN_RESPONSE_H
#define TDS_LOGIN_RESPONSE_H

#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "tds/result.h"

typedef struct tds_login_env {
    const char *database; /* e.g. "master" */
    const char *language; /* e.g. "us_english" */
    uint8_t collation[TDS_COLLATION_LEN];
    uint32_t packet_size;    /* negotiated (tds_packet_size_negotiate) */
    const char *server_name; /* ServerName in INFO tokens */
    const char *prog_name;   /* LOGINACK program name */
    uint8_t prog_version[4]; /* major, minor, build high, build low */
    uint32_t tds_version;    /* TDS_VERSION_7_4 */
} tds_login_env;

/* Append the whole success stream in the order above. */
MK_RESULT tds_login_response_encode(mk_buf *out, const tds_login_env *env);

/*
 * Append ERROR 18456 state 1 class 14 "Login failed for user '<username>'."
 * and a final DONE with TDS_DONE_ERROR. username is UTF-8 (NULL = empty).
 */
MK_RESULT tds_login_failed_encode(mk_buf *out, const char *username, const char *server_name);

#endif
