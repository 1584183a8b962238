/* Per-member scenario metrics (see metrics.h, docs/metrics.md). */
#include "metrics.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aqi.h"

const char *metrics_emis_name(int s)
{
    static const char *const names[METRICS_NEMIS] = {"SO2", "NOx", "NH3", "VOC", "PM25"};
    return s >= 0 && s < METRICS_NEMIS ? names[s] : "?";
}

/* GB 3095-2012 Table 1 and GB 3095-2026 Table 1 (validation/standards/README.md 1.1), 24-h
 * PM2.5 Grade II, ug m-3; GB 3095-2026 effective 2026-03-01, final limits from 2031-01-01. */
int metrics_pm25_24h_limit(int year, int month, int day)
{
    long ymd = (long)year * 10000 + month * 100 + day;
    if (ymd < 20260301) return 75;
    if (ymd < 20310101) return 60;
    return 50;
}

int metrics_pm25_exceeds(double pm25, int year, int month, int day)
{
    long long units;
    /* HJ 663 judges compliance on the value as reported, i.e. rounded to 1 ug m-3 */
    if (!(pm25 >= 0) || aqi_round_gbt8170(pm25, 0, &units) != 0) return 0;
    return units > metrics_pm25_24h_limit(year, month, day);
}

void metrics_city_days(const CityDay *rows, int nrows, MemberMetrics *m)
{
    int ex = 0, heavy = 0, severe = 0, no3 = 0;
    double s = 0, mx = NAN;
    for (int r = 0; r < nrows; r++) {
        const CityDay *d = &rows[r];
        ex += metrics_pm25_exceeds(d->pm25, d->year, d->month, d->day);
        /* HJ 633 level V (heavy) starts above 200, level VI (severe) above 300 */
        if (d->aqi > 200) heavy++;
        if (d->aqi > 300) severe++;
        if (isfinite(d->o3_8h_max)) {
            s += d->o3_8h_max;
            if (no3 == 0 || d->o3_8h_max > mx) mx = d->o3_8h_max;
            no3++;
        }
    }
    m->exceed_days = ex;
    m->heavy_days = heavy;
    m->severe_days = severe;
    m->city_days = nrows;
    m->o3_8h_mean = no3 ? s / no3 : NAN;
    m->o3_8h_max = mx;
}

/* Splits line in place at commas into at most maxf fields (trimmed); returns the count. */
static int split_csv(char *line, char **f, int maxf)
{
    int n = 0;
    char *p = line;
    size_t len = strlen(p);
    while (len && (p[len - 1] == '\n' || p[len - 1] == '\r')) p[--len] = 0;
    for (;;) {
        char *c = strchr(p, ',');
        if (c) *c = 0;
        while (isspace((unsigned char)*p)) p++;
        char *q = p + strlen(p);
        while (q > p && isspace((unsigned char)q[-1])) *--q = 0;
        if (n < maxf) f[n] = p;
        n++;
        if (!c) break;
        p = c + 1;
    }
    return n;
}

static int parse_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && !*end && errno == 0 && isfinite(*v) ? 0 : -1;
}

int metrics_read_cities(const char *csv, MetricsCity **cities, int *ncities, BgErr *e)
{
    *cities = NULL;
    *ncities = 0;
    FILE *fp = fopen(csv, "r");
    if (!fp) return bg_fail(e, BG_EINPUT, csv, NULL, "cannot open: %s", strerror(errno));
    char line[1024], item[32];
    MetricsCity *c = NULL;
    int n = 0, cap = 0, lineno = 0, rc = BG_OK;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        snprintf(item, sizeof item, "%d", lineno);
        char *f[5];
        if (lineno == 1) {
            int nf = split_csv(line, f, 5);
            if (nf != 4 || strcmp(f[0], "city") || strcmp(f[1], "lon") || strcmp(f[2], "lat") ||
                strcmp(f[3], "population")) {
                rc = bg_fail(e, BG_EINPUT, csv, item, "header must be city,lon,lat,population");
                break;
            }
            continue;
        }
        char *s = line;
        while (isspace((unsigned char)*s)) s++;
        if (!*s) continue; /* blank line */
        int nf = split_csv(line, f, 5);
        if (nf != 4) {
            rc = bg_fail(e, BG_EINPUT, csv, item, "%d columns, expected 4", nf);
            break;
        }
        double lon, lat, pop;
        if (!*f[0] || strlen(f[0]) >= sizeof c->name) {
            rc = bg_fail(e, BG_EINPUT, csv, item, "empty or too long city name");
            break;
        }
        if (parse_num(f[1], &lon) || parse_num(f[2], &lat) || lon < -180 || lon > 360 ||
            lat < -90 || lat > 90) {
            rc = bg_fail(e, BG_EINPUT, csv, item, "bad lon/lat '%s,%s'", f[1], f[2]);
            break;
        }
        if (parse_num(f[3], &pop) || pop < 0) {
            rc = bg_fail(e, BG_EINPUT, csv, item, "bad population '%s'", f[3]);
            break;
        }
        for (int k = 0; k < n && rc == BG_OK; k++)
            if (!strcmp(c[k].name, f[0]))
                rc = bg_fail(e, BG_EINPUT, csv, item, "city '%s' repeated", f[0]);
        if (rc) break;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            MetricsCity *t = realloc(c, (size_t)cap * sizeof *c);
            if (!t) {
                rc = bg_fail(e, BG_EFAIL, csv, NULL, "out of memory");
                break;
            }
            c = t;
        }
        snprintf(c[n].name, sizeof c[n].name, "%s", f[0]);
        c[n].lon = lon, c[n].lat = lat, c[n].population = pop;
        n++;
    }
    if (rc == BG_OK && lineno == 0) rc = bg_fail(e, BG_EINPUT, csv, NULL, "empty file");
    fclose(fp);
    if (rc) {
        free(c);
        return rc;
    }
    *cities = c;
    *ncities = n;
    return BG_OK;
}

