/*
 * Unit tests for setup/src/topology.c: a complete file with every field and
 * every default (derived roles, key, endpoint address with IPv6 brackets),
 * the INI details libinih leaves to us (long section names, indentation,
 * inline comments, "name: value", CRLF, BOM, over-long lines), and each
 * refusal with the exact "SOURCE:LINE: what" message. Then topo_load_file's
 * file checks, topo_find, topo_are_peers and the name functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mk/result.h"
#include "topology.h"

/* An instance with every required key: 7 lines. */
#define INST(name, port)                                                                           \
    "[instance " name "]\n"                                                                        \
    "server = " name ":1433\n"                                                                     \
    "login = sa\n"                                                                                 \
    "password-file = /pw\n"                                                                        \
    "ca-file = /ca.pem\n"                                                                          \
    "endpoint-port = " port "\n"                                                                   \
    "master-key-password-file = /mk\n"
/* Instances A, B and W on lines 1..21; a session starts on line 22. */
#define THREE INST("A", "5022") INST("B", "5023") INST("W", "5024")
#define SESSION(principal, mirror)                                                                 \
    "[session db]\n"                                                                               \
    "principal = " principal "\n"                                                                  \
    "mirror = " mirror "\n"

static const char full[] = "# a complete topology\n"                                /* 1 */
                           "[instance HOST_A]\n"                                    /* 2 */
                           "server = 127.0.0.1:14330          ; the TDS listener\n" /* 3 */
                           "login = admin\n"                                        /* 4 */
                           "password-file = /etc/mk/admin.pw\n"                     /* 5 */
                           "ca-file = /etc/mk/HOST_A-tds.pem\n"                     /* 6 */
                           "trust-server-certificate = no\n"                        /* 7 */
                           "endpoint-port = 5022\n"                                 /* 8 */
                           "endpoint-address = TCP://hosta.example:5022\n"          /* 9 */
                           "role = All\n"                                           /* 10 */
                           "master-key-password-file = /etc/mk/HOST_A.mk.pw\n"      /* 11 */
                           "certificate-expiry = 2028-02-29\n"                      /* 12 */
                           "key = RSA:4096\n"                                       /* 13 */
                           "\n"                                                     /* 14 */
                           "[instance HOST_B]\n"                                    /* 15 */
                           "server = [::1]:14331\n"                                 /* 16 */
                           "login = admin\n"                                        /* 17 */
                           "password-file = /etc/mk/admin.pw\n"                     /* 18 */
                           "trust-server-certificate = yes\n"                       /* 19 */
                           "endpoint-port = 5023\n"                                 /* 20 */
                           "master-key-password-file = /etc/mk/HOST_B.mk.pw\n"      /* 21 */
                           "[instance WITNESS]\n"                                   /* 22 */
                           "server = wit_tds\n"                                     /* 23 */
                           "login = admin\n"                                        /* 24 */
                           "password-file = /etc/mk/admin.pw\n"                     /* 25 */
                           "ca-file = /etc/mk/W.pem\n"                              /* 26 */
                           "endpoint-port = 5024\n"                                 /* 27 */
                           "master-key-password-file = /etc/mk/W.mk.pw\n"           /* 28 */
                           "key = ec:p256\n"                                        /* 29 */
                           "[instance spare]\n"                                     /* 30 */
                           "server = [fe80::1]\n"                                   /* 31 */
                           "login = admin\n"                                        /* 32 */
                           "password-file = /etc/mk/admin.pw\n"                     /* 33 */
                           "ca-file = /etc/mk/S.pem\n"                              /* 34 */
                           "endpoint-port = 5025\n"                                 /* 35 */
                           "master-key-password-file = /etc/mk/S.mk.pw\n"           /* 36 */
                           "[session pg_main]\n"                                    /* 37 */
                           "principal = HOST_A\n"                                   /* 38 */
                           "mirror = host_b\n"                                      /* 39 */
                           "witness = WITNESS\n";                                   /* 40 */

static topology *parse_ok(const char *text)
{
    topology *t = NULL;
    mk_result r = topo_parse_string(text, "t.ini", &t);
    if (mk_failed(r)) {
        fail_msg("unexpected error: %s", mk_error_message());
    }
    assert_non_null(t);
    return t;
}

/* Parsing fails with exactly "t.ini:LINE: what" and leaves *out NULL. */
static void parse_bad(const char *text, int line, const char *what)
{
    topology *t = (topology *)&t; /* must be reset to NULL */
    char want[600];
    snprintf(want, sizeof(want), "t.ini:%d: %s", line, what);
    assert_true(mk_failed(topo_parse_string(text, "t.ini", &t)));
    assert_null(t);
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_string_equal(mk_error_message(), want);
}

static const char *const base_keys[] = {"server",  "login",         "password-file",
                                        "ca-file", "endpoint-port", "master-key-password-file"};
