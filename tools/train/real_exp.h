/* real_exp.h: exp of a softmax argument (x <= 0) in the trainer's scalar
 * type. The double build (the reference of the gradient checks) calls libm;
 * the float build inlines a float exp within 2 ulp, with no call: glibc's
 * double exp, called once or twice per attention score and per logit, took
 * a tenth of a training step. */
#ifndef TITAN_TRAIN_REAL_EXP_H
#define TITAN_TRAIN_REAL_EXP_H

#include "tools/train/train_real.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef TRAIN_DOUBLE
static inline real real_exp(real x) { return exp(x); }
#else
/* 2^n * p(r), x = n ln2 + r, |r| <= ln2 / 2 (Cody-Waite ln2 in two parts,
 * Cephes' polynomial). Below -87 the result is exp(-87) (~2e-38, nothing
 * next to a softmax's largest term, 1); NaN stays NaN. */
static inline float real_exp(float x) {
    x = x < -87.0f ? -87.0f : x;
    const float shift = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float k = x * 1.44269504f + shift;
    uint32_t kb;
    memcpy(&kb, &k, sizeof kb);
    k -= shift;
    float r = x - k * 0.693359375f;
    r -= k * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t sb = (kb - 0x4B400000u + 127u) << 23; /* 2^n */
    float s;
    memcpy(&s, &sb, sizeof s);
    return p * s;
}
#endif

#endif
