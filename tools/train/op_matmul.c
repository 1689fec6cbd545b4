/* op_matmul.c: the linear map y = x W^T of every weight matrix (no biases),
 * forward and backward. The float build runs the platform's float GEMM
 * (platform/matmul.h: the runtime's panels and register tiles, the
 * widest this CPU runs); the portable loops of the double build are the
 * reference. */
#include "tools/train/train_ops.h"

#include <string.h>

#ifdef TRAIN_DOUBLE
void TR(matmul_acc_forward)(real *y, const real *x, const real *W, int T, int I, int O) {
    for (int t = 0; t < T; t++) {
        const real *xt = x + (size_t)t * I;
        for (int o = 0; o < O; o++) {
            const real *w = W + (size_t)o * I;
            real s = 0;
            for (int i = 0; i < I; i++) s += xt[i] * w[i];
            y[(size_t)t * O + o] += s;
        }
    }
}

void TR(matmul_forward)(real *y, const real *x, const real *W, int T, int I, int O) {
    memset(y, 0, (size_t)T * O * sizeof *y);
    TR(matmul_acc_forward)(y, x, W, T, I, O);
}

void TR(matmul_acc_dx)(real *dx, const real *dy, const real *W, int T, int I, int O) {
    for (int t = 0; t < T; t++) {
        real *dxt = dx + (size_t)t * I;
        for (int o = 0; o < O; o++) {
            real g = dy[(size_t)t * O + o];
            const real *w = W + (size_t)o * I;
            for (int i = 0; i < I; i++) dxt[i] += g * w[i];
        }
    }
}

void TR(matmul_acc_dw)(real *dW, const real *dy, const real *x, int T, int I, int O) {
    for (int t = 0; t < T; t++) {
        const real *xt = x + (size_t)t * I;
        for (int o = 0; o < O; o++) {
            real g = dy[(size_t)t * O + o];
            real *dw = dW + (size_t)o * I;
            for (int i = 0; i < I; i++) dw[i] += g * xt[i];
        }
    }
}
#else
#include "platform/matmul.h"

/* Scratch on the caller's stack (33 KB): each of the trainer's threads has
 * its own, and no call allocates. */
static void gemm(const titan_gemm_f32 *g) {
    _Alignas(64) float scratch[MATMUL_SCRATCH_FLOATS];
    titan_gemm_f32_run(titan_matmul_family(titan_cpu_best_isa()), g, scratch);
}

static void forward(float *y, const float *x, const float *W, int T, int I, int O,
                    bool accumulate) {
    gemm(&(titan_gemm_f32){.m = T,
                           .n = O,
                           .k = I,
                           .a = x,
                           .lda = (size_t)I,
                           .b = W,
                           .ldb = (size_t)I,
                           .b_trans = true,
                           .c = y,
                           .ldc = (size_t)O,
                           .accumulate = accumulate});
}

void train_matmul_forward(float *y, const float *x, const float *W, int T, int I, int O) {
    forward(y, x, W, T, I, O, false);
}

void train_matmul_acc_forward(float *y, const float *x, const float *W, int T, int I,
                              int O) {
    forward(y, x, W, T, I, O, true);
}

void train_matmul_acc_dx(float *dx, const float *dy, const float *W, int T, int I,
                         int O) {
    gemm(&(titan_gemm_f32){.m = T,
                           .n = I,
                           .k = O,
                           .a = dy,
                           .lda = (size_t)O,
                           .b = W,
                           .ldb = (size_t)I,
                           .c = dx,
                           .ldc = (size_t)I,
                           .accumulate = true});
}

void train_matmul_acc_dw(float *dW, const float *dy, const float *x, int T, int I,
                         int O) {
    gemm(&(titan_gemm_f32){.m = O,
                           .n = I,
                           .k = T,
                           .a = dy,
                           .lda = (size_t)O,
                           .a_trans = true,
                           .b = x,
                           .ldb = (size_t)I,
                           .c = dW,
                           .ldc = (size_t)I,
                           .accumulate = true});
}
#endif

void TR(matmul_backward)(real *dx, real *dW, const real *dy, const real *x, const real *W,
                         int T, int I, int O) {
    if (dx) TR(matmul_acc_dx)(dx, dy, W, T, I, O);
    TR(matmul_acc_dw)(dW, dy, x, T, I, O);
}
