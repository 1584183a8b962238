/* Evaluation statistics (postproc/evalstats.c, docs/evaluation.md): every paired statistic
 * against values computed by hand on a 4-pair series (stated below), the perfect model, the
 * zero conventions, FAC2, the contingency scores against a hand table, the 24h/MDA8 pairing with
 * the GB 3095 validity rules, the compiled benchmark table against
 * validation/standards/evaluation_benchmarks.csv, verdicts, and evaluation.csv. */
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
#include "evalstats.h"
#include "obs.h"
#include "timeutil.h"

#define TOL 1e-12

/* O = {2, 4, 6, 8}, M = {3, 3, 9, 8}; d = M - O = {1, -1, 3, 0}.
 *   Obar = 5, Mbar = 23/4 = 5.75
 *   MB = 3/4 = 0.75;  ME = 5/4 = 1.25;  RMSE = sqrt(11/4)
 *   NMB = 3/20 = 15 %;  NME = 5/20 = 25 %
 *   MFB = 2/4 (1/5 - 1/7 + 3/15 + 0) = 9/70 -> 900/70 %
 *   MFE = 2/4 (1/5 + 1/7 + 3/15 + 0) = 19/70 -> 1900/70 %
 *   r: O' = {-3,-1,1,3}, M' = {-2.75,-2.75,3.25,2.25}; sum O'M' = 21, sum O'^2 = 20,
 *      sum M'^2 = 30.75 -> r = 21 / sqrt(615)
 *   IOA: |M - Obar| = {2,2,4,3}, |O - Obar| = {3,1,1,3}; sum (..)^2 = 25+9+25+36 = 95;
 *      sum d^2 = 11 -> IOA = 1 - 11/95 = 84/95
 *   FAC2: M/O = {1.5, 0.75, 1.5, 1} -> 1 */
static void test_hand_series(void **state)
{
    (void)state;
    const double O[] = {2, 4, 6, 8}, M[] = {3, 3, 9, 8};
    EvalStats s;
    assert_int_equal(evalstats_compute(M, O, 4, &s), 0);
    assert_int_equal(s.n, 4);
    assert_close(s.obs_mean, 5.0, TOL);
    assert_close(s.model_mean, 5.75, TOL);
    assert_close(s.mb, 0.75, TOL);
    assert_close(s.me, 1.25, TOL);
    assert_close(s.rmse, sqrt(2.75), TOL);
    assert_close(s.nmb, 15.0, TOL);
    assert_close(s.nme, 25.0, TOL);
    assert_close(s.mfb, 900.0 / 70.0, TOL);
    assert_close(s.mfe, 1900.0 / 70.0, TOL);
    assert_close(s.r, 21.0 / sqrt(615.0), TOL);
    assert_close(s.ioa, 84.0 / 95.0, TOL);
    assert_close(s.fac2, 1.0, TOL);
    print_message("hand series: MB %.15g ME %.15g RMSE %.15g NMB %.15g NME %.15g MFB %.15g MFE %.15g "
                  "r %.15g IOA %.15g FAC2 %.15g\n",
                  s.mb, s.me, s.rmse, s.nmb, s.nme, s.mfb, s.mfe, s.r, s.ioa, s.fac2);

    /* NAN pairs are skipped: the same series with two extra broken pairs */
    const double O2[] = {2, NAN, 4, 6, 1, 8}, M2[] = {3, 1, 3, 9, NAN, 8};
    EvalStats t;
    assert_int_equal(evalstats_compute(M2, O2, 6, &t), 0);
    assert_int_equal(t.n, 4);
    assert_close(t.rmse, s.rmse, TOL);
    assert_close(t.r, s.r, TOL);
}

static void test_perfect_model(void **state)
{
    (void)state;
    const double O[] = {12.5, 40, 3, 77, 150.25, 0.5};
    EvalStats s;
    assert_int_equal(evalstats_compute(O, O, 6, &s), 0);
    assert_close(s.mb, 0.0, 0.0);
    assert_close(s.me, 0.0, 0.0);
    assert_close(s.rmse, 0.0, 0.0);
    assert_close(s.nmb, 0.0, 0.0);
    assert_close(s.mfb, 0.0, 0.0);
    assert_close(s.r, 1.0, TOL);
    assert_close(s.ioa, 1.0, 0.0);
    assert_close(s.fac2, 1.0, 0.0);
    /* constant perfect series: r undefined, IOA 1 by convention */
    const double C[] = {5, 5, 5};
    assert_int_equal(evalstats_compute(C, C, 3, &s), 0);
    assert_true(isnan(s.r));
    assert_close(s.ioa, 1.0, 0.0);
    /* no pair */
    const double X[] = {NAN};
    assert_int_equal(evalstats_compute(X, C, 1, &s), 0);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.mb) && isnan(s.ioa) && isnan(s.fac2));
}

