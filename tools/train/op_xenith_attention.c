/* op_xenith_attention.c: SPEC section 9's windowed GQA with global tokens
 * and optional memory keys, one softmax per head, forward and backward
 * (see op_xenith_attention.h). Direct loops over the visible keys only: a
 * window of w costs w dot products per query, whatever T is. */
#include "tools/train/op_xenith_attention.h"
#include "tools/train/train_ops.h"

#include <math.h>

int TR(xattn_slots)(int T, int Ng, int w, int n_mem) {
    int tok = w == 0 || Ng + w > T ? T : Ng + w;
    return tok + n_mem;
}

/* Query t's token keys: positions 0..g_end-1, then w_start..t. */
typedef struct {
    int n_tok, g_end, w_start, mem0; /* mem0: the first memory slot */
} keys;

static keys keys_of(const TR(xattn_shape) * s, int t) {
    keys k;
    k.g_end = s->n_global < t + 1 ? s->n_global : t + 1;
    k.w_start = k.g_end;
    if (s->window > 0 && t - s->window + 1 > k.g_end) k.w_start = t - s->window + 1;
    k.n_tok = k.g_end + (t >= k.w_start ? t - k.w_start + 1 : 0);
    k.mem0 = s->P - s->n_mem;
    return k;
}

/* Slot kk (< n_tok, or >= mem0) -> the row of its key and value: a token
 * position, or a memory row (*mem set). */
static int slot_row(const keys *k, int kk, int *mem) {
    *mem = kk >= k->mem0;
    if (*mem) return kk - k->mem0;
    return kk < k->g_end ? kk : k->w_start + (kk - k->g_end);
}

static int next_slot(const keys *k, int kk) {
    return kk + 1 == k->n_tok ? k->mem0 : kk + 1;
}

static double dot(const real *a, const real *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* Where head i's query, and group g's key and value of slot row r, live. */
#define QOFF(t, i)   ((size_t)(t)*s->H * s->Dh + (size_t)(i)*s->Dh)
#define KOFF(r, g)   ((size_t)(r)*s->G * s->Dh + (size_t)(g)*s->Dh)
#define FIRST(k)     ((k).n_tok > 0 ? 0 : (k).mem0)
#define SLOTS(kk, k) for (int kk = FIRST(k); kk < s->P; kk = next_slot(&(k), kk))

static void head_forward(real *o, real *p, const TR(xattn_shape) * s,
                         const TR(xattn_view) * x, int t, int i) {
    keys k = keys_of(s, t);
    int g = i / (s->H / s->G), mem;
    double scale = 1 / sqrt((double)s->Dh), mx = -INFINITY, sum = 0;
    SLOTS(kk, k) {
        int r = slot_row(&k, kk, &mem);
        const real *q = (mem ? x->qm : x->q) + QOFF(t, i);
        p[kk] = (real)(dot(q, (mem ? x->mk : x->k) + KOFF(r, g), s->Dh) * scale);
        if (p[kk] > mx) mx = p[kk];
    }
    SLOTS(kk, k) sum += p[kk] = real_exp(p[kk] - (real)mx);
    real *ot = o + QOFF(t, i);
    for (int d = 0; d < s->Dh; d++) ot[d] = 0;
    SLOTS(kk, k) {
        int r = slot_row(&k, kk, &mem);
        const real *v = (mem ? x->mv : x->v) + KOFF(r, g);
        p[kk] = (real)(p[kk] / sum);
        for (int d = 0; d < s->Dh; d++) ot[d] += p[kk] * v[d];
    }
}

void TR(xattn_forward)(real *o, real *probs, const TR(xattn_shape) * s,
                       const TR(xattn_view) * x, int t0, int t1) {
    for (int t = t0; t < t1; t++)
        for (int i = 0; i < s->H; i++)
            head_forward(o, probs + ((size_t)t * s->H + i) * s->P, s, x, t, i);
}

static void axpy(real *y, double a, const real *x, int n) {
    if (!y) return;
    for (int i = 0; i < n; i++) y[i] += (real)(a * x[i]);
}

/* ds = p (dp - sum p dp), dp = dout . v; then the four products. */
static void head_backward(const TR(xattn_view) * d, const real *dout, const real *p,
                          const TR(xattn_shape) * s, const TR(xattn_view) * x, int t,
                          int i) {
    keys k = keys_of(s, t);
    int g = i / (s->H / s->G), mem;
    double scale = 1 / sqrt((double)s->Dh), pdp = 0;
    const real *dot_ = dout + QOFF(t, i);
    SLOTS(kk, k) {
        int r = slot_row(&k, kk, &mem);
        pdp += p[kk] * dot(dot_, (mem ? x->mv : x->v) + KOFF(r, g), s->Dh);
    }
    SLOTS(kk, k) {
        int r = slot_row(&k, kk, &mem);
        const real *kv = (mem ? x->mk : x->k) + KOFF(r, g);
        const real *vv = (mem ? x->mv : x->v) + KOFF(r, g);
        const real *q = (mem ? x->qm : x->q) + QOFF(t, i);
        real *dq = mem ? d->qm : d->q, *dk = mem ? d->mk : d->k, *dv = mem ? d->mv : d->v;
        double ds = p[kk] * (dot(dot_, vv, s->Dh) - pdp) * scale;
        axpy(dq ? dq + QOFF(t, i) : NULL, ds, kv, s->Dh);
        axpy(dk ? dk + KOFF(r, g) : NULL, ds, q, s->Dh);
        axpy(dv ? dv + KOFF(r, g) : NULL, p[kk], dot_, s->Dh);
    }
}

void TR(xattn_backward)(const TR(xattn_view) * d, const real *dout, const real *probs,
                        const TR(xattn_shape) * s, const TR(xattn_view) * x, int t0,
                        int t1) {
    for (int t = t0; t < t1; t++)
        for (int i = 0; i < s->H; i++)
            head_backward(d, dout, probs + ((size_t)t * s->H + i) * s->P, s, x, t, i);
}
