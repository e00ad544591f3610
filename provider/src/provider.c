/*
 * The mirrorkey provider's entry point: OSSL_provider_init, the provider's
 * own parameters, configuration from openssl.cnf (pkcs11-module-path,
 * pkcs11-pin-source), the algorithm tables, and the one place where
 * internal mk_result errors become OpenSSL errors (core error upcalls, so the
 * queue names "mirrorkey" as the library).
 *
 * MIRRORKEY_PROVIDER_DEBUG=1 in the environment turns on debug logging to
 * stderr (mk_log at debug level) for the provider and the token layer.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "mk/log.h"

#define MKPROV_VERSION "0.1.0"

/* openssl.cnf keys in the provider's section. */
#define MKPROV_CONF_MODULE "pkcs11-module-path"
#define MKPROV_CONF_PIN "pkcs11-pin-source"

static const OSSL_ITEM mkprov_reasons[] = {
    {MKPROV_R_PKCS11, "PKCS#11 call failed"},
    {MKPROV_R_NOT_FOUND, "no such token or object"},
    {MKPROV_R_AMBIGUOUS, "URI matches more than one token or object"},
    {MKPROV_R_PIN, "PIN unavailable or rejected"},
    {MKPROV_R_TOKEN_LOST, "token not available"},
    {MKPROV_R_INVALID, "invalid argument"},
    {MKPROV_R_UNSUPPORTED, "operation not supported"},
    {MKPROV_R_CRYPTO, "cryptographic check failed"},
    {MKPROV_R_NO_PRIVATE_KEY, "private key stays on the token"},
    {MKPROV_R_IO, "I/O error"},
    {MKPROV_R_PERM, "permission denied"},
    {MKPROV_R_NOMEM, "out of memory"},
    {MKPROV_R_INTERNAL, "internal error"},
    {0, NULL},
};

/* ---- errors ---- */

static void core_set_error(const mkprov_ctx *p, uint32_t reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    p->core_vset_error(p->handle, reason, fmt, ap);
    va_end(ap);
}

void mkprov_raise(const mkprov_ctx *p, const char *file, int line, const char *func, int reason,
                  const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    MK_LOG_DEBUG("mirrorkey provider: error: %s", text);
    if (p == NULL || p->core_new_error == NULL || p->core_vset_error == NULL) {
        return;
    }
    p->core_new_error(p->handle);
    if (p->core_set_error_debug != NULL) {
        p->core_set_error_debug(p->handle, file, line, func);
    }
    core_set_error(p, (uint32_t)reason, "%s", text);
}

static int reason_of(mk_err code)
{
    switch (code) {
    case MK_E_NOMEM: return MKPROV_R_NOMEM;
    case MK_E_NOT_FOUND: return MKPROV_R_NOT_FOUND;
    case MK_E_AMBIGUOUS: return MKPROV_R_AMBIGUOUS;
    case MK_E_PKCS11: return MKPROV_R_PKCS11;
    case MK_E_TOKEN_LOST: return MKPROV_R_TOKEN_LOST;
    case MK_E_PIN: return MKPROV_R_PIN;
    case MK_E_CRYPTO: return MKPROV_R_CRYPTO;
    case MK_E_IO: return MKPROV_R_IO;
    case MK_E_PERM: return MKPROV_R_PERM;
    case MK_E_STATE: return MKPROV_R_UNSUPPORTED;
    case MK_E_INTERNAL: return MKPROV_R_INTERNAL;
    default: return MKPROV_R_INVALID;
    }
}

void mkprov_raise_result(const mkprov_ctx *p, const char *file, int line, const char *func,
                         const char *what, const char *uri)
{
    int reason = reason_of(mk_error_code());
    if (uri != NULL && uri[0] != '\0') {
        mkprov_raise(p, file, line, func, reason, "%s: %s [%s]", what, mk_error_message(), uri);
    } else {
        mkprov_raise(p, file, line, func, reason, "%s: %s", what, mk_error_message());
    }
}

/* ---- delegation helpers ---- */

MK_RESULT mkprov_fetch_md(mkprov_ctx *p, const char *name, EVP_MD **out)
{
    ENSURE_MSG(name != NULL && name[0] != '\0', MK_E_INVALID, "empty digest name");
    const size_t n = sizeof(p->md_cache) / sizeof(p->md_cache[0]);
    pthread_mutex_lock(&p->md_mu);
    for (size_t i = 0; i < n && p->md_cache[i] != NULL; i++) {
        /* EVP_MD_is_a knows the aliases: "SHA256" is "SHA2-256". */
        if (EVP_MD_is_a(p->md_cache[i], name) && EVP_MD_up_ref(p->md_cache[i]) == 1) {
            *out = p->md_cache[i];
            pthread_mutex_unlock(&p->md_mu);
            return MK_OK;
        }
    }
    pthread_mutex_unlock(&p->md_mu);
    *out = EVP_MD_fetch(p->libctx, name, MKPROV_PROPQ_OTHER);
    ENSURE_MSG(*out != NULL, MK_E_INVALID, "unknown digest '%s'", name);
    pthread_mutex_lock(&p->md_mu);
    for (size_t i = 0; i < n; i++) {
        if (p->md_cache[i] == NULL) {
            if (EVP_MD_up_ref(*out) == 1) {
                p->md_cache[i] = *out;
            }
            break;
        }
    }
    pthread_mutex_unlock(&p->md_mu);
    return MK_OK;
}

