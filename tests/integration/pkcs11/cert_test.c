/*
 * Certificate objects beside a token key pair: stored with the key's CKA_ID
 * and label (the certificate carries the token key's public key), found
 * again by id and by URI, listed with the keys by p11_objects_find_all, and
 * removed together by p11_token_destroy_id. Also the EC public point falling
 * back to the certificate when the public key object is gone.
 */
#include <openssl/x509.h>

#include "p11test.h"

#include "p11/cert.h"
#include "p11/keygen.h"
#include "p11/objects.h"
#include "p11/uri.h"

typedef struct identity {
    p11_key *key;
    unsigned char *der;
    int der_len;
} identity;

static void make_identity(p11t *t, p11_key_type type, unsigned bits, const char *label,
                          identity *id)
{
    p11_keygen_params p = {type, bits, label};
    P11T_OK(p11_keygen(t->tok, &p, &id->key, NULL));
    EVP_PKEY *pub = p11t_pubkey(id->key);
    assert_non_null(pub);
    id->der_len = p11t_make_cert(pub, label, &id->der);
    assert_true(id->der_len > 0);
    EVP_PKEY_free(pub);
}

static void free_identity(identity *id)
{
    p11_key_unref(id->key);
    OPENSSL_free(id->der);
}

static void test_store_and_find(void **state)
{
    p11t *t = *state;
    identity id;
    make_identity(t, P11_KEY_RSA, 2048, "endpoint", &id);
    size_t kid_len = 0;
    const uint8_t *kid = p11_key_id(id.key, &kid_len);
    p11_cert *stored = NULL;
    P11T_OK(p11_cert_store(t->tok, id.der, (size_t)id.der_len, kid, kid_len, "endpoint", &stored));
    assert_string_equal(p11_cert_label(stored), "endpoint");
    p11_cert_free(stored);

    p11_cert *c = NULL;
    P11T_OK(p11_cert_find_by_id(t->tok, kid, kid_len, &c));
    size_t der_len = 0, cid_len = 0;
    const uint8_t *der = p11_cert_der(c, &der_len);
    assert_int_equal(der_len, (size_t)id.der_len);
    assert_memory_equal(der, id.der, der_len);
    const uint8_t *cid = p11_cert_id(c, &cid_len);
    assert_int_equal(cid_len, kid_len);
    assert_memory_equal(cid, kid, kid_len);
    assert_string_equal(p11_cert_label(c), "endpoint");

    /* The stored certificate's public key is the token key's. */
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    assert_non_null(x);
    EVP_PKEY *from_cert = X509_get0_pubkey(x);
    EVP_PKEY *from_token = p11t_pubkey(id.key);
    assert_int_equal(EVP_PKEY_eq(from_cert, from_token), 1);
    EVP_PKEY_free(from_token);
    X509_free(x);
    p11_cert_free(c);

    /* By URI: label, and type=cert with the id. */
    p11_uri *sel = NULL;
    P11T_OK(p11_uri_parse("pkcs11:object=endpoint;type=cert", &sel));
    P11T_OK(p11_cert_find(t->tok, sel, &c));
    p11_cert_free(c);
    p11_uri_free(sel);
    P11T_OK(p11_uri_new(&sel));
    P11T_OK(p11_uri_set_id(sel, kid, kid_len));
    P11T_OK(p11_cert_find(t->tok, sel, &c));
    p11_cert_free(c);
    p11_uri_set_type(sel, P11_URI_TYPE_PRIVATE);
    c = NULL;
    P11T_FAILS(p11_cert_find(t->tok, sel, &c), MK_E_INVALID);
    p11_uri_free(sel);
    P11T_FAILS(p11_cert_find_by_id(t->tok, (const uint8_t *)"\xff", 1, &c), MK_E_NOT_FOUND);
    P11T_FAILS(p11_cert_find_by_id(t->tok, NULL, 0, &c), MK_E_INVALID);
    assert_null(c);
    free_identity(&id);
}

