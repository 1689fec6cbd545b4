/* xenith_forward.c: the trainable Xenith model's forward pass and training
 * loss (SPEC section 9 "Forward pass", "Training loss"), segment by segment:
 * each segment runs through all L layers, and a layer's attention reads the
 * keys of every earlier position, kept in that layer's [T, ...] buffers,
 * and (a reading layer) the LTM's keys of the summaries before it. */
#include "tools/train/op_xenith_attention.h"
#include "tools/train/train_ops.h"
#include "tools/train/xenith_model.h"

#include "tools/cli/cli.h"

#include <string.h>

TR(xattn_shape) TR(xattn_shape_of)(const TR(xmodel) * m, int l, int s) {
    const titan_config *c = &m->cfg;
    return (TR(xattn_shape)){.H = c->n_heads,
                             .G = c->n_kv_heads,
                             .Dh = c->head_dim,
                             .window = m->layer[l].window,
                             .n_global = c->n_global_tokens,
                             .n_mem = m->layer[l].reads ? TR(xmem_rows)(m, s) : 0,
                             .P = m->layer[l].P};
}

TR(xattn_view) TR(xattn_at)(const TR(xmodel) * m, int l, int s, TR(xattn_view) v) {
    const titan_config *c = &m->cfg;
    size_t row = (size_t)s * c->mem_slots - (size_t)TR(xmem_rows)(m, s);
    size_t at = m->layer[l].reads ? row * c->n_kv_heads * c->head_dim : 0;
    if (v.mk) v.mk += at;
    if (v.mv) v.mv += at;
    return v;
}

/* u1 -> q, k (rotated), v -> o -> h_mid = h_in + wo o, rows [t0, t1) of
 * segment s. */
static void attn_forward(const TR(xmodel) * m, const TR(params) * w, TR(xlayer_acts) * la,
                         int l, int s, int t0, int t1) {
    const titan_config *c = &m->cfg;
    const TR(xlayer) *x = &m->layer[l];
    int n = t1 - t0, D = c->d_model, Dh = c->head_dim, half = Dh / 2;
    size_t qw = (size_t)c->n_heads * Dh, kw = (size_t)c->n_kv_heads * Dh;
    size_t r = m->r, o0 = (size_t)t0 * D;
    real *q = la->q + t0 * qw, *k = la->k + t0 * kw, *v = la->v + t0 * kw;
    const real *u = la->u1 + o0;
    TR(xlin_forward)(m, w, &x->wq, q, la->xs[XS_Q] + t0 * r, u, n);
    TR(xlin_forward)(m, w, &x->wk, k, la->xs[XS_K] + t0 * r, u, n);
    TR(xlin_forward)(m, w, &x->wv, v, la->xs[XS_V] + t0 * r, u, n);
    if (x->reads) memcpy(la->qm + t0 * qw, q, sizeof(real) * n * qw);
    const real *cs = m->rope_cos + (size_t)t0 * half,
               *sn = m->rope_sin + (size_t)t0 * half;
    TR(rope_forward)(q, n, qw, c->n_heads, Dh, Dh, cs, sn);
    TR(rope_forward)(k, n, kw, c->n_kv_heads, Dh, Dh, cs, sn);
    TR(xattn_shape) sh = TR(xattn_shape_of)(m, l, s);
    TR(xattn_view) view = {la->q, la->k, la->v, la->qm, la->mk, la->mv};
    view = TR(xattn_at)(m, l, s, view);
    TR(xattn_forward)(la->o, la->probs, &sh, &view, t0, t1);
    real *hm = la->h_mid + o0;
    TR(xlin_forward)(m, w, &x->wo, hm, la->xs[XS_O] + t0 * r, la->o + t0 * qw, n);
    for (size_t i = 0; i < (size_t)n * D; i++) hm[i] += la->h_in[o0 + i];
}

/* out = h_mid + w_down (SiLU(w_gate u2) * w_up u2), rows [t0, t1). */
static void ffn_forward(const TR(xmodel) * m, const TR(params) * w, TR(xlayer_acts) * la,
                        int l, int t0, int t1, real *out) {
    const titan_config *c = &m->cfg;
    const TR(xlayer) *x = &m->layer[l];
    int n = t1 - t0, D = c->d_model;
    size_t F = c->mlp_hidden, r = m->r, o0 = (size_t)t0 * D;
    real *ag = la->ag + t0 * F, *up = la->up + t0 * F, *mm = la->m + t0 * F;
    const real *u = la->u2 + o0;
    TR(xlin_forward)(m, w, &x->gate, ag, la->xs[XS_GATE] + t0 * r, u, n);
    TR(xlin_forward)(m, w, &x->up, up, la->xs[XS_UP] + t0 * r, u, n);
    TR(swiglu_forward)(mm, ag, up, (size_t)n * F);
    TR(xlin_forward)(m, w, &x->down, out + o0, la->xs[XS_DOWN] + t0 * r, mm, n);
    for (size_t i = 0; i < (size_t)n * D; i++) out[o0 + i] += la->h_mid[o0 + i];
}

