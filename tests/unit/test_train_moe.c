/* test_train_moe.c: the trainer's MoE layer (tools/train/op_moe.c) in the
 * double build. The loss L = sum(R * y) + w_bal l_bal + w_z l_z; its
 * gradient against central finite differences in every value of every
 * tensor (router, experts, adapters) and of u, for top-k and top-1, k = E,
 * gates renormalized or not, an expert no row is routed to (its router row
 * gets only the l_bal/l_z gradient), T = 7; l_bal and l_z alone (R = 0);
 * equal router logits going to the lower index; an unrouted expert never
 * running (NaN weights change nothing); a stream run as two calls into
 * one st equal to one call; and y, l_bal, l_z and all
 * gradients against xenith_ref.moe() with PyTorch autograd (skipped without
 * torch). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#define TRAIN_DOUBLE 1
#include "titan.h"
#include "tools/train/op_moe.h"
#include "xop_problem.h"

#include <math.h>

enum { D = 5, FE = 3, T = 7, MAXE = 4 };

typedef struct {
    titan_config c;
    xop_tensors t;
    double u[T * D], R[T * D], w_bal, w_z;
    train_swiglu_weights_d ex[MAXE], dex[MAXE];
    train_moe_weights_d w, dw;
    double *acts, *scratch, y[T * D], du[T * D];
    train_moe_stats_d st;
    int32_t load[MAXE];
    double psum[MAXE];
} moe_case;

/* E experts, top k, rank r (w_up not a target: no adapter). Router row
 * E-1 reads only u[:, 0] (in [1.5, 2.5]) with weight -4, so expert E-1
 * never wins while k < E. */
static void make(moe_case *m, int E, int k, bool renorm, int r, uint64_t seed) {
    memset(m, 0, sizeof *m);
    titan_config *c = &m->c;
    c->family = TITAN_FAMILY_XENITH, c->d_model = D, c->moe_experts = E;
    c->moe_top_k = k, c->moe_hidden = FE, c->moe_renormalize = renorm;
    c->lora_rank = r, c->lora_alpha = 1.5 * r, c->norm_eps = 1e-5;
    xop_add_mat(&m->t, "router", E, D, r);
    char n[64];
    for (int e = 0; e < E; e++) {
        snprintf(n, sizeof n, "experts.%d.", e);
        xop_add_swiglu(&m->t, n, FE, D, r);
    }
    xop_fill(&m->t, seed, 1.5);
    double *last = m->t.w + (size_t)(E - 1) * D;
    for (int j = 0; j < D; j++) last[j] = j ? 0 : -4;
    uint64_t s = seed + 99;
    for (int i = 0; i < T * D; i++) {
        m->u[i] = (float)xop_uniform(&s);
        if (i % D == 0) m->u[i] = 2 + 0.5 * m->u[i];
        m->R[i] = (float)xop_uniform(&s);
    }
    m->w.experts = m->ex, m->dw.experts = m->dex;
    for (int i = 0; i < m->t.n; i++) {
        assert_int_equal(train_moe_bind_d(&m->w, m->t.name[i], m->t.w + m->t.off[i], E),
                         1);
        assert_int_equal(train_moe_bind_d(&m->dw, m->t.name[i], m->t.g + m->t.off[i], E),
                         1);
    }
    assert_int_equal(train_moe_bind_d(&m->w, "experts.9.w_up", NULL, E), 0);
    m->acts = malloc(sizeof(double) * train_moe_acts_size_d(T, c));
    m->scratch = malloc(sizeof(double) * train_moe_scratch_size_d(T, c));
    m->w_bal = 0.7, m->w_z = 0.3;
    m->st.load = m->load, m->st.psum = m->psum;
}

static void release(moe_case *m) { xop_free(&m->t), free(m->acts), free(m->scratch); }

static double forward(moe_case *m) {
    train_moe_stats_reset_d(&m->st, m->c.moe_experts);
    train_moe_forward_d(m->y, &m->st, m->u, &m->w, m->acts, m->scratch, T, &m->c);
    double L = m->w_bal * m->st.l_bal + m->w_z * m->st.l_z;
    for (int i = 0; i < T * D; i++) L += m->R[i] * m->y[i];
    return L;
}

static double loss(void *ctx) { return forward(ctx); }

static void backward(moe_case *m) {
    forward(m);
    memset(m->t.g, 0, sizeof(double) * m->t.count);
    memset(m->du, 0, sizeof m->du);
    train_moe_backward_d(m->du, &m->dw, m->R, m->w_bal, m->w_z, &m->st, m->u, &m->w,
                         m->acts, m->scratch, T, &m->c);
}

/* Every row's k-th and (k+1)-th router logits differ by more than FD moves
 * them (the selection is the same at every probe). */
