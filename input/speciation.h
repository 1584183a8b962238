/* Speciation of inventory species (mass rates) into model species (mole rates), DESIGN 2.3:
 *   NOx (as NO2 mass)  -> NO, NO2 by mole (90/10 by default)
 *   VOC / NMVOC        -> ROC in moles of carbon (ppb C once mixed)
 *   PM25, BC, OC       -> PBC = BC, POC = OC x OM/OC, PPM = PM25 - BC - OM (floored at 0)
 *   PM10 - PM25        -> PMC (floored at 0)
 *   any other species  -> the model species of the same name, if any (SO2, NH3, CO, ...)
 * plus explicit extra mappings ("tracer T gets inventory species X") for inert tracers.
 * Values, sources and the choice PPM = PM25 - BC - OM: docs/emissions.md. */
#ifndef BOGDA_SPECIATION_H
#define BOGDA_SPECIATION_H

#include <stddef.h>

#include "err.h"

/* BC and OC as fractions of PM2.5 mass for a sector whose BC/OC the inventory does not give;
 * pattern is a case-insensitive glob on the sector name, the first match wins. */
typedef struct SpecSectorPM {
    const char *pattern;
    double bc, oc;
} SpecSectorPM;

/* model species `model` receives factor x the mass of inventory species `inventory`. */
typedef struct SpecExtra {
    const char *model, *inventory;
    double factor;
} SpecExtra;

typedef struct SpecOptions {
    double no_mole_fraction;  /* share of NOx moles emitted as NO (DESIGN 2.3: 0.9) */
    double om_oc;             /* organic matter / organic carbon of primary OA (1.4) */
    double voc_kg_per_mol_c;  /* VOC mass per mole of carbon, kg mol-1 (0.0156) */
    int ppm_minus_om;         /* 1: PPM = PM25 - BC - OM (PM2.5 mass conserved, default);
                                 0: PPM = PM25 - BC - OC (DESIGN 2.3 read literally) */
    const SpecSectorPM *sector_pm; /* NULL: the built-in table (docs/emissions.md) */
    int nsector_pm;
} SpecOptions;

void speciation_default_options(SpecOptions *o);

typedef struct SpecTerm {
    int isp, m;      /* inventory species -> model species */
    double coef;     /* mol kg-1 */
} SpecTerm;

typedef struct Speciation {
    int ninv, nmodel, nsec;
    SpecTerm *term;          /* linear terms */
    int nterm;
    int i_pm25, i_pm10, i_bc, i_oc;   /* inventory indices, -1 if absent */
    int m_pbc, m_poc, m_ppm, m_pmc;   /* model indices, -1 if absent */
    double c_pbc, c_poc, c_ppm, c_pmc; /* mol kg-1 (1 / molar mass) */
    double om_oc;
    int ppm_minus_om;
    int do_fine;                     /* some of PBC/POC/PPM exist and PM25, BC or OC is given */
    double *fbc, *foc;               /* [nsec] sector fractions of PM2.5 */
    unsigned char *prof_bc, *prof_oc;/* [nsec] 1: take BC / OC from the sector fractions */
    unsigned char *used;             /* [ninv] inventory species that speciation_cell reads */
    char *notes;                     /* newline-separated remarks for run.log, or NULL */
} Speciation;

/* inv_species [ninv]: the inventory's species names; sectors [nsec]; model [nmodel] the run's
 * species (gases, aerosols, tracers) with molar masses in kg mol-1 (only those that receive
 * emissions need one > 0).  opt NULL: defaults.  BG_ECONFIG for an extra mapping naming an
 * unknown species, a receiving species without molar mass, or bad options.  Inventory species
 * that reach no model species, and dropped shares, are listed in sp->notes. */
int speciation_create(Speciation *sp, const char *const *inv_species, int ninv,
                      const char *const *sectors, int nsec, const char *const *model,
                      const double *molar_mass_kg_mol, int nmodel, const SpecExtra *extra,
                      int nextra, const SpecOptions *opt, BgErr *e);
void speciation_free(Speciation *sp);

/* Makes sector isec take BC and/or OC from its sector fractions (the inventory gives none for
 * that sector). */
void speciation_use_sector_fractions(Speciation *sp, int isec, int bc, int oc);

/* One cell of one sector: r [ninv] inventory rates (kg s-1; only used[] entries are read);
 * adds mol s-1 to out[m * stride] for every model species m; adds the mass removed by the floors
 * to deficit_kg_s[0] (PPM < 0) and [1] (PM10 < PM25).  Pure; thread-safe. */
void speciation_cell(const Speciation *sp, int isec, const double *r, double *out, size_t stride,
                     double *deficit_kg_s);

/* The two parts of speciation_cell over n cells at once, for callers that sum sectors first:
 * r is [ninv][n] (species-major rows), out[m * stride + i] for cell i < n.
 * speciation_linear_row: the sector-independent linear terms (NOx, VOC, same-name species,
 * extra mappings), applied once on rates summed over sectors; speciation_pm_row: the
 * particulate split (sector fractions, floors) of one sector.  speciation_cell is both on n = 1;
 * the deficits are summed over i in order. */
void speciation_linear_row(const Speciation *sp, const double *r, size_t n, double *out,
                           size_t stride);
void speciation_pm_row(const Speciation *sp, int isec, const double *r, size_t n, double *out,
                       size_t stride, double *deficit_kg_s);
/* 1 if speciation_pm_row has anything to do. */
int speciation_has_pm(const Speciation *sp);

#endif
