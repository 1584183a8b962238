/* bogda box: the command line, box.csv (DESIGN 2.4), unit conversion, nitrogen and sulfur balance
 * of chemistry + aerosol, the O3 response to a NOx cut in VOC- and NOx-limited boxes, fog
 * sulfate, reproducibility, and refusal of bad configurations. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "box.h"
#include "chem.h"
#include "species.h"
#include "testutil.h"

enum { MAXCOL = 64, MAXROW = 2000 };

typedef struct {
    int ncol, nrow;
    char name[MAXCOL][32];
    double v[MAXROW][MAXCOL];
} Csv;

static char dir[64];

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/bogda_box_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_config(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* runs `bogda box path [--set s]...` */
static int run_box(const char *path, const char *const *sets, int nset, BgErr *e)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "box";
    argv[argc++] = (char *)path;
    for (int i = 0; i < nset; i++) {
        argv[argc++] = "--set";
        argv[argc++] = (char *)sets[i];
    }
    memset(e, 0, sizeof *e);
    return box_main(argc, argv, e);
}

static void read_csv(const char *path, Csv *c)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char line[1 << 16];
    assert_non_null(fgets(line, sizeof line, f));
    line[strcspn(line, "\r\n")] = 0;
    c->ncol = 0;
    for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ",")) {
        assert_true(c->ncol < MAXCOL);
        snprintf(c->name[c->ncol++], 32, "%s", tok);
    }
    c->nrow = 0;
    while (fgets(line, sizeof line, f)) {
        assert_true(c->nrow < MAXROW);
        char *p = line;
        for (int i = 0; i < c->ncol; i++) {
            char *end;
            c->v[c->nrow][i] = strtod(p, &end);
            assert_true(end != p);
            p = end + (*end == ',');
        }
        c->nrow++;
    }
    fclose(f);
}

static int col(const Csv *c, const char *name)
{
    for (int i = 0; i < c->ncol; i++)
        if (!strcmp(c->name[i], name)) return i;
    fprintf(stderr, "no column %s\n", name);
    fail();
    return -1;
}

static const char base_ini[] =
    "[box]\n"
    "start = 2024-01-15T00:00:00Z\n"
    "hours = 24\n"
    "temperature_k = 263\n"
    "pressure_pa = 90000\n"
    "rh = 0.85\n"
    "liquid_water_g_m3 = 0\n"
    "snow_cover = 1\n"
    "output_dir = out\n"
    "\n"
    "[init]\n"
    "constant.NO = 20\n"
    "constant.NO2 = 30\n"
    "constant.O3 = 25\n"
    "constant.ROC = 150\n"
    "constant.SO2 = 20\n"
    "constant.NH3 = 15\n"
    "constant.HNO3 = 2\n"
    "constant.CO = 2000\n"
    "constant.PSO4 = 20     ; ug m-3\n"
    "constant.PNO3 = 20\n"
    "constant.PNH4 = 12\n"
    "constant.PBC = 8\n"
    "constant.POC = 25\n"
    "constant.PPM = 15\n"
    "constant.PMC = 30\n";

static Csv csv; /* large: static */

