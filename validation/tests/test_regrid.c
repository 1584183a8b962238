/* Conservative lon-lat -> model-grid regridding (input/regrid.c): spherical cell areas, exact
 * conservation for sources inside and partly outside the domain, the area of a uniform flux
 * density against the grid's own true cell areas, the clipped fractions against an independent
 * sub-sampling reference, point-like cells, the identity map, longitude wrapping at the date
 * line, and the speed of a 0.05-degree inventory onto the 200 x 120 4-km benchmark grid. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <proj.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "grid.h"
#include "regrid.h"
#include "synthmet.h"

#define D2R (M_PI / 180.0)
#define R_EARTH 6370000.0

static char tmpdir[64];
static Grid grid; /* 40 x 30 at 12 km, Lambert 30/60 centred on Urumqi */

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static int make_grid(Grid *g, const char *sub, int nx, int ny, double dx, double cen_lon)
{
    SynthMetSpec s;
    synthmet_defaults(&s);
    s.nx = nx;
    s.ny = ny;
    s.nz = 4;
    s.dx_m = dx;
    s.nrec = 1;
    s.cen_lon = cen_lon;
    s.stand_lon = cen_lon;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
    char **paths;
    int n;
    BgErr e = {0};
    if (synthmet_write(&s, dir, &paths, &n, &e) != BG_OK) {
        fprintf(stderr, "synthmet: %s\n", e.msg);
        return -1;
    }
    int rc = grid_from_wrf(g, paths[0], &e);
    if (rc) fprintf(stderr, "grid: %s\n", e.msg);
    synthmet_free_paths(paths, n);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/bogda_test_regrid_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    return make_grid(&grid, "g12", 40, 30, 12000, 87.6);
}

