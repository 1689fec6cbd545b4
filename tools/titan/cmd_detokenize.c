/* cmd_detokenize.c: `titan detokenize`: write the exact bytes of a list of ids. */
#include "tools/cli/cli.h"
#include "tools/titan/commands.h"
#include "tools/titan/tok_io.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "titan detokenize (-m ART | --tokenizer TOK) [-f IDS]\n"
    "  writes the bytes of the whitespace-separated ids in IDS (stdin without\n"
    "  -f) to stdout; an id outside the vocabulary is an error\n"
    "example: echo 104 105 | titan detokenize -m tools/data/model/nano.tart";

/* Parse the whitespace-separated decimal ids of text (NUL-terminated, cut up
 * by strtok) into a malloc'd *ids. Returns an exit code. */
static int parse_ids(const char *cmd, char *text, int32_t **ids, size_t *n) {
    size_t cap = strlen(text) / 2 + 1, k = 0;
    *ids = malloc(cap * sizeof **ids);
    if (!*ids) return cli_fail(cmd, TITAN_E_NOMEM);
    for (char *w = strtok(text, " \t\n\r\v\f"); w; w = strtok(NULL, " \t\n\r\v\f")) {
        int64_t v;
        if (!cli_parse_int(w, INT32_MIN, INT32_MAX, &v)) {
            fprintf(stderr, "%s: '%.40s' is not a token id\n", cmd, w);
            return CLI_EXIT_FAIL;
        }
        (*ids)[k++] = (int32_t)v;
    }
    *n = k;
    return CLI_EXIT_OK;
}

static int write_text(const char *cmd, const titan_tokenizer *t, const int32_t *ids,
                      size_t n) {
    size_t len;
    titan_status st = titan_tokenizer_decode(t, ids, n, NULL, 0, &len);
    if (st != TITAN_OK) return cli_fail(cmd, st);
    uint8_t *out = malloc(len ? len : 1);
    if (!out) return cli_fail(cmd, TITAN_E_NOMEM);
    st = titan_tokenizer_decode(t, ids, n, out, len, &len);
    /* A short write shows in ferror(stdout), which dispatch.c reports. */
    if (st == TITAN_OK) fwrite(out, 1, len, stdout);
    free(out);
    return st != TITAN_OK ? cli_fail(cmd, st) : CLI_EXIT_OK;
}

int cmd_detokenize(int argc, char **argv) {
    tok_io_cmd c;
    int rc =
        tok_io_open(argc, argv, usage, "ids to decode (default stdin)", NULL, NULL, &c);
    CLI_RETURN_IF_DONE(rc);
    uint8_t *text = NULL;
    size_t len = 0;
    int32_t *ids = NULL;
    size_t n = 0;
    if (!(rc = tok_io_read(argv[0], c.file, &text, &len))) {
        if (memchr(text, 0, len)) {
            fprintf(stderr, "%s: NUL byte among the ids\n", argv[0]);
            rc = CLI_EXIT_FAIL;
        } else if (!(rc = parse_ids(argv[0], (char *)text, &ids, &n))) {
            rc = write_text(argv[0], c.tok, ids, n);
        }
    }
    free(ids);
    free(text);
    tok_io_close(&c);
    return rc;
}
