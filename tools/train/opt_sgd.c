/* opt_sgd.c: SGD with momentum for every tensor (--optimizer sgd), as record
 * 1.0785 trains and as test-time training steps. */
#include "tools/train/train_opt.h"

void sgd_step(float *p, const float *g, float *buf, size_t n, const sgd_hparams *h) {
    float lr = (float)h->lr, mu = (float)h->momentum, wd = (float)h->weight_decay;
    for (size_t i = 0; i < n; i++) {
        buf[i] = mu * buf[i] + (g[i] + wd * p[i]);
        p[i] -= lr * buf[i];
    }
}
