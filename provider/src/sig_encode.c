/*
 * Encodings around token signatures, kept apart from the SIGNATURE entry
 * points: the PKCS#1 v1.5 DigestInfo the token signs with CKM_RSA_PKCS, the
 * DER ECDSA-Sig-Value built from CKM_ECDSA's raw r||s, the PSS mechanism
 * parameters (hash, MGF1, salt length), and the signature
 * AlgorithmIdentifier that X.509 signing asks for.
 */
#include "internal.h"

#include <openssl/asn1t.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

MK_RESULT mkprov_digest_info(const EVP_MD *md, const uint8_t *hash, size_t hash_len, mk_buf *out)
{
    mk_result res = MK_ERR;
    unsigned char *der = NULL;
    X509_ALGOR *alg = NULL;
    ASN1_OCTET_STRING *digest = NULL;
    int nid = EVP_MD_get_type(md);
    X509_SIG *sig = X509_SIG_new();
    ENSURE_OUT(sig != NULL, MK_E_NOMEM, "DigestInfo");
    ENSURE_OUT(nid != NID_undef && hash_len <= 64, MK_E_INVALID,
               "digest %s has no DigestInfo encoding", EVP_MD_get0_name(md));
    X509_SIG_getm(sig, &alg, &digest);
    /* RFC 8017 §9.2 note 1: the hash AlgorithmIdentifier carries NULL parameters. */
    ENSURE_OUT(X509_ALGOR_set0(alg, OBJ_nid2obj(nid), V_ASN1_NULL, NULL) == 1 &&
                   ASN1_OCTET_STRING_set(digest, hash, (int)hash_len) == 1,
               MK_E_NOMEM, "DigestInfo");
    int len = i2d_X509_SIG(sig, &der);
    ENSURE_OUT(len > 0, MK_E_INTERNAL, "DigestInfo encoding");
    GUARD_OUT(mk_buf_append(out, der, (size_t)len));
    res = MK_OK;
out:
    OPENSSL_free(der);
    X509_SIG_free(sig);
    return res;
}

/* Append one DER INTEGER holding the unsigned big-endian value v[0..n). */
static MK_RESULT put_der_uint(mk_buf *out, const uint8_t *v, size_t n)
{
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    bool pad = (v[0] & 0x80) != 0; /* keep the INTEGER positive (X.690 §8.3) */
    size_t len = n + (pad ? 1 : 0);
    ENSURE(len < 128, MK_E_INTERNAL);
    GUARD(mk_buf_put_u8(out, 0x02));
    GUARD(mk_buf_put_u8(out, (uint8_t)len));
    if (pad) {
        GUARD(mk_buf_put_u8(out, 0x00));
    }
    return mk_buf_append(out, v, n);
}

MK_RESULT mkprov_ecdsa_raw_to_der(const uint8_t *raw, size_t raw_len, uint8_t *out, size_t out_cap,
                                  size_t *out_len)
{
    /* CKM_ECDSA returns r and s, each as long as the order (PKCS#11 v2.40 §2.3.6). */
    ENSURE_MSG(raw_len >= 2 && raw_len % 2 == 0 && raw_len <= 2 * 66, MK_E_INVALID,
               "CKM_ECDSA returned %zu bytes, not r||s", raw_len);
    size_t half = raw_len / 2;
    uint8_t body[2 * (2 + 67)];
    mk_buf ints;
    /* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), by hand:
     * BIGNUM round trips cost more than the rest of the provider's signing path. */
    mk_buf_init(&ints, sizeof(body));
    mk_result r = put_der_uint(&ints, raw, half);
    if (mk_ok(r)) {
        r = put_der_uint(&ints, raw + half, half);
    }
    if (mk_ok(r)) {
        memcpy(body, ints.data, ints.len);
    }
    size_t body_len = ints.len;
    mk_buf_cleanup(&ints);
    GUARD(r);
    size_t hdr = body_len < 128 ? 2 : 3;
    ENSURE_MSG(hdr + body_len <= out_cap, MK_E_INVALID,
               "ECDSA signature buffer too small (%zu bytes, need %zu)", out_cap, hdr + body_len);
    out[0] = 0x30;
    if (hdr == 2) {
        out[1] = (uint8_t)body_len;
    } else {
        out[1] = 0x81;
        out[2] = (uint8_t)body_len;
    }
    memcpy(out + hdr, body, body_len);
    *out_len = hdr + body_len;
    return MK_OK;
}

