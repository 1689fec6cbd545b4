/* embed_split.h: frequency-split quantization of the token-row tables
 * (titan pack --embed-split N --embed-counts FILE): the rows of the N most
 * frequent token ids stay int8, every other row takes int6's range
 * ([-32, 31], INT6_BYTE's rounding) in the same one-byte layout, so the
 * tensor is stored as INT8 and the codec removes the cold rows' slack. */
#ifndef TITAN_TOOLS_EMBED_SPLIT_H
#define TITAN_TOOLS_EMBED_SPLIT_H

#include "titan.h"

/* counts[vocab] = how often each id occurs in the files `pattern` (a glob;
 * name order) names: a parameter-golf .bin shard (told by its magic; SPEC
 * section 3) is read as it is, any other file is text tokenized with the
 * tokenizer blob tok, in pieces cut after a newline. TITAN_E_DATA for a
 * damaged shard, an id >= vocab or no tokens at all; TITAN_E_IO for a file
 * that cannot be read. */
TITAN_NODISCARD titan_status embed_split_counts(const char *pattern, const uint8_t *tok,
                                                size_t tok_len, int32_t vocab,
                                                uint64_t *counts);

/* row_qmax[vocab]: 127 (INT8) for the n ids with the most counts (ties: the
 * lower id first), 31 (INT6_BYTE) for the rest. Memory from the arena. */
TITAN_NODISCARD titan_status embed_split_ranges(titan_arena *a, const uint64_t *counts,
                                                int32_t vocab, int32_t n, int **row_qmax);

/* Whether the rows of tensor s are token ids of a vocab-sized vocabulary:
 * tok_emb (also the tied head 1), value_embed.table and the MTP heads. */
bool embed_split_applies(const titan_tensor_spec *s, int32_t vocab);

/* Store f[rows * cols] in t (shape, name and group size set; its dtype
 * becomes INT8): row r rounded as titan_quant_rtn_clip rounds INT8 when
 * row_qmax[r] is INT8's qmax, else as it rounds INT6_BYTE. */
TITAN_NODISCARD titan_status embed_split_quantize(titan_arena *a, const float *f,
                                                  const int *row_qmax, int clip_steps,
                                                  titan_tensor *t);

#endif
