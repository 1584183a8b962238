/* grid_from_wrf on the real samples (Lambert secant and tangent), on synthetic polar
 * stereographic and Mercator files, and its refusals (MAP_PROJ 6, a displaced XLAT). */
#include <dirent.h>
#include <math.h>
#include <netcdf.h>
#include <proj.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "grid.h"

#define SAMPLE "validation/data/salem_wrf_d01_allvars_cropped.nc"
#define SAMPLE_TANGENT "validation/data/salem_wrf_cropped.nc"
#define D2R (M_PI / 180.0)

#define NC(call) assert_int_equal((call), NC_NOERR)

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/bogda_test_grid_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (!d) return -1;
    struct dirent *de;
    char path[512];
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", tmpdir, de->d_name);
            unlink(path);
        }
    closedir(d);
    return rmdir(tmpdir);
}

static void tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

/* Largest distance (degrees) between XLAT/XLONG and the inverse projection of the lattice. */
static double lattice_error(const Grid *g)
{
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *pj = proj_create(ctx, g->proj_string);
    assert_non_null(pj);
    double worst = 0;
    for (int j = 0; j < g->ny; j++)
        for (int i = 0; i < g->nx; i++) {
            PJ_COORD c = proj_trans(pj, PJ_INV,
                                    proj_coord(g->x0 + i * g->dx, g->y0 + j * g->dy, 0, 0));
            size_t n = grid_idx2(g, j, i);
            double dlat = fabs(proj_todeg(c.lp.phi) - g->lat[n]);
            double dlon = fabs(remainder(proj_todeg(c.lp.lam) - g->lon[n], 360.0));
            worst = fmax(worst, fmax(dlat, dlon));
        }
    proj_destroy(pj);
    proj_context_destroy(ctx);
    return worst;
}

static void check_geometry(const Grid *g)
{
    for (int i = 0; i < g->nx; i++) assert_close(g->x[i], g->x0 + i * g->dx, 1e-6);
    for (int j = 0; j < g->ny; j++) assert_close(g->y[j], g->y0 + j * g->dy, 1e-6);
    for (int j = 0; j < g->ny; j++)
        for (int i = 0; i < g->nx; i++) {
            size_t n = grid_idx2(g, j, i);
            assert_close(g->area[n], g->dx * g->dy / (g->mapfac_m[n] * g->mapfac_m[n]), 1e-6);
            /* corners are shared with the neighbours: SE of (j,i) is SW of (j,i+1) */
            if (i + 1 < g->nx) {
                size_t e = grid_idx2(g, j, i + 1);
                assert_close(g->lat_bnds[4 * n + 1], g->lat_bnds[4 * e + 0], 1e-9);
                assert_close(g->lon_bnds[4 * n + 1], g->lon_bnds[4 * e + 0], 1e-9);
            }
            /* the centre lies inside its corners' latitude span (no pole in these grids) */
            double lo = fmin(fmin(g->lat_bnds[4 * n], g->lat_bnds[4 * n + 1]),
                             fmin(g->lat_bnds[4 * n + 2], g->lat_bnds[4 * n + 3]));
            double hi = fmax(fmax(g->lat_bnds[4 * n], g->lat_bnds[4 * n + 1]),
                             fmax(g->lat_bnds[4 * n + 2], g->lat_bnds[4 * n + 3]));
            assert_true(g->lat[n] > lo && g->lat[n] < hi);
            double fi, fj;
            assert_int_equal(grid_locate(g, g->lon[n], g->lat[n], &fi, &fj), BG_OK);
            assert_close(fi, i, 1e-3);
            assert_close(fj, j, 1e-3);
        }
}

