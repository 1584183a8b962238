/* Eddy diffusivity for heat and tracers at layer interfaces, diagnosed from boundary-layer
 * parameters when the WRF output carries no EXCH_H.
 *
 * Inside the boundary layer (z < h): the similarity profile of Troen and Mahrt (1986,
 * Boundary-Layer Meteorol. 37, 129-148) and Holtslag and Boville (1993, J. Climate 6, 1825-1842),
 * here without their convective velocity scale,
 *     K = kappa u* z (1 - z/h)^2 / phi_h(z/L),
 * with the Businger-Dyer flux-profile function (Dyer 1974, Boundary-Layer Meteorol. 7, 363-372;
 * coefficients as re-evaluated by Hogstrom 1988, Boundary-Layer Meteorol. 42, 55-78)
 *     phi_h = 1 + 5 zeta (zeta >= 0),  (1 - 16 zeta)^(-1/2) (zeta < 0),
 * and the Obukhov length L = -u*^3 rho cp T / (kappa g H).
 *
 * Above it: a local first-order closure (Louis 1979, Boundary-Layer Meteorol. 17, 187-202, in the
 * form used for the free atmosphere of CCM2/CAM, Holtslag and Boville 1993)
 *     K = l^2 |dV/dz| F(Ri),  1/l = 1/(kappa z) + 1/lambda,  lambda = 30 m (Blackadar 1962,
 *     J. Geophys. Res. 67, 3095-3102),
 *     F = 1 / (1 + 10 Ri (1 + 8 Ri))  (Ri >= 0),   F = (1 - 18 Ri)^(1/2)  (Ri < 0).
 */
#include "kz.h"

#include <math.h>

#define KAPPA 0.4           /* von Karman constant (WRF share/module_model_constants.F, KARMAN) */
#define GRAV 9.81           /* m s-2 (WRF share/module_model_constants.F, g) */
#define CP_DRY 1004.5       /* J kg-1 K-1, 7/2 Rd with Rd = 287 (WRF module_model_constants.F) */
#define LAMBDA_BLACKADAR 30.0 /* m, asymptotic mixing length (Blackadar 1962; CAM, YSU use 30 m) */
#define UST_MIN 0.01        /* m s-1: u* guard; keeps L and the profile finite and nonzero when
                               WRF reports u* ~ 0 in calm nights */
#define ZETA_STABLE_MAX 1.0 /* beyond z/L = 1 the log-linear law is not supported by data
                               (Hogstrom 1988); phi_h is held at 1 + 5 */
#define KZ_MAX 1000.0       /* m2 s-1 (the cap of WRF's YSU scheme, xkzmax, module_bl_ysu.F) */
#define SHEAR_MIN 1e-12     /* s-2: |dV/dz|^2 below which the shear is taken as zero */

static double phi_h(double zeta)
{
    if (zeta >= 0) return 1.0 + 5.0 * fmin(zeta, ZETA_STABLE_MAX);
    return 1.0 / sqrt(1.0 - 16.0 * zeta);
}

/* Stability function of the free-atmosphere closure, Holtslag and Boville (1993). */
static double f_ri(double ri)
{
    if (ri >= 0) return 1.0 / (1.0 + 10.0 * ri * (1.0 + 8.0 * ri));
    return sqrt(1.0 - 18.0 * ri);
}

void kz_column(int nz, const double *z_int, const double *theta, const double *u, const double *v,
               double pblh, double ust, double hfx, double rho_sfc, double t_sfc, double kz_min,
               double *kz)
{
    double us = fmax(ust, UST_MIN);
    /* 1/L rather than L: the neutral case (H = 0) is then exactly zeta = 0. */
    double inv_l = -KAPPA * GRAV * hfx / (us * us * us * rho_sfc * CP_DRY * t_sfc);
    if (!isfinite(inv_l)) inv_l = 0;

    kz[0] = 0;
    kz[nz] = 0;
    for (int k = 1; k < nz; k++) {
        double z = z_int[k] - z_int[0];
        double K;
        if (z < pblh) {
            double s = 1.0 - z / pblh;
            K = KAPPA * us * z * s * s / phi_h(z * inv_l);
        } else {
            /* Gradients between the mass points below and above interface k. */
            double zm_lo = 0.5 * (z_int[k - 1] + z_int[k]);
            double zm_hi = 0.5 * (z_int[k] + z_int[k + 1]);
            double dz = zm_hi - zm_lo;
            double du = u[k] - u[k - 1], dv = v[k] - v[k - 1];
            double shear2 = (du * du + dv * dv) / (dz * dz);
            if (!(dz > 0) || shear2 < SHEAR_MIN) {
                K = 0;
            } else {
                double n2 = GRAV / (0.5 * (theta[k] + theta[k - 1])) * (theta[k] - theta[k - 1]) / dz;
                double ri = n2 / shear2;
                double l = KAPPA * z / (1.0 + KAPPA * z / LAMBDA_BLACKADAR);
                K = l * l * sqrt(shear2) * f_ri(ri);
            }
        }
        if (!isfinite(K)) K = kz_min;
        kz[k] = fmax(kz_min, fmin(K, KZ_MAX));
    }
}
