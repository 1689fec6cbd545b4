/* rmsnorm.c: RMSNorm(v; g) = v / sqrt(mean(v^2) + eps) * g, and RMSNorm0
 * (SPEC section 8) without the gain. */
#include "core/model.h"

#include <math.h>

void titan_rmsnorm(float *y, const float *x, const float *g, int n, double eps) {
    enum { LANES = 8 }; /* independent sums: no add waits for the last */
    double s[LANES] = {0}, ss = 0;
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) s[j] += (double)x[i + j] * x[i + j];
    for (; i < n; i++) ss += (double)x[i] * x[i];
    for (int j = 0; j < LANES; j++) ss += s[j];
    float inv = (float)(1.0 / sqrt(ss / n + eps));
    if (g)
        for (i = 0; i < n; i++) y[i] = x[i] * inv * g[i];
    else
        for (i = 0; i < n; i++) y[i] = x[i] * inv;
}
