/* test_tpu_array.c: the cycle-stepped array and the fast mode give the same
 * integers (equal to a plain C int32 matmul) and the same counters, and the
 * counters equal the closed forms worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "titan.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}
static int64_t rnd_in(int64_t lo, int64_t hi) {
    return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static void fill_i8(int8_t *v, int64_t n) {
    for (int64_t i = 0; i < n; i++) v[i] = (int8_t)(rnd() & 0xff);
}

static void ref_matmul(const int8_t *x, const int8_t *w, int32_t *y, int64_t M, int64_t K,
                       int64_t N) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t n = 0; n < N; n++) {
            int64_t s = 0;
            for (int64_t k = 0; k < K; k++) s += (int64_t)x[i * K + k] * w[n * K + k];
            y[i * N + n] = (int32_t)s;
        }
}

static void assert_counters_equal(const titan_tpu_counters *a,
                                  const titan_tpu_counters *b) {
    assert_int_equal(a->gemms, b->gemms);
    assert_int_equal(a->cycles, b->cycles);
    assert_int_equal(a->weight_load_cycles, b->weight_load_cycles);
    assert_int_equal(a->fill_cycles, b->fill_cycles);
    assert_int_equal(a->steady_cycles, b->steady_cycles);
    assert_int_equal(a->drain_cycles, b->drain_cycles);
    assert_int_equal(a->folds, b->folds);
    assert_int_equal(a->macs, b->macs);
    assert_int_equal(a->weight_reads, b->weight_reads);
    assert_int_equal(a->input_reads, b->input_reads);
    assert_int_equal(a->output_reads, b->output_reads);
    assert_int_equal(a->output_writes, b->output_writes);
    assert_int_equal(a->offchip_bytes, b->offchip_bytes);
}

/* One shape through the reference, FAST and CYCLE: same integers, counters. */
static void check_shape(titan_tpu_config cfg, int64_t M, int64_t K, int64_t N) {
    int8_t *x = malloc((size_t)(M * K)), *w = malloc((size_t)(N * K));
    int32_t *ref = malloc((size_t)(M * N) * 4), *y = malloc((size_t)(M * N) * 4);
    fill_i8(x, M * K);
    fill_i8(w, N * K);
    ref_matmul(x, w, ref, M, K, N);

    titan_tpu_counters fast = {0}, step = {0};
    cfg.mode = TITAN_TPU_FAST;
    memset(y, 0x55, (size_t)(M * N) * 4);
    assert_int_equal(titan_tpu_gemm(&cfg, NULL, x, w, y, M, K, N, &fast), TITAN_OK);
    assert_memory_equal(y, ref, (size_t)(M * N) * 4);

    cfg.mode = TITAN_TPU_CYCLE;
    size_t bytes = titan_tpu_scratch_bytes(&cfg);
    void *buf = malloc(bytes);
    titan_arena a;
    titan_arena_init(&a, buf, bytes);
    memset(y, 0x55, (size_t)(M * N) * 4);
    assert_int_equal(titan_tpu_gemm(&cfg, &a, x, w, y, M, K, N, &step), TITAN_OK);
    assert_memory_equal(y, ref, (size_t)(M * N) * 4);
    assert_counters_equal(&fast, &step);
    assert_int_equal(a.used, 0);
    free(buf), free(x), free(w), free(ref), free(y);
}

static titan_tpu_config array_cfg(int R, int C, titan_tpu_dataflow df, int scalesim) {
    titan_tpu_config c;
    titan_tpu_config_default(&c);
    c.rows = R, c.cols = C, c.dataflow = df, c.scalesim = scalesim;
    return c;
}

/* Random shapes, square and non-square arrays, shapes that do not divide the
 * array, both dataflows, both timings. */
static void fast_equals_cycle_random(void **state) {
    (void)state;
    for (int it = 0; it < 160; it++) {
        int R = (int)rnd_in(4, 12), C = (int)rnd_in(4, 12);
        titan_tpu_config c =
            array_cfg(R, C, it % 2 ? TITAN_TPU_OS : TITAN_TPU_WS, (it / 2) % 2);
        check_shape(c, rnd_in(1, 40), rnd_in(1, 40), rnd_in(1, 40));
    }
}

/* Extreme operands: all -128 reach the largest magnitude, exactly. */
static void extreme_values_exact(void **state) {
    (void)state;
    const int64_t M = 3, K = 700, N = 5;
    int8_t x[3 * 700], w[5 * 700];
    memset(x, 0x80, sizeof x);
    memset(w, 0x80, sizeof w);
    int32_t y[15];
    titan_tpu_config c = array_cfg(8, 4, TITAN_TPU_WS, 0);
    titan_tpu_counters k = {0};
    assert_int_equal(titan_tpu_gemm(&c, NULL, x, w, y, M, K, N, &k), TITAN_OK);
    for (int i = 0; i < 15; i++) assert_int_equal(y[i], 700 * 16384);
}

