/* embed.c: the embedding of SPEC section 8, "Forward pass", for tokens at
 * positions t = s->pos .. (t counts from the sequence's start):
 *   e   = tok_emb[x_t] + bigram.scale * bigram.proj bigram.table[idx_t]
 *         idx_0 = N-1, idx_t = ((36313 x_t) XOR (27191 x_{t-1})) mod (N-1)
 *   e   = RMSNorm0(e)                                   (emb_norm)
 *   e'_t = (1-σ) e_t + σ e_{t-1}, e_{-1} = 0             (smear_gate)
 *   x0 = h = e ; ve_t = value_embed.scale * value_embed.proj table[x_t]
 * With none of them on, h = tok_emb[x_t] as in section 1. The sequence keeps
 * the last M+1 tokens and their e before smearing, so that a call can start
 * where the last one (or a rewind of up to M tokens) left off. */
#include "core/model.h"
#include "quant/quant.h"

#include <string.h>

/* The token before row t (t > 0: the call's own; else from the ring). */
static int32_t prev_id(const titan_seq *s, const int32_t *ids, int t) {
    return t > 0 ? ids[t - 1] : s->prev_id[(s->pos - 1) % s->emb_ring];
}

/* Table rows of ids through an optional projection, times scale, added to
 * (or, when `add` is false, written to) out[n][width]. */
static void add_table(titan_model *m, const titan_tensor *table, const titan_tensor *proj,
                      float scale, const int32_t *rows, int n, float *out, int width,
                      bool add) {
    int d = (int)table->cols;
    for (int t = 0; t < n; t++)
        titan_dequant_row(table, rows[t], 0, d, m->etab + (size_t)t * d);
    const float *src = m->etab;
    if (proj) {
        float *y = add ? m->y : out; /* m->y is free before the first block */
        m->be->matmul(m->be, proj, m->etab, y, n);
        src = y;
    }
    for (size_t i = 0; i < (size_t)n * width; i++)
        out[i] = add ? out[i] + scale * src[i] : scale * src[i];
}

/* e += the hashed-bigram embedding of rows 0..n-1. */
static void add_bigram(titan_model *m, const titan_seq *s, const int32_t *ids, int n,
                       float *e) {
    int64_t N = m->bigram_table->rows;
    for (int t = 0; t < n; t++) {
        if (s->pos + t == 0) {
            m->idx[t] = (int32_t)(N - 1);
            continue;
        }
        int64_t a = 36313 * (int64_t)ids[t], b = 27191 * (int64_t)prev_id(s, ids, t);
        m->idx[t] = (int32_t)((a ^ b) % (N - 1));
    }
    add_table(m, m->bigram_table, m->bigram_proj, m->bigram_scale, m->idx, n, e,
              m->cfg.d_model, true);
}

/* h[t] = (1-σ) e[t] + σ e[t-1]. */
static void smear(titan_model *m, const titan_seq *s, const float *e, int n) {
    int D = m->cfg.d_model;
    for (int t = 0; t < n; t++) {
        const float *prev = NULL;
        if (t > 0)
            prev = e + (size_t)(t - 1) * D;
        else if (s->pos > 0)
            prev = s->prev_e + (size_t)((s->pos - 1) % s->emb_ring) * D;
        const float *et = e + (size_t)t * D;
        float *h = m->h + (size_t)t * D;
        for (int i = 0; i < D; i++)
            h[i] = (1 - m->smear[i]) * et[i] + (prev ? m->smear[i] * prev[i] : 0);
    }
}

/* Keep the call's last tokens and their e for the next call. */
static void keep_tail(titan_seq *s, const int32_t *ids, const float *e, int n, int D) {
    int keep = n < s->emb_ring ? n : s->emb_ring;
    for (int t = n - keep; t < n; t++) {
        int at = (s->pos + t) % s->emb_ring;
        s->prev_id[at] = ids[t];
        memcpy(s->prev_e + (size_t)at * D, e + (size_t)t * D, (size_t)D * sizeof *e);
    }
}

void titan_embed(titan_model *m, titan_seq *s, const int32_t *ids, int n) {
    const titan_config *c = &m->cfg;
    int D = c->d_model;
    float *e = c->smear_gate ? m->emb : m->h;
    for (int t = 0; t < n; t++)
        titan_dequant_row(m->tok_emb, ids[t], 0, D, e + (size_t)t * D);
    if (c->bigram_hash) add_bigram(m, s, ids, n, e);
    if (c->emb_norm)
        for (int t = 0; t < n; t++)
            titan_rmsnorm(e + (size_t)t * D, e + (size_t)t * D, NULL, D, c->norm_eps);
    if (c->smear_gate) smear(m, s, e, n);
    if (s->emb_ring) keep_tail(s, ids, e, n, D);
    if (c->resid_mix) memcpy(m->x0, m->h, (size_t)n * D * sizeof *m->h);
    if (c->value_embed)
        add_table(m, m->ve_table, m->ve_proj, m->ve_scale, ids, n, m->ve,
                  c->n_kv_heads * c->v_head_dim, false);
}
