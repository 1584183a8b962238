#include "box.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aerosol.h"
#include "chem.h"
#include "config.h"
#include "photolysis.h"
#include "species.h"
#include "timeutil.h"

const char box_usage[] =
    "usage: bogda box CONFIG [--set section.key=value]...\n"
    "  0-D chemistry + aerosol box: the 3-D model's chemistry and aerosol code in one cell.\n"
    "  CONFIG: [box] start, hours, temperature_k, pressure_pa, rh, liquid_water_g_m3, lat, lon,\n"
    "  optional j_no2 (s-1, held fixed), snow_cover, step_min, chem_step_s, aerosol, output_dir;\n"
    "  [init] constant.NAME = value (gases in ppb, aerosol in ug m-3); [chemistry] keys.\n"
    "  Writes box.csv in output_dir: time_h, NAME_ppb for gases, NAME_ugm3 for aerosol,\n"
    "  PM25_ugm3, PM10_ugm3 (docs/chemistry.md).\n";

typedef struct {
    double start, hours, T, p, rh, lwc, lat, lon, jno2, snow, step_min, chem_step;
    int fixed_j, aerosol;
    char outdir[1024], table[1024];
} BoxCfg;

/* a path relative to the configuration file's directory (config/README.md) */
static void resolve(const Config *c, const char *p, char *out, size_t n)
{
    if (!p[0] || p[0] == '/') {
        snprintf(out, n, "%s", p);
        return;
    }
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", c->path);
    const char *d = dirname(tmp);
    if (!strcmp(p, ".")) snprintf(out, n, "%s", d);
    else if (snprintf(out, n, "%s/%s", d, p) >= (int)n) out[n - 1] = 0;
}

static int bad(const Config *c, const char *key, BgErr *e, const char *what)
{
    char where[1100];
    const CfgEntry *en = config_entry(c, "box", key);
    config_where(c, en, where, sizeof where);
    return bg_fail(e, BG_ECONFIG, where, NULL, "[box] %s = '%s': %s", key, en ? en->value : "", what);
}

static int read_cfg(const Config *c, BoxCfg *b, BgErr *e)
{
    memset(b, 0, sizeof *b);
    const char *s = config_get(c, "box", "start");
    if (!s || !*s) return bg_fail(e, BG_ECONFIG, c->path, NULL, "[box] start is not set (ISO-8601 time)");
    if (time_parse(s, &b->start)) return bad(c, "start", e, "not an ISO-8601 time");
    struct { const char *key; double *v, lo, hi; const char *why; } num[] = {
        {"hours", &b->hours, 1e-9, 1e5, "must be > 0"},
        {"temperature_k", &b->T, 150, 350, "must be in 150..350 K"},
        {"pressure_pa", &b->p, 1e3, 1.2e5, "must be in 1e3..1.2e5 Pa"},
        {"rh", &b->rh, 0, 1, "must be a fraction in 0..1"},
        {"liquid_water_g_m3", &b->lwc, 0, 10, "must be in 0..10 g m-3"},
        {"lat", &b->lat, -90, 90, "must be in -90..90"},
        {"lon", &b->lon, -180, 360, "must be in -180..360"},
        {"snow_cover", &b->snow, 0, 1, "must be a fraction in 0..1"},
        {"step_min", &b->step_min, 1e-9, 1e6, "must be > 0"},
        {"chem_step_s", &b->chem_step, 1e-3, 86400, "must be in (0, 86400] s"},
    };
    for (size_t i = 0; i < sizeof num / sizeof *num; i++) {
        BG_TRY(config_double(c, "box", num[i].key, num[i].v, e));
        if (!(*num[i].v >= num[i].lo && *num[i].v <= num[i].hi)) return bad(c, num[i].key, e, num[i].why);
    }
    const char *j = config_get(c, "box", "j_no2");
    if (j && *j) {
        BG_TRY(config_double(c, "box", "j_no2", &b->jno2, e));
        if (!(b->jno2 >= 0 && b->jno2 < 1)) return bad(c, "j_no2", e, "must be in 0..1 s-1");
        b->fixed_j = 1;
    }
    BG_TRY(config_onoff(c, "box", "aerosol", &b->aerosol, e));
    double nout = b->step_min * 60.0 / b->chem_step, nrun = b->hours * 3600.0 / b->chem_step;
    if (fabs(nout - floor(nout + 0.5)) > 1e-9 * nout)
        return bad(c, "step_min", e, "must be a whole multiple of [box] chem_step_s");
    if (fabs(nrun - floor(nrun + 0.5)) > 1e-9 * nrun)
        return bad(c, "hours", e, "must be a whole multiple of [box] chem_step_s");
    resolve(c, config_get(c, "box", "output_dir"), b->outdir, sizeof b->outdir);
    const char *tp = config_get(c, "chemistry", "species_table");
    resolve(c, tp ? tp : "", b->table, sizeof b->table);
    return BG_OK;
}

