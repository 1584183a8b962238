/* Set-up of a run: configuration -> RunConfig, inputs validated, grid/met/state/processes built.
 * Nothing here writes a file, so a bad input never leaves half-written output. */
#include "model.h"

#include <glob.h>
#include <libgen.h>
#include <math.h>
#include <netcdf.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "restart.h"
#include "timeutil.h"

/* "file:line" of a key for messages */
static const char *where(const Model *m, const char *section, const char *key, char *buf, size_t n)
{
    config_where(&m->cfg, config_entry(&m->cfg, section, key), buf, n);
    return buf;
}

static int cfg_fail(Model *m, BgErr *e, const char *section, const char *key, const char *fmt,
                    const char *detail)
{
    char w[1100];
    where(m, section, key, w, sizeof w);
    const char *v = config_get(&m->cfg, section, key);
    return bg_fail(e, BG_ECONFIG, w, NULL, "[%s] %s = '%s': %s%s", section, key, v ? v : "", fmt,
                   detail ? detail : "");
}

/* Paths in the configuration are relative to the configuration file's directory. */
static void resolve_path(const Model *m, const char *p, char *out, size_t n)
{
    if (p[0] == '/' || !p[0]) {
        snprintf(out, n, "%s", p);
        return;
    }
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", m->cfg.path);
    snprintf(out, n, "%s/%s", dirname(tmp), p);
}

static int species_index(const Model *m, const char *name)
{
    for (int i = 0; i < m->nspec; i++)
        if (!strcmp(m->species[i].name, name)) return i;
    return -1;
}

static int parse_times(Model *m, BgErr *e)
{
    RunConfig *rc = &m->rc;
    const char *start = config_get(&m->cfg, "run", "start");
    if (!start[0]) return cfg_fail(m, e, "run", "start", "required (ISO-8601 time)", NULL);
    if (time_parse(start, &rc->t_start)) return cfg_fail(m, e, "run", "start", "not an ISO-8601 time", NULL);
    const char *end = config_get(&m->cfg, "run", "end");
    if (end[0]) {
        if (time_parse(end, &rc->t_end)) return cfg_fail(m, e, "run", "end", "not an ISO-8601 time", NULL);
    } else {
        double h;
        BG_TRY(config_double(&m->cfg, "run", "hours", &h, e));
        rc->t_end = rc->t_start + h * 3600.0;
    }
    if (!(rc->t_end > rc->t_start)) return cfg_fail(m, e, "run", end[0] ? "end" : "hours", "the run must end after it starts", NULL);
    double v;
    BG_TRY(config_double(&m->cfg, "run", "spinup_h", &v, e));
    if (v < 0) return cfg_fail(m, e, "run", "spinup_h", "must be >= 0", NULL);
    rc->spinup_s = v * 3600.0;
    BG_TRY(config_double(&m->cfg, "run", "sync_step_s", &rc->sync_dt, e));
    if (!(rc->sync_dt > 0)) return cfg_fail(m, e, "run", "sync_step_s", "must be > 0", NULL);
    BG_TRY(config_double(&m->cfg, "output", "interval_h", &v, e));
    rc->out_dt = v * 3600.0;
    if (!(rc->out_dt > 0) || fabs(remainder(rc->out_dt, rc->sync_dt)) > 1e-6)
        return cfg_fail(m, e, "output", "interval_h", "must be > 0 and a multiple of [run] sync_step_s", NULL);
    if (fabs(remainder(rc->t_end - rc->t_start, rc->sync_dt)) > 1e-6)
        return cfg_fail(m, e, "run", end[0] ? "end" : "hours", "the run length must be a multiple of [run] sync_step_s", NULL);
    BG_TRY(config_double(&m->cfg, "run", "checkpoint_h", &v, e));
    rc->checkpoint_s = v * 3600.0;
    if (rc->checkpoint_s < 0 || fabs(remainder(rc->checkpoint_s, rc->sync_dt)) > 1e-6)
        return cfg_fail(m, e, "run", "checkpoint_h", "must be >= 0 and a multiple of [run] sync_step_s", NULL);
    BG_TRY(config_int(&m->cfg, "run", "threads", &rc->threads, e));
    if (rc->threads < 0) return cfg_fail(m, e, "run", "threads", "must be >= 0", NULL);
    return BG_OK;
}