static void test_usage_and_errors(void **st)
{
    (void)st;
    BgErr e = {0};
    char *help[] = {"box", "--help"};
    assert_int_equal(box_main(2, help, &e), BG_OK);
    char *none[] = {"box"};
    assert_int_equal(box_main(1, none, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, "missing CONFIG"));
    memset(&e, 0, sizeof e);
    char *opt[] = {"box", "x.ini", "--frobnicate"};
    assert_int_equal(box_main(3, opt, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, "unknown option"));

    char path[256];
    write_config("bad.ini", "[box]\nstart = 2024-01-15T00:00:00Z\n\n[init]\nconstant.FOO = 3\n", path, sizeof path);
    assert_int_equal(run_box(path, NULL, 0, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, "bad.ini:5: [init] constant.FOO: 'FOO' is not a species"));
    write_config("bad.ini", "[box]\nstart = 2024-01-15T00:00:00Z\nrh = 85\n", path, sizeof path);
    assert_int_equal(run_box(path, NULL, 0, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, "bad.ini:3: [box] rh = '85': must be a fraction in 0..1"));
    write_config("bad.ini", "[box]\nhours = 2\n", path, sizeof path);
    assert_int_equal(run_box(path, NULL, 0, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, "[box] start is not set"));
    write_config("bad.ini", "[box]\nstart = 2024-01-15\nstep_min = 7\n", path, sizeof path);
    assert_int_equal(run_box(path, NULL, 0, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, "whole multiple"));
    write_config("bad.ini", "[box]\nstart = 2024-01-15\n[init]\nprofile.O3 = 0 30, 1000 40\n", path, sizeof path);
    assert_int_equal(run_box(path, NULL, 0, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, "only constant.NAME"));
    write_config("bad.ini", "[box]\nstart = 2024-01-15\n[chemistry]\nspecies_table = nothere.csv\n", path,
                 sizeof path);
    assert_int_equal(run_box(path, NULL, 0, &e), BG_EINPUT);
    assert_non_null(strstr(e.msg, "nothere.csv"));
    const char *set[] = {"box.temperature_k=abc"};
    write_config("ok.ini", base_ini, path, sizeof path);
    assert_int_equal(run_box(path, set, 1, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, "--set"));
    print_message("box: --help, usage errors, unknown species, bad values and a missing table refused "
                  "(exit 2 or 3) with file:line\n");
}

static double nitrogen(const Csv *c, int r, const SpeciesTable *t, double T, double p)
{
    static const char *const g[] = {"NO_ppb", "NO2_ppb", "HNO3_ppb", "NO3_ppb", "NH3_ppb"};
    double n = 0;
    for (int i = 0; i < 5; i++) n += c->v[r][col(c, g[i])];
    n += 2 * c->v[r][col(c, "N2O5_ppb")];
    n += species_ugm3_to_ppb(&t->s[species_find(t, "PNO3")], c->v[r][col(c, "PNO3_ugm3")], T, p);
    n += species_ugm3_to_ppb(&t->s[species_find(t, "PNH4")], c->v[r][col(c, "PNH4_ugm3")], T, p);
    return n;
}

static double sulfur(const Csv *c, int r, const SpeciesTable *t, double T, double p)
{
    return c->v[r][col(c, "SO2_ppb")] +
           species_ugm3_to_ppb(&t->s[species_find(t, "PSO4")], c->v[r][col(c, "PSO4_ugm3")], T, p);
}

