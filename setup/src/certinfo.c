/*
 * Facts about a public certificate that the setup tool prints, compares and
 * records: SHA-256 of the DER and of the SubjectPublicKeyInfo, SQL Server's
 * SHA-1 thumbprint, the key ("rsa:3072", "ec:p256"), the expiry and subject.
 */
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "plan.h"

void hex_encode(const uint8_t *b, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    }
    out[2 * len] = '\0';
}

static void digest_hex(const EVP_MD *md, const uint8_t *data, size_t len, char *out)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    out[0] = '\0';
    if (EVP_Digest(data, len, d, &dlen, md, NULL) == 1) {
        hex_encode(d, dlen, out);
    }
}

static void key_name(EVP_PKEY *pk, char *out, size_t cap)
{
    if (EVP_PKEY_is_a(pk, "RSA")) {
        snprintf(out, cap, "rsa:%d", EVP_PKEY_get_bits(pk));
    } else if (EVP_PKEY_is_a(pk, "EC")) {
        char group[64] = "";
        size_t glen = 0;
        EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), &glen);
        snprintf(out, cap, "%s",
                 strcmp(group, "prime256v1") == 0  ? "ec:p256"
                 : strcmp(group, "secp384r1") == 0 ? "ec:p384"
                                                   : "ec:other");
    } else {
        snprintf(out, cap, "other");
    }
}

MK_RESULT cert_facts_get(const uint8_t *der, size_t len, cert_facts *out)
{
    mk_result res = MK_ERR;
    memset(out, 0, sizeof(*out));
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    unsigned char *spki = NULL;
    ENSURE_MSG(x != NULL && p == der + len, MK_E_INVALID, "not a DER certificate");
    digest_hex(EVP_sha256(), der, len, out->sha256);
    digest_hex(EVP_sha1(), der, len, out->thumbprint);
    int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
    EVP_PKEY *pk = X509_get0_pubkey(x);
    struct tm tm;
    if (spki_len <= 0 || pk == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1) {
        (void)MK_RAISE(MK_E_INVALID, "the certificate's key or dates cannot be read");
        goto out;
    }
    digest_hex(EVP_sha256(), spki, (size_t)spki_len, out->spki_sha256);
    key_name(pk, out->key, sizeof(out->key));
    out->not_after = (long long)timegm(&tm);
    X509_NAME_oneline(X509_get_subject_name(x), out->subject, (int)sizeof(out->subject));
    res = MK_OK;
out:
    OPENSSL_free(spki);
    X509_free(x);
    return res;
}
