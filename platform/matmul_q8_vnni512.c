/* matmul_q8_vnni512.c: the q8 products with AVX-512 VNNI (matmul_q8.h).
 * vpdpbusd multiplies unsigned by signed bytes, so weights go in as
 * u = w + 128 (w xor 0x80, in [0, 255]) and x as it is (in [-127, 127]):
 * sum u x = sum w x + 128 * sum x, and the block's sum of x is known from
 * quantization. Four products per int32 lane, at most 4 * 255 * 127, no
 * saturation (vpdpbusd, unlike vpdpbusds, does not saturate anyway).
 * Few tokens: dot tiles of up to 16 (row, token) pairs stream W in place; a
 * 64-byte step yields per pair one vector holding two blocks' partial sums,
 * folded into per-block sums with lanes = pairs. Many tokens: W is packed
 * into panels of 32 rows x 4 bytes per k-step, so one vpdpbusd gives 16 rows'
 * partial sums and a block's sums need no folding. */
#include "platform/matmul.h"
#include "platform/matmul_q8.h"

#include <string.h>

#if defined(__x86_64__)
#include "platform/transpose_avx512.h"

#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,fma")))
#define INLINE TARGET static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

enum { PAIRS = 16, MR = 6, NR = 32, KC = 256 };

/* ---- few tokens ---- */

/* Lane p of lo (hi) = the sum of the low (high) 256 bits' lanes of v[p]:
 * pairs interleave-add within 128-bit lanes, then lanes fold (as
 * sum_each16 in matmul_avx512.c, in integers: exact in any order). */
INLINE void fold_blocks(const __m512i v[PAIRS], __m512i *lo, __m512i *hi) {
    __m512i s2[8], s4[4];
    UNROLL
    for (int i = 0; i < 8; i++)
        s2[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2 * i], v[2 * i + 1]),
                                 _mm512_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
    UNROLL
    for (int i = 0; i < 4; i++)
        s4[i] = _mm512_add_epi32(_mm512_unpacklo_epi64(s2[2 * i], s2[2 * i + 1]),
                                 _mm512_unpackhi_epi64(s2[2 * i], s2[2 * i + 1]));
    /* s4[i], 128-bit lane L: lane-L sums of pairs 4i .. 4i+3 */
    __m512i a = _mm512_add_epi32(_mm512_shuffle_i32x4(s4[0], s4[1], 0x88),
                                 _mm512_shuffle_i32x4(s4[0], s4[1], 0xdd));
    __m512i b = _mm512_add_epi32(_mm512_shuffle_i32x4(s4[2], s4[3], 0x88),
                                 _mm512_shuffle_i32x4(s4[2], s4[3], 0xdd));
    *lo = _mm512_shuffle_i32x4(a, b, 0x88);
    *hi = _mm512_shuffle_i32x4(a, b, 0xdd);
}

/* y[lane p] = fma(ws[p] * xs(t_p, b), isum[p] - 128 * sum(t_p, b), y) for
 * pair p = r * TT + t, token t_p = t0 + t. */
INLINE __m512 block_fma(const titan_q8_acts *x, int64_t b, int t0, int TT, __m512i isum,
                        __m512 ws, __m512 y) {
    static const int32_t token_of[5][PAIRS] = {
        {0},
        {0},
        {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1},
        {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0},
        {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}};
    __m512i idx = _mm512_loadu_si512(token_of[TT]);
    size_t i = (size_t)b * (size_t)x->T + (size_t)t0;
    __mmask16 m = (__mmask16)((1u << TT) - 1);
    __m512 xs = _mm512_permutexvar_ps(idx, _mm512_maskz_loadu_ps(m, x->scale + i));
    __m512i sum = _mm512_permutexvar_epi32(idx, _mm512_maskz_loadu_epi32(m, x->sum + i));
    isum = _mm512_sub_epi32(isum, _mm512_slli_epi32(sum, 7));
    return _mm512_fmadd_ps(_mm512_mul_ps(ws, xs), _mm512_cvtepi32_ps(isum), y);
}

