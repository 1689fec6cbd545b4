/* cmd_inspect.c: `titan inspect ART [--json] [--budget BYTES] [--with-code]`:
 * verify every checksum (a full load) and print the config, the tensor table,
 * the sizes, the codec and whether the file fits the budget (decimal bytes;
 * exit 1 when a --budget given is not met). Per tensor: its estimated share
 * of the file and the entropy of its quantized values. --with-code adds the
 * code that runs it, as parameter-golf counts a submission (submission.h). */
#include "core/config_fields.h"
#include "formats/config_json.h"
#include "quant/dtype.h"
#include "quant/quant.h"
#include "tools/cli/cli.h"
#include "tools/titan/artifact_open.h"
#include "tools/titan/commands.h"
#include "tools/titan/submission.h"

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

/* What inspect prints about the file against the budget. */
typedef struct {
    int64_t budget;
    const submission_code *code; /* --with-code, else NULL */
    uint64_t total;              /* file bytes (+ code) */
} budget_view;

static const char *tokenizer_kind(const titan_tokenizer *t) {
    const char *k = titan_tokenizer_kind(t);
    return !strcmp(k, "sentencepiece") ? "SentencePiece BPE model"
           : !strcmp(k, "bese")        ? "BESE (40 base symbols + BPE merges)"
                                       : "byte-level BPE";
}

static void print_text(const char *path, const titan_artifact *art, const budget_view *b,
                       double seconds) {
    int64_t budget = b->budget;
    const titan_config *c = &art->config;
    printf("artifact   %s (all checksums ok, verified in %.3f s)\n", path, seconds);
    print_config(c);
    printf("tokenizer  %d tokens, %s\n\n", titan_tokenizer_size(art->tokenizer),
           tokenizer_kind(art->tokenizer));
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
    for (int k = 0; k < art->groups.n; k++) { /* codec auto: each tensor group */
        const titan_codec_choice *e = &art->groups.c[k];
        printf("  group %-14s %-7s shuffle %d, %" PRIu64 " bytes raw, %" PRIu64
               " stored\n",
               e->name, titan_codec_name(e->codec), e->shuffle, e->raw_bytes,
               e->stored_bytes);
    }
    const titan_ngram *g = &art->ngram;
    if (g->blob)
        printf("ngram      %" PRId64 " bigram + %" PRId64
               " trigram hints (min count %d), "
               "%zu bytes raw, %" PRIu64 " stored\n",
               g->n_bigram, g->n_trigram, g->min_count, g->len, art->ngram_stored_bytes);
    printf("total      %" PRIu64 " bytes\n", art->file_bytes);
    if (b->code) submission_print(art->file_bytes, art->codec, b->code, -1);
    const char *what = b->code ? "the submission" : "the file";
    if (b->total <= (uint64_t)budget)
        printf("budget     %" PRId64 " bytes: %s fits (%" PRIu64 " to spare)\n", budget,
               what, (uint64_t)budget - b->total);
    else
        printf("budget     %" PRId64 " bytes: %s DOES NOT FIT (%" PRIu64 " over)\n",
               budget, what, b->total - (uint64_t)budget);
}

/* The n-gram table's counts and bytes, or null. */
static void json_ngram(json_writer *w, const titan_artifact *art) {
    const titan_ngram *g = &art->ngram;
    if (!g->blob) {
        json_null(w);
        return;
    }
    json_begin_object(w);
    json_key(w, "bigram");
    json_int(w, g->n_bigram);
    json_key(w, "trigram");
    json_int(w, g->n_trigram);
    json_key(w, "min_count");
    json_int(w, g->min_count);
    json_key(w, "raw_bytes");
    json_uint(w, g->len);
    json_key(w, "stored_bytes");
    json_uint(w, art->ngram_stored_bytes);
    json_end_object(w);
}

