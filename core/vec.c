/* vec.c: the few vector loops the model runs outside the backend's matmul. */
#include "core/model.h"

#include <string.h>

/* The softmax of attention runs these. Eight independent lanes let the
 * compiler use vector registers at -O2 (SLP) and keep a reduction's steps
 * from waiting on each other; VEC_CLONES adds an AVX2 build that the
 * loader picks on CPUs that have it (GNU ifunc). */
#if defined(__x86_64__) && defined(__ELF__) && \
    (defined(__clang__) ? __clang_major__ >= 14 : __GNUC__ >= 6)
#define VEC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VEC_CLONES
#endif
enum { LANES = 8 };

static inline float lanes_sum(const float s[LANES], float tail) {
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) +
           tail;
}

VEC_CLONES float titan_vec_max(const float *x, int n) {
    float m[LANES];
    for (int j = 0; j < LANES; j++) m[j] = x[0];
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) m[j] = x[i + j] > m[j] ? x[i + j] : m[j];
    for (; i < n; i++) m[0] = x[i] > m[0] ? x[i] : m[0];
    for (int j = 1; j < LANES; j++) m[0] = m[j] > m[0] ? m[j] : m[0];
    return m[0];
}

/* exp(x) for x <= 0 within 2 ulp (exp(x) = 2^k exp(r), |r| <= ln2/2, a
 * degree-7 Taylor polynomial for exp(r)); plain arithmetic, so loops over
 * it vectorize. Below -87 (the float range) it returns 0. */
static inline float exp_nonpositive(float x) {
    const float round = 12582912.0f; /* 1.5 * 2^23: adding rounds to an integer */
    float xc = x < -87.0f ? -87.0f : x;
    float t = xc * 1.44269504f + round, k = t - round;
    float r = (xc - k * 0.693359375f) + k * 2.12194440e-4f; /* ln2 = hi - lo, k hi exact */
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 +
              r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
    int32_t bits;
    memcpy(&bits, &t, sizeof bits);
    int32_t e = (bits - 0x4b400000 + 127) << 23; /* 2^k: t's low bits hold k */
    float scale;
    memcpy(&scale, &e, sizeof scale);
    return x < -87.0f ? 0.0f : p * scale;
}

VEC_CLONES float titan_vec_exp_sum(float *x, float shift, int n) {
    float s[LANES] = {0}, tail = 0;
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) s[j] += x[i + j] = exp_nonpositive(x[i + j] - shift);
    for (; i < n; i++) tail += x[i] = exp_nonpositive(x[i] - shift);
    return lanes_sum(s, tail);
}

void titan_vec_add(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += x[i];
}
