/* test_adapt.c: score-first adaptive evaluation (core/adapt_*.c). Witten-Bell
 * and the match model on hand-worked streams; every part and the mixture sum
 * to 1 over the vocabulary, also once the count table is full; a target's
 * score does not depend on anything after it; bad inputs are refused. */
#include "tests/unit/assert_close.h"

#include "core/adapt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint8_t buf[1 << 24];

static titan_arena fresh(void) {
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    return a;
}

static void witten_bell_by_hand(void **state) {
    (void)state;
    /* History 0 1 0 (i = 2), targets 1 and 0 learned, V = 4, order 1:
     * order 0: n 2, u 2, c(1) 1: (1 + 2/4) / 4 = 0.375;
     * order 1 after "0": n 1, u 1, c(1) 1: (1 + 0.375) / 2 = 0.6875. */
    const int32_t seq[] = {0, 1, 0, 1};
    titan_arena a = fresh();
    adapt_ngram g;
    assert_int_equal(adapt_ngram_init(&a, 4, 1, 10, &g), TITAN_OK);
    adapt_ngram_learn(&g, seq, 0);
    adapt_ngram_learn(&g, seq, 1);
    double p[2];
    assert_int_equal(adapt_ngram_probs(&g, seq, 2, 1, p), 1);
    assert_float_equal(p[0], 0.375, 1e-15);
    assert_float_equal(p[1], 0.6875, 1e-15);
    assert_int_equal(adapt_ngram_probs(&g, seq, 2, 3, p),
                     1); /* unseen: (0 + 2/4)/4, /2 */
    assert_float_equal(p[0], 0.125, 1e-15);
    assert_float_equal(p[1], 0.0625, 1e-15);
}

static void match_by_hand(void **state) {
    (void)state;
    /* After the second "0 1 2 3 4" the match points at the 9 that followed
     * the first; its first try at this length: q = 0.5 / 1. */
    const int32_t seq[] = {0, 1, 2, 3, 4, 9, 0, 1, 2, 3, 4, 9};
    titan_arena a = fresh();
    adapt_match m;
    assert_int_equal(adapt_match_init(&a, 10, 11, &m), TITAN_OK);
    for (int64_t i = 0; i < 10; i++) {
        assert_float_equal(adapt_match_prob(&m, seq, seq[i + 1]), 0.1, 1e-15);
        adapt_match_learn(&m, seq, i);
    }
    assert_int_equal(adapt_match_len(&m), 5);
    assert_float_equal(adapt_match_prob(&m, seq, 9), 0.5, 1e-15);
    assert_float_equal(adapt_match_prob(&m, seq, 0), 0.5 / 9, 1e-15);
    adapt_match_learn(&m, seq, 10); /* a hit: length 6, q = 0.5 there */
    assert_int_equal(adapt_match_len(&m), 6);
}

/* A random stream over V tokens with repeats (so matches happen). */
static void stream(int32_t *seq, int n, int V, unsigned seed) {
    srand(seed);
    for (int i = 0; i < n; i++)
        seq[i] = i >= 12 && rand() % 3 == 0 ? seq[i - 12] : rand() % V;
}

/* Sum over y of each part's p(y) at every position of a stream, with the
 * table sized for `declared` targets (small: it fills). */
static void parts_sum_to_one(int V, int order, int n, int64_t declared) {
    int32_t seq[400];
    stream(seq, n + 1, V, (unsigned)(V * 31 + order));
    titan_arena a = fresh();
    adapt_ngram g;
    adapt_match m;
    assert_int_equal(adapt_ngram_init(&a, V, order, declared, &g), TITAN_OK);
    assert_int_equal(adapt_match_init(&a, V, declared, &m), TITAN_OK);
    for (int64_t i = 0; i < n; i++) {
        double sum[9] = {0}, p[9], match = 0;
        for (int32_t y = 0; y < V; y++) {
            adapt_ngram_probs(&g, seq, i, y, p);
            for (int k = 0; k <= order; k++) sum[k] += p[k];
            match += adapt_match_prob(&m, seq, y);
        }
        for (int k = 0; k <= order; k++) assert_float_equal(sum[k], 1, 1e-12);
        assert_float_equal(match, 1, 1e-12);
        adapt_ngram_learn(&g, seq, i);
        adapt_match_learn(&m, seq, i);
    }
}

