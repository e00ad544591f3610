/*
 * Two mirrorkey instances for executor-level tests with real tokens: HOST_A
 * and HOST_B, each with its own SoftHSM2 token (two tokens in one fixture
 * store), catalog, file root and exec_instance, an admin session (sysadmin)
 * and a session of a plain login. One OSSL_LIB_CTX with the default and
 * mirrorkey providers signs certificates for both; the provider is
 * registered builtin when mk_provider_static exists (one copy of the token
 * layer in the process), else loaded from the build's provider/ directory.
 *
 * Each instance's catalog handle has the executor's key-info source
 * (sys.mirrorkey_certificate_keys), as in mirrorkeyd. Each instance
 * records the change-hook calls it gets; a test may set
 * port_check (and hook_arg) and restart the instance (fx_inst_stop, then
 * fx_inst_start) to give it a port hook. Helpers count token
 * objects and read token objects by CKA_ID for the "nothing left behind" and
 * "keys never leave the token" checks.
 */
#ifndef DDL_FIXTURE_H
#define DDL_FIXTURE_H

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/provider.h>

#include "catalog/principals.h"
#include "catalog/verifier.h"
#include "ddl_record.h"
#include "internal.h"
#include "keys/masterkey.h"
#include "p11/objects.h"
#include "p11/uri.h"
#include "softhsm_fixture.h"

#ifdef MK_PROVIDER_BUILTIN
int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx);
#endif

#define FX_MAX_CHANGES 64

typedef struct fx_inst {
    char name[16];
    char dir[700];
    char root[800];
    char token_uri[2048];
    char query[1300];
    cat_db *db;
    p11_token *tok;
    exec_instance *inst;
    exec_session *admin;
    exec_session *plain;
    int32_t plain_id;
    int nchanges;
    exec_change_kind change_kind[FX_MAX_CHANGES];
    char change_name[FX_MAX_CHANGES][CAT_NAME_MAX + 1];
    exec_port_check_fn port_check; /* NULL unless a test sets it */
    void *hook_arg;
} fx_inst;

typedef struct fx {
    mk_softhsm hsm;
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *prov[2];
    fx_inst a;
    fx_inst b;
} fx;

