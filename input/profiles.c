#include "profiles.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvutil.h"
#include "notes.h"

/* Days of each month of a 365-day year: the month weights of the normalisation, so that a
 * month profile applied to a constant rate keeps the annual total (leap years: February's
 * extra day shifts the annual total by at most (m_Feb - 1)/365). */
static const int days_in_month[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

void profiles_free(Profiles *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) free(p->sector[i]);
    free(p->sector);
    free(p->has);
    free(p->month);
    free(p->weekday);
    free(p->hour);
    free(p->notes);
    memset(p, 0, sizeof *p);
}

int profiles_index(const Profiles *p, const char *sector)
{
    if (!p || !sector) return -1;
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->sector[i], sector) == 0) return i;
    return -1;
}

/* civil_from_days (H. Hinnant, "chrono-compatible low-level date algorithms"): proleptic
 * Gregorian month of a day count since 1970-01-01. */
static int month_of_days(long z)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    return (int)(mp < 10 ? mp + 3 : mp - 9) - 1;
}

void profiles_local_time(double t_utc, double offset_h, int *month, int *weekday, int *hour)
{
    double tl = t_utc + offset_h * 3600.0;
    double days = floor(tl / 86400.0);
    double sod = tl - days * 86400.0;
    int h = (int)floor(sod / 3600.0);
    if (h < 0) h = 0;
    if (h > 23) h = 23;
    long d = (long)days;
    /* 1970-01-01 was a Thursday: index 3 with Monday = 0 */
    long w = (d + 3) % 7;
    if (w < 0) w += 7;
    if (month) *month = month_of_days(d);
    if (weekday) *weekday = (int)w;
    if (hour) *hour = h;
}

double profiles_factor(const Profiles *p, int ip, double t_utc, double offset_h, int mask)
{
    if (!p || ip < 0 || ip >= p->n) return 1.0;
    int m, w, h;
    profiles_local_time(t_utc, offset_h, &m, &w, &h);
    double f = 1.0;
    if (mask & BG_PROF_MONTH) f *= p->month[ip * 12 + m];
    if (mask & BG_PROF_WEEKDAY) f *= p->weekday[ip * 7 + w];
    if (mask & BG_PROF_HOUR) f *= p->hour[ip * 24 + h];
    return f;
}



static int add_sector(Profiles *p, const char *name)
{
    int n = p->n + 1;
    char **sec = realloc(p->sector, n * sizeof *sec);
    if (sec) p->sector = sec;
    int *has = realloc(p->has, n * sizeof *has);
    if (has) p->has = has;
    double *mo = realloc(p->month, n * 12 * sizeof *mo);
    if (mo) p->month = mo;
    double *wd = realloc(p->weekday, n * 7 * sizeof *wd);
    if (wd) p->weekday = wd;
    double *hr = realloc(p->hour, n * 24 * sizeof *hr);
    if (hr) p->hour = hr;
    char *nm = strdup(name);
    if (!sec || !has || !mo || !wd || !hr || !nm) {
        free(nm);
        return -1;
    }
    int i = p->n;
    p->sector[i] = nm;
    p->has[i] = 0;
    for (int k = 0; k < 12; k++) p->month[i * 12 + k] = 1.0;
    for (int k = 0; k < 7; k++) p->weekday[i * 7 + k] = 1.0;
    for (int k = 0; k < 24; k++) p->hour[i * 24 + k] = 1.0;
    p->n = n;
    return i;
}

