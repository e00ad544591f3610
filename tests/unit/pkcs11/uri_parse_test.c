/*
 * Unit tests for pkcs11/src/uri_parse.c: RFC 7512 parsing of every path and
 * query attribute, percent-decoding (id as raw bytes), vendor attributes, caps,
 * duplicates, and malformed input, each rejected with a "pkcs11 URI: " message
 * that names the bad part and never quotes pin-value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "mk/secret.h"
#include "p11/uri.h"

/* ---- helpers ---- */

static p11_uri *parse_ok(const char *text)
{
    p11_uri *u = NULL;
    mk_error_clear();
    if (mk_failed(p11_uri_parse(text, &u))) {
        fail_msg("parse of '%.200s' failed: %s", text, mk_error_message());
    }
    assert_non_null(u);
    return u;
}

/* Parsing must fail with `code` and a message that starts with the URI prefix
 * and contains every given fragment. */
static void parse_fails(const char *text, mk_err code, const char *frag1, const char *frag2)
{
    p11_uri *u = (p11_uri *)0x1;
    mk_error_clear();
    assert_true(mk_failed(p11_uri_parse(text, &u)));
    assert_null(u);
    const char *msg = mk_error_message();
    if (mk_error_code() != code) {
        fail_msg("'%.200s': expected code %d, got %d (%s)", text, (int)code, (int)mk_error_code(),
                 msg);
    }
    assert_int_equal(strncmp(msg, "pkcs11 URI: ", 12), 0);
    if (frag1 != NULL && strstr(msg, frag1) == NULL) {
        fail_msg("'%.200s': message '%s' lacks '%s'", text, msg, frag1);
    }
    if (frag2 != NULL && strstr(msg, frag2) == NULL) {
        fail_msg("'%.200s': message '%s' lacks '%s'", text, msg, frag2);
    }
}

static char *format_str(const p11_uri *u)
{
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(p11_uri_format(u, &b)));
    assert_non_null(b.data);
    assert_int_equal(strlen((char *)b.data), b.len);
    char *s = strdup((char *)b.data);
    mk_buf_cleanup(&b);
    assert_non_null(s);
    return s;
}

static void assert_attr(const p11_uri *u, p11_uri_attr a, const char *want)
{
    const char *got = p11_uri_get(u, a);
    if (want == NULL) {
        assert_null(got);
    } else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}

/* Everything but pin-value (which the formatter drops) must be equal. */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- parsing every attribute ---- */

static void test_parse_all_path_attributes(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:token=Tok;manufacturer=Maker;serial=0123abcd;model=M1;"
                          "library-manufacturer=LibCo;library-description=Lib%20desc;"
                          "library-version=2.40;object=key%201;type=private;id=%01%02;"
                          "slot-manufacturer=SlotCo;slot-description=Slot%20one;slot-id=42");
    assert_attr(u, P11_URI_TOKEN, "Tok");
    assert_attr(u, P11_URI_MANUFACTURER, "Maker");
    assert_attr(u, P11_URI_SERIAL, "0123abcd");
    assert_attr(u, P11_URI_MODEL, "M1");
    assert_attr(u, P11_URI_LIBRARY_MANUFACTURER, "LibCo");
    assert_attr(u, P11_URI_LIBRARY_DESCRIPTION, "Lib desc");
    assert_attr(u, P11_URI_LIBRARY_VERSION, "2.40");
    assert_attr(u, P11_URI_OBJECT, "key 1");
    assert_attr(u, P11_URI_SLOT_MANUFACTURER, "SlotCo");
    assert_attr(u, P11_URI_SLOT_DESCRIPTION, "Slot one");
    assert_attr(u, P11_URI_PIN_SOURCE, NULL);
    assert_int_equal(p11_uri_get_type(u), P11_URI_TYPE_PRIVATE);
    size_t len = 0;
    const uint8_t *id = p11_uri_id(u, &len);
    assert_true(p11_uri_has_id(u));
    assert_int_equal(len, 2);
    assert_int_equal(id[0], 1);
    assert_int_equal(id[1], 2);
    unsigned long slot = 0;
    assert_true(p11_uri_slot_id(u, &slot));
    assert_int_equal(slot, 42);
    int major = -1, minor = -1;
    assert_true(p11_uri_library_version(u, &major, &minor));
    assert_int_equal(major, 2);
    assert_int_equal(minor, 40);
    assert_false(p11_uri_has_pin_value(u));
    p11_uri_free(u);
}

