/* opt_adamw.c: AdamW for embeddings, MTP heads, norms and conv kernels. */
#include "tools/train/train_opt.h"

#include <math.h>

void adamw_step(float *p, const float *g, float *m, float *v, size_t n, long t,
                const adamw_hparams *h) {
    double c1 = 1 - pow(h->beta1, (double)t), c2 = 1 - pow(h->beta2, (double)t);
    float b1 = (float)h->beta1, b2 = (float)h->beta2;
    float decay = (float)(1 - h->lr * h->weight_decay);
    float step = (float)(h->lr / c1), rc2 = (float)(1 / sqrt(c2));
    float eps = (float)h->eps;
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] = p[i] * decay - step * m[i] / (sqrtf(v[i]) * rc2 + eps);
    }
}
