/* Emissions in the whole model: the budget's emission column equals the inventory's total inside
 * the domain times the seconds run; scenario controls scale it exactly; a scenario whose factors
 * are all 1 equals the baseline bit for bit; bad controls and point sources are refused. */
#include <limits.h>
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

#include "csvutil.h"
#include "grid.h"
#include "inventory.h"
#include "nccompare.h"
#include "synthmet.h"
#include "testutil.h"
#include "timeutil.h"

static char tmpdir[256], metdir[400], invpath[400], err[8192];
static const char *bogda;

static int sh(const char *fmt, ...)
{
    char cmd[4096], full[4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "%s 2>%s/stderr.txt", cmd, tmpdir);
    int st = system(full);
    char p[512];
    snprintf(p, sizeof p, "%s/stderr.txt", tmpdir);
    FILE *f = fopen(p, "r");
    size_t len = f ? fread(err, 1, sizeof err - 1, f) : 0;
    err[len] = 0;
    if (f) fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* a command that must succeed: its stderr is shown when it does not */
#define SH_OK(...)                                                                                 \
    do {                                                                                           \
        const int rc_ = sh(__VA_ARGS__);                                                           \
        if (rc_) fprintf(stderr, "%s", err);                                                       \
        assert_int_equal(rc_, 0);                                                                  \
    } while (0)

/* 0.1-degree lon-lat inventory over 84-91 E, 41.5-46.5 N: CO and NOx in kg m-2 s-1 for the
 * sectors residential and power (uniform, so the regridded total is the flux times the area). */
static void write_inventory(const char *path)
{
    enum { NLON = 70, NLAT = 50, NSEC = 2, SLEN = 16 };
    int nc, dlon, dlat, dsec, dstr, vlon, vlat, vsec, vco, vnox, vtag;
    assert_int_equal(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc), NC_NOERR);
    nc_def_dim(nc, "lon", NLON, &dlon);
    nc_def_dim(nc, "lat", NLAT, &dlat);
    nc_def_dim(nc, "sector", NSEC, &dsec);
    nc_def_dim(nc, "strlen", SLEN, &dstr);
    nc_def_var(nc, "lon", NC_DOUBLE, 1, &dlon, &vlon);
    nc_put_att_text(nc, vlon, "units", 12, "degrees_east");
    nc_def_var(nc, "lat", NC_DOUBLE, 1, &dlat, &vlat);
    nc_put_att_text(nc, vlat, "units", 13, "degrees_north");
    int sd[2] = {dsec, dstr};
    nc_def_var(nc, "sector", NC_CHAR, 2, sd, &vsec);
    int dims[3] = {dsec, dlat, dlon};
    nc_def_var(nc, "CO", NC_DOUBLE, 3, dims, &vco);
    nc_put_att_text(nc, vco, "units", 10, "kg m-2 s-1");
    nc_def_var(nc, "NOx", NC_DOUBLE, 3, dims, &vnox);
    nc_put_att_text(nc, vnox, "units", 10, "kg m-2 s-1");
    /* NH3 emitted by the residential sector only: in tracer mode the inert tag R carries it */
    nc_def_var(nc, "NH3", NC_DOUBLE, 3, dims, &vtag);
    nc_put_att_text(nc, vtag, "units", 10, "kg m-2 s-1");
    nc_enddef(nc);
    double lon[NLON], lat[NLAT];
    for (int i = 0; i < NLON; i++) lon[i] = 84.05 + 0.1 * i;
    for (int j = 0; j < NLAT; j++) lat[j] = 41.55 + 0.1 * j;
    nc_put_var_double(nc, vlon, lon);
    nc_put_var_double(nc, vlat, lat);
    char names[NSEC][SLEN] = {"residential", "power"};
    nc_put_var_text(nc, vsec, &names[0][0]);
    static double co[NSEC * NLAT * NLON], nox[NSEC * NLAT * NLON], tag[NSEC * NLAT * NLON];
    for (int s = 0; s < NSEC; s++)
        for (int c = 0; c < NLAT * NLON; c++) {
            co[s * NLAT * NLON + c] = s == 0 ? 1e-9 : 2e-9;
            nox[s * NLAT * NLON + c] = 1e-10;
            tag[s * NLAT * NLON + c] = s == 0 ? 3e-10 * (1.0 + 0.5 * sin(0.1 * c)) : 0.0;
        }
    nc_put_var_double(nc, vco, co);
    nc_put_var_double(nc, vnox, nox);
    nc_put_var_double(nc, vtag, tag);
    nc_close(nc);
}

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bogda_test_emis_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    bogda = getenv("BOGDA");
    if (!bogda) bogda = "bin/bogda";
    SynthMetSpec s;
    synthmet_defaults(&s);
    s.nx = 16;
    s.ny = 12;
    s.nz = 6;
    s.dx_m = 12000;
    s.nrec = 4;
    s.interval_h = 1;
    s.rec_per_file = 4;
    snprintf(s.start, sizeof s.start, "2024-01-10T00:00:00Z");
    snprintf(metdir, sizeof metdir, "%s/met", tmpdir);
    BgErr e = {0};
    if (synthmet_write(&s, metdir, NULL, NULL, &e)) return -1;
    snprintf(invpath, sizeof invpath, "%s/inv.nc", tmpdir);
    write_inventory(invpath);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[300];
    if (getenv("BOGDA_TEST_KEEP")) return 0; /* keep the files to look at a failure */
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd);
}

static void write_config(const char *path, const char *extra)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "[run]\nstart = 2024-01-10T00:00:00Z\nhours = 3\noutput_dir = out\nsync_step_s = 600\n"
            "[met]\nfiles = %s/wrfout_d01_*\n"
            "[processes]\nemissions = on\n"
            "[emissions]\ninventory = %s\n"
            "[tracers]\nnames = T, R\nemit.T = CO\nemit.R = NH3\n"
            "[region west]\npolygon = 80 40, 87.6 40, 87.6 48, 80 48\n"
            "[scenario half]\ncontrol = residential CO west 0.5\n"
            "[scenario tag_half]\ncontrol = residential NH3 * 0.5\n"
            "[scenario none]\ncontrol = * * * 1.0\n"
            "[output]\ninterval_h = 1\n%s",
            metdir, invpath, extra ? extra : "");
    fclose(f);
}

/* every value of a variable of a NetCDF file */
static double *read_var(const char *path, const char *name, size_t *n)
{
    int nc, v, nd, dims[NC_MAX_VAR_DIMS];
    assert_int_equal(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, name, &v), NC_NOERR);
    nc_inq_varndims(nc, v, &nd);
    nc_inq_vardimid(nc, v, dims);
    size_t tot = 1;
    for (int d = 0; d < nd; d++) {
        size_t l;
        nc_inq_dimlen(nc, dims[d], &l);
        tot *= l;
    }
    double *x = malloc(tot * sizeof *x);
    assert_int_equal(nc_get_var_double(nc, v, x), NC_NOERR);
    nc_close(nc);
    *n = tot;
    return x;
}

/* the emission_kg of species sp in the budget row at time ts */
static double budget_emission(const char *dir, const char *ts, const char *sp)
{
    char path[600], line[1024];
    snprintf(path, sizeof path, "%s/budget.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    double v = -1;
    while (fgets(line, sizeof line, f)) {
        char t[64], s[64];
        double ini, emi;
        if (sscanf(line, "%63[^,],%63[^,],%lf,%lf", t, s, &ini, &emi) == 4 && !strcmp(t, ts) && !strcmp(s, sp)) v = emi;
    }
    fclose(f);
    return v;
}

static void test_emission_budget_and_scenarios(void **st)
{
    (void)st;
    char cfg[600], base[600], half[600], none[600];
    snprintf(cfg, sizeof cfg, "%s/emis.ini", tmpdir);
    write_config(cfg, NULL);
    snprintf(base, sizeof base, "%s/base", tmpdir);
    snprintf(half, sizeof half, "%s/half", tmpdir);
    snprintf(none, sizeof none, "%s/none", tmpdir);
    SH_OK("%s run %s --set run.output_dir=%s", bogda, cfg, base);
    /* the inventory's regridded total inside the domain, independently */
    Grid g = {0};
    BgErr e = {0};
    char first[600];
    snprintf(first, sizeof first, "%s/wrfout_d01_2024-01-10_00:00:00", metdir);
    assert_int_equal(grid_from_wrf(&g, first, &e), 0);
    Inventory inv;
    assert_int_equal(inventory_load(&inv, invpath, &g, &e), 0);
    int ico = inventory_species_index(&inv, "CO");
    double expect = inv.inside_kg_s[ico] * 3600.0;
    double got = budget_emission(base, "2024-01-10T02:00:00Z", "CO");
    double got_t = budget_emission(base, "2024-01-10T02:00:00Z", "T");
    print_message("CO emitted in one hour: %.10e kg (inventory inside the domain x 3600 s: %.10e)\n", got, expect);
    assert_close(got, expect, 1e-9 * expect);
    assert_close(got_t, expect, 1e-9 * expect); /* the tracer fed by the inventory's CO */
    /* residential CO halved in the western half: the cut equals half the residential share there */
    SH_OK("%s run %s --scenario half --set run.output_dir=%s", bogda, cfg, half);
    double got_half = budget_emission(half, "2024-01-10T02:00:00Z", "CO");
    print_message("scenario half: CO emission %.6e kg/h, %.4f of the baseline\n", got_half, got_half / got);
    assert_true(got_half < got && got_half > 0.75 * got);
    assert_close(budget_emission(half, "2024-01-10T02:00:00Z", "NO"), budget_emission(base, "2024-01-10T02:00:00Z", "NO"), 0.0);
    /* factors of 1 change nothing, bit for bit */
    int rc = sh("%s run %s --scenario none --set run.output_dir=%s", bogda, cfg, none);
    assert_int_equal(rc, 0);
    char a[700], b[700], rep[256];
    long nd = -1;
    snprintf(a, sizeof a, "%s/conc_2024-01-10.nc", base);
    snprintf(b, sizeof b, "%s/conc_2024-01-10.nc", none);
    assert_int_equal(nc_compare_files(a, b, NULL, &nd, rep, sizeof rep), 0);
    print_message("scenario with factors 1 vs baseline: %ld differing values\n", nd);
    assert_int_equal(nd, 0);
    /* an inert tracer emitted by one sector only, zero initial and boundary values: halving
     * that sector halves it everywhere, to round-off (1e-12), and nothing else changes */
    char th[600];
    snprintf(th, sizeof th, "%s/tag_half", tmpdir);
    rc = sh("%s run %s --scenario tag_half --set run.output_dir=%s", bogda, cfg, th);
    assert_int_equal(rc, 0);
    snprintf(b, sizeof b, "%s/conc_2024-01-10.nc", th);
    size_t n = 0;
    double *rb = read_var(a, "R", &n), *rh = read_var(b, "R", &n);
    double worst = 0, rmax = 0;
    for (size_t c = 0; c < n; c++) {
        rmax = fmax(rmax, rb[c]);
        if (rb[c] > 0) worst = fmax(worst, fabs(rh[c] / rb[c] - 0.5) / 0.5);
        else assert_true(rh[c] == 0.0);
    }
    print_message("one-sector tag halved: %zu values, max R %.3e, max relative deviation from 1/2 %.2e\n", n, rmax, worst);
    assert_true(rmax > 0);
    assert_true(worst < 1e-12);
    const char *tonly[] = {"R", "NH3", "time_bnds", NULL}; /* NH3 itself is carried too */
    assert_int_equal(nc_compare_files(a, b, tonly, &nd, rep, sizeof rep), 0);
    if (nd) print_error("tag_half vs baseline apart from R: %ld values differ: %s\n", nd, rep);
    assert_int_equal(nd, 0); /* T (CO) unchanged bit for bit */
    free(rb);
    free(rh);
    inventory_free(&inv);
    grid_free(&g);
}

static void test_refusals(void **st)
{
    (void)st;
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/bad.ini", tmpdir);
    write_config(cfg, "[scenario bad]\ncontrol = steel CO * 0.5\n");
    int rc = sh("%s check %s", bogda, cfg);
    print_message("unknown sector: exit %d: %s", rc, err);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "bad.ini:"));
    assert_non_null(strstr(err, "steel"));
    write_config(cfg, NULL);
    rc = sh("%s check %s --scenario nosuch", bogda, cfg);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "nosuch"));
    /* a point source outside the domain */
    char pts[600];
    snprintf(pts, sizeof pts, "%s/points.csv", tmpdir);
    FILE *f = fopen(pts, "w");
    fprintf(f, "id,name,lon,lat,sector,height_m,diameter_m,velocity_m_s,temperature_k,SO2,NOx,NH3,VOC,CO,PM25,PM10,BC,OC\n"
               "P1,far away,100.0,30.0,power,120,5,15,420,1000,500,0,0,100,50,60,1,1\n");
    fclose(f);
    char extra[800];
    snprintf(extra, sizeof extra, "[emissions]\n");
    write_config(cfg, NULL);
    rc = sh("%s check %s --set emissions.points=%s", bogda, cfg, pts);
    print_message("point source outside: exit %d: %s", rc, err);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(err, "points.csv"));
    /* a station list a run would refuse when it starts writing: check refuses it too */
    char stl[600];
    snprintf(stl, sizeof stl, "%s/bad_stations.csv", tmpdir);
    f = fopen(stl, "w");
    fprintf(f, "id,name,city,lon,lat\nS1,one,Urumqi,abc,43.8\n");
    fclose(f);
    rc = sh("%s check %s --set stations.file=%s", bogda, cfg, stl);
    print_message("station lon 'abc': exit %d: %s", rc, err);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(err, "bad_stations.csv:2"));
    /* a scenario cost that is not a number (it was read as 0); a saving (negative) is accepted */
    write_config(cfg, "[scenario half]\ncontrol = residential CO * 0.5\ncost_million_cny = lots\n");
    rc = sh("%s check %s", bogda, cfg);
    print_message("cost 'lots': exit %d: %s", rc, err);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "[scenario half] cost_million_cny = 'lots': not a number"));
    write_config(cfg, "[scenario half]\ncontrol = residential CO * 0.5\ncost_million_cny = -600\n");
    assert_int_equal(sh("%s check %s", bogda, cfg), 0);
    /* temporal profiles of a sector the inventory lacks, and a profile file without a profile:
     * both left every sector flat without a word */
    char prof[600];
    snprintf(prof, sizeof prof, "%s/bad_profiles.csv", tmpdir);
    f = fopen(prof, "w");
    fprintf(f, "sector,kind,v1,v2,v3,v4,v5,v6,v7\nsteelworks,weekday,1,1,1,1,1,1,1\n");
    fclose(f);
    rc = sh("%s check %s --set emissions.profiles=%s", bogda, cfg, prof);
    print_message("profile of an unknown sector: exit %d: %s", rc, err);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(err, "bad_profiles.csv:steelworks: not a sector of the inventory"));
    f = fopen(prof, "w");
    fclose(f);
    rc = sh("%s check %s --set emissions.profiles=%s", bogda, cfg, prof);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(err, "holds no profile line"));
    assert_int_equal(sh("%s check %s --set emissions.timezone_offset_h=99", bogda, cfg), 2);
    assert_non_null(strstr(err, "[emissions] timezone_offset_h = '99': must be within -14 to 14 h of UTC"));
}

