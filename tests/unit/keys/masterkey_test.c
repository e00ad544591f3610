/*
 * The master key's password blob (server/keys/pwblob.c) and password seal
 * (server/keys/masterkey.c), without a token: round trip, wrong passwords,
 * every field of the blob tampered with (the tag must catch header changes
 * too, since the header is the GCM additional data), truncation at every
 * length, trailing bytes, caps, and the iteration count (default >= 600000,
 * test override recorded in the blob).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keys/masterkey.h"
#include "keys/pwblob.h"

static const uint8_t PW[] = "<1_Strong_Password!>";
#define PW_LEN (sizeof(PW) - 1)

static mk_secret *test_key(void)
{
    uint8_t bytes[KEYS_MASTER_KEY_LEN];
    for (size_t i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (uint8_t)(i * 7 + 3);
    }
    mk_secret *s = NULL;
    assert_true(mk_ok(mk_secret_from(bytes, sizeof(bytes), &s)));
    return s;
}

static void seal(mk_buf *blob)
{
    mk_secret *k = test_key();
    mk_buf_init(blob, 0);
    assert_true(mk_ok(keys_masterkey_seal_password(k, PW, PW_LEN, blob)));
    mk_secret_free(k);
}

static int setup(void **state)
{
    (void)state;
    keys_masterkey_set_iterations_for_tests(1000);
    return 0;
}

static void test_round_trip(void **state)
{
    (void)state;
    mk_buf blob;
    seal(&blob);
    keys_pwblob b;
    assert_true(mk_ok(keys_pwblob_parse(blob.data, blob.len, &b)));
    assert_int_equal(b.iterations, 1000);
    assert_int_equal(b.salt_len, 16);
    assert_int_equal(b.iv_len, KEYS_PW_IV_LEN);
    assert_int_equal(b.ct_len, KEYS_MASTER_KEY_LEN + KEYS_PW_TAG_LEN);
    assert_int_equal(b.aad_len + b.ct_len, blob.len);
    /* The key bytes are not in the blob in clear. */
    mk_secret *k = test_key();
    for (size_t i = 0; i + 4 <= blob.len; i++) {
        assert_false(memcmp(blob.data + i, mk_secret_cdata(k), 4) == 0);
    }
    mk_secret *out = NULL;
    assert_true(mk_ok(keys_masterkey_open_with_password(blob.data, blob.len, PW, PW_LEN, &out)));
    assert_true(mk_secret_equal(out, k));
    mk_secret_free(out);
    /* Writing the parsed blob again gives the same bytes. */
    mk_buf again;
    mk_buf_init(&again, 0);
    assert_true(mk_ok(keys_pwblob_write(&b, &again)));
    assert_int_equal(again.len, blob.len);
    assert_memory_equal(again.data, blob.data, blob.len);
    mk_buf_cleanup(&again);
    /* Two seals of the same key differ (fresh salt and IV). */
    mk_buf other;
    seal(&other);
    assert_false(other.len == blob.len && memcmp(other.data, blob.data, blob.len) == 0);
    mk_buf_cleanup(&other);
    mk_secret_free(k);
    mk_buf_cleanup(&blob);
}

static void test_wrong_password(void **state)
{
    (void)state;
    mk_buf blob;
    seal(&blob);
    mk_secret *out = NULL;
    static const char *const wrong[] = {"<1_Strong_Password!", "<1_strong_Password!>", "", "x"};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        mk_error_clear();
        assert_true(mk_failed(keys_masterkey_open_with_password(
            blob.data, blob.len, (const uint8_t *)wrong[i], strlen(wrong[i]), &out)));
        assert_int_equal(mk_error_code(), MK_E_CRYPTO);
        assert_null(out);
        assert_null(strstr(mk_error_message(), (const char *)PW));
    }
    mk_buf_cleanup(&blob);
}

