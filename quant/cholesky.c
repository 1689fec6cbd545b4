/* cholesky.c: Cholesky factorization and inverse from the factor, the two
 * dense kernels GPTQ needs (n up to a few thousand, plain loops in double). */
#include "quant/cholesky.h"

#include <math.h>

bool titan_cholesky(double *a, int64_t n) {
    for (int64_t j = 0; j < n; j++) {
        double *rj = a + j * n;
        double d = rj[j];
        for (int64_t k = 0; k < j; k++) d -= rj[k] * rj[k];
        if (!(d > 0) || !isfinite(d)) return false;
        d = sqrt(d);
        rj[j] = d;
        for (int64_t i = j + 1; i < n; i++) {
            double *ri = a + i * n;
            double s = ri[j];
            for (int64_t k = 0; k < j; k++) s -= ri[k] * rj[k];
            ri[j] = s / d;
        }
        for (int64_t k = j + 1; k < n; k++) rj[k] = 0;
    }
    return true;
}

/* L^-1 in place (lower triangular), by forward substitution row by row. */
static void invert_lower(double *l, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        double *ri = l + i * n;
        ri[i] = 1 / ri[i];
        for (int64_t j = 0; j < i; j++) {
            double s = 0;
            for (int64_t k = j; k < i; k++) s += ri[k] * l[k * n + j];
            ri[j] = -s * ri[i];
        }
    }
}

void titan_cholesky_inverse(double *l, int64_t n) {
    invert_lower(l, n); /* l = M = L^-1 */
    /* A^-1 = M^T M: entry (i, j) = sum_{k >= max(i, j)} M[k][i] M[k][j]. The
     * result for (i <= j) needs only rows k >= j, so fill the upper triangle
     * first while the lower one still holds M, then mirror it. */
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = n - 1; j >= i; j--) {
            double s = 0;
            for (int64_t k = j; k < n; k++) s += l[k * n + i] * l[k * n + j];
            if (j > i)
                l[i * n + j] = s;
            else
                l[i * n + i] = s; /* (i, i) uses column i of rows >= i only */
        }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < i; j++) l[i * n + j] = l[j * n + i];
}
