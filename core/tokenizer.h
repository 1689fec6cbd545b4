/* tokenizer.h: the runtime tokenizer's tables (core/tokenizer.c builds them;
 * encoding and decoding read them). */
#ifndef TITAN_CORE_TOKENIZER_H
#define TITAN_CORE_TOKENIZER_H

#include "titan.h"

#include "core/spm.h"

/* Merge-pair hash slot: key = left << 16 | right (ids < 65536). No real pair
 * has both ids 0xFFFF (merges only refer to ids < 65535), so that marks free. */
typedef struct {
    uint32_t key;
    int32_t rank; /* merge index; the lowest when a file repeats a pair */
} tok_pair_slot;

#define TOK_PAIR_FREE 0xFFFFFFFFu

struct titan_tokenizer {
    int32_t n_tokens; /* 257 + n_merges */
    int32_t n_merges;
    const int32_t *left;    /* [n_merges] merge i joins left[i] and right[i] */
    const int32_t *right;   /* [n_merges] */
    const uint32_t *offset; /* [n_tokens + 1] token t is bytes[offset[t]..offset[t+1]) */
    const uint8_t *bytes;   /* concatenated token strings */
    const tok_pair_slot *pairs; /* [1 << pair_bits] open addressing, linear probe */
    int pair_bits;
    const spm_coder *spm; /* a SentencePiece model instead (the rest unused) */
};

static inline uint32_t tok_pair_hash(uint32_t key, int bits) {
    return (key * 0x9E3779B1u) >> (32 - bits);
}

/* Rank of the merge joining (left, right), or -1 if there is none. */
static inline int32_t tok_pair_rank(const titan_tokenizer *t, int32_t left,
                                    int32_t right) {
    uint32_t key = (uint32_t)left << 16 | (uint32_t)right;
    uint32_t mask = (1u << t->pair_bits) - 1;
    for (uint32_t i = tok_pair_hash(key, t->pair_bits);; i = (i + 1) & mask) {
        if (t->pairs[i].key == key) return t->pairs[i].rank;
        if (t->pairs[i].key == TOK_PAIR_FREE) return -1;
    }
}

#endif
