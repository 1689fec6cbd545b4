/* test_xenith_model.c: the Xenith runtime's arena and stream (SPEC section
 * 9): titan_xenith_plan is the exact size titan_xenith_create carves; a
 * stream restarts exactly; with every window bounded the logits do not
 * depend on ctx however long the stream runs; a layer with an unbounded
 * window refuses a position past its ctx; chunked forward calls (windows
 * smaller and larger than the chunk, chunks not dividing the segment) give
 * the logits of one token a step, and eval's NLL is the same in both modes.
 * (Logits against the PyTorch reference: tests/e2e/xenith_logits.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "core/xenith.h"
#include "model_fixture.h"

static fixture fx; /* large: not on the stack */

/* Windows w0, w1 (layer 0, 1), segments of S; E, S and r on. */
static titan_config small_windows(int w0, int w1, int S) {
    titan_config c;
    titan_config_defaults(&c);
    c.family = TITAN_FAMILY_XENITH;
    c.vocab_size = 50, c.d_model = 16, c.n_heads = 4, c.n_kv_heads = 2, c.head_dim = 4;
    c.mlp_hidden = 24, c.max_seq_len = 16, c.n_layers = 2, c.bos_id = 0;
    c.attn_windows[0] = w0, c.attn_windows[1] = w1, c.attn_windows_len = 2;
    c.n_global_tokens = 1, c.moe_experts = 4, c.moe_top_k = 2, c.moe_hidden = 8;
    c.moe_dense_layers = 1, c.lora_rank = 2, c.lora_alpha = 2, c.stm_tokens = S;
    c.mem_slots = 2, c.ltm_size = 3, c.sum_layers = 1, c.sum_heads = 2, c.sum_hidden = 24;
    for (int k = 0; k < TITAN_LORA_LM_HEAD; k++) c.lora_targets[k] = k;
    c.lora_targets_len = TITAN_LORA_LM_HEAD;
    c.mem_read_layers[0] = 0, c.mem_read_layers[1] = 1, c.mem_read_layers_len = 2;
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    return c;
}

/* E, S and r on; layer 1's window unbounded unless `bounded`. */
static titan_config small(bool bounded) { return small_windows(3, bounded ? 2 : 0, 4); }

typedef struct {
    titan_backend be;
    titan_arena a;
    void *buf;
    titan_xenith *x;
} runner;

/* The model in an arena of exactly its plan. */
static void open_model(runner *r, const titan_config *c, int64_t ctx) {
    size_t bytes;
    assert_int_equal(titan_xenith_plan(c, ctx, &bytes), TITAN_OK);
    r->buf =
        aligned_alloc(TITAN_ALIGN, (bytes + TITAN_ALIGN - 1) / TITAN_ALIGN * TITAN_ALIGN);
    titan_arena_init(&r->a, r->buf, bytes);
    titan_backend_ref(&r->be);
    assert_int_equal(titan_xenith_create(&r->a, c, fx.t, fx.n, ctx, &r->be, &r->x),
                     TITAN_OK);
    assert_int_equal(r->a.high, bytes); /* every planned byte used, none more */
}

static void stream(titan_xenith *x, int T, float *logits, int V) {
    for (int t = 0; t < T; t++)
        assert_int_equal(titan_xenith_step(x, (t * 7 + 3) % V, logits + (size_t)t * V),
                         TITAN_OK);
    for (size_t i = 0; i < (size_t)T * V; i++) assert_true(isfinite(logits[i]));
}

static void plan_is_exact_and_a_stream_restarts(void **state) {
    (void)state;
    titan_config c = small(false);
    fixture_make(&fx, &c, 3);
    runner r;
    open_model(&r, &c, 20);
    float *a = malloc(sizeof *a * 20 * 50), *b = malloc(sizeof *b * 20 * 50);
    stream(r.x, 20, a, 50);
    titan_xenith_reset(r.x);
    stream(r.x, 20, b, 50);
    assert_memory_equal(a, b, sizeof *a * 20 * 50);
    /* layer 1 holds every position up to ctx, and no more */
    assert_int_equal(titan_xenith_step(r.x, 1, a), TITAN_E_USAGE);
    assert_int_equal(titan_xenith_step(r.x, 50, a), TITAN_E_USAGE);
    free(a), free(b), free(r.buf);
    fixture_free(&fx);
}

static void bounded_windows_make_ctx_irrelevant(void **state) {
    (void)state;
    titan_config c = small(true);
    fixture_make(&fx, &c, 4);
    runner r, s;
    open_model(&r, &c, 4); /* Ng + w = 4 slots at most */
    open_model(&s, &c, 1000);
    enum { T = 90 }; /* 22 segments, the LTM full and evicting */
    float *a = malloc(sizeof *a * T * 50), *b = malloc(sizeof *b * T * 50);
    stream(r.x, T, a, 50);
    stream(s.x, T, b, 50);
    assert_memory_equal(a, b, sizeof *a * T * 50);
    free(a), free(b), free(r.buf), free(s.buf);
    fixture_free(&fx);
}

enum { V = 50, LONG = 90 }; /* 90 tokens: many segments, the LTM full and evicting */

static int32_t token(int t) { return (t * 7 + 3) % V; }

