/* checkpoint.c: titan-train checkpoints (layout in checkpoint.h) over the
 * safetensors reader and writer: the metadata rules and the tensor sets. */
#include "formats/checkpoint.h"

#include "core/base/le.h"
#include "platform/file.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define CKPT_FORMAT "titan-checkpoint-1"

enum {
    NAME_MAX_BYTES = TITAN_NAME_MAX + 8, /* a prefix and a SPEC name */
    CONFIG_JSON_MAX = 4096,
    N_META = 9, /* and "run" when the run record is given */
};

static const char *const prefixes[TITAN_CKPT_SETS] = {"", "ema/", "swa/", "opt.m/",
                                                      "opt.v/"};
static const char *const weight_names[] = {"raw", "ema", "swa"};

const char *titan_ckpt_prefix(titan_ckpt_set k) { return prefixes[k]; }

bool titan_ckpt_set_holds(titan_ckpt_set k, const titan_tensor_spec *spec) {
    return k != TITAN_CKPT_OPT_V || spec->role != TITAN_ROLE_MATRIX;
}

titan_status titan_ckpt_weights_from_name(const char *name, titan_ckpt_set *k) {
    for (int i = 0; name && i < 3; i++)
        if (!strcmp(name, weight_names[i])) {
            *k = (titan_ckpt_set)i;
            return TITAN_OK;
        }
    return titan_fail(TITAN_E_USAGE, "checkpoint weights '%.40s': raw, ema or swa",
                      name ? name : "");
}

/* ---------------------------------------------------------------- reader */

titan_status titan_ckpt_pick_weights(const titan_ckpt *c, const char *what,
                                     const char *which, titan_ckpt_set *k) {
    *k = c->meta.export_set;
    if (which) TITAN_TRY(titan_ckpt_weights_from_name(which, k));
    if (c->has[*k]) return TITAN_OK;
    char held[32] = "";
    for (int i = 0; i < 3; i++)
        if (c->has[i])
            snprintf(held + strlen(held), sizeof held - strlen(held), "%s%s",
                     *held ? ", " : "", weight_names[i]);
    return titan_fail(TITAN_E_DATA,
                      "%s has no %s weights (trained without --%s); it holds %s", what,
                      weight_names[*k], *k == TITAN_CKPT_EMA ? "ema" : "swa-every", held);
}

static const char *meta_get(const titan_safetensors *st, const char *key) {
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta[i].key, key)) return st->meta[i].value;
    return NULL;
}

static titan_status meta_need(const titan_safetensors *st, const char *key,
                              const char **value) {
    *value = meta_get(st, key);
    if (!*value)
        return titan_fail(TITAN_E_DATA, "checkpoint: metadata \"%s\" missing", key);
    return TITAN_OK;
}

/* Decimal digits only (no sign, space or exponent), at most max. */
static titan_status meta_decimal(const titan_safetensors *st, const char *key,
                                 uint64_t max, uint64_t *out) {
    const char *v;
    TITAN_TRY(meta_need(st, key, &v));
    uint64_t n = 0;
    bool ok = *v != 0;
    for (const char *p = v; ok && *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        ok = d <= 9 && d <= max && n <= (max - d) / 10;
        n = n * 10 + d;
    }
    if (!ok)
        return titan_fail(TITAN_E_DATA,
                          "checkpoint: metadata %s '%.40s' is not "
                          "a decimal in [0, %" PRIu64 "]",
                          key, v, max);
    *out = n;
    return TITAN_OK;
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static titan_status hex_decode(titan_arena *a, const char *hex, titan_ckpt_meta *m) {
    size_t n = strlen(hex);
    if (n % 2)
        return titan_fail(TITAN_E_DATA,
                          "checkpoint: tokenizer hex has an odd "
                          "length (%zu)",
                          n);
    uint8_t *tok;
    TITAN_TRY(titan_arena_alloc(a, n / 2, 1, (void **)&tok));
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return titan_fail(TITAN_E_DATA,
                              "checkpoint: tokenizer hex has '%c%c' "
                              "at byte %zu",
                              hex[2 * i], hex[2 * i + 1], i);
        tok[i] = (uint8_t)(hi << 4 | lo);
    }
    m->tok = n ? tok : NULL;
    m->tok_len = n / 2;
    return TITAN_OK;
}

