/* test_train_exp.c: the trainer's inline float exp (real_exp.h) against
 * libm over the softmax range, NaN kept; sigmoid on both signs; and the
 * vectorized loop (real_exp_shifted, a target clone) giving the scalar
 * function's bits, which keeps runs repeatable whatever clone a CPU takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "assert_close.h"
#include "tools/train/train_ops.h"

static void exp_within_2ulp(void **state) {
    (void)state;
    double worst = 0;
    for (float x = -87.0f; x <= 0; x += 1.0e-3f) {
        double want = exp((double)x), err = fabs(real_exp(x) - want) / want;
        worst = max_nan(worst, err);
    }
    assert_true(worst < 2 * FLT_EPSILON);
    assert_true(isnan(real_exp(NAN)));
    assert_true(real_exp(0) == 1.0f);
    assert_true(real_exp(-1000.0f) >= 0 && real_exp(-1000.0f) < 1e-37f);
}

static void sigmoid_both_signs(void **state) {
    (void)state;
    double worst = 0;
    for (float x = -30.0f; x <= 30.0f; x += 0.01f) {
        double want = 1 / (1 + exp(-(double)x));
        worst = max_nan(worst, fabs(real_sigmoid(x) - want) / want);
    }
    assert_true(worst < 4 * FLT_EPSILON);
    assert_true(isnan(real_sigmoid(NAN)));
}

static void vector_loop_matches_scalar(void **state) {
    (void)state;
    enum { N = 1000 };
    float p[N], q[N];
    for (int i = 0; i < N; i++) p[i] = (float)((i * 7919) % 2003) * -0.0437f;
    real_exp_shifted(p, N, -3.5f);
    for (int i = 0; i < N; i++) {
        float want = real_exp((float)((i * 7919) % 2003) * -0.0437f + 3.5f);
        q[i] = want;
    }
    assert_memory_equal(p, q, sizeof p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exp_within_2ulp),
        cmocka_unit_test(sigmoid_both_signs),
        cmocka_unit_test(vector_loop_matches_scalar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