static void ws_default_cycles_by_hand(void **state) {
    (void)state;
    titan_tpu_counters k;
    /* 4x4 array, M=10 K=8 N=4: 2 folds. Fold 0 loads cycles 0-3, issues
     * 4-13; fold 1 loads 4-7 (other register), issues 14-23; the last vector
     * needs R + C - 2 = 6 more cycles: 14 + 10 + 6 = 30. */
    titan_tpu_config c = array_cfg(4, 4, TITAN_TPU_WS, 0);
    assert_int_equal(titan_tpu_gemm_count(&c, 10, 8, 4, &k), TITAN_OK);
    assert_int_equal(k.cycles, 30);
    assert_int_equal(k.weight_load_cycles, 4);
    assert_int_equal(k.steady_cycles, 20);
    assert_int_equal(k.fill_cycles + k.drain_cycles, 6);
    assert_int_equal(k.folds, 2);
    assert_int_equal(k.macs, 10 * 8 * 4);
    assert_int_equal(k.weight_reads, 32);
    assert_int_equal(k.input_reads, 80);
    assert_int_equal(k.output_writes, 80);
    assert_int_equal(k.output_reads, 40);
    assert_int_equal(k.offchip_bytes, 32 + 80 + 160);
    /* M=1 (decoding): 3 folds on a 4x4 array, K=12 N=4. Loads: 0-3, 4-7;
     * fold 0 issues at 4 and is last used at 4 + 6 = 10, so fold 2's load
     * into its register runs 11-14 and fold 2 issues at 15: 15 + 1 + 6 = 22. */
    assert_int_equal(titan_tpu_gemm_count(&c, 1, 12, 4, &k), TITAN_OK);
    assert_int_equal(k.cycles, 22);
    assert_int_equal(k.steady_cycles, 3);
    assert_int_equal(k.weight_load_cycles, 22 - 3 - 6);
    /* Utilization on the analytic model: 80 MACs per 16 PEs over 30 cycles. */
    assert_int_equal(titan_tpu_gemm_count(&c, 10, 4, 4, &k), TITAN_OK);
    assert_int_equal(k.cycles, 4 + 10 + 6);
    assert_true(titan_tpu_utilization(&c, &k) == 160.0 / (20.0 * 16));
    c.clock_mhz = 2.0;
    assert_true(titan_tpu_seconds(&c, &k) == 20 / 2e6);
}

static void os_default_cycles_by_hand(void **state) {
    (void)state;
    titan_tpu_counters k;
    /* 4x8 array, M=6 K=5 N=10: 2 M tiles x 2 N tiles = 4 folds of 5 steps
     * back to back, then 4 + 8 - 2 cycles of skew: 30. */
    titan_tpu_config c = array_cfg(4, 8, TITAN_TPU_OS, 0);
    assert_int_equal(titan_tpu_gemm_count(&c, 6, 5, 10, &k), TITAN_OK);
    assert_int_equal(k.cycles, 30);
    assert_int_equal(k.weight_load_cycles, 0);
    assert_int_equal(k.input_reads, 6 * 5 * 2);
    assert_int_equal(k.weight_reads, 5 * 10 * 2);
    assert_int_equal(k.output_writes, 60);
}

/* SCALE-Sim v2 rules worked by hand. WS on 4x4, M(T)=5, K=6, N=7: folds
 * ceil(6/4) * ceil(7/4) = 4, lines per fold 2*4 + 4 + 5 - 2 = 15, Total
 * Cycles = 60 - 1 = 59. OS on 8x4 (non-square), M=9 K=3 N=5: folds
 * 2 * 2 = 4, lines K + R + C - 2 = 13, Total Cycles 51, ofmap writes
 * 45 + 4 * (8 + 4) = 93. Their golden 32x32 ws run (T=256, 32 folds):
 * 32 * 350 - 1 = 11199 cycles before stalls. */
