/* test_tpu_backend.c: the "tpu" backend computes the matmul of backend.h on
 * the emulator: exact where quantization is exact, close to the reference
 * backend otherwise, with counters per tensor name and in total. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/backend.h"
#include "titan.h"

static titan_tensor make_tensor(const char *name, titan_dtype dt, int64_t rows,
                                int64_t cols, const void *data, const float *scales) {
    titan_tensor t;
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "%s", name);
    t.dtype = dt, t.ndim = 2, t.rows = rows, t.cols = cols;
    t.data = data, t.scales = scales;
    return t;
}

static void *backend_new(titan_backend *be, titan_tpu_mode mode, int max_T, int64_t rows,
                         int64_t cols) {
    titan_tpu_config c;
    titan_tpu_config_default(&c);
    c.rows = 8, c.cols = 4, c.mode = mode;
    titan_arena meas;
    titan_arena_init(&meas, NULL, 0);
    assert_int_equal(titan_tpu_backend_init(be, &meas, &c, max_T, rows, cols), TITAN_OK);
    void *buf = malloc(meas.used + 64);
    titan_arena a;
    titan_arena_init(&a, buf, meas.used + 64);
    assert_int_equal(titan_tpu_backend_init(be, &a, &c, max_T, rows, cols), TITAN_OK);
    return buf;
}

/* x rows whose max |x| is 127 quantize exactly (scale 1); with int8 weights
 * the result is exactly acc * scale. */
static void exact_on_integer_inputs(void **state) {
    (void)state;
    enum { T = 3, N = 5, K = 19 };
    int8_t w[N * K];
    float ws[N], x[T * K], y[T * N];
    for (int i = 0; i < N * K; i++) w[i] = (int8_t)((i * 37) % 255 - 127);
    for (int n = 0; n < N; n++) ws[n] = 0.5f + n;
    for (int i = 0; i < T * K; i++) x[i] = (float)((i * 53) % 255 - 127);
    for (int t = 0; t < T; t++) x[t * K] = 127; /* max |x| = 127 per row */
    titan_tensor wt = make_tensor("blocks.0.wo", TITAN_DT_INT8, N, K, w, ws);
    for (int mode = 0; mode < 2; mode++) {
        titan_backend be;
        void *buf = backend_new(&be, (titan_tpu_mode)mode, 4, 64, 64);
        be.matmul(&be, &wt, x, y, T);
        for (int t = 0; t < T; t++)
            for (int n = 0; n < N; n++) {
                int32_t acc = 0;
                for (int k = 0; k < K; k++) acc += (int32_t)x[t * K + k] * w[n * K + k];
                assert_true(y[t * N + n] == (float)acc * ws[n]);
            }
        titan_tpu_counters tot;
        const titan_tpu_layer *layers;
        int n_layers;
        titan_tpu_backend_stats(&be, &tot, &layers, &n_layers);
        assert_int_equal(n_layers, 1);
        assert_string_equal(layers[0].name, "blocks.0.wo");
        assert_int_equal(tot.macs, T * N * K);
        assert_int_equal(layers[0].k.cycles, tot.cycles);
        free(buf);
    }
}

/* f32, bf16 and int6 weights: within the quantization error of the ref
 * backend (|err| <= sum |x||w| * (1/127 + 1/127) roughly), counted per name. */
