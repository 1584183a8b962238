/* Layer-by-layer Briggs plume rise (docs/plumerise.md).
 *
 * The walk follows CAMx plumeris (TUPOS-based): starting in the layer holding the release height,
 * each layer is classed stable or neutral/unstable from its potential-temperature gradient, the
 * final rise is computed with that layer's wind, temperature and stability from the buoyancy flux
 * still carried, and if the plume would leave the layer the flux that is left at the layer top is
 * passed to the next layer.  Two deliberate differences from CAMx, both explained in the doc:
 * the residual flux is the exact inverse of the min{} of the two laws (so a uniform atmosphere
 * gives exactly the single-formula rise), and the stable rise is not reduced to 2/3. */
#include "plumerise.h"

#include <math.h>
#include <string.h>

/* Standard gravity, m s-2 (3rd CGPM 1901).  CAMx plumeris uses 9.8. */
#define PR_G 9.80665
/* A layer is stable above this potential-temperature gradient, K m-1 (TUPOS, CAMx plumeris;
 * DESIGN 4.4). */
#define PR_STABLE_DTHDZ 1.5e-3
/* Floor of the wind speed in the rise formulas, m s-1: Briggs' laws diverge as u -> 0 (CAMx
 * plumeris sets the same floor). */
#define PR_UMIN 1.0
/* Briggs (1975) neutral/unstable final rise: 30 (F/u)^0.6 and 24 (F/u^3)^0.6 (hs + 200 F/u^3)^0.4
 * (TUPOS, CAMx plumeris; DESIGN 4.4). */
#define PR_N1 30.0
#define PR_N2 24.0
#define PR_N2H 200.0
/* Briggs (1975) stable final rise written with dtheta/dz instead of s = (g/T) dtheta/dz:
 * 2.6^3 / g = 1.8 (windy, 2.6 (F/(u s))^(1/3)) and 4^(8/3) / g = 4.1 (calm, 4 F^(1/4) s^(-3/8))
 * (CAMx plumeris; DESIGN 4.4). */
#define PR_S1 1.8
#define PR_S2 4.1
/* Briggs (1969) momentum rise of a jet in neutral air, 3 d v / u (CAMx plumeris). */
#define PR_M_NEUTRAL 3.0
/* Briggs (1975) stable momentum rise 1.5 (Fm / (u sqrt(s)))^(1/3), Fm = v^2 d^2 Ta / (4 Ts), with
 * s = (g/Ta) dtheta/dz: 1.5 * 4^(-1/3) * g^(-1/6) = 0.646 (CAMx plumeris). */
#define PR_M_STABLE 0.646
/* Briggs (1974) stack-tip downwash: h' = h + 2 d (v/u - 1.5) when v < 1.5 u. */
#define PR_DW_RATIO 1.5
#define PR_DW_COEF 2.0

PlumeOptions plume_options_default(void)
{
    return (PlumeOptions){.downwash = 1, .momentum = 1, .spread = 0.5};
}

/* Layer holding height z: zf[k] <= z < zf[k+1], clamped to the column. */
static int layer_of(const PlumeColumn *c, double z)
{
    int k = 0;
    while (k < c->nz - 1 && z >= c->zf[k + 1]) k++;
    return k;
}

/* dtheta/dz across interface k (between the mass points of layers k-1 and k), 1 <= k <= nz-1. */
static double dthdz_interface(const PlumeColumn *c, int k)
{
    double z0 = 0.5 * (c->zf[k - 1] + c->zf[k]), z1 = 0.5 * (c->zf[k] + c->zf[k + 1]);
    return (c->theta[k] - c->theta[k - 1]) / (z1 - z0);
}

/* Stability of layer k as CAMx plumeris judges it: a layer the plume enters from below is
 * judged at its bottom interface (where the plume meets it); the release layer at the interface
 * nearest the release height. */
static double layer_dthdz(const PlumeColumn *c, int k, int release_layer, double z_release)
{
    if (c->nz < 2) return 0.0;
    if (!release_layer) return dthdz_interface(c, k);
    if (k == 0) return dthdz_interface(c, 1);
    if (k == c->nz - 1) return dthdz_interface(c, k);
    return z_release < 0.5 * (c->zf[k] + c->zf[k + 1]) ? dthdz_interface(c, k)
                                                        : dthdz_interface(c, k + 1);
}

