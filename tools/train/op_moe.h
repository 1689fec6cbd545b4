/* op_moe.h: SPEC section 9's MoE layer for the trainer (tools/train/op_moe.c):
 * top-k routing (ties to the lower index), gates, experts run only on the
 * tokens routed to them, the per-layer load-balancing and z-loss terms;
 * forward and backward, compiled for float and for double (train_real.h;
 * tools/train/train_model_double.c). Also the SwiGLU with adapters on rows
 * that experts, the summarizer (op_xenith_summarize.h) and dense xenith
 * layers share. Shapes [rows, cols] row-major; D = d_model, E = moe_experts,
 * k = moe_top_k, Fe = moe_hidden, r = lora_rank, s = lora_alpha / r.
 *
 * Model integration, one MoE layer on the T rows u = RMSNorm(h; ffn_norm):
 *   params: TR(moe_weights) with experts -> the caller's array of E
 *           TR(swiglu_weights); TR(moe_bind)(w, leaf, ptr) per tensor (leaf =
 *           the name after "blocks.{l}."). The gradients: a second one.
 *   acts:   TR(moe_acts_size)(T, c) values per MoE layer; one
 *           TR(moe_scratch_size)(T, c) shared by all layers and both passes;
 *   stats:  TR(moe_stats) st with load, psum -> the caller's [E] arrays;
 *           TR(moe_stats_reset)(&st, E) at the start of every stream;
 *   forward:  TR(moe_forward)(y, &st, u, &w, acts, scratch, T, c), then
 *           h += y; the loss adds alpha * mean over MoE layers of st.l_bal and
 *           beta * mean of st.l_z. A stream run in segments makes one call
 *           per segment, each on its own acts, all into the same st;
 *   backward: TR(moe_backward)(du, &dw, dy, w_bal, w_z, &st, u, &w, acts,
 *           scratch, T, c) per call, with the stream's st, w_bal =
 *           dL/d(st.l_bal) (alpha / n_moe_layers times the sequence's weight
 *           in the batch) and w_z likewise with beta. */
#ifndef TITAN_TRAIN_OP_MOE_H
#define TITAN_TRAIN_OP_MOE_H

#include "titan.h"
#include "tools/train/train_real.h"

#include <stddef.h>
#include <stdint.h>

/* A matrix w [out, in] of SPEC section 9 with its adapter: lora_A [r, in],
 * lora_B [out, r], both NULL when w is not a target. As a gradient, any
 * field may be NULL: that tensor is frozen and gets none. */
typedef struct {
    real *w, *A, *B;
} TR(lora_mat);

/* Point m's field at ptr when leaf is name (w), "name.lora_A" (A) or
 * "name.lora_B" (B); returns 1 then, else 0. */
int TR(lora_mat_bind)(TR(lora_mat) * m, const char *name, const char *leaf, real *ptr);

/* TR(lora_forward) / TR(lora_backward) (train_ops.h) of m: y [n, O] = x m^T,
 * xs [n, r] kept; dx (may be NULL) and dm's non-NULL tensors +=, dxs [n, r]
 * scratch. */
void TR(lora_mat_forward)(real *y, real *xs, const real *x, const TR(lora_mat) * m, int n,
                          int I, int O, int r, real s);
void TR(lora_mat_backward)(real *dx, const TR(lora_mat) * dm, real *dxs, const real *dy,
                           const real *x, const real *xs, const TR(lora_mat) * m, int n,
                           int I, int O, int r, real s);

/* A SwiGLU of width F: w_gate, w_up [F, D], w_down [D, F]. */
typedef struct {
    TR(lora_mat) w_gate, w_up, w_down;
} TR(swiglu_weights);

/* One MoE layer's tensors (weights, or their gradients). */
typedef struct {
    TR(lora_mat) router;          /* [E, D] */
    TR(swiglu_weights) * experts; /* [E], the caller's array; width Fe */
} TR(moe_weights);

/* One layer's routing statistics over a stream (SPEC "Training loss": f and
 * P count all T rows), summed over the forward calls that ran its rows. */
