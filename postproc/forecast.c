#include "forecast.h"
#include "parallel.h"

#include <limits.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aqi.h"
#include "aqiseries.h"
#include "figures.h"
#include "csvutil.h"
#include "model.h"
#include "timeutil.h"
#include "warnings.h"

#define PATH_LEN 4096
#define BEIJING_S (8 * 3600.0)

static const char usage[] =
    "usage: bogda forecast CONFIG --start YYYY-MM-DDTHH --days N [--restart FILE] [--set S.K=V]...\n"
    "  One forecast cycle from --start (UTC) over N days in [run] output_dir/cycle_YYYY-MM-DDTHH:\n"
    "  a hot start from FILE (the previous cycle's restart at --start) or a cold start spun up\n"
    "  over [forecast] spinup_h; a restart at --start + 24 h for the next cycle; forecast_city.csv,\n"
    "  forecast_city.md, forecast_city_hourly.csv (24-h running-mean AQI), forecast_aqi.png,\n"
    "  warnings.csv ([forecast] warning_scheme: MEE2024, MEE2019, MEP2017) and the cycle record\n"
    "  forecast_cycle.ini + forecast_stations.csv for bogda evaluate.\n";

/* daily_city.csv of the run -> forecast_city.csv (+ lead_day, category) and .md; fills the
 * per-city daily AQI series for the warnings */
typedef struct CitySeries {
    char name[64];
    double t[64], aqi[64]; /* day ends (Beijing midnight, UTC s) */
    int n;
} CitySeries;

#define MAX_CITY 64
#define MAX_DAY 64

/* The cities' members from the station file id,name,city,lon,lat (cities in order of first
 * appearance, as stations.c orders daily_city.csv; a station with an empty city is in none). */
typedef struct Members {
    int n, ncity;
    char (*id)[64];
    int *city;
    char cname[MAX_CITY][64];
} Members;

static void members_free(Members *m)
{
    free(m->id);
    free(m->city);
    memset(m, 0, sizeof *m);
}

static int members_read(const char *csv, Members *m, BgErr *e)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(csv, "r");
    if (!f) return bg_fail(e, BG_EINPUT, csv, NULL, "cannot open the station file");
    char line[1024];
    int ln = 0, cap = 0, rc = BG_OK;
    while (rc == BG_OK && fgets(line, sizeof line, f)) {
        char *fld[6];
        int nf = csv_split(line, fld, 6);
        if (ln++ == 0 || nf < 3 || !fld[0][0]) continue; /* the header; stations.c validated the rest */
        if (m->n == cap) {
            cap = cap ? 2 * cap : 32;
            void *a = realloc(m->id, (size_t)cap * sizeof *m->id), *b = a ? realloc(m->city, (size_t)cap * sizeof *m->city) : NULL;
            if (a) m->id = a;
            if (b) m->city = b;
            if (!a || !b) rc = bg_fail(e, BG_EFAIL, csv, NULL, "out of memory");
            if (rc) break;
        }
        snprintf(m->id[m->n], sizeof m->id[m->n], "%s", fld[0]);
        int c = -1;
        if (fld[2][0]) {
            for (int k = 0; k < m->ncity; k++)
                if (!strcmp(m->cname[k], fld[2])) c = k;
            if (c < 0 && m->ncity < MAX_CITY) {
                c = m->ncity++;
                snprintf(m->cname[c], sizeof m->cname[c], "%s", fld[2]);
            }
        }
        m->city[m->n++] = c;
    }
    fclose(f);
    if (rc) members_free(m);
    return rc;
}

static int members_city_of(const Members *m, const char *id)
{
    for (int k = 0; k < m->n; k++)
        if (!strcmp(m->id[k], id)) return m->city[k];
    return -1;
}

/* The daily maximum of the running-mean AQI of one city and Beijing day. */
typedef struct DayMax {
    int city;
    long day;
    int aqi;
    double t;          /* hour end of the maximum (first one on ties) */
    unsigned primary;
} DayMax;

