/* xenith.h: the Xenith runtime (SPEC section 9): a model and its stream
 * state in one arena (core/xenith_model.c), MoE routing
 * (core/moe_router.c) and the windowed cache's geometry
 * (core/attention_window.c). titan_model_* refuse xenith configs. */
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

typedef struct titan_xenith titan_xenith;

/* Exact arena bytes of titan_xenith_create for a (valid, xenith) config;
 * ctx bounds only layers with an unbounded window (w = 0). */
TITAN_NODISCARD titan_status titan_xenith_plan(const titan_config *c, int64_t ctx,
                                               size_t *bytes);

/* The model over an artifact's tensors (checked by name and shape), with an
 * empty stream. */
TITAN_NODISCARD titan_status titan_xenith_create(titan_arena *a, const titan_config *c,
                                                 const titan_tensor *t, int n,
                                                 int64_t ctx, titan_backend *be,
                                                 titan_xenith **out);

/* Start a new stream (position 0, STM and LTM empty). */
void titan_xenith_reset(titan_xenith *x);

/* Tokens per forward call the arena is planned for (batched prefill): a
 * chunk's products run as matmuls of its rows and its MoE experts on the
 * rows routed to each. */
#define TITAN_XENITH_CHUNK 64

/* Feed the stream's next token; logits[V] (head 1, softcapped) of the next.
 * TITAN_E_USAGE for a token outside the vocabulary, or at a position past
 * the ctx a layer's cache was made for (a layer with w = 0 or Ng + w > ctx);
 * then the stream is unchanged. */
TITAN_NODISCARD titan_status titan_xenith_step(titan_xenith *x, int32_t id,
                                               float *logits);

/* Feed the next n tokens (1 <= n <= titan_xenith_chunk(x)); logits[n][V] of
 * each. They run in chunks inside segments; the logits equal n steps'
 * (within rounding: products over more rows sum in another order). */
TITAN_NODISCARD titan_status titan_xenith_forward(titan_xenith *x, const int32_t *ids,
                                                  int n, float *logits);

/* Feed the next n >= 1 tokens; logits[V] of the last one only. */
TITAN_NODISCARD titan_status titan_xenith_prefill(titan_xenith *x, const int32_t *ids,
                                                  int64_t n, float *logits);

/* Tokens per chunk: n in 1..TITAN_XENITH_CHUNK (1 = a token a step); the
 * current value. */
void titan_xenith_set_chunk(titan_xenith *x, int n);
int titan_xenith_chunk(const titan_xenith *x);

/* A xenith model as a titan_eval_scorer (core/eval_xenith.c): one model per
 * worker over the same tensors, be[w] worker w's backend (as
 * titan_eval_model). Each window is a new stream fed in chunks; ctx
 * (the longest window) sizes only the layers with w = 0 or Ng + w > ctx. */
typedef struct titan_eval_xenith titan_eval_xenith;

/* Exact-or-larger arena bytes of titan_eval_xenith_create. */
TITAN_NODISCARD titan_status titan_eval_xenith_plan(const titan_config *c, int64_t ctx,
                                                    int workers, size_t *bytes);

TITAN_NODISCARD titan_status titan_eval_xenith_create(
    titan_arena *a, const titan_config *c, const titan_tensor *tensors, int n,
    int64_t ctx, int workers, titan_backend *const *be, titan_eval_xenith **out);

TITAN_NODISCARD titan_status titan_eval_xenith_score(void *model, int worker,
                                                     const titan_eval_batch *b);

/* Every worker's chunk (titan_xenith_set_chunk). */
void titan_eval_xenith_set_chunk(titan_eval_xenith *ex, int n);

#endif
