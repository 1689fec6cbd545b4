/* gemm_avx2.h: blocked float GEMM kernels for x86 AVX2+FMA (compiled with a
 * target attribute, so the build flags stay portable; callers check
 * gemm_avx2_available() first). Results match the portable loops up to the
 * order of float additions. */
#ifndef TITAN_TRAIN_GEMM_AVX2_H
#define TITAN_TRAIN_GEMM_AVX2_H

#include <stddef.h>

/* 1 when this CPU runs the kernels below (checked once). */
int gemm_avx2_available(void);

/* C[M, N] += A B with B[K, N] row-major (row stride ldb) and A's element
 * (m, k) at A[m * sam + k * sak]; C has row stride ldc. */
void gemm_nn_avx2(float *C, size_t ldc, const float *A, size_t sam,
                  size_t sak, const float *B, size_t ldb, int M, int K, int N);

#endif
