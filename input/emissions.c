#include "emissions.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notes.h"
#include "timeutil.h"


static void append_notes(Emissions *em, const char *text)
{
    if (!text) return;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l) notes_add(&em->notes, "%.*s", (int)l, p);
        p += l + (nl != NULL);
    }
}

void emissions_free(Emissions *em)
{
    if (!em) return;
    speciation_free(&em->spec);
    free(em->cs);
    free(em->prof_idx);
    free(em->used);
    free(em->molar_mass);
    free(em->rate);
    free(em->pf);
    free(em->scratch);
    free(em->row_acc);
    free(em->cscalar);
    free(em->ccount);
    free(em->clist);
    free(em->last_inv_kg_s);
    free(em->last_deficit_kg_s);
    free(em->notes);
    memset(em, 0, sizeof *em);
}

/* 1 when the inventory field of (isp, isec) is zero in every month and cell (also the months a
 * window-limited inventory does not hold: the choice must not depend on the run's window). */
static int field_zero(const Inventory *inv, int isp, int isec, size_t ncell)
{
    if (inv->nonzero) return !inv->nonzero[(size_t)isp * inv->nsector + isec];
    const int nm = inventory_nstored(inv);
    const double *f = inv->field + ((size_t)isp * inv->nsector + isec) * nm * ncell;
    for (size_t c = 0; c < (size_t)nm * ncell; c++)
        if (f[c] != 0.0) return 0;
    return 1;
}

