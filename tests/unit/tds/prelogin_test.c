/*
 * PRELOGIN: FreeTDS's real request, the server reply's exact bytes, every
 * malformed table we can think of, and the encryption decision table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tds/prelogin.h"

/* PRELOGIN payload sent by FreeTDS 1.3.17 tsql (TDS 7.4, encryption=request). */
static const uint8_t freetds_prelogin[] = {
    0x00, 0x00, 0x1a, 0x00, 0x06, 0x01, 0x00, 0x20, 0x00, 0x01, 0x02, 0x00, 0x21,
    0x00, 0x0c, 0x03, 0x00, 0x2d, 0x00, 0x04, 0x04, 0x00, 0x31, 0x00, 0x01, 0xff,
    0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4d, 0x53, 0x53, 0x51, 0x4c, 0x53,
    0x65, 0x72, 0x76, 0x65, 0x72, 0x00, 0x68, 0x35, 0x00, 0x00, 0x00};

/*
 * Server reply derived from MS-TDS 2.2.6.5: five entries (25 bytes) + 0xFF =
 * data at 26: VERSION 15.0.2000 subbuild 0 (6), ENCRYPTION REQ (1),
 * INSTOPT 00 (1), THREADID empty (0), MARS 00 (1).
 */
static const uint8_t server_reply[] = {0x00, 0x00, 0x1A, 0x00, 0x06, /* VERSION at 26, 6 bytes */
                                       0x01, 0x00, 0x20, 0x00, 0x01, /* ENCRYPTION at 32 */
                                       0x02, 0x00, 0x21, 0x00, 0x01, /* INSTOPT at 33 */
                                       0x03, 0x00, 0x22, 0x00, 0x00, /* THREADID at 34, empty */
                                       0x04, 0x00, 0x22, 0x00, 0x01, /* MARS at 34 */
                                       0xFF, 0x0F, 0x00, 0x07, 0xD0, 0x00, 0x00, 0x03, 0x00, 0x00};

static void test_parse_freetds(void **state)
{
    (void)state;
    tds_prelogin p;
    assert_true(mk_ok(tds_prelogin_parse(freetds_prelogin, sizeof(freetds_prelogin), &p)));
    assert_int_equal(p.present,
                     TDS_PL_HAS(0) | TDS_PL_HAS(1) | TDS_PL_HAS(2) | TDS_PL_HAS(3) | TDS_PL_HAS(4));
    assert_int_equal(p.version, 0x09000000);
    assert_int_equal(p.subbuild, 0);
    assert_int_equal(p.encryption, TDS_ENCRYPT_OFF);
    assert_string_equal(p.instance, "MSSQLServer");
    assert_true(p.has_thread_id);
    assert_int_equal(p.mars, 0);
}

static void test_encode_reply_golden(void **state)
{
    (void)state;
    tds_prelogin p;
    mk_buf out;
    tds_prelogin_reply_init(&p, 0x0F0007D0, 0, TDS_ENCRYPT_REQ);
    mk_buf_init(&out, 0);
    assert_true(mk_ok(tds_prelogin_encode(&p, &out)));
    assert_int_equal(out.len, sizeof(server_reply));
    assert_memory_equal(out.data, server_reply, sizeof(server_reply));
    /* and it parses back */
    tds_prelogin q;
    assert_true(mk_ok(tds_prelogin_parse(out.data, out.len, &q)));
    assert_int_equal(q.encryption, TDS_ENCRYPT_REQ);
    assert_int_equal(q.version, 0x0F0007D0);
    assert_false(q.has_thread_id);
    assert_string_equal(q.instance, "");
    mk_buf_cleanup(&out);
}

static void test_roundtrip_all_options(void **state)
{
    (void)state;
    tds_prelogin p;
    memset(&p, 0, sizeof(p));
    p.present = 0xFF; /* options 0..7 */
    p.version = 0x11223344;
    p.subbuild = 0x5566;
    p.encryption = TDS_ENCRYPT_ON;
    strcpy(p.instance, "INST1");
    p.has_thread_id = true;
    p.thread_id = 0xCAFEBABE;
    p.mars = 1;
    for (int i = 0; i < TDS_PL_TRACEID_LEN; i++) {
        p.trace_id[i] = (uint8_t)i;
    }
    p.fedauth_required = 1;
    for (int i = 0; i < TDS_PL_NONCE_LEN; i++) {
        p.nonce[i] = (uint8_t)(0xA0 + i);
    }
    mk_buf out;
    mk_buf_init(&out, 0);
    assert_true(mk_ok(tds_prelogin_encode(&p, &out)));
    tds_prelogin q;
    assert_true(mk_ok(tds_prelogin_parse(out.data, out.len, &q)));
    assert_memory_equal(&p, &q, sizeof(p));
    mk_buf_cleanup(&out);
}

