/* The hot kernels are multi-versioned (model/simd.h): the build that CI and users run picks the
 * AVX2 (or AVX-512) path on this CPU, the portable path elsewhere.  Both must give the same bits,
 * or a forecast would depend on the machine it ran on.  `make test` also builds the program with
 * the portable path only (build-portable, -DBOGDA_NO_CLONES; $BOGDA_PORTABLE): this test runs the
 * 30-km embedded case with every process on through both and compares every output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nccompare.h"

static char tmpdir[256], out[8192];
static const char *bogda, *portable;

/* Runs a shell command; its standard output (and error) in out. */
static int sh(const char *fmt, ...)
{
    char cmd[4096], full[4600], p[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(p, sizeof p, "%s/out.txt", tmpdir);
    snprintf(full, sizeof full, "%s > %s 2>&1", cmd, p);
    int st = system(full);
    FILE *f = fopen(p, "r");
    size_t len = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[len] = 0;
    if (f) fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bogda_test_portable_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    bogda = getenv("BOGDA");
    if (!bogda) bogda = "bin/bogda";
    portable = getenv("BOGDA_PORTABLE");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_portable_path_same_bits(void **st)
{
    (void)st;
    if (!portable) {
        print_error("BOGDA_PORTABLE is not set: run through `make test`, which builds "
                    "build-portable/bin/bogda (make portable-bin) and sets it\n");
        fail();
    }
    /* the two programs are what they claim: one multi-versioned, one with the portable path only */
    assert_int_equal(sh("%s --version", bogda), 0);
    assert_non_null(strstr(out, "kernels: multi-versioned"));
    char *cpu = strstr(out, "this CPU: ");
    assert_non_null(cpu);
    char path[32] = "";
    sscanf(cpu + strlen("this CPU: "), "%31s", path);
    assert_int_equal(sh("%s --version", portable), 0);
    assert_non_null(strstr(out, "kernels: one path (portable"));
    if (!strcmp(path, "portable"))
        print_message("note: this CPU has no AVX2, both programs run the portable path here\n");

    char c[600], a[700], b[700];
    snprintf(c, sizeof c, "%s/case", tmpdir);
    assert_int_equal(sh("%s makecase %s --resolution 30 --days 1", bogda, c), 0);
    snprintf(a, sizeof a, "%s/clones", tmpdir);
    snprintf(b, sizeof b, "%s/portable", tmpdir);
    /* 3 h with every process on, flux diagnostics and stations; 2 threads against 1 thread as well */
    const char *common = "--set run.hours=3 --set run.checkpoint_h=0 --set output.layers=all "
                         "--set output.diagnostics=on";
    int rc = sh("%s run %s/case_30km.ini %s --set run.threads=2 --set run.output_dir=%s", bogda, c, common, a);
    if (rc) print_error("%s", out);
    assert_int_equal(rc, 0);
    rc = sh("%s run %s/case_30km.ini %s --set run.threads=1 --set run.output_dir=%s", portable, c, common, b);
    if (rc) print_error("%s", out);
    assert_int_equal(rc, 0);
    const char *ncf[] = {"conc_2024-01-10.nc", "diag_2024-01-10.nc", "restart_2024-01-10T0300.nc"};
    long tot = 0, nd = -1;
    char pa[800], pb[800], rep[256];
    for (int q = 0; q < 3; q++) {
        snprintf(pa, sizeof pa, "%s/%s", a, ncf[q]);
        snprintf(pb, sizeof pb, "%s/%s", b, ncf[q]);
        assert_int_equal(nc_compare_files(pa, pb, NULL, &nd, rep, sizeof rep), 0);
        if (nd) print_error("%s: %ld values differ (%s)\n", ncf[q], nd, rep);
        tot += nd;
    }
    const char *csv[] = {"budget.csv", "stations.csv", "daily_city.csv"};
    int same = 0;
    for (int q = 0; q < 3; q++) same += sh("cmp %s/%s %s/%s", a, csv[q], b, csv[q]) == 0;
    print_message("30-km case, 3 h, every process on: the %s path (2 threads) against the portable-only build "
                  "(1 thread): %ld differing values in conc, diag and restart, %d of 3 tables identical\n",
                  path, tot, same);
    assert_int_equal(tot, 0);
    assert_int_equal(same, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portable_path_same_bits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
