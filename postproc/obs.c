/* Station observations: reading, unit conversion, GB 3095 data-validity rules (obs.h). */
#include "obs.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "timeutil.h"

/* Molar volume at the GB 3095 reference state 298.15 K, 1013.25 hPa, L mol-1 (GB 3095-2026
 * 3.14 / standards README 1.1; same constant as STATIONS_MOLAR_VOLUME_L). */
#define OBS_MOLAR_VOLUME_L 24.465

typedef struct {
    const char *name;
    double molar_mass; /* g mol-1, gases only (0 = particle); values as config/species.csv */
} ObsSpecies;

/* Molar masses from IUPAC standard atomic weights, as in config/species.csv, so that observed
 * ppb and modelled ppb convert with identical factors. */
static const ObsSpecies SPECIES[] = {
    {"SO2", 64.066}, {"NO2", 46.006}, {"O3", 47.997},  {"CO", 28.010},  {"NO", 30.006},
    {"NH3", 17.031}, {"HNO3", 63.013}, {"PM25", 0},    {"PM10", 0},     {"PSO4", 0},
    {"PNO3", 0},     {"PNH4", 0},     {"PBC", 0},      {"POC", 0},      {"PPM", 0},
    {"PMC", 0},
};
#define NSPECIES ((int)(sizeof SPECIES / sizeof SPECIES[0]))

static const ObsSpecies *species_lookup(const char *name)
{
    if (!name) return NULL;
    if (strcasecmp(name, "PM2.5") == 0 || strcasecmp(name, "PM2_5") == 0) name = "PM25";
    for (int k = 0; k < NSPECIES; k++)
        if (strcasecmp(name, SPECIES[k].name) == 0) return &SPECIES[k];
    return NULL;
}

const char *obs_species_canonical(const char *name)
{
    const ObsSpecies *s = species_lookup(name);
    return s ? s->name : NULL;
}

const char *obs_species_unit(const char *canonical)
{
    return (canonical && strcmp(canonical, "CO") == 0) ? "mg m-3" : "ug m-3";
}

enum { U_UGM3, U_MGM3, U_PPB, U_PPM, U_UNKNOWN };

/* Normalises the spellings seen in monitoring exports: spaces dropped, micro sign (Latin-1 and
 * Greek mu in UTF-8) to u, superscript 3 to 3, "/m3" to "m-3", case ignored. */
static int unit_kind(const char *u)
{
    char b[32];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)u; *p && n + 1 < sizeof b; p++) {
        if (*p == ' ' || *p == '\t') continue;
        if ((p[0] == 0xC2 && p[1] == 0xB5) || (p[0] == 0xCE && p[1] == 0xBC)) { /* µ, μ */
            b[n++] = 'u';
            p++;
        } else if (p[0] == 0xC2 && p[1] == 0xB3) { /* ³ */
            b[n++] = '3';
            p++;
        } else {
            b[n++] = (char)tolower(*p);
        }
    }
    b[n] = '\0';
    if (!strcmp(b, "ugm-3") || !strcmp(b, "ug/m3")) return U_UGM3;
    if (!strcmp(b, "mgm-3") || !strcmp(b, "mg/m3")) return U_MGM3;
    if (!strcmp(b, "ppb") || !strcmp(b, "ppbv")) return U_PPB;
    if (!strcmp(b, "ppm") || !strcmp(b, "ppmv")) return U_PPM;
    return U_UNKNOWN;
}

int obs_convert_unit(const char *species, const char *unit, double value, double *out)
{
    const ObsSpecies *s = species_lookup(species);
    int k = unit_kind(unit);
    if (!s || k == U_UNKNOWN) return -1;
    double ug; /* ug m-3 (reference state for gases) */
    switch (k) {
    case U_UGM3: ug = value; break;
    case U_MGM3: ug = value * 1e3; break;
    case U_PPB:
    case U_PPM:
        if (s->molar_mass <= 0) return -1; /* a mixing ratio of a particle mass is meaningless */
        ug = value * (k == U_PPM ? 1e3 : 1.0) * s->molar_mass / OBS_MOLAR_VOLUME_L;
        break;
    default: return -1;
    }
    *out = strcmp(s->name, "CO") == 0 ? ug * 1e-3 : ug;
    return 0;
}

