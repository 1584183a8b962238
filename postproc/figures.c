/* PNG figures with cairo (see figures.h, docs/metrics.md). */
#include "figures.h"

#include <cairo.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aqi.h"
#include "timeutil.h"

/* viridis (matplotlib's default map, van der Walt & Smith 2015, perceptually uniform and
 * readable in greyscale and by colour-blind readers) sampled at 9 equally spaced points */
static const unsigned char VIRIDIS[9][3] = {
    {68, 1, 84},    {71, 44, 122},  {59, 82, 139},  {44, 114, 142}, {33, 145, 140},
    {39, 173, 129}, {94, 201, 98},  {170, 220, 50}, {253, 231, 37}};
/* ColorBrewer RdBu, 11 classes (Brewer, colorbrewer2.org), reversed: blue = decrease */
static const unsigned char RDBU[11][3] = {
    {5, 48, 97},    {33, 102, 172}, {67, 147, 195}, {146, 197, 222}, {209, 229, 240},
    {247, 247, 247}, {253, 219, 199}, {244, 165, 130}, {214, 96, 77}, {178, 24, 43},
    {103, 0, 31}};

void fig_colour(double v, double vmin, double vmax, int diverging, double rgb[3])
{
    if (isnan(v)) {
        rgb[0] = rgb[1] = rgb[2] = 0.75;
        return;
    }
    double t = vmax > vmin ? (v - vmin) / (vmax - vmin) : 0.5;
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    const unsigned char(*tab)[3] = diverging ? RDBU : VIRIDIS;
    int n = diverging ? 11 : 9;
    double x = t * (n - 1);
    int k = (int)floor(x);
    if (k >= n - 1) k = n - 2;
    double f = x - k;
    for (int c = 0; c < 3; c++) rgb[c] = ((1 - f) * tab[k][c] + f * tab[k + 1][c]) / 255.0;
}

enum { M_LEFT = 20, M_TOP = 44, M_BOTTOM = 20, M_RIGHT = 120, BAR_GAP = 20, BAR_W = 22 };

void fig_map_layout(const FigMapSpec *s, const double *field, int nx, int ny, FigMapLayout *L)
{
    memset(L, 0, sizeof *L);
    L->nx = nx, L->ny = ny;
    L->diverging = s->diverging;
    double aw = s->width - M_LEFT - M_RIGHT, ah = s->height - M_TOP - M_BOTTOM;
    L->cell = fmin(aw / nx, ah / ny);
    L->plot_x0 = M_LEFT + 0.5 * (aw - L->cell * nx);
    L->plot_y0 = M_TOP + 0.5 * (ah - L->cell * ny);
    L->bar_x0 = L->plot_x0 + L->cell * nx + BAR_GAP;
    L->bar_x1 = L->bar_x0 + BAR_W;
    L->bar_y0 = L->plot_y0;
    L->bar_y1 = L->plot_y0 + L->cell * ny;
    L->vmin = s->vmin, L->vmax = s->vmax;
    if (!(s->vmin < s->vmax)) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t n = 0; n < (size_t)nx * ny; n++)
            if (!isnan(field[n])) lo = fmin(lo, field[n]), hi = fmax(hi, field[n]);
        if (!(lo <= hi)) lo = 0, hi = 1;
        if (s->diverging) {
            double a = fmax(fabs(lo), fabs(hi));
            lo = -a, hi = a;
        }
        if (!(lo < hi)) lo -= 0.5, hi += 0.5; /* a constant field still gets a scale */
        L->vmin = lo, L->vmax = hi;
    }
}

void fig_map_pixel(const FigMapLayout *L, double fi, double fj, double *px, double *py)
{
    *px = L->plot_x0 + (fi + 0.5) * L->cell;
    *py = L->plot_y0 + (L->ny - 0.5 - fj) * L->cell;
}

void fig_bar_pixel(const FigMapLayout *L, double v, double *px, double *py)
{
    *px = 0.5 * (L->bar_x0 + L->bar_x1);
    *py = L->bar_y1 - (v - L->vmin) / (L->vmax - L->vmin) * (L->bar_y1 - L->bar_y0);
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double size, double align)
{
    cairo_text_extents_t te;
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &te);
    cairo_move_to(cr, x - align * te.x_advance, y);
    cairo_show_text(cr, s);
}

