/* Checkpoint files (see restart.h and docs/output.md).
 *
 * Layout: dimensions z, y, x and one per extra array; one double variable (z,y,x) per species
 * named by the species with attribute molar_mass_g_mol (this attribute is what marks a species
 * variable); scalars time, step, out_nsamples, out_acc_start, out_last_sample; arrays out_acc,
 * budget, extra_<name>.  Global attributes carry the grid identity, the configuration hash and
 * text, and complete = 1, written last.  An empty array gets an unlimited dimension, because a
 * fixed NetCDF dimension cannot have length 0. */
#include "restart.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netcdf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "timeutil.h"

/* errno is cleared first so that only a value set by the failing call explains it (ENOSPC on a
 * full disk); output_nc_reason words it. */
#define NCX(call, item)                                                                            \
    do {                                                                                           \
        errno = 0;                                                                                 \
        int nc_rc_ = (call);                                                                       \
        if (nc_rc_ != NC_NOERR) {                                                                  \
            int nc_errno_ = errno;                                                                 \
            char nc_why_[256];                                                                     \
            output_nc_reason(nc_rc_, nc_errno_, path, nc_why_, sizeof nc_why_);                    \
            rc = bg_fail(e, code_on_nc, path, (item), "%s", nc_why_);                              \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#define ATT_MOLAR_MASS "molar_mass_g_mol"

void restart_path(const char *dir, double t, char *buf, size_t n)
{
    char stamp[32];
    time_strftime(t, "%Y-%m-%dT%H%M", stamp, (int)sizeof stamp);
    snprintf(buf, n, "%s/restart_%s.nc", dir && *dir ? dir : ".", stamp);
}

static void fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* The directory part of path ("." when none), for syncing the rename. */
static void dir_of(const char *path, char *buf, size_t n)
{
    const char *sl = strrchr(path, '/');
    if (!sl) {
        snprintf(buf, n, ".");
    } else {
        size_t len = (size_t)(sl - path);
        if (len == 0) len = 1;
        if (len >= n) len = n - 1;
        memcpy(buf, path, len);
        buf[len] = '\0';
    }
}

static int put_text(int ncid, int varid, const char *name, const char *v)
{
    return nc_put_att_text(ncid, varid, name, strlen(v), v);
}

/* Defines a 1-D double array variable named name with its own dimension. */
static int def_array(int ncid, const char *name, size_t n, int *varid)
{
    char dname[NC_MAX_NAME + 1];
    int dim, rc;
    snprintf(dname, sizeof dname, "n_%s", name);
    /* A fixed dimension of length 0 would be unlimited in NetCDF anyway; say so explicitly. */
    if ((rc = nc_def_dim(ncid, dname, n ? n : NC_UNLIMITED, &dim))) return rc;
    return nc_def_var(ncid, name, NC_DOUBLE, 1, &dim, varid);
}

typedef struct GridId {
    const char *name;
    double restart_v, grid_v;
    int is_int;
} GridId;

static int grid_ids(const Grid *g, GridId *id)
{
    GridId v[] = {{"nx", 0, g->nx, 1},         {"ny", 0, g->ny, 1},
                  {"nz", 0, g->nz, 1},         {"map_proj", 0, g->map_proj, 1},
                  {"dx", 0, g->dx, 0},         {"dy", 0, g->dy, 0},
                  {"truelat1", 0, g->truelat1, 0}, {"truelat2", 0, g->truelat2, 0},
                  {"stand_lon", 0, g->stand_lon, 0}, {"moad_cen_lat", 0, g->moad_cen_lat, 0}};
    int n = (int)(sizeof v / sizeof v[0]);
    for (int i = 0; i < n; i++) id[i] = v[i];
    return n;
}

int restart_write(const char *path_final, const Grid *g, const State *s, const RestartExtra *x,
                  const char *config_hash, const char *config_text, BgErr *e)
{
    char path[1100];
    int rc = BG_OK, ncid = -1, code_on_nc = BG_EFAIL;
    if (snprintf(path, sizeof path, "%s.tmp", path_final) >= (int)sizeof path)
        return bg_fail(e, BG_EFAIL, path_final, NULL, "path too long");
    if (s->nx != g->nx || s->ny != g->ny || s->nz != g->nz)
        return bg_fail(e, BG_EFAIL, path_final, NULL, "state and grid dimensions differ");
    RestartExtra none = {0};
    if (!x) x = &none;

    int dz, dy, dx, v_time, v_step, v_ns, v_as, v_ls, v_acc, v_bud;
    int *v_spec = calloc((size_t)(s->nspec > 0 ? s->nspec : 1), sizeof *v_spec);
    int *v_arr = calloc((size_t)(x->narrays > 0 ? x->narrays : 1), sizeof *v_arr);
    if (!v_spec || !v_arr) {
        rc = bg_fail(e, BG_EFAIL, path_final, NULL, "out of memory");
        goto done;
    }
    NCX(nc_create(path, NC_CLOBBER | NC_NETCDF4, &ncid), NULL);
    NCX(nc_def_dim(ncid, "z", (size_t)g->nz, &dz), "z");
    NCX(nc_def_dim(ncid, "y", (size_t)g->ny, &dy), "y");
    NCX(nc_def_dim(ncid, "x", (size_t)g->nx, &dx), "x");
    int d3[3] = {dz, dy, dx};
    for (int i = 0; i < s->nspec; i++) {
        const char *nm = s->spec[i].name;
        NCX(nc_def_var(ncid, nm, NC_DOUBLE, 3, d3, &v_spec[i]), nm);
        NCX(nc_put_att_double(ncid, v_spec[i], ATT_MOLAR_MASS, NC_DOUBLE, 1,
                              &s->spec[i].molar_mass),
            nm);
        NCX(put_text(ncid, v_spec[i], "units", "mol mol-1"), nm);
    }
    NCX(nc_def_var(ncid, "time", NC_DOUBLE, 0, NULL, &v_time), "time");
    NCX(put_text(ncid, v_time, "units", "seconds since 1970-01-01 00:00:00"), "time");
    NCX(nc_def_var(ncid, "step", NC_INT64, 0, NULL, &v_step), "step");
    NCX(nc_def_var(ncid, "out_nsamples", NC_INT64, 0, NULL, &v_ns), "out_nsamples");
    NCX(nc_def_var(ncid, "out_acc_start", NC_DOUBLE, 0, NULL, &v_as), "out_acc_start");
    NCX(nc_def_var(ncid, "out_last_sample", NC_DOUBLE, 0, NULL, &v_ls), "out_last_sample");
    NCX(def_array(ncid, "out_acc", x->n_out_acc, &v_acc), "out_acc");
    NCX(def_array(ncid, "budget", x->n_budget, &v_bud), "budget");
    for (int i = 0; i < x->narrays; i++) {
        char nm[NC_MAX_NAME + 1];
        if (snprintf(nm, sizeof nm, "extra_%s", x->arrays[i].name) >= (int)sizeof nm) {
            rc = bg_fail(e, BG_EFAIL, path, x->arrays[i].name, "array name too long");
            goto done;
        }
        NCX(def_array(ncid, nm, x->arrays[i].n, &v_arr[i]), nm);
    }

    GridId id[16];
    int nid = grid_ids(g, id);
    for (int i = 0; i < nid; i++) {
        if (id[i].is_int) {
            int v = (int)id[i].grid_v;
            NCX(nc_put_att_int(ncid, NC_GLOBAL, id[i].name, NC_INT, 1, &v), id[i].name);
        } else {
            NCX(nc_put_att_double(ncid, NC_GLOBAL, id[i].name, NC_DOUBLE, 1, &id[i].grid_v),
                id[i].name);
        }
    }
    NCX(put_text(ncid, NC_GLOBAL, "title", "Bogda restart (checkpoint)"), "title");
    NCX(put_text(ncid, NC_GLOBAL, "config_hash", config_hash ? config_hash : ""), "config_hash");
    NCX(put_text(ncid, NC_GLOBAL, "bogda_config", config_text ? config_text : ""),
        "bogda_config");
    NCX(nc_enddef(ncid), NULL);

    for (int i = 0; i < s->nspec; i++)
        NCX(nc_put_var_double(ncid, v_spec[i], state_species(s, i)), s->spec[i].name);
    long long step = s->step, ns = x->out_nsamples;
    NCX(nc_put_var_double(ncid, v_time, &s->time), "time");
    NCX(nc_put_var_longlong(ncid, v_step, &step), "step");
    NCX(nc_put_var_longlong(ncid, v_ns, &ns), "out_nsamples");
    NCX(nc_put_var_double(ncid, v_as, &x->out_acc_start), "out_acc_start");
    NCX(nc_put_var_double(ncid, v_ls, &x->out_last_sample), "out_last_sample");
    size_t st = 0;
    if (x->n_out_acc) NCX(nc_put_vara_double(ncid, v_acc, &st, &x->n_out_acc, x->out_acc), "out_acc");
    if (x->n_budget) NCX(nc_put_vara_double(ncid, v_bud, &st, &x->n_budget, x->budget), "budget");
    for (int i = 0; i < x->narrays; i++)
        if (x->arrays[i].n)
            NCX(nc_put_vara_double(ncid, v_arr[i], &st, &x->arrays[i].n, x->arrays[i].data),
                x->arrays[i].name);
    /* Last: a reader that finds complete = 1 knows every value above was written. */
    int one = 1;
    NCX(nc_put_att_int(ncid, NC_GLOBAL, "complete", NC_INT, 1, &one), "complete");
done:
    free(v_spec);
    free(v_arr);
    /* a failed write must not leave the handle open: HDF5 would crash closing it at exit */
    if (rc != BG_OK) output_nc_discard(ncid, path);
    else if (ncid >= 0) rc = output_nc_close(ncid, path, NULL, e);
    if (rc != BG_OK) {
        remove(path);
        return rc;
    }
    fsync_path(path);
    if (rename(path, path_final) != 0) {
        rc = bg_fail(e, BG_EFAIL, path, NULL, "cannot rename to %s: %s", path_final,
                     strerror(errno));
        remove(path);
        return rc;
    }
    char dir[1100];
    dir_of(path_final, dir, sizeof dir);
    fsync_path(dir);
    return BG_OK;
}

/* Length of the 1-D array variable name in ncid, or -1 when it is absent. */
static long array_len(int ncid, const char *name)
{
    int v, dim;
    size_t n;
    if (nc_inq_varid(ncid, name, &v) || nc_inq_vardimid(ncid, v, &dim) || nc_inq_dimlen(ncid, dim, &n))
        return -1;
    return (long)n;
}

/* Appends ", name" (or "name") to list. */
static void list_add(char *list, size_t n, const char *name)
{
    size_t l = strlen(list);
    if (l < n) snprintf(list + l, n - l, "%s%s", l ? ", " : "", name);
}

static int same_value(double a, double b)
{
    return fabs(a - b) <= 1e-6 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* "[k=..,j=..,i=..]" for cell c of a (nz,ny,nx) field, "[c]" for an array (nx = 0). */
static void index_text(size_t c, int nx, int ny, char *buf, size_t n)
{
    if (nx <= 0) {
        snprintf(buf, n, "[%zu]", c);
        return;
    }
    size_t plane = (size_t)nx * ny;
    snprintf(buf, n, "[k=%zu,j=%zu,i=%zu]", c / plane, (c % plane) / (size_t)nx, c % (size_t)nx);
}

/* Refuses NaN/Inf values of v[n] and, when nonneg, negative ones (-0.0 is not negative: it is
 * zero), naming the first bad index and the count.  A restart is the state a run continues
 * from: a bad value there gives NaN or negative outputs with exit 0 (as [init] file refuses
 * them, model.c). */
static int check_values(const char *path, const char *name, const double *v, size_t n,
                        int nonneg, int nx, int ny, BgErr *e)
{
    size_t nbad = 0, nneg = 0, first_bad = 0, first_neg = 0;
    for (size_t c = 0; c < n; c++) {
        if (!isfinite(v[c])) {
            if (!nbad++) first_bad = c;
        } else if (nonneg && v[c] < 0) {
            if (!nneg++) first_neg = c;
        }
    }
    char at[96];
    if (nbad) {
        index_text(first_bad, nx, ny, at, sizeof at);
        return bg_fail(e, BG_EINPUT, path, name, "%zu NaN/Inf values, first at %s", nbad, at);
    }
    if (nneg) {
        index_text(first_neg, nx, ny, at, sizeof at);
        return bg_fail(e, BG_EINPUT, path, name, "%zu negative values, first at %s (%g)", nneg, at,
                       v[first_neg]);
    }
    return BG_OK;
}

int restart_read(const char *path, const Grid *g, State *s, RestartExtra *x,
                 const char *expected_hash, BgErr *e)
{
    int rc = BG_OK, ncid = -1, st, code_on_nc = BG_EINPUT;
    RestartExtra none = {0};
    if (!x) x = &none;
    if (s->nx != g->nx || s->ny != g->ny || s->nz != g->nz)
        return bg_fail(e, BG_EFAIL, path, NULL, "state and grid dimensions differ");
    if ((st = nc_open(path, NC_NOWRITE, &ncid)) != NC_NOERR)
        return bg_fail(e, BG_EINPUT, path, NULL, "cannot open restart: %s", nc_strerror(st));

    int complete = 0;
    if (nc_get_att_int(ncid, NC_GLOBAL, "complete", &complete) != NC_NOERR || complete != 1) {
        rc = bg_fail(e, BG_EINPUT, path, "complete", "restart is incomplete (complete = 1 missing)");
        goto done;
    }

    /* Grid identity */
    GridId id[16];
    int nid = grid_ids(g, id);
    for (int i = 0; i < nid; i++) {
        NCX(nc_get_att_double(ncid, NC_GLOBAL, id[i].name, &id[i].restart_v), id[i].name);
        int ok = id[i].is_int ? id[i].restart_v == id[i].grid_v
                              : same_value(id[i].restart_v, id[i].grid_v);
        if (!ok) {
            rc = bg_fail(e, BG_EINPUT, path, id[i].name, "%s %.10g in restart, %.10g in grid",
                         id[i].name, id[i].restart_v, id[i].grid_v);
            goto done;
        }
    }

    /* Species: both directions, every name listed. */
    {
        char missing[512] = "", extra[512] = "", mm[400] = "";
        int nvars;
        NCX(nc_inq_nvars(ncid, &nvars), NULL);
        for (int v = 0; v < nvars; v++) {
            char nm[NC_MAX_NAME + 1];
            NCX(nc_inq_varname(ncid, v, nm), NULL);
            if (nc_inq_att(ncid, v, ATT_MOLAR_MASS, NULL, NULL) != NC_NOERR) continue;
            int found = -1;
            for (int i = 0; i < s->nspec && found < 0; i++)
                if (strcmp(s->spec[i].name, nm) == 0) found = i;
            if (found < 0) {
                list_add(extra, sizeof extra, nm);
                continue;
            }
            double m;
            NCX(nc_get_att_double(ncid, v, ATT_MOLAR_MASS, &m), nm);
            if (!same_value(m, s->spec[found].molar_mass) && !mm[0])
                snprintf(mm, sizeof mm, "molar mass of %s %.6g in restart, %.6g in run", nm, m,
                         s->spec[found].molar_mass);
        }
        for (int i = 0; i < s->nspec; i++) {
            int v;
            if (nc_inq_varid(ncid, s->spec[i].name, &v) != NC_NOERR ||
                nc_inq_att(ncid, v, ATT_MOLAR_MASS, NULL, NULL) != NC_NOERR)
                list_add(missing, sizeof missing, s->spec[i].name);
        }
        if (missing[0] || extra[0]) {
            rc = bg_fail(e, BG_EINPUT, path, "species", "species differ:%s%s%s%s",
                         missing[0] ? " missing in restart: " : "", missing,
                         extra[0] ? (missing[0] ? "; not in the run: " : " not in the run: ") : "",
                         extra);
            goto done;
        }
        if (mm[0]) {
            rc = bg_fail(e, BG_EINPUT, path, "species", "%s", mm);
            goto done;
        }
    }

    /* Configuration hash */
    if (expected_hash) {
        char h[256] = "";
        size_t len = 0;
        if (nc_inq_attlen(ncid, NC_GLOBAL, "config_hash", &len) == NC_NOERR && len < sizeof h)
            nc_get_att_text(ncid, NC_GLOBAL, "config_hash", h);
        h[len < sizeof h ? len : 0] = '\0';
        if (strcmp(h, expected_hash) != 0) {
            rc = bg_fail(e, BG_EINPUT, path, "config_hash",
                         "configuration hash differs: %s in restart, %s in this run", h,
                         expected_hash);
            goto done;
        }
    }

    /* Extra array lengths */
    {
        struct {
            const char *name;
            size_t want;
        } arr[2] = {{"out_acc", x->n_out_acc}, {"budget", x->n_budget}};
        for (int i = 0; i < 2; i++) {
            long n = array_len(ncid, arr[i].name);
            if (n != (long)arr[i].want) {
                rc = bg_fail(e, BG_EINPUT, path, arr[i].name,
                             "%s has %ld values in restart, %zu expected", arr[i].name, n,
                             arr[i].want);
                goto done;
            }
        }
        for (int i = 0; i < x->narrays; i++) {
            char nm[NC_MAX_NAME + 1];
            snprintf(nm, sizeof nm, "extra_%s", x->arrays[i].name);
            long n = array_len(ncid, nm);
            if (n < 0 && x->arrays[i].optional) continue;
            if (n < 0) {
                rc = bg_fail(e, BG_EINPUT, path, x->arrays[i].name, "array missing in restart");
                goto done;
            }
            if (n != (long)x->arrays[i].n) {
                rc = bg_fail(e, BG_EINPUT, path, x->arrays[i].name,
                             "%ld values in restart, %zu expected", n, x->arrays[i].n);
                goto done;
            }
        }
        int nvars;
        NCX(nc_inq_nvars(ncid, &nvars), NULL);
        for (int v = 0; v < nvars; v++) {
            char nm[NC_MAX_NAME + 1];
            NCX(nc_inq_varname(ncid, v, nm), NULL);
            if (strncmp(nm, "extra_", 6) != 0) continue;
            int known = 0;
            for (int i = 0; i < x->narrays && !known; i++) known = strcmp(nm + 6, x->arrays[i].name) == 0;
            if (!known) {
                rc = bg_fail(e, BG_EINPUT, path, nm + 6, "array in restart not expected by this run");
                goto done;
            }
        }
    }

    /* Values: only after every check, so a refused restart leaves s and x untouched. */
    {
        int v;
        long long step = 0, ns = 0;
        size_t st0 = 0;
        for (int i = 0; i < s->nspec; i++) {
            NCX(nc_inq_varid(ncid, s->spec[i].name, &v), s->spec[i].name);
            NCX(nc_get_var_double(ncid, v, state_species(s, i)), s->spec[i].name);
            if ((rc = check_values(path, s->spec[i].name, state_species(s, i), state_ncell(s), 1,
                                   s->nx, s->ny, e)) != BG_OK)
                goto done;
        }
        NCX(nc_inq_varid(ncid, "time", &v), "time");
        NCX(nc_get_var_double(ncid, v, &s->time), "time");
        NCX(nc_inq_varid(ncid, "step", &v), "step");
        NCX(nc_get_var_longlong(ncid, v, &step), "step");
        s->step = (long)step;
        NCX(nc_inq_varid(ncid, "out_nsamples", &v), "out_nsamples");
        NCX(nc_get_var_longlong(ncid, v, &ns), "out_nsamples");
        x->out_nsamples = (long)ns;
        NCX(nc_inq_varid(ncid, "out_acc_start", &v), "out_acc_start");
        NCX(nc_get_var_double(ncid, v, &x->out_acc_start), "out_acc_start");
        NCX(nc_inq_varid(ncid, "out_last_sample", &v), "out_last_sample");
        NCX(nc_get_var_double(ncid, v, &x->out_last_sample), "out_last_sample");
        /* the clock and the averaging state: a NaN time or a negative sample count gives
         * wrong means without any other sign */
        if (!isfinite(s->time))
            rc = bg_fail(e, BG_EINPUT, path, "time", "time is %g, not a finite value", s->time);
        else if (step < 0)
            rc = bg_fail(e, BG_EINPUT, path, "step", "step is %lld, negative", step);
        else if (ns < 0)
            rc = bg_fail(e, BG_EINPUT, path, "out_nsamples", "out_nsamples is %lld, negative", ns);
        else if (!isfinite(x->out_acc_start))
            rc = bg_fail(e, BG_EINPUT, path, "out_acc_start", "out_acc_start is %g, not a finite value",
                         x->out_acc_start);
        else if (!isfinite(x->out_last_sample))
            rc = bg_fail(e, BG_EINPUT, path, "out_last_sample",
                         "out_last_sample is %g, not a finite value", x->out_last_sample);
        if (rc != BG_OK) goto done;
        if (x->n_out_acc) {
            NCX(nc_inq_varid(ncid, "out_acc", &v), "out_acc");
            NCX(nc_get_vara_double(ncid, v, &st0, &x->n_out_acc, x->out_acc), "out_acc");
            if ((rc = check_values(path, "out_acc", x->out_acc, x->n_out_acc, 0, 0, 0, e)) != BG_OK)
                goto done;
        }
        if (x->n_budget) {
            NCX(nc_inq_varid(ncid, "budget", &v), "budget");
            NCX(nc_get_vara_double(ncid, v, &st0, &x->n_budget, x->budget), "budget");
            if ((rc = check_values(path, "budget", x->budget, x->n_budget, 0, 0, 0, e)) != BG_OK)
                goto done;
        }
        for (int i = 0; i < x->narrays; i++) {
            char nm[NC_MAX_NAME + 1];
            snprintf(nm, sizeof nm, "extra_%s", x->arrays[i].name);
            if (!x->arrays[i].n) continue;
            if (x->arrays[i].optional && nc_inq_varid(ncid, nm, &v) != NC_NOERR) continue;
            NCX(nc_inq_varid(ncid, nm, &v), nm);
            NCX(nc_get_vara_double(ncid, v, &st0, &x->arrays[i].n, x->arrays[i].data), nm);
            if ((rc = check_values(path, nm, x->arrays[i].data, x->arrays[i].n, x->arrays[i].nonneg,
                                   0, 0, e)) != BG_OK)
                goto done;
        }
    }
done:
    nc_close(ncid);
    return rc;
}

/* Whether path opens, says complete = 1 and every variable reads back (a truncated HDF5 file
 * usually fails to open; reading the data catches the rest). */
static int restart_usable(const char *path)
{
    int ncid, nvars, complete = 0, ok = 0;
    if (nc_open(path, NC_NOWRITE, &ncid) != NC_NOERR) return 0;
    if (nc_get_att_int(ncid, NC_GLOBAL, "complete", &complete) != NC_NOERR || complete != 1 ||
        nc_inq_nvars(ncid, &nvars) != NC_NOERR)
        goto done;
    for (int v = 0; v < nvars; v++) {
        int nd, dims[NC_MAX_VAR_DIMS];
        size_t total = 1, len;
        nc_type t;
        if (nc_inq_varndims(ncid, v, &nd) || nc_inq_vardimid(ncid, v, dims) ||
            nc_inq_vartype(ncid, v, &t))
            goto done;
        for (int i = 0; i < nd; i++) {
            if (nc_inq_dimlen(ncid, dims[i], &len)) goto done;
            total *= len;
        }
        if (total == 0) continue;
        size_t esz;
        if (nc_inq_type(ncid, t, NULL, &esz)) goto done;
        void *buf = malloc(total * esz);
        if (!buf) goto done;
        int st = nc_get_var(ncid, v, buf);
        free(buf);
        if (st != NC_NOERR) goto done;
    }
    ok = 1;
done:
    nc_close(ncid);
    return ok;
}

typedef struct Cand {
    double t;
    char *name;
} Cand;

static int cand_newest_first(const void *a, const void *b)
{
    const Cand *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? 1 : -1;
    return strcmp(y->name, x->name);
}

int restart_find_newest(const char *dir, char *path_out, size_t n, BgErr *e)
{
    return restart_find_newest_before(dir, INFINITY, path_out, n, e);
}

int restart_find_newest_before(const char *dir, double before, char *path_out, size_t n, BgErr *e)
{
    DIR *d = opendir(dir);
    if (!d) return bg_fail(e, BG_EINPUT, dir, NULL, "cannot read directory: %s", strerror(errno));
    Cand *c = NULL;
    size_t nc = 0, cap = 0;
    int rc = BG_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        size_t len = strlen(nm);
        char stamp[64];
        double t;
        if (len < 12 || strncmp(nm, "restart_", 8) != 0 || strcmp(nm + len - 3, ".nc") != 0)
            continue;
        if (len - 11 >= sizeof stamp) continue;
        memcpy(stamp, nm + 8, len - 11);
        stamp[len - 11] = '\0';
        if (time_parse(stamp, &t) != 0) continue;
        if (!(t < before)) continue;
        if (nc == cap) {
            cap = cap ? 2 * cap : 16;
            Cand *nw = realloc(c, cap * sizeof *c);
            if (!nw) {
                rc = bg_fail(e, BG_EFAIL, dir, NULL, "out of memory");
                goto done;
            }
            c = nw;
        }
        c[nc].t = t;
        c[nc].name = strdup(nm);
        if (!c[nc].name) {
            rc = bg_fail(e, BG_EFAIL, dir, NULL, "out of memory");
            goto done;
        }
        nc++;
    }
    if (nc > 1) qsort(c, nc, sizeof *c, cand_newest_first);
    int found = 0;
    for (size_t i = 0; i < nc && !found; i++) {
        char p[2048];
        if (snprintf(p, sizeof p, "%s/%s", dir, c[i].name) >= (int)sizeof p) continue;
        if (!restart_usable(p)) continue;
        found = snprintf(path_out, n, "%s", p) < (int)n;
    }
    if (!found) rc = bg_fail(e, BG_EINPUT, dir, NULL, "no complete restart_*.nc to resume from");
done:
    closedir(d);
    for (size_t i = 0; i < nc; i++) free(c[i].name);
    free(c);
    return rc;
}
