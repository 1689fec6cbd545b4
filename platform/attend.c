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

/* Eight floats per GNU vector; an AVX2 build the loader picks where the CPU
 * has it (as core/vec.c). */
#if defined(__x86_64__) && defined(__ELF__) &&                                           \
    (defined(__clang__) ? __clang_major__ >= 14 : __GNUC__ >= 6)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif
enum { LANES = 8, BLOCK = TITAN_ATTEND_BLOCK };
typedef float f8 __attribute__((vector_size(32)));
typedef int32_t i8 __attribute__((vector_size(32)));

TITAN_EXP_NONPOSITIVE(static inline, exp8, f8, i8)

/* s[0, seen) = exp(s - mx), s[seen, BLOCK) = 0; returns their sum. */
CLONES static float exp_shift_sum(float *s, float mx, int seen) {
    f8 sum = {0};
    for (int i = 0; i < BLOCK; i += LANES) {
        f8 v;
        for (int l = 0; l < LANES; l++) v[l] = i + l < seen ? s[i + l] - mx : -INFINITY;
        exp8(&v);
        memcpy(s + i, &v, sizeof v);
        sum += v;
    }
    return ((sum[0] + sum[4]) + (sum[1] + sum[5])) +
           ((sum[2] + sum[6]) + (sum[3] + sum[7]));
}

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
    float corr = expf(run[0] - mx), sum = exp_shift_sum(s, mx, seen);
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