/* Parses one data line (already trimmed, not a comment).  Returns BG_OK or an error. */
static int parse_line(Profiles *p, char *s, const char *path, int lineno, BgErr *e)
{
    char where[64];
    snprintf(where, sizeof where, "%d", lineno);
    char *fields[40];
    int nf = 0;
    for (char *tok = s;;) {
        char *comma = strchr(tok, ',');
        if (comma) *comma = '\0';
        if (nf == 40)
            return bg_fail(e, BG_EINPUT, path, where, "too many fields (at most 2 + 24)");
        fields[nf++] = csv_trim(tok);
        if (!comma) break;
        tok = comma + 1;
    }
    if (nf < 2 || !*fields[0])
        return bg_fail(e, BG_EINPUT, path, where,
                       "expected 'sector,kind,v1,...,vN' (kind month, weekday or hour)");
    const char *sector = fields[0], *kind = fields[1];
    int bit, nv;
    double *dst;
    if (strcmp(kind, "month") == 0) { bit = BG_PROF_MONTH; nv = 12; }
    else if (strcmp(kind, "weekday") == 0) { bit = BG_PROF_WEEKDAY; nv = 7; }
    else if (strcmp(kind, "hour") == 0) { bit = BG_PROF_HOUR; nv = 24; }
    else
        return bg_fail(e, BG_EINPUT, path, where,
                       "unknown profile kind '%s' (month, weekday or hour)", kind);
    if (nf - 2 != nv)
        return bg_fail(e, BG_EINPUT, path, where, "the %s profile of '%s' needs %d values, found %d",
                       kind, sector, nv, nf - 2);
    double v[24];
    for (int k = 0; k < nv; k++) {
        char *end;
        const char *f = fields[2 + k];
        v[k] = strtod(f, &end);
        if (!*f || *end)
            return bg_fail(e, BG_EINPUT, path, where, "value %d of the %s profile of '%s' is not "
                           "a number: '%s'", k + 1, kind, sector, f);
        if (!isfinite(v[k]))
            return bg_fail(e, BG_EINPUT, path, where, "value %d of the %s profile of '%s' is not "
                           "finite", k + 1, kind, sector);
        if (v[k] < 0)
            return bg_fail(e, BG_EINPUT, path, where, "value %d of the %s profile of '%s' is "
                           "negative (%g)", k + 1, kind, sector, v[k]);
    }
    /* mean: plain for hours and weekdays (each equally frequent), day-weighted for months */
    double mean = 0;
    if (bit == BG_PROF_MONTH) {
        for (int k = 0; k < 12; k++) mean += v[k] * days_in_month[k];
        mean /= 365.0;
    } else {
        for (int k = 0; k < nv; k++) mean += v[k];
        mean /= nv;
    }
    if (!(mean > 0))
        return bg_fail(e, BG_EINPUT, path, where, "the %s profile of '%s' is zero everywhere",
                       kind, sector);
    int ip = profiles_index(p, sector);
    if (ip < 0 && (ip = add_sector(p, sector)) < 0)
        return bg_fail(e, BG_EFAIL, path, where, "out of memory");
    if (p->has[ip] & bit)
        return bg_fail(e, BG_EINPUT, path, where, "a second %s profile for sector '%s'", kind,
                       sector);
    p->has[ip] |= bit;
    dst = bit == BG_PROF_MONTH ? p->month + ip * 12
          : bit == BG_PROF_WEEKDAY ? p->weekday + ip * 7 : p->hour + ip * 24;
    for (int k = 0; k < nv; k++) dst[k] = v[k] / mean;
    /* 5e-4: a profile typed with 3 decimals is "normalised" within its rounding */
    if (fabs(mean - 1.0) > 5e-4)
        notes_add(&p->notes, "%s:%d: the %s profile of '%s' had mean %.6g%s; rescaled to mean 1", path,
                 lineno, kind, sector, mean, bit == BG_PROF_MONTH ? " (weighted by days)" : "");
    return BG_OK;
}

int profiles_load(Profiles *p, const char *path, BgErr *e)
{
    memset(p, 0, sizeof *p);
    FILE *f = fopen(path, "r");
    if (!f) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open the profiles file");
    char *buf = NULL;
    size_t cap = 0;
    int lineno = 0, rc = BG_OK, ndata = 0;
    while (getline(&buf, &cap, f) >= 0) {
        lineno++;
        char *s = csv_trim(buf);
        if (lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
            s = csv_trim(s + 3); /* UTF-8 byte-order mark written by spreadsheet programs */
        if (!*s || *s == '#') continue;
        if (ndata == 0 && strncmp(s, "sector", 6) == 0) {
            const char *q = s + 6;
            while (isspace((unsigned char)*q)) q++;
            if (*q == ',') {
                q++;
                while (isspace((unsigned char)*q)) q++;
                if (strncmp(q, "kind", 4) == 0) { ndata++; continue; }
            }
        }
        ndata++;
        if ((rc = parse_line(p, s, path, lineno, e)) != BG_OK) break;
    }
    free(buf);
    if (rc == BG_OK && ferror(f)) rc = bg_fail(e, BG_EINPUT, path, NULL, "read error");
    fclose(f);
    if (rc != BG_OK) profiles_free(p);
    return rc;
}
