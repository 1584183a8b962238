#include "speciation.h"

#include "notes.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Molar mass of NO2, the mass unit in which inventories report NOx (NIST Chemistry WebBook,
 * SRD 69, nitrogen dioxide: 46.0055 g mol-1).  A property of the inventory convention, not of
 * the model's species table, so it is fixed here. */
#define M_NO2_INVENTORY 46.0055e-3

/* BC and OC fractions of primary PM2.5 by sector, used only where the inventory gives no BC/OC
 * for a sector.  Indicative, rounded values within the ranges of Chinese source profiles and
 * inventories (Zhang et al. 2007, Environ. Res. Lett. 2, 045027; Lei et al. 2011, Atmos. Chem.
 * Phys. 11, 931; US EPA SPECIATE 5 composites): controlled coal combustion and mineral
 * industries are mostly inorganic ash, coking, residential stoves and vehicles carbonaceous.
 * docs/emissions.md lists them with their uncertainty; replace them with the inventory's own
 * BC/OC whenever it has them. */
static const SpecSectorPM builtin_sector_pm[] = {
    {"power*", 0.02, 0.03},          {"ene*", 0.02, 0.03},
    {"steel*", 0.02, 0.04},          {"iron*", 0.02, 0.04},
    {"cement*", 0.01, 0.02},         {"nmm*", 0.01, 0.02},
    {"coke*", 0.10, 0.25},           {"petro*", 0.04, 0.08},
    {"ref*", 0.04, 0.08},            {"coal_chem*", 0.04, 0.08},
    {"*chem*", 0.04, 0.08},          {"resid*", 0.15, 0.35},
    {"rco*", 0.15, 0.35},            {"dom*", 0.15, 0.35},
    {"*heavy*", 0.50, 0.25},         {"*diesel*", 0.50, 0.25},
    {"*light*", 0.20, 0.45},         {"*gasoline*", 0.20, 0.45},
    {"transport*", 0.40, 0.30},      {"tro*", 0.40, 0.30},
    {"tra*", 0.40, 0.30},            {"road*", 0.40, 0.30},
    {"agri*", 0.00, 0.05},           {"agr*", 0.00, 0.05},
    {"*indus*", 0.05, 0.08},         {"ind*", 0.05, 0.08},
    {"*", 0.05, 0.10},
};

void speciation_default_options(SpecOptions *o)
{
    memset(o, 0, sizeof *o);
    o->no_mole_fraction = 0.9; /* DESIGN 2.3: NOx emitted as NO/NO2 90/10 by mole */
    /* OM/OC of primary combustion organic aerosol: Turpin & Lim (2001, Aerosol Sci. Technol. 35,
       602) give 1.4 as the conventional value, appropriate for fresh urban emissions (their
       1.6 +- 0.2 applies to aged urban aerosol). */
    o->om_oc = 1.4;
    /* VOC mass per mole of carbon: carbon is ~77 % of the mass of a Chinese anthropogenic NMVOC
       mix (class shares of Zhou et al. 2019, J. Atmos. Chem. 76, 21: alkanes 17 %, alkenes 9 %,
       alkynes 2 %, aromatics 23 %, OVOCs 22 %, halocarbons 4 %, other 23 %, with carbon mass
       fractions 0.83, 0.86, 0.92, 0.91, 0.55, 0.2, 0.8 of representative molecules), so
       12.011 g / 0.77 = 15.6 g VOC per mole C. */
    o->voc_kg_per_mol_c = 0.0156;
    o->ppm_minus_om = 1;
    o->sector_pm = NULL;
    o->nsector_pm = 0;
}

void speciation_free(Speciation *sp)
{
    if (!sp) return;
    free(sp->term);
    free(sp->fbc);
    free(sp->foc);
    free(sp->prof_bc);
    free(sp->prof_oc);
    free(sp->used);
    free(sp->notes);
    memset(sp, 0, sizeof *sp);
}


