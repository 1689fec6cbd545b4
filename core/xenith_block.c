/* xenith_block.c: layer l of a Xenith model for one token (SPEC section 9,
 * Block_l): GQA over the global slots and the window's ring plus, in
 * reading layers, the LTM at distance 0, all in one softmax; then a dense
 * SwiGLU, or the k routed experts only. */
#include "core/model.h"
#include "core/xenith_model.h"

#include <math.h>
#include <string.h>

/* Rotate each of n heads of Dh at x->pos (half split, no YaRN). */
static void rotate(titan_xenith *x, float *v, int n) {
    int half = x->cfg.head_dim / 2;
    for (int i = 0; i < n; i++) titan_rope_rotate(v + (size_t)i * 2 * half, x->cs, half);
}

/* The keys a query at t reads, as two disjoint position ranges [lo, hi):
 * the global positions, then the window's (every later one when w = 0). */
static void key_ranges(int64_t t, int64_t Ng, int64_t w, int64_t r[4]) {
    r[0] = 0, r[1] = Ng < t + 1 ? Ng : t + 1;
    r[2] = w && t - w + 1 > Ng ? t - w + 1 : Ng, r[3] = t + 1;
    if (r[2] > r[3]) r[2] = r[3];
}

/* Head i's output o[Dh]: one softmax over the keys the query reads and the
 * LTM rows (unrotated query), applied to their values. */
static void attend(titan_xenith *x, const titan_xlayer *L, int i, bool reads) {
    const titan_config *c = &x->cfg;
    int Dh = c->head_dim, G = c->n_kv_heads, g = i / (c->n_heads / G);
    int64_t Ng = c->n_global_tokens, r[4], n = 0;
    key_ranges(x->pos, Ng, L->window, r);
    const float *q = x->qr + (size_t)i * Dh, *q0 = x->q + (size_t)i * Dh;
    double scale = 1 / sqrt((double)Dh), top = -INFINITY, sum = 0;
    for (int part = 0; part < 2; part++)
        for (int64_t j = r[2 * part]; j < r[2 * part + 1]; j++) {
            const float *k = L->k + (titan_window_slot(j, Ng, L->window) * G + g) * Dh;
            x->score[n++] = titan_xenith_dot(q, k, Dh) * scale;
        }
    for (int64_t m = 0; reads && m < x->ltm_n; m++)
        x->score[n++] = titan_xenith_dot(q0, L->mk + (m * G + g) * Dh, Dh) * scale;
    for (int64_t j = 0; j < n; j++) top = fmax(top, x->score[j]);
    for (int64_t j = 0; j < n; j++) sum += x->score[j] = exp(x->score[j] - top);
    double *acc = x->acc;
    memset(acc, 0, sizeof *acc * (size_t)Dh);
    n = 0;
    for (int part = 0; part < 2; part++)
        for (int64_t j = r[2 * part]; j < r[2 * part + 1]; j++, n++) {
            const float *v = L->v + (titan_window_slot(j, Ng, L->window) * G + g) * Dh;
            for (int d = 0; d < Dh; d++) acc[d] += x->score[n] * v[d];
        }
    for (int64_t m = 0; reads && m < x->ltm_n; m++, n++)
        for (int d = 0; d < Dh; d++) acc[d] += x->score[n] * L->mv[(m * G + g) * Dh + d];
    for (int d = 0; d < Dh; d++) x->o[(size_t)i * Dh + d] = (float)(acc[d] / sum);
}

static void attention(titan_xenith *x, const titan_xlayer *L, bool reads) {
    const titan_config *c = &x->cfg;
    int Dh = c->head_dim, H = c->n_heads, G = c->n_kv_heads;
    titan_rmsnorm(x->u, x->h, L->attn_norm, c->d_model, c->norm_eps);
    titan_xenith_linear(x, &L->wq, x->u, x->q, 1);
    titan_xenith_linear(x, &L->wk, x->u, x->k, 1);
    titan_xenith_linear(x, &L->wv, x->u, x->v, 1);
    titan_rope_table(x->cs, x->freq, Dh / 2, (int)x->pos);
    memcpy(x->qr, x->q, sizeof *x->q * (size_t)H * Dh);
    rotate(x, x->qr, H);
    rotate(x, x->k, G);
    size_t slot = (size_t)titan_window_slot(x->pos, c->n_global_tokens, L->window);
    memcpy(L->k + slot * G * Dh, x->k, sizeof *x->k * (size_t)G * Dh);
    memcpy(L->v + slot * G * Dh, x->v, sizeof *x->v * (size_t)G * Dh);
    for (int i = 0; i < H; i++) attend(x, L, i, reads);
    titan_xenith_linear(x, &L->wo, x->o, x->y, 1);
    for (int d = 0; d < c->d_model; d++) x->h[d] += x->y[d];
}

/* The k chosen experts, gated, into x->y (x->u holds the normed input). */
static void moe(titan_xenith *x, const titan_xlayer *L) {
    const titan_config *c = &x->cfg;
    int D = c->d_model, k = c->moe_top_k;
    titan_xenith_linear(x, &L->router, x->u, x->z, 1);
    titan_moe_route(x->z, c->moe_experts, k, c->moe_renormalize, x->route, x->route_g);
    memset(x->y, 0, sizeof *x->y * (size_t)D);
    for (int i = 0; i < k; i++) {
        titan_xenith_swiglu(x, &L->experts[x->route[i]], x->u, x->ey, 1);
        for (int d = 0; d < D; d++) x->y[d] += x->route_g[i] * x->ey[d];
    }
}

titan_status titan_xenith_layer(titan_xenith *x, int l) {
    const titan_config *c = &x->cfg;
    titan_xlayer *L = &x->layers[l];
    if (titan_window_slot(x->pos, c->n_global_tokens, L->window) >= L->slots)
        return titan_fail(TITAN_E_USAGE,
                          "xenith: position %lld beyond the ctx of %lld this layer's "
                          "cache was made for",
                          (long long)x->pos, (long long)L->slots);
    attention(x, L, L->mk != NULL);
    titan_rmsnorm(x->u, x->h, L->ffn_norm, c->d_model, c->norm_eps);
    if (L->experts)
        moe(x, L);
    else
        titan_xenith_swiglu(x, &L->dense, x->u, x->y, 1);
    for (int d = 0; d < c->d_model; d++) x->h[d] += x->y[d];
    return TITAN_OK;
}
