/* Units of species amounts with udunits2: whether a unit string is a mixing ratio (mole or mass
 * fraction) or a mass concentration, and its factor to mol mol-1 or kg m-3.  Used by the boundary
 * files (bcfile.c) and the [init] file (model.c). */
#ifndef BOGDA_UNITS_H
#define BOGDA_UNITS_H

#include <stddef.h>
#include <udunits2.h>

typedef struct Units {
    ut_system *sys;
    ut_unit *one, *kgm3, *pa, *m;
} Units;

/* Loads the udunits2 database (quietly); 0 or -1.  units_close frees what was loaded. */
int units_open(Units *u);
void units_close(Units *u);

/* Factor from text to the unit `to`; returns 0, -1 if unparsable, -2 if not convertible. */
int units_factor(const Units *u, const char *text, const ut_unit *to, double *f);

/* Classifies a species variable's units: *kind 0 mole fraction, 1 mass concentration; *f the
 * factor to mol mol-1 (mass fractions use M_air / molar_mass, *needs_mm = 1) or to kg m-3.
 * stdname (the CF standard_name, or "") decides a dimensionless unit that names neither mass nor
 * moles.  Returns 0, or -1 with a reason in why. */
int units_species(const Units *u, const char *units, const char *stdname, double molar_mass, int *kind,
                  double *f, int *needs_mm, char *why, size_t nwhy);

#endif
