/* test_train_lora.c: the adapter op (tools/train/op_lora.c) in the double
 * build against central finite differences of L = sum(dy * y), every input
 * and tensor; frozen tensors (NULL gradients) get none. The float build is
 * the same source over the GEMM that test_train_matmul.c checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "assert_close.h"
#define TRAIN_DOUBLE 1
#include "tools/train/train_ops.h"

enum { T = 3, I = 5, O = 4, R = 2 };
static const double s = 1.5;

typedef struct {
    double x[T * I], X[O * I], A[R * I], B[O * R], dy[T * O];
} lora_case;

static void fill(lora_case *c) {
    double *all = (double *)c;
    for (size_t i = 0; i < sizeof *c / sizeof(double); i++)
        all[i] = (double)((int)(i * 37 % 23) - 11) / 10;
}

static double loss(const lora_case *c) {
    double y[T * O], xs[T * R];
    train_lora_forward_d(y, xs, c->x, c->X, c->A, c->B, T, I, O, R, s);
    double L = 0;
    for (int i = 0; i < T * O; i++) L += c->dy[i] * y[i];
    return L;
}

/* Central difference of loss() in value *v. */
static double numeric(lora_case *c, double *v) {
    double keep = *v, h = 1e-5;
    *v = keep + h;
    double up = loss(c);
    *v = keep - h;
    double down = loss(c);
    *v = keep;
    return (up - down) / (2 * h);
}

static void check(lora_case *c, double *vals, const double *grad, int n,
                  const char *what) {
    close_acc e = {0};
    for (int i = 0; i < n; i++) close_add(&e, i, grad[i], numeric(c, vals + i));
    assert_close(&e, what, 1e-8, 1e-10);
}

static void gradients_match_finite_differences(void **state) {
    (void)state;
    lora_case c;
    fill(&c);
    double y[T * O], xs[T * R], dxs[T * R];
    double dx[T * I] = {0}, dX[O * I] = {0}, dA[R * I] = {0}, dB[O * R] = {0};
    train_lora_forward_d(y, xs, c.x, c.X, c.A, c.B, T, I, O, R, s);
    train_lora_backward_d(dx, dX, dA, dB, dxs, c.dy, c.x, xs, c.X, c.A, c.B, T, I, O, R,
                          s);
    check(&c, c.x, dx, T * I, "dx");
    check(&c, c.X, dX, O * I, "dX");
    check(&c, c.A, dA, R * I, "dA");
    check(&c, c.B, dB, O * R, "dB");
}

static void frozen_tensors_get_no_gradient(void **state) {
    (void)state;
    lora_case c;
    fill(&c);
    double y[T * O], xs[T * R], dxs[T * R], dx[T * I] = {0}, dA[R * I] = {0};
    double full_dx[T * I] = {0}, full_dA[R * I] = {0}, dX[O * I] = {0}, dB[O * R] = {0};
    train_lora_forward_d(y, xs, c.x, c.X, c.A, c.B, T, I, O, R, s);
    train_lora_backward_d(dx, NULL, dA, NULL, dxs, c.dy, c.x, xs, c.X, c.A, c.B, T, I, O,
                          R, s);
    train_lora_backward_d(full_dx, dX, full_dA, dB, dxs, c.dy, c.x, xs, c.X, c.A, c.B, T,
                          I, O, R, s);
    assert_memory_equal(dx, full_dx, sizeof dx);
    assert_memory_equal(dA, full_dA, sizeof dA);
}

static void no_adapter_is_the_plain_matmul(void **state) {
    (void)state;
    lora_case c;
    fill(&c);
    double y[T * O], plain[T * O];
    train_lora_forward_d(y, NULL, c.x, c.X, NULL, NULL, T, I, O, 0, s);
    train_matmul_forward_d(plain, c.x, c.X, T, I, O);
    assert_memory_equal(y, plain, sizeof y);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradients_match_finite_differences),
        cmocka_unit_test(frozen_tensors_get_no_gradient),
        cmocka_unit_test(no_adapter_is_the_plain_matmul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
