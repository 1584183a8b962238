#include "rosenbrock.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"

/* ROS3 coefficients (Sandu et al. 1997, Table 3; as in KPP's Ros3, in its notation): stage i
 * solves (I/(gamma h) - J) K_i = f(y + sum_j a_ij K_j) + sum_j (c_ij / h) K_j; the third stage
 * reuses the second function value (a_31 = a_21 = 1, a_32 = 0). */
/* 1 / gamma to 40 digits, gamma = 0.43586652150845899941601945119356 (the same table): 1/(gamma h)
 * and c_ij / h are formed from one reciprocal 1/h (round 7: one division per attempt and lane
 * instead of four; the values within 2 ulp of the quotients) */
static const double ROS_INV_GAMMA = 2.294280360279041719822050361359577248911;
static const double ROS_A21 = 1.0;
static const double ROS_C21 = -0.10156171083877702091975600115545e+01;
static const double ROS_C31 = 0.40759956452537699824805835358067e+01;
static const double ROS_C32 = 0.92076794298330791242156818474003e+01;
static const double ROS_M[3] = {ROS3_M1, ROS3_M2, ROS3_M3}; /* rosenbrock.h */
static const double ROS_E[3] = {ROS3_E1, ROS3_E2, ROS3_E3};
/* The order of the error estimate + 1 is 3: the step-size factor uses cbrt(err). */

/* Step-size controller of KPP (Hairer & Wanner 1996, IV.8): new h = h * clamp(safety /
 * err^(1/ELO), FAC_MIN, FAC_MAX); after two rejections in a row h shrinks by FAC_REJ. */
static const double FAC_MIN = 0.2, FAC_MAX = 6.0, FAC_SAFE = 0.9, FAC_REJ = 0.1;
/* A step rejected only for a negative component shrinks at least by half (the error estimate
 * says nothing about the overshoot), and further to 2.5 / |J_ii| of the offending component. */
static const double FAC_NEG = 0.5;

/* The selects of the lane loops become blends (so that the loops vectorise) only where GCC may
 * assume that no floating-point operation traps: no operation or result changes.
 * The lane loops run all 8 lanes per instruction where the CPU has AVX-512, 4 with AVX2 and 2
 * (SSE2) elsewhere: the portable build carries all three and picks at load time.  The same IEEE
 * operations in the same order on every path (-std=c11 keeps FMA contraction off), so the
 * results are the same bits. */
#if BOGDA_CLONES /* model/simd.h */
#define LANE_CLONES __attribute__((optimize("no-trapping-math", "no-math-errno"), target_clones("avx512f", "avx2", "default")))
#define LANE_HELPER __attribute__((optimize("no-trapping-math", "no-math-errno"))) /* inlines into the clones (the same options, or GCC will not inline) */
#elif defined(__GNUC__) && !defined(__clang__)
/* the portable path alone: what the "default" clone above is */
#define LANE_CLONES __attribute__((optimize("no-trapping-math", "no-math-errno")))
#define LANE_HELPER __attribute__((optimize("no-trapping-math", "no-math-errno")))
#else
#define LANE_CLONES
#define LANE_HELPER
#endif

/* The step-size factor FAC_SAFE / err^(1/3) clamped to [FAC_MIN, FAC_MAX], for err >= 0 (NaN is
 * mapped to 1e30 by the callers).  FAC_SAFE / cbrt(e) is inside the clamp only for e in
 * [0.003375, 91.125]; there the inverse cube root is computed here rather than by libm's cbrt, so
 * that the lane solver can take it for all lanes at once (a libm call per lane and step cost as
 * much as the rest of the step control): scaled by exact powers of 8 into [1, 8), a quadratic
 * first guess of x^(-1/3) (within 4.4 %), then four Newton iterations r <- r (4 - x r^3) / 3,
 * which converge quadratically (relative error e -> -2 e^2: 4e-3, 3e-5, 2e-9, round-off) and need
 * no division.  Until round 7 it was four Halley iterations for cbrt and a division by the root:
 * five dependent divisions per lane and attempt.  Within 7.8e-16 of FAC_SAFE / cbrt(e) over
 * 1e-6..1e4 (test_chem: test_step_factor).  The scalar and the lane solver call this same
 * function, so they take the same steps. */
