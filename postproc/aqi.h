/* Air-quality index of HJ 633-2012 and HJ 633-2026 (docs/aqi.md).
 *
 * The breakpoint and level tables are compiled in (transcribed from
 * validation/standards/iaqi_breakpoints.csv and aqi_levels.csv, which cite the official texts;
 * test_aqi checks the transcription against those files), so the program needs no data file.
 *
 * Arithmetic is exact: a concentration is first rounded per GB/T 8170 (round half to even) to
 * the reporting resolution of HJ 633-2026 (1 ug m-3; CO 0.1 mg m-3), held as an integer
 * count of that resolution, and the IAQI is IAQI_Lo + ceil((IAQI_Hi - IAQI_Lo)(C - BP_Lo) /
 * (BP_Hi - BP_Lo)) in integers (standards README 2.6), so breakpoints never round the wrong way
 * (CO 24-h 2.2 mg m-3 gives 55, not the 56 of ceil() on doubles).
 *
 * Units: ug m-3 at the GB 3095 reference state for the gases, ambient for PM; CO in mg m-3. */
#ifndef BOGDA_AQI_H
#define BOGDA_AQI_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

typedef enum { AQI_HJ633_2012 = 0, AQI_HJ633_2026 = 1 } AqiRule;

/* In the order of HJ 633 Table 1 / Table 3: the order ties are listed in. */
typedef enum { AQI_SO2 = 0, AQI_NO2, AQI_PM10, AQI_CO, AQI_O3, AQI_PM25, AQI_NPOLL } AqiPollutant;

typedef enum { AQI_1H = 0, AQI_8H, AQI_24H } AqiAvg;

/* Flags of one IAQI */
enum {
    AQI_F_OVER_SCALE = 1, /* above the top breakpoint (500): capped at 500 ("exceeds the scale") */
    AQI_F_FALLBACK = 2,   /* HJ 633-2012 SO2 1-h > 800 or O3 8-h > 800: no IAQI from this value;
                             the standard reports the SO2 24-h / O3 1-h IAQI instead */
    AQI_F_FIXED = 4       /* HJ 633-2026 SO2 1-h > 800 (IAQI 200) or O3 8-h > 800 (IAQI 300) */
};

#define AQI_MAX_INPUTS 16

typedef struct AqiInput {
    AqiPollutant p;
    AqiAvg avg;
    double c; /* ug m-3 (CO mg m-3), >= 0 */
} AqiInput;

typedef struct AqiResult {
    AqiRule rule;
    int n;                            /* inputs */
    long long units[AQI_MAX_INPUTS];  /* GB/T 8170-rounded concentration in resolution units */
    int iaqi[AQI_MAX_INPUTS];         /* IAQI of each input; -1 when not computed */
    int flags[AQI_MAX_INPUTS];        /* AQI_F_* */
    int aqi;                          /* max IAQI (2026: at least 1); -1 if no IAQI at all */
    int over_scale;                   /* some IAQI was capped at 500 */
    int level;                        /* 1..6 (I..VI); 0 when aqi < 0 */
    unsigned primary;                 /* bit p set: pollutant p is primary (none if aqi <= 50) */
    unsigned nonattain;               /* HJ 633-2012 only: bit p set if its IAQI > 100 */
} AqiResult;

typedef struct AqiLevel {
    int level;               /* 1..6 */
    const char *roman;       /* "I" .. "VI" */
    int aqi_min, aqi_max;
    const char *category_zh, *category_en, *colour;
    int r, g, b;
} AqiLevel;

/* "HJ633-2012" / "HJ633-2026" */
const char *aqi_rule_name(AqiRule r);
/* Accepts the names above, case-insensitively, also written "HJ 633-2012".  Returns 0 or -1. */
int aqi_rule_parse(const char *s, AqiRule *r);
/* The rule in force on a Beijing-time calendar date: 2012 before 2026-03-01, 2026 from then. */
AqiRule aqi_rule_for_date(int year, int month, int day);
/* The rule in force at instant t (s since 1970 UTC), judged on its Beijing (UTC+8) date. */
AqiRule aqi_rule_for_time(double t);

