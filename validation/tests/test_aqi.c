/* HJ 633-2012 / HJ 633-2026 AQI (postproc/aqi.c, docs/aqi.md): the test vectors of the standards
 * README section 2.6 for both rule sets, the CO 2.2 -> 55 pitfall of ceil() on doubles, an
 * exhaustive comparison over every integer concentration (0.1 mg m-3 for CO) with an independent
 * rational computation from validation/standards/iaqi_breakpoints.csv, the compiled tables against
 * the CSV files, GB/T 8170 rounding, ties, the primary pollutant, levels, the date switch, and
 * the `bogda aqi` command line. */
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
#include "aqi.h"
#include "timeutil.h"

#define STD_DIR "validation/standards"

/* ------------------------------------------------------------ the CSV tables ---- */

typedef struct {
    AqiRule rule;
    AqiPollutant p;
    AqiAvg avg;
    double bp[8]; /* as in the file (CO in mg m-3); NAN = empty */
} CsvRow;

static int read_breakpoints(CsvRow *rows, int max)
{
    FILE *f = fopen(STD_DIR "/iaqi_breakpoints.csv", "r");
    if (!f) return -1;
    char line[512];
    int n = 0, header = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (!header) { header = 1; continue; }
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || n == max) continue;
        char *fld[11];
        int nf = 0;
        for (char *p = line;; p++) {
            fld[nf++] = p;
            p = strchr(p, ',');
            if (!p || nf == 11) break;
            *p = '\0';
        }
        assert_int_equal(nf, 11);
        CsvRow *r = &rows[n++];
        assert_int_equal(aqi_rule_parse(fld[0], &r->rule), 0);
        assert_int_equal(aqi_pollutant_parse(fld[1], &r->p), 0);
        r->avg = !strcmp(fld[2], "1h") ? AQI_1H : !strcmp(fld[2], "8h") ? AQI_8H : AQI_24H;
        assert_true(!strcmp(fld[2], "1h") || !strcmp(fld[2], "8h") || !strcmp(fld[2], "24h"));
        for (int k = 0; k < 8; k++) r->bp[k] = fld[3 + k][0] ? atof(fld[3 + k]) : NAN;
    }
    fclose(f);
    return n;
}

/* Independent reference: the IAQI as the smallest integer >= the exact rational value of
 * formula 1, with the segment found from the top (BP_Lo < C <= BP_Hi, the other choice at
 * breakpoints), in units of 0.1 (CO) or 1 from the CSV row.  Returns -1 beyond the table. */
static long ref_iaqi(const CsvRow *r, long c, int scale, long *num_out, long *den_out)
{
    static const long lv[8] = {0, 50, 100, 150, 200, 300, 400, 500};
    long bp[8];
    int top = -1;
    for (int k = 0; k < 8; k++) {
        bp[k] = isnan(r->bp[k]) ? -1 : lround(r->bp[k] * scale);
        if (bp[k] >= 0) top = k;
    }
    if (c == 0) {
        *num_out = 0, *den_out = 1;
        return 0;
    }
    for (int k = top - 1; k >= 0; k--)
        if (bp[k] < c && c <= bp[k + 1]) {
            long den = bp[k + 1] - bp[k];
            long num = lv[k] * den + (lv[k + 1] - lv[k]) * (c - bp[k]); /* value = num / den */
            *num_out = num, *den_out = den;
            long q = num / den;
            return q * den < num ? q + 1 : q;
        }
    return -1;
}

