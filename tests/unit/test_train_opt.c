/* test_train_opt.c: one Muon step against the PyTorch formulation
 * (tests/ref/muon_ref.py, float64) to 1e-5, tall and wide, with and without
 * Nesterov; Newton-Schulz output near-orthogonal; AdamW against hand values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "assert_close.h"
#include "tools/train/train_opt.h"

static float frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 65536.0f - 0.5f;
}

static void muon_matches_torch(int rows, int cols, int nesterov) {
    size_t n = (size_t)rows * cols;
    float *in = malloc(sizeof(float) * 3 * n);
    float *scratch = malloc(sizeof(float) * muon_scratch_floats(rows, cols));
    double *ref = malloc(sizeof(double) * 2 * n);
    unsigned seed = (unsigned)(rows * 31 + cols);
    for (size_t i = 0; i < 3 * n; i++) in[i] = frand(&seed);
    char src[] = "/tmp/titan_muon_inXXXXXX", dst[] = "/tmp/titan_muon_outXXXXXX";
    int fs = mkstemp(src), fd = mkstemp(dst);
    assert_true(fs >= 0 && fd >= 0);
    FILE *f = fdopen(fs, "wb");
    assert_int_equal(fwrite(in, sizeof(float), 3 * n, f), 3 * n);
    fclose(f);
    close(fd);
    muon_hparams h = {.lr = 0.02,
                      .momentum = 0.9,
                      .weight_decay = 0.1,
                      .nesterov = nesterov,
                      .ns_steps = 5};
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 tests/ref/muon_ref.py %s %s %d %d %g %g %g %d %d", src,
             dst, rows, cols, h.lr, h.momentum, h.weight_decay, nesterov, h.ns_steps);
    assert_int_equal(system(cmd), 0);
    f = fopen(dst, "rb");
    assert_non_null(f);
    assert_int_equal(fread(ref, sizeof(double), 2 * n, f), 2 * n);
    fclose(f);
    unlink(src);
    unlink(dst);
    float *p = in, *g = in + n, *buf = in + 2 * n;
    double p0[4096];
    assert_true(n <= 4096);
    for (size_t i = 0; i < n; i++) p0[i] = p[i];
    muon_step(p, g, buf, rows, cols, &h, scratch);
    close_acc err = {0}, err_buf = {0};
    double moved = 0;
    for (size_t i = 0; i < n; i++) {
        close_add(&err, i, p[i], ref[i]);
        close_add(&err_buf, i, buf[i], ref[n + i]);
        moved = max_nan(moved, fabs(ref[i] - p0[i]));
    }
    printf("muon %dx%d nesterov %d: max |dp| %.3e, err %.2e, buf err %.2e\n", rows, cols,
           nesterov, moved, err.err, err_buf.err);
    assert_true(moved > 1e-3); /* the step really moved the weights */
    assert_close(&err, "muon weights", 1e-5, 0);
    assert_close(&err_buf, "muon momentum", 1e-6, 0);
    free(in);
    free(scratch);
    free(ref);
}

static void muon_tall_nesterov(void **state) {
    (void)state;
    muon_matches_torch(48, 20, 1);
}

static void muon_wide_plain(void **state) {
    (void)state;
    muon_matches_torch(16, 40, 0);
}

/* Five quintic steps leave the singular values in roughly [0.7, 1.2]: the
 * Gram matrix X X^T of a wide matrix is near the identity. */
static void newton_schulz_is_near_orthogonal(void **state) {
    (void)state;
    enum { R = 8, C = 32 };
    float X[R * C], scratch[4 * R * C + 2 * R * R];
    unsigned seed = 5;
    for (int i = 0; i < R * C; i++) X[i] = frand(&seed);
    newton_schulz5(X, R, C, 5, scratch);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < R; j++) {
            double s = 0;
            for (int k = 0; k < C; k++) s += X[i * C + k] * X[j * C + k];
            if (i == j)
                assert_true(s > 0.45 && s < 1.45);
            else
                assert_true(fabs(s) < 0.35);
        }
}

/* Step 1 of Adam moves every weight by lr * sign(g) (mhat/sqrt(vhat) = +-1),
 * after decay p *= 1 - lr wd. */
static void adamw_first_step_is_sign(void **state) {
    (void)state;
    float p[3] = {1, -2, 0.5f}, g[3] = {0.3f, -4, 1e-3f}, m[3] = {0}, v[3] = {0};
    adamw_hparams h = {
        .lr = 0.01, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-12, .weight_decay = 0.5};
    adamw_step(p, g, m, v, 3, 1, &h);
    assert_float_equal(p[0], 1 * 0.995 - 0.01, 1e-6);
    assert_float_equal(p[1], -2 * 0.995 + 0.01, 1e-6);
    assert_float_equal(p[2], 0.5 * 0.995 - 0.01, 1e-6);
    assert_float_equal(m[1], -0.4, 1e-6);
    assert_float_equal(v[1], 0.05 * 16, 1e-6);
}

/* torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01) from p = 1 with
 * g = 0.5 twice gives 0.949, then 0.852151. */
static void sgd_two_steps_as_torch(void **state) {
    (void)state;
    float p = 1, g = 0.5f, buf = 0;
    sgd_hparams h = {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01};
    sgd_step(&p, &g, &buf, 1, &h);
    assert_float_equal(p, 0.949, 1e-6);
    assert_float_equal(buf, 0.51, 1e-6);
    sgd_step(&p, &g, &buf, 1, &h);
    assert_float_equal(p, 0.852151, 1e-6);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sgd_two_steps_as_torch),
        cmocka_unit_test(muon_tall_nesterov),
        cmocka_unit_test(muon_wide_plain),
        cmocka_unit_test(newton_schulz_is_near_orthogonal),
        cmocka_unit_test(adamw_first_step_is_sign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
