/* test_lab.c - the lab's arithmetic without training: warmup lists, run layout, LR sensitivity
 * (Wortsman et al. 2023) on hand-made summaries with diverged and unfinished runs, the study
 * plans, and the default parallelism. The sweeps themselves are tested in tests/test_lab.sh. */
#include "harness.h"
#include <unistd.h>

#include "lab/stable.h"
#include "report/study_page.h"

static void test_warmups(void)
{
    wu_sweep s;
    memset(&s, 0, sizeof s);
    wu_train_defaults(&s.base);
    s.base.steps = 200;
    wu_error e;
    CHECK(wu_sweep_set_warmups(&s, "0,2%,10%,50", &e) == WU_OK && s.nwarm == 4, "a valid list");
    CHECK(!strcmp(s.warmups[1], "2%") && !strcmp(s.warmups[3], "50"), "items kept as written");
    CHECK(fabs(wu_sweep_warm_frac(&s, 2) - 0.1) < 1e-12 && fabs(wu_sweep_warm_frac(&s, 3) - 0.25) < 1e-12,
          "fractions of the run: %g %g", wu_sweep_warm_frac(&s, 2), wu_sweep_warm_frac(&s, 3));
    CHECK(wu_sweep_set_warmups(&s, "0.0,5%", &e) == WU_OK && !strcmp(s.warmups[0], "0"), "0.0 is 0");
    const char *badv[] = {"", "0,,5%", "101%", "-5", "2.5", "201", "5%x", "x", "0,0", "nan"};
    for (size_t i = 0; i < sizeof badv / sizeof *badv; i++)
        CHECK(wu_sweep_set_warmups(&s, badv[i], &e) != WU_OK && e.msg[0], "'%s' refused", badv[i]);
    char spec[64];
    snprintf(s.base.schedule, sizeof s.base.schedule, "cosine(to=0.1)");
    wu_sweep_set_warmups(&s, "0,10%", &e);
    CHECK(wu_sweep_spec(&s, 0, spec, sizeof spec) == 0 && !strcmp(spec, "cosine(to=0.1)"), "no warmup: %s", spec);
    CHECK(wu_sweep_spec(&s, 1, spec, sizeof spec) == 0 && !strcmp(spec, "warmup(10%) > cosine(to=0.1)"), "%s", spec);
    CHECK(wu_sweep_spec(&s, 1, spec, 20) == -1, "a spec that does not fit is refused");
}

