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
#include <sys/stat.h>

#include "csvutil.h"
#include "drydep.h"
#include "processes.h"

#define MAX_TRACERS 512 /* [tracers] names */
#include "restart.h"
#include "timeutil.h"
#include "units.h"

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
void model_resolve_path(const Model *m, const char *p, char *out, size_t n)
{
    if (p[0] == '/' || !p[0]) {
        snprintf(out, n, "%s", p);
        return;
    }
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", m->cfg.path);
    if (snprintf(out, n, "%s/%s", dirname(tmp), p) >= (int)n) out[n - 1] = 0; /* too long: truncated, fails to open */
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
    if (!(v >= 0)) return cfg_fail(m, e, "run", "spinup_h", "must be >= 0", NULL);
    rc->spinup_s = v * 3600.0;
    /* nothing after the spin-up would be written (and the station window would end first) */
    if (rc->t_start + rc->spinup_s >= rc->t_end)
        return cfg_fail(m, e, "run", "spinup_h", "must be shorter than the run: nothing would be written", NULL);
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
    const char *sp = config_get(&m->cfg, "run", "splitting");
    if (!strcmp(sp, "strang")) rc->splitting = SPLIT_STRANG;
    else if (!strcmp(sp, "alternating")) rc->splitting = SPLIT_ALTERNATING;
    else return cfg_fail(m, e, "run", "splitting", "must be strang or alternating", NULL);
    BG_TRY(config_onoff(&m->cfg, "run", "merge_advection", &rc->merge_adv, e));
    BG_TRY(config_int(&m->cfg, "run", "threads", &rc->threads, e));
    /* libgomp overflows its stack or hangs creating tens of thousands of threads; no node has
     * more than a few hundred cores */
    if (rc->threads < 0 || rc->threads > 1024)
        return cfg_fail(m, e, "run", "threads", "must be 0 (OMP_NUM_THREADS or every core) to 1024", NULL);
    const char *dc = config_get(&m->cfg, "run", "decomposition");
    rc->mpi_px = rc->mpi_py = 0;
    if (dc && strcmp(dc, "auto")) {
        char tail;
        if (sscanf(dc, "%dx%d%c", &rc->mpi_px, &rc->mpi_py, &tail) != 2 || rc->mpi_px < 1 || rc->mpi_py < 1)
            return cfg_fail(m, e, "run", "decomposition", "must be auto or PXxPY with positive counts (e.g. 2x3)", NULL);
    }
    return BG_OK;
}

static int parse_processes(Model *m, BgErr *e)
{
    RunConfig *rc = &m->rc;
    BG_TRY(config_onoff(&m->cfg, "processes", "advection", &rc->adv_on, e));
    BG_TRY(config_onoff(&m->cfg, "processes", "diffusion", &rc->diff_on, e));
    BG_TRY(config_onoff(&m->cfg, "processes", "emissions", &rc->emis_on, e));
    BG_TRY(config_onoff(&m->cfg, "processes", "chemistry", &rc->chem_on, e));
    BG_TRY(config_onoff(&m->cfg, "processes", "aerosol", &rc->aero_on, e));
    BG_TRY(config_onoff(&m->cfg, "processes", "drydep", &rc->drydep_on, e));
    BG_TRY(config_onoff(&m->cfg, "processes", "wetdep", &rc->wetdep_on, e));
    rc->full = rc->emis_on || rc->chem_on || rc->aero_on || rc->drydep_on || rc->wetdep_on;
    if (rc->emis_on && !config_get(&m->cfg, "emissions", "inventory")[0])
        return cfg_fail(m, e, "emissions", "inventory", "required when [processes] emissions = on", NULL);
    if (rc->drydep_on && !rc->diff_on)
        return cfg_fail(m, e, "processes", "drydep", "dry deposition is the lower boundary flux of diffusion: needs diffusion = on", NULL);
    if (rc->emis_on && !rc->diff_on)
        return cfg_fail(m, e, "processes", "emissions", "surface emissions enter through diffusion: needs diffusion = on", NULL);
    const char *sch = config_get(&m->cfg, "advection", "scheme");
    rc->scheme = advect_scheme_find(sch);
    if (!rc->scheme) return cfg_fail(m, e, "advection", "scheme", "unknown scheme (ppm, vanleer, upwind)", NULL);
    BG_TRY(config_double(&m->cfg, "advection", "cfl_max", &rc->cfl_max, e));
    if (!(rc->cfl_max > 0 && rc->cfl_max <= 1)) return cfg_fail(m, e, "advection", "cfl_max", "must be in (0, 1]", NULL);
    BG_TRY(config_double(&m->cfg, "diffusion", "kz_min", &rc->kz_min, e));
    if (!(rc->kz_min >= 0)) return cfg_fail(m, e, "diffusion", "kz_min", "must be >= 0", NULL);
    return BG_OK;
}

