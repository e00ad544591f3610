/*
 * SIGNATURE "RSA" and "ECDSA" with token keys.
 *
 * Signing: the digest is computed in software (EVP_MD from another
 * provider), then the token signs it: RSA PKCS#1 v1.5 as DigestInfo +
 * CKM_RSA_PKCS, RSA-PSS with CKM_RSA_PKCS_PSS and CK_RSA_PKCS_PSS_PARAMS,
 * ECDSA with CKM_ECDSA (raw r||s turned into DER). sign() takes a digest
 * value (or, for PKCS#1 v1.5 without a digest set, raw data); the
 * digest_sign_* calls hash first.
 *
 * Verification runs in software on the key's public half: OpenSSL routes
 * verify operations on our keys to us, and the token adds nothing there.
 *
 * Salt lengths follow OpenSSL: "digest" (hLen), "max" (emLen - hLen - 2),
 * "auto" (max when signing, recovered when verifying) or a number.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

static OSSL_FUNC_signature_newctx_fn mkprov_rsa_sig_newctx;
static OSSL_FUNC_signature_newctx_fn mkprov_ecdsa_sig_newctx;
static OSSL_FUNC_signature_freectx_fn mkprov_sig_freectx;
static OSSL_FUNC_signature_dupctx_fn mkprov_sig_dupctx;
static OSSL_FUNC_signature_sign_init_fn mkprov_sig_sign_init;
static OSSL_FUNC_signature_sign_fn mkprov_sig_sign;
static OSSL_FUNC_signature_verify_init_fn mkprov_sig_verify_init;
static OSSL_FUNC_signature_verify_fn mkprov_sig_verify;
static OSSL_FUNC_signature_digest_sign_init_fn mkprov_sig_digest_sign_init;
static OSSL_FUNC_signature_digest_sign_update_fn mkprov_sig_digest_update;
static OSSL_FUNC_signature_digest_sign_final_fn mkprov_sig_digest_sign_final;
static OSSL_FUNC_signature_digest_verify_init_fn mkprov_sig_digest_verify_init;
static OSSL_FUNC_signature_digest_verify_final_fn mkprov_sig_digest_verify_final;
static OSSL_FUNC_signature_get_ctx_params_fn mkprov_sig_get_ctx_params;
static OSSL_FUNC_signature_gettable_ctx_params_fn mkprov_sig_gettable_ctx_params;
static OSSL_FUNC_signature_set_ctx_params_fn mkprov_sig_set_ctx_params;
static OSSL_FUNC_signature_settable_ctx_params_fn mkprov_rsa_sig_settable_ctx_params;
static OSSL_FUNC_signature_settable_ctx_params_fn mkprov_ecdsa_sig_settable_ctx_params;

/* ---- context ---- */

static void *sig_newctx(void *provctx, p11_key_type want)
{
    mkprov_sig *c = OPENSSL_zalloc(sizeof(*c));
    if (c == NULL) {
        MKPROV_ERR(provctx, MKPROV_R_NOMEM, "signature context");
        return NULL;
    }
    c->prov = provctx;
    c->want = want;
    c->pad = RSA_PKCS1_PADDING;
    c->saltlen = RSA_PSS_SALTLEN_AUTO;
    return c;
}

static void *mkprov_rsa_sig_newctx(void *provctx, const char *propq)
{
    (void)propq;
    return sig_newctx(provctx, P11_KEY_RSA);
}

static void *mkprov_ecdsa_sig_newctx(void *provctx, const char *propq)
{
    (void)propq;
    return sig_newctx(provctx, P11_KEY_EC);
}

static void mkprov_sig_freectx(void *ctx)
{
    mkprov_sig *c = ctx;
    if (c == NULL) {
        return;
    }
    mkprov_key_unref(c->key);
    EVP_MD_free(c->md);
    EVP_MD_free(c->mgf1);
    EVP_MD_CTX_free(c->mdctx);
    OPENSSL_free(c);
}

