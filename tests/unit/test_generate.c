/* test_generate.c: the sampler by hand, and decoding: speculative greedy
 * output equals plain greedy output (section 1, and a section-8 model); speculative sampling draws tokens with
 * exactly head 1's distribution (checked against the enumerated law). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assert_close.h"
#include "core/model.h"
#include "model_fixture.h"
#include "platform/backend.h"

static void sampler_by_hand(void **state) {
    (void)state;
    titan_sampler s;
    int32_t work[4];
    float x[4] = {1, 2, 3, 4};
    double z = exp(1) + exp(2) + exp(3) + exp(4);
    titan_sampler_init(&s, 1, 0, 1, 42);
    titan_sampler_probs(&s, x, 4, work);
    assert_float_equal(x[0], exp(1) / z, 1e-6);
    assert_float_equal(x[3], exp(4) / z, 1e-6);
    float y[4] = {1, 2, 3, 4}; /* top-k 2 at temperature 2 */
    titan_sampler_init(&s, 2, 2, 1, 42);
    titan_sampler_probs(&s, y, 4, work);
    assert_float_equal(y[0], 0, 0);
    assert_float_equal(y[1], 0, 0);
    assert_float_equal(y[3], 1 / (1 + exp(-0.5)), 1e-6);
    /* top-p 0.6: p(4) = 0.644 alone reaches it */
    float w[4] = {1, 2, 3, 4};
    titan_sampler_init(&s, 1, 0, 0.6, 42);
    titan_sampler_probs(&s, w, 4, work);
    assert_float_equal(w[3], 1, 1e-6);
    assert_float_equal(w[2], 0, 0);
    float v[4] = {1, 2, 3, 4}; /* top-p 0.9: 0.644 + 0.237 < 0.9 -> three kept */
    titan_sampler_init(&s, 1, 0, 0.9, 42);
    titan_sampler_probs(&s, v, 4, work);
    double z3 = exp(2) + exp(3) + exp(4);
    assert_float_equal(v[1], exp(2) / z3, 1e-6);
    assert_float_equal(v[0], 0, 0);
    float g[4] = {1, 7, 7, 2}; /* greedy: first maximum */
    titan_sampler_init(&s, 0, 0, 1, 1);
    titan_sampler_probs(&s, g, 4, work);
    assert_int_equal(titan_sampler_draw(&s, g, 4), 1);
    /* same seed, same stream; uniform in [0, 1) with mean near 1/2 */
    titan_sampler a, b;
    titan_sampler_init(&a, 1, 0, 1, 7);
    titan_sampler_init(&b, 1, 0, 1, 7);
    double mean = 0;
    for (int i = 0; i < 10000; i++) {
        double u = titan_sampler_uniform(&a);
        assert_true(u >= 0 && u < 1);
        assert_true(u == titan_sampler_uniform(&b));
        mean += u / 10000;
    }
    assert_float_equal(mean, 0.5, 0.01);
}

/* Generate at least n tokens into out; returns the acceptance rate. */
static double generate(runtime *r, int speculative, double temp, uint64_t seed,
                       const int32_t *prompt, int np, int32_t *out, int n) {
    titan_sampler smp;
    titan_sampler_init(&smp, temp, 0, 1, seed);
    titan_generator *g;
    size_t mark = titan_arena_mark(&r->a);
    assert_int_equal(
        titan_generator_start(&r->a, r->m, r->s, &smp, speculative, prompt, np, &g),
        TITAN_OK);
    int have = 0;
    while (have < n) {
        int32_t step[TITAN_MAX_MTP];
        int k;
        assert_int_equal(titan_generator_step(g, step, &k), TITAN_OK);
        assert_true(k >= 1 && k <= r->m->cfg.mtp_heads);
        for (int i = 0; i < k && have < n; i++) out[have++] = step[i];
    }
    int64_t drafted, accepted;
    titan_generator_drafts(g, &drafted, &accepted);
    titan_arena_reset(&r->a, mark);
    return drafted ? (double)accepted / drafted : 0;
}

static void check_greedy_same(fixture *f, double *accept) {
    runtime r;
    rt_open(&r, f, 64, 8, titan_generator_plan(&f->c));
    int32_t prompt[3] = {4, 8, 15}, plain[40], spec[40];
    generate(&r, 0, 0, 1, prompt, 3, plain, 40);
    *accept = generate(&r, 1, 0, 1, prompt, 3, spec, 40);
    assert_memory_equal(plain, spec, sizeof plain);
    rt_close(&r);
}

/* The same with SPEC section 8's smear gate and bigram hash (rejected drafts
 * rewind through their ring), gqa with sinks and XSA, a schedule, and a Gated
 * DeltaNet block (drafts rewind through its state slots and conv rows). */
