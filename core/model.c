/* model.c: the Nano-Titan forward pass of SPEC section 1, top to bottom:
 * embed, B blocks applied R times (attention then ConvSwiGLU, each effective
 * layer with its own cache), final norm, heads. Every buffer is carved from
 * the caller's arena by model_carve/seq_carve, which titan_model_plan replays
 * in measuring mode so the plan is exact. */
#include "core/config_fields.h"
#include "core/model.h"
#include "quant/dtype.h"
#include "quant/quant.h"

#include <math.h>
#include <string.h>

static titan_status carve_floats(titan_arena *a, size_t rows, size_t cols, float **out) {
    if (cols && rows > SIZE_MAX / sizeof(float) / cols)
        return titan_fail(TITAN_E_NOMEM, "model: buffer size overflows");
    return titan_arena_alloc(a, rows * cols * sizeof(float), TITAN_ALIGN, (void **)out);
}

/* The forward pass runs section 1 so far: every section-8 field at its
 * default (the config and artifact layers already carry them all). */
static titan_status check_supported(const titan_config *c) {
    titan_config dflt;
    titan_config_defaults(&dflt);
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        if (f->presence == TITAN_PRESENCE_EXTRA && !titan_config_field_equal(c, &dflt, f))
            return titan_fail(TITAN_E_UNSUPPORTED,
                              "model: %s is not run by this "
                              "runtime yet",
                              f->name);
    }
    return TITAN_OK;
}

static titan_status check_sizes(const titan_config *c, int ctx, int batch) {
    TITAN_TRY(titan_config_validate(c));
    TITAN_TRY(check_supported(c));
    if (ctx < 1 || ctx > c->max_seq_len)
        return titan_fail(TITAN_E_USAGE, "model: ctx %d outside [1, %d]", ctx,
                          c->max_seq_len);
    if (batch < 1 || batch > ctx)
        return titan_fail(TITAN_E_USAGE, "model: batch %d outside [1, ctx %d]", batch,
                          ctx);
    return TITAN_OK;
}

/* All of the model's arena memory, in one fixed order. */
/* Attention tasks: one per query block, or one per cache chunk when a call
 * is a single query block (core/attention_mla.c). */
static int attention_tasks(int ctx, int batch) {
    int blocks = (batch + TITAN_ATT_QBLOCK - 1) / TITAN_ATT_QBLOCK;
    int chunks = (ctx + TITAN_ATT_PCHUNK - 1) / TITAN_ATT_PCHUNK;
    return blocks > chunks ? blocks : chunks;
}

static titan_status model_carve(titan_arena *a, const titan_config *c, int ctx, int batch,
                                titan_model *m) {
    size_t D = c->d_model, F = c->mlp_hidden, Lq = c->q_latent;
    size_t Lkv = c->kv_latent, Dr = c->rope_dim, H = c->n_heads;
    size_t K = c->conv_kernel, G = c->n_kv_heads;
    TITAN_TRY(carve_floats(a, 1, D, &m->final_norm));
    for (int i = 0; i < c->n_unique_blocks; i++) {
        titan_block *b = &m->blocks[i];
        TITAN_TRY(carve_floats(a, 1, D, &b->attn_norm));
        TITAN_TRY(carve_floats(a, 1, Lq, &b->q_norm));
        TITAN_TRY(carve_floats(a, 1, Lkv, &b->kv_norm));
        TITAN_TRY(carve_floats(a, G * (c->head_dim + c->v_head_dim), Lkv, &b->wkv_b));
        TITAN_TRY(carve_floats(a, G * Lkv, c->v_head_dim, &b->wv_t));
        TITAN_TRY(carve_floats(a, 1, D, &b->ffn_norm));
        TITAN_TRY(carve_floats(a, K, F, &b->conv_t));
    }
    size_t B = batch;
    TITAN_TRY(carve_floats(a, B, D, &m->h));
    TITAN_TRY(carve_floats(a, B, D, &m->u));
    TITAN_TRY(carve_floats(a, B, D, &m->y));
    TITAN_TRY(carve_floats(a, B, Lq, &m->cq));
    TITAN_TRY(carve_floats(a, B, H * (c->head_dim + Dr), &m->q));
    TITAN_TRY(carve_floats(a, B, Lkv + Dr, &m->kva));
    TITAN_TRY(carve_floats(a, B, H * c->v_head_dim, &m->o));
    TITAN_TRY(carve_floats(a, B, F, &m->gate));
    TITAN_TRY(carve_floats(a, B, F, &m->gconv));
    TITAN_TRY(carve_floats(a, B, F, &m->up));
    TITAN_TRY(carve_floats(a, B, Dr, &m->rope));
    TITAN_TRY(carve_floats(a, B * H, Lkv, &m->qlat));
    TITAN_TRY(carve_floats(a, B * H, Dr, &m->qrot));
    m->att_tasks = attention_tasks(ctx, batch);
    size_t rows = (size_t)m->att_tasks * TITAN_ATT_QBLOCK * H;
    TITAN_TRY(carve_floats(a, rows, Lkv, &m->olat));
    TITAN_TRY(carve_floats(a, rows, TITAN_ATT_PBLOCK, &m->att));
    TITAN_TRY(carve_floats(a, rows, 2, &m->att_run));
    TITAN_TRY(
        carve_floats(a, (size_t)m->att_tasks * (Lkv + Dr), TITAN_ATT_PBLOCK, &m->att_kt));
    return TITAN_OK;
}

