/* run.c - opening a run (building it from a configuration, or from a checkpoint) and closing it
 * (the result, the summary). The step and its metrics row are in step.c, the loop in train.c.
 *
 * The model comes from the ops table of src/model/model.h, picked by name; the shapes of its
 * input (sequence length and vocabulary, or image rows, columns and classes) come from the
 * data, so no data set's sizes are written down here. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../optim/optim_names.h"
#include "../schedule/segments.h"
#include "../util/checksum.h"
#include "../util/fail.h"
#include "../util/fs.h"
#include "../util/outfile.h"
#include "dist.h"
#include "run.h"
#include "tune.h"

double wu_run_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double wu_run_train_s(const wu_run *r, double now)
{
    return now - r->session_t0 - r->aside_s;
}

/* ---- the thread governor ------------------------------------------------------------------- */

/* How often the load is sampled: long enough that /proc/stat's 10 ms ticks average out, short
 * enough that a run started beside another stops contending within a fraction of a second. */
#define GOVERNOR_PERIOD_S 0.25

/* The governor is on when the engine runs OpenMP threads and the user has not fixed their
 * number: OMP_NUM_THREADS set means exactly that many, always (tests pin it so). The count the
 * process starts with (one per core, or what the lab set for its runs) is the most it uses. */
void wu_run_threads_start(wu_run *r)
{
    r->threads = r->threads_max = r->threads_min = 1;
    r->load.ncpu = 0;
#ifdef _OPENMP
    r->threads = r->threads_max = r->threads_min = omp_get_max_threads();
    if (r->threads_max > 1 && !getenv("OMP_NUM_THREADS")) wu_cpuload_start(&r->load);
#endif
}

void wu_run_threads(wu_run *r)
{
#ifdef _OPENMP
    double others = wu_cpuload_others(&r->load, GOVERNOR_PERIOD_S);
    if (others < 0) return;
    int n = wu_cpuload_threads(r->threads_max, r->load.ncpu, others, r->threads);
    if (n == r->threads) return;
    omp_set_num_threads(n); /* our kernels and OpenBLAS's OpenMP build both follow it */
    r->threads = n;
    if (n < r->threads_min) r->threads_min = n;
#else
    (void)r;
#endif
}

/* ---- building a run ------------------------------------------------------------------------ */

void wu_run_free(wu_run *r)
{
    wu_model_destroy(&r->net);
    wu_optim_destroy(r->opt);
    wu_sched_destroy(r->sched);
    wu_corpus_free(&r->corpus);
    wu_images_free(&r->train);
    wu_images_free(&r->test);
    wu_loader_free(&r->loader);
    wu_probe_free(r);
    free(r->tok), free(r->tgt), free(r->idx), free(r->labels), free(r->x);
    free(r->tune);
    r->tune = NULL;
    r->opt = NULL, r->sched = NULL;
    r->tok = r->tgt = r->idx = r->labels = NULL, r->x = NULL;
}

/* ---- the schedule over the run's segments (issue 17; segments.c) ------------------------- */

/* What the schedule needs to know of run r: one step is one update of the whole (global)
 * batch, batch x seq tokens for the GPT, batch samples for every model. */
static wu_sched_opts sched_opts(const wu_run *r)
{
    const wu_train_config *c = &r->c;
    wu_sched_opts so = {.lr = c->lr, .total_steps = c->steps,
                        .steps_per_epoch = r->text ? 0 : r->loader.steps_per_epoch,
                        .tokens_per_step = r->text ? (int64_t)c->batch * c->seq : 0,
                        .samples_per_step = c->batch,
                        /* issue 18: warmup(auto)'s length, when chosen (-1: not yet) */
                        .auto_warmup_steps = wu_tune_sched_steps(c)};
    return so;
}

/* The image models have no tokens: a spec that counts them says so instead of asking for a
 * number nobody can give. Returns rc. */
static int image_tokens(const wu_run *r, int rc, wu_error *err)
{
    char *cut = rc != WU_OK && !r->text ? strstr(err->msg, ": give them (tokens_per_step)") : NULL;
    if (cut) snprintf(cut, sizeof err->msg - (size_t)(cut - err->msg), ": the %s model counts "
                      "samples (its batch per step), not tokens; write the length in samples, "
                      "steps, %% or epochs", r->c.model);
    return rc;
}

