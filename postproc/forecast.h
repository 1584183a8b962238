/* `bogda forecast CONFIG --start YYYY-MM-DDTHH --days N [--restart FILE]`: one forecast cycle
 * (docs/forecast.md): a hot start from the previous cycle's restart (matched by time, grid,
 * species and configuration) or a cold start with [forecast] spinup_h, the run, a restart at the
 * next cycle's start, and the city products: forecast_city.csv / .md, forecast_city_hourly.csv
 * (24-h running-mean AQI), forecast_aqi.png, warnings.csv, and the cycle record
 * forecast_cycle.ini + forecast_stations.csv that `bogda evaluate` reads. */
#ifndef BOGDA_FORECAST_H
#define BOGDA_FORECAST_H

#include "config.h"
#include "err.h"

int forecast_main(int argc, char **argv, BgErr *e); /* argv[0] = "forecast" */

/* The city products of a finished cycle directory `dir` (cycle started at `start`, s since 1970
 * UTC) from its daily_city.csv and stations.csv and the station file `stations_csv`
 * (id,name,city,lon,lat: the cities' members): forecast_city.csv, forecast_city_hourly.csv,
 * forecast_city.md, forecast_aqi.png and forecast_stations.csv.  BG_EINPUT names a missing or
 * malformed input, BG_EFAIL a write failure. */
int forecast_products(const char *dir, double start, const char *stations_csv, BgErr *e);

/* The [forecast] settings that only the products read ([forecast] warning_scheme), checked
 * before a cycle runs and by `bogda check`: BG_ECONFIG naming the configuration line. */
int forecast_settings(const Config *cfg, BgErr *e);

#endif
