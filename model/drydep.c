/* Dry deposition: resistance model, Wesely (1989) / Zhang et al. (2003) for gases, Zhang et al.
 * (2001) for aerosol.  docs/deposition.md. */
#include "drydep.h"

#include <math.h>
#include <string.h>

#define KARMAN 0.40          /* von Karman constant (Hogstrom 1996, Bound.-Layer Meteor. 78) */
#define GRAV 9.80665         /* standard gravity, m s-2 (CGPM 1901) */
#define R_GAS 8.314462618    /* J mol-1 K-1 (CODATA 2018) */
#define K_BOLTZ 1.380649e-23 /* J K-1 (SI 2019, exact) */
#define M_AIR 28.9644e-3     /* kg mol-1, dry air (U.S. Standard Atmosphere 1976) */
#define RD (R_GAS / M_AIR)   /* 287.05 J kg-1 K-1 */
#define CP 1004.5            /* J kg-1 K-1, dry air, 7/2 Rd as in WRF */
#define M_H2O 18.015         /* g mol-1 */
#define PRANDTL 0.72         /* air (Wesely & Hicks 1977 use Sc/Pr in Rb) */
#define P_ATM 101325.0
#define PI 3.14159265358979323846
#define RC_MIN 10.0          /* s m-1: Wesely (1989) lower bound of the bulk surface resistance */
#define BIG 1.0e25           /* s m-1: a path that does not take up the gas (Wesely's 9999) */
#define X BIG

/* Wesely (1989) Table 1, [season 1..5][land use 1..11], s m-1.  Two entries read 20 and 40 in
 * transcriptions of the table (r_gs,O season 3 and r_gs,S seasons 1 and 5 of rocky open
 * land) where every neighbouring season has 200 and 400; those are taken as 200 and 400, as
 * coded in WRF-Chem's module_dep_simple. */
static const double W_RI[5][11] = {
    {X, 60, 120, 70, 130, 100, X, X, 80, 100, 150},
    {X, X, X, X, 250, 500, X, X, X, X, X},
    {X, X, X, X, 250, 500, X, X, X, X, X},
    {X, X, X, X, 400, 800, X, X, X, X, X},
    {X, 120, 240, 140, 250, 190, X, X, 160, 200, 300}};
static const double W_RLU[5][11] = {
    {X, 2000, 2000, 2000, 2000, 2000, X, X, 2500, 2000, 4000},
    {X, 9000, 9000, 9000, 4000, 8000, X, X, 9000, 9000, 9000},
    {X, X, 9000, 9000, 4000, 8000, X, X, 9000, 9000, 9000},
    {X, X, X, X, 6000, 9000, X, X, 9000, 9000, 9000},
    {X, 4000, 4000, 4000, 2000, 3000, X, X, 4000, 4000, 8000}};
static const double W_RAC[5][11] = {
    {100, 200, 100, 2000, 2000, 2000, 0, 0, 300, 150, 200},
    {100, 150, 100, 1500, 2000, 1700, 0, 0, 200, 120, 140},
    {100, 10, 100, 1000, 2000, 1500, 0, 0, 100, 50, 120},
    {100, 10, 10, 1000, 2000, 1500, 0, 0, 50, 10, 50},
    {100, 50, 80, 1200, 2000, 1500, 0, 0, 200, 60, 120}};
static const double W_RGSS[5][11] = {
    {400, 150, 350, 500, 500, 100, 0, 1000, 0, 220, 400},
    {400, 200, 350, 500, 500, 100, 0, 1000, 0, 300, 400},
    {400, 150, 350, 500, 500, 200, 0, 1000, 0, 200, 400},
    {100, 100, 100, 100, 100, 100, 0, 1000, 100, 100, 50},
    {500, 150, 350, 500, 500, 200, 0, 1000, 0, 250, 400}};
static const double W_RGSO[5][11] = {
    {300, 150, 200, 200, 200, 300, 2000, 400, 1000, 180, 200},
    {300, 150, 200, 200, 200, 300, 2000, 400, 800, 180, 200},
    {300, 150, 200, 200, 200, 300, 2000, 400, 1000, 180, 200},
    {600, 3500, 3500, 3500, 3500, 3500, 2000, 400, 3500, 3500, 3500},
    {300, 150, 200, 200, 200, 300, 2000, 400, 1000, 180, 200}};