static const char *const base_values[] = {"A:1433", "sa", "/pw", "/ca.pem", "5022", "/mk"};

/*
 * "[instance A]" with the required keys on lines 2..7 in base_keys order,
 * but `key` set to `value` (on its own line, or line 8 if not a base key)
 * or left out when value is NULL. Returns the line of the key (1 if left out).
 */
static int instance_with(char *buf, size_t cap, const char *key, const char *value)
{
    int line = 8;
    bool found = false;
    size_t len = (size_t)snprintf(buf, cap, "[instance A]\n");
    for (size_t i = 0; i < sizeof(base_keys) / sizeof(base_keys[0]); i++) {
        const char *v = base_values[i];
        if (key != NULL && strcmp(key, base_keys[i]) == 0) {
            found = true;
            line = value != NULL ? (int)i + 2 : 1;
            v = value;
        }
        if (v != NULL) {
            len += (size_t)snprintf(&buf[len], cap - len, "%s = %s\n", base_keys[i], v);
        }
    }
    if (!found && key != NULL) {
        snprintf(&buf[len], cap - len, "%s = %s\n", key, value);
    }
    return line;
}

static topology *value_ok(const char *key, const char *value)
{
    char buf[8192];
    (void)instance_with(buf, sizeof(buf), key, value);
    return parse_ok(buf);
}

/* `key = value` in an otherwise valid instance fails with "KEY: what" on its line. */
static void value_bad(const char *key, const char *value, const char *what)
{
    char buf[8192];
    char msg[300];
    int line = instance_with(buf, sizeof(buf), key, value);
    snprintf(msg, sizeof(msg), "%s: %s", key, what);
    parse_bad(buf, line, msg);
}

static void test_full_file(void **state)
{
    (void)state;
    topology *t = parse_ok(full);
    assert_int_equal(t->n_instances, 4);
    assert_int_equal(t->n_sessions, 1);

    const topo_instance *a = &t->instances[0];
    assert_string_equal(a->name, "HOST_A");
    assert_int_equal(a->line, 2);
    assert_string_equal(a->server, "127.0.0.1:14330");
    assert_string_equal(a->host, "127.0.0.1");
    assert_int_equal(a->port, 14330);
    assert_string_equal(a->login, "admin");
    assert_string_equal(a->password_file, "/etc/mk/admin.pw");
    assert_string_equal(a->ca_file, "/etc/mk/HOST_A-tds.pem");
    assert_false(a->trust_server_certificate);
    assert_int_equal(a->endpoint_port, 5022);
    assert_string_equal(a->endpoint_address, "TCP://hosta.example:5022");
    assert_int_equal(a->role, TOPO_ROLE_ALL);
    assert_true(a->role_given);
    assert_string_equal(a->master_key_password_file, "/etc/mk/HOST_A.mk.pw");
    assert_string_equal(a->certificate_expiry, "2028-02-29");
    assert_int_equal(a->key, TOPO_KEY_RSA4096);

    /* Defaults: a partner gets ALL, no ca-file with trust, key rsa:3072, v6 address in []. */
    const topo_instance *b = &t->instances[1];
    assert_string_equal(b->host, "::1");
    assert_int_equal(b->port, 14331);
    assert_null(b->ca_file);
    assert_true(b->trust_server_certificate);
    assert_string_equal(b->endpoint_address, "TCP://[::1]:5023");
    assert_false(b->role_given);
    assert_int_equal(b->role, TOPO_ROLE_ALL);
    assert_null(b->certificate_expiry);
    assert_int_equal(b->key, TOPO_KEY_RSA3072);

    /* Only ever a witness: WITNESS. A FreeTDS name has no port. */
    const topo_instance *w = &t->instances[2];
    assert_string_equal(w->server, "wit_tds");
    assert_string_equal(w->host, "wit_tds");
    assert_int_equal(w->port, 0);
    assert_string_equal(w->endpoint_address, "TCP://wit_tds:5024");
    assert_false(w->role_given);
    assert_int_equal(w->role, TOPO_ROLE_WITNESS);
    assert_int_equal(w->key, TOPO_KEY_EC_P256);

    /* In no session: ALL. */
    const topo_instance *s = &t->instances[3];
    assert_string_equal(s->host, "fe80::1");
    assert_int_equal(s->port, 0);
    assert_string_equal(s->endpoint_address, "TCP://[fe80::1]:5025");
    assert_int_equal(s->role, TOPO_ROLE_ALL);

    const topo_session *ss = &t->sessions[0];
    assert_string_equal(ss->database, "pg_main");
    assert_int_equal(ss->line, 37);
    assert_int_equal(ss->principal, 0);
    assert_int_equal(ss->mirror, 1);
    assert_true(ss->has_witness);
    assert_int_equal(ss->witness, 2);
    topo_free(t);
}

