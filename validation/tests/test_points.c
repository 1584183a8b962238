/* Point-source CSV (input/points.c): a valid file loads with the right cells and kg/s; every
 * refusal is BG_EINPUT naming the file, the line and the column or source.  The model grid comes
 * from a synthetic WRF file (40 x 30 x 10 at 12 km, Lambert conformal around Urumqi). */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "grid.h"
#include "points.h"
#include "synthmet.h"
#include "testutil.h"
#include "timeutil.h"

#define HEADER "id,name,lon,lat,sector,height_m,diameter_m,velocity_m_s,temperature_k," \
               "SO2,NOx,NH3,VOC,CO,PM25,PM10,BC,OC"

static char tmpdir[64];
static Grid grid;

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/bogda_test_points_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    SynthMetSpec s;
    synthmet_defaults(&s);
    s.nx = 40;
    s.ny = 30;
    s.nz = 10;
    s.dx_m = 12000;
    s.nrec = 1;
    char **paths = NULL;
    int n = 0;
    BgErr e = {0};
    if (synthmet_write(&s, tmpdir, &paths, &n, &e) != BG_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    int rc = grid_from_wrf(&grid, paths[0], &e);
    if (rc != BG_OK) fprintf(stderr, "%s\n", e.msg);
    synthmet_free_paths(paths, n);
    return rc == BG_OK ? 0 : -1;
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

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    fclose(f);
}

/* centre of cell (i, j) moved by (dlon, dlat) degrees */
static void cell_lonlat(int i, int j, double dlon, double dlat, double *lon, double *lat)
{
    *lon = grid.lon[grid_idx2(&grid, j, i)] + dlon;
    *lat = grid.lat[grid_idx2(&grid, j, i)] + dlat;
}

static void test_valid(void **st)
{
    (void)st;
    double lon1, lat1, lon2, lat2, lon3, lat3;
    /* 0.03 deg is ~2.4-3.3 km, well inside the 6-km half cell */
    cell_lonlat(10, 5, 0.03, -0.03, &lon1, &lat1);
    cell_lonlat(25, 20, -0.03, 0.03, &lon2, &lat2);
    cell_lonlat(0, 0, 0, 0, &lon3, &lat3);
    char text[4096], path[256];
    snprintf(text, sizeof text,
             "\xEF\xBB\xBF" HEADER "\r\n"
             "PP1,\"Urumqi Thermal Power, Unit 1\",%.9f,%.9f,power,210,7.5,20,403.15,"
             "3660,1830,0,36.6,732,366,549,3.66,7.32\r\n"
             "\r\n"
             "ST2,Bayi steel sinter,%.9f,%.9f,steel,120,4,12.5,420,100,200,0,0,50,80,90,1,2\r\n"
             "CE3,  \"Corner \"\"cement\"\" kiln\" ,%.9f,%.9f,cement,60,2.5,0,300,0,0,0,0,0,0,0,0,"
             "0\r\n",
             lon1, lat1, lon2, lat2, lon3, lat3);
    snprintf(path, sizeof path, "%s/points.csv", tmpdir);
    write_file(path, text);
    PointSet ps;
    BgErr e = {0};
    int rc = points_load(&ps, path, &grid, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, BG_OK);
    assert_int_equal(ps.n, 3);
    const PointSource *p = &ps.src[0];
    assert_string_equal(p->id, "PP1");
    assert_string_equal(p->name, "Urumqi Thermal Power, Unit 1");
    assert_string_equal(p->sector, "power");
    assert_int_equal(p->i, 10);
    assert_int_equal(p->j, 5);
    assert_int_equal(p->line, 2);
    assert_true(fabs(p->fi - 10) < 0.4 && fabs(p->fj - 5) < 0.4);
    assert_close(p->stack.height_m, 210, 0);
    assert_close(p->stack.diameter_m, 7.5, 0);
    assert_close(p->stack.velocity_m_s, 20, 0);
    assert_close(p->stack.temperature_k, 403.15, 0);
    assert_int_equal(ps.src[1].i, 25);
    assert_int_equal(ps.src[1].j, 20);
    assert_int_equal(ps.src[1].line, 4);
    assert_string_equal(ps.src[2].name, "Corner \"cement\" kiln");
    assert_int_equal(ps.src[2].i, 0);
    assert_int_equal(ps.src[2].j, 0);
    /* XLAT/XLONG are single precision (1e-5 degrees ~ 1 m ~ 1e-4 cells) */
    assert_close(ps.src[2].fi, 0, 1e-3);
    assert_close(ps.src[2].fj, 0, 1e-3);

    /* 3660 t/yr in 2024 (leap): 3.66e6 kg / (366 * 86400 s) = 0.11574074 kg/s; in 2023 the
     * year has 365 days: 0.11605784 kg/s */
    double t2024, t2023;
    assert_int_equal(time_parse("2024-01-10T00:00:00Z", &t2024), 0);
    assert_int_equal(time_parse("2023-12-31T23:59:59Z", &t2023), 0);
    assert_close(points_year_seconds(t2024), 366 * 86400.0, 0);
    assert_close(points_year_seconds(t2023), 365 * 86400.0, 0);
    double so2_24 = points_kg_s(p, points_species_index("SO2"), t2024);
    double so2_23 = points_kg_s(p, points_species_index("SO2"), t2023);
    print_message("PP1 at (i, j) = (%.3f, %.3f) -> cell (%d, %d); SO2 3660 t/yr = %.10f kg/s in "
                  "2024, %.10f kg/s in 2023\n", p->fi, p->fj, p->i, p->j, so2_24, so2_23);
    assert_close(so2_24, 3.66e6 / (366 * 86400.0), 1e-15);
    assert_close(so2_24, 0.11574074074, 1e-11);
    assert_close(so2_23, 0.11605783866, 1e-11);
    double r[POINTS_NSPEC];
    points_rates(p, t2024, r);
    const double tyr[POINTS_NSPEC] = {3660, 1830, 0, 36.6, 732, 366, 549, 3.66, 7.32};
    for (int s = 0; s < POINTS_NSPEC; s++) {
        assert_close(r[s], tyr[s] * 1000 / (366 * 86400.0), 1e-15);
        assert_int_equal(points_species_index(points_species[s]), s);
    }
    assert_int_equal(points_species_index("O3"), -1);
    points_free(&ps);

    /* a header with no rows is an empty set */
    write_file(path, HEADER "\n");
    e = (BgErr){0};
    assert_int_equal(points_load(&ps, path, &grid, &e), BG_OK);
    assert_int_equal(ps.n, 0);
    points_free(&ps);
}

