/* Station sampling and city products (postproc/stations.c, docs/stations.md): location and
 * bilinear interpolation (a field linear in x and y is reproduced exactly), GB 3095 unit
 * conversions against hand numbers, hourly means of sub-hourly samples, Beijing-time days
 * (16:00 UTC boundaries), daily means, O3 1-h max and MDA8 against hand-computed series, the
 * 20-valid-hour rule, city means over stations, AQI by date (2026-03-01 switch), the written
 * files, refusal of bad station lists, the restart accumulators, and the speed of a sample. */
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
#include "aqi.h"
#include "grid.h"
#include "state.h"
#include "stations.h"
#include "timeutil.h"

#define NX 30
#define NY 20
#define DX 4000.0

static char tmpdir[64];
static Grid grid;

static const char *const PROJ_DEF =
    "+proj=lcc +lat_1=30 +lat_2=60 +lat_0=43.8 +lon_0=87.6 +x_0=0 +y_0=0 +R=6370000 +units=m +no_defs";

/* A grid needs only its projection and lattice for grid_locate. */
static void make_grid(Grid *g, int nx, int ny)
{
    memset(g, 0, sizeof *g);
    g->nx = nx, g->ny = ny, g->nz = 1;
    g->dx = g->dy = DX;
    g->map_proj = 1;
    snprintf(g->proj_string, sizeof g->proj_string, "%s", PROJ_DEF);
    g->x0 = -(nx / 2) * DX;
    g->y0 = -(ny / 2) * DX;
}

/* lon/lat of a fractional grid index (inverse projection, independent of the module) */
static void lonlat_of(const Grid *g, double fi, double fj, double *lon, double *lat)
{
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *p = proj_create(ctx, PROJ_DEF);
    assert_non_null(p);
    PJ_COORD c = proj_coord(g->x0 + fi * g->dx, g->y0 + fj * g->dy, 0, 0);
    PJ_COORD r = proj_trans(p, PJ_INV, c);
    *lon = proj_todeg(r.lp.lam);
    *lat = proj_todeg(r.lp.phi);
    proj_destroy(p);
    proj_context_destroy(ctx);
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/bogda_test_stations_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    make_grid(&grid, NX, NY);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The test stations: id, name, city, fractional grid index. */
typedef struct { const char *id, *name, *city; double fi, fj; } TStation;
static const TStation ST[] = {
    {"S1", "Monitoring station", "Urumqi", 5.25, 4.5},
    {"S2", "Railway \"Bureau\"", "Urumqi", 12.75, 9.125},
    {"S3", "Farm, control site", "Changji, Xinjiang", 20.5, 15.0},
    {"S4", "Tianchi background", "", 2.0, 17.5},
    {"S5", "Edge", "Shihezi", -0.3, 19.4}, /* inside the outer half cell: edge values */
};
#define NST 5

static void write_csv(const char *path, const TStation *st, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "id,name,city,lon,lat\n");
    for (int k = 0; k < n; k++) {
        double lon, lat;
        lonlat_of(&grid, st[k].fi, st[k].fj, &lon, &lat);
        fprintf(f, "%s,\"", st[k].id);
        for (const char *p = st[k].name; *p; p++) {
            if (*p == '"') fputc('"', f);
            fputc(*p, f);
        }
        fprintf(f, "\",%s%s%s,%.12f,%.12f\n", strchr(st[k].city, ',') ? "\"" : "", st[k].city,
                strchr(st[k].city, ',') ? "\"" : "", lon, lat);
    }
    fclose(f);
}

/* State species and molar masses (g mol-1) */
enum { Q_NO2, Q_SO2, Q_CO, Q_O3, Q_PSO4, Q_PM25, Q_T1, NQ };
static const char *const QN[NQ] = {"NO2", "SO2", "CO", "O3", "PSO4", "PM25", "T1"};
static const double QM[NQ] = {46.0055, 64.066, 28.010, 47.997, 96.06, 1.0, 28.9644};

static void make_state(State *s)
{
    assert_int_equal(state_alloc(s, NX, NY, 2, NQ), 0);
    for (int k = 0; k < NQ; k++) {
        snprintf(s->spec[k].name, sizeof s->spec[k].name, "%s", QN[k]);
        s->spec[k].molar_mass = QM[k];
    }
}

