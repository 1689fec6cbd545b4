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

/* BESE's base layer (core/tokenizer_bese.c): ids 0..31 are literal symbols
 * (one byte each), 32..38 escape prefixes (no byte), 39 BOS. */
enum {
    BESE_LITERALS = 32,
    BESE_PREFIXES = 7, /* 7 * 32 = 224 = the bytes that are not literals */
    BESE_BOS = BESE_LITERALS + BESE_PREFIXES,
    BESE_BASE = BESE_BOS + 1,
};

typedef struct {
    uint8_t literal[BESE_LITERALS];                 /* byte of literal symbol i */
    uint8_t escaped[BESE_PREFIXES * BESE_LITERALS]; /* byte of prefix k, literal j */
    uint8_t spell[256][2];                          /* base symbols of each byte */
    uint8_t nspell[256]; /* 1 (a literal) or 2 (prefix, literal) */
    const int8_t *first; /* [n_tokens] its first symbol's literal index, or -1 */
    const int8_t *tail;  /* [n_tokens] prefix index it ends with, or -1 */
} tok_bese;

struct titan_tokenizer {
    int32_t n_tokens; /* first_merge + n_merges */
    int32_t n_merges;
    int32_t first_merge; /* id of merge 0: 257, or BESE_BASE */
    int32_t bos;
    const int32_t *left;    /* [n_merges] merge i joins left[i] and right[i] */
    const int32_t *right;   /* [n_merges] */
    const uint32_t *offset; /* [n_tokens + 1] token t is bytes[offset[t]..offset[t+1]) */
    const uint8_t *bytes;   /* concatenated token strings */
    const tok_pair_slot *pairs; /* [1 << pair_bits] open addressing, linear probe */
    int pair_bits;
    const spm_coder *spm; /* a SentencePiece model instead (the rest unused) */
    const tok_bese *bese; /* BESE: bytes are the state-free strings below */
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

/* BESE (core/tokenizer_bese.c): the alphabet from its literal bytes; the
 * chunk to encode (titan_tokenizer_chunk's, cut to TITAN_TOK_CHUNK_MAX
 * symbols); its file's parts. */
void tok_bese_alphabet(tok_bese *b, const uint8_t literal[BESE_LITERALS]);
size_t tok_bese_chunk(const tok_bese *b, const uint8_t *text, size_t len);
bool tok_bese_is(const uint8_t *data, size_t len);
size_t tok_bese_piece(const titan_tokenizer *t, uint32_t *state, int32_t id,
                      uint8_t *buf);
titan_status tok_bese_load(titan_arena *a, const uint8_t *data, size_t len,
                           const titan_tokenizer **out);

/* Shared by both merge-list kinds (core/tokenizer.c): the tables of t's
 * merges (t->n_merges, first_merge, bos set), read from data at 8 bytes each;
 * base ids below n_lit are one byte, the others none. *strings receives room
 * for the token strings, which the caller fills. t NULL: measuring. */
titan_status tok_merges_load(titan_arena *a, titan_tokenizer *t, int32_t n_lit,
                             const uint8_t *data, uint8_t **strings);

#endif