static void test_find_and_peers(void **state)
{
    (void)state;
    topology *t = parse_ok(full);
    assert_int_equal(topo_find(t, "HOST_A"), 0);
    assert_int_equal(topo_find(t, "host_b"), 1);
    assert_int_equal(topo_find(t, "Witness"), 2);
    assert_int_equal(topo_find(t, "SPARE"), 3);
    assert_int_equal(topo_find(t, "HOST_C"), -1);
    assert_int_equal(topo_find(t, "HOST_"), -1);
    assert_int_equal(topo_find(t, NULL), -1);
    assert_int_equal(topo_find(NULL, "HOST_A"), -1);

    assert_true(topo_are_peers(t, 0, 1));
    assert_true(topo_are_peers(t, 1, 0));
    assert_true(topo_are_peers(t, 0, 2)); /* the witness talks to both partners */
    assert_true(topo_are_peers(t, 2, 1));
    assert_false(topo_are_peers(t, 0, 3));
    assert_false(topo_are_peers(t, 3, 2));
    assert_false(topo_are_peers(t, 0, 0));
    assert_false(topo_are_peers(t, 0, 4));
    assert_false(topo_are_peers(t, 9, 1));
    assert_false(topo_are_peers(NULL, 0, 1));
    topo_free(t);

    /* Two sessions: A-B and B-W (no witnesses); A and W share none. */
    t = parse_ok(THREE SESSION("A", "B") "[session other]\nprincipal = W\nmirror = B\n");
    assert_true(topo_are_peers(t, 0, 1));
    assert_true(topo_are_peers(t, 1, 2));
    assert_false(topo_are_peers(t, 0, 2));
    assert_false(t->sessions[0].has_witness);
    topo_free(t);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(topo_role_name(TOPO_ROLE_ALL), "ALL");
    assert_string_equal(topo_role_name(TOPO_ROLE_PARTNER), "PARTNER");
    assert_string_equal(topo_role_name(TOPO_ROLE_WITNESS), "WITNESS");
    assert_string_equal(topo_role_name((topo_role)7), "?");
    static const struct {
        topo_key k;
        const char *name;
        const char *tsql;
    } keys[] = {
        {TOPO_KEY_RSA2048, "rsa:2048", "RSA_2048"}, {TOPO_KEY_RSA3072, "rsa:3072", "RSA_3072"},
        {TOPO_KEY_RSA4096, "rsa:4096", "RSA_4096"}, {TOPO_KEY_EC_P256, "ec:p256", "EC_P256"},
        {TOPO_KEY_EC_P384, "ec:p384", "EC_P384"},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        assert_string_equal(topo_key_name(keys[i].k), keys[i].name);
        assert_string_equal(topo_key_tsql(keys[i].k), keys[i].tsql);
        /* The written name parses back to the same key, in either case. */
        topology *t = value_ok("key", keys[i].name);
        assert_int_equal(t->instances[0].key, keys[i].k);
        topo_free(t);
        char upper[16];
        for (size_t j = 0; j <= strlen(keys[i].name); j++) {
            upper[j] = (char)toupper((unsigned char)keys[i].name[j]);
        }
        t = value_ok("key", upper);
        assert_int_equal(t->instances[0].key, keys[i].k);
        topo_free(t);
        /* The T-SQL spelling is not a key name. */
        value_bad("key", keys[i].tsql, "expected rsa:2048, rsa:3072, rsa:4096, ec:p256 or ec:p384");
    }
    assert_string_equal(topo_key_name((topo_key)9), "?");
    assert_string_equal(topo_key_tsql((topo_key)-1), "?");
}

