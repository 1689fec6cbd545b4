/* matmul_avx512.c: AVX-512 (F+BW+VL) matmul kernels, compiled with a target
 * attribute so the binary still runs where AVX-512 is absent (dispatch in
 * backend_cpu.c). Shapes and the two strategies are described in matmul.h. */
#include "platform/matmul.h"

#include "quant/quant.h"

#if defined(__x86_64__)
#include "platform/transpose_avx512.h"

#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,fma")))
#define INLINE TARGET static inline __attribute__((always_inline))
/* Register tiles need their small loops unrolled to stay in registers. */
#define UNROLL _Pragma("GCC unroll 16")

/* One token has only R accumulator chains: 8 rows hide the FMA latency. */
enum { VW = 16, DOT_ROWS = 4, DOT_ROWS_1 = 8, DOT_TOKENS = 4, MR = 12, NR = 32 };

static inline __mmask16 tail_mask(int64_t rem) {
    return rem >= VW ? (__mmask16)0xffff : (__mmask16)((1u << rem) - 1);
}

/* 16 weights of a row starting at value k, as floats (unscaled); lanes
 * outside mask m are 0. `full` (m all ones, known at compile time) uses plain
 * loads: masked loads stall the streaming loop on this family of CPUs. */
INLINE __m512 load_w(titan_dtype dt, const uint8_t *row, int64_t k, __mmask16 m,
                     bool full) {
    const uint8_t *p = row + matmul_value_offset(dt, k);
    switch (dt) {
    case TITAN_DT_F32: return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
    case TITAN_DT_BF16: {
        __m256i h = full ? _mm256_loadu_si256((const __m256i *)p)
                         : _mm256_maskz_loadu_epi16(m, p);
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    case TITAN_DT_F16:
        return _mm512_cvtph_ps(full ? _mm256_loadu_si256((const __m256i *)p)
                                    : _mm256_maskz_loadu_epi16(m, p));
    case TITAN_DT_INT8:
    case TITAN_DT_INT6_BYTE: /* read by the INT8 kernels */
        return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(
            full ? _mm_loadu_si128((const __m128i *)p) : _mm_maskz_loadu_epi8(m, p)));
    case TITAN_DT_INT6: {
        /* 16 values = 4 groups of 3 bytes; 128-bit lane L decodes group L. */
        int nbytes = (__builtin_popcount(m) + 3) / 4 * 3;
        __m128i b = _mm_maskz_loadu_epi8((__mmask16)((1u << nbytes) - 1), p);
        __m512i all = _mm512_broadcast_i32x4(b);
        const __m512i ctl = _mm512_set_epi32(
            (int)0x800b0a09, (int)0x800b0a09, (int)0x800b0a09, (int)0x800b0a09,
            (int)0x80080706, (int)0x80080706, (int)0x80080706, (int)0x80080706,
            (int)0x80050403, (int)0x80050403, (int)0x80050403, (int)0x80050403,
            (int)0x80020100, (int)0x80020100, (int)0x80020100, (int)0x80020100);
        const __m512i shl =
            _mm512_set_epi32(8, 14, 20, 26, 8, 14, 20, 26, 8, 14, 20, 26, 8, 14, 20, 26);
        __m512i words = _mm512_shuffle_epi8(all, ctl);
        __m512i v = _mm512_srai_epi32(_mm512_sllv_epi32(words, shl), 26);
        return _mm512_cvtepi32_ps(full ? v : _mm512_maskz_mov_epi32(m, v));
    }
    }
    return _mm512_setzero_ps();
}

/* ---- small T: dot-product tiles of R rows x TT tokens ---- */

/* acc[r][t] += (W[row r][k..k+16) * scale s[r]) . x[t][k..k+16). The tile's
 * rows are contiguous, so one linear stream `pf`, advancing as many bytes
 * per step as the tile reads, stays PREFETCH_TILES tiles ahead of it (into
 * L2). Integer tiles, nearly compute-bound on their conversions, also run a
 * second stream `near` bytes behind it, one tile ahead, into L1: waiting on
 * L2 hits cost them 5-10%, while float tiles measured faster without it. */
