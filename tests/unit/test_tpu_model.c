/* test_tpu_model.c: the whole Nano-Titan forward pass on the tpu backend:
 * logits close to the reference backend, the cycle-stepped array bit for bit
 * equal to the fast mode (logits and every counter), and one counter row per
 * weight tensor the model multiplies by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "model_fixture.h"
#include "platform/backend.h"

enum { T = 6 };

/* Logits [T][V] of ids through a fresh model on backend be. */
static void run_logits(const fixture *f, titan_backend *be, float *out) {
    size_t bytes;
    assert_int_equal(titan_model_plan(&f->c, 16, T, &bytes), TITAN_OK);
    void *buf = aligned_alloc(TITAN_ALIGN, (bytes + TITAN_ALIGN) & ~(size_t)63);
    titan_arena a;
    titan_arena_init(&a, buf, bytes + TITAN_ALIGN);
    titan_model *m;
    titan_seq *s;
    assert_int_equal(titan_model_create(&a, &f->c, f->t, f->n, 16, T, be, &m), TITAN_OK);
    assert_int_equal(titan_seq_create(&a, m, &s), TITAN_OK);
    const int32_t ids[T] = {1, 7, 3, 60, 0, 42};
    assert_int_equal(titan_model_forward(m, s, ids, T), TITAN_OK);
    assert_int_equal(titan_model_logits(m, 1, 0, T, out), TITAN_OK);
    free(buf);
}

static void *tpu_new(titan_backend *be, const titan_config *mc, titan_tpu_mode mode) {
    titan_tpu_config c;
    titan_tpu_config_default(&c);
    c.rows = 8, c.cols = 4, c.mode = mode;
    titan_arena meas;
    titan_arena_init(&meas, NULL, 0);
    int64_t rows, cols;
    assert_int_equal(titan_config_matmul_bounds(mc, &rows, &cols), TITAN_OK);
    assert_int_equal(titan_tpu_backend_init(be, &meas, &c, T, rows, cols), TITAN_OK);
    void *buf = malloc(meas.used + TITAN_ALIGN);
    titan_arena a;
    titan_arena_init(&a, buf, meas.used + TITAN_ALIGN);
    assert_int_equal(titan_tpu_backend_init(be, &a, &c, T, rows, cols), TITAN_OK);
    return buf;
}

static void model_on_tpu(void **state) {
    (void)state;
    fixture f;
    titan_config c = fixture_small_config();
    fixture_make(&f, &c, 5);
    const int V = c.vocab_size;
    float *ref = malloc(sizeof(float) * T * V), *fast = malloc(sizeof(float) * T * V),
          *step = malloc(sizeof(float) * T * V);
    titan_backend rb, fb, sb;
    titan_backend_ref(&rb);
    void *fbuf = tpu_new(&fb, &c, TITAN_TPU_FAST);
    void *sbuf = tpu_new(&sb, &c, TITAN_TPU_CYCLE);
    run_logits(&f, &rb, ref);
    run_logits(&f, &fb, fast);
    run_logits(&f, &sb, step);
    /* int8 on both operands of every matmul: logits within a few percent of
     * their range (1.4% here), and the same most likely token in most rows. */
    close_acc e = {0};
    int agree = 0;
    for (int t = 0; t < T; t++) {
        int ar = 0, af = 0;
        for (int v = 0; v < V; v++) {
            float r = ref[t * V + v], q = fast[t * V + v];
            close_add(&e, t * V + v, q, r);
            if (r > ref[t * V + ar]) ar = v;
            if (q > fast[t * V + af]) af = v;
        }
        agree += ar == af;
    }
    assert_true(e.mag > 0.5); /* the range of the logits */
    assert_close(&e, "tpu logits", 0, 0.025);
    assert_true(agree >= T - 1);
    assert_memory_equal(fast, step, sizeof(float) * T * V);

    titan_tpu_counters ft, st;
    const titan_tpu_layer *fl, *sl;
    int fn, sn;
    titan_tpu_backend_stats(&fb, &ft, &fl, &fn);
    titan_tpu_backend_stats(&sb, &st, &sl, &sn);
    /* 7 matmuls per block (wq_a, wq_b, wkv_a, wo, w_gate, w_up, w_down) for
     * B = 2 blocks, run R = 2 times, plus the tied head. */
    assert_int_equal(fn, 2 * 7 + 1);
    assert_int_equal(ft.gemms, 2 * 2 * 7 + 1);
    assert_int_equal(ft.cycles, st.cycles);
    assert_int_equal(ft.weight_reads, st.weight_reads);
    assert_int_equal(ft.output_writes, st.output_writes);
    assert_int_equal(ft.refused, 0);
    uint64_t macs = 0;
    for (int i = 0; i < fn; i++) {
        assert_string_equal(fl[i].name, sl[i].name);
        assert_int_equal(fl[i].k.cycles, sl[i].k.cycles);
        macs += fl[i].k.macs;
        if (!strcmp(fl[i].name, "tok_emb"))
            assert_int_equal(fl[i].k.macs, (uint64_t)T * V * c.d_model);
        if (!strcmp(fl[i].name, "blocks.1.w_down"))
            assert_int_equal(fl[i].k.macs, 2ull * T * c.d_model * c.mlp_hidden);
    }
    assert_int_equal(macs, ft.macs);
    free(fbuf), free(sbuf), free(ref), free(fast), free(step);
    fixture_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_on_tpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
