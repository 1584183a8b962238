/* WRF output read directly: validation of every file before the first step, derived fields of
 * each record, and linear interpolation in time between the two bracketing records.
 *
 * Constants are WRF ARW's (share/module_model_constants.F): g = 9.81 m s-2, r_d = 287 and
 * cp = 7 r_d / 2 = 1004.5 J kg-1 K-1, r_v = 461.6 J kg-1 K-1, p1000mb = 1e5 Pa, t0 = 300 K.  Using
 * WRF's own values keeps T, rho and the geopotential heights consistent with the model that wrote
 * them (287.04 and 1004.6 are the NMM core's values in the same file). */
#include "met.h"

#include <math.h>
#include <netcdf.h>
#include <omp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kz.h"
#include "timeutil.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define GRAV 9.81       /* m s-2 */
#define RD 287.0        /* J kg-1 K-1, dry air */
#define CP (3.5 * RD)   /* J kg-1 K-1, 1004.5 */
#define RV 461.6        /* J kg-1 K-1, water vapour */
#define P1000 1e5       /* Pa, reference pressure of theta */
#define THETA0 300.0    /* K, WRF's T is theta - t0 */

/* The first interface height (PH+PHB)/g - HGT is zero up to float round-off of PHB (a few cm at
 * 5 km terrain); more than this means HGT and PHB do not belong together. */
#define ZF0_TOL_M 5.0

/* Default of Met.omp_min_cells: below this many cells a parallel region costs more than the work
 * (thread wake-up on a busy 2-core machine is ~0.1 ms); the results do not depend on it. */
#define PAR_MIN_CELLS 50000

/* ---- variables read ------------------------------------------------------------------------ */

enum Shape {
    S_MASS,  /* (Time, bottom_top, south_north, west_east) */
    S_STAGX, /* (Time, bottom_top, south_north, west_east_stag) */
    S_STAGY, /* (Time, bottom_top, south_north_stag, west_east) */
    S_STAGZ, /* (Time, bottom_top_stag, south_north, west_east) */
    S_SURF,  /* (Time, south_north, west_east) */
    S_STATIC,/* ([Time,] south_north, west_east) */
    S_EXCH   /* (Time, bottom_top or bottom_top_stag, south_north, west_east) */
};

enum {
    V_U, V_V, V_PH, V_PHB, V_P, V_PB, V_T, V_QVAPOR, V_HGT, V_PBLH, V_UST, V_HFX, V_SWDOWN, V_T2,
    V_RAINNC,
    N_REQUIRED,
    V_W = N_REQUIRED, V_QCLOUD, V_QRAIN, V_QSNOW, V_RAINC, V_SNOWC, V_PSFC, V_EXCH_H,
    NVAR
};

/* Plausible ranges catch unit mistakes (Celsius, hPa, g/kg) and corrupted data, not weather:
 * they are wide on purpose.  Small negative mixing ratios are WRF advection undershoots. */
typedef struct {
    const char *name;
    int shape;
    double lo, hi;
    const char *unit;
    const char *low_hint, *high_hint;
} VarSpec;

static const VarSpec VARS[NVAR] = {
    [V_U] = {"U", S_STAGX, -150, 150, "m s-1", NULL, NULL},
    [V_V] = {"V", S_STAGY, -150, 150, "m s-1", NULL, NULL},
    [V_PH] = {"PH", S_STAGZ, -5e4, 5e4, "m2 s-2", NULL, NULL},
    [V_PHB] = {"PHB", S_STAGZ, -1e4, 1e6, "m2 s-2", NULL, NULL},
    [V_P] = {"P", S_MASS, -5e4, 5e4, "Pa", NULL, NULL},
    [V_PB] = {"PB", S_MASS, 0, 1.1e5, "Pa", NULL, NULL},
    [V_T] = {"T", S_MASS, -200, 1700, "K", NULL,
             "T must be the perturbation potential temperature theta - 300 K"},
    [V_QVAPOR] = {"QVAPOR", S_MASS, -1e-3, 0.1, "kg kg-1", NULL, "g kg-1 instead of kg kg-1?"},
    [V_HGT] = {"HGT", S_STATIC, -500, 9000, "m", NULL, NULL},
    [V_PBLH] = {"PBLH", S_SURF, 0, 1e4, "m", NULL, NULL},
    [V_UST] = {"UST", S_SURF, 0, 20, "m s-1", NULL, NULL},
    [V_HFX] = {"HFX", S_SURF, -2000, 3000, "W m-2", NULL, NULL},
    [V_SWDOWN] = {"SWDOWN", S_SURF, 0, 1500, "W m-2", NULL, NULL},
    [V_T2] = {"T2", S_SURF, 150, 350, "K", "below 150 K: degrees Celsius instead of K?", NULL},
    [V_RAINNC] = {"RAINNC", S_SURF, 0, 1e6, "mm", NULL, NULL},
    [V_W] = {"W", S_STAGZ, -100, 100, "m s-1", NULL, NULL},
    [V_QCLOUD] = {"QCLOUD", S_MASS, -1e-3, 0.1, "kg kg-1", NULL, NULL},
    [V_QRAIN] = {"QRAIN", S_MASS, -1e-3, 0.1, "kg kg-1", NULL, NULL},
    [V_QSNOW] = {"QSNOW", S_MASS, -1e-3, 0.1, "kg kg-1", NULL, NULL},
    [V_RAINC] = {"RAINC", S_SURF, 0, 1e6, "mm", NULL, NULL},
    [V_SNOWC] = {"SNOWC", S_SURF, 0, 1, "1", NULL, NULL},
    [V_PSFC] = {"PSFC", S_SURF, 2.5e4, 1.1e5, "Pa", "hPa instead of Pa?", NULL},
    [V_EXCH_H] = {"EXCH_H", S_EXCH, 0, 1e4, "m2 s-1", NULL, NULL},
};

static const char *REQ_ATTS[] = {"MAP_PROJ", "TRUELAT1", "TRUELAT2", "STAND_LON", "MOAD_CEN_LAT",
                                 "CEN_LAT", "CEN_LON", "DX", "DY"};
#define N_REQ_ATTS ((int)(sizeof REQ_ATTS / sizeof *REQ_ATTS))

/* Checks on derived quantities, reported like variables. */
enum { D_PLOW, D_THETALOW, D_DZ, D_ZF0, D_NONFINITE, ND };
static const char *const D_NAME[ND] = {"P,PB", "T", "PH,PHB", "PH,PHB,HGT", "derived fields"};

/* ---- problem accounting: count and first occurrence, so one message says it all ------------ */

typedef struct {
    long n;
    int t, k, j, i; /* first occurrence; k = -1 for 2-D */
    double val;
} Bad;

typedef struct {
    Bad nonfinite[NVAR], range[NVAR], derived[ND];
    const char *nonfinite_field; /* name of the first derived field with a non-finite value */
} Checks;

static void bad_add(Bad *b, int t, int k, int j, int i, double val)
{
    if (b->n++ == 0) {
        b->t = t;
        b->k = k;
        b->j = j;
        b->i = i;
        b->val = val;
    }
}

static int bad_where(char *s, size_t cap, const Bad *b)
{
    if (b->k >= 0) return snprintf(s, cap, "[t=%d,k=%d,j=%d,i=%d]", b->t, b->k, b->j, b->i);
    return snprintf(s, cap, "[t=%d,j=%d,i=%d]", b->t, b->j, b->i);
}

/* Appends "name: text" to a problem list; items collects the names for the message prefix. */
typedef struct {
    char items[256];
    char text[900];
    int n;
} Problems;

static void prob_add(Problems *p, const char *item, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void prob_add(Problems *p, const char *item, const char *fmt, ...)
{
    size_t li = strlen(p->items), lt = strlen(p->text);
    if (li < sizeof p->items)
        snprintf(p->items + li, sizeof p->items - li, "%s%s", p->n ? "," : "", item);
    if (lt < sizeof p->text) {
        int m = snprintf(p->text + lt, sizeof p->text - lt, "%s%s: ", p->n ? "; " : "", item);
        if (m > 0 && lt + (size_t)m < sizeof p->text) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->text + lt + (size_t)m, sizeof p->text - lt - (size_t)m, fmt, ap);
            va_end(ap);
        }
    }
    p->n++;
}

