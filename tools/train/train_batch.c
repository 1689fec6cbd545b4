/* train_batch.c: sequences of a batch on worker threads, deterministic. */
#include "tools/train/train_batch.h"

#include "tools/cli/cli.h"
#include "tools/train/train_dist.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    train_workers *w;
    const train_params *weights;
    const train_seq *seqs;
    int n;
    bool shortened;
    double scale, *loss, *head_loss;
} job;

/* Slots [begin, end): slot t runs sequences t, t + n_slots, ... into its
 * own gradient slab, on the running thread's activations. */
/* Xenith: sequence s into slot t's slab and its sums. */
static double run_xenith(train_workers *w, const job *j, const train_seq *s, int t,
                         int thread) {
    train_xacts *a = &w->xacts[thread];
    const titan_config *c = &w->xm->cfg;
    double ce, loss = train_xloss_grad(w->xm, j->weights, a, s->ids, s->T, j->scale,
                                       &w->grads[t], &ce);
    w->xterms[t][0] += ce, w->xterms[t][1] += a->l_bal, w->xterms[t][2] += a->l_z;
    int E = c->moe_experts;
    int64_t *load = w->xload + (size_t)t * (size_t)(c->n_layers * E);
    for (int l = 0; l < c->n_layers && E > 0; l++)
        if (w->xm->layer[l].moe)
            for (int e = 0; e < E; e++) load[l * E + e] += a->layer[l].load[e];
    return loss;
}

