/* test_eval.c: the evaluator against stub scorers of known probabilities:
 * exact byte counts, window placement, thread/batch independence to the bit,
 * the uniform-distribution identity, and failures that must surface. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "platform/threads.h"
#include "titan.h"

enum { V = 7, N = 300 };
static uint8_t arena_buf[1 << 20];
static int32_t seq[N + 1];
static const uint32_t lengths[V] = {1, 2, 3, 1, 4, 0, 2};

static void fill_seq(void) {
    uint32_t x = 12345;
    for (int i = 0; i <= N; i++) {
        x = x * 1103515245u + 12345u;
        seq[i] = (int32_t)((x >> 16) % V);
    }
}

/* NLL that depends on the position in the window and both tokens, so the
 * total checks where every target was scored. */
static double position_nll(int32_t j, int32_t prev, int32_t y) {
    return 1.0 / (1.0 + j) + 0.01 * y + 0.001 * prev;
}

static titan_status position_scorer(void *user, int worker, const titan_eval_batch *b) {
    (void)user;
    (void)worker;
    for (int i = 0; i < b->n; i++) {
        const int32_t *s = b->seq + b->win[i].start;
        for (int32_t j = 0; j < b->win[i].len; j++)
            b->nll[(size_t)i * b->ctx + j] = position_nll(j, s[j], s[j + 1]);
    }
    return TITAN_OK;
}

/* Independent placement: target t is output t-1 of the first window when
 * t <= L, else output t-1-kS of window k = ceil((t-L)/S). */
static double reference_nll(int32_t L, int32_t S) {
    double sum = 0;
    for (int t = 1; t <= N; t++) {
        int j = t - 1;
        if (t > L) j = t - 1 - (int)((t - L + S - 1) / S) * S;
        sum += position_nll(j, seq[t - 1], seq[t]);
    }
    return sum;
}

static titan_eval_result run(int32_t L, int32_t S, int32_t batch, int threads,
                             titan_eval_scorer score, titan_status want) {
    titan_arena a;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    titan_byte_table bt = {V, lengths, NULL};
    titan_eval_options o = {.ctx = L, .stride = S, .batch = batch, .threads = threads};
    titan_eval_result r;
    assert_int_equal(titan_eval_run(&a, seq, N, &bt, &o, score, NULL, &r), want);
    assert_int_equal(a.used, 0); /* everything handed back */
    return r;
}

static void places_every_target(void **state) {
    (void)state;
    uint64_t bytes = 0;
    for (int t = 1; t <= N; t++) bytes += lengths[seq[t]];
    const int32_t cases[][2] = {{16, 16}, {16, 8},   {16, 1},  {1, 1},
                                {32, 5},  {300, 64}, {512, 64}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int32_t L = cases[c][0], S = cases[c][1];
        titan_eval_result r = run(L, S, 3, 2, position_scorer, TITAN_OK);
        double want = reference_nll(L, S);
        assert_true(fabs(r.nll - want) <= 1e-12 * want);
        assert_int_equal(r.tokens, N);
        assert_int_equal(r.bytes, bytes);
        assert_true(fabs(r.val_loss - want / N) <= 1e-12);
        assert_true(fabs(r.val_bpb - want / (log(2) * (double)bytes)) <= 1e-12);
    }
}

static void threads_and_batch_do_not_change_the_sum(void **state) {
    (void)state;
    titan_eval_result base = run(24, 5, 1, 1, position_scorer, TITAN_OK);
    const int shapes[][2] = {{1, 2}, {3, 3}, {7, 4}, {64, 2}, {2, 8}};
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        titan_eval_result r =
            run(24, 5, shapes[c][0], shapes[c][1], position_scorer, TITAN_OK);
        assert_memory_equal(&r.nll, &base.nll, sizeof(double));
        assert_int_equal(r.windows, base.windows);
    }
}

/* Windows scored range by range (as test-time training scores chunks), on
 * a thread pool: every target's NLL lands where a whole run puts it, and the
 * ranges' targets, bytes and sums add up to the whole run's. */
