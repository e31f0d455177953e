/* study_page.h - the common frame of a study's report (study_page.c), the studies' renderers
 * (study_report.c, demo_report.c) and the registry of the studies. Every renderer reads a plan
 * that wu_study_read() got from DIR/study.json and the runs' own files: nothing is re-planned,
 * trained or measured here. */
#ifndef WU_STUDY_PAGE_H
#define WU_STUDY_PAGE_H

#include "../lab/study.h"
#include "lab_report.h"
#include "metrics.h"

#define WU_PAGE_MAX_CHARTS 6
#define WU_PAGE_MAX_DATA 96

typedef struct wu_page {
    const char *title;          /* short: "large batches" */
    char intro[1200];           /* what was run */
    const char *claim, *source; /* the literature's expectation, and where it comes from */
    char conclusion[3000];      /* what was measured, and whether the expectation held */
    wu_chart charts[WU_PAGE_MAX_CHARTS];
    const char *files[WU_PAGE_MAX_CHARTS]; /* SVG file names in the study directory */
    int tty_rows[WU_PAGE_MAX_CHARTS];
    int ncharts;
    wu_series series[WU_PAGE_MAX_CHARTS][WU_STUDY_MAX]; /* storage for the charts' series */
    wu_series_data data[WU_PAGE_MAX_DATA];              /* curves read from metrics.csv (owned) */
    double gx[8][WU_STUDY_MAX], gy[8][WU_STUDY_MAX];    /* points of "final loss against LR" */
    unsigned char gflag[8][WU_STUDY_MAX];
    char gname[8][64];
    double lx[64];                                      /* layer numbers 1, 2, ... */
    int ndata;
} wu_page;

/* Read column col of run r's metrics.csv into a series named label: the first first_n rows (0:
 * all), smoothed by an EMA of weight ema (0: raw), x (the step) multiplied by xscale. A run that
 * has not run yet gives an empty series. The data belongs to p (wu_page_free). */
int wu_page_curve(wu_page *p, const wu_lab_run *r, wu_metric col, double ema, double xscale,
                  int first_n, wu_series *out, const char *label, wu_error *err);
void wu_page_free(wu_page *p);

/* Print the charts, the table of runs, the expectation and the conclusion to t; write the
 * charts' SVG files, report.html and conclusion.txt into s->dir. */
int wu_page_emit(const wu_study *s, const wu_page *p, const wu_term *t, wu_error *err);

/* DIR/conclusion.txt: the conclusion a report computed, one paragraph. Atomic. */
int wu_page_conclusion(const char *dir, const char *conclusion, wu_error *err);

/* The registry: every study that `warmup study NAME` runs and `warmup report DIR` renders, and
 * the demo (plan NULL: `warmup demo` plans it from its options). It lives here, in the report
 * layer, because a row joins a plan and a measurement of the lab (layer below) with a renderer
 * of this layer: the lab cannot see the renderers, so no lower table could hold both. */
typedef struct wu_study_kind {
    const char *name;
    const char *claim;                            /* one line: what it measures, after whom */
    int (*plan)(wu_study *s, wu_error *err);      /* lab: the runs (after wu_study_init) */
    int (*measure)(wu_study *s, wu_error *err);   /* lab: measured before the runs, or NULL */
    int (*render)(const wu_study *s, const wu_term *t, wu_error *err); /* from files alone */
    int spreads; /* 1: its large-batch runs may train on several MPI ranks (study --ranks) */
} wu_study_kind;

extern const wu_study_kind wu_studies[]; /* ends with a row whose name is NULL */

/* The row of study `name`, or NULL. */
const wu_study_kind *wu_study_find(const char *name);

/* An adaptive study's next round (stable-lr's bisection): the lab function that, once all of
 * s's runs have finished, appends the next runs to s (the caller writes study.json and runs
 * them) and returns how many (0: done) or a negative WU_E* code; NULL for a study whose plan is
 * static. An adaptive study cannot be split into cells (its runs depend on earlier results). */
typedef int (*wu_study_next)(wu_study *s, wu_error *err);
wu_study_next wu_study_next_round(const char *name);

/* The studies `warmup study` runs, as "a, b, c or d" (for messages). */
void wu_study_names(char *out, size_t n);

/* Render DIR from DIR/study.json and its runs' files alone: the runs' summaries are read, then
 * the study's renderer writes the page (and prints to t when t->f). */
int wu_report_study_dir(const char *dir, const wu_term *t, wu_error *err);

/* issue 18: fill the auto-warmup study's page (study_auto_report.c); study_report.c's page()
 * says what has not finished and emits it, as for every study on the common page. */
int wu_fill_auto_warmup(const wu_study *s, wu_page *p, wu_error *err);

/* The demo's page (demo_report.c): loss.svg, lr.svg, summary.json, report.html, and on t the
 * charts, the table and the conclusion. */
int wu_report_demo(const wu_study *s, const wu_term *t, wu_error *err);

#endif
