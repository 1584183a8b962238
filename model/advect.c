#include "advect.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- schemes on one line */

static inline double dmin(double a, double b) { return a < b ? a : b; }
static inline double dmax(double a, double b) { return a > b ? a : b; }

static void faces_upwind(int n, const double *qg, const double *c, double *qf, double *tmp)
{
    (void)tmp;
    for (int i = 0; i <= n; i++) qf[i] = c[i] >= 0 ? qg[i - 1] : qg[i];
}

/* PPM (Colella & Woodward 1984, J. Comput. Phys. 54, 174): fourth-order face interpolation
 * (their eq. 1.6 on a uniform mesh, here uniform in the cell index, i.e. in the mass coordinate),
 * the monotonicity constraints of eq. 1.10, and the face average of the parabola over the part of
 * the upwind cell that crosses the face in the step (eq. 1.12). */
static void faces_ppm(int n, const double *qg, const double *c, double *qf, double *tmp)
{
    double *a = tmp;               /* a[i]: interface value between cells i-1 and i, i = 0..n */
    double *qr = tmp + (n + 4);    /* limited right edge value of cells 0..n-1 */
    double *dq = tmp + 2 * (n + 4); /* qR - qL after limiting */
    double *q6 = tmp + 3 * (n + 4); /* 6 (q - (qL + qR)/2) after limiting */
    for (int i = 0; i <= n; i++) {
        double v = (7.0 * (qg[i - 1] + qg[i]) - (qg[i - 2] + qg[i + 1])) * (1.0 / 12.0);
        a[i] = dmin(dmax(v, dmin(qg[i - 1], qg[i])), dmax(qg[i - 1], qg[i]));
    }
    for (int i = 0; i < n; i++) {
        double q = qg[i], l = a[i], r = a[i + 1];
        double d = r - l, s6 = 6.0 * (q - 0.5 * (l + r));
        if ((r - q) * (q - l) <= 0.0) {
            l = r = q; /* local extremum: flatten */
        } else if (d * s6 > d * d) {
            l = 3.0 * q - 2.0 * r;
        } else if (-d * d > d * s6) {
            r = 3.0 * q - 2.0 * l;
        }
        qr[i] = r;
        dq[i] = r - l;
        q6[i] = 6.0 * (q - 0.5 * (l + r));
    }
    for (int i = 1; i < n; i++) {
        double ci = c[i];
        if (ci >= 0) { /* from cell i-1: mean over its last fraction c */
            qf[i] = qr[i - 1] - 0.5 * ci * (dq[i - 1] - (1.0 - (2.0 / 3.0) * ci) * q6[i - 1]);
        } else { /* from cell i: mean over its first fraction -c */
            double cc = -ci, ql = qr[i] - dq[i];
            qf[i] = ql + 0.5 * cc * (dq[i] + (1.0 - (2.0 / 3.0) * cc) * q6[i]);
        }
    }
    /* boundary faces: outflow from the edge cells (inflow values are set by the caller) */
    if (c[0] < 0) {
        double cc = -c[0], ql = qr[0] - dq[0];
        qf[0] = ql + 0.5 * cc * (dq[0] + (1.0 - (2.0 / 3.0) * cc) * q6[0]);
    } else {
        qf[0] = qg[-1];
    }
    if (c[n] >= 0) {
        double cn = c[n];
        qf[n] = qr[n - 1] - 0.5 * cn * (dq[n - 1] - (1.0 - (2.0 / 3.0) * cn) * q6[n - 1]);
    } else {
        qf[n] = qg[n];
    }
}

const AdvectScheme advect_ppm = {"ppm", faces_ppm};
const AdvectScheme advect_upwind = {"upwind", faces_upwind};

const AdvectScheme *advect_scheme_find(const char *name)
{
    static const AdvectScheme *const all[] = {&advect_ppm, &advect_upwind};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (!strcmp(all[i]->name, name)) return all[i];
    return NULL;
}

size_t advect_line_scratch(int n, int nvar)
{
    /* c, qf, hf (n+1 each), mnew, rinv (n each), tmp 4(n+4) */
    (void)nvar;
    return 3 * (size_t)(n + 1) + 2 * (size_t)n + 4 * (size_t)(n + 4);
}

