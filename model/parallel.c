#include "parallel.h"

#include <stdlib.h>

#ifdef BOGDA_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1, g_active = 0;

int par_init(int *argc, char ***argv)
{
#ifdef BOGDA_MPI
    if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK")) {
        int provided;
        /* FUNNELED: MPI is called only outside OpenMP parallel regions */
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS) {
            g_active = 1;
            MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
            MPI_Comm_size(MPI_COMM_WORLD, &g_size);
        }
    }
#else
    (void)argc;
    (void)argv;
#endif
    return g_size;
}

void par_finalize(void)
{
#ifdef BOGDA_MPI
    if (g_active) MPI_Finalize();
#endif
    g_active = 0;
}

int par_rank(void) { return g_rank; }
int par_size(void) { return g_size; }

void par_barrier(void)
{
#ifdef BOGDA_MPI
    if (g_active) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

int par_max_int(int v)
{
#ifdef BOGDA_MPI
    if (g_active) {
        int r = v;
        MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        return r;
    }
#endif
    return v;
}

int par_sum_int(int v)
{
#ifdef BOGDA_MPI
    if (g_active) {
        int r = v;
        MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        return r;
    }
#endif
    return v;
}

void par_abort(int code)
{
#ifdef BOGDA_MPI
    if (g_active && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    (void)code;
}
