/* config_tensors.c: the tensors a config has (SPEC sections 1 and 8), in the
 * canonical order of titan_config_tensors, and what follows from them. */
#include "core/config_fields.h"

#include <stdio.h>

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

int titan_config_tensors(const titan_config *c, titan_tensor_spec *out, int cap) {
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
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    int64_t total = 0;
    for (int i = 0; i < n && i < TITAN_MAX_TENSORS; i++)
        total += specs[i].rows * specs[i].cols;
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
