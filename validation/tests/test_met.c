/* met_open / met_fields_at on the real WRF sample: derived fields against independent
 * calculations, exactness at record times, linear interpolation, split files, EXCH_H, and the
 * refusals (missing variables, NaN, duplicated times, a gap, a truncated file, Celsius T2, a run
 * longer than the records).  Also prints the mass-consistency numbers for the transport. */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "grid.h"
#include "met.h"
#include "timeutil.h"

#define SAMPLE "validation/data/salem_wrf_d01_allvars_cropped.nc"
#define SAMPLE_SPARSE "validation/data/salem_wrf_cropped.nc"
#define RD 287.0
#define CP 1004.5
#define RV 461.6
#define GRAV 9.81
#define KZ_MIN 0.01

#define NC(call) assert_int_equal((call), NC_NOERR)

static char tmpdir[64];
static Grid grid;
static double T0, T9; /* 2005-09-21 00:00 and 09:00 UTC */

static void tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/bogda_test_met_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    BgErr e = {0};
    if (grid_from_wrf(&grid, SAMPLE, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    if (time_parse("2005-09-21_00:00:00", &T0) || time_parse("2005-09-21_09:00:00", &T9)) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    grid_free(&grid);
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

static void copy_bytes(const char *from, const char *to, long nbytes)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t n;
    long left = nbytes < 0 ? 1L << 62 : nbytes;
    while (left > 0 && (n = fread(buf, 1, (size_t)fmin((double)sizeof buf, (double)left), a)) > 0) {
        assert_int_equal(fwrite(buf, 1, n, b), n);
        left -= (long)n;
    }
    fclose(a);
    fclose(b);
}

/* Every field of MetFields with its length, for whole-record comparisons. */
typedef struct {
    const char *name;
    double *p;
    size_t n;
} Field;

static int fields(const MetFields *f, Field out[32])
{
    size_t nx = (size_t)grid.nx, ny = (size_t)grid.ny, nz = (size_t)grid.nz;
    size_t n3 = nz * ny * nx, ni = (nz + 1) * ny * nx, nfx = nz * ny * (nx + 1),
           nfy = nz * (ny + 1) * nx, n2 = ny * nx;
    Field t[] = {{"airm", f->airm, n3}, {"fx", f->fx, nfx},       {"fy", f->fy, nfy},
                 {"rho", f->rho, n3},   {"zf", f->zf, ni},        {"kz", f->kz, ni},
                 {"p", f->p, n3},       {"t", f->t, n3},          {"theta", f->theta, n3},
                 {"u", f->u, nfx},      {"v", f->v, nfy},         {"qv", f->qv, n3},
                 {"qc", f->qc, n3},     {"qr", f->qr, n3},        {"qs", f->qs, n3},
                 {"pblh", f->pblh, n2}, {"ust", f->ust, n2},      {"hfx", f->hfx, n2},
                 {"swdown", f->swdown, n2}, {"t2", f->t2, n2},    {"rain", f->rain, n2},
                 {"snowc", f->snowc, n2}, {"psfc", f->psfc, n2}};
    int n = (int)(sizeof t / sizeof *t);
    memcpy(out, t, sizeof t);
    return n;
}

static void assert_fields_identical(const MetFields *a, const MetFields *b)
{
    Field fa[32], fb[32];
    int n = fields(a, fa);
    fields(b, fb);
    for (int q = 0; q < n; q++)
        if (memcmp(fa[q].p, fb[q].p, fa[q].n * sizeof(double))) {
            print_error("field %s differs\n", fa[q].name);
            fail();
        }
}

static int open_met(Met *m, char *const *files, int n, double t0, double t1, BgErr *e)
{
    memset(e, 0, sizeof *e);
    return met_open(m, &grid, files, n, t0, t1, KZ_MIN, e);
}

/* Value of variable name at [rec][k][j][i] (or [rec][j][i] when k < 0) read directly. */
static double raw(const char *name, int rec, int k, int j, int i)
{
    int ncid, varid, ndims;
    NC(nc_open(SAMPLE, NC_NOWRITE, &ncid));
    NC(nc_inq_varid(ncid, name, &varid));
    NC(nc_inq_varndims(ncid, varid, &ndims));
    size_t idx[4];
    int d = 0;
    if (ndims == 4 || (ndims == 3 && k < 0)) idx[d++] = (size_t)rec;
    if (k >= 0) idx[d++] = (size_t)k;
    idx[d++] = (size_t)j;
    idx[d++] = (size_t)i;
    float v;
    NC(nc_get_var1_float(ncid, varid, idx, &v));
    NC(nc_close(ncid));
    return v;
}

static void test_open_sample_and_derived_fields(void **state)
{
    (void)state;
    Met m;
    BgErr e;
    char *files[] = {SAMPLE};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = open_met(&m, files, 1, T0, T9, &e);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (rc) print_error("%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    print_message("met_open of the sample (4 records, validated and derived): %.3f s\n",
                  (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec));
    assert_int_equal(m.nrec, 4);
    assert_close(m.interval, 10800, 0);
    assert_false(m.has_exch_h);
    assert_true(m.has_psfc && m.has_qcloud && m.has_rainc && m.has_snowc);

    MetFields f;
    assert_int_equal(met_fields_alloc(&f, &grid), BG_OK);
    const int nx = grid.nx, ny = grid.ny, nz = grid.nz;
    const size_t n2 = (size_t)nx * ny;
    for (int rec = 0; rec < 4; rec++) {
        assert_int_equal(met_fields_at(&m, T0 + rec * 10800.0, &f, &e), BG_OK);
        for (size_t q = 0; q < n2 * nz; q++) {
            assert_true(f.p[q] > 1000 && f.p[q] < 1.1e5);
            assert_true(f.t[q] > 170 && f.t[q] < 330);
            assert_true(f.rho[q] > 0.01 && f.rho[q] < 1.5);
            assert_true(f.airm[q] > 0);
        }
        for (size_t c = 0; c < n2; c++) {
            assert_true(f.zf[c] == 0.0);
            assert_true(f.kz[c] == 0.0 && f.kz[(size_t)nz * n2 + c] == 0.0);
            for (int k = 0; k < nz; k++) assert_true(f.zf[(k + 1) * n2 + c] > f.zf[k * n2 + c]);
            for (int k = 1; k < nz; k++) assert_true(f.kz[k * n2 + c] >= KZ_MIN);
            assert_true(f.p[c] > 45000 && f.p[c] < 65000); /* Tibetan plateau, ~5 km */
            assert_true(f.rain[c] >= 0);
        }
    }

    /* one cell against an independent calculation from the raw variables */
    const int rec = 1, k = 5, j = 3, i = 4;
    assert_int_equal(met_fields_at(&m, T0 + rec * 10800.0, &f, &e), BG_OK);
    size_t q = grid_idx3(&grid, k, j, i);
    double p = raw("P", rec, k, j, i) + raw("PB", rec, k, j, i);
    double th = raw("T", rec, k, j, i) + 300.0;
    double t = th * pow(p / 1e5, RD / CP);
    double qv = raw("QVAPOR", rec, k, j, i);
    double rho = p / (RD * t * (1 + qv * RV / RD));
    double hgt = raw("HGT", 0, -1, j, i);
    double zlo = (raw("PH", rec, k, j, i) + raw("PHB", rec, k, j, i)) / GRAV - hgt;
    double zhi = (raw("PH", rec, k + 1, j, i) + raw("PHB", rec, k + 1, j, i)) / GRAV - hgt;
    assert_close(f.p[q], p, 0);
    assert_close(f.theta[q], th, 0);
    assert_close(f.t[q], t, 1e-12 * t);
    assert_close(f.rho[q], rho, 1e-12 * rho);
    assert_close(f.zf[q], zlo, 1e-9);
    assert_close(f.zf[q + n2], zhi, 1e-9);
    assert_close(f.airm[q], rho * (zhi - zlo) * grid.area[grid_idx2(&grid, j, i)],
                 1e-11 * f.airm[q]);
    print_message("cell [k=%d,j=%d,i=%d] at 03 UTC: p %.2f Pa, T %.3f K, rho %.5f kg m-3, dz %.2f m\n",
                  k, j, i, p, t, rho, zhi - zlo);
    /* x-face mass flux at an interior face: u * mean(rho dz) * dy / mapfac_u */
    {
        size_t cw = grid_idx3(&grid, k, j, i - 1), ce = q;
        double rdz = 0.5 * (f.rho[cw] * (f.zf[cw + n2] - f.zf[cw]) + f.rho[ce] * (f.zf[ce + n2] - f.zf[ce]));
        size_t fq = ((size_t)k * ny + j) * (nx + 1) + i;
        double u = raw("U", rec, k, j, i);
        assert_close(f.u[fq], u, 0);
        assert_close(f.fx[fq], u * rdz * grid.dy / grid.mapfac_u[(size_t)j * (nx + 1) + i],
                     1e-12 * fabs(f.fx[fq]) + 1e-300);
    }
    /* precipitation rate: accumulated RAINNC + RAINC difference over the 3 h before record 2 */
    {
        int jj = 4, ii = 2;
        double acc1 = raw("RAINNC", 1, -1, jj, ii) + raw("RAINC", 1, -1, jj, ii);
        double acc2 = raw("RAINNC", 2, -1, jj, ii) + raw("RAINC", 2, -1, jj, ii);
        assert_int_equal(met_fields_at(&m, T0 + 2 * 10800.0, &f, &e), BG_OK);
        assert_close(f.rain[grid_idx2(&grid, jj, ii)], fmax(acc2 - acc1, 0) / 3.0, 1e-12);
    }

    /* dry-air column: sum rho_d g dz against WRF's dry column pressure MU + MUB */
    {
        double worst = 0;
        for (int jj = 0; jj < ny; jj++)
            for (int ii = 0; ii < nx; ii++) {
                double col = 0;
                size_t c = grid_idx2(&grid, jj, ii);
                for (int kk = 0; kk < nz; kk++)
                    col += f.rho[kk * n2 + c] * (f.zf[(kk + 1) * n2 + c] - f.zf[kk * n2 + c]);
                double mu = raw("MU", 2, -1, jj, ii) + raw("MUB", 2, -1, jj, ii);
                worst = fmax(worst, fabs(col * GRAV - mu) / mu);
            }
        print_message("dry column sum(rho dz) g vs MU+MUB: max relative difference %.2e\n", worst);
        assert_true(worst < 0.01);
    }
    met_fields_free(&f);
    met_close(&m);
}

static void test_record_times_exact_and_linear_between(void **state)
{
    (void)state;
    Met m;
    BgErr e;
    char *files[] = {SAMPLE};
    assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_OK);
    MetFields a, b, mid, r1_fwd, r1_back;
    assert_int_equal(met_fields_alloc(&a, &grid), BG_OK);
    assert_int_equal(met_fields_alloc(&b, &grid), BG_OK);
    assert_int_equal(met_fields_alloc(&mid, &grid), BG_OK);
    assert_int_equal(met_fields_alloc(&r1_fwd, &grid), BG_OK);
    assert_int_equal(met_fields_alloc(&r1_back, &grid), BG_OK);

    /* record 1 reached from the bracket [0,1] and from [1,2]: the same bits, and p is exactly
     * P + PB of the file */
    assert_int_equal(met_fields_at(&m, T0 + 1800, &mid, &e), BG_OK);
    assert_int_equal(met_fields_at(&m, T0 + 10800, &r1_fwd, &e), BG_OK);
    assert_int_equal(met_fields_at(&m, T0 + 20000, &mid, &e), BG_OK);
    assert_int_equal(met_fields_at(&m, T0 + 10800, &r1_back, &e), BG_OK);
    assert_fields_identical(&r1_fwd, &r1_back);
    assert_true(r1_fwd.time == T0 + 10800);
    assert_close(r1_fwd.p[grid_idx3(&grid, 7, 2, 6)], raw("P", 1, 7, 2, 6) + raw("PB", 1, 7, 2, 6), 0);

    /* mid-interval = the average of the two records, every field, to 1e-12 relative */
    assert_int_equal(met_fields_at(&m, T0 + 2 * 10800, &a, &e), BG_OK);
    assert_int_equal(met_fields_at(&m, T0 + 3 * 10800, &b, &e), BG_OK);
    assert_int_equal(met_fields_at(&m, T0 + 2.5 * 10800, &mid, &e), BG_OK);
    Field fa[32], fb[32], fm[32];
    int nf = fields(&a, fa);
    fields(&b, fb);
    fields(&mid, fm);
    double worst = 0;
    for (int q = 0; q < nf; q++)
        for (size_t s = 0; s < fa[q].n; s++) {
            double want = 0.5 * (fa[q].p[s] + fb[q].p[s]);
            double scale = fmax(fabs(fa[q].p[s]), fabs(fb[q].p[s]));
            double d = fabs(fm[q].p[s] - want);
            if (!(d <= 1e-12 * scale)) {
                print_error("%s[%zu]: %.17g vs mean %.17g\n", fm[q].name, s, fm[q].p[s], want);
                fail();
            }
            if (scale > 0) worst = fmax(worst, d / scale);
        }
    print_message("mid-interval vs mean of the records: max relative difference %.2e\n", worst);

    /* any time between: exactly (1-w) a + w b, every field (the streaming-store kernel, with its
     * unaligned ends, and the clear of fields that are 0 in both records, as the plain formula) */
    const double t0 = T0 + 2 * 10800, tw = t0 + 0.3 * 10800, w = (tw - t0) / 10800.0;
    assert_int_equal(met_fields_at(&m, tw, &mid, &e), BG_OK);
    long nval = 0, nzero = 0;
    for (int q = 0; q < nf; q++) {
        int allzero = 1;
        for (size_t s = 0; s < fa[q].n; s++) {
            double want = (1.0 - w) * fa[q].p[s] + w * fb[q].p[s];
            if (memcmp(&want, &fm[q].p[s], sizeof want)) {
                print_error("%s[%zu]: %.17g vs (1-w) a + w b %.17g\n", fm[q].name, s, fm[q].p[s], want);
                fail();
            }
            allzero &= fa[q].p[s] == 0 && fb[q].p[s] == 0;
            nval++;
        }
        nzero += allzero;
    }
    print_message("w = 0.3: %ld values equal (1-w) a + w b bit for bit (%ld fields 0 in both records)\n", nval, nzero);

    /* outside the records */
    assert_int_equal(met_fields_at(&m, T9 + 1, &mid, &e), BG_EINPUT);
    assert_non_null(strstr(e.msg, "time not covered"));

    met_fields_free(&a);
    met_fields_free(&b);
    met_fields_free(&mid);
    met_fields_free(&r1_fwd);
    met_fields_free(&r1_back);
    met_close(&m);
}

