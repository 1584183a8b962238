#!/bin/sh
# make demo: writes the embedded northern-Tianshan winter case (bogda makecase, 12 km, a 4-day
# stagnation episode cleared by a cold front) into demo/ and runs it with every process on.
# Outputs land in demo/output_demo (conc_*.nc, budget.csv, restart_*.nc, run.log).
set -eu
cd "$(dirname "$0")/.."
if [ ! -f demo/demo.ini ]; then
    bin/bogda makecase demo --resolution 12 --days 4
fi
bin/bogda check demo/demo.ini
bin/bogda run demo/demo.ini
echo "demo finished: demo/output_demo (conc_*.nc, budget.csv, run.log)"
grep -E '^(done|timing)' demo/output_demo/run.log
