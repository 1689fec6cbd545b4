/* eval_model.c: the model as an eval scorer. Each worker owns a titan_model
 * and a titan_seq over the shared tensors, on its own backend; a window is prefilled from
 * position 0 in chunks of `batch` tokens and only its scored rows are turned
 * into head-1 logits, LOGIT_ROWS rows at a time. */
#include "titan.h"

enum { LOGIT_ROWS = 16 };

typedef struct {
    titan_model *model;
    titan_seq *seq;
    float *logits; /* [LOGIT_ROWS][V] */
} eval_worker;

struct titan_eval_model {
    int32_t vocab;
    int batch; /* tokens per forward call */
    int workers;
    eval_worker *w; /* [workers] */
};

static titan_status check_workers(int workers) {
    if (workers < 1 || workers > TITAN_EVAL_MAX_THREADS)
        return titan_fail(TITAN_E_USAGE, "eval model: %d workers", workers);
    return TITAN_OK;
}

static size_t logits_bytes(const titan_config *c) {
    return (size_t)LOGIT_ROWS * (size_t)c->vocab_size * sizeof(float);
}

titan_status titan_eval_model_plan(const titan_config *c, int ctx, int batch, int workers,
                                   size_t *bytes) {
    if (!bytes) return titan_fail(TITAN_E_USAGE, "eval model: NULL argument");
    TITAN_TRY(check_workers(workers));
    size_t one;
    TITAN_TRY(titan_model_plan(c, ctx, batch, &one));
    one += logits_bytes(c) + TITAN_ALIGN;
    size_t head = sizeof(titan_eval_model) + (size_t)workers * sizeof(eval_worker) +
                  2 * TITAN_ALIGN;
    if (one > (SIZE_MAX - head) / (size_t)workers)
        return titan_fail(TITAN_E_NOMEM, "eval model: plan overflows");
    *bytes = head + one * (size_t)workers;
    return TITAN_OK;
}

titan_status titan_eval_model_create(titan_arena *a, const titan_config *c,
                                     const titan_tensor *tensors, int n, int ctx,
                                     int batch, int workers, titan_backend *const *be,
                                     titan_eval_model **out) {
    if (!a || !c || !be || !out)
        return titan_fail(TITAN_E_USAGE, "eval model: NULL argument");
    TITAN_TRY(check_workers(workers));
    titan_eval_model *em;
    TITAN_TRY(titan_arena_alloc(a, sizeof *em, TITAN_ALIGN, (void **)&em));
    eval_worker *w;
    TITAN_TRY(
        titan_arena_alloc(a, (size_t)workers * sizeof *w, TITAN_ALIGN, (void **)&w));
    for (int i = 0; i < workers; i++) {
        TITAN_TRY(titan_model_create(a, c, tensors, n, ctx, batch, be[i], &w[i].model));
        TITAN_TRY(titan_seq_create(a, w[i].model, &w[i].seq));
        TITAN_TRY(
            titan_arena_alloc(a, logits_bytes(c), TITAN_ALIGN, (void **)&w[i].logits));
    }
    *em = (titan_eval_model){c->vocab_size, batch, workers, w};
    *out = em;
    return TITAN_OK;
}

titan_status titan_eval_model_rebind(titan_eval_model *em, const titan_tensor *tensors,
                                     int n) {
    if (!em) return titan_fail(TITAN_E_USAGE, "eval model: NULL argument");
    for (int i = 0; i < em->workers; i++)
        TITAN_TRY(titan_model_rebind(em->w[i].model, tensors, n));
    return TITAN_OK;
}

/* Where a window's outputs go: nll[j] for output j predicting next[j]; with
 * hints also hint_nll[j] for hint[j] >= 0. */
typedef struct {
    const int32_t *next, *hint;
    double *nll, *hint_nll;
} window_out;

static titan_status check_id(const titan_eval_model *em, int32_t id, const char *what) {
    if (id < 0 || id >= em->vocab)
        return titan_fail(TITAN_E_DATA, "eval: %s %d outside the vocabulary (%d)", what,
                          id, em->vocab);
    return TITAN_OK;
}

/* NLL of rows [r0, r1) of the last forward call; row r is window output
 * out0 + r. */
static titan_status score_rows(const titan_eval_model *em, eval_worker *w, int r0, int r1,
                               int out0, const window_out *o) {
    for (int r = r0; r < r1; r += LOGIT_ROWS) {
        int rows = r1 - r < LOGIT_ROWS ? r1 - r : LOGIT_ROWS;
        TITAN_TRY(titan_model_logits(w->model, 1, r, rows, w->logits));
        for (int i = 0; i < rows; i++) {
            int j = out0 + r + i;
            const float *logits = w->logits + (size_t)i * em->vocab;
            TITAN_TRY(check_id(em, o->next[j], "target"));
            o->nll[j] = titan_eval_nll(logits, em->vocab, o->next[j]);
            if (!o->hint || o->hint[j] < 0) continue;
            TITAN_TRY(check_id(em, o->hint[j], "hint"));
            /* the same log-sum-exp: no second pass over the vocabulary */
            o->hint_nll[j] =
                o->nll[j] + (double)logits[o->next[j]] - (double)logits[o->hint[j]];
        }
    }
    return TITAN_OK;
}

static titan_status score_window(const titan_eval_model *em, eval_worker *w,
                                 const int32_t *ids, const titan_eval_window *win,
                                 const window_out *o) {
    int batch = em->batch;
    titan_seq_reset(w->seq);
    for (int c0 = 0; c0 < win->len; c0 += batch) {
        int n = win->len - c0 < batch ? win->len - c0 : batch;
        TITAN_TRY(titan_model_forward(w->model, w->seq, ids + c0, n));
        int r0 = win->first > c0 ? win->first - c0 : 0;
        if (r0 < n) TITAN_TRY(score_rows(em, w, r0, n, c0, o));
    }
    return TITAN_OK;
}

titan_status titan_eval_model_score(void *model, int worker, const titan_eval_batch *b) {
    titan_eval_model *em = model;
    if (!em || !b || worker < 0 || worker >= em->workers)
        return titan_fail(TITAN_E_USAGE, "eval model: worker %d", worker);
    for (int i = 0; i < b->n; i++) {
        int64_t start = b->win[i].start;
        size_t at = (size_t)i * b->ctx;
        window_out o = {b->seq + start + 1, b->hint ? b->hint + start : NULL, b->nll + at,
                        b->hint ? b->hint_nll + at : NULL};
        TITAN_TRY(score_window(em, &em->w[worker], b->seq + start, &b->win[i], &o));
    }
    return TITAN_OK;
}
