/* Secondary inorganic aerosol: EMEP-style equilibrium (Mozurkewich 1993), aqueous and
 * aerosol-water SO2 oxidation, N2O5 uptake.  Pure functions on one cell; amounts are mixing ratios
 * in ppb (nmol mol-1 of dry air) of the molecules named (PSO4 as SO4, PNO3 as NO3, PNH4 as NH4),
 * so that nitrogen and sulfur balance in the same unit as the gas phase.  DESIGN 4.3. */
#ifndef BOGDA_AEROSOL_H
#define BOGDA_AEROSOL_H

/* NH4NO3 dissociation constant Kp (ppb^2) at temperature T (K) and relative humidity rh (0..1):
 * ln Kp = 118.87 - 24084/T - 6.025 ln T (Mozurkewich 1993, Kp in ppb^2), and above the
 * deliquescence RH = exp(618.3/T - 2.551) the aqueous correction
 * Kp_aq = [P1 - P2 (1-rh) + P3 (1-rh)^2] (1-rh)^1.75 Kp (EMEP; Seinfeld & Pandis). */
double aerosol_kp_nh4no3(double T, double rh);

/* Partitions in place.  pso4 is fixed; ammonia (nh3 + pnh4) neutralises sulfate first as
 * (NH4)1.5SO4 (as far as it reaches), then the remaining ammonia TA and total nitrate
 * TN = hno3 + pno3 form NH4NO3 with x = [(TA+TN) - sqrt((TA-TN)^2 + 4K)]/2 if TA*TN > K else 0.
 * Nitrogen (nh3 + pnh4 + hno3 + pno3) and sulfur are conserved exactly up to round-off. */
void aerosol_inorganic_eq(double T, double rh, double pso4, double *nh3, double *pnh4, double *hno3,
                          double *pno3);
/* The same with Kp (ppb^2) given, e.g. by chem_kp_nh4no3_n for a level's cells at once. */
void aerosol_inorganic_eq_kp(double kp, double pso4, double *nh3, double *pnh4, double *hno3, double *pno3);

/* First-order rate (s-1) of SO2 -> sulfate by aqueous chemistry in cloud/fog water (lwc_g_m3,
 * liquid water content) and in aerosol water (grows with rh), given T (K), p (Pa), o3 and h2o2
 * (ppb, may be 0) and the particulate mass pm_ug_m3 that holds the aerosol water.  Documented
 * parameterisation with sources; 0 when there is no liquid water. */
double aerosol_so2_aq_rate(double T, double p, double rh, double lwc_g_m3, double o3_ppb,
                           double h2o2_ppb, double pm_ug_m3);

/* Reactive uptake coefficient of N2O5 on aerosol: gamma from T, rh and the nitrate and sulfate
 * mass fractions (Evans & Jacob 2005 for sulfate, Davis et al. 2008 / Riemer 2003 nitrate
 * suppression).  On fog/cloud droplets use aerosol_n2o5_gamma_droplet(). */
double aerosol_n2o5_gamma(double T, double rh, double so4_frac, double no3_frac);
double aerosol_n2o5_gamma_droplet(double T);

/* Aerosol surface area density (m2 m-3) from dry PM2.5 mass (ug m-3) with hygroscopic growth at
 * rh (kappa-Koehler with a documented kappa), and droplet surface area from liquid water
 * (g m-3, documented droplet radius). */
double aerosol_surface_area(double pm_ug_m3, double rh);
double droplet_surface_area(double lwc_g_m3);

/* ---- additions (helper of issue 4; the signatures above are the lead's contract) ---- */

/* Deliquescence relative humidity of NH4NO3, exp(618.3/T - 2.551) (Mozurkewich 1993). */
double aerosol_drh_nh4no3(double T);

/* Default liquid-water pH of fog and cloud water used by aerosol_so2_aq_rate (docs/aerosol.md). */
#define AEROSOL_CLOUD_PH_DEFAULT 5.0

/* The three aqueous paths of aerosol_so2_aq_rate, each a first-order rate (s-1) of total SO2
 * (gas + dissolved S(IV)).  h2o2 consumes H2O2 one mole per mole of SO2 oxidised: the caller
 * removes H2O2 at the rate h2o2 * [SO2] (and must not let it go negative). */
typedef struct AerosolSO2Rates {
    double h2o2;     /* S(IV) + H2O2 in cloud/fog water */
    double o3;       /* S(IV) + O3 in cloud/fog water */
    double aerosol;  /* heterogeneous uptake on wet aerosol (gamma on the wet surface) */
} AerosolSO2Rates;

