/*
 * TLS for the server (see net/tls.h): contexts for the admin and endpoint
 * profiles, plain and framed handshakes, and the TLS mk_conn. This is the
 * only file of the server that calls SSL_*.
 */
#include "net/tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mk/log.h"
#include "mk/ossl.h"
#include "net/socket.h"

/* TLS 1.3 suites with AES-GCM only (no ChaCha20, no CCM). */
#define ENDPOINT_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"
/* TLS 1.2 AEAD suites for older admin clients; 1.3 suites as above. */
#define ADMIN_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"

struct net_tls_ctx {
    SSL_CTX *ctx;
    net_tls_profile profile;
};

typedef struct tls_conn {
    mk_conn base;
    SSL *ssl;
} tls_conn;

#define TLS_FAIL(code, what) MK_OSSL_FAIL((code), (what))

MK_RESULT net_tls_libctx_new(const char *provider_dir, OSSL_LIB_CTX **out)
{
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
    ENSURE(ctx != NULL, MK_E_NOMEM);
    if (provider_dir != NULL && OSSL_PROVIDER_set_default_search_path(ctx, provider_dir) != 1) {
        OSSL_LIB_CTX_free(ctx);
        return TLS_FAIL(MK_E_INVALID, "setting provider path");
    }
    if (OSSL_PROVIDER_load(ctx, "default") == NULL ||
        OSSL_PROVIDER_load(ctx, "mirrorkey") == NULL) {
        OSSL_LIB_CTX_free(ctx);
        return TLS_FAIL(MK_E_NOT_FOUND, "loading the mirrorkey provider");
    }
    *out = ctx;
    return MK_OK;
}

MK_RESULT net_tls_libctx_new_builtin(const char *name, OSSL_provider_init_fn *init,
                                     OSSL_LIB_CTX **out)
{
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
    ENSURE(ctx != NULL, MK_E_NOMEM);
    if (OSSL_PROVIDER_add_builtin(ctx, name, init) != 1) {
        OSSL_LIB_CTX_free(ctx);
        return TLS_FAIL(MK_E_INTERNAL, "registering the built-in provider");
    }
    if (OSSL_PROVIDER_load(ctx, "default") == NULL || OSSL_PROVIDER_load(ctx, name) == NULL) {
        OSSL_LIB_CTX_free(ctx);
        return TLS_FAIL(MK_E_NOT_FOUND, "loading the built-in provider");
    }
    *out = ctx;
    return MK_OK;
}

void net_tls_libctx_free(OSSL_LIB_CTX *ctx) { OSSL_LIB_CTX_free(ctx); }

/* Protocol versions, suites and verification per profile. */
static MK_RESULT apply_profile(SSL_CTX *ctx, const net_tls_config *cfg)
{
    int ok = SSL_CTX_set_ciphersuites(ctx, ENDPOINT_SUITES);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    ok = ok && SSL_CTX_set_num_tickets(ctx, 0);
    if (cfg->profile == NET_TLS_ENDPOINT) {
        ok = ok && SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        ok = ok && SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
        /* Any certificate is accepted here; the catalog decides afterwards. */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    } else {
        ok = ok && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        ok = ok && SSL_CTX_set_cipher_list(ctx, ADMIN_CIPHERS);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        /*
         * TDS clients (FreeTDS) close without close_notify. TDS frames its
         * own messages (EOM), so a truncated stream is seen at that layer;
         * here a bare EOF is an orderly close, not an error.
         */
        SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    }
    if (!ok) {
        return TLS_FAIL(MK_E_INVALID, "configuring TLS");
    }
    return MK_OK;
}

/* Accept every presented certificate at the TLS layer (endpoint profile). */
static int accept_any_cert(X509_STORE_CTX *xctx, void *arg)
{
    (void)xctx;
    (void)arg;
    return 1;
}

MK_RESULT net_tls_ctx_new(OSSL_LIB_CTX *libctx, const net_tls_config *cfg, net_tls_ctx **out)
{
    mk_result res = MK_ERR;
    const unsigned char *p = cfg->cert_der;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    net_tls_ctx *t = calloc(1, sizeof(*t));
    ENSURE(t != NULL, MK_E_NOMEM);
    t->profile = cfg->profile;
    t->ctx =
        SSL_CTX_new_ex(libctx, NULL, cfg->is_server ? TLS_server_method() : TLS_client_method());
    if (t->ctx == NULL) {
        (void)TLS_FAIL(MK_E_NOMEM, "creating TLS context");
        goto out;
    }
    GUARD_OUT(apply_profile(t->ctx, cfg));
    if (cfg->profile == NET_TLS_ENDPOINT) {
        SSL_CTX_set_cert_verify_callback(t->ctx, accept_any_cert, NULL);
    }
    cert = d2i_X509(NULL, &p, (long)cfg->cert_len);
    ENSURE_OUT(cert != NULL && p == cfg->cert_der + cfg->cert_len, MK_E_INVALID,
               "our certificate is not valid DER X.509");
    GUARD_OUT(mk_ossl_load_private_key(libctx, cfg->key_uri, &key));
    if (SSL_CTX_use_certificate(t->ctx, cert) != 1 || SSL_CTX_use_PrivateKey(t->ctx, key) != 1 ||
        SSL_CTX_check_private_key(t->ctx) != 1) {
        (void)TLS_FAIL(MK_E_INVALID, "certificate and token key do not match");
        goto out;
    }
    *out = t;
    t = NULL;
    res = MK_OK;
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    net_tls_ctx_free(t);
    return res;
}

