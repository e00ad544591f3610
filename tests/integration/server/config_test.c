/*
 * Unit tests for mirrorkeyd.conf (server/main/src/config.c): format/parse
 * round trip, comments and spacing, and every refusal (unknown, duplicate or
 * missing keys, bad values, pin-value in the URI, size caps), plus the
 * file helpers (0600, never replacing an existing file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "srv/config.h"

#define GOOD                                                                                       \
    "# comment\n"                                                                                  \
    "version = 1\n"                                                                                \
    "  instance_name=SRV-1  \n"                                                                    \
    "\n"                                                                                           \
    "pkcs11_uri = pkcs11:token=t?module-path=/m.so&pin-source=file:/p\n"                           \
    "tls_key_id = 00ff10Ab\n"                                                                      \
    "tls_key_label = mirrorkey-tds-SRV-1\r\n"                                                      \
    "tls_key_type = ec\n"                                                                          \
    "file_root = /var/lib/mk/files"

static void test_parse_good(void **state)
{
    (void)state;
    srv_config c;
    assert_true(mk_ok(srv_config_parse(GOOD, strlen(GOOD), &c)));
    assert_string_equal(c.instance_name, "SRV-1");
    assert_string_equal(c.pkcs11_uri, "pkcs11:token=t?module-path=/m.so&pin-source=file:/p");
    assert_int_equal(c.tls_key_id_len, 4);
    assert_memory_equal(c.tls_key_id, "\x00\xff\x10\xab", 4);
    assert_string_equal(c.tls_key_label, "mirrorkey-tds-SRV-1");
    assert_string_equal(c.tls_key_type, "ec");
    assert_string_equal(c.file_root, "/var/lib/mk/files");
}

static void test_round_trip(void **state)
{
    (void)state;
    srv_config a;
    srv_config b;
    assert_true(mk_ok(srv_config_parse(GOOD, strlen(GOOD), &a)));
    mk_buf text;
    mk_buf_init(&text, 0);
    assert_true(mk_ok(srv_config_format(&a, &text)));
    assert_true(mk_ok(srv_config_parse((const char *)text.data, text.len, &b)));
    assert_memory_equal(&a, &b, sizeof(a));
    mk_buf_cleanup(&text);
}

/* Replace the line starting with `key` in GOOD by `line` (NULL removes it). */
static void expect_bad(const char *key, const char *line, mk_err code, const char *fragment)
{
    char text[2048] = "";
    const char *p = GOOD;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        const char *start = p;
        while (*start == ' ') {
            start++;
        }
        if (strncmp(start, key, strlen(key)) == 0) {
            if (line != NULL) {
                strcat(text, line);
                strcat(text, "\n");
            }
        } else {
            strncat(text, p, n);
            strcat(text, "\n");
        }
        p += n + (nl != NULL ? 1 : 0);
    }
    srv_config c;
    assert_true(mk_failed(srv_config_parse(text, strlen(text), &c)));
    assert_int_equal(mk_error_code(), code);
    if (strstr(mk_error_message(), fragment) == NULL) {
        fail_msg("message '%s' lacks '%s'", mk_error_message(), fragment);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    expect_bad("version", "version = 2", MK_E_INVALID, "unsupported version");
    expect_bad("version", NULL, MK_E_INVALID, "missing key 'version'");
    expect_bad("file_root", NULL, MK_E_INVALID, "missing key 'file_root'");
    expect_bad("file_root", "file_root = relative/x", MK_E_INVALID, "absolute");
    expect_bad("instance_name", "instance_name = bad name", MK_E_INVALID, "instance name");
    expect_bad("instance_name", "instance_name = -x", MK_E_INVALID, "start with");
    expect_bad("pkcs11_uri", "pkcs11_uri = file:/x", MK_E_INVALID, "pkcs11: URI");
    expect_bad("pkcs11_uri", "pkcs11_uri = pkcs11:token=t?pin-value=1234", MK_E_INVALID,
               "pin-value");
    expect_bad("tls_key_id", "tls_key_id = abc", MK_E_INVALID, "hex");
    expect_bad("tls_key_id", "tls_key_id = zz", MK_E_INVALID, "not hex");
    expect_bad("tls_key_type", "tls_key_type = dsa", MK_E_INVALID, "ec or rsa");
    expect_bad("tls_key_type", "colour = blue", MK_E_INVALID, "unknown key");
    expect_bad("tls_key_type", "no equals sign", MK_E_INVALID, "key = value");
    expect_bad("tls_key_type", "instance_name = AGAIN", MK_E_INVALID, "duplicate");
    expect_bad("tls_key_label", "tls_key_label =", MK_E_INVALID, "tls_key_label");
    /* The line number is named. */
    expect_bad("tls_key_type", "bogus", MK_E_INVALID, "line 8");
}

static void test_caps(void **state)
{
    (void)state;
    srv_config c;
    size_t big = SRV_CONFIG_MAX_BYTES + 1;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, '#', big);
    assert_true(mk_failed(srv_config_parse(text, big, &c)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    /* A line longer than any value allows. */
    memset(text, 'a', SRV_URI_MAX + 100);
    assert_true(mk_failed(srv_config_parse(text, SRV_URI_MAX + 100, &c)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    free(text);
    const char nul[] = "version = 1\0x";
    assert_true(mk_failed(srv_config_parse(nul, sizeof(nul) - 1, &c)));
}

static void test_instance_names(void **state)
{
    (void)state;
    assert_true(mk_ok(srv_instance_name_check("A")));
    assert_true(mk_ok(srv_instance_name_check("HOST-01.example_x")));
    assert_true(mk_failed(srv_instance_name_check("")));
    assert_true(mk_failed(srv_instance_name_check("a/b")));
    assert_true(mk_failed(srv_instance_name_check("a\\b")));
    assert_true(mk_failed(srv_instance_name_check(".a")));
    char longname[SRV_INSTANCE_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_true(mk_failed(srv_instance_name_check(longname)));
    longname[SRV_INSTANCE_NAME_MAX] = '\0';
    assert_true(mk_ok(srv_instance_name_check(longname)));
}

static void test_save_and_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/mk-config-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/mirrorkeyd.conf", dir);
    srv_config a;
    srv_config b;
    assert_true(mk_ok(srv_config_parse(GOOD, strlen(GOOD), &a)));
    assert_true(mk_failed(srv_config_load(path, &b)));
    assert_int_equal(mk_error_code(), MK_E_NOT_FOUND);
    assert_true(mk_ok(srv_config_save(path, &a)));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(mk_ok(srv_config_load(path, &b)));
    assert_memory_equal(&a, &b, sizeof(a));
    /* Never replaced. */
    assert_true(mk_failed(srv_config_save(path, &a)));
    assert_int_equal(mk_error_code(), MK_E_EXISTS);
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_not_equal(access(tmp, F_OK), 0);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),     cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),       cmocka_unit_test(test_caps),
        cmocka_unit_test(test_instance_names), cmocka_unit_test(test_save_and_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
