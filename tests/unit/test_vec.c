/* test_vec.c: the softmax helpers of core/vec.c: titan_vec_exp_sum within
 * 2 ulp of exp in double over the whole float range it takes (and exactly 0
 * below it), its sum, SiLU within 4 ulp on [-100, 100], titan_vec_max at
 * every length and position, titan_vec_axpy rounded as y + (a x) in
 * float at every length (vector body and tail alike), titan_vec_dot
 * within float rounding of the double sum at every length, and the squared
 * (leaky) ReLU exactly as its scalar form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "core/model.h"

#include <float.h>
#include <math.h>

static void exp_within_two_ulp(void **state) {
    (void)state;
    enum { N = 1000 };
    float x[N];
    double worst = 0;
    for (float x0 = -88.0f; x0 < 0; x0 += 0.0937f) {
        double want_sum = 0;
        for (int i = 0; i < N; i++) x[i] = x0 + (float)i * 1e-4f;
        for (int i = 0; i < N; i++) want_sum += x[i] < -87.0f ? 0 : exp(x[i] - 1.0);
        float xs[N];
        for (int i = 0; i < N; i++) xs[i] = x[i];
        float sum = titan_vec_exp_sum(xs, 1.0f, N);
        for (int i = 0; i < N; i++) {
            double want = exp((double)(x[i] - 1.0f));
            if (x[i] - 1.0f < -87.0f) {
                assert_true(xs[i] == 0.0f);
                continue;
            }
            double ulp = (double)FLT_EPSILON * want;
            double err = fabs(xs[i] - want) / ulp;
            worst = max_nan(worst, err);
        }
        assert_true(fabs(sum - want_sum) <= 1e-5 * want_sum + 1e-30);
    }
    assert_true(worst <= 2.0);
    assert_true(worst > 0.0); /* the check does see rounding */
    float one = 3.5f;
    assert_true(titan_vec_exp_sum(&one, 3.5f, 1) == 1.0f && one == 1.0f);
}

static void silu_close_to_double(void **state) {
    (void)state;
    enum { N = 2003 }; /* not a multiple of the vector width */
    float y[N], g[N];
    double worst = 0;
    for (float g0 = -100.0f; g0 < 100.0f; g0 += 1.37f) {
        for (int i = 0; i < N; i++) g[i] = g0 + (float)i * 7e-4f, y[i] = 1.5f;
        titan_vec_silu_mul(y, g, N);
        for (int i = 0; i < N; i++) {
            double want = 1.5 * g[i] / (1.0 + exp(-(double)g[i]));
            double err = fabs(y[i] - want) / (fabs(want) + 1e-30);
            if (fabs(want) > 1e-30) worst = max_nan(worst, err);
        }
    }
    assert_true(worst <= 4 * FLT_EPSILON);
}

static void max_at_every_position(void **state) {
    (void)state;
    float x[37];
    for (int n = 1; n <= 37; n++)
        for (int at = 0; at < n; at++) {
            for (int i = 0; i < n; i++) x[i] = -(float)(i % 5) - 1.0f;
            x[at] = 2.0f;
            assert_true(titan_vec_max(x, n) == 2.0f);
        }
}

static void axpy_rounds_like_scalar_code(void **state) {
    (void)state;
    float y[37], x[37];
    for (int n = 0; n <= 37; n++) {
        for (int i = 0; i < 37; i++) y[i] = 1.0f / (float)(i + 3), x[i] = (float)i - 7.5f;
        titan_vec_axpy(y, 0.3f, x, n);
        for (int i = 0; i < 37; i++) {
            volatile float ax = 0.3f * x[i]; /* no fused multiply-add */
            float want = i < n ? 1.0f / (float)(i + 3) + ax : 1.0f / (float)(i + 3);
            assert_true(y[i] == want);
        }
    }
}

static void dot_close_to_double(void **state) {
    (void)state;
    float a[41], b[41];
    for (int i = 0; i < 41; i++) a[i] = 1.0f / (float)(i + 2), b[i] = (float)i - 9.25f;
    for (int n = 0; n <= 41; n++) {
        double want = 0, mag = 0;
        for (int i = 0; i < n; i++) want += (double)a[i] * b[i], mag += fabs(a[i] * b[i]);
        float got = titan_vec_dot(a, b, n);
        assert_true(isfinite(got) && fabs(got - want) <= 4 * FLT_EPSILON * mag);
    }
}

/* Every length (vector body and tail), both slopes, exactly the scalar
 * φ(x)^2; NaN stays NaN, -0 squares to 0. */
static void leaky_square_exact(void **state) {
    (void)state;
    float x[37];
    static const float slopes[2] = {0.0f, 0.37f};
    for (int s = 0; s < 2; s++)
        for (int n = 0; n <= 37; n++) {
            for (int i = 0; i < 37; i++) x[i] = (float)(i % 7) - 3.25f;
            titan_vec_leaky_square(x, slopes[s], n);
            for (int i = 0; i < 37; i++) {
                float v = (float)(i % 7) - 3.25f;
                volatile float phi = v < 0 ? slopes[s] * v : v;
                float want = i < n ? phi * phi : v;
                assert_true(x[i] == want);
            }
        }
    float odd[9] = {NAN, -0.0f, -2, 0, 1, -1, 3, -3, NAN};
    titan_vec_leaky_square(odd, 0.5f, 9);
    assert_true(isnan(odd[0]) && isnan(odd[8]));
    assert_true(odd[1] == 0 && !signbit(odd[1]) && odd[2] == 1.0f && odd[7] == 2.25f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exp_within_two_ulp),
        cmocka_unit_test(silu_close_to_double),
        cmocka_unit_test(max_at_every_position),
        cmocka_unit_test(axpy_rounds_like_scalar_code),
        cmocka_unit_test(dot_close_to_double),
        cmocka_unit_test(leaky_square_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
