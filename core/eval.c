/* eval.c: val_bpb (SPEC section 3). Windows are handed out in fixed batches
 * to worker threads; each window's NLL lands in its own slot and the slots are
 * added in window order at the end, so the sum is the same for any number of
 * threads or any batch size. Bytes are counted once, exactly, up front. */
#include "platform/parallel.h"
#include "platform/threads.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const int32_t *seq;
    int64_t n_targets, n_windows, n_batches;
    int64_t w0, w1, scoring; /* windows [w0, w1) are scored: `scoring` targets */
    const titan_eval_options *o;
    titan_eval_scorer score;
    void *user;
    double *window_nll;     /* [n_windows] */
    double *window_tilt;    /* [n_windows]: tilted sums (options.hint) */
    titan_eval_window *win; /* [threads][batch] */
    double *nll;            /* [threads][batch][ctx] */
    double *hint_nll;       /* [threads][batch][ctx] */
    atomic_llong next_batch, done;
    atomic_int failed;
    titan_status status; /* of the first failure, written by its worker */
    char message[512];
} eval_job;

double titan_eval_nll(const float *logits, int32_t V, int32_t target) {
    if (!logits || V < 1 || target < 0 || target >= V) return NAN;
    double m = logits[0];
    for (int32_t v = 1; v < V; v++)
        if (logits[v] > m) m = logits[v];
    double s = 0;
    for (int32_t v = 0; v < V; v++) s += exp((double)logits[v] - m);
    return m + log(s) - (double)logits[target];
}

static bool mul_ok(size_t a, size_t b, size_t *out) {
    if (b && a > SIZE_MAX / b) return false;
    *out = a * b;
    return true;
}

enum { EVAL_BLOCKS = 5 }; /* window sums, tilted sums, windows, NLLs, hint NLLs */

/* Bytes of the arena blocks; false on overflow. The tilt's two are always
 * carved (small beside the model), so the plan needs no hint. */
static bool eval_sizes(int64_t n_windows, const titan_eval_options *o,
                       size_t size[EVAL_BLOCKS]) {
    size_t slots, cells;
    bool ok = mul_ok((size_t)n_windows, sizeof(double), &size[0]) &&
              mul_ok((size_t)o->threads, (size_t)o->batch, &slots) &&
              mul_ok(slots, sizeof(titan_eval_window), &size[2]) &&
              mul_ok(slots, (size_t)o->ctx, &cells) &&
              mul_ok(cells, sizeof(double), &size[3]);
    size[1] = size[0];
    size[4] = size[3];
    return ok;
}

static titan_status check_options(const titan_eval_options *o) {
    if (!o || o->batch < 1 || o->threads < 1 || o->threads > TITAN_EVAL_MAX_THREADS)
        return titan_fail(TITAN_E_USAGE, "eval: need batch >= 1 and 1..%d threads",
                          TITAN_EVAL_MAX_THREADS);
    int64_t count;
    return titan_eval_window_count(0, o->ctx, o->stride, &count);
}

size_t titan_eval_plan(int64_t n_targets, const titan_eval_options *o) {
    int64_t n_windows;
    size_t size[EVAL_BLOCKS];
    if (check_options(o) != TITAN_OK ||
        titan_eval_window_count(n_targets, o->ctx, o->stride, &n_windows) != TITAN_OK ||
        !eval_sizes(n_windows, o, size))
        return SIZE_MAX;
    size_t total = 0;
    for (int i = 0; i < EVAL_BLOCKS; i++) {
        if (size[i] > SIZE_MAX - total - TITAN_ALIGN) return SIZE_MAX;
        total += size[i] + TITAN_ALIGN;
    }
    return total;
}

titan_status titan_eval_count_bytes(const int32_t *seq, int64_t n,
                                    const titan_byte_table *t, uint64_t *bytes) {
    if (!seq || n < 0 || !bytes || !t || t->n_tokens < 1 || !t->base)
        return titan_fail(TITAN_E_USAGE, "eval: bad byte-count arguments");
    *bytes = 0;
    for (int64_t i = 0; i <= n; i++) {
        int32_t y = seq[i];
        if (y < 0 || y >= t->n_tokens)
            return titan_fail(TITAN_E_DATA, "eval: token %d at %lld outside 0..%d", y,
                              (long long)i, t->n_tokens - 1);
        if (i == 0) continue;
        bool space = t->flags && (t->flags[y] & TITAN_BYTES_SPACE) &&
                     !(t->flags[seq[i - 1]] & TITAN_BYTES_BOUNDARY);
        *bytes += (uint64_t)t->base[y] + space;
    }
    return TITAN_OK;
}

