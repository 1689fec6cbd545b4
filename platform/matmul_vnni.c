/* matmul_vnni.c: few-token products (decode) with weights stored as int8,
 * int6b or int6 with one scale per row, as integer dot products on AVX-512
 * VNNI (int6 unpacked with VBMI).
 *
 * Decode reads each weight once per token. Converting weights to float costs
 * three instructions per 16 of them, which leaves a core little headroom over
 * what memory delivers. Instead x is quantized once per call and token to
 * q = round(x / s), s = max|x| / QMAX (about 2^-31 max|x|), written as
 * four signed byte digits q = sum_d 256^d d_d. vpdpbusd multiplies 64
 * weights, offset to
 * unsigned bytes w + 128, by one digit plane into exact int32 sums:
 *   sum_k w_k q_k = sum_d 256^d (A_d - 128 D_d),
 *   A_d = sum_k (w_k + 128) d_dk,  D_d = sum_k d_dk.
 * The only rounding is x's: |x - s q| <= s + 2^-24 |x|, so even a token
 * with a large outlier keeps float-like accuracy (24 bits would not).
 * Rows never mix, so results do not depend on tiles or threads, and int6
 * values give the same bits in all three layouts. */
#include "platform/matmul.h"

#include "quant/quant.h"

#include <float.h>
#include <math.h>

#define QMAX 2139062143 /* 127 * (2^24 + 2^16 + 2^8 + 1): four signed digits */
#define VNNI_K_MAX 65536  /* |A_d| <= K * 255 * 128 stays below 2^31 */

#define PLANES 4

static int64_t kpad_of(int64_t K) { return (K + 63) / 64 * 64; }

bool titan_vnni_takes(const titan_tensor *w, int T) {
    titan_dtype dt = w->dtype;
    bool integer = dt == TITAN_DT_INT8 || dt == TITAN_DT_INT6_BYTE || dt == TITAN_DT_INT6;
    bool per_row = w->group_size == 0 || w->group_size >= w->cols;
    return integer && per_row && T >= 1 && T < MATMUL_DOT_MAX_T &&
           w->cols <= VNNI_K_MAX;
}

size_t titan_vnni_xq_bytes(int T, int64_t K) {
    return (size_t)T * (PLANES * ((size_t)kpad_of(K) + sizeof(int32_t)) + sizeof(float));
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi")))
#define INLINE TARGET static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

enum { TOKENS_MAX = 3, ROWS_MAX = 4 };

static inline __mmask16 mask16(int64_t rem) {
    return rem >= 16 ? (__mmask16)0xffff : rem <= 0 ? 0 : (__mmask16)((1u << rem) - 1);
}

static inline __mmask64 mask64(int64_t bytes) {
    return bytes >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << bytes) - 1;
}

/* 1 / s for one token (0: x is all zero, tiny, or not finite), and s. */
TARGET static float token_inverse_scale(const float *x, int64_t K, float *scale) {
    __m512 m = _mm512_setzero_ps();
    __mmask16 nan = 0;
    for (int64_t k = 0; k < K; k += 16) {
        __m512 v = _mm512_maskz_loadu_ps(mask16(K - k), x + k);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        m = _mm512_max_ps(m, _mm512_abs_ps(v));
    }
    float mx = _mm512_reduce_max_ps(m);
    if (nan || !(mx <= FLT_MAX)) { /* NaN out, never a plausible number */
        *scale = NAN;
        return 0;
    }
    *scale = mx < 0x1p-100f ? 0 : mx / QMAX;
    return mx < 0x1p-100f ? 0 : QMAX / mx;
}

/* One token's digit planes [PLANES][kpad] (zero past K) and their sums. */
TARGET static void quantize_token(const float *x, int64_t K, int64_t kpad,
                                  int8_t *digits, int32_t *sums, float *scale) {
    __m512 inv = _mm512_set1_ps(token_inverse_scale(x, K, scale));
    const __m512i lim = _mm512_set1_epi32(QMAX);
    __m512i s[PLANES];
    for (int d = 0; d < PLANES; d++) s[d] = _mm512_setzero_si512();
    for (int64_t k = 0; k < kpad; k += 16) {
        __m512 v = _mm512_maskz_loadu_ps(mask16(K - k), x + k);
        __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(v, inv));
        q = _mm512_min_epi32(_mm512_max_epi32(q, _mm512_sub_epi32(_mm512_setzero_si512(), lim)), lim);
        for (int d = 0; d < PLANES; d++) { /* low byte as signed, carry the rest */
            __m512i digit = _mm512_srai_epi32(_mm512_slli_epi32(q, 24), 24);
            _mm_storeu_si128((__m128i *)(digits + d * kpad + k), _mm512_cvtepi32_epi8(digit));
            s[d] = _mm512_add_epi32(s[d], digit);
            q = _mm512_srai_epi32(_mm512_sub_epi32(q, digit), 8);
        }
    }
    for (int d = 0; d < PLANES; d++) sums[d] = _mm512_reduce_add_epi32(s[d]);
}

