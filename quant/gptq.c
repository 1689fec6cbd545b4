/* gptq.c: GPTQ with fixed per-row scales, act-order, dead-column handling,
 * damping and blocked lazy error feedback (the algorithm of the public GPTQ
 * reference code, restated for row-major float32 weights). */
#include "quant/gptq.h"

#include "quant/cholesky.h"
#include "quant/quant.h"

#include <math.h>
#include <string.h>

typedef struct {
    int64_t rows, cols;
    double *hinv;  /* [cols][cols] upper Cholesky factor of the damped H^-1 */
    float *wp;     /* [rows][cols] weights, columns permuted */
    float *err;    /* [rows][block] scaled errors of the current block */
    int64_t *perm; /* [cols] permuted position -> original column */
} gptq_work;

size_t titan_gptq_plan(int64_t rows, int64_t cols, const titan_gptq_opts *o) {
    size_t c = (size_t)cols, r = (size_t)rows, b = (size_t)o->block;
    return c * c * 8 + r * c * 4 + r * b * 4 + c * 8 + 4 * TITAN_ALIGN;
}

static int8_t quantize_one(float w, float scale, int qmin, int qmax) {
    float v = rintf(w / scale);
    return (int8_t)(v < qmin ? qmin : v > qmax ? qmax : v);
}

/* Order columns by decreasing H[j][j] (stable, so ties keep input order). */
static void order_columns(int64_t *perm, const double *h, int64_t n, int act) {
    for (int64_t j = 0; j < n; j++) perm[j] = j;
    if (!act) return;
    for (int64_t i = 1; i < n; i++) { /* insertion sort: n is small */
        int64_t p = perm[i], k = i;
        for (; k > 0 && h[perm[k - 1] * n + perm[k - 1]] < h[p * n + p]; k--)
            perm[k] = perm[k - 1];
        perm[k] = p;
    }
}

/* hinv = upper factor U of (P H P^T + damp I)^-1 = U^T U; dead columns get 1. */
static titan_status damped_inverse_factor(gptq_work *g, const double *h,
                                          double damp_frac) {
    int64_t n = g->cols;
    double mean = 0;
    for (int64_t j = 0; j < n; j++) mean += h[j * n + j];
    mean = mean > 0 ? mean / n : 1;
    for (int attempt = 0; attempt < 6; attempt++, damp_frac *= 10) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                double v = h[g->perm[i] * n + g->perm[j]];
                if (i == j) v = (v == 0 ? 1 : v) + damp_frac * mean;
                g->hinv[i * n + j] = v;
            }
        if (!titan_cholesky(g->hinv, n)) continue;
        titan_cholesky_inverse(g->hinv, n);
        if (!titan_cholesky(g->hinv, n)) continue;
        for (int64_t i = 0; i < n; i++) /* lower L -> upper U = L^T */
            for (int64_t j = i + 1; j < n; j++) {
                g->hinv[i * n + j] = g->hinv[j * n + i];
                g->hinv[j * n + i] = 0;
            }
        return TITAN_OK;
    }
    return titan_fail(TITAN_E_DATA, "gptq: Hessian not positive definite");
}

/* Quantize columns [c0, c1) of wp, spreading each error over the rest of the
 * block at once and keeping the scaled errors for the lazy update after. */
static void quantize_block(gptq_work *g, int64_t c0, int64_t c1, const float *scale,
                           int qmin, int qmax, const int *row_qmax, int8_t *q) {
    int64_t n = g->cols, bw = c1 - c0;
    for (int64_t c = c0; c < c1; c++) {
        const double *hrow = g->hinv + c * n;
        for (int64_t r = 0; r < g->rows; r++) {
            float *wr = g->wp + r * n;
            int hi = row_qmax ? row_qmax[r] : qmax, lo = row_qmax ? -hi - 1 : qmin;
            int8_t v = quantize_one(wr[c], scale[r], lo, hi);
            q[r * n + g->perm[c]] = v;
            float e = (float)((wr[c] - v * scale[r]) / hrow[c]);
            g->err[r * bw + (c - c0)] = e;
            for (int64_t k = c + 1; k < c1; k++) wr[k] -= (float)(e * hrow[k]);
        }
    }
}

/* W[:, c1:] -= Err[:, c0:c1] Hinv[c0:c1, c1:]. */
static void lazy_update(gptq_work *g, int64_t c0, int64_t c1) {
    int64_t n = g->cols, bw = c1 - c0;
    for (int64_t r = 0; r < g->rows; r++) {
        float *wr = g->wp + r * n;
        const float *er = g->err + r * bw;
        for (int64_t i = 0; i < bw; i++) {
            const double *hrow = g->hinv + (c0 + i) * n;
            double e = er[i];
            for (int64_t k = c1; k < n; k++) wr[k] -= (float)(e * hrow[k]);
        }
    }
}