/* One problem: "<file>:<item>: <text>"; several: "<file>:<items>: <item>: <text>; <item>: ...". */
static int prob_report(const Problems *p, const char *path, BgErr *e)
{
    if (p->n == 0) return BG_OK;
    if (p->n == 1) {
        const char *colon = strstr(p->text, ": ");
        return bg_fail(e, BG_EINPUT, path, p->items, "%s", colon ? colon + 2 : p->text);
    }
    return bg_fail(e, BG_EINPUT, path, p->items, "%s", p->text);
}

static void checks_report(const Checks *c, Problems *p)
{
    char w[64];
    for (int v = 0; v < NVAR; v++) {
        const Bad *b = &c->nonfinite[v];
        if (b->n) {
            bad_where(w, sizeof w, b);
            prob_add(p, VARS[v].name, "%ld NaN/Inf values, first at %s", b->n, w);
        }
    }
    for (int v = 0; v < NVAR; v++) {
        const Bad *b = &c->range[v];
        if (!b->n) continue;
        bad_where(w, sizeof w, b);
        const char *hint = b->val < VARS[v].lo ? VARS[v].low_hint : VARS[v].high_hint;
        char hs[128] = "";
        if (hint) snprintf(hs, sizeof hs, " (%s)", hint);
        prob_add(p, VARS[v].name,
                 "%ld values outside the plausible range [%g, %g] %s, first %g at %s%s", b->n,
                 VARS[v].lo, VARS[v].hi, VARS[v].unit, b->val, w, hs);
    }
    static const char *const what[ND] = {
        "pressure P+PB outside [25000, 110000] Pa at the lowest level or below 100 Pa above "
        "(hPa instead of Pa?)",
        "lowest-level potential temperature T+300 outside [180, 400] K (T must be the perturbation "
        "theta - 300 K)",
        "interface heights (PH+PHB)/g not increasing upwards",
        "(PH+PHB)/g at the ground differs from HGT by more than 5 m (HGT and PHB do not match)",
        "non-finite derived values"};
    for (int d = 0; d < D_NONFINITE; d++) {
        const Bad *b = &c->derived[d];
        if (!b->n) continue;
        bad_where(w, sizeof w, b);
        prob_add(p, D_NAME[d], "%s: %ld cells, first %g at %s", what[d], b->n, b->val, w);
    }
    if (c->derived[D_NONFINITE].n)
        prob_add(p, D_NAME[D_NONFINITE], "%s in %s of record %d, first at flat index %d",
                 what[D_NONFINITE], c->nonfinite_field, c->derived[D_NONFINITE].t,
                 c->derived[D_NONFINITE].i);
}

static int checks_any(const Checks *c)
{
    for (int v = 0; v < NVAR; v++)
        if (c->nonfinite[v].n || c->range[v].n) return 1;
    for (int d = 0; d < ND; d++)
        if (c->derived[d].n) return 1;
    return 0;
}

/* ---- shapes ---------------------------------------------------------------------------------- */

/* Expected lengths of the non-record dimensions of a variable (up to 3) and their count. */
static int shape_dims(const Grid *g, int shape, size_t d[3])
{
    size_t nz = (size_t)g->nz, ny = (size_t)g->ny, nx = (size_t)g->nx;
    switch (shape) {
    case S_MASS: d[0] = nz, d[1] = ny, d[2] = nx; return 3;
    case S_STAGX: d[0] = nz, d[1] = ny, d[2] = nx + 1; return 3;
    case S_STAGY: d[0] = nz, d[1] = ny + 1, d[2] = nx; return 3;
    case S_STAGZ: d[0] = nz + 1, d[1] = ny, d[2] = nx; return 3;
    case S_EXCH: d[0] = nz, d[1] = ny, d[2] = nx; return 3; /* or nz + 1 levels */
    default: d[0] = ny, d[1] = nx; return 2;
    }
}

/* ---- per-file information gathered at open --------------------------------------------------- */

typedef struct {
    int nt;
    double *times;
    int present[NVAR];
} FileInfo;

static int nc_fail(BgErr *e, const char *path, const char *item, int status)
{
    return bg_fail(e, BG_EINPUT, path, item, "%s", nc_strerror(status));
}

static void fmt_dims(char *s, size_t cap, int ncid, int ndims, const int *dimids)
{
    size_t n = (size_t)snprintf(s, cap, "(");
    for (int d = 0; d < ndims && n < cap; d++) {
        char name[NC_MAX_NAME + 1] = "?";
        size_t len = 0;
        nc_inq_dim(ncid, dimids[d], name, &len);
        n += (size_t)snprintf(s + n, cap - n, "%s%s=%zu", d ? ", " : "", name, len);
    }
    if (n < cap) snprintf(s + n, cap - n, ")");
}

/* Dimensions of variable v against the grid; the record dimension must be Times' own. */
static void check_var_dims(int ncid, int varid, int v, int time_dim, const Grid *g, Problems *p)
{
    int ndims, dimids[NC_MAX_VAR_DIMS];
    nc_type type;
    if (nc_inq_var(ncid, varid, NULL, &type, &ndims, dimids, NULL) != NC_NOERR) {
        prob_add(p, VARS[v].name, "cannot be inquired");
        return;
    }
    if (type == NC_CHAR || type == NC_STRING) {
        prob_add(p, VARS[v].name, "is not numeric");
        return;
    }
    size_t want[3];
    int nw = shape_dims(g, VARS[v].shape, want);
    int with_time = VARS[v].shape != S_STATIC || ndims == 3;
    int ok = ndims == nw + with_time;
    if (ok && with_time) ok = dimids[0] == time_dim;
    for (int d = 0; ok && d < nw; d++) {
        size_t len;
        if (nc_inq_dimlen(ncid, dimids[d + with_time], &len) != NC_NOERR) {
            ok = 0;
            break;
        }
        if (d == 0 && VARS[v].shape == S_EXCH && (len == want[0] || len == want[0] + 1)) continue;
        ok = len == want[d];
    }
    if (ok) return;
    char got[256];
    fmt_dims(got, sizeof got, ncid, ndims, dimids);
    if (nw == 3 && VARS[v].shape == S_EXCH)
        prob_add(p, VARS[v].name, "dimensions %s, expected (Time, %zu or %zu, %zu, %zu) for the grid",
                 got, want[0], want[0] + 1, want[1], want[2]);
    else if (nw == 3)
        prob_add(p, VARS[v].name, "dimensions %s, expected (Time, %zu, %zu, %zu) for the grid", got,
                 want[0], want[1], want[2]);
    else
        prob_add(p, VARS[v].name, "dimensions %s, expected (%s%zu, %zu) for the grid", got,
                 VARS[v].shape == S_STATIC ? "[Time,] " : "Time, ", want[0], want[1]);
}

