/* Advection against analytic solutions: solid-body rotation of a cone and of Zalesak's slotted
 * cylinder (no new extrema), convergence order of a smooth field, and a 3-D divergent,
 * terrain-following flow (mass conservation, constancy of a uniform mixing ratio). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <omp.h>

#include "advect.h"
#include "testutil.h"

/* van Leer's bounds, a little below what it gives (cone: peak 0.858, L1 0.053; Zalesak: 0.989,
 * 0.438; order 2.08 on the smooth Gaussian; PPM 0.902, 0.029; 0.994, 0.301; 1.93) */
#define VL_CONE_PEAK 0.85
#define VL_CONE_L1 0.06
#define VL_ZAL_PEAK 0.98
#define VL_ZAL_L1 0.45
#define VL_ORDER 1.9

typedef struct {
    int n;
    double *q, *m0, *m1, *fx, *fy, *bcw, *bce, *bcs, *bcn, *bct;
} Plane2D;

/* A closed-form streamfunction at cell corners gives face fluxes whose discrete divergence is
 * zero to round-off: Fx = -(psi_N - psi_S), Fy = psi_E - psi_W (unit air mass per cell). */
static void rotation_fluxes(int n, double omega_dt, double *fx, double *fy)
{
    double c = 0.5 * n; /* rotation centre in cell units (corner coordinates 0..n) */
#define PSI(ic, jc) (0.5 * omega_dt * (((ic)-c) * ((ic)-c) + ((jc)-c) * ((jc)-c)))
    for (int j = 0; j < n; j++)
        for (int i = 0; i <= n; i++) fx[(size_t)j * (n + 1) + i] = -(PSI(i, j + 1) - PSI(i, j));
    for (int j = 0; j <= n; j++)
        for (int i = 0; i < n; i++) fy[(size_t)j * n + i] = PSI(i + 1, j) - PSI(i, j);
#undef PSI
}

static void alloc2d(Plane2D *p, int n)
{
    p->n = n;
    size_t nc = (size_t)n * n;
    p->q = calloc(nc, sizeof(double));
    p->m0 = malloc(nc * sizeof(double));
    p->m1 = malloc(nc * sizeof(double));
    p->fx = calloc((size_t)n * (n + 1), sizeof(double));
    p->fy = calloc((size_t)n * (n + 1), sizeof(double));
    p->bcw = calloc((size_t)n, sizeof(double));
    p->bce = calloc((size_t)n, sizeof(double));
    p->bcs = calloc((size_t)n, sizeof(double));
    p->bcn = calloc((size_t)n, sizeof(double));
    p->bct = calloc(nc, sizeof(double));
    for (size_t c = 0; c < nc; c++) p->m0[c] = p->m1[c] = 1.0;
}

static void free2d(Plane2D *p)
{
    free(p->q); free(p->m0); free(p->m1); free(p->fx); free(p->fy);
    free(p->bcw); free(p->bce); free(p->bcs); free(p->bcn); free(p->bct);
}

/* dt = 1 (fluxes are per step); run nsteps with alternating sweep order */
static void run2d(Plane2D *p, const char *scheme, int nsteps, double *in, double *out)
{
    AdvectWork *w = advect_work_create(advect_scheme_find(scheme), p->n, p->n, 1, 1, 1.0);
    assert_non_null(w);
    AdvectBC bc = {p->bcw, p->bce, p->bcs, p->bcn, p->bct};
    BgErr e = {0};
    double *qp[1] = {p->q};
    for (int s = 0; s < nsteps; s++)
        assert_int_equal(advect_3d(w, qp, p->m0, p->m1, p->fx, p->fy, 1.0, s % 2 == 0, &bc, in, out,
                                   NULL, &e), 0);
    advect_work_free(w);
}

static void norms(const double *a, const double *b, size_t n, double *l1, double *l2)
{
    double s1 = 0, s2 = 0, r1 = 0, r2 = 0;
    for (size_t c = 0; c < n; c++) {
        s1 += fabs(a[c] - b[c]);
        s2 += (a[c] - b[c]) * (a[c] - b[c]);
        r1 += fabs(b[c]);
        r2 += b[c] * b[c];
    }
    *l1 = s1 / r1;
    *l2 = sqrt(s2 / r2);
}

