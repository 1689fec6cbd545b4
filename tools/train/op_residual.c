/* op_residual.c: the residual stream's per-channel ops of SPEC section 8:
 * branch scales (attn_scale, mlp_scale), resid_mix and the U-Net skips
 * (additive or sigmoid-gated); forward and backward. */
#include "tools/train/train_ops.h"

#include <math.h>

TRAIN_VECTORIZE void TR(scale_add_forward)(real *out, const real *base, const real *s,
                                           const real *y, int T, int D) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++) {
            size_t k = (size_t)t * D + i;
            out[k] = base[k] + s[i] * y[k];
        }
}

TRAIN_VECTORIZE void TR(scale_add_backward)(real *dy, real *ds, const real *dout,
                                            const real *y, const real *s, int T, int D) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++) {
            size_t k = (size_t)t * D + i;
            ds[i] += dout[k] * y[k];
            dy[k] = s[i] * dout[k];
        }
}

TRAIN_VECTORIZE void TR(mix_forward)(real *out, const real *h, const real *x0,
                                     const real *mix, int T, int D) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++) {
            size_t k = (size_t)t * D + i;
            out[k] = mix[i] * h[k] + mix[D + i] * x0[k];
        }
}

TRAIN_VECTORIZE void TR(mix_backward)(real *dh, real *dx0, real *dmix, const real *h,
                                      const real *x0, const real *mix, int T, int D) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++) {
            size_t k = (size_t)t * D + i;
            real g = dh[k];
            dmix[i] += g * h[k];
            dmix[D + i] += g * x0[k];
            dx0[k] += mix[D + i] * g;
            dh[k] = mix[i] * g;
        }
}

TRAIN_VECTORIZE void TR(skip_forward)(real *out, const real *h, const real *src,
                                      const real *w, const real *gate, int T, int D) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++) {
            size_t k = (size_t)t * D + i;
            real a = w[i] * src[k];
            out[k] = gate ? a + real_sigmoid(gate[i]) * (h[k] - a) : h[k] + a;
        }
}

/* Gated: out = a + s (h - a), s = sigmoid(gate): dh = s dout, da = (1 - s)
 * dout, dgate = dout (h - a) s (1 - s); then a = w src. */
TRAIN_VECTORIZE void TR(skip_backward)(real *dh, real *dsrc, real *dw, real *dgate,
                                       const real *h, const real *src, const real *w,
                                       const real *gate, int T, int D) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++) {
            size_t k = (size_t)t * D + i;
            real g = dh[k], da = g;
            if (gate) {
                real s = real_sigmoid(gate[i]), a = w[i] * src[k];
                dgate[i] += g * (h[k] - a) * s * (1 - s);
                da = (1 - s) * g;
                dh[k] = s * g;
            }
            dw[i] += da * src[k];
            dsrc[k] = w[i] * da;
        }
}
