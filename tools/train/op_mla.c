/* op_mla.c: multi-head latent attention (SPEC section 1, Block_b first half):
 * query latent + norm (or a plain wq), kv latent + kv_norm, shared rotary key,
 * grouped causal softmax attention, output projection and residual. */
#include "tools/train/train_model.h"
#include "tools/train/train_ops.h"

#include <math.h>
#include <string.h>

/* Per-head working copies, each [T, width]: Qh = [qn | qr], Kg = [k | kr],
 * Vg, their gradients, dOh, and one [T, T] matrix. */
typedef struct {
    real *qh, *kg, *vg, *dqh, *dkg, *dvg, *doh, *tt;
} head_bufs;

size_t TR(attention_scratch_size)(int T, const titan_config *c) {
    size_t qk = (size_t)c->head_dim + c->rope_dim, dv = (size_t)c->v_head_dim;
    return (size_t)T * (4 * qk + 3 * dv) + (size_t)T * T;
}

static head_bufs carve_heads(real *s, int T, const titan_config *c) {
    size_t qk = (size_t)c->head_dim + c->rope_dim, dv = (size_t)c->v_head_dim;
    head_bufs b;
    b.qh = s;
    b.kg = b.qh + T * qk;
    b.dqh = b.kg + T * qk;
    b.dkg = b.dqh + T * qk;
    b.vg = b.dkg + T * qk;
    b.dvg = b.vg + T * dv;
    b.doh = b.dvg + T * dv;
    b.tt = b.doh + T * dv;
    return b;
}

/* dst[T, n] = the first n values of each row of src (row stride `stride`);
 * scatter_add is the way back, accumulating. */
static void gather(real *dst, const real *src, size_t stride, int T, int n) {
    for (int t = 0; t < T; t++)
        memcpy(dst + (size_t)t * n, src + t * stride, sizeof(real) * n);
}

static void scatter_add(real *dst, size_t stride, const real *src, int T, int n) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < n; i++) dst[t * stride + i] += src[(size_t)t * n + i];
}

/* Qh, Kg, Vg of head h. */
static void load_head(head_bufs *b, const real *q, const real *kv, const real *kr, int T,
                      const titan_config *c, int h) {
    int H = c->n_heads, Dh = c->head_dim, Dr = c->rope_dim, Dv = c->v_head_dim;
    int qk = Dh + Dr;
    size_t kvrow = (size_t)c->n_kv_heads * (Dh + Dv);
    size_t koff = (size_t)(h / (H / c->n_kv_heads)) * (Dh + Dv);
    gather(b->qh, q + (size_t)h * qk, (size_t)H * qk, T, qk);
    for (int t = 0; t < T; t++) {
        memcpy(b->kg + (size_t)t * qk, kv + t * kvrow + koff, sizeof(real) * Dh);
        memcpy(b->kg + (size_t)t * qk + Dh, kr + (size_t)t * Dr, sizeof(real) * Dr);
    }
    gather(b->vg, kv + koff + Dh, kvrow, T, Dv);
}

void TR(attention_forward)(real *o, real *probs, const real *q, const real *kv,
                           const real *kr, int T, const titan_config *c, double scale,
                           real *scratch) {
    int H = c->n_heads, Dv = c->v_head_dim, qk = c->head_dim + c->rope_dim;
    head_bufs b = carve_heads(scratch, T, c);
    for (int h = 0; h < H; h++) {
        real *P = probs + (size_t)h * T * T;
        load_head(&b, q, kv, kr, T, c, h);
        TR(matmul_forward)(P, b.qh, b.kg, T, qk, T); /* scores [T, T] */
        for (int t = 0; t < T; t++) {
            real *p = P + (size_t)t * T, mx = -INFINITY, sum = 0;
            for (int j = 0; j <= t; j++) {
                p[j] *= (real)scale;
                mx = p[j] > mx ? p[j] : mx;
            }
            for (int j = 0; j <= t; j++) sum += p[j] = (real)exp(p[j] - mx);
            for (int j = 0; j <= t; j++) p[j] /= sum;
            for (int j = t + 1; j < T; j++) p[j] = 0;
        }
        real_zero(b.doh, (size_t)T * Dv);
        TR(matmul_acc_dx)(b.doh, P, b.vg, T, Dv, T); /* P Vg */
        for (int t = 0; t < T; t++)
            memcpy(o + ((size_t)t * H + h) * Dv, b.doh + (size_t)t * Dv,
                   sizeof(real) * Dv);
    }
}