static void test_store_errors(void **state)
{
    p11t *t = *state;
    identity id;
    make_identity(t, P11_KEY_EC, 256, "dup", &id);
    size_t kid_len = 0;
    const uint8_t *kid = p11_key_id(id.key, &kid_len);
    P11T_OK(p11_cert_store(t->tok, id.der, (size_t)id.der_len, kid, kid_len, "dup", NULL));
    /* A second certificate with the same id, or the same label, is refused. */
    P11T_FAILS(p11_cert_store(t->tok, id.der, (size_t)id.der_len, kid, kid_len, "other", NULL),
               MK_E_EXISTS);
    P11T_FAILS(
        p11_cert_store(t->tok, id.der, (size_t)id.der_len, (const uint8_t *)"\x01", 1, "dup", NULL),
        MK_E_EXISTS);
    /* Not DER, trailing bytes, empty, no id, no label. */
    P11T_FAILS(p11_cert_store(t->tok, (const uint8_t *)"garbage", 7, kid, kid_len, "g", NULL),
               MK_E_INVALID);
    unsigned char *longer = malloc((size_t)id.der_len + 1);
    memcpy(longer, id.der, (size_t)id.der_len);
    longer[id.der_len] = 0;
    P11T_FAILS(p11_cert_store(t->tok, longer, (size_t)id.der_len + 1, (const uint8_t *)"\x02", 1,
                              "t", NULL),
               MK_E_INVALID);
    free(longer);
    P11T_FAILS(p11_cert_store(t->tok, id.der, 0, kid, kid_len, "z", NULL), MK_E_INVALID);
    P11T_FAILS(p11_cert_store(t->tok, id.der, (size_t)id.der_len, NULL, 0, "z", NULL),
               MK_E_INVALID);
    P11T_FAILS(
        p11_cert_store(t->tok, id.der, (size_t)id.der_len, (const uint8_t *)"\x03", 1, "", NULL),
        MK_E_INVALID);
    free_identity(&id);
}

