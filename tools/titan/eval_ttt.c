/* eval_ttt.c: score-first test-time training (eval_ttt.h), as record 1.0785
 * does it: windows go to the chunk of their first scored target; after a
 * chunk is scored, all but the last chunk train for `epochs` passes over
 * their whole sequences of ctx + 1 tokens (a shorter rest is not trained on),
 * `batch` sequences a step, mean head-1 cross-entropy, gradients clipped to
 * a global norm, SGD with momentum (kept across chunks) at
 * lr * (1 + cos(pi * k / (chunks - 1))) / 2 for chunk k. */
#include "tools/titan/eval_ttt.h"

#include "tools/cli/cli.h"
#include "tools/train/train_batch.h"
#include "tools/train/train_mem.h"
#include "tools/train/train_opt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Gradient slabs: sequences are summed in this many fixed slots whatever the
 * thread count, so the TTT result does not depend on --threads. */
enum { TTT_SLOTS = 4 };

struct ttt_state {
    ttt_options o;
    int ctx;
    train_model m;       /* the config with head 1 only (its loss is the NLL) */
    train_params w, mom; /* float weights, SGD momentum */
    train_workers wk;    /* activations, gradient slots, threads */
    bool trainable[TITAN_MAX_TENSORS]; /* by index of w.spec */
    int64_t n_trainable;
    titan_tensor table[TITAN_MAX_TENSORS]; /* the scorer's tensors */
    int n_table;
    train_seq *seqs; /* [batch] */
    double *loss;    /* [batch] */
    double *head_loss;
};

static titan_status check_options(const ttt_options *o, int ctx) {
    if (o->chunk < ctx)
        return titan_fail(TITAN_E_USAGE,
                          "--ttt-chunk %lld is below --ctx %d: a chunk trains on whole "
                          "sequences of ctx tokens",
                          (long long)o->chunk, ctx);
    if (!isfinite(o->lr) || o->lr < 0)
        return titan_fail(TITAN_E_USAGE, "--ttt-lr must be finite and >= 0");
    if (!isfinite(o->momentum) || o->momentum < 0 || o->momentum >= 1)
        return titan_fail(TITAN_E_USAGE, "--ttt-momentum must be in [0, 1)");
    if (!isfinite(o->clip) || o->clip < 0)
        return titan_fail(TITAN_E_USAGE, "--ttt-clip must be finite and >= 0 (0 = off)");
    if (o->epochs < 0 || o->batch < 1)
        return titan_fail(TITAN_E_USAGE, "--ttt-epochs >= 0 and --ttt-batch >= 1");
    return TITAN_OK;
}

/* The MLP's own matrices and conv taps of a block. */
static bool is_mlp(const char *name) {
    int b, used = 0;
    if (sscanf(name, "blocks.%d.%n", &b, &used) != 1 || !used) return false;
    const char *f = name + used;
    return !strcmp(f, "w_gate") || !strcmp(f, "w_up") || !strcmp(f, "w_down") ||
           !strcmp(f, "conv");
}

static int find(const titan_tensor *t, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(t[i].name, name)) return i;
    return -1;
}

/* Dequantize the artifact's tensors into the trainer's weights, and make the
 * scorer's table: the artifact's, with every trainable tensor a float view
 * of the trainer's copy. */
static titan_status load_weights(ttt_state *t, const titan_tensor *tensors, int n) {
    memcpy(t->table, tensors, sizeof *tensors * (size_t)n);
    t->n_table = n;
    for (int i = 0; i < t->w.n_tensors; i++) {
        const titan_tensor_spec *s = &t->w.spec[i];
        int k = find(tensors, n, s->name);
        if (k < 0 || tensors[k].rows != s->rows || tensors[k].cols != s->cols)
            return titan_fail(TITAN_E_DATA, "ttt: tensor %s missing or misshapen",
                              s->name);
        for (int64_t r = 0; r < s->rows; r++)
            titan_dequant_row(&tensors[k], r, 0, s->cols, t->w.tensor[i] + r * s->cols);
        t->trainable[i] = t->o.all || is_mlp(s->name);
        if (!t->trainable[i]) continue;
        t->n_trainable += s->rows * s->cols;
        titan_tensor *v = &t->table[k];
        v->dtype = TITAN_DT_F32;
        v->group_size = 0;
        v->data = t->w.tensor[i];
        v->scales = NULL;
    }
    if (!t->n_trainable)
        return titan_fail(TITAN_E_USAGE, "ttt: the model has no tensor to train");
    return TITAN_OK;
}