int metrics_population_spread(const Grid *g, const MetricsCity *c, const double *fi,
                              const double *fj, int nc, double sigma_m, double *pop, BgErr *e)
{
    if (!(sigma_m > 0))
        return bg_fail(e, BG_ECONFIG, "cities", "sigma", "population radius %g m must be > 0",
                       sigma_m);
    const int nx = g->nx, ny = g->ny;
    for (size_t n = 0; n < (size_t)nx * ny; n++) pop[n] = 0;
    const double rc = METRICS_POP_CUTOFF_SIGMA * sigma_m;
    for (int k = 0; k < nc; k++) {
        if (c[k].population == 0) continue;
        int i0 = (int)floor(fi[k] - rc / g->dx), i1 = (int)ceil(fi[k] + rc / g->dx);
        int j0 = (int)floor(fj[k] - rc / g->dy), j1 = (int)ceil(fj[k] + rc / g->dy);
        if (i0 < 0) i0 = 0;
        if (j0 < 0) j0 = 0;
        if (i1 > nx - 1) i1 = nx - 1;
        if (j1 > ny - 1) j1 = ny - 1;
        /* two passes (sum, then add) so no scratch array is needed */
        double sum = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int j = j0; j <= j1; j++)
                for (int i = i0; i <= i1; i++) {
                    double ddx = (i - fi[k]) * g->dx, ddy = (j - fj[k]) * g->dy;
                    double r2 = ddx * ddx + ddy * ddy;
                    if (r2 > rc * rc) continue;
                    double w = exp(-0.5 * r2 / (sigma_m * sigma_m)) * g->area[(size_t)j * nx + i];
                    if (pass == 0)
                        sum += w;
                    else
                        pop[(size_t)j * nx + i] += c[k].population * (w / sum);
                }
            if (pass == 0 && !(sum > 0))
                return bg_fail(e, BG_EINPUT, "cities", c[k].name,
                               "city centre (grid %.1f, %.1f) is more than %.0f km from the grid",
                               fi[k], fj[k], rc / 1000);
        }
    }
    return BG_OK;
}

int metrics_population_grid(const Grid *g, const MetricsCity *c, int nc, double sigma_m,
                            double *pop, BgErr *e)
{
    double *f = malloc(2 * (size_t)(nc > 0 ? nc : 1) * sizeof *f);
    if (!f) return bg_fail(e, BG_EFAIL, "cities", NULL, "out of memory");
    for (int k = 0; k < nc; k++)
        if (grid_locate(g, c[k].lon, c[k].lat, &f[k], &f[nc + k]) != 0) {
            free(f);
            return bg_fail(e, BG_EINPUT, "cities", c[k].name, "cannot locate %g, %g on the grid",
                           c[k].lon, c[k].lat);
        }
    int rc = metrics_population_spread(g, c, f, f + nc, nc, sigma_m, pop, e);
    free(f);
    return rc;
}

double metrics_pop_weighted_mean(const double *field, const double *pop, size_t n)
{
    double s = 0, w = 0;
    for (size_t k = 0; k < n; k++) {
        if (isnan(field[k]) || pop[k] == 0) continue;
        s += pop[k] * field[k];
        w += pop[k];
    }
    return w > 0 ? s / w : NAN;
}

