#include "inventory.h"

#include <ctype.h>
#include <math.h>
#include <netcdf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <omp.h>
#include <udunits2.h>

#include "regrid.h"

#define DAY_S 86400.0
/* Values read per NetCDF call: 32 MB of doubles whatever the size of the file (a global 0.1-degree
 * EDGAR file with 12 months would be 600 MB per sector). */
#define CHUNK_ELEMS ((size_t)1 << 22)

#define NKNOWN 9
static const char *const KNOWN[NKNOWN] = {"SO2", "NOx", "NH3", "VOC", "CO",
                                          "PM25", "PM10", "BC", "OC"};
/* Spellings of published inventories accepted for the DESIGN names (MEIC/HTAP write PM2.5,
 * EDGAR NMVOC). */
static const char *const ALIAS[][2] = {{"PM2.5", "PM25"}, {"PM2_5", "PM25"}, {"NMVOC", "VOC"}};

static const int MONTH_DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m0) { return m0 == 1 && is_leap(y) ? 29 : MONTH_DAYS[m0]; }

/* Civil date of t (proleptic Gregorian, UTC): H. Hinnant's days_to_civil algorithm
 * (http://howardhinnant.github.io/date_algorithms.html), exact for any 64-bit day count. */
static void civil_from_time(double t, int *year, int *month0)
{
    int64_t z = (int64_t)floor(t / DAY_S) + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month0 = (int)m - 1;
}

/* ---------------------------------------------------------------------------------------------
 * Units */

typedef struct {
    double factor; /* file value * factor = kg s-1, kg per calendar unit, per cell or per m2 */
    int kind;      /* 0 per second (fixed-length time), 1 per calendar month, 2 per calendar year */
    int flux;      /* 1 flux density (per m2), 0 per-cell amount */
} UnitConv;

static int tok_in(const char *t, size_t n, const char *const *set)
{
    for (; *set; set++)
        if (strlen(*set) == n && !strncmp(t, *set, n)) return 1;
    return 0;
}

/* udunits2's month and year are averages (year = 365.242198781 d, month = year/12), so the
 * calendar part of the unit is taken out here and the rest (mass, area, and the exponent of the
 * time) converted by udunits2 with the calendar unit replaced by the second: "Mg/month" becomes
 * "Mg/s", whose factor to kg s-1 (1000) is the factor to kg per calendar month. */
static int parse_units(ut_system *sys, const char *units, const char *cell_methods,
                       UnitConv *c, const char *path, const char *var, BgErr *e)
{
    static const char *const MONTH[] = {"month", "months", "mon", NULL};
    /* "a" (annum) is how inventories write the year; udunits2 reads it as the are (100 m2). */
    static const char *const YEAR[] = {"yr", "yrs", "year", "years", "a", "annum", NULL};
    /* udunits2's ton is the US short ton (907 kg), rarely what an inventory means. */
    static const char *const AMBIGUOUS[] = {"ton", "tons", NULL};
    if (!units) return bg_fail(e, BG_EINPUT, path, var, "no units attribute");
    while (isspace((unsigned char)*units)) units++;
    size_t len = strlen(units);
    while (len && isspace((unsigned char)units[len - 1])) len--;
    if (!len) return bg_fail(e, BG_EINPUT, path, var, "empty units attribute");
    char *buf = malloc(len + 2);
    if (!buf) return bg_fail(e, BG_EFAIL, path, var, "out of memory");
    size_t k = 0;
    int ncal = 0;
    c->kind = 0;
    for (size_t a = 0; a < len;) {
        if (isalpha((unsigned char)units[a]) || units[a] == '_') {
            size_t b = a;
            while (b < len && (isalpha((unsigned char)units[b]) || units[b] == '_')) b++;
            const char *t = units + a;
            if (tok_in(t, b - a, AMBIGUOUS)) {
                free(buf);
                return bg_fail(e, BG_EINPUT, path, var,
                               "units '%.*s': 'ton' is ambiguous (udunits2 reads the US short "
                               "ton, 907.18 kg); write t or Mg for the metric tonne",
                               (int)len, units);
            }
            int mon = tok_in(t, b - a, MONTH), yr = tok_in(t, b - a, YEAR);
            if (mon || yr) {
                ncal++;
                c->kind = mon ? 1 : 2;
                buf[k++] = 's';
            } else {
                memcpy(buf + k, t, b - a);
                k += b - a;
            }
            a = b;
        } else {
            buf[k++] = units[a++];
        }
    }
    buf[k] = 0;
    if (ncal > 1) {
        free(buf);
        return bg_fail(e, BG_EINPUT, path, var, "units '%.*s' name more than one calendar time "
                       "unit", (int)len, units);
    }
    ut_unit *u = ut_parse(sys, buf, UT_ASCII);
    free(buf);
    if (!u)
        return bg_fail(e, BG_EINPUT, path, var, "units '%.*s' are not understood by udunits2",
                       (int)len, units);
    ut_unit *rate = ut_parse(sys, "kg s-1", UT_ASCII), *flux = ut_parse(sys, "kg m-2 s-1", UT_ASCII);
    int rc = BG_OK;
    ut_unit *to = NULL;
    if (!rate || !flux)
        rc = bg_fail(e, BG_EFAIL, path, var, "udunits2 cannot parse kg s-1");
    else if (ut_are_convertible(u, rate))
        to = rate, c->flux = 0;
    else if (ut_are_convertible(u, flux))
        to = flux, c->flux = 1;
    else
        rc = bg_fail(e, BG_EINPUT, path, var,
                     "units '%.*s' are neither a flux density (mass per area and time, e.g. "
                     "kg m-2 s-1) nor a per-cell amount (mass per time, e.g. Mg/month)",
                     (int)len, units);
    if (rc == BG_OK) {
        cv_converter *cv = ut_get_converter(u, to);
        if (!cv) {
            rc = bg_fail(e, BG_EFAIL, path, var, "udunits2 gives no converter for '%.*s'",
                         (int)len, units);
        } else {
            c->factor = cv_convert_double(cv, 1.0);
            if (cv_convert_double(cv, 0.0) != 0.0 || !(c->factor > 0) || !isfinite(c->factor))
                rc = bg_fail(e, BG_EINPUT, path, var, "units '%.*s' do not convert by a factor",
                             (int)len, units);
            cv_free(cv);
        }
    }
    ut_free(u);
    ut_free(rate);
    ut_free(flux);
    if (rc != BG_OK) return rc;
    /* cell_methods = "area: sum" (CF 7.3) is what says a value is the amount of the whole cell. */
    int area_sum = 0;
    if (cell_methods) {
        const char *p = strstr(cell_methods, "area:");
        if (p) {
            p += 5;
            while (isspace((unsigned char)*p)) p++;
            area_sum = !strncmp(p, "sum", 3);
        }
    }
    if (!c->flux && !area_sum)
        return bg_fail(e, BG_EINPUT, path, var,
                       "units '%.*s' are a per-cell amount, but cell_methods does not say "
                       "\"area: sum\" (DESIGN 2.3); add it if each value is the cell's total",
                       (int)len, units);
    if (c->flux && area_sum)
        return bg_fail(e, BG_EINPUT, path, var,
                       "units '%.*s' are a flux density, but cell_methods says \"area: sum\"",
                       (int)len, units);
    return BG_OK;
}

