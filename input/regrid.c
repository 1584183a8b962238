#include "regrid.h"

#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D2R (M_PI / 180.0)

/* Longest projected polygon segment, degrees.  Parallels are arcs in Lambert and polar
 * stereographic maps; with 0.05-degree chords the sliver between arc and chord is below 1e-4 of a
 * cell (docs/inventory.md), and a 0.05-degree inventory (MEIC) needs no extra vertices. */
#define SEG_DEG 0.05
#define MAX_SEG 64
/* Cells whose lon-lat box is farther than this from the domain's are not projected: the domain
 * edge between two model-cell corners is a curve that departs from its lon-lat box by far less. */
#define MARGIN_DEG 0.5
/* Below this, the outside fraction of a source cell is round-off of the clipped areas. */
#define OUT_EPS 1e-12

double regrid_sphere_area(double lon_w, double lon_e, double lat_s, double lat_n)
{
    return BG_EARTH_RADIUS_M * BG_EARTH_RADIUS_M * (lon_e - lon_w) * D2R *
           (sin(lat_n * D2R) - sin(lat_s * D2R));
}

static double wrap_near(double lon, double ref)
{
    return lon + 360.0 * round((ref - lon) / 360.0);
}

/* Growable sparse rows: built once at load time. */
static int push_entry(RegridMap *m, int d, double w)
{
    if (m->nnz == m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 4096;
        int *nd = realloc(m->dst, nc * sizeof *nd);
        if (!nd) return -1;
        m->dst = nd;
        double *nw = realloc(m->w, nc * sizeof *nw);
        if (!nw) return -1;
        m->w = nw;
        m->cap = nc;
    }
    m->dst[m->nnz] = d;
    m->w[m->nnz] = w;
    m->nnz++;
    return 0;
}

/* Sutherland-Hodgman against one axis-aligned half-plane: keep side*(coord - c) >= 0 on axis
 * (0 = x, 1 = y).  The subject may be slightly non-convex (an annular sector in a conic map); the
 * clip window is convex, so the area of the result is exact even when degenerate edges appear. */
static int clip_half(const double *in, int n, double *out, int axis, double c, double side)
{
    int k = 0;
    for (int a = 0; a < n; a++) {
        const double *p = in + 2 * a, *q = in + 2 * ((a + 1) % n);
        double dp = side * (p[axis] - c), dq = side * (q[axis] - c);
        if (dp >= 0) {
            out[2 * k] = p[0];
            out[2 * k + 1] = p[1];
            k++;
        }
        if ((dp >= 0) != (dq >= 0)) {
            double f = dp / (dp - dq);
            out[2 * k] = p[0] + f * (q[0] - p[0]);
            out[2 * k + 1] = p[1] + f * (q[1] - p[1]);
            out[2 * k + axis] = c; /* exactly on the edge, so neighbours share it */
            k++;
        }
    }
    return k;
}

static double shoelace(const double *v, int n)
{
    double s = 0;
    for (int a = 0; a < n; a++) {
        const double *p = v + 2 * a, *q = v + 2 * ((a + 1) % n);
        s += p[0] * q[1] - q[0] * p[1];
    }
    return 0.5 * s;
}

/* Area of polygon v[n] inside the rectangle [x0,x1] x [y0,y1]; buf1, buf2 hold 16n+16 points. */
static double clipped_area(const double *v, int n, double x0, double x1, double y0, double y1,
                           double *buf1, double *buf2)
{
    int k = clip_half(v, n, buf1, 0, x0, 1.0);
    if (k < 3) return 0;
    k = clip_half(buf1, k, buf2, 0, x1, -1.0);
    if (k < 3) return 0;
    k = clip_half(buf2, k, buf1, 1, y0, 1.0);
    if (k < 3) return 0;
    k = clip_half(buf1, k, buf2, 1, y1, -1.0);
    if (k < 3) return 0;
    return fabs(shoelace(buf2, k));
}

typedef struct {
    double lon0, lon1, lat0, lat1; /* lon-lat box of the domain plus margin, lon near ref */
    int all_lon;                   /* the domain holds a pole: no cut in longitude */
    double ref;                    /* longitude of the domain centre */
} Box;