/* Returns the peak retention and L1 error (tests compare the schemes). */
static void rotation_case(const char *name, int slotted, const char *scheme, double min_peak, double max_l1,
                          double *peak, double *l1_out)
{
    const int n = 100, nsteps = 628; /* one revolution: omega*dt = 2 pi / 628 */
    Plane2D p;
    alloc2d(&p, n);
    rotation_fluxes(n, 2.0 * M_PI / nsteps, p.fx, p.fy);
    double *q0 = malloc((size_t)n * n * sizeof(double));
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double x = i + 0.5, y = j + 0.5, v = 0.0;
            if (slotted) { /* Zalesak (1979): radius 15, slot 5 wide and 25 long, centre (50,75) */
                double r = hypot(x - 50, y - 75);
                if (r <= 15 && !(fabs(x - 50) <= 2.5 && y <= 75 + 10)) v = 1.0;
            } else { /* cone of radius 15 and height 1 at (50,75) */
                double r = hypot(x - 50, y - 75);
                v = r < 15 ? 1.0 - r / 15 : 0.0;
            }
            p.q[(size_t)j * n + i] = q0[(size_t)j * n + i] = v;
        }
    double max0 = 0, min0 = 1e300;
    for (int c = 0; c < n * n; c++) { max0 = fmax(max0, q0[c]); min0 = fmin(min0, q0[c]); }
    double in = 0, out = 0;
    run2d(&p, scheme, nsteps, &in, &out);
    double max1 = -1e300, min1 = 1e300, l1, l2;
    for (int c = 0; c < n * n; c++) { max1 = fmax(max1, p.q[c]); min1 = fmin(min1, p.q[c]); }
    norms(p.q, q0, (size_t)n * n, &l1, &l2);
    print_message("%s (%s, 100x100, one revolution in 628 steps, max Courant 0.5): peak retention "
                  "%.4f, min %.3e, L1 %.4f, L2 %.4f\n", name, scheme, max1 / max0, min1, l1, l2);
    assert_true(min1 >= min0 - 1e-14); /* no new minimum */
    assert_true(max1 <= max0 + 1e-14); /* no new maximum */
    assert_true(max1 / max0 > min_peak);
    assert_true(l1 < max_l1);
    if (peak) *peak = max1 / max0;
    if (l1_out) *l1_out = l1;
    free(q0);
    free2d(&p);
}

/* PPM (the default), then van Leer, which may be more diffusive but not by much more than the
 * bounds below, and never less than first order (upwind, for comparison) */
static void rotation_pair(const char *name, int slotted, double ppm_peak, double ppm_l1, double vl_peak,
                          double vl_l1)
{
    double pp, lp, pv, lv, pu, lu;
    rotation_case(name, slotted, "ppm", ppm_peak, ppm_l1, &pp, &lp);
    rotation_case(name, slotted, "vanleer", vl_peak, vl_l1, &pv, &lv);
    rotation_case(name, slotted, "upwind", 0.0, 10.0, &pu, &lu);
    assert_true(pv > pu && lv < lu);
}
static void test_rotation_cone(void **st) { (void)st; rotation_pair("cone", 0, 0.75, 0.1, VL_CONE_PEAK, VL_CONE_L1); }
static void test_rotation_zalesak(void **st)
{
    (void)st;
    rotation_pair("Zalesak slotted cylinder", 1, 0.9, 0.4, VL_ZAL_PEAK, VL_ZAL_L1);
}

/* Cell mean of a Gaussian of width s centred at x0 over [a, b] (unit cells). */
static double gauss_mean(double a, double b, double x0, double s)
{
    return 0.5 * (erf((b - x0) / (sqrt(2.0) * s)) - erf((a - x0) / (sqrt(2.0) * s)));
}

/* A wide Gaussian translated diagonally at Courant 0.5 in x and y over 0.4 of the domain. */
static double smooth_error(int n, const char *scheme)
{
    Plane2D p;
    alloc2d(&p, n);
    const double cr = 0.5;
    for (size_t f = 0; f < (size_t)n * (n + 1); f++) p.fx[f] = p.fy[f] = cr;
    double s = 0.08 * n, x0 = 0.3 * n;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            p.q[(size_t)j * n + i] = gauss_mean(i, i + 1, x0, s) * gauss_mean(j, j + 1, x0, s);
    int nsteps = (int)lround(0.4 * n / cr);
    run2d(&p, scheme, nsteps, NULL, NULL);
    double x1 = x0 + nsteps * cr, err = 0, norm = 0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double ex = gauss_mean(i, i + 1, x1, s) * gauss_mean(j, j + 1, x1, s);
            err += fabs(p.q[(size_t)j * n + i] - ex);
            norm += fabs(ex);
        }
    free2d(&p);
    return err / norm;
}

static void test_convergence(void **st)
{
    (void)st;
    double e64 = smooth_error(64, "ppm"), e128 = smooth_error(128, "ppm");
    double order = log2(e64 / e128);
    print_message("smooth Gaussian, Courant 0.5, PPM: L1 error %.3e (N=64), %.3e (N=128), order %.2f\n",
                  e64, e128, order);
    assert_true(order >= 1.8);
    /* van Leer: second order where smooth; its limiter clips the Gaussian's peak (first order
     * there), so the measured order sits a little below 2 */
    double v64 = smooth_error(64, "vanleer"), v128 = smooth_error(128, "vanleer");
    double vorder = log2(v64 / v128);
    print_message("smooth Gaussian, Courant 0.5, van Leer: L1 error %.3e (N=64), %.3e (N=128), order %.2f\n",
                  v64, v128, vorder);
    assert_true(vorder >= VL_ORDER);
}

