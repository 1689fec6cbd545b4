/* test_assert_close.c: the shared comparisons of assert_close.h fail on NaN
 * and infinity on either side and in any one element, pass within their
 * tolerance, and really fail a cmocka test (run in a child process). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "assert_close.h"

/* close_ok on n pairs of got/want. */
static bool pairs_close(const double *got, const double *want, size_t n, double atol,
                        double rtol) {
    close_acc c = {0};
    for (size_t i = 0; i < n; i++) close_add(&c, i, got[i], want[i]);
    return close_ok(&c, atol, rtol);
}

static void max_nan_keeps_nan(void **state) {
    (void)state;
    assert_true(max_nan(1, 2) == 2 && max_nan(2, 1) == 2);
    assert_true(isnan(max_nan(1, NAN)));
    assert_true(isnan(max_nan(NAN, 1)));
    assert_true(isnan(max_nan(max_nan(0, NAN), 1e300)));
    assert_true(isinf(max_nan(1, INFINITY)));
}

static void nan_fails(void **state) {
    (void)state;
    double one[1] = {1}, nan[1] = {NAN};
    assert_false(pairs_close(nan, one, 1, 1e9, 1e9)); /* got NaN */
    assert_false(pairs_close(one, nan, 1, 1e9, 1e9)); /* want NaN */
    assert_false(pairs_close(nan, nan, 1, 1e9, 1e9)); /* both */
    double all[4] = {NAN, NAN, NAN, NAN};
    assert_false(pairs_close(all, all, 4, 1e9, 1e9));
}

/* One NaN among good values, first, inside or last, is the worst pair. */
static void one_nan_element_fails(void **state) {
    (void)state;
    double want[5] = {1, 2, 3, 4, 5};
    for (size_t at = 0; at < 5; at++) {
        double got[5] = {1, 2, 3, 4, 5.5}; /* 5.5: a finite error after a NaN */
        got[at] = NAN;
        assert_false(pairs_close(got, want, 5, 1, 0));
        close_acc c = {0};
        for (size_t i = 0; i < 5; i++) close_add(&c, i, got[i], want[i]);
        assert_int_equal(c.at, at);
        assert_true(isnan(c.err) && isnan(c.got));
    }
}

static void infinity_fails(void **state) {
    (void)state;
    double one[1] = {1}, inf[1] = {INFINITY}, minf[1] = {-INFINITY};
    assert_false(pairs_close(inf, one, 1, 1e9, 1e9));
    assert_false(pairs_close(one, inf, 1, 1e9, 1e9));
    assert_false(pairs_close(inf, inf, 1, 1e9, 1e9));
    assert_false(pairs_close(minf, minf, 1, 1e9, 1e9));
}

static void tolerance_is_abs_plus_rel(void **state) {
    (void)state;
    double want[3] = {1, -10, 0}, got[3] = {1.5, -10, 0};
    assert_true(pairs_close(got, want, 3, 0.5, 0)); /* |0.5| <= 0.5 */
    assert_false(pairs_close(got, want, 3, 0.49, 0));
    assert_true(pairs_close(got, want, 3, 0, 0.05)); /* 0.05 * max|want| 10 */
    assert_false(pairs_close(got, want, 3, 0, 0.049));
    assert_true(pairs_close(got, want, 3, 0.25, 0.025));
    assert_true(pairs_close(want, want, 3, 0, 0));     /* equal: exact */
    assert_false(pairs_close(got, want, 0, 1e9, 1e9)); /* nothing compared */
}

static void floats_and_scalars(void **state) {
    (void)state;
    float want[4] = {1, 2, 3, 4}, got[4] = {1, 2, 3.001f, 4};
    close_acc c = close_floats(got, want, 4);
    assert_true(close_ok(&c, 0.002, 0));
    assert_int_equal(c.at, 2);
    got[3] = NAN;
    c = close_floats(got, want, 4);
    assert_false(close_ok(&c, 1e9, 1e9));
    assert_true(float_close(1.0f, 1.0005f, 1e-3f));
    assert_true(float_close(1e10f, nextafterf(1e10f, 0), 0)); /* FLT_EPSILON */
    assert_false(float_close(1.0f, 1.002f, 1e-3f));
    assert_false(float_close(NAN, 1.0f, 1e9f));
    assert_false(float_close(1.0f, NAN, 1e9f));
    assert_false(float_close(NAN, NAN, 1e9f));
    assert_false(float_close(INFINITY, INFINITY, 1e9f));
    assert_false(float_close(-INFINITY, 1.0f, 1e9f));
}

/* Tests run in a child process by run_child: each should fail. */
static void child_assert_close_nan(void **state) {
    (void)state;
    close_acc c = {0};
    close_add(&c, 0, 1, 1);
    close_add(&c, 1, NAN, 1);
    assert_close(&c, "child", 1e9, 1e9);
}

static void child_assert_close_far(void **state) {
    (void)state;
    close_acc c = {0};
    close_add(&c, 0, 2, 1);
    assert_close(&c, "child", 0.5, 0);
}

static void child_floats_one_nan(void **state) {
    (void)state;
    float want[4] = {1, 2, 3, 4}, got[4] = {1, 2, NAN, 4};
    assert_close_floats(got, want, 4, "child row", 1e-6, 0);
}

static void child_float_equal_nan(void **state) {
    (void)state;
    assert_float_equal(NAN, 1.0f, 1e-3); /* cmocka 1.1's own passes this */
}

static void child_float_equal_inf(void **state) {
    (void)state;
    assert_float_equal(INFINITY, 1.0f, 1e-3);
}

static void child_within_tolerance(void **state) {
    (void)state;
    float want[3] = {1, 2, 3}, got[3] = {1, 2.0001f, 3};
    assert_close_floats(got, want, 3, "child row", 1e-3, 0);
    assert_float_equal(1.0f, 1.0005f, 1e-3);
}

/* Runs fn as the one test of a cmocka group in a child process, its output
 * in out; returns the child's exit status (cmocka: the number failed). */
static int run_child(CMUnitTestFunction fn, char *out, size_t cap) {
    FILE *log = tmpfile();
    assert_non_null(log);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fileno(log), 1);
        dup2(fileno(log), 2);
        const struct CMUnitTest one[] = {{"child", fn, NULL, NULL, NULL}};
        int failed = cmocka_run_group_tests(one, NULL, NULL);
        fflush(NULL);
        _exit(failed);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    rewind(log);
    out[fread(out, 1, cap - 1, log)] = 0;
    fclose(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void macros_fail_the_test(void **state) {
    (void)state;
    static const struct {
        CMUnitTestFunction fn;
        const char *says;
    } cases[] = {
        {child_assert_close_nan, "child: [1] got nan, want 1: not finite"},
        {child_floats_one_nan, "child row: [2] got nan, want 3: not finite"},
        {child_assert_close_far, "child: [0] got 2, want 1: |diff| 1 > tolerance 0.5"},
        {child_float_equal_nan, "nan != 1"},
        {child_float_equal_inf, "inf != 1"},
    };
    char out[8192];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(run_child(cases[i].fn, out, sizeof out), 1);
        if (!strstr(out, cases[i].says))
            fail_msg("no \"%s\" in:\n%s", cases[i].says, out);
    }
    assert_int_equal(run_child(child_within_tolerance, out, sizeof out), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(max_nan_keeps_nan),         cmocka_unit_test(nan_fails),
        cmocka_unit_test(one_nan_element_fails),     cmocka_unit_test(infinity_fails),
        cmocka_unit_test(tolerance_is_abs_plus_rel), cmocka_unit_test(floats_and_scalars),
        cmocka_unit_test(macros_fail_the_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
