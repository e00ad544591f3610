/*
 * Making the identities bench/endpoint uses. Token identities: the key pair
 * is generated on the token by mirrorkey's token layer (never a software
 * copy) and the self-signed certificate is signed on the token through the
 * provider (keys/certgen.h), as CREATE CERTIFICATE does. Software
 * identities: an OpenSSL key in a 0600 PEM file and a self-signed
 * certificate, for the ratio only.
 */
#include "epb.h"

#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keys/certgen.h"
#include "mk/ossl.h"
#include "p11/token.h"
#include "token.h"

#define CERT_DAYS 2

/* Write a certificate as DER and PEM. */
static MK_RESULT write_cert(X509 *x, const epb_identity *id)
{
    FILE *der = fopen(id->cert_der, "wb");
    FILE *pem = fopen(id->cert_pem, "w");
    bool ok = der != NULL && pem != NULL && i2d_X509_fp(der, x) == 1 && PEM_write_X509(pem, x) == 1;
    ok = (der == NULL || fclose(der) == 0) && ok;
    ok = (pem == NULL || fclose(pem) == 0) && ok;
    ENSURE_MSG(ok, MK_E_IO, "cannot write %s", id->cert_pem);
    return MK_OK;
}

static MK_RESULT token_identity(const epb_opts *o, OSSL_LIB_CTX *libctx, p11_token *t,
                                const epb_keytype *kt, epb_role role)
{
    mk_result res = MK_ERR;
    p11_key *key = NULL;
    X509 *x = NULL;
    epb_identity id;
    char cn[64];
    mk_buf der;
    mk_buf_init(&der, (size_t)64 * 1024);
    epb_identity_get(o, kt, EPB_TOKEN, role, &id);
    GUARD_OUT(o->keygen ? bench_token_ensure_key(t, &kt->key[role], &key)
                        : bench_token_find_key(t, &kt->key[role], &key));
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    snprintf(cn, sizeof(cn), "%s", kt->key[role].label);
    keys_cert_params p = {cn, now_ms - (int64_t)3600 * 1000,
                          now_ms + (int64_t)CERT_DAYS * 86400 * 1000};
    GUARD_OUT(keys_cert_build(libctx, key, id.key, &p, &der));
    const unsigned char *d = der.data;
    x = d2i_X509(NULL, &d, (long)der.len);
    ENSURE_OUT(x != NULL, MK_E_INVALID, "the token certificate does not parse");
    GUARD_OUT(write_cert(x, &id));
    res = MK_OK;
out:
    X509_free(x);
    mk_buf_cleanup(&der);
    p11_key_unref(key);
    return res;
}

MK_RESULT epb_setup_token(const epb_opts *o, const epb_keytype *kt)
{
    mk_result res = MK_ERR;
    OSSL_LIB_CTX *libctx = NULL;
    p11_token *t = NULL;
    GUARD_OUT(epb_libctx_new(&libctx));
    GUARD_OUT(p11_token_open(o->b.token_uri, NULL, &t));
    GUARD_OUT(token_identity(o, libctx, t, kt, EPB_ACCEPTOR));
    GUARD_OUT(token_identity(o, libctx, t, kt, EPB_CONNECTOR));
    res = MK_OK;
out:
    p11_token_unref(t);
    net_tls_libctx_free(libctx);
    return res;
}

/* A self-signed certificate for a software key (SHA-256). */
static MK_RESULT self_signed(EVP_PKEY *key, const char *cn, X509 **out)
{
    mk_result res = MK_ERR;
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    ENSURE_OUT(x != NULL && n != NULL, MK_E_NOMEM, "X509_new");
    bool ok = X509_set_version(x, 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
              X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                         0) == 1 &&
              X509_set_subject_name(x, n) == 1 && X509_set_issuer_name(x, n) == 1 &&
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
              X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 86400) != NULL &&
              X509_set_pubkey(x, key) == 1 && X509_sign(x, key, EVP_sha256()) > 0;
    if (!ok) {
        (void)MK_OSSL_FAIL(MK_E_CRYPTO, "self-signing a software certificate");
        goto out;
    }
    *out = x;
    x = NULL;
    res = MK_OK;
out:
    X509_NAME_free(n);
    X509_free(x);
    return res;
}

static MK_RESULT write_key(EVP_PKEY *key, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    bool ok = f != NULL && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
    ok = (f == NULL || fclose(f) == 0) && ok;
    if (f == NULL && fd >= 0) {
        close(fd);
    }
    ENSURE_MSG(ok, MK_E_IO, "cannot write %s", path);
    return MK_OK;
}

static MK_RESULT software_identity(const epb_opts *o, const epb_keytype *kt, epb_role role)
{
    mk_result res = MK_ERR;
    X509 *x = NULL;
    epb_identity id;
    char cn[80];
    const bench_key *k = &kt->key[role];
    EVP_PKEY *key = k->type == P11_KEY_RSA ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)k->bits)
                                           : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ENSURE_OUT(key != NULL, MK_E_CRYPTO, "software key generation failed");
    epb_identity_get(o, kt, EPB_SOFTWARE, role, &id);
    snprintf(cn, sizeof(cn), "soft-%s", k->label);
    GUARD_OUT(self_signed(key, cn, &x));
    GUARD_OUT(write_key(key, id.key));
    GUARD_OUT(write_cert(x, &id));
    res = MK_OK;
out:
    X509_free(x);
    EVP_PKEY_free(key);
    return res;
}

MK_RESULT epb_setup_software(const epb_opts *o, const epb_keytype *kt)
{
    GUARD(software_identity(o, kt, EPB_ACCEPTOR));
    GUARD(software_identity(o, kt, EPB_CONNECTOR));
    return MK_OK;
}
