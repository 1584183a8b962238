/* Synthetic WRF output (see synthmet.h and docs/synthmet.md).
 *
 * What it solves: a dry-hydrostatic winter atmosphere on WRF's terrain-following eta levels over
 * an idealised northern Tianshan or the real ETOPO5 relief, steady or as a multi-day stagnation
 * episode ended by a cold front, written exactly in the layout of wrfout files.  In each column
 * the interface pressures are p_w(eta) = ptop + eta (ps - ptop) and the geopotential is
 * integrated upwards from HGT*g with the hydrostatic relation
 *     PH+PHB (k+1) - PH+PHB (k) = Rd Tv_k ln(p_w,k / p_w,k+1),
 * the mass-level pressure being the log-mean of the two interface pressures so that the same
 * thickness also equals Rd Tv_k (p_w,k - p_w,k+1) / (g p_k): a reader that forms the dry-air
 * density from P+PB, T and QVAPOR and multiplies by the layer depth gets exactly the layer's
 * dry mass (p_w,k - p_w,k+1) / (g (1 + qv)).  Temperature is an analytic cold-pool profile in
 * height, so each layer's temperature and height are found together by a short fixed-point
 * iteration.  Winds, boundary-layer fields and radiation are analytic functions of position and
 * time; nothing is random, so output is deterministic bit for bit.
 *
 * Assumptions: Lambert conformal projection on WRF's 6 370 000 m sphere (MAP_PROJ 1); C-grid
 * staggering as WRF (U on x faces, V on y faces, W/PH/PHB on interfaces); all SI units. */
#include "synthmet.h"

#include <errno.h>
#include <math.h>
#include <netcdf.h>
#include <proj.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "timeutil.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Physical constants.  g, cp, Rv: WRF share/module_model_constants.F (g = 9.81, cp = 7/2 r_d,
 * r_v = 461.6).  Rd = 287.04 is the value Bogda's reader uses to turn theta into T; WRF's own
 * r_d = 287 differs by 1.4e-4, below what float output resolves in T. */
#define SM_G 9.81
#define SM_RD 287.04
#define SM_CP 1004.5
#define SM_RV 461.6
#define SM_EPS (SM_RD / SM_RV)
#define SM_RCP (SM_RD / SM_CP)
#define SM_EARTH_R 6370000.0 /* WRF's sphere (share/module_llxy.F, EARTH_RADIUS_M) */
#define SM_OMEGA 7.2921e-5   /* Earth's angular velocity, s-1 (WRF EOMEG) */
#define SM_KARMAN 0.4

/* WRF V4 base state (namelist defaults base_pres, base_temp, base_lapse, iso_temp;
 * dyn_em/module_initialize_real.F). */
#define SM_P00 1.0e5
#define SM_T00 290.0
#define SM_TLP 50.0
#define SM_TISO 200.0

/* U.S. Standard Atmosphere 1976: surface pressure from height (the formula of the brief, valid
 * in the troposphere) and, above 11 km, the isothermal layer at 216.65 K. */
#define SA_P0 101325.0
#define SA_Z11 11000.0
#define SA_T11 216.65
#define SA_G0 9.80665
#define SA_R 287.053

/* The winter cold-pool case.  Junggar basin floor ~500 m with a surface air temperature of 258 K
 * (January mean at Urumqi and Shihezi, about -15 C); an inversion of +8 K over the lowest 400 m
 * (radiosonde cold pools over Urumqi are 300-600 m deep and 5-12 K strong in winter); the
 * standard lapse rate of 6.5 K/km above and an isothermal stratosphere above 11 km. */
#define CP_Z_BASIN 500.0
#define CP_T_SFC 258.0
#define CP_DT_INV 8.0
#define CP_H_INV 400.0
#define CP_LAPSE 0.0065
#define CP_Z_TROP 11000.0
#define CP_DIURNAL_K 1.0   /* K, surface diurnal amplitude (snow-covered winter ground) */
#define CP_DIURNAL_H 400.0 /* m, its e-folding depth: theta still rises with height at 14 h */
#define CP_RH_SFC 0.70
#define CP_RH_TOP 0.20
#define CP_RH_H 1500.0     /* m, e-folding height of the RH excess */
#define CP_FOG_QC 2.0e-5   /* kg kg-1, liquid water of radiation fog (0.02-0.05 g m-3) */
#define SM_SUNFRAC_MEAN 0.3 /* daily mean of max(0, cos Z) / cos Z_noon, for diurnal = 0 */

/* Clear-sky solar radiation: S0 (Kopp & Lean 2011, GRL 38, L01706); eccentricity factor
 * (Duffie & Beckman, Solar Engineering of Thermal Processes, eq. 1.4.1a); air mass (Kasten &
 * Young 1989, Appl. Opt. 28, 4735); direct-beam transmittance 0.7^(AM^0.678) (Meinel & Meinel
 * 1976) with Laue's (1970) altitude term 0.14 per km; global = 1.1 x direct horizontal. */
#define SOLAR_S0 1361.0

/* The episode (episode = 1).  A winter stagnation over the Junggar basin builds over several days
 * under a warm ridge aloft and is cleared by a cold front.  Magnitudes follow the Urumqi
 * cold-pool climatology: surface inversions of 1-2 K per 100 m (radiosonde cold pools 5-12 K over
 * 300-600 m, see CP_DT_INV), winter boundary layers of 50-400 m, frequent night fog in the
 * basin, RH 60-95 % near the ground, and a frontal passage with north-westerly winds of
 * 5-12 m/s, deep mixing and a 5-10 K colder air mass.  The stagnation index S rises from
 * EP_S0 to 1 until the front; F ramps from 0 to 1 over EP_FRONT_RAMP_H after front_h. */
#define EP_S0 0.3
#define EP_DT_INV0 3.0        /* K, inversion strength at S = 0; + EP_DT_INV1 at S = 1 */
#define EP_DT_INV1 3.5
#define EP_H_INV0 350.0       /* m, inversion depth at S = 0; + EP_H_INV1 at S = 1 */
#define EP_H_INV1 150.0
#define EP_FRONT_COOL 10.0    /* K, post-frontal cooling of the free atmosphere */
#define EP_FRONT_RAMP_H 3.0   /* h, duration of the frontal passage */
#define EP_FRONT_WIND0 7.0    /* m/s, post-frontal north-westerly near the ground */
#define EP_FRONT_WIND1 5.0    /* m/s, added up to 1500 m above ground */
#define EP_FOG_QC0 3.0e-5     /* kg kg-1, fog liquid water in the lowest layer (0.03-0.05 g m-3) */
#define EP_FOG_QC1 1.5e-5     /* kg kg-1, in the second layer */
#define EP_RH_FOG 0.94        /* grid-mean RH of a fog layer (sub-grid fog, see docs) */
#define EP_RH_MIN 0.63
#define EP_RH_MAX 0.93
#define EP_SNOW_BASIN 0.3     /* mm/h, frontal snowfall on the basin floor, for 6 h */
#define EP_SNOW_MOUNT 1.0     /* mm/h, on the ridge above 3000 m */
#define EP_SNOW_H 6.0

#define SM_VEER 0.35       /* rad, amplitude of the daily veering of the background wind */
#define SM_KMIN 0.1        /* m2 s-1, background eddy diffusivity above the boundary layer */

/* Urumqi, the reference point of the idealised terrain */
#define URU_LAT 43.8
#define URU_LON 87.6

enum { SH_T, SH_Z, SH_ZW, SH_M2, SH_U2, SH_V2, SH_M3, SH_U3, SH_V3, SH_W3 };

typedef struct VarDef {
    const char *name;
    int shape;
    const char *stagger;
    const char *description;
    const char *units;
} VarDef;

enum {
    V_XTIME, V_XLAT, V_XLONG, V_XLAT_U, V_XLONG_U, V_XLAT_V, V_XLONG_V, V_MAPFAC_M, V_MAPFAC_U,
    V_MAPFAC_V, V_MAPFAC_MX, V_MAPFAC_MY, V_SINALPHA, V_COSALPHA, V_F, V_HGT, V_LU_INDEX,
    V_LANDMASK, V_XLAND, V_ZNU, V_ZNW, V_DNW, V_P_TOP, V_P00, V_T00, V_TLP, V_TISO, V_MUB, V_MU,
    V_U, V_V, V_W, V_PH, V_PHB, V_T, V_P, V_PB, V_QVAPOR, V_QCLOUD, V_PSFC, V_T2, V_TH2, V_Q2,
    V_U10, V_V10, V_PBLH, V_UST, V_HFX, V_SWDOWN, V_RAINNC, V_RAINC, V_SNOWC, V_EXCH_H, NVAR
};

/* Names, descriptions and units as WRF V4's Registry writes them. */
static const VarDef VARS[NVAR] = {
    [V_XTIME] = {"XTIME", SH_T, "", NULL, NULL},
    [V_XLAT] = {"XLAT", SH_M2, "", "LATITUDE, SOUTH IS NEGATIVE", "degree_north"},
    [V_XLONG] = {"XLONG", SH_M2, "", "LONGITUDE, WEST IS NEGATIVE", "degree_east"},
    [V_XLAT_U] = {"XLAT_U", SH_U2, "X", "LATITUDE, SOUTH IS NEGATIVE", "degree_north"},
    [V_XLONG_U] = {"XLONG_U", SH_U2, "X", "LONGITUDE, WEST IS NEGATIVE", "degree_east"},
    [V_XLAT_V] = {"XLAT_V", SH_V2, "Y", "LATITUDE, SOUTH IS NEGATIVE", "degree_north"},
    [V_XLONG_V] = {"XLONG_V", SH_V2, "Y", "LONGITUDE, WEST IS NEGATIVE", "degree_east"},
    [V_MAPFAC_M] = {"MAPFAC_M", SH_M2, "", "Map scale factor on mass grid", ""},
    [V_MAPFAC_U] = {"MAPFAC_U", SH_U2, "X", "Map scale factor on u-grid", ""},
    [V_MAPFAC_V] = {"MAPFAC_V", SH_V2, "Y", "Map scale factor on v-grid", ""},
    [V_MAPFAC_MX] = {"MAPFAC_MX", SH_M2, "", "Map scale factor on mass grid, x direction", ""},
    [V_MAPFAC_MY] = {"MAPFAC_MY", SH_M2, "", "Map scale factor on mass grid, y direction", ""},
    [V_SINALPHA] = {"SINALPHA", SH_M2, "", "Local sine of map rotation", ""},
    [V_COSALPHA] = {"COSALPHA", SH_M2, "", "Local cosine of map rotation", ""},
    [V_F] = {"F", SH_M2, "", "Coriolis sine latitude term", "s-1"},
    [V_HGT] = {"HGT", SH_M2, "", "Terrain Height", "m"},
    [V_LU_INDEX] = {"LU_INDEX", SH_M2, "", "LAND USE CATEGORY", ""},
    [V_LANDMASK] = {"LANDMASK", SH_M2, "", "LAND MASK (1 FOR LAND, 0 FOR WATER)", ""},
    [V_XLAND] = {"XLAND", SH_M2, "", "LAND MASK (1 FOR LAND, 2 FOR WATER)", ""},
    [V_ZNU] = {"ZNU", SH_Z, "", "eta values on half (mass) levels", ""},
    [V_ZNW] = {"ZNW", SH_ZW, "Z", "eta values on full (w) levels", ""},
    [V_DNW] = {"DNW", SH_Z, "", "d(eta) values between full (w) levels", ""},
    [V_P_TOP] = {"P_TOP", SH_T, "", "PRESSURE TOP OF THE MODEL", "Pa"},
    [V_P00] = {"P00", SH_T, "", "BASE STATE PRESSURE", "Pa"},
    [V_T00] = {"T00", SH_T, "", "BASE STATE TEMPERATURE", "K"},
    [V_TLP] = {"TLP", SH_T, "", "BASE STATE LAPSE RATE", ""},
    [V_TISO] = {"TISO", SH_T, "", "TEMP AT WHICH THE BASE T TURNS CONST", "K"},
    [V_MUB] = {"MUB", SH_M2, "", "base state dry air mass in column", "Pa"},
    [V_MU] = {"MU", SH_M2, "", "perturbation dry air mass in column", "Pa"},
    [V_U] = {"U", SH_U3, "X", "x-wind component", "m s-1"},
    [V_V] = {"V", SH_V3, "Y", "y-wind component", "m s-1"},
    [V_W] = {"W", SH_W3, "Z", "z-wind component", "m s-1"},
    [V_PH] = {"PH", SH_W3, "Z", "perturbation geopotential", "m2 s-2"},
    [V_PHB] = {"PHB", SH_W3, "Z", "base-state geopotential", "m2 s-2"},
    [V_T] = {"T", SH_M3, "", "perturbation potential temperature theta-t0", "K"},
    [V_P] = {"P", SH_M3, "", "perturbation pressure", "Pa"},
    [V_PB] = {"PB", SH_M3, "", "BASE STATE PRESSURE", "Pa"},
    [V_QVAPOR] = {"QVAPOR", SH_M3, "", "Water vapor mixing ratio", "kg kg-1"},
    [V_QCLOUD] = {"QCLOUD", SH_M3, "", "Cloud water mixing ratio", "kg kg-1"},
    [V_PSFC] = {"PSFC", SH_M2, "", "SFC PRESSURE", "Pa"},
    [V_T2] = {"T2", SH_M2, "", "TEMP at 2 M", "K"},
    [V_TH2] = {"TH2", SH_M2, "", "POT TEMP at 2 M", "K"},
    [V_Q2] = {"Q2", SH_M2, "", "QV at 2 M", "kg kg-1"},
    [V_U10] = {"U10", SH_M2, "", "U at 10 M", "m s-1"},
    [V_V10] = {"V10", SH_M2, "", "V at 10 M", "m s-1"},
    [V_PBLH] = {"PBLH", SH_M2, "", "PBL HEIGHT", "m"},
    [V_UST] = {"UST", SH_M2, "", "U* IN SIMILARITY THEORY", "m s-1"},
    [V_HFX] = {"HFX", SH_M2, "", "UPWARD HEAT FLUX AT THE SURFACE", "W m-2"},
    [V_SWDOWN] = {"SWDOWN", SH_M2, "", "DOWNWARD SHORT WAVE FLUX AT GROUND SURFACE", "W m-2"},
    [V_RAINNC] = {"RAINNC", SH_M2, "", "ACCUMULATED TOTAL GRID SCALE PRECIPITATION", "mm"},
    [V_RAINC] = {"RAINC", SH_M2, "", "ACCUMULATED TOTAL CUMULUS PRECIPITATION", "mm"},
    [V_SNOWC] = {"SNOWC", SH_M2, "", "FLAG INDICATING SNOW COVERAGE (1 FOR SNOW COVER)", ""},
    /* WRF declares EXCH_H on bottom_top with stagger "Z": level k is w-level k (the bottom
     * interface of layer k), 0 at the ground (phys/module_bl_ysu.F, exch_h(k+1) = xkzh(k)). */
    [V_EXCH_H] = {"EXCH_H", SH_M3, "Z", "EXCHANGE COEFFICIENTS FOR HEAT", "m2 s-1"},
};

