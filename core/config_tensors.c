/* config_tensors.c: the tensors a config has (SPEC sections 1, 8 and 9), in the
 * canonical order of titan_config_tensors, and what follows from them. */
#include "core/config_fields.h"
#include "core/config_xenith.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    titan_tensor_spec *out;
    int cap, n;
    int block; /* the block whose tensors are added, -1 outside blocks */
} spec_list;

/* Add one tensor; 1-D when cols == 0. Names inside a block get its prefix. */
static void add(spec_list *l, titan_role role, const char *name, int64_t rows,
                int64_t cols) {
    if (l->n < l->cap) {
        titan_tensor_spec *s = &l->out[l->n];
        if (l->block >= 0)
            snprintf(s->name, sizeof s->name, "blocks.%d.%s", l->block, name);
        else
            snprintf(s->name, sizeof s->name, "%s", name);
        s->ndim = cols ? 2 : 1;
        s->rows = rows;
        s->cols = cols ? cols : 1;
        s->role = role;
    }
    l->n++;
}

static void add_mla(spec_list *l, const titan_config *c) {
    int64_t D = c->d_model, H = c->n_heads, G = c->n_kv_heads;
    int64_t Dq = c->head_dim + c->rope_dim, Lq = c->q_latent, Lkv = c->kv_latent;
    if (Lq > 0) {
        add(l, TITAN_ROLE_MATRIX, "wq_a", Lq, D);
        add(l, TITAN_ROLE_NORM, "q_norm", Lq, 0);
        add(l, TITAN_ROLE_MATRIX, "wq_b", H * Dq, Lq);
    } else {
        add(l, TITAN_ROLE_MATRIX, "wq", H * Dq, D);
    }
    add(l, TITAN_ROLE_MATRIX, "wkv_a", Lkv + c->rope_dim, D);
    add(l, TITAN_ROLE_NORM, "kv_norm", Lkv, 0);
    add(l, TITAN_ROLE_MATRIX, "wkv_b", G * (c->head_dim + c->v_head_dim), Lkv);
    add(l, TITAN_ROLE_MATRIX, "wo", D, H * c->v_head_dim);
}

static void add_gqa(spec_list *l, const titan_config *c) {
    int64_t D = c->d_model, H = c->n_heads, G = c->n_kv_heads;
    add(l, TITAN_ROLE_MATRIX, "wq", H * c->head_dim, D);
    add(l, TITAN_ROLE_MATRIX, "wk", G * c->head_dim, D);
    add(l, TITAN_ROLE_MATRIX, "wv", G * c->v_head_dim, D);
    add(l, TITAN_ROLE_MATRIX, "wo", D, H * c->v_head_dim);
}

static void add_attention(spec_list *l, const titan_config *c, int b) {
    bool gqa = c->attention == TITAN_ATTENTION_GQA;
    int64_t G = c->n_kv_heads, Dq = c->head_dim + (gqa ? 0 : c->rope_dim);
    if (gqa)
        add_gqa(l, c);
    else
        add_mla(l, c);
    if (c->q_gain) add(l, TITAN_ROLE_NORM, "q_gain", c->n_heads, 0);
    if (c->attn_sink == TITAN_SINK_KEY) add(l, TITAN_ROLE_NORM, "k_sink", G, Dq);
    if (c->attn_sink == TITAN_SINK_LOGIT) add(l, TITAN_ROLE_NORM, "sink_logit", G, 0);
    if (c->value_embed &&
        titan_config_lists(c->value_embed_layers, c->value_embed_layers_len, b))
        add(l, TITAN_ROLE_NORM, "ve_scale", 1, 0);
}

static void add_gdn(spec_list *l, const titan_config *c) {
    titan_gdn_dims g = titan_config_gdn(c);
    int64_t D = c->d_model, Hv = g.v_heads, Dw = g.v_head_dim;
    int64_t C = 2 * (int64_t)g.heads * g.head_dim + Hv * Dw;
    add(l, TITAN_ROLE_MATRIX, "gdn_qkv", C, D);
    if (c->gdn_conv_kernel > 0)
        add(l, TITAN_ROLE_CONV, "gdn_conv", C, c->gdn_conv_kernel);
    add(l, TITAN_ROLE_MATRIX, "gdn_ba", 2 * Hv, D);
    add(l, TITAN_ROLE_NORM, "gdn_A_log", Hv, 0);
    add(l, TITAN_ROLE_NORM, "gdn_dt_bias", Hv, 0);
    add(l, TITAN_ROLE_MATRIX, "gdn_z", Hv * Dw, D);
    if (c->gdn_out_norm) add(l, TITAN_ROLE_NORM, "gdn_o_norm", Dw, 0);
    add(l, TITAN_ROLE_MATRIX, "gdn_o", D, Hv * Dw);
}

