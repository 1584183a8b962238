/* Secondary inorganic aerosol: EMEP-style NH4NO3 equilibrium (DESIGN 4.3), aqueous and
 * aerosol-water SO2 oxidation, N2O5 uptake coefficients and aerosol surface area.
 * Formulas, sources and accuracy: docs/aerosol.md. */
#include "aerosol.h"

#include <math.h>
#include <stddef.h>

/* Molar gas constant, J mol-1 K-1, and the same in L atm mol-1 K-1 (CODATA 2018). */
#define R_GAS 8.314462618
#define R_LATM 0.082057366
#define P_ATM 101325.0 /* Pa per standard atmosphere (definition) */
#define T_REF 298.15   /* reference temperature of the Henry and rate constants, K */
#define PI 3.14159265358979323846

/* Molar masses, the aerosol population (density, dry radius), the efflorescence RH and the SO2
 * uptake coefficient are in aerosol.h (AEROSOL_M_SO2 ... AEROSOL_RH_GAMMA_TOP, with their
 * sources), shared with the lane version of the heterogeneous rates in chem.c. */
#define M_SO2 AEROSOL_M_SO2
#define M_H2O AEROSOL_M_H2O
#define AER_DENSITY AEROSOL_DENSITY
#define AER_RDRY AEROSOL_RDRY
#define RHO_WATER 1000.0   /* kg m-3 */
#define RH_EFFLORESCENCE AEROSOL_RH_EFFLORESCENCE
#define SO2_GAMMA_MAX AEROSOL_SO2_GAMMA_MAX
#define RH_GAMMA_TOP AEROSOL_RH_GAMMA_TOP

