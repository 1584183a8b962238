/* Lateral and top boundary values from a global model's NetCDF (DESIGN 2.3 "Lateral boundaries
 * from a global model", `[boundary] file`; the CAMS layout).
 *
 * The file holds time-varying fields on a regular lon-lat grid with pressure levels (Pa or hPa),
 * height levels (m above ground or above sea level) or CF hybrid sigma-pressure levels, one
 * variable per species with a `units` attribute.  bcfile_open() reads the structure, checks that
 * the records cover the run and the lon-lat box covers every column of the model domain, and
 * reads and validates every record the run will use (NaN, _FillValue, negative values) before the
 * first step.  bcfile_fill() then interpolates linearly in time between the two bracketing
 * records, bilinearly in lon/lat to the centres of the model's outermost ring of cells (lateral)
 * and of every column (top), and in the vertical linearly in ln p or in height to the model layer
 * centres, constant beyond the file's first and last level.  Values are converted to mol mol-1.
 * docs/boundary.md gives the formulas, the unit rules and the measured cost. */
#ifndef BOGDA_BCFILE_H
#define BOGDA_BCFILE_H

#include <stddef.h>

#include "err.h"
#include "grid.h"
#include "met.h"

#define BCFILE_NAME_LEN 128  /* longest species-to-variable mapping, e.g. "aermr09+aermr10" */

/* Vertical coordinate of the file */
enum {
    BCFILE_LEV_PRESSURE = 1, /* pressure levels; interpolation linear in ln p */
    BCFILE_LEV_HEIGHT_AGL,   /* height above ground; linear in height */
    BCFILE_LEV_HEIGHT_ASL,   /* altitude above sea level; model height + terrain */
    BCFILE_LEV_HYBRID        /* CF atmosphere_hybrid_sigma_pressure_coordinate; linear in ln p */
};

typedef struct BcTerm BcTerm; /* one file variable feeding a species (private) */

typedef struct BcFile {
    /* ---- read-only after bcfile_open ---- */
    char path[1024];
    int nspec;                        /* model species given to bcfile_open */
    int nprov;                        /* how many of them the file provides */
    int *provided;                    /* [nspec] 1: filled from the file; 0: left to the caller */
    char (*source)[BCFILE_NAME_LEN];  /* [nspec] file variable(s), "go3" or "aermr09+aermr10";
                                         "" when the species is not in the file */
    char (*units)[64];                /* [nspec] units attribute of the (first) variable */
    int lev_kind;                     /* BCFILE_LEV_* */
    int nlev, nlat, nlon, nrec;       /* file dimensions */
    double *times;                    /* [nrec] s since 1970-01-01 UTC */
    double lev_min, lev_max;          /* level range: Pa (pressure, hybrid: of the a/b table at
                                         ps = 1e5 Pa) or m (heights) */
    int reads;                        /* records read from the file so far (open included) */

    /* ---- private ---- */
    int ncid;
    const Grid *grid;                 /* borrowed: must outlive the BcFile */
    int nterm;
    BcTerm *term;                     /* [nterm] */
    int *pidx;                        /* [nspec] index among the provided species, -1 if none */
    int *kind;                        /* [nprov] 0: mole fraction; 1: mass concentration kg m-3 */
    double *mconv;                    /* [nprov] M_air / M_s (mass concentration -> mol mol-1) */
    double *lev;                      /* [nlev] ln(p / Pa) or height m (hybrid: unused) */
    double *hyb_ap, *hyb_b;           /* [nlev] hybrid: p_k = ap_k + b_k ps (Pa) */
    int ps_varid;                     /* hybrid: surface-pressure variable */
    int ps_perm[4];                   /* hybrid: position of (T, -, Y, X) among its dimensions */
    double ps_scale, ps_offset, ps_fill, ps_conv;
    int ps_has_fill;
    int ja, nsy;                      /* sub-box: file latitudes ja .. ja + nsy - 1 */
    int ia, nsx;                      /* sub-box: file longitudes ia, ia+1, ... (mod nlon) */
    int *coff;                        /* [ny*nx][4] sub-box offsets y*nsx + x of the 4 corners */
    double *cw;                       /* [ny*nx][4] bilinear weights of the corners */
    double *rec[2];                   /* [nprov][nlev][nsy][nsx] per loaded record, canonical
                                         unit (mol mol-1 or kg m-3) */
    double *ps[2];                    /* hybrid: [nsy][nsx] surface pressure, Pa */
    int loaded[2];                    /* record index held in rec[slot], -1 if none */
    double *lnp;                      /* hybrid: [nsy*nsx][nlev] ln p at the fill time */
    double *flat, *flon;              /* [nlat], [nlon] file coordinates (lon unwrapped), for
                                         messages */
    char tname[264];                  /* the time variable (NC_MAX_NAME + 1), for messages */
    double *rbuf, *tbuf;              /* [nlev*nsy*nsx] raw read and transposed read buffers */
    double *cur;                      /* [nlev][nsy][nsx][nprov] time-interpolated box */
} BcFile;

