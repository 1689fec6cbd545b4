/* backend.h: the operations a compute backend provides, as a table of function
 * pointers with the same names in every backend (TFLite Micro style):
 * "ref" (plain C, platform/backend_ref.c), "cpu" (SIMD + threads,
 * platform/backend_cpu.c), "tpu" (systolic-array emulator, platform/tpu_*.c).
 * The model (core/) calls only these for its matrix products. */
#ifndef TITAN_PLATFORM_BACKEND_H
#define TITAN_PLATFORM_BACKEND_H

#include "titan.h"

typedef struct titan_backend titan_backend;

struct titan_backend {
    const char *name;
    /* y[t][n] = sum_k W[n][k] * x[t][k] for t < T, n < W->rows, k < W->cols.
     * W may be any titan_dtype: quantized and half types are dequantized inside
     * the kernel (value = q * scale), never expanded whole. x is [T][W->cols],
     * y is [T][W->rows], both float32, not aliased. Sums in float32 with any
     * order (results may differ from ref by rounding only). */
    void (*matmul)(titan_backend *be, const titan_tensor *w, const float *x,
                   float *y, int T);
    void *state; /* backend-owned (thread pool, counters), carved from the arena */
};

/* Fill *be with the plain C reference backend (no state, no arena). */
void titan_backend_ref(titan_backend *be);

#endif
