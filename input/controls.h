/* Regions and scenario control factors (DESIGN 2.2 `[region NAME]`, `[scenario NAME]` control
 * lines).  Everything here is built once at set-up from the raw configuration strings (the
 * caller prefixes "file:line" to the reason returned in `why`); evaluation in the time loop
 * allocates nothing.  Semantics and accuracy: docs/emissions.md. */
#ifndef BOGDA_CONTROLS_H
#define BOGDA_CONTROLS_H

#include <stddef.h>

#include "err.h"
#include "grid.h"

#define BG_REGION_NAME_MAX 64

/* A region as the fraction of every model cell inside it (0..1). */
typedef struct Region {
    char name[BG_REGION_NAME_MAX];
    int nx, ny;
    double *frac;     /* [ny*nx] */
    double area_m2;   /* sum of frac x true cell area */
    int ncells;       /* cells with frac > 0 */
} Region;

/* kind "polygon": value "lon lat, lon lat, ..." (>= 3 vertices, edges straight in lon/lat, an
 *   optional closing vertex); frac = area of the cell's lon/lat quadrilateral inside the polygon
 *   (exact polygon clipping) / cell area.
 * kind "circle": value "lon lat radius_km"; great-circle distance on the 6370-km sphere, frac
 *   from 16 x 16 sub-samples in the cells the circle's edge crosses.
 * kind "mask": value "file.nc:var", a 2-D (y, x) field on the model grid (a leading dimension of
 *   length 1 is accepted) with values in [0, 1]; _FillValue cells count as 0.  The path is used
 *   as given (the caller resolves it against the configuration's directory).
 * Returns BG_OK; BG_ECONFIG for a malformed value or a region entirely outside the domain;
 * BG_EINPUT when the mask file cannot be read or holds bad values; BG_EFAIL out of memory.
 * `why` gets the reason (it names the mask file and variable where relevant). */
int region_parse(Region *r, const char *name, const char *kind, const char *value, const Grid *g,
                 char *why, size_t n);
void region_free(Region *r);

/* One control line `SECTOR SPECIES REGION FACTOR [START/END]`. */
typedef struct Control {
    int nsec, nspec;
    unsigned char *sec;   /* [nsec]  1 where the line applies */
    unsigned char *spec;  /* [nspec] */
    int region;           /* index into the region list, -1 = the whole domain ('*') */
    double factor;        /* >= 0 */
    double t0, t1;        /* applies for t0 <= t < t1 (UTC s); -inf / +inf without a window */
    char text[256];       /* the line as given, for logs */
} Control;

/* Parses a control line against the inventory's sector and species names and the regions.
 * SECTOR: a name, a glob ('*', 'transport_*') or a comma list of them.
 * SPECIES: the same, or the group PM (= PM25, PM10, BC, OC, those present).
 * REGION: a region name or '*'.  FACTOR: a number >= 0.
 * START/END: ISO-8601 times (UTC unless an offset is given); END may be an ISO-8601 duration
 * (PnW, PnDTnHnMnS).  Names are matched case-insensitively.  Every name or pattern must match at
 * least one sector / species / region.  Returns BG_OK, or BG_ECONFIG with `why` naming the
 * offending item (BG_EFAIL out of memory). */
int control_parse(Control *c, const char *line, const char *const *sectors, int nsec,
                  const char *const *species, int nspec, const struct Region *regions, int nreg,
                  char *why, size_t n);
void control_free(Control *c);

/* The controls of one scenario.  regions are borrowed and must outlive the set. */
typedef struct ControlSet {
    int nsec, nspec, ncell;
    const Region *regions;
    int nreg;
    Control *c;
    int n, cap;
    /* matching lines per (sector, species), CSR: lines first[isec*nspec+isp] .. first[..+1]-1
       of idx; rebuilt by controlset_add */
    int *first;  /* [nsec*nspec+1] */
    int *idx;
} ControlSet;

int controlset_init(ControlSet *cs, int nsec, int nspec, const Region *regions, int nreg,
                    int ncell);
/* Takes ownership of *c (zeroed on return).  BG_OK or BG_EFAIL (out of memory, or a control
 * parsed against different name lists). */
int controlset_add(ControlSet *cs, Control *c);
void controlset_free(ControlSet *cs);

/* Convenience: parses and adds lines[0..nlines-1]; on error *bad is the index of the failing
 * line and `why` the reason. */
int controlset_parse_lines(ControlSet *cs, const char *const *lines, int nlines,
                           const char *const *sectors, const char *const *species, int *bad,
                           char *why, size_t n);

/* Factor of one control line in cell `cell` (1 outside its time window): f inside the region,
 * 1 outside, 1 - frac (1 - f) in a partly covered cell. */
static inline double control_cell_factor(const Control *c, const Region *regions, size_t cell)
{
    if (c->region < 0) return c->factor;
    double phi = regions[c->region].frac[cell];
    if (phi >= 1.0) return c->factor;
    if (phi <= 0.0) return 1.0;
    return 1.0 - phi * (1.0 - c->factor);
}

static inline int control_active(const Control *c, double t) { return t >= c->t0 && t < c->t1; }

/* The product of the factors of every line matching (isec, isp) and active at t, per cell
 * [ny*nx].  Returns 1 when the result is uniform over the domain (out filled anyway).  A NULL
 * set returns 1 without touching out (its size is unknown). */
int controlset_factor_field(const ControlSet *cs, int isec, int isp, double t, double *out);

/* The same product at one cell (what controlset_factor_field gives at that cell, bit for bit);
 * 1 for a NULL set.  For point sources. */
double controlset_factor_at(const ControlSet *cs, int isec, int isp, double t, size_t cell);

/* Earliest window boundary strictly after t (when the set of active lines may change), +inf if
 * none: lets a caller cache factor fields between changes. */
double controlset_next_change(const ControlSet *cs, double t);

#endif
