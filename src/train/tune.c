/* tune.c - the probe that chooses the length of warmup(auto) (tune.h says what it measures and
 * why). It drives its own copy of the run, a step at a time, with the LR it chooses for each
 * step (wu_optim_step_lr): the same model, optimizer and data stream as the run it plans, built
 * from the same configuration, so the run itself is untouched. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fail.h"
#include "../util/json.h"
#include "../util/outfile.h"
#include "run.h"
#include "tune.h"

int64_t wu_tune_sched_steps(const wu_train_config *c)
{
    return c->auto_warmup < 0 ? 0 : c->auto_warmup == 0 ? WU_AUTO_WARMUP_NONE : c->auto_warmup;
}

int wu_tune_needed(const wu_train_config *c)
{
    if (c->auto_warmup >= 0) return 0;
    /* the spec with and without a chosen length: needed when only the first parses (the unit
       sizes are stand-ins, so that a length in epochs or tokens parses too) */
    wu_sched_opts so = {.lr = c->lr, .total_steps = c->steps, .steps_per_epoch = 1,
                        .tokens_per_step = 1, .samples_per_step = 1};
    wu_schedule *s = NULL;
    if (wu_sched_parse(&s, c->schedule, &so, NULL) == WU_OK) {
        wu_sched_destroy(s);
        return 0;
    }
    so.auto_warmup_steps = WU_AUTO_WARMUP_NONE;
    if (wu_sched_parse(&s, c->schedule, &so, NULL) != WU_OK) return 0;
    wu_sched_destroy(s);
    return 1;
}

/* A fresh copy of the run c plans: its model initialised, its optimizer at step 0, its data
 * stream at its start. The schedule is a constant (the probe gives each step's LR itself). */
static int probe_open(wu_run **out, const wu_train_config *c, wu_error *err)
{
    wu_run *p = calloc(1, sizeof *p);
    if (!p) return wu_fail(err, WU_ENOMEM, "out of memory (the warmup probe)");
    p->c = *c;
    snprintf(p->c.schedule, sizeof p->c.schedule, "constant");
    p->c.segments[0] = '\0';
    p->c.sharpness_every = p->c.layer_stats_every = 0;
    p->c.auto_warmup = -1;
    p->ranks = 1;
    p->rank_batch = c->batch;
    int rc = wu_run_build(p, err);
    if (rc != WU_OK) {
        wu_run_free(p);
        free(p);
        return rc;
    }
    *out = p;
    return WU_OK;
}

static void probe_close(wu_run *p)
{
    if (p) wu_run_free(p);
    free(p);
}

/* One training step of the copy at LR lr: its next batch, forward, backward, clipping as the
 * run clips, the update. *loss is the batch's loss before the update (NaN when the loss or the
 * gradient was not finite: then no update is made). */
static int probe_step(wu_run *p, double lr, float *loss)
{
    wu_run_next_batch(p);
    int rc = wu_model_forward(&p->net, p->text ? (const void *)p->tok : (const void *)p->x,
                              p->text ? p->tgt : p->labels, p->c.batch, loss, NULL);
    if (rc != WU_OK) return rc;
    if (!isfinite(*loss)) return WU_OK;
    wu_model_backward(&p->net);
    if (!isfinite(wu_optim_clip_grad_norm(p->net.grads, p->net.nparams, p->c.clip))) {
        *loss = NAN;
        return WU_OK;
    }
    wu_optim_step_lr(p->opt, p->net.params, p->net.grads, lr, NULL);
    return WU_OK;
}

/* The catapult detector: a moving average of the last few losses against its running
 * minimum. */
typedef struct watch {
    double avg, min;
    int n;
} watch;

#define WATCH_SPAN 3 /* losses averaged: batch noise at these sizes is a few percent */

static void watch_reset(watch *w)
{
    w->n = 0;
    w->avg = w->min = NAN;
}

