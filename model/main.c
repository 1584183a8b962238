/* bogda: one program, verbs (DESIGN 2.1).  Only main() decides the exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "model.h"
#include "parallel.h"
#include "simd.h"
#include "aqi.h"
#include "batch.h"
#include "box.h"
#include "forecast.h"
#include "evaluate.h"
#include "figures.h"
#include "makecase.h"
#include "synthmet.h"

#ifndef BOGDA_VERSION
#define BOGDA_VERSION "0.1.0"
#endif

static const char usage_main[] =
    "usage: bogda VERB [options]   (bogda VERB --help for each verb)\n"
    "\n"
    "Bogda: a regional chemical transport model for winter PM2.5 on the northern Tianshan slope.\n"
    "\n"
    "verbs:\n"
    "  run CONFIG [--scenario NAME] [--resume] [--set section.key=value]...   one simulation\n"
    "  check CONFIG [--scenario NAME] [--set section.key=value]...   validate the configuration and inputs\n"
    "  synthmet DIR [options]                               write idealised WRF-format meteorology\n"
    "  makecase DIR [--resolution KM] [--days N] [--start DATE] [--interval H] [--data DIR]\n"
    "                                                       write the embedded northern-Tianshan case\n"
    "  box CONFIG [--set section.key=value]...             0-D chemistry + aerosol box model (box.csv)\n"
    "  aqi [--rule HJ633-2012|HJ633-2026] POLLUTANT[_AVG]=VALUE ...   IAQI, AQI, level, primary pollutant\n"
    "  batch CONFIG [--set ...]                             the baseline and every [scenario], then the ranking\n"
    "  rank BATCHDIR [--by COLUMN]                          (re)computes the ranking of a finished batch\n"
    "  evaluate RUNDIR... --obs OBS.csv [--out DIR]         model against observations (evaluation.csv, .md)\n"
    "  forecast CONFIG --start YYYY-MM-DDTHH --days N [--restart FILE] [--set ...]   a forecast cycle with city products\n"
    "\n"
    "options: --help, --version\n"
    "exit status: 0 success, 1 failure, 2 usage or configuration error, 3 input data error\n";

static const char usage_run[] =
    "usage: bogda run CONFIG [--scenario NAME] [--resume] [--set section.key=value]...\n"
    "  Runs one simulation as configured (config/README.md lists every key).\n"
    "  --scenario NAME apply the emission controls of [scenario NAME] (default: the baseline)\n"
    "  --resume        continue from the newest valid checkpoint in output_dir after a kill\n"
    "  --set S.K=V     override a configuration key (repeatable; split at the first '.')\n"
    "  Outputs in output_dir: conc_YYYY-MM-DD.nc, budget.csv, restart_*.nc, run.log.\n";

static const char usage_check[] =
    "usage: bogda check CONFIG [--scenario NAME] [--set section.key=value]...\n"
    "  Validates the configuration and every input it names (meteorology, initial conditions,\n"
    "  restart) exactly as run does, and runs nothing.\n";

static int report(const BgErr *e)
{
    fprintf(stderr, "bogda: error: %s\n", e->msg);
    return e->code ? e->code : BG_EFAIL;
}

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "bogda: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return BG_ECONFIG;
}

/* run and check share their options */
static int cmd_run(int argc, char **argv, int check_only)
{
    const char *usage = check_only ? usage_check : usage_run;
    const char *config = NULL, *scenario = NULL;
    int resume = 0, nset = 0;
    char **sets = calloc((size_t)argc + 1, sizeof *sets);
    if (!sets) return BG_EFAIL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            free(sets);
            return 0;
        } else if (!strcmp(argv[i], "--resume") && !check_only) {
            resume = 1;
        } else if (!strcmp(argv[i], "--scenario")) {
            if (i + 1 >= argc) { free(sets); return usage_error(usage, "--scenario needs a NAME%s", ""); }
            scenario = argv[++i];
        } else if (!strcmp(argv[i], "--set")) {
            if (i + 1 >= argc) { free(sets); return usage_error(usage, "--set needs section.key=value%s", ""); }
            sets[nset++] = argv[++i];
        } else if (!strncmp(argv[i], "--set=", 6)) {
            sets[nset++] = argv[i] + 6;
        } else if (argv[i][0] == '-') {
            free(sets);
            return usage_error(usage, "unknown option '%s'", argv[i]);
        } else if (!config) {
            config = argv[i];
        } else {
            free(sets);
            return usage_error(usage, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!config) { free(sets); return usage_error(usage, "missing CONFIG%s", ""); }
    Model m;
    BgErr e = {0};
    int rc = model_setup(&m, config, sets, nset, resume, scenario, &e);
    if (rc == BG_OK && check_only) {
        /* what only `bogda batch` and `bogda forecast` read, so that check names it too */
        int mpp, rpg;
        char rank_by[96], popfile[1024];
        rc = model_check_outputs(&m, &e);
        if (rc == BG_OK)
            rc = batch_settings(&m, config, 0, &mpp, &rpg, rank_by, sizeof rank_by, popfile, sizeof popfile, &e);
        if (rc == BG_OK) rc = forecast_settings(&m.cfg, &e);
    }
    if (rc == BG_OK && check_only) {
        printf("%s: configuration and inputs are valid (grid %d x %d x %d, %d species, %d met files)\n",
               config, m.grid.nx, m.grid.ny, m.grid.nz, m.state.nspec, m.rc.nmet);
    } else if (rc == BG_OK) {
        m.distributed = par_size() > 1; /* one run over every rank: 2-D blocks */
        rc = model_run(&m, &e);
    }
    model_free(&m);
    free(sets);
    if (rc != BG_OK && par_size() > 1 && par_rank() != 0) return e.code ? e.code : BG_EFAIL; /* rank 0 reports */
    return rc == BG_OK ? 0 : report(&e);
}