/* r->sched for r->c: the spec over the run's length, or over its segments in order. */
static int build_schedule(wu_run *r, wu_error *err)
{
    wu_sched_opts so = sched_opts(r);
    int rc = wu_sched_parse_segments(&r->sched, r->c.schedule, r->c.segments, &so, err);
    if (rc != WU_OK && r->c.auto_warmup < 0) {
        /* warmup(auto) not chosen and not probed (wu_tune_needed said no: the spec fails even
           with a length chosen): that error, not "no length has been chosen", is the one to fix.
           The probe may choose no warmup, so the stand-in is warmup(0). */
        wu_schedule *sch = NULL;
        wu_error e2;
        so.auto_warmup_steps = WU_AUTO_WARMUP_NONE;
        if (wu_sched_parse_segments(&sch, r->c.schedule, r->c.segments, &so, &e2) == WU_OK) {
            wu_sched_destroy(sch);
        } else {
            so.auto_warmup_steps = 1; /* with a warmup it parses: only no warmup fails */
            int some = wu_sched_parse_segments(&sch, r->c.schedule, r->c.segments, &so,
                                               NULL) == WU_OK;
            if (some) wu_sched_destroy(sch);
            rc = some ? wu_fail(err, e2.code, "%s (warmup(auto) may be chosen as no warmup, so "
                                "the schedule needs a phase after it, e.g. 'warmup(auto) > "
                                "constant')", e2.msg)
                      : wu_fail(err, e2.code, "%s", e2.msg);
        }
    }
    return image_tokens(r, rc, err);
}