int advect_line(const AdvectScheme *sch, int n, double *m, const double *f, double dt, double cfl_max,
                int nvar, double *q, size_t ldq, const double *bc_lo, const double *bc_hi,
                double *in, double *out, double *scratch, int *nsub_out)
{
    double *c = scratch, *qf = c + (n + 1), *hf = qf + (n + 1), *mnew = hf + (n + 1),
           *rinv = mnew + n, *tmp = rinv + n;
    /* Sub-steps from the largest outflow fraction; the mass of a cell moves linearly between its
     * start and end values, so the smaller of the two bounds it over the step. */
    double maxfrac = 0.0;
    for (int i = 0; i < n; i++) {
        double outflow = dmax(f[i + 1], 0.0) + dmax(-f[i], 0.0);
        double mend = m[i] + dt * (f[i] - f[i + 1]);
        if (!(mend > 0.0) || !(m[i] > 0.0)) return -1;
        double frac = outflow * dt / dmin(m[i], mend);
        if (frac > maxfrac) maxfrac = frac;
    }
    if (!(maxfrac <= 1e4 * cfl_max)) return -1;
    int nsub = maxfrac > cfl_max ? (int)ceil(maxfrac / cfl_max) : 1;
    if (nsub_out) *nsub_out = nsub;
    double h = dt / nsub;
    for (int i = 0; i <= n; i++) hf[i] = h * f[i];
    for (int s = 0; s < nsub; s++) {
        for (int i = 0; i <= n; i++) {
            int up = f[i] >= 0 ? i - 1 : i;
            c[i] = (up < 0 || up >= n) ? 0.0 : hf[i] / m[up]; /* boundary inflow: caller's value */
        }
        for (int i = 0; i < n; i++) {
            mnew[i] = m[i] + (hf[i] - hf[i + 1]);
            rinv[i] = 1.0 / mnew[i];
        }
        for (int v = 0; v < nvar; v++) {
            double *qg = q + (size_t)v * ldq;
            /* ghosts: the boundary value on inflow, zero gradient on outflow or no flow */
            double lo = f[0] > 0 ? bc_lo[v] : qg[0], hi = f[n] < 0 ? bc_hi[v] : qg[n - 1];
            qg[-2] = qg[-1] = lo;
            qg[n] = qg[n + 1] = hi;
            sch->faces(n, qg, c, qf, tmp);
            if (f[0] > 0) qf[0] = bc_lo[v];
            if (f[n] < 0) qf[n] = bc_hi[v];
            for (int i = 0; i < n; i++)
                qg[i] = (m[i] * qg[i] + (hf[i] * qf[i] - hf[i + 1] * qf[i + 1])) * rinv[i];
            if (in && out) {
                double a0 = hf[0] * qf[0], an = hf[n] * qf[n];
                if (a0 > 0) in[v] += a0; else out[v] -= a0;
                if (an > 0) out[v] += an; else in[v] -= an;
            }
        }
        memcpy(m, mnew, (size_t)n * sizeof *m);
    }
    return 0;
}

/* ---------------------------------------------------------------- 3-D driver */

struct AdvectWork {
    const AdvectScheme *sch;
    int nx, ny, nz, nvar, nthreads;
    double cfl_max;
    double *m;         /* [nz][ny][nx] air mass during the step */
    double *tally;     /* [line][2*nvar] per-line boundary amounts, summed in order afterwards */
    int *status;       /* [line] */
    int *nsub;         /* [line] */
    double **buf;      /* per thread: q line (nvar*L), m (L), f (L+1), bc (2 nvar), scratch */
    int lmax;
};

AdvectWork *advect_work_create(const AdvectScheme *sch, int nx, int ny, int nz, int nvar,
                               double cfl_max)
{
    AdvectWork *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->sch = sch;
    w->nx = nx;
    w->ny = ny;
    w->nz = nz;
    w->nvar = nvar;
    w->cfl_max = cfl_max;
    w->nthreads = omp_get_max_threads();
    int lmax = nx > ny ? nx : ny;
    if (nz > lmax) lmax = nz;
    w->lmax = lmax;
    size_t ncell = (size_t)nx * ny * nz;
    size_t nlines = (size_t)nz * ny;
    if ((size_t)nz * nx > nlines) nlines = (size_t)nz * nx;
    if ((size_t)ny * nx > nlines) nlines = (size_t)ny * nx;
    w->m = malloc(ncell * sizeof *w->m);
    w->tally = malloc(nlines * 2 * (size_t)nvar * sizeof *w->tally);
    w->status = malloc(nlines * sizeof *w->status);
    w->nsub = malloc(nlines * sizeof *w->nsub);
    w->buf = calloc((size_t)w->nthreads, sizeof *w->buf);
    int ok = w->m && w->tally && w->status && w->nsub && w->buf;
    size_t per = (size_t)nvar * (lmax + 4) + lmax + (lmax + 1) + 2 * (size_t)nvar +
                 advect_line_scratch(lmax, nvar);
    for (int t = 0; ok && t < w->nthreads; t++) ok = (w->buf[t] = malloc(per * sizeof(double))) != NULL;
    if (!ok) {
        advect_work_free(w);
        return NULL;
    }
    return w;
}

void advect_work_free(AdvectWork *w)
{
    if (!w) return;
    for (int t = 0; w->buf && t < w->nthreads; t++) free(w->buf[t]);
    free(w->buf);
    free(w->m);
    free(w->tally);
    free(w->status);
    free(w->nsub);
    free(w);
}

/* Sweep along one direction.  dir 0: x (lines (k,j)), 1: y (lines (k,i)), 2: z (columns (j,i)).
 * For z the face fluxes are diagnosed from continuity against m1. */