LANE_HELPER static inline double step_factor(double e)
{
    const double lo = 3.3e-3, hi = 92.0; /* with a margin around 0.003375 and 91.125 */
    double x = e < lo ? lo : e > hi ? hi : e;
    /* into [1, 8) by exact powers of 8: x^(-1/3) = x'^(-1/3) si */
    const double up = x < 0.125 ? 512.0 : 1.0;
    x *= up;                                 /* [0.0033, 0.125) -> [1.69, 64) */
    const double down = x >= 8.0 ? 1.0 / 64.0 : 1.0;
    x *= down;                               /* [8, 92] -> [0.125, 1.44) */
    const double up1 = x < 1.0 ? 8.0 : 1.0;
    x *= up1;                                /* [0.125, 1) -> [1, 8) */
    const double si = (up > 1.0 ? 8.0 : 1.0) * (down < 1.0 ? 0.25 : 1.0) * (up1 > 1.0 ? 2.0 : 1.0);
    /* the quadratic through x^(-1/3) at 1.3, 4 and 7.4 */
    double r = 1.1152169164469206 + x * (-0.16832066441095012 + x * 0.011751641634019774);
    /* r (4 - x r^3) / 3 as (4/3) r - (x/3) (r^2)^2: four dependent operations per iteration
     * instead of seven (the chain is the latency of this function).  Written out: a loop here
     * would keep the lane loop that calls this from vectorising. */
    const double x3 = x * (1.0 / 3.0), c43 = 4.0 / 3.0;
    double r2 = r * r;
    r = c43 * r - x3 * (r2 * r2);
    r2 = r * r;
    r = c43 * r - x3 * (r2 * r2);
    r2 = r * r;
    r = c43 * r - x3 * (r2 * r2);
    r2 = r * r;
    r = c43 * r - x3 * (r2 * r2);
    const double fac = FAC_SAFE * (r * si);
    return e < lo ? FAC_MAX : e > hi ? FAC_MIN : fac < FAC_MIN ? FAC_MIN : fac > FAC_MAX ? FAC_MAX : fac;
}

/* test hook: step_factor as the solvers use it */
double ros_step_factor(double err) { return step_factor(err); }

RosWork *ros_work_create(int n, const unsigned char *pattern)
{
    RosWork *w = calloc(1, sizeof *w);
    unsigned char *p = malloc((size_t)n * n);
    if (!w || !p) {
        free(w);
        free(p);
        return NULL;
    }
    w->n = n;
    w->leaf = calloc((size_t)n, 1);
    if (!w->leaf) {
        free(p);
        ros_work_free(w);
        return NULL;
    }
    for (int i = 0; i < n * n; i++) p[i] = pattern ? pattern[i] != 0 : 1;
    for (int i = 0; i < n; i++) p[i * n + i] = 1;
    int nleaf = 0, nlf = 0;
    for (int j = 0; j < n; j++) {
        int used = 0;
        for (int i = 0; i < n; i++) used |= i != j && p[i * n + j];
        w->leaf[j] = !used;
        nleaf += !used;
    }
    for (int j = 0; j < n; j++)
        if (w->leaf[j])
            for (int i = 0; i < n; i++) nlf += i != j && p[j * n + i];
    /* symbolic elimination of the core (leaves left out): fill-in where row i meets the U part
     * of row k */
    for (int k = 0; k < n; k++) {
        if (w->leaf[k]) continue;
        for (int i = k + 1; i < n; i++)
            if (!w->leaf[i] && p[i * n + k])
                for (int j = k + 1; j < n; j++)
                    if (p[k * n + j]) p[i * n + j] = 1;
    }
    int nl = 0, nu = 0, nup = 0;
    for (int k = 0; k < n; k++)
        for (int i = k + 1; i < n; i++)
            if (!w->leaf[k] && !w->leaf[i] && p[i * n + k]) {
                nl++;
                for (int j = k + 1; j < n; j++) nup += p[k * n + j];
            }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) nu += !w->leaf[i] && p[i * n + j];
    w->buf = malloc(((size_t)9 * n + 2 * (size_t)n * n) * sizeof(double));
    /* 64-byte alignment: a lane row is one cache line (ROS_W = 8 doubles) */
    w->bufw = aligned_alloc(64, ((size_t)9 * n + 2 * (size_t)n * n) * ROS_W * sizeof(double));
    w->nzidx = malloc((size_t)n * n * sizeof(int));
    w->lk_ptr = malloc((size_t)(n + 1) * sizeof(int));
    w->l_pos = malloc((size_t)(nl + 1) * sizeof(int));
    w->l_row = malloc((size_t)(nl + 1) * sizeof(int));
    w->up_ptr = malloc((size_t)(nl + 1) * sizeof(int));
    w->up_ij = malloc((size_t)(nup + 1) * sizeof(int));
    w->up_kj = malloc((size_t)(nup + 1) * sizeof(int));
    w->u_ptr = malloc((size_t)(n + 1) * sizeof(int));
    w->u_pos = malloc((size_t)(nu + 1) * sizeof(int));
    w->u_col = malloc((size_t)(nu + 1) * sizeof(int));
    w->leaf_var = malloc((size_t)(nleaf + 1) * sizeof(int));
    w->lf_ptr = malloc((size_t)(nleaf + 1) * sizeof(int));
    w->lf_pos = malloc((size_t)(nlf + 1) * sizeof(int));
    w->lf_col = malloc((size_t)(nlf + 1) * sizeof(int));
    if (!w->buf || !w->bufw || !w->nzidx || !w->lk_ptr || !w->l_pos || !w->l_row || !w->up_ptr || !w->up_ij ||
        !w->up_kj || !w->u_ptr || !w->u_pos || !w->u_col || !w->leaf_var || !w->lf_ptr ||
        !w->lf_pos || !w->lf_col) {
        free(p);
        ros_work_free(w);
        return NULL;
    }
    int e = 0, q = 0;
    for (int k = 0; k < n; k++) {
        w->lk_ptr[k] = e;
        if (w->leaf[k]) continue;
        for (int i = k + 1; i < n; i++) {
            if (w->leaf[i] || !p[i * n + k]) continue;
            w->l_pos[e] = i * n + k;
            w->l_row[e] = i;
            w->up_ptr[e] = q;
            for (int j = k + 1; j < n; j++)
                if (p[k * n + j]) {
                    w->up_ij[q] = i * n + j;
                    w->up_kj[q++] = k * n + j;
                }
            e++;
        }
    }
    w->lk_ptr[n] = e;
    w->up_ptr[e] = q;
    int u = 0;
    for (int i = 0; i < n; i++) {
        w->u_ptr[i] = u;
        if (w->leaf[i]) continue;
        for (int j = i + 1; j < n; j++)
            if (p[i * n + j]) {
                w->u_pos[u] = i * n + j;
                w->u_col[u++] = j;
            }
    }
    w->u_ptr[n] = u;
    int l = 0, f = 0;
    for (int j = 0; j < n; j++) {
        if (!w->leaf[j]) continue;
        w->leaf_var[l] = j;
        w->lf_ptr[l++] = f;
        for (int i = 0; i < n; i++)
            if (i != j && p[j * n + i]) {
                w->lf_pos[f] = j * n + i;
                w->lf_col[f++] = i;
            }
    }
    w->nleaf = l;
    w->lf_ptr[l] = f;
    w->nnz = 0;
    for (int i = 0; i < n * n; i++)
        if (p[i]) w->nzidx[w->nnz++] = i;
    free(p);
    return w;
}

