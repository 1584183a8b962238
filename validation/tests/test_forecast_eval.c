/* Forecast products and their verification (postproc/aqiseries.c, forecast.c, evaluate.c,
 * evalstats.c, figures.c; docs/forecast.md, docs/evaluation.md): lead days against hand values,
 * the 24-h running-mean AQI against hand-computed series, categorical scores against
 * hand-computed contingency tables, and the PNG products (valid, expected size, bar colour =
 * HJ 633 level colour). */
#include <cairo.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "aqiseries.h"
#include "csvutil.h"
#include "evalstats.h"
#include "evaluate.h"
#include "figures.h"
#include "forecast.h"
#include "testutil.h"
#include "timeutil.h"

static char tmpdir[64];

static double T(const char *s)
{
    double t;
    assert_int_equal(time_parse(s, &t), 0);
    return t;
}

static void png_size(const char *path, int w, int h)
{
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(img), w);
    assert_int_equal(cairo_image_surface_get_height(img), h);
    cairo_surface_destroy(img);
}

static void test_lead_days(void **st)
{
    (void)st;
    long d;
    /* a 00 UTC cycle (08:00 Beijing): the start's Beijing day is lead 0, the next day lead 1 */
    double s0 = T("2024-01-10T00:00:00Z");
    assert_int_equal(aqs_day_of_date("2024-01-11", &d), 0);
    assert_int_equal(aqs_lead_day(d, s0), 1);
    assert_int_equal(aqs_day_of_date("2024-01-10", &d), 0);
    assert_int_equal(aqs_lead_day(d, s0), 0);
    /* hour ends: 16Z = 24:00 Beijing closes 01-10 (lead 0); 17Z = 01:00 on 01-11 (lead 1) */
    assert_int_equal(aqs_lead_day_of_hour(T("2024-01-10T16:00:00Z"), s0), 0);
    assert_int_equal(aqs_lead_day_of_hour(T("2024-01-10T17:00:00Z"), s0), 1);
    assert_int_equal(aqs_lead_day_of_hour(T("2024-01-11T16:00:00Z"), s0), 1);
    assert_int_equal(aqs_lead_day_of_hour(T("2024-01-11T17:00:00Z"), s0), 2);
    /* a 12 UTC cycle (20:00 Beijing, the publication deadline): 01-11 is D+1 */
    double s12 = T("2024-01-10T12:00:00Z");
    assert_int_equal(aqs_day_of_date("2024-01-11", &d), 0);
    assert_int_equal(aqs_lead_day(d, s12), 1);
    /* a cycle at Beijing midnight (16 UTC): its own, complete day is lead 0 (forecast_city.csv) */
    double s16 = T("2024-01-10T16:00:00Z");
    assert_int_equal(aqs_lead_day(d, s16), 0);
    assert_int_equal(aqs_lead_day_of_hour(T("2024-01-10T17:00:00Z"), s16), 0);
    char b[16];
    aqs_date_of_day(d, b, sizeof b);
    assert_string_equal(b, "2024-01-11");
    print_message("lead days: 00Z cycle 01-10 -> 01-11 is D+1; hour ending 17Z is D+1, 16Z D+0\n");
}