/* dS = P (dP - rowsum(P dP)) * scale, dP = dOh Vg^T. */
void TR(attention_backward)(real *dq, real *dkv, real *dkr, const real *dout,
                            const real *probs, const real *q, const real *kv,
                            const real *kr, int T, const titan_config *c, double scale,
                            real *scratch) {
    int H = c->n_heads, Dh = c->head_dim, Dr = c->rope_dim, Dv = c->v_head_dim;
    int qk = Dh + Dr;
    size_t kvrow = (size_t)c->n_kv_heads * (Dh + Dv);
    head_bufs b = carve_heads(scratch, T, c);
    for (int h = 0; h < H; h++) {
        const real *P = probs + (size_t)h * T * T;
        size_t koff = (size_t)(h / (H / c->n_kv_heads)) * (Dh + Dv);
        load_head(&b, q, kv, kr, T, c, h);
        gather(b.doh, dout + (size_t)h * Dv, (size_t)H * Dv, T, Dv);
        TR(matmul_forward)(b.tt, b.doh, b.vg, T, Dv, T); /* dP */
        for (int t = 0; t < T; t++) {
            const real *p = P + (size_t)t * T;
            real *d = b.tt + (size_t)t * T, pdp = 0;
            for (int j = 0; j <= t; j++) pdp += p[j] * d[j];
            for (int j = 0; j <= t; j++) d[j] = p[j] * (d[j] - pdp) * (real)scale;
            for (int j = t + 1; j < T; j++) d[j] = 0;
        }
        real_zero(b.dqh, (size_t)T * qk);
        real_zero(b.dkg, (size_t)T * qk);
        real_zero(b.dvg, (size_t)T * Dv);
        TR(matmul_acc_dx)(b.dqh, b.tt, b.kg, T, qk, T); /* dS Kg */
        TR(matmul_acc_dw)(b.dkg, b.tt, b.qh, T, qk, T); /* dS^T Qh */
        TR(matmul_acc_dw)(b.dvg, P, b.doh, T, Dv, T);   /* P^T dOh */
        scatter_add(dq + (size_t)h * qk, (size_t)H * qk, b.dqh, T, qk);
        for (int t = 0; t < T; t++) {
            const real *g = b.dkg + (size_t)t * qk;
            real *k = dkv + t * kvrow + koff, *r = dkr + (size_t)t * Dr;
            for (int i = 0; i < Dh; i++) k[i] += g[i];
            for (int i = 0; i < Dr; i++) r[i] += g[Dh + i];
        }
        scatter_add(dkv + koff + Dh, kvrow, b.dvg, T, Dv);
    }
}