void ros_work_free(RosWork *w)
{
    if (!w) return;
    free(w->buf);
    free(w->bufw);
    free(w->nzidx);
    free(w->lk_ptr);
    free(w->l_pos);
    free(w->l_row);
    free(w->up_ptr);
    free(w->up_ij);
    free(w->up_kj);
    free(w->u_ptr);
    free(w->u_pos);
    free(w->u_col);
    free(w->leaf);
    free(w->leaf_var);
    free(w->lf_ptr);
    free(w->lf_pos);
    free(w->lf_col);
    free(w);
}

int ros_lu_decomp(const RosWork *w, double *a, double *dinv)
{
    const int n = w->n;
    for (int k = 0; k < n; k++) {
        double piv = a[k * n + k];
        if (piv == 0.0 || !isfinite(piv)) return -1;
        double inv = 1.0 / piv;
        dinv[k] = inv;
        for (int e = w->lk_ptr[k]; e < w->lk_ptr[k + 1]; e++) {
            double l = a[w->l_pos[e]] * inv;
            a[w->l_pos[e]] = l;
            for (int q = w->up_ptr[e]; q < w->up_ptr[e + 1]; q++) a[w->up_ij[q]] -= l * a[w->up_kj[q]];
        }
    }
    return 0;
}

void ros_lu_solve(const RosWork *w, const double *lu, const double *dinv, double *b)
{
    const int n = w->n;
    for (int k = 0; k < n; k++) {
        double bk = b[k];
        for (int e = w->lk_ptr[k]; e < w->lk_ptr[k + 1]; e++) b[w->l_row[e]] -= lu[w->l_pos[e]] * bk;
    }
    for (int i = n - 1; i >= 0; i--) {
        if (w->leaf[i]) continue;
        double s = b[i];
        for (int u = w->u_ptr[i]; u < w->u_ptr[i + 1]; u++) s -= lu[w->u_pos[u]] * b[w->u_col[u]];
        b[i] = s * dinv[i];
    }
    for (int l = 0; l < w->nleaf; l++) {
        int j = w->leaf_var[l];
        double s = b[j];
        for (int f = w->lf_ptr[l]; f < w->lf_ptr[l + 1]; f++) s -= lu[w->lf_pos[f]] * b[w->lf_col[f]];
        b[j] = s * dinv[j];
    }
}

