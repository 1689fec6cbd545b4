/* train_state.c: schedule, QAT, optimizer groups and weight averages. */
#include "tools/train/train_state.h"

#include "quant/quant.h"
#include "tools/cli/cli.h"
#include "tools/train/train_data.h"
#include "tools/train/train_dist.h"
#include "tools/train/train_opt.h"

#include <float.h>
#include <fnmatch.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

int train_state_init(train_state *s, const titan_config *c, const train_hparams *h) {
    memset(s, 0, sizeof *s);
    if (train_params_alloc(&s->w, c) || train_params_alloc(&s->m, c) ||
        train_params_alloc(&s->v, c) || train_params_alloc(&s->qat, c) ||
        (h->ema > 0 && train_params_alloc(&s->ema, c)) ||
        (h->swa_every > 0 && train_params_alloc(&s->swa, c)))
        return -1;
    train_init_weights(&s->w, (uint64_t)h->seed);
    if (s->ema.mem) memcpy(s->ema.mem, s->w.mem, sizeof(float) * s->w.count);
    s->rng = (uint64_t)h->seed * 0x9e3779b97f4a7c15ull + 1;
    return 0;
}

void train_state_free(train_state *s) {
    train_params *all[] = {&s->w, &s->ema, &s->swa, &s->m, &s->v, &s->qat};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) train_params_free(all[i]);
}

