/* Regions and scenario control lines (input/controls.c): polygon, circle and mask regions
 * against exact areas and known points, control-line matching (wildcards, comma lists, the PM
 * group, products of lines, time windows) and the refusal of names that match nothing. */
#include <math.h>
#include <netcdf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "controls.h"
#include "testutil.h"
#include "timeutil.h"

#define DEG (M_PI / 180.0)
#define LON0 86.0
#define LAT0 43.5
#define DD 0.1
#define NX 40
#define NY 30

/* A regular 0.1-degree lon-lat grid (cell (j, i) spans LON0 + i DD .. + DD, LAT0 + j DD ..),
 * with CF corner bounds and true spherical areas: enough of a Grid for regions. */
static void make_grid(Grid *g)
{
    memset(g, 0, sizeof *g);
    g->nx = NX;
    g->ny = NY;
    g->nz = 1;
    g->dx = g->dy = DD * DEG * BG_EARTH_RADIUS_M;
    size_t n = (size_t)NX * NY;
    g->lon = malloc(n * sizeof *g->lon);
    g->lat = malloc(n * sizeof *g->lat);
    g->lon_bnds = malloc(4 * n * sizeof *g->lon_bnds);
    g->lat_bnds = malloc(4 * n * sizeof *g->lat_bnds);
    g->area = malloc(n * sizeof *g->area);
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            size_t c = (size_t)j * NX + i;
            double w = LON0 + i * DD, e = LON0 + (i + 1) * DD;
            double s = LAT0 + j * DD, nn = LAT0 + (j + 1) * DD;
            g->lon[c] = 0.5 * (w + e);
            g->lat[c] = 0.5 * (s + nn);
            double bx[4] = {w, e, e, w}, by[4] = {s, s, nn, nn}; /* SW, SE, NE, NW */
            for (int k = 0; k < 4; k++) {
                g->lon_bnds[4 * c + k] = bx[k];
                g->lat_bnds[4 * c + k] = by[k];
            }
            g->area[c] = BG_EARTH_RADIUS_M * BG_EARTH_RADIUS_M * DD * DEG *
                         (sin(nn * DEG) - sin(s * DEG));
        }
}

static void free_grid(Grid *g)
{
    free(g->lon);
    free(g->lat);
    free(g->lon_bnds);
    free(g->lat_bnds);
    free(g->area);
}

/* Area of the lon-lat rectangle [w, e] x [s, n] on the sphere. */
static double rect_area(double w, double e, double s, double n)
{
    return BG_EARTH_RADIUS_M * BG_EARTH_RADIUS_M * (e - w) * DEG * (sin(n * DEG) - sin(s * DEG));
}

static size_t cell(int j, int i) { return (size_t)j * NX + i; }