/* The max norm max_i |err_i| / sc_i without a division per component: the largest ratio is
 * kept as its numerator en and denominator ed (both >= 0, sc_i > 0) and a candidate a / sc
 * replaces it when a ed > en sc; the one division en / ed comes after the loop.  A division per
 * species and lane was the largest single item of the lane driver (vdivpd: ~8 cycles per 4
 * lanes, against one multiply per cycle).  The products round, so two ratios within an ulp or
 * so of each other may be ranked either way: the norm is then the other of two nearly equal
 * values, which the step control cannot tell apart.  NaN candidates never win (as before: a
 * NaN ratio failed its comparison), and a = inf beats every finite pair.  The scalar and the
 * lane solver call this same function, so they take the same steps. */
LANE_HELPER static inline void norm_update(double a, double sc, double *en, double *ed)
{
    const int take = a * *ed > *en * sc;
    *en = take ? a : *en;
    *ed = take ? sc : *ed;
}

int ros3_integrate(int n, RosFcn f, RosJac jac, void *ctx, double *y, double span,
                   const RosOptions *o, RosWork *w, RosStats *st)
{
    double *y0 = w->buf, *ynew = y0 + n, *fcn = ynew + n, *f0 = fcn + n;
    double *k1 = f0 + n, *k2 = k1 + n, *k3 = k2 + n, *err = k3 + n, *dinv = err + n;
    double *J = dinv + n, *G = J + (size_t)n * n;
    RosStats dummy = {0};
    if (!st) st = &dummy;
    memcpy(y0, y, (size_t)n * sizeof *y);

    double t = 0.0;
    double h = o->h0 > 0 ? o->h0 : span / 100.0;
    if (h > span) h = span;
    if (h < o->hmin) h = o->hmin;
    int steps = 0, status = ROS_OK;
    int need_jac = 1, rejected_last = 0;

    while (t < span) {
        if (need_jac) {
            f(ctx, y, f0);
            jac(ctx, y, J);
            st->fcn++;
            st->jac++;
            need_jac = 0;
        }
        /* Land exactly on the end rather than leave a sliver. */
        if (t + h >= span || span - (t + h) < 1e-10 * span) h = span - t;
        if (++steps > o->max_steps) { status = ROS_EMAXSTEPS; break; }

        /* only the symbolic LU structure of G is ever read */
        const double ih = 1.0 / h;
        double gh = ROS_INV_GAMMA * ih;
        for (int p = 0; p < w->nnz; p++) G[w->nzidx[p]] = -J[w->nzidx[p]];
        for (int i = 0; i < n; i++) G[i * n + i] += gh;
        st->lu++;
        if (ros_lu_decomp(w, G, dinv)) {
            st->rejected++;
            h *= FAC_NEG;
            if (h < o->hmin) { status = ROS_ESINGULAR; break; }
            continue;
        }
        memcpy(k1, f0, (size_t)n * sizeof *k1);
        ros_lu_solve(w, G, dinv, k1);
        for (int i = 0; i < n; i++) ynew[i] = y[i] + ROS_A21 * k1[i];
        f(ctx, ynew, fcn);
        st->fcn++;
        double c21 = ROS_C21 * ih, c31 = ROS_C31 * ih, c32 = ROS_C32 * ih;
        for (int i = 0; i < n; i++) k2[i] = fcn[i] + c21 * k1[i];
        ros_lu_solve(w, G, dinv, k2);
        for (int i = 0; i < n; i++) k3[i] = fcn[i] + c31 * k1[i] + c32 * k2[i];
        ros_lu_solve(w, G, dinv, k3);

        /* max norm: every component meets its own tolerance (KPP's RMS norm lets one species'
         * error hide among the others) */
        double en = 0.0, ed = 1.0;
        int negative = 0;
        for (int i = 0; i < n; i++) {
            ynew[i] = y[i] + ROS_M[0] * k1[i] + ROS_M[1] * k2[i] + ROS_M[2] * k3[i];
            err[i] = ROS_E[0] * k1[i] + ROS_E[1] * k2[i] + ROS_E[2] * k3[i];
            double ymax = fabs(y[i]) > fabs(ynew[i]) ? fabs(y[i]) : fabs(ynew[i]);
            norm_update(fabs(err[i]), o->atol + o->rtol * ymax, &en, &ed);
            if (ynew[i] < 0.0 && ynew[i] < y[i]) negative = 1; /* never pushes a value below 0 */
        }
        double e = en / ed;
        if (!(e == e)) e = 1e30; /* NaN from an overflowing trial step: reject */
        double fac = step_factor(e); /* err^(1/ELO), ELO = 3 */
        double hnew = h * fac;

        if (e <= 1.0 && !(o->positive && negative)) {
            memcpy(y, ynew, (size_t)n * sizeof *y);
            t += h;
            st->accepted++;
            need_jac = 1;
            if (rejected_last && hnew > h) hnew = h;
            rejected_last = 0;
            h = hnew;
        } else {
            st->rejected++;
            if (e <= 1.0) {
                /* For y' = -lambda y the ROS3 amplification R(-lambda h) is negative beyond
                 * lambda h = 2.74 (it tends to 0 from below: L-stable, not positive).  Cut h
                 * straight to 2.5 / lambda of the offending component instead of halving
                 * repeatedly. */
                st->rejected_negative++;
                double hn = h * FAC_NEG;
                for (int i = 0; i < n; i++)
                    if (ynew[i] < 0.0 && ynew[i] < y[i] && J[i * n + i] < 0.0) {
                        double hc = 2.5 / -J[i * n + i];
                        if (hc < hn) hn = hc;
                    }
                h = hn;
            } else {
                h = rejected_last ? h * FAC_REJ : hnew;
            }
            rejected_last = 1;
            if (h < o->hmin) { status = ROS_EHMIN; break; }
        }
    }
    if (status != ROS_OK) memcpy(y, y0, (size_t)n * sizeof *y);
    return status;
}

