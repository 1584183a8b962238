#include "advect.h"

#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* Van Leer (1977, J. Comput. Phys. 23, 276, his scheme I: a linear profile in each cell) with
 * the monotonicity constraint of Lin et al. (1994, Mon. Wea. Rev. 122, 1575; Lin & Rood 1996,
 * Mon. Wea. Rev. 124, 2046: the "van Leer" option of their transport scheme): the slope of cell i
 * is the centred difference d = (q[i+1] - q[i-1]) / 2 limited to twice the distance from q[i] to
 * the smallest and to the largest of the three cells, sign(d) min(|d|, 2 (q - qmin), 2 (qmax - q)),
 * so the profile stays within the neighbours' range and is flat at an extremum.  The face value is
 * the profile's mean over the part of the upwind cell that crosses the face in the step:
 * q + (1 - c) dq / 2 from cell i-1 (c >= 0), q - (1 + c) dq / 2 from cell i (c < 0).  Second
 * order where the field is smooth; a cheaper face than PPM's (docs/transport.md). */
static inline double vl_slope(double qm, double q, double qp)
{
    const double d = 0.5 * (qp - qm);
    const double lo = dmin(dmin(qm, q), qp), hi = dmax(dmax(qm, q), qp);
    const double lim = dmin(fabs(d), dmin(2.0 * (q - lo), 2.0 * (hi - q)));
    return d >= 0 ? lim : -lim;
}

static void faces_vanleer(int n, const double *qg, const double *c, double *qf, double *tmp)
{
    double *dq = tmp + 1; /* dq[i]: slope of cell i, i = -1..n */
    for (int i = -1; i <= n; i++) dq[i] = vl_slope(qg[i - 1], qg[i], qg[i + 1]);
    for (int i = 1; i < n; i++) {
        const double ci = c[i];
        qf[i] = ci >= 0 ? qg[i - 1] + 0.5 * (1.0 - ci) * dq[i - 1] : qg[i] - 0.5 * (1.0 + ci) * dq[i];
    }
    /* boundary faces: outflow from the edge cells (inflow values are set by the caller), as PPM */
    qf[0] = c[0] < 0 ? qg[0] - 0.5 * (1.0 + c[0]) * dq[0] : qg[-1];
    qf[n] = c[n] >= 0 ? qg[n - 1] + 0.5 * (1.0 - c[n]) * dq[n - 1] : qg[n];
}

/* ---------------------------------------------------------------- schemes on a tile of lines
 *
 * The same arithmetic as faces_upwind/faces_ppm/faces_vanleer, element for element, on
 * ADVECT_TILE lines at once stored [cell][lane] (lane contiguous), so every loop runs over a contiguous index and
 * vectorises; the limiter's branches become selects.  Each lane sees exactly the operations of
 * the line kernel, so a tiled sweep equals the line-by-line sweep bit for bit (tested). */
enum { T = ADVECT_TILE };

/* GCC keeps floating-point arithmetic out of the arms of a select while -ftrapping-math (its
 * default) is on, which leaves the limiter and the face selection scalar and branchy.  Nothing here
 * reads the floating-point exception flags, and -fno-trapping-math changes no value (it permits no
 * re-association or contraction), so the tile kernels are compiled without it. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif

/* The hot kernels are also compiled for AVX2 and AVX-512 and chosen at load time by the CPU
 * (GCC function multi-versioning), so the default build stays portable.  The results are the
 * same bits on every path: the operations are the same IEEE ones, and ISO C mode (-std=c11)
 * keeps GCC from contracting a*b+c into a fused multiply-add. */
#if BOGDA_CLONES
#define TILE_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define TILE_CLONES
#endif

/* local copies: GCC does not inline across different optimisation options */
static inline double tmin(double a, double b) { return a < b ? a : b; }
static inline double tmax(double a, double b) { return a > b ? a : b; }

TILE_CLONES static void faces_upwind_tile(int n, const double *qg, const double *c, double *qf, double *tmp)
{
    (void)tmp;
    const int nf = (n + 1) * T;
#pragma omp simd
    for (int x = 0; x < nf; x++) {
        double up = qg[x - T], dn = qg[x];
        qf[x] = c[x] >= 0 ? up : dn;
    }
}

/* sgn: +1 if every interior face of the tile flows towards increasing index (c >= 0), -1 if every
 * one flows the other way (c < 0), 0 otherwise.  With one direction only the face value of that
 * direction is computed (the select would have taken it): half of the face arithmetic, and the
 * common case of the x sweeps under the westerlies aloft. */
TILE_CLONES static void faces_ppm_tile_sgn(int n, const double *qg, const double *c, double *qf,
                                           double *tmp, int sgn)
{
    double *a = tmp, *qr = tmp + (size_t)(n + 4) * T, *dq = qr + (size_t)(n + 4) * T,
           *q6 = dq + (size_t)(n + 4) * T;
    const int nf = (n + 1) * T, ncl = n * T;
#pragma omp simd
    for (int x = 0; x < nf; x++) {
        double qm = qg[x - T], q0 = qg[x];
        double v = (7.0 * (qm + q0) - (qg[x - 2 * T] + qg[x + T])) * (1.0 / 12.0);
        a[x] = tmin(tmax(v, tmin(qm, q0)), tmax(qm, q0));
    }
#pragma omp simd
    for (int x = 0; x < ncl; x++) {
        double q = qg[x], l = a[x], r = a[x + T];
        double d = r - l, s6 = 6.0 * (q - 0.5 * (l + r));
        int flat = (r - q) * (q - l) <= 0.0, cl = d * s6 > d * d, cr = -d * d > d * s6;
        double l2 = flat ? q : cl ? 3.0 * q - 2.0 * r : l;
        double r2 = flat ? q : (!cl && cr) ? 3.0 * q - 2.0 * l : r;
        qr[x] = r2;
        dq[x] = r2 - l2;
        q6[x] = 6.0 * (q - 0.5 * (l2 + r2));
    }
    /* interior faces; the boundary faces (lanes x < T and x >= n*T) follow */
    if (sgn > 0) {
#pragma omp simd
        for (int x = T; x < ncl; x++) {
            double ci = c[x];
            qf[x] = qr[x - T] - 0.5 * ci * (dq[x - T] - (1.0 - (2.0 / 3.0) * ci) * q6[x - T]);
        }
    } else if (sgn < 0) {
#pragma omp simd
        for (int x = T; x < ncl; x++) {
            double cc = -c[x], ql = qr[x] - dq[x];
            qf[x] = ql + 0.5 * cc * (dq[x] + (1.0 - (2.0 / 3.0) * cc) * q6[x]);
        }
    } else
#pragma omp simd
    for (int x = T; x < ncl; x++) {
        double ci = c[x], cc = -ci, ql = qr[x] - dq[x];
        double fp = qr[x - T] - 0.5 * ci * (dq[x - T] - (1.0 - (2.0 / 3.0) * ci) * q6[x - T]);
        double fm = ql + 0.5 * cc * (dq[x] + (1.0 - (2.0 / 3.0) * cc) * q6[x]);
        qf[x] = ci >= 0 ? fp : fm;
    }
    for (int w = 0; w < T; w++) {
        double cc = -c[w], ql = qr[w] - dq[w];
        double fm = ql + 0.5 * cc * (dq[w] + (1.0 - (2.0 / 3.0) * cc) * q6[w]);
        qf[w] = c[w] < 0 ? fm : qg[w - T];
        int xn = ncl + w, xl = xn - T;
        double cn = c[xn];
        double fp = qr[xl] - 0.5 * cn * (dq[xl] - (1.0 - (2.0 / 3.0) * cn) * q6[xl]);
        qf[xn] = cn >= 0 ? fp : qg[xn];
    }
}

/* faces_vanleer on a tile: the same operations lane by lane */
TILE_CLONES static void faces_vanleer_tile(int n, const double *qg, const double *c, double *qf, double *tmp)
{
    double *dq = tmp + T; /* slopes of cells -1 .. n, dq[-T ..] */
    const int ncl = n * T;
#pragma omp simd
    for (int x = -T; x < ncl + T; x++) {
        const double qm = qg[x - T], q = qg[x], qp = qg[x + T];
        const double d = 0.5 * (qp - qm);
        const double lo = tmin(tmin(qm, q), qp), hi = tmax(tmax(qm, q), qp);
        const double lim = tmin(fabs(d), tmin(2.0 * (q - lo), 2.0 * (hi - q)));
        dq[x] = d >= 0 ? lim : -lim;
    }
#pragma omp simd
    for (int x = T; x < ncl; x++) {
        const double ci = c[x];
        const double fp = qg[x - T] + 0.5 * (1.0 - ci) * dq[x - T], fm = qg[x] - 0.5 * (1.0 + ci) * dq[x];
        qf[x] = ci >= 0 ? fp : fm;
    }
    for (int w = 0; w < T; w++) {
        const double c0 = c[w];
        qf[w] = c0 < 0 ? qg[w] - 0.5 * (1.0 + c0) * dq[w] : qg[w - T];
        const int xn = ncl + w, xl = xn - T;
        const double cn = c[xn];
        qf[xn] = cn >= 0 ? qg[xl] + 0.5 * (1.0 - cn) * dq[xl] : qg[xn];
    }
}