static void test_thread_count_independent(void **state)
{
    (void)state;
    char *files[] = {SAMPLE};
    MetFields f[2];
    int saved = omp_get_max_threads();
    for (int n = 0; n < 2; n++) {
        Met m;
        BgErr e;
        omp_set_num_threads(n + 1);
        assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_OK);
        m.omp_min_cells = 0; /* the sample is small: force the parallel regions */
        assert_int_equal(met_fields_alloc(&f[n], &grid), BG_OK);
        assert_int_equal(met_fields_at(&m, T0 + 4 * 3600 + 17, &f[n], &e), BG_OK);
        met_close(&m);
    }
    omp_set_num_threads(saved);
    assert_fields_identical(&f[0], &f[1]);
    met_fields_free(&f[0]);
    met_fields_free(&f[1]);
}

/* Mass consistency for the lead: column-integrated horizontal convergence of fx, fy (trapezoid
 * over the interval) against the column airm tendency.  WRF's eta-coordinate top and ground are
 * material surfaces, so for WRF's own time-averaged fluxes the two would match; instantaneous
 * 3-hourly winds do not, and the transport must diagnose the vertical flux from both. */
static void test_mass_consistency_report(void **state)
{
    (void)state;
    Met m;
    BgErr e;
    char *files[] = {SAMPLE};
    assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_OK);
    const int nx = grid.nx, ny = grid.ny, nz = grid.nz;
    const size_t n2 = (size_t)nx * ny;
    MetFields f[4];
    for (int r = 0; r < 4; r++) {
        assert_int_equal(met_fields_alloc(&f[r], &grid), BG_OK);
        assert_int_equal(met_fields_at(&m, T0 + r * 10800.0, &f[r], &e), BG_OK);
    }
    double *conv = calloc(4 * n2, sizeof *conv), *mass = calloc(4 * n2, sizeof *mass);
    for (int r = 0; r < 4; r++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                double c = 0, mm = 0;
                for (int k = 0; k < nz; k++) {
                    const double *fx = f[r].fx + (size_t)k * ny * (nx + 1);
                    const double *fy = f[r].fy + (size_t)k * (ny + 1) * nx;
                    c += fx[(size_t)j * (nx + 1) + i] - fx[(size_t)j * (nx + 1) + i + 1] +
                         fy[(size_t)j * nx + i] - fy[(size_t)(j + 1) * nx + i];
                    mm += f[r].airm[grid_idx3(&grid, k, j, i)];
                }
                conv[r * n2 + grid_idx2(&grid, j, i)] = c;
                mass[r * n2 + grid_idx2(&grid, j, i)] = mm;
            }
    for (int r = 0; r < 3; r++) {
        double s_mis = 0, s_conv = 0, s_tend = 0, tot_conv = 0, tot_tend = 0, cmax = 0;
        for (size_t c = 0; c < n2; c++) {
            double tend = (mass[(r + 1) * n2 + c] - mass[r * n2 + c]) / 10800.0;
            double cv = 0.5 * (conv[r * n2 + c] + conv[(r + 1) * n2 + c]);
            s_mis += (cv - tend) * (cv - tend);
            s_conv += cv * cv;
            s_tend += tend * tend;
            tot_conv += cv;
            tot_tend += tend;
            cmax = fmax(cmax, fabs(cv) / mass[r * n2 + c] * 10800.0);
        }
        double rel = sqrt(s_mis / s_conv);
        assert_true(isfinite(rel));
        print_message("mass consistency %02d-%02d UTC: rms(column convergence) %.3e kg s-1, "
                      "rms(column airm tendency) %.3e kg s-1, rms mismatch / rms convergence %.3f; "
                      "max |convergence| x 3 h / column mass %.3e; domain totals %.3e vs %.3e kg s-1\n",
                      3 * r, 3 * r + 3, sqrt(s_conv / n2), sqrt(s_tend / n2), rel, cmax, tot_conv,
                      tot_tend);
    }
    free(conv);
    free(mass);
    for (int r = 0; r < 4; r++) met_fields_free(&f[r]);
    met_close(&m);
}

