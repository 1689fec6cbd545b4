/* lora_merge.h: SPEC section 9 "Merge", the one home of `titan pack
 * --merge-lora` and `titan export --merge-lora`: every LoRA target X becomes
 * X + s B A (s = lora_alpha / lora_rank), the adapters are dropped and
 * lora_rank becomes 0. */
#ifndef TITAN_TOOLS_LORA_MERGE_H
#define TITAN_TOOLS_LORA_MERGE_H

#include "titan.h"

#include <stdbool.h>

/* Whether `c` can be merged: only a xenith model has adapters (anything else
 * is TITAN_E_USAGE, naming `what`); *noop is set when lora_rank is 0 (the
 * model is already merged: merging leaves it as it is). */
TITAN_NODISCARD titan_status lora_merge_check(const titan_config *c, const char *what,
                                              bool *noop);

/* The config the merged model carries: in's with lora_rank 0. */
titan_config lora_merge_config(const titan_config *in);

/* Reads one adapter of the unmerged model as float32 (shape per spec), from
 * the arena or in place. */
typedef titan_status (*lora_merge_read)(void *user, titan_arena *a,
                                        const titan_tensor_spec *spec, const float **f);

/* f[0..n): float32 tensors (name, rows, cols and data set), the merged
 * config's or all of c's. Adds s B A to every target of c, reading its
 * adapters through `read`; the sums are taken in double and rounded once.
 * Arena memory taken by `read` is given back after each target. */
TITAN_NODISCARD titan_status lora_merge(titan_arena *a, const titan_config *c,
                                        titan_tensor *f, int n, lora_merge_read read,
                                        void *user);

#endif
