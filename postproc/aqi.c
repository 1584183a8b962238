/* HJ 633-2012 and HJ 633-2026 air-quality index with exact integer arithmetic (docs/aqi.md). */
#include "aqi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "timeutil.h"

/* IAQI at the breakpoint columns of HJ 633-2012 Table 1 / HJ 633-2026 Table 3. */
const int aqi_iaqi_levels[8] = {0, 50, 100, 150, 200, 300, 400, 500};

typedef struct {
    AqiRule rule;
    AqiPollutant p;
    AqiAvg avg;
    int bp[8]; /* resolution units (CO: 0.1 mg m-3); -1 = not defined */
} Table;

/* Transcribed from validation/standards/iaqi_breakpoints.csv (HJ 633-2012 Table 1, HJ 633-2026
 * Table 3, both read from the official texts; standards README 2.1).  CO is scaled by 10 to the
 * 0.1 mg m-3 resolution.  Only the PM10 and PM2.5 IAQI-100 breakpoints differ between the rules
 * (150 -> 120 and 75 -> 60 ug m-3).  test_aqi compares these rows with the CSV. */
static const Table tables[] = {
    {AQI_HJ633_2012, AQI_SO2, AQI_24H, {0, 50, 150, 475, 800, 1600, 2100, 2620}},
    {AQI_HJ633_2012, AQI_SO2, AQI_1H, {0, 150, 500, 650, 800, -1, -1, -1}},
    {AQI_HJ633_2012, AQI_NO2, AQI_24H, {0, 40, 80, 180, 280, 565, 750, 940}},
    {AQI_HJ633_2012, AQI_NO2, AQI_1H, {0, 100, 200, 700, 1200, 2340, 3090, 3840}},
    {AQI_HJ633_2012, AQI_PM10, AQI_24H, {0, 50, 150, 250, 350, 420, 500, 600}},
    {AQI_HJ633_2012, AQI_CO, AQI_24H, {0, 20, 40, 140, 240, 360, 480, 600}},
    {AQI_HJ633_2012, AQI_CO, AQI_1H, {0, 50, 100, 350, 600, 900, 1200, 1500}},
    {AQI_HJ633_2012, AQI_O3, AQI_1H, {0, 160, 200, 300, 400, 800, 1000, 1200}},
    {AQI_HJ633_2012, AQI_O3, AQI_8H, {0, 100, 160, 215, 265, 800, -1, -1}},
    {AQI_HJ633_2012, AQI_PM25, AQI_24H, {0, 35, 75, 115, 150, 250, 350, 500}},
    {AQI_HJ633_2026, AQI_SO2, AQI_24H, {0, 50, 150, 475, 800, 1600, 2100, 2620}},
    {AQI_HJ633_2026, AQI_SO2, AQI_1H, {0, 150, 500, 650, 800, -1, -1, -1}},
    {AQI_HJ633_2026, AQI_NO2, AQI_24H, {0, 40, 80, 180, 280, 565, 750, 940}},
    {AQI_HJ633_2026, AQI_NO2, AQI_1H, {0, 100, 200, 700, 1200, 2340, 3090, 3840}},
    {AQI_HJ633_2026, AQI_PM10, AQI_24H, {0, 50, 120, 250, 350, 420, 500, 600}},
    {AQI_HJ633_2026, AQI_CO, AQI_24H, {0, 20, 40, 140, 240, 360, 480, 600}},
    {AQI_HJ633_2026, AQI_CO, AQI_1H, {0, 50, 100, 350, 600, 900, 1200, 1500}},
    {AQI_HJ633_2026, AQI_O3, AQI_1H, {0, 160, 200, 300, 400, 800, 1000, 1200}},
    {AQI_HJ633_2026, AQI_O3, AQI_8H, {0, 100, 160, 215, 265, 800, -1, -1}},
    {AQI_HJ633_2026, AQI_PM25, AQI_24H, {0, 35, 60, 115, 150, 250, 350, 500}},
};

/* HJ 633 Appendix A Table A.1 (identical in 2012 and 2026), as in
 * validation/standards/aqi_levels.csv.  Level I starts at 1 in 2026 (aqi_compute never returns
 * 0 under that rule). */
