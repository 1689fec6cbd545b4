/* test_gdn_grad.c: the trainer's GDN op (tools/train/op_gdn.c). Its backward
 * pass against central finite differences in double for every element of
 * every GDN tensor and of the input, on small shapes with every option
 * (conv kernel 0..3, silu / elu1, gated RMSNorm or gate only, Hv = Hk and
 * Hv = 2Hk) and lengths within one chunk, at a chunk's end and across
 * chunks; and y and every gradient against PyTorch autograd through
 * golf_ref.gdn (tests/ref/gdn_check.py; skipped without torch). Any
 * mismatch, NaN included, fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#include "gdn_problem.h"

#define TRAIN_DOUBLE 1
#include "tools/train/op_gdn.h"

static void bind(const gdn_problem *p, train_gdn_weights_d *w, double *v) {
    memset(w, 0, sizeof *w);
    for (int i = 0; i < p->n; i++)
        assert_int_equal(train_gdn_bind_d(w, gdn_leaf(p, i), v + p->off[i]), 1);
}

/* The op in double on a problem: L = sum(y * R) and its gradients. */
typedef struct {
    gdn_problem p;
    double *acts, *scratch, *y;
} run_d;

static void run_open(run_d *r, gdn_opts o, int D, int T, uint64_t seed) {
    titan_config c = gdn_problem_config(o, D);
    gdn_problem_make(&r->p, &c, T, seed);
    r->y = malloc(sizeof(double) * T * D);
    r->acts = malloc(sizeof(double) * train_gdn_acts_size_d(T, &c));
    r->scratch = malloc(sizeof(double) * train_gdn_scratch_size_d(T, &c));
}

static void run_close(run_d *r) {
    free(r->y), free(r->acts), free(r->scratch);
    gdn_problem_free(&r->p);
}

static double loss(run_d *r) {
    train_gdn_weights_d w;
    bind(&r->p, &w, r->p.w);
    train_gdn_forward_d(r->y, r->p.u, &w, r->acts, r->scratch, r->p.T, &r->p.c);
    double s = 0;
    for (int i = 0; i < r->p.T * r->p.c.d_model; i++) s += r->y[i] * r->p.R[i];
    return s;
}

/* gw [count] and gu [T, D] = dL/dw, dL/du (fresh, zeroed, then backward). */
static void gradients(run_d *r, double **gw, double **gu) {
    size_t TD = (size_t)r->p.T * r->p.c.d_model;
    *gw = calloc(r->p.count, sizeof(double)), *gu = calloc(TD, sizeof(double));
    train_gdn_weights_d w, dw;
    bind(&r->p, &w, r->p.w);
    bind(&r->p, &dw, *gw);
    loss(r);
    train_gdn_backward_d(*gu, &dw, r->p.R, r->p.u, &w, r->acts, r->scratch, r->p.T,
                         &r->p.c);
}

/* Every gradient against (L(x + h) - L(x - h)) / 2h; fails above 1e-6 of
 * the tensor's largest gradient (plus FD_NOISE, the differences' own
 * rounding, |L| eps / h), or on a tensor with no gradient at all (but for
 * the decay's, exactly zero at T = 1). */
#define FD_NOISE 1e-9
static double check_fd(gdn_opts o, int T, uint64_t seed) {
    run_d r;
    run_open(&r, o, 5, T, seed);
    gdn_problem *p = &r.p;
    size_t TD = (size_t)T * p->c.d_model;
    double *gw, *gu, L0 = loss(&r);
    gradients(&r, &gw, &gu);
    assert_true(loss(&r) == L0); /* deterministic */
    const double h = 1e-6;
    double worst = 0;
    int bad = 0;
    for (int i = 0; i <= p->n; i++) { /* the tensors, then u */
        double *x = i < p->n ? p->w + p->off[i] : p->u,
               *g = i < p->n ? gw + p->off[i] : gu;
        size_t n = i < p->n ? p->len[i] : TD;
        close_acc e = {0};
        for (size_t j = 0; j < n; j++) {
            double keep = x[j];
            x[j] = keep + h;
            double lp = loss(&r);
            x[j] = keep - h;
            double lm = loss(&r);
            x[j] = keep;
            close_add(&e, j, g[j], (lp - lm) / (2 * h));
        }
        /* One token decays nothing: S_0 = 0 makes alpha_1 irrelevant. */
        const char *name = i < p->n ? gdn_leaf(p, i) : "u";
        bool inert =
            T == 1 && (!strcmp(name, "gdn_A_log") || !strcmp(name, "gdn_dt_bias"));
        double rel = e.err / fmax(e.mag, 1e-3); /* tiny gradients: absolute */
        worst = max_nan(worst, rel);
        if (!close_ok(&e, FD_NOISE, 1e-6) || (inert ? e.mag != 0 : !(e.mag > 0))) {
            print_error(
                "T %d %s: max|fd| %.3e, err %.3e (rel %.3e) at [%zu]: %.9g vs %.9g\n", T,
                i < p->n ? gdn_leaf(p, i) : "u", e.mag, e.err, rel, e.at, e.got, e.want);
            bad++;
        }
    }
    free(gw), free(gu);
    run_close(&r);
    if (bad) fail_msg("%d tensors off", bad);
    return worst;
}