static void test_polygon(void **st)
{
    (void)st;
    Grid g;
    make_grid(&g);
    Region r;
    char why[512];

    /* a rectangle on cell edges: cells i 5..9, j 5..7 inside, the rest outside */
    assert_int_equal(region_parse(&r, "park", "polygon",
                                  "86.5 44.0, 87.0 44.0, 87.0 44.3, 86.5 44.3", &g, why,
                                  sizeof why), BG_OK);
    assert_int_equal(r.ncells, 15);
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            int in = i >= 5 && i <= 9 && j >= 5 && j <= 7;
            assert_true(r.frac[cell(j, i)] == (in ? 1.0 : 0.0));
        }
    double a = rect_area(86.5, 87.0, 44.0, 44.3);
    print_message("rectangle on cell edges: %d cells, area %.6f km2 (exact %.6f, rel %.1e)\n",
                  r.ncells, r.area_m2 / 1e6, a / 1e6, r.area_m2 / a - 1);
    assert_close(r.area_m2, a, 1e-12 * a);
    region_free(&r);

    /* the east edge through the middle of column 10: half of those cells */
    assert_int_equal(region_parse(&r, "half", "polygon",
                                  "86.5 44.0, 87.05 44.0, 87.05 44.3, 86.5 44.3, 86.5 44.0", &g,
                                  why, sizeof why), BG_OK);
    for (int j = 5; j <= 7; j++) assert_close(r.frac[cell(j, 10)], 0.5, 1e-12);
    assert_true(r.frac[cell(6, 11)] == 0.0 && r.frac[cell(6, 9)] == 1.0);
    a = rect_area(86.5, 87.05, 44.0, 44.3);
    assert_close(r.area_m2, a, 1e-12 * a);
    region_free(&r);

    /* a concave L (clockwise): exact area, an inner corner cell fully inside, the notch out */
    assert_int_equal(region_parse(&r, "L", "polygon",
                                  "86.5 44.0, 86.5 44.6, 86.7 44.6, 86.7 44.3, 87.0 44.3, "
                                  "87.0 44.0", &g, why, sizeof why), BG_OK);
    a = rect_area(86.5, 87.0, 44.0, 44.3) + rect_area(86.5, 86.7, 44.3, 44.6);
    print_message("concave L polygon: %d cells, area rel. error %.1e\n", r.ncells,
                  r.area_m2 / a - 1);
    assert_int_equal(r.ncells, 21);
    assert_close(r.area_m2, a, 1e-12 * a);
    assert_true(r.frac[cell(8, 6)] == 1.0);  /* 86.65 44.85 in the upper arm */
    assert_true(r.frac[cell(8, 8)] == 0.0);  /* 86.85 44.85 in the notch */
    region_free(&r);

    /* a triangle cutting one cell along its diagonal */
    assert_int_equal(region_parse(&r, "tri", "polygon", "86.5 44.0, 86.6 44.0, 86.5 44.1", &g,
                                  why, sizeof why), BG_OK);
    assert_int_equal(r.ncells, 1);
    assert_close(r.frac[cell(5, 5)], 0.5, 1e-12);
    region_free(&r);

    /* a polygon larger than the domain covers everything */
    assert_int_equal(region_parse(&r, "all", "polygon", "80 40, 95 40, 95 50, 80 50", &g, why,
                                  sizeof why), BG_OK);
    assert_int_equal(r.ncells, NX * NY);
    region_free(&r);

    /* refusals */
    assert_int_equal(region_parse(&r, "far", "polygon", "100 30, 101 30, 101 31", &g, why,
                                  sizeof why), BG_ECONFIG);
    print_message("refused: %s\n", why);
    assert_non_null(strstr(why, "region 'far' lies entirely outside the model domain"));
    assert_int_equal(region_parse(&r, "bad", "polygon", "86 44, 87", &g, why, sizeof why),
                     BG_ECONFIG);
    assert_non_null(strstr(why, "vertex 2"));
    assert_int_equal(region_parse(&r, "bad", "polygon", "86 44, 87 44", &g, why, sizeof why),
                     BG_ECONFIG);
    assert_non_null(strstr(why, "at least 3 vertices"));
    assert_int_equal(region_parse(&r, "bad", "polygon", "86 44, 87 95, 88 44", &g, why,
                                  sizeof why), BG_ECONFIG);
    assert_int_equal(region_parse(&r, "bad", "square", "86 44", &g, why, sizeof why), BG_ECONFIG);
    assert_non_null(strstr(why, "unknown kind 'square'"));
    free_grid(&g);
}

static void test_circle(void **st)
{
    (void)st;
    Grid g;
    make_grid(&g);
    Region r;
    char why[512];
    const double R = 30.0; /* km */
    assert_int_equal(region_parse(&r, "urumqi", "circle", "88.05 45.05 30", &g, why, sizeof why),
                     BG_OK);
    /* centre cell (j 15, i 20) inside; 0.3 deg east (~24 km) inside; 0.7 deg east (~55 km) out */
    assert_true(r.frac[cell(15, 20)] == 1.0);
    assert_true(r.frac[cell(15, 23)] == 1.0);
    assert_true(r.frac[cell(15, 27)] == 0.0);
    assert_true(r.frac[cell(20, 20)] == 0.0); /* 0.5 deg north, 55.6 km */
    /* a spherical cap of angular radius R / 6370 km */
    double th = R * 1e3 / BG_EARTH_RADIUS_M;
    double cap = 2 * M_PI * BG_EARTH_RADIUS_M * BG_EARTH_RADIUS_M * (1 - cos(th));
    print_message("circle r = 30 km: %d cells, area %.3f km2, cap %.3f km2 (rel %.2e, 16x16 "
                  "sub-samples in edge cells)\n", r.ncells, r.area_m2 / 1e6, cap / 1e6,
                  r.area_m2 / cap - 1);
    assert_close(r.area_m2, cap, 2e-3 * cap);
    region_free(&r);

    /* a circle far smaller than a cell still marks the cell holding it */
    assert_int_equal(region_parse(&r, "stack", "circle", "88.05 45.05 0.2", &g, why, sizeof why),
                     BG_OK);
    assert_int_equal(r.ncells, 1);
    assert_close(r.area_m2, M_PI * 200.0 * 200.0, 1e-6 * M_PI * 200.0 * 200.0);
    region_free(&r);

    assert_int_equal(region_parse(&r, "far", "circle", "100 30 50", &g, why, sizeof why),
                     BG_ECONFIG);
    assert_non_null(strstr(why, "outside the model domain"));
    assert_int_equal(region_parse(&r, "bad", "circle", "88 45", &g, why, sizeof why), BG_ECONFIG);
    assert_int_equal(region_parse(&r, "bad", "circle", "88 45 -3", &g, why, sizeof why),
                     BG_ECONFIG);
    assert_non_null(strstr(why, "radius"));
    free_grid(&g);
}

