/* test_train_xenith.c: the trainable Xenith model (SPEC section 9) in the
 * double build against five-point finite differences, every element of every
 * tensor, adapters included: windows with global tokens, an untied adapted
 * head, softcap, LoRA on every target; and with the base frozen
 * (lora_only) only the adapters get gradients; MoE layers (op_moe) with
 * L_bal and L_z. The attention op alone
 * against finite differences with memory keys. The segment memory
 * (summarizer, FIFO LTM, reading layers) over several segments, with and
 * without MoE, adapters and lora_only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assert_close.h"
#define TRAIN_DOUBLE 1
#include "tools/train/xenith_model.h"
#include "xenith_tiny.h"

static void fill_random(train_params_d *p, unsigned seed) {
    srand(seed);
    for (int i = 0; i < p->n_tensors; i++) {
        size_t n = (size_t)(p->spec[i].rows * p->spec[i].cols);
        int norm = p->spec[i].ndim == 1;
        for (size_t j = 0; j < n; j++) {
            double u = (double)rand() / RAND_MAX - 0.5;
            p->tensor[i][j] = norm ? 1 + 0.4 * u : 1.2 * u;
        }
    }
}

typedef struct {
    train_xmodel_d m;
    train_params_d w, g;
    train_xacts_d a;
    int ids[64], T;
} rig;

static void rig_open(rig *r, const titan_config *c, int T) {
    assert_int_equal(train_params_alloc_d(&r->w, c), 0);
    assert_int_equal(train_params_alloc_d(&r->g, c), 0);
    assert_int_equal(train_xmodel_init_d(&r->m, c, &r->w, T, NULL), 0);
    assert_int_equal(train_xacts_alloc_d(&r->a, &r->m, T, NULL), 0);
    fill_random(&r->w, 7);
    r->T = T;
    for (int t = 0; t < T; t++) r->ids[t] = (t * 7 + 3) % c->vocab_size;
}

static void rig_close(rig *r) {
    train_xacts_free_d(&r->a);
    train_xmodel_free_d(&r->m);
    train_params_free_d(&r->g);
    train_params_free_d(&r->w);
}

static double fd_at(rig *r, double *v) {
    const double eps = 1e-4;
    double keep = *v, l[4];
    for (int k = 0; k < 4; k++) { /* keep -2eps, -eps, +eps, +2eps */
        *v = keep + eps * (k < 2 ? k - 2 : k - 1);
        l[k] = train_xloss_d(&r->m, &r->w, &r->a, r->ids, r->T, NULL);
    }
    *v = keep;
    return (8 * (l[2] - l[1]) - (l[3] - l[0])) / (12 * eps);
}

/* Every tensor within 1e-6 of its largest gradient and none silent (frozen
 * ones exactly zero; with qk_silent, wq and wk may be: one key per query
 * makes the softmax constant); returns the worst relative error. */
static double check_fd(const char *what, rig *r, bool qk_silent) {
    for (int i = 0; i < r->g.n_tensors; i++)
        memset(r->g.tensor[i], 0,
               sizeof(double) * (size_t)(r->g.spec[i].rows * r->g.spec[i].cols));
    double loss = train_xloss_grad_d(&r->m, &r->w, &r->a, r->ids, r->T, 1.0, &r->g, NULL);
    assert_true(fabs(loss - train_xloss_d(&r->m, &r->w, &r->a, r->ids, r->T, NULL)) <
                1e-12);
    int bad = 0;
    double worst = 0;
    for (int i = 0; i < r->w.n_tensors; i++) {
        const char *name = r->w.spec[i].name;
        bool frozen = r->m.lora_only && !strstr(name, ".lora_");
        bool silent =
            frozen || (qk_silent && (strstr(name, ".wq") || strstr(name, ".wk")));
        size_t n = (size_t)(r->w.spec[i].rows * r->w.spec[i].cols);
        close_acc e = {0};
        for (size_t j = 0; j < n; j++)
            close_add(&e, j, r->g.tensor[i][j],
                      frozen ? 0 : fd_at(r, &r->w.tensor[i][j]));
        double rel = e.err / fmax(e.mag, 1e-12);
        worst = max_nan(worst, rel);
        if (!(rel < 1e-6) || (e.mag == 0) != silent) {
            printf("FAIL %s: %-24s max|fd| %.3e  max err %.3e  rel %.3e\n", what, name,
                   e.mag, e.err, rel);
            bad++;
        }
    }
    printf("%-24s %3d tensors, worst relative error %.2e\n", what, r->w.n_tensors, worst);
    assert_int_equal(bad, 0);
    return worst;
}

static void every_tensor_matches_finite_differences(void **state) {
    (void)state;
    titan_config c = tiny();
    rig r;
    rig_open(&r, &c, 9);
    check_fd("xenith dense", &r, false);
    rig_close(&r);
}

