/* Whole-model tests through the bogda program: uniform mixing ratio on the real WRF sample,
 * restart continuity bit for bit (also after a kill and --resume), 1 thread equals 2 threads,
 * and bad input refused with the right exit status, a message naming file and item, and no
 * output left behind.  Tiny grids keep them fast (plain and sanitized builds). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netcdf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nccompare.h"
#include "synthmet.h"
#include "testutil.h"

static char tmpdir[256];
static const char *bogda;
static char sample[1024], sample_small[1024];

/* Runs a shell command; returns the exit status, stderr of bogda in err (if not NULL). */
static int sh(char *err, size_t n, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[4400];
    snprintf(full, sizeof full, "%s 2>%s/stderr.txt", cmd, tmpdir);
    int st = system(full);
    if (err) {
        char p[512];
        snprintf(p, sizeof p, "%s/stderr.txt", tmpdir);
        FILE *f = fopen(p, "r");
        size_t len = f ? fread(err, 1, n - 1, f) : 0;
        err[len] = 0;
        if (f) fclose(f);
    }
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A 12 x 10 x 6 synthetic case, 7 hourly records over Tianshan terrain with a divergent,
 * time-dependent wind, written once. */
static char synth_dir[512];

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bogda_test_model_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    bogda = getenv("BOGDA");
    if (!bogda) bogda = "bin/bogda";
    char cwd[512];
    if (!getcwd(cwd, sizeof cwd)) return -1;
    snprintf(sample, sizeof sample, "%s/validation/data/salem_wrf_d01_allvars_cropped.nc", cwd);
    snprintf(sample_small, sizeof sample_small, "%s/validation/data/salem_wrf_cropped.nc", cwd);
    SynthMetSpec s;
    synthmet_defaults(&s);
    s.nx = 12;
    s.ny = 10;
    s.nz = 6;
    s.dx_m = 12000;
    s.nrec = 7;
    s.interval_h = 1;
    s.rec_per_file = 4;
    snprintf(s.start, sizeof s.start, "2024-01-10T00:00:00Z");
    s.jet_ms = 30;
    snprintf(synth_dir, sizeof synth_dir, "%s/met", tmpdir);
    BgErr e = {0};
    if (synthmet_write(&s, synth_dir, NULL, NULL, &e)) {
        fprintf(stderr, "synthmet: %s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd);
}

/* A configuration for the synthetic case; extra lines appended. */
static void synth_config(const char *path, const char *outdir, double hours, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text,
             "[run]\nstart = 2024-01-10T00:00:00Z\nhours = %g\noutput_dir = %s\nsync_step_s = 600\n"
             "checkpoint_h = 0\n\n[met]\nfiles = %s/wrfout_d01_*\n\n[tracers]\nnames = A, B\n\n"
             "[init]\nconstant.A = 30\nprofile.B = 0 80, 1000 20, 5000 5\n\n"
             "[boundary]\nconstant.A = 30\nprofile.B = 0 10, 3000 40\n\n"
             "[output]\ninterval_h = 1\nlayers = all\n%s",
             hours, outdir, synth_dir, extra ? extra : "");
    write_file(path, text);
}

static double read_restart_dev(const char *path, const char *var, double expect)
{
    int nc, v;
    assert_int_equal(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, var, &v), NC_NOERR);
    int nd, dims[8];
    nc_inq_varndims(nc, v, &nd);
    nc_inq_vardimid(nc, v, dims);
    size_t n = 1;
    for (int d = 0; d < nd; d++) {
        size_t len;
        nc_inq_dimlen(nc, dims[d], &len);
        n *= len;
    }
    double *buf = malloc(n * sizeof *buf);
    assert_int_equal(nc_get_var_double(nc, v, buf), NC_NOERR);
    double dev = 0;
    for (size_t i = 0; i < n; i++) dev = fmax(dev, fabs(buf[i] / expect - 1.0));
    free(buf);
    nc_close(nc);
    return dev;
}

static void test_uniform_real_wrf(void **st)
{
    (void)st;
    char cfg[600], out[600], err[4096], rst[700];
    snprintf(cfg, sizeof cfg, "%s/real.ini", tmpdir);
    snprintf(out, sizeof out, "%s/real_out", tmpdir);
    char text[2048];
    snprintf(text, sizeof text,
             "[run]\nstart = 2005-09-21T00:00:00Z\nhours = 9\noutput_dir = %s\nsync_step_s = 300\n"
             "[met]\nfiles = %s\n[tracers]\nnames = U1\n[init]\nconstant.U1 = 30\n"
             "[boundary]\nconstant.U1 = 30\n[output]\ninterval_h = 3\nlayers = all\n",
             out, sample);
    write_file(cfg, text);
    int rc = sh(err, sizeof err, "%s run %s", bogda, cfg);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    snprintf(rst, sizeof rst, "%s/restart_2005-09-21T0900.nc", out);
    double dev = read_restart_dev(rst, "U1", 30e-9);
    print_message("real WRF sample (10x8x27, 9 h): uniform mixing ratio max relative deviation %.2e\n", dev);
    assert_true(dev < 1e-9);
}

static void test_missing_variables_refused(void **st)
{
    (void)st;
    char cfg[600], out[600], err[4096], text[2048];
    snprintf(cfg, sizeof cfg, "%s/small.ini", tmpdir);
    snprintf(out, sizeof out, "%s/small_out", tmpdir);
    snprintf(text, sizeof text,
             "[run]\nstart = 2005-09-21T00:00:00Z\nhours = 1\noutput_dir = %s\n[met]\nfiles = %s\n"
             "[tracers]\nnames = A\n", out, sample_small);
    write_file(cfg, text);
    int rc = sh(err, sizeof err, "%s run %s", bogda, cfg);
    print_message("refusal: %s", err);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(err, "bogda: error: "));
    assert_non_null(strstr(err, "salem_wrf_cropped.nc"));
    assert_non_null(strstr(err, "U"));
    assert_non_null(strstr(err, "V"));
    assert_non_null(strstr(err, "PBLH"));
    assert_false(exists(out));
}

