/* Observation reader and GB 3095 validity rules (postproc/obs.c, docs/evaluation.md): time-zone
 * conversion to UTC hour ends, unit conversion (ppb with M / 24.465, mg m-3, CO in mg m-3),
 * sorting and series extraction, every malformed-row refusal naming file:line, daily means
 * (19 valid hours -> none, 20 -> a value) on Beijing-time days, 8-h means (>= 6 hours) and MDA8. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "obs.h"
#include "timeutil.h"

#define TOL 1e-12
#define HEADER "station,lon,lat,time,species,value,unit\n"

static char g_path[64];

static void write_file(const char *text)
{
    strcpy(g_path, "/tmp/bg_obsXXXXXX");
    int fd = mkstemp(g_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static double T(const char *s)
{
    double t;
    assert_int_equal(time_parse(s, &t), 0);
    return t;
}

static void test_read_convert(void **state)
{
    (void)state;
    write_file("\xEF\xBB\xBF" HEADER
               "1001A,87.6,43.8,2024-01-10T08:00:00+08:00,PM2.5,75,ug/m3\n"
               "1001A, 87.6 , 43.8 ,2024-01-10T09:00:00+08:00,NO2,10,ppb\r\n"
               "\n"
               "1001A,87.6,43.8,2024-01-10T00:00:00Z,CO,1000,ppb\n"
               "1001A,87.6,43.8,2024-01-10T01:00:00Z,CO,1.5,mg m-3\n"
               "1001A,87.6,43.8,2024-01-10T01:00:00Z,o3,0.05,ppm\n"
               "0999A,86.0,44.3,2024-01-10T24:00:00+08:00,PM10,0.2,mg/m3\n"
               "0999A,86.0,44.3,2024-01-10T10:00:00-06:00,SO2,20,\xC2\xB5g/m\xC2\xB3\n");
    ObsSet o;
    BgErr e = {0};
    assert_int_equal(obs_read(g_path, &o, &e), BG_OK);
    assert_int_equal(o.n, 7);
    /* sorted by station, species, time */
    assert_string_equal(o.rec[0].station, "0999A");
    assert_string_equal(o.rec[0].species, "PM10");
    assert_close(o.rec[0].t, T("2024-01-10T16:00:00Z"), 0.0); /* 24:00 Beijing = 16:00Z */
    assert_close(o.rec[0].value, 200.0, TOL);                 /* 0.2 mg m-3 */
    assert_string_equal(o.rec[1].species, "SO2");
    assert_close(o.rec[1].t, T("2024-01-10T16:00:00Z"), 0.0); /* 10:00 at -06:00 */
    assert_close(o.rec[1].value, 20.0, TOL);
    /* 1001A: CO (2), NO2, O3, PM25 */
    size_t n;
    const ObsRecord *r = obs_find(&o, "1001A", "CO", &n);
    assert_int_equal(n, 2);
    assert_close(r[0].t, T("2024-01-10T00:00:00Z"), 0.0);
    assert_close(r[0].value, 28.010 / 24.465, TOL); /* 1 ppm CO -> mg m-3 */
    assert_close(r[1].value, 1.5, TOL);
    r = obs_find(&o, "1001A", "NO2", &n);
    assert_int_equal(n, 1);
    assert_close(r[0].value, 10.0 * 46.006 / 24.465, TOL);
    assert_int_equal(r[0].line, 3);
    r = obs_find(&o, "1001A", "O3", &n);
    assert_close(r[0].value, 50.0 * 47.997 / 24.465, TOL);
    /* the brief's example: 2024-01-10T08:00:00+08:00 is 00:00Z */
    r = obs_find(&o, "1001A", "PM25", &n);
    assert_int_equal(n, 1);
    assert_close(r[0].t, T("2024-01-10T00:00:00Z"), 0.0);
    assert_close(r[0].value, 75.0, 0.0);
    assert_null(obs_find(&o, "1001A", "PM10", &n));
    assert_int_equal(n, 0);
    /* hourly series: 3 hour ends from 23:00Z */
    double v[3];
    assert_int_equal(obs_series(&o, "1001A", "CO", T("2024-01-09T23:00:00Z"), 3, v), 2);
    assert_true(isnan(v[0]));
    assert_close(v[2], 1.5, TOL);
    print_message("NO2 10 ppb = %.6f ug m-3; CO 1 ppm = %.6f mg m-3 (reference state)\n",
                  10.0 * 46.006 / 24.465, 28.010 / 24.465);
    obs_free(&o);
    unlink(g_path);
}

static void expect_refused(const char *text, const char *line_item, const char *what)
{
    write_file(text);
    ObsSet o;
    BgErr e = {0};
    assert_int_equal(obs_read(g_path, &o, &e), BG_EINPUT);
    assert_int_equal(e.code, BG_EINPUT);
    assert_null(o.rec);
    char want[128];
    snprintf(want, sizeof want, "%s:%s: ", g_path, line_item);
    if (strncmp(e.msg, want, strlen(want)) != 0 || !strstr(e.msg, what)) {
        fprintf(stderr, "message '%s' lacks '%s' or '%s'\n", e.msg, want, what);
        fail();
    }
    unlink(g_path);
}

