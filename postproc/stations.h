/* Station sampling of the model output and the city daily products (docs/stations.md).
 *
 * Stations come from a CSV `id,name,city,lon,lat` (DESIGN 2.2; an empty city marks a background
 * site that belongs to no city), are located on the grid with grid_locate and sampled from the
 * surface layer by bilinear interpolation in projected coordinates (exact for fields linear in
 * x and y).  The driver calls stations_sample() after steps (every sync step, or once an hour):
 * the value stamped t is the mean of the samples taken in (t - 1 h, t] (DESIGN 2.4: hour ends).
 * stations_write() then writes
 *   stations.csv    station,time,species,value,unit          (hourly, ISO-8601 UTC hour ends)
 *   daily_city.csv  city,date,PM25,PM10,SO2,NO2,CO,O3_1h_max,O3_8h_max,AQI,level,primary
 * on Beijing-time (UTC+8) natural days, each under a temporary name renamed when complete.
 *
 * Units of GB 3095 (DESIGN 2.4): gases in ug m-3 at the reference state 298.15 K, 1013.25 hPa
 * (ug m-3 = ppb * M / 24.465), CO in mg m-3 at the same state, particles (PM25, PM10, PSO4, PNO3,
 * PNH4, PBC, POC, PPM, PMC) in ug m-3 at ambient conditions (q * rho_dry * M / M_air * 1e9, q in
 * mol mol-1 of dry air, M the molar mass the species is carried as). */
#ifndef BOGDA_STATIONS_H
#define BOGDA_STATIONS_H

#include <stddef.h>

#include "err.h"
#include "grid.h"
#include "state.h"

/* Molar volume of an ideal gas at 298.15 K and 1013.25 hPa, L mol-1 (GB 3095 reference state;
 * R T / p = 8.314462618 * 298.15 / 101325 m3 mol-1 = 24.4654 L mol-1, rounded as GB 3095 and the
 * standards README 1.1 use it). */
#define STATIONS_MOLAR_VOLUME_L 24.465

typedef enum {
    STATION_UNIT_UGM3_REF = 0, /* gas, ug m-3 at 298.15 K, 1013.25 hPa */
    STATION_UNIT_MGM3_REF = 1, /* CO, mg m-3 at 298.15 K, 1013.25 hPa */
    STATION_UNIT_UGM3_AMB = 2  /* particles, ug m-3 at ambient conditions */
} StationUnit;

/* The table unit of a species name (CO: mg m-3; the particle names of DESIGN 2.4: ambient
 * ug m-3; anything else, passive tracers included, a gas at the reference state) and its text. */
StationUnit stations_unit_of(const char *species);
const char *stations_unit_text(StationUnit u); /* "ug m-3", "mg m-3" */

/* Conversion of a mixing ratio q (mol mol-1 of dry air) of a species carried with molar mass M
 * (g mol-1) to the table unit; rho_dry (kg m-3) is used for the ambient particle unit only. */
double stations_convert(StationUnit u, double q, double molar_mass, double rho_dry);

/* A field diagnosed by the caller (e.g. PM25 and PM10 as sums of aerosol species), given for
 * the surface layer [ny][nx].  molar_mass > 0: q is mol mol-1 of dry air of a molecule of that
 * molar mass (g mol-1) and is converted like a State species; molar_mass == 0: q is already in
 * the table unit of the species (ug m-3; mg m-3 for CO).  A field overrides a State species of
 * the same name. */
typedef struct StationField {
    const char *name;
    const double *q;
    double molar_mass;
} StationField;

/* One row of daily_city.csv.  Missing values are NAN (a species not sampled, an invalid MDA8);
 * aqi = -1 when no pollutant could be rated. */
