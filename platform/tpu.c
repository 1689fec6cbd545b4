/* tpu.c: the emulator's public entry points: configuration, shape checks,
 * counting and dispatch to the fast (tpu_fast.c) or cycle-stepped
 * (tpu_array.c) engine with the default (tpu_cycles.c) or SCALE-Sim
 * (tpu_scalesim.c) timing. */
#include "platform/tpu.h"

#include <math.h>

void titan_tpu_config_default(titan_tpu_config *c) {
    c->rows = 128;
    c->cols = 128;
    c->dataflow = TITAN_TPU_WS;
    c->mode = TITAN_TPU_FAST;
    c->scalesim = 0;
    c->clock_mhz = 700.0;
}

titan_status titan_tpu_config_check(const titan_tpu_config *c) {
    if (!c) return titan_fail(TITAN_E_USAGE, "tpu: no config");
    if (c->rows < TITAN_TPU_MIN_DIM || c->rows > TITAN_TPU_MAX_DIM ||
        c->cols < TITAN_TPU_MIN_DIM || c->cols > TITAN_TPU_MAX_DIM)
        return titan_fail(TITAN_E_USAGE, "tpu: array %dx%d outside %dx%d .. %dx%d",
                          c->rows, c->cols, TITAN_TPU_MIN_DIM, TITAN_TPU_MIN_DIM,
                          TITAN_TPU_MAX_DIM, TITAN_TPU_MAX_DIM);
    if (c->dataflow != TITAN_TPU_WS && c->dataflow != TITAN_TPU_OS)
        return titan_fail(TITAN_E_USAGE, "tpu: unknown dataflow");
    if (c->mode != TITAN_TPU_FAST && c->mode != TITAN_TPU_CYCLE)
        return titan_fail(TITAN_E_USAGE, "tpu: unknown mode");
    if (!(isfinite(c->clock_mhz) && c->clock_mhz > 0))
        return titan_fail(TITAN_E_USAGE, "tpu: clock must be positive");
    return TITAN_OK;
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

titan_status tpu_map_gemm(const titan_tpu_config *c, int64_t M, int64_t K, int64_t N,
                          tpu_map *m) {
    TITAN_TRY(titan_tpu_config_check(c));
    if (M < 1 || M > TITAN_TPU_MAX_MN || N < 1 || N > TITAN_TPU_MAX_MN)
        return titan_fail(TITAN_E_USAGE, "tpu: M=%lld, N=%lld outside [1, %d]",
                          (long long)M, (long long)N, TITAN_TPU_MAX_MN);
    if (K < 1 || K > TITAN_TPU_MAX_K)
        return titan_fail(TITAN_E_USAGE,
                          "tpu: K=%lld outside [1, %d] (int32 accumulator "
                          "bound K * 128 * 128 < 2^31)",
                          (long long)K, TITAN_TPU_MAX_K);
    /* M * N <= 2^48 fits; bounding M * N * K by 2^56 keeps every counter
     * (reads, cycles: at most a few times the MACs) far from 2^64. */
    if (M * N > ((int64_t)1 << 56) / K)
        return titan_fail(TITAN_E_USAGE,
                          "tpu: GEMM of %lld x %lld x %lld "
                          "MACs too large to count",
                          (long long)M, (long long)K, (long long)N);
    m->M = M, m->K = K, m->N = N;
    m->R = c->rows, m->C = c->cols;
    m->dataflow = c->dataflow;
    m->k_tiles = ceil_div(K, m->R);
    m->m_tiles = ceil_div(M, m->R);
    m->n_tiles = ceil_div(N, m->C);
    m->folds = m->n_tiles * (c->dataflow == TITAN_TPU_WS ? m->k_tiles : m->m_tiles);
    return TITAN_OK;
}

titan_status titan_tpu_gemm_count(const titan_tpu_config *c, int64_t M, int64_t K,
                                  int64_t N, titan_tpu_counters *out) {
    tpu_map m;
    TITAN_TRY(tpu_map_gemm(c, M, K, N, &m));
    if (c->scalesim)
        tpu_count_scalesim(&m, out);
    else
        tpu_count_default(&m, out);
    return TITAN_OK;
}

size_t titan_tpu_scratch_bytes(const titan_tpu_config *c) {
    if (titan_tpu_config_check(c) != TITAN_OK || c->mode != TITAN_TPU_CYCLE) return 0;
    return tpu_array_scratch_bytes(c->rows, c->cols);
}

titan_status titan_tpu_gemm(const titan_tpu_config *c, titan_arena *scratch,
                            const int8_t *x, const int8_t *w, int32_t *y, int64_t M,
                            int64_t K, int64_t N, titan_tpu_counters *acc) {
    tpu_map m;
    TITAN_TRY(tpu_map_gemm(c, M, K, N, &m));
    if (!x || !w || !y || !acc)
        return titan_fail(TITAN_E_USAGE, "tpu: NULL operand or counters");
    titan_tpu_counters k;
    if (c->mode == TITAN_TPU_FAST) {
        tpu_fast_gemm(&m, x, w, y);
        TITAN_TRY(titan_tpu_gemm_count(c, M, K, N, &k));
    } else {
        if (!scratch) return titan_fail(TITAN_E_USAGE, "tpu: no scratch arena");
        TITAN_TRY(tpu_array_gemm(&m, !c->scalesim, scratch, x, w, y, &k));
        if (c->scalesim) tpu_scalesim_finish(&m, &k);
    }
    titan_tpu_counters_add(acc, &k);
    return TITAN_OK;
}

void titan_tpu_counters_add(titan_tpu_counters *a, const titan_tpu_counters *b) {
    a->gemms += b->gemms;
    a->cycles += b->cycles;
    a->weight_load_cycles += b->weight_load_cycles;
    a->fill_cycles += b->fill_cycles;
    a->steady_cycles += b->steady_cycles;
    a->drain_cycles += b->drain_cycles;
    a->folds += b->folds;
    a->macs += b->macs;
    a->weight_reads += b->weight_reads;
    a->input_reads += b->input_reads;
    a->output_reads += b->output_reads;
    a->output_writes += b->output_writes;
    a->offchip_bytes += b->offchip_bytes;
    a->refused += b->refused;
}

double titan_tpu_utilization(const titan_tpu_config *c, const titan_tpu_counters *k) {
    if (!k->cycles) return 0;
    return (double)k->macs / ((double)k->cycles * c->rows * c->cols);
}

double titan_tpu_seconds(const titan_tpu_config *c, const titan_tpu_counters *k) {
    return (double)k->cycles / (c->clock_mhz * 1e6);
}
