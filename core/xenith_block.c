/* xenith_block.c: layer l of a Xenith model for a chunk of tokens (SPEC
 * section 9, Block_l): GQA over the global slots, the window's ring and the
 * chunk's own earlier keys plus, in reading layers, the LTM at distance 0,
 * all in one softmax; then a dense SwiGLU, or per expert its routed rows. */
#include "core/model.h"
#include "core/xenith_model.h"

#include <math.h>
#include <string.h>

/* Rotate each of n heads of Dh at position pos (half split, no YaRN). */
static void rotate(titan_xenith *x, float *v, int n, int64_t pos) {
    int half = x->cfg.head_dim / 2;
    titan_rope_table(x->cs, x->freq, half, (int)pos);
    for (int i = 0; i < n; i++) titan_rope_rotate(v + (size_t)i * 2 * half, x->cs, half);
}

/* The keys a query at t reads, as two disjoint position ranges [lo, hi):
 * the global positions, then the window's (every later one when w = 0). */
static void key_ranges(int64_t t, int64_t Ng, int64_t w, int64_t r[4]) {
    r[0] = 0, r[1] = Ng < t + 1 ? Ng : t + 1;
    r[2] = w && t - w + 1 > Ng ? t - w + 1 : Ng, r[3] = t + 1;
    if (r[2] > r[3]) r[2] = r[3];
}

/* Group g's key (or value) of position j: the cache before the chunk, the
 * chunk's own rows from x->p0 on. */
static const float *key_of(const titan_xenith *x, const titan_xlayer *L,
                           const float *cache, const float *chunk, int64_t j, int g) {
    const titan_config *c = &x->cfg;
    int64_t G = c->n_kv_heads, Dh = c->head_dim;
    if (j >= x->p0) return chunk + ((j - x->p0) * G + g) * Dh;
    return cache + (titan_window_slot(j, c->n_global_tokens, L->window) * G + g) * Dh;
}

/* Head i's output for chunk row t: one softmax over the keys the query
 * reads and the LTM rows (unrotated query), applied to their values. */
static void attend(titan_xenith *x, const titan_xlayer *L, int t, int i, bool reads) {
    const titan_config *c = &x->cfg;
    int Dh = c->head_dim, G = c->n_kv_heads, g = i / (c->n_heads / G);
    int64_t Ng = c->n_global_tokens, r[4], n = 0, HD = (int64_t)c->n_heads * Dh;
    key_ranges(x->p0 + t, Ng, L->window, r);
    const float *q = x->qr + t * HD + (size_t)i * Dh,
                *q0 = x->q + t * HD + (size_t)i * Dh;
    float scale = (float)(1 / sqrt((double)Dh)), *s = x->score;
    for (int part = 0; part < 2; part++)
        for (int64_t j = r[2 * part]; j < r[2 * part + 1]; j++)
            s[n++] = titan_vec_dot(q, key_of(x, L, L->k, x->k, j, g), Dh) * scale;
    for (int64_t m = 0; reads && m < x->ltm_n; m++)
        s[n++] = titan_vec_dot(q0, L->mk + (m * G + g) * Dh, Dh) * scale;
    float sum = titan_vec_exp_sum(s, titan_vec_max(s, (int)n), (int)n);
    float *o = x->o + t * HD + (size_t)i * Dh;
    memset(o, 0, sizeof *o * (size_t)Dh);
    n = 0;
    for (int part = 0; part < 2; part++)
        for (int64_t j = r[2 * part]; j < r[2 * part + 1]; j++, n++)
            titan_vec_axpy(o, s[n] / sum, key_of(x, L, L->v, x->v, j, g), Dh);
    for (int64_t m = 0; reads && m < x->ltm_n; m++, n++)
        titan_vec_axpy(o, s[n] / sum, L->mv + (m * G + g) * Dh, Dh);
}

/* The chunk's rotated keys and values into the cache, in position order:
 * a ring slot ends with its latest position. */
