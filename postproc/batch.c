#include "batch.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <sys/stat.h>

#include "csvutil.h"
#include "figures.h"
#include "grid.h"
#include "metrics.h"
#include "model.h"
#include "parallel.h"
#include "ranking.h"
#include "restart.h"
#include "timeutil.h"

#define MAX_MEMBERS 256
#define PATH_LEN 4096 /* every path buffer; longer paths fail to open and are reported */

static const char batch_usage[] =
    "usage: bogda batch CONFIG [--set section.key=value]...\n"
    "  Runs the baseline and every [scenario NAME] of CONFIG, each in [run] output_dir/NAME\n"
    "  (the baseline in output_dir/baseline), then writes ranking.csv, ranking.md and the\n"
    "  figures in output_dir.  An interrupted batch resumes: finished members (same\n"
    "  configuration hash and run window in batch_manifest.csv) are not run again, a killed\n"
    "  member continues from its newest checkpoint, and a failed member does not stop the others.\n"
    "  [batch] members_per_process members (default all) are advanced together in one\n"
    "  process: they share the meteorology, advection and diffusion; results are those of\n"
    "  separate runs bit for bit.  Under mpirun the groups are spread over sets of\n"
    "  [batch] ranks_per_group ranks (auto: as many ranks per group as keep every set busy),\n"
    "  each set splitting its group's grid into blocks.\n";

static const char rank_usage[] =
    "usage: bogda rank BATCHDIR [--by COLUMN]\n"
    "  (Re)computes the metrics of every finished member of a batch and writes ranking.csv,\n"
    "  ranking.md, dpm25_<scenario>.png and ranking.png in BATCHDIR.  --by sorts on another\n"
    "  ranking.csv column than the batch's [batch] rank_by (default d_pwm_PM25).\n";

typedef struct Member {
    char name[64];
    char status[1536]; /* done, failed: ..., running */
    char hash[17];
    char checksum[17]; /* FNV-1a 64 of the member's output files (done members) */
    char window[72];   /* START/END of the run that wrote them (ISO 8601) */
    double wall_s;
    double cost;
    int group;         /* process group it ran in (members_per_process) */
} Member;

static int mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return (mkdir(tmp, 0777) && errno != EEXIST) ? -1 : 0;
}

/* The file name of a path (checkpoint names carry their time: restart_YYYY-MM-DDTHHMM.nc). */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* FNV-1a (64 bit) over the bytes of every output file of a member directory, in name order
 * (run.log and checkpoints excluded: they hold wall times and intermediate states). */
static void dir_checksum(const char *dir, char out[17])
{
    static const char *const pats[] = {"conc_", "diag_", "budget.csv", "stations.csv", "daily_city.csv"};
    unsigned long long h = 1469598103934665603ULL;
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        int want = 0;
        for (size_t p = 0; p < sizeof pats / sizeof *pats; p++)
            want |= !strncmp(list[i]->d_name, pats[p], strlen(pats[p]));
        if (want && !strstr(list[i]->d_name, ".tmp")) {
            char path[PATH_LEN + 300];
            snprintf(path, sizeof path, "%.*s/%.255s", PATH_LEN, dir, list[i]->d_name);
            FILE *f = fopen(path, "rb");
            unsigned char buf[65536];
            size_t r;
            while (f && (r = fread(buf, 1, sizeof buf, f)) > 0)
                for (size_t b = 0; b < r; b++) h = (h ^ buf[b]) * 1099511628211ULL;
            if (f) fclose(f);
        }
        free(list[i]);
    }
    free(list);
    snprintf(out, 17, "%016llx", h);
}

/* batch_manifest.csv: member,status,config_hash,wall_s,group,outputs_fnv1a,window */
static void read_manifest_file(const char *path, Member *m, int n)
{
    char line[2048];
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        char *fld[8];
        int nf = csv_split(line, fld, 8);
        if (nf < 4) continue;
        for (int k = 0; k < n; k++)
            if (!strcmp(m[k].name, fld[0])) {
                snprintf(m[k].status, sizeof m[k].status, "%s", fld[1]);
                snprintf(m[k].hash, sizeof m[k].hash, "%s", fld[2]);
                m[k].wall_s = atof(fld[3]);
                if (nf >= 6) snprintf(m[k].checksum, sizeof m[k].checksum, "%s", fld[5]);
                if (nf >= 7) snprintf(m[k].window, sizeof m[k].window, "%s", fld[6]);
            }
    }
    fclose(f);
}

/* The manifest, then the parts written by the ranks of an MPI batch (newer where present). */
static void read_manifest(const char *dir, Member *m, int n)
{
    char path[PATH_LEN + 64];
    snprintf(path, sizeof path, "%s/batch_manifest.csv", dir);
    read_manifest_file(path, m, n);
    snprintf(path, sizeof path, "%s/batch_manifest.rank*.csv", dir);
    glob_t gl;
    if (glob(path, 0, NULL, &gl) == 0) {
        for (size_t i = 0; i < gl.gl_pathc; i++) read_manifest_file(gl.gl_pathv[i], m, n);
        globfree(&gl);
    }
}

