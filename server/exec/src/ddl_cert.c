/*
 * CREATE CERTIFICATE ... WITH SUBJECT (a key pair generated on the token),
 * BACKUP CERTIFICATE (the public certificate only) and DROP CERTIFICATE
 * (DESIGN.md "Key hierarchy"). Imports (FROM FILE / FROM BINARY) are in
 * ddl_cert_import.c.
 *
 * A generated certificate's private key is created on the token with
 * SENSITIVE, !EXTRACTABLE (p11_keygen, whose policy report must pass), of
 * the type and size ALGORITHM names or else the instance's default,
 * labelled with the certificate's name; the self-signed X.509 v3
 * certificate is signed on the token through the provider and stored on the
 * token beside the key under the same CKA_ID, then in the catalog as 'HS'
 * (STORED_IN_HSM). From the moment the key pair exists, a rollback of the
 * statement destroys every token object with its CKA_ID (deferred.c).
 * No path here can write a private key anywhere: BACKUP ... WITH PRIVATE KEY
 * is refused before any file is touched.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "keys/certgen.h"
#include "mk/log.h"
#include "p11/cert.h"
#include "p11/keygen.h"

#define SUBJECT_MAX_CHARS 64

static void err_generation(sql_error *err, int line, const char *detail)
{
    sql_error_set(err, 15468, 16, 1, line,
                  "An error occurred during the generation of the certificate. %s", detail);
}

static void err_exists(sql_error *err, int line, const char *name)
{
    sql_error_set(err, 15232, 16, 1, line,
                  "A certificate with name '%s' already exists or this certificate already has "
                  "been added to the database.",
                  name);
}

/* Characters (code points) of a UTF-8 string. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* AUTHORIZATION user -> its principal id; 0 (dbo) when absent. */
static mk_result resolve_owner(exec_session *s, const sql_create_cert_stmt *c, int line,
                               int32_t *owner_id, sql_error *err)
{
    cat_user u;
    *owner_id = 0;
    if (!c->has_owner) {
        return MK_OK;
    }
    if (mk_failed(cat_user_get(s->db, c->owner, &u))) {
        exec_error_from_catalog(err, line, "user", c->owner);
        return MK_ERR;
    }
    if (u.type != 'S') {
        /* A certificate is owned by a user, never by a role (public, db_owner...). */
        sql_error_set(err, 15151, 16, 1, line,
                      "Cannot find the user '%s', because it does not exist or you do not have "
                      "permission.",
                      c->owner);
        return MK_ERR;
    }
    *owner_id = u.principal_id;
    return MK_OK;
}

/*
 * The validity period. START_DATE defaults to now, EXPIRY_DATE to one year
 * after the start. When only EXPIRY_DATE is given and it is already past
 * (the seeds' '11/30/2013'), the start becomes one year before it, so the
 * certificate is well formed and merely expired (15214), as SQL Server
 * creates it.
 */
static mk_result validity(const sql_create_cert_stmt *c, int line, int64_t now, int64_t *start,
                          int64_t *expiry, sql_error *err)
{
    *start = now;
    if ((c->has_start_date && mk_failed(exec_parse_date(c->start_date, start))) ||
        (c->has_expiry_date && mk_failed(exec_parse_date(c->expiry_date, expiry)))) {
        sql_error_set(err, 241, 16, 1, line,
                      "Conversion failed when converting date and/or time from character string.");
        return MK_ERR;
    }
    if (!c->has_expiry_date) {
        *expiry = exec_add_year(*start, 1);
    }
    if (!c->has_start_date && *expiry <= *start) {
        *start = exec_add_year(*expiry, -1);
    }
    if (*expiry <= *start) {
        sql_error_set(err, 15213, 16, 1, line,
                      "The certificate has an invalid validity period; its expiration date "
                      "precedes its start date.");
        return MK_ERR;
    }
    return MK_OK;
}

