/*
 * Two EVP backends with identical signing loops: the mirrorkey provider (the
 * token key loaded by URI through OSSL_STORE) and software keys of the same
 * size in the default provider. Each signature is a fresh
 * EVP_DigestSignInit_ex + EVP_DigestSign with SHA-256 (RSA PKCS#1 v1.5,
 * ECDSA), as a TLS server does per handshake.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/store.h>

#include "token.h"

typedef struct ossl_state {
    OSSL_LIB_CTX *ctx;
    OSSL_PROVIDER *mirrorkey;
    OSSL_PROVIDER *deflt;
    EVP_PKEY *key;
} ossl_state;

static ossl_state *state_new(const bench_opts *o, bool with_provider)
{
    ossl_state *st = calloc(1, sizeof(*st));
    if (st == NULL || (st->ctx = OSSL_LIB_CTX_new()) == NULL) {
        free(st);
        return NULL;
    }
    if (with_provider) {
        OSSL_PROVIDER_set_default_search_path(st->ctx, o->provider_dir);
        st->mirrorkey = OSSL_PROVIDER_load(st->ctx, "mirrorkey");
    }
    st->deflt = OSSL_PROVIDER_load(st->ctx, "default");
    if ((with_provider && st->mirrorkey == NULL) || st->deflt == NULL) {
        fprintf(stderr, "cannot load the providers (provider dir %s)\n", o->provider_dir);
        ERR_print_errors_fp(stderr);
        return NULL;
    }
    return st;
}

static void ossl_close(void *state)
{
    ossl_state *st = state;
    if (st == NULL) {
        return;
    }
    EVP_PKEY_free(st->key);
    if (st->mirrorkey != NULL) {
        OSSL_PROVIDER_unload(st->mirrorkey);
    }
    if (st->deflt != NULL) {
        OSSL_PROVIDER_unload(st->deflt);
    }
    OSSL_LIB_CTX_free(st->ctx);
    free(st);
}

static EVP_PKEY *store_key(OSSL_LIB_CTX *ctx, const char *uri)
{
    EVP_PKEY *key = NULL;
    OSSL_STORE_CTX *s = OSSL_STORE_open_ex(uri, ctx, NULL, NULL, NULL, NULL, NULL, NULL);
    if (s == NULL) {
        return NULL;
    }
    OSSL_STORE_expect(s, OSSL_STORE_INFO_PKEY);
    while (key == NULL && !OSSL_STORE_eof(s)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(s);
        if (info != NULL && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY) {
            key = OSSL_STORE_INFO_get1_PKEY(info);
        }
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(s);
    return key;
}

static void *provider_open(const bench_opts *o, const bench_key *k)
{
    char uri[8192];
    ossl_state *st = state_new(o, true);
    if (st == NULL) {
        return NULL;
    }
    bench_key_uri(o, k, true, uri, sizeof(uri));
    st->key = store_key(st->ctx, uri);
    if (st->key == NULL) {
        fprintf(stderr, "provider: cannot load %s\n", k->label);
        ERR_print_errors_fp(stderr);
        ossl_close(st);
        return NULL;
    }
    return st;
}

static void *software_open(const bench_opts *o, const bench_key *k)
{
    ossl_state *st = state_new(o, false);
    if (st == NULL) {
        return NULL;
    }
    if (k->type == P11_KEY_RSA) {
        st->key = EVP_PKEY_Q_keygen(st->ctx, NULL, "RSA", (size_t)k->bits);
    } else {
        st->key = EVP_PKEY_Q_keygen(st->ctx, NULL, "EC", "P-256");
    }
    if (st->key == NULL) {
        fprintf(stderr, "software: key generation failed\n");
        ossl_close(st);
        return NULL;
    }
    return st;
}

/* Per-thread state is the shared state itself: EVP contexts are made per signature. */
static void *ossl_thread_open(void *state) { return state; }
static void ossl_thread_close(void *thread_state) { (void)thread_state; }

static bool ossl_sign(void *thread_state)
{
    ossl_state *st = thread_state;
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    bool ok = m != NULL &&
              EVP_DigestSignInit_ex(m, NULL, "SHA256", st->ctx, NULL, st->key, NULL) == 1 &&
              EVP_DigestSign(m, sig, &sig_len, (const unsigned char *)BENCH_MESSAGE,
                             strlen(BENCH_MESSAGE)) == 1;
    EVP_MD_CTX_free(m);
    if (!ok) {
        ERR_print_errors_fp(stderr);
    }
    return ok;
}

const bench_backend bench_provider = {
    "mirrorkey provider", provider_open, ossl_thread_open, ossl_sign, ossl_thread_close, ossl_close,
};

const bench_backend bench_software = {
    "software (default)", software_open, ossl_thread_open, ossl_sign, ossl_thread_close, ossl_close,
};