TILE_CLONES static void faces_ppm_tile(int n, const double *qg, const double *c, double *qf, double *tmp)
{
    faces_ppm_tile_sgn(n, qg, c, qf, tmp, 0);
}

/* the flow direction of a tile's interior faces for faces_ppm_tile_sgn */
static int tile_face_sign(int n, const double *c)
{
    int npos = 0;
    const int ncl = n * T;
#pragma omp simd reduction(+ : npos)
    for (int x = T; x < ncl; x++) npos += c[x] >= 0;
    return npos == ncl - T ? 1 : npos == 0 ? -1 : 0;
}

/* Dependence widths (cells a sub-step's result at a cell reads on either side; the halo of a
 * distributed sweep is this times the sub-steps, docs/parallel.md):
 * PPM: the interface value a[i] (face i) reads cells i-2 .. i+1; cell i's limited parabola reads
 *   a[i], a[i+1], so cells i-2 .. i+2; face i's value comes from the parabola of its upwind cell
 *   (i-1 or i), so cells i-3 .. i+2; cell i's update reads faces i and i+1: cells i-3 .. i+3.
 * Upwind: face i reads cell i-1 or i; cell i's update cells i-1 .. i+1.
 * Van Leer: face i reads the slopes of cells i-1 and i (cells i-2 .. i+1); cell i's update reads
 *   faces i and i+1: cells i-2 .. i+2.
 * The masses and Courant numbers need no halo of their own: a cell's mass changes only by the
 * (global) face fluxes, so every cell of a segment has exact masses at every sub-step. */
const AdvectScheme advect_ppm = {"ppm", faces_ppm, faces_ppm_tile, 3};
const AdvectScheme advect_upwind = {"upwind", faces_upwind, faces_upwind_tile, 1};
const AdvectScheme advect_vanleer = {"vanleer", faces_vanleer, faces_vanleer_tile, 2};

const AdvectScheme *advect_scheme_find(const char *name)
{
    static const AdvectScheme *const all[] = {&advect_ppm, &advect_upwind, &advect_vanleer};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (!strcmp(all[i]->name, name)) return all[i];
    return NULL;
}

size_t advect_line_scratch(int n, int nvar)
{
    /* c, qf, hf (n+1 each), mnew, rinv (n each), tmp 4(n+4), the two ends' tallies 4 nvar */
    return 3 * (size_t)(n + 1) + 2 * (size_t)n + 4 * (size_t)(n + 4) + 4 * (size_t)nvar;
}

/* advect_line with the amounts through the two ends kept apart (ends, if not NULL: [in, out] at
 * the low end, then at the high end, nvar each, summed over the sub-steps): in a distributed run
 * the two ends of an x or y line belong to different ranks, which can reproduce these per-end
 * sums but not their interleaving. */
static int line_sweep(const AdvectScheme *sch, int n, double *m, const double *f, double dt, double cfl_max,
                      int nvar, double *q, size_t ldq, const double *bc_lo, const double *bc_hi, double *ends,
                      double *scratch, int *nsub_out)
{
    double *c = scratch, *qf = c + (n + 1), *hf = qf + (n + 1), *mnew = hf + (n + 1),
           *rinv = mnew + n, *tmp = rinv + n;
    /* no arithmetic on a NULL ends (undefined behaviour even unused) */
    double *lin = ends, *lout = ends ? lin + nvar : NULL, *hin = ends ? lout + nvar : NULL,
           *hout = ends ? hin + nvar : NULL;
    if (ends)
        for (int v = 0; v < nvar; v++) lin[v] = lout[v] = hin[v] = hout[v] = 0.0;
    /* Sub-steps from the largest outflow fraction; the mass of a cell moves linearly between its
     * start and end values, so the smaller of the two bounds it over the step. */
    double maxfrac = 0.0;
    for (int i = 0; i < n; i++) {
        double outflow = tmax(f[i + 1], 0.0) + tmax(-f[i], 0.0);
        double mend = m[i] + dt * (f[i] - f[i + 1]);
        if (!(mend > 0.0) || !(m[i] > 0.0)) return -1;
        double frac = outflow * dt / tmin(m[i], mend);
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
            if (ends) {
                double a0 = hf[0] * qf[0], an = hf[n] * qf[n];
                if (a0 > 0) lin[v] += a0; else lout[v] -= a0;
                if (an > 0) hout[v] += an; else hin[v] -= an;
            }
        }
        memcpy(m, mnew, (size_t)n * sizeof *m);
    }
    return 0;
}

int advect_line(const AdvectScheme *sch, int n, double *m, const double *f, double dt, double cfl_max,
                int nvar, double *q, size_t ldq, const double *bc_lo, const double *bc_hi,
                double *in, double *out, double *scratch, int *nsub_out)
{
    double *ends = in && out ? scratch + advect_line_scratch(n, nvar) - 4 * (size_t)nvar : NULL;
    if (line_sweep(sch, n, m, f, dt, cfl_max, nvar, q, ldq, bc_lo, bc_hi, ends, scratch, nsub_out)) return -1;
    if (ends)
        for (int v = 0; v < nvar; v++) {
            in[v] += ends[v] + ends[2 * nvar + v];
            out[v] += ends[nvar + v] + ends[3 * nvar + v];
        }
    return 0;
}

/* ---------------------------------------------------------------- 3-D driver */

/* Sub-steps of a tile whose Courant numbers and masses are computed once for all variables; a
 * tile that needs more recomputes them per variable (same arithmetic, so the same results). */
enum { NSC = 8 };

struct AdvectWork {
    const AdvectScheme *sch;
    int nx, ny, nz, nvar, nthreads;
    int reference;     /* 1: the line-by-line sweeps (the tests' reference), 0: tiles */
    double cfl_max;
    double *m;         /* [nz][ny][nx] air mass during the step */
    /* per line of a sweep; three sets (slot 1: the second horizontal sweep of the fused path and
     * of a distributed run, slot 2: a distributed run's z sweep; all summed at the end) */
    /* per line of the x and y sweeps, per chunk of PAR_CHUNK columns of a row in the z sweep
     * (sweep_entries: an 8th of the columns, so a distributed run all-reduces an 8th as much) */
    double *tally;     /* [2][entry][stride] boundary amounts, summed in order afterwards: x and y
                          lines [in, out] at the low end then [in, out] at the high end (4 nvar,
                          tally_stride), z chunks [in, out] (2 nvar) */
    int *status;       /* [2][entry]: 0 ok; z: 1 + the first failing column of the chunk */
    int *nsub;         /* [2][entry] the largest sub-step count */
    size_t nlines;     /* lines of the longest sweep: the size of one slot */
    int fuse;          /* 1: x and y sweeps layer by layer (serial runs; advect_work_set_layer_fusion) */
    double **buf;      /* per thread: line buffers (reference) or tile buffers */
    int lmax;
    ParDecomp *dec;    /* distributed run: this rank's block (NULL: everything) */
    double **tq;       /* [nvar] the fields a halo exchange moves */
    /* a distributed x or y sweep (sweep_xy_dist, advect_sweep_piece): each line is swept on its
     * owned cells seg_o0 .. seg_o1 - 1 extended by seg_h[k] cells on both sides (clipped), with
     * the sub-step count of the whole line from gfrac; read-only while the tiles run */
    int seg_on, seg_o0, seg_o1;
    const int *seg_h;
    double *gfrac;     /* [nlines] largest outflow fraction of each line (all-reduced; +inf: fails) */
    int *hw;           /* [nz] halo width of each layer */
    double *tpack;     /* [2 nvar + 2] the running sums of dist_finish, and its flags */
    double *zpack;     /* [2 + z entries x 2 nvar] a rank's part of dist_finish's gather */
};

void advect_work_set_decomp(AdvectWork *w, ParDecomp *d) { w->dec = d; }

