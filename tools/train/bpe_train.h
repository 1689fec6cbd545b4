/* bpe_train.h: learning byte-level BPE merges from a text. */
#ifndef TITAN_TOOLS_BPE_TRAIN_H
#define TITAN_TOOLS_BPE_TRAIN_H

#include "core/tokenizer.h"

#include <stddef.h>
#include <stdint.h>

/* Called now and then with the work done so far: phase 0 counts chunks
 * (done/total in bytes), phase 1 merges (done/total in merges). */
typedef void (*bpe_progress_fn)(void *ctx, int phase, double done, double total);

/* Learn up to max_merges merges from text[0..len), pre-tokenized by
 * titan_tokenizer_chunk (merges never cross chunks). Each step merges the
 * adjacent pair with the highest count over the whole text; ties go to the
 * pair with the smaller left id, then the smaller right id, so the result is
 * deterministic. Stops early when no adjacent pair is left. Writes merge i to
 * left[i], right[i] and returns the number of merges, or -1 if memory ran out
 * (or the text has more than 2^31 - 1 distinct chunks).
 * progress may be NULL. */
int32_t bpe_train(const uint8_t *text, size_t len, int32_t max_merges, int32_t *left,
                  int32_t *right, bpe_progress_fn progress, void *ctx);

/* The same over BESE's base symbols (bese NULL: bytes, as bpe_train): each
 * chunk (tok_bese_chunk) is spelled, merge i becomes id 40 + i. */
int32_t bpe_train_over(const uint8_t *text, size_t len, const tok_bese *bese,
                       int32_t max_merges, int32_t *left, int32_t *right,
                       bpe_progress_fn progress, void *ctx);

/* BESE's 32 literal bytes for text: the most frequent bytes, ties to the
 * smaller byte value (bytes the text lacks count 0). */
void bese_pick_literals(const uint8_t *text, size_t len, uint8_t literal[32]);

#endif
