/* safetensors.c: strict reader and writer of the safetensors format
 * (github.com/huggingface/safetensors): u64 LE header length, JSON header,
 * data buffer covered exactly once by the tensors. */
#include "core/base/le.h"
#include "formats/json.h"

#include "quant/half.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_KEY "__metadata__"

typedef struct {
    const char *name;
    titan_dtype dtype; /* -1: a known dtype Titan does not read */
    size_t size;
} st_dtype;

/* Every dtype of the format, so that a valid file with an unsupported dtype
 * is told apart from a corrupt one. */
static const st_dtype dtypes[] = {
    {"F32", TITAN_DT_F32, 4},        {"F16", TITAN_DT_F16, 2},
    {"BF16", TITAN_DT_BF16, 2},      {"F64", (titan_dtype)-1, 8},
    {"I64", (titan_dtype)-1, 8},     {"U64", (titan_dtype)-1, 8},
    {"I32", (titan_dtype)-1, 4},     {"U32", (titan_dtype)-1, 4},
    {"I16", (titan_dtype)-1, 2},     {"U16", (titan_dtype)-1, 2},
    {"I8", TITAN_DT_INT8, 1},        {"U8", (titan_dtype)-1, 1},
    {"BOOL", (titan_dtype)-1, 1},    {"F8_E4M3", (titan_dtype)-1, 1},
    {"F8_E5M2", (titan_dtype)-1, 1},
};
#define N_DTYPES (sizeof dtypes / sizeof *dtypes)

static const st_dtype *dtype_by_name(const char *name) {
    for (size_t i = 0; i < N_DTYPES; i++)
        if (!strcmp(dtypes[i].name, name)) return &dtypes[i];
    return NULL;
}

static const st_dtype *dtype_by_id(titan_dtype d) {
    for (size_t i = 0; i < 3; i++)
        if (dtypes[i].dtype == d) return &dtypes[i];
    return NULL;
}

/* --------------------------------------------------------------- reader */

/* A tensor entry's key, for messages: bounded, and printable as %s. */
#define NAME_FMT "\"%.64s\""

static titan_status parse_shape(const json_value *v, const char *name,
                                titan_st_tensor *t) {
    if (!v || v->type != JSON_ARRAY)
        return titan_fail(TITAN_E_DATA,
                          "safetensors: " NAME_FMT ": shape must be an array", name);
    if (v->len > TITAN_ST_MAX_DIMS)
        return titan_fail(TITAN_E_UNSUPPORTED,
                          "safetensors: " NAME_FMT ": %zu dimensions (at most %d)", name,
                          v->len, TITAN_ST_MAX_DIMS);
    t->ndim = (int)v->len;
    t->n_elems = 1;
    int k = 0;
    for (const json_value *d = v->child; d; d = d->next, k++) {
        if (d->type != JSON_NUMBER || !d->is_int || d->integer < 0)
            return titan_fail(TITAN_E_DATA,
                              "safetensors: " NAME_FMT
                              ": dimension %d is not a non-negative integer",
                              name, k);
        uint64_t dim = (uint64_t)d->integer;
        if (dim && t->n_elems > UINT64_MAX / dim)
            return titan_fail(TITAN_E_DATA,
                              "safetensors: " NAME_FMT ": shape product overflows", name);
        t->shape[k] = d->integer;
        t->n_elems *= dim;
    }
    return TITAN_OK;
}

static titan_status parse_offsets(const json_value *v, const char *name, uint64_t *begin,
                                  uint64_t *end) {
    if (!v || v->type != JSON_ARRAY || v->len != 2 || v->child->type != JSON_NUMBER ||
        !v->child->is_int || v->child->integer < 0 ||
        v->child->next->type != JSON_NUMBER || !v->child->next->is_int ||
        v->child->next->integer < 0)
        return titan_fail(TITAN_E_DATA,
                          "safetensors: " NAME_FMT
                          ": data_offsets must be [begin, end], non-negative "
                          "integers",
                          name);
    *begin = (uint64_t)v->child->integer;
    *end = (uint64_t)v->child->next->integer;
    return TITAN_OK;
}