/* Feed one loss; 1 when it is a catapult. */
static int watch_feed(watch *w, float loss)
{
    if (!isfinite(loss)) return 1;
    w->n++;
    const double a = w->n < WATCH_SPAN ? 1.0 / w->n : 1.0 / WATCH_SPAN;
    w->avg = w->n == 1 ? loss : (1 - a) * w->avg + a * loss;
    if (w->n == 1 || w->avg < w->min) w->min = w->avg;
    return w->n > 1 && w->avg > w->min * (1 + WU_TUNE_CATAPULT);
}

static void trace(wu_tune_result *res, int stage, double lr, float loss)
{
    if (res->ntrace >= WU_TUNE_MAX_TRACE) return;
    res->trace_stage[res->ntrace] = stage;
    res->trace_lr[res->ntrace] = lr;
    res->trace_loss[res->ntrace] = loss;
    res->ntrace++;
}

int wu_tune(const wu_train_config *c, wu_tune_result *res, wu_error *err)
{
    memset(res, 0, sizeof *res);
    const double t0 = wu_run_now();
    const int64_t T = c->steps;
    const int64_t B = (int64_t)floor(WU_TUNE_BUDGET * (double)T);
    if (B < WU_TUNE_MIN_PASSES)
        return wu_fail(err, WU_EINVAL, "steps: warmup(auto) probes the run with at most 10%% of "
                       "its passes, and 10%% of %lld steps is %lld, fewer than the %d the probe "
                       "needs; give a run of at least %d steps, or the warmup's length by hand "
                       "(auto_warmup)", (long long)T, (long long)B, WU_TUNE_MIN_PASSES,
                       (int)ceil(WU_TUNE_MIN_PASSES / WU_TUNE_BUDGET));
    const double eta = c->lr;
    res->run_steps = T, res->budget = B, res->peak_lr = eta;
    /* stage 1 takes up to half the budget: a catapult at the peak comes within the first
       dozen steps or so at these sizes (docs/TUNE.md), and stage 2 needs only what is left
       after it */
    const int64_t A = B / 2 > 2 ? B / 2 : 2;
    wu_run *p = NULL;
    watch w;
    float loss = NAN, first = NAN, last = NAN;
    int64_t jump_at = -1;
    double jump_by = 0, jump_min = 0;
    int rc = probe_open(&p, c, err);
    if (rc != WU_OK) return rc;
    /* stage 1: the peak LR from the first step */
    watch_reset(&w);
    for (int64_t t = 0; t < A && rc == WU_OK; t++) {
        rc = probe_step(p, eta, &loss);
        res->passes++;
        trace(res, 1, eta, loss);
        if (t == 0) first = loss;
        last = loss;
        if (rc == WU_OK && watch_feed(&w, loss)) {
            jump_at = t, jump_by = w.avg, jump_min = w.min;
            break;
        }
    }
    probe_close(p);
    p = NULL;
    if (rc != WU_OK) return rc;
    if (jump_at < 0) {
        res->stable_at_once = 1;
        res->warmup_steps = 0;
        snprintf(res->reason, sizeof res->reason,
                 "the peak LR %g was stable from the first step: over %lld steps at it the loss "
                 "went from %.4g to %.4g without a catapult (a rise of its 3-step average more "
                 "than %.0f%% above its running minimum), so this model and data need no warmup "
                 "at this LR", eta, (long long)A, first, last, 100 * WU_TUNE_CATAPULT);
    } else {
        res->catapults = 1;
        /* stage 2: a linear ramp from 0 that backs off by half at each catapult. The peak
           counts as stable once it has held as long as it took to catapult from the start in
           stage 1 (at least 2 steps); the ramp takes half of what the hold leaves, so that a
           back-off or two still fit */
        const int64_t H = jump_at + 1 > 2 ? jump_at + 1 : 2;
        const int64_t left = B - res->passes - H;
        const int64_t R = left / 2 > 1 ? left / 2 : 1;
        if ((rc = probe_open(&p, c, err)) != WU_OK) return rc;
        watch_reset(&w);
        const double slope = eta / (double)R;
        double lr = 0;
        int64_t at_peak = 0, reached = -1, t = 0;
        int backoffs = 0;
        for (; res->passes < B && at_peak < H && rc == WU_OK; t++) {
            lr = lr + slope < eta ? lr + slope : eta;
            if (lr >= eta && at_peak == 0) reached = t;
            rc = probe_step(p, lr, &loss);
            res->passes++;
            trace(res, 2, lr, loss);
            if (rc != WU_OK) break;
            if (watch_feed(&w, loss)) {
                res->catapults++, backoffs++;
                lr /= 2;
                at_peak = 0, reached = -1;
                /* the level the loss recovers from is the new reference */
                watch_reset(&w);
                if (isfinite(loss)) watch_feed(&w, loss);
            } else if (lr >= eta) {
                at_peak++;
            }
        }
        probe_close(p);
        if (rc != WU_OK) return rc;
        const int64_t ceil_steps = (int64_t)floor(WU_TUNE_CEIL * (double)T);
        if (at_peak >= H) {
            res->warmup_steps = reached + 1 < ceil_steps ? reached + 1 : ceil_steps;
            snprintf(res->reason, sizeof res->reason,
                     "at the peak LR %g from the first step the loss catapulted at step %lld "
                     "(its 3-step average %.4g, %.0f%% above its minimum %.4g), so the peak was "
                     "not stable yet; raising the LR linearly from 0 and halving it at each "
                     "catapult (%d), the LR reached the peak at step %lld and held there %lld "
                     "steps without one: a linear warmup of %lld steps",
                     eta, (long long)jump_at, jump_by, 100 * (jump_by / jump_min - 1), jump_min,
                     backoffs, (long long)reached, (long long)H, (long long)res->warmup_steps);
        } else {
            res->exhausted = 1;
            res->warmup_steps = ceil_steps;
            snprintf(res->reason, sizeof res->reason,
                     "at the peak LR %g from the first step the loss catapulted at step %lld "
                     "(its 3-step average %.4g, above its minimum %.4g), and a linear ramp from 0 "
                     "that halved the LR at each catapult (%d) did not hold the peak for %lld "
                     "steps within the probe's %lld passes (10%% of the run): the longest "
                     "warmup it plans, %.0f%% of the run (%lld steps); the peak LR is likely "
                     "too high for this model (try a lower peak LR)",
                     eta, (long long)jump_at, jump_by, jump_min, backoffs, (long long)H,
                     (long long)B, 100 * WU_TUNE_CEIL, (long long)ceil_steps);
        }
    }
    res->pct_of_run = 100.0 * (double)res->passes / (double)T;
    res->wall_s = wu_run_now() - t0;
    return WU_OK;
}

