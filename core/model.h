/* model.h: the runtime model and sequence state (core/model.c, its memory in
 * core/model_setup.c) and the ops of one layer (core/embed.c, core/rmsnorm.c,
 * core/rope.c, core/attention_mla.c, core/attention_kv.c, core/attention_gqa.c,
 * core/attention_softmax.c, core/ffn_conv_swiglu.c, core/ffn_relu2.c). Shapes
 * in brackets; "batch" rows are tokens of one forward call, n_layers the
 * effective layers of the schedule S (SPEC section 8; B * R without one). */
#ifndef TITAN_CORE_MODEL_H
#define TITAN_CORE_MODEL_H

#include "core/gdn.h"
#include "platform/backend.h"
#include "titan.h"

typedef struct {
    const titan_tensor *wq_a; /* [Lq, D], NULL when Lq == 0 */
    const titan_tensor
        *wq_b; /* [H*(Dh+Dr), Lq], or wq [H*(Dh+Dr), D]; gqa wq [H*Dh, D] */
    const titan_tensor *wkv_a;   /* [Lkv+Dr, D] */
    const titan_tensor *wkv_b_w; /* [G*(Dh+Dv), Lkv] as stored: explicit mla */
    const titan_tensor *wk;      /* gqa [G*Dh, D] */
    const titan_tensor *wv;      /* gqa [G*Dv, D] */
    const titan_tensor *wo;      /* [D, H*Dv] */
    const titan_tensor *w_gate;  /* [F, D], NULL for relu2 / leaky_relu2 */
    const titan_tensor *w_up;    /* [F, D] */
    const titan_tensor *w_down;  /* [D, F] */
    float *attn_norm;            /* [D] */
    float *q_norm;               /* [Lq] */
    float *kv_norm;              /* [Lkv] */
    float *wkv_b;                /* [G*(Dh+Dv)][Lkv], per group [key Dh | value Dv] */
    float *wv_t;                 /* [G][Lkv][Dv] value parts of wkv_b, transposed */
    float *ffn_norm;             /* [D] */
    float *conv_t;               /* [K][F] conv [F][K] transposed: a row per tap */
    /* SPEC section 8; NULL (or off) where the config does not have them */
    float *q_gain;     /* [H] */
    float *k_sink;     /* [G][Dq] */
    float *sink_logit; /* [G] */
    float *resid_mix;  /* [2][D]: h <- mix[0] h + mix[1] x0 */
    float *attn_scale; /* [D] */
    float *mlp_scale;  /* [D] */
    float ve_scale;    /* value_embed added to v when has_ve */
    bool has_ve, xsa;
    bool explicit_kv;    /* attended through explicit k, v (gqa; mla with options) */
    bool parallel;       /* parallel residual (parallel_residual_from <= b) */
    float ln_scale;      /* 1/sqrt(b+1) with ln_scale, else 1 */
    titan_gdn_block gdn; /* a GDN block's mixer (core/gdn.h) */
} titan_block;

/* What mixes tokens in an effective layer, and so what its cache holds. */
typedef enum {
    TITAN_MIXER_MLA, /* absorbed mla: c and kr per token */
    TITAN_MIXER_KV,  /* explicit k and v per group per token */
    TITAN_MIXER_GDN, /* Gated DeltaNet: a fixed-size state (core/gdn.h) */
} titan_mixer;

/* Effective layer l of the schedule. */
typedef struct {
    int block; /* S_l */
    titan_mixer mixer;
    int slot;     /* its cache among the layers of its mixer kind */
    int skip_src; /* skip j whose source is this layer (h saved after it), or -1 */
    int skip_dst; /* skip j that ends at this layer's input, or -1 */
} titan_layer;

