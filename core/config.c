/* config.c: presets, validation and the RoPE/YaRN constants of SPEC
 * section 1 (and the presets of sections 8 and 9). */
#include "core/config_fields.h"
#include "core/config_xenith.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Presets set the fields they choose; every other field keeps its default. */
static void zenyx_v2_base(titan_config *c) {
    c->vocab_size = 32768, c->d_model = 576, c->n_heads = 9, c->n_kv_heads = 3;
    c->head_dim = 64, c->v_head_dim = 64, c->rope_dim = 32, c->q_latent = 384;
    c->kv_latent = 128, c->mlp_hidden = 1536, c->conv_kernel = 3;
    c->n_unique_blocks = 8, c->n_recurrences = 4, c->max_seq_len = 8192;
    c->rope_base = 10000, c->yarn_factor = 32, c->yarn_orig_ctx = 256;
    c->yarn_beta_fast = 32, c->yarn_beta_slow = 1, c->mtp_heads = 3;
    c->mtp_weights[0] = 1.0, c->mtp_weights[1] = 0.3, c->mtp_weights[2] = 0.1;
    c->norm_eps = 1e-5;
}

static void zenyx_v2_pretrain(titan_config *c) {
    zenyx_v2_base(c);
    c->max_seq_len = 16384, c->yarn_orig_ctx = 512;
}

/* The project's own default: the best of six shapes trained for the same
 * wall-clock budget on this corpus (tools/data/model/EXPERIMENTS.md). */
static void nano(titan_config *c) {
    c->vocab_size = 1024, c->d_model = 128, c->n_heads = 2, c->n_kv_heads = 1;
    c->head_dim = 32, c->v_head_dim = 32, c->rope_dim = 16, c->q_latent = 64;
    c->kv_latent = 32, c->mlp_hidden = 384, c->conv_kernel = 3;
    c->n_unique_blocks = 2, c->n_recurrences = 2, c->max_seq_len = 256;
    c->rope_base = 10000, c->yarn_factor = 1, c->yarn_orig_ctx = 256;
    c->yarn_beta_fast = 32, c->yarn_beta_slow = 1, c->mtp_heads = 2;
    c->mtp_weights[0] = 1.0, c->mtp_weights[1] = 0.3;
    c->norm_eps = 1e-5;
}

/* Set list field `field` of c to the n values of `v`. */
#define SET_LIST(c, field, ...)                                                          \
    do {                                                                                 \
        const int32_t v_[] = {__VA_ARGS__};                                              \
        (c)->field##_len = (int32_t)(sizeof v_ / sizeof v_[0]);                          \
        memcpy((c)->field, v_, sizeof v_);                                               \
    } while (0)

/* The shape of parameter-golf record 1.1531 (SPEC section 8, "Presets"); the
 * record's own tokenizer had 288 tokens. */
static void golf_1_1531(titan_config *c) {
    c->vocab_size = 1024, c->d_model = 512, c->n_heads = 8, c->n_kv_heads = 4;
    c->head_dim = 64, c->v_head_dim = 64, c->rope_dim = 16, c->q_latent = 0;
    c->kv_latent = 0, c->mlp_hidden = 1536, c->conv_kernel = 0;
    c->n_unique_blocks = 11, c->n_recurrences = 1, c->max_seq_len = 2048;
    c->rope_base = 10000, c->yarn_factor = 1, c->yarn_orig_ctx = 2048;
    c->yarn_beta_fast = 32, c->yarn_beta_slow = 1, c->mtp_heads = 1;
    c->mtp_weights[0] = 1.0, c->norm_eps = 1e-5, c->logit_softcap = 30;
    SET_LIST(c, layer_schedule, 0, 1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5, 6, 7, 8, 9, 10);
    c->recurrence_start_frac = 0.35, c->attention = TITAN_ATTENTION_GQA;
    c->qk_norm = true, c->q_gain = true, c->mlp_act = TITAN_MLP_LEAKY_RELU2;
    c->leaky_slope = 0.5, c->parallel_residual_from = 7, c->ln_scale = true;
    SET_LIST(c, xsa_layers, 7, 8, 9, 10);
    c->bigram_hash = true, c->bigram_hash_buckets = 2048, c->bigram_hash_dim = 128;
    c->value_embed = true, c->value_embed_dim = 128;
    SET_LIST(c, value_embed_layers, 9, 10);
    c->smear_gate = true, c->emb_norm = true, c->resid_mix = true;
    c->branch_scale = true, c->unet_skips = TITAN_SKIPS_MIRROR_BLOCKS;
}

