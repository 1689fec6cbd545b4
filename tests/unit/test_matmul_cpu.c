/* test_matmul_cpu.c: the cpu backend against a private double-precision loop
 * and the reference backend for every dtype, group size, odd shapes,
 * T = 1..200, 1 and 2 threads and every kernel family this CPU runs; results
 * must not depend on threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "platform/backend_cpu.h"
#include "platform/threads.h"
#include "test_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A weight matrix in one storage type plus its exact values as doubles. */
typedef struct {
    titan_tensor t;
    uint8_t *data;
    float *scales;
    double *value; /* [N][K] what each stored weight means */
} test_weights;

static void store_int6(uint8_t *row, int64_t k, int q) {
    uint8_t *p = row + k / 4 * 3;
    uint32_t word = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    word |= (uint32_t)(q & 63) << (6 * (k % 4));
    p[0] = (uint8_t)word, p[1] = (uint8_t)(word >> 8), p[2] = (uint8_t)(word >> 16);
}

static test_weights make_weights(titan_dtype dt, int64_t N, int64_t K, int gs) {
    test_weights w = {0};
    int64_t groups = gs ? (K + gs - 1) / gs : 1;
    size_t rb = dt == TITAN_DT_F32                                ? K * 4
                : dt == TITAN_DT_INT8 || dt == TITAN_DT_INT6_BYTE ? K
                : dt == TITAN_DT_INT6                             ? (K + 3) / 4 * 3
                                                                  : K * 2;
    w.data = calloc(N * rb + 1, 1);
    w.scales = calloc(N * groups + 1, sizeof(float));
    w.value = calloc(N * K, sizeof(double));
    for (int64_t g = 0; g < N * groups; g++)
        w.scales[g] = (float)(0.01 + 0.02 * fabs(uniform()));
    for (int64_t n = 0; n < N; n++) {
        uint8_t *row = w.data + n * rb;
        for (int64_t k = 0; k < K; k++) {
            double s = w.scales[n * groups + (gs ? k / gs : 0)];
            float f = (float)uniform();
            double v;
            if (dt == TITAN_DT_F32) {
                memcpy(row + k * 4, &f, 4), v = f;
            } else if (dt == TITAN_DT_BF16) {
                uint32_t bits;
                memcpy(&bits, &f, 4);
                bits &= 0xffff0000u;
                uint16_t h = (uint16_t)(bits >> 16);
                memcpy(row + k * 2, &h, 2), memcpy(&f, &bits, 4), v = f;
            } else if (dt == TITAN_DT_F16) {
                _Float16 h = (_Float16)(f * 3.0f);
                memcpy(row + k * 2, &h, 2), v = (double)h;
            } else if (dt == TITAN_DT_INT8) {
                int q = (int)lrint(uniform() * 127.5);
                q = q > 127 ? 127 : q;
                row[k] = (uint8_t)(int8_t)q, v = q * s;
            } else {
                int q = (int)floor(uniform() * 32.0);
                if (dt == TITAN_DT_INT6)
                    store_int6(row, k, q);
                else
                    row[k] = (uint8_t)(int8_t)q;
                v = q * s;
            }
            w.value[n * K + k] = v;
        }
    }
    bool quant = dt >= TITAN_DT_INT8;
    w.t = (titan_tensor){.dtype = dt,
                         .ndim = 2,
                         .rows = N,
                         .cols = K,
                         .group_size = quant ? gs : 0,
                         .data = w.data,
                         .scales = quant ? w.scales : NULL};
    return w;
}

static void free_weights(test_weights *w) {
    free(w->data), free(w->scales), free(w->value);
}

enum { ISAS = TITAN_ISA_AVX512 + 1 }; /* kernel families */

