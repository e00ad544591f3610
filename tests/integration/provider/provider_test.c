/*
 * The mirrorkey provider in one process, the way an application uses it: a
 * library context with OSSL_PROVIDER_load("mirrorkey") and "default", keys
 * from OSSL_STORE by pkcs11: URI (made by pkcs11-tool, not by our code), and
 * every signature checked by a default-provider-only library context that
 * only knows the public key. Proves:
 *   - 8 threads x 200 signatures (RSA PKCS#1 v1.5, RSA-PSS, ECDSA) all verify;
 *   - a forked child signs (the token layer re-initialises the module and
 *     logs in again), and the parent still signs afterwards;
 *   - a URI that matches nothing fails with an error naming the URI;
 *   - a wrong PIN fails with CKR_PIN_INCORRECT after exactly one C_Login
 *     (counted by pkcs11-spy between the provider and SoftHSM2);
 *   - X509_check_private_key and SSL_CTX_check_private_key accept the token
 *     key with its certificate and reject a mismatched pair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/store.h>
#include <openssl/x509.h>

#include "softhsm_fixture.h"

#define THREADS 8
#define SIGS_PER_THREAD 200

static mk_softhsm hsm;
static char rsa_uri[4096];
static char rsa2_uri[4096];
static char ec_uri[4096];

/* ---- helpers ---- */

/* A library context with its providers; env_close unloads them (which tears ours down). */
typedef struct env {
    OSSL_LIB_CTX *ctx;
    OSSL_PROVIDER *mirrorkey;
    OSSL_PROVIDER *deflt;
} env;

static env provider_env(void)
{
    env e = {OSSL_LIB_CTX_new(), NULL, NULL};
    assert_non_null(e.ctx);
    assert_int_equal(OSSL_PROVIDER_set_default_search_path(e.ctx, MK_PROVIDER_DIR), 1);
    e.mirrorkey = OSSL_PROVIDER_load(e.ctx, "mirrorkey");
    e.deflt = OSSL_PROVIDER_load(e.ctx, "default");
    assert_non_null(e.mirrorkey);
    assert_non_null(e.deflt);
    return e;
}

static env software_env(void)
{
    env e = {OSSL_LIB_CTX_new(), NULL, NULL};
    assert_non_null(e.ctx);
    e.deflt = OSSL_PROVIDER_load(e.ctx, "default");
    assert_non_null(e.deflt);
    return e;
}

static void env_close(env *e)
{
    if (e->mirrorkey != NULL) {
        assert_int_equal(OSSL_PROVIDER_unload(e->mirrorkey), 1);
    }
    assert_int_equal(OSSL_PROVIDER_unload(e->deflt), 1);
    OSSL_LIB_CTX_free(e->ctx);
}

/* Collect the error queue as text (each line "...:reason:file:line:data"). */
static int collect_error(const char *str, size_t len, void *u)
{
    char *buf = u;
    size_t have = strlen(buf);
    if (have + len + 1 < 8192) {
        memcpy(buf + have, str, len);
        buf[have + len] = '\0';
    }
    return 1;
}

static void error_text(char *buf)
{
    buf[0] = '\0';
    ERR_print_errors_cb(collect_error, buf);
}

