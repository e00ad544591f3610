/*
 * The key object behind the RSA and EC KEYMGMTs.
 *
 * A mkprov_key is either a token key (a p11_key reference: the private half
 * stays on the token, sign and decrypt go through p11_key_sign/decrypt) or a
 * public key imported from another provider (used when OpenSSL compares a
 * certificate's key with ours, and for verification it routes to us). In
 * both cases the public half is also held as an EVP_PKEY of another provider
 * (`pub`), so matching, export of the public half, verification and
 * encryption run in software there. Private parts are never exported and
 * never imported.
 *
 * Key objects are immutable once filled and refcounted, so KEYMGMT dup and
 * the operation contexts share them across threads.
 */
#include "internal.h"

#include <stdatomic.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "mk/log.h"

#define MKPROV_KEY_MAGIC 0x6d6b6b79u /* "mkky" */

struct mkprov_key {
    uint32_t magic;
    atomic_uint refs;
    mkprov_ctx *prov;
    p11_key_type type;
    p11_key *p11;    /* NULL for an imported public key */
    EVP_PKEY *pub;   /* public half (or EC parameters only) in another provider */
    bool has_public; /* pub carries a public key, not just EC parameters */
};

static const char *keytype_name(p11_key_type type) { return type == P11_KEY_RSA ? "RSA" : "EC"; }

static MK_RESULT key_alloc(mkprov_ctx *p, p11_key_type type, mkprov_key **out)
{
    mkprov_key *k = OPENSSL_zalloc(sizeof(*k));
    ENSURE_MSG(k != NULL, MK_E_NOMEM, "key object");
    k->magic = MKPROV_KEY_MAGIC;
    atomic_init(&k->refs, 1);
    k->prov = p;
    k->type = type;
    *out = k;
    return MK_OK;
}

/* EVP_PKEY_fromdata in another provider. */
static MK_RESULT public_from_params(mkprov_ctx *p, p11_key_type type, int selection,
                                    OSSL_PARAM params[], EVP_PKEY **out)
{
    mk_result res = MK_ERR;
    EVP_PKEY_CTX *ctx =
        EVP_PKEY_CTX_new_from_name(p->libctx, keytype_name(type), MKPROV_PROPQ_OTHER);
    ENSURE_OUT(ctx != NULL, MK_E_STATE,
               "no %s key management in another provider (load the default provider)",
               keytype_name(type));
    ENSURE_OUT(EVP_PKEY_fromdata_init(ctx) == 1 &&
                   EVP_PKEY_fromdata(ctx, out, selection, params) == 1,
               MK_E_INVALID, "the %s public key components are not valid", keytype_name(type));
    res = MK_OK;
out:
    EVP_PKEY_CTX_free(ctx);
    return res;
}

static MK_RESULT rsa_public(mkprov_ctx *p, const p11_key *k, EVP_PKEY **out)
{
    mk_result res = MK_ERR;
    size_t n_len = 0;
    size_t e_len = 0;
    const uint8_t *n = p11_key_rsa_modulus(k, &n_len);
    const uint8_t *e = p11_key_rsa_exponent(k, &e_len);
    BIGNUM *bn_n = NULL;
    BIGNUM *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    ENSURE_OUT(n != NULL && e != NULL && n_len > 0 && e_len > 0, MK_E_INVALID,
               "the token key has no RSA public components");
    bn_n = BN_bin2bn(n, (int)n_len, NULL);
    bn_e = BN_bin2bn(e, (int)e_len, NULL);
    bld = OSSL_PARAM_BLD_new();
    ENSURE_OUT(bn_n != NULL && bn_e != NULL && bld != NULL, MK_E_NOMEM, "RSA public key");
    ENSURE_OUT(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
                   OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1 &&
                   (params = OSSL_PARAM_BLD_to_param(bld)) != NULL,
               MK_E_NOMEM, "RSA public key");
    GUARD_OUT(public_from_params(p, P11_KEY_RSA, EVP_PKEY_PUBLIC_KEY, params, out));
    res = MK_OK;
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return res;
}

