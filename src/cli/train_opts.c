/* train_opts.c - the options that configure a training run, shared by `warmup train`,
 * `warmup sweep` and `warmup study`: one table, one parser, the same messages everywhere. */
#include <getopt.h>
#include <math.h>
#include <string.h>

#include "../train/train.h"
#include "cli.h"

enum { O_BETA1 = 256, O_BETA2, O_EPS, O_MOM, O_WD, O_CLIP, O_SEED, O_LAYERS, O_HEADS, O_DIM,
       O_SEQ, O_POSTLN, O_POOL, O_DEPTH, O_WIDTH, O_ACT, O_EVAL, O_CKPT, O_NONFINITE, O_INJECT };

const struct option cli_train_options[] = {
    {"model", required_argument, 0, 'm'}, {"data", required_argument, 0, 'd'},
    {"schedule", required_argument, 0, 's'}, {"lr", required_argument, 0, 'l'},
    {"optimizer", required_argument, 0, 'o'}, {"beta1", required_argument, 0, O_BETA1},
    {"beta2", required_argument, 0, O_BETA2}, {"eps", required_argument, 0, O_EPS},
    {"momentum", required_argument, 0, O_MOM}, {"weight-decay", required_argument, 0, O_WD},
    {"clip", required_argument, 0, O_CLIP}, {"steps", required_argument, 0, 'n'},
    {"batch", required_argument, 0, 'b'}, {"seed", required_argument, 0, O_SEED},
    {"layers", required_argument, 0, O_LAYERS}, {"heads", required_argument, 0, O_HEADS},
    {"dim", required_argument, 0, O_DIM}, {"seq", required_argument, 0, O_SEQ},
    {"post-ln", no_argument, 0, O_POSTLN}, {"pool", required_argument, 0, O_POOL},
    {"depth", required_argument, 0, O_DEPTH}, {"width", required_argument, 0, O_WIDTH},
    {"act", required_argument, 0, O_ACT}, {"out", required_argument, 0, CLI_OPT_OUT},
    {"eval-every", required_argument, 0, O_EVAL},
    {"checkpoint-every", required_argument, 0, O_CKPT},
    {"on-nonfinite", required_argument, 0, O_NONFINITE},
    {"inject-nonfinite", required_argument, 0, O_INJECT}, {0, 0, 0, 0},
};
const char cli_train_shortopts[] = "m:d:s:l:o:n:b:";

int cli_options_merge(struct option *dst, int cap, const struct option *a, const struct option *b)
{
    int n = 0;
    for (const struct option *t[2] = {a, b}, **p = t; p < t + 2; p++)
        for (const struct option *o = *p; o->name; o++)
            if (n < cap - 1) dst[n++] = *o;
    memset(&dst[n], 0, sizeof dst[n]);
    return n;
}

int cli_train_option(int ch, const char *arg, wu_train_config *c)
{
    int64_t v;
    double d;
    const int64_t BIG = (int64_t)1 << 40;
#define NUM(opt, lo, hi, dst) do { if (cli_double(opt, arg, lo, hi, &d)) return WU_EXIT_USAGE; (dst) = d; } while (0)
#define INT(opt, lo, hi, dst) do { if (cli_int64(opt, arg, lo, hi, &v)) return WU_EXIT_USAGE; (dst) = (int)v; } while (0)
#define STR(opt, dst) do { if (strlen(arg) >= sizeof(dst)) return cli_error("%s is too long (at most %zu characters)", opt, sizeof(dst) - 1); strcpy((dst), arg); } while (0)
    switch (ch) {
    case 'm': STR("--model", c->model); break;
    case 'd': STR("--data", c->data); break;
    case 's': STR("--schedule", c->schedule); break;
    case 'l': NUM("--lr", 1e-300, HUGE_VAL, c->lr); break;
    case 'o': STR("--optimizer", c->optimizer); break;
    case O_BETA1: NUM("--beta1", 0, 0.999999999, c->beta1); break;
    case O_BETA2: NUM("--beta2", 0, 0.999999999, c->beta2); break;
    case O_EPS: NUM("--eps", 1e-300, 1, c->eps); break;
    case O_MOM: NUM("--momentum", 0, 0.999999999, c->momentum); break;
    case O_WD: NUM("--weight-decay", 0, 10, c->weight_decay); break;
    case O_CLIP: NUM("--clip", 0, HUGE_VAL, c->clip); break;
    case 'n': if (cli_int64("--steps", arg, 1, BIG, &c->steps)) return WU_EXIT_USAGE; break;
    case 'b': INT("--batch", 1, 65536, c->batch); break;
    case O_SEED:
        if (cli_int64("--seed", arg, 0, INT64_MAX, &v)) return WU_EXIT_USAGE;
        c->seed = (uint64_t)v;
        break;
    case O_LAYERS: INT("--layers", 1, 32, c->layers); break;
    case O_HEADS: INT("--heads", 1, 64, c->heads); break;
    case O_DIM: INT("--dim", 1, 4096, c->dim); break;
    case O_SEQ: INT("--seq", 1, 4096, c->seq); break;
    case O_POSTLN: c->post_ln = 1; break;
    case O_POOL: STR("--pool", c->pool); break;
    case O_DEPTH: INT("--depth", 1, 31, c->depth); break;
    case O_WIDTH: INT("--width", 1, 65536, c->width); break;
    case O_ACT: STR("--act", c->act); break;
    case CLI_OPT_OUT: STR("--out", c->out); break;
    case O_EVAL: INT("--eval-every", 0, 1 << 30, c->eval_every); break;
    case O_CKPT: INT("--checkpoint-every", 0, 1 << 30, c->checkpoint_every); break;
    case O_NONFINITE:
        if (strcmp(arg, "stop") && strcmp(arg, "skip"))
            return cli_error("--on-nonfinite: '%s' is not a choice: use stop (end the run as "
                             "diverged) or skip (skip that update and go on)", arg);
        STR("--on-nonfinite", c->on_nonfinite);
        break;
    case O_INJECT: { /* K or K:N */
        char k[32];
        const char *colon = strchr(arg, ':');
        size_t kl = colon ? (size_t)(colon - arg) : strlen(arg);
        if (kl >= sizeof k) return cli_error("--inject-nonfinite: '%s' is not STEP or STEP:COUNT", arg);
        memcpy(k, arg, kl);
        k[kl] = '\0';
        if (cli_int64("--inject-nonfinite", k, 0, BIG, &c->inject_nonfinite)) return WU_EXIT_USAGE;
        c->inject_count = 1;
        if (colon && cli_int64("--inject-nonfinite (count)", colon + 1, 1, BIG, &c->inject_count))
            return WU_EXIT_USAGE;
        break;
    }
    default: return -1;
    }
#undef NUM
#undef INT
#undef STR
    return 0;
}