/* ---------------------------------------------------------------------------------------------
 * NetCDF helpers */

static int nc_fail(BgErr *e, const char *path, const char *item, int st)
{
    return bg_fail(e, BG_EINPUT, path, item, "%s", nc_strerror(st));
}

/* A text attribute (NC_CHAR or NC_STRING) as a malloc'ed string, NULL if absent. */
static char *get_text_att(int ncid, int varid, const char *name)
{
    nc_type type;
    size_t len;
    if (nc_inq_att(ncid, varid, name, &type, &len) != NC_NOERR) return NULL;
    if (type == NC_CHAR) {
        char *s = malloc(len + 1);
        if (!s) return NULL;
        if (nc_get_att_text(ncid, varid, name, s) != NC_NOERR) {
            free(s);
            return NULL;
        }
        s[len] = 0;
        return s;
    }
    if (type == NC_STRING && len >= 1) {
        char **v = calloc(len, sizeof *v);
        if (!v) return NULL;
        char *s = NULL;
        if (nc_get_att_string(ncid, varid, name, v) == NC_NOERR) {
            s = strdup(v[0] ? v[0] : "");
            nc_free_string(len, v);
        }
        free(v);
        return s;
    }
    return NULL;
}

static int find_var_ci(int ncid, const char *const *names, int *varid)
{
    int nvars;
    if (nc_inq_nvars(ncid, &nvars) != NC_NOERR) return 0;
    for (const char *const *n = names; *n; n++)
        for (int v = 0; v < nvars; v++) {
            char name[NC_MAX_NAME + 1];
            if (nc_inq_varname(ncid, v, name) == NC_NOERR && !strcasecmp(name, *n)) {
                *varid = v;
                return 1;
            }
        }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Loading */

enum { R_MONTH, R_SECTOR, R_Y, R_X, R_ONE };

typedef struct {
    const char *path;
    int ncid;
    const Grid *g;
    BgErr *e;
    RegridMap map;
    int nlon, nlat;      /* source cells (the model's nx, ny on the model grid) */
    int ydim, xdim;      /* dimension ids of lat (y) and lon (x); -1 on the model grid without
                            coordinates until the first species fixes them */
    int secdim, mondim;  /* -1 if absent */
    double *lon_c, *lat_c; /* [nlon], [nlat] centres (lon-lat grids) */
    double *dlon_r, *dsin; /* [nlon], [nlat]: cell area = R^2 dlon_r dsin */
    int *cand_of;        /* [nsrc] index among the cells reaching the domain, or -1 */
    int *cand;           /* [ncand] */
    size_t ncand;
    unsigned months;     /* months to hold (inventory_load_months) */
} Load;

static void load_free(Load *L)
{
    regrid_free(&L->map);
    free(L->lon_c);
    free(L->lat_c);
    free(L->dlon_r);
    free(L->dsin);
    free(L->cand_of);
    free(L->cand);
}

/* Cell edges of a 1-D coordinate: from its bounds variable (the "bounds" attribute, else
 * NAME_bnds) when present, else halfway between centres (the outer edges half a spacing out). */
static int coord_edges(Load *L, int varid, size_t n, int is_lat, double *c, double *lo,
                       double *hi)
{
    char name[NC_MAX_NAME + 1];
    nc_inq_varname(L->ncid, varid, name);
    int st = nc_get_var_double(L->ncid, varid, c);
    if (st != NC_NOERR) return nc_fail(L->e, L->path, name, st);
    for (size_t k = 0; k < n; k++)
        if (!isfinite(c[k]) || fabs(c[k]) > (is_lat ? 90.0 : 720.0))
            return bg_fail(L->e, BG_EINPUT, L->path, name, "value %g at index %zu is not a %s",
                           c[k], k, is_lat ? "latitude" : "longitude");
    int bvar = -1;
    char *bname = get_text_att(L->ncid, varid, "bounds");
    if (bname) {
        if (nc_inq_varid(L->ncid, bname, &bvar) != NC_NOERR) bvar = -1;
    } else {
        char nb[NC_MAX_NAME + 8];
        snprintf(nb, sizeof nb, "%s_bnds", name);
        if (nc_inq_varid(L->ncid, nb, &bvar) != NC_NOERR) bvar = -1;
    }
    free(bname);
    if (bvar >= 0) {
        char bn[NC_MAX_NAME + 1];
        int nd, dims[NC_MAX_VAR_DIMS];
        size_t l0 = 0, l1 = 0;
        nc_inq_varname(L->ncid, bvar, bn);
        nc_inq_varndims(L->ncid, bvar, &nd);
        if (nd == 2) {
            nc_inq_vardimid(L->ncid, bvar, dims);
            nc_inq_dimlen(L->ncid, dims[0], &l0);
            nc_inq_dimlen(L->ncid, dims[1], &l1);
        }
        if (nd != 2 || l0 != n || l1 != 2)
            return bg_fail(L->e, BG_EINPUT, L->path, bn, "bounds must have shape (%zu, 2)", n);
        double *b = malloc(2 * n * sizeof *b);
        if (!b) return bg_fail(L->e, BG_EFAIL, L->path, bn, "out of memory");
        st = nc_get_var_double(L->ncid, bvar, b);
        if (st != NC_NOERR) {
            free(b);
            return nc_fail(L->e, L->path, bn, st);
        }
        for (size_t k = 0; k < n; k++) {
            lo[k] = fmin(b[2 * k], b[2 * k + 1]);
            hi[k] = fmax(b[2 * k], b[2 * k + 1]);
            if (!(lo[k] < hi[k]) || !(lo[k] <= c[k] && c[k] <= hi[k])) {
                int rc = bg_fail(L->e, BG_EINPUT, L->path, bn,
                                 "cell %zu: bounds %g..%g do not enclose the centre %g", k,
                                 b[2 * k], b[2 * k + 1], c[k]);
                free(b);
                return rc;
            }
        }
        free(b);
    } else {
        if (n < 2)
            return bg_fail(L->e, BG_EINPUT, L->path, name,
                           "a single cell has no width: give %s_bnds", name);
        double sgn = c[1] > c[0] ? 1 : -1;
        for (size_t k = 1; k < n; k++)
            if (!(sgn * (c[k] - c[k - 1]) > 0))
                return bg_fail(L->e, BG_EINPUT, L->path, name,
                               "not strictly monotonic at index %zu (%g after %g)", k, c[k],
                               c[k - 1]);
        for (size_t k = 0; k < n; k++) {
            double a = k == 0 ? c[0] - 0.5 * (c[1] - c[0]) : 0.5 * (c[k - 1] + c[k]);
            double b = k == n - 1 ? c[n - 1] + 0.5 * (c[n - 1] - c[n - 2])
                                  : 0.5 * (c[k] + c[k + 1]);
            lo[k] = fmin(a, b);
            hi[k] = fmax(a, b);
        }
    }
    if (is_lat)
        for (size_t k = 0; k < n; k++) {
            lo[k] = fmax(lo[k], -90.0);
            hi[k] = fmin(hi[k], 90.0);
        }
    else if (n > 1) {
        double span = -INFINITY, lmin = INFINITY;
        for (size_t k = 0; k < n; k++) span = fmax(span, hi[k]), lmin = fmin(lmin, lo[k]);
        if (span - lmin > 360.0 + 1e-6)
            return bg_fail(L->e, BG_EINPUT, L->path, name,
                           "the cells span %g degrees of longitude (more than 360)",
                           span - lmin);
    }
    return BG_OK;
}

static int setup_lonlat(Load *L, int lonv, int latv)
{
    int dl, dt;
    size_t nlon, nlat;
    nc_inq_vardimid(L->ncid, lonv, &dl);
    nc_inq_vardimid(L->ncid, latv, &dt);
    nc_inq_dimlen(L->ncid, dl, &nlon);
    nc_inq_dimlen(L->ncid, dt, &nlat);
    if (dl == dt)
        return bg_fail(L->e, BG_EINPUT, L->path, "lon/lat",
                       "lon and lat share one dimension (a list of points, not a grid)");
    if (nlon < 1 || nlat < 1 || nlon * nlat > 0x7fffffff)
        return bg_fail(L->e, BG_EINPUT, L->path, "lon/lat", "grid of %zu x %zu cells", nlat,
                       nlon);
    L->xdim = dl;
    L->ydim = dt;
    L->nlon = (int)nlon;
    L->nlat = (int)nlat;
    L->lon_c = malloc(nlon * sizeof *L->lon_c);
    L->lat_c = malloc(nlat * sizeof *L->lat_c);
    L->dlon_r = malloc(nlon * sizeof *L->dlon_r);
    L->dsin = malloc(nlat * sizeof *L->dsin);
    double *lw = malloc(nlon * sizeof *lw), *le = malloc(nlon * sizeof *le);
    double *ls = malloc(nlat * sizeof *ls), *ln = malloc(nlat * sizeof *ln);
    int rc = BG_OK;
    if (!L->lon_c || !L->lat_c || !L->dlon_r || !L->dsin || !lw || !le || !ls || !ln)
        rc = bg_fail(L->e, BG_EFAIL, L->path, NULL, "out of memory");
    if (rc == BG_OK) rc = coord_edges(L, lonv, nlon, 0, L->lon_c, lw, le);
    if (rc == BG_OK) rc = coord_edges(L, latv, nlat, 1, L->lat_c, ls, ln);
    if (rc == BG_OK) {
        const double d2r = M_PI / 180.0;
        for (size_t i = 0; i < nlon; i++) L->dlon_r[i] = (le[i] - lw[i]) * d2r;
        for (size_t j = 0; j < nlat; j++) L->dsin[j] = sin(ln[j] * d2r) - sin(ls[j] * d2r);
        rc = regrid_build_lonlat(&L->map, L->nlon, lw, le, L->nlat, ls, ln, L->g, L->path, L->e);
    }
    free(lw), free(le), free(ls), free(ln);
    return rc;
}

/* 2-D lat/lon (XLAT/XLONG-like, leading dimensions of length 1 allowed) on the model grid. */
static int setup_model_grid_coords(Load *L, int lonv, int latv, const char *lonname,
                                   const char *latname)
{
    const Grid *g = L->g;
    int vars[2] = {latv, lonv};
    const char *names[2] = {latname, lonname};
    double *v = malloc((size_t)g->ny * g->nx * sizeof *v);
    if (!v) return bg_fail(L->e, BG_EFAIL, L->path, NULL, "out of memory");
    int rc = BG_OK;
    for (int a = 0; a < 2 && rc == BG_OK; a++) {
        int nd, dims[NC_MAX_VAR_DIMS];
        nc_inq_varndims(L->ncid, vars[a], &nd);
        nc_inq_vardimid(L->ncid, vars[a], dims);
        size_t len[NC_MAX_VAR_DIMS], lead = 1;
        for (int k = 0; k < nd; k++) nc_inq_dimlen(L->ncid, dims[k], &len[k]);
        for (int k = 0; k < nd - 2; k++) lead *= len[k];
        if (nd < 2 || lead != 1 || len[nd - 2] != (size_t)g->ny || len[nd - 1] != (size_t)g->nx) {
            rc = bg_fail(L->e, BG_EINPUT, L->path, names[a],
                         "2-D coordinates that are not those of the model grid (%d x %d); "
                         "Bogda regrids inventories on 1-D lon-lat grids",
                         g->ny, g->nx);
            break;
        }
        if (a == 0) L->ydim = dims[nd - 2], L->xdim = dims[nd - 1];
        int st = nc_get_var_double(L->ncid, vars[a], v);
        if (st != NC_NOERR) {
            rc = nc_fail(L->e, L->path, names[a], st);
            break;
        }
        const double *ref = a == 0 ? g->lat : g->lon;
        /* The same tolerance as the grid's own lattice check (grid.c). */
        for (size_t n = 0; n < (size_t)g->ny * g->nx; n++) {
            double d = v[n] - ref[n];
            if (a == 1) d -= 360.0 * round(d / 360.0);
            if (!(fabs(d) <= 1e-3)) {
                rc = bg_fail(L->e, BG_EINPUT, L->path, names[a],
                             "the file is %d x %d like the model grid but differs from its "
                             "%s by %g degrees at [j=%zu,i=%zu]",
                             g->ny, g->nx, a == 0 ? "XLAT" : "XLONG", d, n / g->nx, n % g->nx);
                break;
            }
        }
    }
    free(v);
    if (rc == BG_OK) {
        L->nlon = g->nx;
        L->nlat = g->ny;
        rc = regrid_build_identity(&L->map, g, L->e);
    }
    return rc;
}

/* Roles of a species variable's dimensions. */
static int map_dims(Load *L, int varid, const char *vname, int *nd, int *dims, size_t *len,
                    int *role)
{
    nc_inq_varndims(L->ncid, varid, nd);
    nc_inq_vardimid(L->ncid, varid, dims);
    char list[512] = "";
    size_t used = 0;
    for (int k = 0; k < *nd; k++) {
        char dn[NC_MAX_NAME + 1];
        nc_inq_dim(L->ncid, dims[k], dn, &len[k]);
        used += (size_t)snprintf(list + used, used < sizeof list ? sizeof list - used : 0,
                                 "%s%s", k ? ", " : "", dn);
        if (used >= sizeof list) used = sizeof list - 1;
    }
    int has_sec = 0;
    for (int k = 0; k < *nd; k++) has_sec |= L->secdim >= 0 && dims[k] == L->secdim;
    if (!has_sec)
        return bg_fail(L->e, BG_EINPUT, L->path, vname,
                       "no 'sector' dimension (the dimensions are (%s)); DESIGN 2.3 needs one "
                       "with a coordinate naming the sectors, of length 1 for a single sector",
                       list);
    /* On the model grid without coordinates, the two remaining dimensions are y and x. */
    if (L->ydim < 0) {
        int rest[NC_MAX_VAR_DIMS], nr = 0;
        for (int k = 0; k < *nd; k++)
            if (dims[k] != L->secdim && dims[k] != L->mondim && len[k] != 1) rest[nr++] = k;
        const Grid *g = L->g;
        if (nr == 2 && len[rest[0]] == (size_t)g->ny && len[rest[1]] == (size_t)g->nx)
            L->ydim = dims[rest[0]], L->xdim = dims[rest[1]];
        else if (nr == 2 && len[rest[0]] == (size_t)g->nx && len[rest[1]] == (size_t)g->ny)
            L->xdim = dims[rest[0]], L->ydim = dims[rest[1]];
        else
            return bg_fail(L->e, BG_EINPUT, L->path, vname,
                           "no lon/lat coordinate variables, and the dimensions (%s) are not "
                           "those of the model grid (%d x %d)",
                           list, g->ny, g->nx);
        L->nlon = g->nx;
        L->nlat = g->ny;
        BG_TRY(regrid_build_identity(&L->map, g, L->e));
    }
    int seen[5] = {0};
    for (int k = 0; k < *nd; k++) {
        if (dims[k] == L->mondim) role[k] = R_MONTH;
        else if (dims[k] == L->secdim) role[k] = R_SECTOR;
        else if (dims[k] == L->ydim) role[k] = R_Y;
        else if (dims[k] == L->xdim) role[k] = R_X;
        else if (len[k] == 1) role[k] = R_ONE;
        else
            return bg_fail(L->e, BG_EINPUT, L->path, vname,
                           "dimension %d of (%s) is none of month, sector, lat, lon", k + 1,
                           list);
        if (role[k] != R_ONE && seen[role[k]]++)
            return bg_fail(L->e, BG_EINPUT, L->path, vname, "dimensions (%s) repeat one", list);
    }
    if (!seen[R_Y] || !seen[R_X])
        return bg_fail(L->e, BG_EINPUT, L->path, vname,
                       "the dimensions (%s) lack the lat or lon dimension", list);
    return BG_OK;
}

static int read_sectors(Load *L, Inventory *inv)
{
    size_t n;
    char dname[NC_MAX_NAME + 1];
    nc_inq_dim(L->ncid, L->secdim, dname, &n);
    if (n < 1) return bg_fail(L->e, BG_EINPUT, L->path, dname, "no sectors");
    /* The coordinate variable of the dimension, else any string/char variable along it. */
    int nvars, vid = -1;
    nc_inq_nvars(L->ncid, &nvars);
    for (int pass = 0; pass < 2 && vid < 0; pass++)
        for (int v = 0; v < nvars && vid < 0; v++) {
            char vn[NC_MAX_NAME + 1];
            nc_type t;
            int nd, dims[NC_MAX_VAR_DIMS];
            nc_inq_var(L->ncid, v, vn, &t, &nd, dims, NULL);
            if (pass == 0 && strcmp(vn, dname)) continue;
            if (nd >= 1 && dims[0] == L->secdim &&
                ((t == NC_STRING && nd == 1) || (t == NC_CHAR && nd == 2)))
                vid = v;
        }
    if (vid < 0)
        return bg_fail(L->e, BG_EINPUT, L->path, dname,
                       "no string or char variable naming the sectors");
    char vn[NC_MAX_NAME + 1];
    nc_type t;
    int nd, dims[NC_MAX_VAR_DIMS];
    nc_inq_var(L->ncid, vid, vn, &t, &nd, dims, NULL);
    inv->sectors = calloc(n, sizeof *inv->sectors);
    if (!inv->sectors) return bg_fail(L->e, BG_EFAIL, L->path, vn, "out of memory");
    inv->nsector = (int)n;
    int st;
    if (t == NC_STRING) {
        char **s = calloc(n, sizeof *s);
        if (!s) return bg_fail(L->e, BG_EFAIL, L->path, vn, "out of memory");
        st = nc_get_var_string(L->ncid, vid, s);
        if (st == NC_NOERR) {
            for (size_t k = 0; k < n; k++) inv->sectors[k] = strdup(s[k] ? s[k] : "");
            nc_free_string(n, s);
        }
        free(s);
    } else {
        size_t sl;
        nc_inq_dimlen(L->ncid, dims[1], &sl);
        char *s = calloc(n * sl + 1, 1);
        if (!s) return bg_fail(L->e, BG_EFAIL, L->path, vn, "out of memory");
        st = nc_get_var_text(L->ncid, vid, s);
        if (st == NC_NOERR)
            for (size_t k = 0; k < n; k++) {
                char *one = calloc(sl + 1, 1);
                if (one) memcpy(one, s + k * sl, sl);
                inv->sectors[k] = one;
            }
        free(s);
    }
    if (st != NC_NOERR) return nc_fail(L->e, L->path, vn, st);
    for (size_t k = 0; k < n; k++) {
        char *s = inv->sectors[k];
        if (!s) return bg_fail(L->e, BG_EFAIL, L->path, vn, "out of memory");
        size_t a = 0, b = strlen(s);
        while (a < b && isspace((unsigned char)s[a])) a++;
        while (b > a && isspace((unsigned char)s[b - 1])) b--;
        memmove(s, s + a, b - a);
        s[b - a] = 0;
        if (!*s) return bg_fail(L->e, BG_EINPUT, L->path, vn, "sector %zu has an empty name", k);
        for (size_t q = 0; q < k; q++)
            if (!strcmp(inv->sectors[q], s))
                return bg_fail(L->e, BG_EINPUT, L->path, vn, "sector '%s' appears twice", s);
    }
    return BG_OK;
}

/* Fill values that mark missing data (CF 2.5.1); NaN is missing only if one of them is NaN. */
typedef struct {
    double v[9];
    int n, nan;
    double scale, offset;
} Missing;

static void read_missing(int ncid, int varid, Missing *m)
{
    m->n = 0;
    m->nan = 0;
    const char *names[2] = {"_FillValue", "missing_value"};
    for (int a = 0; a < 2; a++) {
        size_t len;
        if (nc_inq_attlen(ncid, varid, names[a], &len) != NC_NOERR || len < 1 || len > 8) continue;
        double tmp[8];
        if (nc_get_att_double(ncid, varid, names[a], tmp) != NC_NOERR) continue;
        for (size_t k = 0; k < len; k++) {
            if (isnan(tmp[k])) m->nan = 1;
            else m->v[m->n++] = tmp[k];
        }
    }
    m->scale = 1.0;
    m->offset = 0.0;
    nc_get_att_double(ncid, varid, "scale_factor", &m->scale);
    nc_get_att_double(ncid, varid, "add_offset", &m->offset);
}

static void where(const Load *L, const Inventory *inv, int s, int sec, int mon, char *buf,
                  size_t n)
{
    int j = s / L->nlon, i = s % L->nlon;
    char m[32] = "";
    if (mon >= 0) snprintf(m, sizeof m, ", month %d", mon + 1);
    if (L->map.identity)
        snprintf(buf, n, "cell [j=%d,i=%d], sector '%s'%s", j, i, inv->sectors[sec], m);
    else
        snprintf(buf, n, "cell lon %g, lat %g, sector '%s'%s", L->lon_c[i], L->lat_c[j],
                 inv->sectors[sec], m);
}

/* Neumaier's compensated sum: the totals of a large file stay exact to ~1e-16. */
typedef struct {
    double s, c;
} KSum;

static void ksum_add(KSum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x)) k->c += (k->s - t) + x;
    else k->c += (x - t) + k->s;
    k->s = t;
}

