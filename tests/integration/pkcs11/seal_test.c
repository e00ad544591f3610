/*
 * The master-key protector on a real token: generation with its policy
 * report, finding it by label and id, seal/unseal round trips, and every way
 * a blob must be refused (any flipped byte, another protector's blob, a blob
 * re-labelled to name another protector, a deleted protector).
 */
#include "p11test.h"

#include "mk/buf.h"
#include "mk/secret.h"
#include "p11/keygen.h"
#include "p11/protector.h"
#include "p11/seal_blob.h"

static int contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++) {
        if (memcmp(hay + i, needle, m) == 0) {
            return 1;
        }
    }
    return 0;
}

static p11_protector *make(p11t *t, const char *label)
{
    p11_protector *p = NULL;
    P11T_OK(p11_protector_generate(t->tok, label, &p, NULL));
    return p;
}

static void test_generate_policy(void **state)
{
    p11t *t = *state;
    p11_policy_report r;
    p11_protector *p = NULL;
    P11T_OK(p11_protector_generate(t->tok, "mk-protector", &p, &r));
    assert_true(r.pass);
    static const struct {
        CK_ATTRIBUTE_TYPE a;
        p11_policy_expect e;
    } want[] = {
        {CKA_TOKEN, P11_EXPECT_TRUE},        {CKA_PRIVATE, P11_EXPECT_TRUE},
        {CKA_SENSITIVE, P11_EXPECT_TRUE},    {CKA_ALWAYS_SENSITIVE, P11_EXPECT_TRUE},
        {CKA_EXTRACTABLE, P11_EXPECT_FALSE}, {CKA_NEVER_EXTRACTABLE, P11_EXPECT_TRUE},
        {CKA_LOCAL, P11_EXPECT_TRUE},        {CKA_ENCRYPT, P11_EXPECT_TRUE},
        {CKA_DECRYPT, P11_EXPECT_TRUE},      {CKA_SIGN, P11_EXPECT_FALSE},
        {CKA_VERIFY, P11_EXPECT_FALSE},      {CKA_WRAP, P11_EXPECT_FALSE},
        {CKA_UNWRAP, P11_EXPECT_FALSE},      {CKA_DERIVE, P11_EXPECT_FALSE},
        {CKA_VALUE, P11_EXPECT_SENSITIVE},
    };
    assert_int_equal(r.count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const p11_policy_check *c = p11_policy_report_find(&r, want[i].a);
        assert_non_null(c);
        assert_int_equal(c->expect, want[i].e);
        assert_true(c->ok);
        assert_int_equal(c->rv,
                         want[i].e == P11_EXPECT_SENSITIVE ? CKR_ATTRIBUTE_SENSITIVE : CKR_OK);
    }
    assert_non_null(strstr(r.object, "AES secret key 'mk-protector'"));
    size_t id_len = 0;
    assert_non_null(p11_protector_id(p, &id_len));
    assert_int_equal(id_len, P11_ID_LEN);
    assert_string_equal(p11_protector_label(p), "mk-protector");
    p11_policy_report again;
    P11T_OK(p11_protector_policy_check(p, &again));
    assert_true(again.pass);
    p11_protector_free(p);
}

static void test_find(void **state)
{
    p11t *t = *state;
    p11_protector *p = make(t, "findme");
    p11_protector *f = NULL;
    P11T_OK(p11_protector_find_label(t->tok, "findme", &f));
    size_t l1 = 0, l2 = 0;
    const uint8_t *id1 = p11_protector_id(p, &l1);
    const uint8_t *id2 = p11_protector_id(f, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(id1, id2, l1);
    p11_protector_free(f);
    P11T_OK(p11_protector_find_id(t->tok, id1, l1, &f));
    assert_string_equal(p11_protector_label(f), "findme");
    p11_protector_free(f);
    f = NULL;
    P11T_FAILS(p11_protector_find_label(t->tok, "nothere", &f), MK_E_NOT_FOUND);
    P11T_FAILS(p11_protector_find_label(t->tok, "", &f), MK_E_INVALID);
    P11T_FAILS(p11_protector_find_id(t->tok, NULL, 0, &f), MK_E_INVALID);
    P11T_FAILS(p11_protector_generate(t->tok, "findme", &f, NULL), MK_E_EXISTS);
    /* A key pair's label is not a protector. */
    p11_keygen_params kp = {P11_KEY_EC, 256, "a-keypair"};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(t->tok, &kp, &k, NULL));
    P11T_FAILS(p11_protector_find_label(t->tok, "a-keypair", &f), MK_E_NOT_FOUND);
    assert_null(f);
    p11_key_unref(k);
    p11_protector_free(p);
}

