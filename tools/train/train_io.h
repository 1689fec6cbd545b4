/* train_io.h: the trainer's file edges: config JSON, weights and gradients
 * as safetensors (SPEC tensor names, float32), token id files. Every input is
 * validated; failures return a titan_status with titan_last_error() set. */
#ifndef TITAN_TRAIN_IO_H
#define TITAN_TRAIN_IO_H

#include "titan.h"
#include "tools/train/train_model.h"

/* Read and validate a config JSON file. */
titan_status train_load_config(const char *path, titan_config *c);

/* Fill p (allocated for the same config) from a safetensors file holding
 * exactly the config's tensors with their SPEC shapes (F32/F16/BF16). */
titan_status train_load_safetensors(const char *path, train_params *p);

/* Write every tensor of p under its SPEC name as float32, preceded by a
 * one-element "loss" tensor when loss != NULL; atomically. */
titan_status train_save_safetensors(const char *path, const train_params *p,
                                    const float *loss);

/* One set of tensors in a multi-set file (checkpoints): every tensor of p
 * under prefix + SPEC name, the 2-D block matrices left out when
 * skip_matrices (their Adam moments do not exist). */
typedef struct {
    const char *prefix;
    train_params *p;
    int skip_matrices;
} train_tensor_set;

/* Write sets[0..n) (float32) and metadata atomically. */
titan_status train_write_sets(const char *path, const train_tensor_set *sets,
                              int n, const float *loss,
                              const titan_st_meta *meta, int n_meta);

/* Read a safetensors file into a fresh process arena (the caller destroys
 * it) and fill sets[0..n); extra tensors in the file are refused. *st keeps
 * the metadata for the caller. */
titan_status train_read_sets(const char *path, titan_arena *a,
                             titan_safetensors *st,
                             const train_tensor_set *sets, int n);

/* Read whitespace-separated token ids, each in [0, vocab); *ids is malloc'd
 * (caller frees), *n >= 1. */
titan_status train_load_ids(const char *path, int32_t vocab, int **ids,
                            int *n);

#endif
