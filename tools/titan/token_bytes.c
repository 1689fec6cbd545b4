/* token_bytes.c: see token_bytes.h. */
#include "tools/titan/token_bytes.h"

/* The exact bytes of each token of tok (its SentencePiece model's rule, or
 * every token's own bytes). */
titan_status token_byte_table(titan_arena *ar, const titan_tokenizer *tok,
                              titan_byte_table *out) {
    if (titan_tokenizer_spm(tok)) {
        *out = titan_tokenizer_spm(tok)->bytes;
        return TITAN_OK;
    }
    int32_t n_tok = titan_tokenizer_size(tok);
    uint32_t *base;
    TITAN_TRY(titan_arena_alloc(ar, (size_t)n_tok * 4, TITAN_ALIGN, (void **)&base));
    for (int32_t i = 0; i < n_tok; i++) {
        const uint8_t *bytes;
        base[i] = (uint32_t)titan_tokenizer_token(tok, i, &bytes);
    }
    *out = (titan_byte_table){n_tok, base, NULL};
    return TITAN_OK;
}
