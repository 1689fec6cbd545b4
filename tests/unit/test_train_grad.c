/* test_train_grad.c: the trainer's backward pass against central finite
 * differences in double, for every element of every tensor of tiny configs:
 * section 1 with every optional part on, then off; each SPEC section-8
 * option alone (Gated DeltaNet blocks with each gdn_* option); all of them
 * together (gqa and mla, with and without a GDN block), on the full schedule
 * and on the training prefix S'. And the loss against hand values. Any
 * mismatch fails. */
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
            if (strstr(p->spec[i].name, "gdn_A_log"))
                p->tensor[i][j] -= 2.5; /* decay ~0.8 */
        }
    }
}

/* Five-point finite differences. Fails loudly on any tensor whose error exceeds 1e-6 of its largest
 * gradient, or that gets no gradient although it should; returns the worst
 * relative error. */
static double check_fd_on(const char *what, titan_config c, int T, bool shortened) {
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
    double loss = train_loss_grad_d(&m, &w, &a, ids, T, shortened, 1.0, &g, NULL);
    assert_true(fabs(loss - train_loss_d(&m, &w, &a, ids, T, shortened, NULL)) < 1e-12);
    const double eps = 1e-4;
    int bad = 0;
    double worst = 0;
    for (int i = 0; i < w.n_tensors; i++) {
        size_t n = (size_t)(w.spec[i].rows * w.spec[i].cols);
        close_acc e = {0};
        for (size_t j = 0; j < n; j++) {
            double keep = w.tensor[i][j], l[4];
            for (int k = 0; k < 4; k++) { /* keep -2eps, -eps, +eps, +2eps */
                w.tensor[i][j] = keep + eps * (k < 2 ? k - 2 : k - 1);
                l[k] = train_loss_d(&m, &w, &a, ids, T, shortened, NULL);
            }
            w.tensor[i][j] = keep;
            /* fourth order: the GDN blocks' L2 norms of short vectors bend
             * too sharply for the central difference at any one eps */
            double fd = (8 * (l[2] - l[1]) - (l[3] - l[0])) / (12 * eps);
            close_add(&e, j, g.tensor[i][j], fd);
        }
        double max_err = e.err, max_g = e.mag;
        double rel = max_err / fmax(max_g, 1e-12);
        int k = 0, no_targets = sscanf(w.spec[i].name, "mtp.%d", &k) == 1 && k >= T;
        worst = max_nan(worst, rel);
        /* A head without targets must get exactly zero, any other a signal. */
        if (!(rel < 1e-6) || (max_g == 0) != no_targets || (no_targets && max_err != 0)) {
            printf("FAIL %s: %-20s max|fd| %.3e  max err %.3e  rel %.3e"
                   "  [%zu] grad %.6e fd %.6e\n",
                   what, w.spec[i].name, max_g, max_err, rel, e.at, e.got, e.want);
            bad++;
        }
    }
    printf("%-22s %3d tensors, worst relative error %.2e\n", what, w.n_tensors, worst);
    assert_int_equal(bad, 0);
    train_acts_free_d(&a);
    train_params_free_d(&g);
    train_params_free_d(&w);
    train_model_free_d(&m);
    return worst;
}

static void check_fd(titan_config c, int T) { check_fd_on("section 1", c, T, false); }

static void full_config_matches_finite_differences(void **state) {
    (void)state;
    check_fd(tiny_full(), 9);
}

/* T = 4 with 4 heads: head 4 has no targets and must add nothing. */
static void plain_config_matches_finite_differences(void **state) {
    (void)state;
    check_fd(tiny_plain(), 4);
}

/* ---- SPEC section 8 ------------------------------------------------- */