/* Everything that does not change with time, computed once. */
typedef struct SmGrid {
    int nx, ny, nz;
    size_t n2, nu2, nv2;          /* ny*nx, ny*(nx+1), (ny+1)*nx */
    double dx, x0, y0;            /* lattice: centre of cell (j, i) at (x0 + i dx, y0 + j dx) */
    double cen_lat, cen_lon, truelat1, truelat2, stand_lon, ptop; /* as stored (float) */
    int terrain, inversion, diurnal, with_exch_h, winter, episode;
    double exch_h_const, u0, v0, jet, front_h;
    double t_start;               /* s since 1970 */
    double *lat, *lon, *mfm, *sina, *cosa, *hgt, *coldw, *fogw, *lu, *z0, *gx, *gy, *ps, *mub;
    double *snowfall;             /* mm h-1, peak snowfall rate */
    double *sw_mean;              /* daily-mean SWDOWN (diurnal = 0 only) */
    double *znw, *znu;            /* [nz+1], [nz] */
} SmGrid;

/* Per-record scratch (doubles) and the float output buffers of every variable. */
typedef struct SmWork {
    double *phi;                  /* [nz+1][ny][nx] full geopotential PH+PHB */
    double *tk, *qv;              /* [nz][ny][nx] temperature (K), vapour mixing ratio */
    double *um, *vm;              /* [nz][ny][nx] grid-relative winds at mass points */
    double *sunfrac, *cosz;       /* [ny][nx] sun: max(0, cos Z)/cos Z_noon, cos Z */
    double *sinv, *adiu, *fog, *mud; /* [ny][nx] cold pool, diurnal term, fog, dry column mass */
    double *rhs;                  /* [ny][nx] relative humidity at the ground (0-1) */
    float *buf[NVAR];
    size_t len[NVAR];
} SmWork;

/* Per-record time parameters. */
typedef struct SmRec {
    double t;                     /* s since 1970 */
    double tau_h;                 /* hours since the first record */
    double utc_h;                 /* hour of the UTC day */
    double decl, e0;              /* solar declination (rad), eccentricity factor */
    double veer, jetfac;
    /* cold pool and episode state (episode = 0: S = F = 0, the fixed cold pool) */
    double stag, front;           /* stagnation index S (0 or EP_S0..1), front factor F (0..1) */
    double dt_inv, h_inv;         /* inversion strength (K) and depth above ground (m) */
    double anchor;                /* free-atmosphere temperature extrapolated to 0 m, K */
} SmRec;

static double clampd(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

static double smoothstep(double a, double b, double x)
{
    double t = clampd((x - a) / (b - a), 0.0, 1.0);
    return t * t * (3.0 - 2.0 * t);
}

static double deg2rad(double d) { return d * (M_PI / 180.0); }

/* Standard-atmosphere pressure at height z (m); the inverse below. */
static double std_atm_p(double z)
{
    if (z <= SA_Z11) return SA_P0 * pow(1.0 - 2.25577e-5 * z, 5.25588);
    return SA_P0 * pow(1.0 - 2.25577e-5 * SA_Z11, 5.25588) *
           exp(-SA_G0 * (z - SA_Z11) / (SA_R * SA_T11));
}

static double std_atm_z(double p)
{
    double p11 = std_atm_p(SA_Z11);
    if (p >= p11) return (1.0 - pow(p / SA_P0, 1.0 / 5.25588)) / 2.25577e-5;
    return SA_Z11 + SA_R * SA_T11 / SA_G0 * log(p11 / p);
}

int synthmet_eta_levels(int nz, double ptop_pa, double *znw, BgErr *e)
{
    if (nz < 1 || nz > 1000)
        return bg_fail(e, BG_ECONFIG, NULL, NULL, "synthmet: nz = %d is outside 1..1000", nz);
    if (!(ptop_pa >= 100.0 && ptop_pa <= 50000.0))
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "synthmet: ptop_pa = %g is outside 100..50000 Pa (option --ptop)", ptop_pa);
    /* Interface heights in the standard atmosphere: the lowest layer dz1 = 45 m thick, each layer
     * r times the one below (r >= 1.2, as WRF's auto_levels stretch 1.1-1.3); for many layers the
     * thickness is capped instead so that the column still ends at the height of ptop. */
    const double ztop = std_atm_z(ptop_pa), dz1 = 45.0;
    double r = 1.2, cap = HUGE_VAL;
    if (nz * dz1 >= ztop) {
        r = 1.0;
        cap = ztop / nz;
    } else {
        double geo = dz1 * (pow(r, nz) - 1.0) / (r - 1.0);
        if (geo >= ztop) { /* bisect on the cap */
            double lo = dz1, hi = ztop;
            for (int it = 0; it < 200; it++) {
                double mid = 0.5 * (lo + hi), s = 0.0;
                for (int k = 0; k < nz; k++) s += fmin(dz1 * pow(r, k), mid);
                if (s > ztop) hi = mid; else lo = mid;
            }
            cap = 0.5 * (lo + hi);
        } else { /* bisect on the ratio */
            double lo = 1.2, hi = 1.0e6;
            for (int it = 0; it < 200; it++) {
                double mid = 0.5 * (lo + hi);
                if (dz1 * (pow(mid, nz) - 1.0) / (mid - 1.0) > ztop) hi = mid; else lo = mid;
            }
            r = 0.5 * (lo + hi);
        }
    }
    double z = 0.0;
    znw[0] = 1.0;
    for (int k = 1; k < nz; k++) {
        z += fmin(dz1 * pow(r, k - 1), cap);
        znw[k] = (std_atm_p(z) - ptop_pa) / (SA_P0 - ptop_pa);
    }
    znw[nz] = 0.0;
    for (int k = 1; k <= nz; k++)
        if (!(znw[k] < znw[k - 1]))
            return bg_fail(e, BG_EFAIL, NULL, NULL, "synthmet: eta levels not decreasing at %d", k);
    return BG_OK;
}

/* ---------------------------------------------------------------- geography and terrain ---- */

/* Local east/north distances (km) from Urumqi on the sphere (equirectangular). */
static void local_km(double lat, double lon, double *x, double *y)
{
    double dl = fmod(lon - URU_LON + 540.0, 360.0) - 180.0;
    *x = SM_EARTH_R * cos(deg2rad(URU_LAT)) * deg2rad(dl) / 1000.0;
    *y = SM_EARTH_R * deg2rad(lat - URU_LAT) / 1000.0;
}

/* Idealised northern Tianshan.  The foothill line runs WSW-ENE through 10 km south of Urumqi and
 * 45 km north of Kuitun's latitude (slope -0.25, as the real line from Kuitun to Urumqi); north
 * of it the Junggar basin floor rises gently from 400 m to ~850 m at the foot; to the south the
 * range climbs over ~70 km to a crest plateau of ~4000 m (the main ridge south of Urumqi reaches
 * 4000-4500 m); the Bogda massif is an elongated spur east of Urumqi, leaving the
 * Urumqi-Dabancheng gap between it and the main ridge. */
static double tianshan_height(double lat, double lon)
{
    double x, y;
    local_km(lat, lon, &x, &y);
    double d = (-10.0 - 0.25 * x) - y; /* km south of the foothill line */
    double basin = 400.0 + 500.0 * 0.5 * (1.0 + tanh((d + 40.0) / 60.0));
    double ridge = 3100.0 * 0.5 * (1.0 + tanh((d - 35.0) / 15.0)) *
                   (1.0 + 0.08 * sin(2.0 * M_PI * x / 150.0));
    double bx = (x - 56.0) / 22.0, by = (y + 5.0) / 12.0;
    double bogda = 2500.0 * exp(-0.5 * (bx * bx + by * by));
    return basin + ridge + bogda;
}

/* USGS 24-category land use (MMINLU "USGS"): urban discs of 8 km at Urumqi, Changji and Shihezi
 * (and of 4 km at the other towns of the embedded case with real relief), else by height:
 * dryland cropland (2), grassland (7), barren (19), snow or ice (24). */
static double land_use(double lat, double lon, double hgt, int all_towns)
{
    /* Urumqi, Changji, Shihezi; with all_towns also Karamay, Kuitun, Wusu, Dushanzi, Wujiaqu,
     * Fukang (the towns of the embedded case, data/README.md coordinates) */
    static const double city[9][2] = {{87.6, 43.8},   {87.31, 44.01}, {86.05, 44.31},
                                      {84.89, 45.58}, {84.90, 44.43}, {84.68, 44.43},
                                      {84.85, 44.33}, {87.55, 44.18}, {87.99, 44.16}};
    double x, y;
    local_km(lat, lon, &x, &y);
    for (int c = 0; c < (all_towns ? 9 : 3); c++) {
        double cx, cy;
        local_km(city[c][1], city[c][0], &cx, &cy);
        if (hypot(x - cx, y - cy) < (c < 3 ? 8.0 : 4.0)) return 1.0;
    }
    if (hgt < 1200.0) return 2.0;
    if (hgt < 2800.0) return 7.0;
    if (hgt < 3600.0) return 19.0;
    return 24.0;
}

/* Winter roughness length (m) by USGS category (WRF run/VEGPARM.TBL, USGS, winter Z0). */
static double roughness(double lu)
{
    switch ((int)lu) {
    case 1: return 0.5;
    case 2: return 0.05;
    case 7: return 0.10;
    case 19: return 0.01;
    default: return 0.001;
    }
}

/* ---------------------------------------------------------------- real relief ---- */

void synthmet_relief_free(SynthRelief *r)
{
    if (!r) return;
    free(r->lon);
    free(r->lat);
    free(r->z);
    memset(r, 0, sizeof *r);
}

/* Reads a 1-D coordinate variable named like dimension dim; checks it is strictly monotonic. */
static int relief_coord(int nc, int dim, const char *path, double **out, size_t *n, int *asc,
                        BgErr *e)
{
    char name[NC_MAX_NAME + 1] = "";
    int vid, nd, dims[NC_MAX_VAR_DIMS];
    if (nc_inq_dim(nc, dim, name, n) != NC_NOERR || nc_inq_varid(nc, name, &vid) != NC_NOERR ||
        nc_inq_varndims(nc, vid, &nd) != NC_NOERR || nd != 1 ||
        nc_inq_vardimid(nc, vid, dims) != NC_NOERR || dims[0] != dim)
        return bg_fail(e, BG_EINPUT, path, name[0] ? name : "?",
                       "no 1-D coordinate variable for this dimension of the relief");
    if (*n < 2) return bg_fail(e, BG_EINPUT, path, name, "fewer than 2 points");
    *out = malloc(*n * sizeof **out);
    if (!*out) return bg_fail(e, BG_EFAIL, path, name, "out of memory");
    if (nc_get_var_double(nc, vid, *out) != NC_NOERR)
        return bg_fail(e, BG_EINPUT, path, name, "cannot read the coordinate");
    *asc = (*out)[1] > (*out)[0];
    for (size_t i = 1; i < *n; i++)
        if (!isfinite((*out)[i]) || ((*out)[i] > (*out)[i - 1]) != *asc ||
            (*out)[i] == (*out)[i - 1])
            return bg_fail(e, BG_EINPUT, path, name, "coordinate not strictly monotonic at %zu",
                           i);
    return BG_OK;
}