void net_tls_ctx_free(net_tls_ctx *t)
{
    if (t == NULL) {
        return;
    }
    SSL_CTX_free(t->ctx);
    free(t);
}

static mk_result tls_read(mk_conn *c, uint8_t *buf, size_t len, size_t *got)
{
    tls_conn *tc = (tls_conn *)c;
    size_t n = 0;
    ERR_clear_error(); /* SSL_get_error below reads the queue: only this call's errors */
    if (SSL_read_ex(tc->ssl, buf, len, &n) == 1) {
        *got = n;
        return MK_OK;
    }
    int err = SSL_get_error(tc->ssl, 0);
    if (err == SSL_ERROR_ZERO_RETURN) {
        *got = 0;
        return MK_OK;
    }
    if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        /* Peer closed without close_notify, or a timeout. */
        ERR_clear_error();
        BAIL_MSG(MK_E_IO, "connection closed or timed out (%s)",
                 errno != 0 ? strerror(errno) : "EOF");
    }
    return TLS_FAIL(MK_E_IO, "TLS read");
}

static mk_result tls_write(mk_conn *c, const uint8_t *buf, size_t len)
{
    tls_conn *tc = (tls_conn *)c;
    size_t n = 0;
    if (len == 0) {
        return MK_OK;
    }
    ERR_clear_error();
    if (SSL_write_ex(tc->ssl, buf, len, &n) != 1 || n != len) {
        return TLS_FAIL(MK_E_IO, "TLS write");
    }
    return MK_OK;
}

