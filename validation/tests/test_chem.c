/* Gas chemistry, its ROS3 solver, photolysis and the species table: photostationary state,
 * nitrogen and sulfur balance, the analytic Jacobian against finite differences, the production
 * solver against a GSL rk8pd reference at rtol 1e-8 over 24 h, positivity under a 100x emission
 * burst, the zenith angle against an independent almanac formula, and the cost per cell-step. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include "aerosol.h"
#include "chem.h"
#include "photolysis.h"
#include "rosenbrock.h"
#include "species.h"
#include "testutil.h"
#include "timeutil.h"

#define TABLE "config/species.csv"
#define NS CH_NSPEC

static const double URUMQI_LAT = 43.83, URUMQI_LON = 87.62;

typedef struct {
    SpeciesTable t;
    ChemMech m;
    ChemWork *w;
} Fix;

static int setup(void **st)
{
    Fix *f = calloc(1, sizeof *f);
    BgErr e = {0};
    if (species_load(&f->t, TABLE, &e) || chem_mech_init(&f->m, &f->t, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    f->w = chem_work_create(&f->m);
    *st = f;
    return f->w ? 0 : -1;
}

static int teardown(void **st)
{
    Fix *f = *st;
    chem_work_free(f->w);
    species_free(&f->t);
    free(f);
    return 0;
}

static void set(const Fix *f, double *c, const char *name, double v)
{
    int i = species_find(&f->t, name);
    assert_true(i >= 0);
    c[i] = v;
}

static double get(const Fix *f, const double *c, const char *name)
{
    int i = species_find(&f->t, name);
    assert_true(i >= 0);
    return c[i];
}

/* a polluted winter cell of Urumqi (ppb; aerosol in ppb of the molecule) */
static void winter_state(const Fix *f, double *c)
{
    memset(c, 0, (size_t)f->t.n * sizeof *c);
    set(f, c, "NO", 20);
    set(f, c, "NO2", 30);
    set(f, c, "O3", 25);
    set(f, c, "ROC", 150);
    set(f, c, "HNO3", 1);
    set(f, c, "SO2", 20);
    set(f, c, "NH3", 15);
    set(f, c, "CO", 2000);
    set(f, c, "NO3", 0.001);
    set(f, c, "N2O5", 0.05);
    set(f, c, "PSO4", 5);
    set(f, c, "PNO3", 8);
    set(f, c, "PNH4", 20);
    set(f, c, "PBC", 10);
    set(f, c, "POC", 30);
}

/* ---- species table ---------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_species_table(void **st)
{
    Fix *f = *st;
    const SpeciesTable *t = &f->t;
    static const char *const need[] = {"NO", "NO2", "O3", "ROC", "HNO3", "SO2", "NH3", "CO", "NO3",
                                       "N2O5", "PSO4", "PNO3", "PNH4", "PBC", "POC", "PPM", "PMC"};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++) assert_true(species_find(t, need[i]) >= 0);
    assert_int_equal(species_find(t, "RP"), -1);
    assert_int_equal(species_find(t, "OH"), -1);
    for (int i = 0; i < t->n; i++) {
        const Species *s = &t->s[i];
        assert_int_equal(s->output_ugm3, s->phase == SPECIES_AEROSOL);
        if (s->phase == SPECIES_GAS) assert_true(s->henry_m_atm > 0);
        else assert_true(s->diameter_um > 0);
    }
    /* 10 ug m-3 of sulfate at 298.15 K, 1 atm is 2.546 ppb (M = 96.06 g/mol, n = 40.874 mol m-3) */
    const Species *so4 = &t->s[species_find(t, "PSO4")];
    double ppb = species_ugm3_to_ppb(so4, 10.0, 298.15, 101325.0);
    assert_close(ppb, 10.0 / (96.06 * 101325.0 / (8.314462618 * 298.15)) * 1e3, 1e-12);
    assert_close(species_ppb_to_ugm3(so4, ppb, 298.15, 101325.0), 10.0, 1e-12);
    /* the default path (next to the test program: build/tests/../../config) */
    char path[1024];
    assert_int_equal(species_default_path(path, sizeof path), 0);
    SpeciesTable d;
    BgErr e = {0};
    assert_int_equal(species_load(&d, NULL, &e), BG_OK);
    assert_int_equal(d.n, t->n);
    species_free(&d);

    /* bad rows: BG_EINPUT naming file:line and the column */
    char dir[] = "/tmp/bogda_species_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char bad[1100];
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    const char *hdr = "name,phase,molar_mass_g_mol,transported,output_units,henry_m_atm,henry_temp_K,"
                      "f0_reactivity,diameter_um,cf_standard_name,description\n";
    struct { const char *row, *expect; } cases[] = {
        {"NO,gas,abc,1,ppb,1e-3,1600,0,0,,x\n", ":3: column molar_mass_g_mol = 'abc'"},
        {"NO,liquid,30,1,ppb,1e-3,1600,0,0,,x\n", ":3: column phase = 'liquid'"},
        {"NO,gas,30,1,ppm,1e-3,1600,0,0,,x\n", ":3: column output_units = 'ppm'"},
        {"NO,gas,30,1,ppb,1e-3,1600,0,0,,x\n", ":3: column name = 'NO': species listed twice"},
        {"NO,gas,30,1\n", ":3: 4 columns, expected 11"},
        {"P,aerosol,30,1,ugm3,0,0,0,0,,x\n", ":3: column diameter_um = '0'"},
        {"Q,gas,30,2,ppb,1e-3,1600,0,0,,x\n", ":3: column transported = '2'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[2048];
        snprintf(text, sizeof text, "%sNO,gas,30.006,1,ppb,1.9e-3,1600,0,0,,\"nitric oxide, a gas\"\n%s",
                 hdr, cases[i].row);
        write_file(bad, text);
        BgErr eb = {0};
        SpeciesTable b;
        assert_int_equal(species_load(&b, bad, &eb), BG_EINPUT);
        if (!strstr(eb.msg, cases[i].expect)) {
            fprintf(stderr, "message '%s' lacks '%s'\n", eb.msg, cases[i].expect);
            fail();
        }
        assert_non_null(strstr(eb.msg, bad));
    }
    write_file(bad, "name,phase\nNO,gas\n");
    BgErr eh = {0};
    SpeciesTable b;
    assert_int_equal(species_load(&b, bad, &eh), BG_EINPUT);
    /* a quoted description with a comma is one field */
    char text[2048];
    snprintf(text, sizeof text, "%sNO,gas,30.006,1,ppb,1.9e-3,1600,0,0,,\"nitric oxide, a gas\"\n", hdr);
    write_file(bad, text);
    BgErr eq = {0};
    assert_int_equal(species_load(&b, bad, &eq), BG_OK);
    assert_string_equal(b.s[0].description, "nitric oxide, a gas");
    /* a table without a mechanism species is refused by the chemistry */
    ChemMech m;
    BgErr em = {0};
    assert_int_equal(chem_mech_init(&m, &b, &em), BG_EINPUT);
    assert_non_null(strstr(em.msg, ": species needed by the chemistry is not in the species table"));
    species_free(&b);
    unlink(bad);
    rmdir(dir);
    print_message("species table: %d species from %s; bad rows refused with file:line and column\n",
                  t->n, TABLE);
}

/* ---- photolysis ------------------------------------------------------------------------- */

/* Independent reference: the Astronomical Almanac's low-precision solar coordinates
 * (Michalsky 1988, Solar Energy 40, 227), via the ecliptic longitude and Greenwich mean
 * sidereal time; good to about 0.01 degree. */
static double almanac_cos_zenith(double t, double lat, double lon)
{
    const double d2r = M_PI / 180.0;
    double jd = t / 86400.0 + 2440587.5;
    double n = jd - 2451545.0;
    double L = fmod(280.460 + 0.9856474 * n, 360.0);
    double g = fmod(357.528 + 0.9856003 * n, 360.0) * d2r;
    double lam = (L + 1.915 * sin(g) + 0.020 * sin(2 * g)) * d2r;
    double eps = (23.439 - 0.0000004 * n) * d2r;
    double ra = atan2(cos(eps) * sin(lam), cos(lam));
    double dec = asin(sin(eps) * sin(lam));
    double gmst = fmod(6.697375 + 0.0657098242 * n + 24.0 * fmod(jd + 0.5, 1.0), 24.0); /* h */
    double ha = (gmst * 15.0 + lon) * d2r - ra;
    return sin(lat * d2r) * sin(dec) + cos(lat * d2r) * cos(dec) * cos(ha);
}

