/* Helpers shared by the cmocka tests (cmocka 1.1 has no floating-point assertion). */
#ifndef BOGDA_TESTUTIL_H
#define BOGDA_TESTUTIL_H
#include <math.h>
#include <stdio.h>

/* |a - b| <= tol, printing both values on failure */
#define assert_close(a, b, tol)                                                                    \
    do {                                                                                           \
        double ac_a_ = (a), ac_b_ = (b), ac_t_ = (tol);                                            \
        if (!(fabs(ac_a_ - ac_b_) <= ac_t_)) {                                                     \
            fprintf(stderr, "%s:%d: %s = %.17g, %s = %.17g, |diff| %.3g > tol %.3g\n", __FILE__,   \
                    __LINE__, #a, ac_a_, #b, ac_b_, fabs(ac_a_ - ac_b_), ac_t_);                    \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* The environment of a test's mpirun: running as root in CI (OpenMPI refuses otherwise),
 * OpenMPI's shared-memory transport without the single-copy mechanism (the container forbids
 * it), and leak checking in the ranks with OpenMPI's own allocations suppressed
 * (validation/lsan_openmpi.supp says why the slow unwinder is needed; tests run from the
 * repository root).  Ignored by the plain build. */
#define MPIRUN_ENV                                                                                 \
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "                                   \
    "OMPI_MCA_btl_vader_single_copy_mechanism=none "                                               \
    "ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 "                                         \
    "LSAN_OPTIONS=suppressions=validation/lsan_openmpi.supp:print_suppressions=0 "
#endif
