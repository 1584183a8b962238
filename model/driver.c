/* The time loop and the operator-splitting sequence.
 *
 * Strang splitting around the (future) chemistry, symmetric in time (Strang 1968; as CMAQ's
 * sciproc and the DESIGN 3 recommendation): transport over dt/2 (advection x-y-z, then implicit
 * vertical diffusion with emissions and dry deposition as its lower boundary flux), column
 * processes over dt, transport over dt/2 in the reverse order.  The x/y order of the horizontal
 * sweeps alternates between the two halves, which cancels the leading splitting error.
 * Meteorology: advection uses the face mass fluxes at the midpoint of its interval and moves the
 * air mass from the met's value at the interval start to its value at the end; diffusion uses the
 * met at the time the transport half step ends.  [run] merge_advection: the two advection halves
 * that meet at a sync instant are one call (below, "merged advection halves"). */
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <netcdf.h>
#include <unistd.h>

#include "model.h"
#include "processes.h"
#include "restart.h"
#include "timeutil.h"

#ifndef BOGDA_VERSION
#define BOGDA_VERSION "0.1.0"
#endif

/* The one piece of global state: set by SIGTERM/SIGINT, read by the loop (async-signal-safe). */
static volatile sig_atomic_t stop_signal = 0;
static void on_signal(int sig) { stop_signal = sig; }

/* ------------------------------------------------------------------ processes */

static void fill_boundary(Model *m, const MetFields *f)
{
    const Grid *g = &m->grid;
    const int nx = g->nx, ny = g->ny, nz = g->nz, ns = m->ntrans;
    const size_t plane = (size_t)nx * ny;
#define ZC(k, c) (0.5 * (f->zf[(size_t)(k)*plane + (c)] + f->zf[(size_t)((k) + 1) * plane + (c)]))
    /* ppb, or ug m-3 for aerosol (mol mol-1 = c / rho * M_air / M) */
#define VAL(s, k, c) (m->is_mass[s] ? 1e-9 * profile_eval(p, ZC(k, c)) / f->rho[(size_t)(k)*plane + (c)] * BG_M_AIR / m->state.spec[s].molar_mass \
                                    : 1e-9 * profile_eval(p, ZC(k, c)))
    /* every species fills its own slices (the top plane is most of the work: 5 ms per call on
     * the bench grid when serial) */
#pragma omp parallel for schedule(static)
    for (int s = 0; s < ns; s++) {
        const ValueProfile *p = &m->bc_prof[s];
        for (int k = 0; k < nz; k++) {
            for (int j = 0; j < ny; j++) {
                m->bc_west[((size_t)s * nz + k) * ny + j] = VAL(s, k, grid_idx2(g, j, 0));
                m->bc_east[((size_t)s * nz + k) * ny + j] = VAL(s, k, grid_idx2(g, j, nx - 1));
            }
            for (int i = 0; i < nx; i++) {
                m->bc_south[((size_t)s * nz + k) * nx + i] = VAL(s, k, grid_idx2(g, 0, i));
                m->bc_north[((size_t)s * nz + k) * nx + i] = VAL(s, k, grid_idx2(g, ny - 1, i));
            }
        }
        for (size_t c = 0; c < plane; c++) m->bc_top[(size_t)s * plane + c] = VAL(s, nz - 1, c);
    }
#undef VAL
#undef ZC
}

/* ------------------------------------------------------------------ the member group
 *
 * A group advances K members (a scenario batch's baseline and scenarios; a single run is a group
 * of one) in lockstep.  They share the meteorology (read and interpolated once, by the leader),
 * the advection (one call over the K * ntrans species with one set of face fluxes, Courant
 * numbers and sub-step counts) and the vertical diffusion (one conductance computation and one
 * factorisation of the deposition-free matrix per row for every species of every member).
 * Emissions, chemistry, wet deposition, budgets and outputs are per member.  Transport treats
 * each species field independently, so a member of a group is bitwise identical to its run
 * alone. */
typedef struct Group {
    Model **m;
    int k, ns, nvar;                     /* members, species per member, k * ns */
    int *alive;                          /* 0 once a member failed; its error in err[] */
    int *dd_copy;                        /* member i takes the leader's dry-deposition velocities */
    ChemShare *chem_share;               /* the members' met-only chemistry quantities (NULL: none) */
    BgErr *err;
    double **q;                          /* [nvar] the members' species fields */
    const double **sflux, **vdep;        /* [nvar] rebuilt per call */
    double **depf;
    double *bc_west, *bc_east, *bc_south, *bc_north, *bc_top; /* [nvar][...] */
    double *tin, *tout, *removed;        /* [nvar] */
    AdvectWork *adv;
    VdiffWork *vdiff;
    ParDecomp dec;                       /* this rank's block (all of the grid unless distributed) */
    double **gfields, **gacc;            /* what rank 0 gathers: the states, the output sums */
    double **ghc;                        /* the members' State.chem_h, gathered for checkpoints */
    int nghc;
    int ngather, nacc[3];                /* species fields; output sums: [0] nz layers, [1] surface, [2] flux diagnostics */
    int want_surface;                    /* a member samples stations: layer 0 every step */
    int x_first;                         /* the next advection sweeps x before y */
    int pending;                         /* the last step's reverse advection half is deferred */
} Group;

static int group_advection(Group *gr, double t, double dt, BgErr *e)
{
    Model *m0 = gr->m[0];
    /* only what advection reads: the air mass at both ends, the face fluxes and what the
     * boundary values need at the midpoint (which at the quarter-step times is all it needs);
     * the boundary values read every row (west, east, top), so the midpoint's fields are whole */
    const MetFields *f0 = model_met_mask(m0, t, MET_AIRM, e);
    if (!f0) return e->code;
    const MetFields *f1 = model_met_mask(m0, t + dt, MET_AIRM, e);
    if (!f1) return e->code;
    const MetFields *fm = model_met_mask(m0, t + 0.5 * dt, MET_FX | MET_FY | MET_RHO | MET_ZF | MET_P | MET_WHOLE, e);
    if (!fm) return e->code;
    /* each member fills its slice of the group's boundary arrays */
    for (int i = 0; i < gr->k; i++) {
        Model *m = gr->m[i];
        fill_boundary(m, fm);
        if (m->has_bcf)
            BG_TRY(bcfile_fill(&m->bcf, fm, t + 0.5 * dt, m->bc_west, m->bc_east, m->bc_south,
                               m->bc_north, m->bc_top, e));
    }
    AdvectBC bc = {gr->bc_west, gr->bc_east, gr->bc_south, gr->bc_north, gr->bc_top};
    memset(gr->tin, 0, (size_t)gr->nvar * sizeof *gr->tin);
    memset(gr->tout, 0, (size_t)gr->nvar * sizeof *gr->tout);
    int maxsub = 1;
    BG_TRY(advect_3d(gr->adv, gr->q, f0->airm, f1->airm, fm->fx, fm->fy, dt, gr->x_first, &bc,
                     gr->tin, gr->tout, &maxsub, e));
    for (int i = 0; i < gr->k; i++) {
        Model *m = gr->m[i];
        if (maxsub > m->max_sub) m->max_sub = maxsub;
        for (int s = 0; s < gr->ns; s++) {
            budget_add_airq(&m->budget, &m->state, BUD_INFLOW, s, m->tally_in[s]);
            budget_add_airq(&m->budget, &m->state, BUD_OUTFLOW, s, m->tally_out[s]);
        }
    }
    return BG_OK;
}