int emissions_create(Emissions *em, const EmissionsSetup *s, BgErr *e)
{
    memset(em, 0, sizeof *em);
    const Grid *g = s->grid;
    const Inventory *inv = s->inv;
    if (!g || !inv || inv->nx != g->nx || inv->ny != g->ny)
        return bg_fail(e, BG_EFAIL, "emissions", NULL, "inventory and grid sizes differ");
    em->g = g;
    em->inv = inv;
    em->prof = s->profiles;
    em->tz_h = s->timezone_offset_h;
    em->nx = g->nx;
    em->ny = g->ny;
    em->ncell = (size_t)g->nx * g->ny;
    em->nsec = inv->nsector;
    em->ninv = inv->nspec;
    em->nmodel = s->nmodel;
    em->nmember = s->nmember > 0 ? s->nmember : 1;
    em->last_t = NAN;
    int rc = BG_OK;
    size_t ncell = em->ncell;

    em->cs = calloc(em->nmember, sizeof *em->cs);
    em->prof_idx = malloc((em->nsec ? em->nsec : 1) * sizeof *em->prof_idx);
    em->used = malloc((em->ninv ? em->ninv : 1) * sizeof *em->used);
    em->molar_mass = calloc(em->nmodel ? em->nmodel : 1, sizeof *em->molar_mass);
    if (!em->cs || !em->prof_idx || !em->used || !em->molar_mass) goto oom;
    for (int k = 0; k < em->nmember && s->controls && s->nmember > 0; k++) {
        const ControlSet *cs = s->controls[k];
        if (cs && (cs->nsec != em->nsec || cs->nspec != em->ninv || (size_t)cs->ncell != ncell)) {
            rc = bg_fail(e, BG_ECONFIG, "emissions", NULL, "the controls of member %d were made "
                         "for another inventory or grid", k);
            goto fail;
        }
        em->cs[k] = cs;
        if (cs && cs->n > em->maxlines) em->maxlines = cs->n;
    }
    if (s->molar_mass_kg_mol)
        memcpy(em->molar_mass, s->molar_mass_kg_mol, em->nmodel * sizeof *em->molar_mass);

    if ((rc = speciation_create(&em->spec, (const char *const *)inv->species, em->ninv,
                                (const char *const *)inv->sectors, em->nsec, s->model_species,
                                s->molar_mass_kg_mol, em->nmodel, s->extra, s->nextra, s->spec,
                                e)) != BG_OK)
        goto fail;
    append_notes(em, em->spec.notes);

    /* sectors the inventory leaves without BC and OC take the sector fractions */
    Speciation *sp = &em->spec;
    if (inv->field && sp->do_fine && sp->i_pm25 >= 0 && sp->i_bc >= 0 && sp->i_oc >= 0) {
        for (int sec = 0; sec < em->nsec; sec++) {
            if (!field_zero(inv, sp->i_pm25, sec, ncell) && field_zero(inv, sp->i_bc, sec, ncell) &&
                field_zero(inv, sp->i_oc, sec, ncell)) {
                speciation_use_sector_fractions(sp, sec, 1, 1);
                notes_add(&em->notes, "sector '%s' has PM25 but no BC or OC in the inventory: BC %.3g and OC "
                     "%.3g of PM25 (sector fractions, docs/emissions.md)", inv->sectors[sec],
                     sp->fbc[sec], sp->foc[sec]);
            }
        }
    }

    /* temporal profiles */
    em->prof_mask = BG_PROF_MONTH | BG_PROF_WEEKDAY | BG_PROF_HOUR;
    int any_month = 0;
    for (int sec = 0; sec < em->nsec; sec++) {
        em->prof_idx[sec] = profiles_index(s->profiles, inv->sectors[sec]);
        if (em->prof_idx[sec] >= 0 && (s->profiles->has[em->prof_idx[sec]] & BG_PROF_MONTH))
            any_month = 1;
    }
    if (inv->nmonth == 12) {
        /* the inventory's months already carry the seasonal cycle: applying a month profile
           on top would count it twice */
        em->prof_mask &= ~BG_PROF_MONTH;
        if (any_month)
            notes_add(&em->notes, "month profiles ignored: the inventory resolves months itself");
    }
    if (s->profiles) {
        for (int i = 0; i < s->profiles->n; i++) {
            int hit = 0;
            for (int sec = 0; sec < em->nsec && !hit; sec++) hit = em->prof_idx[sec] == i;
            if (!hit)
                notes_add(&em->notes, "profiles: sector '%s' is not an inventory sector (profile unused)",
                     s->profiles->sector[i]);
        }
        for (int sec = 0; sec < em->nsec; sec++)
            if (em->prof_idx[sec] < 0)
                notes_add(&em->notes, "sector '%s' has no temporal profile: flat", inv->sectors[sec]);
    }

    for (int isp = 0; isp < em->ninv; isp++)
        if (sp->used[isp]) em->used[em->nused++] = isp;

    size_t nacc = (size_t)em->ninv + 2 + em->nmodel;
    size_t nq = (size_t)em->nmember * (em->nsec ? em->nsec : 1) * (em->ninv ? em->ninv : 1);
    em->rate_key = LONG_MIN;
    em->rate = calloc(ncell * (em->nsec ? em->nsec : 1) * (em->nused ? em->nused : 1),
                      sizeof *em->rate);
    em->pf = calloc(em->nsec ? em->nsec : 1, sizeof *em->pf);
    em->scratch = calloc(ncell * 2 * (em->ninv ? em->ninv : 1), sizeof *em->scratch);
    em->row_acc = calloc((size_t)em->nmember * em->ny * nacc, sizeof *em->row_acc);
    em->cscalar = calloc(nq, sizeof *em->cscalar);
    em->ccount = calloc(nq, sizeof *em->ccount);
    em->clist = calloc(nq * (em->maxlines ? em->maxlines : 1), sizeof *em->clist);
    em->last_inv_kg_s = calloc((size_t)em->nmember * (em->ninv ? em->ninv : 1),
                               sizeof *em->last_inv_kg_s);
    em->last_deficit_kg_s = calloc((size_t)em->nmember * 2, sizeof *em->last_deficit_kg_s);
    if (!em->rate || !em->pf || !em->scratch || !em->row_acc || !em->cscalar ||
        !em->ccount || !em->clist || !em->last_inv_kg_s || !em->last_deficit_kg_s)
        goto oom;
    return BG_OK;
oom:
    rc = bg_fail(e, BG_EFAIL, "emissions", NULL, "out of memory");
fail:
    emissions_free(em);
    return rc;
}

/* year * 12 + month (0-11) of the UTC calendar month holding t: the same floor as inventory.c,
 * so that the cache changes exactly where inventory_rate does. */
static long utc_month_key(double t)
{
    long z = (long)floor(t / 86400.0) + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long m = mp < 10 ? mp + 3 : mp - 9;
    long y = yoe + era * 400 + (m <= 2);
    return y * 12 + (m - 1);
}

