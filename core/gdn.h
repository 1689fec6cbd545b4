/* gdn.h: the Gated DeltaNet mixer of SPEC section 8 (core/gdn.c: inputs,
 * outputs, plan and state; core/gdn_recurrence.c: the recurrent form, one
 * token at a time; core/gdn_chunked.c: the chunked WY form of prefill).
 * Shapes in brackets; rows are tokens of one forward call, C = 2 Hk Dk + Hv Dw,
 * M = mtp_heads.
 *
 * The mixer maps the normed block input u [n, D] to y [n, D] and updates the
 * state of one effective layer, whose size does not depend on the context:
 *
 *   state = [M+1][Hv][Dk][Dw] S after positions p (slot p % (M+1): the state
 *           of the current position and of the M before it, so that
 *           titan_seq_rewind can drop up to M tokens)
 *         | [ring][C] gdn_qkv u of position p at row p % ring, before the conv
 *           (ring = Kc - 1 + M when Kc > 1, else 0: the Kc - 1 rows the conv
 *           reads, plus M for rewinds)
 *   titan_gdn_state_floats(c) = (M+1) Hv Dk Dw + ring C, rounded up to 16
 *   floats (64 bytes). A sequence needs that many floats for each of its
 *   titan_gdn_layers(c) GDN layers, 4 bytes each, at every context.
 *
 * Model integration (core/model_setup.c, core/model.c), one call per place:
 *   plan/create: titan_gdn_carve(a, c, batch, &m->gdn) once, and
 *                titan_gdn_block_carve(a, c, &b->gdn) for each GDN block b;
 *   seq carve:   titan_gdn_layers(c) * titan_gdn_state_floats(c) floats;
 *   bind:        titan_gdn_block_bind(&b->gdn, &m->gdn, w) with w the
 *                block's gdn_qkv and the mixer tensors after it (canonical order);
 *   forward:     titan_gdn_forward(&m->gdn, m->be, &b->gdn, state_l, s->pos,
 *                m->u, m->y, n), state_l that layer's m->gdn.state_floats.
 * Nothing needs clearing: the state at position 0 is zero by definition, and
 * the mixer never reads it there. */
#ifndef TITAN_CORE_GDN_H
#define TITAN_CORE_GDN_H

#include "platform/backend.h"
#include "titan.h"

#define TITAN_GDN_CHUNK 64 /* tokens per chunk of the chunked form */
/* Tokens of a call from which backends with parallel_for run the chunked
 * form (fewer: the recurrence, which is cheaper per token up to here). */
#define TITAN_GDN_CHUNK_MIN 16

/* One GDN block's weights. The matrices stay as stored (any dtype); the
 * small tensors are float copies. */
typedef struct {
    const titan_tensor *qkv; /* [C, D] rows [q Hk*Dk | k Hk*Dk | v Hv*Dw] */
    const titan_tensor *ba;  /* [2Hv, D] rows [beta Hv | a Hv] */
    const titan_tensor *z;   /* [Hv*Dw, D] output gate */
    const titan_tensor *o;   /* [D, Hv*Dw] */
    float *conv_t;           /* [Kc][C] gdn_conv [C][Kc] transposed: a row per tap */
    float *neg_a;            /* [Hv] -exp(gdn_A_log) */
    float *dt_bias;          /* [Hv] */
    float *o_norm;           /* [Dw] gain of the gated RMSNorm; NULL without it */
} titan_gdn_block;

/* The mixer's shape and its scratch for calls of up to `batch` tokens. */
typedef struct {
    int Hk, Hv, Dk, Dw, Kc, C;
    int act;       /* gdn_qk_act: TITAN_GDN_ACT_SILU or _ELU1 */
    bool out_norm; /* gdn_out_norm */
    double eps;    /* norm_eps, of the gated RMSNorm */
    int slots;     /* states kept, M + 1 */
    int ring;      /* pre-conv rows kept */
    int batch;
    size_t state_floats; /* one layer's state, titan_gdn_state_floats */
    int chunk_min;       /* TITAN_GDN_CHUNK_MIN; tests move it */
    size_t head_floats;  /* per-head scratch, in floats */
    float *c;            /* [batch][C] gdn_qkv u, before the conv */
    float *qkv;          /* [batch][C] q^ (with 1/sqrt(Dk)), k^, v: after the conv,
                               activations and L2 norms */
    float *bg;           /* [batch][2Hv] gdn_ba u, then per head beta | g = log alpha */
    float *z;            /* [batch][Hv*Dw] gdn_z u */
    float *o;            /* [batch][Hv*Dw] head outputs, then gated */
    float *head;         /* [Hv][head_floats] per-head scratch */
} titan_gdn;