/* The chemical species of the table (transported ones, table order), for a run with any
 * chemical process on. */
static int add_table_species(Model *m, BgErr *e)
{
    const char *tp = config_get(&m->cfg, "chemistry", "species_table");
    char path[1024] = "";
    if (tp && tp[0]) model_resolve_path(m, tp, path, sizeof path);
    BG_TRY(species_load(&m->tab, path[0] ? path : NULL, e));
    m->tab_map = malloc((size_t)m->tab.n * sizeof *m->tab_map);
    /* room for the table, up to MAX_TRACERS tracers and the two diagnosed PM totals */
    const size_t cap = (size_t)m->tab.n + MAX_TRACERS + 2;
    m->species = calloc(cap, sizeof *m->species);
    m->is_mass = calloc(cap, sizeof *m->is_mass);
    m->out_mass = calloc(cap, sizeof *m->out_mass);
    if (!m->tab_map || !m->species || !m->is_mass || !m->out_mass) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int t = 0; t < m->tab.n; t++) {
        const Species *sp = &m->tab.s[t];
        m->tab_map[t] = -1;
        if (!sp->transported) continue;
        m->tab_map[t] = m->nspec;
        snprintf(m->species[m->nspec].name, BG_NAME_LEN, "%s", sp->name);
        m->species[m->nspec].molar_mass = sp->molar_mass_kg_mol * 1e3;
        m->is_mass[m->nspec] = sp->phase == SPECIES_AEROSOL;
        m->out_mass[m->nspec] = sp->output_ugm3;
        m->nspec++;
    }
    for (int t = 0; t < m->tab.n; t++)
        if (m->tab_map[t] < 0)
            return bg_fail(e, BG_EINPUT, m->tab.path, m->tab.s[t].name,
                           "non-transported species are not supported by the 3-D model");
    return BG_OK;
}

static int parse_species(Model *m, BgErr *e)
{
    m->i_pm25 = m->i_pm10 = -1;
    if (m->rc.full) BG_TRY(add_table_species(m, e));
    char *names = strdup(config_get(&m->cfg, "tracers", "names"));
    char *tok[MAX_TRACERS];
    int n = names ? config_split(names, tok, MAX_TRACERS) : -1;
    if (n < 0 || (n == 0 && !m->rc.full)) {
        free(names);
        return cfg_fail(m, e, "tracers", "names", n < 0 ? "more than 512 names" : "no species to transport: list passive tracers here", NULL);
    }
    BG_TRY(config_double(&m->cfg, "tracers", "molar_mass_g_mol", &m->rc.tracer_molar_mass, e));
    if (!(m->rc.tracer_molar_mass > 0)) { free(names); return cfg_fail(m, e, "tracers", "molar_mass_g_mol", "must be > 0", NULL); }
    if (!m->species) {
        m->species = calloc((size_t)n + 2, sizeof *m->species);
        m->is_mass = calloc((size_t)n + 2, sizeof *m->is_mass);
        m->out_mass = calloc((size_t)n + 2, sizeof *m->out_mass);
    }
    if (!m->species || !m->is_mass || !m->out_mass) { free(names); return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); }
    const int first = m->nspec;
    for (int i = 0; i < n; i++) {
        if (strlen(tok[i]) >= BG_NAME_LEN || species_index(m, tok[i]) >= 0) {
            int rc = cfg_fail(m, e, "tracers", "names", "name too long or repeated: ", tok[i]);
            free(names);
            return rc;
        }
        snprintf(m->species[first + i].name, BG_NAME_LEN, "%s", tok[i]);
        m->species[first + i].molar_mass = m->rc.tracer_molar_mass;
        m->nspec = first + i + 1;
    }
    free(names);
    m->ntrans = m->nspec;
    /* diagnosed PM2.5 and PM10 (ug m-3 in the output): carried as the mass mixing ratio of a
     * notional 1 g mol-1 molecule, i.e. sum(q M) over the components */
    if (m->rc.full && species_find(&m->tab, "PSO4") >= 0) {
        m->i_pm25 = m->nspec;
        snprintf(m->species[m->nspec].name, BG_NAME_LEN, "PM25");
        m->species[m->nspec].molar_mass = 1.0;
        m->out_mass[m->nspec++] = 1;
        m->i_pm10 = m->nspec;
        snprintf(m->species[m->nspec].name, BG_NAME_LEN, "PM10");
        m->species[m->nspec].molar_mass = 1.0;
        m->out_mass[m->nspec++] = 1;
    }
    /* [tracers] emit.T = X: tracer T receives the inventory's species X (mass) */
    for (int i = 0; i < m->cfg.n; i++) {
        const CfgEntry *en = &m->cfg.e[i];
        if (strcmp(en->section, "tracers") || strncmp(en->key, "emit.", 5)) continue;
        int sp = species_index(m, en->key + 5);
        if (sp < first || sp >= m->ntrans) return cfg_fail(m, e, "tracers", en->key, "no tracer of that name", NULL);
        SpecExtra *ne = realloc(m->extra, (size_t)(m->nextra + 1) * sizeof *ne);
        if (!ne) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        m->extra = ne;
        m->extra[m->nextra++] = (SpecExtra){m->species[sp].name, en->value, 1.0};
    }
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
    BG_TRY(config_int(&m->cfg, "output", "deflate", &rc->deflate, e));
    if (rc->deflate < 0 || rc->deflate > 9)
        return cfg_fail(m, e, "output", "deflate", "must be a zlib level from 0 (uncompressed) to 9", NULL);
    BG_TRY(config_onoff(&m->cfg, "output", "diagnostics", &m->diag_on, e));
    if (m->diag_on && !m->rc.full)
        return cfg_fail(m, e, "output", "diagnostics", "emission and deposition fields need the chemical model ([processes] emissions, drydep or wetdep on)", NULL);
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
    model_resolve_path(m, config_get(&m->cfg, "run", "output_dir"), dir, sizeof dir);
    snprintf(rc->output_dir, sizeof rc->output_dir, "%s", dir);
    const char *rs = config_get(&m->cfg, "run", "restart");
    if (rs[0]) model_resolve_path(m, rs, rc->restart, sizeof rc->restart);
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
        model_resolve_path(m, tok[i], pat, sizeof pat);
        int r = glob(pat, i ? GLOB_APPEND : 0, NULL, &g); /* sorted: the grid is read from the first */
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

