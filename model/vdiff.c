#include "vdiff.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"

/* The column matrix is eliminated from the top down (the Thomas algorithm run upwards), so that
 * the deposition conductance vd, which only touches the ground row, enters the last pivot alone:
 * the elimination of layers nz-1..1 is shared by every species, and a depositing species costs
 * one division per column.  Row k of the system:
 *   -a_k x_{k-1} + (m_k + a_k + c_k [+ vd dt at k = 0]) x_k - c_k x_{k+1} = m_k q_k [+ S dt at k = 0]
 * with a_k = D_{k-1/2} dt, c_k = D_{k+1/2} dt.  Elimination: x_k = y_k + g_k x_{k-1} with
 *   rden_k = 1 / (m_k + a_k + c_k - c_k g_{k+1}),  g_k = a_k rden_k,
 *   y_k = (m_k q_k + c_k y_{k+1}) rden_k,
 * and at the ground x_0 = y_0 = (m_0 q_0 + c_0 y_1 [+ S dt]) / (base0 + vd dt), base0 = m_0 + c_0
 * - c_0 g_1.  Every pivot is positive and at least m_k (an M-matrix, diagonally dominant), so
 * no pivoting is needed.  vdiff_3d performs exactly these operations in this order per column. */

/* rden[1..nz-1], g[1..nz-1] and base0 of one column. */
static double col_factor(int nz, const double *m, const double *d, double dt, double *rden, double *g)
{
    double gn = 0.0;
    for (int k = nz - 1; k >= 1; k--) {
        double a = d[k] * dt, c = k < nz - 1 ? d[k + 1] * dt : 0.0;
        rden[k] = 1.0 / (m[k] + a + c - c * gn);
        g[k] = a * rden[k];
        gn = g[k];
    }
    double c0 = nz > 1 ? d[1] * dt : 0.0;
    return m[0] + c0 - c0 * gn;
}

void vdiff_column(int nz, const double *m, const double *d, double dt, int nvar, double *q,
                  size_t ldq, const double *sflux, const double *vdep, double *removed,
                  double *scratch)
{
    double *rden = scratch, *g = scratch + nz;
    const double base0 = col_factor(nz, m, d, dt, rden, g);
    const double c0 = nz > 1 ? d[1] * dt : 0.0;
    for (int v = 0; v < nvar; v++) {
        double *x = q + (size_t)v * ldq;
        double vd = vdep ? vdep[v] : 0.0;
        double yn = 0.0; /* y_{k+1} */
        for (int k = nz - 1; k >= 1; k--) {
            double c = k < nz - 1 ? d[k + 1] * dt : 0.0;
            yn = x[k] = (m[k] * x[k] + c * yn) * rden[k];
        }
        double r0 = m[0] * x[0] + c0 * yn;
        if (sflux) r0 += sflux[v] * dt;
        x[0] = r0 * (1.0 / (base0 + vd * dt));
        for (int k = 1; k < nz; k++) x[k] += g[k] * x[k - 1];
        if (removed && vdep) removed[v] += vd * dt * x[0];
    }
}

void vdiff_conductance(const Grid *g, const MetFields *f, int j, int i, double *d)
{
    const int nz = g->nz;
    const size_t plane = (size_t)g->nx * g->ny, c = grid_idx2(g, j, i);
    const double area = g->area[c];
    d[0] = d[nz] = 0.0;
    for (int k = 1; k < nz; k++) {
        double zlo = 0.5 * (f->zf[(k - 1) * plane + c] + f->zf[k * plane + c]);
        double zhi = 0.5 * (f->zf[k * plane + c] + f->zf[(k + 1) * plane + c]);
        double rho = 0.5 * (f->rho[(k - 1) * plane + c] + f->rho[k * plane + c]);
        d[k] = rho * f->kz[k * plane + c] * area / (zhi - zlo);
    }
}

