/* gptq_calibrate.c: GPTQ calibration. The float model runs the calibration text
 * through the runtime forward pass on a wrapping backend whose matmul adds
 * x x^T of each weight's input rows to that weight's Hessian before calling
 * the real kernel, so every linear layer (wq_a, wq_b, wkv_a, wo, w_gate,
 * w_up, w_down; shared blocks summed over all recurrences) gets
 * H = sum x x^T of exactly the activations it sees. Each window also asks
 * every head for its logits on all rows, so tok_emb (as the tied head 1) and
 * the MTP heads get the final normed z. wkv_b is folded into absorbed
 * attention and never multiplied through the backend: its Hessian sums the
 * kv-normed latents c the sequence cache holds after each window, over all
 * effective layers of the block (where a section-8 option expands the
 * block's keys and values, wkv_b goes through the backend like the rest). tok_emb's lookup side is not in its Hessian.
 * A xenith model (SPEC section 9) runs the text as one stream, a token a
 * step: each expert is multiplied, and so gets Hessian rows, only for the
 * tokens routed to it (one that gets none stays round-to-nearest), the
 * summarizer for each complete segment's rows, wk and wv for the LTM rows
 * they project too, and the head for every position. */
#include "core/model.h"
#include "core/xenith.h"
#include "platform/backend.h"
#include "quant/dtype.h"
#include "quant/gptq.h"
#include "quant/quant.h"
#include "tools/titan/gptq_calibrate.h"
#include "tools/titan/storage.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { CALIB_CTX = 256 }; /* window, or max_seq_len if shorter */

typedef struct {
    titan_backend be; /* first: the model calls be.matmul(&be, ...) */
    titan_backend *inner;
    const titan_tensor *t; /* the float tensors the model was built over */
    int n;
    double **h;    /* [n]: cols x cols sums (lower triangle), NULL where not wanted */
    int64_t *rows; /* [n]: input rows summed into h */
    int wkv_b[TITAN_MAX_BLOCKS]; /* index in t of block b's wkv_b, -1 if none */
    int inputs_only;             /* sum the inputs, skip the product (unused logits) */
} calib_backend;

/* h[C][C] (lower triangle) += sum over x's T rows of x x^T. */
static void add_outer(double *h, const float *x, int T, int64_t C) {
    for (int r = 0; r < T; r++) {
        const float *xr = x + (size_t)r * C;
        for (int64_t j = 0; j < C; j++) {
            double *hj = h + j * C;
            double xj = xr[j];
            for (int64_t k = 0; k <= j; k++) hj[k] += xj * xr[k];
        }
    }
}

static void calib_matmul(titan_backend *be, const titan_tensor *w, const float *x,
                         float *y, int T) {
    calib_backend *cb = (calib_backend *)be;
    uintptr_t i = ((uintptr_t)w - (uintptr_t)cb->t) / sizeof *w;
    if ((uintptr_t)w >= (uintptr_t)cb->t && i < (uintptr_t)cb->n && cb->h[i]) {
        cb->rows[i] += T;
        add_outer(cb->h[i], x, T, w->cols);
    }
    if (!cb->inputs_only) cb->inner->matmul(cb->inner, w, x, y, T);
}

/* Lower triangles to full symmetric matrices. */
static void symmetrize(double *h, int64_t C) {
    for (int64_t j = 0; j < C; j++)
        for (int64_t k = j + 1; k < C; k++) h[j * C + k] = h[k * C + j];
}

/* After a window of len tokens: every head's input rows (the logits call
 * through the backend, its product skipped: logits[len][V] stay as they
 * were) and each layer's cached latents into wkv_b's sums. */
static titan_status calibrate_heads_and_latents(titan_model *m, const titan_seq *s,
                                                const titan_config *c, calib_backend *cb,
                                                int len, float *logits) {
    cb->inputs_only = 1;
    for (int k = 1; k <= c->mtp_heads; k++)
        TITAN_TRY(titan_model_logits(m, k, 0, len, logits));
    cb->inputs_only = 0;
    for (int l = 0; l < titan_model_layers(m); l++) {
        int i = cb->wkv_b[titan_model_layer_block(m, l)];
        const float *lat = titan_seq_latents(s, l); /* NULL: wkv_b went through matmul */
        if (i < 0 || !cb->h[i] || !lat) continue;
        cb->rows[i] += len;
        add_outer(cb->h[i], lat, len, c->kv_latent);
    }
    return TITAN_OK;
}

static void report_tokens(const gptq_calib *pc, int64_t done, int64_t total) {
    if (pc->calibration.fn)
        pc->calibration.fn(pc->calibration.user, (double)done, (double)total);
}

