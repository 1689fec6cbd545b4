/* op_xenith_summarize.h: SPEC section 9's Summarize(C) for the trainer
 * (tools/train/op_xenith_summarize.c): the Perceiver resampler that turns a
 * segment's S final hidden states C [S, D] into its M memory rows Y [M, D];
 * forward and backward, compiled for float and for double (train_real.h;
 * tools/train/train_model_double.c). Ls = sum_layers, Hs = sum_heads,
 * Ds = D / Hs, Fs = sum_hidden, M = mem_slots, r = lora_rank,
 * s = lora_alpha / r; the adapters (TR(lora_mat), op_moe.h) are those of
 * c->lora_targets, NULL where a matrix is not a target.
 *
 * Model integration, once per complete segment m (C = h of its rows after
 * layer L-1, before final_norm):
 *   params: TR(xsum_weights) with layers -> the caller's array of Ls
 *           TR(xsum_layer); TR(xsum_bind)(w, name, ptr, Ls) per "mem."
 *           tensor. The gradients: a second one.
 *   acts:   TR(xsum_acts_size)(S, c) values per segment; one
 *           TR(xsum_scratch_size)(S, c) shared by both passes;
 *   forward:  TR(xsum_forward)(Y, C, &w, acts, scratch, S, c);
 *   backward: TR(xsum_backward)(dC, &dw, dY, C, &w, acts, scratch, S, c),
 *           with dY = dL/dY gathered from every later reader of Y_m. */
#ifndef TITAN_TRAIN_OP_XENITH_SUMMARIZE_H
#define TITAN_TRAIN_OP_XENITH_SUMMARIZE_H

#include "titan.h"
#include "tools/train/op_moe.h"
#include "tools/train/train_real.h"

#include <stddef.h>

/* One summarizer layer mem.layers.{j} (weights, or their gradients). */
typedef struct {
    real *attn_norm, *kv_norm, *ffn_norm; /* [D] */
    TR(lora_mat)
    wq, wk, wv, wo;         /* [D, D]; head i = rows (wq/wk/wv) or
                                              cols (wo) i*Ds..(i+1)*Ds-1 */
    TR(swiglu_weights) ffn; /* w_gate, w_up [Fs, D], w_down [D, Fs] */
} TR(xsum_layer);

/* The summarizer's tensors (weights, or their gradients; a NULL gradient
 * field: frozen, none). */
typedef struct {
    real *slots;             /* mem.slots [M, D] */
    TR(xsum_layer) * layers; /* [Ls], the caller's array */
    real *final_norm;        /* mem.final_norm [D] */
} TR(xsum_weights);

/* Point the field of tensor `name` (the full name: "mem.slots",
 * "mem.layers.{j}.wq", "mem.layers.{j}.wq.lora_A", ..., "mem.final_norm";
 * j < Ls, the layers array already set) at ptr. Returns 1 when name is one
 * of them, else 0. */
int TR(xsum_bind)(TR(xsum_weights) * w, const char *name, real *ptr, int Ls);

/* Values one segment keeps from forward for backward, and the scratch of
 * either pass, for a segment of S rows. */
size_t TR(xsum_acts_size)(int S, const titan_config *c);
size_t TR(xsum_scratch_size)(int S, const titan_config *c);

/* Y [M, D] = Summarize(C), C [S, D] (S >= 1; the model's segments have
 * S = stm_tokens). */
void TR(xsum_forward)(real *Y, const real *C, const TR(xsum_weights) * w, real *acts,
                      real *scratch, int S, const titan_config *c);

/* With dY = dL/dY: dC [S, D] += dL/dC (may be NULL), every non-NULL tensor
 * of dw += its gradient (mem.slots included). C, w and acts as forward left
 * them. */
void TR(xsum_backward)(real *dC, const TR(xsum_weights) * dw, const real *dY,
                       const real *C, const TR(xsum_weights) * w, const real *acts,
                       real *scratch, int S, const titan_config *c);

#endif
