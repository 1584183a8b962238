/* Lateral and top boundary values from a global model's NetCDF (see bcfile.h, docs/boundary.md).
 *
 * Only the lon-lat sub-box of the file that surrounds the model domain is ever read: at open the
 * bilinear corners and weights of every model column are fixed once (the grid does not move), so
 * a record costs one hyperslab read per variable and the fill is pure arithmetic on that box.
 * Two records are held (the pair bracketing the current time); a read happens only when the time
 * leaves that pair.  Linear interpolation in time, lon/lat and ln p (or height) reproduces a field
 * linear in those coordinates exactly, which is what the tests check. */
#include "bcfile.h"

#include <ctype.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "units.h"
#include "timeutil.h"

#define BC_MAX_TERMS 8 /* variables summed into one species */

/* Fills at least this many cells in parallel; below it the OpenMP start-up costs more than the
 * loop (measured: docs/boundary.md). */
#define BC_OMP_MIN_CELLS 4096

enum { ROLE_T = 0, ROLE_Z, ROLE_Y, ROLE_X };

struct BcTerm {
    char name[NC_MAX_NAME + 1];
    int varid;
    int ip;            /* provided-species index it adds to */
    int perm[4];       /* position of T, Z, Y, X among the variable's dimensions */
    int ndims;
    double scale, offset; /* CF packing: value = raw * scale_factor + add_offset */
    double fill, missing;
    int has_fill, has_missing;
    double factor;     /* unpacked value * factor = canonical unit (mol mol-1 or kg m-3) */
    int kind;          /* 0 mole fraction, 1 mass concentration */
};

/* ------------------------------------------------------------------ small helpers */

static int nc_text_att(int nc, int var, const char *att, char *buf, size_t n)
{
    size_t len;
    nc_type ty;
    buf[0] = 0;
    if (nc_inq_att(nc, var, att, &ty, &len) != NC_NOERR || ty != NC_CHAR || len >= n) return -1;
    if (nc_get_att_text(nc, var, att, buf) != NC_NOERR) return -1;
    buf[len] = 0;
    while (len > 0 && (buf[len - 1] == 0 || isspace((unsigned char)buf[len - 1]))) buf[--len] = 0;
    size_t lead = 0;
    while (lead < len && isspace((unsigned char)buf[lead])) lead++;
    if (lead) memmove(buf, buf + lead, len - lead + 1);
    return 0;
}

static int nc_double_att(int nc, int var, const char *att, double *v)
{
    size_t len;
    nc_type ty;
    if (nc_inq_att(nc, var, att, &ty, &len) != NC_NOERR || len != 1 || ty == NC_CHAR) return -1;
    return nc_get_att_double(nc, var, att, v) == NC_NOERR ? 0 : -1;
}

static int streq_ci(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

static const char *strstr_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t k = 0;
        while (k < n && hay[k] && tolower((unsigned char)hay[k]) == tolower((unsigned char)needle[k])) k++;
        if (k == n) return hay;
    }
    return NULL;
}

/* Position of x in the strictly monotonic (either direction) c[0..n-1], n >= 2: c[k] .. c[k+1]
 * bracket x with weight w of c[k+1].  Returns -1 if x lies outside [min, max]. */
static int bracket(const double *c, int n, double x, int *k, double *w)
{
    int asc = c[n - 1] > c[0];
    double lo = asc ? c[0] : c[n - 1], hi = asc ? c[n - 1] : c[0];
    if (!(x >= lo && x <= hi)) return -1;
    int a = 0, b = n - 1; /* invariant: x between c[a] and c[b] */
    while (b - a > 1) {
        int m = (a + b) / 2;
        if ((c[m] <= x) == asc) a = m;
        else b = m;
    }
    *k = a;
    *w = (x - c[a]) / (c[a + 1] - c[a]);
    return 0;
}

/* Vertical bracket with constant values beyond the ends: levels k0, k1 and weight w of k1. */
static inline void vbracket(const double *c, int n, int asc, double x, int *k0, int *k1, double *w)
{
    if (n == 1 || (asc ? x <= c[0] : x >= c[0])) {
        *k0 = *k1 = 0;
        *w = 0.0;
        return;
    }
    if (asc ? x >= c[n - 1] : x <= c[n - 1]) {
        *k0 = *k1 = n - 1;
        *w = 0.0;
        return;
    }
    int a = 0, b = n - 1;
    while (b - a > 1) {
        int m = (a + b) / 2;
        if ((c[m] <= x) == asc) a = m;
        else b = m;
    }
    *k0 = a;
    *k1 = a + 1;
    *w = (x - c[a]) / (c[a + 1] - c[a]);
}

/* "<unit> since <date>[ <time>][ <zone>]" (CF time units, standard calendar) to seconds per unit
 * and the reference time in s since 1970 UTC.  Returns 0, or -1 with a reason. */
static int parse_time_units(const char *u, double *per, double *ref, const char **why)
{
    char word[32];
    int n = 0;
    if (sscanf(u, " %31s%n", word, &n) != 1) { *why = "empty"; return -1; }
    if (streq_ci(word, "seconds") || streq_ci(word, "second") || streq_ci(word, "secs") ||
        streq_ci(word, "sec") || streq_ci(word, "s"))
        *per = 1.0;
    else if (streq_ci(word, "minutes") || streq_ci(word, "minute") || streq_ci(word, "mins") ||
             streq_ci(word, "min"))
        *per = 60.0;
    else if (streq_ci(word, "hours") || streq_ci(word, "hour") || streq_ci(word, "hrs") ||
             streq_ci(word, "hr") || streq_ci(word, "h"))
        *per = 3600.0;
    else if (streq_ci(word, "days") || streq_ci(word, "day") || streq_ci(word, "d"))
        *per = 86400.0;
    else { *why = "the unit is not seconds, minutes, hours or days"; return -1; }
    const char *p = u + n;
    int m = 0;
    if (sscanf(p, " %31s%n", word, &m) != 1 || !streq_ci(word, "since")) {
        *why = "no 'since <date>'";
        return -1;
    }
    p += m;
    int y, mo, d, hh = 0, mi = 0, k = 0;
    double ss = 0.0;
    if (sscanf(p, " %d-%d-%d%n", &y, &mo, &d, &k) != 3) { *why = "the reference date is not YYYY-MM-DD"; return -1; }
    p += k;
    if (*p == 'T' || *p == ' ') {
        int k2 = 0;
        if (sscanf(p + 1, "%d:%d%n", &hh, &mi, &k2) == 2) {
            p += 1 + k2;
            if (*p == ':') {
                char *end;
                ss = strtod(p + 1, &end);
                p = end;
            }
        }
    }
    while (*p == ' ') p++;
    double off = 0.0;
    if (!*p || streq_ci(p, "Z") || streq_ci(p, "UTC") || streq_ci(p, "GMT") || streq_ci(p, "+00:00") ||
        streq_ci(p, "+0:00") || streq_ci(p, "0:00")) {
        off = 0.0;
    } else if (*p == '+' || *p == '-') {
        int oh = 0, om = 0;
        int sign = *p == '-' ? -1 : 1;
        if (sscanf(p + 1, "%d:%d", &oh, &om) < 1) { *why = "unreadable time zone"; return -1; }
        if (oh >= 100) { om = oh % 100; oh /= 100; } /* +0800 */
        off = sign * (oh * 3600.0 + om * 60.0);
    } else {
        *why = "unreadable text after the reference time";
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh < 0 || hh > 24 || mi < 0 || mi > 59 ||
        !(ss >= 0 && ss < 61)) {
        *why = "the reference date is out of range";
        return -1;
    }
    char iso[64];
    snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:00Z", y, mo, d, hh, mi);
    if (time_parse(iso, ref)) { *why = "the reference date is not a date"; return -1; }
    *ref += ss - off;
    return 0;
}