static void test_photolysis(void **st)
{
    (void)st;
    double t0;
    assert_int_equal(time_parse("2024-01-01T00:00:00Z", &t0), 0);
    double maxdiff = 0;
    for (int d = 0; d < 366; d += 7)
        for (int h = 0; h < 24; h += 1)
            for (int k = 0; k < 3; k++) {
                double lat = k == 0 ? URUMQI_LAT : k == 1 ? -33.9 : 65.0;
                double lon = k == 0 ? URUMQI_LON : k == 1 ? 18.4 : -147.7;
                double t = t0 + d * 86400.0 + h * 3600.0 + 1234.0;
                double ca = solar_cos_zenith(t, lat, lon), cb = almanac_cos_zenith(t, lat, lon);
                if (ca < 0 && cb < 0) continue; /* night: J = 0 either way */
                double a = acos(fmax(-1, fmin(1, ca))) * 180 / M_PI;
                double b = acos(fmax(-1, fmin(1, cb))) * 180 / M_PI;
                if (fabs(a - b) > maxdiff) maxdiff = fabs(a - b);
            }
    /* Spencer's series ignore the leap-year phase of the equinox (0.3 degree of declination in
     * 2024) and carry about 0.5 minute of equation-of-time error: up to 0.5 degree of zenith
     * angle, 1% in J(NO2) at a winter noon, well inside what the J fits resolve. */
    print_message("solar zenith angle (sun up, 3 sites, a year): NOAA/Spencer vs almanac (Michalsky "
                  "1988), max difference %.3f deg\n", maxdiff);
    assert_true(maxdiff < 0.6);
    /* Urumqi noon (06:00 UTC ~ solar noon at 87.6 E minus the equation of time) on 2024-01-15:
     * zenith = latitude - declination = 43.83 + 21.2 */
    double tn;
    time_parse("2024-01-15T06:00:00Z", &tn);
    double best = -1;
    for (int m = -60; m <= 60; m++) best = fmax(best, solar_cos_zenith(tn + 60.0 * m, URUMQI_LAT, URUMQI_LON));
    assert_close(acos(best) * 180 / M_PI, 43.83 + 21.2, 0.3);

    PhotRates j;
    photolysis_clear_sky(1.0, &j);
    assert_close(j.jno2, 1.165e-2 * exp(-0.267), 1e-15);
    photolysis_clear_sky(-0.1, &j);
    assert_true(j.jno2 == 0 && j.jo1d == 0 && j.jno3_no2 == 0 && j.jno3_no == 0);
    /* Clear-sky J(NO2) against HYSPLIT's GRS J(NO2)(zenith, SW flux) (Draxler, ierno2.f) fed the
     * Haurwitz irradiance: two independent fits agree within 30% from 20 to 80 degrees (the
     * largest gap, 25%, at 65 degrees, where HYSPLIT's piecewise fit has its kink). */
    double worst = 0;
    for (double z = 20; z <= 80; z += 5) {
        double mu = cos(z * M_PI / 180), sw = photolysis_clear_swdown(mu), hy;
        if (z < 47) hy = (4.23e-4 + 1.09e-4 / mu) * sw;
        else if (z < 64) hy = 5.82e-4 * sw;
        else hy = (-0.997e-4 + 1.2e-3 * (1 - mu)) * sw;
        hy /= 60.0; /* min-1 -> s-1 */
        photolysis_clear_sky(mu, &j);
        worst = fmax(worst, fabs(j.jno2 / hy - 1));
    }
    print_message("clear-sky J(NO2) (MCM) vs HYSPLIT GRS fit: max relative difference %.1f%%\n",
                  100 * worst);
    assert_true(worst < 0.30);
    /* J(NO3)/J(NO2) about 20-25 at mid zenith angles (DESIGN 4.2) */
    for (double z = 30; z <= 65; z += 5) {
        photolysis_clear_sky(cos(z * M_PI / 180), &j);
        double r = (j.jno3_no2 + j.jno3_no) / j.jno2;
        assert_true(r > 19.5 && r < 26.0);
    }
    /* clouds: half the clear-sky irradiance halves J; snow raises it */
    double mu = 0.45;
    assert_close(photolysis_cloud_factor(0.5 * photolysis_clear_swdown(mu), mu), 0.5, 1e-12);
    assert_close(photolysis_cloud_factor(-1, mu), 1.0, 0);
    assert_close(photolysis_cloud_factor(2000, mu), 1.0, 0);
    assert_close(photolysis_albedo_factor(0, mu), 1.0, 1e-15);
    double fs = photolysis_albedo_factor(1, mu);
    assert_close(fs, (1 + 2 * 0.7 * mu) / (1 + 2 * 0.15 * mu), 1e-12);
    PhotRates a, b;
    double tt = tn;
    double cz = solar_cos_zenith(tt, URUMQI_LAT, URUMQI_LON);
    photolysis_rates(tt, URUMQI_LAT, URUMQI_LON, 0.5 * photolysis_clear_swdown(cz), 1.0, &a);
    photolysis_clear_sky(cz, &b);
    assert_close(a.jno2, b.jno2 * 0.5 * photolysis_albedo_factor(1.0, cz), 1e-15);
    photolysis_fixed(8e-3, &a);
    assert_close(a.jno2, 8e-3, 0);
    photolysis_clear_sky(0.5, &b);
    assert_close(a.jno3_no2 / a.jno2, b.jno3_no2 / b.jno2, 1e-12);
    photolysis_clear_sky(cz, &b);
    print_message("Urumqi 2024-01-15 06 UTC: SZA %.1f deg, clear-sky J(NO2) %.2e s-1, J(O1D) %.2e s-1, "
                  "over snow x%.2f, OH %.2e cm-3\n", acos(cz) * 180 / M_PI, b.jno2, b.jo1d,
                  photolysis_albedo_factor(1.0, cz), chem_oh(&b));
}

/* ---- mechanism -------------------------------------------------------------------------- */

static void env_noon(const Fix *f, ChemEnv *env, double T)
{
    PhotRates j;
    photolysis_fixed(6e-3, &j);
    chem_env_init(env, &f->m, T, 90000.0, 0.6, 0.0, &j);
}

static void test_rates(void **st)
{
    Fix *f = *st;
    ChemEnv env;
    env_noon(f, &env, 298.15);
    double k[64];
    chem_rate_constants(&env, k);
    /* M at 298.15 K and 900 hPa */
    assert_close(env.M, 90000.0 / (1.380649e-23 * 298.15) * 1e-6, 1e9);
    /* GRS R4 at 1 atm, 298 K (ppm-1 min-1 -> ppb-1 s-1) vs IUPAC NO + O3 2.07e-12 exp(-1400/T):
     * the two agree within 10% */
    env.p = 101325.0;
    env.M = 101325.0 / (1.380649e-23 * 298.15) * 1e-6;
    chem_rate_constants(&env, k);
    double k4_iupac = 2.07e-12 * exp(-1400.0 / 298.15) * env.M * 1e-9;
    assert_close(k[3] / k4_iupac, 1.0, 0.1);
    /* pressure scaling of a GRS constant */
    double k4_1atm = k[3];
    env.p = 90000.0;
    chem_rate_constants(&env, k);
    assert_close(k[3], k4_1atm * 90000.0 / 101325.0, 1e-15);
    /* Troe: low- and high-pressure limits */
    /* (the broadening factor Fc^(1/(1+x^2)) fades only logarithmically) */
    assert_close(chem_troe(1e-30, 1e-11, 0.6, 1e8) / (1e-30 * 1e8), 1.0, 1e-2);
    assert_close(chem_troe(1e-30, 1e-11, 0.6, 1e27) / 1e-11, 1.0, 1e-2);
    /* N2O5 <-> NO2 + NO3 equilibrium constant from the two Troe rates vs IUPAC
     * Keq = 2.7e-27 exp(11000/T) cm3 at 298 K, within 40% (the IUPAC uncertainty) */
    double tr = 298.15 / 300.0, M = 2.46e19;
    double kf = chem_troe(3.6e-30 * pow(tr, -4.1), 1.9e-12 * pow(tr, 0.2), 0.35, M);
    double kr = chem_troe(1.3e-3 * pow(tr, -3.5) * exp(-11000.0 / 298.15),
                          9.7e14 * pow(tr, 0.1) * exp(-11080.0 / 298.15), 0.35, M);
    assert_close((kf / kr) / (2.7e-27 * exp(11000.0 / 298.15)), 1.0, 0.4);
    print_message("k(OH+NO2) at 263 K, 900 hPa: %.2e cm3 s-1; Keq(N2O5) at 298 K: %.2e cm3\n",
                  chem_troe(3.2e-30 * pow(263.0 / 300, -4.5), 3.0e-11, 0.41,
                            90000.0 / (1.380649e-23 * 263.0) * 1e-6), kf / kr);
}

static void mech_vector(const Fix *f, const double *c, double *y)
{
    for (int s = 0; s < NS; s++) y[s] = c[f->m.idx[s]];
}

/* chem_exp / chem_log (the vectorisable exp and log of the rate constants) against glibc:
 * at most 2 ulp apart over the arguments the rate constants and Troe factors take. */
static double ulp_diff(double a, double b)
{
    if (a == b) return 0.0;
    double u = nextafter(fabs(b), INFINITY) - fabs(b);
    return fabs(a - b) / u;
}

static void test_vmath(void **st)
{
    (void)st;
    unsigned long long x = 88172645463325252ull; /* xorshift64: a fixed, portable sequence */
    double worst_e = 0, worst_l = 0, at_e = 0, at_l = 0;
    const int N = 1000000;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const double u = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
        const double a = -60.0 + 70.0 * u;                       /* exp: -60 .. 10 */
        const double de = ulp_diff(chem_exp(a), exp(a));
        if (de > worst_e) worst_e = de, at_e = a;
        const double b = exp(-80.0 + 150.0 * u);                 /* log: 1e-35 .. 1e30 */
        const double dl = ulp_diff(chem_log(b), log(b));
        if (dl > worst_l) worst_l = dl, at_l = b;
    }
    /* near 1, where log is small and the cancellation-prone branch of fdlibm applies */
    for (int i = -2000; i <= 2000; i++) {
        const double b = 1.0 + i * 1e-4;
        const double dl = ulp_diff(chem_log(b), log(b));
        if (dl > worst_l) worst_l = dl, at_l = b;
    }
    assert_true(chem_exp(0.0) == 1.0 && chem_log(1.0) == 0.0);
    print_message("chem_exp vs glibc exp over [-60, 10]: worst %.2f ulp (x = %.6g); chem_log vs glibc log over "
                  "[1e-35, 1e30] and near 1: worst %.2f ulp (x = %.6g); %d random arguments each\n",
                  worst_e, at_e, worst_l, at_l, N);
    assert_true(worst_e <= 2.0);
    assert_true(worst_l <= 2.0);
}

/* Every rate constant of the lane code (chem_rate_constants, chem_rate_constants_n) within 1e-14
 * relative of the table's rate functions evaluated with libm (chem_rate_constants_ref), over
 * 200-320 K, 300-1050 hPa, dark and lit, with and without OH; and chem_rate_constants_n gives
 * each cell the bits chem_rate_constants gives it alone. */
