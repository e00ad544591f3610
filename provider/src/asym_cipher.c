/*
 * ASYM_CIPHER "RSA": decryption with token keys, encryption in software.
 *
 * PKCS#1 v1.5 decrypts with CKM_RSA_PKCS, "none" with CKM_RSA_X_509. OAEP
 * (digest SHA-1 by default, MGF1 digest defaulting to the OAEP digest, optional
 * label) decrypts with CKM_RSA_PKCS_OAEP when there is no label; if the
 * token refuses the parameters (SoftHSM 2.6 knows only SHA-1) or a label is
 * set (SoftHSM 2.6 ignores labels), the token does the raw RSA step
 * (CKM_RSA_X_509) and oaep.c checks the padding in constant time. See oaep.c.
 *
 * Encryption only needs the public key: it runs in another provider with the
 * same parameters.
 */
#include "internal.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "mk/log.h"

#define MAX_MODULUS_BYTES 1024

typedef struct mkprov_cipher {
    mkprov_ctx *prov;
    mkprov_key *key;
    int pad;      /* RSA_PKCS1_PADDING, RSA_PKCS1_OAEP_PADDING or RSA_NO_PADDING */
    EVP_MD *md;   /* OAEP digest; NULL = SHA-1 */
    EVP_MD *mgf1; /* NULL = the OAEP digest */
    uint8_t *label;
    size_t label_len;
} mkprov_cipher;

static OSSL_FUNC_asym_cipher_newctx_fn mkprov_cipher_newctx;
static OSSL_FUNC_asym_cipher_freectx_fn mkprov_cipher_freectx;
static OSSL_FUNC_asym_cipher_dupctx_fn mkprov_cipher_dupctx;
static OSSL_FUNC_asym_cipher_encrypt_init_fn mkprov_cipher_encrypt_init;
static OSSL_FUNC_asym_cipher_encrypt_fn mkprov_cipher_encrypt;
static OSSL_FUNC_asym_cipher_decrypt_init_fn mkprov_cipher_decrypt_init;
static OSSL_FUNC_asym_cipher_decrypt_fn mkprov_cipher_decrypt;
static OSSL_FUNC_asym_cipher_get_ctx_params_fn mkprov_cipher_get_ctx_params;
static OSSL_FUNC_asym_cipher_gettable_ctx_params_fn mkprov_cipher_gettable_ctx_params;
static OSSL_FUNC_asym_cipher_set_ctx_params_fn mkprov_cipher_set_ctx_params;
static OSSL_FUNC_asym_cipher_settable_ctx_params_fn mkprov_cipher_settable_ctx_params;

static void reset_params(mkprov_cipher *c)
{
    c->pad = RSA_PKCS1_PADDING;
    EVP_MD_free(c->md);
    EVP_MD_free(c->mgf1);
    c->md = c->mgf1 = NULL;
    OPENSSL_free(c->label);
    c->label = NULL;
    c->label_len = 0;
}

static void *mkprov_cipher_newctx(void *provctx)
{
    mkprov_cipher *c = OPENSSL_zalloc(sizeof(*c));
    if (c == NULL) {
        MKPROV_ERR(provctx, MKPROV_R_NOMEM, "cipher context");
        return NULL;
    }
    c->prov = provctx;
    c->pad = RSA_PKCS1_PADDING;
    return c;
}

static void mkprov_cipher_freectx(void *ctx)
{
    mkprov_cipher *c = ctx;
    if (c == NULL) {
        return;
    }
    reset_params(c);
    mkprov_key_unref(c->key);
    OPENSSL_free(c);
}

