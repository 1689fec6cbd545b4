/* model_fixture.h: in-memory float32 models with seeded random weights, and
 * a model + sequence on the ref backend in an exactly planned arena, for the
 * model tests (tests may allocate; the library may not). Include after
 * cmocka.h. */
#ifndef TITAN_TESTS_MODEL_FIXTURE_H
#define TITAN_TESTS_MODEL_FIXTURE_H

#include "assert_close.h"
#include "core/model.h"
#include "platform/backend.h"
#include "platform/backend_cpu.h"
#include "titan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    titan_config c;
    int n;
    titan_tensor t[TITAN_MAX_TENSORS];
    float *data[TITAN_MAX_TENSORS];
} fixture;

static float fixture_uniform(uint64_t *state) { /* in [-1, 1) */
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*state >> 40) * 0x1.0p-24 * 2 - 1);
}

/* Random weights: matrices ~ U(-1,1)/sqrt(cols)*gain, norms 1 +- 0.2 (gdn_A_log
 * -1.8 +- 0.2), conv U(-0.7, 0.7), embeddings U(-1, 1). */
static void fixture_make(fixture *f, const titan_config *c, uint64_t seed) {
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    memset(f, 0, sizeof *f);
    f->c = *c;
    f->n = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    uint64_t st = seed * 2654435761u + 1;
    for (int i = 0; i < f->n; i++) {
        titan_tensor *t = &f->t[i];
        size_t count = (size_t)(specs[i].rows * specs[i].cols);
        f->data[i] = malloc(count * sizeof(float));
        float scale = 1.0f / sqrtf((float)specs[i].cols);
        for (size_t k = 0; k < count; k++) {
            float u = fixture_uniform(&st);
            switch (specs[i].role) {
            case TITAN_ROLE_NORM: f->data[i][k] = 1 + 0.2f * u; break;
            case TITAN_ROLE_CONV: f->data[i][k] = 0.7f * u; break;
            case TITAN_ROLE_EMBED:
            case TITAN_ROLE_HEAD: f->data[i][k] = u; break;
            case TITAN_ROLE_MATRIX: f->data[i][k] = 1.7f * u * scale; break;
            }
        }
        if (strstr(specs[i].name, "gdn_A_log")) /* decays 0.6..0.9 rather than 0.03 */
            for (size_t k = 0; k < count; k++) f->data[i][k] -= 2.8f;
        memcpy(t->name, specs[i].name, TITAN_NAME_MAX);
        t->dtype = TITAN_DT_F32;
        t->ndim = specs[i].ndim;
        t->rows = specs[i].rows;
        t->cols = specs[i].cols;
        t->data = f->data[i];
    }
}

static void fixture_free(fixture *f) {
    for (int i = 0; i < f->n; i++) free(f->data[i]);
}

/* A small config exercising every feature; callers vary fields. */
static titan_config fixture_small_config(void) {
    titan_config c;
    assert_int_equal(titan_config_preset("nano", &c), TITAN_OK);
    c.vocab_size = 61;
    c.bos_id = 0; /* the default, the byte-level BOS, is past V */
    c.d_model = 24;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 8;
    c.v_head_dim = 6;
    c.rope_dim = 8;
    c.q_latent = 12;
    c.kv_latent = 10;
    c.mlp_hidden = 20;
    c.conv_kernel = 3;
    c.n_unique_blocks = 2;
    c.n_recurrences = 2;
    c.mtp_heads = 3;
    c.max_seq_len = 2048;
    return c;
}

typedef struct {
    size_t plan; /* model + sequence */
    void *buf;
    titan_arena a;
    titan_backend be;
    titan_model *m;
    titan_seq *s;
} runtime;

/* Create model + sequence in an arena of exactly the planned size plus
 * `extra` bytes for the caller's blocks (and the padding that aligns the
 * first of them); checks the plan is exact. */
static inline void rt_open(runtime *r, const fixture *f, int ctx, int batch,
                           size_t extra) {
    assert_int_equal(titan_model_plan(&f->c, ctx, batch, &r->plan), TITAN_OK);
    size_t cap = r->plan + (extra ? extra + TITAN_ALIGN : 0);
    r->buf = aligned_alloc(TITAN_ALIGN, (cap + TITAN_ALIGN) & ~(size_t)(TITAN_ALIGN - 1));
    titan_arena_init(&r->a, r->buf, cap);
    titan_backend_ref(&r->be);
    assert_int_equal(
        titan_model_create(&r->a, &f->c, f->t, f->n, ctx, batch, &r->be, &r->m),
        TITAN_OK);
    assert_int_equal(titan_seq_create(&r->a, r->m, &r->s), TITAN_OK);
    assert_int_equal(r->a.high, r->plan); /* the plan is exact */
}