/* ------------------------------------------------------------------ opening */

static int oom(BgErr *e) { return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); }

/* The coordinate role of a dimension from its coordinate variable: ROLE_T/Y/X, or ROLE_Z. */
static int dim_role(int nc, int var, const char *name)
{
    char units[256], sn[256];
    nc_text_att(nc, var, "units", units, sizeof units);
    nc_text_att(nc, var, "standard_name", sn, sizeof sn);
    if (strstr_ci(units, " since ")) return ROLE_T;
    if (!strcmp(sn, "latitude") || streq_ci(units, "degrees_north") || streq_ci(units, "degree_north") ||
        streq_ci(units, "degrees_N") || streq_ci(units, "degree_N") || streq_ci(units, "degreesN") ||
        (!units[0] && (streq_ci(name, "lat") || streq_ci(name, "latitude"))))
        return ROLE_Y;
    if (!strcmp(sn, "longitude") || streq_ci(units, "degrees_east") || streq_ci(units, "degree_east") ||
        streq_ci(units, "degrees_E") || streq_ci(units, "degree_E") || streq_ci(units, "degreesE") ||
        (!units[0] && (streq_ci(name, "lon") || streq_ci(name, "longitude"))))
        return ROLE_X;
    return ROLE_Z;
}

static double *read_coord(int nc, int var, size_t n)
{
    double *v = malloc(n * sizeof *v);
    if (v && nc_get_var_double(nc, var, v) != NC_NOERR) {
        free(v);
        return NULL;
    }
    return v;
}

/* A variable named in the file, or -1 */
static int find_var(int nc, const char *name)
{
    int id;
    return nc_inq_varid(nc, name, &id) == NC_NOERR ? id : -1;
}

/* The file variable(s) of species s: explicit mapping, else name, lower-case name, CAMS alias.
 * Fills names (up to BC_MAX_TERMS) and returns their count; 0 when absent; -1 with e filled. */
static int species_vars(int nc, const char *path, const char *sp, const char *map,
                        char names[BC_MAX_TERMS][NC_MAX_NAME + 1], BgErr *e)
{
    /* CAMS short names that differ from the lower-case species name: ozone is "go3" (GEMS
     * ozone, ECMWF parameter 210203, CAMS global composition forecasts/EAC4 parameter list) */
    static const char *const alias[][2] = {{"O3", "go3"}};
    if (map && !strcmp(map, "-")) return 0;
    if (map && map[0]) {
        int n = 0;
        const char *p = map;
        while (*p) {
            while (*p == ' ' || *p == '+') p++;
            if (!*p) break;
            const char *q = p;
            while (*q && *q != '+') q++;
            size_t len = (size_t)(q - p);
            while (len > 0 && p[len - 1] == ' ') len--;
            if (n == BC_MAX_TERMS || len > NC_MAX_NAME)
                return bg_fail(e, BG_ECONFIG, path, sp, "mapping '%s': at most %d variables of at most "
                               "%d characters", map, BC_MAX_TERMS, NC_MAX_NAME), -1;
            memcpy(names[n], p, len);
            names[n][len] = 0;
            if (find_var(nc, names[n]) < 0)
                return bg_fail(e, BG_ECONFIG, path, names[n], "no such variable in the file (mapped "
                               "from species %s)", sp), -1;
            n++;
            p = q;
        }
        if (n == 0) return bg_fail(e, BG_ECONFIG, path, sp, "empty mapping '%s'", map), -1;
        return n;
    }
    if (strlen(sp) > NC_MAX_NAME) return 0;
    if (find_var(nc, sp) >= 0) {
        snprintf(names[0], NC_MAX_NAME + 1, "%s", sp);
        return 1;
    }
    char low[NC_MAX_NAME + 1];
    size_t i = 0;
    for (; sp[i]; i++) low[i] = (char)tolower((unsigned char)sp[i]);
    low[i] = 0;
    if (find_var(nc, low) >= 0) {
        snprintf(names[0], NC_MAX_NAME + 1, "%s", low);
        return 1;
    }
    for (size_t a = 0; a < sizeof alias / sizeof alias[0]; a++)
        if (!strcmp(sp, alias[a][0]) && find_var(nc, alias[a][1]) >= 0) {
            snprintf(names[0], NC_MAX_NAME + 1, "%s", alias[a][1]);
            return 1;
        }
    return 0;
}

/* The positions of the roles among a variable's dimensions; -1 if its dimensions are not a
 * permutation of the reference dimensions dimref[role] (role -1 skipped). */
static int match_dims(int nc, int var, const int dimref[4], int perm[4], int *ndims)
{
    int dims[NC_MAX_VAR_DIMS], nd;
    if (nc_inq_varndims(nc, var, &nd) != NC_NOERR || nd > NC_MAX_VAR_DIMS ||
        nc_inq_vardimid(nc, var, dims) != NC_NOERR)
        return -1;
    int want = 0;
    for (int r = 0; r < 4; r++) {
        perm[r] = -1;
        if (dimref[r] < 0) continue;
        want++;
        for (int d = 0; d < nd; d++)
            if (dims[d] == dimref[r]) perm[r] = d;
        if (perm[r] < 0) return -1;
    }
    *ndims = nd;
    return nd == want ? 0 : -1;
}

static void lonlat_text(const BcFile *b, char *buf, size_t n, size_t q, int with_level)
{
    const double *flat = b->flat, *flon = b->flon;
    size_t plane = (size_t)b->nsy * b->nsx;
    int z = (int)(q / plane), y = (int)(q % plane / b->nsx), x = (int)(q % b->nsx);
    int fj = b->ja + y, fi = (b->ia + x) % b->nlon;
    if (with_level)
        snprintf(buf, n, "level %d, latitude %.4g, longitude %.4g", z, flat[fj], flon[fi]);
    else
        snprintf(buf, n, "latitude %.4g, longitude %.4g", flat[fj], flon[fi]);
}

/* Reads the sub-box of variable var for record r (nz = nlev or 1 for a variable without a level
 * dimension) into out[z][y][x] (raw file numbers), through b->rbuf. */
static int read_box(BcFile *b, int var, const int perm[4], int ndims, int r, int nz, double *out)
{
    size_t start[NC_MAX_VAR_DIMS], count[NC_MAX_VAR_DIMS];
    int first = b->nsx < b->nlon - b->ia ? b->nsx : b->nlon - b->ia;
    int pieces[2][2] = {{b->ia, first}, {0, b->nsx - first}};
    for (int pc = 0; pc < 2; pc++) {
        int xs = pieces[pc][0], xc = pieces[pc][1], xoff = pc ? first : 0;
        if (xc <= 0) continue;
        for (int d = 0; d < ndims; d++) start[d] = 0, count[d] = 1;
        start[perm[ROLE_T]] = (size_t)r;
        if (perm[ROLE_Z] >= 0) count[perm[ROLE_Z]] = (size_t)nz;
        start[perm[ROLE_Y]] = (size_t)b->ja;
        count[perm[ROLE_Y]] = (size_t)b->nsy;
        start[perm[ROLE_X]] = (size_t)xs;
        count[perm[ROLE_X]] = (size_t)xc;
        int st = nc_get_vara_double(b->ncid, var, start, count, b->rbuf);
        if (st != NC_NOERR) return st;
        size_t stride[NC_MAX_VAR_DIMS], s = 1;
        for (int d = ndims - 1; d >= 0; d--) {
            stride[d] = s;
            s *= count[d];
        }
        size_t sz = perm[ROLE_Z] >= 0 ? stride[perm[ROLE_Z]] : 0;
        size_t sy = stride[perm[ROLE_Y]], sx = stride[perm[ROLE_X]];
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < b->nsy; y++) {
                double *o = out + ((size_t)z * b->nsy + y) * b->nsx + xoff;
                const double *in = b->rbuf + z * sz + y * sy;
                for (int x = 0; x < xc; x++) o[x] = in[x * sx];
            }
    }
    return NC_NOERR;
}