static void test_ini_details(void **state)
{
    (void)state;
    /* BOM, CRLF, "name: value", inline comments, indentation (not a continuation). */
    topology *t = parse_ok("\xEF\xBB\xBF  [instance A]   ; the primary\r\n"
                           "  server: A:1433 ; comment\r\n"
                           "\tlogin = sa\r\n"
                           "    password-file = /pw;not-a-comment\r\n"
                           "  ca-file = /ca.pem # not a comment either\r\n"
                           "  endpoint-port = 5022\r\n"
                           "  master-key-password-file = /mk\r\n"
                           "   # indented comment\r\n"
                           "[instance B] # hash comment\n"
                           "server = B\nlogin = sa\npassword-file = /pw\nca-file = /ca.pem\n"
                           "endpoint-port = 1\nmaster-key-password-file = /mk\n");
    assert_int_equal(t->n_instances, 2);
    assert_int_equal(t->instances[0].line, 1);
    assert_string_equal(t->instances[0].server, "A:1433");
    assert_string_equal(t->instances[0].login, "sa");
    assert_string_equal(t->instances[0].password_file, "/pw;not-a-comment");
    assert_string_equal(t->instances[0].ca_file, "/ca.pem # not a comment either");
    assert_string_equal(t->instances[0].master_key_password_file, "/mk");
    assert_string_equal(t->instances[1].name, "B");
    assert_int_equal(t->instances[1].line, 9);
    topo_free(t);

    /* Names of 64 characters are kept whole (libinih cuts section names at 49). */
    char n1[TOPO_NAME_MAX + 1];
    char n2[TOPO_NAME_MAX + 1];
    char text[2048];
    memset(n1, 'x', TOPO_NAME_MAX);
    n1[TOPO_NAME_MAX] = '\0';
    memcpy(n2, n1, sizeof(n2));
    n2[TOPO_NAME_MAX - 1] = 'y';
    snprintf(text, sizeof(text),
             "[instance %s]\nserver = h1\nlogin = sa\npassword-file = /pw\nca-file = /c\n"
             "endpoint-port = 1\nmaster-key-password-file = /mk\n"
             "[instance %s]\nserver = h2\nlogin = sa\npassword-file = /pw\nca-file = /c\n"
             "endpoint-port = 2\nmaster-key-password-file = /mk\n"
             "[session %s]\nprincipal = %s\nmirror = %s\n",
             n1, n2, n1, n2, n1);
    t = parse_ok(text);
    assert_string_equal(t->instances[0].name, n1);
    assert_string_equal(t->instances[1].name, n2);
    assert_string_equal(t->sessions[0].database, n1);
    assert_int_equal(t->sessions[0].principal, 1);
    assert_int_equal(t->sessions[0].mirror, 0);
    topo_free(t);

    /* A line just as long as libinih's buffer allows is fine; one more is refused, not split. */
    const size_t longest = INI_MAX_LINE - 3;
    char value[512];
    char line[600];
    snprintf(line, sizeof(line), "password-file = ");
    memset(value, 'p', sizeof(value));
    value[longest - strlen(line)] = '\0';
    t = value_ok("password-file", value);
    assert_int_equal(strlen(t->instances[0].password_file) + strlen("password-file = "), longest);
    topo_free(t);
    char what[64];
    snprintf(what, sizeof(what), "line longer than %zu characters", longest);
    char buf[4096];
    value[longest - strlen(line)] = 'p';
    value[longest - strlen(line) + 1] = '\0';
    (void)instance_with(buf, sizeof(buf), "password-file", value);
    parse_bad(buf, 4, what);
    /* A comment counts too: split where libinih's buffer ends, its tail would be "login = x". */
    char pad[INI_MAX_LINE];
    memset(pad, '#', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(buf, sizeof(buf), INST("A", "1") "%slogin = x\n", pad);
    parse_bad(buf, 8, what);
}

static void test_values_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *server;
        const char *host;
        unsigned port;
    } servers[] = {
        {"h", "h", 0},
        {"h:1", "h", 1},
        {"db-1.example.com:65535", "db-1.example.com", 65535},
        {"[::1]", "::1", 0},
        {"[fe80::1:2]:1433", "fe80::1:2", 1433},
        {"10.0.0.5:01433", "10.0.0.5", 1433},
    };
    for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
        topology *t = value_ok("server", servers[i].server);
        assert_string_equal(t->instances[0].server, servers[i].server);
        assert_string_equal(t->instances[0].host, servers[i].host);
        assert_int_equal(t->instances[0].port, servers[i].port);
        topo_free(t);
    }
    static const struct {
        const char *text;
        bool value;
    } bools[] = {{"yes", true}, {"no", false},  {"TRUE", true}, {"false", false},
                 {"On", true},  {"off", false}, {"1", true},    {"0", false}};
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
        topology *t = value_ok("trust-server-certificate", bools[i].text);
        assert_int_equal(t->instances[0].trust_server_certificate, bools[i].value);
        topo_free(t);
    }
    static const struct {
        const char *text;
        topo_role role;
    } roles[] = {
        {"partner", TOPO_ROLE_PARTNER}, {"WITNESS", TOPO_ROLE_WITNESS}, {"All", TOPO_ROLE_ALL}};
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        topology *t = value_ok("role", roles[i].text);
        assert_int_equal(t->instances[0].role, roles[i].role);
        assert_true(t->instances[0].role_given);
        topo_free(t);
    }
    static const char *const dates[] = {"2027-12-31", "2000-02-29", "2028-02-29",
                                        "1753-01-01", "9999-12-31", "2027-04-30"};
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        topology *t = value_ok("certificate-expiry", dates[i]);
        assert_string_equal(t->instances[0].certificate_expiry, dates[i]);
        topo_free(t);
    }
    static const char *const ports[] = {"1", "65535", "05022"};
    static const unsigned port_values[] = {1, 65535, 5022};
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        topology *t = value_ok("endpoint-port", ports[i]);
        assert_int_equal(t->instances[0].endpoint_port, port_values[i]);
        topo_free(t);
    }
    static const char *const addresses[] = {"TCP://h:1", "tcp://[::1]:5022",
                                            "Tcp://10.0.0.1:65535"};
    for (size_t i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++) {
        topology *t = value_ok("endpoint-address", addresses[i]);
        assert_string_equal(t->instances[0].endpoint_address, addresses[i]);
        topo_free(t);
    }
}

