/*
 * Signing and decryption with token keys: every signature verifies in
 * OpenSSL against the public key our layer read; 8 threads sign at once; the
 * hot path costs exactly C_SignInit + C_Sign (counted with OpenSC's
 * pkcs11-spy in front of SoftHSM2); error paths name the C_ function and CKR.
 */
#include <pthread.h>
#include <sys/stat.h>

#include "p11test.h"

#include "p11/keygen.h"

#define SPY_MODULE "/usr/lib/x86_64-linux-gnu/pkcs11-spy.so"

static p11_key *gen(p11t *t, p11_key_type type, unsigned bits, const char *label)
{
    p11_keygen_params p = {type, bits, label};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(t->tok, &p, &k, NULL));
    return k;
}

static void sign_and_verify(p11_key *k)
{
    static const uint8_t msg[] = "mirroring endpoint handshake";
    uint8_t sig[512];
    size_t sig_len = sizeof(sig);
    P11T_OK(p11t_sign_sha256(k, msg, sizeof(msg), sig, &sig_len));
    assert_true(sig_len <= p11_key_max_signature_len(k));
    EVP_PKEY *pub = p11t_pubkey(k);
    assert_non_null(pub);
    assert_true(p11t_verify_sha256(pub, msg, sizeof(msg), sig, sig_len));
    /* The verifier is not a rubber stamp: a flipped message fails. */
    uint8_t bad[sizeof(msg)];
    memcpy(bad, msg, sizeof(msg));
    bad[0] ^= 1;
    assert_false(p11t_verify_sha256(pub, bad, sizeof(bad), sig, sig_len));
    EVP_PKEY_free(pub);
}

static void test_rsa_pkcs1(void **state)
{
    p11_key *k = gen(*state, P11_KEY_RSA, 2048, "rsa");
    sign_and_verify(k);
    p11_key_unref(k);
}

static void test_ec_p256_p384(void **state)
{
    p11_key *a = gen(*state, P11_KEY_EC, 256, "ec256");
    p11_key *b = gen(*state, P11_KEY_EC, 384, "ec384");
    sign_and_verify(a);
    sign_and_verify(b);
    /* Raw CKM_ECDSA on a digest (what the provider does). */
    uint8_t digest[48];
    unsigned dlen = 0;
    EVP_Digest("abc", 3, digest, &dlen, EVP_sha384(), NULL);
    uint8_t sig[96];
    size_t sig_len = sizeof(sig);
    P11T_OK(p11_key_sign(b, CKM_ECDSA, NULL, 0, digest, dlen, sig, &sig_len));
    assert_int_equal(sig_len, 96);
    EVP_PKEY *pub = p11t_pubkey(b);
    uint8_t der[128];
    size_t der_len = p11t_ecdsa_der(sig, sig_len, der, sizeof(der));
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
    assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
    assert_int_equal(EVP_PKEY_verify(ctx, der, der_len, digest, dlen), 1);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pub);
    p11_key_unref(a);
    p11_key_unref(b);
}

static void test_rsa_pss(void **state)
{
    p11_key *k = gen(*state, P11_KEY_RSA, 2048, "pss");
    uint8_t digest[32];
    unsigned dlen = 0;
    EVP_Digest("tls13", 5, digest, &dlen, EVP_sha256(), NULL);
    CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
    uint8_t sig[256];
    size_t sig_len = sizeof(sig);
    P11T_OK(p11_key_sign(k, CKM_RSA_PKCS_PSS, &pss, sizeof(pss), digest, dlen, sig, &sig_len));
    assert_int_equal(sig_len, 256);
    EVP_PKEY *pub = p11t_pubkey(k);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
    assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256());
    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32);
    assert_int_equal(EVP_PKEY_verify(ctx, sig, sig_len, digest, dlen), 1);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pub);
    p11_key_unref(k);
}

