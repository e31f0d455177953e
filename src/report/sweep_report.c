/* sweep_report.c - the LR x warmup sweep, drawn and explained: final loss against LR, the
 * heatmap, LR sensitivity against warmup length, the tables and the conclusion. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/fail.h"
#include "../util/outfile.h"
#include "../train/config.h"
#include "html.h"
#include "lab_report.h"

int wu_report_svg(const char *dir, const char *name, const wu_chart *c, const wu_heatmap *hm,
                  int w, int h, wu_error *err)
{
    char path[700];
    wu_outfile o;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (wu_outfile_open(&o, path, err)) return err->code;
    if (c) wu_chart_svg(o.f, c, w, h);
    else wu_heatmap_svg(o.f, hm, w, h);
    if (wu_outfile_commit(&o, err)) return err->code;
    return WU_OK;
}

/* "layers 4, heads 4, dim 128, seq 64": the architecture fields of c's model (which = 0), or
 * the fields that apply to its optimizer only (which = 1), from the field table. */
static void specific(const wu_train_config *c, int which, char *out, size_t n)
{
    size_t u = 0;
    out[0] = '\0';
    for (int i = 0; i < wu_cfg_nfields && u < n; i++) {
        const wu_cfg_field *f = &wu_cfg_fields[i];
        if ((which ? f->optims == WU_CFG_ANY_OPT : !(f->flags & WU_CFG_ARCH)) ||
            !wu_cfg_applies(f, c))
            continue;
        char v[600];
        wu_cfg_format(f, c, v, sizeof v);
        if (f->type == WU_CFG_BOOL) {
            if (v[0] == '1') u += (size_t)snprintf(out + u, n - u, "%s%s", u ? ", " : "", f->name);
            continue;
        }
        if (f->type == WU_CFG_DOUBLE) {
            double d;
            memcpy(&d, (const char *)c + f->offset, sizeof d);
            snprintf(v, sizeof v, "%g", d);
        }
        u += (size_t)snprintf(out + u, n - u, "%s%s %s", u ? ", " : "", f->name, v);
    }
}

void wu_report_rerun(FILE *f, const char *command)
{
    wu_html_heading(f, 2, "How to rerun");
    wu_html_pre(f, command);
    wu_html_paragraph(f, "Rerunning the same command skips finished runs and resumes interrupted "
                         "ones; 'warmup report DIR' redraws this page from the runs.");
}

