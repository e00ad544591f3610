/*
 * The ceremony transcript (see transcript.h): the writer (exclusive create,
 * one lock around appends, one write per line), the chain check, the
 * detached CMS signature made with a token key through the mirrorkey
 * provider linked in-process, its verification, and `mirrorkey transcript
 * verify`.
 *
 * The chain alone proves order and completeness up to the last line: an
 * edited last line leaves no later "prev" to disagree with it, so only the
 * signature covers the whole file.
 */
#include "transcript.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/core.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/x509.h>

#include "mk/buf.h"
#include "mk/cursor.h"
#include "mk/log.h"
#include "mk/ossl.h"
#include "p11/key.h"
#include "p11/token.h"
#include "p11/uri.h"

/* The mirrorkey provider's entry point (provider/src/provider.c, mk_provider_static). */
int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx);

#define MKT_FILE_MAX ((size_t)64 * 1024 * 1024) /* transcript read for checking or signing */
#define MKT_SIG_MAX ((size_t)1024 * 1024)       /* a signature file */
#define MKT_CERT_MAX ((size_t)64 * 1024)        /* a certificate file (as P11_CERT_MAX) */
#define MKT_HEX_LEN 64                          /* hex SHA-256 */
#define MKT_CMS_FLAGS (CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP)

struct mk_transcript {
    pthread_mutex_t lock;
    int fd;
    uint64_t seq;               /* lines written */
    char prev[MKT_HEX_LEN + 1]; /* hex SHA-256 of the last line */
    mk_err err;                 /* first write error, MK_E_NONE if none */
    char err_msg[256];
};

/* ---- files ---- */

static MK_RESULT write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        ENSURE_MSG(w > 0, MK_E_IO, "write: %s", w < 0 ? strerror(errno) : "no progress");
        p += w;
        n -= (size_t)w;
    }
    return MK_OK;
}

/*
 * The whole regular file at path into out (empty, initialised by the
 * caller), at most max bytes even if the file grows while read.
 * MK_E_NOT_FOUND when it does not exist, MK_E_TOOBIG over max bytes. The
 * message does not name the file: callers add it where the reader needs it.
 */
static MK_RESULT read_capped(const char *path, size_t max, mk_buf *out)
{
    mk_result res = MK_ERR;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    ENSURE_MSG(fd >= 0, errno == ENOENT ? MK_E_NOT_FOUND : MK_E_IO, "cannot read: %s",
               strerror(errno));
    ENSURE_OUT(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), MK_E_INVALID, "not a regular file");
    ENSURE_OUT((uint64_t)st.st_size <= max, MK_E_TOOBIG, "larger than %zu bytes", max);
    GUARD_OUT(mk_buf_reserve(out, (size_t)st.st_size));
    for (;;) {
        uint8_t chunk[16 * 1024];
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        ENSURE_OUT(r >= 0, MK_E_IO, "cannot read: %s", strerror(errno));
        if (r == 0) {
            break;
        }
        ENSURE_OUT((size_t)r <= max - out->len, MK_E_TOOBIG, "larger than %zu bytes", max);
        GUARD_OUT(mk_buf_append(out, chunk, (size_t)r));
    }
    res = MK_OK;
out:
    close(fd);
    return res;
}

static void sha256_hex(const uint8_t *p, size_t n, char hex[MKT_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[32] = {0};
    (void)EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
    for (size_t i = 0; i < sizeof(md); i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[MKT_HEX_LEN] = '\0';
}

/* ---- writer ---- */

MK_RESULT mkt_open(const char *path, mk_transcript **out)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
    ENSURE_MSG(fd >= 0, errno == EEXIST ? MK_E_EXISTS : MK_E_IO, "transcript %s: %s", path,
               strerror(errno));
    mk_transcript *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        close(fd);
        BAIL(MK_E_NOMEM);
    }
    pthread_mutex_init(&t->lock, NULL);
    t->fd = fd;
    memset(t->prev, '0', MKT_HEX_LEN);
    *out = t;
    return MK_OK;
}

