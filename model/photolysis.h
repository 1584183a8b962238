/* Photolysis frequencies for the gas chemistry: solar zenith angle (NOAA, Spencer 1971), clear-sky
 * J values as functions of the zenith angle (MCM fits, Saunders et al. 2003), attenuation by
 * cloud as SWDOWN over a clear-sky SWDOWN (Haurwitz 1945) and enhancement over snow from the
 * surface albedo (Madronich 1987).  Pure functions; docs/chemistry.md gives the formulas. */
#ifndef BOGDA_PHOTOLYSIS_H
#define BOGDA_PHOTOLYSIS_H

typedef struct PhotRates {
    double jno2;     /* NO2 + hv -> NO + O(3P) (-> O3), s-1 */
    double jo1d;     /* O3 + hv -> O(1D) + O2, s-1 (drives the OH parameterisation) */
    double jno3_no2; /* NO3 + hv -> NO2 + O(3P) (-> O3), s-1 */
    double jno3_no;  /* NO3 + hv -> NO + O2, s-1 */
} PhotRates;

/* Cosine of the solar zenith angle at time t (s since 1970 UTC), latitude and longitude in
 * degrees (east positive).  Negative when the sun is below the horizon. */
double solar_cos_zenith(double t, double lat_deg, double lon_deg);

/* Clear-sky photolysis frequencies at sea level for a snow-free surface (MCM v3 fits
 * J = l cos^m(chi) exp(-n sec(chi))); all zero when cos_sza <= 0. */
void photolysis_clear_sky(double cos_sza, PhotRates *j);

/* Clear-sky global irradiance, W m-2 (Haurwitz 1945): 1098 cos(chi) exp(-0.057 / cos(chi)). */
double photolysis_clear_swdown(double cos_sza);

/* Cloud factor SWDOWN / clear-sky SWDOWN, limited to [0, 1]; 1 when swdown < 0 (unknown) or
 * the clear-sky irradiance is below 10 W m-2 (sun at the horizon: the ratio is noise). */
double photolysis_cloud_factor(double swdown, double cos_sza);

/* Actinic-flux enhancement by the surface albedo of a partly snow-covered surface (snow_frac
 * 0..1) relative to the snow-free surface of the clear-sky fits: (1 + 2 A mu)/(1 + 2 A0 mu). */
double photolysis_albedo_factor(double snow_frac, double cos_sza);

/* The photolysis frequencies of one cell: clear sky x cloud factor x albedo factor.  swdown in
 * W m-2 (negative: clear sky), snow_frac the snow-covered fraction (WRF SNOWC). */
void photolysis_rates(double t, double lat_deg, double lon_deg, double swdown, double snow_frac,
                      PhotRates *j);

/* A fixed J(NO2) (the box model's [box] j_no2): the other frequencies keep their clear-sky
 * ratios to J(NO2) at a 60 degree zenith angle, so they are fixed too. */
void photolysis_fixed(double jno2, PhotRates *j);

#endif
