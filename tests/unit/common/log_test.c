/*
 * Logging: level parsing and filtering, one line per message, and control
 * characters escaped so hostile text cannot forge extra log lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mk/log.h"

/* Capture what mk_log writes to stderr into buf. */
static void capture(char *buf, size_t len, void (*fn)(void))
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, len - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
}

static void log_injection(void) { MK_LOG_WARN("user %s", "evil\nfake: error line\r"); }
static void log_filtered(void)
{
    MK_LOG_DEBUG("hidden %d", 1);
    MK_LOG_INFO("shown %d", 2);
}

static void test_parse_levels(void **state)
{
    (void)state;
    mk_log_level lvl;
    assert_true(mk_ok(mk_log_parse_level("DEBUG", &lvl)));
    assert_int_equal(lvl, MK_LOG_DEBUG);
    assert_true(mk_ok(mk_log_parse_level("warn", &lvl)));
    assert_int_equal(lvl, MK_LOG_WARN);
    assert_true(mk_failed(mk_log_parse_level("verbose", &lvl)));
    assert_true(mk_failed(mk_log_parse_level(NULL, &lvl)));
}

static void test_escapes_control_chars(void **state)
{
    (void)state;
    char out[1024];
    mk_log_set_level(MK_LOG_INFO);
    capture(out, sizeof(out), log_injection);
    assert_non_null(strstr(out, "warn: user evil\\x0afake: error line\\x0d"));
    /* Exactly one newline: the one that ends the record. */
    assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
}

static void test_level_filter(void **state)
{
    (void)state;
    char out[1024];
    mk_log_set_level(MK_LOG_INFO);
    capture(out, sizeof(out), log_filtered);
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "info: shown 2"));
    assert_false(mk_log_enabled(MK_LOG_DEBUG));
    assert_true(mk_log_enabled(MK_LOG_ERROR));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_levels),
        cmocka_unit_test(test_escapes_control_chars),
        cmocka_unit_test(test_level_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