static void add_mlp(spec_list *l, const titan_config *c) {
    int64_t D = c->d_model, F = c->mlp_hidden;
    bool swiglu = c->mlp_act == TITAN_MLP_SWIGLU;
    if (swiglu) add(l, TITAN_ROLE_MATRIX, "w_gate", F, D);
    add(l, TITAN_ROLE_MATRIX, "w_up", F, D);
    add(l, TITAN_ROLE_MATRIX, "w_down", D, F);
    if (swiglu && c->conv_kernel > 0) add(l, TITAN_ROLE_CONV, "conv", F, c->conv_kernel);
}

static void add_block(spec_list *l, const titan_config *c, int b) {
    int64_t D = c->d_model;
    l->block = b;
    add(l, TITAN_ROLE_NORM, "attn_norm", D, 0);
    if (titan_config_is_gdn(c, b))
        add_gdn(l, c);
    else
        add_attention(l, c, b);
    add(l, TITAN_ROLE_NORM, "ffn_norm", D, 0);
    add_mlp(l, c);
    if (c->resid_mix) add(l, TITAN_ROLE_NORM, "resid_mix", 2, D);
    if (c->branch_scale) {
        add(l, TITAN_ROLE_NORM, "attn_scale", D, 0);
        add(l, TITAN_ROLE_NORM, "mlp_scale", D, 0);
    }
    l->block = -1;
}

/* An embedding table of width d, projected to `width` unless d == width. */
static void add_table(spec_list *l, const char *table, const char *proj,
                      const char *scale, int64_t rows, int64_t d, int64_t width) {
    add(l, TITAN_ROLE_EMBED, table, rows, d);
    if (d != width) add(l, TITAN_ROLE_MATRIX, proj, width, d);
    add(l, TITAN_ROLE_NORM, scale, 1, 0);
}

static void add_globals(spec_list *l, const titan_config *c) {
    int64_t D = c->d_model, P = titan_config_skip_rows(c);
    add(l, TITAN_ROLE_NORM, "final_norm", D, 0);
    if (c->bigram_hash)
        add_table(l, "bigram.table", "bigram.proj", "bigram.scale",
                  c->bigram_hash_buckets, c->bigram_hash_dim, D);
    if (c->value_embed)
        add_table(l, "value_embed.table", "value_embed.proj", "value_embed.scale",
                  c->vocab_size, c->value_embed_dim,
                  (int64_t)c->n_kv_heads * c->v_head_dim);
    if (c->smear_gate) add(l, TITAN_ROLE_NORM, "smear_gate", D, 0);
    if (P > 0) {
        add(l, TITAN_ROLE_NORM, "skip_weights", P, D);
        if (c->skip_gates) add(l, TITAN_ROLE_NORM, "skip_gates", P, D);
    }
}

/* SPEC section 9: weight `name` [rows, cols] of kind `kind` (TITAN_LORA_*),
 * followed by its adapters when it is a target. */
static void add_target(spec_list *l, const titan_config *c, int kind, const char *name,
                       int64_t rows, int64_t cols) {
    add(l, kind == TITAN_LORA_LM_HEAD ? TITAN_ROLE_HEAD : TITAN_ROLE_MATRIX, name, rows,
        cols);
    if (!titan_config_lora_target(c, kind)) return;
    char a[TITAN_NAME_MAX], b[TITAN_NAME_MAX];
    snprintf(a, sizeof a, "%s.lora_A", name);
    snprintf(b, sizeof b, "%s.lora_B", name);
    add(l, TITAN_ROLE_MATRIX, a, c->lora_rank, cols);
    add(l, TITAN_ROLE_MATRIX, b, rows, c->lora_rank);
}

/* A SwiGLU of width F whose names start with `prefix` ("", "experts.3.",
 * "mem.layers.0."). */
static void add_swiglu(spec_list *l, const titan_config *c, const char *prefix,
                       int64_t F) {
    char name[TITAN_NAME_MAX];
    int64_t D = c->d_model;
    snprintf(name, sizeof name, "%sw_gate", prefix);
    add_target(l, c, TITAN_LORA_W_GATE, name, F, D);
    snprintf(name, sizeof name, "%sw_up", prefix);
    add_target(l, c, TITAN_LORA_W_UP, name, F, D);
    snprintf(name, sizeof name, "%sw_down", prefix);
    add_target(l, c, TITAN_LORA_W_DOWN, name, D, F);
}

/* Layer l of a xenith model: GQA with section 8's names, then a dense or an
 * MoE SwiGLU. */
static void add_xenith_layer(spec_list *l, const titan_config *c, int layer) {
    int64_t D = c->d_model, H = c->n_heads, G = c->n_kv_heads, Dh = c->head_dim;
    l->block = layer;
    add(l, TITAN_ROLE_NORM, "attn_norm", D, 0);
    add_target(l, c, TITAN_LORA_WQ, "wq", H * Dh, D);
    add_target(l, c, TITAN_LORA_WK, "wk", G * Dh, D);
    add_target(l, c, TITAN_LORA_WV, "wv", G * Dh, D);
    add_target(l, c, TITAN_LORA_WO, "wo", D, H * Dh);
    add(l, TITAN_ROLE_NORM, "ffn_norm", D, 0);
    if (c->moe_experts == 0 || layer < c->moe_dense_layers) {
        add_swiglu(l, c, "", c->mlp_hidden);
    } else {
        add_target(l, c, TITAN_LORA_ROUTER, "router", c->moe_experts, D);
        for (int e = 0; e < c->moe_experts; e++) {
            char prefix[24];
            snprintf(prefix, sizeof prefix, "experts.%d.", e);
            add_swiglu(l, c, prefix, c->moe_hidden);
        }
    }
    l->block = -1;
}

