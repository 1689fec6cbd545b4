/* train_model.h: the trainable Nano-Titan (SPEC section 1) and its
 * architecture options (SPEC section 8, Gated DeltaNet blocks included) in the style
 * of llm.c: parameters, gradients and activations each live in one slab
 * carved by a table of pointers. Compiled for float and for double
 * (train_real.h). */
#ifndef TITAN_TRAIN_MODEL_H
#define TITAN_TRAIN_MODEL_H

#include "titan.h"
#include "tools/train/op_gdn.h"
#include "tools/train/train_real.h"

#include <stdbool.h>
#include <stddef.h>

/* One block's weights (or their gradients); NULL where the config has no
 * such tensor. Dq = Dh + Dr (mla) or Dh (gqa). */
typedef struct {
    real *attn_norm;     /* [D] */
    real *wq_a;          /* [Lq, D]            mla, NULL when Lq == 0 */
    real *q_norm;        /* [Lq]               mla, NULL when Lq == 0 */
    real *wq_b;          /* [H*(Dh+Dr), Lq]; also wq: mla [H*(Dh+Dr), D] (Lq == 0),
                         gqa [H*Dh, D] */
    real *wkv_a;         /* [Lkv+Dr, D] mla rows: [latent | shared rotary key] */
    real *kv_norm;       /* [Lkv]              mla */
    real *wkv_b;         /* [G*(Dh+Dv), Lkv]   mla, per group [key | value] */
    real *wk;            /* [G*Dh, D]          gqa */
    real *wv;            /* [G*Dv, D]          gqa */
    real *wo;            /* [D, H*Dv] */
    real *q_gain;        /* [H]                q_gain */
    real *k_sink;        /* [G, Dq]            attn_sink "key" */
    real *sink_logit;    /* [G]                attn_sink "logit" */
    real *ve_scale;      /* [1]                b in value_embed.layers */
    real *ffn_norm;      /* [D] */
    real *w_gate;        /* [F, D]             swiglu */
    real *w_up;          /* [F, D] */
    real *w_down;        /* [D, F] */
    real *conv;          /* [F, K]             swiglu, NULL when K == 0 */
    real *resid_mix;     /* [2, D]             resid_mix */
    real *attn_scale;    /* [D]                branch_scale */
    real *mlp_scale;     /* [D]                branch_scale */
    TR(gdn_weights) gdn; /* a GDN block's mixer (tools/train/op_gdn.h) */
} TR(block);

/* All weights of a model (or a same-shaped gradient / optimizer buffer):
 * `mem` holds `count` values; tensor[i] points at titan_config_tensors()
 * entry i inside it and the named fields alias those pointers. */
typedef struct {
    real *mem;
    titan_arena *arena; /* where mem came from (train_mem.h), NULL: the heap */
    size_t count;
    int n_tensors;
    titan_tensor_spec spec[TITAN_MAX_TENSORS];
    real *tensor[TITAN_MAX_TENSORS];
    real *tok_emb; /* [V, D], also head 1 */
    TR(block) block[TITAN_MAX_BLOCKS];
    real *final_norm;          /* [D] */
    real *bigram_table;        /* [N, d]      bigram_hash */
    real *bigram_proj;         /* [D, d]      NULL when d == D */
    real *bigram_scale;        /* [1] */
    real *ve_table;            /* [V, d]      value_embed */
    real *ve_proj;             /* [G*Dv, d]   NULL when d == G*Dv */
    real *ve_scale;            /* [1] */
    real *smear_gate;          /* [D]         smear_gate */
    real *skip_weights;        /* [P, D]      unet_skips */
    real *skip_gates;          /* [P, D]      skip_gates */
    real *head[TITAN_MAX_MTP]; /* head[k-1]: [V, D]; head[0] = tok_emb */
} TR(params);

/* Activations of one effective layer for one sequence of T tokens. Buffers
 * of options the config lacks have no room; pointers marked "set by the
 * forward" point into other buffers. */
