/* cmd_tokenize.c: `titan tokenize`: print the token ids of a text. */
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"
#include "tools/titan/tok_io.h"

#include <stdlib.h>

static const char usage[] =
    "titan tokenize (-m ART | --tokenizer TOK) [-f FILE]\n"
    "  prints the ids of FILE's bytes (stdin without -f), separated by spaces\n"
    "  (no BOS: titan run and titan eval put one first)\n"
    "example: echo 'hello world' | titan tokenize -m tools/data/model/nano.tart";

static int print_ids(const titan_tokenizer *t, const uint8_t *text, size_t len) {
    titan_arena scratch;
    titan_status st = cli_arena_create(&scratch, titan_tokenizer_encode_plan());
    size_t cap = titan_tokenizer_max_ids(t, len);
    int32_t *ids = malloc((cap ? cap : 1) * sizeof *ids);
    size_t n = 0;
    if (st == TITAN_OK && ids)
        st = titan_tokenizer_encode(t, &scratch, text, len, ids, cap, &n);
    else if (st == TITAN_OK)
        st = TITAN_E_NOMEM;
    for (size_t i = 0; st == TITAN_OK && i < n; i++)
        printf(i + 1 < n ? "%d " : "%d\n", ids[i]);
    free(ids);
    cli_arena_destroy(&scratch);
    if (st != TITAN_OK) return cli_fail("titan tokenize", st);
    return CLI_EXIT_OK; /* stdout is checked when the command returns (dispatch.c) */
}

int cmd_tokenize(int argc, char **argv) {
    tok_io_cmd c;
    int rc = tok_io_open(argc, argv, usage, "text to tokenize (default stdin)", &c);
    CLI_RETURN_IF_DONE(rc);
    uint8_t *text = NULL;
    size_t len = 0;
    if (!(rc = tok_io_read(argv[0], c.file, &text, &len)))
        rc = print_ids(c.tok, text, len);
    free(text);
    tok_io_close(&c);
    return rc;
}