/* FAC2 and MFB/MFE zeros: O = {1, 1, 1, 0, 0}, M = {0.5, 2, 2.0001, 0, 1}
 *   M/O = 0.5 (in, inclusive), 2 (in, inclusive), 2.0001 (out), 0/0 (in: both zero), 1/0 (out)
 *   -> FAC2 = 3/5.
 *   MFB terms (M-O)/(M+O): -0.5/1.5, 1/3, 1.0001/3.0001, 0 (M+O = 0), 1 ->
 *   MFB = 2/5 (-1/3 + 1/3 + 1.0001/3.0001 + 1) * 100; MFE = 2/5 (1/3 + 1/3 + 1.0001/3.0001 + 1) * 100 */
static void test_fac2_zeros(void **state)
{
    (void)state;
    const double O[] = {1, 1, 1, 0, 0}, M[] = {0.5, 2, 2.0001, 0, 1};
    EvalStats s;
    assert_int_equal(evalstats_compute(M, O, 5, &s), 0);
    assert_close(s.fac2, 0.6, TOL);
    assert_close(s.mfb, 0.4 * (1.0001 / 3.0001 + 1.0) * 100.0, TOL);
    assert_close(s.mfe, 0.4 * (2.0 / 3.0 + 1.0001 / 3.0001 + 1.0) * 100.0, TOL);
    const double Z[] = {0, 0}, Mz[] = {1, 2};
    assert_int_equal(evalstats_compute(Mz, Z, 2, &s), 0);
    assert_true(isnan(s.nmb) && isnan(s.nme));
}

/* a = 3 hits, b = 1 false alarm, c = 2 misses, d = 4 correct negatives, N = 10:
 *   POD = 3/5, FAR = 1/4, CSI = 3/6, a_r = 4*5/10 = 2, ETS = (3-2)/(6-2) = 1/4,
 *   HSS = 2(12 - 2) / (5*6 + 4*5) = 20/50, bias = 4/5, accuracy = 7/10. */
static void test_contingency(void **state)
{
    (void)state;
    /* forecast/observed AQI pairs against the event AQI > 200 */
    const double F[] = {250, 201, 300, 220, 150, 180, 100, 50, 200, 90};
    const double O[] = {210, 260, 301, 190, 250, 201, 100, 60, 150, 200};
    Contingency t = {0, 0, 0, 0};
    for (int k = 0; k < 10; k++) contingency_add(&t, F[k], O[k], 200);
    contingency_add(&t, NAN, 300, 200); /* skipped */
    assert_int_equal(t.a, 3);
    assert_int_equal(t.b, 1);
    assert_int_equal(t.c, 2);
    assert_int_equal(t.d, 4);
    CatScores s;
    contingency_scores(&t, &s);
    assert_close(s.pod, 0.6, TOL);
    assert_close(s.far, 0.25, TOL);
    assert_close(s.csi, 0.5, TOL);
    assert_close(s.ets, 0.25, TOL);
    assert_close(s.hss, 0.4, TOL);
    assert_close(s.bias, 0.8, TOL);
    assert_close(s.accuracy, 0.7, TOL);
    print_message("contingency a=3 b=1 c=2 d=4: POD %.3f FAR %.3f CSI %.3f ETS %.3f HSS %.3f\n", s.pod,
                  s.far, s.csi, s.ets, s.hss);
    /* no events at all: POD, FAR, CSI undefined */
    Contingency z = {0, 0, 0, 5};
    contingency_scores(&z, &s);
    assert_true(isnan(s.pod) && isnan(s.far) && isnan(s.csi));
    assert_close(s.accuracy, 1.0, 0.0);
}

/* 24h and MDA8 pairing on Beijing-time days.  Series of 48 hour ends starting 2024-01-09T17:00Z
 * (= 01:00 Beijing on 2024-01-10), so day 0 is exactly hours 0..23 and day 1 hours 24..47. */
