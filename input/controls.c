#include "controls.h"

#include <ctype.h>
#include <math.h>
#include <netcdf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "timeutil.h"

#define DEG (M_PI / 180.0)
#define CIRCLE_SUB 16 /* sub-samples per cell side where a circle's edge crosses a cell */

static int fail_why(char *why, size_t n, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_why(char *why, size_t n, int code, const char *fmt, ...)
{
    if (why && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return code;
}

void region_free(Region *r)
{
    if (!r) return;
    free(r->frac);
    memset(r, 0, sizeof *r);
}

/* ---- geometry ----------------------------------------------------------------------------- */

/* Shifts a longitude by whole turns to within 180 degrees of ref, so that polygons, circles and
 * cells are compared on one branch of the longitude. */
static double lon_near(double lon, double ref)
{
    while (lon - ref > 180.0) lon -= 360.0;
    while (lon - ref < -180.0) lon += 360.0;
    return lon;
}

/* Great-circle distance (haversine, numerically safe at small distances) on WRF's sphere. */
static double gc_dist_m(double lon1, double lat1, double lon2, double lat2)
{
    double s1 = sin(0.5 * (lat2 - lat1) * DEG), s2 = sin(0.5 * (lon2 - lon1) * DEG);
    double a = s1 * s1 + cos(lat1 * DEG) * cos(lat2 * DEG) * s2 * s2;
    if (a > 1.0) a = 1.0;
    return 2.0 * BG_EARTH_RADIUS_M * asin(sqrt(a));
}

static double shoelace(const double *x, const double *y, int n)
{
    double s = 0;
    for (int k = 0; k < n; k++) {
        int l = (k + 1) % n;
        s += x[k] * y[l] - x[l] * y[k];
    }
    return 0.5 * s;
}

/* Sutherland-Hodgman: the subject polygon (any simple polygon, convex or not) clipped by one
 * edge (ax,ay)->(bx,by) of a counter-clockwise convex window.  For a concave subject the result
 * may carry degenerate edges along the window boundary; they enclose no area, so the signed
 * area of the result is still the area of the intersection. */
static int clip_edge(const double *ix, const double *iy, int n, double ax, double ay, double bx,
                     double by, double *ox, double *oy)
{
    int m = 0;
    if (n == 0) return 0;
    double ex = bx - ax, ey = by - ay;
    double px = ix[n - 1], py = iy[n - 1];
    double sp = ex * (py - ay) - ey * (px - ax);
    for (int k = 0; k < n; k++) {
        double cx = ix[k], cy = iy[k];
        double sc = ex * (cy - ay) - ey * (cx - ax);
        if ((sc >= 0) != (sp >= 0)) {
            double u = sp / (sp - sc);
            ox[m] = px + u * (cx - px);
            oy[m] = py + u * (cy - py);
            m++;
        }
        if (sc >= 0) {
            ox[m] = cx;
            oy[m] = cy;
            m++;
        }
        px = cx;
        py = cy;
        sp = sc;
    }
    return m;
}

static int point_in_polygon(double x, double y, const double *px, const double *py, int n)
{
    int in = 0;
    for (int k = 0, l = n - 1; k < n; l = k++) {
        if ((py[k] > y) != (py[l] > y) &&
            x < (px[l] - px[k]) * (y - py[k]) / (py[l] - py[k]) + px[k])
            in = !in;
    }
    return in;
}

/* Corners (SW, SE, NE, NW) of cell c in lon/lat, longitudes near ref; 0 if the grid has none. */
static int cell_corners(const Grid *g, size_t c, double ref, double *x, double *y)
{
    if (!g->lon_bnds || !g->lat_bnds) return 0;
    for (int k = 0; k < 4; k++) {
        x[k] = lon_near(g->lon_bnds[c * 4 + k], ref);
        y[k] = g->lat_bnds[c * 4 + k];
    }
    return 1;
}

static int parse_numbers(const char *s, double *v, int max, const char **end)
{
    int n = 0;
    const char *p = s;
    while (n < max) {
        while (isspace((unsigned char)*p)) p++;
        char *e;
        double x = strtod(p, &e);
        if (e == p) break;
        v[n++] = x;
        p = e;
    }
    while (isspace((unsigned char)*p)) p++;
    *end = p;
    return n;
}

static int region_polygon(Region *r, const char *value, const Grid *g, double ref, char *why,
                          size_t n)
{
    int cap = 16, nv = 0;
    double *px = malloc(cap * sizeof *px), *py = malloc(cap * sizeof *py);
    int rc = BG_OK;
    if (!px || !py) { rc = fail_why(why, n, BG_EFAIL, "out of memory"); goto done; }
    const char *p = value;
    for (;;) {
        double v[3];
        const char *end;
        int k = parse_numbers(p, v, 3, &end);
        if (k != 2 || (*end && *end != ',')) {
            rc = fail_why(why, n, BG_ECONFIG, "region '%s': polygon vertex %d is not 'lon lat' "
                          "(expected 'lon lat, lon lat, ...')", r->name, nv + 1);
            goto done;
        }
        if (!isfinite(v[0]) || !isfinite(v[1]) || fabs(v[1]) > 90.0 || fabs(v[0]) > 360.0) {
            rc = fail_why(why, n, BG_ECONFIG, "region '%s': polygon vertex %d (%g %g) is not a "
                          "longitude and latitude in degrees", r->name, nv + 1, v[0], v[1]);
            goto done;
        }
        if (nv == cap) {
            cap *= 2;
            double *nx_ = realloc(px, cap * sizeof *px);
            if (nx_) px = nx_;
            double *ny_ = realloc(py, cap * sizeof *py);
            if (ny_) py = ny_;
            if (!nx_ || !ny_) { rc = fail_why(why, n, BG_EFAIL, "out of memory"); goto done; }
        }
        px[nv] = lon_near(v[0], ref);
        py[nv] = v[1];
        nv++;
        if (!*end) break;
        p = end + 1;
    }
    if (nv > 3 && px[0] == px[nv - 1] && py[0] == py[nv - 1]) nv--; /* closing vertex */
    if (nv < 3 || fabs(shoelace(px, py, nv)) <= 0) {
        rc = fail_why(why, n, BG_ECONFIG, "region '%s': a polygon needs at least 3 vertices "
                      "enclosing an area", r->name);
        goto done;
    }
    double bx0 = px[0], bx1 = px[0], by0 = py[0], by1 = py[0];
    for (int k = 1; k < nv; k++) {
        bx0 = fmin(bx0, px[k]); bx1 = fmax(bx1, px[k]);
        by0 = fmin(by0, py[k]); by1 = fmax(by1, py[k]);
    }
    /* clipping buffers: one half-plane turns an n-gon into at most n + c vertices with c <= n/2
       excursions outside, so after the 4 window edges at most 1.5^4 nv < 8 nv + 8 */
    size_t bcap = 8 * (size_t)nv + 8;
    double *wx = malloc(4 * bcap * sizeof *wx);
    if (!wx) { rc = fail_why(why, n, BG_EFAIL, "out of memory"); goto done; }
    double *wy = wx + bcap, *vx = wx + 2 * bcap, *vy = wx + 3 * bcap;
    size_t ncell = (size_t)g->nx * g->ny;
    for (size_t c = 0; c < ncell; c++) {
        double qx[4], qy[4];
        if (!cell_corners(g, c, ref, qx, qy)) {
            r->frac[c] = point_in_polygon(lon_near(g->lon[c], ref), g->lat[c], px, py, nv);
            continue;
        }
        double cx0 = fmin(fmin(qx[0], qx[1]), fmin(qx[2], qx[3]));
        double cx1 = fmax(fmax(qx[0], qx[1]), fmax(qx[2], qx[3]));
        double cy0 = fmin(fmin(qy[0], qy[1]), fmin(qy[2], qy[3]));
        double cy1 = fmax(fmax(qy[0], qy[1]), fmax(qy[2], qy[3]));
        if (cx1 <= bx0 || cx0 >= bx1 || cy1 <= by0 || cy0 >= by1) { r->frac[c] = 0; continue; }
        /* coordinates relative to the cell's first corner: the shoelace sums then cancel no
           large terms (absolute longitudes would cost 1e-10 relative) */
        double ox = qx[0], oy = qy[0];
        for (int k = 0; k < 4; k++) {
            qx[k] -= ox;
            qy[k] -= oy;
        }
        double qa = shoelace(qx, qy, 4);
        if (qa < 0) { /* make the window counter-clockwise */
            double t;
            t = qx[1]; qx[1] = qx[3]; qx[3] = t;
            t = qy[1]; qy[1] = qy[3]; qy[3] = t;
            qa = -qa;
        }
        if (!(qa > 0)) { r->frac[c] = 0; continue; }
        int m = nv;
        for (int k = 0; k < nv; k++) {
            vx[k] = px[k] - ox;
            vy[k] = py[k] - oy;
        }
        for (int k = 0; k < 4 && m > 0; k++) {
            int l = (k + 1) % 4;
            m = clip_edge(vx, vy, m, qx[k], qy[k], qx[l], qy[l], wx, wy);
            memcpy(vx, wx, m * sizeof *vx);
            memcpy(vy, wy, m * sizeof *vy);
        }
        double f = m >= 3 ? fabs(shoelace(vx, vy, m)) / qa : 0.0;
        /* round-off of the clipping: a cell covered to 1e-12 is covered */
        r->frac[c] = f > 1.0 - 1e-12 ? 1.0 : f < 1e-12 ? 0.0 : f;
    }
    free(wx);
done:
    free(px);
    free(py);
    return rc;
}

static int region_circle(Region *r, const char *value, const Grid *g, double ref, char *why,
                         size_t n)
{
    double v[4];
    const char *end;
    int k = parse_numbers(value, v, 4, &end);
    if (k != 3 || *end)
        return fail_why(why, n, BG_ECONFIG, "region '%s': circle must be 'lon lat radius_km'",
                        r->name);
    if (!isfinite(v[0]) || !isfinite(v[1]) || fabs(v[1]) > 90.0 || fabs(v[0]) > 360.0)
        return fail_why(why, n, BG_ECONFIG, "region '%s': circle centre (%g %g) is not a "
                        "longitude and latitude in degrees", r->name, v[0], v[1]);
    if (!(v[2] > 0) || !isfinite(v[2]))
        return fail_why(why, n, BG_ECONFIG, "region '%s': circle radius must be > 0 km (%g)",
                        r->name, v[2]);
    double lon0 = lon_near(v[0], ref), lat0 = v[1], rad = v[2] * 1000.0;
    size_t ncell = (size_t)g->nx * g->ny, nearest = 0;
    double dmin = INFINITY, hdmin = 0;
    for (size_t c = 0; c < ncell; c++) {
        double clon = lon_near(g->lon[c], ref), clat = g->lat[c];
        double d = gc_dist_m(clon, clat, lon0, lat0);
        double qx[4], qy[4];
        if (!cell_corners(g, c, ref, qx, qy)) {
            r->frac[c] = d <= rad;
            if (d < dmin) { dmin = d; nearest = c; hdmin = 0; }
            continue;
        }
        double hd = 0;
        for (int q = 0; q < 4; q++) hd = fmax(hd, gc_dist_m(clon, clat, qx[q], qy[q]));
        if (d < dmin) { dmin = d; nearest = c; hdmin = hd; }
        if (d + hd <= rad) { r->frac[c] = 1.0; continue; }
        if (d - hd >= rad) { r->frac[c] = 0.0; continue; }
        int in = 0;
        for (int a = 0; a < CIRCLE_SUB; a++) {
            double vv = (a + 0.5) / CIRCLE_SUB;
            for (int b = 0; b < CIRCLE_SUB; b++) {
                double u = (b + 0.5) / CIRCLE_SUB;
                /* bilinear in the corners SW, SE, NE, NW */
                double x = (1 - u) * (1 - vv) * qx[0] + u * (1 - vv) * qx[1] + u * vv * qx[2] +
                           (1 - u) * vv * qx[3];
                double y = (1 - u) * (1 - vv) * qy[0] + u * (1 - vv) * qy[1] + u * vv * qy[2] +
                           (1 - u) * vv * qy[3];
                in += gc_dist_m(x, y, lon0, lat0) <= rad;
            }
        }
        r->frac[c] = (double)in / (CIRCLE_SUB * CIRCLE_SUB);
    }
    /* a circle narrower than the sub-sample spacing can fall between samples: give the cell
       holding its centre the circle's share of its area */
    int any = 0;
    for (size_t c = 0; c < ncell && !any; c++) any = r->frac[c] > 0;
    if (!any && hdmin > 0 && dmin <= hdmin) {
        double a = M_PI * rad * rad / (g->area ? g->area[nearest] : g->dx * g->dy);
        r->frac[nearest] = a < 1.0 ? a : 1.0;
    }
    return BG_OK;
}

static int region_mask(Region *r, const char *value, const Grid *g, char *why, size_t n)
{
    char path[1024], var[NC_MAX_NAME + 1], what[300];
    snprintf(what, sizeof what, "mask of region '%s'", r->name);
    BgErr e = {0};
    if (grid_read_field2d(g, value, what, r->frac, NULL, path, sizeof path, var, sizeof var, &e))
        return fail_why(why, n, e.code, "%s", e.msg);
    size_t ncell = (size_t)g->nx * g->ny;
    for (size_t c = 0; c < ncell; c++) {
        double x = r->frac[c];
        /* 1e-9: masks written in single precision round 1 and 0 within this */
        if (!isfinite(x) || x < -1e-9 || x > 1.0 + 1e-9)
            return fail_why(why, n, BG_EINPUT, "%s:%s: value %g at (y %zu, x %zu) is outside [0, 1]", path, var, x,
                            c / (size_t)g->nx, c % (size_t)g->nx);
        r->frac[c] = x < 0 ? 0 : x > 1 ? 1 : x;
    }
    return BG_OK;
}

int region_parse(Region *r, const char *name, const char *kind, const char *value, const Grid *g,
                 char *why, size_t n)
{
    memset(r, 0, sizeof *r);
    if (!name || !*name || strlen(name) >= BG_REGION_NAME_MAX)
        return fail_why(why, n, BG_ECONFIG, "region name empty or longer than %d characters",
                        BG_REGION_NAME_MAX - 1);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->nx = g->nx;
    r->ny = g->ny;
    size_t ncell = (size_t)g->nx * g->ny;
    r->frac = calloc(ncell, sizeof *r->frac);
    if (!r->frac) return fail_why(why, n, BG_EFAIL, "out of memory");
    double ref = g->lon[(size_t)(g->ny / 2) * g->nx + g->nx / 2];
    int rc;
    if (!kind || !value)
        rc = fail_why(why, n, BG_ECONFIG, "region '%s' needs polygon, circle or mask", name);
    else if (strcmp(kind, "polygon") == 0)
        rc = region_polygon(r, value, g, ref, why, n);
    else if (strcmp(kind, "circle") == 0)
        rc = region_circle(r, value, g, ref, why, n);
    else if (strcmp(kind, "mask") == 0)
        rc = region_mask(r, value, g, why, n);
    else
        rc = fail_why(why, n, BG_ECONFIG, "region '%s': unknown kind '%s' (polygon, circle or "
                      "mask)", name, kind);
    if (rc == BG_OK) {
        for (size_t c = 0; c < ncell; c++) {
            if (r->frac[c] > 0) r->ncells++;
            r->area_m2 += r->frac[c] * (g->area ? g->area[c] : g->dx * g->dy);
        }
        if (r->ncells == 0)
            rc = fail_why(why, n, BG_ECONFIG, "region '%s' lies entirely outside the model "
                          "domain", name);
    }
    if (rc != BG_OK) {
        char keep[BG_REGION_NAME_MAX];
        memcpy(keep, r->name, sizeof keep);
        region_free(r);
        memcpy(r->name, keep, sizeof keep);
    }
    return rc;
}

/* ---- control lines ------------------------------------------------------------------------ */

/* '*' and '?' glob, ASCII case-insensitive (iterative with one backtrack point). */
static int glob_match(const char *pat, const char *s)
{
    const char *star = NULL, *ss = NULL;
    while (*s) {
        if (*pat == '*') { star = pat++; ss = s; continue; }
        if (*pat == '?' || (*pat && tolower((unsigned char)*pat) == tolower((unsigned char)*s))) {
            pat++;
            s++;
            continue;
        }
        if (star) { pat = star + 1; s = ++ss; continue; }
        return 0;
    }
    while (*pat == '*') pat++;
    return *pat == '\0';
}

static void list_names(char *buf, size_t n, const char *const *names, int k)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < k && used + 1 < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
    if (used >= n && n > 4) memcpy(buf + n - 4, "...", 4);
}

/* Marks names matching a comma list of patterns; every element must match something. */
static int match_list(const char *list, const char *const *names, int k, unsigned char *mark,
                      int species, const char *what, char *why, size_t n)
{
    char buf[256];
    if (strlen(list) >= sizeof buf)
        return fail_why(why, n, BG_ECONFIG, "%s list too long", what);
    strcpy(buf, list);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int hit = 0;
        const char *pat = tok;
        if (species && strcasecmp(tok, "PM2.5") == 0) pat = "PM25";
        for (int i = 0; i < k; i++)
            if (glob_match(pat, names[i])) { mark[i] = 1; hit = 1; }
        if (!hit && species && strcasecmp(tok, "PM") == 0) {
            /* DESIGN 2.2: the group PM = PM25, PM10, BC, OC (those in the inventory) */
            static const char *const group[] = {"PM25", "PM10", "BC", "OC"};
            for (int gi = 0; gi < 4; gi++)
                for (int i = 0; i < k; i++)
                    if (strcasecmp(group[gi], names[i]) == 0) { mark[i] = 1; hit = 1; }
            if (!hit)
                return fail_why(why, n, BG_ECONFIG, "species group 'PM' matches no inventory "
                                "species (none of PM25, PM10, BC, OC)");
        }
        if (!hit) {
            char have[200];
            list_names(have, sizeof have, names, k);
            return fail_why(why, n, BG_ECONFIG, "%s '%s' matches no %s (have: %s)", what, tok,
                            species ? "inventory species" : "inventory sector", have);
        }
    }
    return BG_OK;
}

