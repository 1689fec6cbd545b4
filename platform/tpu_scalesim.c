/* tpu_scalesim.c: SCALE-Sim v2's timing conventions (scalesim-project/
 * scale-sim-v2, scalesim/compute/systolic_compute_{ws,os}.py and
 * scalesim/memory/double_buffered_scratchpad_mem.py), so `titan tpu
 * --scalesim` compares one to one with that simulator's COMPUTE_REPORT when
 * its memories never stall. Its operand matrices: ifmap [M x K],
 * filter [K x N], ofmap [M x N].
 *
 * WS (Sr = K on the rows, Sc = N on the columns, T = M): every fold's demand
 * matrices are R lines of weight shifting (the ifmap prefix), T lines of
 * inputs, C - 1 lines of drain (the ifmap suffix), then skewed by R - 1 more:
 *   lines per fold = 2R + C + T - 2,  folds = ceil(K/R) * ceil(N/C),
 * folds back to back with no overlap of loads or fills.
 * OS (Sr = M, Sc = N, T = K): T lines of operands, skewed, then the outputs
 * of the R rows leave: lines per fold = T + R + C - 2, folds = ceil(M/R) *
 * ceil(N/C).
 * "Total Cycles" is the cycle stamp of the last ofmap demand line, counted
 * from 0: lines - 1 when nothing stalls (its repository's 32x32 ws golden run:
 * 32 folds x 350 lines - 1 + 41248 stalls = 52447). "Overall Util" =
 * M*N*K / (Total Cycles * R * C), our utilization with these cycles.
 * Access counts are its compute-side requests: ifmap = M * K * ceil(N/C),
 * filter = K * N (ws) or K * N * ceil(M/R) (os), ofmap = M * N * ceil(K/R)
 * (ws) or M * N plus R + C per fold (os: systolic_compute_os.py adds the
 * flipped fold's shape to ofmap_writes; kept for a one-to-one comparison).
 * Breakdown per fold: weight_load R (ws only), steady T, fill R - 1,
 * drain C - 1 (their sum is the lines, one more than the cycles).
 * Its "Mapping Efficiency" averages used PEs / (R * C) over the folds, and
 * "Compute Util" averages used PEs * T / (R * C * fold cycles) with fold
 * cycles = filter demand lines + C - 1 (2R + 2C + T - 3, ws) or ofmap
 * demand lines + C - 1 (T + R + C - 2, os). The used PEs summed over folds
 * are K * N (ws) or M * N (os), so both averages have closed forms (golden
 * run above: 100% and 256 / 381 = 67.19%). */
#include "platform/tpu.h"

void tpu_scalesim_finish(const tpu_map *m, titan_tpu_counters *k) {
    const uint64_t F = (uint64_t)m->folds;
    int ws = m->dataflow == TITAN_TPU_WS;
    k->weight_load_cycles = ws ? F * (uint64_t)m->R : 0;
    k->steady_cycles = F * (uint64_t)(ws ? m->M : m->K);
    k->fill_cycles = F * (uint64_t)(m->R - 1);
    k->drain_cycles = F * (uint64_t)(m->C - 1);
    k->cycles -= 1;
    if (!ws) k->output_writes += F * (uint64_t)(m->R + m->C);
}

titan_status titan_tpu_scalesim_efficiency(const titan_tpu_config *c, int64_t M,
                                           int64_t K, int64_t N, double *mapping,
                                           double *compute) {
    tpu_map m;
    TITAN_TRY(tpu_map_gemm(c, M, K, N, &m));
    int ws = m.dataflow == TITAN_TPU_WS;
    double used = (double)(ws ? K : M) * (double)N;
    double T = (double)(ws ? M : K);
    double fold_cycles = ws ? 2.0 * (m.R + m.C) + T - 3 : T + m.R + m.C - 2;
    *mapping = used / ((double)m.folds * (double)(m.R * m.C));
    *compute = *mapping * T / fold_cycles;
    return TITAN_OK;
}

void tpu_count_scalesim(const tpu_map *m, titan_tpu_counters *k) {
    *k = (titan_tpu_counters){0};
    tpu_count_traffic(m, k);
    int64_t per_fold =
        m->dataflow == TITAN_TPU_WS ? 2 * m->R + m->C + m->M - 2 : m->K + m->R + m->C - 2;
    k->cycles = (uint64_t)(m->folds * per_fold);
    tpu_scalesim_finish(m, k);
}
