/* Station sampling, stations.csv and daily_city.csv (docs/stations.md). */
#include "stations.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aqi.h"
#include "csvutil.h"
#include "timeutil.h"

#define HOUR_S 3600.0
/* Beijing time is UTC+8 (Chinese daily values use natural days in Beijing time; standards
 * README 0.3 and 1.3) */
#define BEIJING_OFFSET_S (8 * 3600.0)
/* GB 3095 Table 4: a daily mean needs >= 20 hourly values; an 8-h mean >= 6 of its 8 hours */
#define DAY_MIN_HOURS 20
#define WIN8_MIN_HOURS 6
/* HJ 663-2013 (standards README 1.3): MDA8 from the 17 running means ending 08..24 h local,
 * valid with >= 14 of them, or with fewer when it exceeds the limit (GB 3095 Grade II O3 MDA8,
 * 160 ug m-3 in 2012 and 2026) */
#define MDA8_MIN_WINDOWS 14
#define O3_MDA8_LIMIT_UGM3 160.0
/* Slack when mapping times to hour ends: the driver's times are sums of step lengths */
#define T_EPS_H 1e-6

typedef struct Station {
    char id[64], name[128];
    int city;              /* index into cities, -1 for a background site */
    double lon, lat, fi, fj;
    size_t idx[4];         /* [j0][i0], [j0][i1], [j1][i0], [j1][i1] flat 2-D indices */
    double w[4];
} Station;

struct StationSet {
    int nst, nsp, ncity, nx, ny;
    Station *st;
    char (*spec)[BG_NAME_LEN];
    StationUnit *unit;
    char (*city)[64];
    long long h_first;     /* hour number (t / 3600) of the first hour end */
    int nh;
    double t0, t1;
    double *acc;           /* [nh] sample counts, then [nh][nst][nsp] sums */
    double *cnt, *sum;
    char path[1024];
};

static const char *const particles[] = {"PM25", "PM10", "PSO4", "PNO3", "PNH4",
                                        "PBC",  "POC",  "PPM",  "PMC"};

StationUnit stations_unit_of(const char *species)
{
    if (!strcmp(species, "CO")) return STATION_UNIT_MGM3_REF;
    for (size_t k = 0; k < sizeof particles / sizeof *particles; k++)
        if (!strcmp(species, particles[k])) return STATION_UNIT_UGM3_AMB;
    return STATION_UNIT_UGM3_REF;
}

const char *stations_unit_text(StationUnit u) { return u == STATION_UNIT_MGM3_REF ? "mg m-3" : "ug m-3"; }

double stations_convert(StationUnit u, double q, double molar_mass, double rho_dry)
{
    switch (u) {
    case STATION_UNIT_UGM3_AMB:
        /* mol m-3 of air = rho_dry / M_air; 1e9 = 1e3 (g/kg in M/M_air) * 1e6 (ug/g) */
        return q * rho_dry * molar_mass / BG_M_AIR * 1e9;
    case STATION_UNIT_MGM3_REF:
        /* ppm * M / 24.465 (GB 3095 reference state) */
        return q * 1e6 * molar_mass / STATIONS_MOLAR_VOLUME_L;
    default:
        return q * 1e9 * molar_mass / STATIONS_MOLAR_VOLUME_L; /* ppb * M / 24.465 */
    }
}

/* ------------------------------------------------------------------ reading the CSV ---- */



static int parse_double(const char *s, double *x)
{
    char *end;
    errno = 0;
    *x = strtod(s, &end);
    return *s && !*end && errno != ERANGE && isfinite(*x) ? 0 : -1;
}

