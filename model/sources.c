#include "sources.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plumerise.h"

#define M_AIR_KG_MOL 0.0289644 /* dry air, U.S. Standard Atmosphere 1976 */

static int same_path(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

static unsigned window_months(const SourcesSetup *su)
{
    return su->t_end > su->t_start ? inventory_months_of(su->t_start, su->t_end) : 0xfffu;
}

int sources_open(Sources *s, const SourcesSetup *su, BgErr *e)
{
    memset(s, 0, sizeof *s);
    const Grid *g = su->grid;
    s->g = g;
    s->su = *su;
    s->tz_h = su->timezone_offset_h;
    s->nmodel = su->nmodel;
    BG_TRY(inventory_load_months(&s->inv, su->inventory, g, window_months(su), e));
    if (su->profiles && su->profiles[0]) {
        BG_TRY(profiles_load(&s->prof, su->profiles, e));
        s->has_prof = 1;
        /* profiles act by sector: a name the inventory lacks, or a file without any profile,
         * would leave every sector flat without a word (points.csv refuses the same names) */
        if (!s->prof.n)
            return bg_fail(e, BG_EINPUT, su->profiles, NULL,
                           "holds no profile line (leave [emissions] profiles empty for flat profiles)");
        for (int k = 0; k < s->prof.n; k++)
            if (inventory_sector_index(&s->inv, s->prof.sector[k]) < 0)
                return bg_fail(e, BG_EINPUT, su->profiles, s->prof.sector[k],
                               "not a sector of the inventory %s", su->inventory);
    }
    if (su->points && su->points[0]) {
        BG_TRY(points_load(&s->pts, su->points, g, e));
        s->pt_sector = malloc((size_t)(s->pts.n + 1) * sizeof *s->pt_sector);
        if (!s->pt_sector) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        for (int p = 0; p < s->pts.n; p++) {
            s->pt_sector[p] = inventory_sector_index(&s->inv, s->pts.src[p].sector);
            if (s->pt_sector[p] < 0) {
                char where[32];
                snprintf(where, sizeof where, "%d", s->pts.src[p].line);
                return bg_fail(e, BG_EINPUT, su->points, where,
                               "source %s: sector '%s' is not a sector of the inventory %s (controls and profiles act by sector)",
                               s->pts.src[p].id, s->pts.src[p].sector, su->inventory);
            }
        }
    }
    return BG_OK;
}

int sources_borrow(Sources *s, const SourcesSetup *su, const Sources *from)
{
    memset(s, 0, sizeof *s);
    const SourcesSetup *fu = &from->su;
    /* the loaded inventory depends on its file, the held months and the grid it was regridded to */
    if (!from->inv.nsector || !same_path(su->inventory, fu->inventory) || !same_path(su->profiles, fu->profiles) ||
        !same_path(su->points, fu->points) || window_months(su) != window_months(fu) ||
        su->grid->nx != fu->grid->nx || su->grid->ny != fu->grid->ny || su->grid->nz != fu->grid->nz)
        return 0;
    s->g = su->grid;
    s->su = *su;
    s->tz_h = su->timezone_offset_h;
    s->nmodel = su->nmodel;
    s->borrowed = 1;
    s->inv = from->inv;
    s->prof = from->prof;
    s->has_prof = from->has_prof;
    s->pts = from->pts;
    s->pt_sector = from->pt_sector;
    return 1;
}

int sources_start(Sources *s, const ControlSet *controls, BgErr *e)
{
    const SourcesSetup *su = &s->su;
    const Grid *g = s->g;
    s->cs = controls;
    const ControlSet *csets[1] = {controls};
    EmissionsSetup es = {
        .grid = g, .inv = &s->inv, .profiles = s->has_prof ? &s->prof : NULL,
        .timezone_offset_h = su->timezone_offset_h, .controls = csets, .nmember = 1,
        .model_species = su->model, .molar_mass_kg_mol = su->molar_mass_kg_mol,
        .nmodel = su->nmodel, .extra = su->extra, .nextra = su->nextra, .spec = NULL,
    };
    BG_TRY(emissions_create(&s->em, &es, e));
    s->started = 1;
    const size_t plane = (size_t)g->nx * g->ny;
    s->flux = calloc((size_t)su->nmodel * plane, sizeof *s->flux);
    s->tot_kg_s = calloc((size_t)su->nmodel, sizeof *s->tot_kg_s);
    s->pt_kg_s = calloc((size_t)su->nmodel, sizeof *s->pt_kg_s);
    if (!s->flux || !s->tot_kg_s || !s->pt_kg_s)
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    if (s->pts.n) {
        const char *const *sec = (const char *const *)s->inv.sectors;
        BG_TRY(speciation_create(&s->pspec, points_species, POINTS_NSPEC, sec, s->inv.nsector,
                                 su->model, su->molar_mass_kg_mol, su->nmodel, su->extra, su->nextra,
                                 NULL, e));
        s->has_pspec = 1;
        /* name look-ups once, not per source and step */
        for (int q = 0; q < POINTS_NSPEC; q++) s->pt_isp[q] = inventory_species_index(&s->inv, points_species[q]);
        s->pt_prof = malloc((size_t)s->pts.n * sizeof *s->pt_prof);
        if (!s->pt_prof) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        for (int p = 0; p < s->pts.n; p++)
            s->pt_prof[p] = s->has_prof ? profiles_index(&s->prof, s->pts.src[p].sector) : -1;
        s->pt_rate = calloc((size_t)s->pts.n * g->nz * su->nmodel + 1, sizeof *s->pt_rate);
        s->work = malloc((PLUME_COLUMN_WORK(g->nz) + g->nz + 2 * POINTS_NSPEC + su->nmodel + 2) * sizeof(double));
        if (!s->pt_rate || !s->work) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    }
    return BG_OK;
}

void sources_free(Sources *s)
{
    if (!s) return;
    if (s->started) emissions_free(&s->em);
    if (s->has_pspec) speciation_free(&s->pspec);
    if (!s->borrowed) {
        points_free(&s->pts);
        if (s->has_prof) profiles_free(&s->prof);
        inventory_free(&s->inv);
        free(s->pt_sector);
    }
    free(s->flux);
    free(s->tot_kg_s);
    free(s->pt_kg_s);
    free(s->pt_rate);
    free(s->pt_prof);
    free(s->work);
    memset(s, 0, sizeof *s);
}

void sources_update(Sources *s, const MetFields *f, double t)
{
    emissions_surface(&s->em, t, s->flux, s->tot_kg_s);
    const Grid *g = s->g;
    const int nz = g->nz, nm = s->nmodel;
    memset(s->pt_kg_s, 0, (size_t)nm * sizeof *s->pt_kg_s);
    if (!s->pts.n) return;
    double t0 = omp_get_wtime();
    double *colwork = s->work, *frac = colwork + PLUME_COLUMN_WORK(nz), *r = frac + nz,
           *out = r + POINTS_NSPEC, *deficit = out + nm;
    /* in file order, so the sums are the same whatever the thread count */
    for (int p = 0; p < s->pts.n; p++) {
        const PointSource *ps = &s->pts.src[p];
        PlumeColumn col;
        plume_column_from_met(f, g->nx, g->ny, nz, ps->i, ps->j, colwork, &col);
        PlumeResult res = {.frac = frac};
        plume_rise(&ps->stack, &col, NULL, &res);
        points_rates(ps, t, r);
        const int isec = s->pt_sector[p];
        const size_t cell = (size_t)ps->j * g->nx + ps->i;
        const int ip = s->pt_prof[p];
        const double pf = ip >= 0 ? profiles_factor(&s->prof, ip, t, s->tz_h, BG_PROF_MONTH | BG_PROF_WEEKDAY | BG_PROF_HOUR) : 1.0;
        for (int q = 0; q < POINTS_NSPEC; q++)
            if (r[q] > 0) {
                const int isp = s->pt_isp[q];
                r[q] *= pf * (isp >= 0 ? controlset_factor_at(s->cs, isec, isp, t, cell) : 1.0);
            }
        memset(out, 0, (size_t)nm * sizeof *out);
        deficit[0] = deficit[1] = 0;
        speciation_cell(&s->pspec, isec, r, out, 1, deficit);
        double *rate = s->pt_rate + (size_t)p * nz * nm;
        for (int k = 0; k < nz; k++)
            for (int m = 0; m < nm; m++) rate[(size_t)k * nm + m] = out[m] * frac[k];
        for (int m = 0; m < nm; m++) s->pt_kg_s[m] += out[m] * s->em.molar_mass[m];
    }
    s->plume_seconds += omp_get_wtime() - t0;
}

void sources_apply_points(const Sources *s, const double *airm, double dt, State *st, double *kg_added,
                          double *kg_field)
{
    const Grid *g = s->g;
    const int nz = g->nz, nm = s->nmodel;
    const size_t plane = (size_t)g->nx * g->ny, ncell = plane * nz;
    for (int p = 0; p < s->pts.n; p++) {
        const PointSource *ps = &s->pts.src[p];
        const size_t col = (size_t)ps->j * g->nx + ps->i;
        const double *rate = s->pt_rate + (size_t)p * nz * nm;
        for (int k = 0; k < nz; k++) {
            const size_t cell = k * plane + col;
            for (int m = 0; m < nm; m++) {
                double mol = rate[(size_t)k * nm + m] * dt;
                if (mol == 0.0) continue;
                st->q[(size_t)m * ncell + cell] += mol * M_AIR_KG_MOL / airm[cell];
                if (kg_added) kg_added[m] += mol * s->em.molar_mass[m];
                if (kg_field) kg_field[(size_t)m * plane + col] += mol * s->em.molar_mass[m];
            }
        }
    }
}

void sources_describe(const Sources *s, char *buf, size_t n)
{
    size_t len = 0;
    const double yr = 365.0 * 86400.0 * 1e-3; /* kg s-1 -> t yr-1 */
    for (int q = 0; q < s->inv.nspec && len < n; q++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s %.4g t/yr (inside %.4g, outside %.4g)",
                                q ? "; " : "", s->inv.species[q], s->inv.total_kg_s[q] * yr,
                                s->inv.inside_kg_s[q] * yr, s->inv.outside_kg_s[q] * yr);
    if (s->pts.n && len < n) snprintf(buf + len, n - len, "; %d point sources", s->pts.n);
}