static void test_tables_match_csv(void **state)
{
    (void)state;
    CsvRow rows[64];
    int n = read_breakpoints(rows, 64);
    assert_int_equal(n, 20);
    for (int k = 0; k < n; k++) {
        const int *bp = aqi_breakpoints(rows[k].rule, rows[k].p, rows[k].avg);
        assert_non_null(bp);
        int scale = rows[k].p == AQI_CO ? 10 : 1;
        for (int m = 0; m < 8; m++) {
            long want = isnan(rows[k].bp[m]) ? -1 : lround(rows[k].bp[m] * scale);
            assert_int_equal(bp[m], want);
        }
    }
    /* combinations that have no table */
    assert_null(aqi_breakpoints(AQI_HJ633_2012, AQI_O3, AQI_24H));
    assert_null(aqi_breakpoints(AQI_HJ633_2012, AQI_PM25, AQI_1H));
    assert_null(aqi_breakpoints(AQI_HJ633_2026, AQI_SO2, AQI_8H));
    /* 2026: a 1-h PM value uses the daily table */
    assert_ptr_equal(aqi_breakpoints(AQI_HJ633_2026, AQI_PM25, AQI_1H),
                     aqi_breakpoints(AQI_HJ633_2026, AQI_PM25, AQI_24H));
    print_message("compiled IAQI tables equal %s/iaqi_breakpoints.csv (%d rows)\n", STD_DIR, n);

    /* levels against aqi_levels.csv for every AQI 0..500 */
    FILE *f = fopen(STD_DIR "/aqi_levels.csv", "r");
    assert_non_null(f);
    char line[512];
    int nl = 0, header = 0;
    struct { char roman[8], zh[64], en[64], col[32]; int lo, hi, r, g, b; } L[6];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (!header) { header = 1; continue; }
        line[strcspn(line, "\r\n")] = '\0';
        assert_true(nl < 6);
        int got = sscanf(line, "%7[^,],%d,%d,%63[^,],%63[^,],%31[^,],%d,%d,%d", L[nl].roman, &L[nl].lo,
                         &L[nl].hi, L[nl].zh, L[nl].en, L[nl].col, &L[nl].r, &L[nl].g, &L[nl].b);
        assert_int_equal(got, 9);
        nl++;
    }
    fclose(f);
    assert_int_equal(nl, 6);
    for (int a = 0; a <= 500; a++) {
        int k = 0;
        while (!(L[k].lo <= a && a <= L[k].hi)) k++;
        const AqiLevel *lv = aqi_level(a);
        assert_non_null(lv);
        assert_int_equal(lv->level, k + 1);
        assert_string_equal(lv->roman, L[k].roman);
        assert_string_equal(lv->category_zh, L[k].zh);
        assert_string_equal(lv->category_en, L[k].en);
        assert_string_equal(lv->colour, L[k].col);
        assert_int_equal(lv->r, L[k].r);
        assert_int_equal(lv->g, L[k].g);
        assert_int_equal(lv->b, L[k].b);
    }
    assert_null(aqi_level(-1));
    assert_string_equal(aqi_level(501)->roman, "VI");
    print_message("levels I-VI, categories and colours equal %s/aqi_levels.csv for AQI 0..500\n",
                  STD_DIR);
}

/* ------------------------------------------------------------ test vectors ---- */

static int iaqi_of(AqiRule r, AqiPollutant p, AqiAvg a, double c, int *flags)
{
    int v, fl;
    BgErr e = {0};
    assert_int_equal(aqi_iaqi(r, p, a, c, &v, &fl, &e), BG_OK);
    if (flags) *flags = fl;
    return v;
}