static double *plane(State *s, int sp) { return state_species(s, sp); }

/* --------------------------------------------------------------------------------------- */

static void test_units(void **state)
{
    (void)state;
    /* hand numbers: ug/m3 = ppb * M / 24.465; mg/m3 = ppm * M / 24.465; ambient PM
     * q * rho * M / 28.9644 * 1e9 */
    double no2 = stations_convert(STATION_UNIT_UGM3_REF, 1e-9, 46.0055, 0);
    double co = stations_convert(STATION_UNIT_MGM3_REF, 1e-6, 28.010, 0);
    double so4 = stations_convert(STATION_UNIT_UGM3_AMB, 1e-9, 96.06, 1.2);
    double pm = stations_convert(STATION_UNIT_UGM3_AMB, 1e-6, 1.0, 1.2);
    print_message("NO2 1 ppb = %.6f ug/m3 (46.0055/24.465 = 1.880462); CO 1 ppm = %.6f mg/m3 "
                  "(1.144901); PSO4 1 ppb at rho 1.2 = %.5f ug/m3 (3.97978); PM25 q 1e-6 (1 g/mol) "
                  "= %.4f ug/m3 (41.4302)\n", no2, co, so4, pm);
    assert_close(no2, 1.880462, 1e-6);
    assert_close(no2, 46.0055 / 24.465, 1e-14);
    assert_close(co, 1.144901, 1e-6);
    assert_close(so4, 3.97978, 1e-5);
    assert_close(pm, 41.4302, 1e-4);
    /* README 1.1 factors: O3 1.962, NO2 1.880, SO2 2.619 ug/m3 per ppb */
    assert_close(stations_convert(STATION_UNIT_UGM3_REF, 1e-9, 47.997, 0), 1.962, 5e-4);
    assert_close(stations_convert(STATION_UNIT_UGM3_REF, 1e-9, 64.066, 0), 2.619, 5e-4);
    assert_int_equal(stations_unit_of("CO"), STATION_UNIT_MGM3_REF);
    assert_int_equal(stations_unit_of("PM25"), STATION_UNIT_UGM3_AMB);
    assert_int_equal(stations_unit_of("POC"), STATION_UNIT_UGM3_AMB);
    assert_int_equal(stations_unit_of("NO2"), STATION_UNIT_UGM3_REF);
    assert_string_equal(stations_unit_text(STATION_UNIT_MGM3_REF), "mg m-3");
}