/* The provider's URI for the key: the token layer's URI plus the instance's query. */
static mk_result key_uri(const exec_instance *inst, const p11_key *key, mk_buf *uri)
{
    GUARD(p11_key_uri(key, uri));
    uri->len = strlen((const char *)uri->data);
    if (inst->key_uri_query != NULL && inst->key_uri_query[0] != '\0') {
        GUARD(mk_buf_printf(uri, "?%s", inst->key_uri_query));
    }
    return mk_buf_terminate(uri);
}

/* Checks before any token work: name free, subject, dates, master key open, token present. */
static mk_result precheck(exec_session *s, const sql_stmt *stmt, int64_t *start, int64_t *expiry,
                          sql_error *err)
{
    const sql_create_cert_stmt *c = &stmt->u.create_cert;
    cat_cert existing;
    memset(&existing, 0, sizeof(existing));
    if (mk_ok(cat_cert_get_by_name(s->db, c->name, &existing))) {
        cat_cert_cleanup(&existing);
        err_exists(err, stmt->line, c->name);
        return MK_ERR;
    }
    size_t n = utf8_chars(c->subject);
    if (n == 0 || n > SUBJECT_MAX_CHARS) {
        err_generation(err, stmt->line, "The subject must be 1 to 64 characters long.");
        return MK_ERR;
    }
    GUARD(validity(c, stmt->line, (int64_t)time(NULL) * 1000, start, expiry, err));
    if (!exec_instance_master_key_is_open(s->inst)) {
        sql_error_set(err, 15581, 16, 3, stmt->line,
                      "Please create a master key in the database or open the master key in the "
                      "session before performing this operation.");
        return MK_ERR;
    }
    if (s->inst->token == NULL || s->inst->libctx == NULL) {
        err_generation(err, stmt->line, "This mirrorkey instance has no HSM token configured.");
        return MK_ERR;
    }
    return MK_OK;
}

/*
 * The key pair ALGORITHM asks for; without it, the instance's default
 * (exec_instance_config.cert_key_type / cert_key_bits).
 */
static void key_params(const exec_instance *inst, const sql_create_cert_stmt *c,
                       p11_keygen_params *kp)
{
    static const struct {
        sql_cert_algorithm alg;
        p11_key_type type;
        unsigned bits;
    } algs[] = {
        {SQL_CERT_ALG_RSA_2048, P11_KEY_RSA, 2048}, {SQL_CERT_ALG_RSA_3072, P11_KEY_RSA, 3072},
        {SQL_CERT_ALG_RSA_4096, P11_KEY_RSA, 4096}, {SQL_CERT_ALG_EC_P256, P11_KEY_EC, 256},
        {SQL_CERT_ALG_EC_P384, P11_KEY_EC, 384},
    };
    kp->type = inst->cert_key_type;
    kp->bits = inst->cert_key_bits;
    kp->label = c->name;
    for (size_t i = 0; c->has_algorithm && i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (algs[i].alg == c->algorithm) {
            kp->type = algs[i].type;
            kp->bits = algs[i].bits;
        }
    }
}

/* Key pair on the token; its objects are destroyed if the statement fails later. */
static mk_result make_key(exec_session *s, const sql_stmt *stmt, p11_key **key, sql_error *err)
{
    const char *name = stmt->u.create_cert.name;
    p11_keygen_params kp;
    key_params(s->inst, &stmt->u.create_cert, &kp);
    p11_policy_report report;
    char detail[400];
    if (mk_failed(p11_keygen(s->inst->token, &kp, key, &report))) {
        if (mk_error_code() == MK_E_EXISTS) {
            /* Another object on the token already has this label. */
            err_exists(err, stmt->line, name);
        } else {
            snprintf(detail, sizeof(detail), "HSM: %s", mk_error_message());
            err_generation(err, stmt->line, detail);
        }
        return MK_ERR;
    }
    size_t id_len = 0;
    const uint8_t *id = p11_key_id(*key, &id_len);
    if (mk_failed(exec_defer_destroy_id(s, EXEC_ON_ROLLBACK, id, id_len))) {
        /* Cannot promise cleanup later: clean up now and fail. */
        if (mk_failed(p11_token_destroy_id(s->inst->token, id, id_len, NULL))) {
            mk_log_error_result(MK_LOG_ERROR, "destroying a new key pair");
        }
        err_generation(err, stmt->line, "internal limit reached");
        return MK_ERR;
    }
    return MK_OK;
}

