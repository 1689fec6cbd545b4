/* cmd_tokenizer.c: `titan-train tokenizer`: learn BPE merges from a text file
 * (over bytes, or over BESE's base symbols) and write them as a TOK file. */
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/train/bpe_train.h"
#include "tools/train/train_commands.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "titan-train tokenizer [--kind bpe|bese] --vocab N -i FILE -o TOK\n"
    "  bpe (default): learns N - 257 byte-level BPE merges (N in [257, 65536])\n"
    "  bese: picks FILE's 32 most frequent bytes as literal symbols, then learns\n"
    "  N - 40 merges over the 40-symbol base layer (N in [40, 65315])\n"
    "example: titan-train tokenizer --kind bese --vocab 288 -i train.txt -o tok";

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

typedef struct {
    bool bese;
    int32_t base; /* ids before merge 0 */
    uint8_t literal[BESE_LITERALS];
    tok_bese alphabet;
} tok_kind;

static titan_status serialize(const tok_kind *k, const int32_t *l, const int32_t *r,
                              int32_t m, uint8_t *buf, size_t cap, size_t *size) {
    return k->bese ? titan_tokenizer_bese_serialize(k->literal, l, r, m, buf, cap, size)
                   : titan_tokenizer_serialize(l, r, m, buf, cap, size);
}

/* Train on text and write TOK; returns an exit code. */
static int train(const char *cmd, const tok_kind *k, const uint8_t *text, size_t len,
                 int32_t n_merges, const char *out) {
    int32_t *lr = malloc(2 * ((size_t)n_merges + 1) * sizeof *lr);
    size_t cap = titan_tokenizer_bese_serialized_size(n_merges), size;
    uint8_t *buf = malloc(cap); /* the larger of the two kinds */
    int rc = CLI_EXIT_FAIL;
    progress p = {.phase = 0};
    cli_progress_start(&p.line, "counting chunks", "bytes");
    int32_t done =
        lr && buf ? bpe_train_over(text, len, k->bese ? &k->alphabet : NULL, n_merges, lr,
                                   lr + n_merges + 1, show_progress, &p)
                  : -1;
    cli_progress_end(&p.line);
    titan_status st;
    if (done < 0) {
        fprintf(stderr, "%s: out of memory\n", cmd);
    } else if ((st = serialize(k, lr, lr + n_merges + 1, done, buf, cap, &size)) !=
                   TITAN_OK ||
               (st = titan_file_write_atomic(out, buf, size)) != TITAN_OK) {
        rc = cli_fail(cmd, st);
    } else {
        if (done < n_merges)
            fprintf(stderr,
                    "%s: no adjacent pair left after %d merges: wrote %d "
                    "tokens, not %d\n",
                    cmd, done, k->base + done, k->base + n_merges);
        cli_wrote(false, out, "%d tokens (%s, BOS, %d merges)", k->base + done,
                  k->bese ? "32 literals, 7 prefixes" : "256 bytes", done);
        rc = CLI_EXIT_OK;
    }
    free(lr);
    free(buf);
    return rc;
}

int train_cmd_tokenizer(int argc, char **argv) {
    int64_t vocab = 0;
    const char *in = NULL, *out = NULL, *kind = "bpe";
    const cli_flag flags[] = {
        {"--kind", FLAG_STR, &kind, 0, 0, "bpe (over bytes) or bese (over 40 symbols)"},
        {"--vocab", FLAG_INT, &vocab, BESE_BASE, TITAN_TOK_MAX,
         "tokens in all: the base ids, BOS, merges"},
        {"-i|--input", FLAG_STR, &in, 0, 0, "training text"},
        {CLI_OUT, FLAG_STR, &out, 0, 0, "tokenizer file to write"},
    };
    int npos, rc = cli_parse(argc, argv, usage, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if (!vocab || !in || !out)
        return cli_usage(argv[0], "--vocab, -i and -o are required");
    static tok_kind k;
    k.bese = !strcmp(kind, "bese");
    if (!k.bese && strcmp(kind, "bpe"))
        return cli_usage(argv[0], "--kind is bpe or bese, not '%s'", kind);
    k.base = k.bese ? BESE_BASE : 257;
    if (vocab < k.base || vocab - k.base > (k.bese ? TITAN_BESE_MAX_MERGES : 65536 - 257))
        return cli_usage(argv[0], "--vocab %lld is outside [%d, %d] for --kind %s",
                         (long long)vocab, k.base,
                         k.base + (k.bese ? TITAN_BESE_MAX_MERGES : 65536 - 257), kind);
    const char *outputs[] = {out};
    if ((rc = cli_outputs_check(argv[0], outputs, 1))) return rc;
    size_t size;
    titan_arena a;
    uint8_t *text;
    titan_status st = titan_file_size(in, &size);
    if (st == TITAN_OK) st = cli_arena_create(&a, size + TITAN_ALIGN);
    if (st != TITAN_OK) return cli_fail(argv[0], st);
    if ((st = titan_file_read(&a, in, size, &text, &size)) != TITAN_OK) {
        rc = cli_fail(argv[0], st);
    } else {
        bese_pick_literals(text, size, k.literal);
        tok_bese_alphabet(&k.alphabet, k.literal);
        rc = train(argv[0], &k, text, size, (int32_t)(vocab - k.base), out);
    }
    cli_arena_destroy(&a);
    return rc;
}