static void remove_manifest_parts(const char *dir)
{
    char path[PATH_LEN + 64];
    snprintf(path, sizeof path, "%s/batch_manifest.rank*.csv", dir);
    glob_t gl;
    if (glob(path, 0, NULL, &gl) == 0) {
        for (size_t i = 0; i < gl.gl_pathc; i++) remove(gl.gl_pathv[i]);
        globfree(&gl);
    }
}

/* The whole manifest; under MPI with several sets of ranks (set >= 0) the first rank of each set
 * writes the rows of the set's groups to batch_manifest.rank<set>.csv, merged by rank 0 at the end. */
static int write_manifest_rank(const char *dir, const Member *m, int n, int rank, int nranks, BgErr *e)
{
    char path[PATH_LEN + 64], tmp[PATH_LEN + 80];
    if (rank >= 0) snprintf(path, sizeof path, "%s/batch_manifest.rank%d.csv", dir, rank);
    else snprintf(path, sizeof path, "%s/batch_manifest.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return bg_fail(e, BG_EFAIL, tmp, NULL, "cannot create: %s", strerror(errno));
    fprintf(f, "member,status,config_hash,wall_s,group,outputs_fnv1a,window\n");
    for (int k = 0; k < n; k++) {
        if (rank >= 0 && m[k].group % nranks != rank) continue;
        /* the status may hold commas (error messages): quote it */
        fputs(m[k].name, f);
        fputs(",\"", f);
        for (const char *p = m[k].status; *p; p++) {
            if (*p == '"') fputc('"', f);
            if (*p != '\n') fputc(*p, f);
        }
        fprintf(f, "\",%s,%.1f,%d,%s,%s\n", m[k].hash, m[k].wall_s, m[k].group, m[k].checksum, m[k].window);
    }
    if (fclose(f) || rename(tmp, path)) return bg_fail(e, BG_EFAIL, path, NULL, "cannot write the manifest");
    return BG_OK;
}

static int write_manifest(const char *dir, const Member *m, int n, BgErr *e)
{
    if (par_size() == 1) return write_manifest_rank(dir, m, n, -1, 1, e);
    if (par_run_rank() != 0) return BG_OK; /* the set's first rank writes its part */
    return write_manifest_rank(dir, m, n, par_set(), par_nsets(), e);
}

/* The run window is not part of the configuration hash (a run may be continued), so a member
 * finished by an earlier batch counts as done only if that run had this batch's window (the
 * manifest's window column: a longer or earlier-starting run's outputs hold other hours) and its
 * final restart file is there.  Otherwise it runs again from the start. */
static void window_of(const Model *m, char *out, size_t n)
{
    char a[32], b[32];
    time_format(m->rc.t_start, a, sizeof a);
    time_format(m->rc.t_end, b, sizeof b);
    snprintf(out, n, "%s/%s", a, b);
}

static int reached_end(const Model *m, const Member *mm)
{
    char path[PATH_LEN + 64], win[72];
    struct stat st;
    window_of(m, win, sizeof win);
    restart_path(m->rc.output_dir, m->rc.t_end, path, sizeof path);
    if (strcmp(mm->window, win) || stat(path, &st) != 0) return 0;
    /* and its outputs are all there: a member whose files were removed or never finished would
     * otherwise be ranked without them (the manifest's checksum is not recomputed) */
    snprintf(path, sizeof path, "%s/budget.csv", m->rc.output_dir);
    if (stat(path, &st) != 0) return 0;
    /* the days of its records: a mean belongs to its interval's middle, a point value to its time */
    const double out_start = m->rc.t_start + m->rc.spinup_s, eps = 1.0;
    const double d0 = time_day_start(m->rc.average ? out_start + eps : out_start);
    const double d1 = time_day_start(m->rc.average ? m->rc.t_end - eps : m->rc.t_end);
    for (double d = d0; d <= d1 + eps; d += 86400.0) {
        output_day_path(m->rc.output_dir, d, path, sizeof path);
        if (stat(path, &st) != 0) return 0;
    }
    return 1;
}

int batch_settings(Model *base, const char *config, int nranks, int *mpp, int *rpg, char *rank_by, size_t nrank_by,
                   char *popfile, size_t npopfile, BgErr *e)
{
    int rc = config_int(&base->cfg, "batch", "members_per_process", mpp, e);
    *rpg = 0;
    if (rc == BG_OK && *mpp < 0)
        rc = bg_fail(e, BG_ECONFIG, config, "[batch] members_per_process", "must be 0 (all) or a positive count");
    if (rc == BG_OK) {
        const char *rp = config_get(&base->cfg, "batch", "ranks_per_group");
        char tail;
        if (rp && strcmp(rp, "auto") && (sscanf(rp, "%d%c", rpg, &tail) != 1 || *rpg < 1))
            rc = bg_fail(e, BG_ECONFIG, config, "[batch] ranks_per_group", "'%s': must be auto or a positive count", rp);
        else if (nranks > 0 && *rpg > 0 && nranks % *rpg)
            rc = bg_fail(e, BG_ECONFIG, config, "[batch] ranks_per_group", "%d does not divide the %d MPI ranks", *rpg,
                         nranks);
    }
    if (rc == BG_OK) {
        snprintf(rank_by, nrank_by, "%s", RANKING_DEFAULT_PRIMARY);
        popfile[0] = 0;
        const char *rb = config_get(&base->cfg, "batch", "rank_by");
        if (rb && rb[0]) snprintf(rank_by, nrank_by, "%s", rb);
        const char *pf = config_get(&base->cfg, "batch", "population_file");
        if (pf && pf[0]) model_resolve_path(base, pf, popfile, npopfile);
        static const char *const cols[] = {"d_pwm_PM25", "d_exceed_days", "d_heavy_days", "d_O3_8h",
                                           "d_pwm_PM25_per_kt", "d_pwm_PM25_per_billion_cny"};
        int known = !strncmp(rank_by, "d_mean_PM25_", 12) && rank_by[12];
        for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) known |= !strcmp(rank_by, cols[c]);
        if (!known)
            rc = bg_fail(e, BG_ECONFIG, config, "[batch] rank_by",
                         "'%s' is not a ranking.csv column (d_pwm_PM25, d_exceed_days, d_heavy_days, d_O3_8h, "
                         "d_pwm_PM25_per_kt, d_pwm_PM25_per_billion_cny, d_mean_PM25_<station>)", rank_by);
        if (rc == BG_OK && popfile[0]) {
            double *pop = malloc((size_t)base->grid.nx * base->grid.ny * sizeof *pop);
            rc = pop ? metrics_population_file(&base->grid, popfile, pop, e) : bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
            free(pop);
        }
    }
    /* the ranking reads the cities (population weights) and the costs when every member has run:
     * a bad value must stop the batch before, not after, hours of computing */
    const char *cf = config_get(&base->cfg, "cities", "file");
    if (rc == BG_OK && cf && cf[0]) {
        char path[PATH_LEN];
        model_resolve_path(base, cf, path, sizeof path);
        MetricsCity *mc = NULL;
        int nc = 0;
        rc = metrics_read_cities(path, &mc, &nc, e);
        free(mc);
    }
    const char *sn[MAX_MEMBERS];
    int nsc = config_sections(&base->cfg, "scenario", sn, MAX_MEMBERS);
    for (int k = 0; rc == BG_OK && k < nsc; k++) {
        char sec[160], *end;
        snprintf(sec, sizeof sec, "scenario %s", sn[k]);
        const char *c = config_get(&base->cfg, sec, "cost_million_cny");
        if (!c || !c[0]) continue;
        double v = strtod(c, &end);
        if (end == c || *end || !isfinite(v)) {
            char w[1100];
            config_where(&base->cfg, config_entry(&base->cfg, sec, "cost_million_cny"), w, sizeof w);
            rc = bg_fail(e, BG_ECONFIG, w, NULL, "[%s] cost_million_cny = '%s': not a number (million CNY; a saving is negative)",
                         sec, c);
        }
    }
    return rc;
}

