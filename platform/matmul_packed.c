/* matmul_packed.c: what the vector families share: the choice between dot
 * tiles and packing, and the cache-blocked driver for many tokens. Per
 * thread: for each block of MATMUL_TB tokens and each block of at most
 * MATMUL_KC columns, each panel of nr rows of W is dequantized and packed
 * column-major (panel[k][nr]); the family's register tile then runs over all
 * token tiles with the panel hot in L1, broadcasting x straight from its rows
 * (the block's kc columns of x stay in L2). Packing costs O(N*K) per token
 * block, small next to the O(TB*N*K) products it feeds. */
#include "platform/matmul.h"

void matmul_pack_by_rows(titan_dequant_fn dequant, const titan_tensor *w,
                         int64_t n, int rows, int64_t k0, int kc, int nr,
                         float *tmp_row, float *panel) {
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
static int block_cols(int64_t K) {
    int64_t blocks = (K + MATMUL_KC - 1) / MATMUL_KC;
    int64_t kc = (K + blocks - 1) / blocks;
    kc = (kc + 15) / 16 * 16;
    return (int)(kc < MATMUL_KC ? kc : MATMUL_KC);
}

/* Token blocks of equal size (a multiple of mr, at most MATMUL_TB), so every
 * packed panel of W serves as many tokens as possible. */
static int block_tokens(int T, int mr) {
    int blocks = (T + MATMUL_TB - 1) / MATMUL_TB;
    int tb = (T + blocks - 1) / blocks;
    tb = (tb + mr - 1) / mr * mr;
    return tb < MATMUL_TB ? tb : MATMUL_TB;
}

static void matmul_packed(const titan_gemm_family *f, const titan_matmul_args *a,
                          int64_t n0, int64_t n1, float *scratch) {
    int64_t K = a->w->cols, N = a->w->rows;
    int kcmax = block_cols(K), mr = f->mr, nr = f->nr;
    int tbmax = block_tokens(a->T, mr);
    float *panel = scratch;
    float *tmp_row = panel + (size_t)MATMUL_NR_MAX * MATMUL_KC;
    for (int t0 = 0; t0 < a->T; t0 += tbmax) {
        int nt = a->T - t0 < tbmax ? a->T - t0 : tbmax;
        for (int64_t k0 = 0; k0 < K; k0 += kcmax) {
            int kc = K - k0 < kcmax ? (int)(K - k0) : kcmax;
            for (int64_t n = n0; n < n1; n += nr) {
                int rows = n1 - n < nr ? (int)(n1 - n) : nr;
                f->pack(a->w, n, rows, k0, kc, tmp_row, panel);
                for (int t = t0; t < t0 + nt; t += mr) {
                    int tt = t0 + nt - t < mr ? t0 + nt - t : mr;
                    f->tile(panel, a->x + (size_t)t * K + k0, (size_t)K, kc,
                            a->y + (size_t)t * N + n, N, tt, rows, k0 > 0);
                }
            }
        }
    }
}

void titan_matmul_rows_vector(const titan_vector_family *f,
                              const titan_matmul_args *a, int64_t n0,
                              int64_t n1, float *scratch) {
    int64_t gs = a->w->group_size, K = a->w->cols;
    bool dot_ok = gs == 0 || gs >= K || gs % f->vw == 0;
    if (a->T < MATMUL_DOT_MAX_T && dot_ok)
        f->dot[a->w->dtype](a, n0, n1);
    else
        matmul_packed(&f->gemm, a, n0, n1, scratch);
}
