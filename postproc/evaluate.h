/* `bogda evaluate RUNDIR... --obs OBS.csv [--out DIR]`: the model's station series
 * (RUNDIR/stations.csv) against observations, per species and station and pooled (station ALL),
 * hourly, daily (24h) and MDA8 (O3), with the GB 3095 validity rules on Beijing-time days;
 * evaluation.csv (DESIGN 2.4 columns) and evaluation.md with the benchmark verdicts. */
#ifndef BOGDA_EVALUATE_H
#define BOGDA_EVALUATE_H

#include "err.h"

int evaluate_main(int argc, char **argv, BgErr *e); /* argv[0] = "evaluate" */

#endif
