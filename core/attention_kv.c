/* attention_kv.c: attention through explicit per-group keys and values (SPEC
 * section 8, "Attention block b"): gqa's q = wq u, k = wk u, v = wv u, or an
 * mla block's q and k_g = [Wk_g c | kr], v_g = Wv_g c expanded, when a
 * section-8 option (qk_norm, q_gain, a sink, XSA, the value embedding) keeps
 * the block from being absorbed. Per token: RoPE (gqa: the first Dr dims of
 * every q_i and k_g; mla: the rotary part), the value embedding, qk_norm over
 * the whole Dq vectors, q_gain; then k and v go to the layer's cache and the
 * queries, scaled by mscale^2 / sqrt(Dq), to m->qg by group, and
 * core/attention_gqa.c attends. */
#include "core/model.h"

#include <math.h>
#include <string.h>

/* c = RMSNorm(kva[0:Lkv]; kv_norm) and kr = Rope(kva[Lkv:]) in place. */
static void latent_rows(void *ctx, int64_t begin, int64_t end) {
    const titan_rows_job *j = ctx;
    titan_model *m = j->m;
    int Lkv = m->cfg.kv_latent, Dr = m->cfg.rope_dim;
    for (int64_t t = begin; t < end; t++) {
        float *a = m->kva + t * (Lkv + Dr);
        titan_rmsnorm(m->lat + t * Lkv, a, j->b->kv_norm, Lkv, m->cfg.norm_eps);
        titan_rope_rotate(a + Lkv, m->rope + t * Dr, Dr / 2);
    }
}

/* m->q, m->k, m->v of rows 0..n-1 of u, before the per-token steps (mla:
 * k and v are put together per token in token_rows). */
static void project(titan_model *m, const titan_block *b, int n) {
    titan_backend *be = m->be;
    if (m->cfg.attention == TITAN_ATTENTION_GQA) {
        titan_matmul2(m, b->wq_b, m->q, b->wk, m->k, m->u, n);
        be->matmul(be, b->wv, m->u, m->v, n);
        return;
    }
    titan_rows_job job = {m, NULL, b, 0};
    titan_mla_project(m, b, n);
    titan_for_rows(m, n, latent_rows, &job);
    be->matmul(be, b->wkv_b_w, m->lat, m->kvb, n);
}

/* mla row t: k_g = [kn_g | kr] and v_g from wkv_b c; the queries' rotary
 * parts rotated. gqa: the first Dr dims of every q_i and k_g rotated. */
static void rotate_row(titan_model *m, int t) {
    const titan_config *c = &m->cfg;
    int H = c->n_heads, G = c->n_kv_heads, Dh = c->head_dim, Dv = c->v_head_dim;
    int Dr = c->rope_dim, Dq = m->kv_width;
    const float *cs = m->rope + (size_t)t * Dr;
    float *q = m->q + (size_t)t * H * Dq, *k = m->k + (size_t)t * G * Dq;
    if (c->attention == TITAN_ATTENTION_GQA) {
        for (int i = 0; i < H; i++) titan_rope_rotate(q + (size_t)i * Dq, cs, Dr / 2);
        for (int g = 0; g < G; g++) titan_rope_rotate(k + (size_t)g * Dq, cs, Dr / 2);
        return;
    }
    const float *kv = m->kvb + (size_t)t * G * (Dh + Dv);
    const float *kr = m->kva + (size_t)t * (c->kv_latent + Dr) + c->kv_latent;
    float *v = m->v + (size_t)t * G * Dv;
    for (int g = 0; g < G; g++) {
        memcpy(k + (size_t)g * Dq, kv + (size_t)g * (Dh + Dv), (size_t)Dh * sizeof *k);
        memcpy(k + (size_t)g * Dq + Dh, kr, (size_t)Dr * sizeof *k);
        memcpy(v + (size_t)g * Dv, kv + (size_t)g * (Dh + Dv) + Dh,
               (size_t)Dv * sizeof *v);
    }
    for (int i = 0; i < H; i++) titan_rope_rotate(q + (size_t)i * Dq + Dh, cs, Dr / 2);
}

typedef struct {
    titan_model *m;
    titan_seq *s;
    const titan_block *b;
    int slot, n; /* the layer's cache among the explicit ones; rows */
} kv_job;

/* Row t: rotation, value embedding, qk_norm, q_gain and scale; k and v into
 * the layer's cache at position s->pos + t, the queries into m->qg. */
static void token_rows(void *ctx, int64_t begin, int64_t end) {
    const kv_job *j = ctx;
    titan_model *m = j->m;
    const titan_block *b = j->b;
    const titan_config *c = &m->cfg;
    int H = c->n_heads, G = c->n_kv_heads, hg = H / G, Dv = c->v_head_dim;
    int Dq = m->kv_width, n = j->n, ctx_len = m->ctx;
    float scale = (float)(m->mscale * m->mscale / sqrt(Dq));
    for (int64_t t = begin; t < end; t++) {
        int p = j->s->pos + (int)t;
        rotate_row(m, (int)t);
        float *q = m->q + t * H * Dq, *k = m->k + t * G * Dq, *v = m->v + t * G * Dv;
        if (b->has_ve) titan_vec_axpy(v, b->ve_scale, m->ve + t * G * Dv, G * Dv);
        for (int g = 0; g < G; g++) {
            float *kg = k + (size_t)g * Dq;
            if (c->qk_norm) titan_rmsnorm(kg, kg, NULL, Dq, c->norm_eps);
            size_t at = (size_t)(j->slot * G + g) * ctx_len + p;
            memcpy(j->s->k + at * Dq, kg, (size_t)Dq * sizeof *kg);
            memcpy(j->s->v + at * Dv, v + (size_t)g * Dv, (size_t)Dv * sizeof *v);
        }
        for (int i = 0; i < H; i++) {
            float *qi = q + (size_t)i * Dq, f = scale;
            if (c->qk_norm) titan_rmsnorm(qi, qi, NULL, Dq, c->norm_eps);
            if (b->q_gain) f = b->q_gain[i] * scale;
            float *dst = m->qg + (((size_t)(i / hg) * n + t) * hg + i % hg) * Dq;
            for (int d = 0; d < Dq; d++) dst[d] = qi[d] * f;
        }
    }
}

void titan_attention_kv(titan_model *m, titan_seq *s, const titan_block *b, int layer,
                        int n) {
    int slot = m->layers[layer].slot;
    kv_job job = {m, s, b, slot, n};
    project(m, b, n);
    titan_for_rows(m, n, token_rows, &job);
    titan_attention_gqa(m, s, b, slot, n);
    m->be->matmul(m->be, b->wo, m->o, m->y, n);
}