/* "%.3g" without "-0" */
static void fmt_val(char *b, size_t n, double v)
{
    if (fabs(v) < 5e-13) v = 0;
    snprintf(b, n, "%.3g", v);
}

/* A tick spacing of 1, 2 or 5 times a power of ten giving about n intervals over span */
static double nice_step(double span, int n)
{
    double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static int finish(cairo_surface_t *sf, cairo_t *cr, const char *path, BgErr *e)
{
    int rc = BG_OK;
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        rc = bg_fail(e, BG_EFAIL, path, NULL, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
    cairo_destroy(cr);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (rc == BG_OK) {
        cairo_status_t st = cairo_surface_write_to_png(sf, tmp);
        if (st != CAIRO_STATUS_SUCCESS)
            rc = bg_fail(e, BG_EFAIL, tmp, NULL, "cannot write PNG: %s", cairo_status_to_string(st));
        else if (rename(tmp, path) != 0)
            rc = bg_fail(e, BG_EFAIL, path, NULL, "cannot rename from %s", tmp);
        if (rc) remove(tmp);
    }
    cairo_surface_destroy(sf);
    return rc;
}

static cairo_t *start(int w, int h, cairo_surface_t **sf)
{
    *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(*sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    return cr;
}

int fig_map_png(const char *path, const double *field, int nx, int ny, const FigMarker *m,
                int nm, const FigMapSpec *s, BgErr *e)
{
    if (s->width < 200 || s->height < 150 || s->width > 20000 || s->height > 20000)
        return bg_fail(e, BG_ECONFIG, path, "size", "%d x %d px: need 200..20000 x 150..20000",
                       s->width, s->height);
    if (nx < 1 || ny < 1) return bg_fail(e, BG_ECONFIG, path, "grid", "empty grid %d x %d", nx, ny);
    FigMapLayout L;
    fig_map_layout(s, field, nx, ny, &L);
    cairo_surface_t *sf;
    cairo_t *cr = start(s->width, s->height, &sf);
    double rgb[3];

    /* cells: exact colours, no seams (whole-pixel edges rounded the same way on both sides) */
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            double x0 = round(L.plot_x0 + i * L.cell), x1 = round(L.plot_x0 + (i + 1) * L.cell);
            double y0 = round(L.plot_y0 + (ny - 1 - j) * L.cell);
            double y1 = round(L.plot_y0 + (ny - j) * L.cell);
            fig_colour(field[(size_t)j * nx + i], L.vmin, L.vmax, L.diverging, rgb);
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
            cairo_fill(cr);
        }
    /* colour bar, one pixel row at a time, each row the colour of the value at its centre */
    for (int y = (int)round(L.bar_y0); y < (int)round(L.bar_y1); y++) {
        double v = L.vmax - (y + 0.5 - L.bar_y0) / (L.bar_y1 - L.bar_y0) * (L.vmax - L.vmin);
        fig_colour(v, L.vmin, L.vmax, L.diverging, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, round(L.bar_x0), y, round(L.bar_x1) - round(L.bar_x0), 1);
        cairo_fill(cr);
    }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, L.plot_x0, L.plot_y0, L.cell * nx, L.cell * ny);
    cairo_stroke(cr);
    cairo_rectangle(cr, L.bar_x0, L.bar_y0, L.bar_x1 - L.bar_x0, L.bar_y1 - L.bar_y0);
    cairo_stroke(cr);
    /* ticks at round values on the colour bar */
    char b[64];
    double step = nice_step(L.vmax - L.vmin, 5);
    for (double tv = ceil(L.vmin / step - 1e-9) * step; tv <= L.vmax + 1e-9 * step; tv += step) {
        double v = fabs(tv) < 1e-9 * step ? 0 : tv, px, py;
        fig_bar_pixel(&L, v, &px, &py);
        cairo_move_to(cr, L.bar_x1, py);
        cairo_line_to(cr, L.bar_x1 + 4, py);
        cairo_stroke(cr);
        fmt_val(b, sizeof b, v);
        text_at(cr, L.bar_x1 + 7, py + 4, b, 11, 0);
    }
    if (s->units) text_at(cr, 0.5 * (L.bar_x0 + L.bar_x1), L.bar_y0 - 8, s->units, 11, 0.5);
    /* city markers: a ring readable on any colour, then the name */
    for (int k = 0; k < nm; k++) {
        double px, py;
        fig_map_pixel(&L, m[k].fi, m[k].fj, &px, &py);
        cairo_new_path(cr); /* no line from the previous text's current point */
        cairo_arc(cr, px, py, 4, 0, 2 * M_PI);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
        if (m[k].name) {
            cairo_set_font_size(cr, 11);
            cairo_move_to(cr, px + 6, py - 5);
            cairo_text_path(cr, m[k].name);
            cairo_set_source_rgb(cr, 1, 1, 1);
            cairo_set_line_width(cr, 2.5);
            cairo_stroke_preserve(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_fill(cr);
        }
    }
    if (s->title) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, 0.5 * s->width, 26, s->title, 15, 0.5);
    }
    return finish(sf, cr, path, e);
}

