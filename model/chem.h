/* Gas chemistry: the Generic Reaction Set (Azzi, Johnson & Cope 1992) for O3/NOx plus the
 * night-time NO3/N2O5 chain, N2O5 hydrolysis on aerosol and fog, OH + NO2 and OH + SO2 (IUPAC)
 * and aqueous SO2 oxidation (DESIGN 4.2).  Reactions are a table (reactants, products, a rate
 * function) with a generic rate law and analytic Jacobian; RP is in steady state (the quadratic
 * of DESIGN 4.2) and OH is diagnosed from the photolysis frequencies.  Integrated per cell by
 * ROS3 (rosenbrock.h).  docs/chemistry.md: the reactions, units and sources.
 *
 * Concentration vector: one value per species of the SpeciesTable, in table order, in ppb
 * (nmol per mol of dry air) for gases AND aerosol (aerosol in ppb of the molecule named: PSO4 as
 * SO4, PNO3 as NO3), so that nitrogen and sulfur balance in one unit.  ROC is in ppb of carbon. */
#ifndef BOGDA_CHEM_H
#define BOGDA_CHEM_H

#include "config.h"
#include "err.h"
#include "photolysis.h"
#include "rosenbrock.h"
#include "species.h"

/* The species the mechanism uses (all must be in the table).  The order is the solver's: species
 * that only feed others (ROC, SO2) first and pure products last, so that the sparse LU of the
 * Rosenbrock matrix has no fill-in outside the NO-NO2-O3-NO3-N2O5 core. */
enum {
    CH_ROC, CH_SO2, CH_NO, CH_NO2, CH_O3, CH_NO3, CH_N2O5, CH_HNO3, CH_PSO4, CH_PNO3,
    CH_NSPEC,
    CH_RP = CH_NSPEC /* the steady-state radical pool of the GRS (not in the vector) */
};
#define CHEM_MAX_REACTIONS 32
#define CHEM_MAX_TERMS 512
#define CHEM_MAX_PM 64
#define CHEM_ONE (CH_NSPEC)       /* slot holding 1 (no reactant) */
#define CHEM_RPSLOT (CH_NSPEC + 1) /* slot holding the steady-state RP */
extern const char *const chem_species_names[CH_NSPEC];

/* The environment of one cell over one chemistry step (held constant over the step). */
typedef struct ChemEnv {
    double T;          /* K */
    double p;          /* Pa */
    double M;          /* air number density, molecule cm-3 (chem_env_init) */
    double rh;         /* relative humidity, 0..1 */
    double lwc;        /* cloud/fog liquid water content, g m-3 */
    PhotRates j;       /* photolysis frequencies, s-1 */
    double oh;         /* OH, molecule cm-3 (chem_env_init, from j) */
    double k_n2o5_het; /* N2O5 -> 2 HNO3 on aerosol and droplets, s-1 (chem_env_heterogeneous) */
    double k_so2_aq;   /* SO2 -> sulfate in cloud/fog/aerosol water, s-1 (chem_env_heterogeneous) */
} ChemEnv;

/* What the rate functions see: the environment and the quantities every rate needs once. */
typedef struct ChemKin {
    const ChemEnv *env;
    double T, M;   /* K, molecule cm-3 */
    double ppb;    /* 1e-9 M: cm3 molecule-1 s-1 -> ppb-1 s-1 */
    double fp;     /* p / 101325: the GRS pressure scaling */
    double ln_t;   /* ln(T / 300) for the (T/300)^n factors */
} ChemKin;
typedef double (*ChemRateFn)(const ChemKin *k);

typedef struct ChemReaction {
    const char *label;    /* R1..R7 (GRS), N1.. (NOy), O1.. (OH), H1 (heterogeneous), A1 */
    const char *equation; /* for listings */
    int nreac, reac[2];   /* CH_* indices or CH_RP */
    int nprod, prod[3];
    double yield[3];
    ChemRateFn k;         /* s-1 (first order) or ppb-1 s-1 (second order) */
} ChemReaction;

extern const ChemReaction chem_reactions[];
extern const int chem_nreactions;