INLINE void dot_step(titan_dtype dt, const uint8_t *const *rows, const float *const *xs,
                     const __m512 *s, __m512 acc[][DOT_TOKENS], int64_t k, __mmask16 m,
                     bool full, int R, int TT, const uint8_t *pf, size_t near,
                     bool scaled) {
    __m512 xv[DOT_TOKENS];
    UNROLL
    for (int t = 0; t < TT; t++)
        xv[t] = full ? _mm512_loadu_ps(xs[t] + k) : _mm512_maskz_loadu_ps(m, xs[t] + k);
    size_t step = (size_t)R * matmul_value_offset(dt, VW);
    UNROLL
    for (size_t b = 0; b < step; b += 64) _mm_prefetch((const char *)pf + b, _MM_HINT_T1);
    if (dt == TITAN_DT_INT8 || dt == TITAN_DT_INT6) UNROLL
    for (size_t b = 0; b < step; b += 64)
        _mm_prefetch((const char *)pf - near + b, _MM_HINT_T0);
    UNROLL
    for (int r = 0; r < R; r++) {
        __m512 wv = load_w(dt, rows[r], k, m, full);
        if (scaled) wv = _mm512_mul_ps(wv, s[r]);
        UNROLL
        for (int t = 0; t < TT; t++) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
    }
}

/* y[t][n + r] for r < R, t < TT, reading x[t0 + t]. Groups of gsz values share
 * one scale (gsz % VW == 0, or gsz >= K: one group per row). */
INLINE void dot_tile(titan_dtype dt, const titan_matmul_args *a, int64_t n, int t0, int R,
                     int TT, int64_t gsz, int64_t groups) {
    const titan_tensor *w = a->w;
    int64_t K = w->cols, N = w->rows;
    size_t rb = titan_dtype_row_bytes(w->dtype, w->cols);
    size_t ahead = PREFETCH_TILES * (size_t)R * rb, near = ahead - (size_t)R * rb;
    bool scaled = dt == TITAN_DT_INT8 || dt == TITAN_DT_INT6;
    const uint8_t *rows[DOT_ROWS_1];
    const float *xs[DOT_TOKENS];
    __m512 acc[DOT_ROWS_1][DOT_TOKENS];
    UNROLL
    for (int r = 0; r < R; r++) {
        rows[r] = (const uint8_t *)w->data + (size_t)(n + r) * rb;
        UNROLL
        for (int t = 0; t < TT; t++) acc[r][t] = _mm512_setzero_ps();
    }
    UNROLL
    for (int t = 0; t < TT; t++) xs[t] = a->x + (size_t)(t0 + t) * K;
    /* One scale per row: applied once to the sum, not to every vector. */
    bool per_row = scaled && groups == 1;
    for (int64_t g = 0; g < groups; g++) {
        int64_t kend = (g + 1) * gsz < K ? (g + 1) * gsz : K;
        __m512 s[DOT_ROWS_1];
        UNROLL
        for (int r = 0; r < R; r++)
            if (scaled) s[r] = _mm512_set1_ps(w->scales[(n + r) * groups + g]);
        int64_t k = g * gsz;
        bool each = scaled && !per_row;
        size_t step = (size_t)R * matmul_value_offset(dt, VW);
        const uint8_t *pf = rows[0] + ahead + (size_t)(k / VW) * step;
        if (each) /* two loops: `each` constant in each */
            for (; k + VW <= kend; k += VW, pf += step)
                dot_step(dt, rows, xs, s, acc, k, 0xffff, true, R, TT, pf, near, true);
        else
            for (; k + VW <= kend; k += VW, pf += step)
                dot_step(dt, rows, xs, s, acc, k, 0xffff, true, R, TT, pf, near, false);
        if (k < kend)
            dot_step(dt, rows, xs, s, acc, k, tail_mask(kend - k), false, R, TT, pf, near,
                     each);
    }
    UNROLL
    for (int r = 0; r < R; r++) UNROLL
    for (int t = 0; t < TT; t++) {
        float sum = _mm512_reduce_add_ps(acc[r][t]);
        a->y[(size_t)(t0 + t) * N + n + r] = per_row ? sum * w->scales[n + r] : sum;
    }
}