/* A foggy winter day in Urumqi: box.csv layout, conversions, N and S balance, PM totals. */
static void test_winter_box(void **st)
{
    (void)st;
    char path[256], out[300];
    BgErr e;
    write_config("winter.ini", base_ini, path, sizeof path);
    const char *set[] = {"box.liquid_water_g_m3=0.1"};
    assert_int_equal(run_box(path, set, 1, &e), BG_OK);
    snprintf(out, sizeof out, "%s/out/box.csv", dir);
    read_csv(out, &csv);
    SpeciesTable t;
    BgErr et = {0};
    assert_int_equal(species_load(&t, NULL, &et), BG_OK);
    /* header: time_h, NAME_ppb for gases and NAME_ugm3 for aerosol in table order, PM totals */
    assert_int_equal(csv.ncol, 1 + t.n + 2);
    assert_string_equal(csv.name[0], "time_h");
    for (int i = 0; i < t.n; i++) {
        char want[40];
        snprintf(want, sizeof want, "%s_%s", t.s[i].name, t.s[i].phase == SPECIES_AEROSOL ? "ugm3" : "ppb");
        assert_string_equal(csv.name[1 + i], want);
    }
    assert_string_equal(csv.name[t.n + 1], "PM25_ugm3");
    assert_string_equal(csv.name[t.n + 2], "PM10_ugm3");
    assert_int_equal(csv.nrow, 25);
    assert_close(csv.v[24][0], 24.0, 1e-12);
    /* no temporary file is left */
    char tmpglob[400];
    snprintf(tmpglob, sizeof tmpglob, "ls %s/out | grep -c tmp > /dev/null", dir);
    assert_int_not_equal(system(tmpglob), 0);
    /* the initial row holds the configured values (aerosol in ug m-3 unchanged by the ppb round trip) */
    assert_close(csv.v[0][col(&csv, "PSO4_ugm3")], 20.0, 1e-10);
    assert_close(csv.v[0][col(&csv, "NO_ppb")], 20.0, 0);
    const double T = 263.0, p = 90000.0;
    double n0 = nitrogen(&csv, 0, &t, T, p), s0 = sulfur(&csv, 0, &t, T, p), dn = 0, ds = 0;
    for (int r = 0; r < csv.nrow; r++) {
        dn = fmax(dn, fabs(nitrogen(&csv, r, &t, T, p) / n0 - 1));
        ds = fmax(ds, fabs(sulfur(&csv, r, &t, T, p) / s0 - 1));
        double pm25 = 0;
        for (int i = 0; i < t.n; i++)
            if (t.s[i].phase == SPECIES_AEROSOL && strcmp(t.s[i].name, "PMC")) pm25 += csv.v[r][1 + i];
        assert_close(csv.v[r][col(&csv, "PM25_ugm3")], pm25, 1e-9 * pm25);
        assert_close(csv.v[r][col(&csv, "PM10_ugm3")], pm25 + csv.v[r][col(&csv, "PMC_ugm3")], 1e-9 * pm25);
        for (int i = 1; i < csv.ncol; i++) assert_true(csv.v[r][i] >= 0);
    }
    int last = csv.nrow - 1;
    print_message("24-h foggy winter box (263 K, RH 0.85, LWC 0.1 g/m3): PM2.5 %.1f -> %.1f ug/m3, sulfate "
                  "%.1f -> %.1f, nitrate %.1f -> %.1f, ammonium %.1f -> %.1f; night O3 %.2f ppb; N balance "
                  "%.1e, S balance %.1e\n", csv.v[0][col(&csv, "PM25_ugm3")], csv.v[last][col(&csv, "PM25_ugm3")],
                  csv.v[0][col(&csv, "PSO4_ugm3")], csv.v[last][col(&csv, "PSO4_ugm3")],
                  csv.v[0][col(&csv, "PNO3_ugm3")], csv.v[last][col(&csv, "PNO3_ugm3")],
                  csv.v[0][col(&csv, "PNH4_ugm3")], csv.v[last][col(&csv, "PNH4_ugm3")],
                  csv.v[last][col(&csv, "O3_ppb")], dn, ds);
    /* 12 significant digits in box.csv: the balance is checked to 1e-10 */
    assert_true(dn < 1e-10);
    assert_true(ds < 1e-10);
    assert_true(csv.v[last][col(&csv, "PSO4_ugm3")] > csv.v[0][col(&csv, "PSO4_ugm3")]);
    /* fog makes more sulfate than the same box without liquid water */
    double so4_fog = csv.v[last][col(&csv, "PSO4_ugm3")];
    assert_int_equal(run_box(path, NULL, 0, &e), BG_OK);
    read_csv(out, &csv);
    double so4_dry = csv.v[csv.nrow - 1][col(&csv, "PSO4_ugm3")];
    print_message("sulfate after 24 h: %.1f ug/m3 with fog (0.1 g/m3), %.1f without\n", so4_fog, so4_dry);
    assert_true(so4_fog > so4_dry);
    species_free(&t);
}