static int group_diffusion(Group *gr, double t, double dt, BgErr *e)
{
    Model *m0 = gr->m[0];
    /* the met of the state's air mass: the end of the last advection */
    const double tm = m0->air_time;
    const MetFields *f = model_met_mask(m0, tm, MET_COLUMN, e); /* no face winds */
    if (!f) return e->code;
    const int ns = gr->ns, dep = m0->rc.drydep_on;
    const size_t plane = (size_t)m0->grid.nx * m0->grid.ny;
    int anydiag = 0;
    for (int i = 0; i < gr->k; i++) {
        Model *m = gr->m[i];
        /* velocities once per sync step, from the met at its midpoint; they do not depend on
         * the concentrations, so a member with the leader's inputs takes a copy of its
         * velocities (the same bits) instead of computing them again (~37 ms per member and
         * sync step on one core for the bench grid: bench/README.md) */
        if (dep && t == m->state.time) {
            if (gr->dd_copy[i] && t == m0->state.time)
                memcpy(m->vdep, m0->vdep, (size_t)m->ntrans * plane * sizeof *m->vdep);
            else
                process_drydep_velocities(m, f, tm);
        }
        anydiag |= m->diag_on;
        for (int s = 0; s < ns; s++) {
            int v = i * ns + s;
            gr->sflux[v] = m->rc.emis_on ? m->sflux + (size_t)s * plane : NULL;
            gr->vdep[v] = dep ? m->vdep + (size_t)s * plane : NULL;
            gr->depf[v] = m->diag_on ? m->dg + (size_t)(ns + s) * plane : NULL;
        }
    }
    memset(gr->removed, 0, (size_t)gr->nvar * sizeof *gr->removed);
    vdiff_3d(gr->vdiff, &m0->grid, f, dt, gr->nvar, gr->q, gr->sflux, dep ? gr->vdep : NULL,
             dep ? gr->removed : NULL, anydiag ? gr->depf : NULL);
    for (int i = 0; dep && i < gr->k; i++) {
        Model *m = gr->m[i];
        for (int s = 0; s < ns; s++) {
            m->removed[s] = gr->removed[i * ns + s];
            budget_add_airq(&m->budget, &m->state, BUD_DRYDEP, s, m->removed[s]);
        }
    }
    return BG_OK;
}

/* Timed like a process: the met interpolation (the leader's) is timed separately. */
static int group_shared(Group *gr, int (*fn)(Group *, double, double, BgErr *), int which,
                        double t, double dt, BgErr *e)
{
    Model *m0 = gr->m[0];
    Process *p0 = which ? &m0->diffusion : &m0->advection;
    if (!p0->on) return BG_OK;
    double w0 = omp_get_wtime(), met0 = m0->met_seconds;
    int rc = fn(gr, t, dt, e);
    double sec = omp_get_wtime() - w0 - (m0->met_seconds - met0);
    for (int i = 0; i < gr->k; i++) {
        Process *p = which ? &gr->m[i]->diffusion : &gr->m[i]->advection;
        p->seconds += sec / gr->k; /* each member carries its share */
        p->calls++;
    }
    return rc;
}

static int run_process(Model *m, Process *p, double t, double dt, BgErr *e)
{
    if (!p->on) return BG_OK;
    Model *lead = m->met_from ? m->met_from : m;
    double t0 = omp_get_wtime(), met0 = lead->met_seconds;
    int rc = p->step(m, t, dt, e);
    /* met interpolation is timed separately (model_met) */
    p->seconds += omp_get_wtime() - t0 - (lead->met_seconds - met0);
    p->calls++;
    return rc;
}

/* A member process for every member still running; a member that fails drops out of the group
 * (its fields keep being transported, unused, so that the others are unaffected). */
static void group_members(Group *gr, size_t off, double t, double dt)
{
    for (int i = 0; i < gr->k; i++) {
        if (!gr->alive[i]) continue;
        Model *m = gr->m[i];
        Process *p = (Process *)((char *)m + off);
        if (run_process(m, p, t, dt, &gr->err[i]) != BG_OK) gr->alive[i] = 0;
    }
}

static void set_air_time(Group *gr, double t)
{
    for (int i = 0; i < gr->k; i++) gr->m[i]->air_time = t;
}

/* Transport over [ta, ta + h]: advection (x before y; already done when it was merged with the
 * last step's), then emissions and diffusion; the column processes after it see the met of ta + h. */
static int transport_forward(Group *gr, double ta, double h, int adv_done, BgErr *e)
{
    if (!adv_done) {
        gr->x_first = 1;
        BG_TRY(group_shared(gr, group_advection, 0, ta, h, e));
        set_air_time(gr, ta + h);
    }
    group_members(gr, offsetof(Model, emissions), ta, h);
    return group_shared(gr, group_diffusion, 1, ta, h, e);
}

/* The same in the reverse order: emissions and diffusion, then advection (y before x), unless
 * the advection is deferred to be merged with the next step's. */
static int transport_reverse(Group *gr, double ta, double h, int defer, BgErr *e)
{
    group_members(gr, offsetof(Model, emissions), ta, h);
    BG_TRY(group_shared(gr, group_diffusion, 1, ta, h, e));
    if (defer) {
        gr->pending = 1;
        return BG_OK;
    }
    gr->x_first = 0;
    return group_shared(gr, group_advection, 0, ta, h, e);
}

static void column_processes(Group *gr, double t, double dt)
{
    /* the first member still running computes the step's met-only chemistry into the share */
    chemproc_share_begin(gr->chem_share);
    group_members(gr, offsetof(Model, chemistry), t, dt);
    group_members(gr, offsetof(Model, wetdep), t, dt);
}

/* One synchronisation step of every member from state.time to state.time + dt.
 * [run] splitting = alternating (docs/transport.md, "Operator splitting"): transport and the
 * column processes each over the whole step, transport first on even steps (the step's index
 * counted from the epoch, so that a restart keeps the sequence) and last on odd ones, x before y
 * in the first case and after it in the second: a pair of steps is then a Strang step of 2 dt
 * around the column processes, with one transport call per sync step instead of two. */
static int group_step(Group *gr, double dt, int adv_done, int defer, BgErr *e)
{
    const double t = gr->m[0]->state.time, h = 0.5 * dt;
    /* air_time: where the column processes take the met (the state's air mass is the met's there
     * once advection has moved it), as if the advection ran when it is off */
    if (!adv_done) set_air_time(gr, t);
    if (gr->m[0]->rc.splitting == SPLIT_ALTERNATING) {
        const int transport_first = (llround(t / dt) & 1) == 0;
        if (transport_first) BG_TRY(transport_forward(gr, t, dt, 0, e));
        column_processes(gr, t, dt);
        if (!transport_first) BG_TRY(transport_reverse(gr, t, dt, 0, e));
    } else {
        /* Strang: the column processes see the met of the step's middle */
        BG_TRY(transport_forward(gr, t, h, adv_done, e));
        column_processes(gr, t, dt);
        BG_TRY(transport_reverse(gr, t + h, h, defer, e));
    }
    set_air_time(gr, gr->pending ? t + h : t + dt);
    for (int i = 0; i < gr->k; i++) {
        Model *m = gr->m[i];
        m->state.time = t + dt;
        m->state.step++;
        if (gr->alive[i]) process_diagnose_pm(m);
    }
    return BG_OK;
}

/* ------------------------------------------------------------------ diagnostics */

static const char *const diag_kind[3] = {"EMIS", "DRYDEP", "WETDEP"};

/* [output] diagnostics: a one-layer State of flux fields written by a second Output */
static int diag_setup(Model *m, BgErr *e)
{
    const Grid *g = &m->grid;
    const int nt = m->ntrans, nf = 3 * nt;
    const size_t plane = (size_t)g->nx * g->ny;
    if (state_alloc(&m->dstate, g->nx, g->ny, 1, nf)) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    m->dg = calloc((size_t)nf * plane, sizeof *m->dg);
    m->dnames = calloc((size_t)nf, sizeof *m->dnames);
    m->dunits = calloc((size_t)nf, sizeof *m->dunits);
    m->dlong = calloc((size_t)nf, sizeof *m->dlong);
    m->dstd = calloc((size_t)nf, sizeof *m->dstd);
    m->dspec = calloc((size_t)nf, sizeof *m->dspec);
    if (!m->dg || !m->dnames || !m->dunits || !m->dlong || !m->dstd || !m->dspec) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    static const char *const what[3] = {"emission flux", "dry deposition flux", "wet deposition flux"};
    for (int k = 0; k < 3; k++)
        for (int s = 0; s < nt; s++) {
            int f = k * nt + s;
            if (snprintf(m->dstate.spec[f].name, BG_NAME_LEN, "%s_%s", diag_kind[k], m->state.spec[s].name) >= BG_NAME_LEN)
                return bg_fail(e, BG_ECONFIG, m->cfg.path, m->state.spec[s].name, "species name too long for its diagnostic fields");
            m->dstate.spec[f].molar_mass = m->state.spec[s].molar_mass;
            snprintf(m->dnames[f], sizeof m->dnames[f], "%s of %s", what[k], m->state.spec[s].name);
            m->dlong[f] = m->dnames[f];
            m->dunits[f] = "kg m-2 s-1";
            m->dspec[f] = f;
            /* the CF names validation/standards/README.md (section 5.1) lists for these fluxes;
             * the others have none there, and an unverified name is worse than none */
            if (k == 0 && !strcmp(m->state.spec[s].name, "SO2"))
                m->dstd[f] = "tendency_of_atmosphere_mass_content_of_sulfur_dioxide_due_to_emission";
            if (k == 0 && !strcmp(m->state.spec[s].name, "NH3"))
                m->dstd[f] = "tendency_of_atmosphere_mass_content_of_ammonia_due_to_emission";
        }
    OutputConfig oc = {
        .dir = m->rc.output_dir, .nout = nf, .species = m->dspec, .interval_s = m->rc.out_dt,
        .all_layers = 0, .average = 1, .config_text = m->config_text, .deflate_level = m->rc.deflate,
        .title = "Bogda emission and deposition fluxes", .version = BOGDA_VERSION,
        .config_hash = m->config_hash, .prefix = "diag", .units = m->dunits, .long_names = m->dlong,
        .standard_names = m->dstd,
    };
    return output_init(&m->dout, &m->grid, &oc, m->rc.t_start + m->rc.spinup_s, e);
}

