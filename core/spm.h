/* spm.h: SentencePiece encoding and decoding of plain text (model type BPE),
 * as libsentencepiece does it: core/spm_normalize.c normalizes,
 * core/spm_encode.c builds the tables and merges, core/tokenizer.c dispatches. */
#ifndef TITAN_CORE_SPM_H
#define TITAN_CORE_SPM_H

#include "titan.h"

enum {
    SPM_PAIR_BYTES = 1 << 17,       /* the filter of adjacent characters inside pieces */
    SPM_SEGMENT = 16384,            /* most normalized bytes merged at once */
    SPM_UNIT_MAX = SPM_SEGMENT / 4, /* most bytes one normalizer step may write */
    SPM_TRIE_RESULTS = 32,          /* Normalizer::kMaxTrieResultsSize */
};

/* The runtime tables of a SentencePiece tokenizer (in the arena). */
typedef struct spm_coder {
    const titan_spm *spm;
    const int32_t *index; /* [1 << index_bits] piece ids by text hash, -1 free */
    int index_bits;
    /* A bit per hash of two adjacent characters inside a normal, user-defined
     * or unused piece (collisions only add bits): no merge can cross a place
     * between two characters whose bit is clear. */
    const uint8_t *pairs;
    const uint32_t *surface_offset; /* [n_pieces + 1] decoded bytes of each piece */
    const uint8_t *surface;
    uint32_t unit_max;     /* most bytes one normalizer step writes */
    uint32_t ids_per_byte; /* most ids one input byte can give */
    bool has_unused;
} spm_coder;

/* The normalizer's state over one text (Normalizer::Normalize, streamed). */
typedef struct {
    const uint8_t *text;
    size_t len, at;
    bool started, prev_space;
} spm_norm_state;

/* Check the normalizer of a loaded model and measure *unit_max (most bytes a
 * step writes, escaping included) and *ratio (most bytes written per byte
 * read). TITAN_E_DATA for a malformed trie or replacement string. */
TITAN_NODISCARD titan_status spm_norm_measure(const titan_spm *spm, uint32_t *unit_max,
                                              uint32_t *ratio);

/* Normalize steps of s onto out[*n..cap) while a whole step fits (room for
 * unit_max bytes); *done once the text is used up (with the trailing
 * whitespace removed, which only out[0..*n) can hold). */
TITAN_NODISCARD titan_status spm_norm_fill(const spm_coder *c, spm_norm_state *s,
                                           uint8_t *out, size_t cap, size_t *n,
                                           bool *done);

/* Bytes of the UTF-8 character at s (1..4, cut to len): OneCharLen. */
static inline size_t spm_char_len(const uint8_t *s, size_t len) {
    size_t n = "\1\1\1\1\1\1\1\1\1\1\1\1\2\2\3\4"[s[0] >> 4];
    return n < len ? n : len;
}

/* Id of the piece written s[0..len), or -1. */
int32_t spm_lookup(const spm_coder *c, const uint8_t *s, size_t len);

/* Longest user-defined piece at s[0..len) (0 if none). */
size_t spm_user_match(const spm_coder *c, const uint8_t *s, size_t len);

TITAN_NODISCARD titan_status spm_coder_load(titan_arena *a, const titan_spm *spm,
                                            const spm_coder **out);
size_t spm_coder_plan(int32_t n_pieces, size_t piece_bytes);
size_t spm_encode_plan(void);
TITAN_NODISCARD titan_status spm_encode(const spm_coder *c, titan_arena *scratch,
                                        const uint8_t *text, size_t len, int32_t *ids,
                                        size_t cap, size_t *n);
TITAN_NODISCARD titan_status spm_decode(const spm_coder *c, const int32_t *ids, size_t n,
                                        uint8_t *out, size_t cap, size_t *len);
size_t spm_token(const spm_coder *c, int32_t id, const uint8_t **bytes);

#endif