static const struct {
    const char *name;
    CK_MECHANISM_TYPE mech;
    CK_RSA_PKCS_MGF_TYPE mgf;
} md_mechs[] = {
    {"SHA1", CKM_SHA_1, CKG_MGF1_SHA1},        {"SHA2-224", CKM_SHA224, CKG_MGF1_SHA224},
    {"SHA2-256", CKM_SHA256, CKG_MGF1_SHA256}, {"SHA2-384", CKM_SHA384, CKG_MGF1_SHA384},
    {"SHA2-512", CKM_SHA512, CKG_MGF1_SHA512},
};

MK_RESULT mkprov_md_to_ckm(const EVP_MD *md, CK_MECHANISM_TYPE *mech, CK_RSA_PKCS_MGF_TYPE *mgf)
{
    for (size_t i = 0; i < sizeof(md_mechs) / sizeof(md_mechs[0]); i++) {
        if (EVP_MD_is_a(md, md_mechs[i].name)) {
            *mech = md_mechs[i].mech;
            *mgf = md_mechs[i].mgf;
            return MK_OK;
        }
    }
    BAIL_MSG(MK_E_INVALID, "digest %s cannot be used with PKCS#11 PSS or OAEP (SHA-1/SHA-2 only)",
             EVP_MD_get0_name(md));
}

MK_RESULT mkprov_pss_salt_len(int setting, unsigned mod_bits, size_t md_len, size_t *out)
{
    /* RFC 8017 §9.1.1: emLen = ceil((modBits - 1) / 8), sLen <= emLen - hLen - 2. */
    size_t em_len = ((size_t)mod_bits - 1 + 7) / 8;
    ENSURE_MSG(mod_bits > 1 && em_len >= md_len + 2, MK_E_INVALID,
               "RSA key too small for PSS with a %zu-byte digest", md_len);
    size_t max = em_len - md_len - 2;
    size_t v = 0;
    switch (setting) {
    case RSA_PSS_SALTLEN_DIGEST: v = md_len; break;
    case RSA_PSS_SALTLEN_MAX:
    case RSA_PSS_SALTLEN_AUTO: v = max; break;
    default:
        ENSURE_MSG(setting >= 0, MK_E_INVALID, "invalid PSS salt length %d", setting);
        v = (size_t)setting;
        break;
    }
    ENSURE_MSG(v <= max, MK_E_INVALID, "PSS salt length %zu exceeds the maximum %zu", v, max);
    *out = v;
    return MK_OK;
}

/* An AlgorithmIdentifier for md as RFC 4055 §2.1 uses it (absent parameters as OpenSSL writes). */
static X509_ALGOR *md_algor(const EVP_MD *md)
{
    X509_ALGOR *a = X509_ALGOR_new();
    if (a != NULL) {
        X509_ALGOR_set_md(a, md);
    }
    return a;
}

