/* transpose_avx512.h: the 16 x 16 in-register transpose of 32-bit lanes that
 * the AVX-512 panel fillers share (float weights in matmul_avx512.c, 4-byte
 * groups of int8 weights in matmul_q8_vnni512.c), and its adding form, 16
 * vectors' sums in one (the dot-product tiles of matmul_avx512.c and
 * attend_avx512.c). Include it only from files compiled for x86-64. */
#ifndef TITAN_PLATFORM_TRANSPOSE_AVX512_H
#define TITAN_PLATFORM_TRANSPOSE_AVX512_H

#include <immintrin.h>

#define TITAN_TRANSPOSE_UNROLL _Pragma("GCC unroll 16")
#define TITAN_TRANSPOSE_INLINE                                                           \
    __attribute__((target("avx512f"))) static inline __attribute__((always_inline))

/* In-register transpose: v[c] becomes column c of the 16 x 16 block whose
 * rows were v[0..16): unpacks pair rows within 128-bit lanes, 64-bit unpacks
 * make 4 x 4 blocks, two lane shuffles place them. */
TITAN_TRANSPOSE_INLINE void titan_transpose16(__m512 v[16]) {
    __m512 t[16];
    TITAN_TRANSPOSE_UNROLL
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]);
    }
    TITAN_TRANSPOSE_UNROLL
    for (int i = 0; i < 4; i++) { /* v[4i + j] lane L: rows 4i.., column 4L + j */
        __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        v[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        v[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        v[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        v[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    TITAN_TRANSPOSE_UNROLL
    for (int j = 0; j < 4; j++) {
        __m512 a = _mm512_shuffle_f32x4(v[j], v[4 + j], 0x88);
        __m512 b = _mm512_shuffle_f32x4(v[j], v[4 + j], 0xdd);
        __m512 c = _mm512_shuffle_f32x4(v[8 + j], v[12 + j], 0x88);
        __m512 d = _mm512_shuffle_f32x4(v[8 + j], v[12 + j], 0xdd);
        t[j] = _mm512_shuffle_f32x4(a, c, 0x88);
        t[4 + j] = _mm512_shuffle_f32x4(b, d, 0x88);
        t[8 + j] = _mm512_shuffle_f32x4(a, c, 0xdd);
        t[12 + j] = _mm512_shuffle_f32x4(b, d, 0xdd);
    }
    TITAN_TRANSPOSE_UNROLL
    for (int i = 0; i < 16; i++) v[i] = t[i];
}

/* Lane l = the sum of v[l]'s lanes: pairs interleave and add within
 * 128-bit lanes (2 levels), then 128-bit lanes fold across vectors (2). */
TITAN_TRANSPOSE_INLINE __m512 titan_sum_each16(const __m512 v[16]) {
    __m512 s2[8], s4[4], s8[2];
    TITAN_TRANSPOSE_UNROLL
    for (int p = 0; p < 8; p++)
        s2[p] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * p], v[2 * p + 1]),
                              _mm512_unpackhi_ps(v[2 * p], v[2 * p + 1]));
    TITAN_TRANSPOSE_UNROLL
    for (int p = 0; p < 4; p++) {
        __m512d x = _mm512_castps_pd(s2[2 * p]), y = _mm512_castps_pd(s2[2 * p + 1]);
        s4[p] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(x, y)),
                              _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
    }
    TITAN_TRANSPOSE_UNROLL
    for (int p = 0; p < 2; p++)
        s8[p] = _mm512_add_ps(_mm512_shuffle_f32x4(s4[2 * p], s4[2 * p + 1], 0x88),
                              _mm512_shuffle_f32x4(s4[2 * p], s4[2 * p + 1], 0xdd));
    return _mm512_add_ps(_mm512_shuffle_f32x4(s8[0], s8[1], 0x88),
                         _mm512_shuffle_f32x4(s8[0], s8[1], 0xdd));
}

#endif
