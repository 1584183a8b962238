/* Dry and wet deposition kernels (model/drydep.c, model/wetdep.c) against closed forms, measured
 * ranges from the literature, and the exponential decay of a column with dry deposition only. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "drydep.h"
#include "model.h"
#include "processes.h"
#include "testutil.h"
#include "vdiff.h"
#include "wetdep.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* gases: Wesely (1989) Table 2 effective H*, f0; molar masses */
#define O3_ARGS drydep_effective_henry("O3", 1e-2), 1.0, 47.997
#define SO2_ARGS drydep_effective_henry("SO2", 1.3), 0.0, 64.066
#define HNO3_ARGS drydep_effective_henry("HNO3", 2.1e5), 0.0, 63.013
#define CMS 100.0 /* m s-1 -> cm s-1 */

static void test_ra_similarity(void **st)
{
    (void)st;
    DryDepSurface s;
    /* neutral: Ra = ln(z/z0) / (kappa u*) exactly */
    drydep_surface_init(&s, DD_RANGE, DD_LATE_AUTUMN, 0.03, 0.4, 0.0, 263.15, 90000.0, 20.0, 0.0, 0.0);
    assert_true(s.inv_L == 0.0);
    assert_close(drydep_ra(&s), log(20.0 / 0.03) / (0.4 * 0.4), 1e-12);
    /* Obukhov length: L = -rho cp T u*^3 / (kappa g H) */
    drydep_surface_init(&s, DD_RANGE, DD_LATE_AUTUMN, 0.03, 0.3, -30.0, 263.15, 90000.0, 20.0, 0.0, 0.0);
    double rho = 90000.0 / (287.05 * 263.15);
    assert_close(1.0 / s.inv_L, rho * 1004.5 * 263.15 * 0.027 / (0.4 * 9.80665 * 30.0), 0.01);
    double ra_stable = drydep_ra(&s);
    /* weakly stable (z/L = 0.05): the Beljaars-Holtslag function is -5 zeta to first order */
    DryDepSurface w = s;
    w.inv_L = 0.05 / 20.0;
    double lin = (log(20.0 / 0.03) + 5.0 * (20.0 - 0.03) * w.inv_L) / (0.4 * 0.3);
    assert_close(drydep_ra(&w), lin, 0.01 * lin);
    drydep_surface_init(&s, DD_RANGE, DD_LATE_AUTUMN, 0.03, 0.3, 0.0, 263.15, 90000.0, 20.0, 0.0, 0.0);
    double ra_neutral = drydep_ra(&s);
    drydep_surface_init(&s, DD_RANGE, DD_LATE_AUTUMN, 0.03, 0.3, 150.0, 263.15, 90000.0, 20.0, 500.0, 0.0);
    double ra_unstable = drydep_ra(&s);
    print_message("Ra (u* 0.3, z 20 m, z0 3 cm): stable (H = -30 W/m2, L = %.1f m) %.1f s/m, neutral "
                  "%.1f, unstable (H = 150) %.1f\n", 1.0 / drydep_inv_obukhov(0.3, -30.0, 263.15, rho),
                  ra_stable, ra_neutral, ra_unstable);
    assert_true(ra_stable > ra_neutral && ra_neutral > ra_unstable && ra_unstable > 0.0);
    /* a very stable night stays finite and positive */
    drydep_surface_init(&s, DD_RANGE, DD_LATE_AUTUMN, 0.03, 0.02, -40.0, 255.0, 90000.0, 20.0, 0.0, 1.0);
    assert_true(isfinite(drydep_ra(&s)) && drydep_ra(&s) > ra_stable);
}

/* Literature ranges: O3 to snow ~0.01-0.1 cm/s (Helmig et al. 2007, Atmos. Environ. 41, 5138),
 * O3 to grass by day 0.2-1 cm/s (Wesely 1989; Zhang et al. 2003), HNO3 1-4 cm/s (Wesely & Hicks
 * 2000), SO2 to snow 0.1-0.3 cm/s near and below freezing (Zhang et al. 2003), 0.5-um aerosol
 * 0.01-0.2 cm/s (Zhang et al. 2001; Seinfeld & Pandis 2006 Fig. 19.2). */
