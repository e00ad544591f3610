/*
 * Password verifiers (PBKDF2-HMAC-SHA256) and the SQL Server password policy.
 */
#include "cat_fixture.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "catalog/verifier.h"

#define PW(s) (const uint8_t *)(s), strlen(s)

static int set_fast(void **state)
{
    (void)state;
    cat_verifier_set_iterations_for_tests(1000);
    return 0;
}

static void test_correct_and_wrong_password(void **state)
{
    (void)state;
    cat_verifier v;
    bool match = false;
    assert_cat_ok(cat_verifier_make(PW("1Sample_Strong_Password!@#"), &v));
    assert_cat_ok(cat_verifier_check(&v, PW("1Sample_Strong_Password!@#"), &match));
    assert_true(match);
    assert_cat_ok(cat_verifier_check(&v, PW("1sample_Strong_Password!@#"), &match));
    assert_false(match);
    assert_cat_ok(cat_verifier_check(&v, PW("1Sample_Strong_Password!@"), &match));
    assert_false(match);
    assert_cat_ok(cat_verifier_check(&v, NULL, 0, &match));
    assert_false(match);
}

static void test_empty_password(void **state)
{
    (void)state;
    cat_verifier v;
    bool match = false;
    assert_cat_ok(cat_verifier_make(NULL, 0, &v));
    assert_cat_ok(cat_verifier_check(&v, (const uint8_t *)"", 0, &match));
    assert_true(match);
    assert_cat_ok(cat_verifier_check(&v, PW("x"), &match));
    assert_false(match);
}

static void test_salt_is_random(void **state)
{
    (void)state;
    cat_verifier a, b;
    assert_cat_ok(cat_verifier_make(PW("same password"), &a));
    assert_cat_ok(cat_verifier_make(PW("same password"), &b));
    assert_memory_not_equal(a.salt, b.salt, CAT_VERIFIER_SALT_LEN);
    assert_memory_not_equal(a.hash, b.hash, CAT_VERIFIER_HASH_LEN);
}

static void test_iterations_stored_and_default(void **state)
{
    (void)state;
    cat_verifier v;
    assert_int_equal(cat_verifier_iterations(), 1000);
    assert_cat_ok(cat_verifier_make(PW("pw"), &v));
    assert_int_equal(v.iterations, 1000);

    cat_verifier_set_iterations_for_tests(0);
    assert_int_equal(cat_verifier_iterations(), CAT_PBKDF2_MIN_ITERATIONS);
    assert_true(CAT_PBKDF2_MIN_ITERATIONS >= 600000);
    cat_verifier slow;
    assert_cat_ok(cat_verifier_make(PW("pw"), &slow));
    assert_int_equal(slow.iterations, CAT_PBKDF2_MIN_ITERATIONS);

    /* A verifier keeps working with its own count after the default changes. */
    cat_verifier_set_iterations_for_tests(1000);
    bool match = false;
    assert_cat_ok(cat_verifier_check(&slow, PW("pw"), &match));
    assert_true(match);
}

static void test_is_pbkdf2_hmac_sha256(void **state)
{
    (void)state;
    cat_verifier v = {.iterations = 7};
    for (size_t i = 0; i < sizeof(v.salt); i++) {
        v.salt[i] = (uint8_t)i;
    }
    assert_int_equal(PKCS5_PBKDF2_HMAC("secret", 6, v.salt, sizeof(v.salt), 7, EVP_sha256(),
                                       sizeof(v.hash), v.hash),
                     1);
    bool match = false;
    assert_cat_ok(cat_verifier_check(&v, PW("secret"), &match));
    assert_true(match);
    /* Same inputs with SHA-1 must not verify. */
    assert_int_equal(PKCS5_PBKDF2_HMAC("secret", 6, v.salt, sizeof(v.salt), 7, EVP_sha1(),
                                       sizeof(v.hash), v.hash),
                     1);
    assert_cat_ok(cat_verifier_check(&v, PW("secret"), &match));
    assert_false(match);
}

static void test_verifier_errors(void **state)
{
    (void)state;
    cat_verifier v;
    bool match = true;
    assert_cat_fail(cat_verifier_make(NULL, 3, &v), MK_E_INVALID, CAT_R_NONE);
    assert_cat_fail(cat_verifier_make(PW("x"), NULL), MK_E_INVALID, CAT_R_NONE);
    uint8_t *big = calloc(1, CAT_PASSWORD_MAX_BYTES + 1);
    assert_non_null(big);
    assert_cat_fail(cat_verifier_make(big, CAT_PASSWORD_MAX_BYTES + 1, &v), MK_E_TOOBIG,
                    CAT_R_NONE);
    assert_cat_ok(cat_verifier_make(big, CAT_PASSWORD_MAX_BYTES, &v));
    free(big);

    assert_cat_ok(cat_verifier_make(PW("x"), &v));
    v.iterations = 0;
    assert_cat_fail(cat_verifier_check(&v, PW("x"), &match), MK_E_INVALID, CAT_R_NONE);
    assert_false(match);
    v.iterations = CAT_PBKDF2_MAX_ITERATIONS + 1;
    assert_cat_fail(cat_verifier_check(&v, PW("x"), &match), MK_E_INVALID, CAT_R_NONE);
    assert_cat_fail(cat_verifier_check(NULL, PW("x"), &match), MK_E_INVALID, CAT_R_NONE);
    assert_cat_fail(cat_verifier_check(&v, PW("x"), NULL), MK_E_INVALID, CAT_R_NONE);
}

