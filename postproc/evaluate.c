#include "evaluate.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aqi.h"
#include "aqiseries.h"
#include "config.h"
#include "csvutil.h"
#include "evalstats.h"
#include "figures.h"
#include "obs.h"
#include "timeutil.h"
#include "warnings.h"

#define PATH_LEN 4096

static int mkdir_one(const char *d) { return (mkdir(d, 0777) && errno != EEXIST) ? -1 : 0; }

static const char usage[] =
    "usage: bogda evaluate RUNDIR... --obs OBS.csv [--out DIR]\n"
    "  Pairs the hourly station values of every RUNDIR (stations.csv) with the observations\n"
    "  (CSV station,lon,lat,time,species,value,unit; times with their UTC offset) and writes\n"
    "  evaluation.csv and evaluation.md in DIR (default: the first RUNDIR): N, means, MB, ME,\n"
    "  RMSE, NMB, NME, MFB, MFE, r, IOA, FAC2 per species and station and pooled (ALL), hourly,\n"
    "  daily and MDA8 (O3), with the benchmark verdicts of Emery et al. (2017), and PNG time\n"
    "  series and scatter plots of PM2.5 per station in DIR/figures.  Forecast-cycle directories\n"
    "  (bogda forecast: forecast_cycle.ini) add scores by lead day (column lead_day) and\n"
    "  evaluation_categorical.csv: AQI > 100/150/200/300 and warning events (POD, FAR, CSI, ETS,\n"
    "  HSS), AQI level, warning level and primary-pollutant accuracy by lead day.\n";

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
            /* empty is a missing value; anything else must be a number (atof read "abc" as 0) */
            char *end;
            double val = fld[3][0] ? strtod(fld[3], &end) : NAN;
            if (fld[3][0] && (end == fld[3] || *end || !isfinite(val))) {
                fclose(f);
                char w[32];
                snprintf(w, sizeof w, "%d", ln);
                return bg_fail(e, BG_EINPUT, path, w, "value '%s' is not a number", fld[3]);
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
                if (k >= 0 && h >= 0 && (size_t)h < r->nh) r->s[k].v[h] = val;
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
    int lead; /* lead day, -1 = all */
    double *pm, *po;
    size_t n, cap;
} Pool;

static Pool *pool_get(Pool **pools, int *np, const char *st, const char *sp, EvalAveraging avg, int lead)
{
    for (int k = 0; k < *np; k++)
        if ((*pools)[k].avg == avg && (*pools)[k].lead == lead && !strcmp((*pools)[k].station, st) &&
            !strcmp((*pools)[k].species, sp))
            return &(*pools)[k];
    Pool *p = realloc(*pools, (size_t)(*np + 1) * sizeof *p);
    if (!p) return NULL;
    *pools = p;
    Pool *q = &p[(*np)++];
    memset(q, 0, sizeof *q);
    snprintf(q->station, sizeof q->station, "%s", st);
    snprintf(q->species, sizeof q->species, "%s", sp);
    q->avg = avg;
    q->lead = lead;
    return q;
}

static int pool_add(Pool *p, EvalAveraging avg, const double *m, const double *o, size_t nh, double t0)
{
    if (p->n + nh + 1 > p->cap) {
        size_t cap = (p->n + nh + 1) * 2;
        /* each pointer is replaced as soon as its realloc succeeds: the old block is gone then */
        double *a = realloc(p->pm, cap * sizeof *a);
        if (!a) return BG_EFAIL;
        p->pm = a;
        double *b = realloc(p->po, cap * sizeof *b);
        if (!b) return BG_EFAIL;
        p->po = b;
        p->cap = cap;
    }
    return evalstats_pairs(avg, m, o, nh, t0, OBS_BEIJING_OFFSET_S, p->pm, p->po, p->cap, &p->n);
}


/* ------------------------------------------------------------ forecast cycles ---- */

#define MAX_LEAD 32
#define MAX_UNIT 64
#define MAX_DAY_EVAL 64

/* What a forecast-cycle directory records (forecast_cycle.ini, forecast_stations.csv). */
typedef struct Cycle {
    int is_cycle;
    double start;
    WarnScheme scheme;
    int bad;                      /* a malformed record */
    char what[96];
    int nst;
    char (*st)[64];
    int *stcity;
    int ncity;
    char city[MAX_UNIT][64];
    int nreg;
    char reg[MAX_UNIT][64];
    char regcities[MAX_UNIT][512];
} Cycle;

