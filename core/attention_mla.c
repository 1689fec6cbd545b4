/* attention_mla.c: multi-head latent attention, absorbed form. Keys and values
 * are never expanded: for head i of group g, k_g(j) = Wk_g c_j and
 * v_g(j) = Wv_g c_j, so qn_i . k_g(j) = (Wk_g^T qn_i) . c_j and
 * o_i = Wv_g (sum_j p_j c_j). The cache holds only c (Lkv) and kr (Dr). */
#include "core/model.h"

#include <math.h>
#include <string.h>

/* Write c = RMSNorm(a[0:Lkv]) and kr = Rope(a[Lkv:]) of row t to the cache. */
static void append_latent(titan_model *m, titan_seq *s, const titan_block *b,
                          int layer, int t) {
    const titan_config *c = &m->cfg;
    int Lkv = c->kv_latent, Dr = c->rope_dim, p = s->pos + t;
    const float *a = m->kva + (size_t)t * (Lkv + Dr);
    float *lat = s->lat + ((size_t)layer * m->ctx + p) * Lkv;
    float *kr = s->kr + ((size_t)layer * m->ctx + p) * Dr;
    titan_rmsnorm(lat, a, b->kv_norm, Lkv, c->norm_eps);
    memcpy(kr, a + Lkv, (size_t)Dr * sizeof *kr);
    titan_rope_rotate(kr, m->rope + (size_t)t * Dr, Dr / 2);
}

/* o[Dv] = head output for query (qn [Dh], qr [Dr] rotated) at position p
 * against cache positions 0..p, keys/values of group g. */
static void attend_head(titan_model *m, const titan_seq *s,
                        const titan_block *b, int layer, int g,
                        const float *qn, const float *qr, int p, float *o) {
    const titan_config *c = &m->cfg;
    int Dh = c->head_dim, Dv = c->v_head_dim, Dr = c->rope_dim;
    int Lkv = c->kv_latent;
    float scale = (float)(m->mscale * m->mscale / sqrt(Dh + Dr));
    const float *wk = b->wkv_b + (size_t)g * (Dh + Dv) * Lkv; /* [Dh][Lkv] */
    const float *wv = wk + (size_t)Dh * Lkv;                  /* [Dv][Lkv] */
    const float *lat = s->lat + (size_t)layer * m->ctx * Lkv;
    const float *kr = s->kr + (size_t)layer * m->ctx * Dr;
    float *ql = m->qlat, *ol = m->olat, *att = m->att;
    memset(ql, 0, (size_t)Lkv * sizeof *ql);
    for (int d = 0; d < Dh; d++) titan_vec_axpy(ql, wk + (size_t)d * Lkv, qn[d], Lkv);
    for (int j = 0; j <= p; j++)
        att[j] = (titan_vec_dot(ql, lat + (size_t)j * Lkv, Lkv) +
                  titan_vec_dot(qr, kr + (size_t)j * Dr, Dr)) * scale;
    titan_softmax(att, p + 1);
    memset(ol, 0, (size_t)Lkv * sizeof *ol);
    for (int j = 0; j <= p; j++) titan_vec_axpy(ol, lat + (size_t)j * Lkv, att[j], Lkv);
    for (int e = 0; e < Dv; e++) o[e] = titan_vec_dot(wv + (size_t)e * Lkv, ol, Lkv);
}

void titan_attention_mla(titan_model *m, titan_seq *s, const titan_block *b,
                           int layer, int n) {
    const titan_config *c = &m->cfg;
    titan_backend *be = m->be;
    int D = c->d_model, H = c->n_heads, G = c->n_kv_heads;
    int Dh = c->head_dim, Dv = c->v_head_dim, Dr = c->rope_dim;
    int qw = Dh + Dr;
    for (int t = 0; t < n; t++)
        titan_rmsnorm(m->u + (size_t)t * D, m->h + (size_t)t * D,
                        b->attn_norm, D, c->norm_eps);
    if (b->wq_a) {
        int Lq = c->q_latent;
        be->matmul(be, b->wq_a, m->u, m->cq, n);
        for (int t = 0; t < n; t++)
            titan_rmsnorm(m->cq + (size_t)t * Lq, m->cq + (size_t)t * Lq,
                            b->q_norm, Lq, c->norm_eps);
        be->matmul(be, b->wq_b, m->cq, m->q, n);
    } else {
        be->matmul(be, b->wq_b, m->u, m->q, n);
    }
    be->matmul(be, b->wkv_a, m->u, m->kva, n);
    for (int t = 0; t < n; t++) append_latent(m, s, b, layer, t);
    for (int t = 0; t < n; t++) {
        for (int i = 0; i < H; i++) {
            float *qi = m->q + ((size_t)t * H + i) * qw;
            titan_rope_rotate(qi + Dh, m->rope + (size_t)t * Dr, Dr / 2);
            attend_head(m, s, b, layer, i / (H / G), qi, qi + Dh, s->pos + t,
                        m->o + ((size_t)t * H + i) * Dv);
        }
    }
    be->matmul(be, b->wo, m->o, m->y, n);
    titan_vec_add(m->h, m->y, n * D);
}
