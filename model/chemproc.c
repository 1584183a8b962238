#include "chemproc.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "aerosol.h"
#include "photolysis.h"

struct ChemProc {
    const ChemMech *mech;
    const SpeciesTable *tab;
    int ntab, nx, ny, nz, nspec_state;
    int do_chem, do_aerosol;
    int *map;                 /* [ntab] state index of each table species */
    int i_nh3, i_pnh4, i_hno3, i_pno3, i_pso4; /* table indices (-1 if absent) */
    int nthreads;
    ChemWork **work;          /* per thread */
    /* per thread: the chemistry's vectors (ntab values, ppb) of one level of a row (nx cells,
     * small enough to stay in cache while the State rows are transposed into it and back);
     * for the whole row j (nx * nz cells, level by level): the mechanism vectors, rate
     * constants, relative humidity, status */
    double **c, **y, **k, **rh;
    int **status;
    /* per thread, for one level of a row: the loaded species, species-major (lv[q * nx + i], ppb,
     * so that the rate kernels read them in lanes), the new values of the species chemistry and
     * aerosol change (nv, same layout), the liquid water; per column of the row the photolysis
     * frequencies and OH (col[4 * nx]) */
    double **nv, **lwc, **col;
    double **kp;              /* per thread: the NH4NO3 Kp of one level of a row (nx cells) */
    double **hq;              /* per thread: the queue's carried step sizes (State.chem_h) */
    int nload, *load;         /* table species read from the State (mechanism and PM2.5) */
    int nmod, *mod;           /* table species the chemistry or the aerosol may change */
    ChemStats *stats;         /* per thread: solver counts since chemproc_create (diagnostics) */
    double *row_change;       /* [ny][chunk][nspec_state]: per chunk of PAR_CHUNK columns */
    long *row_failed, *row_retried, *row_first;
    const ParDecomp *dec;     /* a distributed run: this rank's rows (NULL: all) */
    ChemShare *share;         /* a batch group's met-only quantities (NULL: none) */
};

/* What a step's chemistry computes from the met alone, for this rank's block, row by row:
 * the rate constants in the solver's queue layout (per row nq queues of NR x ldk; the two
 * concentration-dependent rows are rewritten by every member before it solves), the relative
 * humidity and the NH4NO3 Kp per cell (per row nz x nw). */
struct ChemShare {
    int ja, jb, ia, ib, nz, nlev, nq, do_chem;
    size_t ldk;
    double *k, *rh, *kp;
    int valid;                /* filled by the step of time t, dt */
    double t, dt;
};

void chemproc_set_decomp(ChemProc *p, const ParDecomp *d) { p->dec = d; }

/* the queue of chemproc_step: whole levels of a row, at least QUEUE_CELLS cells */
#define QUEUE_CELLS 800
static int queue_levels(int nw, int nz) { return nw > 0 ? (QUEUE_CELLS + nw - 1) / nw : nz; }

ChemShare *chemproc_share_create(const ChemProc *p)
{
    ChemShare *sh = calloc(1, sizeof *sh);
    if (!sh) return NULL;
    sh->ja = p->dec ? p->dec->bj0 : 0;
    sh->jb = p->dec ? p->dec->bj1 : p->ny;
    sh->ia = p->dec ? p->dec->bi0 : 0;
    sh->ib = p->dec ? p->dec->bi1 : p->nx;
    sh->nz = p->nz;
    const int nw = sh->ib - sh->ia, nr = sh->jb - sh->ja;
    sh->nlev = queue_levels(nw, p->nz);
    sh->nq = (p->nz + sh->nlev - 1) / sh->nlev;
    sh->ldk = (size_t)(sh->nlev < p->nz ? sh->nlev : p->nz) * nw;
    sh->do_chem = p->do_chem;
    const size_t ncell = (size_t)nr * p->nz * nw;
    if (p->do_chem) sh->k = malloc(((size_t)nr * sh->nq * chem_nreactions * sh->ldk + 1) * sizeof *sh->k);
    sh->rh = malloc((ncell + 1) * sizeof *sh->rh);
    sh->kp = malloc((ncell + 1) * sizeof *sh->kp);
    if ((p->do_chem && !sh->k) || !sh->rh || !sh->kp) {
        chemproc_share_free(sh);
        return NULL;
    }
    return sh;
}