/* Standard normal from two uniforms (Box-Muller). */
static double gaussian(uint64_t *rng) {
    double u1 = ((train_rng_next(rng) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (train_rng_next(rng) >> 11) / 9007199254740992.0;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static int is_output_projection(const char *name) {
    size_t n = strlen(name);
    return (n > 3 && !strcmp(name + n - 3, ".wo")) ||
           (n > 7 && !strcmp(name + n - 7, ".w_down")) ||
           (n > 6 && !strcmp(name + n - 6, ".gdn_o"));
}

/* SPEC section 9: new adapters start with lora_B = 0 (the adapted model is
 * the base). */
static int is_lora_B(const char *name) {
    size_t n = strlen(name);
    return n > 7 && !strcmp(name + n - 7, ".lora_B");
}

/* --lora-only: the optimizer leaves every tensor but the adapters alone. */
static bool frozen(const train_hparams *h, const titan_tensor_spec *sp) {
    return h->lora_only && !strstr(sp->name, ".lora_");
}

/* How SPEC section 8's gains, scales, gates and tables start: as the
 * parameter-golf records (../shared/seeds 002, 004; train_gpt.py of records
 * 1.1531 and 1.0785) start them. Matrices (wq, wk, wv, bigram.proj,
 * value_embed.proj) take the matrix rule of train_init_weights, and wo / w_down
 * start at 0 there too. `leaf` is the name after the last "blocks.{b}." or
 * the whole name. */
static const struct {
    const char *leaf;
    double value; /* every value (2-D: of row 0) ... */
    double rest;  /* ... 2-D: of rows 1 and on */
    double std;   /* > 0: N(0, std^2) instead */
} section8_init[] = {
    {"q_gain", 1.5, 1.5, 0},            /* QK_GAIN_INIT 1.5 (after qk_norm) */
    {"k_sink", 0, 0, 0},                /* sink key 0: score 0 for every query */
    {"sink_logit", 0, 0, 0},            /* sink logit 0 */
    {"ve_scale", 1, 1, 0},              /* ve_layer_scales: ones */
    {"resid_mix", 1, 0, 0},             /* rows [1, 0]: the block sees h, not x0 */
    {"attn_scale", 1, 1, 0},            /* ones */
    {"mlp_scale", 1, 1, 0},             /* ones */
    {"bigram.table", 0, 0, 0},          /* zeros: the bigram term starts as a no-op */
    {"bigram.scale", 0.05, 0.05, 0},    /* 0.05 */
    {"value_embed.table", 0, 0, 0.01},  /* N(0, 0.01^2) */
    {"value_embed.scale", 0.1, 0.1, 0}, /* 0.1 */
    {"smear_gate", 0, 0, 0},            /* zeros: sigmoid 0.5, an even mix */
    {"skip_weights", 1, 1, 0},          /* ones: plain U-Net adds */
    {"skip_gates", 0, 0, 0},            /* zeros: sigmoid 0.5 */
    /* GDN decay alpha = exp(-A softplus(a + dt_bias)): flash-linear-attention
     * draws A ~ U(0, 16) and dt log-uniform in [0.001, 0.1]; their middles,
     * A = 8 and dt = 0.01, start every head at alpha ~ 0.92 */
    {"gdn_A_log", 2.0794415416798357, 2.0794415416798357, 0}, /* ln 8 */
    {"gdn_dt_bias", -4.600166, -4.600166, 0}, /* softplus^-1(0.01) = ln(e^0.01 - 1) */
};

/* The section8_init entry of a tensor name, or -1. */
static int section8_rule(const char *name) {
    const char *dot = strncmp(name, "blocks.", 7) ? NULL : strchr(name + 7, '.');
    const char *leaf = dot ? dot + 1 : name;
    for (size_t i = 0; i < sizeof section8_init / sizeof *section8_init; i++)
        if (!strcmp(leaf, section8_init[i].leaf)) return (int)i;
    return -1;
}

void train_init_weights(train_params *p, uint64_t seed) {
    uint64_t rng = seed ^ 0x5eedf00dull;
    for (int i = 0; i < p->n_tensors; i++) {
        const titan_tensor_spec *s = &p->spec[i];
        float *t = p->tensor[i];
        size_t n = (size_t)(s->rows * s->cols);
        int rule = section8_rule(s->name);
        if (rule >= 0) {
            double std = section8_init[rule].std;
            for (size_t j = 0; j < n; j++)
                t[j] = std > 0 ? (float)(std * gaussian(&rng))
                       : s->ndim == 2 && j >= (size_t)s->cols
                           ? (float)section8_init[rule].rest
                           : (float)section8_init[rule].value;
            continue;
        }
        double std = s->role == TITAN_ROLE_EMBED ? 0.02 : 1 / sqrt((double)s->cols);
        int zero = s->role == TITAN_ROLE_HEAD || is_output_projection(s->name) ||
                   is_lora_B(s->name);
        for (size_t j = 0; j < n; j++) {
            switch (s->role) {
            case TITAN_ROLE_NORM: t[j] = 1; break;
            case TITAN_ROLE_CONV: t[j] = (j % s->cols) == (size_t)s->cols - 1; break;
            default: t[j] = zero ? 0 : (float)(std * gaussian(&rng));
            }
        }
    }
}

double train_lr_mult(const train_hparams *h, int64_t step) {
    if (step < h->warmup) return (step + 1.0) / h->warmup;
    int64_t decay = (int64_t)llround(h->decay_frac * h->steps);
    int64_t start = h->steps - decay;
    if (decay <= 0 || step < start) return 1;
    double p = (double)(step - start) / decay;
    return h->cosine ? 0.5 * (1 + cos(M_PI * p)) : 1 - p;
}

bool train_schedule_shortened(const train_hparams *h, const titan_config *c,
                              int64_t step) {
    return (double)step / (double)h->steps < c->recurrence_start_frac;
}

titan_dtype train_qat_dtype(train_qat qat, titan_role role) {
    if (role == TITAN_ROLE_MATRIX)
        return qat == TRAIN_QAT_INT6 ? TITAN_DT_INT6 : TITAN_DT_INT8;
    return role == TITAN_ROLE_EMBED || role == TITAN_ROLE_HEAD ? TITAN_DT_INT8
                                                               : TITAN_DT_F32;
}

/* The next glob of a comma-separated list into glob[cap]; false at the end. */
static bool next_glob(const char **list, char *glob, size_t cap) {
    if (!*list || !**list) return false;
    size_t n = strcspn(*list, ",");
    snprintf(glob, cap, "%.*s", (int)n, *list);
    *list += n + ((*list)[n] == ',');
    return true;
}

bool train_qat_selects(const train_hparams *h, const char *name) {
    if (!h->qat_tensors) return true;
    char glob[256];
    for (const char *p = h->qat_tensors; next_glob(&p, glob, sizeof glob);)
        if (*glob && !fnmatch(glob, name, 0)) return true;
    return false;
}

bool train_qat_unmatched(const train_hparams *h, const train_params *w, char *glob,
                         size_t cap) {
    for (const char *p = h->qat_tensors; next_glob(&p, glob, cap);) {
        bool found = false;
        for (int i = 0; i < w->n_tensors && !found; i++)
            found = !fnmatch(glob, w->spec[i].name, 0);
        if (!found) return true;
    }
    return false;
}

typedef struct {
    train_state *s;
    const train_hparams *h;
    atomic_int failed;
} qat_job;

/* u in [-1/2, 1/2) for element e of tensor i at this step. */
static float qat_uniform(const qat_job *j, int64_t i, int64_t e) {
    uint64_t x = (uint64_t)j->h->seed * 0x9E3779B97F4A7C15ull ^
                 (uint64_t)j->s->step * 0xD1B54A32D192ED03ull ^
                 (uint64_t)i * 0xAEF17502108EF2D9ull ^ (uint64_t)e;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull; /* splitmix64's finalizer */
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return (float)((double)(x >> 11) * 0x1p-53 - 0.5);
}

/* dst = src + u * max|row| / qmax, row by row. */
static bool qat_noise(const qat_job *j, int64_t i, titan_dtype dt, const float *src,
                      float *dst, int64_t rows, int64_t cols) {
    float qmax = dt == TITAN_DT_INT8 ? 127.0f : 31.0f;
    for (int64_t r = 0; r < rows; r++) {
        float amax = 0;
        for (int64_t c = 0; c < cols; c++) {
            float a = fabsf(src[r * cols + c]);
            if (!(a <= FLT_MAX)) return false; /* NaN or infinite */
            amax = a > amax ? a : amax;
        }
        for (int64_t c = 0; c < cols; c++)
            dst[r * cols + c] =
                src[r * cols + c] + qat_uniform(j, i, r * cols + c) * amax / qmax;
    }
    return true;
}

/* Tensors [begin, end) of the QAT copy; each is one item, so the copy does
 * not depend on the threads. */
static void qat_tensors(void *ctx, int64_t begin, int64_t end, int thread) {
    (void)thread;
    qat_job *j = ctx;
    train_params *w = &j->s->w, *q = &j->s->qat;
    for (int64_t i = begin; i < end; i++) {
        const titan_tensor_spec *sp = &w->spec[i];
        titan_dtype dt = train_qat_selects(j->h, sp->name)
                             ? train_qat_dtype(j->h->qat, sp->role)
                             : TITAN_DT_F32;
        bool ok = true;
        if (dt == TITAN_DT_F32)
            memcpy(q->tensor[i], w->tensor[i],
                   sizeof(float) * (size_t)(sp->rows * sp->cols));
        else if (j->h->qat_noise)
            ok = qat_noise(j, i, dt, w->tensor[i], q->tensor[i], sp->rows, sp->cols);
        else
            ok = !titan_quant_fake(w->tensor[i], sp->rows, sp->cols, dt, 0,
                                   TITAN_QUANT_CLIP_STEPS, q->tensor[i]);
        if (!ok) atomic_store(&j->failed, 1);
    }
}

const train_params *train_forward_weights(train_state *s, const train_hparams *h,
                                          double lr_mult, titan_thread_pool *pool) {
    if (h->qat == TRAIN_QAT_OFF) return &s->w;
    if (!s->qat_on)
        s->qat_on =
            s->step >= (int64_t)ceil(h->qat_start * h->steps) || lr_mult < h->qat_below;
    if (!s->qat_on) return &s->w;
    qat_job j = {s, h, 0};
    titan_thread_pool_for(pool, s->w.n_tensors, 1, qat_tensors, &j);
    return atomic_load(&j.failed) ? NULL : &s->qat; /* NULL: non-finite weights */
}

size_t train_state_scratch_floats(const train_state *s, int threads) {
    size_t most = 1;
    for (int i = 0; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        if (sp->role != TITAN_ROLE_MATRIX) continue;
        size_t n = muon_scratch_floats((int)sp->rows, (int)sp->cols);
        most = n > most ? n : most;
    }
    return most * (size_t)threads;
}

static double clip_grads(train_params *g, double clip) {
    double ss = 0;
    for (size_t i = 0; i < g->count; i++) ss += (double)g->mem[i] * g->mem[i];
    double norm = sqrt(ss);
    if (clip > 0 && norm > clip) {
        float k = (float)(clip / norm);
        for (size_t i = 0; i < g->count; i++) g->mem[i] *= k;
    }
    return norm;
}

static double group_lr(const train_hparams *h, titan_role role) {
    switch (role) {
    case TITAN_ROLE_MATRIX: return h->lr_matrix;
    case TITAN_ROLE_EMBED: return h->lr_embed;
    case TITAN_ROLE_HEAD: return h->lr_head;
    default: return h->lr_scalar;
    }
}

static void average(train_state *s, const train_hparams *h, double lr_mult) {
    if (s->ema.mem) {
        float d = (float)h->ema;
        for (size_t i = 0; i < s->w.count; i++)
            s->ema.mem[i] = d * s->ema.mem[i] + (1 - d) * s->w.mem[i];
    }
    if (s->swa.mem && lr_mult < h->swa_below && s->step % h->swa_every == 0) {
        float k = 1.0f / (float)(s->swa_count + 1);
        for (size_t i = 0; i < s->w.count; i++)
            s->swa.mem[i] += (s->w.mem[i] - s->swa.mem[i]) * k;
        s->swa_count++;
    }
}

typedef struct {
    train_state *s;
    const train_params *grads;
    const muon_hparams *mh;
    const train_hparams *h;
    double lr_mult;
    float *scratch; /* per_thread floats for each pool thread */
    size_t per_thread;
    int64_t first; /* this rank's first matrix */
} muon_job;

/* Matrices first + [begin, end) in tensor order, one item each: every matrix
 * is independent and the scratch is only workspace, so the result does not
 * depend on the split (over threads, or ranks: Parallel Muon). */
static void muon_matrices(void *ctx, int64_t begin, int64_t end, int thread) {
    muon_job *j = ctx;
    train_state *s = j->s;
    muon_hparams mh = *j->mh;
    mh.lr = group_lr(j->h, TITAN_ROLE_MATRIX) * j->h->lr * j->lr_mult;
    for (int i = 0, k = -1; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        if (sp->role != TITAN_ROLE_MATRIX) continue;
        if (++k < j->first + begin || k >= j->first + end) continue;
        if (frozen(j->h, sp)) continue; /* counted: the share stays the same */
        muon_step(s->w.tensor[i], j->grads->tensor[i], s->m.tensor[i], (int)sp->rows,
                  (int)sp->cols, &mh, j->scratch + (size_t)thread * j->per_thread);
    }
}

static void muon_all(train_state *s, const train_params *grads, const train_hparams *h,
                     const muon_hparams *mh, double lr_mult, float *scratch,
                     titan_thread_pool *pool) {
    int matrices = 0;
    for (int i = 0; i < s->w.n_tensors; i++)
        matrices += s->w.spec[i].role == TITAN_ROLE_MATRIX;
    int64_t lo, hi;
    train_dist_share(matrices, train_dist_rank(), &lo, &hi);
    muon_job j = {s, grads, mh, h, lr_mult, scratch, train_state_scratch_floats(s, 1),
                  lo};
    double t0 = cli_now();
    titan_thread_pool_for(pool, hi - lo, 1, muon_matrices, &j);
    train_dist_note(TRAIN_DIST_MUON, cli_now() - t0);
    train_dist_gather_matrices(s);
}

/* --optimizer sgd: every tensor at its group's rate; matrices decay by
 * --wd, embeddings and heads by --adam-wd. */
static void sgd_all(train_state *s, const train_params *grads, const train_hparams *h,
                    double lr_mult) {
    for (int i = 0; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        if (frozen(h, sp)) continue;
        int decays = sp->role == TITAN_ROLE_EMBED || sp->role == TITAN_ROLE_HEAD;
        sgd_hparams sh = {group_lr(h, sp->role) * h->lr * lr_mult, h->sgd_momentum,
                          sp->role == TITAN_ROLE_MATRIX ? h->muon_wd
                          : decays                      ? h->adam_wd
                                                        : 0};
        sgd_step(s->w.tensor[i], grads->tensor[i], s->m.tensor[i],
                 (size_t)(sp->rows * sp->cols), &sh);
    }
}

/* AdamW for every tensor Muon does not take. */
static void adamw_rest(train_state *s, const train_params *grads, const train_hparams *h,
                       double lr_mult) {
    for (int i = 0; i < s->w.n_tensors; i++) {
        const titan_tensor_spec *sp = &s->w.spec[i];
        if (sp->role == TITAN_ROLE_MATRIX || frozen(h, sp)) continue;
        int decays = sp->role == TITAN_ROLE_EMBED || sp->role == TITAN_ROLE_HEAD;
        adamw_hparams ah = {group_lr(h, sp->role) * h->lr * lr_mult, h->beta1, h->beta2,
                            h->adam_eps, decays ? h->adam_wd : 0};
        adamw_step(s->w.tensor[i], grads->tensor[i], s->m.tensor[i], s->v.tensor[i],
                   (size_t)(sp->rows * sp->cols), (long)s->step + 1, &ah);
    }
}

double train_apply(train_state *s, train_params *grads, const train_hparams *h,
                   double lr_mult, float *scratch, titan_thread_pool *pool) {
    double norm = clip_grads(grads, h->clip);
    double warm =
        h->momentum_warmup > 0 ? fmin((double)s->step / h->momentum_warmup, 1) : 1;
    muon_hparams mh = {.momentum = (1 - warm) * h->momentum_start + warm * h->momentum,
                       .weight_decay = h->muon_wd,
                       .nesterov = 1,
                       .ns_steps = 5};
    if (h->sgd) {
        sgd_all(s, grads, h, lr_mult);
    } else {
        muon_all(s, grads, h, &mh, lr_mult, scratch, pool);
        adamw_rest(s, grads, h, lr_mult);
    }
    s->step++;
    average(s, h, lr_mult);
    return norm;
}
