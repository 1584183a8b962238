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
    /* the state's air mass between the two advection halves is the met's at t_step + dt_sync/2 */
    const double tm = t == m->state.time ? t + dt : t;
    const MetFields *f = model_met(m, tm, e);
    if (!f) return e->code;
    if (t == m->state.time) {
        sources_update(&m->src, f, tm);
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

void process_drydep_velocities(Model *m, const MetFields *f, double t)
{
    const Grid *g = &m->grid;
    const int nt = m->ntrans, nx = g->nx, ny = g->ny;
    const size_t plane = (size_t)nx * ny;
    char mon[8];
    time_strftime(t, "%m", mon, sizeof mon);
    const int month = atoi(mon);
#pragma omp parallel for schedule(static)
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            const size_t c = (size_t)j * nx + i;
            DryDepSurface srf;
            const double zref = 0.5 * (f->zf[plane + c] - f->zf[c]);
            drydep_surface_init(&srf, DRYDEP_LU_DEFAULT, drydep_season(month, g->lat[c]), 0.0, f->ust[c],
                                f->hfx[c], f->t2[c], f->psfc[c], zref, f->swdown[c], f->snowc[c]);
            const double rh = chemproc_rh(f->qv[c], f->t[c], f->p[c]);
            const double cond = f->rho[c] * g->area[c]; /* vd (m s-1) -> kg s-1 */
            for (int s = 0; s < nt; s++) {
                double vd = 0.0;
                if (m->dd_diam[s] > 0)
                    /* ambient (wet) size; particle density 1500 kg m-3 (docs/deposition.md) */
                    vd = drydep_aerosol_vd(&srf, m->dd_diam[s] * aerosol_growth_factor(rh, AEROSOL_KAPPA_DEFAULT), 1500.0);
                else if (m->dd_henry[s] > 0 || m->dd_f0[s] > 0)
                    vd = drydep_gas_vd(&srf, m->dd_henry[s], m->dd_f0[s], m->state.spec[s].molar_mass);
                m->vdep[(size_t)s * plane + c] = vd * cond;
            }
        }
}

int process_chemistry(Model *m, double t, double dt, BgErr *e)
{
    const MetFields *f = model_met(m, t + 0.5 * dt, e);
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

int process_wetdep(Model *m, double t, double dt, BgErr *e)
{
    const MetFields *f = model_met(m, t + 0.5 * dt, e);
    if (!f) return e->code;
    const Grid *g = &m->grid;
    const int nx = g->nx, ny = g->ny, nz = g->nz, nt = m->ntrans;
    const size_t plane = (size_t)nx * ny, ncell = plane * nz;
    /* [ny][chunk][nt]: the amounts per chunk of PAR_CHUNK columns of a row, added in order */
    double *rowsum = m->wet_rate + (size_t)omp_get_max_threads() * nt * (nz + 4) * 4;
    /* a distributed run scavenges its own block; the others' sums arrive through the sum */
    const int ja = m->dec ? m->dec->bj0 : 0, jb = m->dec ? m->dec->bj1 : ny, dist = m->dec && m->dec->nranks > 1;
    const int ia = m->dec ? m->dec->bi0 : 0, ib = m->dec ? m->dec->bi1 : nx, nch = par_nchunks(nx);
    if (dist) memset(rowsum, 0, (size_t)ny * nch * nt * sizeof *rowsum);
#pragma omp parallel for schedule(static)
    for (int j = ja; j < jb; j++) {
        double *b = m->wet_rate + (size_t)omp_get_thread_num() * nt * (nz + 4) * 4;
        double *tc = b, *qc = tc + nz, *qr = qc + nz, *qs = qr + nz, *rate = qs + nz;
        for (int i = ia; i < ib; i++) {
            const size_t col = (size_t)j * nx + i;
            double *rs = rowsum + ((size_t)j * nch + i / PAR_CHUNK) * nt;
            if (i % PAR_CHUNK == 0) memset(rs, 0, (size_t)nt * sizeof *rs);
            const double precip = f->rain[col];
            int cloud = 0;
            for (int k = 0; k < nz; k++) {
                tc[k] = f->t[k * plane + col];
                qc[k] = f->qc[k * plane + col];
                qr[k] = f->qr[k * plane + col];
                qs[k] = f->qs[k * plane + col];
                cloud |= qc[k] > 0;
            }
            if (!(precip > 0) && !cloud) continue;
            wetdep_column(nz, tc, qc, qr, qs, precip, nt, m->wet, rate);
            for (int s = 0; s < nt; s++) {
                if (!m->wet_on[s]) continue;
                for (int k = 0; k < nz; k++) {
                    double r = rate[(size_t)s * nz + k];
                    if (!(r > 0)) continue;
                    double *q = &m->state.q[(size_t)s * ncell + k * plane + col];
                    double q1 = *q * exp(-r * dt);
                    rs[s] += (*q - q1) * f->airm[k * plane + col];
                    if (m->diag_on) m->dg[(2 * (size_t)nt + s) * plane + col] += (*q - q1) * f->airm[k * plane + col];
                    *q = q1;
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
    memset(pm25, 0, n * sizeof *pm25);
    for (int t = 0; t < m->tab.n; t++) {
        const int s = m->tab_map[t];
        if (m->tab.s[t].phase != SPECIES_AEROSOL || s == pmc) continue;
        const double *q = state_species(&m->state, s), mm = m->state.spec[s].molar_mass;
        for (size_t c = 0; c < n; c++) pm25[c] += q[c] * mm;
    }
    const double *qc = pmc >= 0 ? state_species(&m->state, pmc) : NULL;
    const double mmc = pmc >= 0 ? m->state.spec[pmc].molar_mass : 0.0;
    for (size_t c = 0; c < n; c++) pm10[c] = pm25[c] + (qc ? qc[c] * mmc : 0.0);
}
