/* Tests of the synthetic WRF writer (input/synthmet.c): layout, projection, hydrostatics,
 * physical ranges, determinism and the command line.  The main case is 12 x 10 x 6 at 20 km
 * with 4 hourly records in 2 files, starting in the dark at 2024-01-09T23Z (05:10 local solar
 * time at 87.6 E) and ending after sunrise (08:10), so night and day values are both seen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <netcdf.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "synthmet.h"

#define G 9.81
#define RD 287.04
#define CP 1004.5
#define EPS (287.04 / 461.6)

typedef struct Case {
    char dir[256];
    char **paths;
    int npaths;
    SynthMetSpec spec;
} Case;

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

static void make_tmpdir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/bogda_synthmet_XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static void tiny_spec(SynthMetSpec *s)
{
    synthmet_defaults(s);
    s->nx = 12;
    s->ny = 10;
    s->nz = 6;
    s->dx_m = 20000.0;
    snprintf(s->start, sizeof s->start, "2024-01-09T23:00:00Z");
    s->nrec = 4;
    s->interval_h = 1.0;
    s->rec_per_file = 2;
    s->with_exch_h = 1;
}

static int group_setup(void **state)
{
    Case *c = calloc(1, sizeof *c);
    if (!c) return -1;
    make_tmpdir(c->dir, sizeof c->dir);
    tiny_spec(&c->spec);
    BgErr e = {0};
    int rc = synthmet_write(&c->spec, c->dir, &c->paths, &c->npaths, &e);
    if (rc != BG_OK) {
        fprintf(stderr, "synthmet_write: %s\n", e.msg);
        return -1;
    }
    *state = c;
    return 0;
}

static int group_teardown(void **state)
{
    Case *c = *state;
    synthmet_free_paths(c->paths, c->npaths);
    rm_tree(c->dir);
    free(c);
    return 0;
}

/* ---- NetCDF helpers ---- */

