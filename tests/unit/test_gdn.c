/* test_gdn.c: the runtime's Gated DeltaNet mixer (core/gdn.c). The chunked
 * form (cpu backend) against the plain recurrence (ref backend) and the
 * vector recurrence, over many shapes and every option; prefill then decode
 * at every split point against all-decode; rewinds; the same bits for any
 * thread count; the exact plan; and the mixer against the trainer's chunked
 * forward in double (tools/train/op_gdn.c), an implementation with its own
 * code. Every comparison fails on NaN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "core/gdn.h"
#include "model_fixture.h"
#include "platform/backend_cpu.h"

#include <limits.h>
#include <stdio.h>

static titan_backend ref_be, *cpu1, *cpu2;
static void *cpu_buf;

/* A GDN config: block 0 is GDN, options as given. */
typedef struct {
    int Hk, Hv, Dk, Dw, Kc, act, out_norm, mtp;
} gdn_opts;

static titan_config gdn_config(gdn_opts o) {
    titan_config c = fixture_small_config();
    c.n_unique_blocks = 1, c.n_recurrences = 1;
    c.gdn_layers[0] = 0, c.gdn_layers_len = 1;
    c.gdn_heads = o.Hk, c.gdn_v_heads = o.Hv;
    c.gdn_head_dim = o.Dk, c.gdn_v_head_dim = o.Dw;
    c.gdn_conv_kernel = o.Kc;
    c.gdn_qk_act = o.act;
    c.gdn_out_norm = o.out_norm;
    c.mtp_heads = o.mtp ? o.mtp : 1;
    for (int k = 0; k < c.mtp_heads; k++) c.mtp_weights[k] = 1;
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    return c;
}

/* One mixer on one backend, its state malloc'ed (tests may allocate). */
typedef struct {
    fixture f;
    const titan_tensor *w[8];
    void *buf;
    titan_arena a;
    titan_gdn g;
    titan_gdn_block b;
    float *state;
    titan_backend *be;
} mixer;

/* Random weights with decays from strong to weak: gdn_A_log in [-3, 1]. */
static void mixer_open(mixer *m, const titan_config *c, int batch, titan_backend *be,
                       uint64_t seed) {
    fixture_make(&m->f, c, seed);
    int first = -1;
    for (int i = 0; i < m->f.n; i++) {
        if (first < 0 && strstr(m->f.t[i].name, ".gdn_")) first = i;
        if (strstr(m->f.t[i].name, "gdn_A_log"))
            for (int j = 0; j < m->f.t[i].rows; j++) /* 1 +- 0.2 -> -1 +- 2 */
                m->f.data[i][j] = -1 + 10 * (m->f.data[i][j] - 1);
    }
    assert_true(first > 0);
    for (int i = 0; i < 8 && first + i < m->f.n; i++) m->w[i] = &m->f.t[first + i];
    size_t scratch, state;
    assert_int_equal(titan_gdn_plan(c, batch, &scratch, &state), TITAN_OK);
    titan_arena meas;
    titan_arena_init(&meas, NULL, 0);
    assert_int_equal(titan_gdn_block_carve(&meas, c, &m->b), TITAN_OK);
    size_t cap = scratch + meas.high + 2 * TITAN_ALIGN;
    m->buf = aligned_alloc(TITAN_ALIGN, (cap + TITAN_ALIGN) & ~(size_t)(TITAN_ALIGN - 1));
    titan_arena_init(&m->a, m->buf, cap);
    assert_int_equal(titan_gdn_carve(&m->a, c, batch, &m->g), TITAN_OK);
    assert_int_equal(m->a.high, scratch); /* the plan is exact */
    assert_int_equal(titan_gdn_block_carve(&m->a, c, &m->b), TITAN_OK);
    int took = titan_gdn_block_bind(&m->b, &m->g, m->w);
    assert_int_equal(took, 6 + (c->gdn_conv_kernel > 0) + c->gdn_out_norm);
    assert_string_equal(m->w[took - 1]->name + strlen(m->w[took - 1]->name) - 5, "gdn_o");
    assert_int_equal(state, titan_gdn_state_floats(c) * sizeof(float));
    m->state = malloc(state);
    for (size_t i = 0; i < state / sizeof(float); i++) m->state[i] = NAN; /* never read */
    m->be = be;
}

static void mixer_close(mixer *m) {
    free(m->state);
    free(m->buf);
    fixture_free(&m->f);
}

