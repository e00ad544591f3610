/*
 * Certificate metadata from DER (RFC 5280 §4.1) for sys.certificates:
 * subject and issuer common names, serial number, validity as epoch
 * milliseconds, SHA-1 thumbprint and public key size. OpenSSL parses; we
 * insist that the input is exactly one certificate and cap every text field
 * at the width of its sys.certificates column.
 */
#include "catalog/certs.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "internal.h"
#include "mk/civil.h"

#define SUBJECT_MAX_CHARS 4000 /* subject nvarchar(4000) */
#define ISSUER_MAX_CHARS 442   /* issuer_name nvarchar(442) */
#define SERIAL_MAX_BYTES 21    /* cert_serial_number nvarchar(64): 21 bytes as "xx " */

#define CERT_BAIL_OUT(...) CAT_BAIL_OUT(MK_E_INVALID, CAT_R_CERT_INVALID, NULL, __VA_ARGS__)

/* A heap UTF-8 copy of an ASN1 string; NULL on failure or embedded NUL. */
static char *asn1_to_utf8(const ASN1_STRING *s)
{
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n < 0) {
        return NULL;
    }
    char *copy = NULL;
    if (memchr(utf8, 0, (size_t)n) == NULL) {
        copy = malloc((size_t)n + 1);
        if (copy != NULL) {
            memcpy(copy, utf8, (size_t)n);
            copy[n] = '\0';
        }
    }
    OPENSSL_free(utf8);
    return copy;
}

/* The CN of name, or its RFC 2253 one-line form when it has no CN. */
static char *name_text(const X509_NAME *name)
{
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx >= 0) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, idx);
        return e != NULL ? asn1_to_utf8(X509_NAME_ENTRY_get_data(e)) : NULL;
    }
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (b != NULL && X509_NAME_print_ex(
                         b, name, 0, XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(b, &data);
        if (n >= 0 && (n == 0 || (data != NULL && memchr(data, 0, (size_t)n) == NULL))) {
            out = malloc((size_t)n + 1);
            if (out != NULL) {
                if (n > 0) {
                    memcpy(out, data, (size_t)n);
                }
                out[n] = '\0';
            }
        }
    }
    BIO_free(b);
    return out;
}

static bool text_fits(const char *s, size_t max_chars)
{
    size_t chars = 0;
    return s != NULL && cat_utf8_valid((const uint8_t *)s, strlen(s), &chars) && chars <= max_chars;
}

/* "0a 1b 2c": the serial's magnitude, big-endian, lowercase, space separated. */
static char *serial_text(const ASN1_INTEGER *serial)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    if (bn == NULL) {
        return NULL;
    }
    uint8_t bytes[SERIAL_MAX_BYTES];
    int n = BN_num_bytes(bn);
    char *out = NULL;
    if (n <= SERIAL_MAX_BYTES) {
        int got = BN_bn2bin(bn, bytes);
        if (got == 0) {
            bytes[0] = 0;
            got = 1;
        }
        out = malloc((size_t)got * 3);
        size_t n_bytes = (size_t)got;
        for (size_t i = 0; out != NULL && i < n_bytes; i++) {
            static const char hex[] = "0123456789abcdef";
            out[i * 3] = hex[bytes[i] >> 4];
            out[i * 3 + 1] = hex[bytes[i] & 0x0f];
            out[i * 3 + 2] = i + 1 < n_bytes ? ' ' : '\0';
        }
    }
    BN_free(bn);
    return out;
}

static bool time_ms(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        return false;
    }
    int64_t days =
        mk_days_from_civil((int64_t)tm.tm_year + 1900, (int64_t)tm.tm_mon + 1, tm.tm_mday);
    int64_t secs = days * 86400 + (int64_t)tm.tm_hour * 3600 + (int64_t)tm.tm_min * 60 + tm.tm_sec;
    *out = secs * 1000;
    return true;
}

static MK_RESULT fill_meta(X509 *x, const uint8_t *der, size_t len, cat_cert_meta *m)
{
    mk_result res = MK_ERR;
    m->subject = name_text(X509_get_subject_name(x));
    m->issuer_name = name_text(X509_get_issuer_name(x));
    ENSURE_OUT(m->subject != NULL && m->issuer_name != NULL, MK_E_NOMEM, "certificate names");
    if (!text_fits(m->subject, SUBJECT_MAX_CHARS) || !text_fits(m->issuer_name, ISSUER_MAX_CHARS)) {
        CERT_BAIL_OUT("certificate subject or issuer is too long or not text");
    }
    m->serial = serial_text(X509_get0_serialNumber(x));
    if (m->serial == NULL) {
        CERT_BAIL_OUT("certificate serial number is missing or longer than %d bytes",
                      SERIAL_MAX_BYTES);
    }
    if (!time_ms(X509_get0_notBefore(x), &m->start_date) ||
        !time_ms(X509_get0_notAfter(x), &m->expiry_date)) {
        CERT_BAIL_OUT("certificate validity dates are unreadable");
    }
    EVP_PKEY *pk = X509_get0_pubkey(x);
    int bits = pk != NULL ? EVP_PKEY_get_bits(pk) : 0;
    if (bits <= 0) {
        CERT_BAIL_OUT("certificate public key is unreadable");
    }
    m->key_length = bits;
    unsigned int mdlen = 0;
    ENSURE_OUT(EVP_Digest(der, len, m->thumbprint, &mdlen, EVP_sha1(), NULL) == 1 &&
                   mdlen == CAT_THUMBPRINT_LEN,
               MK_E_CRYPTO, "certificate thumbprint");
    res = MK_OK;
out:
    return res;
}

MK_RESULT cat_cert_meta_from_der(const uint8_t *der, size_t len, cat_cert_meta *out)
{
    ENSURE_MSG(out != NULL, MK_E_INVALID, "certificate metadata output missing");
    memset(out, 0, sizeof(*out));
    if (der == NULL || len == 0) {
        CAT_BAIL(MK_E_INVALID, CAT_R_CERT_INVALID, NULL, "certificate is empty");
    }
    ENSURE_MSG(len <= CAT_CERT_DER_MAX, MK_E_TOOBIG, "certificate over %d bytes", CAT_CERT_DER_MAX);
    mk_result res = MK_ERR;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL || p != der + len) {
        CERT_BAIL_OUT("data is not one DER X.509 certificate");
    }
    GUARD_OUT(fill_meta(x, der, len, out));
    res = MK_OK;
out:
    X509_free(x);
    ERR_clear_error();
    if (mk_failed(res)) {
        cat_cert_meta_cleanup(out);
    }
    return res;
}

void cat_cert_meta_cleanup(cat_cert_meta *m)
{
    if (m == NULL) {
        return;
    }
    free(m->subject);
    free(m->issuer_name);
    free(m->serial);
    memset(m, 0, sizeof(*m));
}