/* A z tile is one chunk: the tiles of a row start at column 0 or at a block's first column,
 * which is a chunk boundary (docs/parallel.md), so each tile sums its columns' boundary amounts
 * into its chunk's partial, owned by the one rank that sweeps it. */
_Static_assert(ADVECT_TILE == PAR_CHUNK, "a z tile must be one chunk of the per-row sums");

/* doubles per tally entry: x and y lines keep their two ends apart (4 nvar), z chunks 2 nvar */
static size_t tally_stride(const AdvectWork *w, int dir) { return (size_t)(dir == 2 ? 2 : 4) * w->nvar; }

/* entries of the tallies of a sweep: lines (x, y) or chunks of rows (z) */
static int sweep_entries(const AdvectWork *w, int dir)
{
    return dir == 0 ? w->nz * w->ny : dir == 1 ? w->nz * w->nx : w->ny * par_nchunks(w->nx);
}

/* Tile buffer of one thread, all arrays [cell or face][lane] for L = lmax cells. */
typedef struct {
    double *f, *hf, *qb, *qf, *tmp;
    double *ms[NSC + 1]; /* air mass at the start of sub-step s (ms[s+1] its end) */
    double *c[NSC];      /* Courant numbers of sub-step s */
    double *rinv[NSC];   /* 1 / ms[s+1] */
} TileBuf;

static size_t tile_buf_size(int L)
{
    size_t F = (size_t)(L + 1) * T, C = (size_t)L * T;
    return 2 * F + (size_t)(L + 4) * T + F + 4 * (size_t)(L + 4) * T + (NSC + 1) * C + NSC * F +
           NSC * C;
}

static TileBuf tile_buf(double *b, int L)
{
    size_t F = (size_t)(L + 1) * T, C = (size_t)L * T;
    TileBuf t;
    t.f = b;
    t.hf = t.f + F;
    t.qb = t.hf + F + 2 * T; /* two ghost cells before cell 0 */
    t.qf = t.qb + (size_t)(L + 2) * T;
    t.tmp = t.qf + F;
    double *p = t.tmp + 4 * (size_t)(L + 4) * T;
    for (int s = 0; s <= NSC; s++, p += C) t.ms[s] = p;
    for (int s = 0; s < NSC; s++, p += F) t.c[s] = p;
    for (int s = 0; s < NSC; s++, p += C) t.rinv[s] = p;
    return t;
}

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
    w->reference = 0;
    int lmax = nx > ny ? nx : ny;
    if (nz > lmax) lmax = nz;
    w->lmax = lmax;
    size_t ncell = (size_t)nx * ny * nz;
    size_t nlines = (size_t)nz * ny;
    if ((size_t)nz * nx > nlines) nlines = (size_t)nz * nx;
    if ((size_t)ny * nx > nlines) nlines = (size_t)ny * nx;
    w->m = malloc(ncell * sizeof *w->m);
    w->nlines = nlines;
    w->fuse = 1;
    w->tally = malloc(3 * nlines * 4 * (size_t)nvar * sizeof *w->tally);
    w->gfrac = malloc(nlines * sizeof *w->gfrac);
    w->hw = malloc((size_t)nz * sizeof *w->hw);
    w->tpack = malloc((2 * (size_t)nvar + 2) * sizeof *w->tpack);
    w->zpack = malloc((2 + (size_t)ny * par_nchunks(nx) * 2 * nvar) * sizeof *w->zpack);
    w->status = malloc(3 * nlines * sizeof *w->status);
    w->nsub = malloc(3 * nlines * sizeof *w->nsub);
    w->buf = calloc((size_t)w->nthreads, sizeof *w->buf);
    w->tq = malloc(((size_t)nvar + 1) * sizeof *w->tq);
    int ok = w->m && w->tally && w->status && w->nsub && w->buf && w->tq && w->gfrac && w->hw && w->tpack && w->zpack;
    size_t per = (size_t)nvar * (lmax + 4) + lmax + (lmax + 1) + 2 * (size_t)nvar +
                 advect_line_scratch(lmax, nvar) + 4 * (size_t)nvar;
    if (tile_buf_size(lmax) > per) per = tile_buf_size(lmax);
    for (int t = 0; ok && t < w->nthreads; t++) ok = (w->buf[t] = malloc(per * sizeof(double))) != NULL;
    if (!ok) {
        advect_work_free(w);
        return NULL;
    }
    return w;
}

void advect_work_set_reference(AdvectWork *w, int on) { w->reference = on != 0; }

void advect_work_set_layer_fusion(AdvectWork *w, int on) { w->fuse = on != 0; }

void advect_work_free(AdvectWork *w)
{
    if (!w) return;
    for (int t = 0; w->buf && t < w->nthreads; t++) free(w->buf[t]);
    free(w->buf);
    free(w->m);
    free(w->tally);
    free(w->gfrac);
    free(w->hw);
    free(w->tpack);
    free(w->zpack);
    free(w->tq);
    free(w->status);
    free(w->nsub);
    free(w);
}

static int sweep_finish(AdvectWork *w, int dir, int slot, int nlines, double *in, double *out,
                        int *max_sub, BgErr *e);

/* The z sweep's per-column results folded into per-chunk entries as sweep_tile makes them: the
 * first failing column, the largest sub-step count, the boundary amounts added in column order.
 * In place: chunk ch's entry precedes (or is) its first column's, and every column before that
 * belongs to an earlier chunk, already read. */
static void fold_z_chunks(AdvectWork *w)
{
    const int nx = w->nx, ny = w->ny, nch = par_nchunks(nx), nv2 = 2 * w->nvar;
    for (int j = 0; j < ny; j++)
        for (int c = 0; c < nch; c++) {
            const int ch = j * nch + c, line0 = j * nx + c * PAR_CHUNK;
            const int nl = nx - c * PAR_CHUNK < PAR_CHUNK ? nx - c * PAR_CHUNK : PAR_CHUNK;
            int st = 0, ns = 1;
            for (int l = 0; l < nl; l++) {
                if (w->status[line0 + l] && !st) st = 1 + l;
                if (w->nsub[line0 + l] > ns) ns = w->nsub[line0 + l];
            }
            w->status[ch] = st;
            w->nsub[ch] = ns;
            double *p = w->tally + (size_t)ch * nv2;
            const double *t0 = w->tally + (size_t)line0 * nv2;
            for (int x = 0; x < nv2; x++) {
                double a = t0[x];
                for (int l = 1; l < nl; l++) a += t0[(size_t)l * nv2 + x];
                p[x] = a;
            }
        }
}

/* The reference sweep, line by line.  dir 0: x (lines (k,j)), 1: y (lines (k,i)), 2: z (columns (j,i)).
 * For z the face fluxes are diagnosed from continuity against m1. */
static int sweep_lines(AdvectWork *w, int dir, double *const *q, const double *flux, const double *m1, double dt,
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
        /* x, y: the two ends' amounts are the line's entry; z: their sum lo + hi (as sweep_tile) */
        double *tin = w->tally + (size_t)line * tally_stride(w, dir), *tout = tin + nvar;
        double *ends = dir == 2 ? scr + advect_line_scratch(L, nvar) : tin;
        int ns = 1;
        w->status[line] = line_sweep(w->sch, n, ml, fl, dt, w->cfl_max, nvar, ql, ld, bclo, bchi, ends, scr, &ns);
        if (dir == 2)
            for (int v = 0; v < nvar; v++) {
                tin[v] = w->status[line] ? 0.0 : ends[v] + ends[2 * nvar + v];
                tout[v] = w->status[line] ? 0.0 : ends[nvar + v] + ends[3 * nvar + v];
            }
        else if (w->status[line])
            memset(tin, 0, tally_stride(w, dir) * sizeof *tin);
        w->nsub[line] = ns;
        for (int v = 0; v < nvar; v++) {
            double *dst = q[v] + base;
            const double *src = ql + (size_t)v * ld;
            if (stride == 1) memcpy(dst, src, (size_t)n * sizeof *dst);
            else for (int c = 0; c < n; c++) dst[c * stride] = src[c];
        }
        for (int c = 0; c < n; c++) w->m[base + c * stride] = ml[c];
    }
    if (dir == 2) fold_z_chunks(w);
    return sweep_finish(w, dir, 0, sweep_entries(w, dir), in, out, max_sub, e);
}

/* Courant numbers and end masses of one sub-step of a tile, from the start masses m0; lanes past
 * their own sub-step count (act[w] == 0) keep their mass.  Per lane the operations of advect_line. */
