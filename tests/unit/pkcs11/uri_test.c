/*
 * Unit tests for pkcs11/src/uri.c: canonical formatting (order, percent-
 * encoding per component, id always %XX, pin-value never written), the output
 * cap, the parse -> format -> parse round trip, and the setters, dup and
 * attribute names.
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
static void assert_same_uri(const p11_uri *a, const p11_uri *b)
{
    for (int i = 0; i < P11_URI_ATTR_COUNT; i++) {
        assert_attr(b, (p11_uri_attr)i, p11_uri_get(a, (p11_uri_attr)i));
    }
    assert_int_equal(p11_uri_get_type(a), p11_uri_get_type(b));
    assert_int_equal(p11_uri_has_id(a), p11_uri_has_id(b));
    size_t la = 0, lb = 0;
    const uint8_t *ia = p11_uri_id(a, &la);
    const uint8_t *ib = p11_uri_id(b, &lb);
    assert_int_equal(la, lb);
    if (la > 0) {
        assert_memory_equal(ia, ib, la);
    }
    unsigned long sa = 0, sb = 0;
    assert_int_equal(p11_uri_slot_id(a, &sa), p11_uri_slot_id(b, &sb));
    assert_int_equal(sa, sb);
}

/* parse -> format -> parse: equal URIs and identical canonical text. */
static void assert_round_trip(const char *text)
{
    p11_uri *a = parse_ok(text);
    char *fa = format_str(a);
    p11_uri *b = parse_ok(fa);
    char *fb = format_str(b);
    assert_same_uri(a, b);
    assert_string_equal(fa, fb);
    free(fa);
    free(fb);
    p11_uri_free(a);
    p11_uri_free(b);
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- formatting ---- */

static void test_canonical_format(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("PKCS11:id=A;object=my%20key;type=private;slot-id=3;token=T%2fx%26y;"
                          "serial=%41%42?module-path=/usr/lib/softhsm/libsofthsm2.so"
                          "&pin-source=file:/run/pin&module-name=soft%26hsm");
    char *f = format_str(u);
    assert_string_equal(f, "pkcs11:token=T%2Fx&y;serial=AB;slot-id=3;object=my%20key;"
                           "type=private;id=%41?pin-source=file:/run/pin&module-name=soft%26hsm"
                           "&module-path=/usr/lib/softhsm/libsofthsm2.so");
    free(f);
    p11_uri_free(u);
    /* Query-only characters are encoded in the path and the other way round. */
    assert_true(mk_ok(p11_uri_new(&u)));
    assert_true(mk_ok(p11_uri_set(u, P11_URI_OBJECT, "a/b?c|d&e;f")));
    assert_true(mk_ok(p11_uri_set(u, P11_URI_MODULE_PATH, "a/b?c|d&e;f")));
    f = format_str(u);
    assert_string_equal(f, "pkcs11:object=a%2Fb%3Fc%7Cd&e%3Bf?module-path=a/b?c|d%26e%3Bf");
    free(f);
    p11_uri_free(u);
}

static void test_format_appends_and_terminates(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:token=t");
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(mk_buf_append_str(&b, "uri=")));
    assert_true(mk_ok(p11_uri_format(u, &b)));
    assert_int_equal(b.len, strlen("uri=pkcs11:token=t"));
    assert_string_equal((char *)b.data, "uri=pkcs11:token=t");
    mk_buf_cleanup(&b);
    p11_uri_free(u);
    assert_true(mk_ok(p11_uri_new(&u)));
    char *f = format_str(u);
    assert_string_equal(f, "pkcs11:");
    free(f);
    p11_uri_free(u);
}

