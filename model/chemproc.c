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
    ChemEnv **env;            /* per thread: the environment of each column of the row (nx) */
    ChemEnv **envc;           /* per thread: the environment of each cell of one level (nx) */
    ChemStats *stats;         /* per thread: solver counts since chemproc_create (diagnostics) */
    double *row_change;       /* [ny][chunk][nspec_state]: per chunk of PAR_CHUNK columns */
    long *row_failed, *row_retried, *row_first;
    const ParDecomp *dec;     /* a distributed run: this rank's rows (NULL: all) */
};

void chemproc_set_decomp(ChemProc *p, const ParDecomp *d) { p->dec = d; }

void chemproc_stats(const ChemProc *p, ChemStats *st)
{
    memset(st, 0, sizeof *st);
    for (int t = 0; t < p->nthreads; t++) chem_stats_add(st, &p->stats[t]);
}

double chemproc_rh(double qv, double T, double p)
{
    /* vapour pressure from the mixing ratio, epsilon = Rd/Rv = 0.622 */
    double e = qv * p / (0.622 + qv);
    /* Bolton (1980), Mon. Wea. Rev. 108, 1046, eq. 10: es in Pa */
    double es = 611.2 * exp(17.67 * (T - 273.15) / (T - 29.65));
    double rh = e / es;
    return rh < 0 ? 0 : (rh > 1 ? 1 : rh);
}

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
    p->env = calloc((size_t)p->nthreads, sizeof *p->env);
    p->envc = calloc((size_t)p->nthreads, sizeof *p->envc);
    p->stats = calloc((size_t)p->nthreads, sizeof *p->stats);
    p->row_change = calloc((size_t)g->ny * par_nchunks(g->nx) * (maxs > 0 ? maxs : 1), sizeof *p->row_change);
    p->row_failed = calloc((size_t)g->ny, sizeof *p->row_failed);
    p->row_retried = calloc((size_t)g->ny, sizeof *p->row_retried);
    p->row_first = calloc((size_t)g->ny, sizeof *p->row_first);
    int ok = p->work && p->c && p->y && p->k && p->rh && p->status && p->env && p->envc && p->stats && p->row_change && p->row_failed && p->row_retried && p->row_first;
    for (int t = 0; ok && t < p->nthreads; t++) {
        p->work[t] = chem_work_create(mech);
        const size_t nrow = (size_t)g->nx * g->nz;
        p->c[t] = malloc((size_t)g->nx * tab->n * sizeof(double));
        p->y[t] = malloc(nrow * CH_NSPEC * sizeof(double));
        p->k[t] = malloc(nrow * chem_nreactions * sizeof(double));
        p->rh[t] = malloc(nrow * sizeof(double));
        p->status[t] = malloc(nrow * sizeof(int));
        p->env[t] = malloc((size_t)g->nx * sizeof(ChemEnv));
        p->envc[t] = malloc((size_t)g->nx * sizeof(ChemEnv));
        ok = p->work[t] && p->c[t] && p->y[t] && p->k[t] && p->rh[t] && p->status[t] && p->env[t] && p->envc[t];
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
        if (p->env) free(p->env[t]);
        if (p->envc) free(p->envc[t]);
    }
    free(p->work);
    free(p->c);
    free(p->y);
    free(p->k);
    free(p->rh);
    free(p->status);
    free(p->env);
    free(p->envc);
    free(p->stats);
    free(p->map);
    free(p->row_change);
    free(p->row_failed);
    free(p->row_retried);
    free(p->row_first);
    free(p);
}

/* The table species of nw cells of one level, from offset off of the State, into cb (ppb,
 * cell-major). */
static void level_load(const ChemProc *p, const State *s, size_t off, int nw, double *cb)
{
    const size_t ncell = state_ncell(s);
    for (int q = 0; q < p->ntab; q++) {
        const double *src = s->q + (size_t)p->map[q] * ncell + off;
        for (int i = 0; i < nw; i++) cb[(size_t)i * p->ntab + q] = src[i] * 1e9;
    }
}

