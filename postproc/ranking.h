/* Ranking of scenario members against the baseline: ranking.csv and ranking.md (DESIGN 2.4,
 * docs/metrics.md).
 *
 * ranking.csv columns, exactly:
 *   rank,scenario,d_pwm_PM25,d_exceed_days,d_heavy_days,d_mean_PM25_<station>...,d_O3_8h,
 *   emission_cut_t,cost_million_cny,d_pwm_PM25_per_kt,d_pwm_PM25_per_billion_cny
 * d_ = scenario minus baseline (negative is better); d_O3_8h is the change of the mean of the
 * cities' daily MDA8; emission_cut_t = SO2 + NOx + NH3 + VOC + PM25 tonnes removed;
 * _per_kt = d_pwm_PM25 / (cut / 1000 t), _per_billion_cny = d_pwm_PM25 / (cost / 1000 million
 * CNY), empty when the divisor is 0. */
#ifndef BOGDA_RANKING_H
#define BOGDA_RANKING_H

#include <stdio.h>

#include "err.h"
#include "metrics.h"

typedef struct RankRow {
    int rank;                 /* 1 = best */
    char scenario[64];
    double d_pwm_pm25;        /* ug m-3 */
    int d_exceed_days, d_heavy_days, d_severe_days;
    double *d_station;        /* [nstation] ug m-3 (NAN when either member has none) */
    double d_o3_8h;           /* ug m-3 (NAN when either member has none) */
    double emission_cut_t;    /* t */
    double cut_by_species_t[METRICS_NEMIS];
    double cost_million_cny;
    double per_kt, per_billion_cny; /* NAN when the divisor is 0 (empty in the CSV) */
} RankRow;

typedef struct Ranking {
    int n;                    /* scenario rows, in rank order */
    RankRow *rows;
    int nstation;
    char **station;           /* [nstation] station ids of the d_mean_PM25_ columns */
    char primary[96];         /* the column sorted on */
} Ranking;

/* Column names a ranking can be sorted on: d_pwm_PM25 (default, used when primary is NULL or
 * ""), d_exceed_days, d_heavy_days, d_O3_8h, d_pwm_PM25_per_kt, d_pwm_PM25_per_billion_cny and
 * d_mean_PM25_<station>.  Ascending (most negative first); empty/NAN values sort last; ties
 * are broken by d_pwm_PM25 then by scenario name, so the order never depends on input order. */
#define RANKING_DEFAULT_PRIMARY "d_pwm_PM25"

/* Builds the ranking of scen[0..nscen-1] against base.  Every member must have
 * nstation == nstation_ids (station_pm25 in the order of station_id).  An unknown primary
 * column is BG_ECONFIG naming it; a station count mismatch is BG_EFAIL naming the scenario.
 * On success *r owns its memory (ranking_free). */
int ranking_compute(const MemberMetrics *base, const MemberMetrics *scen, int nscen,
                    const char *const *station_id, int nstation_ids, const char *primary,
                    Ranking *r, BgErr *e);
void ranking_free(Ranking *r);

/* The CSV header (exactly DESIGN 2.4) into buf; returns its length (snprintf semantics). */
int ranking_csv_header(const Ranking *r, char *buf, size_t n);

/* Writes dir/ranking.csv and dir/ranking.md, each to "<name>.tmp" then renamed.  BG_EFAIL
 * names the file on any write error. */
int ranking_write(const Ranking *r, const char *dir, BgErr *e);
/* The ranking.md table (markdown) on an open stream (also what `bogda rank` prints). */
int ranking_print_md(const Ranking *r, FILE *out);
/* A compact table for the terminal (no station columns): what `bogda batch` and `bogda rank`
 * print. */
int ranking_print_terminal(const Ranking *r, FILE *out);

#endif
