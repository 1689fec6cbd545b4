/* op_matmul.c: the linear map y = x W^T of every weight matrix (no biases),
 * forward and backward. Loops keep the innermost index contiguous. */
#include "tools/train/train_ops.h"

/* Four rows of x against one row of W at a time: each W row is read once per
 * four tokens. */
void TR(matmul_forward)(real *y, const real *x, const real *W, int T, int I,
                        int O) {
    int t = 0;
    for (; t + 4 <= T; t += 4) {
        const real *x0 = x + (size_t)t * I, *x1 = x0 + I, *x2 = x1 + I,
                   *x3 = x2 + I;
        for (int o = 0; o < O; o++) {
            const real *w = W + (size_t)o * I;
            real s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int i = 0; i < I; i++) {
                s0 += x0[i] * w[i];
                s1 += x1[i] * w[i];
                s2 += x2[i] * w[i];
                s3 += x3[i] * w[i];
            }
            y[(size_t)t * O + o] = s0;
            y[(size_t)(t + 1) * O + o] = s1;
            y[(size_t)(t + 2) * O + o] = s2;
            y[(size_t)(t + 3) * O + o] = s3;
        }
    }
    for (; t < T; t++) {
        const real *xt = x + (size_t)t * I;
        for (int o = 0; o < O; o++) {
            const real *w = W + (size_t)o * I;
            real s = 0;
            for (int i = 0; i < I; i++) s += xt[i] * w[i];
            y[(size_t)t * O + o] = s;
        }
    }
}

void TR(matmul_backward)(real *dx, real *dW, const real *dy, const real *x,
                         const real *W, int T, int I, int O) {
    for (int t = 0; t < T; t++) {
        const real *dyt = dy + (size_t)t * O;
        const real *xt = x + (size_t)t * I;
        real *dxt = dx ? dx + (size_t)t * I : NULL;
        for (int o = 0; o < O; o++) {
            real g = dyt[o];
            if (g == 0) continue;
            const real *w = W + (size_t)o * I;
            real *dw = dW + (size_t)o * I;
            for (int i = 0; i < I; i++) dw[i] += g * xt[i];
            if (dxt)
                for (int i = 0; i < I; i++) dxt[i] += g * w[i];
        }
    }
}
