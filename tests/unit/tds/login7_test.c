/*
 * LOGIN7: FreeTDS's real login, encode -> parse round trips (non-ASCII and
 * supplementary characters, passwords), caps, every offset/length error,
 * FeatureExt framing, and no secrets left behind on failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tds/login7.h"

/* LOGIN7 sent by FreeTDS 1.3.17 tsql -U sa -P 'Secret1!' -D master (TDS 7.4). */
static const uint8_t freetds_login7[] = {
    0xc5, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x74, 0x00, 0x10, 0x00, 0x00, 0x06, 0x83, 0xf2, 0xf8,
    0x68, 0x35, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x03, 0x00, 0x18, 0x88, 0xff, 0xff, 0xff,
    0x36, 0x04, 0x00, 0x00, 0x5e, 0x00, 0x02, 0x00, 0x62, 0x00, 0x02, 0x00, 0x66, 0x00, 0x08, 0x00,
    0x76, 0x00, 0x04, 0x00, 0x7e, 0x00, 0x03, 0x00, 0x84, 0x00, 0x04, 0x00, 0x88, 0x00, 0x0b, 0x00,
    0x9e, 0x00, 0x0a, 0x00, 0xb2, 0x00, 0x06, 0x00, 0x02, 0xfc, 0x00, 0x00, 0x00, 0x01, 0xbe, 0x00,
    0x00, 0x00, 0xbe, 0x00, 0x00, 0x00, 0xbe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x76, 0x00,
    0x6d, 0x00, 0x73, 0x00, 0x61, 0x00, 0x90, 0xa5, 0xf3, 0xa5, 0x93, 0xa5, 0x82, 0xa5, 0xf3, 0xa5,
    0xe2, 0xa5, 0xb6, 0xa5, 0xb7, 0xa5, 0x54, 0x00, 0x53, 0x00, 0x51, 0x00, 0x4c, 0x00, 0x63, 0x00,
    0x61, 0x00, 0x70, 0x00, 0xbe, 0x00, 0x00, 0x00, 0x54, 0x00, 0x44, 0x00, 0x53, 0x00, 0x2d, 0x00,
    0x4c, 0x00, 0x69, 0x00, 0x62, 0x00, 0x72, 0x00, 0x61, 0x00, 0x72, 0x00, 0x79, 0x00, 0x75, 0x00,
    0x73, 0x00, 0x5f, 0x00, 0x65, 0x00, 0x6e, 0x00, 0x67, 0x00, 0x6c, 0x00, 0x69, 0x00, 0x73, 0x00,
    0x68, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x73, 0x00, 0x74, 0x00, 0x65, 0x00, 0x72, 0x00, 0x0a, 0x01,
    0x00, 0x00, 0x00, 0x01, 0xff};

