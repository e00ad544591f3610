/*
 * Calendar arithmetic: known day numbers (epoch, before 1970, leap days,
 * century rules) and the round trip over a wide range of days.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mk/civil.h"

static void test_known_days(void **state)
{
    (void)state;
    assert_int_equal(mk_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(mk_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(mk_days_from_civil(1900, 1, 1), -25567); /* TDS DATETIME day 0 */
    assert_int_equal(mk_days_from_civil(2000, 2, 29), 11016); /* 2000 is a leap year */
    assert_int_equal(mk_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(mk_days_from_civil(2100, 3, 1) - mk_days_from_civil(2100, 2, 28), 1);
    assert_int_equal(mk_days_from_civil(2013, 11, 30), 16039); /* the seeds' EXPIRY_DATE */
    assert_int_equal(mk_days_from_civil(1753, 1, 1), -79257);  /* checked with Python datetime */
}

static void test_round_trip(void **state)
{
    (void)state;
    for (int64_t d = -800000; d <= 800000; d += 37) {
        int64_t y;
        int64_t m;
        int64_t dd;
        mk_civil_from_days(d, &y, &m, &dd);
        assert_true(m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
        assert_int_equal(mk_days_from_civil(y, m, dd), d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_days),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