/* The curve's short name from CKA_EC_PARAMS, which must be a named-curve OID. */
static MK_RESULT ec_group_name(const uint8_t *der, size_t len, const char **name)
{
    const unsigned char *q = der;
    ENSURE_MSG(der != NULL && len > 0 && len < 64, MK_E_INVALID,
               "the token key has no EC parameters");
    ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &q, (long)len);
    int nid = obj != NULL && q == der + len ? OBJ_obj2nid(obj) : NID_undef;
    ASN1_OBJECT_free(obj);
    ENSURE_MSG(nid != NID_undef, MK_E_INVALID,
               "CKA_EC_PARAMS is not a known named curve (explicit parameters are not supported)");
    *name = OBJ_nid2sn(nid);
    return MK_OK;
}

static MK_RESULT ec_public(mkprov_ctx *p, const p11_key *k, EVP_PKEY **out)
{
    size_t params_len = 0;
    size_t point_len = 0;
    const uint8_t *ecp = p11_key_ec_params(k, &params_len);
    const uint8_t *point = p11_key_ec_point(k, &point_len);
    const char *group = NULL;
    GUARD(ec_group_name(ecp, params_len, &group));
    ENSURE_MSG(point != NULL && point_len > 0, MK_E_INVALID, "the token key has no EC point");
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, point_len),
        OSSL_PARAM_END,
    };
    return public_from_params(p, P11_KEY_EC, EVP_PKEY_PUBLIC_KEY, params, out);
}

MK_RESULT mkprov_key_from_p11(mkprov_ctx *p, p11_key *pk, mkprov_key **out)
{
    mk_result res = MK_ERR;
    mkprov_key *k = NULL;
    p11_key_type type = p11_key_get_type(pk);
    ENSURE_OUT(type == P11_KEY_RSA || type == P11_KEY_EC, MK_E_INVALID, "unsupported key type");
    GUARD_OUT(key_alloc(p, type, &k));
    k->p11 = p11_key_ref(pk);
    if (type == P11_KEY_RSA) {
        GUARD_OUT(rsa_public(p, pk, &k->pub));
    } else {
        GUARD_OUT(ec_public(p, pk, &k->pub));
    }
    k->has_public = true;
    *out = k;
    k = NULL;
    res = MK_OK;
out:
    mkprov_key_unref(k);
    return res;
}

MK_RESULT mkprov_key_new_empty(mkprov_ctx *p, p11_key_type type, mkprov_key **out)
{
    return key_alloc(p, type, out);
}

mkprov_key *mkprov_key_ref(mkprov_key *k)
{
    if (k != NULL) {
        atomic_fetch_add(&k->refs, 1);
    }
    return k;
}

void mkprov_key_unref(mkprov_key *k)
{
    if (k == NULL || atomic_fetch_sub(&k->refs, 1) != 1) {
        return;
    }
    k->magic = 0;
    if (!mkprov_exiting()) {
        p11_key_unref(k->p11); /* after exit began, the module may be gone: leak instead */
    }
    EVP_PKEY_free(k->pub);
    OPENSSL_free(k);
}

mkprov_key *mkprov_key_from_reference(const void *ref, size_t ref_len)
{
    mkprov_key *k = NULL;
    if (ref == NULL || ref_len != sizeof(k)) {
        return NULL;
    }
    memcpy(&k, ref, sizeof(k));
    return (k != NULL && k->magic == MKPROV_KEY_MAGIC) ? k : NULL;
}

mkprov_ctx *mkprov_key_prov(const mkprov_key *k) { return k->prov; }
p11_key_type mkprov_key_type(const mkprov_key *k) { return k->type; }
p11_key *mkprov_key_p11(const mkprov_key *k) { return k->p11; }
EVP_PKEY *mkprov_key_public(const mkprov_key *k) { return k->pub; }

bool mkprov_key_has_private(const mkprov_key *k)
{
    return k->p11 != NULL && p11_key_has_private(k->p11);
}

void mkprov_key_describe(const mkprov_key *k, char *out, size_t out_len)
{
    if (out_len == 0) {
        return;
    }
    out[0] = '\0';
    if (k->p11 == NULL) {
        (void)snprintf(out, out_len, "imported %s public key", keytype_name(k->type));
        return;
    }
    mk_buf b;
    mk_buf_init(&b, 8192);
    if (mk_ok(p11_key_uri(k->p11, &b)) && b.data != NULL) {
        mkprov_uri_redact((const char *)b.data, out, out_len);
    } else {
        (void)snprintf(out, out_len, "token %s key '%s'", keytype_name(k->type),
                       p11_key_label(k->p11));
    }
    mk_buf_cleanup(&b);
}