static void test_location_and_linear_field(void **state)
{
    (void)state;
    char csv[128];
    snprintf(csv, sizeof csv, "%s/lin.csv", tmpdir);
    write_csv(csv, ST, NST);
    const char *sp[] = {"T1", "NO2", "PSO4", "CO", "PM25", "PM10"};
    double t0, t;
    time_parse("2024-01-10T00:00:00Z", &t0);
    BgErr e = {0};
    StationSet *ss = stations_open(csv, &grid, sp, 6, t0, t0 + 3 * 3600, &e);
    if (!ss) fail_msg("%s", e.msg);
    assert_int_equal(stations_count(ss), NST);
    assert_int_equal(stations_city_count(ss), 3);
    assert_string_equal(stations_city_name(ss, 1), "Changji, Xinjiang");
    double maxd = 0;
    for (int k = 0; k < NST; k++) {
        double fi, fj;
        stations_location(ss, k, &fi, &fj);
        maxd = fmax(maxd, fmax(fabs(fi - ST[k].fi), fabs(fj - ST[k].fj)));
    }
    print_message("stations located to %.2e grid cells of their projected position\n", maxd);
    assert_true(maxd < 1e-6);

    State s;
    make_state(&s);
    double rho[2 * NX * NY], pm10[NX * NY];
    /* T1: q linear in i and j; rho linear (PSO4 uniform q: its ambient value is linear in rho);
     * layer 1 holds garbage that must not be read */
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            size_t n = (size_t)j * NX + i;
            plane(&s, Q_T1)[n] = 1e-9 * (10 + 2.0 * i + 3.0 * j);
            plane(&s, Q_NO2)[n] = 1e-9;
            plane(&s, Q_CO)[n] = 1e-6;
            plane(&s, Q_PSO4)[n] = 1e-9;
            plane(&s, Q_PM25)[n] = 1e-6;
            rho[n] = 1.0 + 0.01 * i - 0.005 * j;
            rho[NX * NY + n] = -1e30;
            pm10[n] = 50 + 0.25 * i + 0.5 * j;
            plane(&s, Q_T1)[NX * NY + n] = 1e30;
        }
    StationField ex = {"PM10", pm10, 0};
    /* three samples in the first hour: the hour's value is their mean */
    for (int k = 1; k <= 3; k++) {
        double f = 1 + 0.1 * k; /* scales every mixing ratio */
        for (size_t n = 0; n < (size_t)NX * NY; n++)
            for (int q = 0; q < NQ; q++) plane(&s, q)[n] *= f;
        t = t0 + 1200.0 * k;
        assert_int_equal(stations_sample(ss, t, &s, rho, &ex, 1, &e), BG_OK);
        for (size_t n = 0; n < (size_t)NX * NY; n++)
            for (int q = 0; q < NQ; q++) plane(&s, q)[n] /= f;
    }
    double fmean = 1.2; /* mean of 1.1, 1.2, 1.3 */
    double worst = 0;
    for (int k = 0; k < NST; k++) {
        double fi, fj;
        stations_location(ss, k, &fi, &fj);
        /* the edge station uses the edge value */
        double ci = fmin(fmax(fi, 0), NX - 1), cj = fmin(fmax(fj, 0), NY - 1);
        double r = 1.0 + 0.01 * ci - 0.005 * cj;
        double want[6] = {fmean * (10 + 2 * ci + 3 * cj) * QM[Q_T1] / 24.465,
                          fmean * QM[Q_NO2] / 24.465,
                          fmean * 1e-9 * r * QM[Q_PSO4] / BG_M_AIR * 1e9,
                          fmean * QM[Q_CO] / 24.465,
                          fmean * 1e-6 * r * 1.0 / BG_M_AIR * 1e9,
                          50 + 0.25 * ci + 0.5 * cj};
        for (int q = 0; q < 6; q++) {
            double got = stations_value(ss, k, q, t0 + 3600);
            worst = fmax(worst, fabs(got - want[q]) / fabs(want[q]));
            assert_close(got, want[q], 1e-12 * fabs(want[q]));
        }
    }
    print_message("linear fields (T1 in x and y, PM25/PSO4 through a linear density, PM10 a "
                  "diagnosed ug/m3 field) reproduced at %d stations to a relative %.1e\n", NST, worst);
    assert_true(isnan(stations_value(ss, 0, 0, t0 + 7200))); /* no sample in that hour */
    /* samples at or before t0 are ignored; after t1 refused */
    assert_int_equal(stations_sample(ss, t0, &s, rho, &ex, 1, &e), BG_OK);
    assert_close(stations_value(ss, 0, 5, t0 + 3600), 50 + 0.25 * 5.25 + 0.5 * 4.5, 1e-6);
    BgErr e2 = {0};
    assert_int_equal(stations_sample(ss, t0 + 4 * 3600, &s, rho, &ex, 1, &e2), BG_EFAIL);
    /* a species neither in the State nor given */
    BgErr e3 = {0};
    assert_int_equal(stations_sample(ss, t0 + 7200, &s, rho, NULL, 0, &e3), BG_ECONFIG);
    assert_non_null(strstr(e3.msg, "PM10"));
    print_message("refused: %s\n", e3.msg);
    /* a sample in two half-weighted parts (the driver's merged advection halves) and a whole
     * one in the third hour: the parts count as one sample, their mean */
    const double fpart[3] = {1.1, 1.5, 1.0}, wpart[3] = {0.5, 0.5, 1.0}, tpart[3] = {9000, 9000, 9600};
    for (int k = 0; k < 3; k++) {
        for (size_t n = 0; n < (size_t)NX * NY; n++)
            for (int q = 0; q < NQ; q++) plane(&s, q)[n] *= fpart[k];
        assert_int_equal(stations_sample_w(ss, t0 + tpart[k], &s, rho, &ex, 1, wpart[k], &e), BG_OK);
        for (size_t n = 0; n < (size_t)NX * NY; n++)
            for (int q = 0; q < NQ; q++) plane(&s, q)[n] /= fpart[k];
    }
    const double want_no2 = 0.5 * (0.5 * (1.1 + 1.5) + 1.0) * QM[Q_NO2] / 24.465;
    print_message("split sample: NO2 %.6f against %.6f ug m-3\n", stations_value(ss, 0, 1, t0 + 10800), want_no2);
    assert_close(stations_value(ss, 0, 1, t0 + 10800), want_no2, 1e-12 * want_no2);
    stations_close(ss);
    state_free(&s);
}