/* Attention tiling (core/attention_mla.c, core/attention_gqa.c): query tokens
 * per task, cache positions scored at once, and positions per task when a
 * call of at most one query block (decode) is split along the cache instead. */
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
    int n_layers;
    titan_layer *layers; /* [n_layers] */
    /* SPEC section 8 embeddings and skips (NULL where absent) */
    const titan_tensor *bigram_table; /* [N, d] */
    const titan_tensor *bigram_proj;  /* [D, d], NULL when d == D */
    float bigram_scale;
    const titan_tensor *ve_table; /* [V, d] */
    const titan_tensor *ve_proj;  /* [G*Dv, d], NULL when d == G*Dv */
    float ve_scale;
    float *smear;  /* [D] sigmoid(smear_gate) */
    float *skip_w; /* [P][D] skip_weights */
    float *skip_g; /* [P][D] sigmoid(skip_gates) */
    int kv_width;  /* Dq of those layers (all the same kind) */
    titan_gdn gdn; /* the GDN mixer's shape and scratch (with GDN blocks) */
    /* scratch, `batch` rows each */
    float *h;      /* [batch][D] residual stream */
    float *u;      /* [batch][D] normed block input; after forward the final z */
    float *y;      /* [batch][D] branch output, added to h */
    float *x0;     /* [batch][D] the embedding, for resid_mix */
    float *emb;    /* [batch][D] e before smearing */
    float *etab;   /* [batch][max d] bigram or value-embedding table rows */
    int32_t *idx;  /* [batch] bigram buckets */
    float *ve;     /* [batch][G*Dv] value embedding */
    float *skip_h; /* [P][batch][D] h after each skip's source layer */
    float *cq;     /* [batch][Lq] query latent */
    float *q;      /* [batch][H*(Dh+Dr)] per head [nope Dh | rope Dr]; gqa [H*Dh] */
    float *kva;    /* [batch][Lkv+Dr] wkv_a output */
    float *lat;    /* [batch][Lkv] c of explicit mla */
    float *kvb;    /* [batch][G*(Dh+Dv)] wkv_b c of explicit mla */
    float *k;      /* [batch][G*Dq] explicit keys of the call */
    float *v;      /* [batch][G*Dv] explicit values of the call */
    float *qg;     /* [G][batch][H/G][Dq] explicit queries by group, scaled */
    float *o;      /* [batch][H*Dv] attention output, heads concatenated */
    float *gate;   /* [batch][F] w_gate output */
    float *gconv;  /* [batch][F] gate after the causal conv */
    float *up;     /* [batch][F] w_up output, then the MLP's hidden activation */
    float *rope;   /* [batch][Dr] per row: cos [Dr/2] | sin [Dr/2] */
    float *qlat;   /* [batch][H][Lkv] absorbed queries Wk_g^T qn, scaled */
    float *qrot;   /* [batch][H][Dr] rotary queries, scaled */
    /* per attention task (query block, or cache chunk of one query block):
     * att_tasks tasks of QBLOCK * H rows each (explicit k/v: G tasks of
     * QBLOCK * H/G rows in their place) */
    int att_tasks;
    float *olat;    /* [tasks][QBLOCK*H][max(Lkv, Dv)] running p-weighted sums */
    float *att;     /* [tasks][QBLOCK*H][PBLOCK] scores of one position block */
    float *att_run; /* [tasks][QBLOCK*H][2] running score max | softmax sum */
    float *att_kt;  /* [tasks][Lkv+Dr][PBLOCK] the cache block, transposed
                       (explicit k/v: [tasks*G][Dq][PBLOCK]) */
};

struct titan_seq {
    const titan_model *m;
    int pos;        /* tokens held */
    int rewindable; /* tokens titan_seq_rewind may still drop */
    int ring;       /* gate rows kept per layer: K-1+M (0 when K == 0 or no swiglu) */
    int emb_ring;   /* embedding rows kept: M+1 with smear_gate or bigram_hash, else 0 */
    float *lat;     /* [absorbed mla layers][ctx][Lkv] c after kv_norm */
    float *kr;      /* [absorbed mla layers][ctx][Dr] shared rotary key after rotation */
    float *k;       /* [kv layers][G][ctx][Dq] keys (rotated, qk-normed) */
    float *v;       /* [kv layers][G][ctx][Dv] values (value embedding added) */
    float *gates;   /* [L][ring][F] pre-conv gate of position p at row p % ring */
    int32_t *prev_id; /* [emb_ring] token of position p at p % emb_ring */
    float *prev_e;    /* [emb_ring][D] its e before smearing (after emb_norm) */
    float *gdn;       /* [GDN layers][titan_gdn_state_floats] S and pre-conv rows */
};

/* The cached kv-normed latents c of effective layer `layer`: [pos][Lkv]
 * (GPTQ calibration sums them into wkv_b's Hessian); NULL when the layer
 * keeps no latents (explicit k/v, GDN: their products go through matmul). */
const float *titan_seq_latents(const titan_seq *s, int layer);

/* Effective layers of m, and the block of layer l. */
int titan_model_layers(const titan_model *m);
int titan_model_layer_block(const titan_model *m, int layer);

/* y[n] = x[n] / sqrt(mean(x^2) + eps) * g[n] (g NULL: RMSNorm0, no gain);
 * y may alias x. */
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