int wu_run_build(wu_run *r, wu_error *err)
{
    const wu_train_config *c = &r->c;
    int rc = wu_train_check(c, err);
    if (rc != WU_OK) return rc;
    const wu_model_ops *ops = wu_model_find(c->model);
    int kind = wu_optim_kind_from_name(c->optimizer);
    if (!ops || kind < 0) /* wu_train_check refuses both first */
        return wu_fail(err, WU_EINVAL, "unknown model '%s' or optimizer '%s'", c->model, c->optimizer);
    r->optim_kind = (wu_optim_kind)kind;
    r->text = ops->input == WU_INPUT_TOKENS;
    /* data, and from it the model's input shape */
    wu_model_config mc = wu_model_default_config();
    mc.batch = r->ranks > 1 ? r->rank_batch : c->batch; /* a rank's share: its activations */
    if (r->text) {
        rc = !strcmp(c->data, "builtin")
                 ? wu_corpus_builtin(&r->corpus, (size_t)c->builtin_bytes, c->seed, 0.1, err)
                 : wu_corpus_load(&r->corpus, c->data, 0.1, err);
        if (rc == WU_OK) rc = wu_corpus_check(&r->corpus, c->seq, err);
        if (rc != WU_OK) return rc;
        wu_rng_seed(&r->data_rng, c->seed * 0x51ed2701ull + 17);
        mc.seq = c->seq;
        mc.vocab = r->corpus.vocab;
    } else {
        rc = wu_fashion_load(&r->train, &r->test, strcmp(c->data, "fashion-mnist") ? c->data : NULL, err);
        if (rc == WU_OK) rc = wu_loader_init(&r->loader, r->train.n, c->batch, c->seed, err);
        if (rc != WU_OK) return rc;
        if (r->test.rows != r->train.rows || r->test.cols != r->train.cols)
            return wu_fail(err, WU_EINVAL, "the test images are %dx%d but the training images %dx%d "
                           "(in %s)", r->test.rows, r->test.cols, r->train.rows, r->train.cols, c->data);
        r->pixels = (size_t)r->train.rows * (size_t)r->train.cols;
        if (r->pixels > WU_IMAGE_MAX_PIXELS) /* wu_fashion_load refuses them first */
            return wu_fail(err, WU_EINVAL, "the images of %s are %dx%d pixels: at most %zu are "
                           "supported", c->data, r->train.rows, r->train.cols, WU_IMAGE_MAX_PIXELS);
        mc.rows = r->train.rows;
        mc.cols = r->train.cols;
        /* every label of either set is a class (a class only the test set has is never right) */
        mc.classes = r->train.classes > r->test.classes ? r->train.classes : r->test.classes;
    }
    /* model */
    mc.layers = c->layers, mc.heads = c->heads, mc.dim = c->dim, mc.post_ln = c->post_ln;
    mc.depth = c->depth, mc.width = c->width;
    /* a name the model does not read may be anything (wu_train_check refuses a bad one for the
       model that reads it): it keeps the default */
    int act = wu_model_act_from_name(c->act), pool = wu_model_pool_from_name(c->pool);
    int init = wu_model_init_from_name(c->init);
    if (act >= 0) mc.act = act;
    if (pool >= 0) mc.pool = pool;
    if (init >= 0) mc.init = init;
    mc.embed_scale = c->embed_scale;
    int prec = wu_model_precision_from_name(c->precision);
    if (prec >= 0) mc.precision = prec;
    mc.seed = c->seed;
    mc.diag = WU_DIAG_FORWARD | (r->grad_norms ? WU_DIAG_GRADS : 0); /* issue 19 */
    if ((rc = wu_model_create(&r->net, ops, &mc, err)) != WU_OK) return rc;
    /* schedule and optimizer: no weight decay on biases and norm gains, as usual */
    if ((rc = build_schedule(r, err)) != WU_OK) return rc;
    if (c->steps > wu_sched_horizon(r->sched))
        return wu_fail(err, WU_EINVAL, "steps: %lld is more than the %lld steps the schedule is "
                       "defined for", (long long)c->steps, (long long)wu_sched_horizon(r->sched));
    wu_optim_config oc;
    wu_optim_defaults(&oc, r->optim_kind);
    oc.lr = c->lr, oc.beta1 = c->beta1, oc.beta2 = c->beta2, oc.eps = c->eps;
    oc.momentum = c->momentum, oc.weight_decay = c->weight_decay;
    if (oc.kind != WU_OPT_SGD) { /* issue 18: GI-Adam, bias correction off */
        oc.v_init = wu_adam_init_from_name(c->adam_init) == WU_ADAM_INIT_GRAD ? WU_ADAM_INIT_GRAD
                                                                              : WU_ADAM_INIT_ZERO;
        oc.no_bias_correction = !strcmp(c->bias_correction, "off");
    }
    int *vg = malloc(sizeof(int) * (size_t)r->net.nviews);
    if (!vg) return wu_fail(err, WU_ENOMEM, "out of memory");
    wu_optim_split_decay(vg, r->net.views, r->net.nviews);
    wu_optim_config groups[2] = {oc, oc};
    groups[1].weight_decay = 0.0;
    rc = wu_optim_create(&r->opt, &oc, r->net.nparams, r->net.views, r->net.nviews, vg, groups, 2, err);
    free(vg);
    if (rc != WU_OK) return rc;
    wu_optim_set_schedule(r->opt, r->sched);
    /* batch buffers */
    size_t N = (size_t)c->batch * (r->text ? (size_t)c->seq : 1);
    r->tok = malloc(sizeof(int) * N), r->tgt = malloc(sizeof(int) * N);
    r->idx = malloc(sizeof(int) * (size_t)c->batch), r->labels = malloc(sizeof(int) * (size_t)c->batch);
    r->x = malloc(sizeof(float) * (size_t)c->batch * (r->pixels > 0 ? r->pixels : 1));
    if (!r->tok || !r->tgt || !r->idx || !r->labels || !r->x) return wu_fail(err, WU_ENOMEM, "out of memory");
    r->tr.best_loss = INFINITY;
    r->tr.diverged_at = -1;
    r->tr.last_val_loss = r->tr.last_val_acc = NAN; /* null in the summary until an evaluation */
    r->tr.first_nonfinite = -1;
    return wu_probe_init(r, err);
}

void wu_run_next_batch(wu_run *r)
{
    if (r->text) {
        wu_corpus_batch(&r->corpus, WU_SPLIT_TRAIN, &r->data_rng, r->c.batch, r->c.seq, r->tok, r->tgt);
        return;
    }
    const size_t P = r->pixels;
    wu_loader_next(&r->loader, r->idx);
    for (int b = 0; b < r->c.batch; b++) {
        memcpy(r->x + (size_t)b * P, r->train.x + (size_t)r->idx[b] * P, sizeof(float) * P);
        r->labels[b] = r->train.y[r->idx[b]];
    }
}

/* ---- opening ------------------------------------------------------------------------------- */

/* A failed open: free what was made (what it leaves on disk: see wu_train_open in train.h). */
static int open_fail(wu_run *r, unsigned char *blob, int rc)
{
    free(blob);
    if (r->metrics) fclose(r->metrics);
    wu_run_free(r);
    free(r);
    return rc;
}

/* A resumed run r (at its checkpoint's step) that is to be `steps` long: the schedule from
 * here on, and the segment that records it (issue 17). */
