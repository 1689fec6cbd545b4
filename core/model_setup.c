/* model_setup.c: a model's and a sequence's memory. Every buffer is carved
 * from the caller's arena by model_carve/seq_carve, which titan_model_plan
 * replays in measuring mode so the plan is exact; the tensors are bound by
 * their SPEC names, the small ones copied to float.
 *
 * Caches per effective layer l (SPEC sections 1 and 8), by its mixer:
 *   absorbed mla  c [ctx][Lkv] and kr [ctx][Dr]      (s->lat, s->kr)
 *   explicit k/v  k [G][ctx][Dq] and v [G][ctx][Dv]  (s->k, s->v): gqa, or mla
 *                 with a section-8 attention option
 *   GDN           S and the last Kc-1+M pre-conv rows, the same size at any
 *                 context (s->gdn; layout in core/gdn.h)
 *   ConvSwiGLU    the last K-1+M gate rows            (s->gates)
 * and per sequence the last M+1 tokens and their e (smear_gate, bigram). */
#include "core/config_fields.h"
#include "core/model.h"
#include "quant/dtype.h"
#include "quant/quant.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static titan_status carve_floats(titan_arena *a, size_t rows, size_t cols, float **out) {
    if (cols && rows > SIZE_MAX / sizeof(float) / cols)
        return titan_fail(TITAN_E_NOMEM, "model: buffer size overflows");
    return titan_arena_alloc(a, rows * cols * sizeof(float), TITAN_ALIGN, (void **)out);
}

/* carve_floats when `present`, else *out = NULL (nothing carved). */
static titan_status carve_opt(titan_arena *a, bool present, size_t rows, size_t cols,
                              float **out) {
    *out = NULL;
    return present ? carve_floats(a, rows, cols, out) : TITAN_OK;
}

static titan_status check_sizes(const titan_config *c, int ctx, int batch) {
    TITAN_TRY(titan_config_validate(c));
    if (TITAN_XENITH(c)) /* refused whole rather than run as something else */
        return titan_fail(TITAN_E_UNSUPPORTED,
                          "model: family xenith (SPEC section 9) runs through "
                          "core/xenith_model.c (titan logits), not this model");
    if (ctx < 1 || ctx > c->max_seq_len)
        return titan_fail(TITAN_E_USAGE, "model: ctx %d outside [1, %d]", ctx,
                          c->max_seq_len);
    if (batch < 1 || batch > ctx)
        return titan_fail(TITAN_E_USAGE, "model: batch %d outside [1, ctx %d]", batch,
                          ctx);
    return TITAN_OK;
}

/* An mla block attends through explicit k and v when a section-8 attention
 * option applies to it (absorption folds wkv_b away, which these need). */
static titan_mixer block_mixer(const titan_config *c, int b) {
    if (titan_config_is_gdn(c, b)) return TITAN_MIXER_GDN;
    if (c->attention == TITAN_ATTENTION_GQA || c->qk_norm || c->q_gain ||
        c->attn_sink != TITAN_SINK_NONE ||
        titan_config_lists(c->xsa_layers, c->xsa_layers_len, b) ||
        (c->value_embed &&
         titan_config_lists(c->value_embed_layers, c->value_embed_layers_len, b)))
        return TITAN_MIXER_KV;
    return TITAN_MIXER_MLA;
}

/* The effective layers of c (out may be NULL); counts[k] = layers of mixer k.
 * Returns the number of layers. */
static int layer_table(const titan_config *c, titan_layer *out, int counts[3]) {
    int32_t S[TITAN_MAX_LAYERS], src[TITAN_MAX_LAYERS], dst[TITAN_MAX_LAYERS];
    int n = titan_config_schedule(c, false, S, TITAN_MAX_LAYERS);
    int pairs = titan_config_skips(c, S, n, src, dst, TITAN_MAX_LAYERS);
    counts[0] = counts[1] = counts[2] = 0;
    for (int l = 0; l < n; l++) {
        titan_mixer k = block_mixer(c, S[l]);
        if (out) out[l] = (titan_layer){S[l], k, counts[k], -1, -1};
        counts[k]++;
    }
    for (int j = 0; out && j < pairs; j++) {
        out[src[j]].skip_src = j;
        out[dst[j]].skip_dst = j;
    }
    return n;
}

