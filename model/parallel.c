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

/* 0 if px x py blocks of at least min_rows rows and columns fit, and each block row can give
 * every one of its px ranks a row (PAR_ROWS) and each block column its py ranks a column. */
static int grid_fits(int nx, int ny, int px, int py, int min_rows)
{
    if (px > par_nchunks(nx)) return -1;
    for (int by = 0; by < py; by++) {
        int a, b;
        par_block(ny, by, py, &a, &b);
        if (b - a < min_rows || b - a < px) return -1;
    }
    for (int bx = 0; bx < px; bx++) {
        int a, b;
        block_cols(nx, bx, px, &a, &b);
        if (b - a < min_rows || b - a < py) return -1;
    }
    return 0;
}

/* The process grid for R ranks: px as asked (px > 0), else the smallest px that fits. */
static int choose_grid(int nx, int ny, int R, int min_rows, int *px, int *py)
{
    if (*px > 0) return R % *px == 0 && (*py = R / *px) > 0 && !grid_fits(nx, ny, *px, *py, min_rows) ? 0 : -1;
    for (int p = 1; p <= R; p++)
        if (R % p == 0 && !grid_fits(nx, ny, p, R / p, min_rows)) {
            *px = p;
            *py = R / p;
            return 0;
        }
    return -1;
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
    for (int l = 0; l < PAR_NLAYOUT; l++) d->rect[l] = malloc((size_t)R * sizeof(ParRect));
    d->scount = calloc((size_t)R, sizeof(int));
    d->sdispl = calloc((size_t)R, sizeof(int));
    d->rcount = calloc((size_t)R, sizeof(int));
    d->rdispl = calloc((size_t)R, sizeof(int));
    if (!d->rect[0] || !d->rect[1] || !d->rect[2] || !d->scount || !d->sdispl || !d->rcount || !d->rdispl) {
        snprintf(why, nwhy, "out of memory");
        par_decomp_free(d);
        return -1;
    }
    int aligned = 1;
    for (int r = 0; r < R; r++) {
        int bx = r % px, by = r / px, ja, jb, ia, ib, a, b;
        par_block(ny, by, py, &ja, &jb);
        block_cols(nx, bx, px, &ia, &ib);
        d->rect[PAR_BLOCKS][r] = (ParRect){ja, jb, ia, ib};
        par_block(jb - ja, bx, px, &a, &b);
        d->rect[PAR_ROWS][r] = (ParRect){ja + a, ja + b, 0, nx};
        /* whole chunks where the block column has enough of them (ia is a chunk boundary), so
         * the column processes may run on this layout too */
        int nchb = par_nchunks(ib - ia);
        if (nchb >= py) {
            par_block(nchb, by, py, &a, &b);
            a *= PAR_CHUNK;
            b = b * PAR_CHUNK < ib - ia ? b * PAR_CHUNK : ib - ia;
        } else {
            par_block(ib - ia, by, py, &a, &b);
            aligned = 0;
        }
        d->rect[PAR_COLS][r] = (ParRect){0, ny, ia + a, ia + b};
    }
    for (int l = 0; l < PAR_NLAYOUT; l++)
        for (int m = 0; m < PAR_NLAYOUT; m++) {
            d->same[l][m] = 1;
            for (int r = 0; r < R; r++) {
                const ParRect *u = &d->rect[l][r], *v = &d->rect[m][r];
                if (u->j0 != v->j0 || u->j1 != v->j1 || u->i0 != v->i0 || u->i1 != v->i1) d->same[l][m] = 0;
            }
        }
    const ParRect *rw = &d->rect[PAR_ROWS][d->rank], *cl = &d->rect[PAR_COLS][d->rank];
    d->j0 = rw->j0;
    d->j1 = rw->j1;
    d->i0 = cl->i0;
    d->i1 = cl->i1;
    d->mid = R > 1 && px == 1 && aligned ? PAR_COLS : PAR_BLOCKS;
    par_set_layout(d, PAR_BLOCKS);
    if (R > 1) {
        /* the largest exchange: nf_max fields of this rank's largest rectangle, and one whole
         * field for the gather on rank 0 */
        size_t area = 0;
        for (int l = 0; l < PAR_NLAYOUT; l++) {
            const ParRect *q = &d->rect[l][d->rank];
            size_t s = (size_t)(q->j1 - q->j0) * (size_t)(q->i1 - q->i0);
            if (s > area) area = s;
        }
        size_t need = (size_t)(nf_max > 1 ? nf_max : 1) * nz * area;
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

void par_set_layout(ParDecomp *d, int l)
{
    const ParRect *q = &d->rect[l][d->rank];
    d->cur = l;
    d->bj0 = q->j0;
    d->bj1 = q->j1;
    d->bi0 = q->i0;
    d->bi1 = q->i1;
}

void par_decomp_free(ParDecomp *d)
{
    for (int l = 0; l < PAR_NLAYOUT; l++) free(d->rect[l]);
    free(d->scount); free(d->sdispl); free(d->rcount); free(d->rdispl);
    free(d->sbuf); free(d->rbuf);
    memset(d, 0, sizeof *d);
}

#ifdef BOGDA_MPI
/* only a caller exceeding the set-up's nf_max makes the buffers grow */
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
#endif

int par_redistribute(ParDecomp *d, double *const *f, int nf, int nz, int from, int to)
{
#ifdef BOGDA_MPI
    if (!g_active || d->nranks < 2 || d->same[from][to]) return 0;
    const double w0 = MPI_Wtime();
    const int R = d->nranks, me = d->rank;
    const ParRect mine_from = d->rect[from][me], mine_to = d->rect[to][me];
    size_t need = (size_t)nf * nz * (rect_size(mine_from) > rect_size(mine_to) ? rect_size(mine_from) : rect_size(mine_to));
    if (grow(d, need)) return -1;
    size_t so = 0, ro = 0;
    for (int p = 0; p < R; p++) {
        /* to p: what I held of p's new rectangle; from p: what p held of mine */
        size_t ns = p == me ? 0 : rect_copy(d, f, nf, nz, meet(mine_from, d->rect[to][p]), d->sbuf + so, 1);
        d->scount[p] = (int)ns;
        d->sdispl[p] = (int)so;
        so += ns;
        size_t nr = p == me ? 0 : (size_t)nf * nz * rect_size(meet(d->rect[from][p], mine_to));
        d->rcount[p] = (int)nr;
        d->rdispl[p] = (int)ro;
        ro += nr;
    }
    MPI_Alltoallv(d->sbuf, d->scount, d->sdispl, MPI_DOUBLE, d->rbuf, d->rcount, d->rdispl, MPI_DOUBLE,
                  RUNCOMM);
    for (int p = 0; p < R; p++)
        if (p != me) rect_copy(d, f, nf, nz, meet(d->rect[from][p], mine_to), d->rbuf + d->rdispl[p], 0);
    d->exchange_seconds += MPI_Wtime() - w0;
#else
    (void)d; (void)f; (void)nf; (void)nz; (void)from; (void)to;
#endif
    return 0;
}

int par_gather(ParDecomp *d, double *const *f, int nf, int nz, int layout)
{
#ifdef BOGDA_MPI
    if (!g_active || d->nranks < 2) return 0;
    const double w0 = MPI_Wtime();
    const int R = d->nranks, me = d->rank;
    const ParRect *rb = d->rect[layout];
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
    (void)d; (void)f; (void)nf; (void)nz; (void)layout;
#endif
    return 0;
}