static int nc_open_ok(const char *path)
{
    int nc;
    assert_int_equal(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    return nc;
}

static size_t dim_len(int nc, const char *name)
{
    int id;
    size_t n;
    assert_int_equal(nc_inq_dimid(nc, name, &id), NC_NOERR);
    assert_int_equal(nc_inq_dimlen(nc, id, &n), NC_NOERR);
    return n;
}

/* Whole variable as doubles (malloc'ed); *n receives the element count. */
static double *get_var(int nc, const char *name, size_t *n)
{
    int id, nd, dims[NC_MAX_VAR_DIMS];
    if (nc_inq_varid(nc, name, &id) != NC_NOERR) fail_msg("variable %s missing", name);
    assert_int_equal(nc_inq_varndims(nc, id, &nd), NC_NOERR);
    assert_int_equal(nc_inq_vardimid(nc, id, dims), NC_NOERR);
    size_t len = 1;
    for (int d = 0; d < nd; d++) {
        size_t l;
        assert_int_equal(nc_inq_dimlen(nc, dims[d], &l), NC_NOERR);
        len *= l;
    }
    double *v = malloc(len * sizeof *v);
    assert_non_null(v);
    assert_int_equal(nc_get_var_double(nc, id, v), NC_NOERR);
    if (n) *n = len;
    return v;
}

static double gatt(int nc, const char *name)
{
    double v;
    if (nc_get_att_double(nc, NC_GLOBAL, name, &v) != NC_NOERR)
        fail_msg("global attribute %s missing", name);
    return v;
}

static void check_dims(int nc, const char *var, int nd, const char *const *names)
{
    int id, ndims, dims[NC_MAX_VAR_DIMS];
    char dn[NC_MAX_NAME + 1];
    if (nc_inq_varid(nc, var, &id) != NC_NOERR) fail_msg("variable %s missing", var);
    assert_int_equal(nc_inq_varndims(nc, id, &ndims), NC_NOERR);
    if (ndims != nd) fail_msg("%s has %d dims, expected %d", var, ndims, nd);
    assert_int_equal(nc_inq_vardimid(nc, id, dims), NC_NOERR);
    for (int d = 0; d < nd; d++) {
        assert_int_equal(nc_inq_dimname(nc, dims[d], dn), NC_NOERR);
        if (strcmp(dn, names[d])) fail_msg("%s dim %d is %s, expected %s", var, d, dn, names[d]);
    }
}

/* ---- tests ---- */

static void test_files_dims_and_variables(void **state)
{
    Case *c = *state;
    assert_int_equal(c->npaths, 2);
    char want[512];
    snprintf(want, sizeof want, "%s/wrfout_d01_2024-01-09_23:00:00", c->dir);
    assert_string_equal(c->paths[0], want);
    snprintf(want, sizeof want, "%s/wrfout_d01_2024-01-10_01:00:00", c->dir);
    assert_string_equal(c->paths[1], want);

    const char *m3[] = {"Time", "bottom_top", "south_north", "west_east"};
    const char *u3[] = {"Time", "bottom_top", "south_north", "west_east_stag"};
    const char *v3[] = {"Time", "bottom_top", "south_north_stag", "west_east"};
    const char *w3[] = {"Time", "bottom_top_stag", "south_north", "west_east"};
    const char *m2[] = {"Time", "south_north", "west_east"};
    const char *tm[] = {"Time", "DateStrLen"};
    const char *vars2[] = {"XLAT", "XLONG", "HGT", "PBLH", "UST", "HFX", "SWDOWN", "T2", "RAINNC",
                           "RAINC", "PSFC", "SNOWC", "LU_INDEX", "MU", "MUB", "MAPFAC_M"};
    const char *vars3[] = {"P", "PB", "T", "QVAPOR", "QCLOUD", "EXCH_H"};
    for (int f = 0; f < 2; f++) {
        int nc = nc_open_ok(c->paths[f]);
        assert_int_equal(dim_len(nc, "Time"), 2);
        assert_int_equal(dim_len(nc, "DateStrLen"), 19);
        assert_int_equal(dim_len(nc, "west_east"), 12);
        assert_int_equal(dim_len(nc, "south_north"), 10);
        assert_int_equal(dim_len(nc, "bottom_top"), 6);
        assert_int_equal(dim_len(nc, "west_east_stag"), 13);
        assert_int_equal(dim_len(nc, "south_north_stag"), 11);
        assert_int_equal(dim_len(nc, "bottom_top_stag"), 7);
        int unl;
        assert_int_equal(nc_inq_unlimdim(nc, &unl), NC_NOERR);
        char dn[NC_MAX_NAME + 1];
        nc_inq_dimname(nc, unl, dn);
        assert_string_equal(dn, "Time");
        check_dims(nc, "Times", 2, tm);
        check_dims(nc, "U", 4, u3);
        check_dims(nc, "V", 4, v3);
        check_dims(nc, "W", 4, w3);
        check_dims(nc, "PH", 4, w3);
        check_dims(nc, "PHB", 4, w3);
        for (size_t v = 0; v < sizeof vars2 / sizeof *vars2; v++) check_dims(nc, vars2[v], 3, m2);
        for (size_t v = 0; v < sizeof vars3 / sizeof *vars3; v++) check_dims(nc, vars3[v], 4, m3);
        const char *others[] = {"ZNW", "ZNU", "MAPFAC_U", "MAPFAC_V", "XLAT_U", "XLONG_V",
                                "P_TOP", "XTIME", "SINALPHA", "COSALPHA"};
        for (size_t v = 0; v < sizeof others / sizeof *others; v++) {
            int id;
            if (nc_inq_varid(nc, others[v], &id) != NC_NOERR) fail_msg("%s missing", others[v]);
        }
        /* attributes as WRF writes them */
        char txt[64] = {0};
        int id;
        nc_inq_varid(nc, "U", &id);
        assert_int_equal(nc_get_att_text(nc, id, "stagger", txt), NC_NOERR);
        assert_string_equal(txt, "X");
        memset(txt, 0, sizeof txt);
        assert_int_equal(nc_get_att_text(nc, id, "MemoryOrder", txt), NC_NOERR);
        assert_string_equal(txt, "XYZ");
        memset(txt, 0, sizeof txt);
        assert_int_equal(nc_get_att_text(nc, id, "units", txt), NC_NOERR);
        assert_string_equal(txt, "m s-1");
        nc_type type;
        nc_inq_varid(nc, "T", &id);
        nc_inq_vartype(nc, id, &type);
        assert_int_equal(type, NC_FLOAT);
        /* global attributes */
        int mp;
        assert_int_equal(nc_get_att_int(nc, NC_GLOBAL, "MAP_PROJ", &mp), NC_NOERR);
        assert_int_equal(mp, 1);
        assert_float_equal(gatt(nc, "TRUELAT1"), 30.0, 1e-6);
        assert_float_equal(gatt(nc, "TRUELAT2"), 60.0, 1e-6);
        assert_float_equal(gatt(nc, "STAND_LON"), 87.6, 1e-5);
        assert_float_equal(gatt(nc, "MOAD_CEN_LAT"), 43.8, 1e-5);
        assert_float_equal(gatt(nc, "CEN_LAT"), 43.8, 1e-5);
        assert_float_equal(gatt(nc, "CEN_LON"), 87.6, 1e-5);
        assert_float_equal(gatt(nc, "DX"), 20000.0, 1e-6);
        assert_float_equal(gatt(nc, "DY"), 20000.0, 1e-6);
        assert_float_equal(gatt(nc, "POLE_LAT"), 90.0, 0);
        assert_float_equal(gatt(nc, "POLE_LON"), 0.0, 0);
        assert_float_equal(gatt(nc, "WEST-EAST_GRID_DIMENSION"), 13, 0);
        assert_float_equal(gatt(nc, "SOUTH-NORTH_GRID_DIMENSION"), 11, 0);
        assert_float_equal(gatt(nc, "BOTTOM-TOP_GRID_DIMENSION"), 7, 0);
        memset(txt, 0, sizeof txt);
        assert_int_equal(nc_get_att_text(nc, NC_GLOBAL, "START_DATE", txt), NC_NOERR);
        assert_string_equal(txt, "2024-01-09_23:00:00");
        memset(txt, 0, sizeof txt);
        assert_int_equal(nc_get_att_text(nc, NC_GLOBAL, "SIMULATION_START_DATE", txt), NC_NOERR);
        assert_string_equal(txt, "2024-01-09_23:00:00");
        size_t tl;
        assert_int_equal(nc_inq_attlen(nc, NC_GLOBAL, "TITLE", &tl), NC_NOERR);
        nc_close(nc);
    }
}

static void test_times(void **state)
{
    Case *c = *state;
    const char *want[4] = {"2024-01-09_23:00:00", "2024-01-10_00:00:00", "2024-01-10_01:00:00",
                           "2024-01-10_02:00:00"};
    for (int f = 0; f < 2; f++) {
        int nc = nc_open_ok(c->paths[f]), id;
        char t[2][19];
        assert_int_equal(nc_inq_varid(nc, "Times", &id), NC_NOERR);
        assert_int_equal(nc_get_var_text(nc, id, &t[0][0]), NC_NOERR);
        for (int r = 0; r < 2; r++) assert_memory_equal(t[r], want[2 * f + r], 19);
        double *xt = get_var(nc, "XTIME", NULL);
        assert_float_equal(xt[0], 120.0 * f, 1e-6);
        assert_float_equal(xt[1], 120.0 * f + 60.0, 1e-6);
        free(xt);
        nc_close(nc);
    }
}

/* Half a unit in the last place of a float near x: the resolution of WRF's float XLAT/XLONG. */
static double half_ulp(double x)
{
    float f = (float)fabs(x);
    return 0.5 * ((double)nextafterf(f, INFINITY) - (double)f);
}

/* XLAT/XLONG (and the U and V staggered points) are the inverse projection of the lattice
 * x0 + i dx, y0 + j dy centred on CEN_LAT/CEN_LON, rebuilt here from the file's attributes. */
static void test_latlon_reproject(void **state)
{
    Case *c = *state;
    int nc = nc_open_ok(c->paths[1]);
    char ps[512];
    snprintf(ps, sizeof ps,
             "+proj=lcc +lat_1=%.17g +lat_2=%.17g +lat_0=%.17g +lon_0=%.17g +R=6370000 +units=m",
             gatt(nc, "TRUELAT1"), gatt(nc, "TRUELAT2"), gatt(nc, "MOAD_CEN_LAT"),
             gatt(nc, "STAND_LON"));
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *P = proj_create(ctx, ps);
    assert_non_null(P);
    double dx = gatt(nc, "DX");
    PJ_COORD cc = proj_trans(P, PJ_FWD, proj_coord(proj_torad(gatt(nc, "CEN_LON")),
                                                   proj_torad(gatt(nc, "CEN_LAT")), 0, 0));
    const int nx = 12, ny = 10;
    double x0 = cc.xy.x - 0.5 * (nx - 1) * dx, y0 = cc.xy.y - 0.5 * (ny - 1) * dx;
    struct { const char *lat, *lon; int nxx, nyy; double ox, oy; } pts[3] = {
        {"XLAT", "XLONG", nx, ny, 0.0, 0.0},
        {"XLAT_U", "XLONG_U", nx + 1, ny, -0.5, 0.0},
        {"XLAT_V", "XLONG_V", nx, ny + 1, 0.0, -0.5}};
    double worst = 0.0, worst_m = 0.0;
    for (int s = 0; s < 3; s++) {
        size_t n;
        double *la = get_var(nc, pts[s].lat, &n), *lo = get_var(nc, pts[s].lon, NULL);
        size_t per = (size_t)pts[s].nxx * pts[s].nyy;
        assert_int_equal(n, 2 * per); /* two records, identical */
        for (int t = 0; t < 2; t++)
            for (int j = 0; j < pts[s].nyy; j++)
                for (int i = 0; i < pts[s].nxx; i++) {
                    size_t q = t * per + (size_t)j * pts[s].nxx + i;
                    double x = x0 + (i + pts[s].ox) * dx, y = y0 + (j + pts[s].oy) * dx;
                    PJ_COORD ll = proj_trans(P, PJ_INV, proj_coord(x, y, 0, 0));
                    double elat = proj_todeg(ll.lp.phi), elon = proj_todeg(ll.lp.lam);
                    double dlat = fabs(la[q] - elat) - half_ulp(elat);
                    double dlon = fabs(lo[q] - elon) - half_ulp(elon);
                    if (dlat > worst) worst = dlat;
                    if (dlon > worst) worst = dlon;
                    /* and forward: the stored point lies on the lattice to float resolution */
                    PJ_COORD xy = proj_trans(P, PJ_FWD, proj_coord(proj_torad(lo[q]),
                                                                   proj_torad(la[q]), 0, 0));
                    double dm = hypot(xy.xy.x - x, xy.xy.y - y);
                    if (dm > worst_m) worst_m = dm;
                }
        free(la);
        free(lo);
    }
    print_message("lat/lon beyond float rounding: %.2e deg; lattice offset %.3f m\n", worst,
                  worst_m);
    assert_true(worst <= 1e-6);
    assert_true(worst_m < 1.0);
    proj_destroy(P);
    proj_context_destroy(ctx);
    nc_close(nc);
}

/* MAPFAC_M and SINALPHA against the closed-form Lambert conformal scale factor and convergence
 * (Snyder 1987, USGS PP 1395, eqs. 15-1 to 15-4; WRF's sign convention for SINALPHA). */
static void test_mapfac_and_rotation(void **state)
{
    Case *c = *state;
    int nc = nc_open_ok(c->paths[0]);
    double p1 = gatt(nc, "TRUELAT1") * M_PI / 180, p2 = gatt(nc, "TRUELAT2") * M_PI / 180;
    double lon0 = gatt(nc, "STAND_LON");
    double n = log(cos(p1) / cos(p2)) / log(tan(M_PI / 4 + p2 / 2) / tan(M_PI / 4 + p1 / 2));
    size_t len;
    double *la = get_var(nc, "XLAT", &len), *lo = get_var(nc, "XLONG", NULL);
    double *mf = get_var(nc, "MAPFAC_M", NULL), *sa = get_var(nc, "SINALPHA", NULL);
    for (size_t q = 0; q < len; q++) {
        double p = la[q] * M_PI / 180;
        double k = cos(p1) / cos(p) * pow(tan(M_PI / 4 + p1 / 2) / tan(M_PI / 4 + p / 2), n);
        assert_float_equal(mf[q], k, 2e-6);
        assert_float_equal(sa[q], sin(n * (lon0 - lo[q]) * M_PI / 180), 2e-6);
    }
    free(la);
    free(lo);
    free(mf);
    free(sa);
    nc_close(nc);
}

/* Hydrostatic consistency in every column, layer and record:
 *   (PH+PHB)(k+1) - (PH+PHB)(k) = Rd Tv ln(p_k / p_k+1) between interfaces whose pressures are
 *   ptop + ZNW (PSFC - ptop), with T from (T + 300)(p/1e5)^(Rd/cp) at P+PB and
 *   Tv = T (1 + qv/eps) / (1 + qv); and the dry mass rho_d dz = dp / (g (1 + qv)). */
static void test_hydrostatic(void **state)
{
    Case *c = *state;
    const size_t nx = 12, ny = 10, nz = 6, n2 = nx * ny;
    double worst = 0.0, worst_mass = 0.0;
    for (int f = 0; f < 2; f++) {
        int nc = nc_open_ok(c->paths[f]);
        double *ph = get_var(nc, "PH", NULL), *phb = get_var(nc, "PHB", NULL);
        double *p = get_var(nc, "P", NULL), *pb = get_var(nc, "PB", NULL);
        double *th = get_var(nc, "T", NULL), *qv = get_var(nc, "QVAPOR", NULL);
        double *znw = get_var(nc, "ZNW", NULL), *ptop = get_var(nc, "P_TOP", NULL);
        double *psfc = get_var(nc, "PSFC", NULL), *hgt = get_var(nc, "HGT", NULL);
        double *mu = get_var(nc, "MU", NULL), *mub = get_var(nc, "MUB", NULL);
        for (size_t t = 0; t < 2; t++)
            for (size_t q = 0; q < n2; q++) {
                size_t o3 = t * nz * n2, ow = t * (nz + 1) * n2;
                double ps = psfc[t * n2 + q], pt = ptop[t];
                assert_float_equal((ph[ow + q] + phb[ow + q]) / G, hgt[t * n2 + q], 0.05);
                double mud = 0.0;
                for (size_t k = 0; k < nz; k++) {
                    size_t c3 = o3 + k * n2 + q;
                    double pw0 = pt + znw[t * (nz + 1) + k] * (ps - pt);
                    double pw1 = pt + znw[t * (nz + 1) + k + 1] * (ps - pt);
                    double pk = p[c3] + pb[c3];
                    assert_true(pk < pw0 && pk > pw1);
                    double tk = (th[c3] + 300.0) * pow(pk / 1e5, RD / CP);
                    double tv = tk * (1 + qv[c3] / EPS) / (1 + qv[c3]);
                    double dz = (ph[ow + (k + 1) * n2 + q] + phb[ow + (k + 1) * n2 + q] -
                                 ph[ow + k * n2 + q] - phb[ow + k * n2 + q]) / G;
                    assert_true(dz > 0.0);
                    double want = RD * tv / G * log(pw0 / pw1);
                    double rel = fabs(dz / want - 1.0);
                    if (rel > worst) worst = rel;
                    double rho_d = pk / (RD * tk * (1 + qv[c3] / EPS));
                    double mass = rho_d * dz, wmass = (pw0 - pw1) / (G * (1 + qv[c3]));
                    rel = fabs(mass / wmass - 1.0);
                    if (rel > worst_mass) worst_mass = rel;
                    mud += (pw0 - pw1) / (1 + qv[c3]);
                }
                assert_float_equal(mu[t * n2 + q] + mub[t * n2 + q], mud, 1e-4 * mud);
            }
        double *arrs[] = {ph, phb, p, pb, th, qv, znw, ptop, psfc, hgt, mu, mub};
        for (size_t a = 0; a < sizeof arrs / sizeof *arrs; a++) free(arrs[a]);
        nc_close(nc);
    }
    print_message("hydrostatic thickness max rel. error %.2e, layer dry mass %.2e\n", worst,
                  worst_mass);
    assert_true(worst < 0.005);
    assert_true(worst_mass < 0.005);
}

/* Vertical structure: ZNW, the lowest layer 30-50 m deep over the basin, theta rising with height
 * everywhere in the inversion case, an inversion of several K over the basin. */
static void test_levels_and_inversion(void **state)
{
    Case *c = *state;
    const size_t nx = 12, ny = 10, nz = 6, n2 = nx * ny;
    int nc = nc_open_ok(c->paths[0]);
    double *znw = get_var(nc, "ZNW", NULL), *th = get_var(nc, "T", NULL);
    double *ph = get_var(nc, "PH", NULL), *phb = get_var(nc, "PHB", NULL);
    double *p = get_var(nc, "P", NULL), *pb = get_var(nc, "PB", NULL);
    double *hgt = get_var(nc, "HGT", NULL);
    assert_float_equal(znw[0], 1.0, 0);
    assert_float_equal(znw[nz], 0.0, 0);
    for (size_t k = 0; k < nz; k++) assert_true(znw[k + 1] < znw[k]);
    size_t qb = 0;
    for (size_t q = 0; q < n2; q++)
        if (hgt[q] < hgt[qb]) qb = q;
    assert_true(hgt[qb] > 380.0 && hgt[qb] < 600.0); /* basin floor */
    double dz1 = (ph[n2 + qb] + phb[n2 + qb] - ph[qb] - phb[qb]) / G;
    print_message("basin column: HGT %.0f m, lowest layer %.1f m\n", hgt[qb], dz1);
    assert_true(dz1 > 30.0 && dz1 < 50.0);
    for (size_t t = 0; t < 2; t++)
        for (size_t q = 0; q < n2; q++)
            for (size_t k = 0; k + 1 < nz; k++)
                assert_true(th[t * nz * n2 + (k + 1) * n2 + q] > th[t * nz * n2 + k * n2 + q]);
    /* night (05:10 local): surface ~258 K, layers within 600 m of the ground up to 8 K warmer */
    double t0 = (th[qb] + 300) * pow((p[qb] + pb[qb]) / 1e5, RD / CP), tmax = t0;
    for (size_t k = 1; k < nz; k++) {
        size_t c3 = k * n2 + qb;
        double zmid = 0.5 * (ph[c3] + phb[c3] + ph[c3 + n2] + phb[c3 + n2]) / G - hgt[qb];
        double tk = (th[c3] + 300) * pow((p[c3] + pb[c3]) / 1e5, RD / CP);
        if (zmid < 600.0 && tk > tmax) tmax = tk;
    }
    print_message("basin surface layer %.2f K, warmest within 600 m %.2f K\n", t0, tmax);
    assert_true(t0 > 255.0 && t0 < 261.0);
    assert_true(tmax - t0 > 4.0 && tmax - t0 < 9.0);
    double *arrs[] = {znw, th, ph, phb, p, pb, hgt};
    for (size_t a = 0; a < sizeof arrs / sizeof *arrs; a++) free(arrs[a]);
    nc_close(nc);

    double z24[25];
    BgErr e = {0};
    assert_int_equal(synthmet_eta_levels(24, 5000.0, z24, &e), BG_OK);
    assert_float_equal(z24[0], 1.0, 0);
    assert_float_equal(z24[24], 0.0, 0);
    for (int k = 0; k < 24; k++) assert_true(z24[k + 1] < z24[k]);
    /* 45 m in the standard atmosphere: dp = 1.2250 kg m-3 * 9.81 * 45 m ~ 540 Pa of 96325 */
    assert_float_equal(1.0 - z24[1], 540.0 / 96325.0, 2e-4);
    assert_int_equal(synthmet_eta_levels(0, 5000.0, z24, &e), BG_ECONFIG);
}

/* Physical ranges and diagnostics of the 2-D fields, every record. */
static void test_ranges(void **state)
{
    Case *c = *state;
    const size_t nx = 12, ny = 10, nz = 6, n2 = nx * ny;
    double prev_rain[120] = {0};
    for (int f = 0; f < 2; f++) {
        int nc = nc_open_ok(c->paths[f]);
        double *pblh = get_var(nc, "PBLH", NULL), *ust = get_var(nc, "UST", NULL);
        double *hfx = get_var(nc, "HFX", NULL), *sw = get_var(nc, "SWDOWN", NULL);
        double *t2 = get_var(nc, "T2", NULL), *th = get_var(nc, "T", NULL);
        double *p = get_var(nc, "P", NULL), *pb = get_var(nc, "PB", NULL);
        double *qv = get_var(nc, "QVAPOR", NULL), *qc = get_var(nc, "QCLOUD", NULL);
        double *rain = get_var(nc, "RAINNC", NULL), *rainc = get_var(nc, "RAINC", NULL);
        double *snowc = get_var(nc, "SNOWC", NULL), *lu = get_var(nc, "LU_INDEX", NULL);
        double *exch = get_var(nc, "EXCH_H", NULL), *w = get_var(nc, "W", NULL);
        for (size_t t = 0; t < 2; t++) {
            int rec = 2 * f + (int)t;
            double swmax = 0.0;
            for (size_t q = 0; q < n2; q++) {
                size_t i2 = t * n2 + q, i3 = t * nz * n2 + q;
                assert_true(pblh[i2] >= 100.0 && pblh[i2] <= 900.0);
                assert_true(ust[i2] >= 0.1 - 1e-6 && ust[i2] <= 0.4 + 1e-6);
                assert_true(hfx[i2] >= -20.0 && hfx[i2] <= 80.0);
                assert_true(sw[i2] >= 0.0 && sw[i2] < 1100.0);
                if (sw[i2] > swmax) swmax = sw[i2];
                double pk = p[i3] + pb[i3], tk = (th[i3] + 300) * pow(pk / 1e5, RD / CP);
                assert_float_equal(t2[i2], tk - 1.0, 0.01);
                double es = 611.2 * exp(17.67 * (tk - 273.15) / (tk - 29.65));
                double rh = qv[i3] / (EPS * es / (pk - es));
                assert_true(rh > 0.6 && rh < 1.01);
                assert_true(qc[i3] >= 0.0 && qc[i3] <= 1e-4);
                assert_true(rain[i2] >= prev_rain[q] - 1e-7);
                if (rec == 0) assert_float_equal(rain[i2], 0.0, 0);
                prev_rain[q] = rain[i2];
                assert_float_equal(rainc[i2], 0.0, 0);
                assert_true(snowc[i2] == 0.0 || snowc[i2] == 1.0);
                assert_true(lu[i2] == 1 || lu[i2] == 2 || lu[i2] == 7 || lu[i2] == 19 ||
                            lu[i2] == 24);
                assert_float_equal(exch[i3], 0.0, 0); /* ground interface, as WRF */
                for (size_t k = 1; k < nz; k++) {
                    double kz = exch[i3 + k * n2];
                    assert_true(kz >= 0.1 - 1e-6 && kz < 100.0);
                }
                for (size_t k = 0; k <= nz; k++)
                    assert_true(isfinite(w[t * (nz + 1) * n2 + k * n2 + q]));
            }
            /* 23Z and 00Z are before sunrise (05:10, 06:10 local); 02Z is 08:10, sun ~6 deg up */
            print_message("record %d: max SWDOWN %.1f W m-2\n", rec, swmax);
            if (rec <= 1) assert_float_equal(swmax, 0.0, 0);
            if (rec == 3) assert_true(swmax > 5.0 && swmax < 200.0);
        }
        double *arrs[] = {pblh, ust, hfx, sw, t2, th, p, pb, qv, qc, rain, rainc, snowc, lu,
                          exch, w};
        for (size_t a = 0; a < sizeof arrs / sizeof *arrs; a++) free(arrs[a]);
        nc_close(nc);
    }
    assert_true(prev_rain[0] > 0.0);
}

/* Winds: finite, time-dependent, divergent near the terrain, the jet aloft. */
static void test_winds(void **state)
{
    Case *c = *state;
    const size_t nx = 12, ny = 10, nz = 6;
    int nc = nc_open_ok(c->paths[0]);
    size_t nu, nv;
    double *u = get_var(nc, "U", &nu), *v = get_var(nc, "V", &nv);
    double *mf = get_var(nc, "MAPFAC_M", NULL);
    size_t per_u = nz * ny * (nx + 1), per_v = nz * (ny + 1) * nx;
    assert_int_equal(nu, 2 * per_u);
    double dmax = 0.0, top = 0.0, divmax = 0.0;
    for (size_t q = 0; q < per_u; q++) {
        assert_true(isfinite(u[q]) && fabs(u[q]) < 100.0);
        dmax = fmax(dmax, fabs(u[per_u + q] - u[q]));
    }
    for (size_t q = 0; q < per_v; q++) {
        assert_true(isfinite(v[q]) && fabs(v[q]) < 100.0);
        dmax = fmax(dmax, fabs(v[per_v + q] - v[q]));
    }
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i <= nx; i++) top += u[(nz - 1) * ny * (nx + 1) + j * (nx + 1) + i];
    top /= (double)(ny * (nx + 1));
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            double dist = 20000.0 / mf[j * nx + i];
            double div = (u[j * (nx + 1) + i + 1] - u[j * (nx + 1) + i]) / dist +
                         (v[(j + 1) * nx + i] - v[j * nx + i]) / dist;
            divmax = fmax(divmax, fabs(div));
        }
    print_message("max change between records %.3f m/s, top-layer mean U %.1f m/s, max |div| "
                  "in the lowest layer %.2e s-1\n", dmax, top, divmax);
    assert_true(dmax > 0.01);
    assert_true(top > 45.0 && top < 55.0); /* jet 50 m/s in the top layer, plus u0 */
    assert_true(divmax > 1e-6 && divmax < 1e-3);
    free(u);
    free(v);
    free(mf);
    nc_close(nc);
}