/* an [init] file: O3 (z, y, x) in ppb and PSO4 (y, x, the lowest layer) in ug m-3 */
static void write_init_file(const char *path, const char *o3_units, const char *pso4_units)
{
    enum { NZ = 6, NY = 12, NX = 16 };
    int nc, dz, dy, dx, vo, vp;
    assert_int_equal(nc_create(path, NC_CLOBBER | NC_NETCDF4, &nc), NC_NOERR);
    nc_def_dim(nc, "z", NZ, &dz);
    nc_def_dim(nc, "y", NY, &dy);
    nc_def_dim(nc, "x", NX, &dx);
    int d3[3] = {dz, dy, dx}, d2[2] = {dy, dx};
    nc_def_var(nc, "O3", NC_DOUBLE, 3, d3, &vo);
    nc_def_var(nc, "PSO4", NC_DOUBLE, 2, d2, &vp);
    nc_put_att_text(nc, vo, "units", strlen(o3_units), o3_units);
    nc_put_att_text(nc, vp, "units", strlen(pso4_units), pso4_units);
    nc_enddef(nc);
    static double o3[NZ * NY * NX], p4[NY * NX];
    for (int c = 0; c < NZ * NY * NX; c++) o3[c] = 30.0 + c % 17; /* 30..46 ppb */
    for (int c = 0; c < NY * NX; c++) p4[c] = 5.0 + 0.25 * (c % 40); /* 5..14.75 ug m-3 */
    assert_int_equal(nc_put_var_double(nc, vo, o3), NC_NOERR);
    assert_int_equal(nc_put_var_double(nc, vp, p4), NC_NOERR);
    assert_int_equal(nc_close(nc), NC_NOERR);
}

/* [init] file (DESIGN 2.2): gases in ppb, aerosol species in ug m-3 (converted with the start's
 * air density); the first instantaneous output record is the initial state, so it gives the
 * file's values back (to round-off of the two conversions); wrong units are refused. */
static void test_init_file(void **st)
{
    (void)st;
    char cfg[600], ini[600], out[600], conc[700];
    snprintf(ini, sizeof ini, "%s/init.nc", tmpdir);
    write_init_file(ini, "ppb", "ug m-3");
    snprintf(cfg, sizeof cfg, "%s/init.ini", tmpdir);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "[run]\nstart = 2024-01-10T00:00:00Z\nhours = 1\nsync_step_s = 600\ncheckpoint_h = 0\n"
            "[met]\nfiles = %s/wrfout_d01_*\n[emissions]\ninventory = %s\n"
            "[processes]\nemissions = on\nchemistry = on\naerosol = on\n"
            "[init]\nfile = %s\nconstant.CO = 150\nconstant.PSO4 = 2\n"
            "[output]\ninterval_h = 1\nlayers = all\naverage = off\n",
            metdir, invpath, ini);
    fclose(f);
    snprintf(out, sizeof out, "%s/init_run", tmpdir);
    SH_OK("%s run %s --set run.output_dir=%s", bogda, cfg, out);
    snprintf(conc, sizeof conc, "%s/conc_2024-01-10.nc", out);
    size_t no, np;
    double *o3 = read_var(conc, "O3", &no), *p4 = read_var(conc, "PSO4", &np);
    enum { NZ = 6, PL = 12 * 16 };
    assert_true(no >= (size_t)NZ * PL && np >= (size_t)NZ * PL); /* record 0: the start */
    double worst_o3 = 0, worst_p4 = 0, upper = 0;
    for (int c = 0; c < NZ * PL; c++) {
        double want = 30.0 + c % 17;
        worst_o3 = fmax(worst_o3, fabs(o3[c] / want - 1));
    }
    for (int c = 0; c < PL; c++) worst_p4 = fmax(worst_p4, fabs(p4[c] / (5.0 + 0.25 * (c % 40)) - 1));
    /* above the lowest layer PSO4 keeps [init] constant.PSO4 = 2 ug m-3 */
    for (int c = PL; c < NZ * PL; c++) upper = fmax(upper, fabs(p4[c] / 2.0 - 1));
    print_message("[init] file: O3 (ppb) worst relative difference %.1e, PSO4 (ug m-3) surface %.1e, "
                  "above from constant.PSO4 %.1e\n", worst_o3, worst_p4, upper);
    assert_true(worst_o3 < 1e-12);
    assert_true(worst_p4 < 1e-12);
    assert_true(upper < 1e-12);
    free(o3);
    free(p4);
    /* an aerosol species in a mole fraction, a gas in ug m-3: refused before anything is written */
    const char *bad[2][3] = {{"ppb", "ppb", "aerosol species is given in ug m-3"},
                             {"ug m-3", "ug m-3", "ug m-3 is for aerosol species"}};
    for (int b = 0; b < 2; b++) {
        write_init_file(ini, bad[b][0], bad[b][1]);
        char out2[700];
        snprintf(out2, sizeof out2, "%s/init_bad%d", tmpdir, b);
        int rc = sh("%s run %s --set run.output_dir=%s", bogda, cfg, out2);
        print_message("[init] file with O3 in '%s', PSO4 in '%s': exit %d: %s", bad[b][0], bad[b][1], rc, err);
        assert_int_equal(rc, 3);
        assert_non_null(strstr(err, "init.nc"));
        assert_non_null(strstr(err, b == 0 ? "PSO4" : "O3"));
        assert_non_null(strstr(err, bad[b][2]));
        struct stat sb;
        assert_int_equal(stat(out2, &sb), -1); /* no output directory */
    }
}

/* Every process on: the budget closes for every species, chemistry conserves nitrogen and
 * sulfur atoms, nothing goes negative, PM25 is the sum of its components in the output, and 1
 * thread equals 2 threads bit for bit. */
/* The 12-km case with every process on (stations, three stacks), 3 h: its configuration path. */
static void write_full_case(char *cfg, size_t ncfg)
{
    char stn[600];
    snprintf(stn, sizeof stn, "%s/stations.csv", tmpdir);
    FILE *f = fopen(stn, "w");
    assert_non_null(f);
    fprintf(f, "id,name,city,lon,lat\nS1,Centre,Urumqi,87.6,43.8\nS2,North,Urumqi,87.7,43.9\nS3,Background,,87.2,43.6\n");
    fclose(f);
    /* stacks in three corners of the 16 x 12 domain (12 km, centred on 87.6 E 43.8 N): on 2 and 4
     * ranks, the north-east one lies outside rank 0's cells, whose met is interpolated there only
     * for the stacks (the budget's point emissions and plume rise are computed on every rank) */
    char pts[600];
    snprintf(pts, sizeof pts, "%s/points_full.csv", tmpdir);
    f = fopen(pts, "w");
    assert_non_null(f);
    fprintf(f, "id,name,lon,lat,sector,height_m,diameter_m,velocity_m_s,temperature_k,SO2,NOx,NH3,VOC,CO,PM25,PM10,BC,OC\n"
               "P1,north-east,88.25,44.15,power,180,6,18,400,4000,3000,0,100,900,400,600,10,8\n"
               "P2,south-west,87.0,43.45,residential,60,3,10,350,800,600,5,50,2000,300,400,20,15\n"
               "P3,north-west,87.0,44.15,power,90,4,12,380,500,900,0,0,300,600,900,5,5\n");
    fclose(f);
    snprintf(cfg, ncfg, "%s/full.ini", tmpdir);
    f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f,
            "[run]\nstart = 2024-01-10T00:00:00Z\nhours = 3\nsync_step_s = 600\ncheckpoint_h = 0\n"
            "[met]\nfiles = %s/wrfout_d01_*\n[emissions]\ninventory = %s\npoints = %s\n"
            "[processes]\nemissions = on\nchemistry = on\naerosol = on\ndrydep = on\nwetdep = on\n"
            "[init]\nprofile.O3 = 0 35, 3000 50\nconstant.CO = 150\nconstant.NH3 = 5\nconstant.SO2 = 2\n"
            "constant.NO2 = 5\nconstant.PSO4 = 3\nconstant.HNO3 = 1\n"
            "[boundary]\nprofile.O3 = 0 35, 3000 50\nconstant.CO = 150\nconstant.PSO4 = 1\n"
            "[output]\ninterval_h = 1\nlayers = all\ndiagnostics = on\n[stations]\nfile = %s\n",
            metdir, invpath, pts, stn);
    fclose(f);
}

