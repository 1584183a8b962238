#include "config.h"

/* Keys of the core model: run control, meteorology, transport, tracers, initial and boundary
 * values, output.  Families: in [init] and [boundary], "constant.NAME" and "profile.NAME"
 * (model/config.c key_known).  config/README.md documents every key. */
const CfgKey bg_schema_core[] = {
    {"run", "start", "", "ISO-8601 (UTC unless an offset is given)", "simulation start (required)"},
    {"run", "hours", "24", "h", "simulated hours (ignored when end is set)"},
    {"run", "end", "", "ISO-8601", "simulation end; overrides hours"},
    {"run", "spinup_h", "0", "h", "hours after start before output begins"},
    {"run", "output_dir", "output", "path", "directory for every output file"},
    {"run", "sync_step_s", "300", "s", "synchronisation (splitting) step; divides the output interval"},
    {"run", "threads", "0", "count", "OpenMP threads; 0 = OMP_NUM_THREADS or all cores"},
    {"run", "decomposition", "auto", "auto or PXxPY", "MPI process grid of a run under mpirun: PX block columns x PY block rows (docs/parallel.md)"},
    {"run", "restart", "", "path", "restart file to continue from"},
    {"run", "checkpoint_h", "24", "h", "restart-file interval (0 = only at the end)"},
    {"met", "files", "", "glob or list", "wrfout files (required); relative to the config file"},
    {"processes", "advection", "on", "on/off", "horizontal and vertical advection"},
    {"processes", "diffusion", "on", "on/off", "implicit vertical turbulent diffusion"},
    {"processes", "emissions", "off", "on/off", "gridded and point emissions with plume rise"},
    {"processes", "chemistry", "off", "on/off", "gas chemistry (docs/chemistry.md)"},
    {"processes", "aerosol", "off", "on/off", "secondary inorganic aerosol equilibrium (docs/aerosol.md)"},
    {"processes", "drydep", "off", "on/off", "dry deposition (docs/deposition.md)"},
    {"processes", "wetdep", "off", "on/off", "wet deposition (docs/deposition.md)"},
    {"advection", "scheme", "ppm", "name", "horizontal and vertical scheme: ppm or upwind"},
    {"advection", "cfl_max", "0.9", "1", "largest outflow fraction of a cell per advection sub-step"},
    {"diffusion", "kz_min", "0.1", "m2 s-1", "floor of the eddy diffusivity above the surface"},
    {"tracers", "names", "", "list", "passive tracers"},
    {"tracers", "molar_mass_g_mol", "28.97", "g mol-1", "molar mass of the passive tracers (budget.csv)"},
    {"init", "file", "", "path", "NetCDF with one variable per species, (z,y,x) or (y,x), ppb"},
    {"boundary", "default", "0", "ppb", "inflow value of every species not set otherwise"},
    {"output", "species", "", "list", "output species (default: all)"},
    {"output", "interval_h", "1", "h", "output interval"},
    {"output", "layers", "surface", "surface/all", "layers written"},
    {"output", "average", "on", "on/off", "interval means (on) or instantaneous values (off)"},
    {"output", "deflate", "0", "0-9", "zlib level of the NetCDF output (conc_*, diag_*; with byte shuffle), 0 = uncompressed; storage only: not part of the configuration hash (docs/output.md)"},
    {"output", "diagnostics", "off", "on/off", "adds diag_YYYY-MM-DD.nc: gridded emission, dry and wet deposition fluxes (kg m-2 s-1) of every species, interval means"},
    {"forecast", "spinup_h", "24", "h", "spin-up of a cold-started forecast cycle (bogda forecast without --restart)"},
    {"forecast", "warning_scheme", "MEE2024", "name", "heavy-pollution warning scheme: MEE2024, MEE2019 or MEP2017"},
    {"stations", "file", "", "path", "monitoring stations CSV id,name,city,lon,lat (checked; used by the station and city products)"},
    {"cities", "file", "", "path", "cities CSV city,lon,lat,population (checked; used by the city products)"},
    {NULL, NULL, NULL, NULL, NULL},
};

