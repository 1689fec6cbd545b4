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
#include "core/gdn_vec.h"
#include "core/model.h"

#include <math.h>

/* SUB: rows of a block of the triangular products and the substitution.
 * LDK: floats per row of Kt, past L so that its column stores do not alias
 * each other 4 KB apart. */
enum { L = TITAN_GDN_CHUNK, SUB = 16, LDK = L + 8 };

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

/* Scratch of one head: G [L] doubles, Gam [L][L], Kt [Dk][LDK], A [L][L],
 * P [L][L], X [L][Dk+Dw]. */
typedef struct {
    double *G;
    float *gam, *kt, *A, *P, *X;
} chunk_bufs;

size_t titan_gdn_chunk_floats(int Dk, int Dw) {
    return round16(2 * L) + round16((size_t)Dk * LDK) + 3 * round16((size_t)L * L) +
           round16((size_t)L * (Dk + Dw));
}

static chunk_bufs carve(float *s, int Dk) {
    chunk_bufs b;
    b.G = (double *)s; /* the scratch is 64-byte aligned */
    b.gam = s + round16(2 * L);
    b.kt = b.gam + round16((size_t)L * L);
    b.A = b.kt + round16((size_t)Dk * LDK);
    b.P = b.A + round16((size_t)L * L);
    b.X = b.P + round16((size_t)L * L);
    return b;
}

GDN_INLINE void gemm(titan_backend *be, int rows, int n, int k, const float *a,
                     size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                     bool accumulate) {
    if (rows <= 0 || n <= 0 || k <= 0) return;
    titan_small_gemm g = {rows, n, k, a, lda, b, ldb, c, ldc, accumulate, false};
    be->small_gemm(&g);
}

/* (I + A)^-1 [W | U] in place in X, with A stored negated: row t of X gets
 * the sum of A[t][s] X[s] for s < t, the rows before its block as one
 * product and the block's own rows one product each. */
GDN_INLINE void substitute(titan_backend *be, const chunk_bufs *b, int n, int w) {
    for (int b0 = 0; b0 < n; b0 += SUB) {
        int b1 = b0 + SUB < n ? b0 + SUB : n;
        gemm(be, b1 - b0, w, b0, b->A + (size_t)b0 * L, L, b->X, (size_t)w,
             b->X + (size_t)b0 * w, (size_t)w, true);
        for (int t = b0 + 1; t < b1; t++)
            gemm(be, 1, w, t - b0, b->A + (size_t)t * L + b0, L, b->X + (size_t)b0 * w,
                 (size_t)w, b->X + (size_t)t * w, (size_t)w, true);
    }
}

/* kt[a][t] = k[t][a] for t < n, a < Dk, in tiles of 8 x 8 (a tile's rows
 * are read whole, its columns written whole). */
GDN_INLINE void transpose(float *kt, const float *k, size_t ld, int n, int Dk) {
    enum { TILE = 8 };
    for (int t0 = 0; t0 < n; t0 += TILE)
        for (int a0 = 0; a0 < Dk; a0 += TILE) {
            int tn = n - t0 < TILE ? n - t0 : TILE, an = Dk - a0 < TILE ? Dk - a0 : TILE;
            float tile[TILE][TILE];
            for (int t = 0; t < tn; t++)
                for (int a = 0; a < an; a++) tile[a][t] = k[(t0 + t) * ld + a0 + a];
            for (int a = 0; a < an; a++)
                memcpy(kt + (size_t)(a0 + a) * LDK + t0, tile[a], sizeof(float) * tn);
        }
}

/* One chunk of n <= L tokens starting at row t0. Products over the
 * triangles go by blocks of SUB rows and the columns up to the block's
 * end. */