/* Reads record r of every species (and ps) into slot, unpacking, converting and validating. */
static int read_record(BcFile *b, int r, int slot, BgErr *e)
{
    const size_t plane = (size_t)b->nsy * b->nsx, nbox = (size_t)b->nlev * plane;
    double *tb = b->tbuf;
    double *dst = b->rec[slot];
    char when[32], where[128];
    time_format(b->times[r], when, sizeof when);
    b->loaded[slot] = -1;
    memset(dst, 0, (size_t)b->nprov * nbox * sizeof *dst);
    for (int it = 0; it < b->nterm; it++) {
        const BcTerm *t = &b->term[it];
        int st = read_box(b, t->varid, t->perm, t->ndims, r, b->nlev, tb);
        if (st != NC_NOERR) return bg_fail(e, BG_EINPUT, b->path, t->name, "record %d (%s): %s", r, when, nc_strerror(st));
        double *d = dst + (size_t)t->ip * nbox;
        size_t nmiss = 0, nnan = 0, nneg = 0, nbig = 0, first = (size_t)-1;
        const char *what = NULL;
        for (size_t q = 0; q < nbox; q++) {
            double raw = tb[q];
            if ((t->has_fill && raw == t->fill) || (t->has_missing && raw == t->missing)) {
                if (!nmiss++ && first == (size_t)-1) first = q, what = "missing (_FillValue)";
                continue;
            }
            double v = raw * t->scale + t->offset;
            if (isnan(v) || isinf(v)) {
                if (!nnan++ && first == (size_t)-1) first = q, what = "NaN or Inf";
                continue;
            }
            if (v < 0) {
                if (!nneg++ && first == (size_t)-1) first = q, what = "negative";
                continue;
            }
            double c = v * t->factor;
            /* more than 1 mol mol-1 is impossible: the units attribute is wrong */
            if (t->kind == 0 && c > 1.0) {
                if (!nbig++ && first == (size_t)-1) first = q, what = "above 1 mol mol-1 after unit conversion";
                continue;
            }
            d[q] += c;
        }
        if (first != (size_t)-1) {
            lonlat_text(b, where, sizeof where, first, 1);
            return bg_fail(e, BG_EINPUT, b->path, t->name,
                           "record %d (%s): %zu missing, %zu NaN/Inf, %zu negative, %zu above 1 mol "
                           "mol-1 values in the part the model uses; first %s at %s",
                           r, when, nmiss, nnan, nneg, nbig, what, where);
        }
    }
    if (b->lev_kind == BCFILE_LEV_HYBRID) {
        char psname[NC_MAX_NAME + 1];
        nc_inq_varname(b->ncid, b->ps_varid, psname);
        int nd = 3;
        int st = read_box(b, b->ps_varid, b->ps_perm, nd, r, 1, tb);
        if (st != NC_NOERR) return bg_fail(e, BG_EINPUT, b->path, psname, "record %d (%s): %s", r, when, nc_strerror(st));
        for (size_t q = 0; q < plane; q++) {
            double raw = tb[q];
            double v = raw * b->ps_scale + b->ps_offset;
            if ((b->ps_has_fill && raw == b->ps_fill) || !(v > 0) || isinf(v)) {
                lonlat_text(b, where, sizeof where, q, 0);
                return bg_fail(e, BG_EINPUT, b->path, psname, "record %d (%s): surface pressure %g "
                               "(missing, NaN or not positive) at %s", r, when, raw, where);
            }
            b->ps[slot][q] = v * b->ps_conv;
        }
    }
    b->loaded[slot] = r;
    b->reads++;
    return BG_OK;
}

/* CF hybrid sigma-pressure: "ap: A b: B ps: PS" or "a: A b: B p0: P0 ps: PS" */
static int open_hybrid(BcFile *b, const Units *u, int levvar, const char *levname, const int dimref[4],
                       BgErr *e)
{
    char ft[512];
    nc_text_att(b->ncid, levvar, "formula_terms", ft, sizeof ft);
    char key[5][NC_MAX_NAME + 1] = {{0}}; /* ap, a, b, p0, ps */
    static const char *const keys[5] = {"ap:", "a:", "b:", "p0:", "ps:"};
    char *save = NULL, *tok = strtok_r(ft, " \t", &save);
    while (tok) {
        int which = -1;
        for (int i = 0; i < 5; i++)
            if (!strcmp(tok, keys[i])) which = i;
        char *val = strtok_r(NULL, " \t", &save);
        if (which < 0 || !val)
            return bg_fail(e, BG_EINPUT, b->path, levname, "formula_terms: cannot read '%s'", tok);
        snprintf(key[which], sizeof key[which], "%s", val);
        tok = strtok_r(NULL, " \t", &save);
    }
    int has_ap = key[0][0] != 0, has_a = key[1][0] != 0;
    if (!key[2][0] || !key[4][0] || has_ap == has_a || (has_a && !key[3][0]))
        return bg_fail(e, BG_EINPUT, b->path, levname, "formula_terms must be 'ap: A b: B ps: PS' or "
                       "'a: A b: B p0: P0 ps: PS' (CF hybrid sigma-pressure)");
    int n = b->nlev;
    b->hyb_ap = malloc((size_t)n * sizeof *b->hyb_ap);
    b->hyb_b = malloc((size_t)n * sizeof *b->hyb_b);
    if (!b->hyb_ap || !b->hyb_b) return oom(e);
    const char *aname = has_ap ? key[0] : key[1];
    int va = find_var(b->ncid, aname), vb = find_var(b->ncid, key[2]);
    int nd;
    int dimid;
    for (int i = 0; i < 2; i++) {
        int v = i ? vb : va;
        const char *nm = i ? key[2] : aname;
        if (v < 0) return bg_fail(e, BG_EINPUT, b->path, nm, "named in %s:formula_terms but not in the file", levname);
        if (nc_inq_varndims(b->ncid, v, &nd) != NC_NOERR || nd != 1 ||
            nc_inq_vardimid(b->ncid, v, &dimid) != NC_NOERR || dimid != dimref[ROLE_Z] ||
            nc_get_var_double(b->ncid, v, i ? b->hyb_b : b->hyb_ap) != NC_NOERR)
            return bg_fail(e, BG_EINPUT, b->path, nm, "must be a 1-D variable over the level dimension %s", levname);
    }
    double fa = 1.0;
    char un[128];
    if (has_ap) {
        /* ap is a pressure; CAMS/CDO write Pa */
        if (!nc_text_att(b->ncid, va, "units", un, sizeof un) && un[0] && units_factor(u, un, u->pa, &fa))
            return bg_fail(e, BG_EINPUT, b->path, aname, "units '%s' are not a pressure", un);
    } else {
        int vp = find_var(b->ncid, key[3]);
        double p0;
        if (vp < 0 || nc_inq_varndims(b->ncid, vp, &nd) != NC_NOERR || nd != 0 ||
            nc_get_var_double(b->ncid, vp, &p0) != NC_NOERR)
            return bg_fail(e, BG_EINPUT, b->path, key[3], "p0 of %s:formula_terms must be a scalar variable", levname);
        double fp = 1.0;
        if (!nc_text_att(b->ncid, vp, "units", un, sizeof un) && un[0] && units_factor(u, un, u->pa, &fp))
            return bg_fail(e, BG_EINPUT, b->path, key[3], "units '%s' are not a pressure", un);
        fa = p0 * fp;
    }
    b->lev_min = INFINITY;
    b->lev_max = -INFINITY;
    for (int k = 0; k < n; k++) {
        b->hyb_ap[k] *= fa;
        double p = b->hyb_ap[k] + b->hyb_b[k] * 1e5;
        if (!isfinite(b->hyb_ap[k]) || !isfinite(b->hyb_b[k]) || !(p > 0))
            return bg_fail(e, BG_EINPUT, b->path, levname, "hybrid level %d gives pressure %g Pa at "
                           "ps = 1000 hPa", k, p);
        if (p < b->lev_min) b->lev_min = p;
        if (p > b->lev_max) b->lev_max = p;
    }
    /* surface pressure over (time, lat, lon) */
    const char *psn = key[4];
    b->ps_varid = find_var(b->ncid, psn);
    int dref3[4] = {dimref[ROLE_T], -1, dimref[ROLE_Y], dimref[ROLE_X]}, ndims;
    if (b->ps_varid < 0) return bg_fail(e, BG_EINPUT, b->path, psn, "named in %s:formula_terms but not in the file", levname);
    if (match_dims(b->ncid, b->ps_varid, dref3, b->ps_perm, &ndims))
        return bg_fail(e, BG_EINPUT, b->path, psn, "surface pressure must have the dimensions (time, latitude, longitude)");
    if (nc_text_att(b->ncid, b->ps_varid, "units", un, sizeof un) || units_factor(u, un, u->pa, &b->ps_conv))
        return bg_fail(e, BG_EINPUT, b->path, psn, "units '%s' are not a pressure (a log of surface pressure is "
                       "not supported: write ps in Pa)", un);
    if (nc_double_att(b->ncid, b->ps_varid, "scale_factor", &b->ps_scale)) b->ps_scale = 1.0;
    if (nc_double_att(b->ncid, b->ps_varid, "add_offset", &b->ps_offset)) b->ps_offset = 0.0;
    b->ps_has_fill = !nc_double_att(b->ncid, b->ps_varid, "_FillValue", &b->ps_fill);
    return BG_OK;
}