static int copy_field(char *dst, size_t n, const char *src)
{
    if (strlen(src) >= n) return -1;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

static int add_city(StationSet *ss, const char *name)
{
    for (int c = 0; c < ss->ncity; c++)
        if (!strcmp(ss->city[c], name)) return c;
    copy_field(ss->city[ss->ncity], sizeof ss->city[0], name);
    return ss->ncity++;
}

/* Bilinear weights at the fractional index, clamped to the mass-point lattice. */
static void locate_weights(Station *s, int nx, int ny)
{
    double fi = s->fi < 0 ? 0 : s->fi > nx - 1 ? nx - 1 : s->fi;
    double fj = s->fj < 0 ? 0 : s->fj > ny - 1 ? ny - 1 : s->fj;
    int i0 = (int)floor(fi), j0 = (int)floor(fj);
    if (i0 > nx - 2) i0 = nx > 1 ? nx - 2 : 0;
    if (j0 > ny - 2) j0 = ny > 1 ? ny - 2 : 0;
    int i1 = nx > 1 ? i0 + 1 : i0, j1 = ny > 1 ? j0 + 1 : j0;
    double a = nx > 1 ? fi - i0 : 0, b = ny > 1 ? fj - j0 : 0;
    s->idx[0] = (size_t)j0 * nx + i0;
    s->idx[1] = (size_t)j0 * nx + i1;
    s->idx[2] = (size_t)j1 * nx + i0;
    s->idx[3] = (size_t)j1 * nx + i1;
    s->w[0] = (1 - a) * (1 - b);
    s->w[1] = a * (1 - b);
    s->w[2] = (1 - a) * b;
    s->w[3] = a * b;
}

static int read_stations(StationSet *ss, const char *csv, const Grid *g, BgErr *e)
{
    FILE *f = fopen(csv, "r");
    if (!f) return bg_fail(e, BG_EINPUT, csv, NULL, "cannot open the station list: %s", strerror(errno));
    char line[2048], where[32];
    int lineno = 0, rc = BG_OK, cap = 0;
    while (rc == BG_OK && fgets(line, sizeof line, f)) {
        lineno++;
        snprintf(where, sizeof where, "%d", lineno);
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = bg_fail(e, BG_EINPUT, csv, where, "line longer than %d characters", (int)sizeof line - 2);
            break;
        }
        char *p = line;
        if (lineno == 1 && !strncmp(p, "\xEF\xBB\xBF", 3)) p += 3; /* UTF-8 byte-order mark */
        char *fld[6];
        if (lineno == 1) {
            int nf = csv_split(p, fld, 6);
            static const char *const hdr[5] = {"id", "name", "city", "lon", "lat"};
            int ok = nf == 5;
            for (int k = 0; ok && k < 5; k++) ok = !strcmp(fld[k], hdr[k]);
            if (!ok) rc = bg_fail(e, BG_EINPUT, csv, where, "header must be id,name,city,lon,lat");
            continue;
        }
        if (!*csv_trim(p)) continue;
        int nf = csv_split(p, fld, 6);
        if (nf != 5) {
            rc = bg_fail(e, BG_EINPUT, csv, where,
                         nf < 0 ? "unterminated quote" : "expected 5 columns id,name,city,lon,lat, found %d", nf);
            break;
        }
        if (ss->nst == cap) {
            cap = cap ? 2 * cap : 64;
            Station *ns = realloc(ss->st, (size_t)cap * sizeof *ns);
            char (*nc)[64] = realloc(ss->city, (size_t)cap * sizeof *nc);
            if (nc) ss->city = nc;
            if (!ns || !nc) {
                if (ns) ss->st = ns;
                rc = bg_fail(e, BG_EFAIL, csv, NULL, "out of memory");
                break;
            }
            ss->st = ns;
        }
        Station *s = &ss->st[ss->nst];
        memset(s, 0, sizeof *s);
        if (!fld[0][0]) { rc = bg_fail(e, BG_EINPUT, csv, where, "empty station id"); break; }
        if (copy_field(s->id, sizeof s->id, fld[0]) || copy_field(s->name, sizeof s->name, fld[1]) ||
            strlen(fld[2]) >= sizeof ss->city[0]) {
            rc = bg_fail(e, BG_EINPUT, csv, where, "id, name or city too long (63, 127, 63 bytes)");
            break;
        }
        for (int k = 0; k < ss->nst; k++)
            if (!strcmp(ss->st[k].id, s->id)) {
                rc = bg_fail(e, BG_EINPUT, csv, where, "station id '%s' repeated (first on an earlier line)", s->id);
                break;
            }
        if (rc) break;
        if (parse_double(fld[3], &s->lon) || parse_double(fld[4], &s->lat) || s->lon < -180 ||
            s->lon > 360 || s->lat < -90 || s->lat > 90) {
            rc = bg_fail(e, BG_EINPUT, csv, where, "station '%s': lon '%s', lat '%s' are not a position in degrees",
                         s->id, fld[3], fld[4]);
            break;
        }
        if (grid_locate(g, s->lon, s->lat, &s->fi, &s->fj) != BG_OK || !isfinite(s->fi) || !isfinite(s->fj)) {
            rc = bg_fail(e, BG_EINPUT, csv, where, "station '%s' (%g E, %g N) cannot be projected onto the grid",
                         s->id, s->lon, s->lat);
            break;
        }
        /* the grid's cells reach half a cell beyond the outer mass points */
        if (s->fi < -0.5 || s->fi > g->nx - 0.5 || s->fj < -0.5 || s->fj > g->ny - 0.5) {
            rc = bg_fail(e, BG_EINPUT, csv, where,
                         "station '%s' (%g E, %g N) is outside the model grid (grid index i %.2f, j %.2f; "
                         "the grid has %d x %d cells)", s->id, s->lon, s->lat, s->fi, s->fj, g->nx, g->ny);
            break;
        }
        locate_weights(s, g->nx, g->ny);
        s->city = fld[2][0] ? add_city(ss, fld[2]) : -1;
        ss->nst++;
    }
    if (rc == BG_OK && ferror(f)) rc = bg_fail(e, BG_EINPUT, csv, NULL, "read error");
    if (rc == BG_OK && lineno == 0) rc = bg_fail(e, BG_EINPUT, csv, "1", "empty file (header id,name,city,lon,lat expected)");
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------------ set-up ---- */

StationSet *stations_open(const char *csv, const Grid *g, const char *const *species, int nspec,
                          double t0, double t1, BgErr *e)
{
    if (!csv || !g || g->nx < 1 || g->ny < 1) {
        bg_fail(e, BG_EFAIL, "stations", NULL, "no station file or grid");
        return NULL;
    }
    if (nspec < 1 || !species) {
        bg_fail(e, BG_ECONFIG, csv, NULL, "no species to sample at the stations");
        return NULL;
    }
    if (!isfinite(t0) || !isfinite(t1) || !(t1 > t0) || t1 - t0 > 100 * 366 * 86400.0) {
        bg_fail(e, BG_ECONFIG, csv, NULL, "station period: end must follow start (and be finite)");
        return NULL;
    }
    StationSet *ss = calloc(1, sizeof *ss);
    if (!ss) {
        bg_fail(e, BG_EFAIL, csv, NULL, "out of memory");
        return NULL;
    }
    ss->nx = g->nx;
    ss->ny = g->ny;
    ss->t0 = t0;
    ss->t1 = t1;
    snprintf(ss->path, sizeof ss->path, "%s", csv);
    ss->nsp = nspec;
    ss->spec = calloc((size_t)nspec, sizeof *ss->spec);
    ss->unit = calloc((size_t)nspec, sizeof *ss->unit);
    if (!ss->spec || !ss->unit) {
        bg_fail(e, BG_EFAIL, csv, NULL, "out of memory");
        stations_close(ss);
        return NULL;
    }
    for (int k = 0; k < nspec; k++) {
        if (!species[k] || !species[k][0] || strlen(species[k]) >= BG_NAME_LEN ||
            strpbrk(species[k], ", \t\"\n")) {
            bg_fail(e, BG_ECONFIG, csv, NULL, "station species %d: '%s' is not a species name", k + 1,
                    species[k] ? species[k] : "(null)");
            stations_close(ss);
            return NULL;
        }
        for (int m = 0; m < k; m++)
            if (!strcmp(species[m], species[k])) {
                bg_fail(e, BG_ECONFIG, csv, NULL, "station species '%s' listed twice", species[k]);
                stations_close(ss);
                return NULL;
            }
        snprintf(ss->spec[k], sizeof ss->spec[k], "%s", species[k]);
        ss->unit[k] = stations_unit_of(species[k]);
    }
    if (read_stations(ss, csv, g, e) != BG_OK) {
        stations_close(ss);
        return NULL;
    }
    ss->h_first = (long long)floor(t0 / HOUR_S + T_EPS_H) + 1;
    long long h_last = (long long)ceil(t1 / HOUR_S - T_EPS_H);
    ss->nh = (int)(h_last - ss->h_first + 1);
    if (ss->nh < 1) ss->nh = 1;
    size_t n = (size_t)ss->nh * (1 + (size_t)ss->nst * ss->nsp);
    ss->acc = calloc(n ? n : 1, sizeof *ss->acc);
    if (!ss->acc) {
        bg_fail(e, BG_EFAIL, csv, NULL, "out of memory (%d hours x %d stations x %d species)", ss->nh,
                ss->nst, ss->nsp);
        stations_close(ss);
        return NULL;
    }
    ss->cnt = ss->acc;
    ss->sum = ss->acc + ss->nh;
    return ss;
}

void stations_close(StationSet *ss)
{
    if (!ss) return;
    free(ss->st);
    free(ss->spec);
    free(ss->unit);
    free(ss->city);
    free(ss->acc);
    free(ss);
}

int stations_count(const StationSet *ss) { return ss->nst; }
const char *stations_id(const StationSet *ss, int k) { return ss->st[k].id; }
int stations_city_count(const StationSet *ss) { return ss->ncity; }
const char *stations_city_name(const StationSet *ss, int c) { return ss->city[c]; }
void stations_location(const StationSet *ss, int k, double *fi, double *fj)
{
    *fi = ss->st[k].fi;
    *fj = ss->st[k].fj;
}

double *stations_accumulators(StationSet *ss, size_t *n)
{
    *n = (size_t)ss->nh * (1 + (size_t)ss->nst * ss->nsp);
    return ss->acc;
}

int stations_restore(StationSet *ss, const double *old, size_t nold, BgErr *e)
{
    /* layout: counts [nh], then sums [nh][nst][nsp]; a restart written by a shorter (or longer)
     * run of the same start holds the first nh_old hours */
    const size_t k = (size_t)ss->nst * ss->nsp;
    if (nold % (1 + k)) return bg_fail(e, BG_EINPUT, NULL, "stations", "restart holds %zu station values, not a whole number of hours of %zu", nold, 1 + k);
    size_t nh_old = nold / (1 + k), nh = (size_t)ss->nh, keep = nh_old < nh ? nh_old : nh;
    memset(ss->acc, 0, nh * (1 + k) * sizeof *ss->acc);
    memcpy(ss->acc, old, keep * sizeof *old);
    memcpy(ss->sum, old + nh_old, keep * k * sizeof *old);
    return BG_OK;
}

/* ------------------------------------------------------------------ sampling ---- */

int stations_sample(StationSet *ss, double t, const State *s, const double *rho,
                    const StationField *extra, int nextra, BgErr *e)
{
    return stations_sample_w(ss, t, s, rho, extra, nextra, 1.0, e);
}

int stations_sample_w(StationSet *ss, double t, const State *s, const double *rho,
                      const StationField *extra, int nextra, double w, BgErr *e)
{
    if (!(t > ss->t0 + 1e-3)) return BG_OK;
    long long hr = (long long)ceil(t / HOUR_S - T_EPS_H);
    long long h = hr - ss->h_first;
    if (h < 0) return BG_OK;
    if (h >= ss->nh || t > ss->t1 + 1e-3) {
        char w[32];
        time_format(t, w, sizeof w);
        return bg_fail(e, BG_EFAIL, "stations", w, "sample after the end of the station period");
    }
    if (!s || s->nx != ss->nx || s->ny != ss->ny)
        return bg_fail(e, BG_ECONFIG, "stations", NULL, "the State is not on the stations' grid");
    if (!rho) return bg_fail(e, BG_EFAIL, "stations", NULL, "no air density");
    double *sum = ss->sum + (size_t)h * ss->nst * ss->nsp;
    for (int sp = 0; sp < ss->nsp; sp++) {
        const double *q = NULL;
        double mm = 0;
        for (int x = 0; x < nextra && !q; x++)
            if (extra[x].name && !strcmp(extra[x].name, ss->spec[sp])) {
                q = extra[x].q;
                mm = extra[x].molar_mass;
            }
        for (int k = 0; k < s->nspec && !q; k++)
            if (!strcmp(s->spec[k].name, ss->spec[sp])) {
                q = state_species(s, k); /* layer 0 is the first plane */
                mm = s->spec[k].molar_mass;
            }
        if (!q)
            return bg_fail(e, BG_ECONFIG, "stations", ss->spec[sp],
                           "species is neither a model species nor a diagnosed field");
        StationUnit u = ss->unit[sp];
        for (int k = 0; k < ss->nst; k++) {
            const Station *st = &ss->st[k];
            double v = 0;
            /* converted at the corners, then interpolated: the ambient unit is linear in the
             * mass concentration, not in q and rho separately */
            for (int c = 0; c < 4; c++) {
                size_t n = st->idx[c];
                double x = mm > 0 ? stations_convert(u, q[n], mm, rho[n]) : q[n];
                v += st->w[c] * x;
            }
            sum[(size_t)k * ss->nsp + sp] += v * w;
        }
    }
    ss->cnt[h] += w;
    return BG_OK;
}

double stations_value(const StationSet *ss, int k, int sp, double t_end)
{
    long long h = (long long)ceil(t_end / HOUR_S - T_EPS_H) - ss->h_first;
    if (k < 0 || k >= ss->nst || sp < 0 || sp >= ss->nsp || h < 0 || h >= ss->nh || ss->cnt[h] <= 0)
        return NAN;
    return ss->sum[((size_t)h * ss->nst + k) * ss->nsp + sp] / ss->cnt[h];
}

/* ------------------------------------------------------------------ daily city values ---- */

/* The Beijing date (days since 1970-01-01) and hour slot 0..23 (0 = the hour ending 01:00 local,
 * 23 = the hour ending 24:00) of the hour ending at hour number hr (t = hr * 3600 s). */
static void beijing_slot(long long hr, long long *day, int *slot)
{
    long long local_start = hr - 1 + 8; /* hours since 1970 local, start of the hour */
    long long d = local_start >= 0 ? local_start / 24 : -((-local_start + 23) / 24);
    *day = d;
    *slot = (int)(local_start - d * 24);
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
    /* Howard Hinnant's civil_from_days (proleptic Gregorian) */
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long yy = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

/* The value as written with %.6g, read back: the AQI is computed from what the table shows, so
 * `bogda aqi` on a row reproduces it. */
static double as_written(double x)
{
    char b[32];
    snprintf(b, sizeof b, "%.6g", x);
    return strtod(b, NULL);
}

static int find_spec(const StationSet *ss, const char *name)
{
    for (int k = 0; k < ss->nsp; k++)
        if (!strcmp(ss->spec[k], name)) return k;
    return -1;
}

/* AQI of one city-day from its daily values, rule by date (HJ 633-2012: 24-h means, O3 1-h max
 * and MDA8, 7 indicators; HJ 633-2026: daily means and MDA8, 6 indicators; README 2.5). */
static void city_day_aqi(CityDay *r)
{
    AqiInput in[8];
    int n = 0;
    AqiRule rule = aqi_rule_for_date(r->year, r->month, r->day);
    const struct { double v; AqiPollutant p; AqiAvg a; } c[7] = {
        {r->so2, AQI_SO2, AQI_24H}, {r->no2, AQI_NO2, AQI_24H}, {r->pm10, AQI_PM10, AQI_24H},
        {r->co, AQI_CO, AQI_24H},   {r->o3_8h_max, AQI_O3, AQI_8H}, {r->pm25, AQI_PM25, AQI_24H},
        {r->o3_1h_max, AQI_O3, AQI_1H}};
    for (int k = 0; k < 7; k++) {
        if (isnan(c[k].v)) continue;
        if (k == 6 && rule != AQI_HJ633_2012) continue;
        double v = as_written(c[k].v);
        /* round-off of the solver can leave a mean a hair below zero */
        in[n++] = (AqiInput){c[k].p, c[k].a, v > 0 ? v : 0};
    }
    AqiResult res;
    BgErr e = {0};
    r->rule = rule;
    r->aqi = -1;
    r->level = 0;
    r->primary = 0;
    r->over_scale = 0;
    if (n == 0 || aqi_compute(rule, in, n, &res, &e) != BG_OK) return;
    r->aqi = res.aqi;
    r->level = res.level;
    r->primary = res.primary;
    r->over_scale = res.over_scale;
}

int stations_daily_city(const StationSet *ss, CityDay **rows, int *nrows, BgErr *e)
{
    *rows = NULL;
    *nrows = 0;
    enum { P25, P10, SO2, NO2, CO, O3, NDAILY };
    static const char *const names[NDAILY] = {"PM25", "PM10", "SO2", "NO2", "CO", "O3"};
    int sp[NDAILY];
    for (int k = 0; k < NDAILY; k++) sp[k] = find_spec(ss, names[k]);
    long long d_first, d_last;
    int slot;
    beijing_slot(ss->h_first, &d_first, &slot);
    beijing_slot(ss->h_first + ss->nh - 1, &d_last, &slot);
    int ndays = (int)(d_last - d_first + 1);
    size_t cap = (size_t)ss->ncity * ndays;
    CityDay *out = calloc(cap ? cap : 1, sizeof *out);
    int *nin = calloc((size_t)ss->nst, sizeof *nin);
    if (!out || !nin) {
        free(out);
        free(nin);
        return bg_fail(e, BG_EFAIL, "daily_city", NULL, "out of memory");
    }
    for (int k = 0; k < ss->nst; k++)
        if (ss->st[k].city >= 0) nin[ss->st[k].city]++;
    int n = 0;
    for (int c = 0; c < ss->ncity; c++) {
        for (long long d = d_first; d <= d_last; d++) {
            /* the city's hourly series over the day's 24 slots: mean over its stations (HJ 663) */
            double v[NDAILY][24];
            int valid[24], nvalid = 0;
            for (int s = 0; s < 24; s++) {
                long long hr = (d * 24 + s) - 8 + 1; /* hour number of the slot's end (UTC) */
                long long h = hr - ss->h_first;
                valid[s] = h >= 0 && h < ss->nh && ss->cnt[h] > 0;
                nvalid += valid[s];
                for (int p = 0; p < NDAILY; p++) {
                    v[p][s] = NAN;
                    if (!valid[s] || sp[p] < 0) continue;
                    double acc = 0;
                    for (int k = 0; k < ss->nst; k++)
                        if (ss->st[k].city == c)
                            acc += ss->sum[((size_t)h * ss->nst + k) * ss->nsp + sp[p]] / ss->cnt[h];
                    v[p][s] = acc / nin[c];
                }
            }
            if (nvalid < DAY_MIN_HOURS) continue;
            CityDay *r = &out[n++];
            r->city = c;
            r->valid_hours = nvalid;
            civil_from_days(d, &r->year, &r->month, &r->day);
            double mean[NDAILY];
            for (int p = 0; p < NDAILY; p++) {
                mean[p] = NAN;
                if (sp[p] < 0) continue;
                double a = 0;
                for (int s = 0; s < 24; s++)
                    if (valid[s]) a += v[p][s];
                mean[p] = a / nvalid;
            }
            r->pm25 = mean[P25];
            r->pm10 = mean[P10];
            r->so2 = mean[SO2];
            r->no2 = mean[NO2];
            r->co = mean[CO];
            r->o3_1h_max = r->o3_8h_max = NAN;
            if (sp[O3] >= 0) {
                double mx = -INFINITY, m8 = -INFINITY;
                for (int s = 0; s < 24; s++)
                    if (valid[s] && v[O3][s] > mx) mx = v[O3][s];
                r->o3_1h_max = mx;
                /* 8-h running means ending 08..24 local (slots 7..23), each of >= 6 valid hours */
                int nwin = 0;
                for (int s = 7; s < 24; s++) {
                    double a = 0;
                    int m = 0;
                    for (int q = s - 7; q <= s; q++)
                        if (valid[q]) a += v[O3][q], m++;
                    if (m < WIN8_MIN_HOURS) continue;
                    nwin++;
                    if (a / m > m8) m8 = a / m;
                }
                if (nwin >= MDA8_MIN_WINDOWS || (nwin > 0 && m8 > O3_MDA8_LIMIT_UGM3)) r->o3_8h_max = m8;
            }
            city_day_aqi(r);
        }
    }
    free(nin);
    *rows = out;
    *nrows = n;
    return BG_OK;
}

/* ------------------------------------------------------------------ writing ---- */

static int open_tmp(const char *dir, const char *name, char *fin, char *tmp, size_t n, FILE **f, BgErr *e)
{
    if ((size_t)snprintf(fin, n, "%s/%s", dir && *dir ? dir : ".", name) >= n ||
        (size_t)snprintf(tmp, n, "%s.tmp", fin) >= n)
        return bg_fail(e, BG_EFAIL, name, NULL, "output path too long");
    *f = fopen(tmp, "w");
    if (!*f) return bg_fail(e, BG_EFAIL, tmp, NULL, "cannot create: %s", strerror(errno));
    return BG_OK;
}

static int close_rename(FILE *f, const char *tmp, const char *fin, BgErr *e)
{
    int bad = ferror(f) != 0;
    bad |= fflush(f) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        int err = errno;
        remove(tmp);
        return bg_fail(e, BG_EFAIL, tmp, NULL, "write failed: %s", strerror(err));
    }
    if (rename(tmp, fin) != 0) return bg_fail(e, BG_EFAIL, fin, NULL, "cannot rename from %s: %s", tmp, strerror(errno));
    return BG_OK;
}

static void put_num(FILE *f, double x)
{
    if (!isnan(x)) fprintf(f, "%.6g", x);
}

int stations_write(const StationSet *ss, const char *dir, BgErr *e)
{
    char fin[1100], tmp[1100];
    FILE *f;
    BG_TRY(open_tmp(dir, "stations.csv", fin, tmp, sizeof fin, &f, e));
    fputs("station,time,species,value,unit\n", f);
    for (int h = 0; h < ss->nh; h++) {
        if (ss->cnt[h] <= 0) continue;
        char ts[32];
        time_format((double)(ss->h_first + h) * HOUR_S, ts, sizeof ts);
        for (int k = 0; k < ss->nst; k++)
            for (int sp = 0; sp < ss->nsp; sp++) {
                double v = ss->sum[((size_t)h * ss->nst + k) * ss->nsp + sp] / ss->cnt[h];
                fprintf(f, "%s,%s,%s,%.6g,%s\n", ss->st[k].id, ts, ss->spec[sp], v,
                        stations_unit_text(ss->unit[sp]));
            }
    }
    BG_TRY(close_rename(f, tmp, fin, e));

    CityDay *rows;
    int n;
    BG_TRY(stations_daily_city(ss, &rows, &n, e));
    if (open_tmp(dir, "daily_city.csv", fin, tmp, sizeof fin, &f, e) != BG_OK) {
        free(rows);
        return e->code;
    }
    fputs("city,date,PM25,PM10,SO2,NO2,CO,O3_1h_max,O3_8h_max,AQI,level,primary\n", f);
    for (int k = 0; k < n; k++) {
        const CityDay *r = &rows[k];
        const char *c = ss->city[r->city];
        /* RFC 4180: quote a name that holds a comma or a quote */
        if (strpbrk(c, ",\"")) {
            fputc('"', f);
            for (const char *p = c; *p; p++) {
                if (*p == '"') fputc('"', f);
                fputc(*p, f);
            }
            fputc('"', f);
        } else {
            fputs(c, f);
        }
        fprintf(f, ",%04d-%02d-%02d", r->year, r->month, r->day);
        const double vals[7] = {r->pm25, r->pm10, r->so2, r->no2, r->co, r->o3_1h_max, r->o3_8h_max};
        for (int q = 0; q < 7; q++) {
            fputc(',', f);
            put_num(f, vals[q]);
        }
        char prim[64] = "";
        aqi_pollutant_list(r->primary, 1, prim, sizeof prim);
        if (r->aqi >= 0) fprintf(f, ",%d,%s,%s\n", r->aqi, aqi_level(r->aqi)->roman, prim);
        else fputs(",,,\n", f);
    }
    free(rows);
    return close_rename(f, tmp, fin, e);
}