/* ------------------------------------------------------------- daily city values ---- */

/* Beijing slot 0..23 and day index (0 = 2024-01-10) of the hour ending at t, computed
 * independently of the module: day D holds the hour ends in (D 00:00+08, D+1 00:00+08]. */
static void bj_day_slot(double t, double day0, int *day, int *slot)
{
    double rel = t - day0; /* day0 = 2024-01-10T00:00+08:00 */
    int d = (int)ceil(rel / 86400.0) - 1;
    *day = d;
    *slot = (int)lround((rel - d * 86400.0) / 3600.0) - 1;
}

static double pm_base(int day, int slot)
{
    /* 70 everywhere, with a spike in the last hour of day 0 (hour ending 16:00 UTC) and in the
     * first hour of day 1 (hour ending 17:00 UTC) */
    if (day == 0 && slot == 23) return 70 + 240;
    if (day == 1 && slot == 0) return 70 + 480;
    return 70;
}

static double o3_val(int day, int slot)
{
    if (day == 0) return slot <= 1 ? 120 : slot >= 20 ? 150 : 60;
    if (day == 1) return slot >= 3 && slot <= 6 ? 140 : 60;
    return 60;
}

/* hours left out: day 2 misses 5 (19 valid, omitted), day 3 misses slots 8..11 (20 valid) */
static int skipped(int day, int slot)
{
    if (day == 2) return slot >= 10 && slot < 15;
    if (day == 3) return slot >= 8 && slot <= 11;
    return 0;
}

static void fill_uniform(State *s, double *rho, double *pm10, double pm25_base, double o3)
{
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            size_t n = (size_t)j * NX + i;
            rho[n] = 1.25;
            /* PM25 in ug/m3 = base + 0.5 i, carried as the notional 1 g/mol molecule */
            plane(s, Q_PM25)[n] = (pm25_base + 0.5 * i) * BG_M_AIR / (rho[n] * 1.0) * 1e-9;
            plane(s, Q_SO2)[n] = 20 * 24.465 / QM[Q_SO2] * 1e-9;
            plane(s, Q_NO2)[n] = 40 * 24.465 / QM[Q_NO2] * 1e-9;
            plane(s, Q_CO)[n] = 1.0 * 24.465 / QM[Q_CO] * 1e-6;
            plane(s, Q_O3)[n] = o3 * 24.465 / QM[Q_O3] * 1e-9;
            pm10[n] = 100;
        }
}

static int read_file(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = '\0';
    fclose(f);
    return (int)got;
}

