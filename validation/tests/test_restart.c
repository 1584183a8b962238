/* Checkpoints (model/restart.c): bit-for-bit round trip, refusal of a checkpoint from another grid,
 * species set or configuration (each message naming the item), restart_find_newest skipping
 * truncated and unfinished files, and an output run continued through a real restart file that
 * equals the uninterrupted run exactly (nc_compare_files). */
#include <dirent.h>
#include <math.h>
#include <netcdf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "grid.h"
#include "nccompare.h"
#include "output.h"
#include "restart.h"
#include "state.h"
#include "timeutil.h"

#define NX 6
#define NY 5
#define NZ 4

static double T0; /* 2024-01-10T00:00:00Z */

static void grid_make(Grid *g, int nx)
{
    memset(g, 0, sizeof *g);
    g->nx = nx, g->ny = NY, g->nz = NZ;
    g->dx = g->dy = 4000.0;
    g->map_proj = 1;
    g->truelat1 = 30.0, g->truelat2 = 60.0, g->stand_lon = 87.0, g->moad_cen_lat = 44.0;
    g->x = malloc((size_t)nx * sizeof *g->x);
    g->y = malloc(NY * sizeof *g->y);
    g->lat = malloc((size_t)nx * NY * sizeof *g->lat);
    g->lon = malloc((size_t)nx * NY * sizeof *g->lon);
    for (int i = 0; i < nx; i++) g->x[i] = -10000.0 + 4000.0 * i;
    for (int j = 0; j < NY; j++) g->y[j] = -8000.0 + 4000.0 * j;
    for (int c = 0; c < nx * NY; c++) {
        g->lat[c] = 43.9 + 0.036 * (c / nx);
        g->lon[c] = 86.9 + 0.05 * (c % nx);
    }
}

static void grid_release(Grid *g)
{
    free(g->x), free(g->y), free(g->lat), free(g->lon);
    memset(g, 0, sizeof *g);
}

static void state_make(State *s, int nx, const char *const *names, int n)
{
    assert_int_equal(state_alloc(s, nx, NY, NZ, n), 0);
    for (int i = 0; i < n; i++) {
        snprintf(s->spec[i].name, BG_NAME_LEN, "%s", names[i]);
        s->spec[i].molar_mass = 28.0 + 3.17 * i;
    }
}

/* Values that use the whole mantissa, so a float or text round trip would show. */
static void state_fill(State *s, double t)
{
    size_t n = (size_t)s->nspec * state_ncell(s);
    for (size_t c = 0; c < n; c++) s->q[c] = (1.0 + sin(0.7 * (double)c + t * 1e-5)) * 1e-9 / 3.0;
    s->time = t;
}

static const char *NAMES3[] = {"O3", "NO2", "TRACER"};

static void make_tmpdir(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/bogda_test_restart_XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    char p[1200];
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        remove(p);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(time_parse("2024-01-10T00:00:00Z", &T0), 0);
    return 0;
}

/* A checkpoint at t in dir with the standard extras; returns its path in p. */
static void write_ckpt(const char *dir, const Grid *g, double t, const char *hash, char *p, size_t n)
{
    State s;
    BgErr e = {0};
    state_make(&s, g->nx, NAMES3, 3);
    state_fill(&s, t);
    double acc[7] = {1, 2, 3, 4, 5, 6, 7}, bud[2] = {0.1, 0.2};
    RestartExtra x = {.out_acc = acc, .n_out_acc = 7, .budget = bud, .n_budget = 2};
    restart_path(dir, t, p, n);
    int rc = restart_write(p, g, &s, &x, hash, "[run]\n", &e);
    if (rc) fail_msg("restart_write: %s", e.msg);
    state_free(&s);
}

static void test_path(void **state)
{
    (void)state;
    char p[256];
    restart_path("out", T0 + 5 * 3600 + 30 * 60, p, sizeof p);
    assert_string_equal(p, "out/restart_2024-01-10T0530.nc");
}

