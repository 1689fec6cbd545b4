/* prequant.h: weights that arrive already quantized in a safetensors input,
 * as NAME.q (I8, [rows, cols]) and NAME.scale ([rows], one scale per row), the
 * form tools/golf/import_golf.py writes for a parameter-golf record's int6/int8
 * tensors. `titan pack` stores them as they are (same integers, same scales):
 * int6 when every integer fits [-32, 31], else int8, whatever --quant and
 * --tensor-quant say (those choose for the float tensors); only --method gptq
 * requantizes them, from q * scale. */
#ifndef TITAN_TOOLS_PREQUANT_H
#define TITAN_TOOLS_PREQUANT_H

#include "titan.h"

#include <stdbool.h>

typedef struct {
    const titan_st_tensor *q, *scale;
} prequant;

/* prefix+spec->name ".q" and ".scale" in st: *found false when neither is there;
 * TITAN_E_DATA when only one is, or their shapes or dtypes do not fit spec. */
TITAN_NODISCARD titan_status prequant_find(const titan_safetensors *st,
                                           const char *prefix,
                                           const titan_tensor_spec *spec, prequant *pq,
                                           bool *found);

/* How many spec tensors of specs[0..n) come quantized in st. */
TITAN_NODISCARD titan_status prequant_count(const titan_safetensors *st,
                                            const char *prefix,
                                            const titan_tensor_spec *specs, int n,
                                            int *count);

/* *f = q * scale row by row, float32 from the arena. */
TITAN_NODISCARD titan_status prequant_dequant(titan_arena *a, const prequant *pq,
                                              float **f);

/* t (shape and name set) becomes int6 or int8 (group_size 0) holding q and
 * the scales as they are. */
TITAN_NODISCARD titan_status prequant_store(titan_arena *a, const prequant *pq,
                                            titan_tensor *t);

#endif
