/* train_batch.h: a batch of sequences spread over worker threads (pthreads).
 * Sequence i goes to thread i % n_threads; each thread sums its gradients in
 * its own slab and the slabs are added in thread order, so results depend on
 * the seed and the thread count only. */
#ifndef TITAN_TRAIN_BATCH_H
#define TITAN_TRAIN_BATCH_H

#include "tools/train/train_model.h"

#define TRAIN_MAX_THREADS 64

typedef struct {
    const int *ids; /* [T] */
    int T;          /* 1 <= T <= the workers' max_T */
} train_seq;

typedef struct {
    const train_model *m;
    int n_threads;
    train_acts acts[TRAIN_MAX_THREADS];
    train_params grads[TRAIN_MAX_THREADS]; /* grads[0] holds the sum */
} train_workers;

/* 0, or -1 when out of memory (everything allocated so far is freed). */
int train_workers_init(train_workers *w, const train_model *m, int n_threads);
void train_workers_free(train_workers *w);

/* Zero every thread's gradient slab. */
void train_workers_zero(train_workers *w);

/* Run seqs[0..n): head_loss[i * M + k] receives head k+1's mean CE of
 * sequence i, loss[i] its SPEC loss. With grad, each thread's slab gets
 * += scale * dLoss_i/dw for its sequences. */
void train_workers_run(train_workers *w, const train_params *weights,
                       const train_seq *seqs, int n, int grad, double scale,
                       double *loss, double *head_loss);

/* grads[0] += grads[1] + ... + grads[n-1], in that order. */
void train_workers_reduce(train_workers *w);

#endif
