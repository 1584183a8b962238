/* Surface emissions assembled on the fly (DESIGN 4.4, HEMCO/DESID style: nothing is written per
 * scenario): for every model species m and cell c at time t,
 *
 *   flux[m][c] = sum over sectors s of speciation_s( inventory_rate(isp, s, t)[c]
 *                                                   x profile_s(t) x control_k(s, isp, t)[c] )
 *
 * in mol s-1 per cell.  Built once; each call allocates nothing, runs OpenMP over grid rows and
 * gives bitwise identical results for any thread count.  Scenario members (issue 5) differ only
 * in their ControlSet: emissions_surface_all computes K members from one pass over the sector
 * fields (inventory rates and profiles shared). */
#ifndef BOGDA_EMISSIONS_H
#define BOGDA_EMISSIONS_H

#include <stddef.h>

#include "controls.h"
#include "err.h"
#include "grid.h"
#include "inventory.h"
#include "profiles.h"
#include "speciation.h"

typedef struct EmissionsSetup {
    const Grid *grid;
    const Inventory *inv;
    const Profiles *profiles;      /* NULL: flat */
    double timezone_offset_h;      /* local time of the profiles = UTC + this */
    const ControlSet *const *controls; /* [nmember]; an entry may be NULL (no controls) */
    int nmember;                   /* 0: one member without controls */
    const char *const *model_species;  /* [nmodel] every species and tracer of the run */
    const double *molar_mass_kg_mol;   /* [nmodel] */
    int nmodel;
    const SpecExtra *extra;        /* explicit "tracer T gets inventory species X" mappings */
    int nextra;
    const SpecOptions *spec;       /* NULL: speciation_default_options */
} EmissionsSetup;

typedef struct Emissions {
    const Grid *g;
    const Inventory *inv;
    const Profiles *prof;
    double tz_h;
    int prof_mask;                 /* BG_PROF_* applied (no month profile when the inventory has
                                      a month dimension) */
    int nmember, nsec, ninv, nmodel, ny, nx;
    size_t ncell;
    const ControlSet **cs;         /* [nmember] borrowed */
    Speciation spec;
    int *prof_idx;                 /* [nsec] profile of each inventory sector, -1 flat */
    int *used;                     /* inventory species read each step */
    int nused;
    double *molar_mass;            /* [nmodel] kg mol-1 (copy) */
    /* workspace, made once */
    double *rate;                  /* [nsec][nused][ncell] inventory rates, kg s-1, of the UTC
                                      calendar month rate_key (inventory_rate depends on t only
                                      through it: per-month fields, month and year lengths) */
    long rate_key;                 /* year * 12 + month of the cached rates, LONG_MIN: none */
    double *pf;                    /* [nsec] profile factors of the current call */
    double *scratch;               /* [ny][2][ninv][nx] controlled rates of one row: one sector,
                                      and summed over sectors */
    double *row_acc;               /* [nmember][ny][ninv + 2 + nmodel] row partial sums */
    double *cscalar;               /* [nmember][nsec][ninv] uniform control factor */
    int *ccount, *clist;           /* [nmember][nsec][ninv] and [..][maxlines]: the active
                                      regional lines of the current call */
    int maxlines;
    /* results of the last call, per member */
    double *last_inv_kg_s;         /* [nmember][ninv] after profiles and controls (species read
                                      each step only; others 0) */
    double *last_deficit_kg_s;     /* [nmember][2] mass removed by the floors PPM >= 0, PMC >= 0 */
    double last_t;
    char *notes;                   /* newline-separated remarks for run.log, or NULL */
} Emissions;

/* Validates and builds.  BG_ECONFIG for a control set made for other name lists, an unknown
 * extra mapping or a receiving species without molar mass; BG_EFAIL out of memory. */
int emissions_create(Emissions *em, const EmissionsSetup *s, BgErr *e);
void emissions_free(Emissions *em);

/* Member 0 (the baseline).  flux [nmodel][ny*nx] mol s-1 per cell (overwritten);
 * total_kg_s [nmodel] (may be NULL): domain totals in kg s-1 (mol x molar mass). */
void emissions_surface(Emissions *em, double t, double *flux, double *total_kg_s);
void emissions_surface_member(Emissions *em, int member, double t, double *flux,
                              double *total_kg_s);
/* Every member in one pass: flux[k] and total_kg_s[k] (the latter array or its entries may be
 * NULL) for k < nmember. */
void emissions_surface_all(Emissions *em, double t, double *const *flux,
                           double *const *total_kg_s);

/* The set-up remarks and the figures of the last call for `member` (inventory totals after
 * profiles and controls, mass removed by the floors), one line each, into buf. */
void emissions_report(const Emissions *em, int member, char *buf, size_t n);

#endif
