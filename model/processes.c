#include "processes.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerosol.h"
#include "drydep.h"
#include "timeutil.h"

#define M_AIR_KG_MOL (BG_M_AIR * 1e-3) /* dry air, U.S. Standard Atmosphere 1976 */

int process_emissions(Model *m, double t, double dt, BgErr *e)
{
    const int nt = m->ntrans;
    const size_t plane = (size_t)m->grid.nx * m->grid.ny;
    /* the met of the state's air mass (the step's middle under Strang splitting, driver.c);
     * the profiles' time is the sync step's middle */
    const MetFields *f = model_met_mask(m, m->air_time, MET_COLUMN, e);
    if (!f) return e->code;
    if (t == m->state.time) {
        sources_update(&m->src, f, m->state.time + 0.5 * m->rc.sync_dt);
        /* mol s-1 -> kg of air * mol mol-1 s-1, the unit of vdiff's surface source */
        for (size_t c = 0; c < (size_t)nt * plane; c++) m->sflux[c] = m->src.flux[c] * M_AIR_KG_MOL;
    }
    memset(m->emis_kg, 0, (size_t)nt * sizeof *m->emis_kg);
    sources_apply_points(&m->src, f->airm, dt, &m->state, m->emis_kg, m->diag_on ? m->dg : NULL);
    if (m->diag_on)
        for (int s = 0; s < nt; s++) {
            const double kg_per_mol = m->state.spec[s].molar_mass * 1e-3;
            const double *fl = m->src.flux + (size_t)s * plane;
            double *dg = m->dg + (size_t)s * plane;
            for (size_t c = 0; c < plane; c++) dg[c] += fl[c] * kg_per_mol * dt;
        }
    for (int s = 0; s < nt; s++)
        m->budget.acc[s * BUD_NTERMS + BUD_EMISSION] += m->emis_kg[s] + m->src.tot_kg_s[s] * dt;
    return BG_OK;
}

/* Species whose deposition parameters equal an earlier species' get that species' velocity: the
 * same arguments give the same bits, so copying is exact (PSO4, PNO3 and PNH4 share a
 * diameter).  same[s] = s for the first of a kind. */
#define DD_MEMO_MAX 256
static void drydep_same(const Model *m, int nt, int *same)
{
    for (int s = 0; s < nt; s++) {
        same[s] = s;
        for (int r = 0; r < s && same[s] == s; r++) {
            if (same[r] != r) continue;
            int eq = m->dd_diam[s] > 0 ? m->dd_diam[r] == m->dd_diam[s]
                                       : m->dd_diam[r] <= 0 && m->dd_henry[r] == m->dd_henry[s] &&
                                             m->dd_f0[r] == m->dd_f0[s] &&
                                             m->state.spec[r].molar_mass == m->state.spec[s].molar_mass;
            if (eq) same[s] = r;
        }
    }
}

int process_drydep_same_inputs(const Model *a, const Model *b)
{
    const Grid *ga = &a->grid, *gb = &b->grid;
    if (ga->nx != gb->nx || ga->ny != gb->ny || a->ntrans != b->ntrans) return 0;
    const size_t plane = (size_t)ga->nx * ga->ny;
    /* the latitude picks the season of the land-use tables */
    if (ga->lat != gb->lat && memcmp(ga->lat, gb->lat, plane * sizeof *ga->lat)) return 0;
    const size_t nb = (size_t)a->ntrans * sizeof(double);
    if (memcmp(a->dd_diam, b->dd_diam, nb) || memcmp(a->dd_henry, b->dd_henry, nb) || memcmp(a->dd_f0, b->dd_f0, nb))
        return 0;
    for (int s = 0; s < a->ntrans; s++)
        if (memcmp(&a->state.spec[s].molar_mass, &b->state.spec[s].molar_mass, sizeof(double))) return 0;
    if (!a->dec != !b->dec) return 0;
    return !a->dec || (a->dec->bj0 == b->dec->bj0 && a->dec->bj1 == b->dec->bj1 &&
                       a->dec->bi0 == b->dec->bi0 && a->dec->bi1 == b->dec->bi1);
}

