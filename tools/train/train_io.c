/* train_io.c: config, safetensors and id files for titan-train. */
#include "tools/train/train_io.h"

#include "platform/file.h"
#include "tools/train/xenith_model.h"
#include "tools/cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRAIN_FILE_MAX ((size_t)1 << 36)

/* Read a whole file into a fresh arena sized for it plus `extra` bytes. */
static titan_status read_whole(const char *path, size_t extra, titan_arena *a,
                               uint8_t **data, size_t *len) {
    size_t size;
    TITAN_TRY(titan_file_size(path, &size));
    if (size > TRAIN_FILE_MAX)
        return titan_fail(TITAN_E_DATA, "%s: file too large", path);
    TITAN_TRY(cli_arena_create(a, size + extra + 2 * TITAN_ALIGN));
    titan_status st = titan_file_read(a, path, size, data, len);
    if (st != TITAN_OK) cli_arena_destroy(a);
    return st;
}

static titan_status load_config(const char *path, titan_config *c) {
    titan_arena a;
    TITAN_TRY(cli_arena_create(&a, 4 * TITAN_CONFIG_FILE_MAX));
    titan_status st =
        cli_kind_explain(titan_config_file_load(&a, path, c), path, CLI_KIND_JSON);
    cli_arena_destroy(&a);
    return st;
}

titan_status train_load_config(const char *path, titan_config *c) {
    TITAN_TRY(load_config(path, c));
    if (TITAN_XENITH(c))
        return titan_fail(TITAN_E_UNSUPPORTED,
                          "%s: family xenith (SPEC section 9): this command does not "
                          "take it yet",
                          path);
    return TITAN_OK;
}

titan_status train_load_config_xenith(const char *path, titan_config *c) {
    return load_config(path, c);
}

static titan_status load_tensor(const titan_safetensors *st, const char *name,
                                const titan_tensor_spec *s, float *dst) {
    const titan_st_tensor *t = titan_safetensors_find(st, name);
    if (!t) return titan_fail(TITAN_E_DATA, "tensor %s missing", name);
    int ok = t->ndim == s->ndim && t->shape[0] == s->rows &&
             (s->ndim == 1 || t->shape[1] == s->cols);
    if (!ok)
        return titan_fail(TITAN_E_DATA,
                          "tensor %s: shape does not match the config "
                          "([%lld, %lld] expected)",
                          name, (long long)s->rows, (long long)s->cols);
    return titan_safetensors_to_f32(t, dst, (size_t)(s->rows * s->cols));
}

/* Read and validate a safetensors file into a fresh process arena (the
 * caller destroys it on success). */
static titan_status open_safetensors(const char *path, titan_arena *a,
                                     titan_safetensors *st) {
    uint8_t *file;
    size_t len, size;
    TITAN_TRY(titan_file_size(path, &size));
    TITAN_TRY(read_whole(path, size * 2 + (1 << 20), a, &file, &len));
    titan_status status = cli_kind_explain(titan_safetensors_parse(a, file, len, st),
                                           path, CLI_KIND_SAFETENSORS);
    if (status != TITAN_OK) cli_arena_destroy(a);
    return status;
}

static titan_status read_params(const titan_safetensors *st, const char *path,
                                train_params *p) {
    for (int i = 0; i < p->n_tensors; i++)
        TITAN_TRY(load_tensor(st, p->spec[i].name, &p->spec[i], p->tensor[i]));
    if (st->n_tensors != p->n_tensors)
        return titan_fail(TITAN_E_DATA,
                          "%s: %d tensors where %d were expected "
                          "(names of another config)",
                          path, st->n_tensors, p->n_tensors);
    return TITAN_OK;
}

titan_status train_load_safetensors(const char *path, train_params *p) {
    titan_arena a;
    titan_safetensors st;
    TITAN_TRY(open_safetensors(path, &a, &st));
    titan_status status = read_params(&st, path, p);
    cli_arena_destroy(&a);
    return status;
}

titan_status train_save_safetensors(const char *path, const train_params *p,
                                    const float *loss) {
    titan_st_source src[1 + TITAN_MAX_TENSORS];
    int count = 0;
    if (loss)
        src[count++] = (titan_st_source){
            .name = "loss", .dtype = TITAN_DT_F32, .ndim = 1, .shape = {1}, .data = loss};
    for (int i = 0; i < p->n_tensors; i++) {
        const titan_tensor_spec *s = &p->spec[i];
        src[count++] = (titan_st_source){.name = s->name,
                                         .dtype = TITAN_DT_F32,
                                         .ndim = s->ndim,
                                         .shape = {s->rows, s->cols},
                                         .data = p->tensor[i]};
    }
    size_t size = 0;
    uint8_t *buf = NULL;
    titan_status st = titan_safetensors_write(src, count, NULL, 0, NULL, 0, &size);
    if (st == TITAN_OK && !(buf = malloc(size)))
        st = titan_fail(TITAN_E_NOMEM, "%s: out of memory", path);
    if (st == TITAN_OK)
        st = titan_safetensors_write(src, count, NULL, 0, buf, size, &size);
    if (st == TITAN_OK) st = titan_file_write_atomic(path, buf, size);
    free(buf);
    return st;
}

static int is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

titan_status train_load_ids(const char *path, int32_t vocab, int **ids, int *n) {
    titan_arena a;
    uint8_t *text;
    size_t len;
    TITAN_TRY(read_whole(path, 1, &a, &text, &len));
    int *out = malloc(sizeof(int) * (len / 2 + 1));
    int count = 0;
    titan_status st = out ? TITAN_OK : titan_fail(TITAN_E_NOMEM, "ids");
    for (size_t i = 0; st == TITAN_OK && i < len;) {
        if (is_space(text[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && !is_space(text[j])) j++;
        char word[24];
        int64_t v;
        if (j - i >= sizeof word) {
            st = titan_fail(TITAN_E_DATA, "%s: token id too long", path);
            break;
        }
        memcpy(word, text + i, j - i);
        word[j - i] = 0;
        if (!cli_parse_int(word, 0, vocab - 1, &v))
            st = titan_fail(TITAN_E_DATA, "%s: '%s' is not a token id in [0, %d)", path,
                            word, vocab);
        else
            out[count++] = (int)v;
        i = j;
    }
    cli_arena_destroy(&a);
    if (st == TITAN_OK && count == 0)
        st = titan_fail(TITAN_E_DATA, "%s: no token ids", path);
    if (st != TITAN_OK) {
        free(out);
        return st;
    }
    *ids = out;
    *n = count;
    return TITAN_OK;
}
