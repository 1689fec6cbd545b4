/* xenith_memory.c: the segment memory of SPEC section 9: Summarize (a
 * Perceiver resampler over the segment's final hidden states) and the FIFO
 * LTM, kept per reading layer as wk y and wv y. */
#include "core/model.h"
#include "core/xenith_model.h"

#include <math.h>
#include <string.h>

/* O[M][D] = per head softmax(Q K^T / sqrt(Ds)) V over the n rows of K, V. */
static void cross_attend(titan_xenith *x, int n) {
    const titan_config *c = &x->cfg;
    int D = c->d_model, M = c->mem_slots, Ds = D / c->sum_heads;
    double scale = 1 / sqrt((double)Ds);
    for (int r = 0; r < M; r++)
        for (int i = 0; i < c->sum_heads; i++) {
            const float *q = x->Q + (size_t)r * D + (size_t)i * Ds;
            double top = -INFINITY, sum = 0;
            for (int j = 0; j < n; j++) {
                x->sscore[j] =
                    titan_vec_dot(q, x->Kz + (size_t)j * D + (size_t)i * Ds, Ds) * scale;
                top = fmax(top, x->sscore[j]);
            }
            for (int j = 0; j < n; j++) sum += x->sscore[j] = exp(x->sscore[j] - top);
            float *o = x->O + (size_t)r * D + (size_t)i * Ds;
            for (int d = 0; d < Ds; d++) {
                double acc = 0;
                for (int j = 0; j < n; j++)
                    acc += x->sscore[j] * x->Vz[(size_t)j * D + (size_t)i * Ds + d];
                o[d] = (float)(acc / sum);
            }
        }
}

/* Y = Summarize(stm) into x->A ([M][D]). */
static void summarize(titan_xenith *x) {
    const titan_config *c = &x->cfg;
    int D = c->d_model, S = c->stm_tokens, M = c->mem_slots;
    double eps = c->norm_eps;
    size_t MD = (size_t)M * D;
    memcpy(x->X, x->slots, sizeof *x->X * MD);
    for (int j = 0; j < c->sum_layers; j++) {
        const titan_xsum_layer *p = &x->sum[j];
        titan_xenith_norm_rows(x->A, x->X, p->attn_norm, M, D, eps);
        titan_xenith_norm_rows(x->Z, x->stm, p->kv_norm, S, D, eps);
        memcpy(x->Z + (size_t)S * D, x->A, sizeof *x->A * MD); /* Z = [c; a] */
        titan_xenith_linear(x, &p->wq, x->A, x->Q, M);
        titan_xenith_linear(x, &p->wk, x->Z, x->Kz, S + M);
        titan_xenith_linear(x, &p->wv, x->Z, x->Vz, S + M);
        cross_attend(x, S + M);
        titan_xenith_linear(x, &p->wo, x->O, x->A, M);
        titan_vec_add(x->X, x->A, (int)MD);
        titan_xenith_norm_rows(x->A, x->X, p->ffn_norm, M, D, eps);
        titan_xenith_swiglu(x, &p->ffn, x->A, x->O, M);
        titan_vec_add(x->X, x->O, (int)MD);
    }
    titan_xenith_norm_rows(x->A, x->X, x->mem_final_norm, M, D, eps);
}

/* rows[M][kv] into the ring of N rows from row `at` on (oldest overwritten). */
static void ring_write(float *ring, const float *rows, int64_t at, int M, int64_t N,
                       size_t kv) {
    for (int r = 0; r < M; r++)
        memcpy(ring + (size_t)((at + r) % N) * kv, rows + (size_t)r * kv,
               sizeof *rows * kv);
}

void titan_xenith_memory_write(titan_xenith *x) {
    const titan_config *c = &x->cfg;
    int M = c->mem_slots;
    int64_t N = c->ltm_size;
    size_t kv = (size_t)c->n_kv_heads * c->head_dim;
    summarize(x);
    for (int l = 0; l < c->n_layers; l++) {
        titan_xlayer *L = &x->layers[l];
        if (!L->mk) continue;
        titan_xenith_linear(x, &L->wk, x->A, x->proj, M); /* y as is: no attn_norm */
        ring_write(L->mk, x->proj, x->ltm_at, M, N, kv);
        titan_xenith_linear(x, &L->wv, x->A, x->proj, M);
        ring_write(L->mv, x->proj, x->ltm_at, M, N, kv);
    }
    x->ltm_at = (x->ltm_at + M) % N;
    x->ltm_n = x->ltm_n + M < N ? x->ltm_n + M : N;
    x->stm_n = 0;
}
