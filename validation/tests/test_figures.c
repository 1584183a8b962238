/* cairo figures (postproc/figures.c; docs/metrics.md): the PNG is valid, has the requested
 * size, and a map pixel has the colour of the colour bar at the field value there. */
#include <cairo.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "figures.h"
#include "testutil.h"

static char tmpdir[64];

/* 8-bit RGB of pixel (x, y) of an image surface (RGB24 or opaque ARGB32: no premultiplication
 * effect at alpha 255) */
static void pixel(cairo_surface_t *s, double x, double y, int rgb[3])
{
    unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    uint32_t p = *(uint32_t *)(d + (size_t)floor(y) * stride + 4 * (size_t)floor(x));
    rgb[0] = (p >> 16) & 255, rgb[1] = (p >> 8) & 255, rgb[2] = p & 255;
}

static void test_map(void **st)
{
    (void)st;
    const int nx = 40, ny = 30, W = 640, H = 420;
    double *f = malloc((size_t)nx * ny * sizeof *f);
    /* a change field from -12 to +8: diverging scale, auto range +-12 */
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) f[j * nx + i] = -12 + 20.0 * (i + nx * j) / (nx * ny - 1);
    FigMarker m[2] = {{"Urumqi", 30.2, 12.5}, {"Shihezi", 8.0, 20.0}};
    FigMapSpec s = {W, H, "PM2.5 change, coal_to_elec - baseline", "ug m-3", 0, 0, 1};
    char path[256];
    snprintf(path, sizeof path, "%s/map.png", tmpdir);
    BgErr e = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fig_map_png(path, f, nx, ny, m, 2, &s, &e), BG_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("map %dx%d cells, %dx%d px: %.1f ms\n", nx, ny, W, H,
                  1e3 * (t1.tv_sec - t0.tv_sec) + 1e-6 * (t1.tv_nsec - t0.tv_nsec));
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1);

    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(img), W);
    assert_int_equal(cairo_image_surface_get_height(img), H);
    cairo_surface_flush(img);

    FigMapLayout L;
    fig_map_layout(&s, f, nx, ny, &L);
    assert_close(L.vmin, -12, 1e-12);
    assert_close(L.vmax, 12, 1e-12);
    /* cells away from the markers: one negative, one near zero, one positive */
    const int cells[3][2] = {{3, 2}, {20, 17}, {37, 27}};
    for (int c = 0; c < 3; c++) {
        int i = cells[c][0], j = cells[c][1];
        double v = f[j * nx + i], px, py, bx, by, rgb[3];
        int got[3], bar[3];
        fig_map_pixel(&L, i, j, &px, &py);
        pixel(img, px, py, got);
        fig_colour(v, L.vmin, L.vmax, 1, rgb);
        fig_bar_pixel(&L, v, &bx, &by);
        pixel(img, bx, by, bar);
        print_message("cell (%d,%d) v %.3f: pixel (%.0f,%.0f) rgb %d %d %d; colour bar (%.0f,%.0f) "
                      "rgb %d %d %d\n",
                      i, j, v, px, py, got[0], got[1], got[2], bx, by, bar[0], bar[1], bar[2]);
        for (int k = 0; k < 3; k++) {
            /* the exact colour of the scale, to the 8-bit quantisation */
            assert_close(got[k], 255 * rgb[k], 1.0);
            /* the bar row holds the colour of its centre value: within half a pixel of the value
             * the map colour changes by at most max|d rgb / dv| * (range / bar height) / 2 */
            assert_close(got[k], bar[k], 3.0);
        }
    }
    /* a marker's ring centre is white */
    double px, py;
    int w[3];
    fig_map_pixel(&L, m[0].fi, m[0].fj, &px, &py);
    pixel(img, px, py, w);
    assert_true(w[0] > 240 && w[1] > 240 && w[2] > 240);
    cairo_surface_destroy(img);

    /* a sequential map with a given range clamps values outside it */
    FigMapSpec s2 = {300, 200, NULL, NULL, 0, 10, 0};
    assert_int_equal(fig_map_png(path, f, nx, ny, NULL, 0, &s2, &e), BG_OK);
    img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_image_surface_get_width(img), 300);
    fig_map_layout(&s2, f, nx, ny, &L);
    fig_map_pixel(&L, 0, 0, &px, &py);
    double rgb[3];
    fig_colour(0, 0, 10, 0, rgb); /* f(0,0) = -12 clamps to vmin */
    pixel(img, px, py, w);
    for (int k = 0; k < 3; k++) assert_close(w[k], 255 * rgb[k], 1.0);
    cairo_surface_destroy(img);

    BgErr e2 = {0};
    FigMapSpec bad = {50, 50, NULL, NULL, 0, 0, 0};
    assert_int_equal(fig_map_png(path, f, nx, ny, NULL, 0, &bad, &e2), BG_ECONFIG);
    print_message("%s\n", e2.msg);
    free(f);
}

static void test_bars(void **st)
{
    (void)st;
    const char *labels[4] = {"coal_to_elec", "steel_ULE", "road_to_rail", "ammonia"};
    const double v[4] = {-5.2, -2.1, -0.4, NAN};
    char path[256];
    snprintf(path, sizeof path, "%s/bars.png", tmpdir);
    BgErr e = {0};
    assert_int_equal(fig_bars_png(path, labels, v, 4, "Change in population-weighted PM2.5",
                                  "ug m-3", 560, 300, &e),
                     BG_OK);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(img), 560);
    assert_int_equal(cairo_image_surface_get_height(img), 300);
    cairo_surface_destroy(img);
}

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_figures_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char p[256];
    snprintf(p, sizeof p, "%s/map.png", tmpdir);
    remove(p);
    snprintf(p, sizeof p, "%s/bars.png", tmpdir);
    remove(p);
    rmdir(tmpdir);
    fig_release_static();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_bars),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