static void test_bad_ports(void **state)
{
    (void)state;
    static const char *const ports[] = {"0",  "65536",  "5022x", "-1",
                                        "+1", "000001", "50 22", "99999999999"};
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        value_bad("endpoint-port", ports[i], "port must be a number 1..65535");
    }
    value_bad("server", "h:0", "port must be a number 1..65535");
    value_bad("server", "h:65536", "port must be a number 1..65535");
    value_bad("server", "h:", "port must be a number 1..65535");
    value_bad("server", "h:1433x", "port must be a number 1..65535");
    value_bad("server", "h:1:2", "port must be a number 1..65535");
    value_bad("server", "[::1]:", "port must be a number 1..65535");
    value_bad("server", ":1433", "no host");
    value_bad("server", "[]:1433", "no host");
    value_bad("server", "::1", "no host");
    value_bad("server", "[::1", "'[' without ']'");
    value_bad("server", "[::1]1433", "expected ':' and a port after the host");
    value_bad("server", "[::1]]", "expected ':' and a port after the host");
    value_bad("server", "h]:1", "bad character in the host");
    value_bad("server", "h h", "bad character in the host");
    value_bad("server", "h\\inst", "bad character in the host");
    value_bad("server", "[h[:1]", "bad character in the host");
}

static void test_bad_values(void **state)
{
    (void)state;
    static const char *const dates[] = {"2027-02-30", "2027-02-29", "2100-02-29", "2027-04-31",
                                        "2027-13-01", "2027-00-10", "2027-01-00", "2027-01-32"};
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        value_bad("certificate-expiry", dates[i], "no such date");
    }
    static const char *const forms[] = {"27-12-31",  "2027/12/31", "2027-12-31x",      "2027-1-01",
                                        "2027-12-3", "20271231",   "2027-12-31 00:00", "x"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        value_bad("certificate-expiry", forms[i], "expected a date YYYY-MM-DD");
    }
    value_bad("certificate-expiry", "1752-12-31", "year before 1753");
    value_bad("key", "rsa:1024", "expected rsa:2048, rsa:3072, rsa:4096, ec:p256 or ec:p384");
    value_bad("key", "rsa", "expected rsa:2048, rsa:3072, rsa:4096, ec:p256 or ec:p384");
    value_bad("role", "primary", "expected partner, witness or all");
    value_bad("role", "partners", "expected partner, witness or all");
    value_bad("trust-server-certificate", "maybe", "expected yes or no");
    value_bad("trust-server-certificate", "y", "expected yes or no");
    value_bad("endpoint-address", "HTTP://h:1", "must start with TCP://");
    value_bad("endpoint-address", "h:5022", "must start with TCP://");
    value_bad("endpoint-address", "TCP://h", "expected ':' and a port after the host");
    value_bad("endpoint-address", "TCP://h:0", "port must be a number 1..65535");
    value_bad("endpoint-address", "TCP://h:1/x", "port must be a number 1..65535");
    value_bad("endpoint-address", "TCP://:1", "no host");
    value_bad("endpoint-address", "TCP://[::1:1", "'[' without ']'");
    value_bad("endpoint-address", "TCP://::1:1", "no host");

    /* An empty value is refused for every key. */
    char buf[4096];
    int line = instance_with(buf, sizeof(buf), "login", "");
    parse_bad(buf, line, "'login' has no value");
    parse_bad("[instance A]\nrole =   ; nothing\n", 2, "'role' has no value");
    /* Control characters are refused in any value (tabs inside too; blanks around are trimmed). */
    line = instance_with(buf, sizeof(buf), "password-file", "/p\rw");
    parse_bad(buf, line, "'password-file' holds a control character");
    line = instance_with(buf, sizeof(buf), "login", "s\ta");
    parse_bad(buf, line, "'login' holds a control character");
    line = instance_with(buf, sizeof(buf), "login", "s\x7f");
    parse_bad(buf, line, "'login' holds a control character");
    topology *t = value_ok("login", "\tsa \t");
    assert_string_equal(t->instances[0].login, "sa");
    topo_free(t);
}