static void test_round_trip_bit_for_bit(void **state)
{
    (void)state;
    Grid g;
    State s, r;
    BgErr e = {0};
    char dir[64], p[256];
    grid_make(&g, NX);
    make_tmpdir(dir, sizeof dir);
    state_make(&s, NX, NAMES3, 3);
    state_fill(&s, T0 + 1234.5678901234567);
    s.step = 123456789012L;
    double acc[50], bud[5], dep[3] = {M_PI, -0.0, 1e-300}, acc2[50], bud2[5], dep2[3], emp2[1];
    for (int i = 0; i < 50; i++) acc[i] = 1.0 / (i + 3.0);
    for (int i = 0; i < 5; i++) bud[i] = exp(i * 1.1);
    RestartArray arr[2] = {{"dep", dep, 3, 0, 0}, {"empty", NULL, 0, 0, 0}};
    RestartExtra x = {acc, 50, 17, T0 + 900.25, T0 + 1234.5678901234567, bud, 5, 2, arr};
    restart_path(dir, s.time, p, sizeof p);
    assert_int_equal(restart_write(p, &g, &s, &x, "0123456789abcdef", "[run]\nhours = 4\n", &e), 0);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    assert_int_not_equal(access(tmp, F_OK), 0); /* renamed */

    state_make(&r, NX, NAMES3, 3);
    RestartArray arr2[2] = {{"dep", dep2, 3, 0, 0}, {"empty", emp2, 0, 0, 0}};
    RestartExtra y = {acc2, 50, 0, 0, 0, bud2, 5, 2, arr2};
    int rc = restart_read(p, &g, &r, &y, "0123456789abcdef", &e);
    if (rc) fail_msg("restart_read: %s", e.msg);
    assert_memory_equal(r.q, s.q, 3 * state_ncell(&s) * sizeof(double));
    assert_memory_equal(&r.time, &s.time, sizeof(double));
    assert_true(r.step == s.step);
    assert_memory_equal(acc2, acc, sizeof acc);
    assert_memory_equal(bud2, bud, sizeof bud);
    assert_memory_equal(dep2, dep, sizeof dep);
    assert_int_equal(y.out_nsamples, 17);
    assert_memory_equal(&y.out_acc_start, &x.out_acc_start, sizeof(double));
    assert_memory_equal(&y.out_last_sample, &x.out_last_sample, sizeof(double));

    /* the stored attributes: config text, hash, molar mass */
    int ncid, v;
    char txt[64] = "";
    double mm;
    assert_int_equal(nc_open(p, NC_NOWRITE, &ncid), NC_NOERR);
    assert_int_equal(nc_get_att_text(ncid, NC_GLOBAL, "bogda_config", txt), NC_NOERR);
    assert_string_equal(txt, "[run]\nhours = 4\n");
    assert_int_equal(nc_inq_varid(ncid, "NO2", &v), NC_NOERR);
    assert_int_equal(nc_get_att_double(ncid, v, "molar_mass_g_mol", &mm), NC_NOERR);
    assert_true(mm == 28.0 + 3.17);
    nc_close(ncid);

    /* no extras at all is fine too */
    assert_int_equal(restart_write(p, &g, &s, NULL, NULL, NULL, &e), 0);
    assert_int_equal(restart_read(p, &g, &r, NULL, NULL, &e), 0);
    assert_memory_equal(r.q, s.q, 3 * state_ncell(&s) * sizeof(double));

    state_free(&s);
    state_free(&r);
    rm_tree(dir);
    grid_release(&g);
}

static void expect_refusal(const char *p, const Grid *g, State *s, RestartExtra *x,
                           const char *hash, const char *const *needles)
{
    BgErr e = {0};
    assert_int_equal(restart_read(p, g, s, x, hash, &e), BG_EINPUT);
    for (; *needles; needles++)
        if (!strstr(e.msg, *needles)) fail_msg("message \"%s\" lacks \"%s\"", e.msg, *needles);
}

