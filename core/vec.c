/* vec.c: the few vector loops the model runs outside the backend's matmul. */
#include "core/model.h"

#include <math.h>

float titan_vec_dot(const float *a, const float *b, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

void titan_vec_axpy(float *y, const float *x, float alpha, int n) {
    for (int i = 0; i < n; i++) y[i] += alpha * x[i];
}

void titan_vec_add(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += x[i];
}

void titan_softmax(float *x, int n) {
    float mx = x[0];
    for (int i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    float sum = 0;
    for (int i = 0; i < n; i++) sum += x[i] = expf(x[i] - mx);
    for (int i = 0; i < n; i++) x[i] /= sum;
}
