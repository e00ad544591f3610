/*
 * START_DATE / EXPIRY_DATE of CREATE CERTIFICATE: the string forms SQL
 * Server converts to datetime under the default language (us_english,
 * DATEFORMAT mdy), taken as UTC as SQL Server does for certificates. A pure
 * parser over the text; days are counted with the proleptic Gregorian
 * calendar (no timegm, no time zone).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "mk/civil.h"

#define MS_PER_DAY 86400000LL

typedef struct dt_fields {
    int year, month, day, hour, minute, second, millis;
} dt_fields;

/* A scan position over the text. */
typedef struct scan {
    const char *s;
    size_t pos;
} scan;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Read between min and max digits; false when fewer than min. */
static bool digits(scan *sc, int min, int max, int *out, int *count)
{
    int v = 0;
    int n = 0;
    while (n < max && is_digit(sc->s[sc->pos])) {
        v = v * 10 + (sc->s[sc->pos] - '0');
        sc->pos++;
        n++;
    }
    if (count != NULL) {
        *count = n;
    }
    *out = v;
    return n >= min;
}

static bool accept(scan *sc, char c)
{
    if (sc->s[sc->pos] == c) {
        sc->pos++;
        return true;
    }
    return false;
}

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t days_from_civil(int y, int m, int d) { return mk_days_from_civil(y, m, d); }

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t yy;
    int64_t mm;
    int64_t dd;
    mk_civil_from_days(z, &yy, &mm, &dd);
    *y = (int)yy;
    *m = (int)mm;
    *d = (int)dd;
}

/* The date part; *iso tells whether it was a year-first form (which allows 'T'). */
static bool parse_day(scan *sc, dt_fields *f, bool *iso)
{
    int a = 0;
    int n = 0;
    if (!digits(sc, 1, 8, &a, &n)) {
        return false;
    }
    if (n == 8) { /* yyyymmdd */
        f->year = a / 10000;
        f->month = a / 100 % 100;
        f->day = a % 100;
        *iso = true;
        return true;
    }
    char sep = sc->s[sc->pos];
    if (sep != '/' && sep != '-' && sep != '.') {
        return false;
    }
    sc->pos++;
    if (n == 4) { /* yyyy-mm-dd */
        *iso = true;
        f->year = a;
        return digits(sc, 1, 2, &f->month, NULL) && accept(sc, sep) &&
               digits(sc, 1, 2, &f->day, NULL);
    }
    if (n > 2) {
        return false;
    }
    *iso = false; /* mm/dd/yyyy */
    f->month = a;
    return digits(sc, 1, 2, &f->day, NULL) && accept(sc, sep) && digits(sc, 4, 4, &f->year, &n);
}

/* hh:mm[:ss[.fffffff]] */
static bool parse_time(scan *sc, dt_fields *f)
{
    if (!digits(sc, 1, 2, &f->hour, NULL) || !accept(sc, ':') ||
        !digits(sc, 2, 2, &f->minute, NULL)) {
        return false;
    }
    if (!accept(sc, ':')) {
        return true;
    }
    if (!digits(sc, 2, 2, &f->second, NULL)) {
        return false;
    }
    if (!accept(sc, '.')) {
        return true;
    }
    int frac = 0;
    int n = 0;
    if (!digits(sc, 1, 7, &frac, &n)) {
        return false;
    }
    while (n < 3) {
        frac *= 10;
        n++;
    }
    while (n > 3) {
        frac /= 10;
        n--;
    }
    f->millis = frac;
    return true;
}

static bool fields_valid(const dt_fields *f)
{
    return f->year >= 1753 && f->year <= 9999 && f->month >= 1 && f->month <= 12 && f->day >= 1 &&
           f->day <= days_in_month(f->year, f->month) && f->hour <= 23 && f->minute <= 59 &&
           f->second <= 59;
}

mk_result exec_parse_date(const char *text, int64_t *ms)
{
    dt_fields f;
    memset(&f, 0, sizeof(f));
    scan sc = {.s = text != NULL ? text : "", .pos = 0};
    bool iso = false;
    while (sc.s[sc.pos] == ' ') {
        sc.pos++;
    }
    ENSURE_MSG(parse_day(&sc, &f, &iso), MK_E_INVALID, "not a date");
    bool t_sep = iso && sc.s[sc.pos] == 'T';
    if (sc.s[sc.pos] == ' ' || t_sep) {
        sc.pos++;
        while (!t_sep && sc.s[sc.pos] == ' ') {
            sc.pos++;
        }
        if (t_sep || sc.s[sc.pos] != '\0') {
            ENSURE_MSG(parse_time(&sc, &f), MK_E_INVALID, "not a time");
        }
        if (t_sep) {
            (void)accept(&sc, 'Z');
        }
    }
    while (sc.s[sc.pos] == ' ') {
        sc.pos++;
    }
    ENSURE_MSG(sc.s[sc.pos] == '\0', MK_E_INVALID, "trailing characters after the date");
    ENSURE_MSG(fields_valid(&f), MK_E_INVALID, "date out of range");
    int64_t days = days_from_civil(f.year, f.month, f.day);
    int64_t seconds = (int64_t)f.hour * 3600 + (int64_t)f.minute * 60 + (int64_t)f.second;
    *ms = days * MS_PER_DAY + seconds * 1000 + (int64_t)f.millis;
    return MK_OK;
}

int64_t exec_add_year(int64_t ms, int years)
{
    int64_t days = ms >= 0 ? ms / MS_PER_DAY : -((-ms + MS_PER_DAY - 1) / MS_PER_DAY);
    int64_t rest = ms - days * MS_PER_DAY;
    int y = 0;
    int m = 0;
    int d = 0;
    civil_from_days(days, &y, &m, &d);
    y += years;
    if (m == 2 && d == 29 && !is_leap(y)) {
        d = 28;
    }
    return days_from_civil(y, m, d) * MS_PER_DAY + rest;
}
