/* Per-member scenario metrics (docs/metrics.md; DESIGN 2.4, issue 5 item 3).
 *
 * From one member's outputs: population-weighted domain PM2.5, exceedance city-days against the
 * GB 3095 24-h PM2.5 limit in force on each Beijing date, heavy (AQI > 200) and severe
 * (AQI > 300) city-days, mean and maximum of the cities' daily MDA8 O3, emissions by species
 * (the cut is baseline minus scenario) and the cost.  Inputs are plain arrays and small structs;
 * only metrics_read_cities() and metrics_read_pm25_mean() touch files.
 *
 * Units: concentrations in ug m-3 (GB 3095 table units, DESIGN 2.4), populations in persons,
 * emissions in tonnes over the simulated period, cost in million CNY. */
#ifndef BOGDA_METRICS_H
#define BOGDA_METRICS_H

#include <stddef.h>

#include "err.h"
#include "grid.h"
#include "stations.h"

/* Default Gaussian standard deviation (m) of a city's population around its centre: the built-up
 * areas of Urumqi (~400 km2 core), Changji, Shihezi, Kuitun are 10-30 km across, so a 1-sigma
 * radius of 5 km puts 86 % of the people within 10 km (a documented choice, docs/metrics.md). */
#define METRICS_POP_SIGMA_M 5000.0
/* The spreading kernel is cut at this many sigma (exp(-32) = 1.3e-14 of the peak beyond). */
#define METRICS_POP_CUTOFF_SIGMA 8.0

typedef struct MetricsCity {
    char name[64];
    double lon, lat;   /* degrees */
    double population; /* persons, >= 0 */
} MetricsCity;

/* Emitted species counted in emission_cut_t (DESIGN 2.4: SO2 + NOx + NH3 + VOC + PM25). */
enum { METRICS_SO2 = 0, METRICS_NOX, METRICS_NH3, METRICS_VOC, METRICS_PM25, METRICS_NEMIS };
/* "SO2", "NOx", "NH3", "VOC", "PM25" (inventory names, DESIGN 2.3) */
const char *metrics_emis_name(int s);

/* Everything the ranking needs from one member (baseline or scenario). */
typedef struct MemberMetrics {
    char scenario[64];
    double pwm_pm25;                 /* population-weighted mean PM2.5 over the period, ug m-3 */
    int exceed_days;                 /* city-days with daily PM2.5 above the GB 3095 24-h limit */
    int heavy_days, severe_days;     /* city-days with AQI > 200, AQI > 300 */
    int city_days;                   /* city-day rows counted */
    double o3_8h_mean, o3_8h_max;    /* mean, max of the cities' daily MDA8 O3, ug m-3 (NAN: none) */
    int nstation;
    const double *station_pm25;      /* [nstation] period-mean PM2.5 per station, ug m-3 (NAN:
                                        none); caller-owned, same station order in every member */
    double emis_t[METRICS_NEMIS];    /* tonnes emitted over the simulated period */
    double cost_million_cny;         /* 0 for the baseline */
} MemberMetrics;

/* The GB 3095 24-h PM2.5 Grade II limit (ug m-3) in force on a Beijing-time date:
 * GB 3095-2012 (75) before 2026-03-01, GB 3095-2026 transitional (60) to 2030-12-31,
 * GB 3095-2026 final (50) from 2031-01-01 (validation/standards/README.md 1.1). */
int metrics_pm25_24h_limit(int year, int month, int day);

/* 1 if the daily PM2.5 exceeds the limit of its date: the value is first rounded to the reporting
 * resolution (1 ug m-3, GB/T 8170, as aqi.h does) and the integer compared with "> limit" (a
 * value equal to the limit complies).  0 for NAN or a negative value. */
int metrics_pm25_exceeds(double pm25, int year, int month, int day);

/* City-day counts and O3 statistics from daily_city rows (stations_daily_city()): fills
 * exceed_days, heavy_days, severe_days, city_days, o3_8h_mean, o3_8h_max of *m (the rest is
 * left alone).  Rows with aqi < 0 count for neither heavy nor severe; NAN O3 rows are skipped. */
void metrics_city_days(const CityDay *rows, int nrows, MemberMetrics *m);

/* Reads the cities CSV `city,lon,lat,population` (DESIGN 2.2).  *cities is malloc'ed.
 * BG_EINPUT "<csv>:<line>: ..." for a wrong header or column count, an empty or repeated name,
 * an impossible lon/lat, a negative or non-finite population. */
int metrics_read_cities(const char *csv, MetricsCity **cities, int *ncities, BgErr *e);

/* Spreads each city's population over the grid: a Gaussian of standard deviation sigma_m (m)
 * around the city centre at fractional grid index (fi[c], fj[c]), in projected distance, times
 * the cell's true area, cut at METRICS_POP_CUTOFF_SIGMA sigma and normalised over the cells of
 * the grid so that each city's population is conserved exactly up to round-off (the part of a
 * Gaussian outside the domain is put back inside).  pop[ny*nx] (persons per cell) is overwritten.
 * A city with population > 0 whose kernel reaches no cell (centre farther than the cutoff from
 * the grid) is BG_EINPUT naming the city; sigma_m <= 0 is BG_ECONFIG. */
int metrics_population_spread(const Grid *g, const MetricsCity *c, const double *fi,
                              const double *fj, int nc, double sigma_m, double *pop, BgErr *e);
/* The same after locating each city with grid_locate(). */
int metrics_population_grid(const Grid *g, const MetricsCity *c, int nc, double sigma_m,
                            double *pop, BgErr *e);

/* Population per cell from "file.nc:var", a (y, x) field on the model grid (persons per cell;
 * fill values count as 0).  BG_EINPUT naming the file and variable if it is missing, has
 * another shape, or holds a negative or non-finite value; BG_ECONFIG for a malformed spec. */
int metrics_population_file(const Grid *g, const char *spec, double *pop, BgErr *e);

/* sum(pop * field) / sum(pop) over n cells; NAN when sum(pop) == 0.  Cells with a NAN field
 * value are left out of both sums. */
double metrics_pop_weighted_mean(const double *field, const double *pop, size_t n);

/* Mean of the hourly values of station k, species index sp of a StationSet for hour ends in
 * (t0, t1] (s since 1970 UTC); NAN when there is none. */
double metrics_station_mean(const StationSet *ss, int k, int sp, double t0, double t1);

/* Reads variable `var` (e.g. "PM25") from every DIR/conc_*.nc (in name order) and averages it
 * over all time records: float, dims (time, y, x) or (time, z, y, x) (layer 0 is taken), ny x nx
 * must match.  mean[ny*nx] is overwritten; *nrec = the records averaged.  BG_EINPUT naming the
 * file and variable for a missing variable, other dims, or no conc file at all. */
int metrics_read_field_mean(const char *dir, const char *var, int nx, int ny, double *mean,
                            int *nrec, BgErr *e);
/* metrics_read_field_mean(dir, "PM25", ...) */
int metrics_read_pm25_mean(const char *dir, int nx, int ny, double *mean, int *nrec, BgErr *e);

/* Total of the DESIGN 2.4 species (SO2 + NOx + NH3 + VOC + PM25) cut from base to scen, t. */
double metrics_emission_cut_t(const MemberMetrics *base, const MemberMetrics *scen);

#endif
