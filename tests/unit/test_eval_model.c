/* test_eval_model.c: val_bpb through the real forward pass, on answers known
 * without the evaluator: all-zero weights (uniform: val_bpb = log2 V * tokens
 * / bytes), a handmade "repeat the last token" model with closed-form
 * probabilities, stride == ctx equal to non-overlapping chunks, sliding
 * windows equal to each target's own context run alone, and results that do
 * not depend on threads or batch sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model_fixture.h"
#include "platform/backend.h"

enum { N = 90, V = 16 };
static int32_t seq[N + 1];
static const uint32_t one_byte[V] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const uint32_t two_bytes[V] = {2, 1, 3, 1, 2, 1, 1, 1, 1, 4, 1, 1, 1, 1, 2, 1};

static titan_config small_config(void) {
    titan_config c = fixture_small_config();
    c.vocab_size = V;
    c.max_seq_len = 64;
    return c;
}

static void fill_seq(void) {
    uint64_t st = 99;
    for (int i = 0; i <= N; i++) {
        /* runs of repeats, so the repeat model has both cases */
        seq[i] = i && fixture_uniform(&st) < 0
                     ? seq[i - 1]
                     : (int32_t)((fixture_uniform(&st) + 1) * 8) % V;
    }
}

typedef struct {
    int ctx, stride, batch, model_batch, threads;
    const uint32_t *bytes;
} run_opts;

static titan_eval_result eval(const fixture *f, run_opts r) {
    titan_backend be, *bes[TITAN_EVAL_MAX_THREADS];
    titan_backend_ref(&be);
    for (int i = 0; i < r.threads; i++) bes[i] = &be; /* ref is shareable */
    titan_eval_options o = {
        .ctx = r.ctx, .stride = r.stride, .batch = r.batch, .threads = r.threads};
    size_t need;
    assert_int_equal(titan_eval_model_plan(&f->c, r.ctx, r.model_batch, r.threads, &need),
                     TITAN_OK);
    need += titan_eval_plan(N, &o);
    void *buf = aligned_alloc(TITAN_ALIGN, (need + 63) / 64 * 64);
    titan_arena a;
    titan_arena_init(&a, buf, need);
    titan_eval_model *em;
    assert_int_equal(titan_eval_model_create(&a, &f->c, f->t, f->n, r.ctx, r.model_batch,
                                             r.threads, bes, &em),
                     TITAN_OK);
    titan_byte_table bt = {V, r.bytes ? r.bytes : one_byte, NULL};
    titan_eval_result res;
    assert_int_equal(
        titan_eval_run(&a, seq, N, &bt, &o, titan_eval_model_score, em, &res), TITAN_OK);
    free(buf);
    return res;
}

/* -ln p(ids[n-1] -> next) with ids[0..n) run alone from position 0. */
static double nll_alone(const fixture *f, const int32_t *ids, int n, int32_t next) {
    titan_backend be;
    titan_backend_ref(&be);
    size_t need;
    assert_int_equal(titan_model_plan(&f->c, n, n, &need), TITAN_OK);
    need += V * sizeof(float) + TITAN_ALIGN;
    void *buf = aligned_alloc(TITAN_ALIGN, (need + 63) / 64 * 64);
    titan_arena a;
    titan_arena_init(&a, buf, need);
    titan_model *m;
    titan_seq *s;
    float *logits;
    assert_int_equal(titan_model_create(&a, &f->c, f->t, f->n, n, n, &be, &m), TITAN_OK);
    assert_int_equal(titan_seq_create(&a, m, &s), TITAN_OK);
    assert_int_equal(titan_arena_alloc(&a, V * sizeof(float), 4, (void **)&logits),
                     TITAN_OK);
    assert_int_equal(titan_model_forward(m, s, ids, n), TITAN_OK);
    assert_int_equal(titan_model_logits(m, 1, n - 1, 1, logits), TITAN_OK);
    double nll = titan_eval_nll(logits, V, next);
    free(buf);
    return nll;
}

static void zero_weights_are_uniform(void **state) {
    (void)state;
    titan_config c = small_config();
    fixture f;
    fixture_make(&f, &c, 1);
    for (int i = 0; i < f.n; i++)
        memset(f.data[i], 0, (size_t)(f.t[i].rows * f.t[i].cols) * sizeof(float));
    titan_eval_result r = eval(&f, (run_opts){16, 4, 3, 16, 2, two_bytes});
    uint64_t bytes = 0;
    for (int t = 1; t <= N; t++) bytes += two_bytes[seq[t]];
    assert_int_equal(r.bytes, bytes);
    double want = log2(V) * N / (double)bytes;
    assert_true(fabs(r.val_bpb - want) <= 1e-12 * want);
    assert_true(fabs(r.val_loss - log(V)) <= 1e-12);
    fixture_free(&f);
}

/* Blocks zeroed (h stays tok_emb[x]) and tok_emb[i] = a e_i: logits are
 * k = a^2 / sqrt(a^2 / D + eps) on the last token and 0 elsewhere, so
 * p(repeat) = e^k / (e^k + V - 1) whatever the window. */
