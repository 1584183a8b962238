/* Station observations for `bogda evaluate` (DESIGN 2.3; docs/evaluation.md).
 *
 * The CSV has the header `station,lon,lat,time,species,value,unit`, one hourly value per row.
 * Times are ISO-8601 with an explicit UTC offset (`Z`, `+08:00`, ...; a time without an offset
 * is refused because Chinese monitoring data are in Beijing time and a silent UTC default would
 * shift every value by 8 h).  A time stamps the END of its hour (DESIGN 2.4), so it must fall on
 * a whole hour once converted to UTC; `T24:00` is accepted.
 *
 * Values are converted to the GB 3095 table units used by stations.csv (DESIGN 2.4): gases
 * (SO2, NO2, O3, NO, NH3, HNO3) in ug m-3 at the reference state 298.15 K, 1013.25 hPa, CO in
 * mg m-3 at that state, particles (PM25, PM10, PSO4, PNO3, PNH4, PBC, POC, PPM, PMC) in ug m-3 at
 * ambient conditions.  Accepted units: `ug m-3` (also `ug/m3`, `µg/m³`), `mg m-3` (`mg/m3`) for
 * every species; `ppb` and `ppm` for gases only, converted with ug m-3 = ppb * M / 24.465.
 * Species names as in DESIGN 2.4; `PM2.5` is read as PM25; case is ignored.
 *
 * Refused with BG_EINPUT "<file>:<line>: ...": a wrong header or column count, an empty station,
 * bad lon/lat, a bad or offset-less time, a time not on an hour end, an unknown species or unit,
 * a unit that does not fit the species, a missing, non-numeric, NaN, infinite or negative value,
 * a repeated (station, species, time), a station given with two different positions.
 *
 * GB 3095 Table 4 data-validity rules (identical in 2012 and 2026) on hourly series:
 * a daily mean needs >= 20 valid hourly values in the natural day; an 8-h mean needs >= 6 valid
 * hourly values among its 8.  Natural days are local days at a given UTC offset (Beijing time,
 * +8 h, for Chinese data: standards README 1.3): hours ending 01:00 ... 24:00 local. */
#ifndef BOGDA_OBS_H
#define BOGDA_OBS_H

#include <stddef.h>

#include "err.h"

/* Beijing time, UTC+8, the offset of Chinese natural days (standards README 1.3). */
#define OBS_BEIJING_OFFSET_S (8.0 * 3600.0)
/* GB 3095 Table 4 */
#define OBS_DAILY_MIN_HOURS 20
#define OBS_8H_MIN_HOURS 6
/* HJ 663-2013: >= 14 of the 17 8-h windows ending 08:00..24:00 for a valid MDA8 (standards
 * README 1.3, marked "verify"); a parameter of obs_mda8(). */
#define OBS_MDA8_MIN_WINDOWS_HJ663 14

typedef struct {
    char station[64];
    char species[8];  /* canonical name, e.g. "PM25" */
    double lon, lat;  /* degrees */
    double t;         /* UTC hour end, s since 1970 */
    double value;     /* GB 3095 table unit (see above) */
    int line;         /* line in the CSV (1 = header) */
} ObsRecord;

/* Records sorted by station, species, then time, so each (station, species) series is a
 * contiguous run. */
typedef struct {
    ObsRecord *rec;
    size_t n;
} ObsSet;

/* Reads and validates the whole file; on error *o is left empty. */
int obs_read(const char *path, ObsSet *o, BgErr *e);
void obs_free(ObsSet *o);

/* Canonical species name for a name in an observation file (NULL if unknown) and its table unit
 * text ("ug m-3" or "mg m-3"). */
const char *obs_species_canonical(const char *name);
const char *obs_species_unit(const char *canonical);

/* Converts value in unit (any spelling accepted by obs_read) to the table unit of species
 * (canonical name).  Returns 0, or -1 for an unknown unit or one that does not fit the species. */
int obs_convert_unit(const char *species, const char *unit, double value, double *out);

/* First record of the run of (station, species), and the run length in *n (0 if absent). */
const ObsRecord *obs_find(const ObsSet *o, const char *station, const char *species, size_t *n);

/* Fills v[0..nh-1] with the hourly values of (station, species) for the hour ends
 * t_end0 + h * 3600 s; hours without an observation get NAN.  Returns the number filled. */
size_t obs_series(const ObsSet *o, const char *station, const char *species, double t_end0,
                  size_t nh, double *v);

/* Number of natural days (local at UTC offset tz_s) touched by the hour ends
 * t_end0 .. t_end0 + (nh - 1) h, and the UTC time of the local midnight that starts the first. */
size_t obs_ndays(double t_end0, size_t nh, double tz_s, double *day0);

/* Daily means of an hourly series v (hour ends t_end0 + h h, NAN = missing) on natural days
 * (UTC offset tz_s): mean[d] of day d (starting day0 + d * 86400 s, day0 from obs_ndays) or NAN
 * with fewer than OBS_DAILY_MIN_HOURS valid hours; nvalid[d] (may be NULL) the valid hours.
 * Arrays hold obs_ndays() entries.  Returns that count. */
size_t obs_daily_mean(const double *v, size_t nh, double t_end0, double tz_s, double *mean,
                      int *nvalid);

/* 8-h running mean ending at each hour: m8[h] = mean of the valid values among v[h-7..h] if
 * at least OBS_8H_MIN_HOURS of them are valid (hours before the series count as missing),
 * else NAN. */
void obs_running8(const double *v, size_t nh, double *m8);

/* Daily maximum 8-h mean (MDA8) over the 17 windows ending 08:00..24:00 local of each natural
 * day (windows inside the day, HJ 663), each valid with >= 6 hours; the day is valid with at
 * least min_windows valid windows (1 = any; OBS_MDA8_MIN_WINDOWS_HJ663 for HJ 663), else NAN.
 * work: nh doubles.  Arrays hold obs_ndays() entries.  Returns that count. */
size_t obs_mda8(const double *v, size_t nh, double t_end0, double tz_s, int min_windows,
                double *work, double *mda8);

#endif