static void test_readme_vectors(void **state)
{
    (void)state;
    /* README 2.6: table, C, exact IAQI, reported; rule -1 = the table is the same in both */
    static const struct { int rule; AqiPollutant p; AqiAvg a; double c, exact; int rep; } v[] = {
        {AQI_HJ633_2012, AQI_PM25, AQI_24H, 35, 50, 50},
        {AQI_HJ633_2012, AQI_PM25, AQI_24H, 36, 51.25, 52},
        {AQI_HJ633_2012, AQI_PM25, AQI_24H, 76, 101.25, 102},
        {AQI_HJ633_2012, AQI_PM25, AQI_24H, 151, 201, 201},
        {AQI_HJ633_2012, AQI_PM25, AQI_24H, 500, 500, 500},
        {AQI_HJ633_2026, AQI_PM25, AQI_24H, 60, 100, 100},
        {AQI_HJ633_2026, AQI_PM25, AQI_24H, 61, 100.909, 101},
        {AQI_HJ633_2026, AQI_PM25, AQI_24H, 75, 113.64, 114},
        {AQI_HJ633_2026, AQI_PM25, AQI_24H, 116, 151.43, 152},
        {AQI_HJ633_2026, AQI_PM10, AQI_24H, 120, 100, 100},
        {AQI_HJ633_2026, AQI_PM10, AQI_24H, 150, 111.54, 112},
        {-1, AQI_CO, AQI_24H, 2.2, 55, 55},
        {-1, AQI_CO, AQI_24H, 4.1, 100.5, 101},
        {-1, AQI_CO, AQI_1H, 65.4, 218, 218},
        {-1, AQI_NO2, AQI_24H, 81, 100.5, 101},
        {-1, AQI_O3, AQI_8H, 265, 200, 200},
        {-1, AQI_O3, AQI_8H, 266, 200.19, 201},
        {-1, AQI_O3, AQI_1H, 801, 300.5, 301},
    };
    CsvRow rows[64];
    int nrows = read_breakpoints(rows, 64);
    int nchk = 0;
    for (size_t k = 0; k < sizeof v / sizeof *v; k++)
        for (int r = 0; r < 2; r++) {
            if (v[k].rule >= 0 && v[k].rule != r) continue;
            int got = iaqi_of((AqiRule)r, v[k].p, v[k].a, v[k].c, NULL);
            /* the exact value from the CSV, independently */
            int scale = v[k].p == AQI_CO ? 10 : 1;
            double exact = NAN;
            for (int m = 0; m < nrows; m++)
                if ((int)rows[m].rule == r && rows[m].p == v[k].p && rows[m].avg == v[k].a) {
                    long num, den;
                    ref_iaqi(&rows[m], lround(v[k].c * scale), scale, &num, &den);
                    exact = (double)num / den;
                }
            print_message("%s %s_%s = %g: exact %.3f (README %g), IAQI %d (README %d)\n",
                          aqi_rule_name((AqiRule)r), aqi_pollutant_name(v[k].p),
                          aqi_avg_name(v[k].a), v[k].c, exact, v[k].exact, got, v[k].rep);
            assert_close(exact, v[k].exact, 0.006);
            assert_int_equal(got, v[k].rep);
            nchk++;
        }
    assert_int_equal(nchk, 11 + 2 * 7);

    /* the over-800 rules */
    int fl;
    assert_int_equal(iaqi_of(AQI_HJ633_2012, AQI_SO2, AQI_1H, 801, &fl), -1);
    assert_int_equal(fl, AQI_F_FALLBACK);
    assert_int_equal(iaqi_of(AQI_HJ633_2026, AQI_SO2, AQI_1H, 801, &fl), 200);
    assert_int_equal(fl, AQI_F_FIXED);
    assert_int_equal(iaqi_of(AQI_HJ633_2012, AQI_O3, AQI_8H, 801, &fl), -1);
    assert_int_equal(fl, AQI_F_FALLBACK);
    assert_int_equal(iaqi_of(AQI_HJ633_2026, AQI_O3, AQI_8H, 801, &fl), 300);
    assert_int_equal(fl, AQI_F_FIXED);
    assert_int_equal(iaqi_of(AQI_HJ633_2012, AQI_SO2, AQI_1H, 800, &fl), 200);
    assert_int_equal(fl, 0);
    /* 2012: the SO2 1-h value above 800 gives way to the 24-h IAQI, O3 8-h to the 1-h IAQI */
    AqiResult res;
    BgErr e = {0};
    AqiInput so2[2] = {{AQI_SO2, AQI_1H, 801}, {AQI_SO2, AQI_24H, 300}};
    assert_int_equal(aqi_compute(AQI_HJ633_2012, so2, 2, &res, &e), BG_OK);
    assert_int_equal(res.iaqi[0], -1);
    assert_int_equal(res.iaqi[1], 124); /* 100 + 50 * 150 / 325 = 123.08 */
    assert_int_equal(res.aqi, 124);
    assert_int_equal(aqi_compute(AQI_HJ633_2026, so2, 2, &res, &e), BG_OK);
    assert_int_equal(res.aqi, 200);
    AqiInput o3[2] = {{AQI_O3, AQI_8H, 801}, {AQI_O3, AQI_1H, 900}};
    assert_int_equal(aqi_compute(AQI_HJ633_2012, o3, 2, &res, &e), BG_OK);
    assert_int_equal(res.aqi, 350); /* 300 + 100*100/200 */
    assert_int_equal(aqi_compute(AQI_HJ633_2026, o3, 1, &res, &e), BG_OK);
    assert_int_equal(res.aqi, 300);
    /* above the top of the scale: capped and flagged */
    assert_int_equal(iaqi_of(AQI_HJ633_2012, AQI_PM25, AQI_24H, 501, &fl), 500);
    assert_int_equal(fl, AQI_F_OVER_SCALE);
    AqiInput big = {AQI_PM10, AQI_24H, 1000};
    assert_int_equal(aqi_compute(AQI_HJ633_2026, &big, 1, &res, &e), BG_OK);
    assert_int_equal(res.aqi, 500);
    assert_int_equal(res.over_scale, 1);
    assert_int_equal(res.level, 6);
    print_message("over-800 rules: SO2 1h 801 -> 2012 fallback to 24h (124), 2026 200; O3 8h 801 -> "
                  "2012 fallback to 1h (350), 2026 300; PM10 1000 -> 500 flagged\n");
}

