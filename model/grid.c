/* The model grid from a WRF file: projection from the global attributes, position of the lattice
 * from XLAT/XLONG (never from CEN_LAT/CEN_LON: cropped files keep their parent's centre), map
 * factors and cell geometry.  PROJ is used only here, with a context private to each call. */
#include "grid.h"

#include <math.h>
#include <netcdf.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest distance of a cell centre from the DX/DY lattice, degrees.  WRF computes XLAT/XLONG in
 * single precision (about 1e-5 degrees); 1e-3 degrees (~100 m) is far above round-off and far below
 * a displaced or wrongly projected grid. */
#define LATTICE_TOL_DEG 1e-3

static int nc_fail(BgErr *e, const char *path, const char *item, int status)
{
    return bg_fail(e, BG_EINPUT, path, item, "%s", nc_strerror(status));
}

/* WRF's names for its MAP_PROJ codes (WPS misc_definitions_module.F and geogrid, which writes a
 * 'lat-lon' grid as 6). */
static const char *map_proj_name(int code)
{
    switch (code) {
    case 0: return "no projection (idealised case)";
    case 1: return "Lambert conformal";
    case 2: return "polar stereographic";
    case 3: return "Mercator";
    case 4: return "Gaussian";
    case 5: return "cylindrical equidistant";
    case 6: return "lat-lon or rotated-pole cylindrical equidistant";
    case 102: return "polar stereographic on WGS84";
    case 105: return "Albers equal-area (NAD83)";
    case 203: return "rotated lat-lon (NMM E-grid)";
    default: return "unknown";
    }
}

/* Shape of a 2-D field stored as (south_north, west_east) or (Time, south_north, west_east);
 * sizes come from the variable's own dimensions. */
static int var_shape2(int ncid, int varid, int *has_time, size_t *ny, size_t *nx)
{
    int ndims, dimids[NC_MAX_VAR_DIMS];
    int st = nc_inq_varndims(ncid, varid, &ndims);
    if (st != NC_NOERR) return st;
    if (ndims != 2 && ndims != 3) return NC_EDIMSIZE;
    if ((st = nc_inq_vardimid(ncid, varid, dimids)) != NC_NOERR) return st;
    if ((st = nc_inq_dimlen(ncid, dimids[ndims - 2], ny)) != NC_NOERR) return st;
    if ((st = nc_inq_dimlen(ncid, dimids[ndims - 1], nx)) != NC_NOERR) return st;
    *has_time = ndims == 3;
    if (ndims == 3) {
        size_t nt;
        if ((st = nc_inq_dimlen(ncid, dimids[0], &nt)) != NC_NOERR) return st;
        if (nt < 1) return NC_EINVALCOORDS;
    }
    return NC_NOERR;
}

/* Reads record 0 of a 2-D field that must have ny x nx points. */
static int read2d(int ncid, const char *path, const char *name, size_t ny, size_t nx, double *out,
                  BgErr *e)
{
    int varid, has_time;
    size_t fy, fx;
    int st = nc_inq_varid(ncid, name, &varid);
    if (st != NC_NOERR) return nc_fail(e, path, name, st);
    st = var_shape2(ncid, varid, &has_time, &fy, &fx);
    if (st == NC_EDIMSIZE)
        return bg_fail(e, BG_EINPUT, path, name,
                       "expected dimensions ([Time,] south_north, west_east)");
    if (st != NC_NOERR) return nc_fail(e, path, name, st);
    if (fy != ny || fx != nx)
        return bg_fail(e, BG_EINPUT, path, name, "is %zux%zu, expected %zux%zu like XLAT", fy, fx,
                       ny, nx);
    size_t start[3] = {0, 0, 0}, count[3] = {1, ny, nx};
    st = has_time ? nc_get_vara_double(ncid, varid, start, count, out)
                  : nc_get_vara_double(ncid, varid, start + 1, count + 1, out);
    if (st != NC_NOERR) return nc_fail(e, path, name, st);
    for (size_t n = 0; n < ny * nx; n++)
        if (!isfinite(out[n]))
            return bg_fail(e, BG_EINPUT, path, name, "non-finite value at [j=%zu,i=%zu]", n / nx,
                           n % nx);
    return BG_OK;
}

