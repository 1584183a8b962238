/* The chemical-model processes behind the Process interface (model/model.h): emissions,
 * chemistry + aerosol, wet deposition, and the dry-deposition velocities that diffusion uses. */
#ifndef BOGDA_PROCESSES_H
#define BOGDA_PROCESSES_H

#include "model.h"

/* Surface fluxes for diffusion and point sources into their layers over dt (called before each
 * diffusion half step; the sources are updated at the first of the two). */
int process_emissions(Model *m, double t, double dt, BgErr *e);
/* Chemistry and aerosol of every cell over dt with the met at t + dt/2. */
int process_chemistry(Model *m, double t, double dt, BgErr *e);
/* First-order wet scavenging of every column over dt with the met at t + dt/2. */
/* Wet deposition's work space per thread (doubles): a column's temperature and condensates and
 * the loss factors of WET_CHUNK columns of every species (model_setup allocates it). */
#define WET_CHUNK 8
static inline size_t process_wetdep_per_thread(int nt, int nz)
{
    return 4 * (size_t)nz + (size_t)(nt > 0 ? nt : 1) * (size_t)nz * WET_CHUNK;
}
int process_wetdep(Model *m, double t, double dt, BgErr *e);
/* Dry-deposition conductances (kg s-1) of every transported species and column into m->vdep. */
void process_drydep_velocities(Model *m, const MetFields *f, double t);
/* Nonzero if process_drydep_velocities gives b what it gives a from the same met and time: the
 * same grid, transported species' deposition parameters and molar masses, and columns (the
 * block of a distributed run).  A batch group then computes the velocities once (driver.c). */
int process_drydep_same_inputs(const Model *a, const Model *b);
/* PM25 and PM10 from their components (after every step). */
void process_diagnose_pm(Model *m);

#endif
