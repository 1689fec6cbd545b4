/* gdn_chunked.c: the gated delta rule in chunks of L = TITAN_GDN_CHUNK tokens
 * (the WY / UT transform of flash-linear-attention's chunk kernels), one value
 * head. Within a chunk with cumulative log decay G_t = g_1 + ... + g_t,
 * Gam[t][s] = exp(G_t - G_s) for s <= t, and entry state S:
 *
 *   A[t][s] = beta_t Gam[t][s] (k_t . k_s) for s < t       (strictly lower)
 *   [W | U] = (I + A)^-1 [diag(beta e^G) K | diag(beta) V]  (forward substitution)
 *   V'      = U - W S                                       (the chunk's corrected values)
 *   O       = diag(e^G) Q S + (Gam o Q K^T) V'              (s <= t)
 *   S      <- e^G_L S + (diag(e^(G_L - G)) K)^T V'
 *
 * which is the recurrence unrolled over the chunk (SPEC section 8; the numpy
 * check in tests/ref/golf_ref_selftest.py writes the same). Every product is
 * the backend's small_gemm; the substitution runs in blocks of SUB rows, the
 * rows before a block as one product. All factors exp(G_t - G_s) are <= 1. */
#include "core/gdn.h"
#include "core/model.h"

#include <math.h>
#include <string.h>

enum { L = TITAN_GDN_CHUNK, SUB = 16 };

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

/* Scratch of one head: G [L] doubles, a row of Gam [L], Kt [Dk][L],
 * A [L][L], P [L][L], X [L][Dk+Dw]. */
typedef struct {
    double *G;
    float *gam, *kt, *A, *P, *X;
} chunk_bufs;

size_t titan_gdn_chunk_floats(int Dk, int Dw) {
    return round16(2 * L) + round16(L) + round16((size_t)Dk * L) +
           2 * round16((size_t)L * L) + round16((size_t)L * (Dk + Dw));
}

static chunk_bufs carve(float *s, int Dk) {
    chunk_bufs b;
    b.G = (double *)s; /* the scratch is 64-byte aligned */
    b.gam = s + round16(2 * L);
    b.kt = b.gam + round16(L);
    b.A = b.kt + round16((size_t)Dk * L);
    b.P = b.A + round16((size_t)L * L);
    b.X = b.P + round16((size_t)L * L);
    return b;
}

static void gemm(titan_backend *be, int rows, int n, int k, const float *a, size_t lda,
                 const float *b, size_t ldb, float *c, size_t ldc, bool accumulate) {
    if (rows <= 0 || n <= 0 || k <= 0) return;
    titan_small_gemm g = {rows, n, k, a, lda, b, ldb, c, ldc, accumulate, false};
    be->small_gemm(&g);
}

/* (I + A)^-1 [W | U] in place in X, with A stored negated: row t of X gets
 * the sum of A[t][s] X[s] for s < t, the rows before its block as one
 * product and the block's own rows one by one. */
static void substitute(titan_backend *be, const chunk_bufs *b, int n, int w) {
    for (int b0 = 0; b0 < n; b0 += SUB) {
        int b1 = b0 + SUB < n ? b0 + SUB : n;
        gemm(be, b1 - b0, w, b0, b->A + (size_t)b0 * L, L, b->X, (size_t)w,
             b->X + (size_t)b0 * w, (size_t)w, true);
        for (int t = b0 + 1; t < b1; t++)
            for (int s = b0; s < t; s++)
                titan_vec_axpy(b->X + (size_t)t * w, b->A[(size_t)t * L + s],
                               b->X + (size_t)s * w, w);
    }
}

/* One chunk of n <= L tokens starting at row t0. */
static void chunk(const titan_gdn_head *h, int t0, int n, float *S, titan_backend *be,
                  const chunk_bufs *b) {
    int Dk = h->Dk, Dw = h->Dw, w = Dk + Dw;
    const float *q = h->q + t0 * h->ld, *k = h->k + t0 * h->ld, *v = h->v + t0 * h->ld;
    const float *bg = h->bg + t0 * h->ldbg;
    float *o = h->o + t0 * h->ldo;
    double G = 0;
    for (int t = 0; t < n; t++) b->G[t] = G += bg[t * h->ldbg + h->Hv];
    for (int t = 0; t < n; t++)
        for (int a = 0; a < Dk; a++) b->kt[(size_t)a * L + t] = k[t * h->ld + a];
    gemm(be, n, n, Dk, k, h->ld, b->kt, L, b->A, L, false); /* K K^T */
    gemm(be, n, n, Dk, q, h->ld, b->kt, L, b->P, L, false); /* Q K^T */
    for (int t = 0; t < n; t++) {
        float beta = bg[t * h->ldbg], eg = (float)exp(b->G[t]);
        float *at = b->A + (size_t)t * L, *pt = b->P + (size_t)t * L;
        for (int s = 0; s < t; s++) b->gam[s] = (float)(b->G[t] - b->G[s]); /* <= 0 */
        titan_vec_exp_sum(b->gam, 0, t);
        for (int s = 0; s < t; s++) {
            at[s] *= -beta * b->gam[s];
            pt[s] *= b->gam[s];
        }
        float *xt = b->X + (size_t)t * w;
        for (int a = 0; a < Dk; a++) xt[a] = -beta * eg * k[t * h->ld + a];
        for (int j = 0; j < Dw; j++) xt[Dk + j] = beta * v[t * h->ld + j];
    }
    substitute(be, b, n, w); /* X = [-W | U] */
    gemm(be, n, Dw, Dk, b->X, (size_t)w, S, (size_t)Dw, b->X + Dk, (size_t)w,
         true);                                                     /* V' */
    gemm(be, n, Dw, Dk, q, h->ld, S, (size_t)Dw, o, h->ldo, false); /* Q S */
    for (int t = 0; t < n; t++) {
        float eg = (float)exp(b->G[t]), *ot = o + t * h->ldo;
        for (int j = 0; j < Dw; j++) ot[j] *= eg;
        float *pt = b->P + (size_t)t * L;
        for (int s = t + 1; s < n; s++) pt[s] = 0; /* causal: s <= t */
    }
    gemm(be, n, Dw, n, b->P, L, b->X + Dk, (size_t)w, o, h->ldo, true); /* + P V' */
    double GL = b->G[n - 1];
    float decay = (float)exp(GL);
    for (size_t i = 0; i < (size_t)Dk * Dw; i++) S[i] *= decay;
    for (int t = 0; t < n; t++) {
        float f = expf((float)(GL - b->G[t]));
        for (int a = 0; a < Dk; a++) b->kt[(size_t)a * L + t] *= f;
    }
    gemm(be, Dk, Dw, n, b->kt, L, b->X + Dk, (size_t)w, S, (size_t)Dw, true);
}

void titan_gdn_chunks(const titan_gdn_head *h, int n, float *S, titan_backend *be,
                      float *scratch) {
    chunk_bufs b = carve(scratch, h->Dk);
    for (int t0 = 0; t0 < n; t0 += L) chunk(h, t0, n - t0 < L ? n - t0 : L, S, be, &b);
}