void titan_eval_result_finish(titan_eval_result *r) {
    double tokens = r->tokens ? (double)r->tokens : 1, bits = M_LN2 * (double)r->bytes;
    r->val_loss = r->nll / tokens;
    r->val_bpb = r->bytes ? r->nll / bits : 0;
    r->tilt_val_loss = r->tilt_nll / tokens;
    r->tilt_val_bpb = r->bytes ? r->tilt_nll / bits : 0;
}

static void record_failure(eval_job *j, titan_status st) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&j->failed, &expected, 1)) return;
    j->status = st;
    snprintf(j->message, sizeof j->message, "%s", titan_last_error());
}

/* Target k's tilted NLL from its plain one and its hint's (row entries). */
static titan_status tilt_one(const eval_job *j, int64_t k, double nll, double hint_nll,
                             double *out) {
    int32_t h = j->o->hint[k];
    if (h < 0) {
        *out = nll;
        return TITAN_OK;
    }
    if (!isfinite(hint_nll) || hint_nll < 0)
        return titan_fail(TITAN_E_DATA, "eval: scorer gave hint NLL %g for target %lld",
                          hint_nll, (long long)(k + 1));
    *out = titan_tilt_nll(nll, hint_nll, j->seq[k + 1] == h, j->o->tilt_beta);
    return TITAN_OK;
}

/* Window i's sums (plain and tilted) and its targets' NLLs out. */
static titan_status window_sums(eval_job *j, const titan_eval_window *w,
                                const double *row, const double *hrow, int64_t slot) {
    const titan_eval_options *o = j->o;
    double sum = 0, tilt = 0;
    for (int32_t t = w->first; t < w->len; t++) {
        int64_t k = w->start + t;
        if (!isfinite(row[t]))
            return titan_fail(TITAN_E_DATA, "eval: scorer gave NLL %g for target %lld",
                              row[t], (long long)(k + 1));
        sum += row[t];
        if (!o->hint) continue;
        double v = 0;
        TITAN_TRY(tilt_one(j, k, row[t], hrow[t], &v));
        tilt += v;
        if (o->tilt_target_nll) o->tilt_target_nll[k] = v;
    }
    if (o->target_nll)
        memcpy(o->target_nll + w->start + w->first, row + w->first,
               (size_t)(w->len - w->first) * sizeof *row);
    j->window_nll[slot] = sum;
    j->window_tilt[slot] = tilt;
    return TITAN_OK;
}

/* Score windows [w0, w0 + n) on one worker and fill their slots. */
static titan_status run_batch(eval_job *j, int worker, int64_t w0, int n) {
    const titan_eval_options *o = j->o;
    size_t cells = (size_t)worker * o->batch * o->ctx;
    titan_eval_batch b = {
        .n = n,
        .ctx = o->ctx,
        .seq = j->seq,
        .win = j->win + (size_t)worker * o->batch,
        .nll = j->nll + cells,
        .hint = o->hint,
        .hint_nll = j->hint_nll + cells,
    };
    titan_eval_window *win = j->win + (size_t)worker * o->batch;
    for (int i = 0; i < n; i++)
        TITAN_TRY(
            titan_eval_window_get(j->n_targets, o->ctx, o->stride, w0 + i, &win[i]));
    if (o->hint) /* a scorer that ignores hints is caught, not read */
        for (size_t c = 0; c < (size_t)n * o->ctx; c++) b.hint_nll[c] = NAN;
    TITAN_TRY(j->score(j->user, worker, &b));
    int64_t scored = 0;
    for (int i = 0; i < n; i++) {
        size_t at = (size_t)i * o->ctx;
        TITAN_TRY(window_sums(j, &win[i], b.nll + at, b.hint_nll + at, w0 + i));
        scored += win[i].len - win[i].first;
    }
    atomic_fetch_add(&j->done, scored);
    return TITAN_OK;
}

/* Worker `worker` claims batches until none is left; `report`: it runs on
 * the calling thread, which alone reports progress. */
static void worker_loop(eval_job *j, int worker, bool report) {
    const titan_eval_options *o = j->o;
    while (!atomic_load(&j->failed)) {
        int64_t k = atomic_fetch_add(&j->next_batch, 1);
        if (k >= j->n_batches) return;
        int64_t w0 = j->w0 + k * o->batch;
        int64_t left = j->w1 - w0;
        titan_status st =
            run_batch(j, worker, w0, left < o->batch ? (int)left : o->batch);
        if (st != TITAN_OK) record_failure(j, st);
        if (report && o->progress)
            o->progress(o->progress_user, atomic_load(&j->done), j->scoring);
    }
}