/* Times: char (Time, <string length>), both sizes from the variable's dimensions. */
static int read_times(int ncid, int varid, const char *path, FileInfo *fi, int *time_dim, BgErr *e)
{
    int ndims, dimids[NC_MAX_VAR_DIMS];
    nc_type type;
    int st = nc_inq_var(ncid, varid, NULL, &type, &ndims, dimids, NULL);
    if (st != NC_NOERR) return nc_fail(e, path, "Times", st);
    if (type != NC_CHAR || ndims != 2)
        return bg_fail(e, BG_EINPUT, path, "Times", "expected char Times(Time, <string length>)");
    size_t nt, len;
    if ((st = nc_inq_dimlen(ncid, dimids[0], &nt)) != NC_NOERR ||
        (st = nc_inq_dimlen(ncid, dimids[1], &len)) != NC_NOERR)
        return nc_fail(e, path, "Times", st);
    if (nt < 1) return bg_fail(e, BG_EINPUT, path, "Times", "no records");
    if (len < 10 || len > 64)
        return bg_fail(e, BG_EINPUT, path, "Times", "time strings of %zu characters", len);
    *time_dim = dimids[0];
    char *txt = malloc(nt * len);
    fi->times = malloc(nt * sizeof *fi->times);
    if (!txt || !fi->times) {
        free(txt);
        return bg_fail(e, BG_EFAIL, path, "Times", "out of memory");
    }
    size_t start[2] = {0, 0}, count[2] = {nt, len};
    if ((st = nc_get_vara_text(ncid, varid, start, count, txt)) != NC_NOERR) {
        free(txt);
        return nc_fail(e, path, "Times", st);
    }
    int rc = BG_OK;
    for (size_t r = 0; r < nt; r++) {
        char s[65];
        memcpy(s, txt + r * len, len);
        s[len] = 0;
        for (size_t c = len; c > 0 && (s[c - 1] == ' ' || s[c - 1] == 0); c--) s[c - 1] = 0;
        if (time_parse(s, &fi->times[r])) {
            rc = bg_fail(e, BG_EINPUT, path, "Times", "record %zu: '%s' is not a time", r, s);
            break;
        }
    }
    free(txt);
    fi->nt = (int)nt;
    return rc;
}

static int differs(double a, double b) { return fabs(a - b) > 1e-5 * fmax(1.0, fabs(b)); }

/* Header checks of one file: variables, attributes, dimensions, projection, domain, times. */

/* A classic or 64-bit-offset file cut short (an interrupted copy: WRF's default format) opens
 * without complaint and NetCDF-C returns fill values past its end, which surfaced as
 * misleading value errors ("'' is not a time", implausible map factors, "hPa instead of Pa?").
 * The variables' sizes in the header give a lower bound of the file's length. */
static int check_truncated(int ncid, const char *path, BgErr *e)
{
    int fmt, nvars, unlim;
    if (nc_inq_format(ncid, &fmt) != NC_NOERR ||
        (fmt != NC_FORMAT_CLASSIC && fmt != NC_FORMAT_64BIT_OFFSET && fmt != NC_FORMAT_CDF5))
        return BG_OK;
    if (nc_inq_nvars(ncid, &nvars) != NC_NOERR || nc_inq_unlimdim(ncid, &unlim) != NC_NOERR) return BG_OK;
    size_t nrec = 0;
    if (unlim >= 0) nc_inq_dimlen(ncid, unlim, &nrec);
    unsigned long long need = 0;
    for (int v = 0; v < nvars; v++) {
        nc_type type;
        int nd, dims[NC_MAX_VAR_DIMS];
        size_t tsz, len;
        if (nc_inq_var(ncid, v, NULL, &type, &nd, dims, NULL) != NC_NOERR || nc_inq_type(ncid, type, NULL, &tsz) != NC_NOERR)
            return BG_OK;
        unsigned long long n = tsz;
        for (int d = 0; d < nd; d++) {
            if (dims[d] == unlim) continue;
            if (nc_inq_dimlen(ncid, dims[d], &len) != NC_NOERR) return BG_OK;
            n *= len;
        }
        need += nd > 0 && dims[0] == unlim ? n * nrec : n;
    }
    struct stat sb;
    if (stat(path, &sb) == 0 && (unsigned long long)sb.st_size < need)
        return bg_fail(e, BG_EINPUT, path, NULL,
                       "truncated: %lld bytes, but its header describes at least %llu bytes of data (%zu records)",
                       (long long)sb.st_size, need, nrec);
    return BG_OK;
}

int met_check_variables(const char *path, BgErr *e)
{
    int ncid, st = nc_open(path, NC_NOWRITE, &ncid);
    if (st != NC_NOERR) return nc_fail(e, path, NULL, st);
    if (check_truncated(ncid, path, e)) {
        nc_close(ncid);
        return e->code;
    }
    Problems miss = {0};
    static const char *const grid_vars[] = {"Times", "XLAT", "XLONG"};
    int id;
    for (int v = 0; v < 3; v++)
        if (nc_inq_varid(ncid, grid_vars[v], &id) != NC_NOERR) prob_add(&miss, grid_vars[v], "missing");
    for (int v = 0; v < N_REQUIRED; v++)
        if (nc_inq_varid(ncid, VARS[v].name, &id) != NC_NOERR) prob_add(&miss, VARS[v].name, "missing");
    nc_close(ncid);
    return miss.n ? bg_fail(e, BG_EINPUT, path, miss.items, "required variables missing") : BG_OK;
}

static int check_header(const Grid *g, const char *path, FileInfo *fi, float *buf, BgErr *e)
{
    int ncid, st = nc_open(path, NC_NOWRITE, &ncid);
    if (st != NC_NOERR) return nc_fail(e, path, NULL, st);
    if (check_truncated(ncid, path, e)) {
        nc_close(ncid);
        return e->code;
    }
    int rc = BG_OK;
    Problems miss = {0}, dims = {0}, proj = {0};
    int varids[NVAR], vt, vlat, vlon;
    int has_times = nc_inq_varid(ncid, "Times", &vt) == NC_NOERR;
    int has_lat = nc_inq_varid(ncid, "XLAT", &vlat) == NC_NOERR;
    int has_lon = nc_inq_varid(ncid, "XLONG", &vlon) == NC_NOERR;
    if (!has_times) prob_add(&miss, "Times", "missing");
    if (!has_lat) prob_add(&miss, "XLAT", "missing");
    if (!has_lon) prob_add(&miss, "XLONG", "missing");
    for (int v = 0; v < NVAR; v++) {
        fi->present[v] = nc_inq_varid(ncid, VARS[v].name, &varids[v]) == NC_NOERR;
        if (!fi->present[v] && v < N_REQUIRED) prob_add(&miss, VARS[v].name, "missing");
    }
    int nvar_missing = miss.n;
    const char *proj_names[] = {"MAP_PROJ", "TRUELAT1", "TRUELAT2", "STAND_LON", "MOAD_CEN_LAT",
                                "DX", "DY"};
    double gval[] = {g->map_proj, g->truelat1, g->truelat2, g->stand_lon, g->moad_cen_lat,
                     g->dx, g->dy};
    for (int a = 0; a < N_REQ_ATTS; a++) {
        double val;
        if (nc_get_att_double(ncid, NC_GLOBAL, REQ_ATTS[a], &val) != NC_NOERR) {
            prob_add(&miss, REQ_ATTS[a], "missing");
            continue;
        }
        for (int q = 0; q < 7; q++)
            if (!strcmp(proj_names[q], REQ_ATTS[a]) && differs(val, gval[q]))
                prob_add(&proj, REQ_ATTS[a], "%g in this file, %g in the grid", val, gval[q]);
    }
    if (miss.n) {
        rc = bg_fail(e, BG_EINPUT, path, miss.items, "required %s missing",
                     nvar_missing == miss.n ? "variables"
                     : nvar_missing      ? "variables and global attributes"
                                         : "global attributes");
        goto done;
    }
    if (proj.n) {
        rc = bg_fail(e, BG_EINPUT, path, proj.items,
                     "projection differs from the grid's%s%s%s: %s", g->source[0] ? " (read from " : "", g->source,
                     g->source[0] ? ")" : "", proj.text);
        goto done;
    }
    int time_dim = -1;
    if ((rc = read_times(ncid, vt, path, fi, &time_dim, e)) != BG_OK) goto done;
    for (int v = 0; v < NVAR; v++)
        if (fi->present[v]) check_var_dims(ncid, varids[v], v, time_dim, g, &dims);
    if (dims.n) {
        rc = prob_report(&dims, path, e);
        goto done;
    }

    /* Same domain as the grid: the centres must coincide (the lattice test's tolerance). */
    int vv[2] = {vlat, vlon};
    const double *gv[2] = {g->lat, g->lon};
    const char *names[2] = {"XLAT", "XLONG"};
    size_t n2 = (size_t)g->ny * g->nx;
    for (int a = 0; a < 2 && rc == BG_OK; a++) {
        int ndims;
        size_t start[3] = {0, 0, 0}, count[3] = {1, (size_t)g->ny, (size_t)g->nx};
        if ((st = nc_inq_varndims(ncid, vv[a], &ndims)) != NC_NOERR) {
            rc = nc_fail(e, path, names[a], st);
            break;
        }
        size_t fy = 0, fx = 0;
        int dimids[NC_MAX_VAR_DIMS];
        nc_inq_vardimid(ncid, vv[a], dimids);
        if (ndims == 2 || ndims == 3) {
            nc_inq_dimlen(ncid, dimids[ndims - 2], &fy);
            nc_inq_dimlen(ncid, dimids[ndims - 1], &fx);
        }
        if ((ndims != 2 && ndims != 3) || fy != (size_t)g->ny || fx != (size_t)g->nx) {
            rc = bg_fail(e, BG_EINPUT, path, names[a], "not on the grid's %dx%d mass points",
                         g->ny, g->nx);
            break;
        }
        st = nc_get_vara_float(ncid, vv[a], ndims == 3 ? start : start + 1,
                               ndims == 3 ? count : count + 1, buf);
        if (st != NC_NOERR) {
            rc = nc_fail(e, path, names[a], st);
            break;
        }
        for (size_t n = 0; n < n2; n++) {
            double d = a ? remainder(buf[n] - gv[a][n], 360.0) : buf[n] - gv[a][n];
            if (!(fabs(d) <= 1e-3)) {
                rc = bg_fail(e, BG_EINPUT, path, names[a],
                             "%g at [j=%zu,i=%zu] but %g in the grid: not the same domain",
                             buf[n], n / (size_t)g->nx, n % (size_t)g->nx, gv[a][n]);
                break;
            }
        }
    }
done:
    nc_close(ncid);
    return rc;
}