/* One "NAME": {dtype, shape, data_offsets} entry; data offsets relative to
 * the buffer are checked against its size here and for coverage later. */
static titan_status parse_entry(const json_value *m, const uint8_t *buffer,
                                uint64_t buffer_len, titan_st_tensor *t,
                                uint64_t *begin) {
    const char *name = m->key;
    if (strlen(name) != m->key_len)
        return titan_fail(TITAN_E_DATA, "safetensors: tensor name with a NUL");
    if (m->type != JSON_OBJECT)
        return titan_fail(TITAN_E_DATA,
                          "safetensors: " NAME_FMT ": entry must be an object", name);
    for (const json_value *f = m->child; f; f = f->next)
        if (!json_key_is(f, "dtype") && !json_key_is(f, "shape") &&
            !json_key_is(f, "data_offsets"))
            return titan_fail(TITAN_E_DATA,
                              "safetensors: " NAME_FMT ": unknown key \"%.32s\"", name,
                              f->key);
    const json_value *dt = json_get(m, "dtype");
    if (!dt || dt->type != JSON_STRING)
        return titan_fail(TITAN_E_DATA,
                          "safetensors: " NAME_FMT ": dtype must be a string", name);
    const st_dtype *d = dtype_by_name(dt->str);
    if (!d)
        return titan_fail(TITAN_E_DATA,
                          "safetensors: " NAME_FMT ": unknown dtype \"%.16s\"", name,
                          dt->str);
    if (d->dtype == (titan_dtype)-1)
        return titan_fail(TITAN_E_UNSUPPORTED,
                          "safetensors: " NAME_FMT
                          ": dtype %s not supported (F32, F16, BF16, I8)",
                          name, d->name);
    t->name = name;
    t->dtype = d->dtype;
    TITAN_TRY(parse_shape(json_get(m, "shape"), name, t));
    uint64_t end = 0;
    TITAN_TRY(parse_offsets(json_get(m, "data_offsets"), name, begin, &end));
    if (t->n_elems > UINT64_MAX / d->size)
        return titan_fail(TITAN_E_DATA, "safetensors: " NAME_FMT ": byte size overflows",
                          name);
    t->nbytes = t->n_elems * d->size;
    if (end < *begin || end > buffer_len)
        return titan_fail(TITAN_E_DATA,
                          "safetensors: " NAME_FMT
                          ": data_offsets [%llu, %llu] outside the %llu-byte "
                          "buffer",
                          name, (unsigned long long)*begin, (unsigned long long)end,
                          (unsigned long long)buffer_len);
    if (end - *begin != t->nbytes)
        return titan_fail(
            TITAN_E_DATA,
            "safetensors: " NAME_FMT ": %llu data bytes for %llu elements of %s", name,
            (unsigned long long)(end - *begin), (unsigned long long)t->n_elems, d->name);
    t->data = buffer + *begin;
    return TITAN_OK;
}

static titan_status parse_metadata(titan_arena *a, const json_value *m,
                                   titan_safetensors *out) {
    if (m->type != JSON_OBJECT)
        return titan_fail(TITAN_E_DATA, "safetensors: " META_KEY " must be an object");
    void *mem;
    TITAN_TRY(titan_arena_alloc(a, m->len * sizeof(titan_st_meta),
                                _Alignof(titan_st_meta), &mem));
    titan_st_meta *meta = mem;
    int n = 0;
    for (const json_value *e = m->child; e; e = e->next, n++) {
        if (e->type != JSON_STRING)
            return titan_fail(TITAN_E_DATA,
                              "safetensors: metadata \"%.32s\" "
                              "must be a string",
                              e->key);
        if (strlen(e->key) != e->key_len || strlen(e->str) != e->len)
            return titan_fail(TITAN_E_DATA, "safetensors: metadata with a NUL");
        meta[n].key = e->key;
        meta[n].value = e->str;
    }
    out->meta = meta;
    out->n_meta = n;
    return TITAN_OK;
}