static void test_round_trip(void **state)
{
    p11t *t = *state;
    p11_protector *p = make(t, "prot");
    uint8_t master[32];
    P11T_OK(p11_token_random(t->tok, master, sizeof(master)));
    mk_buf b1, b2;
    mk_buf_init(&b1, 0);
    mk_buf_init(&b2, 0);
    P11T_OK(p11_seal(p, master, sizeof(master), &b1));
    P11T_OK(p11_seal(p, master, sizeof(master), &b2));
    /* Fresh IV each time: same plaintext, different blobs. */
    assert_int_equal(b1.len, b2.len);
    assert_memory_not_equal(b1.data, b2.data, b1.len);

    p11_seal_blob parsed;
    P11T_OK(p11_seal_blob_parse(b1.data, b1.len, &parsed));
    assert_int_equal(parsed.ct_len, sizeof(master) + P11_SEAL_TAG_LEN);
    assert_int_equal(parsed.label_len, 4);
    assert_memory_equal(parsed.label, "prot", 4);
    assert_false(contains(b1.data, b1.len, master, sizeof(master))); /* not in the clear */

    mk_secret *out = NULL;
    P11T_OK(p11_unseal(t->tok, b1.data, b1.len, &out));
    assert_int_equal(mk_secret_len(out), sizeof(master));
    assert_memory_equal(mk_secret_cdata(out), master, sizeof(master));
    mk_secret_free(out);
    P11T_OK(p11_unseal_with(p, b2.data, b2.len, &out));
    assert_memory_equal(mk_secret_cdata(out), master, sizeof(master));
    mk_secret_free(out);

    /* Size limits. */
    mk_buf_reset(&b1);
    P11T_FAILS(p11_seal(p, master, 0, &b1), MK_E_INVALID);
    P11T_FAILS(p11_seal(p, NULL, 4, &b1), MK_E_INVALID);
    uint8_t *big = calloc(1, P11_SEAL_PLAINTEXT_MAX + 1);
    P11T_FAILS(p11_seal(p, big, P11_SEAL_PLAINTEXT_MAX + 1, &b1), MK_E_INVALID);
    P11T_OK(p11_seal(p, big, P11_SEAL_PLAINTEXT_MAX, &b1));
    P11T_OK(p11_unseal(t->tok, b1.data, b1.len, &out));
    assert_int_equal(mk_secret_len(out), P11_SEAL_PLAINTEXT_MAX);
    mk_secret_free(out);
    free(big);
    mk_buf_cleanup(&b1);
    mk_buf_cleanup(&b2);
    p11_protector_free(p);
}

