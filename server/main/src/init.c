/*
 * `mirrorkeyd init`: create an instance (DESIGN.md "Process model").
 *
 * Order: check everything that can be checked without side effects (names,
 * URI, password file and policy, no instance in the directory), then create
 * the directory, the TLS identity on the token, the catalog with the first
 * sysadmin, the public tds-cert.pem (from the token's certificate object),
 * and last the configuration file, whose presence is what makes a
 * directory an instance. A failure undoes what was made, token objects
 * included.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/principals.h"
#include "catalog/verifier.h"
#include "mk/log.h"
#include "mk/secret.h"
#include "mk/secret_file.h"

/* What init made so far, for undoing it. */
typedef struct init_state {
    bool made_dir, made_file_root, made_catalog, made_identity, made_cert_file;
    char dir[SRV_PATH_MAX];
    char catalog[SRV_PATH_MAX];
    p11_token *token;
    srv_config cfg;
} init_state;

/* Host name, upper case, up to the first dot (SQL Server's machine name). */
static MK_RESULT default_instance_name(char *out, size_t cap)
{
    char host[256] = "";
    ENSURE_MSG(gethostname(host, sizeof(host) - 1) == 0, MK_E_IO, "gethostname: %s",
               strerror(errno));
    host[strcspn(host, ".")] = '\0';
    ENSURE_MSG(host[0] != '\0' && strlen(host) < cap, MK_E_INVALID,
               "cannot derive an instance name from the host name; use --instance-name");
    for (size_t i = 0; host[i] != '\0'; i++) {
        out[i] = (char)toupper((unsigned char)host[i]);
        out[i + 1] = '\0';
    }
    return MK_OK;
}

static MK_RESULT check_uri(const char *text)
{
    p11_uri *u = NULL;
    if (mk_failed(p11_uri_parse(text, &u))) {
        /* The parser's message names the bad part, never a pin-value. */
        mk_error_context("--pkcs11-uri");
        return MK_ERR;
    }
    bool has_pin = p11_uri_has_pin_value(u);
    p11_uri_free(u);
    ENSURE_MSG(!has_pin, MK_E_INVALID,
               "--pkcs11-uri must not carry pin-value: use pin-source=file:PATH");
    ENSURE_MSG(strlen(text) < SRV_URI_MAX, MK_E_INVALID, "--pkcs11-uri is too long");
    return MK_OK;
}

/* Read and policy-check the first login's password (CREATE LOGIN's rules). */
static MK_RESULT read_password(const srv_init_args *a, mk_secret **out)
{
    mk_secret *pw = NULL;
    GUARD(mk_secret_file_read(a->admin_password_file, CAT_PASSWORD_MAX_BYTES, &pw));
    cat_pw_rule rule =
        cat_password_policy_check(a->admin_login, mk_secret_cdata(pw), mk_secret_len(pw));
    if (rule != CAT_PW_OK) {
        mk_secret_free(pw);
        BAIL_MSG(MK_E_POLICY,
                 "the admin password does not meet the password policy: %s (8 to 128 "
                 "characters from three of: upper case, lower case, digits, symbols; "
                 "not containing the login name)",
                 cat_pw_rule_name(rule));
    }
    *out = pw;
    return MK_OK;
}

static MK_RESULT join_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    ENSURE_MSG(n > 0 && (size_t)n < cap, MK_E_INVALID, "path too long");
    return MK_OK;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Create (0700) or adopt the data directory; refuse one holding an instance. */