/* ------------------------------------------------------------------------ reading ---- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

/* Splits at commas in place; returns the field count (at most max). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *c = strchr(p, ',');
        if (n < max) f[n] = p;
        n++;
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    for (int k = 0; k < n && k < max; k++) f[k] = trim(f[k]);
    return n;
}

static int parse_double(const char *s, double *v)
{
    if (!*s) return -1;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return (*end != '\0' || errno == ERANGE) ? -1 : 0;
}

/* An explicit offset after the date part: Z, +hh[:mm] or -hh[:mm]. */
static int has_offset(const char *s)
{
    size_t n = strlen(s);
    if (n <= 10) return 0;
    for (const char *p = s + 10; *p; p++)
        if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-') return 1;
    return 0;
}

static int rec_cmp(const void *a, const void *b)
{
    const ObsRecord *x = a, *y = b;
    int c = strcmp(x->station, y->station);
    if (c) return c;
    c = strcmp(x->species, y->species);
    if (c) return c;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->line - y->line;
}

static int cmp_station(const void *a, const void *b)
{
    const ObsRecord *x = *(const ObsRecord *const *)a, *y = *(const ObsRecord *const *)b;
    int c = strcmp(x->station, y->station);
    return c ? c : x->line - y->line;
}

void obs_free(ObsSet *o)
{
    if (!o) return;
    free(o->rec);
    o->rec = NULL;
    o->n = 0;
}

static int read_rows(FILE *f, const char *path, ObsSet *o, size_t *cap, BgErr *e)
{
    char buf[1024], item[32];
    int line = 0, header = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        snprintf(item, sizeof item, "%d", line);
        size_t len = strlen(buf);
        if (len == sizeof buf - 1 && buf[len - 1] != '\n' && !feof(f))
            return bg_fail(e, BG_EINPUT, path, item, "line longer than %zu characters", sizeof buf - 2);
        char *s = buf;
        if (line == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
            s += 3; /* UTF-8 byte-order mark written by spreadsheet exports */
        s = trim(s);
        if (!*s) continue;
        char *fl[8];
        int nf = split(s, fl, 8);
        if (!header) {
            static const char *const H[7] = {"station", "lon", "lat", "time", "species", "value", "unit"};
            int ok = nf == 7;
            for (int k = 0; ok && k < 7; k++) ok = strcmp(fl[k], H[k]) == 0;
            if (!ok)
                return bg_fail(e, BG_EINPUT, path, item,
                               "header must be station,lon,lat,time,species,value,unit");
            header = 1;
            continue;
        }
        if (nf != 7) return bg_fail(e, BG_EINPUT, path, item, "%d columns, expected 7", nf);
        ObsRecord r;
        memset(&r, 0, sizeof r);
        r.line = line;
        if (!*fl[0]) return bg_fail(e, BG_EINPUT, path, item, "empty station");
        if (strlen(fl[0]) >= sizeof r.station)
            return bg_fail(e, BG_EINPUT, path, item, "station name longer than %zu characters",
                           sizeof r.station - 1);
        strcpy(r.station, fl[0]);
        if (parse_double(fl[1], &r.lon) || !isfinite(r.lon) || r.lon < -180 || r.lon > 360)
            return bg_fail(e, BG_EINPUT, path, item, "bad lon '%s'", fl[1]);
        if (parse_double(fl[2], &r.lat) || !isfinite(r.lat) || r.lat < -90 || r.lat > 90)
            return bg_fail(e, BG_EINPUT, path, item, "bad lat '%s'", fl[2]);
        if (time_parse(fl[3], &r.t) != 0)
            return bg_fail(e, BG_EINPUT, path, item, "bad time '%s' (ISO-8601 expected)", fl[3]);
        if (!has_offset(fl[3]))
            return bg_fail(e, BG_EINPUT, path, item,
                           "time '%s' has no UTC offset (write e.g. +08:00 for Beijing time, Z for UTC)",
                           fl[3]);
        if (fmod(r.t, 3600.0) != 0.0)
            return bg_fail(e, BG_EINPUT, path, item,
                           "time '%s' is not on an hour end in UTC (hourly values stamp the hour end)",
                           fl[3]);
        const char *sp = obs_species_canonical(fl[4]);
        if (!sp) return bg_fail(e, BG_EINPUT, path, item, "unknown species '%s'", fl[4]);
        strcpy(r.species, sp);
        double v;
        if (parse_double(fl[5], &v))
            return bg_fail(e, BG_EINPUT, path, item, "value '%s' is not a number", fl[5]);
        if (isnan(v) || isinf(v))
            return bg_fail(e, BG_EINPUT, path, item, "value '%s' is not finite (omit missing hours)", fl[5]);
        if (v < 0) return bg_fail(e, BG_EINPUT, path, item, "negative value %s", fl[5]);
        if (unit_kind(fl[6]) == U_UNKNOWN)
            return bg_fail(e, BG_EINPUT, path, item, "unknown unit '%s' (ug m-3, mg m-3, ppb, ppm)", fl[6]);
        if (obs_convert_unit(sp, fl[6], v, &r.value) != 0)
            return bg_fail(e, BG_EINPUT, path, item, "unit '%s' does not fit particle species %s", fl[6], sp);
        if (o->n == *cap) {
            size_t nc = *cap ? 2 * *cap : 1024;
            ObsRecord *p = realloc(o->rec, nc * sizeof *p);
            if (!p) return bg_fail(e, BG_EFAIL, path, item, "out of memory");
            o->rec = p;
            *cap = nc;
        }
        o->rec[o->n++] = r;
    }
    if (ferror(f)) return bg_fail(e, BG_EINPUT, path, NULL, "read error");
    if (!header) return bg_fail(e, BG_EINPUT, path, NULL, "empty file (no header)");
    return BG_OK;
}

