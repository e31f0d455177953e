/* suggest.c - how long to warm up and at what peak LR: the rules of thumb of the warmup guide
 * and of the papers behind them, evaluated side by side, one picked, and the reason said.
 *
 * Rules (docs/SUGGEST.md has the table and the worked examples):
 *   percentage of the run   5-10% of total steps (6-10% for BERT fine-tuning); the guide's
 *                           int(0.1 * total_steps)
 *   scenario table          small dataset 100-500 steps, large model 1000-5000, ViT 5 epochs
 *   one epoch               steps_per_epoch
 *   batch scaling           warmup x batch/base_batch (the guide; the note also gives Goyal et
 *                           al.'s fixed-data warmup); LR x batch/base_batch for SGD (linear
 *                           scaling, Goyal et al. 2017), LR x sqrt(batch/base_batch) for Adam
 *                           (square-root scaling, Malladi et al. 2022)
 *   untuned warmup          2 / (1 - beta2) steps for Adam (Ma & Yarats 2019)
 * Choice: the scaled reference when the user has one (it is about their own setup), else the
 * scenario, else the percentage; for Adam, raised to the untuned length when that fits in a
 * quarter of the run. The batch of a step is batch x accumulation: one step is one update. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warmup.h"
#include "../util/fail.h"

static wu_suggest_rule *add_rule(wu_suggestion *o, const char *name, const char *source, int64_t lo,
                         int64_t hi, int64_t steps)
{
    wu_suggest_rule *r = &o->rules[o->nrules++];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->source, sizeof r->source, "%s", source);
    r->low = lo;
    r->high = hi;
    r->steps = steps;
    r->note[0] = '\0';
    return r;
}

/* v in the fewest significant digits that read back as v: 0.9999999 stays 0.9999999 (%g would
 * print 1), 0.999 stays 0.999. Returns buf. */