/* [init] file: values as DESIGN 2.2 gives them (a mixing ratio for gases and tracers: ppb, ppm,
 * mol mol-1, kg kg-1, ...; a mass concentration for aerosol species: ug m-3, ...; units read
 * with udunits2 as the boundary files', units.h), converted with the air density rho of the
 * start time, as init_state does */
static int init_from_file(Model *m, const char *path, const double *rho, BgErr *e)
{
    int nc, rc = BG_OK, found = 0;
    Units u;
    if (units_open(&u)) {
        units_close(&u);
        return bg_fail(e, BG_EFAIL, path, NULL, "cannot load the udunits2 unit database");
    }
    int st = nc_open(path, NC_NOWRITE, &nc);
    if (st != NC_NOERR) {
        units_close(&u);
        return bg_fail(e, BG_EINPUT, path, NULL, "cannot open: %s", nc_strerror(st));
    }
    const Grid *g = &m->grid;
    size_t plane = (size_t)g->nx * g->ny;
    double *buf = malloc(plane * g->nz * sizeof *buf);
    if (!buf) { nc_close(nc); units_close(&u); return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); }
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
        int kind, needs_mm;
        char why[300];
        const int mass = m->is_mass[sp];
        const double mm = m->state.spec[sp].molar_mass;
        if (units_species(&u, units, "", mm, &kind, &scale, &needs_mm, why, sizeof why)) {
            rc = bg_fail(e, BG_EINPUT, path, name, "%s", why);
            break;
        }
        if (mass && kind != 1) { rc = bg_fail(e, BG_EINPUT, path, name, "units '%s': an aerosol species is given in ug m-3", units); break; }
        if (!mass && kind != 0) { rc = bg_fail(e, BG_EINPUT, path, name, "units '%s': expected ppb (or ppm); ug m-3 is for aerosol species", units); break; }
        /* kg m-3 -> mol mol-1 = c / rho * M_air / M; the air density per cell below */
        if (mass) scale *= BG_M_AIR / mm;
        if ((st = nc_get_var_double(nc, var, buf)) != NC_NOERR) { rc = bg_fail(e, BG_EINPUT, path, name, "cannot read: %s", nc_strerror(st)); break; }
        double *q = state_species(&m->state, sp);
        for (size_t c = 0; c < plane * layers; c++) {
            if (!isfinite(buf[c]) || buf[c] < 0) { rc = bg_fail(e, BG_EINPUT, path, name, "invalid value %g at index %zu (NaN, Inf or negative)", buf[c], c); break; }
            q[c] = mass ? buf[c] * scale / rho[c] : buf[c] * scale;
        }
    }
    free(buf);
    nc_close(nc);
    units_close(&u);
    if (rc == BG_OK && !found) rc = bg_fail(e, BG_EINPUT, path, NULL, "holds no variable named after a species");
    return rc;
}

/* The city column of the cities CSV at path (check_csv has read it: it opens, and its header is
 * right), as consecutive NUL-terminated names ending with an empty one; NULL when it cannot be
 * read.  The caller frees it. */
static char *city_names(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *names = malloc(cap), line[1024], *fld[8];
    if (names && fgets(line, sizeof line, f))
        while (names && fgets(line, sizeof line, f)) {
            if (csv_split(line, fld, 8) < 1) continue;
            size_t n = strlen(fld[0]) + 1;
            if (len + n + 1 > cap) {
                char *g = realloc(names, cap *= 2);
                if (!g) free(names);
                names = g;
                if (!names) break;
            }
            memcpy(names + len, fld[0], n);
            len += n;
        }
    fclose(f);
    if (names) names[len] = 0;
    return names;
}

