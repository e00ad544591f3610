/*
 * Helpers shared by the pkcs11 integration tests: a fresh SoftHSM2 token per
 * test (cmocka setup/teardown), OpenSSL public keys rebuilt from the
 * components our layer reads, signature verification, and a certificate that
 * carries a token key's public key.
 *
 * Everything is static inline so that each test program takes what it uses.
 */
#ifndef P11TEST_H
#define P11TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "mk/result.h"
#include "p11/key.h"
#include "p11/token.h"
#include "softhsm_fixture.h"

/* Per-test state: the fixture and an open token. */
typedef struct p11t {
    mk_softhsm hsm;
    p11_token *tok;
} p11t;

/* Fail the test with the layer's last error message. */
#define P11T_OK(expr)                                                                              \
    do {                                                                                           \
        if (mk_failed(expr)) {                                                                     \
            fail_msg("%s failed: %s (%s)", #expr, mk_error_message(),                              \
                     mk_err_name(mk_error_code()));                                                \
        }                                                                                          \
    } while (0)

/* Expect failure with a given class; prints the message for the log. */
#define P11T_FAILS(expr, code)                                                                     \
    do {                                                                                           \
        mk_error_clear();                                                                          \
        if (mk_ok(expr)) {                                                                         \
            fail_msg("%s unexpectedly succeeded", #expr);                                          \
        }                                                                                          \
        if (mk_error_code() != (code)) {                                                           \
            fail_msg("%s: expected %s, got %s: %s", #expr, mk_err_name(code),                      \
                     mk_err_name(mk_error_code()), mk_error_message());                            \
        }                                                                                          \
    } while (0)

static inline int p11t_setup_label(void **state, const char *label, int open_token)
{
    p11t *t = calloc(1, sizeof(*t));
    if (t == NULL || mk_softhsm_setup(&t->hsm, label) != 0) {
        free(t);
        return -1;
    }
    if (open_token && mk_failed(p11_token_open(t->hsm.uri, NULL, &t->tok))) {
        fprintf(stderr, "p11_token_open: %s\n", mk_error_message());
        mk_softhsm_teardown(&t->hsm);
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

/* A fresh token labelled "mk" and opened. */
static inline int p11t_setup(void **state) { return p11t_setup_label(state, "mk", 1); }
/* A fresh token, not opened (the test opens it). */
static inline int p11t_setup_closed(void **state) { return p11t_setup_label(state, "mk", 0); }

static inline int p11t_teardown(void **state)
{
    p11t *t = *state;
    if (t != NULL) {
        p11_token_unref(t->tok);
        mk_softhsm_teardown(&t->hsm);
        free(t);
    }
    return 0;
}

/* The public key of k as an OpenSSL key (default provider). */
static inline EVP_PKEY *p11t_pubkey(const p11_key *k)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *n = NULL, *e = NULL;
    EVP_PKEY *pkey = NULL;
    size_t len = 0;
    const char *type = NULL;
    if (p11_key_get_type(k) == P11_KEY_RSA) {
        const uint8_t *mod = p11_key_rsa_modulus(k, &len);
        n = BN_bin2bn(mod, (int)len, NULL);
        const uint8_t *exp = p11_key_rsa_exponent(k, &len);
        e = BN_bin2bn(exp, (int)len, NULL);
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
        type = "RSA";
    } else {
        const char *group = p11_key_bits(k) == 384 ? "P-384" : "P-256";
        const uint8_t *pt = p11_key_ec_point(k, &len);
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len);
        type = "EC";
    }
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1) {
        (void)EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

/* Raw r||s (CKM_ECDSA output) to DER ECDSA-Sig-Value. Returns length, 0 on error. */
static inline size_t p11t_ecdsa_der(const uint8_t *raw, size_t raw_len, uint8_t *der, size_t cap)
{
    size_t half = raw_len / 2;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, (int)half, NULL);
    BIGNUM *s = BN_bin2bn(raw + half, (int)half, NULL);
    ECDSA_SIG_set0(sig, r, s);
    int n = i2d_ECDSA_SIG(sig, NULL);
    size_t out = 0;
    if (n > 0 && (size_t)n <= cap) {
        unsigned char *p = der;
        out = (size_t)i2d_ECDSA_SIG(sig, &p);
    }
    ECDSA_SIG_free(sig);
    return out;
}

/*
 * Verify a signature over msg made with CKM_SHA256_RSA_PKCS (RSA) or
 * CKM_ECDSA_SHA256 (EC, raw r||s). Returns 1 when it verifies.
 */
static inline int p11t_verify_sha256(EVP_PKEY *pub, const uint8_t *msg, size_t msg_len,
                                     const uint8_t *sig, size_t sig_len)
{
    uint8_t der[256];
    if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC) {
        sig_len = p11t_ecdsa_der(sig, sig_len, der, sizeof(der));
        sig = der;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

/*
 * Sign msg so that p11t_verify_sha256 can check it: CKM_SHA256_RSA_PKCS for
 * RSA; for EC, SHA-256 in software and CKM_ECDSA on the token (SoftHSM 2.6
 * has no CKM_ECDSA_SHA256), which is also what the provider does.
 */
static inline mk_result p11t_sign_sha256(p11_key *k, const uint8_t *msg, size_t msg_len,
                                         uint8_t *sig, size_t *sig_len)
{
    if (p11_key_get_type(k) == P11_KEY_RSA) {
        return p11_key_sign(k, CKM_SHA256_RSA_PKCS, NULL, 0, msg, msg_len, sig, sig_len);
    }
    uint8_t digest[32];
    unsigned dlen = 0;
    EVP_Digest(msg, msg_len, digest, &dlen, EVP_sha256(), NULL);
    return p11_key_sign(k, CKM_ECDSA, NULL, 0, digest, dlen, sig, sig_len);
}

/*
 * A self-signed-looking X.509 certificate whose subject public key is `pub`
 * (the token key), signed by a throwaway software key: only storage is
 * tested, not the signature. Returns DER length; *der is OPENSSL_malloc'd.
 */
static inline int p11t_make_cert(EVP_PKEY *pub, const char *cn, unsigned char **der)
{
    EVP_PKEY *signer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    X509_NAME *name = X509_NAME_new();
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pub);
    X509_sign(x, signer, EVP_sha256());
    *der = NULL;
    int n = i2d_X509(x, der);
    X509_NAME_free(name);
    X509_free(x);
    EVP_PKEY_free(signer);
    return n;
}

#endif
