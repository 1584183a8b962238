/* Layer-by-layer Briggs plume rise of a point source (DESIGN 4.4; CAMx `plumeris`, after EPA's
 * TUPOS, Turner, Chico & Catalano 1986; Briggs 1975), recomputed every step from the current
 * meteorology of the stack's column, and the split of the emission over the model layers.
 *
 * The kernel is a pure function on one column: no allocation, no global state, thread-safe.
 * docs/plumerise.md gives the formulas, their sources, where Bogda differs from CAMx and why,
 * and the measured cost. */
#ifndef BOGDA_PLUMERISE_H
#define BOGDA_PLUMERISE_H

#include "met.h"

/* Stack parameters, SI. */
typedef struct Stack {
    double height_m;      /* physical stack height above ground */
    double diameter_m;    /* inner diameter at the top */
    double velocity_m_s;  /* exit velocity */
    double temperature_k; /* exit temperature */
} Stack;

/* One model column at the stack, k = 0 the lowest layer.  The arrays belong to the caller. */
typedef struct PlumeColumn {
    int nz;
    const double *zf;    /* [nz+1] interface heights above ground, m, increasing (zf[0] = ground) */
    const double *t;     /* [nz] temperature, K */
    const double *theta; /* [nz] potential temperature, K */
    const double *u;     /* [nz] wind components at mass points, m s-1 (only the speed is used) */
    const double *v;     /* [nz] */
    const double *p;     /* [nz] pressure, Pa; not used by the scheme (may be NULL) */
    double pblh;         /* boundary-layer height, m; not used by the scheme */
} PlumeColumn;

typedef struct PlumeOptions {
    int downwash;   /* 1: Briggs (1974) stack-tip downwash (default 1) */
    int momentum;   /* 1: take the momentum rise when it exceeds the buoyant rise (default 1) */
    double spread;  /* the plume spans height_m -/+ spread * rise_m (default 0.5: depth = rise) */
} PlumeOptions;

/* The defaults above; plume_rise(..., NULL, ...) uses them. */
PlumeOptions plume_options_default(void);

typedef struct PlumeResult {
    double *frac;        /* [nz] caller's buffer: fraction of the emission per layer, sums to 1 */
    double height_m;     /* effective plume height above ground = release_m + rise_m */
    double rise_m;       /* rise above the release height (buoyant, or momentum if larger) */
    double release_m;    /* release height after stack-tip downwash, m (the stack height if none) */
    double bottom_m;     /* lower and upper edge of the plume used for frac, m above ground */
    double top_m;
    double flux_m4_s3;   /* buoyancy flux F at the stack top (0 for a cold stack) */
    int k_stack;         /* layer holding the release height */
    int k_top;           /* layer where the buoyant rise ended */
    int momentum_used;   /* 1 if the momentum rise exceeded the buoyant rise */
} PlumeResult;

/* Plume rise of stack s in column c.  Fills every field of r; r->frac must hold c->nz values.
 * Accepts any stack parameters (validated on input, input/points.c); a column with nz < 1 or
 * decreasing zf is the caller's bug and yields the whole emission in layer 0. */
void plume_rise(const Stack *s, const PlumeColumn *c, const PlumeOptions *opt, PlumeResult *r);

/* Doubles of work that plume_column_from_met needs for nz layers. */
#define PLUME_COLUMN_WORK(nz) (6 * (size_t)(nz) + 1)

/* Gathers column (i, j) of f (grid nx, ny, nz) into work[PLUME_COLUMN_WORK(nz)] and points c at
 * it: the face winds averaged to the mass point, the other fields copied.  No allocation. */
void plume_column_from_met(const MetFields *f, int nx, int ny, int nz, int i, int j,
                           double *work, PlumeColumn *c);

#endif
