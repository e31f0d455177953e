/* test_tune.c - warmup chosen automatically (issue 18): warmup(auto) in libwarmup (it takes
 * wu_sched_opts.auto_warmup_steps, and says how to choose one when it has none), and the probe
 * of src/train/tune.c on a tiny GPT: within its budget, deterministic, what it chooses when the
 * peak LR is stable at once, when a ramp holds it and when nothing does, and the runs it
 * refuses. tests/test_tune.sh tests the same from the command line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "harness.h"
#include "data/data.h"
#include "lab/study.h"
#include "train/tune.h"
#include "warmup.h"

static wu_status parse(wu_schedule **s, const char *spec, int64_t total, int64_t autow, wu_error *e)
{
    wu_sched_opts o = {.lr = 0.5, .total_steps = total, .auto_warmup_steps = autow};
    return wu_sched_parse(s, spec, &o, e);
}

/* Do a and b give the same LR, bit for bit, over steps [0, n]? */
static int same(const char *a, const char *b, int64_t n, int64_t autow)
{
    wu_schedule *sa, *sb;
    wu_error e;
    if (parse(&sa, a, n, autow, &e) != WU_OK) return printf("  %s: %s\n", a, e.msg), 0;
    if (parse(&sb, b, n, 0, &e) != WU_OK) return wu_sched_destroy(sa), printf("  %s: %s\n", b, e.msg), 0;
    int eq = wu_sched_warmup_steps(sa) == wu_sched_warmup_steps(sb);
    for (int64_t k = 0; k <= n; k++) eq &= wu_sched_lr(sa, k) == wu_sched_lr(sb, k);
    wu_sched_destroy(sa), wu_sched_destroy(sb);
    return eq;
}

static void test_spec(void)
{
    wu_schedule *s;
    wu_error e;
    CHECK(parse(&s, "warmup(auto) > cosine", 100, 0, &e) == WU_EINVAL && s == NULL,
          "warmup(auto) without a length parsed");
    CHECK(strstr(e.msg, "warmup tune") && strstr(e.msg, "auto_warmup_steps") && e.col == 8,
          "the message says how to choose one, at the argument: col %d, %s", e.col, e.msg);
    CHECK(same("warmup(auto) > cosine", "warmup(17) > cosine", 100, 17), "auto = 17 is warmup(17)");
    CHECK(same("warmup(auto, exp, from=0.1) > constant", "warmup(9, exp, from=0.1) > constant", 60, 9),
          "shape and from= work with auto");
    CHECK(same("warmup(auto) > cosine", "warmup(0) > cosine", 50, WU_AUTO_WARMUP_NONE),
          "WU_AUTO_WARMUP_NONE is no warmup");
    CHECK(parse(&s, "warmup(auto, len=auto) > cosine", 50, 3, &e) == WU_EINVAL,
          "auto given twice is refused as any length given twice");
    CHECK(parse(&s, "warmup(auto) > cosine", 100, -5, &e) == WU_EINVAL && strstr(e.msg, "-5"),
          "a negative length other than NONE: %s", e.msg);
    CHECK(parse(&s, "warmup(auto) > cosine", 100, 101, &e) == WU_EINVAL,
          "a chosen length longer than the run is refused as warmup(101) is");
    CHECK(parse(&s, "cosine(auto)", 100, 5, &e) != WU_OK, "auto is a warmup's length only");
    CHECK(parse(&s, "warmup(autox) > cosine", 100, 5, &e) != WU_OK, "autox is not auto");
}

static void tiny(wu_train_config *c, double lr, int64_t steps)
{
    wu_train_defaults(c);
    c->layers = 1, c->heads = 2, c->dim = 16, c->seq = 16, c->batch = 4;
    c->builtin_bytes = 20000;
    c->lr = lr, c->steps = steps;
    snprintf(c->schedule, sizeof c->schedule, "warmup(auto) > cosine");
    snprintf(c->out, sizeof c->out, "/nonexistent/never-written");
}

static void test_needed(void)
{
    wu_train_config c;
    tiny(&c, 1e-3, 100);
    CHECK(wu_tune_needed(&c) == 1, "warmup(auto) without a length needs the probe");
    snprintf(c.schedule, sizeof c.schedule, "warmup(auto, exp) > constant > linear(10%%)");
    CHECK(wu_tune_needed(&c) == 1, "also with a shape and more phases");
    c.auto_warmup = 0;
    CHECK(wu_tune_needed(&c) == 0 && wu_tune_sched_steps(&c) == WU_AUTO_WARMUP_NONE,
          "a chosen 0 needs none");
    c.auto_warmup = 12;
    CHECK(wu_tune_needed(&c) == 0 && wu_tune_sched_steps(&c) == 12, "a chosen 12 needs none");
    c.auto_warmup = -1;
    CHECK(wu_tune_sched_steps(&c) == 0, "not chosen is 0 for libwarmup");
    snprintf(c.schedule, sizeof c.schedule, "warmup(5%%) > cosine");
    CHECK(wu_tune_needed(&c) == 0, "a spec without auto needs none");
    snprintf(c.schedule, sizeof c.schedule, "warmup(auto) > bogus");
    CHECK(wu_tune_needed(&c) == 0, "a spec that is wrong anyway is left to the run's own error");
    snprintf(c.schedule, sizeof c.schedule, "warmup(auto) > cosine(2ep)");
    CHECK(wu_tune_needed(&c) == 1, "a length in epochs does not hide auto");
}

