/*
 * Sealed-blob reader and writer, no token: round trip, then every way a blob
 * can be malformed (truncated at every length, bad magic/version/algorithm,
 * lengths under and over their caps, trailing bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mk/buf.h"
#include "p11/seal_blob.h"

static const uint8_t id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t iv[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                               0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static uint8_t ct[48];

/* A valid blob: label "prot", 48 bytes of ciphertext+tag. */
static void make_blob(mk_buf *b)
{
    memset(ct, 0x5c, sizeof(ct));
    p11_seal_blob s = {P11_SEAL_VERSION,
                       P11_SEAL_ALG_AES256_GCM,
                       id,
                       sizeof(id),
                       (const uint8_t *)"prot",
                       4,
                       iv,
                       sizeof(iv),
                       ct,
                       sizeof(ct)};
    mk_buf_init(b, 0);
    assert_true(mk_ok(p11_seal_blob_write(&s, b)));
}

/* Offsets in the blob made above. */
enum {
    OFF_VERSION = 4,
    OFF_ALG = 5,
    OFF_IDLEN = 6,
    OFF_LABELLEN = 7 + 16,
    OFF_IVLEN = OFF_LABELLEN + 2 + 4,
    OFF_CTLEN = OFF_IVLEN + 1 + 12,
    BLOB_LEN = OFF_CTLEN + 4 + 48,
};