static void test_enumerate_and_destroy(void **state)
{
    p11t *t = *state;
    identity a, b;
    make_identity(t, P11_KEY_EC, 384, "alice", &a);
    make_identity(t, P11_KEY_RSA, 2048, "bob", &b);
    size_t la = 0, lb = 0;
    const uint8_t *ida = p11_key_id(a.key, &la);
    const uint8_t *idb = p11_key_id(b.key, &lb);
    P11T_OK(p11_cert_store(t->tok, a.der, (size_t)a.der_len, ida, la, "alice", NULL));
    P11T_OK(p11_cert_store(t->tok, b.der, (size_t)b.der_len, idb, lb, "bob", NULL));

    p11_uri *sel = NULL;
    P11T_OK(p11_uri_new(&sel));
    p11_object_list *l = NULL;
    P11T_OK(p11_objects_find_all(t->tok, sel, &l));
    assert_int_equal(p11_object_list_count(l), 6);
    /* Private keys first, then public keys, then certificates. */
    assert_int_equal(p11_object_list_kind(l, 0), P11_OBJ_PRIVATE_KEY);
    assert_int_equal(p11_object_list_kind(l, 1), P11_OBJ_PRIVATE_KEY);
    assert_int_equal(p11_object_list_kind(l, 2), P11_OBJ_PUBLIC_KEY);
    assert_int_equal(p11_object_list_kind(l, 4), P11_OBJ_CERT);
    assert_non_null(p11_object_list_key(l, 0));
    assert_null(p11_object_list_cert(l, 0));
    assert_null(p11_object_list_key(l, 5));
    assert_non_null(p11_object_list_cert(l, 5));
    /* A listed private key is a working key (the provider's STORE hands these out). */
    p11_key *k = p11_key_ref(p11_object_list_key(l, 0));
    p11_object_list_free(l);
    uint8_t sig[512];
    size_t sig_len = sizeof(sig);
    P11T_OK(p11t_sign_sha256(k, (const uint8_t *)"listed", 6, sig, &sig_len));
    p11_key_unref(k);

    P11T_OK(p11_uri_set(sel, P11_URI_OBJECT, "alice"));
    P11T_OK(p11_objects_find_all(t->tok, sel, &l));
    assert_int_equal(p11_object_list_count(l), 3);
    p11_object_list_free(l);
    p11_uri_set_type(sel, P11_URI_TYPE_CERT);
    P11T_OK(p11_objects_find_all(t->tok, sel, &l));
    assert_int_equal(p11_object_list_count(l), 1);
    assert_string_equal(p11_cert_label(p11_object_list_cert(l, 0)), "alice");
    p11_object_list_free(l);
    p11_uri_set_type(sel, P11_URI_TYPE_SECRET_KEY);
    P11T_FAILS(p11_objects_find_all(t->tok, sel, &l), MK_E_INVALID);
    P11T_OK(p11_uri_set(sel, P11_URI_OBJECT, "nobody"));
    p11_uri_set_type(sel, P11_URI_TYPE_ANY);
    P11T_OK(p11_objects_find_all(t->tok, sel, &l));
    assert_int_equal(p11_object_list_count(l), 0);
    p11_object_list_free(l);

    /* Destroying alice's id removes her private key, public key and certificate. */
    size_t n = 0;
    P11T_OK(p11_token_destroy_id(t->tok, ida, la, &n));
    assert_int_equal(n, 3);
    P11T_OK(p11_uri_set(sel, P11_URI_OBJECT, NULL));
    P11T_OK(p11_objects_find_all(t->tok, sel, &l));
    assert_int_equal(p11_object_list_count(l), 3);
    p11_object_list_free(l);
    P11T_FAILS(p11_token_destroy_id(t->tok, NULL, 0, &n), MK_E_INVALID);
    p11_uri_free(sel);
    free_identity(&a);
    free_identity(&b);
}

/* An EC private key whose public key object is gone takes its point from the certificate. */
static void test_ec_point_from_cert(void **state)
{
    p11t *t = *state;
    identity id;
    make_identity(t, P11_KEY_EC, 256, "ecc", &id);
    size_t kid_len = 0;
    const uint8_t *kid = p11_key_id(id.key, &kid_len);
    P11T_OK(p11_cert_store(t->tok, id.der, (size_t)id.der_len, kid, kid_len, "ecc", NULL));
    /* Remove the public key object with raw Cryptoki. */
    CK_FUNCTION_LIST *f = p11_module_functions(p11_token_module(t->tok));
    CK_SESSION_HANDLE s;
    assert_int_equal(f->C_OpenSession(p11_token_get_info(t->tok)->slot_id,
                                      CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s),
                     CKR_OK);
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)kid, kid_len}};
    CK_OBJECT_HANDLE h;
    CK_ULONG n = 0;
    assert_int_equal(f->C_FindObjectsInit(s, tmpl, 2), CKR_OK);
    assert_int_equal(f->C_FindObjects(s, &h, 1, &n), CKR_OK);
    assert_int_equal(f->C_FindObjectsFinal(s), CKR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(f->C_DestroyObject(s, h), CKR_OK);
    assert_int_equal(f->C_CloseSession(s), CKR_OK);

    p11_key *k = NULL;
    P11T_OK(p11_key_find_by_id(t->tok, kid, kid_len, &k));
    size_t l1 = 0, l2 = 0;
    const uint8_t *p1 = p11_key_ec_point(id.key, &l1);
    const uint8_t *p2 = p11_key_ec_point(k, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(p1, p2, l1);
    p11_key_unref(k);
    free_identity(&id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_and_find, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_store_errors, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_enumerate_and_destroy, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_ec_point_from_cert, p11t_setup, p11t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