/* Flat terrain, no inversion, midday: the sun, the boundary layer and the EXCH_H constant. */
static void test_flat_noon_and_exch_const(void **state)
{
    (void)state;
    char dir[256];
    make_tmpdir(dir, sizeof dir);
    SynthMetSpec s;
    tiny_spec(&s);
    s.terrain = 0;
    s.inversion = 0;
    s.nrec = 1;
    s.exch_h_const = 2.5;
    snprintf(s.start, sizeof s.start, "2024-01-10T06:00:00Z"); /* 11:50 local solar at 87.6 E */
    char **paths = NULL;
    int n = 0;
    BgErr e = {0};
    assert_int_equal(synthmet_write(&s, dir, &paths, &n, &e), BG_OK);
    assert_int_equal(n, 1);
    int nc = nc_open_ok(paths[0]);
    const size_t nx = 12, ny = 10, nz = 6, n2 = nx * ny;
    double *hgt = get_var(nc, "HGT", NULL), *sw = get_var(nc, "SWDOWN", NULL);
    double *pblh = get_var(nc, "PBLH", NULL), *exch = get_var(nc, "EXCH_H", NULL);
    double *th = get_var(nc, "T", NULL), *p = get_var(nc, "P", NULL), *pb = get_var(nc, "PB", NULL);
    size_t qc = (ny / 2) * nx + nx / 2;
    print_message("flat noon: SWDOWN %.0f W m-2, PBLH %.0f m\n", sw[qc], pblh[qc]);
    for (size_t q = 0; q < n2; q++) {
        assert_float_equal(hgt[q], 500.0, 0);
        /* clear sky, 43.8 N on 10 January: sun 24 deg up, 330-420 W m-2 */
        assert_true(sw[q] > 300.0 && sw[q] < 450.0);
        assert_true(pblh[q] >= 400.0 && pblh[q] <= 800.0);
        assert_float_equal(exch[q], 0.0, 0);
        for (size_t k = 1; k < nz; k++) assert_float_equal(exch[k * n2 + q], 2.5, 1e-6);
        /* no inversion: temperature falls with height from the ground */
        double t0 = (th[q] + 300) * pow((p[q] + pb[q]) / 1e5, RD / CP);
        double t1 = (th[n2 + q] + 300) * pow((p[n2 + q] + pb[n2 + q]) / 1e5, RD / CP);
        assert_true(t1 < t0);
    }
    double *arrs[] = {hgt, sw, pblh, exch, th, p, pb};
    for (size_t a = 0; a < sizeof arrs / sizeof *arrs; a++) free(arrs[a]);
    nc_close(nc);

    /* without with_exch_h there is no EXCH_H variable */
    s.with_exch_h = 0;
    assert_int_equal(synthmet_write(&s, dir, NULL, NULL, &e), BG_OK);
    nc = nc_open_ok(paths[0]);
    int id;
    assert_int_equal(nc_inq_varid(nc, "EXCH_H", &id), NC_ENOTVAR);
    nc_close(nc);
    synthmet_free_paths(paths, n);
    rm_tree(dir);
}

