/* The emission-inventory reader (input/inventory.c) on synthetic files written here: an
 * EDGAR-like global band (0..360 longitudes, descending latitudes, (lon, lat) order,
 * kg m-2 s-1, _FillValue and NaN-fill over an "ocean" patch), a MEIC-like 0.05-degree per-cell
 * Mg/month file with 12 months, a t/yr file with *_bnds and the sector dimension last, unit
 * conversions against hand-computed numbers, files on the model grid (identity), thread-count
 * independence, the refusals, and the load time of a benchmark-sized inventory. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "grid.h"
#include "inventory.h"
#include "synthmet.h"
#include "timeutil.h"

#define D2R (M_PI / 180.0)
#define R_EARTH 6370000.0
#define DAY 86400.0
#define NC(call) assert_int_equal((call), NC_NOERR)

static char tmpdir[64];
static Grid grid; /* 40 x 30 x 4 at 12 km, Lambert 30/60 centred on Urumqi (synthmet) */

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static int make_grid(Grid *g, const char *sub, int nx, int ny, double dx)
{
    SynthMetSpec s;
    synthmet_defaults(&s);
    s.nx = nx;
    s.ny = ny;
    s.nz = 4;
    s.dx_m = dx;
    s.nrec = 1;
    char dir[128], **paths;
    int n;
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
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
    strcpy(tmpdir, "/tmp/bogda_test_inventory_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    return make_grid(&grid, "met", 40, 30, 12000);
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

static double tparse(const char *s)
{
    double t;
    assert_int_equal(time_parse(s, &t), 0);
    return t;
}

/* ------------------------------------------------------------------------------------------
 * A synthetic inventory writer */

typedef double (*ValFn)(int sp, int sec, int mon, int j, int i);

enum { FILL_NONE, FILL_BIG, FILL_NAN };
enum { COORD_1D, COORD_2D, COORD_NONE };

typedef struct {
    int nlon, nlat;
    double lon0, dlon, lat0, dlat; /* centre of cell 0 and the step (dlat < 0: descending) */
    const char *order;             /* dims of each species variable, letters of "msyx" */
    int nsec;                      /* 0: no sector dimension at all */
    const char *sectors[12];
    int sector_char;               /* 1: char (sector, strlen); 0: NC_STRING */
    int no_sector_names;
    int nsp;
    const char *names[9], *units[9], *cm[9];
    int fill[9];
    int coords;
    double bnds_half;              /* > 0: lon_bnds/lat_bnds at centre +- this (degrees) */
    int nmonth;                    /* length of the month dimension (12 unless testing) */
    nc_type vtype;                 /* NC_DOUBLE unless set */
    int keep_nan;                  /* 1: NaN stays NaN even where _FillValue is 1e20 */
    ValFn fn;
} Spec;

static void spec_init(Spec *s)
{
    memset(s, 0, sizeof *s);
    s->nmonth = 12;
    s->vtype = NC_DOUBLE;
}

static double lonc(const Spec *s, int i) { return s->lon0 + i * s->dlon; }
static double latc(const Spec *s, int j) { return s->lat0 + j * s->dlat; }

static void write_inv(const char *path, const Spec *s)
{
    int nc, dm = -1, ds = -1, dy, dx, dl = -1;
    NC(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc));
    if (strchr(s->order, 'm')) NC(nc_def_dim(nc, "month", s->nmonth, &dm));
    if (s->nsec) NC(nc_def_dim(nc, "sector", s->nsec, &ds));
    const char *yn = s->coords == COORD_1D ? "lat" : "south_north";
    const char *xn = s->coords == COORD_1D ? "lon" : "west_east";
    NC(nc_def_dim(nc, yn, s->nlat, &dy));
    NC(nc_def_dim(nc, xn, s->nlon, &dx));
    int vlon = -1, vlat = -1, vsec = -1, vlb = -1, vtb = -1, db = -1;
    if (s->coords == COORD_1D) {
        NC(nc_def_var(nc, "lon", NC_DOUBLE, 1, &dx, &vlon));
        NC(nc_def_var(nc, "lat", NC_DOUBLE, 1, &dy, &vlat));
        NC(nc_put_att_text(nc, vlon, "units", 12, "degrees_east"));
        NC(nc_put_att_text(nc, vlat, "units", 13, "degrees_north"));
        if (s->bnds_half > 0) {
            NC(nc_def_dim(nc, "nv", 2, &db));
            int d2[2] = {dx, db};
            NC(nc_def_var(nc, "lon_bnds", NC_DOUBLE, 2, d2, &vlb));
            d2[0] = dy;
            NC(nc_def_var(nc, "lat_bnds", NC_DOUBLE, 2, d2, &vtb));
            NC(nc_put_att_text(nc, vlon, "bounds", 8, "lon_bnds"));
        }
    } else if (s->coords == COORD_2D) {
        int d2[2] = {dy, dx};
        NC(nc_def_var(nc, "XLONG", NC_DOUBLE, 2, d2, &vlon));
        NC(nc_def_var(nc, "XLAT", NC_DOUBLE, 2, d2, &vlat));
    }
    if (s->nsec && !s->no_sector_names) {
        if (s->sector_char) {
            NC(nc_def_dim(nc, "strlen", 16, &dl));
            int d2[2] = {ds, dl};
            NC(nc_def_var(nc, "sector", NC_CHAR, 2, d2, &vsec));
        } else {
            NC(nc_def_var(nc, "sector", NC_STRING, 1, &ds, &vsec));
        }
    }
    int nd = (int)strlen(s->order), dims[4], vars[9];
    size_t len[4];
    for (int k = 0; k < nd; k++) {
        char c = s->order[k];
        dims[k] = c == 'm' ? dm : c == 's' ? ds : c == 'y' ? dy : dx;
        len[k] = c == 'm' ? (size_t)s->nmonth : c == 's' ? (size_t)s->nsec
               : c == 'y' ? (size_t)s->nlat : (size_t)s->nlon;
    }
    for (int p = 0; p < s->nsp; p++) {
        NC(nc_def_var(nc, s->names[p], s->vtype, nd, dims, &vars[p]));
        if (s->units[p])
            NC(nc_put_att_text(nc, vars[p], "units", strlen(s->units[p]), s->units[p]));
        if (s->cm[p])
            NC(nc_put_att_text(nc, vars[p], "cell_methods", strlen(s->cm[p]), s->cm[p]));
        if (s->fill[p] != FILL_NONE) {
            double f = s->fill[p] == FILL_BIG ? 1e20 : NAN;
            if (s->vtype == NC_FLOAT) {
                float ff = (float)f;
                NC(nc_put_att_float(nc, vars[p], "_FillValue", NC_FLOAT, 1, &ff));
            } else {
                NC(nc_put_att_double(nc, vars[p], "_FillValue", NC_DOUBLE, 1, &f));
            }
        }
    }
    NC(nc_enddef(nc));
    if (s->coords == COORD_1D) {
        double *v = malloc((s->nlon > s->nlat ? s->nlon : s->nlat) * 2 * sizeof *v);
        for (int i = 0; i < s->nlon; i++) v[i] = lonc(s, i);
        NC(nc_put_var_double(nc, vlon, v));
        for (int j = 0; j < s->nlat; j++) v[j] = latc(s, j);
        NC(nc_put_var_double(nc, vlat, v));
        if (s->bnds_half > 0) {
            for (int i = 0; i < s->nlon; i++)
                v[2 * i] = lonc(s, i) - s->bnds_half, v[2 * i + 1] = lonc(s, i) + s->bnds_half;
            NC(nc_put_var_double(nc, vlb, v));
            for (int j = 0; j < s->nlat; j++)
                v[2 * j] = latc(s, j) + s->bnds_half, v[2 * j + 1] = latc(s, j) - s->bnds_half;
            NC(nc_put_var_double(nc, vtb, v));
        }
        free(v);
    } else if (s->coords == COORD_2D) {
        NC(nc_put_var_double(nc, vlat, grid.lat));
        NC(nc_put_var_double(nc, vlon, grid.lon));
    }
    if (vsec >= 0) {
        if (s->sector_char) {
            char buf[12 * 16];
            memset(buf, ' ', sizeof buf);
            for (int k = 0; k < s->nsec; k++) memcpy(buf + 16 * k, s->sectors[k], strlen(s->sectors[k]));
            NC(nc_put_var_text(nc, vsec, buf));
        } else {
            NC(nc_put_var_string(nc, vsec, (const char **)s->sectors));
        }
    }
    size_t total = 1;
    for (int k = 0; k < nd; k++) total *= len[k];
    double *v = malloc(total * sizeof *v);
    for (int p = 0; p < s->nsp; p++) {
        for (size_t q = 0; q < total; q++) {
            size_t r = q;
            int idx[4] = {0, 0, 0, 0}; /* m, s, y, x */
            for (int k = nd - 1; k >= 0; k--) {
                int c = (int)(r % len[k]);
                r /= len[k];
                idx[strchr("msyx", s->order[k]) - "msyx"] = c;
            }
            double x = s->fn(p, idx[1], idx[0], idx[2], idx[3]);
            if (isnan(x) && s->fill[p] == FILL_BIG && !s->keep_nan) x = 1e20;
            v[q] = x;
        }
        NC(nc_put_var_double(nc, vars[p], v));
    }
    free(v);
    NC(nc_close(nc));
}

static void path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

static void load_ok(Inventory *inv, const char *path)
{
    BgErr e = {0};
    int rc = inventory_load(inv, path, &grid, &e);
    if (rc) print_error("%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
}

static double sum_rate(const Inventory *inv, int isp, int isec, double t)
{
    size_t n2 = (size_t)inv->nx * inv->ny;
    double *r = malloc(n2 * sizeof *r), s = 0;
    inventory_rate(inv, isp, isec, t, r);
    for (size_t n = 0; n < n2; n++) s += r[n];
    free(r);
    return s;
}

static double field_sum(const Inventory *inv, int isp, int isec, int mon)
{
    size_t n2 = (size_t)inv->nx * inv->ny;
    const double *f = inv->field + (((size_t)isp * inv->nsector + isec) * inv->nmonth + mon) * n2;
    double s = 0;
    for (size_t n = 0; n < n2; n++) s += f[n];
    return s;
}

static double cell_area(double lat_c, double hl, double ht)
{
    return R_EARTH * R_EARTH * 2 * hl * D2R * (sin((lat_c + ht) * D2R) - sin((lat_c - ht) * D2R));
}

/* ------------------------------------------------------------------------------------------
 * (a) EDGAR-like */

static int in_ocean(double lon, double lat) { return lon > 88 && lon < 89 && lat > 44 && lat < 45; }

static Spec edgar_spec;

static double edgar_fn(int sp, int sec, int mon, int j, int i)
{
    (void)mon;
    double lon = lonc(&edgar_spec, i), lat = latc(&edgar_spec, j);
    if (lon > 180) lon -= 360; /* the field is a function of the place, whatever the convention */
    if (in_ocean(lon, lat)) return NAN;
    return 1e-10 * (1 + sec + sp) * (1 + 0.5 * sin(0.1 * lon / 0.25) * cos(0.3 * lat / 0.25));
}

static void edgar_like(Spec *s, int convention_360)
{
    spec_init(s);
    s->nlon = 1440;
    s->nlat = 40;
    s->dlon = 0.25;
    s->lon0 = convention_360 ? 0.125 : -179.875;
    s->dlat = convention_360 ? -0.25 : 0.25;
    s->lat0 = convention_360 ? 47.875 : 38.125;
    s->order = convention_360 ? "sxy" : "syx";
    s->nsec = 3;
    s->sectors[0] = "ENE", s->sectors[1] = "RCO", s->sectors[2] = "TRO";
    s->nsp = 2;
    s->names[0] = "SO2", s->names[1] = "NOx";
    s->units[0] = s->units[1] = "kg m-2 s-1";
    s->fill[0] = FILL_BIG;
    s->fill[1] = FILL_NAN;
    s->fn = edgar_fn;
}

static void test_edgar_like(void **state)
{
    (void)state;
    char p360[256], p180[256];
    path_of(p360, sizeof p360, "edgar360.nc");
    path_of(p180, sizeof p180, "edgar180.nc");
    edgar_like(&edgar_spec, 1);
    write_inv(p360, &edgar_spec);
    /* Hand total: sum of value x R^2 dlon (sin lat_n - sin lat_s), cells of 0.25 degree. */
    double expect[2] = {0, 0};
    for (int sp = 0; sp < 2; sp++)
        for (int sec = 0; sec < 3; sec++)
            for (int j = 0; j < edgar_spec.nlat; j++)
                for (int i = 0; i < edgar_spec.nlon; i++) {
                    double v = edgar_fn(sp, sec, 0, j, i);
                    if (!isnan(v))
                        expect[sp] += v * cell_area(latc(&edgar_spec, j), 0.125, 0.125);
                }
    Inventory a, b;
    load_ok(&a, p360);
    edgar_like(&edgar_spec, 0);
    write_inv(p180, &edgar_spec);
    load_ok(&b, p180);
    assert_int_equal(a.nspec, 2);
    assert_int_equal(a.nsector, 3);
    assert_int_equal(a.nmonth, 1);
    assert_string_equal(a.sectors[2], "TRO");
    assert_string_equal(a.species[1], "NOx");
    assert_int_equal(a.kind[0], 0);
    assert_int_equal(a.on_model_grid, 0);
    for (int sp = 0; sp < 2; sp++) {
        double in = a.inside_kg_s[sp], out = a.outside_kg_s[sp], tot = a.total_kg_s[sp];
        print_message("EDGAR-like %s: total %.12e kg/s (hand %.12e), inside %.6e, outside "
                      "%.6e reported; (in+out)/total - 1 = %.1e\n",
                      a.species[sp], tot, expect[sp], in, out, (in + out) / tot - 1);
        assert_close(tot / expect[sp], 1.0, 1e-12);
        assert_close((in + out) / tot, 1.0, 1e-9);
        assert_true(out > 0.9 * tot && in > 0);
        /* The same from the fields: sum of inventory_rate over cells and sectors. */
        double r = 0;
        for (int sec = 0; sec < 3; sec++) r += sum_rate(&a, sp, sec, tparse("2024-01-10T00Z"));
        assert_close(r / in, 1.0, 1e-12);
        /* 0..360 (lon, lat) descending vs -180..180 (lat, lon) ascending: the same fields. */
        assert_close(b.total_kg_s[sp] / tot, 1.0, 1e-12);
        assert_close(b.inside_kg_s[sp] / in, 1.0, 1e-12);
    }
    size_t n2 = (size_t)grid.nx * grid.ny, nf = 2 * 3 * n2;
    double worst = 0, peak = 0;
    for (size_t n = 0; n < nf; n++) {
        worst = fmax(worst, fabs(a.field[n] - b.field[n]));
        peak = fmax(peak, a.field[n]);
    }
    print_message("EDGAR-like: 0..360 vs -180..180 fields, max |diff| %.1e of peak %.3e kg/s\n",
                  worst, peak);
    assert_true(worst <= 1e-12 * peak);
    /* A model cell in the middle of the fill patch (_FillValue 1e20 and NaN fill) emits nothing;
     * one outside it does. */
    double fi, fj;
    assert_int_equal(grid_locate(&grid, 88.5, 44.5, &fi, &fj), BG_OK);
    size_t n = (size_t)lround(fj) * grid.nx + (size_t)lround(fi);
    assert_int_equal(grid_locate(&grid, 87.5, 43.5, &fi, &fj), BG_OK);
    size_t m = (size_t)lround(fj) * grid.nx + (size_t)lround(fi);
    for (int sp = 0; sp < 2; sp++)
        for (int sec = 0; sec < 3; sec++) {
            assert_true(a.field[(sp * 3 + sec) * n2 + n] == 0.0);
            assert_true(a.field[(sp * 3 + sec) * n2 + m] > 0.0);
        }
    inventory_free(&a);
    inventory_free(&b);
}

/* ------------------------------------------------------------------------------------------
 * (b) MEIC-like: 0.05 degree, Mg/month per cell, 12 months, char sector names */

static Spec meic_spec;
static int meic_jp, meic_ip; /* the cell holding the "power plant" */

static double meic_fn(int sp, int sec, int mon, int j, int i)
{
    if (sec == 0) /* power: one stack, 1 Mg in January (SO2), 2 Mg in other months */
        return j == meic_jp && i == meic_ip ? (sp == 0 && mon == 0 ? 1.0 : 2.0 + sp) : 0.0;
    return 0.01 * (1 + sec) * (1 + mon) * (1 + 0.3 * sin(i + 2.0 * j)) * (1 + sp);
}

static void meic_like(Spec *s, const char *order)
{
    spec_init(s);
    s->nlon = 70;
    s->nlat = 32;
    s->lon0 = 86.025;
    s->lat0 = 43.025;
    s->dlon = s->dlat = 0.05;
    s->order = order;
    s->nsec = 3;
    s->sectors[0] = "power", s->sectors[1] = "industry", s->sectors[2] = "residential";
    s->sector_char = 1;
    s->nsp = 2;
    s->names[0] = "SO2", s->names[1] = "NOx";
    s->units[0] = s->units[1] = "Mg/month";
    s->cm[0] = s->cm[1] = "time: sum area: sum";
    s->fn = meic_fn;
    /* The source cell nearest to the centre of model cell [15,20]: its 0.05-degree box lies in
     * that 12-km cell. */
    size_t c = 15 * 40 + 20;
    meic_ip = (int)lround((grid.lon[c] - s->lon0) / s->dlon);
    meic_jp = (int)lround((grid.lat[c] - s->lat0) / s->dlat);
}

static void test_meic_like(void **state)
{
    (void)state;
    char p[256];
    path_of(p, sizeof p, "meic.nc");
    meic_like(&meic_spec, "msyx");
    write_inv(p, &meic_spec);
    Inventory inv;
    load_ok(&inv, p);
    assert_int_equal(inv.nmonth, 12);
    assert_int_equal(inv.kind[0], 1);
    assert_string_equal(inv.sectors[1], "industry");
    int so2 = inventory_species_index(&inv, "SO2"), pw = inventory_sector_index(&inv, "power");
    int ind = inventory_sector_index(&inv, "industry");
    assert_int_equal(so2, 0);
    assert_int_equal(pw, 0);
    assert_int_equal(inventory_sector_index(&inv, "shipping"), -1);
    assert_int_equal(inventory_species_index(&inv, "O3"), -1);
    size_t n2 = (size_t)grid.nx * grid.ny;

    /* The stack lands in the model cell that contains it: 1 Mg = 1000 kg in January. */
    const double *jan = inv.field + ((size_t)(so2 * 3 + pw) * 12 + 0) * n2;
    for (size_t n = 0; n < n2; n++) assert_true(jan[n] == (n == 15 * 40 + 20 ? 1000.0 : 0.0));
    /* 1 Mg/month in January 2024 = 1000 / (31 x 86400) kg/s. */
    double rj = sum_rate(&inv, so2, pw, tparse("2024-01-15T12Z"));
    print_message("MEIC-like: 1 Mg in January -> %.15e kg/s (hand 1000/(31*86400) = %.15e)\n", rj,
                  1000.0 / (31 * DAY));
    assert_close(rj / (1000.0 / (31 * DAY)), 1.0, 1e-14);

    /* February 2024 (29 days) against February 2023 (28): exactly 28/29, cell by cell. */
    double *r24 = malloc(n2 * sizeof *r24), *r23 = malloc(n2 * sizeof *r23);
    inventory_rate(&inv, so2, ind, tparse("2024-02-10T00Z"), r24);
    inventory_rate(&inv, so2, ind, tparse("2023-02-10T00Z"), r23);
    double worst = 0, s24 = 0, s23 = 0;
    for (size_t n = 0; n < n2; n++)
        if (r23[n] > 0) {
            worst = fmax(worst, fabs(r24[n] / r23[n] - 28.0 / 29.0));
            s24 += r24[n], s23 += r23[n];
        }
    print_message("MEIC-like: February 2024 / February 2023 = %.16f (28/29 = %.16f), worst cell "
                  "|ratio - 28/29| %.1e\n",
                  s24 / s23, 28.0 / 29.0, worst);
    assert_true(worst < 1e-15);
    /* The month boundary: 2024-02-29T23:59 is February, 2024-03-01T00:00 is March. */
    double feb = sum_rate(&inv, so2, ind, tparse("2024-02-29T23:59Z"));
    double mar = sum_rate(&inv, so2, ind, tparse("2024-03-01T00:00Z"));
    assert_close(feb / (field_sum(&inv, so2, ind, 1) / (29 * DAY)), 1.0, 1e-14);
    assert_close(mar / (field_sum(&inv, so2, ind, 2) / (31 * DAY)), 1.0, 1e-14);

    /* Fully inside: every month of every sector conserved, nothing outside. */
    double hand = 0;
    for (int sp = 0; sp < 2; sp++) {
        hand = 0;
        double wfield = 0;
        for (int sec = 0; sec < 3; sec++)
            for (int mon = 0; mon < 12; mon++) {
                double h = 0;
                for (int j = 0; j < 32; j++)
                    for (int i = 0; i < 70; i++) h += 1000.0 * meic_fn(sp, sec, mon, j, i);
                double f = field_sum(&inv, sp, sec, mon);
                wfield = fmax(wfield, fabs(f / h - 1));
                hand += h / (365 * DAY);
            }
        print_message("MEIC-like %s: total %.12e kg/s (hand %.12e), outside %g, worst "
                      "(sector, month) field vs source %.1e\n",
                      inv.species[sp], inv.total_kg_s[sp], hand, inv.outside_kg_s[sp], wfield);
        assert_close(inv.total_kg_s[sp] / hand, 1.0, 1e-12);
        assert_close(inv.inside_kg_s[sp] / hand, 1.0, 1e-9);
        assert_true(inv.outside_kg_s[sp] == 0.0);
        assert_true(wfield < 1e-12);
    }

    /* A run holds the months of its window only (inventory_load_months): the same rates bit for
     * bit in those months, NaN outside them, the same whole-year totals and checks. */
    assert_int_equal(inventory_months_of(tparse("2024-01-10T00Z"), tparse("2024-01-20T00Z")), 0x1);
    assert_int_equal(inventory_months_of(tparse("2024-12-25T00Z"), tparse("2025-01-05T00Z")), 0x801);
    assert_int_equal(inventory_months_of(tparse("2024-01-01T00Z"), tparse("2025-01-01T00Z")), 0xfff);
    Inventory part;
    BgErr e = {0};
    assert_int_equal(inventory_load_months(&part, p, &grid, 0x3, &e), BG_OK);
    assert_int_equal(part.nkeep, 2);
    assert_int_equal(inventory_nstored(&part), 2);
    assert_true(part.slot[0] == 0 && part.slot[1] == 1 && part.slot[2] == -1 && part.slot[11] == -1);
    long ndiff = 0;
    const char *times[] = {"2024-01-15T12Z", "2024-02-29T23:59Z", "2023-02-01T00Z"};
    for (int sp = 0; sp < inv.nspec; sp++) {
        assert_true(part.total_kg_s[sp] == inv.total_kg_s[sp]);
        assert_true(part.inside_kg_s[sp] == inv.inside_kg_s[sp]);
        assert_true(part.outside_kg_s[sp] == inv.outside_kg_s[sp]);
        for (int sec = 0; sec < inv.nsector; sec++) {
            assert_int_equal(part.nonzero[sp * inv.nsector + sec], inv.nonzero[sp * inv.nsector + sec]);
            for (int q = 0; q < 3; q++) {
                inventory_rate(&inv, sp, sec, tparse(times[q]), r24);
                inventory_rate(&part, sp, sec, tparse(times[q]), r23);
                ndiff += memcmp(r24, r23, n2 * sizeof *r24) != 0;
            }
            inventory_rate(&part, sp, sec, tparse("2024-03-01T00Z"), r23);
            assert_true(isnan(r23[0]) && isnan(r23[n2 - 1]));
        }
    }
    print_message("MEIC-like, January and February held (%d of 12 months): %ld differing rate fields, same "
                  "totals, March NaN\n", part.nkeep, ndiff);
    assert_int_equal(ndiff, 0);
    inventory_free(&part);
    free(r24);
    free(r23);
    inventory_free(&inv);
}

/* ------------------------------------------------------------------------------------------
 * (c) t/yr per cell with *_bnds and the sector dimension last; a flux density on the same
 * narrower bounds. */

static double tyr_fn(int sp, int sec, int mon, int j, int i)
{
    (void)sec, (void)mon, (void)j, (void)i;
    return sp == 0 ? 1.0 : 2e-10;
}

static void test_tyr_and_bounds(void **state)
{
    (void)state;
    Spec s;
    spec_init(&s);
    s.nlon = 30, s.nlat = 15, s.lon0 = 86.05, s.lat0 = 43.05, s.dlon = s.dlat = 0.1;
    s.order = "yxs";
    s.nsec = 1;
    s.sectors[0] = "industry";
    s.nsp = 2;
    s.names[0] = "CO", s.names[1] = "NH3";
    s.units[0] = "t/yr", s.units[1] = "kg m-2 s-1";
    s.cm[0] = "area: sum";
    s.bnds_half = 0.04; /* cells 0.08 degree wide with gaps: the bounds, not the centres, count */
    s.fn = tyr_fn;
    char p[256];
    path_of(p, sizeof p, "tyr.nc");
    write_inv(p, &s);
    Inventory inv;
    load_ok(&inv, p);
    int co = inventory_species_index(&inv, "CO"), nh3 = inventory_species_index(&inv, "NH3");
    assert_int_equal(inv.kind[co], 2);
    assert_int_equal(inv.kind[nh3], 0);
    double r23 = sum_rate(&inv, co, 0, tparse("2023-06-01T00Z"));
    double r24 = sum_rate(&inv, co, 0, tparse("2024-06-01T00Z"));
    double h23 = 450 * 1000.0 / (365 * DAY), h24 = 450 * 1000.0 / (366 * DAY);
    print_message("t/yr: 450 cells x 1 t/yr -> %.15e kg/s in 2023 (hand %.15e), %.15e in 2024 "
                  "(hand %.15e)\n",
                  r23, h23, r24, h24);
    assert_close(r23 / h23, 1.0, 1e-13);
    assert_close(r24 / h24, 1.0, 1e-13);
    assert_close(inv.total_kg_s[co] / h23, 1.0, 1e-13);
    double a = 0;
    for (int j = 0; j < 15; j++) a += 30 * cell_area(43.05 + 0.1 * j, 0.04, 0.04);
    double rn = sum_rate(&inv, nh3, 0, tparse("2023-06-01T00Z"));
    print_message("flux on 0.08-degree bounds: %.15e kg/s, hand 2e-10 x %.6e m2 = %.15e\n", rn, a,
                  2e-10 * a);
    assert_close(rn / (2e-10 * a), 1.0, 1e-12);
    inventory_free(&inv);
}

/* ------------------------------------------------------------------------------------------
 * Unit conversions against hand-computed numbers: one non-zero 0.1-degree cell per species. */

static double units_fn(int sp, int sec, int mon, int j, int i)
{
    (void)sec, (void)mon;
    static const double v[9] = {1e-9, 2.0, 3.0, 0.5, 1.0, 10.0, 0.01, 1e-7, 1e-6};
    return j == 5 && i == 7 ? v[sp] : 0.0;
}

static void test_unit_conversions(void **state)
{
    (void)state;
    Spec s;
    spec_init(&s);
    s.nlon = 20, s.nlat = 10, s.lon0 = 87.05, s.lat0 = 43.55, s.dlon = s.dlat = 0.1;
    s.order = "syx";
    s.nsec = 1;
    s.sectors[0] = "all";
    s.nsp = 9;
    const char *names[9] = {"SO2", "NOx", "NH3", "VOC", "CO", "PM25", "PM10", "BC", "OC"};
    const char *units[9] = {"kg m-2 s-1", "Mg km-2 yr-1", "g m-2 month-1", "kg/s", "Mg/month",
                            "t/yr",       "Gg a-1",       "kg m-2 h-1",    "kg/(m2 d)"};
    const int area_sum[9] = {0, 0, 0, 1, 1, 1, 1, 0, 0};
    for (int k = 0; k < 9; k++) {
        s.names[k] = names[k];
        s.units[k] = units[k];
        s.cm[k] = area_sum[k] ? "area: sum" : NULL;
    }
    s.fn = units_fn;
    char p[256];
    path_of(p, sizeof p, "units.nc");
    write_inv(p, &s);
    Inventory inv;
    load_ok(&inv, p);
    assert_int_equal(inv.nspec, 9);
    const double A = cell_area(43.55 + 0.5, 0.05, 0.05), Y = 365 * DAY;
    /* April 2023 (30 days), a non-leap year. */
    const double hand[9] = {
        1e-9 * A,                   /* kg m-2 s-1 */
        2.0 * 1e3 / 1e6 * A / Y,    /* Mg km-2 yr-1: 1 Mg/km2 = 1e-3 kg/m2 */
        3.0 * 1e-3 * A / (30 * DAY), /* g m-2 month-1 in April */
        0.5,                        /* kg/s per cell */
        1.0 * 1e3 / (30 * DAY),     /* Mg/month in April */
        10.0 * 1e3 / Y,             /* t/yr */
        0.01 * 1e6 / Y,             /* Gg per annum */
        1e-7 * A / 3600.0,          /* kg m-2 h-1: the hour is a fixed length */
        1e-6 * A / DAY,             /* kg m-2 d-1 */
    };
    const int kind[9] = {0, 2, 1, 0, 1, 2, 2, 0, 0};
    double t = tparse("2023-04-20T06:00Z");
    for (int k = 0; k < 9; k++) {
        int sp = inventory_species_index(&inv, names[k]);
        assert_true(sp >= 0);
        double r = sum_rate(&inv, sp, 0, t);
        print_message("%-4s %-14s -> %.12e kg/s, hand %.12e (kind %d)\n", names[k], units[k], r,
                      hand[k], inv.kind[sp]);
        assert_int_equal(inv.kind[sp], kind[k]);
        assert_close(r / hand[k], 1.0, 1e-12);
    }
    inventory_free(&inv);
}

/* ------------------------------------------------------------------------------------------
 * On the model grid: identity */

static double grid_fn(int sp, int sec, int mon, int j, int i)
{
    (void)mon;
    return 1e-3 * (1 + sp + sec) * (1 + j + 0.01 * i);
}

static double grid_flux_fn(int sp, int sec, int mon, int j, int i)
{
    return 1e-7 * grid_fn(sp, sec, mon, j, i);
}

static void test_model_grid_identity(void **state)
{
    (void)state;
    Spec s;
    spec_init(&s);
    s.nlon = grid.nx, s.nlat = grid.ny;
    s.coords = COORD_2D;
    s.order = "syx";
    s.nsec = 2;
    s.sectors[0] = "a", s.sectors[1] = "b";
    s.nsp = 1;
    s.names[0] = "VOC";
    s.units[0] = "kg/s";
    s.cm[0] = "area: sum";
    s.fn = grid_fn;
    char p[256];
    path_of(p, sizeof p, "ongrid.nc");
    write_inv(p, &s);
    Inventory inv;
    load_ok(&inv, p);
    assert_int_equal(inv.on_model_grid, 1);
    size_t n2 = (size_t)grid.nx * grid.ny;
    for (int sec = 0; sec < 2; sec++)
        for (int j = 0; j < grid.ny; j++)
            for (int i = 0; i < grid.nx; i++)
                assert_true(inv.field[sec * n2 + (size_t)j * grid.nx + i] == grid_fn(0, sec, 0, j, i));
    assert_true(inv.outside_kg_s[0] == 0.0);
    inventory_free(&inv);

    /* No coordinates, dims (sector, west_east, south_north), a flux density: value x true
     * cell area. */
    s.coords = COORD_NONE;
    s.order = "sxy";
    s.units[0] = "kg m-2 s-1";
    s.cm[0] = NULL;
    path_of(p, sizeof p, "ongrid_nocoords.nc");
    s.fn = grid_flux_fn;
    write_inv(p, &s);
    load_ok(&inv, p);
    assert_int_equal(inv.on_model_grid, 1);
    double worst = 0;
    for (int j = 0; j < grid.ny; j++)
        for (int i = 0; i < grid.nx; i++) {
            size_t n = (size_t)j * grid.nx + i;
            worst = fmax(worst,
                         fabs(inv.field[n] / (grid_flux_fn(0, 0, 0, j, i) * grid.area[n]) - 1));
        }
    print_message("model grid without coordinates, transposed: max rel error %.1e\n", worst);
    assert_true(worst < 1e-15);
    inventory_free(&inv);
}

/* ------------------------------------------------------------------------------------------
 * Thread count: bitwise identical fields */

static void test_threads_bitwise(void **state)
{
    (void)state;
    char p[256];
    path_of(p, sizeof p, "meic_threads.nc");
    meic_like(&meic_spec, "ysxm"); /* any dimension order */
    write_inv(p, &meic_spec);
    Inventory a, b;
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    load_ok(&a, p);
    omp_set_num_threads(2);
    load_ok(&b, p);
    omp_set_num_threads(nt);
    size_t nf = (size_t)a.nspec * a.nsector * a.nmonth * a.nx * a.ny;
    assert_memory_equal(a.field, b.field, nf * sizeof *a.field);
    assert_memory_equal(a.total_kg_s, b.total_kg_s, a.nspec * sizeof(double));
    /* and the same numbers as the (month, sector, lat, lon) file */
    Inventory c;
    path_of(p, sizeof p, "meic.nc");
    load_ok(&c, p);
    assert_memory_equal(a.field, c.field, nf * sizeof *a.field);
    print_message("1 vs 2 threads and (lat, sector, lon, month) vs (month, sector, lat, lon): "
                  "%zu values bitwise equal\n",
                  nf);
    inventory_free(&a);
    inventory_free(&b);
    inventory_free(&c);
}

/* ------------------------------------------------------------------------------------------
 * Refusals */

static int bad_mode;

static double bad_fn(int sp, int sec, int mon, int j, int i)
{
    (void)sp, (void)sec, (void)mon;
    if (j == 2 && i == 3) {
        if (bad_mode == 1) return NAN;
        if (bad_mode == 2) return -1e-12;
        if (bad_mode == 3) return 1.0;
        if (bad_mode == 4) return NC_FILL_DOUBLE;
    }
    return 1e-10;
}

static void small_spec(Spec *s)
{
    spec_init(s);
    s->nlon = 10, s->nlat = 6, s->lon0 = 87.0, s->lat0 = 43.5, s->dlon = s->dlat = 0.1;
    s->order = "syx";
    s->nsec = 1;
    s->sectors[0] = "all";
    s->nsp = 2;
    s->names[0] = "CO", s->names[1] = "SO2";
    s->units[0] = "kg m-2 s-1", s->units[1] = "kg m-2 s-1";
    s->fn = bad_fn;
}

static void expect_refusal(const char *name, const Spec *s, const char *item, const char *what)
{
    char p[256], want[320];
    path_of(p, sizeof p, name);
    write_inv(p, s);
    Inventory inv;
    BgErr e = {0};
    int rc = inventory_load(&inv, p, &grid, &e);
    print_message("refused: %s\n", e.msg);
    assert_int_equal(rc, BG_EINPUT);
    snprintf(want, sizeof want, "%s:%s:", p, item);
    assert_non_null(strstr(e.msg, want));
    assert_non_null(strstr(e.msg, what));
    assert_null(inv.field);
}

static void test_refusals(void **state)
{
    (void)state;
    Spec s;
    small_spec(&s);
    bad_mode = 1; /* NaN, no _FillValue */
    expect_refusal("nan.nc", &s, "SO2", "NaN");
    s.fill[1] = FILL_BIG; /* a _FillValue that is not NaN does not make NaN missing */
    s.keep_nan = 1;
    expect_refusal("nan_fill.nc", &s, "SO2", "NaN");
    s.fill[1] = FILL_NONE;
    s.keep_nan = 0;
    bad_mode = 2;
    expect_refusal("negative.nc", &s, "SO2", "negative");
    bad_mode = 3; /* 1 kg m-2 s-1 */
    expect_refusal("slip.nc", &s, "SO2", "unit slip");
    bad_mode = 4; /* the NetCDF default fill without a _FillValue attribute */
    expect_refusal("defaultfill.nc", &s, "SO2", "default fill");
    bad_mode = 0;
    s.units[1] = "furlongs";
    expect_refusal("furlongs.nc", &s, "SO2", "furlongs");
    s.units[1] = "kg";
    expect_refusal("kg.nc", &s, "SO2", "neither a flux density");
    s.units[1] = "ppb";
    expect_refusal("ppb.nc", &s, "SO2", "ppb");
    s.units[1] = "Mg/month"; /* an amount without cell_methods = "area: sum" */
    expect_refusal("noareasum.nc", &s, "SO2", "area: sum");
    s.units[1] = "ton/yr";
    s.cm[1] = "area: sum";
    expect_refusal("ton.nc", &s, "SO2", "ambiguous");
    s.units[1] = "Mg/month/yr";
    expect_refusal("twocal.nc", &s, "SO2", "more than one calendar");
    s.units[1] = "kg m-2 s-1";
    s.cm[1] = NULL;
    /* missing sector dimension */
    s.nsec = 0;
    s.order = "yx";
    expect_refusal("nosector.nc", &s, "SO2", "no 'sector' dimension");
    /* a sector dimension without names */
    s.nsec = 1;
    s.order = "syx";
    s.no_sector_names = 1;
    expect_refusal("nosectornames.nc", &s, "sector", "naming the sectors");
    s.no_sector_names = 0;
    /* a month dimension of 11 */
    s.order = "msyx";
    s.nmonth = 11;
    expect_refusal("month11.nc", &s, "month", "not 12");
    s.nmonth = 12;
    s.order = "syx";
    /* no lon/lat, and dimensions that are not the model grid */
    s.coords = COORD_NONE;
    expect_refusal("nolonlat.nc", &s, "SO2", "no lon/lat");
    /* XLAT/XLONG of the model's shape but displaced */
    Spec g;
    spec_init(&g);
    g.nlon = grid.nx, g.nlat = grid.ny, g.coords = COORD_2D, g.order = "syx", g.nsec = 1;
    g.sectors[0] = "all", g.nsp = 1, g.names[0] = "CO", g.units[0] = "kg/s",
    g.cm[0] = "area: sum", g.fn = grid_fn;
    char p[256];
    path_of(p, sizeof p, "shifted.nc");
    write_inv(p, &g);
    int nc, v;
    NC(nc_open(p, NC_WRITE, &nc));
    NC(nc_inq_varid(nc, "XLONG", &v));
    double *lon = malloc((size_t)grid.nx * grid.ny * sizeof *lon);
    for (int k = 0; k < grid.nx * grid.ny; k++) lon[k] = grid.lon[k] + 0.05;
    NC(nc_put_var_double(nc, v, lon));
    NC(nc_close(nc));
    free(lon);
    Inventory inv;
    BgErr e = {0};
    assert_int_equal(inventory_load(&inv, p, &grid, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, ":XLONG:"));
    /* no species at all */
    small_spec(&s);
    s.nsp = 1;
    s.names[0] = "O3";
    path_of(p, sizeof p, "nospecies.nc");
    write_inv(p, &s);
    memset(&e, 0, sizeof e);
    assert_int_equal(inventory_load(&inv, p, &grid, &e), BG_EINPUT);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "no emission species"));
    /* a file that does not exist */
    memset(&e, 0, sizeof e);
    path_of(p, sizeof p, "absent.nc");
    assert_int_equal(inventory_load(&inv, p, &grid, &e), BG_EINPUT);
    assert_non_null(strstr(e.msg, p));
}

