/* train_ops.h: forward and backward of every op of SPEC section 1, one file
 * per op (op_*.c). Shapes are [rows, cols] row-major; T is the sequence length.
 * Backward functions ACCUMULATE (+=) into every gradient they are given, so
 * gradients of shared weights sum over recurrences and sequences. */
#ifndef TITAN_TRAIN_OPS_H
#define TITAN_TRAIN_OPS_H

#include "titan.h"
#include "tools/train/train_real.h"

#include <stddef.h>
#include <string.h>

static inline void real_zero(real *p, size_t n) { memset(p, 0, sizeof(real) * n); }

/* op_matmul.c: y[T, O] = x[T, I] W[O, I]^T. */
void TR(matmul_forward)(real *y, const real *x, const real *W, int T, int I, int O);
/* dx[T, I] += dy W (dx may be NULL); dW[O, I] += dy^T x. */
void TR(matmul_backward)(real *dx, real *dW, const real *dy, const real *x, const real *W,
                         int T, int I, int O);
/* Its two halves: dx[T, I] += dy[T, O] W[O, I]; dW[O, I] += dy^T x[T, I]. */
void TR(matmul_acc_dx)(real *dx, const real *dy, const real *W, int T, int I, int O);
void TR(matmul_acc_dw)(real *dW, const real *dy, const real *x, int T, int I, int O);

/* op_rmsnorm.c: y[T, C] = x / sqrt(mean(x^2) + eps) * g; rstd[T] kept. */
void TR(rmsnorm_forward)(real *y, real *rstd, const real *x, const real *g, int T, int C,
                         double eps);
void TR(rmsnorm_backward)(real *dx, real *dg, const real *dy, const real *x,
                          const real *g, const real *rstd, int T, int C);

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

/* op_embed_head.c: h[t] = emb[ids[t]] (rows of width D). */
void TR(embed_forward)(real *h, const real *emb, const int *ids, int T, int D);
void TR(embed_backward)(real *demb, const real *dh, const int *ids, int T, int D);
/* One head on n rows: logits[n, V] = softcap(z[n, D] W[V, D]^T). Returns the
 * summed CE against targets[n] (natural log, double); row_nll[n] (may be
 * NULL) gets each row's. With dz != NULL it also turns logits into
 * dL/dlogits * weight and accumulates dz[n, D], dW[V, D]. */
double TR(head_ce)(real *logits, const real *z, const real *W, const int *targets, int n,
                   int D, int V, double softcap, double weight, real *dz, real *dW,
                   double *row_nll);

/* op_mla.c: grouped causal softmax attention with the decoupled rotary key.
 * q [T, H*(Dh+Dr)] per head [nope | rope]; kv [T, G*(Dh+Dv)] per group
 * [key | value]; kr [T, Dr] shared by all heads; o [T, H*Dv]; probs [H, T, T]
 * (zero above the diagonal). s_tj = (qn . k_j + qr . kr_j) * scale, j <= t.
 * Each head runs as matrix products on gathered copies; scratch holds
 * attention_scratch_size(T, c) values. */
size_t TR(attention_scratch_size)(int T, const titan_config *c);
void TR(attention_forward)(real *o, real *probs, const real *q, const real *kv,
                           const real *kr, int T, const titan_config *c, double scale,
                           real *scratch);
/* dq, dkv, dkr accumulate. */
void TR(attention_backward)(real *dq, real *dkv, real *dkr, const real *dout,
                            const real *probs, const real *q, const real *kv,
                            const real *kr, int T, const titan_config *c, double scale,
                            real *scratch);

#endif