static void test_every_flipped_byte_refused(void **state)
{
    p11t *t = *state;
    p11_protector *p = make(t, "flip");
    static const uint8_t secret[] = "0123456789abcdef0123456789abcdef";
    mk_buf b;
    mk_buf_init(&b, 0);
    P11T_OK(p11_seal(p, secret, sizeof(secret), &b));
    for (size_t i = 0; i < b.len; i++) {
        b.data[i] ^= 0x01;
        mk_secret *out = NULL;
        mk_error_clear();
        if (mk_ok(p11_unseal(t->tok, b.data, b.len, &out))) {
            fail_msg("flipped byte %zu of %zu was accepted", i, b.len);
        }
        mk_err e = mk_error_code();
        if (e != MK_E_CRYPTO && e != MK_E_INVALID && e != MK_E_NOT_FOUND && e != MK_E_TOOBIG &&
            e != MK_E_BOUNDS) {
            fail_msg("byte %zu: unexpected %s: %s", i, mk_err_name(e), mk_error_message());
        }
        b.data[i] ^= 0x01;
    }
    /* Ciphertext and tag bytes specifically fail authentication. */
    b.data[b.len - 1] ^= 0x80;
    mk_secret *out = NULL;
    P11T_FAILS(p11_unseal(t->tok, b.data, b.len, &out), MK_E_CRYPTO);
    print_message("%s\n", mk_error_message());
    assert_non_null(strstr(mk_error_message(), "C_Decrypt failed: CKR_"));
    b.data[b.len - 1] ^= 0x80;
    /* Unchanged, it still opens: the loop restored every byte. */
    P11T_OK(p11_unseal(t->tok, b.data, b.len, &out));
    mk_secret_free(out);
    /* Truncated and extended. */
    P11T_FAILS(p11_unseal(t->tok, b.data, b.len - 1, &out), MK_E_BOUNDS);
    P11T_OK(mk_buf_put_u8(&b, 0));
    P11T_FAILS(p11_unseal(t->tok, b.data, b.len, &out), MK_E_INVALID);
    mk_buf_cleanup(&b);
    p11_protector_free(p);
}

static void test_other_protector_refused(void **state)
{
    p11t *t = *state;
    p11_protector *p1 = make(t, "first");
    p11_protector *p2 = make(t, "second");
    static const uint8_t secret[] = "database master key";
    mk_buf b;
    mk_buf_init(&b, 0);
    P11T_OK(p11_seal(p1, secret, sizeof(secret), &b));
    mk_secret *out = NULL;
    /* Handing p1's blob to p2. */
    P11T_FAILS(p11_unseal_with(p2, b.data, b.len, &out), MK_E_NOT_FOUND);
    assert_non_null(strstr(mk_error_message(), "'second'"));

    /* Rewrite the blob to name p2 (id and label): p2's key cannot authenticate it. */
    p11_seal_blob parsed;
    P11T_OK(p11_seal_blob_parse(b.data, b.len, &parsed));
    size_t id_len = 0;
    const uint8_t *id2 = p11_protector_id(p2, &id_len);
    p11_seal_blob forged = parsed;
    forged.id = id2;
    forged.id_len = id_len;
    forged.label = (const uint8_t *)"second";
    forged.label_len = 6;
    mk_buf f;
    mk_buf_init(&f, 0);
    P11T_OK(p11_seal_blob_write(&forged, &f));
    P11T_FAILS(p11_unseal(t->tok, f.data, f.len, &out), MK_E_CRYPTO);
    /* Same id, wrong label: refused before decrypting. */
    mk_buf_reset(&f);
    forged.id = parsed.id;
    forged.id_len = parsed.id_len;
    P11T_OK(p11_seal_blob_write(&forged, &f));
    P11T_FAILS(p11_unseal(t->tok, f.data, f.len, &out), MK_E_INVALID);
    assert_non_null(strstr(mk_error_message(), "label"));

    /* After p1 is destroyed its blobs name a protector that is not there. */
    size_t n = 0;
    size_t id1_len = 0;
    const uint8_t *id1 = p11_protector_id(p1, &id1_len);
    P11T_OK(p11_token_destroy_id(t->tok, id1, id1_len, &n));
    assert_int_equal(n, 1);
    P11T_FAILS(p11_unseal(t->tok, b.data, b.len, &out), MK_E_NOT_FOUND);
    /* And the protector object in hand cannot use its stale handle either. */
    P11T_FAILS(p11_unseal_with(p1, b.data, b.len, &out), MK_E_NOT_FOUND);
    assert_null(out);
    mk_buf_cleanup(&f);
    mk_buf_cleanup(&b);
    p11_protector_free(p1);
    p11_protector_free(p2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_generate_policy, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_find, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_every_flipped_byte_refused, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_other_protector_refused, p11t_setup, p11t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