static void *mkprov_cipher_dupctx(void *ctx)
{
    const mkprov_cipher *c = ctx;
    mkprov_cipher *d = OPENSSL_zalloc(sizeof(*d));
    if (d == NULL) {
        MKPROV_ERR(c->prov, MKPROV_R_NOMEM, "cipher context");
        return NULL;
    }
    d->prov = c->prov;
    d->key = mkprov_key_ref(c->key);
    d->pad = c->pad;
    if ((c->md != NULL && !EVP_MD_up_ref(c->md)) ||
        (d->md = c->md, c->mgf1 != NULL && !EVP_MD_up_ref(c->mgf1))) {
        goto fail;
    }
    d->mgf1 = c->mgf1;
    if (c->label != NULL) {
        d->label = OPENSSL_memdup(c->label, c->label_len);
        d->label_len = c->label_len;
        if (d->label == NULL) {
            goto fail;
        }
    }
    return d;
fail:
    MKPROV_ERR(c->prov, MKPROV_R_NOMEM, "cipher context");
    mkprov_cipher_freectx(d);
    return NULL;
}

static int cipher_init(mkprov_cipher *c, void *provkey, const OSSL_PARAM params[], bool decrypt)
{
    mkprov_key *k = provkey;
    if (k == NULL || mkprov_key_type(k) != P11_KEY_RSA || mkprov_key_public(k) == NULL) {
        MKPROV_ERR(c->prov, MKPROV_R_INVALID, "not an RSA key");
        return 0;
    }
    if (decrypt && !mkprov_key_has_private(k)) {
        MKPROV_ERR(c->prov, MKPROV_R_NO_PRIVATE_KEY, "a public key cannot decrypt");
        return 0;
    }
    mkprov_key_unref(c->key);
    c->key = mkprov_key_ref(k);
    reset_params(c);
    return mkprov_cipher_set_ctx_params(c, params);
}

static int mkprov_cipher_encrypt_init(void *ctx, void *provkey, const OSSL_PARAM params[])
{
    return cipher_init(ctx, provkey, params, false);
}

static int mkprov_cipher_decrypt_init(void *ctx, void *provkey, const OSSL_PARAM params[])
{
    return cipher_init(ctx, provkey, params, true);
}

/* ---- decryption on the token ---- */

static MK_RESULT oaep_digests(mkprov_cipher *c, const EVP_MD **md, const EVP_MD **mgf1)
{
    if (c->md == NULL) {
        GUARD(mkprov_fetch_md(c->prov, "SHA1", &c->md));
    }
    *md = c->md;
    *mgf1 = c->mgf1 != NULL ? c->mgf1 : c->md;
    return MK_OK;
}

/* Raw RSA on the token, left-padded to the modulus length k. */
static MK_RESULT raw_decrypt(p11_key *pk, const uint8_t *in, size_t inlen, uint8_t *em, size_t k)
{
    size_t n = k;
    GUARD(p11_key_decrypt(pk, CKM_RSA_X_509, NULL, 0, in, inlen, em, &n));
    ENSURE_MSG(n <= k, MK_E_INTERNAL, "raw RSA returned %zu bytes", n);
    memmove(em + (k - n), em, n);
    memset(em, 0, k - n);
    return MK_OK;
}

static MK_RESULT oaep_decrypt(mkprov_cipher *c, p11_key *pk, const uint8_t *in, size_t inlen,
                              uint8_t *tmp, size_t k, uint8_t *out, size_t outsize, size_t *outlen)
{
    const EVP_MD *md = NULL;
    const EVP_MD *mgf1 = NULL;
    CK_RSA_PKCS_OAEP_PARAMS op = {0};
    CK_MECHANISM_TYPE unused_mech = 0;
    CK_RSA_PKCS_MGF_TYPE unused_mgf = 0;
    GUARD(oaep_digests(c, &md, &mgf1));
    if (c->label_len == 0 && mk_ok(mkprov_md_to_ckm(md, &op.hashAlg, &unused_mgf)) &&
        mk_ok(mkprov_md_to_ckm(mgf1, &unused_mech, &op.mgf))) {
        op.source = CKZ_DATA_SPECIFIED;
        size_t n = k;
        if (mk_ok(p11_key_decrypt(pk, CKM_RSA_PKCS_OAEP, &op, sizeof(op), in, inlen, tmp, &n))) {
            ENSURE_MSG(n <= outsize, MK_E_INVALID, "plaintext buffer too small");
            memcpy(out, tmp, n);
            *outlen = n;
            return MK_OK;
        }
        /* Only a refusal of the parameters falls back; bad ciphertext fails here. */
        if (mk_error_code() != MK_E_INVALID) {
            return MK_ERR;
        }
        MK_LOG_DEBUG("mirrorkey provider: token refused OAEP %s/MGF1-%s (%s): raw RSA + "
                     "software OAEP decoding",
                     EVP_MD_get0_name(md), EVP_MD_get0_name(mgf1), mk_error_message());
    }
    GUARD(raw_decrypt(pk, in, inlen, tmp, k));
    return mkprov_oaep_decode(tmp, k, c->label, c->label_len, md, mgf1, out, outsize, outlen);
}

