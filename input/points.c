/* Point-source CSV: parsing, validation, location on the model grid (docs/plumerise.md). */
#include "points.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csvutil.h"

const char *const points_species[POINTS_NSPEC] = {"SO2", "NOx", "NH3", "VOC", "CO",
                                                  "PM25", "PM10", "BC", "OC"};

enum { C_ID, C_NAME, C_LON, C_LAT, C_SECTOR, C_HEIGHT, C_DIAM, C_VEL, C_TEMP, C_EMIS0,
       NCOL = C_EMIS0 + POINTS_NSPEC };

static const char *const header[NCOL] = {
    "id", "name", "lon", "lat", "sector", "height_m", "diameter_m", "velocity_m_s",
    "temperature_k", "SO2", "NOx", "NH3", "VOC", "CO", "PM25", "PM10", "BC", "OC"};

/* Plausible stack parameters: beyond these a value is a unit slip or a typing error, not a
 * stack.  The tallest chimneys in the world are ~420 m (Ekibastuz GRES-2, 419.7 m), the widest
 * cooling-tower-free flues ~15-25 m; exit velocities of power-plant flues are 10-35 m/s and
 * exit temperatures 320-500 K (flares up to ~1300 K).  Limits of issue 3 item 7. */
#define HEIGHT_MAX_M 600.0
#define DIAM_MAX_M 30.0
#define VEL_MAX_M_S 60.0
#define TEMP_MIN_K 200.0
#define TEMP_MAX_K 1500.0
/* 1 t = 1000 kg (SI) */
#define KG_PER_T 1000.0

int points_species_index(const char *name)
{
    for (int s = 0; s < POINTS_NSPEC; s++)
        if (!strcmp(points_species[s], name)) return s;
    return -1;
}

double points_year_seconds(double t)
{
    time_t tt = (time_t)floor(t);
    struct tm tm;
    gmtime_r(&tt, &tm);
    long y = tm.tm_year + 1900L;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; /* Gregorian calendar */
    return (leap ? 366.0 : 365.0) * 86400.0;
}

double points_kg_s(const PointSource *p, int isp, double t)
{
    return p->t_per_yr[isp] * KG_PER_T / points_year_seconds(t);
}

void points_rates(const PointSource *p, double t, double *kg_s)
{
    double sec = points_year_seconds(t);
    for (int s = 0; s < POINTS_NSPEC; s++) kg_s[s] = p->t_per_yr[s] * KG_PER_T / sec;
}

void points_free(PointSet *ps)
{
    if (!ps) return;
    free(ps->src);
    ps->src = NULL;
    ps->n = 0;
}



typedef struct {
    const char *path;
    char where[32];
    BgErr *e;
} Ctx;

static int parse_number(Ctx *c, const char *text, int col, const char *id, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (!*text || *end || errno == ERANGE)
        return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                       "column %s of source '%s': '%s' is not a number", header[col], id, text);
    *out = x;
    return BG_OK;
}

/* lo < x <= hi or lo <= x <= hi; a NaN fails either. */
static int check_range(Ctx *c, double x, int col, const char *id, double lo, int lo_open,
                       double hi, const char *unit)
{
    int ok = (lo_open ? x > lo : x >= lo) && x <= hi;
    if (ok) return BG_OK;
    return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                   "column %s of source '%s': %g %s is not a possible stack (allowed %g %s "
                   "value <= %g %s)", header[col], id, x, unit, lo, lo_open ? "<" : "<=", hi,
                   unit);
}

static int copy_text(Ctx *c, char *dst, size_t n, const char *src, int col, const char *id)
{
    if (strlen(src) >= n)
        return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                       "column %s of source '%s': longer than %zu characters", header[col], id,
                       n - 1);
    strcpy(dst, src);
    return BG_OK;
}

static int check_header(Ctx *c, char *line)
{
    char *f[NCOL];
    int n = csv_split(line, f, NCOL);
    char want[256];
    size_t w = 0;
    for (int k = 0; k < NCOL; k++)
        w += (size_t)snprintf(want + w, sizeof want - w, "%s%s", k ? "," : "", header[k]);
    if (n != NCOL)
        return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                       "header has %d columns, expected the %d of '%s'", n < 0 ? 0 : n, NCOL,
                       want);
    for (int k = 0; k < NCOL; k++)
        if (strcmp(f[k], header[k]))
            return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                           "header column %d is '%s', expected '%s' (header '%s')", k + 1, f[k],
                           header[k], want);
    return BG_OK;
}