static void test_policy_accepts_seed_passwords(void **state)
{
    (void)state;
    assert_int_equal(cat_password_policy_check("HOST_B_login", PW("1Sample_Strong_Password!@#")),
                     CAT_PW_OK);
    assert_int_equal(cat_password_policy_check(NULL, PW("<1_Strong_Password!>")), CAT_PW_OK);
    assert_int_equal(cat_password_policy_check("x", PW("Passw0rd")), CAT_PW_OK); /* exactly 8 */
}

static void test_policy_length(void **state)
{
    (void)state;
    assert_int_equal(cat_password_policy_check("l", PW("Pw1!abc")), CAT_PW_TOO_SHORT);
    assert_int_equal(cat_password_policy_check("l", NULL, 0), CAT_PW_TOO_SHORT);
    /* Characters, not bytes: seven two-byte characters are still too short. */
    assert_int_equal(cat_password_policy_check("l", PW("\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
                                                       "\xc3\xa4\xc3\xa4")),
                     CAT_PW_TOO_SHORT);
    char pw[130];
    memset(pw, 'a', sizeof(pw));
    pw[0] = 'A';
    pw[1] = '1';
    pw[128] = '\0';
    assert_int_equal(cat_password_policy_check("l", PW(pw)), CAT_PW_OK); /* 128 */
    pw[128] = 'a';
    pw[129] = '\0';
    assert_int_equal(cat_password_policy_check("l", PW(pw)), CAT_PW_TOO_LONG);
}

static void test_policy_contains_name(void **state)
{
    (void)state;
    assert_int_equal(cat_password_policy_check("HOST_B_login", PW("xhost_B_LOGIN1!")),
                     CAT_PW_CONTAINS_NAME);
    assert_int_equal(cat_password_policy_check("bob", PW("Xy1!BoBzz")), CAT_PW_CONTAINS_NAME);
    /* Names under three characters are not checked (the Windows rule). */
    assert_int_equal(cat_password_policy_check("ab", PW("abCD12!!")), CAT_PW_OK);
    assert_int_equal(cat_password_policy_check("", PW("abCD12!!")), CAT_PW_OK);
}

static void test_policy_complexity(void **state)
{
    (void)state;
    assert_int_equal(cat_password_policy_check("l", PW("password")), CAT_PW_NOT_COMPLEX);
    assert_int_equal(cat_password_policy_check("l", PW("password1")), CAT_PW_NOT_COMPLEX);
    assert_int_equal(cat_password_policy_check("l", PW("PASSWORD!")), CAT_PW_NOT_COMPLEX);
    assert_int_equal(cat_password_policy_check("l", PW("Password1")), CAT_PW_OK);
    assert_int_equal(cat_password_policy_check("l", PW("password1!")), CAT_PW_OK);
    assert_int_equal(cat_password_policy_check("l", PW("PASSWORD1!")), CAT_PW_OK);
    /* Non-ASCII characters count as the "other" class. */
    assert_int_equal(cat_password_policy_check("l", PW("p\xc3\xa4ssword1")), CAT_PW_OK);
    assert_int_equal(cat_password_policy_check("l", PW("p\xc3\xa4sswordx")), CAT_PW_NOT_COMPLEX);
}

static void test_policy_bad_utf8(void **state)
{
    (void)state;
    assert_int_equal(cat_password_policy_check("l", PW("Passw0rd\xff")), CAT_PW_BAD_UTF8);
    assert_int_equal(cat_password_policy_check("l", PW("Passw0rd\xc3")), CAT_PW_BAD_UTF8);
    assert_int_equal(cat_password_policy_check("l", PW("Passw0rd\xed\xa0\x80")), CAT_PW_BAD_UTF8);
    assert_int_equal(cat_password_policy_check("l", NULL, 4), CAT_PW_BAD_UTF8);
    assert_string_equal(cat_pw_rule_name(CAT_PW_NOT_COMPLEX), "password is not complex enough");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_correct_and_wrong_password),
        cmocka_unit_test(test_empty_password),
        cmocka_unit_test(test_salt_is_random),
        cmocka_unit_test(test_iterations_stored_and_default),
        cmocka_unit_test(test_is_pbkdf2_hmac_sha256),
        cmocka_unit_test(test_verifier_errors),
        cmocka_unit_test(test_policy_accepts_seed_passwords),
        cmocka_unit_test(test_policy_length),
        cmocka_unit_test(test_policy_contains_name),
        cmocka_unit_test(test_policy_complexity),
        cmocka_unit_test(test_policy_bad_utf8),
    };
    return cmocka_run_group_tests(tests, set_fast, NULL);
}