GDN_INLINE void chunk(const titan_gdn_head *h, int t0, int n, float *S, titan_backend *be,
                      const chunk_bufs *b) {
    int Dk = h->Dk, Dw = h->Dw, w = Dk + Dw;
    const float *q = h->q + t0 * h->ld, *k = h->k + t0 * h->ld, *v = h->v + t0 * h->ld;
    const float *bg = h->bg + t0 * h->ldbg;
    float *o = h->o + t0 * h->ldo, *vc = b->X + Dk; /* V' */
    double G = 0;
    for (int t = 0; t < n; t++) b->G[t] = G += bg[t * h->ldbg + h->Hv];
    transpose(b->kt, k, h->ld, n, Dk);
    for (int b0 = 0; b0 < n; b0 += SUB) { /* K K^T and Q K^T, s < the block end */
        int rows = (b0 + SUB < n ? b0 + SUB : n) - b0;
        gemm(be, rows, b0 + rows, Dk, k + b0 * h->ld, h->ld, b->kt, LDK,
             b->A + (size_t)b0 * L, L, false);
        gemm(be, rows, b0 + rows, Dk, q + b0 * h->ld, h->ld, b->kt, LDK,
             b->P + (size_t)b0 * L, L, false);
    }
    for (int t = 0; t < n; t++) { /* Gam: G_t - G_s <= 0 for s <= t, then its exp */
        float *gt = b->gam + (size_t)t * L;
        for (int s = 0; s <= t; s++) gt[s] = (float)(b->G[t] - b->G[s]);
        for (int s = t + 1; s < L; s++) gt[s] = -1e4f; /* exp: 0, causal */
    }
    titan_vec_exp_sum(b->gam, 0, n * L);
    for (int t = 0; t < n; t++) {
        float beta = bg[t * h->ldbg];
        int end = (t / SUB + 1) * SUB < n ? (t / SUB + 1) * SUB : n; /* block end */
        gdn_scale_by(b->A + (size_t)t * L, b->gam + (size_t)t * L, -beta, t);
        gdn_scale_by(b->P + (size_t)t * L, b->gam + (size_t)t * L, 1, end);
        float *xt = b->X + (size_t)t * w;
        gdn_scale(xt, k + t * h->ld, -beta * (float)exp(b->G[t]), Dk);
        gdn_scale(xt + Dk, v + t * h->ld, beta, Dw);
    }
    substitute(be, b, n, w); /* X = [-W | U] */
    gemm(be, n, Dw, Dk, b->X, (size_t)w, S, (size_t)Dw, vc, (size_t)w, true); /* V' */
    gemm(be, n, Dw, Dk, q, h->ld, S, (size_t)Dw, o, h->ldo, false);           /* Q S */
    for (int t = 0; t < n; t++)
        gdn_scale(o + t * h->ldo, o + t * h->ldo, (float)exp(b->G[t]), Dw);
    for (int b0 = 0; b0 < n; b0 += SUB) { /* + P V' */
        int rows = (b0 + SUB < n ? b0 + SUB : n) - b0;
        gemm(be, rows, Dw, b0 + rows, b->P + (size_t)b0 * L, L, vc, (size_t)w,
             o + b0 * h->ldo, h->ldo, true);
    }
    double GL = b->G[n - 1];
    gdn_scale(S, S, (float)exp(GL), Dk * Dw);
    for (int t = 0; t < n; t++) /* V' rows decayed to the chunk end */
        gdn_scale(vc + (size_t)t * w, vc + (size_t)t * w, (float)exp(GL - b->G[t]), Dw);
    gemm(be, Dk, Dw, n, b->kt, LDK, vc, (size_t)w, S, (size_t)Dw, true);
}

VEC8_CLONES void titan_gdn_chunks(const titan_gdn_head *h, int n, float *S,
                                  titan_backend *be, float *scratch) {
    chunk_bufs b = carve(scratch, h->Dk);
    for (int t0 = 0; t0 < n; t0 += L) chunk(h, t0, n - t0 < L ? n - t0 : L, S, be, &b);
}