static void cache_chunk(titan_xenith *x, titan_xlayer *L, int T) {
    const titan_config *c = &x->cfg;
    size_t kv = (size_t)c->n_kv_heads * c->head_dim;
    for (int t = 0; t < T; t++) {
        size_t slot = (size_t)titan_window_slot(x->p0 + t, c->n_global_tokens, L->window);
        memcpy(L->k + slot * kv, x->k + t * kv, sizeof *x->k * kv);
        memcpy(L->v + slot * kv, x->v + t * kv, sizeof *x->v * kv);
    }
}

static void attention(titan_xenith *x, titan_xlayer *L, int T) {
    const titan_config *c = &x->cfg;
    int H = c->n_heads, G = c->n_kv_heads;
    size_t HD = (size_t)H * c->head_dim, GD = (size_t)G * c->head_dim;
    titan_xenith_norm_rows(x->u, x->h, L->attn_norm, T, c->d_model, c->norm_eps);
    titan_xenith_linear(x, &L->wq, x->u, x->q, T);
    titan_xenith_linear(x, &L->wk, x->u, x->k, T);
    titan_xenith_linear(x, &L->wv, x->u, x->v, T);
    memcpy(x->qr, x->q, sizeof *x->q * HD * (size_t)T);
    for (int t = 0; t < T; t++) {
        rotate(x, x->qr + t * HD, H, x->p0 + t);
        rotate(x, x->k + t * GD, G, x->p0 + t);
    }
    for (int t = 0; t < T; t++)
        for (int i = 0; i < H; i++) attend(x, L, t, i, L->mk != NULL);
    cache_chunk(x, L, T);
    titan_xenith_linear(x, &L->wo, x->o, x->y, T);
    titan_vec_add(x->h, x->y, T * c->d_model);
}

/* Expert e on the chunk rows routed to it (gathered into x->ex), gated,
 * added into x->y. */
static void expert(titan_xenith *x, const titan_xlayer *L, int e, int T) {
    const titan_config *c = &x->cfg;
    size_t D = (size_t)c->d_model;
    int k = c->moe_top_k, n = 0;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < k; i++)
            if (x->route[t * k + i] == e) {
                memcpy(x->ex + n * D, x->u + t * D, sizeof *x->u * D);
                x->erow[n] = t, x->eg[n++] = x->route_g[t * k + i];
            }
    if (!n) return; /* an expert no row chose does not run */
    titan_xenith_swiglu(x, &L->experts[e], x->ex, x->ey, n);
    for (int r = 0; r < n; r++) {
        float *y = x->y + x->erow[r] * D;
        for (size_t d = 0; d < D; d++) y[d] += x->eg[r] * x->ey[r * D + d];
    }
}

/* The k chosen experts of every row, gated, into x->y (x->u holds the
 * normed input). */
static void moe(titan_xenith *x, const titan_xlayer *L, int T) {
    const titan_config *c = &x->cfg;
    int E = c->moe_experts, k = c->moe_top_k;
    titan_xenith_linear(x, &L->router, x->u, x->z, T);
    for (int t = 0; t < T; t++)
        titan_moe_route(x->z + (size_t)t * E, E, k, c->moe_renormalize, x->route + t * k,
                        x->route_g + t * k);
    memset(x->y, 0, sizeof *x->y * (size_t)T * c->d_model);
    for (int e = 0; e < E; e++) expert(x, L, e, T);
}

void titan_xenith_layer(titan_xenith *x, int l, int T) {
    const titan_config *c = &x->cfg;
    titan_xlayer *L = &x->layers[l];
    attention(x, L, T);
    titan_xenith_norm_rows(x->u, x->h, L->ffn_norm, T, c->d_model, c->norm_eps);
    if (L->experts)
        moe(x, L, T);
    else
        titan_xenith_swiglu(x, &L->dense, x->u, x->y, T);
    titan_vec_add(x->h, x->y, T * c->d_model);
}
