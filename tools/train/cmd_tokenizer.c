/* cmd_tokenizer.c: `titan-train tokenizer`: learn BPE merges from a text file
 * and write them as a TOK file. */
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/train/bpe_train.h"
#include "tools/train/train_commands.h"

#include <stdlib.h>

static const char usage[] =
    "titan-train tokenizer --vocab N -i FILE -o TOK\n"
    "  learns N - 257 byte-level BPE merges (N in [257, 65536]) from FILE\n"
    "example: titan-train tokenizer --vocab 1024 -i train.txt -o tok";

typedef struct {
    cli_progress line;
    int phase;
} progress;

static void show_progress(void *ctx, int phase, double done, double total) {
    progress *p = ctx;
    if (phase != p->phase) {
        cli_progress_end(&p->line);
        cli_progress_start(&p->line, "merging", "merges");
        p->phase = phase;
    }
    cli_progress_update(&p->line, done, total);
}

/* Train on text and write TOK; returns an exit code. */
static int train(const char *cmd, const uint8_t *text, size_t len, int32_t n_merges,
                 const char *out) {
    int32_t *lr = malloc(2 * ((size_t)n_merges + 1) * sizeof *lr);
    size_t cap = titan_tokenizer_serialized_size(n_merges), size;
    uint8_t *buf = malloc(cap);
    int rc = CLI_EXIT_FAIL;
    progress p = {.phase = 0};
    cli_progress_start(&p.line, "counting chunks", "bytes");
    int32_t done = lr && buf ? bpe_train(text, len, n_merges, lr, lr + n_merges + 1,
                                         show_progress, &p)
                             : -1;
    cli_progress_end(&p.line);
    titan_status st;
    if (done < 0) {
        fprintf(stderr, "%s: out of memory\n", cmd);
    } else if ((st = titan_tokenizer_serialize(lr, lr + n_merges + 1, done, buf, cap,
                                               &size)) != TITAN_OK ||
               (st = titan_file_write_atomic(out, buf, size)) != TITAN_OK) {
        rc = cli_fail(cmd, st);
    } else {
        if (done < n_merges)
            fprintf(stderr,
                    "%s: no adjacent pair left after %d merges: wrote %d "
                    "tokens, not %d\n",
                    cmd, done, 257 + done, 257 + n_merges);
        cli_wrote(false, out, "%d tokens (256 bytes, BOS, %d merges)", 257 + done, done);
        rc = CLI_EXIT_OK;
    }
    free(lr);
    free(buf);
    return rc;
}

int train_cmd_tokenizer(int argc, char **argv) {
    int64_t vocab = 0;
    const char *in = NULL, *out = NULL;
    const cli_flag flags[] = {
        {"--vocab", FLAG_INT, &vocab, 257, TITAN_TOK_MAX,
         "tokens in all: 256 bytes, BOS, merges"},
        {"-i|--input", FLAG_STR, &in, 0, 0, "training text"},
        {CLI_OUT, FLAG_STR, &out, 0, 0, "tokenizer file to write"},
    };
    int npos, rc = cli_parse(argc, argv, usage, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (!vocab || !in || !out)
        return cli_usage(argv[0], "--vocab, -i and -o are required");
    const char *outputs[] = {out};
    if ((rc = cli_outputs_check(argv[0], outputs, 1))) return rc;
    size_t size;
    titan_arena a;
    uint8_t *text;
    titan_status st = titan_file_size(in, &size);
    if (st == TITAN_OK) st = cli_arena_create(&a, size + TITAN_ALIGN);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    if ((st = titan_file_read(&a, in, size, &text, &size)) != TITAN_OK)
        rc = cli_fail(argv[0], st);
    else
        rc = train(argv[0], text, size, (int32_t)(vocab - 257), out);
    cli_arena_destroy(&a);
    return rc;
}