/* Turns the step's tallies (kg of species per column) into fluxes (kg m-2 s-1) at the step's end. */
static void diag_step(Model *m, double dt)
{
    const Grid *g = &m->grid;
    const int nt = m->ntrans;
    const size_t plane = (size_t)g->nx * g->ny;
    for (int k = 0; k < 3; k++)
        for (int s = 0; s < nt; s++) {
            double *src = m->dg + ((size_t)k * nt + s) * plane, *dst = state_species(&m->dstate, k * nt + s);
            /* drydep and wetdep are tallied as kg of air * mixing ratio */
            double conv = k == 0 ? 1.0 : m->state.spec[s].molar_mass / BG_M_AIR;
            for (size_t c = 0; c < plane; c++) {
                dst[c] = src[c] * conv / (g->area[c] * dt);
                src[c] = 0.0;
            }
        }
    m->dstate.time = m->state.time;
}

/* ------------------------------------------------------------------ checkpoints */

static RestartExtra restart_extra(Model *m)
{
    RestartExtra x;
    memset(&x, 0, sizeof x);
    x.out_acc = m->out.acc;
    x.n_out_acc = m->out.nacc;
    x.out_nsamples = m->out.nsamples;
    x.out_acc_start = m->out.acc_start;
    x.out_last_sample = m->out.last_sample;
    x.budget = m->budget.acc;
    x.n_budget = (size_t)m->budget.nspec * BUD_NTERMS;
    x.narrays = 0;
    x.arrays = m->rarr;
    if (m->stations) m->rarr[x.narrays++] = m->st_arr;
    if (m->diag_on) {
        m->dmeta[0] = (double)m->dout.nsamples;
        m->dmeta[1] = m->dout.acc_start;
        m->dmeta[2] = m->dout.last_sample;
        m->rarr[x.narrays++] = (RestartArray){.name = "diag_acc", .data = m->dout.acc, .n = m->dout.nacc};
        m->rarr[x.narrays++] = (RestartArray){.name = "diag_meta", .data = m->dmeta, .n = 3};
    }
    /* optional: a restart written before the chemistry carried its step sizes has no chem_h;
     * the cells then start at the first trial step, as on a fresh start (chem_h stays 0) */
    if (m->state.chem_h)
        m->rarr[x.narrays++] = (RestartArray){.name = "chem_h", .data = m->state.chem_h, .n = state_ncell(&m->state), .optional = 1, .nonneg = 1};
    /* optional: written before advection halves were merged, a restart never has one pending */
    m->rarr[x.narrays++] = (RestartArray){.name = "transport_pending", .data = &m->adv_pending, .n = 1, .optional = 1};
    return x;
}

static int write_checkpoint(Model *m, BgErr *e)
{
    char path[1100], ts[32];
    restart_path(m->rc.output_dir, m->state.time, path, sizeof path);
    RestartExtra x = restart_extra(m);
    BG_TRY(restart_write(path, &m->grid, &m->state, &x, m->config_hash, m->config_text, e));
    time_format(m->state.time, ts, sizeof ts);
    fprintf(m->log, "checkpoint %s -> %s\n", ts, path);
    fflush(m->log);
    return BG_OK;
}

static int mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return (mkdir(tmp, 0777) && errno != EEXIST) ? -1 : 0;
}

/* ------------------------------------------------------------------ the run */

static int on_grid(double t, double t0, double interval)
{
    if (interval <= 0) return 0;
    double r = fmod(t - t0, interval);
    return fabs(r) < 1e-6 || fabs(r - interval) < 1e-6;
}

static int prepare(Model *m, BgErr *e)
{
    const Grid *g = &m->grid;
    /* advection and diffusion are the group's (group_advection, group_diffusion) */
    m->advection = (Process){"advection", m->rc.adv_on, NULL, 0, 0};
    m->diffusion = (Process){"diffusion", m->rc.diff_on, NULL, 0, 0};
    m->emissions = (Process){"emissions", m->rc.emis_on, process_emissions, 0, 0};
    m->chemistry = (Process){"chemistry", m->chem != NULL, process_chemistry, 0, 0};
    m->wetdep = (Process){"wetdep", m->rc.wetdep_on, process_wetdep, 0, 0};
    /* aerosol and the diagnosed totals are written in ug m-3 at ambient conditions */
    m->rho_out = malloc((size_t)g->nx * g->ny * g->nz * sizeof *m->rho_out);
    m->out_asmass = calloc((size_t)m->rc.nout + 1, sizeof *m->out_asmass);
    if (!m->rho_out || !m->out_asmass) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int i = 0; i < m->rc.nout; i++) m->out_asmass[i] = m->out_mass[m->rc.out_species[i]];
    OutputConfig oc = {
        .dir = m->rc.output_dir, .nout = m->rc.nout, .species = m->rc.out_species,
        .interval_s = m->rc.out_dt, .all_layers = m->rc.all_layers, .average = m->rc.average,
        .config_text = m->config_text, .title = m->rc.full ? "Bogda chemical transport" : "Bogda tracer transport",
        .version = BOGDA_VERSION, .config_hash = m->config_hash,
        .as_mass = m->out_asmass, .air_density = m->rho_out, .deflate_level = m->rc.deflate,
    };
    double out_start = m->rc.t_start + m->rc.spinup_s;
    BG_TRY(output_init(&m->out, g, &oc, out_start, e));
    BG_TRY(budget_init_mem(&m->budget, &m->state, m->rc.output_dir, e));
    m->budget.nspec = m->ntrans; /* the diagnosed PM totals have no budget of their own */

    if (m->diag_on) BG_TRY(diag_setup(m, e));

    /* station and city products in GB 3095 units (chemical model only: tracers have none) */
    BG_TRY(model_open_stations(m, &m->stations, e));
    if (m->stations) {
        size_t na = 0;
        m->st_arr = (RestartArray){.name = "stations", .data = stations_accumulators(m->stations, &na), .nonneg = 1};
        m->st_arr.n = na;
    }

    /* continuation: the state, averaging and budget accumulators come from the restart */
    if (m->rc.restart[0]) {
        RestartExtra x = restart_extra(m);
        double *st_old = NULL;
        if (m->stations) {
            /* the station series is as long as the run that wrote it: read it at its length */
            int nc, v, d;
            size_t len = 0;
            if (nc_open(m->rc.restart, NC_NOWRITE, &nc) == NC_NOERR) {
                if (nc_inq_varid(nc, "extra_stations", &v) == NC_NOERR && nc_inq_vardimid(nc, v, &d) == NC_NOERR)
                    nc_inq_dimlen(nc, d, &len);
                nc_close(nc);
            }
            st_old = malloc((len ? len : 1) * sizeof *st_old);
            if (!st_old) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
            x.arrays[0].data = st_old; /* the stations come first */
            x.arrays[0].n = len;
        }
        int rrc = restart_read(m->rc.restart, g, &m->state, &x, m->config_hash, e);
        /* the diagnostics' sample count travels as a double: range-checked before the cast */
        if (rrc == BG_OK && m->diag_on && !(m->dmeta[0] >= 0 && m->dmeta[0] <= 1e15))
            rrc = bg_fail(e, BG_EINPUT, m->rc.restart, "diag_meta", "sample count %g is not a count", m->dmeta[0]);
        if (rrc == BG_OK && m->diag_on)
            rrc = output_restore(&m->dout, m->dout.acc, m->dout.nacc, (long)m->dmeta[0], m->dmeta[1], m->dmeta[2], e);
        /* the station series continue only within the same run (a restart at its own start, as
         * the next forecast cycle, starts a new series) */
        if (rrc == BG_OK && m->stations && m->state.time > m->rc.t_start + 1e-6)
            rrc = stations_restore(m->stations, st_old, x.arrays[0].n, e);
        free(st_old);
        if (m->stations) m->st_arr.data = stations_accumulators(m->stations, &m->st_arr.n);
        BG_TRY(rrc);
        double tc = m->state.time;
        /* a scheduler requeues a job that already finished: its newest checkpoint is the final
         * one, and the run is complete (model_run_group reports it and writes nothing) */
        if (m->resume && fabs(tc - m->rc.t_end) < 1e-6) {
            m->t_cont = tc;
            return BG_OK;
        }
        if (tc < m->rc.t_start - 1e-6 || tc >= m->rc.t_end - 1e-6 || !on_grid(tc, m->rc.t_start, m->rc.sync_dt)) {
            char tr[32], ta[32], tb[32];
            time_format(tc, tr, sizeof tr);
            time_format(m->rc.t_start, ta, sizeof ta);
            time_format(m->rc.t_end, tb, sizeof tb);
            return bg_fail(e, BG_EINPUT, m->rc.restart, "time",
                           "restart at %s, but the run window is %s to %s (sync step %g s)%s", tr, ta, tb,
                           m->rc.sync_dt,
                           tc < m->rc.t_start - 1e-6 || tc >= m->rc.t_end - 1e-6
                               ? ": a restart must be at a sync step before the end"
                               : ": the restart is not at a sync step");
        }
        BG_TRY(output_restore(&m->out, x.out_acc, x.n_out_acc, x.out_nsamples, x.out_acc_start,
                              x.out_last_sample, e));
        m->t_cont = tc;
    }
    return BG_OK;
}