static void test_running_aqi(void **st)
{
    (void)st;
    enum { NH = 96 };
    double pm[NH], o3[NH];
    /* PM2.5 35 ug m-3 for 48 h, then 115: IAQI 50 then 150 (HJ 633-2012 breakpoints) */
    for (int h = 0; h < NH; h++) pm[h] = h < 48 ? 35 : 115, o3[h] = 100;
    const double *v[AQS_H_N] = {pm, NULL, NULL, NULL, NULL, NULL};
    double t0 = T("2024-01-10T17:00:00Z"); /* the hour ending 01:00 Beijing */
    AqsHour r[NH];
    aqs_running(v, NH, t0, r);
    for (int h = 0; h < 19; h++) assert_int_equal(r[h].aqi, -1); /* < 20 valid hours */
    for (int h = 19; h < 48; h++) {
        assert_int_equal(r[h].aqi, 50);
        assert_int_equal(r[h].primary, 0u); /* AQI <= 50: no primary pollutant */
        assert_close(r[h].mean24[AQS_H_PM25], 35, 1e-12);
    }
    /* one 115 in the window: mean (23 * 35 + 115) / 24 = 38.333, rounded to 38 ug m-3 first
     * (GB/T 8170, aqi.h): 50 + 50 * 3 / 40 = 53.75 -> 54 */
    assert_close(r[48].mean24[AQS_H_PM25], (23 * 35 + 115) / 24.0, 1e-12);
    assert_int_equal(r[48].aqi, 54);
    /* 23 of 24 hours at 115: 111.667 -> 112: 100 + 50 * 37 / 40 = 146.25 -> 147 */
    assert_int_equal(r[70].aqi, 147);
    /* exactly 24 h after the step the window holds only the new value: IAQI 150, level III */
    assert_close(r[71].mean24[AQS_H_PM25], 115, 1e-12);
    assert_int_equal(r[71].aqi, 150);
    assert_int_equal(r[71].level, 3);
    assert_int_equal(r[71].primary, 1u << AQI_PM25);
    for (int h = 71; h < NH; h++) assert_int_equal(r[h].aqi, 150);
    print_message("running AQI, PM2.5 step 35 -> 115 at hour 48: h47 %d, h48 %d, h70 %d, h71 %d\n", r[47].aqi,
                  r[48].aqi, r[70].aqi, r[71].aqi);

    /* at a Beijing midnight the window is the natural day: same AQI as the day's values */
    for (int h = 0; h < NH; h++) pm[h] = 20 + 90 * sin(0.3 * h) * sin(0.3 * h), o3[h] = 40 + 150 * (h % 24 > 10 && h % 24 < 18);
    pm[30] = NAN, pm[31] = NAN; /* missing hours inside the second day */
    const double *v2[AQS_H_N] = {pm, NULL, NULL, NULL, NULL, o3};
    aqs_running(v2, NH, t0, r);
    for (int day = 0; day < 4; day++) {
        const double *w[AQS_H_N] = {pm + 24 * day, NULL, NULL, NULL, NULL, o3 + 24 * day};
        double dv[AQS_D_N];
        aqs_day_values(w, dv);
        int aqi, level;
        unsigned prim;
        aqs_day_aqi(AQI_HJ633_2012, dv, &aqi, &level, &prim);
        const AqsHour *m = &r[24 * day + 23];
        assert_close(m->mean24[AQS_H_PM25], dv[AQS_D_PM25], 1e-9);
        assert_close(m->o3_8h_max, dv[AQS_D_O3_8H_MAX], 1e-9);
        assert_close(m->o3_1h_max, dv[AQS_D_O3_1H_MAX], 1e-9);
        assert_int_equal(m->aqi, aqi);
        assert_int_equal(m->primary, prim);
        print_message("day %d: natural-day AQI %d = running AQI at 24:00 %d (PM2.5 %.2f, O3 MDA8 %.1f)\n", day, aqi,
                      m->aqi, dv[AQS_D_PM25], dv[AQS_D_O3_8H_MAX]);
    }
    /* O3 40 with 190 in the hours ending 12:00..18:00 (7 hours): the best 8-h window holds the
     * seven 190 values and one 40: (7 * 190 + 40) / 8 = 171.25 */
    assert_close(r[47].o3_8h_max, 171.25, 1e-12);
}