/* ---- fields ---------------------------------------------------------------------------------- */

typedef struct {
    double **p;
    size_t n;
    const char *name;
} FieldRef;

enum { NFIELDS = 23 }; /* in this order: bit q of a MET_* mask (met.h) */

static int field_refs(MetFields *f, const Grid *g, FieldRef r[NFIELDS])
{
    size_t nx = (size_t)g->nx, ny = (size_t)g->ny, nz = (size_t)g->nz;
    size_t n3 = nz * ny * nx, ni = (nz + 1) * ny * nx, nfx = nz * ny * (nx + 1),
           nfy = nz * (ny + 1) * nx, n2 = ny * nx;
    FieldRef t[NFIELDS] = {
        {&f->airm, n3, "airm"},   {&f->fx, nfx, "fx"},         {&f->fy, nfy, "fy"},
        {&f->rho, n3, "rho"},     {&f->zf, ni, "zf"},          {&f->kz, ni, "kz"},
        {&f->p, n3, "p"},         {&f->t, n3, "t"},            {&f->theta, n3, "theta"},
        {&f->u, nfx, "u"},        {&f->v, nfy, "v"},           {&f->qv, n3, "qv"},
        {&f->qc, n3, "qc"},       {&f->qr, n3, "qr"},          {&f->qs, n3, "qs"},
        {&f->pblh, n2, "pblh"},   {&f->ust, n2, "ust"},        {&f->hfx, n2, "hfx"},
        {&f->swdown, n2, "swdown"}, {&f->t2, n2, "t2"},        {&f->rain, n2, "rain"},
        {&f->snowc, n2, "snowc"}, {&f->psfc, n2, "psfc"}};
    memcpy(r, t, sizeof t);
    return NFIELDS;
}

int met_fields_alloc(MetFields *f, const Grid *g)
{
    memset(f, 0, sizeof *f);
    FieldRef r[NFIELDS];
    field_refs(f, g, r);
    for (int a = 0; a < NFIELDS; a++) {
        *r[a].p = calloc(r[a].n, sizeof(double));
        if (!*r[a].p) {
            met_fields_free(f);
            return BG_EFAIL;
        }
    }
    return BG_OK;
}

void met_fields_free(MetFields *f)
{
    if (!f) return;
    double **all[] = {&f->airm, &f->fx, &f->fy, &f->rho, &f->zf, &f->kz, &f->p, &f->t,
                      &f->theta, &f->u, &f->v, &f->qv, &f->qc, &f->qr, &f->qs, &f->pblh,
                      &f->ust, &f->hfx, &f->swdown, &f->t2, &f->rain, &f->snowc, &f->psfc};
    for (size_t a = 0; a < sizeof all / sizeof *all; a++) free(*all[a]);
    memset(f, 0, sizeof *f);
}

/* ---- reading one record ---------------------------------------------------------------------- */

typedef struct {
    int ncid;
    const char *path;
    int rec; /* record index in the file */
} Src;

/* Reads record s->rec of variable v into dst (as double), counting non-finite and implausible
 * values into c.  EXCH_H with nz levels fills planes 0..nz-1 of an interface array. */
static int read_var(Met *m, const Src *s, int v, double *dst, Checks *c, BgErr *e)
{
    const Grid *g = m->grid;
    int varid, ndims, st;
    if ((st = nc_inq_varid(s->ncid, VARS[v].name, &varid)) != NC_NOERR ||
        (st = nc_inq_varndims(s->ncid, varid, &ndims)) != NC_NOERR)
        return nc_fail(e, s->path, VARS[v].name, st);
    size_t d[3], start[4] = {(size_t)s->rec, 0, 0, 0}, count[4] = {1, 0, 0, 0};
    int nd = shape_dims(g, VARS[v].shape, d);
    if (VARS[v].shape == S_EXCH) {
        int dimids[NC_MAX_VAR_DIMS];
        nc_inq_vardimid(s->ncid, varid, dimids);
        nc_inq_dimlen(s->ncid, dimids[1], &d[0]);
    }
    size_t n = 1;
    for (int a = 0; a < nd; a++) {
        count[a + 1] = d[a];
        n *= d[a];
    }
    if (n > m->nbuf) return bg_fail(e, BG_EFAIL, s->path, VARS[v].name, "read buffer too small");
    int with_time = !(VARS[v].shape == S_STATIC && ndims == 2);
    st = nc_get_vara_float(s->ncid, varid, with_time ? start : start + 1,
                           with_time ? count : count + 1, m->buf);
    if (st != NC_NOERR) return nc_fail(e, s->path, VARS[v].name, st);
    size_t plane = nd == 3 ? d[1] * d[2] : n, ni = d[nd - 1], nj = d[nd - 2];
    for (size_t q = 0; q < n; q++) {
        double x = m->buf[q];
        if (!isfinite(x) || x < VARS[v].lo || x > VARS[v].hi) {
            Bad *b = isfinite(x) ? &c->range[v] : &c->nonfinite[v];
            bad_add(b, s->rec, nd == 3 ? (int)(q / plane) : -1, (int)((q / ni) % nj),
                    (int)(q % ni), x);
        }
        dst[q] = x;
    }
    return BG_OK;
}

/* Accumulated precipitation (RAINNC + RAINC) of the neighbouring record r into acc; its values
 * are validated when r itself is loaded. */
static int read_accum(Met *m, int r, int ncid_of_file, int file_open, double *acc, BgErr *e)
{
    const MetRecordRef *rr = &m->recs[r];
    const char *path = m->files[rr->file];
    int ncid = ncid_of_file, st;
    if (!file_open && (st = nc_open(path, NC_NOWRITE, &ncid)) != NC_NOERR)
        return nc_fail(e, path, NULL, st);
    Checks dummy;
    memset(&dummy, 0, sizeof dummy);
    Src s = {ncid, path, rr->rec};
    size_t n2 = (size_t)m->grid->ny * m->grid->nx;
    int rc = read_var(m, &s, V_RAINNC, acc, &dummy, e);
    if (rc == BG_OK && m->has_rainc) {
        double *tmp = m->acc + 2 * n2;
        rc = read_var(m, &s, V_RAINC, tmp, &dummy, e);
        for (size_t q = 0; rc == BG_OK && q < n2; q++) acc[q] += tmp[q];
    }
    if (!file_open) nc_close(ncid);
    return rc;
}

