/* ROS3: a 3-stage, order-3 (embedded order 2), L-stable Rosenbrock method with step-size control
 * for stiff autonomous ODE systems y' = f(y) with an analytic Jacobian (Sandu et al. 1997,
 * Atmos. Environ. 31, 3459, the coefficients of KPP's Ros3).  Small systems (n <= ~30): sparse
 * LU on a symbolic structure made once with the workspace; no allocation per call.  Positivity
 * is kept by rejecting and shrinking any step that would make a component negative, never by
 * clipping.  docs/chemistry.md describes the method and its tolerances. */
#ifndef BOGDA_ROSENBROCK_H
#define BOGDA_ROSENBROCK_H

/* f(y) into f; the Jacobian df_i/dy_j into jac[i*n + j] (row-major). */
typedef void (*RosFcn)(void *ctx, const double *y, double *f);
typedef void (*RosJac)(void *ctx, const double *y, double *jac);

typedef struct RosOptions {
    double rtol, atol; /* accept when max_i |err_i| / (atol + rtol max(|y_i|, |ynew_i|)) <= 1 */
    double h0;         /* first trial step (same unit as the time span); <= 0: span / 100 */
    double hmin;       /* a step that would have to shrink below hmin fails the call */
    int max_steps;     /* accepted plus rejected steps allowed in one call */
    int positive;      /* 1: reject any step that makes a component negative */
} RosOptions;

typedef struct RosStats {
    long accepted, rejected, rejected_negative, fcn, jac, lu;
} RosStats;

enum { ROS_OK = 0, ROS_EHMIN = 1, ROS_EMAXSTEPS = 2, ROS_ESINGULAR = 3 };

typedef struct RosWork {
    int n;
    double *buf; /* one block: y0, ynew, fcn, f0, k[3], err, dinv, jac, lu */
    /* the symbolic LU of the pattern, as flat operation lists (positions i*n + j):
     * factorisation: for each pivot k, for each L entry (i,k): a[ik] *= 1/a[kk], then
     * a[ij] -= a[ik] a[kj] over the U entries (k,j) */
    int nnz, *nzidx;     /* positions of the structure (fill-in included) */
    int *lk_ptr;         /* L entries of column k: lk_ptr[k] .. lk_ptr[k+1] */
    int *l_pos, *l_row;  /* position and row of each L entry, column by column */
    int *up_ptr;         /* update ops of L entry e: up_ptr[e] .. up_ptr[e+1] */
    int *up_ij, *up_kj;  /* a[ij] -= a[ik] a[kj] */
    int *u_ptr, *u_pos, *u_col; /* U entries of row i (j > i): position and column */
    /* "leaves": variables nothing else depends on (an empty column off the diagonal, e.g. a
     * pure product).  They stay out of the LU: after the others, K_j = (b_j - sum_i G_ji K_i) /
     * G_jj, which is the block elimination done exactly.  leaf[j] = 1 for them. */
    unsigned char *leaf;
    int nleaf, *leaf_var, *lf_ptr, *lf_pos, *lf_col;
} RosWork;

/* pattern (may be NULL: dense) is the n x n row-major nonzero pattern of the Jacobian; the
 * workspace holds its symbolic LU (fill-in included), so the factorisation and the solves touch
 * only nonzeros.  NULL on allocation failure. */
RosWork *ros_work_create(int n, const unsigned char *pattern);
void ros_work_free(RosWork *w);

/* Integrates y over a time span of length span (> 0) in place.  Returns ROS_OK, or on failure
 * (ROS_EHMIN: too many rejections drove the step below hmin; ROS_EMAXSTEPS; ROS_ESINGULAR)
 * restores y to its value at entry so that the caller can retry with smaller spans and report.
 * st (may be NULL) accumulates counts. */
int ros3_integrate(int n, RosFcn f, RosJac jac, void *ctx, double *y, double span,
                   const RosOptions *o, RosWork *w, RosStats *st);

/* Sparse LU without pivoting of a (n x n, row-major, in place) on the symbolic structure of w,
 * storing 1/U(k,k) in dinv: 0, or -1 on a zero pivot.  The Rosenbrock matrix
 * I/(gamma h) - J of a chemical system has a diagonal of at least 1/(gamma h) (a species'
 * dependence on itself is a loss), which is why KPP factors it without pivoting too.
 * Exposed for the tests. */
int ros_lu_decomp(const RosWork *w, double *a, double *dinv);
void ros_lu_solve(const RosWork *w, const double *lu, const double *dinv, double *b);

#endif