static int cycle_ini(void *user, const char *section, const char *name, const char *value)
{
    Cycle *c = user;
    if (!strcmp(section, "cycle")) {
        if (!strcmp(name, "start") && time_parse(value, &c->start)) {
            c->bad = 1;
            snprintf(c->what, sizeof c->what, "start");
        }
        if (!strcmp(name, "warning_scheme")) {
            BgErr e = {0};
            if (warn_scheme_parse(value, &c->scheme, &e)) {
                c->bad = 1;
                snprintf(c->what, sizeof c->what, "warning_scheme");
            }
        }
    } else if (!strncmp(section, "region ", 7) && !strcmp(name, "cities") && c->nreg < MAX_UNIT) {
        snprintf(c->reg[c->nreg], sizeof c->reg[0], "%s", section + 7);
        snprintf(c->regcities[c->nreg], sizeof c->regcities[0], "%s", value);
        c->nreg++;
    }
    return 1;
}

static void cycle_free(Cycle *c)
{
    free(c->st);
    free(c->stcity);
}

/* A directory without forecast_cycle.ini is a plain run (no lead days). */
static int read_cycle(const char *dir, Cycle *c, BgErr *e)
{
    memset(c, 0, sizeof *c);
    c->start = NAN;
    char path[PATH_LEN + 64], line[512];
    snprintf(path, sizeof path, "%s/forecast_cycle.ini", dir);
    FILE *f = fopen(path, "r");
    if (!f) return BG_OK;
    int rc = ini_parse_file(f, cycle_ini, c);
    fclose(f);
    if (rc != 0 || c->bad || isnan(c->start))
        return bg_fail(e, BG_EINPUT, path, c->bad ? c->what : "start", "malformed or missing value (rc %d)", rc);
    c->is_cycle = 1;
    snprintf(path, sizeof path, "%s/forecast_stations.csv", dir);
    f = fopen(path, "r");
    if (!f) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open (written by bogda forecast with the cycle)");
    int ln = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[3];
        if (ln++ == 0 || csv_split(line, fld, 3) != 2 || !fld[0][0] || !fld[1][0]) continue;
        if (c->nst == cap) {
            cap = cap ? 2 * cap : 32;
            void *a = realloc(c->st, (size_t)cap * sizeof *c->st), *b = a ? realloc(c->stcity, (size_t)cap * sizeof *c->stcity) : NULL;
            if (a) c->st = a;
            if (b) c->stcity = b;
            if (!a || !b) {
                fclose(f);
                return bg_fail(e, BG_EFAIL, path, NULL, "out of memory");
            }
        }
        int k = -1;
        for (int q = 0; q < c->ncity; q++)
            if (!strcmp(c->city[q], fld[1])) k = q;
        if (k < 0 && c->ncity < MAX_UNIT) {
            k = c->ncity++;
            snprintf(c->city[k], sizeof c->city[k], "%s", fld[1]);
        }
        snprintf(c->st[c->nst], sizeof c->st[0], "%s", fld[0]);
        c->stcity[c->nst++] = k;
    }
    fclose(f);
    return BG_OK;
}

/* Observed city-day AQI: each station's daily indicators from its hourly observations (GB 3095
 * validity rules: aqs_day_values), the city value the mean over its stations with a valid value
 * (HJ 663), the AQI of the rule in force on the date.  -1 when nothing is available. */
static int obs_city_day(const ObsSet *obs, const Cycle *cy, int city, long day, unsigned *primary)
{
    static const char *const SP[AQS_H_N] = {"PM25", "PM10", "SO2", "NO2", "CO", "O3"};
    double t_end0 = (double)day * 86400.0 - AQS_BEIJING_S + 3600.0; /* the hour ending 01:00 */
    double sum[AQS_D_N] = {0}, hv[AQS_H_N][24];
    int cnt[AQS_D_N] = {0};
    for (int k = 0; k < cy->nst; k++) {
        if (cy->stcity[k] != city) continue;
        const double *vp[AQS_H_N];
        for (int p = 0; p < AQS_H_N; p++) vp[p] = obs_series(obs, cy->st[k], SP[p], t_end0, 24, hv[p]) ? hv[p] : NULL;
        double d[AQS_D_N];
        aqs_day_values(vp, d);
        for (int q = 0; q < AQS_D_N; q++)
            if (!isnan(d[q])) sum[q] += d[q], cnt[q]++;
    }
    double v[AQS_D_N];
    for (int q = 0; q < AQS_D_N; q++) v[q] = cnt[q] ? sum[q] / cnt[q] : NAN;
    int aqi, level;
    aqs_day_aqi(aqi_rule_for_time(t_end0), v, &aqi, &level, primary);
    return aqi;
}