static MK_RESULT rsa_decrypt(mkprov_cipher *c, const uint8_t *in, size_t inlen, uint8_t *out,
                             size_t outsize, size_t *outlen)
{
    mk_result res = MK_ERR;
    p11_key *pk = mkprov_key_p11(c->key);
    size_t k = p11_key_max_signature_len(pk);
    uint8_t tmp[MAX_MODULUS_BYTES];
    ENSURE_OUT(k <= sizeof(tmp), MK_E_INVALID, "RSA key too large");
    if (c->pad == RSA_PKCS1_OAEP_PADDING) {
        GUARD_OUT(oaep_decrypt(c, pk, in, inlen, tmp, k, out, outsize, outlen));
    } else {
        size_t n = k;
        CK_MECHANISM_TYPE mech = c->pad == RSA_NO_PADDING ? CKM_RSA_X_509 : CKM_RSA_PKCS;
        GUARD_OUT(p11_key_decrypt(pk, mech, NULL, 0, in, inlen, tmp, &n));
        ENSURE_OUT(n <= outsize, MK_E_INVALID, "plaintext buffer too small");
        memcpy(out, tmp, n);
        *outlen = n;
    }
    res = MK_OK;
out:
    OPENSSL_cleanse(tmp, sizeof(tmp));
    return res;
}

static int mkprov_cipher_decrypt(void *ctx, unsigned char *out, size_t *outlen, size_t outsize,
                                 const unsigned char *in, size_t inlen)
{
    mkprov_cipher *c = ctx;
    if (c->key == NULL || !mkprov_key_has_private(c->key)) {
        MKPROV_ERR(c->prov, MKPROV_R_INVALID, "context not initialised for decryption");
        return 0;
    }
    if (out == NULL) {
        *outlen = p11_key_max_signature_len(mkprov_key_p11(c->key));
        return 1;
    }
    if (mk_failed(rsa_decrypt(c, in, inlen, out, outsize, outlen))) {
        char desc[1024];
        mkprov_key_describe(c->key, desc, sizeof(desc));
        MKPROV_ERR_RESULT(c->prov, "decryption failed", desc);
        return 0;
    }
    return 1;
}

/* ---- encryption in software ---- */

static MK_RESULT encrypt_setup(mkprov_cipher *c, EVP_PKEY_CTX *e)
{
    ENSURE_MSG(EVP_PKEY_encrypt_init(e) == 1 && EVP_PKEY_CTX_set_rsa_padding(e, c->pad) == 1,
               MK_E_INVALID, "cannot set up encryption with the public key");
    if (c->pad != RSA_PKCS1_OAEP_PADDING) {
        return MK_OK;
    }
    const EVP_MD *md = NULL;
    const EVP_MD *mgf1 = NULL;
    GUARD(oaep_digests(c, &md, &mgf1));
    ENSURE_MSG(EVP_PKEY_CTX_set_rsa_oaep_md(e, md) == 1 &&
                   EVP_PKEY_CTX_set_rsa_mgf1_md(e, mgf1) == 1,
               MK_E_INVALID, "OAEP digests");
    if (c->label_len > 0) {
        void *copy = OPENSSL_memdup(c->label, c->label_len);
        ENSURE_MSG(copy != NULL, MK_E_NOMEM, "OAEP label");
        if (EVP_PKEY_CTX_set0_rsa_oaep_label(e, copy, (int)c->label_len) != 1) {
            OPENSSL_free(copy);
            BAIL_MSG(MK_E_INVALID, "OAEP label");
        }
    }
    return MK_OK;
}

