/*
 * LOGIN7 (MS-TDS 2.2.6.4) and SQL authentication against the catalog.
 *
 * A malformed LOGIN7 closes the connection without a reply. A well-formed one
 * that cannot log in (unknown login, wrong password, disabled login, no
 * password, integrated authentication, unsupported TDS version, database
 * other than master) gets ERROR 18456 and a DONE with the error bit, after a
 * delay that grows with the failures from the same address (srv/throttle.h),
 * and the connection closes. The server log says why; the client only learns
 * "Login failed", as with SQL Server. The password is wiped right after the
 * verifier check.
 */
#include "internal.h"

#include <string.h>
#include <strings.h>

#include "catalog/principals.h"
#include "mk/log.h"
#include "tds/login7.h"
#include "tds/login_response.h"
#include "tds/packet.h"
#include "tds/tokens.h"

/* Oldest client TDS version accepted (7.2, SQL Server 2005): our tokens are 7.2+. */
#define SRV_TDS_MIN_VERSION UINT32_C(0x72090002)
#define SRV_LANGUAGE "us_english"
#define SRV_DATABASE "master"
static const uint8_t srv_prog_version[4] = {16, 0, 0x03, 0xE8}; /* 16.0.1000 */

static void wipe_passwords(tds_login7 *l)
{
    mk_secret_free(l->password);
    l->password = NULL;
    mk_secret_free(l->change_password);
    l->change_password = NULL;
}

/* Throttle, then answer 18456 and fail (the caller closes the connection). */
static MK_RESULT refuse(srv_tds *t, const tds_login7 *l, const char *why)
{
    unsigned delay = srv_throttle_fail(t->inst->throttle, t->peer_addr, srv_now_ms());
    MK_LOG_WARN("login failed for user '%s' from %s: %s%s", l->username, t->peer_addr, why,
                delay > 0 ? " (answer delayed)" : "");
    if (delay > 0 && !srv_server_sleep(t->slot->srv, delay)) {
        BAIL_MSG(MK_E_STATE, "server stopping");
    }
    mk_buf msg;
    mk_buf_init(&msg, 8192);
    mk_result r = tds_login_failed_encode(&msg, l->username, t->inst->config.instance_name);
    if (mk_ok(r)) {
        r = srv_tds_send(t, TDS_PKT_REPLY, msg.data, msg.len);
    }
    mk_buf_cleanup(&msg);
    if (mk_ok(r)) {
        (void)MK_RAISE(MK_E_PERM, "login failed for user '%s'", l->username);
    }
    return MK_ERR;
}

/* Why cat_login_authenticate refused, for the server log only. */
static const char *auth_failure_text(void)
{
    switch (cat_error_reason()) {
    case CAT_R_LOGIN_MISSING: return "no such login";
    case CAT_R_BAD_PASSWORD: return "password did not match";
    case CAT_R_LOGIN_DISABLED: return "login is disabled";
    case CAT_R_NO_PASSWORD: return "login has no password";
    default: return mk_error_message();
    }
}

/* Check the password against the catalog; the password is wiped in all cases. */
static MK_RESULT authenticate(srv_tds *t, tds_login7 *l, int32_t *login_id, const char **why)
{
    const uint8_t *pw = l->password != NULL ? mk_secret_cdata(l->password) : NULL;
    size_t len = l->password != NULL ? mk_secret_len(l->password) : 0;
    mk_result r = cat_open(t->inst->catalog_path, 0, &t->db);
    if (mk_ok(r)) {
        /* sys.mirrorkey_certificate_keys reads key attributes from the token when queried. */
        cat_set_keyinfo_source(t->db, exec_keyinfo_source, t->inst->exec);
    }
    if (mk_ok(r) && t->inst->endpoint != NULL) {
        /* sys.dm_db_mirroring_connections reads the endpoint's live connections. */
        cat_set_conn_source(t->db, ep_conn_source, t->inst->endpoint);
        /* sys.database_mirroring's live states read the sessions' kept links. */
        cat_set_link_source(t->db, ep_link_source, t->inst->endpoint);
    }
    if (mk_ok(r)) {
        r = cat_login_authenticate(t->db, l->username, pw != NULL ? pw : (const uint8_t *)"", len,
                                   login_id);
        *why = mk_failed(r) ? auth_failure_text() : "";
    } else {
        *why = "cannot open the catalog";
        mk_log_error_result(MK_LOG_ERROR, "catalog");
    }
    wipe_passwords(l);
    return r;
}