int batch_main(int argc, char **argv, BgErr *e)
{
    const char *config = NULL;
    char **sets = calloc((size_t)argc + 2, sizeof *sets);
    int nset = 0;
    if (!sets) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    int rc = BG_OK;
    for (int i = 1; i < argc && rc == BG_OK; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(batch_usage, stdout);
            free(sets);
            return BG_OK;
        } else if (!strcmp(argv[i], "--set") && i + 1 < argc) {
            sets[nset++] = argv[++i];
        } else if (argv[i][0] == '-' || config) {
            rc = bg_fail(e, BG_ECONFIG, "batch", argv[i], "unexpected argument\n%s", batch_usage);
        } else {
            config = argv[i];
        }
    }
    if (rc == BG_OK && !config) rc = bg_fail(e, BG_ECONFIG, "batch", NULL, "missing CONFIG\n%s", batch_usage);
    if (rc != BG_OK) {
        free(sets);
        return rc;
    }
    /* the baseline's set-up validates the configuration and every input once, up front */
    Model base;
    rc = model_setup(&base, config, sets, nset, 0, NULL, e);
    if (rc == BG_OK && !base.rc.emis_on)
        rc = bg_fail(e, BG_ECONFIG, config, NULL, "a batch compares emission scenarios: [processes] emissions must be on");
    Member *mem = calloc(MAX_MEMBERS + 1, sizeof *mem);
    const char *sn[MAX_MEMBERS];
    int nsc = rc == BG_OK ? config_sections(&base.cfg, "scenario", sn, MAX_MEMBERS) : 0;
    if (rc == BG_OK && (nsc < 0 || !mem)) rc = bg_fail(e, BG_ECONFIG, config, NULL, "more than %d scenarios", MAX_MEMBERS);
    char dir[PATH_LEN] = "", info[PATH_LEN + 64], rank_by[96] = RANKING_DEFAULT_PRIMARY, popfile[PATH_LEN] = "";
    int nm = 0, mpp = 0, rpg = 0;
    if (rc == BG_OK)
        rc = batch_settings(&base, config, par_size(), &mpp, &rpg, rank_by, sizeof rank_by, popfile, sizeof popfile, e);
    if (rc == BG_OK) {
        snprintf(dir, sizeof dir, "%s", base.rc.output_dir);
        snprintf(mem[nm++].name, sizeof mem[0].name, "baseline");
        for (int s = 0; s < nsc; s++) {
            char sec[160];
            snprintf(sec, sizeof sec, "scenario %s", sn[s]);
            snprintf(mem[nm].name, sizeof mem[nm].name, "%s", sn[s]);
            const char *c = config_get(&base.cfg, sec, "cost_million_cny");
            mem[nm].cost = c && c[0] ? atof(c) : 0.0;
            nm++;
        }
        if (mkdir_p(dir)) rc = bg_fail(e, BG_EFAIL, dir, NULL, "cannot create the batch directory: %s", strerror(errno));
        /* absolute: the members' output_dir overrides would otherwise be taken relative to the
         * configuration's directory a second time */
        char abs[PATH_MAX];
        if (rc == BG_OK && realpath(dir, abs)) snprintf(dir, sizeof dir, "%s", abs);
    }
    /* under mpirun the member groups are spread over the ranks: group g runs on rank g mod R */
    const int nr = par_size(), me = par_rank();
    /* what `bogda rank` needs later: the grid file, the cities, the members' costs */
    if (rc == BG_OK && me == 0) {
        snprintf(info, sizeof info, "%s/batch_info.txt", dir);
        FILE *f = fopen(info, "w");
        if (!f) {
            rc = bg_fail(e, BG_EFAIL, info, NULL, "cannot create: %s", strerror(errno));
        } else {
            char cities[PATH_LEN] = "";
            const char *cf = config_get(&base.cfg, "cities", "file");
            if (cf && cf[0]) model_resolve_path(&base, cf, cities, sizeof cities);
            /* absolute paths: `bogda rank` may run from another directory */
            char ag[PATH_MAX], ac[PATH_MAX], ap[PATH_MAX + 300];
            if (!realpath(base.rc.met_files[0], ag)) snprintf(ag, sizeof ag, "%s", base.rc.met_files[0]);
            if (!cities[0] || !realpath(cities, ac)) snprintf(ac, sizeof ac, "%s", cities);
            snprintf(ap, sizeof ap, "%s", popfile);
            char *colon = strrchr(popfile, ':');
            if (colon) {
                *colon = 0;
                char rp[PATH_MAX];
                if (realpath(popfile, rp)) snprintf(ap, sizeof ap, "%s:%s", rp, colon + 1);
                *colon = ':';
            }
            fprintf(f, "grid_file %s\ncities %s\nrank_by %s\npopulation_file %s\n", ag, ac, rank_by, ap);
            for (int k = 0; k < nm; k++) fprintf(f, "member %s %.17g\n", mem[k].name, mem[k].cost);
            fclose(f);
        }
    }
    model_free(&base);
    if (par_max_int(rc != BG_OK) && rc == BG_OK) rc = bg_fail(e, BG_EFAIL, dir, NULL, "another MPI rank failed to set up the batch");
    if (rc == BG_OK) read_manifest(dir, mem, nm);
    par_barrier(); /* every rank has read the manifest before any rewrites its part */
    /* members in groups of members_per_process, each group advanced together in one process */
    int per = mpp > 0 && mpp < nm ? mpp : nm > 0 ? nm : 1, ngroups = (nm + per - 1) / per;
    for (int q = 0; q < nm; q++) mem[q].group = q / per;
    /* the ranks in sets, one group at a time on each set (group g on set g mod S): auto takes
     * the most sets that divide the ranks and have a group each, so no set idles while groups
     * wait, and any ranks beyond one per group split the groups' grids */
    int nsets = nr;
    if (rpg > 0) nsets = nr / rpg;
    else
        while (nsets > 1 && (nsets > ngroups || nr % nsets)) nsets--;
    /* a refused ranks_per_group larger than the ranks (rc is set) gave 0 sets and a division by
     * zero below */
    if (nsets < 1) nsets = 1;
    if (rc == BG_OK && par_split(nsets)) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "cannot split the MPI ranks into %d sets", nsets);
    const int set = par_set(), setroot = par_run_rank() == 0;
    if (rc == BG_OK && nr > 1 && me == 0)
        fprintf(stderr, "batch: %d member groups over %d MPI ranks: %d set(s) of %d rank(s), group g on set g mod %d\n",
                ngroups, nr, nsets, nr / nsets, nsets);
    Model *ms = calloc((size_t)per + 1, sizeof *ms);
    Model **mp = calloc((size_t)per + 1, sizeof *mp);
    BgErr *errs = calloc((size_t)per + 1, sizeof *errs);
    int *idx = calloc((size_t)per + 1, sizeof *idx);
    if (rc == BG_OK && (!ms || !mp || !errs || !idx)) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int g0 = 0; g0 < nm && rc == BG_OK; g0 += per) {
        if ((g0 / per) % nsets != set) continue;
        int g1 = g0 + per < nm ? g0 + per : nm, k = 0;
        /* set up the group's unfinished members; resume only if they all stopped at the same
         * checkpoint (they write them at the same steps, but a kill can fall between two) */
        for (int pass = 0; pass < 2 && rc == BG_OK; pass++) {
            k = 0;
            for (int q = g0; q < g1; q++) {
                char odir[PATH_LEN + 80], set_out[PATH_LEN + 120];
                snprintf(odir, sizeof odir, "%s/%s", dir, mem[q].name);
                snprintf(set_out, sizeof set_out, "run.output_dir=%s", odir);
                sets[nset] = set_out;
                BgErr me = {0};
                int resume = pass == 0 && !strcmp(mem[q].status, "running");
                Model *m = &ms[k];
                /* the group's first member reads and validates the inputs; the others borrow them
                 * (model_setup_member: the same files, so the same checks and the same bits) */
                Model *lead = k > 0 ? mp[0] : NULL;
                int mrc = model_setup_member(m, lead, config, sets, nset + 1, resume, q ? mem[q].name : NULL, &me);
                char win[72] = "";
                if (mrc == BG_OK) window_of(m, win, sizeof win);
                if (mrc == BG_OK && resume && strcmp(mem[q].window, win)) {
                    /* killed in a run of another window: start afresh */
                    model_free(m);
                    me = (BgErr){0};
                    mrc = model_setup_member(m, lead, config, sets, nset + 1, 0, q ? mem[q].name : NULL, &me);
                }
                if (mrc == BG_OK && !strcmp(mem[q].status, "done") && !strcmp(mem[q].hash, m->config_hash) &&
                    reached_end(m, &mem[q])) {
                    if (setroot) fprintf(stderr, "batch: %s already done\n", mem[q].name);
                    model_free(m);
                    continue;
                }
                snprintf(mem[q].hash, sizeof mem[q].hash, "%s", mrc == BG_OK ? m->config_hash : "");
                snprintf(mem[q].window, sizeof mem[q].window, "%s", win);
                if (mrc != BG_OK) {
                    model_free(m);
                    snprintf(mem[q].status, sizeof mem[q].status, "failed: %s", me.msg);
                    continue;
                }
                m->distributed = par_run_size() > 1; /* the set splits the grid */
                idx[k] = q;
                mp[k] = m;
                errs[k] = (BgErr){0};
                k++;
            }
            int same = 1;
            for (int i = 1; i < k; i++) same &= !strcmp(base_name(mp[i]->rc.restart), base_name(mp[0]->rc.restart));
            if (same || pass == 1) break;
            if (setroot) fprintf(stderr, "batch: the group's members stopped at different checkpoints: running them from the start\n");
            for (int i = 0; i < k; i++) model_free(mp[i]);
        }
        if (rc != BG_OK) break;
        for (int i = 0; i < k; i++) snprintf(mem[idx[i]].status, sizeof mem[idx[i]].status, "running");
        rc = write_manifest(dir, mem, nm, e);
        double w0 = omp_get_wtime();
        if (rc == BG_OK && k > 0) {
            if (setroot) {
                if (nsets > 1) fprintf(stderr, "[set %d] ", set);
                fprintf(stderr, "batch: running");
                for (int i = 0; i < k; i++) fprintf(stderr, " %s (%d of %d)", mem[idx[i]].name, idx[i] + 1, nm);
                fprintf(stderr, k > 1 ? " together" : "");
                if (nr / nsets > 1) fprintf(stderr, " on %d ranks", nr / nsets);
                fputc('\n', stderr);
            }
            BgErr ge = {0};
            model_run_group(mp, k, errs, &ge); /* a shared failure is in every errs[i] */
        }
        double wall = omp_get_wtime() - w0;
        int stopped = model_stop_requested();
        for (int i = 0; i < k; i++) {
            Member *mm = &mem[idx[i]];
            model_free(mp[i]);
            mm->wall_s += wall / k;
            if (stopped && errs[i].code) {
                /* a scheduler's SIGTERM: checkpoints written, the next batch resumes */
                snprintf(mm->status, sizeof mm->status, "running");
            } else if (!errs[i].code) {
                char odir[PATH_LEN + 80];
                snprintf(odir, sizeof odir, "%s/%s", dir, mm->name);
                snprintf(mm->status, sizeof mm->status, "done");
                if (setroot) {
                    dir_checksum(odir, mm->checksum);
                    fprintf(stderr, "batch: %s done (%.1f s wall for the group of %d)\n", mm->name, wall, k);
                }
            } else {
                /* one failed member does not stop the others */
                snprintf(mm->status, sizeof mm->status, "failed: %s", errs[i].msg);
            }
        }
        if (rc == BG_OK) rc = write_manifest(dir, mem, nm, e);
        if (rc == BG_OK && stopped)
            rc = bg_fail(e, BG_EFAIL, dir, NULL, "stopped by a signal after writing checkpoints; run the batch again to resume");
    }
    free(ms);
    free(mp);
    free(errs);
    free(idx);
    par_unsplit();
    /* every rank done: rank 0 merges the manifest parts and ranks */
    int bad = par_max_int(rc != BG_OK);
    if (nr > 1) {
        if (me != 0) {
            free(mem);
            free(sets);
            return rc;
        }
        read_manifest(dir, mem, nm);
        int wrc = write_manifest_rank(dir, mem, nm, -1, 1, e);
        if (wrc == BG_OK) remove_manifest_parts(dir);
        if (rc == BG_OK) rc = wrc;
        if (rc == BG_OK && bad) rc = bg_fail(e, BG_EFAIL, dir, NULL, "another MPI rank stopped or failed; run the batch again to resume");
    }
    int nfailed = 0;
    for (int q = 0; q < nm; q++) nfailed += !strncmp(mem[q].status, "failed", 6);
    if (rc == BG_OK) rc = rank_batch_dir(dir, NULL, e);
    if (rc == BG_OK && nfailed) {
        char list[1024] = "";
        for (int k = 0; k < nm; k++)
            if (!strncmp(mem[k].status, "failed", 6)) {
                strncat(list, " ", sizeof list - strlen(list) - 1);
                strncat(list, mem[k].name, sizeof list - strlen(list) - 1);
            }
        rc = bg_fail(e, BG_EFAIL, dir, NULL, "%d member(s) failed:%s (batch_manifest.csv has the reasons)", nfailed, list);
    }
    free(mem);
    free(sets);
    return rc;
}