/* [init] constant.NAME = value: gases in ppb, aerosol in ug m-3 (converted to ppb of the
 * molecule at the box's T and p); profiles and files have no meaning in a box. */
static int read_init(const Config *c, const SpeciesTable *t, const BoxCfg *b, double *conc, BgErr *e)
{
    for (int i = 0; i < c->n; i++) {
        const CfgEntry *en = &c->e[i];
        if (strcmp(en->section, "init") || en->from_default) continue;
        char where[1100];
        config_where(c, en, where, sizeof where);
        if (strncmp(en->key, "constant.", 9))
            return bg_fail(e, BG_ECONFIG, where, NULL,
                           "[init] %s: the box takes only constant.NAME = value", en->key);
        const char *name = en->key + 9;
        int s = species_find(t, name);
        if (s < 0)
            return bg_fail(e, BG_ECONFIG, where, NULL, "[init] %s: '%s' is not a species of %s",
                           en->key, name, t->path);
        char *end;
        errno = 0;
        double v = strtod(en->value, &end);
        while (*end == ' ' || *end == '\t') end++;
        if (end == en->value || *end || errno || !isfinite(v) || v < 0)
            return bg_fail(e, BG_ECONFIG, where, NULL, "[init] %s = '%s': expected a number >= 0",
                           en->key, en->value);
        conc[s] = t->s[s].phase == SPECIES_AEROSOL ? species_ugm3_to_ppb(&t->s[s], v, b->T, b->p) : v;
    }
    return BG_OK;
}

static void write_row(FILE *f, double th, const SpeciesTable *t, const double *c, double T, double p)
{
    fprintf(f, "%.6g", th);
    double pm25 = 0, pmc = 0;
    for (int i = 0; i < t->n; i++) {
        const Species *s = &t->s[i];
        if (s->phase == SPECIES_AEROSOL) {
            double ug = species_ppb_to_ugm3(s, c[i], T, p);
            if (strcmp(s->name, "PMC")) pm25 += ug;
            else pmc += ug;
            fprintf(f, ",%.12g", ug);
        } else {
            fprintf(f, ",%.12g", c[i]);
        }
    }
    fprintf(f, ",%.12g,%.12g\n", pm25, pm25 + pmc);
}