real *TR(xmoe_acts)(const TR(xmodel) * m, const TR(xlayer_acts) * la, int s) {
    return la->moe + (size_t)s * TR(moe_acts_size)(m->seg, &m->cfg);
}

/* The MoE layer on rows [t0, t1) of segment s (its own acts; la->st counts
 * the whole stream). */
static void moe_ffn_forward(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                            int l, int s, int t0, int t1, real *out) {
    TR(xlayer_acts) *la = &a->layer[l];
    int D = m->cfg.d_model;
    size_t o0 = (size_t)t0 * D;
    TR(moe_weights) mw;
    TR(xmoe_view)(&mw, m, w, false, l, a->ex);
    TR(moe_forward)
    (out + o0, &la->st, la->u2 + o0, &mw, TR(xmoe_acts)(m, la, s), a->moe_scratch,
     t1 - t0, &m->cfg);
    for (size_t i = 0; i < (size_t)(t1 - t0) * D; i++) out[o0 + i] += la->h_mid[o0 + i];
}

static real *layer_out(TR(xacts) * a, const TR(xmodel) * m, int l) {
    return l + 1 < m->L ? a->layer[l + 1].h_in : a->h_out;
}

static void layer_forward(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                          int l, int s, int t0, int t1) {
    const titan_config *c = &m->cfg;
    TR(xlayer_acts) *la = &a->layer[l];
    int D = c->d_model, n = t1 - t0;
    size_t o0 = (size_t)t0 * D;
    TR(rmsnorm_forward)
    (la->u1 + o0, la->rstd1 + t0, la->h_in + o0, w->tensor[m->layer[l].attn_norm], n, D,
     c->norm_eps);
    attn_forward(m, w, la, l, s, t0, t1);
    TR(rmsnorm_forward)
    (la->u2 + o0, la->rstd2 + t0, la->h_mid + o0, w->tensor[m->layer[l].ffn_norm], n, D,
     c->norm_eps);
    if (m->layer[l].moe)
        moe_ffn_forward(m, w, a, l, s, t0, t1, layer_out(a, m, l));
    else
        ffn_forward(m, w, la, l, t0, t1, layer_out(a, m, l));
}

/* Segment length: S, or the whole sequence without memory. */
static int segment(const TR(xmodel) * m, int T) {
    return m->cfg.stm_tokens > 0 ? m->cfg.stm_tokens : T;
}

/* Segment s's rows [t0, t1) through every layer; then, when a segment
 * follows, its summary into the LTM (SPEC steps 2a-2c). */
void TR(xforward)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                  const int *ids, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, S = segment(m, T);
    TR(embed_forward)(a->layer[0].h_in, w->tensor[m->tok_emb], ids, T, D);
    for (int l = 0; l < m->L; l++)
        if (m->layer[l].moe) TR(moe_stats_reset)(&a->layer[l].st, c->moe_experts);
    for (int s = 0, t0 = 0; t0 < T; s++, t0 += S) {
        int t1 = t0 + S < T ? t0 + S : T;
        for (int l = 0; l < m->L; l++) layer_forward(m, w, a, l, s, t0, t1);
        if (t1 < T && c->stm_tokens > 0) TR(xmem_forward)(m, w, a, s, t0);
    }
    TR(rmsnorm_forward)
    (a->z, a->rstd_f, a->h_out, w->tensor[m->final_norm], T, D, c->norm_eps);
}

/* The head's matrix: tok_emb, lm_head, or lm_head + s B A (an adapter). */
static const real *head_matrix(const TR(xmodel) * m, const TR(params) * w,
                               TR(xacts) * a) {
    const titan_config *c = &m->cfg;
    if (m->head.w < 0) return w->tensor[m->tok_emb];
    if (m->head.a < 0) return w->tensor[m->head.w];
    size_t V = c->vocab_size, D = c->d_model;
    const real *X = w->tensor[m->head.w], *A = w->tensor[m->head.a];
    const real *B = w->tensor[m->head.b];
    for (size_t v = 0; v < V; v++)
        for (size_t d = 0; d < D; d++) {
            double s = 0;
            for (int j = 0; j < m->r; j++) s += (double)B[v * m->r + j] * A[j * D + d];
            a->head[v * D + d] = X[v * D + d] + (real)(m->lora_s * s);
        }
    return a->head;
}

