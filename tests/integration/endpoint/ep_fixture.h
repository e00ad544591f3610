/*
 * Endpoint integration fixture: up to three in-process mirrorkey instances
 * (A, B, C), each with its own SoftHSM2 token (three tokens in one store),
 * its own catalog in a temp dir, an EC P-256 endpoint key generated on its
 * token, a self-signed certificate built by keys_cert_build (signed on the
 * token through the mirrorkey provider), a STARTED mirroring endpoint on a
 * loopback port picked at run time, and an ep_manager serving it.
 *
 * fx_trust(x, y) is the seeds' inbound procedure on y for x: a login, a user
 * for it, x's certificate imported with that owner ('NA'), and optionally
 * CONNECT granted. The daemon's log (stderr) is captured to a file so that
 * tests can assert the SQL Server numbers logged for refusals; it is copied
 * back to the real stderr at teardown (ctest shows it on failure).
 *
 * A "raw client" is an in-process OpenSSL client (default provider, software
 * key) for what our own connector never does: TLS 1.2, ChaCha20 only, no
 * client certificate, an expired certificate.
 */
#ifndef EP_FIXTURE_H
#define EP_FIXTURE_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "catalog/certs.h"
#include "catalog/endpoints.h"
#include "catalog/perms.h"
#include "catalog/principals.h"
#include "catalog/verifier.h"
#include "catalog/views.h"
#include "endpoint/endpoint.h"
#include "endpoint/frame.h"
#include "endpoint/hello.h"
#include "keys/certgen.h"
#include "mk/log.h"
#include "net/socket.h"
#include "p11/keygen.h"
#include "softhsm_fixture.h"

#ifdef MK_PROVIDER_BUILTIN
int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx);
#endif

