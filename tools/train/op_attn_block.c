/* op_attn_block.c: attention block b of SPEC section 8, a mixer (section
 * 1's MLA when every option is off): projections (mla or gqa), value_embed,
 * qk_norm, q_gain, softmax attention with an optional zero-value sink, XSA,
 * wo; forward and backward. Gated DeltaNet blocks' mixer is op_gdn.c
 * (train_model.c dispatches). */
#include "tools/train/train_model.h"
#include "tools/train/train_ops.h"

static TR(attn_shape) shape_of(const TR(model) * m, const TR(block) * w, int T) {
    const titan_config *c = &m->cfg;
    bool gqa = c->attention == TITAN_ATTENTION_GQA;
    return (TR(attn_shape)){.T = T,
                            .H = c->n_heads,
                            .G = c->n_kv_heads,
                            .Dq = m->Dq,
                            .Dv = c->v_head_dim,
                            .k_len = gqa || c->qk_norm ? m->Dq : c->head_dim,
                            .scale = m->attn_scale,
                            .k_sink = w->k_sink,
                            .sink_logit = w->sink_logit};
}

/* The projections' view: q [T, H*Dq]; k and v from la->k / la->v (gqa) or
 * la->kv and la->kr (mla); with qk_norm k is la->k, [kn_g | kr] for mla. */
static TR(attn_view)
    view_of(const TR(model) * m, real *q, real *k, real *kv, real *kr, real *v) {
    const titan_config *c = &m->cfg;
    size_t H = c->n_heads, G = c->n_kv_heads, Dq = m->Dq, Dv = c->v_head_dim;
    size_t Dh = c->head_dim, kvrow = G * (Dh + Dv);
    TR(attn_view) x = {.q = q, .q_row = H * Dq, .q_step = Dq};
    if (c->attention == TITAN_ATTENTION_GQA) {
        x.v = v, x.v_row = G * Dv, x.v_step = Dv;
    } else {
        x.v = kv + Dh, x.v_row = kvrow, x.v_step = Dh + Dv;
    }
    if (c->attention == TITAN_ATTENTION_GQA || c->qk_norm) {
        x.k = x.k2 = k, x.k_row = x.k2_row = G * Dq, x.k_step = x.k2_step = Dq;
    } else {
        x.k = kv, x.k_row = kvrow, x.k_step = Dh + Dv;
        x.k2 = kr, x.k2_row = (size_t)c->rope_dim, x.k2_step = 0;
    }
    return x;
}

/* [kn_g | kr] of every group into k [T, G*Dq] (mla with qk_norm). */
static void mla_keys(const TR(model) * m, real *k, const real *kv, const real *kr,
                     int T) {
    const titan_config *c = &m->cfg;
    int G = c->n_kv_heads, Dh = c->head_dim, Dr = c->rope_dim, Dv = c->v_head_dim;
    for (int t = 0; t < T; t++)
        for (int g = 0; g < G; g++) {
            real *kt = k + ((size_t)t * G + g) * m->Dq;
            memcpy(kt, kv + ((size_t)t * G + g) * (Dh + Dv), sizeof(real) * Dh);
            memcpy(kt + Dh, kr + (size_t)t * Dr, sizeof(real) * Dr);
        }
}

/* And back: dk [T, G*Dq] into dkv's keys and dkr (summed over groups). */
static void mla_keys_backward(const TR(model) * m, real *dkv, real *dkr, const real *dk,
                              int T) {
    const titan_config *c = &m->cfg;
    int G = c->n_kv_heads, Dh = c->head_dim, Dr = c->rope_dim, Dv = c->v_head_dim;
    for (int t = 0; t < T; t++)
        for (int g = 0; g < G; g++) {
            const real *gk = dk + ((size_t)t * G + g) * m->Dq;
            real *k = dkv + ((size_t)t * G + g) * (Dh + Dv), *r = dkr + (size_t)t * Dr;
            for (int i = 0; i < Dh; i++) k[i] += gk[i];
            for (int i = 0; i < Dr; i++) r[i] += gk[Dh + i];
        }
}

/* v_g(t) += s * ve_t[g*Dv : (g+1)*Dv] on the view's values. */
static void add_value_embed(const TR(attn_view) * x, const TR(attn_shape) * sh,
                            const real *ve, real s) {
    for (int t = 0; t < sh->T; t++)
        for (int g = 0; g < sh->G; g++) {
            real *v = x->v + t * x->v_row + (size_t)g * x->v_step;
            const real *e = ve + ((size_t)t * sh->G + g) * sh->Dv;
            for (int i = 0; i < sh->Dv; i++) v[i] += s * e[i];
        }
}

/* ds += sum dv . ve; dve += s * dv. */
static void value_embed_backward(real *dve, real *ds, const TR(attn_view) * d,
                                 const TR(attn_shape) * sh, const real *ve, real s) {
    double sum = 0;
    for (int t = 0; t < sh->T; t++)
        for (int g = 0; g < sh->G; g++) {
            const real *dv = d->v + t * d->v_row + (size_t)g * d->v_step;
            size_t at = ((size_t)t * sh->G + g) * sh->Dv;
            for (int i = 0; i < sh->Dv; i++) {
                sum += (double)dv[i] * ve[at + i];
                dve[at + i] += s * dv[i];
            }
        }
    *ds += (real)sum;
}

/* out[t, h] = gain[h] * q[t, h] for T*H vectors of Dq. */
static void gain_forward(real *out, const real *q, const real *gain, int T, int H,
                         int Dq) {
    for (size_t r = 0; r < (size_t)T * H; r++)
        for (int i = 0; i < Dq; i++) out[r * Dq + i] = gain[r % H] * q[r * Dq + i];
}