static void test_rsa_decrypt(void **state)
{
    p11_key *k = gen(*state, P11_KEY_RSA, 2048, "dec");
    EVP_PKEY *pub = p11t_pubkey(k);
    static const uint8_t secret[] = "premaster secret bytes";
    uint8_t ct[256];
    size_t ct_len = sizeof(ct);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
    assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING);
    assert_int_equal(EVP_PKEY_encrypt(ctx, ct, &ct_len, secret, sizeof(secret)), 1);
    EVP_PKEY_CTX_free(ctx);

    CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
    uint8_t pt[256];
    size_t pt_len = sizeof(pt);
    P11T_OK(p11_key_decrypt(k, CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep), ct, ct_len, pt, &pt_len));
    assert_int_equal(pt_len, sizeof(secret));
    assert_memory_equal(pt, secret, sizeof(secret));

    /*
     * Tampered ciphertext: the token refuses and we name the call. (SoftHSM2
     * answers CKR_GENERAL_ERROR rather than CKR_ENCRYPTED_DATA_INVALID, so the
     * class is whatever p11_rv_class says for the token's code.)
     */
    ct[10] ^= 0x40;
    pt_len = sizeof(pt);
    mk_error_clear();
    assert_true(mk_failed(
        p11_key_decrypt(k, CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep), ct, ct_len, pt, &pt_len)));
    assert_non_null(strstr(mk_error_message(), "C_Decrypt failed: CKR_"));
    /* Too small a plaintext buffer is refused before the token is asked. */
    pt_len = 100;
    P11T_FAILS(p11_key_decrypt(k, CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep), ct, ct_len, pt, &pt_len),
               MK_E_INVALID);
    P11T_FAILS(p11_key_decrypt(k, CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep), NULL, 0, pt, &pt_len),
               MK_E_INVALID);
    /* The key still works afterwards (the failed session was retired, not reused broken). */
    sign_and_verify(k);
    EVP_PKEY_free(pub);
    p11_key_unref(k);
}

static void test_sign_errors(void **state)
{
    p11_key *rsa = gen(*state, P11_KEY_RSA, 2048, "rsa");
    p11_key *ec = gen(*state, P11_KEY_EC, 256, "ec");
    uint8_t sig[256];
    size_t sig_len = 255; /* one byte short of the modulus */
    P11T_FAILS(
        p11_key_sign(rsa, CKM_SHA256_RSA_PKCS, NULL, 0, (const uint8_t *)"m", 1, sig, &sig_len),
        MK_E_INVALID);
    assert_non_null(strstr(mk_error_message(), "smaller than 256"));
    sig_len = sizeof(sig);
    /* A mechanism the token does not know: it says so at C_SignInit, and we say which call. */
    P11T_FAILS(p11_key_sign(rsa, 0x7ffffff0UL, NULL, 0, (const uint8_t *)"m", 1, sig, &sig_len),
               MK_E_INVALID);
    assert_string_equal(mk_error_message(), "C_SignInit failed: CKR_MECHANISM_INVALID");
    /* ECDSA asked of an RSA key: SoftHSM2 accepts the init and fails C_Sign. */
    mk_error_clear();
    assert_true(
        mk_failed(p11_key_sign(rsa, CKM_ECDSA, NULL, 0, (const uint8_t *)"m", 1, sig, &sig_len)));
    assert_non_null(strstr(mk_error_message(), "failed: CKR_"));
    sig_len = sizeof(sig);
    P11T_FAILS(p11_key_sign(ec, CKM_ECDSA, NULL, 4, (const uint8_t *)"m", 1, sig, &sig_len),
               MK_E_INVALID);
    P11T_FAILS(p11_key_decrypt(ec, CKM_RSA_PKCS, NULL, 0, (const uint8_t *)"m", 1, sig, &sig_len),
               MK_E_INVALID);
    /* Bad PSS parameters: C_SignInit's CKR name comes back. */
    CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 4096};
    sig_len = sizeof(sig);
    mk_error_clear();
    assert_true(mk_failed(p11_key_sign(rsa, CKM_RSA_PKCS_PSS, &pss, sizeof(pss),
                                       (const uint8_t *)"0123456789abcdef0123456789abcdef", 32, sig,
                                       &sig_len)));
    assert_non_null(strstr(mk_error_message(), "failed: CKR_"));
    /* Everything still works. */
    sign_and_verify(rsa);
    sign_and_verify(ec);
    p11_key_unref(rsa);
    p11_key_unref(ec);
}

#define THREADS 8
#define PER_THREAD 50

typedef struct worker {
    p11_key *key;
    EVP_PKEY *pub;
    int index;
    int ok;
    int failed;
    char error[256];
} worker;

static void *sign_loop(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        uint8_t msg[32];
        snprintf((char *)msg, sizeof(msg), "thread %d message %d", w->index, i);
        uint8_t sig[512];
        size_t sig_len = sizeof(sig);
        if (mk_failed(p11t_sign_sha256(w->key, msg, sizeof(msg), sig, &sig_len))) {
            w->failed++;
            snprintf(w->error, sizeof(w->error), "%s", mk_error_message());
        } else if (p11t_verify_sha256(w->pub, msg, sizeof(msg), sig, sig_len)) {
            w->ok++;
        } else {
            w->failed++;
            snprintf(w->error, sizeof(w->error), "signature %d did not verify", i);
        }
    }
    return NULL;
}

