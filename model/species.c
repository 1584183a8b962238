#include "species.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Molar gas constant, J mol-1 K-1 (CODATA 2018, exact). */
#define R_GAS 8.314462618

static const char *const columns[] = {
    "name",        "phase",       "molar_mass_g_mol", "transported",      "output_units",
    "henry_m_atm", "henry_temp_K", "f0_reactivity",   "diameter_um",      "cf_standard_name",
    "description"};
enum { NCOL = sizeof columns / sizeof *columns };

/* Splits one CSV record (RFC 4180 quoting, no embedded newlines) in place.  Returns the number
 * of fields, or -1 on an unterminated quote. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max) return max + 1;
        char *out = p;
        f[n++] = out;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p) return -1;
                if (*p == '"') {
                    if (p[1] == '"') { *out++ = '"'; p += 2; continue; }
                    p++;
                    break;
                }
                *out++ = *p++;
            }
            while (*p == ' ' || *p == '\t') p++;
            if (*p && *p != ',') return -1;
        } else {
            while (*p && *p != ',') *out++ = *p++;
        }
        int more = (*p == ',');
        if (*p) p++;
        *out = 0;
        if (!more) return n;
    }
}

static void trim(char *s)
{
    char *a = s;
    while (isspace((unsigned char)*a)) a++;
    size_t n = strlen(a);
    while (n && isspace((unsigned char)a[n - 1])) n--;
    memmove(s, a, n);
    s[n] = 0;
}

static int parse_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(x)) return -1;
    *v = x;
    return 0;
}

static int row_fail(BgErr *e, const char *path, int line, const char *col, const char *val,
                    const char *what)
{
    char item[32];
    snprintf(item, sizeof item, "%d", line);
    return bg_fail(e, BG_EINPUT, path, item, "column %s = '%s': %s", col, val, what);
}

static int parse_row(char **f, Species *s, const char *path, int line, BgErr *e)
{
    memset(s, 0, sizeof *s);
    const char *nm = f[0];
    size_t len = strlen(nm);
    if (!len || len >= SPECIES_NAME_MAX)
        return row_fail(e, path, line, "name", nm, "empty or longer than 15 characters");
    if (!isalpha((unsigned char)nm[0]))
        return row_fail(e, path, line, "name", nm, "must start with a letter");
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)nm[i]) && nm[i] != '_')
            return row_fail(e, path, line, "name", nm, "letters, digits and _ only");
    memcpy(s->name, nm, len + 1);

    if (!strcmp(f[1], "gas")) s->phase = SPECIES_GAS;
    else if (!strcmp(f[1], "aerosol")) s->phase = SPECIES_AEROSOL;
    else return row_fail(e, path, line, "phase", f[1], "expected gas or aerosol");

    double mm;
    if (parse_num(f[2], &mm) || mm <= 0)
        return row_fail(e, path, line, "molar_mass_g_mol", f[2], "expected a positive number");
    s->molar_mass_kg_mol = mm * 1e-3;

    if (!strcmp(f[3], "1")) s->transported = 1;
    else if (!strcmp(f[3], "0")) s->transported = 0;
    else return row_fail(e, path, line, "transported", f[3], "expected 1 or 0");

    if (!strcmp(f[4], "ppb")) s->output_ugm3 = 0;
    else if (!strcmp(f[4], "ugm3")) s->output_ugm3 = 1;
    else return row_fail(e, path, line, "output_units", f[4], "expected ppb or ugm3");

    if (parse_num(f[5], &s->henry_m_atm) || s->henry_m_atm < 0)
        return row_fail(e, path, line, "henry_m_atm", f[5], "expected a number >= 0");
    if (parse_num(f[6], &s->henry_temp_k))
        return row_fail(e, path, line, "henry_temp_K", f[6], "expected a number");
    if (parse_num(f[7], &s->f0) || s->f0 < 0 || s->f0 > 1)
        return row_fail(e, path, line, "f0_reactivity", f[7], "expected a number in [0, 1]");
    if (parse_num(f[8], &s->diameter_um) || s->diameter_um < 0)
        return row_fail(e, path, line, "diameter_um", f[8], "expected a number >= 0");
    if (s->phase == SPECIES_AEROSOL && s->diameter_um <= 0)
        return row_fail(e, path, line, "diameter_um", f[8], "aerosol needs a positive diameter");
    if (s->phase == SPECIES_GAS && s->henry_m_atm <= 0)
        return row_fail(e, path, line, "henry_m_atm", f[5], "a gas needs a positive Henry constant");
    if (strlen(f[9]) >= sizeof s->cf_standard_name)
        return row_fail(e, path, line, "cf_standard_name", f[9], "too long");
    snprintf(s->cf_standard_name, sizeof s->cf_standard_name, "%s", f[9]);
    snprintf(s->description, sizeof s->description, "%s", f[10]);
    return BG_OK;
}

int species_default_path(char *buf, size_t n)
{
    char exe[1024];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
        snprintf(buf, n, "config/species.csv");
        return access(buf, R_OK) ? -1 : 0;
    }
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    static const char *const rel[] = {"/../config/species.csv", "/../../config/species.csv"};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        snprintf(buf, n, "%s%s", exe, rel[i]);
        if (!access(buf, R_OK)) return 0;
    }
    snprintf(buf, n, "%s%s", exe, rel[0]);
    return -1;
}

int species_load(SpeciesTable *t, const char *path, BgErr *e)
{
    memset(t, 0, sizeof *t);
    if (!path || !*path) {
        if (species_default_path(t->path, sizeof t->path))
            return bg_fail(e, BG_EINPUT, t->path, NULL,
                           "species table not found next to the program (set [chemistry] species_table)");
    } else {
        snprintf(t->path, sizeof t->path, "%s", path);
    }
    FILE *fp = fopen(t->path, "r");
    if (!fp) return bg_fail(e, BG_EINPUT, t->path, NULL, "cannot open species table");
    char buf[4096];
    char *f[NCOL + 1];
    int line = 0, cap = 0, rc = BG_OK, header = 0;
    while (fgets(buf, sizeof buf, fp)) {
        line++;
        size_t len = strlen(buf);
        if (len == sizeof buf - 1 && buf[len - 1] != '\n') {
            char item[32];
            snprintf(item, sizeof item, "%d", line);
            rc = bg_fail(e, BG_EINPUT, t->path, item, "line longer than 4095 characters");
            break;
        }
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = 0;
        char *p = buf;
        while (isspace((unsigned char)*p)) p++;
        if (!*p || *p == '#') continue;
        int nf = split_csv(buf, f, NCOL);
        if (nf < 0) {
            char item[32];
            snprintf(item, sizeof item, "%d", line);
            rc = bg_fail(e, BG_EINPUT, t->path, item, "unterminated quote");
            break;
        }
        if (nf != NCOL) {
            char item[32];
            snprintf(item, sizeof item, "%d", line);
            rc = bg_fail(e, BG_EINPUT, t->path, item, "%d columns, expected %d (%s,...,%s)",
                         nf > NCOL ? NCOL + 1 : nf, NCOL, columns[0], columns[NCOL - 1]);
            if (nf > NCOL) snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg), " or more");
            break;
        }
        for (int i = 0; i < NCOL; i++) trim(f[i]);
        if (!header) {
            for (int i = 0; i < NCOL && rc == BG_OK; i++)
                if (strcmp(f[i], columns[i])) {
                    char item[32];
                    snprintf(item, sizeof item, "%d", line);
                    rc = bg_fail(e, BG_EINPUT, t->path, item, "header column %d is '%s', expected '%s'",
                                 i + 1, f[i], columns[i]);
                }
            if (rc) break;
            header = 1;
            continue;
        }
        if (t->n == cap) {
            cap = cap ? 2 * cap : 32;
            Species *ns = realloc(t->s, (size_t)cap * sizeof *ns);
            if (!ns) { rc = bg_fail(e, BG_EFAIL, t->path, NULL, "out of memory"); break; }
            t->s = ns;
        }
        if ((rc = parse_row(f, &t->s[t->n], t->path, line, e))) break;
        if (species_find(t, t->s[t->n].name) >= 0) {
            rc = row_fail(e, t->path, line, "name", t->s[t->n].name, "species listed twice");
            break;
        }
        t->n++;
    }
    fclose(fp);
    if (rc == BG_OK && !header) rc = bg_fail(e, BG_EINPUT, t->path, NULL, "empty species table");
    if (rc == BG_OK && t->n == 0) rc = bg_fail(e, BG_EINPUT, t->path, NULL, "no species rows");
    if (rc) {
        free(t->s);
        t->s = NULL;
        t->n = 0;
    }
    return rc;
}

void species_free(SpeciesTable *t)
{
    if (!t) return;
    free(t->s);
    t->s = NULL;
    t->n = 0;
}

int species_find(const SpeciesTable *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->s[i].name, name)) return i;
    return -1;
}

double species_ppb_to_ugm3(const Species *s, double ppb, double T, double p)
{
    /* ppb * 1e-9 mol/mol * p/(R T) mol m-3 * M kg/mol * 1e9 ug/kg */
    return ppb * s->molar_mass_kg_mol * p / (R_GAS * T);
}

double species_ugm3_to_ppb(const Species *s, double ugm3, double T, double p)
{
    return ugm3 * R_GAS * T / (s->molar_mass_kg_mol * p);
}
