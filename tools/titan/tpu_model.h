/* tpu_model.h: `titan tpu -m ART`: one forward pass of a whole model on the
 * tpu backend, reported per weight tensor and in total. */
#ifndef TITAN_TOOLS_TPU_MODEL_H
#define TITAN_TOOLS_TPU_MODEL_H

#include "tools/cli/cli.h"

/* Load the artifact, run `tokens` tokens (BOS then pseudo-random ids, one
 * prefill call) and the head-1 logits of the last one on the emulator, print
 * the per-tensor table (or JSON). Returns the exit code. */
int tpu_model_run(const char *cmd, const char *path, int64_t tokens,
                  const titan_tpu_config *c, bool json);

#endif
