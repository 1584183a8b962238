/* The planners' job: `bogda batch CONFIG` runs the baseline and every [scenario NAME] of CONFIG,
 * each in its own directory under [run] output_dir, with a manifest that lets an interrupted
 * batch resume without redoing finished members; then `bogda rank BATCHDIR` (also run at the end
 * of the batch) computes every member's metrics and writes ranking.csv, ranking.md and figures.
 * Members run in groups of [batch] members_per_process, each group advanced together by
 * model_run_group (shared meteorology, advection and diffusion): docs/batch.md. */
#ifndef BOGDA_BATCH_H
#define BOGDA_BATCH_H

#include <stddef.h>

#include "err.h"
#include "model.h"

int batch_main(int argc, char **argv, BgErr *e); /* argv[0] = "batch" */
int rank_main(int argc, char **argv, BgErr *e);  /* argv[0] = "rank" */

/* The [batch] settings of base's configuration (config: its path, for the messages):
 * members_per_process (into *mpp), ranks_per_group (into *rpg, 0 = auto; checked to divide
 * nranks when nranks > 0), rank_by (a ranking.csv column) and population_file (read and checked
 * on base's grid).  Run by the batch before anything is written and by `bogda check`. */
int batch_settings(Model *base, const char *config, int nranks, int *mpp, int *rpg, char *rank_by, size_t nrank_by,
                   char *popfile, size_t npopfile, BgErr *e);

/* Metrics and ranking of a finished batch directory (reads batch_info.txt written by the batch). */
int rank_batch_dir(const char *dir, const char *by, BgErr *e);

#endif
