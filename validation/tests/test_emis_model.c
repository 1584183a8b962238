/* Emissions in the whole model: the budget's emission column equals the inventory's total inside
 * the domain times the seconds run; scenario controls scale it exactly; a scenario whose factors
 * are all 1 equals the baseline bit for bit; bad controls and point sources are refused. */
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

#include "grid.h"
#include "inventory.h"
#include "nccompare.h"
#include "synthmet.h"
#include "testutil.h"

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

/* 0.1-degree lon-lat inventory over 84-91 E, 41.5-46.5 N: CO and NOx in kg m-2 s-1 for the
 * sectors residential and power (uniform, so the regridded total is the flux times the area). */
static void write_inventory(const char *path)
{
    enum { NLON = 70, NLAT = 50, NSEC = 2, SLEN = 16 };
    int nc, dlon, dlat, dsec, dstr, vlon, vlat, vsec, vco, vnox;
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
    nc_enddef(nc);
    double lon[NLON], lat[NLAT];
    for (int i = 0; i < NLON; i++) lon[i] = 84.05 + 0.1 * i;
    for (int j = 0; j < NLAT; j++) lat[j] = 41.55 + 0.1 * j;
    nc_put_var_double(nc, vlon, lon);
    nc_put_var_double(nc, vlat, lat);
    char names[NSEC][SLEN] = {"residential", "power"};
    nc_put_var_text(nc, vsec, &names[0][0]);
    static double co[NSEC * NLAT * NLON], nox[NSEC * NLAT * NLON];
    for (int s = 0; s < NSEC; s++)
        for (int c = 0; c < NLAT * NLON; c++) {
            co[s * NLAT * NLON + c] = s == 0 ? 1e-9 : 2e-9;
            nox[s * NLAT * NLON + c] = 1e-10;
        }
    nc_put_var_double(nc, vco, co);
    nc_put_var_double(nc, vnox, nox);
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
            "[tracers]\nnames = T\nemit.T = CO\n"
            "[region west]\npolygon = 80 40, 87.6 40, 87.6 48, 80 48\n"
            "[scenario half]\ncontrol = residential CO west 0.5\n"
            "[scenario none]\ncontrol = * * * 1.0\n"
            "[output]\ninterval_h = 1\n%s",
            metdir, invpath, extra ? extra : "");
    fclose(f);
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
    int rc = sh("%s run %s --set run.output_dir=%s", bogda, cfg, base);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
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
    rc = sh("%s run %s --scenario half --set run.output_dir=%s", bogda, cfg, half);
    if (rc) fprintf(stderr, "%s", err);
    assert_int_equal(rc, 0);
    double got_half = budget_emission(half, "2024-01-10T02:00:00Z", "CO");
    print_message("scenario half: CO emission %.6e kg/h, %.4f of the baseline\n", got_half, got_half / got);
    assert_true(got_half < got && got_half > 0.75 * got);
    assert_close(budget_emission(half, "2024-01-10T02:00:00Z", "NO"), budget_emission(base, "2024-01-10T02:00:00Z", "NO"), 0.0);
    /* factors of 1 change nothing, bit for bit */
    rc = sh("%s run %s --scenario none --set run.output_dir=%s", bogda, cfg, none);
    assert_int_equal(rc, 0);
    char a[700], b[700], rep[256];
    long nd = -1;
    snprintf(a, sizeof a, "%s/conc_2024-01-10.nc", base);
    snprintf(b, sizeof b, "%s/conc_2024-01-10.nc", none);
    assert_int_equal(nc_compare_files(a, b, NULL, &nd, rep, sizeof rep), 0);
    print_message("scenario with factors 1 vs baseline: %ld differing values\n", nd);
    assert_int_equal(nd, 0);
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emission_budget_and_scenarios),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests_name("emissions in the model", tests, setup, teardown);
}