static int open_impl(BcFile *b, const char *path, const Grid *g, const char *const *species,
                     const char *const *varmap, const double *molar_mass, int nspec, double t0,
                     double t1, const Units *u, BgErr *e)
{
    snprintf(b->path, sizeof b->path, "%s", path);
    b->grid = g;
    b->nspec = nspec;
    int st = nc_open(path, NC_NOWRITE, &b->ncid);
    if (st != NC_NOERR) {
        b->ncid = -1;
        return bg_fail(e, BG_EINPUT, path, NULL, "cannot open: %s", nc_strerror(st));
    }
    const int nc = b->ncid;
    b->provided = calloc((size_t)nspec, sizeof *b->provided);
    b->pidx = malloc((size_t)nspec * sizeof *b->pidx);
    b->source = calloc((size_t)nspec, sizeof *b->source);
    b->units = calloc((size_t)nspec, sizeof *b->units);
    b->term = calloc((size_t)nspec * BC_MAX_TERMS + 1, sizeof *b->term);
    b->kind = calloc((size_t)nspec + 1, sizeof *b->kind);
    b->mconv = calloc((size_t)nspec + 1, sizeof *b->mconv);
    if (!b->provided || !b->pidx || !b->source || !b->units || !b->term || !b->kind || !b->mconv) return oom(e);

    /* species -> variables */
    int dimref[4] = {-1, -1, -1, -1};
    char ref_name[NC_MAX_NAME + 1] = "";
    for (int s = 0; s < nspec; s++) {
        b->pidx[s] = -1;
        char names[BC_MAX_TERMS][NC_MAX_NAME + 1];
        int n = species_vars(nc, path, species[s], varmap ? varmap[s] : NULL, names, e);
        if (n < 0) return e->code;
        if (n == 0) continue;
        int ip = b->nprov++;
        b->pidx[s] = ip;
        b->provided[s] = 1;
        for (int i = 0; i < n; i++) {
            BcTerm *t = &b->term[b->nterm++];
            snprintf(t->name, sizeof t->name, "%s", names[i]);
            t->varid = find_var(nc, names[i]);
            t->ip = ip;
            size_t used = strlen(b->source[s]);
            snprintf(b->source[s] + used, BCFILE_NAME_LEN - used, "%s%s", i ? "+" : "", names[i]);
            if (dimref[0] < 0) {
                /* the first variable fixes the layout: (time, level, latitude, longitude) in any order */
                int dims[NC_MAX_VAR_DIMS], nd;
                nc_inq_varndims(nc, t->varid, &nd);
                if (nd != 4) {
                    return bg_fail(e, BG_EINPUT, path, t->name, "has %d dimensions; a boundary field needs "
                                   "(time, level, latitude, longitude)%s", nd,
                                   nd == 3 ? " (no vertical level dimension)" : "");
                }
                nc_inq_vardimid(nc, t->varid, dims);
                for (int d = 0; d < 4; d++) {
                    char dn[NC_MAX_NAME + 1];
                    nc_inq_dimname(nc, dims[d], dn);
                    int cv = find_var(nc, dn);
                    if (cv < 0)
                        return bg_fail(e, BG_EINPUT, path, dn, "dimension of %s has no coordinate variable", t->name);
                    int role = dim_role(nc, cv, dn);
                    if (dimref[role] >= 0)
                        return bg_fail(e, BG_EINPUT, path, t->name, "two dimensions look like the same "
                                       "coordinate (%s); need time, level, latitude and longitude", dn);
                    dimref[role] = dims[d];
                }
                snprintf(ref_name, sizeof ref_name, "%s", t->name);
            }
            if (match_dims(nc, t->varid, dimref, t->perm, &t->ndims))
                return bg_fail(e, BG_EINPUT, path, t->name, "dimensions differ from those of %s", ref_name);
            /* units */
            char un[64] = "", sn[256] = "";
            nc_text_att(nc, t->varid, "units", un, sizeof un);
            nc_text_att(nc, t->varid, "standard_name", sn, sizeof sn);
            if (i == 0) snprintf(b->units[s], sizeof b->units[s], "%s", un);
            double mm = molar_mass ? molar_mass[s] : 0.0;
            int needs_mm;
            char why[320];
            if (units_species(u, un, sn, mm > 0 ? mm : 1.0, &t->kind, &t->factor, &needs_mm, why, sizeof why))
                return bg_fail(e, BG_EINPUT, path, t->name, "%s", why);
            if (needs_mm && !(mm > 0))
                return bg_fail(e, BG_ECONFIG, path, t->name, "units '%s' need the molar mass of species %s, "
                               "which is not given", un, species[s]);
            if (i == 0) {
                b->kind[ip] = t->kind;
                b->mconv[ip] = t->kind ? BG_M_AIR / mm : 1.0;
            } else if (t->kind != b->kind[ip]) {
                return bg_fail(e, BG_EINPUT, path, t->name, "units '%s' mix a mass concentration and a mixing "
                               "ratio in the sum for species %s", un, species[s]);
            }
            if (nc_double_att(nc, t->varid, "scale_factor", &t->scale)) t->scale = 1.0;
            if (nc_double_att(nc, t->varid, "add_offset", &t->offset)) t->offset = 0.0;
            t->has_fill = !nc_double_att(nc, t->varid, "_FillValue", &t->fill);
            t->has_missing = !nc_double_att(nc, t->varid, "missing_value", &t->missing);
            if (!t->has_fill) {
                /* NetCDF's default fill marks never-written values of floating-point variables */
                nc_type ty;
                nc_inq_vartype(nc, t->varid, &ty);
                if (ty == NC_FLOAT) t->fill = NC_FILL_FLOAT, t->has_fill = 1;
                if (ty == NC_DOUBLE) t->fill = NC_FILL_DOUBLE, t->has_fill = 1;
            }
        }
    }
    if (b->nprov == 0) return BG_OK; /* nothing to read: the file is not used further */

    /* coordinates */
    char tname[NC_MAX_NAME + 1], yname[NC_MAX_NAME + 1], xname[NC_MAX_NAME + 1], zname[NC_MAX_NAME + 1];
    size_t len[4];
    for (int r = 0; r < 4; r++) nc_inq_dimlen(nc, dimref[r], &len[r]);
    nc_inq_dimname(nc, dimref[ROLE_T], tname);
    nc_inq_dimname(nc, dimref[ROLE_Y], yname);
    nc_inq_dimname(nc, dimref[ROLE_X], xname);
    nc_inq_dimname(nc, dimref[ROLE_Z], zname);
    snprintf(b->tname, sizeof b->tname, "%s", tname);
    int tv = find_var(nc, tname), yv = find_var(nc, yname), xv = find_var(nc, xname), zv = find_var(nc, zname);
    b->nrec = (int)len[ROLE_T];
    b->nlev = (int)len[ROLE_Z];
    b->nlat = (int)len[ROLE_Y];
    b->nlon = (int)len[ROLE_X];
    if (b->nrec < 1) return bg_fail(e, BG_EINPUT, path, tname, "no records");
    if (b->nlat < 2 || b->nlon < 2)
        return bg_fail(e, BG_EINPUT, path, b->nlat < 2 ? yname : xname, "needs at least 2 points for bilinear interpolation");

    /* time */
    char un[256];
    nc_text_att(nc, tv, "units", un, sizeof un);
    double per, ref;
    const char *why = NULL;
    if (parse_time_units(un, &per, &ref, &why))
        return bg_fail(e, BG_EINPUT, path, tname, "units '%s': %s", un, why);
    char cal[64];
    if (!nc_text_att(nc, tv, "calendar", cal, sizeof cal) && cal[0]) {
        if (!streq_ci(cal, "standard") && !streq_ci(cal, "gregorian") && !streq_ci(cal, "proleptic_gregorian"))
            return bg_fail(e, BG_EINPUT, path, tname, "calendar '%s' is not supported (standard, gregorian, "
                           "proleptic_gregorian)", cal);
        /* before 1582-10-15 CF's standard calendar is Julian, which the conversion does not do */
        if (!streq_ci(cal, "proleptic_gregorian") && ref < -12219292800.0)
            return bg_fail(e, BG_EINPUT, path, tname, "reference date before 1582-10-15 in the %s calendar "
                           "is not supported", cal);
    }
    b->times = read_coord(nc, tv, (size_t)b->nrec);
    if (!b->times) return bg_fail(e, BG_EINPUT, path, tname, "cannot be read");
    for (int r = 0; r < b->nrec; r++) {
        if (!isfinite(b->times[r])) return bg_fail(e, BG_EINPUT, path, tname, "value %d is not finite", r);
        b->times[r] = ref + b->times[r] * per;
        if (r && !(b->times[r] > b->times[r - 1]))
            return bg_fail(e, BG_EINPUT, path, tname, "times are not strictly increasing at record %d", r);
    }
    if (!(b->times[0] <= t0 && b->times[b->nrec - 1] >= t1)) {
        char a[32], z[32], ra[32], rz[32];
        time_format(b->times[0], a, sizeof a);
        time_format(b->times[b->nrec - 1], z, sizeof z);
        time_format(t0, ra, sizeof ra);
        time_format(t1, rz, sizeof rz);
        return bg_fail(e, BG_EINPUT, path, tname, "records cover %s .. %s, the run needs %s .. %s", a, z, ra, rz);
    }

    /* latitude, longitude */
    double *flat = b->flat = read_coord(nc, yv, (size_t)b->nlat);
    double *flon = b->flon = read_coord(nc, xv, (size_t)b->nlon);
    if (!flat) return bg_fail(e, BG_EINPUT, path, yname, "cannot be read");
    if (!flon) return bg_fail(e, BG_EINPUT, path, xname, "cannot be read");
    for (int j = 0; j < b->nlat; j++)
        if (!(fabs(flat[j]) <= 90.0) || (j && !((flat[j] - flat[j - 1]) * (flat[1] - flat[0]) > 0)))
            return bg_fail(e, BG_EINPUT, path, yname, "latitudes must lie in -90..90 and be strictly monotonic (index %d)", j);
    for (int i = 0; i < b->nlon; i++)
        if (!isfinite(flon[i])) return bg_fail(e, BG_EINPUT, path, xname, "value %d is not finite", i);
    if (flon[1] < flon[0] && flon[0] - flon[1] < 180.0)
        return bg_fail(e, BG_EINPUT, path, xname, "longitudes decrease; only increasing longitudes are supported");
    /* unwrap (a box crossing the date line in -180..180 or 0 in 0..360) */
    double maxsp = 0.0;
    for (int i = 1; i < b->nlon; i++) {
        while (flon[i] <= flon[i - 1]) flon[i] += 360.0;
        if (flon[i] - flon[i - 1] > maxsp) maxsp = flon[i] - flon[i - 1];
    }
    double span = flon[b->nlon - 1] - flon[0];
    if (span > 360.0 + 1e-6) return bg_fail(e, BG_EINPUT, path, xname, "longitudes span more than 360 degrees");
    if (span > 360.0 - 1e-6) b->nlon--; /* the last column repeats the first (0 and 360) */
    double gap = flon[0] + 360.0 - flon[b->nlon - 1];
    int global = gap <= maxsp * 1.001;

    /* vertical coordinate */
    char zu[128] = "", zpos[32] = "", zsn[128] = "", zln[256] = "";
    nc_text_att(nc, zv, "units", zu, sizeof zu);
    nc_text_att(nc, zv, "positive", zpos, sizeof zpos);
    nc_text_att(nc, zv, "standard_name", zsn, sizeof zsn);
    nc_text_att(nc, zv, "long_name", zln, sizeof zln);
    int has_ft = nc_inq_att(nc, zv, "formula_terms", NULL, NULL) == NC_NOERR;
    double fz;
    if (has_ft) {
        b->lev_kind = BCFILE_LEV_HYBRID;
        BG_TRY(open_hybrid(b, u, zv, zname, dimref, e));
    } else if (zu[0] && units_factor(u, zu, u->pa, &fz) == 0) {
        b->lev_kind = BCFILE_LEV_PRESSURE;
        if (streq_ci(zpos, "up"))
            return bg_fail(e, BG_EINPUT, path, zname, "pressure levels with positive = \"up\"");
    } else if (zu[0] && units_factor(u, zu, u->m, &fz) == 0) {
        if (streq_ci(zpos, "down"))
            return bg_fail(e, BG_EINPUT, path, zname, "height levels with positive = \"down\" (a depth)");
        /* CF: standard_name "altitude" is above the geoid (sea level), "height" above the surface */
        int asl = !strcmp(zsn, "altitude") || strstr_ci(zln, "sea level") || strstr_ci(zln, "above sea") ||
                  strstr_ci(zln, "a.s.l") || strstr_ci(zln, "amsl");
        b->lev_kind = asl ? BCFILE_LEV_HEIGHT_ASL : BCFILE_LEV_HEIGHT_AGL;
    } else {
        return bg_fail(e, BG_EINPUT, path, zname, "units '%s' are neither a pressure nor a height, and there "
                       "are no hybrid formula_terms", zu);
    }
    b->lev = read_coord(nc, zv, (size_t)b->nlev);
    if (!b->lev) return bg_fail(e, BG_EINPUT, path, zname, "cannot be read");
    if (b->lev_kind != BCFILE_LEV_HYBRID) {
        b->lev_min = INFINITY;
        b->lev_max = -INFINITY;
        for (int k = 0; k < b->nlev; k++) {
            double v = b->lev[k] * fz;
            if (!isfinite(v) || (b->lev_kind == BCFILE_LEV_PRESSURE && !(v > 0)))
                return bg_fail(e, BG_EINPUT, path, zname, "level %d = %g %s is not a valid %s", k, b->lev[k], zu,
                               b->lev_kind == BCFILE_LEV_PRESSURE ? "pressure" : "height");
            if (v < b->lev_min) b->lev_min = v;
            if (v > b->lev_max) b->lev_max = v;
            b->lev[k] = b->lev_kind == BCFILE_LEV_PRESSURE ? log(v) : v;
        }
        for (int k = 2; k < b->nlev; k++)
            if (!((b->lev[k] - b->lev[k - 1]) * (b->lev[1] - b->lev[0]) > 0))
                return bg_fail(e, BG_EINPUT, path, zname, "levels are not strictly monotonic (index %d)", k);
        if (b->nlev == 2 && !(b->lev[1] != b->lev[0]))
            return bg_fail(e, BG_EINPUT, path, zname, "levels are not strictly monotonic (index 1)");
    }

    /* every model column must lie inside the file's lon-lat box: the top boundary takes all */
    const int nx = g->nx, ny = g->ny;
    const size_t ncol = (size_t)nx * ny;
    int *yk = malloc(ncol * sizeof *yk), *xk0 = malloc(ncol * sizeof *xk0), *xk1 = malloc(ncol * sizeof *xk1);
    double *wy = malloc(ncol * sizeof *wy), *wx = malloc(ncol * sizeof *wx);
    char *need = calloc((size_t)b->nlon, 1);
    int rc = BG_OK;
    if (!yk || !xk0 || !xk1 || !wy || !wx || !need) rc = oom(e);
    double latlo = flat[0] < flat[b->nlat - 1] ? flat[0] : flat[b->nlat - 1];
    double lathi = flat[0] < flat[b->nlat - 1] ? flat[b->nlat - 1] : flat[0];
    int jmin = b->nlat, jmax = -1;
    for (size_t c = 0; c < ncol && rc == BG_OK; c++) {
        double la = g->lat[c], lo = g->lon[c];
        if (bracket(flat, b->nlat, la, &yk[c], &wy[c])) {
            rc = bg_fail(e, BG_EINPUT, path, yname, "latitudes cover %.4g..%.4g N, the model column (j=%zu, i=%zu) "
                         "at %.4g N is outside: the file must cover the whole model domain",
                         latlo, lathi, c / nx, c % nx, la);
            break;
        }
        double ln = flon[0] + fmod(fmod(lo - flon[0], 360.0) + 360.0, 360.0);
        if (ln >= flon[0] + 360.0) ln -= 360.0;
        if (ln <= flon[b->nlon - 1]) {
            bracket(flon, b->nlon, ln, &xk0[c], &wx[c]);
            xk1[c] = xk0[c] + 1;
        } else if (global) {
            xk0[c] = b->nlon - 1;
            xk1[c] = 0;
            wx[c] = (ln - flon[b->nlon - 1]) / gap;
        } else {
            rc = bg_fail(e, BG_EINPUT, path, xname, "longitudes cover %.4g..%.4g E, the model column (j=%zu, i=%zu) "
                         "at %.4g E is outside: the file must cover the whole model domain",
                         flon[0], flon[b->nlon - 1], c / nx, c % nx, lo);
            break;
        }
        need[xk0[c]] = need[xk1[c]] = 1;
        if (yk[c] < jmin) jmin = yk[c];
        if (yk[c] + 1 > jmax) jmax = yk[c] + 1;
    }
    if (rc == BG_OK) {
        b->ja = jmin;
        b->nsy = jmax - jmin + 1;
        /* the shortest circular range of longitudes holding every needed one */
        int nl = b->nlon, best = 0, bend = -1, run = 0;
        for (int i = 0; i < 2 * nl; i++) {
            run = need[i % nl] ? 0 : run + 1;
            if (run > best && run <= nl) best = run, bend = i % nl;
        }
        if (!global) {
            int lo = nl, hi = -1;
            for (int i = 0; i < nl; i++)
                if (need[i]) {
                    if (i < lo) lo = i;
                    hi = i;
                }
            b->ia = lo;
            b->nsx = hi - lo + 1;
        } else if (best == 0) {
            b->ia = 0;
            b->nsx = nl;
        } else {
            b->ia = (bend + 1) % nl;
            b->nsx = nl - best;
        }
        b->coff = malloc(ncol * 4 * sizeof *b->coff);
        b->cw = malloc(ncol * 4 * sizeof *b->cw);
        if (!b->coff || !b->cw) rc = oom(e);
        for (size_t c = 0; c < ncol && rc == BG_OK; c++) {
            int y0 = yk[c] - b->ja, y1 = y0 + 1;
            int x0 = (xk0[c] - b->ia + nl) % nl, x1 = (xk1[c] - b->ia + nl) % nl;
            b->coff[4 * c + 0] = y0 * b->nsx + x0;
            b->coff[4 * c + 1] = y0 * b->nsx + x1;
            b->coff[4 * c + 2] = y1 * b->nsx + x0;
            b->coff[4 * c + 3] = y1 * b->nsx + x1;
            b->cw[4 * c + 0] = (1.0 - wy[c]) * (1.0 - wx[c]);
            b->cw[4 * c + 1] = (1.0 - wy[c]) * wx[c];
            b->cw[4 * c + 2] = wy[c] * (1.0 - wx[c]);
            b->cw[4 * c + 3] = wy[c] * wx[c];
        }
    }
    free(yk), free(xk0), free(xk1), free(wy), free(wx), free(need);
    if (rc != BG_OK) return rc;

    /* buffers: two records, the time-interpolated box, the read buffers */
    const size_t plane = (size_t)b->nsy * b->nsx, nbox = (size_t)b->nlev * plane;
    for (int s = 0; s < 2; s++) {
        b->rec[s] = malloc((size_t)b->nprov * nbox * sizeof *b->rec[s]);
        if (!b->rec[s]) return oom(e);
        b->loaded[s] = -1;
        if (b->lev_kind == BCFILE_LEV_HYBRID && !(b->ps[s] = malloc(plane * sizeof *b->ps[s]))) return oom(e);
    }
    b->rbuf = malloc(nbox * sizeof *b->rbuf);
    b->tbuf = malloc(nbox * sizeof *b->tbuf);
    b->cur = malloc((size_t)b->nprov * nbox * sizeof *b->cur);
    if (!b->rbuf || !b->tbuf || !b->cur) return oom(e);
    if (b->lev_kind == BCFILE_LEV_HYBRID && !(b->lnp = malloc(nbox * sizeof *b->lnp))) return oom(e);

    /* read and validate every record the run can use, last first, so that the first pair stays
     * loaded.  A fill at a record time takes the pair that starts there, so the run's end needs
     * the record after t1 when there is one. */
    int ra = 0, rb = b->nrec - 1;
    while (ra + 1 < b->nrec && b->times[ra + 1] <= t0) ra++;
    while (rb - 1 >= 0 && b->times[rb - 1] > t1) rb--;
    for (int r = rb, slot = 0; r >= ra; r--, slot ^= 1) BG_TRY(read_record(b, r, slot, e));
    return BG_OK;
}