static int change_length(wu_run *r, int64_t steps, int restart, wu_error *err)
{
    if (steps <= r->step)
        return wu_fail(err, WU_EINVAL, "steps: %lld is not more than the %lld steps the run in %s "
                       "has done; give a longer run", (long long)steps, (long long)r->step,
                       r->c.out);
    char seg[sizeof r->c.segments];
    int n;
    /* the lengths so far (the first: "0:STEPS"), then this one: ",FROM:STEPS[:restart]" */
    if (r->c.segments[0]) n = snprintf(seg, sizeof seg, "%s", r->c.segments);
    else n = snprintf(seg, sizeof seg, "0:%lld", (long long)r->c.steps);
    if (n >= 0 && (size_t)n < sizeof seg)
        n += snprintf(seg + n, sizeof seg - (size_t)n, ",%lld:%lld%s", (long long)r->step,
                      (long long)steps, restart ? ":restart" : "");
    if (n < 0 || (size_t)n >= sizeof seg)
        return wu_fail(err, WU_ERANGE, "segments: the run's lengths no longer fit in %zu "
                       "characters (too many resumes to another length)", sizeof seg - 1);
    wu_schedule *s = NULL;
    int rc = wu_segments_next(&s, r->sched, r->c.schedule, sched_opts(r), r->step, steps, restart,
                              err);
    if (rc != WU_OK && !restart && !strncmp(err->msg, "replan: ", 8)) {
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg + 8);
        return wu_fail(err, rc, "steps: the schedule cannot be re-planned to %lld steps from step "
                       "%lld: %s; the restart policy (extend) re-evaluates the spec over the new "
                       "length instead", (long long)steps, (long long)r->step, m);
    }
    if (rc != WU_OK) return image_tokens(r, rc, err);
    if (steps > wu_sched_horizon(s)) {
        int64_t h = wu_sched_horizon(s);
        wu_sched_destroy(s);
        return wu_fail(err, WU_EINVAL, "steps: %lld is more than the %lld steps the schedule is "
                       "defined for", (long long)steps, (long long)h);
    }
    wu_optim_set_schedule(r->opt, s);
    wu_sched_destroy(r->sched);
    r->sched = s;
    r->c.steps = steps;
    memcpy(r->c.segments, seg, sizeof seg);
    return WU_OK;
}

/* Issue 18: a fresh run whose schedule uses warmup(auto) without a length: the probe (tune.c)
 * chooses it on a copy of the run, before the run is built, so the run is the one it would be
 * with that length given by hand; the choice goes into the configuration (summary.json, the
 * checkpoint: a resume does not probe again). On K ranks each rank would probe alone and might
 * choose differently (and the probe runs no collectives): refused, with the way round. */
static int auto_warmup(wu_run *r, wu_error *err)
{
    if (r->ranks > 1)
        return wu_fail(err, WU_EINVAL, "schedule: warmup(auto) is not probed on %d ranks (each "
                       "would probe its own share alone); run `warmup tune` with the same "
                       "options in one process first and give its length (auto_warmup)",
                       r->ranks);
    if (!(r->tune = malloc(sizeof *r->tune))) return wu_fail(err, WU_ENOMEM, "out of memory");
    int rc = wu_tune(&r->c, r->tune, err);
    if (rc == WU_OK) r->c.auto_warmup = r->tune->warmup_steps;
    return rc;
}

/* What can fail without touching the disk: the run directory must be one (or not exist yet),
 * the data, model and optimizer must build, a checkpoint must fit the model. */
