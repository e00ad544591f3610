/*
 * Key-pair generation on a real SoftHSM2 token: the template lands on the
 * token (policy report asserted attribute by attribute), sizes and curves,
 * public components, label uniqueness, parameter errors, and finding the
 * keys again by URI.
 */
#include "p11test.h"

#include "mk/buf.h"
#include "p11/keygen.h"
#include "p11/objects.h"
#include "p11/protector.h"
#include "p11/uri.h"

static void want_check(const p11_policy_report *r, CK_ATTRIBUTE_TYPE attr, p11_policy_expect e)
{
    const p11_policy_check *c = p11_policy_report_find(r, attr);
    if (c == NULL) {
        fail_msg("attribute 0x%lx missing from the report", (unsigned long)attr);
        return;
    }
    assert_int_equal(c->expect, e);
    assert_true(c->ok);
    if (e == P11_EXPECT_SENSITIVE) {
        assert_int_equal(c->rv, CKR_ATTRIBUTE_SENSITIVE);
    } else {
        assert_int_equal(c->rv, CKR_OK);
        assert_int_equal(c->value, e == P11_EXPECT_TRUE);
    }
}

/* The attributes every private key must show. */
static void expect_common(const p11_policy_report *r)
{
    assert_true(r->pass);
    want_check(r, CKA_TOKEN, P11_EXPECT_TRUE);
    want_check(r, CKA_PRIVATE, P11_EXPECT_TRUE);
    want_check(r, CKA_SENSITIVE, P11_EXPECT_TRUE);
    want_check(r, CKA_ALWAYS_SENSITIVE, P11_EXPECT_TRUE);
    want_check(r, CKA_EXTRACTABLE, P11_EXPECT_FALSE);
    want_check(r, CKA_NEVER_EXTRACTABLE, P11_EXPECT_TRUE);
    want_check(r, CKA_LOCAL, P11_EXPECT_TRUE);
    want_check(r, CKA_SIGN, P11_EXPECT_TRUE);
    want_check(r, CKA_UNWRAP, P11_EXPECT_FALSE);
    want_check(r, CKA_DERIVE, P11_EXPECT_FALSE);
}

static void test_rsa2048_policy(void **state)
{
    p11t *t = *state;
    p11_keygen_params p = {P11_KEY_RSA, 2048, "endpoint-rsa"};
    p11_policy_report r;
    p11_key *k = NULL;
    P11T_OK(p11_keygen(t->tok, &p, &k, &r));
    expect_common(&r);
    want_check(&r, CKA_DECRYPT, P11_EXPECT_TRUE);
    want_check(&r, CKA_PRIVATE_EXPONENT, P11_EXPECT_SENSITIVE);
    want_check(&r, CKA_PRIME_1, P11_EXPECT_SENSITIVE);
    want_check(&r, CKA_PRIME_2, P11_EXPECT_SENSITIVE);
    assert_null(p11_policy_report_find(&r, CKA_VALUE));
    assert_non_null(strstr(r.object, "RSA private key 'endpoint-rsa'"));

    assert_int_equal(p11_key_get_type(k), P11_KEY_RSA);
    assert_true(p11_key_has_private(k));
    assert_int_equal(p11_key_bits(k), 2048);
    assert_int_equal(p11_key_max_signature_len(k), 256);
    assert_string_equal(p11_key_label(k), "endpoint-rsa");
    size_t len = 0;
    assert_non_null(p11_key_id(k, &len));
    assert_int_equal(len, P11_ID_LEN);
    const uint8_t *mod = p11_key_rsa_modulus(k, &len);
    assert_int_equal(len, 256);
    assert_true(mod[0] & 0x80);
    const uint8_t *exp = p11_key_rsa_exponent(k, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(exp, "\x01\x00\x01", 3);
    assert_null(p11_key_ec_point(k, &len));
    assert_int_equal(len, 0);

    /* The report can be produced again later (the ceremony's re-check). */
    p11_policy_report again;
    P11T_OK(p11_key_policy_check(k, &again));
    assert_true(again.pass);
    assert_int_equal(again.count, r.count);
    p11_key_unref(k);
}

static void test_rsa_default_is_3072(void **state)
{
    p11t *t = *state;
    p11_keygen_params p = {P11_KEY_RSA, 0, "rsa-default"};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(t->tok, &p, &k, NULL));
    assert_int_equal(p11_key_bits(k), 3072);
    assert_int_equal(p11_key_max_signature_len(k), 384);
    p11_key_unref(k);
}

