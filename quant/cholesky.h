/* cholesky.h: dense symmetric positive definite factorizations in double. */
#ifndef TITAN_QUANT_CHOLESKY_H
#define TITAN_QUANT_CHOLESKY_H

#include <stdbool.h>
#include <stdint.h>

/* In place: a[n][n] (symmetric, lower triangle read) becomes L with
 * a = L L^T in the lower triangle; the strict upper triangle is zeroed.
 * Returns false if a is not positive definite. */
bool titan_cholesky(double *a, int64_t n);

/* In place: l (lower Cholesky factor of A) becomes A^-1 (full symmetric). */
void titan_cholesky_inverse(double *l, int64_t n);

#endif
