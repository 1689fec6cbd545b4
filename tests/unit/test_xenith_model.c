/* test_xenith_model.c: the Xenith runtime's arena and stream (SPEC section
 * 9): titan_xenith_plan is the exact size titan_xenith_create carves; a
 * stream restarts exactly; with every window bounded the logits do not
 * depend on ctx however long the stream runs; a layer with an unbounded
 * window refuses a position past its ctx. (Logits against the PyTorch
 * reference: tests/e2e/xenith_logits.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/xenith.h"
#include "model_fixture.h"

static fixture fx; /* large: not on the stack */

/* E, S and r on; layer 1's window unbounded unless `bounded`. */
static titan_config small(bool bounded) {
    titan_config c;
    titan_config_defaults(&c);
    c.family = TITAN_FAMILY_XENITH;
    c.vocab_size = 50, c.d_model = 16, c.n_heads = 4, c.n_kv_heads = 2, c.head_dim = 4;
    c.mlp_hidden = 24, c.max_seq_len = 16, c.n_layers = 2, c.bos_id = 0;
    c.attn_windows[0] = 3, c.attn_windows[1] = bounded ? 2 : 0, c.attn_windows_len = 2;
    c.n_global_tokens = 1, c.moe_experts = 4, c.moe_top_k = 2, c.moe_hidden = 8;
    c.moe_dense_layers = 1, c.lora_rank = 2, c.lora_alpha = 2, c.stm_tokens = 4;
    c.mem_slots = 2, c.ltm_size = 3, c.sum_layers = 1, c.sum_heads = 2, c.sum_hidden = 24;
    for (int k = 0; k < TITAN_LORA_LM_HEAD; k++) c.lora_targets[k] = k;
    c.lora_targets_len = TITAN_LORA_LM_HEAD;
    c.mem_read_layers[0] = 0, c.mem_read_layers[1] = 1, c.mem_read_layers_len = 2;
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    return c;
}

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

int main(void) {
    (void)fixture_small_config; /* the fixture's section-1 config: not used here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_is_exact_and_a_stream_restarts),
        cmocka_unit_test(bounded_windows_make_ctx_irrelevant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