static int parse_processes(Model *m, BgErr *e)
{
    RunConfig *rc = &m->rc;
    BG_TRY(config_onoff(&m->cfg, "processes", "advection", &rc->adv_on, e));
    BG_TRY(config_onoff(&m->cfg, "processes", "diffusion", &rc->diff_on, e));
    static const char *const later[] = {"emissions", "chemistry", "aerosol", "drydep", "wetdep"};
    for (size_t i = 0; i < sizeof later / sizeof *later; i++) {
        int on;
        BG_TRY(config_onoff(&m->cfg, "processes", later[i], &on, e));
        if (on) return cfg_fail(m, e, "processes", later[i], "this process is not available in this version of Bogda", NULL);
    }
    const char *sch = config_get(&m->cfg, "advection", "scheme");
    rc->scheme = advect_scheme_find(sch);
    if (!rc->scheme) return cfg_fail(m, e, "advection", "scheme", "unknown scheme (ppm, upwind)", NULL);
    BG_TRY(config_double(&m->cfg, "advection", "cfl_max", &rc->cfl_max, e));
    if (!(rc->cfl_max > 0 && rc->cfl_max <= 1)) return cfg_fail(m, e, "advection", "cfl_max", "must be in (0, 1]", NULL);
    BG_TRY(config_double(&m->cfg, "diffusion", "kz_min", &rc->kz_min, e));
    if (!(rc->kz_min >= 0)) return cfg_fail(m, e, "diffusion", "kz_min", "must be >= 0", NULL);
    return BG_OK;
}

static int parse_species(Model *m, BgErr *e)
{
    char *names = strdup(config_get(&m->cfg, "tracers", "names"));
    char *tok[512];
    int n = names ? config_split(names, tok, 512) : -1;
    if (n <= 0) {
        free(names);
        return cfg_fail(m, e, "tracers", "names", n < 0 ? "more than 512 names" : "no species to transport: list passive tracers here", NULL);
    }
    BG_TRY(config_double(&m->cfg, "tracers", "molar_mass_g_mol", &m->rc.tracer_molar_mass, e));
    if (!(m->rc.tracer_molar_mass > 0)) { free(names); return cfg_fail(m, e, "tracers", "molar_mass_g_mol", "must be > 0", NULL); }
    m->species = calloc((size_t)n, sizeof *m->species);
    if (!m->species) { free(names); return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); }
    for (int i = 0; i < n; i++) {
        if (strlen(tok[i]) >= BG_NAME_LEN || species_index(m, tok[i]) >= 0) {
            int rc = cfg_fail(m, e, "tracers", "names", "name too long or repeated: ", tok[i]);
            free(names);
            return rc;
        }
        snprintf(m->species[i].name, BG_NAME_LEN, "%s", tok[i]);
        m->species[i].molar_mass = m->rc.tracer_molar_mass;
        m->nspec = i + 1;
    }
    free(names);
    return BG_OK;
}

/* constant.X / profile.X in [init] or [boundary] */
static int parse_family(Model *m, const char *section, ValueProfile **out, BgErr *e)
{
    *out = calloc((size_t)m->nspec, sizeof **out);
    if (!*out) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int i = 0; i < m->cfg.n; i++) {
        const CfgEntry *en = &m->cfg.e[i];
        if (strcmp(en->section, section)) continue;
        int is_prof = !strncmp(en->key, "profile.", 8);
        if (!is_prof && strncmp(en->key, "constant.", 9)) continue;
        const char *name = en->key + (is_prof ? 8 : 9);
        int sp = species_index(m, name);
        if (sp < 0) return cfg_fail(m, e, section, en->key, "no species of that name", NULL);
        if ((*out)[sp].n) return cfg_fail(m, e, section, en->key, "species given twice (constant and profile)", NULL);
        char why[128];
        if (profile_parse(en->value, is_prof, &(*out)[sp], why, sizeof why)) return cfg_fail(m, e, section, en->key, why, NULL);
        for (int k = 0; k < (*out)[sp].n; k++)
            if ((*out)[sp].v[k] < 0) return cfg_fail(m, e, section, en->key, "negative mixing ratio", NULL);
    }
    return BG_OK;
}

