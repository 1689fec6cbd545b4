/* hadamard.h: the orthonormal Walsh-Hadamard matrix H = H_n / sqrt(n) (n a
 * power of two, Sylvester's order: H[i][j] = (-1)^popcount(i & j) / sqrt(n)),
 * symmetric and its own inverse, applied by the fast transform in double to a
 * block of a row-major matrix's rows or columns. Rotating the value rows of
 * an attention head by H and the matching output columns by H^T leaves the
 * model's function as it was while spreading outlier weights over the block,
 * which lowers the error of per-row quantization. */
#ifndef TITAN_QUANT_HADAMARD_H
#define TITAN_QUANT_HADAMARD_H

#include <stdbool.h>
#include <stdint.h>

/* n is a power of two (1 included). */
bool titan_hadamard_size_ok(int64_t n);

/* W[row0 .. row0+n) <- H W[row0 .. row0+n), W having cols columns; tmp holds
 * n doubles. */
void titan_hadamard_rows(float *W, int64_t cols, int64_t row0, int64_t n, double *tmp);

/* W[:, col0 .. col0+n) <- W[:, col0 .. col0+n) H for each of rows rows of a
 * matrix with cols columns (H is symmetric: this is W H^T too); tmp holds n
 * doubles. */
void titan_hadamard_cols(float *W, int64_t rows, int64_t cols, int64_t col0, int64_t n,
                         double *tmp);

#endif
