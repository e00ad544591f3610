/*
 * ECDSA r||s (what CKM_ECDSA returns) to DER ECDSA-Sig-Value, checked against
 * OpenSSL's own decoder: high-bit values get a 0x00 pad, leading zeros are
 * dropped, P-521 needs a long-form length, and bad inputs are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "internal.h"

/* Encode raw, decode with d2i_ECDSA_SIG, and compare r and s with the halves. */
static void check_round_trip(const uint8_t *raw, size_t raw_len)
{
    uint8_t der[160];
    size_t der_len = 0;
    assert_true(mk_ok(mkprov_ecdsa_raw_to_der(raw, raw_len, der, sizeof(der), &der_len)));
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    assert_non_null(sig);
    assert_ptr_equal(p, der + der_len); /* nothing left over */
    size_t half = raw_len / 2;
    uint8_t r[66];
    uint8_t s[66];
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), r, (int)half), (int)half);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), s, (int)half), (int)half);
    assert_memory_equal(r, raw, half);
    assert_memory_equal(s, raw + half, half);
    /* DER is canonical: re-encoding gives the same bytes. */
    unsigned char *again = NULL;
    int again_len = i2d_ECDSA_SIG(sig, &again);
    assert_int_equal(again_len, (int)der_len);
    assert_memory_equal(again, der, der_len);
    OPENSSL_free(again);
    ECDSA_SIG_free(sig);
}

static void test_shapes(void **state)
{
    (void)state;
    uint8_t raw[132];
    for (size_t half = 32; half <= 66; half += 16) { /* P-256, P-384, P-521 (66) */
        if (half == 64) {
            half = 66;
        }
        memset(raw, 0x5a, 2 * half);
        check_round_trip(raw, 2 * half);
        memset(raw, 0xff, 2 * half); /* high bit: 0x00 pad */
        check_round_trip(raw, 2 * half);
        memset(raw, 0x00, 2 * half); /* all zero: one 0x00 byte each */
        raw[2 * half - 1] = 1;
        check_round_trip(raw, 2 * half);
        raw[0] = 0x00; /* leading zeros then a high-bit byte */
        raw[1] = 0x80;
        check_round_trip(raw, 2 * half);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    uint8_t raw[140];
    uint8_t der[160];
    size_t der_len = 0;
    memset(raw, 0x7f, sizeof(raw));
    assert_true(mk_failed(mkprov_ecdsa_raw_to_der(raw, 0, der, sizeof(der), &der_len)));
    assert_true(mk_failed(mkprov_ecdsa_raw_to_der(raw, 63, der, sizeof(der), &der_len)));
    assert_true(mk_failed(mkprov_ecdsa_raw_to_der(raw, 134, der, sizeof(der), &der_len)));
    /* A buffer one byte too small. */
    assert_true(mk_ok(mkprov_ecdsa_raw_to_der(raw, 64, der, sizeof(der), &der_len)));
    assert_true(mk_failed(mkprov_ecdsa_raw_to_der(raw, 64, der, der_len - 1, &der_len)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