/* The merged head's gradient into lm_head, lora_A and lora_B. */
static void head_matrix_backward(const TR(xmodel) * m, const TR(params) * w,
                                 TR(xacts) * a, TR(params) * g) {
    const titan_config *c = &m->cfg;
    int V = c->vocab_size, D = c->d_model;
    size_t n = (size_t)V * D;
    real *dX = TR(xgrad)(m, g, m->head.w), *dA = TR(xgrad)(m, g, m->head.a);
    real *dB = TR(xgrad)(m, g, m->head.b);
    if (dX)
        for (size_t i = 0; i < n; i++) dX[i] += a->dhead[i];
    for (size_t i = 0; i < n; i++) a->dhead[i] *= (real)m->lora_s;
    if (dB) TR(matmul_acc_forward)(dB, a->dhead, w->tensor[m->head.a], V, D, m->r);
    if (dA) TR(matmul_acc_dw)(dA, w->tensor[m->head.b], a->dhead, V, D, m->r);
}

/* mean_{t < T-1} CE(logits_t, ids[t+1]); with grads, a->dz = scale dL/dz. */
double TR(xhead_loss)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                      const int *ids, int T, double scale, TR(params) * grads) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, V = c->vocab_size, n = T - 1;
    const real *W = head_matrix(m, w, a);
    real *dW = NULL;
    if (grads) {
        real_zero(a->dz, (size_t)T * D);
        if (m->head.a >= 0)
            real_zero(dW = a->dhead, (size_t)V * D);
        else
            dW = TR(xgrad)(m, grads, m->head.w < 0 ? m->tok_emb : m->head.w);
        if (!dW) dW = a->dhead; /* frozen: a sink */
    }
    double sum = 0;
    for (int t0 = 0; t0 < n; t0 += TRAIN_HEAD_CHUNK) {
        int rows = n - t0 < TRAIN_HEAD_CHUNK ? n - t0 : TRAIN_HEAD_CHUNK;
        sum += TR(head_ce)(a->logits, a->z + (size_t)t0 * D, W, ids + t0 + 1, rows, D, V,
                           c->logit_softcap, scale / n,
                           grads ? a->dz + (size_t)t0 * D : NULL, dW, NULL);
    }
    if (grads && m->head.a >= 0) head_matrix_backward(m, w, a, grads);
    return n > 0 ? sum / n : 0;
}

/* a->ce = the CE term; a->l_bal, a->l_z the means over MoE layers; returns
 * SPEC's L. */
static double total(const TR(xmodel) * m, TR(xacts) * a, double ce) {
    int n = 0;
    a->ce = ce, a->l_bal = a->l_z = 0;
    for (int l = 0; l < m->L; l++)
        if (m->layer[l].moe) {
            a->l_bal += a->layer[l].st.l_bal;
            a->l_z += a->layer[l].st.l_z;
            n++;
        }
    if (n) a->l_bal /= n, a->l_z /= n;
    return ce + m->cfg.moe_aux_weight * a->l_bal + m->cfg.moe_zloss_weight * a->l_z;
}

double TR(xloss)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                 const int *ids, int T, double *ce) {
    TR(xforward)(m, w, a, ids, T);
    double l = total(m, a, TR(xhead_loss)(m, w, a, ids, T, 0, NULL));
    if (ce) *ce = a->ce;
    return l;
}

double TR(xnll)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a, const int *ids,
                int T, double *nll) {
    const titan_config *c = &m->cfg;
    int D = c->d_model;
    TR(xforward)(m, w, a, ids, T);
    const real *W = head_matrix(m, w, a);
    double sum = 0;
    for (int t0 = 0; t0 < T - 1; t0 += TRAIN_HEAD_CHUNK) {
        int rows = T - 1 - t0 < TRAIN_HEAD_CHUNK ? T - 1 - t0 : TRAIN_HEAD_CHUNK;
        sum += TR(head_ce)(a->logits, a->z + (size_t)t0 * D, W, ids + t0 + 1, rows, D,
                           c->vocab_size, c->logit_softcap, 0, NULL, NULL, nll + t0);
    }
    return sum;
}

double TR(xloss_grad)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                      const int *ids, int T, double scale, TR(params) * grads,
                      double *ce) {
    double t0 = cli_now();
    TR(xforward)(m, w, a, ids, T);
    double l = total(m, a, TR(xhead_loss)(m, w, a, ids, T, scale, grads));
    double t1 = cli_now();
    a->fwd_s += t1 - t0;
    TR(xbackward)(m, w, a, ids, T, scale, grads);
    a->bwd_s += cli_now() - t1;
    if (ce) *ce = a->ce;
    return l;
}
