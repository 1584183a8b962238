#include "evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvutil.h"
#include "evalstats.h"
#include "obs.h"
#include "timeutil.h"

#define PATH_LEN 4096

static const char usage[] =
    "usage: bogda evaluate RUNDIR... --obs OBS.csv [--out DIR]\n"
    "  Pairs the hourly station values of every RUNDIR (stations.csv) with the observations\n"
    "  (CSV station,lon,lat,time,species,value,unit; times with their UTC offset) and writes\n"
    "  evaluation.csv and evaluation.md in DIR (default: the first RUNDIR): N, means, MB, ME,\n"
    "  RMSE, NMB, NME, MFB, MFE, r, IOA, FAC2 per species and station and pooled (ALL), hourly,\n"
    "  daily and MDA8 (O3), with the benchmark verdicts of Emery et al. (2017).\n";

/* One model series: station x species on the run's hour ends. */
typedef struct Series {
    char station[64], species[16];
    double *v; /* [nh] */
} Series;

typedef struct Run {
    double t_end0;
    size_t nh;
    int ns;
    Series *s;
} Run;

static int find_series(Run *r, const char *st, const char *sp)
{
    for (int k = 0; k < r->ns; k++)
        if (!strcmp(r->s[k].station, st) && !strcmp(r->s[k].species, sp)) return k;
    return -1;
}

/* RUNDIR/stations.csv: station,time,species,value,unit (hour ends, UTC) */
static int read_run(const char *dir, Run *r, BgErr *e)
{
    char path[PATH_LEN + 64], line[1024];
    snprintf(path, sizeof path, "%s/stations.csv", dir);
    memset(r, 0, sizeof *r);
    for (int pass = 0; pass < 2; pass++) {
        FILE *f = fopen(path, "r");
        if (!f) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open (the run needs [stations] file)");
        double tmin = INFINITY, tmax = -INFINITY;
        int ln = 0;
        while (fgets(line, sizeof line, f)) {
            ln++;
            char *fld[6];
            if (ln == 1) continue;
            double t;
            if (csv_split(line, fld, 6) != 5 || time_parse(fld[1], &t)) {
                fclose(f);
                char w[32];
                snprintf(w, sizeof w, "%d", ln);
                return bg_fail(e, BG_EINPUT, path, w, "expected station,time,species,value,unit");
            }
            if (pass == 0) {
                tmin = fmin(tmin, t);
                tmax = fmax(tmax, t);
                if (find_series(r, fld[0], fld[2]) < 0) {
                    Series *ns = realloc(r->s, (size_t)(r->ns + 1) * sizeof *ns);
                    if (!ns) { fclose(f); return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); }
                    r->s = ns;
                    memset(&r->s[r->ns], 0, sizeof r->s[r->ns]);
                    snprintf(r->s[r->ns].station, sizeof r->s[r->ns].station, "%s", fld[0]);
                    snprintf(r->s[r->ns].species, sizeof r->s[r->ns].species, "%s", fld[2]);
                    r->ns++;
                }
            } else {
                int k = find_series(r, fld[0], fld[2]);
                long h = lround((t - r->t_end0) / 3600.0);
                if (k >= 0 && h >= 0 && (size_t)h < r->nh) r->s[k].v[h] = fld[3][0] ? atof(fld[3]) : NAN;
            }
        }
        fclose(f);
        if (pass == 0) {
            if (r->ns == 0) return bg_fail(e, BG_EINPUT, path, NULL, "holds no station value");
            r->t_end0 = tmin;
            r->nh = (size_t)lround((tmax - tmin) / 3600.0) + 1;
            for (int k = 0; k < r->ns; k++) {
                r->s[k].v = malloc(r->nh * sizeof *r->s[k].v);
                if (!r->s[k].v) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
                for (size_t h = 0; h < r->nh; h++) r->s[k].v[h] = NAN;
            }
        }
    }
    return BG_OK;
}

static void free_run(Run *r)
{
    for (int k = 0; k < r->ns; k++) free(r->s[k].v);
    free(r->s);
}

/* growing pair buffers for one (station or ALL, species, averaging) */
typedef struct Pool {
    char station[64], species[16];
    EvalAveraging avg;
    double *pm, *po;
    size_t n, cap;
} Pool;

static Pool *pool_get(Pool **pools, int *np, const char *st, const char *sp, EvalAveraging avg)
{
    for (int k = 0; k < *np; k++)
        if ((*pools)[k].avg == avg && !strcmp((*pools)[k].station, st) && !strcmp((*pools)[k].species, sp))
            return &(*pools)[k];
    Pool *p = realloc(*pools, (size_t)(*np + 1) * sizeof *p);
    if (!p) return NULL;
    *pools = p;
    Pool *q = &p[(*np)++];
    memset(q, 0, sizeof *q);
    snprintf(q->station, sizeof q->station, "%s", st);
    snprintf(q->species, sizeof q->species, "%s", sp);
    q->avg = avg;
    return q;
}

static int pool_add(Pool *p, EvalAveraging avg, const double *m, const double *o, size_t nh, double t0)
{
    if (p->n + nh + 1 > p->cap) {
        size_t cap = (p->n + nh + 1) * 2;
        double *a = realloc(p->pm, cap * sizeof *a), *b = a ? realloc(p->po, cap * sizeof *b) : NULL;
        if (!a || !b) return BG_EFAIL;
        p->pm = a;
        p->po = b;
        p->cap = cap;
    }
    return evalstats_pairs(avg, m, o, nh, t0, OBS_BEIJING_OFFSET_S, p->pm, p->po, p->cap, &p->n);
}

