/* test_train_golf.c: the training state of a SPEC section-8 config. Every new
 * tensor starts as train_state.c's section8_init says (the records' choices)
 * and the new matrices as matrices; one train_apply step moves the matrices
 * (wq, wk, wv, the GDN matrices, bigram.proj, value_embed.proj) by Muon and every other new
 * tensor by AdamW, tables in tok_emb's group and the rest in the scalar group;
 * the S' rule of recurrence_start_frac. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assert_close.h"
#include "tools/train/train_opt.h"
#include "tools/train/train_state.h"

/* Every option: gqa, bigram and value embeddings with projections,
 * sink keys, gated mirror_blocks skips, a Gated DeltaNet block (2). */
static titan_config golf(void) {
    titan_config c;
    titan_config_defaults(&c);
    c.vocab_size = 64, c.d_model = 16, c.n_heads = 4, c.n_kv_heads = 2;
    c.head_dim = 4, c.v_head_dim = 4, c.rope_dim = 2, c.mlp_hidden = 24;
    c.n_unique_blocks = 4, c.n_recurrences = 1, c.max_seq_len = 32;
    c.rope_base = 10000, c.yarn_factor = 1, c.yarn_orig_ctx = 32;
    c.yarn_beta_fast = 32, c.yarn_beta_slow = 1, c.mtp_heads = 2;
    c.mtp_weights[0] = 1, c.mtp_weights[1] = 0.5, c.norm_eps = 1e-5, c.bos_id = 0;
    c.attention = TITAN_ATTENTION_GQA, c.qk_norm = c.q_gain = true;
    c.mlp_act = TITAN_MLP_LEAKY_RELU2, c.parallel_residual_from = 2, c.ln_scale = true;
    c.xsa_layers[0] = 3, c.xsa_layers_len = 1;
    c.bigram_hash = true, c.bigram_hash_buckets = 32, c.bigram_hash_dim = 8;
    c.value_embed = true, c.value_embed_dim = 6;
    c.value_embed_layers[0] = 1, c.value_embed_layers[1] = 3,
    c.value_embed_layers_len = 2;
    c.attn_sink = TITAN_SINK_KEY, c.smear_gate = c.emb_norm = c.resid_mix = true;
    c.branch_scale = true, c.unet_skips = TITAN_SKIPS_MIRROR_BLOCKS, c.skip_gates = true;
    const int32_t S[] = {0, 1, 2, 1, 2, 3};
    memcpy(c.layer_schedule, S, sizeof S), c.layer_schedule_len = 6;
    c.recurrence_start_frac = 0.35;
    c.gdn_layers[0] = 2, c.gdn_layers_len = 1, c.gdn_v_heads = 8;
    return c;
}

static const char *leaf(const char *name) {
    const char *dot = strncmp(name, "blocks.", 7) ? NULL : strchr(name + 7, '.');
    return dot ? dot + 1 : name;
}

static bool is(const char *name, const char *l) { return !strcmp(leaf(name), l); }

/* Every value of t[0..n) equals v. */
static bool all_equal(const float *t, size_t n, float v) {
    for (size_t i = 0; i < n; i++)
        if (t[i] != v) return false;
    return true;
}

static double stddev(const float *t, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)t[i] * t[i];
    return sqrt(s / (double)n);
}

static void new_tensors_start_as_the_records(void **state) {
    (void)state;
    titan_config c = golf();
    assert_int_equal(titan_config_validate(&c), TITAN_OK);
    train_hparams h = {.steps = 10, .seed = 3};
    train_state s;
    assert_int_equal(train_state_init(&s, &c, &h), 0);
    int checked = 0;
    for (int i = 0; i < s.w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s.w.spec[i];
        const float *t = s.w.tensor[i];
        size_t n = (size_t)(sp->rows * sp->cols), D = (size_t)c.d_model;
        const char *name = sp->name;
        checked++;
        if (is(name, "q_gain"))
            assert_true(all_equal(t, n, 1.5f));
        else if (is(name, "k_sink") || is(name, "smear_gate") || is(name, "skip_gates") ||
                 is(name, "bigram.table"))
            assert_true(all_equal(t, n, 0));
        else if (is(name, "ve_scale") || is(name, "attn_scale") ||
                 is(name, "mlp_scale") || is(name, "skip_weights"))
            assert_true(all_equal(t, n, 1));
        else if (is(name, "resid_mix"))
            assert_true(all_equal(t, D, 1) && all_equal(t + D, D, 0));
        else if (is(name, "bigram.scale"))
            assert_true(t[0] == 0.05f);
        else if (is(name, "value_embed.scale"))
            assert_true(t[0] == 0.1f);
        else if (is(name, "value_embed.table"))
            assert_true(fabs(stddev(t, n) - 0.01) < 0.0015);
        else if (is(name, "gdn_A_log"))
            assert_true(all_equal(t, n, (float)log(8.0)));
        else if (is(name, "gdn_dt_bias")) /* softplus = 0.01 */
            assert_true(all_equal(t, n, t[0]) && fabs(log1p(exp(t[0])) - 0.01) < 1e-7);
        else if (is(name, "gdn_conv")) /* identity: last tap 1 */
            for (size_t k = 0; k < n; k++)
                assert_true(t[k] == (k % (size_t)sp->cols == (size_t)sp->cols - 1));
        else if (is(name, "wo") || is(name, "w_down") || is(name, "gdn_o") ||
                 sp->role == TITAN_ROLE_HEAD)
            assert_true(all_equal(t, n, 0));
        else if (sp->role == TITAN_ROLE_MATRIX) /* wq wk wv w_up, the projections */
            assert_true(fabs(stddev(t, n) * sqrt((double)sp->cols) - 1) < 0.25);
        else if (sp->role == TITAN_ROLE_NORM) /* the norms, gdn_o_norm */
            assert_true(all_equal(t, n, 1));
        else
            checked--;
    }
    /* tok_emb is the only tensor left to its own rule. */
    assert_int_equal(checked, s.w.n_tensors - 1);
    train_state_free(&s);
}

