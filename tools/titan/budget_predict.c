/* budget_predict.c: an artifact's size before it is packed (see
 * budget_predict.h). Calibration: titan init's weights, or with r->trained a
 * checkpoint's: each tensor pack would store as the type, quantized (RTN),
 * values and scales appended to two streams, each encoded. Trained weights
 * compress better than init's (golf-cpu after 1200 steps: 3.4% smaller,
 * Brotli), so without a checkpoint a trained model's prediction is an
 * estimate. */
#include "tools/titan/budget_predict.h"

#include "formats/byte_shuffle.h"
#include "formats/codec.h"
#include "quant/dtype.h"
#include "quant/quant.h"
#include "tools/titan/embed_split.h"
#include "tools/titan/init_random.h"
#include "tools/titan/storage.h"

#include <stdio.h>
#include <string.h>

const char *const budget_group_names[BUDGET_GROUPS] = {
    "embeddings", "attention", "mlp", "norms/scalars", "heads", "overhead"};

/* The sample: 64K values, rows of 128 (a golf model's narrowest matrices). */
enum { SAMPLE_ROWS = 512, SAMPLE_COLS = 128 };

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

/* rate[0]: src as is, rate[1]: byte-shuffled with width w. */
static titan_status both_rates(titan_arena *a, titan_codec codec, const void *src,
                               size_t n, size_t w, double rate[2]) {
    TITAN_TRY(encoded_rate(a, codec, src, n, &rate[0]));
    rate[1] = rate[0];
    if (w < 2) return TITAN_OK;
    size_t mark = titan_arena_mark(a);
    uint8_t *buf;
    titan_status st = titan_arena_alloc(a, n, TITAN_ALIGN, (void **)&buf);
    if (st == TITAN_OK) byte_shuffle(buf, src, n, w);
    if (st == TITAN_OK) st = encoded_rate(a, codec, buf, n, &rate[1]);
    titan_arena_reset(a, mark);
    return st;
}

/* Tensor spec of in as float32 in the arena. */
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

/* The values and scales of every trained tensor pack stores as dt (INT6_BYTE:
 * as INT6), quantized and appended; *nv 0 when no tensor has the type. */
static titan_status trained_streams(titan_arena *a, const budget_rates *r, titan_dtype dt,
                                    uint8_t **vals, uint64_t *nv, uint8_t **scales,
                                    uint64_t *ns) {
    titan_tensor_spec sp[TITAN_MAX_TENSORS];
    titan_dtype types[TITAN_MAX_TENSORS];
    titan_tensor_layout_t l[TITAN_MAX_TENSORS];
    int n = titan_config_tensors(&r->trained->config, sp, TITAN_MAX_TENSORS);
    if (n > TITAN_MAX_TENSORS) return titan_fail(TITAN_E_UNSUPPORTED, "too many tensors");
    TITAN_TRY(storage_choose_types(r->quant, NULL, sp, n, types));
    titan_dtype as = dt == TITAN_DT_INT6_BYTE ? TITAN_DT_INT6 : dt;
    *nv = *ns = 0;
    for (int i = 0; i < n; i++) {
        TITAN_TRY(titan_tensor_layout(dt, sp[i].rows, sp[i].cols, 0, &l[i]));
        if (types[i] == as) *nv += l[i].value_bytes, *ns += l[i].scale_bytes;
    }
    if (!*nv) return TITAN_OK;
    TITAN_TRY(titan_arena_alloc(a, (size_t)*nv, TITAN_ALIGN, (void **)vals));
    TITAN_TRY(titan_arena_alloc(a, (size_t)*ns + 1, TITAN_ALIGN, (void **)scales));
    *nv = *ns = 0;
    for (int i = 0; i < n; i++) {
        if (types[i] != as) continue;
        size_t inner = titan_arena_mark(a);
        titan_tensor t = {.dtype = dt, .ndim = 2, .rows = sp[i].rows, .cols = sp[i].cols};
        float *f;
        TITAN_TRY(trained_f32(a, r->trained, &sp[i], &f));
        TITAN_TRY(storage_quantize(a, f, TITAN_QUANT_CLIP_STEPS, &t));
        memcpy(*vals + *nv, t.data, (size_t)l[i].value_bytes);
        if (l[i].scale_bytes) memcpy(*scales + *ns, t.scales, (size_t)l[i].scale_bytes);
        *nv += l[i].value_bytes, *ns += l[i].scale_bytes;
        titan_arena_reset(a, inner);
    }
    return TITAN_OK;
}