static int teardown(void **state)
{
    (void)state;
    grid_free(&grid);
    return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* A regular lon-lat grid: edges lon0 + i*d .. , lat0 + j*d .. (rows south to north unless
 * descending). */
typedef struct {
    int nlon, nlat;
    double *lw, *le, *ls, *ln;
} LL;

static void ll_make(LL *a, double lon0, double lat0, double d, int nlon, int nlat, int descending)
{
    a->nlon = nlon;
    a->nlat = nlat;
    a->lw = malloc(nlon * sizeof(double));
    a->le = malloc(nlon * sizeof(double));
    a->ls = malloc(nlat * sizeof(double));
    a->ln = malloc(nlat * sizeof(double));
    for (int i = 0; i < nlon; i++) a->lw[i] = lon0 + i * d, a->le[i] = lon0 + (i + 1) * d;
    for (int j = 0; j < nlat; j++) {
        int r = descending ? nlat - 1 - j : j;
        a->ls[j] = lat0 + r * d;
        a->ln[j] = lat0 + (r + 1) * d;
    }
}

static void ll_free(LL *a)
{
    free(a->lw), free(a->le), free(a->ls), free(a->ln);
}

static void build(RegridMap *m, const LL *a, const Grid *g)
{
    BgErr e = {0};
    int rc = regrid_build_lonlat(m, a->nlon, a->lw, a->le, a->nlat, a->ls, a->ln, g, "test", &e);
    if (rc) print_error("%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
}

static double sum(const double *v, size_t n)
{
    double s = 0;
    for (size_t k = 0; k < n; k++) s += v[k];
    return s;
}

static void test_sphere_area(void **state)
{
    (void)state;
    /* The whole sphere in 1-degree cells: 4 pi R^2. */
    double a = 0;
    for (int j = -90; j < 90; j++)
        for (int i = 0; i < 360; i++) a += regrid_sphere_area(i, i + 1, j, j + 1);
    double exact = 4 * M_PI * R_EARTH * R_EARTH;
    print_message("sphere in 1-degree cells: %.12e m2, 4 pi R^2 = %.12e m2 (rel %.1e)\n", a,
                  exact, fabs(a / exact - 1));
    assert_close(a / exact, 1.0, 1e-12);
    /* A 0.05-degree cell at 44 N against the small-cell approximation R^2 dlon dlat cos(lat). */
    double c = regrid_sphere_area(87, 87.05, 43.975, 44.025);
    double approx = R_EARTH * R_EARTH * 0.05 * D2R * 0.05 * D2R * cos(44 * D2R);
    assert_close(c / approx, 1.0, 1e-6);
}

static void test_fully_inside_conserves(void **state)
{
    (void)state;
    LL a;
    ll_make(&a, 86.5, 43.2, 0.1, 22, 12, 1); /* 86.5-88.7 E, 43.2-44.4 N, rows north first */
    RegridMap m;
    build(&m, &a, &grid);
    double *src = malloc(m.nsrc * sizeof *src), *dst = malloc(m.ndst * sizeof *dst);
    for (int s = 0; s < m.nsrc; s++) src[s] = 1.0 + 0.5 * sin(0.37 * s) * cos(0.91 * (s % 7));
    double out;
    regrid_apply(&m, src, dst, &out);
    double ts = sum(src, m.nsrc), td = sum(dst, m.ndst);
    print_message("fully inside: %d source cells -> %zu entries; source %.15g, model %.15g "
                  "(rel %.1e), outside %g\n",
                  m.nsrc, m.nnz, ts, td, fabs(td / ts - 1), out);
    assert_close(td / ts, 1.0, 1e-12);
    assert_true(out == 0.0);
    for (int s = 0; s < m.nsrc; s++) assert_true(m.w_out[s] == 0.0);
    regrid_free(&m);
    ll_free(&a);
    free(src);
    free(dst);
}

/* A uniform flux density F over a source much larger than the domain: inside + outside = total
 * to round-off, and every model cell receives F x its true area (dx dy / m^2 from the grid's
 * map factors, an independent route) to the accuracy stated in docs/inventory.md. */
static void test_partly_outside_and_true_areas(void **state)
{
    (void)state;
    const double F = 2.5e-9; /* kg m-2 s-1 */
    double d[2] = {0.25, 0.05};
    for (int t = 0; t < 2; t++) {
        int nlon = (int)lround(15 / d[t]), nlat = (int)lround(8 / d[t]);
        LL a;
        ll_make(&a, 80, 40, d[t], nlon, nlat, 0);
        RegridMap m;
        build(&m, &a, &grid);
        double *src = malloc(m.nsrc * sizeof *src), *dst = malloc(m.ndst * sizeof *dst);
        for (int s = 0; s < m.nsrc; s++) src[s] = F * regrid_src_area(&m, &grid, s);
        double out;
        regrid_apply(&m, src, dst, &out);
        double ts = sum(src, m.nsrc), td = sum(dst, m.ndst);
        double worst = 0, dom = sum(grid.area, m.ndst);
        for (int n = 0; n < m.ndst; n++)
            worst = fmax(worst, fabs(dst[n] / (F * grid.area[n]) - 1));
        print_message("%.2f-degree source 80-95 E, 40-48 N: total %.15g, inside %.15g, outside "
                      "%.15g, (in+out)/total - 1 = %.1e; inside / (F x domain area) - 1 = %.1e; "
                      "worst model cell vs F x true area %.1e\n",
                      d[t], ts, td, out, (td + out) / ts - 1, td / (F * dom) - 1, worst);
        assert_close((td + out) / ts, 1.0, 1e-12);
        assert_true(out > 0.5 * ts);
        assert_close(td / (F * dom), 1.0, 1e-5);
        assert_true(worst < 2e-5);
        regrid_free(&m);
        ll_free(&a);
        free(src);
        free(dst);
    }
}

/* Fractions of one 0.5-degree source cell in each model cell against brute-force sub-sampling:
 * 600 x 600 sub-cells, each carrying its own spherical area, centres projected with a
 * separately created PROJ object and binned. */
static void test_fractions_vs_subsampling(void **state)
{
    (void)state;
    const double w = 87.13, s = 43.61, d = 0.5;
    LL a;
    ll_make(&a, w, s, d, 1, 1, 0);
    RegridMap m;
    build(&m, &a, &grid);
    double *ref = calloc(m.ndst, sizeof *ref);
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *pj = proj_create(ctx, grid.proj_string);
    assert_non_null(pj);
    const int N = 600;
    double tot = 0;
    for (int q = 0; q < N; q++)
        for (int p = 0; p < N; p++) {
            double lo = w + (p + 0.5) * d / N, la0 = s + q * d / N, la1 = s + (q + 1) * d / N;
            double ar = regrid_sphere_area(0, d / N, la0, la1);
            PJ_COORD c = proj_trans(pj, PJ_FWD,
                                    proj_coord(lo * D2R, 0.5 * (la0 + la1) * D2R, 0, 0));
            int i = (int)floor((c.xy.x - grid.x0) / grid.dx + 0.5);
            int j = (int)floor((c.xy.y - grid.y0) / grid.dy + 0.5);
            tot += ar;
            if (i >= 0 && j >= 0 && i < grid.nx && j < grid.ny) ref[j * grid.nx + i] += ar;
        }
    proj_destroy(pj);
    proj_context_destroy(ctx);
    double worst = 0, wsum = 0;
    int ncells = 0;
    for (size_t k = m.ptr[0]; k < m.ptr[1]; k++) {
        worst = fmax(worst, fabs(m.w[k] - ref[m.dst[k]] / tot));
        wsum += m.w[k];
        ref[m.dst[k]] = 0;
        ncells++;
    }
    for (int n = 0; n < m.ndst; n++) worst = fmax(worst, ref[n] / tot); /* cells the map missed */
    print_message("0.5-degree cell over %d model cells: max |fraction - sub-sampled| = %.1e "
                  "(sum of fractions %.17g)\n",
                  ncells, worst, wsum);
    assert_true(ncells >= 9);
    assert_true(worst < 5e-4);
    assert_close(wsum, 1.0, 1e-14);
    regrid_free(&m);
    ll_free(&a);
    free(ref);
}

static void test_point_cells(void **state)
{
    (void)state;
    /* Urumqi, Changji, near Shihezi, and the centres of the south-west and north-east corner
     * cells of the domain. */
    double pts[5][2] = {{87.62, 43.83}, {87.30, 44.01}, {85.9, 44.3}, {0, 0}, {0, 0}};
    size_t ne = (size_t)grid.ny * grid.nx - 1;
    pts[3][0] = grid.lon[0], pts[3][1] = grid.lat[0];
    pts[4][0] = grid.lon[ne], pts[4][1] = grid.lat[ne];
    for (int p = 0; p < 5; p++) {
        double fi, fj;
        assert_int_equal(grid_locate(&grid, pts[p][0], pts[p][1], &fi, &fj), BG_OK);
        int i = (int)lround(fi), j = (int)lround(fj);
        LL a;
        ll_make(&a, pts[p][0] - 0.005, pts[p][1] - 0.005, 0.01, 1, 1, 0);
        RegridMap m;
        build(&m, &a, &grid);
        double src = 7.0, dst[40 * 30], out;
        regrid_apply(&m, &src, dst, &out);
        print_message("point %.2f E %.2f N: model cell [j=%d,i=%d] (fi %.3f, fj %.3f) gets %g "
                      "of 7\n",
                      pts[p][0], pts[p][1], j, i, fi, fj, dst[j * grid.nx + i]);
        assert_true(fabs(fi - i) < 0.45 && fabs(fj - j) < 0.45); /* well inside the cell */
        assert_true(dst[j * grid.nx + i] == 7.0);
        assert_true(out == 0.0);
        regrid_free(&m);
        ll_free(&a);
    }
}

static void test_identity_and_mean(void **state)
{
    (void)state;
    RegridMap m;
    BgErr e = {0};
    assert_int_equal(regrid_build_identity(&m, &grid, &e), BG_OK);
    size_t n = (size_t)m.ndst;
    double *src = malloc(n * sizeof *src), *dst = malloc(n * sizeof *dst),
           *wk = malloc(n * sizeof *wk);
    for (size_t k = 0; k < n; k++) src[k] = 0.1 * k;
    double out;
    regrid_apply(&m, src, dst, &out);
    assert_memory_equal(src, dst, n * sizeof *src);
    assert_true(out == 0.0);
    assert_close(regrid_src_area(&m, &grid, 17), grid.area[17], 0);
    regrid_free(&m);

    /* Area-weighted mean of a constant over a source covering part of the domain. */
    LL a;
    ll_make(&a, 86, 43, 0.1, 20, 15, 0);
    build(&m, &a, &grid);
    double *c = malloc(m.nsrc * sizeof *c);
    for (int s = 0; s < m.nsrc; s++) c[s] = 0.3;
    regrid_mean(&m, &grid, c, -1.0, dst, wk);
    int covered = 0, empty = 0;
    for (size_t k = 0; k < n; k++) {
        if (dst[k] == -1.0) {
            empty++;
        } else {
            covered++;
            assert_close(dst[k], 0.3, 1e-15);
        }
    }
    print_message("mean of a constant: %d model cells covered, %d empty\n", covered, empty);
    assert_true(covered > 20 && empty > 100);
    regrid_free(&m);
    ll_free(&a);
    free(c);
    free(src);
    free(dst);
    free(wk);
}

/* A domain centred on the date line: 0..360 and -180..180 sources give the same fields. */
static void test_date_line_wrap(void **state)
{
    (void)state;
    Grid g;
    assert_int_equal(make_grid(&g, "g180", 30, 20, 12000, 180.0), 0);
    LL a, b;
    ll_make(&a, 170, 40, 0.25, 80, 32, 1);  /* 170..190 E */
    ll_make(&b, -190, 40, 0.25, 80, 32, 1); /* the same cells written -190..-170 */
    RegridMap ma, mb;
    build(&ma, &a, &g);
    build(&mb, &b, &g);
    size_t n = (size_t)ma.ndst;
    double *src = malloc(ma.nsrc * sizeof *src), *da = malloc(n * sizeof *da),
           *db = malloc(n * sizeof *db), oa, ob;
    for (int s = 0; s < ma.nsrc; s++) src[s] = 1 + (s % 13);
    regrid_apply(&ma, src, da, &oa);
    regrid_apply(&mb, src, db, &ob);
    double worst = 0;
    for (size_t k = 0; k < n; k++) worst = fmax(worst, fabs(da[k] - db[k]) / fmax(da[k], 1e-300));
    double ts = sum(src, ma.nsrc), ta = sum(da, n);
    print_message("date line: inside %.12g of %.12g, outside %.12g; 0..360 vs -180..180 max rel "
                  "diff %.1e\n",
                  ta, ts, oa, worst);
    assert_true(ta > 0.03 * ts && oa > 0);
    assert_close((ta + oa) / ts, 1.0, 1e-12);
    assert_true(worst < 1e-12);
    assert_close(oa, ob, 1e-9 * ts);
    regrid_free(&ma);
    regrid_free(&mb);
    ll_free(&a);
    ll_free(&b);
    free(src), free(da), free(db);
    grid_free(&g);
}

/* The benchmark geometry: a 0.05-degree inventory over 76-94 E, 40-49 N onto 200 x 120 at 4 km. */
static void test_speed_benchmark_grid(void **state)
{
    (void)state;
    Grid g;
    assert_int_equal(make_grid(&g, "g4", 200, 120, 4000, 87.6), 0);
    LL a;
    ll_make(&a, 76, 40, 0.05, 360, 180, 1);
    RegridMap m;
    double t0 = now();
    build(&m, &a, &g);
    double t1 = now();
    size_t ninside = regrid_cells_inside(&m, NULL);
    double *src = malloc(m.nsrc * sizeof *src), *dst = malloc(m.ndst * sizeof *dst), out;
    for (int s = 0; s < m.nsrc; s++) src[s] = 1.0 + (s % 11);
    const int reps = 20;
    double t2 = now();
    for (int r = 0; r < reps; r++) regrid_apply(&m, src, dst, &out);
    double t3 = now();
    double ts = sum(src, m.nsrc), td = sum(dst, m.ndst);
    print_message("0.05-degree 76-94 E x 40-49 N (%d cells, %zu reach the domain) onto 200 x 120 "
                  "x 4 km: map built in %.3f s (%.2f us per reaching cell), %zu entries; one "
                  "field applied in %.2f ms; (in+out)/total - 1 = %.1e\n",
                  m.nsrc, ninside, t1 - t0, 1e6 * (t1 - t0) / ninside, m.nnz,
                  1e3 * (t3 - t2) / reps, (td + out) / ts - 1);
    assert_close((td + out) / ts, 1.0, 1e-12);
    assert_true(t1 - t0 < 5.0);
    regrid_free(&m);
    ll_free(&a);
    free(src), free(dst);
    grid_free(&g);
}

static void test_refuses_unprojectable(void **state)
{
    (void)state;
    /* A cell of zero width near the domain has no projected area. */
    double w = 87, e0 = 87, s = 43, n = 44;
    RegridMap m;
    BgErr e = {0};
    int rc = regrid_build_lonlat(&m, 1, &w, &e0, 1, &s, &n, &grid, "inv.nc", &e);
    print_message("refused: %s\n", e.msg);
    assert_int_equal(rc, BG_EINPUT);
    assert_non_null(strstr(e.msg, "inv.nc:lon/lat"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sphere_area),
        cmocka_unit_test(test_fully_inside_conserves),
        cmocka_unit_test(test_partly_outside_and_true_areas),
        cmocka_unit_test(test_fractions_vs_subsampling),
        cmocka_unit_test(test_point_cells),
        cmocka_unit_test(test_identity_and_mean),
        cmocka_unit_test(test_date_line_wrap),
        cmocka_unit_test(test_speed_benchmark_grid),
        cmocka_unit_test(test_refuses_unprojectable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