/* Contribution of a field value in month m to the mean rate over a 365-day year (kg s-1). */
static double mean_weight(int kind, int nmonth, int m)
{
    const double yr = 365.0 * DAY_S;
    if (nmonth == 1) return kind == 0 ? 1.0 : kind == 1 ? 12.0 / yr : 1.0 / yr;
    return kind == 0 ? MONTH_DAYS[m] / 365.0 : kind == 1 ? 1.0 / yr : MONTH_DAYS[m] / 365.0 / yr;
}

static int read_species(Load *L, Inventory *inv, int isp, int varid, ut_system *sys)
{
    const char *vname = inv->varnames[isp];
    int nd, dims[NC_MAX_VAR_DIMS], role[NC_MAX_VAR_DIMS];
    size_t len[NC_MAX_VAR_DIMS];
    BG_TRY(map_dims(L, varid, vname, &nd, dims, len, role));
    if (!L->cand_of) { /* the cells that reach the domain, once the map exists */
        size_t nsrc = (size_t)L->map.nsrc;
        L->cand_of = malloc(nsrc * sizeof *L->cand_of);
        L->ncand = regrid_cells_inside(&L->map, NULL);
        L->cand = malloc((L->ncand ? L->ncand : 1) * sizeof *L->cand);
        if (!L->cand_of || !L->cand) return bg_fail(L->e, BG_EFAIL, L->path, NULL, "out of memory");
        regrid_cells_inside(&L->map, L->cand);
        for (size_t s = 0; s < nsrc; s++) L->cand_of[s] = -1;
        for (size_t c = 0; c < L->ncand; c++) L->cand_of[L->cand[c]] = (int)c;
    }

    char *units = get_text_att(L->ncid, varid, "units");
    char *cm = get_text_att(L->ncid, varid, "cell_methods");
    UnitConv uc = {0};
    int rc = parse_units(sys, units, cm, &uc, L->path, vname, L->e);
    inv->units[isp] = units ? units : strdup("");
    free(cm);
    if (rc != BG_OK) return rc;
    inv->kind[isp] = uc.kind;

    int pm = -1, ps = -1, py = -1, px = -1;
    for (int k = 0; k < nd; k++) {
        if (role[k] == R_MONTH) pm = k;
        if (role[k] == R_SECTOR) ps = k;
        if (role[k] == R_Y) py = k;
        if (role[k] == R_X) px = k;
    }
    const int nmv = pm >= 0 ? 12 : 1, nsec = inv->nsector, nf = nsec * nmv;
    const size_t ncand = L->ncand;
    Missing miss;
    read_missing(L->ncid, varid, &miss);

    double *vals = calloc((size_t)nf * (ncand ? ncand : 1), sizeof *vals);
    KSum *tot = calloc((size_t)nf, sizeof *tot), *outn = calloc((size_t)nf, sizeof *outn);
    double *outc = calloc((size_t)nf, sizeof *outc);
    /* Dimensions inner to `d` are read whole, `d` in blocks, outer ones one index at a time:
     * every read is one contiguous run of the variable. */
    size_t inner = 1;
    int d = nd - 1;
    while (d >= 0 && inner * len[d] <= CHUNK_ELEMS) inner *= len[d--];
    size_t bl = d >= 0 ? CHUNK_ELEMS / inner : 1;
    double *buf = malloc((d >= 0 ? inner * bl : inner) * sizeof *buf);
    if (!vals || !tot || !outn || !outc || !buf) {
        rc = bg_fail(L->e, BG_EFAIL, L->path, vname, "out of memory");
        goto done;
    }
    size_t start[NC_MAX_VAR_DIMS], count[NC_MAX_VAR_DIMS], idx[NC_MAX_VAR_DIMS];
    for (int k = 0; k < nd; k++) {
        start[k] = 0;
        count[k] = k > d ? len[k] : k == d ? (bl < len[k] ? bl : len[k]) : 1;
    }
    const Grid *g = L->g;
    const double R2 = BG_EARTH_RADIUS_M * BG_EARTH_RADIUS_M;
    for (;;) {
        int st = nc_get_vara_double(L->ncid, varid, start, count, buf);
        if (st != NC_NOERR) {
            rc = nc_fail(L->e, L->path, vname, st);
            goto done;
        }
        size_t nbuf = 1;
        for (int k = 0; k < nd; k++) nbuf *= count[k], idx[k] = start[k];
        for (size_t q = 0; q < nbuf; q++) {
            double v = buf[q];
            int mon = pm >= 0 ? (int)idx[pm] : 0, sec = (int)idx[ps];
            int s = (int)(idx[py] * (size_t)L->nlon + idx[px]);
            int missing = isnan(v) ? miss.nan : 0;
            for (int a = 0; a < miss.n && !missing; a++) missing = v == miss.v[a];
            if (missing) {
                v = 0;
            } else if (isnan(v) || isinf(v)) {
                char wb[256];
                where(L, inv, s, sec, pm >= 0 ? mon : -1, wb, sizeof wb);
                rc = bg_fail(L->e, BG_EINPUT, L->path, vname,
                             "%s at %s, and neither _FillValue nor missing_value is NaN to mark "
                             "it missing",
                             isnan(v) ? "NaN" : "infinite value", wb);
                goto done;
            } else if (v == NC_FILL_DOUBLE || v == (double)NC_FILL_FLOAT) {
                /* Unwritten data (the NetCDF default fill) is not taken for ocean. */
                char wb[256];
                where(L, inv, s, sec, pm >= 0 ? mon : -1, wb, sizeof wb);
                rc = bg_fail(L->e, BG_EINPUT, L->path, vname,
                             "the NetCDF default fill value %g (unwritten data) at %s, and no "
                             "_FillValue/missing_value attribute marks it missing",
                             v, wb);
                goto done;
            } else {
                v = v * miss.scale + miss.offset;
                if (v < 0) {
                    char wb[256];
                    where(L, inv, s, sec, pm >= 0 ? mon : -1, wb, sizeof wb);
                    rc = bg_fail(L->e, BG_EINPUT, L->path, vname,
                                 "negative emission %g %s at %s", v, inv->units[isp], wb);
                    goto done;
                }
            }
            if (v > 0) {
                double area = L->map.identity
                                  ? g->area[s]
                                  : R2 * L->dlon_r[s % L->nlon] * L->dsin[s / L->nlon];
                double amount = v * uc.factor * (uc.flux ? area : 1.0);
                /* The shortest calendar unit gives the largest rate. */
                double secs = uc.kind == 0 ? 1.0
                              : uc.kind == 1 ? (pm >= 0 ? MONTH_DAYS[mon] : 28) * DAY_S
                                             : 365.0 * DAY_S;
                double fd = amount / area / secs;
                if (!(fd <= INVENTORY_MAX_FLUX)) {
                    char wb[256];
                    where(L, inv, s, sec, pm >= 0 ? mon : -1, wb, sizeof wb);
                    rc = bg_fail(L->e, BG_EINPUT, L->path, vname,
                                 "%g %s at %s is a flux density of %.3g kg m-2 s-1, above "
                                 "the plausible %g (a unit slip of 1000 or 3600?)",
                                 v, inv->units[isp], wb, fd, INVENTORY_MAX_FLUX);
                    goto done;
                }
                int f = sec * nmv + mon, c = L->cand_of[s];
                ksum_add(&tot[f], amount);
                if (c >= 0) vals[(size_t)f * ncand + (size_t)c] = amount;
                else ksum_add(&outn[f], amount);
            }
            for (int k = nd - 1; k >= 0; k--) { /* next element of the block */
                if (++idx[k] < start[k] + count[k]) break;
                idx[k] = start[k];
            }
        }
        /* next block */
        int k = d;
        for (; k >= 0; k--) {
            start[k] += count[k];
            if (start[k] < len[k]) break;
            start[k] = 0;
        }
        if (k < 0) break;
        if (d >= 0) count[d] = bl < len[d] - start[d] ? bl : len[d] - start[d];
    }

    /* Regridding: independent fields, so the result does not depend on the thread count.  A
     * month that is not held is regridded into scratch for the domain total only. */
    const size_t n2 = (size_t)g->nx * g->ny;
    const int nmonth = inv->nmonth, nkeep = inv->nkeep;
    int first_held = 0;
    while (first_held < 11 && inv->slot[first_held] < 0) first_held++;
    double *insum = calloc((size_t)nf, sizeof *insum);
    unsigned char *nz = calloc((size_t)nf, 1);
    const int nthr = omp_get_max_threads();
    double *scratch = malloc((size_t)nthr * n2 * sizeof *scratch);
    if (!insum || !nz || !scratch) {
        free(insum);
        free(nz);
        free(scratch);
        rc = bg_fail(L->e, BG_EFAIL, L->path, vname, "out of memory");
        goto done;
    }
#pragma omp parallel for schedule(static)
    for (int f = 0; f < nf; f++) {
        int sec = f / nmv, mon = f % nmv;
        /* a field without months is held in the first held month's place (copied below) */
        int k = nmv == 1 ? inv->slot[first_held] : inv->slot[mon];
        double *dst = k >= 0 ? inv->field + (((size_t)isp * nsec + sec) * nkeep + k) * n2
                             : scratch + (size_t)omp_get_thread_num() * n2;
        regrid_apply_list(&L->map, ncand, L->cand, vals + (size_t)f * ncand, dst, &outc[f]);
        double in = 0;
        int any = 0;
        for (size_t n = 0; n < n2; n++) {
            in += dst[n];
            any |= dst[n] != 0.0;
        }
        insum[f] = in;
        nz[f] = (unsigned char)any;
    }
    for (int sec = 0; sec < nsec; sec++) {
        double *f0 = inv->field + ((size_t)isp * nsec + sec) * nkeep * n2;
        /* a field without months fills every held month */
        if (nmv == 1)
            for (int k = 0; k < nkeep; k++)
                if (k != inv->slot[first_held]) memcpy(f0 + (size_t)k * n2, f0 + (size_t)inv->slot[first_held] * n2, n2 * sizeof *f0);
        for (int mon = 0; mon < nmv; mon++) inv->nonzero[(size_t)isp * nsec + sec] |= nz[sec * nmv + mon];
    }
    double tsum = 0, osum = 0, isum = 0;
    for (int sec = 0; sec < nsec; sec++)
        for (int mon = 0; mon < nmonth; mon++) {
            int f = sec * nmv + (nmv == 1 ? 0 : mon);
            double in = insum[f];
            double w = mean_weight(uc.kind, nmonth, mon);
            tsum += (tot[f].s + tot[f].c) * w;
            osum += (outn[f].s + outn[f].c + outc[f]) * w;
            isum += in * w;
        }
    inv->total_kg_s[isp] = tsum;
    inv->outside_kg_s[isp] = osum;
    inv->inside_kg_s[isp] = isum;
    free(insum);
    free(nz);
    free(scratch);
done:
    free(vals);
    free(tot);
    free(outn);
    free(outc);
    free(buf);
    return rc;
}

