/* cmd_inspect.c: `titan inspect ART [--json] [--budget BYTES]`: verify every
 * checksum (a full load) and print the config, the tensor table, the sizes,
 * the codec and whether the file fits the budget (decimal bytes). Per tensor:
 * its estimated share of the file and the entropy of its quantized values. */
#include "core/config_fields.h"
#include "formats/config_json.h"
#include "quant/dtype.h"
#include "quant/quant.h"
#include "tools/cli/cli.h"
#include "tools/titan/artifact_open.h"
#include "tools/titan/commands.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void shape_text(const titan_tensor *t, char *buf, size_t cap) {
    if (t->ndim == 1)
        snprintf(buf, cap, "[%" PRId64 "]", t->rows);
    else
        snprintf(buf, cap, "[%" PRId64 ", %" PRId64 "]", t->rows, t->cols);
}

/* Shannon entropy of a quantized tensor's values, in bytes for all of them:
 * the least any coder of independent values could store them in. */
static double values_entropy_bytes(const titan_tensor *t) {
    uint64_t hist[256];
    memset(hist, 0, sizeof hist);
    size_t row_bytes = titan_dtype_row_bytes(t->dtype, t->cols);
    for (int64_t r = 0; r < t->rows; r++) {
        const uint8_t *row = (const uint8_t *)t->data + (size_t)r * row_bytes;
        for (int64_t c = 0; c < t->cols; c++)
            hist[titan_quant_get(t->dtype, row, c) + 128]++;
    }
    double n = (double)(t->rows * t->cols), bits = 0;
    for (int v = 0; v < 256; v++)
        if (hist[v]) bits -= (double)hist[v] * log2((double)hist[v] / n);
    return bits / 8;
}

static int64_t tensor_params(const titan_artifact *art) {
    int64_t n = 0;
    for (int i = 0; i < art->n_tensors; i++)
        n += art->tensors[i].rows * art->tensors[i].cols;
    return n;
}

/* name=value for every field, in field order, wrapped under "config". */
/* name=value (value as in config JSON) for every field config JSON lists,
 * wrapped under "config". */
static void print_config(const titan_config *c) {
    int col = printf("config    ");
    for (int i = 0; i < TITAN_CONFIG_N_FIELDS; i++) {
        const titan_config_field *f = &titan_config_fields[i];
        if (!config_json_lists(c, f)) continue;
        char value[2048];
        size_t len;
        json_writer w;
        json_writer_init(&w, value, sizeof value);
        config_json_write_value(&w, c, f);
        if (json_writer_finish(&w, &len) != TITAN_OK)
            snprintf(value, sizeof value, "...");
        int n = (int)strlen(f->name) + (int)strlen(value) + 2;
        if (col + n > 96) col = printf("\n          ");
        col += printf(" %s=%s", f->name, value);
    }
    printf("\n");
}

static void print_text(const char *path, const titan_artifact *art, int64_t budget,
                       double seconds) {
    const titan_config *c = &art->config;
    printf("artifact   %s (all checksums ok, verified in %.3f s)\n", path, seconds);
    print_config(c);
    printf("tokenizer  %d tokens\n\n", titan_tokenizer_size(art->tokenizer));
    /* "in file": stored bytes times the data section's compression ratio (an
     * estimate: the section is compressed as a whole). "entropy": of the
     * quantized values alone, scales excluded. */
    double ratio = art->data_raw_bytes
                       ? (double)art->data_stored_bytes / (double)art->data_raw_bytes
                       : 1;
    printf("%-24s %-5s %-14s %12s %10s %10s\n", "tensor", "type", "shape", "bytes",
           "in file", "entropy");
    for (int i = 0; i < art->n_tensors; i++) {
        const titan_tensor *t = &art->tensors[i];
        char shape[48], ent[24] = "-";
        shape_text(t, shape, sizeof shape);
        if (titan_dtype_get(t->dtype)->quantized)
            snprintf(ent, sizeof ent, "%.0f", values_entropy_bytes(t));
        printf("%-24s %-5s %-14s %12" PRIu64 " %10.0f %10s\n", t->name,
               titan_dtype_name(t->dtype), shape, t->stored_bytes,
               (double)t->stored_bytes * ratio, ent);
    }
    printf("\ntensors    %d, %" PRId64 " parameters\n", art->n_tensors,
           tensor_params(art));
    printf("data       %" PRIu64 " bytes raw, %" PRIu64 " stored (codec %s)\n",
           art->data_raw_bytes, art->data_stored_bytes, titan_codec_name(art->codec));
    printf("total      %" PRIu64 " bytes\n", art->file_bytes);
    if (art->file_bytes <= (uint64_t)budget)
        printf("budget     %" PRId64 " bytes: fits (%" PRIu64 " to spare)\n", budget,
               (uint64_t)budget - art->file_bytes);
    else
        printf("budget     %" PRId64 " bytes: DOES NOT FIT (%" PRIu64 " over)\n", budget,
               art->file_bytes - (uint64_t)budget);
}

