/* bench_vision.c - training throughput (images/s) and peak RSS of the MLP and the ViT, with the
 * same models and batch sizes as bench/bench_torch_vision.py: MLP 784-256-256-10 ReLU at batch
 * 128, ViT (wu_vit_default_config: width 64, 4 heads, 4 layers, Pre-LN, CLS, 7x7 patches) at
 * batch 64; Adam; random images.
 *   make build/bench_vision && sh bench/compare_vision.sh
 *   build/bench_vision [--model mlp|vit|both] [--steps N] [--layers L] [--heads H] [--dim C]
 *       [--batch B] [--precision fp32|bf16]
 * The size options change the ViT's wu_vit_config and the ViT's batch. The peak RSS is the
 * process's, so with both models it is the larger one's; --model vit measures the ViT alone.
 * --precision bf16 (issue 19) runs both models' matmuls in bf16; it needs AVX512-BF16. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "model/mlp.h"
#include "model/model.h"
#include "model/vit.h"
#include "nn/nn.h"
#include "warmup.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    wu_vit_config vcfg = wu_vit_default_config();
    int steps = 30, vbatch = 64, first = 0, last = 1, prec = WU_PREC_FP32;
    struct { const char *opt; int *val; } opts[] = {{"--layers", &vcfg.layers},
        {"--heads", &vcfg.heads}, {"--dim", &vcfg.dim}, {"--batch", &vbatch}, {"--steps", &steps}};
    const int nopts = (int)(sizeof opts / sizeof opts[0]);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            const char *v = argv[++i];
            first = !strcmp(v, "vit"), last = strcmp(v, "mlp") != 0;
            if (strcmp(v, "vit") && strcmp(v, "mlp") && strcmp(v, "both")) {
                fprintf(stderr, "bench_vision: argument %d: --model '%s' (use mlp, vit or both)\n", i, v);
                return 2;
            }
            continue;
        }
        if (!strcmp(argv[i], "--precision") && i + 1 < argc &&
            wu_model_precision_from_name(argv[i + 1]) >= 0) {
            prec = wu_model_precision_from_name(argv[++i]);
            continue;
        }
        int k = 0;
        while (k < nopts && strcmp(argv[i], opts[k].opt)) k++;
        char *end = NULL;
        long v = k < nopts && i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
        if (k == nopts || !end || *end || v < 1 || v > 1 << 20) {
            fprintf(stderr, "bench_vision: argument %d: bad option or value '%s' (options: --model "
                    "mlp|vit|both, --precision fp32|bf16, and --steps --layers --heads --dim "
                    "--batch followed by a positive integer)\n", i, argv[i]);
            return 2;
        }
        *opts[k].val = (int)v;
        i++;
    }
    if (prec == WU_PREC_BF16 && !wu_cpu_has_bf16()) {
        fprintf(stderr, "bench_vision: --precision bf16 needs a CPU with AVX512-BF16\n");
        return 2;
    }
    vcfg.precision = prec;
    printf("libwarmup %s, matmul %s, precision %s\n", WU_VERSION, matmul_backend(),
           wu_model_precision_name(prec));
    for (int vit = first; vit <= last; vit++) {
        const int B = vit ? vbatch : 128;
        float *x = malloc(sizeof(float) * (size_t)B * 784);
        int *y = malloc(sizeof(int) * (size_t)B);
        unsigned s = 1;
        for (int i = 0; i < B * 784; i++) {
            s = s * 1103515245u + 12345u;
            x[i] = (float)((s >> 8) & 0xff) / 255.0f;
        }
        for (int b = 0; b < B; b++) y[b] = b % 10;
        wu_mlp *mlp = NULL;
        wu_vit *v = NULL;
        size_t np;
        float *p, *g;
        if (vit) {
            wu_error e;
            if (wu_vit_create(&v, &vcfg, B, &e) != WU_OK) {
                fprintf(stderr, "bench_vision: %s\n", e.msg);
                return 2;
            }
            wu_vit_init(v, 1);
            np = v->nparams, p = v->params, g = v->grads;
        } else {
            wu_mlp_config cfg = {.in = 784, .depth = 2, .width = 256, .classes = 10,
                                 .act = WU_ACT_RELU, .precision = prec};
            wu_mlp_create(&mlp, &cfg, B, NULL);
            wu_mlp_init(mlp, 1);
            np = mlp->nparams, p = mlp->params, g = mlp->grads;
        }
        wu_optim_config oc;
        wu_optim_defaults(&oc, WU_OPT_ADAM);
        wu_optim *opt;
        wu_optim_create(&opt, &oc, np, NULL, 0, NULL, NULL, 0, NULL);
        double t0 = 0;
        for (int step = 0; step < steps + 5; step++) {
            if (step == 5) t0 = now();
            float loss;
            if (vit) {
                wu_vit_forward(v, x, y, B, &loss, NULL);
                wu_vit_zero_grad(v);
                wu_vit_backward(v);
            } else {
                wu_mlp_forward(mlp, x, y, B, &loss, NULL);
                wu_mlp_zero_grad(mlp);
                wu_mlp_backward(mlp);
            }
            wu_optim_step(opt, p, g, NULL);
        }
        double t = (now() - t0) / steps;
        printf("c %s params %zu\n", vit ? "vit" : "mlp", np);
        if (vit)
            printf("c vit config L%d H%d C%d patch %d batch %d\n", vcfg.layers, vcfg.heads,
                   vcfg.dim, vcfg.patch, B);
        printf("c %s images_per_s %.1f (%.2f ms/step)\n", vit ? "vit" : "mlp", B / t, t * 1e3);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("c %s peak_rss_mb %.1f\n", vit ? "vit" : "mlp", ru.ru_maxrss / 1024.0);
        wu_optim_destroy(opt);
        wu_vit_destroy(v);
        wu_mlp_destroy(mlp);
        free(x);
        free(y);
    }
    return 0;
}
