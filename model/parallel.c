#include "parallel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BOGDA_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1, g_active = 0;

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
#ifdef BOGDA_MPI
    if (g_active) MPI_Finalize();
#endif
    g_active = 0;
}

int par_rank(void) { return g_rank; }
int par_size(void) { return g_size; }

void par_barrier(void)
{
#ifdef BOGDA_MPI
    if (g_active) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

int par_max_int(int v)
{
#ifdef BOGDA_MPI
    if (g_active) {
        int r = v;
        MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
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
        MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
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
    if (g_active && g_size > 1 && n > 0) MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#else
    (void)v;
    (void)n;
#endif
}

void par_sum_longs(long *v, size_t n)
{
#ifdef BOGDA_MPI
    if (g_active && g_size > 1 && n > 0) MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
#else
    (void)v;
    (void)n;
#endif
}

void par_max_ints(int *v, size_t n)
{
#ifdef BOGDA_MPI
    if (g_active && g_size > 1 && n > 0) MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#else
    (void)v;
    (void)n;
#endif
}

void par_bcast_doubles(double *v, size_t n, int root)
{
#ifdef BOGDA_MPI
    if (g_active && g_size > 1 && n > 0) MPI_Bcast(v, (int)n, MPI_DOUBLE, root, MPI_COMM_WORLD);
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

int par_decomp_init(ParDecomp *d, int nx, int ny, int nz, int distributed, int min_rows, char *why, size_t nwhy)
{
    memset(d, 0, sizeof *d);
    d->nranks = distributed ? g_size : 1;
    d->rank = distributed ? g_rank : 0;
    d->nx = nx;
    d->ny = ny;
    d->nz = nz;
    const int R = d->nranks;
    if (ny / R < min_rows || nx < R) {
        snprintf(why, nwhy, "%d x %d columns cannot be split into %d slabs of at least %d rows each (and a column "
                            "each for the y sweeps): use at most %d ranks",
                 nx, ny, R, min_rows, ny / min_rows < nx ? ny / min_rows : nx);
        return -1;
    }
    d->rj0 = malloc((size_t)R * sizeof(int));
    d->rj1 = malloc((size_t)R * sizeof(int));
    d->ri0 = malloc((size_t)R * sizeof(int));
    d->ri1 = malloc((size_t)R * sizeof(int));
    d->scount = calloc((size_t)R, sizeof(int));
    d->sdispl = calloc((size_t)R, sizeof(int));
    d->rcount = calloc((size_t)R, sizeof(int));
    d->rdispl = calloc((size_t)R, sizeof(int));
    if (!d->rj0 || !d->rj1 || !d->ri0 || !d->ri1 || !d->scount || !d->sdispl || !d->rcount || !d->rdispl) {
        snprintf(why, nwhy, "out of memory");
        par_decomp_free(d);
        return -1;
    }
    for (int r = 0; r < R; r++) {
        par_block(ny, r, R, &d->rj0[r], &d->rj1[r]);
        par_block(nx, r, R, &d->ri0[r], &d->ri1[r]);
    }
    d->j0 = d->rj0[d->rank];
    d->j1 = d->rj1[d->rank];
    d->i0 = d->ri0[d->rank];
    d->i1 = d->ri1[d->rank];
    return 0;
}

void par_decomp_free(ParDecomp *d)
{
    free(d->rj0); free(d->rj1); free(d->ri0); free(d->ri1);
    free(d->scount); free(d->sdispl); free(d->rcount); free(d->rdispl);
    free(d->sbuf); free(d->rbuf);
    memset(d, 0, sizeof *d);
}

#ifdef BOGDA_MPI
/* the buffers grow once, to the largest exchange (the first steps), then stay */
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

/* Copies the block rows [ja, jb) x columns [ia, ib) of nf fields to (pack) or from buf. */
static size_t block_copy(const ParDecomp *d, double *const *f, int nf, int nz, int ja, int jb, int ia, int ib,
                         double *buf, int pack)
{
    const size_t plane = (size_t)d->nx * d->ny, w = (size_t)(ib - ia);
    size_t n = 0;
    for (int v = 0; v < nf; v++)
        for (int k = 0; k < nz; k++)
            for (int j = ja; j < jb; j++) {
                double *row = f[v] + (size_t)k * plane + (size_t)j * d->nx + ia;
                if (pack) memcpy(buf + n, row, w * sizeof *buf);
                else memcpy(row, buf + n, w * sizeof *buf);
                n += w;
            }
    return n;
}
#endif

int par_transpose(ParDecomp *d, double *const *f, int nf, int nz, int to_cols)
{
#ifdef BOGDA_MPI
    if (!g_active || d->nranks < 2) return 0;
    const int R = d->nranks, me = d->rank;
    const size_t rows = (size_t)(d->j1 - d->j0), cols = (size_t)(d->i1 - d->i0);
    size_t need = (size_t)nf * nz * (rows * d->nx > cols * d->ny ? rows * d->nx : cols * d->ny);
    if (grow(d, need)) return -1;
    size_t so = 0, ro = 0;
    for (int p = 0; p < R; p++) {
        /* to columns: my rows of p's columns go to p; from p come p's rows of my columns */
        int sja = to_cols ? d->j0 : d->rj0[p], sjb = to_cols ? d->j1 : d->rj1[p];
        int sia = to_cols ? d->ri0[p] : d->i0, sib = to_cols ? d->ri1[p] : d->i1;
        size_t ns = p == me ? 0 : block_copy(d, f, nf, nz, sja, sjb, sia, sib, d->sbuf + so, 1);
        d->scount[p] = (int)ns;
        d->sdispl[p] = (int)so;
        so += ns;
        int rja = to_cols ? d->rj0[p] : d->j0, rjb = to_cols ? d->rj1[p] : d->j1;
        int ria = to_cols ? d->i0 : d->ri0[p], rib = to_cols ? d->i1 : d->ri1[p];
        size_t nr = p == me ? 0 : (size_t)nf * nz * (size_t)(rjb - rja) * (size_t)(rib - ria);
        d->rcount[p] = (int)nr;
        d->rdispl[p] = (int)ro;
        ro += nr;
    }
    MPI_Alltoallv(d->sbuf, d->scount, d->sdispl, MPI_DOUBLE, d->rbuf, d->rcount, d->rdispl, MPI_DOUBLE,
                  MPI_COMM_WORLD);
    for (int p = 0; p < R; p++) {
        if (p == me) continue;
        int rja = to_cols ? d->rj0[p] : d->j0, rjb = to_cols ? d->rj1[p] : d->j1;
        int ria = to_cols ? d->i0 : d->ri0[p], rib = to_cols ? d->i1 : d->ri1[p];
        block_copy(d, f, nf, nz, rja, rjb, ria, rib, d->rbuf + d->rdispl[p], 0);
    }
#else
    (void)d; (void)f; (void)nf; (void)nz; (void)to_cols;
#endif
    return 0;
}

int par_gather_rows(ParDecomp *d, double *const *f, int nf, int nz)
{
#ifdef BOGDA_MPI
    if (!g_active || d->nranks < 2) return 0;
    const int R = d->nranks, me = d->rank;
    size_t need = (size_t)nf * nz * (size_t)d->ny * d->nx;
    if (grow(d, need)) return -1;
    size_t ns = block_copy(d, f, nf, nz, d->j0, d->j1, 0, d->nx, d->sbuf, 1), ro = 0;
    for (int p = 0; p < R; p++) {
        d->rcount[p] = (int)((size_t)nf * nz * (size_t)(d->rj1[p] - d->rj0[p]) * d->nx);
        d->rdispl[p] = (int)ro;
        ro += (size_t)d->rcount[p];
    }
    MPI_Gatherv(d->sbuf, (int)ns, MPI_DOUBLE, d->rbuf, d->rcount, d->rdispl, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (me == 0)
        for (int p = 1; p < R; p++) block_copy(d, f, nf, nz, d->rj0[p], d->rj1[p], 0, d->nx, d->rbuf + d->rdispl[p], 0);
#else
    (void)d; (void)f; (void)nf; (void)nz;
#endif
    return 0;
}