void wu_sweep_conclusion(const wu_sweep *s, const wu_sweep_result *r, char *out, size_t n)
{
    size_t u = 0;
#define SAY(...) u += (size_t)snprintf(out + u, u < n ? n - u : 0, __VA_ARGS__)
    out[0] = '\0';
    int bw = -1, bl = -1;
    for (int w = 0; w < s->nwarm; w++)
        if (r->best_lr[w] >= 0 && (bw < 0 || r->best[w] < r->best[bw])) bw = w, bl = r->best_lr[w];
    if (bw < 0) {
        SAY("No run has finished yet.");
        return;
    }
    SAY("The lowest final loss, %.3f, came at LR %g with warmup %s. ", r->best[bw], s->lrs[bl],
        s->warmups[bw]);
    /* the shortest and the longest warmup of the grid, by fraction of the run */
    int lo = 0, hi = 0;
    for (int w = 1; w < s->nwarm; w++) {
        if (wu_sweep_warm_frac(s, w) < wu_sweep_warm_frac(s, lo)) lo = w;
        if (wu_sweep_warm_frac(s, w) > wu_sweep_warm_frac(s, hi)) hi = w;
    }
    for (int w = 0; w < s->nwarm; w++) {
        int div = 0, fin = 0;
        for (int l = 0; l < s->nlr; l++) div += r->cell[w][l].diverged, fin += r->cell[w][l].finished;
        if (div) SAY("With warmup %s, %d of %d runs diverged. ", s->warmups[w], div, fin);
    }
    /* rows compare only when complete: a row missing its high-LR cells would look robust */
    int complete = 1;
    for (int l = 0; l < s->nlr; l++)
        complete &= r->cell[lo][l].finished == s->seeds && r->cell[hi][l].finished == s->seeds;
    if (lo != hi && !complete)
        SAY("Warmups %s and %s are compared when their rows are complete. ", s->warmups[lo],
            s->warmups[hi]);
    if (lo != hi && complete && isfinite(r->sensitivity[lo]) && isfinite(r->sensitivity[hi])) {
        double a = r->sensitivity[lo], b = r->sensitivity[hi];
        SAY("LR sensitivity (Wortsman et al. 2023: the mean excess of the final loss over the best "
            "LR, diverged runs counted at the initial loss) was %.3f with warmup %s and %.3f with "
            "warmup %s. ", a, s->warmups[lo], b, s->warmups[hi]);
        /* with seeds, a difference counts when the seeds' mean +/- sd ranges do not overlap */
        int noisy = s->seeds > 1 && isfinite(r->sens_sd[lo]) && isfinite(r->sens_sd[hi]) &&
                    r->sens_mean[lo] - r->sens_sd[lo] <= r->sens_mean[hi] + r->sens_sd[hi];
        if (b < 0.8 * a && noisy)
            SAY("It was %.0f%% lower with the longer warmup, but within the seed noise: seed by "
                "seed %.3f +/- %.3f against %.3f +/- %.3f (mean +/- sd), ranges that overlap.",
                100 * (a - b) / (a > 0 ? a : 1), r->sens_mean[lo], r->sens_sd[lo],
                r->sens_mean[hi], r->sens_sd[hi]);
        else if (b < 0.8 * a)
            SAY("As the literature expects, the longer warmup made the final loss less sensitive to "
                "the LR (%.0f%% lower).", 100 * (a - b) / (a > 0 ? a : 1));
        else if (b <= 1.05 * a)
            SAY("The literature expects warmup to lower LR sensitivity; here the difference is "
                "small (under 20%%), so this grid does not show it clearly.");
        else
            SAY("The literature expects warmup to lower LR sensitivity; here it did not: the longer "
                "warmup was more sensitive. Try higher LRs, where training without warmup "
                "becomes unstable.");
    }
    /* warmup is about stability at high LRs: the excess over each row's best at the LRs from
       that best up, where the low LRs (too few steps for any warmup) cannot dominate; seed by
       seed, so that the difference is weighed against the seeds' spread */
    if (lo != hi && complete && isfinite(r->high_mean[lo]) && isfinite(r->high_mean[hi])) {
        int rows[2] = {lo, hi}, many = s->seeds > 1;
        SAY(" At and above each row's best LR, where instability lives, the final loss exceeded "
            "the row's best by");
        for (int k = 0; k < 2; k++) {
            int w = rows[k];
            char sd[2][32] = {"", ""};
            if (many) {
                snprintf(sd[0], sizeof sd[0], " +/- %.3f", r->high_sd[w]);
                snprintf(sd[1], sizeof sd[1], " +/- %.3f", r->high_max_sd[w]);
            }
            SAY("%s %.3f%s on average and %.3f%s at most with warmup %s (LRs %g to %g)",
                k ? "; by" : "", r->high_mean[w], sd[0], r->high_max_mean[w], sd[1],
                s->warmups[w], s->lrs[r->best_lr[w]], s->lrs[s->nlr - 1]);
        }
        for (int k = 0; k < 2; k++)
            if (r->best_lr[rows[k]] == s->nlr - 1)
                SAY(" (warmup %s's best LR is the largest of the grid: there is nothing above it "
                    "to measure)", s->warmups[rows[k]]);
        double a = r->high_mean[lo], b = r->high_mean[hi];
        if (!many)
            SAY(" (one seed: a difference of a few hundredths of a nat is within the noise; "
                "three seeds give the spread).");
        else {
            double sa = r->high_sd[lo], sb = r->high_sd[hi];
            SAY(" (mean +/- sd over %d seeds). ", s->seeds);
            if (a - sa > b + sb)
                SAY("Warmup %s lowered the LR sensitivity at high LRs beyond the seed noise "
                    "(%.3f lower; the mean +/- sd ranges do not overlap).", s->warmups[hi], a - b);
            else if (b - sb > a + sa)
                SAY("Warmup %s raised the LR sensitivity at high LRs beyond the seed noise (%.3f "
                    "higher), against the literature's expectation.", s->warmups[hi], b - a);
            else
                SAY("The difference (%+.3f) is within the seed noise: the mean +/- sd ranges "
                    "overlap, so these seeds do not show warmup lowering the LR sensitivity at "
                    "high LRs.", b - a);
        }
    }
    if (r->unfinished) SAY(" (%d runs have not finished: rerun the sweep to complete them.)", r->unfinished);
#undef SAY
}