/* The trainer's allocations, all of them, once, from arena a (a measuring
 * one only counts them). */
static titan_status allocate(ttt_state *t, const titan_config *c, int threads,
                             titan_arena *a) {
    titan_config tc = *c; /* head 1 only: the loss is the NLL that is scored */
    tc.mtp_heads = 1;
    tc.mtp_weights[0] = 1;
    if (titan_config_validate(&tc) != TITAN_OK)
        return titan_fail(TITAN_E_USAGE, "ttt: the trainer cannot train this model: %s",
                          titan_last_error());
    if (train_model_init_in(&t->m, &tc, t->ctx + 1, a))
        return titan_fail(TITAN_E_USAGE,
                          "ttt: the trainer cannot train this model (its layer "
                          "schedule or skips), or its arena is too small");
    int n = threads < TRAIN_MAX_THREADS ? threads : TRAIN_MAX_THREADS;
    size_t B = (size_t)t->o.batch;
    if (train_mem_get(a, B, sizeof *t->seqs, (void **)&t->seqs) ||
        train_mem_get(a, B, sizeof *t->loss, (void **)&t->loss) ||
        train_mem_get(a, B, sizeof *t->head_loss, (void **)&t->head_loss) ||
        train_params_alloc_in(&t->w, &tc, a) || train_params_alloc_in(&t->mom, &tc, a))
        return titan_fail(TITAN_E_NOMEM, "ttt: the training state's arena is too small");
    if (train_workers_init_in(&t->wk, &t->m, n, TTT_SLOTS, a)) {
        memset(&t->wk, 0, sizeof t->wk); /* freed by the failed init */
        return titan_fail(TITAN_E_NOMEM,
                          "ttt: the training state's arena is too small, or a thread "
                          "cannot start");
    }
    return TITAN_OK;
}

titan_status ttt_plan(const titan_config *c, int ctx, int threads, const ttt_options *o,
                      size_t *bytes) {
    if (!c || !o || !bytes || threads < 1)
        return titan_fail(TITAN_E_USAGE, "ttt: bad arguments");
    TITAN_TRY(check_options(o, ctx));
    /* The state's own tables are measured in place: a scratch copy (tool
     * side, before any chunk) that the measuring arena never writes into. */
    ttt_state *t = calloc(1, sizeof *t);
    if (!t) return titan_fail(TITAN_E_NOMEM, "ttt: out of memory");
    t->o = *o;
    t->ctx = ctx;
    titan_arena measure;
    titan_arena_init(&measure, NULL, 0);
    void *self;
    titan_status st = titan_arena_alloc(&measure, sizeof *t, TITAN_ALIGN, &self);
    if (!st) st = allocate(t, c, threads, &measure);
    free(t);
    *bytes = measure.high + TITAN_ALIGN; /* the first carving's padding */
    return st;
}

titan_status ttt_create(titan_arena *a, const titan_config *c,
                        const titan_tensor *tensors, int n, int ctx, int threads,
                        const ttt_options *o, ttt_state **out) {
    if (!a || !a->base || !c || !tensors || !o || !out || n < 0 ||
        n > TITAN_MAX_TENSORS || threads < 1)
        return titan_fail(TITAN_E_USAGE, "ttt: bad arguments");
    TITAN_TRY(check_options(o, ctx));
    ttt_state *t;
    TITAN_TRY(titan_arena_calloc(a, sizeof *t, TITAN_ALIGN, (void **)&t));
    t->o = *o;
    t->ctx = ctx;
    titan_status st = allocate(t, c, threads, a);
    if (st == TITAN_OK) st = load_weights(t, tensors, n);
    if (st != TITAN_OK) {
        ttt_free(t);
        return st;
    }
    *out = t;
    return TITAN_OK;
}

