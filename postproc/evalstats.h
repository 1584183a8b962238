/* Model evaluation statistics for `bogda evaluate` (DESIGN 2.4; docs/evaluation.md).
 *
 * Paired statistics (standards README 4.1), M model, O observation, N valid pairs:
 *   MB = mean(M - O); ME = mean|M - O|; RMSE = sqrt(mean (M - O)^2);
 *   NMB = sum(M - O) / sum O * 100 %; NME = sum|M - O| / sum O * 100 %;
 *   MFB = 2/N sum (M - O)/(M + O) * 100 %; MFE = 2/N sum |M - O|/(M + O) * 100 %;
 *   r Pearson (gsl_stats_correlation); IOA Willmott (1981) d =
 *   1 - sum (M - O)^2 / sum (|M - Obar| + |O - Obar|)^2; FAC2 fraction with 0.5 <= M/O <= 2.
 * Conventions at zero (documented in docs/evaluation.md): a pair with M + O = 0 adds 0 to MFB and
 * MFE (exact agreement); a pair with O = 0 is within a factor 2 only if M = 0 too; NMB and NME
 * are NAN when sum O = 0; r is NAN when either series is constant; IOA is 1 when M = O
 * everywhere (0/0 otherwise cannot occur: a zero denominator forces M = O = Obar).
 * A pair where either value is NAN is skipped.
 *
 * Averaging (same rules for model and observation, standards README 4.1): "1h" the hourly
 * values; "24h" daily means on natural days with >= 20 valid hours; "MDA8" the daily maximum
 * 8-h mean with >= 6 hours per window (obs.h).
 *
 * Benchmarks: Emery et al. (2017), Huang et al. (2021) and Boylan & Russell (2006) as
 * validation/standards/evaluation_benchmarks.csv, compiled in.  Verdicts are advisory.
 *
 * Categorical scores of a 2x2 contingency table (standards README 4.3). */
#ifndef BOGDA_EVALSTATS_H
#define BOGDA_EVALSTATS_H

#include <stddef.h>

#include "err.h"

typedef struct {
    size_t n;
    double obs_mean, model_mean;
    double mb, me, rmse;
    double nmb, nme, mfb, mfe; /* percent */
    double r, ioa, fac2;       /* fac2: fraction 0..1 */
} EvalStats;

/* Statistics of the pairs (model[i], obs[i]), i < n, skipping pairs with a NAN.  With no valid
 * pair every field but n is NAN.  Returns 0, or BG_EFAIL when scratch memory cannot be had. */
int evalstats_compute(const double *model, const double *obs, size_t n, EvalStats *s);

typedef enum { EVAL_AVG_1H = 0, EVAL_AVG_24H = 1, EVAL_AVG_MDA8 = 2 } EvalAveraging;
/* "1h", "24h", "MDA8" */
const char *evalstats_averaging_name(EvalAveraging a);

/* Averages two hourly series on the same hour ends (t_end0 + h h, NAN missing) per avg with
 * the GB 3095 validity rules, natural days at UTC offset tz_s (OBS_BEIJING_OFFSET_S), and
 * appends the pairs where both are valid to pm/po from index *np (capacity cap; *np advanced).
 * Call it per station and again into a pooled buffer for the ALL row.  MDA8 uses any valid
 * window (no HJ 663 14-window rule: the evaluation pairs what both series have).
 * Returns 0, BG_EFAIL when cap is too small (nothing appended) or memory fails. */
int evalstats_pairs(EvalAveraging avg, const double *model_h, const double *obs_h, size_t nh,
                    double t_end0, double tz_s, double *pm, double *po, size_t cap, size_t *np);

/* ------------------------------------------------------------------ benchmarks ---- */

typedef enum { EVAL_METRIC_NMB, EVAL_METRIC_NME, EVAL_METRIC_MFB, EVAL_METRIC_MFE, EVAL_METRIC_R } EvalMetric;

typedef struct {
    const char *source;  /* "Emery2017", "Huang2021-China", "BoylanRussell2006" */
    const char *species; /* canonical name, e.g. "PM25" */
    EvalMetric metric;
    double goal, criteria; /* percent for NMB..MFE (|value| limits for NMB, MFB); r lower limits */
} EvalBenchmark;

/* The compiled table and its length. */
const EvalBenchmark *evalstats_benchmarks(int *n);