static void write_json(json_writer *w, const char *path, const titan_artifact *art,
                       const budget_view *b) {
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
    json_key(w, "groups"); /* codec auto: each tensor group's coding */
    json_begin_array(w);
    for (int k = 0; k < art->groups.n; k++) {
        const titan_codec_choice *c = &art->groups.c[k];
        json_begin_object(w);
        json_key(w, "group");
        json_string(w, c->name, strlen(c->name));
        json_key(w, "codec");
        json_string(w, titan_codec_name(c->codec), strlen(titan_codec_name(c->codec)));
        json_key(w, "shuffle");
        json_int(w, c->shuffle);
        json_key(w, "raw_bytes");
        json_uint(w, c->raw_bytes);
        json_key(w, "stored_bytes");
        json_uint(w, c->stored_bytes);
        json_end_object(w);
    }
    json_end_array(w);
    json_key(w, "params");
    json_int(w, tensor_params(art));
    if (b->code) {
        json_key(w, "code_bytes");
        json_uint(w, b->code->code_bytes);
        json_key(w, "binary_bytes");
        json_uint(w, b->code->binary_bytes);
        json_key(w, "submission_bytes");
        json_uint(w, b->total);
    }
    json_key(w, "budget");
    json_int(w, b->budget);
    json_key(w, "fits");
    json_bool(w, b->total <= (uint64_t)b->budget);
    json_key(w, "tokenizer_tokens");
    json_int(w, titan_tokenizer_size(art->tokenizer));
    json_key(w, "tokenizer_kind");
    const char *kind = titan_tokenizer_kind(art->tokenizer);
    json_string(w, kind, strlen(kind));
    json_key(w, "ngram");
    json_ngram(w, art);
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
                               const budget_view *b) {
    json_writer w;
    size_t len;
    json_writer_init(&w, NULL, 0);
    write_json(&w, path, art, b);
    titan_status st = json_writer_finish(&w, &len);
    char *buf = st == TITAN_OK ? malloc(len + 1) : NULL;
    if (st == TITAN_OK && !buf) st = TITAN_E_NOMEM;
    if (st == TITAN_OK) {
        json_writer_init(&w, buf, len + 1);
        write_json(&w, path, art, b);
        st = json_writer_finish(&w, &len);
    }
    if (st == TITAN_OK) fwrite(buf, 1, len, stdout);
    free(buf);
    return st;
}

static const char usage[] =
    "titan inspect (ART | -m ART) [--json] [--budget BYTES] [--with-code]\n"
    "  verifies every checksum; prints the config, the tensors, the sizes and\n"
    "  whether the file (with --with-code: file + code) fits the budget\n"
    "example: titan inspect model.tart --budget 16000000 --with-code";

int cmd_inspect(int argc, char **argv) {
    bool json = false, with_code = false;
    int64_t budget = 16000000;
    const char *model = NULL;
    const cli_flag flags[] = {
        {"-m|--model", FLAG_STR, &model, 0, 0, "artifact (or give it first)"},
        {"--json", FLAG_BOOL, &json, 0, 0, "print one JSON object"},
        {"--budget", FLAG_INT, &budget, 1, CLI_BYTES_MAX,
         "size budget in bytes; exit 1 when not met (default 16000000, shown only)"},
        {"--with-code", FLAG_BOOL, &with_code, 0, 0,
         "add the stripped titan binary, compressed with the artifact's codec"},
    };
    char *pos[1];
    int npos;
    bool seen[CLI_ARRAY_LEN(flags)] = {0};
    int rc = cli_parse_seen(argc, argv, usage, flags, CLI_ARRAY_LEN(flags), pos, 1, &npos,
                            seen);
    CLI_RETURN_IF_DONE(rc);
    if (npos + !!model != 1) return cli_usage(argv[0], "give one artifact");
    if (!model) model = pos[0];
    titan_arena a;
    titan_artifact art;
    double t0 = cli_now();
    titan_status st = artifact_open(model, 0, &a, &art);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    submission_code code;
    budget_view b = {budget, NULL, art.file_bytes};
    if (with_code && (st = submission_code_size(art.codec, &code)) == TITAN_OK) {
        b.code = &code;
        b.total += code.code_bytes;
    }
    if (st == TITAN_OK && json)
        st = print_json(model, &art, &b);
    else if (st == TITAN_OK)
        print_text(model, &art, &b, cli_now() - t0);
    cli_arena_destroy(&a);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    bool over = b.total > (uint64_t)budget;
    if (over && seen[2])
        fprintf(stderr, "%s: %s is %llu bytes%s, over the budget of %lld\n", argv[0],
                model, (unsigned long long)b.total, b.code ? " with the code" : "",
                (long long)budget);
    return over && seen[2] /* --budget given */ ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
