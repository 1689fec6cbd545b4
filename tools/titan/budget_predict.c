/* budget_predict.c: an artifact's size before it is packed (see
 * budget_predict.h). Calibration: titan init's weights, or a checkpoint's;
 * trained weights compress differently (better: their values are less
 * uniform; 3.4% smaller for golf-cpu after 1200 steps, Brotli), so without
 * one a prediction for a trained model is an estimate. */
#include "formats/artifact_format.h"
#include "formats/codec.h"
#include "quant/quant.h"
#include "tools/titan/budget_predict.h"
#include "tools/titan/init_random.h"
#include "tools/titan/storage.h"

#include <stdio.h>
#include <string.h>

const char *const budget_group_names[BUDGET_GROUPS] = {
    "embeddings", "attention", "mlp", "norms/scalars", "heads", "overhead"};

/* The sample: 64K values, rows of 128 (a golf model's narrowest matrices). */
enum { SAMPLE_ROWS = 512, SAMPLE_COLS = 128 };

static int group_of(const titan_tensor_spec *s) {
    switch (s->role) {
    case TITAN_ROLE_EMBED: return BUDGET_EMBED;
    case TITAN_ROLE_HEAD: return BUDGET_HEAD;
    case TITAN_ROLE_NORM:
    case TITAN_ROLE_CONV: return BUDGET_NORM;
    case TITAN_ROLE_MATRIX: break;
    }
    if (strncmp(s->name, "blocks.", 7)) return BUDGET_EMBED; /* bigram, value_embed */
    bool mlp = strstr(s->name, ".w_up") || strstr(s->name, ".w_down") ||
               strstr(s->name, ".w_gate");
    return mlp ? BUDGET_MLP : BUDGET_ATTN;
}

/* Encoded bytes per byte of src[0..n) with codec. */
static titan_status encoded_rate(titan_arena *a, titan_codec codec, const void *src,
                                 size_t n, double *rate) {
    size_t mark = titan_arena_mark(a), cap = titan_codec_bound(codec, n), len = 0;
    uint8_t *dst;
    titan_status st = titan_arena_alloc(a, cap, TITAN_ALIGN, (void **)&dst);
    if (st == TITAN_OK) st = titan_codec_encode(codec, src, n, dst, cap, &len);
    titan_arena_reset(a, mark);
    *rate = (double)len / (double)n;
    return st;
}

/* Tensor spec of r->trained as float32 in the arena. */
static titan_status trained_f32(titan_arena *a, const pack_input *in,
                                const titan_tensor_spec *spec, float **f) {
    char name[TITAN_NAME_MAX + 8];
    snprintf(name, sizeof name, "%.4s%.*s", in->prefix, TITAN_NAME_MAX - 1, spec->name);
    const titan_st_tensor *s = titan_safetensors_find(&in->st, name);
    if (!s) return titan_fail(TITAN_E_DATA, "--ckpt: no tensor %s", name);
    size_t count = (size_t)(spec->rows * spec->cols);
    TITAN_TRY(titan_arena_alloc(a, count * sizeof **f, TITAN_ALIGN, (void **)f));
    return titan_safetensors_to_f32(s, *f, count);
}

/* Rates of dt from the trained weights: each tensor pack would store as dt
 * (INT6_BYTE: as INT6), quantized, values and scales appended to two
 * streams, each encoded once; *any false when no tensor has the type. */
