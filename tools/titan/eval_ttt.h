/* eval_ttt.h: score-first test-time training for `titan eval --ttt` (the
 * legal TTT of parameter-golf record 1.0785). The stream is cut into chunks
 * of targets; each chunk is scored with the usual sliding windows (the
 * windows whose first scored target lies in it), then the model trains on
 * that already-scored chunk, then the next chunk is scored. No target
 * influences the weights before it is scored; the first chunk is scored by
 * the untouched model.
 *
 * Training reuses the trainer's model (tools/train): float copies of every
 * weight (dequantized once), their gradients, momentum, activations and the
 * thread pool, all carved by ttt_create from one arena of ttt_plan bytes,
 * before the first chunk: no heap call per chunk. The scorer stays the
 * runtime's (titan_eval_model, malloc-free): a tensor table whose trainable
 * entries are float views of the trainer's weights is bound to it after each
 * chunk's training (titan_eval_model_rebind), so updated weights reach it
 * in place, with no allocation per chunk. */
#ifndef TITAN_TOOLS_EVAL_TTT_H
#define TITAN_TOOLS_EVAL_TTT_H

#include "titan.h"

#include <stdbool.h>

/* Defaults: record 1.0785's TTT settings. */
#define TTT_CHUNK_DEFAULT    65536
#define TTT_LR_DEFAULT       0.017
#define TTT_EPOCHS_DEFAULT   5
#define TTT_MOMENTUM_DEFAULT 0.9
#define TTT_CLIP_DEFAULT     1.0
#define TTT_BATCH_DEFAULT    32

typedef struct {
    int64_t chunk;   /* targets per chunk, >= ctx */
    double lr;       /* peak learning rate, cosine-decayed over the chunks */
    int epochs;      /* passes over each chunk */
    double momentum; /* SGD momentum */
    double clip;     /* global gradient-norm clip, 0 = off */
    int batch;       /* sequences of ctx + 1 tokens per optimizer step */
    bool all;        /* trainable set: every tensor, else the MLP matrices */
} ttt_options;

typedef struct ttt_state ttt_state;

/* What one chunk did, for progress lines. */
typedef struct {
    int64_t chunk, chunks;   /* 0-based index, count */
    int64_t done, total;     /* targets scored so far, in all */
    double chunk_bpb;        /* this chunk's val_bpb (before its training) */
    double score_s, train_s; /* seconds so far */
} ttt_progress;

typedef void (*ttt_progress_fn)(void *user, const ttt_progress *p);

/* Arena bytes ttt_create carves for these arguments (the options checked,
 * TITAN_E_USAGE with the reason): measured by the same carving, in a
 * measuring arena. */
TITAN_NODISCARD titan_status ttt_plan(const titan_config *c, int ctx, int threads,
                                      const ttt_options *o, size_t *bytes);

/* Check the options and that the trainer can train this model, then carve
 * all training state from arena a (ttt_plan bytes free in it) for sequences
 * of ctx + 1 tokens on `threads` threads: the trainer's float weights (from
 * tensors[0..n), dequantized), gradients, momentum, activations, the pool's
 * threads (started). */
TITAN_NODISCARD titan_status ttt_create(titan_arena *a, const titan_config *c,
                                        const titan_tensor *tensors, int n, int ctx,
                                        int threads, const ttt_options *o,
                                        ttt_state **out);

/* Stop the pool's threads (the memory goes with the arena). NULL is fine. */
void ttt_free(ttt_state *t);

/* Float parameters trained (for the report). */
int64_t ttt_trainable(const ttt_state *t);

/* Score seq[0..n_targets] chunk by chunk with em (bound to tensors when
 * called; rebound to the trained weights after the first chunk), training
 * after each chunk but the last. o->target_nll must be set (n_targets
 * doubles): it receives every target's NLL, and the total adds the window
 * sums in window order as titan_eval_run does, so weights that never change
 * give plain eval's result exactly. With o->hint (--tilt) o->tilt_target_nll
 * must be set too and the tilted totals are added the same way. Arena a
 * serves titan_eval_run. */
TITAN_NODISCARD titan_status ttt_run(ttt_state *t, titan_arena *a, titan_eval_model *em,
                                     const int32_t *seq, int64_t n_targets,
                                     const titan_byte_table *bytes,
                                     const titan_eval_options *o, ttt_progress_fn fn,
                                     void *user, titan_eval_result *out,
                                     double *train_seconds);

#endif