/* ---- KEYMGMT operations shared by RSA and EC ---- */

int mkprov_key_has(const mkprov_key *k, int selection)
{
    if (k == NULL) {
        return 0;
    }
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && !mkprov_key_has_private(k)) {
        return 0;
    }
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 && !k->has_public) {
        return 0;
    }
    if ((selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS) != 0 && k->type == P11_KEY_EC &&
        k->pub == NULL) {
        return 0;
    }
    return 1;
}

int mkprov_key_match(const mkprov_key *a, const mkprov_key *b, int selection)
{
    if (a == NULL || b == NULL || a->type != b->type || a->pub == NULL || b->pub == NULL) {
        return 0;
    }
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0) {
        /* Two halves of one pair share the public key; the private half never leaves the token. */
        return a->has_public && b->has_public && EVP_PKEY_eq(a->pub, b->pub) == 1;
    }
    if ((selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS) != 0 && a->type == P11_KEY_EC) {
        return EVP_PKEY_parameters_eq(a->pub, b->pub) == 1;
    }
    return 1;
}

/* True when params carry private components (which we never accept). */
static bool has_private_params(const OSSL_PARAM params[])
{
    return OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_RSA_D) != NULL ||
           OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_RSA_FACTOR1) != NULL ||
           OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY) != NULL;
}

int mkprov_key_import(mkprov_key *k, int selection, const OSSL_PARAM params[])
{
    /*
     * No error on the queue when refusing: OpenSSL tries imports speculatively
     * (e.g. a default-provider private key offered to us first) and falls back.
     */
    if (k == NULL || k->pub != NULL || k->p11 != NULL) {
        return 0;
    }
    if (has_private_params(params)) {
        MK_LOG_DEBUG("mirrorkey provider: refusing to import a private key");
        return 0;
    }
    const char *pub_name = k->type == P11_KEY_RSA ? OSSL_PKEY_PARAM_RSA_N : OSSL_PKEY_PARAM_PUB_KEY;
    bool has_pub = OSSL_PARAM_locate_const(params, pub_name) != NULL;
    int sel = 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 && has_pub) {
        sel = EVP_PKEY_PUBLIC_KEY;
    } else if ((selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS) != 0 && k->type == P11_KEY_EC) {
        sel = EVP_PKEY_KEY_PARAMETERS;
    } else {
        return 0;
    }
    if (mk_failed(public_from_params(k->prov, k->type, sel, (OSSL_PARAM *)params, &k->pub))) {
        MK_LOG_DEBUG("mirrorkey provider: import failed: %s", mk_error_message());
        return 0;
    }
    k->has_public = sel == EVP_PKEY_PUBLIC_KEY;
    return 1;
}

int mkprov_key_export(const mkprov_key *k, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
    if (k == NULL || k->pub == NULL) {
        return 0;
    }
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0) {
        /* Silent for the same reason as import: OpenSSL probes and falls back. */
        MK_LOG_DEBUG("mirrorkey provider: refusing to export a private key");
        return 0;
    }
    int sel = 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0) {
        if (!k->has_public) {
            return 0;
        }
        sel = EVP_PKEY_PUBLIC_KEY;
    } else if ((selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS) != 0) {
        sel = EVP_PKEY_KEY_PARAMETERS;
    } else {
        return 0;
    }
    OSSL_PARAM *params = NULL;
    if (EVP_PKEY_todata(k->pub, sel, &params) != 1) {
        return 0;
    }
    int ok = cb(params, cbarg);
    OSSL_PARAM_free(params);
    return ok;
}

int mkprov_key_get_params(const mkprov_key *k, OSSL_PARAM params[])
{
    if (k == NULL || k->pub == NULL) {
        return 0;
    }
    /* bits, security-bits, max-size, default digest and the public values. */
    return EVP_PKEY_get_params(k->pub, params);
}