static void test_daily_city(void **state)
{
    (void)state;
    char csv[128];
    snprintf(csv, sizeof csv, "%s/daily.csv", tmpdir);
    write_csv(csv, ST, NST);
    const char *sp[] = {"PM25", "PM10", "SO2", "NO2", "CO", "O3"};
    double t0, day0;
    time_parse("2024-01-09T16:00:00Z", &t0); /* 2024-01-10 00:00 Beijing */
    time_parse("2024-01-10T00:00:00+08:00", &day0);
    assert_close(t0, day0, 0);
    BgErr e = {0};
    StationSet *ss = stations_open(csv, &grid, sp, 6, t0, t0 + 96 * 3600, &e);
    if (!ss) fail_msg("%s", e.msg);
    State s;
    make_state(&s);
    double rho[NX * NY], pm10[NX * NY];
    StationField ex = {"PM10", pm10, 0};
    /* expected: per day, the mean of the hourly city values (uniform fields, PM25 + 0.5 fi) */
    double sum_pm[4] = {0}, n_h[4] = {0}, o3[4][24];
    int valid[4][24] = {{0}};
    for (int h = 1; h <= 96; h++) {
        double t = t0 + h * 3600.0;
        int d, sl;
        bj_day_slot(t, day0, &d, &sl);
        assert_true(d >= 0 && d < 4 && sl >= 0 && sl < 24);
        if (skipped(d, sl)) continue;
        fill_uniform(&s, rho, pm10, pm_base(d, sl), o3_val(d, sl));
        assert_int_equal(stations_sample(ss, t, &s, rho, &ex, 1, &e), BG_OK);
        sum_pm[d] += pm_base(d, sl);
        n_h[d] += 1;
        o3[d][sl] = o3_val(d, sl);
        valid[d][sl] = 1;
    }
    CityDay *rows;
    int n;
    assert_int_equal(stations_daily_city(ss, &rows, &n, &e), BG_OK);
    /* 3 cities x days 0, 1, 3 (day 2 has 19 valid hours) */
    assert_int_equal(n, 9);
    const double urumqi_off = 0.5 * (5.25 + 12.75) / 2, changji_off = 0.5 * 20.5, shz_off = 0.0;
    const double offs[3] = {urumqi_off, changji_off, shz_off};
    static const int days_present[3] = {0, 1, 3};
    for (int k = 0; k < n; k++) {
        const CityDay *r = &rows[k];
        int c = k / 3, d = days_present[k % 3];
        assert_int_equal(r->city, c);
        assert_int_equal(r->year, 2024);
        assert_int_equal(r->month, 1);
        assert_int_equal(r->day, 10 + d);
        assert_int_equal(r->valid_hours, (int)n_h[d]);
        assert_close(r->pm25, sum_pm[d] / n_h[d] + offs[c], 1e-9);
        assert_close(r->pm10, 100, 1e-9);
        assert_close(r->so2, 20, 1e-9);
        assert_close(r->no2, 40, 1e-9);
        assert_close(r->co, 1.0, 1e-12);
        /* O3: max 1 h and MDA8 from the hand series, windows ending 08..24 inside the day */
        double mx = 0, m8 = -1;
        int nwin = 0;
        for (int sl = 0; sl < 24; sl++)
            if (valid[d][sl]) mx = fmax(mx, o3[d][sl]);
        for (int end = 7; end < 24; end++) {
            double a = 0;
            int m = 0;
            for (int q = end - 7; q <= end; q++)
                if (valid[d][q]) a += o3[d][q], m++;
            if (m >= 6) nwin++, m8 = fmax(m8, a / m);
        }
        assert_close(r->o3_1h_max, mx, 1e-9);
        if (nwin >= 14) assert_close(r->o3_8h_max, m8, 1e-9);
        else assert_true(isnan(r->o3_8h_max));
        if (c == 0)
            print_message("Urumqi %04d-%02d-%02d: %d h, PM25 %.4g, O3 1h max %.4g, MDA8 %.4g (%d "
                          "valid 8-h means), AQI %d level %d\n", r->year, r->month, r->day,
                          r->valid_hours, r->pm25, r->o3_1h_max, r->o3_8h_max, nwin, r->aqi, r->level);
    }
    /* literal hand numbers: the 16:00 UTC hour closes 2024-01-10, the 17:00 UTC hour opens -11 */
    assert_close(rows[0].pm25, 70 + 240.0 / 24 + 4.5, 1e-9); /* 84.5 */
    assert_close(rows[1].pm25, 70 + 480.0 / 24 + 4.5, 1e-9); /* 94.5 */
    assert_close(rows[2].pm25, 70 + 4.5, 1e-9);
    assert_close(rows[0].o3_8h_max, 105, 1e-9); /* (4 x 150 + 4 x 60) / 8 */
    assert_close(rows[0].o3_1h_max, 150, 1e-9);
    assert_close(rows[1].o3_8h_max, 100, 1e-9); /* (4 x 140 + 4 x 60) / 8; 105 if windows crossed
                                                   midnight */
    assert_true(isnan(rows[2].o3_8h_max));      /* day 3: 10 valid 8-h means of 17 */
    /* AQI (HJ 633-2012 in January 2024): PM2.5 84.5 -> 84 (GB/T 8170) -> 112; 94.5 -> 94 -> 124;
     * Changji 80 + 10.25 = 90.25 -> 90 -> 119 */
    assert_int_equal(rows[0].rule, AQI_HJ633_2012);
    assert_int_equal(rows[0].aqi, 112);
    assert_int_equal(rows[1].aqi, 124);
    assert_int_equal(rows[3].aqi, 119);
    assert_int_equal(rows[0].level, 3);
    assert_int_equal(rows[0].primary, 1u << AQI_PM25);
    /* day 3 without MDA8: AQI from the others (PM2.5 74.5 -> 74 -> 99) */
    assert_int_equal(rows[2].aqi, 99);
    free(rows);

    /* the written files */
    assert_int_equal(stations_write(ss, tmpdir, &e), BG_OK);
    char path[256];
    static char buf[1 << 21];
    snprintf(path, sizeof path, "%s/daily_city.csv", tmpdir);
    assert_true(read_file(path, buf, sizeof buf) > 0);
    print_message("daily_city.csv:\n%s", buf);
    static const char hdr[] = "city,date,PM25,PM10,SO2,NO2,CO,O3_1h_max,O3_8h_max,AQI,level,primary\n";
    assert_true(!strncmp(buf, hdr, strlen(hdr)));
    assert_non_null(strstr(buf, "\nUrumqi,2024-01-10,84.5,100,20,40,1,150,105,112,III,PM25\n"));
    assert_non_null(strstr(buf, "\n\"Changji, Xinjiang\",2024-01-10,90.25,"));
    assert_non_null(strstr(buf, "\nUrumqi,2024-01-13,74.5,100,20,40,1,60,,99,II,PM25\n"));
    assert_null(strstr(buf, "2024-01-12"));
    snprintf(path, sizeof path, "%s/stations.csv", tmpdir);
    int len = read_file(path, buf, sizeof buf);
    assert_true(len > 0);
    int lines = 0;
    for (int k = 0; k < len; k++) lines += buf[k] == '\n';
    int hours = 96 - 5 - 4;
    assert_int_equal(lines, 1 + hours * NST * 6);
    assert_true(!strncmp(buf, "station,time,species,value,unit\n", strlen("station,time,species,value,unit\n")));
    /* first hour: 2024-01-09T17:00Z, S1 PM25 = 70 + 0.5 * 5.25 = 72.625 */
    assert_non_null(strstr(buf, "\nS1,2024-01-09T17:00:00Z,PM25,72.625,ug m-3\n"));
    assert_non_null(strstr(buf, "\nS1,2024-01-09T17:00:00Z,CO,1,mg m-3\n"));
    assert_non_null(strstr(buf, "\nS4,2024-01-09T17:00:00Z,NO2,40,ug m-3\n"));
    assert_null(strstr(buf, "2024-01-12T03:00:00Z")); /* a skipped hour (day 2 slot 10) */
    snprintf(path, sizeof path, "%s/stations.csv.tmp", tmpdir);
    assert_int_equal(access(path, F_OK), -1);
    print_message("stations.csv: %d rows (%d hours x %d stations x 6 species)\n", lines - 1, hours, NST);
    stations_close(ss);
    state_free(&s);
}