/* Flipping any single byte makes parsing or authentication fail. */
static void test_every_byte_matters(void **state)
{
    (void)state;
    mk_buf blob;
    seal(&blob);
    for (size_t i = 0; i < blob.len; i++) {
        if (i >= 6 && i < 9) {
            continue; /* high iteration bytes: millions of rounds; the low byte is flipped */
        }
        blob.data[i] ^= 0x01;
        mk_secret *out = NULL;
        mk_result r = keys_masterkey_open_with_password(blob.data, blob.len, PW, PW_LEN, &out);
        blob.data[i] ^= 0x01;
        if (mk_ok(r)) {
            fail_msg("byte %zu flipped, blob still opens", i);
        }
        assert_null(out);
    }
    mk_buf_cleanup(&blob);
}

static void test_truncated_and_trailing(void **state)
{
    (void)state;
    mk_buf blob;
    seal(&blob);
    keys_pwblob b;
    for (size_t n = 0; n < blob.len; n++) {
        mk_error_clear();
        assert_true(mk_failed(keys_pwblob_parse(blob.data, n, &b)));
        assert_true(mk_error_code() == MK_E_BOUNDS || mk_error_code() == MK_E_INVALID);
    }
    assert_true(mk_ok(mk_buf_put_u8(&blob, 0)));
    assert_true(mk_failed(keys_pwblob_parse(blob.data, blob.len, &b)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_non_null(strstr(mk_error_message(), "trailing"));
    assert_true(mk_failed(keys_pwblob_parse(NULL, 0, &b)));
    mk_buf_cleanup(&blob);
}

/* Offsets of the fixed header (see keys/pwblob.h). */
enum { OFF_VERSION = 4, OFF_KDF = 5, OFF_ITER = 6, OFF_SALT_LEN = 10, OFF_SALT = 11 };

static void expect_parse(mk_buf *blob, size_t off, uint8_t value, mk_err code, const char *word)
{
    keys_pwblob b;
    uint8_t old = blob->data[off];
    blob->data[off] = value;
    mk_error_clear();
    mk_result r = keys_pwblob_parse(blob->data, blob->len, &b);
    blob->data[off] = old;
    assert_true(mk_failed(r));
    assert_int_equal(mk_error_code(), code);
    assert_non_null(strstr(mk_error_message(), word));
}

static void test_header_fields(void **state)
{
    (void)state;
    mk_buf blob;
    seal(&blob);
    size_t off_aead = OFF_SALT + 16;
    size_t off_iv_len = off_aead + 1;
    size_t off_ct_len = off_iv_len + 1 + KEYS_PW_IV_LEN;
    expect_parse(&blob, 0, 'X', MK_E_INVALID, "magic");
    expect_parse(&blob, OFF_VERSION, 2, MK_E_INVALID, "version");
    expect_parse(&blob, OFF_KDF, 9, MK_E_INVALID, "derivation");
    expect_parse(&blob, OFF_SALT_LEN, 8, MK_E_INVALID, "salt");
    expect_parse(&blob, OFF_SALT_LEN, 200, MK_E_TOOBIG, "salt");
    expect_parse(&blob, off_aead, 2, MK_E_INVALID, "cipher");
    expect_parse(&blob, off_iv_len, 16, MK_E_INVALID, "IV");
    expect_parse(&blob, off_ct_len, 0xff, MK_E_TOOBIG, "ciphertext");
    /* Iterations: zero and over the cap. */
    uint8_t saved[4];
    memcpy(saved, blob.data + OFF_ITER, 4);
    memset(blob.data + OFF_ITER, 0, 4);
    keys_pwblob b;
    assert_true(mk_failed(keys_pwblob_parse(blob.data, blob.len, &b)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    memset(blob.data + OFF_ITER, 0xff, 4);
    assert_true(mk_failed(keys_pwblob_parse(blob.data, blob.len, &b)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    memcpy(blob.data + OFF_ITER, saved, 4);
    /* A ciphertext too short to hold a tag. */
    blob.data[off_ct_len] = 0;
    blob.data[off_ct_len + 1] = KEYS_PW_TAG_LEN;
    assert_true(mk_failed(keys_pwblob_parse(blob.data, blob.len, &b)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    mk_buf_cleanup(&blob);
}

static void test_writer_checks(void **state)
{
    (void)state;
    uint8_t salt[KEYS_PW_SALT_MAX + 1] = {0};
    uint8_t iv[KEYS_PW_IV_LEN] = {0};
    uint8_t ct[KEYS_PW_CT_MAX + 1] = {0};
    keys_pwblob ok = {.iterations = 1,
                      .salt = salt,
                      .salt_len = 16,
                      .iv = iv,
                      .iv_len = sizeof(iv),
                      .ct = ct,
                      .ct_len = 48};
    mk_buf out;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(keys_pwblob_write(&ok, &out)));
    keys_pwblob bad = ok;
    bad.iterations = 0;
    assert_true(mk_failed(keys_pwblob_write(&bad, &out)));
    bad = ok;
    bad.salt_len = KEYS_PW_SALT_MAX + 1;
    assert_true(mk_failed(keys_pwblob_write(&bad, &out)));
    bad = ok;
    bad.iv_len = 8;
    assert_true(mk_failed(keys_pwblob_write(&bad, &out)));
    bad = ok;
    bad.ct_len = KEYS_PW_TAG_LEN;
    assert_true(mk_failed(keys_pwblob_write(&bad, &out)));
    bad = ok;
    bad.ct_len = KEYS_PW_CT_MAX + 1;
    assert_true(mk_failed(keys_pwblob_write(&bad, &out)));
    mk_buf_cleanup(&out);
}

static void test_iterations(void **state)
{
    (void)state;
    keys_masterkey_set_iterations_for_tests(0);
    assert_true(keys_masterkey_iterations() >= 600000u);
    assert_int_equal(keys_masterkey_iterations(), KEYS_MK_PBKDF2_MIN_ITERATIONS);
    /* One real-strength seal: the blob records the full count and still opens. */
    mk_buf blob;
    seal(&blob);
    keys_pwblob b;
    assert_true(mk_ok(keys_pwblob_parse(blob.data, blob.len, &b)));
    assert_int_equal(b.iterations, KEYS_MK_PBKDF2_MIN_ITERATIONS);
    mk_secret *out = NULL;
    assert_true(mk_ok(keys_masterkey_open_with_password(blob.data, blob.len, PW, PW_LEN, &out)));
    mk_secret_free(out);
    mk_buf_cleanup(&blob);
    keys_masterkey_set_iterations_for_tests(1000);
    assert_int_equal(keys_masterkey_iterations(), 1000);
}

static void test_limits(void **state)
{
    (void)state;
    mk_secret *k = test_key();
    mk_buf blob;
    mk_buf_init(&blob, 0);
    static uint8_t long_pw[KEYS_PASSWORD_MAX_BYTES + 1];
    memset(long_pw, 'a', sizeof(long_pw));
    assert_true(mk_failed(keys_masterkey_seal_password(k, long_pw, sizeof(long_pw), &blob)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_int_equal(blob.len, 0);
    /* An empty password is sealable (the policy check is the executor's). */
    assert_true(mk_ok(keys_masterkey_seal_password(k, NULL, 0, &blob)));
    mk_secret *out = NULL;
    assert_true(mk_ok(keys_masterkey_open_with_password(blob.data, blob.len, NULL, 0, &out)));
    assert_true(mk_secret_equal(out, k));
    mk_secret_free(out);
    out = NULL;
    mk_secret_free(k);
    /* A sealed secret that is not 32 bytes is not a master key. */
    mk_secret *short_key = NULL;
    assert_true(mk_ok(mk_secret_from("0123456789abcdef", 16, &short_key)));
    mk_buf_reset(&blob);
    assert_true(mk_ok(keys_masterkey_seal_password(short_key, PW, PW_LEN, &blob)));
    mk_secret_free(short_key);
    assert_true(
        mk_failed(keys_masterkey_open_with_password(blob.data, blob.len, PW, PW_LEN, &out)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_null(out);
    mk_buf_cleanup(&blob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),         cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_every_byte_matters), cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_header_fields),      cmocka_unit_test(test_writer_checks),
        cmocka_unit_test(test_iterations),         cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
