/* matmul_packed.c: the cache-blocked driver for many tokens, shared by the
 * vector families. Per thread: for each block of MATMUL_TB tokens and each
 * block of at most MATMUL_KC columns, x is packed token-interleaved
 * (xp[tile][k][mr]) and each panel of nr rows of W is dequantized and packed
 * column-major (panel[k][nr]); the family's register tile then runs over all
 * token tiles with the panel hot in L1. Packing costs O(N*K) per token block,
 * small next to the O(TB*N*K) products it feeds. */
#include "platform/matmul.h"

/* xp[j][k][mr] = x[t0 + j*mr + m][k0 + k], zero for tokens past nt. */
static void pack_x(const float *x, int64_t K, int t0, int nt, int64_t k0,
                   int kc, int mr, float *xp) {
    for (int j = 0; j * mr < nt; j++) {
        float *tile = xp + (size_t)j * kc * mr;
        for (int m = 0; m < mr; m++) {
            int t = j * mr + m;
            if (t >= nt) {
                for (int k = 0; k < kc; k++) tile[k * mr + m] = 0.0f;
                continue;
            }
            const float *src = x + (int64_t)(t0 + t) * K + k0;
            for (int k = 0; k < kc; k++) tile[k * mr + m] = src[k];
        }
    }
}

/* panel[k][nr] = W[n + r][k0 + k] for r < rows, zero rows after. */
static void pack_w(const titan_gemm_family *f, const titan_tensor *w,
                   int64_t n, int rows, int64_t k0, int kc, float *tmp_row,
                   float *panel) {
    int nr = f->nr;
    for (int r = 0; r < nr; r++) {
        if (r < rows) {
            f->dequant(w, n + r, k0, kc, tmp_row);
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

void titan_matmul_packed(const titan_gemm_family *f, const titan_matmul_args *a,
                         int64_t n0, int64_t n1, float *scratch) {
    int64_t K = a->w->cols, N = a->w->rows;
    int kcmax = block_cols(K), mr = f->mr, nr = f->nr;
    float *xp = scratch;
    float *panel = xp + (size_t)MATMUL_TB * MATMUL_KC;
    float *tmp_row = panel + (size_t)MATMUL_NR_MAX * MATMUL_KC;
    for (int t0 = 0; t0 < a->T; t0 += MATMUL_TB) {
        int nt = a->T - t0 < MATMUL_TB ? a->T - t0 : MATMUL_TB;
        for (int64_t k0 = 0; k0 < K; k0 += kcmax) {
            int kc = K - k0 < kcmax ? (int)(K - k0) : kcmax;
            pack_x(a->x, K, t0, nt, k0, kc, mr, xp);
            for (int64_t n = n0; n < n1; n += nr) {
                int rows = n1 - n < nr ? (int)(n1 - n) : nr;
                pack_w(f, a->w, n, rows, k0, kc, tmp_row, panel);
                for (int j = 0; j * mr < nt; j++) {
                    int tt = nt - j * mr < mr ? nt - j * mr : mr;
                    f->tile(panel, xp + (size_t)j * kc * mr, kc,
                            a->y + (size_t)(t0 + j * mr) * N + n, N, tt, rows,
                            k0 > 0);
                }
            }
        }
    }
}
