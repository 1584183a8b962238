/* Monotone, mass-conserving flux-form advection of mixing ratios on the C grid.
 *
 * The air mass of each cell is advected with the same face mass fluxes as the tracers (the tracer
 * flux is the air-mass flux times a reconstructed face mixing ratio), so a uniform mixing ratio
 * stays uniform to round-off and tracer mass changes only through the domain faces (Easter 1993,
 * Mon. Wea. Rev. 121, 297; Lin & Rood 1996).  Sweeps are dimensionally split (x, y alternating
 * order, then z); the vertical mass flux is diagnosed from continuity so that the air mass after
 * the step equals the meteorology's air mass at the step's end (CMAQ's mass-conserving "wrf"
 * option, Byun 1999).  Each 1-D sweep takes Courant-limited sub-steps per line.
 *
 * Layout as model/met.h: q[v][k][j][i]; fx [nz][ny][nx+1]; fy [nz][ny+1][nx]. */
#ifndef BOGDA_ADVECT_H
#define BOGDA_ADVECT_H

#include <stddef.h>

#include "err.h"
#include "parallel.h"

/* A scheme computes the mixing ratio carried through every face of a line.
 * qg: the line with two ghost cells on each side (qg[-2] .. qg[n+1] valid);
 * c[n+1]: signed Courant number of each face in mass coordinates (outflow fraction of the upwind
 * cell; > 0 flow towards increasing index); qf[n+1] out: face mixing ratios (faces 1..n-1, and
 * boundary faces where the flow leaves the line; inflow boundary faces are overwritten by the
 * caller with the boundary value).  tmp: scratch of 4*(n+4) doubles. */
/* Lines per tile of the 3-D sweeps: 8 doubles fill one 64-byte cache line and one AVX-512 vector
 * (four SSE2 vectors in the portable build). */
#define ADVECT_TILE 8

/* faces_tile: the same computation on ADVECT_TILE lines at once, every array stored
 * [cell or face][lane] (qg[-2*ADVECT_TILE] .. qg[(n+2)*ADVECT_TILE - 1] valid); tmp: scratch of
 * 4*(n+4)*ADVECT_TILE doubles.  Each lane's result equals faces() on that line bit for bit. */
typedef struct AdvectScheme {
    const char *name;
    void (*faces)(int n, const double *qg, const double *c, double *qf, double *tmp);
    void (*faces_tile)(int n, const double *qg, const double *c, double *qf, double *tmp);
    int width; /* cells on either side a cell's value after one sub-step depends on (PPM 3,
                  upwind 1: advect.c); a distributed sweep's halo is width x sub-steps */
} AdvectScheme;

extern const AdvectScheme advect_ppm;    /* Colella & Woodward (1984), monotone limiter */
extern const AdvectScheme advect_upwind; /* donor cell, first order */
extern const AdvectScheme advect_vanleer; /* van Leer (1977), monotone slopes (Lin et al. 1994) */

const AdvectScheme *advect_scheme_find(const char *name);

/* One line of n cells, nvar variables gathered in q (variable v at q[v*ldq + i], i = 0..n-1),
 * each with two writable ghost slots on either side (q[v*ldq - 2], q[v*ldq - 1], q[v*ldq + n],
 * q[v*ldq + n + 1]; so ldq >= n + 4 and q points two slots into its buffer).
 * m[n]: air mass at the start, updated to the end mass; f[n+1] face mass fluxes (kg s-1, f[0] is
 * the face before cell 0).  bc_lo[v], bc_hi[v]: inflow mixing ratios at the two ends.
 * in[v], out[v] (may be NULL) accumulate air-mass-weighted amounts (kg * mixing ratio) that
 * entered and left through the two end faces: each end's amounts summed over the sub-steps, then
 * in[v] += low end + high end (so that a distributed run, whose ends are on different ranks, sums
 * the same way).  scratch: advect_line_scratch(n, nvar) doubles.
 * Returns 0, or -1 if the flux divergence empties a cell (the met is inconsistent) or more than
 * 10000 sub-steps would be needed. */