static void worker_main(void *user, int worker) {
    worker_loop(user, worker, worker == 0);
}

static void pool_workers(void *user, int64_t begin, int64_t end, int thread) {
    for (int64_t w = begin; w < end; w++) worker_loop(user, (int)w, thread == 0);
}

static titan_status alloc_job(titan_arena *a, eval_job *j) {
    size_t size[EVAL_BLOCKS];
    if (!eval_sizes(j->n_windows, j->o, size))
        return titan_fail(TITAN_E_NOMEM, "eval: sizes overflow");
    TITAN_TRY(titan_arena_alloc(a, size[0], TITAN_ALIGN, (void **)&j->window_nll));
    TITAN_TRY(titan_arena_alloc(a, size[1], TITAN_ALIGN, (void **)&j->window_tilt));
    TITAN_TRY(titan_arena_alloc(a, size[2], TITAN_ALIGN, (void **)&j->win));
    TITAN_TRY(titan_arena_alloc(a, size[3], TITAN_ALIGN, (void **)&j->nll));
    return titan_arena_alloc(a, size[4], TITAN_ALIGN, (void **)&j->hint_nll);
}

/* The window range [j->w0, j->w1) and the targets it scores, [first, last]:
 * the tokens its windows read are checked, the bytes of its targets counted. */
static titan_status plan_range(eval_job *j, const titan_byte_table *bytes,
                               uint64_t *n_bytes) {
    const titan_eval_options *o = j->o;
    j->w0 = o->window_begin;
    j->w1 = o->window_begin || o->window_end ? o->window_end : j->n_windows;
    if (j->w0 < 0 || j->w1 > j->n_windows || j->w0 >= j->w1)
        return titan_fail(TITAN_E_USAGE, "eval: windows [%lld, %lld) of %lld",
                          (long long)j->w0, (long long)j->w1, (long long)j->n_windows);
    titan_eval_window a, b;
    TITAN_TRY(titan_eval_window_get(j->n_targets, o->ctx, o->stride, j->w0, &a));
    TITAN_TRY(titan_eval_window_get(j->n_targets, o->ctx, o->stride, j->w1 - 1, &b));
    int64_t first = a.start + a.first + 1, last = b.start + b.len;
    j->scoring = last - first + 1;
    uint64_t span;
    TITAN_TRY(titan_eval_count_bytes(j->seq + a.start, last - a.start, bytes, &span));
    return titan_eval_count_bytes(j->seq + first - 1, j->scoring, bytes, n_bytes);
}

titan_status titan_eval_run(titan_arena *a, const int32_t *seq, int64_t n_targets,
                            const titan_byte_table *bytes, const titan_eval_options *o,
                            titan_eval_scorer score, void *user, titan_eval_result *out) {
    if (!a || !seq || !score || !out || n_targets < 1)
        return titan_fail(TITAN_E_USAGE, "eval: bad arguments");
    TITAN_TRY(check_options(o));
    memset(out, 0, sizeof *out);
    eval_job j = {
        .seq = seq, .n_targets = n_targets, .o = o, .score = score, .user = user};
    TITAN_TRY(titan_eval_window_count(n_targets, o->ctx, o->stride, &j.n_windows));
    TITAN_TRY(plan_range(&j, bytes, &out->bytes));
    j.n_batches = (j.w1 - j.w0 + o->batch - 1) / o->batch;
    size_t mark = titan_arena_mark(a);
    titan_status st = alloc_job(a, &j);
    if (st == TITAN_OK && !a->base) goto done; /* measuring */
    atomic_init(&j.next_batch, 0);
    atomic_init(&j.done, 0);
    atomic_init(&j.failed, 0);
    if (st == TITAN_OK && o->pool)
        titan_thread_pool_for(o->pool, o->threads, 1, pool_workers, &j);
    else if (st == TITAN_OK)
        st = titan_parallel_run(o->threads, worker_main, &j);
    if (st == TITAN_OK && atomic_load(&j.failed))
        st = titan_fail(j.status, "%s", j.message);
    if (st != TITAN_OK) goto done;
    /* Worker 0 reports only its own batches: the others may finish last. */
    if (o->progress) o->progress(o->progress_user, atomic_load(&j.done), j.scoring);
    for (int64_t w = j.w0; w < j.w1; w++) out->nll += j.window_nll[w];
    for (int64_t w = j.w0; o->hint && w < j.w1; w++) out->tilt_nll += j.window_tilt[w];
    out->tokens = j.scoring;
    out->windows = j.w1 - j.w0;
    titan_eval_result_finish(out);
done:
    titan_arena_reset(a, mark);
    return st;
}