typedef struct ChemMech {
    int nspec;              /* species in the table (length of the concentration vector) */
    int idx[CH_NSPEC];      /* table index of each mechanism species */
    /* chem_reactions compiled by chem_mech_init into flat, branch-free lists (as KPP does):
     * slots 0..CH_NSPEC-1 are the species, CHEM_ONE holds 1 and CHEM_RPSLOT the steady RP */
    int nr;
    int slot[CHEM_MAX_REACTIONS][2];     /* rate = k c[slot0] c[slot1] */
    int nrp, rp_r[CHEM_MAX_REACTIONS];   /* reactions with a net RP yield ... */
    int rp_q[CHEM_MAX_REACTIONS];        /* ... their RP order ... */
    double rp_nu[CHEM_MAX_REACTIONS];    /* ... and net RP yield */
    int nrpdep, rpdep[CH_NSPEC];         /* species the steady-state RP depends on */
    int nrt, rt_r[CHEM_MAX_TERMS], rt_s[CHEM_MAX_TERMS]; /* dc_s/dt += coef rate_r */
    double rt_c[CHEM_MAX_TERMS];
    int njt, jt_pos[CHEM_MAX_TERMS], jt_r[CHEM_MAX_TERMS]; /* jac[pos] += coef k_r c[m] d[d] */
    int jt_m[CHEM_MAX_TERMS], jt_d[CHEM_MAX_TERMS];
    double jt_c[CHEM_MAX_TERMS];
    unsigned char pattern[CH_NSPEC * CH_NSPEC]; /* nonzeros of the Jacobian */
    double rtol, atol;      /* solver tolerances (relative; absolute in ppb) */
    double h0;              /* first trial step, s (0: the whole chemistry step); 20 s */
    double h_carry_rej;     /* the carried step after a call with a rejection: this times the
                             * controller's last proposal (chem_integrate_cells_qm's h); 0.3 */
    double hmin;            /* s */
    int max_steps;
    double oh_scale;        /* multiplies the parameterised OH */
    /* table indices for chem_env_heterogeneous_m (-1 if absent): PSO4, PNO3, O3, and the
     * aerosol species of PM2.5 (every aerosol species except PMC), in table order */
    int i_pso4, i_pno3, i_o3;
    int npm, pm_idx[CHEM_MAX_PM];
} ChemMech;

/* Resolves the mechanism species in the table (BG_EINPUT naming the table and the species if
 * one is missing) and sets the production tolerances. */
int chem_mech_init(ChemMech *m, const SpeciesTable *t, BgErr *e);
/* Reads [chemistry] rtol, atol, oh_scale (BG_ECONFIG on bad values). */
int chem_configure(ChemMech *m, const Config *cfg, BgErr *e);

/* Sets T, p, rh, lwc, the photolysis frequencies, M = p / (k_B T) and OH; zeroes the
 * heterogeneous rates. */
void chem_env_init(ChemEnv *env, const ChemMech *m, double T, double p, double rh, double lwc,
                   const PhotRates *j);
/* Moves env (made by chem_env_init) to another cell of the same column: sets T, p, M, rh, lwc and
 * zeroes the heterogeneous rates, keeping the photolysis frequencies and OH (functions of the
 * light alone), exactly as chem_env_init would set them. */
void chem_env_set_cell(ChemEnv *env, double T, double p, double rh, double lwc);
/* The heterogeneous and aqueous rates from the cell's aerosol (c: all table species, ppb) and
 * liquid water: N2O5 hydrolysis k = cbar/4 (gamma_aer S_aer + gamma_drop S_drop) and the
 * first-order aqueous SO2 oxidation: the formulas of aerosol.h's functions, evaluated in the
 * lane kernels of chem_cells_rates with chem_exp / chem_log (within 1e-14 relative of the libm
 * functions, test_chem).  PM2.5 is every aerosol species of the table except the coarse PMC. */
void chem_env_heterogeneous(ChemEnv *env, const SpeciesTable *t, const double *c);
/* The same, with the table indices looked up once by chem_mech_init (no name search per cell);
 * t must be the table m was made from. */
void chem_env_heterogeneous_m(ChemEnv *env, const ChemMech *m, const SpeciesTable *t, const double *c);
/* The same with aerosol.c's libm functions, as before issue 7 round 4 (the reference of
 * test_chem: the lane version above agrees with it to 1e-14 relative). */
void chem_env_heterogeneous_ref(ChemEnv *env, const ChemMech *m, const SpeciesTable *t, const double *c);
/* Relative humidity (0..1, clamped) from the water-vapour mixing ratio qv (kg kg-1), T (K) and
 * p (Pa): vapour pressure qv p / (0.622 + qv) over the saturation pressure of Bolton (1980, Mon.
 * Wea. Rev. 108, 1046, eq. 10), with chem_exp.  chem_rh_n does n cells in vector lanes, each
 * the bits chem_rh gives it. */