/* ---- lane-parallel ROS3 ------------------------------------------------------------------- */

#define LANES for (int l = 0; l < ROS_W; l++)

/* Four doubles as one GCC vector, for the loops whose per-lane accumulators must stay in
 * registers; the selects are bitwise (mask & a | ~mask & b), exactly the scalar ?: per lane.
 * A macro, not a function: a 32-byte vector argument changes the ABI on the SSE2 path. */
typedef double v4d __attribute__((vector_size(4 * sizeof(double))));
typedef long long v4i __attribute__((vector_size(4 * sizeof(double))));
#define VSEL(m, a, b) ((v4d)(((v4i)(m) & (v4i)(a)) | (~(v4i)(m) & (v4i)(b))))
_Static_assert(ROS_W == 8, "the error norm takes the lanes as two vectors of four");


LANE_CLONES void ros_lu_decomp_w(const RosWork *w, double *a, double *dinv, int *bad)
{
    const int n = w->n;
    LANES bad[l] = 0;
    for (int k = 0; k < n; k++) {
        const double *piv = a + (size_t)(k * n + k) * ROS_W;
        double *inv = dinv + (size_t)k * ROS_W;
        LANES bad[l] |= piv[l] == 0.0 || !isfinite(piv[l]);
#pragma omp simd
        LANES inv[l] = 1.0 / piv[l];
        for (int e = w->lk_ptr[k]; e < w->lk_ptr[k + 1]; e++) {
            double *lik = a + (size_t)w->l_pos[e] * ROS_W;
#pragma omp simd
            LANES lik[l] *= inv[l];
            for (int q = w->up_ptr[e]; q < w->up_ptr[e + 1]; q++) {
                double *aij = a + (size_t)w->up_ij[q] * ROS_W;
                const double *akj = a + (size_t)w->up_kj[q] * ROS_W;
#pragma omp simd
                LANES aij[l] -= lik[l] * akj[l];
            }
        }
    }
}

LANE_CLONES void ros_lu_solve_w(const RosWork *w, const double *lu, const double *dinv, double *b)
{
    const int n = w->n;
    for (int k = 0; k < n; k++) {
        const double *bk = b + (size_t)k * ROS_W;
        for (int e = w->lk_ptr[k]; e < w->lk_ptr[k + 1]; e++) {
            double *bi = b + (size_t)w->l_row[e] * ROS_W;
            const double *lik = lu + (size_t)w->l_pos[e] * ROS_W;
#pragma omp simd
            LANES bi[l] -= lik[l] * bk[l];
        }
    }
    for (int i = n - 1; i >= 0; i--) {
        if (w->leaf[i]) continue;
        double *bi = b + (size_t)i * ROS_W;
        double s[ROS_W];
        LANES s[l] = bi[l];
        for (int u = w->u_ptr[i]; u < w->u_ptr[i + 1]; u++) {
            const double *uij = lu + (size_t)w->u_pos[u] * ROS_W, *bj = b + (size_t)w->u_col[u] * ROS_W;
#pragma omp simd
            LANES s[l] -= uij[l] * bj[l];
        }
        const double *di = dinv + (size_t)i * ROS_W;
#pragma omp simd
        LANES bi[l] = s[l] * di[l];
    }
    for (int q = 0; q < w->nleaf; q++) {
        const int j = w->leaf_var[q];
        double *bj = b + (size_t)j * ROS_W;
        double s[ROS_W];
        LANES s[l] = bj[l];
        for (int f = w->lf_ptr[q]; f < w->lf_ptr[q + 1]; f++) {
            const double *ljc = lu + (size_t)w->lf_pos[f] * ROS_W, *bc = b + (size_t)w->lf_col[f] * ROS_W;
#pragma omp simd
            LANES s[l] -= ljc[l] * bc[l];
        }
        const double *dj = dinv + (size_t)j * ROS_W;
#pragma omp simd
        LANES bj[l] = s[l] * dj[l];
    }
}