/* The cells' texts of the per-cell table: warmup, lr, loss, diverged seeds. */
static void cell_text(char *buf, size_t n, const wu_sweep_cell *c)
{
    if (!c->finished) snprintf(buf, n, "-");
    else if (c->diverged == c->finished) snprintf(buf, n, "diverged");
    else if (c->diverged) snprintf(buf, n, "%.3f (%d/%d diverged)", c->score, c->diverged, c->finished);
    else snprintf(buf, n, "%.3f", c->score);
}

/* The LR sensitivity of row w for the tables: a number only when the row is complete, else
 * "-" (nothing finished) or "k/n LRs" (left out until the row is complete). Returns buf. */
static const char *sens_text(char *buf, size_t n, const wu_sweep_result *r, const wu_sweep *s,
                             int w)
{
    if (isfinite(r->sensitivity[w])) snprintf(buf, n, "%.3f", r->sensitivity[w]);
    else if (r->lrs_done[w] > 0) snprintf(buf, n, "%d/%d LRs", r->lrs_done[w], s->nlr);
    else snprintf(buf, n, "-");
    return buf;
}

int wu_report_sweep(const wu_sweep *s, const wu_lab_run *runs, const char *command,
                    const wu_term *t, wu_error *err)
{
    int rc;
    if ((rc = wu_sweep_results_csv(s, runs, err)) != WU_OK) return rc;
    wu_sweep_result *r = malloc(sizeof *r);
    if (!r) return wu_fail(err, WU_ENOMEM, "out of memory");
    wu_sweep_analyse(s, runs, r);
    if ((rc = wu_sweep_sensitivity_csv(s, r, err)) != WU_OK) {
        free(r);
        return rc;
    }
    const int W = s->nwarm, L = s->nlr;

    /* 1. final loss against LR, one line per warmup, diverged cells flagged */
    double y[WU_SWEEP_MAX][WU_SWEEP_MAX], hv[WU_SWEEP_MAX * WU_SWEEP_MAX];
    unsigned char flag[WU_SWEEP_MAX][WU_SWEEP_MAX];
    char names[WU_SWEEP_MAX][48];
    wu_series ser[WU_SWEEP_MAX];
    for (int w = 0; w < W; w++) {
        snprintf(names[w], sizeof names[w], "warmup %s", s->warmups[w]);
        for (int l = 0; l < L; l++) {
            const wu_sweep_cell *c = &r->cell[w][l];
            y[w][l] = c->finished ? c->score : NAN;
            flag[w][l] = c->diverged > 0;
            hv[w * L + l] = c->finished && c->diverged < c->finished ? c->score : NAN;
        }
        ser[w] = (wu_series){.name = names[w], .x = s->lrs, .y = y[w], .n = L, .mark_x = NAN,
                             .style = WU_STYLE_POINTS, .flag = flag[w]};
    }
    char title[160];
    snprintf(title, sizeof title, "Final loss against peak LR (%lld steps; x: a run diverged)",
             (long long)s->base.steps);
    wu_chart lc = {.title = title, .xlabel = "peak LR", .ylabel = "final loss (nats)", .series = ser,
                   .nseries = W, .log_x = 1, .flag_label = "diverged"};
    /* 2. the heatmap */
    char lrl[WU_SWEEP_MAX][16];
    const char *cols[WU_SWEEP_MAX], *rows[WU_SWEEP_MAX];
    for (int l = 0; l < L; l++) snprintf(lrl[l], sizeof lrl[l], "%g", s->lrs[l]), cols[l] = lrl[l];
    for (int w = 0; w < W; w++) rows[w] = s->warmups[w];
    wu_heatmap hm = {.title = "Final loss by LR and warmup length", .xlabel = "peak LR",
                     .ylabel = "warmup", .ncols = L, .nrows = W, .col_labels = cols,
                     .row_labels = rows, .v = hv,
                     .nan_label = r->unfinished ? "diverged, or not run yet" : "diverged",
                     .low_is_good = 1};
    /* 3. LR sensitivity against warmup length, in warmup order */
    double sx[WU_SWEEP_MAX], sy[WU_SWEEP_MAX];
    int ord[WU_SWEEP_MAX], ns = 0;
    for (int w = 0; w < W; w++) ord[w] = w;
    for (int i = 1; i < W; i++)
        for (int j = i; j > 0 && wu_sweep_warm_frac(s, ord[j]) < wu_sweep_warm_frac(s, ord[j - 1]); j--) {
            int tmp = ord[j];
            ord[j] = ord[j - 1], ord[j - 1] = tmp;
        }
    for (int i = 0; i < W; i++) {
        sx[ns] = 100 * wu_sweep_warm_frac(s, ord[i]);
        sy[ns++] = r->sensitivity[ord[i]];
    }
    wu_series ss = {.name = "LR sensitivity", .x = sx, .y = sy, .n = ns, .mark_x = NAN,
                    .style = WU_STYLE_POINTS};
    int partial = 0; /* rows left out of the chart until complete */
    for (int w = 0; w < W; w++) partial += !isfinite(r->sensitivity[w]);
    char stitle[160];
    snprintf(stitle, sizeof stitle, "LR sensitivity against warmup length (lower: more robust to "
             "the LR)%s", partial ? "; rows not yet complete are left out" : "");
    wu_chart sc = {.title = stitle,
                   .xlabel = "warmup (% of the steps)", .ylabel = "LR sensitivity (nats)",
                   .series = &ss, .nseries = 1, .y_include_on = 1}; /* from 0: at its true size */

    char conclusion[3000];
    wu_sweep_conclusion(s, r, conclusion, sizeof conclusion);

    /* tables: the grid of final losses, and the sensitivity row */
    int ncol = L + 3;
    const char **head = calloc((size_t)ncol, sizeof *head);
    const char **cells = calloc((size_t)(ncol * W), sizeof *cells);
    char (*buf)[40] = calloc((size_t)(ncol * W), sizeof *buf);
    if (!head || !cells || !buf) {
        free(head), free(cells), free(buf), free(r);
        return wu_fail(err, WU_ENOMEM, "out of memory");
    }
    head[0] = "warmup";
    for (int l = 0; l < L; l++) head[l + 1] = lrl[l];
    head[L + 1] = "best LR";
    head[L + 2] = "LR sensitivity";
    for (int w = 0; w < W; w++) {
        snprintf(buf[w * ncol], 40, "%s", s->warmups[w]);
        for (int l = 0; l < L; l++) cell_text(buf[w * ncol + l + 1], 40, &r->cell[w][l]);
        if (r->best_lr[w] >= 0) snprintf(buf[w * ncol + L + 1], 40, "%g", s->lrs[r->best_lr[w]]);
        else snprintf(buf[w * ncol + L + 1], 40, "-");
        sens_text(buf[w * ncol + L + 2], 40, r, s, w);
        for (int k = 0; k < ncol; k++) cells[w * ncol + k] = buf[w * ncol + k];
    }

    if (t && t->f) {
        fputc('\n', t->f);
        wu_chart_tty(t->f, &lc, t->cols, 14, t->mode, t->color);
        fputc('\n', t->f);
        wu_heatmap_tty(t->f, &hm, t->cols, t->color);
        fputc('\n', t->f);
        wu_chart_tty(t->f, &sc, t->cols, 8, t->mode, t->color);
        fprintf(t->f, "\n%-8s", "warmup");
        for (int l = 0; l < L; l++) fprintf(t->f, " %9s", lrl[l]);
        fprintf(t->f, " %12s\n", "sensitivity");
        for (int w = 0; w < W; w++) {
            fprintf(t->f, "%-8s", s->warmups[w]);
            for (int l = 0; l < L; l++) {
                const wu_sweep_cell *c = &r->cell[w][l];
                if (!c->finished) fprintf(t->f, " %9s", "-");
                else if (c->diverged == c->finished) fprintf(t->f, " %9s", "diverged");
                else fprintf(t->f, " %8.3f%s", c->score, c->diverged ? "*" : " ");
            }
            char st[40];
            fprintf(t->f, " %12s\n", sens_text(st, sizeof st, r, s, w));
        }
        fprintf(t->f, "(final loss per cell, mean over seeds; * some seeds diverged%s)\n\n%s\n",
                r->unfinished ? "; k/n LRs: the sensitivity waits for the row's n LRs to finish"
                              : "", conclusion);
    }

    if ((rc = wu_report_svg(s->dir, "loss-vs-lr.svg", &lc, NULL, 800, 450, err)) ||
        (rc = wu_report_svg(s->dir, "heatmap.svg", NULL, &hm, 800, 80 + 50 * W, err)) ||
        (rc = wu_report_svg(s->dir, "sensitivity.svg", &sc, NULL, 800, 400, err)))
        goto done;
    char path[700];
    wu_outfile o;
    snprintf(path, sizeof path, "%s/report.html", s->dir);
    if (wu_outfile_open(&o, path, err)) {
        rc = err->code;
        goto done;
    }
    wu_html_begin(o.f, "LR x warmup sweep");
    char intro[1600], arch[300], opt[300], clip[64] = "";
    if (s->base.clip > 0) snprintf(clip, sizeof clip, ", gradient norm clipped at %g", s->base.clip);
    specific(&s->base, 0, arch, sizeof arch);
    specific(&s->base, 1, opt, sizeof opt);
    snprintf(intro, sizeof intro, "A %s (%s) trained for %lld steps at batch %d with %s (%s; weight "
             "decay %g%s) at %d peak learning rates and %d warmup lengths (%d seed%s each, %d runs), "
             "each warmup followed by '%s'. The final loss of a run is its validation loss at the "
             "end when it has one, else its last training loss.", s->base.model, arch,
             (long long)s->base.steps, s->base.batch, s->base.optimizer, opt, s->base.weight_decay,
             clip, L, W, s->seeds, s->seeds > 1 ? "s" : "",
             L * W * s->seeds, s->base.schedule);
    wu_html_paragraph(o.f, intro);
    wu_html_heading(o.f, 2, "What the sweep shows");
    wu_html_paragraph(o.f, conclusion);
    wu_html_chart(o.f, &lc, 800, 450);
    wu_html_heatmap(o.f, &hm, 800, 80 + 50 * W);
    wu_html_chart(o.f, &sc, 800, 400);
    wu_html_heading(o.f, 2, "Final loss per LR and warmup");
    wu_html_table(o.f, head, ncol, cells, W);
    wu_html_paragraph(o.f, "Each run's metrics.csv and summary.json are in its own directory; "
                           "results.csv has one row per run.");
    if (r->unfinished) { /* the cells still to run: by index (warmup sweep ... --cell I) and name */
        int n = W * L * s->seeds, m = 0;
        const char **mc = calloc((size_t)(3 * n), sizeof *mc);
        char (*mb)[16] = calloc((size_t)n, sizeof *mb);
        if (!mc || !mb) {
            free(mc), free(mb);
            wu_outfile_abort(&o);
            rc = wu_fail(err, WU_ENOMEM, "out of memory");
            goto done;
        }
        static const char *const why[] = {"not started", "completed", "diverged",
                                          "interrupted (resumes from its checkpoint)"};
        for (int i = 0; i < n; i++) {
            int st = runs[i].s.status;
            if (st == WU_RUN_COMPLETED || st == WU_RUN_DIVERGED) continue;
            const char *d = strrchr(runs[i].c.out, '/');
            snprintf(mb[m], sizeof mb[m], "%d", i);
            mc[3 * m] = mb[m];
            mc[3 * m + 1] = d ? d + 1 : runs[i].c.out;
            char mp[700];
            snprintf(mp, sizeof mp, "%s/metrics.csv", runs[i].c.out);
            mc[3 * m + 2] = st == WU_RUN_MISSING && access(mp, F_OK) == 0
                                ? "started: running, or stopped without a summary (rerun it)"
                                : why[st];
            m++;
        }
        char h[80];
        snprintf(h, sizeof h, "Cells not finished (%d of %d)", m, n);
        wu_html_heading(o.f, 2, h);
        static const char *const mh[] = {"cell", "directory", "state"};
        wu_html_table(o.f, mh, 3, mc, m);
        wu_html_paragraph(o.f, "Run a cell alone by its index (docs/CLUSTER.md), or rerun the "
                               "command below, which skips the finished ones; then 'warmup report "
                               "DIR' redraws this page.");
        free(mc), free(mb);
    }
    wu_report_rerun(o.f, command);
    wu_html_end(o.f);
    if (wu_outfile_commit(&o, err)) rc = err->code;
done:
    free(head), free(cells), free(buf), free(r);
    return rc;
}
