/* study_page.c - what every study's report has in common: curves read from its runs, the table
 * of runs, the terminal output, the SVG files, report.html and conclusion.txt. The studies
 * themselves (study_report.c) only choose charts and compute their conclusions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "../util/outfile.h"
#include "html.h"
#include "metrics.h"
#include "study_page.h"

int wu_page_curve(wu_page *p, const wu_lab_run *r, wu_metric col, double ema, double xscale,
                  int first_n, wu_series *out, const char *label, wu_error *err)
{
    if (p->ndata == WU_PAGE_MAX_DATA) return wu_fail(err, WU_ERANGE, "too many curves in one report");
    wu_series_data *d = &p->data[p->ndata];
    char path[700];
    snprintf(path, sizeof path, "%s/metrics.csv", r->c.out);
    *out = (wu_series){.name = label, .mark_x = NAN};
    if (r->s.status == WU_RUN_MISSING) return WU_OK; /* not run yet: an empty curve */
    int rc = wu_metrics_column(path, col, d, err);
    if (rc != WU_OK) return rc;
    p->ndata++;
    if (first_n > 0 && d->n > first_n) d->n = first_n;
    if (ema > 0) wu_series_ema(d, ema);
    for (int i = 0; i < d->n; i++) d->x[i] *= xscale;
    *out = (wu_series){.name = label, .x = d->x, .y = d->y, .n = d->n, .mark_x = NAN};
    return WU_OK;
}

void wu_page_free(wu_page *p)
{
    for (int i = 0; i < p->ndata; i++) wu_series_data_free(&p->data[i]);
    p->ndata = 0;
}

/* The table of runs: label, optimizer, LR, batch, steps, schedule, final loss, status. */
static int table(const wu_study *s, char (**buf)[64], const char ***cells)
{
    enum { NC = 8 };
    *buf = calloc((size_t)s->n * NC, sizeof **buf);
    *cells = calloc((size_t)s->n * NC, sizeof **cells);
    if (!*buf || !*cells) return -1;
    for (int i = 0; i < s->n; i++) {
        const wu_lab_run *r = &s->runs[i];
        char (*b)[64] = *buf + i * NC;
        double sc = wu_run_score(&r->s);
        snprintf(b[0], 64, "%s", s->arm[i].label);
        snprintf(b[1], 64, "%s", r->c.optimizer);
        snprintf(b[2], 64, "%g", r->c.lr);
        snprintf(b[3], 64, "%d", r->c.batch);
        snprintf(b[4], 64, "%lld", (long long)r->c.steps);
        snprintf(b[5], 64, "%.63s", r->c.schedule);
        if (isfinite(sc)) snprintf(b[6], 64, "%.4f", sc);
        else snprintf(b[6], 64, "-");
        snprintf(b[7], 64, "%s", r->s.status == WU_RUN_COMPLETED ? "completed"
                               : r->s.status == WU_RUN_DIVERGED ? "diverged"
                               : r->s.status == WU_RUN_INTERRUPTED ? "interrupted" : "not run");
        if (r->s.status == WU_RUN_DIVERGED)
            snprintf(b[7], 64, "diverged at step %lld", (long long)r->s.diverged_at);
        for (int k = 0; k < NC; k++) (*cells)[i * NC + k] = b[k];
    }
    return NC;
}

int wu_page_conclusion(const char *dir, const char *conclusion, wu_error *err)
{
    char path[700];
    wu_outfile o;
    snprintf(path, sizeof path, "%s/conclusion.txt", dir);
    if (wu_outfile_open(&o, path, err)) return err->code;
    fprintf(o.f, "%s\n", conclusion);
    if (wu_outfile_commit(&o, err)) return err->code;
    return WU_OK;
}

int wu_page_emit(const wu_study *s, const wu_page *p, const wu_term *t, wu_error *err)
{
    static const char *const head[8] = {"run", "optimizer", "LR", "batch", "steps", "schedule",
                                        "final loss", "status"};
    char (*buf)[64] = NULL;
    const char **cells = NULL;
    int rc = WU_OK;
    if (table(s, &buf, &cells) < 0) {
        free(buf), free(cells);
        return wu_fail(err, WU_ENOMEM, "out of memory");
    }
    if (t && t->f) {
        for (int i = 0; i < p->ncharts; i++) {
            fputc('\n', t->f);
            wu_chart_tty(t->f, &p->charts[i], t->cols, p->tty_rows[i] ? p->tty_rows[i] : 12,
                         t->mode, t->color);
        }
        fprintf(t->f, "\n%-44s %10s %-22s\n", "run", "final loss", "status");
        for (int i = 0; i < s->n; i++)
            fprintf(t->f, "%-44.44s %10s %-22s\n", cells[i * 8], cells[i * 8 + 6], cells[i * 8 + 7]);
        fprintf(t->f, "\nExpected (%s): %s\n\nMeasured: %s\n", p->source, p->claim, p->conclusion);
    }
    for (int i = 0; i < p->ncharts && rc == WU_OK; i++)
        rc = wu_report_svg(s->dir, p->files[i], &p->charts[i], NULL, 800, 450, err);
    if (rc == WU_OK) rc = wu_page_conclusion(s->dir, p->conclusion, err);
    char path[700];
    wu_outfile o;
    snprintf(path, sizeof path, "%s/report.html", s->dir);
    if (rc == WU_OK && wu_outfile_open(&o, path, err)) rc = err->code;
    if (rc == WU_OK) {
        /* titled by the study: its own title first (what a browser tab shows), then its name
           as `warmup study NAME` takes it */
        char title[160];
        snprintf(title, sizeof title, "%c%s (warmup study %s)",
                 p->title[0] >= 'a' && p->title[0] <= 'z' ? p->title[0] - 'a' + 'A' : p->title[0],
                 p->title[0] ? p->title + 1 : "", s->name);
        wu_html_begin(o.f, title);
        wu_html_paragraph(o.f, p->intro);
        wu_html_heading(o.f, 2, "What the literature expects");
        char claim[1200];
        snprintf(claim, sizeof claim, "%s (%s)", p->claim, p->source);
        wu_html_paragraph(o.f, claim);
        wu_html_heading(o.f, 2, "What this run measured");
        wu_html_paragraph(o.f, p->conclusion);
        for (int i = 0; i < p->ncharts; i++) wu_html_chart(o.f, &p->charts[i], 800, 450);
        wu_html_heading(o.f, 2, "The runs");
        wu_html_table(o.f, head, 8, cells, s->n);
        wu_html_paragraph(o.f, "The final loss is the validation loss at the end of a run (the "
                               "last training loss when a run has no validation). Each run's "
                               "metrics.csv and summary.json (with its full configuration) are "
                               "in its directory next to this page.");
        wu_report_rerun(o.f, s->command);
        wu_html_end(o.f);
        if (wu_outfile_commit(&o, err)) rc = err->code;
    }
    free(buf), free(cells);
    return rc;
}