static titan_status check_args(const float *w, int64_t rows, int64_t cols,
                               const double *h, const float *scale, int qmin, int qmax,
                               const titan_gptq_opts *o, int8_t *q) {
    if (!w || !h || !scale || !o || !q || rows < 1 || cols < 1 || cols > (1 << 16) ||
        o->block < 1 || !(o->damp >= 0) || qmin >= qmax || qmin < -128 || qmax > 127)
        return titan_fail(TITAN_E_USAGE, "gptq: bad arguments");
    for (int64_t r = 0; o->row_qmax && r < rows; r++)
        if (o->row_qmax[r] < 1 || o->row_qmax[r] > 127)
            return titan_fail(TITAN_E_USAGE, "gptq: row %lld range %d", (long long)r,
                              o->row_qmax[r]);
    return titan_quant_check_scales(scale, rows, TITAN_E_USAGE, "gptq");
}

titan_status titan_gptq_quantize(titan_arena *scratch, const float *w, int64_t rows,
                                 int64_t cols, const double *h, const float *scale,
                                 int qmin, int qmax, const titan_gptq_opts *o,
                                 int8_t *q) {
    TITAN_TRY(check_args(w, rows, cols, h, scale, qmin, qmax, o, q));
    size_t mark = titan_arena_mark(scratch);
    gptq_work g = {.rows = rows, .cols = cols};
    titan_status st;
    if ((st = titan_arena_alloc(scratch, (size_t)(cols * cols) * 8, TITAN_ALIGN,
                                (void **)&g.hinv)) ||
        (st = titan_arena_alloc(scratch, (size_t)(rows * cols) * 4, TITAN_ALIGN,
                                (void **)&g.wp)) ||
        (st = titan_arena_alloc(scratch, (size_t)(rows * o->block) * 4, TITAN_ALIGN,
                                (void **)&g.err)) ||
        (st =
             titan_arena_alloc(scratch, (size_t)cols * 8, TITAN_ALIGN, (void **)&g.perm)))
        goto out;
    order_columns(g.perm, h, cols, o->act_order);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) {
            int64_t src = g.perm[c];
            g.wp[r * cols + c] = h[src * cols + src] == 0 ? 0 : w[r * cols + src];
        }
    if ((st = damped_inverse_factor(&g, h, o->damp))) goto out;
    for (int64_t c0 = 0; c0 < cols; c0 += o->block) {
        int64_t c1 = c0 + o->block < cols ? c0 + o->block : cols;
        quantize_block(&g, c0, c1, scale, qmin, qmax, o->row_qmax, q);
        lazy_update(&g, c0, c1);
    }
out:
    titan_arena_reset(scratch, mark);
    return st;
}

/* v^T H v for v[n]. */
static double quad_form(const double *h, const double *v, int64_t n) {
    double s = 0;
    for (int64_t j = 0; j < n; j++) {
        double hv = 0;
        for (int64_t k = 0; k < n; k++) hv += h[j * n + k] * v[k];
        s += v[j] * hv;
    }
    return s;
}

double titan_gptq_row_error(const double *h, const float *w, const int8_t *q, float scale,
                            int64_t cols, double *scratch) {
    for (int64_t j = 0; j < cols; j++) scratch[j] = (double)w[j] - (double)(q[j] * scale);
    return quad_form(h, scratch, cols);
}

/* tr((W-Q) H (W-Q)^T) / tr(W H W^T) with d [2][C] and row [C] as scratch. */
static double output_error(const float *w, const titan_tensor *q, const double *h,
                           double *d, float *row) {
    int64_t C = q->cols;
    double err = 0, energy = 0;
    for (int64_t r = 0; r < q->rows; r++) {
        titan_dequant_row(q, r, 0, C, row);
        for (int64_t j = 0; j < C; j++) {
            d[C + j] = w[r * C + j];
            d[j] = d[C + j] - row[j];
        }
        err += quad_form(h, d, C);
        energy += quad_form(h, d + C, C);
    }
    return energy > 0 ? err / energy : 0;
}

titan_status titan_gptq_output_error(titan_arena *scratch, const float *w,
                                     const titan_tensor *q, const double *h,
                                     double *rel) {
    int64_t C = q->cols;
    size_t mark = titan_arena_mark(scratch);
    double *d;  /* [2][C]: W - Q and W of one row */
    float *row; /* [C] Q of one row */
    titan_status st =
        titan_arena_alloc(scratch, (size_t)C * 2 * sizeof *d, TITAN_ALIGN, (void **)&d);
    if (st == TITAN_OK)
        st = titan_arena_alloc(scratch, (size_t)C * sizeof *row, TITAN_ALIGN,
                               (void **)&row);
    if (st == TITAN_OK) *rel = output_error(w, q, h, d, row);
    titan_arena_reset(scratch, mark);
    return st;
}