static const double W_RCLS[5][11] = {
    {X, 2000, 2000, 2000, 2000, 2000, X, X, 2500, 2000, 4000},
    {X, 9000, 9000, 9000, 2000, 4000, X, X, 9000, 9000, 9000},
    {X, X, 9000, 9000, 3000, 6000, X, X, 9000, 9000, 9000},
    {X, X, X, 9000, 200, 400, X, X, 9000, X, 9000},
    {X, 4000, 4000, 4000, 2000, 3000, X, X, 4000, 4000, 8000}};
static const double W_RCLO[5][11] = {
    {X, 1000, 1000, 1000, 1000, 1000, X, X, 1000, 1000, 1000},
    {X, 400, 400, 400, 1000, 600, X, X, 400, 400, 400},
    {X, 1000, 400, 400, 1000, 600, X, X, 800, 600, 600},
    {X, 1000, 1000, 400, 1500, 600, X, X, 800, 1000, 800},
    {X, 1000, 500, 500, 1500, 700, X, X, 600, 800, 800}};
#undef X

/* Zhang et al. (2001) particle parameters: alpha, gamma and the characteristic collector radius
 * A (mm) with leaves (seasons 1, 2) and without (3, 4, 5); A = 0 marks a smooth surface (no
 * interception, Stokes number u*^2 tau / nu).  Values of the 26-class table of Zhang et al.
 * (2003) as used in CAMx, for the class nearest to each Wesely category (in brackets). */
typedef struct { double alpha, gamma, a_leaf_mm, a_bare_mm; } ZhangLuc;
static const ZhangLuc ZHANG[DD_NLU + 1] = {
    {0, 0, 0, 0},
    {1.5, 0.56, 10, 10},  /* urban (21 urban) */
    {1.2, 0.54, 2, 5},    /* agricultural (15 crops) */
    {1.2, 0.54, 2, 5},    /* range (13 short grass and forbs) */
    {0.8, 0.56, 5, 10},   /* deciduous forest (7 deciduous broadleaf) */
    {1.0, 0.56, 2, 2},    /* coniferous (4 evergreen needleleaf) */
    {0.8, 0.56, 5, 5},    /* mixed forest (25 mixed wood) */
    {100, 0.50, 0, 0},    /* water (3 inland lake) */
    {50, 0.54, 0, 0},     /* barren (24 desert) */
    {2.0, 0.54, 10, 10},  /* wetland (23 swamp) */
    {1.2, 0.54, 2, 5},    /* mixed agricultural and range (15 crops) */
    {1.1, 0.55, 5, 10},   /* rocky open with shrubs (11 deciduous shrubs) */
    {50, 0.54, 0, 0},     /* ice (2 ice) */
};

/* Roughness length by category, m: the Davenport-Wieringa classes of the WMO CIMO Guide
 * (Wieringa 1992; WMO-No. 8 annex): sea 0.0002, smooth (snow, featureless desert) 0.005, open
 * (short grass) 0.03, roughly open (low crops, winter stubble) 0.10, rough (shrubs, scattered
 * obstacles) 0.25, closed (forest, built-up) 1.0. */