static void window_ranges_add_up(void **state) {
    (void)state;
    static double whole[N], parts[N];
    static uint8_t pool_buf[1 << 16];
    titan_arena a, pa;
    titan_arena_init(&a, arena_buf, sizeof arena_buf);
    titan_arena_init(&pa, pool_buf, sizeof pool_buf);
    titan_byte_table bt = {V, lengths, NULL};
    titan_eval_options o = {.ctx = 24, .stride = 5, .batch = 2, .threads = 3};
    titan_eval_result all, r;
    o.target_nll = whole;
    assert_int_equal(titan_eval_run(&a, seq, N, &bt, &o, position_scorer, NULL, &all),
                     TITAN_OK);
    assert_int_equal(titan_thread_pool_create(&pa, 3, &o.pool), TITAN_OK);
    memset(parts, 0xff, sizeof parts); /* NaN: a target left out fails below */
    o.target_nll = parts;
    const int64_t cuts[] = {0, 1, 7, 20, all.windows};
    int64_t tokens = 0;
    uint64_t bytes = 0;
    double nll = 0;
    for (int k = 0; k + 1 < 5; k++) {
        o.window_begin = cuts[k];
        o.window_end = cuts[k + 1];
        assert_int_equal(titan_eval_run(&a, seq, N, &bt, &o, position_scorer, NULL, &r),
                         TITAN_OK);
        assert_int_equal(r.windows, cuts[k + 1] - cuts[k]);
        tokens += r.tokens, bytes += r.bytes, nll += r.nll;
    }
    titan_thread_pool_destroy(o.pool);
    assert_int_equal(tokens, N);
    assert_int_equal(bytes, all.bytes);
    assert_true(fabs(nll - all.nll) <= 1e-12 * all.nll);
    assert_memory_equal(parts, whole, sizeof whole);
    o.pool = NULL;
    o.window_begin = 3, o.window_end = 3;
    assert_int_equal(titan_eval_run(&a, seq, N, &bt, &o, position_scorer, NULL, &r),
                     TITAN_E_USAGE);
    o.window_begin = 0, o.window_end = all.windows + 1;
    assert_int_equal(titan_eval_run(&a, seq, N, &bt, &o, position_scorer, NULL, &r),
                     TITAN_E_USAGE);
}

/* All-zero logits: every target costs ln V, so val_bpb = log2(V) N / bytes. */
static titan_status uniform_scorer(void *user, int worker, const titan_eval_batch *b) {
    (void)user;
    (void)worker;
    static const float zeros[V];
    for (int i = 0; i < b->n; i++) {
        const int32_t *s = b->seq + b->win[i].start;
        for (int32_t j = b->win[i].first; j < b->win[i].len; j++)
            b->nll[(size_t)i * b->ctx + j] = titan_eval_nll(zeros, V, s[j + 1]);
    }
    return TITAN_OK;
}

static void uniform_gives_log2_v(void **state) {
    (void)state;
    titan_eval_result r = run(32, 8, 4, 2, uniform_scorer, TITAN_OK);
    double want = log2(V) * N / (double)r.bytes;
    assert_true(fabs(r.val_bpb - want) <= 1e-12 * want);
    assert_true(fabs(r.val_loss - log(V)) <= 1e-12);
}

static void nll_from_logits(void **state) {
    (void)state;
    /* p = (1, 2, 3) / 6 */
    const float l[3] = {0.0f, (float)log(2.0), (float)log(3.0)};
    assert_true(fabs(titan_eval_nll(l, 3, 2) - log(2.0)) < 1e-7);
    assert_true(fabs(titan_eval_nll(l, 3, 0) - log(6.0)) < 1e-7);
    /* No overflow far from zero: p = (1, e^-1). */
    const float big[2] = {1000.0f, 999.0f};
    assert_true(fabs(titan_eval_nll(big, 2, 1) - (1 + log1p(exp(-1)))) < 1e-9);
    assert_true(isnan(titan_eval_nll(l, 3, 3)));
    assert_true(isnan(titan_eval_nll(l, 3, -1)));
}