static void test_gas_velocities(void **st)
{
    (void)st;
    DryDepSurface snow, grass, winter;
    /* snow-covered range land at -10 C, overcast day, near neutral */
    drydep_surface_init(&snow, DD_RANGE, DD_LATE_AUTUMN, 0.0, 0.3, 0.0, 263.15, 90000.0, 20.0, 100.0, 1.0);
    /* summer grass at noon, 25 C, slightly unstable */
    drydep_surface_init(&grass, DD_RANGE, DD_MIDSUMMER, 0.0, 0.4, 100.0, 298.15, 100000.0, 20.0, 600.0, 0.0);
    /* snow-free winter farmland at -5 C */
    drydep_surface_init(&winter, DD_AGRICULTURE, DD_LATE_AUTUMN, 0.0, 0.3, 0.0, 268.15, 90000.0, 20.0, 100.0, 0.0);
    double o3s = drydep_gas_vd(&snow, O3_ARGS) * CMS, o3g = drydep_gas_vd(&grass, O3_ARGS) * CMS;
    double so2s = drydep_gas_vd(&snow, SO2_ARGS) * CMS, so2g = drydep_gas_vd(&grass, SO2_ARGS) * CMS;
    double hn3s = drydep_gas_vd(&snow, HNO3_ARGS) * CMS, hn3g = drydep_gas_vd(&grass, HNO3_ARGS) * CMS;
    double o3w = drydep_gas_vd(&winter, O3_ARGS) * CMS, so2w = drydep_gas_vd(&winter, SO2_ARGS) * CMS,
           hn3w = drydep_gas_vd(&winter, HNO3_ARGS) * CMS;
    print_message("vd (cm/s)       O3      SO2     HNO3\n"
                  "  snow -10 C  %7.4f %7.4f %7.3f\n"
                  "  farm  -5 C  %7.4f %7.4f %7.3f\n"
                  "  grass 25 C  %7.4f %7.4f %7.3f   (Ra %.1f, Rc O3 %.0f s/m)\n",
                  o3s, so2s, hn3s, o3w, so2w, hn3w, o3g, so2g, hn3g, drydep_ra(&grass),
                  drydep_rc_gas(&grass, O3_ARGS));
    assert_true(o3s >= 0.01 && o3s <= 0.1);
    assert_true(o3g >= 0.2 && o3g <= 1.0);
    assert_true(o3g > 3.0 * o3s);
    assert_true(hn3g >= 1.0 && hn3g <= 4.0);
    assert_true(hn3s >= 0.5 && hn3s <= 4.0);
    assert_true(so2s >= 0.1 && so2s <= 0.3);
    /* solubility orders the uptake where the ground takes up by dissolution: snow (and water,
     * below).  On dry vegetation and snow-free frozen soil Wesely's tables give O3 and SO2 the same
     * ground resistance, so O3, which also reaches the lower canopy, can match or pass SO2
     * (docs/deposition.md); HNO3 leads everywhere */
    assert_true(hn3s > so2s && so2s > o3s);
    assert_true(hn3g > so2g && hn3g > o3g);
    assert_true(hn3w > so2w && hn3w > o3w);
    DryDepSurface lake;
    drydep_surface_init(&lake, DD_WATER, DD_LATE_AUTUMN, 0.0, 0.3, 0.0, 278.15, 90000.0, 20.0, 100.0, 0.0);
    double o3l = drydep_gas_vd(&lake, O3_ARGS) * CMS, so2l = drydep_gas_vd(&lake, SO2_ARGS) * CMS,
           hn3l = drydep_gas_vd(&lake, HNO3_ARGS) * CMS;
    print_message("  lake  5 C  %7.4f %7.4f %7.3f\n", o3l, so2l, hn3l);
    assert_true(hn3l >= so2l && so2l > 5.0 * o3l); /* both SO2 and HNO3 at the Rc floor */
    /* half snow: the surface conductance is the area-weighted mean */
    DryDepSurface half = snow, bare = snow;
    half.snow_frac = 0.5;
    bare.snow_frac = 0.0;
    double g = 0.5 / drydep_rc_gas(&snow, SO2_ARGS) + 0.5 / drydep_rc_gas(&bare, SO2_ARGS);
    assert_close(drydep_rc_gas(&half, SO2_ARGS), 1.0 / g, 1e-9 / g);
    /* colder snow takes up less SO2 (Zhang et al. 2003 eq. 8a) */
    DryDepSurface cold = snow;
    cold.t = 253.15;
    assert_true(drydep_gas_vd(&cold, SO2_ARGS) < drydep_gas_vd(&snow, SO2_ARGS));
}