void chemproc_step(ChemProc *p, const Grid *g, const MetFields *f, double t, double dt, State *s,
                   double *change, long *failed, long *retried, long *first_fail)
{
    const int nx = p->nx, ny = p->ny, nz = p->nz, ntab = p->ntab, ns = p->nspec_state;
    const int nreact = chem_nreactions;
    const size_t plane = (size_t)nx * ny, ncell = plane * nz;
    const int *idx = p->mech->idx;
    /* A row j is one queue of nx * nz cells for the lane solver (chem_integrate_cells), level by
     * level (i contiguous in the State): a cell's result depends on the cell alone, so neither
     * the row split nor the thread count changes a bit. */
    const int ja = p->dec ? p->dec->bj0 : 0, jb = p->dec ? p->dec->bj1 : ny;
    const int ia = p->dec ? p->dec->bi0 : 0, ib = p->dec ? p->dec->bi1 : nx, nw = ib - ia;
    const int dist = p->dec && p->dec->nranks > 1, nch = par_nchunks(nx);
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
        double *cb = p->c[th], *yb = p->y[th], *kb = p->k[th], *rhb = p->rh[th];
        int *stb = p->status[th];
        ChemEnv *envb = p->env[th];
        ChemEnv *envl = p->envc[th];
        double *rc = p->row_change + (size_t)j * nch * ns;
        memset(rc + (size_t)(ia / PAR_CHUNK) * ns, 0, (size_t)par_nchunks(nw) * ns * sizeof *rc);
        long nfail = 0, nretry = 0;
        size_t first = ncell;
        if (p->do_chem)
            for (int i = 0; i < nw; i++) {
                const size_t col = (size_t)j * nx + ia + i;
                const size_t cell = col; /* the surface cell sets up the column's environment */
                PhotRates jr;
                photolysis_rates(t, g->lat[col], g->lon[col], f->swdown[col], f->snowc[col], &jr);
                const double T = f->t[cell], pr = f->p[cell];
                /* OH and the photolysis frequencies: once per column */
                chem_env_init(&envb[i], p->mech, T, pr, chemproc_rh(f->qv[cell], T, pr),
                              f->qc[cell] * f->rho[cell] * 1e3, &jr);
            }
        int n = 0;
        for (int k = 0; k < nz; k++) {
            const size_t off = k * plane + (size_t)j * nx + ia;
            level_load(p, s, off, nw, cb);
            for (int i = 0; i < nw; i++, n++) {
                const size_t cell = off + i;
                double *c = cb + (size_t)i * ntab;
                const double T = f->t[cell], pr = f->p[cell];
                const double rh = chemproc_rh(f->qv[cell], T, pr);
                rhb[n] = rh;
                if (!p->do_chem) continue;
                const double lwc = f->qc[cell] * f->rho[cell] * 1e3; /* g m-3 */
                ChemEnv *env = &envl[i];
                *env = envb[i];
                chem_env_set_cell(env, T, pr, rh, lwc);
                chem_env_heterogeneous_m(env, p->mech, p->tab, c);
                for (int q = 0; q < CH_NSPEC; q++) yb[(size_t)n * CH_NSPEC + q] = c[idx[q]];
            }
            /* the level's rate constants in vector lanes (each cell's the bits it gets alone) */
            if (p->do_chem) chem_rate_constants_n(envl, nw, kb + (size_t)(n - nw) * nreact);
        }
        if (p->do_chem) chem_integrate_cells(p->mech, n, yb, kb, NULL, dt, p->work[th], stb, &p->stats[th]);
        n = 0;
        for (int k = 0; k < nz; k++) {
            const size_t off = k * plane + (size_t)j * nx + ia;
            /* the level again (the same values as before the solver) */
            level_load(p, s, off, nw, cb);
            for (int i = 0; i < nw; i++, n++) {
                const size_t cell = off + i;
                double *c = cb + (size_t)i * ntab;
                if (p->do_chem) {
                    if (stb[n] == CHEM_RETRIED) nretry++;
                    if (stb[n] == CHEM_FAILED) {
                        nfail++;
                        if (cell < first) first = cell;
                    } else {
                        for (int q = 0; q < CH_NSPEC; q++) c[idx[q]] = yb[(size_t)n * CH_NSPEC + q];
                    }
                }
                if (p->do_aerosol)
                    aerosol_inorganic_eq(f->t[cell], rhb[n], c[p->i_pso4], &c[p->i_nh3], &c[p->i_pnh4],
                                         &c[p->i_hno3], &c[p->i_pno3]);
            }
            /* write back and book the change species by species (contiguous in i), per chunk of
             * PAR_CHUNK columns (ia is a chunk boundary) */
            for (int q = 0; q < ntab; q++) {
                double *dst = s->q + (size_t)p->map[q] * ncell + off;
                const double *c = cb + q;
                for (int c0 = 0; c0 < nw; c0 += PAR_CHUNK) {
                    double sum = 0.0;
                    for (int i = c0; i < nw && i < c0 + PAR_CHUNK; i++) {
                        const double v0 = dst[i] * 1e9, v1 = c[(size_t)i * ntab];
                        if (v1 == v0) continue;
                        dst[i] = v1 * 1e-9;
                        sum += (v1 - v0) * 1e-9 * f->airm[off + i];
                    }
                    rc[(size_t)((ia + c0) / PAR_CHUNK) * ns + p->map[q]] += sum;
                }
            }
        }
        p->row_failed[j] = nfail;
        p->row_retried[j] = nretry;
        p->row_first[j] = first < ncell ? (long)first : -1;
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
