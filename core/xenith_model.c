/* xenith_model.c: the Xenith model in one arena (SPEC section 9): its
 * memory plan, binding the artifact's tensors, and one token's step. */
#include "core/config_xenith.h"
#include "core/model.h"
#include "core/xenith_model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static titan_status carve(titan_arena *a, size_t n, size_t size, void **out) {
    if (n && n > SIZE_MAX / size / 2)
        return titan_fail(TITAN_E_NOMEM, "xenith: buffer size overflows");
    return titan_arena_alloc(a, n * size, TITAN_ALIGN, out);
}
#define CARVE(a, n, p) TITAN_TRY(carve((a), (size_t)(n), sizeof **(p), (void **)(p)))

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Rows of the widest output any product writes. */
static int64_t widest(const titan_config *c) {
    int64_t H = (int64_t)c->n_heads * c->head_dim, w = max64(c->vocab_size, H);
    w = max64(w, max64(c->d_model, max64(c->mlp_hidden, c->moe_hidden)));
    return max64(w, max64(c->sum_hidden, c->moe_experts));
}

/* The layers' caches and what reading layers keep of the LTM. */
static titan_status carve_layer(titan_arena *a, const titan_config *c, int64_t ctx, int l,
                                titan_xlayer *L) {
    int64_t kv = (int64_t)c->n_kv_heads * c->head_dim;
    L->window = titan_config_xenith_window(c, l);
    L->slots = titan_window_slots(ctx, c->n_global_tokens, L->window);
    CARVE(a, c->d_model, &L->attn_norm);
    CARVE(a, c->d_model, &L->ffn_norm);
    CARVE(a, L->slots * kv, &L->k);
    CARVE(a, L->slots * kv, &L->v);
    L->mk = L->mv = NULL;
    if (titan_config_xenith_reads(c, l)) {
        CARVE(a, (int64_t)c->ltm_size * kv, &L->mk);
        CARVE(a, (int64_t)c->ltm_size * kv, &L->mv);
    }
    bool moe = c->moe_experts > 0 && l >= c->moe_dense_layers;
    L->experts = NULL;
    if (moe) CARVE(a, c->moe_experts, &L->experts);
    return TITAN_OK;
}

static titan_status carve_memory(titan_arena *a, const titan_config *c, titan_xenith *x,
                                 bool plan) {
    int64_t D = c->d_model, S = c->stm_tokens, M = c->mem_slots;
    CARVE(a, M * D, &x->slots);
    CARVE(a, D, &x->mem_final_norm);
    CARVE(a, c->sum_layers, &x->sum);
    for (int j = 0; j < c->sum_layers; j++) {
        titan_xsum_layer tmp, *p = plan ? &tmp : &x->sum[j];
        CARVE(a, D, &p->attn_norm);
        CARVE(a, D, &p->kv_norm);
        CARVE(a, D, &p->ffn_norm);
    }
    CARVE(a, S * D, &x->stm);
    CARVE(a, M * D, &x->X);
    CARVE(a, M * D, &x->A);
    CARVE(a, M * D, &x->Q);
    CARVE(a, M * D, &x->O);
    CARVE(a, (S + M) * D, &x->Z);
    CARVE(a, (S + M) * D, &x->Kz);
    CARVE(a, (S + M) * D, &x->Vz);
    CARVE(a, M * c->n_kv_heads * c->head_dim, &x->proj);
    CARVE(a, S + M, &x->sscore);
    return TITAN_OK;
}

/* Everything but the struct, in a fixed order; plan: nothing is written
 * through the carved pointers. */