TILE_CLONES static void tile_substep_coeffs(int n, const double *f, const double *hf, const int *act,
                                const double *m0, double *c, double *m1, double *rinv)
{
    const int ncl = n * T;
    for (int w = 0; w < T; w++) {
        c[w] = act[w] && f[w] < 0 ? hf[w] / m0[w] : 0.0;
        c[ncl + w] = act[w] && f[ncl + w] >= 0 ? hf[ncl + w] / m0[ncl - T + w] : 0.0;
    }
#pragma omp simd
    for (int x = T; x < ncl; x++) c[x] = f[x] >= 0 ? hf[x] / m0[x - T] : hf[x] / m0[x];
    for (int i = 0; i < n; i++) {
        const double *hl = hf + (size_t)i * T, *ml = m0 + (size_t)i * T;
        double *mn = m1 + (size_t)i * T, *ri = rinv + (size_t)i * T, *cl = c + (size_t)i * T;
        for (int w = 0; w < T; w++) {
            mn[w] = act[w] ? ml[w] + (hl[w] - hl[w + T]) : ml[w];
            ri[w] = 1.0 / mn[w];
            if (i > 0 && !act[w]) cl[w] = 0.0;
        }
    }
}

/* The flux-form update of one sub-step; lanes past their sub-step count (act == 0) keep q. */
TILE_CLONES static void tile_update(int n, int all, const int *act, double *qb, const double *ms,
                                    const double *hf, const double *qf, const double *ri)
{
    const int ncl = n * T;
    if (all) {
#pragma omp simd
        for (int x = 0; x < ncl; x++)
            qb[x] = (ms[x] * qb[x] + (hf[x] * qf[x] - hf[x + T] * qf[x + T])) * ri[x];
        return;
    }
    for (int c = 0; c < n; c++)
#pragma omp simd
        for (int l = 0; l < T; l++) {
            size_t x = (size_t)c * T + l;
            double qn = (ms[x] * qb[x] + (hf[x] * qf[x] - hf[x + T] * qf[x + T])) * ri[x];
            qb[x] = act[l] ? qn : qb[x];
        }
}

/* Copies n cells of nl lanes (cell stride cs, lane stride ls) into a [cell][lane] tile; the
 * padding lanes repeat the last one so their arithmetic stays finite. */
static void tile_gather(double *dst, const double *src, int n, size_t cs, size_t ls, int nl)
{
    if (nl == T && ls == 1) {
        for (int c = 0; c < n; c++) memcpy(dst + (size_t)c * T, src + c * cs, T * sizeof *dst);
        return;
    }
#ifdef __SSE2__
    if (nl == T && cs == 1) {
        /* a full tile of x lines is a transpose of 8 rows: 2 x 2 blocks of two rows' adjacent
         * cells (two loads, two unpacks, two stores for four values; the clamped index of the
         * general loop cost six instructions per value) */
        int c = 0;
        for (; c + 1 < n; c += 2)
            for (int w = 0; w < T; w += 2) {
                __m128d r0 = _mm_loadu_pd(src + w * ls + c), r1 = _mm_loadu_pd(src + (w + 1) * ls + c);
                _mm_storeu_pd(dst + (size_t)c * T + w, _mm_unpacklo_pd(r0, r1));
                _mm_storeu_pd(dst + (size_t)(c + 1) * T + w, _mm_unpackhi_pd(r0, r1));
            }
        for (; c < n; c++)
            for (int w = 0; w < T; w++) dst[(size_t)c * T + w] = src[w * ls + c];
        return;
    }
#endif
    for (int c = 0; c < n; c++)
        for (int w = 0; w < T; w++) dst[(size_t)c * T + w] = src[c * cs + (w < nl ? w : nl - 1) * ls];
}

static void tile_scatter(double *dst, const double *src, int n, size_t cs, size_t ls, int nl)
{
    if (nl == T && ls == 1) {
        for (int c = 0; c < n; c++) memcpy(dst + c * cs, src + (size_t)c * T, T * sizeof *dst);
        return;
    }
#ifdef __SSE2__
    if (nl == T && cs == 1) { /* the transpose back, as tile_gather */
        int c = 0;
        for (; c + 1 < n; c += 2)
            for (int w = 0; w < T; w += 2) {
                __m128d c0 = _mm_loadu_pd(src + (size_t)c * T + w), c1 = _mm_loadu_pd(src + (size_t)(c + 1) * T + w);
                _mm_storeu_pd(dst + w * ls + c, _mm_unpacklo_pd(c0, c1));
                _mm_storeu_pd(dst + (w + 1) * ls + c, _mm_unpackhi_pd(c0, c1));
            }
        for (; c < n; c++)
            for (int w = 0; w < T; w++) dst[w * ls + c] = src[(size_t)c * T + w];
        return;
    }
#endif
    for (int c = 0; c < n; c++)
        for (int w = 0; w < nl; w++) dst[c * cs + w * ls] = src[(size_t)c * T + w];
}

