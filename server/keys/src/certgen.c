/*
 * Self-signed certificates for token keys (see keys/certgen.h).
 */
#include "keys/certgen.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mk/ossl.h"
#include "p11/token.h"

#define SUBJECT_MAX 64
#define SERIAL_LEN 16

#define OSSL_FAIL(code, what) MK_OSSL_FAIL((code), (what))

/* The group name for CKA_EC_PARAMS (a DER OID). */
static MK_RESULT ec_group_name(const uint8_t *params, size_t len, char *name, size_t name_len)
{
    const unsigned char *p = params;
    ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &p, (long)len);
    ENSURE_MSG(oid != NULL, MK_E_INVALID, "EC parameters are not a named curve");
    int nid = OBJ_obj2nid(oid);
    ASN1_OBJECT_free(oid);
    const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
    ENSURE_MSG(sn != NULL && strlen(sn) < name_len, MK_E_INVALID, "unknown EC curve");
    strcpy(name, sn);
    return MK_OK;
}

/*
 * Push the token key's public components into a param builder. The builder
 * keeps pointers to strings until OSSL_PARAM_BLD_to_param, so the EC group
 * name lives in the caller's buffer `group`.
 */
static MK_RESULT public_params(const p11_key *key, OSSL_PARAM_BLD *bld, BIGNUM **n, BIGNUM **e,
                               char *group, size_t group_len)
{
    size_t a_len = 0;
    size_t b_len = 0;
    if (p11_key_get_type(key) == P11_KEY_RSA) {
        const uint8_t *mod = p11_key_rsa_modulus(key, &a_len);
        const uint8_t *exp = p11_key_rsa_exponent(key, &b_len);
        *n = BN_bin2bn(mod, (int)a_len, NULL);
        *e = BN_bin2bn(exp, (int)b_len, NULL);
        ENSURE(*n != NULL && *e != NULL, MK_E_NOMEM);
        ENSURE(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, *n) == 1 &&
                   OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, *e) == 1,
               MK_E_NOMEM);
        return MK_OK;
    }
    const uint8_t *params = p11_key_ec_params(key, &a_len);
    const uint8_t *point = p11_key_ec_point(key, &b_len);
    ENSURE_MSG(point != NULL && b_len > 0, MK_E_INVALID, "EC key has no public point");
    GUARD(ec_group_name(params, a_len, group, group_len));
    ENSURE(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
               OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, b_len) == 1,
           MK_E_NOMEM);
    return MK_OK;
}

MK_RESULT keys_public_pkey(OSSL_LIB_CTX *libctx, const p11_key *key, EVP_PKEY **out)
{
    mk_result res = MK_ERR;
    BIGNUM *n = NULL;
    BIGNUM *e = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    char group[64];
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    const char *alg = p11_key_get_type(key) == P11_KEY_RSA ? "RSA" : "EC";
    ENSURE(bld != NULL, MK_E_NOMEM);
    GUARD_OUT(public_params(key, bld, &n, &e, group, sizeof(group)));
    params = OSSL_PARAM_BLD_to_param(bld);
    pctx = EVP_PKEY_CTX_new_from_name(libctx, alg, "provider=default");
    *out = NULL;
    if (params == NULL || pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
        EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        (void)OSSL_FAIL(MK_E_CRYPTO, "rebuilding the public key");
        goto out;
    }
    res = MK_OK;
out:
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return res;
}

/* Serial from the token RNG, positive, non-zero. */
static MK_RESULT set_serial(X509 *x, p11_token *tok)
{
    uint8_t raw[SERIAL_LEN];
    GUARD(p11_token_random(tok, raw, sizeof(raw)));
    raw[0] &= 0x7f;
    raw[0] |= 0x01; /* never zero, no leading zero byte */
    BIGNUM *bn = BN_bin2bn(raw, sizeof(raw), NULL);
    ENSURE(bn != NULL, MK_E_NOMEM);
    ASN1_INTEGER *serial = BN_to_ASN1_INTEGER(bn, NULL);
    BN_free(bn);
    ENSURE(serial != NULL, MK_E_NOMEM);
    int ok = X509_set_serialNumber(x, serial);
    ASN1_INTEGER_free(serial);
    ENSURE(ok == 1, MK_E_NOMEM);
    return MK_OK;
}

/* Subject = issuer = CN=<cn>; validity; v3 extensions for a self-signed end entity. */
static MK_RESULT set_fields(X509 *x, const keys_cert_params *p)
{
    X509_NAME *name = X509_get_subject_name(x);
    ENSURE(X509_set_version(x, 2) == 1, MK_E_NOMEM);
    ENSURE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                      (const unsigned char *)p->subject_cn, -1, -1, 0) == 1,
           MK_E_INVALID);
    ENSURE(X509_set_issuer_name(x, name) == 1, MK_E_NOMEM);
    ENSURE(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(p->not_before_ms / 1000)) != NULL &&
               ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(p->not_after_ms / 1000)) != NULL,
           MK_E_INVALID);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    static const char *const exts[][2] = {
        {"basicConstraints", "critical,CA:FALSE"},
        {"keyUsage", "critical,digitalSignature,keyEncipherment"},
        {"subjectKeyIdentifier", "hash"},
    };
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        X509_EXTENSION *ext = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
        ENSURE(ext != NULL, MK_E_INTERNAL);
        int ok = X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
        ENSURE(ok == 1, MK_E_NOMEM);
    }
    return MK_OK;
}

MK_RESULT keys_cert_build(OSSL_LIB_CTX *libctx, p11_key *key, const char *key_uri,
                          const keys_cert_params *params, mk_buf *der_out)
{
    size_t cn_len = params->subject_cn != NULL ? strlen(params->subject_cn) : 0;
    ENSURE_MSG(cn_len > 0 && cn_len <= SUBJECT_MAX, MK_E_INVALID,
               "subject must be 1 to %d characters", SUBJECT_MAX);
    ENSURE_MSG(params->not_after_ms > params->not_before_ms, MK_E_INVALID,
               "the expiry date must be after the start date");
    mk_result res = MK_ERR;
    EVP_PKEY *pub = NULL;
    EVP_PKEY *priv = NULL;
    unsigned char *der = NULL;
    X509 *x = X509_new_ex(libctx, NULL);
    ENSURE(x != NULL, MK_E_NOMEM);
    GUARD_OUT(keys_public_pkey(libctx, key, &pub));
    ENSURE_OUT(X509_set_pubkey(x, pub) == 1, MK_E_CRYPTO, "setting the public key");
    GUARD_OUT(set_serial(x, p11_key_token(key)));
    GUARD_OUT(set_fields(x, params));
    GUARD_OUT(mk_ossl_load_private_key(libctx, key_uri, &priv));
    if (X509_sign(x, priv, EVP_sha256()) <= 0) {
        (void)OSSL_FAIL(MK_E_CRYPTO, "signing the certificate on the token");
        goto out;
    }
    /* Prove the token signed for the key in the certificate. */
    ENSURE_OUT(X509_verify(x, pub) == 1, MK_E_CRYPTO, "certificate signature does not verify");
    int len = i2d_X509(x, &der);
    ENSURE_OUT(len > 0, MK_E_NOMEM, "encoding the certificate");
    GUARD_OUT(mk_buf_append(der_out, der, (size_t)len));
    res = MK_OK;
out:
    OPENSSL_free(der);
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
    X509_free(x);
    return res;
}
