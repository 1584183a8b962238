/* Dry deposition velocities by the resistance model vd = 1/(Ra + Rb + Rc) (DESIGN 4.5).
 *
 * Gases: Wesely (1989) surface resistances (land use x season tables, effective Henry constant
 * H* and reactivity f0), with the low-temperature factor and snow resistances of Zhang et al.
 * (2003) and Wesely's season 4 (snow on the ground, subfreezing) for the snow-covered fraction
 * (WRF SNOWC).  Aerosol: the size-dependent scheme of Zhang et al. (2001).  Ra from
 * Monin-Obukhov similarity (Dyer 1974 unstable, Beljaars & Holtslag 1991 stable).  Pure
 * functions on plain arguments; SI units.  docs/deposition.md has the formulas and sources.
 *
 * Coupling (the driver's job): per surface column, fill a DryDepSurface once with
 * drydep_surface_init() (and a DryDepShared with drydep_shared_init() when many species share
 * the surface), then vd for each depositing species; vdiff_column takes the
 * conductance vdep = vd * rho * area (kg s-1) of the lowest layer. */
#ifndef BOGDA_DRYDEP_H
#define BOGDA_DRYDEP_H

#include <stddef.h>

#include "err.h"

/* Wesely (1989) land-use categories, plus permanent snow and ice (treated as barren land under
 * full snow cover). */
enum {
    DD_URBAN = 1,
    DD_AGRICULTURE = 2,
    DD_RANGE = 3,
    DD_DECIDUOUS = 4,
    DD_CONIFEROUS = 5,
    DD_MIXED_FOREST = 6, /* including wooded wetland */
    DD_WATER = 7,
    DD_BARREN = 8,
    DD_WETLAND = 9,      /* non-forested */
    DD_RANGE_AG = 10,    /* mixed agricultural and range land */
    DD_ROCKY_SHRUB = 11, /* rocky open areas with low-growing shrubs */
    DD_ICE = 12,
    DD_NLU = 12
};

/* Land use where LU_INDEX is absent: the oases and steppe of the northern Tianshan slope are
 * best described as mixed farmland and range land. */
#define DRYDEP_LU_DEFAULT DD_RANGE_AG

/* Wesely (1989) seasonal categories (without snow: snow enters through snow_frac). */
enum {
    DD_MIDSUMMER = 1,   /* lush vegetation */
    DD_AUTUMN = 2,      /* unharvested cropland */
    DD_LATE_AUTUMN = 3, /* after frost, no snow; also winter without snow */
    DD_WINTER_SNOW = 4, /* snow on the ground and subfreezing (used for the snow fraction) */
    DD_SPRING = 5       /* transitional, partially green short annuals */
};

/* WRF land-use tables (global attribute MMINLU). */
enum { DRYDEP_WRF_USGS = 1, DRYDEP_WRF_MODIS = 2 };

typedef struct DryDepSurface {
    double ust;       /* friction velocity, m s-1 (floored at DRYDEP_UST_MIN) */
    double inv_L;     /* inverse Obukhov length, m-1 (0 neutral, > 0 stable) */
    double z_ref;     /* reference height: centre of the lowest model layer, m above ground */
    double z0;        /* roughness length, m */
    double snow_frac; /* snow-covered fraction 0..1 (WRF SNOWC) */
    int lu;           /* DD_* land-use category */
    int season;       /* DD_* seasonal category of the snow-free part (1, 2, 3 or 5; 4 and
                         invalid values are read as 3: snow enters through snow_frac only) */
    double t;         /* near-surface air temperature, K (WRF T2) */
    double p;         /* surface pressure, Pa */
    double rho;       /* air density, kg m-3 */
    double swdown;    /* downward short-wave radiation at the surface, W m-2 */
} DryDepSurface;

#define DRYDEP_UST_MIN 0.01 /* m s-1 */

/* Fills s.  z0_m <= 0 takes the land-use default (drydep_z0_default).  hfx is the upward
 * sensible heat flux (W m-2, WRF HFX), t2 (K), psfc (Pa). */
void drydep_surface_init(DryDepSurface *s, int lu, int season, double z0_m, double ust,
                         double hfx, double t2, double psfc, double z_ref, double swdown,
                         double snow_frac);

/* Inverse Obukhov length 1/L = -kappa g H / (rho cp T u*^3), m-1. */
double drydep_inv_obukhov(double ust, double hfx, double t, double rho);

