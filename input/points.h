/* Point sources (DESIGN 2.3): a CSV with the header
 *   id,name,lon,lat,sector,height_m,diameter_m,velocity_m_s,temperature_k,
 *   SO2,NOx,NH3,VOC,CO,PM25,PM10,BC,OC
 * (emissions in t/yr), read and validated once before the first step and located on the model
 * grid.  The emission rate at time t divides by the real length of t's UTC year.
 * docs/plumerise.md describes the file, the checks and the messages. */
#ifndef BOGDA_POINTS_H
#define BOGDA_POINTS_H

#include "err.h"
#include "grid.h"
#include "plumerise.h"

#define POINTS_NSPEC 9

/* The emitted species in the order of the CSV columns (inventory species names, DESIGN 2.3;
 * NOx as NO2 mass). */
extern const char *const points_species[POINTS_NSPEC];

typedef struct PointSource {
    char id[64];
    char name[128];
    char sector[64];             /* sector name, as controls and profiles name it */
    double lon, lat;             /* degrees */
    double fi, fj;               /* fractional grid index (0 at the centre of cell 0) */
    int i, j;                    /* nearest model cell */
    int line;                    /* line of the CSV (1 = header) */
    Stack stack;                 /* height, diameter, exit velocity, exit temperature (SI) */
    double t_per_yr[POINTS_NSPEC]; /* as in the file, t yr-1 */
} PointSource;

typedef struct PointSet {
    int n;
    PointSource *src;            /* [n], in file order */
    char path[512];
} PointSet;

/* Reads and validates csv and locates every source on g (grid_locate; not for parallel
 * regions).  Refused, with BG_EINPUT and "<csv>:<line>: ..." naming the column and the source
 * id: a header other than the one above; a wrong number of columns; an empty or repeated id;
 * a malformed number; a source outside the domain; height <= 0 or > 600 m, diameter <= 0 or
 * > 30 m, velocity < 0 or > 60 m/s, temperature < 200 or > 1500 K; a negative or NaN emission.
 * A file that cannot be read is BG_EINPUT too; out of memory BG_EFAIL.  A header with no rows
 * gives n = 0.  On failure ps is left empty (points_free is still safe). */
int points_load(PointSet *ps, const char *csv, const Grid *g, BgErr *e);

void points_free(PointSet *ps);

/* Length in seconds of the UTC calendar year holding t (365 or 366 days). */
double points_year_seconds(double t);

/* Emission rate of species isp (index into points_species) of p at time t, kg s-1:
 * 1000 kg per tonne over the real year length. */
double points_kg_s(const PointSource *p, int isp, double t);

/* All species at once: kg_s[POINTS_NSPEC]. */
void points_rates(const PointSource *p, double t, double *kg_s);

/* Index of a species name in points_species, -1 if none. */
int points_species_index(const char *name);

#endif