typedef struct CityDay {
    int city;                     /* index into stations_city_name() */
    int year, month, day;         /* Beijing-time date */
    double pm25, pm10, so2, no2, co, o3_1h_max, o3_8h_max; /* table units */
    int valid_hours;              /* hours of the day with samples (>= 20) */
    int aqi, level;               /* level 1..6 (I..VI), 0 if none */
    int rule;                     /* AqiRule used (by date) */
    unsigned primary;             /* AqiPollutant bit mask */
    int over_scale;
} CityDay;

typedef struct StationSet StationSet;

/* Reads and locates the stations and prepares the hourly accumulators for hour ends in
 * (t0, t1] (all memory is allocated here; sampling allocates nothing).  species: the names to
 * sample and write, e.g. {"PM25","PM10","SO2","NO2","CO","O3","PSO4"}; daily_city.csv uses
 * PM25, PM10, SO2, NO2, CO and O3 among them (a missing one leaves its column empty).
 * Refused with BG_EINPUT "<csv>:<line>: ..." : a wrong header or column count, an empty or
 * repeated id, a malformed or impossible lon/lat, a station outside the grid's mass-point
 * lattice by more than half a cell (inside that margin the edge value is used).  Bad species
 * lists or times: BG_ECONFIG.  Returns NULL on error. */
StationSet *stations_open(const char *csv, const Grid *g, const char *const *species, int nspec,
                          double t0, double t1, BgErr *e);
void stations_close(StationSet *ss);

/* Adds one sample at time t (s since 1970 UTC) to the hour ending at ceil(t / 3600 h): the
 * surface layer (k = 0) of every sampled species, from the State (mol mol-1, converted with
 * State.spec[s].molar_mass) or from extra[0..nextra-1].  rho: dry-air density, kg m-3; only its
 * first ny*nx values are read (layer 0 of MetFields.rho).  Samples with t <= t0 are ignored;
 * t > t1 is BG_EFAIL.  A species found neither in the State nor in extra, or a State of another
 * size than the grid, is BG_ECONFIG.  Not for use inside a parallel region. */
int stations_sample(StationSet *ss, double t, const State *s, const double *rho,
                    const StationField *extra, int nextra, BgErr *e);
/* The same with weight w (the sample counts w; parts of one sample at the same t with weights
 * summing to 1 are one sample: the driver's merged advection halves, docs/transport.md). */
int stations_sample_w(StationSet *ss, double t, const State *s, const double *rho,
                      const StationField *extra, int nextra, double w, BgErr *e);

/* Writes dir/stations.csv and dir/daily_city.csv (temporary name, then rename).  Hours with no
 * sample are not written; days with fewer than 20 valid hours are omitted.  BG_EFAIL names the
 * file on any write error. */
int stations_write(const StationSet *ss, const char *dir, BgErr *e);

/* The daily city rows (the content of daily_city.csv) in city then date order; *rows is
 * malloc'ed (free() it).  Cities in order of first appearance in the station file. */
int stations_daily_city(const StationSet *ss, CityDay **rows, int *nrows, BgErr *e);

/* Accessors */
int stations_count(const StationSet *ss);
const char *stations_id(const StationSet *ss, int k);
int stations_city_count(const StationSet *ss);
const char *stations_city_name(const StationSet *ss, int c);
/* fractional grid index of station k */
void stations_location(const StationSet *ss, int k, double *fi, double *fj);
/* Hourly value (table unit) of station k and species index sp (in the order given to
 * stations_open) for the hour ending at t_end; NAN if no sample or out of range. */
double stations_value(const StationSet *ss, int k, int sp, double t_end);

/* The accumulator block a restart must carry to continue bit for bit: *n doubles (per hour the
 * sample count, then the sums [station][species]).  Save it as is; restore by copying back into
 * the same pointer of a StationSet opened with the same arguments. */
double *stations_accumulators(StationSet *ss, size_t *n);
/* Restores accumulators saved by a run with the same start and stations but possibly another end:
 * the hours both share are taken, later ones start empty. */
int stations_restore(StationSet *ss, const double *old, size_t nold, BgErr *e);

#endif
