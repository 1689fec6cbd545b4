/* train_model.c: the trainable model's slabs (parameters, activations) and its
 * forward pass, MTP loss and backward pass, reading top to bottom like SPEC
 * section 1 with section 8's options: embedding stage, the layer schedule
 * (skips, resid_mix, a block), final norm and heads. */
#include "tools/train/train_mem.h"
#include "tools/train/train_model.h"
#include "tools/train/train_ops.h"

#include "tools/cli/cli.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ parameters */

/* Tensor name -> field: of train_block for the names after "blocks.{b}."
 * ("wq" shares wq_b), of train_params for the model-wide ones. */
static const struct {
    const char *name;
    bool in_block;
    size_t offset;
} fields[] = {
#define BLOCK(n, f)                                                                      \
    { n, true, offsetof(TR(block), f) }
#define MODEL(n, f)                                                                      \
    { n, false, offsetof(TR(params), f) }
    BLOCK("attn_norm", attn_norm),
    BLOCK("wq_a", wq_a),
    BLOCK("q_norm", q_norm),
    BLOCK("wq_b", wq_b),
    BLOCK("wq", wq_b),
    BLOCK("wkv_a", wkv_a),
    BLOCK("kv_norm", kv_norm),
    BLOCK("wkv_b", wkv_b),
    BLOCK("wk", wk),
    BLOCK("wv", wv),
    BLOCK("wo", wo),
    BLOCK("q_gain", q_gain),
    BLOCK("k_sink", k_sink),
    BLOCK("sink_logit", sink_logit),
    BLOCK("ve_scale", ve_scale),
    BLOCK("ffn_norm", ffn_norm),
    BLOCK("w_gate", w_gate),
    BLOCK("w_up", w_up),
    BLOCK("w_down", w_down),
    BLOCK("conv", conv),
    BLOCK("resid_mix", resid_mix),
    BLOCK("attn_scale", attn_scale),
    BLOCK("mlp_scale", mlp_scale),
    MODEL("final_norm", final_norm),
    MODEL("bigram.table", bigram_table),
    MODEL("bigram.proj", bigram_proj),
    MODEL("bigram.scale", bigram_scale),
    MODEL("value_embed.table", ve_table),
    MODEL("value_embed.proj", ve_proj),
    MODEL("value_embed.scale", ve_scale),
    MODEL("smear_gate", smear_gate),
    MODEL("skip_weights", skip_weights),
    MODEL("skip_gates", skip_gates),
#undef BLOCK
#undef MODEL
};

/* Point the named field for spec name `name` at ptr. */
static void bind_tensor(TR(params) * p, const char *name, real *ptr) {
    int b, k, used = 0;
    if (!strcmp(name, "tok_emb")) {
        p->tok_emb = p->head[0] = ptr;
        return;
    }
    if (sscanf(name, "mtp.%d.head%n", &k, &used) == 1 && !name[used]) {
        p->head[k - 1] = ptr;
        return;
    }
    bool in_block = sscanf(name, "blocks.%d.%n", &b, &used) == 1;
    if (in_block && TR(gdn_bind)(&p->block[b].gdn, name + used, ptr)) return;
    char *base = in_block ? (char *)&p->block[b] : (char *)p;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (fields[i].in_block == in_block && !strcmp(name + used, fields[i].name))
            *(real **)(base + fields[i].offset) = ptr;
}

int TR(params_alloc)(TR(params) * p, const titan_config *c) {
    return TR(params_alloc_in)(p, c, NULL);
}

int TR(params_alloc_in)(TR(params) * p, const titan_config *c, titan_arena *arena) {
    memset(p, 0, sizeof *p);
    p->arena = arena;
    p->n_tensors = titan_config_tensors(c, p->spec, TITAN_MAX_TENSORS);
    p->count = (size_t)titan_config_params(c);
    if (train_mem_get(arena, p->count, sizeof(real), (void **)&p->mem)) return -1;
    if (!p->mem) return 0; /* measuring */
    size_t off = 0;
    for (int i = 0; i < p->n_tensors; i++) {
        p->tensor[i] = p->mem + off;
        if (!TITAN_XENITH(c)) /* xenith binds by index: tools/train/xenith_model.c */
            bind_tensor(p, p->spec[i].name, p->tensor[i]);
        off += (size_t)(p->spec[i].rows * p->spec[i].cols);
    }
    return 0;
}