int bcfile_open(BcFile *b, const char *path, const Grid *g, const char *const *species,
                const char *const *varmap, const double *molar_mass, int nspec, double t0,
                double t1, BgErr *e)
{
    memset(b, 0, sizeof *b);
    b->ncid = -1;
    Units u;
    if (units_open(&u)) {
        units_close(&u);
        return bg_fail(e, BG_EFAIL, path, NULL, "cannot load the udunits2 unit database");
    }
    int rc = open_impl(b, path, g, species, varmap, molar_mass, nspec, t0, t1, &u, e);
    units_close(&u);
    if (rc != BG_OK) {
        bcfile_close(b);
        return rc;
    }
    if (b->nprov == 0 && b->ncid >= 0) {
        nc_close(b->ncid);
        b->ncid = -1;
    }
    return BG_OK;
}

/* ------------------------------------------------------------------ filling */

/* Value of every provided species at one model cell: column c, vertical target x (ln p or m),
 * dry-air density rho; written to out[s * sstride] for the provided species s. */
static inline void cell_values(const BcFile *b, const double *cur, size_t c, double x, double rho,
                               double *out, size_t sstride)
{
    const size_t plane = (size_t)b->nsy * b->nsx, np = (size_t)b->nprov;
    const int *off = b->coff + 4 * c;
    const double *w = b->cw + 4 * c;
    int k0[4], k1[4];
    double wz[4];
    if (b->lev_kind == BCFILE_LEV_HYBRID) {
        for (int q = 0; q < 4; q++) {
            const double *col = b->lnp + (size_t)off[q] * b->nlev;
            vbracket(col, b->nlev, col[b->nlev - 1] > col[0], x, &k0[q], &k1[q], &wz[q]);
        }
    } else {
        vbracket(b->lev, b->nlev, b->lev[b->nlev - 1] > b->lev[0], x, &k0[0], &k1[0], &wz[0]);
        for (int q = 1; q < 4; q++) k0[q] = k0[0], k1[q] = k1[0], wz[q] = wz[0];
    }
    if (b->lev_kind != BCFILE_LEV_HYBRID) {
        /* one level pair for the four corners */
        const size_t o0 = (size_t)k0[0] * plane, o1 = (size_t)k1[0] * plane;
        const double a = 1.0 - wz[0], z = wz[0];
        const double *p0[4], *p1[4];
        for (int q = 0; q < 4; q++) {
            p0[q] = cur + (o0 + (size_t)off[q]) * np;
            p1[q] = cur + (o1 + (size_t)off[q]) * np;
        }
        for (int s = 0; s < b->nspec; s++) {
            int ip = b->pidx[s];
            if (ip < 0) continue;
            double v = w[0] * (a * p0[0][ip] + z * p1[0][ip]) + w[1] * (a * p0[1][ip] + z * p1[1][ip]) +
                       w[2] * (a * p0[2][ip] + z * p1[2][ip]) + w[3] * (a * p0[3][ip] + z * p1[3][ip]);
            if (b->kind[ip]) v *= b->mconv[ip] / rho; /* kg m-3 -> mol mol-1: c M_air / (M_s rho_d) */
            out[(size_t)s * sstride] = v;
        }
        return;
    }
    for (int s = 0; s < b->nspec; s++) {
        int ip = b->pidx[s];
        if (ip < 0) continue;
        double v = 0.0;
        for (int q = 0; q < 4; q++)
            v += w[q] * ((1.0 - wz[q]) * cur[((size_t)k0[q] * plane + off[q]) * np + ip] +
                         wz[q] * cur[((size_t)k1[q] * plane + off[q]) * np + ip]);
        if (b->kind[ip]) v *= b->mconv[ip] / rho;
        out[(size_t)s * sstride] = v;
    }
}

