/* study_auto.c - the plan of `warmup study auto-warmup` (issue 18): warmup(auto), whose length
 * the probe of src/train/tune.h chooses per run, against a grid of fixed warmups (0, 2%, 10%,
 * 25%) at the same peak LR, on three tasks (the GPT on the built-in language, the GPT on a text
 * corpus Debian always has, the ViT on Fashion-MNIST), over three seeds. The report
 * (report/study_auto_report.c) compares the automatic warmup's final loss with the grid's best
 * and its compute (the probe counted) with the grid's. */
#include <stdio.h>
#include <string.h>

#include "../data/data.h"
#include "../util/fail.h"
#include "study.h"

/* The text corpus: the licence texts of Debian's base-files (Essential: on every system). */
#define AUTO_TEXT_DIR "/usr/share/common-licenses"
#define AUTO_SEEDS 3 /* --quick: 2 (its time goes mostly to loading Fashion-MNIST per run) */
#define AUTO_PEAK_LR 3e-3 /* the top of the optimizers study's AdamW grid: high enough that the
                             warmup can matter, the usual range for these models */

static const char *const GRID[] = {"0", "2%", "10%", "25%"};
#define NGRID 4

/* The three tasks, their models sized so that the default study runs in about 10 minutes on 2
 * cores and --quick in under one. */
static void task_config(wu_train_config *c, int task, int quick, uint64_t seed)
{
    wu_train_defaults(c);
    c->seed = seed;
    c->eval_every = 0;
    c->lr = AUTO_PEAK_LR;
    if (task < 2) { /* the GPT */
        snprintf(c->data, sizeof c->data, "%s", task == 0 ? "builtin" : AUTO_TEXT_DIR);
        c->layers = 2, c->heads = 2;
        c->dim = quick ? 32 : 64, c->seq = quick ? 16 : 32, c->batch = quick ? 8 : 16;
        c->steps = quick ? 80 : 300;
        if (quick) c->builtin_bytes = 1 << 17;
    } else { /* the ViT */
        snprintf(c->model, sizeof c->model, "vit");
        snprintf(c->data, sizeof c->data, "fashion-mnist");
        c->layers = quick ? 1 : 2, c->heads = 2, c->dim = quick ? 32 : 64;
        c->batch = quick ? 16 : 32;
        c->steps = quick ? 80 : 300;
    }
}

int wu_plan_auto_warmup(wu_study *s, wu_error *err)
{
    static const char *const task_name[3] = {"GPT, built-in language", "GPT, licence texts",
                                             "ViT, Fashion-MNIST"};
    static const char *const task_dir[3] = {"gpt-builtin", "gpt-text", "vit-fashion"};
    if (wu_study_fixed_data(s, "the built-in language, " AUTO_TEXT_DIR " and Fashion-MNIST",
                            err) != WU_OK)
        return err->code;
    /* the data first, each with what to do when it is missing */
    wu_corpus corpus;
    memset(&corpus, 0, sizeof corpus);
    int rc = wu_corpus_load(&corpus, AUTO_TEXT_DIR, 0.1, err);
    wu_corpus_free(&corpus);
    if (rc != WU_OK) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return wu_fail(err, WU_EINVAL, "auto-warmup trains the GPT on the licence texts of "
                       "Debian's base-files: %s", msg);
    }
    wu_images tr, te;
    memset(&tr, 0, sizeof tr), memset(&te, 0, sizeof te);
    if (wu_fashion_load(&tr, &te, WU_FASHION_DIR, err) != WU_OK) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return wu_fail(err, WU_EINVAL, "auto-warmup trains the ViT on Fashion-MNIST: %s", msg);
    }
    wu_images_free(&tr), wu_images_free(&te);
    if (!*s->data) snprintf(s->data, sizeof s->data, "builtin," AUTO_TEXT_DIR ",fashion-mnist");
    wu_study_set(s, "peak_lr", AUTO_PEAK_LR, NULL);
    const int seeds = s->quick ? 2 : AUTO_SEEDS;
    wu_study_set(s, "seeds", seeds, NULL);
    wu_study_set(s, "grid", 0, "0, 2%, 10%, 25%");
    wu_study_set(s, "decay", 0, "cosine(to=0.1)");
    wu_study_set(s, "text_dir", 0, AUTO_TEXT_DIR);
    for (int task = 0; task < 3; task++) {
        int g = wu_study_group(s, task_name[task]);
        for (int k = 0; k <= NGRID; k++)
            for (int seed = 1; seed <= seeds; seed++) {
                wu_train_config c;
                task_config(&c, task, s->quick, s->seed + (uint64_t)seed - 1);
                const int autow = k == NGRID;
                snprintf(c.schedule, sizeof c.schedule, "warmup(%s) > cosine(to=0.1)",
                         autow ? "auto" : GRID[k]);
                char name[64], label[64], w[8];
                snprintf(w, sizeof w, "%s", autow ? "auto" : GRID[k]);
                if (w[strlen(w) - 1] == '%') w[strlen(w) - 1] = '\0';
                snprintf(name, sizeof name, "%s-w%s%s-seed%d", task_dir[task], w,
                         autow || k == 0 ? "" : "pct", seed);
                snprintf(label, sizeof label, "%s, warmup %s, seed %d", task_name[task],
                         autow ? "auto" : GRID[k], seed);
                /* x: the grid's warmup as a fraction of the run; the automatic arm -1 (its
                   length is known once it has run: summary.json's auto_warmup) */
                double x = autow ? -1 : k == 0 ? 0 : k == 1 ? 0.02 : k == 2 ? 0.10 : 0.25;
                if ((rc = wu_study_add(s, &c, name, label, g, k > 0, x, err)) != WU_OK)
                    return rc;
            }
    }
    /* every configuration checks, and every schedule parses (warmup(auto) with a stand-in
       length: the probe chooses the real one when the run starts) */
    for (int i = 0; i < s->n; i++) {
        const wu_train_config *c = &s->runs[i].c;
        if ((rc = wu_train_check(c, err)) != WU_OK) return rc;
        wu_schedule *sch;
        wu_sched_opts so = {.lr = c->lr, .total_steps = c->steps,
                            .auto_warmup_steps = WU_AUTO_WARMUP_NONE};
        if ((rc = wu_sched_parse(&sch, c->schedule, &so, err)) != WU_OK) return rc;
        wu_sched_destroy(sch);
    }
    return WU_OK;
}
