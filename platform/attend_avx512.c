/* attend_avx512.c: titan_attend (backend.h) in one pass per block of BLOCK
 * positions, for the few rows of a decode step. Scores: tiles of RT rows x
 * 16/RT positions accumulate 16 dot products over both key parts at once and
 * fold them with one titan_sum_each16; the tiles of a 16-position group run
 * back to back, so its key rows come from memory once and from L1 after.
 * Then the online-softmax step of each row (max, 16-lane exp, sum), and the
 * p-weighted sums: up to VROWS rows x 32 columns of acc stay in registers
 * (rescaled once per block) while the block's rows stream past, one
 * broadcast and FMA per row and vector. Compiled with a target attribute;
 * chosen by the cpu backend where AVX-512 is present. */
#include "platform/matmul.h"

#if defined(__x86_64__)
#include "platform/transpose_avx512.h"
#include "platform/vec_exp.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define INLINE TARGET static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

enum {
    VW = 16,
    BLOCK = 64,
    AHEAD = 16,
    NS = BLOCK / VW,
    SB = TITAN_ATTEND_BLOCK,
    VROWS = 12
};
_Static_assert(BLOCK % VW == 0 && BLOCK <= SB, "whole score vectors per row");

typedef float f16v __attribute__((vector_size(64)));
typedef int32_t i16v __attribute__((vector_size(64)));
TITAN_EXP_NONPOSITIVE(INLINE, exp16, f16v, i16v)

static inline __mmask16 tail_mask(int rem) {
    return rem >= VW ? (__mmask16)0xffff : rem <= 0 ? 0 : (__mmask16)((1u << rem) - 1);
}