/* One tile of nl <= T adjacent lines (lines line0 .. line0+nl-1 of the sweep). */
static void sweep_tile(AdvectWork *w, int dir, double *const *q, const double *flux,
                       const double *m1, double dt, const AdvectBC *bc, int k, int j, int i,
                       int line0, int nl, int nb, int o2, int l2, int nnl, int slot, TileBuf *tb)
{
    int *status = w->status + slot * w->nlines, *nsubl = w->nsub + slot * w->nlines;
    double *tally = w->tally + slot * w->nlines * 4 * (size_t)w->nvar;
    const int nx = w->nx, ny = w->ny, nz = w->nz, nvar = w->nvar;
    const size_t plane = (size_t)nx * ny;
    int n;
    size_t base, cs, ls;
    double *f = tb->f;
    /* A distributed x or y sweep takes the cells e0 .. e1-1 of its lines: the owned ones and
     * seg_h[k] more on either side.  An end of that segment inside the grid is artificial: its
     * ghosts are zero gradient and its face keeps what the scheme made of them; the error this
     * makes moves inwards by at most the scheme's dependence width per sub-step, so the owned
     * cells see exactly the arithmetic of the whole line (docs/parallel.md).  The amounts through
     * a domain end are kept only by the rank owning that end's cell. */
    const int len = dir == 0 ? nx : ny, seg = w->seg_on && dir != 2;
    int e0 = 0, e1 = len, own_lo = 1, own_hi = 1;
    if (seg) {
        e0 = w->seg_o0 - w->seg_h[k] > 0 ? w->seg_o0 - w->seg_h[k] : 0;
        e1 = w->seg_o1 + w->seg_h[k] < len ? w->seg_o1 + w->seg_h[k] : len;
        own_lo = w->seg_o0 == 0;
        own_hi = w->seg_o1 == len;
    }
    const int real_lo = e0 == 0, real_hi = e1 == len;
    if (dir == 0) { /* lanes: rows j .. j+nl-1 of layer k */
        n = e1 - e0; base = (size_t)k * plane + (size_t)j * nx + e0; cs = 1; ls = nx;
        tile_gather(f, flux + ((size_t)k * ny + j) * (nx + 1) + e0, n + 1, 1, nx + 1, nl);
    } else if (dir == 1) { /* lanes: columns i .. i+nl-1 of layer k */
        n = e1 - e0; base = (size_t)k * plane + (size_t)e0 * nx + i; cs = nx; ls = 1;
        tile_gather(f, flux + ((size_t)k * (ny + 1) + e0) * nx + i, n + 1, nx, 1, nl);
    } else { /* lanes: columns i .. i+nl-1 of row j */
        n = nz; base = (size_t)j * nx + i; cs = plane; ls = 1;
    }
    /* the next tile: its field lines (y, z) and boundary values are prefetched below */
    const size_t nbase = dir == 1 ? (size_t)o2 * plane + (size_t)e0 * nx + l2 : (size_t)o2 * nx + l2;
    const double *nbc0 = NULL, *nbc1 = NULL;
    if (nb && bc) {
        if (dir == 0) {
            nbc0 = bc->west + (size_t)o2 * ny + l2; nbc1 = bc->east + (size_t)o2 * ny + l2;
        } else if (dir == 1) {
            nbc0 = bc->south + (size_t)o2 * nx + l2; nbc1 = bc->north + (size_t)o2 * nx + l2;
        } else {
            nbc0 = nbc1 = bc->top + (size_t)o2 * nx + l2;
        }
    }
    double *m0 = tb->ms[0];
    tile_gather(m0, w->m + base, n, cs, ls, nl);
    if (nb && dir != 0)
        for (int c = 0; c < n; c++) {
            __builtin_prefetch(w->m + nbase + c * cs);
            __builtin_prefetch(w->m + nbase + c * cs + (nnl - 1) * ls);
        }
    if (dir == 2) {
        /* continuity: the mass after the step must equal the met's m1 in every layer */
        double *m1t = tb->qf; /* free until the variables start */
        tile_gather(m1t, m1 + base, n, cs, ls, nl);
        for (int l = 0; l < T; l++) f[l] = 0.0;
        for (int c = 0; c < n; c++)
            for (int l = 0; l < T; l++)
                f[(size_t)(c + 1) * T + l] = f[(size_t)c * T + l] + (m0[(size_t)c * T + l] - m1t[(size_t)c * T + l]) / dt;
    }
    /* sub-steps per lane, as advect_line (the maximum does not depend on the order) */
    int nsub[T], bad = 0, smax = 1;
    double h[T], maxfrac[T];
    int okl[T];
    /* z: one entry per tile, its chunk (fold_z_chunks makes the same from the reference path) */
    const int zch = dir == 2 ? j * par_nchunks(nx) + i / T : -1;
    if (dir == 2) status[zch] = 0;
    else
        for (int l = 0; l < nl; l++) status[line0 + l] = 0;
    for (int l = 0; l < T; l++) {
        /* a segment takes its line's count from the whole line's largest fraction (padding lanes
         * repeat the last line, as their data do) */
        maxfrac[l] = seg ? w->gfrac[line0 + (l < nl ? l : nl - 1)] : 0.0;
        okl[l] = 1;
    }
    for (int c = 0; c < n && !seg; c++) {
        const double *fl = f + (size_t)c * T, *fr = fl + T, *mc = m0 + (size_t)c * T;
#pragma omp simd
        for (int l = 0; l < T; l++) {
            double outflow = tmax(fr[l], 0.0) + tmax(-fl[l], 0.0);
            double mend = mc[l] + dt * (fl[l] - fr[l]);
            okl[l] &= (mend > 0.0) & (mc[l] > 0.0);
            double frac = outflow * dt / tmin(mc[l], mend);
            maxfrac[l] = frac > maxfrac[l] ? frac : maxfrac[l];
        }
    }
    for (int l = 0; l < T; l++) {
        int ok = okl[l] && maxfrac[l] <= 1e4 * w->cfl_max;
        nsub[l] = ok ? (maxfrac[l] > w->cfl_max ? (int)ceil(maxfrac[l] / w->cfl_max) : 1) : 1;
        if (!ok && l < nl) {
            if (dir == 2 && !bad) status[zch] = 1 + l;
            else if (dir != 2) status[line0 + l] = -1;
            bad = 1;
        }
        h[l] = dt / nsub[l];
        if (nsub[l] > smax) smax = nsub[l];
    }
    if (dir == 2) {
        int ns = 1;
        for (int l = 0; l < nl; l++) ns = nsub[l] > ns ? nsub[l] : ns;
        nsubl[zch] = ns;
    } else
        for (int l = 0; l < nl; l++) nsubl[line0 + l] = nsub[l];
    if (bad) return; /* the sweep fails; leave the tile as it was */
    for (int c = 0; c <= n; c++)
        for (int l = 0; l < T; l++) tb->hf[(size_t)c * T + l] = h[l] * f[(size_t)c * T + l];
    int act[NSC][T];
    const int keep = smax <= NSC; /* coefficients of every sub-step kept for all variables */
    const int ppm = w->sch == &advect_ppm;
    int sgn[NSC] = {0};
    if (keep)
        for (int s = 0; s < smax; s++) {
            for (int l = 0; l < T; l++) act[s][l] = s < nsub[l];
            tile_substep_coeffs(n, f, tb->hf, act[s], tb->ms[s], tb->c[s], tb->ms[s + 1], tb->rinv[s]);
            if (ppm) sgn[s] = tile_face_sign(n, tb->c[s]);
        }
    const int ncl = n * T;
    double *qb = tb->qb, *qf = tb->qf, *hf = tb->hf;
    for (int v = 0; v < nvar; v++) {
        double lo_bc[T], hi_bc[T], tinl[T], toutl[T], tinh[T], touth[T];
        for (int l = 0; l < T; l++) {
            int ll = l < nl ? l : nl - 1;
            if (dir == 0) {
                lo_bc[l] = bc->west[((size_t)v * nz + k) * ny + j + ll];
                hi_bc[l] = bc->east[((size_t)v * nz + k) * ny + j + ll];
            } else if (dir == 1) {
                lo_bc[l] = bc->south[((size_t)v * nz + k) * nx + i + ll];
                hi_bc[l] = bc->north[((size_t)v * nz + k) * nx + i + ll];
            } else {
                lo_bc[l] = 0.0; /* the ground: no flow */
                hi_bc[l] = bc->top[((size_t)v * ny + j) * nx + i + ll];
            }
            tinl[l] = toutl[l] = tinh[l] = touth[l] = 0.0;
        }
        tile_gather(qb, q[v] + base, n, cs, ls, nl);
        /* the y and z gathers read one or two cache lines per cell at a large stride, which the
         * hardware prefetcher does not follow: ask for the next tile's lines of this variable
         * while it computes (a whole tile of work ahead, so they arrive in time) */
        if (nb && dir != 0)
            for (int c = 0; c < n; c++) {
                const double *p = q[v] + nbase + c * cs;
                __builtin_prefetch(p);
                __builtin_prefetch(p + (nnl - 1) * ls);
            }
        if (nbc0) { /* boundary values: [v][k][j] west/east, [v][k][i] south/north, [v][j][i] top */
            size_t vo = (size_t)v * (dir == 0 ? (size_t)nz * ny : dir == 1 ? (size_t)nz * nx : plane);
            __builtin_prefetch(nbc0 + vo);
            __builtin_prefetch(nbc0 + vo + nnl - 1);
            __builtin_prefetch(nbc1 + vo);
            __builtin_prefetch(nbc1 + vo + nnl - 1);
        }
        for (int s = 0; s < smax; s++) {
            int sl = keep ? s : s & 1; /* without keep: two mass slots in turn */
            int *a = keep ? act[s] : act[0];
            double *ms = keep ? tb->ms[s] : tb->ms[sl], *cc = keep ? tb->c[s] : tb->c[0],
                   *ri = keep ? tb->rinv[s] : tb->rinv[0];
            if (!keep) {
                if (s == 0 && v > 0) tile_gather(tb->ms[0], w->m + base, n, cs, ls, nl);
                for (int l = 0; l < T; l++) a[l] = s < nsub[l];
                tile_substep_coeffs(n, f, hf, a, ms, cc, tb->ms[1 - sl], ri);
                if (ppm) sgn[0] = tile_face_sign(n, cc);
            }
            int all = 1;
            for (int l = 0; l < T; l++) {
                all &= a[l];
                /* ghosts: the boundary value on inflow, zero gradient on outflow or no flow */
                double lo = real_lo && f[l] > 0 ? lo_bc[l] : qb[l],
                       hi = real_hi && f[ncl + l] < 0 ? hi_bc[l] : qb[ncl - T + l];
                qb[l - 2 * T] = qb[l - T] = lo;
                qb[ncl + l] = qb[ncl + T + l] = hi;
            }
            if (ppm)
                faces_ppm_tile_sgn(n, qb, cc, qf, tb->tmp, sgn[keep ? s : 0]);
            else
                w->sch->faces_tile(n, qb, cc, qf, tb->tmp);
            for (int l = 0; l < T; l++) {
                if (real_lo && f[l] > 0) qf[l] = lo_bc[l];
                if (real_hi && f[ncl + l] < 0) qf[ncl + l] = hi_bc[l];
                if (a[l]) { /* per end, as advect_line */
                    double a0 = hf[l] * qf[l], an = hf[ncl + l] * qf[ncl + l];
                    if (a0 > 0) tinl[l] += a0; else toutl[l] -= a0;
                    if (an > 0) touth[l] += an; else tinh[l] -= an;
                }
            }
            tile_update(n, all, a, qb, ms, hf, qf, ri);
        }
        tile_scatter(q[v] + base, qb, n, cs, ls, nl);
        if (dir == 2) { /* the chunk's partial, columns in order (as fold_z_chunks) */
            double si = tinl[0] + tinh[0], so = toutl[0] + touth[0];
            for (int l = 1; l < nl; l++) {
                si += tinl[l] + tinh[l];
                so += toutl[l] + touth[l];
            }
            double *tl = tally + (size_t)zch * 2 * nvar;
            tl[v] = si;
            tl[nvar + v] = so;
        } else
            for (int l = 0; l < nl; l++) {
                double *tl = tally + (size_t)(line0 + l) * 4 * nvar;
                tl[v] = own_lo ? tinl[l] : 0.0;
                tl[nvar + v] = own_lo ? toutl[l] : 0.0;
                tl[2 * nvar + v] = own_hi ? tinh[l] : 0.0;
                tl[3 * nvar + v] = own_hi ? touth[l] : 0.0;
            }
    }
    tile_scatter(w->m + base, tb->ms[keep ? smax : (smax & 1)], n, cs, ls, nl);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

/* The tiled sweep: lines in tiles of T adjacent ones (x: rows of a layer, y: columns of a layer,
 * z: columns of a row), so every gather reads whole cache lines and the PPM loops vectorise
 * across the tile.  Lines outer oa .. ob-1, lanes la .. lb-1.  tid < 0: the tiles are shared
 * among the threads; tid >= 0: the calling thread (of an enclosing parallel region, whose
 * number a nested region would not report) sweeps them all with its buffer. */
static void sweep_tiles_range(AdvectWork *w, int dir, double *const *q, const double *flux,
                              const double *m1, double dt, const AdvectBC *bc, int oa, int ob,
                              int la, int lb, int slot, int tid)
{
    const int nx = w->nx, ny = w->ny;
    const int nlane = dir == 0 ? ny : nx;
    const int per = (lb - la + T - 1) / T, ntiles = (ob - oa) * per;
#pragma omp parallel for schedule(static) if (tid < 0)
    for (int t = 0; t < ntiles; t++) {
        TileBuf tb = tile_buf(w->buf[tid < 0 ? omp_get_thread_num() : tid], w->lmax);
        int o = oa + t / per, l0 = la + (t % per) * T, nl = lb - l0 < T ? lb - l0 : T;
        int k = dir == 2 ? 0 : o, j = dir == 0 ? l0 : dir == 2 ? o : 0, i = dir == 0 ? 0 : l0;
        /* the next tile (outer o2, lanes l2 ..; its lines are prefetched, see sweep_tile) */
        int nb = t + 1 < ntiles, o2 = oa + (t + 1) / per, l2 = la + ((t + 1) % per) * T;
        int nnl = lb - l2 < T ? lb - l2 : T;
        sweep_tile(w, dir, q, flux, m1, dt, bc, k, j, i, o * nlane + l0, nl, nb, o2, l2, nnl, slot, &tb);
    }
}

/* The serial sweep (every line) or a distributed z sweep (the columns of this rank's block); a
 * line's result does not depend on the tile it shares (test_advect). */
static int sweep_tiles(AdvectWork *w, int dir, double *const *q, const double *flux,
                       const double *m1, double dt, const AdvectBC *bc, int slot)
{
    const int nx = w->nx, ny = w->ny, nz = w->nz;
    int outer, nlane; /* lines = outer x nlane, tiled along the lane index */
    if (dir == 0) { outer = nz; nlane = ny; }
    else if (dir == 1) { outer = nz; nlane = nx; }
    else { outer = ny; nlane = nx; }
    const ParDecomp *d = w->dec;
    int oa = 0, ob = outer, la = 0, lb = nlane;
    if (d && dir == 2) { oa = d->bj0; ob = d->bj1; la = d->bi0; lb = d->bi1; }
    sweep_tiles_range(w, dir, q, flux, m1, dt, bc, oa, ob, la, lb, slot, -1);
    return BG_OK;
}

/* Both horizontal sweeps, layer by layer: a layer's x sweep touches only that layer, so its y
 * sweep can follow at once and read the fields from cache instead of memory (a layer of 15
 * fields is ~3 MB on the bench grid, in L3; the separate sweeps read every field from memory
 * twice).  Layers are independent, so any thread may take any layer (the results do not depend
 * on which) and each sweep keeps its own per-line tallies (slots 0 and 1), summed in line order
 * afterwards exactly as in the separate sweeps.  Serial runs only: a distributed y sweep needs
 * the halos of the x sweep's results. */
static void sweep_xy_layers(AdvectWork *w, int first, double *const *q, const double *fx,
                            const double *fy, double dt, const AdvectBC *bc)
{
    const int nz = w->nz;
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = 0; k < nz; k++)
        for (int pass = 0; pass < 2; pass++) {
            int dir = pass == 0 ? first : 1 - first;
            sweep_tiles_range(w, dir, q, dir == 0 ? fx : fy, NULL, dt, bc, k, k + 1, 0,
                              dir == 0 ? w->ny : w->nx, pass, omp_get_thread_num());
        }
}