static void test_aerosol_velocity(void **st)
{
    (void)st;
    DryDepSurface snow, grass;
    drydep_surface_init(&snow, DD_RANGE, DD_LATE_AUTUMN, 0.0, 0.3, 0.0, 263.15, 90000.0, 20.0, 100.0, 1.0);
    drydep_surface_init(&grass, DD_RANGE, DD_MIDSUMMER, 0.0, 0.4, 0.0, 298.15, 100000.0, 20.0, 600.0, 0.0);
    double d[] = {0.01, 0.05, 0.1, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0};
    print_message("aerosol vd (cm/s), density 1600 kg/m3:\n    d (um)   snow -10 C   grass 25 C  settling\n");
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        print_message("  %7.2f   %10.4f   %10.4f  %8.5f\n", d[i], drydep_aerosol_vd(&snow, d[i], 1600.0) * CMS,
                      drydep_aerosol_vd(&grass, d[i], 1600.0) * CMS,
                      drydep_settling_velocity(d[i], 1600.0, 263.15, 90000.0) * CMS);
    double v05s = drydep_aerosol_vd(&snow, 0.5, 1600.0) * CMS, v05g = drydep_aerosol_vd(&grass, 0.5, 1600.0) * CMS;
    assert_true(v05s >= 0.01 && v05s <= 0.2);
    assert_true(v05g >= 0.01 && v05g <= 0.2);
    /* the accumulation-mode minimum: Brownian diffusion wins below, impaction and settling above */
    assert_true(drydep_aerosol_vd(&grass, 0.01, 1600) > drydep_aerosol_vd(&grass, 0.5, 1600));
    assert_true(drydep_aerosol_vd(&grass, 10.0, 1600) > drydep_aerosol_vd(&grass, 0.5, 1600));
    /* Stokes settling of a 10 um, 1000 kg/m3 sphere at 293 K, 1 atm: 3.06e-3 m/s with
     * Cc = 1.016 (Seinfeld & Pandis 2006 Table 9.4 lists 0.306 cm/s) */
    assert_close(drydep_settling_velocity(10.0, 1000.0, 293.15, 101325.0), 3.06e-3, 0.03 * 3.06e-3);
    /* deposition is never slower than settling */
    assert_true(drydep_aerosol_vd(&snow, 10.0, 1600) > drydep_settling_velocity(10.0, 1600, 263.15, 90000.0));
}

/* A well-mixed column (Kz = 1e5 m2/s, 1 km deep) with dry deposition only decays as
 * exp(-vd t / H), H the column's air mass over the surface density. */