int evaluate_main(int argc, char **argv, BgErr *e)
{
    const char *obsf = NULL, *out = NULL;
    const char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
    int nd = 0, rc = BG_OK;
    if (!dirs) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int i = 1; i < argc && rc == BG_OK; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            free(dirs);
            return BG_OK;
        } else if (!strcmp(argv[i], "--obs") && i + 1 < argc) {
            obsf = argv[++i];
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] == '-') {
            rc = bg_fail(e, BG_ECONFIG, "evaluate", argv[i], "unknown option\n%s", usage);
        } else {
            dirs[nd++] = argv[i];
        }
    }
    if (rc == BG_OK && (!obsf || nd == 0)) rc = bg_fail(e, BG_ECONFIG, "evaluate", NULL, "needs RUNDIR... and --obs OBS.csv\n%s", usage);
    if (rc != BG_OK) {
        free(dirs);
        return rc;
    }
    if (!out) out = dirs[0];
    ObsSet obs;
    memset(&obs, 0, sizeof obs);
    rc = obs_read(obsf, &obs, e);
    Pool *pools = NULL;
    int npool = 0;
    for (int d = 0; d < nd && rc == BG_OK; d++) {
        Run r;
        rc = read_run(dirs[d], &r, e);
        double *o = rc == BG_OK ? malloc(r.nh * sizeof *o) : NULL;
        if (rc == BG_OK && !o) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        for (int k = 0; k < r.ns && rc == BG_OK; k++) {
            const Series *s = &r.s[k];
            const char *canon = obs_species_canonical(s->species);
            if (!canon || obs_series(&obs, s->station, canon, r.t_end0, r.nh, o) == 0) continue;
            static const EvalAveraging avgs[3] = {EVAL_AVG_1H, EVAL_AVG_24H, EVAL_AVG_MDA8};
            for (int a = 0; a < 3 && rc == BG_OK; a++) {
                if (avgs[a] == EVAL_AVG_MDA8 && strcmp(canon, "O3")) continue;
                Pool *ps = pool_get(&pools, &npool, s->station, canon, avgs[a]);
                Pool *pa = ps ? pool_get(&pools, &npool, "ALL", canon, avgs[a]) : NULL;
                /* pool_get may move the array: look the station pool up again */
                ps = pa ? pool_get(&pools, &npool, s->station, canon, avgs[a]) : NULL;
                if (!ps || !pa) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
                else if (pool_add(ps, avgs[a], s->v, o, r.nh, r.t_end0) || pool_add(pa, avgs[a], s->v, o, r.nh, r.t_end0))
                    rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
            }
        }
        free(o);
        if (rc == BG_OK || r.s) free_run(&r);
    }
    EvalRow *rows = calloc((size_t)npool + 1, sizeof *rows);
    int nr = 0;
    for (int k = 0; rows && k < npool && rc == BG_OK; k++) {
        if (pools[k].n == 0) continue;
        rows[nr].station = pools[k].station;
        rows[nr].species = pools[k].species;
        rows[nr].avg = pools[k].avg;
        evalstats_compute(pools[k].pm, pools[k].po, pools[k].n, &rows[nr].s);
        nr++;
    }
    if (rc == BG_OK && nr == 0)
        rc = bg_fail(e, BG_EINPUT, obsf, NULL, "no observation matches a model station, species and hour");
    char path[PATH_LEN + 64];
    if (rc == BG_OK) {
        snprintf(path, sizeof path, "%s/evaluation.csv", out);
        rc = evalstats_write_csv(path, rows, (size_t)nr, e);
    }
    if (rc == BG_OK) {
        /* evaluation.md: the pooled rows and their benchmark verdicts */
        char tmp[PATH_LEN + 80];
        snprintf(path, sizeof path, "%s/evaluation.md", out);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        if (!f) {
            rc = bg_fail(e, BG_EFAIL, tmp, NULL, "cannot create");
        } else {
            fprintf(f, "# Model evaluation\n\nRuns:");
            for (int d = 0; d < nd; d++) fprintf(f, " `%s`", dirs[d]);
            fprintf(f, "; observations `%s`. Pooled over all stations (station ALL); per-station rows are "
                       "in evaluation.csv. NMB, NME, MFB, MFE in percent.\n\n", obsf);
            fprintf(f, "| species | averaging | N | obs mean | model mean | NMB | NME | MFB | MFE | r | IOA | FAC2 | benchmarks |\n"
                       "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
            int nb = 0;
            const EvalBenchmark *b = evalstats_benchmarks(&nb);
            for (int k = 0; k < nr; k++) {
                if (strcmp(rows[k].station, "ALL")) continue;
                const EvalStats *s = &rows[k].s;
                fprintf(f, "| %s | %s | %zu | %.4g | %.4g | %.1f | %.1f | %.1f | %.1f | %.3f | %.3f | %.3f | ",
                        rows[k].species, evalstats_averaging_name(rows[k].avg), s->n, s->obs_mean, s->model_mean,
                        s->nmb, s->nme, s->mfb, s->mfe, s->r, s->ioa, s->fac2);
                for (int i = 0; i < nb; i++)
                    if (!strcmp(b[i].species, rows[k].species))
                        fprintf(f, "%s %s: %s; ", b[i].source, evalstats_metric_name(b[i].metric),
                                evalstats_verdict_name(evalstats_verdict(&b[i], s)));
                fprintf(f, "|\n");
            }
            if (fclose(f) || rename(tmp, path)) rc = bg_fail(e, BG_EFAIL, path, NULL, "cannot write");
        }
    }
    if (rc == BG_OK) printf("evaluate: %d rows -> %s/evaluation.csv, evaluation.md\n", nr, out);
    for (int k = 0; k < npool; k++) {
        free(pools[k].pm);
        free(pools[k].po);
    }
    free(pools);
    free(rows);
    obs_free(&obs);
    free(dirs);
    return rc;
}