static int gate_ring_rows(const titan_config *c) {
    return c->mlp_act == TITAN_MLP_SWIGLU && c->conv_kernel
               ? c->conv_kernel - 1 + c->mtp_heads
               : 0;
}

/* Dq: the query/key width of explicit k/v attention. */
static int kv_width(const titan_config *c) {
    return c->head_dim + (c->attention == TITAN_ATTENTION_GQA ? 0 : c->rope_dim);
}

/* Attention tasks: one per query block, or one per cache chunk when a call
 * is a single query block (core/attention_mla.c). */
static int attention_tasks(int ctx, int batch) {
    int blocks = (batch + TITAN_ATT_QBLOCK - 1) / TITAN_ATT_QBLOCK;
    int chunks = (ctx + TITAN_ATT_PCHUNK - 1) / TITAN_ATT_PCHUNK;
    return blocks > chunks ? blocks : chunks;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

/* The weights' float copies, block by block. */
static titan_status carve_blocks(titan_arena *a, const titan_config *c, titan_model *m) {
    size_t D = c->d_model, F = c->mlp_hidden, Lq = c->q_latent, Lkv = c->kv_latent;
    size_t H = c->n_heads, G = c->n_kv_heads, K = c->conv_kernel;
    size_t Dh = c->head_dim, Dv = c->v_head_dim;
    bool swiglu = c->mlp_act == TITAN_MLP_SWIGLU;
    for (int i = 0; i < c->n_unique_blocks; i++) {
        titan_block *b = &m->blocks[i];
        titan_mixer k = block_mixer(c, i);
        bool mla = k != TITAN_MIXER_GDN && c->attention == TITAN_ATTENTION_MLA;
        bool attn = k != TITAN_MIXER_GDN;
        TITAN_TRY(carve_floats(a, 1, D, &b->attn_norm));
        TITAN_TRY(carve_floats(a, 1, mla ? Lq : 0, &b->q_norm));
        TITAN_TRY(carve_floats(a, 1, mla ? Lkv : 0, &b->kv_norm));
        bool absorbed = k == TITAN_MIXER_MLA;
        TITAN_TRY(carve_floats(a, absorbed ? G * (Dh + Dv) : 0, Lkv, &b->wkv_b));
        TITAN_TRY(carve_floats(a, absorbed ? G * Lkv : 0, Dv, &b->wv_t));
        TITAN_TRY(carve_floats(a, 1, D, &b->ffn_norm));
        TITAN_TRY(carve_floats(a, swiglu ? K : 0, F, &b->conv_t));
        TITAN_TRY(carve_opt(a, attn && c->q_gain, 1, H, &b->q_gain));
        TITAN_TRY(carve_opt(a, attn && c->attn_sink == TITAN_SINK_KEY, G, kv_width(c),
                            &b->k_sink));
        TITAN_TRY(
            carve_opt(a, attn && c->attn_sink == TITAN_SINK_LOGIT, 1, G, &b->sink_logit));
        TITAN_TRY(carve_opt(a, c->resid_mix, 2, D, &b->resid_mix));
        TITAN_TRY(carve_opt(a, c->branch_scale, 1, D, &b->attn_scale));
        TITAN_TRY(carve_opt(a, c->branch_scale, 1, D, &b->mlp_scale));
        if (!attn) TITAN_TRY(titan_gdn_block_carve(a, c, &b->gdn));
    }
    return TITAN_OK;
}

/* Scratch of the SPEC section 8 embedding and skips. */
static titan_status carve_embedding(titan_arena *a, const titan_config *c, size_t B,
                                    titan_model *m) {
    size_t D = c->d_model, GV = (size_t)c->n_kv_heads * c->v_head_dim;
    size_t P = (size_t)titan_config_skip_rows(c);
    size_t d = max_size(c->bigram_hash ? c->bigram_hash_dim : 0,
                        c->value_embed ? c->value_embed_dim : 0);
    TITAN_TRY(carve_opt(a, c->smear_gate, 1, D, &m->smear));
    TITAN_TRY(carve_opt(a, P > 0, P, D, &m->skip_w));
    TITAN_TRY(carve_opt(a, P > 0 && c->skip_gates, P, D, &m->skip_g));
    TITAN_TRY(carve_opt(a, c->resid_mix, B, D, &m->x0));
    TITAN_TRY(carve_opt(a, c->smear_gate, B, D, &m->emb));
    TITAN_TRY(carve_opt(a, d > 0, B, d, &m->etab));
    TITAN_TRY(carve_opt(a, c->value_embed, B, GV, &m->ve));
    TITAN_TRY(carve_opt(a, P > 0, P * B, D, &m->skip_h));
    m->idx = NULL;
    if (c->bigram_hash)
        TITAN_TRY(
            titan_arena_alloc(a, B * sizeof *m->idx, TITAN_ALIGN, (void **)&m->idx));
    return TITAN_OK;
}

/* All of the model's arena memory, in one fixed order. */
static titan_status model_carve(titan_arena *a, const titan_config *c, int ctx, int batch,
                                titan_model *m) {
    size_t D = c->d_model, F = c->mlp_hidden, Lq = c->q_latent;
    size_t Lkv = c->kv_latent, Dr = c->rope_dim, H = c->n_heads;
    size_t G = c->n_kv_heads, Dh = c->head_dim, Dv = c->v_head_dim;
    int counts[3];
    m->n_layers = layer_table(c, NULL, counts);
    bool has_mla = counts[TITAN_MIXER_MLA] > 0, has_kv = counts[TITAN_MIXER_KV] > 0;
    bool gqa = c->attention == TITAN_ATTENTION_GQA,
         swiglu = c->mlp_act == TITAN_MLP_SWIGLU;
    size_t Dq = (size_t)kv_width(c), mla_kv = has_kv && !gqa;
    m->kv_width = (int)Dq;
    TITAN_TRY(carve_floats(a, 1, D, &m->final_norm));
    TITAN_TRY(titan_arena_alloc(a, (size_t)m->n_layers * sizeof *m->layers, TITAN_ALIGN,
                                (void **)&m->layers));
    TITAN_TRY(carve_blocks(a, c, m));
    size_t B = batch;
    TITAN_TRY(carve_floats(a, B, D, &m->h));
    TITAN_TRY(carve_floats(a, B, D, &m->u));
    TITAN_TRY(carve_floats(a, B, D, &m->y));
    TITAN_TRY(carve_embedding(a, c, B, m));
    TITAN_TRY(carve_floats(a, B, gqa ? 0 : Lq, &m->cq));
    TITAN_TRY(carve_floats(a, B, H * (gqa ? Dh : Dh + Dr), &m->q));
    TITAN_TRY(carve_floats(a, B, gqa ? 0 : Lkv + Dr, &m->kva));
    TITAN_TRY(carve_opt(a, mla_kv, B, Lkv, &m->lat));
    TITAN_TRY(carve_opt(a, mla_kv, B, G * (Dh + Dv), &m->kvb));
    TITAN_TRY(carve_opt(a, has_kv, B, G * Dq, &m->k));
    TITAN_TRY(carve_opt(a, has_kv, B, G * Dv, &m->v));
    TITAN_TRY(carve_opt(a, has_kv, B * H, Dq, &m->qg));
    TITAN_TRY(carve_floats(a, B, H * Dv, &m->o));
    TITAN_TRY(carve_floats(a, B, swiglu ? F : 0, &m->gate));
    TITAN_TRY(carve_floats(a, B, swiglu ? F : 0, &m->gconv));
    TITAN_TRY(carve_floats(a, B, F, &m->up));
    TITAN_TRY(carve_floats(a, B, Dr, &m->rope));
    TITAN_TRY(carve_floats(a, B * H, has_mla ? Lkv : 0, &m->qlat));
    TITAN_TRY(carve_floats(a, B * H, has_mla ? Dr : 0, &m->qrot));
    m->att_tasks = attention_tasks(ctx, batch);
    size_t rows = (size_t)m->att_tasks * TITAN_ATT_QBLOCK * H;
    size_t width = max_size(has_mla ? Lkv : 0, has_kv ? Dv : 0);
    size_t kt = max_size(has_mla ? (size_t)m->att_tasks * (Lkv + Dr) : 0,
                         has_kv ? (size_t)m->att_tasks * G * Dq : 0);
    TITAN_TRY(carve_floats(a, rows, width, &m->olat));
    TITAN_TRY(carve_floats(a, rows, TITAN_ATT_PBLOCK, &m->att));
    TITAN_TRY(carve_floats(a, rows, 2, &m->att_run));
    TITAN_TRY(carve_floats(a, kt, TITAN_ATT_PBLOCK, &m->att_kt));
    if (counts[TITAN_MIXER_GDN] > 0) TITAN_TRY(titan_gdn_carve(a, c, batch, &m->gdn));
    return TITAN_OK;
}

static titan_status seq_carve(titan_arena *a, const titan_config *c, int ctx,
                              titan_seq *s) {
    int counts[3];
    size_t L = (size_t)layer_table(c, NULL, counts);
    size_t mla = (size_t)counts[TITAN_MIXER_MLA], kv = (size_t)counts[TITAN_MIXER_KV];
    size_t G = c->n_kv_heads, D = c->d_model;
    s->ring = gate_ring_rows(c);
    s->emb_ring = c->smear_gate || c->bigram_hash ? c->mtp_heads + 1 : 0;
    TITAN_TRY(carve_floats(a, mla * ctx, c->kv_latent, &s->lat));
    TITAN_TRY(carve_floats(a, mla * ctx, c->rope_dim, &s->kr));
    TITAN_TRY(carve_opt(a, kv > 0, kv * G * ctx, (size_t)kv_width(c), &s->k));
    TITAN_TRY(carve_opt(a, kv > 0, kv * G * ctx, (size_t)c->v_head_dim, &s->v));
    TITAN_TRY(carve_floats(a, L * s->ring, c->mlp_hidden, &s->gates));
    TITAN_TRY(carve_opt(a, counts[TITAN_MIXER_GDN] > 0, (size_t)counts[TITAN_MIXER_GDN],
                        titan_gdn_state_floats(c), &s->gdn));
    s->prev_id = NULL;
    TITAN_TRY(carve_opt(a, s->emb_ring > 0, (size_t)s->emb_ring, D, &s->prev_e));
    if (s->emb_ring)
        TITAN_TRY(titan_arena_alloc(a, (size_t)s->emb_ring * sizeof *s->prev_id,
                                    TITAN_ALIGN, (void **)&s->prev_id));
    return TITAN_OK;
}

titan_status titan_model_plan(const titan_config *c, int ctx, int batch, size_t *bytes) {
    if (!c || !bytes) return titan_fail(TITAN_E_USAGE, "plan: NULL argument");
    TITAN_TRY(check_sizes(c, ctx, batch));
    titan_arena a;
    titan_arena_init(&a, NULL, 0);
    titan_model scratch_model; /* only its pointer fields are written */
    titan_seq scratch_seq;
    void *p;
    TITAN_TRY(titan_arena_alloc(&a, sizeof(titan_model), TITAN_ALIGN, &p));
    TITAN_TRY(model_carve(&a, c, ctx, batch, &scratch_model));
    TITAN_TRY(titan_arena_alloc(&a, sizeof(titan_seq), TITAN_ALIGN, &p));
    TITAN_TRY(seq_carve(&a, c, ctx, &scratch_seq));
    *bytes = a.high;
    return TITAN_OK;
}

titan_status titan_seq_plan(const titan_config *c, int ctx, size_t *bytes) {
    if (!c || !bytes) return titan_fail(TITAN_E_USAGE, "plan: NULL argument");
    TITAN_TRY(check_sizes(c, ctx, 1));
    titan_arena a;
    titan_arena_init(&a, NULL, 0);
    titan_seq scratch_seq;
    void *p;
    TITAN_TRY(titan_arena_alloc(&a, sizeof(titan_seq), TITAN_ALIGN, &p));
    TITAN_TRY(seq_carve(&a, c, ctx, &scratch_seq));
    *bytes = a.high;
    return TITAN_OK;
}

int64_t titan_model_cache_floats(const titan_config *c) {
    int counts[3];
    layer_table(c, NULL, counts);
    int64_t kv = (int64_t)c->n_kv_heads * (kv_width(c) + c->v_head_dim);
    return counts[TITAN_MIXER_MLA] * ((int64_t)c->kv_latent + c->rope_dim) +
           counts[TITAN_MIXER_KV] * kv;
}

/* Find `name` (printf pattern with one int) with the SPEC shape. */
static titan_status find_tensor(const titan_tensor *t, int n,
                                const titan_tensor_spec *spec, const titan_tensor **out) {
    for (int i = 0; i < n; i++) {
        if (strcmp(t[i].name, spec->name)) continue;
        const titan_tensor *w = &t[i];
        if (w->rows != spec->rows || w->cols != spec->cols)
            return titan_fail(TITAN_E_DATA,
                              "tensor %s is [%lld, %lld], config says "
                              "[%lld, %lld]",
                              w->name, (long long)w->rows, (long long)w->cols,
                              (long long)spec->rows, (long long)spec->cols);
        const titan_dtype_traits *tr = titan_dtype_get(w->dtype);
        if (!w->data || !tr)
            return titan_fail(TITAN_E_DATA, "tensor %s: no data or bad dtype", w->name);
        if (tr->quantized) {
            if (!w->scales || w->group_size < 0)
                return titan_fail(TITAN_E_DATA, "tensor %s: bad scales", w->name);
            int64_t groups =
                w->group_size ? (w->cols + w->group_size - 1) / w->group_size : 1;
            TITAN_TRY(titan_quant_check_scales(w->scales, w->rows * groups, TITAN_E_DATA,
                                               w->name));
        }
        *out = w;
        return TITAN_OK;
    }
    return titan_fail(TITAN_E_DATA, "tensor %s missing", spec->name);
}

/* The config's tensors, found and checked, looked up by name. */
typedef struct {
    titan_tensor_spec spec[TITAN_MAX_TENSORS];
    const titan_tensor *w[TITAN_MAX_TENSORS];
    int n;
} bound_tensors;

/* The tensor named `pattern` (with block b for a %d), or NULL if the config
 * has none. */
static const titan_tensor *get(const bound_tensors *t, const char *pattern, int b) {
    char name[TITAN_NAME_MAX];
    snprintf(name, sizeof name, pattern, b);
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->spec[i].name, name)) return t->w[i];
    return NULL;
}