void TR(params_free)(TR(params) * p) {
    train_mem_put(p->arena, p->mem);
    p->mem = NULL;
}

int TR(params_find)(const TR(params) * p, const char *name) {
    for (int i = 0; i < p->n_tensors; i++)
        if (!strcmp(p->spec[i].name, name)) return i;
    return -1;
}

/* ----------------------------------------------------------------- model */

/* S (shortened false) or S', with its skips (SPEC section 8). */
static int schedule_init(train_schedule *s, const titan_config *c, bool shortened,
                         titan_arena *a) {
    int n = titan_config_schedule(c, shortened, NULL, 0);
    s->n = n;
    if (n < 1 || train_mem_get(a, 6 * (size_t)n, sizeof(int32_t), (void **)&s->block))
        return -1;
    if (!s->block) return 0; /* measuring */
    s->skip_in = s->block + n;
    s->skip_out = s->skip_in + n;
    s->skip_src = s->skip_out + n;
    int32_t *src = s->skip_src + n, *dst = src + n;
    titan_config_schedule(c, shortened, s->block, n);
    for (int l = 0; l < n; l++) s->skip_in[l] = s->skip_out[l] = s->skip_src[l] = -1;
    int pairs = titan_config_skips(c, s->block, n, src, dst, n);
    for (int j = 0; j < pairs && j < n; j++) {
        if (src[j] < 0 || dst[j] <= src[j] || dst[j] >= n) return -1;
        s->skip_out[src[j]] = s->skip_in[dst[j]] = j;
        s->skip_src[dst[j]] = src[j];
    }
    return 0;
}

int TR(model_init)(TR(model) * m, const titan_config *c, int max_T) {
    return TR(model_init_in)(m, c, max_T, NULL);
}

int TR(model_init_in)(TR(model) * m, const titan_config *c, int max_T,
                      titan_arena *arena) {
    memset(m, 0, sizeof *m);
    m->cfg = *c;
    m->max_T = max_T;
    m->arena = arena;
    if (schedule_init(&m->sched[0], c, false, arena) ||
        schedule_init(&m->sched[1], c, true, arena))
        return -1;
    for (int b = 0; b < c->n_unique_blocks; b++) {
        m->xsa[b] = titan_config_lists(c->xsa_layers, c->xsa_layers_len, b);
        m->ve[b] = c->value_embed && titan_config_lists(c->value_embed_layers,
                                                        c->value_embed_layers_len, b);
        m->parallel[b] = c->parallel_residual_from >= 0 && b >= c->parallel_residual_from;
        m->ln_f[b] = c->ln_scale ? 1 / sqrt(b + 1.0) : 1;
    }
    int half = c->rope_dim / 2;
    double freq[2048], mscale;
    if (titan_config_rope(c, freq, 2048, &mscale) != TITAN_OK) return -1;
    m->Dq = c->head_dim + (c->attention == TITAN_ATTENTION_GQA ? 0 : c->rope_dim);
    m->attn_scale = mscale * mscale / sqrt((double)m->Dq);
    size_t n = (size_t)max_T * half;
    if (train_mem_get(arena, n, sizeof(real), (void **)&m->rope_cos) ||
        train_mem_get(arena, n, sizeof(real), (void **)&m->rope_sin))
        return -1;
    for (int t = 0; m->rope_cos && t < max_T; t++)
        for (int i = 0; i < half; i++) {
            m->rope_cos[(size_t)t * half + i] = (real)cos(t * freq[i]);
            m->rope_sin[(size_t)t * half + i] = (real)sin(t * freq[i]);
        }
    return 0;
}

void TR(model_free)(TR(model) * m) {
    train_mem_put(m->arena, m->rope_cos);
    train_mem_put(m->arena, m->rope_sin);
    train_mem_put(m->arena, m->sched[0].block);
    train_mem_put(m->arena, m->sched[1].block);
    m->rope_cos = m->rope_sin = NULL;
    m->sched[0].block = m->sched[1].block = NULL;
}

