/* xenith_model.c: the trainable Xenith model's setup (SPEC section 9):
 * tensor binding by name, rotary tables, the activation slab, and the
 * adapter-carrying linear map every weight goes through. */
#include "core/config_xenith.h"
#include "tools/train/op_xenith_attention.h"
#include "tools/train/train_mem.h"
#include "tools/train/train_ops.h"
#include "tools/train/xenith_model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int bind_lin(TR(xlin) * l, const TR(params) * p, const char *name) {
    char buf[TITAN_NAME_MAX + 16];
    l->w = TR(params_find)(p, name);
    snprintf(buf, sizeof buf, "%s.lora_A", name);
    l->a = TR(params_find)(p, buf);
    snprintf(buf, sizeof buf, "%s.lora_B", name);
    l->b = TR(params_find)(p, buf);
    if (l->w < 0 || (l->a < 0) != (l->b < 0)) return -1;
    l->out = (int)p->spec[l->w].rows;
    l->in = (int)p->spec[l->w].cols;
    return 0;
}

static int bind_layer(TR(xlayer) * x, const TR(params) * p, int l) {
    char name[TITAN_NAME_MAX];
    int bad = 0;
#define LIN(f, leaf)                                                                     \
    (snprintf(name, sizeof name, "blocks.%d." leaf, l), bad |= bind_lin(&x->f, p, name))
#define VEC(f, leaf)                                                                     \
    (snprintf(name, sizeof name, "blocks.%d." leaf, l),                                  \
     bad |= (x->f = TR(params_find)(p, name)) < 0)
    VEC(attn_norm, "attn_norm");
    VEC(ffn_norm, "ffn_norm");
    LIN(wq, "wq");
    LIN(wk, "wk");
    LIN(wv, "wv");
    LIN(wo, "wo");
    if (!x->moe) {
        LIN(gate, "w_gate");
        LIN(up, "w_up");
        LIN(down, "w_down");
        return bad ? -1 : 0;
    }
    LIN(router, "router");
    LIN(gate, "experts.0.w_gate");
    LIN(up, "experts.0.w_up");
    LIN(down, "experts.0.w_down");
    /* expert 0's tensors, adapters included: gate .. down's last */
    x->estride = (x->down.b >= 0 ? x->down.b : x->down.w) + 1 - x->gate.w;
    int E = p->spec[x->router.w].rows, last = x->gate.w + (E - 1) * x->estride;
    snprintf(name, sizeof name, "blocks.%d.experts.%d.w_gate", l, E - 1);
    if (last >= p->n_tensors || strcmp(p->spec[last].name, name)) return -1;
#undef LIN
#undef VEC
    return bad ? -1 : 0;
}

static int rope_tables(TR(xmodel) * m) {
    const titan_config *c = &m->cfg;
    int half = c->head_dim / 2;
    size_t n = (size_t)m->max_T * half;
    if (train_mem_get(m->arena, n, sizeof(real), (void **)&m->rope_cos) ||
        train_mem_get(m->arena, n, sizeof(real), (void **)&m->rope_sin))
        return -1;
    for (int i = 0; m->rope_cos && i < half; i++) {
        double f = pow(c->rope_base, -2.0 * i / c->head_dim);
        for (int t = 0; t < m->max_T; t++) {
            m->rope_cos[(size_t)t * half + i] = (real)cos(t * f);
            m->rope_sin[(size_t)t * half + i] = (real)sin(t * f);
        }
    }
    return 0;
}

/* The summarizer's tensors: the run of "mem." names (xenith_memory.c binds
 * them by name). */
static int bind_memory(TR(xmodel) * m, const TR(params) * p) {
    int i = 0;
    while (i < p->n_tensors && strncmp(p->spec[i].name, "mem.", 4)) i++;
    m->mem_first = i;
    while (i < p->n_tensors && !strncmp(p->spec[i].name, "mem.", 4)) i++;
    m->mem_end = i;
    return m->mem_end > m->mem_first ? 0 : -1;
}

/* Segments of max_T and the memory's sizes. */
static void segments(TR(xmodel) * m) {
    const titan_config *c = &m->cfg;
    int S = c->stm_tokens;
    m->seg = S > 0 && S < m->max_T ? S : m->max_T;
    m->n_seg = (m->max_T + m->seg - 1) / m->seg;
    m->n_sum = S > 0 ? (m->max_T - 1) / S : 0;
}

int TR(xmem_rows)(const TR(xmodel) * m, int s) {
    const titan_config *c = &m->cfg;
    if (c->stm_tokens == 0) return 0;
    int64_t rows = (int64_t)s * c->mem_slots;
    return rows < c->ltm_size ? (int)rows : c->ltm_size;
}

