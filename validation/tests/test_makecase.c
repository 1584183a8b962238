/* Tests of the embedded northern-Tianshan case (input/makecase.c): one 12-km case of 4 days with
 * 3-hourly records is written once and checked against the real data it is built from (the
 * ETOPO5 relief, read here independently), the documented inventory totals (the table of
 * input/README.md), the physics the brief asks of the episode, and the readers of the model
 * (grid_from_wrf, met_open, inventory_load, points_load, profiles_load). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <glob.h>
#include <ini.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "grid.h"
#include "inventory.h"
#include "makecase.h"
#include "met.h"
#include "points.h"
#include "profiles.h"
#include "testutil.h"
#include "timeutil.h"

#define G 9.81
#define RD 287.04
#define CP 1004.5
#define EPS (287.04 / 461.6)
#define DAYS 4
#define STEP_H 3
#define NREC (DAYS * 24 / STEP_H + 1)
#define ETOPO "input/data/etopo5_tianshan_76-94E_40-49N.nc"

/* The towns the domain must cover (input/data/README.md and GeoNames coordinates). */
static const struct {
    const char *name;
    double lon, lat;
} TOWNS[] = {{"Urumqi", 87.60046, 43.80096}, {"Changji", 87.30461, 44.00782},
             {"Wujiaqu", 87.55, 44.18},       {"Fukang", 87.99, 44.16},
             {"Shihezi", 86.03694, 44.3023},  {"Manas", 86.22, 44.30},
             {"Kuitun", 84.90, 44.43},        {"Dushanzi", 84.85, 44.33},
             {"Wusu", 84.68, 44.43},          {"Karamay", 84.88724, 45.58473}};
#define NTOWN ((int)(sizeof TOWNS / sizeof *TOWNS))

/* Per-record diagnostics over the basin, filled once by the setup. */
typedef struct Diag {
    double tau_h;          /* hours since the start */
    double grad_min, grad_max; /* night inversion, K per 100 m, over basin columns */
    double rh_min, rh_max; /* lowest-layer RH over basin columns */
    double qc_min_fogcells, qc_max_all; /* lowest-layer QCLOUD: min over the fog test cells,
                                           max over all cells */
    double wind, pblh;     /* basin means: lowest-layer speed (m/s), PBLH (m) */
    double t_sfc, t_1500;  /* basin means: lowest-layer T, T at ~1500 m above ground (K) */
    double drain;          /* mean downslope wind on the northern slopes, lowest layer, m/s */
    int snow_ok;           /* SNOWC = 1 on every non-urban basin cell */
} Diag;