int synthmet_relief_load(SynthRelief *r, const char *path, const char *var, BgErr *e)
{
    memset(r, 0, sizeof *r);
    if (!var) var = "ROSE";
    int nc, vid, nd, dims[NC_MAX_VAR_DIMS], st;
    if ((st = nc_open(path, NC_NOWRITE, &nc)) != NC_NOERR)
        return bg_fail(e, BG_EINPUT, path, NULL, "cannot open the relief file: %s",
                       nc_strerror(st));
    int rc = BG_OK;
    double *c0 = NULL, *c1 = NULL;
    float *buf = NULL;
    size_t n0 = 0, n1 = 0;
    int asc0 = 1, asc1 = 1;
    if (nc_inq_varid(nc, var, &vid) != NC_NOERR || nc_inq_varndims(nc, vid, &nd) != NC_NOERR ||
        nd != 2 || nc_inq_vardimid(nc, vid, dims) != NC_NOERR) {
        rc = bg_fail(e, BG_EINPUT, path, var, "missing, or not a 2-D (lat, lon) variable");
        goto done;
    }
    char units[64] = "";
    size_t ul = 0;
    if (nc_inq_attlen(nc, vid, "units", &ul) == NC_NOERR && ul < sizeof units &&
        nc_get_att_text(nc, vid, "units", units) == NC_NOERR)
        units[ul] = '\0';
    if (units[0] && strcmp(units, "m") && strcmp(units, "meters") && strcmp(units, "metres") &&
        strcmp(units, "meter") && strcmp(units, "metre")) {
        rc = bg_fail(e, BG_EINPUT, path, var, "units '%s' are not metres", units);
        goto done;
    }
    if ((rc = relief_coord(nc, dims[0], path, &c0, &n0, &asc0, e)) != BG_OK ||
        (rc = relief_coord(nc, dims[1], path, &c1, &n1, &asc1, e)) != BG_OK)
        goto done;
    if (!asc1) {
        rc = bg_fail(e, BG_EINPUT, path, var, "longitudes must ascend");
        goto done;
    }
    buf = malloc(n0 * n1 * sizeof *buf);
    if (!buf) {
        rc = bg_fail(e, BG_EFAIL, path, var, "out of memory");
        goto done;
    }
    if (nc_get_var_float(nc, vid, buf) != NC_NOERR) {
        rc = bg_fail(e, BG_EINPUT, path, var, "cannot read the relief");
        goto done;
    }
    /* WRF's geogrid and CF both mark holes with _FillValue (ETOPO5 also with missing_value) */
    const char *fill_atts[2] = {"_FillValue", "missing_value"};
    for (int a = 0; a < 2; a++) {
        float fv;
        if (nc_get_att_float(nc, vid, fill_atts[a], &fv) != NC_NOERR) continue;
        for (size_t q = 0; q < n0 * n1; q++)
            if (buf[q] == fv) buf[q] = NAN;
    }
    r->nlat = (int)n0;
    r->nlon = (int)n1;
    r->lat = c0;
    r->lon = c1;
    r->z = buf;
    c0 = c1 = NULL;
    buf = NULL;
done:
    nc_close(nc);
    free(c0);
    free(c1);
    free(buf);
    return rc;
}

/* Index k and weight w of x between c[k] and c[k+1] (c ascending or descending); -1 outside. */
static int bracket(const double *c, int n, double x, double *w)
{
    int asc = c[1] > c[0];
    double lo = asc ? c[0] : c[n - 1], hi = asc ? c[n - 1] : c[0];
    if (!(x >= lo && x <= hi)) return -1;
    int a = 0, b = n - 1;
    while (b - a > 1) {
        int m = (a + b) / 2;
        if ((c[m] <= x) == asc) a = m; else b = m;
    }
    *w = (x - c[a]) / (c[a + 1] - c[a]);
    return a;
}

int synthmet_relief_at(const SynthRelief *r, double lon, double lat, double *z)
{
    double wx, wy;
    int i = bracket(r->lon, r->nlon, lon, &wx), j = bracket(r->lat, r->nlat, lat, &wy);
    if (i < 0 || j < 0) return -1;
    double sum = 0.0, wsum = 0.0;
    for (int dj = 0; dj < 2; dj++)
        for (int di = 0; di < 2; di++) {
            double v = r->z[(size_t)(j + dj) * r->nlon + i + di];
            double w = (di ? wx : 1.0 - wx) * (dj ? wy : 1.0 - wy);
            if (isnan(v) || w == 0.0) continue;
            sum += w * v;
            wsum += w;
        }
    if (!(wsum > 0.0)) return -1;
    *z = sum / wsum;
    return 0;
}

/* ---------------------------------------------------------------- thermodynamics ---- */

/* Air temperature (K) at altitude z (m) above a column of terrain height hgt: the free
 * atmosphere (lapse 6.5 K/km, isothermal above 11 km, anchored at r->anchor), minus the cold pool
 * s (1 - h/H)^2 in the lowest H = r->h_inv above ground (400 m without the episode), plus the
 * surface diurnal term a exp(-h/400 m).  record_params() sets the anchor so that the basin
 * surface (500 m) is 258 K and the inversion top r->dt_inv warmer; with the inversion off the
 * lapse rate runs from 258 K at 500 m. */
static double temp_profile(double z, double hgt, const SmRec *r, double s_inv, double a_diurnal)
{
    double t = r->anchor - CP_LAPSE * fmin(z, CP_Z_TROP);
    double h = fmax(z - hgt, 0.0);
    if (h < r->h_inv) {
        double f = 1.0 - h / r->h_inv;
        t -= s_inv * f * f;
    }
    return t + a_diurnal * exp(-h / CP_DIURNAL_H);
}

/* Saturation mixing ratio over water (Bolton 1980, Mon. Wea. Rev. 108, 1046, eq. 10). */
static double qsat(double t, double p)
{
    double es = 611.2 * exp(17.67 * (t - 273.15) / (t - 29.65));
    es = fmin(es, 0.5 * p);
    return SM_EPS * es / (p - es);
}

/* Clear-sky global irradiance on a horizontal surface (W m-2); see SOLAR_S0. */
static double clear_sky_sw(double cosz, double hgt, double e0)
{
    if (cosz <= 0.0) return 0.0;
    double zdeg = acos(cosz) * 180.0 / M_PI;
    double am = 1.0 / (cosz + 0.50572 * pow(96.07995 - zdeg, -1.6364));
    double hk = clampd(hgt / 1000.0, 0.0, 5.0);
    double tr = (1.0 - 0.14 * hk) * pow(0.7, pow(am, 0.678)) + 0.14 * hk;
    return 1.1 * SOLAR_S0 * e0 * cosz * tr;
}

/* Solar declination (Spencer 1971, Search 2(5), 172) and eccentricity factor for fractional day
 * of year doy (1 = 1 January 00 UTC). */
static void solar_decl(double doy, double *decl, double *e0)
{
    double g = 2.0 * M_PI * (doy - 1.0) / 365.0;
    *decl = 0.006918 - 0.399912 * cos(g) + 0.070257 * sin(g) - 0.006758 * cos(2 * g) +
            0.000907 * sin(2 * g) - 0.002697 * cos(3 * g) + 0.00148 * sin(3 * g);
    *e0 = 1.0 + 0.033 * cos(2.0 * M_PI * doy / 365.0);
}

/* cos of the solar zenith angle at local mean solar time (equation of time omitted, so local
 * noon is at 12 - lon/15 h UTC). */
static double cos_zenith(double lat, double lon, double utc_h, double decl, double *solar_h)
{
    double sh = fmod(utc_h + lon / 15.0 + 48.0, 24.0);
    if (solar_h) *solar_h = sh;
    double ha = deg2rad(15.0 * (sh - 12.0)), phi = deg2rad(lat);
    return sin(phi) * sin(decl) + cos(phi) * cos(decl) * cos(ha);
}

static double day_of_year(double t)
{
    char buf[8];
    time_strftime(t, "%j", buf, sizeof buf);
    double d0 = floor(t / 86400.0) * 86400.0;
    return atof(buf) + (t - d0) / 86400.0;
}

/* ---------------------------------------------------------------- spec checking ---- */

typedef struct NumField {
    const char *field, *option;
    size_t off;
    int is_int;
    double lo, hi;
} NumField;

static const NumField NUMS[] = {
    {"nx", "--nx", offsetof(SynthMetSpec, nx), 1, 2, 10000},
    {"ny", "--ny", offsetof(SynthMetSpec, ny), 1, 2, 10000},
    {"nz", "--nz", offsetof(SynthMetSpec, nz), 1, 2, 200},
    {"dx_m", "--dx-km", offsetof(SynthMetSpec, dx_m), 0, 10.0, 1.0e6},
    {"cen_lat", "--cen-lat", offsetof(SynthMetSpec, cen_lat), 0, -85.0, 85.0},
    {"cen_lon", "--cen-lon", offsetof(SynthMetSpec, cen_lon), 0, -180.0, 360.0},
    {"truelat1", "--truelat1", offsetof(SynthMetSpec, truelat1), 0, -89.0, 89.0},
    {"truelat2", "--truelat2", offsetof(SynthMetSpec, truelat2), 0, -89.0, 89.0},
    {"stand_lon", "--stand-lon", offsetof(SynthMetSpec, stand_lon), 0, -180.0, 360.0},
    {"nrec", "--hours", offsetof(SynthMetSpec, nrec), 1, 1, 100000},
    {"interval_h", "--interval-h", offsetof(SynthMetSpec, interval_h), 0, 1.0 / 60.0, 744.0},
    {"rec_per_file", "--per-file", offsetof(SynthMetSpec, rec_per_file), 1, 1, 100000},
    {"u0", "--u", offsetof(SynthMetSpec, u0), 0, -60.0, 60.0},
    {"v0", "--v", offsetof(SynthMetSpec, v0), 0, -60.0, 60.0},
    {"jet_ms", "--jet", offsetof(SynthMetSpec, jet_ms), 0, -120.0, 120.0},
    {"terrain", "--terrain", offsetof(SynthMetSpec, terrain), 1, 0, 2},
    {"inversion", "--inversion", offsetof(SynthMetSpec, inversion), 1, 0, 1},
    {"with_exch_h", "--exch-h", offsetof(SynthMetSpec, with_exch_h), 1, 0, 1},
    {"exch_h_const", "--exch-h", offsetof(SynthMetSpec, exch_h_const), 0, 0.0, 1000.0},
    {"diurnal", "--diurnal", offsetof(SynthMetSpec, diurnal), 1, 0, 1},
    {"ptop_pa", "--ptop", offsetof(SynthMetSpec, ptop_pa), 0, 100.0, 50000.0},
    {"episode", "--episode", offsetof(SynthMetSpec, episode), 1, 0, 1},
    {"front_h", "--front-h", offsetof(SynthMetSpec, front_h), 0, -1.0e9, 1.0e6},
};

void synthmet_defaults(SynthMetSpec *s)
{
    memset(s, 0, sizeof *s);
    s->nx = 200;
    s->ny = 120;
    s->nz = 24;
    s->dx_m = 4000.0;
    s->cen_lat = URU_LAT;
    s->cen_lon = URU_LON;
    s->truelat1 = 30.0;
    s->truelat2 = 60.0;
    s->stand_lon = URU_LON;
    snprintf(s->start, sizeof s->start, "%s", "2024-01-10T00:00:00Z");
    s->nrec = 25;
    s->interval_h = 1.0;
    s->rec_per_file = 24;
    s->u0 = 1.5;
    s->v0 = 0.5;
    s->jet_ms = 50.0;
    s->terrain = 1;
    s->inversion = 1;
    s->with_exch_h = 0;
    s->exch_h_const = 0.0;
    s->diurnal = 1;
    s->ptop_pa = 5000.0;
    s->terrain_file[0] = '\0';
    s->episode = 0;
    s->front_h = -1.0;
}