/* A single NaN-filled cell is accepted where _FillValue is NaN, and other species and sectors
 * stay; PM2.5 and NMVOC spellings map to the DESIGN names. */
static void test_nan_fill_and_aliases(void **state)
{
    (void)state;
    Spec s;
    small_spec(&s);
    bad_mode = 1;
    s.fill[0] = s.fill[1] = FILL_NAN;
    s.names[0] = "PM2.5", s.names[1] = "NMVOC";
    char p[256];
    path_of(p, sizeof p, "alias.nc");
    write_inv(p, &s);
    Inventory inv;
    load_ok(&inv, p);
    bad_mode = 0;
    assert_int_equal(inventory_species_index(&inv, "PM25"), 1);
    assert_int_equal(inventory_species_index(&inv, "VOC"), 0);
    assert_string_equal(inv.varnames[1], "PM2.5");
    double expect = 0;
    for (int j = 0; j < 6; j++)
        for (int i = 0; i < 10; i++)
            if (!(j == 2 && i == 3)) expect += 1e-10 * cell_area(43.5 + 0.1 * j, 0.05, 0.05);
    assert_close(inv.total_kg_s[0] / expect, 1.0, 1e-12);
    inventory_free(&inv);

    /* Packed values: scale_factor and add_offset apply (CF 8.1). */
    int nc, v;
    double two = 2.0, off = 1e-10;
    NC(nc_open(p, NC_WRITE, &nc));
    NC(nc_redef(nc));
    NC(nc_inq_varid(nc, "NMVOC", &v));
    NC(nc_put_att_double(nc, v, "scale_factor", NC_DOUBLE, 1, &two));
    NC(nc_put_att_double(nc, v, "add_offset", NC_DOUBLE, 1, &off));
    NC(nc_close(nc));
    load_ok(&inv, p);
    assert_close(inv.total_kg_s[0] / (3 * expect), 1.0, 1e-12);
    inventory_free(&inv);
}

