/* MPI, when Bogda runs under mpirun (OpenMPI; DESIGN 3).  Without mpirun, or in a build without
 * MPI, everything here is a no-op for one rank, so the serial program is the same code.
 *
 * MPI is initialised only when the launcher's environment says so (OMPI_COMM_WORLD_SIZE,
 * PMI_SIZE or PMIX_RANK): a plain `bogda run` never starts an MPI singleton (which OpenMPI
 * refuses as root).  The rank and size are the one piece of process-wide state of this module;
 * they are set once at start-up and only read afterwards. */
#ifndef BOGDA_PARALLEL_H
#define BOGDA_PARALLEL_H

#include <stddef.h>

/* Initialises MPI if launched by mpirun; returns the number of ranks (1 without MPI). */
int par_init(int *argc, char ***argv);
void par_finalize(void);
int par_rank(void);
int par_size(void);
void par_barrier(void);
/* The largest (or the sum) of v over the ranks; v without MPI. */
int par_max_int(int v);
int par_sum_int(int v);
/* Stops every rank (MPI_Abort) after a fatal error on one. */
void par_abort(int code);

/* In-place sums over the ranks of n values.  Used to collect partial results that exactly one
 * rank computed and the others left at +0.0 (per-line tallies, per-row sums), which makes the
 * sum exact whatever the reduction order: every rank then adds them up in the serial order. */
void par_sum_doubles(double *v, size_t n);
void par_sum_longs(long *v, size_t n);
void par_max_ints(int *v, size_t n);
void par_bcast_doubles(double *v, size_t n, int root);

/* The block of n items (rows or columns) of rank r out of R: [*a, *b), sizes differing by at
 * most one, the first n % R ranks one larger. */
void par_block(int n, int r, int nranks, int *a, int *b);

/* Domain decomposition of the grid into slabs of full rows (DESIGN 3; docs/parallel.md). Every
 * rank holds full-size arrays; rank r owns rows [j0, j1) of every field for the x sweeps, the
 * columns and the column processes, and columns [i0, i1) for the y sweeps, which are entered
 * and left through a transpose. */
typedef struct ParDecomp {
    int nranks, rank;
    int nx, ny, nz;
    int j0, j1, i0, i1;    /* this rank's rows and columns */
    int *rj0, *rj1, *ri0, *ri1; /* every rank's */
    double *sbuf, *rbuf;   /* transpose buffers for up to nf_max fields of nz layers */
    size_t cap;            /* doubles in each buffer */
    int *scount, *sdispl, *rcount, *rdispl;
} ParDecomp;

/* Sets up the slabs over par_size() ranks if distributed, else one slab of everything (a
 * batch's ranks each run their own members); nonzero (with a message in why) when a rank
 * would get fewer than min_rows rows or no column. */
int par_decomp_init(ParDecomp *d, int nx, int ny, int nz, int distributed, int min_rows, char *why, size_t nwhy);
void par_decomp_free(ParDecomp *d);
/* Row-owned -> column-owned (to_cols = 1) or back, for nf fields of nz layers ([nz][ny][nx]
 * each).  Only the blocks that change owner move; nonzero if the buffers cannot grow. */
int par_transpose(ParDecomp *d, double *const *f, int nf, int nz, int to_cols);
/* Collects the rows of nf fields of nz layers on rank 0 (the other ranks' rows arrive there). */
int par_gather_rows(ParDecomp *d, double *const *f, int nf, int nz);

#endif
