#include "forecast.h"

#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aqi.h"
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
    "  forecast_city.md and warnings.csv ([forecast] warning_scheme: MEE2024, MEE2019, MEP2017).\n";

static int beijing_day(double t) { return (int)floor((t + BEIJING_S) / 86400.0); }

/* daily_city.csv of the run -> forecast_city.csv (+ lead_day, category) and .md; fills the
 * per-city daily AQI series for the warnings */
typedef struct CitySeries {
    char name[64];
    double t[64], aqi[64]; /* day ends (Beijing midnight, UTC s) */
    int n;
} CitySeries;

static int products(const char *dir, double start, CitySeries *cs, int *ncs, BgErr *e)
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
    fprintf(m, "# City forecast from %s\n\nBeijing-time days; lead day 0 is the day of the start. "
               "PM2.5, PM10, SO2, NO2, O3 in ug m-3, CO in mg m-3 (GB 3095); AQI per HJ 633 in force on the date.\n\n"
               "| city | date | lead | PM2.5 | PM10 | SO2 | NO2 | CO | O3 MDA8 | AQI | level | category | primary |\n"
               "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n", ts);
    int ln = 0;
    *ncs = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[13];
        if (ln++ == 0 || csv_split(line, fld, 13) != 12) continue;
        int y, mo, d;
        if (sscanf(fld[1], "%d-%d-%d", &y, &mo, &d) != 3) continue;
        char iso[16];
        snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, mo, d);
        double t0;
        time_parse(iso, &t0); /* Beijing midnight of the date is t0 - 8 h in UTC */
        int lead = beijing_day(t0 - BEIJING_S + 1) - beijing_day(start);
        int aqi = fld[9][0] ? atoi(fld[9]) : -1;
        const AqiLevel *lv = aqi >= 0 ? aqi_level(aqi) : NULL;
        fprintf(o, "%s,%s,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", fld[0], fld[1], lead, fld[2], fld[3], fld[4],
                fld[5], fld[6], fld[7], fld[8], fld[9], fld[10], lv ? lv->category_en : "", fld[11]);
        fprintf(m, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", fld[0], fld[1], lead,
                fld[2], fld[3], fld[4], fld[5], fld[6], fld[8], fld[9], fld[10], lv ? lv->category_en : "", fld[11]);
        int c = -1;
        for (int k = 0; k < *ncs; k++)
            if (!strcmp(cs[k].name, fld[0])) c = k;
        if (c < 0 && *ncs < 64) {
            c = (*ncs)++;
            memset(&cs[c], 0, sizeof cs[c]);
            snprintf(cs[c].name, sizeof cs[c].name, "%s", fld[0]);
        }
        if (c >= 0 && cs[c].n < 64) {
            cs[c].t[cs[c].n] = t0 - BEIJING_S + 86400.0; /* the day's end */
            cs[c].aqi[cs[c].n++] = aqi >= 0 ? aqi : NAN;
        }
    }
    fclose(f);
    int bad = fclose(o) | fclose(m);
    if (bad || rename(tout, out) || rename(tmd, md)) return bg_fail(e, BG_EFAIL, out, NULL, "cannot write");
    return BG_OK;
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
    if (rc == BG_OK) rc = model_run(&m, e);
    CitySeries *cs = calloc(64, sizeof *cs);
    int ncs = 0;
    if (rc == BG_OK && !cs) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    if (rc == BG_OK) rc = products(m.rc.output_dir, start, cs, &ncs, e);
    if (rc == BG_OK) rc = warnings(&m, m.rc.output_dir, start, cs, ncs, e);
    if (rc == BG_OK) printf("forecast: %d cities, products in %s\n", ncs, m.rc.output_dir);
    free(cs);
    if (setup) model_free(&m);
    free(sets);
    return rc;
}