/* record + seq + prev as one compact, key-sorted line ending in "\n". */
static MK_RESULT render_line(const mk_transcript *t, const json_t *record, mk_buf *line)
{
    mk_result res = MK_ERR;
    const size_t flags = JSON_COMPACT | JSON_SORT_KEYS;
    json_t *obj = json_deep_copy(record);
    ENSURE_MSG(obj != NULL, MK_E_NOMEM, "transcript: copying the record");
    ENSURE_OUT(json_object_set_new(obj, "seq", json_integer((json_int_t)(t->seq + 1))) == 0 &&
                   json_object_set_new(obj, "prev", json_string(t->prev)) == 0,
               MK_E_NOMEM, "transcript: building the line");
    size_t n = json_dumpb(obj, NULL, 0, flags);
    ENSURE_OUT(n > 0, MK_E_INVALID, "transcript: the record cannot be encoded");
    GUARD_OUT(mk_buf_reserve(line, n + 1));
    ENSURE_OUT(json_dumpb(obj, (char *)line->data, n, flags) == n, MK_E_INTERNAL,
               "transcript: encoding changed size");
    line->len = n;
    GUARD_OUT(mk_buf_put_u8(line, '\n'));
    res = MK_OK;
out:
    json_decref(obj);
    return res;
}

static MK_RESULT append_locked(mk_transcript *t, const json_t *record)
{
    mk_result res = MK_ERR;
    mk_buf line;
    mk_buf_init(&line, MKT_FILE_MAX);
    ENSURE_MSG(t->err == MK_E_NONE, MK_E_STATE, "transcript: an earlier write failed (%s)",
               t->err_msg);
    GUARD_OUT(render_line(t, record, &line));
    if (mk_failed(write_all(t->fd, line.data, line.len))) {
        /* A part of the line may be in the file: nothing may follow it. */
        t->err = mk_error_code();
        snprintf(t->err_msg, sizeof(t->err_msg), "%s", mk_error_message());
        mk_error_context("transcript");
        goto out;
    }
    t->seq++;
    sha256_hex(line.data, line.len - 1, t->prev);
    res = MK_OK;
out:
    mk_buf_cleanup(&line);
    return res;
}

MK_RESULT mkt_append(mk_transcript *t, const json_t *record)
{
    ENSURE_MSG(t != NULL && json_is_object(record), MK_E_INVALID,
               "transcript: a record must be a JSON object");
    ENSURE_MSG(json_object_get(record, "seq") == NULL && json_object_get(record, "prev") == NULL,
               MK_E_INVALID, "transcript: a record may not carry its own seq or prev");
    pthread_mutex_lock(&t->lock);
    mk_result r = append_locked(t, record);
    pthread_mutex_unlock(&t->lock);
    return r;
}

MK_RESULT mkt_close(mk_transcript *t)
{
    if (t == NULL) {
        return MK_OK;
    }
    mk_err err = t->err;
    char msg[sizeof(t->err_msg)];
    snprintf(msg, sizeof(msg), "%s", t->err_msg);
    if (fdatasync(t->fd) != 0 && err == MK_E_NONE) {
        err = MK_E_IO;
        snprintf(msg, sizeof(msg), "fdatasync: %s", strerror(errno));
    }
    if (close(t->fd) != 0 && err == MK_E_NONE) {
        err = MK_E_IO;
        snprintf(msg, sizeof(msg), "close: %s", strerror(errno));
    }
    pthread_mutex_destroy(&t->lock);
    free(t);
    ENSURE_MSG(err == MK_E_NONE, err, "transcript: %s", msg);
    return MK_OK;
}

/* ---- chain ---- */

