/* Configuration: parsing, errors with file:line, overrides, defaults, hash, and the documentation
 * of every key in config/README.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "profile.h"
#include "testutil.h"
#include "timeutil.h"

static char path[256];

static void write_cfg(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **st)
{
    (void)st;
    snprintf(path, sizeof path, "/tmp/bogda_test_config_%d.ini", (int)getpid());
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    remove(path);
    return 0;
}

static void test_parse_defaults_overrides(void **st)
{
    (void)st;
    write_cfg("; comment\n[run]\nstart = 2024-01-10T00:00:00Z ; inline comment\nhours = 6\n"
              "[tracers]\nnames = A,\n  B, C\n[init]\nconstant.A = 3\n");
    Config c;
    BgErr e = {0};
    char *sets[] = {"run.hours=12", "output.layers = all"};
    assert_int_equal(config_load(&c, path, sets, 2, &e), 0);
    assert_string_equal(config_get(&c, "run", "hours"), "12");
    assert_string_equal(config_get(&c, "output", "layers"), "all");
    assert_string_equal(config_get(&c, "run", "sync_step_s"), "300"); /* default */
    assert_string_equal(config_get(&c, "tracers", "names"), "A, B, C"); /* continuation line */
    double h;
    assert_int_equal(config_double(&c, "run", "hours", &h, &e), 0);
    assert_close(h, 12.0, 0);
    char *eff = config_effective(&c);
    assert_non_null(strstr(eff, "[run]\n"));
    assert_non_null(strstr(eff, "hours = 12\n"));
    assert_non_null(strstr(eff, "kz_min = 0.1\n"));
    free(eff);
    /* the hash ignores the keys a continuation may change, and sees the others */
    char h1[17], h2[17], h3[17];
    config_hash(&c, h1);
    config_free(&c);
    char *sets2[] = {"run.hours=48", "run.output_dir=elsewhere", "output.layers=all"};
    assert_int_equal(config_load(&c, path, sets2, 3, &e), 0);
    config_hash(&c, h2);
    config_free(&c);
    char *sets3[] = {"diffusion.kz_min=0.5"};
    assert_int_equal(config_load(&c, path, sets3, 1, &e), 0);
    config_hash(&c, h3);
    config_free(&c);
    assert_string_equal(h1, h2);
    assert_string_not_equal(h1, h3);
}

static void expect_error(const char *text, char *const *sets, int nsets, const char *must1, const char *must2)
{
    write_cfg(text);
    Config c;
    BgErr e = {0};
    int rc = config_load(&c, path, sets, nsets, &e);
    print_message("%s\n", e.msg);
    assert_int_equal(rc, BG_ECONFIG);
    if (must1) assert_non_null(strstr(e.msg, must1));
    if (must2) assert_non_null(strstr(e.msg, must2));
    config_free(&c);
}

static void test_errors(void **st)
{
    (void)st;
    char where[300];
    snprintf(where, sizeof where, "%s:3", path);
    expect_error("[run]\nstart = x\nnope = 1\n", NULL, 0, where, "unknown key 'nope'");
    snprintf(where, sizeof where, "%s:2", path);
    expect_error("[run]\n[nosuch]\nkey = 1\n", NULL, 0, "unknown section [nosuch]", NULL);
    expect_error("[run]\nhours = 1\nhours = 2\n", NULL, 0, "repeated", "first at line 2");
    expect_error("start = 1\n", NULL, 0, "outside any section", NULL);
    expect_error("[run]\nthis is not a key value line\n", NULL, 0, where, "malformed");
    char *bad[] = {"run.bogus=1"};
    expect_error("[run]\n", bad, 1, "--set", "bogus");
    char *bad2[] = {"runhours"};
    expect_error("[run]\n", bad2, 1, "--set", "section.key=value");
    /* typed getters name file:line and key */
    write_cfg("[run]\nhours = twelve\n");
    Config c;
    BgErr e = {0};
    assert_int_equal(config_load(&c, path, NULL, 0, &e), 0);
    double h;
    assert_int_equal(config_double(&c, "run", "hours", &h, &e), BG_ECONFIG);
    assert_non_null(strstr(e.msg, ":2"));
    assert_non_null(strstr(e.msg, "hours"));
    config_free(&c);
}

/* config/README.md documents every key of every schema table */
static void test_readme_lists_every_key(void **st)
{
    (void)st;
    FILE *f = fopen("config/README.md", "r");
    assert_non_null(f);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    const CfgKey *tables[] = {bg_schema_core, bg_schema_chem, bg_schema_emis};
    int missing = 0, count = 0;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const CfgKey *k = tables[t]; k->section; k++) {
            char row[200];
            snprintf(row, sizeof row, "| `[%s]` | `%s` |", k->section, k->key);
            count++;
            if (!strstr(text, row)) {
                print_error("config/README.md lacks %s\n", row);
                missing++;
            }
        }
    print_message("%d keys, %d undocumented\n", count, missing);
    assert_int_equal(missing, 0);
}

static void test_profiles_and_times(void **st)
{
    (void)st;
    ValueProfile p;
    char why[128];
    assert_int_equal(profile_parse("0 10, 100 20, 300 0", 1, &p, why, sizeof why), 0);
    assert_close(profile_eval(&p, -5), 10, 0);
    assert_close(profile_eval(&p, 50), 15, 1e-12);
    assert_close(profile_eval(&p, 200), 10, 1e-12);
    assert_close(profile_eval(&p, 1e4), 0, 0);
    assert_int_equal(profile_parse("0 10, 0 20", 1, &p, why, sizeof why), -1);
    assert_int_equal(profile_parse("12 x", 0, &p, why, sizeof why), -1);
    double t;
    assert_int_equal(time_parse("2024-01-10T08:00:00+08:00", &t), 0);
    assert_close(t, 1704844800.0, 0); /* 2024-01-10T00:00Z */
    assert_int_equal(time_parse("2024-01-10_00:00:00", &t), 0);
    assert_close(t, 1704844800.0, 0);
    assert_int_equal(time_parse("2024-02-29T0130", &t), 0);
    assert_close(t, 1709170200.0, 0);
    assert_int_equal(time_parse("2023-02-29", &t), -1);
    assert_int_equal(time_parse("2024-01-10T25", &t), -1);
    /* offsets of civil time zones only (-12:00 .. +14:00), minutes below 60 */
    assert_int_equal(time_parse("2024-01-10T00:00+25:00", &t), -1);
    assert_int_equal(time_parse("2024-01-10T00:00+08:75", &t), -1);
    assert_int_equal(time_parse("2024-01-10T14:00+14:00", &t), 0);
    assert_close(t, 1704844800.0, 0);
    assert_int_equal(time_parse("2024-01-09T12:00-12:00", &t), 0);
    assert_close(t, 1704844800.0, 0);
    char buf[32];
    time_format(1704844800.0, buf, sizeof buf);
    assert_string_equal(buf, "2024-01-10T00:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_defaults_overrides),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_readme_lists_every_key),
        cmocka_unit_test(test_profiles_and_times),
    };
    return cmocka_run_group_tests_name("configuration", tests, setup, teardown);
}
