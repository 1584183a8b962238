#include "parallel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BOGDA_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1, g_active = 0;
/* The ranks that advance one run together: all of them, or, inside a batch split into sets
 * (par_split), this rank's set.  Every collective of a run goes over this communicator. */
static int g_run_rank = 0, g_run_size = 1, g_set = 0, g_nsets = 1;
#ifdef BOGDA_MPI
static MPI_Comm g_run = MPI_COMM_NULL;
#define RUNCOMM (g_run != MPI_COMM_NULL ? g_run : MPI_COMM_WORLD)
#endif

int par_init(int *argc, char ***argv)
{
#ifdef BOGDA_MPI
    if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK")) {
        int provided;
        /* FUNNELED: MPI is called only outside OpenMP parallel regions */
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS) {
            g_active = 1;
            MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
            MPI_Comm_size(MPI_COMM_WORLD, &g_size);
            g_run_rank = g_rank;
            g_run_size = g_size;
        }
    }
#else
    (void)argc;
    (void)argv;
#endif
    return g_size;
}

void par_finalize(void)
{
    par_unsplit();
#ifdef BOGDA_MPI
    if (g_active) MPI_Finalize();
#endif
    g_active = 0;
}

int par_rank(void) { return g_rank; }
int par_size(void) { return g_size; }
int par_run_rank(void) { return g_run_rank; }
int par_run_size(void) { return g_run_size; }
int par_set(void) { return g_set; }
int par_nsets(void) { return g_nsets; }

int par_split(int nsets)
{
    if (nsets < 1 || g_size % nsets) return -1;
    par_unsplit();
    g_nsets = nsets;
    g_set = g_rank / (g_size / nsets);
#ifdef BOGDA_MPI
    if (g_active && nsets > 1) {
        if (MPI_Comm_split(MPI_COMM_WORLD, g_set, g_rank, &g_run) != MPI_SUCCESS) return -1;
        MPI_Comm_rank(g_run, &g_run_rank);
        MPI_Comm_size(g_run, &g_run_size);
    }
#endif
    return 0;
}

void par_unsplit(void)
{
#ifdef BOGDA_MPI
    if (g_run != MPI_COMM_NULL) MPI_Comm_free(&g_run);
    g_run = MPI_COMM_NULL;
#endif
    g_run_rank = g_rank;
    g_run_size = g_size;
    g_set = 0;
    g_nsets = 1;
}

void par_barrier(void)
{
#ifdef BOGDA_MPI
    if (g_active) MPI_Barrier(RUNCOMM);
#endif
}

int par_max_int(int v)
{
#ifdef BOGDA_MPI
    if (g_active) {
        int r = v;
        MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MAX, RUNCOMM);
        return r;
    }
#endif
    return v;
}

int par_sum_int(int v)
{
#ifdef BOGDA_MPI
    if (g_active) {
        int r = v;
        MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_SUM, RUNCOMM);
        return r;
    }
#endif
    return v;
}

void par_abort(int code)
{
#ifdef BOGDA_MPI
    if (g_active && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    (void)code;
}

void par_sum_doubles(double *v, size_t n)
{
#ifdef BOGDA_MPI
    if (g_active && g_run_size > 1 && n > 0) MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, MPI_SUM, RUNCOMM);
#else
    (void)v;
    (void)n;
#endif
}

void par_sum_longs(long *v, size_t n)
{
#ifdef BOGDA_MPI
    if (g_active && g_run_size > 1 && n > 0) MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_LONG, MPI_SUM, RUNCOMM);
#else
    (void)v;
    (void)n;
#endif
}

void par_max_ints(int *v, size_t n)
{
#ifdef BOGDA_MPI
    if (g_active && g_run_size > 1 && n > 0) MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_INT, MPI_MAX, RUNCOMM);
#else
    (void)v;
    (void)n;
#endif
}

void par_max_longs(long *v, size_t n)
{
#ifdef BOGDA_MPI
    if (g_active && g_run_size > 1 && n > 0) MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_LONG, MPI_MAX, RUNCOMM);
#else
    (void)v;
    (void)n;
#endif
}