/* The end amounts of x (dir 0) or y lines of lanes la..lb-1 (rows for x, columns for y), end 0
 * (low) or 1 (high), added to in/out lane by lane, layer by layer within a lane. */
static void ends_add(const AdvectWork *w, int dir, int slot, int end, int la, int lb, double *in, double *out)
{
    const int nvar = w->nvar, nlane = dir == 0 ? w->ny : w->nx;
    const double *tally = w->tally + slot * w->nlines * 4 * (size_t)nvar + (size_t)end * 2 * nvar;
    for (int l = la; l < lb; l++)
        for (int k = 0; k < w->nz; k++) {
            const double *t = tally + ((size_t)k * nlane + l) * 4 * nvar;
            for (int v = 0; v < nvar; v++) {
                in[v] += t[v];
                out[v] += t[nvar + v];
            }
        }
}

/* Errors, the largest sub-step count and the boundary tallies in a fixed order, so the sums are
 * the same for any thread count and any decomposition.  x and y: every line's low end, lane by
 * lane (rows for x, columns for y) and layer by layer within a lane, then every line's high end
 * in the same order: a distributed run's low ends belong to the first block column (x) or row
 * (y), in lane order, its high ends to the last, so it can add them up in this order passing one
 * running sum along those ranks (dist_finish).  z: chunk entries in order. */
static int sweep_finish(AdvectWork *w, int dir, int slot, int nlines, double *in, double *out,
                        int *max_sub, BgErr *e)
{
    /* nlines: the entries of the sweep (sweep_entries) */
    const int nvar = w->nvar;
    const int *status = w->status + slot * w->nlines, *nsub = w->nsub + slot * w->nlines;
    const double *tally = w->tally + slot * w->nlines * 4 * (size_t)nvar;
    const int nch = par_nchunks(w->nx);
    for (int line = 0; line < nlines; line++) {
        if (status[line])
            return bg_fail(e, BG_EFAIL, "advection", dir == 0 ? "x" : dir == 1 ? "y" : "z",
                           "line %d: the mass-flux divergence empties a cell (inconsistent winds "
                           "or a step far beyond the Courant limit)",
                           dir == 2 ? line / nch * w->nx + line % nch * PAR_CHUNK + status[line] - 1 : line);
        if (max_sub && nsub[line] > *max_sub) *max_sub = nsub[line];
    }
    if (!in || !out) return BG_OK;
    if (dir == 2)
        for (int line = 0; line < nlines; line++) {
            const double *tin = tally + (size_t)line * 2 * nvar, *tout = tin + nvar;
            for (int v = 0; v < nvar; v++) {
                in[v] += tin[v];
                out[v] += tout[v];
            }
        }
    else {
        const int nlane = dir == 0 ? w->ny : w->nx;
        ends_add(w, dir, slot, 0, 0, nlane, in, out);
        ends_add(w, dir, slot, 1, 0, nlane, in, out);
    }
    return BG_OK;
}

/* The largest outflow fraction of every x (dir 0) or y (dir 1) line of layers 0..nz-1 whose lane
 * is la..lb-1, over its cells c0..c1-1 (+inf if a cell empties; 0 for the other lines): the
 * expressions of sweep_tile, so a maximum over pieces covering a line is the line's own. */
static void line_fracs(AdvectWork *w, int dir, const double *flux, double dt, int la, int lb, int c0, int c1)
{
    const int nx = w->nx, ny = w->ny, nz = w->nz, nlane = dir == 0 ? ny : nx;
    const size_t plane = (size_t)nx * ny;
    double *g = w->gfrac;
    memset(g, 0, (size_t)nz * nlane * sizeof *g);
#pragma omp parallel for schedule(static)
    for (int k = 0; k < nz; k++) {
        double *gk = g + (size_t)k * nlane;
        if (dir == 0)
            for (int j = la; j < lb; j++) {
                const double *f = flux + ((size_t)k * ny + j) * (nx + 1), *m = w->m + k * plane + (size_t)j * nx;
                double mx = 0.0;
                int ok = 1;
                for (int i = c0; i < c1; i++) {
                    double outflow = dmax(f[i + 1], 0.0) + dmax(-f[i], 0.0);
                    double mend = m[i] + dt * (f[i] - f[i + 1]);
                    ok &= (mend > 0.0) & (m[i] > 0.0);
                    double frac = outflow * dt / dmin(m[i], mend);
                    mx = frac > mx ? frac : mx;
                }
                gk[j] = ok ? mx : INFINITY;
            }
        else
            for (int jj = c0; jj < c1; jj++) {
                const double *fl = flux + ((size_t)k * (ny + 1) + jj) * nx, *fr = fl + nx,
                             *m = w->m + k * plane + (size_t)jj * nx;
                for (int i = la; i < lb; i++) {
                    double outflow = dmax(fr[i], 0.0) + dmax(-fl[i], 0.0);
                    double mend = m[i] + dt * (fl[i] - fr[i]);
                    double frac = outflow * dt / dmin(m[i], mend);
                    /* an emptied cell fails the line: +inf stays the maximum */
                    gk[i] = !((mend > 0.0) & (m[i] > 0.0)) ? INFINITY : frac > gk[i] ? frac : gk[i];
                }
            }
    }
}

