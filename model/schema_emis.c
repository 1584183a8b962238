#include "config.h"

/* Keys of emissions, point sources and boundary files.  ([region NAME] and [scenario NAME]
 * sections are matched by prefix in model/config.c.) */
const CfgKey bg_schema_emis[] = {
    {"emissions", "inventory", "", "path", "gridded inventory NetCDF (DESIGN 2.3)"},
    {"emissions", "points", "", "path", "point sources CSV (DESIGN 2.3); empty: none"},
    {"emissions", "profiles", "", "path", "temporal profiles CSV; empty: flat profiles"},
    {"emissions", "timezone_offset_h", "8", "h", "local time of the hourly profiles = UTC + this offset (Beijing time)"},
    {"boundary", "file", "", "path", "lateral and top boundary values from a global model NetCDF (CAMS layout)"},
    {NULL, NULL, NULL, NULL, NULL},
};
