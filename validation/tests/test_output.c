/* Daily CF output (model/output.c) and the exact NetCDF comparator (postproc/nccompare.c).
 *
 * A hand-made 6x5x4 Lambert grid and a state whose mixing ratios are linear in time,
 * q = (a + b (t - T0)/3600) * 1e-9 with a, b depending on species and cell, so that every
 * instantaneous value and every interval mean of the samples is known in closed form.  A 2-day
 * hourly run with a 900 s step is written with averaging on and off and checked record by record;
 * a run interrupted mid-day and continued by a new Output equals the uninterrupted one exactly. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netcdf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "grid.h"
#include "nccompare.h"
#include "output.h"
#include "state.h"
#include "timeutil.h"

#define NX 6
#define NY 5
#define NZ 4
#define DT 900.0
#define INTERVAL 3600.0

static double T0; /* 2024-01-10T00:00:00Z */
static const char *CONFIG_TEXT = "[run]\nstart = 2024-01-10T00\nhours = 48\n[output]\naverage = on\n";

/* ---------------------------------------------------------------- fixtures */

static void grid_make(Grid *g, int map_proj)
{
    memset(g, 0, sizeof *g);
    g->nx = NX, g->ny = NY, g->nz = NZ;
    g->dx = g->dy = 4000.0;
    g->map_proj = map_proj;
    g->truelat1 = map_proj == 3 ? 0.0 : 30.0;
    g->truelat2 = 60.0;
    g->stand_lon = 87.0;
    g->moad_cen_lat = 44.0;
    g->cen_lat = 44.0, g->cen_lon = 87.0;
    g->x0 = -10000.0, g->y0 = -8000.0;
    g->x = malloc(NX * sizeof *g->x);
    g->y = malloc(NY * sizeof *g->y);
    g->lat = malloc(NX * NY * sizeof *g->lat);
    g->lon = malloc(NX * NY * sizeof *g->lon);
    g->lat_bnds = malloc(4 * NX * NY * sizeof *g->lat_bnds);
    g->lon_bnds = malloc(4 * NX * NY * sizeof *g->lon_bnds);
    for (int i = 0; i < NX; i++) g->x[i] = g->x0 + i * g->dx;
    for (int j = 0; j < NY; j++) g->y[j] = g->y0 + j * g->dy;
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            size_t c = (size_t)j * NX + i;
            g->lat[c] = 43.9 + 0.036 * j + 0.001 * i;
            g->lon[c] = 86.9 + 0.05 * i - 0.002 * j;
            double dla[4] = {-0.018, -0.018, 0.018, 0.018}, dlo[4] = {-0.025, 0.025, 0.025, -0.025};
            for (int v = 0; v < 4; v++) {
                g->lat_bnds[4 * c + v] = g->lat[c] + dla[v];
                g->lon_bnds[4 * c + v] = g->lon[c] + dlo[v];
            }
        }
}

static void grid_release(Grid *g)
{
    free(g->x), free(g->y), free(g->lat), free(g->lon), free(g->lat_bnds), free(g->lon_bnds);
    memset(g, 0, sizeof *g);
}

static const char *SPEC_NAMES[] = {"O3", "NO2", "TRACER", "PSO4"};
static const double SPEC_MASS[] = {47.9982, 46.0055, 28.9644, 96.06};
#define NSPEC 4

static void state_make(State *s)
{
    assert_int_equal(state_alloc(s, NX, NY, NZ, NSPEC), 0);
    for (int i = 0; i < NSPEC; i++) {
        snprintf(s->spec[i].name, BG_NAME_LEN, "%s", SPEC_NAMES[i]);
        s->spec[i].molar_mass = SPEC_MASS[i];
    }
}

static double coef_a(int sp, int k, int j, int i) { return 10.0 + 5.0 * sp + 1.3 * k + 0.17 * j + 0.011 * i; }
static double coef_b(int sp, int k) { return 0.25 + 0.1 * sp - 0.03 * k; }

static double q_at(int sp, int k, int j, int i, double t)
{
    return (coef_a(sp, k, j, i) + coef_b(sp, k) * (t - T0) / 3600.0) * 1e-9;
}

static void state_set(State *s, double t)
{
    s->time = t;
    for (int sp = 0; sp < NSPEC; sp++)
        for (int k = 0; k < NZ; k++)
            for (int j = 0; j < NY; j++)
                for (int i = 0; i < NX; i++)
                    state_species(s, sp)[((size_t)k * NY + j) * NX + i] = q_at(sp, k, j, i, t);
}

static void make_tmpdir(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/bogda_test_output_XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    char p[1200];
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        remove(p);
    }
    closedir(d);
    rmdir(dir);
}

/* Number of files in dir whose name ends in suffix. */
static int count_suffix(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    size_t sl = strlen(suffix);
    while (d && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0) n++;
    }
    if (d) closedir(d);
    return n;
}

static const int OUT_SPECIES[] = {2, 0, 1}; /* TRACER, O3, NO2: order differs from the State */

