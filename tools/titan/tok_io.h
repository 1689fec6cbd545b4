/* tok_io.h: what `titan tokenize` and `titan detokenize` share: finding the
 * tokenizer (-m ART or --tokenizer TOK) and reading a whole input. */
#ifndef TITAN_TOOLS_TOK_IO_H
#define TITAN_TOOLS_TOK_IO_H

#include "titan.h"

#include <stdbool.h>

/* A token command's tokenizer (in its own process arena) and input path. */
typedef struct {
    titan_arena arena;
    const titan_tokenizer *tok;
    const char *file; /* -f, NULL for stdin */
} tok_io_cmd;

/* Parse the flags both commands take (-m ART | --tokenizer TOK, -f FILE; with
 * lines non-NULL also --lines, its help lines_help) and load the tokenizer.
 * Returns CLI_EXIT_OK (then call tok_io_close), -1 after --help, or an exit
 * code with the message printed. */
int tok_io_open(int argc, char **argv, const char *usage, const char *file_help,
                bool *lines, const char *lines_help, tok_io_cmd *c);
void tok_io_close(tok_io_cmd *c);

/* A TOK file given with --tokenizer (init, pack): read into the arena and
 * validated, its bytes in *blob; a file of another kind is named as such. */
TITAN_NODISCARD titan_status tok_io_file(titan_arena *a, const char *path,
                                         const uint8_t **blob, size_t *len);

/* tok_io_file, or with path NULL the plain 257-token byte tokenizer (init,
 * budget). */
TITAN_NODISCARD titan_status tok_io_file_or_bytes(titan_arena *a, const char *path,
                                                  const uint8_t **tok, size_t *len);

/* Read all of `path` (stdin when NULL) into a malloc'd *data (free it), with
 * a NUL after the last byte (not counted in *len).
 * Returns an exit code, with the message printed. */
int tok_io_read(const char *cmd, const char *path, uint8_t **data, size_t *len);

#endif
