/* `bogda aqi`: the AQI calculator of DESIGN 2.1, on the same code as the city products. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aqi.h"

static const char usage[] =
    "usage: bogda aqi [--rule HJ633-2012|HJ633-2026] POLLUTANT[_AVG]=VALUE ...\n"
    "  IAQI of each concentration, then AQI, level, category, colour and primary pollutant\n"
    "  (HJ 633; exact integer arithmetic after GB/T 8170 rounding of the concentrations).\n"
    "  POLLUTANT  SO2 NO2 CO O3 PM10 PM2.5 (PM25 accepted)\n"
    "  _AVG       _1h, _8h (O3 only) or _24h; default _24h (O3: _8h)\n"
    "  VALUE      ug/m3 (gases at 298.15 K, 1013.25 hPa; PM at ambient conditions), CO in mg/m3\n"
    "  --rule     HJ633-2012 (in force before 2026-03-01) or HJ633-2026; default: the one in\n"
    "             force today (Beijing time)\n"
    "  example: bogda aqi --rule HJ633-2012 PM2.5_24h=76 CO_24h=2.2 O3_8h=120\n";

/* "NAME[_AVG]=VALUE" -> input; errors name the argument. */
static int parse_arg(const char *arg, AqiInput *in, BgErr *e)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return bg_fail(e, BG_ECONFIG, "aqi", arg,
                       "expected POLLUTANT[_AVG]=VALUE (see bogda aqi --help)");
    char name[32];
    size_t nl = (size_t)(eq - arg);
    if (nl >= sizeof name) return bg_fail(e, BG_ECONFIG, "aqi", arg, "unknown pollutant");
    memcpy(name, arg, nl);
    name[nl] = '\0';
    char *us = strrchr(name, '_');
    int has_avg = 0;
    if (us) {
        if (!strcasecmp(us + 1, "1h")) in->avg = AQI_1H;
        else if (!strcasecmp(us + 1, "8h")) in->avg = AQI_8H;
        else if (!strcasecmp(us + 1, "24h")) in->avg = AQI_24H;
        else
            return bg_fail(e, BG_ECONFIG, "aqi", arg,
                           "unknown averaging '%s' (use _1h, _8h for O3, or _24h)", us);
        *us = '\0';
        has_avg = 1;
    }
    if (aqi_pollutant_parse(name, &in->p) != 0)
        return bg_fail(e, BG_ECONFIG, "aqi", arg,
                       "unknown pollutant '%s' (SO2, NO2, CO, O3, PM10, PM2.5 or PM25)", name);
    if (!has_avg) in->avg = in->p == AQI_O3 ? AQI_8H : AQI_24H;
    const char *v = eq + 1;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno == ERANGE || !isfinite(x))
        return bg_fail(e, BG_ECONFIG, "aqi", arg, "'%s' is not a number", v);
    if (x < 0) return bg_fail(e, BG_ECONFIG, "aqi", arg, "a concentration cannot be negative");
    if (x >= 1e12) return bg_fail(e, BG_ECONFIG, "aqi", arg, "concentration too large");
    in->c = x;
    return BG_OK;
}

static void print_units(FILE *out, AqiPollutant p, long long u)
{
    if (aqi_decimals(p)) fprintf(out, "%lld.%lld", u / 10, u % 10);
    else fprintf(out, "%lld", u);
}

