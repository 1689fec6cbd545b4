/* train_data.h: token streams for training and validation: a text file
 * tokenized once (BOS + its tokens, cached beside it as FILE.tok, keyed by the
 * tokenizer's CRC and the text's size and CRC; little-endian, checked whole
 * before use, rebuilt when anything is off) or parameter-golf shards; and
 * the deterministic RNG that picks training windows. */
#ifndef TITAN_TRAIN_DATA_H
#define TITAN_TRAIN_DATA_H

#include "titan.h"

#include <stdint.h>

typedef struct {
    int *tok; /* [n] token ids (malloc'd) */
    size_t n;
    double bytes; /* bytes the targets tok[1..n) stand for */
} train_tokens;

/* Load a TOK file (tokenizer format of titan.h) into a fresh process arena;
 * *blob / *len: the file's bytes in that arena, *crc their CRC-32. */
TITAN_NODISCARD titan_status train_tokenizer_load(const char *path, titan_arena *a,
                                                  const titan_tokenizer **t,
                                                  const uint8_t **blob, size_t *len,
                                                  uint32_t *crc);

/* The same from a serialized tokenizer in memory (a checkpoint's), copied
 * into the fresh arena. */
TITAN_NODISCARD titan_status train_tokenizer_from_blob(const uint8_t *data, size_t size,
                                                       titan_arena *a,
                                                       const titan_tokenizer **t,
                                                       const uint8_t **blob, size_t *len,
                                                       uint32_t *crc);

/* BOS + encode(text file), from FILE.tok when that cache matches. */
TITAN_NODISCARD titan_status train_tokens_from_text(const char *path,
                                                    const titan_tokenizer *t,
                                                    uint32_t tok_crc, train_tokens *out);

/* Parameter-golf shards matching a glob, in name order, as one stream
 * (uint16 tokens; bytes left 0: shards carry no tokenizer here). Each is
 * validated by formats/shards.c; a bad one fails with its name. */
TITAN_NODISCARD titan_status train_tokens_from_shards(const char *glob,
                                                      train_tokens *out);

void train_tokens_free(train_tokens *d);

/* The byte table val_bpb counts with (SPEC section 3, text mode): each
 * token's exact byte length, from tok; tok NULL (shards, which carry no
 * tokenizer): every target 0 bytes, so only val_loss is known. *len: [V],
 * malloc'd, the table's base (caller frees). */
TITAN_NODISCARD titan_status train_byte_table(const titan_tokenizer *tok, int32_t V,
                                              uint32_t **len, titan_byte_table *t);

/* splitmix64: the whole RNG state is one integer (saved in checkpoints). */
uint64_t train_rng_next(uint64_t *state);

#endif
