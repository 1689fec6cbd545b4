/* op_mla.c: the projections of multi-head latent attention (SPEC section 1,
 * Block_b first half): query latent + norm (or a plain wq), kv latent +
 * kv_norm, the shared rotary key; forward and backward. The attention itself
 * is op_attention.c's, the mixer around it op_mixer.c. */
#include "tools/train/train_model.h"
#include "tools/train/train_ops.h"

/* u1 -> q [T, H*(Dh+Dr)] (rope dims rotated), kr [T, Dr] (rotated), c, kv. */
void TR(mla_qkv_forward)(const TR(model) * m, const TR(block) * w, TR(layer_acts) * la,
                         int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, H = c->n_heads, Dr = c->rope_dim, Lq = c->q_latent;
    int Lkv = c->kv_latent, qk = c->head_dim + Dr;
    int kvw = c->n_kv_heads * (c->head_dim + c->v_head_dim);
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
}

/* g->dq, g->dkv, g->dkr (gradients of the rotated q, kv and kr; dq and dkr
 * are rotated back in place) -> weight gradients and g->du (written). */
void TR(mla_qkv_backward)(const TR(model) * m, const TR(block) * w,
                          const TR(layer_acts) * la, TR(layer_grads) * g, TR(block) * dw,
                          int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, H = c->n_heads, Dr = c->rope_dim, Lq = c->q_latent;
    int Lkv = c->kv_latent, qk = c->head_dim + Dr;
    int kvw = c->n_kv_heads * (c->head_dim + c->v_head_dim);
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
}
