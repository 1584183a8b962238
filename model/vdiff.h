/* Implicit vertical turbulent diffusion of mixing ratios, one column at a time.
 *
 * Backward Euler in time (L-stable: no oscillation at any dt, as needed for Kz ~ 100 m2 s-1 over
 * 30-m layers), conservative finite volumes in the vertical:
 *   M_k (q_k' - q_k)/dt = D_{k+1/2}(q_{k+1}' - q_k') - D_{k-1/2}(q_k' - q_{k-1}') [+ S - V q_0' at k=0]
 * with conductances D = rho_face Kz A / dz_c (kg s-1).  Surface emissions S and dry deposition V
 * enter as the lower boundary flux (DESIGN 4.1), so that a strong surface source is mixed
 * implicitly, not piled into the lowest layer. The tridiagonal system is solved with the Thomas
 * algorithm run from the top down, which is stable here because the matrix is diagonally
 * dominant, and which leaves the deposition conductance (ground row only) to the last pivot: the
 * elimination is shared by every species, a depositing one costs a division per column
 * (docs/transport.md). */
#ifndef BOGDA_VDIFF_H
#define BOGDA_VDIFF_H

#include <stddef.h>

#include "grid.h"
#include "met.h"
#include "parallel.h"

/* m[nz] air masses (kg), d[nz+1] conductances (kg s-1, d[0] and d[nz] ignored), q: nvar
 * variables of nz values at stride ldq.  sflux[v] surface source (kg * mixing ratio s-1) or NULL;
 * vdep[v] deposition conductance (kg s-1) or NULL; removed[v] (may be NULL) accumulates the
 * deposited amount (kg * mixing ratio).  scratch: 2*nz doubles. */
void vdiff_column(int nz, const double *m, const double *d, double dt, int nvar, double *q,
                  size_t ldq, const double *sflux, const double *vdep, double *removed,
                  double *scratch);

/* Conductances of column (j,i) from the met: rho at interfaces (mean of the two layers), Kz, cell
 * area, distance between layer centres. d[nz+1]. */
void vdiff_conductance(const Grid *g, const MetFields *f, int j, int i, double *d);

typedef struct VdiffWork VdiffWork;
VdiffWork *vdiff_work_create(const Grid *g, int nvar);
void vdiff_work_free(VdiffWork *w);
/* Restricts vdiff_3d to the rows of this rank of a distributed run (d may be NULL: all rows);
 * the deposited amounts are then summed over the ranks, still in row order. */
void vdiff_work_set_decomp(VdiffWork *w, const ParDecomp *d);
/* Every column of the nvar fields q[v] (each [k][j][i]) with the met fields f (airm, rho, zf,
 * kz); OpenMP over rows of columns, bitwise identical for any thread count and to vdiff_column
 * per column.  The fields are independent: the species of several scenario members share one
 * call (and the elimination, computed once per chunk of a row), and each field's values do not
 * depend on the other fields of the call.  sflux[v] ([ny][nx]
 * surface sources, kg * mixing ratio s-1) and vdep[v] ([ny][nx] deposition conductances, kg s-1)
 * may be NULL, as may the arrays of pointers; removed[v] (may be NULL) accumulates the deposited
 * amounts (kg * mixing ratio), summed in a fixed order; dep_field[v] ([ny][nx], may be NULL)
 * accumulates them per column. */
void vdiff_3d(VdiffWork *w, const Grid *g, const MetFields *f, double dt, int nvar, double *const *q,
              const double *const *sflux, const double *const *vdep, double *removed,
              double *const *dep_field);

#endif