static const struct {
    const char *name;
    int mode;
} pad_names[] = {
    {OSSL_PKEY_RSA_PAD_MODE_NONE, RSA_NO_PADDING},
    {OSSL_PKEY_RSA_PAD_MODE_PKCSV15, RSA_PKCS1_PADDING},
    {OSSL_PKEY_RSA_PAD_MODE_OAEP, RSA_PKCS1_OAEP_PADDING},
    {OSSL_PKEY_RSA_PAD_MODE_X931, RSA_X931_PADDING},
    {OSSL_PKEY_RSA_PAD_MODE_PSS, RSA_PKCS1_PSS_PADDING},
};

MK_RESULT mkprov_param_pad_mode(const OSSL_PARAM *p, int *out)
{
    if (p->data_type == OSSL_PARAM_INTEGER || p->data_type == OSSL_PARAM_UNSIGNED_INTEGER) {
        ENSURE_MSG(OSSL_PARAM_get_int(p, out) == 1, MK_E_INVALID, "bad padding mode parameter");
        return MK_OK;
    }
    ENSURE_MSG(p->data_type == OSSL_PARAM_UTF8_STRING && p->data != NULL, MK_E_INVALID,
               "bad padding mode parameter");
    for (size_t i = 0; i < sizeof(pad_names) / sizeof(pad_names[0]); i++) {
        if (strcasecmp(p->data, pad_names[i].name) == 0) {
            *out = pad_names[i].mode;
            return MK_OK;
        }
    }
    BAIL_MSG(MK_E_INVALID, "unknown padding mode '%s'", (const char *)p->data);
}

/* ---- algorithms ---- */

#define RSA_NAMES "RSA:rsaEncryption:1.2.840.113549.1.1.1"
#define EC_NAMES "EC:id-ecPublicKey:1.2.840.10045.2.1"

static const OSSL_ALGORITHM mkprov_keymgmt[] = {
    {RSA_NAMES, MKPROV_PROPS, mkprov_rsa_keymgmt_functions, "RSA key on a PKCS#11 token"},
    {EC_NAMES, MKPROV_PROPS, mkprov_ec_keymgmt_functions, "EC key on a PKCS#11 token"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM mkprov_signature[] = {
    {RSA_NAMES, MKPROV_PROPS, mkprov_rsa_signature_functions, "RSA signing on a PKCS#11 token"},
    {"ECDSA", MKPROV_PROPS, mkprov_ecdsa_signature_functions, "ECDSA on a PKCS#11 token"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM mkprov_asym_cipher[] = {
    {RSA_NAMES, MKPROV_PROPS, mkprov_rsa_asym_cipher_functions, "RSA decryption on a token"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM mkprov_store[] = {
    {"pkcs11", MKPROV_PROPS, mkprov_store_functions, "RFC 7512 pkcs11: URIs"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *mkprov_query(void *provctx, int operation_id, int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    switch (operation_id) {
    case OSSL_OP_KEYMGMT: return mkprov_keymgmt;
    case OSSL_OP_SIGNATURE: return mkprov_signature;
    case OSSL_OP_ASYM_CIPHER: return mkprov_asym_cipher;
    case OSSL_OP_STORE: return mkprov_store;
    default: return NULL;
    }
}

/* ---- provider parameters ---- */

static const OSSL_PARAM mkprov_param_types[] = {
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *mkprov_gettable_params(void *provctx)
{
    (void)provctx;
    return mkprov_param_types;
}

static int mkprov_get_params(void *provctx, OSSL_PARAM params[])
{
    (void)provctx;
    OSSL_PARAM *p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, "mirrorkey PKCS#11 provider")) {
        return 0;
    }
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, MKPROV_VERSION)) {
        return 0;
    }
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, "mirrorkey " MKPROV_VERSION)) {
        return 0;
    }
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
    if (p != NULL && !OSSL_PARAM_set_int(p, 1)) {
        return 0;
    }
    return 1;
}

static const OSSL_ITEM *mkprov_get_reason_strings(void *provctx)
{
    (void)provctx;
    return mkprov_reasons;
}

static void mkprov_ctx_free(mkprov_ctx *p)
{
    if (p == NULL) {
        return;
    }
    mkprov_tokens_unregister(p);
    mkprov_tokens_clear(p);
    pthread_mutex_destroy(&p->tokens_mu);
    for (size_t i = 0; i < sizeof(p->md_cache) / sizeof(p->md_cache[0]); i++) {
        EVP_MD_free(p->md_cache[i]);
    }
    pthread_mutex_destroy(&p->md_mu);
    OSSL_LIB_CTX_free(p->libctx);
    OPENSSL_free(p->module_path);
    OPENSSL_free(p->pin_source);
    OPENSSL_free(p);
}

static void mkprov_teardown(void *provctx)
{
    MK_LOG_DEBUG("mirrorkey provider: teardown");
    mkprov_ctx_free(provctx);
}

static const OSSL_DISPATCH mkprov_functions[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))mkprov_teardown},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))mkprov_gettable_params},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))mkprov_get_params},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))mkprov_query},
    {OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))mkprov_get_reason_strings},
    {0, NULL},
};