/* Fills the rate cache for the month of t ([sec][used][ncell]). */
static void update_rates(Emissions *em, double t)
{
    long key = utc_month_key(t);
    if (key == em->rate_key) return;
    for (int sec = 0; sec < em->nsec; sec++)
        for (int u = 0; u < em->nused; u++)
            inventory_rate(em->inv, em->used[u], sec, t,
                           em->rate + ((size_t)sec * em->nused + u) * em->ncell);
    em->rate_key = key;
}

/* The control factors of every sector for members k0..k1-1 at t: a uniform part and the list of
 * active regional lines, per (sector, inventory species) (serial, O(lines)). */
static void eval_controls(Emissions *em, double t, int k0, int k1)
{
    const int ninv = em->ninv, nsec = em->nsec, ml = em->maxlines ? em->maxlines : 1;
    for (int k = k0; k < k1; k++) {
        const ControlSet *cs = em->cs[k];
        for (int sec = 0; sec < nsec; sec++)
            for (int u = 0; u < em->nused; u++) {
                int isp = em->used[u];
                size_t q = ((size_t)k * nsec + sec) * ninv + isp;
                double f = 1.0;
                int n = 0;
                if (cs) {
                    size_t p = (size_t)sec * cs->nspec + isp;
                    for (int l = cs->first[p]; l < cs->first[p + 1]; l++) {
                        const Control *c = &cs->c[cs->idx[l]];
                        if (!control_active(c, t)) continue;
                        if (c->region < 0) f *= c->factor;
                        else em->clist[q * ml + n++] = cs->idx[l];
                    }
                }
                em->cscalar[q] = f;
                em->ccount[q] = n;
            }
    }
}

/* Members k0..k1-1 into flux[k - k0]. */
static void surface_range(Emissions *em, double t, int k0, int k1, double *const *flux,
                          double *const *total_kg_s)
{
    const size_t ncell = em->ncell, nx = (size_t)em->nx;
    const int ny = em->ny, ninv = em->ninv, nmodel = em->nmodel, nused = em->nused;
    const int nsec = em->nsec, ml = em->maxlines ? em->maxlines : 1;
    const size_t nacc = (size_t)ninv + 2 + nmodel;
    const Speciation *sp = &em->spec;
    const int has_pm = speciation_has_pm(sp);

    /* shared by every member: the rates (cached per month) and the profile factors */
    update_rates(em, t);
    for (int sec = 0; sec < nsec; sec++)
        em->pf[sec] = profiles_factor(em->prof, em->prof_idx[sec], t, em->tz_h, em->prof_mask);
    eval_controls(em, t, k0, k1);

#pragma omp parallel for schedule(static)
    for (int j = 0; j < ny; j++) {
        /* one row at a time, species-major [ninv][nx], so that the loops over cells vectorise */
        double *r = em->scratch + (size_t)j * 2 * ninv * nx;
        double *rsum = r + (size_t)ninv * nx;
        const size_t row = (size_t)j * nx;
        for (int k = k0; k < k1; k++) {
            double *acc = em->row_acc + ((size_t)k * ny + j) * nacc;
            const ControlSet *cs = em->cs[k];
            double *out = flux[k - k0] + row;
            for (size_t a = 0; a < nacc; a++) acc[a] = 0.0;
            for (int m = 0; m < nmodel; m++) memset(out + (size_t)m * ncell, 0, nx * sizeof *out);
            for (int u = 0; u < nused; u++) memset(rsum + (size_t)em->used[u] * nx, 0, nx * sizeof *rsum);
            for (int sec = 0; sec < nsec; sec++) {
                const double pf = em->pf[sec];
                const size_t q0 = ((size_t)k * nsec + sec) * ninv;
                for (int u = 0; u < nused; u++) {
                    const int isp = em->used[u];
                    const size_t q = q0 + isp;
                    const double f = em->cscalar[q];
                    const double *restrict src = em->rate + ((size_t)sec * nused + u) * ncell + row;
                    double *restrict dst = r + (size_t)isp * nx;
                    double *restrict sum = rsum + (size_t)isp * nx;
                    const int nl = em->ccount[q];
                    if (nl == 0) {
                        /* element-wise: vector and scalar code give the same bits */
#pragma omp simd
                        for (size_t i = 0; i < nx; i++) {
                            double v = src[i] * pf * f;
                            dst[i] = v;
                            sum[i] += v;
                        }
                    } else {
                        const int *lines = em->clist + q * ml;
                        for (size_t i = 0; i < nx; i++) {
                            double fi = f;
                            for (int l = 0; l < nl; l++)
                                fi *= control_cell_factor(&cs->c[lines[l]], cs->regions, row + i);
                            double v = src[i] * pf * fi;
                            dst[i] = v;
                            sum[i] += v;
                        }
                    }
                }
                /* the particulate split is per sector (sector fractions, floors) */
                if (has_pm) speciation_pm_row(sp, sec, r, nx, out, ncell, acc + ninv);
            }
            /* the rest is linear and the same for every sector: once, on the sum */
            speciation_linear_row(sp, rsum, nx, out, ncell);
            for (int u = 0; u < nused; u++) {
                const double *sum = rsum + (size_t)em->used[u] * nx;
                double tsum = 0;
                for (size_t i = 0; i < nx; i++) tsum += sum[i];
                acc[em->used[u]] = tsum;
            }
            for (int m = 0; m < nmodel; m++) {
                const double *fm = out + (size_t)m * ncell;
                double tsum = 0;
                for (size_t i = 0; i < nx; i++) tsum += fm[i];
                acc[ninv + 2 + m] = tsum * em->molar_mass[m];
            }
        }
    }

    /* row partial sums reduced in row order: the same figures for any thread count */
    for (int k = k0; k < k1; k++) {
        double *inv_tot = em->last_inv_kg_s + (size_t)k * ninv;
        double *def = em->last_deficit_kg_s + (size_t)k * 2;
        double *tot = total_kg_s ? total_kg_s[k - k0] : NULL;
        for (int a = 0; a < ninv; a++) inv_tot[a] = 0;
        def[0] = def[1] = 0;
        if (tot)
            for (int m = 0; m < nmodel; m++) tot[m] = 0;
        for (int j = 0; j < ny; j++) {
            const double *acc = em->row_acc + ((size_t)k * ny + j) * nacc;
            for (int a = 0; a < ninv; a++) inv_tot[a] += acc[a];
            def[0] += acc[ninv];
            def[1] += acc[ninv + 1];
            if (tot)
                for (int m = 0; m < nmodel; m++) tot[m] += acc[ninv + 2 + m];
        }
    }
    em->last_t = t;
}