/* 3-D divergent, terrain-following, time-dependent flow with zero normal flow at the lateral
 * boundaries and an air-mass evolution consistent with it (column mass changes only by the
 * horizontal convergence; the vertical redistribution sums to zero per column). */
static void divergent_case(const AdvectScheme *sch, int uniform, double *rel_mass, double *max_dev, double *qmin,
                           double *qmax)
{
    const int nx = 14, ny = 12, nz = 6, nsteps = 288; /* 24 h at 300 s */
    const double dt = 300.0;
    const size_t plane = (size_t)nx * ny, nc = plane * nz;
    double *q = malloc(nc * sizeof(double)), *m = malloc(nc * sizeof(double)),
           *m1 = malloc(nc * sizeof(double));
    double *fx = calloc((size_t)nz * ny * (nx + 1), sizeof(double));
    double *fy = calloc((size_t)nz * (ny + 1) * nx, sizeof(double));
    double *zero = calloc(nc + plane * 8 + 64, sizeof(double));
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                double terrain = 1.0 - 0.3 * exp(-((i - 7.0) * (i - 7.0) + (j - 5.0) * (j - 5.0)) / 8.0);
                m[(k * ny + j) * nx + i] = 1e9 * terrain * (1.0 + 0.2 * k) * (1.0 + 0.05 * sin(i + 2.0 * j));
                q[(k * ny + j) * nx + i] =
                    uniform ? 3.0e-8 : 1e-9 * (1.0 + sin(0.7 * i) * cos(0.5 * j) * (k + 1) / nz);
            }
    double mass0 = 0;
    for (size_t c = 0; c < nc; c++) mass0 += m[c] * q[c];
    double q0min = 1e300, q0max = -1e300;
    for (size_t c = 0; c < nc; c++) { q0min = fmin(q0min, q[c]); q0max = fmax(q0max, q[c]); }
    AdvectWork *w = advect_work_create(sch, nx, ny, nz, 1, 0.9);
    AdvectBC bc = {zero, zero, zero, zero, zero};
    BgErr e = {0};
    double *qv[1] = {q};
    for (int s = 0; s < nsteps; s++) {
        double ph = 2.0 * M_PI * s / 96.0; /* winds turn over 8 h */
        /* a closed circulation from a streamfunction that vanishes on the boundary (Courant up
         * to ~1.5, so the sweeps take sub-steps) plus a weak divergent part, zero on the
         * boundary faces */
#define PSI(ic, jc, k) (2e7 * (1.0 + 0.5 * (k)) * sin(M_PI * (ic) / nx) * sin(M_PI * (jc) / ny) * cos(ph))
        for (int k = 0; k < nz; k++)
            for (int j = 0; j < ny; j++)
                for (int i = 0; i <= nx; i++)
                    fx[(k * ny + j) * (nx + 1) + i] =
                        -(PSI(i, j + 1, k) - PSI(i, j, k)) +
                        1e4 * sin(M_PI * i / nx) * sin(0.4 * j + k + 2 * ph);
        for (int k = 0; k < nz; k++)
            for (int j = 0; j <= ny; j++)
                for (int i = 0; i < nx; i++)
                    fy[(k * (ny + 1) + j) * nx + i] =
                        PSI(i + 1, j, k) - PSI(i, j, k) +
                        1e4 * sin(M_PI * j / ny) * cos(0.3 * i - k + ph);
#undef PSI
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
                for (int k = 0; k < nz; k++) {
                    size_t c = (k * ny + j) * nx + i;
                    double conv = fx[(k * ny + j) * (nx + 1) + i] - fx[(k * ny + j) * (nx + 1) + i + 1] +
                                  fy[(k * (ny + 1) + j) * nx + i] - fy[(k * (ny + 1) + j + 1) * nx + i];
                    /* a vertical exchange that sums to zero over the column */
                    double redis = 1e4 * sin(ph + i) * (k == 0 ? 1.0 : k == nz - 1 ? -1.0 : 0.0);
                    m1[c] = m[c] + dt * (conv + redis);
                }
        int rc = advect_3d(w, qv, m, m1, fx, fy, dt, s % 2 == 0, &bc, NULL, NULL, NULL, &e);
        if (rc) print_error("step %d: %s\n", s, e.msg);
        assert_int_equal(rc, 0);
        memcpy(m, m1, nc * sizeof(double));
    }
    double mass1 = 0, dev = 0;
    *qmin = 1e300;
    *qmax = -1e300;
    for (size_t c = 0; c < nc; c++) {
        mass1 += m[c] * q[c];
        dev = fmax(dev, fabs(q[c] / 3.0e-8 - 1.0));
        *qmin = fmin(*qmin, q[c] - q0min);
        *qmax = fmax(*qmax, q[c] - q0max);
    }
    *rel_mass = fabs(mass1 - mass0) / mass0;
    *max_dev = dev;
    advect_work_free(w);
    free(q); free(m); free(m1); free(fx); free(fy); free(zero);
}