/* Dequantize a whole (small) tensor into dst[rows][cols]. */
static void to_floats(const titan_tensor *w, float *dst) {
    for (int64_t r = 0; r < w->rows; r++)
        titan_dequant_row(w, r, 0, w->cols, dst + r * w->cols);
}

/* to_floats of the tensor when the config has it (dst carved to match). */
static void get_floats(const bound_tensors *t, const char *pattern, int b, float *dst) {
    const titan_tensor *w = get(t, pattern, b);
    if (w && dst) to_floats(w, dst);
}

/* A [1] tensor's value. */
static float get_scalar(const bound_tensors *t, const char *pattern, int b) {
    float v = 0;
    get_floats(t, pattern, b, &v);
    return v;
}

/* x[n] = sigmoid(x[n]) in place. */
static void sigmoid(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(1 / (1 + exp(-(double)x[i])));
}

/* wv_t[g][e][d] = wkv_b[g*(Dh+Dv) + Dh + d][e]: the value projection as the
 * attention's small products want it. */
static void transpose_values(const titan_config *c, titan_block *b) {
    int Dh = c->head_dim, Dv = c->v_head_dim, Lkv = c->kv_latent;
    for (int g = 0; g < c->n_kv_heads; g++) {
        const float *wv = b->wkv_b + ((size_t)g * (Dh + Dv) + Dh) * Lkv;
        float *t = b->wv_t + (size_t)g * Lkv * Dv;
        for (int d = 0; d < Dv; d++)
            for (int e = 0; e < Lkv; e++) t[(size_t)e * Dv + d] = wv[(size_t)d * Lkv + e];
    }
}

