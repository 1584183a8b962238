/* Emission sources of a run, computed on the fly every step (DESIGN 4.4, HEMCO/DESID style):
 * the gridded inventory x temporal profiles x the scenario's control factors, speciated into the
 * model species (input/emissions.h), as the surface flux of vertical diffusion; and point sources
 * (input/points.h) with Briggs plume rise from the current meteorology (model/plumerise.h),
 * injected into the layers their plumes reach.  Nothing is written to disk. */
#ifndef BOGDA_SOURCES_H
#define BOGDA_SOURCES_H

#include "controls.h"
#include "emissions.h"
#include "grid.h"
#include "inventory.h"
#include "met.h"
#include "points.h"
#include "profiles.h"
#include "state.h"

typedef struct SourcesSetup {
    const Grid *grid;
    const char *inventory, *profiles, *points;  /* paths; profiles and points may be "" */
    double timezone_offset_h;
    const char *const *model;                   /* [nmodel] the transported species */
    const double *molar_mass_kg_mol;            /* [nmodel] */
    int nmodel;
    const SpecExtra *extra;                     /* tracer mappings */
    int nextra;
    double t_start, t_end;                      /* the run window: the inventory holds its
                                                   months only (both 0: every month) */
} SourcesSetup;

typedef struct Sources {
    const Grid *g;
    SourcesSetup su;
    int started, has_pspec;
    int borrowed;          /* inv, prof, pts and pt_sector belong to another Sources (sources_borrow) */
    Inventory inv;
    Profiles prof;
    int has_prof;
    Emissions em;
    PointSet pts;
    Speciation pspec;      /* speciation of the point sources */
    int *pt_sector;        /* [npts] inventory sector index of each point source */
    int *pt_prof;          /* [npts] profile index of its sector, -1 flat */
    int pt_isp[POINTS_NSPEC]; /* inventory index of each CSV species, -1 absent */
    const ControlSet *cs;
    double tz_h;
    int nmodel;
    double *flux;          /* [nmodel][ny*nx] surface emission, mol s-1 per cell (last step) */
    double *tot_kg_s;      /* [nmodel] surface totals of the last step */
    /* point sources of the last step: per source and layer, mol s-1 of every model species */
    double *pt_rate;       /* [npts][nz][nmodel] */
    double *pt_kg_s;       /* [nmodel] point totals of the last step */
    double *work;          /* plume column work, frac, rates */
    double plume_seconds;  /* time spent in plume rise */
} Sources;

/* Reads and validates every input (inventory, profiles, points): BG_EINPUT on bad data, also
 * when a point source's sector is not an inventory sector.  The arrays of su must outlive s. */
int sources_open(Sources *s, const SourcesSetup *su, BgErr *e);
/* Instead of sources_open: when su names the same inventory, profiles and points files, the same
 * inventory months (run window) and a grid of the same size as from's set-up, s shares from's
 * loaded and validated inputs, read-only (a batch's members: docs/batch.md), and 1 is returned;
 * otherwise s is left empty and 0 is returned (call sources_open).  from must outlive s's use;
 * sources_free(s) leaves them alone. */
int sources_borrow(Sources *s, const SourcesSetup *su, const Sources *from);
/* Builds the on-the-fly emission computation with the scenario's controls (NULL: baseline),
 * which are parsed against the inventory's sector and species names (s->inv). */
int sources_start(Sources *s, const ControlSet *controls, BgErr *e);
void sources_free(Sources *s);

/* Emissions at time t with the met f (the step's midpoint): fills s->flux, s->tot_kg_s and the
 * point-source layer rates. */
void sources_update(Sources *s, const MetFields *f, double t);

/* Adds the point-source emissions of the last update over dt to the state (species 0..nmodel-1
 * of the state are the model species), with the air mass airm; kg_added[m] accumulates kg, and
 * kg_field [nmodel][ny*nx] (may be NULL) the kg per column. */
void sources_apply_points(const Sources *s, const double *airm, double dt, State *st, double *kg_added,
                          double *kg_field);

/* One line per inventory species for run.log: total, inside and outside the domain (t/yr). */
void sources_describe(const Sources *s, char *buf, size_t n);

#endif