static void test_pairs_averaging(void **state)
{
    (void)state;
    double t0;
    assert_int_equal(time_parse("2024-01-09T17:00:00Z", &t0), 0);
    double m[48], o[48];
    for (int h = 0; h < 48; h++) {
        o[h] = h < 24 ? 10.0 : 20.0;
        m[h] = 2.0 * o[h];
    }
    /* day 1 of the observations: only 19 valid hours -> no daily value */
    for (int h = 24; h < 29; h++) o[h] = NAN;
    double pm[8], po[8];
    size_t np = 0;
    assert_int_equal(evalstats_pairs(EVAL_AVG_24H, m, o, 48, t0, OBS_BEIJING_OFFSET_S, pm, po, 8, &np), 0);
    assert_int_equal(np, 1);
    assert_close(po[0], 10.0, TOL);
    assert_close(pm[0], 20.0, TOL);
    /* 20 valid hours -> a value */
    o[28] = 20.0;
    np = 0;
    assert_int_equal(evalstats_pairs(EVAL_AVG_24H, m, o, 48, t0, OBS_BEIJING_OFFSET_S, pm, po, 8, &np), 0);
    assert_int_equal(np, 2);
    assert_close(po[1], 20.0, TOL);
    /* MDA8: every window of day 1 with >= 6 hours is 20 */
    np = 0;
    assert_int_equal(evalstats_pairs(EVAL_AVG_MDA8, m, o, 48, t0, OBS_BEIJING_OFFSET_S, pm, po, 8, &np), 0);
    assert_int_equal(np, 2);
    assert_close(po[0], 10.0, TOL);
    assert_close(po[1], 20.0, TOL);
    assert_close(pm[1], 40.0, TOL);
    /* hourly: 44 valid pairs; capacity too small is refused and appends nothing */
    np = 0;
    assert_int_equal(evalstats_pairs(EVAL_AVG_1H, m, o, 48, t0, OBS_BEIJING_OFFSET_S, pm, po, 8, &np), BG_EFAIL);
    assert_int_equal(np, 0);
    double bm[48], bo[48];
    assert_int_equal(evalstats_pairs(EVAL_AVG_1H, m, o, 48, t0, OBS_BEIJING_OFFSET_S, bm, bo, 48, &np), 0);
    assert_int_equal(np, 44);
    assert_string_equal(evalstats_averaging_name(EVAL_AVG_MDA8), "MDA8");
}

static EvalMetric metric_of(const char *s)
{
    if (!strcmp(s, "NMB")) return EVAL_METRIC_NMB;
    if (!strcmp(s, "NME")) return EVAL_METRIC_NME;
    if (!strcmp(s, "MFB")) return EVAL_METRIC_MFB;
    if (!strcmp(s, "MFE")) return EVAL_METRIC_MFE;
    return EVAL_METRIC_R;
}

/* The compiled table equals validation/standards/evaluation_benchmarks.csv row by row. */
static void test_benchmark_table(void **state)
{
    (void)state;
    FILE *f = fopen("validation/standards/evaluation_benchmarks.csv", "r");
    assert_non_null(f);
    int n;
    const EvalBenchmark *b = evalstats_benchmarks(&n);
    char line[256];
    int k = 0, header = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        if (!header) {
            header = 1;
            continue;
        }
        char src[32], sp[16], met[8], g[16], c[16];
        assert_int_equal(sscanf(line, "%31[^,],%15[^,],%7[^,],%15[^,],%15[^,\n]", src, sp, met, g, c), 5);
        assert_true(k < n);
        assert_string_equal(b[k].source, src);
        assert_string_equal(b[k].species, sp);
        assert_int_equal(b[k].metric, metric_of(met));
        const char *gp = g[0] == '+' ? g + 2 : g, *cp = c[0] == '+' ? c + 2 : c; /* "+-10" */
        assert_close(b[k].goal, atof(gp), 0.0);
        assert_close(b[k].criteria, atof(cp), 0.0);
        k++;
    }
    fclose(f);
    assert_int_equal(k, n);
    print_message("benchmark table: %d rows equal to the CSV\n", n);
}