static const AqiLevel levels[6] = {
    {1, "I", 0, 50, "优", "Excellent", "green", 0, 228, 0},
    {2, "II", 51, 100, "良", "Good", "yellow", 255, 255, 0},
    {3, "III", 101, 150, "轻度污染", "Lightly polluted", "orange", 255, 126, 0},
    {4, "IV", 151, 200, "中度污染", "Moderately polluted", "red", 255, 0, 0},
    {5, "V", 201, 300, "重度污染", "Heavily polluted", "purple", 153, 0, 76},
    {6, "VI", 301, 500, "严重污染", "Severely polluted", "maroon", 126, 0, 35},
};

static const char *const pnames[AQI_NPOLL] = {"SO2", "NO2", "PM10", "CO", "O3", "PM2.5"};
static const char *const pids[AQI_NPOLL] = {"SO2", "NO2", "PM10", "CO", "O3", "PM25"};

const char *aqi_rule_name(AqiRule r) { return r == AQI_HJ633_2026 ? "HJ633-2026" : "HJ633-2012"; }

int aqi_rule_parse(const char *s, AqiRule *r)
{
    if (!s) return -1;
    if (!strncasecmp(s, "HJ", 2)) {
        s += 2;
        if (*s == ' ') s++;
    } else {
        return -1;
    }
    if (!strcasecmp(s, "633-2012")) *r = AQI_HJ633_2012;
    else if (!strcasecmp(s, "633-2026")) *r = AQI_HJ633_2026;
    else return -1;
    return 0;
}

AqiRule aqi_rule_for_date(int year, int month, int day)
{
    /* HJ 633-2026 takes effect on 2026-03-01 and repeals HJ 633-2012 (standards README 2) */
    long ymd = year * 10000L + month * 100L + day;
    return ymd >= 20260301L ? AQI_HJ633_2026 : AQI_HJ633_2012;
}

AqiRule aqi_rule_for_time(double t)
{
    double t_switch;
    /* the switch is at midnight Beijing time (UTC+8), the time of the Chinese standards */
    time_parse("2026-03-01T00:00:00+08:00", &t_switch);
    return t >= t_switch ? AQI_HJ633_2026 : AQI_HJ633_2012;
}

const char *aqi_pollutant_name(AqiPollutant p) { return p < AQI_NPOLL ? pnames[p] : "?"; }
const char *aqi_pollutant_id(AqiPollutant p) { return p < AQI_NPOLL ? pids[p] : "?"; }

int aqi_pollutant_parse(const char *s, AqiPollutant *p)
{
    for (int k = 0; k < AQI_NPOLL; k++)
        if (!strcasecmp(s, pnames[k]) || !strcasecmp(s, pids[k])) {
            *p = (AqiPollutant)k;
            return 0;
        }
    return -1;
}

const char *aqi_avg_name(AqiAvg a) { return a == AQI_1H ? "1h" : a == AQI_8H ? "8h" : "24h"; }
const char *aqi_unit(AqiPollutant p) { return p == AQI_CO ? "mg/m3" : "ug/m3"; }
int aqi_decimals(AqiPollutant p) { return p == AQI_CO ? 1 : 0; }