#define FX_OK(expr)                                                                                \
    do {                                                                                           \
        if (mk_failed(expr)) {                                                                     \
            fail_msg("%s failed: %s", #expr, mk_error_message());                                  \
        }                                                                                          \
    } while (0)

#define FX_DAY_MS ((int64_t)86400000)

typedef struct fx_inst {
    char name[16];
    char dir[700];
    char db_path[800];
    char token_uri[2048];
    char query[1300];
    cat_db *db;
    p11_token *tok;
    p11_key *key;
    mk_buf der; /* our endpoint certificate */
    int32_t cert_id;
    int32_t endpoint_id;
    int32_t admin_id;
    uint16_t port;
    ep_manager *m;
} fx_inst;

typedef struct fx {
    mk_softhsm hsm;
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *prov[2];
    fx_inst inst[3]; /* A, B, C */
    char log_path[700];
    int saved_stderr;
} fx;

static inline int64_t fx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void fx_sleep_ms(int ms) { (void)poll(NULL, 0, ms); }

/* ---- log capture ---- */

static inline void fx_log_capture(fx *f)
{
    snprintf(f->log_path, sizeof(f->log_path), "%s/daemon.log", f->hsm.dir);
    fflush(stderr);
    f->saved_stderr = dup(2);
    int fd = open(f->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    assert_true(fd >= 0 && f->saved_stderr >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    close(fd);
}

static inline void fx_log_restore(fx *f)
{
    char buf[4096];
    fflush(stderr);
    dup2(f->saved_stderr, 2);
    close(f->saved_stderr);
    FILE *fp = fopen(f->log_path, "r");
    if (fp == NULL) {
        return;
    }
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        fwrite(buf, 1, n, stderr);
    }
    fclose(fp);
}

/* Current size of the log: pass it to fx_log_wait to look only at what follows. */
static inline long fx_log_mark(fx *f)
{
    struct stat st;
    fflush(stderr);
    return stat(f->log_path, &st) == 0 ? (long)st.st_size : 0;
}

/* Whether every needle (NULL-terminated list) occurs in one log line after mark. */
static inline bool fx_log_has(fx *f, long mark, const char *const *needles)
{
    char line[4096];
    bool found = false;
    FILE *fp = fopen(f->log_path, "r");
    if (fp == NULL || fseek(fp, mark, SEEK_SET) != 0) {
        if (fp != NULL) {
            fclose(fp);
        }
        return false;
    }
    while (!found && fgets(line, sizeof(line), fp) != NULL) {
        found = true;
        for (const char *const *n = needles; *n != NULL; n++) {
            found = found && strstr(line, *n) != NULL;
        }
    }
    fclose(fp);
    return found;
}

/* Wait (bounded, 3 s) for one log line after mark holding all needles. */
#define FX_LOG_WAIT(f, mark, ...)                                                                  \
    do {                                                                                           \
        const char *const needles_[] = {__VA_ARGS__, NULL};                                        \
        bool seen_ = false;                                                                        \
        for (int i_ = 0; i_ < 60 && !(seen_ = fx_log_has((f), (mark), needles_)); i_++) {          \
            fx_sleep_ms(50);                                                                       \
        }                                                                                          \
        if (!seen_) {                                                                              \
            fail_msg("no log line with %s", needles_[0]);                                          \
        }                                                                                          \
    } while (0)

/* ---- instances ---- */

static inline uint16_t fx_free_port(void)
{
    int fd = -1;
    uint16_t port = 0;
    FX_OK(net_listen("127.0.0.1", 0, &fd, &port));
    close(fd);
    return port;
}

/* A token key and its self-signed certificate valid over [from, to]. */
static inline void fx_make_cert(fx *f, fx_inst *i, const char *label, int64_t from, int64_t to,
                                p11_key **key, mk_buf *der)
{
    p11_keygen_params kp = {.type = P11_KEY_EC, .bits = 256, .label = label};
    mk_buf uri;
    FX_OK(p11_keygen(i->tok, &kp, key, NULL));
    mk_buf_init(&uri, 0);
    FX_OK(p11_key_uri(*key, &uri));
    uri.len = strlen((const char *)uri.data);
    FX_OK(mk_buf_printf(&uri, "?%s", i->query));
    FX_OK(mk_buf_terminate(&uri));
    keys_cert_params cp = {.subject_cn = label, .not_before_ms = from, .not_after_ms = to};
    FX_OK(keys_cert_build(f->libctx, *key, (const char *)uri.data, &cp, der));
    mk_buf_cleanup(&uri);
}

/* An HS certificate of ours in i's catalog. */
static inline int32_t fx_add_own_cert(fx_inst *i, const char *name, p11_key *key, const mk_buf *der)
{
    size_t id_len = 0;
    const uint8_t *id = p11_key_id(key, &id_len);
    cat_cert_new c = {.name = name,
                      .owner_id = CAT_DEFAULT_OWNER,
                      .der = der->data,
                      .der_len = der->len,
                      .token_id = id,
                      .token_id_len = id_len,
                      .token_label = name};
    int32_t cid = 0;
    FX_OK(cat_cert_create(i->db, &c, &cid));
    return cid;
}

static inline void fx_start_manager(fx *f, fx_inst *i)
{
    ep_config cfg = {.instance_name = i->name,
                     .catalog_path = i->db_path,
                     .token = i->tok,
                     .libctx = f->libctx,
                     .key_uri_query = i->query,
                     .heartbeat_ms = 200,
                     .idle_timeout_ms = 2000,
                     .handshake_timeout_ms = 3000};
    FX_OK(ep_manager_new(&cfg, &i->m));
    cat_set_conn_source(i->db, ep_conn_source, i->m);
    ep_apply_error why = EP_APPLY_OTHER;
    FX_OK(ep_manager_apply(i->m, &why));
    assert_int_equal(why, EP_APPLY_OK);
    assert_int_equal(ep_manager_port(i->m), i->port);
}

static inline void fx_inst_setup(fx *f, fx_inst *i, const char *name, const char *uri)
{
    char label[64];
    snprintf(i->name, sizeof(i->name), "%s", name);
    snprintf(i->dir, sizeof(i->dir), "%s/%s", f->hsm.dir, name);
    snprintf(i->db_path, sizeof(i->db_path), "%s/catalog.db", i->dir);
    snprintf(i->token_uri, sizeof(i->token_uri), "%s", uri);
    snprintf(i->query, sizeof(i->query), "module-path=%s&pin-source=file:%s", f->hsm.module,
             f->hsm.pin_file);
    assert_int_equal(mkdir(i->dir, 0700), 0);
    FX_OK(p11_token_open(uri, NULL, &i->tok));
    FX_OK(cat_open(i->db_path, CAT_OPEN_NEW, &i->db));
    FX_OK(cat_login_create(i->db, "admin", (const uint8_t *)"Adm1n!pass", 10, NULL, &i->admin_id));
    FX_OK(cat_server_role_add_member(i->db, "sysadmin", "admin"));
    snprintf(label, sizeof(label), "%s_cert", name);
    mk_buf_init(&i->der, 0);
    int64_t now = fx_now_ms();
    fx_make_cert(f, i, label, now - FX_DAY_MS, now + 365 * FX_DAY_MS, &i->key, &i->der);
    i->cert_id = fx_add_own_cert(i, label, i->key, &i->der);
    i->port = fx_free_port();
    cat_endpoint ep = {.owner_id = i->admin_id,
                       .state = CAT_EP_STARTED,
                       .port = i->port,
                       .ip_address = "127.0.0.1",
                       .role = CAT_EP_ALL,
                       .encryption_enabled = true,
                       .encryption_algorithm = CAT_EP_ALG_AES,
                       .connection_auth = CAT_EP_AUTH_CERTIFICATE,
                       .certificate_id = i->cert_id};
    snprintf(ep.name, sizeof(ep.name), "Mirroring");
    FX_OK(cat_endpoint_create(i->db, &ep, &i->endpoint_id));
    fx_start_manager(f, i);
}

static inline void fx_inst_teardown(fx_inst *i)
{
    if (i->db != NULL) {
        cat_set_conn_source(i->db, NULL, NULL);
    }
    ep_manager_free(i->m);
    cat_close(i->db);
    p11_key_unref(i->key);
    p11_token_unref(i->tok);
    mk_buf_cleanup(&i->der);
    memset(i, 0, sizeof(*i));
}

static inline int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    char uri_b[2048];
    char uri_c[2048];
    cat_verifier_set_iterations_for_tests(1000);
    /* As mirrorkeyd does: a write to a peer that closed is an error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    if (f == NULL || mk_softhsm_setup(&f->hsm, "EP_A") != 0 ||
        mk_softhsm_add_token(&f->hsm, "EP_B", uri_b, sizeof(uri_b)) != 0 ||
        mk_softhsm_add_token(&f->hsm, "EP_C", uri_c, sizeof(uri_c)) != 0) {
        return -1;
    }
    f->libctx = OSSL_LIB_CTX_new();
#ifdef MK_PROVIDER_BUILTIN
    assert_int_equal(OSSL_PROVIDER_add_builtin(f->libctx, "mirrorkey", OSSL_provider_init), 1);
#else
    assert_int_equal(OSSL_PROVIDER_set_default_search_path(f->libctx, MK_PROVIDER_DIR), 1);
#endif
    f->prov[0] = OSSL_PROVIDER_load(f->libctx, "mirrorkey");
    f->prov[1] = OSSL_PROVIDER_load(f->libctx, "default");
    assert_non_null(f->prov[0]);
    assert_non_null(f->prov[1]);
    fx_log_capture(f);
    mk_log_set_level(MK_LOG_INFO);
    fx_inst_setup(f, &f->inst[0], "HOST_A", f->hsm.uri);
    fx_inst_setup(f, &f->inst[1], "HOST_B", uri_b);
    fx_inst_setup(f, &f->inst[2], "HOST_C", uri_c);
    *state = f;
    return 0;
}

static inline int fx_teardown(void **state)
{
    fx *f = *state;
    for (int k = 0; k < 3; k++) {
        fx_inst_teardown(&f->inst[k]);
    }
    fx_log_restore(f);
    OSSL_PROVIDER_unload(f->prov[0]);
    OSSL_PROVIDER_unload(f->prov[1]);
    OSSL_LIB_CTX_free(f->libctx);
    mk_softhsm_teardown(&f->hsm);
    free(f);
    return 0;
}

/* ---- trust between instances (the seeds' inbound procedure) ---- */

/* On `on`: login/user "<x>_login"/"<x>_user", x's certificate der as "<x>_peer_cert". */
static inline int32_t fx_import(fx_inst *on, const char *x, const uint8_t *der, size_t len,
                                bool grant)
{
    char login[64], user[64], cert[64];
    int32_t login_id = 0, user_id = 0, cid = 0;
    snprintf(login, sizeof(login), "%s_login", x);
    snprintf(user, sizeof(user), "%s_user", x);
    snprintf(cert, sizeof(cert), "%s_peer_cert", x);
    FX_OK(cat_login_create(on->db, login, (const uint8_t *)"Peer!pass1", 10, NULL, &login_id));
    FX_OK(cat_user_create_for_login(on->db, user, login, &user_id));
    cat_cert_new c = {.name = cert, .owner_id = user_id, .der = der, .der_len = len};
    FX_OK(cat_cert_create(on->db, &c, &cid));
    if (grant) {
        cat_perm p = {CAT_PERM_CONNECT, on->endpoint_id, login_id, on->admin_id};
        FX_OK(cat_perm_set(on->db, &p, CAT_PERM_GRANT));
    }
    return cid;
}

static inline int32_t fx_trust(fx_inst *x, fx_inst *on, bool grant)
{
    return fx_import(on, x->name, x->der.data, x->der.len, grant);
}

static inline void fx_perm(fx_inst *on, const char *login, cat_perm_state st, bool revoke)
{
    cat_login l;
    FX_OK(cat_login_get(on->db, login, &l));
    cat_perm p = {CAT_PERM_CONNECT, on->endpoint_id, l.principal_id, on->admin_id};
    if (revoke) {
        bool removed = false;
        FX_OK(cat_perm_revoke(on->db, &p, &removed));
    } else {
        FX_OK(cat_perm_set(on->db, &p, st));
    }
}

/* Wait (bounded) until `on` has n logged-in connections of the given direction. */
static inline bool fx_wait_count(fx_inst *on, bool is_accept, size_t n, int ms)
{
    for (int waited = 0; waited <= ms; waited += 20) {
        if (ep_count_logged_in(on->m, is_accept) == n) {
            return true;
        }
        fx_sleep_ms(20);
    }
    return false;
}

/* Wait (bounded) until the kept link from `i` to addr is up (or down). */
static inline bool fx_wait_link(fx_inst *i, const char *addr, bool up, int ms)
{
    for (int waited = 0; waited <= ms; waited += 20) {
        if (ep_link_up(i->m, addr) == up) {
            return true;
        }
        fx_sleep_ms(20);
    }
    return false;
}

static inline mk_result fx_connect(fx_inst *from, fx_inst *to, ep_hello_role role, char *id)
{
    return ep_connect(from->m, "127.0.0.1", to->port, role, id);
}

#endif