static titan_status carve_all(titan_arena *a, const titan_config *c, int64_t ctx,
                              titan_xenith *x, bool plan) {
    int64_t D = c->d_model, HD = (int64_t)c->n_heads * c->head_dim;
    int64_t GD = (int64_t)c->n_kv_heads * c->head_dim, rows = x->max_rows;
    int64_t keys = c->n_global_tokens + (int64_t)c->ltm_size;
    CARVE(a, c->n_layers, &x->layers);
    for (int l = 0; l < c->n_layers; l++) {
        titan_xlayer tmp, *L = plan ? &tmp : &x->layers[l];
        TITAN_TRY(carve_layer(a, c, ctx, l, L));
        keys = max64(keys, L->slots + c->ltm_size);
    }
    CARVE(a, D, &x->final_norm);
    CARVE(a, c->head_dim / 2, &x->freq);
    if (c->stm_tokens > 0) TITAN_TRY(carve_memory(a, c, x, plan));
    int64_t C = x->chunk_max, E = max64(c->moe_experts, 1), k = max64(c->moe_top_k, 1);
    float **vec[] = {&x->h,  &x->u, &x->y, &x->ey, &x->ex, &x->q,
                     &x->qr, &x->o, &x->k, &x->v,  &x->z};
    int64_t len[] = {D, D, D, D, D, HD, HD, HD, GD, GD, E};
    for (size_t i = 0; i < sizeof vec / sizeof *vec; i++) CARVE(a, C * len[i], vec[i]);
    CARVE(a, c->head_dim, &x->cs);
    int64_t F = max64(c->mlp_hidden, max64(c->moe_hidden, c->sum_hidden));
    CARVE(a, F * rows, &x->gate);
    CARVE(a, F * rows, &x->up);
    CARVE(a, keys, &x->score);
    CARVE(a, C * k, &x->route);
    CARVE(a, C * k, &x->route_g);
    CARVE(a, C, &x->erow);
    CARVE(a, C, &x->eg);
    CARVE(a, max64(c->lora_rank, 1) * rows, &x->lora_r);
    CARVE(a, rows * widest(c), &x->lora_o);
    return TITAN_OK;
}

static titan_status check(const titan_config *c, int64_t ctx) {
    TITAN_TRY(titan_config_validate(c));
    if (!TITAN_XENITH(c)) return titan_fail(TITAN_E_USAGE, "xenith: not a xenith config");
    if (ctx < 1) return titan_fail(TITAN_E_USAGE, "xenith: ctx %lld < 1", (long long)ctx);
    if (titan_config_params(c) > ((int64_t)1 << 36))
        return titan_fail(TITAN_E_DATA, "xenith: more than 2^36 parameters");
    return TITAN_OK;
}

static int rows_of(const titan_config *c) {
    int mem = c->stm_tokens > 0 ? c->stm_tokens + c->mem_slots : 1;
    return mem > TITAN_XENITH_CHUNK ? mem : TITAN_XENITH_CHUNK;
}

titan_status titan_xenith_plan(const titan_config *c, int64_t ctx, size_t *bytes) {
    if (!c || !bytes) return titan_fail(TITAN_E_USAGE, "xenith: NULL argument");
    TITAN_TRY(check(c, ctx));
    titan_arena a;
    titan_arena_init(&a, NULL, 0);
    titan_xenith x = {.max_rows = rows_of(c), .chunk_max = TITAN_XENITH_CHUNK};
    void *p;
    TITAN_TRY(titan_arena_alloc(&a, sizeof x, TITAN_ALIGN, &p));
    TITAN_TRY(carve_all(&a, c, ctx, &x, true));
    *bytes = a.high;
    return TITAN_OK;
}

/* Tensor `name` of t[0..n) with the config's shape. */
typedef struct {
    const titan_tensor *t;
    int n;
    const titan_config *c;
    titan_status st;
} binder;

static const titan_tensor *find(binder *b, const char *name) {
    for (int i = 0; i < b->n; i++)
        if (!strcmp(b->t[i].name, name)) return &b->t[i];
    if (b->st == TITAN_OK) b->st = titan_fail(TITAN_E_DATA, "tensor %s missing", name);
    return NULL;
}

static void bind_linear(binder *b, titan_xlinear *l, int kind, const char *name) {
    char n[TITAN_NAME_MAX];
    l->w = find(b, name);
    l->a = l->b = NULL;
    if (!titan_config_lora_target(b->c, kind)) return;
    snprintf(n, sizeof n, "%s.lora_A", name);
    l->a = find(b, n);
    snprintf(n, sizeof n, "%s.lora_B", name);
    l->b = find(b, n);
}

