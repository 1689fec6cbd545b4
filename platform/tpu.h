/* tpu.h: internals shared by the systolic-array emulator files
 * (platform/tpu*.c). The public face is the "tpu" section of titan.h. */
#ifndef TITAN_PLATFORM_TPU_H
#define TITAN_PLATFORM_TPU_H

#include "titan.h"

/* One GEMM Y[M][N] = X[M][K] . W[N][K]^T cut into array-sized folds.
 * WS: fold = (N tile of C columns, K tile of R rows), N tiles outer.
 * OS: fold = (N tile of C columns, M tile of R rows), N tiles outer.
 * (SCALE-Sim v2 orders its folds the same way: col folds outer.) */
typedef struct {
    int64_t M, K, N;
    int64_t R, C; /* array rows, cols */
    int64_t k_tiles, m_tiles, n_tiles;
    int64_t folds; /* k_tiles * n_tiles (WS), m_tiles * n_tiles (OS) */
    titan_tpu_dataflow dataflow;
} tpu_map;

/* Validate the shape (TITAN_E_USAGE) and fill *m. */
TITAN_NODISCARD titan_status tpu_map_gemm(const titan_tpu_config *c, int64_t M, int64_t K,
                                          int64_t N, tpu_map *m);

/* tpu_cycles.c: default timing (double-buffered weights, overlapped folds)
 * and the buffer traffic both timings share. Writes *k. */
void tpu_count_default(const tpu_map *m, titan_tpu_counters *k);
void tpu_count_traffic(const tpu_map *m, titan_tpu_counters *k);

/* tpu_scalesim.c: SCALE-Sim v2's conventions. tpu_count_scalesim writes all
 * counters; tpu_scalesim_finish turns a stepped run without fold overlap
 * (cycles = demand lines) into SCALE-Sim's report conventions. */
void tpu_count_scalesim(const tpu_map *m, titan_tpu_counters *k);
void tpu_scalesim_finish(const tpu_map *m, titan_tpu_counters *k);

/* tpu_fast.c: the integer results tile by tile. */
void tpu_fast_gemm(const tpu_map *m, const int8_t *x, const int8_t *w, int32_t *y);

/* tpu_array.c: the cycle-stepped PE grid. overlap = 1: double-buffered
 * weights (WS) and folds issued back to back; 0: one weight buffer and each
 * fold waits for the array to empty (SCALE-Sim's schedule). Writes *k. */
size_t tpu_array_scratch_bytes(int64_t R, int64_t C);
TITAN_NODISCARD titan_status tpu_array_gemm(const tpu_map *m, int overlap, titan_arena *a,
                                            const int8_t *x, const int8_t *w, int32_t *y,
                                            titan_tpu_counters *k);

#endif