static void write_mask(const char *path, int ny, int nx, const double *v, int fill)
{
    int nc, d[2], var;
    assert_int_equal(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc), NC_NOERR);
    nc_def_dim(nc, "south_north", ny, &d[0]);
    nc_def_dim(nc, "west_east", nx, &d[1]);
    nc_def_var(nc, "m", NC_DOUBLE, 2, d, &var);
    if (fill) {
        double fv = -9999.0;
        nc_put_att_double(nc, var, "_FillValue", NC_DOUBLE, 1, &fv);
    }
    nc_enddef(nc);
    assert_int_equal(nc_put_var_double(nc, var, v), NC_NOERR);
    nc_close(nc);
}

static void test_mask(void **st)
{
    (void)st;
    Grid g;
    make_grid(&g);
    size_t n = (size_t)NX * NY;
    double *v = calloc(n, sizeof *v);
    v[cell(3, 4)] = 1.0;
    v[cell(3, 5)] = 0.25;
    v[cell(0, 0)] = -9999.0; /* _FillValue: outside */
    char path[64], val[128], why[512];
    snprintf(path, sizeof path, "/tmp/bogda_test_mask_%d.nc", (int)getpid());
    write_mask(path, NY, NX, v, 1);
    snprintf(val, sizeof val, "%s:m", path);
    Region r;
    assert_int_equal(region_parse(&r, "m", "mask", val, &g, why, sizeof why), BG_OK);
    assert_int_equal(r.ncells, 2);
    assert_true(r.frac[cell(3, 4)] == 1.0 && r.frac[cell(3, 5)] == 0.25 && r.frac[0] == 0.0);
    assert_close(r.area_m2, g.area[cell(3, 4)] + 0.25 * g.area[cell(3, 5)], 1e-9);
    region_free(&r);

    snprintf(val, sizeof val, "%s:nosuch", path);
    assert_int_equal(region_parse(&r, "m", "mask", val, &g, why, sizeof why), BG_EINPUT);
    assert_non_null(strstr(why, "nosuch"));
    v[cell(2, 2)] = 1.5;
    write_mask(path, NY, NX, v, 1);
    snprintf(val, sizeof val, "%s:m", path);
    assert_int_equal(region_parse(&r, "m", "mask", val, &g, why, sizeof why), BG_EINPUT);
    print_message("refused: %s\n", why);
    assert_non_null(strstr(why, "outside [0, 1]"));
    write_mask(path, NY - 1, NX, v, 0);
    assert_int_equal(region_parse(&r, "m", "mask", val, &g, why, sizeof why), BG_EINPUT);
    assert_non_null(strstr(why, "model grid"));
    for (size_t c = 0; c < n; c++) v[c] = 0;
    write_mask(path, NY, NX, v, 0);
    assert_int_equal(region_parse(&r, "m", "mask", val, &g, why, sizeof why), BG_ECONFIG);
    assert_int_equal(region_parse(&r, "m", "mask", "/nonexistent.nc:m", &g, why, sizeof why),
                     BG_EINPUT);
    assert_int_equal(region_parse(&r, "m", "mask", "novar.nc", &g, why, sizeof why), BG_ECONFIG);
    unlink(path);
    free(v);
    free_grid(&g);
}

static const char *const SECT[] = {"power", "steel", "cement", "residential", "transport_heavy",
                                   "transport_light"};
static const char *const SPEC[] = {"SO2", "NOx", "NH3", "VOC", "CO", "PM25", "PM10", "BC", "OC"};
enum { NSEC = 6, NSPEC = 9 };

static int sidx(const char *name)
{
    for (int i = 0; i < NSPEC; i++)
        if (!strcmp(SPEC[i], name)) return i;
    return -1;
}