int TR(xmodel_init)(TR(xmodel) * m, const titan_config *c, const TR(params) * p,
                    int max_T, titan_arena *arena) {
    memset(m, 0, sizeof *m);
    m->cfg = *c;
    m->max_T = max_T;
    m->L = c->n_layers;
    m->arena = arena;
    m->r = c->lora_rank;
    m->lora_s = c->lora_rank > 0 ? c->lora_alpha / c->lora_rank : 0;
    if (max_T < 1) return -1;
    segments(m);
    m->tok_emb = TR(params_find)(p, "tok_emb");
    m->final_norm = TR(params_find)(p, "final_norm");
    m->head.w = m->head.a = m->head.b = -1;
    if (m->tok_emb < 0 || m->final_norm < 0) return -1;
    if (!c->tie_embeddings && bind_lin(&m->head, p, "lm_head")) return -1;
    int nw = c->attn_windows_len;
    for (int l = 0; l < m->L; l++) {
        TR(xlayer) *x = &m->layer[l];
        x->moe = c->moe_experts > 0 && l >= c->moe_dense_layers;
        if (bind_layer(x, p, l)) return -1;
        x->window = nw ? c->attn_windows[l % nw] : 0;
        x->reads = titan_config_xenith_reads(c, l);
        x->P = TR(xattn_slots)(max_T, c->n_global_tokens, x->window,
                               x->reads ? TR(xmem_rows)(m, m->n_sum) : 0);
    }
    if (c->stm_tokens > 0 && bind_memory(m, p)) return -1;
    return rope_tables(m);
}

void TR(xmodel_free)(TR(xmodel) * m) {
    train_mem_put(m->arena, m->rope_cos);
    train_mem_put(m->arena, m->rope_sin);
    m->rope_cos = m->rope_sin = NULL;
}

/* Carve (mem NULL: only count) the activation slab. */
static size_t layout(TR(xacts) * a, const TR(xmodel) * m, int T, real *mem) {
    const titan_config *c = &m->cfg;
    size_t off = 0, t = (size_t)T, D = c->d_model, F = c->mlp_hidden, r = m->r;
    size_t qw = (size_t)c->n_heads * c->head_dim,
           kw = (size_t)c->n_kv_heads * c->head_dim;
    size_t V = c->vocab_size, nY = (size_t)m->n_sum * c->mem_slots;
    size_t seg = T < m->seg ? T : m->seg, nseg = (T + seg - 1) / seg;
#define CARVE(ptr, n) ((ptr) = mem ? mem + off : NULL, off += (n))
    TR(xlayer_acts) none;
    for (int l = 0; l < m->L; l++) {
        TR(xlayer_acts) *la = a->layer ? &a->layer[l] : &none;
        CARVE(la->h_in, t * D);
        CARVE(la->u1, t * D);
        CARVE(la->rstd1, t);
        CARVE(la->q, t * qw);
        CARVE(la->k, t * kw);
        CARVE(la->v, t * kw);
        CARVE(la->probs, t * c->n_heads * m->layer[l].P);
        CARVE(la->o, t * qw);
        CARVE(la->h_mid, t * D);
        CARVE(la->u2, t * D);
        CARVE(la->rstd2, t);
        bool moe = m->layer[l].moe;
        CARVE(la->ag, moe ? 0 : t * F);
        CARVE(la->up, moe ? 0 : t * F);
        CARVE(la->m, moe ? 0 : t * F);
        CARVE(la->moe, moe ? nseg * TR(moe_acts_size)((int)seg, c) : 0);
        for (int i = 0; i < 7; i++) CARVE(la->xs[i], t * r);
        CARVE(la->dk, t * kw);
        CARVE(la->dv, t * kw);
        bool reads = m->layer[l].reads;
        CARVE(la->qm, reads ? t * qw : 0);
        CARVE(la->mk, reads ? nY * kw : 0);
        CARVE(la->mv, reads ? nY * kw : 0);
        CARVE(la->mxk, reads ? nY * r : 0);
        CARVE(la->mxv, reads ? nY * r : 0);
        CARVE(la->dmk, reads ? nY * kw : 0);
        CARVE(la->dmv, reads ? nY * kw : 0);
    }
    bool mem_on = c->stm_tokens > 0;
    size_t M = mem_on ? c->mem_slots : 0, S = c->stm_tokens;
    CARVE(a->dqm, mem_on ? t * qw : 0);
    CARVE(a->Y, nY * D);
    CARVE(a->dY, M * D);
    CARVE(a->sum_acts, m->n_sum ? m->n_sum * TR(xsum_acts_size)((int)S, c) : 0);
    CARVE(a->sum_scratch, m->n_sum ? TR(xsum_scratch_size)((int)S, c) : 0);
    bool merged = m->head.a >= 0;
    CARVE(a->h_out, t * D);
    CARVE(a->z, t * D);
    CARVE(a->rstd_f, t);
    CARVE(a->logits, (size_t)TRAIN_HEAD_CHUNK * V);
    CARVE(a->head, merged ? V * D : 0);
    CARVE(a->dhead, V * D); /* also a frozen head's gradient sink */
    CARVE(a->dh, t * D);
    CARVE(a->du, t * D);
    CARVE(a->dz, t * D);
    CARVE(a->dn, D);
    CARVE(a->dq, t * qw);
    CARVE(a->do_, t * qw);
    CARVE(a->dag, t * F);
    CARVE(a->dup, t * F);
    CARVE(a->dm, t * F);
    CARVE(a->dxs, (t > M ? t : M) * r);
    CARVE(a->moe_scratch, c->moe_experts > 0 ? TR(moe_scratch_size)((int)seg, c) : 0);
#undef CARVE
    return off;
}