/* PROJ definition on WRF's sphere.  The false origin is irrelevant (x0, y0 are fitted), but
 * lat_0 = MOAD_CEN_LAT keeps the numbers the ones WRF's own module_llxy.F would produce. */
static int build_proj_string(Grid *g, const char *path, BgErr *e)
{
    int n;
    char *s = g->proj_string;
    size_t cap = sizeof g->proj_string;
    switch (g->map_proj) {
    case 1:
        /* TRUELAT1 == TRUELAT2 is the tangent cone; PROJ's lcc treats lat_1 == lat_2 as tangent,
         * and we write it that way explicitly so the string states it. */
        if (fabs(g->truelat1 - g->truelat2) < 1e-7)
            n = snprintf(s, cap, "+proj=lcc +lat_1=%.10g +lat_0=%.10g +lon_0=%.10g", g->truelat1,
                         g->moad_cen_lat, g->stand_lon);
        else
            n = snprintf(s, cap, "+proj=lcc +lat_1=%.10g +lat_2=%.10g +lat_0=%.10g +lon_0=%.10g",
                         g->truelat1, g->truelat2, g->moad_cen_lat, g->stand_lon);
        break;
    case 2:
        /* WRF picks the hemisphere from the sign of TRUELAT1 (module_llxy.F, set_ps). */
        n = snprintf(s, cap, "+proj=stere +lat_0=%d +lat_ts=%.10g +lon_0=%.10g",
                     g->truelat1 >= 0 ? 90 : -90, g->truelat1, g->stand_lon);
        break;
    case 3:
        n = snprintf(s, cap, "+proj=merc +lat_ts=%.10g +lon_0=%.10g", g->truelat1, g->stand_lon);
        break;
    default:
        return bg_fail(e, BG_EINPUT, path, "MAP_PROJ",
                       "MAP_PROJ = %d (%s) is not supported; Bogda reads 1 (Lambert conformal), "
                       "2 (polar stereographic) and 3 (Mercator)",
                       g->map_proj, map_proj_name(g->map_proj));
    }
    if (n > 0 && (size_t)n < cap)
        n += snprintf(s + n, cap - (size_t)n, " +x_0=0 +y_0=0 +R=%.0f +units=m +no_defs",
                      BG_EARTH_RADIUS_M);
    if (n <= 0 || (size_t)n >= cap)
        return bg_fail(e, BG_EFAIL, path, "MAP_PROJ", "projection string too long");
    return BG_OK;
}

/* A projection operation (lon/lat in radians <-> x/y in metres) in its own context. */
typedef struct {
    PJ_CONTEXT *ctx;
    PJ *pj;
} Proj;

static int proj_open(Proj *p, const char *def, const char *path, BgErr *e)
{
    p->ctx = proj_context_create();
    p->pj = NULL;
    if (!p->ctx) return bg_fail(e, BG_EFAIL, path, "PROJ", "cannot create a PROJ context");
    proj_log_level(p->ctx, PJ_LOG_NONE);
    p->pj = proj_create(p->ctx, def);
    if (!p->pj) {
        int code = proj_context_errno(p->ctx);
        int rc = bg_fail(e, BG_EINPUT, path, "MAP_PROJ", "PROJ refuses '%s': %s", def,
                         proj_context_errno_string(p->ctx, code));
        proj_context_destroy(p->ctx);
        p->ctx = NULL;
        return rc;
    }
    return BG_OK;
}

static void proj_close(Proj *p)
{
    if (p->pj) proj_destroy(p->pj);
    if (p->ctx) proj_context_destroy(p->ctx);
    p->pj = NULL;
    p->ctx = NULL;
}

static int fwd(const Proj *p, double lon, double lat, double *x, double *y)
{
    PJ_COORD c = proj_coord(proj_torad(lon), proj_torad(lat), 0, 0);
    PJ_COORD r = proj_trans(p->pj, PJ_FWD, c);
    *x = r.xy.x;
    *y = r.xy.y;
    return isfinite(*x) && isfinite(*y) ? 0 : -1;
}