void ttt_free(ttt_state *t) {
    if (t && t->wk.m)
        train_workers_free(&t->wk); /* its threads; the arena keeps the rest */
}

int64_t ttt_trainable(const ttt_state *t) { return t->n_trainable; }

/* Scale the summed gradient to the clip norm when above it (torch's
 * clip_grad_norm_); its norm, NaN when not finite. */
static double clip_grads(ttt_state *t) {
    const train_params *g = &t->wk.grads[0];
    double sq = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        if (!t->trainable[i]) continue;
        size_t len = (size_t)(g->spec[i].rows * g->spec[i].cols);
        for (size_t j = 0; j < len; j++) sq += (double)g->tensor[i][j] * g->tensor[i][j];
    }
    double norm = sqrt(sq);
    if (!isfinite(norm)) return NAN;
    float f = (float)(t->o.clip / (norm + 1e-6));
    if (t->o.clip > 0 && f < 1)
        for (int i = 0; i < g->n_tensors; i++) {
            if (!t->trainable[i]) continue;
            size_t len = (size_t)(g->spec[i].rows * g->spec[i].cols);
            for (size_t j = 0; j < len; j++) g->tensor[i][j] *= f;
        }
    return norm;
}

/* One optimizer step on sequences ids0, ids0 + ctx, ... (n of them). */
static titan_status train_step(ttt_state *t, const int32_t *ids0, int n, double lr,
                               int64_t chunk) {
    for (int i = 0; i < n; i++)
        t->seqs[i] = (train_seq){ids0 + (size_t)i * t->ctx, t->ctx + 1};
    train_workers_zero(&t->wk);
    train_workers_run(&t->wk, &t->w, t->seqs, n, false, 1.0 / n, t->loss, t->head_loss);
    train_workers_reduce(&t->wk);
    if (isnan(clip_grads(t)))
        return titan_fail(TITAN_E_DATA,
                          "ttt: training diverged in chunk %lld (gradient not finite); "
                          "lower --ttt-lr",
                          (long long)chunk + 1);
    sgd_hparams h = {lr, t->o.momentum, 0};
    const train_params *g = &t->wk.grads[0];
    for (int i = 0; i < g->n_tensors; i++)
        if (t->trainable[i])
            sgd_step(t->w.tensor[i], g->tensor[i], t->mom.tensor[i],
                     (size_t)(g->spec[i].rows * g->spec[i].cols), &h);
    return TITAN_OK;
}

/* Train on chunk k, targets [first, first + len): its whole sequences. */
static titan_status train_chunk(ttt_state *t, const int32_t *seq, int64_t first,
                                int64_t len, int64_t k, int64_t chunks) {
    double lr = t->o.lr * 0.5 * (1 + cos(M_PI * (double)k / (double)(chunks - 1)));
    int64_t nseq = len / t->ctx;
    for (int e = 0; e < t->o.epochs; e++)
        for (int64_t s0 = 0; s0 < nseq; s0 += t->o.batch) {
            int n = nseq - s0 < t->o.batch ? (int)(nseq - s0) : t->o.batch;
            TITAN_TRY(train_step(t, seq + first - 1 + s0 * t->ctx, n, lr, k));
        }
    return TITAN_OK;
}

/* Chunk of window w: that of its first scored target. */
static titan_status window_chunk(const titan_eval_options *o, int64_t n_targets,
                                 int64_t chunks, int64_t C, int64_t w, int64_t *k) {
    titan_eval_window win;
    TITAN_TRY(titan_eval_window_get(n_targets, o->ctx, o->stride, w, &win));
    *k = (win.start + win.first) / C;
    if (*k > chunks - 1) *k = chunks - 1;
    return TITAN_OK;
}

/* Window sums from the target NLLs (and the tilted ones, with hints), added
 * in window order as core/eval.c adds them (each window's targets first, in
 * order). */