/* Derived fields of one record from the raw values already in f (see load_record). */
static void derive(Met *m, MetFields *f, int rec, Checks *c)
{
    const Grid *g = m->grid;
    const int nx = g->nx, ny = g->ny, nz = g->nz;
    const size_t n2 = (size_t)nx * ny;
    const int par = (long)(n2 * nz) >= m->omp_min_cells;

#pragma omp parallel for schedule(static) if (par)
    for (int j = 0; j < ny; j++) {
        for (int i = 0; i < nx; i++) {
            size_t c2 = (size_t)j * nx + i;
            for (int k = 0; k < nz; k++) {
                size_t q = k * n2 + c2;
                f->theta[q] += THETA0;
                f->t[q] = f->theta[q] * pow(f->p[q] / P1000, RD / CP);
                f->qv[q] = fmax(f->qv[q], 0.0);
                f->rho[q] = f->p[q] / (RD * f->t[q] * (1.0 + f->qv[q] * RV / RD));
            }
            for (int k = 0; k <= nz; k++) f->zf[k * n2 + c2] -= m->hgt[c2];
        }
    }

    /* Serial bookkeeping of problems: the order of first occurrences must not depend on threads. */
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            size_t c2 = (size_t)j * nx + i;
            if (!(f->p[c2] >= 2.5e4 && f->p[c2] <= 1.1e5))
                bad_add(&c->derived[D_PLOW], rec, 0, j, i, f->p[c2]);
            for (int k = 1; k < nz; k++)
                if (!(f->p[k * n2 + c2] > 100))
                    bad_add(&c->derived[D_PLOW], rec, k, j, i, f->p[k * n2 + c2]);
            if (!(f->theta[c2] >= 180 && f->theta[c2] <= 400))
                bad_add(&c->derived[D_THETALOW], rec, 0, j, i, f->theta[c2]);
            if (!(fabs(f->zf[c2]) <= ZF0_TOL_M))
                bad_add(&c->derived[D_ZF0], rec, 0, j, i, f->zf[c2]);
            f->zf[c2] = 0; /* the ground, exactly */
            for (int k = 0; k < nz; k++)
                if (!(f->zf[(k + 1) * n2 + c2] > f->zf[k * n2 + c2]))
                    bad_add(&c->derived[D_DZ], rec, k + 1, j, i, f->zf[(k + 1) * n2 + c2]);
        }
}

/* Mass, fluxes, Kz and surface diagnostics; needs zf > 0 increasing (checked in derive). */
static void derive_transport(Met *m, MetFields *f)
{
    const Grid *g = m->grid;
    const int nx = g->nx, ny = g->ny, nz = g->nz;
    const size_t n2 = (size_t)nx * ny;
    const size_t nxf = (size_t)(nx + 1) * ny, nyf = (size_t)nx * (ny + 1);
    const int par = (long)(n2 * nz) >= m->omp_min_cells;

#pragma omp parallel for schedule(static) if (par)
    for (int j = 0; j < ny; j++) {
        for (int k = 0; k < nz; k++) {
            const double *zl = f->zf + k * n2, *zu = f->zf + (k + 1) * n2;
            const double *rho = f->rho + k * n2;
            for (int i = 0; i < nx; i++) {
                size_t c2 = (size_t)j * nx + i;
                f->airm[k * n2 + c2] = rho[c2] * (zu[c2] - zl[c2]) * g->area[c2];
            }
            /* x faces of row j: (rho dz) of the two neighbours, the edge cell's on the boundary */
            for (int i = 0; i <= nx; i++) {
                size_t cw = (size_t)j * nx + (i > 0 ? i - 1 : 0);
                size_t ce = (size_t)j * nx + (i < nx ? i : nx - 1);
                double rdz = 0.5 * (rho[cw] * (zu[cw] - zl[cw]) + rho[ce] * (zu[ce] - zl[ce]));
                size_t q = k * nxf + (size_t)j * (nx + 1) + i;
                f->fx[q] = f->u[q] * rdz * g->dy / g->mapfac_u[(size_t)j * (nx + 1) + i];
            }
        }
    }
#pragma omp parallel for schedule(static) if (par)
    for (int j = 0; j <= ny; j++) {
        int js = j > 0 ? j - 1 : 0, jn = j < ny ? j : ny - 1;
        for (int k = 0; k < nz; k++) {
            const double *zl = f->zf + k * n2, *zu = f->zf + (k + 1) * n2;
            const double *rho = f->rho + k * n2;
            for (int i = 0; i < nx; i++) {
                size_t cs = (size_t)js * nx + i, cn = (size_t)jn * nx + i;
                double rdz = 0.5 * (rho[cs] * (zu[cs] - zl[cs]) + rho[cn] * (zu[cn] - zl[cn]));
                size_t q = k * nyf + (size_t)j * nx + i;
                f->fy[q] = f->v[q] * rdz * g->dx / g->mapfac_v[(size_t)j * nx + i];
            }
        }
    }

    if (m->has_exch_h) {
        /* EXCH_H level k is the interface below mass level k (YSU: exch_hx(i,k+1) = xkzh(i,k),
         * the coefficient at full level zq(k+1), module_bl_ysu.F); level 0 is the ground. */
        for (size_t q = 0; q < n2; q++) f->kz[q] = f->kz[(size_t)nz * n2 + q] = 0;
        for (size_t q = n2; q < (size_t)nz * n2; q++) f->kz[q] = fmax(f->kz[q], m->kz_min);
    } else {
        const size_t w = 5 * (size_t)(nz + 1);
#pragma omp parallel for schedule(static) if (par)
        for (int j = 0; j < ny; j++) {
            double *zc = m->colwork + (size_t)j * w, *thc = zc + nz + 1, *uc = thc + nz,
                   *vc = uc + nz, *kc = vc + nz;
            for (int i = 0; i < nx; i++) {
                size_t c2 = (size_t)j * nx + i;
                for (int k = 0; k <= nz; k++) zc[k] = f->zf[k * n2 + c2];
                for (int k = 0; k < nz; k++) {
                    thc[k] = f->theta[k * n2 + c2];
                    const double *u = f->u + k * nxf, *v = f->v + k * nyf;
                    uc[k] = 0.5 * (u[(size_t)j * (nx + 1) + i] + u[(size_t)j * (nx + 1) + i + 1]);
                    vc[k] = 0.5 * (v[(size_t)j * nx + i] + v[(size_t)(j + 1) * nx + i]);
                }
                kz_column(nz, zc, thc, uc, vc, f->pblh[c2], f->ust[c2], f->hfx[c2], f->rho[c2],
                          f->t[c2], m->kz_min, kc);
                for (int k = 0; k <= nz; k++) f->kz[k * n2 + c2] = kc[k];
            }
        }
    }

    if (!m->has_psfc) {
        /* Hydrostatic extrapolation from the lowest mass level (at about zf[1]/2) to the ground
         * with its virtual temperature. */
        for (size_t q = 0; q < n2; q++) {
            double tv = f->t[q] * (1.0 + (RV / RD - 1.0) * f->qv[q]);
            f->psfc[q] = f->p[q] * exp(GRAV * 0.5 * f->zf[n2 + q] / (RD * tv));
        }
    }
}

static void nonfinite_scan(const Met *m, MetFields *f, int rec, Checks *c)
{
    FieldRef r[NFIELDS];
    field_refs(f, m->grid, r);
    for (int a = 0; a < NFIELDS; a++)
        for (size_t q = 0; q < r[a].n; q++)
            if (!isfinite((*r[a].p)[q])) {
                if (c->derived[D_NONFINITE].n == 0) c->nonfinite_field = r[a].name;
                bad_add(&c->derived[D_NONFINITE], rec, -1, 0, (int)q, (*r[a].p)[q]);
                break;
            }
}

