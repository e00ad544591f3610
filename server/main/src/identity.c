/*
 * The instance's TLS identity on the token (DESIGN.md "Admin surface": the
 * TDS server's TLS key is on the token too): key generation, the
 * self-signed certificate signed through the provider, and the pkcs11: URIs
 * the provider is given to find them again.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/core.h>

#include "keys/certgen.h"
#include "mk/log.h"
#include "p11/cert.h"
#include "p11/keygen.h"

/* Certificate validity: from an hour ago (clock skew) for ten years. */
#define IDENTITY_BACKDATE_MS ((int64_t)3600 * 1000)
#define IDENTITY_LIFETIME_MS ((int64_t)10 * 365 * 24 * 3600 * 1000)

MK_RESULT srv_libctx_new(OSSL_LIB_CTX **out)
{
    /*
     * The provider sets the log level when it initialises (quiet unless
     * MIRRORKEY_PROVIDER_DEBUG=1), which is right for a module in someone
     * else's program; built in, it shares our mk_log, so keep our level.
     */
    mk_log_level level = mk_log_get_level();
    mk_result r = net_tls_libctx_new_builtin("mirrorkey", OSSL_provider_init, out);
    mk_log_set_level(level);
    return r;
}

MK_RESULT srv_object_uri(const char *token_uri, const uint8_t *id, size_t id_len, const char *label,
                         p11_uri_type type, mk_buf *out)
{
    mk_result res = MK_ERR;
    p11_uri *u = NULL;
    GUARD_OUT(p11_uri_parse(token_uri, &u));
    GUARD_OUT(p11_uri_set_id(u, id, id_len));
    GUARD_OUT(p11_uri_set(u, P11_URI_OBJECT, label));
    p11_uri_set_type(u, type);
    GUARD_OUT(p11_uri_format(u, out));
    res = MK_OK;
out:
    p11_uri_free(u);
    return res;
}

MK_RESULT srv_uri_query(const char *token_uri, mk_buf *out)
{
    mk_result res = MK_ERR;
    p11_uri *src = NULL;
    p11_uri *q = NULL;
    mk_buf text;
    mk_buf_init(&text, 16 * 1024);
    GUARD_OUT(p11_uri_parse(token_uri, &src));
    GUARD_OUT(p11_uri_new(&q));
    GUARD_OUT(p11_uri_set(q, P11_URI_MODULE_PATH, p11_uri_get(src, P11_URI_MODULE_PATH)));
    GUARD_OUT(p11_uri_set(q, P11_URI_PIN_SOURCE, p11_uri_get(src, P11_URI_PIN_SOURCE)));
    GUARD_OUT(p11_uri_format(q, &text));
    const char *mark = strchr((const char *)text.data, '?');
    GUARD_OUT(mk_buf_append_str(out, mark != NULL ? mark + 1 : ""));
    GUARD_OUT(mk_buf_terminate(out));
    res = MK_OK;
out:
    mk_buf_cleanup(&text);
    p11_uri_free(q);
    p11_uri_free(src);
    return res;
}

/* Build the certificate for key and store it under the key's id and label. */
static MK_RESULT make_certificate(p11_token *token, OSSL_LIB_CTX *libctx, p11_key *key,
                                  const srv_config *cfg, const char *label)
{
    mk_result res = MK_ERR;
    size_t id_len = 0;
    const uint8_t *id = p11_key_id(key, &id_len);
    mk_buf uri;
    mk_buf der;
    mk_buf_init(&uri, 16 * 1024);
    mk_buf_init(&der, 64 * 1024);
    GUARD_OUT(srv_object_uri(cfg->pkcs11_uri, id, id_len, label, P11_URI_TYPE_PRIVATE, &uri));
    int64_t now = (int64_t)time(NULL) * 1000;
    keys_cert_params params = {
        .subject_cn = cfg->instance_name,
        .not_before_ms = now - IDENTITY_BACKDATE_MS,
        .not_after_ms = now + IDENTITY_LIFETIME_MS,
    };
    GUARD_OUT(keys_cert_build(libctx, key, (const char *)uri.data, &params, &der));
    GUARD_OUT(p11_cert_store(token, der.data, der.len, id, id_len, label, NULL));
    res = MK_OK;
out:
    mk_buf_cleanup(&der);
    mk_buf_cleanup(&uri);
    return res;
}

MK_RESULT srv_identity_create(p11_token *token, OSSL_LIB_CTX *libctx, srv_key_type type,
                              srv_config *cfg)
{
    mk_result res = MK_ERR;
    p11_key *key = NULL;
    char label[SRV_LABEL_MAX + 1];
    ENSURE(snprintf(label, sizeof(label), "mirrorkey-tds-%s", cfg->instance_name) <
               (int)sizeof(label),
           MK_E_INVALID);
    p11_keygen_params params = {
        .type = type == SRV_KEY_RSA ? P11_KEY_RSA : P11_KEY_EC,
        .bits = type == SRV_KEY_RSA ? 3072 : 256,
        .label = label,
    };
    if (mk_failed(p11_keygen(token, &params, &key, NULL))) {
        if (mk_error_code() == MK_E_EXISTS) {
            mk_error_context("the token already holds a TLS identity named '%s' (another "
                             "instance with this name?)",
                             label);
        }
        return MK_ERR;
    }
    size_t id_len = 0;
    const uint8_t *id = p11_key_id(key, &id_len);
    ENSURE_OUT(id_len <= sizeof(cfg->tls_key_id), MK_E_INVALID, "key id too long");
    GUARD_OUT(make_certificate(token, libctx, key, cfg, label));
    memcpy(cfg->tls_key_id, id, id_len);
    cfg->tls_key_id_len = id_len;
    memcpy(cfg->tls_key_label, label, strlen(label) + 1);
    strcpy(cfg->tls_key_type, type == SRV_KEY_RSA ? "rsa" : "ec");
    res = MK_OK;
out:
    if (mk_failed(res) && key != NULL) {
        /* Keep the error of the step that failed, not the cleanup's. */
        char msg[512];
        mk_err code = mk_error_code();
        snprintf(msg, sizeof(msg), "%s", mk_error_message());
        if (mk_failed(p11_token_destroy_id(token, id, id_len, NULL))) {
            MK_LOG_WARN("could not remove the half-made TLS identity '%s' from the token", label);
        }
        (void)MK_RAISE(code, "%s", msg);
    }
    p11_key_unref(key);
    return res;
}
