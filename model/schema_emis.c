#include "config.h"

/* Keys of emissions, point sources, boundary files, regions and scenarios. */
const CfgKey bg_schema_emis[] = {
    {NULL, NULL, NULL, NULL, NULL},
};