/* ---- initialisation ---- */

/* Copy the core functions we use out of `in`. */
static void take_core_functions(mkprov_ctx *p, const OSSL_DISPATCH *in,
                                OSSL_FUNC_core_get_params_fn **get_params)
{
    for (; in->function_id != 0; in++) {
        switch (in->function_id) {
        case OSSL_FUNC_CORE_GET_PARAMS: *get_params = OSSL_FUNC_core_get_params(in); break;
        case OSSL_FUNC_CORE_NEW_ERROR: p->core_new_error = OSSL_FUNC_core_new_error(in); break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            p->core_set_error_debug = OSSL_FUNC_core_set_error_debug(in);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR: p->core_vset_error = OSSL_FUNC_core_vset_error(in); break;
        default: break;
        }
    }
}

/* pkcs11-module-path and pkcs11-pin-source from the provider's openssl.cnf section. */
static MK_RESULT read_config(mkprov_ctx *p, OSSL_FUNC_core_get_params_fn *get_params)
{
    char *module = NULL;
    char *pin = NULL;
    OSSL_PARAM req[] = {
        OSSL_PARAM_utf8_ptr(MKPROV_CONF_MODULE, &module, 0),
        OSSL_PARAM_utf8_ptr(MKPROV_CONF_PIN, &pin, 0),
        OSSL_PARAM_END,
    };
    ENSURE_MSG(get_params != NULL && get_params(p->handle, req) == 1, MK_E_INVALID,
               "cannot read the provider configuration");
    if (module != NULL && module[0] != '\0') {
        p->module_path = OPENSSL_strdup(module);
        ENSURE(p->module_path != NULL, MK_E_NOMEM);
    }
    if (pin != NULL && pin[0] != '\0') {
        p->pin_source = OPENSSL_strdup(pin);
        ENSURE(p->pin_source != NULL, MK_E_NOMEM);
    }
    return MK_OK;
}

/*
 * The provider lives inside other people's programs: it reports through the
 * OpenSSL error queue and stays silent on stderr unless asked. (This sets
 * the level of the provider's own copy of mk_log, not the application's.)
 */
static void debug_from_environment(void)
{
    const char *env = getenv("MIRRORKEY_PROVIDER_DEBUG");
    bool debug = env != NULL && strcmp(env, "1") == 0;
    mk_log_set_level(debug ? MK_LOG_DEBUG : MK_LOG_ERROR);
}

/* The module's one exported symbol (see ../mirrorkey.map). */
__attribute__((visibility("default"))) int OSSL_provider_init(const OSSL_CORE_HANDLE *handle,
                                                              const OSSL_DISPATCH *in,
                                                              const OSSL_DISPATCH **out,
                                                              void **provctx)
{
    OSSL_FUNC_core_get_params_fn *get_params = NULL;
    mkprov_ctx *p = OPENSSL_zalloc(sizeof(*p));
    if (p == NULL) {
        return 0;
    }
    debug_from_environment();
    p->handle = handle;
    pthread_mutex_init(&p->tokens_mu, NULL);
    pthread_mutex_init(&p->md_mu, NULL);
    take_core_functions(p, in, &get_params);
    if (mk_failed(read_config(p, get_params))) {
        mk_log_error_result(MK_LOG_ERROR, "mirrorkey provider: configuration");
        mkprov_ctx_free(p);
        return 0;
    }
    mkprov_tokens_register(p);
    p->libctx = OSSL_LIB_CTX_new_child(handle, in);
    if (p->libctx == NULL) {
        MK_LOG_ERR("mirrorkey provider: cannot create a child library context");
        mkprov_ctx_free(p);
        return 0;
    }
    MK_LOG_DEBUG("mirrorkey provider: loaded (default module %s, default pin-source %s)",
                 p->module_path != NULL ? p->module_path : "p11-kit proxy",
                 p->pin_source != NULL ? "set" : "none");
    *out = mkprov_functions;
    *provctx = p;
    return 1;
}
