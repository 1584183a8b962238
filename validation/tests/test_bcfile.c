/* bcfile: lateral and top boundary values from a global model's NetCDF.
 *
 * Synthetic boundary files in /tmp hold analytic fields linear in lon, lat, ln p (or height) and
 * time, q = A + B lon + C lat + D s + E h; linear interpolation in each coordinate reproduces them
 * exactly, so the filled values must equal q at the boundary cells (centres of the outermost ring
 * of columns and of the top layer of every column, with the met's p or heights there) to 1e-9
 * relative.  Layouts: pressure levels in hPa with descending latitude and 0..360 longitudes (also
 * a global file around the Greenwich meridian, read across the seam), height levels above ground
 * and above sea level, CF hybrid sigma-pressure levels, a permuted dimension order, packed shorts.
 * Units against hand numbers; the refusals name the file and the item. */
#include <dirent.h>
#include <math.h>
#include <netcdf.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "bcfile.h"
#include "grid.h"
#include "met.h"
#include "state.h"
#include "synthmet.h"
#include "timeutil.h"

#define NC(call) assert_int_equal((call), NC_NOERR)

/* the analytic field; h = hours since 2024-01-10T00Z, s = ln(p / Pa) or height in m */
#define QA 60.0
#define QB 0.2
#define QC (-0.4)
#define QDP 2.0    /* per unit ln p */
#define QDZ 1.0e-3 /* per m */
#define QE 0.5     /* per hour */

enum { LEV_HPA, LEV_M_AGL, LEV_M_ASL, LEV_HYBRID, LEV_PA };
enum { BAD_NONE, BAD_NAN, BAD_NEG, BAD_FILL };

typedef struct Var {
    const char *name, *units, *stdname;
    double scale;       /* file value = scale * q */
    double pack;        /* > 0: NC_SHORT with scale_factor = pack */
    int permuted;       /* 1: dimensions (time, longitude, latitude, level) */
    int bad, bad_rec, bad_lev, bad_lat, bad_lon;
    int ndims3;         /* 1: (time, latitude, longitude) only */
} Var;

typedef struct Spec {
    int levkind, nlev;
    double lev[40];     /* hPa, Pa or m; hybrid: ap in Pa */
    double hyb_b[40];
    int nlat, nlon;
    double lat0, dlat, lon0, dlon;
    int nrec;
    double hour0, dh;   /* record times in hours since 2024-01-09 00:00 */
    const char *time_units, *calendar;
    int signed_lon;     /* q uses the longitude in -180..180 */
    int nvar;
    Var var[12];
} Spec;

typedef struct Case {
    char dir[64];
    SynthMetSpec sm;
    char **paths;
    int npaths;
    Grid g;
    Met met;
    MetFields f;
    double T0;          /* 2024-01-10T00Z, the first met record */
} Case;

static Case C;   /* Tianshan-like domain at 87.6 E */
static Case CG;  /* a domain across the Greenwich meridian */

static const char *SPEC4[] = {"O3", "NO2", "CO", "TR"};
static const double MM4[] = {47.9982, 46.0055, 28.0101, 28.97};