static int canonical(const char *name)
{
    for (int k = 0; k < NKNOWN; k++)
        if (!strcmp(name, KNOWN[k])) return k;
    return -1;
}

/* Variables of the known species: exact names first, then case variants and aliases. */
static int find_species(int ncid, int *varid)
{
    int nvars, n = 0;
    nc_inq_nvars(ncid, &nvars);
    for (int k = 0; k < NKNOWN; k++) varid[k] = -1;
    for (int pass = 0; pass < 2; pass++)
        for (int v = 0; v < nvars; v++) {
            char name[NC_MAX_NAME + 1];
            nc_inq_varname(ncid, v, name);
            int k = pass == 0 ? canonical(name) : -1;
            if (pass == 1) {
                for (int a = 0; a < NKNOWN && k < 0; a++)
                    if (!strcasecmp(name, KNOWN[a])) k = a;
                for (size_t a = 0; a < sizeof ALIAS / sizeof *ALIAS && k < 0; a++)
                    if (!strcasecmp(name, ALIAS[a][0])) k = canonical(ALIAS[a][1]);
            }
            if (k >= 0 && varid[k] < 0) varid[k] = v, n++;
        }
    return n;
}

static int load(Inventory *inv, Load *L, ut_system *sys)
{
    int ncid = L->ncid;
    int spv[NKNOWN];
    int nsp = find_species(ncid, spv);
    if (!nsp)
        return bg_fail(L->e, BG_EINPUT, L->path, NULL,
                       "no emission species found (looked for variables SO2, NOx, NH3, VOC, "
                       "CO, PM25, PM10, BC, OC)");
    const size_t n2 = (size_t)L->g->nx * L->g->ny;
    inv->nx = L->g->nx;
    inv->ny = L->g->ny;
    inv->nspec = nsp;
    inv->species = calloc((size_t)nsp, sizeof *inv->species);
    inv->varnames = calloc((size_t)nsp, sizeof *inv->varnames);
    inv->units = calloc((size_t)nsp, sizeof *inv->units);
    inv->kind = calloc((size_t)nsp, sizeof *inv->kind);
    inv->total_kg_s = calloc((size_t)nsp, sizeof *inv->total_kg_s);
    inv->outside_kg_s = calloc((size_t)nsp, sizeof *inv->outside_kg_s);
    inv->inside_kg_s = calloc((size_t)nsp, sizeof *inv->inside_kg_s);
    if (!inv->species || !inv->varnames || !inv->units || !inv->kind || !inv->total_kg_s ||
        !inv->outside_kg_s || !inv->inside_kg_s)
        return bg_fail(L->e, BG_EFAIL, L->path, NULL, "out of memory");
    int varid[NKNOWN];
    for (int k = 0, s = 0; k < NKNOWN; k++)
        if (spv[k] >= 0) {
            char name[NC_MAX_NAME + 1];
            nc_inq_varname(ncid, spv[k], name);
            inv->species[s] = strdup(KNOWN[k]);
            inv->varnames[s] = strdup(name);
            if (!inv->species[s] || !inv->varnames[s])
                return bg_fail(L->e, BG_EFAIL, L->path, NULL, "out of memory");
            varid[s++] = spv[k];
        }

    /* Dimensions. */
    if (nc_inq_dimid(ncid, "sector", &L->secdim) != NC_NOERR &&
        nc_inq_dimid(ncid, "sectors", &L->secdim) != NC_NOERR)
        L->secdim = -1;
    if (nc_inq_dimid(ncid, "month", &L->mondim) == NC_NOERR) {
        size_t nm;
        nc_inq_dimlen(ncid, L->mondim, &nm);
        if (nm != 12)
            return bg_fail(L->e, BG_EINPUT, L->path, "month",
                           "the month dimension has length %zu, not 12", nm);
    } else {
        L->mondim = -1;
    }
    inv->nmonth = 1;
    for (int s = 0; s < nsp; s++) {
        int nd, dims[NC_MAX_VAR_DIMS];
        nc_inq_varndims(ncid, varid[s], &nd);
        nc_inq_vardimid(ncid, varid[s], dims);
        for (int k = 0; k < nd; k++)
            if (dims[k] == L->mondim) inv->nmonth = 12;
        int has = 0;
        for (int k = 0; k < nd; k++) has |= L->secdim >= 0 && dims[k] == L->secdim;
        if (!has) {
            int role[NC_MAX_VAR_DIMS];
            size_t len[NC_MAX_VAR_DIMS];
            return map_dims(L, varid[s], inv->varnames[s], &nd, dims, len, role);
        }
    }
    BG_TRY(read_sectors(L, inv));

    /* Coordinates: 1-D lon-lat, or the model grid (2-D XLAT/XLONG-like, or none). */
    static const char *const LON[] = {"lon", "longitude", "XLONG", "XLONG_M", NULL};
    static const char *const LAT[] = {"lat", "latitude", "XLAT", "XLAT_M", NULL};
    int lonv = -1, latv = -1;
    int has_lon = find_var_ci(ncid, LON, &lonv), has_lat = find_var_ci(ncid, LAT, &latv);
    L->ydim = L->xdim = -1;
    if (has_lon != has_lat)
        return bg_fail(L->e, BG_EINPUT, L->path, has_lon ? "lat" : "lon",
                       "missing coordinate variable (%s found, %s not)", has_lon ? "lon" : "lat",
                       has_lon ? "lat" : "lon");
    if (has_lon) {
        int ndl, ndt;
        char ln[NC_MAX_NAME + 1], tn[NC_MAX_NAME + 1];
        nc_inq_varndims(ncid, lonv, &ndl);
        nc_inq_varndims(ncid, latv, &ndt);
        nc_inq_varname(ncid, lonv, ln);
        nc_inq_varname(ncid, latv, tn);
        if (ndl == 1 && ndt == 1) BG_TRY(setup_lonlat(L, lonv, latv));
        else if (ndl >= 2 && ndt >= 2) BG_TRY(setup_model_grid_coords(L, lonv, latv, ln, tn));
        else
            return bg_fail(L->e, BG_EINPUT, L->path, ndl == 1 ? tn : ln,
                           "lon and lat must both be 1-D (a lon-lat grid) or both 2-D (the "
                           "model grid)");
    }
    /* Without coordinates the first species' dimensions decide (map_dims). */

    /* the months held: those asked for (all when the file has no month dimension) */
    inv->nkeep = 0;
    if (inv->nmonth == 12) {
        unsigned want = L->months & 0xfffu ? L->months & 0xfffu : 0xfffu;
        for (int mo = 0; mo < 12; mo++) inv->slot[mo] = want >> mo & 1u ? inv->nkeep++ : -1;
    } else {
        inv->nkeep = 1;
        for (int mo = 0; mo < 12; mo++) inv->slot[mo] = 0;
    }
    inv->nonzero = calloc((size_t)nsp * inv->nsector, sizeof *inv->nonzero);
    if (!inv->nonzero) return bg_fail(L->e, BG_EFAIL, L->path, NULL, "out of memory");
    size_t nfield = (size_t)nsp * inv->nsector * inv->nkeep;
    if (nfield > SIZE_MAX / sizeof(double) / (n2 ? n2 : 1))
        return bg_fail(L->e, BG_EFAIL, L->path, NULL, "inventory too large");
    inv->field = calloc(nfield * n2, sizeof *inv->field);
    if (!inv->field)
        return bg_fail(L->e, BG_EFAIL, L->path, NULL,
                       "out of memory for %zu regridded fields of %zu cells", nfield, n2);
    for (int s = 0; s < nsp; s++) BG_TRY(read_species(L, inv, s, varid[s], sys));
    inv->on_model_grid = L->map.identity;
    return BG_OK;
}

