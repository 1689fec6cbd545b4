/* eval_weights.h: float weights for `titan eval --safetensors W --config CFG`
 * (tensors named as SPEC section 1, as `titan export` writes them), converted
 * to float32 runtime tensors in the process arena. */
#ifndef TITAN_TOOLS_EVAL_WEIGHTS_H
#define TITAN_TOOLS_EVAL_WEIGHTS_H

#include "titan.h"

typedef struct {
    titan_config config;
    int n;
    titan_tensor t[TITAN_MAX_TENSORS]; /* titan_config_tensors order */
    size_t tensor_bytes;               /* arena bytes of their float32 data */
    size_t load_bytes; /* arena bytes needed while loading, freed after */
} eval_weights;

/* Read and validate the config and the safetensors header size; fills
 * w->config, w->tensor_bytes and w->load_bytes. */
titan_status eval_weights_plan(const char *st_path, const char *cfg_path,
                               eval_weights *w);

/* Carve the float32 tensors (w->tensor_bytes), then read, check and convert
 * the file above them and give that space back. Every tensor the config
 * names must be present with its exact shape (TITAN_E_DATA otherwise). */
titan_status eval_weights_load(titan_arena *a, const char *st_path,
                               eval_weights *w);

#endif