static int files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* The same spec written again gives byte-identical files. */
static void test_deterministic(void **state)
{
    Case *c = *state;
    char dir[256];
    make_tmpdir(dir, sizeof dir);
    char **paths = NULL;
    int n = 0;
    BgErr e = {0};
    assert_int_equal(synthmet_write(&c->spec, dir, &paths, &n, &e), BG_OK);
    assert_int_equal(n, c->npaths);
    for (int f = 0; f < n; f++) assert_true(files_equal(paths[f], c->paths[f]));
    synthmet_free_paths(paths, n);
    rm_tree(dir);
}

static void test_defaults_valid(void **state)
{
    (void)state;
    SynthMetSpec s;
    synthmet_defaults(&s);
    BgErr e = {0};
    assert_int_equal(synthmet_check(&s, &e), BG_OK);
    assert_int_equal(s.nx, 200);
    assert_int_equal(s.ny, 120);
    assert_int_equal(s.nz, 24);
    assert_float_equal(s.dx_m, 4000.0, 0);
    assert_float_equal(s.cen_lat, 43.8, 0);
    assert_float_equal(s.cen_lon, 87.6, 0);
    assert_float_equal(s.truelat1, 30.0, 0);
    assert_float_equal(s.truelat2, 60.0, 0);
    assert_float_equal(s.stand_lon, s.cen_lon, 0);
    assert_float_equal(s.ptop_pa, 5000.0, 0);
    assert_int_equal(s.nrec, 25);
    assert_int_equal(s.rec_per_file, 24);
    /* spec errors name the field and the option */
    s.nx = 1;
    assert_int_equal(synthmet_check(&s, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, "nx"));
    assert_non_null(strstr(e.msg, "--nx"));
    synthmet_defaults(&s);
    s.interval_h = 0.5 / 3600.0 + 1.0; /* not a whole second */
    BgErr e2 = {0};
    assert_int_equal(synthmet_write(&s, "/tmp/never_written", NULL, NULL, &e2), BG_ECONFIG);
    assert_non_null(strstr(e2.msg, "--interval-h"));
    synthmet_defaults(&s);
    s.nx = s.ny = 12;
    s.nz = 4;
    s.nrec = 1;
    BgErr e3 = {0};
    assert_int_equal(synthmet_write(&s, "/proc/bogda/no/such/dir", NULL, NULL, &e3), BG_EFAIL);
}

