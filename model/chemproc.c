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
    double **c;               /* per thread: ntab values (ppb) */
    double *row_change;       /* [ny][nspec_state] */
    long *row_failed, *row_retried, *row_first;
};

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
    p->row_change = calloc((size_t)g->ny * (maxs > 0 ? maxs : 1), sizeof *p->row_change);
    p->row_failed = calloc((size_t)g->ny, sizeof *p->row_failed);
    p->row_retried = calloc((size_t)g->ny, sizeof *p->row_retried);
    p->row_first = calloc((size_t)g->ny, sizeof *p->row_first);
    int ok = p->work && p->c && p->row_change && p->row_failed && p->row_retried && p->row_first;
    for (int t = 0; ok && t < p->nthreads; t++) {
        p->work[t] = chem_work_create(mech);
        p->c[t] = malloc((size_t)(2 * tab->n + 1) * sizeof(double));
        ok = p->work[t] && p->c[t];
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
    for (int t = 0; p->c && t < p->nthreads; t++) free(p->c[t]);
    free(p->work);
    free(p->c);
    free(p->map);
    free(p->row_change);
    free(p->row_failed);
    free(p->row_retried);
    free(p->row_first);
    free(p);
}

void chemproc_step(ChemProc *p, const Grid *g, const MetFields *f, double t, double dt, State *s,
                   double *change, long *failed, long *retried, long *first_fail)
{
    const int nx = p->nx, ny = p->ny, nz = p->nz, ntab = p->ntab, ns = p->nspec_state;
    const size_t plane = (size_t)nx * ny, ncell = plane * nz;
#pragma omp parallel for schedule(dynamic, 1)
    for (int j = 0; j < ny; j++) {
        const int th = omp_get_thread_num();
        double *c = p->c[th], *c0 = c + ntab;
        double *rc = p->row_change + (size_t)j * ns;
        memset(rc, 0, (size_t)ns * sizeof *rc);
        long nfail = 0, nretry = 0, first = -1;
        for (int i = 0; i < nx; i++) {
            const size_t col = (size_t)j * nx + i;
            PhotRates jr;
            photolysis_rates(t, g->lat[col], g->lon[col], f->swdown[col], f->snowc[col], &jr);
            for (int k = 0; k < nz; k++) {
                const size_t cell = k * plane + col;
                for (int q = 0; q < ntab; q++) c0[q] = c[q] = s->q[(size_t)p->map[q] * ncell + cell] * 1e9;
                const double T = f->t[cell], pr = f->p[cell];
                const double rh = chemproc_rh(f->qv[cell], T, pr);
                const double lwc = f->qc[cell] * f->rho[cell] * 1e3; /* g m-3 */
                if (p->do_chem) {
                    ChemEnv env;
                    chem_env_init(&env, p->mech, T, pr, rh, lwc, &jr);
                    chem_env_heterogeneous(&env, p->tab, c);
                    int rcode = chem_integrate(p->mech, &env, c, NULL, dt, p->work[th], NULL);
                    if (rcode == CHEM_RETRIED) nretry++;
                    if (rcode == CHEM_FAILED) {
                        nfail++;
                        if (first < 0) first = (long)cell;
                    }
                }
                if (p->do_aerosol)
                    aerosol_inorganic_eq(T, rh, c[p->i_pso4], &c[p->i_nh3], &c[p->i_pnh4], &c[p->i_hno3],
                                         &c[p->i_pno3]);
                const double airm = f->airm[cell];
                for (int q = 0; q < ntab; q++) {
                    if (c[q] == c0[q]) continue;
                    s->q[(size_t)p->map[q] * ncell + cell] = c[q] * 1e-9;
                    rc[p->map[q]] += (c[q] - c0[q]) * 1e-9 * airm;
                }
            }
        }
        p->row_failed[j] = nfail;
        p->row_retried[j] = nretry;
        p->row_first[j] = first;
    }
    long nf = 0, nr = 0, ff = -1;
    for (int j = 0; j < ny; j++) {
        for (int v = 0; v < ns && change; v++) change[v] += p->row_change[(size_t)j * ns + v];
        nf += p->row_failed[j];
        nr += p->row_retried[j];
        if (ff < 0 && p->row_first[j] >= 0) ff = p->row_first[j];
    }
    if (failed) *failed = nf;
    if (retried) *retried = nr;
    if (first_fail) *first_fail = ff;
}