static void test_missing_variables_one_message(void **state)
{
    (void)state;
    Grid g;
    BgErr e = {0};
    assert_int_equal(grid_from_wrf(&g, SAMPLE_SPARSE, &e), BG_OK);
    Met m;
    char *files[] = {SAMPLE_SPARSE};
    double t0, t1;
    time_parse("2008-10-26_12:00:00", &t0);
    time_parse("2008-10-26_15:00:00", &t1);
    assert_int_equal(met_open(&m, &g, files, 1, t0, t1, KZ_MIN, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    const char *names[] = {SAMPLE_SPARSE, "U,V", "PBLH", "UST", "HFX", "SWDOWN", "RAINNC", "HGT",
                           "missing"};
    for (size_t a = 0; a < sizeof names / sizeof *names; a++)
        assert_non_null(strstr(e.msg, names[a]));
    grid_free(&g);
}

static void test_nan_refused_with_count(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "nan_u.nc");
    copy_bytes(SAMPLE, path, -1);
    int ncid, varid;
    NC(nc_open(path, NC_WRITE, &ncid));
    NC(nc_inq_varid(ncid, "U", &varid));
    float nan = NAN, inf = INFINITY;
    size_t i1[4] = {0, 2, 1, 4}, i2[4] = {0, 20, 7, 10}, i3[4] = {3, 0, 0, 0};
    NC(nc_put_var1_float(ncid, varid, i2, &inf));
    NC(nc_put_var1_float(ncid, varid, i3, &nan));
    NC(nc_put_var1_float(ncid, varid, i1, &nan));
    NC(nc_close(ncid));
    Met m;
    BgErr e;
    char *files[] = {path};
    assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, ":U: 3 NaN/Inf values, first at [t=0,k=2,j=1,i=4]"));
    /* only the records a run reads are validated: 04-05 UTC reads records 1 and 2 (03, 06 UTC) */
    assert_int_equal(open_met(&m, files, 1, T0 + 4 * 3600, T0 + 5 * 3600, &e), BG_OK);
    met_close(&m);
    /* 07-09 UTC reads records 2 and 3: the NaN of record 3 only */
    assert_int_equal(open_met(&m, files, 1, T0 + 7 * 3600, T9, &e), BG_EINPUT);
    print_message("07-09 UTC refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, ":U: 1 NaN/Inf values, first at [t=3,k=0,j=0,i=0]"));
}