int synthmet_check(const SynthMetSpec *s, BgErr *e)
{
    for (size_t n = 0; n < sizeof NUMS / sizeof NUMS[0]; n++) {
        const NumField *f = &NUMS[n];
        const char *p = (const char *)s + f->off;
        double v;
        if (f->is_int) {
            int iv;
            memcpy(&iv, p, sizeof iv);
            v = iv;
        } else {
            memcpy(&v, p, sizeof v);
        }
        if (!isfinite(v) || v < f->lo || v > f->hi)
            return bg_fail(e, BG_ECONFIG, NULL, NULL,
                           "synthmet: %s = %g is outside %g..%g (option %s)", f->field, v, f->lo,
                           f->hi, f->option);
    }
    if (s->terrain == 2 &&
        (memchr(s->terrain_file, '\0', sizeof s->terrain_file) == NULL || !s->terrain_file[0]))
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "synthmet: terrain = 2 (real relief) needs terrain_file "
                       "(option --terrain-file)");
    double t;
    if (memchr(s->start, '\0', sizeof s->start) == NULL || time_parse(s->start, &t) != 0)
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "synthmet: start '%.31s' is not an ISO-8601 time (option --start)",
                       s->start);
    double sec = s->interval_h * 3600.0;
    if (fabs(sec - floor(sec + 0.5)) > 1e-6)
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "synthmet: interval_h = %g is not a whole number of seconds "
                       "(option --interval-h)", s->interval_h);
    if (s->truelat1 * s->truelat2 <= 0.0)
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "synthmet: truelat1 = %g and truelat2 = %g must be nonzero and on the "
                       "same side of the equator (options --truelat1, --truelat2)",
                       s->truelat1, s->truelat2);
    if (s->cen_lat * s->truelat1 < 0.0)
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "synthmet: cen_lat = %g is in the other hemisphere than the true "
                       "latitudes (option --cen-lat)", s->cen_lat);
    /* 64-bit-offset NetCDF limits one record of one variable to 4 GiB */
    double bytes = 4.0 * (s->nx + 1.0) * (s->ny + 1.0) * (s->nz + 1.0);
    if (bytes >= 4.0e9)
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "synthmet: grid %d x %d x %d is too large for one NetCDF record "
                       "(options --nx, --ny, --nz)", s->nx, s->ny, s->nz);
    return BG_OK;
}

/* ---------------------------------------------------------------- grid set-up ---- */

static void grid_free_(SmGrid *g)
{
    double **arrs[] = {&g->lat, &g->lon, &g->mfm, &g->sina, &g->cosa, &g->hgt, &g->coldw,
                       &g->fogw, &g->lu, &g->z0, &g->gx, &g->gy, &g->ps, &g->mub, &g->snowfall,
                       &g->sw_mean, &g->znw, &g->znu};
    for (size_t n = 0; n < sizeof arrs / sizeof arrs[0]; n++) {
        free(*arrs[n]);
        *arrs[n] = NULL;
    }
}

static void work_free(SmWork *w)
{
    free(w->phi);
    free(w->tk);
    free(w->qv);
    free(w->um);
    free(w->vm);
    free(w->sunfrac);
    free(w->cosz);
    free(w->sinv);
    free(w->adiu);
    free(w->fog);
    free(w->mud);
    free(w->rhs);
    for (int v = 0; v < NVAR; v++) free(w->buf[v]);
    memset(w, 0, sizeof *w);
}

static size_t shape_len(const SmGrid *g, int shape)
{
    size_t nx = (size_t)g->nx, ny = (size_t)g->ny, nz = (size_t)g->nz;
    switch (shape) {
    case SH_T: return 1;
    case SH_Z: return nz;
    case SH_ZW: return nz + 1;
    case SH_M2: return ny * nx;
    case SH_U2: return ny * (nx + 1);
    case SH_V2: return (ny + 1) * nx;
    case SH_M3: return nz * ny * nx;
    case SH_U3: return nz * ny * (nx + 1);
    case SH_V3: return nz * (ny + 1) * nx;
    default: return (nz + 1) * ny * nx;
    }
}

static int work_alloc(SmWork *w, const SmGrid *g, BgErr *e)
{
    memset(w, 0, sizeof *w);
    size_t n2 = g->n2, n3 = n2 * (size_t)g->nz;
    w->phi = malloc(sizeof(double) * (n3 + n2));
    w->tk = malloc(sizeof(double) * n3);
    w->qv = malloc(sizeof(double) * n3);
    w->um = malloc(sizeof(double) * n3);
    w->vm = malloc(sizeof(double) * n3);
    w->sunfrac = malloc(sizeof(double) * n2);
    w->cosz = malloc(sizeof(double) * n2);
    w->sinv = malloc(sizeof(double) * n2);
    w->adiu = malloc(sizeof(double) * n2);
    w->fog = malloc(sizeof(double) * n2);
    w->mud = malloc(sizeof(double) * n2);
    w->rhs = malloc(sizeof(double) * n2);
    int ok = w->phi && w->tk && w->qv && w->um && w->vm && w->sunfrac && w->cosz && w->sinv &&
             w->adiu && w->fog && w->mud && w->rhs;
    for (int v = 0; v < NVAR && ok; v++) {
        w->len[v] = shape_len(g, VARS[v].shape);
        w->buf[v] = calloc(w->len[v], sizeof(float));
        ok = w->buf[v] != NULL;
    }
    if (!ok) {
        work_free(w);
        return bg_fail(e, BG_EFAIL, NULL, NULL, "synthmet: out of memory for a %d x %d x %d grid",
                       g->nx, g->ny, g->nz);
    }
    return BG_OK;
}

/* Lattice point -> lat/lon (degrees), map factor and map rotation, with PROJ. */
static int proj_point(PJ *P, double x, double y, double *lat, double *lon, double *mf,
                      double *sina, double *cosa)
{
    PJ_COORD ll = proj_trans(P, PJ_INV, proj_coord(x, y, 0, 0));
    if (ll.lp.lam == HUGE_VAL || !isfinite(ll.lp.lam) || !isfinite(ll.lp.phi)) return -1;
    *lat = proj_todeg(ll.lp.phi);
    *lon = proj_todeg(ll.lp.lam);
    if (mf) {
        PJ_FACTORS f = proj_factors(P, ll);
        *mf = f.meridional_scale;
        if (!isfinite(*mf) || *mf <= 0.0) return -1;
    }
    if (sina) {
        /* Direction of true north in grid coordinates: WRF's SINALPHA is its x component
         * (positive west of STAND_LON in the northern hemisphere), so that
         * u_earth = U cosa - V sina, v_earth = V cosa + U sina. */
        double d = 1e-4 * M_PI / 180.0;
        PJ_COORD a = proj_trans(P, PJ_FWD, proj_coord(ll.lp.lam, ll.lp.phi - d, 0, 0));
        PJ_COORD b = proj_trans(P, PJ_FWD, proj_coord(ll.lp.lam, ll.lp.phi + d, 0, 0));
        double ex = b.xy.x - a.xy.x, ey = b.xy.y - a.xy.y, n = hypot(ex, ey);
        if (!(n > 0.0)) return -1;
        *sina = ex / n;
        *cosa = ey / n;
    }
    return 0;
}

static double f2d(double v) { return (double)(float)v; }

/* Fills the static part of g and the static output buffers of w. */
static int grid_setup(SmGrid *g, SmWork *w, const SynthMetSpec *s, BgErr *e)
{
    int rc = BG_OK;
    PJ_CONTEXT *ctx = NULL;
    PJ *P = NULL;
    memset(g, 0, sizeof *g);
    g->nx = s->nx;
    g->ny = s->ny;
    g->nz = s->nz;
    g->n2 = (size_t)s->nx * s->ny;
    g->nu2 = (size_t)s->ny * (s->nx + 1);
    g->nv2 = (size_t)(s->ny + 1) * s->nx;
    /* WRF stores these as floats; computing with the stored values lets a reader that rebuilds
     * the projection from the attributes reproduce XLAT/XLONG to float round-off. */
    g->dx = f2d(s->dx_m);
    g->cen_lat = f2d(s->cen_lat);
    g->cen_lon = f2d(s->cen_lon);
    g->truelat1 = f2d(s->truelat1);
    g->truelat2 = f2d(s->truelat2);
    g->stand_lon = f2d(s->stand_lon);
    g->ptop = f2d(s->ptop_pa);
    g->terrain = s->terrain;
    g->inversion = s->inversion;
    g->diurnal = s->diurnal;
    g->with_exch_h = s->with_exch_h;
    g->exch_h_const = s->exch_h_const;
    g->u0 = s->u0;
    g->v0 = s->v0;
    g->jet = s->jet_ms;
    g->episode = s->episode;
    g->front_h = s->episode ? s->front_h : -1.0;
    time_parse(s->start, &g->t_start);
    g->t_start = floor(g->t_start + 0.5);
    char mon[4];
    time_strftime(g->t_start, "%m", mon, sizeof mon);
    int m = atoi(mon);
    g->winter = (m >= 11 || m <= 3);

    size_t n2 = g->n2, nx = (size_t)g->nx, ny = (size_t)g->ny, nz = (size_t)g->nz;
    double **arrs[] = {&g->lat, &g->lon, &g->mfm, &g->sina, &g->cosa, &g->hgt, &g->coldw,
                       &g->fogw, &g->lu, &g->z0, &g->gx, &g->gy, &g->ps, &g->mub, &g->snowfall,
                       &g->sw_mean};
    for (size_t n = 0; n < sizeof arrs / sizeof arrs[0]; n++)
        if (!(*arrs[n] = malloc(sizeof(double) * n2))) goto nomem;
    if (!(g->znw = malloc(sizeof(double) * (nz + 1))) || !(g->znu = malloc(sizeof(double) * nz)))
        goto nomem;
    if ((rc = synthmet_eta_levels(g->nz, g->ptop, g->znw, e)) != BG_OK) goto fail;
    for (size_t k = 0; k < nz; k++) {
        /* ZNW as stored (float) so ZNU, PB and PHB follow from the file's own levels */
        g->znw[k] = f2d(g->znw[k]);
        g->znw[k + 1] = f2d(g->znw[k + 1]);
    }
    for (size_t k = 0; k < nz; k++) g->znu[k] = 0.5 * (g->znw[k] + g->znw[k + 1]);

    char pstr[512];
    snprintf(pstr, sizeof pstr,
             "+proj=lcc +lat_1=%.17g +lat_2=%.17g +lat_0=%.17g +lon_0=%.17g +x_0=0 +y_0=0 "
             "+R=%.1f +units=m +no_defs",
             g->truelat1, g->truelat2, g->cen_lat, g->stand_lon, SM_EARTH_R);
    ctx = proj_context_create();
    P = ctx ? proj_create(ctx, pstr) : NULL;
    if (!P) {
        rc = bg_fail(e, BG_ECONFIG, NULL, NULL, "synthmet: PROJ refused '%s'", pstr);
        goto fail;
    }
    PJ_COORD c = proj_trans(P, PJ_FWD,
                            proj_coord(proj_torad(g->cen_lon), proj_torad(g->cen_lat), 0, 0));
    g->x0 = c.xy.x - 0.5 * (g->nx - 1) * g->dx;
    g->y0 = c.xy.y - 0.5 * (g->ny - 1) * g->dx;

    float *xlat = w->buf[V_XLAT], *xlon = w->buf[V_XLONG];
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            size_t q = j * nx + i;
            if (proj_point(P, g->x0 + i * g->dx, g->y0 + j * g->dx, &g->lat[q], &g->lon[q],
                           &g->mfm[q], &g->sina[q], &g->cosa[q]) != 0)
                goto outside;
            xlat[q] = (float)g->lat[q];
            xlon[q] = (float)g->lon[q];
            w->buf[V_MAPFAC_M][q] = w->buf[V_MAPFAC_MX][q] = w->buf[V_MAPFAC_MY][q] =
                (float)g->mfm[q];
            w->buf[V_SINALPHA][q] = (float)g->sina[q];
            w->buf[V_COSALPHA][q] = (float)g->cosa[q];
            w->buf[V_F][q] = (float)(2.0 * SM_OMEGA * sin(deg2rad(g->lat[q])));
        }
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i <= nx; i++) {
            double la, lo, mf;
            if (proj_point(P, g->x0 + (i - 0.5) * g->dx, g->y0 + j * g->dx, &la, &lo, &mf, NULL,
                           NULL) != 0)
                goto outside;
            size_t q = j * (nx + 1) + i;
            w->buf[V_XLAT_U][q] = (float)la;
            w->buf[V_XLONG_U][q] = (float)lo;
            w->buf[V_MAPFAC_U][q] = (float)mf;
        }
    for (size_t j = 0; j <= ny; j++)
        for (size_t i = 0; i < nx; i++) {
            double la, lo, mf;
            if (proj_point(P, g->x0 + i * g->dx, g->y0 + (j - 0.5) * g->dx, &la, &lo, &mf, NULL,
                           NULL) != 0)
                goto outside;
            size_t q = j * nx + i;
            w->buf[V_XLAT_V][q] = (float)la;
            w->buf[V_XLONG_V][q] = (float)lo;
            w->buf[V_MAPFAC_V][q] = (float)mf;
        }
    proj_destroy(P);
    P = NULL;
    proj_context_destroy(ctx);
    ctx = NULL;

    /* Terrain, surface type, surface pressure and the WRF base state. */
    if (g->terrain == 2) {
        SynthRelief rel;
        if ((rc = synthmet_relief_load(&rel, s->terrain_file, NULL, e)) != BG_OK) goto fail;
        for (size_t q = 0; q < n2; q++)
            if (synthmet_relief_at(&rel, g->lon[q], g->lat[q], &g->hgt[q]) != 0) {
                rc = bg_fail(e, BG_EINPUT, s->terrain_file, "ROSE",
                             "the relief does not cover grid point %.3f E %.3f N (options "
                             "--nx, --ny, --dx-km, --cen-lon, --cen-lat)", g->lon[q], g->lat[q]);
                synthmet_relief_free(&rel);
                goto fail;
            }
        synthmet_relief_free(&rel);
    }
    /* With the episode, fog forms on the whole basin floor up to Urumqi (ETOPO5 puts Urumqi at
     * ~1300 m, Shihezi, Wujiaqu, Kuitun at 300-650 m); without it, below 600-900 m as before. */
    const double fog_lo = g->episode ? 1200.0 : 600.0, fog_hi = g->episode ? 1500.0 : 900.0;
    for (size_t q = 0; q < n2; q++) {
        double h = g->terrain == 2 ? g->hgt[q]
                   : g->terrain ? tianshan_height(g->lat[q], g->lon[q]) : CP_Z_BASIN;
        g->hgt[q] = f2d(h);
        g->coldw[q] = 1.0 - smoothstep(1200.0, 2200.0, g->hgt[q]);
        g->fogw[q] = (g->inversion && g->diurnal) ? 1.0 - smoothstep(fog_lo, fog_hi, g->hgt[q])
                                                  : 0;
        g->lu[q] = land_use(g->lat[q], g->lon[q], g->hgt[q], g->terrain == 2);
        g->z0[q] = roughness(g->lu[q]);
        g->snowfall[q] = 0.01 + 0.09 * smoothstep(1200.0, 3000.0, g->hgt[q]);
        g->ps[q] = std_atm_p(g->hgt[q]);
        /* WRF module_initialize_real.F: base-state surface pressure from T_b = T00 + A ln(p/P00) */
        double a = SM_T00 / SM_TLP;
        double pbs = SM_P00 * exp(-a + sqrt(a * a - 2.0 * SM_G * g->hgt[q] / SM_TLP / SM_RD));
        g->mub[q] = pbs - g->ptop;
        w->buf[V_HGT][q] = (float)g->hgt[q];
        w->buf[V_LU_INDEX][q] = (float)g->lu[q];
        w->buf[V_LANDMASK][q] = 1.0f;
        w->buf[V_XLAND][q] = 1.0f;
        w->buf[V_MUB][q] = (float)g->mub[q];
        w->buf[V_PSFC][q] = (float)g->ps[q];
    }
    /* Terrain gradient in grid directions per true metre (distance = dx / map factor). */
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            size_t q = j * nx + i;
            size_t iw = i > 0 ? i - 1 : i, ie = i + 1 < nx ? i + 1 : i;
            size_t js = j > 0 ? j - 1 : j, jn = j + 1 < ny ? j + 1 : j;
            double dist = g->dx / g->mfm[q];
            g->gx[q] = (g->hgt[j * nx + ie] - g->hgt[j * nx + iw]) / ((double)(ie - iw) * dist);
            g->gy[q] = (g->hgt[jn * nx + i] - g->hgt[js * nx + i]) / ((double)(jn - js) * dist);
        }
    for (size_t k = 0; k <= nz; k++) w->buf[V_ZNW][k] = (float)g->znw[k];
    for (size_t k = 0; k < nz; k++) {
        w->buf[V_ZNU][k] = (float)g->znu[k];
        w->buf[V_DNW][k] = (float)(g->znw[k + 1] - g->znw[k]);
    }
    w->buf[V_P_TOP][0] = (float)g->ptop;
    w->buf[V_P00][0] = (float)SM_P00;
    w->buf[V_T00][0] = (float)SM_T00;
    w->buf[V_TLP][0] = (float)SM_TLP;
    w->buf[V_TISO][0] = (float)SM_TISO;
    for (size_t q = 0; q < n2; q++) {
        /* WRF base state: PB = ZNU MUB + ptop, T_b = max(TISO, T00 + TLP ln(PB/P00)),
         * PHB(k+1) = PHB(k) - DNW MUB alpha_b (module_initialize_real.F) */
        double phb = g->hgt[q] * SM_G;
        w->buf[V_PHB][q] = (float)phb;
        for (size_t k = 0; k < nz; k++) {
            double pb = g->znu[k] * g->mub[q] + g->ptop;
            double tb = fmax(SM_TISO, SM_T00 + SM_TLP * log(pb / SM_P00));
            phb += (g->znw[k] - g->znw[k + 1]) * g->mub[q] * SM_RD * tb / pb;
            w->buf[V_PB][k * n2 + q] = (float)pb;
            w->buf[V_PHB][(k + 1) * n2 + q] = (float)phb;
        }
    }
    /* Daily-mean clear-sky SWDOWN for steady (diurnal = 0) runs: the start day, 48 samples. */
    if (!g->diurnal) {
        double day0 = floor(g->t_start / 86400.0) * 86400.0;
        for (size_t q = 0; q < n2; q++) {
            double sum = 0.0;
            for (int m2 = 0; m2 < 48; m2++) {
                double t = day0 + (m2 + 0.5) * 1800.0, decl, e0;
                solar_decl(day_of_year(t), &decl, &e0);
                double cz = cos_zenith(g->lat[q], g->lon[q], fmod(t / 3600.0, 24.0), decl, NULL);
                sum += clear_sky_sw(cz, g->hgt[q], e0);
            }
            g->sw_mean[q] = sum / 48.0;
        }
    }
    return BG_OK;

