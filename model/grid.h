/* The model grid is the WRF mass grid of the meteorological input.  Immutable after grid_from_wrf().
 * Horizontal index (j, i): j = south_north (0 = south), i = west_east (0 = west).
 * Flat 2-D index j*nx + i.  PROJ is called only while the grid is built. */
#ifndef BOGDA_GRID_H
#define BOGDA_GRID_H

#include <stddef.h>

#include "err.h"

#define BG_EARTH_RADIUS_M 6370000.0 /* WRF's sphere (WRF share/module_llxy.F, EARTH_RADIUS_M) */

typedef struct Grid {
    int nx, ny, nz;         /* mass points: west_east, south_north, bottom_top */
    double dx, dy;          /* projected spacing, m (DX, DY) */
    int map_proj;           /* WRF MAP_PROJ: 1 Lambert, 2 polar stereographic, 3 Mercator */
    double truelat1, truelat2, stand_lon, moad_cen_lat, cen_lat, cen_lon, pole_lat, pole_lon;
    char proj_string[512];  /* PROJ definition of the projected CRS (+R=6370000) */
    char source[1024];      /* the file it was read from (messages; "" if built otherwise) */
    double x0, y0;          /* projected coordinates of the centre of cell (0,0), m */
    double *x;              /* [nx] cell-centre projected x, m (x0 + i*dx) */
    double *y;              /* [ny] cell-centre projected y, m */
    double *lat, *lon;      /* [ny*nx] cell centres, degrees (from XLAT/XLONG) */
    double *lat_bnds;       /* [ny*nx*4] corners SW, SE, NE, NW (CF order), degrees */
    double *lon_bnds;       /* [ny*nx*4] */
    double *mapfac_m;       /* [ny*nx]      map factor at mass points */
    double *mapfac_u;       /* [ny*(nx+1)]  at x faces (U points) */
    double *mapfac_v;       /* [(ny+1)*nx]  at y faces (V points) */
    double *area;           /* [ny*nx] true cell area, m2 = dx*dy/mapfac_m^2 */
    double *hgt;            /* [ny*nx] terrain height, m (HGT) */
} Grid;

/* Builds the grid from the first WRF file (global attributes, XLAT, XLONG with or without Time,
 * HGT, MAPFAC_M/U/V when present, else from the projection).  Locates the grid from the projected
 * XLAT/XLONG, checks every centre against the DX/DY lattice to 1e-3 degrees; refuses unsupported
 * MAP_PROJ by name.  Returns BG_OK or BG_EINPUT with e filled (file and attribute/variable named). */
int grid_from_wrf(Grid *g, const char *path, BgErr *e);

void grid_free(Grid *g);

/* Fractional mass-grid index of a geographic point (i = 0 at the centre of column 0).  Uses the
 * stored projection parameters with PROJ; not for use inside parallel regions.  Returns BG_OK,
 * BG_EINPUT if the point cannot be projected, BG_EFAIL if PROJ cannot be set up. */
int grid_locate(const Grid *g, double lon, double lat, double *fi, double *fj);
/* Reads spec = "file.nc:variable" (blanks around the colon ignored), a (y, x) field on this grid
 * (leading dimensions of length 1 allowed), into out[ny * nx]; cells equal to _FillValue are
 * returned in *is_fill (may be NULL: they become 0).  The values are not checked (the caller
 * knows what they mean).  path and var receive the file and variable (for the caller's own
 * messages).  Errors name the file, the variable and `what`: BG_ECONFIG for a malformed spec,
 * BG_EINPUT for the file. */
int grid_read_field2d(const Grid *g, const char *spec, const char *what, double *out, unsigned char *is_fill,
                      char *path, size_t npath, char *var, size_t nvar, BgErr *e);

/* Map factors of the stored projection (PROJ's meridional scale, equal to the parallel scale for
 * these conformal projections) at mass points [ny*nx], x faces [ny*(nx+1)] and y faces
 * [(ny+1)*nx] of the lattice x0 + i*dx, y0 + j*dy; any output may be NULL.  grid_from_wrf uses it
 * when the file has no MAPFAC_M/U/V; tests compare it with WRF's.  Returns BG_OK or an error. */
int grid_mapfac_from_projection(const Grid *g, double *mapfac_m, double *mapfac_u,
                                double *mapfac_v, BgErr *e);

static inline size_t grid_idx2(const Grid *g, int j, int i) { return (size_t)j * g->nx + i; }
static inline size_t grid_idx3(const Grid *g, int k, int j, int i)
{
    return ((size_t)k * g->ny + j) * g->nx + i;
}

#endif