/* A xenith model: seq[0..total) as one stream (see the top of the file). */
static titan_status run_xenith(titan_arena *a, const gptq_calib *pc, calib_backend *cb,
                               const int32_t *seq, int64_t total) {
    titan_xenith *x;
    TITAN_TRY(titan_xenith_create(a, pc->c, cb->t, cb->n, total, &cb->be, &x));
    float *logits;
    TITAN_TRY(titan_arena_alloc(a, (size_t)pc->c->vocab_size * sizeof *logits,
                                TITAN_ALIGN, (void **)&logits));
    for (int64_t t = 0; t < total; t++) {
        TITAN_TRY(titan_xenith_step(x, seq[t], logits));
        if ((t + 1) % CALIB_CTX == 0 || t + 1 == total) report_tokens(pc, t + 1, total);
    }
    return TITAN_OK;
}

static titan_status run_calibration(titan_arena *a, const gptq_calib *pc,
                                    calib_backend *cb) {
    const titan_tokenizer *tok;
    TITAN_TRY(titan_tokenizer_load(a, pc->tok, pc->tok_len, &tok));
    int32_t *seq;
    size_t n;
    size_t cap = titan_tokenizer_max_ids(tok, pc->text_len);
    TITAN_TRY(titan_arena_alloc(a, (cap + 1) * sizeof *seq, TITAN_ALIGN, (void **)&seq));
    seq[0] = titan_tokenizer_bos(tok);
    TITAN_TRY(titan_tokenizer_encode(tok, a, pc->text, pc->text_len, seq + 1, cap, &n));
    int64_t total = (int64_t)n + 1 < pc->max_tokens ? (int64_t)n + 1 : pc->max_tokens;
    if (TITAN_XENITH(pc->c)) return run_xenith(a, pc, cb, seq, total);
    titan_model *m;
    titan_seq *s;
    int ctx = pc->c->max_seq_len < CALIB_CTX ? pc->c->max_seq_len : CALIB_CTX;
    TITAN_TRY(titan_model_create(a, pc->c, cb->t, cb->n, ctx, ctx, &cb->be, &m));
    TITAN_TRY(titan_seq_create(a, m, &s));
    float *logits; /* [ctx][V], never written: zeros */
    TITAN_TRY(titan_arena_calloc(a, (size_t)ctx * pc->c->vocab_size * sizeof *logits,
                                 TITAN_ALIGN, (void **)&logits));
    for (int64_t w = 0; w < total; w += ctx) {
        titan_seq_reset(s);
        int len = (int)(total - w < ctx ? total - w : ctx);
        TITAN_TRY(titan_model_forward(m, s, seq + w, len));
        TITAN_TRY(calibrate_heads_and_latents(m, s, pc->c, cb, len, logits));
        report_tokens(pc, w + len, total);
    }
    return TITAN_OK;
}

/* GPTQ of w on h with the per-row scales scale[rows]; each row whose output
 * error beats best[r] takes its values and scale into t and sets best[r]. */
static titan_status gptq_keep_better_rows(titan_arena *a, const float *w, const double *h,
                                          const float *scale, const int *row_qmax,
                                          titan_tensor *t, double *best) {
    int qmax = titan_dtype_get(t->dtype)->qmax;
    titan_gptq_opts o = {
        .damp = 0.01, .block = 128, .act_order = 1, .row_qmax = row_qmax};
    int64_t C = t->cols;
    size_t mark = titan_arena_mark(a), row_bytes = titan_dtype_row_bytes(t->dtype, C);
    int8_t *q;   /* [rows][C] */
    double *tmp; /* [C] */
    titan_status st;
    if ((st = titan_arena_alloc(a, (size_t)(t->rows * C), 1, (void **)&q)) ||
        (st =
             titan_arena_alloc(a, (size_t)C * sizeof *tmp, TITAN_ALIGN, (void **)&tmp)) ||
        (st = titan_gptq_quantize(a, w, t->rows, C, h, scale, -qmax - 1, qmax, &o, q)))
        goto out;
    for (int64_t r = 0; r < t->rows; r++) {
        const int8_t *qr = q + r * C;
        double e = titan_gptq_row_error(h, w + r * C, qr, scale[r], C, tmp);
        if (!(e < best[r])) continue;
        best[r] = e;
        ((float *)t->scales)[r] = scale[r]; /* storage_quantize's arena copy */
        for (int64_t c = 0; c < C; c++)
            titan_quant_store(t->dtype, (uint8_t *)t->data + r * row_bytes, c, qr[c]);
    }
out:
    titan_arena_reset(a, mark);
    return st;
}