static void run_slots(void *ctx, int64_t begin, int64_t end, int thread) {
    job *j = ctx;
    train_workers *w = j->w;
    if (w->xm) {
        for (int64_t t = begin; t < end; t++)
            for (int i = (int)t; i < j->n; i += w->n_slots)
                j->loss[i] = run_xenith(w, j, &j->seqs[i], (int)t, thread);
        return;
    }
    int M = w->m->cfg.mtp_heads;
    train_acts *a = &w->acts[thread];
    for (int64_t t = begin; t < end; t++) {
        for (int i = (int)t; i < j->n; i += w->n_slots) {
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
    titan_thread_pool_for(w->pool, n < w->n_slots ? n : w->n_slots, 1, run_slots, &j);
}

typedef struct {
    train_workers *w;
    const train_params *weights;
    /* several ranks: windows [lo, hi) are this rank's; target_nll[j] is the
     * NLL of target j + 1, filled by pass 0 (own windows scored, the others
     * given 0), gathered, then replayed by pass 1 */
    int64_t lo, hi;
    int32_t stride;
    double *target_nll;
    int pass;
} scorer;

/* A titan_eval_scorer: window i feeds seq[start .. start+len-1], so the
 * len + 1 ids from start give train_nll (xenith: train_xnll, the window a
 * new stream) its len target losses. */
static titan_status score_windows(void *user, int worker, const titan_eval_batch *b) {
    const scorer *s = user;
    for (int i = 0; i < b->n; i++) {
        const titan_eval_window *win = &b->win[i];
        int64_t k = win->start / s->stride;
        double *row = b->nll + (size_t)i * b->ctx, *kept = s->target_nll + win->start;
        bool mine = !s->target_nll || (k >= s->lo && k < s->hi);
        if (s->pass == 1) {
            memcpy(row + win->first, kept + win->first,
                   sizeof(double) * (size_t)(win->len - win->first));
            continue;
        }
        if (mine && s->w->xm)
            train_xnll(s->w->xm, s->weights, &s->w->xacts[worker], b->seq + win->start,
                       win->len + 1, row);
        else if (mine)
            train_nll(s->w->m, s->weights, &s->w->acts[worker], b->seq + win->start,
                      win->len + 1, row);
        else
            memset(row, 0, sizeof(double) * (size_t)win->len);
        if (s->target_nll)
            memcpy(kept + win->first, row + win->first,
                   sizeof(double) * (size_t)(win->len - win->first));
    }
    return TITAN_OK;
}

/* Targets [*begin, *end) of this rank's windows [s->lo, s->hi). */
static titan_status own_targets(const scorer *s, int64_t n_targets, int32_t ctx,
                                int64_t *begin, int64_t *end) {
    titan_eval_window a, b;
    *begin = *end = 0;
    if (s->lo == s->hi) return TITAN_OK;
    TITAN_TRY(titan_eval_window_get(n_targets, ctx, s->stride, s->lo, &a));
    TITAN_TRY(titan_eval_window_get(n_targets, ctx, s->stride, s->hi - 1, &b));
    *begin = a.start + a.first;
    *end = b.start + b.len;
    return TITAN_OK;
}

/* Several ranks: each scores its share of the windows, the target NLLs are
 * gathered and titan_eval_run adds them up as one process would. */
static titan_status eval_shared(scorer *s, titan_arena *a, const int32_t *seq,
                                int64_t n_targets, const titan_byte_table *bytes,
                                const titan_eval_options *o, titan_eval_result *out) {
    int64_t windows, begin, end;
    TITAN_TRY(titan_eval_window_count(n_targets, o->ctx, o->stride, &windows));
    train_dist_share(windows, train_dist_rank(), &s->lo, &s->hi);
    if (!(s->target_nll = calloc((size_t)n_targets, sizeof(double))))
        return titan_fail(TITAN_E_NOMEM, "out of memory");
    titan_status st = own_targets(s, n_targets, o->ctx, &begin, &end);
    if (st == TITAN_OK)
        st = titan_eval_run(a, seq, n_targets, bytes, o, score_windows, s, out);
    /* every rank reaches the gather: a failure ends the job after it */
    train_dist_gather(s->target_nll, begin, end);
    s->pass = 1;
    if (st == TITAN_OK)
        st = titan_eval_run(a, seq, n_targets, bytes, o, score_windows, s, out);
    free(s->target_nll);
    return st;
}

titan_status train_workers_eval(train_workers *w, const train_params *weights,
                                titan_arena *a, const int32_t *seq, int64_t n_targets,
                                const titan_byte_table *bytes,
                                const titan_eval_options *o, titan_eval_result *out) {
    int max_T = w->xm ? w->xm->max_T : w->m->max_T;
    if (o->threads > w->n_threads || o->ctx >= max_T)
        return titan_fail(TITAN_E_USAGE, "validation: %d threads, ctx %d", o->threads,
                          o->ctx);
    scorer s = {w, weights, 0, 0, o->stride, NULL, 0};
    if (train_dist_ranks() > 1) return eval_shared(&s, a, seq, n_targets, bytes, o, out);
    return titan_eval_run(a, seq, n_targets, bytes, o, score_windows, &s, out);
}

static int pool_start(train_workers *w) {
    if (w->arena)
        return titan_thread_pool_create(w->arena, w->n_threads, &w->pool) ? -1 : 0;
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
    return train_workers_init_slots(w, m, n_threads, n_threads);
}

int train_workers_init_slots(train_workers *w, const train_model *m, int n_threads,
                             int n_slots) {
    return train_workers_init_in(w, m, n_threads, n_slots, NULL);
}

int train_workers_init_in(train_workers *w, const train_model *m, int n_threads,
                          int n_slots, titan_arena *arena) {
    memset(w, 0, sizeof *w);
    w->m = m;
    w->n_threads = n_threads;
    w->n_slots = n_slots;
    w->arena = arena;
    for (int t = 0; t < n_threads; t++)
        if (train_acts_alloc_in(&w->acts[t], &m->cfg, m->max_T, arena)) {
            train_workers_free(w);
            return -1;
        }
    for (int t = 0; t < n_slots; t++)
        if (train_params_alloc_in(&w->grads[t], &m->cfg, arena)) {
            train_workers_free(w);
            return -1;
        }
    if (pool_start(w)) {
        train_workers_free(w);
        return -1;
    }
    return 0;
}

int train_workers_init_xenith(train_workers *w, const train_xmodel *xm, int n_threads,
                              int n_slots) {
    memset(w, 0, sizeof *w);
    w->xm = xm;
    w->n_threads = n_threads;
    w->n_slots = n_slots;
    size_t LE = (size_t)(xm->cfg.n_layers * xm->cfg.moe_experts) + 1;
    int bad = !(w->xload = calloc((size_t)n_slots * LE, sizeof *w->xload));
    for (int t = 0; t < n_threads && !bad; t++)
        bad = train_xacts_alloc(&w->xacts[t], xm, xm->max_T, NULL);
    for (int t = 0; t < n_slots && !bad; t++)
        bad = train_params_alloc(&w->grads[t], &xm->cfg);
    if (bad || pool_start(w)) {
        train_workers_free(w);
        return -1;
    }
    return 0;
}

void train_workers_xterms(const train_workers *w, double *terms, int64_t *load) {
    size_t LE = (size_t)(w->xm->cfg.n_layers * w->xm->cfg.moe_experts);
    memset(terms, 0, sizeof(double) * 3);
    memset(load, 0, sizeof *load * LE);
    for (int t = 0; t < w->n_slots; t++) {
        for (int k = 0; k < 3; k++) terms[k] += w->xterms[t][k];
        for (size_t i = 0; i < LE; i++) load[i] += w->xload[(size_t)t * LE + i];
    }
}

void train_workers_free(train_workers *w) {
    titan_thread_pool_destroy(w->pool);
    cli_arena_destroy(&w->pool_arena);
    w->pool = NULL;
    for (int t = 0; t < w->n_threads; t++) train_acts_free(&w->acts[t]);
    for (int t = 0; w->xm && t < w->n_threads; t++) train_xacts_free(&w->xacts[t]);
    free(w->xload);
    w->xload = NULL;
    for (int t = 0; t < w->n_slots; t++) train_params_free(&w->grads[t]);
}

void train_workers_zero(train_workers *w) {
    for (int t = 0; t < w->n_slots; t++)
        memset(w->grads[t].mem, 0, sizeof(float) * w->grads[t].count);
    memset(w->xterms, 0, sizeof w->xterms);
    if (w->xm)
        memset(w->xload, 0,
               sizeof *w->xload * (size_t)w->n_slots *
                   (size_t)(w->xm->cfg.n_layers * w->xm->cfg.moe_experts));
}

void train_workers_reduce(train_workers *w) {
    float *sum = w->grads[0].mem;
    for (int t = 1; t < w->n_slots; t++) {
        const float *g = w->grads[t].mem;
        for (size_t i = 0; i < w->grads[0].count; i++) sum[i] += g[i];
    }
}
