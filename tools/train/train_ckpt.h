/* train_ckpt.h: training checkpoints (layout and validation in
 * formats/checkpoint.h): the run's state saved atomically (temp, fsync,
 * rename), restored on --resume, and exported for `titan pack`. */
#ifndef TITAN_TRAIN_CKPT_H
#define TITAN_TRAIN_CKPT_H

#include "tools/train/train_state.h"

#include <stddef.h>
#include <stdint.h>

/* Save s with its config and tokenizer (tok_len 0: trained on shards). The
 * export choice: SWA when it holds snapshots, else EMA when kept, else raw. */
TITAN_NODISCARD titan_status train_ckpt_save(const char *path, const train_state *s,
                                             const titan_config *c,
                                             const uint8_t *tok_blob, size_t tok_len);

/* Restore s (initialized for the same config and averaging options) from a
 * checkpoint; TITAN_E_DATA when it belongs to another config or its EMA/SWA
 * sets differ from the ones this run keeps. */
TITAN_NODISCARD titan_status train_ckpt_load(const char *path, train_state *s,
                                             const titan_config *c);

/* Write a checkpoint's weights (which: "raw", "ema", "swa", or NULL for its
 * own export choice) as float32 safetensors under the SPEC names, and when
 * asked its config JSON and its TOK tokenizer: the inputs of `titan pack
 * --safetensors W --config CFG --tokenizer TOK`. */
TITAN_NODISCARD titan_status train_ckpt_export(const char *ckpt, const char *which,
                                               const char *out, const char *config_out,
                                               const char *tok_out);

#endif