static void test_co_pitfall(void **state)
{
    (void)state;
    /* formula 1 in doubles, as a naive implementation writes it */
    double naive = (100.0 - 50.0) / (4.0 - 2.0) * (2.2 - 2.0) + 50.0;
    print_message("CO 24-h 2.2 mg/m3: double formula %.17g, ceil %g; exact integer IAQI %d\n", naive,
                  ceil(naive), iaqi_of(AQI_HJ633_2012, AQI_CO, AQI_24H, 2.2, NULL));
    assert_true(ceil(naive) == 56.0); /* the pitfall is real on this machine */
    assert_int_equal(iaqi_of(AQI_HJ633_2012, AQI_CO, AQI_24H, 2.2, NULL), 55);
    assert_int_equal(iaqi_of(AQI_HJ633_2026, AQI_CO, AQI_24H, 2.2, NULL), 55);
}

static void test_exhaustive(void **state)
{
    (void)state;
    CsvRow rows[64];
    int n = read_breakpoints(rows, 64);
    long total = 0, naive_wrong_co1h = 0;
    for (int k = 0; k < n; k++) {
        const CsvRow *r = &rows[k];
        int scale = r->p == AQI_CO ? 10 : 1;
        int top = 7;
        while (isnan(r->bp[top])) top--;
        long cmax = lround(r->bp[top] * scale) + 60;
        for (long c = 0; c <= cmax; c++) {
            double conc = (double)c / scale; /* through the double interface and its rounding */
            int flags;
            int got = iaqi_of(r->rule, r->p, r->avg, conc, &flags);
            long num = 0, den = 1;
            long want = ref_iaqi(r, c, scale, &num, &den);
            if (want < 0) {
                /* beyond the table */
                int expect = top == 7 ? 500 : r->rule == AQI_HJ633_2012 ? -1 : (top == 4 ? 200 : 300);
                if (got != expect)
                    fail_msg("%s %s_%s C=%ld: got %d, want %d beyond the table", aqi_rule_name(r->rule),
                             aqi_pollutant_name(r->p), aqi_avg_name(r->avg), c, got, expect);
            } else {
                /* got - 1 < num/den <= got, by cross-multiplication */
                if (got != want || !((long)got * den >= num && (long)(got - 1) * den < num))
                    fail_msg("%s %s_%s C=%ld: got %d, want %ld (exact %ld/%ld)", aqi_rule_name(r->rule),
                             aqi_pollutant_name(r->p), aqi_avg_name(r->avg), c, got, want, num, den);
                /* also the integer entry point */
                int fl;
                assert_int_equal(aqi_iaqi_units(r->rule, r->p, r->avg, c, &fl), got);
                if (r->p == AQI_CO && r->avg == AQI_1H && r->rule == AQI_HJ633_2012 && c <= 1500) {
                    static const double lvd[8] = {0, 50, 100, 150, 200, 300, 400, 500};
                    int s = 0;
                    while (c > lround(r->bp[s + 1] * 10)) s++;
                    double nv = (lvd[s + 1] - lvd[s]) / (r->bp[s + 1] - r->bp[s]) * (conc - r->bp[s]) + lvd[s];
                    if ((long)ceil(nv) != want) naive_wrong_co1h++;
                }
            }
            total++;
        }
    }
    print_message("exhaustive: %ld concentrations over %d tables agree with the rational reference; "
                  "ceil() on doubles is wrong for %ld of the 1501 CO 1-h values 0..150 mg/m3 "
                  "(README 2.6: 22)\n", total, n, naive_wrong_co1h);
    assert_int_equal(naive_wrong_co1h, 22);
}

