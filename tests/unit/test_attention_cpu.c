/* test_attention_cpu.c: the blocked, threaded MLA attention on the cpu
 * backend against a plain double-precision attention that expands keys and
 * values (no absorption, no online softmax), and against itself across
 * thread counts (bit for bit, prefill and decode). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "core/model.h"
#include "model_fixture.h"

static titan_config attention_config(void) {
    titan_config c = fixture_small_config();
    c.n_heads = 6;
    c.n_kv_heads = 2; /* three heads per group */
    c.kv_latent = 40;
    c.head_dim = 12;
    c.v_head_dim = 10;
    c.yarn_factor = 4;
    c.yarn_orig_ctx = 64;
    return c;
}

/* Expanded attention of the last layer for rows 0..n-1 (positions pos..),
 * in double, from the queries and cache the forward pass left behind. */
static void expanded_attention(const titan_model *m, const titan_seq *s, int n, int pos,
                               double *out) {
    const titan_config *c = &m->cfg;
    int H = c->n_heads, hg = H / c->n_kv_heads, Dh = c->head_dim;
    int Dv = c->v_head_dim, Dr = c->rope_dim, Lkv = c->kv_latent;
    int L = c->n_unique_blocks * c->n_recurrences;
    const float *wkv = m->blocks[c->n_unique_blocks - 1].wkv_b;
    const float *lat = s->lat + (size_t)(L - 1) * m->ctx * Lkv;
    const float *kr = s->kr + (size_t)(L - 1) * m->ctx * Dr;
    double scale = m->mscale * m->mscale / sqrt(Dh + Dr);
    double *p = malloc(sizeof(double) * (size_t)(pos + n));
    for (int t = 0; t < n; t++) {
        for (int i = 0; i < H; i++) {
            const float *q = m->q + ((size_t)t * H + i) * (Dh + Dr);
            const float *w = wkv + (size_t)(i / hg) * (Dh + Dv) * Lkv;
            int P = pos + t + 1;
            double mx = -INFINITY, sum = 0;
            for (int j = 0; j < P; j++) {
                double sc = 0;
                for (int d = 0; d < Dh; d++) {
                    double k = 0; /* key d of position j */
                    for (int l = 0; l < Lkv; l++)
                        k += (double)w[(size_t)d * Lkv + l] * lat[(size_t)j * Lkv + l];
                    sc += q[d] * k;
                }
                for (int d = 0; d < Dr; d++)
                    sc += (double)q[Dh + d] * kr[(size_t)j * Dr + d];
                p[j] = sc * scale;
                mx = fmax(mx, p[j]);
            }
            for (int j = 0; j < P; j++) sum += p[j] = exp(p[j] - mx);
            double *o = out + ((size_t)t * H + i) * Dv;
            for (int e = 0; e < Dv; e++) {
                const float *wv = w + (size_t)(Dh + e) * Lkv;
                double acc = 0;
                for (int j = 0; j < P; j++) {
                    double v = 0;
                    for (int l = 0; l < Lkv; l++)
                        v += (double)wv[l] * lat[(size_t)j * Lkv + l];
                    acc += p[j] / sum * v;
                }
                o[e] = acc;
            }
        }
    }
    free(p);
}

static void assert_close_to_expanded(const cpu_runtime *r, int n, int pos) {
    const titan_config *c = &r->m->cfg;
    size_t count = (size_t)n * c->n_heads * c->v_head_dim;
    double *want = malloc(sizeof(double) * count);
    expanded_attention(r->m, r->s, n, pos, want);
    close_acc e = {0};
    for (size_t i = 0; i < count; i++) close_add(&e, i, r->m->o[i], want[i]);
    free(want);
    assert_close(&e, "attention", 0, 1e-5);
}

static void matches_expanded_attention(void **state) {
    (void)state;
    titan_config c = attention_config();
    fixture f;
    fixture_make(&f, &c, 5);
    cpu_runtime r;
    cpu_open(&r, &f, 2, 256);
    int32_t ids[230];
    for (int t = 0; t < 230; t++) ids[t] = (t * 37 + 11) % c.vocab_size;
    /* 150 tokens: several query and position blocks from position 0; then
     * 79 more starting mid-block; then one decode step. */
    assert_int_equal(titan_model_forward(r.m, r.s, ids, 150), TITAN_OK);
    assert_close_to_expanded(&r, 150, 0);
    assert_int_equal(titan_model_forward(r.m, r.s, ids + 150, 79), TITAN_OK);
    assert_close_to_expanded(&r, 79, 150);
    assert_int_equal(titan_model_forward(r.m, r.s, ids + 229, 1), TITAN_OK);
    assert_close_to_expanded(&r, 1, 229);
    cpu_close(&r);
    fixture_free(&f);
}

/* Head-1 logits of ids[0..T) fed in chunks of `chunk` tokens. */
static void logits_in_chunks(cpu_runtime *r, const int32_t *ids, int T, int chunk,
                             float *out) {
    int V = r->m->cfg.vocab_size;
    titan_seq_reset(r->s);
    for (int t = 0; t < T; t += chunk) {
        int n = T - t < chunk ? T - t : chunk;
        assert_int_equal(titan_model_forward(r->m, r->s, ids + t, n), TITAN_OK);
        assert_int_equal(titan_model_logits(r->m, 1, 0, n, out + (size_t)t * V),
                         TITAN_OK);
    }
}

static void same_bits_for_any_thread_count(void **state) {
    (void)state;
    titan_config c = attention_config();
    fixture f;
    fixture_make(&f, &c, 9);
    enum { T = TITAN_ATT_PCHUNK + 44 }; /* decode splits the cache in two */
    int32_t ids[T];
    for (int t = 0; t < T; t++) ids[t] = (t * 53 + 7) % c.vocab_size;
    size_t count = (size_t)T * c.vocab_size;
    float *want = malloc(sizeof(float) * count), *got = malloc(sizeof(float) * count);
    cpu_runtime one, two;
    cpu_open(&one, &f, 1, T);
    cpu_open(&two, &f, 2, T);
    static const int chunks[] = {T, 37, 16, 1}; /* prefill ... decode */
    for (int k = 0; k < 4; k++) {
        logits_in_chunks(&one, ids, T, chunks[k], want);
        logits_in_chunks(&two, ids, T, chunks[k], got);
        assert_memory_equal(got, want, sizeof(float) * count);
    }
    cpu_close(&one);
    cpu_close(&two);
    free(want);
    free(got);
    fixture_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_expanded_attention),
        cmocka_unit_test(same_bits_for_any_thread_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