static void test_parse_query_attributes(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:token=t?pin-source=file:/run/pin%20file&pin-value=12%2634"
                          "&module-name=softhsm2&module-path=/usr/lib/softhsm/libsofthsm2.so");
    assert_attr(u, P11_URI_PIN_SOURCE, "file:/run/pin file");
    assert_attr(u, P11_URI_MODULE_NAME, "softhsm2");
    assert_attr(u, P11_URI_MODULE_PATH, "/usr/lib/softhsm/libsofthsm2.so");
    assert_true(p11_uri_has_pin_value(u));
    mk_secret *pin = NULL;
    assert_true(mk_ok(p11_uri_pin_value(u, &pin)));
    assert_non_null(pin);
    assert_int_equal(mk_secret_len(pin), 5);
    assert_memory_equal(mk_secret_cdata(pin), "12&34", 5);
    mk_secret_free(pin);
    p11_uri_free(u);
}

static void test_parse_empty_and_scheme_case(void **state)
{
    (void)state;
    const char *empties[] = {"pkcs11:", "PKCS11:", "Pkcs11:?"};
    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        p11_uri *u = parse_ok(empties[i]);
        for (int a = 0; a < P11_URI_ATTR_COUNT; a++) {
            assert_null(p11_uri_get(u, (p11_uri_attr)a));
        }
        assert_int_equal(p11_uri_get_type(u), P11_URI_TYPE_ANY);
        assert_false(p11_uri_has_id(u));
        assert_false(p11_uri_slot_id(u, NULL));
        assert_false(p11_uri_library_version(u, NULL, NULL));
        mk_secret *pin = (mk_secret *)0x1;
        assert_true(mk_ok(p11_uri_pin_value(u, &pin)));
        assert_null(pin);
        p11_uri_free(u);
    }
    p11_uri *u = parse_ok("PkCs11:token=x");
    assert_attr(u, P11_URI_TOKEN, "x");
    p11_uri_free(u);
}

static void test_parse_empty_values(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:token=;object=;id=?pin-source=&module-name=");
    assert_attr(u, P11_URI_TOKEN, "");
    assert_attr(u, P11_URI_OBJECT, "");
    assert_attr(u, P11_URI_PIN_SOURCE, "");
    assert_attr(u, P11_URI_MODULE_NAME, "");
    size_t len = 99;
    assert_true(p11_uri_has_id(u));
    assert_non_null(p11_uri_id(u, &len));
    assert_int_equal(len, 0);
    char *f = format_str(u);
    assert_string_equal(f, "pkcs11:token=;object=;id=?pin-source=&module-name=");
    free(f);
    p11_uri_free(u);
    /* Attributes whose grammar needs at least one character. */
    parse_fails("pkcs11:type=", MK_E_INVALID, "bad type", NULL);
    parse_fails("pkcs11:slot-id=", MK_E_INVALID, "slot-id", "decimal");
    parse_fails("pkcs11:library-version=", MK_E_INVALID, "library-version", NULL);
}

/* ---- percent-encoding ---- */

