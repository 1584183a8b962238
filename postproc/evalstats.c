/* Model evaluation statistics, benchmarks, contingency scores, evaluation.csv (evalstats.h). */
#include "evalstats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "aqi.h"
#include "obs.h"

int evalstats_compute(const double *model, const double *obs, size_t n, EvalStats *s)
{
    s->n = 0;
    s->obs_mean = s->model_mean = s->mb = s->me = s->rmse = NAN;
    s->nmb = s->nme = s->mfb = s->mfe = s->r = s->ioa = s->fac2 = NAN;
    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(model[i]) && !isnan(obs[i])) np++;
    if (np == 0) return 0;
    /* GSL wants contiguous arrays: compact the valid pairs into scratch */
    double *m = malloc(2 * np * sizeof *m);
    if (!m) return BG_EFAIL;
    double *o = m + np;
    for (size_t i = 0, k = 0; i < n; i++)
        if (!isnan(model[i]) && !isnan(obs[i])) {
            m[k] = model[i];
            o[k] = obs[i];
            k++;
        }
    const double N = (double)np;
    double sd = 0, sad = 0, sd2 = 0, so = 0, sfb = 0, sfe = 0;
    size_t in2 = 0;
    for (size_t k = 0; k < np; k++) {
        double d = m[k] - o[k], ad = fabs(d);
        sd += d;
        sad += ad;
        sd2 += d * d;
        so += o[k];
        double sum = m[k] + o[k];
        if (sum != 0.0) {
            sfb += d / sum;
            sfe += ad / sum;
        }
        if (o[k] == 0.0) {
            if (m[k] == 0.0) in2++;
        } else {
            double q = m[k] / o[k];
            if (q >= 0.5 && q <= 2.0) in2++;
        }
    }
    s->n = np;
    s->obs_mean = gsl_stats_mean(o, 1, np);
    s->model_mean = gsl_stats_mean(m, 1, np);
    s->mb = sd / N;
    s->me = sad / N;
    s->rmse = sqrt(sd2 / N);
    s->nmb = so != 0.0 ? sd / so * 100.0 : NAN;
    s->nme = so != 0.0 ? sad / so * 100.0 : NAN;
    s->mfb = 2.0 / N * sfb * 100.0;
    s->mfe = 2.0 / N * sfe * 100.0;
    s->fac2 = (double)in2 / N;
    double vm = 0, vo = 0, den = 0;
    for (size_t k = 0; k < np; k++) {
        double dm = m[k] - s->model_mean, dob = o[k] - s->obs_mean;
        vm += dm * dm;
        vo += dob * dob;
        double w = fabs(m[k] - s->obs_mean) + fabs(dob);
        den += w * w;
    }
    s->r = (vm > 0 && vo > 0 && np > 1) ? gsl_stats_correlation(m, 1, o, 1, np) : NAN;
    /* Willmott (1981) d; den = 0 forces every M and O to equal Obar, i.e. a perfect model */
    s->ioa = den > 0 ? 1.0 - sd2 / den : 1.0;
    free(m);
    return 0;
}

const char *evalstats_averaging_name(EvalAveraging a)
{
    switch (a) {
    case EVAL_AVG_1H: return "1h";
    case EVAL_AVG_24H: return "24h";
    case EVAL_AVG_MDA8: return "MDA8";
    }
    return "?";
}