static void check_ec(p11t *t, unsigned bits, const char *label)
{
    p11_keygen_params p = {P11_KEY_EC, bits, label};
    p11_policy_report r;
    p11_key *k = NULL;
    P11T_OK(p11_keygen(t->tok, &p, &k, &r));
    expect_common(&r);
    want_check(&r, CKA_DECRYPT, P11_EXPECT_FALSE);
    want_check(&r, CKA_VALUE, P11_EXPECT_SENSITIVE);
    assert_null(p11_policy_report_find(&r, CKA_PRIVATE_EXPONENT));
    assert_int_equal(p11_key_get_type(k), P11_KEY_EC);
    assert_int_equal(p11_key_bits(k), bits);
    size_t len = 0;
    const uint8_t *pt = p11_key_ec_point(k, &len);
    size_t field = bits / 8;
    assert_int_equal(len, 1 + 2 * field); /* unwrapped: no DER OCTET STRING header */
    assert_int_equal(pt[0], 0x04);
    const uint8_t *params = p11_key_ec_params(k, &len);
    assert_int_equal(params[0], 0x06); /* a named-curve OID */
    assert_int_equal(p11_key_max_signature_len(k), 2 * field);
    assert_null(p11_key_rsa_modulus(k, &len));
    /* The point is a real point on the curve: OpenSSL accepts the public key. */
    EVP_PKEY *pub = p11t_pubkey(k);
    assert_non_null(pub);
    EVP_PKEY_free(pub);
    p11_key_unref(k);
}

static void test_ec_p256(void **state) { check_ec(*state, 256, "ec-256"); }
static void test_ec_p384(void **state) { check_ec(*state, 384, "ec-384"); }

static void test_duplicate_label_refused(void **state)
{
    p11t *t = *state;
    p11_keygen_params p = {P11_KEY_EC, 256, "twice"};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(t->tok, &p, &k, NULL));
    p11_key *k2 = NULL;
    P11T_FAILS(p11_keygen(t->tok, &p, &k2, NULL), MK_E_EXISTS);
    assert_non_null(strstr(mk_error_message(), "'twice'"));
    /* Any class counts: a protector's label blocks a key pair too, and the reverse. */
    p11_protector *prot = NULL;
    P11T_OK(p11_protector_generate(t->tok, "prot-label", &prot, NULL));
    p11_keygen_params p2 = {P11_KEY_RSA, 2048, "prot-label"};
    P11T_FAILS(p11_keygen(t->tok, &p2, &k2, NULL), MK_E_EXISTS);
    P11T_FAILS(p11_protector_generate(t->tok, "twice", &prot, NULL), MK_E_EXISTS);
    /* Still exactly one private key named "twice". */
    p11_uri *sel = NULL;
    P11T_OK(p11_uri_parse("pkcs11:object=twice;type=private", &sel));
    P11T_OK(p11_key_find(t->tok, sel, &k2));
    p11_key_unref(k2);
    p11_uri_free(sel);
    p11_protector_free(prot);
    p11_key_unref(k);
}