/* Scales of group g for the tile's pairs (lane p: row n + p / TT). */
INLINE __m512 pair_scales(const titan_tensor *w, int64_t n, int64_t b, int R, int TT) {
    float s[PAIRS] = {0};
    for (int p = 0; p < R * TT; p++) s[p] = titan_q8_wscale(w, n + p / TT, b);
    return _mm512_loadu_ps(s);
}

/* y[t0 + t][n + r] for r < R, t < TT (R * TT <= 16). */
INLINE void dot_tile(const titan_q8_args *a, int64_t n, int t0, int R, int TT) {
    const titan_q8_acts *x = a->x;
    int64_t K = a->w->cols, N = a->w->rows;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    const int8_t *rows[PAIRS];
    const int8_t *xs[4];
    UNROLL
    for (int r = 0; r < R; r++)
        rows[r] = (const int8_t *)a->w->data + (size_t)(n + r) * K;
    UNROLL
    for (int t = 0; t < TT; t++) xs[t] = x->q + (size_t)(t0 + t) * x->ld;
    int64_t gs = a->w->group_size && a->w->group_size < K ? a->w->group_size : K;
    int64_t gnext = 0; /* where the next group of scales starts */
    size_t ahead = PREFETCH_TILES * (size_t)R * (size_t)K, step = (size_t)R * 64;
    const char *pf = (const char *)rows[0] + ahead;
    __m512 y = _mm512_setzero_ps(), ws = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k += 64, pf += step) {
        UNROLL
        for (int r = 0; r < R; r++) _mm_prefetch(pf + 64 * r, _MM_HINT_T1);
        __mmask64 m = K - k >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (K - k)) - 1);
        __m512i xv[4], acc[PAIRS];
        UNROLL
        for (int t = 0; t < TT; t++) xv[t] = _mm512_loadu_si512(xs[t] + k);
        UNROLL
        for (int p = 0; p < PAIRS; p++) acc[p] = _mm512_setzero_si512();
        UNROLL
        for (int r = 0; r < R; r++) {
            __m512i wv = K - k >= 64 ? _mm512_loadu_si512(rows[r] + k)
                                     : _mm512_maskz_loadu_epi8(m, rows[r] + k);
            wv = _mm512_xor_si512(wv, flip);
            UNROLL
            for (int t = 0; t < TT; t++)
                acc[r * TT + t] = _mm512_dpbusd_epi32(acc[r * TT + t], wv, xv[t]);
        }
        __m512i lo, hi;
        fold_blocks(acc, &lo, &hi);
        int64_t b = k / 32;
        /* a new group of weight scales (no division in the loop) */
        if (k == gnext) ws = pair_scales(a->w, n, b, R, TT), gnext += gs;
        y = block_fma(x, b, t0, TT, lo, ws, y);
        if (b + 1 < x->blocks) {
            if (k + 32 == gnext) ws = pair_scales(a->w, n, b + 1, R, TT), gnext += gs;
            y = block_fma(x, b + 1, t0, TT, hi, ws, y);
        }
    }
    float out[PAIRS];
    _mm512_storeu_ps(out, y);
    for (int r = 0; r < R; r++)
        for (int t = 0; t < TT; t++) a->y[(size_t)(t0 + t) * N + n + r] = out[r * TT + t];
}

#define TT_CASES(R1)                                                                     \
    switch (TT) {                                                                        \
    case 1: dot_tile(a, n, t0, (R1) ? 1 : 8, 1); break;                                  \
    case 2: dot_tile(a, n, t0, (R1) ? 1 : 8, 2); break;                                  \
    case 3: dot_tile(a, n, t0, (R1) ? 1 : 5, 3); break;                                  \
    default: dot_tile(a, n, t0, (R1) ? 1 : 4, 4); break;                                 \
    }

/* One token takes 8 rows, not 16: streaming W from DRAM (4096 x 4096,
 * 1 thread, busy host) 16 rows ran 1.04 ms, 8 rows 0.72 (exact int8: 0.63). */
