/* op_gqa.c: the projections of plain grouped-query attention (SPEC section
 * 8, attention "gqa") with partial RoPE; forward and backward. The attention
 * itself is op_attention.c's, the mixer around it op_mixer.c. */
#include "tools/train/train_model.h"
#include "tools/train/train_ops.h"

/* Attention "gqa" (SPEC section 8): q = wq u1 [T, H*Dh], k = wk u1
 * [T, G*Dh], v = wv u1 [T, G*Dv]; the first Dr dims of every query head and
 * key group rotated. */
void TR(gqa_qkv_forward)(const TR(model) * m, const TR(block) * w, TR(layer_acts) * la,
                         int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, H = c->n_heads, G = c->n_kv_heads, Dh = c->head_dim;
    int Dr = c->rope_dim;
    TR(matmul_forward)(la->q, la->u1, w->wq_b, T, D, H * Dh);
    TR(matmul_forward)(la->k, la->u1, w->wk, T, D, G * Dh);
    TR(matmul_forward)(la->v, la->u1, w->wv, T, D, G * c->v_head_dim);
    TR(rope_forward)(la->q, T, (size_t)H * Dh, H, Dh, Dr, m->rope_cos, m->rope_sin);
    TR(rope_forward)(la->k, T, (size_t)G * Dh, G, Dh, Dr, m->rope_cos, m->rope_sin);
}

/* g->dq, g->dk, g->dv (dq and dk rotated back in place) -> weight gradients
 * and g->du (written). */
void TR(gqa_qkv_backward)(const TR(model) * m, const TR(block) * w,
                          const TR(layer_acts) * la, TR(layer_grads) * g, TR(block) * dw,
                          int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, H = c->n_heads, G = c->n_kv_heads, Dh = c->head_dim;
    int Dr = c->rope_dim;
    TR(rope_backward)(g->dq, T, (size_t)H * Dh, H, Dh, Dr, m->rope_cos, m->rope_sin);
    TR(rope_backward)(g->dk, T, (size_t)G * Dh, G, Dh, Dr, m->rope_cos, m->rope_sin);
    real_zero(g->du, (size_t)T * D);
    TR(matmul_backward)(g->du, dw->wq_b, g->dq, la->u1, w->wq_b, T, D, H * Dh);
    TR(matmul_backward)(g->du, dw->wk, g->dk, la->u1, w->wk, T, D, G * Dh);
    TR(matmul_backward)(g->du, dw->wv, g->dv, la->u1, w->wv, T, D, G * c->v_head_dim);
}
