/* Heavy-pollution weather warnings (docs/warnings.md). */
#include "warnings.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "timeutil.h"

/* One condition "longest run of consecutive samples with AQI > thr (>= thr if ge) lasts >= min_h
 * hours" (min_h = 0: at least one sample).  Conditions with the same (scheme, level, alt) are
 * joined by "and"; different alternatives of a level by "or".
 * Source: validation/standards/warning_schemes.csv and README 3.1:
 *   MEP2017: 环大气〔2017〕86号 grading slides (2017-09-20) [secondary];
 *   MEE2019: 环办大气函〔2018〕875号 / 〔2019〕648号 [secondary]; orange is taken as in the 2019
 *            text (> 200 for >= 72 h); the 2018 text's "one day > 300" is flagged "verify";
 *   MEE2024: 环大气〔2024〕6号 (China News Service 2024-01-26) [secondary]. */
typedef struct {
    WarnScheme scheme;
    WarnLevel level;
    int alt;
    double thr;
    int ge;
    double min_h;
} WarnCond;

static const WarnCond COND[] = {
    /* MEE2024 */
    {WARN_MEE2024, WARN_RED, 0, 200, 0, 72},
    {WARN_MEE2024, WARN_RED, 0, 300, 0, 24},
    {WARN_MEE2024, WARN_ORANGE, 0, 200, 0, 48},
    {WARN_MEE2024, WARN_ORANGE, 1, 150, 0, 72},
    {WARN_MEE2024, WARN_YELLOW, 0, 200, 0, 0},
    {WARN_MEE2024, WARN_YELLOW, 1, 150, 0, 48},
    /* MEE2019 */
    {WARN_MEE2019, WARN_RED, 0, 200, 0, 96},
    {WARN_MEE2019, WARN_RED, 0, 300, 0, 48},
    {WARN_MEE2019, WARN_RED, 1, 500, 1, 0},
    {WARN_MEE2019, WARN_ORANGE, 0, 200, 0, 72},
    {WARN_MEE2019, WARN_YELLOW, 0, 200, 0, 48},
    /* MEP2017 */
    {WARN_MEP2017, WARN_RED, 0, 200, 0, 96},
    {WARN_MEP2017, WARN_RED, 0, 300, 0, 48},
    {WARN_MEP2017, WARN_RED, 1, 500, 1, 0},
    {WARN_MEP2017, WARN_ORANGE, 0, 200, 0, 72},
    {WARN_MEP2017, WARN_ORANGE, 0, 300, 0, 0},
    {WARN_MEP2017, WARN_YELLOW, 0, 200, 0, 48},
    {WARN_MEP2017, WARN_BLUE, 0, 200, 0, 0},
};
#define NCOND ((int)(sizeof COND / sizeof COND[0]))
#define MAX_ALT 2

static const char *const SCHEME_NAME[WARN_NSCHEME] = {"MEE2024", "MEE2019", "MEP2017"};
static const char *const LEVEL_NAME[] = {"none", "blue", "yellow", "orange", "red"};

const char *warn_scheme_name(WarnScheme s)
{
    return (s >= 0 && s < WARN_NSCHEME) ? SCHEME_NAME[s] : NULL;
}

int warn_scheme_parse(const char *s, WarnScheme *out, BgErr *e)
{
    if (!s || !*s) {
        *out = WARN_MEE2024;
        return BG_OK;
    }
    for (int i = 0; i < WARN_NSCHEME; i++)
        if (!strcasecmp(s, SCHEME_NAME[i])) {
            *out = (WarnScheme)i;
            return BG_OK;
        }
    return bg_fail(e, BG_ECONFIG, "warnings", "scheme",
                   "unknown warning scheme '%s' (MEE2024, MEE2019 or MEP2017)", s);
}

const char *warn_level_name(WarnLevel l)
{
    return (l >= WARN_NONE && l <= WARN_RED) ? LEVEL_NAME[l] : "none";
}

int warn_required_cut_percent(WarnLevel l)
{
    /* 环办大气函〔2018〕875号 / 〔2019〕648号: >= 10 / 20 / 30 % of society-wide emissions. */
    switch (l) {
    case WARN_YELLOW: return 10;
    case WARN_ORANGE: return 20;
    case WARN_RED: return 30;
    default: return 0;
    }
}

void warn_region_series(const double *vals, int ncity, int n, WarnRegionAgg agg, double *out)
{
    for (int i = 0; i < n; i++) {
        double s = 0.0, mx = -INFINITY;
        int k = 0;
        for (int c = 0; c < ncity; c++) {
            double v = vals[(size_t)c * n + i];
            if (isnan(v)) continue;
            s += v;
            if (v > mx) mx = v;
            k++;
        }
        out[i] = k == 0 ? NAN : (agg == WARN_REGION_MEAN ? s / k : mx);
    }
}

