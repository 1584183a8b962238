#include "budget.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

double budget_mass(const State *s, int sp, const double *airm)
{
    const double *q = state_species(s, sp);
    const size_t n = state_ncell(s);
    double sum = 0.0;
    for (size_t c = 0; c < n; c++) sum += q[c] * airm[c];
    return sum * s->spec[sp].molar_mass / BG_M_AIR;
}

static const char header[] =
    "time,species,initial_kg,emission_kg,inflow_kg,outflow_kg,chemistry_kg,drydep_kg,wetdep_kg,"
    "final_kg,imbalance_rel\n";

int budget_init_mem(Budget *b, const State *s, const char *dir, BgErr *e)
{
    memset(b, 0, sizeof *b);
    b->nspec = s->nspec;
    b->acc = calloc((size_t)s->nspec * BUD_NTERMS + 1, sizeof *b->acc);
    if (!b->acc) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    snprintf(b->final_path, sizeof b->final_path, "%s/budget.csv", dir);
    snprintf(b->tmp_path, sizeof b->tmp_path, "%s/budget.csv.tmp", dir);
    return BG_OK;
}

int budget_start_file(Budget *b, BgErr *e)
{
    FILE *f = fopen(b->tmp_path, "w");
    if (!f) return bg_fail(e, BG_EFAIL, b->tmp_path, NULL, "cannot create: %s", strerror(errno));
    fputs(header, f);
    fclose(f);
    return BG_OK;
}

void budget_begin(Budget *b, const State *s, const double *airm)
{
    memset(b->acc, 0, (size_t)b->nspec * BUD_NTERMS * sizeof *b->acc);
    for (int sp = 0; sp < b->nspec; sp++) b->acc[sp * BUD_NTERMS + BUD_INITIAL] = budget_mass(s, sp, airm);
}

int budget_write(Budget *b, const State *s, const double *airm, BgErr *e)
{
    FILE *f = fopen(b->tmp_path, "a");
    if (!f) return bg_fail(e, BG_EFAIL, b->tmp_path, NULL, "cannot append: %s", strerror(errno));
    char ts[32];
    time_format(s->time, ts, sizeof ts);
    for (int sp = 0; sp < b->nspec; sp++) {
        double *a = b->acc + sp * BUD_NTERMS;
        double fin = budget_mass(s, sp, airm);
        double denom = fmax(a[BUD_INITIAL], fin);
        double imb = a[BUD_INITIAL] + a[BUD_EMISSION] + a[BUD_INFLOW] - a[BUD_OUTFLOW] +
                     a[BUD_CHEMISTRY] - a[BUD_DRYDEP] - a[BUD_WETDEP] - fin;
        fprintf(f, "%s,%s,%.10e,%.10e,%.10e,%.10e,%.10e,%.10e,%.10e,%.10e,%.3e\n", ts,
                s->spec[sp].name, a[BUD_INITIAL], a[BUD_EMISSION], a[BUD_INFLOW], a[BUD_OUTFLOW],
                a[BUD_CHEMISTRY], a[BUD_DRYDEP], a[BUD_WETDEP], fin, denom > 0 ? imb / denom : 0.0);
        memset(a, 0, BUD_NTERMS * sizeof *a);
        a[BUD_INITIAL] = fin;
    }
    int bad = ferror(f);
    if (fclose(f) || bad) return bg_fail(e, BG_EFAIL, b->tmp_path, NULL, "write failed");
    return BG_OK;
}

int budget_continue(Budget *b, double t, BgErr *e)
{
    FILE *in = fopen(b->final_path, "r");
    const char *src = b->final_path;
    if (!in) {
        /* the rows of a killed run are in the temporary file; move it aside first */
        char old[1100];
        snprintf(old, sizeof old, "%s.prev", b->tmp_path);
        if (rename(b->tmp_path, old) != 0) return BG_OK;
        in = fopen(old, "r");
        src = old;
        if (!in) return BG_OK;
    }
    FILE *out = fopen(b->tmp_path, "w");
    if (!out) {
        fclose(in);
        return bg_fail(e, BG_EFAIL, b->tmp_path, NULL, "cannot create: %s", strerror(errno));
    }
    fputs(header, out);
    char line[1024];
    int first = 1;
    while (fgets(line, sizeof line, in)) {
        if (first) { first = 0; continue; }
        char ts[64];
        double tl;
        const char *comma = strchr(line, ',');
        if (!comma || comma - line >= (long)sizeof ts) continue;
        snprintf(ts, sizeof ts, "%.*s", (int)(comma - line), line);
        if (time_parse(ts, &tl) == 0 && tl <= t + 0.5) fputs(line, out);
    }
    fclose(in);
    if (src != b->final_path) remove(src);
    else remove(b->final_path);
    if (fclose(out)) return bg_fail(e, BG_EFAIL, b->tmp_path, NULL, "write failed");
    return BG_OK;
}

int budget_finish(Budget *b, BgErr *e)
{
    if (rename(b->tmp_path, b->final_path) != 0)
        return bg_fail(e, BG_EFAIL, b->final_path, NULL, "cannot rename from %s: %s", b->tmp_path,
                       strerror(errno));
    return BG_OK;
}

void budget_free(Budget *b)
{
    if (!b) return;
    free(b->acc);
    b->acc = NULL;
}
