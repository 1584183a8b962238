/* PNG figures drawn with cairo (docs/metrics.md): a map of a 2-D field on the model grid with a
 * colour bar, city markers and a title, a horizontal bar chart of ranked benefits, the forecast
 * chart of daily city AQI (docs/forecast.md), and evaluation time series and scatter plots
 * (docs/evaluation.md).
 *
 * Files are written to "<path>.tmp" and renamed.  Map cells are drawn without antialiasing, so
 * the pixel of a cell has exactly the colour fig_colour() gives its value (8-bit rounded by
 * cairo); the colour bar is drawn one pixel row at a time with the same function. */
#ifndef BOGDA_FIGURES_H
#define BOGDA_FIGURES_H

#include <stddef.h>

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

/* ------------------------------------------------ forecast AQI chart (docs/forecast.md) ---- */

/* Daily AQI per city: groups of bars, one group per day, one bar per city in the given order,
 * each bar filled with the HJ 633 colour of its AQI level (Appendix A Table A.1, aqi_level()),
 * over pale bands of the level ranges, with the AQI above each bar, the city name under it,
 * the date under each group and a legend of the six levels. */
typedef struct FigAqiChart {
    int width, height;          /* PNG size, px (at least 300 x 200) */
    const char *title;          /* may be NULL */
    int ncity, nday;
    const char *const *city;    /* [ncity] */
    const char *const *day;     /* [nday] labels, e.g. "2024-01-11" */
    const int *aqi;             /* [c * nday + d]; < 0: no value (drawn as "n/a") */
} FigAqiChart;

typedef struct FigAqiLayout {
    double x0, x1, y0, y1;      /* plot area: left, right, top (AQI amax), bottom (AQI 0) */
    double amax;                /* AQI at the top of the axis */
    double group_w, bar_w;      /* width of a day group and of a bar, px */
} FigAqiLayout;

void fig_aqi_layout(const FigAqiChart *c, FigAqiLayout *L);
/* Rectangle of the bar of (city, day) with value aqi: left x, top y, width, height (px). */
void fig_aqi_bar_rect(const FigAqiLayout *L, int ncity, int city, int day, int aqi, double *x,
                      double *y, double *w, double *h);
/* BG_ECONFIG for a bad size or no city/day, BG_EFAIL naming the file when cairo fails. */
int fig_aqi_chart_png(const char *path, const FigAqiChart *c, BgErr *e);

/* ------------------------------------ evaluation time series and scatter (docs/evaluation.md) */

typedef struct FigLine {
    const double *t;            /* [n] s since 1970 UTC */
    const double *v;            /* [n]; NAN breaks the line */
    size_t n;
    double rgb[3];              /* 0..1 */
    int dashed;
    const char *label;          /* legend entry; NULL: none */
} FigLine;

/* Lines against time (x axis in Beijing time, ticks at Beijing midnights labelled MM-DD), y from
 * 0 to the largest value.  BG_ECONFIG for a bad size or no point at all. */
int fig_timeseries_png(const char *path, const FigLine *s, int ns, const char *title,
                       const char *ylabel, int width, int height, BgErr *e);

/* Scatter of model against observation (pairs with a NAN skipped), equal axes from 0 to the
 * largest value, the 1:1 line (solid) and the 1:2 and 2:1 lines (dashed), N in the corner. */
int fig_scatter_png(const char *path, const double *obs, const double *model, size_t n,
                    const char *title, const char *units, int width, int height, BgErr *e);

/* Releases cairo's process-wide caches (fonts): call once at program exit, after the last
 * figure, so LeakSanitizer sees no reachable-but-unfreed font data.  No figure may be drawn
 * afterwards in another thread. */
void fig_release_static(void);

#endif
