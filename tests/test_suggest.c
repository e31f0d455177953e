/* test_suggest.c - every warmup rule with worked numbers, the choice between them, the LR
 * scaling rules, and the inputs that must be refused. */
#include <string.h>

#include "harness.h"
#include "warmup.h"

static wu_suggestion run(wu_suggest_in in)
{
    wu_suggestion s;
    wu_error e;
    int rc = wu_suggest_warmup(&s, &in, &e);
    CHECK(rc == WU_OK, "suggest failed: %s", e.msg);
    return s;
}

static int has_rule(const wu_suggestion *s, const char *name, int64_t steps)
{
    for (int i = 0; i < s->nrules; i++)
        if (strstr(s->rules[i].name, name) && s->rules[i].steps == steps) return 1;
    return 0;
}

static void expect_error(wu_suggest_in in, const char *words)
{
    wu_suggestion s;
    wu_error e;
    int rc = wu_suggest_warmup(&s, &in, &e);
    CHECK(rc == WU_EINVAL && strstr(e.msg, words), "want an error with '%s', got rc %d: %s",
          words, rc, rc ? e.msg : "");
}

int main(void)
{
    /* the guide's large-batch example: 1e-4 at batch 256 -> batch 8192 with SGD:
       LR x 32 = 3.2e-3, warmup 1000 x 32 = 32000 (linear scaling rule, Goyal et al. 2017) */
    wu_suggestion s = run((wu_suggest_in){.total_steps = 100000, .optimizer = WU_OPT_SGD,
                                          .batch = 8192, .base_batch = 256, .base_lr = 1e-4,
                                          .base_warmup = 1000});
    CHECK(s.warmup_steps == 32000, "guide: warmup %lld, want 32000", (long long)s.warmup_steps);
    CHECK(th_rel(s.lr, 3.2e-3) < 1e-15, "guide: LR %.17g, want 3.2e-3", s.lr);
    CHECK(strstr(s.rules[s.picked].name, "batch scaling") != NULL, "picked %s",
          s.rules[s.picked].name);
    CHECK(strstr(s.lr_rule, "linear scaling") != NULL, "lr rule: %s", s.lr_rule);
    CHECK(strcmp(s.spec, "warmup(32000) > cosine") == 0, "spec %s", s.spec);
    CHECK(strcmp(s.hf_spec, "hf:cosine(num_warmup_steps=32000, num_training_steps=100000)") == 0,
          "hf spec %s", s.hf_spec);
    CHECK(strstr(s.conflicts, "percentage of total steps says 10000") != NULL,
          "the percentage rule's disagreement is reported: %s", s.conflicts);

    /* the same with AdamW: square-root scaling (Malladi et al. 2022): 1e-4 x sqrt(32) */
    s = run((wu_suggest_in){.total_steps = 100000, .optimizer = WU_OPT_ADAMW, .batch = 8192,
                            .base_batch = 256, .base_lr = 1e-4, .base_warmup = 1000});
    CHECK(th_rel(s.lr, 1e-4 * 5.656854249492381) < 1e-15, "sqrt scaling: %.17g", s.lr);
    CHECK(s.warmup_steps == 32000 && strstr(s.lr_rule, "square-root"), "adam: %lld, %s",
          (long long)s.warmup_steps, s.lr_rule);

    /* percentage of the run: 5-10% of 10000, the guide's int(0.1 * total) = 1000 */
    s = run((wu_suggest_in){.total_steps = 10000, .optimizer = WU_OPT_SGD});
    CHECK(s.warmup_steps == 1000 && s.rules[s.picked].low == 500 && s.rules[s.picked].high == 1000,
          "percentage: %lld in [%lld, %lld]", (long long)s.warmup_steps,
          (long long)s.rules[s.picked].low, (long long)s.rules[s.picked].high);
    CHECK(s.lr == 0 && strstr(s.lr_rule, "no LR known"), "no LR without one: %s", s.lr_rule);

    /* BERT fine-tuning: 6-10% */
    s = run((wu_suggest_in){.total_steps = 10000, .optimizer = WU_OPT_SGD,
                            .scenario = WU_SCN_BERT_FINETUNE, .decay = WU_DECAY_LINEAR});
    CHECK(s.warmup_steps == 1000 && s.rules[s.picked].low == 600, "bert: %lld from %lld",
          (long long)s.warmup_steps, (long long)s.rules[s.picked].low);
    CHECK(strcmp(s.hf_spec, "hf:linear(num_warmup_steps=1000, num_training_steps=10000)") == 0,
          "bert hf spec %s", s.hf_spec);

    /* scenario table: small dataset 100-500, large model 1000-5000 */
    s = run((wu_suggest_in){.total_steps = 2000, .optimizer = WU_OPT_SGD,
                            .scenario = WU_SCN_SMALL_DATASET});
    CHECK(s.warmup_steps == 200, "small dataset, 2000 steps: %lld", (long long)s.warmup_steps);
    s = run((wu_suggest_in){.total_steps = 20000, .optimizer = WU_OPT_SGD,
                            .scenario = WU_SCN_SMALL_DATASET});
    CHECK(s.warmup_steps == 500, "small dataset, 20000 steps: clamped to 500, got %lld",
          (long long)s.warmup_steps);
    s = run((wu_suggest_in){.total_steps = 200000, .optimizer = WU_OPT_SGD,
                            .scenario = WU_SCN_LARGE_MODEL});
    CHECK(s.warmup_steps == 5000, "large model: %lld", (long long)s.warmup_steps);
    s = run((wu_suggest_in){.total_steps = 5000, .optimizer = WU_OPT_SGD,
                            .scenario = WU_SCN_LARGE_MODEL});
    CHECK(s.warmup_steps == 1000, "large model, short run: %lld", (long long)s.warmup_steps);

    /* ViT: 5 epochs; the epoch length from the dataset and batch: ceil(50000/128) = 391 */
    s = run((wu_suggest_in){.epochs = 100, .dataset_size = 50000, .batch = 128,
                            .optimizer = WU_OPT_SGD, .scenario = WU_SCN_VIT});
    CHECK(s.steps_per_epoch == 391 && s.total_steps == 39100 && s.warmup_steps == 1955,
          "vit: spe %lld, total %lld, warmup %lld", (long long)s.steps_per_epoch,
          (long long)s.total_steps, (long long)s.warmup_steps);
    CHECK(has_rule(&s, "one epoch", 391), "the one-epoch rule is listed");

    /* untuned warmup 2/(1-beta2) for Adam (Ma & Yarats 2019) */
    s = run((wu_suggest_in){.total_steps = 10000, .optimizer = WU_OPT_ADAMW});
    CHECK(s.warmup_steps == 2000 && strstr(s.rules[s.picked].name, "untuned"),
          "adamw 10000 steps: %lld from %s", (long long)s.warmup_steps, s.rules[s.picked].name);
    CHECK(strstr(s.conflicts, "raised to 2000") != NULL, "says it raised it: %s", s.conflicts);
    s = run((wu_suggest_in){.total_steps = 4000, .optimizer = WU_OPT_ADAM});
    CHECK(s.warmup_steps == 400 && strstr(s.conflicts, "more than a quarter"),
          "adam, short run keeps 10%%: %lld (%s)", (long long)s.warmup_steps, s.conflicts);
    s = run((wu_suggest_in){.total_steps = 4000, .optimizer = WU_OPT_ADAM, .beta2 = 0.99});
    CHECK(has_rule(&s, "untuned", 200) && s.warmup_steps == 400,
          "beta2 0.99: untuned 200, keeps the larger 400: %lld", (long long)s.warmup_steps);
    s = run((wu_suggest_in){.total_steps = 100000, .optimizer = WU_OPT_ADAMW});
    CHECK(s.warmup_steps == 10000, "adamw long run: 10%% is longer than untuned: %lld",
          (long long)s.warmup_steps);

    /* an LR given as is */
    s = run((wu_suggest_in){.total_steps = 1000, .lr = 3e-4, .decay = WU_DECAY_WSD});
    CHECK(s.lr == 3e-4 && strcmp(s.spec, "warmup(100) > constant > sqrt(200)") == 0,
          "given LR and WSD spec: %g %s", s.lr, s.spec);

    /* issue 17: the batch-scaling rule says what its number keeps. At batch 8 -> 64 the guide's
       40 x 8 = 320 steps does not keep the examples seen during warmup (it was said to); those
       are 40 x 8/64 = 5 steps, and the note and the reason now say which is which */
    s = run((wu_suggest_in){.total_steps = 1000, .optimizer = WU_OPT_SGD, .batch = 64,
                            .base_batch = 8, .base_warmup = 40});
    CHECK(s.warmup_steps == 320, "8 -> 64: warmup %lld, want 320", (long long)s.warmup_steps);
    CHECK(!strstr(s.why, "keeps the same number of examples"), "why still claims fixed data: %s",
          s.why);
    CHECK(strstr(s.why, "would be 5 steps") && strstr(s.rules[s.picked].note, "= 5 steps"),
          "the fixed-data count (5 steps) is said: %s | %s", s.why, s.rules[s.picked].note);
    /* gradient accumulation: one step is one update, whose batch is 16 x 4 = 64 */
    wu_suggestion a = run((wu_suggest_in){.total_steps = 1000, .optimizer = WU_OPT_SGD,
                                          .batch = 16, .accumulation = 4, .base_batch = 8,
                                          .base_warmup = 40, .base_lr = 0.1});
    CHECK(a.warmup_steps == 320 && th_rel(a.lr, 0.8) < 1e-15, "accumulation 4: %lld %g",
          (long long)a.warmup_steps, a.lr);
    CHECK(strstr(a.rules[a.picked].note, "16x4/8") && strstr(a.lr_rule, "16x4/8"),
          "accumulation in the notes: %s | %s", a.rules[a.picked].note, a.lr_rule);
    a = run((wu_suggest_in){.epochs = 2, .dataset_size = 1000, .batch = 10, .accumulation = 5,
                            .optimizer = WU_OPT_SGD});
    CHECK(a.steps_per_epoch == 20 && a.total_steps == 40, "epochs count updates: %lld/epoch, %lld",
          (long long)a.steps_per_epoch, (long long)a.total_steps);
    expect_error((wu_suggest_in){.total_steps = 100, .accumulation = -2}, "accumulation");

    /* refused inputs */
    expect_error((wu_suggest_in){.optimizer = WU_OPT_SGD}, "run length is unknown");
    expect_error((wu_suggest_in){.total_steps = -5}, "must be positive");
    expect_error((wu_suggest_in){.total_steps = 100, .batch = -1}, "must be positive");
    expect_error((wu_suggest_in){.total_steps = 100, .beta2 = 1.0}, "beta2 must be in [0, 1)");
    expect_error((wu_suggest_in){.total_steps = 1000, .batch = 64, .base_batch = 32,
                                 .base_warmup = 1000}, "not shorter than the run");
    expect_error((wu_suggest_in){.total_steps = 1000, .batch = 640, .base_batch = 32,
                                 .base_warmup = 100}, "suggested warmup (2000 steps");
    expect_error((wu_suggest_in){.total_steps = 1000, .scenario = WU_SCN_VIT}, "5 epochs");
    expect_error((wu_suggest_in){.total_steps = 1000, .base_batch = 32, .base_lr = 0.1},
                 "(batch)");
    expect_error((wu_suggest_in){.total_steps = 10, .optimizer = WU_OPT_SGD,
                                 .scenario = WU_SCN_LARGE_MODEL}, "not shorter than the run");
    /* counts that would overflow int64 arithmetic (a negative warmup came out of llround) */
    expect_error((wu_suggest_in){.total_steps = (int64_t)1 << 62, .batch = (int64_t)1 << 40,
                                 .base_batch = 1, .base_warmup = (int64_t)1 << 30}, "at most 2^53");
    expect_error((wu_suggest_in){.total_steps = (int64_t)1 << 53, .batch = (int64_t)1 << 40,
                                 .base_batch = 1, .base_warmup = (int64_t)1 << 30},
                 "scaled by the batch");
    expect_error((wu_suggest_in){.epochs = 1e300, .steps_per_epoch = 1000}, "more than 2^53 steps");
    s = run((wu_suggest_in){.total_steps = (int64_t)1 << 53, .optimizer = WU_OPT_SGD});
    CHECK(s.warmup_steps == ((int64_t)1 << 53) / 10 && strstr(s.spec, "warmup("),
          "a 2^53-step run: %lld, %s", (long long)s.warmup_steps, s.spec);
    /* wu_sched_fill past INT64_MAX holds the last step's value instead of wrapping to 0 */
    {
        wu_schedule *sc = NULL;
        wu_sched_opts so = {.lr = 1.0, .total_steps = 100};
        double v[3];
        CHECK(wu_sched_parse(&sc, "warmup(10) > cosine(to=0.5)", &so, NULL) == WU_OK, "parse");
        wu_sched_fill(sc, v, 3, INT64_MAX - 1);
        CHECK(v[0] == 0.5 && v[1] == 0.5 && v[2] == 0.5, "fill at INT64_MAX: %g %g %g", v[0], v[1],
              v[2]);
        wu_sched_destroy(sc);
    }
    return th_done("test_suggest");
}
