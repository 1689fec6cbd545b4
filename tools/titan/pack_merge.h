/* pack_merge.h: `titan pack --merge-lora` (SPEC section 9, Merge): every
 * LoRA target X becomes X + s B A (s = lora_alpha / lora_rank), the adapters
 * are dropped and lora_rank becomes 0. */
#ifndef TITAN_TOOLS_PACK_MERGE_H
#define TITAN_TOOLS_PACK_MERGE_H

#include "tools/titan/pack_input.h"

/* The config the merged artifact carries: in's with lora_rank 0. */
titan_config pack_merge_config(const titan_config *in);

/* f[0..n): the merged config's tensors as float32 (data set). Adds s B A to
 * every target, reading its adapters from the input (shapes per in->config);
 * the sums are taken in double and rounded once. */
TITAN_NODISCARD titan_status pack_merge_lora(titan_arena *a, const pack_input *in,
                                             titan_tensor *f, int n);

#endif