typedef struct {
    titan_arena arena;
    void *buf;
    titan_backend *be[ISAS][2]; /* [isa][threads - 1], NULL if unsupported */
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    size_t bytes = 2 * ISAS * titan_backend_cpu_arena_bytes(2) + 4096;
    f->buf = malloc(bytes);
    titan_arena_init(&f->arena, f->buf, bytes);
    for (int isa = 0; isa <= (int)titan_cpu_best_isa(); isa++)
        for (int th = 1; th <= 2; th++)
            assert_int_equal(
                titan_backend_cpu_create_isa(&f->arena, th, isa, &f->be[isa][th - 1]),
                TITAN_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    for (int isa = 0; isa < ISAS; isa++)
        for (int th = 0; th < 2; th++) titan_backend_destroy(f->be[isa][th]);
    free(f->buf), free(f);
    return 0;
}

/* Run w x on every backend; compare with the double loop, relative to
 * sum |w x| (the scale rounding errors live on), and 1 vs 2 threads bitwise. */
static void check_products(fixture *f, const test_weights *w, const float *x, int T) {
    int64_t N = w->t.rows, K = w->t.cols;
    float *y = malloc(sizeof(float) * T * N), *y1 = malloc(sizeof(float) * T * N);
    float *yref = malloc(sizeof(float) * T * N);
    titan_backend refbe;
    titan_backend_ref(&refbe);
    refbe.matmul(&refbe, &w->t, x, yref, T);
    for (int isa = 0; isa < ISAS; isa++) {
        for (int th = 0; th < 2; th++) {
            titan_backend *be = f->be[isa][th];
            if (!be) continue;
            for (int64_t i = 0; i < T * N; i++) y[i] = NAN;
            be->matmul(be, &w->t, x, y, T);
            for (int t = 0; t < T; t++) {
                for (int64_t n = 0; n < N; n++) {
                    double ref = 0, mag = 0;
                    for (int64_t k = 0; k < K; k++) {
                        ref += w->value[n * K + k] * x[t * K + k];
                        mag += fabs(w->value[n * K + k] * x[t * K + k]);
                    }
                    double err = fabs(y[t * N + n] - ref);
                    double err_ref = fabs(y[t * N + n] - yref[t * N + n]);
                    if (!(err <= 1e-5 * mag + 1e-30 && err_ref <= 1e-5 * mag + 1e-30)) {
                        fail_msg("%s dtype %d N %lld K %lld gs %d T %d threads %d:"
                                 " y[%d][%lld] = %.9g, want %.9g (ref %.9g)",
                                 titan_isa_name(isa), w->t.dtype, (long long)N,
                                 (long long)K, (int)w->t.group_size, T, th + 1, t,
                                 (long long)n, y[t * N + n], ref, yref[t * N + n]);
                    }
                }
            }
            if (th == 0)
                memcpy(y1, y, sizeof(float) * T * N);
            else
                assert_memory_equal(y1, y, sizeof(float) * T * N);
        }
    }
    free(y), free(y1), free(yref);
}

static void check_case(fixture *f, titan_dtype dt, int64_t N, int64_t K, int gs, int T) {
    test_weights w = make_weights(dt, N, K, gs);
    float *x = malloc(sizeof(float) * T * K);
    for (int64_t i = 0; i < T * K; i++) x[i] = (float)uniform();
    check_products(f, &w, x, T);
    free(x);
    free_weights(&w);
}

static void every_dtype_and_shape(void **state) {
    fixture *f = *state;
    static const int64_t shapes[][2] = {{37, 45}, {70, 19}, {33, 300}, {5, 1}};
    static const int Ts[] = {1, 2, 7, 64};
    for (int dt = TITAN_DT_F32; dt <= TITAN_DT_INT6_BYTE; dt++) {
        bool quant = dt >= TITAN_DT_INT8;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            for (size_t i = 0; i < sizeof Ts / sizeof Ts[0]; i++) {
                check_case(f, dt, shapes[s][0], shapes[s][1], 0, Ts[i]);
                if (!quant) continue;
                check_case(f, dt, shapes[s][0], shapes[s][1], 32, Ts[i]);
                check_case(f, dt, shapes[s][0], shapes[s][1], 20, Ts[i]);
            }
        }
    }
}

/* Tokens of very different sizes, one with an outlier: each keeps its own
 * relative accuracy on every path. */
static void token_scales_and_outliers(void **state) {
    enum { N = 41, K = 300, T = 5 };
    static const double scale[T] = {1e-20, 1e-3, 1, 1e20, 1};
    float *x = malloc(sizeof(float) * T * K);
    for (int t = 0; t < T; t++)
        for (int k = 0; k < K; k++) x[t * K + k] = (float)(scale[t] * uniform());
    x[4 * K + 17] = 3e4f;
    for (titan_dtype dt = TITAN_DT_F32; dt <= TITAN_DT_INT6_BYTE; dt++) {
        test_weights w = make_weights(dt, N, K, 0);
        for (int T1 = 1; T1 <= T; T1 += T - 1) check_products(*state, &w, x, T1);
        free_weights(&w);
    }
    free(x);
}

/* A NaN in one token's x makes that token's outputs NaN on every path,
 * never a plausible number; the other tokens are untouched. */