static const char *shortest(char buf[32], double v)
{
    for (int p = 6; p <= 17; p++) {
        snprintf(buf, 32, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static const char *const OPT_NAMES[] = {"SGD", "Adam", "AdamW", "RAdam"};

wu_status wu_suggest_warmup(wu_suggestion *o, const wu_suggest_in *in, wu_error *err)
{
    memset(o, 0, sizeof *o);
    o->picked = -1;
    if (in->optimizer < WU_OPT_SGD || in->optimizer > WU_OPT_RADAM)
        return wu_fail(err, WU_EINVAL, "unknown optimizer: use sgd, adam, adamw or radam");
    if (in->batch < 0 || in->base_batch < 0 || in->dataset_size < 0 || in->steps_per_epoch < 0)
        return wu_fail(err, WU_EINVAL, "batch sizes, dataset size and steps per epoch must be positive");
    if (!(in->beta2 >= 0.0 && in->beta2 < 1.0))
        return wu_fail(err, WU_EINVAL, "beta2 must be in [0, 1), got %g (Adam's default is 0.999)", in->beta2);
    if (!(in->lr >= 0.0) || !(in->base_lr >= 0.0) || !isfinite(in->lr) || !isfinite(in->base_lr))
        return wu_fail(err, WU_EINVAL, "learning rates must be positive finite numbers");
    if (!(in->epochs >= 0.0) || !isfinite(in->epochs))
        return wu_fail(err, WU_EINVAL, "epochs must be a positive number, got %g", in->epochs);
    /* counts past 2^53 lose steps in double arithmetic, and products of them overflow int64 */
    const int64_t cap = (int64_t)1 << 53;
    if (in->total_steps > cap || in->steps_per_epoch > cap || in->dataset_size > cap ||
        in->batch > cap || in->base_batch > cap || in->base_warmup > cap)
        return wu_fail(err, WU_EINVAL, "step counts, batch sizes and the dataset size must be at "
                       "most 2^53 (%lld)", (long long)cap);
    if (in->accumulation < 0 || in->accumulation > cap)
        return wu_fail(err, WU_EINVAL, "accumulation must be a positive number of micro-batches "
                       "per optimizer update, got %lld", (long long)in->accumulation);
    /* one step is one optimizer update: its batch is every micro-batch it accumulates */
    int64_t acc = in->accumulation > 1 ? in->accumulation : 1;
    if (in->batch > 0 && in->batch > cap / acc)
        return wu_fail(err, WU_EINVAL, "the batch of an update (batch x accumulation) must be at "
                       "most 2^53");
    const int64_t batch = in->batch * acc;
    char bdesc[64]; /* how the batch of an update is written in notes: 256 or 64x4 */
    if (acc > 1) snprintf(bdesc, sizeof bdesc, "%lldx%lld", (long long)in->batch, (long long)acc);
    else snprintf(bdesc, sizeof bdesc, "%lld", (long long)batch);
    if ((in->base_lr > 0 || in->base_warmup > 0) && in->base_batch > 0 && in->batch == 0)
        return wu_fail(err, WU_EINVAL, "a reference batch size needs the batch size you will train with "
                         "(batch)");
    if (in->base_batch == 0 && in->base_warmup > 0 && batch > 0 && in->base_lr == 0)
        return wu_fail(err, WU_EINVAL, "a reference warmup needs its batch size (base_batch)");

    /* the run: steps per epoch and total steps */
    int64_t spe = in->steps_per_epoch;
    if (spe == 0 && in->dataset_size > 0 && batch > 0)
        spe = (in->dataset_size + batch - 1) / batch;
    int64_t n = in->total_steps;
    if (n < 0) return wu_fail(err, WU_EINVAL, "total steps must be positive, got %lld", (long long)n);
    if (n == 0 && in->epochs > 0 && spe > 0) {
        double steps = ceil(in->epochs * (double)spe);
        if (steps > (double)cap)
            return wu_fail(err, WU_EINVAL, "%g epochs of %lld steps is more than 2^53 steps",
                           in->epochs, (long long)spe);
        n = (int64_t)steps;
    }
    if (n <= 0)
        return wu_fail(err, WU_EINVAL, "the run length is unknown: give total steps (total_steps), or epochs with "
                         "steps per epoch (epochs, steps_per_epoch), or epochs with the "
                         "dataset size and batch size (epochs, dataset_size and batch)");
    if (in->base_warmup >= n)
        return wu_fail(err, WU_EINVAL, "the reference warmup (%lld steps) is not shorter than the run (%lld "
                         "steps)", (long long)in->base_warmup, (long long)n);
    o->total_steps = n;
    o->steps_per_epoch = spe;
    /* the untuned rule is for Adam and AdamW; RAdam rectifies its own early steps */
    int adam = in->optimizer == WU_OPT_ADAM || in->optimizer == WU_OPT_ADAMW;
    int adaptive = in->optimizer != WU_OPT_SGD;
    double beta2 = in->beta2 > 0 ? in->beta2 : 0.999;
    char b2[32]; /* beta2 as given (shortest()) */
    int bert = in->scenario == WU_SCN_BERT_FINETUNE;

    /* 1. percentage of the run */
    double plo = bert ? 0.06 : 0.05;
    wu_suggest_rule *pct = add_rule(o, "percentage of total steps",
                            bert ? "the guide; BERT fine-tuning recipes" : "the guide",
                            (int64_t)floor(plo * (double)n), n / 10, n / 10);
    snprintf(pct->note, sizeof pct->note, "%d-10%% of %lld steps; the guide's int(0.1 * total)",
             bert ? 6 : 5, (long long)n);
    int i_pct = o->nrules - 1, i_scn = -1, i_scale = -1, i_untuned = -1;

    /* 2. the scenario table */
    if (in->scenario == WU_SCN_SMALL_DATASET || in->scenario == WU_SCN_LARGE_MODEL) {
        int small = in->scenario == WU_SCN_SMALL_DATASET;
        int64_t lo = small ? 100 : 1000, hi = small ? 500 : 5000;
        wu_suggest_rule *r = add_rule(o, small ? "scenario: small dataset" : "scenario: large model",
                              "the guide's table", lo, hi, clamp64(n / 10, lo, hi));
        snprintf(r->note, sizeof r->note, "%lld-%lld steps; 10%% of the run (%lld) clamped into it",
                 (long long)lo, (long long)hi, (long long)(n / 10));
        i_scn = o->nrules - 1;
    } else if (in->scenario == WU_SCN_VIT) {
        if (spe <= 0)
            return wu_fail(err, WU_EINVAL, "the ViT rule is 5 epochs of warmup: give the epoch length "
                             "(steps_per_epoch, or dataset_size with batch)");
        wu_suggest_rule *r = add_rule(o, "scenario: ViT", "the guide; Dosovitskiy et al. 2021", 5 * spe,
                              5 * spe, 5 * spe);
        snprintf(r->note, sizeof r->note, "5 epochs of %lld steps", (long long)spe);
        i_scn = o->nrules - 1;
    } else if (bert) {
        i_scn = i_pct; /* BERT's rule is the 6-10% percentage */
    }

    /* 3. one epoch */
    if (spe > 0) {
        wu_suggest_rule *r = add_rule(o, "one epoch", "the guide", spe, spe, spe);
        snprintf(r->note, sizeof r->note, "1 epoch = %lld steps", (long long)spe);
    }

    /* 4. batch scaling of a known-good reference. The guide scales the warmup's steps with the
       batch: a batch k times larger (with its larger LR) gets k times the steps, so the LR
       climbs by the same amount per step when it is scaled linearly; the examples seen during
       the warmup then grow k^2-fold. Goyal et al. 2017 keep those examples fixed instead (5
       epochs), which is W / k steps; the note gives both, so that neither is mistaken for the
       other. */
    double k = batch > 0 && in->base_batch > 0 ? (double)batch / (double)in->base_batch : 0;
    int64_t fixed_data = 0;
    if (k > 0 && in->base_warmup > 0) {
        double wd = (double)in->base_warmup * k;
        if (wd >= (double)cap) /* past 2^53 no run is that long, and llround would overflow */
            return wu_fail(err, WU_EINVAL, "the reference warmup scaled by the batch (%lld steps x "
                           "%s/%lld = %.6g steps) is not shorter than the run (%lld steps)",
                           (long long)in->base_warmup, bdesc, (long long)in->base_batch, wd,
                           (long long)n);
        int64_t w = llround(wd);
        fixed_data = llround((double)in->base_warmup / k);
        wu_suggest_rule *r = add_rule(o, "batch scaling of the reference warmup", "the guide", w,
                                      w, w);
        char note[400];
        snprintf(note, sizeof note, "%lld steps x %s/%lld = %lld steps (the same examples as the "
                 "reference's warmup would be %lld x %lld/%s = %lld step%s)",
                 (long long)in->base_warmup, bdesc, (long long)in->base_batch, (long long)w,
                 (long long)in->base_warmup, (long long)in->base_batch, bdesc,
                 (long long)fixed_data, fixed_data == 1 ? "" : "s");
        snprintf(r->note, sizeof r->note, "%.*s", (int)sizeof r->note - 1, note);
        i_scale = o->nrules - 1;
    }

    /* 5. untuned warmup for Adam */
    if (adam) {
        int64_t w = llround(2.0 / (1.0 - beta2));
        wu_suggest_rule *r = add_rule(o, "untuned warmup 2/(1-beta2)", "Ma & Yarats 2019", w, w, w);
        snprintf(r->note, sizeof r->note,
                 "beta2 = %s averages over ~%lld steps; warm up for twice that", shortest(b2, beta2),
                 (long long)llround(1.0 / (1.0 - beta2)));
        i_untuned = o->nrules - 1;
    }

    /* the choice */
    int pick;
    if (i_scale >= 0) {
        pick = i_scale;
        snprintf(o->why, sizeof o->why,
                 "you have a known-good warmup at batch %lld; the guide scales its steps with "
                 "the batch (x %.6g), so that a scaled-up LR climbs by the same amount per step; "
                 "keeping the examples seen during warmup instead (Goyal et al. 2017's fixed "
                 "epochs) would be %lld step%s", (long long)in->base_batch, k,
                 (long long)fixed_data, fixed_data == 1 ? "" : "s");
    } else if (i_scn >= 0) {
        pick = i_scn;
        snprintf(o->why, sizeof o->why, "the scenario you named has its own rule of thumb");
    } else {
        pick = i_pct;
        snprintf(o->why, sizeof o->why,
                 "with nothing more specific known, the guide's default: 10%% of the run");
        if (in->scenario == WU_SCN_LARGE_BATCH)
            snprintf(o->why, sizeof o->why,
                     "large batches need proportionally longer warmup, but without a reference "
                     "(base_batch, base_warmup) the guide's 10%% is the fallback");
    }
    int64_t w = o->rules[pick].steps;
    char conf[600] = "";
    size_t used = 0;
    if (adam && i_untuned >= 0 && pick != i_scale) {
        int64_t u = o->rules[i_untuned].steps;
        if (u > w && u <= n / 4) {
            used += (size_t)snprintf(conf + used, sizeof conf - used,
                                     "%s gives %lld steps, fewer than the untuned rule's %lld; "
                                     "raised to %lld because Adam's second moment needs about "
                                     "that long to forget its first, largest gradients. ",
                                     o->rules[pick].name, (long long)w, (long long)u,
                                     (long long)u);
            w = u;
            pick = i_untuned;
            snprintf(o->why, sizeof o->why,
                     "Adam with beta2 = %s: the untuned rule fits within a quarter of the run "
                     "and is longer than the rules of thumb", shortest(b2, beta2));
        } else if (u > w) {
            used += (size_t)snprintf(conf + used, sizeof conf - used,
                                     "the untuned rule asks for %lld steps, more than a quarter "
                                     "of this %lld-step run; kept %lld (a smaller beta2 such as "
                                     "0.99 needs only %lld). ", (long long)u, (long long)n,
                                     (long long)w, (long long)llround(2.0 / 0.01));
        }
    }
    for (int r = 0; r < o->nrules && used < sizeof conf - 1; r++) {
        const wu_suggest_rule *ru = &o->rules[r];
        if (r == pick || ru->steps == 0) continue;
        double ratio = (double)ru->steps / (double)(w > 0 ? w : 1);
        if (ratio > 2.0 || ratio < 0.5)
            used += (size_t)snprintf(conf + used, sizeof conf - used, "%s says %lld steps. ",
                                     ru->name, (long long)ru->steps);
    }
    if (used > 0 && conf[used - 1] == ' ') conf[used - 1] = '\0';
    snprintf(o->conflicts, sizeof o->conflicts, "%s", conf);
    if (w >= n)
        return wu_fail(err, WU_EINVAL, "the suggested warmup (%lld steps, from %s) is not shorter than the run "
                         "(%lld steps): train for longer, or warm up for less",
                       (long long)w, o->rules[pick].name, (long long)n);
    o->warmup_steps = w;
    o->picked = pick;

    /* the peak LR */
    if (in->lr > 0) {
        o->lr = in->lr;
        snprintf(o->lr_rule, sizeof o->lr_rule, "the LR you gave, unchanged");
    } else if (in->base_lr > 0 && k > 0) {
        if (adaptive) {
            o->lr = in->base_lr * sqrt(k);
            snprintf(o->lr_rule, sizeof o->lr_rule,
                     "square-root scaling for %s (Malladi et al. 2022): %g x sqrt(%s/%lld); "
                     "the same paper also scales 1-beta2 by %g", OPT_NAMES[in->optimizer],
                     in->base_lr, bdesc, (long long)in->base_batch, k);
        } else {
            o->lr = in->base_lr * k;
            snprintf(o->lr_rule, sizeof o->lr_rule,
                     "linear scaling rule for SGD (Goyal et al. 2017): %g x %s/%lld",
                     in->base_lr, bdesc, (long long)in->base_batch);
        }
    } else if (in->base_lr > 0) {
        o->lr = in->base_lr;
        snprintf(o->lr_rule, sizeof o->lr_rule, "the reference LR (no batch change to scale for)");
    } else {
        snprintf(o->lr_rule, sizeof o->lr_rule,
                 "no LR known: give one (lr), or one to scale (base_lr with base_batch and batch)");
    }

    /* the spec, native and Hugging Face */
    switch (in->decay) {
    case WU_DECAY_LINEAR:
        snprintf(o->spec, sizeof o->spec, "warmup(%lld) > linear", (long long)w);
        snprintf(o->hf_spec, sizeof o->hf_spec,
                 "hf:linear(num_warmup_steps=%lld, num_training_steps=%lld)", (long long)w,
                 (long long)n);
        break;
    case WU_DECAY_CONSTANT:
        snprintf(o->spec, sizeof o->spec, "warmup(%lld) > constant", (long long)w);
        snprintf(o->hf_spec, sizeof o->hf_spec, "hf:constant_with_warmup(num_warmup_steps=%lld)",
                 (long long)w);
        break;
    case WU_DECAY_WSD: {
        int64_t d = n / 5;
        if (w + d > n) d = n - w;
        snprintf(o->spec, sizeof o->spec, "warmup(%lld) > constant > sqrt(%lld)", (long long)w,
                 (long long)d);
        snprintf(o->hf_spec, sizeof o->hf_spec,
                 "hf:warmup_stable_decay(num_warmup_steps=%lld, num_decay_steps=%lld, "
                 "num_training_steps=%lld, decay_type='1-sqrt')", (long long)w, (long long)d,
                 (long long)n);
        break;
    }
    default:
        snprintf(o->spec, sizeof o->spec, "warmup(%lld) > cosine", (long long)w);
        snprintf(o->hf_spec, sizeof o->hf_spec,
                 "hf:cosine(num_warmup_steps=%lld, num_training_steps=%lld)", (long long)w,
                 (long long)n);
        break;
    }
    return WU_OK;
}