static void test_format_refuses_overlong(void **state)
{
    (void)state;
    p11_uri *u = NULL;
    assert_true(mk_ok(p11_uri_new(&u)));
    char *v = repeat(' ', 4096);
    assert_true(mk_ok(p11_uri_set(u, P11_URI_TOKEN, v))); /* 3 x 4096 encoded */
    free(v);
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(mk_buf_append_str(&b, "keep")));
    mk_error_clear();
    assert_true(mk_failed(p11_uri_format(u, &b)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_non_null(strstr(mk_error_message(), "pkcs11 URI: "));
    assert_int_equal(b.len, 4); /* nothing half-written is left behind */
    mk_buf_cleanup(&b);
    /* A capped buffer that cannot hold the text fails cleanly too. */
    assert_true(mk_ok(p11_uri_set(u, P11_URI_TOKEN, "abcdef")));
    mk_buf_init(&b, 10);
    assert_true(mk_failed(p11_uri_format(u, &b)));
    assert_int_equal(b.len, 0);
    mk_buf_cleanup(&b);
    p11_uri_free(u);
}

static void test_pin_value_never_formatted(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:token=t?pin-value=Sup3rS3cret&module-name=m");
    assert_true(p11_uri_has_pin_value(u));
    char *f = format_str(u);
    assert_null(strstr(f, "pin-value"));
    assert_null(strstr(f, "Sup3rS3cret"));
    assert_string_equal(f, "pkcs11:token=t?module-name=m");
    free(f);
    p11_uri *d = NULL;
    assert_true(mk_ok(p11_uri_dup(u, &d)));
    mk_secret *a = NULL, *b = NULL;
    assert_true(mk_ok(p11_uri_pin_value(u, &a)));
    assert_true(mk_ok(p11_uri_pin_value(d, &b)));
    assert_true(mk_secret_equal(a, b));
    assert_memory_equal(mk_secret_cdata(b), "Sup3rS3cret", 11);
    mk_secret_free(a);
    mk_secret_free(b);
    p11_uri_free(d);
    p11_uri_free(u);
    /* Only pin-value in the query: the '?' disappears with it. */
    u = parse_ok("pkcs11:?pin-value=x");
    f = format_str(u);
    assert_string_equal(f, "pkcs11:");
    free(f);
    p11_uri_free(u);
}

/* ---- round trip ---- */

static void test_round_trip(void **state)
{
    (void)state;
    const char *texts[] = {
        "pkcs11:",
        "pkcs11:token=a;object=b;type=cert",
        "pkcs11:token=My%20Token;manufacturer=SoftHSM%20project;serial=a1b2;model=SoftHSM%20v2;"
        "library-manufacturer=x;library-description=y;library-version=2.6;object=k;"
        "type=secret-key;id=%00%01%FF;slot-manufacturer=s;slot-description=d;slot-id=9"
        "?pin-source=file:/p&module-name=n&module-path=/m.so",
        "pkcs11:id=;token=?pin-source=",
        "pkcs11:object=%E2%82%AC%25%3B%3F%23;x-v=a&b?x-q=%26/?|",
        "pkcs11:token=a&b:c@d=e!$'()*+,[]~._-",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        assert_round_trip(texts[i]);
    }
}

static void test_round_trip_all_bytes(void **state)
{
    (void)state;
    char value[256];
    for (int i = 1; i < 256; i++) {
        value[i - 1] = (char)i;
    }
    value[255] = '\0';
    uint8_t id[256];
    for (int i = 0; i < 256; i++) {
        id[i] = (uint8_t)i;
    }
    p11_uri *u = NULL;
    assert_true(mk_ok(p11_uri_new(&u)));
    assert_true(mk_ok(p11_uri_set(u, P11_URI_OBJECT, value)));
    assert_true(mk_ok(p11_uri_set(u, P11_URI_PIN_SOURCE, value)));
    assert_true(mk_ok(p11_uri_set_id(u, id, sizeof(id))));
    p11_uri_set_type(u, P11_URI_TYPE_DATA);
    char *f = format_str(u);
    p11_uri *back = parse_ok(f);
    assert_same_uri(u, back);
    free(f);
    p11_uri_free(back);
    p11_uri_free(u);
}

/* ---- API ---- */

static void test_setters_and_dup(void **state)
{
    (void)state;
    p11_uri *u = NULL;
    assert_true(mk_ok(p11_uri_new(&u)));
    assert_true(mk_ok(p11_uri_set(u, P11_URI_TOKEN, "a")));
    assert_true(mk_ok(p11_uri_set(u, P11_URI_TOKEN, "b")));
    assert_attr(u, P11_URI_TOKEN, "b");
    assert_true(mk_ok(p11_uri_set(u, P11_URI_TOKEN, NULL)));
    assert_attr(u, P11_URI_TOKEN, NULL);
    mk_error_clear();
    assert_true(mk_failed(p11_uri_set(u, P11_URI_ATTR_COUNT, "x")));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_null(p11_uri_get(u, P11_URI_ATTR_COUNT));
    assert_null(p11_uri_get(NULL, P11_URI_TOKEN));
    char *huge = repeat('h', 4097);
    assert_true(mk_failed(p11_uri_set(u, P11_URI_MODULE_PATH, huge)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    free(huge);
    /* Types outside the enum leave the URI unconstrained. */
    p11_uri_set_type(u, P11_URI_TYPE_CERT);
    assert_int_equal(p11_uri_get_type(u), P11_URI_TYPE_CERT);
    p11_uri_set_type(u, (p11_uri_type)77);
    assert_int_equal(p11_uri_get_type(u), P11_URI_TYPE_ANY);
    /* id: set, empty, too long, clear. */
    uint8_t id[257] = {0};
    assert_true(mk_failed(p11_uri_set_id(u, id, sizeof(id))));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_false(p11_uri_has_id(u));
    assert_true(mk_failed(p11_uri_set_id(u, NULL, 3)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_true(mk_ok(p11_uri_set_id(u, id, 0)));
    assert_true(p11_uri_has_id(u));
    assert_true(mk_ok(p11_uri_set_id(u, (const uint8_t *)"\x00\x07", 2)));
    p11_uri *d = NULL;
    assert_true(mk_ok(p11_uri_set(u, P11_URI_MODULE_NAME, "mod")));
    assert_true(mk_ok(p11_uri_dup(u, &d)));
    assert_same_uri(u, d);
    assert_false(p11_uri_has_pin_value(d));
    p11_uri_free(d);
    assert_true(mk_ok(p11_uri_set_id(u, NULL, 0)));
    assert_false(p11_uri_has_id(u));
    size_t len = 5;
    assert_null(p11_uri_id(u, &len));
    assert_int_equal(len, 0);
    p11_uri_free(u);
}

static void test_attr_names(void **state)
{
    (void)state;
    const char *names[P11_URI_ATTR_COUNT] = {"token",
                                             "manufacturer",
                                             "serial",
                                             "model",
                                             "library-manufacturer",
                                             "library-description",
                                             "library-version",
                                             "object",
                                             "slot-manufacturer",
                                             "slot-description",
                                             "pin-source",
                                             "module-name",
                                             "module-path"};
    for (int i = 0; i < P11_URI_ATTR_COUNT; i++) {
        assert_string_equal(p11_uri_attr_name((p11_uri_attr)i), names[i]);
        /* Each name parses to the same attribute. */
        char text[80];
        bool query = i >= P11_URI_PIN_SOURCE;
        snprintf(text, sizeof(text), "pkcs11:%s%s=1", query ? "?" : "", names[i]);
        p11_uri *u = parse_ok(text);
        assert_attr(u, (p11_uri_attr)i, "1");
        p11_uri_free(u);
    }
    assert_string_equal(p11_uri_attr_name(P11_URI_ATTR_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_format),
        cmocka_unit_test(test_format_appends_and_terminates),
        cmocka_unit_test(test_format_refuses_overlong),
        cmocka_unit_test(test_pin_value_never_formatted),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_all_bytes),
        cmocka_unit_test(test_setters_and_dup),
        cmocka_unit_test(test_attr_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