static int parse_output(Model *m, BgErr *e)
{
    RunConfig *rc = &m->rc;
    const char *layers = config_get(&m->cfg, "output", "layers");
    if (!strcmp(layers, "all")) rc->all_layers = 1;
    else if (!strcmp(layers, "surface")) rc->all_layers = 0;
    else return cfg_fail(m, e, "output", "layers", "expected surface or all", NULL);
    BG_TRY(config_onoff(&m->cfg, "output", "average", &rc->average, e));
    rc->out_species = malloc((size_t)m->nspec * sizeof *rc->out_species);
    if (!rc->out_species) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    char *list = strdup(config_get(&m->cfg, "output", "species"));
    char *tok[512];
    int n = list ? config_split(list, tok, 512) : -1;
    if (n <= 0) {
        for (int i = 0; i < m->nspec; i++) rc->out_species[i] = i;
        rc->nout = m->nspec;
    } else {
        rc->nout = 0;
        for (int i = 0; i < n; i++) {
            int sp = species_index(m, tok[i]);
            if (sp < 0 || rc->nout >= m->nspec) {
                int r = cfg_fail(m, e, "output", "species", "no species named ", tok[i]);
                free(list);
                return r;
            }
            rc->out_species[rc->nout++] = sp;
        }
    }
    free(list);
    char dir[1024];
    resolve_path(m, config_get(&m->cfg, "run", "output_dir"), dir, sizeof dir);
    snprintf(rc->output_dir, sizeof rc->output_dir, "%s", dir);
    const char *rs = config_get(&m->cfg, "run", "restart");
    if (rs[0]) resolve_path(m, rs, rc->restart, sizeof rc->restart);
    return BG_OK;
}

static int glob_met(Model *m, BgErr *e)
{
    char *list = strdup(config_get(&m->cfg, "met", "files"));
    char *tok[256];
    int n = list ? config_split(list, tok, 256) : -1;
    if (n <= 0) {
        free(list);
        return cfg_fail(m, e, "met", "files", "required: wrfout files (glob or list)", NULL);
    }
    glob_t g;
    memset(&g, 0, sizeof g);
    int rc = BG_OK;
    for (int i = 0; i < n && rc == BG_OK; i++) {
        char pat[1024];
        resolve_path(m, tok[i], pat, sizeof pat);
        int r = glob(pat, GLOB_NOSORT | (i ? GLOB_APPEND : 0), NULL, &g);
        if (r == GLOB_NOMATCH) rc = bg_fail(e, BG_EINPUT, pat, NULL, "no meteorology file matches ([met] files)");
        else if (r) rc = bg_fail(e, BG_EFAIL, pat, NULL, "glob failed");
    }
    free(list);
    if (rc == BG_OK) {
        m->rc.nmet = (int)g.gl_pathc;
        m->rc.met_files = calloc(g.gl_pathc, sizeof *m->rc.met_files);
        for (size_t i = 0; m->rc.met_files && i < g.gl_pathc; i++) m->rc.met_files[i] = strdup(g.gl_pathv[i]);
        if (!m->rc.met_files) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    }
    globfree(&g);
    return rc;
}

