/* train_ckpt.c: checkpoints as safetensors with metadata. */
#include "tools/train/train_ckpt.h"

#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/train/train_io.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CKPT_FORMAT "titan-checkpoint-1"

static int state_sets(const train_state *s, train_tensor_set *sets) {
    int n = 0;
    sets[n++] = (train_tensor_set){"", (train_params *)&s->w, 0};
    if (s->ema.mem) sets[n++] = (train_tensor_set){"ema/", (train_params *)&s->ema, 0};
    if (s->swa.mem) sets[n++] = (train_tensor_set){"swa/", (train_params *)&s->swa, 0};
    sets[n++] = (train_tensor_set){"opt.m/", (train_params *)&s->m, 0};
    sets[n++] = (train_tensor_set){"opt.v/", (train_params *)&s->v, 1};
    return n;
}

static const char *export_choice(const train_state *s) {
    return s->swa_count > 0 ? "swa" : s->ema.mem ? "ema" : "raw";
}

titan_status train_ckpt_save(const char *path, const train_state *s,
                             const titan_config *c, const uint8_t *tok_blob,
                             size_t tok_len) {
    char config[4096], num[5][32];
    size_t len;
    TITAN_TRY(titan_config_to_json(c, config, sizeof config, &len));
    char *hex = malloc(2 * tok_len + 1); /* tok_len 0: trained on shards */
    if (!hex) return titan_fail(TITAN_E_NOMEM, "checkpoint: out of memory");
    for (size_t i = 0; i < tok_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", tok_blob[i]);
    hex[2 * tok_len] = 0;
    snprintf(num[0], 32, "%" PRId64, s->step);
    snprintf(num[1], 32, "%" PRIu64, s->rng);
    snprintf(num[2], 32, "%" PRIu64, s->data_pos);
    snprintf(num[3], 32, "%" PRId64, s->swa_count);
    snprintf(num[4], 32, "%d", s->qat_on);
    const titan_st_meta meta[] = {
        {"format", CKPT_FORMAT}, {"config", config}, {"tokenizer", hex},
        {"export", export_choice(s)}, {"step", num[0]}, {"rng", num[1]},
        {"data_pos", num[2]}, {"swa_count", num[3]}, {"qat_on", num[4]},
    };
    train_tensor_set sets[5];
    int n = state_sets(s, sets);
    titan_status st = train_write_sets(path, sets, n, NULL, meta,
                                       (int)(sizeof meta / sizeof *meta));
    free(hex);
    return st;
}

static const char *meta_get(const titan_safetensors *st, const char *key) {
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta[i].key, key)) return st->meta[i].value;
    return NULL;
}

static titan_status meta_u64(const titan_safetensors *st, const char *key,
                             uint64_t *out) {
    const char *v = meta_get(st, key);
    char *end;
    if (!v || !*v || *v == '-')
        return titan_fail(TITAN_E_DATA, "checkpoint: metadata %s missing", key);
    *out = strtoull(v, &end, 10);
    if (*end) return titan_fail(TITAN_E_DATA, "checkpoint: bad %s '%s'", key, v);
    return TITAN_OK;
}

static titan_status restore_meta(const titan_safetensors *st, train_state *s,
                                 const titan_config *c, titan_arena *a) {
    const char *fmt = meta_get(st, "format"), *cj = meta_get(st, "config");
    if (!fmt || strcmp(fmt, CKPT_FORMAT) || !cj)
        return titan_fail(TITAN_E_DATA, "not a titan-train checkpoint");
    titan_config saved;
    TITAN_TRY(titan_config_from_json(a, cj, strlen(cj), &saved));
    char want[4096], got[4096];
    size_t len;
    TITAN_TRY(titan_config_to_json(c, want, sizeof want, &len));
    TITAN_TRY(titan_config_to_json(&saved, got, sizeof got, &len));
    if (strcmp(want, got))
        return titan_fail(TITAN_E_DATA, "checkpoint: config differs from --config");
    uint64_t step, swa, qat;
    TITAN_TRY(meta_u64(st, "step", &step));
    TITAN_TRY(meta_u64(st, "rng", &s->rng));
    TITAN_TRY(meta_u64(st, "data_pos", &s->data_pos));
    TITAN_TRY(meta_u64(st, "swa_count", &swa));
    TITAN_TRY(meta_u64(st, "qat_on", &qat));
    if (step > INT64_MAX || swa > step || qat > 1)
        return titan_fail(TITAN_E_DATA, "checkpoint: inconsistent counters");
    s->step = (int64_t)step;
    s->swa_count = (int64_t)swa;
    s->qat_on = (int)qat;
    return TITAN_OK;
}

