/* cmd_ngram.c: `titan-train ngram`: the n-gram hint table of `titan eval
 * --tilt` from training data (the rule: ngram_build.h), for `titan pack
 * --ngram`. */
#include "platform/file.h"
#include "tools/cli/cli.h"
#include "tools/train/ngram_build.h"
#include "tools/train/train_commands.h"
#include "tools/train/train_data.h"

#include <stdlib.h>

static const char usage[] =
    "titan-train ngram (-i TEXT (--tokenizer TOK | -m ART) | --shards GLOB) -o NGRAM\n"
    "    [--vocab V] [--order 2|3] [--min-count N] [--min-share F]\n"
    "  for each context of one and of two tokens in the training data, the token\n"
    "  that followed it most often (kept with at least N occurrences and a share F\n"
    "  of the context's); titan eval --tilt uses the two-token entry when there is\n"
    "  one, else the one-token entry. V: the model's vocab_size (default -m's, else\n"
    "  the tokenizer's size; required with --shards)\n"
    "example: titan-train ngram -i train.txt -m nano.tart -o nano.ngram && titan pack "
    "... --ngram nano.ngram";

typedef struct {
    const char *text, *tokenizer, *model, *shards, *out;
    int64_t vocab, order, min_count;
    double min_share;
} ngram_args;

/* The tokenizer of -m ART (its meta sections only) into a fresh arena. */
static titan_status artifact_tokenizer(const char *path, titan_arena *a,
                                       const titan_tokenizer **t, int64_t *vocab,
                                       uint32_t *crc) {
    titan_arena meta;
    titan_artifact art;
    size_t size;
    TITAN_TRY(titan_file_size(path, &size));
    TITAN_TRY(cli_arena_create(&meta, size + ((size_t)64 << 20)));
    titan_status st = titan_artifact_load_meta(&meta, path, &art);
    const uint8_t *blob;
    size_t len;
    if (!st)
        st = train_tokenizer_from_blob(art.tokenizer_blob, art.tokenizer_blob_len, a, t,
                                       &blob, &len, crc);
    if (!st && !*vocab) *vocab = art.config.vocab_size;
    cli_arena_destroy(&meta);
    return st;
}

/* The training stream: a text (BOS + its tokens) or shards. */
static titan_status load_stream(ngram_args *g, train_tokens *d) {
    if (g->shards) return train_tokens_from_shards(g->shards, d);
    titan_arena a;
    const titan_tokenizer *t;
    const uint8_t *blob;
    size_t len;
    uint32_t crc;
    TITAN_TRY(g->model ? artifact_tokenizer(g->model, &a, &t, &g->vocab, &crc)
                       : train_tokenizer_load(g->tokenizer, &a, &t, &blob, &len, &crc));
    if (!g->vocab) g->vocab = titan_tokenizer_size(t);
    titan_status st = train_tokens_from_text(g->text, t, crc, d);
    cli_arena_destroy(&a);
    return st;
}

static int check_args(const char *cmd, const ngram_args *g) {
    if (!g->out) return cli_usage(cmd, "-o NGRAM is required");
    if (!g->text == !g->shards) return cli_usage(cmd, "give one of -i and --shards");
    if (g->text && !g->tokenizer == !g->model)
        return cli_usage(cmd, "-i needs one of --tokenizer and -m");
    if (g->shards && !g->vocab && !g->model)
        return cli_usage(cmd, "--shards needs --vocab (or -m)");
    if (g->order != 2 && g->order != 3) return cli_usage(cmd, "--order is 2 or 3");
    const char *outputs[] = {g->out};
    return cli_outputs_check(cmd, outputs, 1);
}

static int build(const char *cmd, const ngram_args *g, const train_tokens *d) {
    ngram_build_options o = {(int32_t)g->vocab, (int32_t)g->order, g->min_count,
                             g->min_share};
    ngram_build_result r;
    titan_status st = ngram_build(d->tok, d->n, &o, &r);
    if (!st) st = titan_file_write_atomic(g->out, r.table, r.len);
    free(r.table);
    if (st) return cli_fail(cmd, st);
    cli_wrote(false, g->out,
              "%zu bytes: %lld bigram entries (of %lld contexts), %lld trigram entries "
              "(of %lld contexts) from %zu tokens, vocab %lld",
              r.len, (long long)r.n_bigram, (long long)r.bigram_contexts,
              (long long)r.n_trigram, (long long)r.trigram_contexts, d->n,
              (long long)g->vocab);
    return CLI_EXIT_OK;
}

int train_cmd_ngram(int argc, char **argv) {
    const char *cmd = argv[0];
    ngram_args g = {.order = 3, .min_count = 2};
    const cli_flag flags[] = {
        {"-i|--input", FLAG_STR, &g.text, 0, 0, "training text"},
        {"--tokenizer", FLAG_STR, &g.tokenizer, 0, 0, "its TOK file"},
        {"-m|--model", FLAG_STR, &g.model, 0, 0, "or the artifact's tokenizer and vocab"},
        {"--shards", FLAG_STR, &g.shards, 0, 0, "or parameter-golf .bin shards (glob)"},
        {CLI_OUT, FLAG_STR, &g.out, 0, 0, "table to write"},
        {"--vocab", FLAG_INT, &g.vocab, 2, 1 << 20, "the model's vocab_size"},
        {"--order", FLAG_INT, &g.order, 2, 3,
         "3: one- and two-token contexts, 2: one-token only (default 3)"},
        {"--min-count", FLAG_INT, &g.min_count, 1, INT32_MAX,
         "least occurrences of a kept hint (default 2)"},
        {"--min-share", FLAG_REAL, &g.min_share, 0, 1,
         "least share of its context's continuations (default 0)"},
    };
    int npos, rc = cli_parse(argc, argv, usage, flags, NULL, 0, &npos);
    CLI_RETURN_IF_DONE(rc);
    if ((rc = check_args(cmd, &g))) return rc;
    train_tokens d = {0};
    titan_status st = load_stream(&g, &d);
    rc = st ? cli_fail(cmd, st) : build(cmd, &g, &d);
    train_tokens_free(&d);
    return rc;
}
