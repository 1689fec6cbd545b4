/* pack_input.h: what `titan pack` packs: weights, config and tokenizer
 * from a trainer checkpoint or from plain files. */
#ifndef TITAN_TOOLS_PACK_INPUT_H
#define TITAN_TOOLS_PACK_INPUT_H

#include "titan.h"

/* A trainer checkpoint (formats/checkpoint.h): its tensors, config,
 * tokenizer blob (tok_len 0 when trained on shards) and the name prefix of
 * the weights to pack ("", "ema/", "swa/"; `weights` overrides the file's
 * export choice when not NULL). Also the plain inputs, prefix "". */
typedef struct {
    titan_safetensors st;
    titan_config config;
    const uint8_t *tok;
    size_t tok_len;
    const char *prefix;
    const uint8_t *ngram; /* --ngram's table, or NULL */
    size_t ngram_len;
} pack_input;

TITAN_NODISCARD titan_status pack_input_from_ckpt(titan_arena *a, const char *path,
                                                  const char *weights, pack_input *out);

/* Tensor in->prefix + spec->name of the input as float32 in the arena, its
 * shape checked against spec. */
TITAN_NODISCARD titan_status pack_input_f32(titan_arena *a, const pack_input *in,
                                            const titan_tensor_spec *spec, float **f);

#endif