static void nan_input_gives_nan(void **state) {
    fixture *f = *state;
    enum { N = 9, K = 70, T = 3 };
    float x[T * K], y[T * N];
    for (int i = 0; i < T * K; i++) x[i] = (float)uniform();
    x[K + 5] = NAN;
    for (titan_dtype dt = TITAN_DT_F32; dt <= TITAN_DT_INT6_BYTE; dt++) {
        test_weights w = make_weights(dt, N, K, 0);
        for (int isa = 0; isa < ISAS; isa++) {
            titan_backend *be = f->be[isa][1];
            if (!be) continue;
            for (int T1 = 1; T1 <= T; T1 += 2) { /* the NaN token alone, and in a batch */
                const float *xs = T1 == 1 ? x + K : x;
                be->matmul(be, &w.t, xs, y, T1);
                for (int t = 0; t < T1; t++)
                    for (int n = 0; n < N; n++)
                        assert_true(isnan(y[t * N + n]) == (T1 == 1 || t == 1));
            }
        }
        free_weights(&w);
    }
}

/* matmul2 gives the bits of two matmul calls, for mixed dtype pairs, row
 * counts that split chunks between the two, few and many tokens (dot tiles
 * and panels), 1 and 2 threads. */
static void pair_matches_two_calls(void **state) {
    fixture *f = *state;
    enum { K = 75, TMAX = 20 };
    static const int64_t rows[][2] = {{37, 70}, {64, 5}, {1, 300}};
    static const titan_dtype dts[][2] = {{TITAN_DT_INT8, TITAN_DT_INT8},
                                         {TITAN_DT_INT6, TITAN_DT_INT6_BYTE},
                                         {TITAN_DT_INT8, TITAN_DT_F32},
                                         {TITAN_DT_BF16, TITAN_DT_F32}};
    static const int Ts[] = {1, 3, TMAX};
    float *x = malloc(sizeof(float) * TMAX * K), *y[4];
    for (int i = 0; i < TMAX * K; i++) x[i] = (float)uniform();
    for (int i = 0; i < 4; i++) y[i] = malloc(sizeof(float) * TMAX * 300);
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        for (size_t d = 0; d < sizeof dts / sizeof *dts; d++) {
            test_weights w0 = make_weights(dts[d][0], rows[r][0], K, 0);
            test_weights w1 = make_weights(dts[d][1], rows[r][1], K, 0);
            for (int isa = 0; isa < ISAS; isa++) {
                for (int th = 0; th < 2; th++) {
                    titan_backend *be = f->be[isa][th];
                    if (!be) continue;
                    assert_non_null(be->matmul2);
                    for (size_t i = 0; i < sizeof Ts / sizeof *Ts; i++) {
                        int T = Ts[i];
                        be->matmul2(be, &w0.t, y[0], &w1.t, y[1], x, T);
                        be->matmul(be, &w0.t, x, y[2], T);
                        be->matmul(be, &w1.t, x, y[3], T);
                        assert_memory_equal(y[0], y[2], sizeof(float) * T * rows[r][0]);
                        assert_memory_equal(y[1], y[3], sizeof(float) * T * rows[r][1]);
                    }
                }
            }
            free_weights(&w0), free_weights(&w1);
        }
    }
    for (int i = 0; i < 4; i++) free(y[i]);
    free(x);
}

static void many_tokens_cross_blocks(void **state) {
    /* T > MATMUL_TB and K > MATMUL_KC: several x blocks and K blocks. */
    check_case(*state, TITAN_DT_F32, 21, 520, 0, 600);
    check_case(*state, TITAN_DT_INT6, 40, 264, 64, 197);
}

/* The same int6 values stored as int6b, as int8 and bit-packed: every
 * backend, kernel family and path (dot tiles, panels, odd groups)
 * gives bit-identical outputs for the three. */