/* conv_t[j][f] = conv[f][j]: one row of taps per offset, as the FFN reads
 * them (conv_kernel <= 64, config.c). */
static void transpose_conv(const titan_tensor *w, float *conv_t) {
    float taps[64];
    for (int64_t f = 0; f < w->rows; f++) {
        titan_dequant_row(w, f, 0, w->cols, taps);
        for (int64_t j = 0; j < w->cols; j++) conv_t[j * w->rows + f] = taps[j];
    }
}

/* Block bi's GDN mixer: its tensors follow gdn_qkv in the canonical order. */
static void bind_gdn(titan_model *m, const bound_tensors *t, int bi) {
    char name[TITAN_NAME_MAX];
    snprintf(name, sizeof name, "blocks.%d.gdn_qkv", bi);
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->spec[i].name, name))
            titan_gdn_block_bind(&m->blocks[bi].gdn, &m->gdn, t->w + i);
}

/* Block bi's mixer: absorbed or explicit mla, gqa, or GDN. */
static void bind_mixer(titan_model *m, const bound_tensors *t, int bi) {
    const titan_config *c = &m->cfg;
    titan_block *b = &m->blocks[bi];
    titan_mixer k = block_mixer(c, bi);
    if (k == TITAN_MIXER_GDN) {
        bind_gdn(m, t, bi);
        return;
    }
    b->explicit_kv = k == TITAN_MIXER_KV;
    if (c->attention == TITAN_ATTENTION_GQA) {
        b->wq_b = get(t, "blocks.%d.wq", bi);
        b->wk = get(t, "blocks.%d.wk", bi);
        b->wv = get(t, "blocks.%d.wv", bi);
    } else {
        b->wq_a = get(t, "blocks.%d.wq_a", bi);
        get_floats(t, "blocks.%d.q_norm", bi, b->q_norm);
        b->wq_b = b->wq_a ? get(t, "blocks.%d.wq_b", bi) : get(t, "blocks.%d.wq", bi);
        b->wkv_a = get(t, "blocks.%d.wkv_a", bi);
        get_floats(t, "blocks.%d.kv_norm", bi, b->kv_norm);
        b->wkv_b_w = get(t, "blocks.%d.wkv_b", bi);
        if (!b->explicit_kv) {
            to_floats(b->wkv_b_w, b->wkv_b);
            transpose_values(c, b);
        }
    }
    b->wo = get(t, "blocks.%d.wo", bi);
    get_floats(t, "blocks.%d.q_gain", bi, b->q_gain);
    get_floats(t, "blocks.%d.k_sink", bi, b->k_sink);
    get_floats(t, "blocks.%d.sink_logit", bi, b->sink_logit);
    b->has_ve = get(t, "blocks.%d.ve_scale", bi) != NULL;
    b->ve_scale = get_scalar(t, "blocks.%d.ve_scale", bi);
    b->xsa = titan_config_lists(c->xsa_layers, c->xsa_layers_len, bi);
}

