/* attend.c: titan_attend (backend.h) from small products: per block of
 * TITAN_ATTEND_BLOCK positions the scores (two dot-product passes), the
 * online-softmax step of every row, and the p-weighted sums of the block's
 * first key parts. The portable backends run it with the scalar product,
 * AVX2 with its register tiles; AVX-512 has a fused kernel
 * (attend_avx512.c). */
#include "platform/matmul.h"
#include "platform/vec_exp.h"

#include <math.h>
#include <string.h>

enum { BLOCK = TITAN_ATTEND_BLOCK };

/* Row r's softmax step over block [j0, j0 + jn): scores become weights, the
 * row's acc is rescaled to the new max. */
static void softmax_row(const titan_attend *a, int r, int j0, int jn) {
    float *s = a->scratch + (size_t)r * BLOCK, *run = a->run + 2 * r;
    int seen = a->seen + r / a->per - j0;
    seen = seen < jn ? seen : jn;
    if (seen <= 0) {
        memset(s, 0, sizeof(float) * BLOCK);
        return;
    }
    float mx = run[0];
    for (int j = 0; j < seen; j++) mx = s[j] > mx ? s[j] : mx;
    float corr = expf(run[0] - mx), sum = titan_exp_shift_sum(s, mx, seen);
    memset(s + seen, 0, sizeof(float) * (size_t)(BLOCK - seen));
    if (corr != 1.0f)
        for (int e = 0; e < a->w1; e++) a->acc[(size_t)r * a->w1 + e] *= corr;
    run[0] = mx;
    run[1] = run[1] * corr + sum;
}

void titan_attend_with(const titan_attend *a, void (*gemm)(const titan_small_gemm *g)) {
    int R = a->rows, w1 = a->w1, w2 = a->w2;
    for (int j0 = 0; j0 < a->n; j0 += BLOCK) {
        int jn = a->n - j0 < BLOCK ? a->n - j0 : BLOCK;
        const float *k1 = a->k1 + (size_t)j0 * w1;
        titan_small_gemm g = {R,          jn,         w1,    a->q1, (size_t)w1, k1,
                              (size_t)w1, a->scratch, BLOCK, false, true};
        gemm(&g);
        if (w2) {
            g = (titan_small_gemm){
                R,          jn,         w2,    a->q2, (size_t)w2, a->k2 + (size_t)j0 * w2,
                (size_t)w2, a->scratch, BLOCK, true,  true};
            gemm(&g);
        }
        for (int r = 0; r < R; r++) softmax_row(a, r, j0, jn);
        g = (titan_small_gemm){R,          w1,     jn,         a->scratch, BLOCK, k1,
                               (size_t)w1, a->acc, (size_t)w1, true,       false};
        gemm(&g);
    }
}

void titan_attend_scalar(const titan_attend *a) {
    titan_attend_with(a, titan_small_gemm_scalar);
}