/* A sweep of 3 LRs x 2 warmups x 2 seeds with made-up results. */
static void test_sensitivity(void)
{
    wu_sweep s;
    memset(&s, 0, sizeof s);
    wu_train_defaults(&s.base);
    snprintf(s.base.schedule, sizeof s.base.schedule, "cosine(to=0.1)");
    snprintf(s.dir, sizeof s.dir, "/tmp/x");
    s.lrs[0] = 1e-3, s.lrs[1] = 3e-3, s.lrs[2] = 1e-2;
    s.nlr = 3;
    s.seeds = 2;
    wu_error e;
    wu_sweep_set_warmups(&s, "0,25%", &e);
    wu_lab_run *r;
    int n;
    CHECK(wu_sweep_runs(&s, &r, &n, &e) == WU_OK && n == 12, "12 runs");
    CHECK(!strcmp(r[(1 * 3 + 2) * 2 + 1].c.out, "/tmp/x/lr0.01-w25pct-seed2"), "%s", r[11].c.out);
    CHECK(r[11].c.lr == 1e-2 && r[11].c.seed == 2 && !strcmp(r[11].c.schedule, "warmup(25%) > cosine(to=0.1)"),
          "run 11's settings");
    /* first loss 5 everywhere; warmup 0: 3.0/3.2, 2.0/2.2, diverged/6.0 (above l0: counts 5);
       warmup 25%: 2.9/3.1, 1.9/2.1, 2.5/unfinished */
    double fin[2][3][2] = {{{3.0, 3.2}, {2.0, 2.2}, {NAN, 6.0}}, {{2.9, 3.1}, {1.9, 2.1}, {2.5, NAN}}};
    for (int w = 0; w < 2; w++)
        for (int l = 0; l < 3; l++)
            for (int k = 0; k < 2; k++) {
                wu_run_summary *u = &r[(w * 3 + l) * 2 + k].s;
                u->first_loss = 5;
                u->final_val_loss = NAN;
                u->final_loss = fin[w][l][k];
                u->status = WU_RUN_COMPLETED;
                if (w == 0 && l == 2 && k == 0) u->status = WU_RUN_DIVERGED;
                if (w == 1 && l == 2 && k == 1) u->status = WU_RUN_MISSING;
            }
    wu_sweep_result res;
    wu_sweep_analyse(&s, r, &res);
    CHECK(fabs(res.cell[0][0].score - 3.1) < 1e-12 && fabs(res.cell[0][1].score - 2.1) < 1e-12, "seed means");
    CHECK(fabs(res.cell[0][2].score - 5.0) < 1e-12 && res.cell[0][2].diverged == 1, "diverged and above-l0 seeds count as l0");
    CHECK(res.cell[1][2].finished == 1 && fabs(res.cell[1][2].score - 2.5) < 1e-12, "an unfinished seed is left out");
    CHECK(res.unfinished == 1, "one unfinished run");
    CHECK(res.best_lr[0] == 1 && fabs(res.best[0] - 2.1) < 1e-12, "best of warmup 0");
    /* warmup 0: mean of (3.1-2.1, 0, 5-2.1) = 3.9/3; warmup 25% misses a seed at 1e-2: no
       sensitivity until its row is complete (a partial mean looked like "the best") */
    CHECK(fabs(res.sensitivity[0] - 3.9 / 3) < 1e-12, "sensitivity 0: %.15g", res.sensitivity[0]);
    CHECK(isnan(res.sensitivity[1]) && res.lrs_done[1] == 2 && res.lrs_done[0] == 3,
          "sensitivity 25%%: %.15g, an incomplete row (%d of 3 LRs done)", res.sensitivity[1],
          res.lrs_done[1]);
    /* once complete: (3.0-2.0, 0, mean(2.5, 2.7)-2.0)/3 = 1.6/3 */
    r[(1 * 3 + 2) * 2 + 1].s.status = WU_RUN_COMPLETED;
    r[(1 * 3 + 2) * 2 + 1].s.final_loss = 2.7;
    wu_sweep_analyse(&s, r, &res);
    CHECK(fabs(res.sensitivity[1] - 1.6 / 3) < 1e-12 && res.lrs_done[1] == 3,
          "sensitivity 25%%, complete: %.15g", res.sensitivity[1]);
    /* seed by seed, each against its own best; the high LRs are those from the row's best (LR
       index 1) up. Warmup 0: seed 1 excesses (1.0, 0, 3.0), seed 2 (1.0, 0, 2.8): high 1.5 and
       1.4, largest 3.0 and 2.8. Warmup 25%: (1.0, 0, 0.6) twice. */
    CHECK(fabs(res.sens_mean[0] - 3.9 / 3) < 1e-12 && fabs(res.sens_sd[0] - sqrt(2) * 0.1 / 3) < 1e-12,
          "per-seed sensitivity 0: %.15g +/- %.15g", res.sens_mean[0], res.sens_sd[0]);
    CHECK(fabs(res.high_mean[0] - 1.45) < 1e-12 && fabs(res.high_sd[0] - sqrt(0.005)) < 1e-12 &&
          fabs(res.high_max_mean[0] - 2.9) < 1e-12 && fabs(res.high_max_sd[0] - sqrt(0.02)) < 1e-12,
          "high-LR excess 0: %.15g +/- %.15g, largest %.15g +/- %.15g", res.high_mean[0],
          res.high_sd[0], res.high_max_mean[0], res.high_max_sd[0]);
    CHECK(fabs(res.high_mean[1] - 0.3) < 1e-12 && fabs(res.high_sd[1]) < 1e-12 &&
          fabs(res.high_max_mean[1] - 0.6) < 1e-12, "high-LR excess 25%%: %.15g", res.high_mean[1]);
    char conc[3000];
    wu_sweep_conclusion(&s, &res, conc, sizeof conc);
    CHECK(strstr(conc, "by 1.450 +/- 0.071 on average and 2.900 +/- 0.141 at most with warmup 0 "
                       "(LRs 0.003 to 0.01)") &&
          strstr(conc, "Warmup 25% lowered the LR sensitivity at high LRs beyond the seed noise"),
          "the conclusion weighs the high-LR excess against the seeds: %s", conc);
    /* 25% at 1e-2: 4.0 and 5.0 (= its initial loss): high 1.05 and 1.45, within warmup 0's spread */
    r[(1 * 3 + 2) * 2 + 0].s.final_loss = 4.0;
    r[(1 * 3 + 2) * 2 + 1].s.final_loss = 5.0;
    wu_sweep_analyse(&s, r, &res);
    wu_sweep_conclusion(&s, &res, conc, sizeof conc);
    CHECK(fabs(res.high_mean[1] - 1.25) < 1e-12 && strstr(conc, "is within the seed noise") &&
          !strstr(conc, "beyond the seed noise"), "overlapping ranges are noise: %s", conc);
    /* 25% at 1e-2: 2.0 and 5.0: on the seed means the whole-grid sensitivity is 36% lower
       (0.833 against 1.3), but seed by seed 0.833 +/- 0.660 overlaps 1.3 +/- 0.047 */
    r[(1 * 3 + 2) * 2 + 0].s.final_loss = 2.0;
    wu_sweep_analyse(&s, r, &res);
    wu_sweep_conclusion(&s, &res, conc, sizeof conc);
    CHECK(strstr(conc, "It was 36% lower with the longer warmup, but within the seed noise") &&
          !strstr(conc, "As the literature expects"), "a lower mean within the seeds' spread: %s", conc);
    /* one seed: no spread, no verdict on the noise */
    s.seeds = 1;
    wu_sweep_analyse(&s, r, &res);
    wu_sweep_conclusion(&s, &res, conc, sizeof conc);
    CHECK(isnan(res.high_sd[0]) && strstr(conc, "one seed:") && !strstr(conc, "seed noise"),
          "one seed: %s", conc);
    s.seeds = 2;
    r[(1 * 3 + 2) * 2 + 0].s.final_loss = 2.5;
    r[(1 * 3 + 2) * 2 + 1].s.final_loss = 2.7;
    r[(1 * 3 + 2) * 2 + 1].s.status = WU_RUN_MISSING;
    /* validation loss, when there is one, is the score */
    r[2].s.final_val_loss = 1.0;
    CHECK(wu_run_score(&r[2].s) == 1.0 && isnan(wu_run_score(&r[4].s)), "the score prefers validation; NaN when diverged");
    free(r);
}

