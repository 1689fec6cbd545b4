/* test_gdn.c: the runtime's Gated DeltaNet mixer (core/gdn.c). The chunked
 * form (cpu backend) and the vector recurrence against the plain recurrence
 * (ref backend), over many shapes and every option; every backend against
 * the trainer's chunked forward in double (tools/train/op_gdn.c, code of its
 * own); prefill then decode at many split points against all-decode;
 * rewinds; the same bits for any thread count; the plan and the state size.
 * The state starts as NaN: the mixer must never read it at position 0.
 * Every comparison fails on NaN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "gdn_problem.h"

#include "core/gdn.h"
#include "platform/backend_cpu.h"

#define TRAIN_DOUBLE 1
#include "tools/train/op_gdn.h"

#include <limits.h>

static titan_backend ref_be, *cpu1, *cpu2;
static void *cpu_buf;

/* One mixer on one backend (tests may allocate). */
typedef struct {
    gdn_problem p;
    titan_tensor t[8];
    const titan_tensor *w[8];
    float *wbuf, *u, *state;
    void *buf;
    titan_arena a;
    titan_gdn g;
    titan_gdn_block b;
    titan_backend *be;
} mixer;

static void mixer_open(mixer *m, gdn_opts o, int D, int T, int batch, titan_backend *be,
                       uint64_t seed) {
    titan_config c = gdn_problem_config(o, D);
    gdn_problem_make(&m->p, &c, T, seed);
    gdn_problem_tensors(&m->p, m->t, m->w, &m->wbuf);
    m->u = malloc(sizeof(float) * T * D);
    for (int i = 0; i < T * D; i++) m->u[i] = (float)m->p.u[i];
    size_t scratch, state;
    assert_int_equal(titan_gdn_plan(&c, batch, &scratch, &state), TITAN_OK);
    titan_arena meas;
    titan_arena_init(&meas, NULL, 0);
    assert_int_equal(titan_gdn_block_carve(&meas, &c, &m->b), TITAN_OK);
    size_t cap = scratch + meas.high + TITAN_ALIGN;
    m->buf = aligned_alloc(TITAN_ALIGN, (cap + TITAN_ALIGN) & ~(size_t)(TITAN_ALIGN - 1));
    titan_arena_init(&m->a, m->buf, cap);
    assert_int_equal(titan_gdn_carve(&m->a, &c, batch, &m->g), TITAN_OK);
    assert_int_equal(m->a.high, scratch); /* the plan is exact */
    assert_int_equal(titan_gdn_block_carve(&m->a, &c, &m->b), TITAN_OK);
    assert_int_equal(titan_gdn_block_bind(&m->b, &m->g, m->w), m->p.n);
    /* SPEC's state: S for M + 1 positions, Kc - 1 + M pre-conv rows. */
    size_t C = 2 * (size_t)o.Hk * o.Dk + (size_t)o.Hv * o.Dw, M = c.mtp_heads;
    size_t want = (M + 1) * o.Hv * o.Dk * o.Dw + (o.Kc > 1 ? (o.Kc - 1 + M) * C : 0);
    assert_int_equal(titan_gdn_state_floats(&c), (want + 15) / 16 * 16);
    assert_int_equal(state, titan_gdn_state_floats(&c) * sizeof(float));
    assert_int_equal(titan_gdn_layers(&c), 1);
    m->state = malloc(state);
    for (size_t i = 0; i < state / sizeof(float); i++) m->state[i] = NAN;
    m->be = be;
}

static void mixer_close(mixer *m) {
    free(m->state), free(m->u), free(m->wbuf), free(m->buf);
    gdn_problem_free(&m->p);
}

/* y of rows [pos, pos + n) of the problem's u at position pos. */
static void forward(mixer *m, int pos, int n, float *y) {
    int D = m->p.c.d_model;
    titan_gdn_forward(&m->g, m->be, &m->b, m->state, pos, m->u + (size_t)pos * D,
                      y + (size_t)pos * D, n);
}

/* y of all T rows in calls of calls[i] tokens (0 ends the list; the rest
 * as one call), from position 0. */