static void bind_swiglu(binder *b, titan_xswiglu *p, const char *prefix) {
    char n[TITAN_NAME_MAX];
    snprintf(n, sizeof n, "%sw_gate", prefix);
    bind_linear(b, &p->gate, TITAN_LORA_W_GATE, n);
    snprintf(n, sizeof n, "%sw_up", prefix);
    bind_linear(b, &p->up, TITAN_LORA_W_UP, n);
    snprintf(n, sizeof n, "%sw_down", prefix);
    bind_linear(b, &p->down, TITAN_LORA_W_DOWN, n);
}

static void bind_vector(binder *b, const char *name, float *dst) {
    const titan_tensor *w = find(b, name);
    for (int64_t r = 0; w && r < w->rows; r++) titan_dequant_row(w, r, 0, 1, dst + r);
}

static void bind_attention(binder *b, titan_xlinear *q, const char *p) {
    static const char *const names[] = {"wq", "wk", "wv", "wo"};
    static const int kinds[] = {TITAN_LORA_WQ, TITAN_LORA_WK, TITAN_LORA_WV,
                                TITAN_LORA_WO};
    char n[TITAN_NAME_MAX];
    for (int i = 0; i < 4; i++) { /* wq, wk, wv, wo follow each other */
        snprintf(n, sizeof n, "%s%s", p, names[i]);
        bind_linear(b, q + i, kinds[i], n);
    }
}

static void bind_layer(binder *b, titan_xlayer *L, int l) {
    const titan_config *c = b->c;
    char p[24], n[TITAN_NAME_MAX];
    snprintf(p, sizeof p, "blocks.%d.", l);
    snprintf(n, sizeof n, "%sattn_norm", p);
    bind_vector(b, n, L->attn_norm);
    bind_attention(b, &L->wq, p);
    snprintf(n, sizeof n, "%sffn_norm", p);
    bind_vector(b, n, L->ffn_norm);
    if (!L->experts) {
        bind_swiglu(b, &L->dense, p);
        return;
    }
    snprintf(n, sizeof n, "%srouter", p);
    bind_linear(b, &L->router, TITAN_LORA_ROUTER, n);
    for (int e = 0; e < c->moe_experts; e++) {
        snprintf(n, sizeof n, "%sexperts.%d.", p, e);
        bind_swiglu(b, &L->experts[e], n);
    }
}

static void bind_memory(binder *b, titan_xenith *x) {
    const titan_config *c = b->c;
    const titan_tensor *slots = find(b, "mem.slots");
    for (int64_t r = 0; slots && r < c->mem_slots; r++)
        titan_dequant_row(slots, r, 0, c->d_model, x->slots + r * c->d_model);
    for (int j = 0; j < c->sum_layers; j++) {
        titan_xsum_layer *s = &x->sum[j];
        char p[24], n[TITAN_NAME_MAX];
        snprintf(p, sizeof p, "mem.layers.%d.", j);
        float *norms[] = {s->attn_norm, s->kv_norm, s->ffn_norm};
        const char *names[] = {"attn_norm", "kv_norm", "ffn_norm"};
        for (int i = 0; i < 3; i++) {
            snprintf(n, sizeof n, "%s%s", p, names[i]);
            bind_vector(b, n, norms[i]);
        }
        bind_attention(b, &s->wq, p);
        bind_swiglu(b, &s->ffn, p);
    }
    bind_vector(b, "mem.final_norm", x->mem_final_norm);
}

/* The artifact reader checked every tensor's name and shape against the
 * config's list; here only that the list is the config's. */
static titan_status check_tensors(const titan_config *c, int n) {
    int want = titan_config_tensors(c, NULL, 0);
    if (want != n)
        return titan_fail(TITAN_E_DATA, "xenith: %d tensors, the config has %d", n, want);
    return TITAN_OK;
}

