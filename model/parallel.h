/* MPI, when Bogda runs under mpirun (OpenMPI; DESIGN 3).  Without mpirun, or in a build without
 * MPI, everything here is a no-op for one rank, so the serial program is the same code.
 *
 * MPI is initialised only when the launcher's environment says so (OMPI_COMM_WORLD_SIZE,
 * PMI_SIZE or PMIX_RANK): a plain `bogda run` never starts an MPI singleton (which OpenMPI
 * refuses as root).  The rank and size are set once at start-up and only read afterwards; the
 * set a rank belongs to (par_split) changes only between a batch's runs. */
#ifndef BOGDA_PARALLEL_H
#define BOGDA_PARALLEL_H

#include <stddef.h>

/* Initialises MPI if launched by mpirun; returns the number of ranks (1 without MPI). */
int par_init(int *argc, char ***argv);
void par_finalize(void);
int par_rank(void);
int par_size(void);
void par_barrier(void);
/* The largest (or the sum) of v over the ranks of this rank's set (all ranks unless split); v
 * without MPI. */
int par_max_int(int v);
int par_sum_int(int v);
/* A batch's ranks in nsets sets of size / nsets consecutive ranks (collective; nsets must divide
 * the size): each set advances its own runs, and every collective below, and the domain
 * decomposition, then work within the set.  par_unsplit returns to one set of all ranks. */
int par_split(int nsets);
void par_unsplit(void);
int par_run_rank(void); /* this rank within its set (= par_rank() unless split) */
int par_run_size(void);
int par_set(void);
int par_nsets(void);
/* Stops every rank (MPI_Abort) after a fatal error on one. */
void par_abort(int code);

/* In-place sums over the ranks of n values.  Used to collect partial results that exactly one
 * rank computed and the others left at +0.0 (per-line tallies, per-row sums), which makes the
 * sum exact whatever the reduction order: every rank then adds them up in the serial order. */
void par_sum_doubles(double *v, size_t n);
void par_sum_longs(long *v, size_t n);
void par_max_ints(int *v, size_t n);
void par_max_longs(long *v, size_t n);
void par_bcast_doubles(double *v, size_t n, int root);

/* The block of n items (rows or columns) of rank r out of R: [*a, *b), sizes differing by at
 * most one, the first n % R ranks one larger. */
void par_block(int n, int r, int nranks, int *a, int *b);

/* Per-row sums over i are taken in chunks of PAR_CHUNK columns (then the chunks in order), and
 * blocks start on a chunk boundary, so that every partial sum has one owner whatever the
 * decomposition: the sums are then exact over the ranks (docs/parallel.md). */
#define PAR_CHUNK 8
static inline int par_nchunks(int nx) { return (nx + PAR_CHUNK - 1) / PAR_CHUNK; }

/* The grid is shared out in blocks (docs/parallel.md): rank r = by * px + bx owns block (bx, by)
 * of a px x py process grid: rows Bj(by) (par_block) x columns Bi(bx) (whole chunks).  Between
 * steps, for the column processes and for every advection sweep, each rank's current cells are
 * its block; the x and y sweeps read halos of the neighbouring blocks (par_halo). */
typedef struct ParRect { int j0, j1, i0, i1; } ParRect;

typedef struct ParDecomp {
    int nranks, rank;
    int px, py;            /* the process grid of the blocks */
    int nx, ny, nz;
    int bj0, bj1, bi0, bi1; /* this rank's block: rows bj0..bj1-1, columns bi0..bi1-1 */
    ParRect *blocks;       /* every rank's block */
    double *sbuf, *rbuf;   /* exchange buffers, sized at set-up (grown only by a wider halo) */
    size_t cap;            /* doubles in each buffer */
    int *scount, *sdispl, *rcount, *rdispl;
    void *req;             /* 2 * nranks MPI requests of the halo exchange */
    double exchange_seconds, gather_seconds; /* wall time in the advection's MPI calls (halos,
                                                and the sums and flags at the end of advect_3d)
                                                and in par_gather */
    double exchange_bytes; /* bytes this rank sent in par_halo */
    double halo_seconds;   /* of exchange_seconds, in par_halo (the rest: the end of advect_3d,
                              mostly waiting there for the slowest rank) */
} ParDecomp;

/* Sets up the decomposition over par_size() ranks if distributed, else one block of everything
 * (a batch's ranks each run their own members).  px x py is the process grid (px = 0: chosen
 * automatically: the grid whose largest block, with its halo cells of one PPM sub-step, is
 * smallest, then the shortest block edges; parallel.c); nf_max is the most fields an exchange
 * moves at once (the buffers are allocated here).  Nonzero, with a message in why,
 * when a block would get fewer than min_rows rows or min_rows columns, or px * py != R. */
int par_decomp_init(ParDecomp *d, int nx, int ny, int nz, int distributed, int px, int py, int min_rows,
                    int nf_max, char *why, size_t nwhy);
void par_decomp_free(ParDecomp *d);
/* The halo exchange of the advection's x (dir 0) or y (dir 1) sweep: nf fields of nz layers
 * ([nz][ny][nx] each) are filled on this rank's block extended by h[k] cells on both sides along
 * dir in layer k (clipped to the grid) from the owners of those cells.  Every rank must pass the
 * same h[].  The owners' blocks partition the grid, so each halo cell has exactly one source,
 * whatever the width (a halo wider than a neighbour's block reaches the next ones).  Only ranks
 * of the same block row (x) or column (y) exchange; nonzero if the buffers cannot grow. */
int par_halo(ParDecomp *d, double *const *f, int nf, int nz, int dir, const int *h);
/* Every rank's ns doubles (counts[p] from rank p) gathered on rank 0 in rank order into the
 * decomposition's receive buffer (*all; rank p's part at d->rdispl[p]; rank 0's own part is not
 * copied); *all is NULL on the other ranks.  Nonzero if the buffer cannot grow. */
int par_gather_doubles(ParDecomp *d, const double *send, int ns, const int *counts, const double **all);
/* n doubles to / from rank r of this rank's set (blocking; small messages). */
void par_send_doubles(int r, const double *v, size_t n);
void par_recv_doubles(int r, double *v, size_t n);
/* Collects every rank's block of nf fields of nz layers on rank 0, field by field. */
int par_gather(ParDecomp *d, double *const *f, int nf, int nz);

#endif