void par_bcast_doubles(double *v, size_t n, int root)
{
#ifdef BOGDA_MPI
    if (g_active && g_run_size > 1 && n > 0) MPI_Bcast(v, (int)n, MPI_DOUBLE, root, RUNCOMM);
#else
    (void)v;
    (void)n;
    (void)root;
#endif
}

void par_block(int n, int r, int nranks, int *a, int *b)
{
    int base = n / nranks, extra = n % nranks;
    *a = r * base + (r < extra ? r : extra);
    *b = *a + base + (r < extra ? 1 : 0);
}

/* The block columns of bx out of px: whole chunks of PAR_CHUNK columns. */
static void block_cols(int nx, int bx, int px, int *a, int *b)
{
    int c0, c1;
    par_block(par_nchunks(nx), bx, px, &c0, &c1);
    *a = c0 * PAR_CHUNK;
    *b = c1 * PAR_CHUNK < nx ? c1 * PAR_CHUNK : nx;
}

/* 0 if px x py blocks of at least min_rows rows and columns fit (the columns in whole chunks).
 * Nothing else limits the blocks: a halo wider than a neighbouring block is filled from the
 * blocks beyond it (par_halo). */
static int grid_fits(int nx, int ny, int px, int py, int min_rows)
{
    if (px > par_nchunks(nx)) return -1;
    for (int by = 0; by < py; by++) {
        int a, b;
        par_block(ny, by, py, &a, &b);
        if (b - a < min_rows) return -1;
    }
    for (int bx = 0; bx < px; bx++) {
        int a, b;
        block_cols(nx, bx, px, &a, &b);
        if (b - a < min_rows) return -1;
    }
    return 0;
}

/* The process grid for R ranks: px as asked (px > 0), else, of the grids that fit, the one whose
 * largest block, counted with its halo cells at PPM's width for one sub-step (3 cells along each
 * inner block edge, per layer), is smallest: the slowest rank sets the pace of every step, the
 * column processes (most of the time) scale with the block's cells, the sweeps with its cells
 * and halos, and the exchanges with the halos.  Ties go to the shorter total of block edges, then
 * to the fewer block columns.  (Pure edge length would take 2 x 1 on the 200 x 120 bench grid,
 * blocks of 104 and 96 columns, 4 % slower in the column processes than 1 x 2's equal rows.) */
static long grid_cost(int nx, int ny, int px, int py, long *cut)
{
    long worst = 0;
    for (int by = 0; by < py; by++)
        for (int bx = 0; bx < px; bx++) {
            int ja, jb, ia, ib;
            par_block(ny, by, py, &ja, &jb);
            block_cols(nx, bx, px, &ia, &ib);
            long c = (long)(jb - ja) * (ib - ia);
            c += 3L * (jb - ja) * ((bx > 0) + (bx < px - 1)) + 3L * (ib - ia) * ((by > 0) + (by < py - 1));
            if (c > worst) worst = c;
        }
    *cut = (long)(px - 1) * ny + (long)(py - 1) * nx;
    return worst;
}

static int choose_grid(int nx, int ny, int R, int min_rows, int *px, int *py)
{
    if (*px > 0) return R % *px == 0 && (*py = R / *px) > 0 && !grid_fits(nx, ny, *px, *py, min_rows) ? 0 : -1;
    long best = -1, bestcut = 0;
    for (int p = 1; p <= R; p++)
        if (R % p == 0 && !grid_fits(nx, ny, p, R / p, min_rows)) {
            long cut, cost = grid_cost(nx, ny, p, R / p, &cut);
            if (best < 0 || cost < best || (cost == best && cut < bestcut)) {
                best = cost;
                bestcut = cut;
                *px = p;
                *py = R / p;
            }
        }
    return best < 0 ? -1 : 0;
}