static void test_divergent_3d(void **st)
{
    (void)st;
    double rel, dev, dmin, dmax;
    const AdvectScheme *schemes[2] = {&advect_ppm, &advect_vanleer};
    for (int k = 0; k < 2; k++) {
        divergent_case(schemes[k], 1, &rel, &dev, &dmin, &dmax);
        print_message("%s, 3-D divergent flow, 24 h: uniform mixing ratio max deviation %.2e, mass error %.2e\n",
                      schemes[k]->name, dev, rel);
        assert_true(dev < 1e-9);
        assert_true(rel < 1e-12);
        divergent_case(schemes[k], 0, &rel, &dev, &dmin, &dmax);
        print_message("%s, 3-D divergent flow, 24 h: varying tracer mass error %.2e, new minimum %.2e, "
                      "new maximum %.2e (relative to the initial range)\n", schemes[k]->name, rel, dmin / 2e-9,
                      dmax / 2e-9);
        assert_true(rel < 1e-12);
    }
}

/* A line with inflow at one end fills with the boundary value, and the tallies balance. */
static void test_line_inflow_tally(void **st)
{
    (void)st;
    const int n = 20;
    double m[20], f[21], qbuf[24], scr[300], in = 0, out = 0, lo = 5.0, hi = 1.0;
    double *q = qbuf + 2; /* two ghost slots on either side */
    for (int i = 0; i < n; i++) { m[i] = 2.0; q[i] = 1.0; }
    for (int i = 0; i <= n; i++) f[i] = 0.7;
    double mass0 = 0;
    for (int i = 0; i < n; i++) mass0 += m[i] * q[i];
    int nsub = 0;
    for (int s = 0; s < 200; s++)
        assert_int_equal(advect_line(&advect_ppm, n, m, f, 1.0, 0.9, 1, q, (size_t)n + 4, &lo, &hi, &in, &out, scr, &nsub), 0);
    double mass1 = 0;
    for (int i = 0; i < n; i++) mass1 += m[i] * q[i];
    assert_close(mass1, mass0 + in - out, 1e-12 * mass1);
    for (int i = 0; i < n; i++) assert_close(q[i], 5.0, 1e-12);
    /* Courant 1.4 with cfl_max 0.9 needs 2 sub-steps */
    double f2[21];
    for (int i = 0; i <= n; i++) f2[i] = 2.8;
    assert_int_equal(advect_line(&advect_ppm, n, m, f2, 1.0, 0.9, 1, q, (size_t)n + 4, &lo, &hi, NULL, NULL, scr, &nsub), 0);
    assert_int_equal(nsub, 2);
    /* a flux that empties a cell is refused */
    f2[5] = 100.0;
    assert_int_equal(advect_line(&advect_ppm, n, m, f2, 1.0, 0.9, 1, q, (size_t)n + 4, &lo, &hi, NULL, NULL, scr, &nsub), -1);
}

/* ---------------------------------------------------------------- tiled sweeps */

/* A 3-D case whose sizes are not multiples of the tile width (padding lanes), with inflow on every
 * side, Courant numbers from 0.1 to ~2.6 (one to three sub-steps, different on neighbouring
 * lines) and an air mass that changes with the flux convergence. */
typedef struct {
    int nx, ny, nz, nvar;
    double *m0, *m1, *fx, *fy, *bw, *be, *bs, *bn, *bt, **q;
} Case3D;

/* the end air mass: half the flux convergence over the step and a perturbation */
static void case3d_m1(Case3D *c)
{
    const int nx = c->nx, ny = c->ny, nz = c->nz;
    const double dt = 300.0;
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                size_t cc = ((size_t)k * ny + j) * nx + i;
                double conv = c->fx[((size_t)k * ny + j) * (nx + 1) + i] - c->fx[((size_t)k * ny + j) * (nx + 1) + i + 1] +
                              c->fy[((size_t)k * (ny + 1) + j) * nx + i] - c->fy[((size_t)k * (ny + 1) + j + 1) * nx + i];
                c->m1[cc] = c->m0[cc] + dt * conv * 0.5 + 1e6 * cos(i + j + k);
            }
}

/* Winds of one direction only (x: towards +i, y: towards -j), so whole tiles have every face
 * flowing one way (the face kernels' one-direction paths). */
static void case3d_one_way(Case3D *c)
{
    for (size_t a = 0; a < (size_t)c->nz * c->ny * (c->nx + 1); a++) c->fx[a] = fabs(c->fx[a]) + 1e3;
    for (size_t a = 0; a < (size_t)c->nz * (c->ny + 1) * c->nx; a++) c->fy[a] = -fabs(c->fy[a]) - 1e3;
    case3d_m1(c);
}