/* Rates of dt with codec c from the trained weights; *any false when no
 * tensor has the type. */
static titan_status measure_trained(titan_arena *a, budget_rates *r, titan_codec c,
                                    titan_dtype dt, bool *any) {
    size_t mark = titan_arena_mark(a);
    uint8_t *vals = NULL, *scales = NULL;
    uint64_t nv, ns;
    titan_status st = trained_streams(a, r, dt, &vals, &nv, &scales, &ns);
    double v[2] = {0, 0};
    *any = st == TITAN_OK && nv > 0;
    if (*any) st = both_rates(a, c, vals, (size_t)nv, art_value_width(dt), v);
    if (*any) r->values[c][0][dt] = v[0], r->values[c][1][dt] = v[1];
    if (*any && st == TITAN_OK && ns)
        st = both_rates(a, c, scales, (size_t)ns, 4, r->scales[c]);
    titan_arena_reset(a, mark);
    if (*any) r->measured[c][dt] = st == TITAN_OK;
    return st;
}

/* Rates of dt with codec c: the trained weights', else the sample stored as
 * pack stores it, encoded. */
static titan_status measure(titan_arena *a, budget_rates *r, titan_codec c,
                            titan_dtype dt) {
    bool any = false;
    if (r->trained) TITAN_TRY(measure_trained(a, r, c, dt, &any));
    if (any) return TITAN_OK;
    size_t mark = titan_arena_mark(a), n = (size_t)SAMPLE_ROWS * SAMPLE_COLS;
    float *f;
    TITAN_TRY(titan_arena_alloc(a, n * sizeof *f, TITAN_ALIGN, (void **)&f));
    uint64_t seed = 1;
    init_fill_normal(&seed, f, n, 0.02f);
    titan_tensor t = {.dtype = dt, .ndim = 2, .rows = SAMPLE_ROWS, .cols = SAMPLE_COLS};
    titan_tensor_layout_t l;
    titan_status st = titan_tensor_layout(dt, t.rows, t.cols, 0, &l);
    if (st == TITAN_OK) st = storage_quantize(a, f, TITAN_QUANT_CLIP_STEPS, &t);
    double v[2] = {0, 0};
    if (st == TITAN_OK)
        st = both_rates(a, c, t.data, (size_t)l.value_bytes, art_value_width(dt), v);
    r->values[c][0][dt] = v[0], r->values[c][1][dt] = v[1];
    if (st == TITAN_OK && l.scale_bytes)
        st = both_rates(a, c, t.scales, (size_t)l.scale_bytes, 4, r->scales[c]);
    titan_arena_reset(a, mark);
    r->measured[c][dt] = st == TITAN_OK;
    return st;
}

