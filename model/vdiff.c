#include "vdiff.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Thomas algorithm (forward elimination) for the column matrix with deposition conductance vd
 * at the ground: cp[k] = c_k / den_k, rden[k] = 1 / den_k. */
static void factor(int nz, const double *m, const double *d, double dt, double vd, double *cp,
                   double *rden)
{
    double lo = 0.0;
    for (int k = 0; k < nz; k++) {
        double dl = k > 0 ? d[k] * dt : 0.0, du = k < nz - 1 ? d[k + 1] * dt : 0.0;
        double den = m[k] + dl + du + (k == 0 ? vd * dt : 0.0) + dl * lo; /* b - a*cp[k-1], a = -dl */
        rden[k] = 1.0 / den;
        cp[k] = -du * rden[k];
        lo = cp[k];
    }
}

static void solve(int nz, const double *m, const double *d, double dt, const double *cp,
                  const double *rden, double src0, double *x)
{
    /* forward: dp[k] = (r_k - a_k dp[k-1]) / den_k, stored in x */
    double prev = 0.0;
    for (int k = 0; k < nz; k++) {
        double r = m[k] * x[k] + (k == 0 ? src0 : 0.0);
        double dl = k > 0 ? d[k] * dt : 0.0;
        prev = (r + dl * prev) * rden[k];
        x[k] = prev;
    }
    for (int k = nz - 2; k >= 0; k--) x[k] -= cp[k] * x[k + 1];
}