static void test_bad_params(void **state)
{
    p11t *t = *state;
    p11_key *k = NULL;
    p11_keygen_params rsa1024 = {P11_KEY_RSA, 1024, "x"};
    P11T_FAILS(p11_keygen(t->tok, &rsa1024, &k, NULL), MK_E_INVALID);
    p11_keygen_params ec521 = {P11_KEY_EC, 521, "x"};
    P11T_FAILS(p11_keygen(t->tok, &ec521, &k, NULL), MK_E_INVALID);
    p11_keygen_params notype = {(p11_key_type)7, 256, "x"};
    P11T_FAILS(p11_keygen(t->tok, &notype, &k, NULL), MK_E_INVALID);
    p11_keygen_params nolabel = {P11_KEY_EC, 256, ""};
    P11T_FAILS(p11_keygen(t->tok, &nolabel, &k, NULL), MK_E_INVALID);
    p11_keygen_params nulllabel = {P11_KEY_EC, 256, NULL};
    P11T_FAILS(p11_keygen(t->tok, &nulllabel, &k, NULL), MK_E_INVALID);
    char longlabel[P11_LABEL_MAX + 2];
    memset(longlabel, 'a', sizeof(longlabel) - 1);
    longlabel[sizeof(longlabel) - 1] = '\0';
    p11_keygen_params toolong = {P11_KEY_EC, 256, longlabel};
    P11T_FAILS(p11_keygen(t->tok, &toolong, &k, NULL), MK_E_INVALID);
    p11_keygen_params ctl = {P11_KEY_EC, 256, "bad\nlabel"};
    P11T_FAILS(p11_keygen(t->tok, &ctl, &k, NULL), MK_E_INVALID);
    P11T_FAILS(p11_keygen(t->tok, NULL, &k, NULL), MK_E_INVALID);
    assert_null(k);
}

static void test_render(void **state)
{
    p11t *t = *state;
    p11_keygen_params p = {P11_KEY_EC, 256, "render-me"};
    p11_policy_report r;
    p11_key *k = NULL;
    P11T_OK(p11_keygen(t->tok, &p, &k, &r));
    mk_buf b;
    mk_buf_init(&b, 0);
    P11T_OK(p11_policy_render(&r, &b));
    const char *text = (const char *)b.data;
    size_t lines = 0;
    for (const char *c = text; *c != '\0'; c++) {
        lines += *c == '\n';
    }
    assert_int_equal(lines, r.count + 1);
    assert_non_null(strstr(text, "CKA_SENSITIVE"));
    assert_non_null(strstr(text, "CKA_VALUE                expect CKR_ATTRIBUTE_SENSITIVE  token: "
                                 "CKR_ATTRIBUTE_SENSITIVE"));
    assert_non_null(strstr(text, "policy for EC private key 'render-me': PASS"));
    assert_null(strstr(text, "FAIL"));

    /* A failing check renders as FAIL and flips the verdict. */
    r.checks[0].ok = false;
    r.pass = false;
    mk_buf_reset(&b);
    P11T_OK(p11_policy_render(&r, &b));
    assert_non_null(strstr((const char *)b.data, "FAIL"));
    assert_non_null(strstr((const char *)b.data, "'render-me': FAIL"));
    mk_buf_cleanup(&b);
    p11_key_unref(k);
}