/* OpenSSL duplicates the context before every EVP_DigestSignFinal without FINALISE. */
static void *mkprov_sig_dupctx(void *ctx)
{
    const mkprov_sig *c = ctx;
    mkprov_sig *d = OPENSSL_memdup(c, sizeof(*c));
    if (d == NULL) {
        MKPROV_ERR(c->prov, MKPROV_R_NOMEM, "signature context");
        return NULL;
    }
    mkprov_key_ref(d->key);
    if ((d->md != NULL && !EVP_MD_up_ref(d->md)) || (d->mgf1 != NULL && !EVP_MD_up_ref(d->mgf1))) {
        d->md = d->mgf1 = NULL; /* keep freectx from dropping references we do not hold */
        d->mdctx = NULL;
        mkprov_sig_freectx(d);
        return NULL;
    }
    d->mdctx = NULL;
    if (c->mdctx != NULL &&
        ((d->mdctx = EVP_MD_CTX_new()) == NULL || !EVP_MD_CTX_copy_ex(d->mdctx, c->mdctx))) {
        MKPROV_ERR(c->prov, MKPROV_R_NOMEM, "digest context");
        mkprov_sig_freectx(d);
        return NULL;
    }
    return d;
}

static void set_md(EVP_MD **slot, EVP_MD *md)
{
    EVP_MD_free(*slot);
    *slot = md;
}

static int sig_init(mkprov_sig *c, void *provkey, const OSSL_PARAM params[], bool signing)
{
    mkprov_key *k = provkey;
    if (k != NULL) {
        if (mkprov_key_type(k) != c->want) {
            MKPROV_ERR(c->prov, MKPROV_R_INVALID, "key type does not fit this signature algorithm");
            return 0;
        }
        mkprov_key_unref(c->key);
        c->key = mkprov_key_ref(k);
    }
    if (c->key == NULL || mkprov_key_public(c->key) == NULL) {
        MKPROV_ERR(c->prov, MKPROV_R_INVALID, "no key");
        return 0;
    }
    if (signing && !mkprov_key_has_private(c->key)) {
        MKPROV_ERR(c->prov, MKPROV_R_NO_PRIVATE_KEY, "a public key cannot sign");
        return 0;
    }
    c->signing = signing;
    c->pad = RSA_PKCS1_PADDING;
    c->saltlen = RSA_PSS_SALTLEN_AUTO;
    set_md(&c->md, NULL);
    set_md(&c->mgf1, NULL);
    EVP_MD_CTX_free(c->mdctx);
    c->mdctx = NULL;
    return mkprov_sig_set_ctx_params(c, params);
}

static int mkprov_sig_sign_init(void *ctx, void *provkey, const OSSL_PARAM params[])
{
    return sig_init(ctx, provkey, params, true);
}

static int mkprov_sig_verify_init(void *ctx, void *provkey, const OSSL_PARAM params[])
{
    return sig_init(ctx, provkey, params, false);
}

static int digest_init(mkprov_sig *c, const char *mdname, void *provkey, const OSSL_PARAM params[],
                       bool signing)
{
    if (!sig_init(c, provkey, params, signing)) {
        return 0;
    }
    EVP_MD *md = NULL;
    if (mk_failed(mkprov_fetch_md(c->prov, mdname != NULL && mdname[0] != '\0' ? mdname : "SHA256",
                                  &md))) {
        MKPROV_ERR_RESULT(c->prov, "signature digest", NULL);
        return 0;
    }
    set_md(&c->md, md);
    c->mdctx = EVP_MD_CTX_new();
    if (c->mdctx == NULL || EVP_DigestInit_ex(c->mdctx, c->md, NULL) != 1) {
        MKPROV_ERR(c->prov, MKPROV_R_INTERNAL, "cannot start digest %s", EVP_MD_get0_name(c->md));
        return 0;
    }
    return 1;
}

static int mkprov_sig_digest_sign_init(void *ctx, const char *mdname, void *provkey,
                                       const OSSL_PARAM params[])
{
    return digest_init(ctx, mdname, provkey, params, true);
}

static int mkprov_sig_digest_verify_init(void *ctx, const char *mdname, void *provkey,
                                         const OSSL_PARAM params[])
{
    return digest_init(ctx, mdname, provkey, params, false);
}

static int mkprov_sig_digest_update(void *ctx, const unsigned char *data, size_t datalen)
{
    mkprov_sig *c = ctx;
    if (c->mdctx == NULL || EVP_DigestUpdate(c->mdctx, data, datalen) != 1) {
        MKPROV_ERR(c->prov, MKPROV_R_INVALID, "digest update outside a digest operation");
        return 0;
    }
    return 1;
}