void chemproc_share_free(ChemShare *sh)
{
    if (!sh) return;
    free(sh->k);
    free(sh->rh);
    free(sh->kp);
    free(sh);
}

void chemproc_share_begin(ChemShare *sh)
{
    if (sh) sh->valid = 0;
}

int chemproc_share_compatible(const ChemProc *a, const ChemProc *b)
{
    if (a->nx != b->nx || a->ny != b->ny || a->nz != b->nz || a->do_chem != b->do_chem ||
        a->do_aerosol != b->do_aerosol || a->dec != b->dec)
        return 0;
    /* the met-only rates see the parameterised OH's scale; nothing else of the mechanism */
    return !a->do_chem || a->mech->oh_scale == b->mech->oh_scale;
}

void chemproc_set_share(ChemProc *p, ChemShare *sh) { p->share = sh; }

const ChemShare *chemproc_share_of(const ChemProc *p) { return p->share; }

void chemproc_stats(const ChemProc *p, ChemStats *st)
{
    memset(st, 0, sizeof *st);
    for (int t = 0; t < p->nthreads; t++) chem_stats_add(st, &p->stats[t]);
}

/* chem_rh: Bolton (1980) with chem_exp, the function the chemistry's lanes (chem_rh_n) evaluate,
 * so that the aerosol here and processes.c see the same relative humidity bit for bit */
double chemproc_rh(double qv, double T, double p) { return chem_rh(qv, T, p); }