static void test_mismatches_rejected(void **state)
{
    (void)state;
    Grid g, g7;
    State s;
    char dir[64], p[256];
    double acc[7], bud[2];
    grid_make(&g, NX);
    grid_make(&g7, NX + 1);
    make_tmpdir(dir, sizeof dir);
    write_ckpt(dir, &g, T0 + 3600, "aaaa", p, sizeof p);
    RestartExtra x = {.out_acc = acc, .n_out_acc = 7, .budget = bud, .n_budget = 2};

    /* grid: size, then a projection parameter */
    state_make(&s, NX + 1, NAMES3, 3);
    expect_refusal(p, &g7, &s, &x, NULL, (const char *[]){"nx 6 in restart, 7 in grid", NULL});
    state_free(&s);
    state_make(&s, NX, NAMES3, 3);
    g.stand_lon = 88.5;
    expect_refusal(p, &g, &s, &x, NULL, (const char *[]){"stand_lon 87 in restart, 88.5 in grid", NULL});
    g.stand_lon = 87.0;
    g.dx = 3000.0;
    expect_refusal(p, &g, &s, &x, NULL, (const char *[]){"dx 4000 in restart, 3000 in grid", NULL});
    g.dx = 4000.0;
    state_free(&s);

    /* species: one missing from the restart, one the run does not have */
    const char *other[] = {"O3", "NO2", "SO2"};
    state_make(&s, NX, other, 3);
    expect_refusal(p, &g, &s, &x, NULL, (const char *[]){"SO2", "TRACER", "species", NULL});
    state_free(&s);
    /* molar mass changed */
    state_make(&s, NX, NAMES3, 3);
    s.spec[1].molar_mass = 46.0;
    expect_refusal(p, &g, &s, &x, NULL, (const char *[]){"molar mass of NO2", NULL});
    state_free(&s);

    /* configuration hash */
    state_make(&s, NX, NAMES3, 3);
    expect_refusal(p, &g, &s, &x, "bbbb",
                   (const char *[]){"configuration hash differs", "aaaa", "bbbb", NULL});
    BgErr ok = {0};
    assert_int_equal(restart_read(p, &g, &s, &x, "aaaa", &ok), 0);

    /* extra array lengths and names */
    RestartExtra x6 = {.out_acc = acc, .n_out_acc = 6, .budget = bud, .n_budget = 2};
    expect_refusal(p, &g, &s, &x6, NULL, (const char *[]){"out_acc has 7 values in restart, 6 expected", NULL});
    RestartExtra xb = {.out_acc = acc, .n_out_acc = 7, .budget = bud, .n_budget = 1};
    expect_refusal(p, &g, &s, &xb, NULL, (const char *[]){"budget", NULL});
    double d1[1];
    RestartArray want = {"dep", d1, 1, 0, 0};
    RestartExtra xa = {.out_acc = acc, .n_out_acc = 7, .budget = bud, .n_budget = 2, .narrays = 1, .arrays = &want};
    expect_refusal(p, &g, &s, &xa, NULL, (const char *[]){"dep", "missing", NULL});

    /* not a restart at all */
    char bogus[300];
    snprintf(bogus, sizeof bogus, "%s/nothing.nc", dir);
    expect_refusal(bogus, &g, &s, &x, NULL, (const char *[]){"nothing.nc", "cannot open", NULL});
    state_free(&s);
    rm_tree(dir);
    grid_release(&g);
    grid_release(&g7);
}