static void test_unknown_and_duplicate_keys(void **state)
{
    (void)state;
    parse_bad(INST("A", "1") "passwd = x\n", 8, "unknown key 'passwd' in [instance A]");
    parse_bad(INST("A", "1") "Login = x\n", 8, "unknown key 'Login' in [instance A]");
    parse_bad(INST("A", "1") "= x\n", 8, "unknown key '' in [instance A]");
    parse_bad(INST("A", "1") "log\x01in = x\n", 8, "unknown key '(not shown)' in [instance A]");
    parse_bad(THREE SESSION("A", "B") "server = x\n", 25, "unknown key 'server' in [session db]");
    parse_bad(THREE SESSION("A", "B") "witness = W\nwitness = W\n", 26,
              "duplicate key 'witness' (first at line 25)");
    parse_bad("[instance A]\nserver = h\nlogin = sa\nserver = h2\n", 4,
              "duplicate key 'server' (first at line 2)");
    /* The same key in two instances is fine; a key before any section is not. */
    topology *t = parse_ok(INST("A", "1") INST("B", "2"));
    topo_free(t);
    parse_bad("# c\nlogin = sa\n" INST("A", "1"), 2, "'login' comes before any section");
}

static void test_sections(void **state)
{
    (void)state;
    static const char expected[] = "unknown section: expected [instance NAME] or [session NAME]";
    parse_bad(INST("A", "1") "[database x]\n", 8, expected);
    parse_bad(INST("A", "1") "[Instance X]\n", 8, expected);
    parse_bad(INST("A", "1") "[ instance X]\n", 8, expected);
    parse_bad(INST("A", "1") "[instances X]\n", 8, expected);
    parse_bad(INST("A", "1") "[]\n", 8, expected);
    parse_bad(INST("A", "1") "[instance]\n", 8,
              "bad instance name: use 1..64 letters, digits, '_', '-', '.'");
    parse_bad(INST("A", "1") "[instance a b]\n", 8,
              "bad instance name: use 1..64 letters, digits, '_', '-', '.'");
    parse_bad(INST("A", "1") "[instance X ]\n", 8,
              "bad instance name: use 1..64 letters, digits, '_', '-', '.'");
    parse_bad(INST("A", "1") "[session a/b]\n", 8,
              "bad database name: use 1..64 letters, digits, '_', '-', '.'");
    parse_bad(INST("A", "1") "[instance A2] junk\n", 8, "unexpected text after ']'");
    parse_bad(INST("A", "1") "[instance A2]]\n", 8, "unexpected text after ']'");
    parse_bad(INST("A", "1") "[instance A2\n", 8, "cannot parse this line");
    char text[512];
    char name[TOPO_NAME_MAX + 2];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(text, sizeof(text), INST("A", "1") "[session %s]\n", name);
    parse_bad(text, 8, "bad database name: use 1..64 letters, digits, '_', '-', '.'");
    snprintf(text, sizeof(text), INST("A", "1") "[instance %s]\n", name);
    parse_bad(text, 8, "bad instance name: use 1..64 letters, digits, '_', '-', '.'");
    /* Tabs between the kind and the name are blanks too. */
    topology *t =
        parse_ok(INST("A", "1") "[session\t d-b.1]\nprincipal = A\nmirror = B\n" INST("B", "2"));
    assert_string_equal(t->sessions[0].database, "d-b.1");
    topo_free(t);
}

static void test_duplicate_names(void **state)
{
    (void)state;
    parse_bad(INST("HOST_A", "1") INST("host_b", "2") "[instance Host_A]\n", 15,
              "duplicate instance 'Host_A' (first at line 1)");
    parse_bad(THREE SESSION("A", "B") "[session DB]\n", 25,
              "duplicate session 'DB' (first at line 22)");
}

static void test_sessions(void **state)
{
    (void)state;
    parse_bad(THREE SESSION("A", "C"), 24, "[session db]: no instance named 'C'");
    parse_bad(THREE SESSION("A", "B") "witness = X\n", 25, "[session db]: no instance named 'X'");
    parse_bad(THREE SESSION("A", "a"), 24, "[session db]: the mirror is the principal");
    parse_bad(THREE SESSION("A", "B") "witness = a\n", 25,
              "[session db]: the witness is also a partner");
    parse_bad(THREE SESSION("A", "B") "witness = B\n", 25,
              "[session db]: the witness is also a partner");
    parse_bad(THREE SESSION("A", "B") "witness = a b\n", 25, "witness: bad instance name");
    parse_bad(THREE "[session db]\nmirror = B\n", 22, "[session db] has no 'principal'");
    parse_bad(THREE "[session db]\nprincipal = A\n", 22, "[session db] has no 'mirror'");
    parse_bad(THREE "[session db]\n", 22, "[session db] has no 'principal'");
    /* Sessions may name instances defined further down. */
    topology *t = parse_ok(SESSION("B", "A") INST("A", "1") INST("B", "2"));
    assert_int_equal(t->sessions[0].principal, 1);
    assert_int_equal(t->sessions[0].mirror, 0);
    topo_free(t);
}

