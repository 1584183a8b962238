#include "config.h"

/* Keys of chemistry, aerosol, deposition and the box model ([chemistry], [box], ...).
 * docs/chemistry.md explains the chemistry and box keys. */
const CfgKey bg_schema_chem[] = {
    {"chemistry", "species_table", "", "path",
     "species table CSV (relative to the config file); empty: config/species.csv next to the program"},
    {"chemistry", "rtol", "1e-5", "1",
     "relative tolerance of the ROS3 chemistry solver (1e-5 keeps a 24-h box within 1e-4 of a tight reference)"},
    {"chemistry", "atol", "1e-6", "ppb",
     "absolute tolerance of the ROS3 chemistry solver (the acceptance test's absolute allowance)"},
    {"chemistry", "oh_scale", "1", "1", "factor on the OH parameterised from the photolysis frequencies"},
    {"box", "start", "", "ISO-8601 (UTC unless an offset is given)", "start of the box run (required)"},
    {"box", "hours", "24", "h", "simulated hours"},
    {"box", "temperature_k", "263.15", "K", "air temperature"},
    {"box", "pressure_pa", "90000", "Pa", "air pressure"},
    {"box", "rh", "0.7", "1", "relative humidity, fraction 0-1"},
    {"box", "liquid_water_g_m3", "0", "g m-3", "cloud or fog liquid water content"},
    {"box", "lat", "43.83", "degrees_north", "latitude (solar zenith angle)"},
    {"box", "lon", "87.62", "degrees_east", "longitude (solar zenith angle)"},
    {"box", "j_no2", "", "s-1", "fixed J(NO2) (other J values in proportion); empty: from the sun, clear sky"},
    {"box", "snow_cover", "0", "1", "snow-covered fraction of the ground (albedo enhancement of J)"},
    {"box", "step_min", "60", "min", "output interval of box.csv; a multiple of chem_step_s"},
    {"box", "chem_step_s", "300", "s", "chemistry and aerosol step (the 3-D model's sync step)"},
    {"box", "aerosol", "on", "on/off", "inorganic aerosol equilibrium after each chemistry step"},
    {"box", "output_dir", ".", "path", "directory of box.csv (relative to the config file)"},
    {NULL, NULL, NULL, NULL, NULL},
};