/* Rank 0 of a distributed run (or any serial run) is the one that writes files. */
static int writes_files(const Model *m) { return !m->dec || m->dec->rank == 0; }

/* --resume found the run's final checkpoint (prepare): nothing is left to do or to write. */
static int already_complete(const Model *m)
{
    return m->resume && m->rc.restart[0] && fabs(m->t_cont - m->rc.t_end) < 1e-6;
}

/* Everything before the first step: inputs checked and set up, the output directory, run.log,
 * the budget and the initial output. */
static int member_begin(Model *m, BgErr *e)
{
    RunConfig *rc = &m->rc;
    BG_TRY(prepare(m, e));
    if (already_complete(m)) return BG_OK; /* every output stays as the finished run left it */
    const int root = writes_files(m);
    /* from here on files are written (by rank 0 of a distributed run) */
    if (root && mkdir_p(rc->output_dir))
        return bg_fail(e, BG_EFAIL, rc->output_dir, NULL, "cannot create directory: %s", strerror(errno));
    char path[1100];
    snprintf(path, sizeof path, "%s/run.log", rc->output_dir);
    int continuing = m->t_cont > rc->t_start;
    m->log = root ? fopen(path, continuing ? "a" : "w") : fopen("/dev/null", "w");
    if (!m->log) return bg_fail(e, BG_EFAIL, path, NULL, "cannot create: %s", strerror(errno));
    char ts[32], te[32];
    time_format(rc->t_start, ts, sizeof ts);
    time_format(rc->t_end, te, sizeof te);
    fprintf(m->log, "# Bogda %s run %s -> %s, %d threads\n# effective configuration (hash %s):\n%s\n",
            BOGDA_VERSION, ts, te, omp_get_max_threads(), m->config_hash, m->config_text);
    fprintf(m->log, "grid %d x %d x %d, dx %.0f m, MAP_PROJ %d; %d species; %d met files\n",
            m->grid.nx, m->grid.ny, m->grid.nz, m->grid.dx, m->grid.map_proj, m->state.nspec, rc->nmet);
    if (m->met_borrowed || (m->has_src && m->src.borrowed))
        fprintf(m->log, "set-up shared with the group's first member (model_setup_member): %s%s%s\n",
                m->met_borrowed ? "meteorology" : "", m->met_borrowed && m->src.borrowed ? ", " : "",
                m->has_src && m->src.borrowed ? "inventory, profiles and point sources" : "");
    if (m->has_bcf) {
        const char **names = malloc((size_t)m->state.nspec * sizeof *names);
        char line[2048];
        for (int s = 0; names && s < m->state.nspec; s++) names[s] = m->state.spec[s].name;
        if (names) {
            bcfile_describe(&m->bcf, names, line, sizeof line);
            fprintf(m->log, "boundary file: %s\n", line);
        }
        free(names);
    }
    if (m->dec && m->dec->nranks > 1)
        fprintf(m->log, "MPI: %d ranks, process grid %d x %d (decomposition %s); rank 0: block of columns %d-%d x "
                        "rows %d-%d; advection halos along x and y\n",
                m->dec->nranks, m->dec->px, m->dec->py, m->rc.mpi_px ? "as configured" : "auto", m->dec->bi0,
                m->dec->bi1 - 1, m->dec->bj0, m->dec->bj1 - 1);
    if (m->resume && !continuing)
        fprintf(m->log, "--resume: no checkpoint in %s, so the run starts from the beginning\n", rc->output_dir);
    if (continuing) {
        time_format(m->t_cont, ts, sizeof ts);
        fprintf(m->log, "continuing from %s at %s\n", rc->restart, ts);
        if (root) BG_TRY(budget_continue(&m->budget, m->t_cont, e));
        /* the days that ended by the restart: a stop just after a day's last record left them
         * as .tmp, and nothing after the restart writes to them again */
        if (root) BG_TRY(output_close_days_before(&m->out, m->t_cont, e));
        if (root && m->diag_on) BG_TRY(output_close_days_before(&m->dout, m->t_cont, e));
        /* neither budget.csv nor its .tmp (removed after a failed write): start a well-formed
         * file, with its header, rather than rows without one */
        struct stat bst;
        if (root && stat(m->budget.tmp_path, &bst) != 0 && stat(m->budget.final_path, &bst) != 0)
            BG_TRY(budget_start_file(&m->budget, e));
    } else if (root) {
        BG_TRY(budget_start_file(&m->budget, e));
    }
    const MetFields *f = model_met(m, m->state.time, e);
    if (!f) return e->code;
    if (!continuing) budget_begin(&m->budget, &m->state, f->airm);
    process_diagnose_pm(m);
    memcpy(m->rho_out, f->rho, state_ncell(&m->state) * sizeof *m->rho_out);
    double out_start = rc->t_start + rc->spinup_s;
    if (root && !continuing && !rc->average && out_start <= rc->t_start + 1e-6)
        BG_TRY(output_write(&m->out, &m->state, e));
    return BG_OK;
}

/* Outputs, station samples, diagnostics and checkpoints after a step. */
/* The step's samples of the output means.  Every rank of a distributed run accumulates those
 * of its own block (element by element, so the sums are those of the serial run) before rank 0
 * gathers the sums and the state (model_run_group) and alone writes (member_after_step). */
static int member_sample(Model *m, double w, BgErr *e)
{
    /* only the output density and the budget's air mass: the advection's end time has the latter */
    const MetFields *f = model_met_mask(m, m->state.time, MET_AIRM | MET_RHO | MET_WHOLE, e);
    if (!f) return e->code;
    double w0 = omp_get_wtime();
    memcpy(m->rho_out, f->rho, state_ncell(&m->state) * sizeof *m->rho_out);
    output_accumulate_w(&m->out, &m->state, w, 0); /* no-op for instantaneous output */
    if (m->diag_on) {
        diag_step(m, m->rc.sync_dt);
        output_accumulate(&m->dout, &m->dstate);
    }
    m->io_seconds += omp_get_wtime() - w0;
    return BG_OK;
}

/* Stations, output records, budget rows and checkpoints of a step (rank 0); the other ranks
 * mirror the resets of the sums that rank 0's writes make. */