int inventory_load(Inventory *inv, const char *path, const Grid *g, BgErr *e)
{
    return inventory_load_months(inv, path, g, 0xfffu, e);
}

unsigned inventory_months_of(double t0, double t1)
{
    int y0, m0, y1, m1;
    civil_from_time(t0, &y0, &m0);
    civil_from_time(t1, &y1, &m1);
    long a = (long)y0 * 12 + m0, b = (long)y1 * 12 + m1;
    if (b < a || b - a >= 11) return 0xfffu;
    unsigned bits = 0;
    for (long k = a; k <= b; k++) bits |= 1u << (k % 12);
    return bits;
}

int inventory_nstored(const Inventory *inv) { return inv->nkeep ? inv->nkeep : inv->nmonth; }

int inventory_load_months(Inventory *inv, const char *path, const Grid *g, unsigned months, BgErr *e)
{
    memset(inv, 0, sizeof *inv);
    Load L;
    memset(&L, 0, sizeof L);
    L.months = months;
    L.path = path;
    L.g = g;
    L.e = e;
    int st = nc_open(path, NC_NOWRITE, &L.ncid);
    if (st != NC_NOERR) return nc_fail(e, path, NULL, st);
    /* udunits2 prints its own diagnostics to stderr by default; Bogda reports one line. */
    ut_error_message_handler old = ut_set_error_message_handler(ut_ignore);
    ut_system *sys = ut_read_xml(NULL);
    int rc;
    if (!sys)
        rc = bg_fail(e, BG_EFAIL, path, NULL,
                     "cannot read the udunits2 database (UDUNITS2_XML_PATH or the default)");
    else
        rc = load(inv, &L, sys);
    if (sys) ut_free_system(sys);
    ut_set_error_message_handler(old);
    nc_close(L.ncid);
    load_free(&L);
    if (rc != BG_OK) inventory_free(inv);
    return rc;
}