TARGET static void dot_rows(const titan_q8_args *a, int64_t n0, int64_t n1) {
    int T = a->x->T;
    for (int t0 = 0; t0 < T; t0 += 4) {
        int TT = T - t0 < 4 ? T - t0 : 4, R = TT == 3 ? 5 : TT == 1 ? 8 : 16 / TT;
        int64_t n = n0;
        for (; n + R <= n1; n += R) TT_CASES(0)
        for (; n < n1; n++) TT_CASES(1)
    }
}

/* ---- interleaved weights (matmul_q8_pack.h) ---- */

/* Step j (64 bytes: 16 rows x 4 values) of a group's block, as the unsigned
 * operand u = w + 128 (8 bits: w xor 0x80) or w + 32 (6 bits: the low
 * nibble plane, and the 2-bit plane shifted to bits 4-5; 16-bit shifts
 * leak bits across bytes only where the masks clear them). */
INLINE __m512i step_u(const int8_t *blk, int j, int BITS) {
    if (BITS == 8)
        return _mm512_xor_si512(_mm512_loadu_si512(blk + 64 * j),
                                _mm512_set1_epi8((char)0x80));
    __m512i nb = _mm512_loadu_si512(blk + 64 * (j / 2));
    if (j % 2) nb = _mm512_srli_epi16(nb, 4);
    __m512i hs = _mm512_loadu_si512(blk + 256 + 64 * (j / 4));
    int c = j % 4;
    hs = c == 0   ? _mm512_slli_epi16(hs, 4)
         : c == 1 ? _mm512_slli_epi16(hs, 2)
         : c == 3 ? _mm512_srli_epi16(hs, 2)
                  : hs;
    hs = _mm512_and_si512(hs, _mm512_set1_epi8(0x30));
    /* (nb & 0x0f) | hs */
    return _mm512_ternarylogic_epi32(nb, _mm512_set1_epi8(0x0f), hs, 0xEA);
}