outside:
    rc = bg_fail(e, BG_ECONFIG, NULL, NULL,
                 "synthmet: the %d x %d grid at %g km around %g N %g E extends beyond the "
                 "Lambert projection's valid region (options --nx, --ny, --dx-km)",
                 g->nx, g->ny, g->dx / 1000.0, g->cen_lat, g->cen_lon);
    goto fail;
nomem:
    rc = bg_fail(e, BG_EFAIL, NULL, NULL, "synthmet: out of memory");
fail:
    if (P) proj_destroy(P);
    if (ctx) proj_context_destroy(ctx);
    grid_free_(g);
    return rc;
}

/* ---------------------------------------------------------------- one record ---- */

static void record_params(const SmGrid *g, double interval_h, int rec, SmRec *r)
{
    r->tau_h = rec * interval_h;
    r->t = g->t_start + floor(rec * interval_h * 3600.0 + 0.5);
    r->utc_h = fmod(r->t / 3600.0, 24.0);
    solar_decl(day_of_year(r->t), &r->decl, &r->e0);
    /* The background wind veers smoothly through the day (sun-driven, in the grid centre's solar
     * time) and the jet breathes by 10 % over 36 h, so consecutive records always differ. */
    double sh = fmod(r->utc_h + g->cen_lon / 15.0 + 48.0, 24.0);
    r->veer = SM_VEER * sin(2.0 * M_PI * (sh - 9.0) / 24.0);
    r->jetfac = 1.0 - 0.05 * (1.0 - cos(2.0 * M_PI * r->tau_h / 36.0));
    /* The cold pool: fixed (8 K over 400 m) without the episode; with it, it strengthens and
     * deepens as the stagnation builds (S: EP_S0 -> 1 up to the front, or over the first day
     * when there is none) and is swept away by the front (F: 0 -> 1 over 3 h). */
    r->stag = 0.0;
    r->front = 0.0;
    r->dt_inv = CP_DT_INV;
    r->h_inv = CP_H_INV;
    double dt_anchor = CP_DT_INV;
    if (g->episode) {
        double build = g->front_h > 24.0 ? g->front_h : 24.0;
        r->stag = EP_S0 + (1.0 - EP_S0) * smoothstep(0.0, build, r->tau_h);
        r->front = g->front_h >= 0.0
                       ? smoothstep(g->front_h, g->front_h + EP_FRONT_RAMP_H, r->tau_h) : 0.0;
        dt_anchor = EP_DT_INV0 + EP_DT_INV1 * r->stag;
        r->dt_inv = dt_anchor * (1.0 - 0.92 * r->front);
        r->h_inv = EP_H_INV0 + EP_H_INV1 * r->stag;
    }
    /* Anchor: the basin surface (CP_Z_BASIN) at CP_T_SFC under the full cold pool, so a
     * stronger inversion means warmer air aloft (the ridge of a stagnation); the front then
     * cools the whole free atmosphere by EP_FRONT_COOL while it mixes out the cold pool, which
     * leaves the basin surface ~3 K colder. */
    r->anchor = g->inversion ? CP_T_SFC + dt_anchor + CP_LAPSE * (CP_Z_BASIN + r->h_inv)
                             : CP_T_SFC + CP_LAPSE * CP_Z_BASIN;
    r->anchor -= EP_FRONT_COOL * r->front;
}