ChemProc *chemproc_create(const ChemMech *mech, const SpeciesTable *tab, const int *map,
                          const Grid *g, int do_chem, int do_aerosol, BgErr *e)
{
    ChemProc *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->mech = mech;
    p->tab = tab;
    p->ntab = tab->n;
    p->nx = g->nx;
    p->ny = g->ny;
    p->nz = g->nz;
    p->do_chem = do_chem;
    p->do_aerosol = do_aerosol;
    int maxs = 0;
    p->map = malloc((size_t)tab->n * sizeof *p->map);
    if (!p->map) { chemproc_free(p); return NULL; }
    for (int t = 0; t < tab->n; t++) {
        p->map[t] = map[t];
        if (map[t] + 1 > maxs) maxs = map[t] + 1;
    }
    p->nspec_state = maxs;
    p->i_nh3 = species_find(tab, "NH3");
    p->i_pnh4 = species_find(tab, "PNH4");
    p->i_hno3 = species_find(tab, "HNO3");
    p->i_pno3 = species_find(tab, "PNO3");
    p->i_pso4 = species_find(tab, "PSO4");
    if (do_aerosol && (p->i_nh3 < 0 || p->i_pnh4 < 0 || p->i_hno3 < 0 || p->i_pno3 < 0 || p->i_pso4 < 0)) {
        bg_fail(e, BG_EINPUT, tab->path, NULL, "the aerosol needs NH3, PNH4, HNO3, PNO3 and PSO4 in the species table");
        chemproc_free(p);
        return NULL;
    }
    p->nthreads = omp_get_max_threads();
    p->work = calloc((size_t)p->nthreads, sizeof *p->work);
    p->c = calloc((size_t)p->nthreads, sizeof *p->c);
    p->y = calloc((size_t)p->nthreads, sizeof *p->y);
    p->k = calloc((size_t)p->nthreads, sizeof *p->k);
    p->rh = calloc((size_t)p->nthreads, sizeof *p->rh);
    p->status = calloc((size_t)p->nthreads, sizeof *p->status);
    p->nv = calloc((size_t)p->nthreads, sizeof *p->nv);
    p->lwc = calloc((size_t)p->nthreads, sizeof *p->lwc);
    p->col = calloc((size_t)p->nthreads, sizeof *p->col);
    p->kp = calloc((size_t)p->nthreads, sizeof *p->kp);
    p->hq = calloc((size_t)p->nthreads, sizeof *p->hq);
    p->load = calloc((size_t)tab->n, sizeof *p->load);
    p->mod = calloc((size_t)tab->n, sizeof *p->mod);
    p->stats = calloc((size_t)p->nthreads, sizeof *p->stats);
    p->row_change = calloc((size_t)g->ny * par_nchunks(g->nx) * (maxs > 0 ? maxs : 1), sizeof *p->row_change);
    p->row_failed = calloc((size_t)g->ny, sizeof *p->row_failed);
    p->row_retried = calloc((size_t)g->ny, sizeof *p->row_retried);
    p->row_first = calloc((size_t)g->ny, sizeof *p->row_first);
    int ok = p->work && p->c && p->y && p->k && p->rh && p->status && p->nv && p->lwc && p->col && p->kp && p->hq && p->load && p->mod && p->stats && p->row_change && p->row_failed && p->row_retried && p->row_first;
    for (int t = 0; ok && t < p->nthreads; t++) {
        p->work[t] = chem_work_create(mech);
        const size_t nrow = (size_t)g->nx * g->nz;
        p->c[t] = malloc((size_t)g->nx * tab->n * sizeof(double));
        p->y[t] = malloc(nrow * CH_NSPEC * sizeof(double));
        p->k[t] = malloc(nrow * chem_nreactions * sizeof(double));
        p->rh[t] = malloc(nrow * sizeof(double));
        p->status[t] = malloc(nrow * sizeof(int));
        p->nv[t] = malloc((size_t)g->nx * tab->n * sizeof(double));
        p->lwc[t] = malloc((size_t)g->nx * sizeof(double));
        p->col[t] = malloc((size_t)g->nx * 4 * sizeof(double));
        p->kp[t] = malloc((size_t)g->nx * sizeof(double));
        p->hq[t] = malloc(nrow * sizeof(double));
        ok = p->work[t] && p->c[t] && p->y[t] && p->k[t] && p->rh[t] && p->status[t] && p->nv[t] && p->lwc[t] && p->col[t] && p->kp[t] && p->hq[t];
    }
    if (ok) {
        /* only what is used is read and written: the mechanism species and PM2.5 (the
         * heterogeneous rates) in, the mechanism species and the aerosol's NH3 / PNH4 out; the
         * others (CO, PMC, tracers) are left alone, as the full copy left them unchanged */
        for (int q = 0; q < tab->n; q++) {
            int inmech = 0, pm = 0;
            for (int r = 0; r < CH_NSPEC; r++) inmech |= mech->idx[r] == q;
            for (int r = 0; r < mech->npm; r++) pm |= mech->pm_idx[r] == q;
            const int aer = do_aerosol && (q == p->i_nh3 || q == p->i_pnh4 || q == p->i_hno3 || q == p->i_pno3 || q == p->i_pso4);
            if ((do_chem && (inmech || pm)) || aer) p->load[p->nload++] = q;
            if ((do_chem && inmech) || aer) p->mod[p->nmod++] = q;
        }
    }
    if (!ok) {
        bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory for the chemistry workspaces");
        chemproc_free(p);
        return NULL;
    }
    return p;
}

void chemproc_free(ChemProc *p)
{
    if (!p) return;
    for (int t = 0; p->work && t < p->nthreads; t++) chem_work_free(p->work[t]);
    for (int t = 0; t < p->nthreads; t++) {
        if (p->c) free(p->c[t]);
        if (p->y) free(p->y[t]);
        if (p->k) free(p->k[t]);
        if (p->rh) free(p->rh[t]);
        if (p->status) free(p->status[t]);
        if (p->nv) free(p->nv[t]);
        if (p->lwc) free(p->lwc[t]);
        if (p->col) free(p->col[t]);
        if (p->kp) free(p->kp[t]);
        if (p->hq) free(p->hq[t]);
    }
    free(p->work);
    free(p->c);
    free(p->y);
    free(p->k);
    free(p->rh);
    free(p->status);
    free(p->nv);
    free(p->lwc);
    free(p->col);
    free(p->kp);
    free(p->hq);
    free(p->load);
    free(p->mod);
    free(p->stats);
    free(p->map);
    free(p->row_change);
    free(p->row_failed);
    free(p->row_retried);
    free(p->row_first);
    free(p);
}

/* The species list[0..nl) of nw cells of one level, from offset off of the State, into lv (ppb,
 * species-major with stride nx: lv[q * nx + i]). */