static void repeat_model_has_closed_form(void **state) {
    (void)state;
    titan_config c = small_config();
    fixture f;
    fixture_make(&f, &c, 2);
    const double a = 0.5, D = c.d_model;
    for (int i = 0; i < f.n; i++) {
        size_t count = (size_t)(f.t[i].rows * f.t[i].cols);
        if (!strcmp(f.t[i].name, "final_norm")) continue; /* random gains */
        memset(f.data[i], 0, count * sizeof(float));
        if (!strcmp(f.t[i].name, "tok_emb"))
            for (int v = 0; v < V; v++) f.data[i][(size_t)v * c.d_model + v] = (float)a;
    }
    double want = 0;
    for (int t = 1; t <= N; t++) {
        int32_t x = seq[t - 1];
        double g = f.data[f.n - 3][x]; /* final_norm precedes the 2 mtp heads */
        double k = a * a * g / sqrt(a * a / D + c.norm_eps);
        double z = exp(k) + V - 1;
        want += seq[t] == x ? log(z) - k : log(z);
    }
    assert_string_equal(f.t[f.n - 3].name, "final_norm");
    titan_eval_result r = eval(&f, (run_opts){8, 3, 2, 8, 1, NULL});
    assert_true(fabs(r.nll - want) <= 1e-5 * want);
    fixture_free(&f);
}

static void stride_ctx_is_chunks_and_sliding_is_each_context(void **state) {
    (void)state;
    titan_config c = small_config();
    fixture f;
    fixture_make(&f, &c, 3);
    const int L = 12;
    double chunks = 0;
    for (int w = 0; w < N; w += L)
        for (int j = 0; j < L && w + j < N; j++)
            chunks += nll_alone(&f, seq + w, j + 1, seq[w + j + 1]);
    titan_eval_result r = eval(&f, (run_opts){L, L, 2, L, 1, NULL});
    assert_true(fabs(r.nll - chunks) <= 1e-9 * chunks);
    const int S = 5;
    double sliding = 0;
    for (int t = 1; t <= N; t++) {
        int w = t <= L ? 0 : (t - L + S - 1) / S * S;
        sliding += nll_alone(&f, seq + w, t - w, seq[t]);
    }
    r = eval(&f, (run_opts){L, S, 2, L, 1, NULL});
    assert_true(fabs(r.nll - sliding) <= 1e-9 * sliding);
    assert_true(fabs(sliding - chunks) > 1e-6); /* the schedules do differ */
    fixture_free(&f);
}

static void threads_and_batches_agree(void **state) {
    (void)state;
    titan_config c = small_config();
    fixture f;
    fixture_make(&f, &c, 4);
    titan_eval_result base = eval(&f, (run_opts){20, 7, 1, 20, 1, NULL});
    const run_opts shapes[] = {
        {20, 7, 3, 20, 2, NULL}, {20, 7, 2, 20, 4, NULL}, {20, 7, 64, 20, 3, NULL}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        titan_eval_result r = eval(&f, shapes[i]);
        assert_memory_equal(&r.nll, &base.nll, sizeof(double));
    }
    /* Smaller forward calls change float rounding only. */
    titan_eval_result r = eval(&f, (run_opts){20, 7, 2, 6, 2, NULL});
    assert_true(fabs(r.nll - base.nll) <= 1e-6 * base.nll);
    fixture_free(&f);
}

static void target_outside_vocabulary(void **state) {
    (void)state;
    titan_config c = small_config();
    fixture f;
    fixture_make(&f, &c, 5);
    titan_backend be, *bes[1] = {&be};
    titan_backend_ref(&be);
    size_t need;
    assert_int_equal(titan_eval_model_plan(&c, 8, 8, 1, &need), TITAN_OK);
    void *buf = malloc(need + (1 << 16));
    titan_arena a;
    titan_arena_init(&a, buf, need + (1 << 16));
    titan_eval_model *em;
    assert_int_equal(titan_eval_model_create(&a, &c, f.t, f.n, 8, 8, 1, bes, &em),
                     TITAN_OK);
    assert_true(a.used <= need);
    int32_t s[5] = {1, 2, 3, V, 4}; /* byte table is larger than the model */
    uint32_t base[V + 1];
    for (int i = 0; i <= V; i++) base[i] = 1;
    titan_byte_table bt = {V + 1, base, NULL};
    titan_eval_options o = {.ctx = 8, .stride = 4, .batch = 1, .threads = 1};
    titan_eval_result r;
    assert_int_equal(titan_eval_run(&a, s, 4, &bt, &o, titan_eval_model_score, em, &r),
                     TITAN_E_DATA);
    free(buf);
    fixture_free(&f);
}

static int setup(void **state) {
    (void)state;
    fill_seq();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zero_weights_are_uniform),
        cmocka_unit_test(repeat_model_has_closed_form),
        cmocka_unit_test(stride_ctx_is_chunks_and_sliding_is_each_context),
        cmocka_unit_test(threads_and_batches_agree),
        cmocka_unit_test(target_outside_vocabulary),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