static void speculative_greedy_equals_plain_golf(void **state) {
    (void)state;
    titan_config c = fixture_small_config();
    c.attention = TITAN_ATTENTION_GQA, c.rope_dim = 4, c.attn_sink = TITAN_SINK_KEY;
    c.smear_gate = c.emb_norm = c.qk_norm = true;
    c.bigram_hash = true, c.bigram_hash_buckets = 37, c.bigram_hash_dim = 5;
    c.xsa_layers[0] = 1, c.xsa_layers_len = 1;
    c.layer_schedule[0] = 0, c.layer_schedule[1] = 1, c.layer_schedule[2] = 1;
    c.layer_schedule_len = 3;
    c.gdn_layers[0] = 0, c.gdn_layers_len = 1, c.gdn_v_heads = 8, c.gdn_conv_kernel = 2;
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    fixture f;
    fixture_make(&f, &c, 22);
    double accept;
    check_greedy_same(&f, &accept);
    fixture_free(&f);
}

static void speculative_greedy_equals_plain(void **state) {
    (void)state;
    titan_config c = fixture_small_config();
    fixture f;
    fixture_make(&f, &c, 21);
    double accept;
    check_greedy_same(&f, &accept);
    /* Zero blocks, unit final norm and every head tied to tok_emb: each token's
     * logits depend on it alone, so greedy settles on a fixed point that every
     * head agrees with and drafts are kept. */
    for (int i = 0; i < f.n; i++) {
        titan_tensor *t = &f.t[i];
        if (strstr(t->name, ".wo") || strstr(t->name, ".w_down"))
            memset(f.data[i], 0, (size_t)(t->rows * t->cols) * 4);
        if (!strcmp(t->name, "final_norm"))
            for (int d = 0; d < t->rows; d++) f.data[i][d] = 1;
        if (!strncmp(t->name, "mtp.", 4)) t->data = f.data[0];
    }
    check_greedy_same(&f, &accept);
    assert_true(accept > 0.8);
    fixture_free(&f);
}

/* Exact law of the second generated token (sum over the first), against
 * 4000 speculative samples: every probability within 4.5 sigma. */
static void speculative_sampling_keeps_head1_law(void **state) {
    (void)state;
    titan_config c = fixture_small_config();
    c.vocab_size = 5;
    c.mtp_heads = 3;
    fixture f;
    fixture_make(&f, &c, 33);
    for (int i = 0; i < f.n; i++) /* flatter heads: all tokens plausible */
        if (!strcmp(f.t[i].name, "tok_emb") || !strncmp(f.t[i].name, "mtp.", 4))
            for (int k = 0; k < f.t[i].rows * f.t[i].cols; k++) f.data[i][k] *= 0.5f;
    runtime r;
    rt_open(&r, &f, 16, 4, titan_generator_plan(&f.c));
    int32_t prompt[3] = {1, 3, 4};
    float p1[5], p2[5], law[5] = {0};
    assert_int_equal(titan_model_forward(r.m, r.s, prompt, 3), TITAN_OK);
    assert_int_equal(titan_model_logits(r.m, 1, 2, 1, p1), TITAN_OK);
    titan_sampler unit;
    int32_t work[5];
    titan_sampler_init(&unit, 1, 0, 1, 0);
    titan_sampler_probs(&unit, p1, 5, work);
    for (int x = 0; x < 5; x++) {
        int32_t seq[4] = {1, 3, 4, x};
        titan_seq_reset(r.s);
        assert_int_equal(titan_model_forward(r.m, r.s, seq, 4), TITAN_OK);
        assert_int_equal(titan_model_logits(r.m, 1, 3, 1, p2), TITAN_OK);
        titan_sampler_probs(&unit, p2, 5, work);
        for (int y = 0; y < 5; y++) law[y] += p1[x] * p2[y];
    }
    enum { N = 4000 };
    int count[5] = {0};
    double accept = 0;
    for (int i = 0; i < N; i++) {
        int32_t out[2];
        accept += generate(&r, 1, 1, 1000 + i, prompt, 3, out, 2) / N;
        count[out[1]]++;
    }
    print_message("acceptance %.3f\n", accept);
    assert_true(accept > 0.05); /* drafts are really being kept */
    for (int y = 0; y < 5; y++) {
        double sd = sqrt(law[y] * (1 - law[y]) / N);
        print_message("token %d: law %.4f seen %.4f\n", y, law[y], (double)count[y] / N);
        assert_true(fabs((double)count[y] / N - law[y]) <= 4.5 * sd + 1e-9);
    }
    rt_close(&r);
    fixture_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sampler_by_hand),
        cmocka_unit_test(speculative_greedy_equals_plain),
        cmocka_unit_test(speculative_greedy_equals_plain_golf),
        cmocka_unit_test(speculative_sampling_keeps_head1_law),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