static int cmd_synthmet(int argc, char **argv)
{
    BgErr e = {0};
    int rc = synthmet_cli(argc, argv, &e); /* argv[0] is the verb */
    return rc == BG_OK ? 0 : report(&e);
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    int rc = dispatch(argc, argv);
    par_finalize();
    return rc;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return BG_ECONFIG;
    }
    const char *verb = argv[1];
    if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(verb, "--version")) {
        printf("bogda %s\n", BOGDA_VERSION);
        /* which compiled path of the hot kernels this CPU runs (model/simd.h): the same bits on each */
#if BOGDA_CLONES
        __builtin_cpu_init();
        printf("kernels: multi-versioned (portable, avx2, avx512f); this CPU: %s\n",
               __builtin_cpu_supports("avx512f") ? "avx512f" : __builtin_cpu_supports("avx2") ? "avx2" : "portable");
#else
        printf("kernels: one path (portable: built without multi-versioning)\n");
#endif
        return 0;
    }
    /* Under mpirun: `run` and `forecast` split the grid over the ranks, `batch` spreads member
     * groups over them; every other verb would run R identical copies writing the same files. */
    if (par_size() > 1 && strcmp(verb, "batch") && strcmp(verb, "run") && strcmp(verb, "check") &&
        strcmp(verb, "forecast")) {
        if (par_rank() == 0)
            fprintf(stderr, "bogda: error: %s under mpirun with %d ranks: only `bogda run` and `bogda forecast` "
                            "(domain decomposition) and `bogda batch` (member groups over ranks) use MPI; run it "
                            "with one rank\n",
                    verb, par_size());
        return BG_ECONFIG;
    }
    if (!strcmp(verb, "run")) return cmd_run(argc - 2, argv + 2, 0);
    if (!strcmp(verb, "check")) return cmd_run(argc - 2, argv + 2, 1);
    if (!strcmp(verb, "synthmet")) return cmd_synthmet(argc - 1, argv + 1);
    if (!strcmp(verb, "batch") || !strcmp(verb, "rank")) {
        BgErr e = {0};
        int rc = !strcmp(verb, "batch") ? batch_main(argc - 1, argv + 1, &e) : rank_main(argc - 1, argv + 1, &e);
        fig_release_static(); /* cairo's and fontconfig's caches, so leak checkers stay quiet */
        return rc == BG_OK ? 0 : report(&e);
    }
    if (!strcmp(verb, "forecast")) {
        BgErr e = {0};
        int rc = forecast_main(argc - 1, argv + 1, &e); /* argv[0] is the verb */
        fig_release_static(); /* the chart's cairo and fontconfig caches */
        if (rc != BG_OK && par_size() > 1 && par_rank() != 0) return e.code ? e.code : BG_EFAIL; /* rank 0 reports */
        return rc == BG_OK ? 0 : report(&e);
    }
    if (!strcmp(verb, "evaluate")) {
        BgErr e = {0};
        int rc = evaluate_main(argc - 1, argv + 1, &e); /* argv[0] is the verb */
        fig_release_static(); /* the figures' cairo and fontconfig caches */
        return rc == BG_OK ? 0 : report(&e);
    }
    if (!strcmp(verb, "aqi")) {
        BgErr e = {0};
        int rc = aqi_main(argc - 1, argv + 1, &e); /* argv[0] is the verb */
        return rc == BG_OK ? 0 : report(&e);
    }
    if (!strcmp(verb, "box")) {
        BgErr e = {0};
        int rc = box_main(argc - 1, argv + 1, &e); /* argv[0] is the verb */
        return rc == BG_OK ? 0 : report(&e);
    }
    if (!strcmp(verb, "makecase")) {
        BgErr e = {0};
        int rc = makecase_main(argc - 1, argv + 1, &e); /* argv[0] is the verb */
        return rc == BG_OK ? 0 : report(&e);
    }
    fprintf(stderr, "bogda: error: unknown verb '%s'\n%s", verb, usage_main);
    return BG_ECONFIG;
}
