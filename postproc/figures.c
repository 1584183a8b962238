/* PNG figures with cairo (see figures.h, docs/metrics.md). */
#include "figures.h"

#include <cairo.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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
