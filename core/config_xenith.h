/* config_xenith.h: SPEC section 9's config rules: the defaults that follow
 * other fields, the refusals, and which weights carry LoRA adapters. */
#ifndef TITAN_CORE_CONFIG_XENITH_H
#define TITAN_CORE_CONFIG_XENITH_H

#include "core/config_fields.h"

#include <stdbool.h>

/* Set the defaults that follow other fields (moe_top_k, moe_hidden,
 * lora_alpha, lora_targets, sum_hidden, mem_read_layers) for each such field
 * that given[] (indexed by TITAN_FIELD_*) says config JSON left out or null.
 * lora_targets with lora_rank 0 is not looked at, so names outside the list
 * are replaced by the default there. */
void titan_config_xenith_fill(titan_config *c, const bool given[TITAN_CONFIG_N_FIELDS]);

/* The cross-field rules of section 9 (ranges are checked before). */
TITAN_NODISCARD titan_status titan_config_xenith_validate(const titan_config *c);

/* Weight kind `kind` (TITAN_LORA_*) carries adapters: lora_rank > 0 and
 * lora_targets names it. */
bool titan_config_lora_target(const titan_config *c, int kind);

/* Layer l reads the LTM (mem_read_layers; memory on). */
bool titan_config_xenith_reads(const titan_config *c, int l);

/* w_l: layer l's window, 0 = unbounded. */
int32_t titan_config_xenith_window(const titan_config *c, int l);

#endif