typedef struct Case {
    char dir[256], met[1100];
    char **files;
    int nfiles;
    Grid grid;
    int have_grid;
    MakeCaseSpec spec;
    Diag d[NREC];
    double write_s;
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

static double *get_var(int nc, const char *name, size_t *n)
{
    int id, nd, dims[NC_MAX_VAR_DIMS];
    if (nc_inq_varid(nc, name, &id) != NC_NOERR) return NULL;
    nc_inq_varndims(nc, id, &nd);
    nc_inq_vardimid(nc, id, dims);
    size_t len = 1;
    for (int k = 0; k < nd; k++) {
        size_t l;
        nc_inq_dimlen(nc, dims[k], &l);
        len *= l;
    }
    double *v = malloc(len * sizeof *v);
    if (v && nc_get_var_double(nc, id, v) != NC_NOERR) {
        free(v);
        return NULL;
    }
    if (n) *n = len;
    return v;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Independent bilinear interpolation of ETOPO5 (ROSE on ETOPO05_X/Y, both ascending). */
typedef struct Etopo {
    double *x, *y, *z;
    size_t nx, ny;
} Etopo;

static void etopo_load(Etopo *t)
{
    int nc;
    assert_int_equal(nc_open(ETOPO, NC_NOWRITE, &nc), NC_NOERR);
    t->x = get_var(nc, "ETOPO05_X", &t->nx);
    t->y = get_var(nc, "ETOPO05_Y", &t->ny);
    t->z = get_var(nc, "ROSE", NULL);
    assert_non_null(t->x);
    assert_non_null(t->z);
    nc_close(nc);
}

static double etopo_at(const Etopo *t, double lon, double lat)
{
    size_t i = 0, j = 0;
    while (i + 2 < t->nx && t->x[i + 1] < lon) i++;
    while (j + 2 < t->ny && t->y[j + 1] < lat) j++;
    double wx = (lon - t->x[i]) / (t->x[i + 1] - t->x[i]);
    double wy = (lat - t->y[j]) / (t->y[j + 1] - t->y[j]);
    const double *z = t->z;
    return (1 - wy) * ((1 - wx) * z[j * t->nx + i] + wx * z[j * t->nx + i + 1]) +
           wy * ((1 - wx) * z[(j + 1) * t->nx + i] + wx * z[(j + 1) * t->nx + i + 1]);
}

static void etopo_free(Etopo *t)
{
    free(t->x);
    free(t->y);
    free(t->z);
}

/* Nearest mass point of a lon/lat. */
static size_t nearest(const Grid *g, double lon, double lat)
{
    double fi, fj;
    assert_int_equal(grid_locate(g, lon, lat, &fi, &fj), BG_OK);
    long i = lround(fi), j = lround(fj);
    assert_true(i >= 0 && i < g->nx && j >= 0 && j < g->ny);
    return (size_t)j * g->nx + (size_t)i;
}

/* Reads every file once and fills the per-record diagnostics. */
static void diagnose(Case *c)
{
    const Grid *g = &c->grid;
    const size_t nx = g->nx, ny = g->ny, nz = g->nz, n2 = nx * ny;
    /* basin columns: below 900 m, inside 84.5-88.5 E, 44.0-45.8 N; fog test cells at
     * Shihezi, Wujiaqu and Kuitun */
    char *basin = calloc(n2, 1), *slope = calloc(n2, 1);
    size_t fogcells[3] = {nearest(g, 86.037, 44.302), nearest(g, 87.55, 44.18),
                          nearest(g, 84.90, 44.43)};
    double *gx = calloc(n2, sizeof *gx), *gy = calloc(n2, sizeof *gy);
    for (size_t j = 1; j + 1 < ny; j++)
        for (size_t i = 1; i + 1 < nx; i++) {
            size_t q = j * nx + i;
            double lon = g->lon[q], lat = g->lat[q];
            basin[q] = g->hgt[q] < 900.0 && lon > 84.5 && lon < 88.5 && lat > 44.0 && lat < 45.8;
            gx[q] = (g->hgt[q + 1] - g->hgt[q - 1]) / (2.0 * g->dx / g->mapfac_m[q]);
            gy[q] = (g->hgt[q + nx] - g->hgt[q - nx]) / (2.0 * g->dx / g->mapfac_m[q]);
            /* northern slopes of the Tianshan: terrain rising to the south */
            slope[q] = g->hgt[q] > 1300.0 && g->hgt[q] < 3000.0 && gy[q] < -0.01 &&
                       lon > 84.5 && lon < 88.5;
        }
    int rec = 0;
    for (int f = 0; f < c->nfiles; f++) {
        int nc;
        assert_int_equal(nc_open(c->files[f], NC_NOWRITE, &nc), NC_NOERR);
        size_t nt;
        int dim;
        assert_int_equal(nc_inq_dimid(nc, "Time", &dim), NC_NOERR);
        nc_inq_dimlen(nc, dim, &nt);
        double *T = get_var(nc, "T", NULL), *P = get_var(nc, "P", NULL);
        double *PB = get_var(nc, "PB", NULL), *PH = get_var(nc, "PH", NULL);
        double *PHB = get_var(nc, "PHB", NULL), *QV = get_var(nc, "QVAPOR", NULL);
        double *QC = get_var(nc, "QCLOUD", NULL), *U = get_var(nc, "U", NULL);
        double *V = get_var(nc, "V", NULL), *PBLH = get_var(nc, "PBLH", NULL);
        double *SN = get_var(nc, "SNOWC", NULL), *LU = get_var(nc, "LU_INDEX", NULL);
        double *XT = get_var(nc, "XTIME", NULL);
        assert_non_null(T);
        assert_non_null(SN);
        for (size_t t = 0; t < nt; t++, rec++) {
            assert_true(rec < NREC);
            Diag *d = &c->d[rec];
            d->tau_h = XT[t] / 60.0;
            d->grad_min = d->rh_min = d->qc_min_fogcells = HUGE_VAL;
            d->grad_max = d->rh_max = d->qc_max_all = -HUGE_VAL;
            d->snow_ok = 1;
            double sw = 0, sp = 0, st = 0, s15 = 0, sd = 0;
            long nb = 0, nsl = 0;
            const size_t o3 = t * nz * n2, ow = t * (nz + 1) * n2, o2 = t * n2;
            for (size_t q = 0; q < n2; q++) {
                if (QC[o3 + q] > d->qc_max_all) d->qc_max_all = QC[o3 + q];
                size_t j = q / nx, i = q % nx;
                double u = 0.5 * (U[t * nz * ny * (nx + 1) + j * (nx + 1) + i] +
                                  U[t * nz * ny * (nx + 1) + j * (nx + 1) + i + 1]);
                double v = 0.5 * (V[t * nz * (ny + 1) * nx + j * nx + i] +
                                  V[t * nz * (ny + 1) * nx + (j + 1) * nx + i]);
                if (slope[q]) {
                    double s = hypot(gx[q], gy[q]);
                    sd += -(u * gx[q] + v * gy[q]) / s;
                    nsl++;
                }
                if (!basin[q]) continue;
                nb++;
                double tk0 = 0, tmax = -1, z0 = 0, zmax = 0, t15 = 0;
                for (size_t k = 0; k < nz; k++) {
                    size_t cc = o3 + k * n2 + q;
                    double pk = P[cc] + PB[cc], tk = (T[cc] + 300.0) * pow(pk / 1e5, RD / CP);
                    double zm = 0.5 * (PH[ow + k * n2 + q] + PHB[ow + k * n2 + q] +
                                       PH[ow + (k + 1) * n2 + q] + PHB[ow + (k + 1) * n2 + q]) /
                                    G - g->hgt[q];
                    if (k == 0) {
                        tk0 = tk;
                        z0 = zm;
                        double es = 611.2 * exp(17.67 * (tk - 273.15) / (tk - 29.65));
                        double rh = QV[cc] / (EPS * es / (pk - es));
                        if (rh < d->rh_min) d->rh_min = rh;
                        if (rh > d->rh_max) d->rh_max = rh;
                    }
                    if (zm < 1000.0 && tk > tmax) {
                        tmax = tk;
                        zmax = zm;
                    }
                    if (zm < 1500.0) t15 = tk;
                }
                double grad = (tmax - tk0) / (zmax - z0) * 100.0;
                if (zmax <= z0) grad = 0.0;
                if (grad < d->grad_min) d->grad_min = grad;
                if (grad > d->grad_max) d->grad_max = grad;
                sw += hypot(u, v);
                sp += PBLH[o2 + q];
                st += tk0;
                s15 += t15;
                if (LU[o2 + q] != 1.0 && SN[o2 + q] != 1.0) d->snow_ok = 0;
            }
            for (int k = 0; k < 3; k++)
                if (QC[o3 + fogcells[k]] < d->qc_min_fogcells)
                    d->qc_min_fogcells = QC[o3 + fogcells[k]];
            assert_true(nb > 50);
            assert_true(nsl > 5);
            d->wind = sw / nb;
            d->pblh = sp / nb;
            d->t_sfc = st / nb;
            d->t_1500 = s15 / nb;
            d->drain = sd / nsl;
        }
        double *arrs[] = {T, P, PB, PH, PHB, QV, QC, U, V, PBLH, SN, LU, XT};
        for (size_t a = 0; a < sizeof arrs / sizeof *arrs; a++) free(arrs[a]);
        nc_close(nc);
    }
    assert_int_equal(rec, NREC);
    free(basin);
    free(slope);
    free(gx);
    free(gy);
}

static int group_setup(void **state)
{
    Case *c = calloc(1, sizeof *c);
    if (!c) return -1;
    snprintf(c->dir, sizeof c->dir, "/tmp/bogda_makecase_XXXXXX");
    if (!mkdtemp(c->dir)) return -1;
    makecase_defaults(&c->spec);
    snprintf(c->spec.dir, sizeof c->spec.dir, "%s/case", c->dir);
    snprintf(c->spec.data_dir, sizeof c->spec.data_dir, "input/data");
    c->spec.days = DAYS;
    c->spec.interval_h = STEP_H;
    BgErr e = {0};
    double t0 = now_s();
    if (makecase_write(&c->spec, &e) != BG_OK) {
        fprintf(stderr, "makecase_write: %s\n", e.msg);
        return -1;
    }
    c->write_s = now_s() - t0;
    snprintf(c->met, sizeof c->met, "%s/met_12km", c->spec.dir);
    char pat[1200];
    snprintf(pat, sizeof pat, "%s/wrfout_d01_*", c->met);
    glob_t gl;
    if (glob(pat, 0, NULL, &gl) != 0) return -1;
    c->nfiles = (int)gl.gl_pathc;
    c->files = calloc(gl.gl_pathc, sizeof *c->files);
    for (size_t k = 0; k < gl.gl_pathc; k++) c->files[k] = strdup(gl.gl_pathv[k]);
    globfree(&gl);
    if (grid_from_wrf(&c->grid, c->files[0], &e) != BG_OK) {
        fprintf(stderr, "grid_from_wrf: %s\n", e.msg);
        return -1;
    }
    c->have_grid = 1;
    *state = c;
    return 0;
}

static int group_teardown(void **state)
{
    Case *c = *state;
    if (c->have_grid) grid_free(&c->grid);
    for (int k = 0; k < c->nfiles; k++) free(c->files[k]);
    free(c->files);
    rm_tree(c->dir);
    free(c);
    return 0;
}

/* ---------------------------------------------------------------- files and domain ---- */

static void test_files_and_domain(void **state)
{
    Case *c = *state;
    print_message("12-km case of %d days, %d-hourly records: written in %.2f s\n", DAYS, STEP_H,
                  c->write_s);
    const char *files[] = {"demo.ini", "inventory.nc", "inventory_totals.csv", "points.csv",
                           "profiles.csv", "stations.csv", "cities.csv"};
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", c->spec.dir, files[k]);
        struct stat sb;
        assert_int_equal(stat(p, &sb), 0);
        assert_true(sb.st_size > 0);
    }
    assert_int_equal(c->nfiles, DAYS + 1); /* daily files and the closing record */
    const Grid *g = &c->grid;
    assert_int_equal(g->nx, 67);
    assert_int_equal(g->ny, 40);
    assert_int_equal(g->nz, 24);
    assert_close(g->dx, 12000.0, 1e-3);
    /* every town inside, at least 3 cells from the edge */
    for (int t = 0; t < NTOWN; t++) {
        double fi, fj;
        BgErr e = {0};
        assert_int_equal(grid_locate(g, TOWNS[t].lon, TOWNS[t].lat, &fi, &fj), BG_OK);
        print_message("%-9s at i = %5.2f, j = %5.2f\n", TOWNS[t].name, fi, fj);
        assert_true(fi >= 3.0 && fi <= g->nx - 4.0 && fj >= 3.0 && fj <= g->ny - 4.0);
        (void)e;
    }
    /* the required box 83.5-89.5 E, 43.2-46.0 N (corners and edge midpoints) */
    for (int k = 0; k < 9; k++) {
        double lon = 83.5 + 3.0 * (k % 3), lat = 43.2 + 1.4 * (k / 3), fi, fj;
        assert_int_equal(grid_locate(g, lon, lat, &fi, &fj), BG_OK);
        assert_true(fi >= 0.0 && fi <= g->nx - 1.0 && fj >= 0.0 && fj <= g->ny - 1.0);
    }
    /* the bench grid: at least 200 x 120 columns, 24 layers, with a valid met spec */
    int nx, ny, nz;
    makecase_grid_size(4.0, &nx, &ny, &nz);
    print_message("4-km bench grid %d x %d x %d\n", nx, ny, nz);
    assert_true(nx >= 200 && ny >= 120 && nz == 24);
    MakeCaseSpec s4 = c->spec;
    s4.resolution_km = 4.0;
    SynthMetSpec m4;
    BgErr e = {0};
    assert_int_equal(makecase_met_spec(&s4, ETOPO, &m4, &e), BG_OK);
    assert_int_equal(m4.nx, nx);
    assert_int_equal(m4.nrec, DAYS * 24 / STEP_H + 1);
    char ini[64], met[64];
    makecase_names(4.0, ini, sizeof ini, met, sizeof met);
    assert_string_equal(ini, "bench.ini");
    assert_string_equal(met, "met_4km");
}

/* HGT is the bilinear ETOPO5 relief at every cell centre; Urumqi and the ridge south of it. */
static void test_terrain(void **state)
{
    Case *c = *state;
    const Grid *g = &c->grid;
    Etopo t;
    etopo_load(&t);
    double worst = 0.0;
    for (size_t q = 0; q < (size_t)g->nx * g->ny; q++) {
        double d = fabs(g->hgt[q] - etopo_at(&t, g->lon[q], g->lat[q]));
        if (d > worst) worst = d;
    }
    /* float storage of HGT and of XLAT/XLONG: < 0.05 m */
    print_message("HGT vs independent bilinear ETOPO5 at the cell centres: max |diff| %.4f m\n",
                  worst);
    assert_true(worst < 0.05);
    /* at the city itself: the model relief interpolated to Urumqi against ETOPO5 there; they
     * differ by the 12-km sampling of a slope rising ~30 m per km south of the city */
    double fi, fj;
    assert_int_equal(grid_locate(g, 87.60046, 43.80096, &fi, &fj), BG_OK);
    int i0 = (int)floor(fi), j0 = (int)floor(fj);
    double wx = fi - i0, wy = fj - j0;
    const double *h = g->hgt;
    size_t q0 = (size_t)j0 * g->nx + i0;
    double hu = (1 - wy) * ((1 - wx) * h[q0] + wx * h[q0 + 1]) +
                wy * ((1 - wx) * h[q0 + g->nx] + wx * h[q0 + g->nx + 1]);
    double eu = etopo_at(&t, 87.60046, 43.80096);
    print_message("Urumqi: model relief %.0f m (bilinear from the 12-km cells), ETOPO5 %.0f m\n",
                  hu, eu);
    assert_true(fabs(hu - eu) < 300.0);
    double ridge = 0.0, rlon = 0, rlat = 0;
    for (size_t q = 0; q < (size_t)g->nx * g->ny; q++)
        if (g->lon[q] > 86.5 && g->lon[q] < 88.7 && g->lat[q] > 42.7 && g->lat[q] < 43.6 &&
            g->hgt[q] > ridge) {
            ridge = g->hgt[q];
            rlon = g->lon[q];
            rlat = g->lat[q];
        }
    print_message("ridge south of Urumqi: %.0f m at %.2f E %.2f N\n", ridge, rlon, rlat);
    assert_true(ridge > 3000.0);
    double shz = g->hgt[nearest(g, 86.037, 44.302)], wjq = g->hgt[nearest(g, 87.55, 44.18)];
    print_message("basin floor: Shihezi %.0f m, Wujiaqu %.0f m\n", shz, wjq);
    assert_true(shz < 800.0 && wjq < 800.0);
    etopo_free(&t);
}

/* Every file passes the model's reader and its checks, and fields interpolate in time. */
static void test_met_open(void **state)
{
    Case *c = *state;
    double t0;
    assert_int_equal(time_parse(c->spec.start, &t0), 0);
    Met m;
    BgErr e = {0};
    int rc = met_open(&m, &c->grid, c->files, c->nfiles, t0, t0 + DAYS * 86400.0, 0.1, &e);
    if (rc) fprintf(stderr, "met_open: %s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    MetFields f;
    assert_int_equal(met_fields_alloc(&f, &c->grid), BG_OK);
    assert_int_equal(met_fields_at(&m, t0 + 40.5 * 3600.0, &f, &e), BG_OK);
    size_t n2 = (size_t)c->grid.nx * c->grid.ny;
    double tmin = HUGE_VAL, tmax = -HUGE_VAL;
    for (size_t q = 0; q < n2; q++) {
        tmin = fmin(tmin, f.t[q]);
        tmax = fmax(tmax, f.t[q]);
        assert_true(f.snowc[q] >= 0.0 && f.snowc[q] <= 1.0);
        assert_true(f.pblh[q] >= 50.0 - 1e-3);
    }
    print_message("met_open: %d files; lowest-layer T at +40.5 h %.1f..%.1f K\n", c->nfiles, tmin,
                  tmax);
    met_fields_free(&f);
    met_close(&m);
}

/* ---------------------------------------------------------------- the episode ---- */

static int is_night(double tau_h) /* 18 and 21 UTC: ~00 and 03 local solar time */
{
    double h = fmod(tau_h, 24.0);
    return h == 18.0 || h == 21.0;
}

static void test_episode_inversion(void **state)
{
    Case *c = *state;
    diagnose(c);
    const double front = (DAYS - 1) * 24.0 + 3.0;
    double gmin = HUGE_VAL, gmax = -HUGE_VAL;
    for (int r = 0; r < NREC; r++) {
        const Diag *d = &c->d[r];
        if (!is_night(d->tau_h) || d->tau_h > front) continue;
        print_message("+%2.0f h night: basin inversion %.2f..%.2f K/100 m\n", d->tau_h,
                      d->grad_min, d->grad_max);
        gmin = fmin(gmin, d->grad_min);
        gmax = fmax(gmax, d->grad_max);
    }
    assert_true(gmin >= 1.0 && gmax <= 2.0);
    /* it strengthens as the stagnation builds: the last night before the front beats the first */
    double first = 0, last = 0;
    for (int r = 0; r < NREC; r++)
        if (is_night(c->d[r].tau_h) && c->d[r].tau_h < front) {
            if (first == 0) first = c->d[r].grad_max;
            last = c->d[r].grad_max;
        }
    assert_true(last > first);
    /* temperatures around -15 C on the basin floor while the stagnation lasts */
    for (int r = 0; r < NREC; r++)
        if (c->d[r].tau_h < front) assert_true(c->d[r].t_sfc > 252.0 && c->d[r].t_sfc < 266.0);
}

static void test_episode_humidity_fog_snow(void **state)
{
    Case *c = *state;
    const double front = (DAYS - 1) * 24.0 + 3.0;
    double rmin = HUGE_VAL, rmax = -HUGE_VAL, qn = HUGE_VAL, qd = 0.0;
    for (int r = 0; r < NREC; r++) {
        const Diag *d = &c->d[r];
        rmin = fmin(rmin, d->rh_min);
        rmax = fmax(rmax, d->rh_max);
        if (is_night(d->tau_h) && d->tau_h < front) qn = fmin(qn, d->qc_min_fogcells);
        if (fmod(d->tau_h, 24.0) == 6.0) qd = fmax(qd, d->qc_max_all); /* ~local noon */
        assert_true(d->snow_ok);
    }
    print_message("basin lowest-layer RH %.3f..%.3f; fog QCLOUD at night >= %.2e kg/kg at "
                  "Shihezi, Wujiaqu, Kuitun; max QCLOUD at 06 UTC %.2e\n", rmin, rmax, qn, qd);
    assert_true(rmin >= 0.60 && rmax <= 0.95);
    assert_true(qn > 1e-6);
    assert_close(qd, 0.0, 0.0);
}

static void test_episode_front(void **state)
{
    Case *c = *state;
    double wday[DAYS] = {0}, pday[DAYS] = {0}, t15[DAYS] = {0}, drain_night = 0;
    int nday[DAYS] = {0}, nn = 0;
    for (int r = 0; r + 1 < NREC; r++) {
        const Diag *d = &c->d[r];
        int day = (int)(d->tau_h / 24.0);
        wday[day] += d->wind;
        pday[day] += d->pblh;
        t15[day] += d->t_1500;
        nday[day]++;
        if (is_night(d->tau_h) && day < DAYS - 1) {
            drain_night += d->drain;
            nn++;
        }
    }
    for (int k = 0; k < DAYS; k++) {
        wday[k] /= nday[k];
        pday[k] /= nday[k];
        t15[k] /= nday[k];
        print_message("day %d: basin wind %.2f m/s, PBLH %.0f m, T at 1500 m %.1f K\n", k + 1,
                      wday[k], pday[k], t15[k]);
    }
    drain_night /= nn;
    print_message("night drainage down the northern slopes: %.2f m/s\n", drain_night);
    for (int k = 0; k < DAYS - 1; k++) {
        assert_true(wday[DAYS - 1] > 2.0 * wday[k]);
        assert_true(pday[DAYS - 1] > 2.0 * pday[k]);
        assert_true(pday[k] >= 50.0 && pday[k] <= 400.0);
    }
    /* stagnation builds: the boundary layer shrinks and the wind weakens day by day */
    for (int k = 0; k + 1 < DAYS - 1; k++) {
        assert_true(pday[k + 1] < pday[k]);
        assert_true(wday[k + 1] < wday[k]);
    }
    assert_true(t15[DAYS - 1] < t15[DAYS - 2] - 3.0); /* colder air behind the front */
    assert_true(drain_night > 0.05 && drain_night < 3.0);
}

/* ---------------------------------------------------------------- inventory ---- */

/* The totals table of input/README.md: rows "| sector | v1 | ... | v9 | share |". */
static int readme_totals(double tot[MC_NSECTOR][MC_NSPEC], double share[MC_NSECTOR])
{
    FILE *f = fopen("input/README.md", "r");
    if (!f) return -1;
    char line[1024];
    int found = 0, in_table = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "makecase-totals")) in_table = 1;
        if (!in_table || line[0] != '|') continue;
        char name[64];
        if (sscanf(line, "| %63[a-z_] |", name) != 1) continue;
        for (int s = 0; s < MC_NSECTOR; s++) {
            if (strcmp(name, makecase_sector(s))) continue;
            char *p = strchr(line + 1, '|') + 1;
            for (int k = 0; k <= MC_NSPEC; k++) {
                double v = strtod(p, &p);
                if (k < MC_NSPEC) tot[s][k] = v;
                else share[s] = v;
                p = strchr(p, '|') + 1;
            }
            found++;
        }
    }
    fclose(f);
    return found;
}