static void test_duplicate_times_refused(void **state)
{
    (void)state;
    Met m;
    BgErr e;
    char *files[] = {SAMPLE, SAMPLE};
    assert_int_equal(open_met(&m, files, 2, T0, T9, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "Times"));
    assert_non_null(strstr(e.msg, "2005-09-21T00:00:00Z appears twice"));
}

static void test_truncated_file_refused(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "truncated.nc");
    struct stat st;
    assert_int_equal(stat(SAMPLE, &st), 0);
    copy_bytes(SAMPLE, path, (long)st.st_size / 2);
    Met m;
    BgErr e;
    char *files[] = {path};
    assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, path));
    Grid g;
    memset(&e, 0, sizeof e);
    assert_int_equal(grid_from_wrf(&g, path, &e), BG_EINPUT);
    assert_non_null(strstr(e.msg, path));
}

static void test_run_beyond_records_refused(void **state)
{
    (void)state;
    Met m;
    BgErr e;
    char *files[] = {SAMPLE};
    assert_int_equal(open_met(&m, files, 1, T0, T9 + 3600, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "time"));
    assert_non_null(strstr(e.msg, "not covered"));
    assert_int_equal(open_met(&m, files, 1, T0 - 60, T9, &e), BG_EINPUT);
}

static void test_celsius_t2_refused(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "t2_celsius.nc");
    copy_bytes(SAMPLE, path, -1);
    int ncid, varid;
    NC(nc_open(path, NC_WRITE, &ncid));
    NC(nc_inq_varid(ncid, "T2", &varid));
    size_t n = 4 * (size_t)grid.ny * grid.nx;
    float *v = malloc(n * sizeof *v);
    NC(nc_get_var_float(ncid, varid, v));
    for (size_t q = 0; q < n; q++) v[q] -= 273.15f;
    NC(nc_put_var_float(ncid, varid, v));
    NC(nc_close(ncid));
    free(v);
    Met m;
    BgErr e;
    char *files[] = {path};
    assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, ":T2: "));
    assert_non_null(strstr(e.msg, "Celsius"));
}

