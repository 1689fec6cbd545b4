/* xenith_model.h: the trainable Xenith model (SPEC section 9) in the
 * trainer's style: weights and gradients in TR(params) slabs (every section-9
 * tensor, adapters included, in artifact order), activations in one slab,
 * compiled for float and double (train_real.h; xenith_model_double.c).
 * The forward runs segment by segment (S tokens, or the whole sequence when
 * S = 0), each through all L layers; between segments the segment memory
 * (xenith_memory.c) summarizes the finished segment into the LTM that the
 * reading layers attend to, and the backward runs the same in reverse. */
#ifndef TITAN_TRAIN_XENITH_MODEL_H
#define TITAN_TRAIN_XENITH_MODEL_H

#include "titan.h"
#include "tools/train/op_moe.h"
#include "tools/train/op_xenith_attention.h"
#include "tools/train/op_xenith_summarize.h"
#include "tools/train/train_model.h"
#include "tools/train/train_real.h"

#include <stdbool.h>
#include <stddef.h>

/* A weight with its optional adapter: indices into TR(params).tensor
 * (a = b = -1: no adapter). */
typedef struct {
    int w, a, b;
    int in, out;
} TR(xlin);

typedef struct {
    int attn_norm, ffn_norm; /* [D] */
    TR(xlin) wq, wk, wv, wo; /* GQA */
    TR(xlin) gate, up, down; /* dense SwiGLU; MoE: expert 0's */
    bool moe;                /* an MoE layer (l >= n_d, E > 0) */
    TR(xlin) router;         /* MoE: [E, D] */
    int estride;             /* MoE: tensors per expert */
    int window, P;           /* w_l; probability slots per query */
    bool reads;              /* in mem_read_layers (S > 0) */
} TR(xlayer);

/* Immutable per-model data: config, tensor indices, rotary tables. */
typedef struct {
    titan_config cfg;
    int max_T, L, r;
    double lora_s;  /* lora_alpha / r */
    bool lora_only; /* gradients only for .lora_A / .lora_B */
    titan_arena *arena;
    int tok_emb, final_norm;
    TR(xlin) head; /* lm_head (w = -1 when tied: tok_emb) */
    TR(xlayer) layer[TITAN_MAX_LIST];
    real *rope_cos, *rope_sin; /* [max_T, Dh/2] */
    /* segments of max_T: length seg (S, or max_T when S = 0), n_seg of
     * them; n_sum summaries a later segment can read (n_sum M rows) */
    int seg, n_seg, n_sum;
    int mem_first, mem_end; /* the summarizer's tensors (S > 0) */
} TR(xmodel);

/* One layer's activations over the whole sequence [T, ...]. */
typedef struct {
    real *h_in;        /* [T, D] residual arriving */
    real *u1, *rstd1;  /* [T, D], [T] */
    real *q, *k, *v;   /* [T, H*Dh] rotated, [T, G*Dh] rotated, [T, G*Dh] */
    real *probs;       /* [T, H, P] */
    real *o;           /* [T, H*Dh] */
    real *h_mid;       /* [T, D] after attention */
    real *u2, *rstd2;  /* [T, D], [T] */
    real *ag, *up, *m; /* [T, F] dense SwiGLU */
    real *xs[7];       /* [T, r] adapters' s x A^T: wq wk wv wo gate up down */
    real *moe;         /* an MoE layer's: moe_acts_size(seg) per segment */
    TR(moe_stats) st;  /* an MoE layer's over the stream: l_bal, l_z */
    int32_t *load;     /* [E] rows routed to each expert (st.load) */
    real *dk, *dv;     /* [T, G*Dh] gradients of k (rotated) and v */
    /* a reading layer's: unrotated q [T, H*Dh]; every summary row's
     * memory keys and values [n_sum M, G*Dh], their adapters' xs
     * [n_sum M, r] and gradients */
    real *qm, *mk, *mv, *mxk, *mxv, *dmk, *dmv;
} TR(xlayer_acts);

