/* Ranking of scenario members against the baseline (see ranking.h, docs/metrics.md). */
#include "ranking.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ranking_free(Ranking *r)
{
    if (!r) return;
    for (int k = 0; k < r->n; k++) free(r->rows[k].d_station);
    free(r->rows);
    for (int s = 0; s < r->nstation; s++) free(r->station[s]);
    free(r->station);
    memset(r, 0, sizeof *r);
}

/* The value of a row in a named column; -2 when the column is unknown. */
static int column_value(const Ranking *r, const RankRow *w, const char *col, double *v)
{
    if (!strcmp(col, "d_pwm_PM25")) *v = w->d_pwm_pm25;
    else if (!strcmp(col, "d_exceed_days")) *v = w->d_exceed_days;
    else if (!strcmp(col, "d_heavy_days")) *v = w->d_heavy_days;
    else if (!strcmp(col, "d_O3_8h")) *v = w->d_o3_8h;
    else if (!strcmp(col, "d_pwm_PM25_per_kt")) *v = w->per_kt;
    else if (!strcmp(col, "d_pwm_PM25_per_billion_cny")) *v = w->per_billion_cny;
    else if (!strncmp(col, "d_mean_PM25_", 12)) {
        for (int s = 0; s < r->nstation; s++)
            if (!strcmp(col + 12, r->station[s])) {
                *v = w->d_station[s];
                return 0;
            }
        return -2;
    } else
        return -2;
    return 0;
}

typedef struct SortItem {
    double key, pwm;
    const char *name;
    int idx;
} SortItem;

static int cmp_item(const void *pa, const void *pb)
{
    const SortItem *a = pa, *b = pb;
    int na = isnan(a->key), nb = isnan(b->key);
    if (na != nb) return na - nb; /* empty values last */
    if (!na && a->key != b->key) return a->key < b->key ? -1 : 1;
    if (a->pwm != b->pwm) return a->pwm < b->pwm ? -1 : 1;
    return strcmp(a->name, b->name);
}

static double diff_or_nan(double a, double b)
{
    return isnan(a) || isnan(b) ? NAN : a - b;
}

int ranking_compute(const MemberMetrics *base, const MemberMetrics *scen, int nscen,
                    const char *const *station_id, int nstation_ids, const char *primary,
                    Ranking *r, BgErr *e)
{
    memset(r, 0, sizeof *r);
    if (!primary || !*primary) primary = RANKING_DEFAULT_PRIMARY;
    snprintf(r->primary, sizeof r->primary, "%s", primary);
    r->station = calloc(nstation_ids > 0 ? (size_t)nstation_ids : 1, sizeof *r->station);
    r->rows = calloc(nscen > 0 ? (size_t)nscen : 1, sizeof *r->rows);
    SortItem *it = calloc(nscen > 0 ? (size_t)nscen : 1, sizeof *it);
    int rc = BG_OK;
    if (!r->station || !r->rows || !it) {
        rc = bg_fail(e, BG_EFAIL, "ranking", NULL, "out of memory");
        goto out;
    }
    for (int s = 0; s < nstation_ids; s++) {
        if (!(r->station[s] = strdup(station_id[s]))) {
            rc = bg_fail(e, BG_EFAIL, "ranking", NULL, "out of memory");
            goto out;
        }
        r->nstation = s + 1;
    }
    static const char *const cols[] = {"d_pwm_PM25", "d_exceed_days", "d_heavy_days", "d_O3_8h",
                                       "d_pwm_PM25_per_kt", "d_pwm_PM25_per_billion_cny"};
    int known = 0;
    for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) known |= !strcmp(primary, cols[c]);
    if (!known && strncmp(primary, "d_mean_PM25_", 12)) {
        rc = bg_fail(e, BG_ECONFIG, "ranking", primary, "unknown ranking column");
        goto out;
    }
    if (!strncmp(primary, "d_mean_PM25_", 12)) {
        int found = 0;
        for (int s = 0; s < nstation_ids; s++) found |= !strcmp(primary + 12, station_id[s]);
        if (!found) {
            rc = bg_fail(e, BG_ECONFIG, "ranking", primary, "unknown ranking column (no such station)");
            goto out;
        }
    }
    const MemberMetrics *members[2] = {base, NULL};
    for (int k = 0; k < nscen; k++) {
        const MemberMetrics *m = &scen[k];
        members[1] = m;
        for (int q = 0; q < 2; q++)
            if (members[q]->nstation != nstation_ids) {
                rc = bg_fail(e, BG_EFAIL, "ranking", members[q]->scenario,
                             "%d station means, expected %d", members[q]->nstation, nstation_ids);
                goto out;
            }
        RankRow *w = &r->rows[k];
        r->n = k + 1;
        snprintf(w->scenario, sizeof w->scenario, "%s", m->scenario);
        w->d_station = calloc(nstation_ids > 0 ? (size_t)nstation_ids : 1, sizeof *w->d_station);
        if (!w->d_station) {
            rc = bg_fail(e, BG_EFAIL, "ranking", NULL, "out of memory");
            goto out;
        }
        w->d_pwm_pm25 = diff_or_nan(m->pwm_pm25, base->pwm_pm25);
        w->d_exceed_days = m->exceed_days - base->exceed_days;
        w->d_heavy_days = m->heavy_days - base->heavy_days;
        w->d_severe_days = m->severe_days - base->severe_days;
        for (int s = 0; s < nstation_ids; s++)
            w->d_station[s] = diff_or_nan(m->station_pm25[s], base->station_pm25[s]);
        w->d_o3_8h = diff_or_nan(m->o3_8h_mean, base->o3_8h_mean);
        for (int s = 0; s < METRICS_NEMIS; s++)
            w->cut_by_species_t[s] = base->emis_t[s] - m->emis_t[s];
        w->emission_cut_t = metrics_emission_cut_t(base, m);
        w->cost_million_cny = m->cost_million_cny;
        /* 1 kt = 1000 t; 1 billion CNY = 1000 million CNY */
        w->per_kt = w->emission_cut_t != 0 ? w->d_pwm_pm25 / (w->emission_cut_t / 1000) : NAN;
        w->per_billion_cny =
            w->cost_million_cny != 0 ? w->d_pwm_pm25 / (w->cost_million_cny / 1000) : NAN;
    }
    for (int k = 0; k < nscen; k++) {
        column_value(r, &r->rows[k], primary, &it[k].key);
        it[k].pwm = isnan(r->rows[k].d_pwm_pm25) ? INFINITY : r->rows[k].d_pwm_pm25;
        it[k].name = r->rows[k].scenario;
        it[k].idx = k;
    }
    qsort(it, (size_t)nscen, sizeof *it, cmp_item);
    RankRow *sorted = malloc((nscen > 0 ? (size_t)nscen : 1) * sizeof *sorted);
    if (!sorted) {
        rc = bg_fail(e, BG_EFAIL, "ranking", NULL, "out of memory");
        goto out;
    }
    for (int k = 0; k < nscen; k++) {
        sorted[k] = r->rows[it[k].idx];
        sorted[k].rank = k + 1;
    }
    free(r->rows);
    r->rows = sorted;