static void assert_margin(moe_case *m) {
    int E = m->c.moe_experts, k = m->c.moe_top_k, r = m->c.lora_rank;
    double z[T * MAXE], xs[T * MAXE];
    if (k == E) return;
    train_lora_mat_forward_d(z, xs, m->u, &m->w.router, T, D, E, r,
                             r ? m->c.lora_alpha / r : 0);
    for (int t = 0; t < T; t++) {
        double *zt = z + t * E;
        for (int a = 0; a < E; a++) /* sort descending */
            for (int b = a + 1; b < E; b++)
                if (zt[b] > zt[a]) {
                    double x = zt[a];
                    zt[a] = zt[b], zt[b] = x;
                }
        assert_true(zt[k - 1] - zt[k] > 1e-3);
    }
}

/* FD of every tensor and of u; returns the worst |diff| over the largest
 * |gradient| of them all. */
static double check_all(moe_case *m) {
    assert_margin(m);
    backward(m);
    return xop_fd_all(loss, m, &m->t, m->u, m->du, T * D, "u");
}

static void top2_renormalized(void **state) {
    (void)state;
    moe_case m;
    make(&m, 4, 2, true, 2, 1);
    double err = check_all(&m);
    assert_int_equal(m.load[3], 0); /* never routed: no expert gradient */
    assert_true(*xop_at(&m.t, m.t.g, "experts.3.w_gate") == 0);
    int sum = 0;
    for (int e = 0; e < 4; e++) sum += m.load[e];
    assert_int_equal(sum, 2 * T);
    print_message("moe top-2 renormalized: max rel err vs FD %.2e\n", err);
    release(&m);
}

static void top2_plain_gates(void **state) {
    (void)state;
    moe_case m;
    make(&m, 4, 2, false, 2, 2);
    print_message("moe top-2 softmax gates: max rel err vs FD %.2e\n", check_all(&m));
    release(&m);
}

static void top1_and_all(void **state) {
    (void)state;
    moe_case m;
    make(&m, 4, 1, true, 2, 3);
    print_message("moe top-1: max rel err vs FD %.2e\n", check_all(&m));
    release(&m);
    make(&m, 3, 3, false, 1, 4); /* k = E: every expert every row */
    print_message("moe k = E: max rel err vs FD %.2e\n", check_all(&m));
    for (int e = 0; e < 3; e++) assert_int_equal(m.load[e], T);
    release(&m);
}

/* l_bal and l_z alone (R = 0), each, and without adapters. */
static void aux_losses_alone(void **state) {
    (void)state;
    moe_case m;
    make(&m, 4, 2, true, 0, 5);
    memset(m.R, 0, sizeof m.R);
    m.w_bal = 1, m.w_z = 0;
    double e1 = check_all(&m);
    assert_true(m.st.l_bal > 0.5 && m.st.l_bal < 4);
    m.w_bal = 0, m.w_z = 1;
    double e2 = check_all(&m);
    print_message("moe l_bal alone %.2e, l_z alone %.2e (max rel err vs FD)\n", e1, e2);
    release(&m);
}

/* Router rows 1 and 2 equal and far ahead: z_1 == z_2 exactly on every row.
 * Top-1 takes expert 1 (the lower index) with gate 1; top-2 both. */
static void tie_case(moe_case *m, int k) {
    make(m, 4, k, true, 0, 6);
    for (int j = 0; j < D; j++) m->t.w[1 * D + j] = m->t.w[2 * D + j] = j ? 0 : 3;
    forward(m);
}

static void ties_go_to_the_lower_index(void **state) {
    (void)state;
    moe_case m;
    tie_case(&m, 1);
    assert_int_equal(m.load[1], T);
    assert_int_equal(m.load[2], 0);
    double y1[T * D], a[T * 3 * FE];
    train_xswiglu_forward_d(y1, a, m.u, &m.ex[1], T, D, FE, 0, 0);
    assert_memory_equal(y1, m.y, sizeof y1);
    release(&m);
    tie_case(&m, 2);
    assert_int_equal(m.load[1], T);
    assert_int_equal(m.load[2], T);
    release(&m);
}

/* Expert 3 receives no row: with its tensors NaN, y and every other
 * gradient stay as they were (it never runs, not even at gate 0). */
static void unrouted_expert_never_runs(void **state) {
    (void)state;
    moe_case m;
    make(&m, 4, 2, true, 2, 1);
    backward(&m);
    double y[T * D], du[T * D], *g = malloc(sizeof(double) * m.t.count);
    memcpy(y, m.y, sizeof y), memcpy(du, m.du, sizeof du);
    memcpy(g, m.t.g, sizeof(double) * m.t.count);
    size_t from = m.t.off[xop_find(&m.t, "experts.3.w_gate")];
    for (size_t i = from; i < m.t.count; i++) m.t.w[i] = NAN;
    backward(&m);
    assert_memory_equal(y, m.y, sizeof y);
    assert_memory_equal(du, m.du, sizeof du);
    assert_memory_equal(g, m.t.g, sizeof(double) * m.t.count);
    free(g);
    release(&m);
}