/* Most columns per chunk of a row.  The chunk's coefficients (m, c, rden, g: 4 nz doubles per
 * column, 49 kB at 64 x 24) stay in L1/L2 while every field of the call is solved with them, and
 * each field's chunk is nz segments of up to 512 contiguous bytes.  Measured on the bench grid
 * (200 x 120 x 24, 17 fields, 1 thread): 8 columns 94 ms per call, 16: 57, 32: 31, 64: 29, the
 * whole row: 30 (the old row kernel: 68): the segments must be long enough for the memory
 * system, the chunk need not fit L1. */
#ifndef VD_TILE
#define VD_TILE 64
#endif

struct VdiffWork {
    int nthreads, nx, ny, nz, nvar, tile;
    double **buf;     /* per thread, one chunk of columns: m, c, rden, g (nz*tile each), base0,
                         rden0, r0 (tile each) */
    double *removed;  /* [ny][chunk][nvar] deposited amounts per chunk of PAR_CHUNK columns of a
                         row, summed in order */
    const ParDecomp *dec; /* the block of this rank (NULL: all) */
};

void vdiff_work_set_decomp(VdiffWork *w, const ParDecomp *d) { w->dec = d; }

VdiffWork *vdiff_work_create(const Grid *g, int nvar)
{
    VdiffWork *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->nthreads = omp_get_max_threads();
    w->nx = g->nx;
    w->ny = g->ny;
    w->nz = g->nz;
    w->nvar = nvar;
    /* equal chunks of at most VD_TILE columns (200 -> 4 x 50, not 3 x 64 + 8) */
    const int nx = g->nx > 0 ? g->nx : 1, nch = (nx + VD_TILE - 1) / VD_TILE;
    w->tile = (nx + nch - 1) / nch;
    w->buf = calloc((size_t)w->nthreads, sizeof *w->buf);
    w->removed = calloc((size_t)g->ny * par_nchunks(g->nx) * (nvar > 0 ? nvar : 1), sizeof *w->removed);
    if (!w->buf || !w->removed) { vdiff_work_free(w); return NULL; }
    size_t per = (size_t)w->tile * (4 * (size_t)g->nz + 3);
    for (int t = 0; t < w->nthreads; t++)
        if (!(w->buf[t] = malloc(per * sizeof(double)))) { vdiff_work_free(w); return NULL; }
    return w;
}

void vdiff_work_free(VdiffWork *w)
{
    if (!w) return;
    for (int t = 0; w->buf && t < w->nthreads; t++) free(w->buf[t]);
    free(w->buf);
    free(w->removed);
    free(w);
}

/* The chunk kernel is also compiled for AVX2 and AVX-512 and chosen at load time (GCC function
 * multi-versioning), so the default build stays portable.  Every path computes the same bits: the
 * same IEEE operations per column, and ISO C mode (-std=c11, i.e. -ffp-contract=off) keeps GCC
 * from fusing a*b+c; test_vdiff compares vdiff_3d with the scalar vdiff_column bit for bit. */
#if BOGDA_CLONES
#define VD_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define VD_CLONES
#endif

/* The chunk's arrays, [k][i] with row length T (w->tile). */
typedef struct {
    double *m, *cc, *rden, *gg, *base0, *rd0, *r0;
} VdChunk;

/* Coefficients of columns c0..c0+n-1 of a row: air masses, dt times the conductances (c of
 * layer k at k, 0 at the top) and the elimination of layers nz-1..1 (as col_factor). */