/* Every [region NAME] cities = A, B, ... names a city of the [cities] file (DESIGN 2.1: names that
 * match nothing are a configuration error); the forecast's region warnings would otherwise drop
 * the name, or the whole region, without a word. */
static int check_region_cities(Model *m, BgErr *e)
{
    const char *rn[256];
    int nreg = config_sections(&m->cfg, "region", rn, 256);
    const char *cf = config_get(&m->cfg, "cities", "file");
    char path[1024] = "", *names = NULL;
    if (cf && cf[0]) model_resolve_path(m, cf, path, sizeof path);
    int rc = BG_OK;
    for (int r = 0; r < nreg && rc == BG_OK; r++) {
        char sec[160], buf[1024], w[1100], *tok[64];
        snprintf(sec, sizeof sec, "region %s", rn[r]);
        const char *cl = config_get(&m->cfg, sec, "cities");
        if (!cl || !cl[0]) continue;
        where(m, sec, "cities", w, sizeof w);
        if (!path[0]) {
            rc = bg_fail(e, BG_ECONFIG, w, NULL, "[%s] cities: no [cities] file names the cities", sec);
            break;
        }
        if (!names && !(names = city_names(path))) {
            rc = bg_fail(e, BG_EINPUT, path, NULL, "cannot read ([cities] file)");
            break;
        }
        snprintf(buf, sizeof buf, "%s", cl);
        int nt = config_split(buf, tok, 64);
        for (int k = 0; k < nt && rc == BG_OK; k++) {
            const char *c = names;
            while (*c && strcmp(c, tok[k])) c += strlen(c) + 1;
            if (!*c) rc = bg_fail(e, BG_ECONFIG, w, NULL, "[%s] cities: '%s' is not a city of %s", sec, tok[k], path);
        }
    }
    free(names);
    return rc;
}

enum { STATION_SPECIES = 11 };

static int station_species(const Model *m, const char **names)
{
    static const char *const want[STATION_SPECIES] = {"PM25", "PM10", "SO2", "NO2", "CO", "O3", "PSO4", "PNO3",
                                                      "PNH4", "PBC", "POC"};
    int n = 0;
    for (size_t k = 0; k < sizeof want / sizeof *want; k++)
        for (int s = 0; s < m->state.nspec; s++)
            if (!strcmp(m->state.spec[s].name, want[k])) names[n++] = want[k];
    return n;
}