static void test_full_chemistry(void **st)
{
    (void)st;
    char cfg[600], a[600], b[600];
    FILE *f;
    write_full_case(cfg, sizeof cfg);
    snprintf(a, sizeof a, "%s/full1", tmpdir);
    snprintf(b, sizeof b, "%s/full2", tmpdir);
    SH_OK("%s run %s --set run.threads=1 --set run.output_dir=%s", bogda, cfg, a);
    int rc = sh("%s run %s --set run.threads=2 --set run.output_dir=%s", bogda, cfg, b);
    assert_int_equal(rc, 0);
    char pa[700], pb[700], rep[256];
    long nd = -1;
    snprintf(pa, sizeof pa, "%s/conc_2024-01-10.nc", a);
    snprintf(pb, sizeof pb, "%s/conc_2024-01-10.nc", b);
    assert_int_equal(nc_compare_files(pa, pb, NULL, &nd, rep, sizeof rep), 0);
    print_message("full model, 1 vs 2 threads: %ld differing values\n", nd);
    assert_int_equal(nd, 0);
#ifdef BOGDA_MPI
    /* every process on, split over 2 MPI ranks (automatic: 1 x 2) and 4 (2 x 2 blocks: chemistry,
     * diffusion and wet deposition on 2-D blocks): output, diagnostics, restart, budget and
     * station tables equal the serial run bit for bit */
    for (int r = 2; r <= 4; r += 2) {
        char dm[700], qa[800], qb[800];
        snprintf(dm, sizeof dm, "%s/full_mpi%d", tmpdir, r);
        rc = sh(MPIRUN_ENV
                "OMP_NUM_THREADS=1 mpirun --oversubscribe -np %d %s run %s "
                "--set run.threads=1 --set run.output_dir=%s --set run.decomposition=%s > /dev/null 2>&1", r, bogda, cfg,
                dm, r == 4 ? "2x2" : "auto");
        assert_int_equal(rc, 0);
        const char *nc_files[] = {"conc_2024-01-10.nc", "diag_2024-01-10.nc", "restart_2024-01-10T0300.nc"};
        long tot = 0;
        for (int q = 0; q < 3; q++) {
            snprintf(qa, sizeof qa, "%s/%s", a, nc_files[q]);
            snprintf(qb, sizeof qb, "%s/%s", dm, nc_files[q]);
            assert_int_equal(nc_compare_files(qa, qb, NULL, &nd, rep, sizeof rep), 0);
            tot += nd;
        }
        const char *csv_files[] = {"budget.csv", "stations.csv", "daily_city.csv"};
        int same = 0;
        for (int q = 0; q < 3; q++) {
            snprintf(qa, sizeof qa, "%s/%s", a, csv_files[q]);
            snprintf(qb, sizeof qb, "%s/%s", dm, csv_files[q]);
            same += sh("cmp -s %s %s", qa, qb) == 0;
        }
        print_message("full model on %d MPI ranks vs serial: %ld differing values, %d of 3 tables identical\n", r, tot, same);
        assert_int_equal(tot, 0);
        assert_int_equal(same, 3);
    }
    {
        /* without advection the column processes stay on the blocks (no half steps to sit between):
         * the flux diagnostics they tally are gathered from there */
        char sa[700], sm[700], qa[800], qb[800];
        snprintf(sa, sizeof sa, "%s/noadv1", tmpdir);
        snprintf(sm, sizeof sm, "%s/noadv2", tmpdir);
        assert_int_equal(sh("%s run %s --set run.output_dir=%s --set run.hours=1 --set processes.advection=off", bogda,
                            cfg, sa), 0);
        rc = sh(MPIRUN_ENV
                "OMP_NUM_THREADS=1 mpirun --oversubscribe -np 2 %s run %s "
                "--set run.threads=1 --set run.output_dir=%s --set run.hours=1 --set processes.advection=off > /dev/null 2>&1",
                bogda, cfg, sm);
        assert_int_equal(rc, 0);
        long tot = 0;
        const char *ncf[] = {"conc_2024-01-10.nc", "diag_2024-01-10.nc"};
        for (int q = 0; q < 2; q++) {
            snprintf(qa, sizeof qa, "%s/%s", sa, ncf[q]);
            snprintf(qb, sizeof qb, "%s/%s", sm, ncf[q]);
            assert_int_equal(nc_compare_files(qa, qb, NULL, &nd, rep, sizeof rep), 0);
            tot += nd;
        }
        print_message("full model without advection on 2 MPI ranks vs serial: %ld differing values (conc, diag)\n", tot);
        assert_int_equal(tot, 0);
    }
#endif
    /* 3 h = 1 h + restart + 2 h, bit for bit, with every process on */
    char c[600], rst[800];
    snprintf(c, sizeof c, "%s/full3", tmpdir);
    assert_int_equal(sh("%s run %s --set run.hours=1 --set run.output_dir=%s", bogda, cfg, c), 0);
    snprintf(rst, sizeof rst, "%s/restart_2024-01-10T0100.nc", c);
    SH_OK("%s run %s --set run.output_dir=%s --set run.restart=%s", bogda, cfg, c, rst);
    char pc[700];
    snprintf(pc, sizeof pc, "%s/conc_2024-01-10.nc", c);
    assert_int_equal(nc_compare_files(pa, pc, NULL, &nd, rep, sizeof rep), 0);
    print_message("full model, 3 h vs 1 h + restart + 2 h: %ld differing values\n", nd);
    assert_int_equal(nd, 0);
    /* so do the diagnostic fluxes */
    char da[700], dc[700];
    snprintf(da, sizeof da, "%s/diag_2024-01-10.nc", a);
    snprintf(dc, sizeof dc, "%s/diag_2024-01-10.nc", c);
    assert_int_equal(nc_compare_files(da, dc, NULL, &nd, rep, sizeof rep), 0);
    print_message("diagnostics, 3 h vs 1 h + restart + 2 h: %ld differing values\n", nd);
    assert_int_equal(nd, 0);
    /* the gridded fluxes integrate to the budget's emission and deposition of the hour */
    {
        Grid g = {0};
        BgErr ge = {0};
        char first[600];
        snprintf(first, sizeof first, "%s/wrfout_d01_2024-01-10_00:00:00", metdir);
        assert_int_equal(grid_from_wrf(&g, first, &ge), 0);
        int dnc, dv;
        assert_int_equal(nc_open(da, NC_NOWRITE, &dnc), NC_NOERR);
        static const char *fv[3] = {"EMIS_CO", "DRYDEP_SO2", "WETDEP_PSO4"};
        static float fl[12 * 16];
        for (int k = 0; k < 3; k++) {
            assert_int_equal(nc_inq_varid(dnc, fv[k], &dv), NC_NOERR);
            size_t st3[3] = {1, 0, 0}, ct3[3] = {1, 12, 16};
            assert_int_equal(nc_get_vara_float(dnc, dv, st3, ct3, fl), NC_NOERR);
            double tot = 0;
            for (int cc = 0; cc < 12 * 16; cc++) tot += fl[cc] * g.area[cc] * 3600.0;
            print_message("%s integrated over the hour ending 02:00: %.6e kg\n", fv[k], tot);
            if (k == 0) {
                double bud = budget_emission(a, "2024-01-10T02:00:00Z", "CO");
                assert_close(tot, bud, 1e-5 * bud);
            } else {
                assert_true(tot >= 0);
            }
        }
        /* CF standard names where validation/standards/README.md lists one, none elsewhere */
        char stdn[160] = "";
        assert_int_equal(nc_inq_varid(dnc, "EMIS_SO2", &dv), NC_NOERR);
        assert_int_equal(nc_get_att_text(dnc, dv, "standard_name", stdn), NC_NOERR);
        assert_string_equal(stdn, "tendency_of_atmosphere_mass_content_of_sulfur_dioxide_due_to_emission");
        assert_int_equal(nc_inq_varid(dnc, "DRYDEP_SO2", &dv), NC_NOERR);
        assert_int_not_equal(nc_inq_att(dnc, dv, "standard_name", NULL, NULL), NC_NOERR);
        nc_close(dnc);
        grid_free(&g);
    }
    /* the station table (GB 3095 units) continues bit for bit too */
    char sa[700], sc[700], sline[512];
    snprintf(sa, sizeof sa, "%s/stations.csv", a);
    snprintf(sc, sizeof sc, "%s/stations.csv", c);
    FILE *fa = fopen(sa, "r"), *fc = fopen(sc, "r");
    assert_non_null(fa);
    assert_non_null(fc);
    int nlines = 0, same = 1;
    char lc[512];
    while (fgets(sline, sizeof sline, fa)) {
        if (!fgets(lc, sizeof lc, fc) || strcmp(sline, lc)) same = 0;
        nlines++;
    }
    fclose(fa);
    fclose(fc);
    print_message("stations.csv: %d lines, continuous and restarted runs %s\n", nlines, same ? "identical" : "differ");
    assert_true(nlines > 3 * 3 * 5);
    assert_true(same);
    /* bogda evaluate against observations made from the model: PM25 observed 1.25 x lower
     * (NMB = +25 % exactly), O3 observed as modelled (NMB 0, r 1), in Beijing time */
    {
        char obsp[700];
        snprintf(obsp, sizeof obsp, "%s/obs.csv", tmpdir);
        FILE *fs = fopen(sa, "r"), *fo = fopen(obsp, "w");
        assert_non_null(fs);
        assert_non_null(fo);
        fprintf(fo, "station,lon,lat,time,species,value,unit\n");
        static const double slon[3] = {87.6, 87.7, 87.2}, slat[3] = {43.8, 43.9, 43.6};
        while (fgets(sline, sizeof sline, fs)) {
            char *fld[6];
            if (csv_split(sline, fld, 6) != 5 || !strcmp(fld[0], "station")) continue;
            int k = fld[0][1] - '1';
            double t;
            if (k < 0 || k > 2 || time_parse(fld[1], &t)) continue;
            char bj[40];
            time_strftime(t + 8 * 3600.0, "%Y-%m-%dT%H:%M:%S+08:00", bj, sizeof bj);
            if (!strcmp(fld[2], "PM25"))
                fprintf(fo, "%s,%.2f,%.2f,%s,PM25,%.10g,ug/m3\n", fld[0], slon[k], slat[k], bj, atof(fld[3]) / 1.25);
            else if (!strcmp(fld[2], "O3"))
                fprintf(fo, "%s,%.2f,%.2f,%s,O3,%s,ug/m3\n", fld[0], slon[k], slat[k], bj, fld[3]);
        }
        fclose(fs);
        fclose(fo);
        SH_OK("%s evaluate %s --obs %s > /dev/null", bogda, a, obsp);
        char ev[700], el[1024];
        snprintf(ev, sizeof ev, "%s/evaluation.csv", a);
        FILE *fe = fopen(ev, "r");
        assert_non_null(fe);
        assert_non_null(fgets(el, sizeof el, fe));
        assert_string_equal(el, "station,species,averaging,N,obs_mean,model_mean,MB,ME,RMSE,NMB,NME,MFB,MFE,r,IOA,FAC2\n");
        int seen = 0;
        while (fgets(el, sizeof el, fe)) {
            char *fld[17];
            if (csv_split(el, fld, 17) != 16 || strcmp(fld[0], "ALL") || strcmp(fld[2], "1h")) continue;
            if (!strcmp(fld[1], "PM25")) {
                print_message("evaluate: PM25 pooled hourly N %s NMB %s %% (expected 25)\n", fld[3], fld[9]);
                assert_close(atof(fld[9]), 25.0, 1e-6);
                seen++;
            }
            if (!strcmp(fld[1], "O3")) {
                assert_close(atof(fld[9]), 0.0, 1e-9);
                seen++;
            }
        }
        fclose(fe);
        assert_int_equal(seen, 2);
    }
    /* budget: closure per species; N and S atoms conserved by chemistry */
    static const struct { const char *name; double m, n, s; } atoms[] = {
        {"NO", 30.006, 1, 0}, {"NO2", 46.006, 1, 0}, {"HNO3", 63.013, 1, 0}, {"NO3", 62.004, 1, 0},
        {"N2O5", 108.010, 2, 0}, {"PNO3", 62.004, 1, 0}, {"NH3", 17.031, 1, 0}, {"PNH4", 18.038, 1, 0},
        {"SO2", 64.066, 0, 1}, {"PSO4", 96.06, 0, 1}};
    char path[700], line[1024];
    snprintf(path, sizeof path, "%s/budget.csv", a);
    f = fopen(path, "r");
    assert_non_null(f);
    double worst = 0, nsum = 0, nabs = 0, ssum = 0, sabs = 0;
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        char t[64], sp[64];
        double v[9];
        if (sscanf(line, "%63[^,],%63[^,],%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", t, sp, &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) != 11)
            continue;
        rows++;
        worst = fmax(worst, fabs(v[8]));
        for (size_t k = 0; k < sizeof atoms / sizeof *atoms; k++)
            if (!strcmp(sp, atoms[k].name)) {
                double mol = v[4] / (atoms[k].m * 1e-3); /* chemistry_kg -> mol */
                nsum += atoms[k].n * mol;
                nabs += atoms[k].n * fabs(mol);
                ssum += atoms[k].s * mol;
                sabs += atoms[k].s * fabs(mol);
            }
    }
    fclose(f);
    print_message("full model budget: %d rows, worst |imbalance_rel| %.2e; chemistry N balance %.2e, S balance %.2e "
                  "(relative to the moles converted)\n", rows, worst, fabs(nsum) / nabs, fabs(ssum) / sabs);
    assert_true(rows > 40);
    assert_true(worst < 1e-10);
    assert_true(nabs > 0 && fabs(nsum) < 1e-9 * nabs);
    assert_true(sabs > 0 && fabs(ssum) < 1e-9 * sabs);
    /* output: PM25 is the sum of its components (ug m-3), and nothing is negative */
    int nc, v;
    assert_int_equal(nc_open(pa, NC_NOWRITE, &nc), NC_NOERR);
    static const char *comp[] = {"PSO4", "PNO3", "PNH4", "PBC", "POC", "PPM"};
    static float pm[16 * 12 * 6 * 4], sum[16 * 12 * 6 * 4], x[16 * 12 * 6 * 4];
    size_t start[4] = {0, 0, 0, 0}, count[4] = {3, 6, 12, 16};
    assert_int_equal(nc_inq_varid(nc, "PM25", &v), NC_NOERR);
    assert_int_equal(nc_get_vara_float(nc, v, start, count, pm), NC_NOERR);
    char units[32] = "";
    nc_get_att_text(nc, v, "units", units);
    assert_string_equal(units, "ug m-3");
    size_t n = 3 * 6 * 12 * 16;
    for (size_t k = 0; k < sizeof comp / sizeof *comp; k++) {
        assert_int_equal(nc_inq_varid(nc, comp[k], &v), NC_NOERR);
        assert_int_equal(nc_get_vara_float(nc, v, start, count, x), NC_NOERR);
        for (size_t c = 0; c < n; c++) {
            assert_true(x[c] >= 0);
            sum[c] += x[c];
        }
    }
    nc_close(nc);
    double dev = 0, pmax = 0;
    for (size_t c = 0; c < n; c++) {
        dev = fmax(dev, fabs(pm[c] - sum[c]) / fmax(pm[c], 1e-3));
        pmax = fmax(pmax, pm[c]);
    }
    print_message("PM25 max %.1f ug m-3; PM25 vs sum of components: max relative difference %.1e\n", pmax, dev);
    assert_true(dev < 1e-5); /* float output */
}