/* The summarizer (S > 0): slots, Ls Perceiver layers, the final norm. */
static void add_xenith_memory(spec_list *l, const titan_config *c) {
    int64_t D = c->d_model;
    static const char *const attn[] = {"wq", "wk", "wv", "wo"};
    static const int kinds[] = {TITAN_LORA_WQ, TITAN_LORA_WK, TITAN_LORA_WV,
                                TITAN_LORA_WO};
    add(l, TITAN_ROLE_EMBED, "mem.slots", c->mem_slots, D);
    for (int j = 0; j < c->sum_layers; j++) {
        char p[24], name[TITAN_NAME_MAX];
        snprintf(p, sizeof p, "mem.layers.%d.", j);
        snprintf(name, sizeof name, "%sattn_norm", p);
        add(l, TITAN_ROLE_NORM, name, D, 0);
        snprintf(name, sizeof name, "%skv_norm", p);
        add(l, TITAN_ROLE_NORM, name, D, 0);
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "%s%s", p, attn[k]);
            add_target(l, c, kinds[k], name, D, D);
        }
        snprintf(name, sizeof name, "%sffn_norm", p);
        add(l, TITAN_ROLE_NORM, name, D, 0);
        add_swiglu(l, c, p, c->sum_hidden);
    }
    add(l, TITAN_ROLE_NORM, "mem.final_norm", D, 0);
}

static int xenith_tensors(const titan_config *c, titan_tensor_spec *out, int cap) {
    spec_list l = {out, out ? cap : 0, 0, -1};
    add(&l, TITAN_ROLE_EMBED, "tok_emb", c->vocab_size, c->d_model);
    for (int layer = 0; layer < c->n_layers; layer++) add_xenith_layer(&l, c, layer);
    add(&l, TITAN_ROLE_NORM, "final_norm", c->d_model, 0);
    if (!c->tie_embeddings)
        add_target(&l, c, TITAN_LORA_LM_HEAD, "lm_head", c->vocab_size, c->d_model);
    if (c->stm_tokens > 0) add_xenith_memory(&l, c);
    return l.n;
}

int titan_config_tensors(const titan_config *c, titan_tensor_spec *out, int cap) {
    if (TITAN_XENITH(c)) return xenith_tensors(c, out, cap);
    spec_list l = {out, out ? cap : 0, 0, -1};
    add(&l, TITAN_ROLE_EMBED, "tok_emb", c->vocab_size, c->d_model);
    for (int b = 0; b < c->n_unique_blocks; b++) add_block(&l, c, b);
    add_globals(&l, c);
    for (int k = 2; k <= c->mtp_heads; k++) {
        char name[24];
        snprintf(name, sizeof name, "mtp.%d.head", k);
        add(&l, TITAN_ROLE_HEAD, name, c->vocab_size, c->d_model);
    }
    return l.n;
}

int64_t titan_config_params(const titan_config *c) {
    if (TITAN_XENITH(c)) { /* more tensors than a list holds: by formula */
        titan_xenith_counts k;
        titan_config_xenith_counts(c, c->max_seq_len, &k);
        return k.total;
    }
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    int64_t total = 0;
    for (int i = 0; i < n && i < TITAN_MAX_TENSORS; i++)
        total += specs[i].rows * specs[i].cols;
    return total;
}

int titan_config_tensor_uses(const titan_config *c, const char *name) {
    int b;
    return sscanf(name, "blocks.%d.", &b) == 1 ? titan_config_block_uses(c, b) : 1;
}

int64_t titan_config_matmul_weights(const titan_config *c) {
    if (TITAN_XENITH(c)) return -1;
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    int64_t total = 0;
    for (int i = 0; i < n && i < TITAN_MAX_TENSORS; i++) {
        const titan_tensor_spec *t = &specs[i];
        bool tied_head = !strcmp(t->name, "tok_emb");
        if (t->role != TITAN_ROLE_MATRIX && t->role != TITAN_ROLE_HEAD && !tied_head)
            continue;
        total += t->rows * t->cols * titan_config_tensor_uses(c, t->name);
    }
    return total;
}

titan_status titan_config_matmul_bounds(const titan_config *c, int64_t *rows,
                                        int64_t *cols) {
    TITAN_TRY(titan_config_validate(c));
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    *rows = *cols = 1;
    for (int i = 0; i < n && i < TITAN_MAX_TENSORS; i++) {
        if (specs[i].ndim != 2) continue;
        if (specs[i].rows > *rows) *rows = specs[i].rows;
        if (specs[i].cols > *cols) *cols = specs[i].cols;
    }
    return TITAN_OK;
}
