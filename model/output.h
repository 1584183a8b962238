/* CF-1.8 NetCDF-4 concentration output, one file per UTC day: conc_YYYY-MM-DD.nc in output_dir.
 * Written to "conc_YYYY-MM-DD.nc.tmp" and renamed when the day (or the run) is complete.
 * Values are ppb for gases/tracers (mixing ratio * 1e9), stored as float.
 * With average = on each record is the mean over (t - interval, t], with time_bnds; off: the
 * instantaneous state at t.  The accumulators are part of the restart.
 *
 * Day assignment: average = on puts the record stamped t into the UTC day containing the middle
 * of its interval (= t - interval/2 for regular records), so a day file holds the means ending
 * 00:00+interval .. 24:00; average = off puts it into the day containing t (00:00 .. 24:00 -
 * interval).  time is "seconds since 1970-01-01 00:00:00" (UTC), the interval end for means.
 * docs/output.md describes the file layout and the re-open policy. */
#ifndef BOGDA_OUTPUT_H
#define BOGDA_OUTPUT_H

#include "err.h"
#include "grid.h"
#include "state.h"

typedef struct OutputConfig {
    const char *dir;          /* output_dir */
    int nout;                 /* number of output species */
    const int *species;       /* [nout] indices into State.spec */
    double interval_s;        /* output interval */
    int all_layers;           /* 0: surface layer only (dims time,y,x); 1: (time,z,y,x) */
    int average;              /* 1: interval means with time_bnds, 0: instantaneous */
    const char *config_text;  /* effective configuration, stored as global attribute */
    const char *title;        /* global attribute title */
    /* Optional (zero/NULL = default): */
    const char *version;      /* source = "Bogda <version>"; NULL -> "unknown" */
    const char *config_hash;  /* stored as global attribute bogda_config_hash when set */
    int deflate_level;        /* 0 (default): no compression; 1..9 zlib level */
    const int *as_mass;       /* [nout] or NULL: 1 = write as mass concentration "ug m-3" at
                                 ambient conditions, q * rho_d * M / M_air * 1e9 (aerosol) */
    const double *air_density;/* [nz][ny][nx] dry-air density, kg m-3, owned and kept current by
                                 the caller (required when any as_mass[i] is set) */
    const char *prefix;       /* file name prefix: PREFIX_YYYY-MM-DD.nc (NULL: "conc") */
    const char *const *units; /* [nout] or NULL: a non-NULL entry writes the field as it is, with
                                 these units (diagnostic fields such as fluxes) */
    const char *const *long_names; /* [nout] or NULL: long_name of such fields */
    const char *const *standard_names; /* [nout] or NULL: CF standard_name of such fields (NULL
                                          entries: none) */
} OutputConfig;

typedef struct Output {
    OutputConfig cfg;
    const Grid *grid;
    double *acc;              /* [nout][nlev][ny][nx] sum of samples (average = on) */
    size_t nacc;
    long nsamples;            /* samples in acc */
    double acc_start;         /* start of the current averaging interval, s */
    double open_day;          /* UTC day start of the file being written; < 0 if none */
    char tmp_path[1024], final_path[1024];
    /* added: */
    int nlev;                 /* 1 (surface) or nz */
    double last_sample;       /* time of the last sample in acc (guards against double counting) */
    float *buf;               /* [nlev][ny][nx] record buffer, allocated once in output_init */
} Output;

int output_init(Output *o, const Grid *g, const OutputConfig *cfg, double t_start, BgErr *e);
/* Adds the current state to the interval mean (call after every sync step at the step's end time
 * state->time, and once at the run start).  Cheap, no I/O.
 * A sample is taken only when acc_start < state->time and state->time > last_sample, so the
 * call at the run start (and a repeated call after a resume) adds nothing: the mean stamped t is
 * the plain mean of the samples in (t - interval, t].  No-op when average = off. */
void output_accumulate(Output *o, const State *s);
/* The same with weight w: a sample split into parts (the driver's merged advection halves,
 * docs/transport.md) is a first part (cont = 0, counted as the sample at state->time) and parts
 * with cont = 1 at the same time, added only if the first part was taken; the weights sum to 1. */
void output_accumulate_w(Output *o, const State *s, double w, int cont);
/* Writes a record stamped at state->time (an output time), resetting the accumulator.  Opens,
 * appends and closes the day's temporary file, so that a killed run leaves a readable file; when
 * continuing a run the file of that day is re-opened and records at or after the stamp are
 * overwritten. Rolls to a new file at the UTC day boundary (renaming the finished one).
 * With average = off the caller also writes the state at the run start (not on a resume).
 * With average = on a record with no sample is an error (BG_EFAIL). */
int output_write(Output *o, const State *s, BgErr *e);
/* Renames the open day's file to its final name.  Call at the end of the run. */
int output_finish(Output *o, BgErr *e);
void output_free(Output *o);

/* What output_write does to the accumulator after writing, without writing: the other ranks of a
 * distributed run keep their sums in step with rank 0's. */
void output_discard(Output *o, double t);
/* Restores the accumulator saved in a restart (acc may alias o->acc).  nacc must equal o->nacc.
 * BG_EINPUT when it does not. */
int output_restore(Output *o, const double *acc, size_t nacc, long nsamples, double acc_start,
                   double last_sample, BgErr *e);

/* The text for a failed NetCDF call on path: "no space left on device (<NetCDF text>)" when err
 * (errno, cleared before the call) is ENOSPC or EDQUOT or the file system has no room left;
 * else "<NetCDF text> (<strerror(err)>)" when err is set, else the NetCDF text. */
void output_nc_reason(int status, int err, const char *path, char *buf, size_t n);
/* Drops an open NetCDF handle after a failure (nc_abort); ncid < 0: no-op.  With path (the
 * handle's file, which the caller gives up) the file is emptied first and removed after. */
void output_nc_discard(int ncid, const char *path);
/* nc_close; on failure output_nc_discard(ncid, path) and BG_EFAIL naming path[:item] with
 * output_nc_reason. */
int output_nc_close(int ncid, const char *path, const char *item, BgErr *e);

/* A run continued from a restart at t finishes the day files of its directory (this Output's
 * prefix) whose days end by t: a stop between a day's last record and the next day's first left
 * that day's file as .tmp, and the continued run would never write to it again.  Renames
 * PREFIX_YYYY-MM-DD.nc.tmp to its final name; BG_EFAIL when a rename fails. */
int output_close_days_before(Output *o, double t, BgErr *e);

/* "DIR/conc_YYYY-MM-DD.nc" for the UTC day containing t (final name; add ".tmp" for the
 * temporary one). */
void output_day_path(const char *dir, double t, char *buf, size_t n);

#endif
