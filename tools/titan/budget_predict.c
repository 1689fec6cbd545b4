/* budget_predict.c: an artifact's size before it is packed (see
 * budget_predict.h). Calibration: titan init's weights; trained weights
 * compress differently (usually a little better: their values are less
 * uniform), so a prediction for a trained model is an estimate. */
#include "formats/artifact_format.h"
#include "formats/codec.h"
#include "quant/dtype.h"
#include "quant/quant.h"
#include "tools/titan/budget_predict.h"
#include "tools/titan/embed_split.h"
#include "tools/titan/init_random.h"
#include "tools/titan/storage.h"

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

/* Rates of dt: the sample stored as pack stores it, then encoded. */
static titan_status measure(titan_arena *a, budget_rates *r, titan_dtype dt) {
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
        st = encoded_rate(a, r->codec, t.scales, (size_t)l.scale_bytes, &r->scales);
    titan_arena_reset(a, mark);
    r->measured[dt] = st == TITAN_OK;
    return st;
}

static titan_status rate_of(titan_arena *a, budget_rates *r, titan_dtype dt,
                            double *rate) {
    if (!r->measured[dt]) TITAN_TRY(measure(a, r, dt));
    *rate = r->values[dt];
    return TITAN_OK;
}

/* Pack's --embed-split: the token-row tables become INT8 with cold[i] rows
 * in int6's range (0 for every other tensor); a float one is refused as pack
 * refuses it. */
static titan_status split_types(const titan_config *c, int64_t embed_split,
                                const titan_tensor_spec *specs, int n, titan_dtype *types,
                                int64_t *cold) {
    for (int i = 0; i < n; i++) {
        cold[i] = 0;
        if (embed_split < 0 || !embed_split_applies(&specs[i], c->vocab_size)) continue;
        if (!titan_dtype_get(types[i])->quantized)
            return titan_fail(TITAN_E_USAGE, "--embed-split: %s is %s", specs[i].name,
                              titan_dtype_name(types[i]));
        types[i] = TITAN_DT_INT8;
        cold[i] = embed_split < specs[i].rows ? specs[i].rows - embed_split : 0;
    }
    return TITAN_OK;
}

/* Zero-filled tensors (scales 1) of the types pack chooses, with their layouts. */
static titan_status zero_tensors(titan_arena *a, const titan_config *c, const char *quant,
                                 int64_t embed_split, titan_tensor_spec *specs,
                                 titan_tensor *t, titan_tensor_layout_t *l, int64_t *cold,
                                 int *n) {
    *n = titan_config_tensors(c, specs, TITAN_MAX_TENSORS);
    if (*n > TITAN_MAX_TENSORS)
        return titan_fail(TITAN_E_UNSUPPORTED, "%d tensors, an artifact holds at most %d",
                          *n, TITAN_MAX_TENSORS);
    titan_dtype types[TITAN_MAX_TENSORS];
    TITAN_TRY(storage_choose_types(quant, NULL, specs, *n, types));
    TITAN_TRY(split_types(c, embed_split, specs, *n, types, cold));
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

/* One tensor's predicted bytes, bit-packed int6 and (int6 only) one per byte;
 * a split one's cold rows at int6b's rate. */
static titan_status tensor_bytes(titan_arena *a, budget_rates *r, const titan_tensor *t,
                                 const titan_tensor_layout_t *l, int64_t cold,
                                 double *packed, double *bytes) {
    double rate, rate6 = 0;
    TITAN_TRY(rate_of(a, r, t->dtype, &rate));
    if (cold) TITAN_TRY(rate_of(a, r, TITAN_DT_INT6_BYTE, &rate6));
    double scales = (double)l->scale_bytes * r->scales,
           cold_bytes = (double)(cold * t->cols);
    *packed = *bytes =
        ((double)l->value_bytes - cold_bytes) * rate + cold_bytes * rate6 + scales;
    if (t->dtype != TITAN_DT_INT6) return TITAN_OK;
    titan_tensor_layout_t b;
    TITAN_TRY(titan_tensor_layout(TITAN_DT_INT6_BYTE, t->rows, t->cols, 0, &b));
    TITAN_TRY(rate_of(a, r, TITAN_DT_INT6_BYTE, &rate));
    *bytes = (double)b.value_bytes * rate + scales;
    return TITAN_OK;
}

/* Codec: each group's tensors at the measured rates; int6 in the layout that
 * predicts smaller, as pack's --int6-layout auto picks the smaller file. */
static titan_status predict_coded(titan_arena *a, budget_rates *r, const titan_tensor *t,
                                  const titan_tensor_layout_t *l, const int64_t *cold,
                                  const int *group, int n, budget_prediction *o) {
    double packed[BUDGET_GROUPS] = {0}, bytes[BUDGET_GROUPS] = {0};
    for (int i = 0; i < n; i++) {
        double p, b;
        if (group[i] == BUDGET_NORM)
            p = b = (double)l[i].total_bytes; /* trained gains are not init's ones */
        else
            TITAN_TRY(tensor_bytes(a, r, &t[i], &l[i], cold[i], &p, &b));
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
                            int64_t embed_split, const uint8_t *tok, size_t tok_len,
                            budget_rates *r, budget_prediction *o) {
    *o = (budget_prediction){0};
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    titan_tensor t[TITAN_MAX_TENSORS];
    titan_tensor_layout_t l[TITAN_MAX_TENSORS];
    int n, group[TITAN_MAX_TENSORS];
    int64_t cold[TITAN_MAX_TENSORS];
    size_t mark = titan_arena_mark(a);
    TITAN_TRY(zero_tensors(a, c, quant, embed_split, specs, t, l, cold, &n));
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
        TITAN_TRY(predict_coded(a, r, t, l, cold, group, n, o));
    if (r->codec != TITAN_CODEC_NONE)
        TITAN_TRY(zero_data_bytes(a, r->codec, l, n, &zero));
    o->stored[BUDGET_OVERHEAD] = raw - tensors;
    o->predicted[BUDGET_OVERHEAD] =
        r->codec == TITAN_CODEC_NONE ? (double)(file - tensors) : (double)file - zero;
    for (int g = 0; g < BUDGET_GROUPS; g++) o->total += o->predicted[g];
    titan_arena_reset(a, mark);
    return TITAN_OK;
}

size_t budget_scratch_bytes(const titan_config *c) {
    /* zeros, the writer's data section and file, our zero section and its code */
    return (size_t)titan_config_params(c) * 4 * 5 + ((size_t)64 << 20);
}