static void test_percent_decoding(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:token=My%20Token%2f%2F%41;object=%e2%82%ac;"
                          "model=a&b:c@d=e!$'()*+,[]~._-");
    assert_attr(u, P11_URI_TOKEN, "My Token//A");
    assert_attr(u, P11_URI_OBJECT, "\xe2\x82\xac");
    assert_attr(u, P11_URI_MODEL, "a&b:c@d=e!$'()*+,[]~._-");
    p11_uri_free(u);
    u = parse_ok("pkcs11:?module-path=/a/b?c|d&pin-source=|/bin/pin");
    assert_attr(u, P11_URI_MODULE_PATH, "/a/b?c|d");
    assert_attr(u, P11_URI_PIN_SOURCE, "|/bin/pin");
    p11_uri_free(u);
}

static void test_percent_decoding_errors(void **state)
{
    (void)state;
    parse_fails("pkcs11:token=%4", MK_E_INVALID, "bad percent-encoding", "'token'");
    parse_fails("pkcs11:token=%", MK_E_INVALID, "bad percent-encoding", "'token'");
    parse_fails("pkcs11:object=ab%zz", MK_E_INVALID, "bad percent-encoding", "'object'");
    parse_fails("pkcs11:object=ab%4g", MK_E_INVALID, "bad percent-encoding", "'object'");
    parse_fails("pkcs11:id=%0", MK_E_INVALID, "bad percent-encoding", "'id'");
    parse_fails("pkcs11:?module-path=%G0", MK_E_INVALID, "bad percent-encoding", "'module-path'");
    parse_fails("pkcs11:object=a%00b", MK_E_INVALID, "NUL", "'object'");
    parse_fails("pkcs11:?pin-source=a%00", MK_E_INVALID, "NUL", "'pin-source'");
    parse_fails("pkcs11:x-v=a%00", MK_E_INVALID, "NUL", "'x-v'");
}

static void test_raw_characters_refused(void **state)
{
    (void)state;
    parse_fails("pkcs11:token=a b", MK_E_INVALID, "0x20", "'token'");
    parse_fails("pkcs11:object=a/b", MK_E_INVALID, "0x2F", "'object'");
    parse_fails("pkcs11:object=caf\xc3\xa9", MK_E_INVALID, "0xC3", "'object'");
    parse_fails("pkcs11:object=a#frag", MK_E_INVALID, "0x23", "'object'");
    parse_fails("pkcs11:object=a\"b", MK_E_INVALID, "0x22", "'object'");
    parse_fails("pkcs11:?module-path=a;b", MK_E_INVALID, "0x3B", "'module-path'");
    parse_fails("pkcs11:?module-name=a\tb", MK_E_INVALID, "0x09", "'module-name'");
}

static void test_id_raw_bytes(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:id=%00%ff%FFA%7e");
    size_t len = 0;
    const uint8_t *id = p11_uri_id(u, &len);
    const uint8_t want[] = {0x00, 0xff, 0xff, 'A', 0x7e};
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(id, want, sizeof(want));
    char *f = format_str(u);
    assert_string_equal(f, "pkcs11:id=%00%FF%FF%41%7E");
    free(f);
    p11_uri_free(u);
}

/* ---- structure errors ---- */

static void test_malformed_structure(void **state)
{
    (void)state;
    parse_fails("", MK_E_INVALID, "must begin with 'pkcs11:'", NULL);
    parse_fails("pkcs11", MK_E_INVALID, "must begin with 'pkcs11:'", NULL);
    parse_fails("pkcs1:token=a", MK_E_INVALID, "must begin with 'pkcs11:'", NULL);
    parse_fails("http://x", MK_E_INVALID, "must begin with 'pkcs11:'", NULL);
    parse_fails(" pkcs11:token=a", MK_E_INVALID, "must begin with 'pkcs11:'", NULL);
    parse_fails("pkcs11:token", MK_E_INVALID, "path attribute 'token' has no '='", NULL);
    parse_fails("pkcs11:token=a;object", MK_E_INVALID, "'object' has no '='", NULL);
    parse_fails("pkcs11:;token=a", MK_E_INVALID, "empty path attribute", "';'");
    parse_fails("pkcs11:token=a;", MK_E_INVALID, "empty path attribute", NULL);
    parse_fails("pkcs11:token=a;;object=b", MK_E_INVALID, "empty path attribute", NULL);
    parse_fails("pkcs11:?&", MK_E_INVALID, "empty query attribute", "'&'");
    parse_fails("pkcs11:?module-name=a&", MK_E_INVALID, "empty query attribute", NULL);
    parse_fails("pkcs11:=a", MK_E_INVALID, "empty name", NULL);
    parse_fails("pkcs11:?=a", MK_E_INVALID, "empty name", NULL);
    parse_fails("pkcs11:?module-name", MK_E_INVALID, "query attribute 'module-name' has no '='",
                NULL);
}