/* Run fn over tasks [0, n) on the backend's threads, however few. */
void titan_for_tasks(titan_model *m, int64_t n, titan_task_fn fn, void *job);

/* y0 = W0 x and y1 = W1 x for n rows of x: one job on backends that fuse
 * them (backend.h matmul2), else two matmul calls. */
void titan_matmul2(titan_model *m, const titan_tensor *w0, float *y0,
                   const titan_tensor *w1, float *y1, const float *x, int n);

/* y[t] = RMSNorm(x[t]; g) for rows t < n of `width` floats, through
 * titan_for_rows; y may alias x. */
void titan_rmsnorm_rows(titan_model *m, float *y, const float *x, const float *g,
                        int width, int n);

/* h = the embedding of ids[0..n) at positions s->pos.. (SPEC section 8:
 * tok_emb, bigram hash, emb_norm, smear gate), x0 = h with resid_mix, the
 * value embedding in m->ve; keeps what the next call needs in s's ring. */
void titan_embed(titan_model *m, titan_seq *s, const int32_t *ids, int n);

/* y = attention of layer l for rows 0..n-1 of u at positions s->pos..:
 * absorbed mla (appends c and kr to s's cache first), or explicit k/v
 * (gqa, or mla with a section-8 attention option; appends k and v). */
void titan_attention_mla(titan_model *m, titan_seq *s, const titan_block *b, int layer,
                         int n);
void titan_attention_kv(titan_model *m, titan_seq *s, const titan_block *b, int layer,
                        int n);

/* Explicit k/v attention's core (core/attention_gqa.c): the queries in
 * m->qg, the keys and values of positions up to s->pos + n - 1 in layer
 * slot `slot` of s's cache; writes m->o. */
void titan_attention_gqa(titan_model *m, const titan_seq *s, const titan_block *b,
                         int slot, int n);

/* q (and cq) and kva = wkv_a u of an mla block for rows 0..n-1 of u. */
void titan_mla_project(titan_model *m, const titan_block *b, int n);

/* c[rows][n] (+)= a[rows][k] . B[k][n], B = b with row stride ldb: one
 * small product over activations (backend small_gemm). */
void titan_att_gemm(const titan_model *m, int rows, int n, int k, const float *a,
                    size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                    bool accumulate);
/* c[rows][PBLOCK] (+)= a[rows][k] . rows of b[n][k]: scores against cache
 * rows as stored. */
void titan_att_dot_rows(const titan_model *m, int rows, int n, int k, const float *a,
                        const float *b, float *c, bool accumulate);

/* Online softmax over position blocks (core/attention_softmax.c), for a row
 * whose running state is run = {max, sum} and ol[width] its p-weighted
 * sums: fold in the scores att[0, jn) of positions j0.. as seen by a query
 * at position p (later ones get weight 0; att becomes the weights). */
void titan_att_softmax_step(float *att, float *run, float *ol, int width, int j0, int jn,
                            int p);
/* Merge the states of `chunks` cache chunks of one row (chunk c's at
 * row r + c * stride of ol [.][width] and run [.][2]) into chunk 0's. */
void titan_att_merge(float *ol, float *run, int width, size_t r, size_t stride,
                     int chunks);

/* y = MLP of layer l for rows 0..n-1 of u: ConvSwiGLU (updating the layer's
 * gate ring), or relu2 / leaky_relu2. */
void titan_ffn_conv_swiglu(titan_model *m, titan_seq *s, const titan_block *b, int layer,
                           int n);
void titan_ffn_relu2(titan_model *m, const titan_block *b, int n);

/* Small vector helpers (core/vec.c). */
void titan_vec_add(float *y, const float *x, int n);                     /* y += x */
float titan_vec_max(const float *x, int n);                              /* n >= 1 */
void titan_vec_mul_add(float *y, const float *a, const float *b, int n); /* y += a b */
void titan_vec_axpy(float *y, float a, const float *x, int n);           /* y += a x */
float titan_vec_dot(const float *a, const float *b, int n); /* sum a b, eight lanes */
/* y[i] *= silu(g[i]) = g[i] / (1 + exp(-g[i])), within a few ulp. */
void titan_vec_silu_mul(float *y, const float *g, int n);
/* x[i] = φ(x[i])^2, φ(v) = v for v >= 0, slope * v below (slope 0: relu2). */
void titan_vec_leaky_square(float *x, float slope, int n);
/* x[i] = exp(x[i] - shift) for i < n, where every x[i] <= shift; returns
 * the sum of the new x[i]. */
float titan_vec_exp_sum(float *x, float shift, int n);

#endif
