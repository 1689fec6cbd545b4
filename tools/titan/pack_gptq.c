/* pack_gptq.c: GPTQ calibration. The float model runs the calibration text
 * through the runtime forward pass on a wrapping backend whose matmul adds
 * x x^T of each weight's input rows to that weight's Hessian before calling
 * the real kernel, so every linear layer (wq_a, wq_b, wkv_a, wo, w_gate,
 * w_up, w_down; shared blocks summed over all recurrences) gets
 * H = sum x x^T of exactly the activations it sees. Weights the forward pass
 * does not multiply through the backend (wkv_b, folded into absorbed
 * attention; tok_emb, a lookup here) keep round-to-nearest. */
#include "core/status.h"
#include "platform/backend.h"
#include "quant/dtype.h"
#include "quant/gptq.h"
#include "quant/quant.h"
#include "tools/titan/pack.h"

#include <stdint.h>

enum { CALIB_CTX = 256 }; /* window, or max_seq_len if shorter */

typedef struct {
    titan_backend be; /* first: the model calls be.matmul(&be, ...) */
    titan_backend *inner;
    const titan_tensor *t; /* the float tensors the model was built over */
    int n;
    double **h;    /* [n]: cols x cols sums (lower triangle), NULL where not wanted */
    int64_t *rows; /* [n]: input rows summed into h */
} calib_backend;

static void calib_matmul(titan_backend *be, const titan_tensor *w,
                         const float *x, float *y, int T) {
    calib_backend *cb = (calib_backend *)be;
    uintptr_t i = ((uintptr_t)w - (uintptr_t)cb->t) / sizeof *w;
    if ((uintptr_t)w >= (uintptr_t)cb->t && i < (uintptr_t)cb->n && cb->h[i]) {
        int64_t C = w->cols;
        cb->rows[i] += T;
        for (int r = 0; r < T; r++) {
            const float *xr = x + (size_t)r * C;
            for (int64_t j = 0; j < C; j++) {
                double *hj = cb->h[i] + j * C;
                double xj = xr[j];
                for (int64_t k = 0; k <= j; k++) hj[k] += xj * xr[k];
            }
        }
    }
    cb->inner->matmul(cb->inner, w, x, y, T);
}

/* Lower triangles to full symmetric matrices. */
static void symmetrize(double *h, int64_t C) {
    for (int64_t j = 0; j < C; j++)
        for (int64_t k = j + 1; k < C; k++) h[j * C + k] = h[k * C + j];
}

static titan_status run_calibration(titan_arena *a, const pack_calib *pc,
                                    calib_backend *cb) {
    const titan_tokenizer *tok;
    TITAN_TRY(titan_tokenizer_load(a, pc->tok, pc->tok_len, &tok));
    int32_t *seq;
    size_t n;
    TITAN_TRY(titan_arena_alloc(a, (pc->text_len + 1) * sizeof *seq, TITAN_ALIGN,
                                (void **)&seq));
    seq[0] = TITAN_TOK_BOS;
    TITAN_TRY(titan_tokenizer_encode(tok, a, pc->text, pc->text_len, seq + 1,
                                     pc->text_len, &n));
    int64_t total = (int64_t)n + 1 < pc->max_tokens ? (int64_t)n + 1 : pc->max_tokens;
    titan_model *m;
    titan_seq *s;
    int ctx = pc->c->max_seq_len < CALIB_CTX ? pc->c->max_seq_len : CALIB_CTX;
    TITAN_TRY(titan_model_create(a, pc->c, cb->t, cb->n, ctx, ctx, &cb->be, &m));
    TITAN_TRY(titan_seq_create(a, m, &s));
    for (int64_t w = 0; w < total; w += ctx) {
        titan_seq_reset(s);
        int len = (int)(total - w < ctx ? total - w : ctx);
        TITAN_TRY(titan_model_forward(m, s, seq + w, len));
    }
    return TITAN_OK;
}

/* Replace t's RTN values with GPTQ's, keeping its (clip-searched) scales;
 * the output error of both on h goes to *stat. */
static titan_status gptq_tensor(titan_arena *a, const float *w, const double *h,
                                titan_tensor *t, pack_gptq_stat *stat) {
    int qmax = titan_dtype_get(t->dtype)->qmax;
    titan_gptq_opts o = {.damp = 0.01, .block = 128, .act_order = 1};
    size_t mark = titan_arena_mark(a);
    int8_t *q;
    TITAN_TRY(titan_gptq_output_error(a, w, t, h, &stat->rtn_error));
    TITAN_TRY(titan_arena_alloc(a, (size_t)(t->rows * t->cols), 1, (void **)&q));
    TITAN_TRY(titan_gptq_quantize(a, w, t->rows, t->cols, h, t->scales,
                                  -qmax - 1, qmax, &o, q));
    size_t row_bytes = titan_dtype_row_bytes(t->dtype, t->cols);
    uint8_t *data = (uint8_t *)t->data;
    for (int64_t r = 0; r < t->rows; r++)
        for (int64_t c = 0; c < t->cols; c++)
            titan_quant_store(t->dtype, data + r * row_bytes, c, q[r * t->cols + c]);
    titan_arena_reset(a, mark);
    return titan_gptq_output_error(a, w, t, h, &stat->gptq_error);
}

titan_status pack_gptq(titan_arena *a, const pack_calib *pc, const titan_tensor *f,
                       titan_tensor *out, int n, pack_gptq_stat *stats) {
    calib_backend cb = {.be = {.name = "calib", .matmul = calib_matmul},
                        .t = f, .n = n};
    titan_backend inner;
    titan_backend_ref(&inner);
    cb.inner = &inner;
    cb.be.small_gemm = inner.small_gemm;
    cb.be.state = &cb;
    TITAN_TRY(titan_arena_calloc(a, (size_t)n * sizeof *cb.h, TITAN_ALIGN, (void **)&cb.h));
    TITAN_TRY(titan_arena_calloc(a, (size_t)n * sizeof *cb.rows, TITAN_ALIGN,
                                 (void **)&cb.rows));
    for (int i = 0; i < n; i++) {
        int want = titan_dtype_get(out[i].dtype)->quantized &&
                   out[i].group_size == 0 && f[i].ndim == 2;
        if (want)
            TITAN_TRY(titan_arena_calloc(a, (size_t)(f[i].cols * f[i].cols) * sizeof(double),
                                         TITAN_ALIGN, (void **)&cb.h[i]));
    }
    TITAN_TRY(run_calibration(a, pc, &cb));
    for (int i = 0; i < n; i++) {
        stats[i] = (pack_gptq_stat){.calib_rows = cb.rows[i]};
        if (!cb.rows[i]) continue; /* never multiplied through the backend */
        symmetrize(cb.h[i], f[i].cols);
        TITAN_TRY(gptq_tensor(a, f[i].data, cb.h[i], &out[i], &stats[i]));
    }
    return TITAN_OK;
}
