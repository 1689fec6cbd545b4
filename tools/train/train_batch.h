/* train_batch.h: a batch of sequences spread over worker threads (the
 * library's pool, platform/threads.h). Sequence i goes to slot i % n_slots
 * (n_slots = n_threads unless set); each slot sums its gradients in its own
 * slab (whichever thread runs it) and the slabs are added in slot order, so
 * results depend on the seed and the slot count only. */
#ifndef TITAN_TRAIN_BATCH_H
#define TITAN_TRAIN_BATCH_H

#include "platform/threads.h"
#include "tools/train/train_model.h"
#include "tools/train/xenith_model.h"

#include <stdint.h>

#define TRAIN_MAX_THREADS TITAN_POOL_MAX_THREADS

typedef struct {
    const int *ids; /* [T] */
    int T;          /* 1 <= T <= the workers' max_T */
} train_seq;

typedef struct {
    const train_model *m;
    int n_threads, n_slots;
    titan_arena *arena;      /* where the slabs and the pool came from, NULL: the heap */
    titan_arena pool_arena;  /* the heap's: the pool's own block */
    titan_thread_pool *pool; /* n_threads threads, the caller one of them */
    train_acts acts[TRAIN_MAX_THREADS];    /* [n_threads] */
    train_params grads[TRAIN_MAX_THREADS]; /* [n_slots]; grads[0] holds the sum */
    /* family xenith (m NULL): SPEC section 9's model, each thread's
     * activations, and per slot since train_workers_zero the sums of the
     * sequences' ce, l_bal, l_z and rows routed to each expert [L * E] */
    const train_xmodel *xm;
    train_xacts xacts[TRAIN_MAX_THREADS];
    double xterms[TRAIN_MAX_THREADS][3];
    int64_t *xload; /* [n_slots][L * E] */
} train_workers;

/* 0, or -1 when out of memory or a thread cannot start (everything made so
 * far is freed). */
int train_workers_init(train_workers *w, const train_model *m, int n_threads);

/* The same with n_slots gradient slabs (1..TRAIN_MAX_THREADS): n_slots = the
 * batch gives each sequence its own slab, a sum order the threads (and the
 * ranks of a distributed run, train_dist.h) do not change. */
int train_workers_init_slots(train_workers *w, const train_model *m, int n_threads,
                             int n_slots);

/* The same from arena `arena` (train_mem.h; NULL: the heap), the pool's
 * threads too; with a measuring arena only the bytes are counted and no
 * thread starts. train_workers_free then stops the threads only. */
int train_workers_init_in(train_workers *w, const train_model *m, int n_threads,
                          int n_slots, titan_arena *arena);
void train_workers_free(train_workers *w);

/* The same for family xenith (from the heap): sequences run through
 * train_xloss_grad (its max_T), validation windows through train_xnll. */
int train_workers_init_xenith(train_workers *w, const train_xmodel *xm, int n_threads,
                              int n_slots);

/* Xenith: the sums of ce, l_bal, l_z (terms[3]) and the expert loads
 * load[L * E] over every slot since train_workers_zero. */
void train_workers_xterms(const train_workers *w, double *terms, int64_t *load);

/* Zero every slot's gradient slab. */
void train_workers_zero(train_workers *w);

/* Run seqs[0..n) on the full layer schedule, or with `shortened` on the
 * training prefix S' (train_loss_grad): head_loss[i * M + k] receives head
 * k+1's mean CE of sequence i, loss[i] its SPEC loss, and the slot's slab
 * gets += scale * dLoss_i/dw. */
void train_workers_run(train_workers *w, const train_params *weights,
                       const train_seq *seqs, int n, bool shortened, double scale,
                       double *loss, double *head_loss);

/* val_bpb of the weights on seq[0..n_targets] as `titan eval` computes it
 * (SPEC section 3, core/eval.c: its windows, byte counts and sums), the
 * windows scored by train_nll (xenith: train_xnll, each window a new
 * stream as in core/eval_xenith.c) on the workers' activations (o->threads <=
 * n_threads, o->ctx < the model's max_T). Window sums come from arena a
 * (titan_eval_plan bytes). */
TITAN_NODISCARD titan_status
train_workers_eval(train_workers *w, const train_params *weights, titan_arena *a,
                   const int32_t *seq, int64_t n_targets, const titan_byte_table *bytes,
                   const titan_eval_options *o, titan_eval_result *out);

/* grads[0] += grads[1] + ... + grads[n_slots-1], in that order. */
void train_workers_reduce(train_workers *w);

#endif