static void test_find_by_uri(void **state)
{
    p11t *t = *state;
    p11_keygen_params p1 = {P11_KEY_EC, 256, "alpha"};
    p11_keygen_params p2 = {P11_KEY_RSA, 2048, "beta"};
    p11_key *a = NULL, *b = NULL, *f = NULL;
    P11T_OK(p11_keygen(t->tok, &p1, &a, NULL));
    P11T_OK(p11_keygen(t->tok, &p2, &b, NULL));

    /* By label. */
    p11_uri *sel = NULL;
    P11T_OK(p11_uri_parse("pkcs11:object=beta", &sel));
    P11T_OK(p11_key_find(t->tok, sel, &f));
    assert_int_equal(p11_key_get_type(f), P11_KEY_RSA);
    p11_key_unref(f);
    p11_uri_free(sel);

    /* By the key's own URI (id + label + token). */
    mk_buf u;
    mk_buf_init(&u, 0);
    P11T_OK(p11_key_uri(a, &u));
    assert_non_null(strstr((const char *)u.data, "type=private"));
    P11T_OK(p11_uri_parse((const char *)u.data, &sel));
    P11T_OK(p11_key_find(t->tok, sel, &f));
    size_t l1 = 0, l2 = 0;
    const uint8_t *id1 = p11_key_id(a, &l1);
    const uint8_t *id2 = p11_key_id(f, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(id1, id2, l1);
    p11_key_unref(f);
    p11_uri_free(sel);
    mk_buf_cleanup(&u);

    /* By id, public half only. */
    P11T_OK(p11_uri_new(&sel));
    P11T_OK(p11_uri_set_id(sel, id1, l1));
    p11_uri_set_type(sel, P11_URI_TYPE_PUBLIC);
    P11T_OK(p11_key_find(t->tok, sel, &f));
    assert_false(p11_key_has_private(f));
    size_t plen = 0, qlen = 0;
    const uint8_t *pa = p11_key_ec_point(a, &plen);
    const uint8_t *pf = p11_key_ec_point(f, &qlen);
    assert_int_equal(plen, qlen);
    assert_memory_equal(pa, pf, plen);
    uint8_t sig[64];
    size_t sig_len = sizeof(sig);
    P11T_FAILS(p11_key_sign(f, CKM_ECDSA, NULL, 0, (const uint8_t *)"x", 1, sig, &sig_len),
               MK_E_INVALID);
    p11_key_unref(f);
    p11_uri_free(sel);

    /* By id through the direct call. */
    P11T_OK(p11_key_find_by_id(t->tok, id1, l1, &f));
    assert_string_equal(p11_key_label(f), "alpha");
    p11_key_unref(f);

    p11_key_unref(a);
    p11_key_unref(b);
}

static void test_find_errors(void **state)
{
    p11t *t = *state;
    p11_keygen_params p1 = {P11_KEY_EC, 256, "one"};
    p11_keygen_params p2 = {P11_KEY_EC, 256, "two"};
    p11_key *a = NULL, *b = NULL, *f = NULL;
    P11T_OK(p11_keygen(t->tok, &p1, &a, NULL));
    P11T_OK(p11_keygen(t->tok, &p2, &b, NULL));
    p11_uri *sel = NULL;

    /* Two private keys match an empty selector: ambiguous, both listed. */
    P11T_OK(p11_uri_parse("pkcs11:type=private", &sel));
    P11T_FAILS(p11_key_find(t->tok, sel, &f), MK_E_AMBIGUOUS);
    assert_non_null(strstr(mk_error_message(), "'one'"));
    assert_non_null(strstr(mk_error_message(), "'two'"));
    p11_uri_free(sel);

    P11T_OK(p11_uri_parse("pkcs11:object=three", &sel));
    P11T_FAILS(p11_key_find(t->tok, sel, &f), MK_E_NOT_FOUND);
    assert_non_null(strstr(mk_error_message(), "no private key matches"));
    p11_uri_free(sel);

    P11T_OK(p11_uri_parse("pkcs11:object=one;type=cert", &sel));
    P11T_FAILS(p11_key_find(t->tok, sel, &f), MK_E_INVALID);
    p11_uri_free(sel);

    P11T_FAILS(p11_key_find_by_id(t->tok, (const uint8_t *)"\x01\x02", 2, &f), MK_E_NOT_FOUND);
    assert_non_null(strstr(mk_error_message(), "id 0102"));
    P11T_FAILS(p11_key_find_by_id(t->tok, NULL, 0, &f), MK_E_INVALID);
    assert_null(f);
    p11_key_unref(a);
    p11_key_unref(b);
}

static size_t count_label(p11t *t, const char *label)
{
    p11_uri *sel = NULL;
    P11T_OK(p11_uri_new(&sel));
    P11T_OK(p11_uri_set(sel, P11_URI_OBJECT, label));
    p11_object_list *l = NULL;
    P11T_OK(p11_objects_find_all(t->tok, sel, &l));
    size_t n = p11_object_list_count(l);
    p11_object_list_free(l);
    p11_uri_free(sel);
    return n;
}

/* A key pair that fails the report is destroyed, and its label is free again. */
static void test_policy_failure_destroys(void **state)
{
    p11t *t = *state;
    p11_policy_debug_fail(CKA_NEVER_EXTRACTABLE);
    p11_keygen_params p = {P11_KEY_RSA, 2048, "doomed"};
    p11_policy_report r;
    p11_key *k = NULL;
    mk_error_clear();
    mk_result res = p11_keygen(t->tok, &p, &k, &r);
    p11_policy_debug_fail((CK_ATTRIBUTE_TYPE)-1);
    assert_true(mk_failed(res));
    assert_int_equal(mk_error_code(), MK_E_POLICY);
    assert_non_null(strstr(mk_error_message(), "'doomed' does not meet the attribute policy"));
    assert_null(k);
    assert_false(r.pass);
    const p11_policy_check *c = p11_policy_report_find(&r, CKA_NEVER_EXTRACTABLE);
    assert_false(c->ok);
    assert_int_equal(c->rv, CKR_OK); /* what the token said is kept */
    assert_true(c->value);
    assert_true(p11_policy_report_find(&r, CKA_SENSITIVE)->ok);
    assert_int_equal(count_label(t, "doomed"), 0);
    P11T_OK(p11_keygen(t->tok, &p, &k, &r));
    assert_true(r.pass);
    assert_int_equal(count_label(t, "doomed"), 2);
    p11_key_unref(k);

    p11_policy_debug_fail(CKA_VALUE);
    p11_protector *prot = NULL;
    mk_error_clear();
    res = p11_protector_generate(t->tok, "doomed-prot", &prot, &r);
    p11_policy_debug_fail((CK_ATTRIBUTE_TYPE)-1);
    assert_true(mk_failed(res));
    assert_int_equal(mk_error_code(), MK_E_POLICY);
    assert_false(p11_policy_report_find(&r, CKA_VALUE)->ok);
    P11T_FAILS(p11_protector_find_label(t->tok, "doomed-prot", &prot), MK_E_NOT_FOUND);
}

/*
 * A weak key made behind our back (raw Cryptoki: extractable, not sensitive):
 * the report says exactly what the token said and fails.
 */
static void test_report_on_weak_key(void **state)
{
    p11t *t = *state;
    CK_FUNCTION_LIST *f = p11_module_functions(p11_token_module(t->tok));
    CK_SESSION_HANDLE s;
    assert_int_equal(f->C_OpenSession(p11_token_get_info(t->tok)->slot_id,
                                      CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s),
                     CKR_OK);
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG bits = 2048;
    uint8_t id[] = {0xee, 0x01};
    CK_ATTRIBUTE pub[] = {
        {CKA_TOKEN, &yes, 1}, {CKA_MODULUS_BITS, &bits, sizeof(bits)}, {CKA_ID, id, sizeof(id)}};
    CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &yes, 1},    {CKA_PRIVATE, &yes, 1},
                           {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1},
                           {CKA_SIGN, &yes, 1},     {CKA_ID, id, sizeof(id)},
                           {CKA_LABEL, "weak", 4}};
    CK_MECHANISM mech = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_OBJECT_HANDLE hp, hk;
    assert_int_equal(f->C_GenerateKeyPair(s, &mech, pub, 3, priv, 7, &hp, &hk), CKR_OK);
    assert_int_equal(f->C_CloseSession(s), CKR_OK);

    p11_key *k = NULL;
    P11T_OK(p11_key_find_by_id(t->tok, id, sizeof(id), &k));
    p11_policy_report r;
    P11T_OK(p11_key_policy_check(k, &r));
    assert_false(r.pass);
    const p11_policy_check *c = p11_policy_report_find(&r, CKA_SENSITIVE);
    assert_false(c->ok);
    assert_false(c->value);
    c = p11_policy_report_find(&r, CKA_EXTRACTABLE);
    assert_false(c->ok);
    assert_true(c->value);
    c = p11_policy_report_find(&r, CKA_PRIVATE_EXPONENT);
    assert_false(c->ok);
    assert_int_equal(c->rv, CKR_OK); /* the token handed the exponent out */
    assert_true(p11_policy_report_find(&r, CKA_TOKEN)->ok);
    mk_buf b;
    mk_buf_init(&b, 0);
    P11T_OK(p11_policy_render(&r, &b));
    assert_non_null(strstr((const char *)b.data, "token: readable"));
    assert_non_null(strstr((const char *)b.data, "'weak': FAIL"));
    mk_buf_cleanup(&b);
    p11_key_unref(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rsa2048_policy, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_rsa_default_is_3072, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_ec_p256, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_ec_p384, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_label_refused, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_bad_params, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_render, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_find_by_uri, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_find_errors, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_policy_failure_destroys, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_report_on_weak_key, p11t_setup, p11t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