static void expect(const mk_buf *b, mk_err code, const char *fragment)
{
    p11_seal_blob out;
    mk_error_clear();
    assert_true(mk_failed(p11_seal_blob_parse(b->data, b->len, &out)));
    assert_int_equal(mk_error_code(), code);
    if (fragment != NULL && strstr(mk_error_message(), fragment) == NULL) {
        fail_msg("message '%s' lacks '%s'", mk_error_message(), fragment);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    mk_buf b;
    make_blob(&b);
    assert_int_equal(b.len, BLOB_LEN);
    assert_memory_equal(b.data, "MKSB", 4);
    p11_seal_blob out;
    assert_true(mk_ok(p11_seal_blob_parse(b.data, b.len, &out)));
    assert_int_equal(out.version, 1);
    assert_int_equal(out.alg, 1);
    assert_int_equal(out.id_len, 16);
    assert_memory_equal(out.id, id, 16);
    assert_int_equal(out.label_len, 4);
    assert_memory_equal(out.label, "prot", 4);
    assert_int_equal(out.iv_len, 12);
    assert_memory_equal(out.iv, iv, 12);
    assert_int_equal(out.ct_len, 48);
    assert_memory_equal(out.ct, ct, 48);
    /* Views point into the input, not copies. */
    assert_ptr_equal(out.id, b.data + 7);
    mk_buf_cleanup(&b);
}

static void test_truncated_everywhere(void **state)
{
    (void)state;
    mk_buf b;
    make_blob(&b);
    for (size_t n = 0; n < b.len; n++) {
        p11_seal_blob out;
        mk_error_clear();
        if (mk_ok(p11_seal_blob_parse(b.data, n, &out))) {
            fail_msg("blob truncated to %zu bytes parsed", n);
        }
        assert_int_equal(mk_error_code(), MK_E_BOUNDS);
    }
    p11_seal_blob out;
    assert_true(mk_failed(p11_seal_blob_parse(NULL, 0, &out)));
    mk_buf_cleanup(&b);
}

static void test_header(void **state)
{
    (void)state;
    mk_buf b;
    make_blob(&b);
    b.data[0] = 'X';
    expect(&b, MK_E_INVALID, "bad magic");
    b.data[0] = 'M';
    b.data[OFF_VERSION] = 2;
    expect(&b, MK_E_INVALID, "version 2");
    b.data[OFF_VERSION] = 0;
    expect(&b, MK_E_INVALID, "version 0");
    b.data[OFF_VERSION] = 1;
    b.data[OFF_ALG] = 7;
    expect(&b, MK_E_INVALID, "algorithm 7");
    b.data[OFF_ALG] = 1;
    p11_seal_blob out;
    assert_true(mk_ok(p11_seal_blob_parse(b.data, b.len, &out)));
    mk_buf_cleanup(&b);
}

static void test_lengths(void **state)
{
    (void)state;
    mk_buf b;
    make_blob(&b);
    b.data[OFF_IDLEN] = 0;
    expect(&b, MK_E_INVALID, "id length 0");
    b.data[OFF_IDLEN] = P11_SEAL_ID_MAX + 1;
    expect(&b, MK_E_TOOBIG, "id length 65");
    b.data[OFF_IDLEN] = 0xff;
    expect(&b, MK_E_TOOBIG, "id length 255");
    b.data[OFF_IDLEN] = 16;

    b.data[OFF_LABELLEN] = 0x00;
    b.data[OFF_LABELLEN + 1] = P11_SEAL_LABEL_MAX + 1;
    expect(&b, MK_E_TOOBIG, "label length 129");
    b.data[OFF_LABELLEN] = 0xff;
    b.data[OFF_LABELLEN + 1] = 0xff;
    expect(&b, MK_E_TOOBIG, "label length 65535");
    b.data[OFF_LABELLEN] = 0x00;
    b.data[OFF_LABELLEN + 1] = 4;

    b.data[OFF_IVLEN] = 11;
    expect(&b, MK_E_INVALID, "IV length 11");
    b.data[OFF_IVLEN] = 13;
    expect(&b, MK_E_INVALID, "IV length 13");
    b.data[OFF_IVLEN] = 12;

    /* ct_len over the cap is refused before anything looks at the bytes. */
    memcpy(b.data + OFF_CTLEN, "\xff\xff\xff\xff", 4);
    expect(&b, MK_E_TOOBIG, "ciphertext length 4294967295");
    uint32_t over = (uint32_t)P11_SEAL_CT_MAX + 1;
    uint8_t be[4] = {(uint8_t)(over >> 24), (uint8_t)(over >> 16), (uint8_t)(over >> 8),
                     (uint8_t)over};
    memcpy(b.data + OFF_CTLEN, be, 4);
    expect(&b, MK_E_TOOBIG, "ciphertext length");
    memcpy(b.data + OFF_CTLEN, "\x00\x00\x00\x10", 4); /* a tag and no ciphertext */
    expect(&b, MK_E_INVALID, "ciphertext length 16");
    memcpy(b.data + OFF_CTLEN, "\x00\x00\x00\x31", 4); /* one more than present */
    expect(&b, MK_E_BOUNDS, NULL);
    memcpy(b.data + OFF_CTLEN, "\x00\x00\x00\x2f", 4); /* one less: a byte left over */
    expect(&b, MK_E_INVALID, "1 trailing bytes");
    memcpy(b.data + OFF_CTLEN, "\x00\x00\x00\x30", 4);

    assert_true(mk_ok(mk_buf_put_u8(&b, 0)));
    expect(&b, MK_E_INVALID, "trailing");
    mk_buf_cleanup(&b);
}

static void test_writer_checks(void **state)
{
    (void)state;
    mk_buf b;
    mk_buf_init(&b, 0);
    p11_seal_blob s = {1, 1, id, 0, NULL, 0, iv, 12, ct, 48};
    assert_true(mk_failed(p11_seal_blob_write(&s, &b)));
    s.id_len = P11_SEAL_ID_MAX + 1;
    assert_true(mk_failed(p11_seal_blob_write(&s, &b)));
    s.id_len = 16;
    s.iv_len = 8;
    assert_true(mk_failed(p11_seal_blob_write(&s, &b)));
    s.iv_len = 12;
    s.ct_len = 16;
    assert_true(mk_failed(p11_seal_blob_write(&s, &b)));
    s.ct_len = 48;
    s.label_len = P11_SEAL_LABEL_MAX + 1;
    s.label = (const uint8_t *)"x";
    assert_true(mk_failed(p11_seal_blob_write(&s, &b)));
    assert_int_equal(b.len, 0); /* nothing half-written */
    s.label_len = 0;
    assert_true(mk_ok(p11_seal_blob_write(&s, &b)));
    p11_seal_blob out;
    assert_true(mk_ok(p11_seal_blob_parse(b.data, b.len, &out)));
    assert_int_equal(out.label_len, 0);
    mk_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_header),        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_writer_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