void titan_vnni_quantize(const float *x, int T, int64_t K, void *buf,
                         titan_xq *xq) {
    int64_t kpad = kpad_of(K);
    int8_t *digits = buf;
    int32_t *sums = (int32_t *)(digits + (size_t)T * PLANES * kpad);
    float *scale = (float *)(sums + PLANES * T);
    for (int t = 0; t < T; t++)
        quantize_token(x + (size_t)t * K, K, kpad, digits + (size_t)t * PLANES * kpad,
                       sums + PLANES * t, &scale[t]);
    *xq = (titan_xq){digits, sums, scale, kpad};
}

/* 64 weights from value k as unsigned bytes w + 128 (values past K: any). */
INLINE __m512i load_u8(titan_dtype dt, const uint8_t *row, int64_t k,
                       int64_t left, bool full) {
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    if (dt != TITAN_DT_INT6) {
        __m512i w = full ? _mm512_loadu_si512(row + k)
                         : _mm512_maskz_loadu_epi8(mask64(left), row + k);
        return _mm512_xor_si512(w, bias);
    }
    /* Qword j gets packed bytes 6j.. (8 values), each value's 6 bits are
     * pulled to a byte, then sign-extended and offset: ((b & 63) ^ 32) + 96. */
    int64_t bytes = full ? 48 : (left + 3) / 4 * 3;
    __m512i b = _mm512_maskz_loadu_epi8(mask64(bytes), row + k / 4 * 3);
    const __m512i spread = _mm512_set_epi64(
        0x31302f2e2d2c2b2a, 0x2b2a292827262524, 0x2524232221201f1e,
        0x1f1e1d1c1b1a1918, 0x1918171615141312, 0x131211100f0e0d0c,
        0x0d0c0b0a09080706, 0x0706050403020100);
    const __m512i shifts = _mm512_set1_epi64(0x2a241e18120c0600);
    b = _mm512_multishift_epi64_epi8(shifts, _mm512_permutexvar_epi8(spread, b));
    b = _mm512_xor_si512(_mm512_and_si512(b, _mm512_set1_epi8(63)), _mm512_set1_epi8(32));
    return _mm512_add_epi8(b, _mm512_set1_epi8(96));
}

/* acc += u . d in place (GCC 12 copies accumulators around the builtin). */
INLINE __m512i dpbusd(__m512i acc, __m512i u, __m512i d) {
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(d));
    return acc;
}

/* acc[r][t][d] += (w + 128) . digits d of token t, over values k..k+64. */
INLINE void vnni_step(titan_dtype dt, const uint8_t *const *rows,
                      const int8_t *const *dg, int64_t kpad,
                      __m512i acc[][TOKENS_MAX][PLANES], int64_t k, int64_t left,
                      bool full, int R, int TT, const uint8_t *pf) {
    size_t step = (size_t)R * matmul_value_offset(dt, 64);
    UNROLL
    for (size_t b = 0; b < step; b += 64) _mm_prefetch((const char *)pf + b, _MM_HINT_T0);
    __m512i d[TOKENS_MAX][PLANES];
    UNROLL
    for (int t = 0; t < TT; t++)
        UNROLL
        for (int p = 0; p < PLANES; p++) d[t][p] = _mm512_loadu_si512(dg[t] + p * kpad + k);
    UNROLL
    for (int r = 0; r < R; r++) {
        __m512i u = load_u8(dt, rows[r], k, left, full);
        UNROLL
        for (int t = 0; t < TT; t++)
            UNROLL
            for (int p = 0; p < PLANES; p++)
                acc[r][t][p] = dpbusd(acc[r][t][p], u, d[t][p]);
    }
}

/* y[t0 + t][n + r] for r < R, t < TT. The tile's rows are contiguous: one
 * linear prefetch stream stays PREFETCH_TILES tiles ahead (as in
 * matmul_avx512.c). */