typedef struct {
    uint64_t begin, end;
    const char *name;
} st_span;

static int compare_spans(const void *x, const void *y) {
    const st_span *a = x, *b = y;
    if (a->begin != b->begin) return a->begin < b->begin ? -1 : 1;
    return (a->end > b->end) - (a->end < b->end);
}

/* Sorted by offset, each tensor must start where the previous one ended and
 * the last must end at the end of the buffer: no overlaps, no holes. */
static titan_status check_coverage(st_span *spans, int n, uint64_t buffer_len) {
    qsort(spans, (size_t)n, sizeof *spans, compare_spans);
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        if (spans[i].begin != at)
            return titan_fail(
                TITAN_E_DATA,
                "safetensors: " NAME_FMT " starts at %llu, expected %llu (%s)",
                spans[i].name, (unsigned long long)spans[i].begin, (unsigned long long)at,
                spans[i].begin < at ? "overlap" : "hole");
        at = spans[i].end;
    }
    if (at != buffer_len)
        return titan_fail(TITAN_E_DATA,
                          "safetensors: tensors cover %llu of "
                          "%llu buffer bytes",
                          (unsigned long long)at, (unsigned long long)buffer_len);
    return TITAN_OK;
}

static titan_status parse_header(titan_arena *a, const json_value *root,
                                 const uint8_t *buffer, uint64_t buffer_len,
                                 titan_safetensors *out) {
    if (root->type != JSON_OBJECT || root->len > INT32_MAX)
        return titan_fail(TITAN_E_DATA, "safetensors: header is not an object");
    const json_value *meta = json_get(root, META_KEY);
    if (meta) TITAN_TRY(parse_metadata(a, meta, out));
    int n = (int)root->len - (meta != NULL);
    void *mem;
    TITAN_TRY(titan_arena_calloc(a, (size_t)n * sizeof(titan_st_tensor),
                                 _Alignof(titan_st_tensor), &mem));
    titan_st_tensor *tensors = mem;
    size_t mark = titan_arena_mark(a); /* the spans are scratch */
    TITAN_TRY(titan_arena_alloc(a, (size_t)n * sizeof(st_span), _Alignof(st_span), &mem));
    st_span *spans = mem;
    int k = 0;
    for (const json_value *m = root->child; m; m = m->next) {
        if (m == meta) continue;
        TITAN_TRY(parse_entry(m, buffer, buffer_len, &tensors[k], &spans[k].begin));
        spans[k].end = spans[k].begin + tensors[k].nbytes;
        spans[k].name = m->key;
        k++;
    }
    TITAN_TRY(check_coverage(spans, n, buffer_len));
    titan_arena_reset(a, mark);
    out->tensors = tensors;
    out->n_tensors = n;
    return TITAN_OK;
}

titan_status titan_safetensors_parse(titan_arena *a, const uint8_t *file, size_t len,
                                     titan_safetensors *out) {
    if (!a || !a->base || (!file && len) || !out)
        return titan_fail(TITAN_E_USAGE, "safetensors: bad arguments");
    memset(out, 0, sizeof *out);
    if (len < 8)
        return titan_fail(TITAN_E_DATA,
                          "safetensors: %zu bytes, shorter than "
                          "the 8-byte header length",
                          len);
    uint64_t n = le_rd64(file);
    if (n > TITAN_ST_HEADER_MAX)
        return titan_fail(TITAN_E_DATA,
                          "safetensors: header length %llu over "
                          "the %d-byte limit",
                          (unsigned long long)n, TITAN_ST_HEADER_MAX);
    if (n > len - 8)
        return titan_fail(TITAN_E_DATA,
                          "safetensors: header length %llu past "
                          "the end of the %zu-byte file",
                          (unsigned long long)n, len);
    if (n < 2 || file[8] != '{')
        return titan_fail(TITAN_E_DATA, "safetensors: header does not start "
                                        "with '{'");
    const json_limits limits = {.max_depth = 4, .unique_keys = true};
    const json_value *root;
    titan_status st = json_parse(a, (const char *)file + 8, (size_t)n, &limits, &root);
    if (st == TITAN_E_DATA) return titan_fail_in(st, "safetensors header");
    if (st != TITAN_OK) return st;
    return parse_header(a, root, file + 8 + n, len - 8 - n, out);
}