/* Offsets of fixed-part fields used below. */
enum {
    OFF_LENGTH = 0,
    OFF_FLAGS3 = 27,
    OFF_USER = 40,
    OFF_PASS = 44,
    OFF_EXT = 56,
    OFF_SSPI = 78,
    OFF_CHPW = 86,
    OFF_SSPI_LONG = 90,
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void expect_bad(const uint8_t *m, size_t len, mk_err code)
{
    tds_login7 l;
    tds_login7_init(&l);
    assert_true(mk_failed(tds_login7_parse(m, len, &l)));
    assert_int_equal(mk_error_code(), code);
    assert_null(l.password);
    assert_null(l.change_password);
    tds_login7_cleanup(&l);
}

static void test_parse_freetds(void **state)
{
    (void)state;
    tds_login7 l;
    tds_login7_init(&l);
    assert_true(mk_ok(tds_login7_parse(freetds_login7, sizeof(freetds_login7), &l)));
    assert_int_equal(l.tds_version, TDS_VERSION_7_4);
    assert_int_equal(l.packet_size, 4096);
    assert_int_equal(l.option_flags1, 0xE0);
    assert_int_equal(l.option_flags2, 0x03);
    assert_int_equal(l.option_flags3, 0x18);
    assert_int_equal(l.client_timezone, -120);
    assert_int_equal(l.client_lcid, 0x0436);
    assert_string_equal(l.hostname, "vm");
    assert_string_equal(l.username, "sa");
    assert_string_equal(l.appname, "TSQL");
    assert_string_equal(l.servername, "cap");
    assert_string_equal(l.cltintname, "TDS-Library");
    assert_string_equal(l.language, "us_english");
    assert_string_equal(l.database, "master");
    assert_string_equal(l.atchdbfile, "");
    assert_non_null(l.password);
    assert_int_equal(mk_secret_len(l.password), 8);
    assert_memory_equal(mk_secret_cdata(l.password), "Secret1!", 8);
    assert_null(l.change_password);
    assert_true(l.has_feature_ext);
    assert_int_equal(l.features, TDS_FEATURE_BIT(TDS_FEATURE_UTF8_SUPPORT));
    assert_int_equal(l.utf8_support, 1);
    assert_int_equal(l.sspi_len, 0);
    tds_login7_cleanup(&l);
    assert_null(l.password);
}

/* Every prefix, with its Length field set to the prefix length, fails. */
static void test_truncated_every_byte(void **state)
{
    (void)state;
    uint8_t m[sizeof(freetds_login7)];
    for (size_t n = 0; n < sizeof(m); n++) {
        memcpy(m, freetds_login7, sizeof(m));
        if (n >= 4) {
            put32(m, (uint32_t)n);
        }
        tds_login7 l;
        tds_login7_init(&l);
        assert_true(mk_failed(tds_login7_parse(m, n, &l)));
        assert_null(l.password);
    }
}

static void test_length_field(void **state)
{
    (void)state;
    uint8_t m[sizeof(freetds_login7) + 1];
    memcpy(m, freetds_login7, sizeof(freetds_login7));
    m[sizeof(freetds_login7)] = 0;
    /* Length says 197, message is 198 */
    expect_bad(m, sizeof(m), MK_E_INVALID);
    put32(m, sizeof(m));
    /* With a matching Length the extra byte is harmless (FeatureExt ends at 0xFF). */
    tds_login7 l;
    tds_login7_init(&l);
    assert_true(mk_ok(tds_login7_parse(m, sizeof(m), &l)));
    tds_login7_cleanup(&l);
    /* A message shorter than the fixed part. */
    uint8_t small[90];
    memcpy(small, freetds_login7, sizeof(small));
    put32(small, sizeof(small));
    expect_bad(small, sizeof(small), MK_E_BOUNDS);
}

static void test_offset_errors(void **state)
{
    (void)state;
    uint8_t m[sizeof(freetds_login7)];

    /* UserName beyond the message */
    memcpy(m, freetds_login7, sizeof(m));
    put16(m + OFF_USER, 0x00C4);
    expect_bad(m, sizeof(m), MK_E_BOUNDS);
    /* UserName length beyond the message */
    memcpy(m, freetds_login7, sizeof(m));
    put16(m + OFF_USER + 2, 60);
    expect_bad(m, sizeof(m), MK_E_BOUNDS);
    /* UserName offset 0xFFFF, length 0xFFFF: over the cap first */
    memcpy(m, freetds_login7, sizeof(m));
    put16(m + OFF_USER, 0xFFFF);
    put16(m + OFF_USER + 2, 0xFFFF);
    expect_bad(m, sizeof(m), MK_E_TOOBIG);
    /* UserName pointing into the fixed part */
    memcpy(m, freetds_login7, sizeof(m));
    put16(m + OFF_USER, 10);
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* Zero-length field with an offset past the end */
    memcpy(m, freetds_login7, sizeof(m));
    put16(m + OFF_CHPW, 0x0200);
    expect_bad(m, sizeof(m), MK_E_BOUNDS);
    /* Password beyond the message */
    memcpy(m, freetds_login7, sizeof(m));
    put16(m + OFF_PASS, 0x00C0);
    expect_bad(m, sizeof(m), MK_E_BOUNDS);
    /* SSPI length beyond, and the long form beyond */
    memcpy(m, freetds_login7, sizeof(m));
    put16(m + OFF_SSPI + 2, 8);
    expect_bad(m, sizeof(m), MK_E_BOUNDS);
    memcpy(m, freetds_login7, sizeof(m));
    put16(m + OFF_SSPI + 2, 0xFFFF);
    put32(m + OFF_SSPI_LONG, 0xFFFFFFF0u);
    expect_bad(m, sizeof(m), MK_E_BOUNDS);
}

static void test_string_errors(void **state)
{
    (void)state;
    uint8_t m[sizeof(freetds_login7)];
    /* HostName "vm" -> unpaired high surrogate */
    memcpy(m, freetds_login7, sizeof(m));
    m[94] = 0x00, m[95] = 0xD8;
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* UserName "sa" -> "s\0": a NUL would truncate the name */
    memcpy(m, freetds_login7, sizeof(m));
    m[100] = 0, m[101] = 0;
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* Password decoding to a lone low surrogate: obfuscate 0xDC00 */
    memcpy(m, freetds_login7, sizeof(m));
    m[102] = 0xA5;                                          /* 0x00 */
    m[103] = (uint8_t)(((0xDC << 4) | (0xDC >> 4)) ^ 0xA5); /* 0xDC */
    expect_bad(m, sizeof(m), MK_E_INVALID);
}

static void test_featureext_errors(void **state)
{
    (void)state;
    uint8_t m[sizeof(freetds_login7)];
    /* FeatureExt offset beyond the message */
    memcpy(m, freetds_login7, sizeof(m));
    put32(m + 132, 0x1000);
    expect_bad(m, sizeof(m), MK_E_BOUNDS);
    /* FeatureExt offset into the fixed part */
    memcpy(m, freetds_login7, sizeof(m));
    put32(m + 132, 4);
    expect_bad(m, sizeof(m), MK_E_BOUNDS);
    /* Extension of 3 bytes */
    memcpy(m, freetds_login7, sizeof(m));
    put16(m + OFF_EXT + 2, 3);
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* Feature length running past the end */
    memcpy(m, freetds_login7, sizeof(m));
    put32(m + 191, 2);
    expect_bad(m, sizeof(m), MK_E_INVALID);
    memcpy(m, freetds_login7, sizeof(m));
    put32(m + 191, 0xFFFFFFFFu);
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* Missing terminator */
    memcpy(m, freetds_login7, sizeof(m));
    m[196] = 0x0B;
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* FeatureExt offset at the very end: empty list, no terminator */
    memcpy(m, freetds_login7, sizeof(m));
    put32(m + 132, sizeof(m));
    expect_bad(m, sizeof(m), MK_E_INVALID);
    /* Without fExtension the block is not read: a broken one is ignored. */
    memcpy(m, freetds_login7, sizeof(m));
    m[OFF_FLAGS3] = 0x08;
    m[196] = 0x0B;
    tds_login7 l;
    tds_login7_init(&l);
    assert_true(mk_ok(tds_login7_parse(m, sizeof(m), &l)));
    assert_false(l.has_feature_ext);
    assert_int_equal(l.features, 0);
    tds_login7_cleanup(&l);
}

static void test_featureext_lenient(void **state)
{
    (void)state;
    /* unknown 0x22 with 3 bytes, SESSIONRECOVERY empty, UTF8_SUPPORT empty, 0xFF, trailing junk */
    const uint8_t fe[] = {0x22, 0x03, 0x00, 0x00, 0x00, 0xAA, 0xBB, 0xCC, 0x01, 0x00,
                          0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x99};
    mk_cursor c;
    tds_login7 l;
    tds_login7_init(&l);
    mk_cursor_init(&c, fe, sizeof(fe));
    assert_true(mk_ok(tds_featureext_parse(&c, &l)));
    assert_true(l.has_feature_ext);
    assert_int_equal(l.features,
                     TDS_FEATURE_BIT(0x22) | TDS_FEATURE_BIT(1) | TDS_FEATURE_BIT(0x0A));
    assert_int_equal(l.utf8_support, 1);
    assert_int_equal(mk_cursor_remaining(&c), 1);
    /* Truncated at every byte before the terminator */
    for (size_t n = 0; n < sizeof(fe) - 1; n++) {
        tds_login7_init(&l);
        mk_cursor_init(&c, fe, n);
        assert_true(mk_failed(tds_featureext_parse(&c, &l)));
        assert_int_equal(mk_error_code(), MK_E_INVALID);
    }
}

/* A login with non-ASCII everywhere, through the encoder and back. */
static void test_roundtrip(void **state)
{
    (void)state;
    tds_login7 in;
    tds_login7_init(&in);
    in.tds_version = TDS_VERSION_7_4;
    in.packet_size = 8192;
    in.client_pid = 1234;
    in.option_flags1 = 0xE0;
    in.option_flags2 = 0x03;
    in.option_flags3 = TDS_LOGIN7_OPT3_EXTENSION | TDS_LOGIN7_OPT3_CHANGE_PASSWORD;
    in.client_timezone = 60;
    in.client_lcid = 0x0409;
    in.utf8_support = 1;
    memcpy(in.client_id, "\x01\x02\x03\x04\x05\x06", 6);
    strcpy(in.hostname, "h\xC3\xB6st");
    strcpy(in.username, "\xF0\x9F\x94\x91key\xE2\x82\xAC"); /* 🔑key€: 6 UTF-16 units */
    strcpy(in.appname, "app");
    strcpy(in.servername, "srv");
    strcpy(in.cltintname, "DB-Library");
    strcpy(in.language, "us_english");
    strcpy(in.database, "master");
    strcpy(in.atchdbfile, "C:\\x.mdf");
    assert_true(mk_ok(mk_secret_from("p\xC3\xA4ss\xF0\x9F\x94\x91", 9, &in.password)));
    assert_true(mk_ok(mk_secret_from("new", 3, &in.change_password)));

    mk_buf buf;
    mk_buf_init_secret(&buf, 0);
    assert_true(mk_ok(tds_login7_encode(&in, &buf)));
    /* obfuscation is on the wire: no plain UTF-16 'p' at the password offset */
    uint16_t pw_off = (uint16_t)(buf.data[OFF_PASS] | (buf.data[OFF_PASS + 1] << 8));
    assert_int_equal(buf.data[OFF_PASS + 2], 6); /* p ä s s + surrogate pair */
    assert_int_equal(buf.data[pw_off], (uint8_t)((('p' << 4) | ('p' >> 4)) ^ 0xA5));

    tds_login7 out;
    tds_login7_init(&out);
    assert_true(mk_ok(tds_login7_parse(buf.data, buf.len, &out)));
    assert_int_equal(out.packet_size, 8192);
    assert_int_equal(out.client_pid, 1234);
    assert_int_equal(out.client_timezone, 60);
    assert_memory_equal(out.client_id, in.client_id, 6);
    assert_string_equal(out.hostname, in.hostname);
    assert_string_equal(out.username, in.username);
    assert_string_equal(out.appname, "app");
    assert_string_equal(out.database, "master");
    assert_string_equal(out.atchdbfile, in.atchdbfile);
    assert_true(mk_secret_equal(out.password, in.password));
    assert_true(mk_secret_equal(out.change_password, in.change_password));
    assert_true(out.has_feature_ext);
    assert_int_equal(out.utf8_support, 1);

    /* Parsing again into a used struct replaces (and frees) the old secrets. */
    assert_true(mk_ok(tds_login7_parse(freetds_login7, sizeof(freetds_login7), &out)));
    assert_string_equal(out.username, "sa");
    assert_null(out.change_password);
    tds_login7_cleanup(&out);
    tds_login7_cleanup(&in);
    mk_buf_cleanup(&buf);
}

static void fill_units(char *s, size_t n)
{
    memset(s, 'x', n);
    s[n] = '\0';
}

static void test_caps(void **state)
{
    (void)state;
    tds_login7 in;
    tds_login7 out;
    mk_buf buf;
    char pw[200];
    tds_login7_init(&in);
    tds_login7_init(&out);
    in.tds_version = TDS_VERSION_7_4;
    fill_units(in.username, 128);
    fill_units(pw, 128);
    assert_true(mk_ok(mk_secret_from(pw, 128, &in.password)));
    mk_buf_init_secret(&buf, 0);
    assert_true(mk_ok(tds_login7_encode(&in, &buf)));
    assert_true(mk_ok(tds_login7_parse(buf.data, buf.len, &out)));
    assert_int_equal(strlen(out.username), 128);
    assert_int_equal(mk_secret_len(out.password), 128);
    tds_login7_cleanup(&out);

    /* 129 characters: the parser refuses before converting; patch the count */
    mk_buf_reset(&buf);
    assert_true(mk_ok(tds_login7_encode(&in, &buf)));
    buf.data[OFF_USER + 2] = 129;
    expect_bad(buf.data, buf.len, MK_E_TOOBIG);
    buf.data[OFF_USER + 2] = 128;
    buf.data[OFF_PASS + 2] = 129;
    expect_bad(buf.data, buf.len, MK_E_TOOBIG);

    /* The encoder refuses too, and leaves the buffer as it was. */
    mk_buf_reset(&buf);
    fill_units(in.username, 129);
    assert_true(mk_failed(tds_login7_encode(&in, &buf)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_int_equal(buf.len, 0);
    fill_units(in.username, 1);
    mk_secret_free(in.password);
    fill_units(pw, 129);
    assert_true(mk_ok(mk_secret_from(pw, 129, &in.password)));
    assert_true(mk_failed(tds_login7_encode(&in, &buf)));
    tds_login7_cleanup(&in);
    mk_buf_cleanup(&buf);
}

static void test_no_extension_below_74(void **state)
{
    (void)state;
    uint8_t m[sizeof(freetds_login7)];
    memcpy(m, freetds_login7, sizeof(m));
    put32(m + 4, 0x730B0003); /* TDS 7.3: the Extension field is not FeatureExt */
    m[196] = 0x0B;            /* would be a broken FeatureExt */
    tds_login7 l;
    tds_login7_init(&l);
    assert_true(mk_ok(tds_login7_parse(m, sizeof(m), &l)));
    assert_false(l.has_feature_ext);
    tds_login7_cleanup(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_freetds),
        cmocka_unit_test(test_truncated_every_byte),
        cmocka_unit_test(test_length_field),
        cmocka_unit_test(test_offset_errors),
        cmocka_unit_test(test_string_errors),
        cmocka_unit_test(test_featureext_errors),
        cmocka_unit_test(test_featureext_lenient),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_no_extension_below_74),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
