/* City AQI series for forecast products and their verification (docs/forecast.md,
 * docs/evaluation.md): Beijing-time days and lead days, the AQI of one city-day from its daily
 * values, and the 24-h running-mean ("any consecutive 24 h") AQI from hourly values.
 *
 * Times are double seconds since 1970 UTC; hourly values are stamped at their hour END (DESIGN
 * 2.4): the value stamped t covers (t - 1 h, t].  Natural days are Beijing-time (UTC+8) days;
 * the hours ending 01:00 ... 24:00 local belong to a day (standards README 1.3).
 *
 * Lead days: a cycle started at instant s is "issued" on the Beijing day that contains s; lead
 * day N is that day + N (D+N of Chinese forecast practice, standards README 2.5).  For the
 * usual 00 or 12 UTC cycle starts (08:00 / 20:00 Beijing) lead day 1 is the first complete
 * Beijing day of the cycle; a cycle started exactly at Beijing midnight has a complete lead day
 * 0.  forecast_city.csv (lead_day), forecast_city_hourly.csv and evaluation.csv use this one
 * definition. */
#ifndef BOGDA_AQISERIES_H
#define BOGDA_AQISERIES_H

#include <stddef.h>

#include "aqi.h"

/* Beijing time, UTC+8 (GB 3095 natural days are local days; standards README 1.3). */
#define AQS_BEIJING_S (8.0 * 3600.0)
/* GB 3095-2012 Table 4 (identical in 2026): a 24-h mean needs >= 20 valid hourly values, an
 * 8-h mean >= 6 of its 8 (standards README 1.2). */
#define AQS_24H_MIN_HOURS 20
#define AQS_8H_MIN_HOURS 6
/* HJ 663-2013 (standards README 1.3): the daily O3 MDA8 is the largest of the 17 8-h means
 * ending 08:00..24:00, valid with >= 14 of them, or with fewer when it exceeds the GB 3095
 * Grade II MDA8 limit 160 ug m-3 (the rule postproc/stations.c applies to daily_city.csv). */
#define AQS_MDA8_MIN_WINDOWS 14
#define AQS_O3_MDA8_LIMIT 160.0

/* Days since 1970-01-01 of the Beijing-time calendar day containing instant t. */
long aqs_beijing_day(double t);
/* Days since 1970-01-01 of the Beijing-time natural day an hour ending at t_end belongs to
 * (the hour ending 24:00 belongs to the day it ends). */
long aqs_day_of_hour_end(double t_end);
/* Beijing day number of a date "YYYY-MM-DD" (-1 when malformed; *day untouched then). */
int aqs_day_of_date(const char *date, long *day);
/* "YYYY-MM-DD" of a Beijing day number; buf >= 11 bytes. */
void aqs_date_of_day(long day, char *buf, int n);
/* Lead day of Beijing day `day` for a cycle started at instant cycle_start (see above). */
int aqs_lead_day(long day, double cycle_start);
/* Lead day of an hourly value stamped t_end. */
int aqs_lead_day_of_hour(double t_end, double cycle_start);

/* Daily values of one city-day: the indicators of the daily report, GB 3095 table units
 * (ug m-3 at the reference state for gases, CO mg m-3, PM ambient); NAN = missing. */
enum { AQS_D_PM25 = 0, AQS_D_PM10, AQS_D_SO2, AQS_D_NO2, AQS_D_CO, AQS_D_O3_1H_MAX, AQS_D_O3_8H_MAX,
       AQS_D_N };

/* Daily-report AQI (HJ 633-2012 6.1/Table 1: 24-h SO2, NO2, PM10, CO, PM2.5, O3 MDA8 and the O3
 * daily 1-h maximum; HJ 633-2026 4.2: the same without the O3 1-h maximum), IAQI rounded up in
 * exact integer arithmetic (aqi.h).  *aqi = -1, *level = 0, *primary = 0 when no indicator is
 * available.  Negative inputs (solver round-off) count as 0. */
void aqs_day_aqi(AqiRule rule, const double v[AQS_D_N], int *aqi, int *level, unsigned *primary);

/* Hourly series of one city, in the order below, GB 3095 table units, NAN = missing. */
enum { AQS_H_PM25 = 0, AQS_H_PM10, AQS_H_SO2, AQS_H_NO2, AQS_H_CO, AQS_H_O3, AQS_H_N };

/* The daily indicators of 24 consecutive hourly values v[p][0..23] (hour 0 = the hour ending
 * 01:00 of the day, NAN missing; v[p] NULL = pollutant not available): 24-h means with >= 20
 * valid hours; the O3 1-h maximum over >= 20 valid hours; the O3 MDA8 of HJ 663 (the 17 8-h
 * means ending at hours 8..24, each of >= 6 valid hours, >= 14 of them or above 160 ug m-3).
 * The same rules as daily_city.csv (postproc/stations.c). */
void aqs_day_values(const double *const v[AQS_H_N], double out[AQS_D_N]);

/* The 24-h running-mean AQI at one hour end. */
typedef struct AqsHour {
    double t_end;
    double mean24[5];  /* 24-h running means of PM2.5, PM10, SO2, NO2, CO (AQS_H_ order) */
    double o3_8h;      /* 8-h running mean ending at t_end (information; HJ 633-2012 real-time) */
    double o3_1h_max;  /* largest hourly O3 in the 24-h window */
    double o3_8h_max;  /* largest 8-h running mean ending in the window at window hours 8..24 */
    AqiRule rule;      /* in force on the Beijing date of the window's last hour */
    int aqi, level;    /* -1 / 0 when nothing could be rated */
    unsigned primary;  /* AqiPollutant bit mask; none when aqi <= 50 */
} AqsHour;

/* The daily-report AQI (aqs_day_aqi) applied to the 24 hours ending at every hour end of the
 * series (hour ends t_end0 + h h, h < nh): the daily AQI "over any consecutive 24 h, possibly
 * crossing natural days" of the warning schemes (standards README 2.6 and 3.1).  Each 24-h
 * mean needs >= 20 valid hours in the window (hours before the series count as missing); the
 * O3 terms follow HJ 663 within the window (the 17 8-h means ending at window hours 8..24, each
 * with >= 6 valid hours, >= 14 of them or above 160 ug m-3; the 1-h maximum over >= 20 valid
 * hours).  At a Beijing midnight the window is the natural day, so the value equals the
 * natural-day AQI of the same hourly values.  v[p] may be NULL (pollutant not available). */
void aqs_running(const double *const v[AQS_H_N], size_t nh, double t_end0, AqsHour *out);

#endif