static void compute_record(const SmGrid *g, SmWork *w, const SmRec *r)
{
    const int nx = g->nx, ny = g->ny, nz = g->nz;
    const size_t n2 = g->n2;
    const double ptop = g->ptop;

    /* Pass 1: sun, temperature, moisture and geopotential.  Rows in parallel; within a row the
     * layers are the outer loop so that every array is walked contiguously. */
#pragma omp parallel for schedule(static)
    for (int j = 0; j < ny; j++) {
        for (int i = 0; i < nx; i++) {
            size_t q = (size_t)j * nx + i;
            double sh, cz = cos_zenith(g->lat[q], g->lon[q], r->utc_h, r->decl, &sh);
            double czn = cos(deg2rad(g->lat[q]) - r->decl);
            double sf = g->diurnal ? clampd(fmax(cz, 0.0) / fmax(czn, 0.05), 0.0, 1.0)
                                   : SM_SUNFRAC_MEAN;
            w->cosz[q] = cz;
            w->sunfrac[q] = sf;
            /* The cold pool is confined to the basin and is partly eroded at midday. */
            w->sinv[q] = g->inversion ? (r->dt_inv + CP_LAPSE * r->h_inv) * g->coldw[q] *
                                            (1.0 - 0.4 * (g->diurnal ? sf : 0.0))
                                      : 0.0;
            w->adiu[q] = g->diurnal ? CP_DIURNAL_K * cos(2.0 * M_PI * (sh - 14.0) / 24.0) : 0.0;
            /* radiation fog on the basin floor at night; with the episode it thickens as the
             * stagnation builds and is gone after the front */
            w->fog[q] = g->fogw[q] * (1.0 - smoothstep(-0.05, 0.05, cz));
            w->rhs[q] = CP_RH_SFC;
            if (g->episode) {
                w->fog[q] *= (0.4 + 0.6 * r->stag) * (1.0 - r->front);
                /* moisture trapped under the inversion: more humid as the stagnation lasts and
                 * at night, drier after the front; 0.60 on the mountains */
                double rb = 0.70 + 0.14 * r->stag + 0.05 * (1.0 - 2.0 * sf);
                rb = rb * (1.0 - r->front) + 0.66 * r->front;
                w->rhs[q] = clampd(0.60 + (rb - 0.60) * g->coldw[q], EP_RH_MIN, EP_RH_MAX);
            }
            w->mud[q] = 0.0;
            w->phi[q] = g->hgt[q] * SM_G;
        }
        for (int k = 0; k < nz; k++) {
            for (int i = 0; i < nx; i++) {
                size_t q = (size_t)j * nx + i, c = (size_t)k * n2 + q;
                double ps = g->ps[q], hgt = g->hgt[q], phi = w->phi[c];
                double pw0 = ptop + g->znw[k] * (ps - ptop);
                double pw1 = ptop + g->znw[k + 1] * (ps - ptop);
                double lnr = log(pw0 / pw1), pk = (pw0 - pw1) / lnr, lnm = log(pw0 / pk);
                double z0 = phi / SM_G, qv = 0.0;
                double t = temp_profile(z0, hgt, r, w->sinv[q], w->adiu[q]);
                /* T(z) and z(T) together: the stored T and qv are the ones integrated below, so
                 * the hydrostatic relation holds exactly whatever the convergence (which is
                 * to < 0.01 K after 4 sweeps). */
                for (int it = 0; it < 4; it++) {
                    double tv = t * (1.0 + qv / SM_EPS) / (1.0 + qv);
                    double zk = z0 + SM_RD * tv / SM_G * lnm;
                    t = temp_profile(zk, hgt, r, w->sinv[q], w->adiu[q]);
                    double rh = CP_RH_TOP + (w->rhs[q] - CP_RH_TOP) * exp(-(zk - hgt) / CP_RH_H);
                    if (!g->episode) {
                        if (k == 0) rh = fmin(1.0, rh + (1.0 - CP_RH_SFC) * w->fog[q]);
                    } else if (k < 2) {
                        rh += (EP_RH_FOG - rh) * (k == 0 ? 1.0 : 0.5) * w->fog[q];
                    }
                    qv = rh * qsat(t, pk);
                }
                double tv = t * (1.0 + qv / SM_EPS) / (1.0 + qv);
                phi += SM_RD * tv * lnr;
                w->mud[q] += (pw0 - pw1) / (1.0 + qv);
                w->phi[c + n2] = phi;
                w->tk[c] = t;
                w->qv[c] = qv;
                w->buf[V_T][c] = (float)(t * pow(SM_P00 / pk, SM_RCP) - 300.0);
                w->buf[V_P][c] = (float)(pk - (g->znu[k] * g->mub[q] + ptop));
                w->buf[V_QVAPOR][c] = (float)qv;
                double qc = 0.0;
                if (!g->episode && k == 0) qc = CP_FOG_QC * w->fog[q];
                if (g->episode && k < 2) qc = (k == 0 ? EP_FOG_QC0 : EP_FOG_QC1) * w->fog[q];
                w->buf[V_QCLOUD][c] = (float)qc;
            }
        }
        for (int i = 0; i < nx; i++) {
            size_t q = (size_t)j * nx + i;
            w->buf[V_MU][q] = (float)(w->mud[q] - g->mub[q]);
        }
        for (int k = 0; k <= nz; k++)
            for (int i = 0; i < nx; i++) {
                size_t c = (size_t)k * n2 + (size_t)j * nx + i;
                w->buf[V_PH][c] = (float)(w->phi[c] - (double)w->buf[V_PHB][c]);
            }
    }

    /* Pass 2: winds at mass points.  Earth-relative background (u0, v0), veered, plus the
     * westerly jet growing as (1 - eta)^1.5 to jet_ms in the top layer, rotated to the grid;
     * near the ground the component across the height contours is damped (blocking,
     * channelling along the range) and a slope wind blows up the slope by day and drains down
     * it at night. */
    const double cv = cos(r->veer), sv = sin(r->veer);
    /* the episode's background flow weakens as the stagnation builds and gives way to the
     * post-frontal north-westerly (S = F = 0 without the episode) */
    const double bscale = g->episode ? (1.0 - 0.6 * r->stag) * (1.0 - r->front) : 1.0;
    const double ub = bscale * (g->u0 * cv - g->v0 * sv), vb = bscale * (g->u0 * sv + g->v0 * cv);
    const double jet_top = g->jet * r->jetfac;
    const double front = r->front;
#pragma omp parallel for schedule(static)
    for (int j = 0; j < ny; j++)
        for (int k = 0; k < nz; k++) {
            double ue = ub + jet_top * pow((1.0 - g->znu[k]) / (1.0 - g->znu[nz - 1]), 1.5);
            double ve = vb;
            for (int i = 0; i < nx; i++) {
                size_t q = (size_t)j * nx + i, c = (size_t)k * n2 + q;
                double h = 0.5 * (w->phi[c] + w->phi[c + n2]) / SM_G - g->hgt[q];
                double uet = ue, vet = ve;
                if (front > 0.0) {
                    /* from the north-west: towards the south-east, stronger with height */
                    double vf = front * (EP_FRONT_WIND0 + EP_FRONT_WIND1 * fmin(1.0, h / 1500.0));
                    uet += vf * M_SQRT1_2;
                    vet -= vf * M_SQRT1_2;
                }
                double u = uet * g->cosa[q] + vet * g->sina[q];
                double v = -uet * g->sina[q] + vet * g->cosa[q];
                double s = hypot(g->gx[q], g->gy[q]);
                if (s > 1e-9) {
                    double ex = g->gx[q] / s, ey = g->gy[q] / s;
                    double sf = w->sunfrac[q], slope = 2.0 * sf - 1.5 * (1.0 - sf); /* m s-1 */
                    slope *= 1.0 - front;
                    double beta = 0.8 * tanh(s / 0.03) * exp(-h / 800.0);
                    double un = u * ex + v * ey;
                    u -= beta * un * ex;
                    v -= beta * un * ey;
                    double amp = slope * tanh(s / 0.02) * (h / 100.0) * exp(1.0 - h / 100.0);
                    u += amp * ex;
                    v += amp * ey;
                }
                w->um[c] = u;
                w->vm[c] = v;
            }
        }

    /* Pass 3: C-grid winds, W, surface and boundary-layer fields. */
#pragma omp parallel for schedule(static)
    for (int j = 0; j < ny; j++) {
        for (int k = 0; k < nz; k++) {
            const double *um = w->um + (size_t)k * n2 + (size_t)j * nx;
            float *U = w->buf[V_U] + ((size_t)k * ny + j) * (nx + 1);
            U[0] = (float)um[0];
            U[nx] = (float)um[nx - 1];
            for (int i = 1; i < nx; i++) U[i] = (float)(0.5 * (um[i - 1] + um[i]));
            float *V = w->buf[V_V] + ((size_t)k * (ny + 1) + j) * nx;
            const double *vm = w->vm + (size_t)k * n2;
            for (int i = 0; i < nx; i++) {
                size_t q = (size_t)j * nx + i;
                V[i] = (float)(j == 0 ? vm[q] : 0.5 * (vm[q - nx] + vm[q]));
                if (j == ny - 1) V[nx + i] = (float)vm[q];
            }
        }
        for (int i = 0; i < nx; i++) {
            size_t q = (size_t)j * nx + i;
            /* W: flow along the coordinate surfaces, w = u dz/dx + v dz/dy at each interface */
            int iw = i > 0 ? i - 1 : i, ie = i + 1 < nx ? i + 1 : i;
            int js = j > 0 ? j - 1 : j, jn = j + 1 < ny ? j + 1 : j;
            double dist = g->dx / g->mfm[q];
            for (int k = 0; k <= nz; k++) {
                const double *ph = w->phi + (size_t)k * n2;
                int kb = k > 0 ? k - 1 : 0, ka = k < nz ? k : nz - 1;
                double u = 0.5 * (w->um[(size_t)kb * n2 + q] + w->um[(size_t)ka * n2 + q]);
                double v = 0.5 * (w->vm[(size_t)kb * n2 + q] + w->vm[(size_t)ka * n2 + q]);
                double dzx = (ph[(size_t)j * nx + ie] - ph[(size_t)j * nx + iw]) /
                             (SM_G * (ie - iw > 0 ? ie - iw : 1) * dist);
                double dzy = (ph[(size_t)jn * nx + i] - ph[(size_t)js * nx + i]) /
                             (SM_G * (jn - js > 0 ? jn - js : 1) * dist);
                w->buf[V_W][(size_t)k * n2 + q] = (float)(u * dzx + v * dzy);
            }
            /* Surface layer: neutral log law for u* plus a daytime convective increment (weaker
             * in the cold pool), clipped to 0.1-0.4 m/s */
            double z1 = 0.5 * (w->phi[n2 + q] - w->phi[q]) / SM_G;
            double spd = fmax(hypot(w->um[q], w->vm[q]), 0.5);
            double lz = log(fmax(z1, 2.0 * g->z0[q]) / g->z0[q]);
            double sf = w->sunfrac[q];
            double inv = g->inversion ? g->coldw[q] : 0.0;
            double ust0 = SM_KARMAN * spd / lz + 0.12 * sf * (1.0 - 0.5 * inv);
            double ust = g->episode ? clampd(ust0, 0.05, 0.8) : clampd(ust0, 0.1, 0.4);
            /* stable night-time boundary layer, shallowest in the cold pool: 140-300 m */
            double pbl_night = fmin(300.0, 100.0 + 400.0 * ust + 60.0 * (1.0 - g->coldw[q]));
            double pbl_day = 800.0 - g->coldw[q] * (g->inversion ? 350.0 : 100.0);
            double pblh = pbl_night * (1.0 - sf) + pbl_day * sf;
            if (g->episode) {
                /* the basin's boundary layer shrinks as the stagnation builds: 100 -> 50 m at
                 * night, 400 -> 250 m by day (300 and 800 m on the mountains); the front mixes
                 * to 700 m at night and 1400 m by day */
                double cw = g->coldw[q], st = r->stag;
                double bn = (50.0 + 50.0 * (1.0 - st)) * cw + 300.0 * (1.0 - cw);
                double bd = (400.0 - 150.0 * st) * cw + 800.0 * (1.0 - cw);
                pblh = (bn * (1.0 - sf) + bd * sf) * (1.0 - r->front) +
                       (700.0 + 700.0 * sf) * r->front;
            }
            double hfx_night = -10.0 - 25.0 * (ust - 0.1);               /* -10 to -17.5 */
            double hfx = hfx_night * (1.0 - sf) + 80.0 * (1.0 - 0.6 * inv) * sf;
            double sw = g->diurnal ? clear_sky_sw(w->cosz[q], g->hgt[q], r->e0) : g->sw_mean[q];
            double t1 = w->tk[q];
            double pk0 = (double)w->buf[V_P][q] + (double)w->buf[V_PB][q];
            double r10 = fmin(1.0, log(10.0 / g->z0[q]) / lz);
            w->buf[V_UST][q] = (float)ust;
            w->buf[V_PBLH][q] = (float)pblh;
            w->buf[V_HFX][q] = (float)hfx;
            w->buf[V_SWDOWN][q] = (float)sw;
            w->buf[V_T2][q] = (float)(t1 - 1.0);
            w->buf[V_TH2][q] = (float)((t1 - 1.0) * pow(SM_P00 / g->ps[q], SM_RCP));
            w->buf[V_Q2][q] = (float)w->qv[q];
            w->buf[V_U10][q] = (float)(w->um[q] * r10);
            w->buf[V_V10][q] = (float)(w->vm[q] * r10);
            /* Light snow, heavier on the mountains, rate r0 (1 - cos(2 pi tau / 24 h)) / 2,
             * accumulated analytically from the first record. */
            double tau = r->tau_h, per = 24.0;
            double acc = 0.5 * tau - per / (4.0 * M_PI) * sin(2.0 * M_PI * tau / per);
            double rainnc = g->snowfall[q] * acc;
            if (g->episode) {
                /* a dry stagnation, then 6 h of frontal snow */
                double rf = EP_SNOW_BASIN +
                            (EP_SNOW_MOUNT - EP_SNOW_BASIN) * smoothstep(1200.0, 3000.0, g->hgt[q]);
                rainnc = g->front_h >= 0.0 ? rf * clampd(tau - g->front_h, 0.0, EP_SNOW_H) : 0.0;
            }
            w->buf[V_RAINNC][q] = (float)rainnc;
            w->buf[V_RAINC][q] = 0.0f;
            w->buf[V_SNOWC][q] =
                (float)(g->winter ? (g->lu[q] == 1.0 ? 0.0 : 1.0) : (g->hgt[q] > 3600.0 ? 1 : 0));
            if (g->with_exch_h) {
                /* K = k w_s z (1 - z/h)^2 inside the boundary layer (Troen & Mahrt 1986; Hong
                 * et al. 2006, Mon. Wea. Rev. 134, 2318), w_s^3 = u*^3 + 1.4 w*^3 by day. */
                double rho = pk0 / (SM_RD * t1);
                double wstar3 = hfx > 0 ? SM_G / t1 * hfx / (rho * SM_CP) * pblh : 0.0;
                double ws = cbrt(ust * ust * ust + 1.4 * wstar3);
                w->buf[V_EXCH_H][q] = 0.0f;
                for (int k = 1; k < nz; k++) {
                    double kz = g->exch_h_const;
                    if (!(kz > 0.0)) {
                        double zi = (w->phi[(size_t)k * n2 + q] - w->phi[q]) / SM_G;
                        double f = 1.0 - zi / pblh;
                        kz = zi < pblh ? fmax(SM_KMIN, SM_KARMAN * ws * zi * f * f) : SM_KMIN;
                    }
                    w->buf[V_EXCH_H][(size_t)k * n2 + q] = (float)kz;
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- NetCDF ---- */

#define NCX(call)                                                                                 \
    do {                                                                                          \
        int nc_s_ = (call);                                                                       \
        if (nc_s_ != NC_NOERR) {                                                                  \
            rc = bg_fail(e, BG_EFAIL, path, NULL, "%s", nc_strerror(nc_s_));                      \
            goto fail;                                                                            \
        }                                                                                         \
    } while (0)

typedef struct SmFile {
    int nc;
    int vid[NVAR];
    int times_id;
} SmFile;

static int put_text(int nc, int var, const char *name, const char *val)
{
    return nc_put_att_text(nc, var, name, strlen(val), val);
}

static int put_int(int nc, const char *name, int v)
{
    return nc_put_att_int(nc, NC_GLOBAL, name, NC_INT, 1, &v);
}

static int put_float(int nc, const char *name, double v)
{
    float f = (float)v;
    return nc_put_att_float(nc, NC_GLOBAL, name, NC_FLOAT, 1, &f);
}

static int file_define(SmFile *f, const char *path, const SmGrid *g, const SynthMetSpec *s,
                       BgErr *e)
{
    int rc = BG_OK, nc = -1;
    int d_t, d_str, d_we, d_sn, d_bt, d_bts, d_wes, d_sns;
    NCX(nc_create(path, NC_CLOBBER | NC_64BIT_OFFSET, &nc));
    f->nc = nc;
    int old;
    NCX(nc_set_fill(nc, NC_NOFILL, &old));
    NCX(nc_def_dim(nc, "Time", NC_UNLIMITED, &d_t));
    NCX(nc_def_dim(nc, "DateStrLen", 19, &d_str));
    NCX(nc_def_dim(nc, "west_east", (size_t)g->nx, &d_we));
    NCX(nc_def_dim(nc, "south_north", (size_t)g->ny, &d_sn));
    NCX(nc_def_dim(nc, "bottom_top", (size_t)g->nz, &d_bt));
    NCX(nc_def_dim(nc, "bottom_top_stag", (size_t)g->nz + 1, &d_bts));
    NCX(nc_def_dim(nc, "west_east_stag", (size_t)g->nx + 1, &d_wes));
    NCX(nc_def_dim(nc, "south_north_stag", (size_t)g->ny + 1, &d_sns));
    int dts[2] = {d_t, d_str};
    NCX(nc_def_var(nc, "Times", NC_CHAR, 2, dts, &f->times_id));

    char tstart[32], xunits[64];
    time_strftime(g->t_start, "%Y-%m-%d_%H:%M:%S", tstart, sizeof tstart);
    time_strftime(g->t_start, "minutes since %Y-%m-%d %H:%M:%S", xunits, sizeof xunits);
    for (int v = 0; v < NVAR; v++) {
        const VarDef *d = &VARS[v];
        f->vid[v] = -1;
        if (v == V_EXCH_H && !g->with_exch_h) continue;
        int dims[4], nd = 0;
        dims[nd++] = d_t;
        const char *mo = "XY ", *coord = "XLONG XLAT XTIME";
        switch (d->shape) {
        case SH_T: mo = "0  "; coord = NULL; break;
        case SH_Z: dims[nd++] = d_bt; mo = "Z  "; coord = NULL; break;
        case SH_ZW: dims[nd++] = d_bts; mo = "Z  "; coord = NULL; break;
        case SH_M2: dims[nd++] = d_sn; dims[nd++] = d_we; break;
        case SH_U2: dims[nd++] = d_sn; dims[nd++] = d_wes; coord = "XLONG_U XLAT_U XTIME"; break;
        case SH_V2: dims[nd++] = d_sns; dims[nd++] = d_we; coord = "XLONG_V XLAT_V XTIME"; break;
        case SH_M3: dims[nd++] = d_bt; dims[nd++] = d_sn; dims[nd++] = d_we; mo = "XYZ"; break;
        case SH_U3:
            dims[nd++] = d_bt; dims[nd++] = d_sn; dims[nd++] = d_wes; mo = "XYZ";
            coord = "XLONG_U XLAT_U XTIME";
            break;
        case SH_V3:
            dims[nd++] = d_bt; dims[nd++] = d_sns; dims[nd++] = d_we; mo = "XYZ";
            coord = "XLONG_V XLAT_V XTIME";
            break;
        default: dims[nd++] = d_bts; dims[nd++] = d_sn; dims[nd++] = d_we; mo = "XYZ"; break;
        }
        if (v <= V_XLONG_V) coord = NULL; /* WRF gives the coordinates no coordinates */
        int id;
        NCX(nc_def_var(nc, d->name, NC_FLOAT, nd, dims, &id));
        f->vid[v] = id;
        int ft = 104;
        NCX(nc_put_att_int(nc, id, "FieldType", NC_INT, 1, &ft));
        NCX(put_text(nc, id, "MemoryOrder", mo));
        NCX(put_text(nc, id, "description", d->description ? d->description : xunits));
        NCX(put_text(nc, id, "units", d->units ? d->units : xunits));
        NCX(put_text(nc, id, "stagger", d->stagger));
        if (coord) NCX(put_text(nc, id, "coordinates", coord));
    }

    char title[128], spec[2048], buf[8];
    snprintf(title, sizeof title, " OUTPUT FROM BOGDA SYNTHMET (IDEALISED, WRF V4 FORMAT)");
    NCX(put_text(nc, NC_GLOBAL, "TITLE", title));
    NCX(put_text(nc, NC_GLOBAL, "START_DATE", tstart));
    NCX(put_text(nc, NC_GLOBAL, "SIMULATION_START_DATE", tstart));
    NCX(put_int(nc, "WEST-EAST_GRID_DIMENSION", g->nx + 1));
    NCX(put_int(nc, "SOUTH-NORTH_GRID_DIMENSION", g->ny + 1));
    NCX(put_int(nc, "BOTTOM-TOP_GRID_DIMENSION", g->nz + 1));
    NCX(put_float(nc, "DX", g->dx));
    NCX(put_float(nc, "DY", g->dx));
    NCX(put_text(nc, NC_GLOBAL, "GRIDTYPE", "C"));
    NCX(put_int(nc, "HYBRID_OPT", 0));
    NCX(put_int(nc, "BL_PBL_PHYSICS", 1));
    NCX(put_int(nc, "WEST-EAST_PATCH_START_UNSTAG", 1));
    NCX(put_int(nc, "WEST-EAST_PATCH_END_UNSTAG", g->nx));
    NCX(put_int(nc, "WEST-EAST_PATCH_START_STAG", 1));
    NCX(put_int(nc, "WEST-EAST_PATCH_END_STAG", g->nx + 1));
    NCX(put_int(nc, "SOUTH-NORTH_PATCH_START_UNSTAG", 1));
    NCX(put_int(nc, "SOUTH-NORTH_PATCH_END_UNSTAG", g->ny));
    NCX(put_int(nc, "SOUTH-NORTH_PATCH_START_STAG", 1));
    NCX(put_int(nc, "SOUTH-NORTH_PATCH_END_STAG", g->ny + 1));
    NCX(put_int(nc, "BOTTOM-TOP_PATCH_START_UNSTAG", 1));
    NCX(put_int(nc, "BOTTOM-TOP_PATCH_END_UNSTAG", g->nz));
    NCX(put_int(nc, "BOTTOM-TOP_PATCH_START_STAG", 1));
    NCX(put_int(nc, "BOTTOM-TOP_PATCH_END_STAG", g->nz + 1));
    NCX(put_int(nc, "GRID_ID", 1));
    NCX(put_int(nc, "PARENT_ID", 0));
    NCX(put_int(nc, "I_PARENT_START", 1));
    NCX(put_int(nc, "J_PARENT_START", 1));
    NCX(put_int(nc, "PARENT_GRID_RATIO", 1));
    NCX(put_float(nc, "DT", 6.0 * g->dx / 1000.0)); /* WRF's rule of thumb, 6 s per km */
    NCX(put_float(nc, "CEN_LAT", g->cen_lat));
    NCX(put_float(nc, "CEN_LON", g->cen_lon));
    NCX(put_float(nc, "TRUELAT1", g->truelat1));
    NCX(put_float(nc, "TRUELAT2", g->truelat2));
    NCX(put_float(nc, "MOAD_CEN_LAT", g->cen_lat));
    NCX(put_float(nc, "STAND_LON", g->stand_lon));
    NCX(put_float(nc, "POLE_LAT", 90.0));
    NCX(put_float(nc, "POLE_LON", 0.0));
    NCX(put_float(nc, "GMT", fmod(g->t_start / 3600.0, 24.0)));
    time_strftime(g->t_start, "%Y", buf, sizeof buf);
    NCX(put_int(nc, "JULYR", atoi(buf)));
    time_strftime(g->t_start, "%j", buf, sizeof buf);
    NCX(put_int(nc, "JULDAY", atoi(buf)));
    NCX(put_int(nc, "MAP_PROJ", 1));
    NCX(put_text(nc, NC_GLOBAL, "MAP_PROJ_CHAR", "Lambert Conformal"));
    NCX(put_text(nc, NC_GLOBAL, "MMINLU", "USGS"));
    NCX(put_int(nc, "NUM_LAND_CAT", 24));
    NCX(put_int(nc, "ISWATER", 16));
    NCX(put_int(nc, "ISLAKE", -1));
    NCX(put_int(nc, "ISICE", 24));
    NCX(put_int(nc, "ISURBAN", 1));
    NCX(put_int(nc, "ISOILWATER", 14));
    snprintf(spec, sizeof spec,
             "nx=%d ny=%d nz=%d dx_m=%.17g cen_lat=%.17g cen_lon=%.17g truelat1=%.17g "
             "truelat2=%.17g stand_lon=%.17g start=%s nrec=%d interval_h=%.17g rec_per_file=%d "
             "u0=%.17g v0=%.17g jet_ms=%.17g terrain=%s inversion=%s with_exch_h=%d "
             "exch_h_const=%.17g diurnal=%s ptop_pa=%.17g terrain_file=%.900s episode=%s "
             "front_h=%.17g",
             s->nx, s->ny, s->nz, s->dx_m, s->cen_lat, s->cen_lon, s->truelat1, s->truelat2,
             s->stand_lon, s->start, s->nrec, s->interval_h, s->rec_per_file, s->u0, s->v0,
             s->jet_ms, s->terrain == 2 ? "file" : s->terrain ? "tianshan" : "flat",
             s->inversion ? "on" : "off", s->with_exch_h, s->exch_h_const,
             s->diurnal ? "on" : "off", s->ptop_pa, s->terrain_file, s->episode ? "on" : "off",
             s->front_h);
    NCX(put_text(nc, NC_GLOBAL, "SYNTHMET_SPEC", spec));
    NCX(nc_enddef(nc));
    return BG_OK;
fail:
    if (nc >= 0) nc_close(nc);
    f->nc = -1;
    return rc;
}

static int file_put_record(const SmFile *f, const char *path, const SmGrid *g, const SmWork *w,
                           const SmRec *r, size_t irec, BgErr *e)
{
    int rc = BG_OK;
    char ts[32];
    time_strftime(r->t, "%Y-%m-%d_%H:%M:%S", ts, sizeof ts);
    size_t st[4] = {irec, 0, 0, 0}, ct[4] = {1, 19, 0, 0};
    NCX(nc_put_vara_text(f->nc, f->times_id, st, ct, ts));
    float xtime = (float)(r->tau_h * 60.0);
    for (int v = 0; v < NVAR; v++) {
        if (f->vid[v] < 0) continue;
        const float *data = v == V_XTIME ? &xtime : w->buf[v];
        size_t cnt[4] = {1, 0, 0, 0};
        int nd = 1;
        switch (VARS[v].shape) {
        case SH_T: break;
        case SH_Z: cnt[nd++] = (size_t)g->nz; break;
        case SH_ZW: cnt[nd++] = (size_t)g->nz + 1; break;
        case SH_M2: cnt[nd++] = (size_t)g->ny; cnt[nd++] = (size_t)g->nx; break;
        case SH_U2: cnt[nd++] = (size_t)g->ny; cnt[nd++] = (size_t)g->nx + 1; break;
        case SH_V2: cnt[nd++] = (size_t)g->ny + 1; cnt[nd++] = (size_t)g->nx; break;
        case SH_M3:
            cnt[nd++] = (size_t)g->nz; cnt[nd++] = (size_t)g->ny; cnt[nd++] = (size_t)g->nx;
            break;
        case SH_U3:
            cnt[nd++] = (size_t)g->nz; cnt[nd++] = (size_t)g->ny; cnt[nd++] = (size_t)g->nx + 1;
            break;
        case SH_V3:
            cnt[nd++] = (size_t)g->nz; cnt[nd++] = (size_t)g->ny + 1; cnt[nd++] = (size_t)g->nx;
            break;
        default:
            cnt[nd++] = (size_t)g->nz + 1; cnt[nd++] = (size_t)g->ny; cnt[nd++] = (size_t)g->nx;
            break;
        }
        NCX(nc_put_vara_float(f->nc, f->vid[v], st, cnt, data));
    }
    return BG_OK;
fail:
    return rc;
}

/* mkdir -p */
static int make_dirs(const char *dir, BgErr *e)
{
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p) return bg_fail(e, BG_EFAIL, dir, NULL, "out of memory");
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int err = errno;
            free(p);
            return bg_fail(e, BG_EFAIL, dir, NULL, "cannot create directory: %s", strerror(err));
        }
        p[i] = c;
    }
    free(p);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return bg_fail(e, BG_EFAIL, dir, NULL, "not a directory");
    return BG_OK;
}

void synthmet_free_paths(char **paths, int npaths)
{
    if (!paths) return;
    for (int i = 0; i < npaths; i++) free(paths[i]);
    free(paths);
}

int synthmet_write(const SynthMetSpec *s, const char *dir, char ***paths_out, int *npaths,
                   BgErr *e)
{
    if (paths_out) *paths_out = NULL;
    if (npaths) *npaths = 0;
    if (!s || !dir || !*dir || (paths_out && !npaths))
        return bg_fail(e, BG_ECONFIG, NULL, NULL, "synthmet: missing spec or directory");
    BG_TRY(synthmet_check(s, e));
    BG_TRY(make_dirs(dir, e));

    SmGrid g;
    SmWork w;
    BG_TRY(work_alloc(&w, &(SmGrid){.nx = s->nx, .ny = s->ny, .nz = s->nz,
                                   .n2 = (size_t)s->nx * s->ny}, e));
    int rc = grid_setup(&g, &w, s, e);
    if (rc != BG_OK) {
        work_free(&w);
        return rc;
    }

    int nfiles = (s->nrec + s->rec_per_file - 1) / s->rec_per_file;
    char **paths = calloc((size_t)nfiles, sizeof *paths);
    size_t plen = strlen(dir) + 64;
    char *tmp = malloc(plen);
    SmFile f = {.nc = -1};
    char *path = NULL; /* the file being written, for messages */
    int nf = 0;
    if (!paths || !tmp) {
        rc = bg_fail(e, BG_EFAIL, NULL, NULL, "synthmet: out of memory");
        goto done;
    }
    for (int rec = 0; rec < s->nrec; rec++) {
        SmRec r;
        record_params(&g, s->interval_h, rec, &r);
        int irec = rec % s->rec_per_file;
        if (irec == 0) {
            char ts[32];
            time_strftime(r.t, "%Y-%m-%d_%H:%M:%S", ts, sizeof ts);
            if (!(paths[nf] = malloc(plen))) {
                rc = bg_fail(e, BG_EFAIL, NULL, NULL, "synthmet: out of memory");
                goto done;
            }
            snprintf(paths[nf], plen, "%s/wrfout_d01_%s", dir, ts);
            snprintf(tmp, plen, "%s/.wrfout_d01_%s.tmp", dir, ts);
            path = tmp;
            nf++;
            if ((rc = file_define(&f, tmp, &g, s, e)) != BG_OK) goto done;
        }
        compute_record(&g, &w, &r);
        if ((rc = file_put_record(&f, path, &g, &w, &r, (size_t)irec, e)) != BG_OK) goto done;
        if (irec == s->rec_per_file - 1 || rec == s->nrec - 1) {
            int st = nc_close(f.nc);
            f.nc = -1;
            if (st != NC_NOERR) {
                rc = bg_fail(e, BG_EFAIL, tmp, NULL, "%s", nc_strerror(st));
                goto done;
            }
            if (rename(tmp, paths[nf - 1]) != 0) {
                rc = bg_fail(e, BG_EFAIL, paths[nf - 1], NULL, "cannot rename from %s: %s", tmp,
                             strerror(errno));
                goto done;
            }
        }
    }
done:
    if (f.nc >= 0) nc_close(f.nc);
    if (rc != BG_OK && path) remove(path); /* no half-written file is left behind */
    free(tmp);
    grid_free_(&g);
    work_free(&w);
    if (rc != BG_OK || !paths_out) {
        synthmet_free_paths(paths, nf);
    } else {
        *paths_out = paths;
        *npaths = nf;
    }
    return rc;
}

/* ---------------------------------------------------------------- command line ---- */

static const char USAGE[] =
    "usage: bogda synthmet DIR [options]\n"
    "Writes idealised WRF-format meteorology (wrfout_d01_YYYY-MM-DD_HH:MM:SS) into DIR.\n"
    "  --nx N, --ny N, --nz N  mass points west-east, south-north, layers   [200, 120, 24]\n"
    "  --dx-km X               grid spacing, km                              [4]\n"
    "  --start T               first record, ISO-8601 UTC          [2024-01-10T00:00:00Z]\n"
    "  --hours H               simulated hours; H/interval + 1 records       [24]\n"
    "  --interval-h H          record interval, h                            [1]\n"
    "  --per-file N            records per file                              [24]\n"
    "  --u U, --v V            background surface wind, earth-relative, m/s  [1.5, 0.5]\n"
    "  --jet U                 westerly added aloft, reaching U at the top   [50]\n"
    "  --terrain flat|tianshan                                               [tianshan]\n"
    "  --inversion on|off      winter cold pool over the basin               [on]\n"
    "  --diurnal on|off        PBLH/HFX/SWDOWN/T follow the sun              [on]\n"
    "  --exch-h K|profile|off  write EXCH_H: constant K m2/s or a K-profile  [off]\n"
    "  --cen-lat D, --cen-lon D  grid centre, degrees                        [43.8, 87.6]\n"
    "  --truelat1 D, --truelat2 D, --stand-lon D  Lambert parameters         [30, 60, cen-lon]\n"
    "  --ptop PA               model top pressure, Pa                        [5000]\n"
    "  --terrain-file FILE     real relief from FILE (ETOPO5 layout: ROSE, m), bilinear\n"
    "  --episode on|off        multi-day winter stagnation episode           [off]\n"
    "  --front-h H             episode: cold front H hours after the start   [none]\n"
    "  --help                  this text\n";

static int parse_int(const char *s, int *v)
{
    char *end;
    errno = 0;
    long l = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || l < -2147483647L || l > 2147483647L) return -1;
    *v = (int)l;
    return 0;
}

static int parse_dbl(const char *s, double *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(d)) return -1;
    *v = d;
    return 0;
}

