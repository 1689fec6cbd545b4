/* op_lora.c: the low-rank adapter of SPEC section 9 on one weight,
 * y = x X^T + s (x A^T) B^T, forward and backward, unmerged: the trainer
 * learns A and B (and X unless frozen) through the rank-r bottleneck. */
#include "tools/train/train_ops.h"

#include <string.h>

void TR(lora_forward)(real *y, real *xs, const real *x, const real *X, const real *A,
                      const real *B, int T, int I, int O, int r, real s) {
    TR(matmul_forward)(y, x, X, T, I, O);
    if (!A || r == 0) return;
    TR(matmul_forward)(xs, x, A, T, I, r);
    for (size_t i = 0; i < (size_t)T * r; i++) xs[i] *= s;
    TR(matmul_acc_forward)(y, xs, B, T, r, O);
}

void TR(lora_backward)(real *dx, real *dX, real *dA, real *dB, real *dxs, const real *dy,
                       const real *x, const real *xs, const real *X, const real *A,
                       const real *B, int T, int I, int O, int r, real s) {
    if (dX) TR(matmul_acc_dw)(dX, dy, x, T, I, O);
    if (dx) TR(matmul_acc_dx)(dx, dy, X, T, I, O);
    if (!A || r == 0) return;
    if (dB) TR(matmul_acc_dw)(dB, dy, xs, T, r, O);
    /* d(x A^T) = s dy B */
    memset(dxs, 0, (size_t)T * r * sizeof *dxs);
    TR(matmul_acc_dx)(dxs, dy, B, T, r, O);
    for (size_t i = 0; i < (size_t)T * r; i++) dxs[i] *= s;
    if (dA) TR(matmul_acc_dw)(dA, dxs, x, T, I, r);
    if (dx) TR(matmul_acc_dx)(dx, dxs, A, T, I, r);
}
