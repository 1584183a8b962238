/* Scenario metrics and ranking (postproc/metrics.c, postproc/ranking.c; docs/metrics.md). */
#include <math.h>
#include <netcdf.h>
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

#include "metrics.h"
#include "ranking.h"
#include "testutil.h"

/* A 60 x 45 grid of 2-km cells whose true areas vary (a map factor 1 + 0.02 j / ny), so the
 * normalisation must use the area, not the cell count. */
static void make_grid(Grid *g, int nx, int ny, double dx)
{
    memset(g, 0, sizeof *g);
    g->nx = nx, g->ny = ny, g->nz = 1;
    g->dx = g->dy = dx;
    g->map_proj = 1;
    snprintf(g->proj_string, sizeof g->proj_string, "%s",
             "+proj=lcc +lat_1=30 +lat_2=60 +lat_0=43.8 +lon_0=87.6 +x_0=0 +y_0=0 +R=6370000 "
             "+units=m +no_defs");
    g->x0 = -(nx / 2) * dx;
    g->y0 = -(ny / 2) * dx;
    g->area = malloc((size_t)nx * ny * sizeof *g->area);
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            double m = 1 + 0.02 * j / ny;
            g->area[(size_t)j * nx + i] = dx * dx / (m * m);
        }
}

static void test_population_conserved(void **st)
{
    (void)st;
    Grid g;
    make_grid(&g, 60, 45, 2000);
    size_t n = (size_t)g.nx * g.ny;
    double *pop = malloc(n * sizeof *pop), *one = malloc(n * sizeof *one);
    /* interior, fractional position, half outside the west edge, a corner */
    MetricsCity c[4] = {{"Urumqi", 0, 0, 4054369}, {"Changji", 0, 0, 1613585},
                        {"Edge", 0, 0, 250000.5}, {"Corner", 0, 0, 123457}};
    double fi[4] = {30, 12.37, -0.4, 59.2}, fj[4] = {22, 30.81, 20, 44.9};
    BgErr e = {0};
    double total = 0;
    for (int k = 0; k < 4; k++) {
        assert_int_equal(metrics_population_spread(&g, &c[k], &fi[k], &fj[k], 1,
                                                   METRICS_POP_SIGMA_M, one, &e),
                         BG_OK);
        double s = 0;
        for (size_t q = 0; q < n; q++) s += one[q];
        print_message("city %-8s population %.1f spread sum %.6f rel err %.2e\n", c[k].name,
                      c[k].population, s, fabs(s - c[k].population) / c[k].population);
        assert_close(s / c[k].population, 1.0, 1e-12);
        total += c[k].population;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int rep = 0; rep < 100; rep++)
        assert_int_equal(
            metrics_population_spread(&g, c, fi, fj, 4, METRICS_POP_SIGMA_M, pop, &e), BG_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("spread 4 cities on %dx%d: %.1f us per call\n", g.nx, g.ny,
                  1e4 * (t1.tv_sec - t0.tv_sec) + 1e-5 * (t1.tv_nsec - t0.tv_nsec));
    double s = 0;
    for (size_t q = 0; q < n; q++) s += pop[q];
    assert_close(s / total, 1.0, 1e-12);

    /* a uniform field gives its own value; a field linear in x gives the weighted mean x */
    double *f = malloc(n * sizeof *f);
    for (size_t q = 0; q < n; q++) f[q] = 37.25;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double pwm = 0;
    for (int rep = 0; rep < 1000; rep++) pwm += metrics_pop_weighted_mean(f, pop, n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("population-weighted mean: %.2f ns per cell\n",
                  (1e9 * (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec)) / (1000.0 * n));
    pwm = metrics_pop_weighted_mean(f, pop, n);
    print_message("uniform 37.25 -> population-weighted %.17g\n", pwm);
    assert_close(pwm, 37.25, 1e-12 * 37.25);

    /* the Gaussian shape: on a fine uniform grid, the share of a city's people within R of its
     * centre is 1 - exp(-R^2 / 2 sigma^2) (Rayleigh CDF); cell-centre sampling errs by ~dx/R */
    Grid h;
    make_grid(&h, 101, 101, 500);
    for (size_t q = 0; q < (size_t)101 * 101; q++) h.area[q] = 500.0 * 500.0;
    double *ph = malloc((size_t)101 * 101 * sizeof *ph);
    MetricsCity u = {"U", 0, 0, 1e6};
    double ui = 50, uj = 50, sig = 5000, R = 5000, in = 0;
    assert_int_equal(metrics_population_spread(&h, &u, &ui, &uj, 1, sig, ph, &e), BG_OK);
    for (int j = 0; j < 101; j++)
        for (int i = 0; i < 101; i++) {
            double r = 500 * hypot(i - 50, j - 50);
            if (r <= R) in += ph[j * 101 + i];
        }
    double expect = 1 - exp(-0.5 * R * R / (sig * sig));
    print_message("share within 1 sigma: %.4f (Rayleigh %.4f)\n", in / 1e6, expect);
    assert_close(in / 1e6, expect, 0.02);

    /* a city far off the grid is refused */
    double far_i = -100, far_j = 20;
    BgErr e2 = {0};
    assert_int_equal(metrics_population_spread(&g, &c[0], &far_i, &far_j, 1, 5000, one, &e2),
                     BG_EINPUT);
    print_message("%s\n", e2.msg);
    assert_non_null(strstr(e2.msg, "Urumqi"));

    /* located by lon/lat: a city at the projection origin peaks in the cell at (nx/2, ny/2) */
    MetricsCity o = {"Origin", 87.6, 43.8, 1000};
    assert_int_equal(metrics_population_grid(&g, &o, 1, 3000, pop, &e), BG_OK);
    size_t best = 0;
    for (size_t q = 0; q < n; q++)
        if (pop[q] > pop[best]) best = q;
    assert_int_equal((int)(best % g.nx), g.nx / 2);
    assert_int_equal((int)(best / g.nx), g.ny / 2);

    free(ph);
    free(h.area);
    free(f);
    free(pop);
    free(one);
    free(g.area);
}

static CityDay day(int y, int m, int d, double pm25, int aqi, double o3)
{
    CityDay r;
    memset(&r, 0, sizeof r);
    r.year = y, r.month = m, r.day = d;
    r.pm25 = pm25, r.aqi = aqi, r.o3_8h_max = o3;
    return r;
}

/* [batch] population_file: a (y, x) field read back exactly, fills as 0, and every refusal. */
static void write_pop(const char *path, int ny, int nx, double bad, const char *var)
{
    int nc, dy, dx, v;
    assert_int_equal(nc_create(path, NC_CLOBBER, &nc), NC_NOERR);
    nc_def_dim(nc, "south_north", (size_t)ny, &dy);
    nc_def_dim(nc, "west_east", (size_t)nx, &dx);
    int dims[2] = {dy, dx};
    nc_def_var(nc, var, NC_DOUBLE, 2, dims, &v);
    double fill = -999.0;
    nc_put_att_double(nc, v, "_FillValue", NC_DOUBLE, 1, &fill);
    nc_enddef(nc);
    double *p = malloc((size_t)nx * ny * sizeof *p);
    for (int c = 0; c < nx * ny; c++) p[c] = 10.0 * (c % 7);
    p[3] = -999.0; /* a fill value counts as nobody */
    p[5] = bad;
    nc_put_var_double(nc, v, p);
    nc_close(nc);
    free(p);
}

static void test_population_file(void **st)
{
    (void)st;
    Grid g;
    make_grid(&g, 12, 9, 2000);
    size_t n = (size_t)g.nx * g.ny;
    double *pop = malloc(n * sizeof *pop);
    char path[64], spec[96];
    snprintf(path, sizeof path, "/tmp/bogda_pop_%d.nc", (int)getpid());
    write_pop(path, 9, 12, 55.0, "population");
    snprintf(spec, sizeof spec, "%s:population", path);
    BgErr e = {0};
    assert_int_equal(metrics_population_file(&g, spec, pop, &e), BG_OK);
    for (size_t c = 0; c < n; c++) assert_true(pop[c] == (c == 3 ? 0.0 : c == 5 ? 55.0 : 10.0 * (c % 7)));
    /* the population-weighted mean of a field equal to the population index is sum p^2 / sum p */
    double num = 0, den = 0;
    for (size_t c = 0; c < n; c++) num += pop[c] * pop[c], den += pop[c];
    assert_close(metrics_pop_weighted_mean(pop, pop, n), num / den, 1e-14);
    BgErr e1 = {0}, e2 = {0}, e3 = {0}, e4 = {0};
    snprintf(spec, sizeof spec, "%s:people", path);
    assert_int_equal(metrics_population_file(&g, spec, pop, &e1), BG_EINPUT);
    assert_non_null(strstr(e1.msg, "people"));
    write_pop(path, 9, 12, -3.0, "population");
    snprintf(spec, sizeof spec, "%s:population", path);
    assert_int_equal(metrics_population_file(&g, spec, pop, &e2), BG_EINPUT);
    assert_non_null(strstr(e2.msg, "not a population"));
    write_pop(path, 8, 12, 1.0, "population");
    assert_int_equal(metrics_population_file(&g, spec, pop, &e3), BG_EINPUT);
    assert_non_null(strstr(e3.msg, "9 x 12"));
    assert_int_equal(metrics_population_file(&g, path, pop, &e4), BG_ECONFIG);
    print_message("population file: read back exactly; refusals: %s | %s | %s | %s\n", e1.msg, e2.msg, e3.msg, e4.msg);
    remove(path);
    free(pop);
    free(g.area);
}

static void test_exceedance_rule_switch(void **st)
{
    (void)st;
    assert_int_equal(metrics_pm25_24h_limit(2026, 2, 28), 75);
    assert_int_equal(metrics_pm25_24h_limit(2026, 3, 1), 60);
    assert_int_equal(metrics_pm25_24h_limit(2030, 12, 31), 60);
    assert_int_equal(metrics_pm25_24h_limit(2031, 1, 1), 50);
    /* 70 ug m-3 exceeds only under GB 3095-2026 */
    assert_int_equal(metrics_pm25_exceeds(70, 2026, 2, 28), 0);
    assert_int_equal(metrics_pm25_exceeds(70, 2026, 3, 1), 1);
    /* at the limit complies; GB/T 8170 rounding to 1 ug m-3 first (half to even) */
    assert_int_equal(metrics_pm25_exceeds(75, 2024, 1, 10), 0);
    assert_int_equal(metrics_pm25_exceeds(75.4, 2024, 1, 10), 0);
    assert_int_equal(metrics_pm25_exceeds(75.5, 2024, 1, 10), 1); /* -> 76 */
    assert_int_equal(metrics_pm25_exceeds(60.5, 2026, 3, 2), 0);  /* -> 60 */
    assert_int_equal(metrics_pm25_exceeds(60.51, 2026, 3, 2), 1); /* -> 61 */
    assert_int_equal(metrics_pm25_exceeds(NAN, 2026, 3, 2), 0);

    CityDay rows[6] = {day(2026, 2, 28, 70, 95, 40),   day(2026, 3, 1, 70, 101, 60),
                       day(2026, 2, 27, 180, 230, NAN), day(2026, 2, 26, 260, 310, 20),
                       day(2026, 3, 2, 150.4, 300, 50), day(2026, 3, 3, NAN, -1, 90)};
    MemberMetrics m;
    memset(&m, 0, sizeof m);
    metrics_city_days(rows, 6, &m);
    print_message("exceed %d heavy %d severe %d O3 mean %.3f max %.3f\n", m.exceed_days,
                  m.heavy_days, m.severe_days, m.o3_8h_mean, m.o3_8h_max);
    assert_int_equal(m.exceed_days, 4); /* 03-01 (70 > 60), 02-27, 02-26, 03-02 */
    assert_int_equal(m.heavy_days, 3);  /* 230, 310, 300 */
    assert_int_equal(m.severe_days, 1); /* 310 */
    assert_int_equal(m.city_days, 6);
    assert_close(m.o3_8h_mean, (40 + 60 + 20 + 50 + 90) / 5.0, 1e-12);
    assert_close(m.o3_8h_max, 90, 0);
}

static MemberMetrics member(const char *name, double pwm, int ex, int heavy, double o3,
                            const double *st, double cut_scale, double cost)
{
    MemberMetrics m;
    memset(&m, 0, sizeof m);
    snprintf(m.scenario, sizeof m.scenario, "%s", name);
    m.pwm_pm25 = pwm, m.exceed_days = ex, m.heavy_days = heavy, m.o3_8h_mean = o3;
    m.nstation = 2, m.station_pm25 = st;
    const double base[METRICS_NEMIS] = {1000, 2000, 500, 3000, 800}; /* t */
    for (int s = 0; s < METRICS_NEMIS; s++) m.emis_t[s] = base[s] * cut_scale;
    m.cost_million_cny = cost;
    return m;
}

static char tmpdir[64];

static void read_lines(const char *path, char lines[][512], int maxl, int *n)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    *n = 0;
    while (*n < maxl && fgets(lines[*n], 512, f)) {
        lines[*n][strcspn(lines[*n], "\n")] = 0;
        (*n)++;
    }
    fclose(f);
}

static void test_ranking(void **st)
{
    (void)st;
    const double sb[2] = {80, 60}, s1[2] = {70, 58}, s2[2] = {78, NAN}, s3[2] = {81, 61};
    MemberMetrics base = member("baseline", 60, 10, 4, 50, sb, 1.0, 0);
    MemberMetrics sc[3] = {
        member("road_to_rail", 59, 9, 4, 51, s2, 0.95, 300),    /* d -1, cut 365 t */
        member("coal_to_elec", 55, 6, 2, 53, s1, 0.8, 1200),    /* d -5, cut 1460 t */
        member("no_measure", 60.5, 11, 4, 50, s3, 1.0, 0)};     /* d +0.5, cut 0, cost 0 */
    const char *ids[2] = {"U01", "S02"};
    Ranking r;
    BgErr e = {0};
    assert_int_equal(ranking_compute(&base, sc, 3, ids, 2, NULL, &r, &e), BG_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.rows[0].scenario, "coal_to_elec");
    assert_string_equal(r.rows[1].scenario, "road_to_rail");
    assert_string_equal(r.rows[2].scenario, "no_measure");
    assert_close(r.rows[0].d_pwm_pm25, -5, 1e-12);
    assert_int_equal(r.rows[0].d_exceed_days, -4);
    assert_int_equal(r.rows[0].d_heavy_days, -2);
    assert_close(r.rows[0].d_o3_8h, 3, 1e-12);
    assert_close(r.rows[0].emission_cut_t, 0.2 * 7300, 1e-9);
    assert_close(r.rows[0].per_kt, -5 / 1.46, 1e-12);
    assert_close(r.rows[0].per_billion_cny, -5 / 1.2, 1e-12);
    assert_close(r.rows[0].d_station[0], -10, 1e-12);
    assert_true(isnan(r.rows[1].d_station[1]));
    assert_true(isnan(r.rows[2].per_kt) && isnan(r.rows[2].per_billion_cny));

    assert_int_equal(ranking_write(&r, tmpdir, &e), BG_OK);
    char path[256], lines[12][512];
    int nl;
    snprintf(path, sizeof path, "%s/ranking.csv", tmpdir);
    read_lines(path, lines, 8, &nl);
    for (int k = 0; k < nl; k++) print_message("%s\n", lines[k]);
    assert_int_equal(nl, 4);
    assert_string_equal(lines[0],
                        "rank,scenario,d_pwm_PM25,d_exceed_days,d_heavy_days,d_mean_PM25_U01,"
                        "d_mean_PM25_S02,d_O3_8h,emission_cut_t,cost_million_cny,"
                        "d_pwm_PM25_per_kt,d_pwm_PM25_per_billion_cny");
    assert_string_equal(lines[1], "1,coal_to_elec,-5,-4,-2,-10,-2,3,1460,1200,-3.42466,-4.16667");
    assert_string_equal(lines[2], "2,road_to_rail,-1,-1,0,-2,,1,365,300,-2.73973,-3.33333");
    assert_string_equal(lines[3], "3,no_measure,0.5,1,0,1,1,0,0,0,,");
    snprintf(path, sizeof path, "%s/ranking.md", tmpdir);
    read_lines(path, lines, 12, &nl);
    assert_true(nl >= 8);
    /* the markdown table: header, separator and rows all have 10 + 2 stations columns */
    int tab = 0;
    for (int k = 0; k < nl; k++) {
        if (lines[k][0] != '|') continue;
        int bars = 0;
        for (const char *p = lines[k]; *p; p++) bars += *p == '|';
        print_message("%s\n", lines[k]);
        assert_int_equal(bars, 13);
        tab++;
    }
    assert_int_equal(tab, 5);
    snprintf(path, sizeof path, "%s/ranking.csv.tmp", tmpdir);
    assert_int_equal(access(path, F_OK), -1);
    ranking_free(&r);

    /* another primary column; the station column; input order does not matter */
    MemberMetrics rev[3] = {sc[2], sc[1], sc[0]};
    assert_int_equal(ranking_compute(&base, rev, 3, ids, 2, "d_pwm_PM25_per_kt", &r, &e), BG_OK);
    assert_string_equal(r.rows[0].scenario, "coal_to_elec"); /* -3.42 */
    assert_string_equal(r.rows[1].scenario, "road_to_rail"); /* -2.74 */
    assert_string_equal(r.rows[2].scenario, "no_measure");   /* empty: last */
    ranking_free(&r);
    assert_int_equal(ranking_compute(&base, rev, 3, ids, 2, "d_mean_PM25_S02", &r, &e), BG_OK);
    assert_string_equal(r.rows[0].scenario, "coal_to_elec");
    assert_string_equal(r.rows[1].scenario, "no_measure");
    assert_string_equal(r.rows[2].scenario, "road_to_rail"); /* NAN last */
    ranking_free(&r);
    BgErr e2 = {0};
    assert_int_equal(ranking_compute(&base, rev, 3, ids, 2, "d_pm", &r, &e2), BG_ECONFIG);
    print_message("%s\n", e2.msg);
    assert_non_null(strstr(e2.msg, "d_pm"));
}

static void write_conc(const char *path, int nt, int nx, int ny, double t0)
{
    int nc, dt, dy, dxd, v;
    assert_int_equal(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc), NC_NOERR);
    nc_def_dim(nc, "time", NC_UNLIMITED, &dt);
    nc_def_dim(nc, "y", (size_t)ny, &dy);
    nc_def_dim(nc, "x", (size_t)nx, &dxd);
    int dims[3] = {dt, dy, dxd};
    nc_def_var(nc, "PM25", NC_FLOAT, 3, dims, &v);
    nc_enddef(nc);
    float *buf = malloc((size_t)nx * ny * sizeof *buf);
    for (int t = 0; t < nt; t++) {
        for (int q = 0; q < nx * ny; q++) buf[q] = (float)(t0 + t + q);
        size_t start[3] = {(size_t)t, 0, 0}, count[3] = {1, (size_t)ny, (size_t)nx};
        assert_int_equal(nc_put_vara_float(nc, v, start, count, buf), NC_NOERR);
    }
    free(buf);
    nc_close(nc);
}