/* Line n (1-based): a JSON object with seq n and prev = prev; prev becomes this line's hash. */
static MK_RESULT check_line(const mk_cursor *line, size_t n, char prev[MKT_HEX_LEN + 1])
{
    mk_result res = MK_ERR;
    json_error_t jerr;
    const char *p = (const char *)mk_cursor_ptr(line);
    size_t len = mk_cursor_remaining(line);
    ENSURE_MSG(len > 0, MK_E_INVALID, "line %zu: empty", n);
    json_t *obj = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
    ENSURE_MSG(obj != NULL, MK_E_INVALID, "line %zu: not JSON (%s)", n, jerr.text);
    ENSURE_OUT(json_is_object(obj), MK_E_INVALID, "line %zu: not a JSON object", n);
    const json_t *seq = json_object_get(obj, "seq");
    ENSURE_OUT(json_is_integer(seq), MK_E_INVALID, "line %zu: no integer seq", n);
    ENSURE_OUT(json_integer_value(seq) == (json_int_t)n, MK_E_CRYPTO,
               "line %zu: seq is %lld, expected %zu (lines removed or reordered)", n,
               (long long)json_integer_value(seq), n);
    const char *pv = json_string_value(json_object_get(obj, "prev"));
    ENSURE_OUT(pv != NULL, MK_E_INVALID, "line %zu: no prev", n);
    if (strcmp(pv, prev) != 0) {
        if (n == 1) {
            BAIL_OUT(MK_E_CRYPTO, "line 1: prev is not 64 zeros");
        }
        BAIL_OUT(MK_E_CRYPTO, "line %zu: prev does not match line %zu", n, n - 1);
    }
    sha256_hex((const uint8_t *)p, len, prev);
    res = MK_OK;
out:
    json_decref(obj);
    return res;
}

static MK_RESULT check_chain(const mk_buf *file, size_t *lines)
{
    char prev[MKT_HEX_LEN + 1];
    memset(prev, '0', MKT_HEX_LEN);
    prev[MKT_HEX_LEN] = '\0';
    mk_cursor c;
    mk_cursor_init(&c, file->data, file->len);
    ENSURE_MSG(file->len > 0, MK_E_INVALID, "the transcript is empty");
    for (size_t n = 1; mk_cursor_remaining(&c) > 0; n++) {
        const uint8_t *start = mk_cursor_ptr(&c);
        const uint8_t *nl = memchr(start, '\n', mk_cursor_remaining(&c));
        ENSURE_MSG(nl != NULL, MK_E_INVALID, "line %zu: no final newline (truncated?)", n);
        mk_cursor line;
        GUARD(mk_cursor_read_bytes(&c, (size_t)(nl - start), &line));
        GUARD(mk_cursor_skip(&c, 1));
        *lines = n;
        GUARD(check_line(&line, n, prev));
    }
    return MK_OK;
}

/* ---- certificates ---- */

static MK_RESULT cert_from_file(const char *path, X509 **out)
{
    mk_result res = MK_ERR;
    mk_buf b;
    mk_buf_init(&b, MKT_CERT_MAX);
    X509 *cert = NULL;
    if (mk_failed(read_capped(path, MKT_CERT_MAX, &b))) {
        mk_error_context("certificate %s", path);
        goto out;
    }
    BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
    cert = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (cert == NULL) {
        ERR_clear_error(); /* not PEM: try DER */
        const unsigned char *p = b.data;
        cert = d2i_X509(NULL, &p, (long)b.len);
        if (cert != NULL && p != b.data + b.len) {
            X509_free(cert);
            cert = NULL;
        }
    }
    if (cert == NULL) {
        (void)MK_OSSL_FAIL(MK_E_INVALID, "not a PEM or DER certificate");
        mk_error_context("certificate %s", path);
        goto out;
    }
    *out = cert;
    res = MK_OK;
out:
    mk_buf_cleanup(&b);
    return res;
}

/* A URI for the certificate object with the CKA_ID of the private key key_uri names. */
static MK_RESULT cert_uri_for_key(const p11_uri *key_uri, mk_buf *out)
{
    mk_result res = MK_ERR;
    p11_token *tok = NULL;
    p11_key *key = NULL;
    p11_uri *cu = NULL;
    size_t id_len = 0;
    /* The provider opened this token already: this is the same token, logged in once. */
    GUARD_OUT(p11_token_open_uri(key_uri, NULL, &tok));
    GUARD_OUT(p11_key_find(tok, key_uri, &key));
    const uint8_t *id = p11_key_id(key, &id_len);
    GUARD_OUT(p11_uri_dup(key_uri, &cu));
    GUARD_OUT(p11_uri_set(cu, P11_URI_OBJECT, NULL));
    GUARD_OUT(p11_uri_set_id(cu, id, id_len));
    p11_uri_set_type(cu, P11_URI_TYPE_CERT);
    GUARD_OUT(p11_uri_format(cu, out));
    res = MK_OK;
out:
    p11_uri_free(cu);
    p11_key_unref(key);
    p11_token_unref(tok);
    return res;
}

