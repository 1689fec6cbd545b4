/* op_mla.c: multi-head latent attention (SPEC section 1, Block_b first half):
 * query latent + norm (or a plain wq), kv latent + kv_norm, shared rotary key,
 * grouped causal softmax attention, output projection and residual. */
#include "tools/train/train_model.h"
#include "tools/train/train_ops.h"

#include <math.h>

static real dot(const real *a, const real *b, int n) {
    real s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static void axpy(real *y, real a, const real *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

void TR(attention_forward)(real *o, real *probs, const real *q, const real *kv,
                           const real *kr, int T, const titan_config *c,
                           double scale) {
    int H = c->n_heads, Dh = c->head_dim, Dr = c->rope_dim, Dv = c->v_head_dim;
    int qk = Dh + Dr, kvw = Dh + Dv, per_group = H / c->n_kv_heads;
    size_t qrow = (size_t)H * qk, kvrow = (size_t)c->n_kv_heads * kvw;
    for (int h = 0; h < H; h++) {
        size_t koff = (size_t)(h / per_group) * kvw;
        for (int t = 0; t < T; t++) {
            const real *qt = q + t * qrow + (size_t)h * qk;
            real *p = probs + ((size_t)h * T + t) * T;
            real mx = -INFINITY;
            for (int j = 0; j <= t; j++) {
                real s = dot(qt, kv + j * kvrow + koff, Dh) +
                         dot(qt + Dh, kr + (size_t)j * Dr, Dr);
                p[j] = s * (real)scale;
                mx = p[j] > mx ? p[j] : mx;
            }
            real sum = 0;
            for (int j = 0; j <= t; j++) sum += p[j] = (real)exp(p[j] - mx);
            real *ot = o + (size_t)t * H * Dv + (size_t)h * Dv;
            real_zero(ot, Dv);
            for (int j = 0; j <= t; j++) {
                p[j] /= sum;
                axpy(ot, p[j], kv + j * kvrow + koff + Dh, Dv);
            }
        }
    }
}

/* ds_j = p_j (dp_j - sum_i p_i dp_i), dp_j = dout . v_j. */
void TR(attention_backward)(real *dq, real *dkv, real *dkr, real *dp,
                            const real *dout, const real *probs, const real *q,
                            const real *kv, const real *kr, int T,
                            const titan_config *c, double scale) {
    int H = c->n_heads, Dh = c->head_dim, Dr = c->rope_dim, Dv = c->v_head_dim;
    int qk = Dh + Dr, kvw = Dh + Dv, per_group = H / c->n_kv_heads;
    size_t qrow = (size_t)H * qk, kvrow = (size_t)c->n_kv_heads * kvw;
    for (int h = 0; h < H; h++) {
        size_t koff = (size_t)(h / per_group) * kvw;
        for (int t = 0; t < T; t++) {
            const real *qt = q + t * qrow + (size_t)h * qk;
            real *dqt = dq + t * qrow + (size_t)h * qk;
            const real *dot_ = dout + (size_t)t * H * Dv + (size_t)h * Dv;
            const real *p = probs + ((size_t)h * T + t) * T;
            real pdp = 0;
            for (int j = 0; j <= t; j++) {
                dp[j] = dot(dot_, kv + j * kvrow + koff + Dh, Dv);
                pdp += p[j] * dp[j];
                axpy(dkv + j * kvrow + koff + Dh, p[j], dot_, Dv);
            }
            for (int j = 0; j <= t; j++) {
                real ds = p[j] * (dp[j] - pdp) * (real)scale;
                axpy(dqt, ds, kv + j * kvrow + koff, Dh);
                axpy(dqt + Dh, ds, kr + (size_t)j * Dr, Dr);
                axpy(dkv + j * kvrow + koff, ds, qt, Dh);
                axpy(dkr + (size_t)j * Dr, ds, qt + Dh, Dr);
            }
        }
    }
}

void TR(mla_forward)(const TR(train_model) *m, const TR(train_block) *w,
                     TR(train_layer_acts) *la, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, H = c->n_heads, Dr = c->rope_dim, Lq = c->q_latent;
    int Lkv = c->kv_latent, qk = c->head_dim + Dr;
    int kvw = c->n_kv_heads * (c->head_dim + c->v_head_dim);
    TR(rmsnorm_forward)(la->u1, la->rstd1, la->h_in, w->attn_norm, T, D,
                        c->norm_eps);
    if (Lq > 0) {
        TR(matmul_forward)(la->qa, la->u1, w->wq_a, T, D, Lq);
        TR(rmsnorm_forward)(la->cq, la->rstd_q, la->qa, w->q_norm, T, Lq,
                            c->norm_eps);
        TR(matmul_forward)(la->q, la->cq, w->wq_b, T, Lq, H * qk);
    } else {
        TR(matmul_forward)(la->q, la->u1, w->wq_b, T, D, H * qk);
    }
    TR(rope_forward)(la->q + c->head_dim, T, (size_t)H * qk, H, qk, Dr,
                     m->rope_cos, m->rope_sin);
    TR(matmul_forward)(la->alat, la->u1, w->wkv_a, T, D, Lkv);
    TR(matmul_forward)(la->kr, la->u1, w->wkv_a + (size_t)Lkv * D, T, D, Dr);
    TR(rope_forward)(la->kr, T, Dr, 1, 0, Dr, m->rope_cos, m->rope_sin);
    TR(rmsnorm_forward)(la->c, la->rstd_kv, la->alat, w->kv_norm, T, Lkv,
                        c->norm_eps);
    TR(matmul_forward)(la->kv, la->c, w->wkv_b, T, Lkv, kvw);
    TR(attention_forward)(la->o, la->probs, la->q, la->kv, la->kr, T, c,
                          m->attn_scale);
    TR(matmul_forward)(la->h_mid, la->o, w->wo, T, H * c->v_head_dim, D);
    for (size_t i = 0; i < (size_t)T * D; i++) la->h_mid[i] += la->h_in[i];
}

void TR(mla_backward)(const TR(train_model) *m, const TR(train_block) *w,
                      const TR(train_layer_acts) *la, TR(train_layer_grads) *g,
                      real *dh, TR(train_block) *dw, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, H = c->n_heads, Dr = c->rope_dim, Lq = c->q_latent;
    int Lkv = c->kv_latent, qk = c->head_dim + Dr, HDv = H * c->v_head_dim;
    int kvw = c->n_kv_heads * (c->head_dim + c->v_head_dim);
    real_zero(g->dout, (size_t)T * HDv);
    TR(matmul_backward)(g->dout, dw->wo, dh, la->o, w->wo, T, HDv, D);
    real_zero(g->dq, (size_t)T * H * qk);
    real_zero(g->dkv, (size_t)T * kvw);
    real_zero(g->dkr, (size_t)T * Dr);
    TR(attention_backward)(g->dq, g->dkv, g->dkr, g->dp, g->dout, la->probs,
                           la->q, la->kv, la->kr, T, c, m->attn_scale);
    TR(rope_backward)(g->dq + c->head_dim, T, (size_t)H * qk, H, qk, Dr,
                      m->rope_cos, m->rope_sin);
    TR(rope_backward)(g->dkr, T, Dr, 1, 0, Dr, m->rope_cos, m->rope_sin);
    real_zero(g->dc, (size_t)T * Lkv);
    TR(matmul_backward)(g->dc, dw->wkv_b, g->dkv, la->c, w->wkv_b, T, Lkv, kvw);
    real_zero(g->dalat, (size_t)T * Lkv);
    TR(rmsnorm_backward)(g->dalat, dw->kv_norm, g->dc, la->alat, w->kv_norm,
                         la->rstd_kv, T, Lkv);
    real_zero(g->du, (size_t)T * D);
    TR(matmul_backward)(g->du, dw->wkv_a, g->dalat, la->u1, w->wkv_a, T, D, Lkv);
    TR(matmul_backward)(g->du, dw->wkv_a + (size_t)Lkv * D, g->dkr, la->u1,
                        w->wkv_a + (size_t)Lkv * D, T, D, Dr);
    if (Lq > 0) {
        real_zero(g->dcq, (size_t)T * Lq);
        TR(matmul_backward)(g->dcq, dw->wq_b, g->dq, la->cq, w->wq_b, T, Lq,
                            H * qk);
        real_zero(g->dqa, (size_t)T * Lq);
        TR(rmsnorm_backward)(g->dqa, dw->q_norm, g->dcq, la->qa, w->q_norm,
                             la->rstd_q, T, Lq);
        TR(matmul_backward)(g->du, dw->wq_a, g->dqa, la->u1, w->wq_a, T, D, Lq);
    } else {
        TR(matmul_backward)(g->du, dw->wq_b, g->dq, la->u1, w->wq_b, T, D,
                            H * qk);
    }
    TR(rmsnorm_backward)(dh, dw->attn_norm, g->du, la->h_in, w->attn_norm,
                         la->rstd1, T, D);
}