static long compare_dirs(const char *a, const char *b, int restart_too)
{
    DIR *d = opendir(a);
    assert_non_null(d);
    struct dirent *de;
    long total = 0;
    int nfiles = 0;
    while ((de = readdir(d))) {
        int conc = !strncmp(de->d_name, "conc_", 5), rst = !strncmp(de->d_name, "restart_", 8);
        size_t l = strlen(de->d_name);
        if (l < 3 || strcmp(de->d_name + l - 3, ".nc")) continue;
        if (!conc && !(rst && restart_too)) continue;
        char pa[1024], pb[1024], rep[256];
        snprintf(pa, sizeof pa, "%s/%s", a, de->d_name);
        snprintf(pb, sizeof pb, "%s/%s", b, de->d_name);
        if (!exists(pb)) {
            print_error("%s missing in %s\n", de->d_name, b);
            total++;
            continue;
        }
        long nd = 0;
        assert_int_equal(nc_compare_files(pa, pb, NULL, &nd, rep, sizeof rep), 0);
        if (nd) print_error("%s: %ld values differ: %s\n", de->d_name, nd, rep);
        total += nd;
        nfiles++;
    }
    closedir(d);
    assert_true(nfiles > 0);
    return total;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return strdup(buf);
}

static void test_restart_and_resume_bitwise(void **st)
{
    (void)st;
    char cfg[600], a[600], b[600], c[600], err[4096], rst[800];
    snprintf(cfg, sizeof cfg, "%s/synth.ini", tmpdir);
    snprintf(a, sizeof a, "%s/cont", tmpdir);
    snprintf(b, sizeof b, "%s/split", tmpdir);
    snprintf(c, sizeof c, "%s/killed", tmpdir);
    synth_config(cfg, a, 6, NULL);
    assert_int_equal(sh(err, sizeof err, "%s run %s", bogda, cfg), 0);
    /* 3 h, then a second run continuing from its end-of-run restart to 6 h */
    assert_int_equal(sh(err, sizeof err, "%s run %s --set run.hours=3 --set run.output_dir=%s", bogda, cfg, b), 0);
    snprintf(rst, sizeof rst, "%s/restart_2024-01-10T0300.nc", b);
    assert_true(exists(rst));
    int rc = sh(err, sizeof err, "%s run %s --set run.output_dir=%s --set run.restart=%s", bogda, cfg, b, rst);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    long nd = compare_dirs(a, b, 1);
    print_message("6 h continuous vs 3 h + restart + 3 h: %ld differing values\n", nd);
    assert_int_equal(nd, 0);
    /* killed at 2 h 30 (between output times) with hourly checkpoints, then --resume */
    rc = sh(err, sizeof err, "BOGDA_FAULT_KILL_AFTER_STEP=15 %s run %s --set run.output_dir=%s --set run.checkpoint_h=1", bogda, cfg, c);
    assert_int_equal(rc, 128 + 9);
    rc = sh(err, sizeof err, "%s run %s --resume --set run.output_dir=%s --set run.checkpoint_h=1", bogda, cfg, c);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    nd = compare_dirs(a, c, 0);
    print_message("6 h continuous vs killed at 2.5 h + --resume: %ld differing values\n", nd);
    assert_int_equal(nd, 0);
    char pa[700], pb[700], pc[700];
    snprintf(pa, sizeof pa, "%s/budget.csv", a);
    snprintf(pb, sizeof pb, "%s/budget.csv", b);
    snprintf(pc, sizeof pc, "%s/budget.csv", c);
    char *ta = slurp(pa), *tb = slurp(pb), *tc = slurp(pc);
    assert_non_null(ta);
    assert_non_null(tb);
    assert_non_null(tc);
    assert_string_equal(ta, tb);
    assert_string_equal(ta, tc);
    free(ta); free(tb); free(tc);
    /* --resume where there is no checkpoint: the whole run, from the start, and run.log says so */
    char d[600], pd[700];
    snprintf(d, sizeof d, "%s/resume_none", tmpdir);
    rc = sh(err, sizeof err, "%s run %s --resume --set run.output_dir=%s", bogda, cfg, d);
    assert_int_equal(rc, 0);
    nd = compare_dirs(a, d, 0);
    assert_int_equal(nd, 0);
    snprintf(pd, sizeof pd, "%s/run.log", d);
    char *log = slurp(pd);
    assert_non_null(log);
    assert_non_null(strstr(log, "--resume: no checkpoint in "));
    free(log);
}

static void test_threads_bitwise(void **st)
{
    (void)st;
    char cfg[600], a[600], b[600], err[4096];
    snprintf(cfg, sizeof cfg, "%s/threads.ini", tmpdir);
    snprintf(a, sizeof a, "%s/t1", tmpdir);
    snprintf(b, sizeof b, "%s/t2", tmpdir);
    synth_config(cfg, a, 6, NULL);
    assert_int_equal(sh(err, sizeof err, "%s run %s --set run.threads=1", bogda, cfg), 0);
    assert_int_equal(sh(err, sizeof err, "%s run %s --set run.threads=2 --set run.output_dir=%s", bogda, cfg, b), 0);
    long nd = compare_dirs(a, b, 1);
    print_message("1 thread vs 2 threads: %ld differing values\n", nd);
    assert_int_equal(nd, 0);
    /* [output] deflate compresses the files and changes no value (nor the configuration hash:
     * the restart written uncompressed continues) */
    char c[600], f[800];
    snprintf(c, sizeof c, "%s/tdeflate", tmpdir);
    assert_int_equal(sh(err, sizeof err, "%s run %s --set run.threads=2 --set output.deflate=1 --set run.output_dir=%s",
                        bogda, cfg, c), 0);
    nd = compare_dirs(a, c, 1);
    snprintf(f, sizeof f, "%s/conc_2024-01-10.nc", c);
    int ncid, varid, shuffle = 0, deflate = 0, level = 0;
    assert_int_equal(nc_open(f, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, "A", &varid), NC_NOERR);
    assert_int_equal(nc_inq_var_deflate(ncid, varid, &shuffle, &deflate, &level), NC_NOERR);
    nc_close(ncid);
    print_message("[output] deflate = 1: %ld differing values, shuffle %d, deflate %d, level %d\n", nd, shuffle,
                  deflate, level);
    assert_int_equal(nd, 0);
    assert_true(shuffle && deflate && level == 1);
    int rc = sh(err, sizeof err, "%s check %s --set output.deflate=10", bogda, cfg);
    print_message("[output] deflate = 10: exit %d: %s", rc, err);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "[output] deflate"));
    /* tracer A is uniform with equal inflow: it stays uniform over the Tianshan terrain */
    char rst[800];
    snprintf(rst, sizeof rst, "%s/restart_2024-01-10T0600.nc", a);
    double dev = read_restart_dev(rst, "A", 30e-9);
    print_message("synthetic Tianshan case (12x10x6, 6 h): uniform mixing ratio max relative deviation %.2e\n", dev);
    assert_true(dev < 1e-9);
}