/* Lanes of rows [n0, n1) among the 16 from row n. */
static inline __mmask16 row_mask(int64_t n, int64_t n0, int64_t n1) {
    int64_t lo = n0 - n < 0 ? 0 : n0 - n, hi = n1 - n > 16 ? 16 : n1 - n;
    return (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

/* y[t0 + t][16 (g + i) + r] for t < TT, i < NG, rows in [n0, n1): one
 * vpdpbusd per 64 bytes of u and token gives 16 rows' sums of 4 products. */
INLINE void packed_tile(const titan_q8_args *a, int64_t g, int t0, int NG, int TT,
                        int BITS, int64_t n0, int64_t n1) {
    const titan_q8_acts *x = a->x;
    const titan_q8_packed *p = a->p;
    size_t bb = titan_q8_block_bytes(BITS);
    const int8_t *wp[4], *xq[4];
    const float *sp[4];
    UNROLL
    for (int i = 0; i < NG; i++) {
        wp[i] = titan_q8_group_values(p, g + i), sp[i] = titan_q8_group_scales(p, g + i);
    }
    UNROLL
    for (int t = 0; t < TT; t++) xq[t] = x->q + (size_t)(t0 + t) * x->ld;
    /* the groups after these, contiguous with them: streamed into cache
     * while these are dotted (short rows leave the hardware prefetcher too
     * little of a stream to learn) */
    const int8_t *next = titan_q8_group_values(p, g + NG);
    __m512 y[4][4], ws[4];
    UNROLL
    for (int i = 0; i < NG; i++) UNROLL
    for (int t = 0; t < TT; t++) y[i][t] = ws[i] = _mm512_setzero_ps();
    int64_t snext = 0;
    for (int64_t b = 0; b < p->blocks; b++) {
        if (b == snext) { /* a new group of weight scales */
            UNROLL
            for (int i = 0; i < NG; i++) ws[i] = _mm512_loadu_ps(sp[i]), sp[i] += 16;
            snext += p->sblocks;
        }
        __m512i acc[4][4];
        UNROLL
        for (int i = 0; i < NG; i++) UNROLL
        for (int t = 0; t < TT; t++) acc[i][t] = _mm512_setzero_si512();
        UNROLL
        for (int j = 0; j < 8; j++) {
            __m512i xb[4];
            UNROLL
            for (int t = 0; t < TT; t++) {
                int32_t xv;
                memcpy(&xv, xq[t] + b * 32 + 4 * j, 4);
                xb[t] = _mm512_set1_epi32(xv);
            }
            UNROLL
            for (int i = 0; i < NG; i++) {
                if (j < (int)bb / 64) /* the next tile's line, one per line read */
                    _mm_prefetch((const char *)next +
                                     (((size_t)b * NG + i) * bb + 64 * j),
                                 _MM_HINT_T0);
                __m512i u = step_u(wp[i] + (size_t)b * bb, j, BITS);
                UNROLL
                for (int t = 0; t < TT; t++)
                    acc[i][t] = _mm512_dpbusd_epi32(acc[i][t], u, xb[t]);
            }
        }
        UNROLL
        for (int t = 0; t < TT; t++) {
            size_t bi = (size_t)b * (size_t)x->T + (size_t)(t0 + t);
            __m512 xs = _mm512_set1_ps(x->scale[bi]);
            __m512i c = _mm512_set1_epi32(x->sum[bi] * (BITS == 8 ? 128 : 32));
            UNROLL
            for (int i = 0; i < NG; i++)
                y[i][t] = _mm512_fmadd_ps(
                    _mm512_mul_ps(ws[i], xs),
                    _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][t], c)), y[i][t]);
        }
    }
    int64_t N = a->w->rows;
    UNROLL
    for (int i = 0; i < NG; i++) {
        int64_t n = (g + i) * TITAN_Q8_IL;
        __mmask16 m = row_mask(n, n0, n1);
        UNROLL
        for (int t = 0; t < TT; t++)
            _mm512_mask_storeu_ps(a->y + (size_t)(t0 + t) * (size_t)N + n, m, y[i][t]);
    }
}

#define PACKED_TILES(BITS)                                                               \
    switch (NG * 8 + TT) {                                                               \
    case 33: packed_tile(a, g, t0, 4, 1, BITS, n0, n1); break;                           \
    case 9: packed_tile(a, g, t0, 1, 1, BITS, n0, n1); break;                            \
    case 18: packed_tile(a, g, t0, 2, 2, BITS, n0, n1); break;                           \
    case 10: packed_tile(a, g, t0, 1, 2, BITS, n0, n1); break;                           \
    case 19: packed_tile(a, g, t0, 2, 3, BITS, n0, n1); break;                           \
    case 11: packed_tile(a, g, t0, 1, 3, BITS, n0, n1); break;                           \
    case 20: packed_tile(a, g, t0, 2, 4, BITS, n0, n1); break;                           \
    default: packed_tile(a, g, t0, 1, 4, BITS, n0, n1); break;                           \
    }

/* packed_tile with constant NG, TT and bits (1 token: 1 or 4 groups, else 1
 * or 2). */
TARGET static void packed_step(const titan_q8_args *a, int64_t g, int t0, int NG, int TT,
                               int64_t n0, int64_t n1) {
    if (a->p->bits == 8)
        PACKED_TILES(8)
    else
        PACKED_TILES(6)
}

/* Rows [n0, n1) from the interleaved copy, 4 groups (64 rows, at most 64 K
 * bytes, in L1/L2) serving every token; a share starting inside a group
 * computes the group and stores its own rows. */