/* Certificate DER signed on the token, stored on the token beside the key. */
static mk_result make_cert(exec_session *s, const sql_stmt *stmt, p11_key *key, int64_t start,
                           int64_t expiry, mk_buf *der, sql_error *err)
{
    const sql_create_cert_stmt *c = &stmt->u.create_cert;
    keys_cert_params cp = {
        .subject_cn = c->subject, .not_before_ms = start, .not_after_ms = expiry};
    size_t id_len = 0;
    const uint8_t *id = p11_key_id(key, &id_len);
    char detail[400];
    mk_buf uri;
    mk_buf_init(&uri, 8192);
    mk_result r = key_uri(s->inst, key, &uri);
    if (mk_ok(r)) {
        r = keys_cert_build(s->inst->libctx, key, (const char *)uri.data, &cp, der);
    }
    if (mk_ok(r)) {
        r = p11_cert_store(s->inst->token, der->data, der->len, id, id_len, c->name, NULL);
    }
    mk_buf_cleanup(&uri);
    if (mk_failed(r)) {
        snprintf(detail, sizeof(detail), "HSM: %s", mk_error_message());
        err_generation(err, stmt->line, detail);
    }
    return r;
}

/* 15214 / 15215 as INFO: the certificate is created anyway. */
static mk_result validity_warnings(const exec_sink *sink, int line, int64_t start, int64_t expiry,
                                   sql_error *err)
{
    int64_t now = (int64_t)time(NULL) * 1000;
    if (expiry < now) {
        GUARD(exec_send_info(sink, 15214, line, err,
                             "Warning: The certificate you created is expired."));
    }
    if (start > now) {
        GUARD(exec_send_info(sink, 15215, line, err,
                             "Warning: The certificate you created is not yet valid; its start "
                             "date is in the future."));
    }
    return MK_OK;
}

static mk_result generate(exec_session *s, const sql_stmt *stmt, int32_t owner_id,
                          const exec_sink *sink, sql_error *err)
{
    const sql_create_cert_stmt *c = &stmt->u.create_cert;
    int64_t start = 0;
    int64_t expiry = 0;
    GUARD(precheck(s, stmt, &start, &expiry, err));
    p11_key *key = NULL;
    GUARD(make_key(s, stmt, &key, err));
    mk_result res = MK_ERR;
    mk_buf der;
    mk_buf_init(&der, CAT_CERT_DER_MAX);
    GUARD_OUT(make_cert(s, stmt, key, start, expiry, &der, err));
    size_t id_len = 0;
    const uint8_t *id = p11_key_id(key, &id_len);
    cat_cert_new cn = {.name = c->name,
                       .owner_id = owner_id,
                       .der = der.data,
                       .der_len = der.len,
                       .token_id = id,
                       .token_id_len = id_len,
                       .token_label = c->name,
                       .active_for_begin_dialog =
                           c->has_active_for_begin_dialog ? c->active_for_begin_dialog : true};
    int32_t cert_id = 0;
    if (mk_failed(cat_cert_create(s->db, &cn, &cert_id))) {
        exec_error_from_catalog(err, stmt->line, "certificate", c->name);
        goto out;
    }
    GUARD_OUT(validity_warnings(sink, stmt->line, start, expiry, err));
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_CERTIFICATE, c->name))) {
        err_generation(err, stmt->line, "internal limit reached");
        goto out;
    }
    res = MK_OK;
out:
    mk_buf_cleanup(&der);
    p11_key_unref(key);
    return res;
}

