/*
 * Unit tests for 'TCP://host:port' (server/endpoint/src/address.c): host
 * names, IPv4, bracketed IPv6, scheme case, and every refusal (scheme,
 * host characters and length, port syntax and range, trailing bytes,
 * truncation at every byte).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "endpoint/address.h"

static void ok(const char *text, const char *host, uint16_t port)
{
    char h[EP_HOST_MAX + 1];
    uint16_t p = 0;
    assert_true(mk_ok(ep_address_parse(text, strlen(text), h, &p)));
    assert_string_equal(h, host);
    assert_int_equal(p, port);
}

static void bad(const char *text, mk_err code)
{
    char h[EP_HOST_MAX + 1];
    uint16_t p = 0;
    assert_true(mk_failed(ep_address_parse(text, strlen(text), h, &p)));
    assert_int_equal(mk_error_code(), code);
}

static void test_accepted(void **state)
{
    (void)state;
    ok("TCP://HOST_B.example.com:7024", "HOST_B.example.com", 7024);
    ok("tcp://10.0.0.5:1", "10.0.0.5", 1);
    ok("Tcp://[::1]:65535", "::1", 65535);
    ok("TCP://[fe80::1:2]:5022", "fe80::1:2", 5022);
}

static void test_refused(void **state)
{
    (void)state;
    bad("", MK_E_INVALID);
    bad("HTTP://h:1", MK_E_INVALID);
    bad("TCP:/h:1", MK_E_INVALID);
    bad("TCP://:1", MK_E_INVALID);
    bad("TCP://h", MK_E_INVALID);
    bad("TCP://h:", MK_E_INVALID);
    bad("TCP://h:0", MK_E_INVALID);
    bad("TCP://h:65536", MK_E_INVALID);
    bad("TCP://h:000001", MK_E_INVALID);
    bad("TCP://h:12a", MK_E_INVALID);
    bad("TCP://h:1 ", MK_E_INVALID);
    bad("TCP://h h:1", MK_E_INVALID);
    bad("TCP://h;rm:1", MK_E_INVALID);
    bad("TCP://::1:1", MK_E_INVALID);
    bad("TCP://[::1:1", MK_E_INVALID);
    bad("TCP://[::1]1", MK_E_INVALID);
    bad("TCP://[]:1", MK_E_INVALID);
    char as[EP_HOST_MAX + 2];
    char big[EP_HOST_MAX + 20];
    memset(as, 'a', sizeof(as) - 1);
    as[sizeof(as) - 1] = '\0';
    snprintf(big, sizeof(big), "TCP://%s:1", as); /* EP_HOST_MAX + 1 characters */
    bad(big, MK_E_TOOBIG);
    /* Exactly EP_HOST_MAX is fine. */
    snprintf(big, sizeof(big), "TCP://%.*s:1", EP_HOST_MAX, as);
    char h[EP_HOST_MAX + 1];
    uint16_t p = 0;
    assert_true(mk_ok(ep_address_parse(big, strlen(big), h, &p)));
    assert_int_equal(strlen(h), EP_HOST_MAX);
    /* Every prefix that ends before a port digit fails (an embedded NUL too). */
    const char *good = "TCP://[::1]:5022";
    for (size_t n = 0; n <= strlen("TCP://[::1]:"); n++) {
        assert_true(mk_failed(ep_address_parse(good, n, h, &p)));
    }
    assert_true(mk_failed(ep_address_parse("TCP://h\0x:1", 11, h, &p)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