int par_decomp_init(ParDecomp *d, int nx, int ny, int nz, int distributed, int px, int py, int min_rows,
                    int nf_max, char *why, size_t nwhy)
{
    memset(d, 0, sizeof *d);
    d->nranks = distributed ? g_run_size : 1;
    d->rank = distributed ? g_run_rank : 0;
    d->nx = nx;
    d->ny = ny;
    d->nz = nz;
    const int R = d->nranks;
    if (R == 1) px = py = 1;
    else if (px > 0 && px * py != R) {
        snprintf(why, nwhy, "a %d x %d process grid needs %d ranks, not %d", px, py, px * py, R);
        return -1;
    }
    if (choose_grid(nx, ny, R, min_rows, &px, &py)) {
        int best = 1;
        for (int r = R - 1; r > 1 && best == 1; r--) {
            int qx = 0, qy = 0;
            if (!choose_grid(nx, ny, r, min_rows, &qx, &qy)) best = r;
        }
        if (px > 0)
            snprintf(why, nwhy, "%d x %d columns cannot be split into %d x %d blocks of at least %d rows and %d "
                                "columns (columns in whole chunks of %d): choose another process grid or "
                                "fewer ranks",
                     nx, ny, px, py, min_rows, min_rows, PAR_CHUNK);
        else
            snprintf(why, nwhy, "%d x %d columns cannot be split into %d blocks of at least %d rows and %d columns "
                                "(columns in whole chunks of %d): use at most %d ranks",
                     nx, ny, R, min_rows, min_rows, PAR_CHUNK, best);
        return -1;
    }
    d->px = px;
    d->py = py;
    d->blocks = malloc((size_t)R * sizeof(ParRect));
    d->scount = calloc((size_t)R, sizeof(int));
    d->sdispl = calloc((size_t)R, sizeof(int));
    d->rcount = calloc((size_t)R, sizeof(int));
    d->rdispl = calloc((size_t)R, sizeof(int));
#ifdef BOGDA_MPI
    d->req = malloc(2 * (size_t)R * sizeof(MPI_Request));
#else
    d->req = malloc(1);
#endif
    if (!d->blocks || !d->scount || !d->sdispl || !d->rcount || !d->rdispl || !d->req) {
        snprintf(why, nwhy, "out of memory");
        par_decomp_free(d);
        return -1;
    }
    for (int r = 0; r < R; r++) {
        int bx = r % px, by = r / px, ja, jb, ia, ib;
        par_block(ny, by, py, &ja, &jb);
        block_cols(nx, bx, px, &ia, &ib);
        d->blocks[r] = (ParRect){ja, jb, ia, ib};
    }
    const ParRect *q = &d->blocks[d->rank];
    d->bj0 = q->j0;
    d->bj1 = q->j1;
    d->bi0 = q->i0;
    d->bi1 = q->i1;
    if (R > 1) {
        /* one whole field for the gather on rank 0, or, if more, the halos of nf_max fields up to
         * 12 cells wide on every side of the block (PPM's 3 cells per sub-step, 4 sub-steps);
         * wider halos make the buffers grow when they first occur */
        size_t hal = 2 * 12 * (size_t)((q->j1 - q->j0) + (q->i1 - q->i0));
        size_t need = (size_t)(nf_max > 1 ? nf_max : 1) * nz * hal;
        if (need < (size_t)nz * nx * ny) need = (size_t)nz * nx * ny;
        d->sbuf = malloc(need * sizeof *d->sbuf);
        d->rbuf = malloc(need * sizeof *d->rbuf);
        if (!d->sbuf || !d->rbuf) {
            snprintf(why, nwhy, "out of memory for the MPI exchange buffers (%zu MB)", 2 * need * 8 >> 20);
            par_decomp_free(d);
            return -1;
        }
        d->cap = need;
    }
    return 0;
}

void par_decomp_free(ParDecomp *d)
{
    free(d->blocks);
    free(d->scount); free(d->sdispl); free(d->rcount); free(d->rdispl);
    free(d->req);
    free(d->sbuf); free(d->rbuf);
    memset(d, 0, sizeof *d);
}

#ifdef BOGDA_MPI
/* only a wider halo than any before, or a caller exceeding the set-up's nf_max, makes the
 * buffers grow */
static int grow(ParDecomp *d, size_t need)
{
    if (need <= d->cap) return 0;
    double *a = realloc(d->sbuf, need * sizeof *a);
    if (!a) return -1;
    d->sbuf = a;
    double *b = realloc(d->rbuf, need * sizeof *b);
    if (!b) return -1;
    d->rbuf = b;
    d->cap = need;
    return 0;
}