/* Writes the records listed in recs of the sample's variables that Bogda reads to a new file. */
static void write_records(const char *path, const int *recs, int nrec)
{
    static const char *vars[] = {"Times", "XLAT",   "XLONG", "U",      "V",      "W",
                                 "PH",    "PHB",    "P",     "PB",     "T",      "QVAPOR",
                                 "QCLOUD", "QRAIN", "QSNOW", "HGT",    "PBLH",   "UST",
                                 "HFX",   "SWDOWN", "T2",    "RAINNC", "RAINC",  "SNOWC",
                                 "PSFC",  "MAPFAC_M", "MAPFAC_U", "MAPFAC_V"};
    int in, out;
    NC(nc_open(SAMPLE, NC_NOWRITE, &in));
    NC(nc_create(path, NC_CLOBBER | NC_NETCDF4, &out));
    int natts;
    NC(nc_inq_natts(in, &natts));
    for (int a = 0; a < natts; a++) {
        char name[NC_MAX_NAME + 1];
        NC(nc_inq_attname(in, NC_GLOBAL, a, name));
        NC(nc_copy_att(in, NC_GLOBAL, name, out, NC_GLOBAL));
    }
    int nv = (int)(sizeof vars / sizeof *vars), vin[32], vout[32];
    for (int v = 0; v < nv; v++) {
        int ndims, dimin[NC_MAX_VAR_DIMS], dimout[NC_MAX_VAR_DIMS];
        nc_type type;
        NC(nc_inq_varid(in, vars[v], &vin[v]));
        NC(nc_inq_var(in, vin[v], NULL, &type, &ndims, dimin, NULL));
        for (int d = 0; d < ndims; d++) {
            char dname[NC_MAX_NAME + 1];
            size_t len;
            NC(nc_inq_dim(in, dimin[d], dname, &len));
            if (nc_inq_dimid(out, dname, &dimout[d]) != NC_NOERR)
                NC(nc_def_dim(out, dname, strcmp(dname, "Time") ? len : NC_UNLIMITED, &dimout[d]));
        }
        NC(nc_def_var(out, vars[v], type, ndims, dimout, &vout[v]));
    }
    NC(nc_enddef(out));
    char *buf = malloc(1 << 20);
    for (int v = 0; v < nv; v++) {
        int ndims, dimin[NC_MAX_VAR_DIMS];
        char dname[NC_MAX_NAME + 1];
        NC(nc_inq_var(in, vin[v], NULL, NULL, &ndims, dimin, NULL));
        size_t start[4] = {0}, count[4], ostart[4] = {0};
        for (int d = 0; d < ndims; d++) NC(nc_inq_dimlen(in, dimin[d], &count[d]));
        NC(nc_inq_dimname(in, dimin[0], dname));
        int timed = !strcmp(dname, "Time");
        for (int r = 0; r < (timed ? nrec : 1); r++) {
            if (timed) {
                start[0] = (size_t)recs[r];
                ostart[0] = (size_t)r;
                count[0] = 1;
            }
            NC(nc_get_vara(in, vin[v], start, count, buf));
            NC(nc_put_vara(out, vout[v], ostart, count, buf));
        }
    }
    free(buf);
    NC(nc_close(out));
    NC(nc_close(in));
}

