/* Wet scavenging as first-order loss rates (s-1) per layer (DESIGN 4.5).
 *
 * Rain: the EMEP MSC-W scheme (Berge & Jakobsen 1998; Simpson et al. 2012, ACP 12, 7825):
 * in-cloud Lambda = W_in P / (h_s rho_w), below-cloud for gases W_sub P / (h_s rho_w) and for
 * particles E A P / V_dr.  Snow: particles below cloud Lambda = a P^b with the snow coefficients
 * of Maryon et al. (1991); gases taken up by snow and ice crystals only in proportion to their
 * retention on ice.  P is the precipitation rate in mm h-1 of water (WRF RAINNC + RAINC
 * differences, MetFields.rain).  docs/deposition.md has the formulas, values and sources.
 *
 * Coupling (the driver's job): per column and step, wetdep_column() gives rate[k] for each
 * scavenged species; the loss over dt is q *= exp(-rate dt), booked as wetdep in budget.csv. */
#ifndef BOGDA_WETDEP_H
#define BOGDA_WETDEP_H

typedef struct WetSpecies {
    int aerosol;      /* 1: particles, 0: gas */
    double w_in;      /* in-cloud scavenging ratio (mass per kg of water over mass per kg of air
                         in EMEP's form; 1e6 for fully dissolved) */
    double w_sub;     /* below-cloud scavenging ratio of a gas */
    double e_coll;    /* below-cloud collection efficiency of particles by raindrops */
    double snow_ret;  /* fraction of the rain scavenging a gas keeps in snow (retention on ice);
                         1 for particles */
} WetSpecies;

/* Cloud water mixing ratio (kg kg-1) from which a layer counts as cloud (threshold of PALM's
 * EMEP-based scheme, after van Zanten et al. 2011). */
#define WETDEP_QC_CLOUD 1e-5
/* Hydrometeor mixing ratio (kg kg-1) marking a layer through which precipitation falls. */
#define WETDEP_QP_MIN 1e-7

/* Scavenging parameters of a species of the species table: gases by name (EMEP values for SO2,
 * HNO3, NH3, H2O2, N2O5; HONO like HNO3); particles by mass-median diameter (fine <= 2.5 um:
 * E = 0.02, coarse: E = 0.4).  Returns 1 for a scavenged species, 0 for one that is not (sp is
 * then all zero: O3, NO, NO2, CO, ROC, NO3). */
int wetdep_species_preset(const char *name, int aerosol, double diameter_um, WetSpecies *sp);

/* Below-cloud and in-cloud rates (s-1) at precipitation rate precip_mm_h (0 gives 0); snow != 0
 * for precipitation falling as snow at that level. */
double wetdep_below_rate(const WetSpecies *sp, double precip_mm_h, int snow);
double wetdep_incloud_rate(const WetSpecies *sp, double precip_mm_h, int snow);

/* Column: nz layers (k = 0 lowest) with temperature t[nz] (K), cloud water qc[nz] and rain
 * qr[nz] and snow qs[nz] (kg kg-1; qr, qs may be NULL) and the surface precipitation rate.
 * Layers with qc >= WETDEP_QC_CLOUD get in-cloud rates; layers below the highest layer holding
 * cloud or precipitation get below-cloud rates (the whole column when no hydrometeor is found:
 * the precipitation falls from above it); layers above get 0.  A layer's precipitation is snow
 * where qs > qr, or where both are absent and t < 273.15 K.  rate[s*nz + k] for nsp species. */
void wetdep_column(int nz, const double *t, const double *qc, const double *qr, const double *qs,
                   double precip_mm_h, int nsp, const WetSpecies *sp, double *rate);

#endif