static void set_list(int32_t *list, int32_t *len, const int32_t *v, int n) {
    for (int i = 0; i < n; i++) list[i] = v[i];
    *len = n;
}
#define SET_LIST(c, field, ...)                                                          \
    do {                                                                                 \
        const int32_t v_[] = {__VA_ARGS__};                                              \
        set_list((c)->field, &(c)->field##_len, v_, (int)(sizeof v_ / sizeof *v_));      \
    } while (0)

static void gqa(titan_config *c) {
    c->attention = TITAN_ATTENTION_GQA;
    c->head_dim = 4, c->rope_dim = 2; /* partial RoPE: 2 of 4 dims */
}
static void schedule(titan_config *c) { SET_LIST(c, layer_schedule, 0, 1, 1, 0, 1); }
static void qk_norm(titan_config *c) { c->qk_norm = true; }
static void q_gain(titan_config *c) { c->q_gain = true; }
static void relu2(titan_config *c) { c->mlp_act = TITAN_MLP_RELU2; }
static void leaky_relu2(titan_config *c) {
    c->mlp_act = TITAN_MLP_LEAKY_RELU2;
    c->leaky_slope = 0.3;
}
static void parallel(titan_config *c) { c->parallel_residual_from = 1; }
static void ln_scale(titan_config *c) { c->ln_scale = true; }
static void xsa(titan_config *c) { SET_LIST(c, xsa_layers, 1); }
static void bigram(titan_config *c) {
    c->bigram_hash = true;
    c->bigram_hash_buckets = 5, c->bigram_hash_dim = 3;
}
static void bigram_no_proj(titan_config *c) {
    bigram(c);
    c->bigram_hash_dim = c->d_model;
}
static void value_embed(titan_config *c) {
    c->value_embed = true;
    c->value_embed_dim = 3;
    SET_LIST(c, value_embed_layers, 0);
}
static void value_embed_no_proj(titan_config *c) {
    value_embed(c);
    c->value_embed_dim = c->n_kv_heads * c->v_head_dim;
    SET_LIST(c, value_embed_layers, 1);
}
static void sink_key(titan_config *c) { c->attn_sink = TITAN_SINK_KEY; }
static void sink_logit(titan_config *c) { c->attn_sink = TITAN_SINK_LOGIT; }
static void smear(titan_config *c) { c->smear_gate = true; }
static void emb_norm(titan_config *c) { c->emb_norm = true; }
static void resid_mix(titan_config *c) { c->resid_mix = true; }
static void branch_scale(titan_config *c) { c->branch_scale = true; }
static void mirror(titan_config *c) { c->unet_skips = TITAN_SKIPS_MIRROR; }
static void mirror_blocks(titan_config *c) { c->unet_skips = TITAN_SKIPS_MIRROR_BLOCKS; }
static void gated_mirror(titan_config *c) {
    mirror(c);
    c->skip_gates = true;
}
/* Gated DeltaNet in block 1 (SPEC defaults: Hk = H, Kc 4, SiLU, gated
 * RMSNorm), and each other gdn_* option. */
static void gdn(titan_config *c) { SET_LIST(c, gdn_layers, 1); }
static void gdn_record(titan_config *c) { /* golf-1.0785's options */
    gdn(c);
    c->gdn_heads = 2, c->gdn_v_heads = 4, c->gdn_conv_kernel = 2;
    c->gdn_qk_act = TITAN_GDN_ACT_ELU1, c->gdn_out_norm = false;
}
static void gdn_conv0(titan_config *c) { gdn(c), c->gdn_conv_kernel = 0; }
static void gdn_conv1_widths(titan_config *c) {
    gdn(c), c->gdn_conv_kernel = 1, c->gdn_heads = 1, c->gdn_v_heads = 3;
    c->gdn_head_dim = 4, c->gdn_v_head_dim = 5, c->gdn_qk_act = TITAN_GDN_ACT_ELU1;
}

/* Each option alone on section 1's everything-on config (MLA, conv, YaRN,
 * softcap, 3 heads; S = [0, 1, 0, 1]). */
static void each_option_alone_matches_finite_differences(void **state) {
    (void)state;
    static const struct {
        const char *name;
        void (*set)(titan_config *);
    } options[] = {
        {"gqa", gqa},
        {"layer_schedule", schedule},
        {"qk_norm", qk_norm},
        {"q_gain", q_gain},
        {"relu2", relu2},
        {"leaky_relu2", leaky_relu2},
        {"parallel_residual", parallel},
        {"ln_scale", ln_scale},
        {"xsa", xsa},
        {"bigram_hash", bigram},
        {"bigram_hash d == D", bigram_no_proj},
        {"value_embed", value_embed},
        {"value_embed d == G*Dv", value_embed_no_proj},
        {"attn_sink key", sink_key},
        {"attn_sink logit", sink_logit},
        {"smear_gate", smear},
        {"emb_norm", emb_norm},
        {"resid_mix", resid_mix},
        {"branch_scale", branch_scale},
        {"unet mirror", mirror},
        {"unet mirror_blocks", mirror_blocks},
        {"unet mirror gated", gated_mirror},
        {"gdn", gdn},
        {"gdn as golf-1.0785", gdn_record},
        {"gdn conv 0", gdn_conv0},
        {"gdn conv 1, Hv 3 Hk", gdn_conv1_widths},
    };
    double worst = 0;
    for (size_t i = 0; i < sizeof options / sizeof *options; i++) {
        titan_config c = tiny_full();
        options[i].set(&c);
        worst = max_nan(worst, check_fd_on(options[i].name, c, 9, false));
    }
    printf("each option alone: worst relative error %.2e\n", worst);
}

/* Everything on, attention gqa: S = [0, 1, 2, 1, 2, 3], mirror_blocks. */
static titan_config golf_gqa(void) {
    titan_config c = tiny_full();
    gqa(&c);
    c.vocab_size = 13, c.v_head_dim = 3, c.mlp_hidden = 6, c.n_unique_blocks = 4;
    c.mtp_heads = 2, c.mtp_weights[1] = 0.5, c.logit_softcap = 5;
    SET_LIST(&c, layer_schedule, 0, 1, 2, 1, 2, 3);
    c.recurrence_start_frac = 0.5;
    qk_norm(&c), q_gain(&c), leaky_relu2(&c), ln_scale(&c), sink_key(&c);
    smear(&c), emb_norm(&c), resid_mix(&c), branch_scale(&c), mirror_blocks(&c);
    c.parallel_residual_from = 2;
    SET_LIST(&c, xsa_layers, 1, 3);
    c.bigram_hash = true, c.bigram_hash_buckets = 7, c.bigram_hash_dim = 3;
    c.value_embed = true, c.value_embed_dim = 2;
    SET_LIST(&c, value_embed_layers, 0, 2);
    return c;
}

/* Everything on, attention mla: S = [0, 1, 2, 1, 2], gated mirror skips,
 * tables without projections, the sink logit, relu2. */
static titan_config golf_mla(void) {
    titan_config c = tiny_full();
    c.n_unique_blocks = 3;
    SET_LIST(&c, layer_schedule, 0, 1, 2, 1, 2);
    c.recurrence_start_frac = 0.25;
    qk_norm(&c), q_gain(&c), relu2(&c), ln_scale(&c), sink_logit(&c), smear(&c);
    emb_norm(&c), resid_mix(&c), branch_scale(&c), gated_mirror(&c);
    c.parallel_residual_from = 1;
    SET_LIST(&c, xsa_layers, 2, 0);
    bigram_no_proj(&c);
    c.value_embed = true, c.value_embed_dim = c.n_kv_heads * c.v_head_dim;
    SET_LIST(&c, value_embed_layers, 0, 1);
    return c;
}

/* The same with a GDN block in place of an XSA one: gqa block 3 (layer 5 of
 * S, layer 3 of S'), golf-1.0785's GDN options; mla block 2 (repeated). */
static titan_config golf_gqa_gdn(void) {
    titan_config c = golf_gqa();
    SET_LIST(&c, xsa_layers, 1);
    gdn_record(&c);
    SET_LIST(&c, gdn_layers, 3);
    return c;
}
static titan_config golf_mla_gdn(void) {
    titan_config c = golf_mla();
    SET_LIST(&c, xsa_layers, 0);
    SET_LIST(&c, gdn_layers, 2);
    return c;
}

static void everything_on_matches_finite_differences(void **state) {
    (void)state;
    double worst = check_fd_on("all on, gqa, S", golf_gqa(), 9, false);
    worst = max_nan(worst, check_fd_on("all on, gqa, S'", golf_gqa(), 9, true));
    worst = max_nan(worst, check_fd_on("all on, mla, S", golf_mla(), 9, false));
    worst = max_nan(worst, check_fd_on("all on, mla, S'", golf_mla(), 9, true));
    worst = max_nan(worst, check_fd_on("all on, gqa+gdn, S", golf_gqa_gdn(), 9, false));
    worst = max_nan(worst, check_fd_on("all on, gqa+gdn, S'", golf_gqa_gdn(), 9, true));
    worst = max_nan(worst, check_fd_on("all on, mla+gdn, S", golf_mla_gdn(), 9, false));
    worst = max_nan(worst, check_fd_on("all on, mla+gdn, S'", golf_mla_gdn(), 9, true));
    printf("everything on: worst relative error %.2e\n", worst);
}

/* S' keeps first occurrences in order and the skips follow it: the losses
 * on S and S' differ, and with no repeats in S they are the same. */
static void shortened_schedule_is_the_prefix(void **state) {
    (void)state;
    titan_config c = golf_gqa();
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    train_model_d m;
    train_params_d w;
    train_acts_d a;
    assert_int_equal(train_model_init_d(&m, &c, 9), 0);
    assert_int_equal(m.sched[0].n, 6);
    assert_int_equal(m.sched[1].n, 4);
    const int32_t want[] = {0, 1, 2, 3};
    for (int l = 0; l < 4; l++) assert_int_equal(m.sched[1].block[l], want[l]);
    assert_int_equal(train_params_alloc_d(&w, &c), 0);
    assert_int_equal(train_acts_alloc_d(&a, &c, 9), 0);
    fill_random(&w, 3);
    int ids[9] = {1, 4, 9, 2, 12, 7, 7, 0, 3};
    double full = train_loss_d(&m, &w, &a, ids, 9, false, NULL);
    double prefix = train_loss_d(&m, &w, &a, ids, 9, true, NULL);
    assert_true(isfinite(full) && isfinite(prefix) && fabs(full - prefix) > 1e-6);
    train_acts_free_d(&a);
    train_params_free_d(&w);
    train_model_free_d(&m);
    /* The same model with S = S' as its layer_schedule. */
    SET_LIST(&c, layer_schedule, 0, 1, 2, 3);
    assert_int_equal(train_model_init_d(&m, &c, 9), 0);
    assert_int_equal(train_params_alloc_d(&w, &c), 0);
    assert_int_equal(train_acts_alloc_d(&a, &c, 9), 0);
    fill_random(&w, 3);
    double same = train_loss_d(&m, &w, &a, ids, 9, false, NULL);
    assert_true(fabs(same - prefix) < 1e-12);
    train_acts_free_d(&a);
    train_params_free_d(&w);
    train_model_free_d(&m);
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
    double loss = train_loss_d(&m, &w, &a, ids, 4, false, heads);
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
        cmocka_unit_test(each_option_alone_matches_finite_differences),
        cmocka_unit_test(everything_on_matches_finite_differences),
        cmocka_unit_test(shortened_schedule_is_the_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