/* HJ 633 spelling ("PM2.5") and the DESIGN species name of the tables ("PM25"). */
const char *aqi_pollutant_name(AqiPollutant p);
const char *aqi_pollutant_id(AqiPollutant p);
/* Case-insensitive; accepts both spellings of PM2.5.  Returns 0 or -1. */
int aqi_pollutant_parse(const char *s, AqiPollutant *p);
/* "1h", "8h", "24h" */
const char *aqi_avg_name(AqiAvg a);
/* "mg/m3" for CO, else "ug/m3" */
const char *aqi_unit(AqiPollutant p);
/* Decimals of the reporting resolution: 1 for CO, 0 otherwise (HJ 633-2026, README 2.2). */
int aqi_decimals(AqiPollutant p);

/* GB/T 8170 rounding ("four down, six up, five to even": a 5 followed by nothing rounds to the
 * even neighbour, followed by anything nonzero rounds up) of x to `decimals` decimals, taking x
 * as its 15-significant-digit decimal value (what was typed, or what a report prints).
 * *scaled = the rounded value times 10^decimals.  Returns 0, or -1 for x < 0, NaN, Inf or
 * x >= 1e12. */
int aqi_round_gbt8170(double x, int decimals, long long *scaled);

/* The IAQI breakpoint table for a rule, pollutant and averaging, in resolution units (CO x10),
 * bp[0..7] at IAQI 0, 50, 100, 150, 200, 300, 400, 500; -1 = not defined.  NULL when the
 * combination has no table (O3 24-h; SO2, NO2, CO 8-h; PM 8-h; PM 1-h under 2012).  PM 1-h
 * under 2026 gives the daily table (HJ 633-2026, standards README 2.2). */
const int *aqi_breakpoints(AqiRule r, AqiPollutant p, AqiAvg a);
/* The IAQI levels at bp[0..7]: 0, 50, 100, 150, 200, 300, 400, 500. */
extern const int aqi_iaqi_levels[8];

/* IAQI of a concentration already in resolution units (exact integer arithmetic); sets *flags.
 * Returns the IAQI, -1 when not computed (AQI_F_FALLBACK), or -2 when the combination has no
 * table or units < 0. */
int aqi_iaqi_units(AqiRule r, AqiPollutant p, AqiAvg a, long long units, int *flags);

/* IAQI of a concentration (rounded per GB/T 8170 first).  Returns BG_OK, or BG_ECONFIG for a
 * combination without a table or a concentration that is negative or not finite (item names
 * the pollutant and averaging).  *iaqi = -1 with AQI_F_FALLBACK for the 2012 over-800 rules. */
int aqi_iaqi(AqiRule r, AqiPollutant p, AqiAvg a, double c, int *iaqi, int *flags, BgErr *e);

/* IAQI of every input, AQI, level, primary and (2012) non-attainment pollutants.  A pollutant
 * may appear with several averagings (its IAQI is the largest); the same pollutant and averaging
 * twice, more than AQI_MAX_INPUTS inputs, or any aqi_iaqi error is BG_ECONFIG. */
int aqi_compute(AqiRule r, const AqiInput *in, int n, AqiResult *res, BgErr *e);

/* The level of an AQI (>= 0; above 500 gives VI); NULL for a negative AQI. */
const AqiLevel *aqi_level(int aqi);

/* The pollutants of a bit mask (AqiResult.primary or .nonattain) in table order joined by ';'
 * (ids: DESIGN names "PM25", else HJ 633 names "PM2.5"); "" for none.  Returns the length. */
int aqi_pollutant_list(unsigned mask, int ids, char *buf, size_t n);

/* The `bogda aqi` verb (postproc/aqi_cli.c, DESIGN 2.1):
 *   bogda aqi [--rule HJ633-2012|HJ633-2026] POLLUTANT[_AVG]=VALUE ...
 * argv[0] is the verb.  Pollutants SO2 NO2 CO O3 PM10 PM2.5 (PM25 accepted, any case), averaging
 * _1h, _8h (O3) or _24h, default 24 h (O3: 8 h); the rule defaults to the one in force today.
 * Prints to out the IAQI of each value, one line "AQI = N", level, category, colour and primary
 * pollutant(s).  --help prints the usage and returns BG_OK.  Bad input: BG_ECONFIG with
 * "aqi:<argument>: what is wrong". */
int aqi_cli(int argc, char **argv, FILE *out, BgErr *e);
/* aqi_cli on stdout (what main.c calls). */
int aqi_main(int argc, char **argv, BgErr *e);

#endif
