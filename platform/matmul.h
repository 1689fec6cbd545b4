/* matmul.h: the CPU backend's matmul kernels, one family per instruction set
 * (matmul_avx512.c, matmul_avx2.c, matmul_scalar.c), and what they share.
 *
 * Each family computes y[t][n] = sum_k W[n][k] * x[t][k] for one thread's
 * output rows [n0, n1) and all T tokens. Small T streams W once through
 * dot-product tiles (weights dequantized in registers); large T packs cache
 * blocks (a panel of rows x KC columns of W, dequantized and transposed, and
 * TB tokens x KC of x) into per-thread scratch and runs a register-blocked
 * outer-product kernel. Every output value is computed by the same operation
 * sequence wherever its row falls, so results do not depend on the split. */
#ifndef TITAN_PLATFORM_MATMUL_H
#define TITAN_PLATFORM_MATMUL_H

#include "titan.h"

#include <stdbool.h>

#define MATMUL_KC 256     /* columns of W per cache block */
#define MATMUL_TB 384     /* tokens per packed block of x (multiple of MR) */
#define MATMUL_NR_MAX 32  /* rows per packed panel (widest family) */

/* Per-thread scratch, in floats: packed x block, packed panel, one row. */
#define MATMUL_SCRATCH_FLOATS \
    ((size_t)(MATMUL_TB + MATMUL_NR_MAX + 1) * MATMUL_KC)

typedef struct {
    const titan_tensor *w; /* [N][K], any dtype */
    const float *x;        /* [T][K] */
    float *y;              /* [T][N] */
    int T;
} titan_matmul_args;

typedef void (*titan_matmul_rows_fn)(const titan_matmul_args *a, int64_t n0,
                                     int64_t n1, float *scratch);

void titan_matmul_rows_avx512(const titan_matmul_args *a, int64_t n0,
                              int64_t n1, float *scratch);
void titan_matmul_rows_avx2(const titan_matmul_args *a, int64_t n0, int64_t n1,
                            float *scratch);
void titan_matmul_rows_scalar(const titan_matmul_args *a, int64_t n0,
                              int64_t n1, float *scratch);

/* out[i] = W[row][k0 + i] as float (q * scale for quantized types), i < len. */
void titan_weights_dequant(const titan_tensor *w, int64_t row, int64_t k0,
                           int64_t len, float *out);

/* Bytes of one stored row of W (without scales). */
size_t titan_weights_row_bytes(const titan_tensor *w);

/* Packing shared by the vector families, in plain C (O(N*K) per call, small
 * next to the O(T*N*K) products it feeds):
 * xp[k][MR] for tokens t0..t0+nt (zero-padded to a multiple of mr) ... */
void titan_pack_x(const float *x, int64_t K, int t0, int nt, int64_t k0,
                  int kc, int mr, float *xp);
/* panel[k][nr] = W[n + r][k0 + k] for r < rows (zero for rows <= r < nr). */
void titan_pack_w(const titan_tensor *w, int64_t n, int rows, int nr,
                  int64_t k0, int kc, float *tmp_row, float *panel);

#endif