/* [init] file: one variable per species, (z,y,x) or (y,x) for the surface layer, units ppb. */
static int init_from_file(Model *m, const char *path, BgErr *e)
{
    int nc, rc = BG_OK, found = 0;
    int st = nc_open(path, NC_NOWRITE, &nc);
    if (st != NC_NOERR) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open: %s", nc_strerror(st));
    const Grid *g = &m->grid;
    size_t plane = (size_t)g->nx * g->ny;
    double *buf = malloc(plane * g->nz * sizeof *buf);
    if (!buf) { nc_close(nc); return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); }
    for (int sp = 0; sp < m->state.nspec && rc == BG_OK; sp++) {
        const char *name = m->state.spec[sp].name;
        int var, nd, dims[NC_MAX_VAR_DIMS];
        if (nc_inq_varid(nc, name, &var) != NC_NOERR) continue;
        found++;
        nc_inq_varndims(nc, var, &nd);
        nc_inq_vardimid(nc, var, dims);
        size_t len[4] = {0};
        for (int d = 0; d < nd && d < 4; d++) nc_inq_dimlen(nc, dims[d], &len[d]);
        int layers;
        if (nd == 3 && len[0] == (size_t)g->nz && len[1] == (size_t)g->ny && len[2] == (size_t)g->nx) layers = g->nz;
        else if (nd == 2 && len[0] == (size_t)g->ny && len[1] == (size_t)g->nx) layers = 1;
        else { rc = bg_fail(e, BG_EINPUT, path, name, "dimensions must be (z,y,x) = (%d,%d,%d) or (y,x) = (%d,%d) of the model grid", g->nz, g->ny, g->nx, g->ny, g->nx); break; }
        char units[64] = "";
        size_t ul = 0;
        if (nc_inq_attlen(nc, var, "units", &ul) == NC_NOERR && ul < sizeof units) nc_get_att_text(nc, var, "units", units);
        units[ul < sizeof units ? ul : 0] = 0;
        double scale;
        if (!strcmp(units, "ppb") || !strcmp(units, "ppbv") || !strcmp(units, "nmol mol-1") || !strcmp(units, "nmol/mol")) scale = 1e-9;
        else if (!strcmp(units, "ppm") || !strcmp(units, "ppmv") || !strcmp(units, "umol mol-1")) scale = 1e-6;
        else { rc = bg_fail(e, BG_EINPUT, path, name, "units '%s': expected ppb (or ppm)", units); break; }
        if ((st = nc_get_var_double(nc, var, buf)) != NC_NOERR) { rc = bg_fail(e, BG_EINPUT, path, name, "cannot read: %s", nc_strerror(st)); break; }
        double *q = state_species(&m->state, sp);
        for (size_t c = 0; c < plane * layers; c++) {
            if (!isfinite(buf[c]) || buf[c] < 0) { rc = bg_fail(e, BG_EINPUT, path, name, "invalid value %g at index %zu (NaN, Inf or negative)", buf[c], c); break; }
            q[c] = buf[c] * scale;
        }
    }
    free(buf);
    nc_close(nc);
    if (rc == BG_OK && !found) rc = bg_fail(e, BG_EINPUT, path, NULL, "holds no variable named after a species");
    return rc;
}

static int init_state(Model *m, BgErr *e)
{
    const Grid *g = &m->grid;
    const size_t plane = (size_t)g->nx * g->ny;
    const MetFields *f = model_met(m, m->rc.t_start, e);
    if (!f) return e->code;
    for (int sp = 0; sp < m->state.nspec; sp++) {
        double *q = state_species(&m->state, sp);
        const ValueProfile *p = &m->init_prof[sp];
        for (int k = 0; k < g->nz; k++)
            for (size_t c = 0; c < plane; c++) {
                double z = 0.5 * (f->zf[k * plane + c] + f->zf[(k + 1) * plane + c]);
                q[k * plane + c] = p->n ? profile_eval(p, z) * 1e-9 : 0.0;
            }
    }
    if (m->init_file[0]) BG_TRY(init_from_file(m, m->init_file, e));
    m->state.time = m->rc.t_start;
    m->state.step = 0;
    return BG_OK;
}

/* [boundary] file: time-varying inflow values from a global model (input/bcfile.h) */
static int open_boundary_file(Model *m, BgErr *e)
{
    const char *bf = config_get(&m->cfg, "boundary", "file");
    if (!bf[0]) return BG_OK;
    char path[1024];
    resolve_path(m, bf, path, sizeof path);
    const int ns = m->state.nspec;
    const char **names = calloc((size_t)ns, sizeof *names);
    const char **map = calloc((size_t)ns, sizeof *map);
    double *mm = calloc((size_t)ns, sizeof *mm);
    char(*vars)[BCFILE_NAME_LEN] = calloc((size_t)ns, sizeof *vars);
    int rc = (names && map && mm && vars) ? BG_OK : bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int s = 0; rc == BG_OK && s < ns; s++) {
        names[s] = m->state.spec[s].name;
        mm[s] = m->state.spec[s].molar_mass; /* g mol-1 */
        map[s] = vars[s];
    }
    const char *fv = config_get(&m->cfg, "boundary", "file_variables");
    if (rc == BG_OK && fv[0]) {
        char w[1100];
        where(m, "boundary", "file_variables", w, sizeof w);
        rc = bcfile_map_parse(fv, names, ns, vars, w, e);
    }
    if (rc == BG_OK) rc = bcfile_open(&m->bcf, path, &m->grid, names, fv[0] ? map : NULL, mm, ns,
                                      m->rc.t_start, m->rc.t_end, e);
    if (rc == BG_OK) m->has_bcf = 1;
    free(names);
    free(map);
    free(mm);
    free(vars);
    return rc;
}

