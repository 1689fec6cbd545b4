/* test_train_xsum.c: the trainer's Summarize(C) (tools/train/op_xenith_summarize.c)
 * in the double build. L = sum(R * Y); its gradient against central finite
 * differences in every value of every tensor (mem.slots, norms, the four
 * attention matrices, the SwiGLU, adapters where targeted) and of C, with
 * two heads and two layers, and with one head and no adapters; frozen
 * tensors (NULL gradients) change no other gradient; and Y, dC and all
 * gradients against xenith_ref.summarize() with PyTorch autograd (skipped
 * without torch). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assert_close.h"
#define TRAIN_DOUBLE 1
#include "titan.h"
#include "tools/train/op_xenith_summarize.h"
#include "xop_problem.h"

#include <math.h>

enum { D = 8, M = 3, S = 5, FS = 6, LS = 2 };

typedef struct {
    titan_config c;
    xop_tensors t;
    double C[S * D], R[M * D], Y[M * D], dC[S * D];
    train_xsum_layer_d lw[LS], ldw[LS];
    train_xsum_weights_d w, dw;
    double *acts, *scratch;
} xsum_case;

/* Hs heads, rank r; wk and w_up are not targets. */
static void make(xsum_case *x, int Hs, int r, uint64_t seed) {
    memset(x, 0, sizeof *x);
    titan_config *c = &x->c;
    c->family = TITAN_FAMILY_XENITH, c->d_model = D, c->mem_slots = M;
    c->stm_tokens = S, c->sum_layers = LS, c->sum_heads = Hs, c->sum_hidden = FS;
    c->lora_rank = r, c->lora_alpha = 2.0 * r, c->norm_eps = 1e-5;
    xop_add(&x->t, "mem.slots", M, D);
    char n[64];
    for (int j = 0; j < LS; j++) {
        static const char *mats[] = {"wq", "wk", "wv", "wo"};
        snprintf(n, sizeof n, "mem.layers.%d.attn_norm", j);
        xop_add(&x->t, n, 1, D);
        snprintf(n, sizeof n, "mem.layers.%d.kv_norm", j);
        xop_add(&x->t, n, 1, D);
        for (int k = 0; k < 4; k++) {
            snprintf(n, sizeof n, "mem.layers.%d.%s", j, mats[k]);
            xop_add_mat(&x->t, n, D, D, k == 1 ? 0 : r);
        }
        snprintf(n, sizeof n, "mem.layers.%d.ffn_norm", j);
        xop_add(&x->t, n, 1, D);
        snprintf(n, sizeof n, "mem.layers.%d.", j);
        xop_add_swiglu(&x->t, n, FS, D, r);
    }
    xop_add(&x->t, "mem.final_norm", 1, D);
    xop_fill(&x->t, seed, 2.0);
    uint64_t s = seed + 5;
    for (int i = 0; i < S * D; i++) x->C[i] = (float)(1.5 * xop_uniform(&s));
    for (int i = 0; i < M * D; i++) x->R[i] = (float)xop_uniform(&s);
    x->w.layers = x->lw, x->dw.layers = x->ldw;
    for (int i = 0; i < x->t.n; i++) {
        assert_int_equal(train_xsum_bind_d(&x->w, x->t.name[i], x->t.w + x->t.off[i], LS),
                         1);
        assert_int_equal(
            train_xsum_bind_d(&x->dw, x->t.name[i], x->t.g + x->t.off[i], LS), 1);
    }
    assert_int_equal(train_xsum_bind_d(&x->w, "mem.layers.2.wq", NULL, LS), 0);
    assert_int_equal(train_xsum_bind_d(&x->w, "mem.layers.0.wz", NULL, LS), 0);
    x->acts = malloc(sizeof(double) * train_xsum_acts_size_d(S, c));
    x->scratch = malloc(sizeof(double) * train_xsum_scratch_size_d(S, c));
}

static void release(xsum_case *x) { xop_free(&x->t), free(x->acts), free(x->scratch); }

static double loss(void *ctx) {
    xsum_case *x = ctx;
    train_xsum_forward_d(x->Y, x->C, &x->w, x->acts, x->scratch, S, &x->c);
    double L = 0;
    for (int i = 0; i < M * D; i++) L += x->R[i] * x->Y[i];
    return L;
}