/* ----------------------------------------------------------- activations */

/* Layer l's block is GDN in S or in S' (acts are per position l of the
 * schedule in use). */
static bool gdn_at(const titan_config *c, int l) {
    int32_t S[TITAN_MAX_LAYERS];
    for (int shortened = 0; shortened < 2; shortened++) {
        int n = titan_config_schedule(c, shortened, S, TITAN_MAX_LAYERS);
        if (l < n && titan_config_is_gdn(c, S[l])) return true;
    }
    return false;
}

/* Carve (or with mem == NULL only count) the activation slab. Buffers of
 * options the config lacks get no room (n = 0); section 1's keep their
 * order. With a->layer NULL (measuring) the layer pointers go nowhere. */
static size_t layout_acts(TR(acts) * a, const titan_config *c, int T, real *mem) {
    size_t off = 0, t = (size_t)T;
    size_t D = c->d_model, H = c->n_heads, G = c->n_kv_heads, Dr = c->rope_dim;
    size_t Dv = c->v_head_dim, F = c->mlp_hidden;
    bool mla = c->attention == TITAN_ATTENTION_MLA, gqa = !mla;
    bool swiglu = c->mlp_act == TITAN_MLP_SWIGLU, bs = c->branch_scale;
    bool sink = c->attn_sink != TITAN_SINK_NONE, xsa = c->xsa_layers_len > 0;
    bool qkn = c->qk_norm, skips = titan_config_skip_rows(c) > 0;
    bool ve = c->value_embed, big = c->bigram_hash;
    size_t Dq = c->head_dim + (gqa ? 0 : Dr), Lq = mla ? (size_t)c->q_latent : 0;
    size_t Lkv = mla ? (size_t)c->kv_latent : 0, Drm = mla ? Dr : 0;
    size_t qw = H * Dq, kvw = mla ? G * (c->head_dim + Dv) : 0, ow = H * Dv;
    size_t kw = gqa || qkn ? G * Dq : 0, vw = gqa ? G * Dv : 0;
    size_t dB = big ? (size_t)c->bigram_hash_dim : 0;
    size_t dV = ve ? (size_t)c->value_embed_dim : 0, veW = ve ? G * Dv : 0;
    size_t P = (size_t)titan_config_skip_rows(c);
#define CARVE(ptr, n) ((ptr) = mem ? mem + off : NULL, off += (n))
    int L = titan_config_schedule(c, false, NULL, 0);
    TR(layer_acts) none;
    for (int l = 0; l < L; l++) {
        TR(layer_acts) *la = a->layer ? &a->layer[l] : &none;
        CARVE(la->h_in, t * D);
        CARVE(la->u1, t * D);
        CARVE(la->rstd1, t);
        CARVE(la->qa, t * Lq);
        CARVE(la->cq, t * Lq);
        CARVE(la->rstd_q, t);
        CARVE(la->q, t * qw);
        CARVE(la->alat, t * Lkv);
        CARVE(la->kr, t * Drm);
        CARVE(la->c, t * Lkv);
        CARVE(la->rstd_kv, t);
        CARVE(la->kv, t * kvw);
        CARVE(la->probs, H * t * t);
        CARVE(la->o, t * ow);
        CARVE(la->h_mid, t * D);
        CARVE(la->u2, t * D);
        CARVE(la->rstd2, t);
        CARVE(la->ag, swiglu ? t * F : 0);
        if (swiglu && c->conv_kernel > 0)
            CARVE(la->ac, t * F);
        else
            la->ac = la->ag;
        CARVE(la->up, t * F);
        CARVE(la->m, t * F);
        /* section 8 */
        CARVE(la->h_skip, skips ? t * D : 0);
        CARVE(la->h_mix, c->resid_mix ? t * D : 0);
        CARVE(la->k, t * kw);
        CARVE(la->v, t * vw);
        CARVE(la->qn, qkn ? t * qw : 0);
        CARVE(la->kn, qkn ? t * G * Dq : 0);
        CARVE(la->rstd_qh, qkn ? t * H : 0);
        CARVE(la->rstd_kh, qkn ? t * G : 0);
        CARVE(la->qg, c->q_gain ? t * qw : 0);
        CARVE(la->psink, sink ? H * t : 0);
        CARVE(la->ox, xsa ? t * ow : 0);
        CARVE(la->y, bs ? t * D : 0);
        CARVE(la->mo, bs ? t * D : 0);
        CARVE(la->gdn, gdn_at(c, l) ? TR(gdn_acts_size)(T, c) : 0);
    }
    CARVE(a->h_out, t * D);
    CARVE(a->z, t * D);
    CARVE(a->rstd_f, t);
    CARVE(a->dh, t * D);
    CARVE(a->dz, t * D);
    CARVE(a->logits, (size_t)TRAIN_HEAD_CHUNK * c->vocab_size);
    TR(layer_grads) *g = &a->g;
    CARVE(g->du, t * D);
    CARVE(g->dqa, t * Lq);
    CARVE(g->dcq, t * Lq);
    CARVE(g->dq, t * qw);
    CARVE(g->dalat, t * Lkv);
    CARVE(g->dkr, t * Drm);
    CARVE(g->dc, t * Lkv);
    CARVE(g->dkv, t * kvw);
    CARVE(g->dout, t * ow);
    CARVE(g->att_scratch, TR(attention_scratch_size)(T, (int)Dq, (int)Dv));
    for (int l = 0; a->layer && l < L; l++) a->layer[l].att_scratch = g->att_scratch;
    real *gdn_scratch;
    CARVE(gdn_scratch, c->gdn_layers_len ? TR(gdn_scratch_size)(T, c) : 0);
    for (int l = 0; a->layer && l < L; l++) a->layer[l].gdn_scratch = gdn_scratch;
    CARVE(g->dac, t * F);
    if (swiglu && c->conv_kernel > 0)
        CARVE(g->dag, t * F);
    else
        g->dag = g->dac;
    CARVE(g->dup, t * F);
    CARVE(g->dm, t * F);
    /* section 8 */
    CARVE(g->dk, t * kw);
    CARVE(g->dv, t * vw);
    CARVE(g->dq2, qkn || c->q_gain ? t * qw : 0);
    CARVE(g->dk2, qkn ? t * G * Dq : 0);
    CARVE(g->dox, xsa ? t * ow : 0);
    CARVE(g->dy, bs ? t * D : 0);
    CARVE(g->dpar, c->parallel_residual_from >= 0 ? t * D : 0);
    bool e_stage = c->emb_norm || c->smear_gate;
    CARVE(a->e, e_stage ? t * D : 0);
    CARVE(a->rstd_e, c->emb_norm ? t : 0);
    CARVE(a->en, c->emb_norm && c->smear_gate ? t * D : 0);
    CARVE(a->bg_rows, t * dB);
    if (big && dB != D)
        CARVE(a->bg, t * D);
    else
        a->bg = a->bg_rows;
    CARVE(a->ve_rows, t * dV);
    if (ve && dV != veW)
        CARVE(a->vep, t * veW);
    else
        a->vep = a->ve_rows;
    CARVE(a->ve, t * veW);
    CARVE(a->dx0, c->resid_mix ? t * D : 0);
    CARVE(a->dskip, P * t * D);
    CARVE(a->dve, t * veW);
    CARVE(a->de, e_stage ? t * D : 0);
    CARVE(a->drows, t * (dB > dV ? dB : dV));
#undef CARVE
    return off;
}

