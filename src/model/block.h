/* block.h - the transformer block shared by the GPT and the ViT: Pre-LN or Post-LN, causal or
 * not, its parameter layout (PyTorch's h.<l>.* names), its saved activations, forward and
 * backward. */
#ifndef WU_BLOCK_H
#define WU_BLOCK_H

#include <stddef.h>

#include "warmup.h"

/* Pointers into a parameter (or gradient) buffer, in state_dict order. */
typedef struct wu_block_params {
    float *ln1w, *ln1b, *qkvw, *qkvb, *projw, *projb, *ln2w, *ln2b, *fcw, *fcb, *fcpw, *fcpb;
} wu_block_params;

/* What one block keeps for its backward pass. Pre-LN: ln1 = ln_1(in), res2 = in + attn,
 * mid = ln_2(res2). Post-LN: res2 = in + attn, ln1 = ln_1(res2), mid = ln1 + mlp. */
typedef struct wu_block_acts {
    float *ln1, *ln1_mean, *ln1_rstd; /* (N,C), (N), (N) with N = B*T */
    float *qkv;                       /* (N,3C) */
    float *att;                       /* (B,NH,T,T) */
    float *atty;                      /* (N,C) */
    float *res2;                      /* (N,C) */
    float *mid, *ln2_mean, *ln2_rstd; /* (N,C), (N), (N) */
    float *fch, *fchg;                /* (N,4C) */
} wu_block_acts;

/* Gradient scratch, one block's worth, shared by every block. */
typedef struct wu_block_scratch {
    float *tmp, *tmp2;                /* (N,C) */
    float *qkv;                       /* (N,3C) */
    float *h, *h2;                    /* (N,4C) */
} wu_block_scratch;

typedef struct wu_block_shape {
    int B, T, C, NH;
    int post_ln, causal;
    int precision;                    /* the matmuls': WU_PREC_FP32 (0) or WU_PREC_BF16 (nn.h);
                                         the attention is float32 either way */
} wu_block_shape;

#define WU_VIEW_NAME 40 /* bytes for a parameter view's name */

/* Parameters of one block: 12 tensors; the number of floats, and views named "h.<l>.*"
 * (their names written into names[0..11]). Returns 12. */
size_t wu_block_nparams(int C);
int wu_block_views(wu_param_view *views, char (*names)[WU_VIEW_NAME], int l, size_t off, int C);
wu_block_params wu_block_params_at(float *base, int C);

/* Floats needed for one block's activations / the shared scratch, and carving them from an
 * arena (advances *arena). */
size_t wu_block_acts_floats(int B, int T, int C, int NH);
void wu_block_acts_take(wu_block_acts *a, float **arena, int B, int T, int C, int NH);
size_t wu_block_scratch_floats(int N, int C);
void wu_block_scratch_take(wu_block_scratch *s, float **arena, int N, int C);

/* out (N,C) = block(in). tmp (N,C) is scratch. stats (2*B*NH) or NULL: attention statistics. */
void wu_block_forward(const wu_block_shape *s, const wu_block_params *p, wu_block_acts *a,
                      const float *in, float *out, float *tmp, float *stats);

/* ds (N,C): in d(out), out d(in). g: the gradient buffer's views (accumulated). */
void wu_block_backward(const wu_block_shape *s, const wu_block_params *p,
                       const wu_block_params *g, const wu_block_acts *a, const float *in,
                       float *ds, const wu_block_scratch *sc);

#endif
