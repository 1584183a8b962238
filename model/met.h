/* Meteorology read directly from wrfout files, with derived fields and linear time interpolation.
 *
 * Layout of every 3-D array: [k][j][i], flat ((k*ny)+j)*nx+i, k = 0 the lowest layer.
 * Face arrays keep WRF's C-grid: x faces [nz][ny][nx+1] (face i is the west face of cell i),
 * y faces [nz][ny+1][nx].  Interface arrays [nz+1][ny][nx] (k = 0 ground, nz model top).
 * All SI: m, s, kg, Pa, K. */
#ifndef BOGDA_MET_H
#define BOGDA_MET_H

#include <stddef.h>

#include "err.h"
#include "grid.h"

typedef struct MetFields {
    double time;     /* s since 1970-01-01 UTC */
    /* mass consistency: the transport moves dry-air mass with these fluxes */
    double *airm;    /* [nz][ny][nx] dry-air mass of the cell, kg = rho_d * dz * area */
    double *fx;      /* [nz][ny][nx+1] dry-air mass flux through x faces, kg s-1, + eastward
                        = u * (rho_d dz)_face * dy / mapfac_u; (rho_d dz)_face is the mean of the
                        two neighbours, the edge cell's value on boundary faces */
    double *fy;      /* [nz][ny+1][nx] likewise through y faces, + northward, dx / mapfac_v */
    double *rho;     /* [nz][ny][nx] dry-air density, kg m-3 = p / (Rd T (1 + qv Rv/Rd)) */
    double *zf;      /* [nz+1][ny][nx] interface heights above ground, m ((PH+PHB)/g - HGT) */
    double *kz;      /* [nz+1][ny][nx] eddy diffusivity at interfaces, m2 s-1; 0 at k = 0 and
                        k = nz; >= kz_min inside */
    double *p;       /* [nz][ny][nx] full pressure P+PB, Pa */
    double *t;       /* [nz][ny][nx] temperature, K, from (T + 300) * (p/1e5)^(Rd/cp) */
    double *theta;   /* [nz][ny][nx] potential temperature, K = T + 300 */
    double *u;       /* [nz][ny][nx+1] x-wind on x faces, m s-1 (WRF U: grid-relative, not
                        rotated to east) */
    double *v;       /* [nz][ny+1][nx] y-wind on y faces, m s-1 (WRF V, grid-relative) */
    double *qv;      /* [nz][ny][nx] water-vapour mixing ratio, kg kg-1 */
    double *qc, *qr, *qs; /* [nz][ny][nx] cloud, rain, snow mixing ratios; 0 where absent */
    /* 2-D [ny][nx] */
    double *pblh, *ust, *hfx, *swdown, *t2;
    double *rain;    /* precipitation rate, mm h-1 (from RAINNC (+RAINC) differences between
                        records; assigned to the later record's interval) */
    double *snowc;   /* snow cover fraction 0..1 (0 where absent) */
    double *psfc;    /* surface pressure Pa (PSFC if present, else extrapolated from layer 0) */
} MetFields;

typedef struct MetRecordRef {
    int file;        /* index into Met.files */
    int rec;         /* record index in that file */
    double time;
} MetRecordRef;

typedef struct Met {
    const Grid *grid;
    int nfiles;
    char **files;          /* owned copies of the paths */
    int nrec;
    MetRecordRef *recs;    /* all records of all files, sorted by time */
    double interval;       /* record interval, s (regular) */
    double kz_min;         /* m2 s-1 */
    int has_exch_h, has_w, has_qcloud, has_qrain, has_qsnow, has_rainc, has_snowc, has_psfc;
    MetFields rec[2];      /* bracketing records currently loaded (fields of each record) */
    int loaded[2];         /* record indices in recs of rec[0], rec[1]; -1 if none */
    unsigned zero[2];      /* MET_* bits of the fields of rec[0], rec[1] that are +0 everywhere
                              (no rain, no snow): their interpolation is a clear */
    float *buf;            /* read buffer, sized for the largest variable */
    size_t nbuf;
    double *hgt;           /* [ny*nx] HGT of the record being derived */
    double *acc;           /* [3][ny*nx] accumulated precipitation of a record and its neighbour,
                              and RAINC while it is added */
    long omp_min_cells;    /* derived-field loops run in parallel from this many cells of a
                              field (default 50000; tests set 0 to exercise the threaded path) */
    double *colwork;       /* [ny][5*(nz+1)] column scratch for kz_column, one slice per row j so
                              that rows run in parallel without sharing */
} Met;

