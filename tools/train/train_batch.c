/* train_batch.c: sequences of a batch on worker threads, deterministic. */
#include "tools/train/train_batch.h"

#include <pthread.h>
#include <string.h>

typedef struct {
    train_workers *w;
    const train_params *weights;
    const train_seq *seqs;
    int n, grad, tid;
    double scale, *loss, *head_loss;
} job;

static void *worker(void *arg) {
    job *j = arg;
    train_workers *w = j->w;
    int M = w->m->cfg.mtp_heads;
    for (int i = j->tid; i < j->n; i += w->n_threads) {
        double *heads = j->head_loss + (size_t)i * M;
        const train_seq *s = &j->seqs[i];
        j->loss[i] = j->grad ? train_loss_grad(w->m, j->weights, &w->acts[j->tid],
                                               s->ids, s->T, j->scale,
                                               &w->grads[j->tid], heads)
                             : train_loss(w->m, j->weights, &w->acts[j->tid],
                                          s->ids, s->T, heads);
    }
    return NULL;
}

void train_workers_run(train_workers *w, const train_params *weights,
                       const train_seq *seqs, int n, int grad, double scale,
                       double *loss, double *head_loss) {
    job jobs[TRAIN_MAX_THREADS];
    pthread_t th[TRAIN_MAX_THREADS];
    int started[TRAIN_MAX_THREADS] = {0};
    for (int t = 0; t < w->n_threads; t++) {
        jobs[t] = (job){w, weights, seqs, n, grad, t, scale, loss, head_loss};
        /* Thread 0's share runs on the calling thread. */
        if (t > 0 && t < n)
            started[t] = !pthread_create(&th[t], NULL, worker, &jobs[t]);
    }
    worker(&jobs[0]);
    for (int t = 1; t < w->n_threads; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else if (t < n) worker(&jobs[t]); /* could not start: run here */
    }
}

int train_workers_init(train_workers *w, const train_model *m, int n_threads) {
    memset(w, 0, sizeof *w);
    w->m = m;
    w->n_threads = n_threads;
    for (int t = 0; t < n_threads; t++) {
        if (train_acts_alloc(&w->acts[t], &m->cfg, m->max_T) ||
            train_params_alloc(&w->grads[t], &m->cfg)) {
            train_workers_free(w);
            return -1;
        }
    }
    return 0;
}

void train_workers_free(train_workers *w) {
    for (int t = 0; t < w->n_threads; t++) {
        train_acts_free(&w->acts[t]);
        train_params_free(&w->grads[t]);
    }
}

void train_workers_zero(train_workers *w) {
    for (int t = 0; t < w->n_threads; t++)
        memset(w->grads[t].mem, 0, sizeof(float) * w->grads[t].count);
}

void train_workers_reduce(train_workers *w) {
    float *sum = w->grads[0].mem;
    for (int t = 1; t < w->n_threads; t++) {
        const float *g = w->grads[t].mem;
        for (size_t i = 0; i < w->grads[0].count; i++) sum[i] += g[i];
    }
}