void process_drydep_velocities(Model *m, const MetFields *f, double t)
{
    const Grid *g = &m->grid;
    const int nt = m->ntrans, nx = g->nx, ny = g->ny;
    const size_t plane = (size_t)nx * ny;
    char mon[8];
    time_strftime(t, "%m", mon, sizeof mon);
    const int month = atoi(mon);
    int same[DD_MEMO_MAX];
    const int memo = nt <= DD_MEMO_MAX;
    if (memo) drydep_same(m, nt, same);
    /* a distributed run needs the velocities of the columns its diffusion solves (m->dec: the
     * rectangle of the column processes now), not the whole grid on every rank */
    const int ja = m->dec ? m->dec->bj0 : 0, jb = m->dec ? m->dec->bj1 : ny;
    const int ia = m->dec ? m->dec->bi0 : 0, ib = m->dec ? m->dec->bi1 : nx;
#pragma omp parallel for schedule(static)
    for (int j = ja; j < jb; j++)
        for (int i = ia; i < ib; i++) {
            const size_t c = (size_t)j * nx + i;
            DryDepSurface srf;
            DryDepShared sh;
            const double zref = 0.5 * (f->zf[plane + c] - f->zf[c]);
            drydep_surface_init(&srf, DRYDEP_LU_DEFAULT, drydep_season(month, g->lat[c]), 0.0, f->ust[c],
                                f->hfx[c], f->t2[c], f->psfc[c], zref, f->swdown[c], f->snowc[c]);
            /* resistances, viscosity, diffusivity and growth shared by every species: once per column */
            drydep_shared_init(&srf, &sh);
            const double rh = chemproc_rh(f->qv[c], f->t[c], f->p[c]);
            double growth = -1.0; /* computed at the first aerosol species */
            const double cond = f->rho[c] * g->area[c]; /* vd (m s-1) -> kg s-1 */
            for (int s = 0; s < nt; s++) {
                double *out = &m->vdep[(size_t)s * plane + c];
                if (memo && same[s] != s) {
                    *out = m->vdep[(size_t)same[s] * plane + c];
                    continue;
                }
                double vd = 0.0;
                if (m->dd_diam[s] > 0) {
                    if (growth < 0.0) growth = aerosol_growth_factor(rh, AEROSOL_KAPPA_DEFAULT);
                    /* ambient (wet) size; particle density 1500 kg m-3 (docs/deposition.md) */
                    vd = drydep_aerosol_vd_shared(&srf, &sh, m->dd_diam[s] * growth, 1500.0);
                } else if (m->dd_henry[s] > 0 || m->dd_f0[s] > 0)
                    vd = drydep_gas_vd_shared(&srf, &sh, m->dd_henry[s], m->dd_f0[s], m->state.spec[s].molar_mass);
                *out = vd * cond;
            }
        }
}

int process_chemistry(Model *m, double t, double dt, BgErr *e)
{
    /* the met of the state's air mass, which converts the changes into budget masses */
    const MetFields *f = model_met_mask(m, m->air_time, MET_COLUMN, e);
    if (!f) return e->code;
    memset(m->chg, 0, (size_t)m->state.nspec * sizeof *m->chg);
    long failed = 0, retried = 0, first = -1;
    chemproc_step(m->chem, &m->grid, f, t + 0.5 * dt, dt, &m->state, m->chg, &failed, &retried, &first);
    for (int s = 0; s < m->ntrans; s++) budget_add_airq(&m->budget, &m->state, BUD_CHEMISTRY, s, m->chg[s]);
    m->chem_retried += retried;
    if (failed) {
        /* the cells keep their values: reported, never clipped or fatal */
        const size_t plane = (size_t)m->grid.nx * m->grid.ny;
        char ts[32];
        time_format(t, ts, sizeof ts);
        if (m->log)
            fprintf(m->log, "chemistry: %ld cells failed at %s (first k=%zu j=%zu i=%zu); left unchanged\n",
                    failed, ts, (size_t)first / plane, ((size_t)first % plane) / m->grid.nx,
                    (size_t)first % m->grid.nx);
        m->chem_failed += failed;
    }
    return BG_OK;
}

/* WET_CHUNK (processes.h): columns whose loss factors are held at a time */

static int wet_equal(const WetSpecies *a, const WetSpecies *b)
{
    return a->aerosol == b->aerosol && a->w_in == b->w_in && a->w_sub == b->w_sub &&
           a->e_coll == b->e_coll && a->snow_ret == b->snow_ret;
}