static void test_rule_switch(void **state)
{
    (void)state;
    char csv[128];
    snprintf(csv, sizeof csv, "%s/switch.csv", tmpdir);
    TStation one = {"X1", "x", "Urumqi", 10, 10};
    write_csv(csv, &one, 1);
    const char *sp[] = {"PM25"};
    double t0;
    time_parse("2026-02-27T00:00:00+08:00", &t0);
    BgErr e = {0};
    StationSet *ss = stations_open(csv, &grid, sp, 1, t0, t0 + 4 * 86400, &e);
    if (!ss) fail_msg("%s", e.msg);
    State s;
    make_state(&s);
    double rho[NX * NY], pm10[NX * NY];
    for (int h = 1; h <= 96; h++) {
        fill_uniform(&s, rho, pm10, 70 - 0.5 * 10, 0); /* 70 ug/m3 at i = 10 */
        assert_int_equal(stations_sample(ss, t0 + h * 3600.0, &s, rho, NULL, 0, &e), BG_OK);
    }
    CityDay *rows;
    int n;
    assert_int_equal(stations_daily_city(ss, &rows, &n, &e), BG_OK);
    assert_int_equal(n, 4);
    static const int want_day[4] = {27, 28, 1, 2}, want_aqi[4] = {94, 94, 110, 110};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(rows[k].day, want_day[k]);
        assert_int_equal(rows[k].aqi, want_aqi[k]);
        assert_true(isnan(rows[k].o3_8h_max) && isnan(rows[k].pm10));
    }
    print_message("PM2.5 70 ug/m3: AQI %d on 2026-02-28 (HJ 633-2012), %d on 2026-03-01 (HJ 633-2026)\n",
                  rows[1].aqi, rows[2].aqi);
    assert_int_equal(rows[1].rule, AQI_HJ633_2012);
    assert_int_equal(rows[2].rule, AQI_HJ633_2026);
    free(rows);
    stations_close(ss);
    state_free(&s);
}