int TR(acts_alloc)(TR(acts) * a, const titan_config *c, int max_T) {
    return TR(acts_alloc_in)(a, c, max_T, NULL);
}

int TR(acts_alloc_in)(TR(acts) * a, const titan_config *c, int max_T,
                      titan_arena *arena) {
    memset(a, 0, sizeof *a);
    a->arena = arena;
    int L = titan_config_schedule(c, false, NULL, 0);
    /* Bound the slab before any size_t product can wrap. */
    double approx =
        (double)(L + 2) * max_T *
        (40.0 * (c->d_model + c->mlp_hidden + c->q_latent + c->kv_latent) +
         4.0 * c->n_heads * (c->head_dim + c->rope_dim + c->v_head_dim + max_T));
    if (max_T < 1 || L < 1 || approx > 1e11) return -1;
    a->max_T = max_T;
    if (train_mem_get(arena, (size_t)L, sizeof *a->layer, (void **)&a->layer)) return -1;
    size_t n = layout_acts(a, c, max_T, NULL);
    if (train_mem_get(arena, n, sizeof(real), (void **)&a->mem)) return -1;
    if (a->mem) layout_acts(a, c, max_T, a->mem);
    return 0;
}

void TR(acts_free)(TR(acts) * a) {
    train_mem_put(a->arena, a->mem);
    train_mem_put(a->arena, a->layer);
    a->mem = NULL;
    a->layer = NULL;
}