static void test_column_decay(void **st)
{
    (void)st;
    enum { NZ = 20 };
    const double dz = 50.0, rho = 1.19, area = 4000.0 * 4000.0, K = 1e5, dt = 30.0;
    DryDepSurface s;
    drydep_surface_init(&s, DD_AGRICULTURE, DD_LATE_AUTUMN, 0.0, 0.35, 0.0, 263.15, 90000.0, 0.5 * dz, 100.0, 0.0);
    double vd = drydep_gas_vd(&s, HNO3_ARGS);
    double m[NZ], d[NZ + 1], q[NZ], scr[2 * NZ], vdep = vd * rho * area, removed = 0.0;
    for (int k = 0; k < NZ; k++) { m[k] = rho * dz * area; q[k] = 1e-9; }
    for (int k = 0; k <= NZ; k++) d[k] = rho * K * area / dz;
    const double H = NZ * dz, mass0 = NZ * m[0] * 1e-9;
    const int nsteps = 2880;
    double maxerr = 0.0;
    for (int n = 1; n <= nsteps; n++) {
        vdiff_column(NZ, m, d, dt, 1, q, NZ, NULL, &vdep, &removed, scr);
        if (n % 120 == 0) {
            double mass = 0.0;
            for (int k = 0; k < NZ; k++) mass += m[k] * q[k];
            double err = fabs(mass / mass0 - exp(-vd * n * dt / H)) / exp(-vd * n * dt / H);
            if (err > maxerr) maxerr = err;
        }
    }
    double mass = 0.0;
    for (int k = 0; k < NZ; k++) mass += m[k] * q[k];
    print_message("column 1 km, Kz 1e5 m2/s, HNO3 vd %.3f cm/s, 24 h in 30-s steps: mass fraction %.6f, "
                  "exp(-vd t/H) %.6f, max relative difference %.2e; deposited + remaining - initial "
                  "= %.1e relative\n", vd * CMS, mass / mass0, exp(-vd * nsteps * dt / H), maxerr,
                  (removed + mass - mass0) / mass0);
    assert_true(maxerr < 1e-3);
    /* round-off of 2880 stiff solves (Kz dt / dz^2 = 1200) */
    assert_close(removed + mass, mass0, 1e-9 * mass0);
    assert_true(mass / mass0 < 0.5); /* the decay is substantial over the test */
}

static void test_landuse_mapping(void **st)
{
    (void)st;
    assert_int_equal(drydep_wrf_scheme("USGS"), DRYDEP_WRF_USGS);
    assert_int_equal(drydep_wrf_scheme("MODIFIED_IGBP_MODIS_NOAH"), DRYDEP_WRF_MODIS);
    assert_int_equal(drydep_wrf_scheme("NLCD40"), -1);
    for (int i = 1; i <= 28; i++) {
        int c = drydep_lu_from_wrf(i, DRYDEP_WRF_USGS);
        assert_true(c >= 1 && c <= DD_NLU);
    }
    for (int i = 1; i <= 21; i++) {
        int c = drydep_lu_from_wrf(i, DRYDEP_WRF_MODIS);
        assert_true(c >= 1 && c <= DD_NLU);
    }
    assert_int_equal(drydep_lu_from_wrf(1, DRYDEP_WRF_USGS), DD_URBAN);
    assert_int_equal(drydep_lu_from_wrf(16, DRYDEP_WRF_USGS), DD_WATER);
    assert_int_equal(drydep_lu_from_wrf(24, DRYDEP_WRF_USGS), DD_ICE);
    assert_int_equal(drydep_lu_from_wrf(13, DRYDEP_WRF_MODIS), DD_URBAN);
    assert_int_equal(drydep_lu_from_wrf(17, DRYDEP_WRF_MODIS), DD_WATER);
    assert_int_equal(drydep_lu_from_wrf(0, DRYDEP_WRF_USGS), -1);
    assert_int_equal(drydep_lu_from_wrf(22, DRYDEP_WRF_MODIS), -1);
    int lu[4] = {1, 7, 19, 30}, out[4];
    BgErr e = {0};
    assert_int_equal(drydep_lu_field("USGS", lu, 3, out, "wrfout_d01", &e), BG_OK);
    assert_int_equal(out[2], DD_BARREN);
    assert_int_equal(drydep_lu_field("USGS", lu, 4, out, "wrfout_d01", &e), BG_EINPUT);
    print_message("%s\n", e.msg);
    assert_non_null(strstr(e.msg, "wrfout_d01:LU_INDEX: value 30 at cell 3"));
    BgErr e2 = {0};
    assert_int_equal(drydep_lu_field("NLCD40", lu, 4, out, "wrfout_d01", &e2), BG_EINPUT);
    assert_non_null(strstr(e2.msg, "wrfout_d01:MMINLU:"));
    /* seasons and roughness */
    assert_int_equal(drydep_season(1, 43.8), DD_LATE_AUTUMN);
    assert_int_equal(drydep_season(7, 43.8), DD_MIDSUMMER);
    assert_int_equal(drydep_season(7, -35.0), DD_LATE_AUTUMN);
    assert_close(drydep_z0_default(DD_RANGE, 1.0), 0.005, 1e-15);
    assert_close(drydep_z0_default(DD_URBAN, 1.0), 1.0, 1e-15);
    assert_true(drydep_z0_default(DD_AGRICULTURE, 0.5) < drydep_z0_default(DD_AGRICULTURE, 0.0));
    DryDepSurface s;
    drydep_surface_init(&s, DD_ICE, DD_LATE_AUTUMN, 0.0, 0.3, 0.0, 263.15, 90000.0, 20.0, 0.0, 0.0);
    assert_close(s.snow_frac, 1.0, 0);
    assert_close(drydep_effective_henry("HNO3", 2.1e5), 1e14, 0);
    assert_close(drydep_effective_henry("CO", 9.7e-4), 9.7e-4, 0);
}