/* Repeated (station, species, time) and stations given at two positions. */
static int check_consistency(const char *path, const ObsSet *o, BgErr *e)
{
    char item[32];
    for (size_t k = 1; k < o->n; k++) {
        const ObsRecord *a = &o->rec[k - 1], *b = &o->rec[k];
        if (!strcmp(a->station, b->station) && !strcmp(a->species, b->species) && a->t == b->t) {
            snprintf(item, sizeof item, "%d", b->line);
            return bg_fail(e, BG_EINPUT, path, item, "%s %s at this time repeats line %d",
                           b->station, b->species, a->line);
        }
    }
    if (o->n == 0) return BG_OK;
    const ObsRecord **p = malloc(o->n * sizeof *p);
    if (!p) return bg_fail(e, BG_EFAIL, path, NULL, "out of memory");
    for (size_t k = 0; k < o->n; k++) p[k] = &o->rec[k];
    qsort(p, o->n, sizeof *p, cmp_station);
    int rc = BG_OK;
    for (size_t k = 1; k < o->n; k++) {
        if (strcmp(p[k]->station, p[k - 1]->station)) continue;
        /* 1e-6 degree (~0.1 m): the same site written with different precision is no conflict. */
        if (fabs(p[k]->lon - p[k - 1]->lon) > 1e-6 || fabs(p[k]->lat - p[k - 1]->lat) > 1e-6) {
            snprintf(item, sizeof item, "%d", p[k]->line);
            rc = bg_fail(e, BG_EINPUT, path, item, "station %s at %.6f %.6f, but at %.6f %.6f on line %d",
                         p[k]->station, p[k]->lon, p[k]->lat, p[k - 1]->lon, p[k - 1]->lat, p[k - 1]->line);
            break;
        }
    }
    free(p);
    return rc;
}

int obs_read(const char *path, ObsSet *o, BgErr *e)
{
    o->rec = NULL;
    o->n = 0;
    FILE *f = fopen(path, "r");
    if (!f) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open: %s", strerror(errno));
    size_t cap = 0;
    int rc = read_rows(f, path, o, &cap, e);
    fclose(f);
    if (rc == BG_OK) {
        if (o->n > 1) qsort(o->rec, o->n, sizeof *o->rec, rec_cmp);
        rc = check_consistency(path, o, e);
    }
    if (rc != BG_OK) obs_free(o);
    return rc;
}