/* ISO-8601 duration PnW or P[nD][T[nH][nM][nS]] in seconds; years and months are refused
 * because their length depends on the date. */
static int parse_duration(const char *s, double *sec)
{
    if (*s != 'P' && *s != 'p') return -1;
    s++;
    int in_time = 0, any = 0;
    double tot = 0;
    while (*s) {
        if (*s == 'T' || *s == 't') { in_time = 1; s++; continue; }
        char *e;
        double v = strtod(s, &e);
        if (e == s || !isfinite(v) || v < 0) return -1;
        char u = (char)toupper((unsigned char)*e);
        if (!in_time && u == 'W') tot += v * 7 * 86400.0;
        else if (!in_time && u == 'D') tot += v * 86400.0;
        else if (in_time && u == 'H') tot += v * 3600.0;
        else if (in_time && u == 'M') tot += v * 60.0;
        else if (in_time && u == 'S') tot += v;
        else return u == 'Y' || (u == 'M' && !in_time) ? -2 : -1;
        s = e + 1;
        any = 1;
    }
    if (!any) return -1;
    *sec = tot;
    return 0;
}

void control_free(Control *c)
{
    if (!c) return;
    free(c->sec);
    free(c->spec);
    memset(c, 0, sizeof *c);
}

int control_parse(Control *c, const char *line, const char *const *sectors, int nsec,
                  const char *const *species, int nspec, const Region *regions, int nreg,
                  char *why, size_t n)
{
    memset(c, 0, sizeof *c);
    c->t0 = -INFINITY;
    c->t1 = INFINITY;
    c->region = -1;
    if (!line) return fail_why(why, n, BG_ECONFIG, "empty control line");
    /* "SO2, NOx" is one list: drop blanks around commas before splitting at blanks */
    char buf[512];
    size_t m = 0;
    for (const char *p = line; *p && m + 1 < sizeof buf; p++) {
        if (isspace((unsigned char)*p)) {
            const char *q = p;
            while (isspace((unsigned char)*q)) q++;
            if (*q == ',' || (m > 0 && buf[m - 1] == ',')) { p = q - 1; continue; }
        }
        buf[m++] = *p;
    }
    buf[m] = '\0';
    if (strlen(line) >= sizeof buf) return fail_why(why, n, BG_ECONFIG, "control line too long");
    char *tok[7];
    int nt = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
        if (nt < 6) tok[nt] = t;
        nt++;
    }
    if (nt < 4 || nt > 5)
        return fail_why(why, n, BG_ECONFIG, "a control is 'SECTOR SPECIES REGION FACTOR "
                        "[START/END]', found %d field%s", nt, nt == 1 ? "" : "s");
    snprintf(c->text, sizeof c->text, "%s", line);
    c->nsec = nsec;
    c->nspec = nspec;
    c->sec = calloc(nsec > 0 ? nsec : 1, 1);
    c->spec = calloc(nspec > 0 ? nspec : 1, 1);
    int rc = BG_OK;
    if (!c->sec || !c->spec) { rc = fail_why(why, n, BG_EFAIL, "out of memory"); goto bad; }
    if ((rc = match_list(tok[0], sectors, nsec, c->sec, 0, "sector", why, n)) != BG_OK) goto bad;
    if ((rc = match_list(tok[1], species, nspec, c->spec, 1, "species", why, n)) != BG_OK)
        goto bad;
    if (strcmp(tok[2], "*") != 0) {
        for (int r = 0; r < nreg; r++)
            if (strcasecmp(tok[2], regions[r].name) == 0) { c->region = r; break; }
        if (c->region < 0) {
            char have[200] = "none";
            const char *nm[64];
            int k = 0;
            for (; k < nreg && k < 64; k++) nm[k] = regions[k].name;
            if (k) list_names(have, sizeof have, nm, k);
            rc = fail_why(why, n, BG_ECONFIG, "region '%s' is not defined (defined: %s)", tok[2],
                          have);
            goto bad;
        }
    }
    char *end;
    c->factor = strtod(tok[3], &end);
    if (*end || end == tok[3] || !isfinite(c->factor) || c->factor < 0) {
        rc = fail_why(why, n, BG_ECONFIG, "factor '%s' is not a number >= 0", tok[3]);
        goto bad;
    }
    if (nt == 5) {
        char *slash = strchr(tok[4], '/');
        if (!slash) {
            rc = fail_why(why, n, BG_ECONFIG, "time window '%s' is not START/END (ISO-8601)",
                          tok[4]);
            goto bad;
        }
        *slash = '\0';
        if (time_parse(tok[4], &c->t0) != 0) {
            rc = fail_why(why, n, BG_ECONFIG, "window start '%s' is not an ISO-8601 time",
                          tok[4]);
            goto bad;
        }
        double dur;
        int dr = parse_duration(slash + 1, &dur);
        if (dr == 0) {
            c->t1 = c->t0 + dur;
        } else if (dr == -2) {
            rc = fail_why(why, n, BG_ECONFIG, "window duration '%s': years and months have no "
                          "fixed length; give weeks, days or hours", slash + 1);
            goto bad;
        } else if (time_parse(slash + 1, &c->t1) != 0) {
            rc = fail_why(why, n, BG_ECONFIG, "window end '%s' is not an ISO-8601 time or "
                          "duration", slash + 1);
            goto bad;
        }
        if (!(c->t1 > c->t0)) {
            rc = fail_why(why, n, BG_ECONFIG, "time window '%s/%s' ends before it starts",
                          tok[4], slash + 1);
            goto bad;
        }
    }
    return BG_OK;
