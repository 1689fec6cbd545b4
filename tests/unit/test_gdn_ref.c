/* test_gdn_ref.c: the float GDN mixers against the independent PyTorch
 * reference of SPEC section 8 (tests/ref/golf_ref.py's gdn(), float64, through
 * tests/ref/gdn_check.py): the runtime (core/gdn.c) on the ref backend, and
 * on the cpu backend as one chunked prefill and as prefill then decode, and
 * the trainer's float build (tools/train/op_gdn.c) with every gradient.
 * Shapes with every option, golf-1.0785's GDN widths among them. Skips when
 * /usr/bin/python3 with torch is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "gdn_problem.h"

#include "core/gdn.h"
#include "platform/backend_cpu.h"
#include "tools/train/op_gdn.h"

static titan_backend ref_be, *cpu2;
static void *cpu_buf;

/* A close_acc of n floats against n doubles. */
static close_acc close_fd(const float *got, const double *want, size_t n) {
    close_acc c = {0};
    for (size_t i = 0; i < n; i++) close_add(&c, i, got[i], want[i]);
    return c;
}

/* The runtime's y in calls of calls[] tokens (NULL: one call). */
static float *runtime_y(const gdn_problem *p, titan_backend *be, const int *calls) {
    int T = p->T, Dm = p->c.d_model;
    titan_tensor t[8];
    const titan_tensor *w[8];
    float *wbuf, *u = malloc(sizeof(float) * T * Dm), *y = malloc(sizeof(float) * T * Dm);
    for (int i = 0; i < T * Dm; i++) u[i] = (float)p->u[i];
    gdn_problem_tensors(p, t, w, &wbuf);
    size_t scratch, state;
    assert_int_equal(titan_gdn_plan(&p->c, T, &scratch, &state), TITAN_OK);
    titan_gdn g;
    titan_gdn_block b;
    titan_arena a;
    titan_arena_init(&a, NULL, 0);
    assert_int_equal(titan_gdn_block_carve(&a, &p->c, &b), TITAN_OK);
    size_t cap = (scratch + a.high + 2 * TITAN_ALIGN) & ~(size_t)(TITAN_ALIGN - 1);
    void *buf = aligned_alloc(TITAN_ALIGN, cap);
    titan_arena_init(&a, buf, cap);
    assert_int_equal(titan_gdn_carve(&a, &p->c, T, &g), TITAN_OK);
    assert_int_equal(titan_gdn_block_carve(&a, &p->c, &b), TITAN_OK);
    assert_int_equal(titan_gdn_block_bind(&b, &g, w), p->n);
    float *st = malloc(state);
    for (int i = 0, pos = 0; pos < T; i++) {
        int n = calls && calls[i] ? calls[i] : T - pos;
        titan_gdn_forward(&g, be, &b, st, pos, u + (size_t)pos * Dm, y + (size_t)pos * Dm,
                          n);
        pos += n;
    }
    free(st), free(buf), free(wbuf), free(u);
    return y;
}

/* The trainer's float build: y, and dL/du, dL/dw with dL/dy = R. */
static void trainer_float(const gdn_problem *p, float *y, float *du, float *dw) {
    int T = p->T;
    size_t TD = (size_t)T * p->c.d_model;
    float *w = malloc(sizeof(float) * p->count), *u = malloc(sizeof(float) * TD);
    float *R = malloc(sizeof(float) * TD);
    float *acts = malloc(sizeof(float) * train_gdn_acts_size(T, &p->c));
    float *scratch = malloc(sizeof(float) * train_gdn_scratch_size(T, &p->c));
    for (size_t i = 0; i < p->count; i++) w[i] = (float)p->w[i], dw[i] = 0;
    for (size_t i = 0; i < TD; i++)
        u[i] = (float)p->u[i], R[i] = (float)p->R[i], du[i] = 0;
    train_gdn_weights wt = {0}, gt = {0};
    for (int i = 0; i < p->n; i++) {
        assert_int_equal(train_gdn_bind(&wt, gdn_leaf(p, i), w + p->off[i]), 1);
        assert_int_equal(train_gdn_bind(&gt, gdn_leaf(p, i), dw + p->off[i]), 1);
    }
    train_gdn_forward(y, u, &wt, acts, scratch, T, &p->c);
    train_gdn_backward(du, &gt, R, u, &wt, acts, scratch, T, &p->c);
    free(w), free(u), free(R), free(acts), free(scratch);
}