/* The first certificate the URI yields through OSSL_STORE (the provider's STORE). */
static MK_RESULT cert_from_store(OSSL_LIB_CTX *libctx, const char *uri, X509 **out)
{
    OSSL_STORE_CTX *st = OSSL_STORE_open_ex(uri, libctx, NULL, NULL, NULL, NULL, NULL, NULL);
    if (st == NULL) {
        return MK_OSSL_FAIL(MK_E_NOT_FOUND, "opening the certificate URI");
    }
    X509 *cert = NULL;
    (void)OSSL_STORE_expect(st, OSSL_STORE_INFO_CERT);
    while (cert == NULL && !OSSL_STORE_eof(st)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(st);
        if (info == NULL) {
            break;
        }
        if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_CERT) {
            cert = OSSL_STORE_INFO_get1_CERT(info);
        }
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(st);
    if (cert == NULL) {
        return MK_OSSL_FAIL(MK_E_NOT_FOUND, "no certificate on the token");
    }
    *out = cert;
    return MK_OK;
}

/* The token's certificate for the key, else cert_file; it must belong to the key. */
static MK_RESULT signer_cert(OSSL_LIB_CTX *libctx, const p11_uri *key_uri, const char *cert_file,
                             EVP_PKEY *key, X509 **out)
{
    mk_result res = MK_ERR;
    char why[256];
    mk_buf uri;
    mk_buf_init(&uri, 16 * 1024);
    X509 *cert = NULL;
    GUARD_OUT(cert_uri_for_key(key_uri, &uri));
    if (mk_failed(cert_from_store(libctx, (const char *)uri.data, &cert))) {
        snprintf(why, sizeof(why), "%s", mk_error_message());
        ENSURE_OUT(cert_file != NULL, MK_E_NOT_FOUND,
                   "no signer certificate: none on the token with the key's CKA_ID (%s) and no "
                   "certificate file given",
                   why);
        GUARD_OUT(cert_from_file(cert_file, &cert));
    }
    if (X509_check_private_key(cert, key) != 1) {
        (void)MK_OSSL_FAIL(MK_E_INVALID, "the certificate does not belong to the signing key");
        goto out;
    }
    *out = cert;
    cert = NULL;
    res = MK_OK;
out:
    X509_free(cert);
    mk_buf_cleanup(&uri);
    return res;
}

/* ---- signing ---- */

/* A private library context: the built-in mirrorkey provider plus default. */
static MK_RESULT sign_libctx_new(OSSL_LIB_CTX **out)
{
    /* The provider sets the log level when it starts; built in, it shares ours. */
    mk_log_level level = mk_log_get_level();
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
    ENSURE(ctx != NULL, MK_E_NOMEM);
    if (OSSL_PROVIDER_add_builtin(ctx, "mirrorkey", OSSL_provider_init) != 1 ||
        OSSL_PROVIDER_load(ctx, "default") == NULL ||
        OSSL_PROVIDER_load(ctx, "mirrorkey") == NULL) {
        mk_log_set_level(level);
        OSSL_LIB_CTX_free(ctx);
        return MK_OSSL_FAIL(MK_E_INTERNAL, "loading the mirrorkey provider");
    }
    mk_log_set_level(level);
    *out = ctx;
    return MK_OK;
}