const MetFields *model_met(Model *m, double t, BgErr *e)
{
    MetCache *c = &m->cache;
    int slot = -1;
    for (int i = 0; i < MET_CACHE; i++)
        if (c->used[i] && c->t[i] == t) slot = i;
    if (slot < 0) {
        slot = 0;
        for (int i = 1; i < MET_CACHE; i++)
            if (c->used[i] < c->used[slot]) slot = i;
        double w0 = omp_get_wtime();
        int rc = met_fields_at(&m->met, t, &c->f[slot], e);
        m->met_seconds += omp_get_wtime() - w0;
        if (rc != BG_OK) {
            c->used[slot] = 0;
            return NULL;
        }
        c->t[slot] = t;
    }
    c->used[slot] = ++c->clock;
    return &c->f[slot];
}

int model_setup(Model *m, const char *config_path, char *const *overrides, int noverrides, int resume,
                BgErr *e)
{
    memset(m, 0, sizeof *m);
    m->resume = resume;
    BG_TRY(config_load(&m->cfg, config_path, overrides, noverrides, e));
    config_hash(&m->cfg, m->config_hash);
    m->config_text = config_effective(&m->cfg);
    if (!m->config_text) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    BG_TRY(parse_times(m, e));
    BG_TRY(parse_processes(m, e));
    {
        const char *names[4];
        if (config_sections(&m->cfg, "scenario", names, 4) != 0)
            return bg_fail(e, BG_ECONFIG, m->cfg.path, NULL,
                           "[scenario %s]: scenarios need the emission process, not available in this version",
                           names[0]);
    }
    BG_TRY(parse_species(m, e));
    BG_TRY(parse_family(m, "init", &m->init_prof, e));
    BG_TRY(parse_family(m, "boundary", &m->bc_prof, e));
    BG_TRY(parse_output(m, e));
    const char *initf = config_get(&m->cfg, "init", "file");
    if (initf[0]) resolve_path(m, initf, m->init_file, sizeof m->init_file);
    double dflt;
    BG_TRY(config_double(&m->cfg, "boundary", "default", &dflt, e));
    if (!(dflt >= 0)) return cfg_fail(m, e, "boundary", "default", "must be >= 0", NULL);
    for (int sp = 0; sp < m->nspec; sp++)
        if (!m->bc_prof[sp].n) {
            m->bc_prof[sp].n = 1;
            m->bc_prof[sp].v[0] = dflt;
        }
    if (m->rc.threads > 0) omp_set_num_threads(m->rc.threads);

    /* inputs: every file is opened and checked before anything is written */
    BG_TRY(glob_met(m, e));
    BG_TRY(grid_from_wrf(&m->grid, m->rc.met_files[0], e));
    BG_TRY(met_open(&m->met, &m->grid, m->rc.met_files, m->rc.nmet, m->rc.t_start, m->rc.t_end,
                    m->rc.kz_min, e));
    for (int i = 0; i < MET_CACHE; i++)
        if (met_fields_alloc(&m->cache.f[i], &m->grid)) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    const Grid *g = &m->grid;
    if (state_alloc(&m->state, g->nx, g->ny, g->nz, m->nspec))
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory for the state");
    memcpy(m->state.spec, m->species, (size_t)m->nspec * sizeof *m->species);
    BG_TRY(init_state(m, e));
    BG_TRY(open_boundary_file(m, e));
    m->t_cont = m->rc.t_start;
    if (m->resume) {
        BgErr none = {0};
        char path[1024];
        if (restart_find_newest(m->rc.output_dir, path, sizeof path, &none) == BG_OK)
            snprintf(m->rc.restart, sizeof m->rc.restart, "%s", path);
    }
    return BG_OK;
}