VD_CLONES static void chunk_factor(int n, int nz, int T, size_t plane, size_t c0, const Grid *g,
                                   const MetFields *f, double dt, const VdChunk *ch)
{
    double *restrict m = ch->m, *restrict cc = ch->cc, *restrict rden = ch->rden,
                     *restrict gg = ch->gg, *restrict base0 = ch->base0, *restrict rd0 = ch->rd0;
    for (int k = 0; k < nz; k++) memcpy(m + (size_t)k * T, f->airm + k * plane + c0, n * sizeof *m);
    for (int i = 0; i < n; i++) cc[(size_t)(nz - 1) * T + i] = 0.0;
    for (int k = 1; k < nz; k++) {
        const double *restrict zl = f->zf + (k - 1) * plane + c0, *restrict z0 = f->zf + k * plane + c0,
                               *restrict zh = f->zf + (k + 1) * plane + c0,
                               *restrict rl = f->rho + (k - 1) * plane + c0,
                               *restrict rh = f->rho + k * plane + c0, *restrict kz = f->kz + k * plane + c0,
                               *restrict area = g->area + c0;
        double *restrict ck = cc + (size_t)(k - 1) * T;
#pragma omp simd
        for (int i = 0; i < n; i++) { /* as vdiff_conductance, times dt */
            double zlo = 0.5 * (zl[i] + z0[i]), zhi = 0.5 * (z0[i] + zh[i]);
            ck[i] = 0.5 * (rl[i] + rh[i]) * kz[i] * area[i] / (zhi - zlo) * dt;
        }
    }
    for (int k = nz - 1; k >= 1; k--) {
        const double *mk = m + (size_t)k * T, *ak = cc + (size_t)(k - 1) * T, *ck = cc + (size_t)k * T;
        double *rk = rden + (size_t)k * T, *gk = gg + (size_t)k * T;
        if (k < nz - 1) {
            const double *gn = gg + (size_t)(k + 1) * T;
#pragma omp simd
            for (int i = 0; i < n; i++) {
                rk[i] = 1.0 / (mk[i] + ak[i] + ck[i] - ck[i] * gn[i]);
                gk[i] = ak[i] * rk[i];
            }
        } else {
#pragma omp simd
            for (int i = 0; i < n; i++) {
                rk[i] = 1.0 / (mk[i] + ak[i] + 0.0 - 0.0 * 0.0);
                gk[i] = ak[i] * rk[i];
            }
        }
    }
    if (nz > 1) {
        const double *g1 = gg + (size_t)T;
#pragma omp simd
        for (int i = 0; i < n; i++) base0[i] = m[i] + cc[i] - cc[i] * g1[i];
    } else {
#pragma omp simd
        for (int i = 0; i < n; i++) base0[i] = m[i] + 0.0 - 0.0 * 0.0;
    }
#pragma omp simd
    for (int i = 0; i < n; i++) rd0[i] = 1.0 / (base0[i] + 0.0 * dt);
}

/* One field over the chunk, in place in q (the chunk's first column): the upward sweep writes
 * y_k, the ground row takes the source sf and the deposition vd (either may be NULL), the
 * downward sweep x_k (as vdiff_column). */
VD_CLONES static void chunk_solve(int n, int nz, int T, size_t plane, double *q, const double *sf,
                                  const double *vd, double dt, const VdChunk *ch)
{
    const double *restrict m = ch->m, *restrict cc = ch->cc, *restrict rden = ch->rden,
                           *restrict gg = ch->gg, *restrict base0 = ch->base0, *restrict rd0 = ch->rd0;
    double *restrict r0 = ch->r0;
    if (nz > 1) {
        double *restrict qk = q + (nz - 1) * plane;
        const double *mk = m + (size_t)(nz - 1) * T, *rk = rden + (size_t)(nz - 1) * T;
#pragma omp simd
        for (int i = 0; i < n; i++) qk[i] = (mk[i] * qk[i] + 0.0 * 0.0) * rk[i];
    }
    for (int k = nz - 2; k >= 1; k--) {
        double *restrict qk = q + k * plane;
        const double *restrict qn = qk + plane;
        const double *mk = m + (size_t)k * T, *ck = cc + (size_t)k * T, *rk = rden + (size_t)k * T;
#pragma omp simd
        for (int i = 0; i < n; i++) qk[i] = (mk[i] * qk[i] + ck[i] * qn[i]) * rk[i];
    }
    double *restrict q0 = q;
    if (nz > 1) {
        const double *restrict qn = q + plane;
#pragma omp simd
        for (int i = 0; i < n; i++) r0[i] = m[i] * q0[i] + cc[i] * qn[i];
    } else {
#pragma omp simd
        for (int i = 0; i < n; i++) r0[i] = m[i] * q0[i] + 0.0 * 0.0;
    }
    if (sf) {
#pragma omp simd
        for (int i = 0; i < n; i++) r0[i] += sf[i] * dt;
    }
    if (vd) {
#pragma omp simd
        for (int i = 0; i < n; i++) q0[i] = r0[i] * (1.0 / (base0[i] + vd[i] * dt));
    } else {
#pragma omp simd
        for (int i = 0; i < n; i++) q0[i] = r0[i] * rd0[i];
    }
    for (int k = 1; k < nz; k++) {
        double *restrict qk = q + k * plane;
        const double *restrict qp = qk - plane;
        const double *gk = gg + (size_t)k * T;
#pragma omp simd
        for (int i = 0; i < n; i++) qk[i] += gk[i] * qp[i];
    }
}

