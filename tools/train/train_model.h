/* train_model.h: the trainable Nano-Titan (SPEC section 1) in the style of
 * llm.c: parameters, gradients and activations each live in one slab carved
 * by a table of pointers. Compiled for float and for double (train_real.h). */
#ifndef TITAN_TRAIN_MODEL_H
#define TITAN_TRAIN_MODEL_H

#include "titan.h"
#include "tools/train/train_real.h"

#include <stddef.h>

/* One block's weights (or their gradients). */
typedef struct {
    real *attn_norm; /* [D] */
    real *wq_a;      /* [Lq, D]            NULL when Lq == 0 */
    real *q_norm;    /* [Lq]               NULL when Lq == 0 */
    real *wq_b;      /* [H*(Dh+Dr), Lq], or wq [H*(Dh+Dr), D] when Lq == 0 */
    real *wkv_a;     /* [Lkv+Dr, D] rows: [latent | shared rotary key] */
    real *kv_norm;   /* [Lkv] */
    real *wkv_b;     /* [G*(Dh+Dv), Lkv] per group [key | value] */
    real *wo;        /* [D, H*Dv] */
    real *ffn_norm;  /* [D] */
    real *w_gate;    /* [F, D] */
    real *w_up;      /* [F, D] */
    real *w_down;    /* [D, F] */
    real *conv;      /* [F, K]             NULL when K == 0 */
} TR(block);

/* All weights of a model (or a same-shaped gradient / optimizer buffer):
 * `mem` holds `count` values; tensor[i] points at titan_config_tensors()
 * entry i inside it and the named fields alias those pointers. */
typedef struct {
    real *mem;
    size_t count;
    int n_tensors;
    titan_tensor_spec spec[TITAN_MAX_TENSORS];
    real *tensor[TITAN_MAX_TENSORS];
    real *tok_emb; /* [V, D], also head 1 */
    TR(block) block[TITAN_MAX_BLOCKS];
    real *final_norm;          /* [D] */
    real *head[TITAN_MAX_MTP]; /* head[k-1]: [V, D]; head[0] = tok_emb */
} TR(params);

/* Activations of one effective layer for one sequence of T tokens. */
typedef struct {
    real *h_in;        /* [T, D] residual entering the layer */
    real *u1;          /* [T, D] RMSNorm(h_in; attn_norm) */
    real *rstd1;       /* [T] */
    real *qa;          /* [T, Lq] wq_a u1 (unused when Lq == 0) */
    real *cq;          /* [T, Lq] RMSNorm(qa; q_norm) */
    real *rstd_q;      /* [T] */
    real *q;           /* [T, H*(Dh+Dr)] per head [nope | rope], rope rotated */
    real *alat;        /* [T, Lkv] wkv_a[0:Lkv] u1, the kv latent before its norm */
    real *kr;          /* [T, Dr] Rope(wkv_a[Lkv:Lkv+Dr] u1), shared by all heads */
    real *c;           /* [T, Lkv] RMSNorm(alat; kv_norm) */
    real *rstd_kv;     /* [T] */
    real *kv;          /* [T, G*(Dh+Dv)] wkv_b c */
    real *probs;       /* [H, T, T] attention weights (causal, rows sum to 1) */
    real *o;           /* [T, H*Dv] heads concatenated */
    real *h_mid;       /* [T, D] residual after attention */
    real *u2;          /* [T, D] RMSNorm(h_mid; ffn_norm) */
    real *rstd2;       /* [T] */
    real *ag;          /* [T, F] w_gate u2 */
    real *ac;          /* [T, F] conv(ag) (aliases ag when K == 0) */
    real *up;          /* [T, F] w_up u2 */
    real *m;           /* [T, F] SiLU(ac) * up */
    real *att_scratch; /* attention_scratch_size(T), shared by all layers */
} TR(layer_acts);