static void test_rounding(void **state)
{
    (void)state;
    static const struct { double x; int dec; long long want; } v[] = {
        {2.25, 1, 22},   {2.35, 1, 24},  {2.45, 1, 24},    {2.451, 1, 25},  {2.449, 1, 24},
        {0.05, 1, 0},    {0.15, 1, 2},   {75.5, 0, 76},    {74.5, 0, 74},   {74.50001, 0, 75},
        {0.5, 0, 0},     {1.5, 0, 2},    {2.5, 0, 2},      {0.49, 0, 0},    {9.96, 1, 100},
        {0.96, 0, 1},    {1e-300, 0, 0}, {123456.5, 0, 123456}, {35.4, 0, 35}, {35.6, 0, 36},
        {0, 0, 0},       {999999.5, 0, 1000000}, {7.0, 1, 70}, {0.04999, 1, 0}, {0.0501, 1, 1},
    };
    for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
        long long got;
        assert_int_equal(aqi_round_gbt8170(v[k].x, v[k].dec, &got), 0);
        if (got != v[k].want)
            fail_msg("GB/T 8170 round(%.17g, %d) = %lld, want %lld", v[k].x, v[k].dec, got, v[k].want);
    }
    long long u;
    assert_int_equal(aqi_round_gbt8170(-1, 0, &u), -1);
    assert_int_equal(aqi_round_gbt8170(NAN, 0, &u), -1);
    assert_int_equal(aqi_round_gbt8170(INFINITY, 0, &u), -1);
    /* the AQI sees the rounded value: 2012 PM2.5 35.4 -> 35 -> 50, 35.5 -> 36 -> 52 */
    assert_int_equal(iaqi_of(AQI_HJ633_2012, AQI_PM25, AQI_24H, 35.4, NULL), 50);
    assert_int_equal(iaqi_of(AQI_HJ633_2012, AQI_PM25, AQI_24H, 35.5, NULL), 52);
    assert_int_equal(iaqi_of(AQI_HJ633_2012, AQI_CO, AQI_24H, 2.25, NULL), 55);
    print_message("GB/T 8170: %zu cases (2.25 -> 2.2, 2.35 -> 2.4, 74.5 -> 74, 75.5 -> 76)\n",
                  sizeof v / sizeof *v);
}

