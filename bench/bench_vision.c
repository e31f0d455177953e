/* bench_vision.c - training throughput (images/s) of the MLP and the ViT, with the same models
 * and batch sizes as bench/bench_torch_vision.py: MLP 784-256-256-10 ReLU at batch 128, ViT
 * width 64, 4 heads, 4 layers, Pre-LN, CLS, 7x7 patches at batch 64; Adam; random images.
 *   make build/bench_vision && sh bench/compare_vision.sh */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/mlp.h"
#include "model/vit.h"
#include "nn/nn.h"
#include "warmup.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    printf("libwarmup %s, matmul %s\n", WU_VERSION, matmul_backend());
    for (int vit = 0; vit < 2; vit++) {
        const int B = vit ? 64 : 128, steps = 30;
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
            wu_vit_config cfg = wu_vit_default_config();
            wu_vit_create(&v, &cfg, B, NULL);
            wu_vit_init(v, 1);
            np = v->nparams, p = v->params, g = v->grads;
        } else {
            wu_mlp_config cfg = {.in = 784, .depth = 2, .width = 256, .classes = 10, .act = WU_ACT_RELU};
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
        printf("c %s images_per_s %.1f (%.2f ms/step)\n", vit ? "vit" : "mlp", B / t, t * 1e3);
        wu_optim_destroy(opt);
        wu_vit_destroy(v);
        wu_mlp_destroy(mlp);
        free(x);
        free(y);
    }
    return 0;
}