/* ---- signing on the token ---- */

static MK_RESULT check_digest_len(const mkprov_sig *c, size_t tbslen)
{
    if (c->md != NULL) {
        size_t want = (size_t)EVP_MD_get_size(c->md);
        ENSURE_MSG(tbslen == want, MK_E_INVALID, "input is %zu bytes, not a %s digest (%zu bytes)",
                   tbslen, EVP_MD_get0_name(c->md), want);
    }
    return MK_OK;
}

static MK_RESULT rsa_pss_sign(const mkprov_sig *c, p11_key *pk, const uint8_t *tbs, size_t tbslen,
                              uint8_t *sig, size_t *siglen)
{
    CK_RSA_PKCS_PSS_PARAMS pss = {0};
    CK_MECHANISM_TYPE unused_mech = 0;
    CK_RSA_PKCS_MGF_TYPE unused_mgf = 0;
    size_t salt = 0;
    ENSURE_MSG(c->md != NULL, MK_E_INVALID, "RSA-PSS needs a digest");
    GUARD(mkprov_md_to_ckm(c->md, &pss.hashAlg, &unused_mgf));
    GUARD(mkprov_md_to_ckm(c->mgf1 != NULL ? c->mgf1 : c->md, &unused_mech, &pss.mgf));
    GUARD(mkprov_pss_salt_len(c->saltlen, p11_key_bits(pk), tbslen, &salt));
    pss.sLen = salt;
    return p11_key_sign(pk, CKM_RSA_PKCS_PSS, &pss, sizeof(pss), tbs, tbslen, sig, siglen);
}

static MK_RESULT rsa_sign(const mkprov_sig *c, const uint8_t *tbs, size_t tbslen, uint8_t *sig,
                          size_t *siglen)
{
    mk_result res = MK_ERR;
    p11_key *pk = mkprov_key_p11(c->key);
    size_t k = p11_key_max_signature_len(pk);
    mk_buf in;
    mk_buf_init(&in, 4096);
    GUARD_OUT(check_digest_len(c, tbslen));
    if (c->pad == RSA_PKCS1_PSS_PADDING) {
        GUARD_OUT(rsa_pss_sign(c, pk, tbs, tbslen, sig, siglen));
        res = MK_OK;
        goto out;
    }
    ENSURE_OUT(c->pad == RSA_PKCS1_PADDING, MK_E_INVALID,
               "only PKCS#1 v1.5 and PSS padding can sign on the token");
    if (c->md != NULL) {
        GUARD_OUT(mkprov_digest_info(c->md, tbs, tbslen, &in));
    } else {
        GUARD_OUT(mk_buf_append(&in, tbs, tbslen));
    }
    ENSURE_OUT(in.len + 11 <= k, MK_E_INVALID, "input of %zu bytes too long for a %zu-byte RSA key",
               in.len, k);
    GUARD_OUT(p11_key_sign(pk, CKM_RSA_PKCS, NULL, 0, in.data, in.len, sig, siglen));
    res = MK_OK;
out:
    mk_buf_cleanup(&in);
    return res;
}

static MK_RESULT ecdsa_sign(const mkprov_sig *c, const uint8_t *tbs, size_t tbslen, uint8_t *sig,
                            size_t sigsize, size_t *siglen)
{
    p11_key *pk = mkprov_key_p11(c->key);
    uint8_t raw[2 * 66];
    size_t raw_len = sizeof(raw);
    ENSURE_MSG(p11_key_max_signature_len(pk) <= sizeof(raw), MK_E_INVALID, "EC key too large");
    GUARD(check_digest_len(c, tbslen));
    GUARD(p11_key_sign(pk, CKM_ECDSA, NULL, 0, tbs, tbslen, raw, &raw_len));
    return mkprov_ecdsa_raw_to_der(raw, raw_len, sig, sigsize, siglen);
}

