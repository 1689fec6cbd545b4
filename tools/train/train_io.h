/* train_io.h: the trainer's file edges: config JSON, weights and gradients
 * as safetensors (SPEC tensor names, float32), token id files. Every input is
 * validated; failures return a titan_status with titan_last_error() set. */
#ifndef TITAN_TRAIN_IO_H
#define TITAN_TRAIN_IO_H

#include "titan.h"
#include "tools/train/train_model.h"

/* Read and validate a config JSON file (family titan only). */
TITAN_NODISCARD titan_status train_load_config(const char *path, titan_config *c);

/* The same, and family xenith (SPEC section 9) too. */
TITAN_NODISCARD titan_status train_load_config_xenith(const char *path, titan_config *c);

/* Fill p (allocated for the same config) from a safetensors file holding
 * exactly the config's tensors with their SPEC shapes (F32/F16/BF16). */
TITAN_NODISCARD titan_status train_load_safetensors(const char *path, train_params *p);

/* Write every tensor of p under its SPEC name as float32, preceded by a
 * one-element "loss" tensor when loss != NULL; atomically. */
TITAN_NODISCARD titan_status train_save_safetensors(const char *path,
                                                    const train_params *p,
                                                    const float *loss);

/* Read whitespace-separated token ids, each in [0, vocab); *ids is malloc'd
 * (caller frees), *n >= 1. */
TITAN_NODISCARD titan_status train_load_ids(const char *path, int32_t vocab, int **ids,
                                            int *n);

#endif
