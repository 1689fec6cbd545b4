/* op_embed_head.c: token embedding and one output head (tied tok_emb for
 * head 1, mtp.k.head for k >= 2) with optional softcap and cross-entropy. */
#include "tools/train/train_ops.h"

#include <math.h>
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

/* CE of one row in place: returns -log softmax(l)[y]. With grad, l becomes
 * dCE/dl * weight, times the softcap derivative 1 - (l / c)^2 when the row
 * holds capped logits (c > 0). */
static double row_loss(real *l, int y, int V, double softcap, double weight, int grad) {
    real mx = l[0];
    for (int v = 1; v < V; v++) mx = l[v] > mx ? l[v] : mx;
    double sum = 0;
    for (int v = 0; v < V; v++) sum += exp((double)(l[v] - mx));
    double nll = log(sum) - (double)(l[y] - mx);
    if (!grad) return nll;
    for (int v = 0; v < V; v++) {
        double d = (exp((double)(l[v] - mx)) / sum - (v == y)) * weight;
        if (softcap > 0) {
            double r = (double)l[v] / softcap;
            d *= 1 - r * r;
        }
        l[v] = (real)d;
    }
    return nll;
}

double TR(head_ce)(real *logits, const real *z, const real *W, const int *targets, int n,
                   int D, int V, double softcap, double weight, real *dz, real *dW,
                   double *row_nll) {
    TR(matmul_forward)(logits, z, W, n, D, V);
    double total = 0;
    for (int t = 0; t < n; t++) {
        real *l = logits + (size_t)t * V;
        if (softcap > 0)
            for (int v = 0; v < V; v++)
                l[v] = (real)(softcap * tanh((double)l[v] / softcap));
        double nll = row_loss(l, targets[t], V, softcap, weight, dz != NULL);
        if (row_nll) row_nll[t] = nll;
        total += nll;
    }
    if (dz) TR(matmul_backward)(dz, dW, logits, z, W, n, D, V);
    return total;
}