static void level_load(const ChemProc *p, const State *s, size_t off, int nw, const int *list, int nl,
                       double *lv)
{
    const size_t ncell = state_ncell(s);
    for (int r = 0; r < nl; r++) {
        const int q = list[r];
        const double *src = s->q + (size_t)p->map[q] * ncell + off;
        double *dst = lv + (size_t)q * p->nx;
        for (int i = 0; i < nw; i++) dst[i] = src[i] * 1e9;
    }
}

/* Asks for the cache lines of level_load's rows ahead of use. */
static void level_prefetch(const ChemProc *p, const State *s, size_t off, int nw, const int *list, int nl)
{
    const size_t ncell = state_ncell(s);
    for (int r = 0; r < nl; r++) {
        const double *src = s->q + (size_t)p->map[list[r]] * ncell + off;
        for (int i = 0; i < nw; i += 8) __builtin_prefetch(src + i, 0, 3);
        __builtin_prefetch(src + nw - 1, 0, 3);
    }
}

void chemproc_step(ChemProc *p, const Grid *g, const MetFields *f, double t, double dt, State *s,
                   double *change, long *failed, long *retried, long *first_fail)
{
    const int nx = p->nx, ny = p->ny, nz = p->nz, ns = p->nspec_state;
    const size_t plane = (size_t)nx * ny, ncell = plane * nz;
    const int *idx = p->mech->idx;
    /* A row j is one queue of nx * nz cells for the lane solver (chem_integrate_cells), level by
     * level (i contiguous in the State): a cell's result depends on the cell alone, so neither
     * the row split nor the thread count changes a bit. */
    const int ja = p->dec ? p->dec->bj0 : 0, jb = p->dec ? p->dec->bj1 : ny;
    const int ia = p->dec ? p->dec->bi0 : 0, ib = p->dec ? p->dec->bi1 : nx, nw = ib - ia;
    const int dist = p->dec && p->dec->nranks > 1, nch = par_nchunks(nx);
    /* a batch group (ChemShare): the first member of the step computes the met-only quantities
     * into the share (put), the others take them from it (take) */
    ChemShare *sh = p->share;
    if (sh && (sh->ja != ja || sh->jb != jb || sh->ia != ia || sh->ib != ib || sh->nz != nz || sh->do_chem != p->do_chem))
        sh = NULL;
    const int take = sh && sh->valid && sh->t == t && sh->dt == dt, put = sh && !take;
    if (dist) {
        /* the other ranks' parts stay 0 here and arrive through the sums below */
        memset(p->row_change, 0, (size_t)ny * nch * ns * sizeof *p->row_change);
        memset(p->row_failed, 0, (size_t)ny * sizeof *p->row_failed);
        memset(p->row_retried, 0, (size_t)ny * sizeof *p->row_retried);
        for (int j = 0; j < ny; j++) p->row_first[j] = -1;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int j = ja; j < jb; j++) {
        const int th = omp_get_thread_num();
        double *lv = p->c[th], *nv = p->nv[th], *yb = p->y[th], *kb = p->k[th], *rhb = p->rh[th];
        double *lwc = p->lwc[th], *col = p->col[th], *kpl = p->kp[th];
        int *stb = p->status[th];
        double *hq = s->chem_h ? p->hq[th] : NULL;
        double *rc = p->row_change + (size_t)j * nch * ns;
        memset(rc + (size_t)(ia / PAR_CHUNK) * ns, 0, (size_t)par_nchunks(nw) * ns * sizeof *rc);
        long nfail = 0, nretry = 0;
        size_t first = ncell;
        double *jno2 = col, *jno3a = col + nx, *jno3b = col + 2 * nx, *oh = col + 3 * nx;
        /* the share's part of row j */
        const size_t srow = sh ? (size_t)(j - ja) * nz * nw : 0;
        double *sk = sh && sh->k ? sh->k + (size_t)(j - ja) * sh->nq * chem_nreactions * sh->ldk : NULL;
        if (p->do_chem && !take)
            for (int i = 0; i < nw; i++) {
                /* the photolysis frequencies and OH: functions of the light alone, once per column */
                const size_t cc = (size_t)j * nx + ia + i;
                PhotRates jr;
                photolysis_rates(t, g->lat[cc], g->lon[cc], f->swdown[cc], f->snowc[cc], &jr);
                jno2[i] = jr.jno2;
                jno3a[i] = jr.jno3_no2;
                jno3b[i] = jr.jno3_no;
                oh[i] = p->mech->oh_scale * chem_oh(&jr);
            }
        /* the solver's queue: a few levels at a time (>= QUEUE_CELLS cells), so that the State
         * rows read before the solver are still in cache when the results are written back (the
         * queue's tail, lanes idle while its last cells finish, costs ~1 % per queue) */
        const int nlev = queue_levels(nw, nz);
        /* the queue's rate constants lane-major, k[r * ldk + cell], as the rate kernel makes
         * them (round 6: no transpose out and back in) */
        const size_t ldk = (size_t)(nlev < nz ? nlev : nz) * nw; /* <= nx * nz: the buffer's size */
        for (int k0 = 0; k0 < nz; k0 += nlev) {
            const int k1 = k0 + nlev < nz ? k0 + nlev : nz;
            /* the queue's rate constants: the thread's own rows, or the share's */
            double *kq = sk ? sk + (size_t)(k0 / nlev) * chem_nreactions * ldk : kb;
            int n = 0;
            for (int k = k0; k < k1; k++, n += nw) {
                const size_t off = k * plane + (size_t)j * nx + ia;
                double *rhl = sh ? sh->rh + srow + (size_t)k * nw : rhb + n;
                if (!take) chem_rh_n(nw, f->qv + off, f->t + off, f->p + off, rhl);
                if (!p->do_chem) continue;
                level_load(p, s, off, nw, p->load, p->nload, lv);
                /* the next level's rows are 1.6 KB each, one per species and 4.6 MB apart: too short for
                 * the hardware prefetcher to pick up before they are done, so they are fetched while
                 * this level's rates are computed */
                if (k + 1 < nz) level_prefetch(p, s, off + plane, nw, p->load, p->nload);
                for (int i = 0; i < nw; i++) lwc[i] = f->qc[off + i] * f->rho[off + i] * 1e3; /* g m-3 */
                /* the level's environment, heterogeneous rates and rate constants in vector lanes
                 * (each cell's the bits it gets alone) */
                const ChemCells cells = {f->t + off, f->p + off, rhl, lwc, jno2, jno3a, jno3b, oh, lv, (size_t)nx};
                if (take) /* only the rates of this member's aerosol and O3 */
                    chem_cells_het_lm(p->mech, p->tab, nw, &cells, kq + n, ldk);
                else
                    chem_cells_rates_lm(p->mech, p->tab, nw, &cells, kq + n, ldk);
                /* the queue's concentrations species-major like its rate constants, yb[q * ldk + cell]
                 * (round 7: row copies, where a transpose into per-cell vectors and back had been a
                 * third of this function's time) */
                for (int q = 0; q < CH_NSPEC; q++)
                    memcpy(yb + (size_t)q * ldk + n, lv + (size_t)idx[q] * nx, (size_t)nw * sizeof *yb);
                if (hq) memcpy(hq + n, s->chem_h + off, (size_t)nw * sizeof *hq);
            }
            if (p->do_chem) chem_integrate_cells_qm(p->mech, n, yb, kq, ldk, dt, hq, p->work[th], stb, &p->stats[th]);
            n = 0;
            for (int k = k0; k < k1; k++) {
                const size_t off = k * plane + (size_t)j * nx + ia;
                /* the new values of the species that may change: the solver's (a failed cell keeps
                 * its values), and the aerosol's NH3 and PNH4 as they were */
                if (p->do_chem) {
                    if (hq) memcpy(s->chem_h + off, hq + n, (size_t)nw * sizeof *hq);
                    for (int q = 0; q < CH_NSPEC; q++)
                        memcpy(nv + (size_t)idx[q] * nx, yb + (size_t)q * ldk + n, (size_t)nw * sizeof *nv);
                    for (int i = 0; i < nw; i++)
                        if (stb[n + i] == CHEM_FAILED) level_load(p, s, off + i, 1, idx, CH_NSPEC, nv + i);
                }
                if (p->do_aerosol) {
                    const int aer_in[2] = {p->i_nh3, p->i_pnh4};
                    level_load(p, s, off, nw, aer_in, 2, nv);
                    if (!p->do_chem) level_load(p, s, off, nw, p->mod, p->nmod, nv);
                    /* the level's Kp in vector lanes (round 7: three libm calls per cell before) */
                    const double *rhl = sh ? sh->rh + srow + (size_t)k * nw : rhb + n;
                    if (sh) kpl = sh->kp + srow + (size_t)k * nw;
                    if (!take) chem_kp_nh4no3_n(nw, f->t + off, rhl, kpl);
                }
                for (int i = 0; i < nw; i++, n++) {
                    const size_t cell = off + i;
                    if (p->do_chem) {
                        if (stb[n] == CHEM_RETRIED) nretry++;
                        if (stb[n] == CHEM_FAILED) {
                            nfail++;
                            if (cell < first) first = cell;
                        }
                    }
                    if (p->do_aerosol)
                        aerosol_inorganic_eq_kp(kpl[i], nv[(size_t)p->i_pso4 * nx + i], &nv[(size_t)p->i_nh3 * nx + i],
                                                &nv[(size_t)p->i_pnh4 * nx + i], &nv[(size_t)p->i_hno3 * nx + i],
                                                &nv[(size_t)p->i_pno3 * nx + i]);
                }
                /* write back and book the change species by species (contiguous in i), per chunk of
                 * PAR_CHUNK columns (ia is a chunk boundary); the species left out never change */
                for (int r = 0; r < p->nmod; r++) {
                    const int q = p->mod[r];
                    double *dst = s->q + (size_t)p->map[q] * ncell + off;
                    const double *c = nv + (size_t)q * nx;
                    for (int c0 = 0; c0 < nw; c0 += PAR_CHUNK) {
                        double sum = 0.0;
                        /* without a branch (the cells that change are not predictable): an
                         * unchanged cell keeps its bits and adds an exact 0 to the sum, which
                         * leaves it as it was (sum starts at +0 and never becomes -0) */
                        for (int i = c0; i < nw && i < c0 + PAR_CHUNK; i++) {
                            const double old = dst[i], v0 = old * 1e9, v1 = c[i];
                            const int same = v1 == v0;
                            dst[i] = same ? old : v1 * 1e-9;
                            sum += (same ? 0.0 : v1 - v0) * 1e-9 * f->airm[off + i];
                        }
                        rc[(size_t)((ia + c0) / PAR_CHUNK) * ns + p->map[q]] += sum;
                    }
                }
            }
        }
        p->row_failed[j] = nfail;
        p->row_retried[j] = nretry;
        p->row_first[j] = first < ncell ? (long)first : -1;
    }
    if (put) {
        sh->valid = 1;
        sh->t = t;
        sh->dt = dt;
    }
    long nf = 0, nr = 0, ff = -1;
    if (dist) {
        /* counts add up exactly; the first failing cell is the largest of ncell - first (0: none) */
        par_sum_doubles(p->row_change, (size_t)ny * nch * ns);
        par_sum_longs(p->row_failed, (size_t)ny);
        par_sum_longs(p->row_retried, (size_t)ny);
        for (int j = 0; j < ny; j++) p->row_first[j] = p->row_first[j] >= 0 ? (long)ncell - p->row_first[j] : 0;
        par_max_longs(p->row_first, (size_t)ny);
        for (int j = 0; j < ny; j++) p->row_first[j] = p->row_first[j] > 0 ? (long)ncell - p->row_first[j] : -1;
    }
    for (size_t jc = 0; change && jc < (size_t)ny * nch; jc++)
        for (int v = 0; v < ns; v++) change[v] += p->row_change[jc * ns + v];
    for (int j = 0; j < ny; j++) {
        nf += p->row_failed[j];
        nr += p->row_retried[j];
        if (p->row_first[j] >= 0 && (ff < 0 || p->row_first[j] < ff)) ff = p->row_first[j];
    }
    if (failed) *failed = nf;
    if (retried) *retried = nr;
    if (first_fail) *first_fail = ff;
}