static void case3d_init(Case3D *c, int nvar)
{
    const int nx = 13, ny = 11, nz = 7;
    const double dt = 300.0;
    c->nx = nx; c->ny = ny; c->nz = nz; c->nvar = nvar;
    size_t nc = (size_t)nx * ny * nz;
    c->m0 = malloc(nc * sizeof(double));
    c->m1 = malloc(nc * sizeof(double));
    c->fx = malloc((size_t)nz * ny * (nx + 1) * sizeof(double));
    c->fy = malloc((size_t)nz * (ny + 1) * nx * sizeof(double));
    c->bw = malloc((size_t)nvar * nz * ny * sizeof(double));
    c->be = malloc((size_t)nvar * nz * ny * sizeof(double));
    c->bs = malloc((size_t)nvar * nz * nx * sizeof(double));
    c->bn = malloc((size_t)nvar * nz * nx * sizeof(double));
    c->bt = malloc((size_t)nvar * ny * nx * sizeof(double));
    c->q = malloc((size_t)nvar * sizeof(double *));
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
                c->m0[((size_t)k * ny + j) * nx + i] = 1e9 * (1.0 + 0.1 * k) * (1.0 + 0.2 * sin(0.9 * i + 0.4 * j));
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < ny; j++)
            for (int i = 0; i <= nx; i++) /* Courant ~0.1 near the ground to ~2.6 aloft, both signs */
                c->fx[((size_t)k * ny + j) * (nx + 1) + i] =
                    1e9 / dt * (0.1 + 0.4 * k) * (0.3 + sin(0.12 * i + 0.8 * j + k));
    for (int k = 0; k < nz; k++)
        for (int j = 0; j <= ny; j++)
            for (int i = 0; i < nx; i++)
                c->fy[((size_t)k * (ny + 1) + j) * nx + i] =
                    1e9 / dt * (0.05 + 0.3 * k) * cos(0.7 * i - 0.1 * j + 0.5 * k);
    case3d_m1(c);
    for (int v = 0; v < nvar; v++) {
        c->q[v] = malloc(nc * sizeof(double));
        for (size_t cc = 0; cc < nc; cc++) c->q[v][cc] = 1e-9 * (1.5 + sin(0.37 * cc * (v + 1)) + (cc % 17 == 3 ? 4 : 0));
        for (int a = 0; a < nz * ny; a++) {
            c->bw[(size_t)v * nz * ny + a] = 1e-9 * (2 + v + 0.1 * a);
            c->be[(size_t)v * nz * ny + a] = 1e-9 * (1 + 0.2 * v);
        }
        for (int a = 0; a < nz * nx; a++) {
            c->bs[(size_t)v * nz * nx + a] = 1e-9 * (3 - 0.01 * a);
            c->bn[(size_t)v * nz * nx + a] = 1e-9 * (0.5 + v);
        }
        for (int a = 0; a < ny * nx; a++) c->bt[(size_t)v * ny * nx + a] = 1e-9 * (0.7 + 0.3 * v);
    }
}

static void case3d_free(Case3D *c)
{
    for (int v = 0; v < c->nvar; v++) free(c->q[v]);
    free(c->q); free(c->m0); free(c->m1); free(c->fx); free(c->fy);
    free(c->bw); free(c->be); free(c->bs); free(c->bn); free(c->bt);
}

/* nsteps alternating steps over the fields fields[0..nf-1] (each variable vi of the case, with
 * its own boundary values) with the tiled (reference 0: x and y sweeps layer by layer; 2: one
 * whole sweep after the other) or the reference sweeps (1); in/out per field. */
static int case3d_run(const Case3D *c, const AdvectScheme *sch, int reference, int nf, const int *vi,
                      double **fields, double *in, double *out, int nsteps, double cfl)
{
    const size_t a_yz = (size_t)c->nz * c->ny, a_xz = (size_t)c->nz * c->nx, a_xy = (size_t)c->ny * c->nx;
    double *bw = malloc(nf * a_yz * sizeof(double)), *be = malloc(nf * a_yz * sizeof(double)),
           *bs = malloc(nf * a_xz * sizeof(double)), *bn = malloc(nf * a_xz * sizeof(double)),
           *bt = malloc(nf * a_xy * sizeof(double));
    for (int f = 0; f < nf; f++) {
        memcpy(bw + f * a_yz, c->bw + vi[f] * a_yz, a_yz * sizeof(double));
        memcpy(be + f * a_yz, c->be + vi[f] * a_yz, a_yz * sizeof(double));
        memcpy(bs + f * a_xz, c->bs + vi[f] * a_xz, a_xz * sizeof(double));
        memcpy(bn + f * a_xz, c->bn + vi[f] * a_xz, a_xz * sizeof(double));
        memcpy(bt + f * a_xy, c->bt + vi[f] * a_xy, a_xy * sizeof(double));
    }
    AdvectBC bc = {bw, be, bs, bn, bt};
    AdvectWork *w = advect_work_create(sch, c->nx, c->ny, c->nz, nf, cfl);
    assert_non_null(w);
    advect_work_set_reference(w, reference == 1);
    advect_work_set_layer_fusion(w, reference != 2);
    BgErr e = {0};
    int maxsub = 0, ms;
    for (int s = 0; s < nsteps; s++) {
        /* forth and back between the two air masses so the fluxes stay consistent */
        const double *ma = s % 2 ? c->m1 : c->m0, *mb = s % 2 ? c->m0 : c->m1;
        int rc = advect_3d(w, fields, ma, mb, c->fx, c->fy, 300.0, s % 2 == 0, &bc, in, out, &ms, &e);
        if (rc) print_error("step %d: %s\n", s, e.msg);
        assert_int_equal(rc, 0);
        if (ms > maxsub) maxsub = ms;
    }
    advect_work_free(w);
    free(bw); free(be); free(bs); free(bn); free(bt);
    return maxsub;
}

