#include "photolysis.h"

#include <math.h>
#include <time.h>

static const double DEG = 0.017453292519943295; /* pi / 180 */
static const double TWO_PI = 6.283185307179586;

double solar_cos_zenith(double t, double lat_deg, double lon_deg)
{
    /* NOAA Global Monitoring Laboratory, "General Solar Position Calculations": the Fourier
     * series of Spencer (1971) for the declination and the equation of time, about 0.1 degree
     * accurate, far finer than the J fits resolve. */
    double day_start = floor(t / 86400.0) * 86400.0;
    time_t tt = (time_t)day_start;
    struct tm tm;
    gmtime_r(&tt, &tm);
    int y = tm.tm_year + 1900;
    double ndays = ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 366.0 : 365.0;
    double hour = (t - day_start) / 3600.0;
    double g = TWO_PI / ndays * (tm.tm_yday + (hour - 12.0) / 24.0); /* tm_yday = doy - 1 */
    double eqtime = 229.18 * (0.000075 + 0.001868 * cos(g) - 0.032077 * sin(g) -
                              0.014615 * cos(2 * g) - 0.040849 * sin(2 * g)); /* minutes */
    double decl = 0.006918 - 0.399912 * cos(g) + 0.070257 * sin(g) - 0.006758 * cos(2 * g) +
                  0.000907 * sin(2 * g) - 0.002697 * cos(3 * g) + 0.00148 * sin(3 * g);
    double tst = hour * 60.0 + eqtime + 4.0 * lon_deg; /* true solar time, minutes */
    double ha = (tst / 4.0 - 180.0) * DEG;
    double lat = lat_deg * DEG;
    return sin(lat) * sin(decl) + cos(lat) * cos(decl) * cos(ha);
}

/* MCM v3 photolysis parameters l (s-1), m, n for J = l cos^m(chi) exp(-n sec(chi)): clear sky,
 * 45 N, 350 DU ozone column (Jenkin et al. 1997; Saunders et al. 2003, ACP 3, 161, Table 2):
 * J1 O3 -> O(1D), J4 NO2 -> NO + O(3P), J5 NO3 -> NO + O2, J6 NO3 -> NO2 + O(3P). */
static const double MCM_J1[3] = {6.073e-05, 1.743, 0.474};
static const double MCM_J4[3] = {1.165e-02, 0.244, 0.267};
static const double MCM_J5[3] = {2.485e-02, 0.168, 0.108};
static const double MCM_J6[3] = {1.747e-01, 0.155, 0.125};

static double mcm(const double p[3], double mu)
{
    return p[0] * pow(mu, p[1]) * exp(-p[2] / mu);
}

void photolysis_clear_sky(double cos_sza, PhotRates *j)
{
    if (!(cos_sza > 0)) {
        j->jno2 = j->jo1d = j->jno3_no2 = j->jno3_no = 0.0;
        return;
    }
    j->jno2 = mcm(MCM_J4, cos_sza);
    j->jo1d = mcm(MCM_J1, cos_sza);
    j->jno3_no2 = mcm(MCM_J6, cos_sza);
    j->jno3_no = mcm(MCM_J5, cos_sza);
}

double photolysis_clear_swdown(double cos_sza)
{
    /* Haurwitz (1945) clear-sky global horizontal irradiance, the simplest of the models that
     * rank well in the review of Reno, Hansen & Stein (2012, Sandia SAND2012-2389). */
    if (!(cos_sza > 0)) return 0.0;
    return 1098.0 * cos_sza * exp(-0.057 / cos_sza);
}

double photolysis_cloud_factor(double swdown, double cos_sza)
{
    double clear = photolysis_clear_swdown(cos_sza);
    if (swdown < 0 || clear < 10.0) return 1.0;
    double f = swdown / clear;
    return f < 0 ? 0.0 : f > 1 ? 1.0 : f;
}

/* Broadband surface albedo of snow (between fresh, 0.75-0.95, and old snow, 0.40-0.70) and of the
 * snow-free winter ground assumed by the clear-sky fits (Oke 1987, Boundary Layer Climates,
 * Table 1.1). */
static const double ALBEDO_SNOW = 0.70;
static const double ALBEDO_GROUND = 0.15;

double photolysis_albedo_factor(double snow_frac, double cos_sza)
{
    /* The actinic flux of a direct beam over a Lambertian surface of albedo A is
     * F0 (1 + 2 A mu): the reflected irradiance A F0 mu is isotropic, and an isotropic field
     * carries twice its irradiance as actinic flux (Madronich 1987, JGR 92, 9740). */
    if (!(cos_sza > 0)) return 1.0;
    double s = snow_frac < 0 ? 0.0 : snow_frac > 1 ? 1.0 : snow_frac;
    double a = ALBEDO_SNOW * s + ALBEDO_GROUND * (1.0 - s);
    return (1.0 + 2.0 * a * cos_sza) / (1.0 + 2.0 * ALBEDO_GROUND * cos_sza);
}

void photolysis_rates(double t, double lat_deg, double lon_deg, double swdown, double snow_frac,
                      PhotRates *j)
{
    double mu = solar_cos_zenith(t, lat_deg, lon_deg);
    photolysis_clear_sky(mu, j);
    if (!(mu > 0)) return;
    double f = photolysis_cloud_factor(swdown, mu) * photolysis_albedo_factor(snow_frac, mu);
    j->jno2 *= f;
    j->jo1d *= f;
    j->jno3_no2 *= f;
    j->jno3_no *= f;
}

void photolysis_fixed(double jno2, PhotRates *j)
{
    PhotRates c;
    photolysis_clear_sky(0.5, &c); /* 60 degrees */
    double s = jno2 / c.jno2;
    j->jno2 = jno2;
    j->jo1d = c.jo1d * s;
    j->jno3_no2 = c.jno3_no2 * s;
    j->jno3_no = c.jno3_no * s;
}