/* ------------------------------------------------------------------ ranking */

/* Per-member quantities read back from its directory. */
typedef struct MemberData {
    MemberMetrics mm;
    double *pm25;        /* [ny*nx] period-mean surface PM2.5 */
    double *station;     /* [nst] period-mean PM2.5 per station */
    int ok;
} MemberData;

/* emission totals (t) by inventory species from budget.csv, inverting the speciation exactly:
 * NOx as NO2 mass from the moles of NO + NO2, VOC from ROC carbon moles (15.6 g VOC per mole C,
 * input/speciation.c), PM2.5 = PBC + POC + PPM (OM subtracted, the default speciation) */
static int read_emissions(const char *dir, MemberMetrics *mm, BgErr *e)
{
    char path[PATH_LEN + 200], line[1024];
    snprintf(path, sizeof path, "%s/budget.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open (member not finished?)");
    double kg[16] = {0};
    static const char *const sp[] = {"SO2", "NO", "NO2", "NH3", "ROC", "PBC", "POC", "PPM"};
    while (fgets(line, sizeof line, f)) {
        char *fld[12];
        if (csv_split(line, fld, 12) != 11) continue;
        for (int k = 0; k < 8; k++)
            if (!strcmp(fld[1], sp[k])) kg[k] += atof(fld[3]);
    }
    fclose(f);
    mm->emis_t[METRICS_SO2] = kg[0] * 1e-3;
    mm->emis_t[METRICS_NOX] = (kg[1] / 30.006 + kg[2] / 46.006) * 46.006 * 1e-3;
    mm->emis_t[METRICS_NH3] = kg[3] * 1e-3;
    mm->emis_t[METRICS_VOC] = kg[4] / 14.027 * 15.6 * 1e-3;
    mm->emis_t[METRICS_PM25] = (kg[5] + kg[6] + kg[7]) * 1e-3;
    return BG_OK;
}

