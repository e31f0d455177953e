/* diag.h - what a model's diagnostics compute: the bits of the `diag` field of
 * wu_model_config and of each model (wu_gpt, wu_mlp, wu_vit). The forward's statistics come
 * from values its kernels hold anyway (nearly free); the gradient norms are one more pass over
 * every gradient after backward, which a training step does not need (its metrics row reads
 * the forward's), so `warmup train` asks for the forward's alone (issue 19). */
#ifndef WU_MODEL_DIAG_H
#define WU_MODEL_DIAG_H

#define WU_DIAG_FORWARD 1 /* forward: attention's largest logit and entropy per layer, the
                             output's largest logit and mean log-partition */
#define WU_DIAG_GRADS 2   /* backward: the gradient norm of each layer (and of the GPT's
                             embeddings and final LayerNorm) */
#define WU_DIAG_ALL (WU_DIAG_FORWARD | WU_DIAG_GRADS)

#endif
