/* loader.c - batches of item indices, reshuffled every epoch from (seed, epoch) alone, so that
 * a restored loader continues exactly where it stopped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"

int wu_loader_init(wu_loader *l, int n, int batch, uint64_t seed, wu_error *err)
{
    memset(l, 0, sizeof *l);
    if (n < 1 || batch < 1 || batch > n) {
        if (err) {
            err->code = WU_EINVAL;
            err->line = err->col = 0;
            snprintf(err->msg, sizeof err->msg, "batch size %d does not fit a data set of %d "
                     "items (need 1 <= batch <= items)", batch, n);
        }
        return WU_EINVAL;
    }
    l->perm = malloc(sizeof *l->perm * (size_t)n);
    if (!l->perm) return WU_ENOMEM;
    l->n = n;
    l->batch = batch;
    l->steps_per_epoch = n / batch;
    l->seed = seed;
    wu_loader_seek(l, 0, 0);
    return WU_OK;
}

/* Fisher-Yates shuffle of 0..n-1 seeded by (seed, epoch). */
static void shuffle(wu_loader *l)
{
    wu_rng r;
    wu_rng_seed(&r, l->seed * 0x9e3779b97f4a7c15ull + (uint64_t)l->epoch);
    for (int i = 0; i < l->n; i++) l->perm[i] = (uint32_t)i;
    for (int i = l->n - 1; i > 0; i--) {
        uint32_t j = wu_rng_below(&r, (uint32_t)i + 1);
        uint32_t t = l->perm[i];
        l->perm[i] = l->perm[j];
        l->perm[j] = t;
    }
}

void wu_loader_seek(wu_loader *l, int64_t epoch, int pos)
{
    l->epoch = epoch;
    l->pos = pos;
    shuffle(l);
}

void wu_loader_next(wu_loader *l, int *idx)
{
    if (l->pos >= l->steps_per_epoch) {
        l->epoch++;
        l->pos = 0;
        shuffle(l);
    }
    const uint32_t *p = l->perm + (size_t)l->pos * l->batch;
    for (int i = 0; i < l->batch; i++) idx[i] = (int)p[i];
    l->pos++;
}

void wu_loader_free(wu_loader *l)
{
    free(l->perm);
    memset(l, 0, sizeof *l);
}