static void int6_layouts_bit_identical(void **state) {
    fixture *f = *state;
    enum { N = 37, K = 70 };
    static const int Ts[] = {1, 5, 40};
    static const int gss[] = {0, 16, 10};
    float *x = malloc(sizeof(float) * 40 * K), *y[3];
    for (int i = 0; i < 3; i++) y[i] = malloc(sizeof(float) * 40 * N);
    for (int64_t i = 0; i < 40 * K; i++) x[i] = (float)uniform();
    uint8_t *bytes = malloc(N * K);
    titan_backend refbe;
    titan_backend_ref(&refbe);
    for (size_t g = 0; g < sizeof gss / sizeof *gss; g++) {
        int gs = gss[g], groups = gs ? (K + gs - 1) / gs : 1;
        test_weights w6 = make_weights(TITAN_DT_INT6, N, K, gs);
        for (int64_t i = 0; i < N * K; i++)
            bytes[i] = (uint8_t)(int8_t)lrint(
                w6.value[i] / w6.scales[i / K * groups + (gs ? i % K / gs : 0)]);
        titan_tensor t[3] = {w6.t, w6.t, w6.t};
        t[1].dtype = TITAN_DT_INT6_BYTE, t[1].data = bytes;
        t[2].dtype = TITAN_DT_INT8, t[2].data = bytes;
        for (int b = 0; b <= 2 * ISAS; b++) {
            titan_backend *be = b == 2 * ISAS ? &refbe : f->be[b / 2][b % 2];
            if (!be) continue;
            for (size_t i = 0; i < sizeof Ts / sizeof *Ts; i++) {
                for (int k = 0; k < 3; k++) be->matmul(be, &t[k], x, y[k], Ts[i]);
                assert_memory_equal(y[1], y[2], sizeof(float) * Ts[i] * N);
                assert_memory_equal(y[1], y[0], sizeof(float) * Ts[i] * N);
            }
        }
        free_weights(&w6);
    }
    for (int i = 0; i < 3; i++) free(y[i]);
    free(x), free(bytes);
}

static void unknown_dtype_gives_nan(void **state) {
    fixture *f = *state;
    float w[6] = {1, 2, 3, 4, 5, 6}, x[3] = {1, 1, 1}, y[2] = {0, 0};
    titan_tensor t = {
        .dtype = (titan_dtype)99, .ndim = 2, .rows = 2, .cols = 3, .data = w};
    f->be[0][0]->matmul(f->be[0][0], &t, x, y, 1);
    assert_true(isnan(y[0]) && isnan(y[1]));
    t.dtype = TITAN_DT_F32; /* and a hand-worked product */
    f->be[titan_cpu_best_isa()][1]->matmul(f->be[titan_cpu_best_isa()][1], &t, x, y, 1);
    assert_true(y[0] == 6.0f && y[1] == 15.0f);
}

static void creation_errors(void **state) {
    (void)state;
    static _Alignas(64) uint8_t buf[256];
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    titan_backend *be = (titan_backend *)1;
    assert_int_equal(titan_backend_cpu_create(&a, 0, &be), TITAN_E_USAGE);
    assert_null(be);
    assert_int_equal(titan_backend_cpu_create(&a, TITAN_POOL_MAX_THREADS + 1, &be),
                     TITAN_E_USAGE);
    assert_int_equal(titan_backend_cpu_create(&a, 1, &be), TITAN_E_NOMEM);
    titan_arena_init(&a, NULL, 0);
    assert_int_equal(titan_backend_cpu_create(&a, 2, &be), TITAN_OK);
    assert_null(be);
    assert_int_equal(a.high, titan_backend_cpu_arena_bytes(2));
    if (titan_cpu_best_isa() < TITAN_ISA_AVX512)
        assert_int_equal(titan_backend_cpu_create_isa(&a, 1, TITAN_ISA_AVX512, &be),
                         TITAN_E_UNSUPPORTED);
}

/* The kernel family matches what the kernel reports in /proc/cpuinfo. */
static void features_match_cpuinfo(void **state) {
    (void)state;
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp) skip();
    char line[8192];
    bool avx2 = false, avx512bw = false;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "flags", 5)) continue;
        avx2 = strstr(line, " avx2 ") != NULL;
        avx512bw = strstr(line, " avx512bw ") != NULL;
        break;
    }
    fclose(fp);
    const titan_cpu_features *cf = titan_cpu_features_get();
    assert_int_equal(cf->avx2, avx2);
    assert_int_equal(cf->avx512bw, avx512bw);
    assert_true(titan_cpu_best_isa() >= (avx2 ? TITAN_ISA_AVX2 : TITAN_ISA_SCALAR));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_dtype_and_shape),
        cmocka_unit_test(token_scales_and_outliers),
        cmocka_unit_test(nan_input_gives_nan),
        cmocka_unit_test(pair_matches_two_calls),
        cmocka_unit_test(many_tokens_cross_blocks),
        cmocka_unit_test(int6_layouts_bit_identical),
        cmocka_unit_test(unknown_dtype_gives_nan),
    };
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(creation_errors),
        cmocka_unit_test(features_match_cpuinfo),
    };
    int fails = cmocka_run_group_tests(tests, setup, teardown);
    return fails + cmocka_run_group_tests(plain, NULL, NULL);
}