static void test_wet_scavenging(void **st)
{
    (void)st;
    WetSpecies so2, hno3, nh3, pm, pmc, o3;
    assert_int_equal(wetdep_species_preset("SO2", 0, 0, &so2), 1);
    assert_int_equal(wetdep_species_preset("HNO3", 0, 0, &hno3), 1);
    assert_int_equal(wetdep_species_preset("NH3", 0, 0, &nh3), 1);
    assert_int_equal(wetdep_species_preset("PSO4", 1, 0.6, &pm), 1);
    assert_int_equal(wetdep_species_preset("PMC", 1, 5.0, &pmc), 1);
    assert_int_equal(wetdep_species_preset("O3", 0, 0, &o3), 0);
    const WetSpecies *all[] = {&so2, &hno3, &nh3, &pm, &pmc};
    for (size_t i = 0; i < 5; i++)
        for (int snow = 0; snow <= 1; snow++) {
            assert_true(wetdep_below_rate(all[i], 0.0, snow) == 0.0);
            assert_true(wetdep_incloud_rate(all[i], 0.0, snow) == 0.0);
            double prev = 0.0, prevc = 0.0;
            for (double P = 0.05; P <= 20.0; P *= 1.3) {
                double b = wetdep_below_rate(all[i], P, snow), c = wetdep_incloud_rate(all[i], P, snow);
                assert_true(b > prev && c > prevc);
                prev = b;
                prevc = c;
            }
        }
    assert_true(wetdep_below_rate(&o3, 5.0, 0) == 0.0 && wetdep_incloud_rate(&o3, 5.0, 0) == 0.0);
    /* EMEP closed forms at 1 mm/h: W P / (h_s rho_w), E A P / V_dr */
    const double P1 = 1.0 / 3600.0;
    assert_close(wetdep_below_rate(&hno3, 1.0, 0), 0.5e6 * P1 / 1e6, 1e-18);
    assert_close(wetdep_incloud_rate(&so2, 1.0, 0), 0.3e6 * P1 / 1e6, 1e-18);
    assert_close(wetdep_below_rate(&pm, 1.0, 0), 0.02 * 5.2 * P1 / 5.0, 1e-18);
    assert_close(wetdep_below_rate(&pm, 1.0, 1), 8.0e-5, 1e-18);
    assert_true(wetdep_below_rate(&hno3, 1.0, 0) > wetdep_below_rate(&so2, 1.0, 0));
    assert_true(wetdep_below_rate(&so2, 1.0, 1) < wetdep_below_rate(&so2, 1.0, 0));
    print_message("below-cloud at 1 mm/h (s-1), rain / snow: HNO3 %.2e / %.2e, SO2 %.2e / %.2e, "
                  "fine PM %.2e / %.2e, coarse PM %.2e / %.2e; in-cloud fine PM %.2e\n",
                  wetdep_below_rate(&hno3, 1, 0), wetdep_below_rate(&hno3, 1, 1),
                  wetdep_below_rate(&so2, 1, 0), wetdep_below_rate(&so2, 1, 1),
                  wetdep_below_rate(&pm, 1, 0), wetdep_below_rate(&pm, 1, 1),
                  wetdep_below_rate(&pmc, 1, 0), wetdep_below_rate(&pmc, 1, 1),
                  wetdep_incloud_rate(&pm, 1, 0));

    /* column: cloud in layers 3-5, rain below, nothing above; snow aloft (cold) */
    enum { NZ = 8, NS = 2 };
    double t[NZ], qc[NZ], qr[NZ], qs[NZ], rate[NS * NZ];
    WetSpecies sp[NS] = {hno3, pm};
    for (int k = 0; k < NZ; k++) {
        t[k] = 275.0 - 3.0 * k;
        qc[k] = (k >= 3 && k <= 5) ? 2e-4 : 0.0;
        qr[k] = k <= 4 ? 1e-4 : 0.0;
        qs[k] = k == 5 ? 2e-4 : 0.0;
    }
    wetdep_column(NZ, t, qc, qr, qs, 0.0, NS, sp, rate);
    for (int i = 0; i < NS * NZ; i++) assert_true(rate[i] == 0.0);
    wetdep_column(NZ, t, qc, qr, qs, 2.0, NS, sp, rate);
    for (int k = 0; k < NZ; k++) {
        for (int v = 0; v < NS; v++) {
            double r = rate[v * NZ + k];
            if (k <= 2) assert_close(r, wetdep_below_rate(&sp[v], 2.0, 0), 0);
            else if (k <= 4) assert_close(r, wetdep_incloud_rate(&sp[v], 2.0, 0), 0);
            else if (k == 5) assert_close(r, wetdep_incloud_rate(&sp[v], 2.0, 1), 0);
            else assert_true(r == 0.0);
        }
    }
    /* no cloud water: below-cloud rates only, up to the highest precipitating layer */
    for (int k = 0; k < NZ; k++) qc[k] = 0.0;
    wetdep_column(NZ, t, qc, qr, qs, 2.0, NS, sp, rate);
    for (int k = 0; k < NZ; k++)
        for (int v = 0; v < NS; v++) {
            double r = rate[v * NZ + k];
            if (k <= 4) assert_close(r, wetdep_below_rate(&sp[v], 2.0, 0), 0);
            else if (k == 5) assert_close(r, wetdep_below_rate(&sp[v], 2.0, 1), 0);
            else assert_true(r == 0.0);
        }
    /* no hydrometeors at all: below-cloud through the whole column, snow by temperature */
    wetdep_column(NZ, t, qc, NULL, NULL, 2.0, NS, sp, rate);
    assert_close(rate[NZ + 0], wetdep_below_rate(&pm, 2.0, 0), 0);
    assert_close(rate[NZ + NZ - 1], wetdep_below_rate(&pm, 2.0, 1), 0);
}