double metrics_station_mean(const StationSet *ss, int k, int sp, double t0, double t1)
{
    double s = 0;
    int n = 0;
    for (double t = (floor(t0 / 3600) + 1) * 3600; t <= t1; t += 3600) {
        double v = stations_value(ss, k, sp, t);
        if (isnan(v)) continue;
        s += v;
        n++;
    }
    return n ? s / n : NAN;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the records of var in one file to sum[ny*nx]; buf is float scratch of ny*nx. */
static int add_file(const char *path, const char *var, int nx, int ny, double *sum, float *buf,
                    int *nrec, BgErr *e)
{
    int nc, v, nd, dims[NC_MAX_VAR_DIMS], rc = BG_OK;
    if (nc_open(path, NC_NOWRITE, &nc) != NC_NOERR)
        return bg_fail(e, BG_EINPUT, path, NULL, "cannot open as NetCDF");
    if (nc_inq_varid(nc, var, &v) != NC_NOERR) {
        nc_close(nc);
        return bg_fail(e, BG_EINPUT, path, var, "variable missing");
    }
    nc_inq_varndims(nc, v, &nd);
    nc_inq_vardimid(nc, v, dims);
    size_t len[4] = {0, 0, 0, 0};
    for (int d = 0; d < nd && d < 4; d++) nc_inq_dimlen(nc, dims[d], &len[d]);
    if ((nd != 3 && nd != 4) || len[nd - 1] != (size_t)nx || len[nd - 2] != (size_t)ny) {
        nc_close(nc);
        return bg_fail(e, BG_EINPUT, path, var, "dims must be (time,[z,]y=%d,x=%d)", ny, nx);
    }
    for (size_t t = 0; t < len[0] && rc == BG_OK; t++) {
        size_t start[4] = {t, 0, 0, 0}, count[4] = {1, 1, 1, 1};
        count[nd - 2] = (size_t)ny;
        count[nd - 1] = (size_t)nx;
        if (nc_get_vara_float(nc, v, start, count, buf) != NC_NOERR) {
            rc = bg_fail(e, BG_EINPUT, path, var, "cannot read record %zu", t);
            break;
        }
        for (size_t n = 0; n < (size_t)nx * ny; n++) sum[n] += buf[n];
        (*nrec)++;
    }
    nc_close(nc);
    return rc;
}

int metrics_read_field_mean(const char *dir, const char *var, int nx, int ny, double *mean,
                            int *nrec, BgErr *e)
{
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/conc_*.nc", dir);
    glob_t gl;
    *nrec = 0;
    memset(&gl, 0, sizeof gl);
    if (glob(pat, 0, NULL, &gl) != 0 || gl.gl_pathc == 0) {
        globfree(&gl);
        return bg_fail(e, BG_EINPUT, dir, "conc_*.nc", "no concentration file");
    }
    /* glob sorts already; sorted again so the order never depends on the locale */
    qsort(gl.gl_pathv, gl.gl_pathc, sizeof *gl.gl_pathv, cmp_str);
    float *buf = malloc((size_t)nx * ny * sizeof *buf);
    if (!buf) {
        globfree(&gl);
        return bg_fail(e, BG_EFAIL, dir, NULL, "out of memory");
    }
    for (size_t n = 0; n < (size_t)nx * ny; n++) mean[n] = 0;
    int rc = BG_OK;
    for (size_t f = 0; f < gl.gl_pathc && rc == BG_OK; f++)
        rc = add_file(gl.gl_pathv[f], var, nx, ny, mean, buf, nrec, e);
    free(buf);
    globfree(&gl);
    if (rc == BG_OK && *nrec == 0) rc = bg_fail(e, BG_EINPUT, dir, var, "no time record");
    if (rc) return rc;
    for (size_t n = 0; n < (size_t)nx * ny; n++) mean[n] /= *nrec;
    return BG_OK;
}

int metrics_read_pm25_mean(const char *dir, int nx, int ny, double *mean, int *nrec, BgErr *e)
{
    return metrics_read_field_mean(dir, "PM25", nx, ny, mean, nrec, e);
}

double metrics_emission_cut_t(const MemberMetrics *base, const MemberMetrics *scen)
{
    double cut = 0;
    for (int s = 0; s < METRICS_NEMIS; s++) cut += base->emis_t[s] - scen->emis_t[s];
    return cut;
}

int metrics_population_file(const Grid *g, const char *spec, double *pop, BgErr *e)
{
    char path[4096], var[NC_MAX_NAME + 1];
    BG_TRY(grid_read_field2d(g, spec, "[batch] population_file", pop, NULL, path, sizeof path, var, sizeof var, e));
    const size_t n = (size_t)g->nx * g->ny;
    double total = 0.0;
    for (size_t c = 0; c < n; c++) {
        if (!isfinite(pop[c]) || pop[c] < 0.0)
            return bg_fail(e, BG_EINPUT, path, var, "value %g at (y %zu, x %zu) is not a population", pop[c],
                           c / (size_t)g->nx, c % (size_t)g->nx);
        total += pop[c];
    }
    if (total <= 0.0) return bg_fail(e, BG_EINPUT, path, var, "the population sums to zero");
    return BG_OK;
}
