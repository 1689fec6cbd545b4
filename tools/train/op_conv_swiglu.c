/* op_conv_swiglu.c: the SwiGLU MLP's own ops: causal depthwise conv on the
 * gate (SPEC: a'_t[c] = sum_j conv[c, j] a_{t-(K-1)+j}[c]) and the SwiGLU
 * product SiLU(a') * up. */
#include "tools/train/train_ops.h"

#include <math.h>

TRAIN_VECTORIZE void TR(conv_forward)(real *restrict y, const real *restrict x,
                                      const real *restrict w, int T, int C, int K) {
    for (int t = 0; t < T; t++) {
        real *yt = y + (size_t)t * C;
        for (int c = 0; c < C; c++) yt[c] = 0;
        for (int j = 0; j < K; j++) {
            int s = t - (K - 1) + j;
            if (s < 0) continue;
            const real *xs = x + (size_t)s * C;
            for (int c = 0; c < C; c++) yt[c] += w[(size_t)c * K + j] * xs[c];
        }
    }
}

TRAIN_VECTORIZE void TR(conv_backward)(real *restrict dx, real *restrict dw,
                                       const real *restrict dy, const real *restrict x,
                                       const real *restrict w, int T, int C, int K) {
    for (int t = 0; t < T; t++) {
        const real *dyt = dy + (size_t)t * C;
        for (int j = 0; j < K; j++) {
            int s = t - (K - 1) + j;
            if (s < 0) continue;
            const real *xs = x + (size_t)s * C;
            real *dxs = dx + (size_t)s * C;
            for (int c = 0; c < C; c++) {
                dw[(size_t)c * K + j] += dyt[c] * xs[c];
                dxs[c] += dyt[c] * w[(size_t)c * K + j];
            }
        }
    }
}

TRAIN_VECTORIZE void TR(swiglu_forward)(real *restrict m, const real *restrict a,
                                        const real *restrict b, size_t n) {
    for (size_t i = 0; i < n; i++) m[i] = a[i] * real_sigmoid(a[i]) * b[i];
}

/* d SiLU(a) / da = sig(a) (1 + a (1 - sig(a))). Writes (not accumulates)
 * da and db: they are fresh per-layer scratch. */
TRAIN_VECTORIZE void TR(swiglu_backward)(real *restrict da, real *restrict db,
                                         const real *restrict dm, const real *restrict a,
                                         const real *restrict b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        real s = real_sigmoid(a[i]);
        db[i] = dm[i] * a[i] * s;
        da[i] = dm[i] * b[i] * s * (1 + a[i] * (1 - s));
    }
}