static void test_roles(void **state)
{
    (void)state;
    /* role = PARTNER used as a witness; role = WITNESS used as a partner. */
    parse_bad(INST("A", "1") INST("B", "2")
                  INST("W", "3") "role = partner\n" SESSION("A", "B") "witness = W\n",
              26, "[session db]: 'W' has role = PARTNER and cannot be a witness");
    parse_bad(INST("A", "1") INST("B", "2") "role = witness\n" INST("W", "3") SESSION("A", "B"), 25,
              "[session db]: 'B' has role = WITNESS and cannot be a partner");
    parse_bad(INST("A", "1") "role = Witness\n" INST("B", "2") INST("W", "3") SESSION("A", "B"), 24,
              "[session db]: 'A' has role = WITNESS and cannot be a partner");
    /* A witness in one session and a partner in another: ALL, unless written. */
    topology *t =
        parse_ok(THREE SESSION("A", "B") "witness = W\n"
                                         "[session db2]\nprincipal = W\nmirror = A\nwitness = B\n");
    assert_int_equal(t->instances[2].role, TOPO_ROLE_ALL);
    assert_int_equal(t->instances[1].role, TOPO_ROLE_ALL);
    topo_free(t);
    t = parse_ok(INST("A", "1") "role = partner\n" INST("B", "2")
                     INST("W", "3") "role = witness\n" SESSION("A", "B") "witness = W\n");
    assert_int_equal(t->instances[0].role, TOPO_ROLE_PARTNER);
    assert_int_equal(t->instances[1].role, TOPO_ROLE_ALL);
    assert_int_equal(t->instances[2].role, TOPO_ROLE_WITNESS);
    assert_true(t->instances[2].role_given);
    topo_free(t);
    /* A witness in two sessions and nothing else: WITNESS. */
    t = parse_ok(THREE SESSION("A", "B") "witness = W\n"
                                         "[session db2]\nprincipal = B\nmirror = A\nwitness = w\n");
    assert_int_equal(t->instances[2].role, TOPO_ROLE_WITNESS);
    assert_false(t->instances[2].role_given);
    topo_free(t);
}

static void test_required_keys(void **state)
{
    (void)state;
    char buf[4096];
    char what[200];
    for (size_t i = 0; i < sizeof(base_keys) / sizeof(base_keys[0]); i++) {
        (void)instance_with(buf, sizeof(buf), base_keys[i], NULL);
        /* Line 1 is the header; put a comment before it so the line is not trivially 1. */
        char text[4400];
        snprintf(text, sizeof(text), INST("Z", "9") "# x\n%s", buf);
        if (strcmp(base_keys[i], "ca-file") == 0) {
            snprintf(what, sizeof(what),
                     "[instance A] needs 'ca-file' (or trust-server-certificate = yes)");
        } else {
            snprintf(what, sizeof(what), "[instance A] has no '%s'", base_keys[i]);
        }
        parse_bad(text, 9, what);
    }
    /* trust-server-certificate = yes makes ca-file optional; = no does not. */
    (void)instance_with(buf, sizeof(buf), "ca-file", NULL);
    snprintf(&buf[strlen(buf)], sizeof(buf) - strlen(buf), "trust-server-certificate = yes\n");
    topology *t = parse_ok(buf);
    assert_null(t->instances[0].ca_file);
    topo_free(t);
    (void)instance_with(buf, sizeof(buf), "ca-file", NULL);
    snprintf(&buf[strlen(buf)], sizeof(buf) - strlen(buf), "trust-server-certificate = no\n");
    parse_bad(buf, 1, "[instance A] needs 'ca-file' (or trust-server-certificate = yes)");
}

static void test_empty_and_unparsable(void **state)
{
    (void)state;
    parse_bad("", 1, "no [instance NAME] section");
    parse_bad("# only\n; comments\n\n", 3, "no [instance NAME] section");
    parse_bad("[session db]\nprincipal = A\nmirror = B\n", 3, "no [instance NAME] section");
    parse_bad(INST("A", "1") "just words\n", 8, "cannot parse this line");
    parse_bad(INST("A", "1") "login\n", 8, "cannot parse this line");
    /* The first error wins: libinih's at line 2, before ours at line 3. */
    parse_bad("[instance A]\nnonsense\nbogus = 1\n", 2, "cannot parse this line");
    /* A line that used to be a continuation is now a line of its own. */
    parse_bad("[instance A]\nserver = h\n   more\n", 3, "cannot parse this line");
}

