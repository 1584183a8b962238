/* Wet scavenging rates: EMEP MSC-W for rain, Maryon et al. (1991) for particles in snow.
 * docs/deposition.md. */
#include "wetdep.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* EMEP MSC-W (Simpson et al. 2012, section 8 and Table 6; Berge & Jakobsen 1998) */
#define EMEP_HS 1000.0   /* scavenging depth h_s, m */
#define RHO_W 1000.0     /* water density, kg m-3 */
#define EMEP_A 5.2       /* m3 kg-1 s-1: Marshall-Palmer raindrop spectrum constant */
#define EMEP_VDR 5.0     /* raindrop fall speed, m s-1 */
/* Snow, particles below cloud: Lambda = a P^b, P in mm h-1 (Maryon et al. 1991, the UK Met
 * Office NAME model; consistent with the 0.9-5e-5 s-1 Kyro et al. 2009 measured for
 * 10 nm - 1 um particles in snowfall of ~0.1 mm h-1) */
#define SNOW_A 8.0e-5
#define SNOW_B 0.305
#define T_FREEZE 273.15

int wetdep_species_preset(const char *name, int aerosol, double diameter_um, WetSpecies *sp)
{
    memset(sp, 0, sizeof *sp);
    if (aerosol) {
        /* EMEP: W_in = 1e6 for PM; E = 0.02 fine, 0.4 coarse (Simpson et al. 2012 Table 6) */
        sp->aerosol = 1;
        sp->w_in = 1.0e6;
        sp->e_coll = diameter_um > 2.5 ? 0.4 : 0.02;
        sp->snow_ret = 1.0;
        return 1;
    }
    /* gases: W_in, W_sub from Simpson et al. (2012) Table 6.  Retention in snow and ice: the
     * strong acids stick to ice irreversibly (Abbatt 2003, Chem. Rev. 103, 4783): 1; the weakly
     * adsorbed, reversibly dissolved gases: 0.05, an assumption (docs/deposition.md) */
    static const struct { const char *name; double w_in, w_sub, snow_ret; } G[] = {
        {"SO2", 0.3e6, 0.15e6, 0.05}, {"HNO3", 1.4e6, 0.5e6, 1.0}, {"HONO", 1.4e6, 0.5e6, 1.0},
        {"NH3", 1.4e6, 0.5e6, 0.05},  {"H2O2", 1.4e6, 0.5e6, 0.05},
        {"N2O5", 1.4e6, 0.5e6, 1.0}, /* hydrolyses to HNO3 in any liquid: scavenged as HNO3 */
    };
    for (size_t i = 0; name && i < sizeof G / sizeof G[0]; i++)
        if (!strcmp(name, G[i].name)) {
            sp->w_in = G[i].w_in;
            sp->w_sub = G[i].w_sub;
            sp->snow_ret = G[i].snow_ret;
            return 1;
        }
    return 0;
}

/* The rates from the terms that depend only on the precipitation (p in kg m-2 s-1, and the snow
 * rate of particles a P^b), so that a column computes them, and the pow(), once rather than per
 * layer and species; the public rate functions below evaluate the same expressions. */
static inline double below_rate(const WetSpecies *sp, double p, double snow_pm, int snow)
{
    if (sp->aerosol) {
        if (sp->e_coll <= 0.0) return 0.0;
        return snow ? snow_pm : sp->e_coll * EMEP_A * p / EMEP_VDR;
    }
    return sp->w_sub * p / (EMEP_HS * RHO_W) * (snow ? sp->snow_ret : 1.0);
}

static inline double incloud_rate(const WetSpecies *sp, double p, int snow)
{
    /* particles in mixed-phase clouds are collected with the rimed droplets: no snow factor */
    return sp->w_in * p / (EMEP_HS * RHO_W) * (snow && !sp->aerosol ? sp->snow_ret : 1.0);
}

double wetdep_below_rate(const WetSpecies *sp, double precip_mm_h, int snow)
{
    if (!(precip_mm_h > 0.0)) return 0.0;
    double p = precip_mm_h / 3600.0; /* kg m-2 s-1 */
    double snow_pm = sp->aerosol && snow && sp->e_coll > 0.0 ? SNOW_A * pow(precip_mm_h, SNOW_B) : 0.0;
    return below_rate(sp, p, snow_pm, snow);
}

double wetdep_incloud_rate(const WetSpecies *sp, double precip_mm_h, int snow)
{
    if (!(precip_mm_h > 0.0)) return 0.0;
    return incloud_rate(sp, precip_mm_h / 3600.0, snow);
}

void wetdep_column(int nz, const double *t, const double *qc, const double *qr, const double *qs,
                   double precip_mm_h, int nsp, const WetSpecies *sp, double *rate)
{
    memset(rate, 0, (size_t)nsp * (size_t)nz * sizeof *rate);
    if (!(precip_mm_h > 0.0)) return;
    int top = -1;
    for (int k = nz - 1; k >= 0 && top < 0; k--)
        if (qc[k] >= WETDEP_QC_CLOUD || (qr && qr[k] >= WETDEP_QP_MIN) || (qs && qs[k] >= WETDEP_QP_MIN))
            top = k;
    if (top < 0) top = nz - 1;
    const double p = precip_mm_h / 3600.0, snow_pm = SNOW_A * pow(precip_mm_h, SNOW_B);
    /* a layer takes one of four rates of a species (in cloud or below, snow or rain): each is
     * computed once per column */
    for (int v = 0; v < nsp; v++) {
        const double r[4] = {below_rate(&sp[v], p, snow_pm, 0), below_rate(&sp[v], p, snow_pm, 1),
                             incloud_rate(&sp[v], p, 0), incloud_rate(&sp[v], p, 1)};
        double *rv = rate + (size_t)v * nz;
        for (int k = 0; k <= top; k++) {
            double rr = qr ? qr[k] : 0.0, s = qs ? qs[k] : 0.0;
            int snow = s > rr || (s == rr && t[k] < T_FREEZE);
            int cloud = qc[k] >= WETDEP_QC_CLOUD;
            rv[k] = r[2 * cloud + snow];
        }
    }
}