static void test_bad_station_lists(void **state)
{
    (void)state;
    char csv[128];
    snprintf(csv, sizeof csv, "%s/bad.csv", tmpdir);
    const char *sp[] = {"PM25"};
    double lon, lat;
    lonlat_of(&grid, 3, 3, &lon, &lat);
    double olon, olat;
    lonlat_of(&grid, NX + 2, 3, &olon, &olat);
    char rows[6][256];
    snprintf(rows[0], 256, "id,name,town,lon,lat\nA,a,c,%f,%f\n", lon, lat);
    snprintf(rows[1], 256, "id,name,city,lon,lat\nA,a,c,%f,%f\nA,b,c,%f,%f\n", lon, lat, lon, lat);
    snprintf(rows[2], 256, "id,name,city,lon,lat\nA,a,c,%f,%f\nB,b,c,%f,%f\n", lon, lat, olon, olat);
    snprintf(rows[3], 256, "id,name,city,lon,lat\nA,a,c,east,%f\n", lat);
    snprintf(rows[4], 256, "id,name,city,lon,lat\nA,a,c,%f\n", lon);
    snprintf(rows[5], 256, "id,name,city,lon,lat\n,a,c,%f,%f\n", lon, lat);
    static const char *const want[6] = {":1: header", ":3: station id 'A' repeated",
                                        ":3: station 'B'", ":2: station 'A'", ":2: expected 5 columns",
                                        ":2: empty station id"};
    for (int k = 0; k < 6; k++) {
        FILE *f = fopen(csv, "w");
        fputs(rows[k], f);
        fclose(f);
        BgErr e = {0};
        StationSet *ss = stations_open(csv, &grid, sp, 1, 0, 3600, &e);
        assert_null(ss);
        assert_int_equal(e.code, BG_EINPUT);
        if (!strstr(e.msg, want[k])) fail_msg("case %d: '%s' lacks '%s'", k, e.msg, want[k]);
        assert_true(!strncmp(e.msg, csv, strlen(csv)));
        print_message("refused: %s\n", e.msg);
    }
    BgErr e = {0};
    snprintf(csv, sizeof csv, "%s/none.csv", tmpdir);
    assert_null(stations_open(csv, &grid, sp, 1, 0, 3600, &e));
    assert_int_equal(e.code, BG_EINPUT);
    /* species list */
    snprintf(csv, sizeof csv, "%s/lin.csv", tmpdir);
    write_csv(csv, ST, 2);
    const char *dup[] = {"PM25", "PM25"};
    BgErr e2 = {0};
    assert_null(stations_open(csv, &grid, dup, 2, 0, 3600, &e2));
    assert_int_equal(e2.code, BG_ECONFIG);
}