static titan_status rate_of(titan_arena *a, budget_rates *r, titan_codec c,
                            titan_dtype dt, int shuffled, double *rate) {
    if (!r->measured[c][dt]) TITAN_TRY(measure(a, r, c, dt));
    *rate = r->values[c][shuffled][dt];
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
static titan_status tensor_bytes(titan_arena *a, budget_rates *r, titan_codec c,
                                 const titan_tensor *t, const titan_tensor_layout_t *l,
                                 int64_t cold, double *packed, double *bytes) {
    double rate, rate6 = 0;
    TITAN_TRY(rate_of(a, r, c, t->dtype, 0, &rate));
    if (cold) TITAN_TRY(rate_of(a, r, c, TITAN_DT_INT6_BYTE, 0, &rate6));
    double scales = (double)l->scale_bytes * r->scales[c][0],
           cold_bytes = (double)(cold * t->cols);
    *packed = *bytes =
        ((double)l->value_bytes - cold_bytes) * rate + cold_bytes * rate6 + scales;
    if (t->dtype != TITAN_DT_INT6) return TITAN_OK;
    titan_tensor_layout_t b;
    TITAN_TRY(titan_tensor_layout(TITAN_DT_INT6_BYTE, t->rows, t->cols, 0, &b));
    TITAN_TRY(rate_of(a, r, c, TITAN_DT_INT6_BYTE, 0, &rate));
    *bytes = (double)b.value_bytes * rate + scales;
    return TITAN_OK;
}

/* Codec: each group's tensors at the measured rates; int6 in the layout that
 * predicts smaller, as pack's --int6-layout auto picks the smaller file. */
static titan_status predict_coded(titan_arena *a, budget_rates *r, titan_codec c,
                                  const titan_tensor *t, const titan_tensor_layout_t *l,
                                  const int64_t *cold, const int *group, int n,
                                  budget_prediction *o) {
    double packed[BUDGET_GROUPS] = {0}, bytes[BUDGET_GROUPS] = {0};
    for (int i = 0; i < n; i++) {
        double p, b;
        if (group[i] == BUDGET_NORM)
            p = b = (double)l[i].total_bytes; /* trained gains are not init's ones */
        else
            TITAN_TRY(tensor_bytes(a, r, c, &t[i], &l[i], cold[i], &p, &b));
        packed[group[i]] += p, bytes[group[i]] += b;
    }
    double sum_p = 0, sum_b = 0;
    for (int g = 0; g < BUDGET_OVERHEAD; g++) sum_p += packed[g], sum_b += bytes[g];
    o->int6_byte = sum_b < sum_p;
    for (int g = 0; g < BUDGET_OVERHEAD; g++)
        o->predicted[g] = o->int6_byte ? bytes[g] : packed[g];
    return TITAN_OK;
}

/* Each tensor's stored bytes added to its group in o (group[i]: its group,
 * when wanted); returns the tensors' total. */
static uint64_t tally_stored(const titan_tensor_spec *specs,
                             const titan_tensor_layout_t *l, int n, int *group,
                             budget_prediction *o) {
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        int g = art_group_kind_of(&specs[i]);
        if (group) group[i] = g;
        o->stored[g] += l[i].total_bytes;
        total += l[i].total_bytes;
    }
    return total;
}

/* The file pack --codec c (not auto) would write. */
static titan_status predict_one(titan_arena *a, titan_codec codec, const titan_config *c,
                                const char *quant, int64_t embed_split,
                                const uint8_t *tok, size_t tok_len, budget_rates *r,
                                budget_prediction *o) {
    *o = (budget_prediction){.data_codec = codec};
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    titan_tensor t[TITAN_MAX_TENSORS];
    titan_tensor_layout_t l[TITAN_MAX_TENSORS];
    int n, group[TITAN_MAX_TENSORS];
    int64_t cold[TITAN_MAX_TENSORS];
    size_t mark = titan_arena_mark(a);
    TITAN_TRY(zero_tensors(a, c, quant, embed_split, specs, t, l, cold, &n));
    uint64_t file, raw, tensors; /* file: with the codec, raw: without */
    titan_write_options w = {.codec = codec}, none = {.codec = TITAN_CODEC_NONE};
    TITAN_TRY(titan_artifact_write_with(a, c, tok, tok_len, t, n, &none, NULL, &raw));
    file = raw;
    if (codec != TITAN_CODEC_NONE)
        TITAN_TRY(titan_artifact_write_with(a, c, tok, tok_len, t, n, &w, NULL, &file));
    tensors = tally_stored(specs, l, n, group, o);
    double zero = 0;
    if (codec == TITAN_CODEC_NONE)
        for (int g = 0; g < BUDGET_OVERHEAD; g++) o->predicted[g] = (double)o->stored[g];
    else
        TITAN_TRY(predict_coded(a, r, codec, t, l, cold, group, n, o));
    if (codec != TITAN_CODEC_NONE) TITAN_TRY(zero_data_bytes(a, codec, l, n, &zero));
    o->stored[BUDGET_OVERHEAD] = raw - tensors;
    o->predicted[BUDGET_OVERHEAD] =
        codec == TITAN_CODEC_NONE ? (double)(file - tensors) : (double)file - zero;
    for (int g = 0; g < BUDGET_GROUPS; g++) o->total += o->predicted[g];
    titan_arena_reset(a, mark);
    return TITAN_OK;
}