const ObsRecord *obs_find(const ObsSet *o, const char *station, const char *species, size_t *n)
{
    *n = 0;
    /* lower bound of (station, species) in the sorted records */
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ObsRecord *r = &o->rec[mid];
        int c = strcmp(r->station, station);
        if (!c) c = strcmp(r->species, species);
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    size_t k = lo;
    while (k < o->n && !strcmp(o->rec[k].station, station) && !strcmp(o->rec[k].species, species)) k++;
    *n = k - lo;
    return *n ? &o->rec[lo] : NULL;
}

size_t obs_series(const ObsSet *o, const char *station, const char *species, double t_end0,
                  size_t nh, double *v)
{
    for (size_t h = 0; h < nh; h++) v[h] = NAN;
    size_t n, filled = 0;
    const ObsRecord *r = obs_find(o, station, species, &n);
    for (size_t k = 0; k < n; k++) {
        double x = (r[k].t - t_end0) / 3600.0;
        if (x < 0 || x > (double)nh - 1 || x != floor(x)) continue;
        v[(size_t)x] = r[k].value;
        filled++;
    }
    return filled;
}

/* ----------------------------------------------------------------- validity rules ---- */

/* Local natural day of an hour end: hours ending 01:00..24:00 local belong to the day. */
static double day_index(double t_end, double tz_s)
{
    return floor((t_end + tz_s - 3600.0) / 86400.0);
}

size_t obs_ndays(double t_end0, size_t nh, double tz_s, double *day0)
{
    double d0 = day_index(t_end0, tz_s);
    if (day0) *day0 = d0 * 86400.0 - tz_s;
    if (nh == 0) return 0;
    double d1 = day_index(t_end0 + (double)(nh - 1) * 3600.0, tz_s);
    return (size_t)(d1 - d0) + 1;
}

size_t obs_daily_mean(const double *v, size_t nh, double t_end0, double tz_s, double *mean,
                      int *nvalid)
{
    size_t nd = obs_ndays(t_end0, nh, tz_s, NULL);
    double d0 = day_index(t_end0, tz_s);
    size_t h = 0;
    for (size_t d = 0; d < nd; d++) {
        double sum = 0.0;
        int nv = 0;
        /* hours in day order: summation order is fixed, so results do not depend on callers */
        for (; h < nh && day_index(t_end0 + (double)h * 3600.0, tz_s) - d0 == (double)d; h++)
            if (!isnan(v[h])) {
                sum += v[h];
                nv++;
            }
        mean[d] = nv >= OBS_DAILY_MIN_HOURS ? sum / nv : NAN;
        if (nvalid) nvalid[d] = nv;
    }
    return nd;
}

void obs_running8(const double *v, size_t nh, double *m8)
{
    for (size_t h = 0; h < nh; h++) {
        double sum = 0.0;
        int nv = 0;
        for (size_t j = h >= 7 ? h - 7 : 0; j <= h; j++)
            if (!isnan(v[j])) {
                sum += v[j];
                nv++;
            }
        m8[h] = nv >= OBS_8H_MIN_HOURS ? sum / nv : NAN;
    }
}

size_t obs_mda8(const double *v, size_t nh, double t_end0, double tz_s, int min_windows,
                double *work, double *mda8)
{
    double day0;
    size_t nd = obs_ndays(t_end0, nh, tz_s, &day0);
    obs_running8(v, nh, work);
    for (size_t d = 0; d < nd; d++) {
        double best = -INFINITY;
        int nw = 0;
        /* windows ending 08:00 .. 24:00 local: hour ends day start + 8 h .. + 24 h */
        for (int he = 8; he <= 24; he++) {
            double x = (day0 + (double)d * 86400.0 + he * 3600.0 - t_end0) / 3600.0;
            if (x < 0 || x > (double)nh - 1) continue;
            double m = work[(size_t)x];
            /* a window reaching before the series start has unknown hours: count it only if
             * it is valid with what is known (those hours are treated as missing) */
            if (isnan(m)) continue;
            nw++;
            if (m > best) best = m;
        }
        mda8[d] = (nw >= min_windows && nw > 0) ? best : NAN;
    }
    return nd;
}
