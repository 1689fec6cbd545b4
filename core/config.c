/* config.c: presets, validation, the canonical tensor list and RoPE/YaRN
 * constants of SPEC section 1. */
#include "core/config_fields.h"

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

/* X(name, function): the presets `titan init --preset` knows. */
#define PRESETS(X)                                                             \
    X("zenyx-v2-base", zenyx_v2_base)                                          \
    X("zenyx-v2-pretrain", zenyx_v2_pretrain)                                  \
    X("nano", nano)

#define PRESET_NAME(name, set) name,
static const char *const preset_names[] = {PRESETS(PRESET_NAME) NULL};

const char *const *titan_config_preset_names(void) { return preset_names; }

titan_status titan_config_preset(const char *name, titan_config *c) {
    if (!name || !c) return titan_fail(TITAN_E_USAGE, "config: NULL argument");
    titan_config_defaults(c);
#define PRESET_SET(preset, set)                                                \
    if (!strcmp(name, preset)) return set(c), TITAN_OK;
    PRESETS(PRESET_SET)
#define PRESET_LIST(name, set) " " name
    return titan_fail(TITAN_E_USAGE, "unknown preset '%s' (known:" PRESETS(PRESET_LIST) ")",
                      name);
}

titan_status titan_config_validate(const titan_config *c) {
    if (!c) return titan_fail(TITAN_E_USAGE, "config: NULL");
    TITAN_TRY(titan_config_check_ranges(c));
    if (c->n_heads % c->n_kv_heads)
        return titan_fail(TITAN_E_DATA,
                          "config: n_heads %d not a multiple of n_kv_heads %d",
                          c->n_heads, c->n_kv_heads);
    if (c->rope_dim % 2)
        return titan_fail(TITAN_E_DATA, "config: rope_dim %d is odd",
                          c->rope_dim);
    /* Bound the total so that every size derived from it fits comfortably. */
    if (titan_config_params(c) > ((int64_t)1 << 36))
        return titan_fail(TITAN_E_DATA, "config: more than 2^36 parameters");
    return TITAN_OK;
}

typedef struct {
    titan_tensor_spec *out;
    int cap, n;
} spec_list;

static void add_spec(spec_list *l, titan_role role, int64_t rows,
                     int64_t cols, int ndim, const char *fmt, int index) {
    if (l->n < l->cap) {
        titan_tensor_spec *s = &l->out[l->n];
        snprintf(s->name, sizeof s->name, fmt, index);
        s->ndim = ndim;
        s->rows = rows;
        s->cols = cols;
        s->role = role;
    }
    l->n++;
}

static void add_block_specs(spec_list *l, const titan_config *c, int b) {
    int64_t D = c->d_model, H = c->n_heads, G = c->n_kv_heads;
    int64_t qk = c->head_dim + c->rope_dim, F = c->mlp_hidden;
    add_spec(l, TITAN_ROLE_NORM, D, 1, 1, "blocks.%d.attn_norm", b);
    if (c->q_latent > 0) {
        add_spec(l, TITAN_ROLE_MATRIX, c->q_latent, D, 2, "blocks.%d.wq_a", b);
        add_spec(l, TITAN_ROLE_NORM, c->q_latent, 1, 1, "blocks.%d.q_norm", b);
        add_spec(l, TITAN_ROLE_MATRIX, H * qk, c->q_latent, 2,
                 "blocks.%d.wq_b", b);
    } else {
        add_spec(l, TITAN_ROLE_MATRIX, H * qk, D, 2, "blocks.%d.wq", b);
    }
    add_spec(l, TITAN_ROLE_MATRIX, c->kv_latent + c->rope_dim, D, 2,
             "blocks.%d.wkv_a", b);
    add_spec(l, TITAN_ROLE_NORM, c->kv_latent, 1, 1, "blocks.%d.kv_norm", b);
    add_spec(l, TITAN_ROLE_MATRIX, G * (c->head_dim + c->v_head_dim),
             c->kv_latent, 2, "blocks.%d.wkv_b", b);
    add_spec(l, TITAN_ROLE_MATRIX, D, H * c->v_head_dim, 2, "blocks.%d.wo", b);
    add_spec(l, TITAN_ROLE_NORM, D, 1, 1, "blocks.%d.ffn_norm", b);
    add_spec(l, TITAN_ROLE_MATRIX, F, D, 2, "blocks.%d.w_gate", b);
    add_spec(l, TITAN_ROLE_MATRIX, F, D, 2, "blocks.%d.w_up", b);
    add_spec(l, TITAN_ROLE_MATRIX, D, F, 2, "blocks.%d.w_down", b);
    if (c->conv_kernel > 0)
        add_spec(l, TITAN_ROLE_CONV, F, c->conv_kernel, 2, "blocks.%d.conv", b);
}

int titan_config_tensors(const titan_config *c, titan_tensor_spec *out,
                         int cap) {
    spec_list l = {out, out ? cap : 0, 0};
    add_spec(&l, TITAN_ROLE_EMBED, c->vocab_size, c->d_model, 2, "tok_emb", 0);
    for (int b = 0; b < c->n_unique_blocks; b++) add_block_specs(&l, c, b);
    add_spec(&l, TITAN_ROLE_NORM, c->d_model, 1, 1, "final_norm", 0);
    for (int k = 2; k <= c->mtp_heads; k++)
        add_spec(&l, TITAN_ROLE_HEAD, c->vocab_size, c->d_model, 2,
                 "mtp.%d.head", k);
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

/* SPEC: fcd(n) = Dr ln(orig / (2 pi n)) / (2 ln base). */
static double yarn_correction_dim(const titan_config *c, double n) {
    return c->rope_dim * log(c->yarn_orig_ctx / (2 * M_PI * n)) /
           (2 * log(c->rope_base));
}

titan_status titan_config_rope(const titan_config *c, double *freq, int cap,
                               double *mscale) {
    int half = c->rope_dim / 2;
    if (!freq || !mscale || cap < half)
        return titan_fail(TITAN_E_USAGE, "config: rope needs room for %d "
                                         "frequencies, not %d", half, cap);
    double s = c->yarn_factor;
    double lo = 0, hi = 1;
    if (s > 1) {
        lo = fmax(floor(yarn_correction_dim(c, c->yarn_beta_fast)), 0);
        hi = fmin(ceil(yarn_correction_dim(c, c->yarn_beta_slow)),
                  c->rope_dim - 1);
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