static void test_rates_vs_libm(void **st)
{
    Fix *f = *st;
    enum { NC = 301 };
    static ChemEnv env[NC];
    static double kn[NC * 64];
    for (int i = 0; i < NC; i++) {
        PhotRates j;
        photolysis_fixed(i % 3 == 0 ? 0.0 : 1e-4 + 1e-5 * i, &j);
        chem_env_init(&env[i], &f->m, 200.0 + 0.4 * i, 30000.0 + 2500.0 * (i % 31), 0.3 + 0.002 * i,
                      i % 5 == 0 ? 0.1 : 0.0, &j);
        env[i].k_n2o5_het = 1e-5 * (i % 7);
        env[i].k_so2_aq = 1e-7 * (i % 11);
    }
    chem_rate_constants_n(env, NC, kn);
    double worst = 0;
    int worst_r = -1;
    long nsame = 0;
    for (int i = 0; i < NC; i++) {
        double k1[64], kr[64];
        chem_rate_constants(&env[i], k1);
        chem_rate_constants_ref(&env[i], kr);
        for (int r = 0; r < chem_nreactions; r++) {
            nsame += memcmp(&k1[r], &kn[i * chem_nreactions + r], sizeof(double)) == 0;
            if (kr[r] == 0.0) {
                assert_true(k1[r] == 0.0);
                continue;
            }
            const double d = fabs(k1[r] / kr[r] - 1.0);
            if (d > worst) worst = d, worst_r = r;
        }
    }
    print_message("rate constants in lanes vs libm, %d cells (200-320 K, 300-1050 hPa, dark and lit): worst "
                  "relative difference %.2e (%s); lanes vs one cell at a time: %ld of %d values bitwise equal\n",
                  NC, worst, worst_r >= 0 ? chem_reactions[worst_r].label : "-", nsame, NC * chem_nreactions);
    assert_true(worst <= 1e-14);
    assert_int_equal(nsame, NC * chem_nreactions);
}

/* Round 4 of issue 7: the relative humidity and the heterogeneous rates in vector lanes
 * (chem_rh_n, chem_cells_rates; chem_env_heterogeneous through the same kernels) against the
 * libm code they replace (the former chemproc_rh with exp, chem_env_heterogeneous_ref with
 * aerosol.c's functions) to 1e-14 relative, over 240-300 K (both sides of the 282-K switch of
 * the N2O5 gamma), 300-1050 hPa, RH 0-1 (the efflorescence, the 50 % and the 99 % caps),
 * with and without fog, aerosol and O3; and chem_cells_rates gives each cell, whatever its lane
 * and the other cells of its lane group, the bits of chem_env_init + chem_env_heterogeneous_m +
 * chem_rate_constants for that cell alone. */
static void test_het_vs_libm(void **st)
{
    Fix *f = *st;
    enum { NC = 397 };
    const int ns = f->t.n, nr = chem_nreactions;
    double *T = malloc(NC * sizeof *T), *P = malloc(NC * sizeof *P), *qv = malloc(NC * sizeof *qv);
    double *rh = malloc(NC * sizeof *rh), *lwc = malloc(NC * sizeof *lwc), *cs = malloc((size_t)ns * NC * sizeof *cs);
    double *j2 = malloc(NC * sizeof *j2), *ja = malloc(NC * sizeof *ja), *jb = malloc(NC * sizeof *jb), *oh = malloc(NC * sizeof *oh);
    double *k = malloc((size_t)NC * nr * sizeof *k), *k2 = malloc((size_t)NC * nr * sizeof *k2);
    double (*c)[64] = malloc(NC * sizeof *c);
    ChemEnv *env = malloc(NC * sizeof *env);
    double worst_rh = 0, worst_het = 0, worst_aq = 0;
    long nsame_rh = 0, n_het = 0, n_aq = 0;
    for (int i = 0; i < NC; i++) {
        T[i] = 240.0 + 60.0 * ((i * 37) % NC) / NC;
        P[i] = 30000.0 + 75000.0 * ((i * 53) % NC) / NC;
        /* from dry to supersaturated (clamped to 1): qv up to 1.5x saturation at T */
        const double es = 611.2 * exp(17.67 * (T[i] - 273.15) / (T[i] - 29.65));
        const double x = 1.5 * ((i * 71) % NC) / NC;
        qv[i] = 0.622 * x * es / (P[i] - x * es);
        lwc[i] = i % 4 == 0 ? 0.02 + 0.003 * (i % 50) : 0.0;
        PhotRates jr;
        photolysis_fixed(i % 3 == 0 ? 0.0 : 1e-4 + 2e-5 * (i % 40), &jr);
        j2[i] = jr.jno2, ja[i] = jr.jno3_no2, jb[i] = jr.jno3_no, oh[i] = f->m.oh_scale * chem_oh(&jr);
        winter_state(f, c[i]);
        const double s = (i % 9) / 4.0; /* 0: no aerosol at all */
        for (int q = 0; q < ns; q++)
            if (f->t.s[q].phase == SPECIES_AEROSOL) c[i][q] *= s;
        if (i % 7 == 0) set(f, c[i], "PNO3", 0.0);
        if (i % 5 == 0) set(f, c[i], "O3", 0.0);
        for (int q = 0; q < ns; q++) cs[(size_t)q * NC + i] = c[i][q];
        /* the former chemproc_rh, with libm's exp */
        const double e = qv[i] * P[i] / (0.622 + qv[i]), r = e / es;
        const double rref = r < 0 ? 0 : (r > 1 ? 1 : r);
        const double r1 = chem_rh(qv[i], T[i], P[i]);
        if (rref > 0) worst_rh = fmax(worst_rh, fabs(r1 / rref - 1.0));
        else assert_true(r1 == 0.0);
    }
    chem_rh_n(NC, qv, T, P, rh);
    for (int i = 0; i < NC; i++) {
        const double r1 = chem_rh(qv[i], T[i], P[i]);
        nsame_rh += memcmp(&r1, &rh[i], sizeof r1) == 0;
        PhotRates jr;
        photolysis_fixed(i % 3 == 0 ? 0.0 : 1e-4 + 2e-5 * (i % 40), &jr);
        ChemEnv ref;
        chem_env_init(&env[i], &f->m, T[i], P[i], rh[i], lwc[i], &jr);
        ref = env[i];
        chem_env_heterogeneous_m(&env[i], &f->m, &f->t, c[i]);
        chem_env_heterogeneous_ref(&ref, &f->m, &f->t, c[i]);
        if (ref.k_n2o5_het == 0.0) assert_true(env[i].k_n2o5_het == 0.0);
        else n_het++, worst_het = fmax(worst_het, fabs(env[i].k_n2o5_het / ref.k_n2o5_het - 1.0));
        if (ref.k_so2_aq == 0.0) assert_true(env[i].k_so2_aq == 0.0);
        else n_aq++, worst_aq = fmax(worst_aq, fabs(env[i].k_so2_aq / ref.k_so2_aq - 1.0));
        chem_rate_constants(&env[i], k2 + (size_t)i * nr);
    }
    /* all cells in one call, then from cell 3 on (every lane group composed differently) */
    const ChemCells cells = {T, P, rh, lwc, j2, ja, jb, oh, cs, NC};
    long nsame = 0, nsame3 = 0;
    chem_cells_rates(&f->m, &f->t, NC, &cells, k);
    for (size_t v = 0; v < (size_t)NC * nr; v++) nsame += memcmp(&k[v], &k2[v], sizeof *k) == 0;
    const ChemCells cells3 = {T + 3, P + 3, rh + 3, lwc + 3, j2 + 3, ja + 3, jb + 3, oh + 3, cs + 3, NC};
    chem_cells_rates(&f->m, &f->t, NC - 3, &cells3, k);
    for (size_t v = 0; v < (size_t)(NC - 3) * nr; v++) nsame3 += memcmp(&k[v], &k2[v + 3 * (size_t)nr], sizeof *k) == 0;
    /* the lane-major layout (round 6: k[r * ldk + i], rows padded), whole and shifted by 3 */
    long nsame_lm = 0;
    const size_t ldk = NC + 5;
    double *klm = malloc(ldk * nr * sizeof *klm);
    chem_cells_rates_lm(&f->m, &f->t, NC, &cells, klm, ldk);
    for (int i = 0; i < NC; i++)
        for (int r = 0; r < nr; r++) nsame_lm += memcmp(&klm[(size_t)r * ldk + i], &k2[(size_t)i * nr + r], sizeof *k) == 0;
    chem_cells_rates_lm(&f->m, &f->t, NC - 3, &cells3, klm, ldk);
    for (int i = 0; i < NC - 3; i++)
        for (int r = 0; r < nr; r++)
            nsame_lm += memcmp(&klm[(size_t)r * ldk + i], &k2[(size_t)(i + 3) * nr + r], sizeof *k) == 0;
    /* a batch member's call (ChemShare): chem_cells_het_lm writes exactly the rows of the
     * concentration-dependent reactions (H1 and A1 by their labels), with chem_cells_rates_lm's
     * bits, and leaves the others as they were (a sentinel here) */
    long nhet_same = 0, nkept = 0, nconc = 0;
    for (int r = 0; r < nr; r++) {
        const int conc = !strcmp(chem_reactions[r].label, "H1") || !strcmp(chem_reactions[r].label, "A1");
        assert_int_equal(chem_reaction_needs_conc(r), conc);
        nconc += conc;
    }
    assert_int_equal(nconc, 2);
    for (size_t v = 0; v < ldk * nr; v++) klm[v] = -7.0;
    chem_cells_het_lm(&f->m, &f->t, NC - 3, &cells3, klm, ldk);
    for (int i = 0; i < NC - 3; i++)
        for (int r = 0; r < nr; r++) {
            if (chem_reaction_needs_conc(r))
                nhet_same += memcmp(&klm[(size_t)r * ldk + i], &k2[(size_t)(i + 3) * nr + r], sizeof *k) == 0;
            else
                nkept += klm[(size_t)r * ldk + i] == -7.0;
        }
    for (int r = 0; r < nr; r++)
        for (size_t i = NC - 3; i < ldk; i++) nkept -= klm[(size_t)r * ldk + i] != -7.0;
    print_message("chem_cells_het_lm: %ld of %d heterogeneous / aqueous rates bitwise equal, %ld of %d other "
                  "values untouched\n", nhet_same, 2 * (NC - 3), nkept, (NC - 3) * (nr - 2));
    assert_int_equal(nhet_same, 2L * (NC - 3));
    assert_int_equal(nkept, (long)(NC - 3) * (nr - 2));
    free(klm);
    print_message("lanes vs libm, %d cells (240-300 K, 300-1050 hPa, RH 0-1, fog in 1/4): relative humidity worst %.2e "
                  "(lanes vs chem_rh: %ld of %d bitwise equal); N2O5 uptake worst %.2e (%ld non-zero), SO2 aqueous "
                  "worst %.2e (%ld non-zero); chem_cells_rates vs one cell at a time: %ld and %ld (shifted by 3) of "
                  "%d values bitwise equal; lane-major (chem_cells_rates_lm, both): %ld of %d\n",
                  NC, worst_rh, nsame_rh, NC, worst_het, n_het, worst_aq, n_aq, nsame, nsame3, NC * nr, nsame_lm,
                  (2 * NC - 3) * nr);
    assert_int_equal(nsame_lm, (long)(2 * NC - 3) * nr);
    assert_true(worst_rh <= 1e-14);
    assert_true(worst_het <= 1e-14);
    assert_true(worst_aq <= 1e-14);
    assert_true(n_het > NC / 2 && n_aq > NC / 2);
    assert_int_equal(nsame_rh, NC);
    assert_int_equal(nsame, (long)NC * nr);
    assert_int_equal(nsame3, (long)(NC - 3) * nr);
    free(T), free(P), free(qv), free(rh), free(lwc), free(cs), free(j2), free(ja), free(jb), free(oh);
    free(k), free(k2), free(c), free(env);
}