titan_status train_ckpt_load(const char *path, train_state *s,
                             const titan_config *c) {
    train_tensor_set sets[5];
    int n = state_sets(s, sets);
    titan_arena a;
    titan_safetensors st;
    TITAN_TRY(train_read_sets(path, &a, &st, sets, n));
    titan_status status = restore_meta(&st, s, c, &a);
    cli_arena_destroy(&a);
    return status;
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static titan_status write_tokenizer(const char *hex, const char *path) {
    size_t n = strlen(hex);
    if (n == 0 || n % 2)
        return titan_fail(TITAN_E_DATA, "checkpoint: no tokenizer (trained on shards?)");
    uint8_t *blob = malloc(n / 2);
    if (!blob) return titan_fail(TITAN_E_NOMEM, "checkpoint: out of memory");
    titan_status st = TITAN_OK;
    for (size_t i = 0; i < n / 2 && st == TITAN_OK; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) st = titan_fail(TITAN_E_DATA, "checkpoint: bad tokenizer hex");
        else blob[i] = (uint8_t)(hi << 4 | lo);
    }
    if (st == TITAN_OK) st = titan_file_write_atomic(path, blob, n / 2);
    free(blob);
    return st;
}

static titan_status export_open(const titan_safetensors *st, titan_arena *a,
                                const char *which, const char *out,
                                const char *config_out, const char *tok_out) {
    const char *fmt = meta_get(st, "format"), *cj = meta_get(st, "config");
    if (!fmt || strcmp(fmt, CKPT_FORMAT) || !cj)
        return titan_fail(TITAN_E_DATA, "not a titan-train checkpoint");
    if (!which) which = meta_get(st, "export");
    const char *prefix = !which ? NULL : !strcmp(which, "raw") ? ""
                       : !strcmp(which, "ema") ? "ema/" : !strcmp(which, "swa") ? "swa/" : NULL;
    if (!prefix) return titan_fail(TITAN_E_USAGE, "weights must be raw, ema or swa");
    titan_config c;
    TITAN_TRY(titan_config_from_json(a, cj, strlen(cj), &c));
    train_params p;
    if (train_params_alloc(&p, &c)) return titan_fail(TITAN_E_NOMEM, "out of memory");
    int count = 0;
    train_tensor_set set = {prefix, &p, 0};
    titan_status status = train_read_set(st, &set, &count);
    if (status == TITAN_OK) status = train_save_safetensors(out, &p, NULL);
    train_params_free(&p);
    char json[4096];
    size_t len;
    if (status == TITAN_OK && config_out &&
        (status = titan_config_to_json(&c, json, sizeof json, &len)) == TITAN_OK)
        status = titan_file_write_atomic(config_out, json, len);
    const char *hex = meta_get(st, "tokenizer");
    if (status == TITAN_OK && tok_out) status = write_tokenizer(hex ? hex : "", tok_out);
    return status;
}

titan_status train_ckpt_export(const char *ckpt, const char *which,
                               const char *out, const char *config_out,
                               const char *tok_out) {
    titan_arena a;
    titan_safetensors st;
    TITAN_TRY(train_open_safetensors(ckpt, &a, &st));
    titan_status status = export_open(&st, &a, which, out, config_out, tok_out);
    cli_arena_destroy(&a);
    return status;
}
