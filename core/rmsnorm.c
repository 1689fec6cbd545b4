/* rmsnorm.c: RMSNorm(v; g) = v / sqrt(mean(v^2) + eps) * g. */
#include "core/model.h"

#include <math.h>

void titan_rmsnorm(float *y, const float *x, const float *g, int n,
                     double eps) {
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    float inv = (float)(1.0 / sqrt(ss / n + eps));
    for (int i = 0; i < n; i++) y[i] = x[i] * inv * g[i];
}