/* Detached SignedData over data, SHA-256, signer certificate included, as DER. */
static MK_RESULT cms_sign_der(OSSL_LIB_CTX *libctx, X509 *cert, EVP_PKEY *key, const mk_buf *data,
                              mk_buf *der)
{
    mk_result res = MK_ERR;
    unsigned char *p = NULL;
    EVP_MD *md = EVP_MD_fetch(libctx, "SHA256", NULL);
    BIO *in = BIO_new_mem_buf(data->data, (int)data->len);
    CMS_ContentInfo *cms =
        CMS_sign_ex(NULL, NULL, NULL, NULL, MKT_CMS_FLAGS | CMS_PARTIAL, libctx, NULL);
    if (md == NULL || in == NULL || cms == NULL) {
        (void)MK_OSSL_FAIL(MK_E_NOMEM, "preparing the signature");
        goto out;
    }
    if (CMS_add1_signer(cms, cert, key, md, MKT_CMS_FLAGS) == NULL ||
        CMS_final(cms, in, NULL, MKT_CMS_FLAGS) != 1) {
        (void)MK_OSSL_FAIL(MK_E_CRYPTO, "signing the transcript");
        goto out;
    }
    int n = i2d_CMS_ContentInfo(cms, &p);
    if (n <= 0) {
        (void)MK_OSSL_FAIL(MK_E_INTERNAL, "encoding the signature");
        goto out;
    }
    GUARD_OUT(mk_buf_append(der, p, (size_t)n));
    res = MK_OK;
out:
    OPENSSL_free(p);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    EVP_MD_free(md);
    return res;
}

/* Sign data with the key (and certificate) that the parsed URI names. */
static MK_RESULT sign_with_token(const char *pkcs11_uri, const p11_uri *u, const char *cert_file,
                                 const mk_buf *data, mk_buf *der)
{
    mk_result res = MK_ERR;
    OSSL_LIB_CTX *libctx = NULL;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    GUARD(sign_libctx_new(&libctx));
    GUARD_OUT(mk_ossl_load_private_key(libctx, pkcs11_uri, &key));
    GUARD_OUT(signer_cert(libctx, u, cert_file, key, &cert));
    GUARD_OUT(cms_sign_der(libctx, cert, key, data, der));
    res = MK_OK;
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    OSSL_LIB_CTX_free(libctx);
    return res;
}

static MK_RESULT check_key_uri(const char *text, p11_uri **out)
{
    ENSURE_MSG(text != NULL && strncasecmp(text, "pkcs11:", 7) == 0, MK_E_INVALID,
               "the signing key must be named by a pkcs11: URI");
    GUARD(p11_uri_parse(text, out));
    p11_uri_type type = p11_uri_get_type(*out);
    ENSURE_MSG(!p11_uri_has_pin_value(*out), MK_E_POLICY,
               "the key URI carries a pin-value: use pin-source (file:PATH, fd:N, prompt)");
    ENSURE_MSG(type == P11_URI_TYPE_ANY || type == P11_URI_TYPE_PRIVATE, MK_E_INVALID,
               "the key URI must name a private key (type=private or no type)");
    return MK_OK;
}

MK_RESULT mkt_sign(const char *path, const char *pkcs11_uri, const char *cert_file,
                   const char *sig_path)
{
    mk_result res = MK_ERR;
    p11_uri *u = NULL;
    mk_buf data;
    mk_buf der;
    size_t lines = 0;
    mk_buf_init(&data, MKT_FILE_MAX);
    mk_buf_init(&der, MKT_SIG_MAX);
    int fd = -1;
    GUARD_OUT(check_key_uri(pkcs11_uri, &u));
    if (mk_failed(read_capped(path, MKT_FILE_MAX, &data))) {
        mk_error_context("transcript %s", path);
        goto out;
    }
    if (mk_failed(check_chain(&data, &lines))) {
        mk_error_context("%s: not signing a broken transcript", path);
        goto out;
    }
    /* Claim the output before touching the token (no PIN prompt for a doomed run). */
    fd = open(sig_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
    ENSURE_OUT(fd >= 0, errno == EEXIST ? MK_E_EXISTS : MK_E_IO, "signature %s: %s", sig_path,
               strerror(errno));
    GUARD_OUT(sign_with_token(pkcs11_uri, u, cert_file, &data, &der));
    GUARD_OUT(write_all(fd, der.data, der.len));
    ENSURE_OUT(fsync(fd) == 0, MK_E_IO, "signature %s: fsync: %s", sig_path, strerror(errno));
    res = MK_OK;
out:
    if (fd >= 0) {
        if (close(fd) != 0 && mk_ok(res)) {
            res = MK_RAISE(MK_E_IO, "signature %s: close: %s", sig_path, strerror(errno));
        }
        if (mk_failed(res)) {
            (void)unlink(sig_path);
        }
    }
    mk_buf_cleanup(&der);
    mk_buf_cleanup(&data);
    p11_uri_free(u);
    return res;
}

/* ---- verification ---- */

static void subject_text(X509 *cert, char *out, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    out[0] = '\0';
    if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
        long n = BIO_get_mem_data(b, &p);
        snprintf(out, len, "%.*s", (int)(n < 0 ? 0 : n), p != NULL ? p : "");
    }
    BIO_free(b);
}

