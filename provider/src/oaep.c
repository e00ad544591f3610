/*
 * OAEP decoding (RFC 8017 §7.1.2) after a raw RSA decryption on the token
 * (CKM_RSA_X_509), for the OAEP parameters a token cannot be trusted with.
 * SoftHSM 2.6 rejects every OAEP hash but SHA-1 and silently ignores
 * CK_RSA_PKCS_OAEP_PARAMS.pSourceData (a wrong label decrypts), so
 * asym_cipher.c sends SHA-2 OAEP the token refuses, and every labelled OAEP,
 * here. The private key still never leaves the token: only the padding
 * check runs in software, in OpenSSL's constant-time implementation, which
 * OpenSSL 3.0 marks deprecated but still ships; hence the suppression here.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "internal.h"

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rsa.h>

#define OAEP_MAX_MODULUS 1024

MK_RESULT mkprov_oaep_decode(const uint8_t *em, size_t k, const uint8_t *label, size_t label_len,
                             const EVP_MD *md, const EVP_MD *mgf1, uint8_t *out, size_t out_cap,
                             size_t *out_len)
{
    mk_result res = MK_ERR;
    uint8_t msg[OAEP_MAX_MODULUS];
    ENSURE_OUT(k > 0 && k <= sizeof(msg) && label_len <= INT_MAX, MK_E_INVALID,
               "OAEP: unsupported modulus or label size");
    int n = RSA_padding_check_PKCS1_OAEP_mgf1(msg, (int)k, em, (int)k, (int)k, label,
                                              (int)label_len, md, mgf1);
    /* One error for every failure: no detail that could serve as an oracle. */
    ENSURE_OUT(n >= 0, MK_E_CRYPTO, "OAEP decoding failed");
    ENSURE_OUT((size_t)n <= out_cap, MK_E_INVALID, "plaintext buffer too small");
    memcpy(out, msg, (size_t)n);
    *out_len = (size_t)n;
    res = MK_OK;
out:
    OPENSSL_cleanse(msg, sizeof(msg));
    return res;
}
