/* test_train_lora_only.c: SPEC section 9's adapters in the training state:
 * train_init_weights starts every .lora_B at 0 (the adapted model is the
 * base) and .lora_A random; with lora_only the optimizer (Muon + AdamW, and
 * SGD) moves the adapters and leaves every base tensor bit-identical, even
 * with gradients and weight decay on them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tools/train/train_state.h"
#include "xenith_tiny.h"

static size_t numel(const train_params *p, int i) {
    return (size_t)(p->spec[i].rows * p->spec[i].cols);
}

static bool is_lora(const train_params *p, int i) {
    return strstr(p->spec[i].name, ".lora_") != NULL;
}

static void lora_B_starts_at_zero(void **state) {
    (void)state;
    titan_config c = tiny();
    train_hparams h = {.steps = 1, .seed = 1};
    train_state s = {0};
    assert_int_equal(train_state_init(&s, &c, &h), 0);
    int nB = 0, nA = 0;
    for (int i = 0; i < s.w.n_tensors; i++) {
        const char *name = s.w.spec[i].name;
        double sum = 0;
        for (size_t j = 0; j < numel(&s.w, i); j++) sum += s.w.tensor[i][j] != 0;
        if (strstr(name, ".lora_B")) assert_true(sum == 0), nB++;
        if (strstr(name, ".lora_A")) assert_true(sum > 0), nA++;
    }
    assert_true(nB > 0 && nB == nA);
    train_state_free(&s);
}

/* A few steps with every gradient 1 and decay on: the base stays put. */
static void steps_leave_base(int sgd) {
    titan_config c = tiny();
    train_hparams h = {.steps = 4,
                       .seed = 2,
                       .lr = 1,
                       .lr_matrix = 0.02,
                       .lr_embed = 0.05,
                       .lr_head = 0.01,
                       .lr_scalar = 0.04,
                       .muon_wd = 0.1,
                       .adam_wd = 0.1,
                       .beta1 = 0.9,
                       .beta2 = 0.95,
                       .adam_eps = 1e-8,
                       .momentum = 0.95,
                       .sgd = sgd,
                       .sgd_momentum = 0.9,
                       .lora_only = 1};
    train_state s = {0};
    train_params g = {0}, before = {0};
    assert_int_equal(train_state_init(&s, &c, &h), 0);
    assert_int_equal(train_params_alloc(&g, &c), 0);
    assert_int_equal(train_params_alloc(&before, &c), 0);
    for (int i = 0; i < s.w.n_tensors; i++) {
        memcpy(before.tensor[i], s.w.tensor[i], sizeof(float) * numel(&s.w, i));
        for (size_t j = 0; j < numel(&g, i); j++) g.tensor[i][j] = 1;
    }
    float *scratch = malloc(sizeof(float) * (train_state_scratch_floats(&s, 1) + 1));
    assert_non_null(scratch);
    for (int k = 0; k < 3; k++) train_apply(&s, &g, &h, 1, scratch, NULL);
    int moved = 0;
    for (int i = 0; i < s.w.n_tensors; i++) {
        bool same =
            !memcmp(before.tensor[i], s.w.tensor[i], sizeof(float) * numel(&s.w, i));
        if (is_lora(&s.w, i))
            moved += !same;
        else if (!same)
            fail_msg("%s: a base tensor changed", s.w.spec[i].name);
    }
    assert_true(moved > 0);
    free(scratch);
    train_params_free(&before);
    train_params_free(&g);
    train_state_free(&s);
}

static void lora_only_muon_adamw(void **state) {
    (void)state;
    steps_leave_base(0);
}

static void lora_only_sgd(void **state) {
    (void)state;
    steps_leave_base(1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lora_B_starts_at_zero),
        cmocka_unit_test(lora_only_muon_adamw),
        cmocka_unit_test(lora_only_sgd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
