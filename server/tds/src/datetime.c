/*
 * DATETIME conversion (MS-TDS 2.2.5.5.1.8): a signed day count from
 * 1900-01-01 and an unsigned count of 1/300 s since midnight. Floor division
 * keeps dates before 1970 (negative milliseconds) on the right day.
 */
#include "tds/result.h"

#define MS_PER_DAY INT64_C(86400000)
#define TICKS_PER_DAY INT64_C(25920000) /* 300 * 86400 */
#define DAYS_1900_TO_1970 INT64_C(25567)
#define DAY_MIN INT64_C(-53690)  /* 1753-01-01 */
#define DAY_MAX INT64_C(2958463) /* 9999-12-31 */

MK_RESULT tds_datetime_from_ms(int64_t ms, int32_t *days, uint32_t *ticks)
{
    /* Beyond this no date is in range, and the arithmetic below cannot overflow. */
    const int64_t limit = (DAY_MAX + 1) * MS_PER_DAY;
    ENSURE_MSG(ms > -limit && ms < limit, MK_E_INVALID, "DATETIME out of range");
    int64_t day = ms / MS_PER_DAY;
    int64_t rem = ms % MS_PER_DAY;
    if (rem < 0) {
        rem += MS_PER_DAY;
        day -= 1;
    }
    int64_t t = (rem * 3 + 5) / 10;
    if (t >= TICKS_PER_DAY) {
        t -= TICKS_PER_DAY;
        day += 1;
    }
    day += DAYS_1900_TO_1970;
    ENSURE_MSG(day >= DAY_MIN && day <= DAY_MAX, MK_E_INVALID,
               "DATETIME outside 1753-01-01 .. 9999-12-31");
    *days = (int32_t)day;
    *ticks = (uint32_t)t;
    return MK_OK;
}