double chem_rh(double qv, double T, double p);
void chem_rh_n(int n, const double *qv, const double *T, const double *p, double *rh);

/* aerosol_kp_nh4no3 (ppb^2) of n cells (T in K, rh 0..1) in vector lanes, with chem_exp / chem_log
 * for libm's exp, log and pow: within 1e-14 relative of aerosol_kp_nh4no3 (test_chem), each cell's
 * value depending on the cell alone.  For aerosol_inorganic_eq_kp (chemproc). */
void chem_kp_nh4no3_n(int n, const double *T, const double *rh, double *kp);
/* n cells given as arrays (e.g. one level of a model row): T, p, rh, lwc (K, Pa, 0..1, g m-3),
 * the photolysis frequencies and OH (oh_scale applied) of each cell, and the table species of
 * cell i at c[q * ldc + i] (ppb). */
typedef struct ChemCells {
    const double *T, *p, *rh, *lwc;
    const double *jno2, *jno3_no2, *jno3_no, *oh;
    const double *c;
    size_t ldc;
} ChemCells;
/* The rate constants of the n cells into k[i * chem_nreactions + r], heterogeneous rates and
 * all, in vector lanes: each cell gets the bits that chem_env_init (with these T, p, rh, lwc,
 * photolysis and OH), chem_env_heterogeneous_m and chem_rate_constants give it alone. */
void chem_cells_rates(const ChemMech *m, const SpeciesTable *t, int n, const ChemCells *in, double *k);
/* The same bits in the lane-major layout of the rate kernel, k[r * ldk + i] (ldk >= n): written
 * as computed, without the transpose into per-cell vectors (for chem_integrate_cells_lm). */
void chem_cells_rates_lm(const ChemMech *m, const SpeciesTable *t, int n, const ChemCells *in, double *k,
                         size_t ldk);
/* Only the rows of the reactions whose rate constants depend on the cells' concentrations
 * (chem_reaction_needs_conc: the heterogeneous N2O5 and aqueous SO2 rates, which read the
 * aerosol and O3) in that layout, the same bits as chem_cells_rates_lm writes there; the other
 * rows, functions of T, p, the light and OH alone, are left as they are.  For a batch group's
 * members, whose meteorology is the same (chemproc.h, ChemShare); in->jno2 ... oh are not read. */
void chem_cells_het_lm(const ChemMech *m, const SpeciesTable *t, int n, const ChemCells *in, double *k,
                       size_t ldk);
/* 1 if reaction r's rate constant depends on the concentrations (chem_cells_het_lm writes it). */
int chem_reaction_needs_conc(int r);
/* OH (molecule cm-3) from the photolysis frequencies (Ehhalt & Rohrer 2000, docs/chemistry.md). */
double chem_oh(const PhotRates *j);

/* Troe fall-off rate constant, cm3 molecule-1 s-1 (or s-1 for a decomposition whose k0 is in
 * cm3 molecule-1 s-1 and kinf in s-1) at number density M (IUPAC form, DESIGN 4.2). */
double chem_troe(double k0, double kinf, double fc, double M);

/* Rate constants of every reaction (ppb-based units) for env into k[chem_nreactions].  The
 * exponentials and logarithms are chem_exp / chem_log (vectorisable, within 2 ulp of libm):
 * every k is within 1e-14 relative of chem_rate_constants_ref, which evaluates the table's rate
 * functions with libm (test_chem).  chem_rate_constants_n does n cells (env[c] into
 * k[c * chem_nreactions + r]) ROS_W at a time in vector lanes, each cell's values the same bits
 * as chem_rate_constants gives it alone. */
void chem_rate_constants(const ChemEnv *env, double *k);
void chem_rate_constants_n(const ChemEnv *env, int n, double *k);
void chem_rate_constants_ref(const ChemEnv *env, double *k);
/* exp (|x| <= 700) and log (positive normal x) as plain arithmetic that loops over cells
 * vectorise; within 2 ulp of glibc's (test_chem). */
double chem_exp(double x);
double chem_log(double x);
/* The steady-state RP (ppb) of the concentrations c (mechanism order, CH_NSPEC values). */
double chem_rp(const ChemMech *m, const double *k, const double *c);
/* d c / dt (ppb s-1) of the mechanism species (CH_NSPEC values, mechanism order) and its
 * Jacobian jac[i * CH_NSPEC + j] = d(dc_i/dt)/dc_j. */
void chem_rhs(const ChemMech *m, const double *k, const double *c, double *dcdt);
void chem_jacobian(const ChemMech *m, const double *k, const double *c, double *jac);