/* The per-surface shared quantities (process_drydep_velocities fills them once per column) give
 * the same bits as the one-species functions, for gases and particles over a range of surfaces;
 * and the saving per species. */
static void test_shared_equals_plain(void **st)
{
    (void)st;
    long n = 0;
    double tp = 0, ts = 0;
    for (int i = 0; i < 2000; i++) {
        DryDepSurface s;
        drydep_surface_init(&s, 1 + i % 12, 1 + i % 5, 0.0, 0.02 + 0.003 * (i % 200), -40.0 + (i % 90),
                            240.0 + 0.05 * (i % 900), 85000.0 + 10.0 * (i % 1000), 5.0 + (i % 40),
                            (i % 7) * 60.0, 0.01 * (i % 101));
        double t0 = now_s();
        DryDepShared c;
        drydep_shared_init(&s, &c);
        double vs[6], vp[6];
        vs[0] = drydep_gas_vd_shared(&s, &c, 1e5, 0.0, 64.066);
        vs[1] = drydep_gas_vd_shared(&s, &c, 1e-2, 1.0, 47.997);
        vs[2] = drydep_gas_vd_shared(&s, &c, 1e14, 0.0, 63.013);
        vs[3] = drydep_aerosol_vd_shared(&s, &c, 0.6 * (1 + 0.001 * i), 1500.0);
        vs[4] = drydep_aerosol_vd_shared(&s, &c, 0.15, 1500.0);
        vs[5] = drydep_aerosol_vd_shared(&s, &c, 5.0, 1500.0);
        double t1 = now_s();
        vp[0] = drydep_gas_vd(&s, 1e5, 0.0, 64.066);
        vp[1] = drydep_gas_vd(&s, 1e-2, 1.0, 47.997);
        vp[2] = drydep_gas_vd(&s, 1e14, 0.0, 63.013);
        vp[3] = drydep_aerosol_vd(&s, 0.6 * (1 + 0.001 * i), 1500.0);
        vp[4] = drydep_aerosol_vd(&s, 0.15, 1500.0);
        vp[5] = drydep_aerosol_vd(&s, 5.0, 1500.0);
        double t2 = now_s();
        ts += t1 - t0;
        tp += t2 - t1;
        for (int v = 0; v < 6; v++) assert_memory_equal(&vs[v], &vp[v], sizeof(double));
        n += 6;
    }
    print_message("shared per-surface quantities: %ld velocities equal bit for bit; %.0f ns per species "
                  "with them, %.0f ns without\n", n, ts / n * 1e9, tp / n * 1e9);
}