INLINE __m512 load(const float *p, __mmask16 m, bool whole) {
    return whole ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

/* acc[q * JT + j] += q row q . k row j for features [i, i + 16) (mask m).
 * pf (the first row tile): the same features of row j + AHEAD towards L1,
 * one prefetch per load spread over the loop, so memory streams while the
 * other tiles and the block's values compute (the hardware prefetcher alone
 * left the loop waiting; past the positions given is harmless: a prefetch
 * never faults). */
INLINE void dot_step(__m512 acc[16], int RT, const float *q, const float *k, int w,
                     int jn, bool full, int i, __mmask16 m, bool whole, bool pf) {
    int JT = VW / RT;
    __m512 qv[4];
    UNROLL
    for (int r = 0; r < RT; r++) qv[r] = load(q + (size_t)r * w + i, m, whole);
    UNROLL
    for (int j = 0; j < JT; j++) {
        if (!(full || j < jn)) continue;
        __m512 kv = load(k + (size_t)j * w + i, m, whole);
        if (pf)
            _mm_prefetch((const char *)(k + (size_t)(j + AHEAD) * w + i), _MM_HINT_T0);
        UNROLL
        for (int r = 0; r < RT; r++)
            acc[r * JT + j] = _mm512_fmadd_ps(qv[r], kv, acc[r * JT + j]);
    }
}

INLINE void dot_part(__m512 acc[16], int RT, const float *q, const float *k, int w,
                     int jn, bool full, bool pf) {
    int i = 0;
    for (; i + VW <= w; i += VW)
        dot_step(acc, RT, q, k, w, jn, full, i, 0xffff, true, pf);
    if (i < w) dot_step(acc, RT, q, k, w, jn, full, i, tail_mask(w - i), false, pf);
}

/* Scores of rows [r0, r0 + RT) x positions [j, j + min(jn, 16/RT)) of the
 * block at jb into s (row stride SB, columns from j - jb). */
INLINE void score_tile(const titan_attend *a, int r0, int RT, int jb, int j, int jn,
                       bool full, int w1, int w2) {
    bool pf = r0 == 0;
    __m512 acc[16];
    UNROLL
    for (int v = 0; v < 16; v++) acc[v] = _mm512_setzero_ps();
    int JT = VW / RT;
    dot_part(acc, RT, a->q1 + (size_t)r0 * w1, a->k1 + (size_t)j * w1, w1, jn, full, pf);
    if (w2)
        dot_part(acc, RT, a->q2 + (size_t)r0 * w2, a->k2 + (size_t)j * w2, w2, jn, full,
                 pf);
    __m512 sum = titan_sum_each16(acc);
    __mmask16 m = tail_mask(full ? JT : jn);
    const __m512i lane =
        _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    UNROLL
    for (int q = 0; q < RT; q++) {
        __m512 row = q ? _mm512_permutexvar_ps(
                             _mm512_add_epi32(lane, _mm512_set1_epi32(q * JT)), sum)
                       : sum;
        _mm512_mask_storeu_ps(a->scratch + (size_t)(r0 + q) * SB + (j - jb), m, row);
    }
}

/* Positions [j, j + jn) (jn <= 16) for every row, RT = 4 while it lasts. */
INLINE void score_group(const titan_attend *a, int jb, int j, int jn, int w1, int w2) {
    int r0 = 0;
    for (; r0 + 4 <= a->rows; r0 += 4)
        for (int t = 0; t < jn; t += 4)
            if (jn - t >= 4)
                score_tile(a, r0, 4, jb, j + t, 4, true, w1, w2);
            else
                score_tile(a, r0, 4, jb, j + t, jn - t, false, w1, w2);
    if (a->rows - r0 >= 2) {
        for (int t = 0; t < jn; t += 8)
            if (jn - t >= 8)
                score_tile(a, r0, 2, jb, j + t, 8, true, w1, w2);
            else
                score_tile(a, r0, 2, jb, j + t, jn - t, false, w1, w2);
        r0 += 2;
    }
    if (r0 < a->rows) {
        if (jn == 16)
            score_tile(a, r0, 1, jb, j, 16, true, w1, w2);
        else
            score_tile(a, r0, 1, jb, j, jn, false, w1, w2);
    }
}

/* Row r's online-softmax step over the block at jb (bn positions): scores
 * become weights (0 past what the row sees); returns acc's rescale. */
INLINE float softmax_row(const titan_attend *a, int r, int jb, int bn) {
    float *s = a->scratch + (size_t)r * SB, *run = a->run + 2 * r;
    int seen = a->seen + r / a->per - jb;
    seen = seen < bn ? seen : bn;
    if (seen <= 0) {
        UNROLL
        for (int v = 0; v < NS; v++) _mm512_storeu_ps(s + v * VW, _mm512_setzero_ps());
        return 1.0f;
    }
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    __m512 x[NS], mv = _mm512_set1_ps(run[0]);
    UNROLL
    for (int v = 0; v < NS; v++) {
        x[v] = _mm512_mask_loadu_ps(ninf, tail_mask(seen - v * VW), s + v * VW);
        mv = _mm512_max_ps(mv, x[v]);
    }
    float mx = _mm512_reduce_max_ps(mv);
    __m512 sum = _mm512_setzero_ps();
    UNROLL
    for (int v = 0; v < NS; v++) {
        f16v p = (f16v)_mm512_sub_ps(x[v], _mm512_set1_ps(mx));
        exp16(&p);
        _mm512_storeu_ps(s + v * VW, (__m512)p);
        sum = _mm512_add_ps(sum, (__m512)p);
    }
    float corr = expf(run[0] - mx);
    run[0] = mx;
    run[1] = run[1] * corr + _mm512_reduce_add_ps(sum);
    return corr;
}

/* acc rows [r0, r0 + RT) x columns [e, e + NV*16) (the last vector masked
 * by m unless whole): rescaled by corr, plus the block's weighted rows. */
INLINE void value_tile(const titan_attend *a, const float *corr, int r0, int RT, int e,
                       int NV, __mmask16 m, bool whole, int jb, int bn) {
    int w1 = a->w1;
    __m512 acc[VROWS][2];
    float *o = a->acc + (size_t)r0 * w1 + e;
    UNROLL
    for (int r = 0; r < RT; r++) UNROLL
    for (int v = 0; v < NV; v++) {
        bool plain = whole || v < NV - 1;
        acc[r][v] = _mm512_mul_ps(load(o + (size_t)r * w1 + v * VW, m, plain),
                                  _mm512_set1_ps(corr[r0 + r]));
    }
    const float *k = a->k1 + (size_t)jb * w1 + e, *p = a->scratch + (size_t)r0 * SB;
    for (int j = 0; j < bn; j++) {
        __m512 kv[2];
        UNROLL
        for (int v = 0; v < NV; v++)
            kv[v] = load(k + (size_t)j * w1 + v * VW, m, whole || v < NV - 1);
        UNROLL
        for (int r = 0; r < RT; r++) {
            __m512 pv = _mm512_set1_ps(p[(size_t)r * SB + j]);
            UNROLL
            for (int v = 0; v < NV; v++)
                acc[r][v] = _mm512_fmadd_ps(pv, kv[v], acc[r][v]);
        }
    }
    UNROLL
    for (int r = 0; r < RT; r++) UNROLL
    for (int v = 0; v < NV; v++) {
        float *dst = o + (size_t)r * w1 + v * VW;
        if (whole || v < NV - 1)
            _mm512_storeu_ps(dst, acc[r][v]);
        else
            _mm512_mask_storeu_ps(dst, m, acc[r][v]);
    }
}

/* Every column of rows [r0, r0 + RT). */
INLINE void value_rows(const titan_attend *a, const float *corr, int r0, int RT, int jb,
                       int bn) {
    int e = 0, w1 = a->w1;
    for (; e + 2 * VW <= w1; e += 2 * VW)
        value_tile(a, corr, r0, RT, e, 2, 0xffff, true, jb, bn);
    int rem = w1 - e;
    if (rem > VW)
        value_tile(a, corr, r0, RT, e, 2, tail_mask(rem - VW), rem == 2 * VW, jb, bn);
    else if (rem > 0)
        value_tile(a, corr, r0, RT, e, 1, tail_mask(rem), rem == VW, jb, bn);
}

#define VALUE_ROWS_CASE(n)                                                               \
    case n: value_rows(a, corr, r0, n, jb, bn); break;

/* Rows in tiles of at most VROWS, as even as they come. */
TARGET static void values(const titan_attend *a, const float *corr, int jb, int bn) {
    int tiles = (a->rows + VROWS - 1) / VROWS;
    for (int t = 0, r0 = 0; t < tiles; t++) {
        int rt = (a->rows - r0) / (tiles - t);
        switch (rt) {
            VALUE_ROWS_CASE(1)
            VALUE_ROWS_CASE(2)
            VALUE_ROWS_CASE(3)
            VALUE_ROWS_CASE(4)
            VALUE_ROWS_CASE(5)
            VALUE_ROWS_CASE(6)
            VALUE_ROWS_CASE(7)
            VALUE_ROWS_CASE(8)
            VALUE_ROWS_CASE(9)
            VALUE_ROWS_CASE(10)
            VALUE_ROWS_CASE(11)
            VALUE_ROWS_CASE(12)
        default: break;
        }
        r0 += rt;
    }
}

/* The presets' widths (zenyx-v2-base, nano) as constants: the feature loops
 * unroll whole, which the score tiles gain several percent from. */
#define KEY_WIDTHS(X) X(128, 32) X(32, 16)
#define WIDTHS_CASE(W1, W2)                                                              \
    if (a->w1 == W1 && a->w2 == W2) {                                                    \
        score_group(a, jb, j, jn, W1, W2);                                               \
        return;                                                                          \
    }

INLINE void scores(const titan_attend *a, int jb, int j, int jn) {
    KEY_WIDTHS(WIDTHS_CASE)
    score_group(a, jb, j, jn, a->w1, a->w2);
}

TARGET void titan_attend_avx512(const titan_attend *a) {
    float corr[TITAN_ATTEND_ROWS];
    for (int jb = 0; jb < a->n; jb += BLOCK) {
        int bn = a->n - jb < BLOCK ? a->n - jb : BLOCK;
        for (int j = jb; j < jb + bn; j += VW)
            scores(a, jb, j, jb + bn - j < VW ? jb + bn - j : VW);
        for (int r = 0; r < a->rows; r++) corr[r] = softmax_row(a, r, jb, bn);
        values(a, corr, jb, bn);
    }
}
#endif