/* Reads and derives record r (index into recs) into f.  Problems go to c; the caller reports.
 * ncid_in is the record's file when the caller holds it open (opening a WRF file with ~150
 * variables costs ~30 ms), else -1. */
static int load_record(Met *m, int r, int ncid_in, MetFields *f, Checks *c, BgErr *e)
{
    const Grid *g = m->grid;
    const MetRecordRef *rr = &m->recs[r];
    const char *path = m->files[rr->file];
    const size_t n2 = (size_t)g->nx * g->ny, n3 = n2 * g->nz, ni = n2 * (g->nz + 1);
    int ncid = ncid_in, st;
    if (ncid_in < 0 && (st = nc_open(path, NC_NOWRITE, &ncid)) != NC_NOERR)
        return nc_fail(e, path, NULL, st);
    Src s = {ncid, path, rr->rec};
    int rc = BG_OK;
    /* Scratch use: t holds PB, kz holds PHB, until the sums are formed. */
#define READ(v, dst)                                                                              \
    do {                                                                                          \
        if (rc == BG_OK) rc = read_var(m, &s, (v), (dst), c, e);                                 \
    } while (0)
    READ(V_P, f->p);
    READ(V_PB, f->t);
    for (size_t q = 0; rc == BG_OK && q < n3; q++) f->p[q] += f->t[q];
    READ(V_PH, f->zf);
    READ(V_PHB, f->kz);
    for (size_t q = 0; rc == BG_OK && q < ni; q++) f->zf[q] = (f->zf[q] + f->kz[q]) / GRAV;
    READ(V_HGT, m->hgt);
    READ(V_T, f->theta);
    READ(V_QVAPOR, f->qv);
    READ(V_U, f->u);
    READ(V_V, f->v);
    READ(V_PBLH, f->pblh);
    READ(V_UST, f->ust);
    READ(V_HFX, f->hfx);
    READ(V_SWDOWN, f->swdown);
    READ(V_T2, f->t2);
    if (m->has_exch_h) READ(V_EXCH_H, f->kz);
    if (m->has_qcloud) READ(V_QCLOUD, f->qc);
    else memset(f->qc, 0, n3 * sizeof *f->qc);
    if (m->has_qrain) READ(V_QRAIN, f->qr);
    else memset(f->qr, 0, n3 * sizeof *f->qr);
    if (m->has_qsnow) READ(V_QSNOW, f->qs);
    else memset(f->qs, 0, n3 * sizeof *f->qs);
    if (m->has_snowc) READ(V_SNOWC, f->snowc);
    else memset(f->snowc, 0, n2 * sizeof *f->snowc);
    if (m->has_psfc) READ(V_PSFC, f->psfc);
    /* Precipitation: the interval ending at r; the first record borrows the interval after it. */
    double *self = m->acc, *other = m->acc + n2, *tmp = m->acc + 2 * n2;
    READ(V_RAINNC, self);
    if (m->has_rainc) {
        READ(V_RAINC, tmp);
        for (size_t q = 0; rc == BG_OK && q < n2; q++) self[q] += tmp[q];
    }
    if (rc == BG_OK && m->nrec < 2) memset(f->rain, 0, n2 * sizeof *f->rain);
    if (rc == BG_OK && m->nrec >= 2) {
        int nb = r > 0 ? r - 1 : r + 1;
        rc = read_accum(m, nb, ncid, m->recs[nb].file == rr->file, other, e);
        if (rc == BG_OK) {
            const double *lo = r > 0 ? other : self, *hi = r > 0 ? self : other;
            double hours = fabs(m->recs[r].time - m->recs[nb].time) / 3600.0;
            /* negative differences are bucket or restart resets, not negative rain */
            for (size_t q = 0; q < n2; q++) f->rain[q] = fmax(hi[q] - lo[q], 0.0) / hours;
        }
    }
#undef READ
    if (ncid_in < 0) nc_close(ncid);
    if (rc != BG_OK) return rc;
    for (int v = 0; v < NVAR; v++)
        if (c->nonfinite[v].n) return BG_OK; /* garbage in: report the inputs, derive nothing */
    derive(m, f, rr->rec, c);
    if (c->derived[D_DZ].n || c->derived[D_ZF0].n) return BG_OK;
    derive_transport(m, f);
    nonfinite_scan(m, f, rr->rec, c);
    f->time = rr->time;
    return BG_OK;
}

/* ---- open ------------------------------------------------------------------------------------ */

static int cmp_rec(const void *a, const void *b)
{
    const MetRecordRef *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    if (x->file != y->file) return x->file - y->file;
    return x->rec - y->rec;
}

static int check_times(Met *m, double t_start, double t_end, BgErr *e)
{
    char a[32], b[32];
    for (int r = 1; r < m->nrec; r++) {
        const MetRecordRef *p = &m->recs[r - 1], *q = &m->recs[r];
        if (q->time == p->time) {
            time_format(q->time, a, sizeof a);
            return bg_fail(e, BG_EINPUT, m->files[q->file], "Times",
                           "time %s appears twice: record %d of %s and record %d of %s", a,
                           p->rec, m->files[p->file], q->rec, m->files[q->file]);
        }
    }
    m->interval = 0;
    for (int r = 1; r < m->nrec; r++) {
        double d = m->recs[r].time - m->recs[r - 1].time;
        if (m->interval == 0 || d < m->interval) m->interval = d;
    }
    for (int r = 1; r < m->nrec; r++) {
        const MetRecordRef *p = &m->recs[r - 1], *q = &m->recs[r];
        if (fabs((q->time - p->time) - m->interval) > 0.5) {
            time_format(p->time, a, sizeof a);
            time_format(q->time, b, sizeof b);
            return bg_fail(e, BG_EINPUT, m->files[q->file], "Times",
                           "records not regularly spaced: %s (%s) is followed by %s (%s), %g s "
                           "apart, but the interval elsewhere is %g s",
                           a, m->files[p->file], b, m->files[q->file], q->time - p->time,
                           m->interval);
        }
    }
    double first = m->recs[0].time, last = m->recs[m->nrec - 1].time;
    if (t_start < first || t_end > last) {
        char s0[32], s1[32];
        time_format(t_start, s0, sizeof s0);
        time_format(t_end, s1, sizeof s1);
        time_format(first, a, sizeof a);
        time_format(last, b, sizeof b);
        return bg_fail(e, BG_EINPUT, m->files[m->recs[t_start < first ? 0 : m->nrec - 1].file],
                       "time", "run time %s to %s not covered: the meteorology records span %s to %s",
                       s0, s1, a, b);
    }
    return BG_OK;
}

