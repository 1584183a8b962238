/* The model state: mixing ratios of every transported species in one contiguous block.
 * Layout q[s][k][j][i], flat ((s*nz + k)*ny + j)*nx + i.  Units: mol mol-1 of dry air for gases
 * and passive tracers.  Only State is written by a process step. */
#ifndef BOGDA_STATE_H
#define BOGDA_STATE_H

#include <stddef.h>

#define BG_NAME_LEN 32
#define BG_M_AIR 28.9644 /* g mol-1, dry air (U.S. Standard Atmosphere 1976) */

typedef struct StateSpecies {
    char name[BG_NAME_LEN];
    double molar_mass;  /* g mol-1 */
} StateSpecies;

typedef struct State {
    int nx, ny, nz, nspec;
    StateSpecies *spec; /* [nspec] */
    double *q;          /* [nspec][nz][ny][nx] mol mol-1 */
    double time;        /* s since 1970-01-01 UTC */
    long step;          /* sync steps taken since the run's (original) start */
    /* [nz][ny][nx] the gas chemistry's step size carried from each cell's previous sync step
     * (s; 0: none, the first step or a failed/retried cell), in the restart file as "chem_h";
     * NULL when the run has no gas chemistry (allocated by the model set-up, freed by
     * state_free) */
    double *chem_h;
} State;

int state_alloc(State *s, int nx, int ny, int nz, int nspec);
void state_free(State *s);
static inline size_t state_ncell(const State *s) { return (size_t)s->nx * s->ny * s->nz; }
static inline double *state_species(const State *s, int sp) { return s->q + (size_t)sp * state_ncell(s); }

#endif