/* chem_kp_nh4no3_n (chemproc's Kp of the NH4NO3 equilibrium, in lanes with chem_exp / chem_log)
 * against aerosol_kp_nh4no3 (libm) to 1e-14 relative, dry and deliquesced, over 230-310 K and RH
 * 0-1 (RH = 1 exactly: Kp = 0); each cell's bits independent of the lane group (from cell 3 on) */
static void test_kp_vs_libm(void **st)
{
    (void)st;
    enum { NC = 1003 };
    double *T = malloc(NC * sizeof *T), *rh = malloc(NC * sizeof *rh), *kp = malloc(NC * sizeof *kp);
    double *kp3 = malloc(NC * sizeof *kp3);
    double worst = 0.0, worst_lib = 0.0, worst_lane = 0.0;
    long naq = 0, nzero = 0, nsame3 = 0, nskip = 0;
    for (int i = 0; i < NC; i++) {
        T[i] = 230.0 + 80.0 * ((i * 37) % NC) / NC;
        rh[i] = i % 50 == 0 ? 1.0 : ((i * 71) % NC) / (double)(NC - 1);
    }
    chem_kp_nh4no3_n(NC, T, rh, kp);
    chem_kp_nh4no3_n(NC - 3, T + 3, rh + 3, kp3 + 3);
    for (int i = 0; i < NC; i++) {
        const double ref = aerosol_kp_nh4no3(T[i], rh[i]), drh = aerosol_drh_nh4no3(T[i]);
        if (i >= 3) nsame3 += memcmp(&kp[i], &kp3[i], sizeof *kp) == 0;
        if (fabs(rh[i] - drh) < 1e-12) { nskip++; continue; } /* the two exps may put it either side */
        naq += rh[i] >= drh;
        if (ref == 0.0) {
            nzero++;
            assert_true(kp[i] == 0.0);
            continue;
        }
        worst = fmax(worst, fabs(kp[i] / ref - 1.0));
        /* both against the formula in long double (x87, 64-bit mantissa): the exponents' terms
         * reach |24.46 ln T| ~ 140, so 1 ulp of ln T alone moves Kp by ~3e-14 relative in either */
        const long double t = T[i], lt = logl(t);
        long double kx = expl(118.87L - 24084.0L / t - 6.025L * lt);
        if (rh[i] >= drh) {
            const long double w = 1.0L - (long double)rh[i];
            kx *= (expl(-135.94L + 8763.0L / t + 19.12L * lt) - expl(-122.65L + 9969.0L / t + 16.22L * lt) * w +
                   expl(-182.61L + 13875.0L / t + 24.46L * lt) * w * w) * powl(w, 1.75L);
        }
        worst_lib = fmax(worst_lib, (double)fabsl(ref / kx - 1.0L));
        worst_lane = fmax(worst_lane, (double)fabsl(kp[i] / kx - 1.0L));
    }
    print_message("Kp(NH4NO3) in lanes vs aerosol_kp_nh4no3 (libm): worst %.2e relative over %d cells "
                  "(%ld deliquesced, %ld with Kp = 0, %ld at the DRH skipped); against long double: lanes %.2e, "
                  "libm %.2e; from cell 3 on %ld of %d the same bits\n",
                  worst, NC, naq, nzero, nskip, worst_lane, worst_lib, nsame3, NC - 3);
    assert_true(worst < 1e-13);
    assert_true(worst_lane < 1e-13);
    assert_true(naq > 100 && nzero > 10);
    assert_int_equal(nsame3, NC - 3);
    free(T), free(rh), free(kp), free(kp3);
}

/* The solvers' step-size factor (division-free inverse cube root, round 7) against
 * clamp(0.9 / cbrt(err), 0.2, 6) with libm's cbrt, over 1e-6..1e4 and at the clamp's edges */
static void test_step_factor(void **st)
{
    (void)st;
    double worst = 0.0, at = 0.0;
    long n = 0;
    for (int i = 0; i <= 200000; i++) {
        const double e = pow(10.0, -6.0 + 10.0 * i / 200000.0);
        double ref = 0.9 / cbrt(e);
        ref = ref < 0.2 ? 0.2 : ref > 6.0 ? 6.0 : ref;
        const double d = fabs(ros_step_factor(e) / ref - 1.0);
        if (d > worst) worst = d, at = e;
        n++;
    }
    const double edges[] = {0.0, 0.003375, 0.0033749999, 91.125, 91.1250001, 0.125, 1.0, 8.0, 64.0, 1e30};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        const double e = edges[i];
        double ref = e > 0 ? 0.9 / cbrt(e) : 6.0;
        ref = ref < 0.2 ? 0.2 : ref > 6.0 ? 6.0 : ref;
        worst = fmax(worst, fabs(ros_step_factor(e) / ref - 1.0));
    }
    print_message("step-size factor vs 0.9 / cbrt(err) clamped to [0.2, 6]: worst relative difference %.2e "
                  "(err = %.6g) over %ld arguments in 1e-6..1e4 and the clamp's edges\n", worst, at, n);
    assert_true(worst < 1e-15);
}

static void test_jacobian(void **st)
{
    Fix *f = *st;
    double c[64], y[NS], jac[NS * NS], fp_[NS], fm[NS], k[64];
    double worst = 0;
    for (int trial = 0; trial < 6; trial++) {
        winter_state(f, c);
        ChemEnv env;
        PhotRates j;
        photolysis_fixed(trial < 3 ? 7e-3 : 1e-3 * trial, &j);
        if (trial == 2) photolysis_fixed(0.0, &j);
        chem_env_init(&env, &f->m, 255.0 + 8 * trial, 88000.0, 0.8, 0.1, &j);
        env.k_n2o5_het = 3e-4;
        env.k_so2_aq = 2e-6;
        chem_rate_constants(&env, k);
        mech_vector(f, c, y);
        for (int s = 0; s < NS; s++) y[s] *= 0.3 + 0.25 * ((s * 7 + trial * 3) % 5); /* vary */
        chem_jacobian(&f->m, k, y, jac);
        double jmax = 0;
        for (int i = 0; i < NS * NS; i++) jmax = fmax(jmax, fabs(jac[i]));
        for (int jj = 0; jj < NS; jj++) {
            double h = 1e-6 * fmax(fabs(y[jj]), 1e-3), save = y[jj];
            y[jj] = save + h;
            chem_rhs(&f->m, k, y, fp_);
            y[jj] = save - h;
            chem_rhs(&f->m, k, y, fm);
            y[jj] = save;
            for (int i = 0; i < NS; i++) {
                double fd = (fp_[i] - fm[i]) / (2 * h);
                double d = fabs(fd - jac[i * NS + jj]) / fmax(fabs(jac[i * NS + jj]), 1e-3 * jmax);
                if (d > worst) worst = d;
            }
        }
    }
    print_message("analytic Jacobian vs central differences (RP steady state included): max "
                  "relative difference %.2e\n", worst);
    assert_true(worst < 1e-6);
}

/* Photostationary state at noon with ROC = 0 (no RP): [O3][NO]/[NO2] = J(NO2)/k4. */
static void test_photostationary(void **st)
{
    Fix *f = *st;
    double c[64];
    winter_state(f, c);
    set(f, c, "ROC", 0);
    ChemEnv env;
    env_noon(f, &env, 268.0);
    double k[64];
    chem_rate_constants(&env, k);
    ChemStats cs = {0};
    for (int s = 0; s < 12; s++) assert_int_equal(chem_integrate(&f->m, &env, c, NULL, 300.0, f->w, &cs), CHEM_OK);
    double ratio = get(f, c, "O3") * get(f, c, "NO") / get(f, c, "NO2");
    double expect = env.j.jno2 / k[3];
    print_message("photostationary state at noon, ROC = 0: [O3][NO]/[NO2] = %.4f ppb, J/k4 = %.4f ppb "
                  "(rel. difference %.2e)\n", ratio, expect, ratio / expect - 1);
    assert_close(ratio / expect, 1.0, 0.01);
}