TARGET static void packed_rows(const titan_q8_args *a, int64_t n0, int64_t n1) {
    int64_t g0 = n0 / TITAN_Q8_IL, g1 = (n1 + TITAN_Q8_IL - 1) / TITAN_Q8_IL;
    int T = a->x->T;
    for (int64_t g = g0; g < g1; g += 4) {
        int ng = g1 - g < 4 ? (int)(g1 - g) : 4;
        for (int t0 = 0; t0 < T; t0 += 4) {
            int TT = T - t0 < 4 ? T - t0 : 4;
            for (int i = 0; i < ng;) {
                int take = TT == 1 ? (ng - i == 4 ? 4 : 1) : (ng - i >= 2 ? 2 : 1);
                packed_step(a, g + i, t0, take, TT, n0, n1);
                i += take;
            }
        }
    }
}

/* ---- many tokens: panels ---- */

/* The panel: u[k/4][r][k%4] = W[n + r][k0 + k] + 128 for r < rows, k < kc
 * (0 past them: x is 0 there and in padding), and ws[k/32][r] the scales. */
typedef struct {
    uint8_t u[KC / 4][NR][4];
    float ws[KC / 32][NR];
} q8_panel;

/* 16 rows' values [k0 + k, k0 + k + 64) transposed in registers into
 * 4-byte groups: 32-bit lane transposes move the groups, xor adds 128. */
INLINE void panel_run(const titan_tensor *w, int64_t n, int rows, int h, int64_t k0,
                      int k, int kc, q8_panel *p) {
    int64_t K = w->cols;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __mmask64 m = kc - k >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (kc - k)) - 1);
    __m512 v[16];
    UNROLL
    for (int i = 0; i < 16; i++) {
        const int8_t *src = (const int8_t *)w->data + (size_t)(n + h + i) * K + k0 + k;
        __m512i b = h + i >= rows  ? _mm512_setzero_si512()
                    : kc - k >= 64 ? _mm512_loadu_si512(src)
                                   : _mm512_maskz_loadu_epi8(m, src);
        v[i] = _mm512_castsi512_ps(_mm512_xor_si512(b, flip));
    }
    titan_transpose16(v);
    UNROLL
    for (int c = 0; c < 16; c++) _mm512_store_ps(p->u[k / 4 + c][h], v[c]);
}

/* Scales first (a row's group changes every gs / 32 blocks), then values. */
TARGET static void fill_panel(const titan_tensor *w, int64_t n, int rows, int64_t k0,
                              int kc, q8_panel *p) {
    int nb = (kc + 31) / 32;
    for (int r = 0; r < NR; r++)
        for (int b = 0; b < nb; b++)
            p->ws[b][r] = r < rows ? titan_q8_wscale(w, n + r, k0 / 32 + b) : 0.0f;
    for (int h = 0; h < NR; h += 16)
        for (int k = 0; k < kc; k += 64) panel_run(w, n, rows, h, k0, k, kc, p);
}

/* y[t][r] (+)= the formula's blocks [k0/32, k0/32 + nb) for tokens
 * t0 .. t0 + nt (nt <= MR) and rows r < rows of the panel. */