static titan_status parse_counters(const titan_safetensors *st, titan_ckpt_meta *m) {
    uint64_t step, swa, qat;
    TITAN_TRY(meta_decimal(st, "step", INT64_MAX, &step));
    TITAN_TRY(meta_decimal(st, "swa_count", step, &swa));
    TITAN_TRY(meta_decimal(st, "qat_on", 1, &qat));
    TITAN_TRY(meta_decimal(st, "rng", UINT64_MAX, &m->rng));
    TITAN_TRY(meta_decimal(st, "data_pos", UINT64_MAX, &m->data_pos));
    m->step = (int64_t)step;
    m->swa_count = (int64_t)swa;
    m->qat_on = (int)qat;
    return TITAN_OK;
}

static titan_status parse_meta(titan_arena *a, const titan_safetensors *st,
                               titan_ckpt_meta *m) {
    const char *format = meta_get(st, "format"), *config, *tok, *export;
    if (!format || strcmp(format, CKPT_FORMAT))
        return titan_fail(TITAN_E_DATA, "checkpoint: format is not \"" CKPT_FORMAT
                                        "\" (not a titan-train checkpoint)");
    TITAN_TRY(meta_need(st, "config", &config));
    TITAN_TRY(meta_need(st, "tokenizer", &tok));
    TITAN_TRY(meta_need(st, "export", &export));
    titan_status bad = titan_config_from_json(a, config, strlen(config), &m->config);
    if (bad != TITAN_OK) return titan_fail_in(bad, "checkpoint: config");
    TITAN_TRY(hex_decode(a, tok, m));
    m->run = meta_get(st, "run");
    if (titan_ckpt_weights_from_name(export, &m->export_set) != TITAN_OK)
        return titan_fail(TITAN_E_DATA,
                          "checkpoint: export '%.40s' is not raw, "
                          "ema or swa",
                          export);
    return parse_counters(st, m);
}

static titan_status check_tensor(const titan_st_tensor *t, const titan_tensor_spec *s) {
    bool shape = t->ndim == s->ndim && t->shape[0] == s->rows &&
                 (s->ndim == 1 || t->shape[1] == s->cols);
    if (t->dtype != TITAN_DT_F32 || !shape)
        return titan_fail(TITAN_E_DATA,
                          "checkpoint: tensor %s is not F32 "
                          "[%lld, %lld] as the config has it",
                          t->name, (long long)s->rows, (long long)s->cols);
    return TITAN_OK;
}

/* Set k's tensors: all there (then has[k]) or none; *found += them. */
static titan_status bind_set(titan_ckpt *c, titan_ckpt_set k,
                             const titan_tensor_spec *specs, int *found) {
    const titan_st_tensor **row = c->tensor + (size_t)k * c->n_tensors;
    int want = 0, got = 0;
    const char *lacking = NULL;
    for (int i = 0; i < c->n_tensors; i++) {
        if (!titan_ckpt_set_holds(k, &specs[i])) continue;
        char name[NAME_MAX_BYTES];
        snprintf(name, sizeof name, "%s%s", prefixes[k], specs[i].name);
        want++;
        if (!(row[i] = titan_safetensors_find(&c->st, name)))
            lacking = specs[i].name;
        else
            got++;
        if (row[i]) TITAN_TRY(check_tensor(row[i], &specs[i]));
    }
    if (got && got < want)
        return titan_fail(TITAN_E_DATA, "checkpoint: %s%s missing", prefixes[k], lacking);
    c->has[k] = got > 0;
    *found += got;
    return TITAN_OK;
}