typedef struct FcRow {
    int unit;       /* city index in the cycle */
    long day;
    int lead, aqi;
    unsigned primary;
} FcRow;

typedef struct FcEpisode {
    char unit[64];
    int level;
    double start, end;
} FcEpisode;

static unsigned primary_mask(const char *list)
{
    unsigned m = 0;
    char b[128];
    snprintf(b, sizeof b, "%s", list);
    for (char *tok = strtok(b, ";"); tok; tok = strtok(NULL, ";")) {
        AqiPollutant p;
        if (aqi_pollutant_parse(csv_trim(tok), &p) == 0) m |= 1u << p;
    }
    return m;
}

/* the strictest level of the episodes of unit overlapping Beijing day `day` */
static int level_on_day(const FcEpisode *ep, int nep, const char *unit, long day)
{
    double d0 = (double)day * 86400.0 - AQS_BEIJING_S, d1 = d0 + 86400.0;
    int lv = WARN_NONE;
    for (int k = 0; k < nep; k++)
        if (!strcmp(ep[k].unit, unit) && ep[k].start < d1 && ep[k].end > d0 && ep[k].level > lv) lv = ep[k].level;
    return lv;
}

/* The categorical scores of one cycle, added to sc[lead] and sc[MAX_LEAD] (all leads). */
static int score_cycle(const char *dir, const Cycle *cy, const ObsSet *obs, FcScores *sc, BgErr *e)
{
    char path[PATH_LEN + 64], line[1024];
    snprintf(path, sizeof path, "%s/forecast_city.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open (a forecast cycle directory holds it)");
    FcRow *rows = NULL;
    int nr = 0, cap = 0, ln = 0, rc = BG_OK;
    while (rc == BG_OK && fgets(line, sizeof line, f)) {
        char *fld[15];
        if (ln++ == 0) continue;
        long day;
        if (csv_split(line, fld, 15) != 14 || aqs_day_of_date(fld[1], &day)) {
            char w[32];
            snprintf(w, sizeof w, "%d", ln);
            rc = bg_fail(e, BG_EINPUT, path, w, "expected the 14 columns of DESIGN 2.4");
            break;
        }
        int u = -1;
        for (int q = 0; q < cy->ncity; q++)
            if (!strcmp(cy->city[q], fld[0])) u = q;
        if (u < 0) continue; /* a city without stations in the record cannot be observed */
        if (nr == cap) {
            cap = cap ? 2 * cap : 64;
            FcRow *nrw = realloc(rows, (size_t)cap * sizeof *nrw);
            if (!nrw) {
                rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
                break;
            }
            rows = nrw;
        }
        rows[nr++] = (FcRow){u, day, aqs_lead_day(day, cy->start), fld[10][0] ? atoi(fld[10]) : -1, primary_mask(fld[13])};
    }
    fclose(f);
    /* the forecast warnings of the cycle */
    FcEpisode *ep = NULL;
    int nep = 0;
    if (rc == BG_OK) {
        snprintf(path, sizeof path, "%s/warnings.csv", dir);
        f = fopen(path, "r");
        if (!f) rc = bg_fail(e, BG_EINPUT, path, NULL, "cannot open (a forecast cycle directory holds it)");
        ln = cap = 0;
        while (rc == BG_OK && fgets(line, sizeof line, f)) {
            char *fld[9];
            if (ln++ == 0 || csv_split(line, fld, 9) != 8) continue;
            int lv = -1;
            for (int l = WARN_NONE; l <= WARN_RED; l++)
                if (!strcmp(fld[2], warn_level_name((WarnLevel)l))) lv = l;
            double t0, t1;
            if (lv <= WARN_NONE || time_parse(fld[3], &t0) || time_parse(fld[4], &t1)) continue;
            if (nep == cap) {
                cap = cap ? 2 * cap : 16;
                FcEpisode *ne = realloc(ep, (size_t)cap * sizeof *ne);
                if (!ne) {
                    rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
                    break;
                }
                ep = ne;
            }
            snprintf(ep[nep].unit, sizeof ep[nep].unit, "%s", fld[0]);
            ep[nep].level = lv;
            ep[nep].start = t0;
            ep[nep].end = t1;
            nep++;
        }
        if (f) fclose(f);
    }
    long d0 = 0, d1 = -1;
    for (int k = 0; k < nr; k++) {
        if (d1 < d0) d0 = d1 = rows[k].day;
        d0 = rows[k].day < d0 ? rows[k].day : d0;
        d1 = rows[k].day > d1 ? rows[k].day : d1;
    }
    int nd = (int)(d1 - d0 + 1);
    /* observed daily AQI of every city over the cycle's days, then the observed warnings under
     * the cycle's scheme from the same days (both sides see the same window) */
    double *oaqi = NULL, *tday = NULL;
    unsigned *oprim = NULL;
    int *olev = NULL;
    WarnEpisode *wep = NULL;
    if (rc == BG_OK && nd > 0) {
        oaqi = malloc((size_t)cy->ncity * nd * sizeof *oaqi);
        oprim = calloc((size_t)cy->ncity * nd, sizeof *oprim);
        olev = malloc((size_t)(cy->ncity + cy->nreg) * nd * sizeof *olev);
        tday = malloc((size_t)nd * sizeof *tday);
        wep = malloc(256 * sizeof *wep);
        if (!oaqi || !oprim || !olev || !tday || !wep) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    }
    for (int d = 0; rc == BG_OK && d < nd; d++) tday[d] = (double)(d0 + d + 1) * 86400.0 - AQS_BEIJING_S;
    for (int u = 0; rc == BG_OK && u < cy->ncity + cy->nreg; u++) {
        double series[MAX_DAY_EVAL];
        if (nd > MAX_DAY_EVAL) {
            rc = bg_fail(e, BG_EINPUT, dir, "forecast_city.csv", "more than %d days", MAX_DAY_EVAL);
            break;
        }
        const char *name;
        if (u < cy->ncity) {
            name = cy->city[u];
            for (int d = 0; d < nd; d++) {
                int a = obs_city_day(obs, cy, u, d0 + d, &oprim[u * nd + d]);
                oaqi[u * nd + d] = series[d] = a >= 0 ? a : NAN;
            }
        } else {
            /* a region's series is the worst of its cities, as forecast.c forms it */
            name = cy->reg[u - cy->ncity];
            char b[512], *tok[MAX_UNIT];
            snprintf(b, sizeof b, "%s", cy->regcities[u - cy->ncity]);
            int nt = config_split(b, tok, MAX_UNIT), nc = 0;
            double vals[MAX_UNIT * MAX_DAY_EVAL];
            for (int k = 0; k < nt; k++)
                for (int q = 0; q < cy->ncity; q++)
                    if (!strcmp(tok[k], cy->city[q])) {
                        memcpy(vals + nc * nd, oaqi + q * nd, (size_t)nd * sizeof *vals);
                        nc++;
                    }
            if (nc == 0) {
                for (int d = 0; d < nd; d++) olev[u * nd + d] = -1;
                continue;
            }
            warn_region_series(vals, nc, nd, WARN_REGION_MAX, series);
        }
        int n = 0;
        rc = warn_evaluate(tday, series, nd, WARN_IN_DAILY, cy->scheme, name, cy->start, wep, 256, &n, e);
        for (int d = 0; rc == BG_OK && d < nd; d++) {
            int lv = WARN_NONE;
            double a = tday[d] - 86400.0, b = tday[d];
            for (int k = 0; k < n; k++)
                if ((int)wep[k].level > lv && wep[k].start < b && wep[k].end > a) lv = (int)wep[k].level;
            olev[u * nd + d] = isnan(series[d]) ? -1 : lv;
        }
    }
    /* city-days: AQI events, level and primary accuracy, city warning levels */
    for (int k = 0; rc == BG_OK && k < nr; k++) {
        const FcRow *r = &rows[k];
        int d = (int)(r->day - d0), u = r->unit;
        double oa = oaqi[u * nd + d];
        int fw = level_on_day(ep, nep, cy->city[u], r->day), ow = olev[u * nd + d];
        for (int pass = 0; pass < 2; pass++) {
            int L = pass ? MAX_LEAD : r->lead;
            if (L < 0 || L > MAX_LEAD) continue;
            fcscores_add(&sc[L], r->aqi, isnan(oa) ? -1 : (int)oa, r->primary, oprim[u * nd + d], fw, ow);
        }
    }
    /* region-days: warning levels only (a region has no AQI of its own) */
    for (int g = 0; rc == BG_OK && g < cy->nreg; g++)
        for (int d = 0; d < nd; d++) {
            int u = cy->ncity + g, lead = aqs_lead_day(d0 + d, cy->start);
            int fw = level_on_day(ep, nep, cy->reg[g], d0 + d), ow = olev[u * nd + d];
            for (int pass = 0; pass < 2; pass++) {
                int L = pass ? MAX_LEAD : lead;
                if (L < 0 || L > MAX_LEAD) continue;
                fcscores_add(&sc[L], -1, -1, 0, 0, fw, ow);
            }
        }
    free(rows);
    free(ep);
    free(oaqi);
    free(oprim);
    free(olev);
    free(tday);
    free(wep);
    return rc;
}