typedef struct {
    real *h_in;      /* [T, D] residual arriving (layer 0: x0) */
    real *h_skip;    /* [T, D] after a skip arriving here (unet_skips) */
    real *h_mix;     /* [T, D] after resid_mix */
    const real *h_a; /* after the skip: h_in or h_skip (set by the forward) */
    const real *x;   /* the block input: h_a or h_mix (set by the forward) */
    real *u1;        /* [T, D] f * RMSNorm(x; attn_norm) */
    real *rstd1;     /* [T] */
    real *qa;        /* [T, Lq] wq_a u1 (mla, Lq > 0) */
    real *cq;        /* [T, Lq] RMSNorm(qa; q_norm) */
    real *rstd_q;    /* [T] */
    real *q;         /* [T, H*Dq] per head, rotary dims rotated (mla [nope | rope]) */
    real *alat;      /* [T, Lkv] mla: wkv_a[0:Lkv] u1, the kv latent before its norm */
    real *kr;        /* [T, Dr] mla: Rope(wkv_a[Lkv:Lkv+Dr] u1), shared by all heads */
    real *c;         /* [T, Lkv] mla: RMSNorm(alat; kv_norm) */
    real *rstd_kv;   /* [T] */
    real *kv;        /* [T, G*(Dh+Dv)] mla: wkv_b c, values + value_embed */
    real *k;         /* [T, G*Dq] gqa: wk u1 rotated; mla with qk_norm: [kn_g | kr] */
    real *v;         /* [T, G*Dv] gqa: wv u1 + value_embed */
    real *qn, *kn;   /* [T, H*Dq], [T, G*Dq] after qk_norm */
    real *rstd_qh;   /* [T*H] */
    real *rstd_kh;   /* [T*G] */
    real *qg;        /* [T, H*Dq] q_gain[i] * q_i */
    real *probs; /* [H, T, T] attention weights (causal, rows sum to 1 with the sink) */
    real *psink; /* [H, T] the sink's weight (attn_sink) */
    real *o;     /* [T, H*Dv] heads concatenated */
    real *ox;    /* [T, H*Dv] after XSA (xsa_layers) */
    real *y;     /* [T, D] mixer output before attn_scale (branch_scale) */
    real *h_mid; /* [T, D] residual after the mixer */
    real *u2;    /* [T, D] f * RMSNorm(h_mid, or x with the parallel residual) */
    real *rstd2; /* [T] */
    real *ag;    /* [T, F] w_gate u2 (swiglu) */
    real *ac;    /* [T, F] conv(ag) (aliases ag when K == 0) */
    real *up;    /* [T, F] w_up u2 */
    real *m;     /* [T, F] SiLU(ac) * up, or the squared activation of up */
    real *mo;    /* [T, D] MLP output before mlp_scale (branch_scale) */
    real *att_scratch; /* attention_scratch_size(T), shared by all layers */
    real *gdn;         /* gdn_acts_size(T): a layer that is GDN in S or S' */
    real *gdn_scratch; /* gdn_scratch_size(T), shared by all layers */
} TR(layer_acts);

/* Gradient scratch for one layer, reused layer after layer. */
typedef struct {
    real *du;                   /* [T, D] */
    real *dqa;                  /* [T, Lq] */
    real *dcq;                  /* [T, Lq] */
    real *dq;                   /* [T, H*Dq] */
    real *dalat;                /* [T, Lkv] */
    real *dkr;                  /* [T, Dr] */
    real *dc;                   /* [T, Lkv] */
    real *dkv;                  /* [T, G*(Dh+Dv)] */
    real *dk, *dv;              /* [T, G*Dq], [T, G*Dv] */
    real *dq2, *dk2;            /* [T, H*Dq], [T, G*Dq] before qk_norm / q_gain */
    real *dout;                 /* [T, H*Dv] */
    real *dox;                  /* [T, H*Dv] before XSA */
    real *dy;                   /* [T, D] */
    real *dpar;                 /* [T, D] parallel residual: the MLP's input gradient */
    real *att_scratch;          /* attention_scratch_size(T) */
    real *dag, *dac, *dup, *dm; /* [T, F]; dag = dac when K == 0 */
} TR(layer_grads);

