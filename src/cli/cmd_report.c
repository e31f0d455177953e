/* cmd_report.c - `warmup report DIR`: one self-contained HTML page from a run, a sweep, a study
 * (or a demo: its plan is a study.json too) or a folder of runs, redrawn from the files the
 * runs wrote. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../report/study_page.h"
#include "cells.h"
#include "cli.h"

static const char HELP[] =
    "usage: warmup report DIR\n"
    "\n"
    "Write DIR/report.html: one self-contained page (inline SVG charts, no external file) with the\n"
    "charts, tables, configurations and how to rerun, from what is in DIR:\n"
    "  a study (study.json)   its charts, the literature's expectation and what was measured\n"
    "                         (the demo's page for a demo), from the plan in study.json\n"
    "  a sweep (sweep.json)   final loss against LR, the heatmap, LR sensitivity\n"
    "  a run (summary.json)   loss, LR, gradient norm, update ratio, Adam's v\n"
    "  a folder of runs       the same charts with one line per run\n"
    "Unfinished runs are shown as such. Exit status: 0 written, 2 bad usage or input.\n";

static int exists(const char *dir, const char *file)
{
    char p[1100];
    if (snprintf(p, sizeof p, "%s/%s", dir, file) >= (int)sizeof p) return 0;
    return access(p, R_OK) == 0;
}

static int report_study(const char *dir, wu_error *err)
{
    if (wu_report_study_dir(dir, NULL, err) != WU_OK) return cli_engine_error(NULL, err->msg);
    /* the runs still to run, by index (warmup study NAME ... --cell I) and name */
    wu_study *s = calloc(1, sizeof *s);
    if (s && wu_study_read(dir, s, err) == WU_OK) {
        cli_cells_read(s->runs, s->n);
        cli_cells_missing(s->runs, s->n, "runs", "study");
    }
    free(s);
    return 0;
}

static int report_sweep(const char *dir, wu_error *err)
{
    wu_sweep *s = calloc(1, sizeof *s);
    wu_lab_run *runs = NULL;
    int n = 0, rc;
    char command[2048];
    if (!s) return cli_error("out of memory");
    rc = wu_sweep_load(s, dir, command, sizeof command, err);
    if (rc == WU_OK) rc = wu_sweep_runs(s, &runs, &n, err);
    if (rc == WU_OK) cli_cells_read(runs, n);
    if (rc == WU_OK) rc = wu_report_sweep(s, runs, command, NULL, err);
    /* the cells still to run, by index (warmup sweep ... --cell I) and name */
    if (rc == WU_OK) cli_cells_missing(runs, n, "cells", "sweep");
    free(runs);
    free(s);
    return rc == WU_OK ? 0 : cli_engine_error(NULL, err->msg);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Subdirectories of dir that hold a run summary, sorted. */
static int report_folder(const char *dir, wu_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return cli_error("cannot read %s: %s", dir, strerror(errno));
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        char sub[1024];
        if (e->d_name[0] == '.') continue;
        if (snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name) >= (int)sizeof sub) continue;
        if (exists(sub, "summary.json") && exists(sub, "metrics.csv")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    int rc = 0;
    if (n == 0)
        rc = cli_error("%s holds no run, sweep or study: expected summary.json, sweep.json, "
                       "study.json, or subdirectories with a summary.json (made by warmup train, "
                       "sweep, study or demo)", dir);
    else {
        qsort(names, (size_t)n, sizeof *names, by_name);
        if (wu_report_runs(dir, names, n, err) != WU_OK) rc = cli_engine_error(NULL, err->msg);
    }
    for (int i = 0; i < n; i++) free(names[i]);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int ch;
    opterr = 0;
    optind = 0; /* 0: a full reset of getopt, also after a scan that stopped early */
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (ch == 'h') {
            fputs(HELP, stdout);
            return WU_EXIT_OK;
        }
        return cli_error("report: unknown option '%s' (see 'warmup report --help')", argv[optind - 1]);
    }
    if (optind >= argc) return cli_error("report: which directory? (warmup report DIR)");
    if (optind + 1 < argc) return cli_error("report: unexpected argument '%s'", argv[optind + 1]);
    const char *dir = argv[optind];
    if (cli_parse_only) return WU_EXIT_OK;
    struct stat sb;
    if (stat(dir, &sb) != 0) return cli_error("report: %s: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return cli_error("report: %s is not a directory", dir);
    wu_error err;
    int rc;
    if (exists(dir, "study.json")) rc = report_study(dir, &err);
    else if (exists(dir, "sweep.json")) rc = report_sweep(dir, &err);
    else if (exists(dir, "summary.json") && exists(dir, "metrics.csv"))
        rc = wu_report_runs(dir, NULL, 0, &err) == WU_OK ? 0 : cli_engine_error(NULL, err.msg);
    else rc = report_folder(dir, &err);
    if (rc == 0) printf("%s/report.html\n", dir);
    return rc;
}