int aqi_cli(int argc, char **argv, FILE *out, BgErr *e)
{
    AqiRule rule = aqi_rule_for_time((double)time(NULL));
    AqiInput in[AQI_MAX_INPUTS];
    const char *given[AQI_MAX_INPUTS];
    int argi[AQI_MAX_INPUTS], n = 0;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage, out);
            return BG_OK;
        }
        if (!strcmp(arg, "--rule") || !strncmp(arg, "--rule=", 7)) {
            const char *v = arg[6] == '=' ? arg + 7 : (a + 1 < argc ? argv[++a] : NULL);
            if (!v) return bg_fail(e, BG_ECONFIG, "aqi", "--rule", "needs HJ633-2012 or HJ633-2026");
            if (aqi_rule_parse(v, &rule) != 0)
                return bg_fail(e, BG_ECONFIG, "aqi", "--rule",
                               "unknown rule set '%s' (HJ633-2012 or HJ633-2026)", v);
            continue;
        }
        if (arg[0] == '-' && arg[1] == '-')
            return bg_fail(e, BG_ECONFIG, "aqi", arg, "unknown option (see bogda aqi --help)");
        if (n == AQI_MAX_INPUTS)
            return bg_fail(e, BG_ECONFIG, "aqi", arg, "more than %d concentrations", AQI_MAX_INPUTS);
        BG_TRY(parse_arg(arg, &in[n], e));
        given[n] = strchr(arg, '=') + 1;
        argi[n++] = a;
    }
    if (n == 0)
        return bg_fail(e, BG_ECONFIG, "aqi", NULL,
                       "give at least one POLLUTANT[_AVG]=VALUE (see bogda aqi --help)");
    /* checked here, after --rule is known, so that the message names the argument */
    for (int k = 0; k < n; k++) {
        const char *arg = argv[argi[k]];
        if (!aqi_breakpoints(rule, in[k].p, in[k].avg))
            return bg_fail(e, BG_ECONFIG, "aqi", arg, "%s has no %s %s breakpoints%s",
                           aqi_rule_name(rule), aqi_pollutant_name(in[k].p), aqi_avg_name(in[k].avg),
                           in[k].p == AQI_PM10 || in[k].p == AQI_PM25
                               ? " (HJ 633-2012 rates PM by 24-h means)"
                               : in[k].p == AQI_O3 ? " (O3: _1h or _8h)" : " (use _1h or _24h)");
        for (int m = 0; m < k; m++)
            if (in[m].p == in[k].p && in[m].avg == in[k].avg)
                return bg_fail(e, BG_ECONFIG, "aqi", arg, "%s_%s given twice",
                               aqi_pollutant_name(in[k].p), aqi_avg_name(in[k].avg));
    }
    AqiResult r;
    BG_TRY(aqi_compute(rule, in, n, &r, e));

    fprintf(out, "rule: %s%s\n", aqi_rule_name(rule),
            rule == AQI_HJ633_2012 ? " (in force before 2026-03-01)" : " (in force from 2026-03-01)");
    for (int k = 0; k < n; k++) {
        AqiPollutant p = in[k].p;
        fprintf(out, "IAQI %s_%s: ", aqi_pollutant_name(p), aqi_avg_name(in[k].avg));
        if (r.iaqi[k] >= 0) fprintf(out, "%d", r.iaqi[k]);
        else fprintf(out, "none");
        fprintf(out, " (");
        print_units(out, p, r.units[k]);
        fprintf(out, " %s", aqi_unit(p));
        double back = (double)r.units[k] / (aqi_decimals(p) ? 10.0 : 1.0);
        if (back != in[k].c) fprintf(out, ", %s rounded per GB/T 8170", given[k]);
        fprintf(out, ")");
        if ((p == AQI_PM10 || p == AQI_PM25) && in[k].avg == AQI_1H)
            fprintf(out, " judged on the daily breakpoints (HJ 633-2026)");
        if (r.flags[k] & AQI_F_OVER_SCALE) fprintf(out, " above the top breakpoint: capped at 500");
        if (r.flags[k] & AQI_F_FIXED)
            fprintf(out, " above 800 ug/m3: IAQI fixed at %d by HJ 633-2026", r.iaqi[k]);
        if (r.flags[k] & AQI_F_FALLBACK) {
            int has_alt = 0;
            AqiAvg alt = p == AQI_SO2 ? AQI_24H : AQI_1H;
            for (int m = 0; m < n; m++) has_alt |= in[m].p == p && in[m].avg == alt;
            fprintf(out, " above 800 ug/m3: HJ 633-2012 computes no IAQI from it and reports the %s_%s IAQI%s",
                    aqi_pollutant_name(p), aqi_avg_name(alt), has_alt ? "" : " (not given)");
        }
        fputc('\n', out);
    }
    if (r.aqi < 0) {
        fprintf(out, "AQI = NA (no IAQI could be computed)\n");
        return BG_OK;
    }
    const AqiLevel *lv = aqi_level(r.aqi);
    char buf[128];
    fprintf(out, "AQI = %d\n", r.aqi);
    if (r.over_scale) fprintf(out, "note: beyond the AQI scale (500 is a cap, 爆表)\n");
    fprintf(out, "level: %s\n", lv->roman);
    fprintf(out, "category: %s (%s)\n", lv->category_en, lv->category_zh);
    fprintf(out, "colour: %s (RGB %d,%d,%d)\n", lv->colour, lv->r, lv->g, lv->b);
    aqi_pollutant_list(r.primary, 0, buf, sizeof buf);
    fprintf(out, "primary pollutant: %s\n", buf[0] ? buf : "none (AQI <= 50)");
    if (rule == AQI_HJ633_2012) {
        aqi_pollutant_list(r.nonattain, 0, buf, sizeof buf);
        fprintf(out, "non-attainment pollutants (IAQI > 100): %s\n", buf[0] ? buf : "none");
    }
    return ferror(out) ? bg_fail(e, BG_EFAIL, "aqi", NULL, "cannot write the output") : BG_OK;
}

int aqi_main(int argc, char **argv, BgErr *e)
{
    int rc = aqi_cli(argc, argv, stdout, e);
    if (fflush(stdout) != 0 && rc == BG_OK)
        return bg_fail(e, BG_EFAIL, "aqi", NULL, "cannot write the output");
    return rc;
}