/* logits[LONG][V] of r's stream fed in forward calls of `chunk` tokens. */
static void chunked(runner *r, int chunk, float *logits) {
    int32_t ids[LONG];
    for (int t = 0; t < LONG; t++) ids[t] = token(t);
    titan_xenith_reset(r->x);
    titan_xenith_set_chunk(r->x, chunk);
    assert_int_equal(titan_xenith_chunk(r->x), chunk);
    for (int t = 0; t < LONG; t += chunk) {
        int n = LONG - t < chunk ? LONG - t : chunk;
        assert_int_equal(titan_xenith_forward(r->x, ids + t, n, logits + (size_t)t * V),
                         TITAN_OK);
    }
}

/* Chunks of 2, 3, 5, 7 and the planned 64 against one token a step, for
 * windows (w0, w1) and segments of S; prefill's last logits too. */
static void chunks_match_steps(int w0, int w1, int S) {
    titan_config c = small_windows(w0, w1, S);
    fixture_make(&fx, &c, 5);
    runner r;
    open_model(&r, &c, LONG);
    float *want = malloc(sizeof *want * LONG * V), *got = malloc(sizeof *got * LONG * V);
    stream(r.x, LONG, want, V);
    static const int sizes[] = {2, 3, 5, 7, TITAN_XENITH_CHUNK};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        chunked(&r, sizes[i], got);
        assert_close_floats(got, want, (size_t)LONG * V, "chunked logits", 0, 1e-5);
    }
    int32_t ids[LONG];
    for (int t = 0; t < LONG; t++) ids[t] = token(t);
    titan_xenith_reset(r.x);
    assert_int_equal(titan_xenith_prefill(r.x, ids, LONG, got), TITAN_OK);
    assert_close_floats(got, want + (size_t)(LONG - 1) * V, V, "prefill", 0, 1e-5);
    /* a bad token anywhere refuses the whole call and leaves the stream as it was */
    ids[3] = V;
    titan_xenith_reset(r.x);
    assert_int_equal(titan_xenith_forward(r.x, ids, 5, got), TITAN_E_USAGE);
    assert_int_equal(titan_xenith_forward(r.x, ids, 3, got), TITAN_OK);
    assert_close_floats(got, want, (size_t)3 * V, "after a refused call", 0, 1e-5);
    assert_int_equal(titan_xenith_forward(r.x, ids, TITAN_XENITH_CHUNK + 1, got),
                     TITAN_E_USAGE);
    free(want), free(got), free(r.buf);
    fixture_free(&fx);
}

static void chunks_smaller_than_windows(void **state) {
    (void)state;
    chunks_match_steps(9, 0, 7); /* windows > chunks 2..7; S = 7 */
}

static void chunks_larger_than_windows(void **state) {
    (void)state;
    chunks_match_steps(3, 2, 4); /* S = 4: chunks of 3, 5, 7 cross segment ends */
}

/* Two windows (the second scored from output 7 on) with hints: the NLLs of
 * chunked eval equal one token a step's within 1e-6 relative. */
static void eval_chunked_equals_steps(void **state) {
    (void)state;
    titan_config c = small(true);
    fixture_make(&fx, &c, 6);
    size_t bytes;
    assert_int_equal(titan_eval_xenith_plan(&c, 40, 1, &bytes), TITAN_OK);
    void *buf =
        aligned_alloc(TITAN_ALIGN, (bytes + TITAN_ALIGN - 1) / TITAN_ALIGN * TITAN_ALIGN);
    titan_arena a;
    titan_arena_init(&a, buf, bytes);
    titan_backend be;
    titan_backend_ref(&be);
    titan_backend *bes[1] = {&be};
    titan_eval_xenith *ex;
    assert_int_equal(titan_eval_xenith_create(&a, &c, fx.t, fx.n, 40, 1, bes, &ex),
                     TITAN_OK);
    int32_t seq[80], hint[80];
    for (int t = 0; t < 80; t++) seq[t] = token(t), hint[t] = t % 3 ? token(t + 5) : -1;
    titan_eval_window win[2] = {{0, 40, 0}, {30, 40, 7}};
    double nll[2][2 * 40], hnll[2][2 * 40];
    for (int mode = 0; mode < 2; mode++) {
        titan_eval_xenith_set_chunk(ex, mode ? 1 : TITAN_XENITH_CHUNK);
        for (int i = 0; i < 2 * 40; i++) nll[mode][i] = hnll[mode][i] = 0;
        titan_eval_batch b = {2, 40, seq, win, nll[mode], hint, hnll[mode]};
        assert_int_equal(titan_eval_xenith_score(ex, 0, &b), TITAN_OK);
    }
    close_acc n = {0}, h = {0};
    for (int i = 0; i < 2 * 40; i++) {
        close_add(&n, (size_t)i, nll[0][i], nll[1][i]);
        close_add(&h, (size_t)i, hnll[0][i], hnll[1][i]);
    }
    assert_true(n.mag > 0 && h.mag > 0);
    assert_close(&n, "eval nll", 0, 1e-6);
    assert_close(&h, "eval hint nll", 0, 1e-6);
    free(buf);
    fixture_free(&fx);
}

int main(void) {
    (void)fixture_small_config; /* the fixture's section-1 config: not used here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_is_exact_and_a_stream_restarts),
        cmocka_unit_test(bounded_windows_make_ctx_irrelevant),
        cmocka_unit_test(chunks_smaller_than_windows),
        cmocka_unit_test(chunks_larger_than_windows),
        cmocka_unit_test(eval_chunked_equals_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