void emissions_surface_member(Emissions *em, int member, double t, double *flux,
                              double *total_kg_s)
{
    if (member < 0 || member >= em->nmember) return;
    double *const f[1] = {flux};
    double *const tt[1] = {total_kg_s};
    surface_range(em, t, member, member + 1, f, total_kg_s ? tt : NULL);
}

void emissions_surface(Emissions *em, double t, double *flux, double *total_kg_s)
{
    emissions_surface_member(em, 0, t, flux, total_kg_s);
}

void emissions_surface_all(Emissions *em, double t, double *const *flux,
                           double *const *total_kg_s)
{
    surface_range(em, t, 0, em->nmember, flux, total_kg_s);
}

void emissions_report(const Emissions *em, int member, char *buf, size_t n)
{
    if (!n) return;
    size_t u = (size_t)snprintf(buf, n, "%s", em->notes ? em->notes : "");
    if (u >= n || member < 0 || member >= em->nmember || isnan(em->last_t)) return;
    char ts[32];
    time_format(em->last_t, ts, sizeof ts);
    u += (size_t)snprintf(buf + u, n - u, "emissions at %s (member %d), kg/s:", ts, member);
    for (int a = 0; a < em->nused && u < n; a++) {
        int isp = em->used[a];
        u += (size_t)snprintf(buf + u, n - u, " %s %.6g", em->inv->species[isp],
                              em->last_inv_kg_s[(size_t)member * em->ninv + isp]);
    }
    const double *d = em->last_deficit_kg_s + (size_t)member * 2;
    if (u < n)
        u += (size_t)snprintf(buf + u, n - u, "\n");
    if (u < n && (d[0] > 0 || d[1] > 0))
        snprintf(buf + u, n - u, "PM floors: %.6g kg/s of negative PPM (PM25 < BC + OM) and "
                 "%.6g kg/s of negative PMC (PM10 < PM25) set to 0\n", d[0], d[1]);
}