static void test_control_matching(void **st)
{
    (void)st;
    Grid g;
    make_grid(&g);
    Region reg[2];
    char why[512];
    assert_int_equal(region_parse(&reg[0], "urumqi", "polygon",
                                  "86.5 44.0, 87.05 44.0, 87.05 44.3, 86.5 44.3", &g, why,
                                  sizeof why), BG_OK);
    assert_int_equal(region_parse(&reg[1], "kuitun", "circle", "88.05 45.05 30", &g, why,
                                  sizeof why), BG_OK);
    Control c;

    /* wildcard sector: every sector, only SO2, everywhere */
    assert_int_equal(control_parse(&c, "* SO2 * 0.5", SECT, NSEC, SPEC, NSPEC, reg, 2, why,
                                   sizeof why), BG_OK);
    for (int s = 0; s < NSEC; s++) assert_int_equal(c.sec[s], 1);
    for (int p = 0; p < NSPEC; p++) assert_int_equal(c.spec[p], p == sidx("SO2"));
    assert_int_equal(c.region, -1);
    assert_close(c.factor, 0.5, 0);
    assert_true(isinf(c.t0) && c.t0 < 0 && isinf(c.t1) && c.t1 > 0);
    control_free(&c);

    /* comma list, with blanks after the comma, and case-insensitive names */
    assert_int_equal(control_parse(&c, "power  so2, NOX  Urumqi 0.8", SECT, NSEC, SPEC, NSPEC,
                                   reg, 2, why, sizeof why), BG_OK);
    assert_int_equal(c.sec[0], 1);
    assert_int_equal(c.sec[1], 0);
    for (int p = 0; p < NSPEC; p++)
        assert_int_equal(c.spec[p], p == sidx("SO2") || p == sidx("NOx"));
    assert_int_equal(c.region, 0);
    control_free(&c);

    /* the PM group and a sector glob and list */
    assert_int_equal(control_parse(&c, "transport_*,residential PM kuitun 0.3", SECT, NSEC, SPEC,
                                   NSPEC, reg, 2, why, sizeof why), BG_OK);
    for (int s = 0; s < NSEC; s++) assert_int_equal(c.sec[s], s >= 3);
    for (int p = 0; p < NSPEC; p++)
        assert_int_equal(c.spec[p], p == sidx("PM25") || p == sidx("PM10") || p == sidx("BC") ||
                                        p == sidx("OC"));
    assert_int_equal(c.region, 1);
    control_free(&c);

    /* refusals name the item */
    struct { const char *line, *what; } bad[] = {
        {"powr SO2 * 0.5", "sector 'powr' matches no inventory sector"},
        {"power SO3 * 0.5", "species 'SO3' matches no inventory species"},
        {"power SO2,XX * 0.5", "species 'XX'"},
        {"power SO2 hami 0.5", "region 'hami' is not defined (defined: urumqi, kuitun)"},
        {"power SO2 * -0.5", "factor '-0.5'"},
        {"power SO2 * half", "factor 'half'"},
        {"power SO2 *", "found 3 fields"},
        {"power SO2 * 0.5 2024-01-12 extra", "found 6 fields"},
        {"power SO2 * 0.5 2024-01-12", "START/END"},
        {"power SO2 * 0.5 2024-01-13/2024-01-12", "ends before it starts"},
        {"power SO2 * 0.5 2024-13-01/2024-01-12", "window start"},
        {"power SO2 * 0.5 2024-01-12/P1M", "years and months"},
        {"power SO2 * 0.5 2024-01-12/tomorrow", "window end"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        int rc = control_parse(&c, bad[k].line, SECT, NSEC, SPEC, NSPEC, reg, 2, why, sizeof why);
        if (rc != BG_ECONFIG || !strstr(why, bad[k].what)) {
            print_error("'%s': rc %d, why '%s' (expected '%s')\n", bad[k].line, rc, why,
                        bad[k].what);
            fail();
        }
        assert_null(c.sec);
    }
    print_message("refused: %s\n", why);
    /* no PM species at all: the group matches nothing */
    const char *gas[] = {"SO2", "NOx"};
    assert_int_equal(control_parse(&c, "* PM * 0.5", SECT, NSEC, gas, 2, reg, 2, why, sizeof why),
                     BG_ECONFIG);
    assert_non_null(strstr(why, "group 'PM'"));
    region_free(&reg[0]);
    region_free(&reg[1]);
    free_grid(&g);
}

static void test_control_factors(void **st)
{
    (void)st;
    Grid g;
    make_grid(&g);
    Region reg[1];
    char why[512];
    assert_int_equal(region_parse(&reg[0], "urumqi", "polygon",
                                  "86.5 44.0, 87.05 44.0, 87.05 44.3, 86.5 44.3", &g, why,
                                  sizeof why), BG_OK);
    ControlSet cs;
    assert_int_equal(controlset_init(&cs, NSEC, NSPEC, reg, 1, NX * NY), BG_OK);
    const char *lines[] = {
        "power SO2 * 0.5",
        "power,steel SO2,NOx urumqi 0.8",
        "* PM urumqi 0.4",
        "residential * * 0.6 2024-01-12T00:00+08:00/2024-01-13T00:00+08:00",
        "steel NOx * 0.9 2024-01-12T00:00Z/PT36H",
    };
    int bad = -1;
    assert_int_equal(controlset_parse_lines(&cs, lines, 5, SECT, SPEC, &bad, why, sizeof why),
                     BG_OK);
    assert_int_equal(cs.n, 5);
    double *f = malloc(sizeof(double) * NX * NY);
    double t = 0;
    size_t in = cell(6, 6), half = cell(6, 10), out = cell(20, 30);

    /* product of two matching lines; the regional one only inside, partly in the half cell */
    assert_int_equal(controlset_factor_field(&cs, 0, sidx("SO2"), t, f), 0);
    assert_close(f[in], 0.4, 1e-15);
    assert_close(f[out], 0.5, 0);
    assert_close(f[half], 0.5 * (1 - 0.5 * (1 - 0.8)), 1e-12);
    /* steel SO2: only the regional line */
    controlset_factor_field(&cs, 1, sidx("SO2"), t, f);
    assert_close(f[in], 0.8, 0);
    assert_close(f[out], 1.0, 0);
    /* cement SO2: no line, uniform 1 */
    assert_int_equal(controlset_factor_field(&cs, 2, sidx("SO2"), t, f), 1);
    assert_true(f[in] == 1.0 && f[out] == 1.0);
    /* PM group reaches BC of every sector, not CO */
    controlset_factor_field(&cs, 4, sidx("BC"), t, f);
    assert_close(f[in], 0.4, 0);
    controlset_factor_field(&cs, 4, sidx("CO"), t, f);
    assert_close(f[in], 1.0, 0);

    /* time window [2024-01-11T16:00Z, 2024-01-12T16:00Z): start included, end excluded */
    double t0, t1;
    time_parse("2024-01-11T16:00:00Z", &t0);
    time_parse("2024-01-12T16:00:00Z", &t1);
    int ir = 3, ico = sidx("CO");
    controlset_factor_field(&cs, ir, ico, t0 - 1.0, f);
    assert_close(f[out], 1.0, 0);
    controlset_factor_field(&cs, ir, ico, t0, f);
    assert_close(f[out], 0.6, 0);
    controlset_factor_field(&cs, ir, ico, t1 - 1.0, f);
    assert_close(f[out], 0.6, 0);
    controlset_factor_field(&cs, ir, ico, t1, f);
    assert_close(f[out], 1.0, 0);
    /* residential PM25 inside the region during the window: 0.4 x 0.6 */
    controlset_factor_field(&cs, ir, sidx("PM25"), t0 + 3600, f);
    assert_close(f[in], 0.24, 1e-15);
    /* a duration as the end: PT36H */
    double d0;
    time_parse("2024-01-12T00:00:00Z", &d0);
    controlset_factor_field(&cs, 1, sidx("NOx"), d0 + 36 * 3600.0 - 1, f);
    assert_close(f[out], 0.9, 0);
    controlset_factor_field(&cs, 1, sidx("NOx"), d0 + 36 * 3600.0, f);
    assert_close(f[out], 1.0, 0);
    /* the next change of the active set */
    assert_close(controlset_next_change(&cs, 0), t0, 0);
    assert_close(controlset_next_change(&cs, t0), d0, 0);
    assert_close(controlset_next_change(&cs, d0), t1, 0);
    assert_close(controlset_next_change(&cs, t1), d0 + 36 * 3600.0, 0);
    assert_true(isinf(controlset_next_change(&cs, d0 + 36 * 3600.0)));
    print_message("factors: power SO2 inside %.3f, in the half cell %.3f, outside %.3f; "
                  "window [%.0f, %.0f) s\n", 0.4, 0.5 * 0.9, 0.5, t0, t1);

    /* a failing line is reported by index */
    const char *more[] = {"cement CO * 0.5", "cement C0 * 0.5"};
    assert_int_equal(controlset_parse_lines(&cs, more, 2, SECT, SPEC, &bad, why, sizeof why),
                     BG_ECONFIG);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(why, "'C0'"));
    /* NULL set: 1 everywhere */
    assert_int_equal(controlset_factor_field(NULL, 0, 0, 0, f), 1);
    free(f);
    controlset_free(&cs);
    region_free(&reg[0]);
    free_grid(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polygon),
        cmocka_unit_test(test_circle),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_control_matching),
        cmocka_unit_test(test_control_factors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
