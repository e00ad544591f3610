/*
 * DIR/tds-cert.pem: the instance's TDS server certificate, public only, in
 * PEM, for clients that verify the server by pinning it (FreeTDS
 * `ca file`, docs/server.md "Encryption"). The certificate object on the
 * token is the truth: init writes the file from it, and run rewrites the
 * file from the certificate it loaded whenever the file is missing or says
 * something else, so instances made before the file existed get it too.
 *
 * The file is replaced atomically (a temporary file in the data directory,
 * fsync, rename), created with O_NOFOLLOW and given mode 0644 whatever the
 * umask: it holds nothing secret.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "p11/cert.h"

#define CERT_FILE_MAX ((size_t)256 * 1024)

/* PEM text of der ("-----BEGIN CERTIFICATE-----" ...), NUL-terminated in out. */
static MK_RESULT der_to_pem(const uint8_t *der, size_t der_len, mk_buf *out)
{
    mk_result res = MK_ERR;
    BIO *bio = BIO_new(BIO_s_mem());
    ENSURE_MSG(bio != NULL, MK_E_NOMEM, "PEM buffer");
    char *text = NULL;
    ENSURE_OUT(der_len <= (size_t)INT32_MAX &&
                   PEM_write_bio(bio, PEM_STRING_X509, "", der, (long)der_len) > 0,
               MK_E_CRYPTO, "encoding the TDS certificate as PEM");
    long n = BIO_get_mem_data(bio, &text);
    ENSURE_OUT(n > 0 && text != NULL, MK_E_CRYPTO, "encoding the TDS certificate as PEM");
    GUARD_OUT(mk_buf_append(out, text, (size_t)n));
    GUARD_OUT(mk_buf_terminate(out));
    res = MK_OK;
out:
    BIO_free(bio);
    return res;
}

/* Whether path is a regular file holding exactly want[0..len). */
static bool file_holds(const char *path, const uint8_t *want, size_t len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    struct stat st;
    bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len;
    uint8_t buf[4096];
    size_t off = 0;
    while (same && off < len) {
        ssize_t n = read(fd, buf, sizeof(buf));
        same = n > 0 && (size_t)n <= len - off && memcmp(buf, want + off, (size_t)n) == 0;
        off += n > 0 ? (size_t)n : 0;
    }
    close(fd);
    return same && off == len;
}

static MK_RESULT write_all(int fd, const uint8_t *p, size_t len, const char *path)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ENSURE_MSG(n > 0, MK_E_IO, "writing %s: %s", path, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return MK_OK;
}

/* Replace path with data through tmp (same directory): create, 0644, write, fsync, rename. */
static MK_RESULT replace_file(const char *path, const char *tmp, const uint8_t *data, size_t len)
{
    (void)unlink(tmp); /* a leftover of an interrupted write */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    ENSURE_MSG(fd >= 0, MK_E_IO, "cannot create %s: %s", tmp, strerror(errno));
    mk_result r = MK_OK;
    if (fchmod(fd, 0644) != 0) {
        r = MK_RAISE(MK_E_IO, "chmod %s: %s", tmp, strerror(errno));
    }
    if (mk_ok(r)) {
        r = write_all(fd, data, len, tmp);
    }
    if (mk_ok(r) && fsync(fd) != 0) {
        r = MK_RAISE(MK_E_IO, "fsync %s: %s", tmp, strerror(errno));
    }
    if (close(fd) != 0 && mk_ok(r)) {
        r = MK_RAISE(MK_E_IO, "closing %s: %s", tmp, strerror(errno));
    }
    if (mk_ok(r) && rename(tmp, path) != 0) {
        r = MK_RAISE(MK_E_IO, "cannot replace %s: %s", path, strerror(errno));
    }
    if (mk_failed(r)) {
        (void)unlink(tmp);
    }
    return r;
}

MK_RESULT srv_tds_cert_sync(const char *data_dir, const uint8_t *der, size_t der_len,
                            srv_cert_file_state *state)
{
    char path[SRV_PATH_MAX];
    char tmp[SRV_PATH_MAX + 8];
    int n = snprintf(path, sizeof(path), "%s/%s", data_dir, SRV_TDS_CERT_FILE);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(path), MK_E_INVALID, "data directory path too long");
    n = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", data_dir, SRV_TDS_CERT_FILE);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(tmp), MK_E_INVALID, "data directory path too long");
    mk_result res = MK_ERR;
    mk_buf pem;
    mk_buf_init(&pem, CERT_FILE_MAX);
    GUARD_OUT(der_to_pem(der, der_len, &pem));
    struct stat st;
    bool existed = lstat(path, &st) == 0;
    *state = SRV_CERT_FILE_CURRENT;
    if (!file_holds(path, pem.data, pem.len)) {
        GUARD_OUT(replace_file(path, tmp, pem.data, pem.len));
        *state = existed ? SRV_CERT_FILE_REPLACED : SRV_CERT_FILE_CREATED;
    }
    res = MK_OK;
out:
    mk_buf_cleanup(&pem);
    return res;
}

MK_RESULT srv_tds_cert_export(p11_token *token, const srv_config *cfg, const char *data_dir,
                              srv_cert_file_state *state)
{
    p11_cert *cert = NULL;
    if (mk_failed(p11_cert_find_by_id(token, cfg->tls_key_id, cfg->tls_key_id_len, &cert))) {
        mk_error_context("TLS certificate '%s'", cfg->tls_key_label);
        return MK_ERR;
    }
    size_t len = 0;
    const uint8_t *der = p11_cert_der(cert, &len);
    mk_result r = srv_tds_cert_sync(data_dir, der, len, state);
    p11_cert_free(cert);
    return r;
}
