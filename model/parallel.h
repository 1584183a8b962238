/* MPI, when Bogda runs under mpirun (OpenMPI; DESIGN 3).  Without mpirun, or in a build without
 * MPI, everything here is a no-op for one rank, so the serial program is the same code.
 *
 * MPI is initialised only when the launcher's environment says so (OMPI_COMM_WORLD_SIZE,
 * PMI_SIZE or PMIX_RANK): a plain `bogda run` never starts an MPI singleton (which OpenMPI
 * refuses as root).  The rank and size are the one piece of process-wide state of this module;
 * they are set once at start-up and only read afterwards. */
#ifndef BOGDA_PARALLEL_H
#define BOGDA_PARALLEL_H

#include <stddef.h>

/* Initialises MPI if launched by mpirun; returns the number of ranks (1 without MPI). */
int par_init(int *argc, char ***argv);
void par_finalize(void);
int par_rank(void);
int par_size(void);
void par_barrier(void);
/* The largest (or the sum) of v over the ranks; v without MPI. */
int par_max_int(int v);
int par_sum_int(int v);
/* Stops every rank (MPI_Abort) after a fatal error on one. */
void par_abort(int code);

#endif