int model_check_outputs(Model *m, BgErr *e)
{
    struct stat sb;
    if (stat(m->rc.output_dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return bg_fail(e, BG_EFAIL, m->rc.output_dir, NULL, "cannot create directory: exists and is not a directory");
    StationSet *ss = NULL;
    BG_TRY(model_open_stations(m, &ss, e));
    if (ss) stations_close(ss);
    return BG_OK;
}

int model_open_stations(Model *m, StationSet **out, BgErr *e)
{
    *out = NULL;
    const char *stf = config_get(&m->cfg, "stations", "file");
    if (!m->rc.full || !stf || !stf[0]) return BG_OK;
    const char *names[STATION_SPECIES];
    int n = station_species(m, names);
    char path[1024];
    model_resolve_path(m, stf, path, sizeof path);
    *out = stations_open(path, &m->grid, names, n, m->rc.t_start + m->rc.spinup_s, m->rc.t_end, e);
    if (!*out) return e->code ? e->code : bg_fail(e, BG_EFAIL, path, NULL, "cannot open the station list");
    return BG_OK;
}

static int init_state(Model *m, BgErr *e)
{
    const Grid *g = &m->grid;
    const size_t plane = (size_t)g->nx * g->ny;
    const MetFields *f = model_met(m, m->rc.t_start, e);
    if (!f) return e->code;
    for (int sp = 0; sp < m->ntrans; sp++) {
        double *q = state_species(&m->state, sp);
        const ValueProfile *p = &m->init_prof[sp];
        for (int k = 0; k < g->nz; k++)
            for (size_t c = 0; c < plane; c++) {
                double z = 0.5 * (f->zf[k * plane + c] + f->zf[(k + 1) * plane + c]);
                double v = p->n ? profile_eval(p, z) : 0.0;
                /* aerosol values are ug m-3: mol mol-1 = c / rho * M_air / M */
                q[k * plane + c] = m->is_mass[sp] ? v * 1e-9 / f->rho[k * plane + c] * BG_M_AIR / m->state.spec[sp].molar_mass
                                                  : v * 1e-9;
            }
    }
    if (m->init_file[0]) BG_TRY(init_from_file(m, m->init_file, f->rho, e));
    m->state.time = m->rc.t_start;
    m->air_time = m->state.time;
    m->state.step = 0;
    return BG_OK;
}

/* [stations] file and [cities] file: the header of DESIGN 2.2 and one row per line. */
static int check_csv(Model *m, const char *section, const char *header, int ncol, BgErr *e)
{
    const char *v = config_get(&m->cfg, section, "file");
    if (!v || !v[0]) return BG_OK;
    char path[1024], line[1024];
    model_resolve_path(m, v, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open ([%s] file)", section);
    int rc = BG_OK, n = 0;
    if (!fgets(line, sizeof line, f) || strncmp(line, header, strlen(header)))
        rc = bg_fail(e, BG_EINPUT, path, "1", "header must be %s", header);
    while (rc == BG_OK && fgets(line, sizeof line, f)) {
        n++;
        if (line[0] == '\n' || line[0] == '\r') continue;
        int commas = 0;
        for (const char *p = line; *p; p++) commas += *p == ',';
        if (commas != ncol - 1) {
            char w[32];
            snprintf(w, sizeof w, "%d", n + 1);
            rc = bg_fail(e, BG_EINPUT, path, w, "expected %d columns (%s)", ncol, header);
        }
    }
    fclose(f);
    return rc;
}

/* [region NAME] sections and the control lines of every [scenario NAME] (all validated; the
 * one named by --scenario is kept), against the inventory's names. */
static int setup_controls(Model *m, BgErr *e)
{
    const Grid *g = &m->grid;
    const char *rn[256], *sn[256];
    int nreg = config_sections(&m->cfg, "region", rn, 256);
    int nsc = config_sections(&m->cfg, "scenario", sn, 256);
    if (nreg < 0 || nsc < 0) return bg_fail(e, BG_ECONFIG, m->cfg.path, NULL, "more than 256 regions or scenarios");
    m->regions = calloc((size_t)nreg + 1, sizeof *m->regions);
    if (!m->regions) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int r = 0; r < nreg; r++) {
        char sec[160], why[512], w[1100];
        snprintf(sec, sizeof sec, "region %s", rn[r]);
        static const char *const kinds[] = {"polygon", "circle", "mask"};
        const char *kind = NULL, *val = NULL;
        for (int k = 0; k < 3; k++) {
            const char *v = config_get(&m->cfg, sec, kinds[k]);
            if (v && v[0]) {
                if (kind) return bg_fail(e, BG_ECONFIG, m->cfg.path, NULL, "[%s]: give one of polygon, circle or mask", sec);
                kind = kinds[k];
                val = v;
            }
        }
        if (!kind) {
            /* a region used only for its cities (warnings) has no shape */
            continue;
        }
        char buf[1100];
        if (!strcmp(kind, "mask")) {
            char file[1024];
            const char *colon = strrchr(val, ':');
            snprintf(file, sizeof file, "%.*s", colon ? (int)(colon - val) : (int)strlen(val), val);
            char res[1024];
            model_resolve_path(m, file, res, sizeof res);
            snprintf(buf, sizeof buf, "%s%s", res, colon ? colon : "");
            val = buf;
        }
        if (region_parse(&m->regions[m->nreg], rn[r], kind, val, g, why, sizeof why)) {
            where(m, sec, kind, w, sizeof w);
            return bg_fail(e, BG_ECONFIG, w, NULL, "[%s] %s: %s", sec, kind, why);
        }
        m->nreg++;
    }
    const Inventory *inv = &m->src.inv;
    const char *const *sectors = (const char *const *)inv->sectors;
    const char *const *species = (const char *const *)inv->species;
    int found = !m->rc.scenario[0];
    for (int sc = 0; sc < nsc; sc++) {
        char sec[160];
        snprintf(sec, sizeof sec, "scenario %s", sn[sc]);
        ControlSet cs;
        if (controlset_init(&cs, inv->nsector, inv->nspec, m->regions, m->nreg, g->nx * g->ny))
            return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        for (const CfgEntry *en = config_next(&m->cfg, sec, "control", NULL); en;
             en = config_next(&m->cfg, sec, "control", en)) {
            Control c;
            char why[512], w[1100];
            if (control_parse(&c, en->value, sectors, inv->nsector, species, inv->nspec, m->regions,
                              m->nreg, why, sizeof why)) {
                controlset_free(&cs);
                config_where(&m->cfg, en, w, sizeof w);
                return bg_fail(e, BG_ECONFIG, w, NULL, "[%s] control = %s: %s", sec, en->value, why);
            }
            if (controlset_add(&cs, &c)) {
                controlset_free(&cs);
                return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
            }
        }
        if (m->rc.scenario[0] && !strcmp(sn[sc], m->rc.scenario)) {
            m->ctl = cs;
            m->has_ctl = 1;
            found = 1;
        } else {
            controlset_free(&cs);
        }
    }
    if (!found) return bg_fail(e, BG_ECONFIG, m->cfg.path, NULL, "--scenario %s: no [scenario %s] in the configuration", m->rc.scenario, m->rc.scenario);
    return BG_OK;
}

/* Emissions, deposition parameters and chemistry of the chemical model. */
static int setup_chemical_model(Model *m, const Model *lead, BgErr *e)
{
    const Grid *g = &m->grid;
    const size_t plane = (size_t)g->nx * g->ny;
    const int nt = m->ntrans;
    if (m->rc.emis_on) {
        /* the paths live in the Model: the Sources keep pointers to them */
        char *inv = m->inv_path, *prof = m->prof_path, *pts = m->pts_path;
        model_resolve_path(m, config_get(&m->cfg, "emissions", "inventory"), inv, sizeof m->inv_path);
        const char *pp = config_get(&m->cfg, "emissions", "profiles"), *pt = config_get(&m->cfg, "emissions", "points");
        prof[0] = pts[0] = 0;
        if (pp[0]) model_resolve_path(m, pp, prof, sizeof m->prof_path);
        if (pt[0]) model_resolve_path(m, pt, pts, sizeof m->pts_path);
        double tz;
        BG_TRY(config_double(&m->cfg, "emissions", "timezone_offset_h", &tz, e));
        /* civil time zones span UTC-12 to UTC+14 */
        if (!(fabs(tz) <= 14.0))
            return cfg_fail(m, e, "emissions", "timezone_offset_h", "must be within -14 to 14 h of UTC", NULL);
        m->model_names = malloc((size_t)nt * sizeof *m->model_names);
        m->model_mm = malloc((size_t)nt * sizeof *m->model_mm);
        if (!m->model_names || !m->model_mm) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        for (int s = 0; s < nt; s++) {
            m->model_names[s] = m->state.spec[s].name;
            m->model_mm[s] = m->state.spec[s].molar_mass * 1e-3;
        }
        SourcesSetup su = {.grid = g, .inventory = inv, .profiles = prof, .points = pts,
                           .timezone_offset_h = tz, .model = m->model_names,
                           .molar_mass_kg_mol = m->model_mm, .nmodel = nt, .extra = m->extra,
                           .nextra = m->nextra, .t_start = m->rc.t_start, .t_end = m->rc.t_end};
        m->has_src = 1; /* sources_free releases a partly opened set too */
        if (!(lead && lead->has_src && sources_borrow(&m->src, &su, &lead->src))) BG_TRY(sources_open(&m->src, &su, e));
        BG_TRY(setup_controls(m, e));
        BG_TRY(sources_start(&m->src, m->has_ctl ? &m->ctl : NULL, e));
        m->sflux = calloc((size_t)nt * plane, sizeof *m->sflux);
        m->emis_kg = calloc((size_t)nt, sizeof *m->emis_kg);
        if (!m->sflux || !m->emis_kg) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    } else if (m->rc.scenario[0]) {
        return bg_fail(e, BG_ECONFIG, m->cfg.path, NULL, "--scenario %s: scenarios act on emissions, but [processes] emissions = off", m->rc.scenario);
    }
    /* deposition parameters per transported species (tracers do not deposit) */
    m->dd_henry = calloc((size_t)nt, sizeof(double));
    m->dd_f0 = calloc((size_t)nt, sizeof(double));
    m->dd_diam = calloc((size_t)nt, sizeof(double));
    m->wet = calloc((size_t)nt, sizeof *m->wet);
    m->wet_on = calloc((size_t)nt, sizeof *m->wet_on);
    m->vdep = calloc((size_t)nt * plane, sizeof *m->vdep);
    m->removed = calloc((size_t)nt, sizeof *m->removed);
    m->chg = calloc((size_t)m->state.nspec, sizeof *m->chg);
    /* per thread: a column's T, qc, qr, qs and rates; then per row sums [ny][nt] */
    m->wet_rate = calloc((size_t)omp_get_max_threads() * process_wetdep_per_thread(nt, g->nz) +
                             (size_t)g->ny * par_nchunks(g->nx) * (nt > 0 ? nt : 1),
                         sizeof *m->wet_rate);
    if (!m->dd_henry || !m->dd_f0 || !m->dd_diam || !m->wet || !m->wet_on || !m->vdep || !m->removed || !m->chg || !m->wet_rate)
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int t = 0; t < m->tab.n; t++) {
        const Species *sp = &m->tab.s[t];
        int s = m->tab_map[t];
        m->dd_henry[s] = drydep_effective_henry(sp->name, sp->henry_m_atm);
        m->dd_f0[s] = sp->f0;
        m->dd_diam[s] = sp->phase == SPECIES_AEROSOL ? (sp->diameter_um > 0 ? sp->diameter_um : 0.5) : 0.0;
        m->wet_on[s] = wetdep_species_preset(sp->name, sp->phase == SPECIES_AEROSOL, sp->diameter_um, &m->wet[s]);
    }
    if (m->rc.chem_on || m->rc.aero_on) {
        BG_TRY(chem_mech_init(&m->mech, &m->tab, e));
        BG_TRY(chem_configure(&m->mech, &m->cfg, e));
        m->chem = chemproc_create(&m->mech, &m->tab, m->tab_map, g, m->rc.chem_on, m->rc.aero_on, e);
        if (!m->chem) return e->code ? e->code : bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    }
    return BG_OK;
}

/* [boundary] file: time-varying inflow values from a global model (input/bcfile.h) */
static int open_boundary_file(Model *m, BgErr *e)
{
    const char *bf = config_get(&m->cfg, "boundary", "file");
    if (!bf[0]) return BG_OK;
    char path[1024];
    model_resolve_path(m, bf, path, sizeof path);
    const int ns = m->ntrans;
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

const MetFields *model_met(Model *m, double t, BgErr *e) { return model_met_mask(m, t, MET_ALL | MET_WHOLE, e); }

/* fields every rank needs on the whole grid: the sub-step counts and the air mass after the first
 * sweep are computed for every line (advect.c: line_fracs, mass_after) */
#define MET_LINE_FIELDS (MET_AIRM | MET_FX | MET_FY)

const MetFields *model_met_mask(Model *m, double t, unsigned mask, BgErr *e)
{
    if (m->met_from) return model_met_mask(m->met_from, t, mask, e);
    MetCache *c = &m->cache;
    const int part = c->restricted && !(mask & MET_WHOLE);
    mask &= MET_ALL;
    int slot = -1;
    for (int i = 0; i < MET_CACHE; i++)
        if (c->used[i] && c->t[i] == t) slot = i;
    if (slot < 0) {
        slot = 0;
        for (int i = 1; i < MET_CACHE; i++)
            if (c->used[i] < c->used[slot]) slot = i;
        c->have[slot] = 0;
        c->have_rows[slot] = 0;
    }
    unsigned whole = (part ? mask & MET_LINE_FIELDS : mask) & ~c->have[slot];
    unsigned rows = part ? mask & ~MET_LINE_FIELDS & ~(c->have[slot] | c->have_rows[slot]) : 0;
    if (whole || rows) {
        double w0 = omp_get_wtime();
        int rc = whole ? met_fields_at_rows(&m->met, t, &c->f[slot], whole, NULL, -1, NULL, 0, e) : BG_OK;
        if (rc == BG_OK && rows)
            rc = met_fields_at_rows(&m->met, t, &c->f[slot], rows, c->runs, c->nruns, c->cells, c->ncells, e);
        m->met_seconds += omp_get_wtime() - w0;
        if (rc != BG_OK) {
            c->used[slot] = 0;
            c->have[slot] = 0;
            c->have_rows[slot] = 0;
            return NULL;
        }
        c->t[slot] = t;
        c->have[slot] |= whole;
        c->have_rows[slot] |= rows;
    }
    c->used[slot] = ++c->clock;
    return &c->f[slot];
}

void model_met_rows(Model *m, int j0, int j1)
{
    while (m->met_from) m = m->met_from;
    MetCache *c = &m->cache;
    for (int i = 0; i < MET_CACHE; i++) c->have_rows[i] = 0; /* other rows than before */
    c->restricted = j0 >= 0 && j1 > j0;
    c->nruns = c->restricted;
    c->ncells = 0;
    c->runs[0] = j0;
    c->runs[1] = j1;
}

void model_met_add_column(Model *m, int j, int i)
{
    while (m->met_from) m = m->met_from;
    MetCache *c = &m->cache;
    if (!c->restricted || j < 0 || i < 0) return;
    if (j >= c->runs[0] && j < c->runs[1]) return; /* on the block's rows */
    const int cell = j * m->grid.nx + i;
    for (int q = 0; q < c->ncells; q++)
        if (c->cells[q] == cell) return;
    if (c->ncells == MET_MAX_CELLS) { /* too many: the whole grid */
        c->restricted = 0;
        return;
    }
    for (int q = 0; q < MET_CACHE; q++) c->have_rows[q] = 0;
    c->cells[c->ncells++] = cell;
}

/* lead's meteorology serves m: the same files in the same order, run window, grid and Kz floor
 * (met_open's validation and the fields it derives depend on nothing else) */
static int same_met(const Model *m, const Model *lead)
{
    const Grid *a = &m->grid, *b = &lead->grid;
    if (lead->met_borrowed || !lead->met.nrec || m->rc.nmet != lead->rc.nmet || m->rc.t_start != lead->rc.t_start ||
        m->rc.t_end != lead->rc.t_end || m->rc.kz_min != lead->rc.kz_min || a->nx != b->nx || a->ny != b->ny ||
        a->nz != b->nz || a->dx != b->dx || a->dy != b->dy)
        return 0;
    for (int i = 0; i < m->rc.nmet; i++)
        if (strcmp(m->rc.met_files[i], lead->rc.met_files[i])) return 0;
    return 1;
}

int model_setup(Model *m, const char *config_path, char *const *overrides, int noverrides, int resume,
                const char *scenario, BgErr *e)
{
    return model_setup_member(m, NULL, config_path, overrides, noverrides, resume, scenario, e);
}

int model_setup_member(Model *m, Model *lead, const char *config_path, char *const *overrides, int noverrides,
                       int resume, const char *scenario, BgErr *e)
{
    memset(m, 0, sizeof *m);
    m->resume = resume;
    if (scenario) snprintf(m->rc.scenario, sizeof m->rc.scenario, "%s", scenario);
    BG_TRY(config_load(&m->cfg, config_path, overrides, noverrides, e));
    config_hash(&m->cfg, m->config_hash);
    if (m->rc.scenario[0]) { /* a scenario member is another configuration for restarts */
        unsigned long long h = strtoull(m->config_hash, NULL, 16);
        for (const char *p = m->rc.scenario; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        snprintf(m->config_hash, sizeof m->config_hash, "%016llx", h);
    }
    m->config_text = config_effective(&m->cfg);
    if (!m->config_text) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    BG_TRY(parse_times(m, e));
    BG_TRY(parse_processes(m, e));
    BG_TRY(parse_species(m, e));
    BG_TRY(parse_family(m, "init", &m->init_prof, e));
    BG_TRY(parse_family(m, "boundary", &m->bc_prof, e));
    BG_TRY(parse_output(m, e));
    const char *initf = config_get(&m->cfg, "init", "file");
    if (initf[0]) model_resolve_path(m, initf, m->init_file, sizeof m->init_file);
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
    BG_TRY(check_csv(m, "stations", "id,name,city,lon,lat", 5, e));
    BG_TRY(check_csv(m, "cities", "city,lon,lat,population", 4, e));
    BG_TRY(check_region_cities(m, e));
    BG_TRY(glob_met(m, e));
    BG_TRY(met_check_variables(m->rc.met_files[0], e));
    BG_TRY(grid_from_wrf(&m->grid, m->rc.met_files[0], e));
    if (lead && same_met(m, lead)) {
        /* validated by lead's set-up; read and interpolated by lead (model_met) */
        m->met_from = lead;
        m->met_borrowed = 1;
    } else {
        BG_TRY(met_open(&m->met, &m->grid, m->rc.met_files, m->rc.nmet, m->rc.t_start, m->rc.t_end,
                        m->rc.kz_min, e));
        for (int i = 0; i < MET_CACHE; i++)
            if (met_fields_alloc(&m->cache.f[i], &m->grid)) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    }
    const Grid *g = &m->grid;
    if (state_alloc(&m->state, g->nx, g->ny, g->nz, m->nspec))
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory for the state");
    memcpy(m->state.spec, m->species, (size_t)m->nspec * sizeof *m->species);
    BG_TRY(init_state(m, e));
    BG_TRY(open_boundary_file(m, e));
    if (m->rc.full) BG_TRY(setup_chemical_model(m, lead, e));
    /* the gas chemistry's carried step sizes are the member's own model state (0: none yet) */
    if (m->rc.full && m->rc.chem_on && m->chem) {
        m->state.chem_h = calloc((size_t)g->nx * g->ny * g->nz, sizeof *m->state.chem_h);
        if (!m->state.chem_h) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory for the state");
    }
    if (!m->rc.full && m->rc.scenario[0])
        return bg_fail(e, BG_ECONFIG, m->cfg.path, NULL, "--scenario %s: scenarios act on emissions, but [processes] emissions = off", m->rc.scenario);
    m->t_cont = m->rc.t_start;
    if (m->resume) {
        BgErr none = {0};
        char path[1024];
        /* a finished run wrote budget.csv last, after its final checkpoint: without it, a kill
         * came between the two and the final checkpoint's outputs may be unfinished, so the
         * run resumes from the checkpoint before (a finished run is reported and left alone) */
        char bpath[1100];
        struct stat bst;
        snprintf(bpath, sizeof bpath, "%s/budget.csv", m->rc.output_dir);
        double before = stat(bpath, &bst) == 0 ? INFINITY : m->rc.t_end - 1.0;
        if (restart_find_newest_before(m->rc.output_dir, before, path, sizeof path, &none) == BG_OK)
            snprintf(m->rc.restart, sizeof m->rc.restart, "%s", path);
    }
    if (m->rc.restart[0]) {
        /* an input like the others: `bogda check` and a forecast's hot start name it before they
         * run (its grid, species and configuration are checked when the run reads it) */
        int nc, st = nc_open(m->rc.restart, NC_NOWRITE, &nc);
        if (st != NC_NOERR) return bg_fail(e, BG_EINPUT, m->rc.restart, NULL, "cannot open restart: %s", nc_strerror(st));
        nc_close(nc);
    }
    return BG_OK;
}