/* ------------------------------------------------------------------------------------------
 * Load time: 0.05 degree over 76-94 E, 40-49 N, 12 sectors x 12 months, onto 200 x 120 at 4 km */

static double big_fn(int sp, int sec, int mon, int j, int i)
{
    return 1e-3 * (1 + sp) * (1 + sec) * (1 + mon) * (1 + ((i * 7 + j * 3) % 5));
}

static void test_load_time_benchmark_grid(void **state)
{
    (void)state;
    Grid g4;
    assert_int_equal(make_grid(&g4, "met4", 200, 120, 4000), 0);
    Spec s;
    spec_init(&s);
    s.nlon = 360, s.nlat = 180, s.lon0 = 76.025, s.lat0 = 48.975, s.dlon = 0.05, s.dlat = -0.05;
    s.order = "msyx";
    s.nsec = 12;
    const char *sec[12] = {"power",       "steel",           "cement",         "coke",
                           "petrochemical", "coal_chemical", "other_industry", "residential",
                           "transport_heavy", "transport_light", "agriculture", "other"};
    for (int k = 0; k < 12; k++) s.sectors[k] = sec[k];
    s.nsp = 2;
    s.names[0] = "SO2", s.names[1] = "PM25";
    s.units[0] = s.units[1] = "Mg/month";
    s.cm[0] = s.cm[1] = "area: sum";
    s.vtype = NC_FLOAT;
    s.fn = big_fn;
    char p[256];
    path_of(p, sizeof p, "big.nc");
    write_inv(p, &s);
    Inventory inv;
    BgErr e = {0};
    double t0 = now();
    int rc = inventory_load(&inv, p, &g4, &e);
    double t1 = now();
    if (rc) print_error("%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    size_t nval = (size_t)360 * 180 * 12 * 12 * 2;
    print_message("0.05-degree inventory 76-94 E x 40-49 N, 2 species x 12 sectors x 12 months "
                  "(%zu values, float) onto 200 x 120 x 4 km: loaded in %.2f s (%.0f ns per "
                  "value, %d threads); (in+out)/total - 1 = %.1e, %.1f %% of the mass inside\n",
                  nval, t1 - t0, 1e9 * (t1 - t0) / nval, omp_get_max_threads(),
                  (inv.inside_kg_s[0] + inv.outside_kg_s[0]) / inv.total_kg_s[0] - 1,
                  100 * inv.inside_kg_s[0] / inv.total_kg_s[0]);
    assert_close((inv.inside_kg_s[0] + inv.outside_kg_s[0]) / inv.total_kg_s[0], 1.0, 1e-9);
    /* 200 x 120 x 4 km = 800 x 480 km: between a fifth and a third of 18 x 9 degrees */
    assert_true(inv.inside_kg_s[0] > 0.15 * inv.total_kg_s[0]);
    assert_true(inv.inside_kg_s[0] < 0.4 * inv.total_kg_s[0]);
    inventory_free(&inv);
    grid_free(&g4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edgar_like),
        cmocka_unit_test(test_meic_like),
        cmocka_unit_test(test_tyr_and_bounds),
        cmocka_unit_test(test_unit_conversions),
        cmocka_unit_test(test_model_grid_identity),
        cmocka_unit_test(test_threads_bitwise),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_nan_fill_and_aliases),
        cmocka_unit_test(test_load_time_benchmark_grid),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
