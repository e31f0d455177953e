/* train.c - the training loop: wu_train over the step API (wu_train_open / _step / _log /
 * _checkpoint / _close in run.c and step.c). */
#include <string.h>

#include "dist.h"
#include "run.h"

/* ---- the loop ------------------------------------------------------------------------------- */

int wu_train(wu_train_config *cfg, int resume, int64_t stop_after, volatile sig_atomic_t *stop,
             wu_train_cb cb, void *cb_ctx, wu_train_result *res, wu_error *err)
{
    if (res) memset(res, 0, sizeof *res);
    wu_run *r;
    int rc = wu_train_open(&r, cfg, resume, err);
    if (rc != WU_OK) return rc;
    const wu_train_config *c = &r->c;
    int stopping = 0;
    while (!wu_train_done(r)) {
        stopping = stop && *stop;
        if (r->ranks > 1) stopping = wu_dist_max_i(stopping); /* every rank stops at one step */
        if (stopping || (stop_after > 0 && r->step - r->started >= stop_after)) break;
        wu_train_row row;
        if ((rc = wu_train_step(r, &row, err)) != WU_OK || (rc = wu_train_log(r, err)) != WU_OK) break;
        if (cb) {
            double now = wu_run_now(), dt = now - r->session_t0, tdt = wu_run_train_s(r, now);
            wu_train_progress p = {
                .step = r->step, .steps = c->steps, .loss = (float)row.col[WU_METRIC_LOSS],
                .val_loss = (float)row.col[WU_METRIC_VAL_LOSS], .lr = row.col[WU_METRIC_LR],
                .items_per_s = tdt > 0 ? r->session_items / tdt : 0,
                .eta_s = dt > 0 ? dt / (double)(r->step - r->started) * (double)(c->steps - r->step) : 0,
                .nonfinite = row.nonfinite, .skipped = row.skipped, .gave_up = row.gave_up};
            cb(&p, cb_ctx);
        }
        if (c->checkpoint_every > 0 && r->step % c->checkpoint_every == 0 && !r->tr.diverged &&
            (rc = wu_train_checkpoint(r, err)) != WU_OK)
            break;
    }
    int crc = wu_train_close(r, res, err);
    if (res) res->stopped = stopping;
    return rc != WU_OK ? rc : crc;
}