static const gdn_opts options[] = {
    /* Hk Hv Dk Dw Kc act out_norm mtp */
    {1, 2, 3, 2, 2, TITAN_GDN_ACT_ELU1, 0, 1}, /* golf-1.0785's options */
    {2, 2, 3, 3, 4, TITAN_GDN_ACT_SILU, 1, 1}, /* the defaults, Hv = Hk */
    {1, 1, 2, 3, 0, TITAN_GDN_ACT_SILU, 1, 1}, /* no conv */
    {1, 2, 4, 2, 1, TITAN_GDN_ACT_ELU1, 1, 1}, /* Kc = 1 */
};

static void gradients_match_finite_differences(void **state) {
    (void)state;
    double worst = 0;
    for (size_t i = 0; i < sizeof options / sizeof *options; i++) {
        worst = max_nan(worst, check_fd(options[i], 1, 3 + i));
        worst = max_nan(worst, check_fd(options[i], 9, 5 + i));
    }
    print_message("T 1 and 9, 4 option sets: worst relative error %.2e\n", worst);
}

/* Chunk ends: exactly one chunk, one past it, and three chunks. */
static void gradients_across_chunks(void **state) {
    (void)state;
    double worst = check_fd(options[0], 64, 11);
    worst = max_nan(worst, check_fd(options[1], 65, 12));
    worst = max_nan(worst, check_fd(options[3], 130, 13));
    print_message("T 64, 65, 130: worst relative error %.2e\n", worst);
}

/* y, dL/du and every dL/dw against golf_ref.gdn with autograd (float64),
 * to 1e-9 of each tensor's largest value. */
static double check_torch(gdn_opts o, int D, int T, uint64_t seed) {
    run_d r;
    run_open(&r, o, D, T, seed);
    double *gw, *gu;
    gradients(&r, &gw, &gu);
    gdn_torch t;
    gdn_torch_run(&r.p, &t);
    size_t TD = (size_t)T * D;
    close_acc e = gdn_close(r.y, t.y, TD);
    assert_close(&e, "y", 0, 1e-9);
    double worst = e.err / e.mag;
    e = gdn_close(gu, t.du, TD);
    assert_close(&e, "du", 0, 1e-9);
    worst = max_nan(worst, e.err / e.mag);
    for (int i = 0; i < r.p.n; i++) {
        e = gdn_close(gw + r.p.off[i], t.dw + r.p.off[i], r.p.len[i]);
        assert_close(&e, gdn_leaf(&r.p, i), 0, 1e-9);
        worst = max_nan(worst, e.err / e.mag);
    }
    gdn_torch_free(&t);
    free(gw), free(gu);
    run_close(&r);
    return worst;
}

static void double_matches_torch(void **state) {
    (void)state;
    if (!gdn_have_torch()) skip();
    double worst = 0;
    for (size_t i = 0; i < sizeof options / sizeof *options; i++)
        worst = max_nan(worst, check_torch(options[i], 5, 70, 30 + i));
    gdn_opts wide = {2, 4, 16, 8, 3, TITAN_GDN_ACT_SILU, 1, 1};
    worst = max_nan(worst, check_torch(wide, 24, 150, 40));
    print_message("y and gradients vs golf_ref autograd (float64): worst relative "
                  "error %.2e\n",
                  worst);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradients_match_finite_differences),
        cmocka_unit_test(gradients_across_chunks),
        cmocka_unit_test(double_matches_torch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
