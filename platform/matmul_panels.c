/* matmul_panels.c: what the vector families share: the choice between dot
 * tiles and panel filling, and the cache-blocked driver for many tokens, which
 * also runs every float GEMM. Per thread: for each block of MATMUL_TB tokens
 * (rows of A) and each block of at most MATMUL_KC columns, each panel of nr
 * rows of W (columns of B) is copied column-major (panel[k][nr]); the
 * family's register tile then runs over all token tiles with the panel hot
 * in L1, broadcasting x (A) straight from memory (the block's kc columns of
 * x stay in L2). Packing costs O(N*K) per token block, small next to the
 * O(TB*N*K) products it feeds. */
#include "platform/matmul.h"

#include <string.h>

void matmul_panel_by_rows(titan_dequant_fn dequant, const titan_tensor *w, int64_t n,
                          int rows, int64_t k0, int kc, int nr, float *tmp_row,
                          float *panel) {
    for (int r = 0; r < nr; r++) {
        if (r < rows) {
            dequant(w, n + r, k0, kc, tmp_row);
            for (int k = 0; k < kc; k++) panel[k * nr + r] = tmp_row[k];
        } else {
            for (int k = 0; k < kc; k++) panel[k * nr + r] = 0.0f;
        }
    }
}

/* Column blocks of equal size (a multiple of 16, at most MATMUL_KC), so no
 * short last block wastes the tile's load and store of y. */
static int block_cols(int K) {
    int blocks = (K + MATMUL_KC - 1) / MATMUL_KC;
    int kc = (K + blocks - 1) / blocks;
    kc = (kc + 15) / 16 * 16;
    return kc < MATMUL_KC ? kc : MATMUL_KC;
}

/* Token blocks of equal size (a multiple of mr, at most MATMUL_TB), so every
 * panel of W serves as many tokens as possible. */
static int block_tokens(int T, int mr) {
    int blocks = (T + MATMUL_TB - 1) / MATMUL_TB;
    int tb = (T + blocks - 1) / blocks;
    tb = (tb + mr - 1) / mr * mr;
    return tb < MATMUL_TB ? tb : MATMUL_TB;
}

/* panel[k][r] = b[k*ldb + r] for r < rows (zero up to nr), k < kc; in
 * fixed 16-float copies (inlined), not a memcpy call per row. */
static void panel_copy(const float *b, size_t ldb, int rows, int kc, int nr,
                       float *panel) {
    for (int k = 0; k < kc; k++) {
        const float *src = b + (size_t)k * ldb;
        float *p = panel + (size_t)k * nr;
        int r = 0;
        for (; r + 16 <= rows; r += 16) memcpy(p + r, src + r, 16 * sizeof(float));
        for (; r < rows; r++) p[r] = src[r];
        for (; r < nr; r++) p[r] = 0.0f;
    }
}

static int min_int(int a, int b) { return a < b ? a : b; }

/* Columns [n0, n1) of g's product. B's panels come from w, B[p][j] =
 * W[j][p] in any dtype, or without w from b in rows (g->b_trans unset). */
static void panel_blocks(const titan_gemm_family *f, const titan_gemm_f32 *g,
                         const titan_tensor *w, int n0, int n1, float *scratch) {
    int kcmax = block_cols(g->k), mr = f->mr, nr = f->nr;
    int tbmax = block_tokens(g->m, mr);
    float *panel = scratch;
    float *tmp_row = panel + (size_t)MATMUL_NR_MAX * MATMUL_KC;
    size_t t_step = g->a_trans ? 1 : g->lda, k_step = g->a_trans ? g->lda : 1;
    for (int t0 = 0; t0 < g->m; t0 += tbmax) {
        int tend = min_int(g->m, t0 + tbmax);
        for (int k0 = 0; k0 < g->k; k0 += kcmax) {
            int kc = min_int(g->k - k0, kcmax);
            for (int n = n0; n < n1; n += nr) {
                int rows = min_int(n1 - n, nr);
                if (w)
                    f->panel(w, n, rows, k0, kc, tmp_row, panel);
                else
                    panel_copy(g->b + (size_t)k0 * g->ldb + n, g->ldb, rows, kc, nr,
                               panel);
                for (int t = t0; t < tend; t += mr)
                    f->tile(panel, g->a + (size_t)t * t_step + (size_t)k0 * k_step,
                            t_step, k_step, kc, g->c + (size_t)t * g->ldc + n, g->ldc,
                            min_int(tend - t, mr), rows, g->accumulate || k0 > 0);
            }
        }
    }
}

static void matmul_panels(const titan_gemm_family *f, const titan_matmul_args *a,
                          int64_t n0, int64_t n1, float *scratch) {
    int N = (int)a->w->rows, K = (int)a->w->cols;
    titan_gemm_f32 g = {.m = a->T,
                        .n = N,
                        .k = K,
                        .a = a->x,
                        .lda = (size_t)K,
                        .c = a->y,
                        .ldc = (size_t)N};
    panel_blocks(f, &g, a->w, (int)n0, (int)n1, scratch);
}

void titan_gemm_f32_run(const titan_vector_family *f, const titan_gemm_f32 *g,
                        float *scratch) {
    if (!f || g->m == 0 || g->k == 0) { /* no blocks (k == 0: c zeroed) */
        titan_gemm_f32_scalar(g);
        return;
    }
    /* b_trans: B's columns are b's rows, read as a float tensor whose rows
     * are ldb long (values past k never read), copied into panels as weights are. */
    titan_tensor bt = {.dtype = TITAN_DT_F32,
                       .ndim = 2,
                       .rows = g->n,
                       .cols = (int64_t)g->ldb,
                       .data = g->b};
    panel_blocks(&f->gemm, g, g->b_trans ? &bt : NULL, 0, g->n, scratch);
}

const titan_vector_family *titan_matmul_family(titan_isa isa) {
    switch (isa) {
    case TITAN_ISA_AVX512: return &titan_matmul_avx512;
    case TITAN_ISA_AVX2: return &titan_matmul_avx2;
    case TITAN_ISA_SCALAR: break;
    }
    return NULL;
}

void titan_matmul_rows_vector(const titan_vector_family *f, const titan_matmul_args *a,
                              int64_t n0, int64_t n1, float *scratch) {
    int64_t gs = a->w->group_size, K = a->w->cols;
    bool dot_ok = gs == 0 || gs >= K || gs % f->vw == 0;
    if (a->T < MATMUL_DOT_MAX_T && dot_ok)
        f->dot[a->w->dtype](a, n0, n1);
    else
        matmul_panels(&f->gemm, a, n0, n1, scratch);
}