static inline void rt_close(runtime *r) { free(r->buf); }

/* The plan is exact for c (ctx 64, batch 16), and one byte less fails. */
static inline void check_plan_exact(const titan_config *c, uint64_t seed) {
    fixture f;
    fixture_make(&f, c, seed);
    runtime r;
    rt_open(&r, &f, 64, 16, 0); /* asserts high == plan */
    titan_arena small;
    titan_arena_init(&small, r.buf, r.plan - 1);
    titan_model *m;
    titan_seq *s;
    titan_status st = titan_model_create(&small, c, f.t, f.n, 64, 16, &r.be, &m);
    if (st == TITAN_OK) st = titan_seq_create(&small, m, &s);
    assert_int_equal(st, TITAN_E_NOMEM);
    rt_close(&r);
    fixture_free(&f);
}

/* A model + sequence on a cpu backend of `threads` threads, batch = ctx. */
typedef struct {
    void *be_buf, *buf;
    titan_arena be_arena, a;
    titan_backend *be;
    titan_model *m;
    titan_seq *s;
} cpu_runtime;

static inline void cpu_open(cpu_runtime *r, const fixture *f, int threads, int ctx) {
    size_t be_bytes = titan_backend_cpu_arena_bytes(threads) + TITAN_ALIGN, plan;
    r->be_buf =
        aligned_alloc(TITAN_ALIGN, (be_bytes + TITAN_ALIGN) & ~(size_t)(TITAN_ALIGN - 1));
    titan_arena_init(&r->be_arena, r->be_buf, be_bytes);
    assert_int_equal(titan_backend_cpu_create(&r->be_arena, threads, &r->be), TITAN_OK);
    assert_int_equal(titan_model_plan(&f->c, ctx, ctx, &plan), TITAN_OK);
    r->buf =
        aligned_alloc(TITAN_ALIGN, (plan + TITAN_ALIGN) & ~(size_t)(TITAN_ALIGN - 1));
    titan_arena_init(&r->a, r->buf, plan);
    assert_int_equal(titan_model_create(&r->a, &f->c, f->t, f->n, ctx, ctx, r->be, &r->m),
                     TITAN_OK);
    assert_int_equal(titan_seq_create(&r->a, r->m, &r->s), TITAN_OK);
}

static inline void cpu_close(cpu_runtime *r) {
    titan_backend_destroy(r->be);
    free(r->buf);
    free(r->be_buf);
}

/* All heads' logits of ids[0..T) fed in chunks of `chunk` tokens:
 * out[M][T][V]. */
static inline void run_chunks(titan_model *m, titan_seq *s, const int32_t *ids, int T,
                              int chunk, float *out) {
    int V = m->cfg.vocab_size, M = m->cfg.mtp_heads;
    titan_seq_reset(s);
    for (int t = 0; t < T; t += chunk) {
        int n = T - t < chunk ? T - t : chunk;
        assert_int_equal(titan_model_forward(m, s, ids + t, n), TITAN_OK);
        for (int k = 1; k <= M; k++)
            for (int i = 0; i < n; i++)
                assert_int_equal(titan_model_logits(
                                     m, k, i, 1, out + ((size_t)(k - 1) * T + t + i) * V),
                                 TITAN_OK);
    }
}

/* Prefill of T random tokens == decode one by one == chunks of mid_chunk,
 * every head, every position, within 1e-4 of each row's largest logit. */
static inline void check_prefill_equals_decode(const titan_config *c, int T,
                                               int mid_chunk) {
    fixture f;
    fixture_make(&f, c, 11);
    runtime r;
    rt_open(&r, &f, T, T, 0);
    int V = c->vocab_size, M = c->mtp_heads;
    int32_t *ids = malloc(sizeof(int32_t) * T);
    uint64_t st = 3;
    for (int t = 0; t < T; t++)
        ids[t] = (int32_t)((fixture_uniform(&st) + 1) / 2 * V) % V;
    float *pre = malloc(sizeof(float) * (size_t)M * T * V);
    float *dec = malloc(sizeof(float) * (size_t)M * T * V);
    run_chunks(r.m, r.s, ids, T, T, pre);
    static const int steps[2] = {1, 0};
    for (int k = 0; k < 2; k++) {
        run_chunks(r.m, r.s, ids, T, steps[k] ? steps[k] : mid_chunk, dec);
        for (int i = 0; i < M * T; i++)
            assert_close_floats(dec + (size_t)i * V, pre + (size_t)i * V, (size_t)V,
                                "prefill vs decode", 0, 1e-4);
    }
    free(ids);
    free(pre);
    free(dec);
    rt_close(&r);
    fixture_free(&f);
}

#endif
