/* Temporal emission profiles (input/profiles.c): normalisation to a mean of 1 over the period
 * (hours and weekdays plain, months weighted by days), local time at the timezone offset, and
 * refusal of malformed CSV lines with file:line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "profiles.h"
#include "testutil.h"
#include "timeutil.h"

static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* Writes text to a fresh temporary file; path receives its name. */
static void write_tmp(char *path, size_t n, const char *text)
{
    snprintf(path, n, "/tmp/bogda_test_profiles_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static double tparse(const char *s)
{
    double t;
    assert_int_equal(time_parse(s, &t), 0);
    return t;
}

/* A heating-season-like file, deliberately not normalised. */
static const char *csv =
    "sector,kind,v1,v2,v3,v4,v5,v6,v7,v8,v9,v10,v11,v12\n"
    "# residential heating: high in winter\n"
    "residential,month,2.0,1.8,1.4,1.0,0.5,0.4,0.4,0.4,0.5,1.0,1.6,1.9\n"
    "residential,hour,1,1,1,1,1,1,2,3,3,2,1,1,1,1,1,1,1,2,3,3,3,2,1,1\n"
    "transport_light,weekday,1.1,1.1,1.1,1.1,1.2,0.7,0.7\n"
    "transport_light , hour , 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23\n"
    "\n"
    "power,month,1,1,1,1,1,1,1,1,1,1,1,1\n";

static void test_normalisation(void **st)
{
    (void)st;
    char path[64];
    write_tmp(path, sizeof path, csv);
    Profiles p;
    BgErr e = {0};
    assert_int_equal(profiles_load(&p, path, &e), BG_OK);
    assert_int_equal(p.n, 3);
    int ir = profiles_index(&p, "residential"), it = profiles_index(&p, "transport_light");
    int ip = profiles_index(&p, "power");
    assert_true(ir >= 0 && it >= 0 && ip >= 0);
    assert_int_equal(profiles_index(&p, "steel"), -1);
    assert_int_equal(p.has[ir], BG_PROF_MONTH | BG_PROF_HOUR);
    assert_int_equal(p.has[it], BG_PROF_WEEKDAY | BG_PROF_HOUR);

    double mw = 0, mplain = 0, hmean = 0, wmean = 0, h2 = 0;
    for (int k = 0; k < 12; k++) {
        mw += p.month[ir * 12 + k] * mdays[k] / 365.0;
        mplain += p.month[ir * 12 + k] / 12.0;
    }
    for (int h = 0; h < 24; h++) { hmean += p.hour[ir * 24 + h] / 24; h2 += p.hour[it * 24 + h] / 24; }
    for (int d = 0; d < 7; d++) wmean += p.weekday[it * 7 + d] / 7;
    print_message("residential month profile: day-weighted mean %.15f, plain mean %.6f; hour "
                  "means %.15f %.15f; weekday mean %.15f\n", mw, mplain, hmean, h2, wmean);
    assert_close(mw, 1.0, 1e-14);
    assert_true(fabs(mplain - 1.0) > 1e-3); /* the two conventions differ for this profile */
    assert_close(hmean, 1.0, 1e-14);
    assert_close(h2, 1.0, 1e-14);
    assert_close(wmean, 1.0, 1e-14);
    /* shape kept: ratio of two hours as in the file */
    assert_close(p.hour[ir * 24 + 8] / p.hour[ir * 24 + 0], 3.0, 1e-14);
    /* the power month profile was already normalised: factor exactly 1, and no note for it */
    for (int k = 0; k < 12; k++) assert_true(p.month[ip * 12 + k] == 1.0);
    assert_non_null(p.notes);
    print_message("notes:\n%s", p.notes);
    assert_non_null(strstr(p.notes, ":3: the month profile of 'residential'"));
    assert_non_null(strstr(p.notes, ":6: the hour profile of 'transport_light'"));
    assert_null(strstr(p.notes, "power"));

    /* the time mean of month x weekday x hour over the local year 2023 (non-leap), hour by hour */
    double t0 = tparse("2023-01-01T00:00:00+08:00"), sr = 0, st_ = 0, sp = 0;
    const int nh = 365 * 24;
    for (int h = 0; h < nh; h++) {
        double t = t0 + (h + 0.5) * 3600.0;
        sr += profiles_factor(&p, ir, t, 8.0, BG_PROF_MONTH | BG_PROF_WEEKDAY | BG_PROF_HOUR);
        st_ += profiles_factor(&p, it, t, 8.0, BG_PROF_MONTH | BG_PROF_WEEKDAY | BG_PROF_HOUR);
        sp += profiles_factor(&p, -1, t, 8.0, BG_PROF_MONTH | BG_PROF_WEEKDAY | BG_PROF_HOUR);
    }
    print_message("annual mean factor 2023 (UTC+8): residential %.12f, transport_light %.12f "
                  "(52 weeks + 1 day), flat %.12f\n", sr / nh, st_ / nh, sp / nh);
    /* every day holds each hour once and the months are weighted by their days: 1 */
    assert_close(sr / nh, 1.0, 1e-12);
    /* weekdays: 2023 is 52 weeks and a Sunday, so the mean is 1 + (w_Sun - 1) / 365 */
    double wsun = p.weekday[it * 7 + 6];
    assert_close(st_ / nh, 1.0 + (wsun - 1.0) / 365.0, 1e-12);
    assert_close(sp / nh, 1.0, 0);
    profiles_free(&p);
    unlink(path);
}

static void test_local_time(void **st)
{
    (void)st;
    char path[64];
    /* hour profile 1..24, weekday profile 1..7: the factor reveals the local hour and weekday */
    write_tmp(path, sizeof path,
              "s,hour,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24\n"
              "s,weekday,1,2,3,4,5,6,7\n"
              "s,month,1,2,3,4,5,6,7,8,9,10,11,12\n");
    Profiles p;
    BgErr e = {0};
    assert_int_equal(profiles_load(&p, path, &e), BG_OK);
    const double hmean = 12.5, wmean = 4.0;
    double mmean = 0;
    for (int k = 0; k < 12; k++) mmean += (k + 1) * mdays[k] / 365.0;
    int mo, wd, hr;

    /* 2024-01-10 is a Wednesday.  00:00 UTC = 08:00 Beijing time, same date */
    double t = tparse("2024-01-10T00:00:00Z");
    profiles_local_time(t, 8.0, &mo, &wd, &hr);
    assert_int_equal(hr, 8);
    assert_int_equal(wd, 2);
    assert_int_equal(mo, 0);
    assert_close(profiles_factor(&p, 0, t, 8.0, BG_PROF_HOUR), 9.0 / hmean, 1e-15);
    assert_close(profiles_factor(&p, 0, t, 0.0, BG_PROF_HOUR), 1.0 / hmean, 1e-15);

    /* 20:30 UTC Wednesday = 04:30 Thursday local: the weekday of the local date */
    t = tparse("2024-01-10T20:30:00Z");
    profiles_local_time(t, 8.0, &mo, &wd, &hr);
    assert_int_equal(hr, 4);
    assert_int_equal(wd, 3);
    double f = profiles_factor(&p, 0, t, 8.0, BG_PROF_HOUR | BG_PROF_WEEKDAY);
    assert_close(f, (5.0 / hmean) * (4.0 / wmean), 1e-15);
    print_message("2024-01-10T20:30Z at UTC+8: local hour %d, weekday %d (Mon=0), factor %.6f\n",
                  hr, wd, f);

    /* month of the local date: 2024-01-31T18:00Z is 1 February 02:00 in Beijing */
    t = tparse("2024-01-31T18:00:00Z");
    profiles_local_time(t, 8.0, &mo, &wd, &hr);
    assert_int_equal(mo, 1);
    assert_int_equal(hr, 2);
    assert_close(profiles_factor(&p, 0, t, 8.0, BG_PROF_MONTH), 2.0 / mmean, 1e-15);
    assert_close(profiles_factor(&p, 0, t, 0.0, BG_PROF_MONTH), 1.0 / mmean, 1e-15);
    /* the mask drops a kind */
    assert_close(profiles_factor(&p, 0, t, 8.0, 0), 1.0, 0);

    /* negative offsets and dates before 1970 */
    t = tparse("1969-12-31T23:00:00Z"); /* a Wednesday */
    profiles_local_time(t, -5.0, &mo, &wd, &hr);
    assert_int_equal(hr, 18);
    assert_int_equal(wd, 2);
    assert_int_equal(mo, 11);
    /* fractional offsets (UTC+5:45) */
    t = tparse("2024-06-01T00:20:00Z");
    profiles_local_time(t, 5.75, &mo, &wd, &hr);
    assert_int_equal(hr, 6);
    /* every hour of a week at UTC+8: the local hour is (UTC hour + 8) mod 24 */
    double t0 = tparse("2024-03-04T00:00:00Z"); /* Monday */
    for (int h = 0; h < 7 * 24; h++) {
        profiles_local_time(t0 + h * 3600.0 + 1800.0, 8.0, &mo, &wd, &hr);
        assert_int_equal(hr, (h + 8) % 24);
        assert_int_equal(wd, ((h + 8) / 24) % 7);
    }
    profiles_free(&p);
    unlink(path);
}

/* Each malformed line is refused with BG_EINPUT naming file:line and the problem. */
static void check_refused(const char *text, int line, const char *what)
{
    char path[64], where[96];
    write_tmp(path, sizeof path, text);
    Profiles p;
    BgErr e = {0};
    assert_int_equal(profiles_load(&p, path, &e), BG_EINPUT);
    snprintf(where, sizeof where, "%s:%d: ", path, line);
    print_message("refused: %s\n", e.msg);
    assert_non_null(strstr(e.msg, where));
    assert_non_null(strstr(e.msg, what));
    assert_null(p.sector);
    unlink(path);
}

static void test_refusals(void **st)
{
    (void)st;
    check_refused("power,hour,1,1,1\n", 1, "the hour profile of 'power' needs 24 values, found 3");
    check_refused("# c\npower,month,1,1,1,1,1,1,1,1,1,1,1,1,1\n", 2, "needs 12 values, found 13");
    check_refused("power,weekday,1,1,1,x,1,1,1\n", 1, "value 4 of the weekday profile of 'power' "
                  "is not a number: 'x'");
    check_refused("power,weekday,1,1,1,,1,1,1\n", 1, "is not a number");
    check_refused("power,weekday,1,1,1,-0.5,1,1,1\n", 1, "negative");
    check_refused("power,weekday,1,1,1,nan,1,1,1\n", 1, "not finite");
    check_refused("sector,kind,v1\npower,daily,1\n", 2, "unknown profile kind 'daily'");
    check_refused("power,weekday,0,0,0,0,0,0,0\n", 1, "zero everywhere");
    check_refused("power,weekday,1,1,1,1,1,1,1\npower,weekday,1,1,1,1,1,1,1\n", 2,
                  "a second weekday profile");
    check_refused("power\n", 1, "expected 'sector,kind");
    Profiles p;
    BgErr e = {0};
    assert_int_equal(profiles_load(&p, "/nonexistent/profiles.csv", &e), BG_EINPUT);
    assert_non_null(strstr(e.msg, "/nonexistent/profiles.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalisation),
        cmocka_unit_test(test_local_time),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
