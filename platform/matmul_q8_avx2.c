/* matmul_q8_avx2.c: the q8 products with AVX2 (matmul_q8.h), for CPUs
 * without AVX-512 VNNI. vpmaddubsw multiplies unsigned by signed bytes and
 * adds pairs into int16 with saturation, so it gets |w| (at most 128) and
 * x with w's sign (|x| <= 127): a pair sums to at most 2 * 128 * 127 = 32512
 * in magnitude, inside int16, never saturating; vpmaddwd by ones then adds
 * pairs of those into int32 lanes. Dot tiles of up to 8 (row, token) pairs,
 * one 32-value block per step, folded into per-block sums with lanes = pairs;
 * many tokens run the same tiles over blocks of 32 rows kept in cache. */
#include "platform/matmul.h"
#include "platform/matmul_q8.h"

#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))
#define INLINE TARGET static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

enum { PAIRS = 8, ROW_BLOCK = 32 };

/* Lane p = the sum of v[p]'s lanes (integers: exact in any order). */
INLINE __m256i fold8(const __m256i v[PAIRS]) {
    __m256i s2[4], s4[2];
    UNROLL
    for (int p = 0; p < 4; p++)
        s2[p] = _mm256_add_epi32(_mm256_unpacklo_epi32(v[2 * p], v[2 * p + 1]),
                                 _mm256_unpackhi_epi32(v[2 * p], v[2 * p + 1]));
    UNROLL
    for (int p = 0; p < 2; p++)
        s4[p] = _mm256_add_epi32(_mm256_unpacklo_epi64(s2[2 * p], s2[2 * p + 1]),
                                 _mm256_unpackhi_epi64(s2[2 * p], s2[2 * p + 1]));
    return _mm256_add_epi32(_mm256_permute2x128_si256(s4[0], s4[1], 0x20),
                            _mm256_permute2x128_si256(s4[0], s4[1], 0x31));
}

/* y[t0 + t][n + r] for r < R, t < TT (R * TT <= 8). */
INLINE void dot_tile(const titan_q8_args *a, int64_t n, int t0, int R, int TT) {
    static const int32_t token_of[5][PAIRS] = {{0},
                                               {0},
                                               {0, 1, 0, 1, 0, 1, 0, 1},
                                               {0, 1, 2, 0, 1, 2, 0, 1},
                                               {0, 1, 2, 3, 0, 1, 2, 3}};
    const titan_q8_acts *x = a->x;
    int64_t K = a->w->cols, N = a->w->rows;
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i idx = _mm256_loadu_si256((const __m256i *)token_of[TT]);
    const int8_t *rows[PAIRS];
    UNROLL
    for (int r = 0; r < R; r++)
        rows[r] = (const int8_t *)a->w->data + (size_t)(n + r) * K;
    int64_t gs = a->w->group_size && a->w->group_size < K ? a->w->group_size : K;
    float ws[PAIRS] = {0}, out[PAIRS], xsb[PAIRS] = {0};
    __m256 y = _mm256_setzero_ps();
    for (int64_t b = 0; b < x->blocks; b++) {
        int64_t k = b * 32;
        __m256i xv[4], acc[PAIRS];
        UNROLL
        for (int t = 0; t < TT; t++)
            xv[t] = _mm256_loadu_si256(
                (const __m256i *)(x->q + (size_t)(t0 + t) * x->ld + k));
        UNROLL
        for (int p = 0; p < PAIRS; p++) acc[p] = _mm256_setzero_si256();
        UNROLL
        for (int r = 0; r < R; r++) {
            __m256i wv;
            if (K - k >= 32) {
                wv = _mm256_loadu_si256((const __m256i *)(rows[r] + k));
            } else { /* the row's last values, zero-padded */
                int8_t tail[32] = {0};
                memcpy(tail, rows[r] + k, (size_t)(K - k));
                wv = _mm256_loadu_si256((const __m256i *)tail);
            }
            __m256i aw = _mm256_abs_epi8(wv);
            UNROLL
            for (int t = 0; t < TT; t++) {
                __m256i sx = _mm256_sign_epi8(xv[t], wv);
                acc[r * TT + t] = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, sx), ones);
            }
        }
        if (b == 0 || (gs < K && k % gs == 0)) /* a new group of weight scales */
            for (int p = 0; p < R * TT; p++) ws[p] = titan_q8_wscale(a->w, n + p / TT, b);
        for (int t = 0; t < TT; t++) xsb[t] = x->scale[(size_t)b * x->T + t0 + t];
        __m256 xs = _mm256_permutevar8x32_ps(_mm256_loadu_ps(xsb), idx);
        __m256 s = _mm256_mul_ps(_mm256_loadu_ps(ws), xs);
        y = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(fold8(acc)), y);
    }
    _mm256_storeu_ps(out, y);
    for (int r = 0; r < R; r++)
        for (int t = 0; t < TT; t++) a->y[(size_t)(t0 + t) * N + n + r] = out[r * TT + t];
}