typedef struct {
    double l_bal;  /* E * sum_e f_e P_e */
    double l_z;    /* (1/T) sum_t (logsumexp z_t)^2 */
    int T;         /* rows so far */
    double zsq;    /* sum_t (logsumexp z_t)^2 */
    int32_t *load; /* [E] rows routed to each expert: f_e = load[e] / (k T) */
    double *psum;  /* [E] sum_t softmax(z_t)_e */
} TR(moe_stats);

/* A new stream: no rows (load and psum zeroed). */
void TR(moe_stats_reset)(TR(moe_stats) * st, int E);

/* Point the field of `leaf` at ptr: "router", "router.lora_A", "router.lora_B",
 * "experts.{e}.w_gate", "experts.{e}.w_gate.lora_A", ... (e < E, the experts
 * array already set). Returns 1 when leaf is one of them, else 0. */
int TR(moe_bind)(TR(moe_weights) * w, const char *leaf, real *ptr, int E);
/* The same for a SwiGLU's "w_gate", "w_up", "w_down" and their ".lora_A",
 * ".lora_B". */
int TR(swiglu_bind)(TR(swiglu_weights) * w, const char *leaf, real *ptr);

/* SwiGLU with adapters on n rows x [n, D]: y [n, D] = w_down (SiLU(w_gate x)
 * (.) w_up x), each product with its adapter (s: lora_alpha / r; r = 0 or
 * A == NULL: none). a keeps TR(xswiglu_acts_size)(n, F, r) values for the
 * backward, linear in n: batches of n0, n1, ... rows may sit one after
 * another in one buffer (the second at a + TR(xswiglu_acts_size)(n0, F, r)). */
size_t TR(xswiglu_acts_size)(int n, int F, int r);
size_t TR(xswiglu_scratch_size)(int n, int D, int F, int r);
void TR(xswiglu_forward)(real *y, real *a, const real *x, const TR(swiglu_weights) * w,
                         int n, int D, int F, int r, real s);
/* dx [n, D] += dL/dx (dx may be NULL), every non-NULL tensor of dw +=. The
 * rows' dL/dy are gw[i] * dy[i] (gw NULL: 1); with dgw != NULL, dgw[i] =
 * dy[i] . y[i] (the gradient of a row weight gw[i] of y = SwiGLU(x)). */
void TR(xswiglu_backward)(real *dx, const TR(swiglu_weights) * dw, real *dgw,
                          const real *dy, const real *gw, const real *x,
                          const TR(swiglu_weights) * w, const real *a, real *scratch,
                          int n, int D, int F, int r, real s);

/* Values one MoE layer keeps from forward for backward (T rows; T k < 2^24:
 * row and expert indices are kept as exact values of `real`), and the
 * scratch of either pass (shared by all layers). */
size_t TR(moe_acts_size)(int T, const titan_config *c);
size_t TR(moe_scratch_size)(int T, const titan_config *c);

/* y [T, D] = the MoE layer on u [T, D] (c->moe_renormalize chooses the gates;
 * experts run as one batch each on their routed rows). st adds these rows
 * and gets l_bal and l_z over all its rows so far. */
void TR(moe_forward)(real *y, TR(moe_stats) * st, const real *u,
                     const TR(moe_weights) * w, real *acts, real *scratch, int T,
                     const titan_config *c);

/* With dy = dL/dy (may be all zero), w_bal = dL/dl_bal and w_z = dL/dl_z of
 * this layer over the stream st (after all its forward calls): du [T, D] +=
 * dL/du (may be NULL), and every non-NULL tensor of dw += its gradient
 * (top-k selection and the counts f held constant). u, w and acts as this
 * call's forward left them. */
void TR(moe_backward)(real *du, const TR(moe_weights) * dw, const real *dy, double w_bal,
                      double w_z, const TR(moe_stats) * st, const real *u,
                      const TR(moe_weights) * w, const real *acts, real *scratch, int T,
                      const titan_config *c);

#endif