static float *random_rows(int T, int D, uint64_t seed) {
    float *u = malloc(sizeof(float) * T * D);
    uint64_t s = seed;
    for (int i = 0; i < T * D; i++) u[i] = 2 * fixture_uniform(&s);
    return u;
}

/* y of T rows in calls of calls[i] tokens (0-terminated; the rest as one
 * last call), from position 0. */
static float *run_calls(mixer *m, const float *u, int T, const int *calls) {
    int D = m->f.c.d_model;
    float *y = malloc(sizeof(float) * T * D);
    int pos = 0;
    for (int i = 0; pos < T; i++) {
        int n = calls && calls[i] ? calls[i] : T - pos;
        if (n > T - pos) n = T - pos;
        titan_gdn_forward(&m->g, m->be, &m->b, m->state, pos, u + (size_t)pos * D,
                          y + (size_t)pos * D, n);
        pos += n;
    }
    return y;
}

static double compare(const float *got, const float *want, size_t n, const char *what,
                      double rtol) {
    close_acc c = close_floats(got, want, n);
    if (!close_report(&c, what, 0, rtol)) fail_msg("%s", what);
    return c.err / c.mag;
}

static const gdn_opts shapes[] = {
    /* Hk Hv Dk Dw Kc act out_norm mtp */
    {2, 4, 8, 6, 2, TITAN_GDN_ACT_ELU1, 0, 1},   /* golf-1.0785's options */
    {3, 3, 16, 16, 4, TITAN_GDN_ACT_SILU, 1, 3}, /* the defaults, Hv = Hk */
    {1, 2, 5, 11, 0, TITAN_GDN_ACT_SILU, 1, 2},  /* no conv, odd widths */
    {2, 2, 32, 40, 1, TITAN_GDN_ACT_ELU1, 1, 1}, /* Kc = 1, Dw past a vector block */
    {1, 3, 12, 9, 3, TITAN_GDN_ACT_SILU, 0, 4},  /* Hv = 3 Hk */
};
enum { N_SHAPES = sizeof shapes / sizeof *shapes };

/* The chunked form and the vector recurrence against the ref recurrence. */
static void chunked_matches_recurrence(void **state) {
    (void)state;
    static const int lengths[] = {1, 2, 17, 63, 64, 65, 130, 200};
    double worst_chunk = 0, worst_vec = 0;
    for (int s = 0; s < N_SHAPES; s++) {
        titan_config c = gdn_config(shapes[s]);
        for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
            int T = lengths[li];
            mixer ref, chunked, vec;
            mixer_open(&ref, &c, T, &ref_be, 5 + s);
            mixer_open(&chunked, &c, T, cpu2, 5 + s);
            mixer_open(&vec, &c, T, cpu1, 5 + s);
            chunked.g.chunk_min = 1;   /* every call chunked ... */
            vec.g.chunk_min = INT_MAX; /* ... or none */
            float *u = random_rows(T, c.d_model, 100 + T);
            float *want = run_calls(&ref, u, T, NULL);
            float *got = run_calls(&chunked, u, T, NULL);
            char what[96];
            snprintf(what, sizeof what, "shape %d T %d chunked", s, T);
            worst_chunk = max_nan(worst_chunk,
                                  compare(got, want, (size_t)T * c.d_model, what, 2e-5));
            free(got);
            got = run_calls(&vec, u, T, NULL);
            snprintf(what, sizeof what, "shape %d T %d vector", s, T);
            worst_vec =
                max_nan(worst_vec, compare(got, want, (size_t)T * c.d_model, what, 2e-5));
            free(got), free(want), free(u);
            mixer_close(&ref), mixer_close(&chunked), mixer_close(&vec);
        }
    }
    print_message("chunked vs recurrence: worst %.2e; vector recurrence: worst %.2e "
                  "(relative to max|y|)\n",
                  worst_chunk, worst_vec);
}

static int setup(void **state) {
    (void)state;
    titan_backend_ref(&ref_be);
    size_t bytes = titan_backend_cpu_arena_bytes(1) + titan_backend_cpu_arena_bytes(2) +
                   4 * TITAN_ALIGN;
    cpu_buf = aligned_alloc(TITAN_ALIGN, bytes);
    titan_arena a;
    titan_arena_init(&a, cpu_buf, bytes);
    if (titan_backend_cpu_create(&a, 1, &cpu1) || titan_backend_cpu_create(&a, 2, &cpu2))
        return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    titan_backend_destroy(cpu1);
    titan_backend_destroy(cpu2);
    free(cpu_buf);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chunked_matches_recurrence),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