static MK_RESULT make_data_dir(init_state *st, const char *dir)
{
    char probe[SRV_PATH_MAX];
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        ENSURE_MSG(S_ISDIR(sb.st_mode), MK_E_INVALID, "%s exists and is not a directory", dir);
        GUARD(join_path(probe, sizeof(probe), dir, SRV_CONFIG_FILE));
        ENSURE_MSG(!exists(probe), MK_E_EXISTS,
                   "%s already holds a mirrorkey instance; refusing to overwrite it", dir);
        GUARD(join_path(probe, sizeof(probe), dir, SRV_CATALOG_FILE));
        ENSURE_MSG(!exists(probe), MK_E_EXISTS,
                   "%s already holds a catalog; refusing to overwrite it", dir);
        ENSURE_MSG(chmod(dir, 0700) == 0, MK_E_IO, "chmod %s: %s", dir, strerror(errno));
    } else {
        ENSURE_MSG(errno == ENOENT, MK_E_IO, "%s: %s", dir, strerror(errno));
        ENSURE_MSG(mkdir(dir, 0700) == 0, MK_E_IO, "cannot create %s: %s", dir, strerror(errno));
        st->made_dir = true;
    }
    char *abs = realpath(dir, NULL);
    ENSURE_MSG(abs != NULL, MK_E_IO, "%s: %s", dir, strerror(errno));
    size_t n = strlen(abs);
    if (n >= sizeof(st->dir)) {
        free(abs);
        BAIL_MSG(MK_E_INVALID, "data directory path too long");
    }
    memcpy(st->dir, abs, n + 1);
    free(abs);
    return MK_OK;
}

static MK_RESULT make_file_root(init_state *st, const char *given)
{
    char path[SRV_PATH_MAX];
    if (given != NULL) {
        ENSURE_MSG(strlen(given) < sizeof(path), MK_E_INVALID, "--file-root too long");
        strcpy(path, given);
    } else {
        GUARD(join_path(path, sizeof(path), st->dir, "files"));
    }
    if (!exists(path)) {
        ENSURE_MSG(mkdir(path, 0700) == 0, MK_E_IO, "cannot create %s: %s", path, strerror(errno));
        st->made_file_root = true;
    }
    char *abs = realpath(path, NULL);
    ENSURE_MSG(abs != NULL, MK_E_IO, "%s: %s", path, strerror(errno));
    mk_result r = strlen(abs) < sizeof(st->cfg.file_root)
                      ? MK_OK
                      : MK_RAISE(MK_E_INVALID, "file root path too long");
    if (mk_ok(r)) {
        strcpy(st->cfg.file_root, abs);
    }
    free(abs);
    return r;
}

/* The catalog with the first sysadmin login (or sa, enabled with the password). */
static MK_RESULT make_catalog(init_state *st, const char *login, const mk_secret *pw)
{
    mk_result res = MK_ERR;
    cat_db *db = NULL;
    GUARD(join_path(st->catalog, sizeof(st->catalog), st->dir, SRV_CATALOG_FILE));
    GUARD(cat_open(st->catalog, CAT_OPEN_NEW, &db));
    st->made_catalog = true;
    GUARD_OUT(cat_begin(db));
    const uint8_t *p = mk_secret_cdata(pw);
    size_t len = mk_secret_len(pw);
    if (strcasecmp(login, "sa") == 0) {
        GUARD_OUT(cat_login_set_password(db, "sa", p, len));
        GUARD_OUT(cat_login_set_disabled(db, "sa", false));
    } else {
        int32_t id = 0;
        GUARD_OUT(cat_login_create(db, login, p, len, NULL, &id));
        GUARD_OUT(cat_server_role_add_member(db, "sysadmin", login));
    }
    GUARD_OUT(cat_commit(db));
    res = MK_OK;
out:
    if (mk_failed(res) && cat_in_transaction(db) && mk_failed(cat_rollback(db))) {
        MK_LOG_WARN("catalog rollback failed");
    }
    cat_close(db);
    return res;
}