/* A stream run as two calls, rows [0, 3) then [3, 7), each on its own acts
 * into one st: l_bal, l_z (f and P over all 7 rows), y and every gradient
 * as one call of the 7 rows. */
static void two_calls_are_one_stream(void **state) {
    (void)state;
    moe_case m;
    make(&m, 4, 2, true, 2, 9);
    backward(&m);
    double y[T * D], du[T * D], *g = malloc(sizeof(double) * m.t.count);
    double bal = m.st.l_bal, zl = m.st.l_z;
    memcpy(y, m.y, sizeof y), memcpy(du, m.du, sizeof du);
    memcpy(g, m.t.g, sizeof(double) * m.t.count);
    const int cut[3] = {0, 3, T};
    double *acts[2];
    train_moe_stats_reset_d(&m.st, 4);
    for (int i = 0; i < 2; i++) {
        int n = cut[i + 1] - cut[i];
        acts[i] = malloc(sizeof(double) * train_moe_acts_size_d(n, &m.c));
        train_moe_forward_d(m.y + cut[i] * D, &m.st, m.u + cut[i] * D, &m.w, acts[i],
                            m.scratch, n, &m.c);
    }
    assert_int_equal(m.st.T, T);
    memset(m.t.g, 0, sizeof(double) * m.t.count);
    memset(m.du, 0, sizeof m.du);
    for (int i = 1; i >= 0; i--)
        train_moe_backward_d(m.du + cut[i] * D, &m.dw, m.R + cut[i] * D, m.w_bal, m.w_z,
                             &m.st, m.u + cut[i] * D, &m.w, acts[i], m.scratch,
                             cut[i + 1] - cut[i], &m.c);
    double got[2] = {m.st.l_bal, m.st.l_z}, want[2] = {bal, zl};
    double e = xop_compare(got, want, 2, 1e-14, "l_bal, l_z");
    e = fmax(e, xop_compare(m.y, y, T * D, 1e-14, "y"));
    e = fmax(e, xop_compare(m.du, du, T * D, 1e-13, "du"));
    e = fmax(e, xop_compare(m.t.g, g, m.t.count, 1e-13, "tensor gradients"));
    print_message("moe in two calls vs one: max rel err %.2e\n", e);
    free(acts[0]), free(acts[1]), free(g);
    release(&m);
}

static void matches_pytorch(void **state) {
    (void)state;
    if (!xop_have_torch()) skip();
    const bool renorm[2] = {true, false};
    for (int v = 0; v < 2; v++) {
        moe_case m;
        make(&m, 4, 2, renorm[v], 2, 7 + v);
        backward(&m);
        char dir[] = "/tmp/titan-xmoe-XXXXXX", json[512];
        snprintf(json, sizeof json,
                 "\"T\": %d, \"d_model\": %d, \"moe_experts\": %d, \"moe_top_k\": %d, "
                 "\"moe_hidden\": %d, \"moe_renormalize\": %s, \"lora_rank\": %d, "
                 "\"lora_alpha\": %.17g, \"w_bal\": %.17g, \"w_z\": %.17g",
                 T, D, 4, 2, FE, renorm[v] ? "true" : "false", m.c.lora_rank,
                 m.c.lora_alpha, m.w_bal, m.w_z);
        xop_dir(dir, json, &m.t);
        xop_file(dir, "u.f64", m.u, T * D, true);
        xop_file(dir, "r.f64", m.R, T * D, true);
        xop_run("moe", dir);
        double y[T * D], du[T * D], aux[2], *g = malloc(sizeof(double) * m.t.count);
        memcpy(g, m.t.g, sizeof(double) * m.t.count);
        xop_file(dir, "y.f64", y, T * D, false);
        xop_file(dir, "du.f64", du, T * D, false);
        xop_file(dir, "aux.f64", aux, 2, false);
        xop_tensor_files(dir, &m.t, false);
        xop_rmdir(dir);
        double got_aux[2] = {m.st.l_bal, m.st.l_z};
        double e = xop_compare(m.y, y, T * D, 1e-12, "y");
        e = fmax(e, xop_compare(got_aux, aux, 2, 1e-12, "l_bal, l_z"));
        e = fmax(e, xop_compare(m.du, du, T * D, 1e-11, "du"));
        e = fmax(e, xop_compare(g, m.t.g, m.t.count, 1e-11, "tensor gradients"));
        print_message("moe (renormalize %d) vs PyTorch: max rel err %.2e\n", renorm[v],
                      e);
        free(g);
        release(&m);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(top2_renormalized),
        cmocka_unit_test(top2_plain_gates),
        cmocka_unit_test(top1_and_all),
        cmocka_unit_test(two_calls_are_one_stream),
        cmocka_unit_test(aux_losses_alone),
        cmocka_unit_test(ties_go_to_the_lower_index),
        cmocka_unit_test(unrouted_expert_never_runs),
        cmocka_unit_test(matches_pytorch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
