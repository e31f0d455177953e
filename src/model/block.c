/* block.c - the transformer block: Pre-LN (GPT-2, ViT) and Post-LN (Vaswani et al. 2017).
 *
 * Pre-LN:  x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))
 * Post-LN: x = ln_1(x + attn(x)); x = ln_2(x + mlp(x))
 * The backward pass assigns every input gradient except where two paths meet (the residuals),
 * so it needs no zeroed buffers; `ds` carries the gradient of the residual stream in and out. */
#include <stdio.h>
#include <string.h>

#include "../nn/nn.h"
#include "block.h"

static const char *const NAMES[12] = {
    "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
    "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
    "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"};

static void sizes_of(size_t C, size_t *sz, int *nd)
{
    size_t s[12] = {C, C, 3 * C * C, 3 * C, C * C, C, C, C, 4 * C * C, 4 * C, 4 * C * C, C};
    int d[12] = {1, 1, 2, 1, 2, 1, 1, 1, 2, 1, 2, 1};
    memcpy(sz, s, sizeof s);
    memcpy(nd, d, sizeof d);
}

size_t wu_block_nparams(int C) { return 12 * (size_t)C * C + 13 * (size_t)C; }

int wu_block_views(wu_param_view *views, char (*names)[WU_VIEW_NAME], int l, size_t off, int C)
{
    size_t sz[12];
    int nd[12];
    sizes_of((size_t)C, sz, nd);
    for (int k = 0; k < 12; k++) {
        snprintf(names[k], WU_VIEW_NAME, "h.%d.%s", l, NAMES[k]);
        views[k] = (wu_param_view){names[k], off, sz[k], nd[k]};
        off += sz[k];
    }
    return 12;
}

wu_block_params wu_block_params_at(float *p, int Ci)
{
    const size_t C = (size_t)Ci;
    wu_block_params b;
    b.ln1w = p; p += C;
    b.ln1b = p; p += C;
    b.qkvw = p; p += 3 * C * C;
    b.qkvb = p; p += 3 * C;
    b.projw = p; p += C * C;
    b.projb = p; p += C;
    b.ln2w = p; p += C;
    b.ln2b = p; p += C;
    b.fcw = p; p += 4 * C * C;
    b.fcb = p; p += 4 * C;
    b.fcpw = p; p += 4 * C * C;
    b.fcpb = p;
    return b;
}

size_t wu_block_acts_floats(int B, int T, int C, int NH)
{
    size_t N = (size_t)B * T;
    return N * (size_t)C * 15 + N * 4 + (size_t)B * NH * T * T;
}

void wu_block_acts_take(wu_block_acts *a, float **ar, int B, int T, int C, int NH)
{
    size_t N = (size_t)B * T, Cs = (size_t)C;
#define TAKE(ptr, n) do { (ptr) = *ar; *ar += (n); } while (0)
    TAKE(a->ln1, N * Cs);
    TAKE(a->ln1_mean, N);
    TAKE(a->ln1_rstd, N);
    TAKE(a->qkv, N * 3 * Cs);
    TAKE(a->att, (size_t)B * NH * T * T);
    TAKE(a->atty, N * Cs);
    TAKE(a->res2, N * Cs);
    TAKE(a->mid, N * Cs);
    TAKE(a->ln2_mean, N);
    TAKE(a->ln2_rstd, N);
    TAKE(a->fch, N * 4 * Cs);
    TAKE(a->fchg, N * 4 * Cs);
}

size_t wu_block_scratch_floats(int N, int C) { return (size_t)N * C * (2 + 3 + 8); }

void wu_block_scratch_take(wu_block_scratch *s, float **ar, int N, int C)
{
    size_t n = (size_t)N, Cs = (size_t)C;
    TAKE(s->tmp, n * Cs);
    TAKE(s->tmp2, n * Cs);
    TAKE(s->qkv, n * 3 * Cs);
    TAKE(s->h, n * 4 * Cs);
    TAKE(s->h2, n * 4 * Cs);
#undef TAKE
}

/* The two sub-layers, each forward beside its backward; both orderings of the block below are
 * made of them. N = B*T rows throughout; P is the matmuls' precision. */

/* out (N,C) = attn(x): qkv (N,3C) and atty (N,C) kept in a; x (N,C) */
static void attn_forward(const wu_block_shape *s, const wu_block_params *p, wu_block_acts *a,
                         const float *x, float *out, float *stats)
{
    const int N = s->B * s->T, C = s->C;
    const wu_precision P = (wu_precision)s->precision;
    matmul_forward(a->qkv, x, p->qkvw, p->qkvb, N, C, 3 * C, P);
    attention_forward(a->atty, a->att, stats, a->qkv, s->B, s->T, C, s->NH, s->causal);
    matmul_forward(out, a->atty, p->projw, p->projb, N, C, C, P);
}

/* dx (N,C) = (acc: +=) the input gradient of attn at x, from dout (N,C); the parameter
 * gradients into g. dx may be dout: dout is read before dx is written. */