int fig_bars_png(const char *path, const char *const *labels, const double *values, int n,
                 const char *title, const char *xlabel, int width, int height, BgErr *e)
{
    if (width < 200 || height < 150 || width > 20000 || height > 20000)
        return bg_fail(e, BG_ECONFIG, path, "size", "%d x %d px: need 200..20000 x 150..20000",
                       width, height);
    if (n < 1) return bg_fail(e, BG_ECONFIG, path, "bars", "no bars to draw");
    cairo_surface_t *sf;
    cairo_t *cr = start(width, height, &sf);
    /* the label column is as wide as the longest label */
    cairo_set_font_size(cr, 12);
    double lw = 0;
    for (int k = 0; k < n; k++) {
        cairo_text_extents_t te;
        cairo_text_extents(cr, labels[k] ? labels[k] : "", &te);
        lw = fmax(lw, te.x_advance);
    }
    double x0 = fmin(10 + lw + 10, 0.5 * width), x1 = width - 20, y0 = 44, y1 = height - 44;
    double lo = 0, hi = 0;
    for (int k = 0; k < n; k++)
        if (!isnan(values[k])) lo = fmin(lo, values[k]), hi = fmax(hi, values[k]);
    if (lo == hi) hi = 1;
    /* room at both ends for the value labels */
    double span = hi - lo;
    lo -= 0.12 * span * (lo < 0);
    hi += 0.12 * span * (hi > 0);
    double sx = (x1 - x0) / (hi - lo), xz = x0 + (0 - lo) * sx;
    double row = (y1 - y0) / n, bh = 0.7 * row;
    char b[64];
    for (int k = 0; k < n; k++) {
        double yc = y0 + (k + 0.5) * row;
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, x0 - 8, yc + 4, labels[k] ? labels[k] : "", 12, 1);
        if (isnan(values[k])) {
            text_at(cr, xz + 4, yc + 4, "n/a", 11, 0);
            continue;
        }
        double xv = xz + values[k] * sx;
        if (values[k] < 0)
            cairo_set_source_rgb(cr, 33 / 255.0, 102 / 255.0, 172 / 255.0);
        else
            cairo_set_source_rgb(cr, 178 / 255.0, 24 / 255.0, 43 / 255.0);
        cairo_rectangle(cr, fmin(xz, xv), yc - 0.5 * bh, fabs(xv - xz), bh);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        fmt_val(b, sizeof b, values[k]);
        if (values[k] < 0)
            text_at(cr, xv - 4, yc + 4, b, 11, 1);
        else
            text_at(cr, xv + 4, yc + 4, b, 11, 0);
    }
    /* zero line and axis */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, xz, y0 - 4);
    cairo_line_to(cr, xz, y1 + 4);
    cairo_move_to(cr, x0, y1 + 4);
    cairo_line_to(cr, x1, y1 + 4);
    cairo_stroke(cr);
    double step = nice_step(hi - lo, 5);
    for (double tv = ceil(lo / step - 1e-9) * step; tv <= hi + 1e-9 * step; tv += step) {
        double v = fabs(tv) < 1e-9 * step ? 0 : tv, x = x0 + (v - lo) * sx;
        cairo_move_to(cr, x, y1 + 4);
        cairo_line_to(cr, x, y1 + 8);
        cairo_stroke(cr);
        fmt_val(b, sizeof b, v);
        text_at(cr, x, y1 + 20, b, 10, 0.5);
    }
    if (xlabel) text_at(cr, 0.5 * (x0 + x1), height - 8, xlabel, 11, 0.5);
    if (title) text_at(cr, 0.5 * width, 26, title, 15, 0.5);
    return finish(sf, cr, path, e);
}

