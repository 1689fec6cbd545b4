/* xenith_memory.c: the trainable Xenith model's segment memory (SPEC section
 * 9, steps 2a and 2c): a finished segment's summary Y_s (op_xenith_summarize)
 * joins the LTM as every reading layer's keys wk y and values wv y (no
 * attn_norm, adapters included), kept for all summaries of the stream so
 * that segment s reads rows [s M - n, s M) with n = min(N, s M). The
 * backward gathers dL/dY_s from those keys and values, whose gradients every
 * later segment's attention has added by then, and runs the summarizer back
 * into the segment's final hidden states. */
#include "tools/train/op_xenith_summarize.h"
#include "tools/train/train_ops.h"
#include "tools/train/xenith_model.h"

#include <string.h>

/* The summarizer's tensors in p (g: the gradients, frozen ones NULL),
 * layers in ly [Ls]. */
static void sum_view(TR(xsum_weights) * out, const TR(xmodel) * m, const TR(params) * p,
                     bool g, TR(xsum_layer) * ly) {
    int Ls = m->cfg.sum_layers;
    memset(ly, 0, sizeof *ly * (size_t)Ls);
    *out = (TR(xsum_weights)){.layers = ly};
    for (int i = m->mem_first; i < m->mem_end; i++)
        TR(xsum_bind)(out, p->spec[i].name, g ? TR(xgrad)(m, p, i) : p->tensor[i], Ls);
}

static size_t sum_acts_at(const TR(xmodel) * m, int s) {
    return (size_t)s * TR(xsum_acts_size)(m->cfg.stm_tokens, &m->cfg);
}

void TR(xmem_forward)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a, int s,
                      int t0) {
    const titan_config *c = &m->cfg;
    int M = c->mem_slots, D = c->d_model;
    size_t kw = (size_t)c->n_kv_heads * c->head_dim, row = (size_t)s * M, r = m->r;
    real *Y = a->Y + row * D;
    TR(xsum_weights) sw;
    sum_view(&sw, m, w, false, a->xsl);
    TR(xsum_forward)
    (Y, a->h_out + (size_t)t0 * D, &sw, a->sum_acts + sum_acts_at(m, s), a->sum_scratch,
     c->stm_tokens, c);
    for (int l = 0; l < m->L; l++) {
        const TR(xlayer) *x = &m->layer[l];
        TR(xlayer_acts) *la = &a->layer[l];
        if (!x->reads) continue;
        TR(xlin_forward)(m, w, &x->wk, la->mk + row * kw, la->mxk + row * r, Y, M);
        TR(xlin_forward)(m, w, &x->wv, la->mv + row * kw, la->mxv + row * r, Y, M);
    }
}

void TR(xmem_backward)(const TR(xmodel) * m, const TR(params) * w, TR(xacts) * a,
                       TR(params) * g, int s, int t0) {
    const titan_config *c = &m->cfg;
    int M = c->mem_slots, D = c->d_model, Ls = c->sum_layers;
    size_t kw = (size_t)c->n_kv_heads * c->head_dim, row = (size_t)s * M, r = m->r;
    const real *Y = a->Y + row * D;
    real_zero(a->dY, (size_t)M * D);
    for (int l = 0; l < m->L; l++) {
        const TR(xlayer) *x = &m->layer[l];
        const TR(xlayer_acts) *la = &a->layer[l];
        if (!x->reads) continue;
        TR(xlin_backward)
        (m, w, g, &x->wk, a->dY, a->dxs, la->dmk + row * kw, Y, la->mxk + row * r, M);
        TR(xlin_backward)
        (m, w, g, &x->wv, a->dY, a->dxs, la->dmv + row * kw, Y, la->mxv + row * r, M);
    }
    TR(xsum_weights) sw, dsw;
    sum_view(&sw, m, w, false, a->xsl);
    sum_view(&dsw, m, g, true, a->xsl + Ls);
    TR(xsum_backward)
    (a->dh + (size_t)t0 * D, &dsw, a->dY, a->h_out + (size_t)t0 * D, &sw,
     a->sum_acts + sum_acts_at(m, s), a->sum_scratch, c->stm_tokens, c);
}
