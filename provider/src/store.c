/*
 * STORE for RFC 7512 "pkcs11:" URIs.
 *
 * open parses the URI and opens (or reuses) the token it selects, logging in
 * with the PIN from the URI's pin-source, else the configured
 * pkcs11-pin-source; the module is the URI's module-path, else the configured
 * pkcs11-module-path, else the p11-kit proxy. A rejected PIN fails the open
 * once (the token layer never retries a PIN). The first load lists every
 * object the URI names (narrowed to the expected type, if the application
 * set one) and each load hands one to OpenSSL:
 *   private and public keys by reference (OSSL_OBJECT_PKEY, data type "RSA"
 *   or "EC"): the reference is a pointer to a mkprov_key that our KEYMGMT's
 *   load takes a reference on, during the callback;
 *   certificates by value (OSSL_OBJECT_CERT, DER bytes).
 * A URI that names nothing is an error naming the URI. PINs never appear in
 * messages: the URI is printed without pin-value.
 */
#include "internal.h"

#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/params.h>
#include <openssl/store.h>

#include "mk/log.h"
#include "p11/objects.h"

#define URI_TEXT_MAX 1024

typedef struct mkprov_store {
    mkprov_ctx *prov;
    char uri_text[URI_TEXT_MAX]; /* redacted, for messages */
    p11_uri *uri;
    p11_token *token;
    p11_object_list *list; /* filled by the first load */
    size_t next;
    int expect; /* OSSL_STORE_INFO_* or 0 */
    bool eof;
} mkprov_store;

static OSSL_FUNC_store_open_fn mkprov_store_open;
static OSSL_FUNC_store_settable_ctx_params_fn mkprov_store_settable_ctx_params;
static OSSL_FUNC_store_set_ctx_params_fn mkprov_store_set_ctx_params;
static OSSL_FUNC_store_load_fn mkprov_store_load;
static OSSL_FUNC_store_eof_fn mkprov_store_eof;
static OSSL_FUNC_store_close_fn mkprov_store_close;

static void store_free(mkprov_store *s)
{
    if (s == NULL) {
        return;
    }
    p11_object_list_free(s->list);
    p11_token_unref(s->token);
    p11_uri_free(s->uri);
    OPENSSL_free(s);
}

static void *mkprov_store_open(void *provctx, const char *uri)
{
    mkprov_ctx *p = provctx;
    mkprov_store *s = OPENSSL_zalloc(sizeof(*s));
    if (s == NULL) {
        MKPROV_ERR(p, MKPROV_R_NOMEM, "store context");
        return NULL;
    }
    s->prov = p;
    mkprov_uri_redact(uri, s->uri_text, sizeof(s->uri_text));
    MK_LOG_DEBUG("mirrorkey provider: store open %s", s->uri_text);
    if (uri == NULL || strncasecmp(uri, "pkcs11:", 7) != 0) {
        MKPROV_ERR(p, MKPROV_R_INVALID, "not a pkcs11: URI [%s]", s->uri_text);
        goto fail;
    }
    if (mk_failed(p11_uri_parse(uri, &s->uri))) {
        MKPROV_ERR_RESULT(p, "bad pkcs11 URI", s->uri_text);
        goto fail;
    }
    if (mk_failed(mkprov_token_get(p, s->uri, &s->token))) {
        MKPROV_ERR_RESULT(p, "cannot open the token", s->uri_text);
        goto fail;
    }
    return s;
fail:
    store_free(s);
    return NULL;
}

static const OSSL_PARAM mkprov_store_settable[] = {
    OSSL_PARAM_int(OSSL_STORE_PARAM_EXPECT, NULL),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *mkprov_store_settable_ctx_params(void *provctx)
{
    (void)provctx;
    return mkprov_store_settable;
}

static int mkprov_store_set_ctx_params(void *loaderctx, const OSSL_PARAM params[])
{
    mkprov_store *s = loaderctx;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_STORE_PARAM_EXPECT);
    if (p != NULL && !OSSL_PARAM_get_int(p, &s->expect)) {
        MKPROV_ERR(s->prov, MKPROV_R_INVALID, "bad '%s' parameter", OSSL_STORE_PARAM_EXPECT);
        return 0;
    }
    return 1;
}

/* The URI's type, or the one the application expects when the URI has none. */
static p11_uri_type search_type(const mkprov_store *s)
{
    p11_uri_type t = p11_uri_get_type(s->uri);
    if (t != P11_URI_TYPE_ANY) {
        return t;
    }
    switch (s->expect) {
    case OSSL_STORE_INFO_PKEY: return P11_URI_TYPE_PRIVATE;
    case OSSL_STORE_INFO_PUBKEY: return P11_URI_TYPE_PUBLIC;
    case OSSL_STORE_INFO_CERT: return P11_URI_TYPE_CERT;
    default: return P11_URI_TYPE_ANY;
    }
}