void TR(mla_forward)(const TR(model) * m, const TR(block) * w, TR(layer_acts) * la,
                     int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, H = c->n_heads, Dr = c->rope_dim, Lq = c->q_latent;
    int Lkv = c->kv_latent, qk = c->head_dim + Dr;
    int kvw = c->n_kv_heads * (c->head_dim + c->v_head_dim);
    TR(rmsnorm_forward)(la->u1, la->rstd1, la->h_in, w->attn_norm, T, D, c->norm_eps);
    if (Lq > 0) {
        TR(matmul_forward)(la->qa, la->u1, w->wq_a, T, D, Lq);
        TR(rmsnorm_forward)(la->cq, la->rstd_q, la->qa, w->q_norm, T, Lq, c->norm_eps);
        TR(matmul_forward)(la->q, la->cq, w->wq_b, T, Lq, H * qk);
    } else {
        TR(matmul_forward)(la->q, la->u1, w->wq_b, T, D, H * qk);
    }
    TR(rope_forward)
    (la->q + c->head_dim, T, (size_t)H * qk, H, qk, Dr, m->rope_cos, m->rope_sin);
    TR(matmul_forward)(la->alat, la->u1, w->wkv_a, T, D, Lkv);
    TR(matmul_forward)(la->kr, la->u1, w->wkv_a + (size_t)Lkv * D, T, D, Dr);
    TR(rope_forward)(la->kr, T, Dr, 1, 0, Dr, m->rope_cos, m->rope_sin);
    TR(rmsnorm_forward)(la->c, la->rstd_kv, la->alat, w->kv_norm, T, Lkv, c->norm_eps);
    TR(matmul_forward)(la->kv, la->c, w->wkv_b, T, Lkv, kvw);
    TR(attention_forward)
    (la->o, la->probs, la->q, la->kv, la->kr, T, c, m->attn_scale, la->att_scratch);
    TR(matmul_forward)(la->h_mid, la->o, w->wo, T, H * c->v_head_dim, D);
    for (size_t i = 0; i < (size_t)T * D; i++) la->h_mid[i] += la->h_in[i];
}

void TR(mla_backward)(const TR(model) * m, const TR(block) * w, const TR(layer_acts) * la,
                      TR(layer_grads) * g, real *dh, TR(block) * dw, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, H = c->n_heads, Dr = c->rope_dim, Lq = c->q_latent;
    int Lkv = c->kv_latent, qk = c->head_dim + Dr, HDv = H * c->v_head_dim;
    int kvw = c->n_kv_heads * (c->head_dim + c->v_head_dim);
    real_zero(g->dout, (size_t)T * HDv);
    TR(matmul_backward)(g->dout, dw->wo, dh, la->o, w->wo, T, HDv, D);
    real_zero(g->dq, (size_t)T * H * qk);
    real_zero(g->dkv, (size_t)T * kvw);
    real_zero(g->dkr, (size_t)T * Dr);
    TR(attention_backward)
    (g->dq, g->dkv, g->dkr, g->dout, la->probs, la->q, la->kv, la->kr, T, c,
     m->attn_scale, g->att_scratch);
    TR(rope_backward)
    (g->dq + c->head_dim, T, (size_t)H * qk, H, qk, Dr, m->rope_cos, m->rope_sin);
    TR(rope_backward)(g->dkr, T, Dr, 1, 0, Dr, m->rope_cos, m->rope_sin);
    real_zero(g->dc, (size_t)T * Lkv);
    TR(matmul_backward)(g->dc, dw->wkv_b, g->dkv, la->c, w->wkv_b, T, Lkv, kvw);
    real_zero(g->dalat, (size_t)T * Lkv);
    TR(rmsnorm_backward)
    (g->dalat, dw->kv_norm, g->dc, la->alat, w->kv_norm, la->rstd_kv, T, Lkv);
    real_zero(g->du, (size_t)T * D);
    TR(matmul_backward)(g->du, dw->wkv_a, g->dalat, la->u1, w->wkv_a, T, D, Lkv);
    TR(matmul_backward)
    (g->du, dw->wkv_a + (size_t)Lkv * D, g->dkr, la->u1, w->wkv_a + (size_t)Lkv * D, T, D,
     Dr);
    if (Lq > 0) {
        real_zero(g->dcq, (size_t)T * Lq);
        TR(matmul_backward)(g->dcq, dw->wq_b, g->dq, la->cq, w->wq_b, T, Lq, H * qk);
        real_zero(g->dqa, (size_t)T * Lq);
        TR(rmsnorm_backward)
        (g->dqa, dw->q_norm, g->dcq, la->qa, w->q_norm, la->rstd_q, T, Lq);
        TR(matmul_backward)(g->du, dw->wq_a, g->dqa, la->u1, w->wq_a, T, D, Lq);
    } else {
        TR(matmul_backward)(g->du, dw->wq_b, g->dq, la->u1, w->wq_b, T, D, H * qk);
    }
    TR(rmsnorm_backward)
    (dh, dw->attn_norm, g->du, la->h_in, w->attn_norm, la->rstd1, T, D);
}