static void test_find_newest(void **state)
{
    (void)state;
    Grid g;
    BgErr e = {0};
    char dir[64], p1[256], p2[256], p3[256], p4[256], found[512];
    grid_make(&g, NX);
    make_tmpdir(dir, sizeof dir);
    assert_int_equal(restart_find_newest(dir, found, sizeof found, &e), BG_EINPUT);
    assert_non_null(strstr(e.msg, "no complete restart"));

    write_ckpt(dir, &g, T0 + 3600, "h", p1, sizeof p1);
    write_ckpt(dir, &g, T0 + 7200, "h", p2, sizeof p2);
    write_ckpt(dir, &g, T0 + 10800, "h", p3, sizeof p3);
    BgErr e1 = {0};
    assert_int_equal(restart_find_newest(dir, found, sizeof found, &e1), 0);
    assert_string_equal(found, p3);

    /* the newest is truncated (a kill during a copy, a full disk): the one before is chosen */
    struct stat st;
    assert_int_equal(stat(p3, &st), 0);
    assert_int_equal(truncate(p3, st.st_size / 2), 0);
    /* a newer file without complete = 1 (killed while writing) and a leftover .tmp */
    restart_path(dir, T0 + 14400, p4, sizeof p4);
    int ncid;
    assert_int_equal(nc_create(p4, NC_CLOBBER | NC_NETCDF4, &ncid), NC_NOERR);
    nc_close(ncid);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s/restart_2024-01-10T0500.nc.tmp", dir);
    FILE *f = fopen(tmp, "w");
    fputs("partial", f);
    fclose(f);
    BgErr e2 = {0};
    assert_int_equal(restart_find_newest(dir, found, sizeof found, &e2), 0);
    assert_string_equal(found, p2);
    assert_int_equal(e2.code, BG_OK);

    /* reading the truncated one directly is an input error, not a crash */
    State s;
    state_make(&s, NX, NAMES3, 3);
    BgErr e3 = {0};
    assert_int_equal(restart_read(p3, &g, &s, NULL, NULL, &e3), BG_EINPUT);
    BgErr e4 = {0};
    assert_int_equal(restart_read(p4, &g, &s, NULL, NULL, &e4), BG_EINPUT);
    assert_non_null(strstr(e4.msg, "incomplete"));
    state_free(&s);
    rm_tree(dir);
    grid_release(&g);
}

/* ------------------------------------------------- output continued through a restart file */

#define DT 600.0
#define INTERVAL 3600.0

static void state_at(State *s, long n)
{
    double t = T0 + n * DT;
    size_t nc = state_ncell(s);
    for (int sp = 0; sp < s->nspec; sp++)
        for (size_t c = 0; c < nc; c++)
            state_species(s, sp)[c] = (5.0 + sp + 0.01 * c + 3.0 * sin(2 * M_PI * t / 86400.0 + 0.1 * c)) * 1e-9;
    s->time = t;
    s->step = n;
}

static void steps(Output *o, State *s, long n0, long n1)
{
    BgErr e = {0};
    for (long n = n0 + 1; n <= n1; n++) {
        state_at(s, n);
        output_accumulate(o, s);
        if (n % (long)(INTERVAL / DT) == 0 && output_write(o, s, &e)) fail_msg("%s", e.msg);
    }
}