static void write_json(json_writer *w, const char *path, const titan_artifact *art,
                       int64_t budget) {
    json_begin_object(w);
    json_key(w, "path");
    json_string(w, path, strlen(path));
    json_key(w, "checksums");
    json_string(w, "ok", 2);
    json_key(w, "file_bytes");
    json_uint(w, art->file_bytes);
    json_key(w, "codec");
    json_string(w, titan_codec_name(art->codec), strlen(titan_codec_name(art->codec)));
    json_key(w, "data_raw_bytes");
    json_uint(w, art->data_raw_bytes);
    json_key(w, "data_stored_bytes");
    json_uint(w, art->data_stored_bytes);
    json_key(w, "params");
    json_int(w, tensor_params(art));
    json_key(w, "budget");
    json_int(w, budget);
    json_key(w, "fits");
    json_bool(w, art->file_bytes <= (uint64_t)budget);
    json_key(w, "tokenizer_tokens");
    json_int(w, titan_tokenizer_size(art->tokenizer));
    json_key(w, "config");
    config_json_write(w, &art->config);
    json_key(w, "tensors");
    json_begin_array(w);
    for (int i = 0; i < art->n_tensors; i++) {
        const titan_tensor *t = &art->tensors[i];
        json_begin_object(w);
        json_key(w, "name");
        json_string(w, t->name, strlen(t->name));
        json_key(w, "type");
        json_string(w, titan_dtype_name(t->dtype), strlen(titan_dtype_name(t->dtype)));
        json_key(w, "shape");
        json_begin_array(w);
        json_int(w, t->rows);
        if (t->ndim == 2) json_int(w, t->cols);
        json_end_array(w);
        json_key(w, "group_size");
        json_int(w, t->group_size);
        json_key(w, "stored_bytes");
        json_uint(w, t->stored_bytes);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
    json_raw(w, "\n", 1);
}

/* Measure, then write into a buffer of that size, then print. */
static titan_status print_json(const char *path, const titan_artifact *art,
                               int64_t budget) {
    json_writer w;
    size_t len;
    json_writer_init(&w, NULL, 0);
    write_json(&w, path, art, budget);
    titan_status st = json_writer_finish(&w, &len);
    char *buf = st == TITAN_OK ? malloc(len + 1) : NULL;
    if (st == TITAN_OK && !buf) st = TITAN_E_NOMEM;
    if (st == TITAN_OK) {
        json_writer_init(&w, buf, len + 1);
        write_json(&w, path, art, budget);
        st = json_writer_finish(&w, &len);
    }
    if (st == TITAN_OK) fwrite(buf, 1, len, stdout);
    free(buf);
    return st;
}

int cmd_inspect(int argc, char **argv) {
    bool json = false;
    int64_t budget = 16000000;
    const cli_flag flags[] = {
        {"--json", FLAG_BOOL, &json, 0, 0, "print one JSON object"},
        {"--budget", FLAG_INT, &budget, 0, 9.2e18,
         "size budget in bytes (default 16000000)"},
    };
    char *pos[1];
    int npos;
    int rc = cli_parse(argc, argv, "titan inspect ART [--json] [--budget BYTES]", flags,
                       pos, 1, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (npos != 1) return cli_usage(argv[0], "give one artifact");
    titan_arena a;
    titan_artifact art;
    double t0 = cli_now();
    titan_status st = artifact_open(pos[0], 0, &a, &art);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    if (json)
        st = print_json(pos[0], &art, budget);
    else
        print_text(pos[0], &art, budget, cli_now() - t0);
    cli_arena_destroy(&a);
    return st == TITAN_OK ? CLI_EXIT_OK : cli_fail(argv[0], st);
}
