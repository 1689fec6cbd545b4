/* op_embed_head.c: token embedding, SPEC section 8's bigram hash rows and
 * SmearGate, and one output head (tied tok_emb for head 1, mtp.k.head for
 * k >= 2) with optional softcap and cross-entropy. */
#include "tools/train/train_ops.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

void TR(embed_forward)(real *h, const real *emb, const int *ids, int T, int D) {
    for (int t = 0; t < T; t++)
        memcpy(h + (size_t)t * D, emb + (size_t)ids[t] * D, sizeof(real) * D);
}

void TR(embed_backward)(real *demb, const real *dh, const int *ids, int T, int D) {
    for (int t = 0; t < T; t++) {
        real *row = demb + (size_t)ids[t] * D;
        const real *g = dh + (size_t)t * D;
        for (int i = 0; i < D; i++) row[i] += g[i];
    }
}

/* Bucket of row t: exact non-negative integers (ids < 2^20, so the products
 * fit in 64 bits). */
static size_t bigram_bucket(const int *ids, int t, int N) {
    if (t == 0) return (size_t)N - 1;
    uint64_t a = 36313u * (uint64_t)ids[t], b = 27191u * (uint64_t)ids[t - 1];
    return (size_t)((a ^ b) % (uint64_t)(N - 1));
}

void TR(bigram_forward)(real *rows, const real *table, const int *ids, int T, int N,
                        int d) {
    for (int t = 0; t < T; t++)
        memcpy(rows + (size_t)t * d, table + bigram_bucket(ids, t, N) * d,
               sizeof(real) * d);
}

void TR(bigram_backward)(real *dtable, const real *drows, const int *ids, int T, int N,
                         int d) {
    for (int t = 0; t < T; t++) {
        real *row = dtable + bigram_bucket(ids, t, N) * d;
        for (int i = 0; i < d; i++) row[i] += drows[(size_t)t * d + i];
    }
}

void TR(smear_forward)(real *out, const real *e, const real *gate, int T, int D) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++) {
            real s = real_sigmoid(gate[i]), prev = t ? e[(size_t)(t - 1) * D + i] : 0;
            out[(size_t)t * D + i] = (1 - s) * e[(size_t)t * D + i] + s * prev;
        }
}

/* de_t = (1-s) dout_t + s dout_{t+1}; ds = sum_t dout_t (e_{t-1} - e_t). */
void TR(smear_backward)(real *de, real *dgate, const real *dout, const real *e,
                        const real *gate, int T, int D) {
    for (int i = 0; i < D; i++) {
        real s = real_sigmoid(gate[i]);
        double ds = 0;
        for (int t = 0; t < T; t++) {
            size_t k = (size_t)t * D + i;
            real prev = t ? e[k - D] : 0, next = t + 1 < T ? dout[k + D] : 0;
            ds += (double)dout[k] * (prev - e[k]);
            de[k] = (1 - s) * dout[k] + s * next;
        }
        dgate[i] += (real)(ds * s * (1 - s));
    }
}

/* l = cap tanh(l / cap), tanh(u) = sign(u) (1 - e) / (1 + e) with
 * e = exp(-2|u|): vectorized, off by ~1e-7 cap near 0 (below a logit's own
 * rounding); libm's double tanh took 3-6% of a golf step. */
TRAIN_VECTORIZE static void softcap_row(real *l, size_t V, real cap) {
    for (size_t v = 0; v < V; v++) {
        real u = l[v] / cap, e = real_exp(-2 * (real)fabs((double)u));
        real t = (1 - e) / (1 + e);
        l[v] = cap * (u < 0 ? -t : t);
    }
}

/* l[v] = exp(l[v] - mx) * scale * (1 - (l[v] * inv_cap)^2): the CE gradient
 * of every logit but the target's, times the softcap derivative. */
TRAIN_VECTORIZE static void ce_grad(real *l, size_t V, real mx, real scale,
                                    real inv_cap) {
    for (size_t v = 0; v < V; v++) {
        real r = l[v] * inv_cap;
        l[v] = real_exp(l[v] - mx) * scale * (1 - r * r);
    }
}

/* CE of one row in place: returns -log softmax(l)[y]. With grad, l becomes
 * dCE/dl * weight, times the softcap derivative 1 - (l / c)^2 when the row
 * holds capped logits (c > 0). The exps go through a tile (vectorized), the
 * sum takes them in order. */
static double row_loss(real *l, int y, int V, double softcap, double weight, int grad) {
    enum { TILE = 256 };
    real mx = l[0], tile[TILE];
    for (int v = 1; v < V; v++) mx = l[v] > mx ? l[v] : mx;
    double sum = 0;
    for (int v0 = 0; v0 < V; v0 += TILE) {
        int n = V - v0 < TILE ? V - v0 : TILE;
        memcpy(tile, l + v0, sizeof(real) * (size_t)n);
        real_exp_shifted(tile, (size_t)n, mx);
        for (int j = 0; j < n; j++) sum += tile[j];
    }
    double nll = log(sum) - (double)(l[y] - mx);
    if (!grad) return nll;
    real inv_cap = softcap > 0 ? (real)(1 / softcap) : 0, ry = l[y] * inv_cap;
    ce_grad(l, (size_t)V, mx, (real)(weight / sum), inv_cap);
    l[y] -= (real)weight * (1 - ry * ry);
    return nll;
}

double TR(head_ce)(real *logits, const real *z, const real *W, const int *targets, int n,
                   int D, int V, double softcap, double weight, real *dz, real *dW,
                   double *row_nll) {
    TR(matmul_forward)(logits, z, W, n, D, V);
    double total = 0;
    for (int t = 0; t < n; t++) {
        real *l = logits + (size_t)t * V;
        if (softcap > 0) softcap_row(l, (size_t)V, (real)softcap);
        double nll = row_loss(l, targets[t], V, softcap, weight, dz != NULL);
        if (row_nll) row_nll[t] = nll;
        total += nll;
    }
    if (dz) TR(matmul_backward)(dz, dW, logits, z, W, n, D, V);
    return total;
}