int TR(xacts_alloc)(TR(xacts) * a, const TR(xmodel) * m, int max_T, titan_arena *arena) {
    memset(a, 0, sizeof *a);
    a->arena = arena;
    a->max_T = max_T;
    if (max_T < 1 || max_T > m->max_T) return -1;
    if (train_mem_get(arena, (size_t)m->L, sizeof *a->layer, (void **)&a->layer))
        return -1;
    size_t E = m->cfg.moe_experts, L = m->L;
    if (train_mem_get(arena, 2 * E + 1, sizeof *a->ex, (void **)&a->ex)) return -1;
    int32_t *load;
    double *psum;
    size_t Ls = m->cfg.stm_tokens > 0 ? m->cfg.sum_layers : 0;
    if (train_mem_get(arena, L * E + 1, sizeof *load, (void **)&load) ||
        train_mem_get(arena, L * E + 1, sizeof *psum, (void **)&psum) ||
        train_mem_get(arena, 2 * Ls + 1, sizeof *a->xsl, (void **)&a->xsl))
        return -1;
    for (size_t l = 0; load && psum && l < L; l++) {
        TR(xlayer_acts) *la = &a->layer[l];
        la->load = la->st.load = load + l * E;
        la->st.psum = psum + l * E;
    }
    size_t n = layout(a, m, max_T, NULL);
    if (train_mem_get(arena, n, sizeof(real), (void **)&a->mem)) return -1;
    if (a->mem) layout(a, m, max_T, a->mem);
    return 0;
}

void TR(xacts_free)(TR(xacts) * a) {
    train_mem_put(a->arena, a->ex);
    train_mem_put(a->arena, a->xsl);
    if (a->layer) train_mem_put(a->arena, a->layer[0].st.psum);
    if (a->layer) train_mem_put(a->arena, a->layer[0].load);
    train_mem_put(a->arena, a->mem);
    train_mem_put(a->arena, a->layer);
    a->mem = NULL;
    a->layer = NULL;
}

static bool is_adapter(const char *name) {
    size_t n = strlen(name);
    return n > 7 &&
           (!strcmp(name + n - 7, ".lora_A") || !strcmp(name + n - 7, ".lora_B"));
}

real *TR(xgrad)(const TR(xmodel) * m, const TR(params) * g, int i) {
    if (i < 0 || !g) return NULL;
    if (m->lora_only && !is_adapter(g->spec[i].name)) return NULL;
    return g->tensor[i];
}

static const real *wt(const TR(params) * w, int i) {
    return i >= 0 ? w->tensor[i] : NULL;
}

void TR(xlin_forward)(const TR(xmodel) * m, const TR(params) * w, const TR(xlin) * l,
                      real *y, real *xs, const real *x, int n) {
    TR(lora_forward)
    (y, xs, x, wt(w, l->w), wt(w, l->a), wt(w, l->b), n, l->in, l->out, m->r,
     (real)m->lora_s);
}

void TR(xlin_backward)(const TR(xmodel) * m, const TR(params) * w, TR(params) * g,
                       const TR(xlin) * l, real *dx, real *dxs, const real *dy,
                       const real *x, const real *xs, int n) {
    TR(lora_backward)
    (dx, TR(xgrad)(m, g, l->w), TR(xgrad)(m, g, l->a), TR(xgrad)(m, g, l->b), dxs, dy, x,
     xs, wt(w, l->w), wt(w, l->a), wt(w, l->b), n, l->in, l->out, m->r, (real)m->lora_s);
}

/* A lin's three tensors, shifted by `shift` indices (expert e of expert 0's). */
static void mat(TR(lora_mat) * out, const TR(xmodel) * m, const TR(params) * p, bool g,
                TR(xlin) l, int shift) {
    int w = l.w + shift, a = l.a >= 0 ? l.a + shift : -1, b = l.b >= 0 ? l.b + shift : -1;
    if (g) {
        *out = (TR(lora_mat)){TR(xgrad)(m, p, w), TR(xgrad)(m, p, a), TR(xgrad)(m, p, b)};
        return;
    }
    *out = (TR(lora_mat)){p->tensor[w], a >= 0 ? p->tensor[a] : NULL,
                          b >= 0 ? p->tensor[b] : NULL};
}

void TR(xmoe_view)(TR(moe_weights) * out, const TR(xmodel) * m, const TR(params) * p,
                   bool g, int l, TR(swiglu_weights) * ex) {
    const TR(xlayer) *x = &m->layer[l];
    for (int e = 0; e < m->cfg.moe_experts; e++) {
        int sh = e * x->estride;
        mat(&ex[e].w_gate, m, p, g, x->gate, sh);
        mat(&ex[e].w_up, m, p, g, x->up, sh);
        mat(&ex[e].w_down, m, p, g, x->down, sh);
    }
    mat(&out->router, m, p, g, x->router, 0);
    out->experts = ex;
}