int advect_line(const AdvectScheme *sch, int n, double *m, const double *f, double dt, double cfl_max,
                int nvar, double *q, size_t ldq, const double *bc_lo, const double *bc_hi,
                double *in, double *out, double *scratch, int *nsub_out);
size_t advect_line_scratch(int n, int nvar);

/* Inflow mixing ratios on the domain faces: west/east [nvar][nz][ny], south/north [nvar][nz][nx],
 * top [nvar][ny][nx]. */
typedef struct AdvectBC {
    const double *west, *east, *south, *north, *top;
} AdvectBC;

typedef struct AdvectWork AdvectWork;

AdvectWork *advect_work_create(const AdvectScheme *sch, int nx, int ny, int nz, int nvar,
                               double cfl_max);
void advect_work_free(AdvectWork *w);
/* A distributed run (docs/parallel.md): every sweep works on this rank's block; the x and y
 * sweeps first fill halos of width x sub-steps cells along their direction (par_halo), each
 * line's sub-step count being the whole line's (every rank knows every cell's air mass);
 * tallies, errors and sub-step counts are combined over the ranks at the end of advect_3d so
 * that every rank has the serial sums.  NULL (the default) sweeps everything. */
void advect_work_set_decomp(AdvectWork *w, ParDecomp *d);
/* What one rank of a distributed x (dir 0) or y (dir 1) sweep does after its halo exchange, on
 * one process (tests): the lines of lanes la..lb-1 (rows for x, columns for y) of every layer,
 * each on its cells o0..o1-1 and `halo` more on either side (clipped to the grid; an end inside
 * the grid gets zero-gradient ghosts), with the sub-step count of the whole line; the air mass
 * starts as m (whole grid).  Afterwards only cells o0..o1-1 of those lines equal the whole-line
 * sweep (if halo >= width x sub-steps).  in/out accumulate the amounts through the domain ends
 * o0..o1-1 includes; *max_sub (may be NULL) gets the largest sub-step count.  BG_EFAIL with e if
 * a line empties a cell. */
int advect_sweep_piece(AdvectWork *w, int dir, double *const *q, const double *m, const double *flux, double dt,
                       const AdvectBC *bc, int la, int lb, int o0, int o1, int halo, double *in, double *out,
                       int *max_sub, BgErr *e);
/* on = 1: the 3-D sweeps go line by line through advect_line (the reference the tests compare the
 * default tiled sweeps with, bit for bit); 0: tiles of ADVECT_TILE lines (default). */
void advect_work_set_reference(AdvectWork *w, int on);
/* on = 1 (default): in a serial run with at least two layers per thread, the x and y sweeps go
 * layer by layer (each layer's y sweep right after its x sweep, from cache); 0: one whole sweep
 * after the other.  The results are the same bits either way (tested). */
void advect_work_set_layer_fusion(AdvectWork *w, int on);

/* Advances the nvar fields q[v] (each [nz][ny][nx]; any set of arrays, e.g. the species of
 * several scenario members advected together with one set of Courant numbers) over dt.  m0: air mass at the start, m1: air mass at the end (from the
 * met); fx, fy: face mass fluxes valid over the step.  x_first selects the sweep order.
 * in[v], out[v] accumulate what crossed the lateral and top boundary (kg * mixing ratio); the sums
 * are in a fixed order so they are identical for any thread count.  The ratio of the largest
 * sub-step count is returned in *max_sub (may be NULL).  BG_EFAIL with e on failure. */
int advect_3d(AdvectWork *w, double *const *q, const double *m0, const double *m1, const double *fx,
              const double *fy, double dt, int x_first, const AdvectBC *bc, double *in, double *out,
              int *max_sub, BgErr *e);

#endif