static void test_primary_and_levels(void **state)
{
    (void)state;
    AqiResult r;
    BgErr e = {0};
    char buf[64];
    /* tie: PM2.5 76 -> 102 and PM10 154 -> 102 (2012) */
    AqiInput tie[3] = {{AQI_PM25, AQI_24H, 76}, {AQI_PM10, AQI_24H, 154}, {AQI_NO2, AQI_24H, 30}};
    assert_int_equal(aqi_compute(AQI_HJ633_2012, tie, 3, &r, &e), BG_OK);
    assert_int_equal(r.aqi, 102);
    aqi_pollutant_list(r.primary, 0, buf, sizeof buf);
    assert_string_equal(buf, "PM10;PM2.5");
    aqi_pollutant_list(r.primary, 1, buf, sizeof buf);
    assert_string_equal(buf, "PM10;PM25");
    aqi_pollutant_list(r.nonattain, 0, buf, sizeof buf);
    assert_string_equal(buf, "PM10;PM2.5");
    assert_int_equal(r.level, 3);
    print_message("tie PM2.5 76 / PM10 154 (2012): AQI %d, primary %s\n", r.aqi, "PM10;PM2.5");
    /* a three-way tie (2026): PM2.5 61 -> 100.9, NO2 81 -> 100.5, O3 8h 161 -> 100.9: all 101 */
    AqiInput tie3[3] = {{AQI_PM25, AQI_24H, 61}, {AQI_NO2, AQI_24H, 81}, {AQI_O3, AQI_8H, 161}};
    assert_int_equal(aqi_compute(AQI_HJ633_2026, tie3, 3, &r, &e), BG_OK);
    assert_int_equal(r.aqi, 101);
    aqi_pollutant_list(r.primary, 0, buf, sizeof buf);
    assert_string_equal(buf, "NO2;O3;PM2.5");
    assert_int_equal(r.nonattain, 0u); /* not defined in 2026 */
    /* AQI <= 50: no primary pollutant */
    AqiInput clean[2] = {{AQI_PM25, AQI_24H, 35}, {AQI_SO2, AQI_24H, 50}};
    assert_int_equal(aqi_compute(AQI_HJ633_2012, clean, 2, &r, &e), BG_OK);
    assert_int_equal(r.aqi, 50);
    assert_int_equal(r.primary, 0u);
    assert_int_equal(r.level, 1);
    clean[0].c = 36; /* 52 */
    assert_int_equal(aqi_compute(AQI_HJ633_2012, clean, 2, &r, &e), BG_OK);
    assert_int_equal(r.aqi, 52);
    assert_int_equal(r.primary, 1u << AQI_PM25);
    assert_int_equal(r.level, 2);
    /* the AQI range is 1..500 in 2026 */
    AqiInput zero = {AQI_PM25, AQI_24H, 0.3};
    assert_int_equal(aqi_compute(AQI_HJ633_2012, &zero, 1, &r, &e), BG_OK);
    assert_int_equal(r.aqi, 0);
    assert_int_equal(aqi_compute(AQI_HJ633_2026, &zero, 1, &r, &e), BG_OK);
    assert_int_equal(r.aqi, 1);
    assert_int_equal(r.level, 1);
    /* levels at their edges */
    static const int edges[][2] = {{50, 1}, {51, 2}, {100, 2}, {101, 3}, {150, 3}, {151, 4},
                                   {200, 4}, {201, 5}, {300, 5}, {301, 6}, {500, 6}};
    for (size_t k = 0; k < sizeof edges / sizeof *edges; k++)
        assert_int_equal(aqi_level(edges[k][0])->level, edges[k][1]);
    assert_string_equal(aqi_level(250)->colour, "purple");
    assert_int_equal(aqi_level(250)->r, 153);
    assert_int_equal(aqi_level(250)->b, 76);
    /* bad input */
    AqiInput dup[2] = {{AQI_PM25, AQI_24H, 1}, {AQI_PM25, AQI_24H, 2}};
    BgErr e2 = {0};
    assert_int_equal(aqi_compute(AQI_HJ633_2012, dup, 2, &r, &e2), BG_ECONFIG);
    AqiInput pm1h = {AQI_PM25, AQI_1H, 80};
    BgErr e3 = {0};
    assert_int_equal(aqi_compute(AQI_HJ633_2012, &pm1h, 1, &r, &e3), BG_ECONFIG);
    print_message("2012 PM2.5 1h refused: %s\n", e3.msg);
    BgErr e4 = {0};
    assert_int_equal(aqi_compute(AQI_HJ633_2026, &pm1h, 1, &r, &e4), BG_OK);
    assert_int_equal(r.aqi, 119); /* the daily table: 100 + 50 * 20 / 55 = 118.2 */
}