static double *read_csv_col(const char *path, int ncol_first, int nrows_max, int *nrows,
                            char names[][64], int name_col)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    double *v = calloc((size_t)nrows_max * MC_NSPEC, sizeof *v);
    char line[2048];
    int r = -1;
    while (fgets(line, sizeof line, f)) {
        if (r++ < 0) continue;
        char *fld[40];
        int nf = 0;
        for (char *p = line; nf < 40;) {
            fld[nf++] = p;
            char *cm = strchr(p, ',');
            if (!cm) break;
            *cm = '\0';
            p = cm + 1;
        }
        assert_true(nf >= ncol_first + MC_NSPEC && r <= nrows_max);
        snprintf(names[r - 1], 64, "%s", fld[name_col]);
        for (int k = 0; k < MC_NSPEC; k++) v[(r - 1) * MC_NSPEC + k] = atof(fld[ncol_first + k]);
    }
    fclose(f);
    *nrows = r;
    return v;
}

static void test_inventory_totals(void **state)
{
    Case *c = *state;
    double doc[MC_NSECTOR][MC_NSPEC], share[MC_NSECTOR];
    assert_int_equal(readme_totals(doc, share), MC_NSECTOR);
    char path[1200];
    snprintf(path, sizeof path, "%s/inventory.nc", c->spec.dir);
    int nc;
    assert_int_equal(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    size_t nlon, nlat;
    double *lon = get_var(nc, "lon", &nlon), *lat = get_var(nc, "lat", &nlat);
    assert_int_equal(nlon, 140);
    assert_int_equal(nlat, 64);
    assert_close(lon[1] - lon[0], 0.05, 1e-12);
    assert_close(lat[1] - lat[0], 0.05, 1e-12);
    double *lonb = get_var(nc, "lon_bnds", NULL), *latb = get_var(nc, "lat_bnds", NULL);
    assert_non_null(lonb);
    assert_non_null(latb);
    assert_close(lonb[1] - lonb[0], 0.05, 1e-12);
    assert_close(latb[0], lat[0] - 0.025, 1e-12);
    free(lonb);
    free(latb);
    int vsec;
    assert_int_equal(nc_inq_varid(nc, "sector", &vsec), NC_NOERR);
    char *secs[MC_NSECTOR];
    assert_int_equal(nc_get_var_string(nc, vsec, secs), NC_NOERR);
    for (int s = 0; s < MC_NSECTOR; s++) assert_string_equal(secs[s], makecase_sector(s));
    nc_free_string(MC_NSECTOR, secs);
    /* points.csv by sector */
    char ppath[1200], pnames[64][64];
    snprintf(ppath, sizeof ppath, "%s/points.csv", c->spec.dir);
    int np = 0;
    double *pv = read_csv_col(ppath, 9, 64, &np, pnames, 4);
    assert_non_null(pv);
    double worst = 0.0, worst_all = 0.0, grand[MC_NSPEC] = {0};
    const size_t n2 = nlon * nlat;
    for (int sp = 0; sp < MC_NSPEC; sp++) {
        int vid;
        assert_int_equal(nc_inq_varid(nc, makecase_species(sp), &vid), NC_NOERR);
        char units[32] = "", cm[32] = "";
        assert_int_equal(nc_get_att_text(nc, vid, "units", units), NC_NOERR);
        assert_int_equal(nc_get_att_text(nc, vid, "cell_methods", cm), NC_NOERR);
        assert_int_equal(strncmp(units, "Mg/month", 8), 0);
        assert_int_equal(strncmp(cm, "area: sum", 9), 0);
        double *v = get_var(nc, makecase_species(sp), NULL);
        for (int s = 0; s < MC_NSECTOR; s++) {
            assert_close(makecase_total_t(s, sp), doc[s][sp], 0.0); /* code = README */
            assert_close(makecase_point_share(s), share[s], 0.0);
            double sum = 0.0, jan = 0.0, jul = 0.0;
            for (int m = 0; m < 12; m++)
                for (size_t q = 0; q < n2; q++) {
                    double x = v[((size_t)s * 12 + m) * n2 + q];
                    assert_true(x >= 0.0);
                    sum += x;
                    if (m == 0) jan += x;
                    if (m == 6) jul += x;
                }
            double pts = 0.0;
            for (int p = 0; p < np; p++)
                if (!strcmp(pnames[p], makecase_sector(s))) pts += pv[p * MC_NSPEC + sp];
            double want_grid = doc[s][sp] * (1.0 - share[s]);
            if (doc[s][sp] > 0) {
                worst = fmax(worst, fabs(sum - want_grid) / doc[s][sp]);
                worst_all = fmax(worst_all, fabs(sum + pts - doc[s][sp]) / doc[s][sp]);
            } else {
                assert_close(sum + pts, 0.0, 0.0);
            }
            if (s == 7 && doc[s][sp] > 0) assert_true(jan > 5.0 * jul); /* heating season */
            grand[sp] += sum + pts;
        }
        free(v);
    }
    print_message("inventory: sum over months and cells vs documented gridded part, max rel. "
                  "error %.2e; gridded + points vs documented total %.2e\n", worst, worst_all);
    print_message("region totals (t/yr): SO2 %.0f NOx %.0f NH3 %.0f VOC %.0f CO %.0f PM25 %.0f "
                  "PM10 %.0f BC %.0f OC %.0f\n", grand[0], grand[1], grand[2], grand[3], grand[4],
                  grand[5], grand[6], grand[7], grand[8]);
    assert_true(worst < 1e-9);
    assert_true(worst_all < 1e-9);
    free(pv);
    free(lon);
    free(lat);
    nc_close(nc);
}

/* The model's readers accept the inventory, points and profiles; the regridded domain total is
 * the documented gridded total. */
static void test_inventory_readers(void **state)
{
    Case *c = *state;
    char path[1200];
    snprintf(path, sizeof path, "%s/inventory.nc", c->spec.dir);
    Inventory inv;
    BgErr e = {0};
    int rc = inventory_load(&inv, path, &c->grid, &e);
    if (rc) fprintf(stderr, "inventory_load: %s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(inv.nsector, MC_NSECTOR);
    assert_int_equal(inv.nmonth, 12);
    const double yr = 365.0 * 86400.0;
    double worst = 0.0;
    for (int sp = 0; sp < MC_NSPEC; sp++) {
        int isp = inventory_species_index(&inv, makecase_species(sp));
        assert_true(isp >= 0);
        double want = 0.0;
        for (int s = 0; s < MC_NSECTOR; s++)
            want += makecase_total_t(s, sp) * (1.0 - makecase_point_share(s)) * 1000.0 / yr;
        if (want > 0) worst = fmax(worst, fabs(inv.inside_kg_s[isp] - want) / want);
        assert_true(inv.outside_kg_s[isp] <= 1e-12 * want + 1e-30);
    }
    print_message("inventory_load on the 12-km grid: domain total vs documented, max rel. "
                  "error %.2e\n", worst);
    assert_true(worst < 1e-9);
    inventory_free(&inv);

    PointSet ps;
    snprintf(path, sizeof path, "%s/points.csv", c->spec.dir);
    rc = points_load(&ps, path, &c->grid, &e);
    if (rc) fprintf(stderr, "points_load: %s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(ps.n, 22);
    points_free(&ps);

    Profiles pr;
    snprintf(path, sizeof path, "%s/profiles.csv", c->spec.dir);
    rc = profiles_load(&pr, path, &e);
    if (rc) fprintf(stderr, "profiles_load: %s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(pr.n, MC_NSECTOR);
    assert_null(pr.notes); /* every profile already has mean 1 */
    for (int s = 0; s < pr.n; s++) {
        double mh = 0, mw = 0;
        for (int k = 0; k < 24; k++) mh += pr.hour[s * 24 + k] / 24.0;
        for (int k = 0; k < 7; k++) mw += pr.weekday[s * 7 + k] / 7.0;
        assert_close(mh, 1.0, 1e-12);
        assert_close(mw, 1.0, 1e-12);
    }
    profiles_free(&pr);
}

/* ---------------------------------------------------------------- stations, cities, config ---- */

static void test_stations_cities(void **state)
{
    Case *c = *state;
    char path[1200], line[1024];
    snprintf(path, sizeof path, "%s/cities.csv", c->spec.dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "city,lon,lat,population\n");
    char cities[32][64];
    int nc = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        double lon, lat, pop;
        assert_int_equal(sscanf(line, "%63[^,],%lf,%lf,%lf", name, &lon, &lat, &pop), 4);
        assert_true(pop > 1000.0);
        double fi, fj;
        assert_int_equal(grid_locate(&c->grid, lon, lat, &fi, &fj), BG_OK);
        assert_true(fi >= 0 && fi <= c->grid.nx - 1 && fj >= 0 && fj <= c->grid.ny - 1);
        if (!strcmp(name, "Urumqi")) assert_close(pop, 3029372, 0);     /* GeoNames */
        if (!strcmp(name, "Wujiaqu")) assert_close(pop, 96436, 0);      /* census 2010 */
        if (!strcmp(name, "Wusu")) assert_close(pop, 298907, 0);        /* census 2010 */
        snprintf(cities[nc++], 64, "%s", name);
    }
    fclose(f);
    for (int t = 0; t < NTOWN; t++) {
        int found = 0;
        for (int k = 0; k < nc; k++) found |= !strcmp(cities[k], TOWNS[t].name);
        assert_true(found);
    }
    snprintf(path, sizeof path, "%s/stations.csv", c->spec.dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "id,name,city,lon,lat\n");
    int ns = 0, kdw = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[8];
        int nf = 0;
        for (char *p = line; nf < 8;) {
            fld[nf++] = p;
            char *cm = strchr(p, ',');
            if (!cm) break;
            *cm = '\0';
            p = cm + 1;
        }
        assert_int_equal(nf, 5);
        double lon = atof(fld[3]), lat = atof(fld[4]), fi, fj;
        assert_int_equal(grid_locate(&c->grid, lon, lat, &fi, &fj), BG_OK);
        assert_true(fi >= 0 && fi <= c->grid.nx - 1 && fj >= 0 && fj <= c->grid.ny - 1);
        if (*fld[2]) {
            int found = 0;
            for (int k = 0; k < nc; k++) found |= !strcmp(cities[k], fld[2]);
            assert_true(found);
        }
        kdw += !strcmp(fld[2], "Kuitun") + !strcmp(fld[2], "Dushanzi") + !strcmp(fld[2], "Wusu");
        ns++;
    }
    fclose(f);
    print_message("stations.csv: %d stations (%d at Kuitun, Dushanzi, Wusu); cities.csv: %d "
                  "cities\n", ns, kdw, nc);
    assert_int_equal(kdw, 3);
    assert_int_equal(ns, 19); /* 16 CNEMC sites in the domain + 3 */
}

typedef struct IniCheck {
    int bad;
    char first_bad[300];
    char met[256], hours[32], emis[8], chem[8];
    int nregion, nscenario;
} IniCheck;

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
    IniCheck *k = user;
    static const char *const allowed[] = {
        "run.start", "run.hours", "run.spinup_h", "run.output_dir", "run.sync_step_s",
        "run.threads", "run.checkpoint_h", "met.files", "emissions.inventory",
        "emissions.points", "emissions.profiles", "emissions.timezone_offset_h",
        "processes.advection", "processes.diffusion", "processes.emissions",
        "processes.chemistry", "processes.aerosol", "processes.drydep", "processes.wetdep",
        "advection.scheme", "advection.cfl_max", "diffusion.kz_min", "tracers.names",
        "output.interval_h", "output.layers", "output.average", "stations.file", "cities.file",
        "batch.members_per_process", "batch.rank_by"};
    char key[256];
    snprintf(key, sizeof key, "%s.%s", section, name ? name : "");
    if (!name) return 1;
    int ok = 0;
    for (size_t a = 0; a < sizeof allowed / sizeof *allowed; a++) ok |= !strcmp(key, allowed[a]);
    /* DESIGN 2.2: [init] / [boundary] constant.SPECIES (and Bogda's profile.SPECIES) */
    if ((!strcmp(section, "init") || !strcmp(section, "boundary")) &&
        (!strncmp(name, "constant.", 9) || !strncmp(name, "profile.", 8)))
        ok = 1;
    if (!strncmp(section, "scenario ", 9)) {
        ok = !strcmp(name, "description") || !strcmp(name, "cost_million_cny") || !strcmp(name, "control");
        if (!strcmp(name, "description")) k->nscenario++;
    }
    if (!strncmp(section, "region ", 7)) {
        ok = !strcmp(name, "polygon") || !strcmp(name, "circle") || !strcmp(name, "cities");
        if (!strcmp(name, "cities")) k->nregion++;
    }
    if (!ok && !k->bad++) snprintf(k->first_bad, sizeof k->first_bad, "%s", key);
    if (!strcmp(key, "met.files")) snprintf(k->met, sizeof k->met, "%s", value);
    if (!strcmp(key, "run.hours")) snprintf(k->hours, sizeof k->hours, "%s", value);
    if (!strcmp(key, "processes.emissions")) snprintf(k->emis, sizeof k->emis, "%s", value);
    if (!strcmp(key, "processes.chemistry")) snprintf(k->chem, sizeof k->chem, "%s", value);
    return 1;
}

static void test_config(void **state)
{
    Case *c = *state;
    char path[1200];
    snprintf(path, sizeof path, "%s/demo.ini", c->spec.dir);
    IniCheck k;
    memset(&k, 0, sizeof k);
    assert_int_equal(ini_parse(path, cfg_handler, &k), 0);
    if (k.bad) fprintf(stderr, "demo.ini: key outside DESIGN 2.2: %s\n", k.first_bad);
    assert_int_equal(k.bad, 0);
    assert_int_equal(k.nregion, 2);
    assert_true(k.nscenario >= 6); /* the plan's measures for make demo (docs/batch.md) */
    assert_int_equal(atoi(k.hours), DAYS * 24);
    assert_string_equal(k.emis, "on");
    assert_string_equal(k.chem, "on");
    /* the met glob, relative to the configuration, finds every file */
    char pat[1400];
    snprintf(pat, sizeof pat, "%s/%s", c->spec.dir, k.met);
    glob_t gl;
    assert_int_equal(glob(pat, 0, NULL, &gl), 0);
    assert_int_equal((int)gl.gl_pathc, c->nfiles);
    globfree(&gl);
}

static void test_cli(void **state)
{
    Case *c = *state;
    char sub[600];
    snprintf(sub, sizeof sub, "%s/cli", c->dir);
    struct {
        const char *args[6];
        int argc;
        const char *want;
    } bad[] = {
        {{"makecase", sub, "--resolution", "1"}, 4, "--resolution"},
        {{"makecase", sub, "--resolution", "fine"}, 4, "--resolution"},
        {{"makecase", sub, "--days", "0"}, 4, "--days"},
        {{"makecase", sub, "--days", "2.5"}, 4, "--days"},
        {{"makecase", sub, "--start", "soon"}, 4, "--start"},
        {{"makecase", sub, "--interval", "5"}, 4, "--interval"},
        {{"makecase", sub, "--bogus", "1"}, 4, "--bogus"},
        {{"makecase", sub, "--days"}, 3, "--days"},
        {{"makecase", "--days", "2"}, 3, "DIR"},
        {{"makecase", sub, sub}, 3, "unexpected"},
        {{"makecase", sub, "--data", "/nonexistent"}, 4, "--data"},
    };
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        BgErr e = {0};
        int rc = makecase_main(bad[b].argc, (char **)bad[b].args, &e);
        print_message("%-45s -> %d: %s\n", bad[b].want, rc, e.msg);
        assert_true(rc == BG_ECONFIG || (rc == BG_EINPUT && !strcmp(bad[b].want, "--data")));
        if (strcmp(bad[b].want, "--data")) assert_non_null(strstr(e.msg, bad[b].want));
        assert_null(strchr(e.msg, '\n'));
    }
    struct stat sb;
    assert_int_not_equal(stat(sub, &sb), 0); /* nothing written */
    const char *help[] = {"makecase", "--help"};
    BgErr e = {0};
    assert_int_equal(makecase_main(2, (char **)help, &e), BG_OK);
    assert_int_not_equal(stat(sub, &sb), 0);
}