/* Record 1.0785: 1.1531 with Gated DeltaNet in blocks 0, 1 and 10. */
static void golf_1_0785(titan_config *c) {
    golf_1_1531(c);
    c->vocab_size = 8192, c->mlp_hidden = 2112, c->max_seq_len = 4096;
    c->yarn_orig_ctx = 4096, c->logit_softcap = 20;
    c->recurrence_start_frac = 0.4, c->parallel_residual_from = 8;
    SET_LIST(c, xsa_layers, 2, 3, 4, 5, 6, 7, 8, 9);
    c->bigram_hash = false, c->bigram_hash_buckets = 0, c->bigram_hash_dim = 0;
    c->value_embed = false, c->value_embed_dim = 0, c->value_embed_layers_len = 0;
    memset(c->value_embed_layers, 0, sizeof c->value_embed_layers); /* bytewise equal */
    c->smear_gate = false, c->attn_sink = TITAN_SINK_KEY;
    c->unet_skips = TITAN_SKIPS_MIRROR, c->skip_gates = true;
    SET_LIST(c, gdn_layers, 0, 1, 10);
    c->gdn_heads = 2, c->gdn_v_heads = 4, c->gdn_head_dim = 64;
    c->gdn_v_head_dim = 64, c->gdn_conv_kernel = 2;
    c->gdn_qk_act = TITAN_GDN_ACT_ELU1, c->gdn_out_norm = false;
}

/* The project's golf model: record 1.1531's options at nano's width, sized
 * like nano for two CPU cores (tools/data/golf/README.md). Four blocks, the
 * middle two looped once (six effective layers); the last two are the
 * record's tail (XSA, value embeddings, parallel residual). */
static void golf_cpu(titan_config *c) {
    c->vocab_size = 1024, c->d_model = 128, c->n_heads = 4, c->n_kv_heads = 2;
    c->head_dim = 32, c->v_head_dim = 32, c->rope_dim = 16, c->q_latent = 0;
    c->kv_latent = 0, c->mlp_hidden = 384, c->conv_kernel = 0;
    c->n_unique_blocks = 4, c->n_recurrences = 1, c->max_seq_len = 256;
    c->rope_base = 10000, c->yarn_factor = 1, c->yarn_orig_ctx = 256;
    c->yarn_beta_fast = 32, c->yarn_beta_slow = 1, c->mtp_heads = 1;
    c->mtp_weights[0] = 1.0, c->norm_eps = 1e-5, c->logit_softcap = 30;
    SET_LIST(c, layer_schedule, 0, 1, 2, 1, 2, 3);
    c->recurrence_start_frac = 0.35, c->attention = TITAN_ATTENTION_GQA;
    c->qk_norm = true, c->q_gain = true, c->mlp_act = TITAN_MLP_LEAKY_RELU2;
    c->leaky_slope = 0.5, c->parallel_residual_from = 2, c->ln_scale = true;
    SET_LIST(c, xsa_layers, 2, 3);
    c->bigram_hash = true, c->bigram_hash_buckets = 1024, c->bigram_hash_dim = 64;
    c->value_embed = true, c->value_embed_dim = 64;
    SET_LIST(c, value_embed_layers, 2, 3);
    c->smear_gate = true, c->emb_norm = true, c->resid_mix = true;
    c->branch_scale = true, c->unet_skips = TITAN_SKIPS_MIRROR_BLOCKS;
}

/* SPEC section 9's presets: family xenith with the defaults that follow
 * other fields filled in from the fields set here. */
static void xenith(titan_config *c) {
    bool given[TITAN_CONFIG_N_FIELDS] = {0};
    c->family = TITAN_FAMILY_XENITH;
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) /* no section-1-only defaults */
        if (!titan_config_field_in_family(&titan_config_fields[i], c->family))
            given[i] = true;
    titan_config_xenith_fill(c, given);
}

/* The table's last column: for planning only (titan init refuses it). */
static void xenith_full(titan_config *c) {
    c->vocab_size = 32000, c->d_model = 8192, c->n_heads = 64, c->n_kv_heads = 16;
    c->head_dim = 128, c->mlp_hidden = 24576, c->max_seq_len = 262144;
    c->rope_base = 1e6, c->n_layers = 64, c->tie_embeddings = false;
    SET_LIST(c, attn_windows, 512, 1024, 2048);
    c->n_global_tokens = 256, c->moe_experts = 32, c->moe_dense_layers = 8;
    c->moe_zloss_weight = 0.001, c->lora_rank = 128, c->stm_tokens = 16384;
    c->mem_slots = 2048, c->ltm_size = 32768, c->sum_layers = 4, c->sum_heads = 16;
    xenith(c);
    c->moe_top_k = 6, c->moe_hidden = 3072, c->lora_alpha = 128;
}

