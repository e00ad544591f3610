/*
 * Sockets: address parsing (good and bad), listening on port 0 reports the
 * real port, a port in use is MK_E_EXISTS, accept times out, and a plain
 * connection carries bytes both ways and sees EOF.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/socket.h"

static void test_parse_hostport(void **state)
{
    (void)state;
    char host[64];
    uint16_t port = 0;
    assert_true(mk_ok(net_parse_hostport("127.0.0.1:1433", host, sizeof(host), &port)));
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 1433);
    assert_true(mk_ok(net_parse_hostport("[::1]:0", host, sizeof(host), &port)));
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    assert_true(mk_ok(net_parse_hostport("*:7024", host, sizeof(host), &port)));
    assert_string_equal(host, "");
    assert_true(mk_ok(net_parse_hostport(":7024", host, sizeof(host), &port)));
    assert_string_equal(host, "");

    const char *bad[] = {"127.0.0.1", "127.0.0.1:", "h:65536", "h:-1", "h:12x", "h:99999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_true(mk_failed(net_parse_hostport(bad[i], host, sizeof(host), &port)));
        assert_int_equal(mk_error_code(), MK_E_INVALID);
    }
    char tiny[4];
    assert_true(mk_failed(net_parse_hostport("localhost:1", tiny, sizeof(tiny), &port)));
    assert_true(mk_failed(net_parse_hostport(NULL, host, sizeof(host), &port)));
}

static void test_listen_connect_roundtrip(void **state)
{
    (void)state;
    int lfd = -1;
    int lfd2 = -1;
    int cfd = -1;
    int sfd = -1;
    uint16_t port = 0;
    uint16_t port2 = 0;
    char peer[64];
    assert_true(mk_ok(net_listen("127.0.0.1", 0, &lfd, &port)));
    assert_true(port != 0);
    /* Same port again: in use. */
    assert_true(mk_failed(net_listen("127.0.0.1", port, &lfd2, &port2)));
    assert_int_equal(mk_error_code(), MK_E_EXISTS);

    /* Nothing pending: accept times out with fd -1. */
    assert_true(mk_ok(net_accept(lfd, 10, &sfd, NULL, 0)));
    assert_int_equal(sfd, -1);

    assert_true(mk_ok(net_connect("127.0.0.1", port, 2000, &cfd)));
    assert_true(mk_ok(net_accept(lfd, 2000, &sfd, peer, sizeof(peer))));
    assert_true(sfd >= 0);
    assert_non_null(strstr(peer, "127.0.0.1:"));

    mk_conn *client = NULL;
    mk_conn *server = NULL;
    assert_true(mk_ok(net_plain_new(cfd, &client)));
    assert_true(mk_ok(net_plain_new(sfd, &server)));
    assert_true(mk_ok(net_write(client, (const uint8_t *)"hello", 5)));
    uint8_t buf[5];
    assert_true(mk_ok(net_read_full(server, buf, 5)));
    assert_memory_equal(buf, "hello", 5);
    net_conn_free(client);
    /* The peer closed: a full read fails with "connection closed". */
    assert_true(mk_failed(net_read_full(server, buf, 1)));
    assert_int_equal(mk_error_code(), MK_E_IO);
    net_conn_free(server);
    net_conn_free(NULL);
    close(lfd);
}

static void test_connect_refused(void **state)
{
    (void)state;
    int lfd = -1;
    int fd = -1;
    uint16_t port = 0;
    assert_true(mk_ok(net_listen("127.0.0.1", 0, &lfd, &port)));
    close(lfd); /* nobody listens there now */
    assert_true(mk_failed(net_connect("127.0.0.1", port, 1000, &fd)));
    assert_int_equal(mk_error_code(), MK_E_IO);
    assert_non_null(strstr(mk_error_message(), "connecting to 127.0.0.1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_hostport),
        cmocka_unit_test(test_listen_connect_roundtrip),
        cmocka_unit_test(test_connect_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
