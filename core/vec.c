/* vec.c: the few vector loops the model runs outside the backend's matmul. */
#include "core/model.h"

/* Attention spends most of its time in these. Eight independent lanes let
 * the compiler use vector registers at -O2 (SLP) and keep the adds of a dot
 * product from waiting on each other; VEC_CLONES adds an AVX2 build that the
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

VEC_CLONES float titan_vec_dot(const float *a, const float *b, int n) {
    float s[LANES] = {0}, tail = 0;
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) s[j] += a[i + j] * b[i + j];
    for (; i < n; i++) tail += a[i] * b[i];
    return lanes_sum(s, tail);
}

VEC_CLONES void titan_vec_dot_x4(const float *q, const float *k, size_t ld,
                                 int n, float out[4]) {
    const float *k1 = k + ld, *k2 = k1 + ld, *k3 = k2 + ld;
    float s0[LANES] = {0}, s1[LANES] = {0}, s2[LANES] = {0}, s3[LANES] = {0};
    float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) {
            s0[j] += q[i + j] * k[i + j];
            s1[j] += q[i + j] * k1[i + j];
            s2[j] += q[i + j] * k2[i + j];
            s3[j] += q[i + j] * k3[i + j];
        }
    for (; i < n; i++) {
        t0 += q[i] * k[i], t1 += q[i] * k1[i];
        t2 += q[i] * k2[i], t3 += q[i] * k3[i];
    }
    out[0] = lanes_sum(s0, t0), out[1] = lanes_sum(s1, t1);
    out[2] = lanes_sum(s2, t2), out[3] = lanes_sum(s3, t3);
}

VEC_CLONES void titan_vec_axpy(float *y, const float *x, float alpha, int n) {
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        float t[LANES]; /* loads before stores: no aliasing question for SLP */
        for (int j = 0; j < LANES; j++) t[j] = y[i + j] + alpha * x[i + j];
        for (int j = 0; j < LANES; j++) y[i + j] = t[j];
    }
    for (; i < n; i++) y[i] += alpha * x[i];
}

VEC_CLONES void titan_vec_axpy_x4(float *y, const float *x, size_t ld,
                                  const float a[4], int n) {
    const float *x1 = x + ld, *x2 = x1 + ld, *x3 = x2 + ld;
    float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        float t[LANES];
        for (int j = 0; j < LANES; j++)
            t[j] = y[i + j] + ((a0 * x[i + j] + a1 * x1[i + j]) +
                               (a2 * x2[i + j] + a3 * x3[i + j]));
        for (int j = 0; j < LANES; j++) y[i + j] = t[j];
    }
    for (; i < n; i++)
        y[i] += (a0 * x[i] + a1 * x1[i]) + (a2 * x2[i] + a3 * x3[i]);
}

void titan_vec_add(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += x[i];
}