static void test_truncated_every_byte(void **state)
{
    (void)state;
    tds_prelogin p;
    for (size_t n = 0; n < sizeof(freetds_prelogin); n++) {
        assert_true(mk_failed(tds_prelogin_parse(freetds_prelogin, n, &p)));
    }
}

/* Parse a modified copy of the FreeTDS request and expect failure with code. */
static void expect_bad(const uint8_t *msg, size_t len, mk_err code)
{
    tds_prelogin p;
    assert_true(mk_failed(tds_prelogin_parse(msg, len, &p)));
    assert_int_equal(mk_error_code(), code);
}

static void test_table_errors(void **state)
{
    (void)state;
    uint8_t m[sizeof(freetds_prelogin)];

    /* No terminator: replace 0xFF, table runs into data and then off the end. */
    const uint8_t no_term[] = {0x00, 0x00, 0x05, 0x00, 0x00};
    expect_bad(no_term, sizeof(no_term), MK_E_INVALID);

    /* Duplicate option: MARS entry renamed to ENCRYPTION. */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[20] = TDS_PL_ENCRYPTION;
    expect_bad(m, sizeof(m), MK_E_INVALID);

    /* VERSION not first: swap the first two tokens. */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[0] = TDS_PL_ENCRYPTION;
    m[5] = TDS_PL_VERSION;
    expect_bad(m, sizeof(m), MK_E_INVALID);

    /* Offset out of range (MARS at 0x0100). */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[21] = 0x01;
    expect_bad(m, sizeof(m), MK_E_BOUNDS);

    /* Length out of range (INSTOPT 0x00FF bytes). */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[14] = 0xFF;
    expect_bad(m, sizeof(m), MK_E_BOUNDS);

    /* Offset + length overflowing 16 bits still only compares, never wraps. */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[11] = 0xFF, m[12] = 0xFF, m[13] = 0xFF, m[14] = 0xFF;
    expect_bad(m, sizeof(m), MK_E_BOUNDS);

    /* Offset pointing into the option table. */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[7] = 0x02;
    expect_bad(m, sizeof(m), MK_E_INVALID);

    /* Only a terminator: VERSION missing. */
    const uint8_t only_term[] = {0xFF};
    expect_bad(only_term, sizeof(only_term), MK_E_INVALID);
    expect_bad(NULL, 0, MK_E_INVALID);
}

static void test_option_errors(void **state)
{
    (void)state;
    uint8_t m[sizeof(freetds_prelogin)];

    /* VERSION of 5 bytes */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[4] = 5;
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* ENCRYPTION of 2 bytes */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[9] = 2;
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* ENCRYPTION of 0 bytes */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[9] = 0;
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* INSTOPT without its NUL (one byte shorter) */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[14] = 0x0b;
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* INSTOPT with an interior NUL */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[36] = 0;
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* INSTOPT empty */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[14] = 0;
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* THREADID of 3 bytes */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[19] = 3;
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* MARS value 2 */
    memcpy(m, freetds_prelogin, sizeof(m));
    m[sizeof(m) - 1] = 2;
    expect_bad(m, sizeof(m), MK_E_INVALID);
}

static void test_sized_options_and_unknown(void **state)
{
    (void)state;
    /* VERSION, TRACEID of 35 bytes -> error; unknown 0x42 -> skipped. */
    uint8_t m[64];
    memset(m, 0, sizeof(m));
    const uint8_t table[] = {0x00, 0x00, 0x10, 0x00, 0x06, 0x42, 0x00, 0x16,
                             0x00, 0x03, 0x05, 0x00, 0x19, 0x00, 0x23, 0xFF};
    memcpy(m, table, sizeof(table));
    size_t len = 0x19 + 0x23;
    expect_bad(m, len, MK_E_INVALID);
    m[14] = 0x24; /* 36: right size */
    tds_prelogin p;
    assert_true(mk_ok(tds_prelogin_parse(m, len + 1, &p)));
    assert_true((p.present & TDS_PL_HAS(TDS_PL_TRACEID)) != 0);
    /* NONCEOPT must be 32 bytes, FEDAUTHREQUIRED 1 */
    m[10] = TDS_PL_NONCEOPT;
    expect_bad(m, len + 1, MK_E_INVALID);
    m[10] = TDS_PL_FEDAUTHREQUIRED;
    expect_bad(m, len + 1, MK_E_INVALID);
}

