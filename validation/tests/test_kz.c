/* kz_column: the similarity profile inside the boundary layer, the Richardson closure above,
 * floor, cap and boundary values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "testutil.h"
#include "kz.h"

#define NZ 30
#define KAPPA 0.4

typedef struct {
    double z[NZ + 1], theta[NZ], u[NZ], v[NZ], kz[NZ + 1];
} Column;

/* Interfaces every 50 m near the ground stretching upward; neutral theta, uniform wind. */
static void column_init(Column *c)
{
    c->z[0] = 0;
    for (int k = 1; k <= NZ; k++) c->z[k] = c->z[k - 1] + 50.0 * pow(1.12, k - 1);
    for (int k = 0; k < NZ; k++) {
        c->theta[k] = 290.0;
        c->u[k] = 5.0;
        c->v[k] = 0.0;
    }
}

static void test_neutral_similarity_profile(void **state)
{
    (void)state;
    Column c;
    column_init(&c);
    const double h = 1000, ust = 0.35, kz_min = 1e-6;
    kz_column(NZ, c.z, c.theta, c.u, c.v, h, ust, 0.0, 1.2, 290.0, kz_min, c.kz);
    int inside = 0;
    for (int k = 1; k < NZ; k++) {
        double z = c.z[k];
        if (z >= h) break;
        double s = 1 - z / h;
        double want = fmax(kz_min, KAPPA * ust * z * s * s);
        assert_close(c.kz[k], want, 1e-12 * want);
        inside++;
    }
    assert_true(inside >= 5);
    print_message("neutral: %d interfaces inside the PBL match kappa u* z (1-z/h)^2 to 1e-12\n",
                  inside);
}

static void test_stability_ordering(void **state)
{
    (void)state;
    Column c;
    column_init(&c);
    double neu[NZ + 1], uns[NZ + 1], sta[NZ + 1];
    const double h = 1200, ust = 0.3;
    kz_column(NZ, c.z, c.theta, c.u, c.v, h, ust, 0.0, 1.2, 290.0, 1e-6, neu);
    kz_column(NZ, c.z, c.theta, c.u, c.v, h, ust, 200.0, 1.2, 290.0, 1e-6, uns);
    kz_column(NZ, c.z, c.theta, c.u, c.v, h, ust, -40.0, 1.2, 290.0, 1e-6, sta);
    int n = 0;
    for (int k = 1; k < NZ && c.z[k] < h; k++) {
        assert_true(uns[k] > neu[k]);
        assert_true(sta[k] < neu[k]);
        n++;
    }
    assert_true(n >= 5);
    /* a stable L of a few tens of metres: z/L beyond 1 is capped, so K stays a fixed fraction
     * (1/6) of the neutral value there */
    double us = ust, l = -us * us * us * 1.2 * 1004.5 * 290.0 / (KAPPA * 9.81 * -40.0);
    for (int k = 1; k < NZ && c.z[k] < h; k++)
        if (c.z[k] / l > 1) assert_close(sta[k], neu[k] / 6.0, 1e-12 * neu[k]);
    print_message("L(stable) = %.1f m; unstable > neutral > stable at %d interfaces\n", l, n);
}

static void test_above_pbl_zero_shear_gives_floor(void **state)
{
    (void)state;
    Column c;
    column_init(&c);
    for (int k = 0; k < NZ; k++) c.theta[k] = 290.0 + 0.004 * k * 100; /* stable, no shear */
    const double kz_min = 0.05;
    kz_column(NZ, c.z, c.theta, c.u, c.v, 300.0, 0.2, 10.0, 1.2, 290.0, kz_min, c.kz);
    for (int k = 1; k < NZ; k++)
        if (c.z[k] >= 300.0) assert_close(c.kz[k], kz_min, 0.0);
}

static void test_above_pbl_shear_richardson(void **state)
{
    (void)state;
    Column c;
    column_init(&c);
    /* uniform shear 0.01 s-1, neutral: K = l^2 |dU/dz| F(0) = l^2 * 0.01 */
    for (int k = 0; k < NZ; k++) c.u[k] = 0.01 * 0.5 * (c.z[k] + c.z[k + 1]);
    kz_column(NZ, c.z, c.theta, c.u, c.v, 100.0, 0.2, 0.0, 1.2, 290.0, 1e-6, c.kz);
    for (int k = 2; k < NZ; k++) {
        double z = c.z[k], l = KAPPA * z / (1 + KAPPA * z / 30.0);
        assert_close(c.kz[k], l * l * 0.01, 1e-12);
    }
    /* a stable lapse rate reduces it, an unstable one increases it */
    Column s = c, u = c;
    for (int k = 0; k < NZ; k++) {
        s.theta[k] = 290.0 + 0.005 * 0.5 * (c.z[k] + c.z[k + 1]);
        u.theta[k] = 290.0 - 0.005 * 0.5 * (c.z[k] + c.z[k + 1]);
    }
    kz_column(NZ, s.z, s.theta, s.u, s.v, 100.0, 0.2, 0.0, 1.2, 290.0, 1e-6, s.kz);
    kz_column(NZ, u.z, u.theta, u.u, u.v, 100.0, 0.2, 0.0, 1.2, 290.0, 1e-6, u.kz);
    for (int k = 2; k < NZ; k++) {
        assert_true(s.kz[k] < c.kz[k]);
        assert_true(u.kz[k] > c.kz[k]);
    }
}

static void test_floor_cap_and_ends(void **state)
{
    (void)state;
    Column c;
    column_init(&c);
    const double kz_min = 0.1;
    /* strongly convective: the profile would exceed 1000 m2 s-1 without the cap */
    double cases[][3] = {{2000, 2.0, 800}, {500, 0.0, -100}, {1500, 0.5, 0}, {0, 0.3, 50}};
    for (size_t a = 0; a < sizeof cases / sizeof *cases; a++) {
        kz_column(NZ, c.z, c.theta, c.u, c.v, cases[a][0], cases[a][1], cases[a][2], 1.2, 290.0,
                  kz_min, c.kz);
        assert_true(c.kz[0] == 0.0);
        assert_true(c.kz[NZ] == 0.0);
        for (int k = 1; k < NZ; k++) {
            assert_true(c.kz[k] >= kz_min);
            assert_true(c.kz[k] <= 1000.0);
            assert_true(isfinite(c.kz[k]));
        }
    }
    /* u* = 0 is guarded (0.01 m s-1), not a division by zero */
    kz_column(NZ, c.z, c.theta, c.u, c.v, 800, 0.0, 30.0, 1.2, 290.0, kz_min, c.kz);
    for (int k = 1; k < NZ; k++) assert_true(isfinite(c.kz[k]) && c.kz[k] >= kz_min);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_neutral_similarity_profile),
        cmocka_unit_test(test_stability_ordering),
        cmocka_unit_test(test_above_pbl_zero_shear_gives_floor),
        cmocka_unit_test(test_above_pbl_shear_richardson),
        cmocka_unit_test(test_floor_cap_and_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
