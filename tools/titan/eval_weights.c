/* eval_weights.c: safetensors + config JSON into float32 runtime tensors. */
#include "tools/titan/eval_weights.h"

#include "platform/file.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { JSON_SCRATCH = 1 << 16, CONFIG_MAX = 1 << 16 };

/* The parse tree of a safetensors header takes about 2x the header plus
 * 1 KB per tensor, and every tensor entry takes more than 32 header bytes. */
static size_t parse_bytes(uint64_t header) {
    return (size_t)(34 * header) + JSON_SCRATCH;
}

static titan_status read_config(const char *path, titan_config *c) {
    titan_arena a;
    size_t len;
    titan_status st = titan_file_size(path, &len);
    if (st) return st;
    static _Alignas(64) uint8_t buf[1 << 20]; /* the text and its parse tree */
    titan_arena_init(&a, buf, sizeof buf);
    uint8_t *text;
    st = titan_file_read(&a, path, CONFIG_MAX, &text, &len);
    if (!st) st = titan_config_from_json(&a, (const char *)text, len, c);
    return st;
}

static titan_status header_length(const char *path, uint64_t *n) {
    FILE *f = fopen(path, "rb");
    uint8_t b[8];
    bool ok = f && fread(b, 1, 8, f) == 8;
    if (f) fclose(f);
    if (!ok) return TITAN_E_IO;
    *n = 0;
    for (int i = 7; i >= 0; i--) *n = *n << 8 | b[i];
    return *n > TITAN_ST_HEADER_MAX ? TITAN_E_DATA : TITAN_OK;
}

titan_status eval_weights_plan(const char *st_path, const char *cfg_path,
                               eval_weights *w) {
    memset(w, 0, sizeof *w);
    titan_status st = read_config(cfg_path, &w->config);
    if (st) return st;
    titan_tensor_spec s[TITAN_MAX_TENSORS];
    w->n = titan_config_tensors(&w->config, s, TITAN_MAX_TENSORS);
    for (int i = 0; i < w->n; i++)
        w->tensor_bytes += (size_t)(s[i].rows * s[i].cols) * 4 + TITAN_ALIGN;
    size_t file;
    uint64_t header;
    if ((st = titan_file_size(st_path, &file)) ||
        (st = header_length(st_path, &header)))
        return st;
    w->load_bytes = file + TITAN_ALIGN + parse_bytes(header);
    return TITAN_OK;
}

static titan_status convert(const titan_safetensors *sf,
                            const titan_tensor_spec *s, titan_tensor *t) {
    const titan_st_tensor *src = titan_safetensors_find(sf, s->name);
    if (!src) {
        fprintf(stderr, "safetensors: no tensor '%s'\n", s->name);
        return TITAN_E_DATA;
    }
    bool shape_ok = src->ndim == s->ndim && src->shape[0] == s->rows &&
                    (s->ndim == 1 || src->shape[1] == s->cols);
    if (!shape_ok) {
        fprintf(stderr, "safetensors: '%s' is not [%lld, %lld]\n", s->name,
                (long long)s->rows, (long long)s->cols);
        return TITAN_E_DATA;
    }
    memcpy(t->name, s->name, TITAN_NAME_MAX);
    t->dtype = TITAN_DT_F32;
    t->ndim = s->ndim;
    t->rows = s->rows;
    t->cols = s->cols;
    return titan_safetensors_to_f32(src, (float *)t->data,
                                    (size_t)(s->rows * s->cols));
}

titan_status eval_weights_load(titan_arena *a, const char *st_path,
                               eval_weights *w) {
    titan_tensor_spec s[TITAN_MAX_TENSORS];
    titan_config_tensors(&w->config, s, TITAN_MAX_TENSORS);
    titan_status st = TITAN_OK;
    for (int i = 0; i < w->n && !st; i++)
        st = titan_arena_alloc(a, (size_t)(s[i].rows * s[i].cols) * 4,
                               TITAN_ALIGN, (void **)&w->t[i].data);
    size_t mark = titan_arena_mark(a), len;
    uint8_t *file;
    titan_safetensors sf;
    if (!st) st = titan_file_read(a, st_path, SIZE_MAX, &file, &len);
    if (!st) st = titan_safetensors_parse(a, file, len, &sf);
    for (int i = 0; i < w->n && !st; i++) st = convert(&sf, &s[i], &w->t[i]);
    titan_arena_reset(a, mark);
    return st;
}