static MK_RESULT search(mkprov_store *s)
{
    mk_result res = MK_ERR;
    p11_uri *sel = NULL;
    GUARD_OUT(p11_uri_dup(s->uri, &sel));
    p11_uri_set_type(sel, search_type(s));
    GUARD_OUT(p11_objects_find_all(s->token, sel, &s->list));
    ENSURE_OUT(p11_object_list_count(s->list) > 0, MK_E_NOT_FOUND,
               "no %s on token '%s' matches the URI (%s)",
               p11_uri_get_type(sel) == P11_URI_TYPE_PRIVATE  ? "private key"
               : p11_uri_get_type(sel) == P11_URI_TYPE_PUBLIC ? "public key"
               : p11_uri_get_type(sel) == P11_URI_TYPE_CERT   ? "certificate"
                                                              : "key or certificate",
               p11_token_get_info(s->token)->label,
               p11_token_logged_in(s->token) ? "logged in" : "not logged in");
    res = MK_OK;
out:
    p11_uri_free(sel);
    return res;
}

static int load_key(mkprov_store *s, p11_key *pk, OSSL_CALLBACK *cb, void *cbarg)
{
    mkprov_key *k = NULL;
    if (mk_failed(mkprov_key_from_p11(s->prov, pk, &k))) {
        MKPROV_ERR_RESULT(s->prov, "cannot use the key", s->uri_text);
        return 0;
    }
    int object_type = OSSL_OBJECT_PKEY;
    const char *data_type = mkprov_key_type(k) == P11_KEY_RSA ? "RSA" : "EC";
    OSSL_PARAM params[] = {
        OSSL_PARAM_int(OSSL_OBJECT_PARAM_TYPE, &object_type),
        OSSL_PARAM_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, (char *)data_type, 0),
        OSSL_PARAM_octet_string(OSSL_OBJECT_PARAM_REFERENCE, &k, sizeof(k)),
        OSSL_PARAM_utf8_string(OSSL_OBJECT_PARAM_DESC, (char *)p11_key_label(pk), 0),
        OSSL_PARAM_END,
    };
    /* The KEYMGMT load inside the callback takes its own reference. */
    int ok = cb(params, cbarg);
    mkprov_key_unref(k);
    return ok;
}

static int load_cert(const p11_cert *c, OSSL_CALLBACK *cb, void *cbarg)
{
    size_t len = 0;
    const uint8_t *der = p11_cert_der(c, &len);
    int object_type = OSSL_OBJECT_CERT;
    OSSL_PARAM params[] = {
        OSSL_PARAM_int(OSSL_OBJECT_PARAM_TYPE, &object_type),
        OSSL_PARAM_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, "CERTIFICATE", 0),
        OSSL_PARAM_utf8_string(OSSL_OBJECT_PARAM_DATA_STRUCTURE, "Certificate", 0),
        OSSL_PARAM_octet_string(OSSL_OBJECT_PARAM_DATA, (void *)der, len),
        OSSL_PARAM_utf8_string(OSSL_OBJECT_PARAM_DESC, (char *)p11_cert_label(c), 0),
        OSSL_PARAM_END,
    };
    return cb(params, cbarg);
}

static int mkprov_store_load(void *loaderctx, OSSL_CALLBACK *object_cb, void *object_cbarg,
                             OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    /* PINs come from pin-source (file:, fd:, prompt on the tty, pinpad), not from pw_cb. */
    (void)pw_cb;
    (void)pw_cbarg;
    mkprov_store *s = loaderctx;
    if (s->eof) {
        return 0;
    }
    if (s->list == NULL && mk_failed(search(s))) {
        s->eof = true;
        MKPROV_ERR_RESULT(s->prov, "pkcs11 URI", s->uri_text);
        return 0;
    }
    size_t count = p11_object_list_count(s->list);
    size_t i = s->next++;
    s->eof = s->next >= count;
    if (i >= count) {
        return 0;
    }
    MK_LOG_DEBUG("mirrorkey provider: store object %zu of %zu", i + 1, count);
    if (p11_object_list_kind(s->list, i) == P11_OBJ_CERT) {
        return load_cert(p11_object_list_cert(s->list, i), object_cb, object_cbarg);
    }
    return load_key(s, p11_object_list_key(s->list, i), object_cb, object_cbarg);
}

static int mkprov_store_eof(void *loaderctx)
{
    const mkprov_store *s = loaderctx;
    return s->eof ? 1 : 0;
}

static int mkprov_store_close(void *loaderctx)
{
    store_free(loaderctx);
    return 1;
}

const OSSL_DISPATCH mkprov_store_functions[] = {
    {OSSL_FUNC_STORE_OPEN, (void (*)(void))mkprov_store_open},
    {OSSL_FUNC_STORE_SETTABLE_CTX_PARAMS, (void (*)(void))mkprov_store_settable_ctx_params},
    {OSSL_FUNC_STORE_SET_CTX_PARAMS, (void (*)(void))mkprov_store_set_ctx_params},
    {OSSL_FUNC_STORE_LOAD, (void (*)(void))mkprov_store_load},
    {OSSL_FUNC_STORE_EOF, (void (*)(void))mkprov_store_eof},
    {OSSL_FUNC_STORE_CLOSE, (void (*)(void))mkprov_store_close},
    {0, NULL},
};