/* one city-day at a time, hand-computed tables (standards README 4.3) */
static void test_categorical(void **st)
{
    (void)st;
    FcScores s = {0};
    /* (fc AQI, obs AQI): (107, 100) false alarm at 100; (210, 210) hit at 100/150/200;
     * (45, 63) correct negative at 100; (320, 180) hit at 100/150, false alarm at 200/300;
     * (90, 160) miss at 100/150 */
    const int fc[5] = {107, 210, 45, 320, 90}, ob[5] = {100, 210, 63, 180, 160};
    const unsigned P = 1u << AQI_PM25, O = 1u << AQI_O3;
    const unsigned fp[5] = {P, P, 0, P | O, O}, op[5] = {P, P, P, O, P};
    const int fw[5] = {0, 2, 0, 3, 0}, ow[5] = {0, 2, 0, 0, 2};
    for (int k = 0; k < 5; k++) fcscores_add(&s, fc[k], ob[k], fp[k], op[k], fw[k], ow[k]);
    /* AQI > 100: a = 2 (210, 320/180), b = 1 (107/100), c = 1 (90/160), d = 1 (45/63) */
    assert_int_equal(s.aqi[0].a, 2);
    assert_int_equal(s.aqi[0].b, 1);
    assert_int_equal(s.aqi[0].c, 1);
    assert_int_equal(s.aqi[0].d, 1);
    CatScores c;
    contingency_scores(&s.aqi[0], &c);
    /* POD 2/3, FAR 1/3, CSI 2/4, ar = 3 * 3 / 5 = 1.8, ETS = 0.2 / 2.2, HSS = 2 (2 - 1) /
     * (3 * 2 + 3 * 2) = 1/6 */
    assert_close(c.pod, 2.0 / 3, 1e-12);
    assert_close(c.far, 1.0 / 3, 1e-12);
    assert_close(c.csi, 0.5, 1e-12);
    assert_close(c.ets, 0.2 / 2.2, 1e-12);
    assert_close(c.hss, 1.0 / 6, 1e-12);
    /* AQI > 150: a = 2 (210, 320/180), b = 0, c = 1 (90/160), d = 2 */
    assert_int_equal(s.aqi[1].a, 2);
    assert_int_equal(s.aqi[1].b, 0);
    assert_int_equal(s.aqi[1].c, 1);
    assert_int_equal(s.aqi[1].d, 2);
    contingency_scores(&s.aqi[1], &c);
    /* ar = 2 * 3 / 5 = 1.2; ETS = 0.8 / 1.8; HSS = 2 (4 - 0) / (3 * 3 + 2 * 2) = 8 / 13 */
    assert_close(c.ets, 0.8 / 1.8, 1e-12);
    assert_close(c.hss, 8.0 / 13, 1e-12);
    /* AQI > 200: a = 1 (210), b = 1 (320/180), c = 0, d = 3 */
    assert_int_equal(s.aqi[2].a, 1);
    assert_int_equal(s.aqi[2].b, 1);
    assert_int_equal(s.aqi[2].d, 3);
    /* AQI > 300: b = 1 */
    assert_int_equal(s.aqi[3].b, 1);
    assert_int_equal(s.aqi[3].d, 4);
    /* levels: III/II, V/V, I/II, VI/IV, II/IV: 1 of 5 */
    assert_int_equal(s.n_level, 5);
    assert_int_equal(s.ok_level, 1);
    /* primary, obs AQI > 50 on all five: PM25=PM25, PM25=PM25, none (fc 45) vs PM25, {PM25,O3}
     * vs O3 (a match), O3 vs PM25: 3 of 5 */
    assert_int_equal(s.n_primary, 5);
    assert_int_equal(s.ok_primary, 3);
    /* warnings: none/none, yellow/yellow, none/none, orange/none, none/yellow: 3 of 5 equal;
     * any-warning table a = 1, b = 1, c = 1, d = 2 */
    assert_int_equal(s.n_warn, 5);
    assert_int_equal(s.ok_warn, 3);
    assert_int_equal(s.warn.a, 1);
    assert_int_equal(s.warn.b, 1);
    assert_int_equal(s.warn.c, 1);
    assert_int_equal(s.warn.d, 2);
    /* a missing value skips the day */
    fcscores_add(&s, -1, 120, 0, P, -1, 1);
    assert_int_equal(s.n_level, 5);
    assert_int_equal(s.n_warn, 5);
    char path[128];
    snprintf(path, sizeof path, "%s/cat.csv", tmpdir);
    int lead = -1;
    BgErr e = {0};
    assert_int_equal(evalstats_write_categorical(path, &s, &lead, 1, &e), BG_OK);
    FILE *f = fopen(path, "r");
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[16];
        assert_int_equal(csv_split(line, fld, 16), 14);
        if (!strcmp(fld[1], "primary")) assert_close(atof(fld[13]), 0.6, 1e-12);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 1 + 5 + 3);
    print_message("AQI > 100: a 2 b 1 c 1 d 1: POD %.3f FAR %.3f CSI %.3f ETS %.4f HSS %.4f\n", 2.0 / 3, 1.0 / 3, 0.5,
                  0.2 / 2.2, 1.0 / 6);
}