static void test_read_inputs(void **st)
{
    (void)st;
    char p[256];
    /* two daily files: values t0 + t + q, records t = 0..3 and 0..1 */
    snprintf(p, sizeof p, "%s/conc_2024-01-10.nc", tmpdir);
    write_conc(p, 4, 5, 3, 10);
    snprintf(p, sizeof p, "%s/conc_2024-01-11.nc", tmpdir);
    write_conc(p, 2, 5, 3, 20);
    double mean[15];
    int nrec;
    BgErr e = {0};
    assert_int_equal(metrics_read_pm25_mean(tmpdir, 5, 3, mean, &nrec, &e), BG_OK);
    assert_int_equal(nrec, 6);
    /* (10+11+12+13 + 20+21) / 6 = 14.5, plus q */
    for (int q = 0; q < 15; q++) assert_close(mean[q], 14.5 + q, 1e-12);
    BgErr e2 = {0};
    assert_int_equal(metrics_read_pm25_mean(tmpdir, 4, 3, mean, &nrec, &e2), BG_EINPUT);
    print_message("%s\n", e2.msg);

    snprintf(p, sizeof p, "%s/cities.csv", tmpdir);
    FILE *f = fopen(p, "w");
    fputs("city,lon,lat,population\nUrumqi,87.62,43.83,4054369\nShihezi, 86.05 ,44.31,380130\n",
          f);
    fclose(f);
    MetricsCity *c;
    int n;
    assert_int_equal(metrics_read_cities(p, &c, &n, &e), BG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(c[1].name, "Shihezi");
    assert_close(c[1].lon, 86.05, 0);
    assert_close(c[0].population, 4054369, 0);
    free(c);
    f = fopen(p, "w");
    fputs("city,lon,lat,population\nUrumqi,87.62,43.83,-5\n", f);
    fclose(f);
    BgErr e3 = {0};
    assert_int_equal(metrics_read_cities(p, &c, &n, &e3), BG_EINPUT);
    print_message("%s\n", e3.msg);
    assert_non_null(strstr(e3.msg, ":2:"));
}

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_metrics_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    const char *names[] = {"ranking.csv", "ranking.md", "conc_2024-01-10.nc", "conc_2024-01-11.nc",
                           "cities.csv"};
    char p[256];
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, names[k]);
        remove(p);
    }
    rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_population_conserved),
        cmocka_unit_test(test_population_file),
        cmocka_unit_test(test_exceedance_rule_switch),
        cmocka_unit_test(test_ranking),
        cmocka_unit_test(test_read_inputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
