/* Bit-for-bit NetCDF comparison (see nccompare.h).  Values are read in slabs along the first
 * dimension so that large records need no more than a few MB at a time. */
#include "nccompare.h"

#include <netcdf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLAB_TARGET 262144 /* values per read */

static void say(char *report, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *report, size_t n, const char *fmt, ...)
{
    if (!report || n == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(report, n, fmt, ap);
    va_end(ap);
}

static int skipped(const char *name, const char *const *skip)
{
    for (; skip && *skip; skip++)
        if (strcmp(*skip, name) == 0) return 1;
    return 0;
}

typedef struct VarShape {
    nc_type type;
    int ndims;
    size_t len[NC_MAX_VAR_DIMS];
    size_t total;
} VarShape;

static int var_shape(int ncid, int v, VarShape *s)
{
    int dims[NC_MAX_VAR_DIMS];
    if (nc_inq_vartype(ncid, v, &s->type) || nc_inq_varndims(ncid, v, &s->ndims) ||
        nc_inq_vardimid(ncid, v, dims))
        return -1;
    s->total = 1;
    for (int i = 0; i < s->ndims; i++) {
        if (nc_inq_dimlen(ncid, dims[i], &s->len[i])) return -1;
        s->total *= s->len[i];
    }
    return 0;
}

/* "[i,j,k]" of flat index f in shape s */
static void fmt_index(const VarShape *s, size_t f, char *buf, size_t n)
{
    size_t idx[NC_MAX_VAR_DIMS];
    for (int i = s->ndims - 1; i >= 0; i--) {
        idx[i] = s->len[i] ? f % s->len[i] : 0;
        f = s->len[i] ? f / s->len[i] : 0;
    }
    size_t w = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < s->ndims && w < n; i++)
        w += (size_t)snprintf(buf + w, n - w, "%s%zu", i ? "," : "", idx[i]);
    if (w < n) snprintf(buf + w, n - w, "]");
}

static void fmt_value(nc_type t, const void *p, char *buf, size_t n)
{
    switch (t) {
    case NC_FLOAT: snprintf(buf, n, "%.9g", (double)*(const float *)p); break;
    case NC_DOUBLE: snprintf(buf, n, "%.17g", *(const double *)p); break;
    case NC_INT: snprintf(buf, n, "%d", *(const int *)p); break;
    case NC_UINT: snprintf(buf, n, "%u", *(const unsigned *)p); break;
    case NC_SHORT: snprintf(buf, n, "%d", *(const short *)p); break;
    case NC_USHORT: snprintf(buf, n, "%u", *(const unsigned short *)p); break;
    case NC_BYTE: snprintf(buf, n, "%d", *(const signed char *)p); break;
    case NC_UBYTE: snprintf(buf, n, "%u", *(const unsigned char *)p); break;
    case NC_CHAR: snprintf(buf, n, "'%c'", *(const char *)p); break;
    case NC_INT64: snprintf(buf, n, "%lld", *(const long long *)p); break;
    case NC_UINT64: snprintf(buf, n, "%llu", *(const unsigned long long *)p); break;
    case NC_STRING: snprintf(buf, n, "\"%s\"", *(char *const *)p ? *(char *const *)p : ""); break;
    default: snprintf(buf, n, "?"); break;
    }
}

/* Compares variable va of file a with vb of file b (same shape and type already checked).
 * Adds the differing count to *ndiff; fills report on the first difference if *first. */
