#include "config.h"

/* Keys of chemistry, aerosol, deposition and the box model ([chemistry], [box], ...). */
const CfgKey bg_schema_chem[] = {
    {NULL, NULL, NULL, NULL, NULL},
};