static void test_restart_accumulators(void **state)
{
    (void)state;
    char csv[128];
    snprintf(csv, sizeof csv, "%s/rst.csv", tmpdir);
    write_csv(csv, ST, NST);
    const char *sp[] = {"PM25", "O3"};
    double t0;
    time_parse("2024-01-09T16:00:00Z", &t0);
    BgErr e = {0};
    StationSet *a = stations_open(csv, &grid, sp, 2, t0, t0 + 48 * 3600, &e);
    StationSet *b = stations_open(csv, &grid, sp, 2, t0, t0 + 48 * 3600, &e);
    assert_non_null(a);
    assert_non_null(b);
    State s;
    make_state(&s);
    double rho[NX * NY], pm10[NX * NY];
    for (int k = 1; k <= 48 * 12; k++) {
        double t = t0 + k * 300.0;
        fill_uniform(&s, rho, pm10, 50 + 30 * sin(k * 0.01), 40 + 20 * cos(k * 0.013));
        assert_int_equal(stations_sample(a, t, &s, rho, NULL, 0, &e), BG_OK);
        if (k == 20 * 12 + 5) { /* a checkpoint mid-hour: b continues from a copy */
            size_t na, nb;
            double *pa = stations_accumulators(a, &na), *pb = stations_accumulators(b, &nb);
            assert_int_equal(na, nb);
            memcpy(pb, pa, na * sizeof *pa);
        } else if (k > 20 * 12 + 5) {
            assert_int_equal(stations_sample(b, t, &s, rho, NULL, 0, &e), BG_OK);
        }
    }
    size_t na, nb;
    double *pa = stations_accumulators(a, &na), *pb = stations_accumulators(b, &nb);
    assert_int_equal(memcmp(pa, pb, na * sizeof *pa), 0);
    print_message("restart: %zu accumulator values carried; continuation identical bit for bit\n", na);
    stations_close(a);
    stations_close(b);
    state_free(&s);
}

static void test_speed(void **state)
{
    (void)state;
    Grid g;
    make_grid(&g, 200, 120);
    char csv[128];
    snprintf(csv, sizeof csv, "%s/speed.csv", tmpdir);
    TStation st[60];
    char ids[60][8];
    for (int k = 0; k < 60; k++) {
        snprintf(ids[k], sizeof ids[k], "P%d", k);
        st[k] = (TStation){ids[k], "p", k % 3 ? "A" : "B", 5 + 3.1 * k, 5 + 1.7 * k};
    }
    FILE *f = fopen(csv, "w");
    fprintf(f, "id,name,city,lon,lat\n");
    for (int k = 0; k < 60; k++) {
        double lon, lat;
        lonlat_of(&g, st[k].fi, st[k].fj, &lon, &lat);
        fprintf(f, "%s,%s,%s,%.10f,%.10f\n", st[k].id, st[k].name, st[k].city, lon, lat);
    }
    fclose(f);
    const char *sp[] = {"PM25", "PM10", "SO2", "NO2", "CO", "O3", "PSO4", "T1"};
    double t0 = 1.7e9;
    BgErr e = {0};
    StationSet *ss = stations_open(csv, &g, sp, 8, t0, t0 + 240 * 3600.0, &e);
    if (!ss) fail_msg("%s", e.msg);
    State s;
    assert_int_equal(state_alloc(&s, 200, 120, 1, NQ), 0);
    for (int k = 0; k < NQ; k++) {
        snprintf(s.spec[k].name, sizeof s.spec[k].name, "%s", QN[k]);
        s.spec[k].molar_mass = QM[k];
    }
    for (size_t n = 0; n < (size_t)NQ * 200 * 120; n++) s.q[n] = 1e-9 * (1 + (double)(n % 97));
    double *rho = malloc(200 * 120 * sizeof *rho), *pm10 = malloc(200 * 120 * sizeof *pm10);
    for (int n = 0; n < 200 * 120; n++) rho[n] = 1.2, pm10[n] = 80;
    StationField ex = {"PM10", pm10, 0};
    int ncall = 240 * 12;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int k = 1; k <= ncall; k++)
        assert_int_equal(stations_sample(ss, t0 + 300.0 * k, &s, rho, &ex, 1, &e), BG_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double us = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / ncall;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(stations_write(ss, tmpdir, &e), BG_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ws = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    print_message("stations_sample: %.2f us per call (60 stations x 8 species); stations_write of "
                  "10 days: %.3f s\n", us, ws);
    stations_close(ss);
    state_free(&s);
    free(rho);
    free(pm10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_location_and_linear_field),
        cmocka_unit_test(test_daily_city),
        cmocka_unit_test(test_rule_switch),
        cmocka_unit_test(test_bad_station_lists),
        cmocka_unit_test(test_restart_accumulators),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
