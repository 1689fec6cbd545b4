/* test_train_grad.c: the trainer's backward pass against central finite
 * differences in double, for every element of every tensor of two tiny
 * configs (every optional part on, then off), and the loss against hand
 * values. Any mismatch fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "assert_close.h"
#define TRAIN_DOUBLE 1
#include "tools/train/train_model.h"

/* Everything on: query latent, grouped heads, conv, YaRN, softcap, 3 heads. */
static titan_config tiny_full(void) {
    titan_config c;
    titan_config_defaults(&c); /* zero is not every default */
    c.vocab_size = 11, c.d_model = 8, c.n_heads = 4, c.n_kv_heads = 2;
    c.head_dim = 3, c.v_head_dim = 2, c.rope_dim = 4, c.q_latent = 5;
    c.kv_latent = 6, c.mlp_hidden = 7, c.conv_kernel = 3, c.n_unique_blocks = 2;
    c.n_recurrences = 2, c.max_seq_len = 64, c.rope_base = 10000;
    c.yarn_factor = 4, c.yarn_orig_ctx = 40, c.yarn_beta_fast = 32;
    c.yarn_beta_slow = 1, c.mtp_heads = 3, c.mtp_weights[0] = 1.0;
    c.mtp_weights[1] = 0.5, c.mtp_weights[2] = 0.25, c.norm_eps = 1e-5;
    c.logit_softcap = 3, c.bos_id = 0;
    return c;
}

/* Everything off: plain wq, one head per group, no conv, plain RoPE, no cap. */
static titan_config tiny_plain(void) {
    titan_config c = tiny_full();
    c.q_latent = 0;
    c.conv_kernel = 0;
    c.n_kv_heads = 4;
    c.yarn_factor = 1;
    c.logit_softcap = 0;
    c.n_recurrences = 3;
    c.n_unique_blocks = 1;
    c.mtp_heads = 4;
    c.mtp_weights[3] = 2.0;
    return c;
}

static void fill_random(train_params_d *p, unsigned seed) {
    srand(seed);
    for (int i = 0; i < p->n_tensors; i++) {
        size_t n = (size_t)(p->spec[i].rows * p->spec[i].cols);
        int norm = p->spec[i].role == TITAN_ROLE_NORM;
        for (size_t j = 0; j < n; j++) {
            double u = (double)rand() / RAND_MAX - 0.5;
            p->tensor[i][j] = norm ? 1 + 0.4 * u : 1.2 * u;
        }
    }
}

/* Fails loudly on any tensor whose error exceeds 1e-6 of its largest
 * gradient, or that gets no gradient although it should. */
static void check_fd(titan_config c, int T) {
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    train_model_d m;
    train_params_d w, g;
    train_acts_d a;
    assert_int_equal(train_model_init_d(&m, &c, T), 0);
    assert_int_equal(train_params_alloc_d(&w, &c), 0);
    assert_int_equal(train_params_alloc_d(&g, &c), 0);
    assert_int_equal(train_acts_alloc_d(&a, &c, T), 0);
    fill_random(&w, 7);
    int ids[64];
    for (int t = 0; t < T; t++) ids[t] = (t * 7 + 3) % c.vocab_size;
    double loss = train_loss_grad_d(&m, &w, &a, ids, T, 1.0, &g, NULL);
    assert_true(fabs(loss - train_loss_d(&m, &w, &a, ids, T, NULL)) < 1e-12);
    const double eps = 1e-5;
    int bad = 0;
    double worst = 0;
    for (int i = 0; i < w.n_tensors; i++) {
        size_t n = (size_t)(w.spec[i].rows * w.spec[i].cols);
        close_acc e = {0};
        for (size_t j = 0; j < n; j++) {
            double keep = w.tensor[i][j];
            w.tensor[i][j] = keep + eps;
            double lp = train_loss_d(&m, &w, &a, ids, T, NULL);
            w.tensor[i][j] = keep - eps;
            double lm = train_loss_d(&m, &w, &a, ids, T, NULL);
            w.tensor[i][j] = keep;
            double fd = (lp - lm) / (2 * eps);
            close_add(&e, j, g.tensor[i][j], fd);
        }
        double max_err = e.err, max_g = e.mag;
        double rel = max_err / fmax(max_g, 1e-12);
        int k = 0, no_targets = sscanf(w.spec[i].name, "mtp.%d", &k) == 1 && k >= T;
        worst = max_nan(worst, rel);
        /* A head without targets must get exactly zero, any other a signal. */
        if (!(rel < 1e-6) || (max_g == 0) != no_targets || (no_targets && max_err != 0)) {
            printf("FAIL %-20s max|fd| %.3e  max err %.3e  rel %.3e"
                   "  [%zu] grad %.6e fd %.6e\n",
                   w.spec[i].name, max_g, max_err, rel, e.at, e.got, e.want);
            bad++;
        }
    }
    printf("%d tensors, worst relative error %.2e\n", w.n_tensors, worst);
    assert_int_equal(bad, 0);
    train_acts_free_d(&a);
    train_params_free_d(&g);
    train_params_free_d(&w);
    train_model_free_d(&m);
}

static void full_config_matches_finite_differences(void **state) {
    (void)state;
    check_fd(tiny_full(), 9);
}

/* T = 4 with 4 heads: head 4 has no targets and must add nothing. */
static void plain_config_matches_finite_differences(void **state) {
    (void)state;
    check_fd(tiny_plain(), 4);
}

/* All-zero weights give uniform logits: every head's CE is ln V, so the loss
 * is ln V * sum of the weights of heads with targets. */
static void zero_weights_give_log_vocab(void **state) {
    (void)state;
    titan_config c = tiny_plain();
    train_model_d m;
    train_params_d w;
    train_acts_d a;
    assert_int_equal(train_model_init_d(&m, &c, 4), 0);
    assert_int_equal(train_params_alloc_d(&w, &c), 0);
    assert_int_equal(train_acts_alloc_d(&a, &c, 4), 0);
    int ids[4] = {1, 2, 3, 4};
    double heads[4];
    double loss = train_loss_d(&m, &w, &a, ids, 4, heads);
    assert_true(fabs(loss - log(11.0) * (1.0 + 0.5 + 0.25)) < 1e-12);
    assert_true(heads[3] == 0);
    train_acts_free_d(&a);
    train_params_free_d(&w);
    train_model_free_d(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_config_matches_finite_differences),
        cmocka_unit_test(plain_config_matches_finite_differences),
        cmocka_unit_test(zero_weights_give_log_vocab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