int evalstats_pairs(EvalAveraging avg, const double *model_h, const double *obs_h, size_t nh,
                    double t_end0, double tz_s, double *pm, double *po, size_t cap, size_t *np)
{
    if (avg == EVAL_AVG_1H) {
        size_t k = 0;
        for (size_t h = 0; h < nh; h++)
            if (!isnan(model_h[h]) && !isnan(obs_h[h])) k++;
        if (*np + k > cap) return BG_EFAIL;
        for (size_t h = 0; h < nh; h++)
            if (!isnan(model_h[h]) && !isnan(obs_h[h])) {
                pm[*np] = model_h[h];
                po[*np] = obs_h[h];
                (*np)++;
            }
        return 0;
    }
    size_t nd = obs_ndays(t_end0, nh, tz_s, NULL);
    double *buf = malloc((2 * nd + nh) * sizeof *buf);
    if (!buf) return BG_EFAIL;
    double *dm = buf, *dob = buf + nd, *work = buf + 2 * nd;
    if (avg == EVAL_AVG_24H) {
        obs_daily_mean(model_h, nh, t_end0, tz_s, dm, NULL);
        obs_daily_mean(obs_h, nh, t_end0, tz_s, dob, NULL);
    } else {
        obs_mda8(model_h, nh, t_end0, tz_s, 1, work, dm);
        obs_mda8(obs_h, nh, t_end0, tz_s, 1, work, dob);
    }
    size_t k = 0;
    for (size_t d = 0; d < nd; d++)
        if (!isnan(dm[d]) && !isnan(dob[d])) k++;
    int rc = 0;
    if (*np + k > cap) rc = BG_EFAIL;
    else
        for (size_t d = 0; d < nd; d++)
            if (!isnan(dm[d]) && !isnan(dob[d])) {
                pm[*np] = dm[d];
                po[*np] = dob[d];
                (*np)++;
            }
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ benchmarks ---- */

/* validation/standards/evaluation_benchmarks.csv, compiled in so that nothing outside the
 * repository is read at run time:
 *   Emery et al. (2017), JAWMA 67:582-598, doi:10.1080/10962247.2016.1265027, Table 2
 *     (O3 hourly/MDA8; 24-h PM2.5 and species) -- numbers marked "verify" in the README;
 *   Huang et al. (2021), ACP 21:2725, PM2.5 benchmarks for China (secondary, "verify");
 *   Boylan & Russell (2006), Atmos. Environ. 40:4946, doi:10.1016/j.atmosenv.2005.09.087,
 *     PM MFB/MFE goal and criteria (the constant part; the low-concentration relaxation
 *     curves are not applied). */
static const EvalBenchmark BENCH[] = {
    {"Emery2017", "O3", EVAL_METRIC_NMB, 5, 15},
    {"Emery2017", "O3", EVAL_METRIC_NME, 15, 25},
    {"Emery2017", "O3", EVAL_METRIC_R, 0.75, 0.50},
    {"Emery2017", "PM25", EVAL_METRIC_NMB, 10, 30},
    {"Emery2017", "PM25", EVAL_METRIC_NME, 35, 50},
    {"Emery2017", "PM25", EVAL_METRIC_R, 0.70, 0.40},
    {"Emery2017", "PSO4", EVAL_METRIC_NMB, 10, 30},
    {"Emery2017", "PSO4", EVAL_METRIC_NME, 35, 50},
    {"Emery2017", "PNH4", EVAL_METRIC_NMB, 10, 30},
    {"Emery2017", "PNH4", EVAL_METRIC_NME, 35, 50},
    {"Emery2017", "PNO3", EVAL_METRIC_NMB, 15, 65},
    {"Emery2017", "PNO3", EVAL_METRIC_NME, 65, 115},
    {"Emery2017", "POC", EVAL_METRIC_NMB, 15, 50},
    {"Emery2017", "POC", EVAL_METRIC_NME, 45, 65},
    {"Emery2017", "PBC", EVAL_METRIC_NMB, 20, 40},
    {"Emery2017", "PBC", EVAL_METRIC_NME, 50, 75},
    {"Huang2021-China", "PM25", EVAL_METRIC_NMB, 10, 20},
    {"Huang2021-China", "PM25", EVAL_METRIC_NME, 35, 45},
    {"Huang2021-China", "PM25", EVAL_METRIC_R, 0.70, 0.60},
    {"BoylanRussell2006", "PM25", EVAL_METRIC_MFB, 30, 60},
    {"BoylanRussell2006", "PM25", EVAL_METRIC_MFE, 50, 75},
};

const EvalBenchmark *evalstats_benchmarks(int *n)
{
    *n = (int)(sizeof BENCH / sizeof BENCH[0]);
    return BENCH;
}

const char *evalstats_metric_name(EvalMetric m)
{
    static const char *const N[] = {"NMB", "NME", "MFB", "MFE", "r"};
    return (m >= EVAL_METRIC_NMB && m <= EVAL_METRIC_R) ? N[m] : "?";
}

EvalVerdict evalstats_verdict(const EvalBenchmark *b, const EvalStats *s)
{
    double v;
    switch (b->metric) {
    case EVAL_METRIC_NMB: v = fabs(s->nmb); break;
    case EVAL_METRIC_NME: v = s->nme; break;
    case EVAL_METRIC_MFB: v = fabs(s->mfb); break;
    case EVAL_METRIC_MFE: v = s->mfe; break;
    case EVAL_METRIC_R:
        if (isnan(s->r)) return EVAL_VERDICT_NONE;
        return s->r >= b->goal ? EVAL_VERDICT_GOAL
               : s->r >= b->criteria ? EVAL_VERDICT_CRITERIA : EVAL_VERDICT_OUTSIDE;
    default: return EVAL_VERDICT_NONE;
    }
    if (isnan(v)) return EVAL_VERDICT_NONE;
    return v <= b->goal ? EVAL_VERDICT_GOAL : v <= b->criteria ? EVAL_VERDICT_CRITERIA : EVAL_VERDICT_OUTSIDE;
}

const char *evalstats_verdict_name(EvalVerdict v)
{
    switch (v) {
    case EVAL_VERDICT_GOAL: return "goal";
    case EVAL_VERDICT_CRITERIA: return "criteria";
    case EVAL_VERDICT_OUTSIDE: return "outside";
    default: return "";
    }
}

/* ------------------------------------------------------------ categorical scores ---- */

void contingency_add(Contingency *t, double forecast, double observed, double threshold)
{
    if (isnan(forecast) || isnan(observed)) return;
    int f = forecast > threshold, o = observed > threshold;
    if (f && o) t->a++;
    else if (f) t->b++;
    else if (o) t->c++;
    else t->d++;
}

static double ratio(double num, double den)
{
    return den != 0.0 ? num / den : NAN;
}

void contingency_scores(const Contingency *t, CatScores *s)
{
    double a = (double)t->a, b = (double)t->b, c = (double)t->c, d = (double)t->d;
    double n = a + b + c + d;
    s->pod = ratio(a, a + c);
    s->far = ratio(b, a + b);
    s->csi = ratio(a, a + b + c);
    double ar = n > 0 ? (a + b) * (a + c) / n : NAN; /* hits expected by chance */
    s->ets = n > 0 ? ratio(a - ar, a + b + c - ar) : NAN;
    s->hss = ratio(2.0 * (a * d - b * c), (a + c) * (c + d) + (a + b) * (b + d));
    s->bias = ratio(a + b, a + c);
    s->accuracy = ratio(a + d, n);
}

/* ------------------------------------------------------------ evaluation.csv ---- */

static void put(FILE *f, double v)
{
    if (isnan(v)) fputs(",", f);
    else fprintf(f, ",%.10g", v);
}

static int close_tmp(FILE *f, const char *tmp, const char *path, BgErr *e)
{
    int err = 0;
    if (ferror(f) || fflush(f) != 0) err = errno ? errno : EIO;
    if (fclose(f) != 0 && !err) err = errno ? errno : EIO;
    if (err) {
        remove(tmp);
        return bg_fail(e, BG_EFAIL, tmp, NULL, "write failed: %s", strerror(err));
    }
    if (rename(tmp, path) != 0) {
        int re = errno;
        remove(tmp);
        return bg_fail(e, BG_EFAIL, path, NULL, "cannot rename from %s: %s", tmp, strerror(re));
    }
    return BG_OK;
}

static int open_tmp(const char *path, char *tmp, size_t n, FILE **f, BgErr *e)
{
    if ((size_t)snprintf(tmp, n, "%s.tmp", path) >= n) return bg_fail(e, BG_EFAIL, path, NULL, "path too long");
    *f = fopen(tmp, "w");
    if (!*f) return bg_fail(e, BG_EFAIL, tmp, NULL, "cannot create: %s", strerror(errno));
    return BG_OK;
}

int evalstats_write_csv_lead(const char *path, const EvalRow *rows, const int *lead, size_t n, BgErr *e)
{
    char tmp[4200];
    FILE *f;
    BG_TRY(open_tmp(path, tmp, sizeof tmp, &f, e));
    fputs("station,species,averaging,N,obs_mean,model_mean,MB,ME,RMSE,NMB,NME,MFB,MFE,r,IOA,FAC2", f);
    fputs(lead ? ",lead_day\n" : "\n", f);
    for (size_t k = 0; k < n; k++) {
        const EvalRow *r = &rows[k];
        fprintf(f, "%s,%s,%s,%zu", r->station, r->species, evalstats_averaging_name(r->avg), r->s.n);
        const double v[12] = {r->s.obs_mean, r->s.model_mean, r->s.mb, r->s.me, r->s.rmse, r->s.nmb,
                              r->s.nme, r->s.mfb, r->s.mfe, r->s.r, r->s.ioa, r->s.fac2};
        for (int j = 0; j < 12; j++) put(f, v[j]);
        if (lead) {
            if (lead[k] >= 0) fprintf(f, ",%d", lead[k]);
            else fputc(',', f);
        }
        fputc('\n', f);
    }
    return close_tmp(f, tmp, path, e);
}

int evalstats_write_csv(const char *path, const EvalRow *rows, size_t n, BgErr *e)
{
    return evalstats_write_csv_lead(path, rows, NULL, n, e);
}

/* ------------------------------------------------------- forecast verification ---- */

const int fc_event_aqi[FC_NEVENT] = {100, 150, 200, 300};

void fcscores_add(FcScores *s, int fc_aqi, int obs_aqi, unsigned fc_primary, unsigned obs_primary,
                  int fc_warn, int obs_warn)
{
    if (fc_aqi >= 0 && obs_aqi >= 0) {
        for (int k = 0; k < FC_NEVENT; k++) contingency_add(&s->aqi[k], fc_aqi, obs_aqi, fc_event_aqi[k]);
        s->n_level++;
        s->ok_level += aqi_level(fc_aqi)->level == aqi_level(obs_aqi)->level;
        /* HJ 633 names a primary pollutant only above AQI 50 */
        if (obs_aqi > 50 && obs_primary) {
            s->n_primary++;
            s->ok_primary += fc_aqi > 50 && (fc_primary & obs_primary) != 0;
        }
    }
    if (fc_warn >= 0 && obs_warn >= 0) {
        contingency_add(&s->warn, fc_warn, obs_warn, 0.5); /* level > none */
        s->n_warn++;
        s->ok_warn += fc_warn == obs_warn;
    }
}

double fcscores_fraction(long ok, long n) { return n > 0 ? (double)ok / (double)n : NAN; }

int evalstats_write_categorical(const char *path, const FcScores *s, const int *lead, int n, BgErr *e)
{
    char tmp[4200];
    FILE *f;
    BG_TRY(open_tmp(path, tmp, sizeof tmp, &f, e));
    fputs("lead_day,score,N,a,b,c,d,POD,FAR,CSI,ETS,HSS,bias,accuracy\n", f);
    for (int k = 0; k < n; k++) {
        char ld[16] = "";
        if (lead[k] >= 0) snprintf(ld, sizeof ld, "%d", lead[k]);
        for (int q = 0; q <= FC_NEVENT; q++) {
            const Contingency *t = q < FC_NEVENT ? &s[k].aqi[q] : &s[k].warn;
            CatScores c;
            contingency_scores(t, &c);
            char name[16];
            if (q < FC_NEVENT) snprintf(name, sizeof name, "AQI>%d", fc_event_aqi[q]);
            else snprintf(name, sizeof name, "warning");
            fprintf(f, "%s,%s,%ld,%ld,%ld,%ld,%ld", ld, name, t->a + t->b + t->c + t->d, t->a, t->b, t->c, t->d);
            const double v[7] = {c.pod, c.far, c.csi, c.ets, c.hss, c.bias, c.accuracy};
            for (int j = 0; j < 7; j++) put(f, v[j]);
            fputc('\n', f);
        }
        const struct { const char *name; long ok, n; } acc[3] = {
            {"AQI_level", s[k].ok_level, s[k].n_level},
            {"warning_level", s[k].ok_warn, s[k].n_warn},
            {"primary", s[k].ok_primary, s[k].n_primary}};
        for (int j = 0; j < 3; j++) {
            fprintf(f, "%s,%s,%ld,,,,,,,,,,", ld, acc[j].name, acc[j].n);
            put(f, fcscores_fraction(acc[j].ok, acc[j].n));
            fputc('\n', f);
        }
    }
    return close_tmp(f, tmp, path, e);
}
