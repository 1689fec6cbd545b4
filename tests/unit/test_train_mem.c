/* test_train_mem.c: the trainer's slabs from one arena (train_mem.h), as
 * titan eval --ttt carves them: a measuring arena counts exactly the bytes
 * the real carving takes (the same code path; an arena one byte short
 * fails), and a batch run on arena-made workers gives bit for bit the loss
 * and gradients of heap-made ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tools/train/train_batch.h"
#include "tools/train/train_state.h"

/* A golf-shaped config: gqa, schedule with skips, bigram and value
 * embeddings, smear gate, XSA, parallel residual. */
static titan_config golf(void) {
    titan_config c;
    titan_config_defaults(&c);
    c.vocab_size = 64, c.d_model = 16, c.n_heads = 4, c.n_kv_heads = 2;
    c.head_dim = 4, c.v_head_dim = 4, c.rope_dim = 2, c.mlp_hidden = 24;
    c.n_unique_blocks = 3, c.n_recurrences = 1, c.max_seq_len = 32;
    c.rope_base = 10000, c.yarn_factor = 1, c.yarn_orig_ctx = 32;
    c.yarn_beta_fast = 32, c.yarn_beta_slow = 1, c.mtp_heads = 1;
    c.mtp_weights[0] = 1, c.norm_eps = 1e-5, c.bos_id = 0;
    c.attention = TITAN_ATTENTION_GQA, c.qk_norm = c.q_gain = true;
    c.mlp_act = TITAN_MLP_LEAKY_RELU2, c.parallel_residual_from = 1;
    c.xsa_layers[0] = 2, c.xsa_layers_len = 1;
    c.bigram_hash = true, c.bigram_hash_buckets = 32, c.bigram_hash_dim = 8;
    c.value_embed = true, c.value_embed_dim = 6;
    c.value_embed_layers[0] = 2, c.value_embed_layers_len = 1;
    c.smear_gate = c.emb_norm = c.resid_mix = true;
    c.unet_skips = TITAN_SKIPS_MIRROR_BLOCKS;
    const int32_t S[] = {0, 1, 2, 1, 2};
    memcpy(c.layer_schedule, S, sizeof S), c.layer_schedule_len = 5;
    return c;
}

enum { T = 17, THREADS = 2, SLOTS = 3 };

typedef struct {
    train_model m;
    train_params w;
    train_workers wk;
} trainer;

/* Model, weights and workers from arena a (NULL: the heap). */
static int make(trainer *t, const titan_config *c, titan_arena *a) {
    return train_model_init_in(&t->m, c, T, a) || train_params_alloc_in(&t->w, c, a) ||
           train_workers_init_in(&t->wk, &t->m, THREADS, SLOTS, a);
}

static void drop(trainer *t) {
    train_workers_free(&t->wk);
    train_params_free(&t->w);
    train_model_free(&t->m);
}

static void measuring_counts_exactly(void **state) {
    (void)state;
    titan_config c = golf();
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    trainer *t = calloc(1, sizeof *t);
    assert_non_null(t);
    titan_arena measure;
    titan_arena_init(&measure, NULL, 0);
    assert_int_equal(make(t, &c, &measure), 0);
    assert_null(t->w.mem); /* nothing carved, nothing written */
    assert_null(t->wk.pool);
    size_t need = measure.high;
    assert_true(need > sizeof(float) * (size_t)titan_config_params(&c) * (1 + SLOTS));
    void *buf = aligned_alloc(4096, (need + 4095) / 4096 * 4096);
    assert_non_null(buf);
    titan_arena a;
    titan_arena_init(&a, buf, need);
    assert_int_equal(make(t, &c, &a), 0);
    assert_int_equal(a.used, need);
    drop(t);
    titan_arena_init(&a, buf, need - 1);
    assert_int_not_equal(make(t, &c, &a), 0);
    free(buf);
    free(t);
}

/* Loss and summed gradients of a fixed batch on t with weights w0. */
static double run(trainer *t, const train_params *w0, float *grad) {
    memcpy(t->w.mem, w0->mem, sizeof(float) * w0->count);
    int ids[4][T];
    for (int s = 0; s < 4; s++)
        for (int i = 0; i < T; i++) ids[s][i] = (s * 7 + i * 13) % 64;
    train_seq seqs[4];
    for (int s = 0; s < 4; s++) seqs[s] = (train_seq){ids[s], T};
    double loss[4], head[4];
    train_workers_zero(&t->wk);
    train_workers_run(&t->wk, &t->w, seqs, 4, false, 0.25, loss, head);
    train_workers_reduce(&t->wk);
    memcpy(grad, t->wk.grads[0].mem, sizeof(float) * w0->count);
    return loss[0] + loss[1] + loss[2] + loss[3];
}

static void arena_trains_as_the_heap(void **state) {
    (void)state;
    titan_config c = golf();
    train_hparams h = {.steps = 10, .seed = 5};
    train_state s; /* random weights, as titan-train starts */
    assert_int_equal(train_state_init(&s, &c, &h), 0);
    trainer *heap = calloc(1, sizeof *heap), *ar = calloc(1, sizeof *ar);
    assert_non_null(heap);
    assert_non_null(ar);
    titan_arena measure, a;
    titan_arena_init(&measure, NULL, 0);
    assert_int_equal(make(ar, &c, &measure), 0);
    void *buf = aligned_alloc(4096, (measure.high + 4095) / 4096 * 4096);
    assert_non_null(buf);
    titan_arena_init(&a, buf, measure.high);
    assert_int_equal(make(ar, &c, &a), 0);
    assert_int_equal(make(heap, &c, NULL), 0);
    size_t n = s.w.count;
    float *g1 = malloc(n * sizeof *g1), *g2 = malloc(n * sizeof *g2);
    assert_non_null(g1);
    assert_non_null(g2);
    double l1 = run(heap, &s.w, g1), l2 = run(ar, &s.w, g2);
    assert_true(l1 > 0 && l1 == l2); /* fails on NaN */
    assert_memory_equal(g1, g2, n * sizeof *g1);
    drop(heap);
    drop(ar);
    train_state_free(&s);
    free(g1);
    free(g2);
    free(buf);
    free(heap);
    free(ar);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(measuring_counts_exactly),
        cmocka_unit_test(arena_trains_as_the_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