/* A batch group copies the leader's deposition conductances to a member only when every input
 * of process_drydep_velocities other than the met is the same (driver.c, group_diffusion). */
static void test_drydep_same_inputs(void **st)
{
    (void)st;
    enum { NX = 3, NY = 2, NT = 3 };
    double lat_a[NX * NY], lat_b[NX * NY];
    for (int c = 0; c < NX * NY; c++) lat_a[c] = lat_b[c] = 43.0 + 0.1 * c;
    StateSpecies sp_a[NT], sp_b[NT];
    memset(sp_a, 0, sizeof sp_a);
    memset(sp_b, 0, sizeof sp_b);
    double henry_a[NT] = {1.9e-3, 1.0e-2, 0}, henry_b[NT] = {1.9e-3, 1.0e-2, 0};
    double f0_a[NT] = {0, 1, 0}, f0_b[NT] = {0, 1, 0}, diam_a[NT] = {0, 0, 0.6}, diam_b[NT] = {0, 0, 0.6};
    for (int s = 0; s < NT; s++) sp_a[s].molar_mass = sp_b[s].molar_mass = 30.0 + s;
    Model *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    a->grid.nx = b->grid.nx = NX;
    a->grid.ny = b->grid.ny = NY;
    a->grid.lat = lat_a;
    b->grid.lat = lat_b; /* equal values in another array */
    a->ntrans = b->ntrans = NT;
    a->state.spec = sp_a;
    b->state.spec = sp_b;
    a->dd_henry = henry_a, a->dd_f0 = f0_a, a->dd_diam = diam_a;
    b->dd_henry = henry_b, b->dd_f0 = f0_b, b->dd_diam = diam_b;
    assert_true(process_drydep_same_inputs(a, b));
    /* each input in turn: a different value makes the member compute its own */
    henry_b[1] = 1.2e-2;
    assert_false(process_drydep_same_inputs(a, b));
    henry_b[1] = henry_a[1];
    f0_b[0] = 0.1;
    assert_false(process_drydep_same_inputs(a, b));
    f0_b[0] = f0_a[0];
    diam_b[2] = 0.3;
    assert_false(process_drydep_same_inputs(a, b));
    diam_b[2] = diam_a[2];
    sp_b[2].molar_mass = 96.06;
    assert_false(process_drydep_same_inputs(a, b));
    sp_b[2].molar_mass = sp_a[2].molar_mass;
    lat_b[NX * NY - 1] += 1e-9;
    assert_false(process_drydep_same_inputs(a, b));
    lat_b[NX * NY - 1] = lat_a[NX * NY - 1];
    b->ntrans = NT - 1;
    assert_false(process_drydep_same_inputs(a, b));
    b->ntrans = NT;
    /* a distributed run: the same block, then another one */
    ParDecomp da = {0}, db = {0};
    da.bj0 = db.bj0 = 0, da.bj1 = db.bj1 = 1, da.bi0 = db.bi0 = 0, da.bi1 = db.bi1 = NX;
    a->dec = &da;
    assert_false(process_drydep_same_inputs(a, b)); /* only one of them distributed */
    b->dec = &db;
    assert_true(process_drydep_same_inputs(a, b));
    db.bj0 = 1, db.bj1 = 2;
    assert_false(process_drydep_same_inputs(a, b));
    free(a);
    free(b);
}

