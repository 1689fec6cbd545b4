/* op_rope.c: half-split rotary embedding (SPEC section 1): pair
 * (v[i], v[i + Dr/2]) is rotated by the angle p * w_i. The frequencies (with
 * YaRN) come from titan_config_rope and are baked into cos/sin tables. */
#include "tools/train/train_ops.h"

/* sign = +1 rotates forward, -1 applies the transpose (the inverse). */
static void rotate(real *v, int T, size_t row_stride, int nvec, size_t vec_stride, int Dr,
                   const real *cos_t, const real *sin_t, real sign) {
    int half = Dr / 2;
    for (int t = 0; t < T; t++) {
        const real *cs = cos_t + (size_t)t * half, *sn = sin_t + (size_t)t * half;
        for (int j = 0; j < nvec; j++) {
            real *x = v + (size_t)t * row_stride + (size_t)j * vec_stride;
            for (int i = 0; i < half; i++) {
                real a = x[i], b = x[i + half], s = sign * sn[i];
                x[i] = a * cs[i] - b * s;
                x[i + half] = a * s + b * cs[i];
            }
        }
    }
}

void TR(rope_forward)(real *v, int T, size_t row_stride, int nvec, size_t vec_stride,
                      int Dr, const real *cos_t, const real *sin_t) {
    rotate(v, T, row_stride, nvec, vec_stride, Dr, cos_t, sin_t, 1);
}

void TR(rope_backward)(real *dv, int T, size_t row_stride, int nvec, size_t vec_stride,
                       int Dr, const real *cos_t, const real *sin_t) {
    rotate(dv, T, row_stride, nvec, vec_stride, Dr, cos_t, sin_t, -1);
}