/* An inert aerosol keeps its ug m-3 exactly: the ppb conversion uses the box's T and p. */
static void test_conversion(void **st)
{
    (void)st;
    char path[256], out[300];
    BgErr e;
    write_config("inert.ini",
                 "[box]\nstart = 2024-01-15T00:00:00Z\nhours = 2\ntemperature_k = 255\npressure_pa = 88000\n"
                 "output_dir = inert\n[init]\nconstant.PBC = 7.5\nconstant.PMC = 40\nconstant.CO = 1500\n",
                 path, sizeof path);
    assert_int_equal(run_box(path, NULL, 0, &e), BG_OK);
    snprintf(out, sizeof out, "%s/inert/box.csv", dir);
    read_csv(out, &csv);
    int r = csv.nrow - 1;
    assert_close(csv.v[r][col(&csv, "PBC_ugm3")], 7.5, 1e-10);
    assert_close(csv.v[r][col(&csv, "PMC_ugm3")], 40.0, 1e-10);
    assert_close(csv.v[r][col(&csv, "CO_ppb")], 1500.0, 0);
    assert_close(csv.v[r][col(&csv, "PM25_ugm3")], 7.5, 1e-10);
    assert_close(csv.v[r][col(&csv, "PM10_ugm3")], 47.5, 1e-10);
}

/* O3 after 8 h of summer-like sun (298 K, fixed J(NO2) = 8e-3 s-1) for a NOx cut of half. */
static double final_o3(const char *path, double no, double no2, double roc)
{
    char s1[64], s2[64], s3[64], out[300];
    snprintf(s1, sizeof s1, "init.constant.NO=%g", no);
    snprintf(s2, sizeof s2, "init.constant.NO2=%g", no2);
    snprintf(s3, sizeof s3, "init.constant.ROC=%g", roc);
    const char *set[] = {s1, s2, s3};
    BgErr e;
    assert_int_equal(run_box(path, set, 3, &e), BG_OK);
    snprintf(out, sizeof out, "%s/regime/box.csv", dir);
    read_csv(out, &csv);
    return csv.v[csv.nrow - 1][col(&csv, "O3_ppb")];
}

static void test_regimes(void **st)
{
    (void)st;
    char path[256];
    write_config("regime.ini",
                 "[box]\nstart = 2024-07-15T02:00:00Z\nhours = 8\ntemperature_k = 298\npressure_pa = 90000\n"
                 "j_no2 = 8e-3\naerosol = off\noutput_dir = regime\n[init]\nconstant.O3 = 30\n",
                 path, sizeof path);
    /* VOC-limited: NOx 100 ppb against 50 ppbC of ROC; NOx-limited: 2 ppb against 500 ppbC */
    double v0 = final_o3(path, 50, 50, 50), v1 = final_o3(path, 25, 25, 50);
    double x0 = final_o3(path, 1, 1, 500), x1 = final_o3(path, 0.5, 0.5, 500);
    print_message("GRS regimes after 8 h: VOC-limited O3 %.1f -> %.1f ppb when NOx is halved (rises); "
                  "NOx-limited O3 %.1f -> %.1f ppb (falls)\n", v0, v1, x0, x1);
    assert_true(v1 > v0 + 1.0);
    assert_true(x1 < x0 - 1.0);
}

/* The same configuration gives the same file, byte for byte. */
static void test_reproducible(void **st)
{
    (void)st;
    char path[256], cmd[700];
    BgErr e;
    write_config("rep.ini", base_ini, path, sizeof path);
    const char *a[] = {"box.output_dir=rep_a", "box.hours=6"}, *b[] = {"box.output_dir=rep_b", "box.hours=6"};
    assert_int_equal(run_box(path, a, 2, &e), BG_OK);
    assert_int_equal(run_box(path, b, 2, &e), BG_OK);
    snprintf(cmd, sizeof cmd, "cmp -s %s/rep_a/box.csv %s/rep_b/box.csv", dir, dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_and_errors),
        cmocka_unit_test(test_winter_box),
        cmocka_unit_test(test_conversion),
        cmocka_unit_test(test_regimes),
        cmocka_unit_test(test_reproducible),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