/* Nitrogen and sulfur atoms are conserved by the chemistry (ROS3 keeps linear invariants). */
static void test_conservation(void **st)
{
    Fix *f = *st;
    double c[64];
    winter_state(f, c);
    double n0 = chem_nitrogen(&f->t, c), s0 = chem_sulfur(&f->t, c);
    double t;
    time_parse("2024-01-15T00:00:00Z", &t);
    ChemStats cs = {0};
    double dn = 0, ds = 0;
    for (int s = 0; s < 288; s++, t += 300) {
        PhotRates j;
        photolysis_rates(t + 150, URUMQI_LAT, URUMQI_LON, -1, 0.5, &j);
        ChemEnv env;
        chem_env_init(&env, &f->m, 263.0, 90000.0, 0.85, s > 200 ? 0.2 : 0.0, &j);
        chem_env_heterogeneous(&env, &f->t, c);
        assert_int_not_equal(chem_integrate(&f->m, &env, c, NULL, 300.0, f->w, &cs), CHEM_FAILED);
        dn = fmax(dn, fabs(chem_nitrogen(&f->t, c) / n0 - 1));
        ds = fmax(ds, fabs(chem_sulfur(&f->t, c) / s0 - 1));
    }
    print_message("24 h of chemistry with fog: N drift %.1e, S drift %.1e (relative); PSO4 %.2f -> %.2f ppb, "
                  "HNO3+PNO3 %.2f ppb\n", dn, ds, 5.0, get(f, c, "PSO4"), get(f, c, "HNO3") + get(f, c, "PNO3"));
    assert_true(dn < 1e-10);
    assert_true(ds < 1e-10);
    assert_true(get(f, c, "PSO4") > 5.0);
}

/* ---- the production solver against a GSL reference over a 24-h box run ------------------- */

typedef struct {
    const ChemMech *m;
    const double *k;
} GslCtx;

static int gsl_f(double t, const double y[], double dydt[], void *p)
{
    (void)t;
    chem_rhs(((GslCtx *)p)->m, ((GslCtx *)p)->k, y, dydt);
    return GSL_SUCCESS;
}

/* three winter nights and days, NO and O3 (ppb): O3 in excess of NO (NO decays to nothing
 * overnight), NO in excess (O3 titrated), and a heavily polluted street canyon */
static const double WINTER_BOXES[3][2] = {{20, 25}, {100, 20}, {300, 5}};

/* the reference integrator of the GSL comparisons: rk8pd at rtol 1e-8 (first step 1e-3 s) */
static gsl_odeiv2_driver *gsl_reference(gsl_odeiv2_system *sys)
{
    return gsl_odeiv2_driver_alloc_y_new(sys, gsl_odeiv2_step_rk8pd, 1e-3, 1e-14, 1e-8);
}

/* box sc of WINTER_BOXES: the winter state c (species table order) and its mechanism vector y */
static void winter_box(Fix *f, int sc, double *c, double *y)
{
    winter_state(f, c);
    set(f, c, "NO", WINTER_BOXES[sc][0]);
    set(f, c, "O3", WINTER_BOXES[sc][1]);
    mech_vector(f, c, y);
}

/* the boxes' environment over the 300-s call starting at t (Urumqi, 263 K, 900 hPa, RH 0.85) and
 * its rate constants k; the heterogeneous rates are fixed so that the GSL system sees the same
 * constants */
static void winter_box_env(Fix *f, double t, ChemEnv *env, double *k)
{
    PhotRates j;
    photolysis_rates(t + 150, URUMQI_LAT, URUMQI_LON, -1, 0.5, &j);
    chem_env_init(env, &f->m, 263.0, 90000.0, 0.85, 0.0, &j);
    env->k_n2o5_het = 1e-4;
    env->k_so2_aq = 3e-6;
    chem_rate_constants(env, k);
}

static void test_gsl_reference(void **st)
{
    Fix *f = *st;
    const double (*scen)[2] = WINTER_BOXES;
    double k[64];
    GslCtx gc = {&f->m, k};
    gsl_odeiv2_system sys = {gsl_f, NULL, NS, &gc};
    gsl_odeiv2_driver *d = gsl_reference(&sys);
    for (int sc = 0; sc < 3; sc++) {
        double c[64], y[NS];
        winter_box(f, sc, c, y);
        double t;
        time_parse("2024-01-15T00:00:00Z", &t);
        ChemStats cs = {0};
        double worst = 0, worst_abs = 0, worst_val = 0;
        const char *worst_name = "";
        int nviol = 0, worst_step = 0;
        for (int s = 0; s < 288; s++, t += 300) {
            ChemEnv env;
            winter_box_env(f, t, &env, k);
            assert_int_equal(chem_integrate(&f->m, &env, c, NULL, 300.0, f->w, &cs), CHEM_OK);
            gsl_odeiv2_driver_reset(d);
            double tg = 0;
            assert_int_equal(gsl_odeiv2_driver_apply(d, &tg, 300.0, y), GSL_SUCCESS);
            for (int i = 0; i < NS; i++) {
                double a = c[f->m.idx[i]], b = y[i], diff = fabs(a - b);
                if (diff > 1e-6 && diff > 1e-4 * fabs(b)) nviol++;
                /* the worst case in units of the allowance max(1e-4 |b|, 1e-6 ppb) */
                double r = diff / fmax(1e-4 * fabs(b), 1e-6);
                if (r > worst) {
                    worst = r;
                    worst_abs = diff;
                    worst_name = chem_species_names[i];
                    worst_step = s;
                    worst_val = b;
                }
            }
        }
        print_message("24-h winter box, NO %.0f / O3 %.0f ppb: ROS3 (rtol %.0e, atol %.0e ppb) vs GSL rk8pd "
                      "(rtol 1e-8): worst %s at %.2f h (%.3e ppb), |diff| %.2e ppb = %.2f of the "
                      "allowance; %.2f steps + %.2f rejections per 300-s call\n", scen[sc][0], scen[sc][1],
                      f->m.rtol, f->m.atol, worst_name, (worst_step + 1) / 12.0, worst_val, worst_abs,
                      worst, cs.ros.accepted / 288.0, cs.ros.rejected / 288.0);
        assert_int_equal(nviol, 0);
        assert_int_equal(cs.retried, 0);
    }
    gsl_odeiv2_driver_free(d);
}

/* ---- positivity under a 100x emission burst ---------------------------------------------- */

static void test_positivity_burst(void **st)
{
    Fix *f = *st;
    double c[64], src[64] = {0};
    winter_state(f, c);
    set(f, c, "NO", 2);
    set(f, c, "O3", 40);
    double t;
    time_parse("2024-01-15T12:00:00Z", &t); /* 18 h local solar time: dark */
    /* a city's surface layer: 5 ppb/h of NOx and 2 ppb/h of SO2 ordinarily; 100x for one hour */
    int ino = species_find(&f->t, "NO"), ino2 = species_find(&f->t, "NO2"),
        iso2 = species_find(&f->t, "SO2"), ico = species_find(&f->t, "CO");
    double n_in = 0, s_in = 0, n0 = chem_nitrogen(&f->t, c), s0 = chem_sulfur(&f->t, c);
    ChemStats cs = {0};
    double minv = 1e300;
    int retried = 0;
    for (int s = 0; s < 36; s++, t += 300) {
        double burst = (s >= 6 && s < 18) ? 100.0 : 1.0;
        src[ino] = burst * 4.5 / 3600;
        src[ino2] = burst * 0.5 / 3600;
        src[iso2] = burst * 2.0 / 3600;
        src[ico] = burst * 50.0 / 3600;
        PhotRates j;
        photolysis_rates(t + 150, URUMQI_LAT, URUMQI_LON, -1, 0.0, &j);
        ChemEnv env;
        chem_env_init(&env, &f->m, 258.0, 90000.0, 0.9, 0.0, &j);
        chem_env_heterogeneous(&env, &f->t, c);
        int r = chem_integrate(&f->m, &env, c, src, 300.0, f->w, &cs);
        assert_int_not_equal(r, CHEM_FAILED);
        retried += r == CHEM_RETRIED;
        n_in += (src[ino] + src[ino2]) * 300;
        s_in += src[iso2] * 300;
        for (int i = 0; i < f->t.n; i++) minv = fmin(minv, c[i]);
    }
    double dn = fabs((chem_nitrogen(&f->t, c) - n0 - n_in) / (n0 + n_in));
    double ds = fabs((chem_sulfur(&f->t, c) - s0 - s_in) / (s0 + s_in));
    print_message("100x NOx/SO2 burst for 1 h at night: NO peaks, O3 titrated to %.2e ppb; minimum of "
                  "all species %.2e ppb (>= 0); N balance %.1e, S balance %.1e; %ld steps, %ld rejected "
                  "for negativity, %d cells retried\n", get(f, c, "O3"), minv, dn, ds, cs.ros.accepted,
                  cs.ros.rejected_negative, retried);
    assert_true(minv >= 0.0);
    assert_true(dn < 1e-10);
    assert_true(ds < 1e-10);
}

/* ---- ROS3 on a linear stiff system with a closed-form solution --------------------------- */

typedef struct { double a, b; } Lin;
static void lin_f(void *ctx, const double *y, double *f)
{
    const Lin *l = ctx;
    f[0] = -l->a * y[0] + l->b * y[1];
    f[1] = -l->b * y[1];
}
static void lin_j(void *ctx, const double *y, double *j)
{
    (void)y;
    const Lin *l = ctx;
    j[0] = -l->a; j[1] = l->b; j[2] = 0; j[3] = -l->b;
}

