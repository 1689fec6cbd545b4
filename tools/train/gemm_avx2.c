/* gemm_avx2.c: register-blocked AVX2+FMA kernels for the trainer's matmuls. */
#include "tools/train/gemm_avx2.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <string.h>

int gemm_avx2_available(void) {
    static int known = -1;
    if (known < 0)
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return known;
}

#define AVX2 __attribute__((target("avx2,fma")))

/* C[0..6) x [0..16) += A(r, k) P[k, 0..16) over k < kc (P packed, 16 wide).
 * Written out by hand: at -O2 an array of accumulators would live on the
 * stack. */
AVX2 static void nn_6x16(float *C, size_t ldc, const float *A, size_t sam,
                         size_t sak, const float *P, int kc) {
#define ROW(r) __m256 c##r##0 = _mm256_loadu_ps(C + r * ldc), \
                      c##r##1 = _mm256_loadu_ps(C + r * ldc + 8)
    ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5);
#undef ROW
    for (int k = 0; k < kc; k++) {
        __m256 b0 = _mm256_load_ps(P + k * 16), b1 = _mm256_load_ps(P + k * 16 + 8);
        const float *a = A + k * sak;
#define FMA(r) do { __m256 x = _mm256_broadcast_ss(a + r * sam); \
        c##r##0 = _mm256_fmadd_ps(x, b0, c##r##0); \
        c##r##1 = _mm256_fmadd_ps(x, b1, c##r##1); } while (0)
        FMA(0); FMA(1); FMA(2); FMA(3); FMA(4); FMA(5);
#undef FMA
    }
#define STORE(r) _mm256_storeu_ps(C + r * ldc, c##r##0), \
                 _mm256_storeu_ps(C + r * ldc + 8, c##r##1)
    STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5);
#undef STORE
}

/* One row: the tail when M is not a multiple of 6. */
AVX2 static void nn_1x16(float *C, const float *A, size_t sak, const float *P,
                         int kc) {
    __m256 c0 = _mm256_loadu_ps(C), c1 = _mm256_loadu_ps(C + 8);
    for (int k = 0; k < kc; k++) {
        __m256 x = _mm256_broadcast_ss(A + k * sak);
        c0 = _mm256_fmadd_ps(x, _mm256_load_ps(P + k * 16), c0);
        c1 = _mm256_fmadd_ps(x, _mm256_load_ps(P + k * 16 + 8), c1);
    }
    _mm256_storeu_ps(C, c0);
    _mm256_storeu_ps(C + 8, c1);
}

void gemm_nn_avx2(float *C, size_t ldc, const float *A, size_t sam,
                  size_t sak, const float *B, size_t ldb, int M, int K,
                  int N) {
    enum { KC = 256 };
    /* A [KC, 16] panel of B, copied contiguous: rows of B a power-of-two
     * apart would all map to a few L1 sets. */
    float panel[KC * 16] __attribute__((aligned(64)));
    int n16 = N & ~15;
    for (int k0 = 0; k0 < K; k0 += KC) {
        int kc = K - k0 < KC ? K - k0 : KC;
        for (int n0 = 0; n0 < n16; n0 += 16) {
            for (int k = 0; k < kc; k++)
                memcpy(panel + k * 16, B + (k0 + k) * ldb + n0, 16 * sizeof(float));
            int m0 = 0;
            for (; m0 + 6 <= M; m0 += 6)
                nn_6x16(C + m0 * ldc + n0, ldc, A + m0 * sam + k0 * sak, sam,
                        sak, panel, kc);
            for (; m0 < M; m0++)
                nn_1x16(C + m0 * ldc + n0, A + m0 * sam + k0 * sak, sak, panel, kc);
        }
    }
    for (int m = 0; m < M; m++)
        for (int n = n16; n < N; n++) {
            float s = 0;
            for (int k = 0; k < K; k++) s += A[m * sam + k * sak] * B[k * ldb + n];
            C[m * ldc + n] += s;
        }
}

#else
int gemm_avx2_available(void) { return 0; }
void gemm_nn_avx2(float *C, size_t ldc, const float *A, size_t sam,
                  size_t sak, const float *B, size_t ldb, int M, int K,
                  int N) {
    (void)C, (void)ldc, (void)A, (void)sam, (void)sak, (void)B, (void)ldb;
    (void)M, (void)K, (void)N;
}
#endif
