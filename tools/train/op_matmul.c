/* op_matmul.c: the linear map y = x W^T of every weight matrix (no biases),
 * forward and backward. The portable loops below are the reference (and the
 * double build); on x86 with AVX2+FMA the float build runs blocked kernels
 * (gemm_avx2.c) chosen at run time. */
#include "tools/train/train_ops.h"

#ifndef TRAIN_DOUBLE
#include "tools/train/gemm_avx2.h"

#include <stdlib.h>
#include <string.h>

/* y = x W^T as y = x Wt with Wt[I, O] row-major, so the kernel streams rows
 * of Wt; the transpose costs I*O against T*I*O multiply-adds. */
static int forward_avx2(float *y, const float *x, const float *W, int T, int I,
                        int O) {
    float *wt = malloc(sizeof(float) * (size_t)I * O);
    if (!wt) return 0;
    enum { BLK = 16 };
    for (int o0 = 0; o0 < O; o0 += BLK)
        for (int i0 = 0; i0 < I; i0 += BLK)
            for (int o = o0; o < O && o < o0 + BLK; o++)
                for (int i = i0; i < I && i < i0 + BLK; i++)
                    wt[(size_t)i * O + o] = W[(size_t)o * I + i];
    memset(y, 0, sizeof(float) * (size_t)T * O);
    gemm_nn_avx2(y, O, x, I, 1, wt, O, T, I, O);
    free(wt);
    return 1;
}
#endif

static void matmul_forward_ref(real *y, const real *x, const real *W, int T,
                               int I, int O) {
    for (int t = 0; t < T; t++) {
        const real *xt = x + (size_t)t * I;
        for (int o = 0; o < O; o++) {
            const real *w = W + (size_t)o * I;
            real s = 0;
            for (int i = 0; i < I; i++) s += xt[i] * w[i];
            y[(size_t)t * O + o] = s;
        }
    }
}

static void acc_dx_ref(real *dx, const real *dy, const real *W, int T, int I,
                       int O) {
    for (int t = 0; t < T; t++) {
        real *dxt = dx + (size_t)t * I;
        for (int o = 0; o < O; o++) {
            real g = dy[(size_t)t * O + o];
            const real *w = W + (size_t)o * I;
            for (int i = 0; i < I; i++) dxt[i] += g * w[i];
        }
    }
}

static void acc_dw_ref(real *dW, const real *dy, const real *x, int T, int I,
                       int O) {
    for (int t = 0; t < T; t++) {
        const real *xt = x + (size_t)t * I;
        for (int o = 0; o < O; o++) {
            real g = dy[(size_t)t * O + o];
            real *dw = dW + (size_t)o * I;
            for (int i = 0; i < I; i++) dw[i] += g * xt[i];
        }
    }
}

void TR(matmul_forward)(real *y, const real *x, const real *W, int T, int I,
                        int O) {
#ifndef TRAIN_DOUBLE
    if (gemm_avx2_available() && forward_avx2(y, x, W, T, I, O)) return;
#endif
    matmul_forward_ref(y, x, W, T, I, O);
}

void TR(matmul_acc_dx)(real *dx, const real *dy, const real *W, int T, int I,
                       int O) {
#ifndef TRAIN_DOUBLE
    if (gemm_avx2_available()) {
        gemm_nn_avx2(dx, I, dy, O, 1, W, I, T, O, I);
        return;
    }
#endif
    acc_dx_ref(dx, dy, W, T, I, O);
}

void TR(matmul_acc_dw)(real *dW, const real *dy, const real *x, int T, int I,
                       int O) {
#ifndef TRAIN_DOUBLE
    if (gemm_avx2_available()) {
        gemm_nn_avx2(dW, I, dy, 1, O, x, I, O, T, I);
        return;
    }
#endif
    acc_dw_ref(dW, dy, x, T, I, O);
}

void TR(matmul_backward)(real *dx, real *dW, const real *dy, const real *x,
                         const real *W, int T, int I, int O) {
    if (dx) TR(matmul_acc_dx)(dx, dy, W, T, I, O);
    TR(matmul_acc_dw)(dW, dy, x, T, I, O);
}