static void test_ros3_linear(void **st)
{
    (void)st;
    Lin l = {1e4, 0.5};
    RosWork *w = ros_work_create(2, NULL);
    double worst = 0;
    for (int p = 0; p < 3; p++) {
        double tol = p == 0 ? 1e-3 : p == 1 ? 1e-5 : 1e-7;
        RosOptions o = {.rtol = tol, .atol = tol * 1e-3, .h0 = 0, .hmin = 1e-12, .max_steps = 100000, .positive = 1};
        double y[2] = {1.0, 1.0};
        RosStats s = {0};
        assert_int_equal(ros3_integrate(2, lin_f, lin_j, &l, y, 10.0, &o, w, &s), ROS_OK);
        /* y1 = e^{-bt}; y0 = (1 - c) e^{-at} + c e^{-bt}, c = b/(a-b) */
        double cc = l.b / (l.a - l.b);
        double e1 = exp(-l.b * 10.0), e0 = (1 - cc) * exp(-l.a * 10.0) + cc * e1;
        double err = fmax(fabs(y[0] - e0) / e0, fabs(y[1] - e1) / e1);
        print_message("ROS3, stiff linear test (ratio 2e4), rtol %.0e: error %.2e with %ld steps\n", tol,
                      err, s.accepted);
        worst = fmax(worst, err / tol);
    }
    assert_true(worst < 10.0);
    /* a failure (step budget) restores the input */
    RosOptions o = {.rtol = 1e-10, .atol = 1e-14, .h0 = 0, .hmin = 1e-12, .max_steps = 3, .positive = 1};
    double y[2] = {1.0, 1.0};
    assert_int_equal(ros3_integrate(2, lin_f, lin_j, &l, y, 10.0, &o, w, NULL), ROS_EMAXSTEPS);
    assert_true(y[0] == 1.0 && y[1] == 1.0);
    ros_work_free(w);
}

/* A cell whose steps fail is retried on sub-intervals and the caller learns of it. */
static void test_retry(void **st)
{
    Fix *f = *st;
    double c[64], c0[64], ref[64];
    winter_state(f, c);
    ChemEnv env;
    env_noon(f, &env, 263.0);
    for (int s = 0; s < 12; s++) chem_integrate(&f->m, &env, c, NULL, 300.0, f->w, NULL);
    /* the light drops (a cloud): the new photostationary state needs several steps */
    PhotRates j;
    photolysis_fixed(1.5e-3, &j);
    chem_env_init(&env, &f->m, 263.0, 90000.0, 0.6, 0.0, &j);
    memcpy(c0, c, sizeof c);
    memcpy(ref, c, sizeof c);
    assert_int_equal(chem_integrate(&f->m, &env, ref, NULL, 300.0, f->w, NULL), CHEM_OK);
    ChemMech tight = f->m;
    tight.max_steps = 2; /* too few for 300 s, enough for 75 s */
    ChemStats cs = {0};
    assert_int_equal(chem_integrate(&tight, &env, c, NULL, 300.0, f->w, &cs), CHEM_RETRIED);
    assert_int_equal(cs.retried, 1);
    for (int i = 0; i < f->t.n; i++) assert_close(c[i], ref[i], 1e-4 * fabs(ref[i]) + 1e-6);
    tight.max_steps = 0;
    memcpy(c, c0, sizeof c);
    assert_int_equal(chem_integrate(&tight, &env, c, NULL, 300.0, f->w, &cs), CHEM_FAILED);
    assert_memory_equal(c, c0, sizeof c);
    assert_int_equal(cs.failed, 1);
    print_message("solver failure: retried on 4 sub-intervals and reported (status %d), same result "
                  "within 1e-4; a hopeless cell is left unchanged and reported (status %d)\n",
                  CHEM_RETRIED, CHEM_FAILED);
}

/* One workspace per thread: the same cells give the same bits with 1 and 2 threads. */
static void test_threads(void **st)
{
    Fix *f = *st;
    enum { NCELL = 64 };
    static double c1[NCELL][64], c2[NCELL][64];
    for (int i = 0; i < NCELL; i++) {
        winter_state(f, c1[i]);
        set(f, c1[i], "NO", 1.0 + 5.0 * i);
        memcpy(c2[i], c1[i], sizeof c1[i]);
    }
    double t;
    time_parse("2024-01-15T02:00:00Z", &t);
    for (int pass = 0; pass < 2; pass++) {
        int nth = pass == 0 ? 1 : 2;
        double (*c)[64] = pass == 0 ? c1 : c2;
        ChemWork *w[2] = {chem_work_create(&f->m), chem_work_create(&f->m)};
        for (int s = 0; s < 24; s++) {
            PhotRates j;
            photolysis_rates(t + s * 300.0 + 150, URUMQI_LAT, URUMQI_LON, -1, 0.5, &j);
#pragma omp parallel for num_threads(nth) schedule(dynamic, 1)
            for (int i = 0; i < NCELL; i++) {
                ChemEnv env;
                chem_env_init(&env, &f->m, 260.0, 90000.0, 0.8, 0.0, &j);
                chem_env_heterogeneous(&env, &f->t, c[i]);
                chem_integrate(&f->m, &env, c[i], NULL, 300.0, w[omp_get_thread_num()], NULL);
            }
        }
        chem_work_free(w[0]);
        chem_work_free(w[1]);
    }
    assert_memory_equal(c1, c2, sizeof c1);
    print_message("64 cells, 2 h across sunrise: 1 and 2 threads bitwise identical\n");
}

/* ---- the lane solver (chem_integrate_cells, used by chemproc) ---------------------------- */

typedef struct {
    const ChemMech *m;
    const double *k, *src;
} RefCtx;

static void ref_f(void *ctx, const double *y, double *f)
{
    const RefCtx *r = ctx;
    chem_rhs(r->m, r->k, y, f);
    for (int i = 0; i < NS; i++) f[i] += r->src[i];
}

static void ref_jac(void *ctx, const double *y, double *jac)
{
    const RefCtx *r = ctx;
    chem_jacobian(r->m, r->k, y, jac);
}

/* A block of cells of different temperature, light, NOx and sources, as chemproc gives them */
enum { NBLK = 37 }; /* not a multiple of ROS_W: the last lanes run idle */
static void block_cells(const Fix *f, double t, double *y, double *k, double *src)
{
    for (int i = 0; i < NBLK; i++) {
        double c[64];
        winter_state(f, c);
        const double s = 0.05 + 3.0 * (i % 11) / 11.0; /* clean to a street canyon */
        set(f, c, "NO", 30 * s * s);
        set(f, c, "NO2", 30 * s);
        set(f, c, "SO2", 20 * s);
        set(f, c, "O3", 40 / (1 + s));
        mech_vector(f, c, y + i * NS);
        PhotRates j;
        /* cells spread over 3 h of sun (and night), 248-278 K, with and without fog */
        photolysis_rates(t + 150 + 600.0 * (i % 19), URUMQI_LAT, URUMQI_LON, -1, (i % 3) / 2.0, &j);
        ChemEnv env;
        chem_env_init(&env, &f->m, 248.0 + (i % 7) * 5.0, 85000.0 + 1000.0 * (i % 5), 0.5 + 0.05 * (i % 9),
                      i % 4 == 0 ? 0.2 : 0.0, &j);
        chem_env_heterogeneous(&env, &f->t, c);
        chem_rate_constants(&env, k + (size_t)i * chem_nreactions);
        for (int q = 0; q < NS; q++) src[i * NS + q] = 0.0;
        if (i % 5 == 0) { /* a city's surface layer under a 20x emission burst */
            src[i * NS + CH_NO] = 20 * 4.5 / 3600;
            src[i * NS + CH_NO2] = 20 * 0.5 / 3600;
            src[i * NS + CH_SO2] = 20 * 2.0 / 3600;
        }
    }
}

/* Every cell of a lane block gets bitwise what the scalar, table-driven ROS3 (ros3_integrate with
 * chem_rhs and chem_jacobian) gives it alone, whatever its neighbours and the block's order. */