static int parse_row(Ctx *c, char *line, const Grid *g, PointSource *p)
{
    char *f[NCOL];
    int n = csv_split(line, f, NCOL);
    if (n < 0)
        return bg_fail(c->e, BG_EINPUT, c->path, c->where, "unterminated quoted field");
    const char *id = n > 0 ? f[C_ID] : "";
    if (n != NCOL)
        return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                       "source '%s': %d columns, expected %d", id, n, NCOL);
    if (!*id) return bg_fail(c->e, BG_EINPUT, c->path, c->where, "column id is empty");
    BG_TRY(copy_text(c, p->id, sizeof p->id, f[C_ID], C_ID, id));
    BG_TRY(copy_text(c, p->name, sizeof p->name, f[C_NAME], C_NAME, id));
    BG_TRY(copy_text(c, p->sector, sizeof p->sector, f[C_SECTOR], C_SECTOR, id));
    if (!*p->sector)
        return bg_fail(c->e, BG_EINPUT, c->path, c->where, "column sector of source '%s' is empty",
                       id);

    BG_TRY(parse_number(c, f[C_LON], C_LON, id, &p->lon));
    BG_TRY(parse_number(c, f[C_LAT], C_LAT, id, &p->lat));
    if (!(p->lon >= -180 && p->lon <= 360))
        return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                       "column lon of source '%s': %g is not a longitude", id, p->lon);
    if (!(p->lat >= -90 && p->lat <= 90))
        return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                       "column lat of source '%s': %g is not a latitude", id, p->lat);

    Stack *s = &p->stack;
    BG_TRY(parse_number(c, f[C_HEIGHT], C_HEIGHT, id, &s->height_m));
    BG_TRY(parse_number(c, f[C_DIAM], C_DIAM, id, &s->diameter_m));
    BG_TRY(parse_number(c, f[C_VEL], C_VEL, id, &s->velocity_m_s));
    BG_TRY(parse_number(c, f[C_TEMP], C_TEMP, id, &s->temperature_k));
    BG_TRY(check_range(c, s->height_m, C_HEIGHT, id, 0, 1, HEIGHT_MAX_M, "m"));
    BG_TRY(check_range(c, s->diameter_m, C_DIAM, id, 0, 1, DIAM_MAX_M, "m"));
    BG_TRY(check_range(c, s->velocity_m_s, C_VEL, id, 0, 0, VEL_MAX_M_S, "m/s"));
    BG_TRY(check_range(c, s->temperature_k, C_TEMP, id, TEMP_MIN_K, 0, TEMP_MAX_K, "K"));

    for (int k = 0; k < POINTS_NSPEC; k++) {
        int col = C_EMIS0 + k;
        double x;
        BG_TRY(parse_number(c, f[col], col, id, &x));
        if (isnan(x))
            return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                           "column %s of source '%s': emission is NaN", header[col], id);
        if (!isfinite(x) || x < 0)
            return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                           "column %s of source '%s': emission %g t/yr is %s", header[col], id,
                           x, x < 0 ? "negative" : "not finite");
        p->t_per_yr[k] = x;
    }

    double fi, fj;
    if (grid_locate(g, p->lon, p->lat, &fi, &fj) != BG_OK)
        return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                       "source '%s' at lon %g, lat %g cannot be placed on the model projection",
                       id, p->lon, p->lat);
    /* a cell owns [i - 1/2, i + 1/2) of the fractional index */
    if (!(fi >= -0.5 && fi < g->nx - 0.5 && fj >= -0.5 && fj < g->ny - 0.5))
        return bg_fail(c->e, BG_EINPUT, c->path, c->where,
                       "source '%s' at lon %g, lat %g is outside the model domain (grid index "
                       "i = %.2f, j = %.2f; the domain is -0.5..%.1f x -0.5..%.1f)",
                       id, p->lon, p->lat, fi, fj, g->nx - 0.5, g->ny - 0.5);
    p->fi = fi;
    p->fj = fj;
    p->i = (int)floor(fi + 0.5);
    p->j = (int)floor(fj + 0.5);
    return BG_OK;
}

static int load(PointSet *ps, FILE *fp, const char *csv, const Grid *g, BgErr *e)
{
    Ctx c = {.path = csv, .e = e};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, have_header = 0, cap_src = 0, rc = BG_OK;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        snprintf(c.where, sizeof c.where, "%d", lineno);
        char *s = line;
        if (lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
            s += 3; /* UTF-8 byte-order mark written by spreadsheet programs */
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (!*csv_trim(s)) continue;
        if (!have_header) {
            if ((rc = check_header(&c, s)) != BG_OK) break;
            have_header = 1;
            continue;
        }
        if (ps->n == cap_src) {
            int nc = cap_src ? 2 * cap_src : 64;
            PointSource *ns = realloc(ps->src, (size_t)nc * sizeof *ns);
            if (!ns) { rc = bg_fail(e, BG_EFAIL, csv, NULL, "out of memory"); break; }
            ps->src = ns;
            cap_src = nc;
        }
        PointSource *p = &ps->src[ps->n];
        memset(p, 0, sizeof *p);
        p->line = lineno;
        if ((rc = parse_row(&c, s, g, p)) != BG_OK) break;
        for (int k = 0; k < ps->n; k++)
            if (!strcmp(ps->src[k].id, p->id)) {
                rc = bg_fail(e, BG_EINPUT, csv, c.where,
                             "column id: source '%s' repeated (first at line %d)", p->id,
                             ps->src[k].line);
                break;
            }
        if (rc != BG_OK) break;
        ps->n++;
    }
    free(line);
    if (rc == BG_OK && ferror(fp)) rc = bg_fail(e, BG_EINPUT, csv, NULL, "cannot read the file");
    if (rc == BG_OK && !have_header)
        rc = bg_fail(e, BG_EINPUT, csv, "1", "empty file: expected the point-source header");
    return rc;
}

int points_load(PointSet *ps, const char *csv, const Grid *g, BgErr *e)
{
    memset(ps, 0, sizeof *ps);
    snprintf(ps->path, sizeof ps->path, "%s", csv);
    FILE *fp = fopen(csv, "r");
    if (!fp) return bg_fail(e, BG_EINPUT, csv, NULL, "cannot open point-source file: %s",
                            strerror(errno));
    int rc = load(ps, fp, csv, g, e);
    fclose(fp);
    if (rc != BG_OK) points_free(ps);
    return rc;
}