/* The relief API and the spec checks of the synthmet extensions. */
static void test_relief_api(void **state)
{
    (void)state;
    SynthRelief r;
    BgErr e = {0};
    assert_int_equal(synthmet_relief_load(&r, ETOPO, NULL, &e), BG_OK);
    Etopo t;
    etopo_load(&t);
    double z;
    assert_int_equal(synthmet_relief_at(&r, 87.60046, 43.80096, &z), 0);
    assert_close(z, etopo_at(&t, 87.60046, 43.80096), 1e-3);
    assert_int_equal(synthmet_relief_at(&r, 70.0, 43.8, &z), -1); /* west of 76 E */
    assert_int_equal(synthmet_relief_at(&r, 87.6, 50.0, &z), -1); /* north of 49 N */
    etopo_free(&t);
    synthmet_relief_free(&r);
    BgErr e2 = {0};
    assert_int_equal(synthmet_relief_load(&r, "/nonexistent.nc", NULL, &e2), BG_EINPUT);
    assert_non_null(strstr(e2.msg, "/nonexistent.nc"));
    BgErr e3 = {0};
    assert_int_equal(synthmet_relief_load(&r, ETOPO, "NOSUCHVAR", &e3), BG_EINPUT);
    assert_non_null(strstr(e3.msg, "NOSUCHVAR"));
    SynthMetSpec m;
    synthmet_defaults(&m);
    assert_int_equal(m.episode, 0);
    assert_close(m.front_h, -1.0, 0.0);
    m.terrain = 2;
    BgErr e4 = {0};
    assert_int_equal(synthmet_check(&m, &e4), BG_ECONFIG);
    assert_non_null(strstr(e4.msg, "--terrain-file"));
    /* a grid reaching beyond the relief is refused, naming the file */
    snprintf(m.terrain_file, sizeof m.terrain_file, "%s", ETOPO);
    m.nx = 12;
    m.ny = 10;
    m.nz = 4;
    m.nrec = 1;
    m.dx_m = 200000.0; /* 2400 km wide around 43.8 N 87.6 E: beyond 76-94 E */
    char dir[] = "/tmp/bogda_relief_XXXXXX";
    assert_non_null(mkdtemp(dir));
    BgErr e5 = {0};
    assert_int_equal(synthmet_write(&m, dir, NULL, NULL, &e5), BG_EINPUT);
    assert_non_null(strstr(e5.msg, "etopo5"));
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_and_domain),
        cmocka_unit_test(test_terrain),
        cmocka_unit_test(test_met_open),
        cmocka_unit_test(test_episode_inversion),
        cmocka_unit_test(test_episode_humidity_fog_snow),
        cmocka_unit_test(test_episode_front),
        cmocka_unit_test(test_inventory_totals),
        cmocka_unit_test(test_inventory_readers),
        cmocka_unit_test(test_stations_cities),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_relief_api),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