/* The first private key the URI yields, or NULL (errors left on the queue). */
static EVP_PKEY *load_key(OSSL_LIB_CTX *ctx, const char *uri)
{
    EVP_PKEY *key = NULL;
    OSSL_STORE_CTX *st = OSSL_STORE_open_ex(uri, ctx, NULL, NULL, NULL, NULL, NULL, NULL);
    if (st == NULL) {
        return NULL;
    }
    (void)OSSL_STORE_expect(st, OSSL_STORE_INFO_PKEY);
    while (key == NULL && !OSSL_STORE_eof(st)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(st);
        if (info != NULL && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY) {
            key = OSSL_STORE_INFO_get1_PKEY(info);
        }
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(st);
    return key;
}

/* The public half, re-decoded in a library context that has only the default provider. */
static EVP_PKEY *public_copy(EVP_PKEY *key, OSSL_LIB_CTX *soft)
{
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(key, &der);
    assert_true(len > 0);
    const unsigned char *p = der;
    EVP_PKEY *pub = d2i_PUBKEY_ex(NULL, &p, len, soft, NULL);
    OPENSSL_free(der);
    assert_non_null(pub);
    return pub;
}

/* Sign msg with the token key (pss: RSA-PSS), verify with pub; 1 when it verifies. */
static int sign_and_verify(OSSL_LIB_CTX *ctx, EVP_PKEY *key, EVP_PKEY *pub, OSSL_LIB_CTX *soft,
                           const char *msg, int pss)
{
    unsigned char sig[1024];
    size_t siglen = sizeof(sig);
    int ok = 0;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_MD_CTX *v = EVP_MD_CTX_new();
    if (m == NULL || v == NULL ||
        EVP_DigestSignInit_ex(m, &pctx, "SHA256", ctx, NULL, key, NULL) != 1 ||
        (pss && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1) ||
        (pss && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) ||
        EVP_DigestSign(m, sig, &siglen, (const unsigned char *)msg, strlen(msg)) != 1) {
        goto out;
    }
    if (EVP_DigestVerifyInit_ex(v, &pctx, "SHA256", soft, NULL, pub, NULL) != 1 ||
        (pss && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1) ||
        (pss && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
        goto out;
    }
    ok = EVP_DigestVerify(v, sig, siglen, (const unsigned char *)msg, strlen(msg)) == 1;
out:
    EVP_MD_CTX_free(m);
    EVP_MD_CTX_free(v);
    return ok;
}

/* ---- fixture ---- */

static void keygen(const char *type, const char *id, const char *label)
{
    char cmd[2048];
    int n = snprintf(cmd, sizeof(cmd),
                     "'%s' --module '%s' --login --pin '%s' --keypairgen --key-type '%s' --id %s "
                     "%s%s%s >/dev/null 2>&1",
                     MK_PKCS11_TOOL, hsm.module, MK_TEST_USER_PIN, type, id,
                     label != NULL ? "--label '" : "", label != NULL ? label : "",
                     label != NULL ? "'" : "");
    assert_true(n > 0 && (size_t)n < sizeof(cmd));
    assert_int_equal(mk_sh("%s", cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    if (mk_softhsm_setup(&hsm, "provc") != 0) {
        return -1;
    }
    keygen("rsa:2048", "10", "c-rsa");
    keygen("rsa:2048", "11", "c-rsa-2");
    keygen("EC:prime256v1", "a0b1", NULL); /* no label */
    const char *q = strchr(hsm.uri, '?');
    snprintf(rsa_uri, sizeof(rsa_uri), "pkcs11:token=provc;object=c-rsa;type=private%s", q);
    snprintf(rsa2_uri, sizeof(rsa2_uri), "pkcs11:token=provc;id=%%11;type=private%s", q);
    snprintf(ec_uri, sizeof(ec_uri), "pkcs11:token=provc;id=%%A0%%B1%s", q);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mk_softhsm_teardown(&hsm);
    return 0;
}

/* ---- tests ---- */

typedef struct worker {
    OSSL_LIB_CTX *ctx;
    OSSL_LIB_CTX *soft;
    EVP_PKEY *key;
    EVP_PKEY *pub;
    int index;
    int verified;
} worker;

static void *sign_worker(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < SIGS_PER_THREAD; i++) {
        char msg[64];
        snprintf(msg, sizeof(msg), "thread %d message %d", w->index, i);
        int pss = EVP_PKEY_is_a(w->key, "RSA") && (i % 2 == 1);
        w->verified += sign_and_verify(w->ctx, w->key, w->pub, w->soft, msg, pss);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    env pe = provider_env();
    env se = software_env();
    OSSL_LIB_CTX *ctx = pe.ctx;
    OSSL_LIB_CTX *soft = se.ctx;
    EVP_PKEY *keys[2] = {load_key(ctx, rsa_uri), load_key(ctx, ec_uri)};
    assert_non_null(keys[0]);
    assert_non_null(keys[1]);
    EVP_PKEY *pubs[2] = {public_copy(keys[0], soft), public_copy(keys[1], soft)};
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){ctx, soft, keys[i % 2], pubs[i % 2], i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, sign_worker, &w[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        total += w[i].verified;
    }
    ERR_print_errors_fp(stderr);
    assert_int_equal(total, THREADS * SIGS_PER_THREAD);
    for (int i = 0; i < 2; i++) {
        EVP_PKEY_free(keys[i]);
        EVP_PKEY_free(pubs[i]);
    }
    env_close(&se);
    env_close(&pe);
}

static void test_fork(void **state)
{
    (void)state;
    env pe = provider_env();
    env se = software_env();
    OSSL_LIB_CTX *ctx = pe.ctx;
    OSSL_LIB_CTX *soft = se.ctx;
    EVP_PKEY *key = load_key(ctx, rsa_uri);
    assert_non_null(key);
    EVP_PKEY *pub = public_copy(key, soft);
    assert_true(sign_and_verify(ctx, key, pub, soft, "before fork", 1));
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int ok = sign_and_verify(ctx, key, pub, soft, "in the child", 1) &&
                 sign_and_verify(ctx, key, pub, soft, "in the child again", 0);
        if (!ok) {
            ERR_print_errors_fp(stderr);
        }
        _exit(ok ? 0 : 3);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(sign_and_verify(ctx, key, pub, soft, "parent after the child", 1));
    EVP_PKEY_free(key);
    EVP_PKEY_free(pub);
    env_close(&se);
    env_close(&pe);
}

static void test_no_match(void **state)
{
    (void)state;
    char uri[4096];
    char err[8192];
    snprintf(uri, sizeof(uri), "pkcs11:token=provc;object=no-such-object%s", strchr(hsm.uri, '?'));
    env pe = provider_env();
    ERR_clear_error();
    assert_null(load_key(pe.ctx, uri));
    error_text(err);
    assert_non_null(strstr(err, "object=no-such-object"));
    assert_non_null(strstr(err, "no private key on token 'provc' matches the URI"));
    assert_non_null(strstr(err, "mirrorkey"));
    env_close(&pe);
}

static int count_lines_with(const char *path, const char *needle)
{
    char line[4096];
    int n = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        n += strstr(line, needle) != NULL;
    }
    fclose(f);
    return n;
}

static void test_wrong_pin(void **state)
{
    (void)state;
    if (access(MK_PKCS11_SPY, R_OK) != 0) {
        skip();
    }
    char pin[700];
    char log[700];
    char uri[4096];
    char err[8192];
    snprintf(pin, sizeof(pin), "%s/wrong.pin", hsm.dir);
    snprintf(log, sizeof(log), "%s/spy.log", hsm.dir);
    int fd = open(pin, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not-the-pin\n", 12), 12);
    close(fd);
    setenv("PKCS11SPY", hsm.module, 1);
    setenv("PKCS11SPY_OUTPUT", log, 1);
    snprintf(uri, sizeof(uri), "pkcs11:token=provc;object=c-rsa?module-path=%s&pin-source=file:%s",
             MK_PKCS11_SPY, pin);
    env pe = provider_env();
    ERR_clear_error();
    assert_null(load_key(pe.ctx, uri));
    error_text(err);
    assert_non_null(strstr(err, "C_Login failed: CKR_PIN_INCORRECT"));
    assert_non_null(strstr(err, "token=provc"));
    assert_null(strstr(err, "not-the-pin"));
    /* pkcs11-spy logs one "NN: C_Login" header per call. */
    assert_int_equal(count_lines_with(log, ": C_Login"), 1);
    env_close(&pe);
}

/* A self-signed certificate for key, signed on the token through the provider. */
static X509 *self_signed(OSSL_LIB_CTX *ctx, EVP_PKEY *key)
{
    X509 *x = X509_new_ex(ctx, NULL);
    X509_NAME *name = X509_NAME_new();
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    assert_non_null(x);
    assert_non_null(name);
    assert_non_null(m);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 42), 1);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (unsigned char *)"check", -1, -1, 0),
        1);
    assert_int_equal(X509_set_subject_name(x, name), 1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    assert_int_equal(EVP_DigestSignInit_ex(m, NULL, "SHA256", ctx, NULL, key, NULL), 1);
    assert_true(X509_sign_ctx(x, m) > 0);
    EVP_MD_CTX_free(m);
    X509_NAME_free(name);
    return x;
}

static void test_check_private_key(void **state)
{
    (void)state;
    env pe = provider_env();
    env se = software_env();
    OSSL_LIB_CTX *ctx = pe.ctx;
    OSSL_LIB_CTX *soft = se.ctx;
    EVP_PKEY *rsa = load_key(ctx, rsa_uri);
    EVP_PKEY *rsa2 = load_key(ctx, rsa2_uri);
    EVP_PKEY *ec = load_key(ctx, ec_uri);
    assert_non_null(rsa);
    assert_non_null(rsa2);
    assert_non_null(ec);
    X509 *cert = self_signed(ctx, rsa);
    X509 *ec_cert = self_signed(ctx, ec);
    EVP_PKEY *pub = public_copy(rsa, soft);
    assert_int_equal(X509_verify(cert, pub), 1);
    assert_int_equal(X509_check_private_key(cert, rsa), 1);
    assert_int_equal(X509_check_private_key(ec_cert, ec), 1);
    ERR_clear_error();
    assert_int_equal(X509_check_private_key(cert, rsa2), 0);
    assert_int_equal(X509_check_private_key(cert, ec), 0);
    assert_int_equal(X509_check_private_key(ec_cert, rsa), 0);
    ERR_clear_error();

    SSL_CTX *ssl = SSL_CTX_new_ex(ctx, NULL, TLS_method());
    assert_non_null(ssl);
    assert_int_equal(SSL_CTX_use_certificate(ssl, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ssl, rsa), 1);
    assert_int_equal(SSL_CTX_check_private_key(ssl), 1);
    SSL_CTX_free(ssl);
    ssl = SSL_CTX_new_ex(ctx, NULL, TLS_method());
    assert_non_null(ssl);
    assert_int_equal(SSL_CTX_use_certificate(ssl, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ssl, rsa2), 0); /* mismatched pair refused */
    ERR_clear_error();
    SSL_CTX_free(ssl);

    X509_free(cert);
    X509_free(ec_cert);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(rsa2);
    EVP_PKEY_free(ec);
    env_close(&se);
    env_close(&pe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads),   cmocka_unit_test(test_fork),
        cmocka_unit_test(test_no_match),  cmocka_unit_test(test_check_private_key),
        cmocka_unit_test(test_wrong_pin),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