static void domain_box(const Grid *g, Box *b)
{
    b->ref = g->lon[(size_t)(g->ny / 2) * g->nx + g->nx / 2];
    b->lon0 = b->lat0 = INFINITY;
    b->lon1 = b->lat1 = -INFINITY;
    size_t n4 = 4 * (size_t)g->ny * g->nx;
    for (size_t c = 0; c < n4; c++) {
        double lon = wrap_near(g->lon_bnds[c], b->ref), lat = g->lat_bnds[c];
        if (lon < b->lon0) b->lon0 = lon;
        if (lon > b->lon1) b->lon1 = lon;
        if (lat < b->lat0) b->lat0 = lat;
        if (lat > b->lat1) b->lat1 = lat;
    }
    b->lon0 -= MARGIN_DEG;
    b->lon1 += MARGIN_DEG;
    b->lat0 -= MARGIN_DEG;
    b->lat1 += MARGIN_DEG;
    b->all_lon = b->lat1 >= 90.0 || b->lat0 <= -90.0 || b->lon1 - b->lon0 > 300.0;
}

static int alloc_map(RegridMap *m, int nlon, int nlat, const Grid *g)
{
    memset(m, 0, sizeof *m);
    m->nlon = nlon;
    m->nlat = nlat;
    m->nsrc = nlon * nlat;
    m->ndst = g->nx * g->ny;
    m->ptr = calloc((size_t)m->nsrc + 1, sizeof *m->ptr);
    m->w_out = calloc((size_t)m->nsrc, sizeof *m->w_out);
    return m->ptr && m->w_out ? 0 : -1;
}

/* Vertices of the lon-lat rectangle, counter-clockwise from the south-west corner, each edge
 * split into segments of at most SEG_DEG. */
static int cell_ring(double w, double ea, double s, double n, double *lon, double *lat)
{
    int nx = (int)ceil((ea - w) / SEG_DEG - 1e-9), ny = (int)ceil((n - s) / SEG_DEG - 1e-9);
    if (nx < 1) nx = 1;
    if (ny < 1) ny = 1;
    if (nx > MAX_SEG) nx = MAX_SEG;
    if (ny > MAX_SEG) ny = MAX_SEG;
    int k = 0;
    for (int a = 0; a < nx; a++) lon[k] = w + (ea - w) * a / nx, lat[k++] = s;
    for (int a = 0; a < ny; a++) lon[k] = ea, lat[k++] = s + (n - s) * a / ny;
    for (int a = 0; a < nx; a++) lon[k] = ea - (ea - w) * a / nx, lat[k++] = n;
    for (int a = 0; a < ny; a++) lon[k] = w, lat[k++] = n - (n - s) * a / ny;
    return k;
}

typedef struct {
    PJ_CONTEXT *ctx;
    PJ *pj;
} Proj;

static int open_proj(Proj *p, const Grid *g, const char *path, BgErr *e)
{
    p->ctx = proj_context_create();
    p->pj = NULL;
    if (!p->ctx) return bg_fail(e, BG_EFAIL, path, "PROJ", "cannot create a PROJ context");
    proj_log_level(p->ctx, PJ_LOG_NONE);
    char dst[600];
    snprintf(dst, sizeof dst, "%s +type=crs", g->proj_string);
    /* The inventory's lon-lat on WRF's sphere, the same sphere as the grid: the transformation is
     * the map projection alone, no datum shift. */
    PJ *raw = proj_create_crs_to_crs(p->ctx, "+proj=longlat +R=6370000 +no_defs +type=crs", dst,
                                     NULL);
    if (raw) {
        p->pj = proj_normalize_for_visualization(p->ctx, raw); /* lon, lat order in degrees */
        proj_destroy(raw);
    }
    if (!p->pj) {
        int code = proj_context_errno(p->ctx);
        int rc = bg_fail(e, BG_EFAIL, path, "PROJ", "cannot create the transformation to '%s': %s",
                         g->proj_string, proj_context_errno_string(p->ctx, code));
        proj_context_destroy(p->ctx);
        p->ctx = NULL;
        return rc;
    }
    return BG_OK;
}

static void close_proj(Proj *p)
{
    if (p->pj) proj_destroy(p->pj);
    if (p->ctx) proj_context_destroy(p->ctx);
}