/* The seed's expert count, top-k, 1:2:4 windows, F = 3D and memory rate 8,
 * sized to train on two cores (SPEC section 9, "Presets"). */
static void xenith_mini_cpu(titan_config *c) {
    c->vocab_size = 1024, c->d_model = 256, c->n_heads = 8, c->n_kv_heads = 2;
    c->head_dim = 32, c->mlp_hidden = 768, c->max_seq_len = 4096;
    c->rope_base = 10000, c->n_layers = 8;
    SET_LIST(c, attn_windows, 64, 128, 256);
    c->n_global_tokens = 16, c->moe_experts = 32, c->moe_dense_layers = 2;
    c->moe_zloss_weight = 0.001, c->lora_rank = 8, c->stm_tokens = 256;
    c->mem_slots = 32, c->ltm_size = 64, c->sum_layers = 2, c->sum_heads = 4;
    xenith(c);
    c->moe_top_k = 6, c->moe_hidden = 128, c->lora_alpha = 8;
}

/* X(name, function): the presets `titan init --preset` knows. */
#define PRESETS(X)                                                                       \
    X("zenyx-v2-base", zenyx_v2_base)                                                    \
    X("zenyx-v2-pretrain", zenyx_v2_pretrain)                                            \
    X("nano", nano)                                                                      \
    X("golf-1.1531", golf_1_1531)                                                        \
    X("golf-1.0785", golf_1_0785)                                                        \
    X("golf-cpu", golf_cpu)                                                              \
    X("xenith-full", xenith_full)                                                        \
    X("xenith-mini-cpu", xenith_mini_cpu)

#define PRESET_NAME(name, set) name,
static const char *const preset_names[] = {PRESETS(PRESET_NAME) NULL};

const char *const *titan_config_preset_names(void) { return preset_names; }

titan_status titan_config_preset(const char *name, titan_config *c) {
    if (!name || !c) return titan_fail(TITAN_E_USAGE, "config: NULL argument");
    titan_config_defaults(c);
#define PRESET_SET(preset, set)                                                          \
    if (!strcmp(name, preset)) return set(c), TITAN_OK;
    PRESETS(PRESET_SET)
#define PRESET_LIST(name, set) " " name
    return titan_fail(TITAN_E_USAGE,
                      "unknown preset '%s' (known:" PRESETS(PRESET_LIST) ")", name);
}

/* Every block named by the schedule; the list fields name attention blocks
 * where SPEC section 8 says so. */
static titan_status check_blocks(const titan_config *c) {
    for (int b = 0; b < c->n_unique_blocks; b++) {
        if (c->layer_schedule_len &&
            !titan_config_lists(c->layer_schedule, c->layer_schedule_len, b))
            return titan_fail(TITAN_E_DATA, "config: layer_schedule never names block %d",
                              b);
        if (!titan_config_is_gdn(c, b)) continue;
        if (titan_config_lists(c->xsa_layers, c->xsa_layers_len, b))
            return titan_fail(TITAN_E_DATA,
                              "config: xsa_layers names block %d, "
                              "a GDN block, not attention",
                              b);
        if (c->value_embed &&
            titan_config_lists(c->value_embed_layers, c->value_embed_layers_len, b))
            return titan_fail(TITAN_E_DATA,
                              "config: value_embed.layers names block "
                              "%d, a GDN block, not attention",
                              b);
    }
    return TITAN_OK;
}

/* Skips need pairs; mirror_blocks' sources come before their destinations. */
static titan_status check_skips(const titan_config *c) {
    if (c->unet_skips == TITAN_SKIPS_NONE) return TITAN_OK;
    if (titan_config_skip_rows(c) == 0)
        return titan_fail(TITAN_E_DATA,
                          "config: unet_skips %s has no pairs on %d "
                          "layers",
                          c->unet_skips == TITAN_SKIPS_MIRROR ? "mirror"
                                                              : "mirror_blocks",
                          titan_config_schedule(c, false, NULL, 0));
    int32_t S[TITAN_MAX_LAYERS], src[TITAN_MAX_LAYERS], dst[TITAN_MAX_LAYERS];
    int n = titan_config_schedule(c, false, S, TITAN_MAX_LAYERS);
    int pairs = titan_config_skips(c, S, n, src, dst, TITAN_MAX_LAYERS);
    for (int j = 0; j < pairs; j++)
        if (!(src[j] < dst[j]))
            return titan_fail(TITAN_E_DATA,
                              "config: unet_skips mirror_blocks: skip %d's "
                              "source (layer %d) does not come before its "
                              "destination (layer %d)",
                              j, src[j], dst[j]);
    return TITAN_OK;
}