void warn_format_time(double t, char *buf, int n)
{
    if (isnan(t)) {
        if (n > 0) buf[0] = '\0';
        return;
    }
    char b[32];
    time_strftime(t + 8 * 3600.0, "%Y-%m-%dT%H:%M:%S", b, sizeof b);
    snprintf(buf, (size_t)n, "%s+08:00", b);
}

/* "2024-01-11T00+08:00": the short form of the reason string */
static void short_time(double t, char *buf, int n)
{
    char b[24];
    time_strftime(t + 8 * 3600.0, "%Y-%m-%dT%H", b, sizeof b);
    snprintf(buf, (size_t)n, "%s+08:00", b);
}

static int cond_holds(const WarnCond *c, double v)
{
    return !isnan(v) && (c->ge ? v >= c->thr : v > c->thr);
}

/* Longest run of samples in [i0, i1] meeting c: its length in samples and first index. */
static int longest_run(const WarnCond *c, const double *a, int i0, int i1, int *first)
{
    int best = 0, cur = 0;
    *first = -1;
    for (int i = i0; i <= i1; i++) {
        cur = cond_holds(c, a[i]) ? cur + 1 : 0;
        if (cur > best) {
            best = cur;
            *first = i - cur + 1;
        }
    }
    return best;
}

/* Longest run of samples below the lifting threshold in [i0, i1], in samples. */
static int longest_lift(const double *a, int i0, int i1)
{
    int best = 0, cur = 0;
    for (int i = i0; i <= i1; i++) {
        cur = (!isnan(a[i]) && a[i] < WARN_LIFT_AQI) ? cur + 1 : 0;
        if (cur > best) best = cur;
    }
    return best;
}

/* Level of one run [i0, i1] of samples above the scheme's lowest threshold, evaluated from red
 * down; the reason names the conditions of the first alternative met. */
static WarnLevel run_level(WarnScheme s, const double *a, const double *t, int i0, int i1,
                           double step_s, char *reason, int rn)
{
    double step_h = step_s / 3600.0;
    for (int lv = WARN_RED; lv > WARN_NONE; lv--) {
        for (int alt = 0; alt < MAX_ALT; alt++) {
            int ncond = 0, ok = 1, len = 0;
            char buf[WARN_REASON_LEN];
            buf[0] = '\0';
            for (int k = 0; k < NCOND && ok; k++) {
                const WarnCond *c = &COND[k];
                if (c->scheme != s || (int)c->level != lv || c->alt != alt) continue;
                ncond++;
                int first, runs = longest_run(c, a, i0, i1, &first);
                double h = runs * step_h;
                if (runs == 0 || h < c->min_h) {
                    ok = 0;
                    break;
                }
                char ts[48];
                short_time(t[first] - step_s, ts, sizeof ts);
                len += snprintf(buf + len, (size_t)(len < (int)sizeof buf ? (int)sizeof buf - len : 0),
                                "%sAQI %s %.0f for %.0f h from %s", ncond > 1 ? " and " : "",
                                c->ge ? ">=" : ">", c->thr, h, ts);
                if (len >= (int)sizeof buf) len = (int)sizeof buf - 1;
            }
            if (ncond > 0 && ok) {
                snprintf(reason, (size_t)rn, "%s", buf);
                return (WarnLevel)lv;
            }
        }
    }
    reason[0] = '\0';
    return WARN_NONE;
}