bad:
    control_free(c);
    return rc;
}

/* ---- control sets ------------------------------------------------------------------------- */

int controlset_init(ControlSet *cs, int nsec, int nspec, const Region *regions, int nreg,
                    int ncell)
{
    memset(cs, 0, sizeof *cs);
    cs->nsec = nsec;
    cs->nspec = nspec;
    cs->ncell = ncell;
    cs->regions = regions;
    cs->nreg = nreg;
    cs->first = calloc((size_t)nsec * nspec + 1, sizeof *cs->first);
    return cs->first ? BG_OK : BG_EFAIL;
}

void controlset_free(ControlSet *cs)
{
    if (!cs) return;
    for (int i = 0; i < cs->n; i++) control_free(&cs->c[i]);
    free(cs->c);
    free(cs->first);
    free(cs->idx);
    memset(cs, 0, sizeof *cs);
}

int controlset_add(ControlSet *cs, Control *c)
{
    if (c->nsec != cs->nsec || c->nspec != cs->nspec || c->region >= cs->nreg) return BG_EFAIL;
    if (cs->n == cs->cap) {
        int cap = cs->cap ? 2 * cs->cap : 8;
        Control *nc = realloc(cs->c, cap * sizeof *nc);
        if (!nc) return BG_EFAIL;
        cs->c = nc;
        cs->cap = cap;
    }
    size_t npair = (size_t)cs->nsec * cs->nspec, nidx = 0;
    for (int l = 0; l < cs->n; l++)
        for (size_t p = 0; p < npair; p++)
            nidx += cs->c[l].sec[p / cs->nspec] && cs->c[l].spec[p % cs->nspec];
    for (size_t p = 0; p < npair; p++) nidx += c->sec[p / cs->nspec] && c->spec[p % cs->nspec];
    int *idx = realloc(cs->idx, (nidx ? nidx : 1) * sizeof *idx);
    if (!idx) return BG_EFAIL;
    cs->idx = idx;
    cs->c[cs->n++] = *c;
    memset(c, 0, sizeof *c);
    /* CSR in line order, so that factors multiply in the order of the configuration */
    size_t k = 0;
    for (size_t p = 0; p < npair; p++) {
        cs->first[p] = (int)k;
        for (int l = 0; l < cs->n; l++)
            if (cs->c[l].sec[p / cs->nspec] && cs->c[l].spec[p % cs->nspec]) cs->idx[k++] = l;
    }
    cs->first[npair] = (int)k;
    return BG_OK;
}