void inventory_rate(const Inventory *inv, int isp, int isec, double t, double *out)
{
    int year, mon;
    civil_from_time(t, &year, &mon);
    const size_t n2 = (size_t)inv->nx * inv->ny;
    const int k = inv->nmonth != 12 ? 0 : inv->nkeep ? inv->slot[mon] : mon;
    if (k < 0) { /* a month not held: the caller asked outside its window */
        for (size_t n = 0; n < n2; n++) out[n] = NAN;
        return;
    }
    const double *f = inv->field + (((size_t)isp * inv->nsector + isec) * inventory_nstored(inv) + k) * n2;
    int kind = inv->kind[isp];
    if (kind == 0) {
        memcpy(out, f, n2 * sizeof *out);
        return;
    }
    double secs = (kind == 1 ? days_in_month(year, mon) : is_leap(year) ? 366 : 365) * DAY_S;
    for (size_t n = 0; n < n2; n++) out[n] = f[n] / secs;
}

int inventory_species_index(const Inventory *inv, const char *name)
{
    for (int k = 0; k < inv->nspec; k++)
        if (!strcmp(inv->species[k], name)) return k;
    for (int k = 0; k < inv->nspec; k++)
        if (!strcmp(inv->varnames[k], name)) return k;
    return -1;
}

int inventory_sector_index(const Inventory *inv, const char *name)
{
    for (int k = 0; k < inv->nsector; k++)
        if (!strcmp(inv->sectors[k], name)) return k;
    return -1;
}

void inventory_free(Inventory *inv)
{
    if (!inv) return;
    for (int k = 0; k < inv->nsector && inv->sectors; k++) free(inv->sectors[k]);
    for (int k = 0; k < inv->nspec; k++) {
        if (inv->species) free(inv->species[k]);
        if (inv->varnames) free(inv->varnames[k]);
        if (inv->units) free(inv->units[k]);
    }
    free(inv->sectors);
    free(inv->species);
    free(inv->varnames);
    free(inv->units);
    free(inv->field);
    free(inv->nonzero);
    free(inv->kind);
    free(inv->outside_kg_s);
    free(inv->total_kg_s);
    free(inv->inside_kg_s);
    memset(inv, 0, sizeof *inv);
}