static int sweep(AdvectWork *w, int dir, double *const *q, const double *flux, const double *m1, double dt,
                 const AdvectBC *bc, double *in, double *out, int *max_sub, BgErr *e)
{
    const int nx = w->nx, ny = w->ny, nz = w->nz, nvar = w->nvar;
    const size_t plane = (size_t)nx * ny;
    int n, nlines;
    if (dir == 0) { n = nx; nlines = nz * ny; }
    else if (dir == 1) { n = ny; nlines = nz * nx; }
    else { n = nz; nlines = ny * nx; }
    const int L = w->lmax;

#pragma omp parallel for schedule(static)
    for (int line = 0; line < nlines; line++) {
        double *b = w->buf[omp_get_thread_num()];
        const size_t ld = (size_t)L + 4; /* each variable with two ghost cells on either side */
        double *ql = b + 2, *ml = b + (size_t)nvar * ld, *fl = ml + L, *bclo = fl + L + 1,
               *bchi = bclo + nvar, *scr = bchi + nvar;
        size_t base, stride;
        int k = 0, j = 0, i = 0;
        if (dir == 0) {
            k = line / ny; j = line % ny;
            base = (size_t)k * plane + (size_t)j * nx; stride = 1;
            const double *fr = flux + ((size_t)k * ny + j) * (nx + 1);
            memcpy(fl, fr, (size_t)(nx + 1) * sizeof *fl);
            for (int v = 0; v < nvar; v++) {
                bclo[v] = bc->west[((size_t)v * nz + k) * ny + j];
                bchi[v] = bc->east[((size_t)v * nz + k) * ny + j];
            }
        } else if (dir == 1) {
            k = line / nx; i = line % nx;
            base = (size_t)k * plane + i; stride = nx;
            for (int jj = 0; jj <= ny; jj++) fl[jj] = flux[((size_t)k * (ny + 1) + jj) * nx + i];
            for (int v = 0; v < nvar; v++) {
                bclo[v] = bc->south[((size_t)v * nz + k) * nx + i];
                bchi[v] = bc->north[((size_t)v * nz + k) * nx + i];
            }
        } else {
            j = line / nx; i = line % nx;
            base = (size_t)j * nx + i; stride = plane;
            for (int v = 0; v < nvar; v++) {
                bclo[v] = 0.0; /* the ground: no flow */
                bchi[v] = bc->top[((size_t)v * ny + j) * nx + i];
            }
        }
        for (int c = 0; c < n; c++) ml[c] = w->m[base + c * stride];
        if (dir == 2) {
            /* continuity: the mass after the step must equal the met's m1 in every layer */
            fl[0] = 0.0;
            for (int c = 0; c < n; c++) fl[c + 1] = fl[c] + (ml[c] - m1[base + c * stride]) / dt;
        }
        for (int v = 0; v < nvar; v++) {
            const double *src = q[v] + base;
            double *dst = ql + (size_t)v * ld;
            if (stride == 1) memcpy(dst, src, (size_t)n * sizeof *dst);
            else for (int c = 0; c < n; c++) dst[c] = src[c * stride];
        }
        double *tin = w->tally + (size_t)line * 2 * nvar, *tout = tin + nvar;
        memset(tin, 0, 2 * (size_t)nvar * sizeof *tin);
        int ns = 1;
        w->status[line] = advect_line(w->sch, n, ml, fl, dt, w->cfl_max, nvar, ql, ld, bclo,
                                      bchi, tin, tout, scr, &ns);
        w->nsub[line] = ns;
        for (int v = 0; v < nvar; v++) {
            double *dst = q[v] + base;
            const double *src = ql + (size_t)v * ld;
            if (stride == 1) memcpy(dst, src, (size_t)n * sizeof *dst);
            else for (int c = 0; c < n; c++) dst[c * stride] = src[c];
        }
        for (int c = 0; c < n; c++) w->m[base + c * stride] = ml[c];
    }
    for (int line = 0; line < nlines; line++) {
        if (w->status[line])
            return bg_fail(e, BG_EFAIL, "advection", dir == 0 ? "x" : dir == 1 ? "y" : "z",
                           "line %d: the mass-flux divergence empties a cell (inconsistent winds "
                           "or a step far beyond the Courant limit)", line);
        if (max_sub && w->nsub[line] > *max_sub) *max_sub = w->nsub[line];
        const double *tin = w->tally + (size_t)line * 2 * nvar, *tout = tin + nvar;
        if (in && out)
            for (int v = 0; v < nvar; v++) {
                in[v] += tin[v];
                out[v] += tout[v];
            }
    }
    return BG_OK;
}

int advect_3d(AdvectWork *w, double *const *q, const double *m0, const double *m1, const double *fx,
              const double *fy, double dt, int x_first, const AdvectBC *bc, double *in, double *out,
              int *max_sub, BgErr *e)
{
    memcpy(w->m, m0, (size_t)w->nx * w->ny * w->nz * sizeof *w->m);
    if (max_sub) *max_sub = 1;
    int first = x_first ? 0 : 1;
    BG_TRY(sweep(w, first, q, first == 0 ? fx : fy, NULL, dt, bc, in, out, max_sub, e));
    BG_TRY(sweep(w, 1 - first, q, first == 0 ? fy : fx, NULL, dt, bc, in, out, max_sub, e));
    if (w->nz > 1 || m1) BG_TRY(sweep(w, 2, q, NULL, m1, dt, bc, in, out, max_sub, e));
    return BG_OK;
}
