/* City AQI series: Beijing days, lead days, daily and 24-h running-mean AQI (aqiseries.h). */
#include "aqiseries.h"

#include <math.h>
#include <stdio.h>

#include "timeutil.h"

long aqs_beijing_day(double t) { return (long)floor((t + AQS_BEIJING_S) / 86400.0); }

/* an hour end at local midnight closes the previous day: step back by the hour's length */
long aqs_day_of_hour_end(double t_end) { return (long)floor((t_end + AQS_BEIJING_S - 3600.0) / 86400.0); }

int aqs_day_of_date(const char *date, long *day)
{
    int y, m, d;
    char iso[32];
    double t;
    if (!date || sscanf(date, "%d-%d-%d", &y, &m, &d) != 3) return -1;
    snprintf(iso, sizeof iso, "%04d-%02d-%02dT00:00:00+08:00", y, m, d);
    if (time_parse(iso, &t)) return -1;
    *day = aqs_beijing_day(t);
    return 0;
}

void aqs_date_of_day(long day, char *buf, int n)
{
    /* noon of the day keeps the formatting clear of any midnight ambiguity */
    time_strftime((double)day * 86400.0 + 12 * 3600.0, "%Y-%m-%d", buf, n);
}

int aqs_lead_day(long day, double cycle_start) { return (int)(day - aqs_beijing_day(cycle_start)); }

int aqs_lead_day_of_hour(double t_end, double cycle_start)
{
    return aqs_lead_day(aqs_day_of_hour_end(t_end), cycle_start);
}

void aqs_day_aqi(AqiRule rule, const double v[AQS_D_N], int *aqi, int *level, unsigned *primary)
{
    static const struct { AqiPollutant p; AqiAvg a; } IN[AQS_D_N] = {
        {AQI_PM25, AQI_24H}, {AQI_PM10, AQI_24H}, {AQI_SO2, AQI_24H}, {AQI_NO2, AQI_24H},
        {AQI_CO, AQI_24H},   {AQI_O3, AQI_1H},    {AQI_O3, AQI_8H}};
    AqiInput in[AQS_D_N];
    int n = 0;
    for (int k = 0; k < AQS_D_N; k++) {
        if (isnan(v[k]) || !isfinite(v[k])) continue;
        /* HJ 633-2026 dropped the O3 1-h maximum from the daily report (standards README 2.5) */
        if (k == AQS_D_O3_1H_MAX && rule != AQI_HJ633_2012) continue;
        in[n++] = (AqiInput){IN[k].p, IN[k].a, v[k] > 0 ? v[k] : 0};
    }
    *aqi = -1;
    *level = 0;
    *primary = 0;
    AqiResult res;
    BgErr e = {0};
    if (n == 0 || aqi_compute(rule, in, n, &res, &e) != BG_OK) return;
    *aqi = res.aqi;
    *level = res.level;
    *primary = res.primary;
}

/* mean of the valid values of v[lo..hi] (indices may start below 0: missing), NAN with fewer
 * than min valid; summed in index order so every caller gets the same bits */
static double window_mean(const double *v, long lo, long hi, int min)
{
    double s = 0;
    int n = 0;
    for (long j = lo < 0 ? 0 : lo; j <= hi; j++)
        if (!isnan(v[j])) s += v[j], n++;
    return n >= min ? s / n : NAN;
}

void aqs_day_values(const double *const v[AQS_H_N], double out[AQS_D_N])
{
    for (int p = 0; p < 5; p++) out[p] = v[p] ? window_mean(v[p], 0, 23, AQS_24H_MIN_HOURS) : NAN;
    out[AQS_D_O3_1H_MAX] = out[AQS_D_O3_8H_MAX] = NAN;
    const double *o3 = v[AQS_H_O3];
    if (!o3) return;
    double mx = -INFINITY;
    int nv = 0;
    for (int j = 0; j < 24; j++)
        if (!isnan(o3[j])) nv++, mx = fmax(mx, o3[j]);
    if (nv >= AQS_24H_MIN_HOURS) out[AQS_D_O3_1H_MAX] = mx;
    /* HJ 663 MDA8: 8-h means ending at hours 8..24 of the day (indices 7..23) */
    double m8 = -INFINITY;
    int nw = 0;
    for (int e = 7; e < 24; e++) {
        double m = window_mean(o3, e - 7, e, AQS_8H_MIN_HOURS);
        if (isnan(m)) continue;
        nw++;
        m8 = fmax(m8, m);
    }
    if (nw >= AQS_MDA8_MIN_WINDOWS || (nw > 0 && m8 > AQS_O3_MDA8_LIMIT)) out[AQS_D_O3_8H_MAX] = m8;
}

void aqs_running(const double *const v[AQS_H_N], size_t nh, double t_end0, AqsHour *out)
{
    for (size_t h = 0; h < nh; h++) {
        AqsHour *r = &out[h];
        long H = (long)h;
        r->t_end = t_end0 + (double)h * 3600.0;
        /* the 24 hours ending at h (before the series: missing), rated like a natural day */
        double win[AQS_H_N][24];
        const double *wp[AQS_H_N];
        for (int p = 0; p < AQS_H_N; p++) {
            wp[p] = v[p] ? win[p] : NULL;
            if (v[p])
                for (long j = 0; j < 24; j++) win[p][j] = H - 23 + j >= 0 ? v[p][H - 23 + j] : NAN;
        }
        double d[AQS_D_N];
        aqs_day_values(wp, d);
        for (int p = 0; p < 5; p++) r->mean24[p] = d[p];
        r->o3_8h = v[AQS_H_O3] ? window_mean(v[AQS_H_O3], H - 7, H, AQS_8H_MIN_HOURS) : NAN;
        r->o3_1h_max = d[AQS_D_O3_1H_MAX];
        r->o3_8h_max = d[AQS_D_O3_8H_MAX];
        /* the rule of the Beijing date the window's last hour belongs to */
        r->rule = aqi_rule_for_time(r->t_end - 3600.0);
        /* a window whose 24-h means are all missing has no daily-type AQI, whatever O3 gives */
        int any24 = 0;
        for (int p = 0; p < 5; p++) any24 |= !isnan(r->mean24[p]);
        if (!any24) d[AQS_D_O3_1H_MAX] = d[AQS_D_O3_8H_MAX] = NAN;
        aqs_day_aqi(r->rule, d, &r->aqi, &r->level, &r->primary);
    }
}