typedef struct {
    const char *what;
    const char *header;  /* NULL: the right one */
    const char *row;     /* the bad row, written on line 3 after a valid row on line 2 */
    const char *line;    /* expected line number in the message */
    const char *needle;  /* expected text in the message (column, id) */
} Bad;

static void test_refusals(void **st)
{
    (void)st;
    double lon, lat;
    cell_lonlat(20, 15, 0, 0, &lon, &lat);
    char good[512], ok[160];
    snprintf(ok, sizeof ok, "%.6f,%.6f", lon, lat);
    snprintf(good, sizeof good, "G1,good,%s,power,100,3,10,400,1,1,1,1,1,1,1,1,1", ok);
#define ROW(id, lonlat, stack, emis) id ",x," lonlat ",power," stack "," emis
#define E9 "1,1,1,1,1,1,1,1,1"
    /* "%s" in a row is replaced by a lon,lat inside the domain */
    const Bad bad[] = {
        {"wrong header", "id,name,lon,lat,sector,height,diameter_m,velocity_m_s,temperature_k,"
                         "SO2,NOx,NH3,VOC,CO,PM25,PM10,BC,OC", NULL, "1", "height_m"},
        {"missing column in header", "id,name,lon,lat,sector,height_m,diameter_m,velocity_m_s,"
                                     "temperature_k,SO2,NOx,NH3,VOC,CO,PM25,PM10,BC", NULL,
         "1", "columns"},
        {"outside the domain", NULL, ROW("FAR", "100.0,43.0", "100,3,10,400", E9), "3",
         "'FAR'"},
        {"height 0", NULL, ROW("H0", "%s", "0,3,10,400", E9), "3", "height_m of source 'H0'"},
        {"height 650", NULL, ROW("H650", "%s", "650,3,10,400", E9), "3", "height_m"},
        {"diameter 0", NULL, ROW("D0", "%s", "100,0,10,400", E9), "3", "diameter_m"},
        {"diameter 31", NULL, ROW("D31", "%s", "100,31,10,400", E9), "3", "diameter_m"},
        {"velocity -1", NULL, ROW("V", "%s", "100,3,-1,400", E9), "3", "velocity_m_s"},
        {"velocity 61", NULL, ROW("V", "%s", "100,3,61,400", E9), "3", "velocity_m_s"},
        {"temperature 199", NULL, ROW("T", "%s", "100,3,10,199", E9), "3", "temperature_k"},
        {"temperature 1501", NULL, ROW("T", "%s", "100,3,10,1501", E9), "3", "temperature_k"},
        {"NaN height", NULL, ROW("TN", "%s", "nan,3,10,400", E9), "3", "height_m"},
        {"negative NOx", NULL, ROW("NEG", "%s", "100,3,10,400", "1,-1,1,1,1,1,1,1,1"), "3",
         "NOx of source 'NEG'"},
        {"NaN PM25", NULL, ROW("NAN", "%s", "100,3,10,400", "1,1,1,1,1,NaN,1,1,1"), "3",
         "PM25 of source 'NAN': emission is NaN"},
        {"empty emission", NULL, ROW("EMP", "%s", "100,3,10,400", "1,1,1,1,1,1,1,,1"), "3",
         "BC of source 'EMP'"},
        {"duplicate id", NULL, ROW("G1", "%s", "100,3,10,400", E9), "3", "first at line 2"},
        {"malformed number", NULL, ROW("M", "%s", "100,3,10,4OO", E9), "3",
         "temperature_k of source 'M': '4OO' is not a number"},
        {"malformed lat", NULL, ROW("ML", "87.6,43.8x", "100,3,10,400", E9), "3", "lat"},
        {"too few columns", NULL, "C,x,87.6,43.8,power,100,3,10,400,1,1", "3", "columns"},
        {"too many columns", NULL, ROW("C", "%s", "100,3,10,400", E9 ",1"), "3", "columns"},
        {"empty id", NULL, ROW("", "%s", "100,3,10,400", E9), "3", "id"},
        {"unterminated quote", NULL, "Q,\"open,87.6,43.8,power,100,3,10,400," E9, "3",
         "quote"},
    };
    char path[256], text[2048], row[512];
    snprintf(path, sizeof path, "%s/bad.csv", tmpdir);
    for (size_t n = 0; n < sizeof bad / sizeof bad[0]; n++) {
        const Bad *b = &bad[n];
        if (b->row) {
            const char *pct = strstr(b->row, "%s");
            if (pct)
                snprintf(row, sizeof row, "%.*s%s%s", (int)(pct - b->row), b->row, ok, pct + 2);
            else
                snprintf(row, sizeof row, "%s", b->row);
            snprintf(text, sizeof text, "%s\n%s\n%s\n", HEADER, good, row);
        } else {
            snprintf(text, sizeof text, "%s\n%s\n", b->header, good);
        }
        write_file(path, text);
        PointSet ps;
        BgErr e = {0};
        int rc = points_load(&ps, path, &grid, &e);
        char prefix[300];
        snprintf(prefix, sizeof prefix, "%s:%s: ", path, b->line);
        print_message("%-26s -> %d %s\n", b->what, rc, e.msg);
        assert_int_equal(rc, BG_EINPUT);
        assert_int_equal(e.code, BG_EINPUT);
        assert_non_null(strstr(e.msg, prefix));
        assert_non_null(strstr(e.msg, b->needle));
        assert_int_equal(ps.n, 0);
        assert_null(ps.src);
        points_free(&ps);
    }

    /* an empty file and a missing file */
    write_file(path, "");
    PointSet ps;
    BgErr e = {0};
    assert_int_equal(points_load(&ps, path, &grid, &e), BG_EINPUT);
    print_message("%-26s -> %s\n", "empty file", e.msg);
    assert_non_null(strstr(e.msg, "header"));
    e = (BgErr){0};
    snprintf(path, sizeof path, "%s/none.csv", tmpdir);
    assert_int_equal(points_load(&ps, path, &grid, &e), BG_EINPUT);
    print_message("%-26s -> %s\n", "missing file", e.msg);
    assert_non_null(strstr(e.msg, path));
}