static void fmt_bj(double t, char *b, int n) { time_strftime(t + BEIJING_S, "%Y-%m-%dT%H:%M:%S+08:00", b, n); }

static void put_v(FILE *f, double v)
{
    if (isnan(v)) fputs(",", f);
    else fprintf(f, ",%.6g", v);
}

/* stations.csv -> city hourly means (over the city's stations with a value, HJ 663) ->
 * 24-h running-mean AQI -> forecast_city_hourly.csv; the daily maxima for the .md */
static int hourly(const char *dir, double start, const Members *mem, DayMax **dmx, int *ndmx, BgErr *e)
{
    static const char *const SP[AQS_H_N] = {"PM25", "PM10", "SO2", "NO2", "CO", "O3"};
    char in[PATH_LEN + 64], out[PATH_LEN + 64], tmp[PATH_LEN + 80], line[1024];
    snprintf(in, sizeof in, "%s/stations.csv", dir);
    snprintf(out, sizeof out, "%s/forecast_city_hourly.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    *dmx = NULL;
    *ndmx = 0;
    double tmin = INFINITY, tmax = -INFINITY;
    size_t nh = 0;
    double *sum = NULL;
    int *cnt = NULL;
    int rc = BG_OK;
    for (int pass = 0; pass < 2 && rc == BG_OK; pass++) {
        FILE *f = fopen(in, "r");
        if (!f) { /* the second pass too: the sums of the first are freed below */
            rc = bg_fail(e, BG_EINPUT, in, NULL, "cannot open: a forecast needs [stations] file");
            break;
        }
        int ln = 0;
        while (fgets(line, sizeof line, f)) {
            char *fld[6];
            double t;
            if (ln++ == 0 || csv_split(line, fld, 6) != 5 || time_parse(fld[1], &t) || !fld[3][0]) continue;
            if (pass == 0) {
                tmin = fmin(tmin, t);
                tmax = fmax(tmax, t);
                continue;
            }
            int p = -1;
            for (int k = 0; k < AQS_H_N; k++)
                if (!strcmp(fld[2], SP[k])) p = k;
            int c = members_city_of(mem, fld[0]);
            long h = lround((t - tmin) / 3600.0);
            if (p < 0 || c < 0 || h < 0 || (size_t)h >= nh) continue;
            size_t ix = ((size_t)c * AQS_H_N + p) * nh + (size_t)h;
            sum[ix] += atof(fld[3]);
            cnt[ix]++;
        }
        fclose(f);
        if (pass == 0) {
            if (!(tmin <= tmax)) return bg_fail(e, BG_EINPUT, in, NULL, "holds no station value");
            nh = (size_t)lround((tmax - tmin) / 3600.0) + 1;
            size_t n = (size_t)(mem->ncity > 0 ? mem->ncity : 1) * AQS_H_N * nh;
            sum = calloc(n, sizeof *sum);
            cnt = calloc(n, sizeof *cnt);
            if (!sum || !cnt) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        }
    }
    AqsHour *hr = rc == BG_OK ? malloc(nh * sizeof *hr) : NULL;
    double *v = hr ? malloc((size_t)AQS_H_N * nh * sizeof *v) : NULL;
    DayMax *dm = v ? calloc((size_t)(mem->ncity > 0 ? mem->ncity : 1) * (nh / 24 + 3), sizeof *dm) : NULL;
    if (rc == BG_OK && !dm) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    FILE *o = rc == BG_OK ? fopen(tmp, "w") : NULL;
    if (rc == BG_OK && !o) rc = bg_fail(e, BG_EFAIL, tmp, NULL, "cannot create");
    if (o)
        fputs("city,time,lead_hour,lead_day,PM25_24h,PM10_24h,SO2_24h,NO2_24h,CO_24h,O3_8h,O3_1h_max_24h,"
              "O3_8h_max_24h,AQI,level,primary\n", o);
    int nd = 0;
    for (int c = 0; c < mem->ncity && rc == BG_OK; c++) {
        const double *ser[AQS_H_N];
        int any = 0;
        for (int p = 0; p < AQS_H_N; p++) {
            int has = 0;
            for (size_t h = 0; h < nh; h++) {
                size_t ix = ((size_t)c * AQS_H_N + p) * nh + h;
                v[p * nh + h] = cnt[ix] ? sum[ix] / cnt[ix] : NAN;
                has |= cnt[ix] > 0;
            }
            ser[p] = has ? v + p * nh : NULL;
            any |= has;
        }
        if (!any) continue;
        aqs_running(ser, nh, tmin, hr);
        for (size_t h = 0; h < nh; h++) {
            const AqsHour *r = &hr[h];
            char ts[40], prim[64] = "";
            fmt_bj(r->t_end, ts, sizeof ts);
            fprintf(o, "%s,%s,%ld,%d", mem->cname[c], ts, lround((r->t_end - start) / 3600.0),
                    aqs_lead_day_of_hour(r->t_end, start));
            for (int p = 0; p < 5; p++) put_v(o, r->mean24[p]);
            put_v(o, r->o3_8h);
            put_v(o, r->o3_1h_max);
            put_v(o, r->o3_8h_max);
            if (r->aqi >= 0) {
                aqi_pollutant_list(r->primary, 1, prim, sizeof prim);
                fprintf(o, ",%d,%s,%s\n", r->aqi, aqi_level(r->aqi)->roman, prim);
            } else {
                fputs(",,,\n", o);
            }
            if (r->aqi < 0) continue;
            long day = aqs_day_of_hour_end(r->t_end);
            if (nd == 0 || dm[nd - 1].city != c || dm[nd - 1].day != day) {
                dm[nd++] = (DayMax){c, day, r->aqi, r->t_end, r->primary};
            } else if (r->aqi > dm[nd - 1].aqi) {
                dm[nd - 1].aqi = r->aqi;
                dm[nd - 1].t = r->t_end;
                dm[nd - 1].primary = r->primary;
            }
        }
    }
    if (o) {
        int bad = ferror(o) | fclose(o);
        if (rc == BG_OK && (bad || rename(tmp, out))) rc = bg_fail(e, BG_EFAIL, out, NULL, "cannot write");
        if (rc) remove(tmp);
    }
    free(sum);
    free(cnt);
    free(hr);
    free(v);
    if (rc == BG_OK) {
        *dmx = dm;
        *ndmx = nd;
    } else {
        free(dm);
    }
    return rc;
}

/* forecast_aqi.png: daily AQI per city and date of forecast_city.csv */
static int chart(const char *dir, double start, const CitySeries *cs, int ncs, BgErr *e)
{
    if (ncs == 0) return BG_OK;
    long d0 = LONG_MAX, d1 = LONG_MIN;
    for (int c = 0; c < ncs; c++)
        for (int k = 0; k < cs[c].n; k++) {
            long d = aqs_beijing_day(cs[c].t[k] - 1.0);
            d0 = d < d0 ? d : d0;
            d1 = d > d1 ? d : d1;
        }
    if (d0 > d1) return BG_OK;
    int nday = (int)(d1 - d0 + 1);
    if (nday > MAX_DAY) nday = MAX_DAY;
    const char *day[MAX_DAY], *city[MAX_CITY];
    int *aqi = malloc((size_t)ncs * nday * sizeof *aqi);
    if (!aqi) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    char dl[MAX_DAY][24];
    for (int d = 0; d < nday; d++) {
        char ds[16];
        aqs_date_of_day(d0 + d, ds, sizeof ds);
        snprintf(dl[d], sizeof dl[d], "%s (D+%d)", ds, aqs_lead_day(d0 + d, start));
        day[d] = dl[d];
    }
    for (int c = 0; c < ncs; c++) {
        city[c] = cs[c].name;
        for (int d = 0; d < nday; d++) aqi[c * nday + d] = -1;
        for (int k = 0; k < cs[c].n; k++) {
            long d = aqs_beijing_day(cs[c].t[k] - 1.0) - d0;
            if (d >= 0 && d < nday && !isnan(cs[c].aqi[k])) aqi[c * nday + d] = (int)cs[c].aqi[k];
        }
    }
    char ts[32], title[160], path[PATH_LEN + 64];
    time_strftime(start + BEIJING_S, "%Y-%m-%d %H:%M", ts, sizeof ts);
    snprintf(title, sizeof title, "Daily AQI forecast, cycle %s Beijing time", ts);
    snprintf(path, sizeof path, "%s/forecast_aqi.png", dir);
    int w = 260 + nday * (ncs * 16 + 24);
    FigAqiChart ch = {w < 760 ? 760 : w > 4000 ? 4000 : w, 480, title, ncs, nday, city, day, aqi};
    int rc = fig_aqi_chart_png(path, &ch, e);
    free(aqi);
    return rc;
}

static int products(const char *dir, double start, const DayMax *dm, int ndm, const Members *mem, CitySeries *cs,
                    int *ncs, BgErr *e)
{
    char in[PATH_LEN + 64], out[PATH_LEN + 64], md[PATH_LEN + 64], tout[PATH_LEN + 80], tmd[PATH_LEN + 80], line[1024];
    snprintf(in, sizeof in, "%s/daily_city.csv", dir);
    snprintf(out, sizeof out, "%s/forecast_city.csv", dir);
    snprintf(md, sizeof md, "%s/forecast_city.md", dir);
    snprintf(tout, sizeof tout, "%s.tmp", out);
    snprintf(tmd, sizeof tmd, "%s.tmp", md);
    FILE *f = fopen(in, "r");
    if (!f) return bg_fail(e, BG_EINPUT, in, NULL, "cannot open: a forecast needs [stations] file and the chemical model");
    FILE *o = fopen(tout, "w"), *m = fopen(tmd, "w");
    if (!o || !m) {
        fclose(f);
        if (o) fclose(o);
        if (m) fclose(m);
        return bg_fail(e, BG_EFAIL, tout, NULL, "cannot create");
    }
    char ts[32];
    time_format(start, ts, sizeof ts);
    fprintf(o, "city,date,lead_day,PM25,PM10,SO2,NO2,CO,O3_1h_max,O3_8h_max,AQI,level,category,primary\n");
    /* the table's rows first: the heading links the chart only when there is one (chart(): a
     * city with a Beijing-time day) */
    char *rows = NULL;
    size_t nrows = 0;
    FILE *mt = m;
    m = open_memstream(&rows, &nrows);
    if (!m) {
        fclose(f);
        fclose(o);
        fclose(mt);
        remove(tout); /* no half-written products */
        remove(tmd);
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    }
    fprintf(m, "## Natural-day AQI\n\nBeijing-time days; lead day N is the Beijing day of the cycle start + N (D+N). "
               "PM2.5, PM10, SO2, NO2, O3 in ug m-3, CO in mg m-3 (GB 3095); AQI per HJ 633 in force on the date.\n\n"
               "| city | date | lead | PM2.5 | PM10 | SO2 | NO2 | CO | O3 MDA8 | AQI | level | category | primary |\n"
               "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n");
    int ln = 0;
    *ncs = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[13];
        if (ln++ == 0 || csv_split(line, fld, 13) != 12) continue;
        long day;
        if (aqs_day_of_date(fld[1], &day)) continue;
        int lead = aqs_lead_day(day, start);
        int aqi = fld[9][0] ? atoi(fld[9]) : -1;
        const AqiLevel *lv = aqi >= 0 ? aqi_level(aqi) : NULL;
        fprintf(o, "%s,%s,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", fld[0], fld[1], lead, fld[2], fld[3], fld[4],
                fld[5], fld[6], fld[7], fld[8], fld[9], fld[10], lv ? lv->category_en : "", fld[11]);
        fprintf(m, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", fld[0], fld[1], lead,
                fld[2], fld[3], fld[4], fld[5], fld[6], fld[8], fld[9], fld[10], lv ? lv->category_en : "", fld[11]);
        int c = -1;
        for (int k = 0; k < *ncs; k++)
            if (!strcmp(cs[k].name, fld[0])) c = k;
        if (c < 0 && *ncs < MAX_CITY) {
            c = (*ncs)++;
            memset(&cs[c], 0, sizeof cs[c]);
            snprintf(cs[c].name, sizeof cs[c].name, "%s", fld[0]);
        }
        if (c >= 0 && cs[c].n < MAX_DAY) {
            cs[c].t[cs[c].n] = (double)(day + 1) * 86400.0 - BEIJING_S; /* the day's end */
            cs[c].aqi[cs[c].n++] = aqi >= 0 ? aqi : NAN;
        }
    }
    fclose(f);
    fclose(m);
    m = mt;
    fprintf(m, "# City forecast from %s\n\n", ts);
    if (*ncs > 0) fprintf(m, "![Daily AQI per city, bars coloured by HJ 633 level](forecast_aqi.png)\n\n");
    fputs(rows ? rows : "", m);
    free(rows);
    fprintf(m, "\n## 24-h running-mean AQI, daily maximum\n\nThe daily-report AQI of HJ 633 over the 24 hours ending at each "
               "hour (any consecutive 24 h, the warning schemes' daily AQI); hourly values in forecast_city_hourly.csv. "
               "The maximum over the hour ends of each Beijing day (the first 19 hours of a cycle have no 24-h mean).\n\n"
               "| city | date | lead | max running AQI | level | category | at (Beijing time) | primary |\n"
               "|---|---|---:|---:|---|---|---|---|\n");
    for (int k = 0; k < ndm; k++) {
        char ds[16], at[40], prim[64] = "";
        aqs_date_of_day(dm[k].day, ds, sizeof ds);
        time_strftime(dm[k].t + BEIJING_S, "%m-%d %H:%M", at, sizeof at);
        aqi_pollutant_list(dm[k].primary, 1, prim, sizeof prim);
        const AqiLevel *lv = aqi_level(dm[k].aqi);
        fprintf(m, "| %s | %s | %d | %d | %s | %s | %s | %s |\n", mem->cname[dm[k].city], ds, aqs_lead_day(dm[k].day, start),
                dm[k].aqi, lv->roman, lv->category_en, at, prim);
    }
    int bad = fclose(o) | fclose(m);
    if (bad || rename(tout, out) || rename(tmd, md)) return bg_fail(e, BG_EFAIL, out, NULL, "cannot write");
    return BG_OK;
}