static void test_refusals(void **state)
{
    (void)state;
    const char *ok = "S,87.6,43.8,2024-01-10T08:00:00+08:00,PM25,75,ug m-3\n";
    char buf[512];
#define BAD(row, what)                                                                             \
    do {                                                                                           \
        snprintf(buf, sizeof buf, HEADER "%s%s\n", ok, row);                                       \
        expect_refused(buf, "3", what);                                                            \
    } while (0)
    BAD("S,87.6,43.8,2024-13-10T08:00:00+08:00,PM25,75,ug m-3", "bad time");
    BAD("S,87.6,43.8,2024-01-10T09:00:00,PM25,75,ug m-3", "no UTC offset");
    BAD("S,87.6,43.8,2024-01-10T09:30:00+08:00,PM25,75,ug m-3", "not on an hour end");
    BAD("S,87.6,43.8,2024-01-10T09:00:00+08:00,PM1,75,ug m-3", "unknown species 'PM1'");
    BAD("S,87.6,43.8,2024-01-10T09:00:00+08:00,PM25,75,kg", "unknown unit 'kg'");
    BAD("S,87.6,43.8,2024-01-10T09:00:00+08:00,PM25,75,ppb", "does not fit");
    BAD("S,87.6,43.8,2024-01-10T09:00:00+08:00,PM25,nan,ug m-3", "not finite");
    BAD("S,87.6,43.8,2024-01-10T09:00:00+08:00,PM25,-1,ug m-3", "negative");
    BAD("S,87.6,43.8,2024-01-10T09:00:00+08:00,PM25,,ug m-3", "not a number");
    BAD("S,87.6,43.8,2024-01-10T09:00:00+08:00,PM25,7x,ug m-3", "not a number");
    BAD("S,87.6,43.8,2024-01-10T09:00:00+08:00,PM25,75", "6 columns");
    BAD(",87.6,43.8,2024-01-10T09:00:00+08:00,PM25,75,ug m-3", "empty station");
    BAD("S,87.6,95,2024-01-10T09:00:00+08:00,PM25,75,ug m-3", "bad lat");
    BAD("S,east,43.8,2024-01-10T09:00:00+08:00,PM25,75,ug m-3", "bad lon");
    BAD("S,87.6,43.8,2024-01-10T00:00:00Z,PM2.5,76,ug m-3", "repeats line 2");
    BAD("S,87.7,43.8,2024-01-10T09:00:00+08:00,PM25,75,ug m-3", "on line 2");
#undef BAD
    expect_refused("station,lon,lat,time,value,unit\n", "1", "header");
    write_file("");
    ObsSet o;
    BgErr e = {0};
    assert_int_equal(obs_read(g_path, &o, &e), BG_EINPUT);
    assert_non_null(strstr(e.msg, "empty file"));
    unlink(g_path);
    BgErr e2 = {0};
    assert_int_equal(obs_read("/nonexistent/obs.csv", &o, &e2), BG_EINPUT);
    assert_non_null(strstr(e2.msg, "/nonexistent/obs.csv: cannot open"));
    print_message("refusals: %s\n", e.msg);
}

/* Hour ends from 2024-01-09T17:00Z = 01:00 Beijing on 2024-01-10: day 0 = hours 0..23. */
static void test_daily_validity(void **state)
{
    (void)state;
    double t0 = T("2024-01-09T17:00:00Z"), day0;
    assert_int_equal(obs_ndays(t0, 48, OBS_BEIJING_OFFSET_S, &day0), 2);
    assert_close(day0, T("2024-01-10T00:00:00+08:00"), 0.0);
    /* one hour earlier: the first hour end is 24:00 of the previous Beijing day */
    assert_int_equal(obs_ndays(t0 - 3600, 25, OBS_BEIJING_OFFSET_S, &day0), 2);
    assert_close(day0, T("2024-01-09T00:00:00+08:00"), 0.0);

    double v[24], mean[1];
    int nv[1];
    for (int h = 0; h < 24; h++) v[h] = h < 19 ? (double)(h + 1) : NAN;
    /* 19 valid hours: no daily value */
    assert_int_equal(obs_daily_mean(v, 24, t0, OBS_BEIJING_OFFSET_S, mean, nv), 1);
    assert_int_equal(nv[0], 19);
    assert_true(isnan(mean[0]));
    /* 20 valid hours 1..20: mean 10.5 */
    v[19] = 20.0;
    obs_daily_mean(v, 24, t0, OBS_BEIJING_OFFSET_S, mean, nv);
    assert_int_equal(nv[0], 20);
    assert_close(mean[0], 10.5, TOL);
    /* UTC days instead (offset 0): the same 24 hours span two days, neither valid */
    double m2[2];
    assert_int_equal(obs_daily_mean(v, 24, t0, 0.0, m2, NULL), 2);
    assert_true(isnan(m2[0]) && isnan(m2[1]));
}