static int member_after_step(Model *m, double w, double wall0, double sim0, BgErr *e)
{
    RunConfig *rc = &m->rc;
    double t = m->state.time, out_start = rc->t_start + rc->spinup_s;
    char ts[32];
    const MetFields *f = model_met_mask(m, t, MET_AIRM | MET_RHO | MET_WHOLE, e);
    if (!f) return e->code;
    const int root = writes_files(m);
    if (root && m->stations && t > out_start + 1e-6)
        BG_TRY(stations_sample_w(m->stations, t, &m->state, m->rho_out, NULL, 0, w, e));
    if (!root) {
        if (on_grid(t, rc->t_start, rc->out_dt)) {
            if (rc->average ? t > out_start + 1e-6 : t >= out_start - 1e-6) output_discard(&m->out, t);
            if (m->diag_on && t > out_start + 1e-6) output_discard(&m->dout, t);
        }
        return BG_OK;
    }
    if (on_grid(t, rc->t_start, rc->out_dt)) {
        /* means start after the spin-up; instantaneous output includes its end */
        double w0 = omp_get_wtime();
        if (rc->average ? t > out_start + 1e-6 : t >= out_start - 1e-6)
            BG_TRY(output_write(&m->out, &m->state, e));
        if (m->diag_on && t > out_start + 1e-6) BG_TRY(output_write(&m->dout, &m->dstate, e));
        BG_TRY(budget_write(&m->budget, &m->state, f->airm, e));
        m->io_seconds += omp_get_wtime() - w0;
        double wall = omp_get_wtime() - wall0, simh = (t - sim0) / 3600.0;
        time_format(t, ts, sizeof ts);
        double eta = simh > 0 ? wall * ((rc->t_end - t) / 3600.0) / simh : 0;
        fprintf(m->log, "%s  %.1f sim-h/wall-h  ETA %.0f s  max advection sub-steps %d\n", ts,
                wall > 0 ? simh * 3600.0 / wall : 0.0, eta, m->max_sub);
        fflush(m->log);
    }
    if (t < rc->t_end - 1e-6 && on_grid(t, rc->t_start, rc->checkpoint_s)) BG_TRY(write_checkpoint(m, e));
    return BG_OK;
}

static int member_finish(Model *m, int k, double wall0, double sim0, BgErr *e)
{
    RunConfig *rc = &m->rc;
    if (!writes_files(m)) {
        fclose(m->log);
        m->log = NULL;
        return BG_OK;
    }
    BG_TRY(write_checkpoint(m, e));
    BG_TRY(output_finish(&m->out, e));
    if (m->diag_on) BG_TRY(output_finish(&m->dout, e));
    if (m->stations) BG_TRY(stations_write(m->stations, rc->output_dir, e));
    BG_TRY(budget_finish(&m->budget, e));
    double wall = omp_get_wtime() - wall0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long steps = lround((rc->t_end - sim0) / rc->sync_dt);
    fprintf(m->log, "done: %.1f simulated h in %.2f s wall, %ld sync steps, %d threads\n",
            (rc->t_end - sim0) / 3600.0, wall, steps, omp_get_max_threads());
    if (k > 1)
        fprintf(m->log, "# advanced with %d members in one process: wall_s is the group's; advection, "
                        "diffusion and met are shared and shown as this member's share (1/%d)\n", k, k);
    /* machine-readable lines, parsed by bench/run_bench.sh */
    fprintf(m->log, "timing wall_s %.3f\n", wall);
    const Process *ps[] = {&m->advection, &m->diffusion, &m->emissions, &m->chemistry, &m->wetdep};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
        fprintf(m->log, "timing %s_s %.3f\n", ps[i]->name, ps[i]->seconds);
    const Model *lead = m->met_from ? m->met_from : m;
    fprintf(m->log, "timing met_s %.3f\ntiming output_s %.3f\n", lead->met_seconds / k, m->io_seconds);
    if (m->has_src) fprintf(m->log, "timing plume_rise_s %.3f\n", m->src.plume_seconds);
    if (m->chem) fprintf(m->log, "chemistry_cells_retried %ld\nchemistry_cells_failed %ld\n", m->chem_retried, m->chem_failed);
    if (m->chem) {
        /* the ROS3 effort (this rank's cells in a distributed run): what the chemistry time scales with */
        ChemStats cst;
        chemproc_stats(m->chem, &cst);
        if (cst.cells > 0)
            fprintf(m->log, "chemistry_attempts_per_cell %.2f\nchemistry_rejected_per_cell %.2f\n",
                    (double)(cst.ros.accepted + cst.ros.rejected) / (double)cst.cells,
                    (double)cst.ros.rejected / (double)cst.cells);
    }
    fprintf(m->log, "cells %ld\nspecies %d\nsync_steps %ld\nmax_advection_substeps %d\n",
            (long)m->grid.nx * m->grid.ny * m->grid.nz, m->state.nspec, steps, m->max_sub);
    /* transport calls: under Strang splitting two per sync step, advection one between output
     * and checkpoint times when its halves are merged; one of each when alternating */
    fprintf(m->log, "advection_calls %ld\ndiffusion_calls %ld\n", (long)m->advection.calls, (long)m->diffusion.calls);
    fprintf(m->log, "members_in_process %d\n", k);
    fprintf(m->log, "mpi_ranks %d\n", m->dec ? m->dec->nranks : 1);
    if (m->dec && m->dec->nranks > 1)
        fprintf(m->log, "mpi_grid %dx%d\ntiming mpi_exchange_s %.3f\ntiming mpi_halo_s %.3f\ntiming mpi_gather_s %.3f\n"
                        "mpi_halo_mb_sent %.1f\n", m->dec->px, m->dec->py, m->dec->exchange_seconds, m->dec->halo_seconds,
                m->dec->gather_seconds, m->dec->exchange_bytes / 1e6);
    fprintf(m->log, "peak_rss_mb %.1f\n", ru.ru_maxrss / 1024.0);
    /* run.log is written as the run goes, without a .tmp; a lost line is reported, not ignored */
    errno = 0;
    int bad = ferror(m->log) != 0, err = errno;
    if (fclose(m->log) != 0 && !bad) bad = 1, err = errno;
    m->log = NULL;
    if (bad) {
        char p[1100];
        snprintf(p, sizeof p, "%s/run.log", rc->output_dir);
        return bg_fail(e, BG_EFAIL, p, NULL, "write failed: %s",
                       err == ENOSPC ? "no space left on device" : err ? strerror(err) : "I/O error");
    }
    return BG_OK;
}

/* ------------------------------------------------------------------ merged advection halves
 *
 * [run] merge_advection (docs/transport.md, "Operator splitting"): under Strang splitting the
 * reverse advection half of a step (y, x, z over dt/2) and the forward half of the next one
 * (x, y, z over dt/2) are one advection call over dt about the sync instant between them, the
 * x/y order alternating with the parity of the instant's step (as the alternating splitting's),
 * so that a run of N steps is Strang's T(dt/2) [C(dt) T(dt)]^(N-1) C(dt) T(dt/2) with one
 * advection call per step.  The state at the sync instant is then not computed; what samples it
 * every step (interval means, stations) takes the mean of the states before and after the merged
 * call, a second-order estimate, as two half-weighted parts of one sample.  The halves stay
 * split wherever the state itself is used: an output record, a checkpoint, the run's end.  A
 * checkpoint written on a signal between merged halves holds the half as pending
 * (extra_transport_pending = 1), so that its continuation is bit for bit that of the run. */

static int merging(const Group *gr)
{
    const Model *m0 = gr->m[0];
    return m0->rc.splitting == SPLIT_STRANG && m0->rc.merge_adv && m0->advection.on;
}

/* Whether the step ending at t may defer its reverse advection half. */
static int may_defer(const Group *gr, double t)
{
    const Model *m0 = gr->m[0];
    if (!merging(gr) || t > m0->rc.t_end - 1e-6) return 0;
    for (int i = 0; i < gr->k; i++) {
        const RunConfig *rc = &gr->m[i]->rc;
        if (on_grid(t, rc->t_start, rc->out_dt) || on_grid(t, rc->t_start, rc->checkpoint_s)) return 0;
    }
    return 1;
}

/* The deferred half and this step's forward half, over dt about state.time. */
static int merged_advection(Group *gr, double dt, BgErr *e)
{
    const double t = gr->m[0]->state.time;
    gr->x_first = (llround(t / dt) & 1) == 0;
    BG_TRY(group_shared(gr, group_advection, 0, t - 0.5 * dt, dt, e));
    gr->pending = 0;
    set_air_time(gr, t + 0.5 * dt);
    return BG_OK;
}