static void attn_backward(const wu_block_shape *s, const wu_block_params *p,
                          const wu_block_params *g, const wu_block_acts *a, const float *x,
                          const float *dout, float *dx, int acc, const wu_block_scratch *sc)
{
    const int N = s->B * s->T, C = s->C;
    const wu_precision P = (wu_precision)s->precision;
    matmul_backward(sc->tmp, g->projw, g->projb, dout, a->atty, p->projw, N, C, C, 0, P);
    attention_backward(sc->qkv, sc->tmp, a->qkv, a->att, s->B, s->T, C, s->NH, s->causal);
    matmul_backward(dx, g->qkvw, g->qkvb, sc->qkv, x, p->qkvw, N, C, 3 * C, acc, P);
}

/* out (N,C) = mlp(x) = fc_proj(gelu(fc(x))): fch (pre-activation) and fchg kept in a */
static void mlp_forward(const wu_block_shape *s, const wu_block_params *p, wu_block_acts *a,
                        const float *x, float *out)
{
    const int N = s->B * s->T, C = s->C;
    const wu_precision P = (wu_precision)s->precision;
    matmul_gelu_forward(a->fch, a->fchg, x, p->fcw, p->fcb, N, C, 4 * C, P);
    matmul_forward(out, a->fchg, p->fcpw, p->fcpb, N, 4 * C, C, P);
}

/* dx (N,C) = (acc: +=) the input gradient of mlp at x, from dout (N,C); as attn_backward */
static void mlp_backward(const wu_block_shape *s, const wu_block_params *p,
                         const wu_block_params *g, const wu_block_acts *a, const float *x,
                         const float *dout, float *dx, int acc, const wu_block_scratch *sc)
{
    const int N = s->B * s->T, C = s->C;
    const wu_precision P = (wu_precision)s->precision;
    matmul_backward(sc->h2, g->fcpw, g->fcpb, dout, a->fchg, p->fcpw, N, 4 * C, C, 0, P);
    gelu_bias_backward(sc->h, g->fcb, a->fch, sc->h2, N, 4 * C);
    matmul_backward(dx, g->fcw, NULL, sc->h, x, p->fcw, N, C, 4 * C, acc, P);
}

void wu_block_forward(const wu_block_shape *s, const wu_block_params *p, wu_block_acts *a,
                      const float *in, float *out, float *tmp, float *stats)
{
    const int N = s->B * s->T, C = s->C;
    if (!s->post_ln) {
        layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, in, p->ln1w, p->ln1b, N, C);
        attn_forward(s, p, a, a->ln1, tmp, stats);
        residual_layernorm_forward(a->res2, a->mid, a->ln2_mean, a->ln2_rstd, in, tmp, p->ln2w,
                                   p->ln2b, N, C);
        mlp_forward(s, p, a, a->mid, tmp);
        residual_forward(out, a->res2, tmp, (size_t)N * C);
    } else {
        attn_forward(s, p, a, in, tmp, stats);
        residual_layernorm_forward(a->res2, a->ln1, a->ln1_mean, a->ln1_rstd, in, tmp, p->ln1w,
                                   p->ln1b, N, C);
        mlp_forward(s, p, a, a->ln1, tmp);
        residual_layernorm_forward(a->mid, out, a->ln2_mean, a->ln2_rstd, a->ln1, tmp, p->ln2w,
                                   p->ln2b, N, C);
    }
}

void wu_block_backward(const wu_block_shape *s, const wu_block_params *p,
                       const wu_block_params *g, const wu_block_acts *a, const float *in,
                       float *ds, const wu_block_scratch *sc)
{
    const int N = s->B * s->T, C = s->C;
    if (!s->post_ln) {
        /* ds = d out; out = res2 + mlp(ln_2(res2)) */
        mlp_backward(s, p, g, a, a->mid, ds, sc->tmp, 0, sc);
        layernorm_backward(ds, g->ln2w, g->ln2b, sc->tmp, a->res2, p->ln2w, a->ln2_mean,
                           a->ln2_rstd, N, C, 1);
        /* ds = d res2; res2 = in + attn(ln_1(in)) */
        attn_backward(s, p, g, a, a->ln1, ds, sc->tmp2, 0, sc);
        layernorm_backward(ds, g->ln1w, g->ln1b, sc->tmp2, in, p->ln1w, a->ln1_mean, a->ln1_rstd,
                           N, C, 1);
    } else {
        /* ds = d out; out = ln_2(mid), mid = x1 + mlp(x1), x1 = ln1 */
        layernorm_backward(sc->tmp, g->ln2w, g->ln2b, ds, a->mid, p->ln2w, a->ln2_mean,
                           a->ln2_rstd, N, C, 0);
        mlp_backward(s, p, g, a, a->ln1, sc->tmp, sc->tmp, 1, sc);
        /* tmp = d x1; x1 = ln_1(res2), res2 = in + attn(in) */
        layernorm_backward(ds, g->ln1w, g->ln1b, sc->tmp, a->res2, p->ln1w, a->ln1_mean,
                           a->ln1_rstd, N, C, 0);
        attn_backward(s, p, g, a, in, ds, ds, 1, sc);
    }
}