static void test_verdicts(void **state)
{
    (void)state;
    int n;
    const EvalBenchmark *b = evalstats_benchmarks(&n);
    const EvalBenchmark *nmb = &b[3], *r = &b[5]; /* Emery2017 PM25 NMB 10/30, r 0.70/0.40 */
    assert_string_equal(nmb->species, "PM25");
    assert_int_equal(nmb->metric, EVAL_METRIC_NMB);
    EvalStats s = {0};
    s.nmb = -10.0; /* limits inclusive */
    assert_int_equal(evalstats_verdict(nmb, &s), EVAL_VERDICT_GOAL);
    s.nmb = 25.0;
    assert_int_equal(evalstats_verdict(nmb, &s), EVAL_VERDICT_CRITERIA);
    s.nmb = -31.0;
    assert_int_equal(evalstats_verdict(nmb, &s), EVAL_VERDICT_OUTSIDE);
    s.nmb = NAN;
    assert_int_equal(evalstats_verdict(nmb, &s), EVAL_VERDICT_NONE);
    s.r = 0.7;
    assert_int_equal(evalstats_verdict(r, &s), EVAL_VERDICT_GOAL);
    s.r = 0.5;
    assert_int_equal(evalstats_verdict(r, &s), EVAL_VERDICT_CRITERIA);
    s.r = 0.1;
    assert_string_equal(evalstats_verdict_name(evalstats_verdict(r, &s)), "outside");
}

static void test_write_csv(void **state)
{
    (void)state;
    char dir[] = "/tmp/bg_evalXXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/evaluation.csv", dir);
    const double O[] = {2, 4, 6, 8}, M[] = {3, 3, 9, 8};
    EvalRow rows[2] = {{"S1", "PM25", EVAL_AVG_24H, {0}}, {"ALL", "PM25", EVAL_AVG_24H, {0}}};
    assert_int_equal(evalstats_compute(M, O, 4, &rows[0].s), 0);
    assert_int_equal(evalstats_compute(M, O, 1, &rows[1].s), 0); /* one pair: r NAN -> empty */
    BgErr e = {0};
    assert_int_equal(evalstats_write_csv(path, rows, 2, &e), BG_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char l1[256], l2[256], l3[256];
    assert_non_null(fgets(l1, sizeof l1, f));
    assert_non_null(fgets(l2, sizeof l2, f));
    assert_non_null(fgets(l3, sizeof l3, f));
    fclose(f);
    assert_string_equal(l1, "station,species,averaging,N,obs_mean,model_mean,MB,ME,RMSE,NMB,NME,MFB,MFE,r,IOA,FAC2\n");
    assert_true(strncmp(l2, "S1,PM25,24h,4,5,5.75,0.75,1.25,1.658312395,15,25,12.85714286,27.14285714,", 71) == 0);
    assert_string_equal(l3, "ALL,PM25,24h,1,2,3,1,1,1,50,50,40,40,,0,1\n");
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1);
    /* unwritable directory */
    assert_int_equal(evalstats_write_csv("/nonexistent_dir/evaluation.csv", rows, 2, &e), BG_EFAIL);
    assert_non_null(strstr(e.msg, "/nonexistent_dir/evaluation.csv.tmp"));
    remove(path);
    rmdir(dir);
}

/* Speed: the statistics of 1e6 pairs. */
static void test_speed(void **state)
{
    (void)state;
    size_t n = 1000000;
    double *m = malloc(n * sizeof *m), *o = malloc(n * sizeof *o);
    assert_non_null(m);
    assert_non_null(o);
    for (size_t k = 0; k < n; k++) {
        o[k] = 50.0 + 30.0 * sin(0.001 * (double)k);
        m[k] = o[k] * 1.1 + 5.0 * cos(0.0037 * (double)k);
    }
    EvalStats s;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(evalstats_compute(m, o, n, &s), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double dt = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
    print_message("evalstats_compute: %.1f ns per pair (1e6 pairs, r = %.4f)\n", dt / (double)n * 1e9, s.r);
    free(m);
    free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_series),   cmocka_unit_test(test_perfect_model),
        cmocka_unit_test(test_fac2_zeros),    cmocka_unit_test(test_contingency),
        cmocka_unit_test(test_pairs_averaging), cmocka_unit_test(test_benchmark_table),
        cmocka_unit_test(test_verdicts),      cmocka_unit_test(test_write_csv),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
