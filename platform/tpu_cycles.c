/* tpu_cycles.c: the default cycle model (double-buffered weights, folds
 * overlapped), in closed form per fold; tpu_array.c steps the same machine
 * register by register and the tests hold both to the same numbers.
 *
 * Weight-stationary, array R x C, GEMM M x K x N, folds j = 0 .. F-1
 * (F = ceil(K/R) * ceil(N/C), N tiles outer):
 *   - A fold's weights enter through a per-column shift chain, one array row
 *     per cycle: R cycles. PE (r, c) holds W[n0 + c][k0 + r].
 *   - Each PE has two weight registers; an input carries the 1-bit register
 *     select of its fold, so fold j+1's inputs can follow fold j's directly.
 *   - Fold j issues one input vector (X[m][k0 .. k0+R)) per cycle for
 *     m = 0 .. M-1; row r receives it r cycles later (skew). Partial sums move
 *     down one row per cycle; column c emits output m at issue + R-1 + c.
 *   - An issued vector is last used at PE (R-1, C-1), R + C - 2 cycles after
 *     issue, so fold j's weight register is free from
 *       F_j = s_j + M + R + C - 2   (s_j = fold j's first issue cycle).
 *   - The load of fold j starts at L_j = max(L_{j-1} + R, F_{j-2})
 *     (L_0 = 0; F_{j-2} = 0 for j < 2): one load at a time, into the register
 *     fold j-2 used. Fold j issues from s_j = max(s_{j-1} + M, L_j + R).
 *   - Total cycles = s_{F-1} + M + R + C - 2 (the last output leaves column
 *     C-1 of the bottom row). Breakdown: steady = F * M issue cycles,
 *     weight_load = issue cycles lost waiting for weights (s_0 = R plus every
 *     gap s_j - s_{j-1} - M), fill = R - 1 and drain = C - 1 after the last
 *     issue (skew of the bottom row, then across the columns).
 *
 * Output-stationary, folds over (N tile, M tile): PE (r, c) accumulates
 * Y[m0 + r][n0 + c]; X[m0 + r][k] enters row r and W[n0 + c][k] enters column
 * c at issue + r and issue + c, so PE (r, c) sees step k at issue_k + r + c.
 * A PE writes its sum to the output buffer in the cycle of its last MAC (one
 * PE per column per cycle, so one write port per column), so the next fold's
 * K steps issue right behind: cycles = F * K + R + C - 2, steady = F * K,
 * fill = R - 1, drain = C - 1, no weight loads.
 */
#include "platform/tpu.h"

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static void count_ws(const tpu_map *m, titan_tpu_counters *k) {
    const int64_t R = m->R, flight = m->M + m->R + m->C - 2;
    int64_t load = 0, s_prev = 0, s_prev2 = 0, exposed = 0;
    for (int64_t j = 0; j < m->folds; j++) {
        if (j > 0) load += R;
        if (j >= 2) load = max64(load, s_prev2 + flight);
        int64_t earliest = j ? s_prev + m->M : 0;
        int64_t s = max64(earliest, load + R);
        exposed += s - earliest;
        s_prev2 = s_prev;
        s_prev = s;
    }
    k->cycles = (uint64_t)(s_prev + flight);
    k->weight_load_cycles = (uint64_t)exposed;
    k->steady_cycles = (uint64_t)(m->folds * m->M);
}

void tpu_count_default(const tpu_map *m, titan_tpu_counters *k) {
    *k = (titan_tpu_counters){0};
    if (m->dataflow == TITAN_TPU_WS) {
        count_ws(m, k);
    } else {
        k->steady_cycles = (uint64_t)(m->folds * m->K);
        k->cycles = k->steady_cycles + (uint64_t)(m->R + m->C - 2);
    }
    k->fill_cycles = (uint64_t)(m->R - 1);
    k->drain_cycles = (uint64_t)(m->C - 1);
    tpu_count_traffic(m, k);
}

/* Buffer traffic, the same in both timings. WS: each weight is read once
 * into the array; every N tile streams all of X; every K tile writes partial
 * sums, and all but the first read the previous ones back to add. OS: every
 * N tile streams X, every M tile streams W, each output is written once. */
void tpu_count_traffic(const tpu_map *m, titan_tpu_counters *k) {
    const uint64_t M = (uint64_t)m->M, K = (uint64_t)m->K, N = (uint64_t)m->N;
    k->gemms = 1;
    k->folds = (uint64_t)m->folds;
    k->macs = M * N * K;
    k->input_reads = M * K * (uint64_t)m->n_tiles;
    if (m->dataflow == TITAN_TPU_WS) {
        k->weight_reads = K * N;
        k->output_writes = M * N * (uint64_t)m->k_tiles;
        k->output_reads = M * N * (uint64_t)(m->k_tiles - 1);
    } else {
        k->weight_reads = K * N * (uint64_t)m->m_tiles;
        k->output_writes = M * N;
        k->output_reads = 0;
    }
    k->offchip_bytes = K * N + M * K + 4 * M * N; /* int8 W, X in; int32 Y out */
}
