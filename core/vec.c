/* vec.c: the few vector loops the model runs outside the backend's matmul. */
#include "core/model.h"

#include <math.h>

/* Attention spends most of its time in these two. Eight independent lanes
 * let the compiler use vector registers at -O2 (SLP) and keep the adds of the
 * dot product from waiting on each other. */
enum { LANES = 8 };

float vec_dot(const float *a, const float *b, int n) {
    float s[LANES] = {0}, tail = 0;
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) s[j] += a[i + j] * b[i + j];
    for (; i < n; i++) tail += a[i] * b[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) +
           tail;
}

void vec_axpy(float *y, const float *x, float alpha, int n) {
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        float t[LANES]; /* loads before stores: no aliasing question for SLP */
        for (int j = 0; j < LANES; j++) t[j] = y[i + j] + alpha * x[i + j];
        for (int j = 0; j < LANES; j++) y[i + j] = t[j];
    }
    for (; i < n; i++) y[i] += alpha * x[i];
}

void vec_add(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += x[i];
}

void softmax_inplace(float *x, int n) {
    float mx = x[0];
    for (int i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    float sum = 0;
    for (int i = 0; i < n; i++) sum += x[i] = expf(x[i] - mx);
    for (int i = 0; i < n; i++) x[i] /= sum;
}
