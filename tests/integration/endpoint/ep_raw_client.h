/*
 * A raw in-process TLS client for the endpoint tests: OpenSSL's default
 * provider, a software EC key and a self-signed certificate with chosen
 * validity, and chosen protocol versions and TLS 1.3 suites. It speaks our
 * HELLO and reports how far it got, so tests can show that the endpoint
 * refuses TLS 1.2, non-AES suites, missing and expired certificates, and
 * (positive control) accepts the same client when everything is right.
 */
#ifndef EP_RAW_CLIENT_H
#define EP_RAW_CLIENT_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ep_fixture.h"

typedef enum raw_outcome {
    RAW_TLS_REFUSED = 0, /* handshake failed, or the server closed before answering HELLO */
    RAW_ACCEPTED = 1,
    RAW_REJECTED = 2,
} raw_outcome;

typedef struct raw_client {
    EVP_PKEY *key;
    X509 *cert;         /* NULL: present no certificate */
    int max_version;    /* TLS1_2_VERSION or TLS1_3_VERSION */
    const char *suites; /* TLS 1.3 suites; NULL: OpenSSL's default */
} raw_client;

/* A software P-256 key and a certificate valid over [now + from_s, now + to_s]. */
static inline void raw_identity(raw_client *rc, const char *cn, long from_s, long to_s)
{
    rc->key = EVP_EC_gen("P-256");
    assert_non_null(rc->key);
    X509 *x = X509_new();
    assert_non_null(x);
    X509_NAME *n = X509_NAME_new();
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 42), 1);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
    assert_int_equal(X509_set_subject_name(x, n), 1);
    assert_int_equal(X509_set_issuer_name(x, n), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from_s));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to_s));
    assert_int_equal(X509_set_pubkey(x, rc->key), 1);
    assert_true(X509_sign(x, rc->key, EVP_sha256()) > 0);
    X509_NAME_free(n);
    rc->cert = x;
    rc->max_version = TLS1_3_VERSION;
}

static inline void raw_der(const raw_client *rc, mk_buf *out)
{
    unsigned char *der = NULL;
    int len = i2d_X509(rc->cert, &der);
    assert_true(len > 0);
    FX_OK(mk_buf_append(out, der, (size_t)len));
    OPENSSL_free(der);
}

static inline void raw_free(raw_client *rc)
{
    EVP_PKEY_free(rc->key);
    X509_free(rc->cert);
}

static inline bool raw_read(SSL *ssl, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        size_t n = 0;
        if (SSL_read_ex(ssl, buf + got, len - got, &n) != 1) {
            return false;
        }
        got += n;
    }
    return true;
}

static inline raw_outcome raw_login(const raw_client *rc, uint16_t port)
{
    raw_outcome out = RAW_TLS_REFUSED;
    int fd = -1;
    mk_buf hello, frame;
    mk_buf_init(&hello, 0);
    mk_buf_init(&frame, 0);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, rc->max_version), 1);
    if (rc->suites != NULL) {
        assert_int_equal(SSL_CTX_set_ciphersuites(ctx, rc->suites), 1);
    }
    if (rc->cert != NULL) {
        assert_int_equal(SSL_CTX_use_certificate(ctx, rc->cert), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey(ctx, rc->key), 1);
    }
    FX_OK(net_connect("127.0.0.1", port, 3000, &fd));
    FX_OK(net_set_timeout(fd, 3000));
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    assert_int_equal(SSL_set_fd(ssl, fd), 1);
    if (SSL_connect(ssl) == 1) {
        ep_hello h = {.version_min = 1, .version_max = 1, .role = EP_HELLO_PARTNER};
        snprintf(h.instance, sizeof(h.instance), "RAW");
        FX_OK(ep_hello_encode(&h, &hello));
        FX_OK(ep_frame_encode(&frame, EP_FRAME_HELLO, 0, hello.data, hello.len));
        uint8_t hdr[EP_FRAME_HEADER_LEN];
        ep_frame_header fh;
        size_t n = 0;
        if (SSL_write_ex(ssl, frame.data, frame.len, &n) == 1 && raw_read(ssl, hdr, sizeof(hdr)) &&
            mk_ok(ep_frame_header_parse(hdr, sizeof(hdr), &fh))) {
            out = fh.type == EP_FRAME_ACCEPT   ? RAW_ACCEPTED
                  : fh.type == EP_FRAME_REJECT ? RAW_REJECTED
                                               : RAW_TLS_REFUSED;
        }
    }
    ERR_clear_error();
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    mk_buf_cleanup(&hello);
    mk_buf_cleanup(&frame);
    return out;
}

#endif