/* ------------------------------------------------------------ forecast AQI chart ---- */

/* IAQI breakpoints of the level boundaries (HJ 633 Table 5 / 2026 Table 1) */
static const int LEVEL_TOP[6] = {50, 100, 150, 200, 300, 500};

static int check_size(const char *path, int w, int h, int wmin, int hmin, BgErr *e)
{
    if (w < wmin || h < hmin || w > 20000 || h > 20000)
        return bg_fail(e, BG_ECONFIG, path, "size", "%d x %d px: need %d..20000 x %d..20000", w, h,
                       wmin, hmin);
    return BG_OK;
}

enum { AQ_LEFT = 56, AQ_TOP = 44, AQ_RIGHT = 215, AQ_CITY = 96, AQ_DAY = 26 };

void fig_aqi_layout(const FigAqiChart *c, FigAqiLayout *L)
{
    int mx = 0;
    for (int k = 0; k < c->ncity * c->nday; k++)
        if (c->aqi[k] > mx) mx = c->aqi[k];
    /* the axis ends at the first level boundary with room for the value label above the bar */
    L->amax = 500;
    for (int k = 2; k < 6; k++)
        if (mx * 1.12 <= LEVEL_TOP[k]) {
            L->amax = LEVEL_TOP[k];
            break;
        }
    if (mx > 500) L->amax = mx * 1.12;
    L->x0 = AQ_LEFT;
    L->x1 = c->width - AQ_RIGHT;
    L->y0 = AQ_TOP;
    L->y1 = c->height - AQ_CITY - AQ_DAY;
    L->group_w = (L->x1 - L->x0) / (c->nday > 0 ? c->nday : 1);
    /* bars fill 80 % of a group; the rest separates the days */
    L->bar_w = 0.8 * L->group_w / (c->ncity > 0 ? c->ncity : 1);
}

void fig_aqi_bar_rect(const FigAqiLayout *L, int ncity, int city, int day, int aqi, double *x,
                      double *y, double *w, double *h)
{
    double gx = L->x0 + day * L->group_w + 0.1 * L->group_w;
    double a = aqi > 0 ? fmin(aqi, L->amax) : 0;
    (void)ncity;
    *x = round(gx + city * L->bar_w);
    *w = round(gx + (city + 1) * L->bar_w) - *x;
    double top = round(L->y1 - a / L->amax * (L->y1 - L->y0));
    *y = top;
    *h = round(L->y1) - top;
}

static double aqi_y(const FigAqiLayout *L, double a) { return L->y1 - a / L->amax * (L->y1 - L->y0); }