static titan_status check_shapes(const titan_config *c) {
    if (c->n_heads % c->n_kv_heads)
        return titan_fail(TITAN_E_DATA,
                          "config: n_heads %d not a multiple of n_kv_heads %d",
                          c->n_heads, c->n_kv_heads);
    if (c->rope_dim % 2)
        return titan_fail(TITAN_E_DATA, "config: rope_dim %d is odd", c->rope_dim);
    if (c->attention == TITAN_ATTENTION_GQA && c->rope_dim > c->head_dim)
        return titan_fail(TITAN_E_DATA,
                          "config: rope_dim %d exceeds head_dim %d "
                          "(attention gqa rotates inside the head)",
                          c->rope_dim, c->head_dim);
    titan_gdn_dims g = titan_config_gdn(c);
    if (g.v_heads % g.heads)
        return titan_fail(TITAN_E_DATA,
                          "config: gdn_v_heads %d not a multiple of "
                          "gdn_heads %d",
                          g.v_heads, g.heads);
    if (titan_config_schedule(c, false, NULL, 0) > TITAN_MAX_LAYERS)
        return titan_fail(TITAN_E_DATA, "config: more than %d effective layers",
                          TITAN_MAX_LAYERS);
    return TITAN_OK;
}

/* A field outside the config's family keeps its default: a config struct has
 * one form (config JSON refuses such keys by name). */
static titan_status check_family(const titan_config *c) {
    titan_config dflt;
    titan_config_defaults(&dflt);
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        if (!titan_config_field_in_family(f, c->family) &&
            !titan_config_field_equal(c, &dflt, f))
            return titan_fail(TITAN_E_DATA, "config: %s is not a field of family %s",
                              f->name, TITAN_XENITH(c) ? "xenith" : "titan");
    }
    return TITAN_OK;
}

titan_status titan_config_validate(const titan_config *c) {
    if (!c) return titan_fail(TITAN_E_USAGE, "config: NULL");
    TITAN_TRY(titan_config_check_ranges(c));
    TITAN_TRY(check_family(c));
    if (TITAN_XENITH(c)) return titan_config_xenith_validate(c);
    TITAN_TRY(check_shapes(c));
    TITAN_TRY(check_blocks(c));
    TITAN_TRY(check_skips(c));
    /* Bound the total so that every size derived from it fits comfortably. */
    if (titan_config_params(c) > ((int64_t)1 << 36))
        return titan_fail(TITAN_E_DATA, "config: more than 2^36 parameters");
    return TITAN_OK;
}

/* SPEC: fcd(n) = Dr ln(orig / (2 pi n)) / (2 ln base). */
static double yarn_correction_dim(const titan_config *c, double n) {
    return c->rope_dim * log(c->yarn_orig_ctx / (2 * M_PI * n)) / (2 * log(c->rope_base));
}

titan_status titan_config_rope(const titan_config *c, double *freq, int cap,
                               double *mscale) {
    int half = c->rope_dim / 2;
    if (!freq || !mscale || cap < half)
        return titan_fail(TITAN_E_USAGE,
                          "config: rope needs room for %d "
                          "frequencies, not %d",
                          half, cap);
    double s = c->yarn_factor;
    double lo = 0, hi = 1;
    if (s > 1) {
        lo = fmax(floor(yarn_correction_dim(c, c->yarn_beta_fast)), 0);
        hi = fmin(ceil(yarn_correction_dim(c, c->yarn_beta_slow)), c->rope_dim - 1);
        if (lo == hi) hi += 0.001;
    }
    for (int i = 0; i < half; i++) {
        double w = pow(c->rope_base, -2.0 * i / c->rope_dim);
        if (s > 1) {
            double ramp = fmin(fmax((i - lo) / (hi - lo), 0), 1);
            w = w / s * ramp + w * (1 - ramp);
        }
        freq[i] = w;
    }
    *mscale = s > 1 ? 0.1 * log(s) + 1 : 1;
    return TITAN_OK;
}