/* ------------------------------------------------------------------ set-up */

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    char p[1024];
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) rm_tree(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int case_open(Case *c, double cen_lon, int terrain, int nx, int ny, int nz, double dx, int nrec)
{
    snprintf(c->dir, sizeof c->dir, "/tmp/bogda_test_bcfile_XXXXXX");
    if (!mkdtemp(c->dir)) return -1;
    synthmet_defaults(&c->sm);
    c->sm.nx = nx;
    c->sm.ny = ny;
    c->sm.nz = nz;
    c->sm.dx_m = dx;
    c->sm.nrec = nrec;
    c->sm.cen_lon = cen_lon;
    c->sm.stand_lon = cen_lon;
    c->sm.cen_lat = 43.8;
    c->sm.terrain = terrain;
    BgErr e = {0};
    if (synthmet_write(&c->sm, c->dir, &c->paths, &c->npaths, &e) ||
        grid_from_wrf(&c->g, c->paths[0], &e) || time_parse(c->sm.start, &c->T0)) {
        fprintf(stderr, "set-up: %s\n", e.msg);
        return -1;
    }
    double t1 = c->T0 + (nrec - 1) * 3600.0;
    if (met_open(&c->met, &c->g, c->paths, c->npaths, c->T0, t1, 0.01, &e) || met_fields_alloc(&c->f, &c->g)) {
        fprintf(stderr, "set-up: %s\n", e.msg);
        return -1;
    }
    return 0;
}

static void case_close(Case *c)
{
    met_fields_free(&c->f);
    met_close(&c->met);
    grid_free(&c->g);
    synthmet_free_paths(c->paths, c->npaths);
    rm_tree(c->dir);
}

static int group_setup(void **state)
{
    (void)state;
    /* the brief's case: 30 x 20 x 8 at 12 km, 3 hourly records, Tianshan terrain */
    if (case_open(&C, 87.6, 1, 30, 20, 8, 12000.0, 3)) return -1;
    if (case_open(&CG, 0.0, 0, 30, 20, 8, 12000.0, 3)) return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    case_close(&C);
    case_close(&CG);
    return 0;
}

/* ------------------------------------------------------------------ synthetic boundary files */

static double qfield(const Spec *s, double lon, double lat, double sv, double h)
{
    if (s->signed_lon && lon > 180.0) lon -= 360.0;
    double d = (s->levkind == LEV_M_AGL || s->levkind == LEV_M_ASL) ? QDZ : QDP;
    return QA + QB * lon + QC * lat + d * sv + QE * h;
}

static double hyb_ps(double lon, double lat)
{
    return 103000.0 + 200.0 * (lon - 87.0) + 300.0 * (lat - 44.0);
}

static void spec_base(Spec *s)
{
    memset(s, 0, sizeof *s);
    static const double plev[] = {30, 50, 100, 200, 300, 500, 700, 850, 925, 1000, 1100};
    s->levkind = LEV_HPA;
    s->nlev = 11;
    memcpy(s->lev, plev, sizeof plev);
    s->nlat = 29; /* 50 .. 36 N, descending */
    s->lat0 = 50.0;
    s->dlat = -0.5;
    s->nlon = 61; /* 75 .. 105 E in the 0..360 convention */
    s->lon0 = 75.0;
    s->dlon = 0.5;
    s->nrec = 5;  /* 2024-01-09T23Z .. 2024-01-10T03Z */
    s->hour0 = 23.0;
    s->dh = 1.0;
    s->time_units = "hours since 2024-01-09 00:00:00";
    s->calendar = "gregorian";
    s->nvar = 3;
    s->var[0] = (Var){.name = "go3", .units = "kg kg**-1", .scale = 1e-9};
    s->var[1] = (Var){.name = "no2", .units = "ppb", .scale = 1.0};
    s->var[2] = (Var){.name = "CO", .units = "mol mol-1", .scale = 1e-9};
}

static void put_text(int nc, int var, const char *att, const char *v)
{
    if (v) NC(nc_put_att_text(nc, var, att, strlen(v), v));
}

static void write_bc(const char *path, const Spec *s)
{
    int nc, dt, dz, dy, dx, vt, vz, vy, vx, va = -1, vb = -1, vps = -1;
    NC(nc_create(path, NC_CLOBBER | NC_64BIT_OFFSET, &nc));
    NC(nc_def_dim(nc, "time", NC_UNLIMITED, &dt));
    NC(nc_def_dim(nc, "level", (size_t)s->nlev, &dz));
    NC(nc_def_dim(nc, "latitude", (size_t)s->nlat, &dy));
    NC(nc_def_dim(nc, "longitude", (size_t)s->nlon, &dx));
    NC(nc_def_var(nc, "time", NC_DOUBLE, 1, &dt, &vt));
    put_text(nc, vt, "units", s->time_units);
    put_text(nc, vt, "calendar", s->calendar);
    NC(nc_def_var(nc, "level", NC_DOUBLE, 1, &dz, &vz));
    switch (s->levkind) {
    case LEV_HPA:
        put_text(nc, vz, "units", "hPa");
        put_text(nc, vz, "positive", "down");
        put_text(nc, vz, "standard_name", "air_pressure");
        break;
    case LEV_PA:
        put_text(nc, vz, "units", "Pa");
        put_text(nc, vz, "standard_name", "air_pressure");
        break;
    case LEV_M_AGL:
        put_text(nc, vz, "units", "m");
        put_text(nc, vz, "positive", "up");
        put_text(nc, vz, "standard_name", "height");
        break;
    case LEV_M_ASL:
        put_text(nc, vz, "units", "m");
        put_text(nc, vz, "positive", "up");
        put_text(nc, vz, "standard_name", "altitude");
        break;
    case LEV_HYBRID: {
        put_text(nc, vz, "standard_name", "atmosphere_hybrid_sigma_pressure_coordinate");
        put_text(nc, vz, "positive", "down");
        put_text(nc, vz, "formula_terms", "ap: hyam b: hybm ps: ps");
        NC(nc_def_var(nc, "hyam", NC_DOUBLE, 1, &dz, &va));
        put_text(nc, va, "units", "Pa");
        NC(nc_def_var(nc, "hybm", NC_DOUBLE, 1, &dz, &vb));
        put_text(nc, vb, "units", "1");
        int d3[3] = {dt, dy, dx};
        NC(nc_def_var(nc, "ps", NC_DOUBLE, 3, d3, &vps));
        put_text(nc, vps, "units", "Pa");
        break;
    }
    }
    NC(nc_def_var(nc, "latitude", NC_DOUBLE, 1, &dy, &vy));
    put_text(nc, vy, "units", "degrees_north");
    NC(nc_def_var(nc, "longitude", NC_DOUBLE, 1, &dx, &vx));
    put_text(nc, vx, "units", "degrees_east");
    int vid[12];
    for (int v = 0; v < s->nvar; v++) {
        const Var *w = &s->var[v];
        int d4[4] = {dt, dz, dy, dx}, d4p[4] = {dt, dx, dy, dz}, d3[3] = {dt, dy, dx};
        NC(nc_def_var(nc, w->name, w->pack > 0 ? NC_SHORT : NC_DOUBLE, w->ndims3 ? 3 : 4,
                      w->ndims3 ? d3 : w->permuted ? d4p : d4, &vid[v]));
        put_text(nc, vid[v], "units", w->units);
        put_text(nc, vid[v], "standard_name", w->stdname);
        if (w->pack > 0) {
            NC(nc_put_att_double(nc, vid[v], "scale_factor", NC_DOUBLE, 1, &w->pack));
            short fill = -32767;
            NC(nc_put_att_short(nc, vid[v], "_FillValue", NC_SHORT, 1, &fill));
        } else if (w->bad == BAD_FILL) {
            double fill = -999.0;
            NC(nc_put_att_double(nc, vid[v], "_FillValue", NC_DOUBLE, 1, &fill));
        }
    }
    NC(nc_enddef(nc));

    double *lat = malloc((size_t)s->nlat * sizeof *lat), *lon = malloc((size_t)s->nlon * sizeof *lon);
    for (int j = 0; j < s->nlat; j++) lat[j] = s->lat0 + j * s->dlat;
    for (int i = 0; i < s->nlon; i++) lon[i] = s->lon0 + i * s->dlon;
    NC(nc_put_var_double(nc, vy, lat));
    NC(nc_put_var_double(nc, vx, lon));
    if (s->levkind == LEV_HYBRID) {
        NC(nc_put_var_double(nc, va, s->lev));
        NC(nc_put_var_double(nc, vb, s->hyb_b));
        double *lv = malloc((size_t)s->nlev * sizeof *lv);
        for (int k = 0; k < s->nlev; k++) lv[k] = k + 1;
        NC(nc_put_var_double(nc, vz, lv));
        free(lv);
    } else {
        NC(nc_put_var_double(nc, vz, s->lev));
    }
    size_t n3 = (size_t)s->nlev * s->nlat * s->nlon;
    double *buf = malloc(n3 * sizeof *buf);
    short *sbuf = malloc(n3 * sizeof *sbuf);
    double *ps = malloc((size_t)s->nlat * s->nlon * sizeof *ps);
    for (int r = 0; r < s->nrec; r++) {
        double th = s->hour0 + r * s->dh; /* hours since 2024-01-09 00Z */
        double h = th - 24.0;             /* hours since 2024-01-10 00Z */
        size_t st1 = (size_t)r;
        NC(nc_put_var1_double(nc, vt, &st1, &th));
        if (s->levkind == LEV_HYBRID) {
            for (int j = 0; j < s->nlat; j++)
                for (int i = 0; i < s->nlon; i++) ps[j * s->nlon + i] = hyb_ps(lon[i], lat[j]);
            size_t st[3] = {(size_t)r, 0, 0}, ct[3] = {1, (size_t)s->nlat, (size_t)s->nlon};
            NC(nc_put_vara_double(nc, vps, st, ct, ps));
        }
        for (int v = 0; v < s->nvar; v++) {
            const Var *w = &s->var[v];
            int nl = w->ndims3 ? 1 : s->nlev;
            for (int k = 0; k < nl; k++)
                for (int j = 0; j < s->nlat; j++)
                    for (int i = 0; i < s->nlon; i++) {
                        double sv;
                        if (s->levkind == LEV_HPA) sv = log(s->lev[k] * 100.0);
                        else if (s->levkind == LEV_PA) sv = log(s->lev[k]);
                        else if (s->levkind == LEV_HYBRID) sv = log(s->lev[k] + s->hyb_b[k] * hyb_ps(lon[i], lat[j]));
                        else sv = s->lev[k];
                        double val = w->scale * qfield(s, lon[i], lat[j], sv, h);
                        if (w->bad && r == w->bad_rec && k == w->bad_lev && j == w->bad_lat && i == w->bad_lon)
                            val = w->bad == BAD_NAN ? NAN : w->bad == BAD_NEG ? -1e-12 : -999.0;
                        size_t q = w->permuted ? ((size_t)i * s->nlat + j) * nl + k : ((size_t)k * s->nlat + j) * s->nlon + i;
                        buf[q] = val;
                        if (w->pack > 0) sbuf[q] = (short)fmax(-32000.0, fmin(32000.0, round(val / w->pack)));
                    }
            size_t st[4] = {(size_t)r, 0, 0, 0};
            size_t ct[4] = {1, (size_t)nl, (size_t)s->nlat, (size_t)s->nlon};
            size_t ctp[4] = {1, (size_t)s->nlon, (size_t)s->nlat, (size_t)nl};
            size_t ct3[3] = {1, (size_t)s->nlat, (size_t)s->nlon};
            const size_t *cc = w->ndims3 ? ct3 : w->permuted ? ctp : ct;
            if (w->pack > 0) NC(nc_put_vara_short(nc, vid[v], st, cc, sbuf));
            else NC(nc_put_vara_double(nc, vid[v], st, cc, buf));
        }
    }
    free(buf), free(sbuf), free(ps), free(lat), free(lon);
    NC(nc_close(nc));
}

static void bc_path(const Case *c, char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", c->dir, name);
}

/* ------------------------------------------------------------------ checks */

typedef struct Arrays {
    double *w, *e, *s, *n, *t;
    int nspec;
} Arrays;

static void arrays_alloc(Arrays *a, const Grid *g, int nspec)
{
    size_t nw = (size_t)nspec * g->nz * g->ny, ns = (size_t)nspec * g->nz * g->nx, nt = (size_t)nspec * g->nx * g->ny;
    a->w = malloc(nw * sizeof *a->w);
    a->e = malloc(nw * sizeof *a->e);
    a->s = malloc(ns * sizeof *a->s);
    a->n = malloc(ns * sizeof *a->n);
    a->t = malloc(nt * sizeof *a->t);
    a->nspec = nspec;
    assert_true(a->w && a->e && a->s && a->n && a->t);
    for (size_t i = 0; i < nw; i++) a->w[i] = a->e[i] = -7.0;
    for (size_t i = 0; i < ns; i++) a->s[i] = a->n[i] = -7.0;
    for (size_t i = 0; i < nt; i++) a->t[i] = -7.0;
}

static void arrays_free(Arrays *a)
{
    free(a->w), free(a->e), free(a->s), free(a->n), free(a->t);
}

/* The vertical coordinate of the analytic field at cell (k, c). */
static double cell_s(const Case *c, const Spec *s, int k, size_t col)
{
    size_t pl = (size_t)c->g.nx * c->g.ny;
    if (s->levkind == LEV_HPA || s->levkind == LEV_PA || s->levkind == LEV_HYBRID) return log(c->f.p[k * pl + col]);
    double z = 0.5 * (c->f.zf[k * pl + col] + c->f.zf[(k + 1) * pl + col]);
    return s->levkind == LEV_M_ASL ? z + c->g.hgt[col] : z;
}

/* Compares every filled value with conv[sp] * q at its cell; conv[sp] = 0: species left alone
 * (must still hold the sentinel).  clamp_lo/hi (> 0) bound the vertical coordinate (constant
 * beyond the file's levels).  Returns the largest relative error. */
static double check_fill(const Case *c, const Spec *s, const Arrays *a, double t, const double *conv,
                         double clamp_lo, double clamp_hi)
{
    const Grid *g = &c->g;
    const int nx = g->nx, ny = g->ny, nz = g->nz;
    const double h = (t - c->T0) / 3600.0;
    double worst = 0.0;
    for (int sp = 0; sp < a->nspec; sp++) {
        for (int face = 0; face < 5; face++) {
            int nk = face == 4 ? 1 : nz, nl = face == 4 ? nx * ny : (face < 2 ? ny : nx);
            for (int kk = 0; kk < nk; kk++)
                for (int l = 0; l < nl; l++) {
                    size_t col;
                    double got;
                    int k = face == 4 ? nz - 1 : kk;
                    switch (face) {
                    case 0: col = grid_idx2(g, l, 0); got = a->w[((size_t)sp * nz + k) * ny + l]; break;
                    case 1: col = grid_idx2(g, l, nx - 1); got = a->e[((size_t)sp * nz + k) * ny + l]; break;
                    case 2: col = grid_idx2(g, 0, l); got = a->s[((size_t)sp * nz + k) * nx + l]; break;
                    case 3: col = grid_idx2(g, ny - 1, l); got = a->n[((size_t)sp * nz + k) * nx + l]; break;
                    default: col = (size_t)l; got = a->t[(size_t)sp * nx * ny + l]; break;
                    }
                    if (conv[sp] == 0.0) {
                        assert_true(got == -7.0);
                        continue;
                    }
                    double sv = cell_s(c, s, k, col);
                    if (clamp_lo > 0 && sv < clamp_lo) sv = clamp_lo;
                    if (clamp_hi > 0 && sv > clamp_hi) sv = clamp_hi;
                    double want = conv[sp] * qfield(s, g->lon[col], g->lat[col], sv, h);
                    double rel = fabs(got - want) / fabs(want);
                    if (rel > worst) worst = rel;
                    if (!(rel <= 1e-9)) {
                        fprintf(stderr, "species %d face %d k %d l %d: got %.17g want %.17g\n", sp, face, k, l, got, want);
                        fail();
                    }
                }
        }
    }
    return worst;
}

static int fill_at(Case *c, BcFile *b, Arrays *a, double t, BgErr *e)
{
    if (met_fields_at(&c->met, t, &c->f, e)) return e->code;
    return bcfile_fill(b, &c->f, t, a->w, a->e, a->s, a->n, a->t, e);
}

static const double M_AIR = 28.9644; /* g mol-1 (model/state.h BG_M_AIR) */

/* ------------------------------------------------------------------ tests */

static void test_pressure_hpa_descending_lat(void **state)
{
    (void)state;
    Spec s;
    spec_base(&s);
    s.nvar = 4;
    /* a permuted dimension order must be read the same */
    s.var[3] = (Var){.name = "no2_perm", .units = "ppbv", .scale = 1.0, .permuted = 1};
    char path[256];
    bc_path(&C, path, sizeof path, "bc_plev.nc");
    write_bc(path, &s);
    const char *sp[] = {"O3", "NO2", "CO", "TR", "N2"};
    const double mm[] = {47.9982, 46.0055, 28.0101, 28.97, 46.0055};
    const char *map[] = {NULL, NULL, NULL, NULL, "no2_perm"};
    BcFile b;
    BgErr e = {0};
    double t1 = C.T0 + 7200.0;
    int rc = bcfile_open(&b, path, &C.g, sp, map, mm, 5, C.T0, t1, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(b.lev_kind, BCFILE_LEV_PRESSURE);
    assert_int_equal(b.nprov, 4);
    assert_true(b.provided[0] && b.provided[1] && b.provided[2] && !b.provided[3] && b.provided[4]);
    assert_string_equal(b.source[0], "go3");
    assert_string_equal(b.source[1], "no2");
    assert_int_equal(b.reads, 4); /* records 00Z .. 03Z validated at open (03Z: the pair from 02Z) */
    char line[1024];
    bcfile_describe(&b, sp, line, sizeof line);
    print_message("%s\n", line);
    assert_non_null(strstr(line, "O3 <- go3"));
    assert_non_null(strstr(line, "configuration values): TR"));

    Arrays a;
    arrays_alloc(&a, &C.g, 5);
    const double conv[] = {1e-9 * M_AIR / 47.9982, 1e-9, 1e-9, 0.0, 1e-9};
    double worst = 0.0;
    double times[] = {C.T0 + 1234.0, C.T0 + 3600.0, C.T0, C.T0 + 7200.0, C.T0 + 5000.0};
    /* reads only when t leaves the loaded pair: 02Z needs (02Z, 03Z), 01:23Z needs (01Z, 02Z) */
    int reads_after[] = {4, 4, 4, 6, 7};
    for (int it = 0; it < 5; it++) {
        rc = fill_at(&C, &b, &a, times[it], &e);
        if (rc) fprintf(stderr, "%s\n", e.msg);
        assert_int_equal(rc, BG_OK);
        double w = check_fill(&C, &s, &a, times[it], conv, 0, 0);
        if (w > worst) worst = w;
        assert_int_equal(b.reads, reads_after[it]);
    }
    /* the sub-box read is small: the domain is 360 x 240 km */
    print_message("pressure levels (hPa, descending lat, 0..360 lon, permuted dims): max relative error "
                  "%.2e over %d x %d x %d boundary cells, 5 times; sub-box %d x %d of %d x %d; %d record reads\n",
                  worst, C.g.nx, C.g.ny, C.g.nz, b.nsy, b.nsx, b.nlat, b.nlon, b.reads);
    /* in mol mol-1 at the south-west corner, lowest layer, 00Z */
    rc = fill_at(&C, &b, &a, C.T0, &e);
    print_message("south-west corner cell, 00Z: O3 %.4f ppb, NO2 %.4f ppb at p = %.1f hPa\n", a.w[0] * 1e9,
                  a.w[(size_t)1 * C.g.nz * C.g.ny] * 1e9, C.f.p[0] / 100);
    arrays_free(&a);
    bcfile_close(&b);
}

static void test_height_levels_agl_and_asl(void **state)
{
    (void)state;
    static const double zlev[] = {0, 50, 150, 400, 800, 1500, 3000, 5000, 8000, 12000, 16000, 20000, 26000, 32000};
    for (int asl = 0; asl < 2; asl++) {
        Spec s;
        spec_base(&s);
        s.levkind = asl ? LEV_M_ASL : LEV_M_AGL;
        s.nlev = 14;
        memcpy(s.lev, zlev, sizeof zlev);
        s.nlat = 41; /* ascending 34 .. 54 N */
        s.lat0 = 34.0;
        s.dlat = 0.5;
        s.nlon = 31; /* 80 .. 95 E */
        s.lon0 = 80.0;
        s.time_units = "seconds since 2024-01-09T00:00:00Z";
        s.hour0 = 23.0;
        s.dh = 1.5;
        s.nrec = 3;
        char path[256];
        bc_path(&C, path, sizeof path, asl ? "bc_zasl.nc" : "bc_zagl.nc");
        /* seconds as the time unit: write the time values by hand below */
        write_bc(path, &s);
        int nc, vt;
        NC(nc_open(path, NC_WRITE, &nc));
        NC(nc_inq_varid(nc, "time", &vt));
        for (size_t r = 0; r < 3; r++) {
            double v = (s.hour0 + r * s.dh) * 3600.0;
            NC(nc_put_var1_double(nc, vt, &r, &v));
        }
        NC(nc_close(nc));
        BcFile b;
        BgErr e = {0};
        int rc = bcfile_open(&b, path, &C.g, SPEC4, NULL, MM4, 4, C.T0, C.T0 + 7200.0, &e);
        if (rc) fprintf(stderr, "%s\n", e.msg);
        assert_int_equal(rc, BG_OK);
        assert_int_equal(b.lev_kind, asl ? BCFILE_LEV_HEIGHT_ASL : BCFILE_LEV_HEIGHT_AGL);
        Arrays a;
        arrays_alloc(&a, &C.g, 4);
        const double conv[] = {1e-9 * M_AIR / 47.9982, 1e-9, 1e-9, 0.0};
        double worst = 0.0;
        for (double t = C.T0; t <= C.T0 + 7200.0; t += 1800.0) {
            rc = fill_at(&C, &b, &a, t, &e);
            assert_int_equal(rc, BG_OK);
            double w = check_fill(&C, &s, &a, t, conv, 0, 0);
            if (w > worst) worst = w;
        }
        print_message("height levels above %s: max relative error %.2e (records 1.5 h apart)\n",
                      asl ? "sea level" : "ground", worst);
        arrays_free(&a);
        bcfile_close(&b);
    }
}

static void test_hybrid_sigma_pressure(void **state)
{
    (void)state;
    Spec s;
    spec_base(&s);
    s.levkind = LEV_HYBRID;
    /* a 12-level hybrid table, top first (as ECMWF): p = ap + b ps */
    static const double ap[] = {2000, 4000, 7000, 10000, 13000, 15000, 15000, 12000, 8000, 4000, 1000, 0};
    static const double bb[] = {0, 0, 0.01, 0.05, 0.12, 0.25, 0.40, 0.60, 0.78, 0.90, 0.97, 0.999};
    s.nlev = 12;
    memcpy(s.lev, ap, sizeof ap);
    memcpy(s.hyb_b, bb, sizeof bb);
    char path[256];
    bc_path(&C, path, sizeof path, "bc_hybrid.nc");
    write_bc(path, &s);
    BcFile b;
    BgErr e = {0};
    int rc = bcfile_open(&b, path, &C.g, SPEC4, NULL, MM4, 4, C.T0, C.T0 + 7200.0, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(b.lev_kind, BCFILE_LEV_HYBRID);
    Arrays a;
    arrays_alloc(&a, &C.g, 4);
    const double conv[] = {1e-9 * M_AIR / 47.9982, 1e-9, 1e-9, 0.0};
    double worst = 0.0;
    /* ps constant in time: exact at any time (with time-varying ps, exact at record times) */
    for (double t = C.T0; t <= C.T0 + 7200.0; t += 1500.0) {
        rc = fill_at(&C, &b, &a, t, &e);
        assert_int_equal(rc, BG_OK);
        double w = check_fill(&C, &s, &a, t, conv, 0, 0);
        if (w > worst) worst = w;
    }
    print_message("hybrid sigma-pressure levels (CF formula_terms ap/b/ps, ps varying in lon/lat): max "
                  "relative error %.2e\n", worst);
    arrays_free(&a);
    bcfile_close(&b);
}

static void test_greenwich_seam_global_file(void **state)
{
    (void)state;
    Spec s;
    spec_base(&s);
    s.nlon = 360; /* global 0 .. 359 E; the domain spans about -2 .. 2 E */
    s.lon0 = 0.0;
    s.dlon = 1.0;
    s.nlat = 21;  /* 54 .. 34 N, descending */
    s.lat0 = 54.0;
    s.dlat = -1.0;
    s.signed_lon = 1;
    s.levkind = LEV_PA;
    static const double plev[] = {100000 * 1.1, 100000, 85000, 70000, 50000, 30000, 10000, 3000};
    s.nlev = 8;
    memcpy(s.lev, plev, sizeof plev);
    char path[256];
    bc_path(&CG, path, sizeof path, "bc_global.nc");
    write_bc(path, &s);
    BcFile b;
    BgErr e = {0};
    int rc = bcfile_open(&b, path, &CG.g, SPEC4, NULL, MM4, 4, CG.T0, CG.T0 + 7200.0, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    /* the read box wraps: it starts west of 360 and continues from 0 */
    assert_true(b.ia > 300 && b.ia + b.nsx > 360 && b.nsx < 10);
    Arrays a;
    arrays_alloc(&a, &CG.g, 4);
    const double conv[] = {1e-9 * M_AIR / 47.9982, 1e-9, 1e-9, 0.0};
    double lonmin = 1e9, lonmax = -1e9;
    for (int c = 0; c < CG.g.nx * CG.g.ny; c++) {
        if (CG.g.lon[c] < lonmin) lonmin = CG.g.lon[c];
        if (CG.g.lon[c] > lonmax) lonmax = CG.g.lon[c];
    }
    rc = fill_at(&CG, &b, &a, CG.T0 + 2700.0, &e);
    assert_int_equal(rc, BG_OK);
    double w = check_fill(&CG, &s, &a, CG.T0 + 2700.0, conv, 0, 0);
    print_message("global 0..359 E file, domain %.2f .. %.2f E across the seam (box from index %d, %d wide): "
                  "max relative error %.2e\n", lonmin, lonmax, b.ia, b.nsx, w);
    arrays_free(&a);
    bcfile_close(&b);
}

static void test_constant_beyond_levels(void **state)
{
    (void)state;
    Spec s;
    spec_base(&s);
    static const double plev[] = {300, 500, 700};
    s.nlev = 3;
    memcpy(s.lev, plev, sizeof plev);
    char path[256];
    bc_path(&C, path, sizeof path, "bc_clamp.nc");
    write_bc(path, &s);
    BcFile b;
    BgErr e = {0};
    assert_int_equal(bcfile_open(&b, path, &C.g, SPEC4, NULL, MM4, 4, C.T0, C.T0 + 7200.0, &e), BG_OK);
    Arrays a;
    arrays_alloc(&a, &C.g, 4);
    const double conv[] = {1e-9 * M_AIR / 47.9982, 1e-9, 1e-9, 0.0};
    assert_int_equal(fill_at(&C, &b, &a, C.T0 + 600.0, &e), BG_OK);
    double w = check_fill(&C, &s, &a, C.T0 + 600.0, conv, log(30000.0), log(70000.0));
    print_message("levels 300..700 hPa only: cells below 700 hPa and above 300 hPa take the end values "
                  "(max relative error %.2e)\n", w);
    arrays_free(&a);
    bcfile_close(&b);
}

/* Units against hand-computed numbers (constant fields: only QA survives with scale and no slope) */
static void test_units_hand_numbers(void **state)
{
    (void)state;
    Spec s;
    spec_base(&s);
    s.nvar = 9;
    /* scale = value / q at the point; constant fields are made by scaling q's value away below */
    s.var[0] = (Var){.name = "o3mmr", .units = "kg kg**-1", .scale = 1.0};
    s.var[1] = (Var){.name = "so2", .units = "g kg-1", .scale = 1.0};
    s.var[2] = (Var){.name = "co", .units = "ppm", .scale = 1.0};
    s.var[3] = (Var){.name = "nh3", .units = "ppbv", .scale = 1.0, .pack = 1e-3};
    s.var[4] = (Var){.name = "so4", .units = "ug m-3", .scale = 1.0};
    s.var[5] = (Var){.name = "bc1", .units = "kg kg-1", .scale = 1.0};
    s.var[6] = (Var){.name = "bc2", .units = "kg/kg", .scale = 1.0};
    s.var[7] = (Var){.name = "o3vmr", .units = "1", .stdname = "mole_fraction_of_ozone_in_air", .scale = 1.0};
    s.var[8] = (Var){.name = "hno3", .units = "umol mol-1", .scale = 1.0};
    char path[256];
    bc_path(&C, path, sizeof path, "bc_units.nc");
    write_bc(path, &s);
    /* overwrite every variable with a constant: the hand numbers need no field */
    static const double val[] = {1e-7, 1e-4, 0.15, 5.0, 10.0, 2e-10, 3e-10, 4e-8, 2e-3};
    int nc;
    NC(nc_open(path, NC_WRITE, &nc));
    size_t n = (size_t)s.nrec * s.nlev * s.nlat * s.nlon;
    double *buf = malloc(n * sizeof *buf);
    short *sb = malloc(n * sizeof *sb);
    for (int v = 0; v < 9; v++) {
        int id;
        NC(nc_inq_varid(nc, s.var[v].name, &id));
        for (size_t q = 0; q < n; q++) buf[q] = val[v], sb[q] = 5000;
        if (s.var[v].pack > 0) NC(nc_put_var_short(nc, id, sb));
        else NC(nc_put_var_double(nc, id, buf));
    }
    free(buf), free(sb);
    NC(nc_close(nc));

    const char *sp[] = {"O3", "SO2", "CO", "NH3", "PSO4", "PBC", "O3B", "HNO3"};
    const double mm[] = {47.9982, 64.066, 28.0101, 17.031, 96.06, 12.011, 47.9982, 63.01};
    const char *map[] = {"o3mmr", NULL, NULL, NULL, "so4", "bc1 + bc2", "o3vmr", NULL};
    BcFile b;
    BgErr e = {0};
    int rc = bcfile_open(&b, path, &C.g, sp, map, mm, 8, C.T0, C.T0 + 7200.0, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_string_equal(b.source[5], "bc1+bc2");
    Arrays a;
    arrays_alloc(&a, &C.g, 8);
    assert_int_equal(fill_at(&C, &b, &a, C.T0 + 900.0, &e), BG_OK);
    const Grid *g = &C.g;
    const size_t face = (size_t)g->nz * g->ny;
    /* hand numbers (M_air = 28.9644 g/mol):
     *   O3  1e-7 kg/kg * 28.9644 / 47.9982            = 6.034476292860983e-08
     *   SO2 1e-4 g/kg = 1e-7 kg/kg * 28.9644 / 64.066  = 4.5210251927699564e-08
     *   CO  0.15 ppm                                   = 1.5e-07
     *   NH3 packed 5000 * 1e-3 ppbv                    = 5e-09
     *   PBC (2e-10 + 3e-10) kg/kg * 28.9644 / 12.011   = 1.2057447339938391e-09
     *   O3B 4e-8 (units "1", mole fraction by standard_name)
     *   HNO3 2e-3 umol/mol                             = 2e-09 */
    const double want[] = {6.034476292860983e-08, 4.5210251927699564e-08, 1.5e-07, 5e-09, 0.0,
                           1.2057447339938391e-09, 4e-8, 2e-9};
    for (int sp_i = 0; sp_i < 8; sp_i++) {
        if (sp_i == 4) continue;
        for (size_t q = 0; q < face; q++) assert_close(a.w[sp_i * face + q], want[sp_i], 1e-14 * want[sp_i]);
        for (size_t q = 0; q < (size_t)g->nx * g->ny; q++)
            assert_close(a.t[(size_t)sp_i * g->nx * g->ny + q], want[sp_i], 1e-14 * want[sp_i]);
    }
    /* PSO4 10 ug/m3 with the model's dry-air density: x = c M_air / (M_s rho);
     * at rho = 1.2 kg/m3 that is 2.5127003955860922e-09 */
    assert_close(1e-8 * M_AIR / (96.06 * 1.2), 2.5127003955860922e-09, 1e-24);
    double rmin = 1e9, rmax = 0;
    for (int k = 0; k < g->nz; k++)
        for (int j = 0; j < g->ny; j++) {
            size_t c = grid_idx2(g, j, 0);
            double rho = C.f.rho[(size_t)k * g->nx * g->ny + c];
            double x = 1e-8 * M_AIR / (96.06 * rho);
            assert_close(a.w[4 * face + (size_t)k * g->ny + j], x, 1e-14 * x);
            if (rho < rmin) rmin = rho;
            if (rho > rmax) rmax = rho;
        }
    print_message("units: O3 1e-7 kg/kg -> %.6e, SO2 1e-4 g/kg -> %.6e, CO 0.15 ppm -> %.3e, NH3 packed "
                  "-> %.3e, PSO4 10 ug/m3 -> %.4e .. %.4e mol/mol (rho %.3f .. %.3f kg/m3), PBC sum -> %.6e\n",
                  a.w[0], a.w[face], a.w[2 * face], a.w[3 * face], 1e-8 * M_AIR / (96.06 * rmax),
                  1e-8 * M_AIR / (96.06 * rmin), rmin, rmax, a.w[5 * face]);
    arrays_free(&a);
    bcfile_close(&b);
}

/* ---- refusals: each names the file and the item */

static int open_expect(const char *path, const Spec *s, const char *const *sp, const char *const *map,
                       const double *mm, int nsp, double t0, double t1, int code, const char *item,
                       const char *what)
{
    write_bc(path, s);
    BcFile b;
    BgErr e = {0};
    int rc = bcfile_open(&b, path, &C.g, sp, map, mm, nsp, t0, t1, &e);
    if (rc != code || !strstr(e.msg, path) || (item && !strstr(e.msg, item)) || (what && !strstr(e.msg, what))) {
        fprintf(stderr, "expected code %d naming '%s' and '%s', got %d: %s\n", code, item ? item : "",
                what ? what : "", rc, e.msg);
        fail();
    }
    print_message("refused (%d): %s\n", rc, e.msg);
    bcfile_close(&b); /* harmless after a failure */
    return rc;
}

static void test_refusals(void **state)
{
    (void)state;
    char path[256];
    bc_path(&C, path, sizeof path, "bc_bad.nc");
    Spec s;
    const double t0 = C.T0, t1 = C.T0 + 7200.0;
    /* domain centre in the base file: lat index (50-43.8)/0.5 ~ 12, lon index (87.6-75)/0.5 ~ 25 */

    spec_base(&s); /* records 23Z .. 03Z; a run to 04Z is not covered */
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, C.T0 + 4 * 3600.0, BG_EINPUT, ":time", "records cover");
    spec_base(&s);
    s.nlat = 12; /* 50 .. 44.5 N: the domain reaches 42.7 N */
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":latitude", "outside");
    spec_base(&s);
    s.nlon = 24; /* 75 .. 86.5 E: the domain reaches 89.7 E */
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":longitude", "outside");
    spec_base(&s);
    s.var[1].bad = BAD_NAN, s.var[1].bad_rec = 2, s.var[1].bad_lev = 4, s.var[1].bad_lat = 12, s.var[1].bad_lon = 25;
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":no2", "NaN");
    spec_base(&s);
    s.var[0].bad = BAD_NEG, s.var[0].bad_rec = 1, s.var[0].bad_lev = 0, s.var[0].bad_lat = 13, s.var[0].bad_lon = 26;
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":go3", "negative");
    spec_base(&s);
    s.var[2].bad = BAD_FILL, s.var[2].bad_rec = 3, s.var[2].bad_lev = 10, s.var[2].bad_lat = 11, s.var[2].bad_lon = 24;
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":CO", "missing");
    spec_base(&s);
    s.var[1].units = "K";
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":no2", "units 'K'");
    spec_base(&s);
    s.var[1].units = "bananas m-3";
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":no2", "cannot be parsed");
    spec_base(&s);
    s.var[1].units = "degree"; /* dimensionless to udunits2, but no mixing ratio */
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":no2", "not a mixing ratio");
    spec_base(&s);
    s.var[1].units = "1"; /* mass or mole fraction? */
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":no2", "mass or a mole fraction");
    spec_base(&s);
    s.var[1].units = "mol mol-1"; /* 1e-9 * q ppb values labelled mol/mol are fine; q labelled so is not */
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":no2", "above 1 mol mol-1");
    spec_base(&s);
    s.calendar = "noleap";
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":time", "calendar");
    spec_base(&s);
    s.time_units = "fortnights since 2024-01-01";
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":time", "units");
    spec_base(&s);
    s.var[0].ndims3 = 1; /* a surface-only field */
    open_expect(path, &s, SPEC4, NULL, MM4, 4, t0, t1, BG_EINPUT, ":go3", "dimensions");
    spec_base(&s);
    const char *map_missing[] = {"ozone", NULL, NULL, NULL};
    open_expect(path, &s, SPEC4, map_missing, MM4, 4, t0, t1, BG_ECONFIG, ":ozone", "no such variable");

    /* a NaN outside the part of the file the domain uses is no concern */
    spec_base(&s);
    s.var[1].bad = BAD_NAN, s.var[1].bad_rec = 2, s.var[1].bad_lev = 4, s.var[1].bad_lat = 0, s.var[1].bad_lon = 0;
    write_bc(path, &s);
    BcFile b;
    BgErr e = {0};
    assert_int_equal(bcfile_open(&b, path, &C.g, SPEC4, NULL, MM4, 4, t0, t1, &e), BG_OK);
    /* a fill outside the records */
    Arrays a;
    arrays_alloc(&a, &C.g, 4);
    assert_int_equal(bcfile_fill(&b, &C.f, C.T0 + 5 * 3600.0, a.w, a.e, a.s, a.n, a.t, &e), BG_EINPUT);
    assert_non_null(strstr(e.msg, ":time"));
    print_message("refused (%d): %s\n", e.code, e.msg);
    arrays_free(&a);
    bcfile_close(&b);

    /* the mapping text */
    char names[4][BCFILE_NAME_LEN];
    BgErr e2 = {0};
    assert_int_equal(bcfile_map_parse("O3=go3, CO = co ,TR=-, NO2 = aermr09 + aermr10", SPEC4, 4, names,
                                      "cfg.ini:[boundary] file_names", &e2), BG_OK);
    assert_string_equal(names[0], "go3");
    assert_string_equal(names[1], "aermr09+aermr10");
    assert_string_equal(names[2], "co");
    assert_string_equal(names[3], "-");
    BgErr e3 = {0};
    assert_int_equal(bcfile_map_parse("O3=go3, XX=yy", SPEC4, 4, names, "cfg.ini:[boundary] file_names", &e3),
                     BG_ECONFIG);
    assert_non_null(strstr(e3.msg, "XX"));
    BgErr e4 = {0};
    assert_int_equal(bcfile_map_parse("O3=go3, O3=o3", SPEC4, 4, names, "cfg", &e4), BG_ECONFIG);
    BgErr e5 = {0};
    assert_int_equal(bcfile_map_parse("O3 go3", SPEC4, 4, names, "cfg", &e5), BG_ECONFIG);
    print_message("refused mapping: %s\n", e3.msg);
}

