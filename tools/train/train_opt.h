/* train_opt.h: the optimizers (float). Muon for 2-D block matrices, AdamW for
 * embeddings, MTP heads, norms and conv kernels (titan_role picks). */
#ifndef TITAN_TRAIN_OPT_H
#define TITAN_TRAIN_OPT_H

#include <stddef.h>

typedef struct {
    double lr;
    double momentum;     /* mu, after any warm-up */
    double weight_decay; /* decoupled: p *= 1 - lr * wd */
    int nesterov;        /* 1: orthogonalize g + mu * buf, else buf */
    int ns_steps;        /* Newton-Schulz iterations, 5 */
} muon_hparams;

/* Scratch floats muon_step needs for a [rows, cols] matrix. */
size_t muon_scratch_floats(int rows, int cols);

/* X[rows, cols] <- approximately U V^T of its SVD: Frobenius normalization
 * (eps 1e-7), then `steps` quintic iterations X = a X + (b A + c A A) X with
 * A = X X^T, (a, b, c) = (3.4445, -4.7750, 2.0315), on the wide orientation
 * (a tall X takes X^T X and X B instead, the same values without a transposed
 * copy); scratch holds muon_scratch_floats less rows * cols floats. */
void newton_schulz5(float *X, int rows, int cols, int steps, float *scratch);

/* One Muon step (as modded-nanogpt / parameter-golf): buf = mu buf + g;
 * u = NS5(nesterov ? g + mu buf : buf) * sqrt(max(1, rows / cols));
 * p = p (1 - lr wd) - lr u. */
void muon_step(float *p, const float *g, float *buf, int rows, int cols,
               const muon_hparams *h, float *scratch);

typedef struct {
    double lr, beta1, beta2, eps, weight_decay;
} adamw_hparams;

/* One AdamW step (torch.optim.AdamW): p *= 1 - lr wd; m, v moments with bias
 * correction for the 1-based step t; p -= lr mhat / (sqrt(vhat) + eps). */
void adamw_step(float *p, const float *g, float *m, float *v, size_t n, long t,
                const adamw_hparams *h);

typedef struct {
    double lr, momentum, weight_decay;
} sgd_hparams;

/* One step of torch.optim.SGD (dampening 0, not Nesterov): buf = mu buf +
 * (g + wd p), p -= lr buf; buf starts at zero, so its first value is g + wd p
 * as torch's. */
void sgd_step(float *p, const float *g, float *buf, size_t n, const sgd_hparams *h);

#endif