out:
    free(it);
    if (rc) ranking_free(r);
    return rc;
}

int ranking_csv_header(const Ranking *r, char *buf, size_t n)
{
    size_t len = 0;
    int w = snprintf(buf, n, "rank,scenario,d_pwm_PM25,d_exceed_days,d_heavy_days");
    len += (size_t)w;
    for (int s = 0; s < r->nstation; s++) {
        w = snprintf(len < n ? buf + len : NULL, len < n ? n - len : 0, ",d_mean_PM25_%s",
                     r->station[s]);
        len += (size_t)w;
    }
    w = snprintf(len < n ? buf + len : NULL, len < n ? n - len : 0,
                 ",d_O3_8h,emission_cut_t,cost_million_cny,d_pwm_PM25_per_kt,"
                 "d_pwm_PM25_per_billion_cny");
    len += (size_t)w;
    return (int)len;
}

/* A number, or nothing for NAN (an empty CSV field). %.6g keeps the file readable and is
 * deterministic, so rankings from identical members compare byte for byte. */
static void put_num(FILE *f, double v)
{
    if (!isnan(v)) fprintf(f, "%.6g", v);
}

/* RFC 4180 quoting when the name holds a comma or a quote */
static void put_name(FILE *f, const char *s)
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

static void write_csv(const Ranking *r, FILE *f)
{
    int hl = ranking_csv_header(r, NULL, 0);
    char *h = malloc((size_t)hl + 1);
    if (h) {
        ranking_csv_header(r, h, (size_t)hl + 1);
        fprintf(f, "%s\n", h);
        free(h);
    }
    for (int k = 0; k < r->n; k++) {
        const RankRow *w = &r->rows[k];
        fprintf(f, "%d,", w->rank);
        put_name(f, w->scenario);
        fputc(',', f);
        put_num(f, w->d_pwm_pm25);
        fprintf(f, ",%d,%d", w->d_exceed_days, w->d_heavy_days);
        for (int s = 0; s < r->nstation; s++) {
            fputc(',', f);
            put_num(f, w->d_station[s]);
        }
        fputc(',', f);
        put_num(f, w->d_o3_8h);
        fputc(',', f);
        put_num(f, w->emission_cut_t);
        fputc(',', f);
        put_num(f, w->cost_million_cny);
        fputc(',', f);
        put_num(f, w->per_kt);
        fputc(',', f);
        put_num(f, w->per_billion_cny);
        fputc('\n', f);
    }
}