static double **case3d_copy(const Case3D *c, int nf, const int *vi)
{
    size_t nc = (size_t)c->nx * c->ny * c->nz;
    double **f = malloc(nf * sizeof(double *));
    for (int a = 0; a < nf; a++) {
        f[a] = malloc(nc * sizeof(double));
        memcpy(f[a], c->q[vi[a]], nc * sizeof(double));
    }
    return f;
}

static void fields_free(double **f, int nf)
{
    for (int a = 0; a < nf; a++) free(f[a]);
    free(f);
}

static long count_diff(const double *a, const double *b, size_t n)
{
    long d = 0;
    for (size_t c = 0; c < n; c++) d += memcmp(a + c, b + c, sizeof(double)) != 0;
    return d;
}

/* The tiled sweeps equal the line-by-line reference (advect_line) bit for bit, for both schemes,
 * including the boundary tallies and the sub-step count. */
static void test_tiled_equals_reference(void **st)
{
    (void)st;
    Case3D c;
    case3d_init(&c, 3);
    const int vi[3] = {0, 1, 2};
    const size_t nc = (size_t)c.nx * c.ny * c.nz;
    /* cfl_max 0.9: up to 4 sub-steps (coefficients kept for all fields); 0.15: more sub-steps
     * than the tile keeps (recomputed per field); the last two: winds of one direction */
    const AdvectScheme *schemes[7] = {&advect_ppm, &advect_upwind, &advect_vanleer, &advect_ppm, &advect_vanleer,
                                      &advect_ppm, &advect_ppm};
    const double cfl[7] = {0.9, 0.9, 0.9, 0.15, 0.15, 0.9, 0.15};
    for (int s = 0; s < 7; s++) {
        if (s == 5) case3d_one_way(&c);
        double **a = case3d_copy(&c, 3, vi), **b = case3d_copy(&c, 3, vi), **u = case3d_copy(&c, 3, vi);
        double ina[3] = {0}, outa[3] = {0}, inb[3] = {0}, outb[3] = {0}, inu[3] = {0}, outu[3] = {0};
        int sa = case3d_run(&c, schemes[s], 0, 3, vi, a, ina, outa, 6, cfl[s]);
        int sb = case3d_run(&c, schemes[s], 1, 3, vi, b, inb, outb, 6, cfl[s]);
        int su = case3d_run(&c, schemes[s], 2, 3, vi, u, inu, outu, 6, cfl[s]);
        long nd = 0, nu = 0;
        for (int v = 0; v < 3; v++) {
            nd += count_diff(a[v], b[v], nc);
            nu += count_diff(u[v], b[v], nc);
        }
        print_message("%s%s, cfl_max %.2f: tiled (x and y layer by layer / sweep after sweep) vs "
                      "line-by-line sweeps, 13x11x7, 3 fields, 6 steps, up to %d sub-steps: %ld / %ld "
                      "differing values, inflow %.17g vs %.17g\n",
                      schemes[s]->name, s >= 5 ? " (one-way winds)" : "", cfl[s], sa, nd, nu, ina[0], inb[0]);
        assert_true(sa >= (cfl[s] < 0.5 ? 10 : 3));
        assert_int_equal(sa, sb);
        assert_int_equal(su, sb);
        assert_int_equal(nd, 0);
        assert_int_equal(nu, 0);
        assert_memory_equal(ina, inb, sizeof ina);
        assert_memory_equal(outa, outb, sizeof outa);
        assert_memory_equal(inu, inb, sizeof inu);
        assert_memory_equal(outu, outb, sizeof outu);
        fields_free(a, 3);
        fields_free(b, 3);
        fields_free(u, 3);
    }
    case3d_free(&c);
}

/* Each field is independent of the others in the same call (scenario members advected together
 * must equal their runs alone), and the result does not depend on the thread count. */
