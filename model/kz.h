/* Eddy diffusivity diagnosed from boundary-layer parameters when EXCH_H is absent. */
#ifndef BOGDA_KZ_H
#define BOGDA_KZ_H

/* One column.  nz layers; z_int[nz+1] interface heights above ground (m); theta[nz] potential
 * temperature (K); u[nz], v[nz] mass-point winds (m s-1); pblh (m), ust (m s-1), hfx (W m-2,
 * upward positive), rho_sfc (kg m-3), t_sfc (K).  Writes kz[nz+1] (m2 s-1) at interfaces:
 * kz[0] = kz[nz] = 0, the inner values at least kz_min.  Inside the boundary layer: similarity
 * profile k u* z (1 - z/h)^2 / phi_h(z/L); above: local Richardson-number closure. */
void kz_column(int nz, const double *z_int, const double *theta, const double *u, const double *v,
               double pblh, double ust, double hfx, double rho_sfc, double t_sfc, double kz_min,
               double *kz);

#endif