#ifdef BOGDA_MPI
#define MPIRUN MPIRUN_ENV \
               "mpirun --oversubscribe"
/* Domain decomposition: 1-4 ranks (oversubscribed) and 1-2 threads give the serial run's
 * output, restart files and budget bit for bit; a restart written by 2 ranks continues on 1 and
 * on 3; slabs thinner than 2 rows are refused.  The ranks are leak-checked in the sanitizer
 * build (MPIRUN_ENV). */
static void test_mpi_bitwise(void **st)
{
    (void)st;
    char cfg[600], a[600], d[600], err[4096], pa[800], pd[800];
    snprintf(cfg, sizeof cfg, "%s/mpi.ini", tmpdir);
    snprintf(a, sizeof a, "%s/mpi_serial", tmpdir);
    synth_config(cfg, a, 6, NULL);
    assert_int_equal(sh(err, sizeof err, "%s run %s --set run.threads=1 --set run.checkpoint_h=3", bogda, cfg), 0);
    snprintf(pa, sizeof pa, "%s/budget.csv", a);
    char *ta = slurp(pa);
    assert_non_null(ta);
    /* automatic process grids (1 x 2, 1 x 3 and 2 x 2 on this 12 x 10 grid) and 2-D ones: 2 x 1 (two block columns:
     * rows and blocks differ), 2 x 2, and 2 x 3 (blocks of 3-4 rows; the x sweeps' rows split
     * inside each block row) */
    const int ranks[] = {1, 2, 3, 4, 2, 2, 4, 6}, threads[] = {1, 1, 1, 1, 2, 1, 2, 1};
    const char *grid[] = {"auto", "auto", "auto", "auto", "auto", "2x1", "2x2", "2x3"};
    for (int c = 0; c < 8; c++) {
        snprintf(d, sizeof d, "%s/mpi_r%d_t%d_%s", tmpdir, ranks[c], threads[c], grid[c]);
        int rc = sh(err, sizeof err, MPIRUN " -np %d %s run %s --set run.threads=%d --set run.checkpoint_h=3 --set run.output_dir=%s"
                    " --set run.decomposition=%s", ranks[c], bogda, cfg, threads[c], d, grid[c]);
        if (rc) fprintf(stderr, "%s", err);
        assert_int_equal(rc, 0);
        long nd = compare_dirs(a, d, 1);
        snprintf(pd, sizeof pd, "%s/budget.csv", d);
        char *td = slurp(pd);
        assert_non_null(td);
        print_message("%d MPI ranks (process grid %s) x %d threads vs serial: %ld differing values (conc, restarts), "
                      "budget.csv %s\n", ranks[c], grid[c], threads[c], nd, strcmp(ta, td) ? "DIFFERS" : "identical");
        assert_int_equal(nd, 0);
        assert_string_equal(ta, td);
        free(td);
    }
    /* [advection] scheme = vanleer (halos of 2 cells per sub-step instead of PPM's 3) on 2 x 2 blocks
     * with 2 threads equals its serial run; it is another scheme (the PPM run differs) */
    {
        char av[600], dv[600];
        snprintf(av, sizeof av, "%s/mpi_vl_serial", tmpdir);
        snprintf(dv, sizeof dv, "%s/mpi_vl_r4", tmpdir);
        assert_int_equal(sh(err, sizeof err, "%s run %s --set run.threads=1 --set run.checkpoint_h=3 --set run.output_dir=%s "
                            "--set advection.scheme=vanleer", bogda, cfg, av), 0);
        int rc = sh(err, sizeof err, MPIRUN " -np 4 %s run %s --set run.threads=2 --set run.checkpoint_h=3 --set run.output_dir=%s"
                    " --set run.decomposition=2x2 --set advection.scheme=vanleer", bogda, cfg, dv);
        if (rc) fprintf(stderr, "%s", err);
        assert_int_equal(rc, 0);
        long nd = compare_dirs(av, dv, 1);
        long nppm = 0;
        {
            char pc[800], pv[800], rep[256];
            snprintf(pc, sizeof pc, "%s/restart_2024-01-10T0600.nc", a);
            snprintf(pv, sizeof pv, "%s/restart_2024-01-10T0600.nc", av);
            assert_int_equal(nc_compare_files(pc, pv, NULL, &nppm, rep, sizeof rep), 0);
        }
        print_message("van Leer on 4 MPI ranks (2 x 2) x 2 threads vs serial: %ld differing values (conc, restarts); "
                      "van Leer vs PPM: %ld differing values in the 6-h restart\n", nd, nppm);
        assert_int_equal(nd, 0);
        assert_true(nppm > 0);
    }
    /* a 3-h run on 2 ranks as 2 x 1 blocks, continued from its restart on 1 and on 3 ranks to 6 h */
    char half[600], rst[800];
    snprintf(half, sizeof half, "%s/mpi_half", tmpdir);
    int rc0 = sh(err, sizeof err, MPIRUN " -np 2 %s run %s --set run.hours=3 --set run.output_dir=%s --set run.decomposition=2x1",
                 bogda, cfg, half);
    if (rc0) fprintf(stderr, "%s", err);
    assert_int_equal(rc0, 0);
    for (int r = 1; r <= 3; r += 2) {
        snprintf(d, sizeof d, "%s/mpi_cont_r%d", tmpdir, r);
        assert_int_equal(sh(err, sizeof err, "cp -r %s %s", half, d), 0);
        snprintf(rst, sizeof rst, "%s/restart_2024-01-10T0300.nc", d);
        assert_true(exists(rst));
        int rc = sh(err, sizeof err, MPIRUN " -np %d %s run %s --set run.output_dir=%s --set run.restart=%s", r, bogda,
                    cfg, d, rst);
        if (rc) fprintf(stderr, "%s", err);
        assert_int_equal(rc, 0);
        long nd = compare_dirs(a, d, 0);
        snprintf(pa, sizeof pa, "%s/restart_2024-01-10T0600.nc", a);
        snprintf(pd, sizeof pd, "%s/restart_2024-01-10T0600.nc", d);
        long nr = -1;
        char rep[256];
        assert_int_equal(nc_compare_files(pa, pd, NULL, &nr, rep, sizeof rep), 0);
        snprintf(pd, sizeof pd, "%s/budget.csv", d);
        char *td = slurp(pd);
        assert_non_null(td);
        print_message("3 h on 2 ranks (2 x 1) + restart + 3 h on %d rank(s) vs serial 6 h: %ld + %ld differing values, budget.csv %s\n",
                      r, nd, nr, strcmp(ta, td) ? "DIFFERS" : "identical");
        assert_int_equal(nd + nr, 0);
        assert_string_equal(ta, td);
        free(td);
    }
    /* 12 x 10 columns over 7 ranks: no 7 x 1 or 1 x 7 grid gives blocks of 2 rows and 2 columns
     * (columns in chunks of 8); 3 x 1 asks for more block columns than chunks; 2 x 3 on 4 ranks
     * does not add up: each refused (exit 2) before anything is written */
    const int bad_np[] = {7, 3, 4};
    const char *bad_grid[] = {"auto", "3x1", "2x3"}, *bad_msg[] = {"use at most 6 ranks", "choose another process grid",
                                                                    "needs 6 ranks, not 4"};
    for (int c = 0; c < 3; c++) {
        snprintf(d, sizeof d, "%s/mpi_bad%d", tmpdir, c);
        int rc = sh(err, sizeof err, MPIRUN " -np %d %s run %s --set run.output_dir=%s --set run.decomposition=%s", bad_np[c],
                    bogda, cfg, d, bad_grid[c]);
        print_message("%d ranks, decomposition %s on 12 x 10: exit %d: %s", bad_np[c], bad_grid[c], rc, err);
        assert_int_not_equal(rc, 0);
        assert_non_null(strstr(err, bad_msg[c]));
        assert_false(exists(d));
    }
    free(ta);
}
#endif