typedef enum { EVAL_VERDICT_NONE = -1, EVAL_VERDICT_GOAL = 0, EVAL_VERDICT_CRITERIA = 1,
               EVAL_VERDICT_OUTSIDE = 2 } EvalVerdict;

/* Verdict of one benchmark for statistics s (limits inclusive: |NMB| <= goal is "goal").
 * NONE when the statistic is NAN. */
EvalVerdict evalstats_verdict(const EvalBenchmark *b, const EvalStats *s);
const char *evalstats_verdict_name(EvalVerdict v); /* "goal", "criteria", "outside", "" */
const char *evalstats_metric_name(EvalMetric m);   /* "NMB", ... */

/* ------------------------------------------------------------ categorical scores ---- */

/* a hits, b false alarms, c misses, d correct negatives. */
typedef struct {
    long a, b, c, d;
} Contingency;

/* Counts one forecast/observed pair for the event "value > threshold" (strict, as the AQI
 * events "AQI > 200"); a pair with a NAN is skipped. */
void contingency_add(Contingency *t, double forecast, double observed, double threshold);

typedef struct {
    double pod, far, csi, ets, hss; /* NAN when the denominator is 0 */
    double bias, accuracy;          /* frequency bias (a+b)/(a+c), proportion correct */
} CatScores;

void contingency_scores(const Contingency *t, CatScores *s);

/* Forecast verification of city-days (standards README 4.3; docs/evaluation.md): the events
 * "daily AQI > 100 / 150 / 200 / 300" (2x2 tables), the event "a warning in force" (level >
 * none), and three accuracies: AQI level (forecast level == observed level, HJ 633 levels
 * I..VI), warning level (forecast == observed warning level under the same scheme) and primary
 * pollutant (among days with observed AQI > 50, when a primary pollutant exists: correct when
 * at least one forecast primary pollutant is an observed one; a forecast AQI <= 50 has none and
 * counts as wrong). */
#define FC_NEVENT 4
extern const int fc_event_aqi[FC_NEVENT]; /* 100, 150, 200, 300 */

typedef struct {
    Contingency aqi[FC_NEVENT];
    Contingency warn;
    long n_level, ok_level;
    long n_primary, ok_primary;
    long n_warn, ok_warn;
} FcScores;

/* Adds one city-day.  fc_aqi / obs_aqi < 0: missing (the AQI scores skip the day);
 * fc_warn / obs_warn: WarnLevel values, < 0 missing (the warning scores skip the day). */
void fcscores_add(FcScores *s, int fc_aqi, int obs_aqi, unsigned fc_primary, unsigned obs_primary,
                  int fc_warn, int obs_warn);
/* ok / n, NAN when n = 0 */
double fcscores_fraction(long ok, long n);

/* ------------------------------------------------------------ evaluation.csv ---- */

typedef struct {
    const char *station; /* "ALL" for the pooled row */
    const char *species;
    EvalAveraging avg;
    EvalStats s;
} EvalRow;

/* Writes path with the DESIGN 2.4 columns
 * station,species,averaging,N,obs_mean,model_mean,MB,ME,RMSE,NMB,NME,MFB,MFE,r,IOA,FAC2
 * (NAN written as an empty field, values with 10 significant digits), first to path.tmp then
 * renamed.  BG_EFAIL names the file on any write error. */
int evalstats_write_csv(const char *path, const EvalRow *rows, size_t n, BgErr *e);
/* The same with a trailing column lead_day (lead[k] of row k; empty when lead[k] < 0, i.e. all
 * lead days pooled): the extension written when forecast cycles are evaluated.  lead NULL is
 * evalstats_write_csv. */
int evalstats_write_csv_lead(const char *path, const EvalRow *rows, const int *lead, size_t n, BgErr *e);

/* evaluation_categorical.csv: one row per lead day (empty = all pooled) and score:
 *   lead_day,score,N,a,b,c,d,POD,FAR,CSI,ETS,HSS,bias,accuracy
 * score "AQI>100" ... "AQI>300" and "warning" (2x2 tables, all columns), "AQI_level",
 * "warning_level", "primary" (N and accuracy only).  s[k] is lead day lead[k] (-1 = all). */
int evalstats_write_categorical(const char *path, const FcScores *s, const int *lead, int n, BgErr *e);

#endif