/* --------------------------------------------------------------- forward */

static void scale_rows(real *x, size_t n, double f) {
    if (f == 1) return;
    for (size_t i = 0; i < n; i++) x[i] *= (real)f;
}

/* x0 = smear(emb_norm(tok_emb[x] + bigram)); the value embeddings ve. */
static void embed_stage(const TR(model) * m, const TR(params) * w, TR(acts) * a,
                        const int *ids, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model;
    size_t n = (size_t)T * D;
    real *x0 = a->layer[0].h_in;
    real *e = c->emb_norm || c->smear_gate ? a->e : x0;
    TR(embed_forward)(e, w->tok_emb, ids, T, D);
    if (c->bigram_hash) {
        int N = c->bigram_hash_buckets, d = c->bigram_hash_dim;
        TR(bigram_forward)(a->bg_rows, w->bigram_table, ids, T, N, d);
        if (w->bigram_proj)
            TR(matmul_forward)(a->bg, a->bg_rows, w->bigram_proj, T, d, D);
        for (size_t i = 0; i < n; i++) e[i] += w->bigram_scale[0] * a->bg[i];
    }
    if (c->emb_norm) {
        real *en = c->smear_gate ? a->en : x0;
        TR(rmsnorm0_forward)(en, a->rstd_e, e, T, D, c->norm_eps);
        e = en;
    }
    if (c->smear_gate) TR(smear_forward)(x0, e, w->smear_gate, T, D);
    if (c->value_embed) {
        int d = c->value_embed_dim, GDv = c->n_kv_heads * c->v_head_dim;
        TR(embed_forward)(a->ve_rows, w->ve_table, ids, T, d);
        if (w->ve_proj) TR(matmul_forward)(a->vep, a->ve_rows, w->ve_proj, T, d, GDv);
        for (size_t i = 0; i < (size_t)T * GDv; i++)
            a->ve[i] = w->ve_scale[0] * a->vep[i];
    }
}

/* Mixer_b: the one place a block's mixer is chosen, attention or Gated
 * DeltaNet (gdn_layers). */
static void mixer_forward(const TR(model) * m, int b, const TR(block) * w,
                          TR(layer_acts) * la, const real *ve, real *y, int T) {
    if (titan_config_is_gdn(&m->cfg, b))
        TR(gdn_forward)(y, la->u1, &w->gdn, la->gdn, la->gdn_scratch, T, &m->cfg);
    else
        TR(attn_block_forward)(m, b, w, la, ve, y, T);
}

/* g->du = dL/du1 (written), the block's mixer gradients accumulated. */
static void mixer_backward(const TR(model) * m, int b, const TR(block) * w,
                           const TR(layer_acts) * la, TR(layer_grads) * g, const real *dy,
                           const real *ve, real *dve, TR(block) * dw, int T) {
    if (titan_config_is_gdn(&m->cfg, b)) {
        real_zero(g->du, (size_t)T * m->cfg.d_model);
        TR(gdn_backward)
        (g->du, &dw->gdn, dy, la->u1, &w->gdn, la->gdn, la->gdn_scratch, T, &m->cfg);
    } else {
        TR(attn_block_backward)(m, b, w, la, g, dy, ve, dve, dw, T);
    }
}

/* Block b on la->x: out = h_mid + mlp_scale (.) MLP(f RMSNorm(h_mid or x)),
 * h_mid = x + attn_scale (.) Mixer(f RMSNorm(x)). */