titan_status titan_xenith_create(titan_arena *a, const titan_config *c,
                                 const titan_tensor *t, int n, int64_t ctx,
                                 titan_backend *be, titan_xenith **out) {
    if (!a || !c || !t || !be || !be->matmul || !out || n < 0)
        return titan_fail(TITAN_E_USAGE, "xenith: NULL argument");
    TITAN_TRY(check(c, ctx));
    TITAN_TRY(check_tensors(c, n));
    titan_xenith *x;
    TITAN_TRY(titan_arena_calloc(a, sizeof *x, TITAN_ALIGN, (void **)&x));
    x->cfg = *c, x->be = be, x->ctx = ctx, x->max_rows = rows_of(c);
    x->chunk = x->chunk_max = TITAN_XENITH_CHUNK;
    x->lora_s = c->lora_rank > 0 ? c->lora_alpha / c->lora_rank : 0;
    TITAN_TRY(carve_all(a, c, ctx, x, false));
    binder b = {t, n, c, TITAN_OK};
    x->tok_emb = find(&b, "tok_emb");
    for (int l = 0; l < c->n_layers; l++) bind_layer(&b, &x->layers[l], l);
    bind_vector(&b, "final_norm", x->final_norm);
    if (c->tie_embeddings)
        x->head = (titan_xlinear){x->tok_emb, NULL, NULL};
    else
        bind_linear(&b, &x->head, TITAN_LORA_LM_HEAD, "lm_head");
    if (c->stm_tokens > 0) bind_memory(&b, x);
    TITAN_TRY(b.st);
    for (int i = 0; i < c->head_dim / 2; i++)
        x->freq[i] = pow(c->rope_base, -2.0 * i / c->head_dim);
    titan_xenith_reset(x);
    *out = x;
    return TITAN_OK;
}

void titan_xenith_reset(titan_xenith *x) {
    x->pos = 0, x->stm_n = 0, x->ltm_n = 0, x->ltm_at = 0;
}

void titan_xenith_linear(titan_xenith *x, const titan_xlinear *l, const float *in,
                         float *out, int T) {
    x->be->matmul(x->be, l->w, in, out, T);
    if (!l->a) return;
    x->be->matmul(x->be, l->a, in, x->lora_r, T);
    x->be->matmul(x->be, l->b, x->lora_r, x->lora_o, T);
    size_t n = (size_t)T * (size_t)l->w->rows;
    float s = (float)x->lora_s;
    for (size_t i = 0; i < n; i++) out[i] += s * x->lora_o[i];
}

void titan_xenith_swiglu(titan_xenith *x, const titan_xswiglu *p, const float *in,
                         float *out, int T) {
    titan_xenith_linear(x, &p->gate, in, x->gate, T);
    titan_xenith_linear(x, &p->up, in, x->up, T);
    size_t n = (size_t)T * (size_t)p->gate.w->rows;
    for (size_t i = 0; i < n; i++) {
        double g = x->gate[i];
        x->gate[i] = (float)(g / (1 + exp(-g)) * x->up[i]);
    }
    titan_xenith_linear(x, &p->down, x->gate, out, T);
}

void titan_xenith_norm_rows(float *y, const float *in, const float *g, int T, int n,
                            double eps) {
    for (int t = 0; t < T; t++)
        titan_rmsnorm(y + (size_t)t * n, in + (size_t)t * n, g, n, eps);
}

void titan_xenith_set_chunk(titan_xenith *x, int n) {
    x->chunk = n < 1 ? 1 : n > x->chunk_max ? x->chunk_max : n;
}

int titan_xenith_chunk(const titan_xenith *x) { return x->chunk; }

/* Every token in the vocabulary and every position in its layers' caches:
 * checked before anything changes. */
static titan_status check_chunk(const titan_xenith *x, const int32_t *ids, int64_t n) {
    const titan_config *c = &x->cfg;
    for (int64_t t = 0; t < n; t++)
        if (ids[t] < 0 || ids[t] >= c->vocab_size)
            return titan_fail(TITAN_E_USAGE, "xenith: token %d outside [0, %d)", ids[t],
                              c->vocab_size);
    for (int l = 0; l < c->n_layers; l++) {
        const titan_xlayer *L = &x->layers[l];
        for (int64_t j = x->pos; j < x->pos + n; j++)
            if (titan_window_slot(j, c->n_global_tokens, L->window) >= L->slots)
                return titan_fail(TITAN_E_USAGE,
                                  "xenith: position %lld beyond the ctx of %lld this "
                                  "layer's cache was made for",
                                  (long long)j, (long long)L->slots);
    }
    return TITAN_OK;
}