/* The second half of the last step's samples: the state after the merged advection, with the
 * diagnosed PM updated from it; the stations' surface layer is gathered to rank 0 first. */
static int sample_second_half(Group *gr, BgErr *e)
{
    int samples = 0;
    double w0 = omp_get_wtime();
    for (int i = 0; i < gr->k; i++) {
        Model *m = gr->m[i];
        if (!gr->alive[i] || !(m->stations || m->out.cfg.average)) continue;
        process_diagnose_pm(m);
        output_accumulate_w(&m->out, &m->state, 0.5, 1);
        samples |= m->stations != NULL;
    }
    if (gr->dec.nranks > 1 && gr->want_surface && par_gather(&gr->dec, gr->gfields, gr->ngather, 1))
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory for the MPI exchange buffers");
    for (int i = 0; samples && i < gr->k; i++) {
        Model *m = gr->m[i];
        const double t = m->state.time;
        if (gr->alive[i] && m->stations && writes_files(m) && t > m->rc.t_start + m->rc.spinup_s + 1e-6 &&
            stations_sample_w(m->stations, t, &m->state, m->rho_out, NULL, 0, 0.5, &gr->err[i]) != BG_OK)
            gr->alive[i] = 0;
    }
    const double sec = (omp_get_wtime() - w0) / gr->k;
    for (int i = 0; i < gr->k; i++) gr->m[i]->io_seconds += sec;
    return BG_OK;
}

static void group_free(Group *gr)
{
    for (int i = 0; i < gr->k; i++) {
        Model *m = gr->m[i];
        /* the member's views into the group's arrays */
        m->bc_west = m->bc_east = m->bc_south = m->bc_north = m->bc_top = NULL;
        m->tally_in = m->tally_out = NULL;
        m->adv = NULL;
        m->vdiff = NULL;
        m->met_from = NULL;
        m->dec = NULL;
        if (m->chem) {
            chemproc_set_decomp(m->chem, NULL);
            chemproc_set_share(m->chem, NULL);
        }
    }
    chemproc_share_free(gr->chem_share);
    gr->chem_share = NULL;
    if (gr->vdiff) vdiff_work_set_decomp(gr->vdiff, NULL);
    if (gr->adv) advect_work_set_decomp(gr->adv, NULL);
    par_decomp_free(&gr->dec);
    free(gr->gfields);
    free(gr->ghc);
    free(gr->gacc);
    free(gr->q); free(gr->sflux); free(gr->vdep); free(gr->depf);
    free(gr->bc_west); free(gr->bc_east); free(gr->bc_south); free(gr->bc_north); free(gr->bc_top);
    free(gr->tin); free(gr->tout); free(gr->removed);
    free(gr->dd_copy);
    advect_work_free(gr->adv);
    vdiff_work_free(gr->vdiff);
}

/* The members must agree on everything the shared processes use. */
static int group_check(Model **ms, int k, BgErr *e)
{
    const Model *a = ms[0];
    for (int i = 1; i < k; i++) {
        const Model *b = ms[i];
        const char *what = NULL;
        if (b->grid.nx != a->grid.nx || b->grid.ny != a->grid.ny || b->grid.nz != a->grid.nz) what = "grid";
        else if (b->ntrans != a->ntrans) what = "transported species";
        else if (b->rc.t_start != a->rc.t_start || b->rc.t_end != a->rc.t_end || b->rc.sync_dt != a->rc.sync_dt) what = "run window or sync step";
        else if (b->rc.adv_on != a->rc.adv_on || b->rc.diff_on != a->rc.diff_on || b->rc.drydep_on != a->rc.drydep_on) what = "transport processes";
        else if (b->rc.scheme != a->rc.scheme || b->rc.cfl_max != a->rc.cfl_max) what = "advection settings";
        else if (b->rc.splitting != a->rc.splitting || b->rc.merge_adv != a->rc.merge_adv) what = "splitting";
        else if (b->rc.nmet != a->rc.nmet || strcmp(b->rc.met_files[0], a->rc.met_files[0])) what = "meteorology";
        if (what)
            return bg_fail(e, BG_ECONFIG, b->rc.output_dir, what,
                           "a member of a group differs from %s in its %s", a->rc.output_dir, what);
    }
    return BG_OK;
}

static int group_alloc(Group *gr, BgErr *e)
{
    Model *m0 = gr->m[0];
    const Grid *g = &m0->grid;
    const int ns = gr->ns, nv = gr->nvar;
    const size_t plane = (size_t)g->nx * g->ny;
    const size_t lw = (size_t)ns * g->nz * g->ny, ls = (size_t)ns * g->nz * g->nx, lt = (size_t)ns * plane;
    gr->q = calloc((size_t)nv + 1, sizeof *gr->q);
    gr->sflux = calloc((size_t)nv + 1, sizeof *gr->sflux);
    gr->vdep = calloc((size_t)nv + 1, sizeof *gr->vdep);
    gr->depf = calloc((size_t)nv + 1, sizeof *gr->depf);
    gr->bc_west = calloc(lw * gr->k + 1, sizeof(double));
    gr->bc_east = calloc(lw * gr->k + 1, sizeof(double));
    gr->bc_south = calloc(ls * gr->k + 1, sizeof(double));
    gr->bc_north = calloc(ls * gr->k + 1, sizeof(double));
    gr->bc_top = calloc(lt * gr->k + 1, sizeof(double));
    gr->tin = calloc((size_t)nv + 1, sizeof(double));
    gr->tout = calloc((size_t)nv + 1, sizeof(double));
    gr->removed = calloc((size_t)nv + 1, sizeof(double));
    gr->dd_copy = calloc((size_t)gr->k, sizeof *gr->dd_copy);
    gr->adv = advect_work_create(m0->rc.scheme, g->nx, g->ny, g->nz, nv, m0->rc.cfl_max);
    gr->vdiff = vdiff_work_create(g, nv);
    char why[512];
    /* blocks of 2 rows and 2 columns at least; the exchange buffers hold halos of the advection's
     * fields (the air mass needs none: every rank computes it from the met's fluxes) */
    if (par_decomp_init(&gr->dec, g->nx, g->ny, g->nz, m0->distributed, m0->rc.mpi_px, m0->rc.mpi_py, 2,
                        nv, why, sizeof why))
        return bg_fail(e, BG_ECONFIG, m0->cfg.path, m0->rc.mpi_px ? "[run] decomposition" : "MPI ranks", "%s", why);
    if (!gr->q || !gr->sflux || !gr->vdep || !gr->depf || !gr->bc_west || !gr->bc_east ||
        !gr->bc_south || !gr->bc_north || !gr->bc_top || !gr->tin || !gr->tout || !gr->removed ||
        !gr->dd_copy || !gr->adv || !gr->vdiff)
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory for a group of %d members", gr->k);
    if (gr->vdiff) vdiff_work_set_decomp(gr->vdiff, &gr->dec);
    if (gr->adv) advect_work_set_decomp(gr->adv, &gr->dec);
    /* rank 0 gathers each member's state (and, member_begin having set up the outputs, their
     * sums: model_run_group) when it writes */
    int nsp = m0->state.nspec;
    gr->gfields = calloc((size_t)gr->k * nsp + 1, sizeof *gr->gfields);
    if (!gr->gfields) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int i = 0; i < gr->k; i++) {
        Model *m = gr->m[i];
        m->dec = &gr->dec;
        if (m->chem) chemproc_set_decomp(m->chem, &gr->dec);
        for (int s = 0; s < nsp; s++) gr->gfields[gr->ngather++] = state_species(&m->state, s);
    }
    /* the velocities' non-met inputs are fixed from here on: compared once */
    for (int i = 1; i < gr->k; i++) gr->dd_copy[i] = process_drydep_same_inputs(m0, gr->m[i]);
    /* the members whose chemistry may take the met-only quantities of the first's (ChemShare) */
    for (int i = 1; i < gr->k; i++) {
        if (!m0->chem || !gr->m[i]->chem || !chemproc_share_compatible(m0->chem, gr->m[i]->chem)) continue;
        if (!gr->chem_share) {
            if (!(gr->chem_share = chemproc_share_create(m0->chem)))
                return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory for a group of %d members", gr->k);
            chemproc_set_share(m0->chem, gr->chem_share);
        }
        chemproc_set_share(gr->m[i]->chem, gr->chem_share);
    }
    /* a rank interpolates the column fields only where its column processes read them: its
     * block's rows and its members' point sources' columns (plume rise); docs/parallel.md */
    model_met_rows(m0, gr->dec.nranks > 1 ? gr->dec.bj0 : -1, gr->dec.bj1);
    for (int i = 0; i < gr->k && gr->dec.nranks > 1; i++)
        for (int p = 0; gr->m[i]->has_src && p < gr->m[i]->src.pts.n; p++)
            model_met_add_column(m0, gr->m[i]->src.pts.src[p].j, gr->m[i]->src.pts.src[p].i);
    for (int i = 0; i < gr->k; i++) {
        Model *m = gr->m[i];
        m->bc_west = gr->bc_west + lw * i;
        m->bc_east = gr->bc_east + lw * i;
        m->bc_south = gr->bc_south + ls * i;
        m->bc_north = gr->bc_north + ls * i;
        m->bc_top = gr->bc_top + lt * i;
        m->tally_in = gr->tin + (size_t)ns * i;
        m->tally_out = gr->tout + (size_t)ns * i;
        for (int s = 0; s < ns; s++) gr->q[i * ns + s] = state_species(&m->state, s);
        if (i > 0) {
            /* the leader reads and interpolates the meteorology for everyone */
            m->met_from = m0;
            for (int c = 0; c < MET_CACHE; c++) met_fields_free(&m->cache.f[c]);
            memset(&m->cache, 0, sizeof m->cache);
        }
    }
    return BG_OK;
}