static void bind_block(titan_model *m, const bound_tensors *t, int bi) {
    const titan_config *c = &m->cfg;
    titan_block *b = &m->blocks[bi];
    get_floats(t, "blocks.%d.attn_norm", bi, b->attn_norm);
    bind_mixer(m, t, bi);
    get_floats(t, "blocks.%d.ffn_norm", bi, b->ffn_norm);
    b->w_gate = get(t, "blocks.%d.w_gate", bi);
    b->w_up = get(t, "blocks.%d.w_up", bi);
    b->w_down = get(t, "blocks.%d.w_down", bi);
    const titan_tensor *conv = get(t, "blocks.%d.conv", bi);
    if (conv) transpose_conv(conv, b->conv_t);
    get_floats(t, "blocks.%d.resid_mix", bi, b->resid_mix);
    get_floats(t, "blocks.%d.attn_scale", bi, b->attn_scale);
    get_floats(t, "blocks.%d.mlp_scale", bi, b->mlp_scale);
    b->parallel = c->parallel_residual_from >= 0 && bi >= c->parallel_residual_from;
    b->ln_scale = c->ln_scale ? (float)(1 / sqrt(bi + 1.0)) : 1.0f;
}

/* The embedding tables, smear gate and skips of SPEC section 8. */
static void bind_globals(titan_model *m, const bound_tensors *t) {
    const titan_config *c = &m->cfg;
    m->bigram_table = get(t, "bigram.table", 0);
    m->bigram_proj = get(t, "bigram.proj", 0);
    m->bigram_scale = get_scalar(t, "bigram.scale", 0);
    m->ve_table = get(t, "value_embed.table", 0);
    m->ve_proj = get(t, "value_embed.proj", 0);
    m->ve_scale = get_scalar(t, "value_embed.scale", 0);
    get_floats(t, "smear_gate", 0, m->smear);
    if (m->smear) sigmoid(m->smear, (size_t)c->d_model);
    get_floats(t, "skip_weights", 0, m->skip_w);
    get_floats(t, "skip_gates", 0, m->skip_g);
    if (m->skip_g) sigmoid(m->skip_g, (size_t)titan_config_skip_rows(c) * c->d_model);
}

