/*
 * Fuzz target for p11_uri_parse (pkcs11/src/uri_parse.c).
 *
 * Any byte sequence must either be refused with a "pkcs11 URI: " message and
 * no object, or parse to a URI whose canonical text parses back to an equal
 * URI and formats to the same text again (a stable round trip). A formatted
 * URI never carries pin-value, a copy formats identically, and a URI always
 * matches the very field values it names. Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "p11/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "p11_uri_fuzz: check failed at line %d: %s\n", __LINE__, #cond);       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Equal in everything the formatter writes (pin-value is never written). */
static void check_same(const p11_uri *a, const p11_uri *b)
{
    for (int i = 0; i < P11_URI_ATTR_COUNT; i++) {
        CHECK(same_str(p11_uri_get(a, (p11_uri_attr)i), p11_uri_get(b, (p11_uri_attr)i)));
    }
    CHECK(p11_uri_get_type(a) == p11_uri_get_type(b));
    size_t la = 0, lb = 0;
    const uint8_t *ia = p11_uri_id(a, &la);
    const uint8_t *ib = p11_uri_id(b, &lb);
    CHECK(p11_uri_has_id(a) == p11_uri_has_id(b));
    CHECK(la == lb && (la == 0 || memcmp(ia, ib, la) == 0));
    unsigned long sa = 0, sb = 0;
    CHECK(p11_uri_slot_id(a, &sa) == p11_uri_slot_id(b, &sb) && sa == sb);
}

/* A URI matches the token, library and slot it describes. */
static void check_self_match(const p11_uri *u)
{
    int major = 0, minor = 0;
    unsigned long slot = 0;
    (void)p11_uri_library_version(u, &major, &minor);
    (void)p11_uri_slot_id(u, &slot);
    CHECK(p11_uri_match_token(u, p11_uri_get(u, P11_URI_TOKEN),
                              p11_uri_get(u, P11_URI_MANUFACTURER), p11_uri_get(u, P11_URI_SERIAL),
                              p11_uri_get(u, P11_URI_MODEL)));
    CHECK(p11_uri_match_library(u, p11_uri_get(u, P11_URI_LIBRARY_MANUFACTURER),
                                p11_uri_get(u, P11_URI_LIBRARY_DESCRIPTION), major, minor));
    CHECK(p11_uri_match_slot(u, p11_uri_get(u, P11_URI_SLOT_MANUFACTURER),
                             p11_uri_get(u, P11_URI_SLOT_DESCRIPTION), slot));
}

/* Format u into a fresh buffer; false only when the text would exceed the cap. */
static bool format(const p11_uri *u, mk_buf *out)
{
    mk_buf_init(out, 0);
    if (mk_failed(p11_uri_format(u, out))) {
        CHECK(mk_error_code() == MK_E_TOOBIG);
        CHECK(out->len == 0);
        return false;
    }
    CHECK(out->data != NULL && strlen((const char *)out->data) == out->len);
    CHECK(strncmp((const char *)out->data, "pkcs11:", 7) == 0);
    return true;
}

static void check_round_trip(const p11_uri *u)
{
    mk_buf first, second, copy_text;
    p11_uri *back = NULL, *copy = NULL;
    if (!format(u, &first)) {
        mk_buf_cleanup(&first);
        return;
    }
    CHECK(mk_ok(p11_uri_parse((const char *)first.data, &back)));
    check_same(u, back);
    CHECK(!p11_uri_has_pin_value(back));
    CHECK(format(back, &second));
    CHECK(second.len == first.len && memcmp(first.data, second.data, first.len) == 0);
    CHECK(mk_ok(p11_uri_dup(u, &copy)));
    check_same(u, copy);
    CHECK(p11_uri_has_pin_value(copy) == p11_uri_has_pin_value(u));
    CHECK(format(copy, &copy_text));
    CHECK(copy_text.len == first.len && memcmp(first.data, copy_text.data, first.len) == 0);
    p11_uri_free(back);
    p11_uri_free(copy);
    mk_buf_cleanup(&first);
    mk_buf_cleanup(&second);
    mk_buf_cleanup(&copy_text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL) {
        return 0;
    }
    if (size > 0) {
        memcpy(text, data, size);
    }
    text[size] = '\0';
    p11_uri *u = (p11_uri *)&text; /* must be overwritten either way */
    mk_error_clear();
    if (mk_failed(p11_uri_parse(text, &u))) {
        CHECK(u == NULL);
        CHECK(strncmp(mk_error_message(), "pkcs11 URI: ", 12) == 0);
    } else {
        CHECK(u != NULL);
        check_self_match(u);
        check_round_trip(u);
        p11_uri_free(u);
    }
    free(text);
    return 0;
}