static void test_fields_independent(void **st)
{
    (void)st;
    Case3D c;
    case3d_init(&c, 3);
    const size_t nc = (size_t)c.nx * c.ny * c.nz;
    const int all[3] = {0, 1, 2}, rev[2] = {2, 0};
    int nth = omp_get_max_threads();
    omp_set_num_threads(2);
    double **t = case3d_copy(&c, 3, all);
    double in3[3] = {0}, out3[3] = {0};
    case3d_run(&c, &advect_ppm, 0, 3, all, t, in3, out3, 6, 0.9);
    long nd = 0;
    for (int v = 0; v < 3; v++) { /* each alone, one thread */
        omp_set_num_threads(1);
        double **a = case3d_copy(&c, 1, &v);
        double in1 = 0, out1 = 0;
        case3d_run(&c, &advect_ppm, 0, 1, &v, a, &in1, &out1, 6, 0.9);
        nd += count_diff(a[0], t[v], nc);
        assert_memory_equal(&in1, &in3[v], sizeof in1);
        assert_memory_equal(&out1, &out3[v], sizeof out1);
        fields_free(a, 1);
    }
    /* a different set and order: fields 2 and 0 */
    omp_set_num_threads(2);
    double **r = case3d_copy(&c, 2, rev);
    double in2[2] = {0}, out2[2] = {0};
    case3d_run(&c, &advect_ppm, 0, 2, rev, r, in2, out2, 6, 0.9);
    nd += count_diff(r[0], t[2], nc) + count_diff(r[1], t[0], nc);
    omp_set_num_threads(nth);
    print_message("fields advected together (3 fields, 2 threads) vs each alone (1 thread) and as the "
                  "pair (2, 0): %ld differing values\n", nd);
    assert_int_equal(nd, 0);
    fields_free(t, 3);
    fields_free(r, 2);
    case3d_free(&c);
}

/* The z sweep keeps its per-column results per chunk of PAR_CHUNK columns (the entries an MPI
 * run all-reduces); a failing column is still named exactly: row 1, columns 10 and 12 (the
 * second chunk of the 13-column row, neither its first column) emptied by the air mass the
 * continuity must reach, on the tiled and on the reference path. */
static void test_z_failure_line(void **st)
{
    (void)st;
    Case3D c;
    case3d_init(&c, 2);
    const int vi[2] = {0, 1};
    for (int i = 10; i <= 12; i += 2) c.m1[((size_t)2 * c.ny + 1) * c.nx + i] = -1e9;
    char msg[2][1024];
    for (int ref = 0; ref <= 1; ref++) {
        double **f = case3d_copy(&c, 2, vi);
        AdvectBC bc = {c.bw, c.be, c.bs, c.bn, c.bt};
        AdvectWork *w = advect_work_create(&advect_ppm, c.nx, c.ny, c.nz, 2, 0.9);
        assert_non_null(w);
        advect_work_set_reference(w, ref);
        BgErr e = {0};
        double in[2] = {0}, out[2] = {0};
        int rc = advect_3d(w, f, c.m0, c.m1, c.fx, c.fy, 300.0, 1, &bc, in, out, NULL, &e);
        assert_int_equal(rc, BG_EFAIL);
        snprintf(msg[ref], sizeof msg[ref], "%s", e.msg);
        advect_work_free(w);
        fields_free(f, 2);
    }
    print_message("emptied cells in columns 10 and 12 of row 1 (13 columns): tiled \"%.40s...\", "
                  "reference \"%.40s...\"\n", msg[0], msg[1]);
    assert_non_null(strstr(msg[0], "advection:z: line 23:"));
    assert_string_equal(msg[0], msg[1]);
    case3d_free(&c);
}

/* The halo of a distributed x or y sweep (docs/parallel.md): a line cut into pieces, each swept
 * on its cells and `width x sub-steps` more on either side (advect_sweep_piece, what a rank does
 * after its halo exchange), reproduces the whole-line sweep (advect_line) bit for bit on every
 * piece's own cells, for 1..4 sub-steps and both flow directions, along x and y, with a piece
 * narrower than the halo (its neighbours' halos reach across it); one cell less of halo changes
 * owned cells, so the stated width is the least that works. */