static void test_chart_png(void **st)
{
    (void)st;
    const char *city[3] = {"Urumqi", "Changji", "Kuitun"}, *day[3] = {"01-11", "01-12", "01-13"};
    const int aqi[9] = {45, 120, 180, 60, 160, 230, 310, 90, -1};
    FigAqiChart c = {900, 420, "Daily AQI", 3, 3, city, day, aqi};
    char path[128];
    snprintf(path, sizeof path, "%s/aqi.png", tmpdir);
    BgErr e = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fig_aqi_chart_png(path, &c, &e), BG_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    png_size(path, 900, 420);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    cairo_surface_flush(img);
    FigAqiLayout L;
    fig_aqi_layout(&c, &L);
    assert_close(L.amax, 500, 0); /* 310 * 1.12 > 300 */
    unsigned char *d = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int k = 0; k < 8; k++) {
        int ci = k / 3, dd = k % 3;
        double x, y, w, h;
        fig_aqi_bar_rect(&L, 3, ci, dd, aqi[k], &x, &y, &w, &h);
        uint32_t p = *(uint32_t *)(d + (size_t)(y + 0.5 * h) * stride + 4 * (size_t)(x + 0.5 * w));
        const AqiLevel *lv = aqi_level(aqi[k]);
        assert_int_equal((int)((p >> 16) & 255), lv->r);
        assert_int_equal((int)((p >> 8) & 255), lv->g);
        assert_int_equal((int)(p & 255), lv->b);
    }
    cairo_surface_destroy(img);
    print_message("AQI chart 900x420: bar centres have the HJ 633 level colours; %.1f ms\n",
                  1e3 * (t1.tv_sec - t0.tv_sec) + 1e-6 * (t1.tv_nsec - t0.tv_nsec));
    /* time series and scatter */
    double t[48], m[48], o[48];
    for (int k = 0; k < 48; k++) t[k] = T("2024-01-10T01:00:00Z") + 3600.0 * k, m[k] = 50 + k, o[k] = k == 5 ? NAN : 40 + 1.5 * k;
    FigLine ln[2] = {{t, o, 48, {0, 0, 0}, 0, "observed"}, {t, m, 48, {0.1, 0.4, 0.7}, 0, "model"}};
    snprintf(path, sizeof path, "%s/ts.png", tmpdir);
    assert_int_equal(fig_timeseries_png(path, ln, 2, "PM2.5 at S1", "ug m-3", 800, 300, &e), BG_OK);
    png_size(path, 800, 300);
    snprintf(path, sizeof path, "%s/sc.png", tmpdir);
    assert_int_equal(fig_scatter_png(path, o, m, 48, "PM2.5 at S1", "ug m-3", 400, 420, &e), BG_OK);
    png_size(path, 400, 420);
    BgErr e2 = {0};
    double nanv[2] = {NAN, NAN};
    assert_int_equal(fig_scatter_png(path, nanv, nanv, 2, NULL, NULL, 400, 420, &e2), BG_ECONFIG);
    print_message("%s\n", e2.msg);
}