const titan_st_tensor *titan_safetensors_find(const titan_safetensors *st,
                                              const char *name) {
    if (!st || !name) return NULL;
    for (int i = 0; i < st->n_tensors; i++)
        if (!strcmp(st->tensors[i].name, name)) return &st->tensors[i];
    return NULL;
}

titan_status titan_safetensors_to_f32(const titan_st_tensor *t, float *dst,
                                      size_t count) {
    if (!t || (!dst && t->n_elems) || count < t->n_elems ||
        (!dtype_by_id(t->dtype) && t->dtype != TITAN_DT_INT8))
        return titan_fail(TITAN_E_USAGE, "safetensors: bad conversion request");
    const uint8_t *p = t->data;
    uint64_t n = t->n_elems;
    if (t->dtype == TITAN_DT_INT8) {
        for (uint64_t i = 0; i < n; i++) dst[i] = (float)(int8_t)p[i];
    } else if (t->dtype == TITAN_DT_F32) {
        for (uint64_t i = 0; i < n; i++, p += 4) dst[i] = le_rdf32(p);
    } else if (t->dtype == TITAN_DT_F16) {
        for (uint64_t i = 0; i < n; i++, p += 2) dst[i] = titan_f16_to_f32(le_rd16(p));
    } else {
        for (uint64_t i = 0; i < n; i++, p += 2) dst[i] = titan_bf16_to_f32(le_rd16(p));
    }
    return TITAN_OK;
}

/* --------------------------------------------------------------- writer */

/* Bytes of a source tensor that check_source accepted. */
static uint64_t source_bytes(const titan_st_source *s) {
    uint64_t count = 1;
    for (int k = 0; k < s->ndim; k++) count *= (uint64_t)s->shape[k];
    return count * dtype_by_id(s->dtype)->size;
}

static titan_status check_source(const titan_st_source *src, int i) {
    const st_dtype *d = dtype_by_id(src[i].dtype);
    if (!src[i].name || !strcmp(src[i].name, META_KEY) || !d || src[i].ndim < 0 ||
        src[i].ndim > TITAN_ST_MAX_DIMS)
        return titan_fail(TITAN_E_USAGE,
                          "safetensors: tensor %d: bad name, "
                          "dtype or rank",
                          i);
    for (int j = 0; j < i; j++)
        if (!strcmp(src[j].name, src[i].name))
            return titan_fail(TITAN_E_USAGE,
                              "safetensors: tensor \"%.64s\" "
                              "given twice",
                              src[i].name);
    uint64_t count = 1;
    for (int k = 0; k < src[i].ndim; k++) {
        int64_t dim = src[i].shape[k];
        if (dim < 0 || (dim && count > UINT64_MAX / d->size / (uint64_t)dim))
            return titan_fail(TITAN_E_USAGE,
                              "safetensors: tensor \"%.64s\": "
                              "bad shape",
                              src[i].name);
        count *= (uint64_t)dim;
    }
    if (count && !src[i].data)
        return titan_fail(TITAN_E_USAGE,
                          "safetensors: tensor \"%.64s\": no "
                          "data",
                          src[i].name);
    return TITAN_OK;
}

