/* matmul_avx2.c: AVX2 + FMA + F16C matmul kernels (256-bit), compiled with a
 * target attribute and chosen at run time. Same two strategies as the AVX-512
 * family (matmul.h), with 8-wide vectors and no mask registers: row tails go
 * through a small zero-padded copy. */
#include "platform/matmul.h"

#include "quant/quant.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define TARGET __attribute__((target("avx2,fma,f16c")))
#define INLINE TARGET static inline __attribute__((always_inline))
/* Register tiles need their small loops unrolled to stay in registers. */
#define UNROLL _Pragma("GCC unroll 16")

enum { VW = 8, DOT_ROWS = 4, DOT_TOKENS = 3, MR = 6, NR = 16 };

/* 8 weights of a row starting at value k (a multiple of 8), unscaled. */
INLINE __m256 load_w(titan_dtype dt, const uint8_t *row, int64_t k) {
    const uint8_t *p = row + matmul_value_offset(dt, k);
    switch (dt) {
    case TITAN_DT_F32: return _mm256_loadu_ps((const float *)p);
    case TITAN_DT_BF16: {
        __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
        return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    }
    case TITAN_DT_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
    case TITAN_DT_INT8:
    case TITAN_DT_INT6_BYTE: /* read by the INT8 kernels */
        return _mm256_cvtepi32_ps(
            _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
    case TITAN_DT_INT6: {
        /* 8 values = 2 groups of 3 bytes; 128-bit lane L decodes group L. */
        uint64_t bytes = 0;
        memcpy(&bytes, p, 6);
        __m256i all = _mm256_broadcastsi128_si256(_mm_cvtsi64_si128((long long)bytes));
        const __m256i ctl = _mm256_set_epi32(
            (int)0x80050403, (int)0x80050403, (int)0x80050403, (int)0x80050403,
            (int)0x80020100, (int)0x80020100, (int)0x80020100, (int)0x80020100);
        const __m256i shl = _mm256_set_epi32(8, 14, 20, 26, 8, 14, 20, 26);
        __m256i words = _mm256_shuffle_epi8(all, ctl);
        return _mm256_cvtepi32_ps(_mm256_srai_epi32(_mm256_sllv_epi32(words, shl), 26));
    }
    }
    return _mm256_setzero_ps();
}

/* The last rem (< 8) weights of a row from value k, zero-padded. */
INLINE __m256 load_w_tail(titan_dtype dt, const uint8_t *row, int64_t k, int rem) {
    uint8_t buf[32] = {0};
    memcpy(buf, row + matmul_value_offset(dt, k), titan_dtype_row_bytes(dt, rem));
    return load_w(dt, buf, 0);
}

/* Lanes below rem on (none for rem <= 0), for maskload/maskstore. */
INLINE __m256i lanes_below(int rem) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(rem),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

INLINE __m256 load_x(const float *x, int rem) {
    if (rem >= VW) return _mm256_loadu_ps(x);
    return _mm256_maskload_ps(x, lanes_below(rem));
}

INLINE float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* ---- small T: dot-product tiles (see matmul_avx512.c) ---- */

INLINE void dot_tile(titan_dtype dt, const titan_matmul_args *a, int64_t n, int t0, int R,
                     int TT, int64_t gsz, int64_t groups) {
    const titan_tensor *w = a->w;
    int64_t K = w->cols, N = w->rows;
    size_t rb = titan_dtype_row_bytes(w->dtype, w->cols);
    size_t ahead = PREFETCH_TILES * DOT_ROWS * rb;
    bool scaled = dt == TITAN_DT_INT8 || dt == TITAN_DT_INT6;
    const uint8_t *rows[DOT_ROWS];
    const float *xs[DOT_TOKENS];
    __m256 acc[DOT_ROWS][DOT_TOKENS];
    UNROLL
    for (int r = 0; r < R; r++) {
        rows[r] = (const uint8_t *)w->data + (size_t)(n + r) * rb;
        UNROLL
        for (int t = 0; t < TT; t++) acc[r][t] = _mm256_setzero_ps();
    }
    UNROLL
    for (int t = 0; t < TT; t++) xs[t] = a->x + (size_t)(t0 + t) * K;
    for (int64_t g = 0; g < groups; g++) {
        int64_t kend = (g + 1) * gsz < K ? (g + 1) * gsz : K;
        __m256 s[DOT_ROWS];
        UNROLL
        for (int r = 0; r < R; r++)
            if (scaled) s[r] = _mm256_set1_ps(w->scales[(n + r) * groups + g]);
        for (int64_t k = g * gsz; k < kend; k += VW) {
            int rem = kend - k < VW ? (int)(kend - k) : VW;
            __m256 xv[DOT_TOKENS];
            UNROLL
            for (int t = 0; t < TT; t++) xv[t] = load_x(xs[t] + k, rem);
            UNROLL
            for (int r = 0; r < R; r++) {
                /* Rows are contiguous: fetch PREFETCH_TILES tiles ahead. */
                _mm_prefetch((const char *)rows[r] + ahead + matmul_value_offset(dt, k),
                             _MM_HINT_T1);
                __m256 wv =
                    rem == VW ? load_w(dt, rows[r], k) : load_w_tail(dt, rows[r], k, rem);
                if (scaled) wv = _mm256_mul_ps(wv, s[r]);
                UNROLL
                for (int t = 0; t < TT; t++)
                    acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
            }
        }
    }
    UNROLL
    for (int r = 0; r < R; r++) UNROLL
    for (int t = 0; t < TT; t++) a->y[(size_t)(t0 + t) * N + n + r] = hsum(acc[r][t]);
}

#define DOT_TT_CASES(R)                                                                  \
    switch (TT) {                                                                        \
    case 1: dot_tile(dt, a, n, t0, R, 1, gsz, groups); break;                            \
    case 2: dot_tile(dt, a, n, t0, R, 2, gsz, groups); break;                            \
    default: dot_tile(dt, a, n, t0, R, 3, gsz, groups); break;                           \
    }

INLINE void dot_rows(titan_dtype dt, const titan_matmul_args *a, int64_t n0, int64_t n1) {
    int64_t K = a->w->cols;
    int64_t gsz = a->w->group_size && a->w->group_size < K ? a->w->group_size : K;
    int64_t groups = (K + gsz - 1) / gsz;
    for (int t0 = 0; t0 < a->T; t0 += DOT_TOKENS) {
        int TT = a->T - t0 < DOT_TOKENS ? a->T - t0 : DOT_TOKENS;
        int64_t n = n0;
        for (; n + DOT_ROWS <= n1; n += DOT_ROWS) DOT_TT_CASES(DOT_ROWS)
        for (; n < n1; n++) DOT_TT_CASES(1)
    }
}

TARGET static void dot_f32(const titan_matmul_args *a, int64_t n0, int64_t n1) {
    dot_rows(TITAN_DT_F32, a, n0, n1);
}
TARGET static void dot_bf16(const titan_matmul_args *a, int64_t n0, int64_t n1) {
    dot_rows(TITAN_DT_BF16, a, n0, n1);
}
TARGET static void dot_f16(const titan_matmul_args *a, int64_t n0, int64_t n1) {
    dot_rows(TITAN_DT_F16, a, n0, n1);
}
TARGET static void dot_int8(const titan_matmul_args *a, int64_t n0, int64_t n1) {
    dot_rows(TITAN_DT_INT8, a, n0, n1);
}
TARGET static void dot_int6(const titan_matmul_args *a, int64_t n0, int64_t n1) {
    dot_rows(TITAN_DT_INT6, a, n0, n1);
}

/* ---- large T: panels, MR tokens x NR rows in 12 accumulators ---- */

/* y[t][r] (+)= sum_k panel[k][r] * x[t*t_step + k*k_step] for t < nt,
 * r < rows (matmul.h). */
TARGET static void micro_kernel(const float *panel, const float *x, size_t t_step,
                                size_t k_step, int kc, float *y, size_t ldy, int nt,
                                int rows, bool accumulate) {
    __m256 acc[MR][2];
    const float *xr[MR]; /* rows past nt repeat the last: read, never stored */
    UNROLL
    for (int t = 0; t < MR; t++) {
        acc[t][0] = acc[t][1] = _mm256_setzero_ps();
        xr[t] = x + (size_t)(t < nt ? t : nt - 1) * t_step;
    }
    for (int k = 0; k < kc; k++) {
        __m256 w0 = _mm256_load_ps(panel + k * NR);
        __m256 w1 = _mm256_load_ps(panel + k * NR + VW);
        UNROLL
        for (int t = 0; t < MR; t++) {
            __m256 xb = _mm256_broadcast_ss(xr[t] + (size_t)k * k_step);
            acc[t][0] = _mm256_fmadd_ps(w0, xb, acc[t][0]);
            acc[t][1] = _mm256_fmadd_ps(w1, xb, acc[t][1]);
        }
    }
    /* Masked stores are slow on some CPUs: plain ones for whole panels. */
    bool full = rows == NR;
    __m256i m0 = lanes_below(rows), m1 = lanes_below(rows - VW);
    UNROLL
    for (int t = 0; t < MR && t < nt; t++) { /* constant bound: acc stays in registers */
        float *yt = y + (size_t)t * ldy;
        __m256 o0 = acc[t][0], o1 = acc[t][1];
        if (accumulate) {
            o0 = _mm256_add_ps(o0,
                               full ? _mm256_loadu_ps(yt) : _mm256_maskload_ps(yt, m0));
            o1 = _mm256_add_ps(o1, full ? _mm256_loadu_ps(yt + VW)
                                        : _mm256_maskload_ps(yt + VW, m1));
        }
        if (full) {
            _mm256_storeu_ps(yt, o0);
            _mm256_storeu_ps(yt + VW, o1);
        } else {
            _mm256_maskstore_ps(yt, m0, o0);
            _mm256_maskstore_ps(yt + VW, m1, o1);
        }
    }
}

/* out[0..len) = W[row][k0..k0+len) dequantized in registers (q * scale),
 * for the packed path; group sizes the vectors cannot follow go through the
 * plain titan_dequant_row. */
INLINE void dequant_run(titan_dtype dt, const titan_tensor *w, int64_t row, int64_t k0,
                        int64_t len, float *out) {
    const uint8_t *r =
        (const uint8_t *)w->data + (size_t)row * titan_dtype_row_bytes(dt, w->cols);
    bool scaled = dt == TITAN_DT_INT8 || dt == TITAN_DT_INT6;
    int64_t gs = w->group_size && w->group_size < w->cols ? w->group_size : w->cols;
    const float *sc = scaled ? w->scales + row * ((w->cols + gs - 1) / gs) : NULL;
    int64_t i = 0;
    for (; i + VW <= len; i += VW) {
        __m256 v = load_w(dt, r, k0 + i);
        if (scaled) v = _mm256_mul_ps(v, _mm256_set1_ps(sc[(k0 + i) / gs]));
        _mm256_storeu_ps(out + i, v);
    }
    if (i < len) {
        float tail[VW];
        __m256 v = load_w_tail(dt, r, k0 + i, (int)(len - i));
        if (scaled) v = _mm256_mul_ps(v, _mm256_set1_ps(sc[(k0 + i) / gs]));
        _mm256_storeu_ps(tail, v);
        memcpy(out + i, tail, sizeof(float) * (size_t)(len - i));
    }
}

TARGET static void dequant_row(const titan_tensor *w, int64_t row, int64_t k0,
                               int64_t len, float *out) {
    int64_t gs = w->group_size;
    if (!(gs == 0 || gs >= w->cols || gs % VW == 0)) {
        titan_dequant_row(w, row, k0, len, out);
        return;
    }
    switch (w->dtype) {
    case TITAN_DT_F32: dequant_run(TITAN_DT_F32, w, row, k0, len, out); break;
    case TITAN_DT_BF16: dequant_run(TITAN_DT_BF16, w, row, k0, len, out); break;
    case TITAN_DT_F16: dequant_run(TITAN_DT_F16, w, row, k0, len, out); break;
    case TITAN_DT_INT8:
    case TITAN_DT_INT6_BYTE: dequant_run(TITAN_DT_INT8, w, row, k0, len, out); break;
    case TITAN_DT_INT6: dequant_run(TITAN_DT_INT6, w, row, k0, len, out); break;
    }
}

static void fill_panel(const titan_tensor *w, int64_t n, int rows, int64_t k0, int kc,
                       float *tmp_row, float *panel) {
    matmul_panel_by_rows(dequant_row, w, n, rows, k0, kc, NR, tmp_row, panel);
}

/* ---- small products of attention (backend.h): RT rows x NV vectors ---- */

/* c[r0 .. r0+RT)[j0 .. j0 + NV*8): vector NV-1 masked by m unless full. */
INLINE void small_tile(const titan_small_gemm *g, int r0, int RT, int j0, int NV,
                       bool full, __m256i m) {
    __m256 acc[4][2];
    float *c = g->c + (size_t)r0 * g->ldc + j0;
    UNROLL
    for (int r = 0; r < RT; r++) UNROLL
    for (int v = 0; v < NV; v++) {
        const float *cv = c + (size_t)r * g->ldc + v * VW;
        bool plain = full || v < NV - 1;
        acc[r][v] = !g->accumulate ? _mm256_setzero_ps()
                    : plain        ? _mm256_loadu_ps(cv)
                                   : _mm256_maskload_ps(cv, m);
    }
    const float *a = g->a + (size_t)r0 * g->lda;
    for (int i = 0; i < g->k; i++) {
        const float *b = g->b + (size_t)i * g->ldb + j0;
        __m256 bv[2];
        UNROLL
        for (int v = 0; v < NV; v++)
            bv[v] = full || v < NV - 1 ? _mm256_loadu_ps(b + v * VW)
                                       : _mm256_maskload_ps(b + v * VW, m);
        UNROLL
        for (int r = 0; r < RT; r++) {
            __m256 av = _mm256_broadcast_ss(a + (size_t)r * g->lda + i);
            UNROLL
            for (int v = 0; v < NV; v++)
                acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    UNROLL
    for (int r = 0; r < RT; r++) UNROLL
    for (int v = 0; v < NV; v++) {
        float *cv = c + (size_t)r * g->ldc + v * VW;
        if (full || v < NV - 1)
            _mm256_storeu_ps(cv, acc[r][v]);
        else
            _mm256_maskstore_ps(cv, m, acc[r][v]);
    }
}

/* Every row of columns [j0, j0 + NV*8), in tiles of up to four rows. */
INLINE void small_cols(const titan_small_gemm *g, int j0, int NV, bool full, __m256i m) {
    int r0 = 0;
    for (; r0 + 4 <= g->rows; r0 += 4) small_tile(g, r0, 4, j0, NV, full, m);
    switch (g->rows - r0) {
    case 3: small_tile(g, r0, 3, j0, NV, full, m); break;
    case 2: small_tile(g, r0, 2, j0, NV, full, m); break;
    case 1: small_tile(g, r0, 1, j0, NV, full, m); break;
    default: break;
    }
}

/* Lane l = the sum of v[l]'s lanes (interleave-add twice, then fold the
 * 128-bit halves). */
INLINE __m256 sum_each8(const __m256 v[8]) {
    __m256 s2[4], s4[2];
    UNROLL
    for (int p = 0; p < 4; p++)
        s2[p] = _mm256_add_ps(_mm256_unpacklo_ps(v[2 * p], v[2 * p + 1]),
                              _mm256_unpackhi_ps(v[2 * p], v[2 * p + 1]));
    UNROLL
    for (int p = 0; p < 2; p++) {
        __m256d x = _mm256_castps_pd(s2[2 * p]), y = _mm256_castps_pd(s2[2 * p + 1]);
        s4[p] = _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(x, y)),
                              _mm256_castpd_ps(_mm256_unpackhi_pd(x, y)));
    }
    return _mm256_add_ps(_mm256_permute2f128_ps(s4[0], s4[1], 0x20),
                         _mm256_permute2f128_ps(s4[0], s4[1], 0x31));
}

/* b_rows: c[r][j0 .. j0 + jn), jn <= 8, as 8 dot products at once. */
INLINE void rows_tile(const titan_small_gemm *g, int r, int j0, int jn, bool full) {
    __m256 acc[8];
    UNROLL
    for (int j = 0; j < 8; j++) acc[j] = _mm256_setzero_ps();
    const float *a = g->a + (size_t)r * g->lda, *b = g->b + (size_t)j0 * g->ldb;
    for (int i = 0; i < g->k; i += VW) {
        __m256i m = lanes_below(g->k - i < VW ? g->k - i : VW);
        __m256 av = _mm256_maskload_ps(a + i, m);
        UNROLL
        for (int j = 0; j < 8; j++)
            if (full || j < jn)
                acc[j] = _mm256_fmadd_ps(
                    av, _mm256_maskload_ps(b + (size_t)j * g->ldb + i, m), acc[j]);
    }
    __m256i mj = lanes_below(jn);
    float *c = g->c + (size_t)r * g->ldc + j0;
    __m256 sum = sum_each8(acc);
    if (g->accumulate) sum = _mm256_add_ps(sum, _mm256_maskload_ps(c, mj));
    _mm256_maskstore_ps(c, mj, sum);
}

TARGET static void small_gemm_rows(const titan_small_gemm *g) {
    for (int r = 0; r < g->rows; r++) {
        int j0 = 0;
        for (; j0 + 8 <= g->n; j0 += 8) rows_tile(g, r, j0, 8, true);
        if (j0 < g->n) rows_tile(g, r, j0, g->n - j0, false);
    }
}

TARGET static void small_gemm(const titan_small_gemm *g) {
    if (g->b_rows) {
        small_gemm_rows(g);
        return;
    }
    int j0 = 0;
    __m256i all = _mm256_set1_epi32(-1);
    for (; j0 + 2 * VW <= g->n; j0 += 2 * VW) small_cols(g, j0, 2, true, all);
    for (; j0 < g->n; j0 += VW)
        small_cols(g, j0, 1, false, lanes_below(g->n - j0 < VW ? g->n - j0 : VW));
}

static void attend(const titan_attend *a) { titan_attend_with(a, small_gemm); }

const titan_vector_family titan_matmul_avx2 = {
    .vw = VW,
    .small_gemm = small_gemm,
    .attend = attend,
    .dot = {[TITAN_DT_F32] = dot_f32,
            [TITAN_DT_F16] = dot_f16,
            [TITAN_DT_BF16] = dot_bf16,
            [TITAN_DT_INT8] = dot_int8,
            [TITAN_DT_INT6] = dot_int6,
            [TITAN_DT_INT6_BYTE] = dot_int8}, /* int8 in memory */
    .gemm = {MR, NR, micro_kernel, fill_panel},
};
#else
/* Never chosen: titan_cpu_best_isa() is scalar off x86-64. */
const titan_vector_family titan_matmul_avx2;
#endif
