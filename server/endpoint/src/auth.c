/*
 * The catalog check of a peer certificate (DESIGN.md "Endpoint"), run after
 * every TLS handshake, inbound and outbound, and again by the re-check. In
 * this order, as SQL Server reports them:
 *   1. the DER equals a certificate in the catalog          else 28035
 *   2. now (UTC) is within the peer certificate's validity  else 28035
 *   3. now is within our own certificate's validity         else 28055
 *   4. the certificate's owner user maps to a login that is enabled and
 *      holds CONNECT on the endpoint with no DENY           else 28034
 * A peer presenting our own endpoint certificate is ourselves (a partner
 * address that points back at this instance): 28035 with MK_E_EXISTS.
 * The failure's reason is recorded as the mk_result message; the caller logs
 * it with the number (ep_auth_log) and closes the connection.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#include "catalog/perms.h"
#include "catalog/principals.h"
#include "mk/log.h"

/* Steps 3 and 4 for a known certificate. Runs with db_lock held. */
static MK_RESULT check_owner(ep_manager *m, const cat_cert *cert, int32_t endpoint_id, ep_peer *out,
                             int *sql_error)
{
    cat_user user;
    cat_login login;
    int32_t login_id = 0;
    bool allowed = false;
    *sql_error = 28034;
    if (mk_failed(cat_user_get_by_id(m->db, cert->principal_id, &user))) {
        BAIL_MSG(MK_E_PERM, "certificate '%s' has no owner user", cert->name);
    }
    snprintf(out->user_name, sizeof(out->user_name), "%s", user.name);
    if (mk_failed(cat_login_for_user(m->db, user.principal_id, &login_id)) ||
        mk_failed(cat_login_get_by_id(m->db, login_id, &login))) {
        BAIL_MSG(MK_E_PERM, "user '%s' (owner of certificate '%s') has no login", user.name,
                 cert->name);
    }
    snprintf(out->login_name, sizeof(out->login_name), "%s", login.name);
    ENSURE_MSG(!login.is_disabled, MK_E_PERM, "login '%s' (certificate '%s') is disabled",
               login.name, cert->name);
    GUARD(cat_perm_can_connect(m->db, login_id, endpoint_id, &allowed));
    ENSURE_MSG(allowed, MK_E_PERM,
               "login '%s' (certificate '%s') has no CONNECT permission on the endpoint, or it "
               "is denied",
               login.name, cert->name);
    *sql_error = 0;
    return MK_OK;
}

static MK_RESULT check_locked(ep_manager *m, const uint8_t *der, size_t len, int64_t now,
                              ep_peer *out, int *sql_error)
{
    mk_result res = MK_ERR;
    cat_cert peer;
    cat_cert ours;
    cat_endpoint ep;
    bool found = false;
    memset(&peer, 0, sizeof(peer));
    memset(&ours, 0, sizeof(ours));
    *sql_error = 28035;
    if (mk_failed(cat_cert_get_by_der(m->db, der, len, &peer))) {
        if (mk_error_code() == MK_E_NOT_FOUND) {
            BAIL_MSG(MK_E_PERM, "the peer's certificate is not in the catalog");
        }
        return MK_ERR;
    }
    out->cert_id = peer.certificate_id;
    snprintf(out->cert_name, sizeof(out->cert_name), "%s", peer.name);
    ENSURE_OUT(now >= peer.meta.start_date, MK_E_PERM, "certificate '%s' is not valid yet",
               peer.name);
    ENSURE_OUT(now <= peer.meta.expiry_date, MK_E_PERM, "certificate '%s' has expired", peer.name);
    *sql_error = 28055;
    GUARD_OUT(cat_endpoint_get_mirroring(m->db, &ep, &found));
    ENSURE_OUT(found, MK_E_PERM, "the endpoint was dropped");
    /* Only this instance holds the key of its own certificate: the peer is ourselves. */
    if (peer.certificate_id == ep.certificate_id) {
        *sql_error = 28035;
        BAIL_OUT(MK_E_EXISTS,
                 "the peer presents this endpoint's own certificate '%s': it is "
                 "this instance",
                 peer.name);
    }
    if (mk_failed(cat_cert_get_by_id(m->db, ep.certificate_id, &ours))) {
        BAIL_OUT(MK_E_PERM, "our endpoint certificate (id %d) is gone", (int)ep.certificate_id);
    }
    ENSURE_OUT(now >= ours.meta.start_date && now <= ours.meta.expiry_date, MK_E_PERM,
               "our certificate '%s' is outside its validity period", ours.name);
    GUARD_OUT(check_owner(m, &peer, ep.endpoint_id, out, sql_error));
    res = MK_OK;
out:
    cat_cert_cleanup(&peer);
    cat_cert_cleanup(&ours);
    return res;
}

MK_RESULT ep_auth_peer(ep_manager *m, const uint8_t *der, size_t len, ep_peer *out, int *sql_error)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&m->db_lock);
    mk_result r = check_locked(m, der, len, ep_now_ms(), out, sql_error);
    pthread_mutex_unlock(&m->db_lock);
    return r;
}

void ep_auth_log(ep_manager *m, int sql_error, const char *where, const char *addr, bool live)
{
    const char *what = sql_error == 28034   ? "the login lacks CONNECT permission on the endpoint"
                       : sql_error == 28035 ? "the peer's certificate is not valid"
                       : sql_error == 28055 ? "the certificate is not valid for endpoint "
                                              "authentication"
                                            : "the peer could not be checked";
    MK_LOG_ERR("endpoint %s: error %d: %s connection %s %s %s: %s (%s)", m->instance, sql_error,
               where, where[0] == 'i' ? "from" : "to", addr, live ? "closed" : "refused", what,
               mk_error_message());
}
