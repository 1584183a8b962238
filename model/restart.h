/* Checkpoints: restart_YYYY-MM-DDTHHMM.nc (NetCDF-4) in output_dir.  A run continued from one is
 * bit-for-bit identical to the uninterrupted run, so the file holds everything a continuation
 * needs: the full State (every species, every layer, double), time and step, the output
 * averaging accumulators, the budget accumulators and any further named arrays, plus the grid
 * and configuration identity used to refuse a checkpoint from another setup.
 * Written to "<path>.tmp", the global attribute complete = 1 last, then renamed; see
 * docs/output.md. */
#ifndef BOGDA_RESTART_H
#define BOGDA_RESTART_H

#include <stddef.h>

#include "err.h"
#include "grid.h"
#include "state.h"

/* A named array of doubles (budget totals, deposition sums, controller state, ...). */
typedef struct RestartArray {
    const char *name;   /* NetCDF-safe name, unique; stored as variable "extra_<name>" */
    double *data;       /* write: the values; read: caller buffer of n values to fill */
    size_t n;
    int optional;       /* read: a file without it is accepted and data is left as it was (an
                         * array added after restarts were already written) */
    int nonneg;         /* read: negative values are refused too (NaN/Inf always are) */
} RestartArray;

/* Everything beyond the State.  On write the pointers are read; on read the arrays must point to
 * caller buffers of the stated lengths (they are checked against the file) and the scalars are
 * filled.  Typical use with an Output o:
 *   x.out_acc = o.acc; x.n_out_acc = o.nacc; x.out_nsamples = o.nsamples;
 *   x.out_acc_start = o.acc_start; x.out_last_sample = o.last_sample;
 * and after restart_read: output_restore(&o, x.out_acc, x.n_out_acc, x.out_nsamples,
 *   x.out_acc_start, x.out_last_sample, e). */
typedef struct RestartExtra {
    double *out_acc;          /* Output.acc (NULL when averaging is off) */
    size_t n_out_acc;         /* Output.nacc */
    long out_nsamples;        /* Output.nsamples */
    double out_acc_start;     /* Output.acc_start */
    double out_last_sample;   /* Output.last_sample */
    double *budget;           /* budget accumulators, opaque to this module */
    size_t n_budget;
    int narrays;              /* further named arrays */
    RestartArray *arrays;
} RestartExtra;

/* "DIR/restart_YYYY-MM-DDTHHMM.nc" for model time t. */
void restart_path(const char *dir, double t, char *buf, size_t n);

/* Writes the checkpoint to path (via path.tmp, fsync, rename).  config_hash and config_text may
 * be NULL (stored empty).  x may be NULL (no extras).  BG_EFAIL naming the file on failure; no
 * partial file is left under the final name. */
int restart_write(const char *path, const Grid *g, const State *s, const RestartExtra *x,
                  const char *config_hash, const char *config_text, BgErr *e);

/* Reads a checkpoint into s (allocated for g's dimensions, species names set) and x (buffers of
 * the expected lengths; may be NULL when the run keeps no extras).  Checks, each a BG_EINPUT
 * naming the item: the file opens and is complete; nx, ny, nz, dx, dy, map_proj, truelat1,
 * truelat2, stand_lon, moad_cen_lat equal the grid's ("nx 10 in restart, 12 in grid"); every
 * State species is present and the restart has no other species (both listed by name), with the
 * same molar mass; the configuration hash equals expected_hash when that is not NULL; every extra
 * array has the expected length.  Then the values, as they are read: no NaN/Inf anywhere, no
 * negative concentration (-0.0 is accepted), time finite, step and out_nsamples >= 0,
 * out_acc_start and out_last_sample finite, no negative value in an array marked nonneg
 * ("O3: 2 NaN/Inf values, first at [k=0,j=3,i=1]").  On failure s and x may be partly
 * overwritten. */
int restart_read(const char *path, const Grid *g, State *s, RestartExtra *x,
                 const char *expected_hash, BgErr *e);

/* The newest restart_*.nc in dir (by the time in its name) that opens, carries complete = 1 and
 * whose variables can all be read; truncated or unfinished files are skipped.  BG_EINPUT when
 * none qualifies. */
int restart_find_newest(const char *dir, char *path_out, size_t n, BgErr *e);
/* The same among the checkpoints stamped before `before` (s since 1970 UTC). */
int restart_find_newest_before(const char *dir, double before, char *path_out, size_t n, BgErr *e);

#endif
