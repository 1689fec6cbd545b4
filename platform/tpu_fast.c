/* tpu_fast.c: the array's integer results computed tile by tile, in the
 * order the array produces them: for WS each (N tile, K tile) fold adds its
 * partial sums of R products into the output buffer; for OS each (N tile,
 * M tile) fold produces whole dot products. Integer addition is exact and
 * associative (no sum can overflow, see TITAN_TPU_MAX_K), so the result is
 * bit for bit the array's. */
#include "platform/tpu.h"

/* sum_i a[i] * b[i] for n <= 2^17 int8 pairs: |sum| < 2^31. */
static int32_t dot_i8(const int8_t *a, const int8_t *b, int64_t n) {
    int32_t s = 0;
    for (int64_t i = 0; i < n; i++) s += (int32_t)a[i] * (int32_t)b[i];
    return s;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void fast_ws(const tpu_map *m, const int8_t *x, const int8_t *w,
                    int32_t *y) {
    const int64_t M = m->M, K = m->K, N = m->N;
    for (int64_t n0 = 0; n0 < N; n0 += m->C) {
        int64_t nc = min64(m->C, N - n0);
        for (int64_t k0 = 0; k0 < K; k0 += m->R) {
            int64_t kr = min64(m->R, K - k0);
            for (int64_t i = 0; i < M; i++) {
                const int8_t *xi = x + i * K + k0;
                int32_t *yi = y + i * N + n0;
                for (int64_t c = 0; c < nc; c++) {
                    int32_t p = dot_i8(xi, w + (n0 + c) * K + k0, kr);
                    yi[c] = k0 ? yi[c] + p : p;
                }
            }
        }
    }
}

static void fast_os(const tpu_map *m, const int8_t *x, const int8_t *w,
                    int32_t *y) {
    const int64_t M = m->M, K = m->K, N = m->N;
    for (int64_t n0 = 0; n0 < N; n0 += m->C) {
        int64_t nc = min64(m->C, N - n0);
        for (int64_t m0 = 0; m0 < M; m0 += m->R) {
            int64_t mr = min64(m->R, M - m0);
            for (int64_t r = 0; r < mr; r++)
                for (int64_t c = 0; c < nc; c++)
                    y[(m0 + r) * N + n0 + c] =
                        dot_i8(x + (m0 + r) * K, w + (n0 + c) * K, K);
        }
    }
}

void tpu_fast_gemm(const tpu_map *m, const int8_t *x, const int8_t *w,
                   int32_t *y) {
    if (m->dataflow == TITAN_TPU_WS) fast_ws(m, x, w, y);
    else fast_os(m, x, w, y);
}