/* forecast_stations.csv: the cities' members, so that `bogda evaluate` forms the observed
 * city values from the same stations (HJ 663) */
static int write_members(const char *dir, const Members *mem, BgErr *e)
{
    char path[PATH_LEN + 64], tmp[PATH_LEN + 80];
    snprintf(path, sizeof path, "%s/forecast_stations.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return bg_fail(e, BG_EFAIL, tmp, NULL, "cannot create");
    fputs("station,city\n", f);
    for (int k = 0; k < mem->n; k++)
        if (mem->city[k] >= 0) fprintf(f, "%s,%s\n", mem->id[k], mem->cname[mem->city[k]]);
    if (fclose(f) || rename(tmp, path)) return bg_fail(e, BG_EFAIL, path, NULL, "cannot write");
    return BG_OK;
}

static int products_all(const char *dir, double start, const char *stations_csv, CitySeries *cs, int *ncs, BgErr *e)
{
    Members mem;
    BG_TRY(members_read(stations_csv, &mem, e));
    DayMax *dm = NULL;
    int ndm = 0;
    int rc = hourly(dir, start, &mem, &dm, &ndm, e);
    if (rc == BG_OK) rc = products(dir, start, dm, ndm, &mem, cs, ncs, e);
    if (rc == BG_OK) rc = chart(dir, start, cs, *ncs, e);
    if (rc == BG_OK) rc = write_members(dir, &mem, e);
    free(dm);
    members_free(&mem);
    return rc;
}

int forecast_products(const char *dir, double start, const char *stations_csv, BgErr *e)
{
    CitySeries *cs = calloc(MAX_CITY, sizeof *cs);
    if (!cs) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    int ncs = 0;
    int rc = products_all(dir, start, stations_csv, cs, &ncs, e);
    free(cs);
    return rc;
}

/* warnings per city and per [region NAME] cities = ... (region series: the maximum) */
static int warnings(Model *mdl, const char *dir, double start, const CitySeries *cs, int ncs, BgErr *e)
{
    WarnScheme sch;
    const char *sn = config_get(&mdl->cfg, "forecast", "warning_scheme");
    BG_TRY(warn_scheme_parse(sn, &sch, e));
    WarnEpisode ep[256];
    int nep = 0;
    for (int c = 0; c < ncs && nep < 200; c++) {
        int n = 0;
        BG_TRY(warn_evaluate(cs[c].t, cs[c].aqi, cs[c].n, WARN_IN_DAILY, sch, cs[c].name, start, ep + nep, 256 - nep, &n, e));
        nep += n;
    }
    const char *rn[64];
    int nreg = config_sections(&mdl->cfg, "region", rn, 64);
    for (int r = 0; r < nreg && nep < 250; r++) {
        char sec[160];
        snprintf(sec, sizeof sec, "region %s", rn[r]);
        const char *cl = config_get(&mdl->cfg, sec, "cities");
        if (!cl || !cl[0]) continue;
        char buf[1024], *tok[64];
        snprintf(buf, sizeof buf, "%s", cl);
        int nt = config_split(buf, tok, 64);
        double t[64], v[64 * 64];
        int nday = 0, ncity = 0;
        for (int k = 0; k < nt; k++)
            for (int c = 0; c < ncs; c++)
                if (!strcmp(cs[c].name, tok[k]) && cs[c].n > 0) {
                    if (ncity == 0) {
                        nday = cs[c].n;
                        memcpy(t, cs[c].t, (size_t)nday * sizeof *t);
                    }
                    for (int d = 0; d < nday; d++) v[ncity * nday + d] = d < cs[c].n ? cs[c].aqi[d] : NAN;
                    ncity++;
                }
        if (!ncity) continue;
        double series[64];
        warn_region_series(v, ncity, nday, WARN_REGION_MAX, series);
        int n = 0;
        BG_TRY(warn_evaluate(t, series, nday, WARN_IN_DAILY, sch, rn[r], start, ep + nep, 256 - nep, &n, e));
        nep += n;
    }
    char path[PATH_LEN + 64];
    snprintf(path, sizeof path, "%s/warnings.csv", dir);
    return warn_write_csv(path, ep, nep, e);
}

/* forecast_cycle.ini: what `bogda evaluate` needs to score the cycle by lead day (the start,
 * the warning scheme and the regions' cities) */
static int write_cycle(Model *mdl, const char *dir, double start, int days, const char *restart, BgErr *e)
{
    char path[PATH_LEN + 64], tmp[PATH_LEN + 80], ts[32];
    snprintf(path, sizeof path, "%s/forecast_cycle.ini", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return bg_fail(e, BG_EFAIL, tmp, NULL, "cannot create");
    WarnScheme sch;
    const char *sn = config_get(&mdl->cfg, "forecast", "warning_scheme");
    if (warn_scheme_parse(sn, &sch, e)) {
        fclose(f);
        remove(tmp);
        return e->code;
    }
    time_format(start, ts, sizeof ts);
    fprintf(f, "; bogda forecast cycle record (docs/forecast.md), read by bogda evaluate\n[cycle]\nstart = %s\n"
               "days = %d\nstart_kind = %s\nwarning_scheme = %s\nstations = forecast_stations.csv\n",
            ts, days, restart ? "hot" : "cold", warn_scheme_name(sch));
    const char *rn[64];
    int nreg = config_sections(&mdl->cfg, "region", rn, 64);
    for (int r = 0; r < nreg; r++) {
        char sec[160];
        snprintf(sec, sizeof sec, "region %s", rn[r]);
        const char *cl = config_get(&mdl->cfg, sec, "cities");
        if (cl && cl[0]) fprintf(f, "\n[region %s]\ncities = %s\n", rn[r], cl);
    }
    if (fclose(f) || rename(tmp, path)) return bg_fail(e, BG_EFAIL, path, NULL, "cannot write");
    return BG_OK;
}

int forecast_settings(const Config *cfg, BgErr *e)
{
    char w[1100];
    double spin;
    BG_TRY(config_double(cfg, "forecast", "spinup_h", &spin, e));
    if (!(spin >= 0)) {
        config_where(cfg, config_entry(cfg, "forecast", "spinup_h"), w, sizeof w);
        return bg_fail(e, BG_ECONFIG, w, NULL, "[forecast] spinup_h = '%s': must be >= 0",
                       config_get(cfg, "forecast", "spinup_h"));
    }
    const char *sn = config_get(cfg, "forecast", "warning_scheme");
    WarnScheme sch;
    BgErr none = {0};
    if (warn_scheme_parse(sn, &sch, &none) == BG_OK) return BG_OK;
    config_where(cfg, config_entry(cfg, "forecast", "warning_scheme"), w, sizeof w);
    return bg_fail(e, BG_ECONFIG, w, NULL, "[forecast] warning_scheme = '%s': unknown scheme (MEE2024, MEE2019 or MEP2017)",
                   sn);
}

int forecast_main(int argc, char **argv, BgErr *e)
{
    const char *config = NULL, *start_s = NULL, *restart = NULL;
    int days = 0;
    char **sets = calloc((size_t)argc + 8, sizeof *sets);
    int nset = 0, rc = BG_OK;
    if (!sets) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int i = 1; i < argc && rc == BG_OK; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            free(sets);
            return BG_OK;
        } else if (!strcmp(argv[i], "--start") && i + 1 < argc) start_s = argv[++i];
        else if (!strcmp(argv[i], "--days") && i + 1 < argc) days = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--restart") && i + 1 < argc) restart = argv[++i];
        else if (!strcmp(argv[i], "--set") && i + 1 < argc) sets[nset++] = argv[++i];
        else if (argv[i][0] == '-' || config) rc = bg_fail(e, BG_ECONFIG, "forecast", argv[i], "unexpected argument\n%s", usage);
        else config = argv[i];
    }
    double start = 0;
    if (rc == BG_OK && (!config || !start_s || days < 1))
        rc = bg_fail(e, BG_ECONFIG, "forecast", NULL, "needs CONFIG, --start and --days N >= 1\n%s", usage);
    if (rc == BG_OK && time_parse(start_s, &start))
        rc = bg_fail(e, BG_ECONFIG, "forecast", "--start", "'%s' is not an ISO-8601 time", start_s);
    /* the cycle's settings: spin-up from the configuration (cold start only) */
    Config cfg;
    double spin = 0;
    char outdir[PATH_LEN] = "";
    if (rc == BG_OK) rc = config_load(&cfg, config, sets, nset, e);
    if (rc == BG_OK) {
        rc = config_double(&cfg, "forecast", "spinup_h", &spin, e);
        if (rc == BG_OK) rc = forecast_settings(&cfg, e);
        snprintf(outdir, sizeof outdir, "%s", config_get(&cfg, "run", "output_dir"));
        config_free(&cfg);
    }
    if (restart) spin = 0;
    char s_start[80], s_hours[64], s_spin[64], s_ckpt[64], s_out[PATH_LEN + 64], s_rst[PATH_LEN + 32], stamp[32];
    if (rc == BG_OK) {
        char ts[32];
        time_format(start - spin * 3600.0, ts, sizeof ts);
        time_strftime(start, "%Y-%m-%dT%H", stamp, sizeof stamp);
        snprintf(s_start, sizeof s_start, "run.start=%s", ts);
        snprintf(s_hours, sizeof s_hours, "run.hours=%.17g", days * 24.0 + spin);
        snprintf(s_spin, sizeof s_spin, "run.spinup_h=%.17g", spin);
        /* checkpoints counted from the run's start: the first lands at the next cycle's start */
        snprintf(s_ckpt, sizeof s_ckpt, "run.checkpoint_h=%.17g", spin + 24.0);
        snprintf(s_out, sizeof s_out, "run.output_dir=%s/cycle_%s", outdir, stamp);
        sets[nset++] = s_start;
        sets[nset++] = s_hours;
        sets[nset++] = s_spin;
        sets[nset++] = s_ckpt;
        sets[nset++] = s_out;
        if (restart) {
            snprintf(s_rst, sizeof s_rst, "run.restart=%s", restart);
            sets[nset++] = s_rst;
        }
    }
    Model m;
    int setup = rc == BG_OK;
    if (setup) rc = model_setup(&m, config, sets, nset, 0, NULL, e);
    if (rc == BG_OK && restart) {
        /* a hot start must begin at the cycle start: the restart's time is checked here, its grid,
         * species and configuration hash by the run */
        int nc, v;
        double tr = NAN;
        if (nc_open(m.rc.restart, NC_NOWRITE, &nc) == NC_NOERR) {
            if (nc_inq_varid(nc, "time", &v) == NC_NOERR) nc_get_var_double(nc, v, &tr);
            nc_close(nc);
        }
        if (!(fabs(tr - start) < 1.0)) {
            char a[32], b[32];
            time_format(tr, a, sizeof a);
            time_format(start, b, sizeof b);
            rc = bg_fail(e, BG_EINPUT, restart, "time", "restart at %s, but the cycle starts at %s", isfinite(tr) ? a : "unknown", b);
        }
    }
    /* under mpirun the run splits its grid over the ranks; rank 0 alone makes the products */
    if (rc == BG_OK) {
        m.distributed = par_size() > 1;
        rc = model_run(&m, e);
    }
    if (par_size() > 1 && par_rank() != 0) {
        if (setup) model_free(&m);
        free(sets);
        return rc;
    }
    CitySeries *cs = calloc(64, sizeof *cs);
    int ncs = 0;
    if (rc == BG_OK && !cs) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    char stf[PATH_LEN];
    if (rc == BG_OK) {
        model_resolve_path(&m, config_get(&m.cfg, "stations", "file"), stf, sizeof stf);
        rc = products_all(m.rc.output_dir, start, stf, cs, &ncs, e);
    }
    if (rc == BG_OK) rc = warnings(&m, m.rc.output_dir, start, cs, ncs, e);
    if (rc == BG_OK) rc = write_cycle(&m, m.rc.output_dir, start, days, restart, e);
    if (rc == BG_OK) printf("forecast: %d cities, products in %s\n", ncs, m.rc.output_dir);
    /* a daily AQI needs 20 valid hours of a Beijing day (16 to 16 UTC, HJ 663): a 1-day cycle
     * from 00 UTC never holds one, which looked like a failure */
    if (rc == BG_OK && ncs == 0)
        printf("forecast: no Beijing-time day (16 to 16 UTC) of this cycle has 20 valid hours, so the city tables are "
               "empty: start at 16 UTC or forecast 2 days or more\n");
    free(cs);
    if (setup) model_free(&m);
    free(sets);
    return rc;
}