/* Remove what a failed init made (best effort; the original error is kept). */
static void undo(init_state *st)
{
    if (st->made_identity && mk_failed(p11_token_destroy_id(st->token, st->cfg.tls_key_id,
                                                            st->cfg.tls_key_id_len, NULL))) {
        fprintf(stderr, "mirrorkeyd init: could not remove TLS key '%s' from the token\n",
                st->cfg.tls_key_label);
    }
    if (st->made_catalog) {
        char p[SRV_PATH_MAX + 8];
        const char *suffix[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
            snprintf(p, sizeof(p), "%s%s", st->catalog, suffix[i]);
            (void)unlink(p);
        }
    }
    if (st->made_cert_file) {
        char p[SRV_PATH_MAX + 16];
        snprintf(p, sizeof(p), "%s/%s", st->dir, SRV_TDS_CERT_FILE);
        (void)unlink(p);
    }
    if (st->made_file_root) {
        (void)rmdir(st->cfg.file_root);
    }
    if (st->made_dir) {
        (void)rmdir(st->dir);
    }
}

static MK_RESULT run_init(const srv_init_args *a, init_state *st)
{
    mk_result res = MK_ERR;
    mk_secret *pw = NULL;
    OSSL_LIB_CTX *libctx = NULL;
    char conf[SRV_PATH_MAX];
    srv_config *cfg = &st->cfg;
    if (a->instance_name != NULL) {
        GUARD(srv_instance_name_check(a->instance_name)); /* also bounds its length */
        strcpy(cfg->instance_name, a->instance_name);
    } else {
        GUARD(default_instance_name(cfg->instance_name, sizeof(cfg->instance_name)));
        GUARD(srv_instance_name_check(cfg->instance_name));
    }
    GUARD(check_uri(a->pkcs11_uri));
    strcpy(cfg->pkcs11_uri, a->pkcs11_uri);
    ENSURE_MSG(strlen(a->admin_login) <= CAT_NAME_MAX, MK_E_INVALID,
               "--admin-login is longer than %d bytes", CAT_NAME_MAX);
    GUARD(read_password(a, &pw));
    GUARD_OUT(make_data_dir(st, a->data_dir));
    GUARD_OUT(make_file_root(st, a->file_root));
    if (mk_failed(p11_token_open(a->pkcs11_uri, NULL, &st->token))) {
        mk_error_context("opening the token");
        goto out;
    }
    GUARD_OUT(srv_libctx_new(&libctx));
    GUARD_OUT(srv_identity_create(st->token, libctx, a->key_type, cfg));
    st->made_identity = true;
    GUARD_OUT(make_catalog(st, a->admin_login, pw));
    /* The certificate as the token holds it, for clients that pin it. */
    srv_cert_file_state cert_file = SRV_CERT_FILE_CURRENT;
    GUARD_OUT(srv_tds_cert_export(st->token, cfg, st->dir, &cert_file));
    st->made_cert_file = true;
    GUARD_OUT(join_path(conf, sizeof(conf), st->dir, SRV_CONFIG_FILE));
    GUARD_OUT(srv_config_save(conf, cfg));
    res = MK_OK;
out:
    mk_secret_free(pw);
    net_tls_libctx_free(libctx);
    return res;
}

int srv_cmd_init(const srv_init_args *a)
{
    init_state st;
    memset(&st, 0, sizeof(st));
    int rc = 0;
    if (mk_failed(run_init(a, &st))) {
        fprintf(stderr, "mirrorkeyd init: %s\n", mk_error_message());
        undo(&st);
        rc = 1;
    } else {
        printf("mirrorkeyd: created instance %s in %s\n", st.cfg.instance_name, st.dir);
        printf("  catalog      %s\n", st.catalog);
        printf("  file root    %s\n", st.cfg.file_root);
        printf("  TLS identity %s (%s key and certificate on the token)\n", st.cfg.tls_key_label,
               st.cfg.tls_key_type);
        printf("  certificate  %s/%s (public, for clients that verify the server)\n", st.dir,
               SRV_TDS_CERT_FILE);
        printf("  sysadmin     %s\n", a->admin_login);
    }
    p11_token_unref(st.token);
    return rc;
}
