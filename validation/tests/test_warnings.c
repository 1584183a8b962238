/* Heavy-pollution warnings (postproc/warnings.c, docs/warnings.md): hand-built AQI series for
 * each scheme at every level boundary (durations exactly 24/48/72/96 h and one hour short, AQI
 * exactly 150/200/300/500 with ">" strict), the same series under the three schemes, episode
 * merging across a short gap and lifting after 36 h < 150, the 24-h running mean formed from
 * hourly AQIs (durations counted by hand), region aggregation, the reason string, and
 * warnings.csv (header and rows). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "testutil.h"
#include "timeutil.h"
#include "warnings.h"

#define MAXN 2000
#define MAXEP 16

/* Beijing midnight 2024-01-11 = 2024-01-10T16:00:00Z */
static double t0(void)
{
    double t;
    assert_int_equal(time_parse("2024-01-10T16:00:00Z", &t), 0);
    return t;
}

typedef struct {
    double t[MAXN], a[MAXN];
    int n;
} Series;

/* Appends hours (or days) of a constant value; times are interval ends from t0(). */
static void add(Series *s, double v, int count, double step)
{
    for (int k = 0; k < count; k++) {
        assert_true(s->n < MAXN);
        s->a[s->n] = v;
        s->t[s->n] = t0() + (s->n + 1) * step;
        s->n++;
    }
}

