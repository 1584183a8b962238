#include "config.h"

/* Keys of emissions, point sources and boundary files.  ([region NAME] and [scenario NAME]
 * sections are matched by prefix in model/config.c.) */
const CfgKey bg_schema_emis[] = {
    {"emissions", "inventory", "", "path", "gridded inventory NetCDF (DESIGN 2.3)"},
    {"emissions", "points", "", "path", "point sources CSV (DESIGN 2.3); empty: none"},
    {"emissions", "profiles", "", "path", "temporal profiles CSV; empty: flat profiles"},
    {"emissions", "timezone_offset_h", "8", "h", "local time of the hourly profiles = UTC + this offset (Beijing time)"},
    {"boundary", "file", "", "path", "lateral and top boundary values from a global model NetCDF (CAMS layout; docs/boundary.md)"},
    {"boundary", "file_variables", "", "SPECIES=var[+var], ...", "file variable(s) of each species; '-': not from the file; default: the species name, its lower case, or the CAMS name"},
    {"region *", "polygon", "", "lon lat, lon lat, ...", "a region as a polygon (degrees)"},
    {"region *", "circle", "", "lon lat radius_km", "a region as a circle"},
    {"region *", "mask", "", "file.nc:var", "a region as a 0..1 mask on the model grid"},
    {"region *", "cities", "", "list", "the cities whose series make the region's warnings"},
    {"scenario *", "description", "", "text", "what the scenario does"},
    {"scenario *", "cost_million_cny", "0", "million CNY", "cost of the measures"},
    {"batch", "members_per_process", "0", "count", "bogda batch: members advanced together in one process, sharing meteorology, advection and diffusion (0 = all)"},
    {"batch", "ranks_per_group", "auto", "auto or count", "bogda batch under mpirun: MPI ranks that advance one group together, splitting its grid into blocks (auto: ranks / the most sets, up to one per group, that divide the ranks)"},
    {"batch", "rank_by", "d_pwm_PM25", "column", "bogda batch/rank: the ranking.csv column sorted on (d_pwm_PM25, d_exceed_days, d_heavy_days, d_O3_8h, d_pwm_PM25_per_kt, d_pwm_PM25_per_billion_cny, d_mean_PM25_<station>)"},
    {"batch", "population_file", "", "file.nc:var", "population per grid cell (persons) on the model grid for the population-weighted PM2.5, instead of the cities' populations"},
    {"scenario *", "control", "", "SECTOR SPECIES REGION FACTOR [START/END]", "an emission control (repeatable; DESIGN 2.2)"},
    {NULL, NULL, NULL, NULL, NULL},
};