#define TT_CASES(R1)                                                                     \
    switch (TT) {                                                                        \
    case 1: dot_tile(a, n, t0, (R1) ? 1 : 8, 1); break;                                  \
    case 2: dot_tile(a, n, t0, (R1) ? 1 : 4, 2); break;                                  \
    case 3: dot_tile(a, n, t0, (R1) ? 1 : 2, 3); break;                                  \
    default: dot_tile(a, n, t0, (R1) ? 1 : 2, 4); break;                                 \
    }

/* Half h (rows 8h .. 8h + 7) of step j of a group's block: w itself (8
 * bits), or u = w + 32 from the 6-bit planes (as step_u of
 * matmul_q8_vnni512.c, 32 bytes at a time). */
INLINE __m256i half_step(const int8_t *blk, int j, int h, int BITS) {
    if (BITS == 8) return _mm256_loadu_si256((const __m256i *)(blk + 64 * j + 32 * h));
    __m256i nb = _mm256_loadu_si256((const __m256i *)(blk + 64 * (j / 2) + 32 * h));
    if (j % 2) nb = _mm256_srli_epi16(nb, 4);
    __m256i hs = _mm256_loadu_si256((const __m256i *)(blk + 256 + 64 * (j / 4) + 32 * h));
    int c = j % 4;
    hs = c == 0   ? _mm256_slli_epi16(hs, 4)
         : c == 1 ? _mm256_slli_epi16(hs, 2)
         : c == 3 ? _mm256_srli_epi16(hs, 2)
                  : hs;
    return _mm256_or_si256(_mm256_and_si256(nb, _mm256_set1_epi8(0x0f)),
                           _mm256_and_si256(hs, _mm256_set1_epi8(0x30)));
}

/* Sums of 4 products per int32 lane of w (8 bits: |w| times x with w's sign,
 * as dot_tile) or u (6 bits: u <= 63, so u x pairs stay inside int16). */
INLINE __m256i dot4(__m256i w, __m256i xb, int BITS) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i pr = BITS == 8
                     ? _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(xb, w))
                     : _mm256_maddubs_epi16(w, xb);
    return _mm256_madd_epi16(pr, ones);
}

/* y[t0 + t][16 (g + i) + r] for t < TT, i < NG, rows in [n0, n1), from the
 * interleaved copy (matmul_q8_pack.h): per 32 bytes (8 rows x 4 values)
 * and token one vpmaddubsw and one vpmaddwd give 8 rows' sums of 4. */
INLINE void packed_tile(const titan_q8_args *a, int64_t g, int t0, int NG, int TT,
                        int BITS, int64_t n0, int64_t n1) {
    const titan_q8_acts *x = a->x;
    const titan_q8_packed *p = a->p;
    size_t bb = titan_q8_block_bytes(BITS);
    const int8_t *wp[2], *xq[2];
    const float *sp[2];
    UNROLL
    for (int i = 0; i < NG; i++) {
        wp[i] = titan_q8_group_values(p, g + i), sp[i] = titan_q8_group_scales(p, g + i);
    }
    UNROLL
    for (int t = 0; t < TT; t++) xq[t] = x->q + (size_t)(t0 + t) * x->ld;
    __m256 y[2][2][2], ws[2][2]; /* [group][half of 8 rows][token] */
    UNROLL
    for (int i = 0; i < NG; i++) UNROLL
    for (int h = 0; h < 2; h++) {
        ws[i][h] = _mm256_setzero_ps();
        UNROLL
        for (int t = 0; t < TT; t++) y[i][h][t] = _mm256_setzero_ps();
    }
    int64_t snext = 0;
    for (int64_t b = 0; b < p->blocks; b++) {
        if (b == snext) { /* a new group of weight scales */
            UNROLL
            for (int i = 0; i < NG; i++) {
                ws[i][0] = _mm256_loadu_ps(sp[i]), ws[i][1] = _mm256_loadu_ps(sp[i] + 8);
                sp[i] += 16;
            }
            snext += p->sblocks;
        }
        __m256i acc[2][2][2];
        UNROLL
        for (int i = 0; i < NG; i++) UNROLL
        for (int h = 0; h < 2; h++) UNROLL
        for (int t = 0; t < TT; t++) acc[i][h][t] = _mm256_setzero_si256();
        UNROLL
        for (int j = 0; j < 8; j++) {
            __m256i xb[2];
            UNROLL
            for (int t = 0; t < TT; t++) {
                int32_t xv;
                memcpy(&xv, xq[t] + b * 32 + 4 * j, 4);
                xb[t] = _mm256_set1_epi32(xv);
            }
            UNROLL
            for (int i = 0; i < NG; i++) UNROLL
            for (int h = 0; h < 2; h++) {
                __m256i wv = half_step(wp[i] + (size_t)b * bb, j, h, BITS);
                UNROLL
                for (int t = 0; t < TT; t++)
                    acc[i][h][t] = _mm256_add_epi32(acc[i][h][t], dot4(wv, xb[t], BITS));
            }
        }
        UNROLL
        for (int t = 0; t < TT; t++) {
            size_t bi = (size_t)b * (size_t)x->T + (size_t)(t0 + t);
            __m256 xs = _mm256_set1_ps(x->scale[bi]);
            __m256i c = _mm256_set1_epi32(BITS == 8 ? 0 : x->sum[bi] * 32);
            UNROLL
            for (int i = 0; i < NG; i++) UNROLL
            for (int h = 0; h < 2; h++)
                y[i][h][t] = _mm256_fmadd_ps(
                    _mm256_mul_ps(ws[i][h], xs),
                    _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[i][h][t], c)), y[i][h][t]);
        }
    }
    int64_t N = a->w->rows;
    UNROLL
    for (int i = 0; i < NG; i++) UNROLL
    for (int t = 0; t < TT; t++) {
        int64_t n = (g + i) * TITAN_Q8_IL;
        int64_t lo = n0 > n ? n0 - n : 0, hi = n1 - n < 16 ? n1 - n : 16;
        float out[16];
        _mm256_storeu_ps(out, y[i][0][t]), _mm256_storeu_ps(out + 8, y[i][1][t]);
        memcpy(a->y + (size_t)(t0 + t) * (size_t)N + n + lo, out + lo,
               (size_t)(hi - lo) * sizeof(float));
    }
}

