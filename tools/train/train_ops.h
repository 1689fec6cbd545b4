/* train_ops.h: forward and backward of every op of SPEC sections 1 and 8, one
 * file per op or family (op_*.c). Shapes are [rows, cols] row-major; T is the sequence length.
 * Backward functions ACCUMULATE (+=) into every gradient they are given, so
 * gradients of shared weights sum over recurrences and sequences. */
#ifndef TITAN_TRAIN_OPS_H
#define TITAN_TRAIN_OPS_H

#include "titan.h"
#include "tools/train/real_exp.h"
#include "tools/train/train_real.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

static inline void real_zero(real *p, size_t n) { memset(p, 0, sizeof(real) * n); }

/* On an element-wise loop's function: GCC vectorizes it (not done at -O2)
 * for the widest of AVX-512, AVX2 and the baseline this CPU has, chosen at
 * load time. Each element takes the same operations in every clone (ISO C
 * mode contracts no a * b + c into an FMA), so the bits do not depend on
 * the clone; loops that sum across elements stay in order, unvectorized. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define TRAIN_VECTORIZE                                                                  \
    __attribute__((target_clones("avx512f", "avx2", "default"),                          \
                   optimize("tree-vectorize")))
#else
#define TRAIN_VECTORIZE
#endif

/* p[i] = exp(p[i] - mx), mx >= every p[i] (a softmax's numerators). */
TRAIN_VECTORIZE static inline void real_exp_shifted(real *p, size_t n, real mx) {
    for (size_t i = 0; i < n; i++) p[i] = real_exp(p[i] - mx);
}
/* exp of -|x| only (real_exp's domain, no overflow), one division and a
 * select: vectorized loops blend instead of branching on the sign. */
static inline real real_sigmoid(real x) {
    real e = real_exp(-(real)fabs((double)x)), num = x < 0 ? e : 1;
    return num / (1 + e);
}

/* op_matmul.c: y[T, O] = x[T, I] W[O, I]^T. */
void TR(matmul_forward)(real *y, const real *x, const real *W, int T, int I, int O);
/* y[T, O] += x W^T. */
void TR(matmul_acc_forward)(real *y, const real *x, const real *W, int T, int I, int O);
/* dx[T, I] += dy W (dx may be NULL); dW[O, I] += dy^T x. */
void TR(matmul_backward)(real *dx, real *dW, const real *dy, const real *x, const real *W,
                         int T, int I, int O);
/* Its two halves: dx[T, I] += dy[T, O] W[O, I]; dW[O, I] += dy^T x[T, I]. */
void TR(matmul_acc_dx)(real *dx, const real *dy, const real *W, int T, int I, int O);
void TR(matmul_acc_dw)(real *dW, const real *dy, const real *x, int T, int I, int O);

/* op_lora.c: a weight X [O, I] with an optional rank-r adapter (SPEC section
 * 9): y = x X^T + s (x A^T) B^T, A [r, I], B [O, r]. A == NULL (or r == 0)
 * means no adapter. xs [T, r] keeps s x A^T for the backward. */
void TR(lora_forward)(real *y, real *xs, const real *x, const real *X, const real *A,
                      const real *B, int T, int I, int O, int r, real s);
/* dx [T, I] += dy (X + s B A) (dx may be NULL); dX += dy^T x, dA, dB their
 * gradients (each may be NULL: a frozen tensor); dxs [T, r] is scratch. */
void TR(lora_backward)(real *dx, real *dX, real *dA, real *dB, real *dxs, const real *dy,
                       const real *x, const real *xs, const real *X, const real *A,
                       const real *B, int T, int I, int O, int r, real s);

/* op_rmsnorm.c: y[T, C] = x / sqrt(mean(x^2) + eps) * g; rstd[T] kept. */
void TR(rmsnorm_forward)(real *y, real *rstd, const real *x, const real *g, int T, int C,
                         double eps);
