/* The embedded northern-Tianshan winter case (`bogda makecase`, DESIGN 2.1, issue 3 item 6).
 *
 * Writes into one directory everything a run of the Urumqi-Changji-Shihezi-Wujiaqu and
 * Kuitun-Dushanzi-Wusu region needs, with no download: WRF-format meteorology of a winter
 * stagnation episode over the real ETOPO5 relief (input/synthmet.c), an emission inventory
 * NetCDF on a 0.05-degree lon-lat grid in Mg/month per cell (MEIC-like, 12 sectors, 9 species),
 * point sources, temporal profiles, the monitoring stations and cities of the domain, and a
 * configuration file.  docs/makecase.md describes the files; input/README.md the case, its
 * inventory totals and their sources. */
#ifndef BOGDA_MAKECASE_H
#define BOGDA_MAKECASE_H

#include <stddef.h>

#include "err.h"
#include "synthmet.h"

enum { MC_NSECTOR = 12, MC_NSPEC = 9 };

typedef struct MakeCaseSpec {
    char dir[1024];          /* output directory (created with its parents) */
    double resolution_km;    /* grid spacing, km: 2..30 (default 12; 4 gives the bench grid) */
    int days;                /* episode length, days: 1..30 (default 4); the front comes on the
                                last day */
    char start[32];          /* first record, ISO-8601 (default 2024-01-10T00:00:00Z) */
    double interval_h;       /* met record interval, h, dividing 24 h (default 1) */
    char data_dir[1024];     /* where the copies of the real data are; "" = $BOGDA_DATA, else
                                ./input/data, else input/data next to the program's bin/ */
} MakeCaseSpec;

void makecase_defaults(MakeCaseSpec *s);

/* Writes the case (the file list is in docs/makecase.md).  Every file goes to a temporary name
 * and is renamed when complete; earlier wrfout_d01_* files in the met directory are removed.
 * Returns BG_OK, BG_ECONFIG for an invalid spec (message names the option), BG_EINPUT when a
 * data file is missing or malformed (message names it), BG_EFAIL when writing fails. */
int makecase_write(const MakeCaseSpec *s, BgErr *e);

/* The `bogda makecase` verb: argv[0] = "makecase", then
 *   DIR [--resolution KM] [--days N] [--start DATE] [--interval H] [--data DIR] [--help]
 * (`--opt=value` also accepted).  --help prints the usage to stdout and writes nothing.  On
 * success prints a summary (files, grid, timings) to stdout.  Returns as makecase_write. */
int makecase_main(int argc, char **argv, BgErr *e);

/* The documented inventory (input/README.md): sector and species names in file order, the
 * annual regional total of each (t/yr = Mg/yr, gridded + point sources), and the share of each
 * sector's total that points.csv carries (the rest is in the gridded inventory). */
const char *makecase_sector(int isec);
const char *makecase_species(int isp);
double makecase_total_t(int isec, int isp);
double makecase_point_share(int isec);

/* Grid size for a resolution: the domain is 800 km x 480 km (rounded to whole cells) around
 * 44.5 N 87.5 E, 24 layers. */
void makecase_grid_size(double resolution_km, int *nx, int *ny, int *nz);

/* The synthmet specification makecase writes for s, with the relief file etopo_path.  BG_ECONFIG
 * if s is invalid. */
int makecase_met_spec(const MakeCaseSpec *s, const char *etopo_path, SynthMetSpec *m, BgErr *e);

/* Name of the configuration file and met subdirectory for a resolution: demo.ini for 12 km,
 * bench.ini for 4 km, else case_<KM>km.ini; met_<KM>km. */
void makecase_names(double resolution_km, char *ini, size_t nini, char *met, size_t nmet);

#endif
