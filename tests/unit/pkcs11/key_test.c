/*
 * Pure helpers behind p11_key: unwrapping CKA_EC_POINT (DER OCTET STRING or
 * raw), curve size from CKA_EC_PARAMS, and the small text helpers used in
 * messages (hex ids, padded Cryptoki strings, label checks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../../pkcs11/src/internal.h"

static uint8_t point[1 + 64];

static void fill_point(void)
{
    point[0] = 0x04;
    for (size_t i = 1; i < sizeof(point); i++) {
        point[i] = (uint8_t)i;
    }
}

static void test_unwrap_der(void **state)
{
    (void)state;
    fill_point();
    uint8_t der[2 + sizeof(point)];
    der[0] = 0x04;
    der[1] = sizeof(point);
    memcpy(der + 2, point, sizeof(point));
    const uint8_t *pt = NULL;
    size_t len = 0;
    assert_true(mk_ok(p11_ec_point_unwrap(der, sizeof(der), 32, &pt, &len)));
    assert_int_equal(len, 65);
    assert_ptr_equal(pt, der + 2);

    /* Long-form length (P-521 points are 133 bytes: 0x81 0x85). */
    uint8_t big[3 + 133];
    big[0] = 0x04;
    big[1] = 0x81;
    big[2] = 133;
    big[3] = 0x04;
    memset(big + 4, 7, 132);
    assert_true(mk_ok(p11_ec_point_unwrap(big, sizeof(big), 66, &pt, &len)));
    assert_int_equal(len, 133);
}

static void test_unwrap_raw(void **state)
{
    (void)state;
    fill_point();
    const uint8_t *pt = NULL;
    size_t len = 0;
    assert_true(mk_ok(p11_ec_point_unwrap(point, sizeof(point), 32, &pt, &len)));
    assert_ptr_equal(pt, point);
    assert_int_equal(len, 65);
}

static void test_unwrap_bad(void **state)
{
    (void)state;
    fill_point();
    const uint8_t *pt = NULL;
    size_t len = 0;
    /* Wrong field size for the curve. */
    assert_true(mk_failed(p11_ec_point_unwrap(point, sizeof(point), 48, &pt, &len)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    /* Compressed point. */
    uint8_t comp[33] = {0x02};
    assert_true(mk_failed(p11_ec_point_unwrap(comp, sizeof(comp), 32, &pt, &len)));
    /* DER length larger than the data. */
    uint8_t der[2 + 65];
    der[0] = 0x04;
    der[1] = 66;
    memcpy(der + 2, point, 65);
    assert_true(mk_failed(p11_ec_point_unwrap(der, sizeof(der), 32, &pt, &len)));
    /* DER wrapping something that is not an uncompressed point. */
    der[1] = 65;
    der[2] = 0x03;
    assert_true(mk_failed(p11_ec_point_unwrap(der, sizeof(der), 32, &pt, &len)));
    /* Three-byte long form is not accepted. */
    uint8_t lf[5] = {0x04, 0x83, 0, 0, 1};
    assert_true(mk_failed(p11_ec_point_unwrap(lf, sizeof(lf), 32, &pt, &len)));
    /* Empty. */
    assert_true(mk_failed(p11_ec_point_unwrap(point, 0, 32, &pt, &len)));
}

static void test_params_bits(void **state)
{
    (void)state;
    static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    static const uint8_t p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
    static const uint8_t p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
    unsigned bits = 0;
    assert_true(mk_ok(p11_ec_params_bits(p256, sizeof(p256), &bits)));
    assert_int_equal(bits, 256);
    assert_true(mk_ok(p11_ec_params_bits(p384, sizeof(p384), &bits)));
    assert_int_equal(bits, 384);
    assert_true(mk_ok(p11_ec_params_bits(p521, sizeof(p521), &bits)));
    assert_int_equal(bits, 521);
    /* Trailing byte, truncated, not an OID, an OID that is not a curve. */
    static const uint8_t trailing[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x00};
    assert_true(mk_failed(p11_ec_params_bits(trailing, sizeof(trailing), &bits)));
    assert_true(mk_failed(p11_ec_params_bits(p256, 5, &bits)));
    static const uint8_t null_der[] = {0x05, 0x00};
    assert_true(mk_failed(p11_ec_params_bits(null_der, sizeof(null_der), &bits)));
    static const uint8_t sha256_oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                         0x65, 0x03, 0x04, 0x02, 0x01};
    assert_true(mk_failed(p11_ec_params_bits(sha256_oid, sizeof(sha256_oid), &bits)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
}

static void test_text_helpers(void **state)
{
    (void)state;
    char hex[8];
    p11_hex(hex, sizeof(hex), (const uint8_t *)"\x0a\xff", 2);
    assert_string_equal(hex, "0aff");
    p11_hex(hex, sizeof(hex), (const uint8_t *)"\x01\x02\x03\x04\x05", 5);
    assert_string_equal(hex, "010203"); /* truncated to fit, never overflowed */

    char out[8];
    p11_trim_copy(out, sizeof(out), (const unsigned char *)"ab      ", 8);
    assert_string_equal(out, "ab");
    p11_trim_copy(out, sizeof(out), (const unsigned char *)"abcdefghij", 10);
    assert_string_equal(out, "abcdefg");
    p11_trim_copy(out, sizeof(out), (const unsigned char *)"        ", 8);
    assert_string_equal(out, "");

    assert_true(mk_ok(p11_check_label("endpoint cert")));
    assert_true(mk_failed(p11_check_label("")));
    assert_true(mk_failed(p11_check_label(NULL)));
    assert_true(mk_failed(p11_check_label("tab\there")));
    assert_true(mk_failed(p11_check_label("del\x7f")));
    char longer[200];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_true(mk_failed(p11_check_label(longer)));
    assert_string_equal(p11_class_name(CKO_PRIVATE_KEY), "private key");
    assert_string_equal(p11_class_name(CKO_CERTIFICATE), "certificate");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unwrap_der),   cmocka_unit_test(test_unwrap_raw),
        cmocka_unit_test(test_unwrap_bad),   cmocka_unit_test(test_params_bits),
        cmocka_unit_test(test_text_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