static void test_date_switch(void **state)
{
    (void)state;
    assert_int_equal(aqi_rule_for_date(2026, 2, 28), AQI_HJ633_2012);
    assert_int_equal(aqi_rule_for_date(2026, 3, 1), AQI_HJ633_2026);
    assert_int_equal(aqi_rule_for_date(2025, 12, 31), AQI_HJ633_2012);
    assert_int_equal(aqi_rule_for_date(2027, 1, 1), AQI_HJ633_2026);
    double t;
    assert_int_equal(time_parse("2026-02-28T15:59:59Z", &t), 0);
    assert_int_equal(aqi_rule_for_time(t), AQI_HJ633_2012);
    assert_int_equal(time_parse("2026-02-28T16:00:00Z", &t), 0); /* 2026-03-01 00:00 Beijing */
    assert_int_equal(aqi_rule_for_time(t), AQI_HJ633_2026);
    /* PM2.5 70 ug/m3: 94 (II) the day before, 110 (III) from 2026-03-01 */
    int a12 = iaqi_of(aqi_rule_for_date(2026, 2, 28), AQI_PM25, AQI_24H, 70, NULL);
    int a26 = iaqi_of(aqi_rule_for_date(2026, 3, 1), AQI_PM25, AQI_24H, 70, NULL);
    print_message("PM2.5 70: IAQI %d on 2026-02-28, %d on 2026-03-01\n", a12, a26);
    assert_int_equal(a12, 94);
    assert_int_equal(a26, 110);
    AqiRule r;
    assert_int_equal(aqi_rule_parse("HJ633-2012", &r), 0);
    assert_int_equal(r, AQI_HJ633_2012);
    assert_int_equal(aqi_rule_parse("hj 633-2026", &r), 0);
    assert_int_equal(r, AQI_HJ633_2026);
    assert_int_equal(aqi_rule_parse("HJ633-2020", &r), -1);
}

/* ------------------------------------------------------------ command line ---- */

/* Runs aqi_main with stdout sent to a temporary file; returns the status, text in out. */
static int run_cli(char *out, size_t n, BgErr *e, ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, e);
    argv[argc++] = "aqi";
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 15;) argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    char path[] = "/tmp/bogda_test_aqi_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    int rc = aqi_main(argc, argv, e);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t got = read(fd, out, n - 1);
    out[got > 0 ? got : 0] = '\0';
    close(fd);
    unlink(path);
    return rc;
}

static int count_lines(const char *text, const char *line)
{
    int c = 0;
    size_t l = strlen(line);
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len == l && !strncmp(p, line, l)) c++;
        p = nl ? nl + 1 : NULL;
    }
    return c;
}