int controlset_parse_lines(ControlSet *cs, const char *const *lines, int nlines,
                           const char *const *sectors, const char *const *species, int *bad,
                           char *why, size_t n)
{
    for (int l = 0; l < nlines; l++) {
        Control c;
        int rc = control_parse(&c, lines[l], sectors, cs->nsec, species, cs->nspec, cs->regions,
                               cs->nreg, why, n);
        if (rc == BG_OK && (rc = controlset_add(cs, &c)) != BG_OK) {
            control_free(&c);
            fail_why(why, n, rc, "out of memory");
        }
        if (rc != BG_OK) {
            if (bad) *bad = l;
            return rc;
        }
    }
    return BG_OK;
}

int controlset_factor_field(const ControlSet *cs, int isec, int isp, double t, double *out)
{
    if (!cs) return 1;
    size_t ncell = (size_t)cs->ncell;
    int uniform = 1;
    for (size_t c = 0; c < ncell; c++) out[c] = 1.0;
    size_t p = (size_t)isec * cs->nspec + isp;
    for (int k = cs->first[p]; k < cs->first[p + 1]; k++) {
        const Control *c = &cs->c[cs->idx[k]];
        if (!control_active(c, t)) continue;
        if (c->region < 0) {
            for (size_t i = 0; i < ncell; i++) out[i] *= c->factor;
        } else {
            uniform = 0;
            for (size_t i = 0; i < ncell; i++) out[i] *= control_cell_factor(c, cs->regions, i);
        }
    }
    return uniform;
}

double controlset_factor_at(const ControlSet *cs, int isec, int isp, double t, size_t cell)
{
    if (!cs) return 1.0;
    double f = 1.0;
    size_t p = (size_t)isec * cs->nspec + isp;
    for (int k = cs->first[p]; k < cs->first[p + 1]; k++) {
        const Control *c = &cs->c[cs->idx[k]];
        if (control_active(c, t)) f *= control_cell_factor(c, cs->regions, cell);
    }
    return f;
}

double controlset_next_change(const ControlSet *cs, double t)
{
    double next = INFINITY;
    if (!cs) return next;
    for (int l = 0; l < cs->n; l++) {
        const Control *c = &cs->c[l];
        if (c->t0 > t && c->t0 < next) next = c->t0;
        if (c->t1 > t && c->t1 < next) next = c->t1;
    }
    return next;
}
