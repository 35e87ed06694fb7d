/* Calendar arithmetic for the RTC: seconds since 1970-01-01 00:00 UTC to a proleptic
 * Gregorian date and time of day, and back. See <hvlab/hvm/vdev.h>.
 *
 * Design: days are counted in 400-year eras of 146097 days, with years that start
 * on March 1 so that the leap day is the last day of a year; then a month's first
 * day is a linear function of its index (153 days per 5 months). No loops, no
 * tables, any year a 64-bit day count can hold, negative ones included.
 *
 * Locking: none; pure functions. */
#include <hvlab/hvm/vdev.h>

#define DAY 86400
#define DAYS_PER_ERA 146097
#define EPOCH_SHIFT 719468      /* days from 0000-03-01 to 1970-01-01 */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

int64_t vrtc_cal_days(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;                /* January and February end the previous year */
    era = floor_div(y, 400);
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * DAYS_PER_ERA + doe - EPOCH_SHIFT;
}

static void civil_from_days(int64_t z, struct vrtc_civil *c)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += EPOCH_SHIFT;
    era = floor_div(z, DAYS_PER_ERA);
    doe = (unsigned)(z - era * DAYS_PER_ERA);
    /* Year of era: remove the leap days (every 4th year, not the 100th, but the
     * 400th) before dividing by 365. */
    yoe = (doe - doe / 1460 + doe / 36524 - doe / (DAYS_PER_ERA - 1)) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    c->mday = doy - (153 * mp + 2) / 5 + 1;
    c->month = mp < 10 ? mp + 3 : mp - 9;
    c->year = yoe + era * 400 + (c->month <= 2);
}

unsigned vrtc_cal_wday(int64_t days, unsigned delta)
{
    /* 1970-01-01 was a Thursday; the RTC counts Sunday as 1. */
    return (unsigned)((days % 7 + 7 + 4 + delta) % 7) + 1;
}

unsigned vrtc_cal_sod(int64_t t)
{
    return (unsigned)(t - floor_div(t, DAY) * DAY);
}

void vrtc_cal_split(int64_t t, unsigned wday_delta, struct vrtc_civil *c)
{
    int64_t days = floor_div(t, DAY);
    unsigned sod = (unsigned)(t - days * DAY);

    civil_from_days(days, c);
    c->hour = sod / 3600;
    c->min = sod / 60 % 60;
    c->sec = sod % 60;
    c->wday = vrtc_cal_wday(days, wday_delta);
}

int64_t vrtc_cal_join(const struct vrtc_civil *c)
{
    return vrtc_cal_days(c->year, c->month, c->mday) * DAY + c->hour * 3600 +
           c->min * 60 + c->sec;
}