int aqi_round_gbt8170(double x, int decimals, long long *scaled)
{
    if (!(x >= 0) || !(x < 1e12) || decimals < 0 || decimals > 6) return -1;
    if (x == 0) {
        *scaled = 0;
        return 0;
    }
    /* fast path: far from a half, binary rounding of x * 10^dec agrees with decimal rounding
     * (the product is off by at most an ulp, < 1e-8 below 1e8) */
    double y = x * (decimals ? pow(10, decimals) : 1.0);
    if (y < 1e8) {
        double fl = floor(y), fr = y - fl;
        if (fabs(fr - 0.5) > 1e-6) {
            *scaled = (long long)fl + (fr > 0.5);
            return 0;
        }
    }
    /* 15 significant digits: every decimal with up to 15 digits survives the round trip through
     * a double (DBL_DIG = 15), so a typed 2.35 is rounded as the decimal 2.35, not as the binary
     * 2.350000000000000089 */
    char buf[40];
    snprintf(buf, sizeof buf, "%.14e", x);
    int dig[15];
    dig[0] = buf[0] - '0';
    for (int k = 1; k < 15; k++) dig[k] = buf[1 + k] - '0';
    int ex = atoi(buf + 17);
    int u = ex + decimals; /* index of the digit with weight 1 in the scaled value */
    if (u + 1 < 0) {       /* below half a unit: leading zeros before the rounding digit */
        *scaled = 0;
        return 0;
    }
    long long ip = 0;
    for (int k = 0; k <= u; k++) ip = ip * 10 + (k < 15 ? dig[k] : 0);
    if (u >= 14) {
        *scaled = ip;
        return 0;
    }
    int r = dig[u + 1], rest = 0;
    for (int k = u + 2; k < 15; k++) rest |= dig[k];
    /* GB/T 8170-2008 rounding ("四舍六入五考虑"): above 5, or 5 followed by nonzero digits,
     * rounds up; exactly 5 rounds to the even neighbour (standards README 2.2) */
    int up = r > 5 || (r == 5 && (rest || (ip & 1)));
    *scaled = ip + up;
    return 0;
}

const int *aqi_breakpoints(AqiRule r, AqiPollutant p, AqiAvg a)
{
    /* HJ 633-2026: a 1-h PM10 or PM2.5 value is judged against the daily breakpoints (README 2.2);
     * HJ 633-2012 has no 1-h PM breakpoints (its real-time report uses 24-h running means) */
    if ((p == AQI_PM10 || p == AQI_PM25) && a == AQI_1H && r == AQI_HJ633_2026) a = AQI_24H;
    for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++)
        if (tables[k].rule == r && tables[k].p == p && tables[k].avg == a) return tables[k].bp;
    return NULL;
}

int aqi_iaqi_units(AqiRule r, AqiPollutant p, AqiAvg a, long long units, int *flags)
{
    *flags = 0;
    const int *bp = aqi_breakpoints(r, p, a);
    if (!bp || units < 0) return -2;
    int last = 7;
    while (bp[last] < 0) last--;
    if (units > bp[last]) {
        if (last == 7) {
            /* no IAQI beyond 500 exists; cap and flag (standards README 2.2) */
            *flags = AQI_F_OVER_SCALE;
            return 500;
        }
        /* SO2 1-h or O3 8-h above 800 ug m-3: HJ 633-2012 Table 1 notes (2), (3) give no IAQI
         * from this value; HJ 633-2026 Table 3 notes fix it at 200 (SO2) and 300 (O3), the IAQI
         * of the last breakpoint */
        if (r == AQI_HJ633_2012) {
            *flags = AQI_F_FALLBACK;
            return -1;
        }
        *flags = AQI_F_FIXED;
        return aqi_iaqi_levels[last];
    }
    /* lowest segment with BP_Lo <= C <= BP_Hi: on a breakpoint both neighbours give the same
     * rounded-up IAQI (standards README 2.6) */
    int k = 0;
    while (units > bp[k + 1]) k++;
    long long num = (long long)(aqi_iaqi_levels[k + 1] - aqi_iaqi_levels[k]) * (units - bp[k]);
    long long den = bp[k + 1] - bp[k];
    /* HJ 633 rounds IAQI up (2012 6.2, 2026 4.2.6): exact ceiling of num/den, num >= 0 */
    return aqi_iaqi_levels[k] + (int)((num + den - 1) / den);
}