static void close_to_reference(void **state) {
    (void)state;
    enum { T = 4, N = 6, K = 33 };
    float wf[N * K], x[T * K], y[T * N], yr[T * N];
    uint16_t wb[N * K];
    uint8_t w6[N * 27];
    float s6[N];
    memset(w6, 0, sizeof w6);
    for (int i = 0; i < N * K; i++) {
        wf[i] = sinf((float)i * 0.7f);
        uint32_t bits;
        memcpy(&bits, &wf[i], 4);
        wb[i] = (uint16_t)(bits >> 16);
    }
    assert_int_equal(titan_quant_rtn(wf, N, K, TITAN_DT_INT6, 0, w6, s6), TITAN_OK);
    for (int i = 0; i < T * K; i++) x[i] = cosf((float)i * 1.3f) * 3;
    titan_tensor ts[3] = {
        make_tensor("a", TITAN_DT_F32, N, K, wf, NULL),
        make_tensor("b", TITAN_DT_BF16, N, K, wb, NULL),
        make_tensor("c", TITAN_DT_INT6, N, K, w6, s6),
    };
    titan_backend be, ref;
    void *buf = backend_new(&be, TITAN_TPU_FAST, T, N, K);
    titan_backend_ref(&ref);
    for (int i = 0; i < 3; i++) {
        be.matmul(&be, &ts[i], x, y, T);
        ref.matmul(&ref, &ts[i], x, yr, T);
        for (int t = 0; t < T; t++)
            for (int n = 0; n < N; n++) {
                double bound = 0;
                for (int k = 0; k < K; k++) bound += fabs(x[t * K + k]) * 1.0;
                bound *= 3.0 / 127; /* |w| <= 1: half-steps of both operands */
                assert_true(fabs(y[t * N + n] - yr[t * N + n]) <= bound);
            }
    }
    titan_tpu_counters tot;
    const titan_tpu_layer *layers;
    int n_layers;
    titan_tpu_backend_stats(&be, &tot, &layers, &n_layers);
    assert_int_equal(n_layers, 3);
    assert_int_equal(tot.gemms, 3);
    assert_int_equal(tot.macs, 3 * T * N * K);
    assert_string_equal(layers[2].name, "c");
    /* Calling "a" again adds to its row. */
    be.matmul(&be, &ts[0], x, y, 1);
    titan_tpu_backend_stats(&be, &tot, &layers, &n_layers);
    assert_int_equal(n_layers, 3);
    assert_int_equal(layers[0].k.macs, (T + 1) * N * K);
    /* The same int6 values one per byte (int6b) and read as int8: the array
     * sees the same integers, so the outputs are bit-identical. */
    uint8_t wb6[N * K];
    float sb6[N], y6[T * N], y8[T * N];
    assert_int_equal(titan_quant_rtn(wf, N, K, TITAN_DT_INT6_BYTE, 0, wb6, sb6),
                     TITAN_OK);
    assert_memory_equal(sb6, s6, sizeof s6);
    titan_tensor tb = make_tensor("c", TITAN_DT_INT6_BYTE, N, K, wb6, sb6);
    titan_tensor t8 = make_tensor("c", TITAN_DT_INT8, N, K, wb6, sb6);
    be.matmul(&be, &ts[2], x, y6, T);
    be.matmul(&be, &tb, x, y, T);
    be.matmul(&be, &t8, x, y8, T);
    assert_memory_equal(y, y6, sizeof y);
    assert_memory_equal(y8, y6, sizeof y);
    free(buf);
}

/* Calls larger than the backend was sized for are refused, not overrun. */
static void oversized_call_refused(void **state) {
    (void)state;
    titan_backend be;
    void *buf = backend_new(&be, TITAN_TPU_FAST, 2, 4, 8);
    float w[5 * 8] = {0}, x[3 * 8] = {0}, y[3 * 5];
    titan_tensor wt = make_tensor("big", TITAN_DT_F32, 5, 8, w, NULL);
    be.matmul(&be, &wt, x, y, 1);
    assert_true(isnan(y[0]));
    titan_tensor ok = make_tensor("ok", TITAN_DT_F32, 4, 8, w, NULL);
    be.matmul(&be, &ok, x, y, 3);
    assert_true(isnan(y[0]));
    titan_tpu_counters tot;
    titan_tpu_backend_stats(&be, &tot, NULL, NULL);
    assert_int_equal(tot.refused, 2);
    assert_int_equal(tot.macs, 0);
    titan_tpu_config c;
    titan_tpu_config_default(&c);
    titan_arena a;
    titan_arena_init(&a, NULL, 0);
    assert_int_equal(titan_tpu_backend_init(&be, &a, &c, 1, 4, 131072), TITAN_E_USAGE);
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_on_integer_inputs),
        cmocka_unit_test(close_to_reference),
        cmocka_unit_test(oversized_call_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