static titan_status bind_tensors(titan_model *m, const titan_tensor *tensors, int n,
                                 bound_tensors *t) {
    const titan_config *c = &m->cfg;
    t->n = titan_config_tensors(c, t->spec, TITAN_MAX_TENSORS);
    for (int i = 0; i < t->n; i++)
        TITAN_TRY(find_tensor(tensors, n, &t->spec[i], &t->w[i]));
    m->tok_emb = m->head[0] = get(t, "tok_emb", 0);
    for (int bi = 0; bi < c->n_unique_blocks; bi++) bind_block(m, t, bi);
    get_floats(t, "final_norm", 0, m->final_norm);
    bind_globals(m, t);
    for (int k = 2; k <= c->mtp_heads; k++) m->head[k - 1] = get(t, "mtp.%d.head", k);
    return TITAN_OK;
}

titan_status titan_model_create(titan_arena *a, const titan_config *c,
                                const titan_tensor *tensors, int n, int ctx, int batch,
                                titan_backend *be, titan_model **out) {
    if (!a || !c || !tensors || !be || !be->matmul || !be->small_gemm || !be->attend ||
        !out || n < 0)
        return titan_fail(TITAN_E_USAGE, "model: NULL argument");
    TITAN_TRY(check_sizes(c, ctx, batch));
    titan_model *m;
    TITAN_TRY(titan_arena_calloc(a, sizeof *m, TITAN_ALIGN, (void **)&m));
    m->cfg = *c;
    m->be = be;
    m->ctx = ctx;
    m->batch = batch;
    TITAN_TRY(titan_config_rope(c, m->freq, TITAN_ROPE_FREQS, &m->mscale));
    TITAN_TRY(model_carve(a, c, ctx, batch, m));
    int counts[3];
    layer_table(c, m->layers, counts);
    bound_tensors t; /* on the stack, as the arena holds exactly the plan */
    TITAN_TRY(bind_tensors(m, tensors, n, &t));
    *out = m;
    return TITAN_OK;
}