/* "key value" of a run.log, -1 if absent */
static double log_value(const char *dir, const char *key)
{
    char path[800], line[512];
    snprintf(path, sizeof path, "%s/run.log", dir);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    double v = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ' ') v = atof(line + n + 1);
    fclose(f);
    return v;
}

/* differing values of the NetCDF files names[0..n-1] of directories da and db, all together */
static long nc_diffs(const char *da, const char *db, const char *const *names, int n)
{
    char pa[800], pb[800], rep[256];
    long tot = 0, nd = -1;
    for (int q = 0; q < n; q++) {
        snprintf(pa, sizeof pa, "%s/%s", da, names[q]);
        snprintf(pb, sizeof pb, "%s/%s", db, names[q]);
        assert_int_equal(nc_compare_files(pa, pb, NULL, &nd, rep, sizeof rep), 0);
        tot += nd;
    }
    return tot;
}

/* adds sum |x - r| and sum |r| over every value of variable var of the files px and pr */
static void var_absdiff(const char *px, const char *pr, const char *var, double *num, double *den)
{
    size_t nx = 0, nr = 0;
    double *a = read_var(px, var, &nx), *b = read_var(pr, var, &nr);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(nx, nr);
    for (size_t c = 0; c < nx; c++) {
        *num += fabs(a[c] - b[c]);
        *den += fabs(b[c]);
    }
    free(a);
    free(b);
}

/* sum |x - r| / sum |r| over every value of the output variables O3, NO2, SO2, PM25 of run x
 * against run r (conc files of the same shape; ppb and ug m-3 alike) */
static double conc_nmad(const char *x, const char *r)
{
    static const char *const vars[] = {"O3", "NO2", "SO2", "PM25"};
    char px[800], pr[800];
    snprintf(px, sizeof px, "%s/conc_2024-01-10.nc", x);
    snprintf(pr, sizeof pr, "%s/conc_2024-01-10.nc", r);
    double num = 0, den = 0;
    for (int k = 0; k < 4; k++) var_absdiff(px, pr, vars[k], &num, &den);
    return num / den;
}

/* the worst |imbalance_rel| over the rows of dir/budget.csv, and their number */
static double budget_worst(const char *dir, int *rows)
{
    char path[800], line[1024];
    snprintf(path, sizeof path, "%s/budget.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    double worst = 0;
    *rows = 0;
    while (fgets(line, sizeof line, f)) {
        char t[64], sp[64];
        double v[9];
        if (sscanf(line, "%63[^,],%63[^,],%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", t, sp, &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7], &v[8]) != 11)
            continue;
        (*rows)++;
        worst = fmax(worst, fabs(v[8]));
    }
    fclose(f);
    return worst;
}

/* The full case's Strang runs at 600 s (advection halves unmerged) and at 120 s (the reference
 * of the splitting tests), run once for both tests. */
static void strang_runs(char *sg, char *sref, size_t n)
{
    char cfg[600];
    write_full_case(cfg, sizeof cfg);
    snprintf(sg, n, "%s/split_strang", tmpdir);
    snprintf(sref, n, "%s/split_ref", tmpdir);
    const int steps[2] = {600, 120};
    for (int q = 0; q < 2; q++) {
        const char *d = q ? sref : sg;
        if (log_value(d, "peak_rss_mb") > 0) continue; /* finished */
        SH_OK("%s run %s --set run.threads=1 --set run.output_dir=%s --set run.sync_step_s=%d "
                    "--set run.merge_advection=off", bogda, cfg, d, steps[q]);
    }
}

/* [run] splitting = alternating (driver.c, docs/transport.md): one transport call per sync step
 * instead of two, as deterministic as Strang splitting (threads, MPI ranks, restarts), budgets
 * closed, and a consistent approximation: its distance to a Strang run at a 5 times shorter
 * sync step is of the same order as the Strang run's at the same step. */
/* A batch with every process on: the members of a group take the met-only part of the
 * chemistry (ChemShare: relative humidity, photolysis, the rate constants but the heterogeneous
 * and aqueous ones, Kp) from the first member each step, and still equal their runs alone bit
 * for bit -- the leader and a scenario, serial on 2 threads and over 2 MPI ranks as 2 x 1 blocks
 * (each rank's share covers its block). */
