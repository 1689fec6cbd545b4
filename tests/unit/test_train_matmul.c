/* test_train_matmul.c: the trainer's float matmuls (the platform's float
 * GEMM, with edges in every dimension) against plain double loops written
 * here; test_gemm_f32.c checks the GEMM itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "assert_close.h"
#include "tools/train/train_ops.h"

static void check_size(int T, int I, int O) {
    float *x = malloc(sizeof(float) * T * I), *W = malloc(sizeof(float) * O * I);
    float *dy = malloc(sizeof(float) * T * O), *y = malloc(sizeof(float) * T * O);
    float *dx = malloc(sizeof(float) * T * I), *dW = malloc(sizeof(float) * O * I);
    for (int i = 0; i < T * I; i++)
        x[i] = (float)((i * 37 % 101) - 50) / 50, dx[i] = 0.25f;
    for (int i = 0; i < O * I; i++)
        W[i] = (float)((i * 53 % 97) - 48) / 48, dW[i] = -0.5f;
    for (int i = 0; i < T * O; i++) dy[i] = (float)((i * 29 % 89) - 44) / 44;
    train_matmul_forward(y, x, W, T, I, O);
    train_matmul_backward(dx, dW, dy, x, W, T, I, O);
    close_acc ey = {0}, edx = {0}, edW = {0};
    for (int t = 0; t < T; t++)
        for (int o = 0; o < O; o++) {
            double s = 0;
            for (int i = 0; i < I; i++) s += (double)x[t * I + i] * W[o * I + i];
            close_add(&ey, t * O + o, y[t * O + o], s);
        }
    for (int t = 0; t < T; t++)
        for (int i = 0; i < I; i++) {
            double s = 0.25;
            for (int o = 0; o < O; o++) s += (double)dy[t * O + o] * W[o * I + i];
            close_add(&edx, t * I + i, dx[t * I + i], s);
        }
    for (int o = 0; o < O; o++)
        for (int i = 0; i < I; i++) {
            double s = -0.5;
            for (int t = 0; t < T; t++) s += (double)dy[t * O + o] * x[t * I + i];
            close_add(&edW, o * I + i, dW[o * I + i], s);
        }
    assert_close(&ey, "y", 1e-4, 0);
    assert_close(&edx, "dx", 1e-4, 0);
    assert_close(&edW, "dW", 1e-4, 0);
    free(x), free(W), free(dy), free(y), free(dx), free(dW);
}

static void matmuls_match_double_loops(void **state) {
    (void)state;
    check_size(13, 37, 21); /* edges everywhere */
    check_size(7, 16, 32);  /* whole 16-wide panels, short rows */
    check_size(1, 5, 3);
    check_size(12, 300, 48); /* K beyond one 256-deep panel */
    check_size(300, 40, 17); /* T beyond one panel (dW's K) */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matmuls_match_double_loops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