static titan_status bind_tensors(titan_arena *a, titan_ckpt *c) {
    titan_tensor_spec *specs;
    TITAN_TRY(titan_arena_alloc(a, sizeof *specs * TITAN_MAX_TENSORS,
                                _Alignof(titan_tensor_spec), (void **)&specs));
    c->n_tensors = titan_config_tensors(&c->meta.config, specs, TITAN_MAX_TENSORS);
    titan_status st =
        titan_arena_calloc(a, sizeof *c->tensor * TITAN_CKPT_SETS * (size_t)c->n_tensors,
                           TITAN_ALIGN, (void **)&c->tensor);
    int found = 0;
    for (int k = 0; st == TITAN_OK && k < TITAN_CKPT_SETS; k++)
        st = bind_set(c, (titan_ckpt_set)k, specs, &found);
    TITAN_TRY(st);
    if (found != c->st.n_tensors)
        return titan_fail(TITAN_E_DATA,
                          "checkpoint: %d tensors belong to no set "
                          "of this config",
                          c->st.n_tensors - found);
    static const titan_ckpt_set needed[] = {TITAN_CKPT_RAW, TITAN_CKPT_OPT_M,
                                            TITAN_CKPT_OPT_V};
    for (int i = 0; i < 3; i++)
        if (!c->has[needed[i]])
            return titan_fail(TITAN_E_DATA, "checkpoint: no %s tensors",
                              i ? prefixes[needed[i]] : "raw");
    if (!c->has[c->meta.export_set])
        return titan_fail(TITAN_E_DATA,
                          "checkpoint: export names %s, which it "
                          "does not hold",
                          weight_names[c->meta.export_set]);
    return TITAN_OK;
}

titan_status titan_ckpt_parse(titan_arena *a, const uint8_t *file, size_t len,
                              titan_ckpt *out) {
    if (!a || !file || !out)
        return titan_fail(TITAN_E_USAGE, "checkpoint: NULL argument");
    memset(out, 0, sizeof *out);
    TITAN_TRY(titan_safetensors_parse(a, file, len, &out->st));
    TITAN_TRY(parse_meta(a, &out->st, &out->meta));
    return bind_tensors(a, out);
}

const titan_st_tensor *titan_ckpt_tensor(const titan_ckpt *c, titan_ckpt_set k, int i) {
    return c->tensor[(size_t)k * c->n_tensors + i];
}

titan_status titan_ckpt_load_plan(const char *path, size_t *bytes) {
    size_t size;
    uint8_t head[8] = {0};
    TITAN_TRY(titan_file_size(path, &size));
    if (size >= sizeof head) TITAN_TRY(titan_file_read_at(path, 0, head, sizeof head));
    uint64_t header = le_rd64(head) < size ? le_rd64(head) : size;
    /* The header's strings twice and its tokenizer once, about 1 KB of
     * parse tree per tensor of the largest config, the specs and the config
     * JSON's tree. */
    size_t parse = 3 * (size_t)header +
                   (size_t)1024 * TITAN_CKPT_SETS * TITAN_MAX_TENSORS + ((size_t)1 << 20);
    if (size > SIZE_MAX / 2 - parse)
        return titan_fail(TITAN_E_DATA, "%s: too large for a checkpoint", path);
    *bytes = size + parse + 8 * TITAN_ALIGN;
    return TITAN_OK;
}

titan_status titan_ckpt_load(titan_arena *a, const char *path, titan_ckpt *out) {
    uint8_t *file;
    size_t len;
    TITAN_TRY(titan_file_read(a, path, SIZE_MAX, &file, &len));
    titan_status st = titan_ckpt_parse(a, file, len, out);
    return st == TITAN_OK ? st : titan_fail_in(st, "%s", path);
}

/* ---------------------------------------------------------------- writer */

size_t titan_ckpt_write_scratch(size_t tok_len) {
    size_t per_tensor = sizeof(titan_st_source) + NAME_MAX_BYTES;
    return (size_t)TITAN_CKPT_SETS * TITAN_MAX_TENSORS * per_tensor +
           sizeof(titan_tensor_spec) * TITAN_MAX_TENSORS + 2 * tok_len + 1 +
           CONFIG_JSON_MAX + 8 * TITAN_ALIGN;
}

static titan_status check_write(const titan_ckpt_meta *m,
                                float *const *const sets[TITAN_CKPT_SETS]) {
    bool counters = m->step >= 0 && m->swa_count >= 0 && m->swa_count <= m->step &&
                    (m->qat_on == 0 || m->qat_on == 1);
    bool kept = sets[TITAN_CKPT_RAW] && sets[TITAN_CKPT_OPT_M] &&
                sets[TITAN_CKPT_OPT_V] && (unsigned)m->export_set <= TITAN_CKPT_SWA &&
                sets[m->export_set];
    if (!counters || !kept || (m->tok_len && !m->tok))
        return titan_fail(TITAN_E_USAGE, "checkpoint: bad metadata or sets to write");
    return titan_config_validate(&m->config);
}