static void test_split_files_read_as_one_series(void **state)
{
    (void)state;
    char pa[128], pb[128], pc[128];
    tmp_path(pa, sizeof pa, "wrfout_a.nc");
    tmp_path(pb, sizeof pb, "wrfout_b.nc");
    tmp_path(pc, sizeof pc, "wrfout_c.nc");
    int ra[] = {0, 1}, rb[] = {2, 3}, rc3[] = {3};
    write_records(pa, ra, 2);
    write_records(pb, rb, 2);
    write_records(pc, rc3, 1);

    Met one, two;
    BgErr e;
    char *single[] = {SAMPLE}, *split[] = {pb, pa}; /* given out of order on purpose */
    assert_int_equal(open_met(&one, single, 1, T0, T9, &e), BG_OK);
    int rc = open_met(&two, split, 2, T0, T9, &e);
    if (rc) print_error("%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(two.nrec, 4);
    MetFields f1, f2;
    assert_int_equal(met_fields_alloc(&f1, &grid), BG_OK);
    assert_int_equal(met_fields_alloc(&f2, &grid), BG_OK);
    const double hours[] = {0, 1.5, 3, 4.5, 6, 7.25, 9};
    for (size_t a = 0; a < sizeof hours / sizeof *hours; a++) {
        double t = T0 + hours[a] * 3600;
        assert_int_equal(met_fields_at(&one, t, &f1, &e), BG_OK);
        assert_int_equal(met_fields_at(&two, t, &f2, &e), BG_OK);
        assert_fields_identical(&f1, &f2);
    }
    met_fields_free(&f1);
    met_fields_free(&f2);
    met_close(&one);
    met_close(&two);

    /* records 0, 1 and 3: a gap of 6 h where 3 h is the interval */
    char *gap[] = {pa, pc};
    assert_int_equal(open_met(&two, gap, 2, T0, T9, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "not regularly spaced"));
    assert_non_null(strstr(e.msg, pa));
    assert_non_null(strstr(e.msg, pc));
}

/* EXCH_H (YSU's layout: level k is the interface below mass level k) replaces the diagnosis. */
static void test_exch_h_used_when_present(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "exch_h.nc");
    copy_bytes(SAMPLE, path, -1);
    int ncid, vt, vx, dimids[4];
    NC(nc_open(path, NC_WRITE, &ncid));
    NC(nc_inq_varid(ncid, "T", &vt));
    NC(nc_inq_vardimid(ncid, vt, dimids));
    NC(nc_redef(ncid));
    NC(nc_def_var(ncid, "EXCH_H", NC_FLOAT, 4, dimids, &vx));
    NC(nc_enddef(ncid));
    const int nx = grid.nx, ny = grid.ny, nz = grid.nz;
    size_t n = 4 * (size_t)nz * ny * nx;
    float *v = malloc(n * sizeof *v);
    for (size_t q = 0; q < n; q++) v[q] = (float)(q % 7) * 0.5f; /* includes 0 (below kz_min) */
    NC(nc_put_var_float(ncid, vx, v));
    NC(nc_close(ncid));

    Met m;
    BgErr e;
    char *files[] = {path};
    assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_OK);
    assert_true(m.has_exch_h);
    MetFields f;
    assert_int_equal(met_fields_alloc(&f, &grid), BG_OK);
    assert_int_equal(met_fields_at(&m, T0 + 2 * 10800, &f, &e), BG_OK);
    size_t n2 = (size_t)nx * ny, rec = 2 * (size_t)nz * n2;
    for (size_t c = 0; c < n2; c++) {
        assert_true(f.kz[c] == 0 && f.kz[(size_t)nz * n2 + c] == 0);
        for (int k = 1; k < nz; k++)
            assert_close(f.kz[k * n2 + c], fmax(v[rec + k * n2 + c], KZ_MIN), 0);
    }
    free(v);
    met_fields_free(&f);
    met_close(&m);
}

/* A field that is 0 in both bracketing records (no rain: QRAIN written as 0) is interpolated by
 * a clear: +0 bit for bit, like (1-w) 0 + w 0; the others still follow (1-w) a + w b exactly. */