void vdiff_column(int nz, const double *m, const double *d, double dt, int nvar, double *q,
                  size_t ldq, const double *sflux, const double *vdep, double *removed,
                  double *scratch)
{
    double *cp = scratch, *rden = scratch + nz;
    /* the matrix is the same for every species without deposition: factor it once */
    factor(nz, m, d, dt, 0.0, cp, rden);
    int shared = 1;
    for (int v = 0; v < nvar; v++) {
        double *x = q + (size_t)v * ldq;
        double vd = vdep ? vdep[v] : 0.0;
        if (vd != 0.0) {
            factor(nz, m, d, dt, vd, cp, rden);
            shared = 0;
        } else if (!shared) {
            factor(nz, m, d, dt, 0.0, cp, rden);
            shared = 1;
        }
        solve(nz, m, d, dt, cp, rden, sflux ? sflux[v] * dt : 0.0, x);
        if (removed && vd > 0.0) removed[v] += vd * dt * x[0];
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

struct VdiffWork {
    int nthreads, nx, ny, nz, nvar;
    double **buf;     /* per thread, one row of columns: m, cp, rden, cp2, rden2, x (nz*nx each),
                         d ((nz+1)*nx) */
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
    w->buf = calloc((size_t)w->nthreads, sizeof *w->buf);
    w->removed = calloc((size_t)g->ny * par_nchunks(g->nx) * (nvar > 0 ? nvar : 1), sizeof *w->removed);
    if (!w->buf || !w->removed) { vdiff_work_free(w); return NULL; }
    size_t per = (size_t)g->nx * (7 * (size_t)g->nz + 1);
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

/* Forward elimination for a row of columns, vd (may be NULL) the deposition conductance of each
 * column; the same operations in the same order as factor() for one column. */
static void row_factor(int nx, int nz, const double *m, const double *d, double dt, const double *vd,
                       double *cp, double *rden)
{
    for (int i = 0; i < nx; i++) {
        double du = nz > 1 ? d[nx + i] * dt : 0.0, den = m[i] + du;
        if (vd) den += vd[i] * dt;
        rden[i] = 1.0 / den;
        cp[i] = -du * rden[i];
    }
    for (int k = 1; k < nz; k++) {
        const double *dl = d + (size_t)k * nx, *duu = d + (size_t)(k + 1) * nx, *mk = m + (size_t)k * nx,
                     *cpl = cp + (size_t)(k - 1) * nx;
        double *cpk = cp + (size_t)k * nx, *rk = rden + (size_t)k * nx;
        for (int i = 0; i < nx; i++) {
            double a = dl[i] * dt, c = k < nz - 1 ? duu[i] * dt : 0.0;
            double den = mk[i] + a + c + a * cpl[i];
            rk[i] = 1.0 / den;
            cpk[i] = -c * rk[i];
        }
    }
}

/* Rows of columns at a time, with the inner loops over i: the gathers are contiguous and the
 * Thomas recurrences vectorise across columns.  Same arithmetic as vdiff_column per column. */
void vdiff_3d(VdiffWork *w, const Grid *g, const MetFields *f, double dt, int nvar, double *const *q,
              const double *const *sflux, const double *const *vdep, double *removed,
              double *const *dep_field)
{
    const int nx = g->nx, ny = g->ny, nz = g->nz;
    const size_t plane = (size_t)nx * ny;
    /* a distributed run diffuses the columns of its block */
    const int ja = w->dec ? w->dec->bj0 : 0, jb = w->dec ? w->dec->bj1 : ny;
    const int ia = w->dec ? w->dec->bi0 : 0, ib = w->dec ? w->dec->bi1 : nx, nw = ib - ia;
    const int dist = w->dec && w->dec->nranks > 1, nch = par_nchunks(nx);
    /* the other ranks' chunks stay 0 here and arrive through the sum below */
    if (dist) memset(w->removed, 0, (size_t)ny * nch * nvar * sizeof *w->removed);
#pragma omp parallel for schedule(static)
    for (int j = ja; j < jb; j++) {
        double *b = w->buf[omp_get_thread_num()];
        const size_t nzx = (size_t)nz * nw;
        double *m = b, *cp0 = m + nzx, *rden0 = cp0 + nzx, *cp1 = rden0 + nzx, *rden1 = cp1 + nzx,
               *x = rden1 + nzx, *d = x + nzx; /* d: (nz+1) * nx */
        const size_t row = (size_t)j * nx + ia;
        double *rem = w->removed + (size_t)j * nch * nvar;
        for (int k = 0; k < nz; k++) memcpy(m + (size_t)k * nw, f->airm + k * plane + row, nw * sizeof *m);
        for (int i = 0; i < nw; i++) d[i] = d[(size_t)nz * nw + i] = 0.0;
        for (int k = 1; k < nz; k++) {
            const double *zl = f->zf + (k - 1) * plane + row, *z0 = f->zf + k * plane + row,
                         *zh = f->zf + (k + 1) * plane + row, *rl = f->rho + (k - 1) * plane + row,
                         *rh = f->rho + k * plane + row, *kz = f->kz + k * plane + row,
                         *area = g->area + row;
            double *dk = d + (size_t)k * nw;
            for (int i = 0; i < nw; i++) { /* as vdiff_conductance */
                double zlo = 0.5 * (zl[i] + z0[i]), zhi = 0.5 * (z0[i] + zh[i]);
                dk[i] = 0.5 * (rl[i] + rh[i]) * kz[i] * area[i] / (zhi - zlo);
            }
        }
        /* the matrix without deposition is shared by every species: factor it once per row */
        row_factor(nw, nz, m, d, dt, NULL, cp0, rden0);
        for (int v = 0; v < nvar; v++) {
            double *qv = q[v];
            const double *vd = vdep && vdep[v] ? vdep[v] + row : NULL;
            const double *sf = sflux && sflux[v] ? sflux[v] + row : NULL;
            int dep = 0;
            for (int i = 0; vd && i < nw; i++) dep |= vd[i] != 0.0;
            const double *cp = cp0, *rden = rden0;
            if (dep) {
                row_factor(nw, nz, m, d, dt, vd, cp1, rden1);
                cp = cp1;
                rden = rden1;
            }
            for (int k = 0; k < nz; k++) {
                const double *src = qv + k * plane + row, *mk = m + (size_t)k * nw, *rk = rden + (size_t)k * nw,
                             *dl = d + (size_t)k * nw, *xp = x + (size_t)(k > 0 ? k - 1 : 0) * nw;
                double *xk = x + (size_t)k * nw;
                if (k == 0 && sf)
                    for (int i = 0; i < nw; i++) xk[i] = (mk[i] * src[i] + sf[i] * dt) * rk[i];
                else if (k == 0)
                    for (int i = 0; i < nw; i++) xk[i] = mk[i] * src[i] * rk[i];
                else
                    for (int i = 0; i < nw; i++) xk[i] = (mk[i] * src[i] + dl[i] * dt * xp[i]) * rk[i];
            }
            for (int k = nz - 2; k >= 0; k--) {
                double *xk = x + (size_t)k * nw;
                const double *xu = x + (size_t)(k + 1) * nw, *ck = cp + (size_t)k * nw;
                for (int i = 0; i < nw; i++) xk[i] -= ck[i] * xu[i];
            }
            for (int k = 0; k < nz; k++) memcpy(qv + k * plane + row, x + (size_t)k * nw, nw * sizeof *x);
            double *df = dep && dep_field && dep_field[v] ? dep_field[v] + row : NULL;
            /* the deposited amount per chunk of PAR_CHUNK columns (ia is a chunk boundary) */
            for (int c0 = 0; c0 < nw; c0 += PAR_CHUNK) {
                double r = 0.0;
                for (int i = c0; dep && i < nw && i < c0 + PAR_CHUNK; i++) {
                    r += vd[i] * dt * x[i];
                    if (df) df[i] += vd[i] * dt * x[i];
                }
                rem[(size_t)((ia + c0) / PAR_CHUNK) * nvar + v] = r;
            }
        }
    }
    if (removed && dist) par_sum_doubles(w->removed, (size_t)ny * nch * nvar);
    if (removed)
        for (size_t jc = 0; jc < (size_t)ny * nch; jc++)
            for (int v = 0; v < nvar; v++) removed[v] += w->removed[jc * nvar + v];
}