/* Scratch of the map builder, made once. */
typedef struct {
    Proj p;
    double *lon, *lat, *xy, *b1, *b2; /* one polygon and the clipping buffers */
    double *acc;                      /* [ndst] fractions of the current source cell */
    int *touched;                     /* [ndst] model cells with acc > 0 */
    int ntouched;
} Work;

static void touch(Work *wk, int d, double f)
{
    if (wk->acc[d] == 0) wk->touched[wk->ntouched++] = d;
    wk->acc[d] += f;
}

/* Fractions of one source cell.  The cell is cut into latitude strips of at most SEG_DEG, each
 * carrying its exact share of the cell's spherical area; within a strip the clipped pieces are
 * weighted by their projected area.  The map factor of these conformal projections depends on
 * latitude only, so the strips bound the error of weighting by projected area (docs). */
static int map_cell(RegridMap *m, Work *wk, const Grid *g, int i, int j, const char *path,
                    BgErr *e)
{
    const double w = m->lon_w[i], ea = m->lon_e[i], s = m->lat_s[j], n = m->lat_n[j];
    const double X0 = g->x0 - 0.5 * g->dx, Y0 = g->y0 - 0.5 * g->dy;
    int nstrip = (int)ceil((n - s) / SEG_DEG - 1e-9);
    if (nstrip < 1) nstrip = 1;
    if (nstrip > MAX_SEG) nstrip = MAX_SEG;
    const double dsin = sin(n * D2R) - sin(s * D2R);
    wk->ntouched = 0;
    for (int q = 0; q < nstrip; q++) {
        double qs = q == 0 ? s : s + (n - s) * q / nstrip;
        double qn = q == nstrip - 1 ? n : s + (n - s) * (q + 1) / nstrip;
        double share = (sin(qn * D2R) - sin(qs * D2R)) / dsin;
        int nv = cell_ring(w, ea, qs, qn, wk->lon, wk->lat);
        proj_trans_generic(wk->p.pj, PJ_FWD, wk->lon, sizeof *wk->lon, nv, wk->lat,
                           sizeof *wk->lat, nv, NULL, 0, 0, NULL, 0, 0);
        /* Coordinates relative to the first vertex keep the shoelace sums free of the
         * cancellation of 1e6-m coordinates. */
        double ox = wk->lon[0], oy = wk->lat[0];
        double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
        int bad = !(dsin > 0);
        for (int a = 0; a < nv; a++) {
            if (!isfinite(wk->lon[a]) || !isfinite(wk->lat[a])) bad = 1;
            wk->xy[2 * a] = wk->lon[a] - ox;
            wk->xy[2 * a + 1] = wk->lat[a] - oy;
            xmin = fmin(xmin, wk->lon[a]), xmax = fmax(xmax, wk->lon[a]);
            ymin = fmin(ymin, wk->lat[a]), ymax = fmax(ymax, wk->lat[a]);
        }
        double area = bad ? 0 : fabs(shoelace(wk->xy, nv));
        if (bad || !(area > 0))
            return bg_fail(e, BG_EINPUT, path, "lon/lat",
                           "source cell %g..%g E, %g..%g N cannot be projected onto the model "
                           "grid (%s)",
                           w, ea, s, n, g->proj_string);
        int i0 = (int)floor((xmin - X0) / g->dx), i1 = (int)floor((xmax - X0) / g->dx);
        int j0 = (int)floor((ymin - Y0) / g->dy), j1 = (int)floor((ymax - Y0) / g->dy);
        if (i1 < 0 || j1 < 0 || i0 >= g->nx || j0 >= g->ny) continue;
        if (i0 == i1 && j0 == j1) { /* the strip lies in one model cell */
            touch(wk, j0 * g->nx + i0, share);
            continue;
        }
        if (i0 < 0) i0 = 0;
        if (j0 < 0) j0 = 0;
        if (i1 >= g->nx) i1 = g->nx - 1;
        if (j1 >= g->ny) j1 = g->ny - 1;
        for (int jj = j0; jj <= j1; jj++)
            for (int ii = i0; ii <= i1; ii++) {
                double cx0 = X0 + ii * g->dx - ox, cy0 = Y0 + jj * g->dy - oy;
                double a = clipped_area(wk->xy, nv, cx0, cx0 + g->dx, cy0, cy0 + g->dy, wk->b1,
                                        wk->b2);
                if (a > 0) touch(wk, jj * g->nx + ii, share * (a / area));
            }
    }
    /* Entries in increasing model-cell order (insertion sort: a handful per cell). */
    for (int a = 1; a < wk->ntouched; a++)
        for (int b = a; b > 0 && wk->touched[b - 1] > wk->touched[b]; b--) {
            int t = wk->touched[b];
            wk->touched[b] = wk->touched[b - 1];
            wk->touched[b - 1] = t;
        }
    double in = 0;
    for (int a = 0; a < wk->ntouched; a++) in += wk->acc[wk->touched[a]];
    /* Wholly inside (to round-off): normalise so that the fractions sum to 1. */
    double norm = wk->ntouched && 1.0 - in < OUT_EPS ? in : 1.0;
    double in2 = 0;
    for (int a = 0; a < wk->ntouched; a++) {
        int d = wk->touched[a];
        double f = wk->acc[d] / norm;
        wk->acc[d] = 0;
        in2 += f;
        if (push_entry(m, d, f)) return -1;
    }
    m->w_out[(size_t)j * m->nlon + i] = norm == 1.0 ? 1.0 - in2 : 0.0;
    return BG_OK;
}