static void test_probe(void)
{
    wu_train_config c;
    wu_tune_result *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    wu_error e;
    /* a low LR: stable at once, no warmup, stage 1 only */
    tiny(&c, 1e-3, 200);
    CHECK(wu_tune(&c, a, &e) == WU_OK, "tune: %s", e.msg);
    CHECK(a->warmup_steps == 0 && a->stable_at_once && a->catapults == 0, "LR 1e-3: %lld steps, %s",
          (long long)a->warmup_steps, a->reason);
    CHECK(a->budget == 20 && a->passes <= a->budget && a->passes == a->ntrace, "passes %lld of %lld",
          (long long)a->passes, (long long)a->budget);
    CHECK(fabs(a->pct_of_run - 100.0 * (double)a->passes / 200) < 1e-12 && a->wall_s >= 0, "cost");
    /* a high LR: a catapult, then a ramp that holds the peak */
    tiny(&c, 0.5, 200);
    CHECK(wu_tune(&c, a, &e) == WU_OK && wu_tune(&c, b, &e) == WU_OK, "tune: %s", e.msg);
    CHECK(a->warmup_steps > 0 && !a->exhausted && a->catapults >= 1 && a->passes <= a->budget,
          "LR 0.5: %lld steps, %d catapults, %lld passes: %s", (long long)a->warmup_steps,
          a->catapults, (long long)a->passes, a->reason);
    CHECK(a->warmup_steps == b->warmup_steps && a->passes == b->passes &&
          !memcmp(a->trace_loss, b->trace_loss, sizeof(float) * (size_t)a->ntrace) &&
          !strcmp(a->reason, b->reason), "the probe is deterministic");
    /* the ramp is linear from 0 at the slope peak / R, halved at each catapult, capped at the peak */
    int ramp_ok = 1;
    for (int i = 1; i < a->ntrace; i++)
        if (a->trace_stage[i] == 2) ramp_ok &= a->trace_lr[i] <= 0.5 && a->trace_lr[i] > 0;
    CHECK(ramp_ok && a->trace_stage[0] == 1 && a->trace_lr[0] == 0.5, "the trace's LRs");
    CHECK(a->trace_stage[a->ntrace - 1] == 2 && a->trace_lr[a->ntrace - 1] == 0.5,
          "the ramp ends at the peak it held");
    /* far too high: never held within the budget: the ceiling */
    tiny(&c, 3.0, 200);
    CHECK(wu_tune(&c, a, &e) == WU_OK && a->exhausted && a->warmup_steps == 50 &&
          a->passes <= a->budget, "LR 3: %lld steps, %s", (long long)a->warmup_steps, a->reason);
    /* too short to probe within 10% */
    tiny(&c, 1e-3, 49);
    CHECK(wu_tune(&c, a, &e) == WU_EINVAL && strstr(e.msg, "at least 50 steps") &&
          !strncmp(e.msg, "steps: ", 7), "a 49-step run: %s", e.msg);
    tiny(&c, 1e-3, 50);
    CHECK(wu_tune(&c, a, &e) == WU_OK && a->passes <= 5, "a 50-step run: %lld passes",
          (long long)a->passes);
    /* a bad configuration is the run's error */
    tiny(&c, 1e-3, 200);
    c.dim = 15; /* not divisible by the heads */
    CHECK(wu_tune(&c, a, &e) != WU_OK, "a bad configuration probed");
    free(a), free(b);
}

/* The auto-warmup study's plan: three tasks x five warmups x the seeds, every schedule a
 * warmup of the grid or warmup(auto); --data refused. Needs Debian's Fashion-MNIST. */
static void test_plan(void)
{
    if (access(WU_FASHION_DIR "/train-images-idx3-ubyte.gz", R_OK) != 0) {
        printf("  skipped: the auto-warmup plan: no %s (apt-get install dataset-fashion-mnist)\n",
               WU_FASHION_DIR);
        return;
    }
    wu_study *s = malloc(sizeof *s);
    wu_error e;
    for (int q = 0; q < 2; q++) {
        int rc = wu_study_init(s, "auto-warmup", q, "/tmp/st", 7, "", &e);
        if (rc == WU_OK) rc = wu_plan_auto_warmup(s, &e);
        CHECK(rc == WU_OK && s->n == (q ? 30 : 45) && s->ngroups == 3, "plan%s: %d runs, %s",
              q ? " quick" : "", s->n, rc ? e.msg : "");
        int autos = 0;
        for (int i = 0; i < s->n; i++) {
            autos += !strncmp(s->runs[i].c.schedule, "warmup(auto)", 12);
            CHECK(s->runs[i].c.auto_warmup == -1 && s->runs[i].c.lr == 3e-3, "run %d", i);
        }
        CHECK(autos == s->n / 5 && s->runs[0].c.seed == 7, "%d automatic arms", autos);
    }
    CHECK(wu_study_init(s, "auto-warmup", 1, "/tmp/st", 1, "/tmp", &e) == WU_OK &&
          wu_plan_auto_warmup(s, &e) == WU_EINVAL && !strncmp(e.msg, "data: ", 6),
          "--data refused: %s", e.msg);
    free(s);
}

int main(void)
{
    test_plan();
    test_spec();
    test_needed();
    test_probe();
    printf("test_tune: %d passed, %d failed\n", th_pass, th_fail);
    return th_fail != 0;
}