/* ------------------------------------------------------------------ figures ---- */


/* a file-name-safe copy of a station id */
static void safe_name(const char *s, char *b, size_t n)
{
    size_t k = 0;
    for (; s[k] && k + 1 < n; k++) {
        char c = s[k];
        b[k] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') ? c : '_';
    }
    b[k] = 0;
}

/* Per station: the hourly PM2.5 of every run and the observations (time series), and the
 * hourly pairs of all runs (scatter), in out/figures.  Writes the markdown section to md. */
static int station_figures(const char *out, const Run *runs, const Cycle *cyc, const char *const *dirs, int nd,
                           const ObsSet *obs, FILE *md, BgErr *e)
{
    char fdir[PATH_LEN + 16];
    snprintf(fdir, sizeof fdir, "%s/figures", out);
    if (mkdir_one(fdir)) return bg_fail(e, BG_EFAIL, fdir, NULL, "cannot create: %s", strerror(errno));
    /* stations in order of first appearance */
    int rc = BG_OK, nfig = 0;
    fprintf(md, "\n## Figures: hourly PM2.5 per station\n\nModel (one line per run directory) and observed hourly "
                "PM2.5 in Beijing time, and model against observation for every hourly pair of every run "
                "(1:1 solid; 2:1 and 1:2 dashed: the FAC2 band).\n\n| station | time series | scatter |\n|---|---|---|\n");
    for (int d = 0; d < nd && rc == BG_OK; d++)
        for (int k = 0; k < runs[d].ns && rc == BG_OK; k++) {
            const Series *sk = &runs[d].s[k];
            if (strcmp(obs_species_canonical(sk->species) ? obs_species_canonical(sk->species) : "", "PM25")) continue;
            int seen = 0;
            for (int d2 = 0; d2 <= d && !seen; d2++)
                for (int k2 = 0; k2 < runs[d2].ns && !seen; k2++)
                    if ((d2 < d || k2 < k) && !strcmp(runs[d2].s[k2].station, sk->station) &&
                        !strcmp(obs_species_canonical(runs[d2].s[k2].species) ? obs_species_canonical(runs[d2].s[k2].species) : "", "PM25"))
                        seen = 1;
            if (seen) continue;
            /* the span of all runs with this station */
            double t0 = INFINITY, t1 = -INFINITY;
            for (int q = 0; q < nd; q++) {
                t0 = fmin(t0, runs[q].t_end0);
                t1 = fmax(t1, runs[q].t_end0 + (double)(runs[q].nh - 1) * 3600.0);
            }
            size_t nh = (size_t)lround((t1 - t0) / 3600.0) + 1;
            double *ot = malloc(nh * sizeof *ot), *ov = malloc(nh * sizeof *ov);
            FigLine *ln = malloc((size_t)(nd + 1) * sizeof *ln);
            double **tt = calloc((size_t)nd, sizeof *tt);
            size_t npair = 0;
            for (int q = 0; q < nd; q++) npair += runs[q].nh;
            double *po = malloc((npair + 1) * sizeof *po), *pm = malloc((npair + 1) * sizeof *pm);
            double *oq = NULL;
            if (!ot || !ov || !ln || !tt || !po || !pm) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
            size_t nobs = rc == BG_OK ? obs_series(obs, sk->station, "PM25", t0, nh, ov) : 0;
            if (rc == BG_OK && nobs > 0) {
                for (size_t h = 0; h < nh; h++) ot[h] = t0 + (double)h * 3600.0;
                int nl = 0;
                ln[nl++] = (FigLine){ot, ov, nh, {0, 0, 0}, 0, "observed"};
                static const double PAL[6][3] = {{0.13, 0.40, 0.67}, {0.84, 0.38, 0.30}, {0.15, 0.60, 0.30},
                                                 {0.50, 0.30, 0.65}, {0.60, 0.45, 0.10}, {0.30, 0.65, 0.75}};
                size_t np = 0;
                char lab[8][96];
                for (int q = 0; q < nd && rc == BG_OK; q++) {
                    int kk = -1;
                    for (int j = 0; j < runs[q].ns; j++)
                        if (!strcmp(runs[q].s[j].station, sk->station) && obs_species_canonical(runs[q].s[j].species) &&
                            !strcmp(obs_species_canonical(runs[q].s[j].species), "PM25"))
                            kk = j;
                    if (kk < 0) continue;
                    tt[q] = malloc(runs[q].nh * sizeof *tt[q]);
                    double *grown = realloc(oq, runs[q].nh * sizeof *oq);
                    if (grown) oq = grown; /* on failure oq stays valid and is freed below */
                    if (!tt[q] || !grown) {
                        rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
                        break;
                    }
                    for (size_t h = 0; h < runs[q].nh; h++) tt[q][h] = runs[q].t_end0 + (double)h * 3600.0;
                    const char *label = NULL;
                    if (q < 8) {
                        if (cyc[q].is_cycle) {
                            char ts[32];
                            time_strftime(cyc[q].start + AQS_BEIJING_S, "%m-%d %H:%M", ts, sizeof ts);
                            snprintf(lab[q], sizeof lab[q], "model, cycle %s", ts);
                        } else {
                            snprintf(lab[q], sizeof lab[q], "model, %s", dirs[q]);
                        }
                        label = lab[q];
                    }
                    ln[nl++] = (FigLine){tt[q], runs[q].s[kk].v, runs[q].nh, {PAL[q % 6][0], PAL[q % 6][1], PAL[q % 6][2]}, 0, label};
                    obs_series(obs, sk->station, "PM25", runs[q].t_end0, runs[q].nh, oq);
                    for (size_t h = 0; h < runs[q].nh; h++) {
                        po[np] = oq[h];
                        pm[np++] = runs[q].s[kk].v[h];
                    }
                }
                char sn[80], p1[PATH_LEN + 128], p2[PATH_LEN + 128], title[160];
                safe_name(sk->station, sn, sizeof sn);
                snprintf(p1, sizeof p1, "%s/ts_PM25_%s.png", fdir, sn);
                snprintf(p2, sizeof p2, "%s/scatter_PM25_%s.png", fdir, sn);
                snprintf(title, sizeof title, "PM2.5 at %s, hourly", sk->station);
                if (rc == BG_OK) rc = fig_timeseries_png(p1, ln, nl, title, "PM2.5 (ug m-3)", 900, 360, e);
                int nvalid = 0;
                for (size_t j = 0; j < np; j++) nvalid += !isnan(po[j]) && !isnan(pm[j]);
                if (rc == BG_OK && nvalid > 0) rc = fig_scatter_png(p2, po, pm, np, title, "ug m-3", 420, 440, e);
                if (rc == BG_OK) {
                    fprintf(md, "| %s | [![ts](figures/ts_PM25_%s.png)](figures/ts_PM25_%s.png) | ", sk->station, sn, sn);
                    if (nvalid > 0) fprintf(md, "[![scatter](figures/scatter_PM25_%s.png)](figures/scatter_PM25_%s.png) |\n", sn, sn);
                    else fprintf(md, "no hour with both values |\n");
                    nfig++;
                }
            }
            for (int q = 0; q < nd; q++) free(tt[q]);
            free(tt);
            free(oq);
            free(ot);
            free(ov);
            free(ln);
            free(po);
            free(pm);
        }
    if (rc == BG_OK && nfig == 0) fprintf(md, "| (no station with observed PM2.5) | | |\n");
    return rc;
}

