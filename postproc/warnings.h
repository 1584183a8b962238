/* Heavy-pollution weather warnings (重污染天气预警) from a forecast AQI series (docs/warnings.md).
 *
 * The triggers of the three national schemes are compiled in (transcribed from
 * validation/standards/warning_schemes.csv and README section 3.1, which cite 环大气〔2017〕86号,
 * 环办大气函〔2019〕648号 and 环大气〔2024〕6号), so nothing is read at run time.  Levels are
 * evaluated from red down ("not meeting a higher level"); ">" is strict; durations are
 * consecutive hours in which the (daily) AQI condition holds; two episodes whose gap does not
 * satisfy the lifting rule (forecast AQI < 150 for >= 36 h, Xinjiang notices) are one episode
 * and the stricter level applies.
 *
 * Times are double seconds since 1970-01-01 UTC; warnings.csv prints them in Beijing time. */
#ifndef BOGDA_WARNINGS_H
#define BOGDA_WARNINGS_H

#include "err.h"

typedef enum { WARN_MEE2024 = 0, WARN_MEE2019 = 1, WARN_MEP2017 = 2, WARN_NSCHEME } WarnScheme;

/* Ordered: a larger value is the stricter level.  Blue exists in MEP2017 only. */
typedef enum { WARN_NONE = 0, WARN_BLUE, WARN_YELLOW, WARN_ORANGE, WARN_RED } WarnLevel;

/* What the series holds.  Sample i covers (t[i] - step, t[i]] (times are interval ends, DESIGN
 * 2.4), step = 86400 s for WARN_IN_DAILY and 3600 s otherwise; the times must be regular. */
typedef enum {
    WARN_IN_DAILY = 0,  /* one daily AQI per Beijing-time day (a sample lasts 24 h) */
    WARN_IN_HOURLY_24H, /* hourly values that already are 24-h running-mean ("daily") AQIs */
    WARN_IN_HOURLY      /* hourly AQIs; the module forms the trailing 24-h running mean
                           (mean of the AQIs stamped t-23 h .. t, >= 20 valid values needed,
                           GB 3095 Table 4; fewer gives a missing value) */
} WarnInput;

/* How a region's series is formed from its cities' series at each time. */
typedef enum {
    WARN_REGION_MAX = 0, /* the worst city (default: a warning when any city qualifies) */
    WARN_REGION_MEAN     /* the mean over the cities with a value (Xinjiang regional lifting
                            rule speaks of the average AQI of the contiguous counties) */
} WarnRegionAgg;

/* Lifting rule (Xinjiang notices, standards README 3.3): AQI < 150 for >= 36 h. */
#define WARN_LIFT_AQI 150.0
#define WARN_LIFT_HOURS 36.0

#define WARN_NAME_LEN 64
#define WARN_REASON_LEN 320

typedef struct WarnEpisode {
    char region[WARN_NAME_LEN]; /* city or region name */
    double issued;              /* issue time (the caller's, e.g. the cycle start) */
    WarnLevel level;
    double start, end;          /* first and last hour above the scheme's lowest trigger
                                   threshold (start of the first interval, end of the last) */
    WarnScheme scheme;
    int nmerged;                /* sub-episodes merged into this one (>= 1) */
    int lifted;                 /* 1 when the lifting rule is met within the series after end */
    double max_aqi;
    int cut_percent;            /* warn_required_cut_percent(level) */
    char reason[WARN_REASON_LEN];
} WarnEpisode;

/* "MEE2024", "MEE2019", "MEP2017" (NULL for an invalid value). */
const char *warn_scheme_name(WarnScheme s);
/* Case-insensitive; NULL or "" gives the default MEE2024.  Returns BG_ECONFIG if unknown. */
int warn_scheme_parse(const char *s, WarnScheme *out, BgErr *e);
/* "none", "blue", "yellow", "orange", "red" */
const char *warn_level_name(WarnLevel l);
/* Emergency cut of SO2, NOx, PM and VOCs, percent of society-wide emissions
 * (环办大气函〔2018〕875号 / 〔2019〕648号): 10 / 20 / 30 at yellow / orange / red, else 0. */
int warn_required_cut_percent(WarnLevel l);

/* Region series: vals[c * n + i] is city c at time i (NaN = missing).  out[i] is the maximum or
 * the mean over the cities with a value, NaN if none; summed in city order (deterministic). */
void warn_region_series(const double *vals, int ncity, int n, WarnRegionAgg agg, double *out);

/* Evaluates the warnings of one city or region.  t[n] are interval-end times, aqi[n] the AQI
 * (NaN = missing: it neither meets a trigger nor counts toward lifting).  Writes up to max_ep
 * episodes in time order to ep and their count to *n_ep (0 means no warning).  Fails with
 * BG_EINPUT (irregular times, negative AQI, more than max_ep episodes) or BG_EFAIL (memory). */
int warn_evaluate(const double *t, const double *aqi, int n, WarnInput kind, WarnScheme scheme,
                  const char *region, double issued, WarnEpisode *ep, int max_ep, int *n_ep,
                  BgErr *e);

/* "2024-01-11T00:00:00+08:00" (Beijing time); empty for NaN.  buf needs >= 26 bytes. */
void warn_format_time(double t, char *buf, int n);

/* Writes warnings.csv (DESIGN 2.4: region,issued,level,start,end,scheme,reason,
 * required_cut_percent) to path via path.tmp and rename().  A row with level none may carry
 * NaN start/end (written empty).  Fields with a comma or quote are quoted (RFC 4180). */
int warn_write_csv(const char *path, const WarnEpisode *ep, int n, BgErr *e);

#endif
