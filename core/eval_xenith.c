/* eval_xenith.c: a xenith model as an eval scorer (SPEC sections 3 and 9).
 * Each worker owns a titan_xenith over the shared tensors on its own
 * backend. Every window is a new stream (section 9): the model is reset and
 * fed the window in chunks, so its memory is the bounded caches made at
 * start however long the window is. */
#include "core/xenith.h"

struct titan_eval_xenith {
    int32_t vocab;
    int workers;
    titan_xenith **x; /* [workers] */
    float **logits;   /* [workers][TITAN_XENITH_CHUNK][V] */
};

static titan_status check_workers(int workers) {
    if (workers < 1 || workers > TITAN_EVAL_MAX_THREADS)
        return titan_fail(TITAN_E_USAGE, "eval xenith: %d workers", workers);
    return TITAN_OK;
}

titan_status titan_eval_xenith_plan(const titan_config *c, int64_t ctx, int workers,
                                    size_t *bytes) {
    if (!c || !bytes) return titan_fail(TITAN_E_USAGE, "eval xenith: NULL argument");
    TITAN_TRY(check_workers(workers));
    size_t one;
    TITAN_TRY(titan_xenith_plan(c, ctx, &one));
    one += (size_t)TITAN_XENITH_CHUNK * c->vocab_size * sizeof(float) + 2 * TITAN_ALIGN;
    size_t head = sizeof(struct titan_eval_xenith) +
                  (size_t)workers * 2 * sizeof(void *) + 3 * TITAN_ALIGN;
    if (one > (SIZE_MAX - head) / (size_t)workers)
        return titan_fail(TITAN_E_NOMEM, "eval xenith: plan overflows");
    *bytes = head + one * (size_t)workers;
    return TITAN_OK;
}

titan_status titan_eval_xenith_create(titan_arena *a, const titan_config *c,
                                      const titan_tensor *tensors, int n, int64_t ctx,
                                      int workers, titan_backend *const *be,
                                      titan_eval_xenith **out) {
    if (!a || !c || !be || !out)
        return titan_fail(TITAN_E_USAGE, "eval xenith: NULL argument");
    TITAN_TRY(check_workers(workers));
    titan_eval_xenith *ex;
    size_t ptrs = (size_t)workers * sizeof(void *);
    TITAN_TRY(titan_arena_alloc(a, sizeof *ex, TITAN_ALIGN, (void **)&ex));
    TITAN_TRY(titan_arena_alloc(a, ptrs, TITAN_ALIGN, (void **)&ex->x));
    TITAN_TRY(titan_arena_alloc(a, ptrs, TITAN_ALIGN, (void **)&ex->logits));
    for (int i = 0; i < workers; i++) {
        TITAN_TRY(titan_xenith_create(a, c, tensors, n, ctx, be[i], &ex->x[i]));
        TITAN_TRY(titan_arena_alloc(
            a, (size_t)TITAN_XENITH_CHUNK * c->vocab_size * sizeof(float), TITAN_ALIGN,
            (void **)&ex->logits[i]));
    }
    ex->vocab = c->vocab_size, ex->workers = workers;
    *out = ex;
    return TITAN_OK;
}

static titan_status check_id(const titan_eval_xenith *ex, int32_t id, const char *what) {
    if (id < 0 || id >= ex->vocab)
        return titan_fail(TITAN_E_DATA, "eval: %s %d outside the vocabulary (%d)", what,
                          id, ex->vocab);
    return TITAN_OK;
}

/* Output j (after feeding ids[j]) from its logits l[V]: NLL of next[j] and
 * of its hint. */
static titan_status score_one(const titan_eval_xenith *ex, const float *l,
                              const int32_t *next, const int32_t *hint, int32_t j,
                              double *nll, double *hint_nll) {
    TITAN_TRY(check_id(ex, next[j], "target"));
    nll[j] = titan_eval_nll(l, ex->vocab, next[j]);
    if (!hint || hint[j] < 0) return TITAN_OK;
    TITAN_TRY(check_id(ex, hint[j], "hint"));
    hint_nll[j] = nll[j] + (double)l[next[j]] - (double)l[hint[j]];
    return TITAN_OK;
}

/* Window i of the batch: output j (after feeding seq[start + j]) predicts
 * seq[start + 1 + j] and is scored from win->first on. */
static titan_status score_window(titan_eval_xenith *ex, int worker,
                                 const titan_eval_batch *b, int i) {
    const titan_eval_window *win = &b->win[i];
    const int32_t *ids = b->seq + win->start, *next = ids + 1;
    const int32_t *hint = b->hint ? b->hint + win->start : NULL;
    double *nll = b->nll + (size_t)i * b->ctx;
    double *hint_nll = b->hint ? b->hint_nll + (size_t)i * b->ctx : NULL;
    titan_xenith *x = ex->x[worker];
    float *logits = ex->logits[worker];
    titan_xenith_reset(x);
    int32_t j = 0, C = titan_xenith_chunk(x);
    if (win->first > 1) /* unscored outputs: no logits but the last */
        TITAN_TRY(titan_xenith_prefill(x, ids, j = win->first - 1, logits));
    while (j < win->len) {
        int32_t n = win->len - j < C ? win->len - j : C;
        TITAN_TRY(titan_xenith_forward(x, ids + j, n, logits));
        for (int32_t r = 0; r < n; r++)
            if (j + r >= win->first)
                TITAN_TRY(score_one(ex, logits + (size_t)r * ex->vocab, next, hint, j + r,
                                    nll, hint_nll));
        j += n;
    }
    return TITAN_OK;
}

void titan_eval_xenith_set_chunk(titan_eval_xenith *ex, int n) {
    for (int w = 0; w < ex->workers; w++) titan_xenith_set_chunk(ex->x[w], n);
}

titan_status titan_eval_xenith_score(void *model, int worker, const titan_eval_batch *b) {
    titan_eval_xenith *ex = model;
    if (!ex || !b || worker < 0 || worker >= ex->workers)
        return titan_fail(TITAN_E_USAGE, "eval xenith: worker %d", worker);
    for (int i = 0; i < b->n; i++) TITAN_TRY(score_window(ex, worker, b, i));
    return TITAN_OK;
}