TARGET static void micro_kernel(const q8_panel *p, const titan_q8_acts *x, int64_t k0,
                                int nb, int t0, int nt, float *y, size_t ldy, int rows,
                                bool accumulate) {
    __m512 f[MR][2];
    const int8_t *xr[MR]; /* tokens past nt repeat the last: read, never stored */
    UNROLL
    for (int t = 0; t < MR; t++) {
        int tt = t < nt ? t : nt - 1;
        xr[t] = x->q + (size_t)(t0 + tt) * x->ld + k0;
        f[t][0] = f[t][1] = _mm512_setzero_ps();
    }
    __mmask16 m0 = (__mmask16)(rows >= 16 ? 0xffff : (1u << rows) - 1);
    __mmask16 m1 = (__mmask16)(rows >= 32  ? 0xffff
                               : rows > 16 ? (1u << (rows - 16)) - 1
                                           : 0);
    if (accumulate) UNROLL
    for (int t = 0; t < MR; t++) {
        if (t >= nt) break;
        f[t][0] = _mm512_maskz_loadu_ps(m0, y + (size_t)t * ldy);
        f[t][1] = _mm512_maskz_loadu_ps(m1, y + (size_t)t * ldy + 16);
    }
    for (int b = 0; b < nb; b++) {
        __m512i acc[MR][2];
        UNROLL
        for (int t = 0; t < MR; t++) acc[t][0] = acc[t][1] = _mm512_setzero_si512();
        UNROLL
        for (int j = 0; j < 8; j++) {
            int k4 = b * 8 + j;
            __m512i w0 = _mm512_load_si512(p->u[k4][0]);
            __m512i w1 = _mm512_load_si512(p->u[k4][16]);
            UNROLL
            for (int t = 0; t < MR; t++) {
                int32_t xv;
                memcpy(&xv, xr[t] + 4 * k4, 4);
                __m512i xb = _mm512_set1_epi32(xv);
                acc[t][0] = _mm512_dpbusd_epi32(acc[t][0], w0, xb);
                acc[t][1] = _mm512_dpbusd_epi32(acc[t][1], w1, xb);
            }
        }
        __m512 ws0 = _mm512_load_ps(p->ws[b]), ws1 = _mm512_load_ps(p->ws[b] + 16);
        size_t bi = (size_t)(k0 / 32 + b) * (size_t)x->T + (size_t)t0;
        UNROLL
        for (int t = 0; t < MR; t++) {
            size_t i = bi + (size_t)(t < nt ? t : nt - 1);
            __m512 xs = _mm512_set1_ps(x->scale[i]);
            __m512i c = _mm512_set1_epi32(x->sum[i] * 128);
            f[t][0] = _mm512_fmadd_ps(_mm512_mul_ps(ws0, xs),
                                      _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[t][0], c)),
                                      f[t][0]);
            f[t][1] = _mm512_fmadd_ps(_mm512_mul_ps(ws1, xs),
                                      _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[t][1], c)),
                                      f[t][1]);
        }
    }
    UNROLL
    for (int t = 0; t < MR; t++) {
        if (t >= nt) break;
        _mm512_mask_storeu_ps(y + (size_t)t * ldy, m0, f[t][0]);
        _mm512_mask_storeu_ps(y + (size_t)t * ldy + 16, m1, f[t][1]);
    }
}

/* Rows [n0, n1): per block of KC columns, each panel of NR rows serves all
 * tokens while it is hot in L1 (the quantized x, T * KC bytes, stays in L2). */
TARGET static void panel_rows(const titan_q8_args *a, int64_t n0, int64_t n1,
                              q8_panel *p) {
    const titan_q8_acts *x = a->x;
    int64_t K = a->w->cols, N = a->w->rows;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
        int kc = K - k0 < KC ? (int)(K - k0) : KC;
        for (int64_t n = n0; n < n1; n += NR) {
            int rows = n1 - n < NR ? (int)(n1 - n) : NR;
            fill_panel(a->w, n, rows, k0, kc, p);
            for (int t = 0; t < x->T; t += MR)
                micro_kernel(p, x, k0, (kc + 31) / 32, t, x->T - t < MR ? x->T - t : MR,
                             a->y + (size_t)t * (size_t)N + n, (size_t)N, rows, k0 > 0);
        }
    }
}

_Static_assert(sizeof(q8_panel) <= MATMUL_SCRATCH_FLOATS * sizeof(float),
               "a q8 panel fits the per-thread scratch");

TARGET void titan_q8_rows_vnni512(const titan_q8_args *a, int64_t n0, int64_t n1,
                                  void *scratch) {
    if (a->p) /* as fast as panels or faster at any T (busy host, 1536 x 576) */
        packed_rows(a, n0, n1);
    else if (a->x->T < MATMUL_DOT_MAX_T)
        dot_rows(a, n0, n1);
    else
        panel_rows(a, n0, n1, scratch);
}
#else
void titan_q8_rows_vnni512(const titan_q8_args *a, int64_t n0, int64_t n1,
                           void *scratch) {
    titan_q8_rows_scalar(a, n0, n1, scratch);
}
#endif
