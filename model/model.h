/* A model run: configuration, grid, meteorology, state, processes, output.  model_setup() reads
 * and validates everything before anything is written; model_run() steps it (model/driver.c). */
#ifndef BOGDA_MODEL_H
#define BOGDA_MODEL_H

#include <stdio.h>

#include "advect.h"
#include "bcfile.h"
#include "chemproc.h"
#include "controls.h"
#include "sources.h"
#include "species.h"
#include "stations.h"
#include "restart.h"
#include "wetdep.h"
#include "budget.h"
#include "config.h"
#include "err.h"
#include "grid.h"
#include "met.h"
#include "output.h"
#include "parallel.h"
#include "profile.h"
#include "state.h"
#include "vdiff.h"

enum { SPLIT_STRANG, SPLIT_ALTERNATING };

typedef struct RunConfig {
    double t_start, t_end;     /* s since epoch, UTC */
    double spinup_s, sync_dt, out_dt, checkpoint_s;
    char output_dir[1024];
    char restart[1024];        /* [run] restart, resolved */
    int threads;
    int splitting;             /* [run] splitting: SPLIT_STRANG or SPLIT_ALTERNATING (driver.c) */
    int merge_adv;             /* [run] merge_advection: Strang's advection halves merged (driver.c) */
    int mpi_px, mpi_py;       /* [run] decomposition: the MPI process grid (0: automatic) */
    int adv_on, diff_on, emis_on, chem_on, aero_on, drydep_on, wetdep_on;
    int full;                  /* species from the species table (any chemical process on) */
    char scenario[128];        /* run --scenario NAME: its controls apply; "" = baseline */
    const AdvectScheme *scheme;
    double cfl_max, kz_min;
    char **met_files;
    int nmet;
    double tracer_molar_mass;
    int all_layers, average;
    int deflate;                 /* [output] deflate: zlib level of conc_* and diag_* (0: none) */
    int nout;
    int *out_species;
} RunConfig;

/* The meteorology at a few recent times, least recently used replaced.  A sync step asks for t,
 * t+dt/4, t+dt/2, t+3dt/4 and t+dt (the next step's t); the advection holds three of them at once
 * (both ends of its half step and the middle), so three slots are the fewest that work, and
 * they interpolate each field once, as five did (counted: 1211 field interpolations on the
 * 30-km case over 3 h either way).  Each slot holds every field of the grid: 3 rather than 5
 * took the 4-km case's peak memory from 841 to 761 MB. */
#define MET_CACHE 3
#define MET_MAX_CELLS 1024
typedef struct MetCache {
    MetFields f[MET_CACHE];
    double t[MET_CACHE];
    unsigned have[MET_CACHE];  /* MET_* fields interpolated at t[] on the whole grid */
    unsigned have_rows[MET_CACHE]; /* MET_* fields interpolated at t[] on the rows of runs only */
    long used[MET_CACHE];
    long clock;
    /* A rank of a distributed run (restricted) interpolates the column fields only on the cell
     * rows runs[2r] .. runs[2r+1]-1, r < nruns (its block's rows) and on the columns cells[]
     * (j * nx + i: its point sources', for their plume rise); model_met_rows.  More than
     * MET_MAX_CELLS columns lift the restriction. */
    int restricted, nruns, ncells;
    int runs[2];
    int cells[MET_MAX_CELLS];
} MetCache;

struct Model;
/* A process behind one small interface: the driver calls step() in the splitting sequence;
 * step() reads the met through model_met() and writes only the State. */
typedef struct Process {
    const char *name;
    int on;
    int (*step)(struct Model *m, double t, double dt, BgErr *e);
    double seconds;            /* wall time spent */
    long calls;
} Process;