static OutputConfig cfg_make(const char *dir, int average, int all_layers)
{
    OutputConfig c = {0};
    c.dir = dir;
    c.nout = 3;
    c.species = OUT_SPECIES;
    c.interval_s = INTERVAL;
    c.all_layers = all_layers;
    c.average = average;
    c.config_text = CONFIG_TEXT;
    c.title = "test";
    c.version = "0.0-test";
    return c;
}

/* Steps from step n0 to n1 (t = T0 + n DT), accumulating and writing at the output times. */
static void run_steps(Output *o, State *s, long n0, long n1)
{
    BgErr e = {0};
    long per = (long)(INTERVAL / DT);
    for (long n = n0 + 1; n <= n1; n++) {
        state_set(s, T0 + n * DT);
        output_accumulate(o, s);
        if (n % per == 0) {
            int rc = output_write(o, s, &e);
            if (rc) fail_msg("output_write: %s", e.msg);
        }
    }
}

/* An uninterrupted run of nsteps steps into dir. */
static void run_full(const char *dir, int average, int all_layers, const Grid *g, long nsteps)
{
    State s;
    Output o;
    BgErr e = {0};
    state_make(&s);
    OutputConfig c = cfg_make(dir, average, all_layers);
    assert_int_equal(output_init(&o, g, &c, T0, &e), 0);
    state_set(&s, T0);
    output_accumulate(&o, &s); /* the run-start call: adds nothing */
    if (!average) assert_int_equal(output_write(&o, &s, &e), 0);
    run_steps(&o, &s, 0, nsteps);
    assert_int_equal(output_finish(&o, &e), 0);
    output_free(&o);
    state_free(&s);
}

static char *get_text_att(int ncid, int varid, const char *name)
{
    size_t len;
    if (nc_inq_attlen(ncid, varid, name, &len) != NC_NOERR) return NULL;
    char *s = calloc(len + 1, 1);
    nc_get_att_text(ncid, varid, name, s);
    return s;
}

static void assert_att(int ncid, const char *var, const char *name, const char *want)
{
    int v = NC_GLOBAL;
    if (var) assert_int_equal(nc_inq_varid(ncid, var, &v), NC_NOERR);
    char *s = get_text_att(ncid, v, name);
    if (!s) fail_msg("attribute %s:%s missing", var ? var : "global", name);
    if (strcmp(s, want) != 0) fail_msg("%s:%s = \"%s\", want \"%s\"", var ? var : "global", name, s, want);
    free(s);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(time_parse("2024-01-10T00:00:00Z", &T0), 0);
    return 0;
}

/* ---------------------------------------------------------------- tests */