static void test_lanes_vs_scalar(void **st)
{
    Fix *f = *st;
    static double y[NBLK * NS], yl[NBLK * NS], yr[NBLK * NS], k[NBLK * 64], src[NBLK * NS];
    static double kr[NBLK * 64], srcr[NBLK * NS];
    int status[NBLK], statr[NBLK];
    double t;
    time_parse("2024-01-15T00:30:00Z", &t); /* sunrise at Urumqi is near 02 UTC */
    block_cells(f, t, y, k, src);
    memcpy(yl, y, sizeof y);
    RosWork *rw = ros_work_create(NS, f->m.pattern);
    RosOptions o = {.rtol = f->m.rtol, .atol = f->m.atol, .h0 = f->m.h0 > 0 ? f->m.h0 : 300.0, .hmin = f->m.hmin,
                    .max_steps = f->m.max_steps, .positive = 1};
    long ndiff = 0, nsteps = 0;
    double maxrel = 0;
    ChemStats cs = {0};
    for (int step = 0; step < 24; step++) { /* 2 h of 300-s steps */
        chem_integrate_cells(&f->m, NBLK, yl, k, src, 300.0, f->w, status, &cs);
        for (int i = 0; i < NBLK; i++) {
            RefCtx rc = {&f->m, k + (size_t)i * chem_nreactions, src + i * NS};
            RosStats rs = {0};
            int r = ros3_integrate(NS, ref_f, ref_jac, &rc, y + i * NS, 300.0, &o, rw, &rs);
            assert_int_equal(r, ROS_OK);
            assert_int_equal(status[i], CHEM_OK);
            nsteps += rs.accepted;
            for (int q = 0; q < NS; q++) {
                double a = yl[i * NS + q], b = y[i * NS + q];
                ndiff += memcmp(&a, &b, sizeof a) != 0;
                if (b != 0) maxrel = fmax(maxrel, fabs(a - b) / fabs(b));
            }
        }
    }
    /* the same cells in reverse order, in blocks of 5: the same bits */
    block_cells(f, t, yr, kr, srcr);
    for (int step = 0; step < 24; step++) {
        for (int b0 = NBLK; b0 > 0; b0 -= 5) {
            int n = b0 >= 5 ? 5 : b0, first = b0 - n;
            chem_integrate_cells(&f->m, n, yr + first * NS, kr + (size_t)first * chem_nreactions,
                                 srcr + first * NS, 300.0, f->w, statr, NULL);
        }
    }
    assert_memory_equal(yr, yl, sizeof yl);
    /* the rate constants lane-major (chem_integrate_cells_lm, rows padded to NBLK + 3): the same
     * bits */
    static double ym[NBLK * NS], km[NBLK * 64], kt[(NBLK + 3) * 64], srcm[NBLK * NS];
    block_cells(f, t, ym, km, srcm);
    const size_t ldk = NBLK + 3;
    for (int i = 0; i < NBLK; i++)
        for (int r = 0; r < chem_nreactions; r++) kt[(size_t)r * ldk + i] = km[(size_t)i * chem_nreactions + r];
    for (int step = 0; step < 24; step++)
        chem_integrate_cells_lm(&f->m, NBLK, ym, kt, ldk, srcm, 300.0, f->w, statr, NULL);
    assert_memory_equal(ym, yl, sizeof yl);
    /* concentrations and rate constants species-major (chem_integrate_cells_qm, chemproc's
     * queue, no sources; rows padded to NBLK + 3) against the per-cell layout without sources,
     * with the production step budget and with a budget of 4 steps, which sends cells through
     * the retries on sub-intervals and leaves some failed: the same bits and statuses */
    {
        static double yc[NBLK * NS], yq[(NBLK + 3) * NS];
        int stc[NBLK], stq[NBLK];
        long nretry = 0, nfail = 0;
        for (int pass = 0; pass < 2; pass++) {
            ChemMech m2 = f->m;
            if (pass) m2.max_steps = 4;
            block_cells(f, t, yc, km, srcm);
            for (int i = 0; i < NBLK; i++)
                for (int q = 0; q < NS; q++) yq[(size_t)q * ldk + i] = yc[i * NS + q];
            for (int step = 0; step < 6; step++) {
                chem_integrate_cells(&m2, NBLK, yc, km, NULL, 300.0, f->w, stc, NULL);
                chem_integrate_cells_qm(&m2, NBLK, yq, kt, ldk, 300.0, NULL, f->w, stq, NULL);
                assert_memory_equal(stc, stq, sizeof stc);
                for (int i = 0; i < NBLK; i++) nretry += pass && stc[i] == CHEM_RETRIED, nfail += pass && stc[i] == CHEM_FAILED;
            }
            for (int i = 0; i < NBLK; i++)
                for (int q = 0; q < NS; q++) assert_memory_equal(&yq[(size_t)q * ldk + i], &yc[i * NS + q], sizeof *yc);
        }
        print_message("species-major queue (chem_integrate_cells_qm) vs per-cell vectors: identical, also with "
                      "a 4-step budget (%ld cell-steps retried, %ld failed)\n", nretry, nfail);
        assert_true(nretry > 0 && nfail > 0);
    }
    /* the separate kernels (RosLaneOps without the fused attempt): the same bits */
    block_cells(f, t, ym, km, srcm);
    chem_work_fused(f->w, 0);
    for (int step = 0; step < 24; step++) chem_integrate_cells(&f->m, NBLK, ym, km, srcm, 300.0, f->w, statr, NULL);
    chem_work_fused(f->w, 1);
    assert_memory_equal(ym, yl, sizeof yl);
    ros_work_free(rw);
    print_message("lane solver (%d cells in lanes of %d, 248-278 K, night to morning, clean to 270 ppb NO, "
                  "fog, bursts; 2 h): %ld of %d values differ from the scalar table-driven ROS3 (max "
                  "relative difference %.1e); reversed order in blocks of 5, lane-major rate constants, and the separate kernels instead of the fused attempt: identical; %.2f "
                  "steps + %.2f rejections per cell-step\n", NBLK, ROS_W, ndiff, NBLK * NS * 24, maxrel,
                  (double)cs.ros.accepted / (NBLK * 24), (double)cs.ros.rejected / (NBLK * 24));
    assert_int_equal(ndiff, 0);
    assert_int_equal(cs.failed + cs.retried, 0);
    (void)nsteps;
}

/* Cells of a lane block against their own GSL rk8pd integrations at rtol 1e-8 over 8 h across
 * sunrise (the tolerances of test_gsl_reference: 1e-4 relative or 1e-6 ppb absolute). */
typedef struct {
    const ChemMech *m;
    const double *k, *src;
} GslSrcCtx;

static int gsl_fsrc(double t, const double y[], double dydt[], void *p)
{
    (void)t;
    const GslSrcCtx *g = p;
    chem_rhs(g->m, g->k, y, dydt);
    for (int i = 0; i < NS; i++) dydt[i] += g->src[i];
    return GSL_SUCCESS;
}

enum { NSTEP_GSL = 96 }; /* 8 h: night, sunrise and morning at Urumqi */
static void test_lanes_gsl(void **st)
{
    Fix *f = *st;
    static double y[NBLK * NS], yg[NBLK * NS], k[NBLK * 64], src[NBLK * NS], y0[NBLK * NS], dummy[NBLK * NS];
    int status[NBLK];
    double t;
    time_parse("2024-01-15T00:00:00Z", &t);
    block_cells(f, t, y0, k, src);
    memcpy(y, y0, sizeof y);
    memcpy(yg, y0, sizeof y);
    GslSrcCtx gc = {&f->m, NULL, NULL};
    gsl_odeiv2_system sys = {gsl_fsrc, NULL, NS, &gc};
    gsl_odeiv2_driver *d = gsl_reference(&sys);
    double worst = 0;
    int nviol = 0, worst_cell = -1;
    ChemStats cs = {0};
    for (int s = 0; s < NSTEP_GSL; s++, t += 300) {
        /* each cell keeps its own T, fog and sources; the light follows the clock */
        block_cells(f, t, dummy, k, src);
        chem_integrate_cells(&f->m, NBLK, y, k, src, 300.0, f->w, status, &cs);
        for (int i = 0; i < NBLK; i++) {
            if (i % 3) continue; /* the explicit reference is slow on the stiff cells: 13 of 37 */
            gc.k = k + (size_t)i * chem_nreactions;
            gc.src = src + i * NS;
            gsl_odeiv2_driver_reset(d);
            double tg = 0;
            assert_int_equal(gsl_odeiv2_driver_apply(d, &tg, 300.0, yg + i * NS), GSL_SUCCESS);
            for (int q = 0; q < NS; q++) {
                double a = y[i * NS + q], b = yg[i * NS + q], diff = fabs(a - b);
                if (diff > 1e-6 && diff > 1e-4 * fabs(b)) nviol++;
                double r = diff / fmax(1e-4 * fabs(b), 1e-6);
                if (r > worst) worst = r, worst_cell = i;
                assert_true(a >= 0.0);
            }
        }
    }
    gsl_odeiv2_driver_free(d);
    print_message("lane solver vs GSL rk8pd (rtol 1e-8), %d cells of a block of %d, 00-08 UTC: worst %.2f of "
                  "the allowance (cell %d), %d violations, %ld retried, %ld failed\n", (NBLK + 2) / 3, NBLK,
                  worst, worst_cell, nviol, cs.retried, cs.failed);
    assert_int_equal(nviol, 0);
    assert_int_equal(cs.failed, 0);
}

/* ---- the step size carried from one call to the next (chem_integrate_cells_h) ------------- */

/* The 24-h winter boxes of test_gsl_reference and the lane block of test_lanes_gsl, each cell
 * starting every 300-s call from the step its previous call proposed (the 3-D model's State.chem_h)
 * instead of the 20-s first step: the results must still meet the GSL allowance, with fewer
 * attempts in the slowly varying box; a cell's carried result must not depend on its block
 * (bitwise, also alone); a failed and retried cell carries 0. */
