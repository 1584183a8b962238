/* Temporal emission profiles (DESIGN 2.3): CSV lines `sector,kind,v1,...,vN` with kind `month`
 * (12 values, January first), `weekday` (7, Monday first) or `hour` (24, local time).  The factor
 * of a sector at a UTC time is month x weekday x hour, each taken at the local time
 * UTC + timezone_offset_h; sectors (or kinds) without a line are flat (factor 1).
 *
 * Normalisation (docs/emissions.md): hour and weekday profiles to a plain mean of 1; month
 * profiles to a mean of 1 weighted by the days of each month of a 365-day year, so that a
 * constant inventory rate keeps its annual total. */
#ifndef BOGDA_PROFILES_H
#define BOGDA_PROFILES_H

#include <stddef.h>

#include "err.h"

enum { BG_PROF_MONTH = 1, BG_PROF_WEEKDAY = 2, BG_PROF_HOUR = 4 };

typedef struct Profiles {
    int n;              /* sectors with at least one profile line */
    char **sector;      /* [n] names as in the CSV */
    int *has;           /* [n] bit set of BG_PROF_* present */
    double *month;      /* [n][12] normalised; 1 where absent */
    double *weekday;    /* [n][7]  Monday first */
    double *hour;       /* [n][24] local hour h covers [h, h+1) */
    char *notes;        /* newline-separated remarks for run.log (profiles that were rescaled to
                           mean 1), or NULL */
} Profiles;

/* Reads and validates a profile CSV (blank lines, lines starting with '#', and a header line
 * starting with "sector,kind" are skipped).  Wrong number of values, non-numbers, negative or
 * non-finite values, an unknown kind, a repeated (sector, kind), and an all-zero profile are
 * BG_EINPUT naming "path:line".  Profiles whose mean is not 1 are rescaled and noted. */
int profiles_load(Profiles *p, const char *path, BgErr *e);
void profiles_free(Profiles *p);

/* Index of a sector's profile, -1 when the sector has none (flat). */
int profiles_index(const Profiles *p, const char *sector);

/* month x weekday x hour factor of profile ip (-1: 1.0) at UTC time t (s since 1970), local
 * time t + offset_h*3600.  mask selects the kinds applied (BG_PROF_* bits; e.g. without
 * BG_PROF_MONTH when the inventory already resolves months).  Pure; thread-safe. */
double profiles_factor(const Profiles *p, int ip, double t_utc, double offset_h, int mask);

/* Local calendar fields used by profiles_factor: month 0..11, weekday 0..6 (Monday = 0),
 * hour 0..23 at t_utc + offset_h. */
void profiles_local_time(double t_utc, double offset_h, int *month, int *weekday, int *hour);

#endif
