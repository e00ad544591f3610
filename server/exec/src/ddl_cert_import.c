/*
 * CREATE CERTIFICATE n [AUTHORIZATION user] { FROM FILE = 'p' | FROM BINARY
 * = 0x... }: a peer's public certificate (the seeds' inbound step 4), stored
 * with no private key ('NA', NO_PRIVATE_KEY) and owned by the peer's user.
 *
 * Files may be DER (what BACKUP CERTIFICATE writes) or PEM. Private keys are
 * never imported: a WITH PRIVATE KEY clause, or a file that carries a
 * private key block, is refused (50102). Bad or missing files give 15208,
 * bad bytes given inline 15297, as SQL Server does.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "internal.h"

/* Largest certificate file read (PEM of a 64 KiB DER plus slack). */
#define CERT_FILE_MAX ((size_t)128 * 1024)

static void err_file(sql_error *err, int line, const char *why)
{
    sql_error_set(err, 15208, 16, 1, line,
                  "The certificate, asymmetric key, or private key file is not valid or does not "
                  "exist; or you do not have permissions for it.%s%s%s",
                  why != NULL ? " (mirrorkey: " : "", why != NULL ? why : "",
                  why != NULL ? ")" : "");
}

static void err_data(sql_error *err, int line)
{
    sql_error_set(err, 15297, 16, 1, line,
                  "The certificate, asymmetric key, or private key data is invalid.");
}

static bool contains(const uint8_t *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(data + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

/* PEM (the first CERTIFICATE block) to DER; DER is taken as it is. */
static mk_result to_der(const uint8_t *data, size_t len, mk_buf *der)
{
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')) {
        i++;
    }
    if (len - i < 10 || memcmp(data + i, "-----BEGIN", 10) != 0) {
        return mk_buf_append(der, data, len);
    }
    mk_result res = MK_ERR;
    unsigned char *out = NULL;
    X509 *x = NULL;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    ENSURE(bio != NULL, MK_E_NOMEM);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    ENSURE_OUT(x != NULL, MK_E_INVALID, "no PEM certificate");
    int n = i2d_X509(x, &out);
    ENSURE_OUT(n > 0, MK_E_INVALID, "certificate does not encode");
    GUARD_OUT(mk_buf_append(der, out, (size_t)n));
    res = MK_OK;
out:
    OPENSSL_free(out);
    X509_free(x);
    BIO_free(bio);
    return res;
}

/* The certificate bytes the statement names, as DER; errors are 15208 / 15297 / 50102. */
static mk_result load_der(exec_session *s, const sql_stmt *stmt, mk_buf *der, sql_error *err)
{
    const sql_create_cert_stmt *c = &stmt->u.create_cert;
    bool from_file = c->source == SQL_CERT_FROM_FILE;
    mk_buf raw;
    mk_buf_init(&raw, CERT_FILE_MAX);
    mk_result r = MK_OK;
    if (from_file && s->inst->file_root == NULL) {
        err_file(err, stmt->line, "no file root is configured");
        r = MK_ERR;
    } else if (from_file &&
               mk_failed(exec_file_read(s->inst->file_root, c->file, CERT_FILE_MAX, &raw))) {
        err_file(err, stmt->line, mk_error_message());
        r = MK_ERR;
    } else if (!from_file && mk_failed(mk_buf_append(&raw, c->binary, c->binary_len))) {
        err_data(err, stmt->line);
        r = MK_ERR;
    }
    if (mk_ok(r) && contains(raw.data, raw.len, "PRIVATE KEY-----")) {
        sql_error_set(err, EXEC_ERR_KEY_IMPORT, 16, 1, stmt->line,
                      "The certificate data holds a private key; mirrorkey imports public "
                      "certificates only and never loads private keys (they are generated in "
                      "the HSM).");
        r = MK_ERR;
    }
    cat_cert_meta meta;
    memset(&meta, 0, sizeof(meta));
    if (mk_ok(r) && (mk_failed(to_der(raw.data, raw.len, der)) ||
                     mk_failed(cat_cert_meta_from_der(der->data, der->len, &meta)))) {
        if (from_file) {
            err_file(err, stmt->line, "not an X.509 certificate");
        } else {
            err_data(err, stmt->line);
        }
        r = MK_ERR;
    }
    cat_cert_meta_cleanup(&meta);
    mk_buf_cleanup(&raw);
    return r;
}

mk_result exec_import_certificate(exec_session *s, sql_stmt *stmt, int32_t owner_id,
                                  const exec_sink *sink, sql_error *err)
{
    (void)sink;
    const sql_create_cert_stmt *c = &stmt->u.create_cert;
    if (c->has_private_key) {
        sql_error_set(err, EXEC_ERR_KEY_IMPORT, 16, 1, stmt->line,
                      "mirrorkey does not import private keys: certificate keys are generated in "
                      "the HSM and never enter or leave it. Remove WITH PRIVATE KEY to import "
                      "the public certificate.");
        return MK_ERR;
    }
    if (c->source != SQL_CERT_FROM_FILE && c->source != SQL_CERT_FROM_BINARY) {
        sql_error_set(err, EXEC_ERR_NOT_SUPPORTED, 16, 1, stmt->line,
                      "mirrorkey creates certificates WITH SUBJECT, FROM FILE or FROM BINARY "
                      "only.");
        return MK_ERR;
    }
    mk_buf der;
    mk_buf_init(&der, CAT_CERT_DER_MAX);
    mk_result r = load_der(s, stmt, &der, err);
    if (mk_ok(r)) {
        cat_cert_new cn = {.name = c->name,
                           .owner_id = owner_id,
                           .der = der.data,
                           .der_len = der.len,
                           .active_for_begin_dialog =
                               c->has_active_for_begin_dialog ? c->active_for_begin_dialog : true};
        int32_t id = 0;
        r = cat_cert_create(s->db, &cn, &id);
        if (mk_failed(r)) {
            exec_error_from_catalog(err, stmt->line, "certificate", c->name);
        }
    }
    if (mk_ok(r) && mk_failed(r = exec_defer_notify(s, EXEC_CHANGE_CERTIFICATE, c->name))) {
        exec_error_internal(err, stmt->line, "importing the certificate");
    }
    mk_buf_cleanup(&der);
    return r;
}