static int inv(const Proj *p, double x, double y, double *lon, double *lat)
{
    PJ_COORD c = proj_coord(x, y, 0, 0);
    PJ_COORD r = proj_trans(p->pj, PJ_INV, c);
    *lon = proj_todeg(r.lp.lam);
    *lat = proj_todeg(r.lp.phi);
    return isfinite(*lon) && isfinite(*lat) ? 0 : -1;
}

/* Map factor of a conformal projection: PROJ's meridional scale h (equal to the parallel scale k
 * for Lambert, polar stereographic and Mercator; WRF's MAPFAC_M = MAPFAC_MX = MAPFAC_MY). */
static int mapfac_at(const Proj *p, double x, double y, double *m)
{
    double lon, lat;
    if (inv(p, x, y, &lon, &lat)) return -1;
    PJ_FACTORS f = proj_factors(p->pj, proj_coord(proj_torad(lon), proj_torad(lat), 0, 0));
    *m = f.meridional_scale;
    return isfinite(*m) && *m > 0 ? 0 : -1;
}

int grid_mapfac_from_projection(const Grid *g, double *mapfac_m, double *mapfac_u,
                                double *mapfac_v, BgErr *e)
{
    Proj p;
    int rc = proj_open(&p, g->proj_string, NULL, e);
    if (rc != BG_OK) return rc;
    int bad = 0;
    for (int j = 0; j < g->ny && !bad; j++) {
        double y = g->y0 + j * g->dy;
        for (int i = 0; i < g->nx && mapfac_m && !bad; i++)
            bad = mapfac_at(&p, g->x0 + i * g->dx, y, &mapfac_m[(size_t)j * g->nx + i]);
        for (int i = 0; i <= g->nx && mapfac_u && !bad; i++)
            bad = mapfac_at(&p, g->x0 + (i - 0.5) * g->dx, y, &mapfac_u[(size_t)j * (g->nx + 1) + i]);
    }
    for (int j = 0; j <= g->ny && mapfac_v && !bad; j++)
        for (int i = 0; i < g->nx && !bad; i++)
            bad = mapfac_at(&p, g->x0 + i * g->dx, g->y0 + (j - 0.5) * g->dy,
                            &mapfac_v[(size_t)j * g->nx + i]);
    proj_close(&p);
    if (bad) return bg_fail(e, BG_EINPUT, NULL, "MAP_PROJ", "map factor undefined inside the grid");
    return BG_OK;
}

/* Global attributes WRF writes as float or int; read as double. */
static int get_att(int ncid, const char *name, double *v)
{
    return nc_get_att_double(ncid, NC_GLOBAL, name, v);
}

static int read_attributes(Grid *g, int ncid, const char *path, BgErr *e)
{
    static const char *req[] = {"MAP_PROJ", "TRUELAT1", "TRUELAT2", "STAND_LON", "MOAD_CEN_LAT",
                                "CEN_LAT", "CEN_LON", "DX", "DY"};
    double *dst[] = {NULL, &g->truelat1, &g->truelat2, &g->stand_lon, &g->moad_cen_lat,
                     &g->cen_lat, &g->cen_lon, &g->dx, &g->dy};
    char missing[256] = "";
    size_t nm = 0;
    for (size_t a = 0; a < sizeof req / sizeof *req; a++) {
        int st = a == 0 ? nc_get_att_int(ncid, NC_GLOBAL, req[a], &g->map_proj)
                        : get_att(ncid, req[a], dst[a]);
        if (st != NC_NOERR)
            nm += (size_t)snprintf(missing + nm, sizeof missing - nm, "%s%s", nm ? "," : "",
                                   req[a]);
        if (nm >= sizeof missing) nm = sizeof missing - 1;
    }
    if (nm) return bg_fail(e, BG_EINPUT, path, missing, "required global attributes missing");
    g->pole_lat = 90.0;
    g->pole_lon = 0.0;
    get_att(ncid, "POLE_LAT", &g->pole_lat); /* optional: absent keeps WRF's default */
    get_att(ncid, "POLE_LON", &g->pole_lon);
    if (!(g->dx > 0) || !(g->dy > 0))
        return bg_fail(e, BG_EINPUT, path, "DX", "DX = %g, DY = %g m: must be positive", g->dx,
                       g->dy);
    return BG_OK;
}