typedef struct Model {
    Config cfg;
    char config_hash[17];
    char *config_text;
    RunConfig rc;
    Grid grid;
    Met met;
    MetCache cache;
    State state;
    StateSpecies *species;              /* [nspec] from the configuration */
    int nspec;
    ValueProfile *init_prof, *bc_prof;  /* [nspec]; n == 0: not given */
    char init_file[1024];
    double *bc_west, *bc_east, *bc_south, *bc_north, *bc_top;
    BcFile bcf;                         /* [boundary] file */
    int has_bcf;
    double *tally_in, *tally_out;       /* [nspec] per step (kg air * mixing ratio) */
    AdvectWork *adv;
    VdiffWork *vdiff;
    Process advection, diffusion, emissions, chemistry, wetdep;
    /* the chemical model (rc.full) */
    int ntrans;                         /* transported species: state species 0..ntrans-1 */
    int i_pm25, i_pm10;                 /* diagnosed totals in the state (not transported), or -1 */
    int *is_mass;                       /* [nspec] aerosol: configuration values in ug m-3 */
    int *out_mass;                      /* [nspec] output as ug m-3 */
    SpeciesTable tab;
    int *tab_map;                       /* [tab.n] state index of each table species */
    ChemMech mech;
    ChemProc *chem;
    Sources src;
    int has_src;
    char inv_path[1024], prof_path[1024], pts_path[1024];
    Region *regions;
    int nreg;
    ControlSet ctl;                     /* the controls of rc.scenario */
    int has_ctl;
    SpecExtra *extra;                   /* [tracers] emit.T = X */
    const char **model_names;           /* [ntrans] */
    double *model_mm;                   /* [ntrans] kg mol-1 */
    int nextra;
    double *sflux;                      /* [ntrans][ny*nx] surface emission, kg air * mol mol-1 s-1 */
    double *vdep;                       /* [ntrans][ny*nx] dry-deposition conductance, kg s-1 */
    double *removed;                    /* [ntrans] deposited in the last call (kg air * mol mol-1) */
    double *emis_kg;                    /* [ntrans] point-source kg of the last call */
    double *chg;                        /* [nspec] chemical change (kg air * mol mol-1) */
    double *dd_henry, *dd_f0, *dd_diam; /* [ntrans] deposition parameters (diam > 0: aerosol) */
    WetSpecies *wet;                    /* [ntrans] */
    int *wet_on;                        /* [ntrans] */
    double *wet_rate;                   /* per thread [nthreads][ntrans * nz] */
    double *rho_out;                    /* [nz][ny][nx] dry-air density at the state time (output) */
    int *out_asmass;                    /* [nout] */
    long chem_failed, chem_retried;
    StationSet *stations;               /* [stations] file: stations.csv, daily_city.csv */
    RestartArray st_arr;                /* its accumulators in the restart */
    /* [output] diagnostics: emission, dry and wet deposition fluxes */
    int diag_on;
    State dstate;                       /* 1 layer; fields EMIS_s, DRYDEP_s, WETDEP_s (kg m-2 s-1) */
    Output dout;
    double *dg;                         /* [3][ntrans][ny*nx] kg of species during the current step */
    char (*dnames)[48];
    const char **dunits, **dlong, **dstd;
    int *dspec;
    double dmeta[3];                    /* dout's nsamples, acc_start, last_sample for the restart */
    RestartArray rarr[5];               /* stations, diag accumulators, diag meta, chem_h, adv_pending */
    double adv_pending;                 /* 1: the state's last advection half is still to come
                                         * (a checkpoint written on a signal between merged
                                         * advection halves; driver.c) */
    int max_sub;                        /* largest advection sub-step count seen */
    double air_time;                    /* the state's air mass is the met's at this time: the end
                                         * of the last advection (state.time between steps) */
    double met_seconds, io_seconds;     /* wall time in met reading/interpolation and output */
    Output out;
    Budget budget;
    FILE *log;
    int resume;
    double t_cont;                      /* time the run continues from (== t_start if fresh) */
    struct Model *met_from;             /* in a group: the member that provides the met */
    int met_borrowed;                   /* set up by model_setup_member: no met of its own */
    int distributed;                    /* bogda run under mpirun: the grid is split over the ranks */
    const ParDecomp *dec;               /* this rank's rows (set by the driver; NULL: all) */
} Model;