static int iaqi_rounded(AqiRule r, AqiPollutant p, AqiAvg a, double c, int *iaqi, int *flags,
                        long long *units, BgErr *e)
{
    if (p >= AQI_NPOLL || !aqi_breakpoints(r, p, a)) {
        char item[32];
        snprintf(item, sizeof item, "%s_%s", aqi_pollutant_name(p), aqi_avg_name(a));
        return bg_fail(e, BG_ECONFIG, aqi_rule_name(r), item,
                       "no IAQI breakpoints for this pollutant and averaging%s",
                       (p == AQI_PM10 || p == AQI_PM25) && a == AQI_1H
                           ? " (HJ 633-2012 rates PM by 24-h means only)"
                           : p == AQI_O3 ? " (O3 has 1h and 8h)" : " (use 1h or 24h)");
    }
    if (!isfinite(c) || c < 0 || aqi_round_gbt8170(c, aqi_decimals(p), units) != 0) {
        char item[32];
        snprintf(item, sizeof item, "%s_%s", aqi_pollutant_name(p), aqi_avg_name(a));
        return bg_fail(e, BG_ECONFIG, aqi_rule_name(r), item,
                       "concentration %g %s is not a finite value >= 0 below 1e12", c, aqi_unit(p));
    }
    *iaqi = aqi_iaqi_units(r, p, a, *units, flags);
    return BG_OK;
}

int aqi_iaqi(AqiRule r, AqiPollutant p, AqiAvg a, double c, int *iaqi, int *flags, BgErr *e)
{
    long long u;
    return iaqi_rounded(r, p, a, c, iaqi, flags, &u, e);
}

const AqiLevel *aqi_level(int aqi)
{
    if (aqi < 0) return NULL;
    for (int k = 0; k < 5; k++)
        if (aqi <= levels[k].aqi_max) return &levels[k];
    return &levels[5];
}

int aqi_compute(AqiRule r, const AqiInput *in, int n, AqiResult *res, BgErr *e)
{
    memset(res, 0, sizeof *res);
    res->rule = r;
    res->aqi = -1;
    if (n < 0 || n > AQI_MAX_INPUTS)
        return bg_fail(e, BG_ECONFIG, aqi_rule_name(r), NULL, "%d concentrations given (at most %d)",
                       n, AQI_MAX_INPUTS);
    res->n = n;
    int pmax[AQI_NPOLL];
    for (int p = 0; p < AQI_NPOLL; p++) pmax[p] = -1;
    for (int k = 0; k < n; k++) {
        for (int m = 0; m < k; m++)
            if (in[m].p == in[k].p && in[m].avg == in[k].avg) {
                char item[32];
                snprintf(item, sizeof item, "%s_%s", aqi_pollutant_name(in[k].p),
                         aqi_avg_name(in[k].avg));
                return bg_fail(e, BG_ECONFIG, aqi_rule_name(r), item, "given twice");
            }
        BG_TRY(iaqi_rounded(r, in[k].p, in[k].avg, in[k].c, &res->iaqi[k], &res->flags[k],
                            &res->units[k], e));
        if (res->flags[k] & AQI_F_OVER_SCALE) res->over_scale = 1;
        if (res->iaqi[k] > pmax[in[k].p]) pmax[in[k].p] = res->iaqi[k];
    }
    for (int p = 0; p < AQI_NPOLL; p++)
        if (pmax[p] > res->aqi) res->aqi = pmax[p];
    if (res->aqi < 0) return BG_OK;
    /* HJ 633-2026: the AQI runs from 1 to 500 (standards README 0.1 and 2.3) */
    if (r == AQI_HJ633_2026 && res->aqi < 1) res->aqi = 1;
    res->level = aqi_level(res->aqi)->level;
    /* primary pollutant: the largest IAQI when AQI > 50, ties all listed (the same definition in
     * 2012 and 2026, standards README 2.4); non-attainment (IAQI > 100) exists in 2012 only */
    if (res->aqi > 50)
        for (int p = 0; p < AQI_NPOLL; p++)
            if (pmax[p] == res->aqi) res->primary |= 1u << p;
    if (r == AQI_HJ633_2012)
        for (int p = 0; p < AQI_NPOLL; p++)
            if (pmax[p] > 100) res->nonattain |= 1u << p;
    return BG_OK;
}

int aqi_pollutant_list(unsigned mask, int ids, char *buf, size_t n)
{
    size_t len = 0;
    if (n) buf[0] = '\0';
    for (int p = 0; p < AQI_NPOLL; p++) {
        if (!(mask & (1u << p))) continue;
        const char *s = ids ? pids[p] : pnames[p];
        int w = snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, "%s%s", len ? ";" : "", s);
        len += (size_t)w;
    }
    return (int)len;
}