static void put_file(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A hand-made cycle directory: 00 UTC cycle of 2024-01-10, city C = station S1 (+ S2), city D =
 * S3; model PM2.5 per Beijing day 50 (01-10, partial), 80, 160, 40; observed 50, 75, 160, 45. */
static void make_cycle(void)
{
    char p[256];
    snprintf(p, sizeof p, "%s/cyc", tmpdir);
    mkdir(p, 0777);
    put_file("cyc/forecast_cycle.ini", "[cycle]\nstart = 2024-01-10T00:00:00Z\ndays = 3\nstart_kind = cold\n"
                                       "warning_scheme = MEE2024\n\n[region R]\ncities = C, D\n");
    put_file("stations_in.csv", "id,name,city,lon,lat\nS1,one,C,87.6,43.8\nS2,two,C,87.7,43.9\nS3,three,D,84.9,44.4\n");
    snprintf(p, sizeof p, "%s/cyc/stations.csv", tmpdir);
    FILE *f = fopen(p, "w");
    char q[256];
    snprintf(q, sizeof q, "%s/obs.csv", tmpdir);
    FILE *o = fopen(q, "w");
    fputs("station,time,species,value,unit\n", f);
    fputs("station,lon,lat,time,species,value,unit\n", o);
    double t0 = T("2024-01-10T01:00:00Z");
    const double mod[4] = {50, 80, 160, 40}, obs[4] = {50, 75, 160, 45};
    for (int h = 0; h < 16 + 72; h++) {
        double t = t0 + 3600.0 * h;
        int day = (int)(aqs_day_of_hour_end(t) - aqs_beijing_day(t0));
        char ts[32], bj[40];
        time_format(t, ts, sizeof ts);
        time_strftime(t + 8 * 3600.0, "%Y-%m-%dT%H:%M:%S+08:00", bj, sizeof bj);
        fprintf(f, "S1,%s,PM25,%g,ug m-3\nS2,%s,PM25,%g,ug m-3\nS3,%s,PM25,%g,ug m-3\n", ts, mod[day], ts, mod[day] + 10, ts, 20.0);
        fprintf(o, "S1,87.6,43.8,%s,PM25,%g,ug/m3\nS3,84.9,44.4,%s,PM25,%g,ug/m3\n", bj, obs[day], bj, 20.0);
    }
    fclose(f);
    fclose(o);
    /* daily_city.csv as stations.c writes it: C = mean of S1 and S2 (85, 165, 45) */
    put_file("cyc/daily_city.csv", "city,date,PM25,PM10,SO2,NO2,CO,O3_1h_max,O3_8h_max,AQI,level,primary\n"
                                   "C,2024-01-11,85,,,,,,,113,III,PM25\nC,2024-01-12,165,,,,,,,215,V,PM25\n"
                                   "C,2024-01-13,45,,,,,,,63,II,PM25\nD,2024-01-11,20,,,,,,,29,I,\n"
                                   "D,2024-01-12,20,,,,,,,29,I,\nD,2024-01-13,20,,,,,,,29,I,\n");
    put_file("cyc/warnings.csv", "region,issued,level,start,end,scheme,reason,required_cut_percent\n"
                                 "C,2024-01-10T08:00:00+08:00,yellow,2024-01-12T00:00:00+08:00,2024-01-13T00:00:00+08:00,MEE2024,x,10\n"
                                 "R,2024-01-10T08:00:00+08:00,yellow,2024-01-12T00:00:00+08:00,2024-01-13T00:00:00+08:00,MEE2024,x,10\n");
}

static void test_forecast_products(void **st)
{
    (void)st;
    make_cycle();
    char dir[128], sf[128], p[256], line[512];
    snprintf(dir, sizeof dir, "%s/cyc", tmpdir);
    snprintf(sf, sizeof sf, "%s/stations_in.csv", tmpdir);
    BgErr e = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(forecast_products(dir, T("2024-01-10T00:00:00Z"), sf, &e), BG_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("forecast_products (2 cities, 88 h): %.1f ms\n", 1e3 * (t1.tv_sec - t0.tv_sec) + 1e-6 * (t1.tv_nsec - t0.tv_nsec));
    /* forecast_city.csv keeps the DESIGN columns; lead days 1..3 */
    snprintf(p, sizeof p, "%s/forecast_city.csv", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "city,date,lead_day,PM25,PM10,SO2,NO2,CO,O3_1h_max,O3_8h_max,AQI,level,category,primary\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "C,2024-01-11,1,85,,,,,,,113,III,Lightly polluted,PM25\n");
    fclose(f);
    /* hourly: city C = mean of S1 and S2; at 24:00 of 01-11 the window is the day: 85 -> 113 */
    snprintf(p, sizeof p, "%s/forecast_city_hourly.csv", dir);
    f = fopen(p, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "city,time,lead_hour,lead_day,PM25_24h,PM10_24h,SO2_24h,NO2_24h,CO_24h,O3_8h,"
                              "O3_1h_max_24h,O3_8h_max_24h,AQI,level,primary\n");
    int rows = 0, seen = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[16];
        assert_int_equal(csv_split(line, fld, 16), 15);
        rows++;
        int lh = atoi(fld[2]);
        if (strcmp(fld[0], "C")) continue;
        if (lh < 20) assert_string_equal(fld[12], ""); /* fewer than 20 hours in the window */
        if (!strcmp(fld[1], "2024-01-12T00:00:00+08:00")) {
            assert_int_equal(lh, 40);
            assert_string_equal(fld[3], "1");
            assert_close(atof(fld[4]), 85, 1e-9);
            assert_string_equal(fld[12], "113");
            seen++;
        }
        /* 01-12 13:00: 13 h of 165 and 11 h of 85: 128.33, rounded to 128 (GB/T 8170):
         * 150 + 50 * 13 / 35 = 168.57 -> 169 */
        if (!strcmp(fld[1], "2024-01-12T13:00:00+08:00")) {
            assert_close(atof(fld[4]), (13 * 165 + 11 * 85) / 24.0, 1e-3);
            assert_string_equal(fld[12], "169");
            seen++;
        }
    }
    fclose(f);
    assert_int_equal(seen, 2);
    assert_int_equal(rows, 2 * 88);
    snprintf(p, sizeof p, "%s/forecast_city.md", dir);
    f = fopen(p, "r");
    int md_max = 0, md_chart = 0, md_table = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "| C | 2024-01-12 | 2 | 215 |")) md_max = 1; /* running max reaches 215 at 24:00 */
        if (strstr(line, "](forecast_aqi.png)")) md_chart = 1;
        if (!strncmp(line, "## Natural-day AQI", 18)) md_table = md_chart; /* linked above the table */
    }
    fclose(f);
    assert_true(md_max);
    assert_true(md_chart);
    assert_true(md_table);
    snprintf(p, sizeof p, "%s/forecast_aqi.png", dir);
    cairo_surface_t *img = cairo_image_surface_create_from_png(p);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_height(img), 480);
    cairo_surface_destroy(img);
    snprintf(p, sizeof p, "%s/forecast_stations.csv", dir);
    assert_int_equal(access(p, R_OK), 0);
}