/* RSASSA-PSS-params (RFC 4055 §3.1); fields equal to their defaults are omitted. */
static MK_RESULT pss_params(const EVP_MD *md, const EVP_MD *mgf1, size_t salt_len,
                            ASN1_STRING **out)
{
    mk_result res = MK_ERR;
    X509_ALGOR *mgf_hash = NULL;
    ASN1_STRING *mgf_param = NULL;
    RSA_PSS_PARAMS *pss = RSA_PSS_PARAMS_new();
    ENSURE_OUT(pss != NULL, MK_E_NOMEM, "RSASSA-PSS parameters");
    if (!EVP_MD_is_a(md, "SHA1")) {
        ENSURE_OUT((pss->hashAlgorithm = md_algor(md)) != NULL, MK_E_NOMEM, "PSS hash");
    }
    if (!EVP_MD_is_a(mgf1, "SHA1")) {
        mgf_hash = md_algor(mgf1);
        ENSURE_OUT(mgf_hash != NULL, MK_E_NOMEM, "PSS MGF1 hash");
        mgf_param = ASN1_item_pack(mgf_hash, ASN1_ITEM_rptr(X509_ALGOR), NULL);
        pss->maskGenAlgorithm = X509_ALGOR_new();
        ENSURE_OUT(mgf_param != NULL && pss->maskGenAlgorithm != NULL &&
                       X509_ALGOR_set0(pss->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1),
                                       V_ASN1_SEQUENCE, mgf_param) == 1,
                   MK_E_NOMEM, "PSS MGF1");
        mgf_param = NULL;
    }
    if (salt_len != 20) {
        pss->saltLength = ASN1_INTEGER_new();
        ENSURE_OUT(pss->saltLength != NULL &&
                       ASN1_INTEGER_set(pss->saltLength, (long)salt_len) == 1,
                   MK_E_NOMEM, "PSS salt length");
    }
    *out = ASN1_item_pack(pss, ASN1_ITEM_rptr(RSA_PSS_PARAMS), NULL);
    ENSURE_OUT(*out != NULL, MK_E_NOMEM, "RSASSA-PSS parameters");
    res = MK_OK;
out:
    ASN1_STRING_free(mgf_param);
    X509_ALGOR_free(mgf_hash);
    RSA_PSS_PARAMS_free(pss);
    return res;
}

static MK_RESULT sig_nid(const EVP_MD *md, int pkey_nid, int *out)
{
    ENSURE_MSG(OBJ_find_sigid_by_algs(out, EVP_MD_get_type(md), pkey_nid) == 1, MK_E_INVALID,
               "no signature algorithm identifier for %s with %s", EVP_MD_get0_name(md),
               OBJ_nid2sn(pkey_nid));
    return MK_OK;
}

MK_RESULT mkprov_signature_algorithm_id(p11_key_type type, int pad, const EVP_MD *md,
                                        const EVP_MD *mgf1, size_t salt_len, mk_buf *out)
{
    mk_result res = MK_ERR;
    ASN1_STRING *params = NULL;
    unsigned char *der = NULL;
    int nid = NID_undef;
    X509_ALGOR *alg = X509_ALGOR_new();
    ENSURE_OUT(alg != NULL, MK_E_NOMEM, "AlgorithmIdentifier");
    ENSURE_OUT(md != NULL, MK_E_INVALID, "no digest set: no signature algorithm identifier");
    if (type == P11_KEY_EC) {
        GUARD_OUT(sig_nid(md, NID_X9_62_id_ecPublicKey, &nid));
        ENSURE_OUT(X509_ALGOR_set0(alg, OBJ_nid2obj(nid), V_ASN1_UNDEF, NULL) == 1, MK_E_NOMEM,
                   "AlgorithmIdentifier");
    } else if (pad == RSA_PKCS1_PSS_PADDING) {
        GUARD_OUT(pss_params(md, mgf1 != NULL ? mgf1 : md, salt_len, &params));
        ENSURE_OUT(X509_ALGOR_set0(alg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, params) == 1,
                   MK_E_NOMEM, "AlgorithmIdentifier");
        params = NULL;
    } else {
        ENSURE_OUT(pad == RSA_PKCS1_PADDING, MK_E_INVALID,
                   "no signature algorithm identifier for this padding mode");
        GUARD_OUT(sig_nid(md, NID_rsaEncryption, &nid));
        ENSURE_OUT(X509_ALGOR_set0(alg, OBJ_nid2obj(nid), V_ASN1_NULL, NULL) == 1, MK_E_NOMEM,
                   "AlgorithmIdentifier");
    }
    int len = i2d_X509_ALGOR(alg, &der);
    ENSURE_OUT(len > 0, MK_E_INTERNAL, "AlgorithmIdentifier encoding");
    GUARD_OUT(mk_buf_append(out, der, (size_t)len));
    res = MK_OK;
out:
    OPENSSL_free(der);
    ASN1_STRING_free(params);
    X509_ALGOR_free(alg);
    return res;
}