static int mkprov_cipher_encrypt(void *ctx, unsigned char *out, size_t *outlen, size_t outsize,
                                 const unsigned char *in, size_t inlen)
{
    mkprov_cipher *c = ctx;
    mk_result r = MK_ERR;
    EVP_PKEY_CTX *e = c->key != NULL
                          ? EVP_PKEY_CTX_new_from_pkey(c->prov->libctx, mkprov_key_public(c->key),
                                                       MKPROV_PROPQ_OTHER)
                          : NULL;
    size_t n = outsize;
    if (e == NULL) {
        r = MK_RAISE(MK_E_STATE, "context not initialised for encryption");
    } else if (mk_ok(r = encrypt_setup(c, e)) &&
               EVP_PKEY_encrypt(e, out, out != NULL ? &n : outlen, in, inlen) != 1) {
        r = MK_RAISE(MK_E_INVALID, "encryption with the public key failed");
    }
    EVP_PKEY_CTX_free(e);
    if (mk_failed(r)) {
        MKPROV_ERR_RESULT(c->prov, "encryption", NULL);
        return 0;
    }
    if (out != NULL) {
        *outlen = n;
    }
    return 1;
}

/* ---- parameters ---- */

static MK_RESULT set_md_param(mkprov_cipher *c, const OSSL_PARAM *p, EVP_MD **slot)
{
    const char *name = NULL;
    EVP_MD *md = NULL;
    ENSURE_MSG(OSSL_PARAM_get_utf8_string_ptr(p, &name) == 1, MK_E_INVALID, "bad digest name");
    GUARD(mkprov_fetch_md(c->prov, name, &md));
    EVP_MD_free(*slot);
    *slot = md;
    return MK_OK;
}

static MK_RESULT set_label(mkprov_cipher *c, const OSSL_PARAM *p)
{
    void *label = NULL;
    size_t len = 0;
    ENSURE_MSG(OSSL_PARAM_get_octet_string(p, &label, 0, &len) == 1, MK_E_INVALID,
               "bad OAEP label");
    OPENSSL_free(c->label);
    c->label = label;
    c->label_len = label != NULL ? len : 0;
    return MK_OK;
}

static MK_RESULT set_params(mkprov_cipher *c, const OSSL_PARAM params[])
{
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);
    if (p != NULL) {
        int pad = 0;
        GUARD(mkprov_param_pad_mode(p, &pad));
        ENSURE_MSG(pad == RSA_PKCS1_PADDING || pad == RSA_PKCS1_OAEP_PADDING ||
                       pad == RSA_NO_PADDING,
                   MK_E_INVALID, "RSA decryption uses pkcs1, oaep or none padding");
        c->pad = pad;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST)) != NULL) {
        GUARD(set_md_param(c, p, &c->md));
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST)) != NULL) {
        GUARD(set_md_param(c, p, &c->mgf1));
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL)) != NULL) {
        GUARD(set_label(c, p));
    }
    unsigned int tls_version = 0;
    p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION);
    ENSURE_MSG(p == NULL || (OSSL_PARAM_get_uint(p, &tls_version) == 1 && tls_version == 0),
               MK_E_STATE, "TLS RSA key exchange decryption is not supported");
    return MK_OK;
}

static int mkprov_cipher_set_ctx_params(void *ctx, const OSSL_PARAM params[])
{
    mkprov_cipher *c = ctx;
    if (params != NULL && mk_failed(set_params(c, params))) {
        MKPROV_ERR_RESULT(c->prov, "RSA cipher parameters", NULL);
        return 0;
    }
    return 1;
}