/* daily_city.csv rows -> CityDay (the fields the metrics use) */
static int read_daily_city(const char *dir, CityDay **rows, int *n, BgErr *e)
{
    char path[PATH_LEN + 200], line[1024];
    snprintf(path, sizeof path, "%s/daily_city.csv", dir);
    *rows = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) return BG_OK; /* no [stations]: no city-days */
    int cap = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[13];
        if (csv_split(line, fld, 13) != 12 || !strcmp(fld[0], "city")) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            CityDay *r = realloc(*rows, (size_t)cap * sizeof *r);
            if (!r) { fclose(f); return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); }
            *rows = r;
        }
        CityDay *d = &(*rows)[(*n)++];
        memset(d, 0, sizeof *d);
        sscanf(fld[1], "%d-%d-%d", &d->year, &d->month, &d->day);
        d->pm25 = atof(fld[2]);
        d->o3_8h_max = fld[8][0] ? atof(fld[8]) : NAN;
        d->aqi = fld[9][0] ? atoi(fld[9]) : -1;
    }
    fclose(f);
    return BG_OK;
}

/* stations.csv: the period-mean PM25 of each station, in the order of ids (filled by the first
 * member when *nst == 0) */
static int read_stations(const char *dir, char ***ids, int *nst, double **mean, BgErr *e)
{
    char path[PATH_LEN + 200], line[1024];
    snprintf(path, sizeof path, "%s/stations.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return BG_OK;
    int first = *nst == 0;
    double sum[4096] = {0};
    int cnt[4096] = {0};
    while (fgets(line, sizeof line, f)) {
        char *fld[6];
        if (csv_split(line, fld, 6) != 5 || strcmp(fld[2], "PM25")) continue;
        int k = -1;
        for (int s = 0; s < *nst; s++)
            if (!strcmp((*ids)[s], fld[0])) k = s;
        if (k < 0 && first && *nst < 4096) {
            char **ni = realloc(*ids, (size_t)(*nst + 1) * sizeof *ni);
            if (!ni) { fclose(f); return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); }
            *ids = ni;
            (*ids)[*nst] = strdup(fld[0]);
            k = (*nst)++;
        }
        if (k < 0) continue;
        sum[k] += atof(fld[3]);
        cnt[k]++;
    }
    fclose(f);
    *mean = malloc((size_t)(*nst + 1) * sizeof **mean);
    if (!*mean) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    for (int s = 0; s < *nst; s++) (*mean)[s] = cnt[s] ? sum[s] / cnt[s] : NAN;
    return BG_OK;
}