/* Replace t's RTN values with GPTQ's. Each row takes the clip amax * (1 -
 * k/100) / qmax, k < clip_steps, whose GPTQ result has the least output error
 * on h: the RTN clip minimizes the weights' own error, not the output's, and
 * a QAT-trained row may sit best on its absmax grid. The relative error of
 * RTN and of the result go to *stat. */
static titan_status gptq_tensor(titan_arena *a, const float *w, const double *h,
                                int clip_steps, const int *row_qmax, titan_tensor *t,
                                gptq_stat *stat) {
    int qmax = titan_dtype_get(t->dtype)->qmax;
    int64_t C = t->cols;
    size_t mark = titan_arena_mark(a);
    float *amax, *scale; /* [rows] */
    double *best;        /* [rows] */
    TITAN_TRY(titan_gptq_output_error(a, w, t, h, &stat->rtn_error));
    TITAN_TRY(titan_arena_alloc(a, (size_t)t->rows * sizeof *amax, TITAN_ALIGN,
                                (void **)&amax));
    TITAN_TRY(titan_arena_alloc(a, (size_t)t->rows * sizeof *scale, TITAN_ALIGN,
                                (void **)&scale));
    TITAN_TRY(titan_arena_alloc(a, (size_t)t->rows * sizeof *best, TITAN_ALIGN,
                                (void **)&best));
    for (int64_t r = 0; r < t->rows; r++) {
        amax[r] = 0, best[r] = INFINITY;
        for (int64_t c = 0; c < C; c++) amax[r] = fmaxf(amax[r], fabsf(w[r * C + c]));
    }
    for (int k = 0; k < clip_steps; k++) {
        for (int64_t r = 0; r < t->rows; r++) {
            int q = row_qmax ? row_qmax[r] : qmax;
            scale[r] = amax[r] > 0 ? amax[r] * (1.0f - 0.01f * (float)k) / q : 1.0f;
        }
        TITAN_TRY(gptq_keep_better_rows(a, w, h, scale, row_qmax, t, best));
    }
    titan_arena_reset(a, mark);
    return titan_gptq_output_error(a, w, t, h, &stat->gptq_error);
}

titan_status gptq_requantize(titan_arena *a, const gptq_calib *pc, const titan_tensor *f,
                             titan_tensor *out, int n, gptq_stat *stats) {
    calib_backend cb = {.be = {.name = "calib", .matmul = calib_matmul}, .t = f, .n = n};
    titan_backend inner;
    titan_backend_ref(&inner);
    cb.inner = &inner;
    cb.be.small_gemm = inner.small_gemm;
    cb.be.attend = inner.attend;
    cb.be.state = &cb;
    TITAN_TRY(
        titan_arena_calloc(a, (size_t)n * sizeof *cb.h, TITAN_ALIGN, (void **)&cb.h));
    TITAN_TRY(titan_arena_calloc(a, (size_t)n * sizeof *cb.rows, TITAN_ALIGN,
                                 (void **)&cb.rows));
    for (int b = 0; !TITAN_XENITH(pc->c) && b < pc->c->n_unique_blocks; b++) {
        char name[TITAN_NAME_MAX];
        snprintf(name, sizeof name, "blocks.%d.wkv_b", b);
        cb.wkv_b[b] = -1;
        for (int i = 0; i < n; i++)
            if (!strcmp(f[i].name, name)) cb.wkv_b[b] = i;
    }
    for (int i = 0; i < n; i++) {
        int want = titan_dtype_get(out[i].dtype)->quantized && out[i].group_size == 0 &&
                   f[i].ndim == 2;
        if (want)
            TITAN_TRY(titan_arena_calloc(a,
                                         (size_t)(f[i].cols * f[i].cols) * sizeof(double),
                                         TITAN_ALIGN, (void **)&cb.h[i]));
    }
    TITAN_TRY(run_calibration(a, pc, &cb));
    double work = 0, done = 0; /* weights to solve */
    for (int i = 0; i < n; i++) work += cb.rows[i] ? (double)(f[i].rows * f[i].cols) : 0;
    for (int i = 0; i < n; i++) {
        stats[i] = (gptq_stat){.calib_rows = cb.rows[i]};
        if (!cb.rows[i]) continue; /* never multiplied through the backend */
        symmetrize(cb.h[i], f[i].cols);
        const int *rq = pc->split && pc->split[i] ? pc->row_qmax : NULL;
        TITAN_TRY(
            gptq_tensor(a, f[i].data, cb.h[i], pc->clip_steps, rq, &out[i], &stats[i]));
        done += (double)(f[i].rows * f[i].cols);
        if (pc->solve.fn) pc->solve.fn(pc->solve.user, done, work);
    }
    return TITAN_OK;
}