/* ------------------------------------------------------------------ the verb ---- */

static void md_stats_row(FILE *f, const char *first, const Pool *p, const EvalStats *s)
{
    (void)p;
    fprintf(f, "| %s | %zu | %.4g | %.4g | %.1f | %.1f | %.1f | %.1f | %.3f | %.3f | %.3f |\n", first, s->n, s->obs_mean,
            s->model_mean, s->nmb, s->nme, s->mfb, s->mfe, s->r, s->ioa, s->fac2);
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
    int npool = 0, ncycle = 0;
    Run *runs = calloc((size_t)nd, sizeof *runs);
    Cycle *cyc = calloc((size_t)nd, sizeof *cyc);
    FcScores *sc = calloc(MAX_LEAD + 1, sizeof *sc);
    if (rc == BG_OK && (!runs || !cyc || !sc)) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int d = 0; d < nd && rc == BG_OK; d++) {
        Run *r = &runs[d];
        rc = read_run(dirs[d], r, e);
        if (rc == BG_OK) rc = read_cycle(dirs[d], &cyc[d], e);
        ncycle += cyc[d].is_cycle;
        double *o = rc == BG_OK ? malloc(2 * r->nh * sizeof *o) : NULL;
        int *lead = rc == BG_OK ? malloc(r->nh * sizeof *lead) : NULL;
        if (rc == BG_OK && (!o || !lead)) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        double *mm = o ? o + r->nh : NULL;
        int lmin = 0, lmax = -1;
        if (rc == BG_OK && cyc[d].is_cycle) {
            for (size_t h = 0; h < r->nh; h++) {
                lead[h] = aqs_lead_day_of_hour(r->t_end0 + (double)h * 3600.0, cyc[d].start);
                if (h == 0 || lead[h] < lmin) lmin = lead[h];
                if (h == 0 || lead[h] > lmax) lmax = lead[h];
            }
            if (lmin < 0) lmin = 0;
            if (lmax >= MAX_LEAD) lmax = MAX_LEAD - 1;
        }
        for (int k = 0; k < r->ns && rc == BG_OK; k++) {
            const Series *s = &r->s[k];
            const char *canon = obs_species_canonical(s->species);
            if (!canon || obs_series(&obs, s->station, canon, r->t_end0, r->nh, o) == 0) continue;
            static const EvalAveraging avgs[3] = {EVAL_AVG_1H, EVAL_AVG_24H, EVAL_AVG_MDA8};
            /* L = -1: every hour; L >= 0: the hours of lead day L only (a day's mean and MDA8
             * use only hours of that day, so masking the others leaves that day's value) */
            for (int L = -1; L <= lmax && rc == BG_OK; L++) {
                if (L >= 0 && L < lmin) continue;
                const double *mv = s->v;
                if (L >= 0) {
                    for (size_t h = 0; h < r->nh; h++) mm[h] = lead[h] == L ? s->v[h] : NAN;
                    mv = mm;
                }
                for (int a = 0; a < 3 && rc == BG_OK; a++) {
                    if (avgs[a] == EVAL_AVG_MDA8 && strcmp(canon, "O3")) continue;
                    Pool *ps = pool_get(&pools, &npool, s->station, canon, avgs[a], L);
                    Pool *pa = ps ? pool_get(&pools, &npool, "ALL", canon, avgs[a], L) : NULL;
                    /* pool_get may move the array: look the station pool up again */
                    ps = pa ? pool_get(&pools, &npool, s->station, canon, avgs[a], L) : NULL;
                    if (!ps || !pa) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
                    else if (pool_add(ps, avgs[a], mv, o, r->nh, r->t_end0) || pool_add(pa, avgs[a], mv, o, r->nh, r->t_end0))
                        rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
                }
            }
        }
        free(o);
        free(lead);
        if (rc == BG_OK && cyc[d].is_cycle) rc = score_cycle(dirs[d], &cyc[d], &obs, sc, e);
    }
    EvalRow *rows = calloc((size_t)npool + 1, sizeof *rows);
    int *rlead = calloc((size_t)npool + 1, sizeof *rlead);
    int nr = 0;
    if (rc == BG_OK && (!rows || !rlead)) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    /* rows: all lead days first (the DESIGN rows), then by lead day */
    for (int L = -1; L < MAX_LEAD && rc == BG_OK; L++)
        for (int k = 0; k < npool && rc == BG_OK; k++) {
            if (pools[k].n == 0 || pools[k].lead != L) continue;
            rows[nr].station = pools[k].station;
            rows[nr].species = pools[k].species;
            rows[nr].avg = pools[k].avg;
            rlead[nr] = L;
            if (evalstats_compute(pools[k].pm, pools[k].po, pools[k].n, &rows[nr].s))
                rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
            nr++;
        }
    if (rc == BG_OK && nr == 0)
        rc = bg_fail(e, BG_EINPUT, obsf, NULL, "no observation matches a model station, species and hour");
    char path[PATH_LEN + 64];
    /* --out DIR: created here, after every input has been read and checked */
    if (rc == BG_OK && mkdir_one(out))
        rc = bg_fail(e, BG_EFAIL, out, NULL, "cannot create directory: %s", strerror(errno));
    if (rc == BG_OK) {
        snprintf(path, sizeof path, "%s/evaluation.csv", out);
        rc = evalstats_write_csv_lead(path, rows, ncycle ? rlead : NULL, (size_t)nr, e);
    }
    int leads[MAX_LEAD + 1], nl = 0;
    if (rc == BG_OK && ncycle) {
        FcScores *srt = malloc((MAX_LEAD + 1) * sizeof *srt);
        if (!srt) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        for (int L = -1; srt && L < MAX_LEAD; L++) {
            const FcScores *x = &sc[L < 0 ? MAX_LEAD : L];
            if (L >= 0 && x->n_level == 0 && x->n_warn == 0) continue;
            srt[nl] = *x;
            leads[nl++] = L;
        }
        snprintf(path, sizeof path, "%s/evaluation_categorical.csv", out);
        if (rc == BG_OK) rc = evalstats_write_categorical(path, srt, leads, nl, e);
        free(srt);
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
                if (strcmp(rows[k].station, "ALL") || rlead[k] >= 0) continue;
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
            if (ncycle) {
                fprintf(f, "\n## By lead day\n\n%d forecast cycle(s). Lead day N is the Beijing day of the cycle start + N "
                           "(D+N); rows with a lead_day in evaluation.csv. Pooled PM2.5, all stations:\n\n"
                           "| averaging, lead day | N | obs mean | model mean | NMB | NME | MFB | MFE | r | IOA | FAC2 |\n"
                           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", ncycle);
                for (int k = 0; k < nr; k++) {
                    if (strcmp(rows[k].station, "ALL") || strcmp(rows[k].species, "PM25") || rlead[k] < 0) continue;
                    char first[48];
                    snprintf(first, sizeof first, "%s, D+%d", evalstats_averaging_name(rows[k].avg), rlead[k]);
                    md_stats_row(f, first, NULL, &rows[k].s);
                }
                fprintf(f, "\n## Categorical scores by lead day\n\nCity-days of forecast_city.csv against the observed "
                           "city AQI (station daily values under the GB 3095 validity rules, city = mean over its "
                           "stations, HJ 663; AQI per HJ 633 of the date). Events: daily AQI > threshold (strict); "
                           "\"warning\": a warning in force on the day (cities and regions; observed level from the "
                           "observed daily AQI of the cycle's days under the cycle's scheme). All rows in "
                           "evaluation_categorical.csv.\n\n"
                           "| lead | event | N | hits | false alarms | misses | correct neg. | POD | FAR | CSI | ETS | HSS |\n"
                           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
                const FcScores *all = &sc[MAX_LEAD];
                for (int j = 0; j < nl; j++) {
                    const FcScores *x = leads[j] < 0 ? all : &sc[leads[j]];
                    char ld[16];
                    if (leads[j] < 0) snprintf(ld, sizeof ld, "all");
                    else snprintf(ld, sizeof ld, "D+%d", leads[j]);
                    for (int q = 0; q <= FC_NEVENT; q++) {
                        const Contingency *t = q < FC_NEVENT ? &x->aqi[q] : &x->warn;
                        CatScores c;
                        contingency_scores(t, &c);
                        char ev[16];
                        if (q < FC_NEVENT) snprintf(ev, sizeof ev, "AQI > %d", fc_event_aqi[q]);
                        else snprintf(ev, sizeof ev, "warning");
                        fprintf(f, "| %s | %s | %ld | %ld | %ld | %ld | %ld | %.3f | %.3f | %.3f | %.3f | %.3f |\n", ld, ev,
                                t->a + t->b + t->c + t->d, t->a, t->b, t->c, t->d, c.pod, c.far, c.csi, c.ets, c.hss);
                    }
                }
                fprintf(f, "\n| lead | AQI level accuracy (N) | warning level accuracy (N) | primary pollutant accuracy (N, obs AQI > 50) |\n"
                           "|---|---|---|---|\n");
                for (int j = 0; j < nl; j++) {
                    const FcScores *x = leads[j] < 0 ? all : &sc[leads[j]];
                    char ld[16];
                    if (leads[j] < 0) snprintf(ld, sizeof ld, "all");
                    else snprintf(ld, sizeof ld, "D+%d", leads[j]);
                    fprintf(f, "| %s | %.3f (%ld) | %.3f (%ld) | %.3f (%ld) |\n", ld, fcscores_fraction(x->ok_level, x->n_level),
                            x->n_level, fcscores_fraction(x->ok_warn, x->n_warn), x->n_warn,
                            fcscores_fraction(x->ok_primary, x->n_primary), x->n_primary);
                }
            }
            rc = station_figures(out, runs, cyc, dirs, nd, &obs, f, e);
            if (fclose(f) || rc != BG_OK || rename(tmp, path)) {
                remove(tmp);
                if (rc == BG_OK) rc = bg_fail(e, BG_EFAIL, path, NULL, "cannot write");
            }
        }
    }
    if (rc == BG_OK)
        printf("evaluate: %d rows -> %s/evaluation.csv, evaluation.md, figures/%s\n", nr, out,
               ncycle ? ", evaluation_categorical.csv" : "");
    for (int k = 0; k < npool; k++) {
        free(pools[k].pm);
        free(pools[k].po);
    }
    for (int d = 0; runs && d < nd; d++) free_run(&runs[d]);
    for (int d = 0; cyc && d < nd; d++) cycle_free(&cyc[d]);
    free(runs);
    free(cyc);
    free(sc);
    free(pools);
    free(rows);
    free(rlead);
    obs_free(&obs);
    free(dirs);
    return rc;
}
