/* Conservative regridding of a regular (or irregular) longitude-latitude grid onto the model grid.
 *
 * Every source cell is a spherical lon-lat rectangle, cut into latitude strips of at most 0.05
 * degree that carry their exact share of the cell's spherical area; each strip's edges (densified
 * to 0.05-degree segments) are projected with PROJ into the model's projected coordinates and
 * the polygon is clipped exactly (Sutherland-Hodgman) against each model cell it touches.  The
 * fraction of the source cell in each model cell is stored in a sparse map, and the part outside
 * the domain too, so that for any field  sum(model cells) + outside = sum(source)  to round-off.
 * docs/inventory.md gives the accuracy (4e-6 of a model cell's amount).  The map is built once
 * (no allocation when it is applied). */
#ifndef BOGDA_REGRID_H
#define BOGDA_REGRID_H

#include <stddef.h>

#include "err.h"
#include "grid.h"

typedef struct RegridMap {
    int nlon, nlat;     /* source grid; source cell s = jlat*nlon + ilon (file order) */
    int nsrc, ndst;     /* nlon*nlat; model cells ny*nx */
    double *lon_w, *lon_e; /* [nlon] west/east edges, degrees, wrapped to within 180 of the
                              model centre */
    double *lat_s, *lat_n; /* [nlat] south/north edges, degrees */
    size_t *ptr;        /* [nsrc+1] entries of source cell s: ptr[s] .. ptr[s+1]-1 */
    int *dst;           /* [nnz] model cell j*nx + i */
    double *w;          /* [nnz] fraction of source cell s inside that model cell */
    double *w_out;      /* [nsrc] fraction outside the domain (1 for cells far away) */
    size_t nnz, cap;    /* entries used, allocated */
    int identity;       /* 1: the source is the model grid itself (s == d, w = 1) */
} RegridMap;

/* True area (m2) of the lon-lat rectangle on the R = 6 370 000 m sphere (WRF's, grid.h):
 * R^2 dlon (sin lat_n - sin lat_s), the exact area of a spherical zone segment. */
double regrid_sphere_area(double lon_w, double lon_e, double lat_s, double lat_n);

/* Builds the map of a lon-lat grid given by the edges of its columns and rows (degrees; any
 * longitude convention, 0..360 or -180..180; rows in any order; west < east and south < north
 * for each column / row).  Cells whose lon-lat box misses the domain's (plus 0.5 degree) are not
 * projected (w_out = 1).  Returns BG_OK, BG_EINPUT (file named by `path`) if a cell near the
 * domain cannot be projected, BG_EFAIL if PROJ cannot be set up or memory runs out. */
int regrid_build_lonlat(RegridMap *m, int nlon, const double *lon_w, const double *lon_e,
                        int nlat, const double *lat_s, const double *lat_n, const Grid *g,
                        const char *path, BgErr *e);

/* The identity map for data already on the model grid (nsrc = ndst = ny*nx). */
int regrid_build_identity(RegridMap *m, const Grid *g, BgErr *e);

/* True area (m2) of source cell s (the model cell's area for the identity map). */
double regrid_src_area(const RegridMap *m, const Grid *g, int s);

/* dst[ndst] = the amounts of src[nsrc] (per-cell amounts, any unit) redistributed onto the model
 * grid; *outside (may be NULL) receives the amount falling outside the domain.  Summation is in
 * source order, so the result does not depend on the thread count of the caller. */
void regrid_apply(const RegridMap *m, const double *src, double *dst, double *outside);

/* The same for a sparse source: n cells with indices cell[] and amounts val[]. */
void regrid_apply_list(const RegridMap *m, size_t n, const int *cell, const double *val,
                       double *dst, double *outside);

/* Area-weighted mean of an intensive source field (a fraction, a density) in each model cell:
 * sum_s v_s a_s w_sd / sum_s a_s w_sd with a_s the source cell's true area; model cells not
 * covered get `empty`.  work[ndst] is caller scratch. */
void regrid_mean(const RegridMap *m, const Grid *g, const double *src, double empty, double *dst,
                 double *work);

/* Source cells that reach the domain (w_out < 1), in increasing order: fills cell[] (caller
 * allocates nsrc entries, may be NULL to count only) and returns their number. */
size_t regrid_cells_inside(const RegridMap *m, int *cell);

void regrid_free(RegridMap *m);

#endif