static int sign_hash(mkprov_sig *c, unsigned char *sig, size_t *siglen, size_t sigsize,
                     const unsigned char *tbs, size_t tbslen)
{
    size_t max = (size_t)EVP_PKEY_get_size(mkprov_key_public(c->key));
    mk_result r = MK_ERR;
    if (!c->signing) {
        r = MK_RAISE(MK_E_STATE, "context not initialised for signing");
    } else if (sigsize < max) {
        r = MK_RAISE(MK_E_INVALID, "signature buffer too small (%zu < %zu)", sigsize, max);
    } else if (c->want == P11_KEY_RSA) {
        *siglen = sigsize;
        r = rsa_sign(c, tbs, tbslen, sig, siglen);
    } else {
        r = ecdsa_sign(c, tbs, tbslen, sig, sigsize, siglen);
    }
    if (mk_failed(r)) {
        char desc[1024];
        mkprov_key_describe(c->key, desc, sizeof(desc));
        MKPROV_ERR_RESULT(c->prov, "signing failed", desc);
        return 0;
    }
    return 1;
}

static int mkprov_sig_sign(void *ctx, unsigned char *sig, size_t *siglen, size_t sigsize,
                           const unsigned char *tbs, size_t tbslen)
{
    mkprov_sig *c = ctx;
    if (sig == NULL) {
        *siglen = (size_t)EVP_PKEY_get_size(mkprov_key_public(c->key));
        return 1;
    }
    return sign_hash(c, sig, siglen, sigsize, tbs, tbslen);
}

static int finish_digest(mkprov_sig *c, unsigned char *hash, unsigned int *hash_len)
{
    if (c->mdctx == NULL || EVP_DigestFinal_ex(c->mdctx, hash, hash_len) != 1) {
        MKPROV_ERR(c->prov, MKPROV_R_INVALID, "no digest operation in progress");
        return 0;
    }
    return 1;
}

static int mkprov_sig_digest_sign_final(void *ctx, unsigned char *sig, size_t *siglen,
                                        size_t sigsize)
{
    mkprov_sig *c = ctx;
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hash_len = 0;
    if (sig == NULL) {
        *siglen = (size_t)EVP_PKEY_get_size(mkprov_key_public(c->key));
        return 1;
    }
    if (!finish_digest(c, hash, &hash_len)) {
        return 0;
    }
    return sign_hash(c, sig, siglen, sigsize, hash, hash_len);
}

/* ---- verification in software ---- */

static MK_RESULT verify_setup(const mkprov_sig *c, EVP_PKEY_CTX *v)
{
    ENSURE_MSG(EVP_PKEY_verify_init(v) == 1, MK_E_STATE, "cannot verify with the public key");
    if (c->md != NULL) {
        ENSURE_MSG(EVP_PKEY_CTX_set_signature_md(v, c->md) == 1, MK_E_INVALID, "digest");
    }
    if (c->want != P11_KEY_RSA) {
        return MK_OK;
    }
    ENSURE_MSG(EVP_PKEY_CTX_set_rsa_padding(v, c->pad) == 1, MK_E_INVALID, "padding");
    if (c->pad == RSA_PKCS1_PSS_PADDING) {
        ENSURE_MSG(EVP_PKEY_CTX_set_rsa_pss_saltlen(v, c->saltlen) == 1, MK_E_INVALID, "salt");
        if (c->mgf1 != NULL) {
            ENSURE_MSG(EVP_PKEY_CTX_set_rsa_mgf1_md(v, c->mgf1) == 1, MK_E_INVALID, "MGF1");
        }
    }
    return MK_OK;
}

static int verify_hash(mkprov_sig *c, const unsigned char *sig, size_t siglen,
                       const unsigned char *tbs, size_t tbslen)
{
    mk_result r = MK_ERR;
    EVP_PKEY_CTX *v =
        EVP_PKEY_CTX_new_from_pkey(c->prov->libctx, mkprov_key_public(c->key), MKPROV_PROPQ_OTHER);
    if (v == NULL) {
        r = MK_RAISE(MK_E_NOMEM, "verification context");
    } else if (mk_ok(r = verify_setup(c, v)) && EVP_PKEY_verify(v, sig, siglen, tbs, tbslen) != 1) {
        r = MK_RAISE(MK_E_CRYPTO, "signature does not verify");
    }
    EVP_PKEY_CTX_free(v);
    if (mk_failed(r)) {
        MKPROV_ERR_RESULT(c->prov, "verification", NULL);
        return 0;
    }
    return 1;
}