static void test_threads_bitwise(void **state)
{
    (void)state;
    Spec s;
    spec_base(&s);
    char path[256];
    bc_path(&C, path, sizeof path, "bc_thr.nc");
    write_bc(path, &s);
    BcFile b;
    BgErr e = {0};
    assert_int_equal(bcfile_open(&b, path, &C.g, SPEC4, NULL, MM4, 4, C.T0, C.T0 + 7200.0, &e), BG_OK);
    Arrays a1, a2;
    arrays_alloc(&a1, &C.g, 4);
    arrays_alloc(&a2, &C.g, 4);
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    assert_int_equal(fill_at(&C, &b, &a1, C.T0 + 4321.0, &e), BG_OK);
    omp_set_num_threads(2);
    assert_int_equal(fill_at(&C, &b, &a2, C.T0 + 4321.0, &e), BG_OK);
    omp_set_num_threads(nt);
    size_t nw = (size_t)4 * C.g.nz * C.g.ny, ns = (size_t)4 * C.g.nz * C.g.nx, ntp = (size_t)4 * C.g.nx * C.g.ny;
    assert_memory_equal(a1.w, a2.w, nw * sizeof *a1.w);
    assert_memory_equal(a1.e, a2.e, nw * sizeof *a1.e);
    assert_memory_equal(a1.s, a2.s, ns * sizeof *a1.s);
    assert_memory_equal(a1.n, a2.n, ns * sizeof *a1.n);
    assert_memory_equal(a1.t, a2.t, ntp * sizeof *a1.t);
    print_message("1 and 2 threads: boundary arrays identical bit for bit\n");
    arrays_free(&a1);
    arrays_free(&a2);
    bcfile_close(&b);
}