/* Rows of columns at a time, cut into chunks of w->tile columns, with the inner loops over i: the
 * accesses are contiguous and the recurrences vectorise across columns.  Each field is solved in
 * place (the upward sweep writes y into q, the downward one x).  Same arithmetic as vdiff_column
 * per column. */
void vdiff_3d(VdiffWork *w, const Grid *g, const MetFields *f, double dt, int nvar, double *const *q,
              const double *const *sflux, const double *const *vdep, double *removed,
              double *const *dep_field)
{
    const int nx = g->nx, ny = g->ny, nz = g->nz, T = w->tile;
    const size_t plane = (size_t)nx * ny;
    /* a distributed run diffuses the columns of its block */
    const int ja = w->dec ? w->dec->bj0 : 0, jb = w->dec ? w->dec->bj1 : ny;
    const int ia = w->dec ? w->dec->bi0 : 0, ib = w->dec ? w->dec->bi1 : nx;
    const int dist = w->dec && w->dec->nranks > 1, nch = par_nchunks(nx);
    /* the other ranks' chunks stay 0 here and arrive through the sum below */
    if (dist) memset(w->removed, 0, (size_t)ny * nch * nvar * sizeof *w->removed);
#pragma omp parallel for schedule(static)
    for (int j = ja; j < jb; j++) {
        double *b = w->buf[omp_get_thread_num()];
        const size_t nzt = (size_t)nz * T;
        VdChunk ch = {b, b + nzt, b + 2 * nzt, b + 3 * nzt, b + 4 * nzt, b + 4 * nzt + T, b + 4 * nzt + 2 * T};
        const size_t row = (size_t)j * nx;
        /* deposited amounts per chunk of PAR_CHUNK columns (blocks start on chunk boundaries) */
        double *rem = w->removed + (size_t)j * nch * nvar;
        for (int c = ia / PAR_CHUNK; c < par_nchunks(ib); c++)
            for (int v = 0; v < nvar; v++) rem[(size_t)c * nvar + v] = 0.0;
        for (int i0 = ia; i0 < ib; i0 += T) {
            const int n = ib - i0 < T ? ib - i0 : T;
            const size_t c0 = row + i0;
            chunk_factor(n, nz, T, plane, c0, g, f, dt, &ch);
            for (int v = 0; v < nvar; v++) {
                double *qv = q[v] + c0;
                const double *vd = vdep && vdep[v] ? vdep[v] + c0 : NULL;
                const double *sf = sflux && sflux[v] ? sflux[v] + c0 : NULL;
                chunk_solve(n, nz, T, plane, qv, sf, vd, dt, &ch);
                if (vd) { /* in column order within each chunk, whatever the tiling */
                    double *df = dep_field && dep_field[v] ? dep_field[v] + c0 : NULL;
                    for (int i = 0; i < n; i++) {
                        rem[(size_t)((i0 + i) / PAR_CHUNK) * nvar + v] += vd[i] * dt * qv[i];
                        if (df) df[i] += vd[i] * dt * qv[i];
                    }
                }
            }
        }
    }
    if (removed && dist) par_sum_doubles(w->removed, (size_t)ny * nch * nvar);
    if (removed)
        for (size_t jc = 0; jc < (size_t)ny * nch; jc++)
            for (int v = 0; v < nvar; v++) removed[v] += w->removed[jc * nvar + v];
}
