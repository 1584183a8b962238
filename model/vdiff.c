#include "vdiff.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

void vdiff_column(int nz, const double *m, const double *d, double dt, int nvar, double *q,
                  size_t ldq, const double *sflux, const double *vdep, double *removed,
                  double *scratch)
{
    double *cp = scratch, *dp = scratch + nz;
    for (int v = 0; v < nvar; v++) {
        double *x = q + (size_t)v * ldq;
        double vd = vdep ? vdep[v] : 0.0;
        /* Thomas algorithm on a_k x_{k-1} + b_k x_k + c_k x_{k+1} = r_k */
        double lo = 0.0;
        for (int k = 0; k < nz; k++) {
            double dl = k > 0 ? d[k] * dt : 0.0, du = k < nz - 1 ? d[k + 1] * dt : 0.0;
            double a = -dl, b = m[k] + dl + du + (k == 0 ? vd * dt : 0.0), c = -du;
            double r = m[k] * x[k] + (k == 0 && sflux ? sflux[v] * dt : 0.0);
            double den = b - a * lo;
            cp[k] = c / den;
            dp[k] = (r - a * (k > 0 ? dp[k - 1] : 0.0)) / den;
            lo = cp[k];
        }
        x[nz - 1] = dp[nz - 1];
        for (int k = nz - 2; k >= 0; k--) x[k] = dp[k] - cp[k] * x[k + 1];
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
    int nthreads, nz, nvar;
    double **buf; /* per thread: m (nz), d (nz+1), q (nvar*nz), scratch (2 nz) */
};

VdiffWork *vdiff_work_create(const Grid *g, int nvar)
{
    VdiffWork *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->nthreads = omp_get_max_threads();
    w->nz = g->nz;
    w->nvar = nvar;
    w->buf = calloc((size_t)w->nthreads, sizeof *w->buf);
    if (!w->buf) { free(w); return NULL; }
    size_t per = (size_t)g->nz * (4 + nvar) + 1;
    for (int t = 0; t < w->nthreads; t++)
        if (!(w->buf[t] = malloc(per * sizeof(double)))) { vdiff_work_free(w); return NULL; }
    return w;
}

void vdiff_work_free(VdiffWork *w)
{
    if (!w) return;
    for (int t = 0; w->buf && t < w->nthreads; t++) free(w->buf[t]);
    free(w->buf);
    free(w);
}

void vdiff_3d(VdiffWork *w, const Grid *g, const MetFields *f, double dt, int nvar, double *q)
{
    const int nx = g->nx, ny = g->ny, nz = g->nz;
    const size_t plane = (size_t)nx * ny, ncell = plane * nz;
#pragma omp parallel for schedule(static)
    for (int col = 0; col < nx * ny; col++) {
        double *b = w->buf[omp_get_thread_num()];
        double *m = b, *d = m + nz, *ql = d + nz + 1, *scr = ql + (size_t)nvar * nz;
        int j = col / nx, i = col % nx;
        for (int k = 0; k < nz; k++) m[k] = f->airm[k * plane + col];
        vdiff_conductance(g, f, j, i, d);
        for (int v = 0; v < nvar; v++)
            for (int k = 0; k < nz; k++) ql[(size_t)v * nz + k] = q[v * ncell + k * plane + col];
        vdiff_column(nz, m, d, dt, nvar, ql, (size_t)nz, NULL, NULL, NULL, scr);
        for (int v = 0; v < nvar; v++)
            for (int k = 0; k < nz; k++) q[v * ncell + k * plane + col] = ql[(size_t)v * nz + k];
    }
}
