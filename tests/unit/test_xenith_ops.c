/* test_xenith_ops.c: the Xenith runtime's building blocks (SPEC section 9):
 * top-k routing with ties to the lower index and both gate rules, and the
 * windowed cache, whose Ng + w slots hold exactly the keys a query reads at
 * every step of a long stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "assert_close.h"
#include "core/xenith.h"

static void route(const float *z, int E, int k, bool renorm, int32_t *idx, float *g) {
    titan_moe_route(z, E, k, renorm, idx, g);
}

static void ties_go_to_the_lower_index(void **state) {
    (void)state;
    int32_t idx[4];
    float g[4];
    const float z[] = {1, 3, 3, 2};
    route(z, 4, 2, true, idx, g);
    assert_true(idx[0] == 1 && idx[1] == 2);
    assert_true(g[0] == 0.5f && g[1] == 0.5f);
    route(z, 4, 3, true, idx, g);
    assert_true(idx[0] == 1 && idx[1] == 2 && idx[2] == 3);
    const float zero[] = {0, 0, 0, 0};
    route(zero, 4, 2, false, idx, g); /* softmax over all four */
    assert_true(idx[0] == 0 && idx[1] == 1 && g[0] == 0.25f && g[1] == 0.25f);
    const float nan_first[] = {NAN, -1, 5, 5};
    route(nan_first, 4, 3, true, idx, g);
    assert_true(idx[0] == 2 && idx[1] == 3 && idx[2] == 1);
}

/* A plain reference: k passes of "best not yet taken", gates in double. */
static void brute(const float *z, int E, int k, bool renorm, int32_t *idx, double *g) {
    bool taken[64] = {false};
    for (int i = 0; i < k; i++) {
        int best = -1;
        for (int e = 0; e < E; e++)
            if (!taken[e] && (best < 0 || z[e] > z[best])) best = e;
        taken[best] = true, idx[i] = best;
    }
    double sum = 0;
    for (int e = 0; e < E; e++)
        if (!renorm || taken[e]) sum += exp(z[e]);
    for (int i = 0; i < k; i++) g[i] = exp(z[idx[i]]) / sum;
}

static void routes_like_a_plain_reference(void **state) {
    (void)state;
    srand(7);
    for (int trial = 0; trial < 500; trial++) {
        int E = 1 + rand() % 40, k = 1 + rand() % E;
        float z[64];
        for (int e = 0; e < E; e++) z[e] = (float)(rand() % 9) / 4 - 1; /* many ties */
        for (int renorm = 0; renorm < 2; renorm++) {
            int32_t idx[64], want[64];
            float g[64];
            double wg[64];
            route(z, E, k, renorm, idx, g);
            brute(z, E, k, renorm, want, wg);
            close_acc acc = {0};
            for (int i = 0; i < k; i++) {
                assert_int_equal(idx[i], want[i]);
                close_add(&acc, (size_t)i, g[i], wg[i]);
            }
            assert_close(&acc, "gates", 0, 1e-6);
        }
    }
}

/* Write each position at its slot; the ring then holds exactly the keys
 * the query reads (SPEC "Decode cache"). */
static void the_ring_holds_exactly_what_a_query_reads(void **state) {
    (void)state;
    const int64_t cases[][2] = {{0, 1}, {3, 5}, {16, 64}, {2, 0}, {0, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int64_t Ng = cases[c][0], w = cases[c][1], T = 400;
        int64_t n = titan_window_slots(T, Ng, w);
        assert_int_equal(n, w ? (Ng + w < T ? Ng + w : T) : T);
        int64_t *slot = malloc(sizeof *slot * (size_t)n);
        for (int64_t i = 0; i < n; i++) slot[i] = -1;
        for (int64_t t = 0; t < T; t++) {
            int64_t s = titan_window_slot(t, Ng, w);
            assert_true(s >= 0 && s < n);
            slot[s] = t;
            int64_t held = 0, reads = 0;
            for (int64_t i = 0; i < n; i++) {
                if (slot[i] < 0) continue;
                held++;
                assert_true(titan_window_reads(t, slot[i], Ng, w));
            }
            for (int64_t j = 0; j <= t; j++) reads += titan_window_reads(t, j, Ng, w);
            assert_int_equal(held, reads); /* and nothing read is missing */
        }
        free(slot);
    }
    assert_int_equal(titan_window_slots(262144, 256, 512), 768);
    assert_int_equal(titan_window_slots(300, 256, 2048), 300);
    assert_false(titan_window_reads(10, 5, 2, 5)); /* t - j = 5: w keys incl. own */
    assert_true(titan_window_reads(10, 6, 2, 5));
    assert_true(titan_window_reads(10, 1, 2, 5)); /* a global token */
    assert_false(titan_window_reads(10, 11, 2, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ties_go_to_the_lower_index),
        cmocka_unit_test(routes_like_a_plain_reference),
        cmocka_unit_test(the_ring_holds_exactly_what_a_query_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