static int run(const Config *cfg, BgErr *e)
{
    BoxCfg b;
    BG_TRY(read_cfg(cfg, &b, e));
    SpeciesTable t;
    BG_TRY(species_load(&t, b.table[0] ? b.table : NULL, e));
    int rc = BG_OK;
    double *c = calloc((size_t)t.n, sizeof *c);
    ChemWork *w = NULL;
    FILE *f = NULL;
    char path[1100], tmp[1200];
    ChemMech m;
    if (!c) { rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); goto done; }
    if ((rc = chem_mech_init(&m, &t, e)) || (rc = chem_configure(&m, cfg, e))) goto done;
    if ((rc = read_init(cfg, &t, &b, c, e))) goto done;
    int i_nh3 = species_find(&t, "NH3"), i_pnh4 = species_find(&t, "PNH4");
    int i_hno3 = species_find(&t, "HNO3"), i_pno3 = species_find(&t, "PNO3"), i_pso4 = species_find(&t, "PSO4");
    if (b.aerosol && (i_nh3 < 0 || i_pnh4 < 0 || i_hno3 < 0 || i_pno3 < 0 || i_pso4 < 0)) {
        rc = bg_fail(e, BG_EINPUT, t.path, NULL, "the aerosol needs NH3, PNH4, HNO3, PNO3 and PSO4");
        goto done;
    }
    if (!(w = chem_work_create(&m))) { rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); goto done; }

    if (mkdir(b.outdir[0] ? b.outdir : ".", 0777) && errno != EEXIST) {
        rc = bg_fail(e, BG_EFAIL, b.outdir, NULL, "cannot create the output directory: %s", strerror(errno));
        goto done;
    }
    snprintf(path, sizeof path, "%s/box.csv", b.outdir[0] ? b.outdir : ".");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (!(f = fopen(tmp, "w"))) {
        rc = bg_fail(e, BG_EFAIL, tmp, NULL, "cannot write: %s", strerror(errno));
        goto done;
    }
    fprintf(f, "time_h");
    for (int i = 0; i < t.n; i++)
        fprintf(f, ",%s_%s", t.s[i].name, t.s[i].phase == SPECIES_AEROSOL ? "ugm3" : "ppb");
    fprintf(f, ",PM25_ugm3,PM10_ugm3\n");

    const double dt = b.chem_step;
    const long nsteps = lround(b.hours * 3600.0 / dt), nout = lround(b.step_min * 60.0 / dt);
    write_row(f, 0.0, &t, c, b.T, b.p); /* the initial values as given */
    PhotRates jfix;
    if (b.fixed_j) photolysis_fixed(b.jno2, &jfix);
    ChemStats cs = {0};
    long retried = 0;
    for (long s = 0; s < nsteps; s++) {
        double tm = b.start + (s + 0.5) * dt; /* photolysis at mid-step */
        PhotRates j;
        if (b.fixed_j) j = jfix;
        else photolysis_rates(tm, b.lat, b.lon, -1.0, b.snow, &j);
        ChemEnv env;
        chem_env_init(&env, &m, b.T, b.p, b.rh, b.lwc, &j);
        chem_env_heterogeneous(&env, &t, c);
        int r = chem_integrate(&m, &env, c, NULL, dt, w, &cs);
        if (r != CHEM_OK) {
            char when[32];
            time_format(b.start + s * dt, when, sizeof when);
            if (r == CHEM_FAILED) {
                rc = bg_fail(e, BG_EFAIL, "box", when, "the chemistry solver failed on every retry");
                goto done;
            }
            retried++;
            fprintf(stderr, "bogda: warning: box:%s: chemistry step retried on sub-intervals\n", when);
        }
        if (b.aerosol)
            aerosol_inorganic_eq(b.T, b.rh, c[i_pso4], &c[i_nh3], &c[i_pnh4], &c[i_hno3], &c[i_pno3]);
        if ((s + 1) % nout == 0 || s + 1 == nsteps) write_row(f, (s + 1) * dt / 3600.0, &t, c, b.T, b.p);
    }
    if (ferror(f) | fclose(f)) {
        f = NULL;
        rc = bg_fail(e, BG_EFAIL, tmp, NULL, "write error");
        goto done;
    }
    f = NULL;
    if (rename(tmp, path)) {
        rc = bg_fail(e, BG_EFAIL, path, NULL, "cannot rename %s: %s", tmp, strerror(errno));
        goto done;
    }
    printf("box: %ld chemistry steps of %g s (%.1f ROS3 steps each, %ld retried); wrote %s\n", nsteps,
           dt, nsteps ? (double)cs.ros.accepted / nsteps : 0.0, retried, path);
done:
    if (f) {
        fclose(f);
        unlink(tmp);
    }
    chem_work_free(w);
    free(c);
    species_free(&t);
    return rc;
}

int box_main(int argc, char **argv, BgErr *e)
{
    const char *config = NULL;
    int nset = 0;
    char **sets = calloc((size_t)argc + 1, sizeof *sets);
    if (!sets) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    int rc = BG_OK;
    for (int i = 1; i < argc && rc == BG_OK; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(box_usage, stdout);
            free(sets);
            return BG_OK;
        } else if (!strcmp(argv[i], "--set")) {
            if (i + 1 >= argc) rc = bg_fail(e, BG_ECONFIG, "box", NULL, "--set needs section.key=value");
            else sets[nset++] = argv[++i];
        } else if (!strncmp(argv[i], "--set=", 6)) {
            sets[nset++] = argv[i] + 6;
        } else if (argv[i][0] == '-') {
            rc = bg_fail(e, BG_ECONFIG, "box", NULL, "unknown option '%s' (usage: bogda box CONFIG "
                         "[--set section.key=value]...)", argv[i]);
        } else if (!config) {
            config = argv[i];
        } else {
            rc = bg_fail(e, BG_ECONFIG, "box", NULL, "one CONFIG expected, got '%s' too", argv[i]);
        }
    }
    if (rc == BG_OK && !config)
        rc = bg_fail(e, BG_ECONFIG, "box", NULL, "missing CONFIG (usage: bogda box CONFIG [--set section.key=value]...)");
    if (rc == BG_OK) {
        Config cfg;
        rc = config_load(&cfg, config, sets, nset, e);
        if (rc == BG_OK) rc = run(&cfg, e);
        config_free(&cfg);
    }
    free(sets);
    return rc;
}
