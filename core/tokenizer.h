/* tokenizer.h: the runtime tokenizer's tables (core/tokenizer.c builds them;
 * encoding and decoding read them). */
#ifndef TITAN_CORE_TOKENIZER_H
#define TITAN_CORE_TOKENIZER_H

#include "titan.h"

struct titan_tokenizer {
    int32_t n_tokens;      /* 257 + n_merges */
    int32_t n_merges;
    const int32_t *left;   /* [n_merges] merge i joins left[i] and right[i] */
    const int32_t *right;  /* [n_merges] */
    const uint32_t *offset; /* [n_tokens + 1] token t is bytes[offset[t]..offset[t+1]) */
    const uint8_t *bytes;   /* concatenated token strings */
};

#endif
