/* Mass budget per species and output interval (budget.csv, DESIGN 2.4).  Amounts in kg;
 * emission, inflow, outflow, drydep and wetdep are >= 0, chemistry is signed. */
#ifndef BOGDA_BUDGET_H
#define BOGDA_BUDGET_H

#include <stdio.h>

#include "err.h"
#include "state.h"

enum { BUD_INITIAL, BUD_EMISSION, BUD_INFLOW, BUD_OUTFLOW, BUD_CHEMISTRY, BUD_DRYDEP, BUD_WETDEP,
       BUD_NTERMS };

typedef struct Budget {
    int nspec;
    double *acc;            /* [nspec][BUD_NTERMS] kg, the restart carries it */
    char tmp_path[1024], final_path[1024];
} Budget;

/* Total mass (kg) of species sp: sum of q * airm * M_s / M_air, in a fixed order. */
double budget_mass(const State *s, int sp, const double *airm);

/* Allocates the accumulators (no I/O). */
int budget_init_mem(Budget *b, const State *s, const char *dir, BgErr *e);
/* Creates budget.csv.tmp with its header (a fresh run). */
int budget_start_file(Budget *b, BgErr *e);
/* Sets every species' initial amount from the state. */
void budget_begin(Budget *b, const State *s, const double *airm);
/* Adds amounts in kg * mixing ratio of air (advection tallies) converted to kg of species sp. */
static inline void budget_add_airq(Budget *b, const State *s, int term, int sp, double kg_air_q)
{
    b->acc[sp * BUD_NTERMS + term] += kg_air_q * s->spec[sp].molar_mass / BG_M_AIR;
}
/* Appends one row per species stamped at s->time and starts the next interval. */
int budget_write(Budget *b, const State *s, const double *airm, BgErr *e);
/* Keeps the rows of an existing budget.csv (or its .tmp) stamped at or before t (continuation). */
int budget_continue(Budget *b, double t, BgErr *e);
int budget_finish(Budget *b, BgErr *e);
void budget_free(Budget *b);

#endif