static void test_batch_chemistry(void **st)
{
    (void)st;
    char full[600], cfg[700], cit[700], dir[700];
    write_full_case(full, sizeof full);
    snprintf(cit, sizeof cit, "%s/cities_bc.csv", tmpdir);
    FILE *f = fopen(cit, "w");
    assert_non_null(f);
    fprintf(f, "city,lon,lat,population\nUrumqi,87.6,43.8,3029372\n");
    fclose(f);
    snprintf(cfg, sizeof cfg, "%s/batch_chem.ini", tmpdir);
    SH_OK("cp %s %s", full, cfg);
    f = fopen(cfg, "a");
    assert_non_null(f);
    fprintf(f, "[cities]\nfile = %s\n[scenario nox]\ncost_million_cny = 100\ncontrol = * NOx * 0.5\n"
               "[scenario nh3]\ncost_million_cny = 100\ncontrol = * NH3 * 0.3\n", cit);
    fclose(f);
    snprintf(dir, sizeof dir, "%s/batch_chem", tmpdir);
    SH_OK("%s batch %s --set run.output_dir=%s --set run.hours=2 --set run.threads=2 > /dev/null", bogda, cfg, dir);
    char lg[800];
    snprintf(lg, sizeof lg, "%s/nh3/run.log", dir);
    assert_int_equal(sh("grep -q 'computed once per step for 3 members of the group' %s", lg), 0);
    const char *ncf[] = {"conc_2024-01-10.nc", "diag_2024-01-10.nc", "restart_2024-01-10T0200.nc"};
    const char *csv[] = {"budget.csv", "stations.csv"};
    const char *members[] = {"baseline", "nh3"};
    char alone[2][700];
    for (int q = 0; q < 2; q++) {
        snprintf(alone[q], sizeof alone[q], "%s/batch_chem_alone_%s", tmpdir, members[q]);
        SH_OK("%s run %s %s%s --set run.output_dir=%s --set run.hours=2 --set run.threads=1 > /dev/null", bogda, cfg,
              q ? "--scenario " : "", q ? members[q] : "", alone[q]);
    }
    for (int pass = 0; pass < 2; pass++) {
        char d[700];
        snprintf(d, sizeof d, "%s", dir);
#ifdef BOGDA_MPI
        if (pass == 1) {
            snprintf(d, sizeof d, "%s/batch_chem_mpi", tmpdir);
            SH_OK(MPIRUN_ENV
                  "OMP_NUM_THREADS=1 mpirun --oversubscribe -np 2 %s batch %s "
                  "--set run.output_dir=%s --set run.hours=2 --set run.threads=1 --set run.decomposition=2x1 > /dev/null",
                  bogda, cfg, d);
        }
#else
        if (pass == 1) break;
#endif
        for (int q = 0; q < 2; q++) {
            long tot = 0, nd = -1;
            int same = 0;
            char a[1600], b[1600], rep[256];
            for (int v = 0; v < 3; v++) {
                snprintf(a, sizeof a, "%s/%s", alone[q], ncf[v]);
                snprintf(b, sizeof b, "%s/%s/%s", d, members[q], ncf[v]);
                assert_int_equal(nc_compare_files(a, b, NULL, &nd, rep, sizeof rep), 0);
                tot += nd;
            }
            for (int v = 0; v < 2; v++) {
                snprintf(a, sizeof a, "%s/%s", alone[q], csv[v]);
                snprintf(b, sizeof b, "%s/%s/%s", d, members[q], csv[v]);
                same += sh("cmp -s %s %s", a, b) == 0;
            }
            print_message("batch with chemistry%s: member %s vs its run alone: %ld differing values (conc, diag, "
                          "restart), %d of 2 tables identical\n", pass ? " on 2 MPI ranks (2 x 1)" : "", members[q],
                          tot, same);
            assert_int_equal(tot, 0);
            assert_int_equal(same, 2);
        }
    }
    /* the scenario changed the chemistry's inputs: its ammonium and nitrate differ from the baseline's */
    {
        char a[1600], b[1600], rep[256];
        long nd = -1;
        snprintf(a, sizeof a, "%s/baseline/%s", dir, ncf[0]);
        snprintf(b, sizeof b, "%s/nh3/%s", dir, ncf[0]);
        const char *skip[] = {"time_bnds", NULL};
        assert_int_equal(nc_compare_files(a, b, skip, &nd, rep, sizeof rep), 0);
        assert_true(nd > 0);
    }
}

static void test_alternating_splitting(void **st)
{
    (void)st;
    char cfg[600], sg[600], sref[600], a1[600], a2[600], a3[600];
    strang_runs(sg, sref, sizeof sg);
    write_full_case(cfg, sizeof cfg);
    snprintf(a1, sizeof a1, "%s/split_alt1", tmpdir);
    snprintf(a2, sizeof a2, "%s/split_alt2", tmpdir);
    snprintf(a3, sizeof a3, "%s/split_alt3", tmpdir);
    SH_OK("%s run %s --set run.threads=1 --set run.output_dir=%s --set run.splitting=alternating", bogda, cfg, a1);
    assert_int_equal(sh("%s run %s --set run.threads=2 --set run.output_dir=%s --set run.splitting=alternating",
                        bogda, cfg, a2), 0);
    /* 18 sync steps of 600 s: 36 transport calls under Strang splitting, 18 alternating */
    print_message("transport calls in 3 h: Strang %.0f advection / %.0f diffusion, alternating %.0f / %.0f\n",
                  log_value(sg, "advection_calls"), log_value(sg, "diffusion_calls"), log_value(a1, "advection_calls"),
                  log_value(a1, "diffusion_calls"));
    assert_true(log_value(sg, "advection_calls") == 36 && log_value(sg, "diffusion_calls") == 36);
    assert_true(log_value(a1, "advection_calls") == 18 && log_value(a1, "diffusion_calls") == 18);
    static const char *const ncf[] = {"conc_2024-01-10.nc", "diag_2024-01-10.nc", "restart_2024-01-10T0300.nc"};
    long tot = nc_diffs(a1, a2, ncf, 3);
    print_message("alternating splitting, 1 vs 2 threads: %ld differing values (conc, diag, restart)\n", tot);
    assert_int_equal(tot, 0);
#ifdef BOGDA_MPI
    {
        char dm[700];
        snprintf(dm, sizeof dm, "%s/split_mpi2", tmpdir);
        int rc = sh(MPIRUN_ENV
                "OMP_NUM_THREADS=1 mpirun --oversubscribe -np 2 %s run %s "
                "--set run.threads=1 --set run.output_dir=%s --set run.splitting=alternating > /dev/null 2>&1", bogda,
                cfg, dm);
        assert_int_equal(rc, 0);
        tot = nc_diffs(a1, dm, ncf, 3);
        char pa[800], pb[800];
        snprintf(pa, sizeof pa, "%s/budget.csv", a1);
        snprintf(pb, sizeof pb, "%s/budget.csv", dm);
        int same = sh("cmp -s %s %s", pa, pb) == 0;
        print_message("alternating splitting on 2 MPI ranks vs serial: %ld differing values, budget %s\n", tot,
                      same ? "identical" : "differs");
        assert_int_equal(tot, 0);
        assert_true(same);
    }
#endif
    /* 3 h = 1 h + restart + 2 h: the order of a step follows its time, not the run's step count */
    char rst[800];
    assert_int_equal(sh("%s run %s --set run.hours=1 --set run.output_dir=%s --set run.splitting=alternating", bogda,
                        cfg, a3), 0);
    snprintf(rst, sizeof rst, "%s/restart_2024-01-10T0100.nc", a3);
    SH_OK("%s run %s --set run.output_dir=%s --set run.restart=%s --set run.splitting=alternating", bogda, cfg, a3, rst);
    static const char *const ncr[] = {"conc_2024-01-10.nc", "restart_2024-01-10T0300.nc"};
    tot = nc_diffs(a1, a3, ncr, 2);
    print_message("alternating splitting, 3 h vs 1 h + restart + 2 h: %ld differing values (conc, restart)\n", tot);
    assert_int_equal(tot, 0);
    /* budget closure */
    int rows = 0;
    const double worst = budget_worst(a1, &rows);
    /* against the Strang run at a 120-s sync step */
    const double e_strang = conc_nmad(sg, sref), e_alt = conc_nmad(a1, sref), d = conc_nmad(a1, sg);
    print_message("alternating splitting: budget %d rows, worst |imbalance_rel| %.2e; O3, NO2, SO2, PM25 against "
                  "Strang at 120 s: Strang at 600 s %.2e, alternating at 600 s %.2e (ratio %.2f); alternating vs "
                  "Strang %.2e\n", rows, worst, e_strang, e_alt, e_alt / e_strang, d);
    assert_true(rows > 40);
    assert_true(worst < 1e-10);
    assert_true(d > 0);                  /* the option changes the sequence */
    assert_true(e_alt < 4.0 * e_strang); /* the same order of accuracy: see docs/transport.md */
    assert_true(e_alt < 0.05);
}

/* sum |x - r| / sum |r| over every value of the State's O3, NO2, SO2, PSO4 and PPM in the
 * restart files x and r (the instantaneous state, every layer) */
static double state_nmad(const char *x, const char *r)
{
    static const char *const vars[] = {"O3", "NO2", "SO2", "PSO4", "PPM"};
    double sum = 0;
    for (int k = 0; k < 5; k++) {
        double nk = 0, dk = 0;
        var_absdiff(x, r, vars[k], &nk, &dk);
        sum += nk / dk; /* each species with the same weight (mol mol-1 of very different sizes) */
    }
    return sum / 5;
}

/* [run] merge_advection (driver.c, docs/transport.md): Strang splitting with the reverse
 * advection half of a step and the forward half of the next as one call.  One advection call per
 * step between output times; as close to a Strang run at a 5 times shorter step as the unmerged
 * sequence; budgets closed; and a stop by SIGTERM between merged halves (the checkpoint holds
 * the pending half) continues bit for bit, on 1 rank or from 2. */
static void test_merged_advection(void **st)
{
    (void)st;
    char cfg[600], dm[600], ds[600], dref[600], dk[600], rst[800];
    strang_runs(ds, dref, sizeof ds);
    write_full_case(cfg, sizeof cfg);
    snprintf(dm, sizeof dm, "%s/merge_on", tmpdir);
    snprintf(dk, sizeof dk, "%s/merge_term", tmpdir);
    SH_OK("%s run %s --set run.threads=1 --set run.output_dir=%s", bogda, cfg, dm);
    /* 18 steps of 600 s, output every 6: per hour a forward half, 5 merged calls and a reverse half */
    print_message("merged advection halves, 3 h: %.0f advection / %.0f diffusion calls (unmerged %.0f / %.0f)\n",
                  log_value(dm, "advection_calls"), log_value(dm, "diffusion_calls"),
                  log_value(ds, "advection_calls"), log_value(ds, "diffusion_calls"));
    assert_true(log_value(dm, "advection_calls") == 21 && log_value(dm, "diffusion_calls") == 36);
    assert_true(log_value(ds, "advection_calls") == 36 && log_value(ds, "diffusion_calls") == 36);
    /* accuracy against Strang at 120 s: the hourly means (conc: O3, NO2, SO2, PM25) and the
     * state at 3 h (restart: O3, NO2, SO2, PSO4, PPM, every layer) */
    char rm[800], rs[800], rr[800];
    snprintf(rm, sizeof rm, "%s/restart_2024-01-10T0300.nc", dm);
    snprintf(rs, sizeof rs, "%s/restart_2024-01-10T0300.nc", ds);
    snprintf(rr, sizeof rr, "%s/restart_2024-01-10T0300.nc", dref);
    const double cm = conc_nmad(dm, dref), cs = conc_nmad(ds, dref), sm = state_nmad(rm, rr), ss = state_nmad(rs, rr);
    print_message("against Strang at 120 s: hourly means merged %.2e, unmerged %.2e (ratio %.2f); state at 3 h "
                  "merged %.2e, unmerged %.2e (ratio %.2f); merged vs unmerged %.2e\n",
                  cm, cs, cm / cs, sm, ss, sm / ss, conc_nmad(dm, ds));
    assert_true(conc_nmad(dm, ds) > 0);
    assert_true(cm < 1.5 * cs); /* docs/transport.md */
    assert_true(sm < 2.0 * ss);
    /* budget closure with the advection of a step booked in the next */
    int rows = 0;
    const double worst = budget_worst(dm, &rows);
    print_message("merged: budget %d rows, worst |imbalance_rel| %.2e\n", rows, worst);
    assert_true(rows > 40);
    assert_true(worst < 1e-10);
    /* SIGTERM seen after step 9 (01:30, between merged halves): a checkpoint with the half pending */
    int rc = sh("BOGDA_FAULT_SIGTERM_AFTER_STEP=8 %s run %s --set run.threads=1 --set run.output_dir=%s", bogda, cfg, dk);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "stopped by signal 15"));
    snprintf(rst, sizeof rst, "%s/restart_2024-01-10T0130.nc", dk);
    size_t n = 0;
    double *pend = read_var(rst, "extra_transport_pending", &n);
    assert_int_equal(n, 1);
    assert_true(pend[0] == 1.0);
    free(pend);
    SH_OK("%s run %s --set run.threads=2 --set run.output_dir=%s --resume", bogda, cfg, dk);
    static const char *const ncf[] = {"conc_2024-01-10.nc", "diag_2024-01-10.nc", "restart_2024-01-10T0300.nc"};
    long tot = nc_diffs(dm, dk, ncf, 3);
    char pa[800], pb[800];
    snprintf(pa, sizeof pa, "%s/stations.csv", dm);
    snprintf(pb, sizeof pb, "%s/stations.csv", dk);
    int same = sh("cmp -s %s %s", pa, pb) == 0;
    snprintf(pa, sizeof pa, "%s/budget.csv", dm);
    snprintf(pb, sizeof pb, "%s/budget.csv", dk);
    same += sh("cmp -s %s %s", pa, pb) == 0;
    print_message("stopped by SIGTERM at 01:30 with a half pending + --resume vs continuous: %ld differing values, "
                  "%d of 2 CSV files identical (stations, budget)\n", tot, same);
    assert_int_equal(tot, 0);
    assert_int_equal(same, 2);
