/* storage.h: each tensor's storage type in an artifact (the --quant
 * policy and overrides) and the conversion of float weights to it. */
#ifndef TITAN_TOOLS_STORAGE_H
#define TITAN_TOOLS_STORAGE_H

#include "titan.h"

/* Storage policy: --quant f32|f16|bf16 stores every tensor in that type;
 * int8|int6|int6b quantize tok_emb, block matrices and MTP heads and keep norms,
 * conv and xenith LoRA adapters (.lora_A, .lora_B) f32; mixed = int6 block
 * matrices, int8 tok_emb and heads, f16 norms, conv and adapters. Then each "GLOB=TYPE" of the comma-separated `overrides` (fnmatch on
 * the SPEC name, later entries win) applies; a glob matching no tensor or an
 * unknown type is TITAN_E_USAGE. */
TITAN_NODISCARD titan_status storage_choose_types(const char *quant,
                                                  const char *overrides,
                                                  const titan_tensor_spec *specs, int n,
                                                  titan_dtype *types);

/* Store f[rows*cols] (float32, may be overwritten) as t->dtype (set by the
 * caller along with the shape and name): float types converted, quantized
 * types by round-to-nearest with clip search (clip_steps) in groups of
 * t->group_size. Memory from the arena. */
TITAN_NODISCARD titan_status storage_quantize(titan_arena *a, float *f, int clip_steps,
                                              titan_tensor *t);

/* The bit-packed INT6 tensors of t[0..n) as INT6_BYTE, values unchanged;
 * other types untouched. The bytes come from the arena (t[i].data is
 * replaced, scales are kept). */
TITAN_NODISCARD titan_status storage_int6_as_bytes(titan_arena *a, titan_tensor *t,
                                                   int n);

#endif
