/* lab_report.h - what a sweep, a study or a single run directory looks like to a person: charts
 * (SVG files and the terminal), tables, a conclusion computed from the numbers, and one
 * self-contained report.html. Reports only read what runs wrote. */
#ifndef WU_LAB_REPORT_H
#define WU_LAB_REPORT_H

#include <stdio.h>

#include "../lab/sweep.h"
#include "chart.h"
#include "heatmap.h"

/* Where terminal output goes: f NULL prints nothing; mode WU_TTY_BRAILLE or WU_TTY_ASCII. */
typedef struct wu_term {
    FILE *f;
    int cols, mode, color;
} wu_term;

/* Write dir/name as a standalone SVG of the chart c, or (c NULL) the heatmap hm, atomically. */
int wu_report_svg(const char *dir, const char *name, const wu_chart *c, const wu_heatmap *hm,
                  int w, int h, wu_error *err);

/* The "How to rerun" section of a report: the command, and what rerunning does. */
void wu_report_rerun(FILE *f, const char *command);

/* A sweep: results.csv, loss-vs-lr.svg, heatmap.svg, sensitivity.svg and report.html in s->dir;
 * on the terminal the charts, the table of final losses and the conclusion. `command` is how
 * the sweep was started (shown as "how to rerun"). Runs not finished yet are reported as such. */
int wu_report_sweep(const wu_sweep *s, const wu_lab_run *runs, const char *command,
                    const wu_term *t, wu_error *err);

/* The conclusion of a sweep, from its numbers (also used by the lr-range study). */
void wu_sweep_conclusion(const wu_sweep *s, const wu_sweep_result *r, char *out, size_t n);

/* Runs that are not a sweep or a study: dir itself (a run directory: n == 0) or its
 * subdirectories names[0..n-1] (any folder of runs, e.g. a demo made before the demo wrote its
 * plan). dir/report.html gets the loss,
 * LR, gradient norm, update/weight ratio and Adam second-moment charts with one line per run,
 * the table of results, each run's configuration and how to rerun it. */
int wu_report_runs(const char *dir, char *const *names, int n, wu_error *err);

#endif