static void test_halo_width(void **st)
{
    (void)st;
    enum { N = 37 };
    const int cuts[4] = {0, 13, 17, N};
    const size_t nc = (size_t)N * N;
    double *q0 = malloc(nc * sizeof(double)), *m = malloc(nc * sizeof(double)), *ref = malloc(nc * sizeof(double)),
           *pq = malloc(nc * sizeof(double)), *asm_ = malloc(nc * sizeof(double)),
           *fx = malloc((size_t)N * (N + 1) * sizeof(double)), *fy = malloc((size_t)(N + 1) * N * sizeof(double));
    double bw[N], be[N], bs[N], bn[N], bt[N * N];
    unsigned seed = 12345u;
#define RND() ((seed = seed * 1103515245u + 12345u), (double)((seed >> 8) & 0xffffff) / 16777216.0)
    /* a smooth field increasing along both axes: PPM's limiter neither clips nor flattens it, so
     * an error reaches the full dependence width in every sub-step (on random data the limiter
     * often cuts the chain and a narrower halo may pass by luck) */
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) {
            q0[(size_t)j * N + i] = 1.0 + 0.03 * (i + j) + 4e-4 * (i * i + j * j);
            m[(size_t)j * N + i] = 1.0 + 0.05 * RND();
        }
    for (int a = 0; a < N; a++) {
        bw[a] = RND(); be[a] = RND(); bs[a] = RND(); bn[a] = RND();
    }
    for (int a = 0; a < N * N; a++) bt[a] = 0.0;
    AdvectBC bc = {bw, be, bs, bn, bt};
    const double cfl = 0.9;
    double lbuf[N + 4], lm[N], lf[N + 1], scr[1024];
    assert_true(advect_line_scratch(N, 1) <= 1024);
    const AdvectScheme *schemes[3] = {&advect_ppm, &advect_upwind, &advect_vanleer};
    for (int isch = 0; isch < 3; isch++) {
    const AdvectScheme *sch = schemes[isch];
    AdvectWork *w = advect_work_create(sch, N, N, 1, 1, cfl);
    assert_non_null(w);
    for (int dir = 0; dir < 2; dir++)
        for (int sgn = 1; sgn >= -1; sgn -= 2)
            for (int ns = 1; ns <= 4; ns++) {
                /* Courant numbers near cfl (ns - 1/2): ns sub-steps */
                const double F = cfl * (ns - 0.5);
                for (int a = 0; a < N * (N + 1); a++) {
                    fx[a] = sgn * (F + 0.01 * (RND() - 0.5));
                    fy[a] = sgn * (F + 0.01 * (RND() - 0.5));
                }
                /* the reference: each whole line by advect_line */
                double in_ref = 0, out_ref = 0;
                int ns_ref = 0;
                for (int l = 0; l < N; l++) {
                    double *ql = lbuf + 2;
                    for (int c = 0; c < N; c++) {
                        size_t x = dir == 0 ? (size_t)l * N + c : (size_t)c * N + l;
                        ql[c] = q0[x];
                        lm[c] = m[x];
                    }
                    for (int c = 0; c <= N; c++) lf[c] = dir == 0 ? fx[(size_t)l * (N + 1) + c] : fy[(size_t)c * N + l];
                    int nsl = 0;
                    assert_int_equal(advect_line(sch, N, lm, lf, 1.0, cfl, 1, ql, N + 4, dir == 0 ? &bw[l] : &bs[l],
                                                 dir == 0 ? &be[l] : &bn[l], &in_ref, &out_ref, scr, &nsl),
                                     0);
                    if (nsl > ns_ref) ns_ref = nsl;
                    for (int c = 0; c < N; c++) ref[dir == 0 ? (size_t)l * N + c : (size_t)c * N + l] = ql[c];
                }
                assert_int_equal(ns_ref, ns);
                const int H = sch->width * ns;
                long nd[2] = {0, 0};
                double in_p = 0, out_p = 0;
                for (int narrow = 0; narrow < 2; narrow++)
                    for (int p = 0; p < 3; p++) {
                        memcpy(pq, q0, nc * sizeof(double));
                        double *qq[1] = {pq};
                        BgErr e = {0};
                        int ms = 0;
                        double in1 = 0, out1 = 0;
                        assert_int_equal(advect_sweep_piece(w, dir, qq, m, dir == 0 ? fx : fy, 1.0, &bc, 0, N, cuts[p],
                                                            cuts[p + 1], H - narrow, &in1, &out1, &ms, &e),
                                         0);
                        assert_int_equal(ms, ns);
                        if (!narrow) {
                            in_p += in1;
                            out_p += out1;
                        }
                        for (int l = 0; l < N; l++)
                            for (int c = cuts[p]; c < cuts[p + 1]; c++) {
                                size_t x = dir == 0 ? (size_t)l * N + c : (size_t)c * N + l;
                                asm_[x] = pq[x];
                            }
                        if (p == 2) nd[narrow] = count_diff(asm_, ref, nc);
                    }
                print_message("%s, %s sweep, flow %s, %d sub-step(s), pieces 0-12, 13-16, 17-36 of %d-cell lines: halo %d "
                              "cells: %ld differing values (inflow %.17g vs %.17g); halo %d: %ld\n",
                              sch->name, dir == 0 ? "x" : "y", sgn > 0 ? "+" : "-", ns, N, H, nd[0], in_p, in_ref, H - 1, nd[1]);
                assert_int_equal(nd[0], 0);
                assert_true(nd[1] > 0);
                /* the pieces' ends sum in another order than the lines' (lo + hi): close, not equal
                 * (a distributed run combines the two ends per line before summing: exact) */
                assert_close(in_p, in_ref, 1e-13 * fabs(in_ref));
                assert_close(out_p, out_ref, 1e-13 * fabs(out_ref));
            }
    advect_work_free(w);
    }
#undef RND
    free(q0); free(m); free(ref); free(pq); free(asm_); free(fx); free(fy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotation_cone),
        cmocka_unit_test(test_rotation_zalesak),
        cmocka_unit_test(test_convergence),
        cmocka_unit_test(test_divergent_3d),
        cmocka_unit_test(test_line_inflow_tally),
        cmocka_unit_test(test_tiled_equals_reference),
        cmocka_unit_test(test_fields_independent),
        cmocka_unit_test(test_z_failure_line),
        cmocka_unit_test(test_halo_width),
    };
    return cmocka_run_group_tests_name("advection", tests, NULL, NULL);
}
