#!/bin/bash
# A scenario batch over several nodes: `bogda batch` under MPI spreads the member groups
# ([batch] members_per_process members each, advanced together sharing met and transport)
# over sets of ranks (group g on set g mod sets; [batch] ranks_per_group, auto by default:
# as many sets as keep each busy, a set of several ranks splitting its group's grid into
# blocks); each rank uses OpenMP on its cores.
# Submit:  sbatch --nodes=4 config/slurm/batch.sh path/to/case.ini
# Choose members_per_process so that the groups divide evenly over the sets (8 members on
# 4 ranks: members_per_process = 2 gives 4 sets of one rank; members_per_process = 0, one group
# of all 8, gives one set of 4 ranks).  A batch stopped by the time limit (SIGTERM: every member
# checkpoints) or killed resumes when submitted again: finished members are skipped
# (batch_manifest.csv), the others continue from their checkpoints.
#SBATCH --job-name=bogda-batch
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=32
#SBATCH --time=08:00:00
#SBATCH --signal=B:TERM@300
#SBATCH --output=bogda-batch-%j.out
set -u
CONFIG=${1:?usage: sbatch batch.sh CONFIG.ini}
BOGDA=${BOGDA:-bin/bogda}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export OMP_PROC_BIND=close OMP_PLACES=cores
# srun starts one rank per node (PMIx); `mpirun -np $SLURM_NTASKS` works the same
srun --cpu-bind=cores $BOGDA batch "$CONFIG" &
pid=$!
trap 'kill -TERM $pid' TERM
wait $pid
