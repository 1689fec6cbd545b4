/* vec.c: the few vector loops the model runs outside the backend's matmul. */
#include "core/model.h"
#include "platform/vec8.h"
#include "platform/vec_exp.h"

#include <string.h>

/* The softmax of attention runs these (eight lanes, platform/vec8.h). */
VEC8_CLONES float titan_vec_max(const float *x, int n) {
    float m[LANES];
    for (int j = 0; j < LANES; j++) m[j] = x[0];
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) m[j] = x[i + j] > m[j] ? x[i + j] : m[j];
    for (; i < n; i++) m[0] = x[i] > m[0] ? x[i] : m[0];
    for (int j = 1; j < LANES; j++) m[0] = m[j] > m[0] ? m[j] : m[0];
    return m[0];
}

/* The exp below stays in vector registers where plain loops with selects
 * and bit casts would not be vectorized. */
TITAN_EXP_NONPOSITIVE(static inline, exp_nonpositive, f8, i8)

float titan_vec_exp_sum(float *x, float shift, int n) {
    return titan_exp_shift_sum(x, shift, n);
}

VEC8_CLONES void titan_vec_mul_add(float *y, const float *a, const float *b, int n) {
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        f8 vy, va, vb;
        memcpy(&vy, y + i, sizeof vy), memcpy(&va, a + i, sizeof va);
        memcpy(&vb, b + i, sizeof vb);
        vy += va * vb;
        memcpy(y + i, &vy, sizeof vy);
    }
    for (; i < n; i++) y[i] += a[i] * b[i];
}

VEC8_CLONES float titan_vec_dot(const float *a, const float *b, int n) {
    f8 acc = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        f8 va, vb;
        memcpy(&va, a + i, sizeof va), memcpy(&vb, b + i, sizeof vb);
        acc += va * vb;
    }
    float s[LANES], tail = 0;
    memcpy(s, &acc, sizeof s);
    for (; i < n; i++) tail += a[i] * b[i];
    return lanes_sum(s, tail);
}

VEC8_CLONES void titan_vec_axpy(float *y, float a, const float *x, int n) {
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        f8 vy, vx;
        memcpy(&vy, y + i, sizeof vy), memcpy(&vx, x + i, sizeof vx);
        vy += a * vx;
        memcpy(y + i, &vy, sizeof vy);
    }
    for (; i < n; i++) y[i] += a * x[i];
}

/* silu(g) = g sigmoid(g), sigmoid from z = exp(-|g|) <= 1: 1 / (1 + z) for
 * g >= 0, z / (1 + z) below. */
static inline void silu(f8 *v) {
    f8 g = *v, z = (f8)((i8)g | INT32_MIN); /* -|g|: set the sign bit */
    exp_nonpositive(&z);
    i8 neg = g < 0.0f;
    f8 num = (f8)(((i8)z & neg) | ((i8)((f8){0} + 1.0f) & ~neg));
    *v = g * (num / (1.0f + z));
}

VEC8_CLONES void titan_vec_silu_mul(float *y, const float *g, int n) {
    int i = 0;
    f8 vy, vg;
    for (; i + LANES <= n; i += LANES) {
        memcpy(&vg, g + i, sizeof vg), memcpy(&vy, y + i, sizeof vy);
        silu(&vg);
        vy *= vg;
        memcpy(y + i, &vy, sizeof vy);
    }
    if (i < n) {
        for (int j = 0; j < LANES; j++) vg[j] = i + j < n ? g[i + j] : 0;
        silu(&vg);
        for (int j = 0; i + j < n; j++) y[i + j] *= vg[j];
    }
}

/* x = φ(x)^2, φ(x) = x for x >= 0, slope * x below: a select by the sign
 * mask, so the loop stays in vector registers. */
VEC8_CLONES void titan_vec_leaky_square(float *x, float slope, int n) {
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        f8 v;
        memcpy(&v, x + i, sizeof v);
        i8 neg = v < 0.0f;
        v = (f8)(((i8)(v * slope) & neg) | ((i8)v & ~neg));
        v *= v;
        memcpy(x + i, &v, sizeof v);
    }
    for (; i < n; i++) {
        float v = x[i] < 0 ? slope * x[i] : x[i];
        x[i] = v * v;
    }
}

void titan_vec_add(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += x[i];
}
