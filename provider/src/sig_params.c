/*
 * SIGNATURE context parameters: the digest, RSA padding mode, PSS salt
 * length and MGF1 digest (set and get, as integers or as OpenSSL's text
 * forms), and the AlgorithmIdentifier X.509 signing asks for. The entry
 * points that call these are in signature.c.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

static const struct {
    const char *name;
    int value;
} salt_names[] = {
    {OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST, RSA_PSS_SALTLEN_DIGEST},
    {OSSL_PKEY_RSA_PSS_SALT_LEN_MAX, RSA_PSS_SALTLEN_MAX},
    {OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO, RSA_PSS_SALTLEN_AUTO},
};

static MK_RESULT parse_saltlen(const OSSL_PARAM *p, int *out)
{
    if (p->data_type != OSSL_PARAM_UTF8_STRING) {
        ENSURE_MSG(OSSL_PARAM_get_int(p, out) == 1, MK_E_INVALID, "bad PSS salt length");
        return MK_OK;
    }
    const char *s = p->data;
    for (size_t i = 0; i < sizeof(salt_names) / sizeof(salt_names[0]); i++) {
        if (strcmp(s, salt_names[i].name) == 0) {
            *out = salt_names[i].value;
            return MK_OK;
        }
    }
    char *end = NULL;
    long v = strtol(s, &end, 10);
    ENSURE_MSG(s[0] != '\0' && *end == '\0' && v >= RSA_PSS_SALTLEN_MAX && v <= 65535, MK_E_INVALID,
               "bad PSS salt length '%s'", s);
    *out = (int)v;
    return MK_OK;
}

static MK_RESULT set_digest_param(mkprov_sig *c, const OSSL_PARAM *p, EVP_MD **slot)
{
    const char *name = NULL;
    EVP_MD *md = NULL;
    ENSURE_MSG(OSSL_PARAM_get_utf8_string_ptr(p, &name) == 1, MK_E_INVALID, "bad digest name");
    ENSURE_MSG(slot != &c->md || c->mdctx == NULL, MK_E_STATE,
               "the digest cannot change during a digest-sign operation");
    GUARD(mkprov_fetch_md(c->prov, name, &md));
    EVP_MD_free(*slot);
    *slot = md;
    return MK_OK;
}

MK_RESULT mkprov_sig_apply_params(mkprov_sig *c, const OSSL_PARAM params[])
{
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST);
    if (p != NULL) {
        GUARD(set_digest_param(c, p, &c->md));
    }
    if (c->want != P11_KEY_RSA) {
        return MK_OK;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
    if (p != NULL) {
        int pad = 0;
        GUARD(mkprov_param_pad_mode(p, &pad));
        ENSURE_MSG(pad == RSA_PKCS1_PADDING || pad == RSA_PKCS1_PSS_PADDING, MK_E_INVALID,
                   "RSA signatures use pkcs1 or pss padding");
        c->pad = pad;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN);
    if (p != NULL) {
        GUARD(parse_saltlen(p, &c->saltlen));
    }
    p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST);
    if (p != NULL) {
        GUARD(set_digest_param(c, p, &c->mgf1));
    }
    return MK_OK;
}

static MK_RESULT get_algorithm_id(const mkprov_sig *c, OSSL_PARAM *p)
{
    mk_result res = MK_ERR;
    size_t salt = 0;
    mk_buf der;
    mk_buf_init(&der, 1024);
    if (c->want == P11_KEY_RSA && c->pad == RSA_PKCS1_PSS_PADDING && c->md != NULL) {
        unsigned bits = (unsigned)EVP_PKEY_get_bits(mkprov_key_public(c->key));
        GUARD_OUT(mkprov_pss_salt_len(c->saltlen, bits, (size_t)EVP_MD_get_size(c->md), &salt));
    }
    GUARD_OUT(mkprov_signature_algorithm_id(c->want, c->pad, c->md, c->mgf1, salt, &der));
    ENSURE_OUT(OSSL_PARAM_set_octet_string(p, der.data, der.len) == 1, MK_E_INVALID,
               "algorithm-id buffer too small");
    res = MK_OK;
out:
    mk_buf_cleanup(&der);
    return res;
}

static MK_RESULT get_saltlen(const mkprov_sig *c, OSSL_PARAM *p)
{
    if (p->data_type != OSSL_PARAM_UTF8_STRING) {
        ENSURE_MSG(OSSL_PARAM_set_int(p, c->saltlen) == 1, MK_E_INVALID, "salt length");
        return MK_OK;
    }
    char text[16];
    (void)snprintf(text, sizeof(text), "%d", c->saltlen);
    const char *v = text;
    for (size_t i = 0; i < sizeof(salt_names) / sizeof(salt_names[0]); i++) {
        if (c->saltlen == salt_names[i].value) {
            v = salt_names[i].name;
        }
    }
    ENSURE_MSG(OSSL_PARAM_set_utf8_string(p, v) == 1, MK_E_INVALID, "salt length");
    return MK_OK;
}

MK_RESULT mkprov_sig_fill_params(const mkprov_sig *c, OSSL_PARAM params[])
{
    OSSL_PARAM *p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID);
    if (p != NULL) {
        GUARD(get_algorithm_id(c, p));
    }
    p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST);
    if (p != NULL && c->md != NULL) {
        ENSURE_MSG(OSSL_PARAM_set_utf8_string(p, EVP_MD_get0_name(c->md)), MK_E_INVALID, "digest");
    }
    if (c->want != P11_KEY_RSA) {
        return MK_OK;
    }
    p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
    if (p != NULL) {
        const char *name = c->pad == RSA_PKCS1_PSS_PADDING ? OSSL_PKEY_RSA_PAD_MODE_PSS
                                                           : OSSL_PKEY_RSA_PAD_MODE_PKCSV15;
        ENSURE_MSG(p->data_type == OSSL_PARAM_UTF8_STRING ? OSSL_PARAM_set_utf8_string(p, name)
                                                          : OSSL_PARAM_set_int(p, c->pad),
                   MK_E_INVALID, "padding mode");
    }
    p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN);
    if (p != NULL) {
        GUARD(get_saltlen(c, p));
    }
    p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST);
    const EVP_MD *mgf1 = c->mgf1 != NULL ? c->mgf1 : c->md;
    if (p != NULL && mgf1 != NULL) {
        ENSURE_MSG(OSSL_PARAM_set_utf8_string(p, EVP_MD_get0_name(mgf1)), MK_E_INVALID, "MGF1");
    }
    return MK_OK;
}
