/* cmd_tokenize.c: `titan tokenize`: print the token ids of a text, or with
 * --lines one line of ids per line of text (documents for titan-train
 * shards, as spm_encode --output_format=id writes them). */
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"
#include "tools/titan/tok_io.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "titan tokenize (-m ART | --tokenizer TOK) [-f FILE] [--lines]\n"
    "  prints the ids of FILE's bytes (stdin without -f), separated by spaces\n"
    "  (no BOS: titan run and titan eval put one first); with --lines each line\n"
    "  is encoded on its own (its newline not) and gets its own line of ids\n"
    "example: echo 'hello world' | titan tokenize -m tools/data/model/nano.tart";

/* Encode text[0..len) and print its ids, then a newline (none when the ids
 * are empty, unless `always`). The scratch is reset after. */
static titan_status print_piece(const titan_tokenizer *t, titan_arena *scratch,
                                int32_t *ids, size_t cap, const uint8_t *text, size_t len,
                                bool always) {
    size_t mark = titan_arena_mark(scratch), n = 0;
    titan_status st = titan_tokenizer_encode(t, scratch, text, len, ids, cap, &n);
    titan_arena_reset(scratch, mark);
    for (size_t i = 0; st == TITAN_OK && i < n; i++)
        printf(i + 1 < n ? "%d " : "%d", ids[i]);
    if (st == TITAN_OK && (n || always)) putchar('\n');
    return st;
}

static int print_ids(const titan_tokenizer *t, const uint8_t *text, size_t len,
                     bool lines) {
    titan_arena scratch;
    titan_status st = cli_arena_create(&scratch, titan_tokenizer_encode_plan());
    size_t cap = titan_tokenizer_max_ids(t, len);
    int32_t *ids = malloc((cap ? cap : 1) * sizeof *ids);
    if (st == TITAN_OK && !ids) st = TITAN_E_NOMEM;
    for (size_t at = 0; st == TITAN_OK && (at < len || (!lines && !at));) {
        const uint8_t *nl = lines ? memchr(text + at, '\n', len - at) : NULL;
        size_t end = nl ? (size_t)(nl - text) : len;
        st = print_piece(t, &scratch, ids, cap, text + at, end - at, lines);
        at = end + 1;
    }
    free(ids);
    cli_arena_destroy(&scratch);
    if (st != TITAN_OK) return cli_fail("titan tokenize", st);
    return CLI_EXIT_OK; /* stdout is checked when the command returns (dispatch.c) */
}

int cmd_tokenize(int argc, char **argv) {
    tok_io_cmd c;
    bool lines = false;
    int rc = tok_io_open(argc, argv, usage, "text to tokenize (default stdin)", &lines,
                         "one line of ids per line of text", &c);
    CLI_RETURN_IF_DONE(rc);
    uint8_t *text = NULL;
    size_t len = 0;
    if (!(rc = tok_io_read(argv[0], c.file, &text, &len)))
        rc = print_ids(c.tok, text, len, lines);
    free(text);
    tok_io_close(&c);
    return rc;
}
