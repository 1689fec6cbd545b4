/* xenith_backward.c: the trainable Xenith model's backward pass, the
 * forward's segments and layers in reverse. Each layer's key and value
 * gradients cover the whole sequence: a segment's queries add into earlier
 * segments' keys, and into the memory keys of earlier summaries, before
 * those segments are reached. */
#include "tools/train/op_xenith_attention.h"
#include "tools/train/train_ops.h"
#include "tools/train/xenith_model.h"

/* A norm's gain gradient, or the sink when frozen. */
static real *norm_grad(const TR(xmodel) * m, TR(params) * g, TR(xacts) * a, int i) {
    real *d = TR(xgrad)(m, g, i);
    return d ? d : a->dn;
}

/* dh rows [t0, t1): in, d(layer output); out, d h_mid. */
static void ffn_backward(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                         TR(params) * g, int l, int t0, int t1) {
    const titan_config *c = &m->cfg;
    const TR(xlayer) *x = &m->layer[l];
    const TR(xlayer_acts) *la = &a->layer[l];
    int n = t1 - t0, D = c->d_model;
    size_t F = c->mlp_hidden, r = m->r, o0 = (size_t)t0 * D, nF = (size_t)n * F;
    real *dh = a->dh + o0, *du = a->du + o0;
    real_zero(a->dm, nF);
    TR(xlin_backward)
    (m, w, g, &x->down, a->dm, a->dxs, dh, la->m + t0 * F, la->xs[XS_DOWN] + t0 * r, n);
    TR(swiglu_backward)(a->dag, a->dup, a->dm, la->ag + t0 * F, la->up + t0 * F, nF);
    real_zero(du, (size_t)n * D);
    const real *u = la->u2 + o0;
    TR(xlin_backward)
    (m, w, g, &x->gate, du, a->dxs, a->dag, u, la->xs[XS_GATE] + t0 * r, n);
    TR(xlin_backward)(m, w, g, &x->up, du, a->dxs, a->dup, u, la->xs[XS_UP] + t0 * r, n);
    TR(rmsnorm_backward)
    (dh, norm_grad(m, g, a, x->ffn_norm), du, la->h_mid + o0, w->tensor[x->ffn_norm],
     la->rstd2 + t0, n, D);
}

/* The MoE layer's: dh rows [t0, t1) in, d(layer output); out, d h_mid.
 * L_bal and L_z enter with weights scale alpha / n_moe, scale beta / n_moe. */
static void moe_ffn_backward(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                             TR(params) * g, int l, int s, int t0, int t1, double scale) {
    const titan_config *c = &m->cfg;
    const TR(xlayer) *x = &m->layer[l];
    const TR(xlayer_acts) *la = &a->layer[l];
    int n = t1 - t0, D = c->d_model, n_moe = m->L - c->moe_dense_layers;
    size_t o0 = (size_t)t0 * D;
    TR(swiglu_weights) *ex = a->ex, *dex = a->ex + c->moe_experts;
    TR(moe_weights) mw, dw;
    TR(xmoe_view)(&mw, m, w, false, l, ex);
    TR(xmoe_view)(&dw, m, g, true, l, dex);
    real_zero(a->du + o0, (size_t)n * D);
    TR(moe_backward)
    (a->du + o0, &dw, a->dh + o0, scale * c->moe_aux_weight / n_moe,
     scale * c->moe_zloss_weight / n_moe, &la->st, la->u2 + o0, &mw,
     TR(xmoe_acts)(m, la, s), a->moe_scratch, n, c);
    TR(rmsnorm_backward)
    (a->dh + o0, norm_grad(m, g, a, x->ffn_norm), a->du + o0, la->h_mid + o0,
     w->tensor[x->ffn_norm], la->rstd2 + t0, n, D);
}