int regrid_build_lonlat(RegridMap *m, int nlon, const double *lon_w, const double *lon_e,
                        int nlat, const double *lat_s, const double *lat_n, const Grid *g,
                        const char *path, BgErr *e)
{
    if (nlon < 1 || nlat < 1 || (size_t)nlon * (size_t)nlat > 0x7fffffff)
        return bg_fail(e, BG_EINPUT, path, "lon/lat", "source grid of %d x %d cells", nlat, nlon);
    if (alloc_map(m, nlon, nlat, g)) {
        regrid_free(m);
        return bg_fail(e, BG_EFAIL, path, NULL, "out of memory");
    }
    m->lon_w = malloc((size_t)nlon * sizeof *m->lon_w);
    m->lon_e = malloc((size_t)nlon * sizeof *m->lon_e);
    m->lat_s = malloc((size_t)nlat * sizeof *m->lat_s);
    m->lat_n = malloc((size_t)nlat * sizeof *m->lat_n);
    const int maxv = 4 * MAX_SEG, bufn = 16 * maxv + 16;
    Work wk = {0};
    wk.lon = malloc(maxv * sizeof *wk.lon);
    wk.lat = malloc(maxv * sizeof *wk.lat);
    wk.xy = malloc(2 * (size_t)maxv * sizeof *wk.xy);
    wk.b1 = malloc(2 * (size_t)bufn * sizeof *wk.b1);
    wk.b2 = malloc(2 * (size_t)bufn * sizeof *wk.b2);
    wk.acc = calloc((size_t)m->ndst, sizeof *wk.acc);
    wk.touched = malloc((size_t)m->ndst * sizeof *wk.touched);
    int rc = BG_OK;
    if (!m->lon_w || !m->lon_e || !m->lat_s || !m->lat_n || !wk.lon || !wk.lat || !wk.xy ||
        !wk.b1 || !wk.b2 || !wk.acc || !wk.touched)
        rc = -1;
    Box box;
    if (rc == BG_OK) {
        domain_box(g, &box);
        for (int i = 0; i < nlon; i++) {
            double c = 0.5 * (lon_w[i] + lon_e[i]), shift = wrap_near(c, box.ref) - c;
            m->lon_w[i] = lon_w[i] + shift;
            m->lon_e[i] = lon_e[i] + shift;
        }
        memcpy(m->lat_s, lat_s, (size_t)nlat * sizeof *lat_s);
        memcpy(m->lat_n, lat_n, (size_t)nlat * sizeof *lat_n);
        rc = open_proj(&wk.p, g, path, e);
    }
    for (int j = 0; j < nlat && rc == BG_OK; j++) {
        int lat_in = m->lat_n[j] > box.lat0 && m->lat_s[j] < box.lat1;
        for (int i = 0; i < nlon && rc == BG_OK; i++) {
            size_t s = (size_t)j * nlon + i;
            m->ptr[s] = m->nnz;
            m->w_out[s] = 1.0;
            if (lat_in && (box.all_lon || (m->lon_e[i] > box.lon0 && m->lon_w[i] < box.lon1)))
                rc = map_cell(m, &wk, g, i, j, path, e);
        }
    }
    if (rc == BG_OK) m->ptr[m->nsrc] = m->nnz;
    if (wk.p.ctx) close_proj(&wk.p);
    free(wk.lon), free(wk.lat), free(wk.xy), free(wk.b1), free(wk.b2), free(wk.acc);
    free(wk.touched);
    if (rc == -1) rc = bg_fail(e, BG_EFAIL, path, NULL, "out of memory");
    if (rc != BG_OK) regrid_free(m);
    return rc;
}