static MK_RESULT get_params(mkprov_cipher *c, OSSL_PARAM params[])
{
    OSSL_PARAM *p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);
    if (p != NULL) {
        const char *name = c->pad == RSA_PKCS1_OAEP_PADDING ? OSSL_PKEY_RSA_PAD_MODE_OAEP
                           : c->pad == RSA_NO_PADDING       ? OSSL_PKEY_RSA_PAD_MODE_NONE
                                                            : OSSL_PKEY_RSA_PAD_MODE_PKCSV15;
        ENSURE_MSG(p->data_type == OSSL_PARAM_UTF8_STRING ? OSSL_PARAM_set_utf8_string(p, name)
                                                          : OSSL_PARAM_set_int(p, c->pad),
                   MK_E_INVALID, "padding mode");
    }
    const EVP_MD *md = NULL;
    const EVP_MD *mgf1 = NULL;
    GUARD(oaep_digests(c, &md, &mgf1));
    if ((p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST)) != NULL) {
        ENSURE_MSG(OSSL_PARAM_set_utf8_string(p, EVP_MD_get0_name(md)), MK_E_INVALID, "digest");
    }
    if ((p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST)) != NULL) {
        ENSURE_MSG(OSSL_PARAM_set_utf8_string(p, EVP_MD_get0_name(mgf1)), MK_E_INVALID, "MGF1");
    }
    if ((p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL)) != NULL) {
        ENSURE_MSG(OSSL_PARAM_set_octet_ptr(p, c->label, c->label_len), MK_E_INVALID, "label");
    }
    return MK_OK;
}

static int mkprov_cipher_get_ctx_params(void *ctx, OSSL_PARAM params[])
{
    mkprov_cipher *c = ctx;
    if (mk_failed(get_params(c, params))) {
        MKPROV_ERR_RESULT(c->prov, "RSA cipher parameters", NULL);
        return 0;
    }
    return 1;
}

static const OSSL_PARAM mkprov_cipher_gettable[] = {
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, NULL, 0),
    OSSL_PARAM_octet_ptr(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *mkprov_cipher_gettable_ctx_params(void *ctx, void *provctx)
{
    (void)ctx;
    (void)provctx;
    return mkprov_cipher_gettable;
}

static const OSSL_PARAM mkprov_cipher_settable[] = {
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST_PROPS, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST_PROPS, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, NULL, 0),
    OSSL_PARAM_uint(OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION, NULL),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *mkprov_cipher_settable_ctx_params(void *ctx, void *provctx)
{
    (void)ctx;
    (void)provctx;
    return mkprov_cipher_settable;
}

const OSSL_DISPATCH mkprov_rsa_asym_cipher_functions[] = {
    {OSSL_FUNC_ASYM_CIPHER_NEWCTX, (void (*)(void))mkprov_cipher_newctx},
    {OSSL_FUNC_ASYM_CIPHER_FREECTX, (void (*)(void))mkprov_cipher_freectx},
    {OSSL_FUNC_ASYM_CIPHER_DUPCTX, (void (*)(void))mkprov_cipher_dupctx},
    {OSSL_FUNC_ASYM_CIPHER_ENCRYPT_INIT, (void (*)(void))mkprov_cipher_encrypt_init},
    {OSSL_FUNC_ASYM_CIPHER_ENCRYPT, (void (*)(void))mkprov_cipher_encrypt},
    {OSSL_FUNC_ASYM_CIPHER_DECRYPT_INIT, (void (*)(void))mkprov_cipher_decrypt_init},
    {OSSL_FUNC_ASYM_CIPHER_DECRYPT, (void (*)(void))mkprov_cipher_decrypt},
    {OSSL_FUNC_ASYM_CIPHER_GET_CTX_PARAMS, (void (*)(void))mkprov_cipher_get_ctx_params},
    {OSSL_FUNC_ASYM_CIPHER_GETTABLE_CTX_PARAMS, (void (*)(void))mkprov_cipher_gettable_ctx_params},
    {OSSL_FUNC_ASYM_CIPHER_SET_CTX_PARAMS, (void (*)(void))mkprov_cipher_set_ctx_params},
    {OSSL_FUNC_ASYM_CIPHER_SETTABLE_CTX_PARAMS, (void (*)(void))mkprov_cipher_settable_ctx_params},
    {0, NULL},
};