int met_open(Met *m, const Grid *g, char *const *files, int nfiles, double t_start, double t_end,
             double kz_min, BgErr *e)
{
    memset(m, 0, sizeof *m);
    m->grid = g;
    m->kz_min = kz_min;
    m->omp_min_cells = PAR_MIN_CELLS;
    m->loaded[0] = m->loaded[1] = -1;
    if (nfiles < 1) return bg_fail(e, BG_ECONFIG, NULL, "met", "no meteorology files given");
    if (!(t_end >= t_start)) return bg_fail(e, BG_ECONFIG, NULL, "time", "run end before start");
    if (!(kz_min >= 0)) return bg_fail(e, BG_ECONFIG, NULL, "kz_min", "must be >= 0");

    const size_t nx = (size_t)g->nx, ny = (size_t)g->ny, nz = (size_t)g->nz;
    m->nfiles = nfiles;
    m->files = calloc((size_t)nfiles, sizeof *m->files);
    m->nbuf = (nz + 1) * (ny + 1) * (nx + 1);
    m->buf = malloc(m->nbuf * sizeof *m->buf);
    m->hgt = malloc(nx * ny * sizeof *m->hgt);
    m->acc = malloc(3 * nx * ny * sizeof *m->acc);
    m->colwork = malloc(ny * 5 * (nz + 1) * sizeof *m->colwork);
    FileInfo *fi = calloc((size_t)nfiles, sizeof *fi);
    int rc = BG_OK;
    if (!m->files || !m->buf || !m->hgt || !m->acc || !m->colwork || !fi) {
        rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        goto fail;
    }
    for (int f = 0; f < nfiles; f++)
        if (!(m->files[f] = strdup(files[f]))) {
            rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
            goto fail;
        }

    for (int f = 0; f < nfiles && rc == BG_OK; f++)
        rc = check_header(g, m->files[f], &fi[f], m->buf, e);
    if (rc != BG_OK) goto fail;

    /* Optional variables count only when every file has them. */
    int *flags[] = {&m->has_w, &m->has_qcloud, &m->has_qrain, &m->has_qsnow, &m->has_rainc,
                    &m->has_snowc, &m->has_psfc, &m->has_exch_h};
    int fv[] = {V_W, V_QCLOUD, V_QRAIN, V_QSNOW, V_RAINC, V_SNOWC, V_PSFC, V_EXCH_H};
    for (size_t a = 0; a < sizeof fv / sizeof *fv; a++) {
        *flags[a] = 1;
        for (int f = 0; f < nfiles; f++) *flags[a] &= fi[f].present[fv[a]];
    }

    for (int f = 0; f < nfiles; f++) m->nrec += fi[f].nt;
    m->recs = malloc((size_t)m->nrec * sizeof *m->recs);
    if (!m->recs) {
        rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        goto fail;
    }
    for (int f = 0, r = 0; f < nfiles; f++)
        for (int t = 0; t < fi[f].nt; t++, r++) m->recs[r] = (MetRecordRef){f, t, fi[f].times[t]};
    qsort(m->recs, (size_t)m->nrec, sizeof *m->recs, cmp_rec);
    if ((rc = check_times(m, t_start, t_end, e)) != BG_OK) goto fail;

    if (met_fields_alloc(&m->rec[0], g) || met_fields_alloc(&m->rec[1], g)) {
        rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        goto fail;
    }
    /* Every record the run reads once (those of [t_start, t_end] and the two that bracket its
     * ends: a month of WRF files given for a day's run costs a day's validation), file by file,
     * so that each file's problems come in one message. */
    int r0 = 0, r1 = m->nrec - 1;
    while (r0 + 1 < m->nrec && m->recs[r0 + 1].time <= t_start) r0++;
    while (r1 > 0 && m->recs[r1 - 1].time >= t_end) r1--;
    for (int f = 0; f < nfiles && rc == BG_OK; f++) {
        int used = 0;
        for (int r = r0; r <= r1; r++) used |= m->recs[r].file == f;
        if (!used) continue;
        Checks c;
        memset(&c, 0, sizeof c);
        int ncid, st = nc_open(m->files[f], NC_NOWRITE, &ncid);
        if (st != NC_NOERR) {
            rc = nc_fail(e, m->files[f], NULL, st);
            break;
        }
        for (int r = r0; r <= r1 && rc == BG_OK; r++)
            if (m->recs[r].file == f) rc = load_record(m, r, ncid, &m->rec[0], &c, e);
        nc_close(ncid);
        if (rc == BG_OK && checks_any(&c)) {
            Problems p = {0};
            checks_report(&c, &p);
            rc = prob_report(&p, m->files[f], e);
        }
    }
    if (rc != BG_OK) goto fail;
    for (int f = 0; f < nfiles; f++) free(fi[f].times);
    free(fi);
    return BG_OK;

fail:
    if (fi)
        for (int f = 0; f < nfiles; f++) free(fi[f].times);
    free(fi);
    met_close(m);
    return rc;
}

void met_close(Met *m)
{
    if (!m) return;
    if (m->files)
        for (int f = 0; f < m->nfiles; f++) free(m->files[f]);
    free(m->files);
    free(m->recs);
    free(m->buf);
    free(m->hgt);
    free(m->acc);
    free(m->colwork);
    met_fields_free(&m->rec[0]);
    met_fields_free(&m->rec[1]);
    memset(m, 0, sizeof *m);
    m->loaded[0] = m->loaded[1] = -1;
}

/* ---- time interpolation ---------------------------------------------------------------------- */

/* MET_* bits of the fields of f that are +0 everywhere (bit pattern 0: -0 does not count). */
static unsigned zero_fields(const Met *m, MetFields *f)
{
    FieldRef a[NFIELDS];
    field_refs(f, m->grid, a);
    unsigned z = 0;
    for (int q = 0; q < NFIELDS; q++) {
        const uint64_t *p = (const uint64_t *)(const void *)*a[q].p;
        uint64_t any = 0;
        for (size_t s = 0; s < a[q].n; s++) any |= p[s];
        if (!any) z |= 1u << q;
    }
    return z;
}

/* po = (1-w) pa + w pb over [lo, hi), the stores bypassing the caches: the fields are larger
 * than the last-level cache, so a cached store would first read every output line from memory
 * (a third of the traffic).  The same IEEE operations as the scalar expression, so the same
 * bits (ISO C mode: no fused multiply-add). */
static void lerp_stream(double *restrict po, const double *restrict pa, const double *restrict pb,
                        double w, long lo, long hi)
{
    const double w0 = 1.0 - w;
    long s = lo;
#if defined(__SSE2__)
    for (; s < hi && ((uintptr_t)(po + s) & 15u); s++) po[s] = w0 * pa[s] + w * pb[s];
    const __m128d vw0 = _mm_set1_pd(w0), vw = _mm_set1_pd(w);
    for (; s + 2 <= hi; s += 2)
        _mm_stream_pd(po + s, _mm_add_pd(_mm_mul_pd(vw0, _mm_loadu_pd(pa + s)),
                                         _mm_mul_pd(vw, _mm_loadu_pd(pb + s))));
    _mm_sfence();
#endif
    for (; s < hi; s++) po[s] = w0 * pa[s] + w * pb[s];
}

static int ensure_loaded(Met *m, int slot, int r, BgErr *e)
{
    if (m->loaded[slot] == r) return BG_OK;
    m->loaded[slot] = -1;
    Checks c;
    memset(&c, 0, sizeof c);
    int rc = load_record(m, r, -1, &m->rec[slot], &c, e);
    if (rc == BG_OK) m->zero[slot] = zero_fields(m, &m->rec[slot]);
    if (rc == BG_OK && checks_any(&c)) {
        Problems p = {0};
        checks_report(&c, &p);
        rc = prob_report(&p, m->files[m->recs[r].file], e);
    }
    if (rc == BG_OK) m->loaded[slot] = r;
    return rc;
}

int met_fields_at(Met *m, double t, MetFields *out, BgErr *e)
{
    return met_fields_at_mask(m, t, out, MET_ALL, e);
}

int met_fields_at_mask(Met *m, double t, MetFields *out, unsigned mask, BgErr *e)
{
    return met_fields_at_rows(m, t, out, mask, NULL, -1, NULL, 0, e);
}

/* The selected part of one field: its levels x rows (rows of faces for fy and v) x row length,
 * on the cell rows runs[2r] .. runs[2r+1]-1 of the selection; a face-row field also gets the face
 * row after each run, so that both faces of every selected cell are current.  Each level's part
 * is a few stretches of whole rows, which the hardware prefetcher streams as it does a whole
 * field (pieces of rows defeat it: docs/parallel.md). */
typedef struct {
    long nlev, rowlen, n; /* n: the whole field's elements */
    int face;             /* rows of y faces (ny + 1) */
    const int *runs;
    int nruns;            /* < 0: the whole field */
} RowSel;