int fig_aqi_chart_png(const char *path, const FigAqiChart *c, BgErr *e)
{
    BG_TRY(check_size(path, c->width, c->height, 300, 200, e));
    if (c->ncity < 1 || c->nday < 1)
        return bg_fail(e, BG_ECONFIG, path, "chart", "no city or no day to draw (%d x %d)", c->ncity, c->nday);
    FigAqiLayout L;
    fig_aqi_layout(c, &L);
    cairo_surface_t *sf;
    cairo_t *cr = start(c->width, c->height, &sf);
    /* level bands: the level colour at 20 % on white, so the bars stand out */
    int lo = 0;
    for (int k = 0; k < 6 && lo < L.amax; k++) {
        const AqiLevel *lv = aqi_level(LEVEL_TOP[k]);
        double hi = fmin(k == 5 ? L.amax : LEVEL_TOP[k], L.amax);
        cairo_set_source_rgb(cr, 0.8 + 0.2 * lv->r / 255.0, 0.8 + 0.2 * lv->g / 255.0, 0.8 + 0.2 * lv->b / 255.0);
        cairo_rectangle(cr, L.x0, aqi_y(&L, hi), L.x1 - L.x0, aqi_y(&L, lo) - aqi_y(&L, hi));
        cairo_fill(cr);
        lo = LEVEL_TOP[k];
    }
    char b[64];
    cairo_set_line_width(cr, 1);
    /* axis ticks at the level boundaries */
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int k = -1; k < 6; k++) {
        int v = k < 0 ? 0 : LEVEL_TOP[k];
        if (v > L.amax) break;
        double y = aqi_y(&L, v);
        cairo_move_to(cr, L.x0 - 4, y);
        cairo_line_to(cr, L.x0, y);
        cairo_stroke(cr);
        snprintf(b, sizeof b, "%d", v);
        text_at(cr, L.x0 - 7, y + 4, b, 10, 1);
    }
    cairo_save(cr);
    cairo_move_to(cr, 16, 0.5 * (L.y0 + L.y1));
    cairo_rotate(cr, -M_PI / 2);
    cairo_set_font_size(cr, 11);
    cairo_text_extents_t te;
    cairo_text_extents(cr, "AQI", &te);
    cairo_rel_move_to(cr, -0.5 * te.x_advance, 0);
    cairo_show_text(cr, "AQI");
    cairo_restore(cr);
    /* bars: exact level colours (no antialiasing on pixel-aligned rectangles) */
    for (int d = 0; d < c->nday; d++)
        for (int ci = 0; ci < c->ncity; ci++) {
            int a = c->aqi[ci * c->nday + d];
            double x, y, w, h;
            fig_aqi_bar_rect(&L, c->ncity, ci, d, a, &x, &y, &w, &h);
            if (a >= 0) {
                const AqiLevel *lv = aqi_level(a);
                cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
                cairo_set_source_rgb(cr, lv->r / 255.0, lv->g / 255.0, lv->b / 255.0);
                cairo_rectangle(cr, x, y, w, h);
                cairo_fill(cr);
                /* a thin dark edge keeps yellow bars visible on the yellow band */
                cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
                cairo_rectangle(cr, x + 0.5, y + 0.5, w - 1, h - 1);
                cairo_stroke(cr);
                cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
                snprintf(b, sizeof b, "%d", a);
            } else {
                snprintf(b, sizeof b, "n/a");
            }
            cairo_set_source_rgb(cr, 0, 0, 0);
            text_at(cr, x + 0.5 * w, y - 3, b, w < 18 ? 8 : 10, 0.5);
            /* the city name, vertical, under its bar */
            cairo_save(cr);
            cairo_set_font_size(cr, fmin(10, fmax(7, w - 2)));
            cairo_text_extents(cr, c->city[ci] ? c->city[ci] : "", &te);
            cairo_move_to(cr, x + 0.5 * w + 0.5 * te.height, L.y1 + 4 + te.x_advance);
            cairo_rotate(cr, -M_PI / 2);
            cairo_show_text(cr, c->city[ci] ? c->city[ci] : "");
            cairo_restore(cr);
        }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, L.x0, L.y0, L.x1 - L.x0, L.y1 - L.y0);
    cairo_stroke(cr);
    for (int d = 0; d < c->nday; d++) {
        double gx = L.x0 + (d + 0.5) * L.group_w;
        text_at(cr, gx, c->height - 10, c->day[d] ? c->day[d] : "", 11, 0.5);
        if (d > 0) {
            cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
            cairo_move_to(cr, L.x0 + d * L.group_w, L.y1);
            cairo_line_to(cr, L.x0 + d * L.group_w, c->height - 24);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
        }
    }
    /* legend: the six levels of HJ 633 with their AQI ranges */
    double lx = L.x1 + 16, ly = L.y0 + 4;
    text_at(cr, lx, ly + 8, "AQI level (HJ 633)", 11, 0);
    for (int k = 0; k < 6; k++) {
        const AqiLevel *lv = aqi_level(LEVEL_TOP[k]);
        double y = ly + 20 + 20 * k;
        cairo_set_source_rgb(cr, lv->r / 255.0, lv->g / 255.0, lv->b / 255.0);
        cairo_rectangle(cr, lx, y, 14, 14);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        cairo_rectangle(cr, lx + 0.5, y + 0.5, 13, 13);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (k < 5) snprintf(b, sizeof b, "%s %d-%d %s", lv->roman, lv->aqi_min, lv->aqi_max, lv->category_en);
        else snprintf(b, sizeof b, "%s >300 %s", lv->roman, lv->category_en);
        text_at(cr, lx + 20, y + 11, b, 10, 0);
    }
    if (c->title) text_at(cr, 0.5 * c->width, 26, c->title, 15, 0.5);
    return finish(sf, cr, path, e);
}

/* ------------------------------------------------- evaluation time series, scatter ---- */

