/* config_xenith.c: SPEC section 9's config: the defaults that follow other
 * fields and the rules across fields. */
#include "core/config_xenith.h"

void titan_config_xenith_fill(titan_config *c, const bool given[TITAN_CONFIG_N_FIELDS]) {
    if (!given[TITAN_FIELD_moe_top_k])
        c->moe_top_k = c->moe_experts < 2 ? c->moe_experts : 2;
    if (!given[TITAN_FIELD_moe_hidden]) c->moe_hidden = c->mlp_hidden;
    if (!given[TITAN_FIELD_sum_hidden]) c->sum_hidden = c->mlp_hidden;
    if (!given[TITAN_FIELD_lora_alpha]) c->lora_alpha = c->lora_rank;
    bool unknown = false;
    for (int k = 0; k < c->lora_targets_len; k++) unknown |= c->lora_targets[k] < 0;
    if (!given[TITAN_FIELD_lora_targets] || (unknown && !c->lora_rank)) {
        c->lora_targets_len = 0;
        for (int k = 0; k < TITAN_LORA_LM_HEAD; k++)
            c->lora_targets[c->lora_targets_len++] = k;
        for (int k = TITAN_LORA_LM_HEAD; k < TITAN_MAX_LIST; k++) c->lora_targets[k] = 0;
    }
    if (!given[TITAN_FIELD_mem_read_layers]) {
        int L = c->n_layers < 0                ? 0
                : c->n_layers > TITAN_MAX_LIST ? TITAN_MAX_LIST
                                               : c->n_layers;
        for (int l = 0; l < L; l++) c->mem_read_layers[l] = l;
        c->mem_read_layers_len = L;
    }
}

bool titan_config_lora_target(const titan_config *c, int kind) {
    return c->lora_rank > 0 &&
           titan_config_lists(c->lora_targets, c->lora_targets_len, kind);
}

bool titan_config_xenith_reads(const titan_config *c, int l) {
    return c->stm_tokens > 0 &&
           titan_config_lists(c->mem_read_layers, c->mem_read_layers_len, l);
}

int32_t titan_config_xenith_window(const titan_config *c, int l) {
    int n = c->attn_windows_len;
    return n ? c->attn_windows[l % n] : 0;
}

/* mem_read_layers: distinct layers (their range is checked before). */
static titan_status check_read_layers(const titan_config *c) {
    for (int i = 0; i < c->mem_read_layers_len; i++)
        for (int j = 0; j < i; j++)
            if (c->mem_read_layers[i] == c->mem_read_layers[j])
                return titan_fail(TITAN_E_DATA,
                                  "config: mem_read_layers names layer %d twice",
                                  c->mem_read_layers[i]);
    return TITAN_OK;
}

/* lora_targets, with adapters on: known kinds, lm_head only with its own head. */
static titan_status check_lora(const titan_config *c) {
    if (c->lora_rank == 0) return TITAN_OK;
    const titan_config_field *f = &titan_config_fields[TITAN_FIELD_lora_targets];
    for (int k = 0; k < c->lora_targets_len; k++) {
        int v = c->lora_targets[k];
        if (v < 0 || v >= TITAN_LORA_KINDS)
            return titan_fail(TITAN_E_DATA,
                              "config: lora_targets entry %d is none of wq, wk, wv, wo, "
                              "w_gate, w_up, w_down, router, lm_head",
                              k);
        if (v == TITAN_LORA_LM_HEAD && c->tie_embeddings)
            return titan_fail(TITAN_E_DATA,
                              "config: lora_targets names %s but tie_embeddings is true "
                              "(the head is tok_emb, never a target)",
                              titan_config_field_name_of(f, v));
    }
    return TITAN_OK;
}

titan_status titan_config_xenith_validate(const titan_config *c) {
    if (c->n_heads % c->n_kv_heads)
        return titan_fail(TITAN_E_DATA,
                          "config: n_heads %d not a multiple of n_kv_heads %d",
                          c->n_heads, c->n_kv_heads);
    if (c->head_dim % 2)
        return titan_fail(TITAN_E_DATA, "config: head_dim %d is odd", c->head_dim);
    if (c->stm_tokens > 0 && c->d_model % c->sum_heads)
        return titan_fail(TITAN_E_DATA,
                          "config: d_model %d not a multiple of sum_heads %d", c->d_model,
                          c->sum_heads);
    TITAN_TRY(check_read_layers(c));
    return check_lora(c);
}