static RowSel row_sel(const Grid *g, int q, size_t n, const int *runs, int nruns)
{
    RowSel r = {g->nz, g->nx, (long)n, 0, runs, runs ? nruns : -1};
    if (q == 1 || q == 9) r.rowlen = g->nx + 1; /* fx, u: x faces */
    if (q == 2 || q == 10) r.face = 1;          /* fy, v: y faces */
    if (q == 4 || q == 5) r.nlev = g->nz + 1;   /* zf, kz: interfaces */
    if (q >= 15) r.nlev = 1;                    /* the surface fields */
    return r;
}

static long sel_count(const RowSel *r)
{
    if (r->nruns < 0) return r->n;
    long rows = 0;
    for (int i = 0; i < r->nruns; i++) rows += r->runs[2 * i + 1] - r->runs[2 * i] + r->face;
    return rows * r->rowlen * r->nlev;
}

enum { SEL_LERP, SEL_COPY, SEL_ZERO };

/* op on the elements [lo, hi) of the selection's concatenation (level by level, run by run):
 * every element is computed alone, so any split between threads gives the same bits. */
static void sel_apply(const RowSel *r, int op, double *po, const double *pa, const double *pb, double w, long lo,
                      long hi)
{
    long pos = 0;
    const int nseg = r->nruns < 0 ? 1 : r->nruns;
    const long nrow = (r->n / r->nlev) / r->rowlen; /* rows per level */
    for (long k = 0; k < (r->nruns < 0 ? 1 : r->nlev) && pos < hi; k++)
        for (int i = 0; i < nseg && pos < hi; i++) {
            long off, len;
            if (r->nruns < 0) {
                off = 0;
                len = r->n;
            } else {
                long j0 = r->runs[2 * i], j1 = r->runs[2 * i + 1] + r->face;
                off = (k * nrow + j0) * r->rowlen;
                len = (j1 - j0) * r->rowlen;
            }
            long a = lo > pos ? lo - pos : 0, b = hi < pos + len ? hi - pos : len;
            if (a < b) {
                if (op == SEL_LERP) lerp_stream(po + off, pa + off, pb + off, w, a, b);
                else if (op == SEL_COPY) memcpy(po + off + a, pa + off + a, (size_t)(b - a) * sizeof *po);
                else memset(po + off + a, 0, (size_t)(b - a) * sizeof *po);
            }
            pos += len;
        }
}

/* op on the selected field's values of the columns cells[] (j * nx + i), every level, with the
 * face after the cell in the face direction (what a point source's plume rise reads). */
static void cells_apply(const RowSel *r, int op, double *po, const double *pa, const double *pb, double w,
                        const int *cells, int ncells, int nx)
{
    const long nrow = (r->n / r->nlev) / r->rowlen;
    const int xface = r->rowlen > nx;
    for (int c = 0; c < ncells; c++) {
        const long j = cells[c] / nx, i = cells[c] % nx;
        for (long k = 0; k < r->nlev; k++)
            for (int d = 0; d <= (xface || r->face); d++) {
                const long s = (k * nrow + j + (r->face ? d : 0)) * r->rowlen + i + (xface ? d : 0);
                po[s] = op == SEL_LERP ? (1.0 - w) * pa[s] + w * pb[s] : op == SEL_COPY ? pa[s] : 0.0;
            }
    }
}

static void copy_fields_sel(const Met *m, MetFields *dst, MetFields *src, unsigned mask, const int *runs, int nruns,
                            const int *cells, int ncells)
{
    FieldRef a[NFIELDS], b[NFIELDS];
    field_refs(dst, m->grid, a);
    field_refs(src, m->grid, b);
    for (int q = 0; q < NFIELDS; q++)
        if (mask & (1u << q)) {
            RowSel r = row_sel(m->grid, q, a[q].n, runs, nruns);
            sel_apply(&r, SEL_COPY, *a[q].p, *b[q].p, NULL, 0.0, 0, sel_count(&r));
            if (r.nruns >= 0) cells_apply(&r, SEL_COPY, *a[q].p, *b[q].p, NULL, 0.0, cells, ncells, m->grid->nx);
        }
}

int met_fields_at_rows(Met *m, double t, MetFields *out, unsigned mask, const int *runs, int nruns, const int *cells,
                       int ncells, BgErr *e)
{
    if (m->nrec < 1 || !isfinite(t) || t < m->recs[0].time || t > m->recs[m->nrec - 1].time) {
        char s[32];
        time_format(t, s, sizeof s);
        return bg_fail(e, BG_EINPUT, m->nfiles ? m->files[0] : NULL, "time",
                       "%s: time not covered by the meteorology records", s);
    }
    if (m->nrec == 1) {
        BG_TRY(ensure_loaded(m, 0, 0, e));
        copy_fields_sel(m, out, &m->rec[0], mask, runs, nruns, cells, ncells);
        out->time = t;
        return BG_OK;
    }
    /* Keep the loaded bracket while t is inside it (also at its ends). */
    int r = m->loaded[0];
    int keep = r >= 0 && m->loaded[1] == r + 1 && m->recs[r].time <= t && t <= m->recs[r + 1].time;
    if (!keep) {
        int lo = 0, hi = m->nrec - 1; /* largest r with recs[r].time <= t, at most nrec-2 */
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (m->recs[mid].time <= t) lo = mid;
            else hi = mid;
        }
        r = lo;
        /* Moving forward one interval: the old later record becomes the earlier one. */
        if (m->loaded[1] == r) {
            MetFields tmp = m->rec[0];
            m->rec[0] = m->rec[1];
            m->rec[1] = tmp;
            m->loaded[0] = r;
            m->loaded[1] = -1;
            m->zero[0] = m->zero[1];
        } else if (m->loaded[0] == r + 1) {
            MetFields tmp = m->rec[1];
            m->rec[1] = m->rec[0];
            m->rec[0] = tmp;
            m->loaded[1] = r + 1;
            m->loaded[0] = -1;
            m->zero[1] = m->zero[0];
        }
        BG_TRY(ensure_loaded(m, 0, r, e));
        BG_TRY(ensure_loaded(m, 1, r + 1, e));
    }
    double t0 = m->recs[r].time, t1 = m->recs[r + 1].time;
    if (t == t0 || t == t1) {
        copy_fields_sel(m, out, &m->rec[t == t0 ? 0 : 1], mask, runs, nruns, cells, ncells);
        out->time = t;
        return BG_OK;
    }
    /* (1-w) a + w b, elementwise: no reduction, so any thread count gives the same bits. */
    double w = (t - t0) / (t1 - t0);
    FieldRef o[NFIELDS], a[NFIELDS], b[NFIELDS];
    field_refs(out, m->grid, o);
    field_refs(&m->rec[0], m->grid, a);
    field_refs(&m->rec[1], m->grid, b);
    /* a field that is +0 in both records is +0 between them: (1-w) 0 + w 0 = +0 */
    const unsigned both0 = m->zero[0] & m->zero[1];
    for (int q = 0; q < NFIELDS; q++) {
        if (!(mask & (1u << q))) continue;
        double *po = *o[q].p;
        const double *pa = *a[q].p, *pb = *b[q].p;
        const RowSel sel = row_sel(m->grid, q, o[q].n, runs, nruns);
        const long n = sel_count(&sel);
        if (both0 & (1u << q)) {
            sel_apply(&sel, SEL_ZERO, po, NULL, NULL, 0.0, 0, n);
            if (sel.nruns >= 0) cells_apply(&sel, SEL_ZERO, po, NULL, NULL, 0.0, cells, ncells, m->grid->nx);
            continue;
        }
        /* the few columns first, outside the parallel region: the same expression per value */
        if (sel.nruns >= 0) cells_apply(&sel, SEL_LERP, po, pa, pb, w, cells, ncells, m->grid->nx);
#pragma omp parallel if (n >= m->omp_min_cells)
        {
            /* equal contiguous parts of the selection per thread (any split gives the same bits:
             * no reduction) */
            const long nt = omp_get_num_threads(), id = omp_get_thread_num();
            sel_apply(&sel, SEL_LERP, po, pa, pb, w, n * id / nt, n * (id + 1) / nt);
        }
    }
    out->time = t;
    return BG_OK;
}