static const double Z0[DD_NLU + 1] = {0, 1.0, 0.10, 0.03, 1.0, 1.0, 1.0, 2e-4, 0.005, 0.03, 0.10, 0.25, 0.005};
#define Z0_SNOW 0.005

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* dynamic viscosity of air, kg m-1 s-1 (Sutherland's law, U.S. Standard Atmosphere 1976) */
static double viscosity(double T) { return 1.458e-6 * T * sqrt(T) / (T + 110.4); }

/* water-vapour diffusivity in air, m2 s-1 (Massman 1998: 0.2178 cm2 s-1 at 273.15 K, 1 atm) */
static double dh2o(double T, double p) { return 0.2178e-4 * pow(T / 273.15, 1.81) * (P_ATM / p); }

/* particle mechanics (Seinfeld & Pandis 2006, ch. 9): mean free path eq. 9.6, Cunningham
 * correction eq. 9.34, Stokes settling eq. 9.42, Stokes-Einstein diffusivity eq. 9.73 */
static double mean_free_path(double T, double p)
{
    return 2.0 * viscosity(T) / (p * sqrt(8.0 * M_AIR / (PI * R_GAS * T)));
}

double drydep_inv_obukhov(double ust, double hfx, double t, double rho)
{
    double u = ust > DRYDEP_UST_MIN ? ust : DRYDEP_UST_MIN;
    return -KARMAN * GRAV * hfx / (rho * CP * t * u * u * u);
}

double drydep_z0_default(int lu, double snow_frac)
{
    if (lu < 1 || lu > DD_NLU) lu = DRYDEP_LU_DEFAULT;
    double z0 = Z0[lu], f = clampd(snow_frac, 0.0, 1.0);
    /* snow buries vegetation lower than the rough class; forests and towns keep theirs */
    if (z0 <= 0.25 && z0 > Z0_SNOW && f > 0.0) z0 = exp((1.0 - f) * log(z0) + f * log(Z0_SNOW));
    return z0;
}

void drydep_surface_init(DryDepSurface *s, int lu, int season, double z0_m, double ust,
                         double hfx, double t2, double psfc, double z_ref, double swdown,
                         double snow_frac)
{
    if (lu < 1 || lu > DD_NLU) lu = DRYDEP_LU_DEFAULT;
    if (season < 1 || season > 5 || season == DD_WINTER_SNOW) season = DD_LATE_AUTUMN;
    s->lu = lu;
    s->season = season;
    s->snow_frac = lu == DD_ICE ? 1.0 : clampd(snow_frac, 0.0, 1.0);
    s->z0 = z0_m > 0.0 ? z0_m : drydep_z0_default(lu, s->snow_frac);
    s->ust = ust > DRYDEP_UST_MIN ? ust : DRYDEP_UST_MIN;
    s->t = t2;
    s->p = psfc;
    s->rho = psfc / (RD * t2);
    s->inv_L = drydep_inv_obukhov(s->ust, hfx, t2, s->rho);
    s->z_ref = z_ref;
    s->swdown = swdown > 0.0 ? swdown : 0.0;
}

/* Integrated stability function for heat.  Unstable: Dyer (1974) phi_h = (1 - 16 zeta)^-1/2,
 * integrated by Paulson (1970).  Stable: Beljaars & Holtslag (1991, J. Appl. Meteor. 30, 327)
 * with a = 1, b = 2/3, c = 5, d = 0.35, which stays finite in the very stable winter nights
 * where the linear -5 zeta does not; zeta is held at 10, the end of the range they fitted. */
static double psi_h(double zeta)
{
    if (zeta < 0.0) {
        double x2 = sqrt(1.0 - 16.0 * zeta);
        return 2.0 * log(0.5 * (1.0 + x2));
    }
    if (zeta > 10.0) zeta = 10.0;
    const double a = 1.0, b = 2.0 / 3.0, c = 5.0, d = 0.35;
    return -pow(1.0 + 2.0 * a * zeta / 3.0, 1.5) - b * (zeta - c / d) * exp(-d * zeta) - b * c / d + 1.0;
}

double drydep_ra(const DryDepSurface *s)
{
    double z = s->z_ref > 2.0 * s->z0 ? s->z_ref : 2.0 * s->z0;
    double r = log(z / s->z0) - psi_h(z * s->inv_L) + psi_h(s->z0 * s->inv_L);
    return r / (KARMAN * s->ust);
}

void drydep_shared_init(const DryDepSurface *s, DryDepShared *c)
{
    c->ra = drydep_ra(s);
    c->mu = viscosity(s->t);
    c->nu = c->mu / s->rho;
    c->dh2o = dh2o(s->t, s->p);
    c->lam = mean_free_path(s->t, s->p);
    double tc = s->t - 273.15;
    /* external surfaces take up less below freezing: factor min(2, exp(0.2(-1 - Tc))) for
     * Tc < -1 C (Zhang et al. 2003, ACP 3, 2067, eq. 10b) instead of Wesely's 1000 exp(-Tc - 4)
     * s m-1, which shuts every external path below -10 C and with it the observed deposition of
     * SO2 and HNO3 to cold surfaces */
    c->cold = tc < -1.0 ? fmin(2.0, exp(0.2 * (-1.0 - tc))) : 1.0;
}

static double rb_gas(const DryDepSurface *s, const DryDepShared *c, double molar_mass_g_mol)
{
    double dx = c->dh2o * sqrt(M_H2O / molar_mass_g_mol); /* Graham's law (Wesely 1989) */
    return 2.0 / (KARMAN * s->ust) * pow(c->nu / dx / PRANDTL, 2.0 / 3.0); /* Wesely & Hicks 1977 */
}

double drydep_rb_gas(const DryDepSurface *s, double molar_mass_g_mol)
{
    DryDepShared c;
    drydep_shared_init(s, &c);
    return rb_gas(s, &c, molar_mass_g_mol);
}

/* 1 / (a / rS + b / rO): uptake through a path parametrised by its SO2 and O3 resistances
 * (Wesely 1989 eqs 8-9).  The table's zeros (SO2 to water and wet ground) are read as 1 s m-1, as
 * GEOS-Chem does: taken literally they would make every gas with any H* > 0 (O3 included) a
 * perfect sink over water. */
static double path(double a, double rs, double b, double ro)
{
    rs = rs > 1.0 ? rs : 1.0;
    ro = ro > 1.0 ? ro : 1.0;
    double g = (a > 0.0 ? a / rs : 0.0) + (b > 0.0 ? b / ro : 0.0);
    return g > 0.0 ? 1.0 / g : BIG;
}

static double inv(double r) { return r >= BIG ? 0.0 : 1.0 / r; }

/* Wesely (1989) eq. 2 for one season of the table.  cold multiplies the external resistances
 * (rlu, rcl, rgs).  snow != 0 replaces the ground (rgs) by snow with resistances rsnow_s,
 * rsnow_o for SO2-like and O3-like uptake. */
static double rc_wesely(int lu, int season, double tc, double G, double hstar, double f0,
                        double dratio, double cold, int snow, double rsnow_s, double rsnow_o)
{
    int l = (lu == DD_ICE ? DD_BARREN : lu) - 1, q = season - 1;
    /* stomata, eq. 3: closed at and below 0 C and at or above 40 C */
    double rs = BIG;
    if (W_RI[q][l] < BIG && tc > 0.0 && tc < 40.0) {
        double gl = 200.0 / (G + 0.1);
        rs = W_RI[q][l] * (1.0 + gl * gl) * 400.0 / (tc * (40.0 - tc));
    }
    double rm = hstar / 3000.0 + 100.0 * f0; /* mesophyll, eq. 6 */
    rm = rm > 0.0 ? 1.0 / rm : BIG;
    double gsto = rs < BIG && rm < BIG ? 1.0 / (rs * dratio + rm) : 0.0; /* eq. 4 */
    /* cuticles, eq. 7 */
    double hf = 1e-5 * hstar + f0;
    double rlu = W_RLU[q][l] < BIG ? W_RLU[q][l] * cold : BIG;
    double glu = rlu < BIG && hf > 0.0 ? hf / rlu : 0.0;
    /* lower canopy: buoyant convection (eq. 5, level terrain) and exposed surfaces (eq. 8) */
    double rdc = 100.0 * (1.0 + 1000.0 / (G + 10.0));
    double rcls = W_RCLS[q][l] < BIG ? W_RCLS[q][l] * cold : BIG;
    double rclo = W_RCLO[q][l] < BIG ? W_RCLO[q][l] * cold : BIG;
    double rclx = path(1e-5 * hstar, rcls, f0, rclo);
    double gcl = inv(rdc + rclx);
    /* ground, eq. 9 */
    double rgss = snow ? rsnow_s : W_RGSS[q][l] * cold, rgso = snow ? rsnow_o : W_RGSO[q][l] * cold;
    double rgsx = path(1e-5 * hstar, rgss, f0, rgso);
    double ggs = inv(W_RAC[q][l] + rgsx);
    double g = gsto + glu + gcl + ggs;
    double rc = g > 0.0 ? 1.0 / g : BIG;
    return rc > RC_MIN ? rc : RC_MIN;
}

static double rc_gas(const DryDepSurface *s, const DryDepShared *c, double henry_m_atm, double f0,
                     double molar_mass_g_mol)
{
    double tc = s->t - 273.15, G = s->swdown;
    double dratio = sqrt(molar_mass_g_mol / M_H2O); /* D_H2O / D_x */
    double cold = c->cold; /* drydep_shared_init: Zhang et al. (2003) eq. 10b */
    double f = s->snow_frac, g = 0.0;
    if (f < 1.0) g += (1.0 - f) / rc_wesely(s->lu, s->season, tc, G, henry_m_atm, f0, dratio, cold, 0, 0, 0);
    if (f > 0.0) {
        /* snow-covered part: Wesely's season 4 canopy; the ground is snow with the resistances of
         * Zhang et al. (2003) eq. 8a: SO2-like 70 (2 - Tc) within [100, 500] s m-1, O3-like
         * 2000 s m-1 */
        double rsnow_s = clampd(70.0 * (2.0 - tc), 100.0, 500.0);
        g += f / rc_wesely(s->lu, DD_WINTER_SNOW, tc, G, henry_m_atm, f0, dratio, cold, 1, rsnow_s, 2000.0);
    }
    double rc = 1.0 / g;
    return rc > RC_MIN ? rc : RC_MIN;
}

double drydep_rc_gas(const DryDepSurface *s, double henry_m_atm, double f0, double molar_mass_g_mol)
{
    DryDepShared c;
    drydep_shared_init(s, &c);
    return rc_gas(s, &c, henry_m_atm, f0, molar_mass_g_mol);
}

double drydep_gas_vd_shared(const DryDepSurface *s, const DryDepShared *c, double henry_m_atm,
                            double f0, double molar_mass_g_mol)
{
    return 1.0 / (c->ra + rb_gas(s, c, molar_mass_g_mol) + rc_gas(s, c, henry_m_atm, f0, molar_mass_g_mol));
}

double drydep_gas_vd(const DryDepSurface *s, double henry_m_atm, double f0, double molar_mass_g_mol)
{
    DryDepShared c;
    drydep_shared_init(s, &c);
    return drydep_gas_vd_shared(s, &c, henry_m_atm, f0, molar_mass_g_mol);
}

static double cunningham_lam(double dp, double lam)
{
    return 1.0 + 2.0 * lam / dp * (1.257 + 0.4 * exp(-1.1 * dp / (2.0 * lam)));
}

static double cunningham(double dp, double T, double p) { return cunningham_lam(dp, mean_free_path(T, p)); }

double drydep_settling_velocity(double diameter_um, double density_kg_m3, double T, double p)
{
    double dp = diameter_um * 1e-6;
    return density_kg_m3 * dp * dp * GRAV * cunningham(dp, T, p) / (18.0 * viscosity(T));
}

/* Zhang et al. (2001, Atmos. Environ. 35, 549) surface resistance, eqs 5-8 */
static double zhang_rs(const ZhangLuc *z, int leafy, double ust, double dp, double vg, double sc,
                       double nu)
{
    double a = (leafy ? z->a_leaf_mm : z->a_bare_mm) * 1e-3;
    double eb = pow(sc, -z->gamma);
    double st = a > 0.0 ? vg * ust / (GRAV * a) : vg * ust * ust / (GRAV * nu);
    double eim = st / (z->alpha + st);
    eim *= eim;
    double ein = a > 0.0 ? 0.5 * (dp / a) * (dp / a) : 0.0;
    double r1 = exp(-sqrt(st));
    return 1.0 / (3.0 * ust * (eb + eim + ein) * r1); /* epsilon_0 = 3 */
}

double drydep_aerosol_vd(const DryDepSurface *s, double diameter_um, double density_kg_m3)
{
    DryDepShared c;
    drydep_shared_init(s, &c);
    return drydep_aerosol_vd_shared(s, &c, diameter_um, density_kg_m3);
}

double drydep_aerosol_vd_shared(const DryDepSurface *s, const DryDepShared *c, double diameter_um,
                                double density_kg_m3)
{
    double dp = diameter_um * 1e-6, T = s->t, mu = c->mu, nu = c->nu;
    double cc = cunningham_lam(dp, c->lam);
    double vg = density_kg_m3 * dp * dp * GRAV * cc / (18.0 * mu);
    double db = K_BOLTZ * T * cc / (3.0 * PI * mu * dp);
    double sc = nu / db;
    int leafy = s->season == DD_MIDSUMMER || s->season == DD_AUTUMN;
    double f = s->snow_frac, g = 0.0;
    if (f < 1.0) g += (1.0 - f) / zhang_rs(&ZHANG[s->lu], leafy, s->ust, dp, vg, sc, nu);
    if (f > 0.0) g += f / zhang_rs(&ZHANG[DD_ICE], 0, s->ust, dp, vg, sc, nu);
    return vg + 1.0 / (c->ra + 1.0 / g);
}

double drydep_effective_henry(const char *name, double henry_phys_m_atm)
{
    /* Wesely (1989) Table 2; NH3 and NO from Walmsley & Wesely (1996); N2O5 hydrolyses on wet
     * surfaces and is treated as HNO3 (GEOS-Chem species database) */
    static const struct { const char *name; double hstar; } T[] = {
        {"SO2", 1e5}, {"HNO3", 1e14}, {"NH3", 2e4}, {"N2O5", 1e14}, {"H2O2", 1e5},
        {"NO2", 1e-2}, {"NO", 3e-3}, {"O3", 1e-2}, {"HONO", 1e5}, {"PAN", 3.6},
    };
    for (size_t i = 0; name && i < sizeof T / sizeof T[0]; i++)
        if (!strcmp(name, T[i].name)) return T[i].hstar;
    return henry_phys_m_atm;
}

int drydep_season(int month, double lat_deg)
{
    if (lat_deg < 0.0) month = (month + 5) % 12 + 1; /* six months on */
    switch (month) {
    case 12: case 1: case 2: case 11: return DD_LATE_AUTUMN;
    case 3: case 4: return DD_SPRING;
    case 5: case 6: case 7: case 8: return DD_MIDSUMMER;
    default: return DD_AUTUMN;
    }
}

int drydep_wrf_scheme(const char *mminlu)
{
    if (!mminlu) return -1;
    if (!strncmp(mminlu, "USGS", 4)) return DRYDEP_WRF_USGS;
    if (strstr(mminlu, "MODIS")) return DRYDEP_WRF_MODIS;
    return -1;
}

int drydep_lu_from_wrf(int lu_index, int scheme)
{
    /* USGS 24 categories (+ 25 playa, 26 lava, 27 white sand, 28 lakes) */
    static const int USGS[29] = {
        -1, DD_URBAN, DD_AGRICULTURE, DD_AGRICULTURE, DD_AGRICULTURE, DD_RANGE_AG, DD_RANGE_AG,
        DD_RANGE, DD_ROCKY_SHRUB, DD_RANGE, DD_RANGE, DD_DECIDUOUS, DD_DECIDUOUS, DD_MIXED_FOREST,
        DD_CONIFEROUS, DD_MIXED_FOREST, DD_WATER, DD_WETLAND, DD_MIXED_FOREST, DD_BARREN,
        DD_RANGE, DD_MIXED_FOREST, DD_RANGE, DD_BARREN, DD_ICE, DD_BARREN, DD_BARREN, DD_BARREN,
        DD_WATER};
    /* modified IGBP MODIS 20 categories (+ 21 lakes) */
    static const int MODIS[22] = {
        -1, DD_CONIFEROUS, DD_MIXED_FOREST, DD_DECIDUOUS, DD_DECIDUOUS, DD_MIXED_FOREST,
        DD_ROCKY_SHRUB, DD_ROCKY_SHRUB, DD_MIXED_FOREST, DD_RANGE, DD_RANGE, DD_WETLAND,
        DD_AGRICULTURE, DD_URBAN, DD_RANGE_AG, DD_ICE, DD_BARREN, DD_WATER, DD_MIXED_FOREST,
        DD_RANGE, DD_BARREN, DD_WATER};
    if (scheme == DRYDEP_WRF_USGS && lu_index >= 1 && lu_index <= 28) return USGS[lu_index];
    if (scheme == DRYDEP_WRF_MODIS && lu_index >= 1 && lu_index <= 21) return MODIS[lu_index];
    return -1;
}

int drydep_lu_field(const char *mminlu, const int *lu_index, size_t n, int *out, const char *file,
                    BgErr *e)
{
    int scheme = drydep_wrf_scheme(mminlu);
    if (scheme < 0)
        return bg_fail(e, BG_EINPUT, file, "MMINLU",
                       "land-use table \"%s\" is not supported (USGS or MODIS); drop LU_INDEX to "
                       "use the default land use", mminlu ? mminlu : "(missing)");
    for (size_t c = 0; c < n; c++) {
        out[c] = drydep_lu_from_wrf(lu_index[c], scheme);
        if (out[c] < 0)
            return bg_fail(e, BG_EINPUT, file, "LU_INDEX",
                           "value %d at cell %zu is not a %s category", lu_index[c], c,
                           scheme == DRYDEP_WRF_USGS ? "USGS (1-28)" : "MODIS (1-21)");
    }
    return BG_OK;
}