static void test_null_arguments(void **state)
{
    (void)state;
    p11_uri *u = NULL;
    mk_error_clear();
    assert_true(mk_failed(p11_uri_parse(NULL, &u)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_non_null(strstr(mk_error_message(), "pkcs11 URI: "));
    assert_true(mk_failed(p11_uri_parse("pkcs11:", NULL)));
    p11_uri_free(NULL);
}

static void test_unknown_attributes(void **state)
{
    (void)state;
    parse_fails("pkcs11:tokn=a", MK_E_INVALID, "unknown path attribute 'tokn'", NULL);
    parse_fails("pkcs11:token=a;Token=b", MK_E_INVALID, "unknown path attribute 'Token'", NULL);
    parse_fails("pkcs11:?pin-sorce=x", MK_E_INVALID, "unknown query attribute 'pin-sorce'", NULL);
    parse_fails("pkcs11:x-=a", MK_E_INVALID, "unknown path attribute 'x-'", NULL);
    parse_fails("pkcs11:x-a.b=c", MK_E_INVALID, "unknown path attribute 'x-a.b'", NULL);
    parse_fails("pkcs11:X-abc=c", MK_E_INVALID, "unknown path attribute 'X-abc'", NULL);
    /* Unprintable names are shown escaped, long ones truncated. */
    parse_fails("pkcs11:a\nb=c", MK_E_INVALID, "unknown path attribute 'a?b'", NULL);
    char *long_name = repeat('q', 200);
    char text[300];
    snprintf(text, sizeof(text), "pkcs11:%s=1", long_name);
    parse_fails(text, MK_E_INVALID, "unknown path attribute 'qqqq", "...'");
    mk_error_clear();
    p11_uri *u = NULL;
    assert_true(mk_failed(p11_uri_parse(text, &u)));
    assert_true(strlen(mk_error_message()) < 120);
    free(long_name);
    /* Attributes in the wrong component. */
    parse_fails("pkcs11:pin-source=file:x", MK_E_INVALID, "'pin-source' is a query attribute",
                NULL);
    parse_fails("pkcs11:module-path=x", MK_E_INVALID, "'module-path' is a query attribute", NULL);
    parse_fails("pkcs11:?token=x", MK_E_INVALID, "'token' is a path attribute", NULL);
    parse_fails("pkcs11:?id=%01", MK_E_INVALID, "'id' is a path attribute", NULL);
}

static void test_vendor_attributes(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:x-b=2;token=t;x-a_Z-9=%41?x-q=/v&module-name=m");
    assert_attr(u, P11_URI_TOKEN, "t");
    assert_attr(u, P11_URI_MODULE_NAME, "m");
    char *f = format_str(u);
    assert_string_equal(f, "pkcs11:token=t;x-b=2;x-a_Z-9=A?module-name=m&x-q=/v");
    free(f);
    p11_uri *d = NULL;
    assert_true(mk_ok(p11_uri_dup(u, &d)));
    f = format_str(d);
    assert_string_equal(f, "pkcs11:token=t;x-b=2;x-a_Z-9=A?module-name=m&x-q=/v");
    free(f);
    p11_uri_free(d);
    p11_uri_free(u);
    parse_fails("pkcs11:x-a=1;x-a=2", MK_E_INVALID, "duplicate attribute 'x-a'", NULL);
    parse_fails("pkcs11:x-a=a b", MK_E_INVALID, "'x-a'", "0x20");
    char *name = repeat('n', 60);
    char text[200];
    snprintf(text, sizeof(text), "pkcs11:x-%s=1", name);
    parse_fails(text, MK_E_TOOBIG, "vendor attribute name", "longer than");
    free(name);
}

static void test_too_many_vendor_attributes(void **state)
{
    (void)state;
    char text[512] = "pkcs11:";
    for (int i = 0; i < 16; i++) {
        char part[16];
        snprintf(part, sizeof(part), "%sx-v%d=1", i ? ";" : "", i);
        strcat(text, part);
    }
    p11_uri *u = parse_ok(text);
    p11_uri_free(u);
    strcat(text, ";x-v16=1");
    parse_fails(text, MK_E_TOOBIG, "vendor", NULL);
}

static void test_duplicates(void **state)
{
    (void)state;
    parse_fails("pkcs11:token=a;token=a", MK_E_INVALID, "duplicate attribute 'token'", NULL);
    parse_fails("pkcs11:token=;token=", MK_E_INVALID, "duplicate attribute 'token'", NULL);
    parse_fails("pkcs11:type=cert;type=cert", MK_E_INVALID, "duplicate attribute 'type'", NULL);
    parse_fails("pkcs11:id=;id=%01", MK_E_INVALID, "duplicate attribute 'id'", NULL);
    parse_fails("pkcs11:slot-id=1;slot-id=2", MK_E_INVALID, "duplicate attribute 'slot-id'", NULL);
    parse_fails("pkcs11:library-version=1;library-version=1", MK_E_INVALID,
                "duplicate attribute 'library-version'", NULL);
    parse_fails("pkcs11:?module-path=/a&module-path=/a", MK_E_INVALID,
                "duplicate attribute 'module-path'", NULL);
    parse_fails("pkcs11:?pin-source=a&pin-source=b", MK_E_INVALID,
                "duplicate attribute 'pin-source'", NULL);
    parse_fails("pkcs11:?pin-value=1&pin-value=1", MK_E_INVALID, "duplicate attribute 'pin-value'",
                NULL);
}

/* ---- caps ---- */

static void test_caps(void **state)
{
    (void)state;
    /* Whole text: 8192 bytes accepted, 8193 refused before any parsing. */
    char *big = repeat('a', 8192);
    memcpy(big, "pkcs11:object=", 14);
    memcpy(big + 14 + 4096, ";token=", 7);
    p11_uri *u = parse_ok(big);
    assert_int_equal(strlen(p11_uri_get(u, P11_URI_TOKEN)), 8192 - 14 - 4096 - 7);
    p11_uri_free(u);
    free(big);
    char *bigger = repeat('a', 8193);
    memcpy(bigger, "pkcs11:token=", 13);
    parse_fails(bigger, MK_E_TOOBIG, "longer than 8192 bytes", NULL);
    bigger[100] = ' '; /* the cap is checked before any character is looked at */
    parse_fails(bigger, MK_E_TOOBIG, "longer than 8192 bytes", NULL);
    free(bigger);
    /* A string value of exactly 4096 decoded bytes is fine, 4097 is not. */
    char *v = repeat('v', 4096 + 20);
    memcpy(v, "pkcs11:object=", 14);
    v[14 + 4096] = '\0';
    u = parse_ok(v);
    assert_int_equal(strlen(p11_uri_get(u, P11_URI_OBJECT)), 4096);
    p11_uri_free(u);
    v[14 + 4096] = 'v';
    v[14 + 4097] = '\0';
    parse_fails(v, MK_E_TOOBIG, "'object' is longer than 4096 bytes", NULL);
    free(v);
    /* id: 256 bytes accepted, 257 refused. */
    char id[8 + 257 * 3 + 1];
    strcpy(id, "pkcs11:id=");
    for (int i = 0; i < 256; i++) {
        strcat(id, "%AB");
    }
    u = parse_ok(id);
    size_t len = 0;
    assert_non_null(p11_uri_id(u, &len));
    assert_int_equal(len, 256);
    p11_uri_free(u);
    strcat(id, "C");
    parse_fails(id, MK_E_TOOBIG, "'id' is longer than 256 bytes", NULL);
}

static void test_type_values(void **state)
{
    (void)state;
    const struct {
        const char *text;
        p11_uri_type type;
    } cases[] = {
        {"pkcs11:type=private", P11_URI_TYPE_PRIVATE},
        {"pkcs11:type=public", P11_URI_TYPE_PUBLIC},
        {"pkcs11:type=cert", P11_URI_TYPE_CERT},
        {"pkcs11:type=secret-key", P11_URI_TYPE_SECRET_KEY},
        {"pkcs11:type=data", P11_URI_TYPE_DATA},
        {"pkcs11:type=secret%2Dkey", P11_URI_TYPE_SECRET_KEY},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        p11_uri *u = parse_ok(cases[i].text);
        assert_int_equal(p11_uri_get_type(u), cases[i].type);
        p11_uri_free(u);
    }
    parse_fails("pkcs11:type=Private", MK_E_INVALID, "bad type 'Private'", "secret-key");
    parse_fails("pkcs11:type=key", MK_E_INVALID, "bad type 'key'", NULL);
    parse_fails("pkcs11:type=certificate", MK_E_INVALID, "bad type 'certificate'", NULL);
    parse_fails("pkcs11:type=private%20", MK_E_INVALID, "bad type 'private?'", NULL);
    char *longtype = repeat('t', 60);
    memcpy(longtype, "pkcs11:type=", 12);
    parse_fails(longtype, MK_E_TOOBIG, "'type'", NULL);
    free(longtype);
}

static void test_slot_id(void **state)
{
    (void)state;
    char text[64];
    unsigned long got = 0;
    p11_uri *u = parse_ok("pkcs11:slot-id=0");
    assert_true(p11_uri_slot_id(u, &got));
    assert_int_equal(got, 0);
    p11_uri_free(u);
    snprintf(text, sizeof(text), "pkcs11:slot-id=%lu", ~0UL);
    u = parse_ok(text);
    assert_true(p11_uri_slot_id(u, &got));
    assert_true(got == ~0UL);
    p11_uri_free(u);
    u = parse_ok("pkcs11:slot-id=007");
    assert_true(p11_uri_slot_id(u, &got));
    assert_int_equal(got, 7);
    char *f = format_str(u);
    assert_string_equal(f, "pkcs11:slot-id=7");
    free(f);
    p11_uri_free(u);
    snprintf(text, sizeof(text), "pkcs11:slot-id=%lu0", ~0UL);
    parse_fails(text, MK_E_INVALID, "slot-id is out of range", NULL);
    parse_fails("pkcs11:slot-id=18446744073709551616", MK_E_INVALID, "out of range", NULL);
    parse_fails("pkcs11:slot-id=1a", MK_E_INVALID, "slot-id must be a decimal number", NULL);
    parse_fails("pkcs11:slot-id=-1", MK_E_INVALID, "slot-id must be a decimal number", NULL);
    parse_fails("pkcs11:slot-id=+1", MK_E_INVALID, "slot-id must be a decimal number", NULL);
    parse_fails("pkcs11:slot-id=0x10", MK_E_INVALID, "slot-id must be a decimal number", NULL);
}

static void test_library_version(void **state)
{
    (void)state;
    const struct {
        const char *v;
        int major, minor;
    } ok[] = {{"1", 1, 0}, {"2.40", 2, 40}, {"0.0", 0, 0}, {"255.255", 255, 255}, {"3.01", 3, 1}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char text[64];
        snprintf(text, sizeof(text), "pkcs11:library-version=%s", ok[i].v);
        p11_uri *u = parse_ok(text);
        int major = -1, minor = -1;
        assert_true(p11_uri_library_version(u, &major, &minor));
        assert_int_equal(major, ok[i].major);
        assert_int_equal(minor, ok[i].minor);
        assert_attr(u, P11_URI_LIBRARY_VERSION, ok[i].v);
        p11_uri_free(u);
    }
    const char *bad[] = {"256", "1.256", "1.", ".1", "1.2.3", "a", "1,2", "-1", "1.-2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[64];
        snprintf(text, sizeof(text), "pkcs11:library-version=%s", bad[i]);
        parse_fails(text, MK_E_INVALID, "library-version must be MAJOR or MAJOR.MINOR", NULL);
    }
    p11_uri *u = NULL;
    assert_true(mk_ok(p11_uri_new(&u)));
    mk_error_clear();
    assert_true(mk_failed(p11_uri_set(u, P11_URI_LIBRARY_VERSION, "v1")));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_null(p11_uri_get(u, P11_URI_LIBRARY_VERSION));
    assert_true(mk_ok(p11_uri_set(u, P11_URI_LIBRARY_VERSION, "3.2")));
    int major = 0, minor = 0;
    assert_true(p11_uri_library_version(u, &major, &minor));
    assert_int_equal(major, 3);
    assert_int_equal(minor, 2);
    p11_uri_free(u);
}

static void test_pin_value_never_in_errors(void **state)
{
    (void)state;
    const char *pin = "S3cretPIN";
    const char *texts[] = {
        "pkcs11:?pin-value=S3cretPIN%zz",        /* bad escape after the PIN */
        "pkcs11:?pin-value=S3cretPIN%00",        /* NUL */
        "pkcs11:?pin-value=S3cretPIN;x",         /* raw ';' in the query */
        "pkcs11:?pin-value=12&S3cretPIN=1",      /* unencoded '&' inside the PIN */
        "pkcs11:?pin-value=12&S3cretPIN",        /* ... with no '=' after it */
        "pkcs11:?pin-value=12&x-S3cretPIN=a%00", /* ... looking like a vendor name */
        "pkcs11:?pin-value=S3cretPIN&pin-value=S3cretPIN",
        "pkcs11:?module-name=a&S3cretPIN&pin-value=1",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        p11_uri *u = NULL;
        mk_error_clear();
        assert_true(mk_failed(p11_uri_parse(texts[i], &u)));
        assert_null(u);
        if (strstr(mk_error_message(), pin) != NULL) {
            fail_msg("PIN leaked for '%s': %s", texts[i], mk_error_message());
        }
        assert_int_equal(strncmp(mk_error_message(), "pkcs11 URI: ", 12), 0);
    }
    char text[400];
    char *longpin = repeat('P', 257);
    snprintf(text, sizeof(text), "pkcs11:?pin-value=%s", longpin);
    parse_fails(text, MK_E_TOOBIG, "'pin-value' is longer than 256 bytes", NULL);
    assert_null(strstr(mk_error_message(), "PPPP"));
    free(longpin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_all_path_attributes),
        cmocka_unit_test(test_parse_query_attributes),
        cmocka_unit_test(test_parse_empty_and_scheme_case),
        cmocka_unit_test(test_parse_empty_values),
        cmocka_unit_test(test_percent_decoding),
        cmocka_unit_test(test_percent_decoding_errors),
        cmocka_unit_test(test_raw_characters_refused),
        cmocka_unit_test(test_id_raw_bytes),
        cmocka_unit_test(test_malformed_structure),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_unknown_attributes),
        cmocka_unit_test(test_vendor_attributes),
        cmocka_unit_test(test_too_many_vendor_attributes),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_type_values),
        cmocka_unit_test(test_slot_id),
        cmocka_unit_test(test_library_version),
        cmocka_unit_test(test_pin_value_never_in_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
