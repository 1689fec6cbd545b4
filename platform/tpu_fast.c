/* tpu_fast.c: the array's integer results computed tile by tile, in the
 * order the array produces them: for WS each (N tile, K tile) fold adds its
 * partial sums of R products into the output buffer; for OS each (N tile,
 * M tile) fold produces whole dot products. Integer addition is exact and
 * associative (no sum can overflow, see TITAN_TPU_MAX_K), so the result is
 * bit for bit the array's. */
#include "platform/tpu.h"

/* sum_i a[i] * b[i] for n <= 2^17 int8 pairs: |sum| < 2^31. The plain
 * loop is the reference; on x86-64 (SSE2 is baseline) 16 pairs at a time are
 * sign-extended to int16 and summed pairwise into int32 lanes by pmaddwd,
 * whose pair sums (at most 2 * 2^14) cannot overflow. */
static int32_t dot_i8_ref(const int8_t *a, const int8_t *b, int64_t n) {
    int32_t s = 0;
    for (int64_t i = 0; i < n; i++) s += (int32_t)a[i] * (int32_t)b[i];
    return s;
}

#if defined(__SSE2__)
#include <emmintrin.h>

static __m128i widen_lo(__m128i v) { return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8); }
static __m128i widen_hi(__m128i v) { return _mm_srai_epi16(_mm_unpackhi_epi8(v, v), 8); }

static int32_t dot_i8(const int8_t *a, const int8_t *b, int64_t n) {
    __m128i acc = _mm_setzero_si128();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i va = _mm_loadu_si128((const __m128i *)(a + i));
        __m128i vb = _mm_loadu_si128((const __m128i *)(b + i));
        acc = _mm_add_epi32(acc, _mm_madd_epi16(widen_lo(va), widen_lo(vb)));
        acc = _mm_add_epi32(acc, _mm_madd_epi16(widen_hi(va), widen_hi(vb)));
    }
    acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0x4e));
    acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0xb1));
    return _mm_cvtsi128_si32(acc) + dot_i8_ref(a + i, b + i, n - i);
}
#else
#define dot_i8 dot_i8_ref
#endif

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void fast_ws(const tpu_map *m, const int8_t *x, const int8_t *w, int32_t *y) {
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

static void fast_os(const tpu_map *m, const int8_t *x, const int8_t *w, int32_t *y) {
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

void tpu_fast_gemm(const tpu_map *m, const int8_t *x, const int8_t *w, int32_t *y) {
    if (m->dataflow == TITAN_TPU_WS)
        fast_ws(m, x, w, y);
    else
        fast_os(m, x, w, y);
}