/* Per-lane control state of ros3_integrate_w: the scalar solver's locals, one set per lane. */
typedef struct {
    double t, h;
    int active, steps, rejected_last;
    RosStats st;
} Lane;

/* The scalar solver's "land exactly on the end rather than leave a sliver".  Both tests are
 * evaluated (| rather than ||: no side effects, the same value), so that the decision loop has
 * a select here rather than a second data-dependent branch (round 5). */
LANE_HELPER static inline double land(double t, double h, double span)
{
    const double th = t + h;
    return ((th >= span) | (span - th < 1e-10 * span)) ? span - t : h;
}

/* Gives lane l its next problem (or makes it idle: y = 0, h = span, so that its arithmetic
 * stays finite).  A problem whose step budget is zero fails at once, as in the scalar solver. */
static void lane_load(int n, const RosLaneOps *ops, void *ctx, double span,
                      const RosOptions *o, Lane *L, int l, double *y, double *y0)
{
    for (;;) {
        Lane *a = &L[l];
        /* field by field: a memset of the struct became a rep stos, whose start-up cost more
         * than the stores (once per problem) */
        a->t = 0.0, a->h = 0.0;
        a->active = 0, a->steps = 0, a->rejected_last = 0;
        a->st.accepted = 0, a->st.rejected = 0, a->st.rejected_negative = 0;
        a->st.fcn = 0, a->st.jac = 0, a->st.lu = 0, a->st.h_next = 0.0, a->st.h_last = 0.0;
        if (!ops->next(ctx, l, y + l)) {
            for (int i = 0; i < n; i++) y[(size_t)i * ROS_W + l] = 0.0;
            a->h = span;
            return;
        }
        if (!ops->keeps_initial)
            for (int i = 0; i < n; i++) y0[(size_t)i * ROS_W + l] = y[(size_t)i * ROS_W + l];
        const double hc = ops->h0 ? ops->h0(ctx, l) : 0.0;
        double h = hc > 0 ? hc : o->h0 > 0 ? o->h0 : span / 100.0;
        if (h > span) h = span;
        if (h < o->hmin) h = o->hmin;
        a->st.h_last = h;
        a->h = land(0.0, h, span);
        a->active = 1;
        if (o->max_steps >= 1) return;
        ops->done(ctx, l, y + l, ROS_EMAXSTEPS, &a->st); /* y: still the initial values */
    }
}

static void lane_finish(int n, const RosLaneOps *ops, void *ctx, double span,
                        const RosOptions *o, Lane *L, int l, double *y, double *y0, int status)
{
    ops->done(ctx, l, (status == ROS_OK || ops->keeps_initial ? y : y0) + l, status, &L[l].st);
    lane_load(n, ops, ctx, span, o, L, l, y, y0);
}

