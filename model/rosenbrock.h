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
    double h_next; /* ros3_integrate_w's done(): the step size the controller proposed last */
    double h_last; /* ros3_integrate_w's done(): the step size the controller had proposed for the
                    * last step before it was cut to land on the span's end */
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
    double *bufw; /* the lane-parallel solver's block: the same arrays, ROS_W values each */
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

/* ---- lane-parallel ROS3 -------------------------------------------------------------------
 * ROS_W independent problems advance together, one per lane, each with its own time, step size,
 * error control and step count: every per-problem operation is the scalar ros3_integrate's
 * arithmetic in the same order, so a problem's result does not depend on which lane it ran in or
 * what ran beside it (bitwise).  Arrays are lane-innermost ([i][lane]) so that every kernel is a
 * loop over the lanes that the compiler vectorises and the sparse index lists are read once per
 * ROS_W problems.  A lane whose problem is finished takes the next one at once (next()), so the
 * lanes stay busy whatever the spread of step counts. */
#define ROS_W 8

/* y, f: [n][ROS_W]; jac: [n*n][ROS_W], zeroed on the LU structure before the call (the callback
 * adds or writes the nonzeros of its pattern).  Lanes without a problem hold y = 0. */
typedef void (*RosFcnW)(void *ctx, const double *y, double *f);
typedef void (*RosJacW)(void *ctx, const double *y, double *jac);
/* next: give lane a new problem, writing its initial values to y[i * ROS_W] (i < n) and its
 * parameters wherever f and jac read them; return 0 when there is none left.
 * done: the lane's problem is finished with status (ROS_OK, or a failure with y restored to
 * the initial values, unless RosLaneOps.keeps_initial); y[i * ROS_W] holds the result; st its
 * counts. */
typedef int (*RosNextW)(void *ctx, int lane, double *y);
typedef void (*RosDoneW)(void *ctx, int lane, const double *y, int status, const RosStats *st);

/* Optional kernels specialised to one system: lu factors G = diag(gh) - J (J, G: [n*n][ROS_W],
 * gh, bad: [ROS_W]) into G and dinv exactly as ros_lu_decomp_w does; solve as ros_lu_solve_w. */
typedef void (*RosLuW)(void *ctx, const double *J, const double *gh, double *G, double *dinv, int *bad);
typedef void (*RosSolveW)(void *ctx, const double *G, const double *dinv, double *b);

typedef struct RosLaneOps {
    RosFcnW f;
    RosJacW jac;
    int jac_full;    /* 1: jac writes every position of the LU structure (zeros included), so
                      * the solver need not zero J first */
    RosLuW lu;       /* NULL: the generic sparse LU on w's structure */
    RosSolveW solve; /* NULL: the generic sparse solve */
    RosNextW next;
    RosDoneW done;
    /* optional: the first trial step of the problem next() just gave the lane (> 0), or <= 0
     * for o->h0 */
    double (*h0)(void *ctx, int lane);
    /* optional: the three stage solves with their right-hand sides formed inside, in one pass
     * (NULL: the driver forms them and calls solve).  stage 1: x = G^-1 f and ynew = y + x;
     * stage 2: x = G^-1 (f + c1 k1); stage 3: x = G^-1 (f + c1 k1 + c2 k2), each sum from the
     * left and c1, c2 per lane ([ROS_W]); it must give the bits of those sums followed by
     * solve.  x does not alias f, k1, k2, y or ynew. */
    void (*stage)(void *ctx, int stage, const double *G, const double *dinv, const double *f,
                  const double *k1, const double *c1, const double *k2, const double *c2, double *x,
                  const double *y, double *ynew);
    /* 1: the caller keeps each problem's initial values itself and its done() does not read y
     * for a failed problem (y then holds the last trial values, not the initial ones), so the
     * solver need not copy them aside when next() hands a problem out */
    int keeps_initial;
    /* optional: one whole attempt in one call, for a system small enough to be written out
     * (NULL: the driver calls f, jac, lu and stage or solve, and forms the norm itself).  From
     * y and the per-lane gh = 1/(gamma h), c21, c31, c32 ([ROS_W]) it evaluates f(y) and J(y),
     * factors G = diag(gh) - J, runs the three stages and writes: ynew = y + sum m_i K_i (the
     * third-order solution); per lane the running error norm (en, ed: the last candidate pair
     * of norm_update over the components in order, starting from 0 and 1) and mn (the minimum
     * of the components that went below 0 and below their old value, 0 if none); bad (a zero or
     * non-finite pivot); and J's diagonal (positions i*n + i, for the rejection of a negative
     * step).  It must give exactly the bits of the generic path with the same f and jac; the
     * other hooks stay for the rest.  The weights are ROS3_M* and ROS3_E* below. */
    void (*attempt)(void *ctx, const double *y, const double *gh, const double *c21,
                    const double *c31, const double *c32, double atol, double rtol, double *ynew,
                    double *J, double *en, double *ed, double *mn, int *bad);
} RosLaneOps;

/* ROS3's solution weights m_i and error weights e_i (Sandu et al. 1997, Table 3, as in KPP's
 * Ros3), for RosLaneOps.attempt kernels: ynew = y + m1 K1 + m2 K2 + m3 K3 and err = e1 K1 +
 * e2 K2 + e3 K3, each summed from the left.  K_1 enters the second stage through a_21 = 1 and
 * the stage coefficients c_ij / h are passed per lane. */
#define ROS3_M1 0.1e+01
#define ROS3_M2 0.61697947043828245592553615689730e+01
#define ROS3_M3 (-0.42772256543218573326238373806514)
#define ROS3_E1 0.5
#define ROS3_E2 (-0.29079558716805469821718236208017e+01)
#define ROS3_E3 0.22354069897811569627360909276199

/* Integrates every problem ops->next() hands out over span.  Each problem's result and status
 * are those ros3_integrate gives for it with the same f, jac and options. */
void ros3_integrate_w(int n, const RosLaneOps *ops, void *ctx, double span, const RosOptions *o,
                      RosWork *w);

/* The lane versions of ros_lu_decomp / ros_lu_solve (a: [n*n][ROS_W], dinv, b: [n][ROS_W]);
 * bad[lane] = 1 for a lane with a zero or non-finite pivot (its values are then meaningless). */
void ros_lu_decomp_w(const RosWork *w, double *a, double *dinv, int *bad);
void ros_lu_solve_w(const RosWork *w, const double *lu, const double *dinv, double *b);

/* The solvers' step-size factor clamp(0.9 / cbrt(err), 0.2, 6) (division-free inverse cube root;
 * exposed for test_chem). */
double ros_step_factor(double err);

#endif