#define DOT_TT_CASES(R)                                                                  \
    switch (TT) {                                                                        \
    case 1: dot_tile(dt, a, n, t0, R, 1, gsz, groups); break;                            \
    case 2: dot_tile(dt, a, n, t0, R, 2, gsz, groups); break;                            \
    case 3: dot_tile(dt, a, n, t0, R, 3, gsz, groups); break;                            \
    default: dot_tile(dt, a, n, t0, R, 4, gsz, groups); break;                           \
    }

INLINE void dot_rows(titan_dtype dt, const titan_matmul_args *a, int64_t n0, int64_t n1) {
    int64_t K = a->w->cols;
    int64_t gsz = a->w->group_size && a->w->group_size < K ? a->w->group_size : K;
    int64_t groups = (K + gsz - 1) / gsz;
    for (int t0 = 0; t0 < a->T; t0 += DOT_TOKENS) {
        int TT = a->T - t0 < DOT_TOKENS ? a->T - t0 : DOT_TOKENS;
        int64_t n = n0;
        if (TT == 1)
            for (; n + DOT_ROWS_1 <= n1; n += DOT_ROWS_1)
                dot_tile(dt, a, n, t0, DOT_ROWS_1, 1, gsz, groups);
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

/* ---- large T: panels, MR tokens x NR rows in 24 accumulators ---- */

/* y[t][r] (+)= sum_k panel[k][r] * x[t*t_step + k*k_step] for t < nt,
 * r < rows (matmul.h). */
TARGET static void micro_kernel(const float *panel, const float *x, size_t t_step,
                                size_t k_step, int kc, float *y, size_t ldy, int nt,
                                int rows, bool accumulate) {
    __m512 acc[MR][2];
    const float *xr[MR]; /* rows past nt repeat the last: read, never stored */
    UNROLL
    for (int t = 0; t < MR; t++) {
        acc[t][0] = acc[t][1] = _mm512_setzero_ps();
        xr[t] = x + (size_t)(t < nt ? t : nt - 1) * t_step;
    }
    for (int k = 0; k < kc; k++) {
        __m512 w0 = _mm512_load_ps(panel + k * NR);
        __m512 w1 = _mm512_load_ps(panel + k * NR + VW);
        UNROLL
        for (int t = 0; t < MR; t++) {
            __m512 xb = _mm512_set1_ps(xr[t][(size_t)k * k_step]);
            acc[t][0] = _mm512_fmadd_ps(w0, xb, acc[t][0]);
            acc[t][1] = _mm512_fmadd_ps(w1, xb, acc[t][1]);
        }
    }
    __mmask16 m0 = tail_mask(rows), m1 = tail_mask(rows - VW > 0 ? rows - VW : 0);
    UNROLL
    for (int t = 0; t < MR && t < nt; t++) { /* constant bound: acc stays in registers */
        float *yt = y + (size_t)t * ldy;
        if (accumulate) {
            acc[t][0] = _mm512_add_ps(acc[t][0], _mm512_maskz_loadu_ps(m0, yt));
            acc[t][1] = _mm512_add_ps(acc[t][1], _mm512_maskz_loadu_ps(m1, yt + VW));
        }
        _mm512_mask_storeu_ps(yt, m0, acc[t][0]);
        _mm512_mask_storeu_ps(yt + VW, m1, acc[t][1]);
    }
}

/* panel[k][r] = W[n + r][k0 + k] in 16 x 16 blocks dequantized and
 * transposed in registers; rows past `rows` are 0. Row bytes and the scale
 * group are worked out once per block, not per row. */
INLINE void panel_run(titan_dtype dt, const titan_tensor *w, int64_t n, int rows,
                      int64_t k0, int kc, float *panel) {
    size_t rb = titan_dtype_row_bytes(dt, w->cols);
    bool scaled = dt == TITAN_DT_INT8 || dt == TITAN_DT_INT6;
    int64_t gs = w->group_size && w->group_size < w->cols ? w->group_size : w->cols;
    int64_t groups = (w->cols + gs - 1) / gs;
    for (int h = 0; h < NR; h += VW)
        for (int k = 0; k < kc; k += VW) {
            bool full = kc - k >= VW;
            __mmask16 m = tail_mask(kc - k);
            int64_t g = (k0 + k) / gs;
            __m512 v[16];
            UNROLL
            for (int i = 0; i < 16; i++) {
                int64_t row = n + h + i;
                if (h + i >= rows) {
                    v[i] = _mm512_setzero_ps();
                    continue;
                }
                v[i] = load_w(dt, (const uint8_t *)w->data + (size_t)row * rb, k0 + k, m,
                              full);
                if (scaled)
                    v[i] =
                        _mm512_mul_ps(v[i], _mm512_set1_ps(w->scales[row * groups + g]));
            }
            titan_transpose16(v);
            UNROLL
            for (int c = 0; c < 16; c++) _mm512_store_ps(panel + (k + c) * NR + h, v[c]);
        }
}

TARGET static void fill_panel(const titan_tensor *w, int64_t n, int rows, int64_t k0,
                              int kc, float *tmp_row, float *panel) {
    int64_t gs = w->group_size;
    if (!(gs == 0 || gs >= w->cols || gs % VW == 0)) {
        matmul_panel_by_rows(titan_dequant_row, w, n, rows, k0, kc, NR, tmp_row, panel);
        return;
    }
    switch (w->dtype) {
    case TITAN_DT_F32: panel_run(TITAN_DT_F32, w, n, rows, k0, kc, panel); break;
    case TITAN_DT_BF16: panel_run(TITAN_DT_BF16, w, n, rows, k0, kc, panel); break;
    case TITAN_DT_F16: panel_run(TITAN_DT_F16, w, n, rows, k0, kc, panel); break;
    case TITAN_DT_INT8:
    case TITAN_DT_INT6_BYTE: panel_run(TITAN_DT_INT8, w, n, rows, k0, kc, panel); break;
    case TITAN_DT_INT6: panel_run(TITAN_DT_INT6, w, n, rows, k0, kc, panel); break;
    }
}

/* ---- small products of attention (backend.h): RT rows x NV vectors ---- */

/* c[r0 .. r0+RT)[j0 .. j0 + NV*16): vector NV-1 masked by m unless full. */
INLINE void small_tile(const titan_small_gemm *g, int r0, int RT, int j0, int NV,
                       bool full, __mmask16 m) {
    __m512 acc[4][4];
    float *c = g->c + (size_t)r0 * g->ldc + j0;
    UNROLL
    for (int r = 0; r < RT; r++) UNROLL
    for (int v = 0; v < NV; v++) {
        const float *cv = c + (size_t)r * g->ldc + v * VW;
        bool plain = full || v < NV - 1;
        acc[r][v] = !g->accumulate ? _mm512_setzero_ps()
                    : plain        ? _mm512_loadu_ps(cv)
                                   : _mm512_maskz_loadu_ps(m, cv);
    }
    const float *a = g->a + (size_t)r0 * g->lda;
    for (int i = 0; i < g->k; i++) {
        const float *b = g->b + (size_t)i * g->ldb + j0;
        __m512 bv[4];
        UNROLL
        for (int v = 0; v < NV; v++)
            bv[v] = full || v < NV - 1 ? _mm512_loadu_ps(b + v * VW)
                                       : _mm512_maskz_loadu_ps(m, b + v * VW);
        UNROLL
        for (int r = 0; r < RT; r++) {
            __m512 av = _mm512_set1_ps(a[(size_t)r * g->lda + i]);
            UNROLL
            for (int v = 0; v < NV; v++)
                acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    UNROLL
    for (int r = 0; r < RT; r++) UNROLL
    for (int v = 0; v < NV; v++) {
        float *cv = c + (size_t)r * g->ldc + v * VW;
        if (full || v < NV - 1)
            _mm512_storeu_ps(cv, acc[r][v]);
        else
            _mm512_mask_storeu_ps(cv, m, acc[r][v]);
    }
}

/* Every row of columns [j0, j0 + NV*16), in tiles of up to four rows. */
INLINE void small_cols(const titan_small_gemm *g, int j0, int NV, bool full,
                       __mmask16 m) {
    int r0 = 0;
    for (; r0 + 4 <= g->rows; r0 += 4) small_tile(g, r0, 4, j0, NV, full, m);
    switch (g->rows - r0) {
    case 3: small_tile(g, r0, 3, j0, NV, full, m); break;
    case 2: small_tile(g, r0, 2, j0, NV, full, m); break;
    case 1: small_tile(g, r0, 1, j0, NV, full, m); break;
    default: break;
    }
}

/* b_rows: rows [r, r + RT) x columns [j0, j0 + jn), RT * JT = 16 dot
 * products at once (jn <= JT), folded into one vector: lane q * JT + j
 * holds row r + q, column j0 + j. */
INLINE void rows_tile(const titan_small_gemm *g, int r, int RT, int j0, int jn,
                      bool full) {
    enum { JT_MAX = 16 };
    int JT = 16 / RT;
    __m512 acc[16];
    UNROLL
    for (int v = 0; v < 16; v++) acc[v] = _mm512_setzero_ps();
    const float *a = g->a + (size_t)r * g->lda, *b = g->b + (size_t)j0 * g->ldb;
    for (int i = 0; i < g->k; i += VW) {
        __mmask16 m = tail_mask(g->k - i);
        __m512 av[2];
        UNROLL
        for (int q = 0; q < RT; q++)
            av[q] = _mm512_maskz_loadu_ps(m, a + (size_t)q * g->lda + i);
        UNROLL
        for (int j = 0; j < JT_MAX; j++) {
            if (j >= JT || !(full || j < jn)) continue;
            __m512 bv = _mm512_maskz_loadu_ps(m, b + (size_t)j * g->ldb + i);
            UNROLL
            for (int q = 0; q < RT; q++)
                acc[q * JT + j] = _mm512_fmadd_ps(av[q], bv, acc[q * JT + j]);
        }
    }
    __m512 sum = titan_sum_each16(acc);
    __mmask16 mj = tail_mask(jn);
    UNROLL
    for (int q = 0; q < RT; q++) {
        float *c = g->c + (size_t)(r + q) * g->ldc + j0;
        __m512 out =
            q ? _mm512_shuffle_f32x4(sum, sum, 0x4e) : sum; /* row 1: high half */
        if (g->accumulate) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(mj, c));
        _mm512_mask_storeu_ps(c, mj, out);
    }
}

INLINE void rows_pass(const titan_small_gemm *g, int r, int RT) {
    int JT = 16 / RT, j0 = 0;
    for (; j0 + JT <= g->n; j0 += JT) rows_tile(g, r, RT, j0, JT, true);
    if (j0 < g->n) rows_tile(g, r, RT, j0, g->n - j0, false);
}

TARGET static void small_gemm_rows(const titan_small_gemm *g) {
    int r = 0;
    for (; r + 2 <= g->rows; r += 2) rows_pass(g, r, 2);
    if (r < g->rows) rows_pass(g, r, 1);
}

TARGET static void small_gemm(const titan_small_gemm *g) {
    if (g->b_rows) {
        small_gemm_rows(g);
        return;
    }
    int j0 = 0;
    for (; j0 + 4 * VW <= g->n; j0 += 4 * VW) small_cols(g, j0, 4, true, 0xffff);
    for (; j0 < g->n; j0 += VW) small_cols(g, j0, 1, false, tail_mask(g->n - j0));
}

const titan_vector_family titan_matmul_avx512 = {
    .vw = VW,
    .small_gemm = small_gemm,
    .attend = titan_attend_avx512,
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
const titan_vector_family titan_matmul_avx512;
#endif