/* Sub-step counts and failures of every line from gfrac (as sweep_tile makes them from its own
 * maximum), and the halo width of each layer: the scheme's dependence width times the layer's
 * largest count, or `halo` if >= 0.  Nonzero if a line fails. */
static int line_substeps(AdvectWork *w, int dir, int slot, int halo)
{
    int *status = w->status + slot * w->nlines, *nsub = w->nsub + slot * w->nlines;
    const int nlane = dir == 0 ? w->ny : w->nx;
    int fail = 0;
    for (int k = 0; k < w->nz; k++) {
        int smax = 1;
        for (int l = 0; l < nlane; l++) {
            const int line = k * nlane + l;
            const double g = w->gfrac[line];
            const int ok = g <= 1e4 * w->cfl_max;
            const int ns = ok ? (g > w->cfl_max ? (int)ceil(g / w->cfl_max) : 1) : 1;
            status[line] = ok ? 0 : -1;
            nsub[line] = ns;
            fail |= !ok;
            if (ns > smax) smax = ns;
        }
        w->hw[k] = halo >= 0 ? halo : w->sch->width * smax;
    }
    return fail;
}

/* The segment sweep of lanes la..lb-1 (every layer) on owned cells o0..o1-1 with the halo widths
 * w->hw, the sub-step counts of w->gfrac and zeroed tallies. */
static void sweep_segments(AdvectWork *w, int dir, int slot, double *const *q, const double *flux, double dt,
                           const AdvectBC *bc, int la, int lb, int o0, int o1)
{
    memset(w->tally + slot * w->nlines * 4 * (size_t)w->nvar, 0,
           (size_t)sweep_entries(w, dir) * tally_stride(w, dir) * sizeof *w->tally);
    w->seg_on = 1;
    w->seg_o0 = o0;
    w->seg_o1 = o1;
    w->seg_h = w->hw;
    sweep_tiles_range(w, dir, q, flux, NULL, dt, bc, 0, w->nz, la, lb, slot, -1);
    w->seg_on = 0;
}

/* The air mass after an x (dir 0) or y sweep in every cell of the grid, from the masses m before
 * it: the sub-steps of a cell's line each add the difference of its two faces' fluxes times the
 * sub-step, exactly as sweep_tile's mass update (so the cells a rank swept get the same bits). */
static void mass_after(AdvectWork *w, int dir, int slot, const double *flux, const double *m, double dt)
{
    const int *nsub = w->nsub + slot * w->nlines;
    const int nx = w->nx, ny = w->ny, nz = w->nz, nlane = dir == 0 ? ny : nx;
    const size_t plane = (size_t)nx * ny;
#pragma omp parallel for schedule(static)
    for (int k = 0; k < nz; k++) {
        if (dir == 0)
            for (int j = 0; j < ny; j++) {
                const int ns = nsub[k * nlane + j];
                const double h = dt / ns, *f = flux + ((size_t)k * ny + j) * (nx + 1);
                const double *a = m + k * plane + (size_t)j * nx;
                double *b = w->m + k * plane + (size_t)j * nx;
                for (int i = 0; i < nx; i++) {
                    double hl = h * f[i], hr = h * f[i + 1], mm = a[i];
                    for (int s = 0; s < ns; s++) mm = mm + (hl - hr);
                    b[i] = mm;
                }
            }
        else
            for (int j = 0; j < ny; j++) {
                const double *fl = flux + ((size_t)k * (ny + 1) + j) * nx, *fr = fl + nx;
                const double *a = m + k * plane + (size_t)j * nx;
                double *b = w->m + k * plane + (size_t)j * nx;
                const int *nsl = nsub + (size_t)k * nlane;
                for (int i = 0; i < nx; i++) {
                    const double h = dt / nsl[i];
                    double hl = h * fl[i], hr = h * fr[i], mm = a[i];
                    for (int s = 0; s < nsl[i]; s++) mm = mm + (hl - hr);
                    b[i] = mm;
                }
            }
    }
}

/* A distributed x or y sweep (docs/parallel.md).  Every rank knows the air mass of every cell
 * (the met's m0 before the first sweep; after it, mass_after recomputes every cell's, since a
 * mass changes only by the replicated face fluxes), so it finds every line's sub-step count by
 * itself, from the whole line, and the halo widths that follow; only the fields move (par_halo).
 * Then the rank's lines on their owned cells and halos; their tallies stay in slot `slot` until
 * dist_finish.  m_start: the first sweep's masses (the met's m0; NULL for the second sweep,
 * whose masses need no recomputing: the z sweep reads only the block's). */
static int sweep_xy_dist(AdvectWork *w, int dir, int slot, double *const *q, const double *flux, double dt,
                         const AdvectBC *bc, const double *m_start, int *max_sub, BgErr *e)
{
    ParDecomp *d = w->dec;
    const int nlines = sweep_entries(w, dir);
    const int la = dir == 0 ? d->bj0 : d->bi0, lb = dir == 0 ? d->bj1 : d->bi1;
    const int o0 = dir == 0 ? d->bi0 : d->bj0, o1 = dir == 0 ? d->bi1 : d->bj1;
    line_fracs(w, dir, flux, dt, 0, dir == 0 ? w->ny : w->nx, 0, dir == 0 ? w->nx : w->ny);
    if (line_substeps(w, dir, slot, -1)) return sweep_finish(w, dir, slot, nlines, NULL, NULL, max_sub, e);
    if (par_halo(d, w->tq, w->nvar, w->nz, dir, w->hw))
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory for the MPI exchange buffers");
    sweep_segments(w, dir, slot, q, flux, dt, bc, la, lb, o0, o1);
    if (m_start) mass_after(w, dir, slot, flux, m_start, dt);
    return sweep_finish(w, dir, slot, nlines, NULL, NULL, max_sub, e);
}

int advect_sweep_piece(AdvectWork *w, int dir, double *const *q, const double *m, const double *flux, double dt,
                       const AdvectBC *bc, int la, int lb, int o0, int o1, int halo, double *in, double *out,
                       int *max_sub, BgErr *e)
{
    memcpy(w->m, m, (size_t)w->nx * w->ny * w->nz * sizeof *w->m);
    line_fracs(w, dir, flux, dt, la, lb, 0, dir == 0 ? w->nx : w->ny);
    const int nlines = sweep_entries(w, dir);
    if (line_substeps(w, dir, 0, halo)) return sweep_finish(w, dir, 0, nlines, in, out, max_sub, e);
    sweep_segments(w, dir, 0, q, flux, dt, bc, la, lb, o0, o1);
    return sweep_finish(w, dir, 0, nlines, in, out, max_sub, e);
}

/* The end of a distributed advect_3d: the z sweep's failures and sub-step counts, and the
 * boundary amounts of all three sweeps added up in the serial order (sweep_finish), with one
 * gather, one pass of a running sum along a few ranks and one broadcast for the whole step.
 * - The x and y tallies stay where they were made: a line's low-end amounts belong to the first
 *   block column (x; block row for y), each rank holding a contiguous range of lanes, its
 *   high-end amounts to the last.  The running sum (2 nvar doubles, from the in/out every rank
 *   has) passes along the first sweep's low-end ranks in lane order, its high-end ranks, then the
 *   second sweep's, each adding its lines, and ends on rank 0: no line's amounts move.
 * - The z chunk entries (one owner each: blocks start on chunk boundaries) and each rank's
 *   largest z count and first z failure (entry and column as one number: the smallest is the
 *   first in the serial order) go to rank 0 in one gather; rank 0 adds the entries in chunk order.
 * - Rank 0 broadcasts the sums, the z failure and the z count.
 * zdone: the z sweep ran (slot 2).  Collective. */
