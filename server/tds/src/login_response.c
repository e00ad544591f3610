/*
 * Login response streams (MS-TDS 2.2.2.2). The order follows what SQL Server
 * sends and what FreeTDS expects; the DONE is final (no MORE bit).
 */
#include "tds/login_response.h"

#include <stdio.h>

#include "tds/packet.h"
#include "tds/tokens.h"

#define MSG_DB_CHANGED 5701
#define MSG_LANG_CHANGED 5703
#define MSG_LOGIN_FAILED 18456
#define LOGIN_FAILED_SEVERITY 14

/* "Changed database context to '...'." needs room for a 128-character name. */
#define TEXT_MAX 600

static MK_RESULT put_info(mk_buf *out, const tds_login_env *env, int32_t number, uint8_t state,
                          const char *text)
{
    tds_message m = {
        .number = number,
        .state = state,
        .severity = 0,
        .text = text,
        .server = env->server_name,
        .proc = "",
        .line = 1,
    };
    return tds_info_encode(out, &m);
}

MK_RESULT tds_login_response_encode(mk_buf *out, const tds_login_env *env)
{
    char text[TEXT_MAX];
    const size_t start = out->len;
    mk_result res = MK_ERR;
    GUARD_OUT(tds_envchange_string(out, TDS_ENV_DATABASE, env->database, env->database));
    int n = snprintf(text, sizeof(text), "Changed database context to '%s'.", env->database);
    ENSURE_OUT(n >= 0 && (size_t)n < sizeof(text), MK_E_TOOBIG, "database name too long");
    GUARD_OUT(put_info(out, env, MSG_DB_CHANGED, 2, text));
    GUARD_OUT(tds_envchange_bytes(out, TDS_ENV_SQL_COLLATION, env->collation, TDS_COLLATION_LEN,
                                  NULL, 0));
    GUARD_OUT(tds_envchange_string(out, TDS_ENV_LANGUAGE, env->language, ""));
    GUARD_OUT(tds_envchange_packet_size(out, env->packet_size, env->packet_size));
    n = snprintf(text, sizeof(text), "Changed language setting to %s.", env->language);
    ENSURE_OUT(n >= 0 && (size_t)n < sizeof(text), MK_E_TOOBIG, "language name too long");
    GUARD_OUT(put_info(out, env, MSG_LANG_CHANGED, 1, text));
    GUARD_OUT(tds_loginack_encode(out, TDS_LOGINACK_SQL_TSQL, env->tds_version, env->prog_name,
                                  env->prog_version));
    GUARD_OUT(tds_done_encode(out, TDS_TOKEN_DONE, TDS_DONE_FINAL, 0, 0));
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    return res;
}

MK_RESULT tds_login_failed_encode(mk_buf *out, const char *username, const char *server_name)
{
    char text[TEXT_MAX];
    const size_t start = out->len;
    mk_result res = MK_ERR;
    int n = snprintf(text, sizeof(text), "Login failed for user '%s'.",
                     username != NULL ? username : "");
    ENSURE_OUT(n >= 0 && (size_t)n < sizeof(text), MK_E_TOOBIG, "user name too long");
    tds_message m = {
        .number = MSG_LOGIN_FAILED,
        .state = 1,
        .severity = LOGIN_FAILED_SEVERITY,
        .text = text,
        .server = server_name,
        .proc = "",
        .line = 1,
    };
    GUARD_OUT(tds_error_encode(out, &m));
    GUARD_OUT(tds_done_encode(out, TDS_TOKEN_DONE, TDS_DONE_ERROR, 0, 0));
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    return res;
}