/* One detached SignedData with one signer; the signer is `want` when given. */
static MK_RESULT check_cms(CMS_ContentInfo *cms, const mk_buf *data, X509 *want,
                           mkt_verify_report *r)
{
    mk_result res = MK_ERR;
    unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY;
    STACK_OF(X509) *certs = NULL;
    STACK_OF(X509) *signers = NULL;
    ASN1_OCTET_STRING **content = CMS_get0_content(cms);
    ENSURE_MSG(OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed, MK_E_CRYPTO,
               "signature: not a CMS SignedData");
    ENSURE_MSG(content == NULL || *content == NULL, MK_E_CRYPTO, "signature: not detached");
    ENSURE_MSG(sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) == 1, MK_E_CRYPTO,
               "signature: expected exactly one signer");
    BIO *in = BIO_new_mem_buf(data->data, (int)data->len);
    ENSURE_OUT(in != NULL, MK_E_NOMEM, "signature: buffer");
    if (want != NULL) {
        /* Look the signer up only in the given certificate. */
        certs = sk_X509_new_null();
        ENSURE_OUT(certs != NULL && sk_X509_push(certs, want) > 0, MK_E_NOMEM, "signature");
        flags |= CMS_NOINTERN;
    }
    if (CMS_verify(cms, certs, NULL, in, NULL, flags) != 1) {
        (void)MK_OSSL_FAIL(MK_E_CRYPTO, "signature: does not verify");
        goto out;
    }
    signers = CMS_get0_signers(cms);
    ENSURE_OUT(signers != NULL && sk_X509_num(signers) == 1, MK_E_CRYPTO,
               "signature: no signer certificate");
    X509 *signer = sk_X509_value(signers, 0);
    ENSURE_OUT(want == NULL || X509_cmp(signer, want) == 0, MK_E_CRYPTO,
               "signature: the signer is not the given certificate");
    subject_text(signer, r->signer, sizeof(r->signer));
    res = MK_OK;
out:
    sk_X509_free(signers);
    sk_X509_free(certs);
    BIO_free(in);
    return res;
}

/* 0 no signature file, 1 verified, -1 failed (recorded). */
static int check_signature(const mk_buf *data, const char *sig_path, const char *cert_file,
                           mkt_verify_report *r)
{
    int state = -1;
    mk_buf der;
    mk_buf_init(&der, MKT_SIG_MAX);
    X509 *want = NULL;
    CMS_ContentInfo *cms = NULL;
    mk_result rd = sig_path != NULL ? read_capped(sig_path, MKT_SIG_MAX, &der)
                                    : MK_RAISE(MK_E_NOT_FOUND, "no signature file");
    if (mk_failed(rd) && mk_error_code() == MK_E_NOT_FOUND) {
        state = 0;
        if (cert_file != NULL) {
            (void)MK_RAISE(MK_E_NOT_FOUND, "no signature to check against the certificate");
            state = -1;
        }
        goto out;
    }
    if (mk_failed(rd)) {
        mk_error_context("signature %s", sig_path);
        goto out;
    }
    if (cert_file != NULL) {
        GUARD_OUT(cert_from_file(cert_file, &want));
    }
    const unsigned char *p = der.data;
    cms = d2i_CMS_ContentInfo(NULL, &p, (long)der.len);
    if (cms == NULL || p != der.data + der.len) {
        (void)MK_OSSL_FAIL(MK_E_CRYPTO, "signature: not a DER CMS structure");
        goto out;
    }
    GUARD_OUT(check_cms(cms, data, want, r));
    state = 1;
out:
    CMS_ContentInfo_free(cms);
    X509_free(want);
    mk_buf_cleanup(&der);
    return state;
}

