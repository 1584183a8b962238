/* Vertical diffusion and a puff under uniform wind against closed-form solutions. */
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "advect.h"
#include "testutil.h"
#include "vdiff.h"

/* Backward Euler on a uniform mesh adds exactly 2 K dt to the variance of a profile per step
 * (the second moment of the discrete resolvent), so the variance after t is sigma0^2 + 2 K t. */
static void test_gaussian_variance(void **st)
{
    (void)st;
    enum { NZ = 200 };
    const double dz = 10.0, K = 5.0, dt = 10.0, z0 = 1000.0, s0 = 50.0;
    double m[NZ], d[NZ + 1], q[NZ], scr[2 * NZ];
    for (int k = 0; k < NZ; k++) {
        m[k] = 1.0 * dz; /* rho = 1, area = 1 */
        double z = (k + 0.5) * dz;
        q[k] = exp(-0.5 * (z - z0) * (z - z0) / (s0 * s0));
    }
    for (int k = 0; k <= NZ; k++) d[k] = 1.0 * K / dz;
    double mass0 = 0, mom = 0, var0 = 0;
    for (int k = 0; k < NZ; k++) { mass0 += m[k] * q[k]; mom += m[k] * q[k] * (k + 0.5) * dz; }
    double mean0 = mom / mass0;
    for (int k = 0; k < NZ; k++) var0 += m[k] * q[k] * pow((k + 0.5) * dz - mean0, 2) / mass0;
    const int nsteps = 360;
    for (int s = 0; s < nsteps; s++) vdiff_column(NZ, m, d, dt, 1, q, NZ, NULL, NULL, NULL, scr);
    double mass = 0, m1 = 0, var = 0;
    for (int k = 0; k < NZ; k++) { mass += m[k] * q[k]; m1 += m[k] * q[k] * (k + 0.5) * dz; }
    m1 /= mass;
    for (int k = 0; k < NZ; k++) var += m[k] * q[k] * pow((k + 0.5) * dz - m1, 2) / mass;
    double expect = var0 + 2.0 * K * nsteps * dt;
    print_message("vertical diffusion of a Gaussian, K = 5 m2/s, 1 h: variance %.2f m2, analytic "
                  "%.2f m2 (rel. error %.2e), mass error %.2e\n", var, expect, var / expect - 1,
                  mass / mass0 - 1);
    assert_close(var, expect, 1e-5 * expect); /* the tails reach the closed ends at 5 sigma */
    assert_close(mass, mass0, 1e-13 * mass0);
    assert_close(m1, mean0, 1e-9 * mean0);
}

static void test_uniform_and_sources(void **st)
{
    (void)st;
    enum { NZ = 12 };
    double m[NZ], d[NZ + 1], q[2 * NZ], scr[2 * NZ];
    for (int k = 0; k < NZ; k++) { m[k] = 100.0 * (1 + k); q[k] = 4e-8; q[NZ + k] = 1e-9 * k; }
    for (int k = 0; k <= NZ; k++) d[k] = 30.0 + 5 * k;
    double sflux[2] = {0.0, 2e-6}, vdep[2] = {0.0, 0.5}, removed[2] = {0, 0};
    double mass0 = 0;
    for (int k = 0; k < NZ; k++) mass0 += m[k] * q[NZ + k];
    for (int s = 0; s < 50; s++) vdiff_column(NZ, m, d, 60.0, 2, q, NZ, sflux, vdep, removed, scr);
    for (int k = 0; k < NZ; k++) assert_close(q[k], 4e-8, 1e-9 * 4e-8);
    double mass = 0;
    for (int k = 0; k < NZ; k++) mass += m[k] * q[NZ + k];
    /* budget: initial + emitted - deposited = final */
    assert_close(mass, mass0 + 50 * 60.0 * sflux[1] - removed[1], 1e-12 * mass);
    assert_true(removed[1] > 0);
}

/* A puff in uniform wind with constant K: x-centroid moves with the wind, the vertical variance
 * grows by 2 K t, and the field stays close to the closed-form product of Gaussians. */