/* The pointers to the members' output sums, for the gathers at the steps that write. */
static int group_gather_setup(Group *gr, BgErr *e)
{
    size_t n = 0;
    const size_t plane = (size_t)gr->m[0]->grid.nx * gr->m[0]->grid.ny;
    for (int i = 0; i < gr->k; i++) n += (size_t)gr->m[i]->out.cfg.nout + (size_t)gr->m[i]->dout.cfg.nout;
    gr->gacc = calloc(n + 1, sizeof *gr->gacc);
    gr->ghc = calloc((size_t)gr->k + 1, sizeof *gr->ghc);
    if (!gr->gacc || !gr->ghc) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    /* each rank's chemistry carries the step sizes of its block only: rank 0 needs them all
     * for a checkpoint, and a restart gives every rank the whole array */
    for (int i = 0; i < gr->k; i++)
        if (gr->m[i]->state.chem_h) gr->ghc[gr->nghc++] = gr->m[i]->state.chem_h;
    /* [0, nacc[0]): the means of the state over nz layers, then nacc[1] of its surface, then
     * nacc[2] of the flux diagnostics (one layer, tallied where the column processes ran) */
    int idx = 0;
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < gr->k; i++) {
            Model *m = gr->m[i];
            Output *op = pass < 2 ? &m->out : m->diag_on ? &m->dout : NULL;
            if (op && op->acc && (pass == 2 || (op->nlev > 1) == (pass == 0)))
                for (int s = 0; s < op->cfg.nout; s++) gr->gacc[idx++] = op->acc + (size_t)s * op->nlev * plane;
            if (m->stations) gr->want_surface = 1;
        }
        gr->nacc[pass] = idx - (pass > 0 ? gr->nacc[0] : 0) - (pass > 1 ? gr->nacc[1] : 0);
    }
    return BG_OK;
}

/* After a step of a distributed run: rank 0 gathers the species (and the output sums) at the
 * steps where a member writes or checkpoints (or at the end, or when stopping), and only the
 * surface layer, for the stations, at the others. */
static int group_gather(Group *gr, int last)
{
    const double t = gr->m[0]->state.time;
    int full = last, ckpt = last;
    for (int i = 0; i < gr->k; i++) {
        const RunConfig *rc = &gr->m[i]->rc;
        full |= on_grid(t, rc->t_start, rc->out_dt) || on_grid(t, rc->t_start, rc->checkpoint_s);
        ckpt |= on_grid(t, rc->t_start, rc->checkpoint_s);
    }
    const int nz = gr->m[0]->grid.nz;
    if (ckpt && gr->nghc && par_gather(&gr->dec, gr->ghc, gr->nghc, nz)) return -1;
    /* the state, its means and the flux diagnostics (tallied by the column processes) are
     * current in the blocks */
    if (!full) return gr->want_surface ? par_gather(&gr->dec, gr->gfields, gr->ngather, 1) : 0;
    if (par_gather(&gr->dec, gr->gfields, gr->ngather, nz)) return -1;
    if (par_gather(&gr->dec, gr->gacc, gr->nacc[0], nz)) return -1;
    if (par_gather(&gr->dec, gr->gacc + gr->nacc[0], gr->nacc[1], 1)) return -1;
    return par_gather(&gr->dec, gr->gacc + gr->nacc[0] + gr->nacc[1], gr->nacc[2], 1);
}