static int parse_onoff(const char *s, int *v)
{
    if (!strcmp(s, "on") || !strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "true")) {
        *v = 1;
        return 0;
    }
    if (!strcmp(s, "off") || !strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "false")) {
        *v = 0;
        return 0;
    }
    return -1;
}

int synthmet_cli(int argc, char **argv, BgErr *e)
{
    SynthMetSpec s;
    synthmet_defaults(&s);
    const char *dir = NULL;
    double hours = 24.0;
    int stand_lon_set = 0;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(USAGE, stdout);
            return BG_OK;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (dir)
                return bg_fail(e, BG_ECONFIG, NULL, NULL,
                               "synthmet: unexpected argument '%s' (DIR is already '%s')", arg,
                               dir);
            dir = arg;
            continue;
        }
        char name[64];
        const char *val = NULL, *eq = strchr(arg, '=');
        size_t nl = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nl >= sizeof name)
            return bg_fail(e, BG_ECONFIG, NULL, NULL, "synthmet: unknown option '%.60s...'", arg);
        memcpy(name, arg, nl);
        name[nl] = '\0';
        static const char *const known[] = {
            "--nx", "--ny", "--nz", "--dx-km", "--start", "--hours", "--interval-h", "--per-file",
            "--u", "--v", "--jet", "--terrain", "--inversion", "--diurnal", "--exch-h",
            "--cen-lat", "--cen-lon", "--truelat1", "--truelat2", "--stand-lon", "--ptop",
            "--terrain-file", "--episode", "--front-h"};
        int isknown = 0;
        for (size_t n = 0; n < sizeof known / sizeof known[0]; n++)
            if (!strcmp(name, known[n])) isknown = 1;
        if (!isknown)
            return bg_fail(e, BG_ECONFIG, NULL, NULL,
                           "synthmet: unknown option '%s' (see bogda synthmet --help)", name);
        if (eq) {
            val = eq + 1;
        } else {
            if (a + 1 >= argc)
                return bg_fail(e, BG_ECONFIG, NULL, NULL, "synthmet: option %s needs a value",
                               name);
            val = argv[++a];
        }
        int bad = 0;
        const char *want = "a number";
        if (!strcmp(name, "--nx")) { want = "an integer"; bad = parse_int(val, &s.nx); }
        else if (!strcmp(name, "--ny")) { want = "an integer"; bad = parse_int(val, &s.ny); }
        else if (!strcmp(name, "--nz")) { want = "an integer"; bad = parse_int(val, &s.nz); }
        else if (!strcmp(name, "--per-file")) {
            want = "an integer";
            bad = parse_int(val, &s.rec_per_file);
        } else if (!strcmp(name, "--dx-km")) {
            double km;
            bad = parse_dbl(val, &km);
            if (!bad) s.dx_m = km * 1000.0;
        } else if (!strcmp(name, "--start")) {
            double t;
            want = "an ISO-8601 time";
            bad = strlen(val) >= sizeof s.start || time_parse(val, &t) != 0;
            if (!bad) snprintf(s.start, sizeof s.start, "%s", val);
        } else if (!strcmp(name, "--hours")) bad = parse_dbl(val, &hours);
        else if (!strcmp(name, "--interval-h")) bad = parse_dbl(val, &s.interval_h);
        else if (!strcmp(name, "--u")) bad = parse_dbl(val, &s.u0);
        else if (!strcmp(name, "--v")) bad = parse_dbl(val, &s.v0);
        else if (!strcmp(name, "--jet")) bad = parse_dbl(val, &s.jet_ms);
        else if (!strcmp(name, "--cen-lat")) bad = parse_dbl(val, &s.cen_lat);
        else if (!strcmp(name, "--cen-lon")) bad = parse_dbl(val, &s.cen_lon);
        else if (!strcmp(name, "--truelat1")) bad = parse_dbl(val, &s.truelat1);
        else if (!strcmp(name, "--truelat2")) bad = parse_dbl(val, &s.truelat2);
        else if (!strcmp(name, "--stand-lon")) {
            bad = parse_dbl(val, &s.stand_lon);
            stand_lon_set = 1;
        } else if (!strcmp(name, "--ptop")) bad = parse_dbl(val, &s.ptop_pa);
        else if (!strcmp(name, "--front-h")) bad = parse_dbl(val, &s.front_h);
        else if (!strcmp(name, "--terrain-file")) {
            want = "a file name";
            bad = !*val || strlen(val) >= sizeof s.terrain_file;
            if (!bad) {
                snprintf(s.terrain_file, sizeof s.terrain_file, "%s", val);
                s.terrain = 2;
            }
        } else if (!strcmp(name, "--episode")) {
            want = "on or off";
            bad = parse_onoff(val, &s.episode);
        }
        else if (!strcmp(name, "--terrain")) {
            want = "flat or tianshan";
            if (!strcmp(val, "flat")) s.terrain = 0;
            else if (!strcmp(val, "tianshan")) s.terrain = 1;
            else bad = 1;
        } else if (!strcmp(name, "--inversion")) {
            want = "on or off";
            bad = parse_onoff(val, &s.inversion);
        } else if (!strcmp(name, "--diurnal")) {
            want = "on or off";
            bad = parse_onoff(val, &s.diurnal);
        } else { /* --exch-h */
            want = "a diffusivity > 0 (m2/s), 'profile' or 'off'";
            if (!strcmp(val, "off")) {
                s.with_exch_h = 0;
                s.exch_h_const = 0.0;
            } else if (!strcmp(val, "profile")) {
                s.with_exch_h = 1;
                s.exch_h_const = 0.0;
            } else {
                bad = parse_dbl(val, &s.exch_h_const) || !(s.exch_h_const > 0.0);
                s.with_exch_h = 1;
            }
        }
        if (bad)
            return bg_fail(e, BG_ECONFIG, NULL, NULL, "synthmet: option %s: expected %s, got '%s'",
                           name, want, val);
    }
    if (!dir)
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "synthmet: missing output directory DIR (see bogda synthmet --help)");
    if (!stand_lon_set) s.stand_lon = s.cen_lon;
    if (s.interval_h > 0.0 && isfinite(s.interval_h)) {
        double nr = hours / s.interval_h;
        if (!(hours >= 0.0) || fabs(nr - floor(nr + 0.5)) > 1e-9 * fmax(1.0, nr) || nr > 99999.0)
            return bg_fail(e, BG_ECONFIG, NULL, NULL,
                           "synthmet: option --hours: %g is not a multiple of the interval %g h "
                           "between 0 and 99999 intervals", hours, s.interval_h);
        s.nrec = (int)floor(nr + 0.5) + 1;
    }
    BG_TRY(synthmet_check(&s, e));

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int n = 0;
    BG_TRY(synthmet_write(&s, dir, NULL, &n, e));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double el = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("synthmet: wrote %d records of %d x %d x %d (%s, inversion %s) in %d files to %s "
           "in %.1f s\n",
           s.nrec, s.nx, s.ny, s.nz,
           s.terrain == 2 ? s.terrain_file : s.terrain ? "tianshan" : "flat",
           s.inversion ? "on" : "off",
           (s.nrec + s.rec_per_file - 1) / s.rec_per_file, dir, el);
    return BG_OK;
}