static titan_status total_nll(const titan_eval_options *o, int64_t n_targets,
                              int64_t windows, titan_eval_result *r) {
    for (int64_t w = 0; w < windows; w++) {
        titan_eval_window win;
        TITAN_TRY(titan_eval_window_get(n_targets, o->ctx, o->stride, w, &win));
        double sum = 0, tilt = 0;
        for (int32_t j = win.first; j < win.len; j++) {
            sum += o->target_nll[win.start + j];
            if (o->hint) tilt += o->tilt_target_nll[win.start + j];
        }
        r->nll += sum;
        r->tilt_nll += tilt;
    }
    return TITAN_OK;
}

typedef struct {
    ttt_state *t;
    titan_arena *a;
    titan_eval_model *em;
    const int32_t *seq;
    int64_t n_targets, windows, chunks;
    const titan_byte_table *bytes;
    const titan_eval_options *o;
    ttt_progress p;
} ttt_run_ctx;

/* Score chunk k's windows [w0, *w1), then train on it unless last. */
static titan_status run_chunk(ttt_run_ctx *r, int64_t k, int64_t w0, int64_t *w1) {
    int64_t C = r->t->o.chunk, kw = k, w = w0;
    while (w < r->windows && kw == k) {
        TITAN_TRY(window_chunk(r->o, r->n_targets, r->chunks, C, w, &kw));
        if (kw == k) w++;
    }
    *w1 = w;
    double t0 = cli_now();
    if (w > w0) {
        titan_eval_options o = *r->o;
        o.window_begin = w0;
        o.window_end = w;
        titan_eval_result res;
        TITAN_TRY(titan_eval_run(r->a, r->seq, r->n_targets, r->bytes, &o,
                                 titan_eval_model_score, r->em, &res));
        r->p.done += res.tokens;
        r->p.chunk_bpb = res.val_bpb;
    }
    double t1 = cli_now();
    r->p.score_s += t1 - t0;
    if (k == r->chunks - 1 || !r->t->o.epochs) return TITAN_OK;
    int64_t first = k * C + 1,
            end = first + C < r->n_targets + 1 ? first + C : r->n_targets + 1;
    TITAN_TRY(train_chunk(r->t, r->seq, first, end - first, k, r->chunks));
    titan_status st = titan_eval_model_rebind(r->em, r->t->table, r->t->n_table);
    r->p.train_s += cli_now() - t1;
    return st;
}

titan_status ttt_run(ttt_state *t, titan_arena *a, titan_eval_model *em,
                     const int32_t *seq, int64_t n_targets, const titan_byte_table *bytes,
                     const titan_eval_options *o, ttt_progress_fn fn, void *user,
                     titan_eval_result *out, double *train_seconds) {
    if (!t || !a || !em || !seq || !o || !o->target_nll || !out || n_targets < 1 ||
        (o->hint && !o->tilt_target_nll) || o->ctx != t->ctx)
        return titan_fail(TITAN_E_USAGE, "ttt: bad arguments");
    ttt_run_ctx r = {t, a, em, seq, n_targets, 0, 0, bytes, o, {0}};
    TITAN_TRY(titan_eval_window_count(n_targets, o->ctx, o->stride, &r.windows));
    r.chunks = (n_targets + t->o.chunk - 1) / t->o.chunk;
    r.p = (ttt_progress){.chunks = r.chunks, .total = n_targets};
    int64_t w = 0;
    for (int64_t k = 0; k < r.chunks; k++) {
        TITAN_TRY(run_chunk(&r, k, w, &w));
        r.p.chunk = k;
        if (fn) fn(user, &r.p);
    }
    memset(out, 0, sizeof *out);
    TITAN_TRY(titan_eval_count_bytes(seq, n_targets, bytes, &out->bytes));
    TITAN_TRY(total_nll(o, n_targets, r.windows, out));
    out->tokens = n_targets;
    out->windows = r.windows;
    titan_eval_result_finish(out);
    *train_seconds = r.p.train_s;
    return TITAN_OK;
}