static void test_sample_lambert(void **state)
{
    (void)state;
    Grid g;
    BgErr e = {0};
    int rc = grid_from_wrf(&g, SAMPLE, &e);
    if (rc) print_error("%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(g.nx, 10);
    assert_int_equal(g.ny, 8);
    assert_int_equal(g.nz, 27);
    assert_true(g.dx == 30000 && g.dy == 30000);
    assert_int_equal(g.map_proj, 1);
    assert_non_null(strstr(g.proj_string, "+proj=lcc"));
    assert_non_null(strstr(g.proj_string, "+R=6370000"));
    double err = lattice_error(&g);
    print_message("sample: x0 = %.3f m, y0 = %.3f m, max lattice error %.2e degrees (%s)\n", g.x0,
                  g.y0, err, g.proj_string);
    assert_true(err <= 1e-3);
    check_geometry(&g);
    assert_close(g.hgt[0], 4798.562, 1e-3); /* HGT[0][0] of the file */

    /* map factors from the projection against WRF's MAPFAC_M/U/V */
    size_t nm = (size_t)g.nx * g.ny, nu = (size_t)g.ny * (g.nx + 1), nv = (size_t)(g.ny + 1) * g.nx;
    double *m = malloc(nm * sizeof *m), *u = malloc(nu * sizeof *u), *v = malloc(nv * sizeof *v);
    assert_int_equal(grid_mapfac_from_projection(&g, m, u, v, &e), BG_OK);
    double dm = 0, du = 0, dv = 0;
    for (size_t n = 0; n < nm; n++) dm = fmax(dm, fabs(m[n] - g.mapfac_m[n]));
    for (size_t n = 0; n < nu; n++) du = fmax(du, fabs(u[n] - g.mapfac_u[n]));
    for (size_t n = 0; n < nv; n++) dv = fmax(dv, fabs(v[n] - g.mapfac_v[n]));
    print_message("map factor, PROJ vs WRF: max |diff| M %.2e, U %.2e, V %.2e\n", dm, du, dv);
    assert_true(dm <= 1e-4 && du <= 1e-4 && dv <= 1e-4);
    free(m);
    free(u);
    free(v);
    grid_free(&g);
}

/* Analytic map factor of the tangent Lambert cone on the sphere (Snyder 1987, USGS PP 1395,
 * ch. 15, with phi1 = phi2): m = cos(phi1)/cos(phi) [tan(pi/4+phi1/2)/tan(pi/4+phi/2)]^n,
 * n = sin(phi1). */
static double lambert_tangent_m(double lat, double lat1)
{
    double p = lat * D2R, p1 = lat1 * D2R, n = sin(p1);
    return cos(p1) / cos(p) * pow(tan(M_PI / 4 + p1 / 2) / tan(M_PI / 4 + p / 2), n);
}

static void test_sample_tangent_lambert(void **state)
{
    (void)state;
    Grid g;
    BgErr e = {0};
    int rc = grid_from_wrf(&g, SAMPLE_TANGENT, &e);
    if (rc) print_error("%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(g.nx, 26);
    assert_int_equal(g.ny, 26);
    assert_int_equal(g.nz, 12);
    assert_true(g.truelat1 == g.truelat2);
    assert_null(strstr(g.proj_string, "lat_2"));
    double err = lattice_error(&g);
    print_message("tangent sample: max lattice error %.2e degrees (%s)\n", err, g.proj_string);
    assert_true(err <= 1e-3);
    check_geometry(&g);
    /* no MAPFAC_* in this file: from the projection, checked against the closed form */
    for (int j = 0; j < g.ny; j++)
        for (int i = 0; i < g.nx; i++) {
            size_t n = grid_idx2(&g, j, i);
            assert_close(g.mapfac_m[n], lambert_tangent_m(g.lat[n], g.truelat1), 1e-6);
        }
    grid_free(&g);
}

static void test_map_proj_6_refused(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "map_proj_6.nc");
    copy_file(SAMPLE, path);
    int ncid, six = 6;
    NC(nc_open(path, NC_WRITE, &ncid));
    NC(nc_redef(ncid));
    NC(nc_put_att_int(ncid, NC_GLOBAL, "MAP_PROJ", NC_INT, 1, &six));
    NC(nc_close(ncid));
    Grid g;
    BgErr e = {0};
    assert_int_equal(grid_from_wrf(&g, path, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "MAP_PROJ"));
    assert_non_null(strstr(e.msg, "6"));
    assert_non_null(strstr(e.msg, path));
}

static void test_displaced_xlat_refused(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "xlat_off.nc");
    copy_file(SAMPLE, path);
    int ncid, varid;
    NC(nc_open(path, NC_WRITE, &ncid));
    NC(nc_inq_varid(ncid, "XLAT", &varid));
    size_t idx[2] = {3, 5};
    float lat;
    NC(nc_get_var1_float(ncid, varid, idx, &lat));
    lat += 0.1f;
    NC(nc_put_var1_float(ncid, varid, idx, &lat));
    NC(nc_close(ncid));
    Grid g;
    BgErr e = {0};
    assert_int_equal(grid_from_wrf(&g, path, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "XLAT"));
    assert_non_null(strstr(e.msg, "[j=3,i=5]"));
}