static int gate_ring_rows(const titan_config *c) {
    return c->conv_kernel ? c->conv_kernel - 1 + c->mtp_heads : 0;
}

static titan_status seq_carve(titan_arena *a, const titan_config *c, int ctx,
                              titan_seq *s) {
    size_t L = (size_t)c->n_unique_blocks * c->n_recurrences;
    s->ring = gate_ring_rows(c);
    TITAN_TRY(carve_floats(a, L * ctx, c->kv_latent, &s->lat));
    TITAN_TRY(carve_floats(a, L * ctx, c->rope_dim, &s->kr));
    TITAN_TRY(carve_floats(a, L * s->ring, c->mlp_hidden, &s->gates));
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
    return (int64_t)c->kv_latent + c->rope_dim;
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

/* Dequantize a whole (small) tensor into dst[rows][cols]. */
static void to_floats(const titan_tensor *w, float *dst) {
    for (int64_t r = 0; r < w->rows; r++)
        titan_dequant_row(w, r, 0, w->cols, dst + r * w->cols);
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

static titan_status bind_tensors(titan_model *m, const titan_tensor *t, int n) {
    const titan_config *c = &m->cfg;
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    int ns = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    const titan_tensor *w[TITAN_MAX_TENSORS];
    for (int i = 0; i < ns; i++) TITAN_TRY(find_tensor(t, n, &specs[i], &w[i]));
    /* Canonical order (titan_config_tensors): tok_emb, blocks, final_norm, heads. */
    int i = 0;
    m->tok_emb = m->head[0] = w[i++];
    for (int bi = 0; bi < c->n_unique_blocks; bi++) {
        titan_block *b = &m->blocks[bi];
        to_floats(w[i++], b->attn_norm);
        if (c->q_latent > 0) {
            b->wq_a = w[i++];
            to_floats(w[i++], b->q_norm);
        }
        b->wq_b = w[i++];
        b->wkv_a = w[i++];
        to_floats(w[i++], b->kv_norm);
        to_floats(w[i++], b->wkv_b);
        transpose_values(c, b);
        b->wo = w[i++];
        to_floats(w[i++], b->ffn_norm);
        b->w_gate = w[i++];
        b->w_up = w[i++];
        b->w_down = w[i++];
        if (c->conv_kernel > 0) transpose_conv(w[i++], b->conv_t);
    }
    to_floats(w[i++], m->final_norm);
    for (int k = 2; k <= c->mtp_heads; k++) m->head[k - 1] = w[i++];
    return TITAN_OK;
}

titan_status titan_model_create(titan_arena *a, const titan_config *c,
                                const titan_tensor *tensors, int n, int ctx, int batch,
                                titan_backend *be, titan_model **out) {
    if (!a || !c || !tensors || !be || !be->matmul || !be->small_gemm || !out || n < 0)
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
    TITAN_TRY(bind_tensors(m, tensors, n));
    *out = m;
    return TITAN_OK;
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

const float *titan_seq_latents(const titan_seq *s, int layer) {
    return s->lat + (size_t)layer * s->m->ctx * s->m->cfg.kv_latent;
}

titan_status titan_seq_rewind(titan_seq *s, int n) {
    if (!s || n < 0 || n > s->rewindable)
        return titan_fail(TITAN_E_USAGE, "seq: cannot rewind %d tokens (%d)", n,
                          s ? s->rewindable : 0);
    s->pos -= n;
    s->rewindable -= n;
    return TITAN_OK;
}

void titan_for_rows(titan_model *m, int n, titan_task_fn fn, void *job) {
    enum { FEW = 8 }; /* below this, waking threads costs more than the rows */
    if (n < FEW || !m->be->parallel_for)
        fn(job, 0, n);
    else
        m->be->parallel_for(m->be, n, fn, job);
}

void titan_matmul2(titan_model *m, const titan_tensor *w0, float *y0,
                   const titan_tensor *w1, float *y1, const float *x, int n) {
    titan_backend *be = m->be;
    if (be->matmul2) {
        be->matmul2(be, w0, y0, w1, y1, x, n);
    } else {
        be->matmul(be, w0, x, y0, n);
        be->matmul(be, w1, x, y1, n);
    }
}

typedef struct {
    float *y;
    const float *x, *g;
    int width;
    double eps;
} norm_job;

static void norm_rows(void *ctx, int64_t begin, int64_t end) {
    const norm_job *j = ctx;
    for (int64_t t = begin; t < end; t++)
        titan_rmsnorm(j->y + t * j->width, j->x + t * j->width, j->g, j->width, j->eps);
}

void titan_rmsnorm_rows(titan_model *m, float *y, const float *x, const float *g,
                        int width, int n) {
    norm_job job = {y, x, g, width, m->cfg.norm_eps};
    titan_for_rows(m, n, norm_rows, &job);
}

titan_status titan_model_forward(titan_model *m, titan_seq *s, const int32_t *ids,
                                 int n) {
    if (!m || !s || !ids || s->m != m)
        return titan_fail(TITAN_E_USAGE, "forward: bad argument");
    const titan_config *c = &m->cfg;
    if (n < 1 || n > m->batch || n > m->ctx - s->pos)
        return titan_fail(TITAN_E_USAGE,
                          "forward: %d tokens at position %d (batch %d, ctx %d)", n,
                          s->pos, m->batch, m->ctx);
    int D = c->d_model, B = c->n_unique_blocks;
    for (int t = 0; t < n; t++) {
        if (ids[t] < 0 || ids[t] >= c->vocab_size)
            return titan_fail(TITAN_E_DATA, "forward: token id %d outside [0, %d)",
                              ids[t], c->vocab_size);
        titan_dequant_row(m->tok_emb, ids[t], 0, D, m->h + (size_t)t * D);
        titan_rope_table(m->rope + (size_t)t * c->rope_dim, m->freq, c->rope_dim / 2,
                         s->pos + t);
    }
    for (int r = 0; r < c->n_recurrences; r++) {
        for (int b = 0; b < B; b++) {
            titan_attention_mla(m, s, &m->blocks[b], r * B + b, n);
            titan_ffn_conv_swiglu(m, s, &m->blocks[b], r * B + b, n);
        }
    }
    titan_rmsnorm_rows(m, m->u, m->h, m->final_norm, D, n);
    s->pos += n;
    s->rewindable = s->pos < c->mtp_heads ? s->pos : c->mtp_heads;
    m->rows = n;
    return TITAN_OK;
}

titan_status titan_model_logits(titan_model *m, int head, int first, int rows,
                                float *out) {
    if (!m || !out || head < 1 || head > m->cfg.mtp_heads || first < 0 || rows < 1 ||
        first + rows > m->rows)
        return titan_fail(TITAN_E_USAGE, "logits: head %d rows %d+%d of %d", head, first,
                          rows, m ? m->rows : 0);
    m->be->matmul(m->be, m->head[head - 1], m->u + (size_t)first * m->cfg.d_model, out,
                  rows);
    double cap = m->cfg.logit_softcap;
    if (cap > 0) {
        size_t n = (size_t)rows * m->cfg.vocab_size;
        for (size_t i = 0; i < n; i++) out[i] = (float)(cap * tanh(out[i] / cap));
    }
    return TITAN_OK;
}
