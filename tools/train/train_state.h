/* train_state.h: what a training run carries from step to step (weights,
 * EMA/SWA averages, optimizer moments, data position, RNG) and the per-step
 * rules: WSD schedule, momentum warm-up, STE fake quantization, clipping,
 * optimizer groups by tensor role, weight averaging. */
#ifndef TITAN_TRAIN_STATE_H
#define TITAN_TRAIN_STATE_H

#include "platform/threads.h"
#include "tools/train/train_model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { TRAIN_QAT_OFF, TRAIN_QAT_INT8, TRAIN_QAT_INT6 } train_qat;

typedef struct {
    int64_t steps, batch, seq, accum, threads, seed;
    int64_t warmup;    /* steps of linear warm-up */
    double decay_frac; /* last fraction of steps decays to 0 */
    int cosine;        /* decay shape: 0 linear, 1 cosine */
    double lr;         /* multiplies every group's rate */
    double lr_matrix, lr_embed, lr_head, lr_scalar;
    double muon_wd, adam_wd, beta1, beta2, adam_eps;
    double momentum, momentum_start;
    int64_t momentum_warmup;
    double clip; /* global gradient norm bound, 0 = off */
    int sgd;     /* 1: SGD with momentum for every tensor, not Muon + AdamW */
    double sgd_momentum;
    train_qat qat;
    double qat_start;        /* switch on at this fraction of the steps ... */
    double qat_below;        /* ... or once the LR multiplier falls below this */
    const char *qat_tensors; /* comma-separated name globs, NULL: all */
    int qat_noise;           /* 1: uniform noise of one step, not rounding */
    double ema;              /* EMA decay, 0 = off */
    int64_t swa_every;       /* 0 = off */
    double swa_below;        /* SWA collects once the LR multiplier is below */
    int sequential;          /* windows in order instead of at random */
    int lora_only;           /* 1: the optimizer updates .lora_A / .lora_B only */
} train_hparams;

typedef struct {
    train_params w;        /* raw weights */
    train_params ema, swa; /* averages (mem NULL when off) */
    train_params m, v;     /* Muon momentum / Adam first moment; Adam second */
    train_params qat;      /* fake-quantized copy the forward uses */
    int64_t step;          /* steps done */
    int64_t swa_count;
    uint64_t rng;      /* window RNG (splitmix64 state) */
    uint64_t data_pos; /* next sequential window start */
    int qat_on;
} train_state;

/* 0, or -1 when out of memory. Weights start as train_init_weights. */
int train_state_init(train_state *s, const titan_config *c, const train_hparams *h);
void train_state_free(train_state *s);

/* Initial weights: matrices N(0, 1/in), output projections (wo, w_down, gdn_o) and
 * MTP heads and .lora_B adapters 0, tok_emb N(0, 0.02^2), norms 1, conv kernels the identity
 * (last tap 1); SPEC section 8's gains, scales, gates and tables as the
 * parameter-golf records start them (the table section8_init in
 * train_state.c says which and why). Deterministic in seed. */
void train_init_weights(train_params *p, uint64_t seed);

/* WSD learning-rate multiplier of 0-based step. */
double train_lr_mult(const train_hparams *h, int64_t step);

/* The training loss of 0-based step uses the layer schedule's prefix S'
 * (SPEC section 8): while step / steps < recurrence_start_frac. */
bool train_schedule_shortened(const train_hparams *h, const titan_config *c,
                              int64_t step);

/* The storage type QAT rounds a tensor to: matrices at the QAT width,
 * embeddings and heads int8, the rest not at all (F32): the types `titan
 * pack --quant int8` (--qat int8) or `--quant mixed` (int6) gives them. */
titan_dtype train_qat_dtype(train_qat qat, titan_role role);

/* Whether QAT treats tensor name: h->qat_tensors lists fnmatch globs,
 * comma-separated ("blocks.*.wk,blocks.*.wo"); NULL takes every tensor. */
bool train_qat_selects(const train_hparams *h, const char *name);

/* The first glob of h->qat_tensors that names no tensor of p (copied into
 * glob[cap]), for a usage error; false when each names one. */
bool train_qat_unmatched(const train_hparams *h, const train_params *p, char *glob,
                         size_t cap);

/* The weights the forward of this step uses: switches QAT on when due and
 * returns &s->qat or &s->w. The copy rounds the selected tensors as `titan
 * pack` does by default (titan_quant_fake: per row, TITAN_QUANT_CLIP_STEPS
 * clips), or with qat_noise adds u * max|row| / qmax, u uniform in
 * [-1/2, 1/2) from a hash of (seed, step, tensor, element): the rounding's
 * error as noise, the same for any thread count. The gradient of the copy
 * updates w (straight-through). NULL when the weights are no longer finite.
 * Tensors spread over the pool (NULL: this thread). */
const train_params *train_forward_weights(train_state *s, const train_hparams *h,
                                          double lr_mult, titan_thread_pool *pool);

/* Clip (returns the norm before clipping), one optimizer step for every
 * tensor (Muon matrices spread over the pool, NULL: this thread), EMA/SWA
 * update, step++. scratch: train_state_scratch_floats(s, pool's threads). */
double train_apply(train_state *s, train_params *grads, const train_hparams *h,
                   double lr_mult, float *scratch, titan_thread_pool *pool);
size_t train_state_scratch_floats(const train_state *s, int threads);

#endif