/* dh rows [t0, t1) of segment s: in, d h_mid; out, d h_in. */
static void attn_backward(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                          TR(params) * g, int l, int s, int t0, int t1) {
    const titan_config *c = &m->cfg;
    const TR(xlayer) *x = &m->layer[l];
    const TR(xlayer_acts) *la = &a->layer[l];
    int n = t1 - t0, D = c->d_model, Dh = c->head_dim, half = Dh / 2;
    size_t qw = (size_t)c->n_heads * Dh, kw = (size_t)c->n_kv_heads * Dh;
    size_t r = m->r, o0 = (size_t)t0 * D;
    real *dh = a->dh + o0, *du = a->du + o0;
    real_zero(a->do_ + t0 * qw, (size_t)n * qw);
    TR(xlin_backward)
    (m, w, g, &x->wo, a->do_ + t0 * qw, a->dxs, dh, la->o + t0 * qw,
     la->xs[XS_O] + t0 * r, n);
    real_zero(a->dq + t0 * qw, (size_t)n * qw);
    if (x->reads) real_zero(a->dqm + t0 * qw, (size_t)n * qw);
    TR(xattn_shape) sh = TR(xattn_shape_of)(m, l, s);
    TR(xattn_view) view = {la->q, la->k, la->v, la->qm, la->mk, la->mv};
    TR(xattn_view) dview = {a->dq, la->dk, la->dv, a->dqm, la->dmk, la->dmv};
    view = TR(xattn_at)(m, l, s, view), dview = TR(xattn_at)(m, l, s, dview);
    TR(xattn_backward)(&dview, a->do_, la->probs, &sh, &view, t0, t1);
    real *dq = a->dq + t0 * qw, *dk = la->dk + t0 * kw, *dv = la->dv + t0 * kw;
    const real *cs = m->rope_cos + (size_t)t0 * half,
               *sn = m->rope_sin + (size_t)t0 * half;
    TR(rope_backward)(dq, n, qw, c->n_heads, Dh, Dh, cs, sn);
    TR(rope_backward)(dk, n, kw, c->n_kv_heads, Dh, Dh, cs, sn);
    for (size_t i = 0; x->reads && i < (size_t)n * qw; i++) dq[i] += a->dqm[t0 * qw + i];
    real_zero(du, (size_t)n * D);
    const real *u = la->u1 + o0;
    TR(xlin_backward)(m, w, g, &x->wq, du, a->dxs, dq, u, la->xs[XS_Q] + t0 * r, n);
    TR(xlin_backward)(m, w, g, &x->wk, du, a->dxs, dk, u, la->xs[XS_K] + t0 * r, n);
    TR(xlin_backward)(m, w, g, &x->wv, du, a->dxs, dv, u, la->xs[XS_V] + t0 * r, n);
    TR(rmsnorm_backward)
    (dh, norm_grad(m, g, a, x->attn_norm), du, la->h_in + o0, w->tensor[x->attn_norm],
     la->rstd1 + t0, n, D);
}

void TR(xbackward)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                   const int *ids, int T, double scale, TR(params) * grads) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, S = c->stm_tokens > 0 ? c->stm_tokens : T;
    size_t kw = (size_t)c->n_kv_heads * c->head_dim;
    real_zero(a->dh, (size_t)T * D);
    TR(rmsnorm_backward)
    (a->dh, norm_grad(m, grads, a, m->final_norm), a->dz, a->h_out,
     w->tensor[m->final_norm], a->rstd_f, T, D);
    size_t nY = (size_t)(T - 1) / S * c->mem_slots;
    for (int l = 0; l < m->L; l++) {
        TR(xlayer_acts) *la = &a->layer[l];
        real_zero(la->dk, (size_t)T * kw);
        real_zero(la->dv, (size_t)T * kw);
        if (m->layer[l].reads) real_zero(la->dmk, nY * kw), real_zero(la->dmv, nY * kw);
    }
    for (int s = (T - 1) / S, t0 = s * S; t0 >= 0; s--, t0 -= S) {
        int t1 = t0 + S < T ? t0 + S : T;
        if (t1 < T && c->stm_tokens > 0) TR(xmem_backward)(m, w, a, grads, s, t0);
        for (int l = m->L - 1; l >= 0; l--) {
            if (m->layer[l].moe)
                moe_ffn_backward(m, w, a, grads, l, s, t0, t1, scale);
            else
                ffn_backward(m, w, a, grads, l, t0, t1);
            attn_backward(m, w, a, grads, l, s, t0, t1);
        }
    }
    real *demb = TR(xgrad)(m, grads, m->tok_emb);
    if (demb) TR(embed_backward)(demb, a->dh, ids, T, D);
}
