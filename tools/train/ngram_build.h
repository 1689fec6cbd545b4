/* ngram_build.h: the n-gram hint table of `titan eval --tilt` from a token
 * stream (titan-train ngram). The rule, in one place: for every context of
 * one token (b) and of two tokens (a, b) seen in the stream, the hint is the
 * token that followed it most often (ties: the smallest id), kept when it
 * followed at least min_count times and made at least min_share of the
 * context's continuations; a trigram entry whose hint equals its bigram
 * entry's is dropped (titan_ngram_hint falls back to the same hint). At eval
 * the trigram entry of the last two tokens is used when there is one, else
 * the bigram entry of the last token (titan_ngram_hint). */
#ifndef TITAN_TRAIN_NGRAM_BUILD_H
#define TITAN_TRAIN_NGRAM_BUILD_H

#include "titan.h"

typedef struct {
    int32_t vocab;     /* ids in the stream are below it */
    int32_t order;     /* 2: bigram entries only, 3: bigram and trigram */
    int64_t min_count; /* >= 1 */
    double min_share;  /* 0..1 */
} ngram_build_options;

typedef struct {
    uint8_t *table; /* serialized (titan.h layout), malloc'd */
    size_t len;
    int64_t n_bigram, n_trigram;
    int64_t bigram_contexts, trigram_contexts; /* distinct contexts seen */
} ngram_build_result;

/* Build from tok[0..n) (ids checked against vocab: TITAN_E_DATA). */
TITAN_NODISCARD titan_status ngram_build(const int *tok, size_t n,
                                         const ngram_build_options *o,
                                         ngram_build_result *out);

#endif
