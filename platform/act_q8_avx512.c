/* act_q8_avx512.c: titan_q8_quantize_rows with AVX-512 (matmul_q8.h): the
 * same operations per value (max |x|, one division by the scale, rounding
 * to nearest even by the default MXCSR mode, clamp), so the same bits as
 * the plain C one in quant/act_q8.c, 16 values at a time. */
#include "platform/matmul_q8.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

/* titan_q8_block_fn (masked loads: none past n). */
TARGET static int32_t quantize_block(const float *x, int n, int8_t *q, float *scale) {
    __mmask16 m0 = (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1);
    __mmask16 m1 = (__mmask16)(n >= 32 ? 0xffff : n > 16 ? (1u << (n - 16)) - 1 : 0);
    __m512 v0 = _mm512_maskz_loadu_ps(m0, x), v1 = _mm512_maskz_loadu_ps(m1, x + 16);
    /* x - x is 0 exactly for finite x, NaN for NaN and infinities */
    __mmask16 f0 =
        _mm512_cmp_ps_mask(_mm512_sub_ps(v0, v0), _mm512_setzero_ps(), _CMP_EQ_OQ);
    __mmask16 f1 =
        _mm512_cmp_ps_mask(_mm512_sub_ps(v1, v1), _mm512_setzero_ps(), _CMP_EQ_OQ);
    float amax =
        _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    bool finite = f0 == 0xffff && f1 == 0xffff;
    if (!finite || amax == 0.0f) {
        memset(q, 0, (size_t)n);
        *scale = finite ? 0.0f : NAN;
        return 0;
    }
    float s = amax / 127.0f;
    __m512 sv = _mm512_set1_ps(s);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    __m512i q0 = _mm512_cvtps_epi32(_mm512_div_ps(v0, sv));
    __m512i q1 = _mm512_cvtps_epi32(_mm512_div_ps(v1, sv));
    q0 = _mm512_min_epi32(_mm512_max_epi32(q0, lo), hi);
    q1 = _mm512_min_epi32(_mm512_max_epi32(q1, lo), hi);
    _mm_mask_storeu_epi8(q, m0, _mm512_cvtepi32_epi8(q0));
    _mm_mask_storeu_epi8(q + 16, m1, _mm512_cvtepi32_epi8(q1));
    *scale = s;
    return _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
}

void titan_q8_quantize_rows_avx512(titan_q8_acts *a, const float *x, int t0, int t1) {
    titan_q8_quantize_rows_by(a, x, t0, t1, quantize_block);
}
#else
void titan_q8_quantize_rows_avx512(titan_q8_acts *a, const float *x, int t0, int t1) {
    titan_q8_quantize_rows(a, x, t0, t1);
}
#endif