static double wind_speed(const PlumeColumn *c, int k) { return hypot(c->u[k], c->v[k]); }

/* X = F/u^3 such that 24 X^0.6 (hs + 200 X)^0.4 = rem.  Newton on y = ln X: the function
 * 0.6 y + 0.4 ln(hs + 200 e^y) is increasing and convex, and both one-term approximations
 * (hs -> 0, hs dominant) lie at or right of the root, so Newton from the smaller of them
 * decreases monotonically onto it (4-6 iterations to round-off). */
static double law2_inverse(double rem, double hs)
{
    double c = log(rem / PR_N2);
    double y = c - 0.4 * log(PR_N2H);
    if (hs > 0) {
        double yb = (c - 0.4 * log(hs)) / 0.6;
        if (yb < y) y = yb;
    }
    for (int it = 0; it < 60; it++) {
        double ey = exp(y), den = hs + PR_N2H * ey;
        double h = 0.6 * y + 0.4 * log(den) - c;
        double dh = 0.6 + 0.4 * PR_N2H * ey / den;
        double dy = h / dh;
        y -= dy;
        if (fabs(dy) <= 1e-15 * (1.0 + fabs(y))) break;
    }
    return exp(y);
}

/* Buoyant rise above the release height hr, walking up the column from layer ks with the
 * buoyancy flux F0 at the stack.  Returns the rise and the layer where it ended. */
static double buoyant_rise(const PlumeColumn *c, int ks, double hr, double F0, int *k_end)
{
    const int nz = c->nz;
    const double cbrtF0 = cbrt(F0);
    double F = F0, zb = 0.0, rise = 0.0;
    int k = ks;
    for (;;) {
        const double zt = c->zf[k + 1] - hr;
        const double uk = fmax(wind_speed(c, k), PR_UMIN), Tk = c->t[k];
        const double sk = layer_dthdz(c, k, k == ks, hr);
        const int stable = sk > PR_STABLE_DTHDZ;
        double a1 = 0, a2 = 0;
        if (stable) {
            a1 = PR_S1 * Tk / (uk * sk);
            a2 = PR_S2 * Tk / (cbrtF0 * sk);
            double r1 = cbrt(a1 * F + zb * zb * zb);
            double r2 = pow(a2 * F + pow(zb, 8.0 / 3.0), 3.0 / 8.0);
            rise = fmin(r1, r2);
        } else {
            double X = F / (uk * uk * uk);
            double r1 = PR_N1 * pow(F / uk, 0.6);
            double r2 = PR_N2 * pow(X, 0.6) * pow(hr + PR_N2H * X, 0.4);
            rise = zb + fmin(r1, r2);
        }
        *k_end = k;
        if (rise <= zt || k == nz - 1) return rise;
        /* The flux left at the layer top is the one that, from zt, reaches the same final
         * height under this layer's laws.  Each law alone inverts in closed form (Newton for
         * the hs-dependent one); the min{} of two increasing laws inverts to the max of the
         * two inverses, so the next layer, if alike, continues to the same height. */
        double F1, F2;
        if (stable) {
            F1 = (rise * rise * rise - zt * zt * zt) / a1;
            F2 = (pow(rise, 8.0 / 3.0) - pow(zt, 8.0 / 3.0)) / a2;
        } else {
            double rem = rise - zt, u3 = uk * uk * uk;
            F1 = uk * pow(rem / PR_N1, 5.0 / 3.0);
            /* the Newton inverse is needed only if the hs law, fed F1, falls short of rem */
            double X1 = F1 / u3;
            F2 = PR_N2 * pow(X1, 0.6) * pow(hr + PR_N2H * X1, 0.4) >= rem
                     ? F1
                     : u3 * law2_inverse(rem, hr);
        }
        F = fmax(F1, F2);
        zb = zt;
        k++;
    }
}

