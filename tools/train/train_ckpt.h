/* train_ckpt.h: training checkpoints. A checkpoint is a safetensors file
 * (float32), so any safetensors reader opens it:
 *   NAME           raw weights under their SPEC names
 *   ema/NAME       EMA weights (when --ema), swa/NAME SWA weights (--swa-every)
 *   opt.m/NAME     Muon momentum (matrices) or Adam first moment
 *   opt.v/NAME     Adam second moment (non-matrix tensors only)
 * metadata (strings): format "titan-checkpoint-1", config (JSON, as
 * titan_config_to_json), tokenizer (hex of the TOK blob), export ("raw",
 * "ema" or "swa": the weights a packer should take by default: SWA when it
 * holds snapshots, else EMA when kept, else raw), step, rng, data_pos,
 * swa_count, qat_on (decimal). Written atomically (temp, fsync, rename). */
#ifndef TITAN_TRAIN_CKPT_H
#define TITAN_TRAIN_CKPT_H

#include "tools/train/train_state.h"

#include <stddef.h>
#include <stdint.h>

titan_status train_ckpt_save(const char *path, const train_state *s,
                             const titan_config *c, const uint8_t *tok_blob,
                             size_t tok_len);

/* Restore s (initialized for the same config and averaging options) from a
 * checkpoint; TITAN_E_DATA when it belongs to another config or lacks a part
 * this run keeps. */
titan_status train_ckpt_load(const char *path, train_state *s,
                             const titan_config *c);

#endif
