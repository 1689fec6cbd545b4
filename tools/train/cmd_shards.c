/* cmd_shards.c: `titan-train shards`: token ids, one document per line (as
 * spm_encode --output_format=id writes them), into parameter-golf .bin shards
 * (formats/shards.c), each document BOS first, cut at the shard size as the
 * golf exporter cuts (a document may span two shards). */
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/train/train_commands.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "titan-train shards --ids FILE --vocab V -o PREFIX [--bos ID] [--shard-tokens N]\n"
    "  FILE: one document per line, its ids separated by spaces (spm_encode\n"
    "  --output_format=id; - reads stdin); empty lines are skipped. Writes\n"
    "  PREFIX_000000.bin, PREFIX_000001.bin, ... of N tokens each (the last fewer)\n"
    "example: spm_encode --model=tok.model --output_format=id <docs.txt |\n"
    "  titan-train shards --ids - --vocab 1024 -o data/golf_train";

typedef struct {
    const char *cmd, *prefix;
    int32_t vocab, *ids;
    size_t fill, cap; /* ids in the current shard, tokens per shard */
    uint8_t *file;
    int shards;
    uint64_t tokens;
} shard_writer;

static int flush_shard(shard_writer *w) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s_%06d.bin", w->prefix, w->shards) >=
        (int)sizeof path) {
        fprintf(stderr, "%s: -o %s: path too long\n", w->cmd, w->prefix);
        return CLI_EXIT_FAIL;
    }
    size_t len = TITAN_SHARD_HEADER_BYTES + 2 * w->fill;
    titan_status st = titan_shard_encode(w->ids, w->fill, w->vocab, w->file, len);
    if (st == TITAN_OK) st = titan_file_write_atomic(path, w->file, len);
    if (st != TITAN_OK) return cli_fail(w->cmd, st);
    cli_wrote(false, path, "%zu tokens", w->fill);
    w->tokens += w->fill;
    w->fill = 0;
    w->shards++;
    return CLI_EXIT_OK;
}

static int put_token(shard_writer *w, int32_t id) {
    w->ids[w->fill++] = id;
    return w->fill == w->cap ? flush_shard(w) : CLI_EXIT_OK;
}

/* One line's ids after BOS; a bad number names its line and column. */
static int put_document(shard_writer *w, const char *line, int32_t bos, long lineno) {
    int rc = put_token(w, bos);
    for (const char *p = line; rc == CLI_EXIT_OK;) {
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '\0' || *p == '\n' || *p == '\r') break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v >= w->vocab ||
            (*end && !strchr(" \t\r\n", *end))) {
            fprintf(stderr, "%s: line %ld, column %ld: not a token id below %d\n", w->cmd,
                    lineno, (long)(p - line) + 1, w->vocab);
            return CLI_EXIT_FAIL;
        }
        rc = put_token(w, (int32_t)v);
        p = end;
    }
    return rc;
}

static int blank(const char *s) { return s[strspn(s, " \t\r\n")] == '\0'; }

static int write_shards(shard_writer *w, FILE *in, int32_t bos, double in_bytes) {
    char *line = NULL;
    size_t line_cap = 0;
    long lineno = 0;
    double done = 0;
    int rc = CLI_EXIT_OK;
    cli_progress p;
    cli_progress_start(&p, "shards", "MB");
    p.scale = 1e6;
    for (ssize_t n; rc == CLI_EXIT_OK && (n = getline(&line, &line_cap, in)) >= 0;) {
        lineno++;
        done += (double)n;
        if (!blank(line)) rc = put_document(w, line, bos, lineno);
        if (in_bytes > 0) cli_progress_update(&p, done, in_bytes);
    }
    cli_progress_end(&p);
    if (rc == CLI_EXIT_OK && ferror(in)) {
        fprintf(stderr, "%s: reading the ids: %s\n", w->cmd, strerror(errno));
        rc = CLI_EXIT_FAIL;
    }
    if (rc == CLI_EXIT_OK && !w->fill && !w->shards) {
        fprintf(stderr, "%s: the ids hold no document\n", w->cmd);
        rc = CLI_EXIT_FAIL;
    }
    if (rc == CLI_EXIT_OK && w->fill) rc = flush_shard(w);
    free(line);
    return rc;
}

int train_cmd_shards(int argc, char **argv) {
    const char *ids_path = NULL, *prefix = NULL;
    int64_t vocab = 0, bos = 1, shard_tokens = 100000000;
    const cli_flag flags[] = {
        {"--ids", FLAG_STR, &ids_path, 0, 0, "id lines, one document each (- = stdin)"},
        {"--vocab", FLAG_INT, &vocab, 1, 65536, "tokenizer's vocabulary size"},
        {CLI_OUT, FLAG_STR, &prefix, 0, 0, "shard path prefix"},
        {"--bos", FLAG_INT, &bos, 0, 65535, "id put before each document (default 1)"},
        {"--shard-tokens", FLAG_INT, &shard_tokens, 1, INT32_MAX,
         "tokens per shard (default 100000000)"},
    };
    int npos, rc = cli_parse(argc, argv, usage, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (!ids_path || !vocab || !prefix)
        return cli_usage(argv[0], "--ids, --vocab and -o are required");
    if (bos >= vocab)
        return cli_usage(argv[0], "--bos %lld is not below --vocab", (long long)bos);
    int stdin_in = !strcmp(ids_path, "-");
    FILE *in = stdin_in ? stdin : fopen(ids_path, "r");
    if (!in) {
        fprintf(stderr, "%s: %s: %s\n", argv[0], ids_path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    struct stat sb;
    double in_bytes = !stdin_in && !fstat(fileno(in), &sb) ? (double)sb.st_size : 0;
    shard_writer w = {.cmd = argv[0],
                      .prefix = prefix,
                      .vocab = (int32_t)vocab,
                      .cap = (size_t)shard_tokens};
    w.ids = malloc(w.cap * sizeof *w.ids);
    w.file = malloc(TITAN_SHARD_HEADER_BYTES + 2 * w.cap);
    if (!w.ids || !w.file) {
        fprintf(stderr, "%s: out of memory for %zu tokens per shard\n", argv[0], w.cap);
        rc = CLI_EXIT_FAIL;
    } else {
        rc = write_shards(&w, in, (int32_t)bos, in_bytes);
    }
    if (rc == CLI_EXIT_OK)
        printf("%llu tokens in %d shards\n", (unsigned long long)w.tokens, w.shards);
    if (!stdin_in) fclose(in);
    free(w.ids);
    free(w.file);
    return rc;
}