void TR(rmsnorm_backward)(real *dx, real *dg, const real *dy, const real *x,
                          const real *g, const real *rstd, int T, int C);
/* RMSNorm0 (no gain, SPEC section 8) over rows of C values. */
void TR(rmsnorm0_forward)(real *y, real *rstd, const real *x, int rows, int C,
                          double eps);
void TR(rmsnorm0_backward)(real *dx, const real *dy, const real *x, const real *rstd,
                           int rows, int C);

/* op_rope.c: rotate, in place, nvec half-split vectors of width Dr per row t
 * (vector j at v + t * row_stride + j * vec_stride) by the angles of position
 * t: cos_t/sin_t are [T, Dr/2]. Backward rotates the gradient back. */
void TR(rope_forward)(real *v, int T, size_t row_stride, int nvec, size_t vec_stride,
                      int Dr, const real *cos_t, const real *sin_t);
void TR(rope_backward)(real *dv, int T, size_t row_stride, int nvec, size_t vec_stride,
                       int Dr, const real *cos_t, const real *sin_t);

/* op_conv_swiglu.c: causal depthwise conv along time, w[C, K]:
 * y_t[c] = sum_j w[c, j] x_{t-(K-1)+j}[c] (x before t = 0 is zero). */
void TR(conv_forward)(real *y, const real *x, const real *w, int T, int C, int K);
void TR(conv_backward)(real *dx, real *dw, const real *dy, const real *x, const real *w,
                       int T, int C, int K);
/* m[n] = SiLU(a[n]) * b[n] over n values. The backward WRITES da and db. */
void TR(swiglu_forward)(real *m, const real *a, const real *b, size_t n);
void TR(swiglu_backward)(real *da, real *db, const real *dm, const real *a, const real *b,
                         size_t n);

/* op_mlp.c: m[n] = phi(a[n])^2, phi(a) = a for a >= 0, slope * a otherwise
 * (relu2: slope 0; leaky_relu2: leaky_slope). The backward WRITES da. */
void TR(sqact_forward)(real *m, const real *a, size_t n, double slope);
void TR(sqact_backward)(real *da, const real *dm, const real *a, size_t n, double slope);

/* op_embed_head.c: h[t] = emb[ids[t]] (rows of width D). */
void TR(embed_forward)(real *h, const real *emb, const int *ids, int T, int D);
void TR(embed_backward)(real *demb, const real *dh, const int *ids, int T, int D);
/* Bigram hash rows (SPEC section 8): rows[t] = table[idx_t], idx_0 = N-1,
 * idx_t = ((36313 x_t) XOR (27191 x_{t-1})) mod (N-1); table [N, d]. */
void TR(bigram_forward)(real *rows, const real *table, const int *ids, int T, int N,
                        int d);
void TR(bigram_backward)(real *dtable, const real *drows, const int *ids, int T, int N,
                         int d);
/* SmearGate: out_t = (1-s) e_t + s e_{t-1}, s = sigmoid(gate), e_{-1} = 0.
 * The backward WRITES de and adds into dgate. */
void TR(smear_forward)(real *out, const real *e, const real *gate, int T, int D);
void TR(smear_backward)(real *de, real *dgate, const real *dout, const real *e,
                        const real *gate, int T, int D);
/* One head on n rows: logits[n, V] = softcap(z[n, D] W[V, D]^T). Returns the
 * summed CE against targets[n] (natural log, double); row_nll[n] (may be
 * NULL) gets each row's. With dz != NULL it also turns logits into
 * dL/dlogits * weight and accumulates dz[n, D], dW[V, D]. */
double TR(head_ce)(real *logits, const real *z, const real *W, const int *targets, int n,
                   int D, int V, double softcap, double weight, real *dz, real *dW,
                   double *row_nll);