static int mkprov_sig_verify(void *ctx, const unsigned char *sig, size_t siglen,
                             const unsigned char *tbs, size_t tbslen)
{
    return verify_hash(ctx, sig, siglen, tbs, tbslen);
}

static int mkprov_sig_digest_verify_final(void *ctx, const unsigned char *sig, size_t siglen)
{
    mkprov_sig *c = ctx;
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hash_len = 0;
    if (!finish_digest(c, hash, &hash_len)) {
        return 0;
    }
    return verify_hash(c, sig, siglen, hash, hash_len);
}

/* ---- parameters (the work is in sig_params.c) ---- */

static int mkprov_sig_set_ctx_params(void *ctx, const OSSL_PARAM params[])
{
    mkprov_sig *c = ctx;
    if (params == NULL) {
        return 1;
    }
    if (mk_failed(mkprov_sig_apply_params(c, params))) {
        MKPROV_ERR_RESULT(c->prov, "signature parameters", NULL);
        return 0;
    }
    return 1;
}

static int mkprov_sig_get_ctx_params(void *ctx, OSSL_PARAM params[])
{
    mkprov_sig *c = ctx;
    if (mk_failed(mkprov_sig_fill_params(c, params))) {
        MKPROV_ERR_RESULT(c->prov, "signature parameters", NULL);
        return 0;
    }
    return 1;
}

static const OSSL_PARAM mkprov_sig_gettable[] = {
    OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *mkprov_sig_gettable_ctx_params(void *ctx, void *provctx)
{
    (void)ctx;
    (void)provctx;
    return mkprov_sig_gettable;
}

static const OSSL_PARAM mkprov_rsa_sig_settable[] = {
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PROPERTIES, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_PROPERTIES, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *mkprov_rsa_sig_settable_ctx_params(void *ctx, void *provctx)
{
    (void)ctx;
    (void)provctx;
    return mkprov_rsa_sig_settable;
}

static const OSSL_PARAM mkprov_ecdsa_sig_settable[] = {
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PROPERTIES, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *mkprov_ecdsa_sig_settable_ctx_params(void *ctx, void *provctx)
{
    (void)ctx;
    (void)provctx;
    return mkprov_ecdsa_sig_settable;
}

#define MKPROV_SIG_COMMON                                                                          \
    {OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))mkprov_sig_freectx},                             \
        {OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))mkprov_sig_dupctx},                           \
        {OSSL_FUNC_SIGNATURE_SIGN_INIT, (void (*)(void))mkprov_sig_sign_init},                     \
        {OSSL_FUNC_SIGNATURE_SIGN, (void (*)(void))mkprov_sig_sign},                               \
        {OSSL_FUNC_SIGNATURE_VERIFY_INIT, (void (*)(void))mkprov_sig_verify_init},                 \
        {OSSL_FUNC_SIGNATURE_VERIFY, (void (*)(void))mkprov_sig_verify},                           \
        {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, (void (*)(void))mkprov_sig_digest_sign_init},       \
        {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, (void (*)(void))mkprov_sig_digest_update},        \
        {OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, (void (*)(void))mkprov_sig_digest_sign_final},     \
        {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT, (void (*)(void))mkprov_sig_digest_verify_init},   \
        {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE, (void (*)(void))mkprov_sig_digest_update},      \
        {OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL, (void (*)(void))mkprov_sig_digest_verify_final}, \
        {OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, (void (*)(void))mkprov_sig_get_ctx_params},           \
        {OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, (void (*)(void))mkprov_sig_gettable_ctx_params}, \
    {                                                                                              \
        OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, (void (*)(void))mkprov_sig_set_ctx_params              \
    }

const OSSL_DISPATCH mkprov_rsa_signature_functions[] = {
    {OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))mkprov_rsa_sig_newctx},
    MKPROV_SIG_COMMON,
    {OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, (void (*)(void))mkprov_rsa_sig_settable_ctx_params},
    {0, NULL},
};

const OSSL_DISPATCH mkprov_ecdsa_signature_functions[] = {
    {OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))mkprov_ecdsa_sig_newctx},
    MKPROV_SIG_COMMON,
    {OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, (void (*)(void))mkprov_ecdsa_sig_settable_ctx_params},
    {0, NULL},
};