static float *run_calls(mixer *m, const int *calls) {
    int T = m->p.T;
    float *y = malloc(sizeof(float) * T * m->p.c.d_model);
    for (int i = 0, pos = 0; pos < T; i++) {
        int n = calls && calls[i] ? calls[i] : T - pos;
        n = n < T - pos ? n : T - pos;
        forward(m, pos, n, y);
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
enum { N_SHAPES = sizeof shapes / sizeof *shapes, D = 24 };

/* The chunked form (every call, even of 2 tokens) and the vector
 * recurrence (no call) on the cpu backend against the ref recurrence. */
static void chunked_matches_recurrence(void **state) {
    (void)state;
    static const int lengths[] = {1, 2, 17, 63, 64, 65, 130, 200};
    double worst_chunk = 0, worst_vec = 0;
    for (int s = 0; s < N_SHAPES; s++)
        for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
            int T = lengths[li];
            mixer ref, chunked, vec;
            mixer_open(&ref, shapes[s], D, T, T, &ref_be, 5 + s);
            mixer_open(&chunked, shapes[s], D, T, T, cpu2, 5 + s);
            mixer_open(&vec, shapes[s], D, T, T, cpu1, 5 + s);
            chunked.g.chunk_min = 1;
            vec.g.chunk_min = INT_MAX;
            float *want = run_calls(&ref, NULL), *got = run_calls(&chunked, NULL);
            char what[96];
            snprintf(what, sizeof what, "shape %d T %d chunked", s, T);
            worst_chunk =
                max_nan(worst_chunk, compare(got, want, (size_t)T * D, what, 1e-5));
            free(got);
            got = run_calls(&vec, NULL);
            snprintf(what, sizeof what, "shape %d T %d vector", s, T);
            worst_vec = max_nan(worst_vec, compare(got, want, (size_t)T * D, what, 1e-5));
            free(got), free(want);
            mixer_close(&ref), mixer_close(&chunked), mixer_close(&vec);
        }
    print_message("chunked vs recurrence: worst %.2e; vector recurrence: worst %.2e "
                  "(relative to max|y|)\n",
                  worst_chunk, worst_vec);
}

/* Every backend and form against the trainer's chunked forward in double
 * (same weights, same u). */
static void mixer_matches_trainer_double(void **state) {
    (void)state;
    double worst = 0;
    for (int s = 0; s < N_SHAPES; s++) {
        int T = 150;
        mixer m;
        mixer_open(&m, shapes[s], D, T, T, &ref_be, 40 + s);
        double *y = malloc(sizeof(double) * T * D);
        double *acts = malloc(sizeof(double) * train_gdn_acts_size_d(T, &m.p.c));
        double *scratch = malloc(sizeof(double) * train_gdn_scratch_size_d(T, &m.p.c));
        train_gdn_weights_d w = {0};
        for (int i = 0; i < m.p.n; i++)
            assert_int_equal(train_gdn_bind_d(&w, gdn_leaf(&m.p, i), m.p.w + m.p.off[i]),
                             1);
        train_gdn_forward_d(y, m.p.u, &w, acts, scratch, T, &m.p.c);
        float *want = malloc(sizeof(float) * T * D);
        for (int i = 0; i < T * D; i++) want[i] = (float)y[i];
        titan_backend *bes[3] = {&ref_be, cpu2, cpu1};
        for (int b = 0; b < 3; b++) {
            m.be = bes[b];
            m.g.chunk_min = b == 2 ? INT_MAX : TITAN_GDN_CHUNK_MIN;
            static const int calls[] = {100, 1, 1, 7, 0};
            float *got = run_calls(&m, b ? calls : NULL);
            char what[64];
            snprintf(what, sizeof what, "shape %d backend %d", s, b);
            worst = max_nan(worst, compare(got, want, (size_t)T * D, what, 1e-5));
            free(got);
        }
        free(want), free(y), free(acts), free(scratch);
        mixer_close(&m);
    }
    print_message("runtime (float) vs trainer (double): worst %.2e relative\n", worst);
}

/* Prefill of k tokens, then decode, against all-decode, for split points
 * around the chunk size and the chunked threshold; two prefills too. */
static void prefill_then_decode(void **state) {
    (void)state;
    enum { T = 150 };
    static const int splits[][4] = {{1},  {15},  {16},  {17},  {63},        {64},
                                    {65}, {100}, {149}, {150}, {70, 40, 1}, {3, 64, 64}};
    double worst = 0;
    int ones[T];
    for (int i = 0; i < T; i++) ones[i] = 1;
    for (int s = 0; s < N_SHAPES; s++) {
        mixer m;
        mixer_open(&m, shapes[s], D, T, T, cpu2, 60 + s);
        float *want = run_calls(&m, ones);
        for (size_t k = 0; k < sizeof splits / sizeof *splits; k++) {
            int calls[T + 4], n = 0, used = 0;
            for (int j = 0; j < 4 && splits[k][j]; j++) used += calls[n++] = splits[k][j];
            while (used < T) calls[n++] = 1, used++;
            calls[n] = 0;
            float *got = run_calls(&m, calls);
            char what[64];
            snprintf(what, sizeof what, "shape %d split %zu", s, k);
            worst = max_nan(worst, compare(got, want, (size_t)T * D, what, 1e-5));
            free(got);
        }
        free(want);
        mixer_close(&m);
    }
    print_message("prefill + decode vs all-decode: worst %.2e relative\n", worst);
}

/* A call of n tokens at position 40 whose last r tokens are dropped
 * again (r <= M, as a rejected draft is), then the real tokens from there
 * on: the same as never having run the dropped ones, the state slots and
 * conv rows of earlier positions being kept. n = M + 1 is a decode draft;
 * n = 50 also runs the chunked form before its last M tokens. */
static void rewinds(void **state) {
    (void)state;
    enum { T = 120, AT = 40 };
    for (int s = 0; s < N_SHAPES; s++) {
        int M = shapes[s].mtp, sizes[2] = {M + 1, 50};
        for (int k = 0; k < 2; k++)
            for (int r = 1; r <= M; r++) {
                mixer m;
                mixer_open(&m, shapes[s], D, T, T, cpu2, 80 + s);
                float *want = run_calls(&m, NULL), *got = malloc(sizeof(float) * T * D);
                int n = sizes[k], pos = AT + n - r;
                float *junk = m.u + (size_t)pos * D;
                for (int i = 0; i < r * D; i++) junk[i] = -junk[i];
                forward(&m, 0, AT, got);
                forward(&m, AT, n, got);
                for (int i = 0; i < r * D; i++) junk[i] = -junk[i];
                forward(&m, pos, T - pos, got); /* rewound to pos */
                char what[64];
                snprintf(what, sizeof what, "shape %d call %d rewind %d", s, n, r);
                compare(got, want, (size_t)T * D, what, 1e-5);
                free(got), free(want);
                mixer_close(&m);
            }
    }
}

/* One and two threads: the same bits, prefill (chunked) and decode. */
static void thread_count_is_invisible(void **state) {
    (void)state;
    for (int s = 0; s < N_SHAPES; s++) {
        int T = 140;
        mixer a, b;
        mixer_open(&a, shapes[s], D, T, T, cpu1, 90 + s);
        mixer_open(&b, shapes[s], D, T, T, cpu2, 90 + s);
        static const int calls[] = {130, 1, 1, 1, 0};
        float *ya = run_calls(&a, calls), *yb = run_calls(&b, calls);
        assert_memory_equal(ya, yb, sizeof(float) * T * D);
        free(ya), free(yb);
        mixer_close(&a), mixer_close(&b);
    }
}

static int setup(void **state) {
    (void)state;
    titan_backend_ref(&ref_be);
    size_t bytes = (titan_backend_cpu_arena_bytes(1) + titan_backend_cpu_arena_bytes(2) +
                    4 * TITAN_ALIGN) &
                   ~(size_t)(TITAN_ALIGN - 1); /* aligned_alloc wants a multiple */
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
        cmocka_unit_test(mixer_matches_trainer_double),
        cmocka_unit_test(prefill_then_decode),
        cmocka_unit_test(rewinds),
        cmocka_unit_test(thread_count_is_invisible),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