static int compare_values(int a, int va, int b, int vb, const char *name, const VarShape *s,
                          long *ndiff, int *first, char *report, size_t n)
{
    size_t esz;
    if (nc_inq_type(a, s->type, NULL, &esz)) return -1;
    if (s->total == 0) return 0;
    size_t row = 1;
    for (int i = 1; i < s->ndims; i++) row *= s->len[i];
    size_t rows = s->ndims == 0 ? 1 : (row >= SLAB_TARGET ? 1 : SLAB_TARGET / (row ? row : 1));
    size_t nouter = s->ndims == 0 ? 1 : s->len[0];
    size_t cap = (s->ndims == 0 ? 1 : rows * row);
    unsigned char *pa = malloc(cap * esz), *pb = malloc(cap * esz);
    int rc = 0;
    long nd = 0;
    if (!pa || !pb) {
        rc = -1;
        goto done;
    }
    for (size_t r0 = 0; r0 < nouter; r0 += rows) {
        size_t start[NC_MAX_VAR_DIMS] = {0}, count[NC_MAX_VAR_DIMS];
        size_t nr = (r0 + rows > nouter) ? nouter - r0 : rows;
        for (int i = 0; i < s->ndims; i++) count[i] = s->len[i];
        if (s->ndims > 0) {
            start[0] = r0;
            count[0] = nr;
        }
        size_t nval = s->ndims == 0 ? 1 : nr * row;
        if (nc_get_vara(a, va, start, count, pa) || nc_get_vara(b, vb, start, count, pb)) {
            rc = -1;
            goto done;
        }
        for (size_t i = 0; i < nval; i++) {
            int differ;
            if (s->type == NC_STRING) {
                const char *x = ((char **)pa)[i], *y = ((char **)pb)[i];
                differ = strcmp(x ? x : "", y ? y : "") != 0;
            } else {
                differ = memcmp(pa + i * esz, pb + i * esz, esz) != 0;
            }
            if (!differ) continue;
            if (*first) {
                char ix[128], x[64], y[64];
                fmt_index(s, (s->ndims ? r0 * row : 0) + i, ix, sizeof ix);
                fmt_value(s->type, pa + i * esz, x, sizeof x);
                fmt_value(s->type, pb + i * esz, y, sizeof y);
                say(report, n, "variable %s differs at %s: %s vs %s", name, ix, x, y);
                *first = 0;
            }
            nd++;
        }
        if (s->type == NC_STRING) {
            nc_free_string(nval, (char **)pa);
            nc_free_string(nval, (char **)pb);
        }
    }
done:
    free(pa);
    free(pb);
    *ndiff += nd;
    return rc;
}

static long count_or_one(size_t total) { return total > 0 ? (long)total : 1; }

int nc_compare_files(const char *a, const char *b, const char *const *skip_vars, long *ndiff,
                     char *report, size_t n)
{
    int fa = -1, fb = -1, rc = 0, first = 1, nva, nvb, st;
    long nd = 0;
    say(report, n, "identical");
    if ((st = nc_open(a, NC_NOWRITE, &fa)) != NC_NOERR) {
        say(report, n, "%s: %s", a, nc_strerror(st));
        return -1;
    }
    if ((st = nc_open(b, NC_NOWRITE, &fb)) != NC_NOERR) {
        say(report, n, "%s: %s", b, nc_strerror(st));
        nc_close(fa);
        return -1;
    }
    if (nc_inq_nvars(fa, &nva) || nc_inq_nvars(fb, &nvb)) {
        say(report, n, "cannot list the variables");
        rc = -1;
        goto done;
    }
    for (int va = 0; va < nva; va++) {
        char name[NC_MAX_NAME + 1];
        VarShape sa, sb;
        int vb;
        if (nc_inq_varname(fa, va, name) || var_shape(fa, va, &sa)) {
            say(report, n, "%s: cannot read variable %d", a, va);
            rc = -1;
            goto done;
        }
        if (skipped(name, skip_vars)) continue;
        if (nc_inq_varid(fb, name, &vb) != NC_NOERR) {
            if (first) say(report, n, "variable %s missing in %s", name, b);
            first = 0;
            nd += count_or_one(sa.total);
            continue;
        }
        if (var_shape(fb, vb, &sb)) {
            say(report, n, "%s: cannot read variable %s", b, name);
            rc = -1;
            goto done;
        }
        int same = sa.type == sb.type && sa.ndims == sb.ndims;
        for (int i = 0; same && i < sa.ndims; i++) same = sa.len[i] == sb.len[i];
        if (!same) {
            if (first) say(report, n, "variable %s has another type or shape in %s", name, b);
            first = 0;
            nd += count_or_one(sa.total > sb.total ? sa.total : sb.total);
            continue;
        }
        if (compare_values(fa, va, fb, vb, name, &sa, &nd, &first, report, n)) {
            say(report, n, "cannot read variable %s", name);
            rc = -1;
            goto done;
        }
    }
    for (int vb = 0; vb < nvb; vb++) {
        char name[NC_MAX_NAME + 1];
        VarShape sb;
        int va;
        if (nc_inq_varname(fb, vb, name) || var_shape(fb, vb, &sb)) {
            say(report, n, "%s: cannot read variable %d", b, vb);
            rc = -1;
            goto done;
        }
        if (skipped(name, skip_vars) || nc_inq_varid(fa, name, &va) == NC_NOERR) continue;
        if (first) say(report, n, "variable %s missing in %s", name, a);
        first = 0;
        nd += count_or_one(sb.total);
    }
done:
    nc_close(fa);
    nc_close(fb);
    if (ndiff) *ndiff = nd;
    return rc;
}