int warn_evaluate(const double *t, const double *aqi, int n, WarnInput kind, WarnScheme scheme,
                  const char *region, double issued, WarnEpisode *ep, int max_ep, int *n_ep,
                  BgErr *e)
{
    const char *reg = region ? region : "";
    *n_ep = 0;
    if (scheme < 0 || scheme >= WARN_NSCHEME)
        return bg_fail(e, BG_ECONFIG, "warnings", reg, "invalid warning scheme %d", (int)scheme);
    if (n <= 0) return BG_OK;
    double step_s = kind == WARN_IN_DAILY ? 86400.0 : 3600.0;
    for (int i = 0; i < n; i++) {
        char ts[32];
        if (!isnan(aqi[i]) && aqi[i] < 0) {
            time_format(t[i], ts, sizeof ts);
            return bg_fail(e, BG_EINPUT, "warnings", reg, "negative AQI %g at %s", aqi[i], ts);
        }
        if (i > 0 && fabs(t[i] - t[i - 1] - step_s) > 1.0) {
            time_format(t[i], ts, sizeof ts);
            return bg_fail(e, BG_EINPUT, "warnings", reg,
                           "times not regular: %s follows the previous value by %g s, expected %g s",
                           ts, t[i] - t[i - 1], step_s);
        }
    }

    double *a = malloc((size_t)n * sizeof *a);
    if (!a) return bg_fail(e, BG_EFAIL, "warnings", reg, "out of memory");
    if (kind == WARN_IN_HOURLY) {
        /* Trailing 24-h mean labelled by its end hour, summed afresh per hour (no running-sum
         * drift); GB 3095 Table 4: a daily mean needs >= 20 valid hourly values. */
        for (int i = 0; i < n; i++) {
            double s = 0.0;
            int k = 0;
            for (int j = i - 23 < 0 ? 0 : i - 23; j <= i; j++)
                if (!isnan(aqi[j])) {
                    s += aqi[j];
                    k++;
                }
            a[i] = k >= 20 ? s / k : NAN;
        }
    } else {
        memcpy(a, aqi, (size_t)n * sizeof *a);
    }

    /* The lowest threshold of the scheme starts a run (150 in MEE2024, 200 otherwise). */
    const WarnCond *base = NULL;
    for (int k = 0; k < NCOND; k++)
        if (COND[k].scheme == scheme && (!base || COND[k].thr < base->thr)) base = &COND[k];

    double step_h = step_s / 3600.0;
    int nep = 0, rc = BG_OK;
    int last_end = -1; /* sample index of the current episode's last sample */
    for (int i = 0; i < n;) {
        if (!cond_holds(base, a[i])) {
            i++;
            continue;
        }
        int i1 = i;
        while (i1 + 1 < n && cond_holds(base, a[i1 + 1])) i1++;
        char reason[WARN_REASON_LEN];
        WarnLevel lv = run_level(scheme, a, t, i, i1, step_s, reason, sizeof reason);
        if (lv != WARN_NONE) {
            double mx = 0.0;
            for (int j = i; j <= i1; j++)
                if (a[j] > mx) mx = a[j];
            int merge = nep > 0 && longest_lift(a, last_end + 1, i - 1) * step_h < WARN_LIFT_HOURS;
            if (merge) {
                WarnEpisode *p = &ep[nep - 1];
                p->nmerged++;
                p->end = t[i1];
                if (mx > p->max_aqi) p->max_aqi = mx;
                if (lv > p->level) {
                    p->level = lv;
                    snprintf(p->reason, sizeof p->reason, "%s", reason);
                }
            } else {
                if (nep >= max_ep) {
                    rc = bg_fail(e, BG_EINPUT, "warnings", reg, "more than %d warning episodes",
                                 max_ep);
                    break;
                }
                WarnEpisode *p = &ep[nep++];
                memset(p, 0, sizeof *p);
                snprintf(p->region, sizeof p->region, "%s", reg);
                p->issued = issued;
                p->scheme = scheme;
                p->level = lv;
                p->start = t[i] - step_s;
                p->end = t[i1];
                p->nmerged = 1;
                p->max_aqi = mx;
                snprintf(p->reason, sizeof p->reason, "%s", reason);
            }
            last_end = i1;
        }
        i = i1 + 1;
    }
    if (rc == BG_OK) {
        /* Lifting: between episodes it held by construction; after the last one, look ahead. */
        for (int k = 0; k < nep; k++) ep[k].lifted = 1;
        if (nep > 0 && longest_lift(a, last_end + 1, n - 1) * step_h < WARN_LIFT_HOURS)
            ep[nep - 1].lifted = 0;
        for (int k = 0; k < nep; k++) {
            WarnEpisode *p = &ep[k];
            p->cut_percent = warn_required_cut_percent(p->level);
            size_t len = strlen(p->reason);
            if (p->nmerged > 1)
                len += (size_t)snprintf(p->reason + len, sizeof p->reason - len,
                                        "; %d episodes merged (gap without AQI < 150 for 36 h)",
                                        p->nmerged);
            if (len < sizeof p->reason && !p->lifted)
                snprintf(p->reason + len, sizeof p->reason - len,
                         "; lifting (AQI < 150 for >= 36 h) not reached in the forecast");
        }
        *n_ep = nep;
    }
    free(a);
    return rc;
}

static void put_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int warn_write_csv(const char *path, const WarnEpisode *ep, int n, BgErr *e)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return bg_fail(e, BG_EFAIL, path, NULL, "path too long");
    FILE *f = fopen(tmp, "w");
    if (!f) return bg_fail(e, BG_EFAIL, tmp, NULL, "cannot create: %s", strerror(errno));
    fputs("region,issued,level,start,end,scheme,reason,required_cut_percent\n", f);
    for (int k = 0; k < n; k++) {
        const WarnEpisode *p = &ep[k];
        char is[40], st[40], en[40];
        warn_format_time(p->issued, is, sizeof is);
        warn_format_time(p->start, st, sizeof st);
        warn_format_time(p->end, en, sizeof en);
        const char *sn = warn_scheme_name(p->scheme);
        put_field(f, p->region);
        fprintf(f, ",%s,%s,%s,%s,%s,", is, warn_level_name(p->level), st, en, sn ? sn : "");
        put_field(f, p->reason);
        fprintf(f, ",%d\n", warn_required_cut_percent(p->level));
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        int er = errno;
        remove(tmp);
        return bg_fail(e, BG_EFAIL, tmp, NULL, "write failed: %s", strerror(er));
    }
    if (rename(tmp, path) != 0) {
        int er = errno;
        remove(tmp);
        return bg_fail(e, BG_EFAIL, path, NULL, "cannot rename %s: %s", tmp, strerror(er));
    }
    return BG_OK;
}