/* Opens and validates every file before the first step (the headers of every file, the values of
 * the records the run reads: those of [t_start, t_end] and the two around its ends): required
 * variables (all missing ones listed in one message), dimensions and projection consistent with
 * g and between files, NaN/Inf (count and first index), implausible magnitudes (T in Celsius,
 * P in hPa), times strictly increasing and regularly spaced across files with no duplicates, and
 * [t_start, t_end] covered.
 * Returns BG_OK or BG_EINPUT naming file and variable. */
int met_open(Met *m, const Grid *g, char *const *files, int nfiles, double t_start, double t_end,
             double kz_min, BgErr *e);

/* Eddy diffusivity, precipitation and optional fields follow the has_* flags, which are set only
 * when the variable is present in every file (so a run never mixes EXCH_H with diagnosed Kz). */

/* Fields at time t, linearly interpolated between the bracketing records (loaded on demand; a
 * NetCDF read happens only when t leaves the loaded interval).  out must come from
 * met_fields_alloc(). Not thread-safe; call outside parallel regions. */
int met_fields_at(Met *m, double t, MetFields *out, BgErr *e);
/* The same for the fields of mask only (the others are left as they are): a step that needs
 * only the face mass fluxes at a time does not interpolate the other 20 fields. */
#define MET_AIRM (1u << 0)
#define MET_FX (1u << 1)
#define MET_FY (1u << 2)
#define MET_RHO (1u << 3)
#define MET_ZF (1u << 4)
#define MET_KZ (1u << 5)
#define MET_P (1u << 6)
#define MET_T (1u << 7)
#define MET_THETA (1u << 8)
#define MET_U (1u << 9)
#define MET_V (1u << 10)
#define MET_QV (1u << 11)
#define MET_QC (1u << 12)
#define MET_QR (1u << 13)
#define MET_QS (1u << 14)
#define MET_PBLH (1u << 15)
#define MET_UST (1u << 16)
#define MET_HFX (1u << 17)
#define MET_SWDOWN (1u << 18)
#define MET_T2 (1u << 19)
#define MET_RAIN (1u << 20)
#define MET_SNOWC (1u << 21)
#define MET_PSFC (1u << 22)
#define MET_ALL ((1u << 23) - 1u)
/* What the column processes (emissions with plume rise, diffusion and dry deposition, chemistry,
 * wet deposition) read: everything but the face mass fluxes, which only advection uses. */
#define MET_COLUMN (MET_ALL & ~(MET_FX | MET_FY))
int met_fields_at_mask(Met *m, double t, MetFields *out, unsigned mask, BgErr *e);
/* The same on some rows and columns only: the fields of mask on the cell rows runs[2r] ..
 * runs[2r+1]-1, r < nruns (sorted, disjoint, not adjacent), and on the ncells columns cells[c]
 * (j * nx + i), every level; a face field also gets the face after each selected cell in its
 * direction (the face row after each run; the x or y face after each column), so that every
 * selected cell has both faces.  The other values are left as they are.  runs NULL or nruns < 0:
 * the whole grid (cells ignored).  The values are those of the whole grid's interpolation, bit
 * for bit.  What a rank of a distributed run needs: its block's rows for the column processes and
 * its point sources' columns for their plume rise (docs/parallel.md, "Replicated work"). */
int met_fields_at_rows(Met *m, double t, MetFields *out, unsigned mask, const int *runs, int nruns, const int *cells,
                       int ncells, BgErr *e);

/* Whether path holds every variable met_open requires (and the grid's Times, XLAT, XLONG), all
 * missing ones named in one BG_EINPUT message: run on the first file before the grid is read
 * from it, which would otherwise stop at the first missing variable. */
int met_check_variables(const char *path, BgErr *e);

int met_fields_alloc(MetFields *f, const Grid *g);
void met_fields_free(MetFields *f);
void met_close(Met *m);

#endif