#ifdef BOGDA_MPI
    {
        char d2[700];
        snprintf(d2, sizeof d2, "%s/merge_term_mpi", tmpdir);
        rc = sh(MPIRUN_ENV
                "OMP_NUM_THREADS=1 BOGDA_FAULT_SIGTERM_AFTER_STEP=8 mpirun --oversubscribe "
                "-np 2 %s run %s --set run.threads=1 --set run.output_dir=%s > /dev/null 2>&1", bogda, cfg, d2);
        assert_int_not_equal(rc, 0);
        /* rank 0 wrote the signal's checkpoint, as the serial run does (every rank wrote the same
         * file before, and none was left usable), and the resume continues from it */
        snprintf(rst, sizeof rst, "%s/restart_2024-01-10T0130.nc", d2);
        n = 0;
        pend = read_var(rst, "extra_transport_pending", &n);
        assert_int_equal(n, 1);
        assert_true(pend[0] == 1.0);
        free(pend);
        SH_OK("%s run %s --set run.threads=1 --set run.output_dir=%s --resume", bogda, cfg, d2);
        snprintf(pa, sizeof pa, "%s/run.log", d2);
        assert_int_equal(sh("grep -q 'continuing from .*restart_2024-01-10T0130.nc' %s", pa), 0);
        tot = nc_diffs(dm, d2, ncf, 3);
        snprintf(pa, sizeof pa, "%s/stations.csv", dm);
        snprintf(pb, sizeof pb, "%s/stations.csv", d2);
        same = sh("cmp -s %s %s", pa, pb) == 0;
        print_message("SIGTERM on 2 MPI ranks + --resume on 1: %ld differing values, stations %s\n", tot,
                      same ? "identical" : "differ");
        assert_int_equal(tot, 0);
        assert_true(same);
    }
#endif
}

/* The planners' job: a batch of the baseline and two scenarios, its manifest and ranking, and a
 * resumed batch that redoes nothing. */
static void test_batch(void **st)
{
    (void)st;
    char cfg[600], dir[600], stn[600], cit[600], extra[1600];
    snprintf(stn, sizeof stn, "%s/bstations.csv", tmpdir);
    snprintf(cit, sizeof cit, "%s/bcities.csv", tmpdir);
    FILE *f = fopen(stn, "w");
    fprintf(f, "id,name,city,lon,lat\nS1,Centre,Urumqi,87.6,43.8\nS2,West,Urumqi,87.3,43.9\n");
    fclose(f);
    f = fopen(cit, "w");
    fprintf(f, "city,lon,lat,population\nUrumqi,87.6,43.8,3029372\n");
    fclose(f);
    snprintf(dir, sizeof dir, "%s/batch", tmpdir);
    snprintf(extra, sizeof extra,
             "[stations]\nfile = %s\n[cities]\nfile = %s\n"
             "[scenario nox]\ncost_million_cny = 500\ncontrol = * NOx * 0.5\n", stn, cit);
    snprintf(cfg, sizeof cfg, "%s/batch.ini", tmpdir);
    write_config(cfg, extra);
    SH_OK("%s batch %s --set run.output_dir=%s --set run.hours=2 > %s/batch_out.txt", bogda, cfg, dir, tmpdir);
    char path[700], line[2048];
    snprintf(path, sizeof path, "%s/ranking.csv", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "rank,scenario,d_pwm_PM25,d_exceed_days,d_heavy_days,d_mean_PM25_S1,d_mean_PM25_S2,"
                              "d_O3_8h,emission_cut_t,cost_million_cny,d_pwm_PM25_per_kt,d_pwm_PM25_per_billion_cny\n");
    int rows = 0, saw_none = 0;
    double cut_nox = -1;
    while (fgets(line, sizeof line, f)) {
        rows++;
        char *fld[16];
        int n = csv_split(line, fld, 16);
        assert_int_equal(n, 12);
        if (!strcmp(fld[1], "none")) {
            saw_none = 1;
            assert_true(atof(fld[2]) == 0.0); /* factors of 1: no change at all */
            assert_true(atof(fld[8]) == 0.0);
            assert_string_equal(fld[10], ""); /* per kt: empty when nothing is cut */
        }
        if (!strcmp(fld[1], "nox")) cut_nox = atof(fld[8]);
    }
    fclose(f);
    print_message("batch: %d ranked scenarios; NOx halved cuts %.1f t over 2 h\n", rows, cut_nox);
    assert_int_equal(rows, 4);
    assert_true(saw_none);
    assert_true(cut_nox > 0);
    /* figures and manifest */
    snprintf(path, sizeof path, "%s/ranking.png", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    snprintf(path, sizeof path, "%s/dpm25_nox.png", dir);
    assert_int_equal(stat(path, &sb), 0);
    snprintf(path, sizeof path, "%s/batch_manifest.csv", dir);
    f = fopen(path, "r");
    int done = 0;
    while (f && fgets(line, sizeof line, f)) done += strstr(line, ",\"done\",") != NULL;
    if (f) fclose(f);
    assert_int_equal(done, 5);
    /* the group's first member (the baseline) read and validated the inputs; the others borrowed
     * them (model_setup_member) and, above, still rank as their separate runs would */
    {
        static char logb[1 << 16], logn[1 << 16];
        const char *who[2] = {"baseline", "nox"};
        char *buf[2] = {logb, logn};
        for (int w = 0; w < 2; w++) {
            snprintf(path, sizeof path, "%s/%s/run.log", dir, who[w]);
            f = fopen(path, "r");
            assert_non_null(f);
            size_t nr = fread(buf[w], 1, sizeof logb - 1, f);
            buf[w][nr] = 0;
            fclose(f);
        }
        assert_null(strstr(logb, "set-up shared"));
        assert_non_null(strstr(logn, "set-up shared with the group's first member (model_setup_member): "
                                     "meteorology, inventory, profiles and point sources"));
    }
    /* a second batch redoes nothing and ranks the same */
    char r1[700];
    snprintf(r1, sizeof r1, "%s/ranking.csv", dir);
    f = fopen(r1, "r");
    static char before[8192], after[8192];
    size_t nb = fread(before, 1, sizeof before - 1, f);
    before[nb] = 0;
    fclose(f);
    int rc = sh("%s batch %s --set run.output_dir=%s --set run.hours=2 > /dev/null", bogda, cfg, dir);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(err, "already done"));
    f = fopen(r1, "r");
    size_t na = fread(after, 1, sizeof after - 1, f);
    after[na] = 0;
    fclose(f);
    assert_string_equal(before, after);
    /* ... but a finished batch asked for another run window runs its members again (the window
     * is not in the configuration hash) */
    {
        char dh[700], rh[800];
        snprintf(dh, sizeof dh, "%s/batch_h1", tmpdir);
        assert_int_equal(sh("cp -r %s %s", dir, dh), 0);
        rc = sh("%s batch %s --set run.output_dir=%s --set run.hours=1 > /dev/null", bogda, cfg, dh);
        assert_int_equal(rc, 0);
        assert_null(strstr(err, "already done"));
        snprintf(rh, sizeof rh, "%s/baseline/restart_2024-01-10T0100.nc", dh);
        assert_int_equal(sh("test -f %s", rh), 0);
        print_message("a finished 2-h batch asked for 1 h: every member runs again\n");
        /* a "done" member whose output file is gone runs again (it was skipped and ranked
         * without that file) and the ranking is the first one */
        char dg[700], rg[800];
        snprintf(dg, sizeof dg, "%s/batch_gone", tmpdir);
        assert_int_equal(sh("cp -r %s %s && rm %s/baseline/conc_2024-01-10.nc", dir, dg, dg), 0);
        rc = sh("%s batch %s --set run.output_dir=%s --set run.hours=2 > /dev/null", bogda, cfg, dg);
        assert_int_equal(rc, 0);
        assert_null(strstr(err, "baseline already done"));
        assert_non_null(strstr(err, "nox already done"));
        snprintf(rg, sizeof rg, "%s/ranking.csv", dg);
        assert_int_equal(sh("cmp -s %s %s", r1, rg), 0);
        print_message("a done member without its conc file runs again; the same ranking\n");
    }
    /* bogda rank recomputes it */
    rc = sh("%s rank %s > /dev/null", bogda, dir);
    assert_int_equal(rc, 0);
    /* a member whose output is gone is left out of the ranking, and so is its old map */
    {
        char cp[700];
        snprintf(cp, sizeof cp, "%s_nonox", dir);
        assert_int_equal(sh("cp -r %s %s && rm %s/nox/conc_*.nc && test -f %s/dpm25_nox.png", dir, cp, cp, cp), 0);
        assert_int_equal(sh("%s rank %s > /dev/null", bogda, cp), 0);
        assert_int_not_equal(sh("test -f %s/dpm25_nox.png", cp), 0);
        assert_int_equal(sh("rm -rf %s", cp), 0);
    }

    /* a configuration given by a relative path from elsewhere: the member directories land
     * inside the batch directory, not one configuration directory deeper */
    {
        char absb[PATH_MAX], parent[600], rel[900];
        assert_non_null(realpath(bogda, absb));
        snprintf(parent, sizeof parent, "%s", tmpdir);
        char *slash = strrchr(parent, '/');
        *slash = 0;
        rc = sh("cd %s && %s batch %s/batch.ini --set run.output_dir=relb --set run.hours=1 "
                "--set batch.members_per_process=5 > /dev/null", parent, absb, slash + 1);
        assert_int_equal(rc, 0);
        snprintf(rel, sizeof rel, "%s/relb/baseline/budget.csv", tmpdir);
        struct stat sr;
        assert_int_equal(stat(rel, &sr), 0);
    }
    /* The members advanced together equal separate runs bit for bit: the scenario alone ... */
    char sep[700], a[900], b[900];
    snprintf(sep, sizeof sep, "%s/sep_nox", tmpdir);
    rc = sh("%s run %s --scenario nox --set run.output_dir=%s --set run.hours=2 > /dev/null", bogda, cfg, sep);
    assert_int_equal(rc, 0);
    const char *skip[] = {"time_bnds", NULL};
    long nd = -1;
    char rep[512];
    snprintf(a, sizeof a, "%s/conc_2024-01-10.nc", sep);
    snprintf(b, sizeof b, "%s/nox/conc_2024-01-10.nc", dir);
    assert_int_equal(nc_compare_files(a, b, skip, &nd, rep, sizeof rep), 0);
    print_message("batch member vs its run alone: %ld values differ (%s)\n", nd, rep);
    assert_int_equal(nd, 0);
    snprintf(a, sizeof a, "%s/budget.csv", sep);
    snprintf(b, sizeof b, "%s/nox/budget.csv", dir);
    assert_int_equal(sh("cmp -s %s %s", a, b), 0);
    /* ... so does a member under [run] splitting = alternating (the group's single transport call
     * per step moves every member's fields) ... */
    {
        char da[700], sa[700];
        snprintf(da, sizeof da, "%s/batch_alt", tmpdir);
        snprintf(sa, sizeof sa, "%s/sep_nox_alt", tmpdir);
        assert_int_equal(sh("%s batch %s --set run.output_dir=%s --set run.hours=1 --set run.splitting=alternating "
                            "> /dev/null", bogda, cfg, da), 0);
        assert_int_equal(sh("%s run %s --scenario nox --set run.output_dir=%s --set run.hours=1 "
                            "--set run.splitting=alternating > /dev/null", bogda, cfg, sa), 0);
        snprintf(a, sizeof a, "%s/conc_2024-01-10.nc", sa);
        snprintf(b, sizeof b, "%s/nox/conc_2024-01-10.nc", da);
        assert_int_equal(nc_compare_files(a, b, skip, &nd, rep, sizeof rep), 0);
        print_message("alternating splitting: batch member vs its run alone: %ld values differ\n", nd);
        assert_int_equal(nd, 0);
    }
    /* ... one member per process on one thread gives the same ranking ... */
    char dir1[700], r2[800];
    snprintf(dir1, sizeof dir1, "%s/batch_1", tmpdir);
    rc = sh("%s batch %s --set run.output_dir=%s --set run.hours=2 --set batch.members_per_process=1 "
            "--set run.threads=1 > /dev/null", bogda, cfg, dir1);
    assert_int_equal(rc, 0);
    snprintf(r2, sizeof r2, "%s/ranking.csv", dir1);
    assert_int_equal(sh("cmp -s %s %s", r1, r2), 0);
    snprintf(a, sizeof a, "%s/nox/conc_2024-01-10.nc", dir1);
    snprintf(b, sizeof b, "%s/nox/conc_2024-01-10.nc", dir);
    assert_int_equal(nc_compare_files(a, b, skip, &nd, rep, sizeof rep), 0);
    assert_int_equal(nd, 0);
    /* ... and a batch killed mid-way resumes from its checkpoints to the same ranking */
    char dir2[700], r3[800];
    snprintf(dir2, sizeof dir2, "%s/batch_killed", tmpdir);
    rc = sh("BOGDA_FAULT_KILL_AFTER_STEP=8 %s batch %s --set run.output_dir=%s --set run.hours=2 "
            "--set run.checkpoint_h=1 > /dev/null 2>&1", bogda, cfg, dir2);
    assert_int_not_equal(rc, 0);
    char p2[1000];
    snprintf(p2, sizeof p2, "%s/batch_manifest.csv", dir2);
    f = fopen(p2, "r");
    int running = 0;
    while (f && fgets(line, sizeof line, f)) running += strstr(line, ",\"running\",") != NULL;
    if (f) fclose(f);
    assert_int_equal(running, 5);
    rc = sh("%s batch %s --set run.output_dir=%s --set run.hours=2 --set run.checkpoint_h=1 > /dev/null",
            bogda, cfg, dir2);
    assert_int_equal(rc, 0);
    snprintf(p2, sizeof p2, "%s/baseline/run.log", dir2);
    assert_int_equal(sh("grep -q 'continuing from' %s", p2), 0);
    snprintf(r3, sizeof r3, "%s/ranking.csv", dir2);
    assert_int_equal(sh("cmp -s %s %s", r1, r3), 0);
    snprintf(a, sizeof a, "%s/nox/conc_2024-01-10.nc", dir2);
    assert_int_equal(nc_compare_files(a, b, skip, &nd, rep, sizeof rep), 0);
    assert_int_equal(nd, 0);
    print_message("batch: grouped, one member per process on 1 thread, and killed + resumed: identical rankings\n");
    /* that batch has hourly checkpoints: asked again for its first hour only, the members have a
     * restart at the new end but their files hold two hours, so they run again (the manifest's
     * window differs) */
    {
        char d1h[700], mf[800];
        snprintf(d1h, sizeof d1h, "%s/batch_killed_1h", tmpdir);
        assert_int_equal(sh("cp -r %s %s", dir2, d1h), 0);
        rc = sh("%s batch %s --set run.output_dir=%s --set run.hours=1 --set run.checkpoint_h=1 > /dev/null", bogda,
                cfg, d1h);
        assert_int_equal(rc, 0);
        assert_null(strstr(err, "already done"));
        snprintf(mf, sizeof mf, "%s/batch_manifest.csv", d1h);
        assert_int_equal(sh("grep -q ',2024-01-10T00:00:00Z/2024-01-10T01:00:00Z$' %s", mf), 0);
        rc = sh("%s batch %s --set run.output_dir=%s --set run.hours=1 --set run.checkpoint_h=1 > /dev/null", bogda,
                cfg, d1h);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(err, "already done"));
        print_message("a 2-h batch with hourly checkpoints asked for 1 h: members run again, then count as done\n");
    }
    /* a malformed [batch] ranks_per_group is refused before anything runs */
    rc = sh("%s batch %s --set run.output_dir=%s/batch_bad --set batch.ranks_per_group=two > /dev/null", bogda, cfg, tmpdir);
    print_message("ranks_per_group = two: exit %d: %s", rc, err);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "[batch] ranks_per_group"));