/* Opens path and prepares boundary values for the model species species[0..nspec-1] with molar
 * masses molar_mass[] (g mol-1) over the run window [t0, t1] (s since 1970 UTC) on grid g (which
 * must outlive b).
 * varmap (may be NULL, entries may be NULL or ""): the file variable of each species, or a sum of
 * variables "a+b" (each converted, then added: e.g. hydrophilic + hydrophobic black carbon); "-"
 * means the species is not taken from the file.  Without a mapping the variable is looked up as
 * the species name, then its lower-case form, then the CAMS short name (O3: go3).  Species not
 * found are left to the caller (b->provided[s] = 0); an explicit mapping that names a variable
 * absent from the file is BG_ECONFIG.
 * Units (from the `units` attribute, with udunits2): mass fractions (kg kg-1, g kg-1, ...) are
 * multiplied by M_air / M_s; mole fractions (mol mol-1, ppb, ppm, ...) are taken as they are;
 * mass concentrations (ug m-3, kg m-3) are converted with the model's dry-air density at fill
 * time; a dimensionless "1" needs standard_name mass_fraction_of_* or mole_fraction_of_*.
 * Returns BG_OK; BG_EINPUT naming the file and the variable for a file that cannot be read, lacks
 * its coordinates, does not cover the run window or the model domain, has unconvertible units,
 * or holds NaN, missing or negative values in the part the run uses; BG_ECONFIG for a bad varmap;
 * BG_EFAIL when out of memory.  On failure b holds nothing to free (bcfile_close is harmless). */
int bcfile_open(BcFile *b, const char *path, const Grid *g, const char *const *species,
                const char *const *varmap, const double *molar_mass, int nspec, double t0,
                double t1, BgErr *e);

/* Boundary mixing ratios (mol mol-1) at time t for the provided species, written into the
 * AdvectBC layout (model/advect.h): west/east [nspec][nz][ny] at the centres of columns i = 0 and
 * i = nx-1, south/north [nspec][nz][nx] at rows j = 0 and j = ny-1, top [nspec][ny][nx] at the
 * centre of the top layer of every column.  The slots of species not provided are not touched.
 * f is the meteorology at t (p for pressure and hybrid levels, zf for heights, rho for mass
 * concentrations).  Reads from the file only when t leaves the loaded pair of records; no
 * allocation.  Not thread-safe; call outside parallel regions (it parallelises its own loops,
 * with results independent of the thread count).  Returns BG_OK, or BG_EINPUT if t lies outside
 * the file's records or a record cannot be read. */
int bcfile_fill(BcFile *b, const MetFields *f, double t, double *west, double *east,
                double *south, double *north, double *top, BgErr *e);

/* Parses a mapping "O3=go3, NO2=no2, PBC=aermr09+aermr10, TR=-" into names[nspec] (entries of
 * species not named are set to ""), for use as bcfile_open's varmap.  where names the
 * configuration item in messages.  Returns BG_OK, or BG_ECONFIG for a species that is not in
 * species[], a repeated species, a missing '=' or a name longer than BCFILE_NAME_LEN - 1. */
int bcfile_map_parse(const char *text, const char *const *species, int nspec,
                     char (*names)[BCFILE_NAME_LEN], const char *where, BgErr *e);

/* One line for the run log: the file, its grid and levels, its time span, which species it
 * provides (with their variables and units) and which it does not. */
void bcfile_describe(const BcFile *b, const char *const *species, char *buf, size_t n);

void bcfile_close(BcFile *b);

#endif
