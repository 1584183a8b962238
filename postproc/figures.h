/* PNG figures drawn with cairo (docs/metrics.md): a map of a 2-D field on the model grid with a
 * colour bar, city markers and a title, and a horizontal bar chart of ranked benefits.
 *
 * Files are written to "<path>.tmp" and renamed.  Map cells are drawn without antialiasing, so
 * the pixel of a cell has exactly the colour fig_colour() gives its value (8-bit rounded by
 * cairo); the colour bar is drawn one pixel row at a time with the same function. */
#ifndef BOGDA_FIGURES_H
#define BOGDA_FIGURES_H

#include "err.h"

typedef struct FigMarker {
    const char *name;
    double fi, fj; /* fractional grid index (i east, j north; 0 = centre of the first cell) */
} FigMarker;

typedef struct FigMapSpec {
    int width, height;     /* PNG size, px (at least 200 x 150) */
    const char *title;     /* may be NULL */
    const char *units;     /* colour-bar label, e.g. "ug m-3"; may be NULL */
    double vmin, vmax;     /* colour range; vmin >= vmax: from the data (diverging: +-max|v|) */
    int diverging;         /* 1: blue-white-red centred on the middle of the range (changes);
                              0: sequential (viridis) */
} FigMapSpec;

/* Where things are drawn (pixels, origin top left, y down). */
typedef struct FigMapLayout {
    double plot_x0, plot_y0;  /* top-left corner of the map (north-west corner of cell (0,ny-1)) */
    double cell;              /* cell size, px (square cells) */
    int nx, ny;
    double bar_x0, bar_x1;    /* colour bar, left and right */
    double bar_y0, bar_y1;    /* top (vmax) and bottom (vmin) */
    double vmin, vmax;        /* colour range used */
    int diverging;
} FigMapLayout;

/* Colour of v on the colour scale (values outside the range are clamped; NAN gives grey);
 * rgb in [0, 1]. */
void fig_colour(double v, double vmin, double vmax, int diverging, double rgb[3]);

/* The layout fig_map_png uses for this spec, grid and field (the field sets the auto range). */
void fig_map_layout(const FigMapSpec *s, const double *field, int nx, int ny, FigMapLayout *L);
/* Pixel centre of grid location (fi, fj), and of value v on the colour bar (middle of the bar). */
void fig_map_pixel(const FigMapLayout *L, double fi, double fj, double *px, double *py);
void fig_bar_pixel(const FigMapLayout *L, double v, double *px, double *py);

/* Map PNG of field[ny*nx] (j = 0 south) with markers m[0..nm-1].  BG_ECONFIG for a bad size or
 * grid, BG_EFAIL naming the file when cairo cannot draw or write. */
int fig_map_png(const char *path, const double *field, int nx, int ny, const FigMarker *m,
                int nm, const FigMapSpec *s, BgErr *e);

/* Horizontal bar chart PNG: one bar per label, in the given order from the top (give them in
 * rank order), from 0 to values[k]; negative bars (improvements) blue, positive red; each bar
 * labelled with its value; xlabel under the axis.  NAN values get no bar ("n/a"). */
int fig_bars_png(const char *path, const char *const *labels, const double *values, int n,
                 const char *title, const char *xlabel, int width, int height, BgErr *e);

/* Releases cairo's process-wide caches (fonts): call once at program exit, after the last
 * figure, so LeakSanitizer sees no reachable-but-unfreed font data.  No figure may be drawn
 * afterwards in another thread. */
void fig_release_static(void);

#endif