static void tls_free(mk_conn *c)
{
    tls_conn *tc = (tls_conn *)c;
    if (tc->ssl != NULL) {
        (void)SSL_shutdown(tc->ssl);
        SSL_free(tc->ssl);
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(tc);
}

static const mk_conn_ops tls_ops = {"tls", tls_read, tls_write, tls_free};

static MK_RESULT tls_conn_new(net_tls_ctx *t, tls_conn **out)
{
    tls_conn *tc = calloc(1, sizeof(*tc));
    ENSURE(tc != NULL, MK_E_NOMEM);
    tc->base.ops = &tls_ops;
    tc->base.fd = -1;
    tc->ssl = SSL_new(t->ctx);
    if (tc->ssl == NULL) {
        free(tc);
        return TLS_FAIL(MK_E_NOMEM, "SSL_new");
    }
    *out = tc;
    return MK_OK;
}

/* Run a blocking handshake on fd; on success the conn owns fd. */
static MK_RESULT handshake_on_fd(net_tls_ctx *t, int fd, int timeout_ms, bool server, mk_conn **out)
{
    tls_conn *tc = NULL;
    if (mk_failed(net_set_timeout(fd, timeout_ms)) || mk_failed(tls_conn_new(t, &tc))) {
        close(fd);
        return MK_ERR;
    }
    tc->base.fd = fd;
    if (SSL_set_fd(tc->ssl, fd) != 1) {
        tls_free(&tc->base);
        return TLS_FAIL(MK_E_INTERNAL, "SSL_set_fd");
    }
    ERR_clear_error();
    int rc = server ? SSL_accept(tc->ssl) : SSL_connect(tc->ssl);
    if (rc != 1) {
        mk_result r = TLS_FAIL(MK_E_CRYPTO, "TLS handshake");
        tls_free(&tc->base);
        return r;
    }
    *out = &tc->base;
    return MK_OK;
}

MK_RESULT net_tls_accept(net_tls_ctx *t, int fd, int timeout_ms, mk_conn **out)
{
    return handshake_on_fd(t, fd, timeout_ms, true, out);
}

MK_RESULT net_tls_connect(net_tls_ctx *t, int fd, int timeout_ms, mk_conn **out)
{
    return handshake_on_fd(t, fd, timeout_ms, false, out);
}

/* Send whatever the handshake wrote into the memory BIO through the framing. */
static MK_RESULT flush_framed(BIO *wbio, const net_tls_framing *fr)
{
    uint8_t chunk[4096];
    int n;
    while ((n = BIO_read(wbio, chunk, (int)sizeof(chunk))) > 0) {
        GUARD(fr->send(fr->arg, chunk, (size_t)n));
    }
    return MK_OK;
}

/* Drive the server handshake over memory BIOs fed by the framing. */
static MK_RESULT framed_handshake(SSL *ssl, BIO *rbio, BIO *wbio, const net_tls_framing *fr)
{
    mk_buf in;
    mk_buf_init(&in, 64 * 1024);
    for (int rounds = 0; rounds < 32; rounds++) {
        ERR_clear_error(); /* SSL_get_error must see only this call's errors */
        int rc = SSL_do_handshake(ssl);
        if (mk_failed(flush_framed(wbio, fr))) {
            mk_buf_cleanup(&in);
            return MK_ERR;
        }
        if (rc == 1) {
            mk_buf_cleanup(&in);
            return MK_OK;
        }
        if (SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ) {
            mk_buf_cleanup(&in);
            return TLS_FAIL(MK_E_CRYPTO, "TLS handshake");
        }
        mk_buf_reset(&in);
        if (mk_failed(fr->recv(fr->arg, &in)) ||
            BIO_write(rbio, in.data, (int)in.len) != (int)in.len) {
            mk_buf_cleanup(&in);
            return MK_ERR;
        }
    }
    mk_buf_cleanup(&in);
    BAIL_MSG(MK_E_INVALID, "TLS handshake did not finish");
}

MK_RESULT net_tls_accept_framed(net_tls_ctx *t, int fd, const net_tls_framing *framing,
                                mk_conn **out)
{
    tls_conn *tc = NULL;
    GUARD(tls_conn_new(t, &tc));
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(BIO_s_mem());
    if (rbio == NULL || wbio == NULL) {
        BIO_free(rbio);
        BIO_free(wbio);
        tls_free(&tc->base);
        BAIL(MK_E_NOMEM);
    }
    SSL_set_bio(tc->ssl, rbio, wbio); /* ssl owns both now */
    /*
     * TLS 1.2 at most inside PRELOGIN packets: TDS 7.x clients wrap their
     * handshake writes into a packet that they flush only when they next
     * read. Under TLS 1.3 the client's Finished is its last write, so it is
     * never flushed (FreeTDS 1.3 drops it) and the handshake cannot finish.
     * SQL Server likewise offers TLS 1.3 only with TDS 8.0.
     */
    if (SSL_set_max_proto_version(tc->ssl, TLS1_2_VERSION) != 1) {
        tls_free(&tc->base);
        return TLS_FAIL(MK_E_INTERNAL, "limiting the framed handshake to TLS 1.2");
    }
    SSL_set_accept_state(tc->ssl);
    if (mk_failed(framed_handshake(tc->ssl, rbio, wbio, framing))) {
        tls_free(&tc->base);
        return MK_ERR;
    }
    /* Leftover bytes would be lost in the switch: the client must wait for us. */
    if (BIO_ctrl_pending(rbio) != 0) {
        tls_free(&tc->base);
        BAIL_MSG(MK_E_INVALID, "unexpected data after the TLS handshake");
    }
    BIO *sock = BIO_new_socket(fd, BIO_NOCLOSE);
    if (sock == NULL) {
        tls_free(&tc->base);
        BAIL(MK_E_NOMEM);
    }
    SSL_set_bio(tc->ssl, sock, sock);
    tc->base.fd = fd;
    *out = &tc->base;
    return MK_OK;
}

MK_RESULT net_tls_peer_cert(mk_conn *c, mk_buf *out)
{
    ENSURE(c->ops == &tls_ops, MK_E_INVALID);
    X509 *peer = SSL_get1_peer_certificate(((tls_conn *)c)->ssl);
    ENSURE_MSG(peer != NULL, MK_E_NOT_FOUND, "the peer sent no certificate");
    unsigned char *der = NULL;
    int len = i2d_X509(peer, &der);
    X509_free(peer);
    ENSURE(len > 0, MK_E_NOMEM);
    mk_result r = mk_buf_append(out, der, (size_t)len);
    OPENSSL_free(der);
    return r;
}

const char *net_tls_version(mk_conn *c)
{
    return c->ops == &tls_ops ? SSL_get_version(((tls_conn *)c)->ssl) : "none";
}

const char *net_tls_cipher(mk_conn *c)
{
    return c->ops == &tls_ops ? SSL_get_cipher_name(((tls_conn *)c)->ssl) : "none";
}