int model_run_group(Model **ms, int k, BgErr *errs, BgErr *e)
{
    Group gr;
    memset(&gr, 0, sizeof gr);
    gr.m = ms;
    gr.k = k;
    gr.err = errs;
    gr.ns = ms[0]->ntrans;
    gr.nvar = k * gr.ns;
    gr.alive = calloc((size_t)k, sizeof *gr.alive);
    if (!gr.alive) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    int rc = group_check(ms, k, e);
    if (rc == BG_OK) rc = group_alloc(&gr, e);
    for (int i = 0; i < k && rc == BG_OK; i++) gr.alive[i] = member_begin(ms[i], &errs[i]) == BG_OK;
    int nchem_share = 0;
    for (int i = 0; i < k && rc == BG_OK; i++) nchem_share += ms[i]->chem && chemproc_share_of(ms[i]->chem) != NULL;
    for (int i = 0; i < k && rc == BG_OK; i++)
        if (gr.alive[i] && ms[i]->log && ms[i]->chem && chemproc_share_of(ms[i]->chem))
            fprintf(ms[i]->log, "chemistry: the met-only part (relative humidity, photolysis and OH, the rate constants "
                                "but the heterogeneous and aqueous ones, NH4NO3 Kp) computed once per step for %d "
                                "members of the group (ChemShare)\n", nchem_share);
    /* the leader's clock and meteorology drive the group */
    if (rc == BG_OK && !gr.alive[0]) rc = bg_fail(e, errs[0].code, NULL, NULL, "%s", errs[0].msg);
    for (int i = 1; i < k && rc == BG_OK; i++)
        if (gr.alive[i] && ms[i]->state.time != ms[0]->state.time)
            rc = bg_fail(e, BG_EINPUT, ms[i]->rc.output_dir, "restart",
                         "a member continues from another time than %s: run the group from the start",
                         ms[0]->rc.output_dir);
    /* a checkpoint written on a signal between merged advection halves continues with the merge;
     * Model.adv_pending is the checkpoint's field only (set again when stopping) */
    gr.pending = rc == BG_OK && gr.alive[0] && ms[0]->adv_pending != 0;
    for (int i = 1; i < k && rc == BG_OK; i++)
        if (gr.alive[i] && (ms[i]->adv_pending != 0) != gr.pending)
            rc = bg_fail(e, BG_EINPUT, ms[i]->rc.output_dir, "restart",
                         "a member's advection is at another point of its step than %s's: run the group from the start",
                         ms[0]->rc.output_dir);
    for (int i = 0; i < k; i++) ms[i]->adv_pending = 0;
    /* a requeued job whose run had finished succeeds without touching anything (the members of
     * a group continue from one time, checked above, so they are all complete or none is) */
    int ncomplete = 0;
    for (int i = 0; i < k && rc == BG_OK; i++) ncomplete += gr.alive[i] && already_complete(ms[i]);
    if (rc == BG_OK && ncomplete > 0) {
        for (int i = 0; i < k; i++) {
            if (!gr.alive[i] || !already_complete(ms[i])) continue;
            char tc[32];
            time_format(ms[i]->t_cont, tc, sizeof tc);
            if (writes_files(ms[i])) printf("bogda: run in %s is already complete (checkpoint at %s)\n", ms[i]->rc.output_dir, tc);
        }
        fflush(stdout);
        group_free(&gr);
        free(gr.alive);
        return BG_OK;
    }
    int nalive = 0;
    for (int i = 0; i < k; i++) nalive += gr.alive[i];
    const int dist = gr.dec.nranks > 1;
    /* the output sums (allocated by member_begin): a field per species and layer set */
    if (rc == BG_OK && dist) rc = group_gather_setup(&gr, e);
    if (dist && par_max_int(rc != BG_OK || nalive < k) && rc == BG_OK)
        rc = bg_fail(e, BG_EFAIL, ms[0]->rc.output_dir, NULL, "another MPI rank failed to start the run");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    const char *fault = getenv("BOGDA_FAULT_KILL_AFTER_STEP"); /* crash-recovery tests */
    long kill_step = fault ? atol(fault) : -1;
    const char *fterm = getenv("BOGDA_FAULT_SIGTERM_AFTER_STEP"); /* a scheduler's stop, on every rank */
    long term_step = fterm ? atol(fterm) : -1;

    Model *m0 = ms[0];
    const RunConfig *r0 = &m0->rc;
    double wall0 = omp_get_wtime(), sim0 = m0->state.time;
    long nsteps = lround((r0->t_end - m0->state.time) / r0->sync_dt);
    char ts[32];
    for (long n = 0; n < nsteps && rc == BG_OK && nalive > 0; n++) {
        const int merged = gr.pending;
        if (merged) {
            /* also after a restart with a half pending: [run] merge_advection is in its
             * configuration hash, so the continuation merges too */
            rc = merged_advection(&gr, r0->sync_dt, e);
            if (dist && par_max_int(rc != BG_OK) && rc == BG_OK)
                rc = bg_fail(e, BG_EFAIL, r0->output_dir, NULL, "another MPI rank failed");
            if (rc != BG_OK) break;
            rc = sample_second_half(&gr, e);
            if (rc != BG_OK) break;
        }
        rc = group_step(&gr, r0->sync_dt, merged, may_defer(&gr, m0->state.time + r0->sync_dt), e);
        /* read once: a signal arriving later in the iteration is seen at the next step */
        int stopping = stop_signal != 0;
        if (dist) {
            /* every rank must agree: a failure or a signal on one stops all, at the same step */
            if (par_max_int(rc != BG_OK) && rc == BG_OK) rc = bg_fail(e, BG_EFAIL, r0->output_dir, NULL, "another MPI rank failed");
            if (rc != BG_OK) break;
            stop_signal = par_max_int(stop_signal);
            stopping = stop_signal != 0;
        }
        /* a step whose advection half is deferred is sampled in two halves (merged_advection) */
        const double w = gr.pending ? 0.5 : 1.0;
        for (int i = 0; i < k && rc == BG_OK; i++)
            if (gr.alive[i] && member_sample(ms[i], w, &errs[i]) != BG_OK) gr.alive[i] = 0;
        if (dist && rc == BG_OK) {
            if (group_gather(&gr, n == nsteps - 1 || stopping))
                rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory for the MPI exchange buffers");
        }
        for (int i = 0; i < k && rc == BG_OK; i++)
            if (gr.alive[i] && member_after_step(ms[i], w, wall0, sim0, &errs[i]) != BG_OK) gr.alive[i] = 0;
        if (rc != BG_OK) break;
        double t = m0->state.time;
        if (isatty(STDERR_FILENO) && on_grid(t, r0->t_start, r0->out_dt)) {
            double wall = omp_get_wtime() - wall0, simh = (t - sim0) / 3600.0;
            time_format(t, ts, sizeof ts);
            fprintf(stderr, "\r%s  ETA %.0f s   ", ts, simh > 0 ? wall * ((r0->t_end - t) / 3600.0) / simh : 0.0);
        } else if (k > 1 && on_grid(t, r0->t_start, 6 * 3600.0)) {
            /* a group (a batch) without a terminal: a progress line every 6 simulated hours */
            double wall = omp_get_wtime() - wall0, simh = (t - sim0) / 3600.0;
            time_format(t, ts, sizeof ts);
            fprintf(stderr, "batch: %s  %d members  %.0f of %.0f h  %.0f s wall  %.1f sim-h/wall-h  ETA %.0f s\n",
                    ts, nalive, (t - r0->t_start) / 3600.0, (r0->t_end - r0->t_start) / 3600.0, wall,
                    wall > 0 ? simh * 3600.0 / wall : 0.0, simh > 0 ? wall * ((r0->t_end - t) / 3600.0) / simh : 0.0);
        }
        if (m0->state.step == kill_step) raise(SIGKILL);
        if (m0->state.step == term_step) raise(SIGTERM); /* seen after the next step */
        if (stopping) {
            for (int i = 0; i < k; i++) {
                if (!gr.alive[i]) continue;
                Model *m = ms[i];
                m->adv_pending = gr.pending; /* extra_transport_pending: the continuation merges */
                /* rank 0 alone writes, from the state gathered above: the other ranks hold only
                 * their blocks, and their writes of the same file left no usable checkpoint */
                if (!writes_files(m) || write_checkpoint(m, &errs[i]) == BG_OK) {
                    fprintf(m->log, "stopped by signal %d; continue with --resume\n", (int)stop_signal);
                    bg_fail(&errs[i], BG_EFAIL, m->rc.output_dir, NULL,
                            "stopped by signal %d after writing a checkpoint; continue with --resume",
                            (int)stop_signal);
                }
                fclose(m->log);
                m->log = NULL;
                gr.alive[i] = 0;
            }
            rc = bg_fail(e, BG_EFAIL, r0->output_dir, NULL,
                         "stopped by signal %d after writing a checkpoint; continue with --resume",
                         (int)stop_signal);
        }
        nalive = 0;
        for (int i = 0; i < k; i++) nalive += gr.alive[i];
    }
    if (isatty(STDERR_FILENO)) fprintf(stderr, "\n");
    for (int i = 0; i < k && rc == BG_OK; i++)
        if (gr.alive[i] && member_finish(ms[i], k, wall0, sim0, &errs[i]) != BG_OK) gr.alive[i] = 0;
    if (rc != BG_OK)
        for (int i = 0; i < k; i++)
            if (!errs[i].code) errs[i] = *e; /* a shared failure fails every member */
    group_free(&gr);
    free(gr.alive);
    return rc;
}

int model_stop_requested(void) { return stop_signal != 0; }

int model_run(Model *m, BgErr *e)
{
    BgErr me = {0};
    int rc = model_run_group(&m, 1, &me, e);
    if (rc == BG_OK && me.code) {
        *e = me;
        rc = me.code;
    }
    return rc;
}

void model_free(Model *m)
{
    if (!m) return;
    if (m->log) fclose(m->log);
    output_free(&m->out);
    budget_free(&m->budget);
    advect_work_free(m->adv);
    vdiff_work_free(m->vdiff);
    free(m->bc_west); free(m->bc_east); free(m->bc_south); free(m->bc_north); free(m->bc_top);
    free(m->tally_in); free(m->tally_out);
    for (int i = 0; i < MET_CACHE; i++) met_fields_free(&m->cache.f[i]);
    if (m->has_bcf) bcfile_close(&m->bcf);
    met_close(&m->met);
    state_free(&m->state);
    grid_free(&m->grid);
    stations_close(m->stations);
    if (m->diag_on) {
        output_free(&m->dout);
        state_free(&m->dstate);
    }
    free(m->dg); free(m->dnames); free(m->dunits); free(m->dlong); free(m->dstd); free(m->dspec);
    if (m->has_src) sources_free(&m->src);
    if (m->has_ctl) controlset_free(&m->ctl);
    for (int r = 0; r < m->nreg; r++) region_free(&m->regions[r]);
    free(m->regions);
    chemproc_free(m->chem);
    if (m->tab.s) species_free(&m->tab);
    free(m->tab_map); free(m->is_mass); free(m->out_mass); free(m->extra);
    free(m->model_names); free(m->model_mm);
    free(m->sflux); free(m->vdep); free(m->removed); free(m->emis_kg); free(m->chg);
    free(m->dd_henry); free(m->dd_f0); free(m->dd_diam); free(m->wet); free(m->wet_on); free(m->wet_rate);
    free(m->rho_out); free(m->out_asmass);
    free(m->init_prof); free(m->bc_prof); free(m->species);
    free(m->rc.out_species);
    for (int i = 0; i < m->rc.nmet; i++) free(m->rc.met_files[i]);
    free(m->rc.met_files);
    free(m->config_text);
    config_free(&m->cfg);
    memset(m, 0, sizeof *m);
}