/* Floats of one GDN layer's state (above); 0 for a config without GDN
 * blocks. */
size_t titan_gdn_state_floats(const titan_config *c);

/* Effective layers (titan_config_schedule) whose block is GDN. */
int titan_gdn_layers(const titan_config *c);

/* Carve the mixer's scratch for calls of up to batch tokens (measuring
 * arenas count it). */
TITAN_NODISCARD titan_status titan_gdn_carve(titan_arena *a, const titan_config *c,
                                             int batch, titan_gdn *g);

/* Carve one block's float copies (conv_t, neg_a, dt_bias, o_norm). */
TITAN_NODISCARD titan_status titan_gdn_block_carve(titan_arena *a, const titan_config *c,
                                                   titan_gdn_block *b);

/* Bind a block to its tensors w[0..) in the canonical order of
 * titan_config_tensors (gdn_qkv, gdn_conv, gdn_ba, gdn_A_log, gdn_dt_bias,
 * gdn_z, gdn_o_norm, gdn_o, each when present; shapes already checked) and
 * fill the float copies. Returns how many tensors it took. */
int titan_gdn_block_bind(titan_gdn_block *b, const titan_gdn *g,
                         const titan_tensor *const *w);

/* Exact arena bytes of titan_gdn_carve for `batch` (scratch), and of one
 * GDN layer's state (state_bytes = 4 titan_gdn_state_floats). TITAN_E_USAGE
 * for batch < 1 or NULL pointers; TITAN_E_DATA for an invalid config. */
TITAN_NODISCARD titan_status titan_gdn_plan(const titan_config *c, int batch,
                                            size_t *scratch_bytes, size_t *state_bytes);

/* y[n][D] = the mixer of block b on u[n][D] (1 <= n <= batch) at positions
 * pos.., continuing `state` (one layer's, as of position pos; unused at
 * pos 0), which it updates to position pos + n. u and y must not alias the
 * scratch or each other. Backends without parallel_for (ref, tpu) run the
 * plain recurrence; the others run heads in parallel, calls of at least
 * chunk_min tokens in the chunked form (all but the last min(n, M) tokens,
 * whose states are kept for rewinds). */
void titan_gdn_forward(titan_gdn *g, titan_backend *be, const titan_gdn_block *b,
                       float *state, int pos, const float *u, float *y, int n);

/* The two forms of one value head (core/gdn_recurrence.c, gdn_chunked.c).
 * Head inputs of token t (rows of the call): q^ at q + t*ld, k^ at k + t*ld,
 * v at v + t*ld (ld = C), beta and g at bg + t*ldbg, bg + t*ldbg + Hv
 * (ldbg = 2Hv); output at o + t*ldo (ldo = Hv Dw). */
typedef struct {
    const float *q, *k, *v, *bg;
    float *o;
    size_t ld, ldbg, ldo;
    int Dk, Dw, Hv;
} titan_gdn_head;

/* One token t: dst = alpha src + beta k (v - alpha src^T k)^T, o = dst^T q
 * (S [Dk][Dw]; dst may be src). The vector version needs Dw floats of
 * scratch e; the ref version sums in double. */
void titan_gdn_step(const titan_gdn_head *h, int t, const float *src, float *dst,
                    float *e);
void titan_gdn_step_ref(const titan_gdn_head *h, int t, const float *src, float *dst);

/* Per-head scratch floats of titan_gdn_chunks. */
size_t titan_gdn_chunk_floats(int Dk, int Dw);

/* Tokens [0, n) in chunks of TITAN_GDN_CHUNK, S [Dk][Dw] updated in place;
 * products on the backend's small_gemm; scratch of titan_gdn_chunk_floats. */
void titan_gdn_chunks(const titan_gdn_head *h, int n, float *S, titan_backend *be,
                      float *scratch);

#endif
