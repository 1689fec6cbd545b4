/* vec_exp.h: exp(v) for v <= 0 on GNU vectors (GCC and clang vector
 * extensions), shared by the model's softmax and SiLU loops (core/vec.c) and
 * the attention kernels (platform/attend*.c). TITAN_EXP_NONPOSITIVE(ATTRS,
 * name, fv, iv) defines `ATTRS void name(fv *v)` for a float vector type fv
 * and the int32 vector type iv of the same size, so every width shares one
 * polynomial. Within 2 ulp: exp(x) = 2^k exp(r), |r| <= ln2/2, a degree-7
 * Taylor polynomial for exp(r); below -87 (the float range, -inf included)
 * 0. In place: vectors wider than the target has registers get no ABI. */
#ifndef TITAN_PLATFORM_VEC_EXP_H
#define TITAN_PLATFORM_VEC_EXP_H

#include <stdint.h>

#define TITAN_EXP_NONPOSITIVE(ATTRS, name, fv, iv)                                       \
    ATTRS void name(fv *v) {                                                             \
        fv x = *v;                                                                       \
        const float round = 12582912.0f; /* 1.5 * 2^23: adding rounds to an integer */   \
        iv low = x < -87.0f;             /* all ones where x is out of range */          \
        fv xc = (fv)(((iv)x & ~low) | ((iv)((fv){0} - 87.0f) & low));                    \
        fv t = xc * 1.44269504f + round, k = t - round;                                  \
        fv r = (xc - k * 0.693359375f) + k * 2.12194440e-4f; /* ln2 = hi - lo */         \
        fv p =                                                                           \
            1.0f +                                                                       \
            r * (1.0f +                                                                  \
                 r * (0.5f + r * (1.0f / 6 +                                             \
                                  r * (1.0f / 24 +                                       \
                                       r * (1.0f / 120 +                                 \
                                            r * (1.0f / 720 + r * (1.0f / 5040)))))));   \
        iv two_k = ((iv)t - 0x4b400000 + 127) << 23; /* t's low bits hold k */           \
        *v = (fv)((iv)(p * (fv)two_k) & ~low);                                           \
    }

/* x[i] = exp(x[i] - shift) for i < n (x[i] <= shift); returns their sum. */
float titan_exp_shift_sum(float *x, float shift, int n);

#endif