static void test_evaluate_cycle(void **st)
{
    (void)st;
    char dir[128], obs[128], p[256], line[512];
    snprintf(dir, sizeof dir, "%s/cyc", tmpdir);
    snprintf(obs, sizeof obs, "%s/obs.csv", tmpdir);
    /* the forecast_city.csv of test_forecast_products, forecast_stations.csv with it */
    char *argv[] = {"evaluate", dir, "--obs", obs};
    BgErr e = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = evaluate_main(4, argv, &e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    print_message("evaluate (1 cycle, 3 stations, figures): %.1f ms\n", 1e3 * (t1.tv_sec - t0.tv_sec) + 1e-6 * (t1.tv_nsec - t0.tv_nsec));
    /* evaluation.csv: the lead-day rows; S1 daily PM2.5 at D+1: model 80 vs obs 75, NMB 6.667 % */
    snprintf(p, sizeof p, "%s/evaluation.csv", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "station,species,averaging,N,obs_mean,model_mean,MB,ME,RMSE,NMB,NME,MFB,MFE,r,IOA,FAC2,lead_day\n");
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[18];
        assert_int_equal(csv_split(line, fld, 18), 17);
        if (!strcmp(fld[0], "S1") && !strcmp(fld[2], "24h") && !strcmp(fld[16], "1")) {
            assert_string_equal(fld[3], "1");
            assert_close(atof(fld[9]), 100.0 * 5 / 75, 1e-6);
            seen++;
        }
        if (!strcmp(fld[0], "S1") && !strcmp(fld[2], "1h") && !strcmp(fld[16], "0")) {
            assert_string_equal(fld[3], "16"); /* the 16 hours of the start's Beijing day */
            seen++;
        }
        if (!strcmp(fld[0], "S1") && !strcmp(fld[2], "24h") && !fld[16][0]) {
            assert_string_equal(fld[3], "3"); /* all lead days: 01-11..01-13 */
            seen++;
        }
    }
    fclose(f);
    assert_int_equal(seen, 3);
    /* categorical, city C: fc 113/215/63 vs obs 75 -> 100, 160 -> 210, 45 -> 63 (S1 only
     * observed); city D: 29 vs 29.  AQI > 100: (113, 100) b, (215, 210) a, (63, 63) d, D: 3 d.
     * Levels: III/II, V/V, II/II, I/I x3: 5 of 6. Primary (obs AQI > 50, C only): 3 of 3.
     * Warnings (MEE2024, > 200 gives yellow): C none/none, yellow/yellow, none/none; D none x3;
     * region R (max of C, D) as C: 9 of 9, table a = 2 (C, R on 01-12), d = 7. */
    snprintf(p, sizeof p, "%s/evaluation_categorical.csv", dir);
    f = fopen(p, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "lead_day,score,N,a,b,c,d,POD,FAR,CSI,ETS,HSS,bias,accuracy\n");
    seen = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[16];
        assert_int_equal(csv_split(line, fld, 16), 14);
        if (fld[0][0]) {
            /* by lead day: D+2 holds the hit */
            if (!strcmp(fld[0], "2") && !strcmp(fld[1], "AQI>100")) {
                assert_string_equal(fld[3], "1");
                seen++;
            }
            if (!strcmp(fld[0], "1") && !strcmp(fld[1], "AQI>100")) {
                assert_string_equal(fld[4], "1");
                seen++;
            }
            continue;
        }
        if (!strcmp(fld[1], "AQI>100")) {
            assert_string_equal(fld[2], "6");
            assert_string_equal(fld[3], "1");
            assert_string_equal(fld[4], "1");
            assert_string_equal(fld[5], "0");
            assert_string_equal(fld[6], "4");
            assert_close(atof(fld[8]), 0.5, 1e-12); /* FAR */
            /* a_r = 2 * 1 / 6: ETS = (2/3) / (5/3) = 0.4; HSS = 2 * 4 / (1 * 4 + 2 * 5) = 4/7 */
            assert_close(atof(fld[10]), 0.4, 1e-9);
            assert_close(atof(fld[11]), 4.0 / 7, 1e-9);
            seen++;
        }
        if (!strcmp(fld[1], "AQI_level")) {
            assert_close(atof(fld[13]), 5.0 / 6, 1e-9);
            seen++;
        }
        if (!strcmp(fld[1], "primary")) {
            assert_string_equal(fld[2], "3");
            assert_close(atof(fld[13]), 1, 0);
            seen++;
        }
        if (!strcmp(fld[1], "warning_level")) {
            assert_string_equal(fld[2], "9");
            assert_close(atof(fld[13]), 1, 0);
            seen++;
        }
        if (!strcmp(fld[1], "warning")) {
            assert_string_equal(fld[3], "2");
            assert_string_equal(fld[6], "7");
            seen++;
        }
    }
    fclose(f);
    assert_int_equal(seen, 7);
    /* figures: per station with observed PM2.5, linked from evaluation.md */
    snprintf(p, sizeof p, "%s/figures/ts_PM25_S1.png", dir);
    png_size(p, 900, 360);
    snprintf(p, sizeof p, "%s/figures/scatter_PM25_S1.png", dir);
    png_size(p, 420, 440);
    snprintf(p, sizeof p, "%s/figures/ts_PM25_S2.png", dir);
    assert_int_equal(access(p, F_OK), -1); /* S2 has no observation */
    snprintf(p, sizeof p, "%s/evaluation.md", dir);
    f = fopen(p, "r");
    int link = 0;
    while (fgets(line, sizeof line, f)) link |= strstr(line, "(figures/scatter_PM25_S3.png)") != NULL;
    fclose(f);
    assert_true(link);
    /* --out DIR: a directory that does not exist yet is created, with the same files in it */
    char out[160], p2[256];
    snprintf(out, sizeof out, "%s/eval_out", tmpdir);
    char *argv2[] = {"evaluate", dir, "--obs", obs, "--out", out};
    BgErr e2 = {0};
    rc = evaluate_main(6, argv2, &e2);
    if (rc) fprintf(stderr, "%s\n", e2.msg);
    assert_int_equal(rc, BG_OK);
    snprintf(p, sizeof p, "%s/evaluation.csv", dir);
    snprintf(p2, sizeof p2, "%s/evaluation.csv", out);
    FILE *fa = fopen(p, "r"), *fb = fopen(p2, "r");
    assert_non_null(fa);
    assert_non_null(fb);
    static char ba[1 << 16], bb[1 << 16];
    size_t na = fread(ba, 1, sizeof ba - 1, fa), nb = fread(bb, 1, sizeof bb - 1, fb);
    fclose(fa);
    fclose(fb);
    assert_true(na > 0);
    assert_int_equal(na, nb);
    assert_memory_equal(ba, bb, na);
    /* a model value that is not a number: refused with its line (atof had read it as 0) */
    char bad[160], cmd[600];
    snprintf(bad, sizeof bad, "%s/cyc_bad", tmpdir);
    snprintf(cmd, sizeof cmd, "cp -r %s %s && sed -i '3s/,[0-9.eE+-]*,\\([^,]*\\)$/,abc,\\1/' %s/stations.csv", dir, bad, bad);
    assert_int_equal(system(cmd), 0);
    char *argv3[] = {"evaluate", bad, "--obs", obs, "--out", out};
    BgErr e3 = {0};
    rc = evaluate_main(6, argv3, &e3);
    print_message("model value 'abc': %s\n", e3.msg);
    assert_int_equal(rc, BG_EINPUT);
    assert_non_null(strstr(e3.msg, "stations.csv:3: value 'abc' is not a number"));
}

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_fceval_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    int rc = system(cmd);
    fig_release_static();
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lead_days),
        cmocka_unit_test(test_running_aqi),
        cmocka_unit_test(test_categorical),
        cmocka_unit_test(test_chart_png),
        cmocka_unit_test(test_forecast_products),
        cmocka_unit_test(test_evaluate_cycle),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
