/* hadamard.c: the fast Walsh-Hadamard transform over blocks of rows or
 * columns (quant/hadamard.h). */
#include "quant/hadamard.h"

#include <math.h>

bool titan_hadamard_size_ok(int64_t n) { return n >= 1 && (n & (n - 1)) == 0; }

/* x[0..n) <- H x: log2(n) butterfly stages, then the 1/sqrt(n) scale. */
static void transform(double *x, int64_t n) {
    for (int64_t h = 1; h < n; h *= 2)
        for (int64_t i = 0; i < n; i += 2 * h)
            for (int64_t j = i; j < i + h; j++) {
                double a = x[j], b = x[j + h];
                x[j] = a + b;
                x[j + h] = a - b;
            }
    double s = 1.0 / sqrt((double)n);
    for (int64_t i = 0; i < n; i++) x[i] *= s;
}

void titan_hadamard_rows(float *W, int64_t cols, int64_t row0, int64_t n, double *tmp) {
    for (int64_t c = 0; c < cols; c++) {
        for (int64_t k = 0; k < n; k++) tmp[k] = W[(row0 + k) * cols + c];
        transform(tmp, n);
        for (int64_t k = 0; k < n; k++) W[(row0 + k) * cols + c] = (float)tmp[k];
    }
}

void titan_hadamard_cols(float *W, int64_t rows, int64_t cols, int64_t col0, int64_t n,
                         double *tmp) {
    for (int64_t r = 0; r < rows; r++) {
        float *x = W + r * cols + col0;
        for (int64_t k = 0; k < n; k++) tmp[k] = x[k];
        transform(tmp, n);
        for (int64_t k = 0; k < n; k++) x[k] = (float)tmp[k];
    }
}
