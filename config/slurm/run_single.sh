#!/bin/bash
# One Bogda simulation across nodes: one MPI rank per node (the grid split into 2-D blocks,
# [run] decomposition, docs/parallel.md), OpenMP over each node's cores; checkpointed and requeued until it
# finishes.  Submit:  sbatch --nodes=2 config/slurm/run_single.sh path/to/case.ini
# (--nodes=1 runs on one node with OpenMP only; results are bitwise identical either way).
#
# Slurm sends SIGTERM 300 s before the time limit (--signal); Bogda then writes a checkpoint
# (restart_*.nc in [run] output_dir) and exits 1; the job requeues itself and continues with
# --resume.  Results are bitwise identical to an uninterrupted run.
#SBATCH --job-name=bogda-run
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=32
#SBATCH --time=04:00:00
#SBATCH --signal=B:TERM@300
#SBATCH --requeue
#SBATCH --output=bogda-run-%j.out
set -u
CONFIG=${1:?usage: sbatch run_single.sh CONFIG.ini}
BOGDA=${BOGDA:-bin/bogda}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export OMP_PROC_BIND=close OMP_PLACES=cores
OUT=$($BOGDA check "$CONFIG" >/dev/null && grep -E '^output_dir' "$CONFIG" | head -1 | sed 's/.*= *//')
RESUME=""
# a previous attempt of this job left checkpoints: continue from the newest
if [ -n "$OUT" ] && ls "$(dirname "$CONFIG")/$OUT"/restart_*.nc >/dev/null 2>&1; then RESUME=--resume; fi
# run in the background so that bash can forward Slurm's SIGTERM to bogda (srun passes it on
# to every rank; the ranks agree on the step and rank 0 writes the checkpoint)
srun --cpu-bind=cores $BOGDA run "$CONFIG" $RESUME &
pid=$!
trap 'kill -TERM $pid' TERM
wait $pid; rc=$?
if [ $rc -ne 0 ] && grep -q "stopped by signal" "$(dirname "$CONFIG")/$OUT/run.log" 2>/dev/null; then
    scontrol requeue "$SLURM_JOB_ID"   # continue in a new allocation
fi
exit $rc