static void test_output_continues_through_restart(void **state)
{
    (void)state;
    const long NSTEP = 36 * 6; /* 36 h */
    const long NCKPT = 20 * 6 + 2; /* 20:20, inside an averaging interval */
    Grid g;
    State s;
    Output o;
    BgErr e = {0};
    char d1[64], d2[64], p[256];
    int sp[2] = {2, 0};
    grid_make(&g, NX);
    make_tmpdir(d1, sizeof d1);
    make_tmpdir(d2, sizeof d2);
    state_make(&s, NX, NAMES3, 3);
    OutputConfig c = {.nout = 2, .species = sp, .interval_s = INTERVAL, .average = 1,
                      .config_text = "[run]\n", .all_layers = 1};

    c.dir = d1; /* uninterrupted */
    assert_int_equal(output_init(&o, &g, &c, T0, &e), 0);
    steps(&o, &s, 0, NSTEP);
    assert_int_equal(output_finish(&o, &e), 0);
    output_free(&o);

    c.dir = d2; /* checkpoint, run on and get killed */
    assert_int_equal(output_init(&o, &g, &c, T0, &e), 0);
    steps(&o, &s, 0, NCKPT);
    RestartExtra x = {o.acc, o.nacc, o.nsamples, o.acc_start, o.last_sample, NULL, 0, 0, NULL};
    restart_path(d2, s.time, p, sizeof p);
    assert_int_equal(restart_write(p, &g, &s, &x, "cafe", "[run]\n", &e), 0);
    steps(&o, &s, NCKPT, NCKPT + 40);
    output_free(&o);

    /* resume: find, read, restore, continue */
    char found[512];
    assert_int_equal(restart_find_newest(d2, found, sizeof found, &e), 0);
    assert_string_equal(found, p);
    State r;
    state_make(&r, NX, NAMES3, 3);
    assert_int_equal(output_init(&o, &g, &c, T0 + NCKPT * DT, &e), 0);
    RestartExtra y = {o.acc, o.nacc, 0, 0, 0, NULL, 0, 0, NULL};
    assert_int_equal(restart_read(found, &g, &r, &y, "cafe", &e), 0);
    assert_int_equal(output_restore(&o, y.out_acc, y.n_out_acc, y.out_nsamples, y.out_acc_start,
                                    y.out_last_sample, &e), 0);
    assert_true(r.step == NCKPT && r.time == T0 + NCKPT * DT);
    output_accumulate(&o, &r); /* the driver's run-start call */
    steps(&o, &r, r.step, NSTEP);
    assert_int_equal(output_finish(&o, &e), 0);
    output_free(&o);

    const char *days[2] = {"2024-01-10", "2024-01-11"};
    for (int i = 0; i < 2; i++) {
        char a[256], b[256], rep[256];
        long nd = -1;
        snprintf(a, sizeof a, "%s/conc_%s.nc", d1, days[i]);
        snprintf(b, sizeof b, "%s/conc_%s.nc", d2, days[i]);
        assert_int_equal(nc_compare_files(a, b, NULL, &nd, rep, sizeof rep), 0);
        if (nd != 0) fail_msg("%s: %ld differences: %s", b, nd, rep);
    }
    state_free(&s);
    state_free(&r);
    rm_tree(d1);
    rm_tree(d2);
    grid_release(&g);
}

/* Sets value v at index idx of variable name in the restart p (a damaged or hand-edited file). */
static void poke(const char *p, const char *name, size_t idx, double v)
{
    int nc, var;
    assert_int_equal(nc_open(p, NC_WRITE, &nc), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, name, &var), NC_NOERR);
    int nd;
    assert_int_equal(nc_inq_varndims(nc, var, &nd), NC_NOERR);
    size_t ix[3] = {0, 0, 0};
    if (nd == 3) {
        ix[0] = idx / (NX * NY), ix[1] = idx % (NX * NY) / NX, ix[2] = idx % NX;
    } else {
        ix[0] = idx;
    }
    assert_int_equal(nc_put_var1_double(nc, var, ix, &v), NC_NOERR);
    assert_int_equal(nc_close(nc), NC_NOERR);
}

/* A restart whose state or averaging state holds NaN, Inf, negatives or a negative sample count
 * is refused (exit 3), naming the variable, the first bad index and the count; -0.0 is zero. */