/* Vertical target of cell (k, c): ln p, or the layer-centre height (+ terrain for altitudes) */
static inline double target(const BcFile *b, const MetFields *f, int k, size_t c, size_t plane)
{
    if (b->lev_kind == BCFILE_LEV_PRESSURE || b->lev_kind == BCFILE_LEV_HYBRID) return log(f->p[k * plane + c]);
    double z = 0.5 * (f->zf[k * plane + c] + f->zf[(k + 1) * plane + c]);
    return b->lev_kind == BCFILE_LEV_HEIGHT_ASL ? z + b->grid->hgt[c] : z;
}

int bcfile_fill(BcFile *b, const MetFields *f, double t, double *west, double *east,
                double *south, double *north, double *top, BgErr *e)
{
    if (b->nprov == 0) return BG_OK;
    const int n = b->nrec;
    if (!(t >= b->times[0] && t <= b->times[n - 1])) {
        char a[32], z[32], w[32];
        time_format(b->times[0], a, sizeof a);
        time_format(b->times[n - 1], z, sizeof z);
        time_format(t, w, sizeof w);
        return bg_fail(e, BG_EINPUT, b->path, b->tname, "%s is outside the records (%s .. %s)", w, a, z);
    }
    /* the bracketing pair: the loaded one if it holds t (either choice gives the same numbers at a
     * record time, so the result depends on t alone) */
    int ra, rb;
    int l0 = b->loaded[0], l1 = b->loaded[1];
    int lo = l0 < l1 ? l0 : l1, hi = l0 < l1 ? l1 : l0;
    if (n == 1) {
        ra = rb = 0;
    } else if (lo >= 0 && hi == lo + 1 && b->times[lo] <= t && t <= b->times[hi]) {
        ra = lo, rb = hi;
    } else {
        int a = 0, z = n - 1;
        while (z - a > 1) {
            int m = (a + z) / 2;
            if (b->times[m] <= t) a = m;
            else z = m;
        }
        ra = a, rb = a + 1;
    }
    int sa = b->loaded[0] == ra ? 0 : b->loaded[1] == ra ? 1 : -1;
    int sb = b->loaded[0] == rb ? 0 : b->loaded[1] == rb ? 1 : -1;
    if (sa < 0) {
        sa = sb == 0 ? 1 : 0;
        BG_TRY(read_record(b, ra, sa, e));
    }
    if (sb < 0) {
        sb = sa == 0 ? 1 : 0;
        BG_TRY(read_record(b, rb, sb, e));
    }
    const double wt = rb == ra ? 0.0 : (t - b->times[ra]) / (b->times[rb] - b->times[ra]);
    const size_t plane = (size_t)b->nsy * b->nsx, nbox = (size_t)b->nlev * plane;
    const size_t nall = (size_t)b->nprov * nbox;
    const Grid *g = b->grid;
    const int nx = g->nx, ny = g->ny, nz = g->nz;
    const size_t gplane = (size_t)nx * ny;
    double *cur = b->cur;
    const double *A = b->rec[sa], *B = b->rec[sb];
    const int par = nall + 4 * ((size_t)(nx + ny) * nz) + gplane >= BC_OMP_MIN_CELLS;
#pragma omp parallel if (par)
    {
        /* two barriers in all (after the box, at the end): on a loaded machine each barrier
         * costs more than a loop here */
#pragma omp for schedule(static) nowait
        for (size_t q = 0; q < nbox; q++) {
            /* species innermost: one cell's values for all species share cache lines */
            double *o = cur + q * (size_t)b->nprov;
            for (int ip = 0; ip < b->nprov; ip++)
                o[ip] = (1.0 - wt) * A[ip * nbox + q] + wt * B[ip * nbox + q];
        }
        if (b->lev_kind == BCFILE_LEV_HYBRID) {
#pragma omp for schedule(static) nowait
            for (size_t col = 0; col < plane; col++) {
                double ps = (1.0 - wt) * b->ps[sa][col] + wt * b->ps[sb][col];
                for (int k = 0; k < b->nlev; k++) {
                    double p = b->hyb_ap[k] + b->hyb_b[k] * ps;
                    /* a level at or above p = 0 cannot be placed in ln p; 1 mPa stands for it */
                    b->lnp[col * b->nlev + k] = log(p > 1e-3 ? p : 1e-3);
                }
            }
        }
#pragma omp barrier
        /* lateral: one iteration per (layer, position along the face) of each face */
#pragma omp for schedule(static) nowait
        for (int kk = 0; kk < nz * ny; kk++) {
            int k = kk / ny, j = kk % ny;
            size_t cw = grid_idx2(g, j, 0), ce = grid_idx2(g, j, nx - 1);
            size_t o = (size_t)k * ny + j;
            cell_values(b, cur, cw, target(b, f, k, cw, gplane), f->rho[k * gplane + cw], west + o, (size_t)nz * ny);
            cell_values(b, cur, ce, target(b, f, k, ce, gplane), f->rho[k * gplane + ce], east + o, (size_t)nz * ny);
        }
#pragma omp for schedule(static) nowait
        for (int kk = 0; kk < nz * nx; kk++) {
            int k = kk / nx, i = kk % nx;
            size_t cs = grid_idx2(g, 0, i), cn = grid_idx2(g, ny - 1, i);
            size_t o = (size_t)k * nx + i;
            cell_values(b, cur, cs, target(b, f, k, cs, gplane), f->rho[k * gplane + cs], south + o, (size_t)nz * nx);
            cell_values(b, cur, cn, target(b, f, k, cn, gplane), f->rho[k * gplane + cn], north + o, (size_t)nz * nx);
        }
        /* top: the centre of the top layer of every column (as the configuration profiles) */
#pragma omp for schedule(static) nowait
        for (size_t c = 0; c < gplane; c++)
            cell_values(b, cur, c, target(b, f, nz - 1, c, gplane), f->rho[(size_t)(nz - 1) * gplane + c], top + c, gplane);
    }
    return BG_OK;
}

