/*
 * The floor: raw Cryptoki on the module's own function list. One session per
 * thread, the key handle found once, then C_SignInit + C_Sign per signature
 * (CKM_RSA_PKCS over a ready SHA-256 DigestInfo, CKM_ECDSA over a ready
 * digest): no hashing, no encoding, nothing but the token.
 */
#include "bench.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mk/secret.h"
#include "p11/pin.h"

typedef struct raw_state {
    void *dl;
    CK_FUNCTION_LIST *f;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE login_session;
    const bench_key *key;
    unsigned char input[64];
    CK_ULONG input_len;
} raw_state;

typedef struct raw_thread {
    raw_state *st;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key;
} raw_thread;

static bool find_slot(raw_state *st, const char *label)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = 64;
    if (st->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
        return false;
    }
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        char l[33];
        if (st->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK) {
            continue;
        }
        memcpy(l, ti.label, 32);
        l[32] = '\0';
        for (int j = 31; j >= 0 && l[j] == ' '; j--) {
            l[j] = '\0';
        }
        if (strcmp(l, label) == 0) {
            st->slot = slots[i];
            return true;
        }
    }
    return false;
}

static bool login(raw_state *st, const char *pin_file)
{
    char src[1100];
    p11_pin_source ps;
    mk_secret *pin = NULL;
    snprintf(src, sizeof(src), "file:%s", pin_file);
    if (mk_failed(p11_pin_source_parse(src, &ps)) || mk_failed(p11_pin_read(&ps, "bench", &pin))) {
        fprintf(stderr, "raw: cannot read the PIN file: %s\n", mk_error_message());
        return false;
    }
    CK_RV rv = st->f->C_OpenSession(st->slot, CKF_SERIAL_SESSION, NULL, NULL, &st->login_session);
    if (rv == CKR_OK) {
        rv = st->f->C_Login(st->login_session, CKU_USER, mk_secret_data(pin), mk_secret_len(pin));
    }
    mk_secret_free(pin);
    return rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN;
}

/* The input the token signs: DigestInfo(SHA-256(msg)) for RSA, the digest for EC. */
static void make_input(raw_state *st)
{
    static const unsigned char sha256_prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                  0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                  0x01, 0x05, 0x00, 0x04, 0x20};
    unsigned char h[32];
    unsigned int hl = 0;
    EVP_Digest(BENCH_MESSAGE, strlen(BENCH_MESSAGE), h, &hl, EVP_sha256(), NULL);
    if (st->key->type == P11_KEY_RSA) {
        memcpy(st->input, sha256_prefix, sizeof(sha256_prefix));
        memcpy(st->input + sizeof(sha256_prefix), h, 32);
        st->input_len = sizeof(sha256_prefix) + 32;
    } else {
        memcpy(st->input, h, 32);
        st->input_len = 32;
    }
}

static void *raw_open(const bench_opts *o, const bench_key *k)
{
    raw_state *st = calloc(1, sizeof(*st));
    CK_C_GetFunctionList gfl = NULL;
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    if (st == NULL || (st->dl = dlopen(o->module, RTLD_NOW | RTLD_LOCAL)) == NULL ||
        (gfl = (CK_C_GetFunctionList)dlsym(st->dl, "C_GetFunctionList")) == NULL ||
        gfl(&st->f) != CKR_OK || st->f->C_Initialize(&args) != CKR_OK) {
        fprintf(stderr, "raw: cannot load and initialise %s\n", o->module);
        free(st);
        return NULL;
    }
    st->key = k;
    if (!find_slot(st, o->token_label) || !login(st, o->pin_file)) {
        fprintf(stderr, "raw: no token '%s' or login failed\n", o->token_label);
        st->f->C_Finalize(NULL);
        free(st);
        return NULL;
    }
    make_input(st);
    return st;
}

static void *raw_thread_open(void *state)
{
    raw_state *st = state;
    raw_thread *t = calloc(1, sizeof(*t));
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_LABEL, (void *)st->key->label, strlen(st->key->label)},
    };
    CK_ULONG n = 0;
    if (t == NULL ||
        st->f->C_OpenSession(st->slot, CKF_SERIAL_SESSION, NULL, NULL, &t->s) != CKR_OK ||
        st->f->C_FindObjectsInit(t->s, tmpl, 2) != CKR_OK ||
        st->f->C_FindObjects(t->s, &t->key, 1, &n) != CKR_OK || n != 1) {
        fprintf(stderr, "raw: no private key labelled '%s'\n", st->key->label);
        free(t);
        return NULL;
    }
    st->f->C_FindObjectsFinal(t->s);
    t->st = st;
    return t;
}

static bool raw_sign(void *thread_state)
{
    raw_thread *t = thread_state;
    raw_state *st = t->st;
    CK_MECHANISM mech = {st->key->type == P11_KEY_RSA ? CKM_RSA_PKCS : CKM_ECDSA, NULL, 0};
    unsigned char sig[1024];
    CK_ULONG sig_len = sizeof(sig);
    CK_RV rv = st->f->C_SignInit(t->s, &mech, t->key);
    if (rv == CKR_OK) {
        rv = st->f->C_Sign(t->s, st->input, st->input_len, sig, &sig_len);
    }
    if (rv != CKR_OK) {
        fprintf(stderr, "raw: C_Sign failed: 0x%lx\n", rv);
    }
    return rv == CKR_OK;
}

static void raw_thread_close(void *thread_state)
{
    raw_thread *t = thread_state;
    if (t != NULL) {
        t->st->f->C_CloseSession(t->s);
        free(t);
    }
}

static void raw_close(void *state)
{
    raw_state *st = state;
    if (st != NULL) {
        st->f->C_Logout(st->login_session);
        st->f->C_CloseSession(st->login_session);
        st->f->C_Finalize(NULL);
        free(st);
    }
}

const bench_backend bench_raw = {
    "raw Cryptoki", raw_open, raw_thread_open, raw_sign, raw_thread_close, raw_close,
};