int regrid_build_identity(RegridMap *m, const Grid *g, BgErr *e)
{
    if (alloc_map(m, g->nx, g->ny, g)) {
        regrid_free(m);
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    }
    m->identity = 1;
    m->nnz = (size_t)m->nsrc;
    m->dst = malloc(m->nnz * sizeof *m->dst);
    m->w = malloc(m->nnz * sizeof *m->w);
    if (!m->dst || !m->w) {
        regrid_free(m);
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    }
    for (int s = 0; s < m->nsrc; s++) {
        m->ptr[s] = (size_t)s;
        m->dst[s] = s;
        m->w[s] = 1.0;
    }
    m->ptr[m->nsrc] = m->nnz;
    return BG_OK;
}

double regrid_src_area(const RegridMap *m, const Grid *g, int s)
{
    if (m->identity) return g->area[s];
    int j = s / m->nlon, i = s % m->nlon;
    return regrid_sphere_area(m->lon_w[i], m->lon_e[i], m->lat_s[j], m->lat_n[j]);
}

void regrid_apply(const RegridMap *m, const double *src, double *dst, double *outside)
{
    double out = 0;
    memset(dst, 0, (size_t)m->ndst * sizeof *dst);
    for (int s = 0; s < m->nsrc; s++) {
        double v = src[s];
        if (v == 0) continue;
        for (size_t k = m->ptr[s]; k < m->ptr[s + 1]; k++) dst[m->dst[k]] += v * m->w[k];
        out += v * m->w_out[s];
    }
    if (outside) *outside = out;
}

void regrid_apply_list(const RegridMap *m, size_t n, const int *cell, const double *val,
                       double *dst, double *outside)
{
    double out = 0;
    memset(dst, 0, (size_t)m->ndst * sizeof *dst);
    for (size_t c = 0; c < n; c++) {
        int s = cell[c];
        double v = val[c];
        if (v == 0) continue;
        for (size_t k = m->ptr[s]; k < m->ptr[s + 1]; k++) dst[m->dst[k]] += v * m->w[k];
        out += v * m->w_out[s];
    }
    if (outside) *outside = out;
}

void regrid_mean(const RegridMap *m, const Grid *g, const double *src, double empty, double *dst,
                 double *work)
{
    memset(dst, 0, (size_t)m->ndst * sizeof *dst);
    memset(work, 0, (size_t)m->ndst * sizeof *work);
    for (int s = 0; s < m->nsrc; s++) {
        if (m->ptr[s] == m->ptr[s + 1]) continue;
        double a = regrid_src_area(m, g, s);
        for (size_t k = m->ptr[s]; k < m->ptr[s + 1]; k++) {
            dst[m->dst[k]] += src[s] * a * m->w[k];
            work[m->dst[k]] += a * m->w[k];
        }
    }
    for (int d = 0; d < m->ndst; d++) dst[d] = work[d] > 0 ? dst[d] / work[d] : empty;
}

size_t regrid_cells_inside(const RegridMap *m, int *cell)
{
    size_t n = 0;
    for (int s = 0; s < m->nsrc; s++)
        if (m->ptr[s + 1] > m->ptr[s]) {
            if (cell) cell[n] = s;
            n++;
        }
    return n;
}

void regrid_free(RegridMap *m)
{
    if (!m) return;
    free(m->lon_w);
    free(m->lon_e);
    free(m->lat_s);
    free(m->lat_n);
    free(m->ptr);
    free(m->dst);
    free(m->w);
    free(m->w_out);
    memset(m, 0, sizeof *m);
}