static double worst_y = 0, worst_grad = 0;

/* Relative error of a comparison (0 for all-zero values: T = 1 leaves the
 * decay without gradient). */
static double rel(const close_acc *e) { return e->mag > 0 ? e->err / e->mag : e->err; }

static void check(gdn_opts o, int Dm, int T, uint64_t seed) {
    titan_config c = gdn_problem_config(o, Dm);
    gdn_problem p;
    gdn_problem_make(&p, &c, T, seed);
    gdn_torch ref;
    gdn_torch_run(&p, &ref);
    size_t TD = (size_t)T * Dm;
    int decode[] = {T > 20 ? T - 20 : 1, 1, 1, 1, 1, 1, 1, 1, 0};
    const struct {
        const char *what;
        titan_backend *be;
        const int *calls;
    } runs[] = {{"runtime ref", &ref_be, NULL},
                {"runtime cpu prefill", cpu2, NULL},
                {"runtime cpu prefill + decode", cpu2, decode}};
    for (size_t r = 0; r < sizeof runs / sizeof *runs; r++) {
        float *y = runtime_y(&p, runs[r].be, runs[r].calls);
        close_acc e = close_fd(y, ref.y, TD);
        assert_close(&e, runs[r].what, 0, 1e-5);
        worst_y = max_nan(worst_y, rel(&e));
        free(y);
    }
    float *y = malloc(sizeof(float) * TD), *du = malloc(sizeof(float) * TD);
    float *dw = malloc(sizeof(float) * p.count);
    trainer_float(&p, y, du, dw);
    close_acc e = close_fd(y, ref.y, TD);
    assert_close(&e, "trainer y", 0, 1e-5);
    worst_y = max_nan(worst_y, rel(&e));
    e = close_fd(du, ref.du, TD);
    assert_close(&e, "trainer du", 0, 1e-4);
    worst_grad = max_nan(worst_grad, rel(&e));
    for (int i = 0; i < p.n; i++) {
        e = close_fd(dw + p.off[i], ref.dw + p.off[i], p.len[i]);
        assert_close(&e, gdn_leaf(&p, i), 0, 1e-4);
        worst_grad = max_nan(worst_grad, rel(&e));
    }
    free(y), free(du), free(dw);
    gdn_torch_free(&ref);
    gdn_problem_free(&p);
}

static void float_mixers_match_torch(void **state) {
    (void)state;
    if (!gdn_have_torch()) skip();
    static const gdn_opts opts[] = {
        /* Hk Hv Dk Dw Kc act out_norm mtp */
        {2, 4, 64, 64, 2, TITAN_GDN_ACT_ELU1, 0, 1}, /* golf-1.0785's GDN blocks */
        {3, 3, 16, 16, 4, TITAN_GDN_ACT_SILU, 1, 3}, /* the defaults, Hv = Hk */
        {1, 2, 5, 11, 0, TITAN_GDN_ACT_SILU, 1, 2},  /* no conv, odd widths */
        {2, 2, 32, 40, 1, TITAN_GDN_ACT_ELU1, 1, 1}, /* Kc = 1 */
    };
    static const int lengths[] = {150, 100, 77, 64};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        check(opts[i], i == 0 ? 128 : 24, lengths[i], 7 + i);
    check(opts[2], 24, 1, 3); /* one token */
    print_message("y: worst %.2e relative (runtime ref, cpu prefill, cpu decode, "
                  "trainer float); trainer float gradients: worst %.2e\n",
                  worst_y, worst_grad);
}

static int setup(void **state) {
    (void)state;
    titan_backend_ref(&ref_be);
    size_t bytes = titan_backend_cpu_arena_bytes(2) + 2 * TITAN_ALIGN;
    cpu_buf =
        aligned_alloc(TITAN_ALIGN, (bytes + TITAN_ALIGN) & ~(size_t)(TITAN_ALIGN - 1));
    titan_arena a;
    titan_arena_init(&a, cpu_buf, bytes);
    return titan_backend_cpu_create(&a, 2, &cpu2) ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    titan_backend_destroy(cpu2);
    free(cpu_buf);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(float_mixers_match_torch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