/* nx, ny from XLAT's dimensions, nz from T's bottom_top; XLONG and T must agree. */
static int read_sizes(Grid *g, int ncid, const char *path, BgErr *e)
{
    int varid, has_time, st;
    size_t ny, nx, ny2, nx2;
    if ((st = nc_inq_varid(ncid, "XLAT", &varid)) != NC_NOERR) return nc_fail(e, path, "XLAT", st);
    if ((st = var_shape2(ncid, varid, &has_time, &ny, &nx)) != NC_NOERR)
        return st == NC_EDIMSIZE ? bg_fail(e, BG_EINPUT, path, "XLAT",
                                           "expected dimensions ([Time,] south_north, west_east)")
                                 : nc_fail(e, path, "XLAT", st);
    if ((st = nc_inq_varid(ncid, "XLONG", &varid)) != NC_NOERR)
        return nc_fail(e, path, "XLONG", st);
    if ((st = var_shape2(ncid, varid, &has_time, &ny2, &nx2)) != NC_NOERR)
        return st == NC_EDIMSIZE ? bg_fail(e, BG_EINPUT, path, "XLONG",
                                           "expected dimensions ([Time,] south_north, west_east)")
                                 : nc_fail(e, path, "XLONG", st);
    if (ny2 != ny || nx2 != nx)
        return bg_fail(e, BG_EINPUT, path, "XLONG", "is %zux%zu but XLAT is %zux%zu", ny2, nx2, ny,
                       nx);
    if (ny < 1 || nx < 1 || ny > 100000 || nx > 100000)
        return bg_fail(e, BG_EINPUT, path, "XLAT", "implausible size %zux%zu", ny, nx);

    int ndims, dimids[NC_MAX_VAR_DIMS];
    size_t nz, tny, tnx;
    if ((st = nc_inq_varid(ncid, "T", &varid)) != NC_NOERR) return nc_fail(e, path, "T", st);
    if ((st = nc_inq_varndims(ncid, varid, &ndims)) != NC_NOERR) return nc_fail(e, path, "T", st);
    if (ndims != 4)
        return bg_fail(e, BG_EINPUT, path, "T",
                       "expected dimensions (Time, bottom_top, south_north, west_east)");
    if ((st = nc_inq_vardimid(ncid, varid, dimids)) != NC_NOERR ||
        (st = nc_inq_dimlen(ncid, dimids[1], &nz)) != NC_NOERR ||
        (st = nc_inq_dimlen(ncid, dimids[2], &tny)) != NC_NOERR ||
        (st = nc_inq_dimlen(ncid, dimids[3], &tnx)) != NC_NOERR)
        return nc_fail(e, path, "T", st);
    if (tny != ny || tnx != nx)
        return bg_fail(e, BG_EINPUT, path, "T", "horizontal size %zux%zu differs from XLAT %zux%zu",
                       tny, tnx, ny, nx);
    if (nz < 1 || nz > 10000) return bg_fail(e, BG_EINPUT, path, "T", "implausible nz = %zu", nz);
    g->nx = (int)nx;
    g->ny = (int)ny;
    g->nz = (int)nz;
    return BG_OK;
}

