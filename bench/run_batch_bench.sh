#!/bin/sh
# make bench-batch: the scenario batch of the 4-km bench case (bogda makecase: the baseline and
# the plan's 7 scenarios, every process on) over BENCH_BATCH_HOURS simulated hours (default 1),
# run as one `bogda batch` (all members advanced together, sharing met and transport) and as
# separate `bogda run --scenario` runs, one after the other, on 2 threads.  Prints the ratio
# batch / separate runs and the fraction of one run's time that the members share, and writes
# bench/results_batch.json.  Throughput and ratios only: no timed assertion.
set -eu
cd "$(dirname "$0")/.."
H=${BENCH_BATCH_HOURS:-1}
# BENCH_BATCH_START (ISO 8601 UTC, e.g. 2024-01-10T03:00:00Z): another window of the case than its
# first hours (the chemistry's share of a member grows by day)
START=${BENCH_BATCH_START:+--set run.start=$BENCH_BATCH_START}
OUT=bench/out
CASE=$OUT/case4km
mkdir -p "$OUT"
if [ ! -f "$CASE/bench.ini" ] || ! grep -q '^\[scenario' "$CASE/bench.ini"; then
    rm -rf "$CASE"
    bin/bogda makecase "$CASE" --resolution 4 --days 1 --interval 3
fi
members="baseline $(grep -E '^\[scenario ' "$CASE/bench.ini" | sed 's/^\[scenario \(.*\)\]/\1/')"
K=$(echo $members | wc -w)
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
rm -rf "$CASE/bb_batch" "$CASE"/bb_sep_*
echo "bench-batch: $K members x $H h as one batch ..."
t0=$(now)
bin/bogda batch "$CASE/bench.ini" $START --set run.hours=$H --set run.threads=2 --set run.output_dir=bb_batch > "$OUT/bb_batch.txt" 2>&1
t1=$(now)
sep=0
first=""
for m in $members; do
    echo "bench-batch: $m alone ..."
    s0=$(now)
    if [ "$m" = baseline ]; then sc=""; else sc="--scenario $m"; fi
    bin/bogda run "$CASE/bench.ini" $sc $START --set run.hours=$H --set run.threads=2 --set run.output_dir=bb_sep_$m > /dev/null 2>&1
    s1=$(now)
    d=$(calc "$s1 - $s0")
    [ -z "$first" ] && first=$d
    sep=$(calc "$sep + $d")
done
tb=$(calc "$t1 - $t0")
ratio=$(calc "$tb / $sep")
# one run costs S + P, the group S + K P: S (shared) = (K T1 - TK) / (K - 1)
shared=$(calc "($K * $first - $tb) / ($K - 1)")
frac=$(calc "$shared / $first")
log=$CASE/bb_batch/baseline/run.log
cells=$(awk '/^cells /{print $2}' "$log")
# peak resident memory of the batch's process and of the baseline's run alone (run.log)
mb=$(awk '/^peak_rss_mb /{print $2}' "$log")
m1=$(awk '/^peak_rss_mb /{print $2}' "$CASE/bb_sep_baseline/run.log")
printf '\nbench-batch (4 km, %s cells, %d members, %s h, 2 threads)\n' "$cells" "$K" "$H"
printf '  one batch (members together)  %8.1f s\n' "$tb"
printf '  %d separate runs              %8.1f s  (baseline alone %.1f s)\n' "$K" "$sep" "$first"
printf '  ratio batch / separate        %8.3f  (design target <= 0.70)\n' "$ratio"
printf '  shared part of one run        %8.1f s = %.1f %% (set-up inputs, met, Courant numbers and air mass, diffusion matrices)\n' "$shared" "$(calc "100 * $frac")"
printf '  peak memory: batch %.0f MB, one run %.0f MB (%.2f runs)\n' "$mb" "$m1" "$(calc "$mb / $m1")"
printf '  per-member split in the batch (baseline run.log):\n'
grep -E '^timing (advection|diffusion|emissions|chemistry|wetdep|met)_s' "$log" | sed 's/^timing /    /'
last=$(echo $members | awk '{print $NF}')
# the first member computes the group's met-only chemistry (ChemShare), the others take it
printf '  a scenario member (%s): chemistry_s %s (the baseline computes the shared met-only part)\n' "$last" \
    "$(awk '$1 == "timing" && $2 == "chemistry_s" { print $3 }' "$CASE/bb_batch/$last/run.log")"
cat > bench/results_batch.json <<JSON
{
  "case": "makecase 4 km, $cells cells, every process on",
  "members": $K,
  "simulated_hours": $H,
  "start": "${BENCH_BATCH_START:-the case's start}",
  "threads": 2,
  "batch_wall_s": $(printf '%.2f' "$tb"),
  "separate_runs_wall_s": $(printf '%.2f' "$sep"),
  "baseline_alone_wall_s": $(printf '%.2f' "$first"),
  "ratio_batch_to_separate": $(printf '%.4f' "$ratio"),
  "shared_fraction_of_one_run": $(printf '%.4f' "$frac"),
  "batch_peak_rss_mb": $mb,
  "run_peak_rss_mb": $m1
}
JSON
echo "wrote bench/results_batch.json"
