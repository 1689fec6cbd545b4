/* tok_io.c: tokenizer loading and whole-input reading for the token commands. */
#include "tools/titan/tok_io.h"

#include "tools/cli/cli.h"
#include "tools/titan/artifact_open.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int load_tok_file(const char *cmd, const char *path, titan_arena *a,
                         const titan_tokenizer **t) {
    size_t need;
    titan_status st = cli_kind_explain(titan_tokenizer_file_plan(path, &need), path,
                                       CLI_KIND_TOKENIZER);
    if (st == TITAN_OK) st = cli_arena_create(a, need);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    if ((st = titan_tokenizer_file_load(a, path, t, NULL, NULL)) != TITAN_OK) {
        cli_arena_destroy(a);
        return cli_fail(cmd, cli_kind_explain(st, path, CLI_KIND_TOKENIZER));
    }
    return CLI_EXIT_OK;
}

static int load_tokenizer(const char *cmd, const char *model, const char *tok_path,
                          titan_arena *a, const titan_tokenizer **t) {
    if (!model == !tok_path)
        return cli_usage(cmd, "give exactly one of -m ART and --tokenizer TOK");
    if (tok_path) return load_tok_file(cmd, tok_path, a, t);
    titan_artifact art;
    titan_status st = artifact_open(model, 0, a, &art);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    *t = art.tokenizer;
    return CLI_EXIT_OK;
}

int tok_io_open(int argc, char **argv, const char *usage, const char *file_help,
                bool *lines, const char *lines_help, tok_io_cmd *c) {
    const char *model = NULL, *tok = NULL;
    c->file = NULL;
    const cli_flag flags[] = {
        {"-m|--model", FLAG_STR, &model, 0, 0, "artifact whose tokenizer to use"},
        {"--tokenizer", FLAG_STR, &tok, 0, 0, "tokenizer file (TOK) instead of -m"},
        {"-f|--file", FLAG_STR, &c->file, 0, 0, file_help},
        {"--lines", FLAG_BOOL, lines, 0, 0, lines_help},
    };
    int n = lines ? 4 : 3, npos;
    int rc = cli_parse_table(argc, argv, usage, flags, n, NULL, 0, &npos);
    if (rc) return rc;
    return load_tokenizer(argv[0], model, tok, &c->arena, &c->tok);
}

void tok_io_close(tok_io_cmd *c) { cli_arena_destroy(&c->arena); }

titan_status tok_io_file(titan_arena *a, const char *path, const uint8_t **blob,
                         size_t *len) {
    const titan_tokenizer *t;
    size_t need;
    titan_status st = titan_tokenizer_file_plan(path, &need);
    if (st == TITAN_OK) st = titan_tokenizer_file_load(a, path, &t, blob, len);
    return cli_kind_explain(st, path, CLI_KIND_TOKENIZER);
}

int tok_io_read(const char *cmd, const char *path, uint8_t **data, size_t *len) {
    FILE *f = path ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", cmd, path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got = 1; buf && got;) {
        if (n + 1 == cap) {
            uint8_t *bigger = cap * 2 > cap ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    }
    bool bad = !buf || ferror(f);
    if (path) fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read %s\n", cmd, path ? path : "stdin");
        free(buf);
        return CLI_EXIT_FAIL;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return CLI_EXIT_OK;
}

/* The tokenizer: a TOK file, or the plain 257-token byte tokenizer. */
titan_status tok_io_file_or_bytes(titan_arena *a, const char *path, const uint8_t **tok,
                                  size_t *len) {
    if (path) return tok_io_file(a, path, tok, len);
    size_t cap = titan_tokenizer_serialized_size(0);
    uint8_t *buf;
    titan_status st = titan_arena_alloc(a, cap, TITAN_ALIGN, (void **)&buf);
    if (st != TITAN_OK) return st;
    *tok = buf;
    return titan_tokenizer_serialize(NULL, NULL, 0, buf, cap, len);
}