static void test_studies(void)
{
    wu_study *s = calloc(1, sizeof *s), *back = calloc(1, sizeof *back);
    wu_error e;
    int planned = 0;
    for (const wu_study_kind *k = wu_studies; k->name; k++) {
        CHECK(k->claim && strlen(k->claim) > 20 && k->render, "%s: a claim and a renderer", k->name);
        if (!k->plan || !strcmp(k->name, "batch-scaling") || !strcmp(k->name, "auto-warmup"))
            continue; /* the demo; need the dataset (auto-warmup: tests/test_tune.c) */
        for (int q = 0; q < 2; q++) {
            int rc = wu_study_init(s, k->name, q, "/tmp/st", 7, "", &e);
            if (rc == WU_OK) rc = k->plan(s, &e);
            CHECK(rc == WU_OK && s->n >= 4, "%s%s: %d runs (%s)", k->name, q ? " quick" : "", s->n,
                  rc ? e.msg : "");
            for (int i = 0; i < s->n; i++)
                for (int j = 0; j < i; j++)
                    CHECK(strcmp(s->runs[i].c.out, s->runs[j].c.out), "%s: runs %d and %d share a directory",
                          k->name, j, i);
            CHECK(s->runs[0].c.seed == 7 && s->seed == 7, "the seed is passed on");
            for (int i = 0; i < s->n; i++)
                CHECK(s->arm[i].group >= 0 && s->arm[i].group < s->ngroups, "%s: run %d has a group",
                      k->name, i);
            planned++;
        }
    }
    CHECK(planned == 10, "five studies planned at two sizes (%d)", planned);
    CHECK(wu_study_find("nope") == NULL && wu_study_find("layernorm") && wu_study_find("demo") &&
          !wu_study_find("demo")->plan, "the registry finds studies by name; the demo has no study plan");
    char names[256];
    wu_study_names(names, sizeof names);
    CHECK(!strcmp(names, "lr-range, batch-scaling, optimizers, layernorm, adam-first-steps, "
                         "stable-lr or auto-warmup"), "%s", names);
    CHECK(wu_study_init(s, "batch-scaling", 1, "/tmp/st", 1, "/nonexistent", &e) == WU_OK &&
          wu_plan_batch_scaling(s, &e) != WU_OK && strstr(e.msg, "dataset-fashion-mnist"),
          "batch-scaling without data names the package");
    wu_study_init(s, "adam-first-steps", 0, "/tmp/st", 1, "", &e);
    wu_plan_adam_first_steps(s, &e);
    CHECK(!strcmp(s->runs[1].c.schedule, "untuned(beta2=0.99) * cosine(to=0.1)") &&
          !strcmp(s->runs[3].c.optimizer, "radam") && wu_study_num(s, "beta2") == 0.99,
          "adam-first-steps arms: %s", s->runs[1].c.schedule);

    /* the plan as data: written and read back the same, under the directory it is read from */
    char dir[] = "/tmp/wu_test_lab_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "a temporary directory");
    wu_study_init(s, "layernorm", 1, dir, 3, "", &e);
    wu_plan_layernorm(s, &e);
    s->nvec = 1;
    s->vec[0] = (wu_study_vec){.name = "grad_norm_init", .group = 1, .n = 2, .v = {0.1, 1.0 / 3}};
    CHECK(wu_study_write(s, "warmup study 'x y'", &e) == WU_OK, "study.json written: %s", e.msg);
    int rc = wu_study_read(dir, back, &e);
    CHECK(rc == WU_OK, "study.json read back: %s", rc ? e.msg : "");
    CHECK(back->n == s->n && back->ngroups == 2 && !strcmp(back->group[1], "Post-LN") &&
          back->quick == 1 && back->seed == 3 && !strcmp(back->command, "warmup study 'x y'"),
          "the plan's header, groups and command read back");
    int same = back->n == s->n;
    for (int i = 0; same && i < s->n; i++)
        same = !strcmp(back->arm[i].label, s->arm[i].label) && back->arm[i].x == s->arm[i].x &&
               back->arm[i].group == s->arm[i].group && back->arm[i].warm == s->arm[i].warm &&
               !strcmp(back->runs[i].c.out, s->runs[i].c.out) &&
               !strcmp(back->runs[i].c.schedule, s->runs[i].c.schedule) &&
               back->runs[i].c.lr == s->runs[i].c.lr && back->runs[i].c.post_ln == s->runs[i].c.post_ln &&
               back->runs[i].c.steps == s->runs[i].c.steps && back->runs[i].c.layers == s->runs[i].c.layers;
    CHECK(same, "every run's label, group, LR, directory and configuration read back");
    const wu_study_vec *v = wu_study_measured(back, "grad_norm_init", 1);
    CHECK(v && v->n == 2 && v->v[1] == 1.0 / 3 && !wu_study_measured(back, "grad_norm_init", 0),
          "a measurement reads back exactly");
    CHECK(wu_study_num(back, "init_batches") == 8 && wu_study_num(back, "warmup_frac") == 0.25 &&
          !strcmp(wu_study_text(back, "decay"), "cosine(to=0.1)") && isnan(wu_study_num(back, "nope")),
          "the plan's constants read back");
    char path[300];
    snprintf(path, sizeof path, "%s/study.json", dir);
    /* hostile plans are refused, not trusted: a run outside the directory, a batch of 0 */
    static const char *const from[2] = {"\"dir\": \"preln-lr0.001-nowarmup\"", "\"batch\": 8,"};
    static const char *const to[2] = {"\"dir\": \"../elsewhere\"", "\"batch\": 0,"};
    for (int k = 0; k < 2; k++) {
        FILE *in = fopen(path, "r");
        char *text = calloc(1, 1 << 20);
        size_t len = in && text ? fread(text, 1, (1 << 20) - 1, in) : 0;
        if (in) fclose(in);
        char *at = len ? strstr(text, from[k]) : NULL;
        CHECK(at != NULL, "the plan holds %s", from[k]);
        FILE *out = at ? fopen(path, "w") : NULL;
        char *copy = at ? strdup(text) : NULL;
        if (out && copy) {
            fwrite(text, 1, (size_t)(at - text), out);
            fputs(to[k], out);
            fputs(at + strlen(from[k]), out);
            fclose(out);
            CHECK(wu_study_read(dir, back, &e) == WU_EINVAL, "a plan with %s is refused", to[k]);
            out = fopen(path, "w"); /* put the plan back */
            if (out) fputs(copy, out), fclose(out);
        }
        free(copy);
        free(text);
    }
    CHECK(wu_study_read(dir, back, &e) == WU_OK, "the plan restored reads");
    FILE *f = fopen(path, "w");
    if (f) fputs("{\"kind\": \"study\", \"name\": \"layernorm\"}\n", f), fclose(f);
    CHECK(wu_study_read(dir, back, &e) == WU_EINVAL && strstr(e.msg, "not a study manifest"),
          "a study.json without a plan is refused: %s", e.msg);
    remove(path);
    rmdir(dir);
    free(s), free(back);
}