INLINE void vnni_tile(titan_dtype dt, const titan_matmul_args *a, int64_t n,
                      int t0, int R, int TT) {
    const titan_tensor *w = a->w;
    const titan_xq *xq = a->xq;
    int64_t K = w->cols, N = w->rows;
    size_t rb = titan_dtype_row_bytes(w->dtype, K);
    const uint8_t *rows[ROWS_MAX];
    const int8_t *dg[TOKENS_MAX];
    __m512i acc[ROWS_MAX][TOKENS_MAX][PLANES];
    UNROLL
    for (int r = 0; r < R; r++) {
        rows[r] = (const uint8_t *)w->data + (size_t)(n + r) * rb;
        UNROLL
        for (int t = 0; t < TT; t++)
            UNROLL
            for (int p = 0; p < PLANES; p++) acc[r][t][p] = _mm512_setzero_si512();
    }
    UNROLL
    for (int t = 0; t < TT; t++) dg[t] = xq->digits + (size_t)(t0 + t) * PLANES * xq->kpad;
    size_t step = (size_t)R * matmul_value_offset(dt, 64);
    const uint8_t *pf = rows[0] + PREFETCH_TILES * (size_t)R * rb;
    int64_t k = 0;
    for (; k + 64 <= K; k += 64, pf += step)
        vnni_step(dt, rows, dg, xq->kpad, acc, k, 64, true, R, TT, pf);
    if (k < K) vnni_step(dt, rows, dg, xq->kpad, acc, k, K - k, false, R, TT, pf);
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int t = 0; t < TT; t++) {
            const int32_t *ds = xq->digit_sums + PLANES * (t0 + t);
            int64_t total = 0;
            UNROLL
            for (int p = PLANES - 1; p >= 0; p--)
                total = total * 256 + _mm512_reduce_add_epi32(acc[r][t][p]) - 128 * (int64_t)ds[p];
            double y = (double)total * xq->scale[t0 + t] * w->scales[n + r];
            a->y[(size_t)(t0 + t) * N + n + r] = (float)y;
        }
}

INLINE void vnni_rows(titan_dtype dt, const titan_matmul_args *a, int64_t n0,
                      int64_t n1, int t0, int R, int TT) {
    int64_t n = n0;
    for (; n + R <= n1; n += R) vnni_tile(dt, a, n, t0, R, TT);
    for (; n < n1; n++) vnni_tile(dt, a, n, t0, 1, TT);
}

/* Tiles of at most 16 accumulators, so they and the digits stay in registers. */
INLINE void vnni_tokens(titan_dtype dt, const titan_matmul_args *a, int64_t n0,
                        int64_t n1, int t0, int TT) {
    switch (TT) {
    case 1: vnni_rows(dt, a, n0, n1, t0, 4, 1); break;
    case 2: vnni_rows(dt, a, n0, n1, t0, 2, 2); break;
    default: vnni_rows(dt, a, n0, n1, t0, 1, 3); break;
    }
}

TARGET static void dot_bytes(const titan_matmul_args *a, int64_t n0, int64_t n1,
                             int t0, int TT) {
    vnni_tokens(TITAN_DT_INT8, a, n0, n1, t0, TT);
}

TARGET static void dot_int6(const titan_matmul_args *a, int64_t n0, int64_t n1,
                            int t0, int TT) {
    vnni_tokens(TITAN_DT_INT6, a, n0, n1, t0, TT);
}

void titan_vnni_dot(const titan_matmul_args *a, int64_t n0, int64_t n1) {
    for (int t0 = 0; t0 < a->T; t0 += TOKENS_MAX) {
        int TT = a->T - t0 < TOKENS_MAX ? a->T - t0 : TOKENS_MAX;
        if (a->w->dtype == TITAN_DT_INT6) dot_int6(a, n0, n1, t0, TT);
        else dot_bytes(a, n0, n1, t0, TT);
    }
}

#else /* no x86: titan_cpu_best_isa never offers these */

void titan_vnni_quantize(const float *x, int T, int64_t K, void *buf,
                         titan_xq *xq) {
    (void)x, (void)T, (void)K, (void)buf, (void)xq;
}

void titan_vnni_dot(const titan_matmul_args *a, int64_t n0, int64_t n1) {
    (void)a, (void)n0, (void)n1;
}

#endif
