/*
 * Proleptic Gregorian calendar arithmetic on day numbers (days since
 * 1970-01-01, negative before), without the C library's time zone or range
 * limits. Used wherever dates are converted to and from the catalog's
 * milliseconds-since-epoch values.
 */
#ifndef MK_CIVIL_H
#define MK_CIVIL_H

#include <stdint.h>

/* Days from 1970-01-01 to year-month-day (month 1..12, day 1..31). */
int64_t mk_days_from_civil(int64_t year, int64_t month, int64_t day);
/* The inverse: the year, month (1..12) and day (1..31) of a day number. */
void mk_civil_from_days(int64_t days, int64_t *year, int64_t *month, int64_t *day);

#endif