LANE_CLONES void ros3_integrate_w(int n, const RosLaneOps *ops, void *ctx, double span,
                                  const RosOptions *o, RosWork *w)
{
    const size_t nw = (size_t)n * ROS_W;
    double *y = w->bufw, *y0 = y + nw, *ynew = y0 + nw, *fcn = ynew + nw, *f0 = fcn + nw;
    double *k1 = f0 + nw, *k2 = k1 + nw, *k3 = k2 + nw, *dinv = k3 + nw;
    double *J = dinv + nw, *G = J + nw * n;
#define SOLVE(b) (ops->solve ? ops->solve(ctx, G, dinv, b) : ros_lu_solve_w(w, G, dinv, b))
    Lane L[ROS_W];
    int nact = 0;
    LANES {
        lane_load(n, ops, ctx, span, o, L, l, y, y0);
        nact += L[l].active;
    }
    while (nact > 0) {
        /* every lane's f(y) and Jacobian: a lane whose last step was rejected gets the same
         * values again (same y), which costs less than splitting the lanes */
        if (!ops->attempt) {
            if (!ops->jac_full)
                for (int p = 0; p < w->nnz; p++) memset(J + (size_t)w->nzidx[p] * ROS_W, 0, ROS_W * sizeof *J);
            /* without a stage kernel, f(y) goes straight into k1, which the first solve
             * overwrites in place (f(y) is not needed afterwards: every attempt evaluates it
             * again) */
            ops->f(ctx, y, ops->stage ? f0 : k1);
            ops->jac(ctx, y, J);
        }
        double gh[ROS_W], c21[ROS_W], c31[ROS_W], c32[ROS_W];
        double hl[ROS_W];
        LANES hl[l] = L[l].h;
#pragma omp simd
        LANES {
            const double ih = 1.0 / hl[l];
            gh[l] = ROS_INV_GAMMA * ih;
            c21[l] = ROS_C21 * ih;
            c31[l] = ROS_C31 * ih;
            c32[l] = ROS_C32 * ih;
        }
        int act[ROS_W];
        LANES {
            act[l] = L[l].active;
            /* the scalar need_jac, without a branch per lane */
            const int nj = act[l] & (L[l].st.jac == L[l].st.accepted);
            L[l].st.fcn += nj;
            L[l].st.jac += nj;
            L[l].st.lu += act[l];
        }
        int bad[ROS_W];
        double en[ROS_W], ed[ROS_W], mn[ROS_W];
        if (ops->attempt) {
            /* the whole attempt in one kernel (round 6): the same bits as the path below */
            ops->attempt(ctx, y, gh, c21, c31, c32, o->atol, o->rtol, ynew, J, en, ed, mn, bad);
        } else {
            if (ops->lu) {
                ops->lu(ctx, J, gh, G, dinv, bad);
            } else {
                for (int p = 0; p < w->nnz; p++) {
                    double *g = G + (size_t)w->nzidx[p] * ROS_W;
                    const double *jj = J + (size_t)w->nzidx[p] * ROS_W;
#pragma omp simd
                    LANES g[l] = -jj[l];
                }
                for (int i = 0; i < n; i++) {
                    double *g = G + (size_t)(i * n + i) * ROS_W;
#pragma omp simd
                    LANES g[l] += gh[l];
                }
                ros_lu_decomp_w(w, G, dinv, bad);
            }
            if (ops->stage) {
                ops->stage(ctx, 1, G, dinv, f0, NULL, NULL, NULL, NULL, k1, y, ynew);
                ops->f(ctx, ynew, fcn);
                ops->stage(ctx, 2, G, dinv, fcn, k1, c21, NULL, NULL, k2, NULL, NULL);
                ops->stage(ctx, 3, G, dinv, fcn, k1, c31, k2, c32, k3, NULL, NULL);
            } else {
                SOLVE(k1);
#pragma omp simd
                for (size_t q = 0; q < nw; q++) ynew[q] = y[q] + ROS_A21 * k1[q];
                ops->f(ctx, ynew, fcn);
                for (int i = 0; i < n; i++) {
                    const size_t o_ = (size_t)i * ROS_W;
#pragma omp simd
                    LANES k2[o_ + l] = fcn[o_ + l] + c21[l] * k1[o_ + l];
                }
                SOLVE(k2);
                for (int i = 0; i < n; i++) {
                    const size_t o_ = (size_t)i * ROS_W;
#pragma omp simd
                    LANES k3[o_ + l] = fcn[o_ + l] + c31[l] * k1[o_ + l] + c32[l] * k2[o_ + l];
                }
                SOLVE(k3);
            }

            /* "a component went below 0 and below its old value" as the minimum mn of those
             * components (0 when none): doubles only, where an int flag per lane had GCC pack every
             * comparison mask down and back (a third of this loop's instructions) */
            const double atol = o->atol, rtol = o->rtol;
            /* Four lanes as one GCC vector (one AVX2 register, two SSE2 ones), the ROS_W / 4 = 2
             * groups side by side in one species loop (their compare-and-select chains overlap):
             * the running norm and minimum of each lane stay in registers and update by bitwise
             * selects.  As array loops over the lanes, GCC kept them in memory and updated them by a
             * masked store behind a test-and-branch per species (mispredicted: a fifth of the
             * driver's samples).  Per lane the same IEEE operations in the same species order as
             * norm_update and the scalar solver: the same bits. */
            {
                const v4i sign = {0x7fffffffffffffffLL, 0x7fffffffffffffffLL, 0x7fffffffffffffffLL,
                                  0x7fffffffffffffffLL};
                const v4d zero = {0.0, 0.0, 0.0, 0.0};
                const v4d one = {1.0, 1.0, 1.0, 1.0};
                v4d en0 = zero, ed0 = one, mn0 = zero, en1 = zero, ed1 = one, mn1 = zero;
#define NORM_GROUP(G, EN, ED, MN)                                                                  \
        {                                                                                          \
            const size_t q = (size_t)i * ROS_W + 4 * (G);                                          \
            v4d yv, a1, a2, a3;                                                                    \
            memcpy(&yv, y + q, sizeof yv);                                                         \
            memcpy(&a1, k1 + q, sizeof a1);                                                        \
            memcpy(&a2, k2 + q, sizeof a2);                                                        \
            memcpy(&a3, k3 + q, sizeof a3);                                                        \
            const v4d yn = yv + ROS_M[0] * a1 + ROS_M[1] * a2 + ROS_M[2] * a3;                     \
            const v4d err = ROS_E[0] * a1 + ROS_E[1] * a2 + ROS_E[2] * a3;                         \
            const v4d ay = (v4d)((v4i)yv & sign), ayn = (v4d)((v4i)yn & sign);                     \
            const v4d ymax = VSEL(ay > ayn, ay, ayn);                                              \
            memcpy(ynew + q, &yn, sizeof yn);                                                      \
            const v4d ae = (v4d)((v4i)err & sign);                                                 \
            const v4d sc = atol + rtol * ymax;                                                     \
            const v4i take = ae * ED > EN * sc; /* norm_update */                                  \
            EN = VSEL(take, ae, EN);                                                               \
            ED = VSEL(take, sc, ED);                                                               \
            const v4d dn = VSEL(yn < yv, yn, zero);                                                \
            MN = VSEL(dn < MN, dn, MN);                                                            \
        }
                for (int i = 0; i < n; i++) {
                    NORM_GROUP(0, en0, ed0, mn0)
                    NORM_GROUP(1, en1, ed1, mn1)
                }
#undef NORM_GROUP
                memcpy(en, &en0, sizeof en0);
                memcpy(en + 4, &en1, sizeof en1);
                memcpy(ed, &ed0, sizeof ed0);
                memcpy(ed + 4, &ed1, sizeof ed1);
                memcpy(mn, &mn0, sizeof mn0);
                memcpy(mn + 4, &mn1, sizeof mn1);
            }
        }

        /* the error norms, step-size factors and acceptances of all lanes at once */
        double el[ROS_W], facl[ROS_W];
        int acc[ROS_W];
#pragma omp simd
        LANES {
            const double e = en[l] / ed[l];
            el[l] = e == e ? e : 1e30;
            facl[l] = step_factor(el[l]);
        }
        const int pos = o->positive != 0;
        int neg[ROS_W];
        LANES neg[l] = mn[l] < 0.0;
        LANES acc[l] = act[l] & !bad[l] & (el[l] <= 1.0) & !(pos & neg[l]);
        /* the accepted lanes' new values in one pass over the rows, before the decisions below
         * hand finished lanes to done() */
        for (int i = 0; i < n; i++) {
            const size_t o_ = (size_t)i * ROS_W;
#pragma omp simd
            LANES y[o_ + l] = acc[l] ? ynew[o_ + l] : y[o_ + l];
        }
        /* the scalar solver's decisions, lane by lane */
        nact = 0;
        LANES {
            Lane *a = &L[l];
            if (!a->active) continue;
            int status = ROS_OK, finished = 0;
            if (bad[l]) {
                a->st.rejected++;
                a->h *= FAC_NEG;
                if (a->h < o->hmin) status = ROS_ESINGULAR, finished = 1;
            } else {
                const double h = a->h;
                const double e = el[l];
                const double fac = facl[l];
                double hnew = h * fac;
                if (acc[l]) {
                    a->t += h;
                    a->st.accepted++;
                    if (a->rejected_last && hnew > h) hnew = h;
                    a->rejected_last = 0;
                    a->h = hnew;
                    a->st.h_next = hnew;
                    if (!(a->t < span)) finished = 1;
                } else {
                    a->st.rejected++;
                    if (e <= 1.0) {
                        a->st.rejected_negative++;
                        double hn = h * FAC_NEG;
                        for (int i = 0; i < n; i++) {
                            const size_t q = (size_t)i * ROS_W + l;
                            const double jii = J[(size_t)(i * n + i) * ROS_W + l];
                            if (ynew[q] < 0.0 && ynew[q] < y[q] && jii < 0.0) {
                                double hc = 2.5 / -jii;
                                if (hc < hn) hn = hc;
                            }
                        }
                        a->h = hn;
                    } else {
                        a->h = a->rejected_last ? h * FAC_REJ : hnew;
                    }
                    a->rejected_last = 1;
                    if (a->h < o->hmin) status = ROS_EHMIN, finished = 1;
                }
            }
            if (!finished && ++a->steps >= o->max_steps) status = ROS_EMAXSTEPS, finished = 1;
            if (finished) {
                lane_finish(n, ops, ctx, span, o, L, l, y, y0, status);
            } else {
                a->st.h_last = a->h;
                a->h = land(a->t, a->h, span);
            }
            nact += L[l].active;
        }
    }
}
#undef SOLVE