/* One tensor as stored with an int6 layout: value type and bytes. */
typedef struct {
    titan_dtype dt;
    double values, scales;
    double cold; /* of values: a split table's int6-range rows (int6b's rate) */
    int kind;
} budget_piece;

static titan_status pieces_for(const titan_tensor *t, const titan_tensor_layout_t *l,
                               const titan_tensor_spec *specs, const int64_t *cold, int n,
                               bool int6_byte, budget_piece *pc) {
    for (int i = 0; i < n; i++) {
        titan_tensor_layout_t b = l[i];
        pc[i].dt = t[i].dtype;
        pc[i].cold = (double)(cold[i] * t[i].cols);
        if (int6_byte && t[i].dtype == TITAN_DT_INT6) {
            pc[i].dt = TITAN_DT_INT6_BYTE;
            TITAN_TRY(titan_tensor_layout(pc[i].dt, t[i].rows, t[i].cols, 0, &b));
        }
        pc[i].values = (double)b.value_bytes, pc[i].scales = (double)b.scale_bytes;
        pc[i].kind = art_group_kind_of(&specs[i]);
    }
    return TITAN_OK;
}

/* Bytes of group kind k with codec c, shuffled or not (none: its raw bytes). */
static titan_status group_bytes(titan_arena *a, budget_rates *r, const budget_piece *pc,
                                int n, int k, titan_codec c, int s, double *bytes) {
    *bytes = 0;
    for (int i = 0; i < n; i++) {
        double rate = 1;
        if (k == ART_KIND_SCALES) {
            if (c != TITAN_CODEC_NONE && pc[i].scales > 0)
                TITAN_TRY(rate_of(a, r, c, pc[i].dt, s, &rate)); /* measures scales */
            *bytes += pc[i].scales * (c == TITAN_CODEC_NONE ? 1 : r->scales[c][s]);
            continue;
        }
        if (pc[i].kind != k) continue;
        double rate6 = 1;
        if (c != TITAN_CODEC_NONE && k != ART_KIND_VECTORS) /* vectors: no credit */
            TITAN_TRY(rate_of(a, r, c, pc[i].dt, s, &rate));
        if (c != TITAN_CODEC_NONE && pc[i].cold > 0)
            TITAN_TRY(rate_of(a, r, c, TITAN_DT_INT6_BYTE, s, &rate6));
        *bytes += (pc[i].values - pc[i].cold) * rate + pc[i].cold * rate6;
    }
    return TITAN_OK;
}

/* Each group's smallest codec and shuffle; the tensor groups' predicted
 * bytes (scales with their tensors) and their sum. */
static titan_status predict_groups(titan_arena *a, budget_rates *r,
                                   const budget_piece *pc, int n, budget_prediction *o,
                                   double *sum) {
    double best[ART_GROUP_KINDS];
    for (int k = 0; k < ART_GROUP_KINDS; k++) {
        o->group_codec[k] = TITAN_CODEC_NONE, o->group_shuffled[k] = false;
        TITAN_TRY(group_bytes(a, r, pc, n, k, TITAN_CODEC_NONE, 0, &best[k]));
        o->group_used[k] = best[k] > 0;
        for (int c = TITAN_CODEC_LZMA; c <= TITAN_CODEC_BROTLI && best[k]; c++)
            for (int s = 0; s < 2; s++) {
                double b;
                TITAN_TRY(group_bytes(a, r, pc, n, k, (titan_codec)c, s, &b));
                if (b >= best[k]) continue;
                best[k] = b, o->group_codec[k] = (titan_codec)c, o->group_shuffled[k] = s;
            }
    }
    *sum = 0;
    for (int g = 0; g < BUDGET_OVERHEAD; g++) o->predicted[g] = 0;
    for (int k = 0; k < ART_GROUP_KINDS; k++) *sum += best[k];
    for (int i = 0; i < n; i++) { /* shares: each piece at its group's rate */
        double v, s;
        TITAN_TRY(group_bytes(a, r, &pc[i], 1, pc[i].kind, o->group_codec[pc[i].kind],
                              o->group_shuffled[pc[i].kind], &v));
        TITAN_TRY(group_bytes(a, r, &pc[i], 1, ART_KIND_SCALES,
                              o->group_codec[ART_KIND_SCALES],
                              o->group_shuffled[ART_KIND_SCALES], &s));
        o->predicted[pc[i].kind] += v + s;
    }
    return TITAN_OK;
}

