/* The column processes of the 3-D model: gas chemistry (model/chem.h), inorganic aerosol
 * equilibrium (model/aerosol.h) and wet scavenging, cell by cell over one sync step.  It maps
 * the State (mol mol-1, species in state order) to the chemistry's concentration vector (ppb,
 * species-table order) and back, and books the net chemical change per species. */
#ifndef BOGDA_CHEMPROC_H
#define BOGDA_CHEMPROC_H

#include "chem.h"
#include "grid.h"
#include "met.h"
#include "parallel.h"
#include "species.h"
#include "state.h"

typedef struct ChemProc ChemProc;

/* map[t] = state index of table species t (every table species must be in the state). */
ChemProc *chemproc_create(const ChemMech *mech, const SpeciesTable *tab, const int *map,
                          const Grid *g, int do_chem, int do_aerosol, BgErr *e);
void chemproc_free(ChemProc *p);
/* A distributed run (docs/parallel.md): only this rank's rows; the per-row sums (chemical
 * change, failed and retried cells) are combined over the ranks in row order.  NULL: all. */
void chemproc_set_decomp(ChemProc *p, const ParDecomp *d);

/* A batch group's members see the same meteorology at the same times, so what the chemistry
 * and the aerosol compute from it alone -- the relative humidity, the photolysis frequencies
 * and OH, the rate constants of every reaction but the heterogeneous N2O5 and aqueous SO2 ones
 * (chem_cells_het_lm), the NH4NO3 Kp -- is the same bits for every member.  A ChemShare holds
 * them for one step: after chemproc_share_begin, the first chemproc_step of a ChemProc set to
 * the share computes them into it, and the following calls with the same t and dt take them
 * from it and compute only the concentration-dependent rates.  Each member's results are
 * therefore those of its run alone, bit for bit.  The share is sized for p's block (set the
 * decomposition first); NULL when out of memory. */
typedef struct ChemShare ChemShare;
ChemShare *chemproc_share_create(const ChemProc *p);
void chemproc_share_free(ChemShare *sh);
void chemproc_share_begin(ChemShare *sh);
/* 1 if b may take what a computed: the same grid, block, processes and OH scale */
int chemproc_share_compatible(const ChemProc *a, const ChemProc *b);
void chemproc_set_share(ChemProc *p, ChemShare *sh); /* NULL: none */
const ChemShare *chemproc_share_of(const ChemProc *p);

/* Advances every cell over dt with the met f (the step's midpoint).  Each cell starts from the
 * step size it carries in s->chem_h (when not NULL) and leaves the one for its next step there
 * (chem_integrate_cells_qm's h; only this rank's block in a distributed run).  change[s] (state order)
 * accumulates the net chemical change in kg of air * mixing ratio, summed in a fixed order.
 * Cells whose solver failed keep their values and are counted; *failed and *retried (may be
 * NULL) receive the counts of this call, *first_fail the flat index of the first failed cell. */
void chemproc_step(ChemProc *p, const Grid *g, const MetFields *f, double t, double dt, State *s,
                   double *change, long *failed, long *retried, long *first_fail);

/* The solver counts (cells, steps, rejections) summed over the threads since chemproc_create:
 * diagnostics for the log and the benchmarks (the sum of integers is order-independent). */
void chemproc_stats(const ChemProc *p, ChemStats *st);

/* Relative humidity (0..1, over liquid water) from qv (kg kg-1), T (K), p (Pa): Bolton (1980)
 * saturation vapour pressure; chem_rh, so the bits of the chemistry's lanes (chem_rh_n). */
double chemproc_rh(double qv, double T, double p);

#endif