#ifdef BOGDA_MPI
    /* ... and spread over 2 MPI ranks (groups of one member: ranks take members 0, 2 and 1, 3),
     * leak-checked in the ranks (MPIRUN_ENV) */
    char dir3[700], r4[800];
    snprintf(dir3, sizeof dir3, "%s/batch_mpi", tmpdir);
    rc = sh(MPIRUN_ENV
            "OMP_NUM_THREADS=1 "
            "mpirun --oversubscribe -np 2 %s batch %s --set run.output_dir=%s --set run.hours=2 "
            "--set batch.members_per_process=1 > %s/mpi_out.txt 2>&1", bogda, cfg, dir3, tmpdir);
    if (rc) {
        snprintf(p2, sizeof p2, "%s/mpi_out.txt", tmpdir);
        sh("cat %s >&2", p2);
    }
    assert_int_equal(rc, 0);
    snprintf(r4, sizeof r4, "%s/ranking.csv", dir3);
    assert_int_equal(sh("cmp -s %s %s", r1, r4), 0);
    snprintf(a, sizeof a, "%s/nox/conc_2024-01-10.nc", dir3);
    assert_int_equal(nc_compare_files(a, b, skip, &nd, rep, sizeof rep), 0);
    assert_int_equal(nd, 0);
    snprintf(p2, sizeof p2, "%s/batch_manifest.csv", dir3);
    f = fopen(p2, "r");
    int done2 = 0, groups = 0;
    while (f && fgets(line, sizeof line, f)) {
        done2 += strstr(line, ",\"done\",") != NULL;
        groups += strstr(line, ",3,") != NULL; /* the fourth member's group */
    }
    if (f) fclose(f);
    assert_int_equal(done2, 5);
    assert_int_equal(groups, 1);
    snprintf(p2, sizeof p2, "%s/batch_manifest.rank1.csv", dir3);
    struct stat sp;
    assert_int_not_equal(stat(p2, &sp), 0); /* the ranks' parts are merged and removed */
    print_message("batch over 2 MPI ranks: the same ranking and member files as the serial batch\n");
    /* one group of every member on 2 ranks as 2 x 1 blocks (ranks_per_group auto = 2: one set) */
    snprintf(dir3, sizeof dir3, "%s/batch_mpi_blocks", tmpdir);
    SH_OK(MPIRUN_ENV
            "OMP_NUM_THREADS=1 "
            "mpirun --oversubscribe -np 2 %s batch %s --set run.output_dir=%s --set run.hours=2 "
            "--set run.decomposition=2x1 > /dev/null", bogda, cfg, dir3);
    assert_non_null(strstr(err, "1 set(s) of 2 rank(s)"));
    snprintf(r4, sizeof r4, "%s/ranking.csv", dir3);
    assert_int_equal(sh("cmp -s %s %s", r1, r4), 0);
    snprintf(a, sizeof a, "%s/nox/conc_2024-01-10.nc", dir3);
    assert_int_equal(nc_compare_files(a, b, skip, &nd, rep, sizeof rep), 0);
    assert_int_equal(nd, 0);
    snprintf(p2, sizeof p2, "%s/baseline/run.log", dir3);
    assert_int_equal(sh("grep -q 'process grid 2 x 1' %s", p2), 0);
    print_message("batch of one group on 2 MPI ranks (2 x 1 blocks): the same ranking and member files\n");
    /* ranks_per_group larger than the ranks: refused (it divided by zero sets) */
    rc = sh(MPIRUN_ENV "OMP_NUM_THREADS=1 mpirun --oversubscribe -np 2 %s batch %s --set run.output_dir=%s/batch_rpg3 "
            "--set run.hours=1 --set batch.ranks_per_group=3 > /dev/null", bogda, cfg, tmpdir);
    print_message("ranks_per_group = 3 on 2 ranks: exit %d\n", rc);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "3 does not divide the 2 MPI ranks"));
    /* the baseline as one run split over 3 ranks (emissions, point-free): the batch's baseline */
    char dir4[700];
    snprintf(dir4, sizeof dir4, "%s/run_mpi", tmpdir);
    rc = sh(MPIRUN_ENV
            "OMP_NUM_THREADS=1 "
            "mpirun --oversubscribe -np 3 %s run %s --set run.output_dir=%s --set run.hours=2 > /dev/null 2>&1", bogda, cfg, dir4);
    assert_int_equal(rc, 0);
    snprintf(a, sizeof a, "%s/conc_2024-01-10.nc", dir4);
    snprintf(b, sizeof b, "%s/baseline/conc_2024-01-10.nc", dir);
    assert_int_equal(nc_compare_files(a, b, skip, &nd, rep, sizeof rep), 0);
    print_message("baseline on 3 MPI ranks vs the batch's baseline: %ld differing values\n", nd);
    assert_int_equal(nd, 0);
#endif
}

/* A forecast cycle cold-started at Beijing midnight, the next one hot-started from its restart,
 * the city products with lead days, and a restart at the wrong time refused. */
static void test_forecast(void **st)
{
    (void)st;
    char dir[600], ini[700];
    snprintf(dir, sizeof dir, "%s/fc", tmpdir);
    int rc = sh("%s makecase %s --resolution 30 --days 3 > /dev/null", bogda, dir);
    assert_int_equal(rc, 0);
    snprintf(ini, sizeof ini, "%s/case_30km.ini", dir);
    const char *fast = "--set forecast.spinup_h=0 --set processes.chemistry=off --set processes.aerosol=off "
                       "--set processes.wetdep=off --set processes.drydep=off";
    SH_OK("%s forecast %s --start 2024-01-10T16 --days 1 %s > /dev/null", bogda, ini, fast);
    char c1[800], rst[900], path[900], line[1024];
    snprintf(c1, sizeof c1, "%s/output_30km/cycle_2024-01-10T16", dir);
    snprintf(path, sizeof path, "%s/forecast_city.csv", c1);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "city,date,lead_day,PM25,PM10,SO2,NO2,CO,O3_1h_max,O3_8h_max,AQI,level,category,primary\n");
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[15];
        assert_int_equal(csv_split(line, fld, 15), 14);
        assert_string_equal(fld[1], "2024-01-11"); /* the Beijing day of the cycle */
        assert_string_equal(fld[2], "0");
        rows++;
    }
    fclose(f);
    print_message("forecast cycle 1: %d city rows for 2024-01-11\n", rows);
    assert_true(rows >= 3);
    snprintf(path, sizeof path, "%s/warnings.csv", c1);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "region,issued,level,start,end,scheme,reason,required_cut_percent\n");
    fclose(f);
    /* the next cycle starts from the restart written at its start */
    snprintf(rst, sizeof rst, "%s/restart_2024-01-11T1600.nc", c1);
    SH_OK("%s forecast %s --start 2024-01-11T16 --days 1 --restart %s %s > /dev/null", bogda, ini, rst, fast);