static void block_forward(const TR(model) * m, int b, const TR(block) * w,
                          TR(layer_acts) * la, const real *ve, real *out, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model;
    size_t n = (size_t)T * D;
    bool bs = c->branch_scale;
    TR(rmsnorm_forward)(la->u1, la->rstd1, la->x, w->attn_norm, T, D, c->norm_eps);
    scale_rows(la->u1, n, m->ln_f[b]);
    real *y = bs ? la->y : la->h_mid;
    mixer_forward(m, b, w, la, ve, y, T);
    if (bs)
        TR(scale_add_forward)(la->h_mid, la->x, w->attn_scale, y, T, D);
    else
        for (size_t i = 0; i < n; i++) la->h_mid[i] += la->x[i];
    const real *in2 = m->parallel[b] ? la->x : la->h_mid;
    TR(rmsnorm_forward)(la->u2, la->rstd2, in2, w->ffn_norm, T, D, c->norm_eps);
    scale_rows(la->u2, n, m->ln_f[b]);
    real *mo = bs ? la->mo : out;
    TR(mlp_forward)(m, w, la, mo, T);
    if (bs)
        TR(scale_add_forward)(out, la->h_mid, w->mlp_scale, mo, T, D);
    else
        for (size_t i = 0; i < n; i++) out[i] += la->h_mid[i];
}

/* The residual after layer l (the next layer's arriving residual). */
static real *layer_out(TR(acts) * a, const train_schedule *s, int l) {
    return l + 1 < s->n ? a->layer[l + 1].h_in : a->h_out;
}

static void forward(const TR(model) * m, const TR(params) * w, TR(acts) * a,
                    const int *ids, int T, const train_schedule *s) {
    const titan_config *c = &m->cfg;
    int D = c->d_model;
    embed_stage(m, w, a, ids, T);
    const real *x0 = a->layer[0].h_in;
    for (int l = 0; l < s->n; l++) {
        int b = s->block[l], j = s->skip_in[l];
        TR(layer_acts) *la = &a->layer[l];
        const TR(block) *blk = &w->block[b];
        la->h_a = la->x = la->h_in;
        if (j >= 0) {
            TR(skip_forward)
            (la->h_skip, la->h_in, a->layer[s->skip_src[l] + 1].h_in,
             w->skip_weights + (size_t)j * D,
             w->skip_gates ? w->skip_gates + (size_t)j * D : NULL, T, D);
            la->h_a = la->x = la->h_skip;
        }
        if (c->resid_mix) {
            TR(mix_forward)(la->h_mix, la->h_a, x0, blk->resid_mix, T, D);
            la->x = la->h_mix;
        }
        block_forward(m, b, blk, la, a->ve, layer_out(a, s, l), T);
    }
    TR(rmsnorm_forward)(a->z, a->rstd_f, a->h_out, w->final_norm, T, D, c->norm_eps);
}

/* ------------------------------------------------------------------ loss */

/* SPEC loss: sum_k w_k mean_{t < T-k} CE(logits_k(t), ids[t+k]), the logits
 * made TRAIN_HEAD_CHUNK rows at a time. With grads, dz and head gradients
 * receive scale * dLoss. */
static double mtp_loss(const TR(model) * m, const TR(params) * w, TR(acts) * a,
                       const int *ids, int T, double scale, TR(params) * grads,
                       double *head_loss) {
    const titan_config *c = &m->cfg;
    int D = c->d_model, V = c->vocab_size;
    double loss = 0;
    if (grads) real_zero(a->dz, (size_t)T * D);
    for (int k = 1; k <= c->mtp_heads; k++) {
        int n = T - k;
        double sum = 0, weight = c->mtp_weights[k - 1];
        for (int t0 = 0; t0 < n; t0 += TRAIN_HEAD_CHUNK) {
            int rows = n - t0 < TRAIN_HEAD_CHUNK ? n - t0 : TRAIN_HEAD_CHUNK;
            sum += TR(head_ce)(a->logits, a->z + (size_t)t0 * D, w->head[k - 1],
                               ids + t0 + k, rows, D, V, c->logit_softcap,
                               scale * weight / n, grads ? a->dz + (size_t)t0 * D : NULL,
                               grads ? grads->head[k - 1] : NULL, NULL);
        }
        double mean = n > 0 ? sum / n : 0;
        if (head_loss) head_loss[k - 1] = mean;
        loss += weight * mean;
    }
    return loss;
}