/* Shard-mode byte rule: +1 for a space piece unless after a boundary. */
static void space_and_boundary_bytes(void **state) {
    (void)state;
    /* 0 = <s> (boundary), 1 = "▁the" (3 + space), 2 = "cat" (3), 3 = "▁" */
    const uint32_t base[4] = {0, 3, 3, 0};
    const uint8_t flags[4] = {TITAN_BYTES_BOUNDARY, TITAN_BYTES_SPACE, 0,
                              TITAN_BYTES_SPACE};
    /* <s> ▁the cat ▁the <s> ▁ ▁the : targets 3, 3, 4, 0, 0, 4 */
    int32_t s[7] = {0, 1, 2, 1, 0, 3, 1};
    titan_byte_table bt = {4, base, flags};
    titan_eval_options o = {.ctx = 4, .stride = 2, .batch = 2, .threads = 1};
    titan_arena a;
    titan_arena_init(&a, NULL, 0); /* measuring: counts bytes only */
    titan_eval_result r;
    assert_int_equal(titan_eval_run(&a, s, 6, &bt, &o, uniform_scorer, NULL, &r),
                     TITAN_OK);
    assert_int_equal(r.bytes, 14);
    assert_true(a.high <= titan_eval_plan(6, &o));
}

static titan_status failing_scorer(void *user, int worker, const titan_eval_batch *b) {
    (void)user;
    (void)worker;
    if (b->win[0].start > 40)
        return titan_eval_run(NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL);
    return position_scorer(NULL, 0, b);
}

static titan_status nan_scorer(void *user, int worker, const titan_eval_batch *b) {
    titan_status st = position_scorer(user, worker, b);
    if (b->win[0].start > 50) b->nll[b->win[0].len - 1] = NAN;
    return st;
}

static void failures_surface(void **state) {
    (void)state;
    run(16, 4, 2, 3, failing_scorer, TITAN_E_USAGE);
    assert_non_null(strstr(titan_last_error(), "eval: bad arguments"));
    run(16, 4, 2, 3, nan_scorer, TITAN_E_DATA);
    assert_non_null(strstr(titan_last_error(), "NLL"));
    seq[77] = V;
    run(16, 4, 2, 1, position_scorer, TITAN_E_DATA);
    seq[77] = -1;
    run(16, 4, 2, 1, position_scorer, TITAN_E_DATA);
    fill_seq();
    run(16, 17, 2, 1, position_scorer, TITAN_E_USAGE);
    run(16, 4, 0, 1, position_scorer, TITAN_E_USAGE);
    run(16, 4, 1, 0, position_scorer, TITAN_E_USAGE);
    titan_arena a;
    titan_arena_init(&a, arena_buf, 100);
    titan_byte_table bt = {V, lengths, NULL};
    titan_eval_options o = {.ctx = 16, .stride = 4, .batch = 2, .threads = 1};
    titan_eval_result r;
    assert_int_equal(titan_eval_run(&a, seq, N, &bt, &o, position_scorer, NULL, &r),
                     TITAN_E_NOMEM);
    titan_arena_init(&a, arena_buf, titan_eval_plan(N, &o));
    assert_int_equal(titan_eval_run(&a, seq, N, &bt, &o, position_scorer, NULL, &r),
                     TITAN_OK);
}

static int setup(void **state) {
    (void)state;
    fill_seq();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(places_every_target, setup),
        cmocka_unit_test_setup(threads_and_batch_do_not_change_the_sum, setup),
        cmocka_unit_test_setup(uniform_gives_log2_v, setup),
        cmocka_unit_test_setup(window_ranges_add_up, setup),
        cmocka_unit_test(nll_from_logits),
        cmocka_unit_test(space_and_boundary_bytes),
        cmocka_unit_test_setup(failures_surface, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