static int glob_ci(const char *pat, const char *s)
{
    const char *star = NULL, *ss = NULL;
    while (*s) {
        if (*pat == '*') { star = pat++; ss = s; continue; }
        if (*pat == '?' || (*pat && tolower((unsigned char)*pat) == tolower((unsigned char)*s))) {
            pat++;
            s++;
            continue;
        }
        if (star) { pat = star + 1; s = ++ss; continue; }
        return 0;
    }
    while (*pat == '*') pat++;
    return *pat == '\0';
}

static int find_ci(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(names[i], name) == 0) return i;
    return -1;
}

static int find_exact(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

static int add_term(Speciation *sp, int *cap, int isp, int m, double coef)
{
    if (sp->nterm == *cap) {
        int c = *cap ? 2 * *cap : 16;
        SpecTerm *t = realloc(sp->term, c * sizeof *t);
        if (!t) return BG_EFAIL;
        sp->term = t;
        *cap = c;
    }
    sp->term[sp->nterm++] = (SpecTerm){isp, m, coef};
    sp->used[isp] = 1;
    return BG_OK;
}

/* 1 / molar mass of model species m, or fail when it has none. */
static int inv_mass(const char *const *model, const double *mm, int m, double *c, BgErr *e)
{
    if (!mm || !(mm[m] > 0) || !isfinite(mm[m]))
        return bg_fail(e, BG_ECONFIG, "species", model[m],
                       "receives emissions but has no molar mass > 0");
    *c = 1.0 / mm[m];
    return BG_OK;
}

int speciation_create(Speciation *sp, const char *const *inv_species, int ninv,
                      const char *const *sectors, int nsec, const char *const *model,
                      const double *molar_mass_kg_mol, int nmodel, const SpecExtra *extra,
                      int nextra, const SpecOptions *opt, BgErr *e)
{
    memset(sp, 0, sizeof *sp);
    SpecOptions def;
    if (!opt) {
        speciation_default_options(&def);
        opt = &def;
    }
    if (!(opt->no_mole_fraction >= 0 && opt->no_mole_fraction <= 1) || !(opt->om_oc >= 1) ||
        !(opt->voc_kg_per_mol_c > 0) || !isfinite(opt->om_oc) ||
        !isfinite(opt->voc_kg_per_mol_c))
        return bg_fail(e, BG_ECONFIG, "speciation", NULL,
                       "options out of range (NO fraction in [0,1], OM/OC >= 1, VOC kg/mol C > 0)");
    sp->ninv = ninv;
    sp->nmodel = nmodel;
    sp->nsec = nsec;
    sp->om_oc = opt->om_oc;
    sp->ppm_minus_om = opt->ppm_minus_om;
    sp->m_pbc = find_exact(model, nmodel, "PBC");
    sp->m_poc = find_exact(model, nmodel, "POC");
    sp->m_ppm = find_exact(model, nmodel, "PPM");
    sp->m_pmc = find_exact(model, nmodel, "PMC");
    sp->i_pm25 = find_ci(inv_species, ninv, "PM25");
    if (sp->i_pm25 < 0) sp->i_pm25 = find_ci(inv_species, ninv, "PM2.5");
    sp->i_pm10 = find_ci(inv_species, ninv, "PM10");
    sp->i_bc = find_ci(inv_species, ninv, "BC");
    sp->i_oc = find_ci(inv_species, ninv, "OC");
    sp->used = calloc(ninv > 0 ? ninv : 1, 1);
    sp->fbc = calloc(nsec > 0 ? nsec : 1, sizeof *sp->fbc);
    sp->foc = calloc(nsec > 0 ? nsec : 1, sizeof *sp->foc);
    sp->prof_bc = calloc(nsec > 0 ? nsec : 1, 1);
    sp->prof_oc = calloc(nsec > 0 ? nsec : 1, 1);
    if (!sp->used || !sp->fbc || !sp->foc || !sp->prof_bc || !sp->prof_oc) {
        speciation_free(sp);
        return bg_fail(e, BG_EFAIL, "speciation", NULL, "out of memory");
    }
    int cap = 0, rc = BG_OK;
    double c;
    unsigned char *mapped = calloc(ninv > 0 ? ninv : 1, 1);
    if (!mapped) { rc = bg_fail(e, BG_EFAIL, "speciation", NULL, "out of memory"); goto out; }

    for (int isp = 0; isp < ninv && rc == BG_OK; isp++) {
        const char *name = inv_species[isp];
        if (isp == sp->i_pm25 || isp == sp->i_pm10 || isp == sp->i_bc || isp == sp->i_oc)
            continue;
        if (strcasecmp(name, "NOx") == 0) {
            int mno = find_exact(model, nmodel, "NO"), mno2 = find_exact(model, nmodel, "NO2");
            double fno = opt->no_mole_fraction;
            if (mno >= 0 && fno > 0) rc = add_term(sp, &cap, isp, mno, fno / M_NO2_INVENTORY);
            if (rc == BG_OK && mno2 >= 0 && fno < 1)
                rc = add_term(sp, &cap, isp, mno2, (1.0 - fno) / M_NO2_INVENTORY);
            if (mno >= 0 || mno2 >= 0) {
                mapped[isp] = 1;
                if (mno < 0 && fno > 0)
                    notes_add(&sp->notes, "NOx: the NO share (%.0f %% by mole) is not emitted: no model "
                         "species NO", 100 * fno);
                if (mno2 < 0 && fno < 1)
                    notes_add(&sp->notes, "NOx: the NO2 share (%.0f %% by mole) is not emitted: no model "
                         "species NO2", 100 * (1 - fno));
            }
        } else if (strcasecmp(name, "VOC") == 0 || strcasecmp(name, "NMVOC") == 0) {
            int m = find_exact(model, nmodel, "ROC");
            if (m >= 0) {
                rc = add_term(sp, &cap, isp, m, 1.0 / opt->voc_kg_per_mol_c);
                mapped[isp] = 1;
            }
        } else {
            int m = find_exact(model, nmodel, name);
            if (m >= 0 && (rc = inv_mass(model, molar_mass_kg_mol, m, &c, e)) == BG_OK) {
                rc = add_term(sp, &cap, isp, m, c);
                mapped[isp] = 1;
            }
        }
    }
    if (rc != BG_OK) goto out;

    /* particulate matter */
    if (sp->m_pbc >= 0 && (rc = inv_mass(model, molar_mass_kg_mol, sp->m_pbc, &sp->c_pbc, e)))
        goto out;
    if (sp->m_poc >= 0 && (rc = inv_mass(model, molar_mass_kg_mol, sp->m_poc, &sp->c_poc, e)))
        goto out;
    if (sp->m_ppm >= 0 && (rc = inv_mass(model, molar_mass_kg_mol, sp->m_ppm, &sp->c_ppm, e)))
        goto out;
    if (sp->m_pmc >= 0 && (rc = inv_mass(model, molar_mass_kg_mol, sp->m_pmc, &sp->c_pmc, e)))
        goto out;
    int fine_target = sp->m_pbc >= 0 || sp->m_poc >= 0 || sp->m_ppm >= 0;
    if (sp->i_pm25 >= 0 && fine_target) {
        sp->used[sp->i_pm25] = 1;
        mapped[sp->i_pm25] = 1;
    }
    if (sp->i_bc >= 0 && fine_target) {
        sp->used[sp->i_bc] = 1;
        mapped[sp->i_bc] = sp->m_pbc >= 0;
    }
    if (sp->i_oc >= 0 && fine_target) {
        sp->used[sp->i_oc] = 1;
        mapped[sp->i_oc] = sp->m_poc >= 0;
    }
    if (sp->i_pm10 >= 0 && sp->m_pmc >= 0) {
        sp->used[sp->i_pm10] = 1;
        mapped[sp->i_pm10] = 1;
        if (sp->i_pm25 >= 0) sp->used[sp->i_pm25] = 1;
        else notes_add(&sp->notes, "PM10 without PM25 in the inventory: all of PM10 is emitted as coarse PMC");
    }
    /* sector fractions: used for every sector when the inventory lacks BC or OC, and for the
       sectors emissions_create finds without BC/OC */
    const SpecSectorPM *tab = opt->sector_pm ? opt->sector_pm : builtin_sector_pm;
    int ntab = opt->sector_pm ? opt->nsector_pm
                              : (int)(sizeof builtin_sector_pm / sizeof *builtin_sector_pm);
    int need = sp->i_pm25 >= 0 && fine_target && (sp->i_bc < 0 || sp->i_oc < 0);
    for (int s = 0; s < nsec; s++) {
        int k = 0;
        while (k < ntab && !glob_ci(tab[k].pattern, sectors[s])) k++;
        if (k < ntab) {
            sp->fbc[s] = tab[k].bc;
            sp->foc[s] = tab[k].oc;
        } else if (need) {
            rc = bg_fail(e, BG_ECONFIG, "speciation", sectors[s],
                         "no BC/OC sector fractions match this sector");
            goto out;
        }
        if (need) speciation_use_sector_fractions(sp, s, sp->i_bc < 0, sp->i_oc < 0);
    }
    if (need)
        notes_add(&sp->notes, "PM25: the inventory has no %s%s%s; taken as sector fractions of PM25 "
             "(docs/emissions.md)", sp->i_bc < 0 ? "BC" : "",
             sp->i_bc < 0 && sp->i_oc < 0 ? " and " : "", sp->i_oc < 0 ? "OC" : "");
    sp->do_fine = fine_target && (sp->i_pm25 >= 0 || sp->i_bc >= 0 || sp->i_oc >= 0);
    for (int s = 0; s < nsec; s++) {
        double sum = sp->fbc[s] + (sp->ppm_minus_om ? sp->om_oc : 1.0) * sp->foc[s];
        if (!(sp->fbc[s] >= 0 && sp->foc[s] >= 0 && sum <= 1.0)) {
            rc = bg_fail(e, BG_ECONFIG, "speciation", sectors[s],
                         "BC/OC sector fractions %g, %g leave a negative remainder of PM25",
                         sp->fbc[s], sp->foc[s]);
            goto out;
        }
    }

    /* explicit extra mappings */
    for (int k = 0; k < nextra; k++) {
        int m = find_exact(model, nmodel, extra[k].model);
        int isp = find_ci(inv_species, ninv, extra[k].inventory);
        /* the mappings are the configuration's [tracers] emit.NAME = SPECIES lines */
        char item[96];
        snprintf(item, sizeof item, "emit.%s", extra[k].model);
        if (m < 0) {
            rc = bg_fail(e, BG_ECONFIG, "[tracers]", item, "'%s' is not a species or tracer of this run",
                         extra[k].model);
            goto out;
        }
        if (isp < 0) {
            rc = bg_fail(e, BG_ECONFIG, "[tracers]", item, "'%s' is not a species of the emission inventory",
                         extra[k].inventory);
            goto out;
        }
        if (!(extra[k].factor >= 0) || !isfinite(extra[k].factor)) {
            rc = bg_fail(e, BG_ECONFIG, "[tracers]", item, "factor must be a number >= 0");
            goto out;
        }
        if ((rc = inv_mass(model, molar_mass_kg_mol, m, &c, e)) != BG_OK) goto out;
        if ((rc = add_term(sp, &cap, isp, m, extra[k].factor * c)) != BG_OK) goto out;
        mapped[isp] = 1;
    }
    for (int isp = 0; isp < ninv; isp++)
        if (!mapped[isp])
            notes_add(&sp->notes, "inventory species '%s' is emitted into no model species of this run",
                 inv_species[isp]);
out:
    free(mapped);
    if (rc != BG_OK) {
        speciation_free(sp);
        if (rc == BG_EFAIL) bg_fail(e, BG_EFAIL, "speciation", NULL, "out of memory");
    }
    return rc;
}

void speciation_use_sector_fractions(Speciation *sp, int isec, int bc, int oc)
{
    if (isec < 0 || isec >= sp->nsec) return;
    if (bc) sp->prof_bc[isec] = 1;
    if (oc) sp->prof_oc[isec] = 1;
}

void speciation_linear_row(const Speciation *sp, const double *r, size_t n, double *out,
                           size_t stride)
{
    for (int k = 0; k < sp->nterm; k++) {
        const SpecTerm *t = &sp->term[k];
        const double *restrict src = r + (size_t)t->isp * n;
        double *restrict dst = out + (size_t)t->m * stride;
        const double coef = t->coef;
#pragma omp simd
        for (size_t i = 0; i < n; i++) dst[i] += src[i] * coef;
    }
}

int speciation_has_pm(const Speciation *sp)
{
    return sp->do_fine || (sp->i_pm10 >= 0 && sp->m_pmc >= 0);
}

void speciation_pm_row(const Speciation *sp, int isec, const double *r, size_t n, double *out,
                       size_t stride, double *deficit_kg_s)
{
    const double *pm25 = sp->i_pm25 >= 0 ? r + (size_t)sp->i_pm25 * n : NULL;
    if (sp->do_fine) {
        const int pbc = sp->prof_bc[isec], poc = sp->prof_oc[isec];
        const double fbc = sp->fbc[isec], foc = sp->foc[isec], omoc = sp->om_oc;
        const double *bcr = sp->i_bc >= 0 ? r + (size_t)sp->i_bc * n : NULL;
        const double *ocr = sp->i_oc >= 0 ? r + (size_t)sp->i_oc * n : NULL;
        double *obc = sp->m_pbc >= 0 ? out + (size_t)sp->m_pbc * stride : NULL;
        double *ooc = sp->m_poc >= 0 ? out + (size_t)sp->m_poc * stride : NULL;
        double *opm = sp->m_ppm >= 0 ? out + (size_t)sp->m_ppm * stride : NULL;
        double def = 0;
        for (size_t i = 0; i < n; i++) {
            double p = pm25 ? pm25[i] : 0.0;
            double bc = pbc ? fbc * p : bcr ? bcr[i] : 0.0;
            double oc = poc ? foc * p : ocr ? ocr[i] : 0.0;
            double om = omoc * oc;
            if (obc) obc[i] += bc * sp->c_pbc;
            if (ooc) ooc[i] += om * sp->c_poc;
            if (pm25) {
                double rest = p - bc - (sp->ppm_minus_om ? om : oc);
                if (rest < 0) {
                    def -= rest;
                    rest = 0;
                }
                if (opm) opm[i] += rest * sp->c_ppm;
            }
        }
        deficit_kg_s[0] += def;
    }
    if (sp->i_pm10 >= 0 && sp->m_pmc >= 0) {
        const double *pm10 = r + (size_t)sp->i_pm10 * n;
        double *o = out + (size_t)sp->m_pmc * stride;
        double def = 0;
        for (size_t i = 0; i < n; i++) {
            double coarse = pm10[i] - (pm25 ? pm25[i] : 0.0);
            if (coarse < 0) {
                def -= coarse;
                coarse = 0;
            }
            o[i] += coarse * sp->c_pmc;
        }
        deficit_kg_s[1] += def;
    }
}

void speciation_cell(const Speciation *sp, int isec, const double *r, double *out, size_t stride,
                     double *deficit_kg_s)
{
    speciation_linear_row(sp, r, 1, out, stride);
    speciation_pm_row(sp, isec, r, 1, out, stride, deficit_kg_s);
}
