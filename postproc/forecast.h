/* `bogda forecast CONFIG --start YYYY-MM-DDTHH --days N [--restart FILE]`: one forecast cycle
 * (docs/forecast.md): a hot start from the previous cycle's restart (matched by time, grid,
 * species and configuration) or a cold start with [forecast] spinup_h, the run, a restart at the
 * next cycle's start, and the city products forecast_city.csv / .md and warnings.csv. */
#ifndef BOGDA_FORECAST_H
#define BOGDA_FORECAST_H

#include "err.h"

int forecast_main(int argc, char **argv, BgErr *e); /* argv[0] = "forecast" */

#endif