void plume_rise(const Stack *s, const PlumeColumn *c, const PlumeOptions *opt, PlumeResult *r)
{
    PlumeOptions o = opt ? *opt : plume_options_default();
    const int nz = c->nz;
    double *frac = r->frac;
    memset(r, 0, sizeof *r);
    r->frac = frac;
    if (nz < 1) return;
    for (int k = 0; k < nz; k++) frac[k] = 0.0;
    for (int k = 0; k < nz; k++)
        if (!(c->zf[k + 1] > c->zf[k])) { frac[0] = 1.0; return; }

    const double d = s->diameter_m, v = s->velocity_m_s, Ts = s->temperature_k;
    const double h = s->height_m;
    const double u_stack = wind_speed(c, layer_of(c, h));

    /* Downwash lowers the release point; Briggs (1974) then uses h' for h everywhere. */
    double hr = h;
    if (o.downwash && u_stack > 0 && v < PR_DW_RATIO * u_stack)
        hr = h + PR_DW_COEF * d * (v / u_stack - PR_DW_RATIO);
    if (hr < c->zf[0]) hr = c->zf[0];
    const int ks = layer_of(c, hr);
    const double Ta = c->t[ks];

    double F0 = 0.0;
    if (Ts > Ta && v > 0 && d > 0) F0 = PR_G * v * d * d * (Ts - Ta) / (4.0 * Ts);
    double rise = 0.0;
    int k_top = ks;
    if (F0 > 0) rise = buoyant_rise(c, ks, hr, F0, &k_top);

    if (o.momentum && v > 0 && d > 0 && Ts > 0) {
        double u1 = fmax(wind_speed(c, ks), PR_UMIN);
        double mom = PR_M_NEUTRAL * d * v / u1;
        double sk = layer_dthdz(c, ks, 1, hr);
        if (sk > PR_STABLE_DTHDZ)
            mom = fmin(mom, PR_M_STABLE * cbrt(v * v * d * d / (Ts * u1)) * sqrt(Ta) /
                                pow(sk, 1.0 / 6.0));
        if (mom > rise) {
            rise = mom;
            r->momentum_used = 1;
            k_top = layer_of(c, hr + rise);
        }
    }

    const double he = hr + rise;
    double spread = o.spread < 0 ? 0 : o.spread > 1 ? 1 : o.spread;
    double bot = he - spread * rise, top = he + spread * rise;
    const double zlo = c->zf[0], zhi = c->zf[nz];
    if (bot < zlo) bot = zlo;
    if (top > zhi) top = zhi;
    if (bot >= zhi) bot = top = zhi;

    r->height_m = he;
    r->rise_m = rise;
    r->release_m = hr;
    r->bottom_m = bot;
    r->top_m = top;
    r->flux_m4_s3 = F0;
    r->k_stack = ks;
    r->k_top = k_top;

    if (!(top > bot)) {
        frac[layer_of(c, bot)] = 1.0;
        return;
    }
    double sum = 0.0;
    for (int k = 0; k < nz; k++) {
        double ov = fmin(top, c->zf[k + 1]) - fmax(bot, c->zf[k]);
        if (ov > 0) {
            frac[k] = ov;
            sum += ov;
        }
    }
    /* dividing by the sum rather than by top - bot makes the fractions sum to 1 to round-off */
    for (int k = 0; k < nz; k++) frac[k] /= sum;
}

void plume_column_from_met(const MetFields *f, int nx, int ny, int nz, int i, int j,
                           double *work, PlumeColumn *c)
{
    const size_t n2 = (size_t)nx * ny, cell = (size_t)j * nx + i;
    double *zf = work, *t = zf + nz + 1, *th = t + nz, *u = th + nz, *v = u + nz, *p = v + nz;
    for (int k = 0; k <= nz; k++) zf[k] = f->zf[k * n2 + cell];
    for (int k = 0; k < nz; k++) {
        size_t m = k * n2 + cell;
        t[k] = f->t[m];
        th[k] = f->theta[m];
        p[k] = f->p[m];
        size_t fu = ((size_t)k * ny + j) * (nx + 1) + i;
        u[k] = 0.5 * (f->u[fu] + f->u[fu + 1]);
        size_t fv = ((size_t)k * (ny + 1) + j) * nx + i;
        v[k] = 0.5 * (f->v[fv] + f->v[fv + nx]);
    }
    *c = (PlumeColumn){.nz = nz, .zf = zf, .t = t, .theta = th, .u = u, .v = v, .p = p,
                       .pblh = f->pblh[cell]};
}