/* "%g"-style tick labels on a 0..top axis with about n intervals */
static void y_axis(cairo_t *cr, double x0, double y0, double y1, double top, int n)
{
    char b[64];
    double step = nice_step(top, n);
    for (double tv = 0; tv <= top * (1 + 1e-9); tv += step) {
        double y = y1 - tv / top * (y1 - y0);
        cairo_move_to(cr, x0 - 4, y);
        cairo_line_to(cr, x0, y);
        cairo_stroke(cr);
        fmt_val(b, sizeof b, tv);
        text_at(cr, x0 - 7, y + 4, b, 10, 1);
    }
}

static void vertical_text(cairo_t *cr, double x, double yc, const char *s, double size)
{
    cairo_text_extents_t te;
    cairo_save(cr);
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &te);
    cairo_move_to(cr, x, yc + 0.5 * te.x_advance);
    cairo_rotate(cr, -M_PI / 2);
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

/* top of a 0-based axis: the largest value plus 5 %, rounded up to a tick */
static double axis_top(double vmax)
{
    if (!(vmax > 0)) return 1;
    double step = nice_step(vmax * 1.05, 5);
    return ceil(vmax * 1.05 / step) * step;
}

int fig_timeseries_png(const char *path, const FigLine *s, int ns, const char *title,
                       const char *ylabel, int width, int height, BgErr *e)
{
    BG_TRY(check_size(path, width, height, 300, 200, e));
    double t0 = INFINITY, t1 = -INFINITY, vmax = -INFINITY;
    for (int k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++)
            if (!isnan(s[k].v[i])) {
                t0 = fmin(t0, s[k].t[i]);
                t1 = fmax(t1, s[k].t[i]);
                vmax = fmax(vmax, s[k].v[i]);
            }
    if (!(t0 <= t1)) return bg_fail(e, BG_ECONFIG, path, "series", "no value to draw");
    if (t1 - t0 < 3600) t0 -= 1800, t1 += 1800;
    double top = axis_top(vmax);
    double x0 = 64, x1 = width - 16, y0 = 44, y1 = height - 40;
    cairo_surface_t *sf;
    cairo_t *cr = start(width, height, &sf);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
    cairo_stroke(cr);
    y_axis(cr, x0, y0, y1, top, 5);
    if (ylabel) vertical_text(cr, 16, 0.5 * (y0 + y1), ylabel, 11);
    /* ticks at Beijing midnights, every k days so that labels do not collide */
    double span_d = (t1 - t0) / 86400.0;
    int every = span_d <= 12 ? 1 : (int)ceil(span_d / 12);
    double dz = ceil((t0 + 8 * 3600.0) / 86400.0) * 86400.0 - 8 * 3600.0;
    char b[32];
    for (int k = 0; dz + k * 86400.0 <= t1; k += every) {
        double t = dz + k * 86400.0, x = x0 + (t - t0) / (t1 - t0) * (x1 - x0);
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
        cairo_move_to(cr, x, y0);
        cairo_line_to(cr, x, y1);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, x, y1);
        cairo_line_to(cr, x, y1 + 4);
        cairo_stroke(cr);
        time_strftime(t + 8 * 3600.0, "%m-%d", b, sizeof b);
        text_at(cr, x, y1 + 16, b, 10, 0.5);
    }
    text_at(cr, 0.5 * (x0 + x1), height - 6, "Beijing time (UTC+8)", 10, 0.5);
    cairo_save(cr);
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
    cairo_clip(cr);
    for (int k = 0; k < ns; k++) {
        cairo_set_source_rgb(cr, s[k].rgb[0], s[k].rgb[1], s[k].rgb[2]);
        cairo_set_line_width(cr, 1.5);
        double dash[2] = {5, 3};
        cairo_set_dash(cr, dash, s[k].dashed ? 2 : 0, 0);
        int pen = 0;
        for (size_t i = 0; i < s[k].n; i++) {
            if (isnan(s[k].v[i])) {
                pen = 0;
                continue;
            }
            double x = x0 + (s[k].t[i] - t0) / (t1 - t0) * (x1 - x0), y = y1 - s[k].v[i] / top * (y1 - y0);
            if (pen) cairo_line_to(cr, x, y);
            else cairo_move_to(cr, x, y);
            pen = 1;
        }
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    /* legend inside the plot, top left */
    int row = 0;
    for (int k = 0; k < ns; k++) {
        if (!s[k].label) continue;
        double y = y0 + 14 + 16 * row++;
        cairo_set_source_rgb(cr, s[k].rgb[0], s[k].rgb[1], s[k].rgb[2]);
        cairo_set_line_width(cr, 2);
        double dash[2] = {5, 3};
        cairo_set_dash(cr, dash, s[k].dashed ? 2 : 0, 0);
        cairo_move_to(cr, x0 + 8, y - 4);
        cairo_line_to(cr, x0 + 30, y - 4);
        cairo_stroke(cr);
        cairo_set_dash(cr, dash, 0, 0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, x0 + 36, y, s[k].label, 10, 0);
    }
    if (title) text_at(cr, 0.5 * width, 26, title, 14, 0.5);
    return finish(sf, cr, path, e);
}