/* As aerosol_so2_aq_rate with an explicit cloud-water pH; returns the sum and fills r (may be
 * NULL). */
double aerosol_so2_aq_rates(double T, double p, double rh, double lwc_g_m3, double o3_ppb,
                            double h2o2_ppb, double pm_ug_m3, double ph, AerosolSO2Rates *r);

/* Uptake coefficient of SO2 on wet aerosol as a function of rh (docs/aerosol.md). */
double aerosol_so2_gamma(double rh);

/* kappa-Koehler diameter growth factor D_wet/D_dry = (1 + kappa rh/(1-rh))^(1/3), rh capped at
 * AEROSOL_RH_MAX (Petters & Kreidenweis 2007, without the Kelvin term: D > 0.1 um). */
#define AEROSOL_RH_MAX 0.99
#define AEROSOL_KAPPA_DEFAULT 0.3
double aerosol_growth_factor(double rh, double kappa);

/* Aerosol liquid water (ug m-3) held by pm_ug_m3 of dry particles at rh (kappa-Koehler). */
double aerosol_water_ug_m3(double pm_ug_m3, double rh);

/* Mean molecular speed sqrt(8RT/(pi M)) (m s-1) and the first-order loss rate (s-1) of a gas of
 * molar mass molar_mass_kg_mol on a surface area density area_m2_m3 of particles of radius
 * radius_m with uptake coefficient gamma, including gas-phase diffusion to the particle
 * (k = A / (r/Dg + 4/(gamma c)), Jacob 2000).  The chemistry uses it for N2O5. */
double aerosol_mean_speed(double T, double molar_mass_kg_mol);
double aerosol_uptake_rate(double gamma, double T, double p, double molar_mass_kg_mol,
                           double area_m2_m3, double radius_m);

/* Surface-weighted radius (m) of the wet aerosol at rh and of fog/cloud droplets, matching
 * aerosol_surface_area and droplet_surface_area. */
double aerosol_wet_radius(double rh);
#define AEROSOL_DROPLET_RADIUS_M 10e-6

/* Constants of the parameterisations above, shared with the lane version of the heterogeneous
 * rates (chem.c, chem_cells_rates), which must use the same values. */
/* Molar masses, kg mol-1 (IUPAC standard atomic weights). */
#define AEROSOL_M_SO2 64.066e-3
#define AEROSOL_M_H2O 18.015e-3
/* Aerosol population behind the surface area (docs/aerosol.md, "Surface area"): dry density of
 * a sulfate-nitrate-ammonium / organic / black-carbon mixture ((NH4)2SO4 1.77 and NH4NO3 1.72
 * g cm-3, CRC Handbook; organic matter ~1.2-1.4, Turpin & Lim 2001; black carbon 1.8, Bond &
 * Bergstrom 2006; a winter-haze mass mix gives ~1.6) and the dry surface-weighted (Sauter)
 * radius of an accumulation mode of volume median diameter 0.4 um and geometric standard
 * deviation 1.8: D_sv = D_vm exp(-0.5 ln^2 sg) = 0.34 um (Hatch-Choate relations, Hinds 1999
 * ch. 4), rounded to r = 0.15 um. */
#define AEROSOL_DENSITY 1600.0 /* kg m-3 */
#define AEROSOL_RDRY 0.15e-6   /* m */
/* Relative humidity below which particles are taken as effloresced (no aqueous medium for
 * S(IV) chemistry): efflorescence of ammonium sulfate at 33-37 % RH (Martin 2000, Chem. Rev.
 * 100, 3403). */
#define AEROSOL_RH_EFFLORESCENCE 0.35
/* Top of the SO2 uptake coefficient on wet aerosol, reached at AEROSOL_RH_GAMMA_TOP and above:
 * the upper end of the 1e-5 - 1e-4 range used to reproduce Chinese winter-haze sulfate (Wang et
 * al. 2014, JGR 119, 10425; Zheng et al. 2015, ACP 15, 2031; 5.3e-5 - 1e-4 derived for
 * Beijing-Tianjin-Hebei by Zhang et al. 2021, Sci. Total Environ. 781, 146372). */
#define AEROSOL_SO2_GAMMA_MAX 1.0e-4
#define AEROSOL_RH_GAMMA_TOP 0.90

#endif