static void test_puff(void **st)
{
    (void)st;
    const int nx = 120, ny = 1, nz = 60, nsteps = 100;
    const double cour = 0.4, kdt = 0.05; /* K dt / dz^2 per step (cell units) */
    const size_t nc = (size_t)nx * ny * nz;
    double *q = calloc(nc, sizeof(double)), *m = malloc(nc * sizeof(double));
    double *fx = malloc((size_t)nz * (nx + 1) * sizeof(double)), *fy = calloc((size_t)nz * 2 * nx, sizeof(double));
    double *zero = calloc(nc + 1000, sizeof(double));
    const double x0 = 30.0, sx = 4.0, z0 = 30.0, sz0 = 3.0;
    for (size_t c = 0; c < nc; c++) m[c] = 1.0;
    for (size_t f = 0; f < (size_t)nz * (nx + 1); f++) fx[f] = cour;
    for (int k = 0; k < nz; k++)
        for (int i = 0; i < nx; i++)
            q[(size_t)k * nx + i] = exp(-0.5 * pow((i + 0.5 - x0) / sx, 2)) * exp(-0.5 * pow((k + 0.5 - z0) / sz0, 2));
    AdvectWork *w = advect_work_create(&advect_ppm, nx, ny, nz, 1, 0.9);
    AdvectBC bc = {zero, zero, zero, zero, zero};
    BgErr e = {0};
    double d[61], col[60], scr[120], mc[60];
    for (int k = 0; k <= nz; k++) d[k] = kdt;
    for (int k = 0; k < nz; k++) mc[k] = 1.0;
    for (int s = 0; s < nsteps; s++) {
        double *qp[1] = {q};
        assert_int_equal(advect_3d(w, qp, m, m, fx, fy, 1.0, 1, &bc, NULL, NULL, NULL, &e), 0);
        for (int i = 0; i < nx; i++) {
            for (int k = 0; k < nz; k++) col[k] = q[(size_t)k * nx + i];
            vdiff_column(nz, mc, d, 1.0, 1, col, nz, NULL, NULL, NULL, scr);
            for (int k = 0; k < nz; k++) q[(size_t)k * nx + i] = col[k];
        }
    }
    double mass = 0, mx = 0, mz = 0, vz = 0, err = 0, norm = 0;
    for (int k = 0; k < nz; k++)
        for (int i = 0; i < nx; i++) {
            double v = q[(size_t)k * nx + i];
            mass += v; mx += v * (i + 0.5); mz += v * (k + 0.5);
        }
    mx /= mass; mz /= mass;
    for (int k = 0; k < nz; k++)
        for (int i = 0; i < nx; i++) vz += q[(size_t)k * nx + i] * pow(k + 0.5 - mz, 2) / mass;
    double xc = x0 + cour * nsteps, sz = sqrt(sz0 * sz0 + 2 * kdt * nsteps);
    for (int k = 0; k < nz; k++)
        for (int i = 0; i < nx; i++) {
            double ex = sz0 / sz * exp(-0.5 * pow((i + 0.5 - xc) / sx, 2)) * exp(-0.5 * pow((k + 0.5 - z0) / sz, 2));
            err += fabs(q[(size_t)k * nx + i] - ex);
            norm += ex;
        }
    print_message("puff: x centroid %.4f (analytic %.4f), vertical variance %.4f (analytic %.4f), "
                  "L1 error against the closed form %.3e\n", mx, xc, vz, sz * sz, err / norm);
    assert_close(mx, xc, 0.01);
    assert_close(vz, sz * sz, 0.01 * sz * sz);
    assert_true(err / norm < 0.02);
    advect_work_free(w);
    free(q); free(m); free(fx); free(fy); free(zero);
}

/* The row-wise 3-D driver computes exactly what the column kernel computes (the scalar column
 * kernel against the chunked, vectorised and, where the CPU has AVX2, AVX2-compiled 3-D kernel:
 * this is also the test that the target clones give the same bits); nx = 131 is cut into the
 * chunks 44, 44, 43.  A field solved alone, or with 2 threads, gives the same bits as in the
 * call of 3 fields on 1 thread (scenario members share the call). */