static void test_running8_mda8(void **state)
{
    (void)state;
    double t0 = T("2024-01-09T17:00:00Z");
    double v[24], m8[24], work[24], mda8[1];
    for (int h = 0; h < 24; h++) v[h] = (double)h; /* 0..23 */
    obs_running8(v, 24, m8);
    /* h = 4: 5 hours known -> invalid; h = 5: 6 hours 0..5 -> 2.5; h = 10: 3..10 -> 6.5 */
    assert_true(isnan(m8[4]));
    assert_close(m8[5], 2.5, TOL);
    assert_close(m8[10], 6.5, TOL);
    /* MDA8: best window ends at 24:00 local (hours 16..23) -> 19.5 */
    assert_int_equal(obs_mda8(v, 24, t0, OBS_BEIJING_OFFSET_S, OBS_MDA8_MIN_WINDOWS_HJ663, work, mda8), 1);
    assert_close(mda8[0], 19.5, TOL);
    /* hours 21..23 missing: window h = 23 (16..20 known, 5) is invalid; h = 22 (15..20, 6
     * known) = 17.5 beats h = 21 (14..20) = 17 and h = 20 (13..20) = 16.5 */
    v[21] = v[22] = v[23] = NAN;
    obs_mda8(v, 24, t0, OBS_BEIJING_OFFSET_S, 1, work, mda8);
    assert_close(mda8[0], 17.5, TOL);
    /* HJ 663 needs 14 of the 17 windows (h = 7..23): only h = 23 (5 known) is invalid -> 16 */
    obs_mda8(v, 24, t0, OBS_BEIJING_OFFSET_S, OBS_MDA8_MIN_WINDOWS_HJ663, work, mda8);
    assert_close(mda8[0], 17.5, TOL);
    /* a day with only 12 hours: windows ending h = 7..11 valid at most -> fewer than 14 */
    for (int h = 12; h < 24; h++) v[h] = NAN;
    obs_mda8(v, 24, t0, OBS_BEIJING_OFFSET_S, OBS_MDA8_MIN_WINDOWS_HJ663, work, mda8);
    assert_true(isnan(mda8[0]));
    obs_mda8(v, 24, t0, OBS_BEIJING_OFFSET_S, 1, work, mda8);
    /* valid windows h = 7..13 (h = 13: 6..11, 6 known -> 8.5, the largest) */
    assert_close(mda8[0], 8.5, TOL);
}

static void test_units_api(void **state)
{
    (void)state;
    double x;
    assert_int_equal(obs_convert_unit("SO2", "ppb", 1.0, &x), 0);
    assert_close(x, 64.066 / 24.465, TOL);
    assert_int_equal(obs_convert_unit("CO", "ug m-3", 1500.0, &x), 0);
    assert_close(x, 1.5, TOL);
    assert_int_equal(obs_convert_unit("PSO4", "ppb", 1.0, &x), -1);
    assert_int_equal(obs_convert_unit("XX", "ppb", 1.0, &x), -1);
    assert_string_equal(obs_species_canonical("pm2.5"), "PM25");
    assert_string_equal(obs_species_unit("CO"), "mg m-3");
    assert_string_equal(obs_species_unit("O3"), "ug m-3");
}

/* Speed: reading 100 000 rows (50 stations x 2 species x 1000 hours). */
static void test_speed(void **state)
{
    (void)state;
    strcpy(g_path, "/tmp/bg_obsXXXXXX");
    int fd = mkstemp(g_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(HEADER, f);
    double t0 = T("2024-01-01T01:00:00+08:00");
    for (int h = 0; h < 1000; h++) {
        char ts[32];
        time_strftime(t0 + h * 3600.0 + 8 * 3600.0, "%Y-%m-%dT%H:%M:%S+08:00", ts, sizeof ts);
        for (int s = 0; s < 50; s++) {
            fprintf(f, "ST%02d,87.%02d,43.8,%s,PM2.5,%d,ug/m3\n", s, s, ts, (h * 7 + s) % 300);
            fprintf(f, "ST%02d,87.%02d,43.8,%s,NO2,%d.5,ppb\n", s, s, ts, (h * 3 + s) % 90);
        }
    }
    fclose(f);
    struct timespec a, b;
    ObsSet o;
    BgErr e = {0};
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(obs_read(g_path, &o, &e), BG_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_int_equal(o.n, 100000);
    double v[1000];
    assert_int_equal(obs_series(&o, "ST07", "PM25", t0, 1000, v), 1000);
    assert_close(v[999], (999 * 7 + 7) % 300, 0.0);
    double dt = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
    print_message("obs_read: %.2f us per row (100000 rows, %.3f s)\n", dt / 1e5 * 1e6, dt);
    obs_free(&o);
    unlink(g_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_convert),  cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_daily_validity), cmocka_unit_test(test_running8_mda8),
        cmocka_unit_test(test_units_api),     cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