static double clamp(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* ---- NH4NO3 equilibrium ---- */

double aerosol_drh_nh4no3(double T) { return exp(618.3 / T - 2.551); } /* Mozurkewich 1993 */

double aerosol_kp_nh4no3(double T, double rh)
{
    /* Mozurkewich (1993), Kp in ppb^2 (DESIGN 4.3) */
    double kp = exp(118.87 - 24084.0 / T - 6.025 * log(T));
    rh = clamp(rh, 0.0, 1.0);
    if (rh < aerosol_drh_nh4no3(T)) return kp;
    /* aqueous NH4NO3 above deliquescence (Mozurkewich 1993; Seinfeld & Pandis 2006 eq. 10.98) */
    double lnT = log(T), w = 1.0 - rh;
    double p1 = exp(-135.94 + 8763.0 / T + 19.12 * lnT);
    double p2 = exp(-122.65 + 9969.0 / T + 16.22 * lnT);
    double p3 = exp(-182.61 + 13875.0 / T + 24.46 * lnT);
    double f = (p1 - p2 * w + p3 * w * w) * pow(w, 1.75);
    return f > 0.0 ? f * kp : 0.0; /* the quadratic has no real root for 248-298 K; guard only */
}

/* kp: Kp given by the caller, or NULL: aerosol_kp_nh4no3(T, rh), only where it is needed */
static inline void inorganic_eq(double T, double rh, const double *kp, double pso4, double *nh3, double *pnh4,
                                double *hno3, double *pno3)
{
    const double nhx = *nh3 + *pnh4, tn = *hno3 + *pno3;
    /* sulfate takes 1.5 NH4 per SO4 first, as far as the ammonia reaches (EMEP) */
    double need = pso4 > 0.0 ? 1.5 * pso4 : 0.0;
    double nh4s = nhx < need ? nhx : need;
    if (nh4s < 0.0) nh4s = 0.0;
    const double ta = nhx - nh4s;
    double x = 0.0;
    if (ta > 0.0 && tn > 0.0) {
        double k = kp ? *kp : aerosol_kp_nh4no3(T, rh), prod = ta * tn - k;
        if (prod > 0.0) {
            /* smaller root of x^2 - (TA+TN) x + TA TN - K = 0, written as 2c/(-b + sqrt(disc)) so
             * that nearly complete neutralisation (K << TA TN) keeps full precision */
            double d = ta - tn;
            x = 2.0 * prod / ((ta + tn) + sqrt(d * d + 4.0 * k));
            double mx = ta < tn ? ta : tn;
            if (x > mx) x = mx; /* round-off only */
        }
    }
    *pno3 = x;
    *hno3 = tn - x;
    *nh3 = ta - x;
    *pnh4 = nhx - *nh3;
}

void aerosol_inorganic_eq(double T, double rh, double pso4, double *nh3, double *pnh4, double *hno3,
                          double *pno3)
{
    inorganic_eq(T, rh, NULL, pso4, nh3, pnh4, hno3, pno3);
}

void aerosol_inorganic_eq_kp(double kp, double pso4, double *nh3, double *pnh4, double *hno3, double *pno3)
{
    inorganic_eq(0.0, 0.0, &kp, pso4, nh3, pnh4, hno3, pno3);
}

/* ---- hygroscopic growth and surface area ---- */

double aerosol_growth_factor(double rh, double kappa)
{
    rh = clamp(rh, 0.0, AEROSOL_RH_MAX);
    return cbrt(1.0 + kappa * rh / (1.0 - rh)); /* Petters & Kreidenweis 2007, eq. 11, a_w = rh */
}

double aerosol_wet_radius(double rh) { return AER_RDRY * aerosol_growth_factor(rh, AEROSOL_KAPPA_DEFAULT); }

double aerosol_surface_area(double pm_ug_m3, double rh)
{
    if (!(pm_ug_m3 > 0.0)) return 0.0;
    double vdry = pm_ug_m3 * 1e-9 / AER_DENSITY; /* m3 of particle per m3 of air */
    double gf = aerosol_growth_factor(rh, AEROSOL_KAPPA_DEFAULT);
    return 3.0 * vdry / AER_RDRY * gf * gf;
}

double aerosol_water_ug_m3(double pm_ug_m3, double rh)
{
    if (!(pm_ug_m3 > 0.0)) return 0.0;
    rh = clamp(rh, 0.0, AEROSOL_RH_MAX);
    /* V_w = V_dry kappa a_w / (1 - a_w) (Petters & Kreidenweis 2007, eq. 2) */
    return pm_ug_m3 * (RHO_WATER / AER_DENSITY) * AEROSOL_KAPPA_DEFAULT * rh / (1.0 - rh);
}

double droplet_surface_area(double lwc_g_m3)
{
    if (!(lwc_g_m3 > 0.0)) return 0.0;
    return 3.0 * (lwc_g_m3 * 1e-6) / AEROSOL_DROPLET_RADIUS_M; /* g m-3 / (1e6 g m-3 of water) */
}

/* ---- gas uptake ---- */

double aerosol_mean_speed(double T, double molar_mass_kg_mol)
{
    return sqrt(8.0 * R_GAS * T / (PI * molar_mass_kg_mol));
}

/* Molecular diffusivity of water vapour in air, m2 s-1 (Massman 1998, Atmos. Environ. 32, 1111:
 * 0.2178 cm2 s-1 at 273.15 K and 1 atm, T^1.81); other gases by Graham's law sqrt(M_H2O/M), the
 * scaling Wesely (1989) uses. */
static double diffusivity(double T, double p, double molar_mass_kg_mol)
{
    double dh2o = 0.2178e-4 * pow(T / 273.15, 1.81) * (P_ATM / p);
    return dh2o * sqrt(M_H2O / molar_mass_kg_mol);
}

double aerosol_uptake_rate(double gamma, double T, double p, double molar_mass_kg_mol,
                           double area_m2_m3, double radius_m)
{
    if (!(gamma > 0.0) || !(area_m2_m3 > 0.0)) return 0.0;
    double c = aerosol_mean_speed(T, molar_mass_kg_mol), dg = diffusivity(T, p, molar_mass_kg_mol);
    return area_m2_m3 / (radius_m / dg + 4.0 / (gamma * c)); /* Jacob (2000), Atmos. Env. 34, eq. 8 */
}

/* ---- SO2 -> sulfate in liquid water ---- */

double aerosol_so2_gamma(double rh)
{
    if (rh <= RH_EFFLORESCENCE) return 0.0;
    return SO2_GAMMA_MAX * clamp((rh - RH_EFFLORESCENCE) / (RH_GAMMA_TOP - RH_EFFLORESCENCE), 0.0, 1.0);
}

double aerosol_so2_aq_rates(double T, double p, double rh, double lwc_g_m3, double o3_ppb,
                            double h2o2_ppb, double pm_ug_m3, double ph, AerosolSO2Rates *r)
{
    AerosolSO2Rates k = {0.0, 0.0, 0.0};
    if (lwc_g_m3 > 0.0) {
        const double L = lwc_g_m3 * 1e-6;       /* L of water per L of air */
        const double rt = R_LATM * T;           /* L atm mol-1 */
        const double dT = 1.0 / T - 1.0 / T_REF;
        const double patm = p / P_ATM;
        /* Henry and dissociation constants, van 't Hoff with the enthalpies of Seinfeld &
         * Pandis (2006) Tables 7.2 and 7.4 (Delta H / R in K) */
        double h_so2 = 1.23 * exp(3145.0 * dT);    /* M atm-1 */
        double ks1 = 1.3e-2 * exp(2094.0 * dT);    /* M, SO2.H2O <-> H+ + HSO3- */
        double ks2 = 6.6e-8 * exp(1122.0 * dT);    /* M, HSO3- <-> H+ + SO3-- */
        double h_h2o2 = 7.45e4 * exp(7297.0 * dT); /* M atm-1 */
        double h_o3 = 1.13e-2 * exp(2536.0 * dT);  /* M atm-1 */
        double hp = pow(10.0, -ph);
        /* S(IV) species per atm of gas-phase SO2 */
        double a0 = h_so2, a1 = a0 * ks1 / hp, a2 = a1 * ks2 / hp;
        /* moles of total SO2 per L of air per atm of gas-phase SO2 (gas + dissolved) */
        double ntot = 1.0 / rt + (a0 + a1 + a2) * L;
        /* H2O2 is mostly dissolved in fog: its total amount splits as 1 : H RT L */
        double h2o2_aq = h2o2_ppb > 0.0 ? h_h2o2 * h2o2_ppb * 1e-9 * patm / (1.0 + h_h2o2 * rt * L) : 0.0;
        double o3_aq = o3_ppb > 0.0 ? h_o3 * o3_ppb * 1e-9 * patm : 0.0; /* O3 barely dissolves */
        /* S(IV) + H2O2: k [H+][H2O2][HSO3-]/(1 + K[H+]), k = 7.45e7 M-2 s-1, K = 13 M-1, E/R =
         * 4430 K (Hoffmann & Calvert 1985; Seinfeld & Pandis 2006 eq. 7.86) */
        double kp = 7.45e7 * exp(-4430.0 * dT);
        double r_h2o2 = kp * hp * h2o2_aq * a1 / (1.0 + 13.0 * hp);
        /* S(IV) + O3: (k0[SO2.H2O] + k1[HSO3-] + k2[SO3--])[O3], k0 = 2.4e4, k1 = 3.7e5 (E/R 5530 K),
         * k2 = 1.5e9 M-1 s-1 (E/R 5280 K) (Hoffmann & Calvert 1985; Seinfeld & Pandis 2006 eq. 7.80) */
        double r_o3 = (2.4e4 * a0 + 3.7e5 * exp(-5530.0 * dT) * a1 + 1.5e9 * exp(-5280.0 * dT) * a2) * o3_aq;
        /* rates per unit gas-phase pressure (M s-1 atm-1) times L over the total per pressure */
        k.h2o2 = r_h2o2 * L / ntot;
        k.o3 = r_o3 * L / ntot;
    }
    if (pm_ug_m3 > 0.0 && rh > RH_EFFLORESCENCE) {
        /* aerosol_surface_area and aerosol_wet_radius, sharing one growth factor (one cube root
         * instead of two; the same values) */
        const double gf = aerosol_growth_factor(rh, AEROSOL_KAPPA_DEFAULT);
        const double area = 3.0 * (pm_ug_m3 * 1e-9 / AER_DENSITY) / AER_RDRY * gf * gf;
        k.aerosol = aerosol_uptake_rate(aerosol_so2_gamma(rh), T, p, M_SO2, area, AER_RDRY * gf);
    }
    if (r) *r = k;
    return k.h2o2 + k.o3 + k.aerosol;
}

double aerosol_so2_aq_rate(double T, double p, double rh, double lwc_g_m3, double o3_ppb,
                           double h2o2_ppb, double pm_ug_m3)
{
    return aerosol_so2_aq_rates(T, p, rh, lwc_g_m3, o3_ppb, h2o2_ppb, pm_ug_m3,
                                AEROSOL_CLOUD_PH_DEFAULT, NULL);
}

/* ---- N2O5 ---- */

double aerosol_n2o5_gamma(double T, double rh, double so4_frac, double no3_frac)
{
    /* Evans & Jacob (2005) for sulfate: RH polynomial of Kane et al. (2001), RH in percent,
     * held constant above 50 % (Bertram & Thornton 2009, as GEOS-Chem does), times the
     * temperature factor 10^(-0.04 (T - 294)) with T floored at 282 K (Evans & Jacob 2005, after
     * laboratory data of R. A. Cox). */
    double rhp = 100.0 * clamp(rh, 0.0, 1.0);
    if (rhp > 50.0) rhp = 50.0;
    double g = 2.79e-4 + rhp * (1.30e-4 + rhp * (-3.43e-6 + rhp * 7.52e-8));
    /* below 282 K (most winter cells) the factor is the constant 10^0.48, folded by the
     * compiler rather than a pow per cell */
    static const double F282 = 3.0199517204020161; /* 10^(-0.04 (282 - 294)) = 10^0.48 */
    double tt = T < 282.0 ? 282.0 : T;
    g *= tt == 282.0 ? F282 : pow(10.0, -0.04 * (tt - 294.0));
    /* nitrate suppression: gamma = f g1 + (1 - f) g2 with g2/g1 = 0.002/0.02 and f the sulfate
     * share of sulfate + nitrate mass (Riemer et al. 2003, JGR 108, 4144) */
    double s = so4_frac + no3_frac;
    double fno3 = s > 0.0 ? clamp(no3_frac / s, 0.0, 1.0) : 0.0;
    return g * (1.0 - 0.9 * fno3);
}

double aerosol_n2o5_gamma_droplet(double T)
{
    (void)T; /* the laboratory values show no usable T trend over 260-290 K (docs/aerosol.md) */
    /* uptake on dilute aqueous droplets, 0.01-0.04 (Van Doren et al. 1990; IUPAC evaluation,
     * Ammann et al. 2013, ACP 13, 8045): 0.02 */
    return 0.02;
}