static int open_prepare(wu_run *r, const wu_train_config *cfg, int resume, wu_error *err)
{
    unsigned char *blob = NULL;
    size_t blen = 0;
    int rc;
    r->c = *cfg;
    int64_t new_steps = 0; /* issue 17: a resume to another length, applied once resumed */
    if (resume) {
        wu_train_config saved;
        if ((rc = wu_ckpt_read(cfg->out, &saved, &blob, &blen, err)) != WU_OK) return rc;
        if (cfg->steps > 0 && cfg->steps < saved.steps && resume == WU_RESUME_RESTART) {
            free(blob);
            return wu_fail(err, WU_EINVAL, "steps: %lld is fewer than the %lld steps of the run "
                           "in %s: the restart policy (extend) can only extend a run; re-planning "
                           "can shorten it", (long long)cfg->steps, (long long)saved.steps,
                           cfg->out);
        }
        if (cfg->steps > 0 && cfg->steps != saved.steps) new_steps = cfg->steps;
        snprintf(saved.out, sizeof saved.out, "%s", cfg->out);
        r->c = saved; /* *cfg gets it once the run is open; the new length once it is resumed */
    }
    rc = WU_OK;
    struct stat sb;
    if (r->c.batch % r->ranks != 0)
        rc = wu_fail(err, WU_EINVAL, "batch: %d is not divisible by the %d ranks of this run: each "
                     "rank takes an equal share of the global batch (make the batch a multiple of "
                     "%d, or run on a number of ranks that divides it)", r->c.batch, r->ranks, r->ranks);
    else if (stat(r->c.out, &sb) == 0 && !S_ISDIR(sb.st_mode))
        rc = wu_fail(err, WU_EINVAL, "out: %s exists and is not a directory", r->c.out);
    else
        r->rank_batch = r->c.batch / r->ranks;
    if (rc == WU_OK && !resume && wu_tune_needed(&r->c)) rc = auto_warmup(r, err);
    if (rc == WU_OK) rc = wu_run_build(r, err);
    if (rc == WU_OK && resume) rc = wu_ckpt_apply(r, blob, blen, err);
    if (rc == WU_OK && new_steps)
        rc = change_length(r, new_steps, resume == WU_RESUME_RESTART, err);
    free(blob);
    return rc;
}

/* The run's files, rank 0 alone: a resumed metrics.csv cut back to its checkpoint, or a fresh
 * one in place of the old run's files. */
static int open_files(wu_run *r, int resume, wu_error *err)
{
    int rc;
    struct stat sb;
    char *mpath = r->metrics_path;
    snprintf(mpath, sizeof r->metrics_path, "%s/metrics.csv", r->c.out);
    if (r->rank > 0) {
        /* rank 0 alone writes the run's files */
    } else if (resume) {
        /* metrics.csv cut back to the rows the checkpoint covers: if opening it then fails,
           only rows that the next resume writes again are gone */
        if (stat(mpath, &sb) == 0 && sb.st_size < r->metrics_off) /* truncate() would pad it */
            return wu_fail(err, WU_EIO, "%s holds %lld bytes but the checkpoint covers %lld: it "
                           "was changed after the checkpoint was written; start the run again",
                           mpath, (long long)sb.st_size, (long long)r->metrics_off);
        if (truncate(mpath, r->metrics_off) == 0 && (r->metrics = fopen(mpath, "a")) != NULL)
            fseek(r->metrics, 0, SEEK_END); /* ftell counts from the end, not from 0 */
    } else {
        /* a fresh run: the directory (made if missing); the new metrics.csv written whole
           beside the old one (a full disk fails here, with the old run intact); then the old
           run's checkpoint and summary removed (they are not about this run) and the new
           metrics.csv renamed over the old one */
        char parent[600];
        snprintf(parent, sizeof parent, "%s", r->c.out);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
            *slash = '\0';
            wu_mkdirs(parent, NULL); /* --out runs/a in a fresh clone; a failure shows below */
        }
        if (mkdir(r->c.out, 0755) != 0 && errno != EEXIST)
            return wu_fail(err, WU_EIO, "out: %s cannot be created: %s", r->c.out, strerror(errno));
        wu_outfile o;
        if ((rc = wu_outfile_open(&o, mpath, err)) != WU_OK) return rc;
        wu_metrics_write_header(o.f);
        if ((rc = wu_outfile_sync(&o, err)) != WU_OK) return rc;
        char old[600];
        snprintf(old, sizeof old, "%s/checkpoint.bin", r->c.out);
        unlink(old);
        snprintf(old, sizeof old, "%s/summary.json", r->c.out);
        unlink(old);
        if ((rc = wu_outfile_commit(&o, err)) != WU_OK) return rc;
        /* issue 18: the probe's result kept for a resume (summary.json is rewritten then) */
        snprintf(old, sizeof old, "%s/" WU_TUNE_FILE, r->c.out);
        if (r->tune) {
            if ((rc = wu_tune_save(r->c.out, r->tune, err)) != WU_OK) return rc;
        } else {
            unlink(old); /* an earlier run's probe, not this run's */
        }
        r->metrics = fopen(mpath, "a");
        if (r->metrics) {
            r->metrics_off = fseek(r->metrics, 0, SEEK_END) == 0 ? ftell(r->metrics) : -1;
            if (r->metrics_off < 0)
                return wu_fail(err, WU_EIO, "cannot write %s: %s", mpath, strerror(errno));
        }
    }
    if (!r->metrics && r->rank == 0)
        return wu_fail(err, WU_EIO, "cannot write %s: %s", mpath, strerror(errno));
    return wu_probe_layers_open(r, resume, err);
}