#ifdef BOGDA_MPI
    /* the same hot-started cycle split over 2 MPI ranks: the same fields, restart and products */
    {
        char cm[800], pa2[1000], pb2[1000], rep2[256];
        snprintf(cm, sizeof cm, "%s/fc_mpi", dir);
        SH_OK(MPIRUN_ENV
                "OMP_NUM_THREADS=1 mpirun --oversubscribe -np 2 %s forecast %s --start "
                "2024-01-11T16 --days 1 --restart %s %s --set run.output_dir=%s > /dev/null", bogda, ini, rst, fast, cm);
        const char *ncf[] = {"conc_2024-01-12.nc", "restart_2024-01-12T1600.nc"};
        long tot = 0, nd2 = -1;
        for (int q = 0; q < 2; q++) {
            snprintf(pa2, sizeof pa2, "%s/output_30km/cycle_2024-01-11T16/%s", dir, ncf[q]);
            snprintf(pb2, sizeof pb2, "%s/cycle_2024-01-11T16/%s", cm, ncf[q]);
            assert_int_equal(nc_compare_files(pa2, pb2, NULL, &nd2, rep2, sizeof rep2), 0);
            tot += nd2;
        }
        const char *csvf[] = {"forecast_city.csv", "forecast_city_hourly.csv", "warnings.csv", "forecast_stations.csv"};
        int same = 0;
        for (int q = 0; q < 4; q++) {
            snprintf(pa2, sizeof pa2, "%s/output_30km/cycle_2024-01-11T16/%s", dir, csvf[q]);
            snprintf(pb2, sizeof pb2, "%s/cycle_2024-01-11T16/%s", cm, csvf[q]);
            same += sh("cmp -s %s %s", pa2, pb2) == 0;
        }
        print_message("forecast cycle on 2 MPI ranks vs serial: %ld differing values, %d of 4 products identical\n", tot, same);
        assert_int_equal(tot, 0);
        assert_int_equal(same, 4);
    }
#endif
    /* a restart at another time is refused, naming the times */
    rc = sh("%s forecast %s --start 2024-01-11T12 --days 1 --restart %s %s > /dev/null", bogda, ini, rst, fast);
    print_message("wrong restart time: exit %d: %s", rc, err);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(err, "2024-01-11T16:00:00Z"));
    /* two chained 24-h cycles equal one 48-h run bit for bit (the end state and the last day) */
    char o48[800], a[1000], b[1000], c2[900], rep[256];
    snprintf(o48, sizeof o48, "%s/fc48", dir);
    rc = sh("%s forecast %s --start 2024-01-10T16 --days 2 %s --set run.output_dir=%s > /dev/null", bogda, ini, fast, o48);
    assert_int_equal(rc, 0);
    snprintf(c2, sizeof c2, "%s/output_30km/cycle_2024-01-11T16", dir);
    const char *files[] = {"restart_2024-01-12T1600.nc", "conc_2024-01-12.nc"};
    for (int q = 0; q < 2; q++) {
        snprintf(a, sizeof a, "%s/cycle_2024-01-10T16/%s", o48, files[q]);
        snprintf(b, sizeof b, "%s/%s", c2, files[q]);
        long nd = -1;
        /* the state; the accumulators (means, budget, station series) start with each run */
        const char *acc[] = {"out_acc", "out_acc_start", "out_last_sample", "budget", "extra_stations",
                             "extra_diag_acc", "extra_diag_meta", NULL};
        assert_int_equal(nc_compare_files(a, b, acc, &nd, rep, sizeof rep), 0);
        print_message("48-h forecast vs two chained 24-h cycles, %s: %ld differing values (%s)\n", files[q], nd, rep);
        assert_int_equal(nd, 0);
    }
    /* a hot start from a restart of another grid is refused, naming what differs */
    char other[700], ini40[800], rst40[900];
    snprintf(other, sizeof other, "%s/fc40", tmpdir);
    assert_int_equal(sh("%s makecase %s --resolution 25 --days 3 > /dev/null", bogda, other), 0);
    snprintf(ini40, sizeof ini40, "%s/case_25km.ini", other);
    assert_int_equal(sh("%s forecast %s --start 2024-01-10T16 --days 1 %s > /dev/null", bogda, ini40, fast), 0);
    snprintf(rst40, sizeof rst40, "%s/output_25km/cycle_2024-01-10T16/restart_2024-01-11T1600.nc", other);
    rc = sh("%s forecast %s --start 2024-01-11T16 --days 1 --restart %s %s > /dev/null", bogda, ini, rst40, fast);
    print_message("restart of a 25-km grid into the 30-km case: exit %d: %s", rc, err);
    assert_int_not_equal(rc, 0);
    assert_true(strstr(err, "grid") != NULL || strstr(err, "dimension") != NULL);
}

/* The embedded case: makecase's configuration passes check, and a night of transport with
 * emissions (chemistry off) puts the highest surface CO next to the cities and industrial parks
 * of the basin, under the inversion. */
static void test_embedded_case(void **st)
{
    (void)st;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/case", tmpdir);
    SH_OK("%s makecase %s --resolution 12 --days 1 > /dev/null", bogda, dir);
    SH_OK("%s check %s/demo.ini > /dev/null", bogda, dir);
    /* 18:00 to 24:00 local night: start 12 UTC */
    SH_OK("%s run %s/demo.ini --set processes.chemistry=off --set processes.aerosol=off "
            "--set processes.wetdep=off --set processes.drydep=off --set run.start=2024-01-10T12:00:00Z "
            "--set run.hours=6 --set run.checkpoint_h=0 --set output.species=CO", bogda, dir);
    char path[700];
    snprintf(path, sizeof path, "%s/output_demo/conc_2024-01-10.nc", dir);
    int nc, v, vlat, vlon, dims[4];
    assert_int_equal(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, "CO", &v), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, "lat", &vlat), NC_NOERR);
    assert_int_equal(nc_inq_varid(nc, "lon", &vlon), NC_NOERR);
    nc_inq_vardimid(nc, v, dims);
    size_t nt, ny, nx;
    nc_inq_dimlen(nc, dims[0], &nt);
    nc_inq_dimlen(nc, dims[1], &ny);
    nc_inq_dimlen(nc, dims[2], &nx);
    float *co = malloc(ny * nx * sizeof *co);
    double *lat = malloc(ny * nx * sizeof *lat), *lon = malloc(ny * nx * sizeof *lon);
    size_t start[3] = {nt - 1, 0, 0}, count[3] = {1, ny, nx};
    assert_int_equal(nc_get_vara_float(nc, v, start, count, co), NC_NOERR);
    nc_get_var_double(nc, vlat, lat);
    nc_get_var_double(nc, vlon, lon);
    nc_close(nc);
    size_t imax = 0;
    double mean = 0;
    for (size_t c = 0; c < ny * nx; c++) {
        if (co[c] > co[imax]) imax = c;
        mean += co[c] / (double)(ny * nx);
    }
    /* emission centres of the case (input/README.md) */
    static const double centres[][2] = {{87.62, 43.83}, {87.30, 44.01}, {86.05, 44.31}, {87.55, 44.18},
                                        {84.90, 44.43}, {84.85, 44.33}, {84.89, 45.58}, {87.90, 44.00},
                                        {86.22, 44.30}, {88.00, 44.16}};
    double best = 1e9;
    for (size_t k = 0; k < sizeof centres / sizeof *centres; k++) {
        double dy = (lat[imax] - centres[k][1]) * 111.2;
        double dx = (lon[imax] - centres[k][0]) * 111.2 * cos(lat[imax] * M_PI / 180);
        best = fmin(best, hypot(dx, dy));
    }
    print_message("embedded case, midnight local: surface CO max %.0f ppb at %.2f E %.2f N (%.0f km from an "
                  "emission centre), domain mean %.0f ppb\n", co[imax], lon[imax], lat[imax], best, mean);
    assert_true(best < 30.0);
    assert_true(co[imax] > 3 * mean);
    free(co); free(lat); free(lon);
}

/* DESIGN 5, ladder item 5: plausible winter magnitudes on the embedded case. The Urumqi episode
 * mean of PM2.5 (the daily city means of the Beijing-time days the 96-h run covers in full) must
 * lie within the 100-250 ug m-3 of the observed 2012-2021 episodes. The 30-km grid with every
 * process on takes ~15-25 s; it is left out of the sanitizer build, whose whole-model tests run
 * the same code on shorter cases. */
static void test_winter_magnitudes(void **st)
{
    (void)st;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#endif
    char dir[600], out[700], path[800], line[512];
    snprintf(dir, sizeof dir, "%s/case30", tmpdir);
    snprintf(out, sizeof out, "%s/case30_run", tmpdir);
    SH_OK("%s makecase %s --resolution 30 --days 4 --interval 3 > /dev/null", bogda, dir);
    SH_OK("%s run %s/case_30km.ini --set run.threads=2 --set run.checkpoint_h=0 --set run.output_dir=%s", bogda,
            dir, out);
    snprintf(path, sizeof path, "%s/daily_city.csv", out);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "city,date,PM25,PM10,SO2,NO2,CO,O3_1h_max,O3_8h_max,AQI,level,primary\n");
    double sum = 0, lo = 1e9, hi = 0;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[13];
        if (csv_split(line, fld, 13) != 12 || strcmp(fld[0], "Urumqi") || !fld[2][0]) continue;
        double v = atof(fld[2]);
        sum += v;
        lo = fmin(lo, v);
        hi = fmax(hi, v);
        n++;
    }
    fclose(f);
    print_message("embedded case, 30 km, 96 h, every process on: Urumqi daily PM2.5 %.0f-%.0f ug m-3 over %d "
                  "days, episode mean %.0f (observed episodes 100-250)\n", lo, hi, n, n ? sum / n : 0.0);
    assert_true(n >= 3);
    assert_true(sum / n >= 100.0 && sum / n <= 250.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emission_budget_and_scenarios),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_full_chemistry),
        cmocka_unit_test(test_batch_chemistry),
        cmocka_unit_test(test_alternating_splitting),
        cmocka_unit_test(test_merged_advection),
        cmocka_unit_test(test_init_file),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_forecast),
        cmocka_unit_test(test_embedded_case),
        cmocka_unit_test(test_winter_magnitudes),
    };
    /* BOGDA_TEST_FILTER=test_batch runs one test while developing */
    if (getenv("BOGDA_TEST_FILTER")) cmocka_set_test_filter(getenv("BOGDA_TEST_FILTER"));
    return cmocka_run_group_tests_name("emissions in the model", tests, setup, teardown);
}