/* The gas chemistry carries each cell's step size from one sync step to the next (State.chem_h,
 * "chem_h" in the restart): 6 h equal 3 h + restart + 3 h bit for bit, also when the first 3 h ran
 * on 2 ranks and the rest runs on 1 or 3; the same restart with chem_h zeroed (every cell back at
 * the first trial step) continues differently, which is what makes the comparison cover it; and a
 * restart written before chem_h existed (the variable removed) is accepted. */
static void test_restart_chemistry(void **st)
{
    (void)st;
    char cfg[600], a[600], b[600], d[600], err[4096], rst[800], pa[800], pd[800];
    snprintf(cfg, sizeof cfg, "%s/chem.ini", tmpdir);
    snprintf(a, sizeof a, "%s/chem_cont", tmpdir);
    snprintf(b, sizeof b, "%s/chem_split", tmpdir);
    char text[4096];
    snprintf(text, sizeof text,
             "[run]\nstart = 2024-01-10T00:00:00Z\nhours = 6\noutput_dir = %s\nsync_step_s = 600\n"
             "checkpoint_h = 0\n\n[met]\nfiles = %s/wrfout_d01_*\n\n"
             "[processes]\nemissions = off\nchemistry = on\naerosol = on\n\n"
             "[init]\nprofile.O3 = 0 35, 3000 50\nconstant.CO = 150\nconstant.NH3 = 5\nconstant.SO2 = 8\n"
             "profile.NO = 0 40, 1000 2\nprofile.NO2 = 0 30, 1000 3\nconstant.PSO4 = 3\nconstant.HNO3 = 1\n\n"
             "[boundary]\nprofile.O3 = 0 35, 3000 50\nconstant.CO = 150\nconstant.NO = 5\nconstant.NO2 = 10\n\n"
             "[output]\ninterval_h = 1\nlayers = all\n",
             a, synth_dir);
    write_file(cfg, text);
    assert_int_equal(sh(err, sizeof err, "%s run %s", bogda, cfg), 0);
    assert_int_equal(sh(err, sizeof err, "%s run %s --set run.hours=3 --set run.output_dir=%s", bogda, cfg, b), 0);
    snprintf(rst, sizeof rst, "%s/restart_2024-01-10T0300.nc", b);
    assert_true(exists(rst));
    /* the carried step sizes are in the restart, one per cell, all > 0 after 3 h */
    int ncid, v;
    size_t len = 0;
    assert_int_equal(nc_open(rst, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, "extra_chem_h", &v), NC_NOERR);
    int dim;
    assert_int_equal(nc_inq_vardimid(ncid, v, &dim), NC_NOERR);
    assert_int_equal(nc_inq_dimlen(ncid, dim, &len), NC_NOERR);
    assert_int_equal(len, 12 * 10 * 6);
    double *h = malloc(len * sizeof *h);
    assert_non_null(h);
    assert_int_equal(nc_get_var_double(ncid, v, h), NC_NOERR);
    nc_close(ncid);
    double hmin = 1e30, hmax = 0;
    for (size_t i = 0; i < len; i++) hmin = fmin(hmin, h[i]), hmax = fmax(hmax, h[i]);
    print_message("chemistry restart: chem_h of %zu cells, %.1f to %.1f s\n", len, hmin, hmax);
    assert_true(hmin > 0);
    /* a copy of the restart with chem_h zeroed and one without it, before the continuation */
    char z[600], o[600], rz[800], ro[800];
    snprintf(z, sizeof z, "%s/chem_zero", tmpdir);
    snprintf(o, sizeof o, "%s/chem_old", tmpdir);
    assert_int_equal(sh(err, sizeof err, "cp -r %s %s && cp -r %s %s", b, z, b, o), 0);
    snprintf(rz, sizeof rz, "%s/restart_2024-01-10T0300.nc", z);
    snprintf(ro, sizeof ro, "%s/restart_2024-01-10T0300.nc", o);
    int rc = sh(err, sizeof err, "%s run %s --set run.output_dir=%s --set run.restart=%s", bogda, cfg, b, rst);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    long nd = compare_dirs(a, b, 1);
    print_message("chemistry: 6 h continuous vs 3 h + restart + 3 h: %ld differing values\n", nd);
    assert_int_equal(nd, 0);

    for (size_t i = 0; i < len; i++) h[i] = 0.0;
    assert_int_equal(nc_open(rz, NC_WRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_inq_varid(ncid, "extra_chem_h", &v), NC_NOERR);
    assert_int_equal(nc_put_var_double(ncid, v, h), NC_NOERR);
    nc_close(ncid);
    free(h);
    rc = sh(err, sizeof err, "%s run %s --set run.output_dir=%s --set run.restart=%s", bogda, cfg, z, rz);
    assert_int_equal(rc, 0);
    long nz = 0;
    snprintf(pa, sizeof pa, "%s/conc_2024-01-10.nc", a);
    snprintf(pd, sizeof pd, "%s/conc_2024-01-10.nc", z);
    char rep[256];
    assert_int_equal(nc_compare_files(pa, pd, NULL, &nz, rep, sizeof rep), 0);
    print_message("chemistry: the same restart with chem_h zeroed: %ld values differ (%s)\n", nz, rep);
    assert_true(nz > 0);

    /* a restart from before the carried step: every variable but extra_chem_h */
    char list[8192] = "", tmp[900];
    int nv;
    assert_int_equal(nc_open(ro, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_inq_nvars(ncid, &nv), NC_NOERR);
    for (int i = 0; i < nv; i++) {
        char nm[NC_MAX_NAME + 1];
        assert_int_equal(nc_inq_varname(ncid, i, nm), NC_NOERR);
        if (!strcmp(nm, "extra_chem_h")) continue;
        if (list[0]) strcat(list, ",");
        strcat(list, nm);
    }
    nc_close(ncid);
    snprintf(tmp, sizeof tmp, "%s/old.nc", tmpdir);
    assert_int_equal(sh(err, sizeof err, "nccopy -V %s %s %s && mv %s %s", list, ro, tmp, tmp, ro), 0);
    assert_int_equal(nc_open(ro, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_not_equal(nc_inq_varid(ncid, "extra_chem_h", &v), NC_NOERR);
    nc_close(ncid);
    rc = sh(err, sizeof err, "%s run %s --set run.output_dir=%s --set run.restart=%s", bogda, cfg, o, ro);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    nd = compare_dirs(z, o, 0);
    print_message("chemistry: a restart without chem_h continues as with chem_h = 0: %ld differing values\n", nd);
    assert_int_equal(nd, 0);

#ifdef BOGDA_MPI
    /* 3 h on 2 ranks (2 x 1 blocks: each rank's chemistry carries its block), continued on 1 and 3 */
    char half[600];
    snprintf(half, sizeof half, "%s/chem_half", tmpdir);
    rc = sh(err, sizeof err, MPIRUN " -np 2 %s run %s --set run.hours=3 --set run.output_dir=%s --set run.decomposition=2x1",
            bogda, cfg, half);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    snprintf(pa, sizeof pa, "%s/restart_2024-01-10T0300.nc", b);
    snprintf(pd, sizeof pd, "%s/restart_2024-01-10T0300.nc", half);
    long nh = -1;
    assert_int_equal(nc_compare_files(pa, pd, NULL, &nh, rep, sizeof rep), 0);
    print_message("chemistry: 3-h restart on 2 ranks vs serial: %ld differing values\n", nh);
    assert_int_equal(nh, 0);
    for (int r = 1; r <= 3; r += 2) {
        snprintf(d, sizeof d, "%s/chem_cont_r%d", tmpdir, r);
        assert_int_equal(sh(err, sizeof err, "cp -r %s %s", half, d), 0);
        snprintf(rst, sizeof rst, "%s/restart_2024-01-10T0300.nc", d);
        rc = sh(err, sizeof err, MPIRUN " -np %d %s run %s --set run.output_dir=%s --set run.restart=%s", r, bogda, cfg,
                d, rst);
        if (rc) fprintf(stderr, "%s", err);
        assert_int_equal(rc, 0);
        nd = compare_dirs(a, d, 1);
        print_message("chemistry: 3 h on 2 ranks + restart + 3 h on %d rank(s) vs serial 6 h: %ld differing values\n", r, nd);
        assert_int_equal(nd, 0);
    }
#endif
}

/* The budget closes: imbalance_rel of every row is at round-off level. */
static void test_budget_closes(void **st)
{
    (void)st;
    char path[700], line[1024];
    snprintf(path, sizeof path, "%s/cont/budget.csv", tmpdir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "time,species,initial_kg,emission_kg,inflow_kg,outflow_kg,chemistry_kg,"
                              "drydep_kg,wetdep_kg,final_kg,imbalance_rel\n");
    int rows = 0;
    double worst = 0, flow = 0;
    while (fgets(line, sizeof line, f)) {
        double v[9];
        char *p = strchr(strchr(line, ',') + 1, ',') + 1;
        for (int i = 0; i < 9; i++) { v[i] = strtod(p, &p); p++; }
        worst = fmax(worst, fabs(v[8]));
        flow += v[2] + v[3];
        rows++;
    }
    fclose(f);
    print_message("budget.csv: %d rows, worst |imbalance_rel| %.2e\n", rows, worst);
    assert_int_equal(rows, 12);
    assert_true(flow > 0);     /* the open boundaries carry mass */
    assert_true(worst < 1e-10);
}

/* A global-model boundary file (pressure levels, CAMS-like) feeds a tracer that starts at zero:
 * it enters through the inflow faces, stays within the file's value, and the budget records it. */
static void write_bc_file(const char *path, double value)
{
    int nc, dt, dl, dy, dx, vt, vl, vy, vx, va;
    assert_int_equal(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc), NC_NOERR);
    nc_def_dim(nc, "time", 3, &dt);
    nc_def_dim(nc, "level", 4, &dl);
    nc_def_dim(nc, "latitude", 21, &dy);
    nc_def_dim(nc, "longitude", 31, &dx);
    nc_def_var(nc, "time", NC_DOUBLE, 1, &dt, &vt);
    nc_put_att_text(nc, vt, "units", 31, "hours since 2024-01-10 00:00:00");
    nc_put_att_text(nc, vt, "calendar", 8, "standard");
    nc_def_var(nc, "level", NC_DOUBLE, 1, &dl, &vl);
    nc_put_att_text(nc, vl, "units", 3, "hPa");
    nc_put_att_text(nc, vl, "standard_name", 12, "air_pressure");
    nc_put_att_text(nc, vl, "positive", 4, "down");
    nc_def_var(nc, "latitude", NC_DOUBLE, 1, &dy, &vy);
    nc_put_att_text(nc, vy, "units", 13, "degrees_north");
    nc_def_var(nc, "longitude", NC_DOUBLE, 1, &dx, &vx);
    nc_put_att_text(nc, vx, "units", 12, "degrees_east");
    int dims[4] = {dt, dl, dy, dx};
    nc_def_var(nc, "C", NC_DOUBLE, 4, dims, &va);
    nc_put_att_text(nc, va, "units", 3, "ppb");
    nc_enddef(nc);
    double tt[3] = {0, 3, 6}, lev[4] = {1000, 850, 500, 50}, lat[21], lon[31];
    for (int j = 0; j < 21; j++) lat[j] = 48.0 - 0.5 * j; /* descending, 38..48 N */
    for (int i = 0; i < 31; i++) lon[i] = 80.0 + 0.5 * i; /* 80..95 E */
    nc_put_var_double(nc, vt, tt);
    nc_put_var_double(nc, vl, lev);
    nc_put_var_double(nc, vy, lat);
    nc_put_var_double(nc, vx, lon);
    static double v[3 * 4 * 21 * 31];
    for (size_t c = 0; c < sizeof v / sizeof *v; c++) v[c] = value;
    nc_put_var_double(nc, va, v);
    nc_close(nc);
}

static void test_boundary_file(void **st)
{
    (void)st;
    char cfg[600], out[600], bc[600], err[4096], extra[1024];
    snprintf(cfg, sizeof cfg, "%s/bcfile.ini", tmpdir);
    snprintf(out, sizeof out, "%s/bcfile_out", tmpdir);
    snprintf(bc, sizeof bc, "%s/cams.nc", tmpdir);
    write_bc_file(bc, 50.0);
    snprintf(extra, sizeof extra, "[boundary]\nfile = %s\n", bc);
    /* synth_config has its own [boundary]: write a config with the file instead */
    char text[4096];
    snprintf(text, sizeof text,
             "[run]\nstart = 2024-01-10T00:00:00Z\nhours = 6\noutput_dir = %s\nsync_step_s = 600\n"
             "[met]\nfiles = %s/wrfout_d01_*\n[tracers]\nnames = A, C\n[init]\nconstant.A = 30\n"
             "[boundary]\nconstant.A = 30\nfile = %s\nfile_variables = A=-\n[output]\ninterval_h = 1\n",
             out, synth_dir, bc);
    write_file(cfg, text);
    int rc = sh(err, sizeof err, "%s run %s", bogda, cfg);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    char rst[800];
    snprintf(rst, sizeof rst, "%s/restart_2024-01-10T0600.nc", out);
    /* C never exceeds the file's 50 ppb (monotone transport), and has entered */
    int nc, v;
    assert_int_equal(nc_open(rst, NC_NOWRITE, &nc), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, "C", &v), NC_NOERR);
    static double q[6 * 10 * 12];
    assert_int_equal(nc_get_var_double(nc, v, q), NC_NOERR);
    nc_close(nc);
    double mx = 0, mean = 0;
    for (int c = 0; c < 6 * 10 * 12; c++) { mx = fmax(mx, q[c]); mean += q[c] / (6 * 10 * 12); }
    print_message("boundary file: tracer C after 6 h: max %.3f ppb, domain mean %.3f ppb (file 50 ppb)\n", mx * 1e9, mean * 1e9);
    assert_true(mx <= 50e-9 * (1 + 1e-12));
    assert_true(mean > 1e-9);
    /* A is kept from the configuration ("A=-") and stays uniform */
    assert_true(read_restart_dev(rst, "A", 30e-9) < 1e-9);
    (void)extra;
}

/* --- bad input ------------------------------------------------------------------------------ */

static void copy_file(const char *src, const char *dst)
{
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod u+w '%s'", src, dst, dst);
    assert_int_equal(system(cmd), 0);
}

static void expect_refusal(const char *label, const char *cfg, const char *outdir, int code,
                           const char *must1, const char *must2)
{
    char err[4096];
    int rc = sh(err, sizeof err, "%s run %s", bogda, cfg);
    print_message("%-22s exit %d: %s", label, rc, err);
    assert_int_equal(rc, code);
    assert_non_null(strstr(err, "bogda: error: "));
    if (must1) assert_non_null(strstr(err, must1));
    if (must2) assert_non_null(strstr(err, must2));
    assert_false(exists(outdir));
}

static void bad_met_case(const char *label, const char *files, const char *must1, const char *must2)
{
    char cfg[600], out[600], text[4096];
    snprintf(cfg, sizeof cfg, "%s/bad.ini", tmpdir);
    snprintf(out, sizeof out, "%s/bad_out", tmpdir);
    snprintf(text, sizeof text,
             "[run]\nstart = 2024-01-10T00:00:00Z\nhours = 2\noutput_dir = %s\n[met]\nfiles = %s\n"
             "[tracers]\nnames = A\n", out, files);
    write_file(cfg, text);
    expect_refusal(label, cfg, out, 3, must1, must2);
}

static void test_bad_input(void **st)
{
    (void)st;
    char first[700], bad[700], files[2000];
    snprintf(first, sizeof first, "%s/wrfout_d01_2024-01-10_00:00:00", synth_dir);
    /* NaN in U */
    snprintf(bad, sizeof bad, "%s/nan_wrfout_d01_2024-01-10_00:00:00", tmpdir);
    copy_file(first, bad);
    int nc, v;
    assert_int_equal(nc_open(bad, NC_WRITE, &nc), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, "U", &v), NC_NOERR);
    size_t idx[4] = {1, 2, 3, 4};
    float nanv = NAN;
    assert_int_equal(nc_put_var1_float(nc, v, idx, &nanv), NC_NOERR);
    nc_close(nc);
    bad_met_case("NaN in U", bad, "nan_wrfout", "U");
    /* truncated file */
    snprintf(bad, sizeof bad, "%s/trunc_wrfout_d01_2024-01-10_00:00:00", tmpdir);
    copy_file(first, bad);
    struct stat sb;
    stat(bad, &sb);
    assert_int_equal(truncate(bad, sb.st_size / 2), 0);
    bad_met_case("truncated file", bad, "trunc_wrfout", "truncated: ");
    /* duplicated times: the same records under two names */
    snprintf(bad, sizeof bad, "%s/dup_wrfout_d01_2024-01-10_00:00:00", tmpdir);
    copy_file(first, bad);
    snprintf(files, sizeof files, "%s %s", first, bad);
    bad_met_case("duplicated times", files, "dup_wrfout", "time");
    /* unsupported projection */
    snprintf(bad, sizeof bad, "%s/proj_wrfout_d01_2024-01-10_00:00:00", tmpdir);
    copy_file(first, bad);
    assert_int_equal(nc_open(bad, NC_WRITE, &nc), NC_NOERR);
    nc_redef(nc);
    int six = 6;
    assert_int_equal(nc_put_att_int(nc, NC_GLOBAL, "MAP_PROJ", NC_INT, 1, &six), NC_NOERR);
    nc_close(nc);
    bad_met_case("MAP_PROJ 6", bad, "proj_wrfout", "MAP_PROJ");
    /* two required variables missing from the first file: both named in one message (the grid
     * reader stopped at the first with "NetCDF: Variable not found") */
    snprintf(bad, sizeof bad, "%s/novars_wrfout_d01_2024-01-10_00:00:00", tmpdir);
    copy_file(first, bad);
    assert_int_equal(nc_open(bad, NC_WRITE, &nc), NC_NOERR);
    nc_redef(nc);
    assert_int_equal(nc_inq_varid(nc, "T", &v), NC_NOERR);
    assert_int_equal(nc_rename_var(nc, v, "T_renamed"), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, "U", &v), NC_NOERR);
    assert_int_equal(nc_rename_var(nc, v, "U_renamed"), NC_NOERR);
    nc_close(nc);
    bad_met_case("T and U missing", bad, "novars_wrfout_d01_2024-01-10_00:00:00:U,T: required variables missing", NULL);
    /* time not covered: 2 h asked of a file holding 4 records from 00 to 03 is fine; 10 h is not */
    char cfg[600], out[600], text[4096];
    snprintf(cfg, sizeof cfg, "%s/bad.ini", tmpdir);
    snprintf(out, sizeof out, "%s/bad_out", tmpdir);
    snprintf(text, sizeof text,
             "[run]\nstart = 2024-01-10T00:00:00Z\nhours = 10\noutput_dir = %s\n[met]\nfiles = %s/wrfout_d01_*\n"
             "[tracers]\nnames = A\n", out, synth_dir);
    write_file(cfg, text);
    expect_refusal("time not covered", cfg, out, 3, "wrfout", "time");
    /* configuration errors: exit 2 with file:line */
    snprintf(text, sizeof text,
             "[run]\nstart = 2024-01-10T00:00:00Z\nhours = 2\noutput_dir = %s\nbogus_key = 1\n[met]\nfiles = %s/wrfout_d01_*\n"
             "[tracers]\nnames = A\n", out, synth_dir);
    write_file(cfg, text);
    expect_refusal("unknown key", cfg, out, 2, "bad.ini:5", "bogus_key");
    snprintf(text, sizeof text,
             "[run]\nstart = 2024-01-10T00:00:00Z\nhours = 2\noutput_dir = %s\n[met]\nfiles = %s/wrfout_d01_*\n"
             "[tracers]\nnames = A\n[init]\nconstant.NOPE = 3\n", out, synth_dir);
    write_file(cfg, text);
    expect_refusal("name matching nothing", cfg, out, 2, "bad.ini:10", "NOPE");
    snprintf(text, sizeof text,
             "[run]\nstart = 2024-13-10T00:00:00Z\noutput_dir = %s\n[met]\nfiles = %s/wrfout_d01_*\n"
             "[tracers]\nnames = A\n", out, synth_dir);
    write_file(cfg, text);
    expect_refusal("malformed time", cfg, out, 2, "bad.ini:2", "start");
    /* a region's cities that match no city of the [cities] file (DESIGN 2.1) */
    char cities[600];
    snprintf(cities, sizeof cities, "%s/cities.csv", tmpdir);
    write_file(cities, "city,lon,lat,population\nUrumqi,87.6,43.8,4000000\n\"Shihezi\",86.0,44.3,700000\n");
    snprintf(text, sizeof text,
             "[run]\nstart = 2024-01-10T00:00:00Z\nhours = 2\noutput_dir = %s\n[met]\nfiles = %s/wrfout_d01_*\n"
             "[tracers]\nnames = A\n[cities]\nfile = %s\n[region R]\ncities = Urumqi, Shihezi, Atlantis\n", out,
             synth_dir, cities);
    write_file(cfg, text);
    expect_refusal("region city unknown", cfg, out, 2, "bad.ini:12", "'Atlantis' is not a city of");
    write_file(cfg, "[run]\nstart 2024\n");
    expect_refusal("malformed line", cfg, out, 2, "bad.ini:2", NULL);
    char err[4096];
    assert_int_equal(sh(err, sizeof err, "%s run %s/nonexistent.ini", bogda, tmpdir), 2);
    assert_non_null(strstr(err, "nonexistent.ini"));
    assert_int_equal(sh(err, sizeof err, "%s frobnicate", bogda), 2);
}