int fig_scatter_png(const char *path, const double *obs, const double *model, size_t n,
                    const char *title, const char *units, int width, int height, BgErr *e)
{
    BG_TRY(check_size(path, width, height, 200, 200, e));
    double vmax = -INFINITY;
    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(obs[i]) && !isnan(model[i])) {
            vmax = fmax(vmax, fmax(obs[i], model[i]));
            np++;
        }
    if (np == 0) return bg_fail(e, BG_ECONFIG, path, "pairs", "no valid pair to draw");
    double top = axis_top(vmax);
    /* a square plot: equal scales make the 1:1 line the diagonal */
    double side = fmin(width - 64 - 20, height - 44 - 44);
    double x0 = 64, y0 = 44, x1 = x0 + side, y1 = y0 + side;
    cairo_surface_t *sf;
    cairo_t *cr = start(width, height, &sf);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x0, y0, side, side);
    cairo_stroke(cr);
    y_axis(cr, x0, y0, y1, top, 5);
    char b[96];
    double step = nice_step(top, 5);
    for (double tv = 0; tv <= top * (1 + 1e-9); tv += step) {
        double x = x0 + tv / top * side;
        cairo_move_to(cr, x, y1);
        cairo_line_to(cr, x, y1 + 4);
        cairo_stroke(cr);
        fmt_val(b, sizeof b, tv);
        text_at(cr, x, y1 + 16, b, 10, 0.5);
    }
    snprintf(b, sizeof b, "observed (%s)", units ? units : "");
    text_at(cr, 0.5 * (x0 + x1), y1 + 34, b, 11, 0.5);
    snprintf(b, sizeof b, "model (%s)", units ? units : "");
    vertical_text(cr, 16, 0.5 * (y0 + y1), b, 11);
    cairo_save(cr);
    cairo_rectangle(cr, x0, y0, side, side);
    cairo_clip(cr);
    /* 1:1 solid; 2:1 (model twice the observation) and 1:2 dashed: the FAC2 band */
    static const double slope[3] = {1.0, 2.0, 0.5};
    double dash[2] = {6, 4};
    for (int k = 0; k < 3; k++) {
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        cairo_set_dash(cr, dash, k ? 2 : 0, 0);
        cairo_move_to(cr, x0, y1);
        cairo_line_to(cr, x0 + side, y1 - slope[k] * side);
        cairo_stroke(cr);
    }
    cairo_set_dash(cr, dash, 0, 0);
    cairo_set_source_rgba(cr, 33 / 255.0, 102 / 255.0, 172 / 255.0, 0.55);
    for (size_t i = 0; i < n; i++) {
        if (isnan(obs[i]) || isnan(model[i])) continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, x0 + obs[i] / top * side, y1 - model[i] / top * side, 2.5, 0, 2 * M_PI);
    }
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    snprintf(b, sizeof b, "N = %zu", np);
    text_at(cr, x0 + 8, y0 + 16, b, 10, 0);
    text_at(cr, x1 - 6, y1 - 8, "1:1 solid; 2:1, 1:2 dashed", 9, 1);
    if (title) text_at(cr, 0.5 * width, 26, title, 14, 0.5);
    return finish(sf, cr, path, e);
}

void fig_release_static(void)
{
    cairo_debug_reset_static_data();
    /* cairo's toy font API loads fontconfig, whose configuration lives until FcFini(); bogda
     * links only cairo, so FcFini is looked up in the already loaded library (none: no-op). */
    void *fini = dlsym(RTLD_DEFAULT, "FcFini");
    if (fini) {
        void (*f)(void);
        memcpy(&f, &fini, sizeof f); /* object to function pointer without a pedantic cast */
        f();
    }
}