static void parts_normalized(void **state) {
    (void)state;
    parts_sum_to_one(5, 6, 300, 300);
    parts_sum_to_one(300, 3, 300, 300);
    parts_sum_to_one(7, 8, 399, 4); /* 1,024 slots: full after ~100 targets */
}

/* -ln p_mix of target seq[i + 1] after learning seq[1..i], the model giving
 * p(y) = softmax(logit[y]) with logit[y] = cos(i + 3y). */
static double mixed_nll(const int32_t *seq, int64_t i, int V) {
    titan_arena a = fresh();
    titan_adapt_options o = {.vocab = V, .order = 3, .n_targets = 64};
    titan_adapt *ad;
    assert_int_equal(titan_adapt_create(&a, &o, &ad), TITAN_OK);
    double nll = 0;
    for (int64_t j = 0; j <= i; j++) {
        double z = 0;
        for (int y = 0; y < V; y++) z += exp(cos((double)j + 3 * y));
        double model = log(z) - cos((double)j + 3 * seq[j + 1]);
        assert_int_equal(titan_adapt_step(ad, seq, j, model, &nll), TITAN_OK);
    }
    return nll;
}

static void mixture_normalized(void **state) {
    (void)state;
    enum { V = 6, N = 40 };
    int32_t seq[N + 1];
    stream(seq, N + 1, V, 5);
    for (int64_t i = 0; i < N; i += 13) {
        int32_t alt[N + 1];
        memcpy(alt, seq, sizeof alt);
        double sum = 0;
        for (int32_t y = 0; y < V; y++) {
            alt[i + 1] = y;
            sum += exp(-mixed_nll(alt, i, V));
        }
        assert_float_equal(sum, 1, 1e-12);
    }
}

static void score_first(void **state) {
    (void)state;
    enum { V = 6, N = 40 };
    int32_t seq[N + 1], alt[N + 1];
    stream(seq, N + 1, V, 9);
    memcpy(alt, seq, sizeof alt);
    for (int k = 22; k <= N; k++) alt[k] = (alt[k] + 1) % V; /* a different future */
    for (int64_t i = 0; i < 21; i++)
        assert_true(mixed_nll(seq, i, V) == mixed_nll(alt, i, V));
    assert_true(mixed_nll(seq, 21, V) != mixed_nll(alt, 21, V));
}

static void refusals(void **state) {
    (void)state;
    titan_adapt_options bad[] = {{.vocab = 1, .order = 2},
                                 {.vocab = 10, .order = -1},
                                 {.vocab = 10, .order = 9},
                                 {.vocab = 10, .n_targets = -1}};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        assert_true(titan_adapt_plan(&bad[k]) == SIZE_MAX);
    titan_arena a = fresh();
    titan_adapt_options o = {.vocab = 4, .order = 2, .n_targets = 8};
    titan_adapt *ad;
    assert_int_equal(titan_adapt_create(&a, &o, &ad), TITAN_OK);
    assert_true(a.used <= titan_adapt_plan(&o));
    const int32_t seq[] = {0, 1, 7, 2};
    double nll;
    assert_int_equal(titan_adapt_step(ad, seq, 0, NAN, &nll), TITAN_E_DATA);
    assert_int_equal(titan_adapt_step(ad, seq, 0, -1, &nll), TITAN_E_DATA);
    assert_int_equal(titan_adapt_step(ad, seq, 1, 1, &nll), TITAN_E_DATA); /* token 7 */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(witten_bell_by_hand), cmocka_unit_test(match_by_hand),
        cmocka_unit_test(parts_normalized),    cmocka_unit_test(mixture_normalized),
        cmocka_unit_test(score_first),         cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