int process_wetdep(Model *m, double t, double dt, BgErr *e)
{
    /* the met of the state's air mass, as the chemistry (t itself is not needed) */
    (void)t;
    const MetFields *f = model_met_mask(m, m->air_time, MET_COLUMN, e);
    if (!f) return e->code;
    const Grid *g = &m->grid;
    const int nx = g->nx, ny = g->ny, nz = g->nz, nt = m->ntrans;
    const size_t plane = (size_t)nx * ny, ncell = plane * nz;
    /* [ny][chunk][nt]: the amounts per chunk of PAR_CHUNK columns of a row, added in order */
    double *rowsum = m->wet_rate + (size_t)omp_get_max_threads() * process_wetdep_per_thread(nt, nz);
    /* Species with equal parameters have equal rates (the six fine particle species share
     * EMEP's, N2O5 is scavenged as HNO3): rates and loss factors exp(-rate dt) are computed once
     * per kind, and the same arguments give the same bits, so each species' result is what its
     * own rate gives. */
    WetSpecies kind[DD_MEMO_MAX];
    int kind_of[DD_MEMO_MAX], nkind = 0;
    const int memo = nt <= DD_MEMO_MAX;
    for (int s = 0; memo && s < nt; s++) {
        kind_of[s] = -1;
        if (!m->wet_on[s]) continue;
        for (int u = 0; u < nkind && kind_of[s] < 0; u++)
            if (wet_equal(&kind[u], &m->wet[s])) kind_of[s] = u;
        if (kind_of[s] < 0) {
            kind[nkind] = m->wet[s];
            kind_of[s] = nkind++;
        }
    }
    const int nsp = memo ? nkind : nt;
    const WetSpecies *sp = memo ? kind : m->wet;
    /* a distributed run scavenges its own block; the others' sums arrive through the sum */
    const int ja = m->dec ? m->dec->bj0 : 0, jb = m->dec ? m->dec->bj1 : ny, dist = m->dec && m->dec->nranks > 1;
    const int ia = m->dec ? m->dec->bi0 : 0, ib = m->dec ? m->dec->bi1 : nx, nch = par_nchunks(nx);
    if (dist) memset(rowsum, 0, (size_t)ny * nch * nt * sizeof *rowsum);
    /* Columns are taken WET_CHUNK at a time: their loss factors first, then per species the
     * chunk's columns, so that a species' layers (nz planes apart) are visited once per chunk
     * rather than once per column (19 x 24 planes per column thrash the TLB).  Per species the
     * sum over the row keeps its order (columns, then layers). */
    const size_t per_thread = process_wetdep_per_thread(nt, nz), col_rates = (size_t)nsp * nz;
    if (4 * (size_t)nz + col_rates > per_thread)
        return bg_fail(e, BG_EFAIL, NULL, "wetdep", "work space too small for %d layers", nz);
    int wchunk = col_rates ? (int)((per_thread - 4 * (size_t)nz) / col_rates) : WET_CHUNK;
    if (wchunk > WET_CHUNK) wchunk = WET_CHUNK;
#pragma omp parallel for schedule(static)
    for (int j = ja; j < jb; j++) {
        double *b = m->wet_rate + (size_t)omp_get_thread_num() * per_thread;
        double *tc = b, *qc = tc + nz, *qr = qc + nz, *qs = qr + nz, *rates = qs + nz;
        double *rs = rowsum + (size_t)j * nch * nt;
        memset(rs + (size_t)(ia / PAR_CHUNK) * nt, 0, (size_t)(par_nchunks(ib) - ia / PAR_CHUNK) * nt * sizeof *rs);
        for (int i0 = ia; i0 < ib; i0 += wchunk) {
            const int n = ib - i0 < wchunk ? ib - i0 : wchunk;
            unsigned char wet[WET_CHUNK];
            int any = 0;
            for (int ii = 0; ii < n; ii++) {
                const size_t col = (size_t)j * nx + i0 + ii;
                const double precip = f->rain[col];
                /* wetdep_column gives zero rates without precipitation, clouds or not */
                wet[ii] = precip > 0;
                if (!wet[ii]) continue;
                any = 1;
                for (int k = 0; k < nz; k++) {
                    tc[k] = f->t[k * plane + col];
                    qc[k] = f->qc[k * plane + col];
                    qr[k] = f->qr[k * plane + col];
                    qs[k] = f->qs[k * plane + col];
                }
                double *rate = rates + (size_t)ii * col_rates;
                wetdep_column(nz, tc, qc, qr, qs, precip, nsp, sp, rate);
                /* rate -> loss factor, -1 where nothing is scavenged.  A kind's rate depends on
                 * the layer only through cloud and snow, so consecutive layers mostly repeat it:
                 * exp is taken only when the rate changes (equal arguments, equal bits). */
                for (int u = 0; u < nsp; u++) {
                    double *ru = rate + (size_t)u * nz, r_prev = -1.0, f_prev = -1.0;
                    for (int k = 0; k < nz; k++) {
                        const double r = ru[k];
                        if (!(r > 0)) { ru[k] = -1.0; continue; }
                        if (r != r_prev) { r_prev = r; f_prev = exp(-r * dt); }
                        ru[k] = f_prev;
                    }
                }
            }
            if (!any) continue;
            for (int s = 0; s < nt; s++) {
                if (!m->wet_on[s]) continue;
                double *qsp = m->state.q + (size_t)s * ncell;
                double *dgs = m->diag_on ? m->dg + (2 * (size_t)nt + s) * plane : NULL;
                const size_t ks = (size_t)(memo ? kind_of[s] : s) * nz;
                for (int ii = 0; ii < n; ii++) {
                    if (!wet[ii]) continue;
                    const size_t col = (size_t)j * nx + i0 + ii;
                    const double *fac = rates + (size_t)ii * col_rates + ks;
                    double *rsc = rs + (size_t)((i0 + ii) / PAR_CHUNK) * nt + s;
                    /* the two sums in registers for the column, in the same order as through
                     * memory (the same bits): through *rsc and dgs[col] each layer's add waited
                     * for the last one's store, since they might alias q as far as the compiler
                     * knows */
                    double acc = *rsc, dacc = dgs ? dgs[col] : 0.0;
                    for (int k = 0; k < nz; k++) {
                        if (fac[k] < 0) continue;
                        double *q = &qsp[k * plane + col];
                        const double q0 = *q, q1 = q0 * fac[k], am = f->airm[k * plane + col];
                        acc += (q0 - q1) * am;
                        dacc += (q0 - q1) * am;
                        *q = q1;
                    }
                    *rsc = acc;
                    if (dgs) dgs[col] = dacc;
                }
            }
        }
    }
    if (dist) par_sum_doubles(rowsum, (size_t)ny * nch * nt);
    for (size_t jc = 0; jc < (size_t)ny * nch; jc++)
        for (int s = 0; s < nt; s++) budget_add_airq(&m->budget, &m->state, BUD_WETDEP, s, rowsum[jc * nt + s]);
    return BG_OK;
}

