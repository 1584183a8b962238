/* Times are double seconds since 1970-01-01T00:00:00Z (UTC, proleptic Gregorian). */
#ifndef BOGDA_TIMEUTIL_H
#define BOGDA_TIMEUTIL_H

/* Parses ISO-8601 "YYYY-MM-DD[THH[:MM[:SS]]][Z|+HH[:MM]|-HH[:MM]]"; also accepts WRF's
 * "YYYY-MM-DD_HH:MM:SS" and a space instead of T.  No offset means UTC.  Returns 0 on success. */
int time_parse(const char *s, double *t);
/* "YYYY-MM-DDTHH:MM:SSZ" */
void time_format(double t, char *buf, int n);
/* strftime-style formatting in UTC */
void time_strftime(double t, const char *fmt, char *buf, int n);
/* Start of the UTC day containing t. */
double time_day_start(double t);

#endif