static void test_plan(void)
{
    int j, t;
    wu_lab_plan(1, &j, &t);
    CHECK(j == 1 && t >= 1, "one run: one job");
    wu_lab_plan(100, &j, &t);
    CHECK(j >= 1 && t == 1, "many runs: one thread each (%d jobs, %d threads)", j, t);
}

/* Runs on ranks: which runs a study spreads, study.json's record of them, and wu_lab_exec with
 * a launcher that is not MPI (mpirun itself: tests/test_mpi.sh). */
static int fake_launch(const wu_train_config *c, int ranks, int resume, int threads, void *ctx)
{
    (void)ctx;
    if (strstr(c->out, "/bad")) { /* as mpirun says it: a rule, then the run's message */
        fprintf(stderr, "-----\nwarmup: ranks %d resume %d threads %d\n", ranks, resume, threads);
        return 3;
    }
    char path[700];
    snprintf(path, sizeof path, "%s/summary.json", c->out); /* `warmup train` diverged: exit 1 */
    FILE *f = fopen(path, "w");
    if (f) fputs("{\"status\": \"diverged\", \"ranks\": 2, \"rank_batch\": 4}\n", f), fclose(f);
    return 1;
}

static void test_ranks(void)
{
    wu_study *s = calloc(1, sizeof *s), *back = calloc(1, sizeof *back);
    wu_error e;
    char dir[] = "/tmp/wu_lab_ranksXXXXXX";
    CHECK(mkdtemp(dir) != NULL, "a scratch directory");
    wu_train_config c;
    wu_train_defaults(&c);
    c.steps = 5;
    wu_study_init(s, "batch-scaling", 1, dir, 1, "", &e);
    wu_study_group(s, "all");
    c.batch = 4, wu_study_add(s, &c, "bad", "small", 0, 0, 1, &e);
    c.batch = 8, wu_study_add(s, &c, "good", "large", 0, 0, 1, &e);
    CHECK(wu_study_spread(s, 3, &e) == -1 && strstr(e.msg, "run good: batch 8 is not divisible by 3 ranks"),
          "3 ranks do not divide 8: %s", e.msg);
    CHECK(wu_study_spread(s, 2, &e) == 1 && s->runs[0].ranks == 0 && s->runs[1].ranks == 2,
          "the larger batch alone is spread");
    CHECK(wu_study_write(s, "cmd", &e) == WU_OK && wu_study_read(dir, back, &e) == WU_OK &&
          back->runs[0].ranks == 0 && back->runs[1].ranks == 2, "study.json keeps the ranks");
    s->runs[0].ranks = 2; /* batch 4 on 2 ranks: fails in the launcher */
    wu_lab_opts o = {.jobs = 1, .threads = 4};
    CHECK(wu_lab_exec(s->runs, 2, &o, &e) == WU_EINVAL && strstr(e.msg, "nothing can launch"),
          "ranks without a launcher: %s", e.msg);
    o.launch = fake_launch;
    CHECK(wu_lab_exec(s->runs, 2, &o, &e) == WU_ERUN, "the failing run fails the grid");
    CHECK(s->runs[0].failed && !strcmp(s->runs[0].msg, "-----\nwarmup: ranks 2 resume 0 threads 2\n"),
          "its stderr is its message: '%s'", s->runs[0].msg);
    CHECK(!s->runs[1].failed && s->runs[1].s.status == WU_RUN_DIVERGED && s->runs[1].s.ranks == 2 &&
          s->runs[1].s.rank_batch == 4, "a diverged run on ranks (exit 1) is no failure; its ranks read back");
    s->runs[0].c.batch = 3;
    CHECK(wu_lab_exec(s->runs, 1, &o, &e) == WU_EINVAL && strstr(e.msg, "batch 3 is not divisible by 2 ranks"),
          "%s", e.msg);
    CHECK(wu_lab_ranks_fit(8, 4, &e) == WU_OK && wu_lab_ranks_fit(6, 4, &e) == WU_EINVAL &&
          strstr(e.msg, "batch 6 is not divisible by 4 ranks"), "the one divisibility check: %s", e.msg);
    /* a run on ranks resumes only from a checkpoint that loads, as in one process: junk in
       checkpoint.bin means a fresh start (before wu_train_resumable: resume 1, and the launched
       `train --resume` failed on every rerun) */
    s->runs[0].c.batch = 4;
    char ck[700];
    snprintf(ck, sizeof ck, "%s/checkpoint.bin", s->runs[0].c.out);
    FILE *junk = fopen(ck, "w");
    if (junk) fputs("not a checkpoint\n", junk), fclose(junk);
    CHECK(wu_lab_exec(s->runs, 1, &o, &e) == WU_ERUN && strstr(s->runs[0].msg, "resume 0"),
          "a checkpoint that does not load: afresh ('%s')", s->runs[0].msg);
    wu_train_config k = s->runs[0].c;
    wu_train_result tr;
    CHECK(wu_train(&k, 0, 2, NULL, NULL, NULL, &tr, &e) == WU_OK && access(ck, R_OK) == 0,
          "a run stopped after 2 steps leaves a checkpoint: %s", e.msg);
    CHECK(wu_train_resumable(&s->runs[0].c, &e) == WU_OK, "it loads: %s", e.msg);
    CHECK(wu_lab_exec(s->runs, 1, &o, &e) == WU_ERUN && strstr(s->runs[0].msg, "resume 1"),
          "a checkpoint that loads: resumed ('%s')", s->runs[0].msg);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "clean up");
    free(s), free(back);
}