static void test_speed(void **st)
{
    (void)st;
    enum { N = 200000 };
    DryDepSurface s;
    volatile double sink = 0;
    double t0 = now_s();
    for (int i = 0; i < N; i++) {
        drydep_surface_init(&s, 1 + i % 11, DD_LATE_AUTUMN, 0.0, 0.1 + 0.001 * (i % 300), -20.0 + (i % 50),
                            250.0 + (i % 30), 90000.0, 20.0, 100.0, 0.01 * (i % 101));
        sink += s.inv_L;
    }
    double t1 = now_s();
    for (int i = 0; i < N; i++) sink += drydep_gas_vd(&s, 1e5, 0.0, 64.0 + (i % 3));
    double t2 = now_s();
    for (int i = 0; i < N; i++) sink += drydep_aerosol_vd(&s, 0.3 + 0.001 * (i % 100), 1600.0);
    double t3 = now_s();
    WetSpecies sp[6];
    wetdep_species_preset("SO2", 0, 0, &sp[0]);
    wetdep_species_preset("HNO3", 0, 0, &sp[1]);
    wetdep_species_preset("NH3", 0, 0, &sp[2]);
    for (int v = 3; v < 6; v++) wetdep_species_preset("P", 1, 0.6, &sp[v]);
    double t[24], qc[24], qr[24], qs[24], rate[6 * 24];
    for (int k = 0; k < 24; k++) { t[k] = 270 - k; qc[k] = k > 5 && k < 10 ? 1e-4 : 0; qr[k] = k < 8 ? 1e-5 : 0; qs[k] = 0; }
    const int NC = N / 20;
    double t4 = now_s();
    for (int i = 0; i < NC; i++) {
        wetdep_column(24, t, qc, qr, qs, 0.5 + 0.01 * (i % 50), 6, sp, rate);
        sink += rate[i % 144];
    }
    double t5 = now_s();
    print_message("speed: drydep_surface_init %.0f ns, drydep_gas_vd %.0f ns, drydep_aerosol_vd %.0f "
                  "ns per call; wetdep_column 24 layers x 6 species %.0f ns per column (%.1f ns per "
                  "layer-species) (sink %g)\n", (t1 - t0) / N * 1e9, (t2 - t1) / N * 1e9,
                  (t3 - t2) / N * 1e9, (t5 - t4) / NC * 1e9, (t5 - t4) / NC / 144 * 1e9, (double)sink);
    assert_true((t2 - t1) / N < 1e-5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ra_similarity),  cmocka_unit_test(test_gas_velocities),
        cmocka_unit_test(test_aerosol_velocity), cmocka_unit_test(test_column_decay),
        cmocka_unit_test(test_landuse_mapping), cmocka_unit_test(test_wet_scavenging),
        cmocka_unit_test(test_shared_equals_plain), cmocka_unit_test(test_drydep_same_inputs),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
