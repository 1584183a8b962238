#!/bin/sh
# make demo: writes the demo meteorology (idealised northern-Tianshan winter, 8 km, 48 h) and runs
# the demo configuration.  Outputs land in demo/output.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f demo/met/.complete ]; then
    bin/bogda synthmet demo/met --nx 100 --ny 60 --nz 20 --dx-km 8 \
        --start 2024-01-10T00:00:00Z --hours 48 --interval-h 1 --per-file 24
    touch demo/met/.complete
fi
bin/bogda run config/demo.ini
echo "demo finished: see demo/output (conc_*.nc, budget.csv, run.log)"
tail -n 6 demo/output/run.log