/* On K ranks every rank opens the run, and agrees twice: before the disk is touched (so a rank
 * that cannot build the run leaves an old run's files as they were) and after rank 0 has made
 * its files. When one rank fails every rank fails, with the first failing rank's message. */
int wu_train_open(wu_run **out, wu_train_config *cfg, int resume, wu_error *err)
{
    *out = NULL;
    const int ranks = wu_dist_data_parallel() ? wu_dist_size() : 1;
    wu_run *r = calloc(1, sizeof *r);
    int rc = r ? WU_OK : wu_fail(err, WU_ENOMEM, "out of memory");
    if (r) {
        r->rank = ranks > 1 ? wu_dist_rank() : 0;
        r->ranks = ranks;
        rc = open_prepare(r, cfg, resume, err);
    }
    if (ranks > 1) rc = wu_dist_agree_err(rc, err);
    if (rc == WU_OK) rc = open_files(r, resume, err);
    if (ranks > 1) rc = wu_dist_agree_err(rc, err);
    if (rc != WU_OK) return r ? open_fail(r, NULL, rc) : rc;
    r->t0 = r->session_t0 = wu_run_now();
    r->started = r->step;
    wu_run_threads_start(r);
    if (resume) *cfg = r->c;
    cfg->auto_warmup = r->c.auto_warmup; /* issue 18: what the probe chose */
    *out = r;
    return WU_OK;
}

int wu_train_resumable(const wu_train_config *c, wu_error *err)
{
    wu_run *r = calloc(1, sizeof *r);
    if (!r) return wu_fail(err, WU_ENOMEM, "out of memory");
    r->ranks = 1;
    int rc = open_prepare(r, c, 1, err);
    wu_run_free(r);
    free(r);
    return rc;
}

/* ---- what a directory holds ------------------------------------------------------------------ */

int wu_run_dir_holds(const char *dir, char *what, size_t n)
{
    static const char *const files[] = {"checkpoint.bin", "summary.json", "metrics.csv"};
    int have[3] = {0, 0, 0}, any = 0;
    for (int i = 0; i < 3; i++) {
        char path[700];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        have[i] = lstat(path, &sb) == 0;
        any |= have[i] << i;
    }
    if (!any) {
        if (n) what[0] = '\0';
        return 0;
    }
    size_t len = (size_t)snprintf(what, n, "%s (", have[0] ? "an interrupted run"
                                                  : have[1] ? "a finished run" : "a run's files");
    for (int i = 0, first = 1; i < 3 && len < n; i++)
        if (have[i]) {
            len += (size_t)snprintf(what + len, n - len, "%s%s", first ? "" : ", ", files[i]);
            first = 0;
        }
    if (len < n) snprintf(what + len, n - len, ")");
    return any;
}

/* ---- closing: the result and the summary ---------------------------------------------------- */

static void json_num(FILE *f, const char *key, double v, int comma)
{
    fprintf(f, "  \"%s\": ", key);
    if (isfinite(v)) fprintf(f, "%.9g", v);
    else fputs("null", f);
    fputs(comma ? ",\n" : "\n", f);
}