/* op_residual.c: the residual stream's per-channel ops (SPEC section 8).
 * out[T, D] = base + s (.) y, s [D]; the backward WRITES dy = s (.) dout and
 * adds sum_t dout (.) y into ds. */
void TR(scale_add_forward)(real *out, const real *base, const real *s, const real *y,
                           int T, int D);
void TR(scale_add_backward)(real *dy, real *ds, const real *dout, const real *y,
                            const real *s, int T, int D);
/* resid_mix: out = mix[0] (.) h + mix[1] (.) x0, mix [2, D]. The backward
 * turns dh (in: d out) into d h in place and adds into dx0 and dmix. */
void TR(mix_forward)(real *out, const real *h, const real *x0, const real *mix, int T,
                     int D);
void TR(mix_backward)(real *dh, real *dx0, real *dmix, const real *h, const real *x0,
                      const real *mix, int T, int D);
/* Skip j into h (SPEC section 8): a = w (.) src; out = h + a, or with gate
 * (skip_gates row, NULL: additive) out = a + sigmoid(gate) (.) (h - a). The
 * backward turns dh (in: d out) into d h in place, WRITES dsrc and adds into
 * dw (and dgate). */
void TR(skip_forward)(real *out, const real *h, const real *src, const real *w,
                      const real *gate, int T, int D);
void TR(skip_backward)(real *dh, real *dsrc, real *dw, real *dgate, const real *h,
                       const real *src, const real *w, const real *gate, int T, int D);

/* op_attention.c: grouped causal softmax attention (SPEC sections 1 and 8).
 * Where the per-head vectors live: query head h of row t at
 * q + t * q_row + h * q_step (Dq values); group g's key is two runs, the
 * first k_len values at k + t * k_row + g * k_step and the other Dq - k_len at
 * k2 + t * k2_row + g * k2_step (MLA's shared rotary key: k2_step 0); its
 * value (Dv) at v + t * v_row + g * v_step. A gradient view has the same
 * strides. */
typedef struct {
    real *q, *k, *k2, *v;
    size_t q_row, q_step, k_row, k_step, k2_row, k2_step, v_row, v_step;
} TR(attn_view);

typedef struct {
    int T, H, G, Dq, Dv, k_len;
    double scale;           /* s_tj = (q_t . k_j) * scale, j <= t */
    const real *k_sink;     /* [G, Dq] attn_sink "key", else NULL */
    const real *sink_logit; /* [G] attn_sink "logit", else NULL */
} TR(attn_shape);

/* o [T, H*Dv]; probs [H, T, T] (zero above the diagonal); psink [H, T] the
 * sink's weight (with a sink). Head h uses group h / (H/G). Each head runs
 * as matrix products on gathered copies; scratch holds
 * attention_scratch_size(T, Dq, Dv) values. */
size_t TR(attention_scratch_size)(int T, int Dq, int Dv);
void TR(attention_forward)(real *o, real *probs, real *psink, const TR(attn_shape) * s,
                           const TR(attn_view) * x, real *scratch);
/* Accumulates into the gradient view d and into dk_sink [G, Dq] or
 * dsink_logit [G] (with their sink). */
void TR(attention_backward)(const TR(attn_view) * d, real *dk_sink, real *dsink_logit,
                            const real *dout, const real *probs, const real *psink,
                            const TR(attn_shape) * s, const TR(attn_view) * x,
                            real *scratch);
/* XSA: out_i(t) = o_i(t) - (o_i(t) . n) n, n = v_g(t) / max(|v_g(t)|, 1e-12),
 * o and out [T, H*Dv], v as in the view. The backward WRITES do_ and adds
 * into dv (the view's strides). */
void TR(xsa_forward)(real *out, const real *o, const TR(attn_shape) * s,
                     const TR(attn_view) * x);
void TR(xsa_backward)(real *do_, const TR(attn_view) * d, const real *dout, const real *o,
                      const TR(attn_shape) * s, const TR(attn_view) * x);

#endif