/* packed_tile with constant NG, TT and bits: one token takes 2 groups. */
TARGET static void packed_step(const titan_q8_args *a, int64_t g, int t0, int NG, int TT,
                               int64_t n0, int64_t n1) {
    bool eight = a->p->bits == 8;
    if (NG == 2 && eight)
        packed_tile(a, g, t0, 2, 1, 8, n0, n1);
    else if (NG == 2)
        packed_tile(a, g, t0, 2, 1, 6, n0, n1);
    else if (TT == 1 && eight)
        packed_tile(a, g, t0, 1, 1, 8, n0, n1);
    else if (TT == 1)
        packed_tile(a, g, t0, 1, 1, 6, n0, n1);
    else if (eight)
        packed_tile(a, g, t0, 1, 2, 8, n0, n1);
    else
        packed_tile(a, g, t0, 1, 2, 6, n0, n1);
}

/* Rows [n0, n1) from the interleaved copy, 2 groups serving every token; a
 * share starting inside a group computes the group and stores its own rows. */
TARGET static void packed_rows(const titan_q8_args *a, int64_t n0, int64_t n1) {
    int64_t g0 = n0 / TITAN_Q8_IL, g1 = (n1 + TITAN_Q8_IL - 1) / TITAN_Q8_IL;
    int T = a->x->T;
    for (int64_t g = g0; g < g1; g += 2) {
        int ng = g + 2 <= g1 ? 2 : 1;
        for (int t0 = 0; t0 < T; t0 += 2) {
            if (T - t0 == 1)
                packed_step(a, g, t0, ng, 1, n0, n1);
            else
                for (int i = 0; i < ng; i++) packed_step(a, g + i, t0, 1, 2, n0, n1);
        }
    }
}

TARGET void titan_q8_rows_avx2(const titan_q8_args *a, int64_t n0, int64_t n1,
                               void *scratch) {
    (void)scratch;
    if (a->p) {
        packed_rows(a, n0, n1);
        return;
    }
    int T = a->x->T;
    for (int64_t nb = n0; nb < n1; nb += ROW_BLOCK) {
        int64_t ne = n1 - nb < ROW_BLOCK ? n1 : nb + ROW_BLOCK;
        for (int t0 = 0; t0 < T; t0 += 4) {
            int TT = T - t0 < 4 ? T - t0 : 4, R = TT == 1 ? 8 : TT == 2 ? 4 : 2;
            int64_t n = nb;
            for (; n + R <= ne; n += R) TT_CASES(0)
            for (; n < ne; n++) TT_CASES(1)
        }
    }
}
#else
void titan_q8_rows_avx2(const titan_q8_args *a, int64_t n0, int64_t n1, void *scratch) {
    titan_q8_rows_scalar(a, n0, n1, scratch);
}
#endif