static int write_summary(const wu_run *r, const wu_train_result *res, wu_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", r->c.out);
    wu_outfile o;
    if (wu_outfile_open(&o, path, err)) return err->code;
    FILE *f = o.f;
    fputs("{\n  \"config\": ", f);
    wu_train_config_json(f, &r->c);
    /* issue 17: the run's lengths, one entry per resume that changed it (config.segments,
       spelled out): from which step, how long the run was, and how the schedule followed */
    fputs(",\n  \"segments\": [", f);
    if (!r->c.segments[0]) {
        fprintf(f, "{\"from\": 0, \"steps\": %lld}", (long long)r->c.steps);
    } else {
        const char *p = r->c.segments;
        for (int i = 0; *p; i++) {
            int64_t from, total;
            int restart;
            if (wu_segments_read(&p, &from, &total, &restart) != 0) break; /* checked when built */
            fprintf(f, "%s{\"from\": %lld, \"steps\": %lld", i ? ", " : "", (long long)from,
                    (long long)total);
            if (i) fprintf(f, ", \"extend\": \"%s\"", restart ? "restart" : "replan");
            fputc('}', f);
        }
    }
    fputc(']', f);
    if (r->tune) { /* issue 18: the warmup(auto) probe of this run */
        fputs(",\n  \"auto_warmup\": ", f);
        wu_tune_json(f, r->tune);
    } else if (r->c.auto_warmup >= 0) { /* given, or probed by an earlier session */
        char *saved = wu_tune_load_json(r->c.out, r->c.auto_warmup);
        if (saved) /* probed before a resume: its choice and cost still count */
            fprintf(f, ",\n  \"auto_warmup\": %s", saved);
        else
            fprintf(f, ",\n  \"auto_warmup\": {\"steps\": %lld, \"probed\": false}",
                    (long long)r->c.auto_warmup);
        free(saved);
    }
    fprintf(f, ",\n  \"parameters\": %zu,\n", r->net.nparams);
    fprintf(f, "  \"ranks\": %d,\n  \"rank_batch\": %d,\n", r->ranks, r->rank_batch);
    fprintf(f, "  \"status\": \"%s\",\n", res->diverged ? "diverged"
                                          : res->interrupted ? "interrupted" : "completed");
    fprintf(f, "  \"steps_done\": %lld,\n", (long long)res->steps_done);
    json_num(f, "first_loss", res->first_loss, 1);
    json_num(f, "final_loss", res->final_loss, 1);
    json_num(f, "best_loss", res->best_loss, 1);
    fprintf(f, "  \"best_step\": %lld,\n", (long long)res->best_step);
    json_num(f, "final_val_loss", res->final_val_loss, 1);
    json_num(f, "final_val_acc", res->final_val_acc, 1);
    fprintf(f, "  \"diverged\": %s,\n", res->diverged ? "true" : "false");
    if (res->diverged_at >= 0) fprintf(f, "  \"diverged_at\": %lld,\n", (long long)res->diverged_at);
    else fputs("  \"diverged_at\": null,\n", f);
    fprintf(f, "  \"spikes\": %d,\n", res->spikes);
    fprintf(f, "  \"nonfinite_steps\": %lld,\n", (long long)res->nonfinite_steps);
    if (res->first_nonfinite_step >= 0)
        fprintf(f, "  \"first_nonfinite_step\": %lld,\n", (long long)res->first_nonfinite_step);
    else fputs("  \"first_nonfinite_step\": null,\n", f);
    json_num(f, "max_grad_norm_first_10pct", res->max_grad_norm_early, 1);
    json_num(f, r->text ? "tokens_per_s" : "images_per_s", res->items_per_s, 1);
    json_num(f, r->text ? "tokens_per_wall_s" : "images_per_wall_s", res->items_per_wall_s, 1);
    json_num(f, "train_time_s", res->train_s, 1);
    fprintf(f, "  \"threads\": %d,\n  \"threads_min\": %d,\n", res->threads_max, res->threads_min);
    json_num(f, "wall_time_s", res->wall_s, 0);
    fputs("}\n", f);
    if (wu_outfile_commit(&o, err)) return err->code;
    return WU_OK;
}

int wu_run_drift_fail(wu_run *r, wu_error *err)
{
    return r->failed = wu_fail(err, WU_EIO, "after step %lld the ranks hold different weights or "
                               "optimizer states (a fault of the MPI run): the run stops; resume "
                               "it from its last checkpoint", (long long)r->step - 1);
}

int wu_run_ranks_agree(const wu_run *r)
{
    uint64_t h = wu_fnv1a((const unsigned char *)r->net.params, r->net.nparams * sizeof(float));
    size_t n = wu_optim_state_size(r->opt);
    unsigned char *st = malloc(n ? n : 1);
    wu_error e;
    if (st && wu_optim_state_save(r->opt, st, n, &e) == WU_OK) h ^= wu_fnv1a(st, n) * 31;
    free(st);
    return wu_dist_same_u64(h);
}

