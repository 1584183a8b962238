#include "timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* days from civil (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return dm[m - 1] + (m == 2 && leap);
}

int time_parse(const char *s, double *t)
{
    int y, mo, d, h = 0, mi = 0, n = 0;
    double sec = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return -1;
    const char *p = s + n;
    if (*p == 'T' || *p == '_' || *p == ' ') {
        int k = 0;
        p++;
        if (sscanf(p, "%2d%n", &h, &k) != 1 || k != 2) return -1;
        p += k;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &mi, &k) != 1 || k != 2) return -1;
            p += 1 + k;
            if (*p == ':') {
                char *end;
                sec = strtod(p + 1, &end);
                if (end == p + 1) return -1;
                p = end;
            }
        } else if (p[0] >= '0' && p[0] <= '9') {
            /* compact HHMM as in restart_YYYY-MM-DDTHHMM */
            if (sscanf(p, "%2d%n", &mi, &k) != 1 || k != 2) return -1;
            p += k;
        }
    }
    double off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh = 0, om = 0, k = 0;
        int sign = *p == '-' ? -1 : 1;
        if (sscanf(p + 1, "%2d%n", &oh, &k) != 1 || k != 2) return -1;
        p += 1 + k;
        if (*p == ':') p++;
        if (*p >= '0' && *p <= '9') {
            if (sscanf(p, "%2d%n", &om, &k) != 1 || k != 2) return -1;
            p += k;
        }
        /* ISO 8601 offsets: minutes below 60; civil time zones span -12:00 to +14:00 */
        if (om > 59 || oh * 60 + om > 14 * 60) return -1;
        off = sign * (oh * 3600.0 + om * 60.0);
    }
    if (*p != '\0') return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 24 || mi < 0 ||
        mi > 59 || sec < 0 || sec >= 61)
        return -1;
    *t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec - off;
    return 0;
}

void time_strftime(double t, const char *fmt, char *buf, int n)
{
    time_t tt = (time_t)floor(t + 0.5);
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, (size_t)n, fmt, &tm);
}

void time_format(double t, char *buf, int n) { time_strftime(t, "%Y-%m-%dT%H:%M:%SZ", buf, n); }

double time_day_start(double t) { return floor(t / 86400.0) * 86400.0; }