/* Metadata strings: config JSON and tokenizer hex from the arena, the
 * numbers in num. */
static titan_status meta_strings(titan_arena *a, const titan_ckpt_meta *m,
                                 char num[5][24], titan_st_meta meta[N_META + 1]) {
    char *config, *hex;
    size_t len;
    TITAN_TRY(titan_arena_alloc(a, CONFIG_JSON_MAX, 1, (void **)&config));
    TITAN_TRY(titan_arena_alloc(a, 2 * m->tok_len + 1, 1, (void **)&hex));
    TITAN_TRY(titan_config_to_json(&m->config, config, CONFIG_JSON_MAX, &len));
    for (size_t i = 0; i < m->tok_len; i++) snprintf(hex + 2 * i, 3, "%02x", m->tok[i]);
    hex[2 * m->tok_len] = 0;
    snprintf(num[0], 24, "%" PRId64, m->step);
    snprintf(num[1], 24, "%" PRIu64, m->rng);
    snprintf(num[2], 24, "%" PRIu64, m->data_pos);
    snprintf(num[3], 24, "%" PRId64, m->swa_count);
    snprintf(num[4], 24, "%d", m->qat_on);
    const titan_st_meta all[N_META] = {
        {"format", CKPT_FORMAT}, {"config", config},
        {"tokenizer", hex},      {"export", weight_names[m->export_set]},
        {"step", num[0]},        {"rng", num[1]},
        {"data_pos", num[2]},    {"swa_count", num[3]},
        {"qat_on", num[4]},
    };
    memcpy(meta, all, sizeof all);
    meta[N_META] = (titan_st_meta){"run", m->run};
    return TITAN_OK;
}

/* The tensors of every set kept, named and shaped by the config. */
static titan_status tensor_sources(titan_arena *a, const titan_config *c,
                                   float *const *const sets[TITAN_CKPT_SETS],
                                   titan_st_source **src, int *count) {
    titan_tensor_spec *specs;
    char(*names)[NAME_MAX_BYTES];
    TITAN_TRY(titan_arena_alloc(a, sizeof *specs * TITAN_MAX_TENSORS,
                                _Alignof(titan_tensor_spec), (void **)&specs));
    TITAN_TRY(titan_arena_alloc(a, sizeof **src * TITAN_CKPT_SETS * TITAN_MAX_TENSORS,
                                TITAN_ALIGN, (void **)src));
    TITAN_TRY(titan_arena_alloc(a, sizeof *names * TITAN_CKPT_SETS * TITAN_MAX_TENSORS, 1,
                                (void **)&names));
    int n = titan_config_tensors(c, specs, TITAN_MAX_TENSORS), j = 0;
    for (int k = 0; k < TITAN_CKPT_SETS; k++)
        for (int i = 0; sets[k] && i < n; i++) {
            if (!titan_ckpt_set_holds((titan_ckpt_set)k, &specs[i])) continue;
            snprintf(names[j], NAME_MAX_BYTES, "%s%s", prefixes[k], specs[i].name);
            (*src)[j] = (titan_st_source){.name = names[j],
                                          .dtype = TITAN_DT_F32,
                                          .ndim = specs[i].ndim,
                                          .shape = {specs[i].rows, specs[i].cols},
                                          .data = sets[k][i]};
            j++;
        }
    *count = j;
    return TITAN_OK;
}

titan_status titan_ckpt_write(titan_arena *scratch, const titan_ckpt_meta *m,
                              float *const *const sets[TITAN_CKPT_SETS], uint8_t *buf,
                              size_t cap, size_t *len) {
    if (!scratch || !m || !sets || !len)
        return titan_fail(TITAN_E_USAGE, "checkpoint: NULL argument");
    TITAN_TRY(check_write(m, sets));
    size_t mark = titan_arena_mark(scratch);
    char num[5][24];
    titan_st_meta meta[N_META + 1];
    titan_st_source *src;
    int n;
    titan_status st = meta_strings(scratch, m, num, meta);
    if (st == TITAN_OK) st = tensor_sources(scratch, &m->config, sets, &src, &n);
    if (st == TITAN_OK)
        st = titan_safetensors_write(src, n, meta, N_META + (m->run != NULL), buf, cap,
                                     len);
    titan_arena_reset(scratch, mark);
    return st;
}