/* Everything one sequence needs, for one worker thread. */
typedef struct {
    int max_T;
    real *mem;              /* the slab */
    titan_arena *arena;     /* where mem and layer came from, NULL: the heap */
    TR(layer_acts) * layer; /* [len(S)] */
    real *e;                /* [T, D] tok_emb[x] (+ bigram), before emb_norm */
    real *rstd_e;           /* [T] */
    real *en;               /* [T, D] after emb_norm, before smear_gate */
    real *bg_rows;          /* [T, d] bigram.table rows */
    real *bg;               /* [T, D] bigram.proj rows (aliases bg_rows when d == D) */
    real *ve_rows;          /* [T, d] value_embed.table rows */
    real *vep;              /* [T, G*Dv] value_embed.proj rows (or ve_rows) */
    real *ve;               /* [T, G*Dv] value_embed.scale * vep */
    real *h_out;            /* [T, D] residual after the last layer */
    real *z;                /* [T, D] RMSNorm(h_out; final_norm) */
    real *rstd_f;           /* [T] */
    real *dh;               /* [T, D] gradient of the residual stream */
    real *dz;               /* [T, D] */
    real *dx0;              /* [T, D] gradient reaching x0 through resid_mix */
    real *dskip;            /* [P, T, D] gradient reaching each skip's source */
    real *dve;              /* [T, G*Dv] gradient of ve */
    real *de;               /* [T, D] embedding-stage gradient scratch */
    real *drows;            /* [T, d] bigram / value_embed table-row gradients */
    real *logits;           /* [chunk, V] */
    TR(layer_grads) g;
    /* Seconds loss_grad spent in the forward pass through the loss (the
     * heads' CE gradients included) and in the backward pass; they add up
     * until the caller zeroes them (the step-time breakdown of the log). */
    double fwd_s, bwd_s;
} TR(acts);

/* An effective-layer order (SPEC section 8): the full schedule S or the
 * training prefix S', with the skips on it. */
typedef struct {
    int n;             /* effective layers */
    int32_t *block;    /* [n] block b = S_l */
    int32_t *skip_in;  /* [n] the skip j whose destination is layer l, else -1 */
    int32_t *skip_out; /* [n] the skip j whose source is layer l, else -1 */
    int32_t *skip_src; /* [n] the source layer of the skip arriving at l, else -1 */
} train_schedule;

/* Immutable per-model data: config, schedules, attention scale, rotary
 * tables, per-block options. */
typedef struct {
    titan_config cfg;
    int max_T;
    titan_arena *arena;        /* where the tables came from, NULL: the heap */
    train_schedule sched[2];   /* [0] S, [1] S' (SPEC section 8) */
    int Dq;                    /* query/key width per head: Dh + Dr (mla), Dh (gqa) */
    double attn_scale;         /* mscale^2 / sqrt(Dq) */
    real *rope_cos, *rope_sin; /* [max_T, Dr/2] */
    bool xsa[TITAN_MAX_BLOCKS], ve[TITAN_MAX_BLOCKS], parallel[TITAN_MAX_BLOCKS];
    double ln_f[TITAN_MAX_BLOCKS]; /* 1/sqrt(b+1) with ln_scale, else 1 */
} TR(model);

#define TRAIN_HEAD_CHUNK 64 /* logit rows alive at once: [64, V] */

/* Allocation (the heap; the trainer may allocate). Return 0, or -1 when out
 * of memory or a size overflows. Parameter buffers come zeroed. */
int TR(model_init)(TR(model) * m, const titan_config *c, int max_T);
void TR(model_free)(TR(model) * m);
int TR(params_alloc)(TR(params) * p, const titan_config *c);
void TR(params_free)(TR(params) * p);
int TR(acts_alloc)(TR(acts) * a, const titan_config *c, int max_T);
void TR(acts_free)(TR(acts) * a);

