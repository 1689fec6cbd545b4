/* xenith.h: building blocks of the Xenith runtime (SPEC section 9): MoE
 * routing (core/moe_router.c) and the windowed cache's geometry
 * (core/attention_window.c). The forward pass that uses them is not built
 * yet; titan_model_* refuse xenith configs. */
#ifndef TITAN_CORE_XENITH_H
#define TITAN_CORE_XENITH_H

#include "titan.h"

#include <stdbool.h>
#include <stdint.h>

/* The k experts of router logits z[0..E) (1 <= k <= E): idx[0..k) by z
 * descending, equal z by ascending index (NaN ranks last), and their gates:
 * exp(z_e) / sum over the k chosen (renormalize), else softmax(z)_e over all
 * E; computed in double. */
void titan_moe_route(const float *z, int E, int k, bool renormalize, int32_t *idx,
                     float *gate);

/* Layer cache geometry: positions 0..Ng-1 keep slots 0..Ng-1, and a later
 * position j a ring of w slots after them (slot Ng + (j - Ng) mod w); w = 0
 * is unbounded (slot j). */
int64_t titan_window_slot(int64_t j, int64_t Ng, int64_t w);

/* Slots a layer needs for a stream of ctx positions: min(ctx, Ng + w), ctx
 * when w = 0 (SPEC section 9's attn_entries per layer). */
int64_t titan_window_slots(int64_t ctx, int64_t Ng, int64_t w);

/* The query at t reads the key at j: j <= t and (j < Ng or w = 0 or
 * t - j < w). */
bool titan_window_reads(int64_t t, int64_t j, int64_t Ng, int64_t w);

#endif