double TR(loss)(const TR(model) * m, const TR(params) * w, TR(acts) * a, const int *ids,
                int T, bool shortened, double *head_loss) {
    forward(m, w, a, ids, T, &m->sched[shortened]);
    return mtp_loss(m, w, a, ids, T, 0, NULL, head_loss);
}

double TR(nll)(const TR(model) * m, const TR(params) * w, TR(acts) * a, const int *ids,
               int T, double *nll) {
    const titan_config *c = &m->cfg;
    int D = c->d_model;
    forward(m, w, a, ids, T, &m->sched[0]);
    double sum = 0;
    for (int t0 = 0; t0 < T - 1; t0 += TRAIN_HEAD_CHUNK) {
        int rows = T - 1 - t0 < TRAIN_HEAD_CHUNK ? T - 1 - t0 : TRAIN_HEAD_CHUNK;
        sum +=
            TR(head_ce)(a->logits, a->z + (size_t)t0 * D, w->tok_emb, ids + t0 + 1, rows,
                        D, c->vocab_size, c->logit_softcap, 0, NULL, NULL, nll + t0);
    }
    return sum;
}

/* -------------------------------------------------------------- backward */

/* dh: in, the gradient at block b's output; out, the gradient at its input
 * la->x. */
static void block_backward(const TR(model) * m, int b, const TR(block) * w,
                           const TR(layer_acts) * la, TR(layer_grads) * g, real *dh,
                           const real *ve, real *dve, TR(block) * dw, int T) {
    const titan_config *c = &m->cfg;
    int D = c->d_model;
    size_t n = (size_t)T * D;
    bool bs = c->branch_scale, par = m->parallel[b];
    const real *dmo = dh;
    if (bs) {
        TR(scale_add_backward)(g->dy, dw->mlp_scale, dh, la->mo, w->mlp_scale, T, D);
        dmo = g->dy;
    }
    TR(mlp_backward)(m, w, la, g, dmo, dw, T);
    scale_rows(g->du, n, m->ln_f[b]);
    if (par) real_zero(g->dpar, n);
    TR(rmsnorm_backward)
    (par ? g->dpar : dh, dw->ffn_norm, g->du, par ? la->x : la->h_mid, w->ffn_norm,
     la->rstd2, T, D);
    const real *dy = dh;
    if (bs) {
        TR(scale_add_backward)(g->dy, dw->attn_scale, dh, la->y, w->attn_scale, T, D);
        dy = g->dy;
    }
    mixer_backward(m, b, w, la, g, dy, ve, dve, dw, T);
    scale_rows(g->du, n, m->ln_f[b]);
    TR(rmsnorm_backward)(dh, dw->attn_norm, g->du, la->x, w->attn_norm, la->rstd1, T, D);
    if (par)
        for (size_t i = 0; i < n; i++) dh[i] += g->dpar[i];
}

/* dh: the gradient at x0 (layer 0's arriving residual, resid_mix's share
 * added) -> the embedding tables, bigram and smear gradients. */