static void test_zero_field_interpolation(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "norain.nc");
    copy_bytes(SAMPLE, path, -1);
    int ncid, vq;
    NC(nc_open(path, NC_WRITE, &ncid));
    NC(nc_inq_varid(ncid, "QRAIN", &vq));
    const size_t n = 4 * (size_t)grid.nz * grid.ny * grid.nx;
    float *z = calloc(n, sizeof *z);
    NC(nc_put_var_float(ncid, vq, z));
    NC(nc_close(ncid));
    free(z);
    Met m;
    BgErr e;
    char *files[] = {path};
    assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_OK);
    MetFields a, b, f;
    assert_int_equal(met_fields_alloc(&a, &grid), BG_OK);
    assert_int_equal(met_fields_alloc(&b, &grid), BG_OK);
    assert_int_equal(met_fields_alloc(&f, &grid), BG_OK);
    assert_int_equal(met_fields_at(&m, T0 + 10800, &a, &e), BG_OK);
    assert_int_equal(met_fields_at(&m, T0 + 2 * 10800, &b, &e), BG_OK);
    for (size_t q = 0; q < (size_t)grid.nz * grid.ny * grid.nx; q++) f.qr[q] = 1.0; /* must be cleared */
    const double tw = T0 + 1.7 * 10800, w = (tw - (T0 + 10800)) / 10800.0;
    assert_int_equal(met_fields_at(&m, tw, &f, &e), BG_OK);
    assert_true((m.zero[0] & MET_QR) && (m.zero[1] & MET_QR));
    Field fa[32], fb[32], fm[32];
    int nf = fields(&a, fa);
    fields(&b, fb);
    fields(&f, fm);
    long nval = 0;
    for (int q = 0; q < nf; q++)
        for (size_t s = 0; s < fa[q].n; s++, nval++) {
            double want = (1.0 - w) * fa[q].p[s] + w * fb[q].p[s];
            if (memcmp(&want, &fm[q].p[s], sizeof want)) {
                print_error("%s[%zu]: %.17g vs %.17g\n", fm[q].name, s, fm[q].p[s], want);
                fail();
            }
        }
    print_message("QRAIN 0 in both records: zero-field bits %#x, %ld values equal (1-w) a + w b\n",
                  m.zero[0] & m.zero[1], nval);
    met_fields_free(&a);
    met_fields_free(&b);
    met_fields_free(&f);
    met_close(&m);
}

/* met_fields_at_rows, what a rank of a distributed run asks for: on the selected rows and columns
 * every field equals the whole grid's interpolation bit for bit (between records, at a record time
 * and for a field that is 0 in both records); a face field also gets the face after each selected
 * cell in its direction; every other value is left as it was.  Threads forced on (the rows are
 * split between them). */
static void check_rows(const MetFields *whole, const MetFields *part, const int *runs, int nruns, const int *cells,
                       int ncells, long *nsel, long *nkept)
{
    Field fw[32], fp[32];
    int nf = fields(whole, fw);
    fields(part, fp);
    const size_t nx = (size_t)grid.nx, ny = (size_t)grid.ny;
    for (int q = 0; q < nf; q++) {
        const int face = !strcmp(fw[q].name, "fy") || !strcmp(fw[q].name, "v");
        const size_t rowlen = !strcmp(fw[q].name, "fx") || !strcmp(fw[q].name, "u") ? nx + 1 : nx;
        const size_t nrow = face ? ny + 1 : ny;
        for (size_t s = 0; s < fw[q].n; s++) {
            const int r = (int)((s / rowlen) % nrow), col = (int)(s % rowlen);
            int sel = 0;
            for (int i = 0; i < nruns; i++) sel |= r >= runs[2 * i] && r < runs[2 * i + 1] + face;
            for (int c = 0; c < ncells; c++) {
                const int cj = cells[c] / (int)nx, ci = cells[c] % (int)nx;
                sel |= (r == cj || (face && r == cj + 1)) && (col == ci || (rowlen > nx && col == ci + 1));
            }
            const double sentinel = -12345.5;
            const double *want = sel ? &fw[q].p[s] : &sentinel;
            if (memcmp(want, &fp[q].p[s], sizeof *want)) {
                print_error("%s[%zu] (row %d, %s): %.17g, expected %.17g\n", fw[q].name, s, r,
                            sel ? "selected" : "not selected", fp[q].p[s], *want);
                fail();
            }
            *nsel += sel;
            *nkept += !sel;
        }
    }
}

static void fill_sentinel(MetFields *f)
{
    Field fp[32];
    int nf = fields(f, fp);
    for (int q = 0; q < nf; q++)
        for (size_t s = 0; s < fp[q].n; s++) fp[q].p[s] = -12345.5;
}

static void test_rows_only(void **state)
{
    (void)state;
    char *files[] = {SAMPLE};
    Met m;
    BgErr e;
    assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_OK);
    m.omp_min_cells = 0;
    int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    MetFields whole, part;
    assert_int_equal(met_fields_alloc(&whole, &grid), BG_OK);
    assert_int_equal(met_fields_alloc(&part, &grid), BG_OK);
    /* a block's rows, a point source's row apart, and the last row (its face row is ny) */
    const int ny = grid.ny;
    const int runs[] = {1, 3, 5, 6, ny - 1, ny};
    const int nruns = 3;
    /* point sources' columns: one inside a run (no effect), one at the grid's last column, one
     * below the last run (its y face is the run's first face row) */
    const int cells[] = {2 * grid.nx + 4, 4 * grid.nx + grid.nx - 1, (ny - 2) * grid.nx + 0};
    const int ncells = 3;
    const double times[] = {T0 + 0.3 * 10800, T0 + 10800, T0 + 2 * 10800 + 17};
    long nsel = 0, nkept = 0;
    for (int it = 0; it < 3; it++) {
        assert_int_equal(met_fields_at_rows(&m, times[it], &whole, MET_ALL, NULL, -1, NULL, 0, &e), BG_OK);
        fill_sentinel(&part);
        assert_int_equal(met_fields_at_rows(&m, times[it], &part, MET_ALL, runs, nruns, cells, ncells, &e), BG_OK);
        check_rows(&whole, &part, runs, nruns, cells, ncells, &nsel, &nkept);
    }
    /* a field 0 in both records is cleared on the rows only */
    for (size_t s = 0; s < (size_t)grid.nz * grid.ny * grid.nx; s++) m.rec[0].qr[s] = m.rec[1].qr[s] = 0.0;
    m.zero[0] |= MET_QR;
    m.zero[1] |= MET_QR;
    assert_int_equal(met_fields_at_rows(&m, T0 + 2.5 * 10800, &whole, MET_ALL, NULL, -1, NULL, 0, &e), BG_OK);
    fill_sentinel(&part);
    assert_int_equal(met_fields_at_rows(&m, T0 + 2.5 * 10800, &part, MET_ALL, runs, nruns, cells, ncells, &e), BG_OK);
    check_rows(&whole, &part, runs, nruns, cells, ncells, &nsel, &nkept);
    print_message("rows {1,2}, {5}, {%d} of %d and 3 columns: %ld selected values equal the whole grid's bit "
                  "for bit, %ld others untouched (4 times: between records, at a record, zero field)\n",
                  ny - 1, ny, nsel, nkept);
    omp_set_num_threads(saved);
    met_fields_free(&whole);
    met_fields_free(&part);
    met_close(&m);
}

