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

/* The three ways the grid is shared out (docs/parallel.md): rank r = by * px + bx owns
 *   PAR_BLOCKS  block (bx, by) of a px x py process grid: rows Bj(by), columns Bi(bx) (chunk
 *               aligned) — columns, column processes and z sweeps;
 *   PAR_ROWS    whole rows: the rows of Bj(by) split px ways — x sweeps;
 *   PAR_COLS    whole columns: the columns of Bi(bx) split py ways — y sweeps.
 * Between layouts the fields move by par_redistribute. */
enum { PAR_ROWS = 0, PAR_COLS = 1, PAR_BLOCKS = 2, PAR_NLAYOUT = 3 };
typedef struct ParRect { int j0, j1, i0, i1; } ParRect;

typedef struct ParDecomp {
    int nranks, rank;
    int px, py;            /* the process grid of the blocks */
    int nx, ny, nz;
    int j0, j1;            /* PAR_ROWS: this rank's rows */
    int i0, i1;            /* PAR_COLS: this rank's columns */
    int bj0, bj1, bi0, bi1; /* the rectangle the column processes and z sweeps work on now: the
                               rank's block, or, between the two transport half steps of a
                               sync step on a 1 x R grid, its columns (mid below) */
    int mid;               /* layout of the column processes between the transport half steps:
                              PAR_COLS where the columns are split in whole chunks on a 1 x R
                              grid (the first half step then ends there, the second starts there:
                              two exchanges a step fewer), else PAR_BLOCKS */
    int cur;               /* the layout the fields are in now */
    ParRect *rect[PAR_NLAYOUT]; /* every rank's rectangle in each layout */
    int same[PAR_NLAYOUT][PAR_NLAYOUT]; /* 1: the two layouts coincide on every rank */
    double *sbuf, *rbuf;   /* exchange buffers, sized at set-up */
    size_t cap;            /* doubles in each buffer */
    int *scount, *sdispl, *rcount, *rdispl;
    double exchange_seconds, gather_seconds; /* wall time in par_redistribute / par_gather */
} ParDecomp;

/* Sets up the decomposition over par_size() ranks if distributed, else one block of everything
 * (a batch's ranks each run their own members).  px x py is the process grid (px = 0: chosen
 * automatically, the fewest block columns that work, since every block column beyond the
 * first costs one more exchange per sweep); nf_max is the most fields any exchange moves at
 * once (the buffers are allocated here).  Nonzero, with a message in why, when a block would
 * get fewer than min_rows rows or min_rows columns, or px * py != R. */
int par_decomp_init(ParDecomp *d, int nx, int ny, int nz, int distributed, int px, int py, int min_rows,
                    int nf_max, char *why, size_t nwhy);
void par_decomp_free(ParDecomp *d);
/* Records that the fields are now in layout l (bj0..bi1 follow). */
void par_set_layout(ParDecomp *d, int l);
/* Moves nf fields of nz layers ([nz][ny][nx] each) from layout `from` to layout `to`: each rank
 * receives the part of its new rectangle that other ranks held; only what changes owner moves
 * (one MPI_Alltoallv; nothing when the layouts coincide).  Nonzero if the buffers cannot grow. */
int par_redistribute(ParDecomp *d, double *const *f, int nf, int nz, int from, int to);
/* Collects every rank's rectangle of `layout` of nf fields of nz layers on rank 0, field by field. */
int par_gather(ParDecomp *d, double *const *f, int nf, int nz, int layout);

#endif
