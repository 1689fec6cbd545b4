/* model.c: the forward pass of SPEC sections 1 and 8, top to bottom: embed,
 * the effective layers of the schedule (skips, resid_mix, the mixer, the MLP,
 * sequential or parallel residual; each layer with its own cache), final
 * norm, heads. With every section-8 field at its default this is section 1:
 * B blocks applied R times, absorbed mla attention then ConvSwiGLU. The
 * model's memory is core/model_setup.c's. */
#include "core/model.h"

#include <math.h>
#include <string.h>

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

void titan_for_tasks(titan_model *m, int64_t n, titan_task_fn fn, void *job) {
    if (m->be->parallel_for)
        m->be->parallel_for(m->be, n, fn, job);
    else
        fn(job, 0, n);
}

/* The input of a skip's destination: with a = skip_weights[j] h_src,
 * h = a + sigmoid(skip_gates[j]) (h - a) (gated), else h + a. */
static void skip_in(titan_model *m, int j, int n) {
    int D = m->cfg.d_model;
    const float *w = m->skip_w + (size_t)j * D;
    const float *g = m->skip_g ? m->skip_g + (size_t)j * D : NULL;
    const float *src = m->skip_h + (size_t)j * m->batch * D;
    for (int t = 0; t < n; t++) {
        float *h = m->h + (size_t)t * D;
        const float *hs = src + (size_t)t * D;
        for (int i = 0; i < D; i++) {
            float a = w[i] * hs[i];
            h[i] = g ? a + g[i] * (h[i] - a) : h[i] + a;
        }
    }
}

/* h = resid_mix[0] h + resid_mix[1] x0. */
static void mix_input(titan_model *m, const float *mix, int n) {
    int D = m->cfg.d_model;
    for (int t = 0; t < n; t++) {
        float *h = m->h + (size_t)t * D;
        const float *x0 = m->x0 + (size_t)t * D;
        for (int i = 0; i < D; i++) h[i] = mix[i] * h[i] + mix[D + i] * x0[i];
    }
}

/* u = f RMSNorm(h; g) (f = 1/sqrt(b+1) with ln_scale). */
static void norm_input(titan_model *m, const float *g, float f, int n) {
    int D = m->cfg.d_model;
    titan_rmsnorm_rows(m, m->u, m->h, g, D, n);
    if (f != 1.0f)
        for (size_t i = 0; i < (size_t)n * D; i++) m->u[i] *= f;
}

/* h += scale y (branch_scale), or h += y. */
static void add_branch(titan_model *m, const float *scale, int n) {
    int D = m->cfg.d_model;
    if (!scale) {
        titan_vec_add(m->h, m->y, n * D);
        return;
    }
    for (int t = 0; t < n; t++)
        titan_vec_mul_add(m->h + (size_t)t * D, scale, m->y + (size_t)t * D, D);
}

/* y = Mixer_b(u) of effective layer l. */
static void mixer(titan_model *m, titan_seq *s, const titan_block *b, int l, int n) {
    switch (m->layers[l].mixer) {
    case TITAN_MIXER_MLA: titan_attention_mla(m, s, b, l, n); break;
    case TITAN_MIXER_KV: titan_attention_kv(m, s, b, l, n); break;
    case TITAN_MIXER_GDN:
        titan_gdn_forward(&m->gdn, m->be, &b->gdn,
                          s->gdn + (size_t)m->layers[l].slot * m->gdn.state_floats,
                          s->pos, m->u, m->y, n);
        break;
    }
}

/* y = MLP_b(u) of effective layer l. */
static void mlp(titan_model *m, titan_seq *s, const titan_block *b, int l, int n) {
    if (m->cfg.mlp_act == TITAN_MLP_SWIGLU)
        titan_ffn_conv_swiglu(m, s, b, l, n);
    else
        titan_ffn_relu2(m, b, n);
}

/* Effective layer l on rows 0..n-1 of h (SPEC section 8, "Forward pass"). */
static void layer(titan_model *m, titan_seq *s, int l, int n) {
    const titan_layer *L = &m->layers[l];
    const titan_block *b = &m->blocks[L->block];
    if (L->skip_dst >= 0) skip_in(m, L->skip_dst, n);
    if (b->resid_mix) mix_input(m, b->resid_mix, n);
    norm_input(m, b->attn_norm, b->ln_scale, n);
    mixer(m, s, b, l, n);
    if (b->parallel) norm_input(m, b->ffn_norm, b->ln_scale, n); /* the same h */
    add_branch(m, b->attn_scale, n);
    if (!b->parallel) norm_input(m, b->ffn_norm, b->ln_scale, n);
    mlp(m, s, b, l, n);
    add_branch(m, b->mlp_scale, n);
    if (L->skip_src >= 0)
        memcpy(m->skip_h + (size_t)L->skip_src * m->batch * m->cfg.d_model, m->h,
               (size_t)n * m->cfg.d_model * sizeof *m->h);
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
    for (int t = 0; t < n; t++) {
        if (ids[t] < 0 || ids[t] >= c->vocab_size)
            return titan_fail(TITAN_E_DATA, "forward: token id %d outside [0, %d)",
                              ids[t], c->vocab_size);
        titan_rope_table(m->rope + (size_t)t * c->rope_dim, m->freq, c->rope_dim / 2,
                         s->pos + t);
    }
    titan_embed(m, s, ids, n);
    for (int l = 0; l < m->n_layers; l++) layer(m, s, l, n);
    titan_rmsnorm_rows(m, m->u, m->h, m->final_norm, c->d_model, n);
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
