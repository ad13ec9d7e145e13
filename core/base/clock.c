/* clock.c - wall-clock time with an optional test offset, and RFC 3339. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accord/base/clock.h"
#include "accord/base/error.h"

#ifdef ACCORD_TEST_CLOCK
static _Atomic int64_t offset_ms;

void ac_clock_advance(int64_t delta_ms)
{
    atomic_fetch_add(&offset_ms, delta_ms);
}

int64_t ac_clock_offset(void)
{
    return atomic_load(&offset_ms);
}
#else
int64_t ac_clock_offset(void)
{
    return 0;
}
#endif

int64_t ac_clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#ifdef ACCORD_TEST_CLOCK
    ms += atomic_load(&offset_ms);
#endif
    return ms;
}

char *ac_clock_format(int64_t ms, char out[static 21])
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    /* strftime cannot overflow here: the format is fixed-width for years 0-9999. */
    if (strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = 0;
    return out;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil), so parsing needs no timezone state. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int ac_clock_parse(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec;
    if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
        return AC_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return AC_EINVAL;
    const char *p = s + 19;
    int frac_ms = 0;
    if (*p == '.') {
        int scale = 100, any = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, any = 1) {
            frac_ms += (*p - '0') * scale;
            scale /= 10;
        }
        if (!any)
            return AC_EINVAL;
    }
    int64_t off_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return AC_EINVAL;
        off_s = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return AC_EINVAL;
    }
    if (*p)
        return AC_EINVAL;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + (sec == 60 ? 59 : sec) - off_s;
    *ms = secs * 1000 + frac_ms;
    return 0;
}