/* Cost of bcfile_fill on the benchmark grid (200 x 120 x 24, 4 km) with 10 species from a
 * CAMS-like file (0.4 degree, 25 pressure levels, 3-hourly). */
static void test_speed_benchmark_grid(void **state)
{
    (void)state;
    Case B;
    memset(&B, 0, sizeof B);
    assert_int_equal(case_open(&B, 87.6, 1, 200, 120, 24, 4000.0, 2), 0);
    Spec s;
    spec_base(&s);
    static const double plev[] = {1, 2, 3, 5, 7, 10, 20, 30, 50, 70, 100, 150, 200, 250, 300, 400, 500,
                                  600, 700, 800, 850, 900, 925, 950, 1000};
    s.nlev = 25;
    memcpy(s.lev, plev, sizeof plev);
    s.nlat = 36; /* 50 .. 36 N at 0.4 */
    s.lat0 = 50.0;
    s.dlat = -0.4;
    s.nlon = 51; /* 76 .. 96 E */
    s.lon0 = 76.0;
    s.dlon = 0.4;
    s.nrec = 3;  /* 21Z, 00Z, 03Z */
    s.hour0 = 21.0;
    s.dh = 3.0;
    s.nvar = 10;
    static const char *nm[] = {"go3", "no2", "no", "so2", "co", "hno3", "nh3", "aermr09", "aermr11", "pan"};
    const char *sp[10];
    static const char *spn[] = {"O3", "NO2", "NO", "SO2", "CO", "HNO3", "NH3", "PBC", "PSO4", "PAN"};
    double mm[10];
    const char *map[10];
    for (int v = 0; v < 10; v++) {
        s.var[v] = (Var){.name = nm[v], .units = "kg kg**-1", .scale = 1e-9};
        sp[v] = spn[v];
        map[v] = nm[v];
        mm[v] = 30.0 + v;
    }
    char path[256];
    bc_path(&B, path, sizeof path, "bc_bench.nc");
    write_bc(path, &s);
    BcFile b;
    BgErr e = {0};
    double w0 = omp_get_wtime();
    int rc = bcfile_open(&b, path, &B.g, sp, map, mm, 10, B.T0, B.T0 + 3600.0, &e);
    double t_open = omp_get_wtime() - w0;
    int nopen = b.reads;
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    Arrays a;
    arrays_alloc(&a, &B.g, 10);
    assert_int_equal(met_fields_at(&B.met, B.T0 + 1800.0, &B.f, &e), BG_OK);
    int nthr = omp_get_max_threads();
    double per[2] = {0, 0};
    for (int pass = 0; pass < 2; pass++) {
        omp_set_num_threads(pass == 0 ? 1 : nthr);
        /* the best of 5 batches of 10 calls: the machine is shared */
        assert_int_equal(bcfile_fill(&b, &B.f, B.T0 + 1800.0, a.w, a.e, a.s, a.n, a.t, &e), BG_OK);
        per[pass] = INFINITY;
        for (int batch = 0; batch < 5; batch++) {
            w0 = omp_get_wtime();
            for (int i = 0; i < 10; i++)
                assert_int_equal(bcfile_fill(&b, &B.f, B.T0 + 1800.0 + i, a.w, a.e, a.s, a.n, a.t, &e), BG_OK);
            double dt = (omp_get_wtime() - w0) / 10;
            if (dt < per[pass]) per[pass] = dt;
        }
    }
    omp_set_num_threads(nthr);
    /* a record read: cross into the next record pair (and back) */
    int r0 = b.reads;
    w0 = omp_get_wtime();
    assert_int_equal(bcfile_fill(&b, &B.f, B.T0 - 3600.0, a.w, a.e, a.s, a.n, a.t, &e), BG_OK);
    double t_read = omp_get_wtime() - w0;
    int nread = b.reads - r0;
    const Grid *g = &B.g;
    long ncell = 2L * (g->nx + g->ny) * g->nz + (long)g->nx * g->ny;
    print_message("benchmark grid %d x %d x %d, 10 species, file 0.4 deg x 25 levels (box %d x %d): open + "
                  "validation of %d records %.1f ms; fill %.2f ms per call with 1 thread (%.1f ns per boundary "
                  "cell and species), %.2f ms with %d threads; a fill that reads %d record(s) %.1f ms\n",
                  g->nx, g->ny, g->nz, b.nsy, b.nsx, nopen, 1e3 * t_open, 1e3 * per[0],
                  1e9 * per[0] / (ncell * 10.0), 1e3 * per[1], nthr, nread, 1e3 * t_read);
    arrays_free(&a);
    bcfile_close(&b);
    case_close(&B);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pressure_hpa_descending_lat),
        cmocka_unit_test(test_height_levels_agl_and_asl),
        cmocka_unit_test(test_hybrid_sigma_pressure),
        cmocka_unit_test(test_greenwich_seam_global_file),
        cmocka_unit_test(test_constant_beyond_levels),
        cmocka_unit_test(test_units_hand_numbers),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_threads_bitwise),
        cmocka_unit_test(test_speed_benchmark_grid),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
