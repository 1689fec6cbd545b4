/* test_eval_windows.c: the sliding-window schedule of SPEC section 3 on
 * hand-worked cases, and a brute-force check of every small schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "titan.h"

typedef struct {
    int64_t start;
    int32_t len, first;
} expect_win;

static void check_schedule(int64_t n, int32_t ctx, int32_t stride, const expect_win *want,
                           int64_t count) {
    int64_t got;
    assert_int_equal(titan_eval_window_count(n, ctx, stride, &got), TITAN_OK);
    assert_int_equal(got, count);
    for (int64_t k = 0; k < count; k++) {
        titan_eval_window w;
        assert_int_equal(titan_eval_window_get(n, ctx, stride, k, &w), TITAN_OK);
        assert_int_equal(w.start, want[k].start);
        assert_int_equal(w.len, want[k].len);
        assert_int_equal(w.first, want[k].first);
    }
}

static void hand_worked(void **state) {
    (void)state;
    /* N < L: one short window scoring all 5 targets. */
    check_schedule(5, 8, 4, (expect_win[]){{0, 5, 0}}, 1);
    /* N == L: one full window. */
    check_schedule(8, 8, 4, (expect_win[]){{0, 8, 0}}, 1);
    /* N = L + 1: the second window feeds seq[4..8] and scores only seq[9]. */
    check_schedule(9, 8, 4, (expect_win[]){{0, 8, 0}, {4, 5, 4}}, 2);
    /* S == L: non-overlapping chunks of 8, 8, 4 targets. */
    check_schedule(20, 8, 8, (expect_win[]){{0, 8, 0}, {8, 8, 0}, {16, 4, 0}}, 3);
    /* N = 10, L = 4, S = 3: targets 1-4, 5-7, 8-10. */
    check_schedule(10, 4, 3, (expect_win[]){{0, 4, 0}, {3, 4, 1}, {6, 4, 1}}, 3);
    /* S == 1: seven windows, each later one scoring its last output. */
    check_schedule(
        10, 4, 1,
        (expect_win[]){
            {0, 4, 0}, {1, 4, 3}, {2, 4, 3}, {3, 4, 3}, {4, 4, 3}, {5, 4, 3}, {6, 4, 3}},
        7);
    /* L = 1 = S: every token predicted from itself alone. */
    check_schedule(3, 1, 1, (expect_win[]){{0, 1, 0}, {1, 1, 0}, {2, 1, 0}}, 3);
    /* No targets, no windows. */
    check_schedule(0, 4, 2, NULL, 0);
}

static void bad_arguments(void **state) {
    (void)state;
    int64_t c;
    titan_eval_window w;
    assert_int_equal(titan_eval_window_count(10, 4, 0, &c), TITAN_E_USAGE);
    assert_int_equal(titan_eval_window_count(10, 4, 5, &c), TITAN_E_USAGE);
    assert_int_equal(titan_eval_window_count(10, 0, 0, &c), TITAN_E_USAGE);
    assert_int_equal(titan_eval_window_count(-1, 4, 2, &c), TITAN_E_USAGE);
    assert_int_equal(titan_eval_window_get(10, 4, 2, 4, &w), TITAN_E_USAGE);
    assert_int_equal(titan_eval_window_get(10, 4, 2, -1, &w), TITAN_E_USAGE);
    assert_int_equal(titan_eval_window_get(10, 4, 2, 3, &w), TITAN_OK);
}

/* Every target scored exactly once, from >= L - S + 1 tokens after the first
 * window; starts at k*S; only the last window reaches seq[N]. */
static void brute_force(void **state) {
    (void)state;
    int hits[64];
    for (int32_t L = 1; L <= 12; L++)
        for (int32_t S = 1; S <= L; S++)
            for (int64_t n = 1; n <= 48; n++) {
                int64_t count;
                assert_int_equal(titan_eval_window_count(n, L, S, &count), TITAN_OK);
                for (int i = 0; i <= n; i++) hits[i] = 0;
                for (int64_t k = 0; k < count; k++) {
                    titan_eval_window w;
                    assert_int_equal(titan_eval_window_get(n, L, S, k, &w), TITAN_OK);
                    assert_int_equal(w.start, k * S);
                    assert_true(w.len >= 1 && w.len <= L);
                    assert_true(w.start + w.len <= n);
                    assert_true(w.first >= 0 && w.first < w.len);
                    assert_int_equal(w.start + w.len == n, k == count - 1);
                    for (int32_t j = w.first; j < w.len; j++) {
                        hits[w.start + 1 + j]++;
                        if (k > 0) assert_true(j + 1 >= L - S + 1);
                    }
                }
                assert_int_equal(hits[0], 0);
                for (int i = 1; i <= n; i++) assert_int_equal(hits[i], 1);
            }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_worked),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