/* The same from arena `arena` (train_mem.h; NULL: the heap); the _free
 * functions then give nothing back. With a measuring arena only the bytes
 * are counted: no table is filled, no tensor pointer set. */
int TR(model_init_in)(TR(model) * m, const titan_config *c, int max_T,
                      titan_arena *arena);
int TR(params_alloc_in)(TR(params) * p, const titan_config *c, titan_arena *arena);
int TR(acts_alloc_in)(TR(acts) * a, const titan_config *c, int max_T, titan_arena *arena);

/* Index of a tensor by SPEC name, or -1. */
int TR(params_find)(const TR(params) * p, const char *name);

/* Training loss (SPEC section 1) of one sequence ids[0..T), 1 <= T <= max_T,
 * ids in [0, V), on the full schedule S, or with `shortened` on the training
 * prefix S' (SPEC section 8, recurrence_start_frac). head_loss[k] (may be
 * NULL) receives head k+1's mean CE (0 when it has no targets). */
double TR(loss)(const TR(model) * m, const TR(params) * w, TR(acts) * a, const int *ids,
                int T, bool shortened, double *head_loss);

/* Head 1 only, full schedule: nll[t] = -log p(ids[t+1] | ids[0..t]) for
 * t < T - 1 (the evaluation's per-target loss); returns their sum. */
double TR(nll)(const TR(model) * m, const TR(params) * w, TR(acts) * a, const int *ids,
               int T, double *nll);

/* Same loss, and grads += scale * dLoss/dw (scale 1/batch averages a batch). */
double TR(loss_grad)(const TR(model) * m, const TR(params) * w, TR(acts) * a,
                     const int *ids, int T, bool shortened, double scale,
                     TR(params) * grads, double *head_loss);

/* Sublayers of block b at one effective layer (op_attn_block.c, op_mlp.c).
 * Attention reads la->u1 and writes y = Mixer_b(u1) [T, D] (ve: [T, G*Dv]
 * value embeddings, NULL when off); the MLP reads la->u2 and writes out =
 * MLP_b(u2). The backwards take the gradient at the output and WRITE the
 * input's into g->du (attention adds ve's into dve). */
void TR(attn_block_forward)(const TR(model) * m, int b, const TR(block) * w,
                            TR(layer_acts) * la, const real *ve, real *y, int T);
void TR(attn_block_backward)(const TR(model) * m, int b, const TR(block) * w,
                             const TR(layer_acts) * la, TR(layer_grads) * g,
                             const real *dy, const real *ve, real *dve, TR(block) * dw,
                             int T);
void TR(mlp_forward)(const TR(model) * m, const TR(block) * w, TR(layer_acts) * la,
                     real *out, int T);
void TR(mlp_backward)(const TR(model) * m, const TR(block) * w, const TR(layer_acts) * la,
                      TR(layer_grads) * g, const real *dout, TR(block) * dw, int T);

/* The attention projections of u1 (op_mla.c, op_gqa.c). mla: q (rotary
 * dims rotated), kr (rotated), c, kv; gqa: q, k (first Dr dims of each head
 * rotated), v. The backwards take g->dq and g->dkv, g->dkr (mla) or g->dk,
 * g->dv (gqa), rotate dq and dkr / dk back in place, add the weight
 * gradients and WRITE g->du. */
void TR(mla_qkv_forward)(const TR(model) * m, const TR(block) * w, TR(layer_acts) * la,
                         int T);
void TR(mla_qkv_backward)(const TR(model) * m, const TR(block) * w,
                          const TR(layer_acts) * la, TR(layer_grads) * g, TR(block) * dw,
                          int T);
void TR(gqa_qkv_forward)(const TR(model) * m, const TR(block) * w, TR(layer_acts) * la,
                         int T);
void TR(gqa_qkv_backward)(const TR(model) * m, const TR(block) * w,
                          const TR(layer_acts) * la, TR(layer_grads) * g, TR(block) * dw,
                          int T);

#endif