void wu_tune_json(FILE *f, const wu_tune_result *res)
{
    fprintf(f, "{\"steps\": %lld, \"probed\": true, \"reason\": ", (long long)res->warmup_steps);
    wu_json_string(f, res->reason);
    fprintf(f, ", \"passes\": %lld, \"budget_passes\": %lld, \"run_steps\": %lld, "
            "\"pct_of_run\": %.4g, \"wall_s\": %.4g, \"peak_lr\": %.9g, \"catapults\": %d, "
            "\"stable_at_once\": %s, \"exhausted\": %s}",
            (long long)res->passes, (long long)res->budget, (long long)res->run_steps,
            res->pct_of_run, res->wall_s, res->peak_lr, res->catapults,
            res->stable_at_once ? "true" : "false", res->exhausted ? "true" : "false");
}

int wu_tune_save(const char *dir, const wu_tune_result *res, wu_error *err)
{
    char path[700];
    snprintf(path, sizeof path, "%s/" WU_TUNE_FILE, dir);
    wu_outfile o;
    int rc = wu_outfile_open(&o, path, err);
    if (rc != WU_OK) return rc;
    wu_tune_json(o.f, res);
    fputc('\n', o.f);
    return wu_outfile_commit(&o, err);
}

char *wu_tune_load_json(const char *dir, int64_t steps)
{
    char path[700];
    snprintf(path, sizeof path, "%s/" WU_TUNE_FILE, dir);
    wu_error e;
    cJSON *j = wu_json_read(path, &e);
    if (!j) return NULL;
    char *text = NULL;
    /* only the probe that chose this run's length: another run's file is not about this one */
    if (cJSON_IsObject(j) && wu_json_num(j, "steps") == (double)steps &&
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "probed")))
        text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return text;
}
