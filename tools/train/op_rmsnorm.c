/* op_rmsnorm.c: RMSNorm(v; g) = v / sqrt(mean(v^2) + eps) * g, and RMSNorm0
 * (SPEC section 8: no gain). */
#include "tools/train/train_ops.h"

#include <math.h>

/* 1 / sqrt(mean(x[0..C)^2) + eps), the sum in double. */
static real rstd_of(const real *x, int C, double eps) {
    double ss = 0;
    for (int i = 0; i < C; i++) ss += (double)x[i] * x[i];
    return (real)(1.0 / sqrt(ss / C + eps));
}

TRAIN_VECTORIZE void TR(rmsnorm_forward)(real *y, real *rstd, const real *x,
                                         const real *g, int T, int C, double eps) {
    for (int t = 0; t < T; t++) {
        const real *xt = x + (size_t)t * C;
        real *yt = y + (size_t)t * C, r = rstd[t] = rstd_of(xt, C, eps);
        for (int i = 0; i < C; i++) yt[i] = xt[i] * r * g[i];
    }
}

/* With xhat = x r and r = (mean(x^2) + eps)^-1/2:
 * dx = r (dy g - x r^2 mean(dy g x)), dg += dy x r. */
TRAIN_VECTORIZE void TR(rmsnorm_backward)(real *dx, real *dg, const real *dy,
                                          const real *x, const real *g, const real *rstd,
                                          int T, int C) {
    for (int t = 0; t < T; t++) {
        const real *xt = x + (size_t)t * C, *dyt = dy + (size_t)t * C;
        real *dxt = dx + (size_t)t * C;
        real r = rstd[t];
        double dot = 0;
        for (int i = 0; i < C; i++) {
            dot += (double)dyt[i] * g[i] * xt[i];
            dg[i] += dyt[i] * xt[i] * r;
        }
        real k = (real)(dot / C) * r * r;
        for (int i = 0; i < C; i++) dxt[i] += r * (dyt[i] * g[i] - xt[i] * k);
    }
}

/* RMSNorm0: the same without a gain, y = x r; dx += r (dy - x r^2 mean(dy x)). */
TRAIN_VECTORIZE void TR(rmsnorm0_forward)(real *y, real *rstd, const real *x, int rows,
                                          int C, double eps) {
    for (int t = 0; t < rows; t++) {
        const real *xt = x + (size_t)t * C;
        real *yt = y + (size_t)t * C, r = rstd[t] = rstd_of(xt, C, eps);
        for (int i = 0; i < C; i++) yt[i] = xt[i] * r;
    }
}

TRAIN_VECTORIZE void TR(rmsnorm0_backward)(real *dx, const real *dy, const real *x,
                                           const real *rstd, int rows, int C) {
    for (int t = 0; t < rows; t++) {
        const real *xt = x + (size_t)t * C, *dyt = dy + (size_t)t * C;
        real *dxt = dx + (size_t)t * C;
        real r = rstd[t];
        double dot = 0;
        for (int i = 0; i < C; i++) dot += (double)dyt[i] * xt[i];
        real k = (real)(dot / C) * r * r;
        for (int i = 0; i < C; i++) dxt[i] += r * (dyt[i] - xt[i] * k);
    }
}