/* Checks one day file: record count, times, bounds and every value. */
static void check_day(const char *path, int average, int all_layers, double first_t, int nrec)
{
    int ncid, v, d;
    size_t n;
    assert_int_equal(nc_open(path, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_inq_dimid(ncid, "time", &d), NC_NOERR);
    assert_int_equal(nc_inq_dimlen(ncid, d, &n), NC_NOERR);
    assert_int_equal((int)n, nrec);
    int nlev = all_layers ? NZ : 1;
    float *buf = malloc((size_t)nlev * NX * NY * sizeof *buf);
    for (int r = 0; r < nrec; r++) {
        double t, want_t = first_t + r * INTERVAL;
        size_t ix = (size_t)r;
        assert_int_equal(nc_inq_varid(ncid, "time", &v), NC_NOERR);
        assert_int_equal(nc_get_var1_double(ncid, v, &ix, &t), NC_NOERR);
        assert_true(t == want_t);
        if (average) {
            double tb[2];
            size_t st[2] = {ix, 0}, ct[2] = {1, 2};
            assert_int_equal(nc_inq_varid(ncid, "time_bnds", &v), NC_NOERR);
            assert_int_equal(nc_get_vara_double(ncid, v, st, ct, tb), NC_NOERR);
            assert_true(tb[0] == t - INTERVAL && tb[1] == t);
        }
        for (int o = 0; o < 3; o++) {
            int sp = OUT_SPECIES[o];
            size_t st[4] = {ix, 0, 0, 0}, ct[4] = {1, (size_t)nlev, NY, NX};
            if (!all_layers) ct[1] = NY, ct[2] = NX;
            assert_int_equal(nc_inq_varid(ncid, SPEC_NAMES[sp], &v), NC_NOERR);
            assert_int_equal(nc_get_vara_float(ncid, v, st, ct, buf), NC_NOERR);
            for (int k = 0; k < nlev; k++)
                for (int j = 0; j < NY; j++)
                    for (int i = 0; i < NX; i++) {
                        float got = buf[((size_t)k * NY + j) * NX + i];
                        if (!average) {
                            float want = (float)(q_at(sp, k, j, i, t) * 1e9);
                            if (got != want)
                                fail_msg("%s %s [%d,%d,%d]: %.9g != %.9g", path, SPEC_NAMES[sp], k,
                                         j, i, got, want);
                        } else {
                            /* samples at t - I + DT .. t: their mean time is t - I/2 + DT/2 */
                            double tm = t - 0.5 * INTERVAL + 0.5 * DT;
                            double want = coef_a(sp, k, j, i) + coef_b(sp, k) * (tm - T0) / 3600.0;
                            if (fabs(got - want) > 1e-6 * fabs(want))
                                fail_msg("%s %s [%d,%d,%d] t=%g: mean %.9g, analytic %.9g", path,
                                         SPEC_NAMES[sp], k, j, i, t, got, want);
                        }
                    }
        }
    }
    free(buf);
    nc_close(ncid);
}

static void check_attributes(const char *path, int average)
{
    int ncid, v;
    double r;
    assert_int_equal(nc_open(path, NC_NOWRITE, &ncid), NC_NOERR);
    assert_att(ncid, NULL, "Conventions", "CF-1.8");
    assert_att(ncid, NULL, "bogda_config", CONFIG_TEXT);
    assert_att(ncid, NULL, "source", "Bogda 0.0-test");
    assert_att(ncid, NULL, "title", "test");
    assert_int_equal(nc_inq_varid(ncid, "lambert_conformal_conic", &v), NC_NOERR);
    assert_int_equal(nc_get_att_double(ncid, v, "earth_radius", &r), NC_NOERR);
    assert_true(r == 6370000.0);
    double sp[2];
    size_t len;
    assert_int_equal(nc_inq_attlen(ncid, v, "standard_parallel", &len), NC_NOERR);
    assert_int_equal((int)len, 2);
    assert_int_equal(nc_get_att_double(ncid, v, "standard_parallel", sp), NC_NOERR);
    assert_true(sp[0] == 30.0 && sp[1] == 60.0);
    assert_int_equal(nc_get_att_double(ncid, v, "longitude_of_central_meridian", &r), NC_NOERR);
    assert_true(r == 87.0);
    assert_int_equal(nc_get_att_double(ncid, v, "latitude_of_projection_origin", &r), NC_NOERR);
    assert_true(r == 44.0);
    assert_att(ncid, "lambert_conformal_conic", "grid_mapping_name", "lambert_conformal_conic");
    assert_att(ncid, "O3", "units", "ppb");
    assert_att(ncid, "O3", "standard_name", "mole_fraction_of_ozone_in_air");
    assert_att(ncid, "NO2", "standard_name", "mole_fraction_of_nitrogen_dioxide_in_air");
    assert_att(ncid, "O3", "grid_mapping", "lambert_conformal_conic");
    assert_att(ncid, "O3", "coordinates", "lat lon");
    assert_att(ncid, "O3", "cell_methods", average ? "time: mean" : "time: point");
    assert_int_equal(nc_inq_varid(ncid, "TRACER", &v), NC_NOERR);
    assert_int_not_equal(nc_inq_att(ncid, v, "standard_name", NULL, NULL), NC_NOERR);
    assert_att(ncid, "time", "units", "seconds since 1970-01-01 00:00:00");
    assert_att(ncid, "time", "calendar", "standard");
    assert_att(ncid, "time", "axis", "T");
    if (average) assert_att(ncid, "time", "bounds", "time_bnds");
    assert_att(ncid, "x", "standard_name", "projection_x_coordinate");
    assert_att(ncid, "x", "units", "m");
    assert_att(ncid, "y", "standard_name", "projection_y_coordinate");
    assert_att(ncid, "lat", "standard_name", "latitude");
    assert_att(ncid, "lat", "units", "degrees_north");
    assert_att(ncid, "lat", "bounds", "lat_bnds");
    assert_att(ncid, "lon", "units", "degrees_east");
    assert_att(ncid, "lon", "bounds", "lon_bnds");
    /* corners round-trip, dims (y, x, nv) */
    int dims[3];
    char dn[NC_MAX_NAME + 1];
    assert_int_equal(nc_inq_varid(ncid, "lat_bnds", &v), NC_NOERR);
    assert_int_equal(nc_inq_vardimid(ncid, v, dims), NC_NOERR);
    nc_inq_dimname(ncid, dims[2], dn);
    assert_string_equal(dn, "nv");
    double cb[4];
    size_t st[3] = {2, 3, 0}, ct[3] = {1, 1, 4};
    assert_int_equal(nc_get_vara_double(ncid, v, st, ct, cb), NC_NOERR);
    assert_true(fabs(cb[2] - (43.9 + 0.036 * 2 + 0.003 + 0.018)) < 1e-12);
    /* chunking: one record per chunk */
    int storage;
    size_t chunks[4];
    assert_int_equal(nc_inq_varid(ncid, "O3", &v), NC_NOERR);
    assert_int_equal(nc_inq_var_chunking(ncid, v, &storage, chunks), NC_NOERR);
    assert_int_equal(storage, NC_CHUNKED);
    assert_int_equal((int)chunks[0], 1);
    assert_int_equal((int)chunks[1], NY);
    assert_int_equal((int)chunks[2], NX);
    nc_close(ncid);
    if (system("command -v ncdump >/dev/null 2>&1") == 0) {
        char cmd[1400];
        snprintf(cmd, sizeof cmd, "ncdump -h '%s' >/dev/null 2>&1", path);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_two_days_average_on(void **state)
{
    (void)state;
    Grid g;
    char dir[64], p[256];
    grid_make(&g, 1);
    make_tmpdir(dir, sizeof dir);
    run_full(dir, 1, 0, &g, 192);
    /* Means ending 01:00 .. 24:00 of Jan 10 in the first file, 01:00 .. 24:00 of Jan 11 next. */
    snprintf(p, sizeof p, "%s/conc_2024-01-10.nc", dir);
    check_day(p, 1, 0, T0 + 3600, 24);
    check_attributes(p, 1);
    snprintf(p, sizeof p, "%s/conc_2024-01-11.nc", dir);
    check_day(p, 1, 0, T0 + 86400 + 3600, 24);
    assert_int_equal(count_suffix(dir, ".nc"), 2);
    assert_int_equal(count_suffix(dir, ".tmp"), 0);
    rm_tree(dir);
    grid_release(&g);
}

static void test_two_days_average_off(void **state)
{
    (void)state;
    Grid g;
    char dir[64], p[256];
    grid_make(&g, 1);
    make_tmpdir(dir, sizeof dir);
    run_full(dir, 0, 0, &g, 192);
    /* Point values 00:00 .. 23:00 per day; the final 00:00 of Jan 12 opens a third file. */
    snprintf(p, sizeof p, "%s/conc_2024-01-10.nc", dir);
    check_day(p, 0, 0, T0, 24);
    check_attributes(p, 0);
    snprintf(p, sizeof p, "%s/conc_2024-01-11.nc", dir);
    check_day(p, 0, 0, T0 + 86400, 24);
    snprintf(p, sizeof p, "%s/conc_2024-01-12.nc", dir);
    check_day(p, 0, 0, T0 + 2 * 86400, 1);
    assert_int_equal(count_suffix(dir, ".nc"), 3);
    assert_int_equal(count_suffix(dir, ".tmp"), 0);
    rm_tree(dir);
    grid_release(&g);
}

static void test_all_layers(void **state)
{
    (void)state;
    Grid g;
    char dir[64], p[256];
    grid_make(&g, 1);
    make_tmpdir(dir, sizeof dir);
    run_full(dir, 1, 1, &g, 96);
    snprintf(p, sizeof p, "%s/conc_2024-01-10.nc", dir);
    check_day(p, 1, 1, T0 + 3600, 24);
    int ncid, v, nd, dims[4], z[NZ];
    char dn[NC_MAX_NAME + 1];
    assert_int_equal(nc_open(p, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, "NO2", &v), NC_NOERR);
    assert_int_equal(nc_inq_varndims(ncid, v, &nd), NC_NOERR);
    assert_int_equal(nd, 4);
    nc_inq_vardimid(ncid, v, dims);
    const char *want[4] = {"time", "z", "y", "x"};
    for (int i = 0; i < 4; i++) {
        nc_inq_dimname(ncid, dims[i], dn);
        assert_string_equal(dn, want[i]);
    }
    assert_att(ncid, "z", "standard_name", "model_level_number");
    assert_att(ncid, "z", "positive", "up");
    assert_int_equal(nc_inq_varid(ncid, "z", &v), NC_NOERR);
    assert_int_equal(nc_get_var_int(ncid, v, z), NC_NOERR);
    for (int k = 0; k < NZ; k++) assert_int_equal(z[k], k + 1);
    nc_close(ncid);
    rm_tree(dir);
    grid_release(&g);
}

/* Interrupted at step nkill (checkpoint at step nckpt <= nkill, accumulator saved there), then a
 * new Output continues from the checkpoint; the files must equal the uninterrupted run's. */
static void continuation_case(int average, long nckpt, long nkill)
{
    Grid g;
    char d_full[64], d_cont[64];
    grid_make(&g, 1);
    make_tmpdir(d_full, sizeof d_full);
    make_tmpdir(d_cont, sizeof d_cont);
    run_full(d_full, average, 0, &g, 192);

    State s;
    Output o;
    BgErr e = {0};
    state_make(&s);
    OutputConfig c = cfg_make(d_cont, average, 0);
    assert_int_equal(output_init(&o, &g, &c, T0, &e), 0);
    state_set(&s, T0);
    if (!average) assert_int_equal(output_write(&o, &s, &e), 0);
    run_steps(&o, &s, 0, nckpt);
    /* checkpoint */
    double *acc = NULL;
    if (o.nacc) {
        acc = malloc(o.nacc * sizeof *acc);
        memcpy(acc, o.acc, o.nacc * sizeof *acc);
    }
    size_t nacc = o.nacc;
    long ns = o.nsamples;
    double as = o.acc_start, ls = o.last_sample;
    run_steps(&o, &s, nckpt, nkill); /* the killed run got further, then died: no finish */
    output_free(&o);

    /* the continuation */
    double tr = T0 + nckpt * DT;
    assert_int_equal(output_init(&o, &g, &c, tr, &e), 0);
    assert_int_equal(output_restore(&o, acc, nacc, ns, as, ls, &e), 0);
    state_set(&s, tr);
    output_accumulate(&o, &s); /* a repeated sample at the restart time must not count */
    run_steps(&o, &s, nckpt, 192);
    assert_int_equal(output_finish(&o, &e), 0);
    output_free(&o);
    free(acc);
    state_free(&s);

    assert_int_equal(count_suffix(d_cont, ".tmp"), 0);
    assert_int_equal(count_suffix(d_cont, ".part"), 0);
    assert_int_equal(count_suffix(d_cont, ".nc"), count_suffix(d_full, ".nc"));
    const char *days[3] = {"2024-01-10", "2024-01-11", "2024-01-12"};
    for (int i = 0; i < (average ? 2 : 3); i++) {
        char a[256], b[256], rep[256];
        long nd = -1;
        snprintf(a, sizeof a, "%s/conc_%s.nc", d_full, days[i]);
        snprintf(b, sizeof b, "%s/conc_%s.nc", d_cont, days[i]);
        assert_int_equal(nc_compare_files(a, b, NULL, &nd, rep, sizeof rep), 0);
        if (nd != 0) fail_msg("%s: %ld differences: %s", b, nd, rep);
    }
    rm_tree(d_full);
    rm_tree(d_cont);
    grid_release(&g);
}

/* checkpoint 13:30 (mid-interval), killed at 17:45: the continuation drops 14:00..17:00 */
static void test_continue_midday_average(void **s) { (void)s, continuation_case(1, 54, 71); }
static void test_continue_midday_point(void **s) { (void)s, continuation_case(0, 54, 71); }
/* checkpoint 23:15, killed at 02:30 next day: the finished first day is re-opened, day 2 redone */
static void test_continue_across_day_average(void **s) { (void)s, continuation_case(1, 93, 106); }
static void test_continue_across_day_point(void **s) { (void)s, continuation_case(0, 93, 106); }

static void test_mass_concentration(void **state)
{
    (void)state;
    Grid g;
    State s;
    Output o;
    BgErr e = {0};
    char dir[64], p[256];
    grid_make(&g, 1);
    state_make(&s);
    make_tmpdir(dir, sizeof dir);
    double rho[NZ * NY * NX];
    for (int c = 0; c < NZ * NY * NX; c++) rho[c] = 1.05 - 0.01 * c;
    int sp[2] = {3, 0}, as_mass[2] = {1, 0};
    OutputConfig c = cfg_make(dir, 0, 0);
    c.nout = 2, c.species = sp, c.as_mass = as_mass, c.air_density = rho;
    assert_int_equal(output_init(&o, &g, &c, T0, &e), 0);
    state_set(&s, T0);
    assert_int_equal(output_write(&o, &s, &e), 0);
    assert_int_equal(output_finish(&o, &e), 0);
    output_free(&o);
    snprintf(p, sizeof p, "%s/conc_2024-01-10.nc", dir);
    int ncid, v;
    float buf[NY * NX];
    assert_int_equal(nc_open(p, NC_NOWRITE, &ncid), NC_NOERR);
    assert_att(ncid, "PSO4", "units", "ug m-3");
    assert_att(ncid, "PSO4", "standard_name",
               "mass_concentration_of_sulfate_dry_aerosol_particles_in_air");
    assert_att(ncid, "O3", "units", "ppb");
    assert_int_equal(nc_inq_varid(ncid, "PSO4", &v), NC_NOERR);
    assert_int_equal(nc_get_var_float(ncid, v, buf), NC_NOERR);
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            double want = q_at(3, 0, j, i, T0) * rho[j * NX + i] * 96.06 / BG_M_AIR * 1e9;
            assert_true(fabs(buf[j * NX + i] - want) <= 1e-6 * want);
        }
    nc_close(ncid);
    /* without an air density the configuration is refused */
    c.air_density = NULL;
    BgErr e2 = {0};
    assert_int_equal(output_init(&o, &g, &c, T0, &e2), BG_EFAIL);
    output_free(&o);
    rm_tree(dir);
    state_free(&s);
    grid_release(&g);
}

/* Samples taken in two half-weighted parts (output_accumulate_w, the driver's merged advection
 * halves): a part at the sample's time before (q + d) and one after (q - d) give the mean of the
 * plain samples q, counted once each; a continued part without its first part adds nothing. */
static void test_split_samples(void **state)
{
    (void)state;
    Grid g;
    State s;
    Output o;
    BgErr e = {0};
    char dir[64], p[256];
    grid_make(&g, 1);
    state_make(&s);
    make_tmpdir(dir, sizeof dir);
    OutputConfig c = cfg_make(dir, 1, 0);
    assert_int_equal(output_init(&o, &g, &c, T0, &e), 0);
    const size_t n = state_ncell(&s) * NSPEC;
    const double d = 3e-9;
    state_set(&s, T0);
    output_accumulate_w(&o, &s, 0.5, 1); /* a continued part at the run start: nothing */
    for (long k = 1; k <= (long)(INTERVAL / DT); k++) {
        state_set(&s, T0 + k * DT);
        if (k == 2) {
            output_accumulate(&o, &s); /* a whole sample between split ones */
            continue;
        }
        for (size_t c2 = 0; c2 < n; c2++) s.q[c2] += d;
        output_accumulate_w(&o, &s, 0.5, 0);
        for (size_t c2 = 0; c2 < n; c2++) s.q[c2] -= 2 * d;
        output_accumulate_w(&o, &s, 0.5, 1);
        if (k == 3) {
            s.time += DT / 2; /* a continued part at another time than its first part's */
            output_accumulate_w(&o, &s, 0.5, 1);
            s.time -= DT / 2;
        }
    }
    assert_int_equal(o.nsamples, (long)(INTERVAL / DT));
    assert_int_equal(output_write(&o, &s, &e), 0);
    assert_int_equal(output_finish(&o, &e), 0);
    output_free(&o);
    snprintf(p, sizeof p, "%s/conc_2024-01-10.nc", dir);
    int ncid, v;
    float buf[NY * NX];
    assert_int_equal(nc_open(p, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, "O3", &v), NC_NOERR);
    assert_int_equal(nc_get_var_float(ncid, v, buf), NC_NOERR);
    double worst = 0;
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            /* q is linear in t: the mean of the samples at DT..INTERVAL is q at their middle */
            double want = q_at(0, 0, j, i, T0 + 0.5 * (INTERVAL + DT)) * 1e9;
            worst = fmax(worst, fabs(buf[j * NX + i] - want) / want);
        }
    nc_close(ncid);
    print_message("split samples: mean within %.1e of the plain samples' (float output)\n", worst);
    assert_true(worst < 1e-6);
    rm_tree(dir);
    state_free(&s);
    grid_release(&g);
}

static void test_other_projections(void **state)
{
    (void)state;
    for (int mp = 2; mp <= 3; mp++) {
        Grid g;
        State s;
        Output o;
        BgErr e = {0};
        char dir[64], p[256];
        grid_make(&g, mp);
        state_make(&s);
        make_tmpdir(dir, sizeof dir);
        OutputConfig c = cfg_make(dir, 0, 0);
        assert_int_equal(output_init(&o, &g, &c, T0, &e), 0);
        state_set(&s, T0);
        assert_int_equal(output_write(&o, &s, &e), 0);
        assert_int_equal(output_finish(&o, &e), 0);
        output_free(&o);
        snprintf(p, sizeof p, "%s/conc_2024-01-10.nc", dir);
        int ncid, v;
        double r;
        assert_int_equal(nc_open(p, NC_NOWRITE, &ncid), NC_NOERR);
        const char *name = mp == 2 ? "polar_stereographic" : "mercator";
        assert_int_equal(nc_inq_varid(ncid, name, &v), NC_NOERR);
        assert_att(ncid, name, "grid_mapping_name", name);
        assert_att(ncid, "O3", "grid_mapping", name);
        assert_int_equal(nc_get_att_double(ncid, v, "earth_radius", &r), NC_NOERR);
        assert_true(r == 6370000.0);
        if (mp == 2) {
            assert_int_equal(nc_get_att_double(ncid, v, "latitude_of_projection_origin", &r), 0);
            assert_true(r == 90.0);
            assert_int_equal(nc_get_att_double(ncid, v, "straight_vertical_longitude_from_pole", &r), 0);
            assert_true(r == 87.0);
        } else {
            assert_int_equal(nc_get_att_double(ncid, v, "longitude_of_projection_origin", &r), 0);
            assert_true(r == 87.0);
        }
        assert_int_equal(nc_get_att_double(ncid, v, "standard_parallel", &r), 0);
        assert_true(r == g.truelat1);
        nc_close(ncid);
        rm_tree(dir);
        state_free(&s);
        grid_release(&g);
    }
}

static void test_errors(void **state)
{
    (void)state;
    Grid g;
    State s;
    Output o;
    char dir[64];
    grid_make(&g, 4);
    state_make(&s);
    make_tmpdir(dir, sizeof dir);
    OutputConfig c = cfg_make(dir, 1, 0);
    BgErr e = {0};
    assert_int_equal(output_init(&o, &g, &c, T0, &e), BG_EINPUT);
    assert_non_null(strstr(e.msg, "MAP_PROJ 4"));
    output_free(&o);
    g.map_proj = 1;

    /* a mean with no sample */
    BgErr e2 = {0};
    assert_int_equal(output_init(&o, &g, &c, T0, &e2), 0);
    state_set(&s, T0 + 3600);
    assert_int_equal(output_write(&o, &s, &e2), BG_EFAIL);
    assert_non_null(strstr(e2.msg, "no samples"));
    output_free(&o);

    /* continuing mid-day into a file of another layout is refused, naming the file */
    BgErr e3 = {0};
    OutputConfig c1 = cfg_make(dir, 0, 1);
    assert_int_equal(output_init(&o, &g, &c1, T0, &e3), 0);
    state_set(&s, T0);
    assert_int_equal(output_write(&o, &s, &e3), 0);
    output_free(&o); /* killed: conc_2024-01-10.nc.tmp stays */
    OutputConfig c2 = cfg_make(dir, 0, 0);
    assert_int_equal(output_init(&o, &g, &c2, T0 + 7200, &e3), 0);
    state_set(&s, T0 + 7200);
    assert_int_equal(output_write(&o, &s, &e3), BG_EFAIL);
    assert_non_null(strstr(e3.msg, "conc_2024-01-10.nc.tmp"));
    output_free(&o);
    /* ... but at the day's first record it is simply replaced */
    BgErr e4 = {0};
    assert_int_equal(output_init(&o, &g, &c2, T0, &e4), 0);
    state_set(&s, T0);
    assert_int_equal(output_write(&o, &s, &e4), 0);
    assert_int_equal(output_finish(&o, &e4), 0);
    output_free(&o);
    assert_int_equal(count_suffix(dir, ".tmp"), 0);

    /* ... and so is a file written under another configuration hash */
    BgErr e5 = {0};
    OutputConfig h1 = cfg_make(dir, 0, 0), h2 = cfg_make(dir, 0, 0);
    h1.config_hash = "1111", h2.config_hash = "2222";
    assert_int_equal(output_init(&o, &g, &h1, T0, &e5), 0);
    state_set(&s, T0);
    assert_int_equal(output_write(&o, &s, &e5), 0);
    output_free(&o);
    assert_int_equal(output_init(&o, &g, &h2, T0 + 3600, &e5), 0);
    state_set(&s, T0 + 3600);
    assert_int_equal(output_write(&o, &s, &e5), BG_EFAIL);
    assert_non_null(strstr(e5.msg, "configuration hash differs"));
    output_free(&o);

    rm_tree(dir);
    state_free(&s);
    grid_release(&g);
}

/* nc_compare_files on hand-made files: one changed value is found and located. */
static void write_small(const char *path, float v12, int with_extra)
{
    int ncid, dy, dx, v, w;
    float a[3][4];
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 4; i++) a[j][i] = 0.5f * j + 0.25f * i;
    a[1][2] = v12;
    int dims[2];
    assert_int_equal(nc_create(path, NC_CLOBBER | NC_NETCDF4, &ncid), NC_NOERR);
    nc_def_dim(ncid, "y", 3, &dy);
    nc_def_dim(ncid, "x", 4, &dx);
    dims[0] = dy, dims[1] = dx;
    nc_def_var(ncid, "f", NC_FLOAT, 2, dims, &v);
    nc_def_var(ncid, "c", NC_CHAR, 1, &dx, &w);
    int vd;
    nc_def_var(ncid, "d", NC_DOUBLE, 0, NULL, &vd);
    int ve = -1;
    if (with_extra) nc_def_var(ncid, "extra", NC_INT, 1, &dy, &ve);
    nc_enddef(ncid);
    nc_put_var_float(ncid, v, &a[0][0]);
    nc_put_var_text(ncid, w, "abcd");
    double d = 1.0 / 3.0;
    nc_put_var_double(ncid, vd, &d);
    if (with_extra) {
        int x[3] = {1, 2, 3};
        nc_put_var_int(ncid, ve, x);
    }
    nc_close(ncid);
}

