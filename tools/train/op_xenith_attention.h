/* op_xenith_attention.h: SPEC section 9's attention for the trainer
 * (tools/train/op_xenith_attention.c), compiled for float and double
 * (train_real.h). Query t reads the token keys j in A(t) = {j <= t and
 * (j < Ng or w = 0 or t - j < w)} (rotated q against rotated k) and,
 * optionally, n_mem memory keys (unrotated q against unrotated memory keys),
 * all in one softmax per head. Only the keys a query can see get a
 * probability slot, so a window costs T (Ng + w), not T^2.
 *
 * Rows [t0, t1) of the queries are processed (a segment); keys are read at
 * positions 0..t1-1. Shapes: q, qm [T, H*Dh]; k, v [T, G*Dh]; mk, mv
 * [n_mem, G*Dh]; o [T, H*Dh]; probs [T][H][P], token keys first (globals in
 * order, then the window), memory keys at offset P - n_mem. */
#ifndef TITAN_TRAIN_OP_XENITH_ATTENTION_H
#define TITAN_TRAIN_OP_XENITH_ATTENTION_H

#include "tools/train/train_real.h"

#include <stddef.h>

typedef struct {
    int H, G, Dh;
    int window;   /* w, 0 = unbounded */
    int n_global; /* Ng */
    int n_mem;    /* memory rows (0: none) */
    int P;        /* probability slots per query: xattn_slots() */
} TR(xattn_shape);

/* The inputs (and, as a gradient view, their gradients; any may be NULL in
 * a gradient view when not wanted). */
typedef struct {
    real *q, *k, *v;    /* rotated q and k, v */
    real *qm, *mk, *mv; /* unrotated q, memory keys and values (n_mem > 0) */
} TR(xattn_view);

/* Slots per query for a sequence of T: token keys (T when w = 0, else
 * min(T, Ng + w)) plus n_mem. */
int TR(xattn_slots)(int T, int Ng, int w, int n_mem);

/* o rows [t0, t1) and their probabilities. */
void TR(xattn_forward)(real *o, real *probs, const TR(xattn_shape) * s,
                       const TR(xattn_view) * x, int t0, int t1);

/* Accumulates into d from dout rows [t0, t1) (keys of every position
 * 0..t1-1 receive their share). */
void TR(xattn_backward)(const TR(xattn_view) * d, const real *dout, const real *probs,
                        const TR(xattn_shape) * s, const TR(xattn_view) * x, int t0,
                        int t1);

#endif