static void test_limits(void **state)
{
    (void)state;
    size_t cap = (size_t)65 * 256;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t len = 0;
    for (int i = 0; i < 64; i++) {
        len += (size_t)snprintf(&text[len], cap - len,
                                "[instance i%d]\nserver = h\nlogin = sa\npassword-file = /p\n"
                                "ca-file = /c\nendpoint-port = 1\nmaster-key-password-file = /m\n",
                                i);
    }
    topology *t = parse_ok(text);
    assert_int_equal(t->n_instances, 64);
    topo_free(t);
    snprintf(&text[len], cap - len, "[instance i64]\n");
    parse_bad(text, 64 * 7 + 1, "more than 64 instances");

    len = (size_t)snprintf(text, cap, INST("A", "1") INST("B", "2"));
    for (int i = 0; i < 64; i++) {
        len += (size_t)snprintf(&text[len], cap - len, "[session s%d]\nprincipal = A\nmirror = B\n",
                                i);
    }
    t = parse_ok(text);
    assert_int_equal(t->n_sessions, 64);
    topo_free(t);
    snprintf(&text[len], cap - len, "[session s64]\n");
    parse_bad(text, 14 + 64 * 3 + 1, "more than 64 sessions");
    free(text);

    /* Text over TOPO_FILE_MAX is refused before parsing. */
    char *big = malloc((size_t)TOPO_FILE_MAX + 2);
    assert_non_null(big);
    memset(big, '#', (size_t)TOPO_FILE_MAX + 1);
    big[TOPO_FILE_MAX + 1] = '\0';
    topology *out = NULL;
    assert_true(mk_failed(topo_parse_string(big, "t.ini", &out)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_null(out);
    free(big);
    topo_free(NULL);
}

/* Write `len` bytes of `text` to a new file in dir; returns its path in path. */
static void write_file(const char *dir, const char *name, const char *text, size_t len, char *path,
                       size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_load_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/mk-topo-test-XXXXXX";
    char path[256];
    char want[400];
    topology *t = NULL;
    assert_non_null(mkdtemp(dir));

    write_file(dir, "ok.ini", full, strlen(full), path, sizeof(path));
    assert_true(mk_ok(topo_load_file(path, &t)));
    assert_int_equal(t->n_instances, 4);
    topo_free(t);

    /* Messages name the path as the source. */
    write_file(dir, "bad.ini", INST("A", "1") "x = 1\n", strlen(INST("A", "1") "x = 1\n"), path,
               sizeof(path));
    t = (topology *)&t;
    assert_true(mk_failed(topo_load_file(path, &t)));
    assert_null(t);
    snprintf(want, sizeof(want), "%s:8: unknown key 'x' in [instance A]", path);
    assert_string_equal(mk_error_message(), want);

    /* Writable by others: refused before it is read (it decides which certificates are trusted). */
    write_file(dir, "open.ini", full, strlen(full), path, sizeof(path));
    assert_int_equal(chmod(path, 0666), 0);
    assert_true(mk_failed(topo_load_file(path, &t)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
    assert_null(t);
    assert_int_equal(chmod(path, 0644), 0);
    assert_true(mk_ok(topo_load_file(path, &t)));
    topo_free(t);
    t = NULL;

    static const char nul[] = "# a\n# b\n[instance\0 A]\n";
    write_file(dir, "nul.ini", nul, sizeof(nul) - 1, path, sizeof(path));
    assert_true(mk_failed(topo_load_file(path, &t)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    snprintf(want, sizeof(want), "%s:3: NUL byte", path);
    assert_string_equal(mk_error_message(), want);

    char *big = malloc((size_t)TOPO_FILE_MAX + 1);
    assert_non_null(big);
    memset(big, '#', (size_t)TOPO_FILE_MAX + 1);
    write_file(dir, "big.ini", big, (size_t)TOPO_FILE_MAX + 1, path, sizeof(path));
    assert_true(mk_failed(topo_load_file(path, &t)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_int_equal(unlink(path), 0);
    /* Exactly TOPO_FILE_MAX bytes is read (and fails later: no instance). */
    write_file(dir, "max.ini", big, (size_t)TOPO_FILE_MAX, path, sizeof(path));
    assert_true(mk_failed(topo_load_file(path, &t)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    snprintf(want, sizeof(want), "%s:1: line longer than %d characters", path, INI_MAX_LINE - 3);
    assert_string_equal(mk_error_message(), want);
    assert_int_equal(unlink(path), 0);
    free(big);

    snprintf(path, sizeof(path), "%s/missing.ini", dir);
    assert_true(mk_failed(topo_load_file(path, &t)));
    assert_int_equal(mk_error_code(), MK_E_NOT_FOUND);
    assert_true(mk_failed(topo_load_file(dir, &t)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_null(t);

    static const char *const names[] = {"ok.ini", "bad.ini", "open.ini", "nul.ini"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        assert_int_equal(unlink(path), 0);
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),       cmocka_unit_test(test_find_and_peers),
        cmocka_unit_test(test_names),           cmocka_unit_test(test_ini_details),
        cmocka_unit_test(test_values_accepted), cmocka_unit_test(test_bad_ports),
        cmocka_unit_test(test_bad_values),      cmocka_unit_test(test_unknown_and_duplicate_keys),
        cmocka_unit_test(test_sections),        cmocka_unit_test(test_duplicate_names),
        cmocka_unit_test(test_sessions),        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_required_keys),   cmocka_unit_test(test_empty_and_unparsable),
        cmocka_unit_test(test_limits),          cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
