/* pack_ckpt.c: the trainer checkpoint as pack input (format in
 * tools/train/train_ckpt.h; read through the safetensors parser). */
#include "platform/file.h"
#include "tools/titan/pack.h"

#include <stdint.h>
#include <string.h>

static const char *meta_value(const titan_safetensors *st, const char *key) {
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta[i].key, key)) return st->meta[i].value;
    return NULL;
}

static int hex_digit(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

static titan_status hex_decode(titan_arena *a, const char *hex, uint8_t **out,
                               size_t *len) {
    size_t n = strlen(hex);
    if (n == 0 || n % 2)
        return titan_fail(TITAN_E_DATA, "checkpoint: tokenizer is not hex bytes "
                                        "(a shard-trained checkpoint needs --tokenizer)");
    TITAN_TRY(titan_arena_alloc(a, n / 2, 1, (void **)out));
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return titan_fail(TITAN_E_DATA, "checkpoint: bad hex in tokenizer");
        (*out)[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return TITAN_OK;
}

titan_status pack_ckpt_read(titan_arena *a, const char *path,
                            const char *weights, pack_ckpt *out) {
    uint8_t *file;
    size_t len;
    TITAN_TRY(titan_file_read(a, path, SIZE_MAX / 4, &file, &len));
    TITAN_TRY(titan_safetensors_parse(a, file, len, &out->st));
    const char *format = meta_value(&out->st, "format");
    const char *config = meta_value(&out->st, "config");
    const char *tok = meta_value(&out->st, "tokenizer");
    const char *export = weights ? weights : meta_value(&out->st, "export");
    if (!format || strcmp(format, "titan-checkpoint-1") || !config || !tok || !export)
        return titan_fail(TITAN_E_DATA, "%s: not a titan-checkpoint-1 file "
                                        "(format, config, tokenizer, export)", path);
    TITAN_TRY(titan_config_from_json(a, config, strlen(config), &out->config));
    TITAN_TRY(hex_decode(a, tok, &out->tok, &out->tok_len));
    if (!strcmp(export, "raw")) out->prefix = "";
    else if (!strcmp(export, "ema")) out->prefix = "ema/";
    else if (!strcmp(export, "swa")) out->prefix = "swa/";
    else return titan_fail(weights ? TITAN_E_USAGE : TITAN_E_DATA,
                           "checkpoint weights '%s': raw, ema or swa", export);
    return TITAN_OK;
}
