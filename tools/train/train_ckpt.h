/* train_ckpt.h: training checkpoints (layout and validation in
 * formats/checkpoint.h): the run's state saved atomically (temp, fsync,
 * rename), restored on --resume, and exported for `titan pack`. */
#ifndef TITAN_TRAIN_CKPT_H
#define TITAN_TRAIN_CKPT_H

#include "formats/checkpoint.h"
#include "tools/train/train_state.h"

#include <stddef.h>
#include <stdint.h>

/* Save s with its config, tokenizer (tok_len 0: trained on shards) and the
 * run record (run: JSON, NULL for none). The export choice: SWA when it
 * holds snapshots, else EMA when kept, else raw. */
TITAN_NODISCARD titan_status train_ckpt_save(const char *path, const train_state *s,
                                             const titan_config *c,
                                             const uint8_t *tok_blob, size_t tok_len,
                                             const char *run);

/* A checkpoint read whole and validated: its config, tokenizer and run
 * record (ck.meta) for --resume, then its tensors for train_ckpt_restore. */
typedef struct {
    const char *path;
    titan_arena arena; /* holds the file */
    titan_ckpt ck;
} train_ckpt_file;

/* Open f->path (set by the caller); on failure nothing is held. */
TITAN_NODISCARD titan_status train_ckpt_open(const char *path, train_ckpt_file *f);
void train_ckpt_close(train_ckpt_file *f); /* after a successful open */

/* Restore s (initialized for the same config and averaging options) from it;
 * TITAN_E_USAGE when it belongs to another config, TITAN_E_DATA when its
 * EMA/SWA sets differ from the ones this run keeps. */
TITAN_NODISCARD titan_status train_ckpt_restore(const train_ckpt_file *f, train_state *s,
                                                const titan_config *c);

/* Weights of an open checkpoint (which: "raw", "ema", "swa", or NULL for
 * its own export choice) into p, allocated here for its config (the caller
 * frees it with train_params_free). */
TITAN_NODISCARD titan_status train_ckpt_weights(const train_ckpt_file *f,
                                                const char *which, train_params *p);

/* Write a checkpoint's weights (which: "raw", "ema", "swa", or NULL for its
 * own export choice) as float32 safetensors under the SPEC names, and when
 * asked its config JSON and its TOK tokenizer: the inputs of `titan pack
 * --safetensors W --config CFG --tokenizer TOK`. */
TITAN_NODISCARD titan_status train_ckpt_export(const char *ckpt, const char *which,
                                               const char *out, const char *config_out,
                                               const char *tok_out);

#endif