static void test_nccompare(void **state)
{
    (void)state;
    char dir[64], a[128], b[128], c[128], rep[256];
    make_tmpdir(dir, sizeof dir);
    snprintf(a, sizeof a, "%s/a.nc", dir);
    snprintf(b, sizeof b, "%s/b.nc", dir);
    snprintf(c, sizeof c, "%s/c.nc", dir);
    write_small(a, 7.0f, 0);
    write_small(b, 7.0f, 0);
    long nd = -1;
    assert_int_equal(nc_compare_files(a, b, NULL, &nd, rep, sizeof rep), 0);
    assert_int_equal(nd, 0);
    assert_string_equal(rep, "identical");

    write_small(b, nextafterf(7.0f, 8.0f), 0); /* one ulp */
    assert_int_equal(nc_compare_files(a, b, NULL, &nd, rep, sizeof rep), 0);
    assert_int_equal(nd, 1);
    assert_non_null(strstr(rep, "variable f differs at [1,2]"));
    const char *skip[] = {"f", NULL};
    assert_int_equal(nc_compare_files(a, b, skip, &nd, rep, sizeof rep), 0);
    assert_int_equal(nd, 0);

    write_small(c, 7.0f, 1); /* a variable only in c: its 3 values count */
    assert_int_equal(nc_compare_files(a, c, NULL, &nd, rep, sizeof rep), 0);
    assert_int_equal(nd, 3);
    assert_non_null(strstr(rep, "extra"));

    char missing[128];
    snprintf(missing, sizeof missing, "%s/none.nc", dir);
    assert_int_equal(nc_compare_files(a, missing, NULL, &nd, rep, sizeof rep), -1);
    assert_non_null(strstr(rep, "none.nc"));
    rm_tree(dir);
}