static void md_num(FILE *f, double v, const char *fmt)
{
    fputs(" | ", f);
    if (isnan(v))
        fputs("–", f);
    else
        fprintf(f, fmt, v);
}

int ranking_print_md(const Ranking *r, FILE *f)
{
    fprintf(f, "# Scenario ranking\n\nChanges are scenario minus baseline; negative is better. "
               "Sorted by `%s` (ascending).\nPM2.5 and O3 in ug m-3 (O3: mean of the cities' "
               "daily MDA8), days are city-days (exceedance of the GB 3095 24-h PM2.5 limit in "
               "force on each date; heavy: AQI > 200), cut in tonnes of SO2 + NOx + NH3 + VOC + "
               "PM25, cost in million CNY.\n\n",
            r->primary);
    fputs("| rank | scenario | ΔPWM PM2.5 | Δexceed days | Δheavy days", f);
    for (int s = 0; s < r->nstation; s++) fprintf(f, " | ΔPM2.5 %s", r->station[s]);
    fputs(" | ΔO3 MDA8 | cut (t) | cost (M CNY) | ΔPWM per kt | ΔPWM per bn CNY |\n|---:|---|", f);
    for (int c = 0; c < 8 + r->nstation; c++) fputs("---:|", f);
    fputc('\n', f);
    for (int k = 0; k < r->n; k++) {
        const RankRow *w = &r->rows[k];
        fprintf(f, "| %d | %s", w->rank, w->scenario);
        md_num(f, w->d_pwm_pm25, "%.3f");
        fprintf(f, " | %+d | %+d", w->d_exceed_days, w->d_heavy_days);
        for (int s = 0; s < r->nstation; s++) md_num(f, w->d_station[s], "%.3f");
        md_num(f, w->d_o3_8h, "%.3f");
        md_num(f, w->emission_cut_t, "%.1f");
        md_num(f, w->cost_million_cny, "%.1f");
        md_num(f, w->per_kt, "%.4g");
        md_num(f, w->per_billion_cny, "%.4g");
        fputs(" |\n", f);
    }
    return ferror(f) ? -1 : 0;
}

int ranking_print_terminal(const Ranking *r, FILE *f)
{
    fprintf(f, "\nScenario ranking (scenario - baseline; negative is better; sorted by %s)\n", r->primary);
    fprintf(f, "%4s  %-24s %11s %7s %6s %9s %10s %9s %11s %11s\n", "rank", "scenario", "dPWM PM2.5", "dexceed",
            "dheavy", "dO3 MDA8", "cut (t)", "cost(M)", "dPWM/kt", "dPWM/bnCNY");
    for (int k = 0; k < r->n; k++) {
        const RankRow *w = &r->rows[k];
        char o3[32], pk[32], pb[32];
        snprintf(o3, sizeof o3, isnan(w->d_o3_8h) ? "-" : "%+.2f", w->d_o3_8h);
        snprintf(pk, sizeof pk, isnan(w->per_kt) ? "-" : "%.4g", w->per_kt);
        snprintf(pb, sizeof pb, isnan(w->per_billion_cny) ? "-" : "%.4g", w->per_billion_cny);
        fprintf(f, "%4d  %-24.24s %+11.3f %+7d %+6d %9s %10.1f %9.0f %11s %11s\n", w->rank, w->scenario,
                w->d_pwm_pm25, w->d_exceed_days, w->d_heavy_days, o3, w->emission_cut_t, w->cost_million_cny, pk, pb);
    }
    fprintf(f, "PM2.5 and O3 in ug m-3 (PWM: population-weighted mean), days are city-days, cut in t of\n"
               "SO2 + NOx + NH3 + VOC + PM2.5; ranking.md adds the change at every station.\n");
    return ferror(f) ? -1 : 0;
}

static int write_one(const Ranking *r, const char *dir, const char *name, int md, BgErr *e)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return bg_fail(e, BG_EFAIL, tmp, NULL, "cannot create");
    if (md)
        ranking_print_md(r, f);
    else
        write_csv(r, f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return bg_fail(e, BG_EFAIL, tmp, NULL, "write error");
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        return bg_fail(e, BG_EFAIL, path, NULL, "cannot rename from %s", tmp);
    }
    return BG_OK;
}

int ranking_write(const Ranking *r, const char *dir, BgErr *e)
{
    BG_TRY(write_one(r, dir, "ranking.csv", 0, e));
    return write_one(r, dir, "ranking.md", 1, e);
}