/* Copies rectangle q of nf fields of nz layers to (pack) or from buf; returns the doubles. */
static size_t rect_copy(const ParDecomp *d, double *const *f, int nf, int nz, ParRect q, double *buf, int pack)
{
    if (q.j1 <= q.j0 || q.i1 <= q.i0) return 0;
    const size_t plane = (size_t)d->nx * d->ny, w = (size_t)(q.i1 - q.i0);
    size_t n = 0;
    for (int v = 0; v < nf; v++)
        for (int k = 0; k < nz; k++)
            for (int j = q.j0; j < q.j1; j++) {
                double *row = f[v] + (size_t)k * plane + (size_t)j * d->nx + q.i0;
                if (pack) memcpy(buf + n, row, w * sizeof *buf);
                else memcpy(row, buf + n, w * sizeof *buf);
                n += w;
            }
    return n;
}

static ParRect meet(ParRect a, ParRect b)
{
    ParRect c = {a.j0 > b.j0 ? a.j0 : b.j0, a.j1 < b.j1 ? a.j1 : b.j1, a.i0 > b.i0 ? a.i0 : b.i0,
                 a.i1 < b.i1 ? a.i1 : b.i1};
    if (c.j1 < c.j0) c.j1 = c.j0;
    if (c.i1 < c.i0) c.i1 = c.i0;
    return c;
}

static size_t rect_size(ParRect q) { return (size_t)(q.j1 - q.j0) * (size_t)(q.i1 - q.i0); }

/* block b extended by h cells on both sides along dir, clipped to the grid */
static ParRect extend(const ParDecomp *d, ParRect b, int dir, int h)
{
    if (dir == 0) {
        b.i0 = b.i0 - h > 0 ? b.i0 - h : 0;
        b.i1 = b.i1 + h < d->nx ? b.i1 + h : d->nx;
    } else {
        b.j0 = b.j0 - h > 0 ? b.j0 - h : 0;
        b.j1 = b.j1 + h < d->ny ? b.j1 + h : d->ny;
    }
    return b;
}

/* The part of rank `from`'s block that rank `to`'s halos take: layer by layer (per-layer widths),
 * fields outer, as rect_copy; returns the doubles (pack < 0: count only). */
static size_t halo_copy(const ParDecomp *d, double *const *f, int nf, int nz, int dir, const int *h, int from,
                        int to, double *buf, int pack)
{
    size_t n = 0;
    for (int v = 0; v < nf; v++)
        for (int k = 0; k < nz; k++) {
            ParRect q = meet(d->blocks[from], extend(d, d->blocks[to], dir, h[k]));
            if (pack < 0) {
                n += rect_size(q);
                continue;
            }
            /* rect_copy of one layer: shift the field pointer to layer k */
            double *fk = f[v] + (size_t)k * d->nx * d->ny;
            n += rect_copy(d, &fk, 1, 1, q, buf + n, pack);
        }
    return n;
}
#endif

int par_halo(ParDecomp *d, double *const *f, int nf, int nz, int dir, const int *h)
{
#ifdef BOGDA_MPI
    if (!g_active || d->nranks < 2) return 0;
    const double w0 = MPI_Wtime();
    const int R = d->nranks, me = d->rank;
    /* only the ranks of this block row (x) or block column (y) share rows (columns) with it */
    const int bx = me % d->px, by = me / d->px;
    const int np = dir == 0 ? d->px : d->py;
    size_t so = 0, ro = 0;
    for (int a = 0; a < np; a++) {
        int p = dir == 0 ? by * d->px + a : a * d->px + bx;
        size_t ns = p == me ? 0 : halo_copy(d, f, nf, nz, dir, h, me, p, NULL, -1);
        size_t nr = p == me ? 0 : halo_copy(d, f, nf, nz, dir, h, p, me, NULL, -1);
        d->scount[a] = (int)ns;
        d->sdispl[a] = (int)so;
        d->rcount[a] = (int)nr;
        d->rdispl[a] = (int)ro;
        so += ns;
        ro += nr;
    }
    if (grow(d, so > ro ? so : ro)) return -1;
    MPI_Request *rq = d->req;
    int nrq = 0;
    for (int a = 0; a < np; a++) {
        int p = dir == 0 ? by * d->px + a : a * d->px + bx;
        if (d->rcount[a])
            MPI_Irecv(d->rbuf + d->rdispl[a], d->rcount[a], MPI_DOUBLE, p, 7, RUNCOMM, &rq[nrq++]);
    }
    for (int a = 0; a < np; a++) {
        int p = dir == 0 ? by * d->px + a : a * d->px + bx;
        if (!d->scount[a]) continue;
        halo_copy(d, f, nf, nz, dir, h, me, p, d->sbuf + d->sdispl[a], 1);
        MPI_Isend(d->sbuf + d->sdispl[a], d->scount[a], MPI_DOUBLE, p, 7, RUNCOMM, &rq[nrq++]);
    }
    MPI_Waitall(nrq, rq, MPI_STATUSES_IGNORE);
    for (int a = 0; a < np; a++) {
        int p = dir == 0 ? by * d->px + a : a * d->px + bx;
        if (d->rcount[a]) halo_copy(d, f, nf, nz, dir, h, p, me, d->rbuf + d->rdispl[a], 0);
    }
    d->exchange_bytes += 8.0 * (double)so;
    d->exchange_seconds += MPI_Wtime() - w0;
    d->halo_seconds += MPI_Wtime() - w0;
    (void)R;
#else
    (void)d; (void)f; (void)nf; (void)nz; (void)dir; (void)h;
#endif
    return 0;
}

