/* Synthetic WRF output: idealised but physically consistent wrfout_d01_* files for whole-model
 * tests, the 4-km benchmark and the embedded northern-Tianshan winter case.
 *
 * The files have the names, dimensions, variables, attributes and staggering of real WRF V4
 * output (NetCDF classic, 64-bit offset, as WRF's io_form 2 writes it), so Bogda's WRF reader
 * reads them through the same code path as real output.  The atmosphere is a dry-hydrostatic
 * winter cold-pool case on a Lambert conformal grid (idealised or real ETOPO5 terrain, steady or
 * a multi-day stagnation episode with a cold front); every field is an analytic function of
 * position and time (no random numbers), so output is deterministic.  docs/synthmet.md gives the
 * formulas and their sources. */
#ifndef BOGDA_SYNTHMET_H
#define BOGDA_SYNTHMET_H

#include "err.h"

typedef struct SynthMetSpec {
    int nx, ny, nz;           /* mass points west_east, south_north, bottom_top */
    double dx_m;              /* grid spacing, m (DX = DY) */
    double cen_lat, cen_lon;  /* grid centre, degrees (default Urumqi 43.8 N 87.6 E) */
    double truelat1, truelat2, stand_lon; /* Lambert conformal, degrees (30, 60, cen_lon) */
    char start[32];           /* first record, ISO-8601 (UTC unless an offset is given) */
    int nrec;                 /* records in all files together */
    double interval_h;        /* record interval, h (a whole number of seconds) */
    int rec_per_file;         /* records per file (24/interval_h gives daily files) */
    double u0, v0;            /* background wind at the surface, earth-relative, m s-1 */
    double jet_ms;            /* extra westerly growing with height to this value at the top */
    int terrain;              /* 0 flat (500 m), 1 idealised Tianshan (ridge to ~4000 m in the
                                 south, Junggar basin 400-900 m in the north), 2 real relief
                                 from terrain_file */
    int inversion;            /* 1 winter cold pool: +8 K surface inversion over the basin */
    int with_exch_h;          /* 1 writes EXCH_H */
    double exch_h_const;      /* > 0: EXCH_H is this constant, m2 s-1; else a K-profile */
    int diurnal;              /* 1 PBLH/HFX/UST/SWDOWN/T follow the sun; 0 daily-mean, steady */
    double ptop_pa;           /* model top pressure, Pa (default 5000) */
    /* Extensions for the embedded northern-Tianshan case (bogda makecase).  Their zero values
     * (as synthmet_defaults sets them) keep every field above exactly as before. */
    char terrain_file[1024];  /* terrain = 2: real relief, bilinear from this ETOPO5-layout
                                 NetCDF (1-D lon/lat coordinates, 2-D heights in m) */
    int episode;              /* 1: multi-day winter stagnation episode: the cold pool, fog and
                                 moisture build up day by day, winds and boundary layer weaken
                                 (docs/synthmet.md, "Episode") */
    double front_h;           /* episode: hours after the first record when a cold front arrives
                                 (north-westerly winds, deep mixing, colder air, light snow);
                                 < 0: no front */
} SynthMetSpec;

/* A relief grid read from a NetCDF file in the ETOPO5 layout: one 2-D variable z(lat, lon) in
 * metres on 1-D coordinate variables (ascending longitudes; ascending or descending latitudes;
 * any spacing), _FillValue/missing_value marking holes. */
typedef struct SynthRelief {
    int nlon, nlat;
    double *lon, *lat;        /* [nlon], [nlat] as in the file */
    float *z;                 /* [nlat][nlon], m; NaN where the file has its fill value */
} SynthRelief;

/* Reads variable var (NULL: "ROSE") of path.  BG_EINPUT naming the file and variable when it is
 * missing, not 2-D, lacks coordinate variables, has non-monotonic coordinates or a unit other
 * than metres. */
int synthmet_relief_load(SynthRelief *r, const char *path, const char *var, BgErr *e);

/* Bilinear height (m) at lon/lat (degrees east/north).  Fill-value corners are left out and the
 * weights of the others renormalised; returns -1 when the point is outside the grid or all four
 * corners are fill values, else 0. */
int synthmet_relief_at(const SynthRelief *r, double lon, double lat, double *z);
void synthmet_relief_free(SynthRelief *r);

/* Fills s with the benchmark case: 200 x 120 x 24 at 4 km centred on Urumqi, Lambert 30/60,
 * 2024-01-10T00Z, 25 hourly records (24 h) in daily files, u0 = 1.5, v0 = 0.5, jet 50 m s-1,
 * Tianshan terrain, inversion and diurnal cycle on, no EXCH_H, ptop 5000 Pa. */
void synthmet_defaults(SynthMetSpec *s);   /* extensions: terrain_file "", episode 0,
                                               front_h -1 */

/* Checks every field of s against its documented range.  Returns BG_OK, or BG_ECONFIG with a
 * one-line message in e naming the field and the matching `bogda synthmet` option. */
int synthmet_check(const SynthMetSpec *s, BgErr *e);

/* Writes ceil(nrec / rec_per_file) files dir/wrfout_d01_YYYY-MM-DD_HH:MM:SS (the time of each
 * file's first record), creating dir (and parents) if needed.  Each file is written under a
 * temporary name and renamed when complete; existing files of the same name are replaced.
 * If paths_out is not NULL, *paths_out receives a malloc'ed array of *npaths malloc'ed paths
 * (free with synthmet_free_paths); npaths may be NULL only if paths_out is NULL.
 * Returns BG_OK; BG_ECONFIG for an invalid spec; BG_EFAIL (e names the file) when the directory
 * or a file cannot be written.  Nothing is returned in *paths_out on failure. */
int synthmet_write(const SynthMetSpec *s, const char *dir, char ***paths_out, int *npaths,
                   BgErr *e);

void synthmet_free_paths(char **paths, int npaths);

/* The eta levels used for nz layers and a model top of ptop_pa: znw[0..nz], znw[0] = 1,
 * znw[nz] = 0, strictly decreasing; in the standard atmosphere the lowest layer is 45 m thick
 * and the thickness grows geometrically upwards (docs/synthmet.md).  Returns BG_OK, or
 * BG_ECONFIG if nz < 1 or ptop_pa is outside 100..50000 Pa. */
int synthmet_eta_levels(int nz, double ptop_pa, double *znw, BgErr *e);

/* The `bogda synthmet` verb.  argv[0] is the verb name and is skipped; then
 *   DIR [--nx N --ny N --nz N --dx-km X --start T --hours H --interval-h H --per-file N
 *        --u U --v V --jet U --terrain flat|tianshan --inversion on|off --diurnal on|off
 *        --exch-h K|profile|off --cen-lat D --cen-lon D --truelat1 D --truelat2 D
 *        --stand-lon D --ptop PA --terrain-file FILE --episode on|off --front-h H] [--help]
 * (`--opt=value` also accepted).  --hours H writes H/interval + 1 records (both ends).
 * --help prints the usage to stdout and writes nothing.  On success prints one summary line to
 * stdout.  Returns BG_OK; BG_ECONFIG with a one-line message naming the option for a bad
 * option or value; BG_EFAIL when writing fails. */
int synthmet_cli(int argc, char **argv, BgErr *e);

#endif
