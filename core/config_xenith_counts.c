/* config_xenith_counts.c: SPEC section 9's parameter and cache counts, by
 * formula (xenith-full has more tensors than a tensor list holds). */
#include "core/config_xenith.h"
#include "core/xenith.h"

#include <string.h>

/* Adapter parameters of one weight [out, in] of kind `kind`. */
static int64_t lora_of(const titan_config *c, int kind, int64_t in, int64_t out) {
    return titan_config_lora_target(c, kind) ? (int64_t)c->lora_rank * (in + out) : 0;
}

/* A SwiGLU of width F: its weights and its adapters. */
static int64_t swiglu_lora(const titan_config *c, int64_t F) {
    int64_t D = c->d_model;
    return lora_of(c, TITAN_LORA_W_GATE, D, F) + lora_of(c, TITAN_LORA_W_UP, D, F) +
           lora_of(c, TITAN_LORA_W_DOWN, F, D);
}

static void count_params(const titan_config *c, titan_xenith_counts *k) {
    int64_t V = c->vocab_size, D = c->d_model, H = c->n_heads, G = c->n_kv_heads;
    int64_t Dh = c->head_dim, L = c->n_layers, E = c->moe_experts;
    int64_t n_d = E > 0 ? c->moe_dense_layers : L, n_m = L - n_d, Fe = c->moe_hidden;
    k->embedding = V * D;
    k->lm_head = c->tie_embeddings ? 0 : V * D;
    k->attention = L * (2 * D * H * Dh + 2 * D * G * Dh + 2 * D);
    k->dense_ffn = n_d * 3 * D * c->mlp_hidden;
    k->expert = E > 0 ? 3 * D * Fe : 0;
    k->router = E * D;
    k->moe = n_m * (k->router + E * k->expert);
    k->main = k->embedding + k->lm_head + k->attention + k->dense_ffn + k->moe + D;
    int64_t Fs = c->sum_hidden;
    k->summarizer = c->stm_tokens > 0
                        ? (int64_t)c->mem_slots * D +
                              c->sum_layers * (3 * D + 4 * D * D + 3 * D * Fs) + D
                        : 0;
    k->base = k->main + k->summarizer;
    k->active_per_token = k->main - n_m * (E - c->moe_top_k) * k->expert;
}

static void count_lora(const titan_config *c, titan_xenith_counts *k) {
    int64_t V = c->vocab_size, D = c->d_model, HD = (int64_t)c->n_heads * c->head_dim;
    int64_t GD = (int64_t)c->n_kv_heads * c->head_dim, L = c->n_layers;
    int64_t E = c->moe_experts, n_d = E > 0 ? c->moe_dense_layers : L, n_m = L - n_d;
    k->lora_attention =
        L * (lora_of(c, TITAN_LORA_WQ, D, HD) + lora_of(c, TITAN_LORA_WK, D, GD) +
             lora_of(c, TITAN_LORA_WV, D, GD) + lora_of(c, TITAN_LORA_WO, HD, D));
    k->lora_dense = n_d * swiglu_lora(c, c->mlp_hidden);
    k->lora_routers = n_m * lora_of(c, TITAN_LORA_ROUTER, D, E);
    int64_t one_expert = E > 0 ? swiglu_lora(c, c->moe_hidden) : 0;
    k->lora_experts = n_m * E * one_expert;
    k->lora_summarizer = 0;
    if (c->stm_tokens > 0)
        k->lora_summarizer =
            c->sum_layers *
            (lora_of(c, TITAN_LORA_WQ, D, D) + lora_of(c, TITAN_LORA_WK, D, D) +
             lora_of(c, TITAN_LORA_WV, D, D) + lora_of(c, TITAN_LORA_WO, D, D) +
             swiglu_lora(c, c->sum_hidden));
    k->lora_lm_head = c->tie_embeddings ? 0 : lora_of(c, TITAN_LORA_LM_HEAD, D, V);
    k->lora = k->lora_attention + k->lora_dense + k->lora_routers + k->lora_experts +
              k->lora_summarizer + k->lora_lm_head;
    k->active_per_token_lora =
        k->lora - k->lora_summarizer - n_m * (E - c->moe_top_k) * one_expert;
}

static void count_cache(const titan_config *c, int64_t ctx, titan_xenith_counts *k) {
    int64_t kv = 2 * (int64_t)c->n_kv_heads * c->head_dim, readers = 0;
    k->attn_entries = 0;
    for (int l = 0; l < c->n_layers; l++) {
        k->attn_entries +=
            titan_window_slots(ctx, c->n_global_tokens, titan_config_xenith_window(c, l));
        readers += titan_config_xenith_reads(c, l);
    }
    k->attn_values = k->attn_entries * kv;
    bool memory = c->stm_tokens > 0;
    k->ltm_vectors = memory ? c->ltm_size : 0;
    k->ltm_kv_values = k->ltm_vectors * kv * readers;
    k->stm_values = memory ? (int64_t)c->stm_tokens * c->d_model : 0;
}

void titan_config_xenith_counts(const titan_config *c, int64_t ctx,
                                titan_xenith_counts *out) {
    memset(out, 0, sizeof *out);
    count_params(c, out);
    count_lora(c, out);
    out->total = out->base + out->lora;
    count_cache(c, ctx, out);
}