/* A record that cannot be written fails with one message naming the .tmp and leaves no .tmp
 * behind; the NetCDF text is completed by errno, and a full disk is said in plain words. */
static void test_write_failure_message(void **state)
{
    (void)state;
    Grid g;
    State s;
    Output o;
    char dir[64], notdir[128];
    grid_make(&g, 1);
    state_make(&s);
    make_tmpdir(dir, sizeof dir);
    /* output_dir below a regular file: creating the day's file fails with ENOTDIR */
    snprintf(notdir, sizeof notdir, "%s/plain", dir);
    FILE *f = fopen(notdir, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(notdir, sizeof notdir, "%s/plain/out", dir);
    OutputConfig c = cfg_make(notdir, 0, 0);
    BgErr e = {0};
    assert_int_equal(output_init(&o, &g, &c, T0, &e), 0);
    state_set(&s, T0);
    assert_int_equal(output_write(&o, &s, &e), BG_EFAIL);
    assert_non_null(strstr(e.msg, "plain/out/conc_2024-01-10.nc.tmp: "));
    assert_non_null(strstr(e.msg, "Not a directory"));
    assert_int_equal(count_suffix(dir, ".tmp"), 0);
    output_free(&o);

    char why[256];
    output_nc_reason(NC_EHDFERR, ENOSPC, NULL, why, sizeof why);
    assert_string_equal(why, "no space left on device (NetCDF: HDF error)");
    output_nc_reason(NC_EHDFERR, EDQUOT, NULL, why, sizeof why);
    assert_string_equal(why, "no space left on device (NetCDF: HDF error)");
    output_nc_reason(NC_EHDFERR, EIO, dir, why, sizeof why);
    assert_string_equal(why, "NetCDF: HDF error (Input/output error)");
    output_nc_reason(NC_EHDFERR, 0, dir, why, sizeof why);
    assert_string_equal(why, "NetCDF: HDF error");
    output_nc_reason(EACCES, EACCES, dir, why, sizeof why); /* not "Permission denied" twice */
    assert_string_equal(why, "Permission denied");
    rm_tree(dir);
    state_free(&s);
    grid_release(&g);
}

/* The whole program on a full disk (a small tmpfs: root only, skipped otherwise): exit 1 with
 * one message, no crash in HDF5 at exit (was SIGSEGV, 139), and the file whose write failed
 * removed (the others stay as after a kill, for --resume).  Sizes that fill the
 * disk in the first day file (400k) and in the checkpoint (1m). */
static void test_full_disk_run(void **state)
{
    (void)state;
    const char *bogda = getenv("BOGDA");
    if (!bogda || geteuid() != 0) {
        print_message("skipped: needs BOGDA and root (tmpfs)\n");
        skip();
    }
    char dir[64], cmd[2048];
    make_tmpdir(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "cd %s && %s makecase case --days 1 >/dev/null 2>&1", dir, bogda);
    assert_int_equal(system(cmd), 0);
    static const char *const sizes[] = {"400k", "1m"};
    int mounted = 0;
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "mkdir -p %s/fs && mount -t tmpfs -o size=%s tmpfs %s/fs 2>/dev/null", dir,
                 sizes[i], dir);
        if (system(cmd) != 0) break; /* no mount here (a container): nothing to test */
        mounted++;
        snprintf(cmd, sizeof cmd,
                 "%s run %s/case/demo.ini --set run.hours=2 --set run.output_dir=%s/fs/out >%s/out.txt 2>%s/err.txt",
                 bogda, dir, dir, dir, dir);
        int st = system(cmd);
        char err[2048] = "", p[256];
        snprintf(p, sizeof p, "%s/err.txt", dir);
        FILE *f = fopen(p, "r");
        size_t n = f ? fread(err, 1, sizeof err - 1, f) : 0;
        err[n] = 0;
        if (f) fclose(f);
        /* the file whose write failed is gone; the others stay, as after a kill, for --resume */
        int failed_left = 1;
        const char *a = strstr(err, "bogda: error: "), *z = strstr(err, ".nc.tmp");
        if (a && z && z > a) {
            char fp[512];
            snprintf(fp, sizeof fp, "%.*s", (int)(z + 7 - (a + 14)), a + 14);
            failed_left = access(fp, F_OK) == 0;
        }
        snprintf(cmd, sizeof cmd, "umount %s/fs", dir);
        assert_int_equal(system(cmd), 0);
        if (!WIFEXITED(st)) fail_msg("size %s: killed by signal %d; stderr: %s", sizes[i], WTERMSIG(st), err);
        assert_int_equal(WEXITSTATUS(st), 1);
        if (!strstr(err, "bogda: error: ") || !strstr(err, ".nc.tmp") || !strstr(err, "no space left on device"))
            fail_msg("size %s: message \"%s\"", sizes[i], err);
        int lines = 0;
        for (const char *c = err; *c; c++) lines += *c == '\n';
        assert_int_equal(lines, 1);
        assert_int_equal(failed_left, 0);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    if (!mounted) {
        print_message("skipped: cannot mount a tmpfs\n");
        skip();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_days_average_on),
        cmocka_unit_test(test_two_days_average_off),
        cmocka_unit_test(test_all_layers),
        cmocka_unit_test(test_continue_midday_average),
        cmocka_unit_test(test_continue_midday_point),
        cmocka_unit_test(test_continue_across_day_average),
        cmocka_unit_test(test_continue_across_day_point),
        cmocka_unit_test(test_mass_concentration),
        cmocka_unit_test(test_split_samples),
        cmocka_unit_test(test_other_projections),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nccompare),
        cmocka_unit_test(test_write_failure_message),
        cmocka_unit_test(test_full_disk_run),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
