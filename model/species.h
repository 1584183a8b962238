/* The species table (config/species.csv): names, phase, molar mass, output units and the
 * deposition parameters of every chemical species.  Data, not code: the chemistry, output,
 * emission and deposition modules look species up by name.  docs/chemistry.md describes the
 * columns and their sources. */
#ifndef BOGDA_SPECIES_H
#define BOGDA_SPECIES_H

#include <stddef.h>

#include "err.h"

#define SPECIES_NAME_MAX 16

typedef enum { SPECIES_GAS = 0, SPECIES_AEROSOL = 1 } SpeciesPhase;

typedef struct Species {
    char name[SPECIES_NAME_MAX];
    SpeciesPhase phase;
    double molar_mass_kg_mol; /* of the molecule carried (ROC: per mole of carbon) */
    int transported;          /* 1: a field of the State; 0: diagnosed or steady state */
    int output_ugm3;          /* output units: 0 ppb (gases), 1 ug m-3 at ambient T, p */
    double henry_m_atm;       /* Henry constant at 298.15 K, M atm-1 (gases; 0 for aerosol) */
    double henry_temp_k;      /* -d ln H / d(1/T), K */
    double f0;                /* Wesely (1989) reactivity factor, 0..1 */
    double diameter_um;       /* aerosol mass-median dry diameter, um (0 for gases) */
    char cf_standard_name[128];
    char description[512];
} Species;

typedef struct SpeciesTable {
    int n;
    Species *s;
    char path[1024];
} SpeciesTable;

/* Loads the table from path; NULL or "" means the default location (species_default_path).
 * Malformed rows are BG_EINPUT errors naming "file:line" and the column. */
int species_load(SpeciesTable *t, const char *path, BgErr *e);
void species_free(SpeciesTable *t);

/* The default table next to the program: <dir of /proc/self/exe>/../config/species.csv, or
 * ../../config/species.csv (builds in build-asan/bin, test programs in build/tests).  Returns 0
 * and the path found, or -1 with buf set to the first candidate. */
int species_default_path(char *buf, size_t n);

/* Index of the species called name, or -1. */
int species_find(const SpeciesTable *t, const char *name);

/* Mixing ratio (ppb, nmol per mol of air) <-> mass concentration (ug m-3) at T (K) and p (Pa):
 * ug m-3 = ppb * M[g mol-1] * p / (R T) * 1e-3. */
double species_ppb_to_ugm3(const Species *s, double ppb, double T, double p);
double species_ugm3_to_ppb(const Species *s, double ugm3, double T, double p);

#endif