static int dist_finish(AdvectWork *w, int first, int zdone, double *in, double *out, int *max_sub, BgErr *e)
{
    ParDecomp *d = w->dec;
    const int nvar = w->nvar, nv2 = 2 * nvar, nch = par_nchunks(w->nx), me = d->rank, R = d->nranks;
    const ParRect *rb = d->blocks;
    const int *zst = w->status + 2 * w->nlines, *zns = w->nsub + 2 * w->nlines;
    const double *zt = w->tally + 2 * w->nlines * 4 * (size_t)nvar;
    const int tl = in && out;
    /* this rank's part: its largest z count, its first z failure, its z entries */
    double *pk = w->zpack;
    int zmax = 1, zcode = INT_MAX;
    size_t n = 2;
    if (zdone) {
        const int c0 = rb[me].i0 / PAR_CHUNK, c1 = par_nchunks(rb[me].i1);
        for (int j = rb[me].j0; j < rb[me].j1; j++)
            for (int c = c0; c < c1; c++) {
                const int ent = j * nch + c;
                if (zns[ent] > zmax) zmax = zns[ent];
                if (zst[ent] && ent * PAR_CHUNK + zst[ent] - 1 < zcode) zcode = ent * PAR_CHUNK + zst[ent] - 1;
                if (tl) {
                    memcpy(pk + n, zt + (size_t)ent * nv2, nv2 * sizeof *pk);
                    n += nv2;
                }
            }
    }
    pk[0] = zmax;
    pk[1] = zcode;
    int *counts = d->scount;
    for (int p = 0; p < R; p++)
        counts[p] = 2 + (zdone && tl ? (rb[p].j1 - rb[p].j0) * (par_nchunks(rb[p].i1) - rb[p].i0 / PAR_CHUNK) * nv2 : 0);
    const double *all = NULL;
    if (par_gather_doubles(d, pk, (int)n, counts, &all))
        return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory for the MPI exchange buffers");
    /* the running sum: first sweep low ends, high ends, second sweep low, high, then rank 0 */
    double *acc = w->tpack;
    if (tl) {
        memcpy(acc, in, (size_t)nvar * sizeof *acc);
        memcpy(acc + nvar, out, (size_t)nvar * sizeof *acc);
        int prev = -1;
        for (int pass = 0; pass < 3; pass++) {
            const int dir = pass == 0 ? first : 1 - first, nb = dir == 0 ? d->py : d->px;
            for (int s = 0; s < (pass < 2 ? 2 * nb : 1); s++) {
                const int end = s >= nb, b = s % nb;
                const int r = pass == 2 ? 0
                              : dir == 0 ? b * d->px + (end ? d->px - 1 : 0)
                                         : (end ? d->py - 1 : 0) * d->px + b;
                if (r == me) {
                    if (prev >= 0 && prev != me) par_recv_doubles(prev, acc, (size_t)nv2);
                    if (pass < 2) {
                        const ParRect *q = &rb[me];
                        ends_add(w, dir, pass, end, dir == 0 ? q->j0 : q->i0, dir == 0 ? q->j1 : q->i1, acc,
                                 acc + nvar);
                    }
                } else if (prev == me)
                    par_send_doubles(r, acc, (size_t)nv2);
                prev = r;
            }
        }
    }
    if (me == 0) {
        int gmax = 1, gcode = INT_MAX;
        for (int p = 0; p < R; p++) {
            const double *a = p == 0 ? pk : all + d->rdispl[p];
            if ((int)a[0] > gmax) gmax = (int)a[0];
            if ((int)a[1] < gcode) gcode = (int)a[1];
        }
        if (zdone && tl && gcode == INT_MAX) {
            /* the other ranks' entries into place, then all in chunk order */
            double *zw = w->tally + 2 * w->nlines * 4 * (size_t)nvar;
            for (int p = 1; p < R; p++) {
                size_t o = (size_t)d->rdispl[p] + 2;
                for (int j = rb[p].j0; j < rb[p].j1; j++)
                    for (int c = rb[p].i0 / PAR_CHUNK; c < par_nchunks(rb[p].i1); c++, o += nv2)
                        memcpy(zw + ((size_t)j * nch + c) * nv2, all + o, nv2 * sizeof *all);
            }
            for (int ent = 0; ent < w->ny * nch; ent++)
                for (int v = 0; v < nvar; v++) {
                    acc[v] += zw[(size_t)ent * nv2 + v];
                    acc[nvar + v] += zw[(size_t)ent * nv2 + nvar + v];
                }
        }
        acc[nv2] = gmax;
        acc[nv2 + 1] = gcode;
    }
    par_bcast_doubles(acc, (size_t)nv2 + 2, 0);
    const int gmax = (int)acc[nv2], gcode = (int)acc[nv2 + 1];
    if (gcode != INT_MAX) {
        const int ent = gcode / PAR_CHUNK;
        return bg_fail(e, BG_EFAIL, "advection", "z",
                       "line %d: the mass-flux divergence empties a cell (inconsistent winds "
                       "or a step far beyond the Courant limit)",
                       ent / nch * w->nx + ent % nch * PAR_CHUNK + gcode % PAR_CHUNK);
    }
    if (zdone && max_sub && gmax > *max_sub) *max_sub = gmax;
    if (tl) {
        memcpy(in, acc, (size_t)nvar * sizeof *acc);
        memcpy(out, acc + nvar, (size_t)nvar * sizeof *acc);
    }
    return BG_OK;
}

static int sweep(AdvectWork *w, int dir, double *const *q, const double *flux, const double *m1, double dt,
                 const AdvectBC *bc, double *in, double *out, int *max_sub, BgErr *e)
{
    if (w->reference) return sweep_lines(w, dir, q, flux, m1, dt, bc, in, out, max_sub, e);
    const int nlines = sweep_entries(w, dir);
    const int dist = w->dec && w->dec->nranks > 1;
    /* a distributed z sweep (of the block; x and y: sweep_xy_dist) keeps its results in slot 2
     * for dist_finish */
    sweep_tiles(w, dir, q, flux, m1, dt, bc, dist ? 2 : 0);
    if (dist) return BG_OK;
    return sweep_finish(w, dir, 0, nlines, in, out, max_sub, e);
}

int advect_3d(AdvectWork *w, double *const *q, const double *m0, const double *m1, const double *fx,
              const double *fy, double dt, int x_first, const AdvectBC *bc, double *in, double *out,
              int *max_sub, BgErr *e)
{
    memcpy(w->m, m0, (size_t)w->nx * w->ny * w->nz * sizeof *w->m);
    if (max_sub) *max_sub = 1;
    int first = x_first ? 0 : 1;
    const int dist = w->dec && w->dec->nranks > 1;
    /* serial, tiled, and enough layers to share among the threads: both horizontal sweeps layer
     * by layer, then the z sweep */
    if (!dist && !w->reference && w->fuse && w->nz >= 2 * w->nthreads) {
        sweep_xy_layers(w, first, q, fx, fy, dt, bc);
        for (int pass = 0; pass < 2; pass++) {
            int dir = pass == 0 ? first : 1 - first;
            BG_TRY(sweep_finish(w, dir, pass, sweep_entries(w, dir), in, out,
                                max_sub, e));
        }
        if (w->nz > 1 || m1) BG_TRY(sweep(w, 2, q, NULL, m1, dt, bc, in, out, max_sub, e));
        return BG_OK;
    }
    /* distributed: the fields are current in the blocks; each horizontal sweep first fills its
     * halos, the z sweep works on the block's columns */
    if (dist)
        for (int v = 0; v < w->nvar; v++) w->tq[v] = q[v];
    int zdone = 0;
    for (int pass = 0; pass < 3; pass++) {
        int dir = pass == 2 ? 2 : pass == 0 ? first : 1 - first;
        if (dir == 2 && !(w->nz > 1 || m1)) break;
        zdone = dir == 2;
        if (dist && dir != 2)
            BG_TRY(sweep_xy_dist(w, dir, pass, q, dir == 0 ? fx : fy, dt, bc, pass == 0 ? m0 : NULL, max_sub, e));
        else
            BG_TRY(sweep(w, dir, q, dir == 0 ? fx : dir == 1 ? fy : NULL, dir == 2 ? m1 : NULL, dt, bc, in, out,
                         max_sub, e));
    }
    if (dist) {
        double t0 = omp_get_wtime();
        int rc = dist_finish(w, first, zdone, in, out, max_sub, e);
        w->dec->exchange_seconds += omp_get_wtime() - t0;
        return rc;
    }
    return BG_OK;
}