static void test_cli(void **state)
{
    (void)state;
    char out[4096];
    BgErr e = {0};
    int rc = run_cli(out, sizeof out, &e, "--rule", "HJ633-2012", "PM2.5_24h=76", "CO_24h=2.2",
                     "O3_8h=120", NULL);
    print_message("bogda aqi --rule HJ633-2012 PM2.5_24h=76 CO_24h=2.2 O3_8h=120:\n%s", out);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(count_lines(out, "AQI = 102"), 1);
    assert_non_null(strstr(out, "IAQI PM2.5_24h: 102"));
    assert_non_null(strstr(out, "IAQI CO_24h: 55"));
    assert_non_null(strstr(out, "IAQI O3_8h: 67"));
    assert_int_equal(count_lines(out, "level: III"), 1);
    assert_non_null(strstr(out, "category: Lightly polluted"));
    assert_non_null(strstr(out, "colour: orange"));
    assert_int_equal(count_lines(out, "primary pollutant: PM2.5"), 1);

    /* defaults: O3 -> 8 h, others 24 h; PM25 spelling; rounding shown */
    rc = run_cli(out, sizeof out, &e, "--rule=HJ633-2026", "PM25=61", "O3=100", "co=2.25", NULL);
    assert_int_equal(rc, BG_OK);
    assert_non_null(strstr(out, "IAQI PM2.5_24h: 101"));
    assert_non_null(strstr(out, "IAQI O3_8h: 50"));
    assert_non_null(strstr(out, "IAQI CO_24h: 55 (2.2 mg/m3, 2.25 rounded per GB/T 8170)"));
    assert_int_equal(count_lines(out, "AQI = 101"), 1);
    /* default rule: the one in force today */
    rc = run_cli(out, sizeof out, &e, "PM2.5=70", NULL);
    assert_int_equal(rc, BG_OK);
    AqiRule today = aqi_rule_for_time((double)time(NULL));
    assert_non_null(strstr(out, aqi_rule_name(today)));
    assert_int_equal(count_lines(out, today == AQI_HJ633_2012 ? "AQI = 94" : "AQI = 110"), 1);
    /* AQI <= 50 */
    rc = run_cli(out, sizeof out, &e, "--rule", "HJ633-2012", "SO2_24h=10", NULL);
    assert_int_equal(rc, BG_OK);
    assert_non_null(strstr(out, "primary pollutant: none"));
    /* --help */
    rc = run_cli(out, sizeof out, &e, "--help", NULL);
    assert_int_equal(rc, BG_OK);
    assert_non_null(strstr(out, "usage: bogda aqi"));

    /* bad input: BG_ECONFIG naming the argument */
    static const char *const bad[][3] = {
        {"PM2.5_24h=abc", NULL, "PM2.5_24h=abc"},
        {"XX=1", NULL, "XX=1"},
        {"PM2.5_2h=1", NULL, "PM2.5_2h=1"},
        {"PM2.5_24h=-3", NULL, "PM2.5_24h=-3"},
        {"PM2.5_24h", NULL, "PM2.5_24h"},
        {"--rule", "HJ633-2020", "--rule"},
        {"O3_24h=50", NULL, "O3_24h=50"},
        {"--frobnicate", NULL, "--frobnicate"},
        {"PM2.5_24h=nan", NULL, "PM2.5_24h=nan"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        BgErr eb = {0};
        rc = bad[k][1] ? run_cli(out, sizeof out, &eb, bad[k][0], bad[k][1], "PM10=1", NULL)
                       : run_cli(out, sizeof out, &eb, bad[k][0], NULL);
        assert_int_equal(rc, BG_ECONFIG);
        assert_non_null(strstr(eb.msg, bad[k][2]));
        assert_true(!strncmp(eb.msg, "aqi:", 4));
        print_message("refused: %s\n", eb.msg);
    }
    BgErr eb = {0};
    rc = run_cli(out, sizeof out, &eb, "--rule", "HJ633-2012", "PM2.5_1h=80", NULL);
    assert_int_equal(rc, BG_ECONFIG);
    assert_non_null(strstr(eb.msg, "aqi:PM2.5_1h=80:"));
    print_message("refused: %s\n", eb.msg);
    BgErr ed = {0};
    rc = run_cli(out, sizeof out, &ed, "PM10=1", "PM10_24h=2", NULL);
    assert_int_equal(rc, BG_ECONFIG);
    assert_non_null(strstr(ed.msg, "PM10_24h=2"));
    BgErr en = {0};
    rc = run_cli(out, sizeof out, &en, "--rule", "HJ633-2012", NULL);
    assert_int_equal(rc, BG_ECONFIG);
}

static void test_speed(void **state)
{
    (void)state;
    AqiInput in[7] = {{AQI_SO2, AQI_24H, 20}, {AQI_NO2, AQI_24H, 50},  {AQI_PM10, AQI_24H, 130},
                      {AQI_CO, AQI_24H, 1.4}, {AQI_O3, AQI_8H, 90},    {AQI_PM25, AQI_24H, 0},
                      {AQI_O3, AQI_1H, 120}};
    AqiResult r;
    BgErr e = {0};
    long n = 200000, sum = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long k = 0; k < n; k++) {
        in[5].c = (double)(k % 600) + 0.3;
        aqi_compute(AQI_HJ633_2012, in, 7, &r, &e);
        sum += r.aqi;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double us = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n;
    print_message("aqi_compute with 7 indicators: %.3f us per call (checksum %ld)\n", us, sum);
    assert_true(sum > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_match_csv), cmocka_unit_test(test_readme_vectors),
        cmocka_unit_test(test_co_pitfall),       cmocka_unit_test(test_exhaustive),
        cmocka_unit_test(test_rounding),         cmocka_unit_test(test_primary_and_levels),
        cmocka_unit_test(test_date_switch),      cmocka_unit_test(test_cli),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
