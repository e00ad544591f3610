/*
 * CREATE CERTIFICATE dates (server/exec/src/dates.c): the accepted forms
 * (mm/dd/yyyy as in the seeds, yyyy-mm-dd, yyyymmdd, with and without a
 * time) give the right UTC instant, and everything else is refused: bad
 * days and months, 29 February outside leap years, years outside
 * datetime's range, stray characters. Also the one-year default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

#define DAY 86400000LL

static int64_t date_ok(const char *text)
{
    int64_t ms = 0;
    if (mk_failed(exec_parse_date(text, &ms))) {
        fail_msg("'%s' refused: %s", text, mk_error_message());
    }
    return ms;
}

static void date_bad(const char *text)
{
    int64_t ms = 12345;
    if (mk_ok(exec_parse_date(text, &ms))) {
        fail_msg("'%s' accepted as %lld", text, (long long)ms);
    }
    assert_int_equal(mk_error_code(), MK_E_INVALID);
}

static void test_forms(void **state)
{
    (void)state;
    /* 2013-11-30T00:00:00Z = 1385769600 s. */
    const int64_t seed = 1385769600000LL;
    assert_int_equal(date_ok("11/30/2013"), seed);
    assert_int_equal(date_ok("2013-11-30"), seed);
    assert_int_equal(date_ok("20131130"), seed);
    assert_int_equal(date_ok("2013/11/30"), seed);
    assert_int_equal(date_ok("11-30-2013"), seed);
    assert_int_equal(date_ok("11.30.2013"), seed);
    assert_int_equal(date_ok(" 11/30/2013 "), seed);
    assert_int_equal(date_ok("1/2/2020"), date_ok("2020-01-02"));
    assert_int_equal(date_ok("2013-11-30 10:20"), seed + (10 * 3600 + 20 * 60) * 1000LL);
    assert_int_equal(date_ok("2013-11-30 10:20:30"), seed + (10 * 3600 + 20 * 60 + 30) * 1000LL);
    assert_int_equal(date_ok("2013-11-30T10:20:30.5"), seed + 37230500LL);
    assert_int_equal(date_ok("2013-11-30T10:20:30.1234567Z"), seed + 37230123LL);
    assert_int_equal(date_ok("11/30/2013 23:59:59"), seed + DAY - 1000);
    assert_int_equal(date_ok("1970-01-01"), 0);
    assert_int_equal(date_ok("1969-12-31"), -DAY);
    assert_int_equal(date_ok("2024-02-29"), date_ok("2024-03-01") - DAY);
    assert_int_equal(date_ok("2000-02-29"), date_ok("2000-03-01") - DAY);
    assert_true(date_ok("9999-12-31 23:59:59") > date_ok("1753-01-01"));
}

static void test_refused(void **state)
{
    (void)state;
    date_bad("");
    date_bad("   ");
    date_bad("yesterday");
    date_bad("13/01/2013");
    date_bad("00/10/2013");
    date_bad("11/31/2013");
    date_bad("11/00/2013");
    date_bad("02/29/2013");
    date_bad("1900-02-29");
    date_bad("2013-11-30x");
    date_bad("2013-11-30 25:00");
    date_bad("2013-11-30 10:60");
    date_bad("2013-11-30 10:00:60");
    date_bad("2013-11-30 10");
    date_bad("2013-11-30T");
    date_bad("11/30/2013T10:00"); /* 'T' only after ISO forms */
    date_bad("2013-11/30");       /* mixed separators */
    date_bad("11/30/13");         /* two-digit years are ambiguous: refused */
    date_bad("1752-12-31");
    date_bad("10000-01-01");
    date_bad("201311300");
    date_bad("2013113");
    date_bad("123/01/2013");
    date_bad("2013-11-30 10:00:00.");
    date_bad("2013-11-30 10:00:00.12345678");
    date_bad("2013--11-30");
    date_bad("-2013-11-30");
}

static void test_add_year(void **state)
{
    (void)state;
    assert_int_equal(exec_add_year(date_ok("2013-11-30 10:00"), 1), date_ok("2014-11-30 10:00"));
    assert_int_equal(exec_add_year(date_ok("2024-02-29 08:00"), 1), date_ok("2025-02-28 08:00"));
    assert_int_equal(exec_add_year(date_ok("2013-11-30"), -1), date_ok("2012-11-30"));
    assert_int_equal(exec_add_year(date_ok("1969-06-15 12:00"), 1), date_ok("1970-06-15 12:00"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_add_year),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
