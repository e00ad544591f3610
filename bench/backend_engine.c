/*
 * The baseline most sites run today: the libp11 engine
 * (libengine-pkcs11-openssl), the key loaded by URI with
 * ENGINE_load_private_key, signatures through the same EVP_DigestSign loop
 * as the provider. The engine is configured with MODULE_PATH and PIN control
 * commands; the PIN comes from the PIN file, never from argv, and is wiped
 * after use. The ENGINE API is deprecated in OpenSSL 3.0, hence the
 * suppression in this file only.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "mk/secret.h"
#include "p11/pin.h"
#include "token.h"

typedef struct engine_state {
    ENGINE *e;
    EVP_PKEY *key;
} engine_state;

/* The PIN as a NUL-terminated string in a secret buffer (caller frees). */
static mk_secret *read_pin(const char *pin_file)
{
    char src[1100];
    p11_pin_source ps;
    mk_secret *pin = NULL;
    mk_secret *text = NULL;
    snprintf(src, sizeof(src), "file:%s", pin_file);
    if (mk_failed(p11_pin_source_parse(src, &ps)) || mk_failed(p11_pin_read(&ps, "bench", &pin)) ||
        mk_failed(mk_secret_new(mk_secret_len(pin) + 1, &text))) {
        mk_secret_free(pin);
        return NULL;
    }
    memcpy(mk_secret_data(text), mk_secret_cdata(pin), mk_secret_len(pin));
    mk_secret_data(text)[mk_secret_len(pin)] = '\0';
    mk_secret_free(pin);
    return text;
}

static void engine_close(void *state)
{
    engine_state *st = state;
    if (st == NULL) {
        return;
    }
    EVP_PKEY_free(st->key);
    if (st->e != NULL) {
        ENGINE_finish(st->e);
        ENGINE_free(st->e);
    }
    free(st);
}

static void *engine_open(const bench_opts *o, const bench_key *k)
{
    char uri[8192];
    engine_state *st = calloc(1, sizeof(*st));
    mk_secret *pin = read_pin(o->pin_file);
    bool ok = st != NULL && pin != NULL && (st->e = ENGINE_by_id("pkcs11")) != NULL &&
              ENGINE_ctrl_cmd_string(st->e, "MODULE_PATH", o->module, 0) == 1 &&
              ENGINE_ctrl_cmd_string(st->e, "PIN", (const char *)mk_secret_data(pin), 0) == 1 &&
              ENGINE_init(st->e) == 1;
    mk_secret_free(pin);
    if (ok) {
        bench_key_uri(o, k, false, uri, sizeof(uri));
        st->key = ENGINE_load_private_key(st->e, uri, NULL, NULL);
        ok = st->key != NULL;
    }
    if (!ok) {
        fprintf(stderr, "engine: cannot use the libp11 engine for %s\n", k->label);
        ERR_print_errors_fp(stderr);
        engine_close(st);
        return NULL;
    }
    return st;
}

static void *engine_thread_open(void *state) { return state; }
static void engine_thread_close(void *thread_state) { (void)thread_state; }

static bool engine_sign(void *thread_state)
{
    engine_state *st = thread_state;
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    bool ok = m != NULL && EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, st->key) == 1 &&
              EVP_DigestSign(m, sig, &sig_len, (const unsigned char *)BENCH_MESSAGE,
                             strlen(BENCH_MESSAGE)) == 1;
    EVP_MD_CTX_free(m);
    if (!ok) {
        ERR_print_errors_fp(stderr);
    }
    return ok;
}

const bench_backend bench_engine = {
    "libp11 engine", engine_open,         engine_thread_open,
    engine_sign,     engine_thread_close, engine_close,
};