static void run_threads(p11_key *k)
{
    EVP_PKEY *pub = p11t_pubkey(k);
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.key = k, .pub = pub, .index = i};
        assert_int_equal(pthread_create(&th[i], NULL, sign_loop, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    for (int i = 0; i < THREADS; i++) {
        if (w[i].failed != 0) {
            fail_msg("thread %d: %d failures, last: %s", i, w[i].failed, w[i].error);
        }
        assert_int_equal(w[i].ok, PER_THREAD);
    }
    EVP_PKEY_free(pub);
}

static void test_threads_rsa(void **state)
{
    p11_key *k = gen(*state, P11_KEY_RSA, 2048, "threads-rsa");
    run_threads(k);
    p11_key_unref(k);
}

static void test_threads_ec(void **state)
{
    p11_key *k = gen(*state, P11_KEY_EC, 256, "threads-ec");
    run_threads(k);
    p11_key_unref(k);
}

/* Count "N: C_Name" entries in a pkcs11-spy log. */
static int spy_count(const char *log, const char *fn)
{
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[512];
    char want[64];
    snprintf(want, sizeof(want), ": %s\n", fn);
    int n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *colon = strstr(line, ": C_");
        if (line[0] >= '0' && line[0] <= '9' && colon != NULL && strcmp(colon, want) == 0) {
            n++;
        }
    }
    fclose(f);
    return n;
}

static void test_hot_path_calls(void **state)
{
    p11t *t = *state;
    char log[700], uri[2300];
    snprintf(log, sizeof(log), "%s/spy.log", t->hsm.dir);
    snprintf(uri, sizeof(uri), "pkcs11:token=%s?module-path=%s&pin-source=file:%s", t->hsm.label,
             SPY_MODULE, t->hsm.pin_file);
    setenv("PKCS11SPY", t->hsm.module, 1);
    setenv("PKCS11SPY_OUTPUT", log, 1);
    p11_token *spied = NULL;
    P11T_OK(p11_token_open(uri, NULL, &spied));
    p11_keygen_params p = {P11_KEY_EC, 256, "hot"};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(spied, &p, &k, NULL));
    /* Warm up once (the pool may open its first working session), then count. */
    uint8_t sig[64];
    size_t sig_len = sizeof(sig);
    P11T_OK(p11_key_sign(k, CKM_ECDSA, NULL, 0, (const uint8_t *)"warm", 4, sig, &sig_len));
    int before_init = spy_count(log, "C_SignInit");
    int before_sign = spy_count(log, "C_Sign");
    int before_find = spy_count(log, "C_FindObjectsInit");
    int before_attr = spy_count(log, "C_GetAttributeValue");
    int before_open = spy_count(log, "C_OpenSession");
    for (int i = 0; i < 20; i++) {
        sig_len = sizeof(sig);
        P11T_OK(p11_key_sign(k, CKM_ECDSA, NULL, 0, (const uint8_t *)"0123456789abcdef0123", 20,
                             sig, &sig_len));
    }
    assert_int_equal(spy_count(log, "C_SignInit") - before_init, 20);
    assert_int_equal(spy_count(log, "C_Sign") - before_sign, 20);
    assert_int_equal(spy_count(log, "C_FindObjectsInit") - before_find, 0);
    assert_int_equal(spy_count(log, "C_GetAttributeValue") - before_attr, 0);
    assert_int_equal(spy_count(log, "C_OpenSession") - before_open, 0);
    p11_key_unref(k);
    p11_token_unref(spied);
    unsetenv("PKCS11SPY");
    unsetenv("PKCS11SPY_OUTPUT");
}

static void test_random_and_mechanisms(void **state)
{
    p11t *t = *state;
    uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
    P11T_OK(p11_token_random(t->tok, a, 0));
    assert_memory_equal(a, zero, sizeof(a));
    P11T_OK(p11_token_random(t->tok, a, sizeof(a)));
    P11T_OK(p11_token_random(t->tok, b, sizeof(b)));
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_memory_not_equal(a, b, sizeof(a));

    bool ok = false;
    CK_FLAGS flags = 0;
    P11T_OK(p11_token_mechanism(t->tok, CKM_RSA_PKCS_PSS, &ok, &flags));
    assert_true(ok);
    assert_true(flags & CKF_SIGN);
    P11T_OK(p11_token_mechanism(t->tok, 0x7ffffff0UL, &ok, &flags));
    assert_false(ok);
    assert_int_equal(flags, 0);
    P11T_OK(p11_token_ping(t->tok));
    assert_true(p11_token_logged_in(t->tok));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rsa_pkcs1, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_ec_p256_p384, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_rsa_pss, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_rsa_decrypt, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_sign_errors, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_threads_rsa, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_threads_ec, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_hot_path_calls, p11t_setup_closed, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_random_and_mechanisms, p11t_setup, p11t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