/* The JSON header (unpadded); data offsets follow the order given. */
static void write_header(json_writer *w, const titan_st_source *src, int n,
                         const titan_st_meta *meta, int n_meta) {
    json_begin_object(w);
    if (n_meta) {
        json_key(w, META_KEY);
        json_begin_object(w);
        for (int i = 0; i < n_meta; i++) {
            json_key(w, meta[i].key);
            json_string(w, meta[i].value, strlen(meta[i].value));
        }
        json_end_object(w);
    }
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        json_key(w, src[i].name);
        json_begin_object(w);
        json_key(w, "dtype");
        const char *dt = dtype_by_id(src[i].dtype)->name;
        json_string(w, dt, strlen(dt));
        json_key(w, "shape");
        json_begin_array(w);
        for (int k = 0; k < src[i].ndim; k++) json_int(w, src[i].shape[k]);
        json_end_array(w);
        json_key(w, "data_offsets");
        json_begin_array(w);
        json_uint(w, at);
        at += source_bytes(&src[i]);
        json_uint(w, at);
        json_end_array(w);
        json_end_object(w);
    }
    json_end_object(w);
}

/* Little-endian values of one tensor at dst; returns the bytes written. */
static uint64_t store_values(uint8_t *dst, const titan_st_source *s) {
    size_t size = dtype_by_id(s->dtype)->size;
    uint64_t nbytes = source_bytes(s);
    for (uint64_t i = 0; i < nbytes / size; i++) {
        if (s->dtype == TITAN_DT_F32)
            le_wrf32(dst + i * size, s->data[i]);
        else if (s->dtype == TITAN_DT_F16)
            le_wr16(dst + i * size, titan_f32_to_f16(s->data[i]));
        else
            le_wr16(dst + i * size, titan_f32_to_bf16(s->data[i]));
    }
    return nbytes;
}

titan_status titan_safetensors_write(const titan_st_source *tensors, int n,
                                     const titan_st_meta *meta, int n_meta, uint8_t *buf,
                                     size_t cap, size_t *len) {
    if (n < 0 || n_meta < 0 || (n && !tensors) || (n_meta && !meta) || !len)
        return titan_fail(TITAN_E_USAGE, "safetensors: bad write arguments");
    for (int i = 0; i < n_meta; i++) {
        if (!meta[i].key || !meta[i].value)
            return titan_fail(TITAN_E_USAGE, "safetensors: NULL metadata");
        for (int j = 0; j < i; j++)
            if (!strcmp(meta[j].key, meta[i].key))
                return titan_fail(TITAN_E_USAGE,
                                  "safetensors: metadata key "
                                  "\"%.64s\" given twice",
                                  meta[i].key);
    }
    uint64_t data_bytes = 0;
    for (int i = 0; i < n; i++) {
        TITAN_TRY(check_source(tensors, i));
        uint64_t nbytes = source_bytes(&tensors[i]);
        if (nbytes > SIZE_MAX - data_bytes)
            return titan_fail(TITAN_E_USAGE, "safetensors: data too large");
        data_bytes += nbytes;
    }
    json_writer w;
    json_writer_init(&w, NULL, 0);
    write_header(&w, tensors, n, meta, n_meta);
    size_t header = w.len, padded = (header + 7) / 8 * 8;
    if (data_bytes > SIZE_MAX - 8 - padded)
        return titan_fail(TITAN_E_USAGE, "safetensors: data too large");
    *len = 8 + padded + (size_t)data_bytes;
    if (!buf) return TITAN_OK;
    if (cap < *len)
        return titan_fail(TITAN_E_USAGE,
                          "safetensors: buffer of %zu < %zu "
                          "bytes",
                          cap, *len);
    le_wr64(buf, (uint64_t)padded);
    json_writer_init(&w, (char *)buf + 8, header);
    write_header(&w, tensors, n, meta, n_meta);
    memset(buf + 8 + header, ' ', padded - header);
    uint8_t *dst = buf + 8 + padded;
    for (int i = 0; i < n; i++) dst += store_values(dst, &tensors[i]);
    return TITAN_OK;
}
