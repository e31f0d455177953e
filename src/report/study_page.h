/* study_page.h - the common frame of a study's report (study_page.c) and the studies' renderers
 * (study_report.c). */
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
    double lx[2][64], ly[2][64];                        /* layernorm: gradient norm per layer */
    int ndata;
} wu_page;

/* Read column col of run r's metrics.csv into a series named label: the first first_n rows (0:
 * all), smoothed by an EMA of weight ema (0: raw), x (the step) multiplied by xscale. A run that
 * has not run yet gives an empty series. The data belongs to p (wu_page_free). */
int wu_page_curve(wu_page *p, const wu_lab_run *r, wu_metric col, double ema, double xscale,
                  int first_n, wu_series *out, const char *label, wu_error *err);
void wu_page_free(wu_page *p);

/* Print the charts, the table of runs, the expectation and the conclusion to t; write the
 * charts' SVG files, report.html and study.json into s->dir. */
int wu_page_emit(const wu_study *s, const wu_page *p, const char *command, const wu_term *t,
                 wu_error *err);

/* DIR/study.json: the study's name, size and seed (what a rerun must match), the command, the
 * runs, and the conclusion (NULL before the runs finish). */
int wu_study_json(const wu_study *s, const char *command, const char *conclusion, wu_error *err);

/* Render a planned study whose runs are done (or partly done): charts, conclusion, files. */
int wu_report_study(wu_study *s, const char *command, const wu_term *t, wu_error *err);

#endif