/* A small WRF-like file on a projection: XLAT/XLONG (with a Time dimension) from PROJ on the
 * lattice centred at (clon, clat), T for nz, the projection attributes. */
typedef struct {
    int map_proj;
    double truelat1, truelat2, stand_lon;
    const char *proj;
    double clon, clat;
    int nx, ny;
    double dx;
} Synth;

static void write_synth(const char *path, const Synth *s, double *x0, double *y0)
{
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *pj = proj_create(ctx, s->proj);
    assert_non_null(pj);
    PJ_COORD c = proj_trans(pj, PJ_FWD, proj_coord(s->clon * D2R, s->clat * D2R, 0, 0));
    *x0 = c.xy.x - 0.5 * (s->nx - 1) * s->dx;
    *y0 = c.xy.y - 0.5 * (s->ny - 1) * s->dx;
    size_t n2 = (size_t)s->nx * s->ny;
    float *lat = malloc(n2 * sizeof *lat), *lon = malloc(n2 * sizeof *lon);
    for (int j = 0; j < s->ny; j++)
        for (int i = 0; i < s->nx; i++) {
            PJ_COORD r = proj_trans(pj, PJ_INV,
                                    proj_coord(*x0 + i * s->dx, *y0 + j * s->dx, 0, 0));
            lat[j * s->nx + i] = (float)proj_todeg(r.lp.phi);
            lon[j * s->nx + i] = (float)proj_todeg(r.lp.lam);
        }
    proj_destroy(pj);
    proj_context_destroy(ctx);

    int ncid, dt, dz, dy, dx, vlat, vlon, vt;
    NC(nc_create(path, NC_CLOBBER, &ncid));
    NC(nc_def_dim(ncid, "Time", NC_UNLIMITED, &dt));
    NC(nc_def_dim(ncid, "bottom_top", 3, &dz));
    NC(nc_def_dim(ncid, "south_north", (size_t)s->ny, &dy));
    NC(nc_def_dim(ncid, "west_east", (size_t)s->nx, &dx));
    int d3[3] = {dt, dy, dx}, d4[4] = {dt, dz, dy, dx};
    NC(nc_def_var(ncid, "XLAT", NC_FLOAT, 3, d3, &vlat));
    NC(nc_def_var(ncid, "XLONG", NC_FLOAT, 3, d3, &vlon));
    NC(nc_def_var(ncid, "T", NC_FLOAT, 4, d4, &vt));
    float dxf = (float)s->dx, t1 = (float)s->truelat1, t2 = (float)s->truelat2,
          sl = (float)s->stand_lon, cl = (float)s->clat, cn = (float)s->clon;
    NC(nc_put_att_int(ncid, NC_GLOBAL, "MAP_PROJ", NC_INT, 1, &s->map_proj));
    NC(nc_put_att_float(ncid, NC_GLOBAL, "TRUELAT1", NC_FLOAT, 1, &t1));
    NC(nc_put_att_float(ncid, NC_GLOBAL, "TRUELAT2", NC_FLOAT, 1, &t2));
    NC(nc_put_att_float(ncid, NC_GLOBAL, "STAND_LON", NC_FLOAT, 1, &sl));
    NC(nc_put_att_float(ncid, NC_GLOBAL, "MOAD_CEN_LAT", NC_FLOAT, 1, &cl));
    NC(nc_put_att_float(ncid, NC_GLOBAL, "CEN_LAT", NC_FLOAT, 1, &cl));
    NC(nc_put_att_float(ncid, NC_GLOBAL, "CEN_LON", NC_FLOAT, 1, &cn));
    NC(nc_put_att_float(ncid, NC_GLOBAL, "DX", NC_FLOAT, 1, &dxf));
    NC(nc_put_att_float(ncid, NC_GLOBAL, "DY", NC_FLOAT, 1, &dxf));
    NC(nc_enddef(ncid));
    size_t start[3] = {0, 0, 0}, count[3] = {1, (size_t)s->ny, (size_t)s->nx};
    NC(nc_put_vara_float(ncid, vlat, start, count, lat));
    NC(nc_put_vara_float(ncid, vlon, start, count, lon));
    NC(nc_close(ncid));
    free(lat);
    free(lon);
}

