/*
 * Interoperability with libp11, an independent PKCS#11 reader: it must find
 * the key pair and certificate our layer wrote under one shared CKA_ID, sign
 * with our private key, and we verify with the public key read through our
 * layer. Also the shared-module case: our layer opening the token while
 * libp11 already initialised the module (CKR_CRYPTOKI_ALREADY_INITIALIZED),
 * and leaving it initialised for libp11 when we close.
 */
#include <libp11.h>

#include "p11test.h"

#include "p11/cert.h"
#include "p11/keygen.h"

typedef struct written {
    uint8_t id[64];
    size_t id_len;
    unsigned char *der;
    int der_len;
    EVP_PKEY *pub; /* from our layer's components */
} written;

/* Our layer writes a key pair and its certificate, then closes everything. */
static void write_identity(p11t *t, p11_key_type type, unsigned bits, const char *label, written *w)
{
    p11_keygen_params p = {type, bits, label};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(t->tok, &p, &k, NULL));
    const uint8_t *id = p11_key_id(k, &w->id_len);
    memcpy(w->id, id, w->id_len);
    w->pub = p11t_pubkey(k);
    assert_non_null(w->pub);
    w->der_len = p11t_make_cert(w->pub, label, &w->der);
    P11T_OK(p11_cert_store(t->tok, w->der, (size_t)w->der_len, w->id, w->id_len, label, NULL));
    p11_key_unref(k);
}

static void free_written(written *w)
{
    OPENSSL_free(w->der);
    EVP_PKEY_free(w->pub);
}

static char *read_pin(const char *path)
{
    static char pin[128];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(pin, 1, sizeof(pin) - 1, f);
    fclose(f);
    pin[n] = '\0';
    return pin;
}

typedef struct lib {
    PKCS11_CTX *ctx;
    PKCS11_SLOT *slots;
    unsigned int nslots;
    PKCS11_SLOT *slot;
} lib;

static void lib_open(lib *l, p11t *t)
{
    l->ctx = PKCS11_CTX_new();
    assert_non_null(l->ctx);
    assert_int_equal(PKCS11_CTX_load(l->ctx, t->hsm.module), 0);
    assert_int_equal(PKCS11_enumerate_slots(l->ctx, &l->slots, &l->nslots), 0);
    l->slot = NULL;
    for (unsigned int i = 0; i < l->nslots; i++) {
        PKCS11_TOKEN *tok = l->slots[i].token;
        if (tok != NULL && tok->initialized && strcmp(tok->label, t->hsm.label) == 0) {
            l->slot = &l->slots[i];
        }
    }
    assert_non_null(l->slot);
    if (l->slot == NULL) {
        return;
    }
    assert_int_equal(PKCS11_login(l->slot, 0, read_pin(t->hsm.pin_file)), 0);
}

static void lib_close(lib *l)
{
    PKCS11_release_all_slots(l->ctx, l->slots, l->nslots);
    PKCS11_CTX_unload(l->ctx);
    PKCS11_CTX_free(l->ctx);
}

static PKCS11_KEY *lib_key(lib *l, const written *w)
{
    PKCS11_KEY *keys = NULL;
    unsigned int n = 0;
    assert_int_equal(PKCS11_enumerate_keys(l->slot->token, &keys, &n), 0);
    PKCS11_KEY *found = NULL;
    for (unsigned int i = 0; i < n; i++) {
        if (keys[i].isPrivate && keys[i].id_len == w->id_len &&
            memcmp(keys[i].id, w->id, w->id_len) == 0) {
            assert_null(found); /* exactly one */
            found = &keys[i];
        }
    }
    assert_non_null(found);
    return found;
}

static PKCS11_CERT *lib_cert(lib *l, const written *w)
{
    PKCS11_CERT *certs = NULL;
    unsigned int n = 0;
    assert_int_equal(PKCS11_enumerate_certs(l->slot->token, &certs, &n), 0);
    PKCS11_CERT *found = NULL;
    for (unsigned int i = 0; i < n; i++) {
        if (certs[i].id_len == w->id_len && memcmp(certs[i].id, w->id, w->id_len) == 0) {
            assert_null(found);
            found = &certs[i];
        }
    }
    assert_non_null(found);
    return found;
}

/* libp11 signs msg with the token key; returns a DER signature length. */
static size_t lib_sign(PKCS11_KEY *key, const uint8_t *msg, size_t msg_len, uint8_t *sig,
                       size_t cap)
{
    EVP_PKEY *priv = PKCS11_get_private_key(key);
    assert_non_null(priv);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t sig_len = cap;
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, priv), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sig_len, msg, msg_len), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(priv);
    return sig_len;
}

static int verify_der(EVP_PKEY *pub, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                      size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static void check_identity(lib *l, const written *w, const char *label)
{
    PKCS11_KEY *key = lib_key(l, w);
    assert_string_equal(key->label, label);
    PKCS11_CERT *cert = lib_cert(l, w);
    assert_string_equal(cert->label, label);
    unsigned char *der = NULL;
    int der_len = i2d_X509(cert->x509, &der);
    assert_int_equal(der_len, w->der_len);
    assert_memory_equal(der, w->der, (size_t)der_len);
    OPENSSL_free(der);

    static const uint8_t msg[] = "signed through libp11, verified through mirrorkey";
    uint8_t sig[512];
    size_t sig_len = lib_sign(key, msg, sizeof(msg), sig, sizeof(sig));
    assert_true(verify_der(w->pub, msg, sizeof(msg), sig, sig_len));
    sig[sig_len / 2] ^= 1;
    assert_false(verify_der(w->pub, msg, sizeof(msg), sig, sig_len));
}

static void test_libp11_reads_our_objects(void **state)
{
    p11t *t = *state;
    written rsa, ec;
    write_identity(t, P11_KEY_RSA, 2048, "interop-rsa", &rsa);
    write_identity(t, P11_KEY_EC, 256, "interop-ec", &ec);
    /* Close our side completely: the module is finalised, libp11 starts clean. */
    p11_token_unref(t->tok);
    t->tok = NULL;

    lib l;
    lib_open(&l, t);
    check_identity(&l, &rsa, "interop-rsa");
    check_identity(&l, &ec, "interop-ec");
    lib_close(&l);
    free_written(&rsa);
    free_written(&ec);
}

static void test_shared_module(void **state)
{
    p11t *t = *state;
    written w;
    write_identity(t, P11_KEY_EC, 256, "shared", &w);
    p11_token_unref(t->tok);
    t->tok = NULL;

    /* libp11 initialises the module first; our layer joins and must not finalise it. */
    lib l;
    lib_open(&l, t);
    p11_token *tok = NULL;
    P11T_OK(p11_token_open(t->hsm.uri, NULL, &tok));
    p11_key *k = NULL;
    P11T_OK(p11_key_find_by_id(tok, w.id, w.id_len, &k));
    uint8_t sig[64];
    size_t sig_len = sizeof(sig);
    static const uint8_t msg[] = "both sides";
    P11T_OK(p11t_sign_sha256(k, msg, sizeof(msg), sig, &sig_len));
    EVP_PKEY *pub = p11t_pubkey(k);
    assert_true(p11t_verify_sha256(pub, msg, sizeof(msg), sig, sig_len));
    EVP_PKEY_free(pub);
    p11_key_unref(k);
    p11_token_unref(tok);
    /* libp11 still works after we closed. */
    check_identity(&l, &w, "shared");
    lib_close(&l);
    free_written(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_libp11_reads_our_objects, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_shared_module, p11t_setup, p11t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