static void scalesim_cycles_by_hand(void **state) {
    (void)state;
    titan_tpu_counters k;
    titan_tpu_config c = array_cfg(4, 4, TITAN_TPU_WS, 1);
    assert_int_equal(titan_tpu_gemm_count(&c, 5, 6, 7, &k), TITAN_OK);
    assert_int_equal(k.cycles, 59);
    assert_int_equal(k.weight_load_cycles, 16);
    assert_int_equal(k.steady_cycles, 20);
    assert_int_equal(k.input_reads, 5 * 6 * 2);
    assert_int_equal(k.weight_reads, 6 * 7);
    assert_int_equal(k.output_writes, 5 * 7 * 2);
    c = array_cfg(8, 4, TITAN_TPU_OS, 1);
    assert_int_equal(titan_tpu_gemm_count(&c, 9, 3, 5, &k), TITAN_OK);
    assert_int_equal(k.cycles, 51);
    assert_int_equal(k.output_writes, 93);
    assert_int_equal(k.weight_reads, 3 * 5 * 2);
    c = array_cfg(32, 32, TITAN_TPU_WS, 1);
    assert_int_equal(titan_tpu_gemm_count(&c, 256, 32 * 8, 32 * 4, &k), TITAN_OK);
    assert_int_equal(k.cycles, 11199);
    /* Its report: Mapping Efficiency 100.0, Compute Util 67.19160104986877. */
    double map, util;
    assert_int_equal(titan_tpu_scalesim_efficiency(&c, 256, 256, 128, &map, &util),
                     TITAN_OK);
    assert_true(fabs(map - 1.0) < 1e-12);
    assert_true(fabs(util * 100 - 67.19160104986877) < 1e-9);
    /* OS 8x4, M=9 K=3 N=5: used 45 of 4 folds x 32 PEs; T / (3 + 8 + 4 - 2). */
    c = array_cfg(8, 4, TITAN_TPU_OS, 1);
    assert_int_equal(titan_tpu_scalesim_efficiency(&c, 9, 3, 5, &map, &util), TITAN_OK);
    assert_true(fabs(map - 45.0 / 128) < 1e-12);
    assert_true(fabs(util - 45.0 / 128 * 3 / 13) < 1e-12);
    check_shape(array_cfg(4, 4, TITAN_TPU_WS, 1), 5, 6, 7);
    check_shape(array_cfg(8, 4, TITAN_TPU_OS, 1), 9, 3, 5);
}

/* The default timing never loses to SCALE-Sim's back-to-back folds. */
static void overlap_never_slower(void **state) {
    (void)state;
    for (int it = 0; it < 300; it++) {
        titan_tpu_config d = array_cfg((int)rnd_in(4, 64), (int)rnd_in(4, 64),
                                       it % 2 ? TITAN_TPU_OS : TITAN_TPU_WS, 0);
        titan_tpu_config s = d;
        s.scalesim = 1;
        int64_t M = rnd_in(1, 300), K = rnd_in(1, 300), N = rnd_in(1, 300);
        titan_tpu_counters a, b;
        assert_int_equal(titan_tpu_gemm_count(&d, M, K, N, &a), TITAN_OK);
        assert_int_equal(titan_tpu_gemm_count(&s, M, K, N, &b), TITAN_OK);
        assert_true(a.cycles <= b.cycles + 1);
        assert_true(a.cycles >= a.steady_cycles);
        assert_int_equal(a.cycles, a.weight_load_cycles + a.steady_cycles +
                                       a.fill_cycles + a.drain_cycles);
    }
}

static void bad_shapes_refused(void **state) {
    (void)state;
    titan_tpu_config c = array_cfg(4, 4, TITAN_TPU_WS, 0);
    titan_tpu_counters k;
    assert_int_equal(titan_tpu_gemm_count(&c, 0, 4, 4, &k), TITAN_E_USAGE);
    assert_int_equal(titan_tpu_gemm_count(&c, 4, 131072, 4, &k), TITAN_E_USAGE);
    assert_int_equal(titan_tpu_gemm_count(&c, 4, 131071, 4, &k), TITAN_OK);
    assert_int_equal(titan_tpu_gemm_count(&c, 1 << 24, 131071, 1 << 24, &k),
                     TITAN_E_USAGE);
    c.rows = 3;
    assert_int_equal(titan_tpu_gemm_count(&c, 4, 4, 4, &k), TITAN_E_USAGE);
    c.rows = 257;
    assert_int_equal(titan_tpu_config_check(&c), TITAN_E_USAGE);
    c.rows = 256;
    c.cols = 256;
    assert_int_equal(titan_tpu_config_check(&c), TITAN_OK);
    c.clock_mhz = 0;
    assert_int_equal(titan_tpu_config_check(&c), TITAN_E_USAGE);
    /* A CYCLE run with too small an arena fails cleanly. */
    c = array_cfg(8, 8, TITAN_TPU_WS, 0);
    c.mode = TITAN_TPU_CYCLE;
    uint8_t buf[256];
    titan_arena a;
    titan_arena_init(&a, buf, sizeof buf);
    int8_t x[64] = {0}, w[64] = {0};
    int32_t y[64];
    assert_int_equal(titan_tpu_gemm(&c, &a, x, w, y, 8, 8, 8, &k), TITAN_E_NOMEM);
    assert_int_equal(a.used, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_equals_cycle_random),
        cmocka_unit_test(extreme_values_exact),
        cmocka_unit_test(ws_default_cycles_by_hand),
        cmocka_unit_test(os_default_cycles_by_hand),
        cmocka_unit_test(scalesim_cycles_by_hand),
        cmocka_unit_test(overlap_never_slower),
        cmocka_unit_test(bad_shapes_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