int rank_batch_dir(const char *dir, const char *by, BgErr *e)
{
    char path[PATH_LEN + 64], line[PATH_LEN], gridfile[PATH_LEN] = "", cities[PATH_LEN] = "";
    char rank_by[96] = RANKING_DEFAULT_PRIMARY, popfile[PATH_LEN] = "";
    snprintf(path, sizeof path, "%s/batch_info.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open: not a batch directory");
    Member mem[MAX_MEMBERS];
    int nm = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "grid_file ", 10)) snprintf(gridfile, sizeof gridfile, "%s", line + 10);
        else if (!strncmp(line, "cities ", 7)) snprintf(cities, sizeof cities, "%s", line + 7);
        else if (!strncmp(line, "rank_by ", 8)) snprintf(rank_by, sizeof rank_by, "%.95s", line + 8);
        else if (!strncmp(line, "population_file ", 16)) snprintf(popfile, sizeof popfile, "%s", line + 16);
        else if (!strncmp(line, "member ", 7) && nm < MAX_MEMBERS) {
            memset(&mem[nm], 0, sizeof mem[nm]);
            if (sscanf(line + 7, "%63s %lf", mem[nm].name, &mem[nm].cost) == 2) nm++;
        }
    }
    fclose(f);
    if (nm < 1) return bg_fail(e, BG_EINPUT, path, NULL, "lists no member");
    Grid g = {0};
    int rc = grid_from_wrf(&g, gridfile, e);
    const size_t plane = (size_t)g.nx * g.ny;
    double *pop = rc == BG_OK ? calloc(plane, sizeof *pop) : NULL;
    MemberData *md = calloc((size_t)nm, sizeof *md);
    char **ids = NULL;
    int nst = 0;
    if (rc == BG_OK && (!pop || !md)) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    if (by && by[0]) snprintf(rank_by, sizeof rank_by, "%.95s", by);
    if (rc == BG_OK && popfile[0]) {
        rc = metrics_population_file(&g, popfile, pop, e);
    } else if (rc == BG_OK && cities[0]) {
        MetricsCity *mc = NULL;
        int nc = 0;
        rc = metrics_read_cities(cities, &mc, &nc, e);
        if (rc == BG_OK) rc = metrics_population_grid(&g, mc, nc, METRICS_POP_SIGMA_M, pop, e);
        free(mc);
    } else if (rc == BG_OK) {
        for (size_t c = 0; c < plane; c++) pop[c] = g.area[c]; /* no cities: an area mean */
    }
    for (int k = 0; k < nm && rc == BG_OK; k++) {
        char mdir[PATH_LEN + 80];
        snprintf(mdir, sizeof mdir, "%s/%.63s", dir, mem[k].name);
        MemberMetrics *mm = &md[k].mm;
        snprintf(mm->scenario, sizeof mm->scenario, "%.63s", mem[k].name);
        mm->cost_million_cny = mem[k].cost;
        md[k].pm25 = malloc(plane * sizeof *md[k].pm25);
        if (!md[k].pm25) { rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); break; }
        int nrec = 0;
        BgErr me = {0};
        if (metrics_read_pm25_mean(mdir, g.nx, g.ny, md[k].pm25, &nrec, &me) != BG_OK ||
            read_emissions(mdir, mm, &me) != BG_OK) {
            if (k == 0) rc = bg_fail(e, me.code, NULL, NULL, "baseline: %s", me.msg);
            else fprintf(stderr, "rank: %s left out: %s\n", mem[k].name, me.msg);
            continue;
        }
        mm->pwm_pm25 = metrics_pop_weighted_mean(md[k].pm25, pop, plane);
        CityDay *rows = NULL;
        int nrows = 0;
        rc = read_daily_city(mdir, &rows, &nrows, e);
        if (rc == BG_OK) metrics_city_days(rows, nrows, mm);
        free(rows);
        if (rc == BG_OK) rc = read_stations(mdir, &ids, &nst, &md[k].station, e);
        mm->nstation = nst;
        mm->station_pm25 = md[k].station;
        md[k].ok = rc == BG_OK;
    }
    /* members whose station lists came out shorter (none written) get NAN columns */
    for (int k = 0; k < nm && rc == BG_OK; k++)
        if (md[k].ok && md[k].mm.nstation != nst) {
            double *s = realloc(md[k].station, (size_t)(nst + 1) * sizeof *s);
            if (!s) { rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory"); break; }
            for (int i = md[k].mm.nstation; i < nst; i++) s[i] = NAN;
            md[k].station = s;
            md[k].mm.station_pm25 = s;
            md[k].mm.nstation = nst;
        }
    MemberMetrics *scen = calloc((size_t)nm + 1, sizeof *scen);
    int ns = 0;
    for (int k = 1; k < nm && scen; k++)
        if (md[k].ok) scen[ns++] = md[k].mm;
    Ranking r;
    memset(&r, 0, sizeof r);
    if (rc == BG_OK && !scen) rc = bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    if (rc == BG_OK) rc = ranking_compute(&md[0].mm, scen, ns, (const char *const *)ids, nst, rank_by, &r, e);
    if (rc == BG_OK) rc = ranking_write(&r, dir, e);
    /* figures: the PM2.5 change of every scenario, and the ranked benefits */
    FigMarker *mk = NULL;
    int nmk = 0;
    if (rc == BG_OK && cities[0]) {
        MetricsCity *mc = NULL;
        int nc = 0;
        if (metrics_read_cities(cities, &mc, &nc, e) == BG_OK) {
            mk = calloc((size_t)nc + 1, sizeof *mk);
            for (int c = 0; mk && c < nc; c++) {
                double fi, fj;
                if (grid_locate(&g, mc[c].lon, mc[c].lat, &fi, &fj) == 0 && fi >= -0.5 && fj >= -0.5 &&
                    fi <= g.nx - 0.5 && fj <= g.ny - 0.5) {
                    mk[nmk].name = strdup(mc[c].name);
                    mk[nmk].fi = fi;
                    mk[nmk++].fj = fj;
                }
            }
        }
        free(mc);
    }
    double *d = rc == BG_OK ? malloc(plane * sizeof *d) : NULL;
    for (int k = 1; d && k < nm && rc == BG_OK; k++) {
        if (!md[k].ok) {
            /* a member left out of this ranking keeps no map of an earlier one beside it */
            char stale[PATH_LEN + 160];
            snprintf(stale, sizeof stale, "%s/dpm25_%s.png", dir, mem[k].name);
            remove(stale);
            continue;
        }
        for (size_t c = 0; c < plane; c++) d[c] = md[k].pm25[c] - md[0].pm25[c];
        char png[PATH_LEN + 160], title[200];
        snprintf(png, sizeof png, "%s/dpm25_%s.png", dir, mem[k].name);
        snprintf(title, sizeof title, "PM2.5 change, %s minus baseline (period mean)", mem[k].name);
        FigMapSpec spec = {900, 620, title, "ug m-3", 0, 0, 1};
        rc = fig_map_png(png, d, g.nx, g.ny, mk, nmk, &spec, e);
    }
    if (rc == BG_OK && r.n > 0) {
        const char **labels = calloc((size_t)r.n, sizeof *labels);
        double *vals = calloc((size_t)r.n, sizeof *vals);
        for (int i = 0; labels && vals && i < r.n; i++) {
            labels[i] = r.rows[i].scenario;
            vals[i] = r.rows[i].d_pwm_pm25;
        }
        char png[PATH_LEN + 64];
        snprintf(png, sizeof png, "%s/ranking.png", dir);
        if (labels && vals)
            rc = fig_bars_png(png, labels, vals, r.n, "Change in population-weighted PM2.5 (scenario - baseline)",
                              "ug m-3", 900, 120 + 60 * r.n, e);
        free(labels);
        free(vals);
    }
    if (rc == BG_OK) ranking_print_terminal(&r, stdout);
    free(d);
    for (int i = 0; i < nmk; i++) free((char *)mk[i].name);
    free(mk);
    ranking_free(&r);
    free(scen);
    for (int k = 0; md && k < nm; k++) {
        free(md[k].pm25);
        free(md[k].station);
    }
    free(md);
    for (int s = 0; s < nst; s++) free(ids[s]);
    free(ids);
    free(pop);
    grid_free(&g);
    return rc;
}

int rank_main(int argc, char **argv, BgErr *e)
{
    const char *dir = NULL, *by = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(rank_usage, stdout);
            return BG_OK;
        } else if (!strcmp(argv[i], "--by") && i + 1 < argc) {
            by = argv[++i];
        } else if (argv[i][0] == '-' || dir) {
            return bg_fail(e, BG_ECONFIG, "rank", argv[i], "unexpected argument\n%s", rank_usage);
        } else {
            dir = argv[i];
        }
    }
    if (!dir) return bg_fail(e, BG_ECONFIG, "rank", NULL, "expected one BATCHDIR\n%s", rank_usage);
    return rank_batch_dir(dir, by, e);
}