/* Gradient scratch for one layer, reused layer after layer. */
typedef struct {
    real *du;                   /* [T, D] */
    real *dqa;                  /* [T, Lq] */
    real *dcq;                  /* [T, Lq] */
    real *dq;                   /* [T, H*(Dh+Dr)] */
    real *dalat;                /* [T, Lkv] */
    real *dkr;                  /* [T, Dr] */
    real *dc;                   /* [T, Lkv] */
    real *dkv;                  /* [T, G*(Dh+Dv)] */
    real *dout;                 /* [T, H*Dv] */
    real *att_scratch;          /* attention_scratch_size(T) */
    real *dag, *dac, *dup, *dm; /* [T, F]; dag = dac when K == 0 */
} TR(layer_grads);

/* Everything one sequence needs, for one worker thread. */
typedef struct {
    int max_T;
    real *mem;              /* the slab */
    TR(layer_acts) * layer; /* [B*R] */
    real *h_out;            /* [T, D] residual after the last layer */
    real *z;                /* [T, D] RMSNorm(h_out; final_norm) */
    real *rstd_f;           /* [T] */
    real *dh;               /* [T, D] gradient of the residual stream */
    real *dz;               /* [T, D] */
    real *logits;           /* [chunk, V] */
    TR(layer_grads) g;
} TR(acts);

/* Immutable per-model data: config, attention scale, rotary tables. */
typedef struct {
    titan_config cfg;
    int max_T;
    double attn_scale;         /* mscale^2 / sqrt(Dh + Dr) */
    real *rope_cos, *rope_sin; /* [max_T, Dr/2] */
} TR(model);

#define TRAIN_HEAD_CHUNK 64 /* logit rows alive at once: [64, V] */

/* Allocation (malloc; the trainer may allocate). Return 0, or -1 when out of
 * memory or a size overflows. Parameter buffers come zeroed. */
int TR(model_init)(TR(model) * m, const titan_config *c, int max_T);
void TR(model_free)(TR(model) * m);
int TR(params_alloc)(TR(params) * p, const titan_config *c);
void TR(params_free)(TR(params) * p);
int TR(acts_alloc)(TR(acts) * a, const titan_config *c, int max_T);
void TR(acts_free)(TR(acts) * a);

/* Index of a tensor by SPEC name, or -1. */
int TR(params_find)(const TR(params) * p, const char *name);

/* Training loss (SPEC section 1) of one sequence ids[0..T), 1 <= T <= max_T,
 * ids in [0, V). head_loss[k] (may be NULL) receives head k+1's mean CE
 * (0 when it has no targets). */
double TR(loss)(const TR(model) * m, const TR(params) * w, TR(acts) * a, const int *ids,
                int T, double *head_loss);

/* Head 1 only: nll[t] = -log p(ids[t+1] | ids[0..t]) for t < T - 1 (the
 * evaluation's per-target loss); returns their sum. */
double TR(nll)(const TR(model) * m, const TR(params) * w, TR(acts) * a, const int *ids,
               int T, double *nll);

/* Same loss, and grads += scale * dLoss/dw (scale 1/batch averages a batch). */
double TR(loss_grad)(const TR(model) * m, const TR(params) * w, TR(acts) * a,
                     const int *ids, int T, double scale, TR(params) * grads,
                     double *head_loss);

/* Layer internals (op_mla.c, op_conv_swiglu.c): forward fills the layer's
 * activations from la->h_in and writes h_mid / h_out; backward takes dh, the
 * gradient at the sublayer output, and adds the input gradient into dh. */
void TR(mla_forward)(const TR(model) * m, const TR(block) * w, TR(layer_acts) * la,
                     int T);
void TR(mla_backward)(const TR(model) * m, const TR(block) * w, const TR(layer_acts) * la,
                      TR(layer_grads) * g, real *dh, TR(block) * dw, int T);
void TR(ffn_forward)(const TR(model) * m, const TR(block) * w, TR(layer_acts) * la,
                     real *h_out, int T);
void TR(ffn_backward)(const TR(model) * m, const TR(block) * w, const TR(layer_acts) * la,
                      TR(layer_grads) * g, real *dh, TR(block) * dw, int T);

#endif
