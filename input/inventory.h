/* Gridded emission inventories (DESIGN 2.3: the NetCDF layout of MEIC, EDGAR, HTAP, CAMS), read
 * once, converted to SI with udunits2 (calendar months and years by their real length) and
 * regridded conservatively onto the model grid. */
#ifndef BOGDA_INVENTORY_H
#define BOGDA_INVENTORY_H

#include <stddef.h>

#include "err.h"
#include "grid.h"

typedef struct Inventory {
    int nsector, nspec, nmonth;   /* nmonth: 1 (no month dimension) or 12 */
    char **sectors;               /* [nsector] names as in the file */
    char **species;               /* [nspec] species names of DESIGN 2.3 (SO2, NOx, NH3, ...), in
                                     that order; = the variable names (see varnames) */
    int nx, ny;                   /* model grid */
    /* Regridded fields, one per (species, sector, month), on the model grid.  The unit depends
     * on the source unit: kind[isp] = 0: kg s-1 per model cell; 1: kg per calendar month per
     * cell; 2: kg per calendar year per cell (divided by the real month/year length when a rate
     * is asked for). */
    double *field;                /* [nspec][nsector][nstored][ny*nx]: nstored = nkeep months
                                     (slot[] maps a calendar month to its place), or nmonth
                                     when nkeep = 0 (every month, in order) */
    int nkeep;                    /* months held (inventory_load_months), 0: all nmonth */
    int slot[12];                 /* with nkeep: month 0..11 -> index in field, -1 not held */
    unsigned char *nonzero;       /* [nspec][nsector] 1 where some month (held or not) of the
                                     regridded field is nonzero; NULL for hand-built inventories */
    int *kind;                    /* [nspec] */
    double *outside_kg_s;         /* [nspec] mean rate of the source cells falling outside the
                                     domain (reported, not emitted) */
    double *total_kg_s;           /* [nspec] mean rate of the whole source file */
    /* Additions (docs/inventory.md).  "Mean rate" above and here: the mean over a 365-day year
     * of what inventory_rate gives, summed over sectors and cells, so that
     * inside_kg_s + outside_kg_s = total_kg_s to round-off. */
    double *inside_kg_s;          /* [nspec] mean rate of the regridded fields (the domain) */
    char **units;                 /* [nspec] the units attribute as in the file */
    char **varnames;              /* [nspec] the variable names as in the file (species[] holds
                                     the DESIGN names SO2, NOx, ...; equal for a file that
                                     follows DESIGN 2.3; PM2.5, NMVOC, case variants accepted) */
    int on_model_grid;            /* 1: the file was on the model grid (no regridding) */
} Inventory;

/* Largest accepted flux density of one source cell, kg m-2 s-1 (docs/inventory.md: three times
 * a 100 kt/yr stack alone in a 1-km2 cell; the heaviest cells of real 0.05-0.25 degree
 * inventories, 1e-8..1e-6, multiplied by a kg/Mg (1000) or s/h (3600) slip exceed it). */
#define INVENTORY_MAX_FLUX 1e-5

/* Reads, validates (units, NaN, negatives, implausible magnitudes), converts and regrids.
 * BG_EINPUT naming file and variable on bad input. */
int inventory_load(Inventory *inv, const char *path, const Grid *g, BgErr *e);
/* The same, holding only the calendar months of the bits of `months` (bit m: month m, 0 =
 * January; 0 or 0xfff: all) of a file with a month dimension: a run needs the months of its
 * window, not the year (249 -> 21 MB for one month of the 4-km case).  Every month is still read,
 * validated and regridded (the totals and checks are those of the whole year).  inventory_rate
 * must then be asked only for held months (it writes NaN otherwise). */
int inventory_load_months(Inventory *inv, const char *path, const Grid *g, unsigned months, BgErr *e);
/* The months of the window [t0, t1] (UTC) as bits for inventory_load_months. */
unsigned inventory_months_of(double t0, double t1);
/* Months stored per (species, sector) in inv->field. */
int inventory_nstored(const Inventory *inv);
/* Emission rate (kg s-1 per model cell) of species isp and sector isec at time t (UTC), for every
 * cell [ny*nx].  No allocation. */
void inventory_rate(const Inventory *inv, int isp, int isec, double t, double *out);

int inventory_species_index(const Inventory *inv, const char *name); /* -1 if absent */
int inventory_sector_index(const Inventory *inv, const char *name);  /* -1 if absent */
void inventory_free(Inventory *inv);

#endif
