/* gdn_recurrence.c: the gated delta rule one token at a time (SPEC section 8,
 * recurrent form), for one value head with state S [Dk][Dw]:
 *   e = beta (v - alpha S^T k);  S' = alpha S + k e^T;  o = S'^T q
 * Two passes over S: S^T k, then the update with S'^T q summed as each row
 * of S' is written. Columns go eight at a time in vector registers
 * (core/gdn_vec.h), four vectors per pass over the rows, in named variables
 * so that the column sums stay in registers while the rows stream by. */
#include "core/gdn.h"
#include "core/gdn_vec.h"

#include <math.h>

enum { BLOCK = 4 * LANES }; /* columns of one pass */

/* e[j0, j0 + 32) = S^T k over those columns. */
GDN_INLINE void column_sums4(const float *S, const float *k, float *e, int Dk, int Dw,
                             int j0) {
    f8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, s0, s1, s2, s3;
    for (int a = 0; a < Dk; a++) {
        const float *row = S + (size_t)a * Dw + j0;
        GDN_LOAD(s0, row), GDN_LOAD(s1, row + 8), GDN_LOAD(s2, row + 16),
            GDN_LOAD(s3, row + 24);
        a0 += k[a] * s0, a1 += k[a] * s1, a2 += k[a] * s2, a3 += k[a] * s3;
    }
    GDN_STORE(e + j0, a0), GDN_STORE(e + j0 + 8, a1), GDN_STORE(e + j0 + 16, a2);
    GDN_STORE(e + j0 + 24, a3);
}

GDN_INLINE void column_sums1(const float *S, const float *k, float *e, int Dk, int Dw,
                             int j0) {
    f8 a0 = {0}, s0;
    for (int a = 0; a < Dk; a++) {
        GDN_LOAD(s0, S + (size_t)a * Dw + j0);
        a0 += k[a] * s0;
    }
    GDN_STORE(e + j0, a0);
}

/* dst = alpha src + k e^T and o = dst^T q over columns [j0, j0 + 32). */
GDN_INLINE void update_rows4(const float *src, float *dst, const float *k, const float *q,
                             const float *e, float alpha, float *o, int Dk, int Dw,
                             int j0) {
    f8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, e0, e1, e2, e3, s0, s1, s2, s3;
    GDN_LOAD(e0, e + j0), GDN_LOAD(e1, e + j0 + 8), GDN_LOAD(e2, e + j0 + 16),
        GDN_LOAD(e3, e + j0 + 24);
    for (int a = 0; a < Dk; a++) {
        const float *row = src + (size_t)a * Dw + j0;
        float *out = dst + (size_t)a * Dw + j0;
        GDN_LOAD(s0, row), GDN_LOAD(s1, row + 8), GDN_LOAD(s2, row + 16),
            GDN_LOAD(s3, row + 24);
        s0 = alpha * s0 + k[a] * e0, s1 = alpha * s1 + k[a] * e1;
        s2 = alpha * s2 + k[a] * e2, s3 = alpha * s3 + k[a] * e3;
        GDN_STORE(out, s0), GDN_STORE(out + 8, s1), GDN_STORE(out + 16, s2),
            GDN_STORE(out + 24, s3);
        a0 += q[a] * s0, a1 += q[a] * s1, a2 += q[a] * s2, a3 += q[a] * s3;
    }
    GDN_STORE(o + j0, a0), GDN_STORE(o + j0 + 8, a1), GDN_STORE(o + j0 + 16, a2);
    GDN_STORE(o + j0 + 24, a3);
}

GDN_INLINE void update_rows1(const float *src, float *dst, const float *k, const float *q,
                             const float *e, float alpha, float *o, int Dk, int Dw,
                             int j0) {
    f8 a0 = {0}, e0, s0;
    GDN_LOAD(e0, e + j0);
    for (int a = 0; a < Dk; a++) {
        GDN_LOAD(s0, src + (size_t)a * Dw + j0);
        s0 = alpha * s0 + k[a] * e0;
        GDN_STORE(dst + (size_t)a * Dw + j0, s0);
        a0 += q[a] * s0;
    }
    GDN_STORE(o + j0, a0);
}

VEC8_CLONES void titan_gdn_step(const titan_gdn_head *h, int t, const float *src,
                                float *dst, float *e) {
    int Dk = h->Dk, Dw = h->Dw, full = Dw / LANES * LANES;
    const float *q = h->q + t * h->ld, *k = h->k + t * h->ld, *v = h->v + t * h->ld;
    float beta = h->bg[t * h->ldbg], alpha = expf(h->bg[t * h->ldbg + h->Hv]);
    float *o = h->o + t * h->ldo;
    int j0 = 0; /* constant vector counts: the sums stay in registers */
    for (; j0 + BLOCK <= full; j0 += BLOCK) column_sums4(src, k, e, Dk, Dw, j0);
    for (; j0 < full; j0 += LANES) column_sums1(src, k, e, Dk, Dw, j0);
    for (int j = full; j < Dw; j++) { /* columns past the last whole vector */
        float s = 0;
        for (int a = 0; a < Dk; a++) s += k[a] * src[(size_t)a * Dw + j];
        e[j] = s;
    }
    for (int j = 0; j < Dw; j++) e[j] = beta * (v[j] - alpha * e[j]);
    for (j0 = 0; j0 + BLOCK <= full; j0 += BLOCK)
        update_rows4(src, dst, k, q, e, alpha, o, Dk, Dw, j0);
    for (; j0 < full; j0 += LANES) update_rows1(src, dst, k, q, e, alpha, o, Dk, Dw, j0);
    for (int j = full; j < Dw; j++) {
        float s = 0;
        for (int a = 0; a < Dk; a++) {
            float x = alpha * src[(size_t)a * Dw + j] + k[a] * e[j];
            dst[(size_t)a * Dw + j] = x;
            s += q[a] * x;
        }
        o[j] = s;
    }
}

void titan_gdn_step_ref(const titan_gdn_head *h, int t, const float *src, float *dst) {
    int Dk = h->Dk, Dw = h->Dw;
    const float *q = h->q + t * h->ld, *k = h->k + t * h->ld, *v = h->v + t * h->ld;
    double beta = h->bg[t * h->ldbg], alpha = exp(h->bg[t * h->ldbg + h->Hv]);
    float *o = h->o + t * h->ldo;
    for (int j = 0; j < Dw; j++) {
        double kS = 0, qS = 0;
        for (int a = 0; a < Dk; a++) kS += (double)k[a] * src[(size_t)a * Dw + j];
        double e = beta * (v[j] - alpha * kS);
        for (int a = 0; a < Dk; a++) {
            float x = (float)(alpha * src[(size_t)a * Dw + j] + k[a] * e);
            dst[(size_t)a * Dw + j] = x;
            qS += (double)q[a] * x;
        }
        o[j] = (float)qS;
    }
}