static void note_error(mkt_verify_report *r)
{
    if (r->first_error[0] == '\0') {
        snprintf(r->first_error, sizeof(r->first_error), "%s", mk_error_message());
    }
}

MK_RESULT mkt_verify(const char *path, const char *sig_path, const char *cert_file,
                     mkt_verify_report *report)
{
    mk_buf data;
    mk_buf_init(&data, MKT_FILE_MAX);
    memset(report, 0, sizeof(*report));
    if (mk_failed(read_capped(path, MKT_FILE_MAX, &data))) {
        note_error(report);
        return MK_ERR;
    }
    report->chain_ok = mk_ok(check_chain(&data, &report->lines));
    if (!report->chain_ok) {
        note_error(report);
    }
    report->signature_state = check_signature(&data, sig_path, cert_file, report);
    if (report->signature_state < 0) {
        note_error(report);
    }
    mk_buf_cleanup(&data);
    if (report->first_error[0] != '\0') {
        return MK_RAISE(MK_E_CRYPTO, "%s", report->first_error);
    }
    return MK_OK;
}

/* ---- `mirrorkey transcript` ---- */

static void transcript_usage(FILE *f)
{
    fputs("usage: mirrorkey transcript verify FILE [--signature SIG] [--cert CERT]\n"
          "\n"
          "Checks the hash chain of a ceremony transcript (every line's seq and prev)\n"
          "and its detached CMS signature.\n"
          "\n"
          "  --signature SIG  the signature (DER CMS); default FILE.p7s, checked when present\n"
          "  --cert CERT      require this signer certificate (PEM or DER)\n"
          "\n"
          "Exit status: 0 verified, 1 verification failed, 2 usage error.\n",
          f);
}

static int verify_main(const char *file, const char *sig, bool sig_given, const char *cert)
{
    mkt_verify_report rep;
    if (mk_failed(mkt_verify(file, sig, cert, &rep))) {
        fprintf(stderr, "mirrorkey transcript verify: %s: %s\n", file, rep.first_error);
        return 1;
    }
    if (sig_given && rep.signature_state != 1) {
        fprintf(stderr, "mirrorkey transcript verify: %s: no signature file %s\n", file, sig);
        return 1;
    }
    if (rep.signature_state == 1) {
        printf("%s: %zu lines, chain ok, signature ok (signer %s)\n", file, rep.lines, rep.signer);
    } else {
        printf("%s: %zu lines, chain ok, not signed (no %s)\n", file, rep.lines, sig);
    }
    return 0;
}

int mk_cmd_transcript(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"signature", required_argument, NULL, 's'},
        {"cert", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sig = NULL;
    const char *cert = NULL;
    char *def_sig = NULL;
    int ch;
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        transcript_usage(stdout);
        return 0;
    }
    if (argc < 1 || strcmp(argv[0], "verify") != 0) {
        transcript_usage(stderr);
        return 2;
    }
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 's': sig = optarg; break;
        case 'c': cert = optarg; break;
        case 'h': transcript_usage(stdout); return 0;
        default:
            fprintf(stderr, "mirrorkey transcript: unknown or incomplete option (try --help)\n");
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "mirrorkey transcript verify: one FILE expected (try --help)\n");
        return 2;
    }
    const char *file = argv[optind];
    if (sig == NULL) {
        size_t n = strlen(file) + sizeof(".p7s");
        def_sig = malloc(n);
        if (def_sig == NULL) {
            fprintf(stderr, "mirrorkey transcript verify: out of memory\n");
            return 1;
        }
        snprintf(def_sig, n, "%s.p7s", file);
    }
    int rc = verify_main(file, sig != NULL ? sig : def_sig, sig != NULL, cert);
    free(def_sig);
    return rc;
}
