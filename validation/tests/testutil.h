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
#endif
