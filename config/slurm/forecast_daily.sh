#!/bin/bash
# The daily forecast cycle: a 10-day forecast from today's 12 UTC WRF run, hot-started from
# yesterday's cycle (its restart at today 12 UTC), with the city products and warnings in
# output_dir/cycle_YYYY-MM-DDT12.  Run every day after the WRF files arrive, e.g. with
# scrontab:   30 17 * * *  sbatch /path/to/bogda/config/slurm/forecast_daily.sh /path/to/forecast.ini
# Without yesterday's restart the cycle cold-starts with [forecast] spinup_h of spin-up.
# On several nodes (--nodes=N --ntasks-per-node=1) the cycle's run is split over the ranks
# (2-D blocks, docs/parallel.md) and rank 0 makes the products; results are identical.
# Sooner: [chemistry] rtol = 1e-3 and atol = 1e-4 in CONFIG (CMAQ's Rosenbrock tolerances) take
# 0.85 of the time of a 10-day cycle and changed no city AQI, level or warning on the embedded
# case (docs/forecast.md). They are part of the configuration hash, which a hot start checks:
# move yesterday's cycle directory aside once after the switch, and that cycle starts cold.
# Sooner still: [run] sync_step_s = 600 with those tolerances took 0.61 of the time (6.5 min for
# 10 days on 2 cores), kept every AQI level and warning and daily city PM2.5 within 1.3 %
# (docs/forecast.md, "A longer sync step"); the sync step is in the hash too.
#SBATCH --job-name=bogda-forecast
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=32
#SBATCH --time=01:00:00
#SBATCH --output=bogda-forecast-%j.out
set -u
CONFIG=${1:?usage: sbatch forecast_daily.sh CONFIG.ini}
BOGDA=${BOGDA:-bin/bogda}
DAYS=${DAYS:-10}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export OMP_PROC_BIND=close OMP_PLACES=cores
START=$(date -u +%Y-%m-%dT12)
PREV=$(date -u -d yesterday +%Y-%m-%dT12)
OUT=$(dirname "$CONFIG")/$(grep -E '^output_dir' "$CONFIG" | head -1 | sed 's/.*= *//')
RESTART="$OUT/cycle_$PREV/restart_$(date -u +%Y-%m-%dT1200).nc"
LAUNCH=""
if [ "${SLURM_NTASKS:-1}" -gt 1 ]; then LAUNCH="srun"; fi
if [ -f "$RESTART" ]; then
    exec $LAUNCH $BOGDA forecast "$CONFIG" --start "$START" --days "$DAYS" --restart "$RESTART"
else
    echo "no restart from the $PREV cycle ($RESTART): cold start"
    exec $LAUNCH $BOGDA forecast "$CONFIG" --start "$START" --days "$DAYS"
fi