static void test_carried_step(void **st)
{
    Fix *f = *st;
    /* the boxes: one cell each, 288 calls */
    const double (*scen)[2] = WINTER_BOXES;
    double k[64];
    GslCtx gc = {&f->m, k};
    gsl_odeiv2_system sys = {gsl_f, NULL, NS, &gc};
    gsl_odeiv2_driver *d = gsl_reference(&sys);
    for (int sc = 0; sc < 3; sc++) {
        double c[64], y[NS], yc[NS], yf[NS];
        winter_box(f, sc, c, y);
        memcpy(yc, y, sizeof yc);
        memcpy(yf, y, sizeof yf);
        double t, h = 0.0, worst = 0.0;
        time_parse("2024-01-15T00:00:00Z", &t);
        ChemStats cc = {0}, cf = {0};
        int nviol = 0, status;
        for (int s = 0; s < 288; s++, t += 300) {
            ChemEnv env;
            winter_box_env(f, t, &env, k);
            chem_integrate_cells_h(&f->m, 1, yc, k, NULL, 300.0, &h, f->w, &status, &cc);
            assert_int_equal(status, CHEM_OK);
            assert_true(h > 0.0); /* h_carry_rej > 0 */
            chem_integrate_cells(&f->m, 1, yf, k, NULL, 300.0, f->w, &status, &cf);
            gsl_odeiv2_driver_reset(d);
            double tg = 0;
            assert_int_equal(gsl_odeiv2_driver_apply(d, &tg, 300.0, y), GSL_SUCCESS);
            for (int i = 0; i < NS; i++) {
                const double diff = fabs(yc[i] - y[i]);
                if (diff > 1e-6 && diff > 1e-4 * fabs(y[i])) nviol++;
                worst = fmax(worst, diff / fmax(1e-4 * fabs(y[i]), 1e-6));
                assert_true(yc[i] >= 0.0);
            }
        }
        const double ac = (cc.ros.accepted + cc.ros.rejected) / 288.0, af = (cf.ros.accepted + cf.ros.rejected) / 288.0;
        print_message("carried step, 24-h box NO %.0f / O3 %.0f ppb: worst %.2f of the GSL allowance; attempts per "
                      "300-s call %.2f (%.2f rejected) against %.2f (%.2f) from the 20-s first step\n",
                      scen[sc][0], scen[sc][1], worst, ac, cc.ros.rejected / 288.0, af, cf.ros.rejected / 288.0);
        assert_int_equal(nviol, 0);
        /* O3 in excess of NO, slowly varying (most cells of the 3-D case at night): fewer attempts.
         * Where NO titrates O3 (negative-step rejections every call) or sources burst inside the
         * call (the lane block below) the carried start is rejected more often and costs about as
         * much as it saves, or more (docs/chemistry.md, "Carried step size") */
        if (sc == 0) assert_true(ac < 0.9 * af);
    }
    gsl_odeiv2_driver_free(d);

    /* the lane block: 37 cells of every regime, 8 h, against GSL on every third cell */
    static double yb[NBLK * NS], ya[NBLK * NS], yn[NBLK * NS], yg[NBLK * NS], kb[NBLK * 64], src[NBLK * NS];
    static double dummy[NBLK * NS];
    double hb[NBLK] = {0}, ha[NBLK] = {0};
    int status[NBLK];
    double t;
    time_parse("2024-01-15T00:00:00Z", &t);
    block_cells(f, t, yb, kb, src);
    memcpy(ya, yb, sizeof ya);
    memcpy(yn, yb, sizeof yn);
    memcpy(yg, yb, sizeof yg);
    GslSrcCtx gs = {&f->m, NULL, NULL};
    gsl_odeiv2_system sys2 = {gsl_fsrc, NULL, NS, &gs};
    d = gsl_reference(&sys2);
    double worst = 0.0;
    int nviol = 0, ndiff = 0;
    ChemStats cc = {0}, cn = {0};
    for (int s = 0; s < NSTEP_GSL; s++, t += 300) {
        block_cells(f, t, dummy, kb, src);
        chem_integrate_cells_h(&f->m, NBLK, yb, kb, src, 300.0, hb, f->w, status, &cc);
        chem_integrate_cells(&f->m, NBLK, yn, kb, src, 300.0, f->w, status, &cn);
        /* each cell alone, in reverse order: the same bits and the same carried step */
        for (int i = NBLK - 1; i >= 0; i--) {
            int st1;
            chem_integrate_cells_h(&f->m, 1, ya + i * NS, kb + (size_t)i * chem_nreactions, src + i * NS, 300.0,
                                   ha + i, f->w, &st1, NULL);
        }
        ndiff += memcmp(ya, yb, sizeof ya) != 0 || memcmp(ha, hb, sizeof ha) != 0;
        for (int i = 0; i < NBLK; i += 3) {
            gs.k = kb + (size_t)i * chem_nreactions;
            gs.src = src + i * NS;
            gsl_odeiv2_driver_reset(d);
            double tg = 0;
            assert_int_equal(gsl_odeiv2_driver_apply(d, &tg, 300.0, yg + i * NS), GSL_SUCCESS);
            for (int q = 0; q < NS; q++) {
                const double a = yb[i * NS + q], b = yg[i * NS + q], diff = fabs(a - b);
                if (diff > 1e-6 && diff > 1e-4 * fabs(b)) nviol++;
                worst = fmax(worst, diff / fmax(1e-4 * fabs(b), 1e-6));
                assert_true(a >= 0.0);
            }
        }
    }
    gsl_odeiv2_driver_free(d);
    const double n = (double)NBLK * NSTEP_GSL;
    const double ac = (cc.ros.accepted + cc.ros.rejected) / n, an = (cn.ros.accepted + cn.ros.rejected) / n;
    print_message("carried step, lane block of %d cells, 00-08 UTC: worst %.2f of the GSL allowance, %d violations; "
                  "attempts per cell-step %.3f (%.3f rejected) against %.3f (%.3f) from the 20-s first step; "
                  "block vs cells alone: %d steps differ\n", NBLK, worst, nviol, ac, cc.ros.rejected / n, an,
                  cn.ros.rejected / n, ndiff);
    assert_int_equal(nviol, 0);
    assert_int_equal(ndiff, 0);
    assert_int_equal(cc.failed, 0);

    /* a cell that fails its call (a step budget of 2) and is retried carries nothing: 0 */
    ChemMech m2 = f->m;
    m2.max_steps = 2;
    double h1 = 1.0, y1[NS]; /* from 20 s, 2 steps reach at most 20 + 120 s */
    memcpy(y1, yn, sizeof y1);
    int st1;
    chem_integrate_cells_h(&m2, 1, y1, kb, src, 300.0, &h1, f->w, &st1, NULL);
    assert_int_not_equal(st1, CHEM_OK);
    assert_true(h1 == 0.0);
}

/* ---- cost per cell per 300-s chemistry step --------------------------------------------- */

/* CPU time of this thread: the machine is shared, wall time would count other programs */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void test_speed(void **st)
{
    Fix *f = *st;
    enum { NCELL = 400 };
    double (*c)[64] = malloc(NCELL * sizeof *c);
    double *y = malloc(NCELL * NS * sizeof *y), *k = malloc((size_t)NCELL * chem_nreactions * sizeof *k);
    int *status = malloc(NCELL * sizeof *status);
    double *ca = malloc((size_t)f->t.n * NCELL * sizeof *ca), *T = malloc(NCELL * 8 * sizeof *T);
    double *P = T + NCELL, *rh = T + 2 * NCELL, *lwc = T + 3 * NCELL, *j2 = T + 4 * NCELL, *ja = T + 5 * NCELL,
           *jb = T + 6 * NCELL, *oh = T + 7 * NCELL;
    /* production tolerances, and the loose ones of a quick planning run */
    static const double tol[2][2] = {{0, 0}, {1e-3, 1e-4}};
    for (int kt = 0; kt < 2; kt++) {
        ChemMech m = f->m;
        if (tol[kt][0] > 0) {
            m.rtol = tol[kt][0];
            m.atol = tol[kt][1];
        }
        double t;
        time_parse("2024-01-15T00:00:00Z", &t);
        ChemStats cs = {0};
        double wall = 0, wall_env = 0;
        long cellsteps = 0;
        for (int i = 0; i < NCELL; i++) {
            winter_state(f, c[i]);
            double s = 0.05 + 2.0 * (i % 20) / 20.0; /* clean to very polluted */
            set(f, c[i], "NO", 20 * s);
            set(f, c[i], "NO2", 30 * s);
            set(f, c[i], "SO2", 20 * s);
            set(f, c[i], "O3", 40 / (1 + s));
        }
        for (int s = 0; s < 288; s += 1, t += 300) {
            PhotRates j;
            photolysis_rates(t + 150, URUMQI_LAT, URUMQI_LON, -1, 0.5, &j);
            double t0 = now();
            /* as chemproc does it: the species into arrays per species, the environment,
             * heterogeneous rates and rate constants in lanes (chem_cells_rates), then the cells
             * through the lane solver */
            for (int i = 0; i < NCELL; i++) {
                T[i] = 255.0 + (i % 7) * 3, P[i] = 88000.0, rh[i] = 0.8, lwc[i] = 0.0;
                j2[i] = j.jno2, ja[i] = j.jno3_no2, jb[i] = j.jno3_no, oh[i] = m.oh_scale * chem_oh(&j);
                for (int q = 0; q < f->t.n; q++) ca[(size_t)q * NCELL + i] = c[i][q];
                for (int q = 0; q < NS; q++) y[i * NS + q] = c[i][m.idx[q]];
            }
            const ChemCells cells = {T, P, rh, lwc, j2, ja, jb, oh, ca, NCELL};
            chem_cells_rates(&m, &f->t, NCELL, &cells, k);
            double t1 = now();
            chem_integrate_cells(&m, NCELL, y, k, NULL, 300.0, f->w, status, &cs);
            for (int i = 0; i < NCELL; i++)
                for (int q = 0; q < NS; q++) c[i][m.idx[q]] = y[i * NS + q];
            double t2 = now();
            wall += t2 - t0;
            wall_env += t1 - t0;
            cellsteps += NCELL;
        }
        print_message("cost at rtol %.0e, atol %.0e ppb: %.0f ns per cell per 300-s chemistry step (of which "
                      "%.0f ns environment and rate constants); %.2f ROS3 steps + %.2f rejections per "
                      "cell-step (24 h, %d cells clean to polluted, lanes of %d, thread CPU time)\n", m.rtol,
                      m.atol, 1e9 * wall / cellsteps, 1e9 * wall_env / cellsteps,
                      (double)cs.ros.accepted / cellsteps, (double)cs.ros.rejected / cellsteps, NCELL, ROS_W);
        assert_int_equal(cs.failed, 0);
    }
    free(c);
    free(y);
    free(k);
    free(status);
    free(ca);
    free(T);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_species_table),
        cmocka_unit_test(test_photolysis),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_vmath),
        cmocka_unit_test(test_rates_vs_libm),
        cmocka_unit_test(test_het_vs_libm),
        cmocka_unit_test(test_kp_vs_libm),
        cmocka_unit_test(test_step_factor),
        cmocka_unit_test(test_jacobian),
        cmocka_unit_test(test_photostationary),
        cmocka_unit_test(test_conservation),
        cmocka_unit_test(test_gsl_reference),
        cmocka_unit_test(test_positivity_burst),
        cmocka_unit_test(test_ros3_linear),
        cmocka_unit_test(test_retry),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_lanes_vs_scalar),
        cmocka_unit_test(test_lanes_gsl),
        cmocka_unit_test(test_carried_step),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