/* Per-thread workspace, made once (no allocation per cell). */
typedef struct ChemWork ChemWork;
ChemWork *chem_work_create(const ChemMech *m);
void chem_work_free(ChemWork *w);
/* on = 1 (the default): each ROS3 attempt of the lane solver is one fused kernel
 * (RosLaneOps.attempt); 0: the separate f, J, LU and stage kernels with the driver's own norm,
 * the reference the fused kernel is tested against (the same bits). */
void chem_work_fused(ChemWork *w, int on);

typedef struct ChemStats {
    RosStats ros;
    long cells, retried, failed;
} ChemStats;

/* Adds the counts of a to st (ros.h_next and ros.h_last are not counts and are left alone). */
void chem_stats_add(ChemStats *st, const ChemStats *a);

enum { CHEM_OK = 0, CHEM_RETRIED = 1, CHEM_FAILED = 2 };

/* Advances the concentration vector c (all table species, ppb) by dt seconds of chemistry with
 * an optional source src (ppb s-1 per table species, NULL for none; species outside the
 * mechanism get c += src dt).  Returns CHEM_OK; CHEM_RETRIED when ROS3 failed over dt and
 * succeeded on 4, 16 or 64 sub-intervals (the caller reports the cell and time); CHEM_FAILED
 * when every retry failed, with c unchanged.  Bitwise reproducible, thread safe with one
 * ChemWork per thread.  st (may be NULL) accumulates counts. */
int chem_integrate(const ChemMech *m, const ChemEnv *env, double *c, const double *src, double dt,
                   ChemWork *w, ChemStats *st);

/* Advances n cells at once: y[c * CH_NSPEC + s] (mechanism order, ppb) in place, with their
 * rate constants k[c * chem_nreactions + r] (chem_rate_constants) and sources src (NULL, or
 * [c * CH_NSPEC + s] ppb s-1).  status[c] as chem_integrate returns it (y of a CHEM_FAILED cell
 * unchanged).  The cells run ROS_W at a time in the lanes of ros3_integrate_w; each cell's
 * result is bitwise what it gets alone (chem_integrate is the one-cell case), so it depends on
 * nothing outside the cell.  st (may be NULL) accumulates counts. */
void chem_integrate_cells(const ChemMech *m, int n, double *y, const double *k, const double *src,
                          double dt, ChemWork *w, int *status, ChemStats *st);
/* The same with the rate constants of cell c at k[r * ldk + c] (chem_cells_rates_lm's layout):
 * the same bits. */
void chem_integrate_cells_lm(const ChemMech *m, int n, double *y, const double *k, size_t ldk,
                             const double *src, double dt, ChemWork *w, int *status, ChemStats *st);
/* The same with the concentrations species-major too, y[s * ld + c], the rate constants at
 * k[r * ld + c], and no sources (chemproc's queue: its rows copied to and from the State's level
 * rows without a transpose, round 7): the same bits. */
void chem_integrate_cells_qm(const ChemMech *m, int n, double *y, const double *k, size_t ld, double dt,
                             double *h, ChemWork *w, int *status, ChemStats *st);
/* h (may be NULL: every cell starts at m->h0): per cell the step size carried from its previous
 * call (s; 0: none), in and out.  In: a cell with h[c] > 0 starts at min(max(h[c], m->h0), dt), a
 * cell with 0 at m->h0.  Out: the larger of the step the controller proposed after the last step
 * and the one it had proposed before cutting that step to land on dt (RosStats.h_next, h_last),
 * times m->h_carry_rej if the call rejected a step; 0 for a cell that failed or was retried on
 * sub-intervals (its next call starts at m->h0 again).  A cell's result depends on its own h[c]
 * alone, not on its neighbours or lane (docs/chemistry.md, "Carried step size").
 * chem_integrate_cells_h is chem_integrate_cells with it. */
void chem_integrate_cells_h(const ChemMech *m, int n, double *y, const double *k, const double *src,
                            double dt, double *h, ChemWork *w, int *status, ChemStats *st);

/* Nitrogen and sulfur atoms (ppb) in a concentration vector (N2O5 counts twice). */
double chem_nitrogen(const SpeciesTable *t, const double *c);
double chem_sulfur(const SpeciesTable *t, const double *c);
/* Dry PM2.5 (ug m-3 at T, p): every aerosol species except PMC. */
double chem_pm25(const SpeciesTable *t, const double *c, double T, double p);

#endif