/* Session, packet size and the login response stream. */
static MK_RESULT accept_login(srv_tds *t, const tds_login7 *l, int32_t login_id)
{
    cat_login who;
    GUARD(cat_login_get_by_id(t->db, login_id, &who));
    t->who.login_id = login_id;
    memcpy(t->who.login_name, who.name, sizeof(t->who.login_name));
    GUARD(exec_session_new(t->inst->exec, t->db, &t->who, &t->session));
    uint32_t size = tds_packet_size_negotiate(l->packet_size, SRV_MAX_PACKET_SIZE);
    tds_login_env env = {
        .database = SRV_DATABASE,
        .language = SRV_LANGUAGE,
        .packet_size = size,
        .server_name = t->inst->config.instance_name,
        .prog_name = SRV_PROGRAM_NAME,
        .tds_version = l->tds_version < TDS_VERSION_7_4 ? l->tds_version : TDS_VERSION_7_4,
    };
    memcpy(env.collation, t->inst->collation, sizeof(env.collation));
    memcpy(env.prog_version, srv_prog_version, sizeof(env.prog_version));
    mk_buf msg;
    mk_buf_init(&msg, 64 * 1024);
    mk_result r = tds_login_response_encode(&msg, &env);
    if (mk_ok(r)) {
        /* Still in the old packet size: the client switches after reading ENVCHANGE. */
        r = srv_tds_send(t, TDS_PKT_REPLY, msg.data, msg.len);
    }
    mk_buf_cleanup(&msg);
    GUARD(r);
    t->packet_size = size;
    srv_throttle_success(t->inst->throttle, t->peer_addr);
    MK_LOG_INFO("login succeeded for user '%s' from %s (connection %u, packet size %u)",
                t->who.login_name, t->peer_addr, t->spid, size);
    return MK_OK;
}

/* A well-formed LOGIN7 we will not even check a password for: why, or NULL. */
static const char *precheck(const tds_login7 *l)
{
    if ((l->option_flags2 & TDS_LOGIN7_OPT2_INT_SECURITY) != 0 || l->sspi_len > 0) {
        return "integrated (SSPI) authentication is not supported";
    }
    if (l->username[0] == '\0') {
        return "no login name";
    }
    if (l->tds_version < SRV_TDS_MIN_VERSION) {
        return "client TDS version older than 7.2";
    }
    if (l->change_password != NULL) {
        return "password change at login is not supported";
    }
    if (l->database[0] != '\0' && strcasecmp(l->database, SRV_DATABASE) != 0) {
        return "requested a database other than master";
    }
    return NULL;
}

MK_RESULT srv_tds_login(srv_tds *t)
{
    mk_result res = MK_ERR;
    tds_login7 l;
    tds_login7_init(&l);
    GUARD_OUT(srv_tds_read_message(t, SRV_PRELOGIN_MAX_PACKET, TDS_TYPE_BIT(TDS_PKT_LOGIN7)));
    mk_result parsed = tds_login7_parse(tds_reasm_data(t->reasm), tds_reasm_len(t->reasm), &l);
    tds_reasm_next(t->reasm); /* wipes the message, obfuscated password included */
    mk_buf_reset(&t->packet);
    if (mk_failed(parsed)) {
        mk_error_context("malformed LOGIN7");
        goto out;
    }
    const char *why = precheck(&l);
    if (why != NULL) {
        wipe_passwords(&l);
        res = refuse(t, &l, why);
        goto out;
    }
    int32_t login_id = 0;
    if (mk_failed(authenticate(t, &l, &login_id, &why))) {
        res = refuse(t, &l, why);
        goto out;
    }
    res = accept_login(t, &l, login_id);
out:
    tds_login7_cleanup(&l);
    return res;
}