static int run_cli(BgErr *e, int argc, const char **argv)
{
    return synthmet_cli(argc, (char **)argv, e);
}

static void test_cli(void **state)
{
    (void)state;
    char dir[256], sub[300];
    make_tmpdir(dir, sizeof dir);
    snprintf(sub, sizeof sub, "%s/met", dir);
    struct { const char *args[8]; int argc; const char *needle; } bad[] = {
        {{"synthmet", sub, "--nx", "0"}, 4, "--nx"},
        {{"synthmet", sub, "--nx", "abc"}, 4, "--nx"},
        {{"synthmet", sub, "--ny", "3.5"}, 4, "--ny"},
        {{"synthmet", sub, "--nz", "1"}, 4, "--nz"},
        {{"synthmet", sub, "--dx-km", "-4"}, 4, "--dx-km"},
        {{"synthmet", sub, "--terrain", "alps"}, 4, "--terrain"},
        {{"synthmet", sub, "--inversion", "maybe"}, 4, "--inversion"},
        {{"synthmet", sub, "--diurnal", "2"}, 4, "--diurnal"},
        {{"synthmet", sub, "--start", "yesterday"}, 4, "--start"},
        {{"synthmet", sub, "--hours", "2.5"}, 4, "--hours"},
        {{"synthmet", sub, "--hours", "-1"}, 4, "--hours"},
        {{"synthmet", sub, "--interval-h", "0"}, 4, "--interval-h"},
        {{"synthmet", sub, "--per-file", "0"}, 4, "--per-file"},
        {{"synthmet", sub, "--u", "fast"}, 4, "--u"},
        {{"synthmet", sub, "--jet", "500"}, 4, "--jet"},
        {{"synthmet", sub, "--exch-h", "-1"}, 4, "--exch-h"},
        {{"synthmet", sub, "--truelat1", "-30"}, 4, "--truelat1"},
        {{"synthmet", sub, "--ptop=10"}, 3, "--ptop"},
        {{"synthmet", sub, "--bogus", "1"}, 4, "--bogus"},
        {{"synthmet", sub, "--nx"}, 3, "--nx"},
        {{"synthmet", "--nx", "12"}, 3, "DIR"},
        {{"synthmet", sub, "other"}, 3, "other"},
    };
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        BgErr e = {0};
        int rc = run_cli(&e, bad[b].argc, bad[b].args);
        if (rc != BG_ECONFIG || !strstr(e.msg, bad[b].needle))
            fail_msg("case %zu (%s %s): rc %d, message '%s'", b, bad[b].args[2],
                     bad[b].argc > 3 ? bad[b].args[3] : "", rc, e.msg);
        if (strchr(e.msg, '\n')) fail_msg("message is not one line: %s", e.msg);
    }
    struct stat sb;
    assert_int_not_equal(stat(sub, &sb), 0); /* nothing written */

    BgErr e = {0};
    const char *help[] = {"synthmet", "--help"};
    assert_int_equal(run_cli(&e, 2, help), BG_OK);
    assert_int_not_equal(stat(sub, &sb), 0);

    const char *good[] = {"synthmet", sub, "--nx", "8", "--ny=6", "--nz", "5", "--dx-km", "3",
                          "--hours", "3", "--interval-h", "1.5", "--per-file", "2",
                          "--terrain", "flat", "--inversion", "off", "--exch-h", "profile",
                          "--start", "2024-12-31T22:30:00Z", "--cen-lon", "85"};
    assert_int_equal(run_cli(&e, (int)(sizeof good / sizeof *good), good), BG_OK);
    char f1[400], f2[400];
    snprintf(f1, sizeof f1, "%s/wrfout_d01_2024-12-31_22:30:00", sub);
    snprintf(f2, sizeof f2, "%s/wrfout_d01_2025-01-01_01:30:00", sub);
    assert_int_equal(stat(f1, &sb), 0);
    assert_int_equal(stat(f2, &sb), 0);
    int nc = nc_open_ok(f2);
    assert_int_equal(dim_len(nc, "Time"), 1);
    assert_int_equal(dim_len(nc, "west_east"), 8);
    assert_float_equal(gatt(nc, "STAND_LON"), 85.0, 1e-5); /* follows --cen-lon */
    assert_float_equal(gatt(nc, "DX"), 3000.0, 1e-3);
    double *xt = get_var(nc, "XTIME", NULL);
    assert_float_equal(xt[0], 180.0, 1e-6);
    free(xt);
    nc_close(nc);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_dims_and_variables),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_latlon_reproject),
        cmocka_unit_test(test_mapfac_and_rotation),
        cmocka_unit_test(test_hydrostatic),
        cmocka_unit_test(test_levels_and_inversion),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_winds),
        cmocka_unit_test(test_flat_noon_and_exch_const),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_defaults_valid),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