static void test_cli(void **st)
{
    (void)st;
    char err[4096];
    assert_int_equal(sh(err, sizeof err, "%s --version > %s/v.txt", bogda, tmpdir), 0);
    assert_int_equal(sh(err, sizeof err, "%s --help > /dev/null", bogda), 0);
    assert_int_equal(sh(err, sizeof err, "%s run --help > /dev/null", bogda), 0);
    assert_int_equal(sh(err, sizeof err, "%s check --help > /dev/null", bogda), 0);
    char cfg[600], out[600];
    snprintf(cfg, sizeof cfg, "%s/check.ini", tmpdir);
    snprintf(out, sizeof out, "%s/check_out", tmpdir);
    synth_config(cfg, out, 6, NULL);
    assert_int_equal(sh(err, sizeof err, "%s check %s > /dev/null", bogda, cfg), 0);
    assert_false(exists(out));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set output.nope=1", bogda, cfg), 2);
    assert_non_null(strstr(err, "nope"));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set run.decomposition=2by2", bogda, cfg), 2);
    assert_non_null(strstr(err, "[run] decomposition = '2by2': must be auto or PXxPY"));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set run.splitting=lie", bogda, cfg), 2);
    assert_non_null(strstr(err, "[run] splitting = 'lie': must be strang or alternating"));
    /* what only the batch and the forecast read, and the restart, are checked too: before, check
     * passed them and a forecast found a bad warning scheme only after its whole run */
    assert_int_equal(sh(err, sizeof err, "%s check %s --set batch.rank_by=foo", bogda, cfg), 2);
    assert_non_null(strstr(err, "[batch] rank_by: 'foo' is not a ranking.csv column"));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set batch.population_file=%s/none.nc:pop", bogda, cfg, tmpdir), 3);
    assert_non_null(strstr(err, "none.nc:pop: cannot open"));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set forecast.spinup_h=-5", bogda, cfg), 2);
    assert_non_null(strstr(err, "[forecast] spinup_h = '-5': must be >= 0"));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set forecast.warning_scheme=FOO", bogda, cfg), 2);
    assert_non_null(strstr(err, "[forecast] warning_scheme = 'FOO': unknown scheme"));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set run.restart=%s/none.nc", bogda, cfg, tmpdir), 3);
    assert_non_null(strstr(err, "none.nc: cannot open restart"));
    assert_int_equal(sh(err, sizeof err, "%s forecast %s --start 2024-01-10T00 --days 1 --set forecast.warning_scheme=FOO",
                        bogda, cfg), 2);
    assert_non_null(strstr(err, "[forecast] warning_scheme = 'FOO'"));
    assert_false(exists(out));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set batch.rank_by=d_mean_PM25_X --set forecast.warning_scheme=mep2017 "
                        "> /dev/null", bogda, cfg), 0);
    /* the cities the ranking weighs with (a batch found a bad population after all its members
     * had run), an output directory that is a file, the thread count, the spin-up */
    char bad[700];
    snprintf(bad, sizeof bad, "%s/cities_bad.csv", tmpdir);
    write_file(bad, "city,lon,lat,population\nUrumqi,87.6,43.8,many\n");
    assert_int_equal(sh(err, sizeof err, "%s check %s --set cities.file=%s", bogda, cfg, bad), 3);
    assert_non_null(strstr(err, "cities_bad.csv:2: bad population 'many'"));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set run.output_dir=%s", bogda, cfg, bad), 1);
    assert_non_null(strstr(err, "exists and is not a directory"));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set run.threads=100000", bogda, cfg), 2);
    assert_non_null(strstr(err, "[run] threads = '100000'"));
    assert_int_equal(sh(err, sizeof err, "%s check %s --set run.hours=2 --set run.spinup_h=2", bogda, cfg), 2);
    assert_non_null(strstr(err, "[run] spinup_h = '2': must be shorter than the run"));
    /* the configuration file itself: a directory, a line longer than the INI reader takes (it
     * was reported one line too far down), a section header without its ']' */
    assert_int_equal(sh(err, sizeof err, "%s check %s", bogda, tmpdir), 2);
    assert_non_null(strstr(err, "is a directory, not a configuration file"));
    char ini[700], text[1200];
    snprintf(ini, sizeof ini, "%s/long.ini", tmpdir);
    snprintf(text, sizeof text, "[run]\nstart = 2024-01-10T00:00:00Z\n; %0250d\nhours = 1\n", 0);
    write_file(ini, text);
    assert_int_equal(sh(err, sizeof err, "%s check %s", bogda, ini), 2);
    assert_non_null(strstr(err, "long.ini:3: line of 252 characters"));
    write_file(ini, "[run]\nstart = 2024-01-10T00:00:00Z\n[processes\nadvection = on\n");
    assert_int_equal(sh(err, sizeof err, "%s check %s", bogda, ini), 2);
    assert_non_null(strstr(err, "long.ini:3: section header without its closing ']'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_uniform_real_wrf),
        cmocka_unit_test(test_missing_variables_refused),
        cmocka_unit_test(test_restart_and_resume_bitwise),
        cmocka_unit_test(test_restart_chemistry),
        cmocka_unit_test(test_budget_closes),
        cmocka_unit_test(test_threads_bitwise),
#ifdef BOGDA_MPI
        cmocka_unit_test(test_mpi_bitwise),
#endif
        cmocka_unit_test(test_boundary_file),
        cmocka_unit_test(test_bad_input),
    };
    /* BOGDA_TEST_FILTER=test_mpi_bitwise runs one test while developing */
    if (getenv("BOGDA_TEST_FILTER")) cmocka_set_test_filter(getenv("BOGDA_TEST_FILTER"));
    return cmocka_run_group_tests_name("whole model", tests, setup, teardown);
}
