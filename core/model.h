/* model.h: the runtime model and sequence state (core/model.c) and the ops of
 * one block (core/rmsnorm.c, core/rope.c, core/attention_mla.c,
 * core/ffn_conv_swiglu.c). Shapes in brackets; "batch" rows are tokens of one
 * forward call, L = B * R effective layers. */
#ifndef TITAN_CORE_MODEL_H
#define TITAN_CORE_MODEL_H

#include "platform/backend.h"
#include "titan.h"

typedef struct {
    const titan_tensor *wq_a;   /* [Lq, D], NULL when Lq == 0 */
    const titan_tensor *wq_b;   /* [H*(Dh+Dr), Lq], or wq [H*(Dh+Dr), D] */
    const titan_tensor *wkv_a;  /* [Lkv+Dr, D] */
    const titan_tensor *wo;     /* [D, H*Dv] */
    const titan_tensor *w_gate; /* [F, D] */
    const titan_tensor *w_up;   /* [F, D] */
    const titan_tensor *w_down; /* [D, F] */
    float *attn_norm;           /* [D] */
    float *q_norm;              /* [Lq] */
    float *kv_norm;             /* [Lkv] */
    float *wkv_b;               /* [G*(Dh+Dv)][Lkv], per group [key Dh | value Dv] */
    float *wv_t;                /* [G][Lkv][Dv] value parts of wkv_b, transposed */
    float *ffn_norm;            /* [D] */
    float *conv_t;              /* [K][F] conv [F][K] transposed: a row per tap */
} titan_block;

/* Attention tiling (core/attention_mla.c): query tokens per task, cache
 * positions scored at once, and positions per task when a call of at most
 * one query block (decode) is split along the cache instead. */
#define TITAN_ATT_QBLOCK 16
#define TITAN_ATT_PBLOCK 64
#define TITAN_ATT_PCHUNK 64

#define TITAN_ROPE_FREQS 2048 /* Dr/2 of the widest rope_dim a config takes */

struct titan_model {
    titan_config cfg;
    titan_backend *be;
    int ctx, batch;
    int rows;                                /* tokens of the last forward call */
    const titan_tensor *tok_emb;             /* [V, D] */
    const titan_tensor *head[TITAN_MAX_MTP]; /* head[k-1]: [V, D]; head[0] = tok_emb */
    float *final_norm;                       /* [D] */
    double freq[TITAN_ROPE_FREQS];           /* [Dr/2] YaRN frequencies */
    double mscale;
    titan_block blocks[TITAN_MAX_BLOCKS];
    /* scratch, `batch` rows each */
    float *h;     /* [batch][D] residual stream */
    float *u;     /* [batch][D] normed block input; after forward the final z */
    float *y;     /* [batch][D] branch output, added to h */
    float *cq;    /* [batch][Lq] query latent */
    float *q;     /* [batch][H*(Dh+Dr)] per head [nope Dh | rope Dr] */
    float *kva;   /* [batch][Lkv+Dr] wkv_a output */
    float *o;     /* [batch][H*Dv] attention output, heads concatenated */
    float *gate;  /* [batch][F] w_gate output */
    float *gconv; /* [batch][F] gate after the causal conv */
    float *up;    /* [batch][F] w_up output, then SiLU(gate') * up */
    float *rope;  /* [batch][Dr] per row: cos [Dr/2] | sin [Dr/2] */
    float *qlat;  /* [batch][H][Lkv] absorbed queries Wk_g^T qn, scaled */
    float *qrot;  /* [batch][H][Dr] rotary queries, scaled */
    /* per attention task (query block, or cache chunk of one query block):
     * att_tasks tasks of QBLOCK * H rows each */
    int att_tasks;
    float *olat;    /* [tasks][QBLOCK*H][Lkv] running p-weighted latent sums */
    float *att;     /* [tasks][QBLOCK*H][PBLOCK] scores of one position block */
    float *att_run; /* [tasks][QBLOCK*H][2] running score max | softmax sum */
    float *att_kt;  /* [tasks][Lkv+Dr][PBLOCK] the cache block, transposed */
};

struct titan_seq {
    const titan_model *m;
    int pos;        /* tokens held */
    int rewindable; /* tokens titan_seq_rewind may still drop */
    int ring;       /* gate rows kept per layer: K-1+M (0 when K == 0) */
    float *lat;     /* [L][ctx][Lkv] c after kv_norm */
    float *kr;      /* [L][ctx][Dr] shared rotary key after rotation */
    float *gates;   /* [L][ring][F] pre-conv gate of position p at row p % ring */
};

/* The cached kv-normed latents c of effective layer `layer`: [pos][Lkv]
 * (GPTQ calibration sums them into wkv_b's Hessian). */
const float *titan_seq_latents(const titan_seq *s, int layer);

/* y[n] = x[n] / sqrt(mean(x^2) + eps) * g[n]; y may alias x. */
void titan_rmsnorm(float *y, const float *x, const float *g, int n, double eps);

/* cs[0..half) = cos(pos w_i), cs[half..2 half) = sin(pos w_i), in double. */
void titan_rope_table(float *cs, const double *freq, int half, int pos);
/* Rotate v[2 half] in place (half split, SPEC section 1). */
void titan_rope_rotate(float *v, const float *cs, int half);

/* A sublayer's per-row work on rows [begin, end) of the forward call. */
typedef struct {
    titan_model *m;
    titan_seq *s;
    const titan_block *b;
    int layer;
} titan_rows_job;

/* Run fn(job, begin, end) over rows [0, n) on the backend's threads (rows
 * are independent), or on the caller for a few rows (decode). */
void titan_for_rows(titan_model *m, int n, titan_task_fn fn, void *job);

/* y0 = W0 x and y1 = W1 x for n rows of x: one job on backends that fuse
 * them (backend.h matmul2), else two matmul calls. */
void titan_matmul2(titan_model *m, const titan_tensor *w0, float *y0,
                   const titan_tensor *w1, float *y1, const float *x, int n);

/* y[t] = RMSNorm(x[t]; g) for rows t < n of `width` floats, through
 * titan_for_rows; y may alias x. */
void titan_rmsnorm_rows(titan_model *m, float *y, const float *x, const float *g,
                        int width, int n);

/* h += attention sublayer for rows 0..n-1 at positions s->pos.. of layer l;
 * appends c and kr to s's cache first. */
void titan_attention_mla(titan_model *m, titan_seq *s, const titan_block *b, int layer,
                         int n);

/* h += ConvSwiGLU sublayer for rows 0..n-1, updating the layer's gate ring. */
void titan_ffn_conv_swiglu(titan_model *m, titan_seq *s, const titan_block *b, int layer,
                           int n);

/* Small vector helpers (core/vec.c). */
void titan_vec_add(float *y, const float *x, int n);                     /* y += x */
float titan_vec_max(const float *x, int n);                              /* n >= 1 */
void titan_vec_mul_add(float *y, const float *a, const float *b, int n); /* y += a b */
void titan_vec_axpy(float *y, float a, const float *x, int n);           /* y += a x */
/* y[i] *= silu(g[i]) = g[i] / (1 + exp(-g[i])), within a few ulp. */
void titan_vec_silu_mul(float *y, const float *g, int n);
/* x[i] = exp(x[i] - shift) for i < n, where every x[i] <= shift; returns
 * the sum of the new x[i]. */
float titan_vec_exp_sum(float *x, float shift, int n);

#endif