void process_diagnose_pm(Model *m)
{
    if (m->i_pm25 < 0) return;
    const size_t n = state_ncell(&m->state);
    double *pm25 = state_species(&m->state, m->i_pm25), *pm10 = state_species(&m->state, m->i_pm10);
    const int ipmc = species_find(&m->tab, "PMC");
    const int pmc = ipmc >= 0 ? m->tab_map[ipmc] : -1;
    const double *qc = pmc >= 0 ? state_species(&m->state, pmc) : NULL;
    const double mmc = pmc >= 0 ? m->state.spec[pmc].molar_mass : 0.0;
    /* element-wise, each cell's sum in table order: the same values for any thread count (it
     * runs on every cell, twice per step with merged advection halves) */
#pragma omp parallel if (n > 65536)
    {
#pragma omp for schedule(static)
        for (size_t c = 0; c < n; c++) pm25[c] = 0.0;
        for (int t = 0; t < m->tab.n; t++) {
            const int s = m->tab_map[t];
            if (m->tab.s[t].phase != SPECIES_AEROSOL || s == pmc) continue;
            const double *q = state_species(&m->state, s), mm = m->state.spec[s].molar_mass;
#pragma omp for schedule(static)
            for (size_t c = 0; c < n; c++) pm25[c] += q[c] * mm;
        }
#pragma omp for schedule(static)
        for (size_t c = 0; c < n; c++) pm10[c] = pm25[c] + (qc ? qc[c] * mmc : 0.0);
    }
}