static titan_status measure_trained(titan_arena *a, budget_rates *r, titan_dtype dt,
                                    bool *any) {
    titan_tensor_spec sp[TITAN_MAX_TENSORS];
    titan_dtype types[TITAN_MAX_TENSORS];
    titan_tensor_layout_t l[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(&r->trained->config, sp, TITAN_MAX_TENSORS);
    if (n > TITAN_MAX_TENSORS) return titan_fail(TITAN_E_UNSUPPORTED, "too many tensors");
    TITAN_TRY(storage_choose_types(r->quant, NULL, sp, n, types));
    titan_dtype as = dt == TITAN_DT_INT6_BYTE ? TITAN_DT_INT6 : dt;
    uint64_t nv = 0, ns = 0;
    for (int i = 0; i < n; i++) {
        TITAN_TRY(titan_tensor_layout(dt, sp[i].rows, sp[i].cols, 0, &l[i]));
        if (types[i] == as) nv += l[i].value_bytes, ns += l[i].scale_bytes;
    }
    if (!(*any = nv > 0)) return TITAN_OK;
    size_t mark = titan_arena_mark(a);
    uint8_t *vals, *scales;
    TITAN_TRY(titan_arena_alloc(a, (size_t)nv, TITAN_ALIGN, (void **)&vals));
    TITAN_TRY(titan_arena_alloc(a, (size_t)ns + 1, TITAN_ALIGN, (void **)&scales));
    nv = ns = 0;
    for (int i = 0; i < n; i++) {
        if (types[i] != as) continue;
        size_t inner = titan_arena_mark(a);
        titan_tensor t = {.dtype = dt, .ndim = 2, .rows = sp[i].rows, .cols = sp[i].cols};
        float *f;
        TITAN_TRY(trained_f32(a, r->trained, &sp[i], &f));
        TITAN_TRY(storage_quantize(a, f, TITAN_QUANT_CLIP_STEPS, &t));
        memcpy(vals + nv, t.data, (size_t)l[i].value_bytes);
        if (l[i].scale_bytes) memcpy(scales + ns, t.scales, (size_t)l[i].scale_bytes);
        nv += l[i].value_bytes, ns += l[i].scale_bytes;
        titan_arena_reset(a, inner);
    }
    titan_status st = encoded_rate(a, r->codec, vals, (size_t)nv, &r->values[dt]);
    if (st == TITAN_OK && ns)
        st = encoded_rate(a, r->codec, scales, (size_t)ns, &r->scales[dt]);
    titan_arena_reset(a, mark);
    return st;
}

/* Rates of dt: the trained weights', else the sample stored as pack stores
 * it, then encoded. */
static titan_status measure(titan_arena *a, budget_rates *r, titan_dtype dt) {
    bool any = false;
    if (r->trained) TITAN_TRY(measure_trained(a, r, dt, &any));
    if (any) {
        r->measured[dt] = true;
        return TITAN_OK;
    }
    size_t mark = titan_arena_mark(a), n = (size_t)SAMPLE_ROWS * SAMPLE_COLS;
    float *f;
    TITAN_TRY(titan_arena_alloc(a, n * sizeof *f, TITAN_ALIGN, (void **)&f));
    uint64_t seed = 1;
    init_fill_normal(&seed, f, n, 0.02f);
    titan_tensor t = {.dtype = dt, .ndim = 2, .rows = SAMPLE_ROWS, .cols = SAMPLE_COLS};
    titan_tensor_layout_t l;
    titan_status st = titan_tensor_layout(dt, t.rows, t.cols, 0, &l);
    if (st == TITAN_OK) st = storage_quantize(a, f, TITAN_QUANT_CLIP_STEPS, &t);
    if (st == TITAN_OK)
        st = encoded_rate(a, r->codec, t.data, (size_t)l.value_bytes, &r->values[dt]);
    if (st == TITAN_OK && l.scale_bytes)
        st = encoded_rate(a, r->codec, t.scales, (size_t)l.scale_bytes, &r->scales[dt]);
    titan_arena_reset(a, mark);
    r->measured[dt] = st == TITAN_OK;
    return st;
}

static titan_status rate_of(titan_arena *a, budget_rates *r, titan_dtype dt, double *rate,
                            double *scale_rate) {
    if (!r->measured[dt]) TITAN_TRY(measure(a, r, dt));
    *rate = r->values[dt];
    *scale_rate = r->scales[dt];
    return TITAN_OK;
}

/* Zero-filled tensors (scales 1) of the types pack chooses, with their layouts. */
static titan_status zero_tensors(titan_arena *a, const titan_config *c, const char *quant,
                                 titan_tensor_spec *specs, titan_tensor *t,
                                 titan_tensor_layout_t *l, int *n) {
    *n = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    if (*n > TITAN_MAX_TENSORS)
        return titan_fail(TITAN_E_UNSUPPORTED, "%d tensors, an artifact holds at most %d",
                          *n, TITAN_MAX_TENSORS);
    titan_dtype types[TITAN_MAX_TENSORS];
    TITAN_TRY(storage_choose_types(quant, NULL, specs, *n, types));
    uint64_t most = 0, rows = 0;
    for (int i = 0; i < *n; i++) {
        TITAN_TRY(titan_tensor_layout(types[i], specs[i].rows, specs[i].cols, 0, &l[i]));
        most = l[i].value_bytes > most ? l[i].value_bytes : most;
        rows = l[i].scale_bytes / 4 > rows ? l[i].scale_bytes / 4 : rows;
    }
    void *zero;
    float *ones; /* the writer refuses a zero scale */
    TITAN_TRY(titan_arena_calloc(a, (size_t)most, TITAN_ALIGN, &zero));
    TITAN_TRY(titan_arena_alloc(a, (size_t)rows * 4 + 4, TITAN_ALIGN, (void **)&ones));
    for (uint64_t r = 0; r <= rows; r++) ones[r] = 1;
    for (int i = 0; i < *n; i++) {
        t[i] = (titan_tensor){.dtype = types[i],
                              .ndim = specs[i].ndim,
                              .rows = specs[i].rows,
                              .cols = specs[i].cols,
                              .data = zero,
                              .scales = ones};
        memcpy(t[i].name, specs[i].name, sizeof t[i].name);
    }
    return TITAN_OK;
}

/* What the zero-filled data section adds to the file under the codec. */
static titan_status zero_data_bytes(titan_arena *a, titan_codec codec,
                                    const titan_tensor_layout_t *l, int n,
                                    double *bytes) {
    uint64_t end = 0;
    for (int i = 0; i < n; i++) end = art_align(end) + l[i].total_bytes;
    size_t mark = titan_arena_mark(a);
    uint8_t *zero;
    TITAN_TRY(titan_arena_calloc(a, (size_t)end, TITAN_ALIGN, (void **)&zero));
    double rate;
    titan_status st = encoded_rate(a, codec, zero, (size_t)end, &rate);
    titan_arena_reset(a, mark);
    *bytes = rate * (double)end;
    return st;
}

/* One tensor's predicted bytes, bit-packed int6 and (int6 only) one per byte. */
static titan_status tensor_bytes(titan_arena *a, budget_rates *r, const titan_tensor *t,
                                 const titan_tensor_layout_t *l, double *packed,
                                 double *bytes) {
    double rate, scale_rate;
    TITAN_TRY(rate_of(a, r, t->dtype, &rate, &scale_rate));
    double scales = (double)l->scale_bytes * scale_rate;
    *packed = *bytes = (double)l->value_bytes * rate + scales;
    if (t->dtype != TITAN_DT_INT6) return TITAN_OK;
    titan_tensor_layout_t b;
    TITAN_TRY(titan_tensor_layout(TITAN_DT_INT6_BYTE, t->rows, t->cols, 0, &b));
    TITAN_TRY(rate_of(a, r, TITAN_DT_INT6_BYTE, &rate, &scale_rate));
    *bytes = (double)b.value_bytes * rate + (double)b.scale_bytes * scale_rate;
    return TITAN_OK;
}

/* Codec: each group's tensors at the measured rates; int6 in the layout that
 * predicts smaller, as pack's --int6-layout auto picks the smaller file. */
static titan_status predict_coded(titan_arena *a, budget_rates *r, const titan_tensor *t,
                                  const titan_tensor_layout_t *l, const int *group, int n,
                                  budget_prediction *o) {
    double packed[BUDGET_GROUPS] = {0}, bytes[BUDGET_GROUPS] = {0};
    for (int i = 0; i < n; i++) {
        double p, b;
        if (group[i] == BUDGET_NORM)
            p = b = (double)l[i].total_bytes; /* trained gains are not init's ones */
        else
            TITAN_TRY(tensor_bytes(a, r, &t[i], &l[i], &p, &b));
        packed[group[i]] += p, bytes[group[i]] += b;
    }
    double sum_p = 0, sum_b = 0;
    for (int g = 0; g < BUDGET_OVERHEAD; g++) sum_p += packed[g], sum_b += bytes[g];
    o->int6_byte = sum_b < sum_p;
    for (int g = 0; g < BUDGET_OVERHEAD; g++)
        o->predicted[g] = o->int6_byte ? bytes[g] : packed[g];
    return TITAN_OK;
}

titan_status budget_predict(titan_arena *a, const titan_config *c, const char *quant,
                            const uint8_t *tok, size_t tok_len, budget_rates *r,
                            budget_prediction *o) {
    *o = (budget_prediction){0};
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    titan_tensor t[TITAN_MAX_TENSORS];
    titan_tensor_layout_t l[TITAN_MAX_TENSORS];
    int n, group[TITAN_MAX_TENSORS];
    size_t mark = titan_arena_mark(a);
    TITAN_TRY(zero_tensors(a, c, quant, specs, t, l, &n));
    uint64_t file, raw, tensors = 0; /* file: with the codec, raw: without */
    titan_write_options w = {.codec = r->codec}, none = {.codec = TITAN_CODEC_NONE};
    TITAN_TRY(titan_artifact_write_with(a, c, tok, tok_len, t, n, &none, NULL, &raw));
    file = raw;
    if (r->codec != TITAN_CODEC_NONE)
        TITAN_TRY(titan_artifact_write_with(a, c, tok, tok_len, t, n, &w, NULL, &file));
    for (int i = 0; i < n; i++) {
        group[i] = group_of(&specs[i]);
        o->stored[group[i]] += l[i].total_bytes;
        tensors += l[i].total_bytes;
    }
    double zero = 0;
    if (r->codec == TITAN_CODEC_NONE)
        for (int g = 0; g < BUDGET_OVERHEAD; g++) o->predicted[g] = (double)o->stored[g];
    else
        TITAN_TRY(predict_coded(a, r, t, l, group, n, o));
    if (r->codec != TITAN_CODEC_NONE)
        TITAN_TRY(zero_data_bytes(a, r->codec, l, n, &zero));
    o->stored[BUDGET_OVERHEAD] = raw - tensors;
    o->predicted[BUDGET_OVERHEAD] =
        r->codec == TITAN_CODEC_NONE ? (double)(file - tensors) : (double)file - zero;
    for (int g = 0; g < BUDGET_GROUPS; g++) o->total += o->predicted[g];
    titan_arena_reset(a, mark);
    return TITAN_OK;
}

size_t budget_scratch_bytes(const titan_config *c, const budget_rates *r) {
    /* zeros, the writer's data section and file, our zero section and its
     * code; trained weights: two streams, a tensor's floats and codes */
    size_t trained =
        r->trained ? (size_t)titan_config_params(&r->trained->config) * 16 : 0;
    return (size_t)titan_config_params(c) * 4 * 5 + trained + ((size_t)64 << 20);
}