static void test_bad_values_refused(void **state)
{
    (void)state;
    Grid g;
    State s;
    char dir[64], p[256];
    grid_make(&g, NX);
    make_tmpdir(dir, sizeof dir);
    state_make(&s, NX, NAMES3, 3);
    double acc[7], bud[2];
    RestartExtra x = {.out_acc = acc, .n_out_acc = 7, .budget = bud, .n_budget = 2};
    struct {
        const char *var;
        size_t idx;
        double v;
        const char *want[3];
    } cases[] = {
        {"O3", 1 * NX * NY + 3 * NX + 2, NAN, {"O3: 1 NaN/Inf values, first at [k=1,j=3,i=2]", NULL}},
        {"NO2", 7, INFINITY, {"NO2: 1 NaN/Inf values, first at [k=0,j=1,i=1]", NULL}},
        {"TRACER", 2 * NX * NY, -1e-12, {"TRACER: 1 negative values, first at [k=2,j=0,i=0]", NULL}},
        {"out_nsamples", 0, -3, {"out_nsamples", "negative", NULL}},
        {"time", 0, NAN, {":time: ", "not a finite value", NULL}},
        {"out_acc_start", 0, INFINITY, {"out_acc_start", "not a finite value", NULL}},
        {"out_acc", 4, NAN, {"out_acc: 1 NaN/Inf values, first at [4]", NULL}},
        {"budget", 1, NAN, {"budget: 1 NaN/Inf values, first at [1]", NULL}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        write_ckpt(dir, &g, T0 + 3600, "h", p, sizeof p);
        poke(p, cases[c].var, cases[c].idx, cases[c].v);
        expect_refusal(p, &g, &s, &x, "h", cases[c].want);
        remove(p);
    }
    /* two NaN: the count and the first */
    write_ckpt(dir, &g, T0 + 3600, "h", p, sizeof p);
    poke(p, "O3", 9, NAN);
    poke(p, "O3", 5, NAN);
    const char *two[] = {"O3: 2 NaN/Inf values, first at [k=0,j=0,i=5]", NULL};
    expect_refusal(p, &g, &s, &x, "h", two);
    remove(p);
    /* -0.0 (a cell emptied by a process) is accepted */
    write_ckpt(dir, &g, T0 + 3600, "h", p, sizeof p);
    poke(p, "O3", 3, -0.0);
    BgErr e = {0};
    if (restart_read(p, &g, &s, &x, "h", &e)) fail_msg("-0.0 refused: %s", e.msg);
    assert_true(signbit(state_species(&s, 0)[3]) && state_species(&s, 0)[3] == 0.0);
    rm_tree(dir);
    state_free(&s);
    grid_release(&g);
}

/* The program under test ($BOGDA); the whole-program tests skip without it. */
static const char *bogda_or_skip(void)
{
    const char *b = getenv("BOGDA");
    if (!b) {
        print_message("skipped: BOGDA not set\n");
        skip();
    }
    return b;
}

/* The text of the small file at path into buf (n bytes, NUL-terminated). */
static void read_text(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    buf[fread(buf, 1, n - 1, f)] = 0;
    fclose(f);
}

/* Files a and b hold the same values bit for bit (nccompare), said with what. */
static void assert_same_nc(const char *a, const char *b, const char *what)
{
    char rep[256];
    long nd = -1;
    assert_int_equal(nc_compare_files(a, b, NULL, &nd, rep, sizeof rep), 0);
    print_message("%s: %ld differing values\n", what, nd);
    assert_int_equal(nd, 0);
}

/* The whole program: a case run to its end, then `run --resume` again (a requeued job) exits 0
 * with one line and touches nothing; an explicit run.restart outside the window names the times. */
static void test_resume_finished_run(void **state)
{
    (void)state;
    const char *bogda = bogda_or_skip();
    char dir[64], cmd[2048], out[1024] = "", err[1024] = "";
    make_tmpdir(dir, sizeof dir);
    snprintf(cmd, sizeof cmd,
             "cd %s && %s makecase case --days 1 >/dev/null 2>&1 && "
             "%s run case/demo.ini --set run.hours=1 --set run.output_dir=%s/out >/dev/null 2>&1 && "
             "cd out && ls -l --time-style=full-iso > ../before.txt && md5sum * >> ../before.txt",
             dir, bogda, bogda, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "cd %s && %s run case/demo.ini --set run.hours=1 --set run.output_dir=%s/out --resume >out.txt 2>err.txt",
             dir, bogda, dir);
    int st = system(cmd);
    char p[256];
    snprintf(p, sizeof p, "%s/out.txt", dir);
    read_text(p, out, sizeof out);
    snprintf(p, sizeof p, "%s/err.txt", dir);
    read_text(p, err, sizeof err);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) != 0) fail_msg("exit %d: %s", WEXITSTATUS(st), err);
    char want[256];
    snprintf(want, sizeof want, "bogda: run in %s/out is already complete (checkpoint at 2024-01-10T01:00:00Z)\n", dir);
    assert_string_equal(out, want);
    assert_string_equal(err, "");
    snprintf(cmd, sizeof cmd,
             "cd %s/out && ls -l --time-style=full-iso > ../after.txt && md5sum * >> ../after.txt && "
             "cmp -s ../before.txt ../after.txt && ! ls | grep -q '[.]tmp$'",
             dir);
    assert_int_equal(system(cmd), 0);

    /* the same checkpoint named explicitly is outside the window [00:00, 01:00): exit 3 */
    snprintf(cmd, sizeof cmd,
             "cd %s && %s run case/demo.ini --set run.hours=1 --set run.output_dir=%s/out2 "
             "--set run.restart=%s/out/restart_2024-01-10T0100.nc >out.txt 2>err.txt",
             dir, bogda, dir, dir);
    st = system(cmd);
    snprintf(p, sizeof p, "%s/err.txt", dir);
    read_text(p, err, sizeof err);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    if (!strstr(err, "bogda: error: ") || !strstr(err, "restart_2024-01-10T0100.nc:time: restart at 2024-01-10T01:00:00Z, "
                                                     "but the run window is 2024-01-10T00:00:00Z to "
                                                     "2024-01-10T01:00:00Z (sync step 300 s)"))
        fail_msg("message \"%s\"", err);

    /* killed after the final checkpoint but before the outputs were finished (budget.csv is
     * written last): --resume takes the checkpoint before the end, not "already complete", and
     * ends with the uninterrupted run's budget and output */
    snprintf(cmd, sizeof cmd,
             "cd %s && %s run case/demo.ini --set run.hours=2 --set run.checkpoint_h=1 --set run.output_dir=%s/out3 "
             ">/dev/null 2>&1 && cp out3/budget.csv budget_whole.csv && cp out3/conc_2024-01-10.nc conc_whole.nc && "
             "mv out3/budget.csv out3/budget.csv.tmp && mv out3/conc_2024-01-10.nc out3/conc_2024-01-10.nc.tmp && "
             "%s run case/demo.ini --set run.hours=2 --set run.checkpoint_h=1 --set run.output_dir=%s/out3 --resume "
             ">out.txt 2>err.txt && ! grep -q 'already complete' out.txt && grep -q 'continuing from .*T0100' out3/run.log && "
             "cmp -s budget_whole.csv out3/budget.csv && test -f out3/conc_2024-01-10.nc",
             dir, bogda, dir, bogda, dir);
    assert_int_equal(system(cmd), 0);
    char ca[300], cb[300];
    snprintf(ca, sizeof ca, "%s/conc_whole.nc", dir);
    snprintf(cb, sizeof cb, "%s/out3/conc_2024-01-10.nc", dir);
    assert_same_nc(ca, cb, "killed between the final checkpoint and budget.csv, resumed");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* A stop between a day's last record and the next day's first (a checkpoint at midnight, killed
 * 20 min later): the continued run finishes the earlier day's files, which it never writes to
 * again (they stayed .tmp, and the run ended with exit 0 and no conc file for that day), and
 * every output equals the uninterrupted run's. */