static void embed_stage_backward(const TR(model) * m, const TR(params) * w, TR(acts) * a,
                                 const int *ids, int T, TR(params) * grads) {
    const titan_config *c = &m->cfg;
    int D = c->d_model;
    size_t n = (size_t)T * D;
    real *de = a->dh; /* gradient of the current stage's output */
    if (c->smear_gate) {
        const real *e = c->emb_norm ? a->en : a->e;
        TR(smear_backward)(a->de, grads->smear_gate, a->dh, e, w->smear_gate, T, D);
        de = a->de;
    }
    if (c->emb_norm) {
        real *dsum = de == a->dh ? a->de : a->dh;
        real_zero(dsum, n);
        TR(rmsnorm0_backward)(dsum, de, a->e, a->rstd_e, T, D);
        de = dsum;
    }
    TR(embed_backward)(grads->tok_emb, de, ids, T, D);
    if (c->bigram_hash) {
        int N = c->bigram_hash_buckets, d = c->bigram_hash_dim;
        real s = w->bigram_scale[0], *dbg = a->dz;
        double ds = 0;
        for (size_t i = 0; i < n; i++) {
            ds += (double)de[i] * a->bg[i];
            dbg[i] = s * de[i];
        }
        grads->bigram_scale[0] += (real)ds;
        const real *drows = dbg;
        if (w->bigram_proj) {
            real_zero(a->drows, (size_t)T * d);
            TR(matmul_backward)
            (a->drows, grads->bigram_proj, dbg, a->bg_rows, w->bigram_proj, T, d, D);
            drows = a->drows;
        }
        TR(bigram_backward)(grads->bigram_table, drows, ids, T, N, d);
    }
    if (c->value_embed) {
        int d = c->value_embed_dim, GDv = c->n_kv_heads * c->v_head_dim;
        real s = w->ve_scale[0];
        double ds = 0;
        for (size_t i = 0; i < (size_t)T * GDv; i++) {
            ds += (double)a->dve[i] * a->vep[i];
            a->dve[i] *= s;
        }
        grads->ve_scale[0] += (real)ds;
        const real *drows = a->dve;
        if (w->ve_proj) {
            real_zero(a->drows, (size_t)T * d);
            TR(matmul_backward)
            (a->drows, grads->ve_proj, a->dve, a->ve_rows, w->ve_proj, T, d, GDv);
            drows = a->drows;
        }
        TR(embed_backward)(grads->ve_table, drows, ids, T, d);
    }
}

double TR(loss_grad)(const TR(model) * m, const TR(params) * w, TR(acts) * a,
                     const int *ids, int T, bool shortened, double scale,
                     TR(params) * grads, double *head_loss) {
    const titan_config *c = &m->cfg;
    const train_schedule *s = &m->sched[shortened];
    int D = c->d_model;
    size_t n = (size_t)T * D;
    double t0 = cli_now();
    forward(m, w, a, ids, T, s);
    double loss = mtp_loss(m, w, a, ids, T, scale, grads, head_loss), t1 = cli_now();
    a->fwd_s += t1 - t0;
    real_zero(a->dh, n);
    if (c->resid_mix) real_zero(a->dx0, n);
    if (c->value_embed) real_zero(a->dve, (size_t)T * c->n_kv_heads * c->v_head_dim);
    TR(rmsnorm_backward)
    (a->dh, grads->final_norm, a->dz, a->h_out, w->final_norm, a->rstd_f, T, D);
    const real *x0 = a->layer[0].h_in;
    for (int l = s->n - 1; l >= 0; l--) {
        int b = s->block[l], j = s->skip_out[l];
        const TR(layer_acts) *la = &a->layer[l];
        const TR(block) *blk = &w->block[b];
        TR(block) *dblk = &grads->block[b];
        if (j >= 0) /* h after layer l feeds skip j */
            for (size_t i = 0; i < n; i++) a->dh[i] += a->dskip[(size_t)j * n + i];
        block_backward(m, b, blk, la, &a->g, a->dh, a->ve, a->dve, dblk, T);
        if (c->resid_mix) TR(mix_backward)
        (a->dh, a->dx0, dblk->resid_mix, la->h_a, x0, blk->resid_mix, T, D);
        if ((j = s->skip_in[l]) >= 0) {
            bool gated = w->skip_gates != NULL;
            TR(skip_backward)
            (a->dh, a->dskip + (size_t)j * n, grads->skip_weights + (size_t)j * D,
             gated ? grads->skip_gates + (size_t)j * D : NULL, la->h_in,
             a->layer[s->skip_src[l] + 1].h_in, w->skip_weights + (size_t)j * D,
             gated ? w->skip_gates + (size_t)j * D : NULL, T, D);
        }
    }
    if (c->resid_mix)
        for (size_t i = 0; i < n; i++) a->dh[i] += a->dx0[i];
    embed_stage_backward(m, w, a, ids, T, grads);
    a->bwd_s += cli_now() - t1;
    return loss;
}