static void backward(xsum_case *x) {
    loss(x);
    memset(x->t.g, 0, sizeof(double) * x->t.count);
    memset(x->dC, 0, sizeof x->dC);
    train_xsum_backward_d(x->dC, &x->dw, x->R, x->C, &x->w, x->acts, x->scratch, S,
                          &x->c);
}

static double check_all(xsum_case *x) {
    backward(x);
    return xop_fd_all(loss, x, &x->t, x->C, x->dC, S * D, "C");
}

static void gradients_match_finite_differences(void **state) {
    (void)state;
    xsum_case x;
    make(&x, 2, 2, 1);
    print_message("summarize Hs 2, r 2: max rel err vs FD %.2e\n", check_all(&x));
    release(&x);
    make(&x, 1, 0, 2);
    print_message("summarize Hs 1, r 0: max rel err vs FD %.2e\n", check_all(&x));
    release(&x);
}

/* LoRA-only: base tensors and dC NULL; the adapters' gradients unchanged. */
static void frozen_tensors_change_nothing_else(void **state) {
    (void)state;
    xsum_case x;
    make(&x, 2, 2, 3);
    backward(&x);
    double *full = malloc(sizeof(double) * x.t.count);
    memcpy(full, x.t.g, sizeof(double) * x.t.count);
    memset(x.t.g, 0, sizeof(double) * x.t.count);
    train_xsum_weights_d lora = {0};
    train_xsum_layer_d ll[LS];
    memset(ll, 0, sizeof ll);
    lora.layers = ll;
    for (int i = 0; i < x.t.n; i++)
        if (strstr(x.t.name[i], ".lora_"))
            train_xsum_bind_d(&lora, x.t.name[i], x.t.g + x.t.off[i], LS);
    train_xsum_backward_d(NULL, &lora, x.R, x.C, &x.w, x.acts, x.scratch, S, &x.c);
    for (int i = 0; i < x.t.n; i++) {
        size_t n = (size_t)x.t.rows[i] * x.t.cols[i], o = x.t.off[i];
        if (strstr(x.t.name[i], ".lora_")) {
            assert_memory_equal(x.t.g + o, full + o, n * sizeof(double));
        } else {
            for (size_t j = 0; j < n; j++) assert_true(x.t.g[o + j] == 0);
        }
    }
    free(full);
    release(&x);
}

static void matches_pytorch(void **state) {
    (void)state;
    if (!xop_have_torch()) skip();
    xsum_case x;
    make(&x, 2, 2, 4);
    backward(&x);
    char dir[] = "/tmp/titan-xsum-XXXXXX", json[512];
    snprintf(json, sizeof json,
             "\"S\": %d, \"d_model\": %d, \"mem_slots\": %d, \"sum_layers\": %d, "
             "\"sum_heads\": %d, \"sum_hidden\": %d, \"norm_eps\": %.17g, "
             "\"lora_rank\": %d, \"lora_alpha\": %.17g",
             S, D, M, LS, x.c.sum_heads, FS, x.c.norm_eps, x.c.lora_rank, x.c.lora_alpha);
    xop_dir(dir, json, &x.t);
    xop_file(dir, "c.f64", x.C, S * D, true);
    xop_file(dir, "r.f64", x.R, M * D, true);
    xop_run("summarize", dir);
    double Y[M * D], dC[S * D], *g = malloc(sizeof(double) * x.t.count);
    memcpy(g, x.t.g, sizeof(double) * x.t.count);
    xop_file(dir, "y.f64", Y, M * D, false);
    xop_file(dir, "dc.f64", dC, S * D, false);
    xop_tensor_files(dir, &x.t, false);
    xop_rmdir(dir);
    double e = xop_compare(x.Y, Y, M * D, 1e-12, "Y");
    e = fmax(e, xop_compare(x.dC, dC, S * D, 1e-11, "dC"));
    e = fmax(e, xop_compare(g, x.t.g, x.t.count, 1e-11, "tensor gradients"));
    print_message("summarize vs PyTorch: max rel err %.2e\n", e);
    free(g);
    release(&x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradients_match_finite_differences),
        cmocka_unit_test(frozen_tensors_change_nothing_else),
        cmocka_unit_test(matches_pytorch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