mk_result exec_create_certificate(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                  exec_outcome *outcome, sql_error *err)
{
    (void)outcome;
    const sql_create_cert_stmt *c = &stmt->u.create_cert;
    int32_t owner_id = 0;
    if (c->has_encryption_password) {
        sql_error_set(err, EXEC_ERR_CERT_PASSWORD, 16, 1, stmt->line,
                      "mirrorkey does not encrypt certificate private keys with a password: the "
                      "key is generated in the HSM and never leaves it. Remove ENCRYPTION BY "
                      "PASSWORD.");
        return MK_ERR;
    }
    GUARD(resolve_owner(s, c, stmt->line, &owner_id, err));
    if (c->source != SQL_CERT_GENERATE) {
        return exec_import_certificate(s, stmt, owner_id, sink, err);
    }
    return generate(s, stmt, owner_id, sink, err);
}

static void err_backup(sql_error *err, int line, const char *file, const char *why)
{
    sql_error_set(err, 15240, 16, 1, line,
                  "Cannot write into file '%s'. Verify that you have write permissions, that the "
                  "file path is valid, and that the file does not already exist.%s%s%s",
                  file, why != NULL ? " (mirrorkey: " : "", why != NULL ? why : "",
                  why != NULL ? ")" : "");
}

mk_result exec_backup_certificate(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                  exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_backup_cert_stmt *b = &stmt->u.backup_cert;
    cat_cert cert;
    char rel[PATH_MAX];
    memset(&cert, 0, sizeof(cert));
    if (mk_failed(cat_cert_get_by_name(s->db, b->name, &cert))) {
        exec_error_from_catalog(err, stmt->line, "certificate", b->name);
        return MK_ERR;
    }
    mk_result r = MK_ERR;
    if (b->has_private_key) {
        sql_error_set(err, EXEC_ERR_KEY_EXPORT, 16, 1, stmt->line,
                      "The private key of certificate '%s' %s and can never be exported. "
                      "Remove WITH PRIVATE KEY to back up the public certificate.",
                      b->name,
                      strcmp(cert.pvt_key_encryption_type, "HS") == 0
                          ? "is stored in the HSM"
                          : "is not held by this instance");
    } else if (s->inst->file_root == NULL) {
        err_backup(err, stmt->line, b->file, "no file root is configured");
    } else if (mk_failed(exec_file_create(s->inst->file_root, b->file, cert.der, cert.der_len, rel,
                                          sizeof(rel)))) {
        err_backup(err, stmt->line, b->file, mk_error_message());
    } else if (mk_failed(exec_defer_unlink(s, rel))) {
        (void)exec_file_unlink(s->inst->file_root, rel);
        err_backup(err, stmt->line, b->file, "internal limit reached");
    } else {
        /* pvt_key_last_backup_date stays NULL: no private key was (or can be) backed up. */
        r = MK_OK;
    }
    cat_cert_cleanup(&cert);
    return r;
}

mk_result exec_drop_certificate(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const char *name = stmt->u.name.name;
    cat_cert cert;
    memset(&cert, 0, sizeof(cert));
    if (mk_failed(cat_cert_get_by_name(s->db, name, &cert))) {
        exec_error_from_catalog(err, stmt->line, "certificate", name);
        return MK_ERR;
    }
    mk_result r = MK_ERR;
    bool on_token = cert.token_id != NULL && cert.token_id_len > 0;
    if (on_token && s->inst->token == NULL) {
        sql_error_set(err, EXEC_ERR_HSM, 16, 1, stmt->line,
                      "The private key of certificate '%s' is in the HSM, but this instance has "
                      "no HSM token configured to destroy it.",
                      name);
    } else if (mk_failed(cat_cert_drop(s->db, name))) {
        exec_error_from_catalog(err, stmt->line, "certificate", name);
    } else if (on_token && mk_failed(exec_defer_destroy_id(s, EXEC_ON_COMMIT, cert.token_id,
                                                           cert.token_id_len))) {
        exec_error_hsm(err, stmt->line, "dropping the certificate's token objects");
    } else if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_CERTIFICATE, name))) {
        exec_error_internal(err, stmt->line, "dropping the certificate");
    } else {
        r = MK_OK;
    }
    cat_cert_cleanup(&cert);
    return r;
}