/* A source at a cell centre plus a plume rise on that column: the glue the driver uses. */
static void test_stack_to_plume(void **st)
{
    (void)st;
    double lon, lat;
    cell_lonlat(12, 7, 0, 0, &lon, &lat);
    char text[1024], path[256];
    snprintf(text, sizeof text, HEADER "\nP,p,%.6f,%.6f,power,180,6,18,410,1,1,1,1,1,1,1,1,1\n",
             lon, lat);
    snprintf(path, sizeof path, "%s/one.csv", tmpdir);
    write_file(path, text);
    PointSet ps;
    BgErr e = {0};
    assert_int_equal(points_load(&ps, path, &grid, &e), BG_OK);
    double zf[11], t[10], th[10], u[10], v[10], frac[10];
    for (int k = 0; k <= 10; k++) zf[k] = 60.0 * k;
    for (int k = 0; k < 10; k++) { t[k] = 265; th[k] = 265; u[k] = 4; v[k] = 0; }
    PlumeColumn c = {.nz = 10, .zf = zf, .t = t, .theta = th, .u = u, .v = v};
    PlumeResult r = {.frac = frac};
    plume_rise(&ps.src[0].stack, &c, NULL, &r);
    assert_true(r.height_m > 180);
    double sum = 0;
    for (int k = 0; k < 10; k++) sum += frac[k];
    assert_close(sum, 1, 1e-14);
    points_free(&ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_stack_to_plume),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