int wu_train_close(wu_run *r, wu_train_result *res, wu_error *err)
{
    if (!r) return WU_OK;
    int rc = r->failed;
    if (r->metrics && fclose(r->metrics) != 0 && rc == WU_OK)
        rc = wu_fail(err, WU_EIO, "cannot write %s: %s", r->metrics_path, strerror(errno));
    r->metrics = NULL;
    wu_train_result tmp;
    if (!res) res = &tmp;
    memset(res, 0, sizeof *res);
    double now = wu_run_now(), wall = r->elapsed_before + (now - r->t0);
    res->steps_done = r->step;
    res->first_loss = r->tr.first_loss;
    res->final_loss = r->tr.last_loss;
    res->best_loss = r->tr.best_loss;
    res->best_step = r->tr.best_step;
    res->final_val_loss = r->tr.last_val_loss;
    res->final_val_acc = r->tr.last_val_acc;
    res->diverged = r->tr.diverged;
    res->diverged_at = r->tr.diverged_at;
    res->spikes = r->tr.spikes;
    res->nonfinite_steps = r->tr.nonfinite;
    res->first_nonfinite_step = r->tr.first_nonfinite;
    res->max_grad_norm_early = r->tr.max_gnorm_early;
    res->wall_s = wall;
    double sdt = now - r->session_t0, tdt = wu_run_train_s(r, now);
    res->items_per_s = tdt > 0 ? r->session_items / tdt : 0;
    res->items_per_wall_s = sdt > 0 ? r->session_items / sdt : 0;
    res->train_s = tdt;
    res->threads_max = r->threads_max;
    res->threads_min = r->threads_min;
    res->interrupted = !wu_train_done(r);
    if (rc == WU_OK && r->pending) /* metrics.csv lacks the last step: nothing would agree */
        rc = wu_fail(err, WU_EINVAL, "step %lld was made but not logged (wu_train_log): the run "
                     "is closed without a checkpoint or a summary", (long long)r->step - 1);
    if (r->ranks > 1 && !wu_run_ranks_agree(r) && rc == WU_OK) rc = wu_run_drift_fail(r, err);
    if (rc == WU_OK && res->interrupted && r->rank == 0) { /* rank 0 alone writes */
        r->elapsed_before = wall;
        r->t0 = now;
        rc = wu_ckpt_save(r, err);
    }
    if (rc == WU_OK && r->rank == 0) rc = write_summary(r, res, err);
    /* on K ranks every rank ends with rank 0's outcome, and only once rank 0 has written: a
       rank that exited first with a failure would make mpirun stop rank 0 mid-write */
    if (r->ranks > 1) rc = wu_dist_agree_err(rc, err);
    if (r->failed || (rc != WU_OK && !r->pending)) {
        /* failed at run time: metrics.csv keeps its whole rows (a row cut by a full disk is
           dropped), the last checkpoint stays to resume from, and no summary.json is left to
           describe other rows than these (a resumed run's old one is removed) */
        res->failed = 1;
        if (r->rank == 0 && r->metrics_off > 0 && truncate(r->metrics_path, r->metrics_off) != 0) {
            /* left as it is: a resume cuts it back to the checkpoint */
        }
        char path[600];
        snprintf(path, sizeof path, "%s/summary.json", r->c.out);
        if (r->rank == 0) unlink(path);
    }
    wu_run_free(r);
    free(r);
    return rc;
}

/* ---- gradient norms at initialisation ------------------------------------------------------- */

int wu_train_init_grad_norms(const wu_train_config *cfg, int batches, double *norms, int max,
                             int *n, wu_error *err)
{
    wu_run *r = calloc(1, sizeof *r);
    if (!r) return wu_fail(err, WU_ENOMEM, "out of memory");
    r->c = *cfg;
    r->grad_norms = 1;
    *n = 0;
    int rc = wu_run_build(r, err);
    if (rc == WU_OK) {
        if (max > WU_MAX_LAYERS) max = WU_MAX_LAYERS;
        double sum[WU_MAX_LAYERS] = {0};
        int L = 0;
        for (int b = 0; rc == WU_OK && b < batches; b++) {
            float loss;
            int correct;
            wu_run_next_batch(r);
            rc = wu_model_forward(&r->net, r->text ? (const void *)r->tok : (const void *)r->x,
                                  r->text ? r->tgt : r->labels, r->c.batch, &loss, &correct);
            if (rc != WU_OK) {
                rc = wu_fail(err, rc, "batch %d: the %s refused it (a target outside its classes "
                             "or vocabulary)", b, r->c.model);
                break;
            }
            wu_model_backward(&r->net);
            wu_model_diag d;
            wu_model_diagnostics(&r->net, &d);
            L = d.nlayers < max ? d.nlayers : max;
            for (int l = 0; l < L; l++) sum[l] += d.grad_norm_layer[l];
        }
        for (int l = 0; rc == WU_OK && l < L; l++) norms[l] = batches > 0 ? sum[l] / batches : NAN;
        if (rc == WU_OK) *n = L;
    }
    wu_run_free(r);
    free(r);
    return rc;
}