static void test_too_many_options(void **state)
{
    (void)state;
    uint8_t m[5 * 40 + 7];
    memset(m, 0, sizeof(m));
    size_t at = 0;
    /* VERSION then 39 unknown zero-length options */
    m[at++] = 0x00, m[at++] = 0x00, m[at++] = 0xC9, m[at++] = 0x00, m[at++] = 0x06;
    for (int i = 0; i < 39; i++) {
        m[at++] = (uint8_t)(0x40 + i), m[at++] = 0x00, m[at++] = 0xC9, m[at++] = 0, m[at++] = 0;
    }
    m[at++] = 0xFF;
    expect_bad(m, at + 6, MK_E_INVALID);
}

static void test_decide(void **state)
{
    (void)state;
    struct {
        uint8_t client;
        tds_encrypt_policy policy;
        uint8_t reply;
        tds_encrypt_mode mode;
    } cases[] = {
        {TDS_ENCRYPT_OFF, TDS_ENCRYPT_POLICY_REQUIRED, TDS_ENCRYPT_REQ, TDS_ENC_FULL},
        {TDS_ENCRYPT_ON, TDS_ENCRYPT_POLICY_REQUIRED, TDS_ENCRYPT_REQ, TDS_ENC_FULL},
        {TDS_ENCRYPT_REQ, TDS_ENCRYPT_POLICY_REQUIRED, TDS_ENCRYPT_REQ, TDS_ENC_FULL},
        {TDS_ENCRYPT_NOT_SUP, TDS_ENCRYPT_POLICY_REQUIRED, TDS_ENCRYPT_REQ, TDS_ENC_REFUSE},
        {0x81, TDS_ENCRYPT_POLICY_REQUIRED, TDS_ENCRYPT_REQ, TDS_ENC_REFUSE},
        {TDS_ENCRYPT_OFF, TDS_ENCRYPT_POLICY_OPTIONAL, TDS_ENCRYPT_OFF, TDS_ENC_LOGIN_ONLY},
        {TDS_ENCRYPT_ON, TDS_ENCRYPT_POLICY_OPTIONAL, TDS_ENCRYPT_ON, TDS_ENC_FULL},
        {TDS_ENCRYPT_REQ, TDS_ENCRYPT_POLICY_OPTIONAL, TDS_ENCRYPT_ON, TDS_ENC_FULL},
        {TDS_ENCRYPT_NOT_SUP, TDS_ENCRYPT_POLICY_OPTIONAL, TDS_ENCRYPT_NOT_SUP, TDS_ENC_NONE},
        {0x04, TDS_ENCRYPT_POLICY_OPTIONAL, TDS_ENCRYPT_ON, TDS_ENC_REFUSE},
        {TDS_ENCRYPT_OFF, TDS_ENCRYPT_POLICY_UNAVAILABLE, TDS_ENCRYPT_NOT_SUP, TDS_ENC_NONE},
        {TDS_ENCRYPT_NOT_SUP, TDS_ENCRYPT_POLICY_UNAVAILABLE, TDS_ENCRYPT_NOT_SUP, TDS_ENC_NONE},
        {TDS_ENCRYPT_ON, TDS_ENCRYPT_POLICY_UNAVAILABLE, TDS_ENCRYPT_NOT_SUP, TDS_ENC_REFUSE},
        {TDS_ENCRYPT_REQ, TDS_ENCRYPT_POLICY_UNAVAILABLE, TDS_ENCRYPT_NOT_SUP, TDS_ENC_REFUSE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tds_encrypt_decision d = tds_prelogin_decide(cases[i].client, cases[i].policy);
        assert_int_equal(d.reply, cases[i].reply);
        assert_int_equal(d.mode, cases[i].mode);
    }
    /* REQUIRED is the zero value, i.e. the default of a zeroed config. */
    assert_int_equal(TDS_ENCRYPT_POLICY_REQUIRED, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_freetds),
        cmocka_unit_test(test_encode_reply_golden),
        cmocka_unit_test(test_roundtrip_all_options),
        cmocka_unit_test(test_truncated_every_byte),
        cmocka_unit_test(test_table_errors),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_sized_options_and_unknown),
        cmocka_unit_test(test_too_many_options),
        cmocka_unit_test(test_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
