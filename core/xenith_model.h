/* xenith_model.h: the Xenith runtime's model and stream state (SPEC section
 * 9), shared by core/xenith_model.c (setup, one token's step),
 * core/xenith_block.c (a layer: windowed GQA with the LTM, dense or MoE
 * SwiGLU) and core/xenith_memory.c (the summarizer and the FIFO LTM). A
 * forward call takes a chunk of up to x->chunk tokens inside one segment:
 * its queries read the cache (positions before the chunk) and the chunk's
 * own keys, and only then do the chunk's keys enter the cache, so a ring
 * smaller than the chunk loses nothing. C = x->chunk_max; shapes in
 * brackets. */
#ifndef TITAN_CORE_XENITH_MODEL_H
#define TITAN_CORE_XENITH_MODEL_H

#include "core/xenith.h"
#include "platform/backend.h"

/* A weight with its adapters (a, b NULL when it is no target). */
typedef struct {
    const titan_tensor *w, *a, *b; /* [out, in], [r, in], [out, r] */
} titan_xlinear;

typedef struct {
    titan_xlinear gate, up, down;
} titan_xswiglu;

typedef struct {
    float *attn_norm, *ffn_norm;  /* [D] */
    titan_xlinear wq, wk, wv, wo; /* layer l's GQA */
    titan_xswiglu dense;          /* dense layers */
    titan_xlinear router;         /* MoE layers: [E, D] */
    titan_xswiglu *experts;       /* [E] */
    int64_t window, slots;        /* w_l, cache entries */
    float *k, *v;                 /* [slots][G*Dh] rotated keys, values */
    float *mk, *mv;               /* reading layers: [N][G*Dh] wk y, wv y of the LTM */
} titan_xlayer;

typedef struct {
    float *attn_norm, *kv_norm, *ffn_norm; /* [D] */
    titan_xlinear wq, wk, wv, wo;          /* [D, D] */
    titan_xswiglu ffn;                     /* width Fs */
} titan_xsum_layer;

struct titan_xenith {
    titan_config cfg;
    titan_backend *be;
    int64_t ctx;   /* positions an unbounded window holds */
    double lora_s; /* lora_alpha / r */
    int chunk;     /* tokens per forward call now, 1..chunk_max */
    int chunk_max; /* the chunk the scratch was carved for */
    int max_rows;  /* rows of one matmul call: max(C, S + M with memory) */
    const titan_tensor *tok_emb, *head_w; /* [V, D]; head_w lm_head or tok_emb */
    titan_xlinear head;
    float *final_norm; /* [D] */
    titan_xlayer *layers;
    double *freq; /* [Dh/2] */
    /* memory (S > 0) */
    float *slots;          /* [M][D] mem.slots */
    float *mem_final_norm; /* [D] */
    titan_xsum_layer *sum; /* [Ls] */
    /* stream state */
    int64_t pos;
    int stm_n;             /* rows in stm */
    int64_t ltm_n, ltm_at; /* LTM rows held, next row to write */
    float *stm;            /* [S][D] h after the last layer, this segment */
    /* scratch: one chunk of T <= C tokens at positions p0.. */
    int64_t p0;                 /* the chunk's first position */
    float *h, *u, *y, *ey, *ex; /* [C][D]; ex, ey an expert's gathered rows */
    float *q, *qr, *o, *k, *v;  /* [C][H*Dh] q, rotated q, heads' outputs; [C][G*Dh] */
    float *z, *cs;              /* [C][E] router logits, [Dh] rope cos | sin */
    float *gate, *up;           /* [max(F, Fe, Fs) * max_rows] */
    float *score;               /* [most keys a query reads] */
    int32_t *route;             /* [C][k] */
    float *route_g;             /* [C][k] */
    int32_t *erow;              /* [C] rows routed to one expert */
    float *eg;                  /* [C] their gates */
    float *lora_r;              /* [max_rows][r] */
    float *lora_o;              /* [max_rows * widest output] */
    /* scratch: the summarizer */
    float *X, *A, *Z, *Q, *Kz, *Vz, *O; /* [M][D], Z/Kz/Vz [S+M][D] */
    float *proj;                        /* [M][G*Dh] */
    double *sscore;                     /* [S+M] one slot's scores */
};

/* out[T][rows] = W in[T][cols] + s * B (A in) (SPEC section 9's "X u"). */
void titan_xenith_linear(titan_xenith *x, const titan_xlinear *l, const float *in,
                         float *out, int T);

/* out[T][D] = SwiGLU_p(in[T][D]) (uses x->gate, x->up). */
void titan_xenith_swiglu(titan_xenith *x, const titan_xswiglu *p, const float *in,
                         float *out, int T);

/* h[T] += layer l's attention and FFN for the chunk at x->p0 (x->h). */
void titan_xenith_layer(titan_xenith *x, int l, int T);

/* The segment in x->stm is complete: summarize it and append its rows'
 * projections to every reading layer's LTM (FIFO of N). */
void titan_xenith_memory_write(titan_xenith *x);

/* Rows normalized: y[T][n] = RMSNorm(x[T][n]; g). */
void titan_xenith_norm_rows(float *y, const float *in, const float *g, int T, int n,
                            double eps);

#endif