#define FX_OK(expr)                                                                                \
    do {                                                                                           \
        if (mk_failed(expr)) {                                                                     \
            fail_msg("%s failed: %s", #expr, mk_error_message());                                  \
        }                                                                                          \
    } while (0)

static inline void fx_on_change(void *arg, exec_change_kind kind, const char *name)
{
    fx_inst *i = arg;
    if (i->nchanges < FX_MAX_CHANGES) {
        i->change_kind[i->nchanges] = kind;
        snprintf(i->change_name[i->nchanges], sizeof(i->change_name[0]), "%s", name);
    }
    i->nchanges++;
}

/*
 * A library context with both providers. The providers must be unloaded
 * (fx_libctx_free) for the mirrorkey provider's token cache to be released,
 * so that the next test's token store is seen by a freshly initialised module.
 */
static inline OSSL_LIB_CTX *fx_libctx(OSSL_PROVIDER *prov[2])
{
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
    assert_non_null(ctx);
#ifdef MK_PROVIDER_BUILTIN
    assert_int_equal(OSSL_PROVIDER_add_builtin(ctx, "mirrorkey", OSSL_provider_init), 1);
#else
    assert_int_equal(OSSL_PROVIDER_set_default_search_path(ctx, MK_PROVIDER_DIR), 1);
#endif
    prov[0] = OSSL_PROVIDER_load(ctx, "mirrorkey");
    prov[1] = OSSL_PROVIDER_load(ctx, "default");
    assert_non_null(prov[0]);
    assert_non_null(prov[1]);
    return ctx;
}

static inline void fx_libctx_free(OSSL_LIB_CTX *ctx, OSSL_PROVIDER *prov[2])
{
    OSSL_PROVIDER_unload(prov[0]);
    OSSL_PROVIDER_unload(prov[1]);
    OSSL_LIB_CTX_free(ctx);
}

/* (Re)create the exec_instance of i with the given key type and libctx. */
static inline void fx_inst_start(fx_inst *i, OSSL_LIB_CTX *libctx, p11_key_type type)
{
    exec_instance_config cfg = {.server_name = i->name,
                                .file_root = i->root,
                                .token = i->tok,
                                .libctx = libctx,
                                .key_uri_query = i->query,
                                .cert_key_type = type,
                                .on_change = fx_on_change,
                                .on_change_arg = i,
                                .port_check = i->port_check,
                                .hook_arg = i->hook_arg};
    int32_t admin_id = 0;
    cat_login l;
    FX_OK(cat_login_get(i->db, "admin", &l));
    admin_id = l.principal_id;
    FX_OK(exec_instance_new(&cfg, &i->inst));
    /* As mirrorkeyd does for each connection's catalog handle. */
    cat_set_keyinfo_source(i->db, exec_keyinfo_source, i->inst);
    exec_principal a = {.login_id = admin_id, .login_name = "admin"};
    exec_principal p = {.login_id = i->plain_id, .login_name = "plain"};
    FX_OK(exec_session_new(i->inst, i->db, &a, &i->admin));
    FX_OK(exec_session_new(i->inst, i->db, &p, &i->plain));
}

static inline void fx_inst_stop(fx_inst *i)
{
    cat_set_keyinfo_source(i->db, NULL, NULL);
    exec_session_free(i->admin);
    exec_session_free(i->plain);
    exec_instance_free(i->inst);
    i->admin = i->plain = NULL;
    i->inst = NULL;
}

static inline void fx_inst_setup(fx *f, fx_inst *i, const char *name, const char *uri,
                                 p11_key_type type)
{
    char path[900];
    int32_t id = 0;
    snprintf(i->name, sizeof(i->name), "%s", name);
    snprintf(i->dir, sizeof(i->dir), "%s/%s", f->hsm.dir, name);
    snprintf(i->root, sizeof(i->root), "%s/files", i->dir);
    assert_int_equal(mkdir(i->dir, 0700), 0);
    assert_int_equal(mkdir(i->root, 0700), 0);
    snprintf(i->token_uri, sizeof(i->token_uri), "%s", uri);
    snprintf(i->query, sizeof(i->query), "module-path=%s&pin-source=file:%s", f->hsm.module,
             f->hsm.pin_file);
    FX_OK(p11_token_open(uri, NULL, &i->tok));
    snprintf(path, sizeof(path), "%s/catalog.db", i->dir);
    FX_OK(cat_open(path, CAT_OPEN_NEW, &i->db));
    FX_OK(cat_login_create(i->db, "admin", (const uint8_t *)"Adm1n!pass", 10, NULL, &id));
    FX_OK(cat_server_role_add_member(i->db, "sysadmin", "admin"));
    FX_OK(cat_login_create(i->db, "plain", (const uint8_t *)"Pla1n!pass", 10, NULL, &i->plain_id));
    fx_inst_start(i, f->libctx, type);
}

/* Both instances; key pairs of `type` (P11_KEY_RSA = SQL Server's RSA-3072). */
static inline int fx_setup_type(void **state, p11_key_type type)
{
    fx *f = calloc(1, sizeof(*f));
    char uri_b[2048];
    cat_verifier_set_iterations_for_tests(1000);
    keys_masterkey_set_iterations_for_tests(1000);
    if (f == NULL || mk_softhsm_setup(&f->hsm, "HOST_A") != 0 ||
        mk_softhsm_add_token(&f->hsm, "HOST_B", uri_b, sizeof(uri_b)) != 0) {
        return -1;
    }
    f->libctx = fx_libctx(f->prov);
    fx_inst_setup(f, &f->a, "HOST_A", f->hsm.uri, type);
    fx_inst_setup(f, &f->b, "HOST_B", uri_b, type);
    *state = f;
    return 0;
}

static inline int fx_setup_ec(void **state) { return fx_setup_type(state, P11_KEY_EC); }
static inline int fx_setup_rsa(void **state) { return fx_setup_type(state, P11_KEY_RSA); }

static inline int fx_teardown(void **state)
{
    fx *f = *state;
    fx_inst *is[2] = {&f->a, &f->b};
    for (int k = 0; k < 2; k++) {
        fx_inst_stop(is[k]);
        cat_close(is[k]->db);
        p11_token_unref(is[k]->tok);
    }
    fx_libctx_free(f->libctx, f->prov);
    mk_softhsm_teardown(&f->hsm);
    free(f);
    return 0;
}

/* Private keys + public keys + certificates on the token (secret keys not counted). */
static inline size_t fx_token_objects(p11_token *t)
{
    p11_uri *u = NULL;
    p11_object_list *l = NULL;
    FX_OK(p11_uri_new(&u));
    FX_OK(p11_objects_find_all(t, u, &l));
    size_t n = p11_object_list_count(l);
    p11_object_list_free(l);
    p11_uri_free(u);
    return n;
}

/* The objects with CKA_ID id, by kind. */
static inline void fx_objects_with_id(p11_token *t, const uint8_t *id, size_t id_len, size_t *priv,
                                      size_t *pub, size_t *certs)
{
    p11_uri *u = NULL;
    p11_object_list *l = NULL;
    FX_OK(p11_uri_new(&u));
    FX_OK(p11_uri_set_id(u, id, id_len));
    FX_OK(p11_objects_find_all(t, u, &l));
    *priv = *pub = *certs = 0;
    for (size_t i = 0; i < p11_object_list_count(l); i++) {
        switch (p11_object_list_kind(l, i)) {
        case P11_OBJ_PRIVATE_KEY: (*priv)++; break;
        case P11_OBJ_PUBLIC_KEY: (*pub)++; break;
        case P11_OBJ_CERT: (*certs)++; break;
        }
    }
    p11_object_list_free(l);
    p11_uri_free(u);
}

/* Read a whole file (test helper); NULL when missing. Caller frees. */
static inline uint8_t *fx_read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return NULL;
    }
    uint8_t *data = malloc(256 * 1024);
    assert_non_null(data);
    *len = fread(data, 1, 256 * 1024, fp);
    fclose(fp);
    return data;
}

static inline bool fx_file_exists(const fx_inst *i, const char *name)
{
    char path[2048];
    struct stat st;
    int n = snprintf(path, sizeof(path), "%s/%s", i->root, name);
    assert_true(n > 0 && (size_t)n < sizeof(path));
    return stat(path, &st) == 0;
}

/* Copy <from root>/name to <to root>/name (the seeds' "secure copy"). */
static inline void fx_copy(const fx_inst *from, const fx_inst *to, const char *name)
{
    assert_int_equal(mk_sh("cp '%s/%s' '%s/%s'", from->root, name, to->root, name), 0);
}

/* Whether the change hook saw (kind, name) since the counter was reset. */
static inline bool fx_changed(const fx_inst *i, exec_change_kind kind, const char *name)
{
    for (int k = 0; k < i->nchanges && k < FX_MAX_CHANGES; k++) {
        if (i->change_kind[k] == kind && strcasecmp(i->change_name[k], name) == 0) {
            return true;
        }
    }
    return false;
}

#endif