static int alloc_grid(Grid *g)
{
    size_t n2 = (size_t)g->nx * g->ny;
    g->x = calloc((size_t)g->nx, sizeof *g->x);
    g->y = calloc((size_t)g->ny, sizeof *g->y);
    g->lat = calloc(n2, sizeof *g->lat);
    g->lon = calloc(n2, sizeof *g->lon);
    g->lat_bnds = calloc(4 * n2, sizeof *g->lat_bnds);
    g->lon_bnds = calloc(4 * n2, sizeof *g->lon_bnds);
    g->mapfac_m = calloc(n2, sizeof *g->mapfac_m);
    g->mapfac_u = calloc((size_t)g->ny * (g->nx + 1), sizeof *g->mapfac_u);
    g->mapfac_v = calloc((size_t)(g->ny + 1) * g->nx, sizeof *g->mapfac_v);
    g->area = calloc(n2, sizeof *g->area);
    g->hgt = calloc(n2, sizeof *g->hgt);
    return g->x && g->y && g->lat && g->lon && g->lat_bnds && g->lon_bnds && g->mapfac_m &&
                   g->mapfac_u && g->mapfac_v && g->area && g->hgt
               ? 0
               : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median: one displaced cell (the error we want to name) must not drag the origin of all others. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Longitude difference folded into [-180, 180]. */
static double dlon_deg(double a, double b) { return remainder(a - b, 360.0); }

/* x0, y0 from the projected centres; then every centre must lie on x0 + i DX, y0 + j DY. */
static int locate_lattice(Grid *g, const Proj *p, const char *path, BgErr *e)
{
    size_t n2 = (size_t)g->nx * g->ny;
    double *ox = malloc(n2 * sizeof *ox), *oy = malloc(n2 * sizeof *oy);
    if (!ox || !oy) {
        free(ox);
        free(oy);
        return bg_fail(e, BG_EFAIL, path, NULL, "out of memory");
    }
    int rc = BG_OK;
    for (int j = 0; j < g->ny && rc == BG_OK; j++)
        for (int i = 0; i < g->nx; i++) {
            size_t n = grid_idx2(g, j, i);
            double x, y;
            if (fwd(p, g->lon[n], g->lat[n], &x, &y)) {
                rc = bg_fail(e, BG_EINPUT, path, "XLAT/XLONG",
                             "cell [j=%d,i=%d] (%.4f N, %.4f E) cannot be projected with '%s'", j,
                             i, g->lat[n], g->lon[n], g->proj_string);
                break;
            }
            ox[n] = x - i * g->dx;
            oy[n] = y - j * g->dy;
        }
    if (rc == BG_OK) {
        g->x0 = median(ox, n2);
        g->y0 = median(oy, n2);
    }
    free(ox);
    free(oy);
    if (rc != BG_OK) return rc;

    for (int i = 0; i < g->nx; i++) g->x[i] = g->x0 + i * g->dx;
    for (int j = 0; j < g->ny; j++) g->y[j] = g->y0 + j * g->dy;

    /* Distance in degrees of arc: the east-west error is dlon cos(lat), so a cell near a pole is
     * not refused for the longitude's singularity there. */
    double worst = -1, wlat = 0, wlon = 0;
    int wj = 0, wi = 0;
    for (int j = 0; j < g->ny; j++)
        for (int i = 0; i < g->nx; i++) {
            size_t n = grid_idx2(g, j, i);
            double lon, lat;
            if (inv(p, g->x[i], g->y[j], &lon, &lat)) {
                worst = INFINITY;
                wj = j;
                wi = i;
                continue;
            }
            double dla = fabs(lat - g->lat[n]);
            double dlo = fabs(dlon_deg(lon, g->lon[n])) * cos(g->lat[n] * M_PI / 180.0);
            double d = fmax(dla, dlo);
            if (d > worst) {
                worst = d;
                wlat = lat - g->lat[n];
                wlon = dlon_deg(lon, g->lon[n]);
                wj = j;
                wi = i;
            }
        }
    if (!(worst <= LATTICE_TOL_DEG)) {
        size_t n = grid_idx2(g, wj, wi);
        return bg_fail(e, BG_EINPUT, path, "XLAT/XLONG",
                       "cell [j=%d,i=%d] (%.5f N, %.5f E) is off the DX/DY lattice of '%s' by "
                       "dlat %.5f, dlon %.5f degrees (tolerance %g)",
                       wj, wi, g->lat[n], g->lon[n], g->proj_string, wlat, wlon, LATTICE_TOL_DEG);
    }
    return BG_OK;
}

/* Corners SW, SE, NE, NW; longitudes kept within 180 degrees of the centre (no wrap inside a
 * cell). */
static int corner_bounds(Grid *g, const Proj *p, const char *path, BgErr *e)
{
    static const double sx[4] = {-0.5, 0.5, 0.5, -0.5}, sy[4] = {-0.5, -0.5, 0.5, 0.5};
    for (int j = 0; j < g->ny; j++)
        for (int i = 0; i < g->nx; i++) {
            size_t n = grid_idx2(g, j, i);
            for (int c = 0; c < 4; c++) {
                double lon, lat;
                if (inv(p, g->x[i] + sx[c] * g->dx, g->y[j] + sy[c] * g->dy, &lon, &lat))
                    return bg_fail(e, BG_EINPUT, path, "MAP_PROJ",
                                   "corner %d of cell [j=%d,i=%d] has no inverse projection", c,
                                   j, i);
                g->lat_bnds[4 * n + c] = lat;
                g->lon_bnds[4 * n + c] = g->lon[n] + dlon_deg(lon, g->lon[n]);
            }
        }
    return BG_OK;
}

/* Map factors from the file when present (WRF's own), else from the projection. */
static int read_mapfac(Grid *g, int ncid, const char *path, BgErr *e)
{
    int vm, vu, vv;
    int has = nc_inq_varid(ncid, "MAPFAC_M", &vm) == NC_NOERR &&
              nc_inq_varid(ncid, "MAPFAC_U", &vu) == NC_NOERR &&
              nc_inq_varid(ncid, "MAPFAC_V", &vv) == NC_NOERR;
    if (!has) return grid_mapfac_from_projection(g, g->mapfac_m, g->mapfac_u, g->mapfac_v, e);
    size_t ny = (size_t)g->ny, nx = (size_t)g->nx;
    BG_TRY(read2d(ncid, path, "MAPFAC_M", ny, nx, g->mapfac_m, e));
    BG_TRY(read2d(ncid, path, "MAPFAC_U", ny, nx + 1, g->mapfac_u, e));
    BG_TRY(read2d(ncid, path, "MAPFAC_V", ny + 1, nx, g->mapfac_v, e));
    const struct {
        const char *name;
        const double *v;
        size_t n;
    } mf[3] = {{"MAPFAC_M", g->mapfac_m, ny * nx},
               {"MAPFAC_U", g->mapfac_u, ny * (nx + 1)},
               {"MAPFAC_V", g->mapfac_v, (ny + 1) * nx}};
    for (int a = 0; a < 3; a++)
        for (size_t n = 0; n < mf[a].n; n++)
            if (!(mf[a].v[n] > 0.1 && mf[a].v[n] < 10))
                return bg_fail(e, BG_EINPUT, path, mf[a].name,
                               "implausible map factor %g at flat index %zu", mf[a].v[n], n);
    return BG_OK;
}

static int build(Grid *g, int ncid, const char *path, BgErr *e)
{
    BG_TRY(read_attributes(g, ncid, path, e));
    BG_TRY(build_proj_string(g, path, e));
    BG_TRY(read_sizes(g, ncid, path, e));
    if (alloc_grid(g)) return bg_fail(e, BG_EFAIL, path, NULL, "out of memory");
    size_t ny = (size_t)g->ny, nx = (size_t)g->nx;
    BG_TRY(read2d(ncid, path, "XLAT", ny, nx, g->lat, e));
    BG_TRY(read2d(ncid, path, "XLONG", ny, nx, g->lon, e));
    for (size_t n = 0; n < ny * nx; n++)
        if (fabs(g->lat[n]) > 90 || fabs(g->lon[n]) > 360)
            return bg_fail(e, BG_EINPUT, path, "XLAT/XLONG",
                           "(%g N, %g E) at [j=%zu,i=%zu] is not a geographic position", g->lat[n],
                           g->lon[n], n / nx, n % nx);

    /* HGT is optional here so that a coordinates-only file still gives a grid; met_open requires
     * it. */
    int varid;
    if (nc_inq_varid(ncid, "HGT", &varid) == NC_NOERR)
        BG_TRY(read2d(ncid, path, "HGT", ny, nx, g->hgt, e));

    Proj p;
    BG_TRY(proj_open(&p, g->proj_string, path, e));
    int rc = locate_lattice(g, &p, path, e);
    if (rc == BG_OK) rc = corner_bounds(g, &p, path, e);
    proj_close(&p);
    if (rc != BG_OK) return rc;

    BG_TRY(read_mapfac(g, ncid, path, e));
    for (size_t n = 0; n < ny * nx; n++)
        g->area[n] = g->dx * g->dy / (g->mapfac_m[n] * g->mapfac_m[n]);
    return BG_OK;
}

int grid_from_wrf(Grid *g, const char *path, BgErr *e)
{
    memset(g, 0, sizeof *g);
    int ncid, st = nc_open(path, NC_NOWRITE, &ncid);
    if (st != NC_NOERR) return nc_fail(e, path, NULL, st);
    int rc = build(g, ncid, path, e);
    nc_close(ncid);
    if (rc != BG_OK) grid_free(g);
    else snprintf(g->source, sizeof g->source, "%s", path);
    return rc;
}

void grid_free(Grid *g)
{
    if (!g) return;
    free(g->x);
    free(g->y);
    free(g->lat);
    free(g->lon);
    free(g->lat_bnds);
    free(g->lon_bnds);
    free(g->mapfac_m);
    free(g->mapfac_u);
    free(g->mapfac_v);
    free(g->area);
    free(g->hgt);
    memset(g, 0, sizeof *g);
}

int grid_locate(const Grid *g, double lon, double lat, double *fi, double *fj)
{
    Proj p;
    BgErr e = {0};
    if (proj_open(&p, g->proj_string, NULL, &e) != BG_OK) return BG_EFAIL;
    double x, y;
    int bad = fwd(&p, lon, lat, &x, &y);
    proj_close(&p);
    if (bad) return BG_EINPUT;
    *fi = (x - g->x0) / g->dx;
    *fj = (y - g->y0) / g->dy;
    return BG_OK;
}

int grid_read_field2d(const Grid *g, const char *spec, const char *what, double *out, unsigned char *is_fill,
                      char *path, size_t npath, char *var, size_t nvar, BgErr *e)
{
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1])
        return bg_fail(e, BG_ECONFIG, spec, what, "must be 'file.nc:variable'");
    size_t lp = (size_t)(colon - spec);
    while (lp > 0 && (spec[lp - 1] == ' ' || spec[lp - 1] == '\t')) lp--;
    const char *vs = colon + 1;
    while (*vs == ' ' || *vs == '\t') vs++;
    if (lp >= npath || strlen(vs) >= nvar || strlen(vs) > NC_MAX_NAME)
        return bg_fail(e, BG_ECONFIG, spec, what, "path or variable name too long");
    memcpy(path, spec, lp);
    path[lp] = '\0';
    snprintf(var, nvar, "%s", vs);
    for (char *t = var + strlen(var); t > var && (t[-1] == ' ' || t[-1] == '\t');) *--t = '\0';
    int nc, vid, nd, dims[NC_MAX_VAR_DIMS], st;
    if ((st = nc_open(path, NC_NOWRITE, &nc)) != NC_NOERR)
        return bg_fail(e, BG_EINPUT, path, var, "cannot open the file of the %s: %s", what, nc_strerror(st));
    int rc = BG_OK;
    if (nc_inq_varid(nc, var, &vid) != NC_NOERR) {
        rc = bg_fail(e, BG_EINPUT, path, var, "no such variable (the %s)", what);
        goto done;
    }
    nc_inq_varndims(nc, vid, &nd);
    nc_inq_vardimid(nc, vid, dims);
    size_t len[NC_MAX_VAR_DIMS], lead = 1;
    for (int d = 0; d < nd; d++) nc_inq_dimlen(nc, dims[d], &len[d]);
    for (int d = 0; d + 2 < nd; d++) lead *= len[d];
    if (nd < 2 || lead != 1 || len[nd - 2] != (size_t)g->ny || len[nd - 1] != (size_t)g->nx) {
        rc = bg_fail(e, BG_EINPUT, path, var, "the %s must be a (y, x) field of %d x %d cells on the model grid", what,
                     g->ny, g->nx);
        goto done;
    }
    if ((st = nc_get_var_double(nc, vid, out)) != NC_NOERR) {
        rc = bg_fail(e, BG_EINPUT, path, var, "%s", nc_strerror(st));
        goto done;
    }
    double fill;
    int has_fill = nc_get_att_double(nc, vid, "_FillValue", &fill) == NC_NOERR;
    const size_t n = (size_t)g->nx * g->ny;
    for (size_t c = 0; c < n; c++) {
        int f = has_fill && out[c] == fill;
        if (is_fill) is_fill[c] = (unsigned char)f;
        if (f) out[c] = 0.0;
    }
done:
    nc_close(nc);
    return rc;
}
