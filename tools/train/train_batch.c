/* train_batch.c: sequences of a batch on worker threads, deterministic. */
#include "tools/train/train_batch.h"

#include "tools/cli/cli.h"

#include <string.h>

typedef struct {
    train_workers *w;
    const train_params *weights;
    const train_seq *seqs;
    int n;
    bool shortened;
    double scale, *loss, *head_loss;
} job;

/* Slots [begin, end): slot t runs sequences t, t + n_threads, ... with its
 * own activations and gradient slab. */
static void run_slots(void *ctx, int64_t begin, int64_t end, int thread) {
    (void)thread;
    job *j = ctx;
    train_workers *w = j->w;
    int M = w->m->cfg.mtp_heads;
    for (int64_t t = begin; t < end; t++) {
        train_acts *a = &w->acts[t];
        for (int i = (int)t; i < j->n; i += w->n_threads) {
            const train_seq *s = &j->seqs[i];
            j->loss[i] =
                train_loss_grad(w->m, j->weights, a, s->ids, s->T, j->shortened, j->scale,
                                &w->grads[t], j->head_loss + (size_t)i * M);
        }
    }
}

void train_workers_run(train_workers *w, const train_params *weights,
                       const train_seq *seqs, int n, bool shortened, double scale,
                       double *loss, double *head_loss) {
    job j = {w, weights, seqs, n, shortened, scale, loss, head_loss};
    titan_thread_pool_for(w->pool, n < w->n_threads ? n : w->n_threads, 1, run_slots, &j);
}

typedef struct {
    train_workers *w;
    const train_params *weights;
} scorer;

/* A titan_eval_scorer: window i feeds seq[start .. start+len-1], so the
 * len + 1 ids from start give train_nll its len target losses. */
static titan_status score_windows(void *user, int worker, const titan_eval_batch *b) {
    const scorer *s = user;
    for (int i = 0; i < b->n; i++)
        train_nll(s->w->m, s->weights, &s->w->acts[worker], b->seq + b->win[i].start,
                  b->win[i].len + 1, b->nll + (size_t)i * b->ctx);
    return TITAN_OK;
}

titan_status train_workers_eval(train_workers *w, const train_params *weights,
                                titan_arena *a, const int32_t *seq, int64_t n_targets,
                                const titan_byte_table *bytes,
                                const titan_eval_options *o, titan_eval_result *out) {
    if (o->threads > w->n_threads || o->ctx >= w->m->max_T)
        return titan_fail(TITAN_E_USAGE, "validation: %d threads, ctx %d", o->threads,
                          o->ctx);
    scorer s = {w, weights};
    return titan_eval_run(a, seq, n_targets, bytes, o, score_windows, &s, out);
}

static int pool_start(train_workers *w) {
    titan_arena measure;
    titan_thread_pool *none;
    titan_arena_init(&measure, NULL, 0);
    return titan_thread_pool_create(&measure, w->n_threads, &none) ||
                   cli_arena_create(&w->pool_arena, measure.high) ||
                   titan_thread_pool_create(&w->pool_arena, w->n_threads, &w->pool)
               ? -1
               : 0;
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
    if (pool_start(w)) {
        train_workers_free(w);
        return -1;
    }
    return 0;
}

void train_workers_free(train_workers *w) {
    titan_thread_pool_destroy(w->pool);
    cli_arena_destroy(&w->pool_arena);
    w->pool = NULL;
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