/* Tied head, one layer with window 1 and no globals: each token sees only
 * itself; T = 1 has no CE term at all. */
static void tied_short_and_window_one(void **state) {
    (void)state;
    titan_config c = tiny();
    c.tie_embeddings = true, c.lora_targets_len = TITAN_LORA_LM_HEAD;
    c.n_global_tokens = 0, c.attn_windows[0] = 1, c.attn_windows_len = 1;
    rig r;
    rig_open(&r, &c, 5);
    check_fd("xenith tied, w = 1", &r, true);
    r.T = 1;
    assert_true(train_xloss_d(&r.m, &r.w, &r.a, r.ids, 1, NULL) == 0);
    rig_close(&r);
}

/* MoE: E = 3, k = 2 (renormalized, then not), layer 0 dense; L_bal and L_z
 * weighted up so their gradients are seen. */
static void moe_matches_finite_differences(void **state) {
    (void)state;
    titan_config c = tiny();
    c.moe_experts = 3, c.moe_top_k = 2, c.moe_hidden = 5, c.moe_dense_layers = 1;
    c.moe_aux_weight = 0.3, c.moe_zloss_weight = 0.2;
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    rig r;
    rig_open(&r, &c, 9);
    check_fd("xenith moe", &r, false);
    int32_t routed = 0;
    for (int e = 0; e < 3; e++) routed += r.a.layer[1].load[e];
    assert_int_equal(routed, 2 * 9);
    assert_true(r.a.l_bal > 0 && r.a.l_z > 0 && r.a.ce > 0);
    rig_close(&r);
    c.moe_renormalize = false, c.n_layers = 1, c.moe_dense_layers = 0;
    rig_open(&r, &c, 6);
    check_fd("xenith moe, unnormalized", &r, false);
    rig_close(&r);
}

static void lora_only_freezes_the_base(void **state) {
    (void)state;
    titan_config c = tiny();
    rig r;
    rig_open(&r, &c, 7);
    r.m.lora_only = true;
    check_fd("xenith lora-only", &r, false);
    rig_close(&r);
}

/* The op alone with memory keys: L = sum(dout * o) against FD in every
 * input (q, k, v, the unrotated q, memory keys and values). */
enum { AT = 6, AH = 4, AG = 2, ADh = 2, AN = 3 };
typedef struct {
    double q[AT * AH * ADh], k[AT * AG * ADh], v[AT * AG * ADh];
    double qm[AT * AH * ADh], mk[AN * AG * ADh], mv[AN * AG * ADh];
    double dout[AT * AH * ADh];
} attn_case;

static train_xattn_shape_d attn_shape(void) {
    train_xattn_shape_d s = {
        .H = AH, .G = AG, .Dh = ADh, .window = 2, .n_global = 1, .n_mem = AN};
    s.P = train_xattn_slots_d(AT, 1, 2, AN);
    return s;
}

static double attn_loss(attn_case *c, int t0, int t1) {
    train_xattn_shape_d s = attn_shape();
    double o[AT * AH * ADh] = {0}, probs[AT * AH * 8];
    train_xattn_view_d x = {c->q, c->k, c->v, c->qm, c->mk, c->mv};
    train_xattn_forward_d(o, probs, &s, &x, t0, t1);
    double L = 0;
    for (int i = t0 * AH * ADh; i < t1 * AH * ADh; i++) L += c->dout[i] * o[i];
    return L;
}

static void attention_with_memory_matches_finite_differences(void **state) {
    (void)state;
    attn_case c, d = {0};
    double *all = (double *)&c;
    for (size_t i = 0; i < sizeof c / sizeof(double); i++)
        all[i] = (double)((int)(i * 37 % 23) - 11) / 7;
    train_xattn_shape_d s = attn_shape();
    assert_int_equal(s.P, 3 + AN);
    double o[AT * AH * ADh], probs[AT * AH * 8];
    train_xattn_view_d x = {c.q, c.k, c.v, c.qm, c.mk, c.mv};
    train_xattn_view_d dv = {d.q, d.k, d.v, d.qm, d.mk, d.mv};
    /* a later segment [3, 6) reads the keys of [0, 3) */
    train_xattn_forward_d(o, probs, &s, &x, 3, AT);
    train_xattn_backward_d(&dv, c.dout, probs, &s, &x, 3, AT);
    double *vals = all, *grads = (double *)&d;
    close_acc e = {0};
    for (size_t i = 0; i < offsetof(attn_case, dout) / sizeof(double); i++) {
        double keep = vals[i], h = 1e-6;
        vals[i] = keep + h;
        double up = attn_loss(&c, 3, AT);
        vals[i] = keep - h;
        double down = attn_loss(&c, 3, AT);
        vals[i] = keep;
        close_add(&e, i, grads[i], (up - down) / (2 * h));
    }
    assert_true(close_report(&e, "xattn with memory", 1e-8, 1e-7));
    /* queries 3..5 with w = 2, Ng = 1 read 0 and 2..5: position 1 gets nothing */
    for (int j = 1 * AG * ADh; j < 2 * AG * ADh; j++) assert_true(d.k[j] == 0);
    assert_true(d.k[2 * AG * ADh] != 0);
}