titan_status titan_model_rebind(titan_model *m, const titan_tensor *tensors, int n) {
    if (!m || !tensors || n < 0) return titan_fail(TITAN_E_USAGE, "model: NULL argument");
    bound_tensors t;
    return bind_tensors(m, tensors, n, &t);
}

titan_status titan_seq_create(titan_arena *a, const titan_model *m, titan_seq **out) {
    if (!a || !m || !out) return titan_fail(TITAN_E_USAGE, "seq: NULL argument");
    titan_seq *s;
    TITAN_TRY(titan_arena_calloc(a, sizeof *s, TITAN_ALIGN, (void **)&s));
    TITAN_TRY(seq_carve(a, &m->cfg, m->ctx, s));
    s->m = m;
    *out = s;
    return TITAN_OK;
}

void titan_seq_reset(titan_seq *s) {
    s->pos = 0;
    s->rewindable = 0;
}

int titan_seq_pos(const titan_seq *s) { return s->pos; }

int titan_model_layers(const titan_model *m) { return m->n_layers; }

int titan_model_layer_block(const titan_model *m, int layer) {
    return m->layers[layer].block;
}

const float *titan_seq_latents(const titan_seq *s, int layer) {
    const titan_layer *l = &s->m->layers[layer];
    if (l->mixer != TITAN_MIXER_MLA) return NULL;
    return s->lat + (size_t)l->slot * s->m->ctx * s->m->cfg.kv_latent;
}

titan_status titan_seq_rewind(titan_seq *s, int n) {
    if (!s || n < 0 || n > s->rewindable)
        return titan_fail(TITAN_E_USAGE, "seq: cannot rewind %d tokens (%d)", n,
                          s ? s->rewindable : 0);
    s->pos -= n;
    s->rewindable -= n;
    return TITAN_OK;
}