static void check_synth(const Synth *s, const char *name, double (*mapfac)(double lat, double ts))
{
    char path[128];
    tmp_path(path, sizeof path, name);
    double x0, y0;
    write_synth(path, s, &x0, &y0);
    Grid g;
    BgErr e = {0};
    int rc = grid_from_wrf(&g, path, &e);
    if (rc) print_error("%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(g.nx, s->nx);
    assert_int_equal(g.ny, s->ny);
    assert_int_equal(g.nz, 3);
    assert_int_equal(g.map_proj, s->map_proj);
    double err = lattice_error(&g);
    print_message("%s: x0 %.2f (generated %.2f), y0 %.2f (%.2f), max lattice error %.2e deg; %s\n",
                  name, g.x0, x0, g.y0, y0, err, g.proj_string);
    assert_true(err <= 1e-3);
    /* float XLAT/XLONG place the lattice to within a few metres */
    assert_close(g.x0, x0, 5.0);
    assert_close(g.y0, y0, 5.0);
    check_geometry(&g);
    for (int j = 0; j < g.ny; j++)
        for (int i = 0; i < g.nx; i++) {
            size_t n = grid_idx2(&g, j, i);
            assert_close(g.mapfac_m[n], mapfac(g.lat[n], s->truelat1), 1e-5);
        }
    grid_free(&g);
}

/* Snyder (1987, ch. 21) on the sphere, true at lat_ts: k = (1 + sin|ts|)/(1 + sin|phi|) for the
 * pole of the same hemisphere. */
static double ps_m(double lat, double ts)
{
    double h = ts >= 0 ? 1 : -1;
    return (1 + h * sin(ts * D2R)) / (1 + h * sin(lat * D2R));
}

/* Mercator true at lat_ts: k = cos(ts)/cos(phi) (Snyder 1987, ch. 7, scaled to lat_ts). */
static double merc_m(double lat, double ts) { return cos(ts * D2R) / cos(lat * D2R); }

static void test_synthetic_polar_stereographic(void **state)
{
    (void)state;
    Synth n = {2, 60, 60, -100, "+proj=stere +lat_0=90 +lat_ts=60 +lon_0=-100 +R=6370000",
               87, 72, 24, 18, 25000};
    check_synth(&n, "ps_north.nc", ps_m);
    Synth s = {2, -60, -60, 140, "+proj=stere +lat_0=-90 +lat_ts=-60 +lon_0=140 +R=6370000",
               150, -70, 15, 12, 20000};
    check_synth(&s, "ps_south.nc", ps_m);
}

static void test_synthetic_mercator(void **state)
{
    (void)state;
    Synth m = {3, 30, 0, 87, "+proj=merc +lat_ts=30 +lon_0=87 +R=6370000", 110, 20, 20, 16, 12000};
    check_synth(&m, "mercator.nc", merc_m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_lambert),
        cmocka_unit_test(test_sample_tangent_lambert),
        cmocka_unit_test(test_map_proj_6_refused),
        cmocka_unit_test(test_displaced_xlat_refused),
        cmocka_unit_test(test_synthetic_polar_stereographic),
        cmocka_unit_test(test_synthetic_mercator),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