/* Segment memory: S = 3, M = 2, N = 3 over T = 11: segments 0..3, three
 * summaries, segment 2 reads Y_0's last row and Y_1, segment 3 Y_1's last
 * row and Y_2 (the FIFO evicts); readers = `readers` of the two layers. */
static titan_config with_memory(titan_config c, int readers) {
    c.stm_tokens = 3, c.mem_slots = 2, c.ltm_size = 3, c.sum_layers = 2;
    c.sum_heads = 2, c.sum_hidden = 4;
    c.mem_read_layers_len = 0;
    for (int l = 0; l < c.n_layers; l++)
        if (readers >> l & 1) c.mem_read_layers[c.mem_read_layers_len++] = l;
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    return c;
}

static void memory_matches_finite_differences(void **state) {
    (void)state;
    rig r;
    titan_config c = with_memory(tiny(), 3);
    rig_open(&r, &c, 11);
    check_fd("xenith memory", &r, false);
    rig_close(&r);
    /* only layer 1 reads; T = 9 ends on a full segment (no summary of it) */
    c = with_memory(tiny(), 2);
    rig_open(&r, &c, 9);
    check_fd("xenith memory, layer 1 reads", &r, false);
    rig_close(&r);
}

/* Window 1 and no globals: a token sees only itself and the LTM, so the
 * earlier segments reach it through the memory alone; no adapters. */
static void memory_alone_carries_the_past(void **state) {
    (void)state;
    titan_config c = tiny();
    c.n_global_tokens = 0, c.attn_windows[0] = 1, c.attn_windows_len = 1;
    c.lora_rank = 0;
    c = with_memory(c, 3);
    rig r;
    rig_open(&r, &c, 10);
    check_fd("xenith memory, w = 1", &r, false);
    /* changing token 0 leaves positions 1, 2 (segment 0) alone and reaches
     * every later segment through Y_0 */
    double a[9], b[9];
    train_xnll_d(&r.m, &r.w, &r.a, r.ids, r.T, a);
    r.ids[0] = (r.ids[0] + 1) % c.vocab_size;
    train_xnll_d(&r.m, &r.w, &r.a, r.ids, r.T, b);
    for (int t = 1; t < 9; t++) assert_true(t < 3 ? a[t] == b[t] : a[t] != b[t]);
    rig_close(&r);
}

/* MoE over segments: f and P count the whole stream; LoRA-only too. */
static void memory_with_moe_and_lora_only(void **state) {
    (void)state;
    titan_config c = tiny();
    c.moe_experts = 3, c.moe_top_k = 2, c.moe_hidden = 5, c.moe_dense_layers = 1;
    c.moe_aux_weight = 0.3, c.moe_zloss_weight = 0.2;
    c = with_memory(c, 2);
    rig r;
    rig_open(&r, &c, 11);
    check_fd("xenith memory + moe", &r, false);
    int32_t routed = 0;
    for (int e = 0; e < 3; e++) routed += r.a.layer[1].load[e];
    assert_int_equal(routed, 2 * 11);
    assert_int_equal(r.a.layer[1].st.T, 11);
    r.m.lora_only = true;
    check_fd("xenith memory lora-only", &r, false);
    rig_close(&r);
    /* with no reader the segments change nothing: L_bal, L_z pool them */
    titan_config none = with_memory(c, 0);
    c.stm_tokens = 0;
    rig_open(&r, &c, 11);
    double want = train_xloss_d(&r.m, &r.w, &r.a, r.ids, r.T, NULL), bal = r.a.l_bal;
    rig_close(&r);
    rig_open(&r, &none, 11);
    double got = train_xloss_d(&r.m, &r.w, &r.a, r.ids, r.T, NULL);
    printf("no readers: loss %.15f vs %.15f without memory\n", got, want);
    assert_true(fabs(got - want) < 1e-12 && fabs(r.a.l_bal - bal) < 1e-12);
    rig_close(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_tensor_matches_finite_differences),
        cmocka_unit_test(tied_short_and_window_one),
        cmocka_unit_test(moe_matches_finite_differences),
        cmocka_unit_test(lora_only_freezes_the_base),
        cmocka_unit_test(attention_with_memory_matches_finite_differences),
        cmocka_unit_test(memory_matches_finite_differences),
        cmocka_unit_test(memory_alone_carries_the_past),
        cmocka_unit_test(memory_with_moe_and_lora_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