static void test_resume_across_midnight(void **state)
{
    (void)state;
    const char *bogda = bogda_or_skip();
    char dir[64], cmd[4096];
    make_tmpdir(dir, sizeof dir);
    const char *S = "--set run.start=2024-01-10T21:00:00Z --set run.hours=6 --set run.checkpoint_h=3 "
                    "--set output.diagnostics=on";
    snprintf(cmd, sizeof cmd,
             "cd %s && %s makecase case --days 2 >/dev/null 2>&1 && "
             "%s run case/demo.ini %s --set run.output_dir=%s/whole >/dev/null 2>&1 && "
             "(BOGDA_FAULT_KILL_AFTER_STEP=40 %s run case/demo.ini %s --set run.output_dir=%s/cut >/dev/null 2>&1; true) && "
             "test -f %s/cut/conc_2024-01-10.nc.tmp && "
             "%s run case/demo.ini %s --set run.output_dir=%s/cut --resume >/dev/null 2>&1 && "
             "grep -q 'continuing from .*T0000' %s/cut/run.log && ! ls %s/cut | grep -q '[.]tmp$' && "
             "cmp -s %s/whole/budget.csv %s/cut/budget.csv && cmp -s %s/whole/stations.csv %s/cut/stations.csv",
             dir, bogda, bogda, S, dir, bogda, S, dir, dir, bogda, S, dir, dir, dir, dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    static const char *const files[] = {"conc_2024-01-10.nc", "conc_2024-01-11.nc", "diag_2024-01-10.nc", "diag_2024-01-11.nc"};
    for (int f = 0; f < 4; f++) {
        char a[300], b[300], what[128];
        snprintf(a, sizeof a, "%s/whole/%s", dir, files[f]);
        snprintf(b, sizeof b, "%s/cut/%s", dir, files[f]);
        snprintf(what, sizeof what, "killed 20 min after a midnight checkpoint, resumed: %s", files[f]);
        assert_same_nc(a, b, what);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* The whole program refuses a restart holding NaN (exit 3, naming file, variable and index) and
 * writes no output. */
static void test_run_refuses_nan_restart(void **state)
{
    (void)state;
    const char *bogda = bogda_or_skip();
    char dir[64], cmd[2048], err[1024] = "", p[256];
    make_tmpdir(dir, sizeof dir);
    snprintf(cmd, sizeof cmd,
             "cd %s && %s makecase case --days 1 >/dev/null 2>&1 && "
             "%s run case/demo.ini --set run.hours=2 --set run.checkpoint_h=1 --set run.output_dir=%s/out >/dev/null 2>&1",
             dir, bogda, bogda, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/out/restart_2024-01-10T0100.nc", dir);
    int nc, v;
    size_t ix[3] = {2, 5, 7};
    double nan = NAN;
    assert_int_equal(nc_open(p, NC_WRITE, &nc), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, "O3", &v), NC_NOERR);
    assert_int_equal(nc_put_var1_double(nc, v, ix, &nan), NC_NOERR);
    assert_int_equal(nc_close(nc), NC_NOERR);
    snprintf(cmd, sizeof cmd, "cd %s && %s run case/demo.ini --set run.hours=2 --set run.output_dir=%s/out2 --set run.restart=%s 2>err.txt",
             dir, bogda, dir, p);
    int st = system(cmd);
    snprintf(p, sizeof p, "%s/err.txt", dir);
    read_text(p, err, sizeof err);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    if (!strstr(err, "bogda: error: ") || !strstr(err, "restart_2024-01-10T0100.nc:O3: 1 NaN/Inf values, first at [k=2,j=5,i=7]"))
        fail_msg("message \"%s\"", err);
    snprintf(p, sizeof p, "%s/out2/conc_2024-01-10.nc", dir);
    struct stat sb;
    assert_int_not_equal(stat(p, &sb), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_round_trip_bit_for_bit),
        cmocka_unit_test(test_mismatches_rejected),
        cmocka_unit_test(test_find_newest),
        cmocka_unit_test(test_output_continues_through_restart),
        cmocka_unit_test(test_bad_values_refused),
        cmocka_unit_test(test_resume_finished_run),
        cmocka_unit_test(test_resume_across_midnight),
        cmocka_unit_test(test_run_refuses_nan_restart),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