/* Codec auto's grouped form: the groups as above, in the int6 layout that
 * predicts smaller; the overhead from the writer itself on zero tensors
 * (the file less its groups' streams: head, sections, group table). */
static titan_status predict_grouped(titan_arena *a, const titan_config *c,
                                    const char *quant, int64_t embed_split,
                                    const uint8_t *tok, size_t tok_len, budget_rates *r,
                                    budget_prediction *o) {
    titan_tensor_spec specs[TITAN_MAX_TENSORS];
    titan_tensor t[TITAN_MAX_TENSORS];
    titan_tensor_layout_t l[TITAN_MAX_TENSORS];
    budget_piece pc[TITAN_MAX_TENSORS];
    int n;
    int64_t cold[TITAN_MAX_TENSORS];
    size_t mark = titan_arena_mark(a);
    *o = (budget_prediction){.data_codec = TITAN_CODEC_AUTO};
    TITAN_TRY(zero_tensors(a, c, quant, embed_split, specs, t, l, cold, &n));
    titan_codec_report rep;
    titan_write_options w = {
        .codec = TITAN_CODEC_AUTO, .grouped_only = true, .report = &rep};
    uint64_t file, tensors;
    TITAN_TRY(titan_artifact_write_with(a, c, tok, tok_len, t, n, &w, NULL, &file));
    double streams = 0; /* the groups come first in the report, then 4 sections */
    for (int i = 0; i + ART_N_SECTIONS < rep.n; i++)
        streams += (double)rep.c[i].stored_bytes;
    tensors = tally_stored(specs, l, n, NULL, o);
    double packed, bytes;
    budget_prediction ob = *o;
    TITAN_TRY(pieces_for(t, l, specs, cold, n, false, pc));
    TITAN_TRY(predict_groups(a, r, pc, n, o, &packed));
    TITAN_TRY(pieces_for(t, l, specs, cold, n, true, pc));
    TITAN_TRY(predict_groups(a, r, pc, n, &ob, &bytes));
    if (bytes < packed) *o = ob, o->int6_byte = true;
    titan_write_options none = {.codec = TITAN_CODEC_NONE};
    uint64_t raw;
    TITAN_TRY(titan_artifact_write_with(a, c, tok, tok_len, t, n, &none, NULL, &raw));
    o->stored[BUDGET_OVERHEAD] = raw - tensors;
    o->predicted[BUDGET_OVERHEAD] = (double)file - streams;
    for (int g = 0; g < BUDGET_GROUPS; g++) o->total += o->predicted[g];
    titan_arena_reset(a, mark);
    return TITAN_OK;
}

titan_status budget_predict(titan_arena *a, const titan_config *c, const char *quant,
                            int64_t embed_split, const uint8_t *tok, size_t tok_len,
                            budget_rates *r, budget_prediction *o) {
    if (r->codec != TITAN_CODEC_AUTO)
        return predict_one(a, r->codec, c, quant, embed_split, tok, tok_len, r, o);
    TITAN_TRY(predict_grouped(a, c, quant, embed_split, tok, tok_len, r, o));
    for (int k = TITAN_CODEC_LZMA; k <= TITAN_CODEC_BROTLI; k++) {
        budget_prediction one;
        TITAN_TRY(
            predict_one(a, (titan_codec)k, c, quant, embed_split, tok, tok_len, r, &one));
        if (one.total < o->total) *o = one; /* one codec on the whole section */
    }
    return TITAN_OK;
}

size_t budget_scratch_bytes(const titan_config *c, const budget_rates *r) {
    /* zeros, the writer's data section and file, our zero section and its
     * code; codec auto: also the grouped form and a group's raw, shuffle and
     * trial output (mapped, mostly never touched); trained weights: two
     * streams, a tensor's floats and codes */
    size_t trained =
        r->trained ? (size_t)titan_config_params(&r->trained->config) * 16 : 0;
    return (size_t)titan_config_params(c) * 4 * 8 + trained + ((size_t)64 << 20);
}