/* ------------------------------------------------------------------ mapping, log, close */

int bcfile_map_parse(const char *text, const char *const *species, int nspec,
                     char (*names)[BCFILE_NAME_LEN], const char *where, BgErr *e)
{
    for (int s = 0; s < nspec; s++) names[s][0] = 0;
    if (!text) return BG_OK;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (!*p) break;
        const char *end = p;
        while (*end && *end != ',') end++;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq) return bg_fail(e, BG_ECONFIG, where, NULL, "'%.*s' is not SPECIES=variable", (int)(end - p), p);
        const char *k0 = p, *k1 = eq;
        while (k1 > k0 && isspace((unsigned char)k1[-1])) k1--;
        char key[64];
        if ((size_t)(k1 - k0) >= sizeof key || k1 == k0)
            return bg_fail(e, BG_ECONFIG, where, NULL, "bad species name in '%.*s'", (int)(end - p), p);
        memcpy(key, k0, (size_t)(k1 - k0));
        key[k1 - k0] = 0;
        int s = -1;
        for (int i = 0; i < nspec; i++)
            if (!strcmp(species[i], key)) s = i;
        if (s < 0) return bg_fail(e, BG_ECONFIG, where, NULL, "no species named %s", key);
        if (names[s][0]) return bg_fail(e, BG_ECONFIG, where, NULL, "species %s mapped twice", key);
        size_t n = 0;
        for (const char *v = eq + 1; v < end; v++) {
            if (isspace((unsigned char)*v)) continue;
            if (n + 1 >= BCFILE_NAME_LEN) return bg_fail(e, BG_ECONFIG, where, NULL, "mapping of %s is too long", key);
            names[s][n++] = *v;
        }
        names[s][n] = 0;
        if (!n) return bg_fail(e, BG_ECONFIG, where, NULL, "species %s mapped to nothing (use - for none)", key);
        p = end;
    }
    return BG_OK;
}