/* Several problems in one file come in one message: pressure in hPa and T2 in Celsius. */
static void test_units_problems_in_one_message(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "units.nc");
    copy_bytes(SAMPLE, path, -1);
    int ncid, varid;
    NC(nc_open(path, NC_WRITE, &ncid));
    const char *names[] = {"P", "PB", "T2"};
    size_t n = 4 * (size_t)grid.nz * grid.ny * grid.nx;
    float *v = malloc(n * sizeof *v);
    for (int a = 0; a < 3; a++) {
        NC(nc_inq_varid(ncid, names[a], &varid));
        NC(nc_get_var_float(ncid, varid, v));
        size_t m = a < 2 ? n : 4 * (size_t)grid.ny * grid.nx;
        for (size_t q = 0; q < m; q++) v[q] = a < 2 ? v[q] / 100.0f : v[q] - 273.15f;
        NC(nc_put_var_float(ncid, varid, v));
    }
    NC(nc_close(ncid));
    free(v);
    Met m;
    BgErr e;
    char *files[] = {path};
    assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "T2,P,PB:"));
    assert_non_null(strstr(e.msg, "Celsius"));
    assert_non_null(strstr(e.msg, "hPa"));
}

/* A variable whose dimensions do not fit the grid is named with what was found and expected. */
static void test_inconsistent_dimensions_refused(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "bad_dims.nc");
    copy_bytes(SAMPLE, path, -1);
    int ncid, vt, vx, dimids[4], dsoil;
    NC(nc_open(path, NC_WRITE, &ncid));
    NC(nc_inq_varid(ncid, "T", &vt));
    NC(nc_inq_vardimid(ncid, vt, dimids));
    NC(nc_inq_dimid(ncid, "soil_layers_stag", &dsoil));
    dimids[1] = dsoil;
    NC(nc_redef(ncid));
    NC(nc_def_var(ncid, "EXCH_H", NC_FLOAT, 4, dimids, &vx));
    NC(nc_close(ncid));
    Met m;
    BgErr e;
    char *files[] = {path};
    assert_int_equal(open_met(&m, files, 1, T0, T9, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, ":EXCH_H: "));
    assert_non_null(strstr(e.msg, "soil_layers_stag=4"));
}

/* A file of another domain against this grid: the projection attributes are named. */
static void test_other_domain_refused(void **state)
{
    (void)state;
    Grid g;
    BgErr e = {0};
    assert_int_equal(grid_from_wrf(&g, SAMPLE_SPARSE, &e), BG_OK);
    Met m;
    char *files[] = {SAMPLE};
    assert_int_equal(met_open(&m, &g, files, 1, T0, T9, KZ_MIN, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "TRUELAT1"));
    assert_non_null(strstr(e.msg, "STAND_LON"));
    char from[1100];
    snprintf(from, sizeof from, "(read from %s)", SAMPLE_SPARSE); /* names the grid's file */
    assert_non_null(strstr(e.msg, from));
    grid_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_sample_and_derived_fields),
        cmocka_unit_test(test_record_times_exact_and_linear_between),
        cmocka_unit_test(test_thread_count_independent),
        cmocka_unit_test(test_mass_consistency_report),
        cmocka_unit_test(test_missing_variables_one_message),
        cmocka_unit_test(test_nan_refused_with_count),
        cmocka_unit_test(test_duplicate_times_refused),
        cmocka_unit_test(test_truncated_file_refused),
        cmocka_unit_test(test_run_beyond_records_refused),
        cmocka_unit_test(test_celsius_t2_refused),
        cmocka_unit_test(test_split_files_read_as_one_series),
        cmocka_unit_test(test_exch_h_used_when_present),
        cmocka_unit_test(test_zero_field_interpolation),
        cmocka_unit_test(test_rows_only),
        cmocka_unit_test(test_units_problems_in_one_message),
        cmocka_unit_test(test_inconsistent_dimensions_refused),
        cmocka_unit_test(test_other_domain_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