/* dgain[h] += sum dout . q; dq = gain * dout (written; may alias dout). */
static void gain_backward(real *dq, real *dgain, const real *dout, const real *q,
                          const real *gain, int T, int H, int Dq) {
    for (size_t r = 0; r < (size_t)T * H; r++) {
        double d = 0;
        for (int i = 0; i < Dq; i++) {
            d += (double)dout[r * Dq + i] * q[r * Dq + i];
            dq[r * Dq + i] = gain[r % H] * dout[r * Dq + i];
        }
        dgain[r % H] += (real)d;
    }
}

void TR(attn_block_forward)(const TR(model) * m, int b, const TR(block) * w,
                            TR(layer_acts) * la, const real *ve, real *y, int T) {
    const titan_config *c = &m->cfg;
    int H = c->n_heads, G = c->n_kv_heads, Dq = m->Dq, HDv = H * c->v_head_dim;
    bool gqa = c->attention == TITAN_ATTENTION_GQA;
    if (gqa)
        TR(gqa_qkv_forward)(m, w, la, T);
    else
        TR(mla_qkv_forward)(m, w, la, T);
    TR(attn_shape) sh = shape_of(m, w, T);
    TR(attn_view) x = view_of(m, la->q, la->k, la->kv, la->kr, la->v);
    if (m->ve[b]) add_value_embed(&x, &sh, ve, w->ve_scale[0]);
    if (c->qk_norm) {
        if (!gqa) mla_keys(m, la->k, la->kv, la->kr, T);
        TR(rmsnorm0_forward)(la->qn, la->rstd_qh, la->q, T * H, Dq, c->norm_eps);
        TR(rmsnorm0_forward)(la->kn, la->rstd_kh, la->k, T * G, Dq, c->norm_eps);
        x.q = la->qn, x.k = x.k2 = la->kn;
    }
    if (c->q_gain) {
        gain_forward(la->qg, x.q, w->q_gain, T, H, Dq);
        x.q = la->qg;
    }
    TR(attention_forward)(la->o, la->probs, la->psink, &sh, &x, la->att_scratch);
    const real *o = la->o;
    if (m->xsa[b]) {
        TR(xsa_forward)(la->ox, la->o, &sh, &x);
        o = la->ox;
    }
    TR(matmul_forward)(y, o, w->wo, T, HDv, c->d_model);
}

void TR(attn_block_backward)(const TR(model) * m, int b, const TR(block) * w,
                             const TR(layer_acts) * la, TR(layer_grads) * g,
                             const real *dy, const real *ve, real *dve, TR(block) * dw,
                             int T) {
    const titan_config *c = &m->cfg;
    int H = c->n_heads, G = c->n_kv_heads, Dq = m->Dq, HDv = H * c->v_head_dim;
    bool gqa = c->attention == TITAN_ATTENTION_GQA, q_extra = c->qk_norm || c->q_gain;
    real_zero(g->dout, (size_t)T * HDv);
    TR(matmul_backward)
    (g->dout, dw->wo, dy, m->xsa[b] ? la->ox : la->o, w->wo, T, HDv, c->d_model);
    TR(attn_shape) sh = shape_of(m, w, T);
    /* Values the attention saw, and where their gradients go. */
    TR(attn_view) x = view_of(m, la->q, la->k, la->kv, la->kr, la->v);
    TR(attn_view)
    d = view_of(m, q_extra ? g->dq2 : g->dq, c->qk_norm ? g->dk2 : g->dk, g->dkv, g->dkr,
                g->dv);
    if (c->qk_norm) x.q = la->qn, x.k = x.k2 = la->kn;
    if (c->q_gain) x.q = la->qg;
    real_zero(d.q, (size_t)T * H * Dq);
    if (gqa) {
        real_zero(d.k, (size_t)T * G * Dq);
        real_zero(g->dv, (size_t)T * G * c->v_head_dim);
    } else {
        real_zero(g->dkv, (size_t)T * G * (c->head_dim + c->v_head_dim));
        real_zero(g->dkr, (size_t)T * c->rope_dim);
        if (c->qk_norm) real_zero(d.k, (size_t)T * G * Dq);
    }
    const real *dout = g->dout;
    if (m->xsa[b]) {
        TR(xsa_backward)(g->dox, &d, g->dout, la->o, &sh, &x);
        dout = g->dox;
    }
    TR(attention_backward)
    (&d, dw->k_sink, dw->sink_logit, dout, la->probs, la->psink, &sh, &x, g->att_scratch);
    if (c->q_gain)
        gain_backward(d.q, dw->q_gain, d.q, c->qk_norm ? la->qn : la->q, w->q_gain, T, H,
                      Dq);
    if (c->qk_norm) {
        real_zero(g->dq, (size_t)T * H * Dq);
        TR(rmsnorm0_backward)(g->dq, d.q, la->q, la->rstd_qh, T * H, Dq);
        real_zero(g->dk, (size_t)T * G * Dq);
        TR(rmsnorm0_backward)(g->dk, d.k, la->k, la->rstd_kh, T * G, Dq);
        if (!gqa) mla_keys_backward(m, g->dkv, g->dkr, g->dk, T);
    } else if (c->q_gain) {
        memcpy(g->dq, d.q, sizeof(real) * (size_t)T * H * Dq);
    }
    if (m->ve[b]) value_embed_backward(dve, dw->ve_scale, &d, &sh, ve, w->ve_scale[0]);
    if (gqa)
        TR(gqa_qkv_backward)(m, w, la, g, dw, T);
    else
        TR(mla_qkv_backward)(m, w, la, g, dw, T);
}