int par_gather_doubles(ParDecomp *d, const double *send, int ns, const int *counts, const double **all)
{
    *all = NULL;
#ifdef BOGDA_MPI
    if (!g_active || d->nranks < 2) return 0;
    size_t tot = 0;
    for (int p = 0; p < d->nranks; p++) {
        d->rcount[p] = p == 0 ? 0 : counts[p];
        d->rdispl[p] = (int)tot;
        tot += (size_t)d->rcount[p];
    }
    if (grow(d, tot)) return -1;
    MPI_Gatherv(send, d->rank == 0 ? 0 : ns, MPI_DOUBLE, d->rbuf, d->rcount, d->rdispl, MPI_DOUBLE, 0, RUNCOMM);
    if (d->rank == 0) *all = d->rbuf;
#else
    (void)d; (void)send; (void)ns; (void)counts;
#endif
    return 0;
}

void par_send_doubles(int r, const double *v, size_t n)
{
#ifdef BOGDA_MPI
    if (g_active && g_run_size > 1) MPI_Send(v, (int)n, MPI_DOUBLE, r, 8, RUNCOMM);
#else
    (void)r; (void)v; (void)n;
#endif
}

void par_recv_doubles(int r, double *v, size_t n)
{
#ifdef BOGDA_MPI
    if (g_active && g_run_size > 1) MPI_Recv(v, (int)n, MPI_DOUBLE, r, 8, RUNCOMM, MPI_STATUS_IGNORE);
#else
    (void)r; (void)v; (void)n;
#endif
}

int par_gather(ParDecomp *d, double *const *f, int nf, int nz)
{
#ifdef BOGDA_MPI
    if (!g_active || d->nranks < 2) return 0;
    const double w0 = MPI_Wtime();
    const int R = d->nranks, me = d->rank;
    const ParRect *rb = d->blocks;
    if (grow(d, (size_t)nz * d->ny * d->nx)) return -1;
    /* one field at a time: the buffers stay one field large however many members a group has */
    for (int v = 0; v < nf; v++) {
        size_t ns = rect_copy(d, f + v, 1, nz, rb[me], d->sbuf, 1), ro = 0;
        for (int p = 0; p < R; p++) {
            d->rcount[p] = (int)((size_t)nz * rect_size(rb[p]));
            d->rdispl[p] = (int)ro;
            ro += (size_t)d->rcount[p];
        }
        MPI_Gatherv(d->sbuf, (int)ns, MPI_DOUBLE, d->rbuf, d->rcount, d->rdispl, MPI_DOUBLE, 0, RUNCOMM);
        if (me == 0)
            for (int p = 1; p < R; p++) rect_copy(d, f + v, 1, nz, rb[p], d->rbuf + d->rdispl[p], 0);
    }
    d->gather_seconds += MPI_Wtime() - w0;
#else
    (void)d; (void)f; (void)nf; (void)nz;
#endif
    return 0;
}