void bcfile_describe(const BcFile *b, const char *const *species, char *buf, size_t n)
{
    size_t k = 0;
#define ADD(...) do { if (k < n) k += (size_t)snprintf(buf + k, n - k, __VA_ARGS__); } while (0)
    ADD("boundary file %s: ", b->path);
    if (b->nprov) {
        char a[32], z[32];
        time_format(b->times[0], a, sizeof a);
        time_format(b->times[b->nrec - 1], z, sizeof z);
        static const char *const kinds[] = {"", "pressure", "height above ground", "altitude above sea level",
                                            "hybrid sigma-pressure"};
        int pr = b->lev_kind == BCFILE_LEV_PRESSURE || b->lev_kind == BCFILE_LEV_HYBRID;
        ADD("%d %s levels (%.6g..%.6g %s), %d x %d lat-lon (%d x %d used), %d records %s..%s; ", b->nlev,
            kinds[b->lev_kind], pr ? b->lev_min / 100 : b->lev_min, pr ? b->lev_max / 100 : b->lev_max,
            pr ? "hPa" : "m", b->nlat, b->nlon, b->nsy, b->nsx, b->nrec, a, z);
    }
    ADD("from the file:");
    for (int s = 0; s < b->nspec; s++)
        if (b->provided[s]) ADD(" %s <- %s [%s]", species[s], b->source[s], b->units[s]);
    if (!b->nprov) ADD(" none");
    ADD("; not in the file (configuration values):");
    int none = 1;
    for (int s = 0; s < b->nspec; s++)
        if (!b->provided[s]) {
            ADD(" %s", species[s]);
            none = 0;
        }
    if (none) ADD(" none");
#undef ADD
}

void bcfile_close(BcFile *b)
{
    if (b->ncid >= 0) nc_close(b->ncid);
    free(b->provided);
    free(b->pidx);
    free(b->source);
    free(b->units);
    free(b->term);
    free(b->kind);
    free(b->mconv);
    free(b->times);
    free(b->lev);
    free(b->hyb_ap);
    free(b->hyb_b);
    free(b->coff);
    free(b->cw);
    for (int s = 0; s < 2; s++) free(b->rec[s]), free(b->ps[s]);
    free(b->lnp);
    free(b->flat);
    free(b->flon);
    free(b->rbuf);
    free(b->tbuf);
    free(b->cur);
    memset(b, 0, sizeof *b);
    b->ncid = -1;
}