/* The tensor classes of SPEC section 8 and the optimizer each one gets. */
static void new_tensors_take_their_optimizer(void **state) {
    (void)state;
    titan_config c = golf();
    train_hparams h = {.steps = 10,
                       .seed = 3,
                       .lr = 1,
                       .lr_matrix = 0.02,
                       .lr_embed = 0.03,
                       .lr_head = 0.008,
                       .lr_scalar = 0.04,
                       .muon_wd = 0.1,
                       .adam_wd = 0.2,
                       .beta1 = 0.9,
                       .beta2 = 0.95,
                       .adam_eps = 1e-8,
                       .momentum = 0.95,
                       .momentum_start = 0.95};
    train_state s;
    train_params g, before;
    assert_int_equal(train_state_init(&s, &c, &h), 0);
    assert_int_equal(train_params_alloc(&g, &c), 0);
    assert_int_equal(train_params_alloc(&before, &c), 0);
    for (size_t i = 0; i < g.count; i++) g.mem[i] = (float)((i * 37) % 23) / 23 - 0.45f;
    memcpy(before.mem, s.w.mem, sizeof(float) * g.count);
    float *scratch = malloc(sizeof(float) * train_state_scratch_floats(&s, 1));
    float *mine = malloc(sizeof(float) * train_state_scratch_floats(&s, 1));
    float *m = calloc(g.count, sizeof(float)), *v = calloc(g.count, sizeof(float));
    assert_non_null(scratch), assert_non_null(mine), assert_non_null(m),
        assert_non_null(v);
    train_apply(&s, &g, &h, 1.0, scratch, NULL);
    static const char *const matrices[] = {"wq",      "wk",          "wv",
                                           "gdn_qkv", "gdn_ba",      "gdn_z",
                                           "gdn_o",   "bigram.proj", "value_embed.proj"};
    int muon = 0, tables = 0;
    for (int i = 0; i < s.w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s.w.spec[i];
        size_t n = (size_t)(sp->rows * sp->cols);
        float *p = before.tensor[i];
        bool matrix = false;
        for (size_t k = 0; k < sizeof matrices / sizeof *matrices; k++)
            matrix |= is(sp->name, matrices[k]);
        bool table = is(sp->name, "bigram.table") || is(sp->name, "value_embed.table");
        if (matrix) assert_int_equal(sp->role, TITAN_ROLE_MATRIX);
        if (table) assert_int_equal(sp->role, TITAN_ROLE_EMBED);
        if (sp->role == TITAN_ROLE_MATRIX) {
            muon_hparams mh = {.lr = 0.02,
                               .momentum = 0.95,
                               .weight_decay = 0.1,
                               .nesterov = 1,
                               .ns_steps = 5};
            muon_step(p, g.tensor[i], m, (int)sp->rows, (int)sp->cols, &mh, mine);
            muon += matrix;
        } else {
            bool embed = sp->role == TITAN_ROLE_EMBED, head = sp->role == TITAN_ROLE_HEAD;
            adamw_hparams ah = {embed  ? 0.03
                                : head ? 0.008
                                       : 0.04,
                                0.9, 0.95, 1e-8, embed || head ? 0.2 : 0};
            adamw_step(p, g.tensor[i], m, v, n, 1, &ah);
            tables += table;
        }
        memset(m, 0, sizeof(float) * n);
        memset(v, 0, sizeof(float) * n);
        assert_memory_equal(p, s.w.tensor[i], sizeof(float) * n);
    }
    assert_int_equal(muon, 3 * 3 + 4 + 2); /* wq wk wv of 3 blocks, GDN's 4, two more */
    assert_int_equal(tables, 2);
    free(m), free(v), free(mine), free(scratch);
    train_params_free(&before);
    train_params_free(&g);
    train_state_free(&s);
}

/* S' while step / steps < recurrence_start_frac (as --qat-start's rule). */
static void shortened_while_below_the_fraction(void **state) {
    (void)state;
    titan_config c = golf();
    train_hparams h = {.steps = 20};
    for (int64_t step = 0; step < 20; step++)
        assert_int_equal(train_schedule_shortened(&h, &c, step), step < 7);
    c.recurrence_start_frac = 0;
    assert_false(train_schedule_shortened(&h, &c, 0));
    c.recurrence_start_frac = 1;
    assert_true(train_schedule_shortened(&h, &c, 19));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_tensors_start_as_the_records),
        cmocka_unit_test(new_tensors_take_their_optimizer),
        cmocka_unit_test(shortened_while_below_the_fraction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