typedef struct {
    int max_T;
    real *mem;
    titan_arena *arena;
    TR(xlayer_acts) * layer;  /* [L] */
    real *h_out, *z, *rstd_f; /* [T, D], [T, D], [T] */
    real *logits;             /* [TRAIN_HEAD_CHUNK, V] */
    real *head, *dhead;       /* [V, D] merged adapted head and its gradient */
    real *dh, *du, *dz, *dn;  /* [T, D]; dn: a frozen norm's gradient sink */
    real *dq, *do_;           /* [T, H*Dh] */
    real *dag, *dup, *dm;     /* [T, F] */
    real *dxs;                /* [T, r] */
    real *moe_scratch;        /* moe_scratch_size(T) */
    TR(swiglu_weights) * ex;  /* [2E]: experts of the weights, of the gradients */
    real *dqm;                /* [T, H*Dh]: the unrotated q's gradient */
    real *Y;                  /* [n_sum M, D]: the summaries Y_0, Y_1, ... */
    real *dY;                 /* [M, D] */
    real *sum_acts;           /* xsum_acts_size(S) per summary */
    real *sum_scratch;        /* xsum_scratch_size(S) */
    TR(xsum_layer) * xsl;     /* [2 Ls]: summarizer layers of weights, gradients */
    double ce, l_bal, l_z;    /* the last forward's loss terms */
    double fwd_s, bwd_s;
} TR(xacts);

/* Bind the tensors of p (allocated for c) and make the rotary tables. 0, or
 * -1 when out of memory or a tensor is missing. */
int TR(xmodel_init)(TR(xmodel) * m, const titan_config *c, const TR(params) * p,
                    int max_T, titan_arena *arena);
void TR(xmodel_free)(TR(xmodel) * m);
int TR(xacts_alloc)(TR(xacts) * a, const TR(xmodel) * m, int max_T, titan_arena *arena);
void TR(xacts_free)(TR(xacts) * a);

/* Forward of ids[0..T) (1 <= T <= max_T) and SPEC section 9's training loss;
 * ce (may be NULL) gets its CE term; a->ce, l_bal, l_z and the layers' load
 * the terms. */
double TR(xloss)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                 const int *ids, int T, double *ce);
/* The same, and grads += scale * dL/dw. */
double TR(xloss_grad)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                      const int *ids, int T, double scale, TR(params) * grads,
                      double *ce);
/* The forward of ids[0..T) and nll[t] = CE(logits_t, ids[t+1]) for t < T-1;
 * returns their sum (the validation windows' scorer). */
double TR(xnll)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a, const int *ids,
                int T, double *nll);

/* Internals shared by xenith_model.c, xenith_forward.c and xenith_backward.c. */
void TR(xlin_forward)(const TR(xmodel) * m, const TR(params) * w, const TR(xlin) * l,
                      real *y, real *xs, const real *x, int n);
void TR(xlin_backward)(const TR(xmodel) * m, const TR(params) * w, TR(params) * g,
                       const TR(xlin) * l, real *dx, real *dxs, const real *dy,
                       const real *x, const real *xs, int n);
/* The gradient tensor of index i, or NULL (none, or frozen). */
real *TR(xgrad)(const TR(xmodel) * m, const TR(params) * g, int i);
void TR(xforward)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                  const int *ids, int T);
void TR(xbackward)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                   const int *ids, int T, double scale, TR(params) * grads);
/* Layer l's MoE tensors in p (g: gradients, frozen ones NULL) with
 * experts in ex [E]. */
void TR(xmoe_view)(TR(moe_weights) * out, const TR(xmodel) * m, const TR(params) * p,
                   bool g, int l, TR(swiglu_weights) * ex);
/* Layer l's attention in segment s (n_mem: the LTM rows it reads), and a
 * view of it with the memory keys and values mk, mv [n_sum M, G*Dh] moved
 * to the first row segment s reads. */
TR(xattn_shape) TR(xattn_shape_of)(const TR(xmodel) * m, int l, int s);
TR(xattn_view) TR(xattn_at)(const TR(xmodel) * m, int l, int s, TR(xattn_view) v);
/* Layer l's MoE acts of segment s. */
real *TR(xmoe_acts)(const TR(xmodel) * m, const TR(xlayer_acts) * la, int s);
enum { XS_Q, XS_K, XS_V, XS_O, XS_GATE, XS_UP, XS_DOWN }; /* TR(xlayer_acts).xs */
/* The LTM rows segment s reads: min(N, s M) (0 when S = 0). */
int TR(xmem_rows)(const TR(xmodel) * m, int s);
/* xenith_memory.c: after segment s's rows [t0, t0 + S) passed layer L-1,
 * Y_s = Summarize(them) and every reading layer's keys and values of it;
 * the backward (before segment s's layers) takes dL/dY_s from the readers'
 * gradients, into the summarizer and d h_out of those rows. */
void TR(xmem_forward)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a, int s,
                      int t0);
void TR(xmem_backward)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                       TR(params) * g, int s, int t0);
double TR(xhead_loss)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                      const int *ids, int T, double scale, TR(params) * grads);

#endif