/* Aerodynamic resistance between z0 and z_ref, s m-1. */
double drydep_ra(const DryDepSurface *s);

/* Quasi-laminar resistance of a gas of molar mass M (g mol-1), s m-1. */
double drydep_rb_gas(const DryDepSurface *s, double molar_mass_g_mol);

/* Bulk surface resistance of a gas (s m-1): henry_m_atm is Wesely's effective H* (M atm-1, see
 * drydep_effective_henry), f0 the reactivity factor 0..1. */
double drydep_rc_gas(const DryDepSurface *s, double henry_m_atm, double f0, double molar_mass_g_mol);

/* What every species of one surface shares: the aerodynamic resistance, the air's viscosity, the
 * diffusivity of water vapour, the mean free path and the cold factor of the external surfaces.
 * The _shared velocity functions give exactly (bit for bit) the values of drydep_gas_vd and
 * drydep_aerosol_vd; a caller with many species per surface fills this once per surface. */
typedef struct DryDepShared {
    double ra;   /* aerodynamic resistance, s m-1 (drydep_ra) */
    double mu;   /* dynamic viscosity of air, kg m-1 s-1 */
    double nu;   /* kinematic viscosity, m2 s-1 */
    double dh2o; /* diffusivity of water vapour, m2 s-1 */
    double lam;  /* mean free path of air molecules, m */
    double cold; /* factor on the external resistances below -1 C (Zhang et al. 2003) */
} DryDepShared;
void drydep_shared_init(const DryDepSurface *s, DryDepShared *c);
double drydep_gas_vd_shared(const DryDepSurface *s, const DryDepShared *c, double henry_m_atm,
                            double f0, double molar_mass_g_mol);
double drydep_aerosol_vd_shared(const DryDepSurface *s, const DryDepShared *c, double diameter_um,
                                double density_kg_m3);

/* Dry deposition velocity of a gas, m s-1. */
double drydep_gas_vd(const DryDepSurface *s, double henry_m_atm, double f0, double molar_mass_g_mol);

/* Dry deposition velocity of particles of (ambient) diameter diameter_um and density
 * density_kg_m3, m s-1, gravitational settling included (Zhang et al. 2001). */
double drydep_aerosol_vd(const DryDepSurface *s, double diameter_um, double density_kg_m3);

/* Stokes settling velocity with the Cunningham correction, m s-1. */
double drydep_settling_velocity(double diameter_um, double density_kg_m3, double T, double p);

/* Wesely's effective Henry constant H* (M atm-1) for dry deposition: the values of Wesely (1989)
 * Table 2 (and Walmsley & Wesely 1996) for species whose dissociation or reaction makes the
 * effective solubility far exceed the physical one (SO2 1e5, HNO3 1e14, NH3 2e4, N2O5 1e14,
 * H2O2 1e5, ...); otherwise the physical constant passed in (the species table's
 * henry_m_atm). */
double drydep_effective_henry(const char *name, double henry_phys_m_atm);

/* Default roughness length (m) of a land-use category, reduced towards the snow value for short
 * vegetation as snow_frac grows. */
double drydep_z0_default(int lu, double snow_frac);

/* Seasonal category of the snow-free surface from the month (1-12) and latitude (deg). */
int drydep_season(int month, double lat_deg);

/* WRF table named by MMINLU ("USGS", "MODIFIED_IGBP_MODIS_NOAH", "MODIS..."): DRYDEP_WRF_USGS,
 * DRYDEP_WRF_MODIS, or -1 when not supported. */
int drydep_wrf_scheme(const char *mminlu);

/* DD_* category of a WRF LU_INDEX value (USGS 1-24 or 1-28 with lakes; MODIS 1-20 or 21 lakes), or
 * -1 for a value outside the table. */
int drydep_lu_from_wrf(int lu_index, int scheme);

/* Maps a whole LU_INDEX field (n values, stored as the WRF floats rounded by the caller) into
 * out; the first value outside the table is an input error "file:LU_INDEX: ..." (BG_EINPUT) and
 * an unsupported MMINLU is "file:MMINLU: ..." (BG_EINPUT). */
int drydep_lu_field(const char *mminlu, const int *lu_index, size_t n, int *out, const char *file,
                    BgErr *e);

#endif