static void test_3d_equals_columns(void **st)
{
    (void)st;
    const int nx = 131, ny = 3, nz = 9, nv = 3;
    const size_t plane = (size_t)nx * ny, nc = plane * nz;
    Grid g = {0};
    g.nx = nx; g.ny = ny; g.nz = nz;
    g.area = malloc(plane * sizeof(double));
    MetFields f = {0};
    f.airm = malloc(nc * sizeof(double));
    f.rho = malloc(nc * sizeof(double));
    f.zf = malloc((nc + plane) * sizeof(double));
    f.kz = malloc((nc + plane) * sizeof(double));
    double *q = malloc(nv * nc * sizeof(double)), *q2 = malloc(nv * nc * sizeof(double));
    double *q3 = malloc(nc * sizeof(double)), *q4 = malloc(nv * nc * sizeof(double));
    for (size_t c = 0; c < plane; c++) g.area[c] = 1.6e7 * (1 + 0.01 * c);
    for (int k = 0; k <= nz; k++)
        for (size_t c = 0; c < plane; c++) {
            f.zf[k * plane + c] = 40.0 * k * (1 + 0.1 * k) * (1 + 0.002 * c);
            f.kz[k * plane + c] = (k == 0 || k == nz) ? 0.0 : 0.1 + 20.0 * exp(-k / 3.0) * (1 + 0.05 * (c % 4));
        }
    for (int k = 0; k < nz; k++)
        for (size_t c = 0; c < plane; c++) {
            f.rho[k * plane + c] = 1.3 * exp(-k / 8.0);
            f.airm[k * plane + c] = f.rho[k * plane + c] * (f.zf[(k + 1) * plane + c] - f.zf[k * plane + c]) * g.area[c];
        }
    for (size_t c = 0; c < nv * nc; c++) q[c] = q2[c] = q4[c] = 1e-9 * (1 + sin(0.37 * c));
    memcpy(q3, q + 2 * nc, nc * sizeof(double));
    /* species 0: plain; 1: a surface source; 2: a surface source and deposition */
    double *sflux = calloc(nv * plane, sizeof(double)), *vdep = calloc(nv * plane, sizeof(double));
    for (size_t c = 0; c < plane; c++) {
        sflux[plane + c] = sflux[2 * plane + c] = 1e-3 * (1 + c % 3);
        vdep[2 * plane + c] = 0.002 * f.rho[c] * g.area[c] * (1 + 0.1 * (c % 5));
    }
    double removed3d[3] = {0, 0, 0}, removed1d[3] = {0, 0, 0};
    VdiffWork *w = vdiff_work_create(&g, nv);
    double *qp[3] = {q, q + nc, q + 2 * nc};
    const double *sp[3] = {sflux, sflux + plane, sflux + 2 * plane}, *vp[3] = {vdep, vdep + plane, vdep + 2 * plane};
    const int nthr = omp_get_max_threads();
    omp_set_num_threads(1);
    vdiff_3d(w, &g, &f, 150.0, nv, qp, sp, vp, removed3d, NULL);
    /* field 2 alone; all three with 2 threads */
    double removed_alone = 0.0, removed2t[3] = {0, 0, 0};
    vdiff_3d(w, &g, &f, 150.0, 1, &q3, sp + 2, vp + 2, &removed_alone, NULL);
    omp_set_num_threads(2);
    VdiffWork *w2 = vdiff_work_create(&g, nv);
    double *qp4[3] = {q4, q4 + nc, q4 + 2 * nc};
    vdiff_3d(w2, &g, &f, 150.0, nv, qp4, sp, vp, removed2t, NULL);
    vdiff_work_free(w2);
    omp_set_num_threads(nthr);
    assert_memory_equal(q3, q + 2 * nc, nc * sizeof(double));
    assert_memory_equal(q4, q, nv * nc * sizeof(double));
    assert_true(removed_alone == removed3d[2] && removed2t[2] == removed3d[2]);
    double m[9], d[10], col[27], scr[18];
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            size_t c = (size_t)j * nx + i;
            for (int k = 0; k < nz; k++) m[k] = f.airm[k * plane + c];
            vdiff_conductance(&g, &f, j, i, d);
            for (int v = 0; v < nv; v++)
                for (int k = 0; k < nz; k++) col[v * nz + k] = q2[v * nc + k * plane + c];
            double sf[3], vd[3];
            for (int v = 0; v < nv; v++) { sf[v] = sflux[v * plane + c]; vd[v] = vdep[v * plane + c]; }
            vdiff_column(nz, m, d, 150.0, nv, col, nz, sf, vd, removed1d, scr);
            for (int v = 0; v < nv; v++)
                for (int k = 0; k < nz; k++) assert_true(col[v * nz + k] == q[v * nc + k * plane + c]);
        }
    assert_close(removed3d[2], removed1d[2], 1e-13 * removed1d[2]);
    assert_true(removed3d[2] > 0 && removed3d[0] == 0 && removed3d[1] == 0);
    free(sflux); free(vdep);
    vdiff_work_free(w);
    free(g.area); free(f.airm); free(f.rho); free(f.zf); free(f.kz); free(q); free(q2); free(q3); free(q4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gaussian_variance),
        cmocka_unit_test(test_uniform_and_sources),
        cmocka_unit_test(test_puff),
        cmocka_unit_test(test_3d_equals_columns),
    };
    return cmocka_run_group_tests_name("vertical diffusion", tests, NULL, NULL);
}