/* Reads the configuration (with --set overrides), validates it and every input it names, and
 * builds grid, met, state and processes.  Nothing is written. */
int model_setup(Model *m, const char *config_path, char *const *overrides, int noverrides,
                int resume, const char *scenario, BgErr *e);
/* model_setup for a member of a batch group whose leader lead (set up by model_setup from the same
 * configuration) has validated the inputs already: where the member's meteorology files, run
 * window and grid are lead's, it reads the meteorology through lead (met_from) and opens none of
 * its own, and where its inventory, profiles and point-source files are lead's, it borrows lead's
 * loaded copies instead of reading, validating and regridding them again (docs/batch.md: ~2 s
 * and one met cache per member on the 4-km case).  Anything else is set up as by model_setup.
 * lead must stay set up while m is used; model_free(m) does not touch what m borrowed, so the
 * two may be freed in either order.  lead NULL: model_setup. */
int model_setup_member(Model *m, Model *lead, const char *config_path, char *const *overrides,
                       int noverrides, int resume, const char *scenario, BgErr *e);
/* Runs from the initial (or restart) time to the end; writes outputs, restarts, budget, log. */
int model_run(Model *m, BgErr *e);
/* Runs k set-up members (the same configuration but for the scenario and the output directory)
 * together, sharing the meteorology, advection and diffusion (model/driver.c); each member's
 * outputs are those of its run alone, bit for bit.  A member that fails (errs[i].code) drops
 * out and the others go on.  Returns nonzero (with e) only for a failure of the shared part, in
 * which case every member has failed. */
int model_run_group(Model **ms, int k, BgErr *errs, BgErr *e);
/* Nonzero once SIGTERM or SIGINT arrived (the run wrote its checkpoints and stopped). */
int model_stop_requested(void);
void model_free(Model *m);

/* A path of the configuration, relative to the configuration file's directory. */
void model_resolve_path(const Model *m, const char *p, char *out, size_t n);

/* What a run checks only when it starts writing, for `bogda check`: the output directory (not a
 * file) and the station list on the grid (BG_EFAIL / BG_EINPUT, as the run reports them). */
int model_check_outputs(Model *m, BgErr *e);
/* The station list of [stations] file on m's grid and run window, sampling those of PM25, PM10,
 * SO2, NO2, CO, O3, PSO4, PNO3, PNH4, PBC, POC that m carries (the GB 3095 products; chemical
 * model only): *out = NULL when there is none. */
int model_open_stations(Model *m, StationSet **out, BgErr *e);

/* Met fields at time t (cached). */
const MetFields *model_met(Model *m, double t, BgErr *e);
/* Only the MET_* fields of mask are valid in the result (the advection's quarter-step times
 * need only the face fluxes and what the boundary values use). */
const MetFields *model_met_mask(Model *m, double t, unsigned mask, BgErr *e);
/* On a rank of a distributed run (model_met_rows) the fields other than the air mass and the face
 * fluxes (which line_fracs and mass_after read on whole lines) are current only on the rank's rows,
 * unless the request has MET_WHOLE: what the column processes of the block read.  A request that
 * reads the whole grid (the boundary values, the output density, the stations) says MET_WHOLE. */
#define MET_WHOLE (1u << 30)
/* Where a distributed rank needs the column fields: rows [j0, j1) (j0 < 0: the whole grid, which
 * also ends the restriction); model_met_add_column adds the column (j, i) (a point source's, for
 * its plume rise).  Both act on the model that owns the met (met_from). */
void model_met_rows(Model *m, int j0, int j1);
void model_met_add_column(Model *m, int j, int i);

#endif