/* stable-lr's bisection on synthetic outcomes: an oracle "trains at or below x" must be
 * bracketed, every round halving the bracket's log-width, whatever x; a bracket open at the top
 * moves up by the step, then halves the same way; one that nothing trained in gives no next LR;
 * unknown outcomes are not counted; a non-monotone outcome is noticed. */
static void test_bisection(void)
{
    static const double truth[] = {2e-3, 0.0123, 0.05, 0.3, 0.999};
    for (size_t t = 0; t < sizeof truth / sizeof *truth; t++) {
        double lr[16] = {1e-3, 1};
        int ok[16], n = 2;
        wu_bracket b;
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < n; i++) ok[i] = lr[i] <= truth[t];
            wu_stable_bracket(lr, ok, n, &b);
            double want = pow(1000, 1.0 / (1 << round));
            CHECK(b.lo <= truth[t] && truth[t] < b.hi && fabs(b.hi / b.lo - want) < 1e-9 * want &&
                  b.n == n && !b.unknown && !b.nonmono,
                  "x = %g, round %d: bracket [%g, %g) of width %g (want %g)", truth[t], round, b.lo,
                  b.hi, b.hi / b.lo, want);
            lr[n++] = wu_stable_next(&b, 31.6);
            CHECK(fabs(lr[n - 1] - sqrt(b.lo * b.hi)) < 1e-15, "the next LR is the log-midpoint");
        }
    }
    {   /* x = 5, above the initial bracket: up by sqrt(1000) to 31.6, then the halvings */
        double up[8] = {1e-3, 1};
        int upok[8], n = 2;
        wu_bracket b;
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < n; i++) upok[i] = up[i] <= 5;
            wu_stable_bracket(up, upok, n, &b);
            up[n++] = wu_stable_next(&b, sqrt(1000));
        }
        CHECK(fabs(up[2] - sqrt(1000)) < 1e-12 && b.lo <= 5 && 5 < b.hi &&
              fabs(b.hi / b.lo - pow(1000, 1.0 / 8)) < 1e-9, "an open top: up, then bisected to "
              "[%g, %g) (want a width of 1000^(1/8))", b.lo, b.hi);
    }
    double lr[4] = {1e-3, 1, 0.1, 0.01};
    int ok[4] = {1, 1, -1, -1};
    wu_bracket b;
    wu_stable_bracket(lr, ok, 4, &b);
    CHECK(b.lo == 1 && isinf(b.hi) && b.unknown == 2 && b.n == 2 && wu_stable_next(&b, 31.6) == 31.6 &&
          wu_stable_next(&b, 1) == 0,
          "nothing failed: a lower bound, the next LR a step above it (%g, %g)", b.lo, b.hi);
    int none[2] = {0, 0};
    wu_stable_bracket(lr, none, 2, &b);
    CHECK(b.lo == 0 && b.hi == 1e-3 && wu_stable_next(&b, 31.6) == 0, "nothing trained: an upper bound");
    int mixed[4] = {1, 1, 0, 1}; /* fails at 0.1, trains at 0.01 and again at 1 */
    wu_stable_bracket(lr, mixed, 4, &b);
    CHECK(b.lo == 0.01 && b.hi == 0.1 && b.nonmono == 1, "not monotone: the lowest failure counts, "
          "noted (%g, %g, %d)", b.lo, b.hi, b.nonmono);

    /* the outcome of a summary */
    wu_run_summary r = {.status = WU_RUN_COMPLETED, .first_loss = 5, .final_loss = 4.4,
                        .final_val_loss = NAN};
    CHECK(wu_stable_outcome(&r, 0.9) == 1, "completed at 0.88 x the first loss: trains");
    r.final_val_loss = 4.6;
    CHECK(wu_stable_outcome(&r, 0.9) == 0, "a final (validation) loss above 0.9 x the first: fails");
    r.status = WU_RUN_DIVERGED;
    CHECK(wu_stable_outcome(&r, 0.9) == 0, "diverged: fails");
    r.status = WU_RUN_INTERRUPTED;
    CHECK(wu_stable_outcome(&r, 0.9) == -1, "interrupted: unknown");
    r.status = WU_RUN_MISSING;
    CHECK(wu_stable_outcome(&r, 0.9) == -1, "not run: unknown");

    /* the rounds on the plan: a fake oracle fills the summaries, wu_next_stable_lr appends one
       run per open bracket at its midpoint, until the plan's rounds are done */
    wu_study *s = calloc(1, sizeof *s);
    wu_error e;
    CHECK(wu_study_init(s, "stable-lr", 0, "/tmp/st", 1, "", &e) == WU_OK &&
          wu_plan_stable_lr(s, &e) == WU_OK && s->ngroups == 10 && s->n == 24,
          "the plan: 10 brackets, their ends and 4 sharpness runs (%d runs: %s)", s->n, e.msg);
    double rounds = wu_study_num(s, "rounds");
    int total = s->n, added, r_ = 0;
    do {
        for (int i = 0; i < s->n; i++) { /* group g fails above 0.01 (g + 1) */
            double x = 0.01 * (s->arm[i].group + 1);
            s->runs[i].s = (wu_run_summary){.status = s->runs[i].c.lr <= x ? WU_RUN_COMPLETED
                                                                          : WU_RUN_DIVERGED,
                                            .first_loss = 5, .final_loss = 2, .final_val_loss = 2};
        }
        added = wu_next_stable_lr(s, &e);
        total += added > 0 ? added : 0;
        r_ += added > 0;
    } while (added > 0 && r_ < 10);
    CHECK(added == 0 && r_ == (int)rounds && total == 24 + 10 * (int)rounds && s->n == total,
          "%g rounds of 10 runs, then done (%d rounds, %d runs)", rounds, r_, s->n);
    for (int g = 0; g < s->ngroups; g++) { /* groups 0, 4, 5, 9 have a sharpness run at 0.01 */
        wu_stable_group(s, g, &b);
        double x = 0.01 * (g + 1), want = pow(1000, 1.0 / (1 << (int)rounds));
        int probed = g % 5 == 0 || g % 5 == 4;
        CHECK(b.lo <= x && x < b.hi && b.n == 2 + (int)rounds + probed &&
              (probed || fabs(b.hi / b.lo - want) < 1e-9 * want),
              "group %d: [%g, %g) holds %g", g, b.lo, b.hi, x);
    }
    int i = wu_study_arm_index(s, "giadam-w25-r1");
    CHECK(i >= 0 && !strcmp(s->runs[i].c.adam_init, "grad") &&
          !strcmp(s->runs[i].c.schedule, "warmup(25%) > cosine(to=0.1)") &&
          fabs(s->runs[i].c.lr - sqrt(0.01)) < 1e-15 && s->runs[i].c.sharpness_every == 0 &&
          s->runs[i].c.diverge_factor == 10,
          "a bisection run keeps its bracket's configuration at the midpoint LR");
    s->runs[wu_study_arm_index(s, "adamw-w0-hi")].s.status = WU_RUN_MISSING;
    s->ngroups = 3;
    CHECK(wu_next_stable_lr(s, &e) < 0 && strstr(e.msg, "not a stable-lr plan"),
          "a plan that is not stable-lr's is refused: %s", e.msg);
    free(s);
}

int main(void)
{
    test_warmups();
    test_sensitivity();
    test_studies();
    test_plan();
    test_ranks();
    test_bisection();
    return th_done("test_lab");
}
