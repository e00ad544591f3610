/*
 * Our side of the endpoint: the certificate the endpoint row names, its
 * private key on the token (found by the certificate's CKA_ID, used through
 * the mirrorkey provider by pkcs11: URI) and the server and client TLS
 * contexts built from them. SQL Server's rules: no certificate → 28036;
 * a certificate without a usable private key or outside its validity →
 * 28055. The identity is refcounted so that connection threads keep using
 * the contexts they started with while ALTER ENDPOINT swaps them.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk/log.h"

static void identity_free(ep_identity *id)
{
    if (id == NULL) {
        return;
    }
    net_tls_ctx_free(id->server);
    net_tls_ctx_free(id->client);
    p11_key_unref(id->key);
    free(id);
}

/* "pkcs11:...;type=private?<query>" for the provider. */
static MK_RESULT key_uri(ep_manager *m, p11_key *key, mk_buf *uri)
{
    GUARD(p11_key_uri(key, uri));
    uri->len = strlen((const char *)uri->data);
    if (m->key_uri_query != NULL && m->key_uri_query[0] != '\0') {
        GUARD(mk_buf_printf(uri, "?%s", m->key_uri_query));
    }
    return mk_buf_terminate(uri);
}

static MK_RESULT make_contexts(ep_manager *m, const cat_cert *cert, ep_identity *id)
{
    mk_result res = MK_ERR;
    mk_buf uri;
    mk_buf_init(&uri, 8192);
    GUARD_OUT(key_uri(m, id->key, &uri));
    net_tls_config cfg = {.profile = NET_TLS_ENDPOINT,
                          .is_server = true,
                          .cert_der = cert->der,
                          .cert_len = cert->der_len,
                          .key_uri = (const char *)uri.data};
    GUARD_OUT(net_tls_ctx_new(m->libctx, &cfg, &id->server));
    cfg.is_server = false;
    GUARD_OUT(net_tls_ctx_new(m->libctx, &cfg, &id->client));
    res = MK_OK;
out:
    mk_buf_cleanup(&uri);
    return res;
}

/* The certificate row, with 28036 / 28055 for what SQL Server refuses. */
static MK_RESULT load_cert(ep_manager *m, const cat_endpoint *ep, cat_cert *cert,
                           ep_apply_error *why)
{
    pthread_mutex_lock(&m->db_lock);
    mk_result r = ep->certificate_id != 0
                      ? cat_cert_get_by_id(m->db, ep->certificate_id, cert)
                      : MK_RAISE(MK_E_NOT_FOUND, "no AUTHENTICATION certificate");
    pthread_mutex_unlock(&m->db_lock);
    if (mk_failed(r)) {
        *why = EP_APPLY_NO_CERT;
        MK_LOG_ERR("endpoint %s/%s: error 28036: the certificate (id %d) of the endpoint was not "
                   "found: %s; the endpoint does not start",
                   m->instance, ep->name, (int)ep->certificate_id, mk_error_message());
        return MK_RAISE(MK_E_NOT_FOUND, "28036: endpoint certificate not found");
    }
    int64_t now = ep_now_ms();
    const char *bad = NULL;
    if (cert->token_id == NULL || strcmp(cert->pvt_key_encryption_type, "HS") != 0) {
        bad = "it has no private key on the token";
    } else if (now < cert->meta.start_date) {
        bad = "it is not valid yet";
    } else if (now > cert->meta.expiry_date) {
        bad = "it has expired";
    }
    if (bad != NULL) {
        *why = EP_APPLY_BAD_CERT;
        MK_LOG_ERR("endpoint %s/%s: error 28055: certificate '%s' is not valid for endpoint "
                   "authentication: %s; the endpoint does not start",
                   m->instance, ep->name, cert->name, bad);
        return MK_RAISE(MK_E_POLICY, "28055: certificate '%s': %s", cert->name, bad);
    }
    return MK_OK;
}

MK_RESULT ep_identity_load(ep_manager *m, const cat_endpoint *ep, ep_identity **out,
                           ep_apply_error *why)
{
    mk_result res = MK_ERR;
    cat_cert cert;
    memset(&cert, 0, sizeof(cert));
    ep_identity *id = calloc(1, sizeof(*id));
    ENSURE(id != NULL, MK_E_NOMEM);
    id->refs = 1;
    *why = EP_APPLY_OTHER;
    GUARD_OUT(load_cert(m, ep, &cert, why));
    if (mk_failed(p11_key_find_by_id(m->token, cert.token_id, cert.token_id_len, &id->key))) {
        bool lost = mk_error_code() == MK_E_TOKEN_LOST;
        *why = lost ? EP_APPLY_OTHER : EP_APPLY_BAD_CERT;
        MK_LOG_ERR(
            "endpoint %s/%s: %scertificate '%s': its private key is not usable on the token: "
            "%s; the endpoint does not start",
            m->instance, ep->name, lost ? "token unavailable: " : "error 28055: ", cert.name,
            mk_error_message());
        goto out;
    }
    if (mk_failed(make_contexts(m, &cert, id))) {
        *why = EP_APPLY_BAD_CERT;
        MK_LOG_ERR("endpoint %s/%s: error 28055: certificate '%s' cannot be used with its token "
                   "key: %s; the endpoint does not start",
                   m->instance, ep->name, cert.name, mk_error_message());
        goto out;
    }
    id->certificate_id = cert.certificate_id;
    snprintf(id->cert_name, sizeof(id->cert_name), "%s", cert.name);
    id->not_before = cert.meta.start_date;
    id->not_after = cert.meta.expiry_date;
    *why = EP_APPLY_OK;
    *out = id;
    id = NULL;
    res = MK_OK;
out:
    cat_cert_cleanup(&cert);
    identity_free(id);
    return res;
}

ep_identity *ep_identity_get(ep_manager *m)
{
    pthread_mutex_lock(&m->lock);
    ep_identity *id = m->ident;
    if (id != NULL) {
        id->refs++;
    }
    pthread_mutex_unlock(&m->lock);
    return id;
}

void ep_identity_put(ep_manager *m, ep_identity *id)
{
    if (id == NULL) {
        return;
    }
    pthread_mutex_lock(&m->lock);
    bool last = --id->refs == 0;
    pthread_mutex_unlock(&m->lock);
    if (last) {
        identity_free(id);
    }
}

MK_RESULT ep_identity_health(ep_manager *m, ep_identity *id)
{
    uint8_t digest[32] = {0};
    uint8_t sig[1024];
    size_t sig_len = sizeof(sig);
    CK_MECHANISM_TYPE mech = p11_key_get_type(id->key) == P11_KEY_EC ? CKM_ECDSA : CKM_RSA_PKCS;
    mk_result r = p11_key_max_signature_len(id->key) > sizeof(sig)
                      ? MK_RAISE(MK_E_INTERNAL, "signature buffer too small")
                      : p11_key_sign(id->key, mech, NULL, 0, digest, sizeof(digest), sig, &sig_len);
    pthread_mutex_lock(&m->lock);
    bool was_down = m->token_down;
    m->token_down = mk_failed(r);
    pthread_mutex_unlock(&m->lock);
    if (mk_failed(r) && !was_down) {
        MK_LOG_ERR("endpoint %s: token unavailable, the key of certificate '%s' cannot sign (%s); "
                   "refusing connections (fail closed)",
                   m->instance, id->cert_name, mk_error_message());
        mk_error_context("token unavailable");
    } else if (mk_ok(r) && was_down) {
        MK_LOG_INFO("endpoint %s: token available again; accepting connections", m->instance);
    }
    return r;
}
