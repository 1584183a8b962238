/* CF-1.8 daily concentration files (see output.h and docs/output.md).
 *
 * Every record is written by opening the day's temporary file, writing one record and closing it
 * again, so that a killed run leaves a readable file up to its last record and a continuation can
 * re-open it.  All NetCDF calls happen here, on the calling thread; only output_accumulate (no
 * I/O) uses an OpenMP loop, element-wise and therefore independent of the thread count. */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "timeutil.h"

/* Two stamps closer than this are the same output time (state->time is a sum of steps). */
#define OUT_TIME_TOL 0.01

/* errno is cleared first: NetCDF and HDF5 leave it set by internal probes that succeed, and only
 * a value set during the failing call says why it failed (ENOSPC on a full disk). */
#define NCX(call, item)                                                                            \
    do {                                                                                           \
        errno = 0;                                                                                 \
        int nc_rc_ = (call);                                                                       \
        if (nc_rc_ != NC_NOERR) {                                                                  \
            int nc_errno_ = errno;                                                                 \
            char nc_why_[256];                                                                     \
            output_nc_reason(nc_rc_, nc_errno_, path, nc_why_, sizeof nc_why_);                    \
            rc = bg_fail(e, BG_EFAIL, path, (item), "%s", nc_why_);                                \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

/* Whether the file system holding path (or its directory, when path is gone) has no room left:
 * HDF5 may fail a write with an errno that does not say so, or with none. */
static int fs_full(const char *path)
{
    struct statvfs sv;
    char dir[1100];
    const char *sl = strrchr(path, '/');
    if (statvfs(path, &sv) != 0) {
        if (!sl) snprintf(dir, sizeof dir, ".");
        else snprintf(dir, sizeof dir, "%.*s", (int)(sl == path ? 1 : sl - path), path);
        if (statvfs(dir, &sv) != 0) return 0;
    }
    /* HDF5 writes whole chunks and metadata blocks: less than 64 KiB free is full for it */
    return (unsigned long long)sv.f_bavail * sv.f_frsize < 65536ULL;
}

void output_nc_reason(int status, int err, const char *path, char *buf, size_t n)
{
    const char *what = nc_strerror(status);
    int nospace = err == ENOSPC || status == ENOSPC;
#ifdef EDQUOT
    nospace |= err == EDQUOT || status == EDQUOT;
#endif
    if (!nospace && path && *path) nospace = fs_full(path);
    if (nospace)
        snprintf(buf, n, "no space left on device (%s)", what);
    else if (err != 0 && err != status) /* a status > 0 is an errno whose text what already is */
        snprintf(buf, n, "%s (%s)", what, strerror(err));
    else
        snprintf(buf, n, "%s", what);
}

void output_nc_discard(int ncid, const char *path)
{
    if (ncid < 0) return;
    /* After a failed write HDF5 can close the file only if its next flush succeeds: otherwise
     * the file stays half-closed, and closing it again (nc_abort, or HDF5's exit handler,
     * H5F__close_cb in H5_term_library) crashes.  Emptying the doomed file first gives that
     * flush room on a full disk; the first flush after a failure may still fail, the next one
     * (nc_abort's) then succeeds (measured with HDF5 1.10.8, NetCDF 4.9.0). */
    if (path && truncate(path, 0) != 0) {
        /* nothing to free: the file may not exist */
    }
    if (nc_close(ncid) != NC_NOERR) nc_abort(ncid); /* nc_abort also frees a failed handle */
    if (path) remove(path);
}

int output_nc_close(int ncid, const char *path, const char *item, BgErr *e)
{
    errno = 0;
    int st = nc_close(ncid);
    if (st == NC_NOERR) return BG_OK;
    int err = errno;
    char why[256];
    output_nc_reason(st, err, path, why, sizeof why);
    output_nc_discard(ncid, path); /* a failed nc_close leaves the handle open */
    return bg_fail(e, BG_EFAIL, path, item, "%s", why);
}

/* CF names and long names by species.  Mole fractions for gases; aerosol names apply only when a
 * species is written as a mass concentration.  Passive tracers have no standard_name. */
typedef struct SpecMeta {
    const char *name, *long_name, *std_mole, *std_mass;
} SpecMeta;

static const SpecMeta spec_meta[] = {
    {"O3", "ozone", "mole_fraction_of_ozone_in_air", "mass_concentration_of_ozone_in_air"},
    {"NO", "nitrogen monoxide", "mole_fraction_of_nitrogen_monoxide_in_air",
     "mass_concentration_of_nitrogen_monoxide_in_air"},
    {"NO2", "nitrogen dioxide", "mole_fraction_of_nitrogen_dioxide_in_air",
     "mass_concentration_of_nitrogen_dioxide_in_air"},
    {"SO2", "sulfur dioxide", "mole_fraction_of_sulfur_dioxide_in_air",
     "mass_concentration_of_sulfur_dioxide_in_air"},
    {"NH3", "ammonia", "mole_fraction_of_ammonia_in_air", "mass_concentration_of_ammonia_in_air"},
    {"CO", "carbon monoxide", "mole_fraction_of_carbon_monoxide_in_air",
     "mass_concentration_of_carbon_monoxide_in_air"},
    {"HNO3", "nitric acid", "mole_fraction_of_nitric_acid_in_air", NULL},
    {"N2O5", "dinitrogen pentoxide", "mole_fraction_of_dinitrogen_pentoxide_in_air", NULL},
    {"NO3", "nitrate radical", "mole_fraction_of_nitrate_radical_in_air", NULL},
    {"HONO", "nitrous acid", "mole_fraction_of_nitrous_acid_in_air", NULL},
    {"H2O2", "hydrogen peroxide", "mole_fraction_of_hydrogen_peroxide_in_air", NULL},
    {"HCHO", "formaldehyde", "mole_fraction_of_formaldehyde_in_air", NULL},
    {"PAN", "peroxyacetyl nitrate", "mole_fraction_of_peroxyacetyl_nitrate_in_air", NULL},
    {"CH4", "methane", "mole_fraction_of_methane_in_air", NULL},
    {"OH", "hydroxyl radical", "mole_fraction_of_hydroxyl_radical_in_air", NULL},
    {"HO2", "hydroperoxyl radical", "mole_fraction_of_hydroperoxyl_radical_in_air", NULL},
    {"ISOP", "isoprene", "mole_fraction_of_isoprene_in_air", NULL},
    {"PSO4", "particulate sulfate", NULL,
     "mass_concentration_of_sulfate_dry_aerosol_particles_in_air"},
    {"PNO3", "particulate nitrate", NULL,
     "mass_concentration_of_nitrate_dry_aerosol_particles_in_air"},
    {"PNH4", "particulate ammonium", NULL,
     "mass_concentration_of_ammonium_dry_aerosol_particles_in_air"},
    {"PBC", "black carbon", NULL,
     "mass_concentration_of_elemental_carbon_dry_aerosol_particles_in_air"},
    {"POC", "primary organic matter", NULL,
     "mass_concentration_of_primary_particulate_organic_matter_dry_aerosol_particles_in_air"},
    {"PPM", "other primary PM2.5", NULL, NULL},
    {"PMC", "coarse particulate matter", NULL, NULL},
    {"PM25", "PM2.5", NULL, "mass_concentration_of_pm2p5_ambient_aerosol_particles_in_air"},
    {"PM10", "PM10", NULL, "mass_concentration_of_pm10_ambient_aerosol_particles_in_air"},
};

static const SpecMeta *spec_meta_find(const char *name)
{
    for (size_t i = 0; i < sizeof spec_meta / sizeof spec_meta[0]; i++)
        if (strcmp(spec_meta[i].name, name) == 0) return &spec_meta[i];
    return NULL;
}

static const char *crs_name(int map_proj)
{
    switch (map_proj) {
    case 1: return "lambert_conformal_conic";
    case 2: return "polar_stereographic";
    case 3: return "mercator";
    default: return NULL;
    }
}

/* "+key=value" from a PROJ string.  The grid's x/y were computed with that string, so its
 * parameters are the ones the grid_mapping must carry; the WRF attributes are the fallback. */
static int proj_param(const char *ps, const char *key, double *v)
{
    if (!ps || !*ps) return 0;
    size_t kl = strlen(key);
    for (const char *p = strchr(ps, '+'); p; p = strchr(p + 1, '+')) {
        if (strncmp(p + 1, key, kl) == 0 && p[1 + kl] == '=') {
            char *end;
            double x = strtod(p + 2 + kl, &end);
            if (end == p + 2 + kl) return 0;
            *v = x;
            return 1;
        }
    }
    return 0;
}

static int is_raw(const Output *o, int i) { return o->cfg.units && o->cfg.units[i]; }
static int is_mass(const Output *o, int i) { return !is_raw(o, i) && o->cfg.as_mass && o->cfg.as_mass[i]; }

static void day_path(const char *dir, const char *prefix, double t, char *buf, size_t n)
{
    char day[16];
    time_strftime(time_day_start(t), "%Y-%m-%d", day, (int)sizeof day);
    snprintf(buf, n, "%s/%s_%s.nc", dir && *dir ? dir : ".", prefix && *prefix ? prefix : "conc", day);
}

void output_day_path(const char *dir, double t, char *buf, size_t n) { day_path(dir, "conc", t, buf, n); }

int output_init(Output *o, const Grid *g, const OutputConfig *cfg, double t_start, BgErr *e)
{
    memset(o, 0, sizeof *o);
    o->open_day = -1;
    if (!g || !cfg || !cfg->dir || cfg->nout <= 0 || !cfg->species || !(cfg->interval_s > 0))
        return bg_fail(e, BG_EFAIL, "output", NULL,
                       "invalid output configuration (dir, species or interval missing)");
    if (!crs_name(g->map_proj))
        return bg_fail(e, BG_EINPUT, "output", "map_proj",
                       "unsupported WRF MAP_PROJ %d (1 Lambert, 2 polar stereographic, 3 Mercator)",
                       g->map_proj);
    if (cfg->as_mass) {
        for (int i = 0; i < cfg->nout; i++)
            if (cfg->as_mass[i] && !cfg->air_density)
                return bg_fail(e, BG_EFAIL, "output", "air_density",
                               "mass-concentration output needs the air density");
    }
    if (strlen(cfg->dir) > 900)
        return bg_fail(e, BG_EFAIL, cfg->dir, NULL, "output directory name too long");
    o->cfg = *cfg;
    o->grid = g;
    o->nlev = cfg->all_layers ? g->nz : 1;
    o->acc_start = t_start;
    o->last_sample = t_start;
    size_t ncol = (size_t)g->nx * g->ny * o->nlev;
    o->buf = malloc(ncol * sizeof *o->buf);
    if (!o->buf) return bg_fail(e, BG_EFAIL, "output", NULL, "out of memory");
    if (cfg->average) {
        o->nacc = (size_t)cfg->nout * ncol;
        o->acc = calloc(o->nacc, sizeof *o->acc);
        if (!o->acc) {
            output_free(o);
            return bg_fail(e, BG_EFAIL, "output", NULL, "out of memory");
        }
    }
    return BG_OK;
}

void output_free(Output *o)
{
    if (!o) return;
    free(o->acc);
    free(o->buf);
    o->acc = NULL;
    o->buf = NULL;
    o->nacc = 0;
}

int output_restore(Output *o, const double *acc, size_t nacc, long nsamples, double acc_start,
                   double last_sample, BgErr *e)
{
    if (nacc != o->nacc)
        return bg_fail(e, BG_EINPUT, "restart", "output_acc",
                       "output accumulator has %zu values in restart, %zu expected", nacc,
                       o->nacc);
    /* a negative count or a non-finite interval start would give wrong means with exit 0 */
    if (nsamples < 0)
        return bg_fail(e, BG_EINPUT, "restart", "out_nsamples", "%ld samples, negative", nsamples);
    if (!isfinite(acc_start) || !isfinite(last_sample))
        return bg_fail(e, BG_EINPUT, "restart", "out_acc_start", "averaging interval times %g, %g are not finite",
                       acc_start, last_sample);
    if (nacc && acc != o->acc) memcpy(o->acc, acc, nacc * sizeof *acc);
    o->nsamples = nsamples;
    o->acc_start = acc_start;
    o->last_sample = last_sample;
    return BG_OK;
}

/* Factor from mol mol-1 to the output unit for cell c of species i (ppb, or ug m-3). */
static inline double out_factor(const Output *o, int i, const State *s, size_t c)
{
    if (is_raw(o, i)) return 1.0;
    if (!is_mass(o, i)) return 1e9;
    double m = s->spec[o->cfg.species[i]].molar_mass;
    return o->cfg.air_density[c] * m / BG_M_AIR * 1e9;
}

void output_accumulate(Output *o, const State *s) { output_accumulate_w(o, s, 1.0, 0); }

void output_accumulate_w(Output *o, const State *s, double w, int cont)
{
    if (!o->cfg.average || !o->acc) return;
    /* The mean stamped t covers (t - interval, t]: a sample at the interval start belongs to the
     * previous record, and a repeated sample (the caller's call after a resume) is not counted
     * twice.  A continued sample adds to the one taken at the same time, if it was taken. */
    if (!(s->time > o->acc_start)) return;
    if (cont ? s->time != o->last_sample : !(s->time > o->last_sample)) return;
    size_t ncol = (size_t)s->nx * s->ny * o->nlev;
    /* w multiplies the converted value last: w = 1 gives the unweighted sums bit for bit */
    for (int i = 0; i < o->cfg.nout; i++) {
        const double *q = state_species(s, o->cfg.species[i]);
        double *a = o->acc + (size_t)i * ncol;
        if (is_raw(o, i)) {
            for (size_t c = 0; c < ncol; c++) a[c] += q[c] * w;
        } else if (is_mass(o, i)) {
            const double *rho = o->cfg.air_density;
            double f = s->spec[o->cfg.species[i]].molar_mass / BG_M_AIR * 1e9;
#pragma omp parallel for schedule(static) if (ncol > 65536)
            for (size_t c = 0; c < ncol; c++) a[c] += q[c] * rho[c] * f * w;
        } else {
#pragma omp parallel for schedule(static) if (ncol > 65536)
            for (size_t c = 0; c < ncol; c++) a[c] += q[c] * 1e9 * w;
        }
    }
    if (cont) return;
    o->nsamples++;
    o->last_sample = s->time;
}

/* Fills o->buf with species i's record: the interval mean or the instantaneous value. */
static void fill_record(Output *o, const State *s, int i)
{
    size_t ncol = (size_t)s->nx * s->ny * o->nlev;
    if (o->cfg.average) {
        const double *a = o->acc + (size_t)i * ncol;
        double n = (double)o->nsamples;
        for (size_t c = 0; c < ncol; c++) o->buf[c] = (float)(a[c] / n);
    } else {
        const double *q = state_species(s, o->cfg.species[i]);
        for (size_t c = 0; c < ncol; c++) o->buf[c] = (float)(q[c] * out_factor(o, i, s, c));
    }
}

static int put_text(int ncid, int varid, const char *name, const char *v)
{
    return nc_put_att_text(ncid, varid, name, strlen(v), v);
}

static int put_dbl(int ncid, int varid, const char *name, double v)
{
    return nc_put_att_double(ncid, varid, name, NC_DOUBLE, 1, &v);
}

/* Writes the grid_mapping attributes for g on variable v. */
static int put_grid_mapping(int ncid, int v, const Grid *g)
{
    const char *ps = g->proj_string;
    double lon0 = g->stand_lon, lat0 = g->moad_cen_lat, x0 = 0, y0 = 0, p1, p2;
    proj_param(ps, "lon_0", &lon0);
    proj_param(ps, "x_0", &x0);
    proj_param(ps, "y_0", &y0);
    int rc = put_text(ncid, v, "grid_mapping_name", crs_name(g->map_proj));
    if (g->map_proj == 1) {
        proj_param(ps, "lat_0", &lat0);
        double sp[2] = {g->truelat1, g->truelat2};
        if (proj_param(ps, "lat_1", &p1)) sp[0] = sp[1] = p1;
        if (proj_param(ps, "lat_2", &p2)) sp[1] = p2;
        int nsp = fabs(sp[0] - sp[1]) < 1e-9 ? 1 : 2;
        if (!rc) rc = nc_put_att_double(ncid, v, "standard_parallel", NC_DOUBLE, (size_t)nsp, sp);
        if (!rc) rc = put_dbl(ncid, v, "longitude_of_central_meridian", lon0);
        if (!rc) rc = put_dbl(ncid, v, "latitude_of_projection_origin", lat0);
    } else if (g->map_proj == 2) {
        double ts = g->truelat1;
        proj_param(ps, "lat_ts", &ts);
        lat0 = ts >= 0 ? 90.0 : -90.0;
        proj_param(ps, "lat_0", &lat0);
        if (!rc) rc = put_dbl(ncid, v, "straight_vertical_longitude_from_pole", lon0);
        if (!rc) rc = put_dbl(ncid, v, "latitude_of_projection_origin", lat0);
        if (!rc) rc = put_dbl(ncid, v, "standard_parallel", ts);
    } else {
        double ts = g->truelat1;
        proj_param(ps, "lat_ts", &ts);
        if (!rc) rc = put_dbl(ncid, v, "longitude_of_projection_origin", lon0);
        if (!rc) rc = put_dbl(ncid, v, "standard_parallel", ts);
    }
    if (!rc) rc = put_dbl(ncid, v, "false_easting", x0);
    if (!rc) rc = put_dbl(ncid, v, "false_northing", y0);
    if (!rc) rc = put_dbl(ncid, v, "earth_radius", BG_EARTH_RADIUS_M);
    if (!rc && ps && *ps) rc = put_text(ncid, v, "proj4_params", ps);
    return rc;
}

/* Creates path (clobbering it) with the full header and the static coordinates; leaves it open in
 * data mode in *ncid_out. */
static int file_create(const Output *o, const State *s, const char *path, int *ncid_out,
                       BgErr *e)
{
    const Grid *g = o->grid;
    int rc = BG_OK, ncid = -1;
    int d_t, d_z = -1, d_y, d_x, d_nv, d_b = -1;
    int v_t, v_tb = -1, v_z = -1, v_y, v_x, v_lat, v_lon, v_latb = -1, v_lonb = -1, v_crs;
    double *tmp = NULL;
    const char *gm = crs_name(g->map_proj);
    int has_bnds = g->lat_bnds && g->lon_bnds;

    NCX(nc_create(path, NC_CLOBBER | NC_NETCDF4 | NC_CLASSIC_MODEL, &ncid), NULL);
    /* Records are always written whole, so pre-filling them is wasted work. */
    int old_fill;
    NCX(nc_set_fill(ncid, NC_NOFILL, &old_fill), NULL);
    NCX(nc_def_dim(ncid, "time", NC_UNLIMITED, &d_t), "time");
    if (o->cfg.all_layers) NCX(nc_def_dim(ncid, "z", (size_t)g->nz, &d_z), "z");
    NCX(nc_def_dim(ncid, "y", (size_t)g->ny, &d_y), "y");
    NCX(nc_def_dim(ncid, "x", (size_t)g->nx, &d_x), "x");
    NCX(nc_def_dim(ncid, "nv", 4, &d_nv), "nv");
    if (o->cfg.average) NCX(nc_def_dim(ncid, "bnds", 2, &d_b), "bnds");

    NCX(nc_def_var(ncid, "time", NC_DOUBLE, 1, &d_t, &v_t), "time");
    NCX(put_text(ncid, v_t, "standard_name", "time"), "time");
    NCX(put_text(ncid, v_t, "long_name",
                 o->cfg.average ? "time (end of the averaging interval)" : "time"),
        "time");
    NCX(put_text(ncid, v_t, "units", "seconds since 1970-01-01 00:00:00"), "time");
    NCX(put_text(ncid, v_t, "calendar", "standard"), "time");
    NCX(put_text(ncid, v_t, "axis", "T"), "time");
    if (o->cfg.average) {
        int dims[2] = {d_t, d_b};
        NCX(put_text(ncid, v_t, "bounds", "time_bnds"), "time");
        NCX(nc_def_var(ncid, "time_bnds", NC_DOUBLE, 2, dims, &v_tb), "time_bnds");
    }
    if (o->cfg.all_layers) {
        NCX(nc_def_var(ncid, "z", NC_INT, 1, &d_z, &v_z), "z");
        NCX(put_text(ncid, v_z, "standard_name", "model_level_number"), "z");
        NCX(put_text(ncid, v_z, "long_name", "model layer (WRF bottom_top mass level, 1 = lowest)"),
            "z");
        NCX(put_text(ncid, v_z, "units", "1"), "z");
        NCX(put_text(ncid, v_z, "positive", "up"), "z");
        NCX(put_text(ncid, v_z, "axis", "Z"), "z");
    }
    NCX(nc_def_var(ncid, "y", NC_DOUBLE, 1, &d_y, &v_y), "y");
    NCX(put_text(ncid, v_y, "standard_name", "projection_y_coordinate"), "y");
    NCX(put_text(ncid, v_y, "long_name", "y coordinate of projection (cell centre)"), "y");
    NCX(put_text(ncid, v_y, "units", "m"), "y");
    NCX(put_text(ncid, v_y, "axis", "Y"), "y");
    NCX(nc_def_var(ncid, "x", NC_DOUBLE, 1, &d_x, &v_x), "x");
    NCX(put_text(ncid, v_x, "standard_name", "projection_x_coordinate"), "x");
    NCX(put_text(ncid, v_x, "long_name", "x coordinate of projection (cell centre)"), "x");
    NCX(put_text(ncid, v_x, "units", "m"), "x");
    NCX(put_text(ncid, v_x, "axis", "X"), "x");

    int d2[2] = {d_y, d_x}, d3[3] = {d_y, d_x, d_nv};
    NCX(nc_def_var(ncid, "lat", NC_DOUBLE, 2, d2, &v_lat), "lat");
    NCX(put_text(ncid, v_lat, "standard_name", "latitude"), "lat");
    NCX(put_text(ncid, v_lat, "long_name", "latitude of the cell centre"), "lat");
    NCX(put_text(ncid, v_lat, "units", "degrees_north"), "lat");
    NCX(nc_def_var(ncid, "lon", NC_DOUBLE, 2, d2, &v_lon), "lon");
    NCX(put_text(ncid, v_lon, "standard_name", "longitude"), "lon");
    NCX(put_text(ncid, v_lon, "long_name", "longitude of the cell centre"), "lon");
    NCX(put_text(ncid, v_lon, "units", "degrees_east"), "lon");
    if (has_bnds) {
        NCX(put_text(ncid, v_lat, "bounds", "lat_bnds"), "lat");
        NCX(put_text(ncid, v_lon, "bounds", "lon_bnds"), "lon");
        NCX(nc_def_var(ncid, "lat_bnds", NC_DOUBLE, 3, d3, &v_latb), "lat_bnds");
        NCX(nc_def_var(ncid, "lon_bnds", NC_DOUBLE, 3, d3, &v_lonb), "lon_bnds");
    }
    NCX(nc_def_var(ncid, gm, NC_INT, 0, NULL, &v_crs), gm);
    NCX(put_grid_mapping(ncid, v_crs, g), gm);

    int nd = 0, dims[4];
    size_t chunk[4];
    dims[nd] = d_t, chunk[nd++] = 1;
    if (o->cfg.all_layers) dims[nd] = d_z, chunk[nd++] = (size_t)g->nz;
    dims[nd] = d_y, chunk[nd++] = (size_t)g->ny;
    dims[nd] = d_x, chunk[nd++] = (size_t)g->nx;
    for (int i = 0; i < o->cfg.nout; i++) {
        const StateSpecies *sp = &s->spec[o->cfg.species[i]];
        const SpecMeta *m = spec_meta_find(sp->name);
        int mass = is_mass(o, i), v;
        char ln[160];
        NCX(nc_def_var(ncid, sp->name, NC_FLOAT, nd, dims, &v), sp->name);
        NCX(nc_def_var_chunking(ncid, v, NC_CHUNKED, chunk), sp->name);
        if (o->cfg.deflate_level > 0)
            NCX(nc_def_var_deflate(ncid, v, 1, 1, o->cfg.deflate_level), sp->name);
        float fill = NC_FILL_FLOAT;
        NCX(nc_put_att_float(ncid, v, "_FillValue", NC_FLOAT, 1, &fill), sp->name);
        if (is_raw(o, i)) {
            NCX(put_text(ncid, v, "long_name", o->cfg.long_names ? o->cfg.long_names[i] : sp->name), sp->name);
            NCX(put_text(ncid, v, "units", o->cfg.units[i]), sp->name);
            if (o->cfg.standard_names && o->cfg.standard_names[i])
                NCX(put_text(ncid, v, "standard_name", o->cfg.standard_names[i]), sp->name);
        } else {
            snprintf(ln, sizeof ln, "%s %s%s", m ? m->long_name : sp->name,
                     mass ? "mass concentration" : "mole fraction",
                     o->cfg.all_layers ? "" : " in the lowest model layer");
            NCX(put_text(ncid, v, "long_name", ln), sp->name);
            const char *std = m ? (mass ? m->std_mass : m->std_mole) : NULL;
            if (std) NCX(put_text(ncid, v, "standard_name", std), sp->name);
            NCX(put_text(ncid, v, "units", mass ? "ug m-3" : "ppb"), sp->name);
        }
        NCX(put_text(ncid, v, "grid_mapping", gm), sp->name);
        NCX(put_text(ncid, v, "coordinates", "lat lon"), sp->name);
        NCX(put_text(ncid, v, "cell_methods", o->cfg.average ? "time: mean" : "time: point"),
            sp->name);
        /* the standard name's ambient PM2.5 / PM10 includes aerosol water, the model's sum does
         * not: CF asks to say so (validation/standards/README.md, section 5.1 notes) */
        if (mass)
            NCX(put_text(ncid, v, "comment",
                         strcmp(sp->name, "PM25") && strcmp(sp->name, "PM10")
                             ? "at ambient conditions: mixing ratio * dry-air density * M / M_air"
                             : "dry mass (the sum of the dry aerosol species, no aerosol water) at ambient "
                               "conditions: mixing ratio * dry-air density * M / M_air"),
                sp->name);
    }

    char src[128];
    const char *ver = o->cfg.version ? o->cfg.version : "unknown";
    if (strncmp(ver, "Bogda ", 6) == 0) ver += 6; /* accept "Bogda 1.2" as well as "1.2" */
    snprintf(src, sizeof src, "Bogda %s", ver);
    NCX(put_text(ncid, NC_GLOBAL, "Conventions", "CF-1.8"), "Conventions");
    NCX(put_text(ncid, NC_GLOBAL, "title",
                 o->cfg.title ? o->cfg.title : "Bogda regional chemical transport model output"),
        "title");
    NCX(put_text(ncid, NC_GLOBAL, "institution", "Bogda regional chemical transport model"),
        "institution");
    NCX(put_text(ncid, NC_GLOBAL, "source", src), "source");
    /* Deterministic (no wall-clock time) so that a rerun or a continuation gives the same file. */
    NCX(put_text(ncid, NC_GLOBAL, "history", "created by bogda run (one file per UTC day)"),
        "history");
    NCX(put_text(ncid, NC_GLOBAL, "comment",
                 o->cfg.average ? "time is the end of each averaging interval (t - interval, t]"
                                : "instantaneous values at time"),
        "comment");
    NCX(put_text(ncid, NC_GLOBAL, "bogda_config", o->cfg.config_text ? o->cfg.config_text : ""),
        "bogda_config");
    if (o->cfg.config_hash)
        NCX(put_text(ncid, NC_GLOBAL, "bogda_config_hash", o->cfg.config_hash),
            "bogda_config_hash");
    NCX(nc_enddef(ncid), NULL);

    size_t nmax = (size_t)(g->nx > g->ny ? g->nx : g->ny);
    tmp = malloc((nmax > (size_t)g->nz ? nmax : (size_t)g->nz) * sizeof *tmp);
    if (!tmp) {
        rc = bg_fail(e, BG_EFAIL, path, NULL, "out of memory");
        goto done;
    }
    for (int i = 0; i < g->nx; i++) tmp[i] = g->x ? g->x[i] : g->x0 + i * g->dx;
    NCX(nc_put_var_double(ncid, v_x, tmp), "x");
    for (int j = 0; j < g->ny; j++) tmp[j] = g->y ? g->y[j] : g->y0 + j * g->dy;
    NCX(nc_put_var_double(ncid, v_y, tmp), "y");
    if (o->cfg.all_layers) {
        for (int k = 0; k < g->nz; k++) tmp[k] = k + 1;
        NCX(nc_put_var_double(ncid, v_z, tmp), "z"); /* converted to the int variable */
    }
    NCX(nc_put_var_double(ncid, v_lat, g->lat), "lat");
    NCX(nc_put_var_double(ncid, v_lon, g->lon), "lon");
    if (has_bnds) {
        NCX(nc_put_var_double(ncid, v_latb, g->lat_bnds), "lat_bnds");
        NCX(nc_put_var_double(ncid, v_lonb, g->lon_bnds), "lon_bnds");
    }
    int zero = 0;
    NCX(nc_put_var_int(ncid, v_crs, &zero), gm);
done:
    free(tmp);
    if (rc != BG_OK) {
        output_nc_discard(ncid, path);
        remove(path);
        return rc;
    }
    *ncid_out = ncid;
    return BG_OK;
}

/* Whether an existing file has this run's layout (dimensions, species, time bounds). */
static int file_compatible(const Output *o, const State *s, int ncid, char *why, size_t nwhy)
{
    const Grid *g = o->grid;
    struct {
        const char *name;
        size_t want;
        int required;
    } d[] = {{"x", (size_t)g->nx, 1}, {"y", (size_t)g->ny, 1}, {"z", (size_t)g->nz, o->cfg.all_layers}};
    for (int i = 0; i < 3; i++) {
        int id;
        size_t len;
        int has = nc_inq_dimid(ncid, d[i].name, &id) == NC_NOERR;
        if (has != d[i].required) {
            snprintf(why, nwhy, "dimension %s %s", d[i].name, has ? "present" : "absent");
            return 0;
        }
        if (has && (nc_inq_dimlen(ncid, id, &len) != NC_NOERR || len != d[i].want)) {
            snprintf(why, nwhy, "dimension %s differs", d[i].name);
            return 0;
        }
    }
    int id;
    int has_tb = nc_inq_varid(ncid, "time_bnds", &id) == NC_NOERR;
    if (has_tb != (o->cfg.average != 0) || nc_inq_varid(ncid, "time", &id) != NC_NOERR) {
        snprintf(why, nwhy, "averaging differs");
        return 0;
    }
    /* A file from another configuration (other interval, species table, ...) cannot be
     * continued even when its shape fits. */
    size_t hl;
    if (o->cfg.config_hash && nc_inq_attlen(ncid, NC_GLOBAL, "bogda_config_hash", &hl) == NC_NOERR) {
        char h[128] = "";
        if (hl >= sizeof h || nc_get_att_text(ncid, NC_GLOBAL, "bogda_config_hash", h) != NC_NOERR ||
            strcmp(h, o->cfg.config_hash) != 0) {
            snprintf(why, nwhy, "configuration hash differs");
            return 0;
        }
    }
    int want_nd = o->cfg.all_layers ? 4 : 3;
    for (int i = 0; i < o->cfg.nout; i++) {
        const char *name = s->spec[o->cfg.species[i]].name;
        int nd;
        if (nc_inq_varid(ncid, name, &id) != NC_NOERR || nc_inq_varndims(ncid, id, &nd) != NC_NOERR ||
            nd != want_nd) {
            snprintf(why, nwhy, "species %s missing or of another shape", name);
            return 0;
        }
    }
    return 1;
}

/* Makes path's data durable before it is renamed (a rename alone may reach the disk first). */
static void fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static int finalize_day(Output *o, BgErr *e)
{
    if (o->open_day < 0) return BG_OK;
    fsync_path(o->tmp_path);
    if (rename(o->tmp_path, o->final_path) != 0)
        return bg_fail(e, BG_EFAIL, o->tmp_path, NULL, "cannot rename to %s: %s", o->final_path,
                       strerror(errno));
    fsync_path(o->cfg.dir);
    o->open_day = -1;
    return BG_OK;
}

int output_finish(Output *o, BgErr *e) { return finalize_day(o, e); }

int output_close_days_before(Output *o, double t, BgErr *e)
{
    const char *prefix = o->cfg.prefix && *o->cfg.prefix ? o->cfg.prefix : "conc";
    const char *dir = o->cfg.dir && *o->cfg.dir ? o->cfg.dir : ".";
    DIR *d = opendir(dir);
    if (!d) return BG_OK; /* nothing written yet */
    const size_t pl = strlen(prefix);
    int rc = BG_OK, renamed = 0;
    struct dirent *de;
    while (rc == BG_OK && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        const size_t len = strlen(nm);
        /* PREFIX_YYYY-MM-DD.nc.tmp */
        if (len != pl + 1 + 10 + 7 || strncmp(nm, prefix, pl) != 0 || nm[pl] != '_' || strcmp(nm + len - 7, ".nc.tmp") != 0)
            continue;
        char date[11], tmp[2200], fin[2200];
        memcpy(date, nm + pl + 1, 10);
        date[10] = 0;
        double ds;
        if (time_parse(date, &ds) != 0) continue;
        /* a day that ends by t gets no record after t (a mean belongs to its interval's middle,
         * a point value to its own time) */
        if (ds + 86400.0 > t + OUT_TIME_TOL) continue;
        snprintf(tmp, sizeof tmp, "%s/%s", dir, nm);
        snprintf(fin, sizeof fin, "%s/%.*s", dir, (int)(len - 4), nm);
        fsync_path(tmp);
        if (rename(tmp, fin) != 0)
            rc = bg_fail(e, BG_EFAIL, tmp, NULL, "cannot rename to %s: %s", fin, strerror(errno));
        renamed++;
    }
    closedir(d);
    if (rc == BG_OK && renamed) fsync_path(dir);
    return rc;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Copies records [0, k) of src into a fresh file at dst (same layout), using o->buf. */
static int copy_records(Output *o, const State *s, int src, const char *dst, size_t k, BgErr *e)
{
    const char *path = dst;
    int rc = BG_OK, ncid = -1;
    BG_TRY(file_create(o, s, dst, &ncid, e));
    int vs, vd;
    for (size_t r = 0; r < k; r++) {
        double tv[2];
        size_t st[4] = {r, 0, 0, 0}, ct[4] = {1, 2, 0, 0};
        NCX(nc_inq_varid(src, "time", &vs), "time");
        NCX(nc_inq_varid(ncid, "time", &vd), "time");
        NCX(nc_get_var1_double(src, vs, st, tv), "time");
        NCX(nc_put_var1_double(ncid, vd, st, tv), "time");
        if (o->cfg.average) {
            NCX(nc_inq_varid(src, "time_bnds", &vs), "time_bnds");
            NCX(nc_inq_varid(ncid, "time_bnds", &vd), "time_bnds");
            NCX(nc_get_vara_double(src, vs, st, ct, tv), "time_bnds");
            NCX(nc_put_vara_double(ncid, vd, st, ct, tv), "time_bnds");
        }
        int nd = 0;
        size_t cnt[4];
        cnt[nd++] = 1;
        if (o->cfg.all_layers) cnt[nd++] = (size_t)o->grid->nz;
        cnt[nd++] = (size_t)o->grid->ny;
        cnt[nd++] = (size_t)o->grid->nx;
        for (int i = 0; i < o->cfg.nout; i++) {
            const char *name = s->spec[o->cfg.species[i]].name;
            NCX(nc_inq_varid(src, name, &vs), name);
            NCX(nc_inq_varid(ncid, name, &vd), name);
            NCX(nc_get_vara_float(src, vs, st, cnt, o->buf), name);
            NCX(nc_put_vara_float(ncid, vd, st, cnt, o->buf), name);
        }
    }
done:
    if (rc != BG_OK) output_nc_discard(ncid, dst);
    else rc = output_nc_close(ncid, dst, NULL, e);
    if (rc != BG_OK) remove(dst);
    return rc;
}

/* Opens the day's temporary file for writing the record stamped t, creating it or re-opening what
 * a previous (killed) run left: the final name is renamed back to .tmp, records at or after t are
 * dropped (the file is rewritten without them), and *k is the record index to write. */
static int day_open(Output *o, const State *s, double day, double t, int first_of_day, int *ncid,
                    size_t *k, BgErr *e)
{
    const char *path = o->tmp_path;
    int rc = BG_OK, id = -1;
    if (o->open_day != day) {
        day_path(o->cfg.dir, o->cfg.prefix, day, o->final_path, sizeof o->final_path);
        if (snprintf(o->tmp_path, sizeof o->tmp_path, "%s.tmp", o->final_path) >=
            (int)sizeof o->tmp_path)
            return bg_fail(e, BG_EFAIL, o->cfg.dir, NULL, "output directory name too long");
        if (!file_exists(o->tmp_path) && file_exists(o->final_path) &&
            rename(o->final_path, o->tmp_path) != 0)
            return bg_fail(e, BG_EFAIL, o->final_path, NULL, "cannot rename to %s: %s",
                           o->tmp_path, strerror(errno));
        if (file_exists(o->tmp_path) && !first_of_day) {
            char why[160] = "";
            int orc = nc_open(o->tmp_path, NC_WRITE, &id);
            if (orc != NC_NOERR || !file_compatible(o, s, id, why, sizeof why)) {
                output_nc_discard(id, NULL);
                return bg_fail(e, BG_EFAIL, o->tmp_path, NULL,
                               "cannot continue the existing output file (%s); remove it to "
                               "start this day afresh",
                               orc != NC_NOERR ? nc_strerror(orc) : why);
            }
        } else {
            /* Nothing before t belongs to this day: start a fresh file. */
            BG_TRY(file_create(o, s, o->tmp_path, &id, e));
        }
        o->open_day = day;
    } else {
        NCX(nc_open(o->tmp_path, NC_WRITE, &id), NULL);
    }

    int dt, vt;
    size_t n;
    NCX(nc_inq_dimid(id, "time", &dt), "time");
    NCX(nc_inq_dimlen(id, dt, &n), "time");
    NCX(nc_inq_varid(id, "time", &vt), "time");
    *k = n;
    while (*k > 0) {
        size_t ix = *k - 1;
        double tv;
        NCX(nc_get_var1_double(id, vt, &ix, &tv), "time");
        if (tv < t - OUT_TIME_TOL) break;
        (*k)--;
    }
    if (*k < n) {
        /* Records from a run that went further than this one's restart: drop them, so the file
         * ends up as if the run had never been interrupted. */
        char part[1040];
        if (snprintf(part, sizeof part, "%s.part", o->tmp_path) >= (int)sizeof part) {
            output_nc_discard(id, NULL);
            return bg_fail(e, BG_EFAIL, o->cfg.dir, NULL, "output directory name too long");
        }
        rc = copy_records(o, s, id, part, *k, e);
        output_nc_discard(id, NULL); /* only read from */
        id = -1;
        if (rc != BG_OK) return rc;
        if (rename(part, o->tmp_path) != 0)
            return bg_fail(e, BG_EFAIL, part, NULL, "cannot rename to %s: %s", o->tmp_path,
                           strerror(errno));
        NCX(nc_open(o->tmp_path, NC_WRITE, &id), NULL);
    }
done:
    if (rc != BG_OK) {
        output_nc_discard(id, NULL);
        return rc;
    }
    *ncid = id;
    return BG_OK;
}

int output_write(Output *o, const State *s, BgErr *e)
{
    const Grid *g = o->grid;
    const char *path = "output";
    double t = s->time;
    /* a one-layer State (diagnostic surface fields) is fine for surface output */
    if (s->nx != g->nx || s->ny != g->ny || (s->nz != g->nz && (o->cfg.all_layers || s->nz != 1)))
        return bg_fail(e, BG_EFAIL, path, NULL, "state %dx%dx%d does not match the grid %dx%dx%d",
                       s->nx, s->ny, s->nz, g->nx, g->ny, g->nz);
    for (int i = 0; i < o->cfg.nout; i++)
        if (o->cfg.species[i] < 0 || o->cfg.species[i] >= s->nspec)
            return bg_fail(e, BG_EFAIL, path, NULL, "output species index %d out of range",
                           o->cfg.species[i]);
    if (o->cfg.average && o->nsamples <= 0) {
        char ts[32];
        time_format(t, ts, (int)sizeof ts);
        return bg_fail(e, BG_EFAIL, path, NULL, "no samples in the averaging interval ending %s",
                       ts);
    }
    /* A mean belongs to the day holding the middle of its interval (t - interval/2 for regular
     * records), so 00:00 ends the previous day's file; a point value to the day holding t. */
    double day, first;
    if (o->cfg.average) {
        day = time_day_start(0.5 * (o->acc_start + t));
        first = o->acc_start <= day + OUT_TIME_TOL;
    } else {
        day = time_day_start(t);
        first = t - o->cfg.interval_s < day - OUT_TIME_TOL;
    }
    if (o->open_day >= 0 && o->open_day != day) BG_TRY(finalize_day(o, e));

    int ncid = -1, rc = BG_OK, v;
    size_t k;
    const int ours = o->open_day == day; /* the file holds this run's records only */
    if ((rc = day_open(o, s, day, t, (int)first, &ncid, &k, e)) != BG_OK) {
        /* a file this run wrote that no longer opens is damaged; one left by an earlier run is
         * the user's to judge (the message says so) */
        if (ours) {
            remove(o->tmp_path);
            o->open_day = -1;
        }
        return rc;
    }
    path = o->tmp_path;
    NCX(nc_inq_varid(ncid, "time", &v), "time");
    NCX(nc_put_var1_double(ncid, v, &k, &t), "time");
    if (o->cfg.average) {
        double tb[2] = {o->acc_start, t};
        size_t st[2] = {k, 0}, ct[2] = {1, 2};
        NCX(nc_inq_varid(ncid, "time_bnds", &v), "time_bnds");
        NCX(nc_put_vara_double(ncid, v, st, ct, tb), "time_bnds");
    }
    {
        int nd = 0;
        size_t st[4] = {k, 0, 0, 0}, cnt[4];
        cnt[nd++] = 1;
        if (o->cfg.all_layers) cnt[nd++] = (size_t)g->nz;
        cnt[nd++] = (size_t)g->ny;
        cnt[nd++] = (size_t)g->nx;
        for (int i = 0; i < o->cfg.nout; i++) {
            const char *name = s->spec[o->cfg.species[i]].name;
            fill_record(o, s, i);
            NCX(nc_inq_varid(ncid, name, &v), name);
            NCX(nc_put_vara_float(ncid, v, st, cnt, o->buf), name);
        }
    }
done:
    if (rc != BG_OK) output_nc_discard(ncid, o->tmp_path);
    else rc = output_nc_close(ncid, path, NULL, e);
    if (rc != BG_OK) {
        /* after a failed write HDF5 may have left the file inconsistent: no record before this
         * one can be trusted, so the day's file goes (docs/output.md, "Write failures") */
        remove(o->tmp_path);
        o->open_day = -1;
        return rc;
    }
    output_discard(o, t);
    return BG_OK;
}

void output_discard(Output *o, double t)
{
    if (o->acc) memset(o->acc, 0, o->nacc * sizeof *o->acc);
    o->nsamples = 0;
    o->acc_start = t;
    o->last_sample = t;
}