/* Tokens of the next chunk: at most x->chunk, and none past the segment. */
static int chunk_len(const titan_xenith *x, int64_t left) {
    int64_t n = left < x->chunk ? left : x->chunk;
    int64_t seg = x->cfg.stm_tokens - x->stm_n;
    return (int)(x->cfg.stm_tokens > 0 && seg < n ? seg : n);
}

/* Logits of chunk rows [from, T) into logits[T - from][V], softcapped. */
static void head(titan_xenith *x, int T, int from, float *logits) {
    const titan_config *c = &x->cfg;
    size_t D = (size_t)c->d_model;
    titan_xenith_norm_rows(x->u, x->h + from * D, x->final_norm, T - from, (int)D,
                           c->norm_eps);
    titan_xenith_linear(x, &x->head, x->u, logits, T - from);
    double cap = c->logit_softcap;
    size_t nv = (size_t)(T - from) * (size_t)c->vocab_size;
    for (size_t v = 0; cap > 0 && v < nv; v++)
        logits[v] = (float)(cap * tanh(logits[v] / cap));
}

/* T tokens (inside one segment) through every layer; logits of rows
 * [from, T) into logits[T - from][V]; the STM, and the memory when the
 * segment completes. */
static void run_chunk(titan_xenith *x, const int32_t *ids, int T, int from,
                      float *logits) {
    const titan_config *c = &x->cfg;
    size_t D = (size_t)c->d_model;
    for (int t = 0; t < T; t++)
        titan_dequant_row(x->tok_emb, ids[t], 0, (int64_t)D, x->h + t * D);
    x->p0 = x->pos;
    for (int l = 0; l < c->n_layers; l++) titan_xenith_layer(x, l, T);
    if (from < T) head(x, T, from, logits);
    x->pos += T;
    if (c->stm_tokens == 0) return;
    memcpy(x->stm + (size_t)x->stm_n * D, x->h, sizeof *x->h * D * (size_t)T);
    x->stm_n += T;
    if (x->stm_n == c->stm_tokens) titan_xenith_memory_write(x);
}
titan_status titan_xenith_forward(titan_xenith *x, const int32_t *ids, int n,
                                  float *logits) {
    if (!x || !ids || !logits) return titan_fail(TITAN_E_USAGE, "xenith: NULL argument");
    if (n < 1 || n > x->chunk)
        return titan_fail(TITAN_E_USAGE, "xenith: %d tokens, the chunk is %d", n,
                          x->chunk);
    TITAN_TRY(check_chunk(x, ids, n));
    for (int t = 0, T; t < n; t += T) {
        T = chunk_len(x, n - t);
        run_chunk(x, ids + t, T, 0, logits + (size_t)t * x->cfg.vocab_size);
    }
    return TITAN_OK;
}

titan_status titan_xenith_prefill(titan_xenith *x, const int32_t *ids, int64_t n,
                                  float *logits) {
    if (!x || !ids || !logits) return titan_fail(TITAN_E_USAGE, "xenith: NULL argument");
    if (n < 1)
        return titan_fail(TITAN_E_USAGE, "xenith: prefill of %lld tokens", (long long)n);
    TITAN_TRY(check_chunk(x, ids, n));
    for (int64_t t = 0; t < n;) {
        int T = chunk_len(x, n - t);
        run_chunk(x, ids + t, T, t + T == n ? T - 1 : T,
                  logits); /* the last row's head */
        t += T;
    }
    return TITAN_OK;
}

titan_status titan_xenith_step(titan_xenith *x, int32_t id, float *logits) {
    return titan_xenith_forward(x, &id, 1, logits);
}