static WarnLevel eval(const Series *s, WarnInput kind, WarnScheme sc, WarnEpisode *ep, int *nep)
{
    BgErr e = {0};
    int rc = warn_evaluate(s->t, s->a, s->n, kind, sc, "Urumqi", t0(), ep, MAXEP, nep, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    WarnLevel l = WARN_NONE;
    for (int k = 0; k < *nep; k++)
        if (ep[k].level > l) l = ep[k].level;
    return l;
}

/* The highest level of a series of daily AQIs. */
static WarnLevel daily(WarnScheme sc, int nd, const double *d)
{
    Series s = {.n = 0};
    for (int i = 0; i < nd; i++) add(&s, d[i], 1, 86400.0);
    WarnEpisode ep[MAXEP];
    int nep;
    return eval(&s, WARN_IN_DAILY, sc, ep, &nep);
}
#define DAILY(sc, ...)                                                                             \
    daily(sc, (int)(sizeof((double[]){__VA_ARGS__}) / sizeof(double)), (double[]){__VA_ARGS__})

/* The highest level of an hourly (24-h running-mean AQI) series built from runs (value, hours). */
static WarnLevel hourly(WarnScheme sc, int nrun, const double *vh)
{
    Series s = {.n = 0};
    add(&s, 100, 48, 3600.0);
    for (int r = 0; r < nrun; r++) add(&s, vh[2 * r], (int)vh[2 * r + 1], 3600.0);
    add(&s, 100, 48, 3600.0);
    WarnEpisode ep[MAXEP];
    int nep;
    return eval(&s, WARN_IN_HOURLY_24H, sc, ep, &nep);
}
#define HOURLY(sc, ...)                                                                            \
    hourly(sc, (int)(sizeof((double[]){__VA_ARGS__}) / sizeof(double)) / 2, (double[]){__VA_ARGS__})

static void test_mee2024_daily(void **st)
{
    (void)st;
    Series s = {.n = 0};
    add(&s, 100, 1, 86400.0);
    add(&s, 210, 1, 86400.0);
    add(&s, 100, 2, 86400.0);
    WarnEpisode ep[MAXEP];
    int nep;
    assert_int_equal(eval(&s, WARN_IN_DAILY, WARN_MEE2024, ep, &nep), WARN_YELLOW);
    assert_int_equal(nep, 1);
    assert_int_equal(ep[0].cut_percent, 10);
    assert_string_equal(ep[0].reason, "AQI > 200 for 24 h from 2024-01-12T00+08:00");
    assert_close(ep[0].start, t0() + 86400.0, 0);
    assert_close(ep[0].end, t0() + 2 * 86400.0, 0);
    assert_int_equal(ep[0].lifted, 1);
    print_message("MEE2024 one day 210: %s, cut %d %%, reason '%s'\n", warn_level_name(ep[0].level),
                  ep[0].cut_percent, ep[0].reason);

    assert_int_equal(DAILY(WARN_MEE2024, 100, 160, 160, 100), WARN_YELLOW);   /* >150 48 h */
    assert_int_equal(DAILY(WARN_MEE2024, 100, 160, 100, 160), WARN_NONE);     /* 24 h twice */
    assert_int_equal(DAILY(WARN_MEE2024, 100, 210, 210, 100), WARN_ORANGE);   /* >200 48 h */
    assert_int_equal(DAILY(WARN_MEE2024, 160, 160, 160, 100), WARN_ORANGE);   /* >150 72 h */
    assert_int_equal(DAILY(WARN_MEE2024, 210, 310, 210, 100), WARN_RED);      /* 72 + 24 */
    assert_int_equal(DAILY(WARN_MEE2024, 210, 210, 210, 100), WARN_ORANGE);   /* no >300 */
    assert_int_equal(DAILY(WARN_MEE2024, 310, 310, 100, 100), WARN_ORANGE);   /* 48 h only */
    /* ">" is strict */
    assert_int_equal(DAILY(WARN_MEE2024, 150, 150, 150, 150), WARN_NONE);
    assert_int_equal(DAILY(WARN_MEE2024, 100, 200, 100), WARN_NONE);
    assert_int_equal(DAILY(WARN_MEE2024, 200, 200, 100), WARN_YELLOW); /* >150 48 h, not >200 */
    assert_int_equal(DAILY(WARN_MEE2024, 210, 300, 210, 100), WARN_ORANGE);
}

static void test_same_series_three_schemes(void **st)
{
    (void)st;
    /* MEE2019 and MEP2017 give a lower level for the same series. */
    assert_int_equal(DAILY(WARN_MEE2019, 210, 310, 210, 100), WARN_ORANGE);
    assert_int_equal(DAILY(WARN_MEP2017, 210, 310, 210, 100), WARN_ORANGE);
    assert_int_equal(DAILY(WARN_MEE2019, 100, 210, 210, 100), WARN_YELLOW);
    assert_int_equal(DAILY(WARN_MEP2017, 100, 210, 210, 100), WARN_YELLOW);
    assert_int_equal(DAILY(WARN_MEE2019, 100, 210, 100), WARN_NONE);
    assert_int_equal(DAILY(WARN_MEP2017, 100, 210, 100), WARN_BLUE);
    assert_int_equal(DAILY(WARN_MEE2019, 160, 160, 160, 100), WARN_NONE);
    assert_int_equal(DAILY(WARN_MEP2017, 160, 160, 160, 100), WARN_NONE);
    /* MEP2017 orange needs one value > 300; MEE2019 (2019 text) does not */
    assert_int_equal(DAILY(WARN_MEP2017, 210, 210, 210, 100), WARN_YELLOW);
    assert_int_equal(DAILY(WARN_MEE2019, 210, 210, 210, 100), WARN_ORANGE);
    assert_int_equal(DAILY(WARN_MEP2017, 210, 300, 210, 100), WARN_YELLOW);
    /* red: 96 h > 200 and 48 h > 300; or AQI reaches 500 */
    assert_int_equal(DAILY(WARN_MEE2019, 210, 310, 310, 210, 100), WARN_RED);
    assert_int_equal(DAILY(WARN_MEP2017, 210, 310, 310, 210, 100), WARN_RED);
    assert_int_equal(DAILY(WARN_MEE2019, 210, 310, 210, 310, 100), WARN_ORANGE);
    assert_int_equal(DAILY(WARN_MEE2019, 100, 500, 100), WARN_RED);
    assert_int_equal(DAILY(WARN_MEP2017, 100, 500, 100), WARN_RED);
    assert_int_equal(DAILY(WARN_MEE2019, 100, 499, 100), WARN_NONE);
    assert_int_equal(DAILY(WARN_MEE2024, 100, 500, 100), WARN_YELLOW); /* no 500 rule in 2024 */
    print_message("210,310,210: MEE2024 red, MEE2019 orange, MEP2017 orange; 210 alone: "
                  "MEE2024 yellow, MEE2019 none, MEP2017 blue\n");
}

static void test_hourly_boundaries(void **st)
{
    (void)st;
    /* MEE2024 */
    assert_int_equal(HOURLY(WARN_MEE2024, 160, 47), WARN_NONE);
    assert_int_equal(HOURLY(WARN_MEE2024, 160, 48), WARN_YELLOW);
    assert_int_equal(HOURLY(WARN_MEE2024, 160, 71), WARN_YELLOW);
    assert_int_equal(HOURLY(WARN_MEE2024, 160, 72), WARN_ORANGE);
    assert_int_equal(HOURLY(WARN_MEE2024, 201, 1), WARN_YELLOW);
    assert_int_equal(HOURLY(WARN_MEE2024, 210, 47), WARN_YELLOW);
    assert_int_equal(HOURLY(WARN_MEE2024, 210, 48), WARN_ORANGE);
    assert_int_equal(HOURLY(WARN_MEE2024, 200, 100), WARN_ORANGE); /* by > 150 for 100 h */
    assert_int_equal(HOURLY(WARN_MEE2024, 200, 60), WARN_YELLOW);  /* not > 200 */
    assert_int_equal(HOURLY(WARN_MEE2024, 150, 200), WARN_NONE);
    assert_int_equal(HOURLY(WARN_MEE2024, 210, 24, 310, 24, 210, 24), WARN_RED);
    assert_int_equal(HOURLY(WARN_MEE2024, 210, 24, 310, 23, 210, 24), WARN_ORANGE);
    assert_int_equal(HOURLY(WARN_MEE2024, 210, 24, 310, 24, 210, 23), WARN_ORANGE);
    assert_int_equal(HOURLY(WARN_MEE2024, 210, 24, 300, 24, 210, 24), WARN_ORANGE);
    /* MEE2019 */
    assert_int_equal(HOURLY(WARN_MEE2019, 210, 47), WARN_NONE);
    assert_int_equal(HOURLY(WARN_MEE2019, 210, 48), WARN_YELLOW);
    assert_int_equal(HOURLY(WARN_MEE2019, 210, 71), WARN_YELLOW);
    assert_int_equal(HOURLY(WARN_MEE2019, 210, 72), WARN_ORANGE);
    assert_int_equal(HOURLY(WARN_MEE2019, 210, 24, 310, 48, 210, 24), WARN_RED);
    assert_int_equal(HOURLY(WARN_MEE2019, 210, 24, 310, 48, 210, 23), WARN_ORANGE);
    assert_int_equal(HOURLY(WARN_MEE2019, 210, 24, 310, 47, 210, 25), WARN_ORANGE);
    assert_int_equal(HOURLY(WARN_MEE2019, 200, 96), WARN_NONE);
    /* MEP2017 */
    assert_int_equal(HOURLY(WARN_MEP2017, 210, 1), WARN_BLUE);
    assert_int_equal(HOURLY(WARN_MEP2017, 210, 48), WARN_YELLOW);
    assert_int_equal(HOURLY(WARN_MEP2017, 210, 71, 301, 1), WARN_ORANGE);
    assert_int_equal(HOURLY(WARN_MEP2017, 210, 70, 301, 1), WARN_YELLOW);
    assert_int_equal(HOURLY(WARN_MEP2017, 210, 48, 310, 48), WARN_RED);
    assert_int_equal(HOURLY(WARN_MEP2017, 210, 47, 310, 48), WARN_ORANGE);
    print_message("hourly boundaries: 47/48, 71/72, 95/96 h and AQI 150/200/300/500 all on the "
                  "expected side\n");
}

static void test_reason_string(void **st)
{
    (void)st;
    Series s = {.n = 0};
    add(&s, 220, 60, 3600.0);
    add(&s, 100, 36, 3600.0);
    WarnEpisode ep[MAXEP];
    int nep;
    assert_int_equal(eval(&s, WARN_IN_HOURLY_24H, WARN_MEE2024, ep, &nep), WARN_ORANGE);
    assert_string_equal(ep[0].reason, "AQI > 200 for 60 h from 2024-01-11T00+08:00");
    assert_int_equal(ep[0].cut_percent, 20);
    s.n = 0;
    add(&s, 210, 24, 3600.0);
    add(&s, 310, 24, 3600.0);
    add(&s, 210, 24, 3600.0);
    assert_int_equal(eval(&s, WARN_IN_HOURLY_24H, WARN_MEE2024, ep, &nep), WARN_RED);
    assert_string_equal(ep[0].reason,
                        "AQI > 200 for 72 h from 2024-01-11T00+08:00 and AQI > 300 for 24 h from "
                        "2024-01-12T00+08:00; lifting (AQI < 150 for >= 36 h) not reached in the "
                        "forecast");
    assert_int_equal(ep[0].lifted, 0);
    assert_int_equal(ep[0].cut_percent, 30);
    print_message("reason: '%s'\n", ep[0].reason);
}

/* 24 h at 210 (yellow), a gap of gap_h hours at gap_v, 48 h at 210 (orange). */
static int two_episodes(WarnScheme sc, double gap_v, int gap_h, WarnEpisode *ep)
{
    Series s = {.n = 0};
    add(&s, 100, 48, 3600.0);
    add(&s, 210, 24, 3600.0);
    add(&s, gap_v, gap_h, 3600.0);
    add(&s, 210, 48, 3600.0);
    add(&s, 100, 48, 3600.0);
    int nep;
    eval(&s, WARN_IN_HOURLY_24H, sc, ep, &nep);
    return nep;
}

static void test_merging_and_lifting(void **st)
{
    (void)st;
    WarnEpisode ep[MAXEP];
    /* gap of 35 h < 150: not lifted, one episode, the stricter level (orange) */
    assert_int_equal(two_episodes(WARN_MEE2024, 100, 35, ep), 1);
    assert_int_equal(ep[0].level, WARN_ORANGE);
    assert_int_equal(ep[0].nmerged, 2);
    assert_close(ep[0].start, t0() + 48 * 3600.0, 0);
    assert_close(ep[0].end, t0() + (48 + 24 + 35 + 48) * 3600.0, 0);
    assert_int_equal(ep[0].lifted, 1);
    print_message("merged: %s %s\n", warn_level_name(ep[0].level), ep[0].reason);
    /* gap of 36 h < 150: lifted, two episodes */
    assert_int_equal(two_episodes(WARN_MEE2024, 100, 36, ep), 2);
    assert_int_equal(ep[0].level, WARN_YELLOW);
    assert_int_equal(ep[1].level, WARN_ORANGE);
    assert_int_equal(ep[0].lifted, 1);
    assert_close(ep[1].start, t0() + (48 + 24 + 36) * 3600.0, 0);
    /* exactly 150 does not count toward lifting ("<" strict) */
    assert_int_equal(two_episodes(WARN_MEE2024, 150, 40, ep), 1);
    /* MEP2017: a gap at 160 (no trigger, no lifting) merges; blue + yellow -> yellow */
    assert_int_equal(two_episodes(WARN_MEP2017, 160, 40, ep), 1);
    assert_int_equal(ep[0].level, WARN_YELLOW);
    assert_int_equal(two_episodes(WARN_MEP2017, 149, 36, ep), 2);
    assert_int_equal(ep[0].level, WARN_BLUE);
    /* a missing value breaks the lifting run */
    Series s = {.n = 0};
    add(&s, 210, 48, 3600.0);
    add(&s, 100, 20, 3600.0);
    add(&s, NAN, 1, 3600.0);
    add(&s, 100, 20, 3600.0);
    add(&s, 210, 24, 3600.0);
    add(&s, 100, 36, 3600.0);
    int nep;
    eval(&s, WARN_IN_HOURLY_24H, WARN_MEE2024, ep, &nep);
    assert_int_equal(nep, 1);
    assert_int_equal(ep[0].lifted, 1);
    /* lifting after the last episode: 35 h is not enough */
    s.n = 0;
    add(&s, 210, 48, 3600.0);
    add(&s, 100, 35, 3600.0);
    eval(&s, WARN_IN_HOURLY_24H, WARN_MEE2024, ep, &nep);
    assert_int_equal(ep[0].lifted, 0);
    add(&s, 100, 1, 3600.0);
    eval(&s, WARN_IN_HOURLY_24H, WARN_MEE2024, ep, &nep);
    assert_int_equal(ep[0].lifted, 1);
    /* daily: one clean day (24 h) does not lift, two (48 h) do */
    assert_int_equal(DAILY(WARN_MEE2024, 210, 100, 210, 210), WARN_ORANGE);
    assert_int_equal(DAILY(WARN_MEP2017, 210, 100, 100, 210), WARN_BLUE);
}

static void test_running_mean(void **st)
{
    (void)st;
    /* 24 h at 100, 48 h at 300, 48 h at 100.  The trailing mean at index i holds k hours of 300:
     * mean = 100 + 200 k / 24 > 200 iff k >= 13 (indices 36..82, 47 h), > 150 iff k >= 7
     * (indices 30..88, 59 h), never > 300: MEE2024 yellow (neither 48 h > 200 nor 72 h > 150). */
    Series s = {.n = 0};
    add(&s, 100, 24, 3600.0);
    add(&s, 300, 48, 3600.0);
    add(&s, 100, 48, 3600.0);
    WarnEpisode ep[MAXEP];
    int nep;
    assert_int_equal(eval(&s, WARN_IN_HOURLY, WARN_MEE2024, ep, &nep), WARN_YELLOW);
    assert_int_equal(nep, 1);
    assert_close(ep[0].start, s.t[30] - 3600.0, 0);
    assert_close(ep[0].end, s.t[88], 0);
    assert_close(ep[0].max_aqi, 300.0, 1e-12);
    assert_non_null(strstr(ep[0].reason, "AQI > 200 for 47 h"));
    print_message("48 h of hourly AQI 300: the 24-h mean exceeds 200 for 47 h, 150 for 59 h -> %s\n",
                  warn_level_name(ep[0].level));
    /* fewer than 20 hourly values: missing.  From the series start at 300 the first mean is
     * the one ending at index 19. */
    s.n = 0;
    add(&s, 300, 30, 3600.0);
    add(&s, 100, 60, 3600.0);
    eval(&s, WARN_IN_HOURLY, WARN_MEE2024, ep, &nep);
    assert_int_equal(nep, 1);
    assert_close(ep[0].start, s.t[19] - 3600.0, 0);
}

static void test_region(void **st)
{
    (void)st;
    const double v[3 * 4] = {100, 210, NAN, 50, /* city 1 */
                             200, 90, NAN, NAN,   /* city 2 */
                             30, 30, NAN, 70};    /* city 3 */
    double mx[4], mn[4];
    warn_region_series(v, 3, 4, WARN_REGION_MAX, mx);
    warn_region_series(v, 3, 4, WARN_REGION_MEAN, mn);
    assert_close(mx[0], 200, 0);
    assert_close(mx[1], 210, 0);
    assert_true(isnan(mx[2]));
    assert_close(mx[3], 70, 0);
    assert_close(mn[0], 110, 1e-12);
    assert_close(mn[1], 110, 1e-12);
    assert_true(isnan(mn[2]));
    assert_close(mn[3], 60, 1e-12);
}

static void test_errors_and_names(void **st)
{
    (void)st;
    BgErr e = {0};
    WarnScheme sc = WARN_MEP2017;
    assert_int_equal(warn_scheme_parse(NULL, &sc, &e), BG_OK);
    assert_int_equal(sc, WARN_MEE2024);
    assert_int_equal(warn_scheme_parse("mee2019", &sc, &e), BG_OK);
    assert_int_equal(sc, WARN_MEE2019);
    assert_int_equal(warn_scheme_parse("MEE2030", &sc, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, "MEE2030"));
    assert_string_equal(warn_scheme_name(WARN_MEP2017), "MEP2017");
    assert_int_equal(warn_required_cut_percent(WARN_BLUE), 0);
    assert_int_equal(warn_required_cut_percent(WARN_NONE), 0);
    Series s = {.n = 0};
    add(&s, 210, 5, 3600.0);
    s.t[3] += 60;
    WarnEpisode ep[MAXEP];
    int nep;
    BgErr e2 = {0};
    assert_int_equal(warn_evaluate(s.t, s.a, s.n, WARN_IN_HOURLY_24H, WARN_MEE2024, "Kuitun", 0,
                                   ep, MAXEP, &nep, &e2),
                     BG_EINPUT);
    print_message("irregular times: %s\n", e2.msg);
    s.t[3] -= 60;
    s.a[2] = -1;
    BgErr e3 = {0};
    assert_int_equal(warn_evaluate(s.t, s.a, s.n, WARN_IN_HOURLY_24H, WARN_MEE2024, "Kuitun", 0,
                                   ep, MAXEP, &nep, &e3),
                     BG_EINPUT);
    /* too many episodes for the caller's array */
    s.n = 0;
    for (int k = 0; k < 3; k++) {
        add(&s, 210, 24, 3600.0);
        add(&s, 100, 36, 3600.0);
    }
    BgErr e4 = {0};
    assert_int_equal(warn_evaluate(s.t, s.a, s.n, WARN_IN_HOURLY_24H, WARN_MEE2024, "Kuitun", 0,
                                   ep, 2, &nep, &e4),
                     BG_EINPUT);
    print_message("too many episodes: %s\n", e4.msg);
    BgErr e5 = {0};
    assert_int_equal(warn_evaluate(s.t, s.a, s.n, WARN_IN_HOURLY_24H, WARN_MEE2024, "Kuitun", 0,
                                   ep, 3, &nep, &e5),
                     BG_OK);
    assert_int_equal(nep, 3);
}

static void test_csv(void **st)
{
    (void)st;
    Series s = {.n = 0};
    add(&s, 220, 60, 3600.0);
    add(&s, 100, 36, 3600.0);
    WarnEpisode ep[MAXEP + 1];
    int nep;
    BgErr e = {0};
    assert_int_equal(warn_evaluate(s.t, s.a, s.n, WARN_IN_HOURLY_24H, WARN_MEE2024,
                                   "Urumqi-Changji-Shihezi-Wujiaqu", t0() - 4 * 3600.0, ep, MAXEP,
                                   &nep, &e),
                     BG_OK);
    assert_int_equal(nep, 1);
    WarnEpisode none = {0};
    snprintf(none.region, sizeof none.region, "Kuitun, Dushanzi");
    none.issued = t0() - 4 * 3600.0;
    none.start = none.end = NAN;
    none.scheme = WARN_MEE2024;
    ep[1] = none;
    const char *path = "build/tests/test_warnings.csv";
    assert_int_equal(warn_write_csv(path, ep, 2, &e), BG_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[3][512];
    for (int k = 0; k < 3; k++) assert_non_null(fgets(line[k], sizeof line[k], f));
    assert_null(fgets(line[0], sizeof line[0], f) ? "extra line" : NULL);
    fclose(f);
    assert_string_equal(line[0], "region,issued,level,start,end,scheme,reason,required_cut_percent\n");
    assert_string_equal(line[1], "Urumqi-Changji-Shihezi-Wujiaqu,2024-01-10T20:00:00+08:00,orange,"
                                 "2024-01-11T00:00:00+08:00,2024-01-13T12:00:00+08:00,MEE2024,"
                                 "AQI > 200 for 60 h from 2024-01-11T00+08:00,20\n");
    assert_string_equal(line[2], "\"Kuitun, Dushanzi\",2024-01-10T20:00:00+08:00,none,,,MEE2024,,0\n");
    print_message("%s%s%s", line[0], line[1], line[2]);
    FILE *g = fopen("build/tests/test_warnings.csv.tmp", "r");
    assert_null(g);
    remove(path);
    assert_int_equal(warn_write_csv("/nonexistent-dir/warnings.csv", ep, 1, &e), BG_EFAIL);
}

static void test_speed(void **st)
{
    (void)st;
    /* 10-day hourly forecast with the module's own running mean */
    static Series s;
    s.n = 0;
    for (int i = 0; i < 240; i++) add(&s, 150 + 120 * sin(i / 20.0), 1, 3600.0);
    WarnEpisode ep[MAXEP];
    int nep = 0, reps = 2000;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int r = 0; r < reps; r++) {
        BgErr e = {0};
        assert_int_equal(warn_evaluate(s.t, s.a, s.n, WARN_IN_HOURLY, WARN_MEE2024, "x", 0, ep,
                                       MAXEP, &nep, &e),
                         BG_OK);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double us = ((b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) * 1e-3) / reps;
    print_message("speed: %.1f us per 240-h hourly series (running mean + 3 schemes' worth of "
                  "rules), %d episodes\n", us, nep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mee2024_daily),
        cmocka_unit_test(test_same_series_three_schemes),
        cmocka_unit_test(test_hourly_boundaries),
        cmocka_unit_test(test_reason_string),
        cmocka_unit_test(test_merging_and_lifting),
        cmocka_unit_test(test_running_mean),
        cmocka_unit_test(test_region),
        cmocka_unit_test(test_errors_and_names),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
